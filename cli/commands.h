#pragma once
#include <string>
#include <vector>

namespace moesim::cli {

using Args = std::vector<std::string>;

struct Command {
    std::string name;
    std::string summary;
    int (*run)(const Args&);
};

int cmd_run(const Args&);
int cmd_model(const Args&);
int cmd_models(const Args&);
int cmd_gpus(const Args&);
int cmd_runs(const Args&);
int cmd_comm(const Args&);
int cmd_validate(const Args&);
int cmd_report(const Args&);
int cmd_calibrate(const Args&);
int cmd_trace(const Args&);
int cmd_sweep(const Args&);
int cmd_search(const Args&);

}  // namespace moesim::cli
