#include "moesim/training/fidelity.h"

#include "moesim/common/error.h"
#include "moesim/training/analytic.h"
#include "moesim/training/event_sim.h"
#include "moesim/training/full_sim.h"

namespace moesim::training {

Fidelity fidelity_from_string(const std::string& name) {
    if (name == "analytic") return Fidelity::Analytic;
    if (name == "event") return Fidelity::Event;
    if (name == "full") return Fidelity::Full;
    return Fidelity::Invalid;
}

std::string to_string(Fidelity f) {
    switch (f) {
        case Fidelity::Analytic: return "analytic";
        case Fidelity::Event: return "event";
        case Fidelity::Full: return "full";
        case Fidelity::Invalid: break;
    }
    return "invalid";
}

std::string fidelity_choices() { return "\"analytic\", \"event\" or \"full\""; }

TrainingResult simulate_step(const TrainingSetup& setup, Fidelity fidelity) {
    switch (fidelity) {
        case Fidelity::Analytic: return estimate_step_analytic(setup);
        case Fidelity::Event: return simulate_step_event(setup);
        case Fidelity::Full: return simulate_step_full(setup);
        case Fidelity::Invalid: break;
    }
    MOESIM_CHECK(false, "simulate_step: invalid fidelity");
    return {};
}

}  // namespace moesim::training
