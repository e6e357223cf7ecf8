#pragma once
// The comparison of a kernel's output with its CPU reference, element by element, each with its
// own tolerance (e.g. a bound on FP32 summation error that scales with Σ|a·b|). Records the
// largest absolute error, the worst element relative to its tolerance, and how many failed; a
// NaN or infinity where the reference is finite always fails.
#include <cstddef>
#include <string>

#include "moesim/kernels/runner.h"

namespace moesim::kernels {

class ErrorCheck {
public:
    // `what` says what is compared and how the tolerance is set, e.g. "4096 sampled elements of
    // D against the CPU reference; tolerance 2^-10·Σ|a·b| + 2^-8·|ref|".
    explicit ErrorCheck(std::string what);

    void add(double got, double want, double tolerance, std::size_t index);

    bool ok() const { return compared_ > 0 && failures_ == 0; }
    double max_error() const { return max_error_; }
    std::size_t compared() const { return compared_; }
    std::size_t failures() const { return failures_; }
    // what, the count compared and failed, and the worst element (index, got, want, tolerance).
    std::string detail() const;

    // Sets m.reference_ok, m.max_error and m.check_detail.
    void apply(Measurement& m) const;

private:
    std::string what_;
    std::size_t compared_ = 0, failures_ = 0;
    double max_error_ = 0.0;
    double worst_ratio_ = -1.0;  // error / tolerance of the worst element so far
    std::size_t worst_index_ = 0;
    double worst_got_ = 0.0, worst_want_ = 0.0, worst_tolerance_ = 0.0;
};

}  // namespace moesim::kernels
