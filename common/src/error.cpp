#include "moesim/common/error.h"

namespace moesim {

namespace {
std::string compose(const std::string& file, const std::string& path, const std::string& message) {
    std::string out;
    if (!file.empty()) out += file + ": ";
    if (!path.empty()) out += path + ": ";
    return out + message;
}
}  // namespace

ScenarioError::ScenarioError(std::string file, std::string json_path, std::string message)
    : UserError(compose(file, json_path, message)),
      file_(std::move(file)),
      json_path_(std::move(json_path)),
      message_(std::move(message)) {}

void fail_check(const char* expr, const char* file, int line, const std::string& what) {
    throw InternalError(std::string(file) + ":" + std::to_string(line) + ": check failed: " + expr +
                        (what.empty() ? "" : " (" + what + ")"));
}

}  // namespace moesim
