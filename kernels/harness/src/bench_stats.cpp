#include "moesim/kernels/bench_stats.h"

#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"

namespace moesim::kernels {

double median_s(std::vector<double> samples_s) {
    MOESIM_CHECK(!samples_s.empty(), "median of no samples");
    for (double s : samples_s)
        MOESIM_CHECK(std::isfinite(s) && s > 0.0, "a timed repetition is not a positive time");
    std::sort(samples_s.begin(), samples_s.end());
    const std::size_t n = samples_s.size();
    return n % 2 == 1 ? samples_s[n / 2] : 0.5 * (samples_s[n / 2 - 1] + samples_s[n / 2]);
}

void set_rates(Measurement& m, const std::vector<double>& times_s) {
    m.time_s = median_s(times_s);
    m.TFLOPS = m.flops / m.time_s / 1e12;
    m.GBps = m.bytes / m.time_s / 1e9;
}

}  // namespace moesim::kernels
