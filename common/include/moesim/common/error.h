#pragma once
// Two kinds of failure (STYLE.md 6, after gem5's fatal()/panic()):
//  * UserError and its children: the user's input is wrong. Thrown, caught in main,
//    printed as one paragraph, exit status 2.
//  * InternalError: our bug. Raised by MOESIM_CHECK, which stays on in Release and
//    names file:line. Exit status 1.
#include <stdexcept>
#include <string>

namespace moesim {

class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A scenario (or model / GPU spec file) that is malformed or impossible.
// what() reads "FILE: /json/path: message".
class ScenarioError : public UserError {
public:
    ScenarioError(std::string file, std::string json_path, std::string message);
    const std::string& file() const { return file_; }
    const std::string& json_path() const { return json_path_; }
    const std::string& message() const { return message_; }

private:
    std::string file_, json_path_, message_;
};

// A scenario whose layout does not fit in GPU memory: a ScenarioError that sweeps and
// searches count apart from the other refusals (run_pipeline.h refusal_reason).
class MemoryFitError : public ScenarioError {
public:
    using ScenarioError::ScenarioError;
};

// A calibration profile that is corrupt, from a newer format, or cannot be produced.
class CalibrationError : public UserError {
public:
    using UserError::UserError;
};

// A results database that cannot be opened, written or read.
class DatabaseError : public UserError {
public:
    using UserError::UserError;
};

class InternalError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

[[noreturn]] void fail_check(const char* expr, const char* file, int line, const std::string& what);

}  // namespace moesim

// A check that stays on in Release: our invariants, never the user's input.
#define MOESIM_CHECK(cond, what)                                              \
    do {                                                                      \
        if (!(cond)) ::moesim::fail_check(#cond, __FILE__, __LINE__, (what)); \
    } while (0)
