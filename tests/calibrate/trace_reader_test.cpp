// Reading a profiler trace (calibrate/trace_reader.h) on the fixture cut from DeepSeek's
// released training profile (tests/calibrate/fixtures/README.md): what is kept, what is
// ignored, and the files it refuses.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "moesim/calib/trace_reader.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "run_moesim.h"

using moesim::CalibrationError;
using moesim::calib::read_trace;
using moesim::calib::TraceEventKind;
using moesim::test::source_path;
using moesim::test::TempDir;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kFixture = "tests/calibrate/fixtures/deepseek-v3-pair-1layer.json";

json fixture_document() {
    std::ifstream in(source_path(kFixture));
    return json::parse(in);
}

std::string write(const TempDir& tmp, const std::string& name, const std::string& text) {
    const auto p = tmp / name;
    std::ofstream(p) << text;
    return p.string();
}

}  // namespace

TEST_CASE("the reader keeps every GPU event of the fixture, with its stream, and ignores CPU events", "[calibrate]") {
    const json doc = fixture_document();
    std::size_t gpu = 0, other = 0;
    std::set<std::int64_t> streams;
    double total_us = 0;
    for (const auto& e : doc.at("traceEvents")) {
        const std::string cat = e.value("cat", "");
        if (cat == "kernel" || cat == "gpu_memcpy" || cat == "gpu_memset") {
            ++gpu;
            streams.insert(e.at("args").at("stream").get<std::int64_t>());
            total_us += e.at("dur").get<double>();
        } else {
            ++other;
        }
    }
    REQUIRE(gpu > 100);
    const auto t = read_trace(source_path(kFixture));
    CHECK(t.kernels.size() == gpu);
    CHECK(t.other_events == static_cast<std::int64_t>(other));
    CHECK(t.device_name == doc.at("deviceProperties")[0].at("name").get<std::string>());
    CHECK(t.device_sms == doc.at("deviceProperties")[0].at("numSms").get<int>());
    std::set<std::int64_t> read_streams;
    double read_us = 0;
    for (const auto& k : t.kernels) read_streams.insert(k.stream), read_us += k.dur_us;
    CHECK(read_streams == streams);
    CHECK(read_us == Approx(total_us).epsilon(1e-12));
    CHECK(std::count_if(t.kernels.begin(), t.kernels.end(), [](const auto& k) { return k.kind == TraceEventKind::Memset; }) > 0);
    // Names are stored once.
    CHECK(t.names.size() < t.kernels.size());
    CHECK(std::set<std::string>(t.names.begin(), t.names.end()).size() == t.names.size());
}

TEST_CASE("a truncated trace is refused naming the file and where it stops", "[calibrate]") {
    TempDir tmp;
    std::ifstream in(source_path(kFixture));
    std::stringstream s;
    s << in.rdbuf();
    const std::string text = s.str();
    const auto path = write(tmp, "cut.json", text.substr(0, text.size() / 2));
    CHECK_THROWS_WITH(read_trace(path), Contains(path) && Contains("not valid JSON at byte") && Contains("truncated"));
}

TEST_CASE("a trace without GPU kernels, or without traceEvents, is refused", "[calibrate]") {
    TempDir tmp;
    const auto cpu_only = write(tmp, "cpu.json", R"({"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "ts": 1, "dur": 2}]})");
    CHECK_THROWS_WITH(read_trace(cpu_only), Contains(cpu_only) && Contains("no GPU kernel"));
    const auto none = write(tmp, "none.json", R"({"schemaVersion": 1})");
    CHECK_THROWS_WITH(read_trace(none), Contains(none) && Contains("/traceEvents"));
    CHECK_THROWS_AS(read_trace((tmp / "missing.json").string()), moesim::InputFileError);
    // Read through the shared reader: a FIFO or a device is refused at once, never read.
    const auto fifo = (tmp / "fifo.json").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(read_trace(fifo), Contains(fifo) && Contains("not a regular file"));
    CHECK_THROWS_WITH(read_trace("/dev/zero"), Contains("/dev/zero") && Contains("not a regular file"));
}

TEST_CASE("the stream comes from args.stream, else from tid (a number or 'stream N')", "[calibrate]") {
    TempDir tmp;
    const auto path = write(tmp, "t.json", R"J({"traceEvents": [
      {"ph": "X", "cat": "kernel", "name": "a", "ts": 10, "dur": 2, "tid": 3, "args": {"stream": 9}},
      {"ph": "X", "cat": "Kernel", "name": "b", "ts": 12.5, "dur": 1.5, "tid": 4},
      {"ph": "X", "cat": "kernel", "name": "a", "ts": 20, "dur": 1, "tid": "stream 11"},
      {"ph": "i", "cat": "kernel", "name": "instant", "ts": 30}]})J");
    const auto t = read_trace(path);
    REQUIRE(t.kernels.size() == 3);
    CHECK(t.kernels[0].stream == 9);
    CHECK(t.kernels[1].stream == 4);
    CHECK(t.kernels[2].stream == 11);
    CHECK(t.name_of(t.kernels[2]) == "a");
    CHECK(t.names.size() == 2);
    CHECK(t.other_events == 1);
    CHECK(t.span_us() == Approx(11.0));  // 10 to 21
}
