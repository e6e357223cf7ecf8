#include "moesim/hw/types.h"

#include <algorithm>
#include <cctype>

namespace moesim::hw {

namespace {
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
}  // namespace

Dtype dtype_from_string(const std::string& s) {
    const std::string l = lower(s);
    if (l == "bf16") return Dtype::BF16;
    if (l == "fp8") return Dtype::FP8;
    return Dtype::Invalid;
}

const char* to_string(Dtype d) {
    switch (d) {
        case Dtype::BF16: return "bf16";
        case Dtype::FP8: return "fp8";
        default: return "invalid";
    }
}

double dtype_bytes(Dtype d) { return d == Dtype::FP8 ? 1.0 : 2.0; }

CollectiveKind collective_kind_from_string(const std::string& s) {
    const std::string l = lower(s);
    if (l == "all_reduce") return CollectiveKind::AllReduce;
    if (l == "all_gather") return CollectiveKind::AllGather;
    if (l == "reduce_scatter") return CollectiveKind::ReduceScatter;
    if (l == "all_to_all") return CollectiveKind::AllToAll;
    if (l == "p2p") return CollectiveKind::PointToPoint;
    return CollectiveKind::Invalid;
}

const char* to_string(CollectiveKind k) {
    switch (k) {
        case CollectiveKind::AllReduce: return "all_reduce";
        case CollectiveKind::AllGather: return "all_gather";
        case CollectiveKind::ReduceScatter: return "reduce_scatter";
        case CollectiveKind::AllToAll: return "all_to_all";
        case CollectiveKind::PointToPoint: return "p2p";
        default: return "invalid";
    }
}

Span span_from_string(const std::string& s) {
    const std::string l = lower(s);
    if (l == "intranode") return Span::Intranode;
    if (l == "internode") return Span::Internode;
    return Span::Invalid;
}

const char* to_string(Span s) {
    switch (s) {
        case Span::Intranode: return "intranode";
        case Span::Internode: return "internode";
        default: return "invalid";
    }
}

}  // namespace moesim::hw
