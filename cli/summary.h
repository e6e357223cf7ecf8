#pragma once
#include <ostream>

#include "moesim/training/result.h"
#include "moesim/training/setup.h"

namespace moesim::cli {

// The terminal summary of one training run: layout, step, throughput, MFU, memory, what the
// whole run costs, where the time goes, and the assumptions behind the numbers.
void print_training_summary(std::ostream& out, const training::TrainingSetup& setup,
                            const training::TrainingResult& r);

}  // namespace moesim::cli
