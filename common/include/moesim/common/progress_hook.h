#pragma once
// How a long simulation says how far it has got (issue 14 item 4): the simulation calls the
// hook now and then with the work done and the work it expects in all, from its own thread;
// the caller decides what to show (the CLI draws "done/total, rate, ETA" on a terminal,
// cli/progress.h). An empty hook costs one test per call site. Nothing under sim/ prints.
#include <cstdint>
#include <functional>

namespace moesim {

// `done` never decreases; `total` may be revised as the work reveals itself (a search).
using ProgressHook = std::function<void(std::int64_t done, std::int64_t total)>;

}  // namespace moesim
