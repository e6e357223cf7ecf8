#include "summary_diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace moesim::test {
namespace {

using nlohmann::json;

std::string shown(const json& v) { return v.dump(); }

// A key as a JSON-pointer token (RFC 6901: "~" is "~0", "/" is "~1").
std::string pointer_token(const std::string& key) {
    std::string t;
    for (char c : key) t += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
    return t;
}

bool numbers_agree(const json& golden, const json& got, const Tolerance& tol) {
    if (golden.is_number_integer() && got.is_number_integer()) return golden.get<long long>() == got.get<long long>();
    const double a = golden.get<double>();
    const double b = got.get<double>();
    const double diff = std::fabs(a - b);
    return diff <= tol.absolute || diff <= tol.relative * std::max(std::fabs(a), std::fabs(b));
}

std::string relative_note(const json& golden, const json& got) {
    const double a = golden.get<double>();
    const double b = got.get<double>();
    const double scale = std::max(std::fabs(a), std::fabs(b));
    if (scale == 0.0) return "";
    char buf[48];
    std::snprintf(buf, sizeof buf, " (rel %.1e)", std::fabs(a - b) / scale);
    return buf;
}

void compare(const json& golden, const json& got, const std::string& path, const Tolerance& tol,
             std::vector<std::string>& out) {
    const std::string where = path.empty() ? "/" : path;
    if (golden.is_number() && got.is_number()) {
        if (!numbers_agree(golden, got, tol))
            out.push_back(where + ": golden " + shown(golden) + " got " + shown(got) + relative_note(golden, got));
        return;
    }
    if (golden.type() != got.type()) {
        out.push_back(where + ": golden is " + golden.type_name() + " " + shown(golden) + ", got " + got.type_name() +
                      " " + shown(got));
        return;
    }
    if (golden.is_object()) {
        for (const auto& [key, value] : golden.items()) {
            const std::string child = path + "/" + pointer_token(key);
            if (!got.contains(key))
                out.push_back(child + ": in the golden file, missing from the run");
            else
                compare(value, got.at(key), child, tol, out);
        }
        for (const auto& [key, value] : got.items())
            if (!golden.contains(key))
                out.push_back(path + "/" + pointer_token(key) + ": new in the run (" + shown(value) + ")");
        return;
    }
    if (golden.is_array()) {
        if (golden.size() != got.size())
            out.push_back(where + ": golden has " + std::to_string(golden.size()) + " elements, the run " +
                          std::to_string(got.size()));
        const std::size_t n = std::min(golden.size(), got.size());
        for (std::size_t i = 0; i < n; ++i) compare(golden[i], got[i], path + "/" + std::to_string(i), tol, out);
        return;
    }
    if (golden != got) out.push_back(where + ": golden " + shown(golden) + " got " + shown(got));
}

}  // namespace

std::vector<std::string> summary_differences(const json& golden, const json& got, const Tolerance& tol) {
    std::vector<std::string> out;
    compare(golden, got, "", tol, out);
    return out;
}

json golden_fields(json run) {
    run.erase("run_id");
    run.erase("sim_wall_s");
    return run;
}

}  // namespace moesim::test
