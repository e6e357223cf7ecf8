// read_input_file (common/input_file.h): what it reads, and every kind of path it refuses —
// each an InputFileError naming the path and why, raised before anything could block.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "moesim/common/input_file.h"
#include "run_moesim.h"

using moesim::InputFileError;
using moesim::read_input_file;
using moesim::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string write(const TempDir& tmp, const std::string& name, const std::string& text) {
    const std::string p = (tmp / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
}

// The reason read_input_file gives for `path`, after checking the message names the path.
std::string refusal(const std::string& path, std::uint64_t max_bytes = moesim::kMaxDocumentBytes) {
    const auto start = std::chrono::steady_clock::now();
    try {
        read_input_file(path, "scenario", max_bytes);
    } catch (const InputFileError& e) {
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
        CHECK_THAT(std::string(e.what()), StartsWith((path.empty() ? "" : path + ": ") + "cannot read the scenario file: "));
        CHECK(e.file() == path);
        return e.reason();
    }
    FAIL("read_input_file(" << path << ") did not refuse it");
    return {};
}

}  // namespace

TEST_CASE("read_input_file returns the whole of a regular file, through a symlink too", "[common][input]") {
    TempDir tmp;
    std::string text = "{\"a\": 1}\n";
    text += std::string(200'000, 'x');  // longer than one read
    text += '\0';
    const auto p = write(tmp, "doc.json", text);
    CHECK(read_input_file(p, "scenario", moesim::kMaxDocumentBytes) == text);
    std::filesystem::create_symlink(p, tmp / "link.json");
    CHECK(read_input_file((tmp / "link.json").string(), "scenario", moesim::kMaxDocumentBytes) == text);
    CHECK(read_input_file(p, "scenario", text.size()) == text);  // exactly at the limit
    CHECK(read_input_file(write(tmp, "empty", ""), "scenario", 0).empty());
}

TEST_CASE("read_input_file refuses what is not a readable regular file within the limit", "[common][input]") {
    TempDir tmp;
    SECTION("a missing file") { CHECK(refusal((tmp / "missing.json").string()) == "No such file or directory"); }
    SECTION("a directory") { CHECK(refusal(tmp.path().string()) == "it is a directory, not a regular file"); }
    SECTION("a FIFO, which would block a plain open") {
        const auto fifo = (tmp / "fifo").string();
        REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
        CHECK(refusal(fifo) == "it is a FIFO (named pipe), not a regular file");
    }
    SECTION("/dev/zero and /dev/urandom, which never end") {
        CHECK(refusal("/dev/zero") == "it is a character device, not a regular file");
        CHECK(refusal("/dev/urandom") == "it is a character device, not a regular file");
    }
    SECTION("a symlink loop") {
        std::filesystem::create_symlink(tmp / "b", tmp / "a");
        std::filesystem::create_symlink(tmp / "a", tmp / "b");
        CHECK(refusal((tmp / "a").string()) == "Too many levels of symbolic links");
        CHECK_THROWS_AS(moesim::input_file_exists((tmp / "a").string(), "scenario"), InputFileError);
    }
    SECTION("a file over the limit, refused without reading it") {
        const auto big = write(tmp, "big.json", "");
        std::filesystem::resize_file(big, moesim::kMaxDocumentBytes + 1);  // sparse
        CHECK(refusal(big) == "it holds 67108865 bytes, over the limit of 67108864 bytes (64 MiB) for a scenario file");
        CHECK_THAT(refusal(write(tmp, "small.json", "12345"), 4), Contains("it holds 5 bytes, over the limit of 4 bytes"));
    }
    SECTION("a file its reader may not read") {
        const auto secret = write(tmp, "secret.json", "{}");
        std::filesystem::permissions(secret, std::filesystem::perms::none);
        if (::geteuid() == 0) {
            WARN("running as root, which reads a mode-000 file: the permission case is not exercised");
        } else {
            CHECK(refusal(secret) == "Permission denied");
        }
    }
    SECTION("no path at all") { CHECK(refusal("") == "no path given"); }
}

TEST_CASE("input_file_exists: false only when nothing is there", "[common][input]") {
    TempDir tmp;
    const auto file = write(tmp, "f.json", "{}");
    CHECK(moesim::input_file_exists(file, "model config"));
    CHECK(moesim::input_file_exists(tmp.path().string(), "model config"));  // present; read_input_file refuses it
    CHECK_FALSE(moesim::input_file_exists((tmp / "none.json").string(), "model config"));
    CHECK_FALSE(moesim::input_file_exists(file + "/under-a-file.json", "model config"));
}

TEST_CASE("read_scenario_input reads beside the scenario first and reports as the scenario", "[common][input]") {
    TempDir tmp;
    std::filesystem::create_directories(tmp / "s");
    write(tmp, "s/trace.csv", "beside");
    const std::string dir = (tmp / "s").string();
    const auto got = moesim::read_scenario_input("trace.csv", dir, "x.json", "/a/file", "request trace", 100);
    CHECK(got.path == dir + "/trace.csv");
    CHECK(got.text == "beside");
    try {
        moesim::read_scenario_input("/dev/zero", dir, "x.json", "/a/file", "request trace", 100);
        FAIL("/dev/zero was read");
    } catch (const moesim::ScenarioError& e) {
        CHECK(std::string(e.what()) ==
              "x.json: /a/file: cannot read the request trace \"/dev/zero\": it is a character device, not a regular file");
    }
}
