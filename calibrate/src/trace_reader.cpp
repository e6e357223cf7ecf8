#include "moesim/calib/trace_reader.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "text.h"

namespace moesim::calib {

const char* to_string(TraceEventKind kind) {
    switch (kind) {
        case TraceEventKind::Kernel: return "kernel";
        case TraceEventKind::Memcpy: return "gpu_memcpy";
        case TraceEventKind::Memset: return "gpu_memset";
    }
    return "?";
}

double Trace::span_us() const {
    if (kernels.empty()) return 0;
    double first = std::numeric_limits<double>::infinity(), last = -first;
    for (const auto& k : kernels) {
        first = std::min(first, k.ts_us);
        last = std::max(last, k.ts_us + k.dur_us);
    }
    return last - first;
}

namespace {

using detail::lower;

// Depths: 1 the document, 2 a top-level array, 3 one of its objects (an event or a device),
// 4 an object inside it (an event's args).
class TraceSax : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit TraceSax(Trace& out) : out_(out) {}

    bool saw_events() const { return saw_events_; }
    const std::string& error() const { return error_; }

    bool null() override { return scalar_done(); }
    bool boolean(bool) override { return scalar_done(); }
    bool number_integer(number_integer_t v) override { return number(static_cast<double>(v), v); }
    bool number_unsigned(number_unsigned_t v) override {
        return number(static_cast<double>(v), static_cast<std::int64_t>(std::min<number_unsigned_t>(v, INT64_MAX)));
    }
    bool number_float(number_float_t v, const string_t&) override { return number(v, static_cast<std::int64_t>(v)); }
    bool binary(binary_t&) override { return scalar_done(); }
    bool string(string_t& v) override {
        if (in_event(3)) {
            const std::string& k = key_[3];
            if (k == "ph") ph_ = v;
            else if (k == "cat") cat_ = lower(v);
            else if (k == "name") name_ = v;
            else if (k == "tid" && !has_stream_) tid_text_ = v;
        } else if (in_device(3) && !device_done_ && key_[3] == "name") {
            device_name_ = v;
        }
        return scalar_done();
    }
    bool start_object(std::size_t) override {
        ++depth_;
        if (depth_ == 1) document_object_ = true;
        if (in_event(3) && depth_ == 3) reset_event();
        return true;
    }
    bool end_object() override {
        if (depth_ == 3 && section_ == Section::Events) finish_event();
        if (depth_ == 3 && section_ == Section::Devices && !device_done_) {
            out_.device_name = device_name_;
            out_.device_sms = device_sms_;
            device_done_ = true;
        }
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override {
        ++depth_;
        if (depth_ == 2) {
            if (key_[1] == "traceEvents") section_ = Section::Events, saw_events_ = true;
            else if (key_[1] == "deviceProperties") section_ = Section::Devices;
            else section_ = Section::Other;
        }
        return true;
    }
    bool end_array() override {
        if (depth_ == 2) section_ = Section::None;
        --depth_;
        return true;
    }
    bool key(string_t& k) override {
        if (depth_ < kDepths) key_[depth_] = k;
        return true;
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
        error_ = "not valid JSON at byte " + std::to_string(position) + " (" + e.what() + ")";
        return false;
    }

private:
    static constexpr int kDepths = 6;
    enum class Section { None, Events, Devices, Other };

    bool in_event(int d) const { return section_ == Section::Events && depth_ == d; }
    bool in_device(int d) const { return section_ == Section::Devices && depth_ == d; }
    bool scalar_done() { return true; }
    bool number(double v, std::int64_t i) {
        if (in_event(3)) {
            const std::string& k = key_[3];
            if (k == "ts") ts_ = v, has_ts_ = true;
            else if (k == "dur") dur_ = v, has_dur_ = true;
            else if (k == "tid" && !has_stream_) tid_ = i, has_tid_ = true;
        } else if (in_event(4) && key_[3] == "args" && key_[4] == "stream") {
            stream_ = i;
            has_stream_ = true;
        } else if (in_device(3) && !device_done_ && key_[3] == "numSms") {
            device_sms_ = static_cast<int>(i);
        }
        return true;
    }
    void reset_event() {
        ph_.clear(), cat_.clear(), name_.clear(), tid_text_.clear();
        ts_ = dur_ = 0;
        tid_ = stream_ = -1;
        has_ts_ = has_dur_ = has_tid_ = has_stream_ = false;
    }
    void finish_event() {
        TraceEventKind kind;
        if (cat_ == "kernel") kind = TraceEventKind::Kernel;
        else if (cat_ == "gpu_memcpy") kind = TraceEventKind::Memcpy;
        else if (cat_ == "gpu_memset") kind = TraceEventKind::Memset;
        else {
            ++out_.other_events;
            return;
        }
        if (ph_ != "X" || !has_ts_ || !has_dur_) {
            ++out_.other_events;
            return;
        }
        TraceKernel k;
        k.kind = kind;
        k.ts_us = ts_;
        k.dur_us = dur_;
        k.stream = has_stream_ ? stream_ : has_tid_ ? tid_ : stream_from_text(tid_text_);
        const auto [it, added] = ids_.try_emplace(name_, static_cast<std::uint32_t>(out_.names.size()));
        if (added) out_.names.push_back(name_);
        k.name = it->second;
        out_.kernels.push_back(k);
    }
    // "stream 7" -> 7; anything else -1.
    static std::int64_t stream_from_text(const std::string& t) {
        const auto digits = t.find_first_of("0123456789");
        if (digits == std::string::npos) return -1;
        return std::stoll(t.substr(digits, 18));
    }

    Trace& out_;
    int depth_ = 0;
    Section section_ = Section::None;
    std::string key_[kDepths];
    bool document_object_ = false, saw_events_ = false, device_done_ = false;
    std::string error_;
    std::string ph_, cat_, name_, tid_text_, device_name_;
    double ts_ = 0, dur_ = 0;
    std::int64_t tid_ = -1, stream_ = -1;
    bool has_ts_ = false, has_dur_ = false, has_tid_ = false, has_stream_ = false;
    int device_sms_ = 0;
    std::unordered_map<std::string, std::uint32_t> ids_;
};

}  // namespace

Trace read_trace(const std::string& path) {
    // The shared reader refuses FIFOs, devices and files over 1 GiB; the events are then
    // parsed SAX-style from the text, keeping only GPU activity (about 1x the file in memory).
    const std::string text = read_input_file(path, "profiler trace", kMaxTraceBytes);
    Trace trace;
    trace.file = path;
    TraceSax sax(trace);
    const bool ok = nlohmann::json::sax_parse(text, &sax);
    if (!ok) {
        const std::string why = sax.error().empty() ? "not valid JSON" : sax.error();
        throw CalibrationError(path + ": " + why + "; is the trace complete (a profiler killed while writing leaves it truncated)?");
    }
    if (!sax.saw_events())
        throw CalibrationError(path + ": /traceEvents: no traceEvents array (a Chrome/Kineto trace has one)");
    if (std::none_of(trace.kernels.begin(), trace.kernels.end(), [](const TraceKernel& k) { return k.kind == TraceEventKind::Kernel; }))
        throw CalibrationError(path + ": /traceEvents: no GPU kernel (no complete event of category \"kernel\"; " +
                               std::to_string(trace.other_events) + " other events): was the profiler run with CUDA activities?");
    return trace;
}

}  // namespace moesim::calib
