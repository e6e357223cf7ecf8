// Serving traffic: seeded Poisson draws (common random numbers across rates) and CSV traces,
// whose errors name the scenario, the trace and the line.
#include <catch2/catch.hpp>

#include <fstream>

#include "run_moesim.h"
#include "fake_costs.h"
#include "moesim/common/error.h"
#include "moesim/inference/requests.h"

using namespace moesim;
using inference::read_request_trace;

TEST_CASE("requests: Poisson draws are seeded and only their times scale with the rate", "[inference]") {
    auto t = test::serving_scenario().inference.traffic;
    t.input_tokens = {workload::LengthDist::Lognormal, 2000, 1.0};
    t.output_tokens = {workload::LengthDist::Uniform, 0, 1.0, 10, 20};
    t.prefix_cache_hit_rate = 0.5;
    auto slow = inference::poisson_requests(t, 2, 1), fast = inference::poisson_requests(t, 4, 1);
    auto again = inference::poisson_requests(t, 2, 1), other = inference::poisson_requests(t, 2, 2);
    double input_sum = 0, gap_sum = 0, last = 0;
    bool differs = false;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        const auto a = *slow->next(), b = *fast->next(), c = *again->next(), d = *other->next();
        CHECK(a == c);
        CHECK(a.input_tokens == b.input_tokens);
        CHECK(a.output_tokens == b.output_tokens);
        CHECK(b.arrival_s == Approx(a.arrival_s / 2).epsilon(1e-12));
        differs = differs || d.input_tokens != a.input_tokens;
        CHECK(a.output_tokens >= 10);
        CHECK(a.output_tokens <= 20);
        CHECK(a.cached_tokens == std::min<std::int64_t>(std::llround(0.5 * static_cast<double>(a.input_tokens)), a.input_tokens - 1));
        CHECK(a.arrival_s > last);
        gap_sum += a.arrival_s - last;
        last = a.arrival_s;
        input_sum += static_cast<double>(a.input_tokens);
    }
    CHECK(differs);
    CHECK(gap_sum / n == Approx(0.5).epsilon(0.03));       // 1 / rate
    CHECK(input_sum / n == Approx(2000).epsilon(0.05));    // the lognormal's mean, not exp(mu)
}

TEST_CASE("requests: a trace is read with or without its header, blank lines skipped", "[inference]") {
    test::TempDir tmp;
    std::ofstream(tmp / "t.csv") << "arrival_s,input_tokens,output_tokens,cached_tokens\r\n0,10,2,0\r\n\n 0.5 , 20 , 3 , 20\n";
    const auto rows = read_request_trace("t.csv", "s.json", tmp.path().string());
    REQUIRE(rows.size() == 2);
    CHECK(rows[1] == inference::Request{0.5, 20, 3, 20});
    CHECK(rows[1].computed_tokens() == 1);
    std::ofstream(tmp / "u.csv") << "1,10,2,0\n1,10,2,0\n";
    CHECK(read_request_trace((tmp / "u.csv").string(), "s.json", "").size() == 2);  // equal times are in order
}

TEST_CASE("requests: a bad trace names the scenario, the trace and the line", "[inference]") {
    test::TempDir tmp;
    const auto bad = [&](const std::string& text, const std::string& line, const std::string& what) {
        std::ofstream(tmp / "bad.csv") << text;
        INFO(text);
        CHECK_THROWS_AS(read_request_trace("bad.csv", "serve.json", tmp.path().string()), ScenarioError);
        CHECK_THROWS_WITH(read_request_trace("bad.csv", "serve.json", tmp.path().string()),
                          Catch::StartsWith("serve.json: /inference/traffic/trace_file: request trace \"") &&
                              Catch::Contains("bad.csv\" " + line) && Catch::Contains(what));
    };
    bad("0,10,2,0\n-1,10,2,0\n", "line 2", "arrival_s -1 is negative");
    bad("0,10,2,0\n2,10,2,0\n1,10,2,0\n", "line 3", "earlier than the row before it");
    bad("0,10,2\n", "line 1", "expected 4 columns");
    bad("0,10,2,0,5\n", "line 1", "expected 4 columns");
    bad("0,10,2,\n", "line 1", "cached_tokens \"\" is not a whole number");
    bad("soon,10,2,0\n", "line 1", "arrival_s \"soon\" is not a number");
    bad("0,10.5,2,0\n", "line 1", "input_tokens \"10.5\" is not a whole number");
    bad("0,0,2,0\n", "line 1", "input_tokens 0 is below 1");
    bad("0,10,0,0\n", "line 1", "output_tokens 0 is below 1");
    bad("0,10,2,11\n", "line 1", "cached_tokens 11 exceeds input_tokens 10");
    bad("nan,10,2,0\n", "line 1", "is not a number");
    bad("\n\n", "has no requests", "expected rows of arrival_s,input_tokens,output_tokens,cached_tokens");
    CHECK_THROWS_WITH(read_request_trace("missing.csv", "serve.json", tmp.path().string()),
                      "serve.json: /inference/traffic/trace_file: cannot read the request trace \"missing.csv\": "
                      "No such file or directory");
}
