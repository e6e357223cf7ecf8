#pragma once
// The NCCL sweep's host logic: names, the sizes and bandwidths nccl-tests reports, and a CPU
// reference of the five collectives.
//
// nccl-tests (common.cu, <op>.cu) reports, for a requested size S bytes of T-byte elements:
//   size  = the larger of the send and receive buffers of one rank, in bytes;
//   algbw = size / time (all_gather, reduce_scatter, all_to_all: param_count·T·n / time, the
//           same thing; all_reduce, send_recv: param_count·T / time);
//   busbw = algbw · factor (busbw_factor: the table in moesim/common/collective_traits.h).
#include <string>
#include <vector>

#include "moesim/kernels/collective_values.h"

namespace moesim::kernels {

const char* collective_name(CollectiveOp op);  // "all_reduce", "all_gather", …
std::vector<CollectiveOp> all_collectives();
// The op of a collective_name(); throws InternalError for any other name.
CollectiveOp collective_from_name(const std::string& name);

double busbw_factor(CollectiveOp op, int ranks);

// nccl-tests' size column for these counts.
double collective_size_bytes(const CollectiveCounts& c, std::size_t element_bytes);

struct CollectiveRates {
    double algbw_GBps = 0, busbw_GBps = 0;
};
CollectiveRates collective_rates(CollectiveOp op, const CollectiveCounts& c, std::size_t element_bytes,
                                 int ranks, double time_s);

// What each rank's receive buffer holds after `op`, given every rank's send buffer (the CPU
// reference the expected values are tested against).
std::vector<std::vector<float>> collective_reference(CollectiveOp op, const std::vector<std::vector<float>>& send,
                                                     const CollectiveCounts& c);

}  // namespace moesim::kernels
