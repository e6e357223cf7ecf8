#pragma once
// Reading a profiler trace in Chrome trace format, as the PyTorch profiler (Kineto) writes it:
// {"traceEvents": [{"ph": "X", "cat": "kernel", "name": …, "ts": µs, "dur": µs, "tid": …,
// "args": {"stream": …}}, …], "deviceProperties": [{"name": "NVIDIA H800", "numSms": 132}, …]}.
//
// What is kept: complete ("X") events of category kernel, gpu_memcpy and gpu_memset (case
// ignored), each with its name, stream (args.stream, else tid), start and duration; CPU
// operators, runtime calls, flows and annotations are counted and dropped. The first
// deviceProperties entry names the GPU.
//
// The file is read as a stream of tokens (nlohmann::json::sax_parse), never as a document:
// memory is the kept events (a few dozen bytes each, names stored once), not the file.
// Errors (CalibrationError, "FILE: …", nothing kept): a file that cannot be opened, JSON that
// is malformed or truncated (with the byte offset), no traceEvents array, no GPU kernel.
#include <cstdint>
#include <string>
#include <vector>

namespace moesim::calib {

enum class TraceEventKind : std::uint8_t { Kernel, Memcpy, Memset };
const char* to_string(TraceEventKind kind);

struct TraceKernel {
    std::uint32_t name = 0;  // index into Trace::names
    TraceEventKind kind = TraceEventKind::Kernel;
    std::int64_t stream = -1;
    double ts_us = 0, dur_us = 0;
};

struct Trace {
    std::string file;                 // as given
    std::vector<std::string> names;   // distinct event names, in order of first appearance
    std::vector<TraceKernel> kernels; // in file order
    std::string device_name;          // deviceProperties[0].name; empty when the trace has none
    int device_sms = 0;               // deviceProperties[0].numSms; 0 when absent
    std::int64_t other_events = 0;    // events that are not GPU work (CPU ops, flows, …)

    const std::string& name_of(const TraceKernel& k) const { return names[k.name]; }
    // From the earliest start to the latest end of the kept events (µs); 0 when none.
    double span_us() const;
};

Trace read_trace(const std::string& path);

}  // namespace moesim::calib
