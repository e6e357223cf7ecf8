#include "moesim/calib/measurement_file.h"

#include <cmath>
#include <sstream>
#include <type_traits>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/json_document.h"

namespace moesim::calib {

using nlohmann::json;

namespace {

// One list of fields per struct: writing and reading both walk it, so they cannot disagree.
template <class Device, class Visit>
void visit_device(Device& d, Visit&& v) {
    v("available", d.available);
    v("unavailable_reason", d.unavailable_reason);
    v("device_count", d.device_count);
    v("name", d.name);
    v("sm_count", d.sm_count);
    v("cc_major", d.cc_major);
    v("cc_minor", d.cc_minor);
    v("sm_clock_MHz", d.sm_clock_MHz);
    v("memory_clock_MHz", d.memory_clock_MHz);
    v("memory_bytes", d.memory_bytes);
    v("driver_version", d.driver_version);
    v("cuda_version", d.cuda_version);
    v("nccl_available", d.nccl_available);
    v("nccl_version", d.nccl_version);
}

template <class Plan, class Visit>
void visit_plan(Plan& p, Visit&& v) {
    v("quick", p.quick);
    v("warmup", p.warmup);
    v("repetitions", p.repetitions);
    v("kinds", p.kinds);
}

template <class Point, class Visit>
void visit_measurement(Point& m, Visit&& v) {
    v("kind", m.kind);
    v("impl", m.impl);
    v("op", m.op);
    v("dtype", m.dtype);
    v("shape", m.shape);
    v("time_s", m.time_s);
    v("flops", m.flops);
    v("bytes", m.bytes);
    v("TFLOPS", m.TFLOPS);
    v("GBps", m.GBps);
    v("algbw_GBps", m.algbw_GBps);
    v("busbw_GBps", m.busbw_GBps);
    v("reference_ok", m.reference_ok);
    v("max_error", m.max_error);
    v("check_detail", m.check_detail);
}

template <class T, class VisitFields>
json write_object(const T& value, VisitFields visit) {
    json out = json::object();
    visit(value, [&](const char* key, const auto& field) { out[key] = field; });
    return out;
}

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& path, const std::string& message) const {
        throw CalibrationError(file_ + ": " + (path.empty() ? "/" : path) + ": " + message);
    }

    // Every key of `j` must be one of the fields `visit` names, and every field present.
    template <class T, class VisitFields>
    T object(const json& j, const std::string& path, VisitFields visit) const {
        if (!j.is_object()) fail(path, "expected an object");
        T value{};
        std::vector<std::string> names;
        visit(value, [&](const char* key, auto& field) {
            names.push_back(key);
            const std::string p = path + "/" + key;
            if (!j.contains(key)) fail(p, "required key is missing");
            read(j.at(key), p, field);
        });
        for (auto it = j.begin(); it != j.end(); ++it)
            if (std::find(names.begin(), names.end(), it.key()) == names.end())
                fail(path + "/" + json_pointer_token(it.key()), "unknown key" + did_you_mean(it.key(), names));
        return value;
    }

