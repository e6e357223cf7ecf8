#include "flag_ranges.h"

#include <cstdint>

#include "moesim/common/error.h"

namespace moesim::cli {

namespace {

constexpr ValueRange kCommFlags[] = {
    {"--nodes", 1, 65536},
    {"--gpus-per-node", 1, 1024},
    {"--nic-gbps", 1e-3, 1e6},
    {"--nics-per-node", 1, 1024},
    {"--oversubscription", 1, 1e3},
    {"--group", 1, 1048576},
    {"--ep", 1, 1048576},
    {"--tokens", 1, 16777216},
    {"--hidden", 1, 1048576},
    {"--top-k", 1, 65536},
    {"--max-nodes-per-token", 0, 65536},
    {"--num-experts", 0, 65536},
    {"--stepfactor", 2, 1024},
    {"--completion-slack-ns", 0, 1e6},
};

// Each seed is a whole --find-max-load search; 64 of them say all a spread can say.
constexpr ValueRange kRunFlags[] = {
    {"--seeds", 1, 64},
};

// --jobs 0 means one per core; more than 1024 threads on one machine is a typo.
constexpr ValueRange kSweepFlags[] = {
    {"--jobs", 0, 1024},
    {"--top", 0, 1000000},
};

// --top 0 keeps the search document's own "top".
constexpr ValueRange kSearchFlags[] = {
    {"--jobs", 0, 1024},
    {"--top", 0, 1000},
};

}  // namespace

std::span<const ValueRange> comm_flag_ranges() { return kCommFlags; }
std::span<const ValueRange> run_flag_ranges() { return kRunFlags; }
std::span<const ValueRange> sweep_flag_ranges() { return kSweepFlags; }
std::span<const ValueRange> search_flag_ranges() { return kSearchFlags; }

void check_flag_ranges(const boost::program_options::variables_map& vm, std::span<const ValueRange> table) {
    for (const auto& r : table) {
        const auto it = vm.find(std::string(r.path).substr(2));
        if (it == vm.end() || it->second.defaulted()) continue;
        const auto& any = it->second.value();
        double v = 0;
        if (const int* i = boost::any_cast<int>(&any)) v = *i;
        else if (const double* d = boost::any_cast<double>(&any)) v = *d;
        else if (const std::int64_t* l = boost::any_cast<std::int64_t>(&any)) v = static_cast<double>(*l);
        else if (const std::size_t* z = boost::any_cast<std::size_t>(&any)) v = static_cast<double>(*z);
        else continue;
        if (auto why = range_violation(r, v); !why.empty()) throw UserError(std::string(r.path) + ": " + why);
    }
}

}  // namespace moesim::cli
