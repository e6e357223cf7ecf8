#pragma once
// Shared by the test helpers: scenario documents edited by JSON pointer, and the ScenarioError
// a step throws for a document (the test fails if the step accepts it).
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"

namespace json_edit {

using nlohmann::json;

// `doc` with the value at `pointer` set (parents are created).
inline json with(json doc, const std::string& pointer, const json& value) {
    doc[json::json_pointer(pointer)] = value;
    return doc;
}

// `doc` without the key at `pointer`.
inline json without(json doc, const std::string& pointer) {
    const json::json_pointer p(pointer);
    doc[p.parent_pointer()].erase(p.back());
    return doc;
}

// The ScenarioError `step(doc)` throws; fails the test when it accepts `doc`.
template <typename Step>
moesim::ScenarioError rejection(Step&& step, const json& doc) {
    try {
        std::forward<Step>(step)(doc);
    } catch (const moesim::ScenarioError& e) {
        return e;
    }
    FAIL("accepted: " << doc.dump());
    throw std::logic_error("unreachable");
}

}  // namespace json_edit