    void read(const json& v, const std::string& p, bool& out) const {
        if (!v.is_boolean()) fail(p, std::string("expected true or false, got ") + v.type_name());
        out = v.get<bool>();
    }
    void read(const json& v, const std::string& p, std::string& out) const {
        if (!v.is_string()) fail(p, std::string("expected a string, got ") + v.type_name());
        out = v.get<std::string>();
    }
    void read(const json& v, const std::string& p, double& out) const {
        if (!v.is_number()) fail(p, std::string("expected a number, got ") + v.type_name());
        out = v.get<double>();
        if (!std::isfinite(out) || out < 0) fail(p, "must be a finite number >= 0, got " + v.dump());
    }
    void read(const json& v, const std::string& p, int& out) const {
        if (!v.is_number_integer()) fail(p, std::string("expected an integer, got ") + v.dump());
        const auto x = v.get<long long>();
        if (x < 0 || x > 1'000'000'000) fail(p, "must be an integer in [0, 1e9], got " + v.dump());
        out = static_cast<int>(x);
    }
    void read(const json& v, const std::string& p, std::vector<std::string>& out) const {
        if (!v.is_array()) fail(p, std::string("expected an array of strings, got ") + v.type_name());
        out.resize(v.size());
        for (std::size_t i = 0; i < v.size(); ++i) read(v[i], p + "/" + std::to_string(i), out[i]);
    }
    void read(const json& v, const std::string& p, std::map<std::string, double>& out) const {
        if (!v.is_object()) fail(p, std::string("expected an object of numbers, got ") + v.type_name());
        for (auto it = v.begin(); it != v.end(); ++it) read(it.value(), p + "/" + json_pointer_token(it.key()), out[it.key()]);
    }

private:
    std::string file_;
};

const auto kDevice = [](auto& d, auto&& v) { visit_device(d, v); };
const auto kPlan = [](auto& p, auto&& v) { visit_plan(p, v); };
const auto kMeasurement = [](auto& m, auto&& v) { visit_measurement(m, v); };

}  // namespace

json to_json(const MeasurementFile& f) {
    json measurements = json::array();
    for (const auto& m : f.measurements) measurements.push_back(write_object(m, kMeasurement));
    return {{"format", kMeasurementFileFormat},
            {"kind", "moesim-measurements"},
            {"created", f.created},
            {"tool_version", f.tool_version},
            {"device", write_object(f.device, kDevice)},
            {"plan", write_object(f.plan, kPlan)},
            {"measurements", std::move(measurements)}};
}

MeasurementFile measurement_file_from_json(const json& j, const std::string& file) {
    const Reader r(file);
    if (!j.is_object()) r.fail("", "a measurement file must be a JSON object");
    if (!j.contains("format")) r.fail("/format", "required key is missing");
    if (!j.at("format").is_number_integer()) r.fail("/format", "expected an integer");
    const auto format = j.at("format").get<long long>();
    if (format > kMeasurementFileFormat)
        r.fail("/format", "format " + std::to_string(format) + " was written by a newer moesim; this moesim reads format " +
                              std::to_string(kMeasurementFileFormat));
    if (format < 1) r.fail("/format", "expected " + std::to_string(kMeasurementFileFormat));
    MeasurementFile f;
    const std::vector<std::string> keys = {"format", "kind", "created", "tool_version", "device", "plan", "measurements"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
            r.fail("/" + json_pointer_token(it.key()), "unknown key" + did_you_mean(it.key(), keys));
    for (const auto& key : keys)
        if (!j.contains(key)) r.fail("/" + key, "required key is missing");
    std::string kind;
    r.read(j.at("kind"), "/kind", kind);
    if (kind != "moesim-measurements") r.fail("/kind", "expected \"moesim-measurements\" (is this a calibration profile?)");
    r.read(j.at("created"), "/created", f.created);
    r.read(j.at("tool_version"), "/tool_version", f.tool_version);
    f.device = r.object<kernels::DeviceInfo>(j.at("device"), "/device", kDevice);
    f.plan = r.object<kernels::SuitePlan>(j.at("plan"), "/plan", kPlan);
    const json& ms = j.at("measurements");
    if (!ms.is_array() || ms.empty()) r.fail("/measurements", "expected a non-empty array");
    for (std::size_t i = 0; i < ms.size(); ++i)
        f.measurements.push_back(r.object<kernels::Measurement>(ms[i], "/measurements/" + std::to_string(i), kMeasurement));
    return f;
}

MeasurementFile read_measurement_file(const std::string& path) {
    json j;
    try {
        j = parse_json_document(read_input_file(path, "measurement", kMaxDocumentBytes), path);
    } catch (const ScenarioError& e) {  // a measurement file's errors are calibration errors
        throw CalibrationError(e.what());
    }
    return measurement_file_from_json(j, path);
}

}  // namespace moesim::calib
