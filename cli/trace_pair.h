#pragma once
// The traced configuration of a training scenario: one DualPipe pair — the forward chunk and
// the backward chunk of one pipeline stage whose layers are all MoE layers, as many as the
// trace shows per chunk (DeepSeek's profile: 4) — its operators' work per operator-model class
// (what `moesim calibrate --from-trace` fits against, calibrate/trace_fit.h), and the same
// pair simulated: the stage's costs of one micro-batch (training/analytic.h) and the pair's
// timing on the compute and collective streams (training/chunk_program.h, pair_order.h).
#include <array>
#include <string>

#include "moesim/calib/trace_fit.h"
#include "moesim/training/analytic.h"
#include "moesim/training/chunk_program.h"
#include "moesim/training/setup.h"

namespace moesim::cli {

struct TracePair {
    int stage = -1;            // both chunks are this stage's
    calib::PairWork work;
    training::StageCosts costs;           // one micro-batch through the stage, unslowed
    training::detail::PairTiming timing;  // the pair on its two streams
    double slowdown = 1.0;                // SMs / (SMs - comm_sms) inside a pair
    double collective_busy_s = 0;         // collective stream busy time in the pair
    // Memory-bound classes of their own (rotary, elementwise) and DeepEP's notify inside the
    // simulated costs above, slowed as the pair runs them.
    double rotary_s = 0, elementwise_s = 0, notify_s = 0;
};

// The first stage with `layers` transformer layers, all MoE, and no embedding, head or MTP.
// Throws CalibrationError naming `trace_file` and the scenario when there is none.
TracePair trace_pair(const training::TrainingSetup& setup, int layers, const std::string& trace_file);

// Simulated seconds of the pair's work that the traced classes of `model` stand for (compute
// classes slowed by the SMs the communication kernels take, as inside the pair); DeepEP
// dispatch and combine are reported together under DeepEpDispatch (the model prices a layer's
// transfers as one), and the dense GEMMs of both dtypes under GemmFp8 (the router's BF16 weight
// gradient among the weight gradients); DeepEpCombine and GemmBf16 give 0. MemoryBound leaves
// out rotary and elementwise, DeepEpDispatch the notify: each has its own class.
double simulated_s(const TracePair& pair, calib::ModelClass model);

}  // namespace moesim::cli
