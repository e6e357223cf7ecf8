#include "moesim/hw/gpu_spec.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/embedded.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/json_document.h"
#include "io.h"

extern const moesim::EmbeddedFile* moesim_embedded_gpus(std::size_t*);

namespace moesim::hw {

namespace {

// One numeric field of GpuSpec: its JSON key, where it lives and its documented range
// (inclusive; a reserve may be 0, every datasheet peak must be positive).
struct NumberField {
    const char* key;
    double GpuSpec::*real;
    int GpuSpec::*integer;
    bool required;
    double min;
    double max;
};

const std::vector<NumberField>& number_fields() {
    static const std::vector<NumberField> fields = {
        {"sm_count", nullptr, &GpuSpec::sm_count, true, 1, 65536},
        {"clock_MHz", &GpuSpec::clock_MHz, nullptr, true, 1, 1e5},
        {"hbm_bytes", &GpuSpec::hbm_bytes, nullptr, true, 1e6, 1e15},
        {"hbm_GBps", &GpuSpec::hbm_GBps, nullptr, true, 1e-3, 1e6},
        {"bf16_dense_TFLOPS", &GpuSpec::bf16_dense_TFLOPS, nullptr, true, 1, 1e5},
        {"fp8_dense_TFLOPS", &GpuSpec::fp8_dense_TFLOPS, nullptr, true, 1, 1e5},
        {"nvlink_GBps", &GpuSpec::nvlink_GBps, nullptr, true, 1e-3, 1e6},
        {"nics_per_gpu", nullptr, &GpuSpec::nics_per_gpu, false, 1, 64},
        {"nic_Gbps", &GpuSpec::nic_Gbps, nullptr, false, 1e-3, 1e6},
        {"tdp_W", &GpuSpec::tdp_W, nullptr, true, 1, 1e5},
        {"runtime_reserve_bytes", &GpuSpec::runtime_reserve_bytes, nullptr, false, 0, 1e15},
        {"ep_buffer_bytes", &GpuSpec::ep_buffer_bytes, nullptr, false, 0, 1e15},
        {"fragmentation_fraction", &GpuSpec::fragmentation_fraction, nullptr, false, 0, 0.99},
    };
    return fields;
}

std::vector<std::string> all_keys() {
    std::vector<std::string> keys = {"name", "sources"};
    for (const auto& f : number_fields()) keys.emplace_back(f.key);
    return keys;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

// Sets one numeric field from `value`; the error names `file` and `path`.
void set_number(GpuSpec& gpu, const NumberField& f, const nlohmann::json& value, const std::string& file,
                const std::string& path) {
    if (!value.is_number()) throw ScenarioError(file, path, std::string("expected a number, got ") + value.type_name());
    const double v = value.get<double>();
    if (!std::isfinite(v)) throw ScenarioError(file, path, "must be a finite number, got " + value.dump());
    if (auto why = range_violation({f.key, f.min, f.max}, v); !why.empty()) throw ScenarioError(file, path, why);
    if (f.integer) {
        if (v != std::floor(v)) throw ScenarioError(file, path, "must be an integer, got " + value.dump());
        gpu.*(f.integer) = static_cast<int>(v);
    } else {
        gpu.*(f.real) = v;
    }
}

const NumberField* find_field(const std::string& key) {
    for (const auto& f : number_fields())
        if (key == f.key) return &f;
    return nullptr;
}

}  // namespace

std::span<const ValueRange> gpu_spec_ranges() {
    static const std::vector<ValueRange> table = [] {
        static std::vector<std::string> paths;
        for (const auto& f : number_fields()) paths.push_back(std::string("/") + f.key);
        std::vector<ValueRange> out;
        for (std::size_t i = 0; i < paths.size(); ++i)
            out.push_back({paths[i].c_str(), number_fields()[i].min, number_fields()[i].max});
        return out;
    }();
    return table;
}

double dense_peak_TFLOPS(const GpuSpec& gpu, Dtype dtype) {
    return dtype == Dtype::FP8 ? gpu.fp8_dense_TFLOPS : gpu.bf16_dense_TFLOPS;
}

std::vector<std::string> builtin_gpu_names() {
    std::size_t count = 0;
    const EmbeddedFile* table = moesim_embedded_gpus(&count);
    return detail::embedded_stems(table, count);
}

GpuSpec parse_gpu_spec(const nlohmann::json& j, const std::string& file) {
    if (!j.is_object()) throw ScenarioError(file, "", "a GPU spec must be a JSON object");
    const auto keys = all_keys();
    for (auto it = j.begin(); it != j.end(); ++it)
        if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
            throw ScenarioError(file, "/" + it.key(), "unknown GPU spec key" + did_you_mean(it.key(), keys));
    GpuSpec gpu;
    if (!j.contains("name") || !j.at("name").is_string() || j.at("name").get<std::string>().empty())
        throw ScenarioError(file, "/name", "required: a non-empty string");
    gpu.name = j.at("name").get<std::string>();
    for (const auto& f : number_fields()) {
        if (!j.contains(f.key)) {
            if (f.required) throw ScenarioError(file, std::string("/") + f.key, "required key is missing");
            continue;
        }
        set_number(gpu, f, j.at(f.key), file, std::string("/") + f.key);
    }
    if (j.contains("sources")) {
        const auto& s = j.at("sources");
        if (!s.is_object()) throw ScenarioError(file, "/sources", "expected an object of field -> citation");
        for (auto it = s.begin(); it != s.end(); ++it) {
            if (!it.value().is_string())
                throw ScenarioError(file, "/sources/" + it.key(), "expected a citation string");
            gpu.sources[it.key()] = it.value().get<std::string>();
        }
    }
    return gpu;
}

GpuSpec load_gpu(const std::string& name_or_path, const std::string& base_dir, const nlohmann::json& overrides) {
    std::size_t count = 0;
    const EmbeddedFile* table = moesim_embedded_gpus(&count);
    const auto names = builtin_gpu_names();
    const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                                 (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
    GpuSpec gpu;
    if (!looks_like_path) {
        auto match = std::find_if(names.begin(), names.end(),
                                  [&](const std::string& n) { return lower(n) == lower(name_or_path); });
        if (match == names.end())
            throw ScenarioError("", "/cluster/gpu",
                                "unknown GPU \"" + name_or_path + "\"; built-in GPUs are H100, H200, H800, or give "
                                "the path of a GPU spec JSON" + did_you_mean(name_or_path, names));
        const std::string base = *match + ".json";
        const auto text = find_embedded(table, count, base);
        MOESIM_CHECK(text.has_value(), "embedded GPU spec " + base);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(*text);
        } catch (const nlohmann::json::parse_error& e) {
            throw InternalError("embedded GPU spec " + base + " is not JSON: " + e.what());
        }
        gpu = parse_gpu_spec(j, "<built-in>/" + base);
    } else {
        std::filesystem::path p(name_or_path);
        if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
        std::string text;
        try {
            if (!input_file_exists(p.string(), "GPU spec"))
                throw ScenarioError("", "/cluster/gpu", "GPU spec file " + p.string() + " does not exist");
            text = read_input_file(p.string(), "GPU spec", kMaxDocumentBytes);
        } catch (const InputFileError& e) {  // named where the scenario names it
            throw ScenarioError("", "/cluster/gpu", "GPU spec file " + p.string() + ": " + e.reason());
        }
        gpu = parse_gpu_spec(parse_json_document(text, p.string()), p.string());
    }

    if (overrides.is_null()) return gpu;
    if (!overrides.is_object()) throw ScenarioError("", "/cluster/gpu_overrides", "expected an object");
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        const std::string path = "/cluster/gpu_overrides/" + it.key();
        if (it.key() == "name") {
            if (!it.value().is_string() || it.value().get<std::string>().empty())
                throw ScenarioError("", path, "expected a non-empty string");
            gpu.name = it.value().get<std::string>();
            continue;
        }
        const NumberField* f = find_field(it.key());
        if (!f) {
            std::vector<std::string> candidates = {"name"};
            for (const auto& nf : number_fields()) candidates.emplace_back(nf.key);
            throw ScenarioError("", path, "unknown GPU field" + did_you_mean(it.key(), candidates));
        }
        set_number(gpu, *f, it.value(), "", path);
    }
    return gpu;
}

nlohmann::json to_json(const GpuSpec& gpu) {
    nlohmann::json j;
    j["name"] = gpu.name;
    for (const auto& f : number_fields()) {
        if (f.integer)
            j[f.key] = gpu.*(f.integer);
        else
            j[f.key] = gpu.*(f.real);
    }
    j["sources"] = gpu.sources;
    return j;
}

}  // namespace moesim::hw
