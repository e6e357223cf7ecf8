#include <sstream>

#include "moesim/calib/fit.h"
#include "moesim/calib/points.h"
#include "moesim/common/error.h"

namespace moesim::calib {

void require_reference_checks(const std::vector<kernels::Measurement>& points) {
    std::ostringstream failed;
    std::size_t count = 0;
    for (const auto& m : points) {
        if (m.reference_ok) continue;
        ++count;
        failed << "\n  " << describe(m) << ": result disagrees with its CPU reference (max error " << m.max_error
               << (m.check_detail.empty() ? "" : "; " + m.check_detail) << ")";
    }
    if (count > 0)
        throw CalibrationError(std::to_string(count) + " of " + std::to_string(points.size()) +
                               " measured kernels failed their reference check, so no profile is fitted from this "
                               "run and nothing is written:" + failed.str());
}

}  // namespace moesim::calib
