#pragma once
// The three ways to simulate a training step (simulate.h), by the name `moesim run --fidelity`
// and the validation cases use (TrainingResult::fidelity):
//   analytic  closed form, the slowest pipeline rank and the schedule's bubble formula
//   event     one pipeline replica, chunk by chunk, on the discrete-event engine
//   full      every GPU, layer by layer, collectives synchronising their groups
#include <string>

namespace moesim::training {

enum class Fidelity { Invalid, Analytic, Event, Full };

// "analytic" | "event" | "full"; Invalid for anything else.
Fidelity fidelity_from_string(const std::string& name);
std::string to_string(Fidelity f);
// The names, for messages: "\"analytic\", \"event\" or \"full\"".
std::string fidelity_choices();

}  // namespace moesim::training
