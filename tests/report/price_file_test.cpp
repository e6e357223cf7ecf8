// Prices from a user's JSON file: strict validation naming file and JSON path, and adding
// them to the database all or nothing. Also: the seeded prices are PUBLISHED.md G's.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "moesim/common/error.h"
#include "moesim/reports/price_file.h"
#include "moesim/reports/price_list.h"
#include "moesim/reports/render.h"
#include "report_db_fixtures.h"

using namespace moesim::report;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

json valid_entry() {
    return {{"product", "example-api"},
            {"model", "llama-3.1-70b"},
            {"usd_per_million_tokens", {{"output", 0.8}, {"input_cache_miss", 0.4}}},
            {"source", "https://example.com/pricing"},
            {"as_of", "2025-06-01"}};
}

std::string write(const test::TempDir& dir, const std::string& text) {
    const auto path = dir / "prices.json";
    test::write_bytes(path, text);
    return path.string();
}

// The ScenarioError message for a file holding `doc`.
std::string error_for(const test::TempDir& dir, const std::string& text) {
    const std::string path = write(dir, text);
    try {
        (void)load_price_file(path);
    } catch (const moesim::ScenarioError& e) {
        CHECK(e.file() == path);
        return e.what();
    }
    FAIL("no ScenarioError for " << text);
    return {};
}

std::string error_for_entry(const test::TempDir& dir, const std::function<void(json&)>& edit) {
    json entry = valid_entry();
    edit(entry);
    return error_for(dir, json{{"prices", {entry}}}.dump());
}

}  // namespace

TEST_CASE("a valid prices file gives one price per item, in the table's order", "[report]") {
    test::TempDir dir;
    json entry = valid_entry();
    entry["conditions"] = "batch";
    entry["valid_from"] = "2025-06-01T08:30Z";
    const auto prices = load_price_file(write(dir, json{{"prices", {entry}}}.dump()));
    REQUIRE(prices.size() == 2);
    CHECK(prices[0].price.item == "input_cache_miss");
    CHECK(prices[0].price.usd_per_million_tokens == 0.4);
    CHECK(prices[0].json_path == "/prices/0/usd_per_million_tokens/input_cache_miss");
    CHECK(prices[1].price.item == "output");
    CHECK(prices[1].price.tag == "user");
    CHECK(prices[1].price.conditions == "batch");
    CHECK(prices[1].price.valid_from == "2025-06-01T08:30Z");
    CHECK_FALSE(prices[1].price.valid_until.has_value());
    CHECK(prices[1].price.source == "https://example.com/pricing");
    CHECK(prices[1].price.as_of == "2025-06-01");
}

TEST_CASE("a prices file is checked strictly: file, JSON path, what is wrong", "[report]") {
    test::TempDir dir;
    CHECK_THAT(error_for(dir, "{\"prices\": [}"), Contains("malformed JSON"));
    CHECK_THAT(error_for(dir, "[]"), Contains("expected an object"));
    CHECK_THAT(error_for(dir, "{\"price\": []}"), Contains(": /price: unknown key (did you mean \"prices\"?)"));
    CHECK_THAT(error_for(dir, "{\"prices\": []}"), Contains("/prices: is empty"));
    CHECK_THAT(error_for(dir, "{\"prices\": [1]}"), Contains("/prices/0: expected an object"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e.erase("source"); }),
               Contains("/prices/0/source: missing; every price needs a source"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e.erase("as_of"); }), Contains("/prices/0/as_of: missing"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["source"] = " "; }), Contains("/prices/0/source: is empty"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["product"] = 3; }),
               Contains("/prices/0/product: expected a string, got number"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["modle"] = "x"; }),
               Contains("/prices/0/modle: unknown key (did you mean \"model\"?)"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["as_of"] = "2025-13-01"; }),
               Contains("/prices/0/as_of: \"2025-13-01\" is not a date"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["as_of"] = "2025-02-29"; }), Contains("is not a date"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["as_of"] = "2025-06-01T10:00Z"; }), Contains("is not a date"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["valid_until"] = "2025-06-01T24:00Z"; }),
               Contains("/prices/0/valid_until: \"2025-06-01T24:00Z\" is not a date"));
    CHECK_THAT(error_for_entry(dir, [](json& e) {
                   e["valid_from"] = "2025-06-01";
                   e["valid_until"] = "2025-05";
               }),
               Contains("/prices/0/valid_until: \"2025-05\" is not after valid_from"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["conditions"] = "two\nlines"; }),
               Contains("/prices/0/conditions: contains a control character"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["usd_per_million_tokens"] = json::object(); }),
               Contains("/prices/0/usd_per_million_tokens: is empty"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["usd_per_million_tokens"]["outptu"] = 1; }),
               Contains("/prices/0/usd_per_million_tokens/outptu: unknown key (did you mean \"output\"?)"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["usd_per_million_tokens"]["output"] = -0.5; }),
               Contains("/prices/0/usd_per_million_tokens/output: -0.5: a price is 0 or more"));
    CHECK_THAT(error_for_entry(dir, [](json& e) { e["usd_per_million_tokens"]["output"] = "0.5"; }),
               Contains("/prices/0/usd_per_million_tokens/output: expected a number of USD per 1M tokens, got string"));
    // The same price twice in one file.
    CHECK_THAT(error_for(dir, json{{"prices", {valid_entry(), valid_entry()}}}.dump()),
               Contains("/prices/1/usd_per_million_tokens/input_cache_miss: example-api (llama-3.1-70b) "
                        "input_cache_miss, as of 2025-06-01 is given twice (first at "
                        "/prices/0/usd_per_million_tokens/input_cache_miss)"));
    CHECK_THAT(error_for(dir, "{\"prices\": [{\"product\": \"a\", \"product\": \"b\"}]}"), Contains("product"));
    CHECK_THROWS_WITH(load_price_file(dir / "missing.json"), Contains("missing.json: cannot read the prices file"));
}

