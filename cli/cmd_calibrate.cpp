// `moesim calibrate`: runs the bundled kernels and NCCL sweeps on this machine's GPUs
// (kernels/runner.h), refuses any run in which a kernel disagreed with its CPU reference,
// fits a calibration profile (calibrate/fit.h) and writes it, with every raw point in the
// results database (DESIGN.md §1, §4). `--measurements FILE` fits from a saved run instead
// of measuring; `--derive GPU --from PROFILE` re-expresses a profile for another GPU of the
// same chip (calibrate/derive.h). Whatever is refused — no GPU, no NCCL, a failed check, a
// bad file — exits 2 with nothing written.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "calibrate_trace.h"
#include "commands.h"
#include "moesim/calib/derive.h"
#include "moesim/calib/fit.h"
#include "moesim/calib/measurement_file.h"
#include "moesim/calib/points.h"
#include "moesim/calib/profile_text.h"
#include "moesim/common/error.h"
#include "moesim/hw/calibration_profile.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/kernels/runner.h"
#include "moesim/reports/results_db.h"
#include "options.h"
#include "staged_files.h"

namespace moesim::cli {

namespace {

namespace fs = std::filesystem;

std::string rate_line(const kernels::Measurement& m) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1);
    if (m.kind == "collective")
        s << m.busbw_GBps << " GB/s bus";
    else if (m.kind == "memory" || m.kind == "permute")
        s << calib::achieved_GBps(m) << " GB/s";
    else
        s << calib::achieved_TFLOPS(m) << " TFLOPS";
    s << std::setprecision(2) << ", " << m.time_s * 1e6 << " us, check " << (m.reference_ok ? "ok" : "FAILED");
    return s.str();
}

int derive(const std::string& gpu_name, const std::string& from, std::optional<std::string> out) {
    const std::string cwd = fs::current_path().string();
    const hw::CalibrationProfile source = hw::load_profile(from, cwd);
    const hw::GpuSpec target = hw::load_gpu(gpu_name, cwd, nullptr);
    calib::DeriveOptions options;
    options.from_label = from;
    options.date = today_utc();
    const nlohmann::json doc = calib::derive_profile(source, target, options);
    const fs::path out_path = out ? fs::path(*out) : fs::path("calibrations") / (doc.at("name").get<std::string>() + ".json");
    check_new_file("--out", out_path, !out);
    StagedFiles files;
    files.add("--out", out_path, calib::profile_text(doc));
    files.commit();
    std::cout << "derived profile '" << doc.at("name").get<std::string>() << "' for " << target.name << " from '"
              << source.name() << "' (" << source.gpu() << "): " << out_path.string() << "\n";
    return 0;
}

}  // namespace

