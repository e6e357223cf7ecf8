#pragma once
// A run's label: its scenario's name tagged with the overrides that made it, so that runs of
// one scenario are told apart in `moesim runs`, every report and --json (issue 18).
//   "deepseek-v3-pretrain"                         no override
//   "deepseek-v3-pretrain [pp=8 dp=256]"           --set /parallelism/pp=8 --set /parallelism/dp=256
//   "x [prefill/instances=2 decode/instances=4]"   two overrides ending in the same key: the
//                                                  shortest pointer suffix that tells them apart
//   "x [stages/3=4]"                               an array index keeps its parent
// The runs table keeps the bare name in `name` (reports select by it) and this in `label`.
#include <string>
#include <vector>

namespace moesim::report {

// `overrides`: "/json/pointer=value", in the order given; a later one for the same pointer
// replaces the earlier in the tag (as it did in the scenario).
std::string run_label(const std::string& name, const std::vector<std::string>& overrides);

// The override --find-max-load's search amounts to: "/inference/traffic/requests_per_s=V", V
// the rate in full (17 significant digits; the label shows 6).
std::string max_load_override(double requests_per_s);

}  // namespace moesim::report