TEST_CASE("adding prices writes all of them or none", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const std::size_t seeded = db.prices().size();
    const auto added = load_price_file(write(dir, json{{"prices", {valid_entry()}}}.dump()));
    CHECK(add_prices(db, dir / "prices.json", added) == 2);
    const auto after = db.prices();
    REQUIRE(after.size() == seeded + 2);
    CHECK(after.back().product == "example-api");
    CHECK(after.back().item == "output");
    CHECK(after.back().usd_per_million_tokens == 0.8);

    // A second file: one new price and one the database already has. Nothing of it is added.
    json fresh = valid_entry();
    fresh["product"] = "other-api";
    const auto mixed = load_price_file(write(dir, json{{"prices", {fresh, valid_entry()}}}.dump()));
    CHECK_THROWS_WITH(add_prices(db, dir / "prices.json", mixed),
                      Contains("prices.json: /prices/1/usd_per_million_tokens/input_cache_miss: example-api") &&
                          Contains("is already in the prices table of"));
    CHECK(db.prices().size() == seeded + 2);

    // A seeded price is known too.
    json seeded_again = {{"product", "deepseek-chat"},
                         {"model", "deepseek-v3"},
                         {"usd_per_million_tokens", {{"output", 1.0}}},
                         {"source", "x"},
                         {"as_of", "2025-09"}};
    const auto clash = load_price_file(write(dir, json{{"prices", {seeded_again}}}.dump()));
    CHECK_THROWS_WITH(add_prices(db, dir / "prices.json", clash), Contains("(at $1.1 per 1M tokens)"));
}

TEST_CASE("the price list renders every row with its source", "[report]") {
    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    const Document doc = price_list_document(db.prices(), db.path());
    const auto rows = test::parse_csv(render_csv(doc.csv));
    CHECK(rows.size() == db.prices().size() + 1);
    CHECK_THAT(render_markdown(doc),
               Contains("| deepseek-reasoner | deepseek-r1 | output | $2.1900 |  |  | 2025-09-05T16:00Z | "
                        "api-docs.deepseek.com/quick_start/pricing-details-usd; DAY6 | V | 2025-09 |"));
}

// The seeded prices, read back from a fresh database, against the numbers of PUBLISHED.md G
// (docs/PUBLISHED.md, in the repository). Each priced row there that is not tagged
// unverified must be an offer in the table with the same three numbers, and the table must
// hold no other.
TEST_CASE("the seeded prices are PUBLISHED.md G's", "[report]") {
    const std::filesystem::path published = std::string(MOESIM_SOURCE_DIR) + "/docs/PUBLISHED.md";
    std::ifstream in(published);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    const std::size_t start = all.find("## (G) ");
    REQUIRE(start != std::string::npos);
    using Triple = std::tuple<std::string, std::string, std::string>;  // hit, miss, output as printed
    std::set<Triple> expected;
    std::istringstream lines(all.substr(start));
    std::string line;
    const std::regex row(R"(^\| [^|]+ \| ([0-9.]+|–)(?: \(cached\))? \| ([0-9.]+) \| ([0-9.]+) \| (.*)\|$)");
    while (std::getline(lines, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        if (m[4].str().find("**U**") != std::string::npos) continue;  // left out of the seed, as its comment says
        expected.insert({m[1], m[2], m[3]});
    }
    REQUIRE(expected.size() == 6);  // V3, R1, off-peak, V3.1, GPT-4o, GPT-4o-2024-05-13

    test::TempDir dir;
    ResultsDb db(dir / "results.sqlite");
    // One offer per (product, model, conditions, as_of): deepseek-chat is V3 until 2025-09-05, V3.1 after.
    std::map<std::tuple<std::string, std::string, std::string, std::string>, std::map<std::string, double>> offers;
    for (const PriceEntry& p : db.prices())
        offers[{p.product, p.model, p.conditions, p.as_of}][p.item] = p.usd_per_million_tokens;
    REQUIRE(offers.size() == 8);  // V3, R1, their off-peak, V3.1 under both names, two GPT-4o
    std::set<std::tuple<double, double, double>> seeded;
    for (const auto& [key, items] : offers) {
        CHECK(items.size() >= 2);
        seeded.insert({items.count("input_cache_hit") ? items.at("input_cache_hit") : -1, items.at("input_cache_miss"),
                       items.at("output")});
    }
    std::set<std::tuple<double, double, double>> published_numbers;
    for (const auto& [hit, miss, output] : expected)
        published_numbers.insert({hit == "–" ? -1 : std::stod(hit), std::stod(miss), std::stod(output)});
    CHECK(seeded == published_numbers);
}

TEST_CASE("a prices file over the entry budget is refused with its count — 10000 distinct entries load",
          "[report][ranges]") {
    // The mutation campaign's 100K-entry file ran past 20 s (a quadratic duplicate check, then
    // 100K inserts); the check is indexed now and the file is capped at 10000 entries.
    test::TempDir dir;
    const auto file_of = [](std::size_t n) {
        json list = json::array();
        for (std::size_t i = 0; i < n; ++i) {
            json e = valid_entry();
            e["product"] = "p" + std::to_string(i);
            list.push_back(e);
        }
        return json{{"prices", list}}.dump();
    };
    CHECK_THAT(error_for(dir, file_of(10001)),
               Catch::Contains("/prices: holds 10001 entries, over the budget of 10000 entries per file"));
    CHECK(load_price_file(write(dir, file_of(10000))).size() == 20000);  // two items each
}
