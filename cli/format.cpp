#include "format.h"

#include <cmath>
#include <cstdio>

namespace moesim::cli {

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string si(double value, int decimals) {
    const char* suffix[] = {"", "K", "M", "G", "T", "P"};
    int i = 0;
    double v = value;
    while (std::fabs(v) >= 1000.0 && i < 5) {
        v /= 1000.0;
        ++i;
    }
    return fixed(v, i == 0 ? 0 : decimals) + suffix[i];
}

std::string thousands(double value) {
    const long long n = std::llround(value);
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (n < 0 ? "-" : "") + out;
}

std::string percent(double fraction, int decimals) { return fixed(100.0 * fraction, decimals) + "%"; }

}  // namespace moesim::cli
