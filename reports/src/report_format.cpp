#include "moesim/reports/report_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "moesim/common/error.h"

namespace moesim::report {

std::string grouped(double value, int decimals) {
    MOESIM_CHECK(std::isfinite(value), "grouped() of a non-finite value");
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, std::fabs(value));
    const std::string digits(buffer);
    const std::size_t point = digits.find('.');
    const std::string whole = digits.substr(0, point);
    std::string out;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
        out += whole[i];
    }
    if (point != std::string::npos) out += digits.substr(point);
    // "-0.00" would claim a sign the printed digits do not have.
    const bool negative = value < 0 && out.find_first_not_of("0,.") != std::string::npos;
    return (negative ? "-" : "") + out;
}

std::string usd(double value, int decimals) {
    const std::string text = grouped(value, decimals);
    return text[0] == '-' ? "-$" + text.substr(1) : "$" + text;
}

std::string percent(double fraction, int decimals) { return grouped(100.0 * fraction, decimals) + "%"; }

std::string exact(double value) {
    MOESIM_CHECK(std::isfinite(value), "exact() of a non-finite value");
    char buffer[64];
    // Whole numbers in full (a token count as 7400000000000, not 7.4e+12) while every digit is exact.
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        std::snprintf(buffer, sizeof buffer, "%.0f", value);
        return value == 0 ? "0" : buffer;
    }
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    MOESIM_CHECK(result.ec == std::errc(), "to_chars failed");
    return std::string(buffer, result.ptr);
}

std::size_t glyph_count(std::string_view text) {
    std::size_t chars = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;  // not a UTF-8 continuation byte
    return chars;
}

}  // namespace moesim::report
