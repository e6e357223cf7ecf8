#include "moesim/training/fidelity.h"


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

}  // namespace moesim::training
