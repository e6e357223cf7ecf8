// Enum spellings of schema 1 (DESIGN.md §3), shared by the parser, to_json and to_string.
#include "scenario_internal.h"

namespace moesim::workload {

namespace detail {

// One table per enum, in DESIGN.md order; Invalid has no spelling and is never accepted.
#define MOESIM_ENUM_NAMES(E, ...)                     \
    const EnumTable<E>& enum_names(E) {               \
        static const EnumTable<E> table{__VA_ARGS__}; \
        return table;                                 \
    }

MOESIM_ENUM_NAMES(Mode, {Mode::Training, "training"}, {Mode::Inference, "inference"})
MOESIM_ENUM_NAMES(Topology, {Topology::RailOptimized, "rail-optimized"}, {Topology::FatTree, "fat-tree"},
                  {Topology::SingleSwitch, "single-switch"})
MOESIM_ENUM_NAMES(Schedule, {Schedule::GPipe, "gpipe"}, {Schedule::OneFOneB, "1f1b"},
                  {Schedule::Interleaved1F1B, "interleaved-1f1b"}, {Schedule::ZB1P, "zb1p"},
                  {Schedule::DualPipe, "dualpipe"}, {Schedule::DualPipeV, "dualpipev"})
MOESIM_ENUM_NAMES(Recompute, {Recompute::None, "none"}, {Recompute::Selective, "selective"}, {Recompute::Full, "full"})
MOESIM_ENUM_NAMES(Precision, {Precision::BF16, "bf16"}, {Precision::FP8, "fp8"})
MOESIM_ENUM_NAMES(ExpertLoadKind, {ExpertLoadKind::Uniform, "uniform"}, {ExpertLoadKind::Zipf, "zipf"},
                  {ExpertLoadKind::Dirichlet, "dirichlet"}, {ExpertLoadKind::Trace, "trace"})
MOESIM_ENUM_NAMES(Deployment, {Deployment::Disaggregated, "disaggregated"}, {Deployment::Colocated, "colocated"})
MOESIM_ENUM_NAMES(Arrival, {Arrival::Poisson, "poisson"}, {Arrival::Trace, "trace"})
MOESIM_ENUM_NAMES(LengthDist, {LengthDist::Lognormal, "lognormal"}, {LengthDist::Fixed, "fixed"},
                  {LengthDist::Uniform, "uniform"})
MOESIM_ENUM_NAMES(PrefillBalancer, {PrefillBalancer::AttentionCost, "attention-cost"}, {PrefillBalancer::None, "none"})
MOESIM_ENUM_NAMES(DecodeAdmission, {DecodeAdmission::Hold, "hold"})
MOESIM_ENUM_NAMES(AttentionKernel, {AttentionKernel::Default, "default"}, {AttentionKernel::FA2, "fa2"},
                  {AttentionKernel::FA3, "fa3"}, {AttentionKernel::FlashMLA, "flashmla"})
MOESIM_ENUM_NAMES(EpComm, {EpComm::Default, "default"}, {EpComm::DeepEpNormal, "deepep-normal"},
                  {EpComm::DeepEpLowLatency, "deepep-ll"}, {EpComm::NcclAllToAll, "nccl-all2all"})
MOESIM_ENUM_NAMES(GemmLibrary, {GemmLibrary::Default, "default"}, {GemmLibrary::DeepGemm, "deepgemm"},
                  {GemmLibrary::Cublas, "cublas"})

#undef MOESIM_ENUM_NAMES

namespace {
template <class E>
std::string name_of(E e) {
    for (const auto& [value, name] : enum_names(e))
        if (value == e) return name;
    return "invalid";
}
}  // namespace

}  // namespace detail

std::string to_string(Mode e) {
    return detail::name_of(e);
}
std::string to_string(Topology e) {
    return detail::name_of(e);
}
std::string to_string(Schedule e) {
    return detail::name_of(e);
}
std::string to_string(Recompute e) {
    return detail::name_of(e);
}
std::string to_string(Precision e) {
    return detail::name_of(e);
}
std::string to_string(ExpertLoadKind e) {
    return detail::name_of(e);
}
std::string to_string(Deployment e) {
    return detail::name_of(e);
}
std::string to_string(Arrival e) {
    return detail::name_of(e);
}
std::string to_string(LengthDist e) {
    return detail::name_of(e);
}
std::string to_string(PrefillBalancer e) {
    return detail::name_of(e);
}
std::string to_string(DecodeAdmission e) {
    return detail::name_of(e);
}
std::string to_string(AttentionKernel e) {
    return detail::name_of(e);
}
std::string to_string(EpComm e) {
    return detail::name_of(e);
}
std::string to_string(GemmLibrary e) {
    return detail::name_of(e);
}

}  // namespace moesim::workload
