#pragma once
// Strict reading of a JSON document that a user wrote (scenario, model config, GPU spec,
// calibration profile; read with read_input_file): no comments, no key twice in one object, and a syntax error
// reported as "FILE: line L, column C: malformed JSON: …" — never nlohmann's raw text.
#include <string>

#include <nlohmann/json.hpp>

namespace moesim {

// Throws ScenarioError(file, json_path, message): json_path is empty for a syntax error and
// names the object for a duplicate key.
nlohmann::json parse_json_document(const std::string& text, const std::string& file);

// A JSON-pointer reference token for a key ("a/b" -> "a~1b", "x~y" -> "x~0y").
std::string json_pointer_token(const std::string& key);

}  // namespace moesim
