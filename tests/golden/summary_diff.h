#pragma once
// Compares a run's `run --json` summary with its golden copy: strings, booleans and
// integers exactly, floating-point numbers within a relative tolerance, arrays element by
// element and objects key by key, and names every difference by its JSON pointer.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim::test {

// Refactors that change only the order of floating-point operations move a figure by a
// few ulps (1e-16..1e-13 relative; the picosecond clock adds ~1e-13 on a 17 s step);
// a change in the physics moves it by far more than 1e-9. Values that are zero up to
// rounding (a bubble fraction of -4.6e-14) are compared with the absolute floor.
struct Tolerance {
    double relative = 1e-9;
    double absolute = 1e-12;
};

// One line per difference, e.g. "/breakdown/3/seconds: golden 0.336389412 got 0.34 (rel 1.1e-02)".
std::vector<std::string> summary_differences(const nlohmann::json& golden, const nlohmann::json& got,
                                             const Tolerance& tol = {});

// The fields a golden file holds: the run's element without what differs run to run.
nlohmann::json golden_fields(nlohmann::json run);

}  // namespace moesim::test
