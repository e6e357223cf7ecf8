#include "moesim/kernels/error_check.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace moesim::kernels {

ErrorCheck::ErrorCheck(std::string what) : what_(std::move(what)) {}

void ErrorCheck::add(double got, double want, double tolerance, std::size_t index) {
    ++compared_;
    double error = std::fabs(got - want);
    if (std::isnan(want) && std::isnan(got)) error = 0.0;  // both NaN: agreed
    else if (!std::isfinite(got) || !std::isfinite(want)) error = std::numeric_limits<double>::infinity();
    const bool failed = !(error <= tolerance);
    if (failed) ++failures_;
    if (error > max_error_) max_error_ = error;
    const double ratio = tolerance > 0.0 ? error / tolerance
                                         : (error > 0.0 ? std::numeric_limits<double>::infinity() : 0.0);
    if (ratio > worst_ratio_) {
        worst_ratio_ = ratio;
        worst_index_ = index;
        worst_got_ = got;
        worst_want_ = want;
        worst_tolerance_ = tolerance;
    }
}

std::string ErrorCheck::detail() const {
    std::ostringstream out;
    out.precision(6);
    out << what_ << "; " << compared_ << " compared, " << failures_ << " beyond tolerance";
    if (compared_ > 0)
        out << "; worst at index " << worst_index_ << ": got " << worst_got_ << ", reference "
            << worst_want_ << ", tolerance " << worst_tolerance_;
    return out.str();
}

void ErrorCheck::apply(Measurement& m) const {
    m.reference_ok = ok();
    m.max_error = max_error_;
    m.check_detail = detail();
}

}  // namespace moesim::kernels
