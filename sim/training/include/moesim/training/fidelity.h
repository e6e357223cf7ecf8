#pragma once
// The three ways to estimate a training step, by the name `moesim run --fidelity` and the
// validation cases use (TrainingResult::fidelity):
//   analytic  closed form (analytic.h)
//   event     one pipeline replica on the discrete-event engine (event_sim.h)
//   full      every GPU, layer by layer, collectives synchronising their groups (full_sim.h)
#include <string>

#include "moesim/training/result.h"
#include "moesim/training/setup.h"

namespace moesim::training {

enum class Fidelity { Invalid, Analytic, Event, Full };

// "analytic" | "event" | "full"; Invalid for anything else.
Fidelity fidelity_from_string(const std::string& name);
std::string to_string(Fidelity f);
// The names, for messages: "\"analytic\", \"event\" or \"full\"".
std::string fidelity_choices();

// The step at that fidelity (default options).
TrainingResult simulate_step(const TrainingSetup& setup, Fidelity fidelity);

}  // namespace moesim::training