int cmd_calibrate(const Args& args) {
    po::options_description options("options");
    std::string db_path, gpu, base, measurements, save_measurements, derive_gpu, from, out, trace, scenario, rules;
    options.add_options()
        ("quick", "a few shapes per kernel (minutes) instead of the full sweep")
        ("out", po::value(&out), "profile file to write (default calibrations/<gpu>-measured-<date>.json)")
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database for the profile and its raw points")
        ("gpu", po::value(&gpu), "GPU spec whose peaks the efficiencies are fractions of: built-in name or spec file "
                                 "(default: the built-in the device's name matches)")
        ("base", po::value(&base), "profile to copy what one machine cannot measure from (internode collectives, "
                                   "DeepEP; default h800-published for Hopper GPUs)")
        ("save-measurements", po::value(&save_measurements), "also write the raw measurements to this file")
        ("measurements", po::value(&measurements), "fit from a file written by --save-measurements instead of "
                                                   "running the kernels (no GPU needed)")
        ("derive", po::value(&derive_gpu), "derive a profile for this GPU (e.g. H800) from --from (same chip, other links)")
        ("from", po::value(&from), "with --derive: the measured profile (e.g. an H100's)")
        ("from-trace", po::value(&trace), "fit from a profiler trace (Chrome/Kineto JSON) instead of running kernels")
        ("scenario", po::value(&scenario), "with --from-trace: the training scenario of the traced configuration")
        ("rules", po::value(&rules), "with --from-trace: kernel-name rules put before the bundled ones (JSON)")
        ("json", "with --from-trace: print the classes and the fit as JSON");
    po::variables_map vm;
    const std::string usage =
        "moesim calibrate [--quick] [--out FILE] [--db PATH] [--gpu NAME|SPEC.json] [--base PROFILE]\n"
        "                        [--save-measurements FILE] [--measurements FILE]\n"
        "       moesim calibrate --derive GPU --from PROFILE [--out FILE]\n"
        "       moesim calibrate --from-trace TRACE.json --scenario S.json [--out FILE] [--db PATH] [--rules FILE] [--json]\n\n"
        "Runs the bundled CUDA kernels (FP8 block-scaled and BF16 GEMMs, grouped GEMMs, MLA attention, HBM copy) and\n"
        "NCCL sweeps on this machine, checks every result against its CPU reference, fits a calibration profile\n"
        "(format 1) and writes it, plus every raw point in the results database. Without a GPU or NCCL, or when a\n"
        "kernel fails its check, it exits 2 and writes nothing. The fit rules are in calibrate/include/moesim/calib/\n"
        "fit.h, the derive rule in derive.h, the trace fit in trace_fit.h (kernel-name rules: calibrate/data/trace_rules.json).";
    if (!parse_options(args, usage, options, {}, vm)) return 0;
    if (vm.count("from-trace") || vm.count("scenario") || vm.count("rules") || vm.count("json")) {
        if (!vm.count("from-trace") || !vm.count("scenario")) throw UserError("--from-trace TRACE and --scenario S.json go together (--rules and --json need them)");
        for (const char* other : {"quick", "gpu", "base", "save-measurements", "measurements", "derive", "from"})
            if (vm.count(other)) throw UserError(std::string("--") + other + " does not apply to --from-trace");
        TraceCalibrateOptions o;
        o.trace = trace;
        o.scenario = scenario;
        if (vm.count("out")) o.out = out;
        if (vm.count("rules")) o.rules = rules;
        o.db_path = db_path;
        o.json = vm.count("json") > 0;
        return calibrate_from_trace(o);
    }
    if (vm.count("derive") || vm.count("from")) {
        if (!vm.count("derive") || !vm.count("from")) throw UserError("--derive GPU and --from PROFILE go together");
        for (const char* measuring_only : {"quick", "gpu", "base", "save-measurements", "measurements"})
            if (vm.count(measuring_only)) throw UserError(std::string("--") + measuring_only + " does not apply to --derive");
        if (!vm["db"].defaulted()) throw UserError("--db does not apply to --derive (a derived profile has no raw points)");
        return derive(derive_gpu, from, vm.count("out") ? std::optional<std::string>(out) : std::nullopt);
    }
    if (vm.count("measurements") && (vm.count("quick") || vm.count("save-measurements")))
        throw UserError("--measurements fits a saved run: --quick and --save-measurements do not apply");

    // What was measured, or is about to be: the device and the plan.
    calib::MeasurementFile run;
    const bool measuring = !vm.count("measurements");
    if (measuring) {
        run.device = kernels::query_device();
        calib::check_can_measure(run.device);
        run.plan.quick = vm.count("quick") > 0;
        run.created = today_utc();
        run.tool_version = std::string("moesim ") + MOESIM_VERSION + " (" + MOESIM_GIT_REVISION + ")";
    } else {
        run = calib::read_measurement_file(measurements);
    }

    const std::string cwd = fs::current_path().string();
    const hw::GpuSpec spec = vm.count("gpu") ? hw::load_gpu(gpu, cwd, nullptr) : calib::gpu_spec_for(run.device);
    std::optional<hw::CalibrationProfile> base_profile;
    if (vm.count("base")) base_profile = hw::load_profile(base, cwd);
    const fs::path out_path = vm.count("out") ? fs::path(out) : fs::path("calibrations") / (calib::default_profile_name(spec, run.created) + ".json");
    check_new_file("--out", out_path, !vm.count("out"));
    if (vm.count("save-measurements")) check_new_file("--save-measurements", save_measurements, false);
    const fs::path db_dir = fs::absolute(db_path).parent_path();
    if (!fs::is_directory(db_dir)) throw UserError("--db " + db_path + ": directory " + db_dir.string() + " does not exist");

    if (measuring) {
        std::cout << "measuring on " << run.device.device_count << " x " << run.device.name << " (driver "
                  << run.device.driver_version << ", CUDA " << run.device.cuda_version << ", NCCL "
                  << run.device.nccl_version << "), " << (run.plan.quick ? "quick" : "full") << " plan\n";
        std::size_t count = 0;
        try {
            run.measurements = kernels::run_suite(run.plan, [&](const kernels::Measurement& m) {
                std::cout << "  [" << ++count << "] " << calib::describe(m) << ": " << rate_line(m) << std::endl;
            });
        } catch (const kernels::KernelUnavailable& e) {
            throw CalibrationError(std::string("the kernels cannot run here: ") + e.what() + ". Nothing was written.");
        }
    }

    calib::FitOptions fit;
    fit.date = run.created;
    fit.tool_version = run.tool_version;
    fit.plan = run.plan;
    fit.base = base_profile ? &*base_profile : nullptr;
    const nlohmann::json doc = calib::fit_profile(run.measurements, run.device, spec, fit);

    // Everything is written together: the files staged, the database in one transaction,
    // then the files renamed into place.
    const std::string text = calib::profile_text(doc);
    StagedFiles files;
    files.add("--out", out_path, text);
    if (vm.count("save-measurements")) files.add("--save-measurements", save_measurements, calib::to_json(run).dump(2) + "\n");
    report::ResultsDb db(db_path);
    report::CalibrationRecord record;
    record.name = doc.at("name").get<std::string>();
    record.gpu = spec.name;
    // The document as a run that names the written file will record it, so both find one row.
    record.profile_json = hw::CalibrationProfile::from_json(nlohmann::json::parse(text), out_path.string()).document();
    record.provenance = "measured on " + std::to_string(run.device.device_count) + " x " + run.device.name + " (" +
                        run.created + ") by " + run.tool_version + (measuring ? "" : "; fitted from " + measurements);
    std::vector<report::CalibrationPoint> points;
    for (const auto& p : calib::raw_points(run.measurements)) points.push_back({p.kind, p.key, p.value, p.unit, p.source});
    const std::int64_t id = db.record_calibration(record, points);
    files.commit();

    std::cout << "profile '" << record.name << "' (" << spec.name << "): " << doc.at("gemm").size() << " GEMM, "
              << doc.at("grouped_gemm").size() << " grouped GEMM, " << doc.at("memory_bound").size() << " memory and "
              << doc.at("collectives").size() << " collective points from " << run.measurements.size()
              << " measurements\n"
              << "written: " << out_path.string() << "; calibration " << id << " with its raw points in " << db.path()
              << "\n";
    if (vm.count("save-measurements")) std::cout << "written: " << save_measurements << " (raw measurements)\n";
    return 0;
}

}  // namespace moesim::cli
