// moesim report compare, below the CLI: which prices a run meets, the margins, and what the
// three renderings show of them.
#include <catch2/catch.hpp>

#include <algorithm>

#include "moesim/reports/render.h"
#include "moesim/reports/results_db.h"
#include "moesim/reports/serving_compare.h"
#include "report_db_fixtures.h"

using namespace moesim::report;
using Catch::Matchers::Contains;

namespace {

struct Fixture {
    test::TempDir dir;
    ResultsDb db{dir / "results.sqlite"};

    StoredRun add_serving(const std::string& name, const std::string& model, double hit, double miss, double out) {
        const std::int64_t id = db.record_inference_run(test::serving_record(name, model), test::serving_result(hit, miss, out));
        return *db.load_run(id);
    }
};

const PriceComparison& find(const std::vector<PriceComparison>& all, const std::string& item,
                            const std::string& conditions) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const PriceComparison& c) {
        return c.item == item && c.price && c.price->conditions == conditions;
    });
    REQUIRE(it != all.end());
    return *it;
}

}  // namespace

TEST_CASE("a DeepSeek-V3 deployment meets deepseek-chat's standard and off-peak prices", "[report]") {
    Fixture f;
    const std::vector<StoredRun> runs = {f.add_serving("v3-serve", "deepseek-v3", 0.017, 0.21, 0.87)};
    const auto all = compare_with_prices(runs, f.db.prices());
    // Seeded for deepseek-v3 (PUBLISHED.md G): deepseek-chat standard and off-peak, 3 items each.
    REQUIRE(all.size() == 6);
    for (const auto& c : all) {
        CHECK(c.price->product == "deepseek-chat");
        CHECK(c.price->model == "deepseek-v3");
    }
    const auto& output = find(all, "output", "");
    CHECK(output.cost_usd_per_million_tokens == 0.87);
    CHECK(output.price->usd_per_million_tokens == 1.10);
    CHECK(*output.gross_margin == Approx((1.10 - 0.87) / 1.10));
    CHECK(*output.markup == Approx(1.10 / 0.87 - 1));
    // Off-peak output at $0.55 does not cover $0.87: a negative margin.
    const auto& off_peak = find(all, "output", "off-peak, UTC 16:30–00:30");
    CHECK(*off_peak.gross_margin == Approx((0.55 - 0.87) / 0.55));
    CHECK(*off_peak.gross_margin < 0);
    const auto& hit = find(all, "input_cache_hit", "");
    CHECK(*hit.markup == Approx(0.07 / 0.017 - 1));
    const auto& miss = find(all, "input_cache_miss", "");
    CHECK(*miss.gross_margin == Approx((0.27 - 0.21) / 0.27));
}

TEST_CASE("a run whose model has no price gets none, unless --against names products", "[report]") {
    Fixture f;
    const std::vector<StoredRun> runs = {f.add_serving("llama-serve", "llama-3.1-70b", 0.05, 0.2, 0.9)};
    const auto none = compare_with_prices(runs, f.db.prices());
    REQUIRE(none.size() == 3);
    for (const auto& c : none) {
        CHECK_FALSE(c.price.has_value());
        CHECK_FALSE(c.gross_margin.has_value());
        CHECK_FALSE(c.markup.has_value());
    }
    CompareOptions against;
    against.against = {"gpt-4o"};
    const auto priced = compare_with_prices(runs, f.db.prices(), against);
    REQUIRE(priced.size() == 3);
    CHECK(find(priced, "output", "").price->usd_per_million_tokens == 10.0);
    CHECK(*find(priced, "output", "").gross_margin == Approx((10.0 - 0.9) / 10.0));
    CHECK(*find(priced, "input_cache_hit", "").markup == Approx(1.25 / 0.05 - 1));

    against.against = {"gpt-4o-2024-05-13"};  // has no cached-input price: that item stays unpriced
    const auto partial = compare_with_prices(runs, f.db.prices(), against);
    REQUIRE(partial.size() == 3);
    CHECK_FALSE(partial[0].price.has_value());
    CHECK(partial[0].item == "input_cache_hit");
    CHECK(partial[2].price->usd_per_million_tokens == 15.0);

    against.against = {"gpt-4"};
    CHECK_THROWS_WITH(check_against(against, f.db.prices()), Contains("--against gpt-4") && Contains("gpt-4o"));
}

TEST_CASE("a model given as a config path is priced by its file name", "[report]") {
    Fixture f;
    const std::vector<StoredRun> runs = {f.add_serving("by-path", "/models/DeepSeek-V3.json", 0.02, 0.2, 0.8)};
    CHECK(compare_with_prices(runs, f.db.prices()).size() == 6);
}

TEST_CASE("a zero cost has no markup and a zero price no margin", "[report]") {
    Fixture f;
    const std::vector<StoredRun> runs = {f.add_serving("free", "deepseek-v3", 0.0, 0.2, 0.8)};
    std::vector<PriceEntry> prices = f.db.prices();
    PriceEntry free_output = prices.front();
    free_output.item = "output";
    free_output.usd_per_million_tokens = 0;
    free_output.conditions = "promotion";
    prices.push_back(free_output);
    const auto all = compare_with_prices(runs, prices);
    const auto& hit = find(all, "input_cache_hit", "");
    CHECK_FALSE(hit.markup.has_value());
    CHECK(*hit.gross_margin == 1.0);
    const auto& promotion = find(all, "output", "promotion");
    CHECK_FALSE(promotion.gross_margin.has_value());
    CHECK(*promotion.markup == -1.0);
}

TEST_CASE("the Markdown comparison shows costs, prices, margins and their definition", "[report]") {
    Fixture f;
    const std::vector<StoredRun> runs = {f.add_serving("v3-serve", "deepseek-v3", 0.017, 0.21, 0.87),
                                         f.add_serving("llama-serve", "llama-3.1-70b", 0.05, 0.2, 0.9)};
    const std::string md = render_markdown(serving_compare_document(runs, f.db.prices(), {}, "r.sqlite"));
    INFO(md);
    // Output against deepseek-chat's $1.10: margin (1.10 - 0.87) / 1.10 = 20.9%, markup 1.10 / 0.87 - 1 = 26.4%.
    CHECK_THAT(md, Contains("| 1 | v3-serve | output | $0.8700 | deepseek-chat [1] | $1.1000 | 20.9% | 26.4% |"));
    // Off-peak $0.55: (0.55 - 0.87) / 0.55 = -58.2%; 0.55 / 0.87 - 1 = -36.8%.
    CHECK_THAT(md, Contains("| $0.5500 | -58.2% | -36.8% |"));
    // Cache hit: (0.07 - 0.017) / 0.07 = 75.7%; 0.07 / 0.017 - 1 = 311.8%.
    CHECK_THAT(md, Contains("| 1 | v3-serve | input, cache hit | $0.0170 | deepseek-chat [1] | $0.0700 | 75.7% | 311.8% |"));
    CHECK_THAT(md, Contains("| 2 | llama-serve | output | $0.9000 | – | – | – | – |"));
    CHECK_THAT(md, Contains("gross margin = (price − simulated cost) / price"));
    CHECK_THAT(md, Contains("markup = price / simulated cost − 1"));
    CHECK_THAT(md, Contains("No published price to compare with for runs 2 (llama-3.1-70b)"));
    CHECK_THAT(md, Contains("[1] deepseek-chat (deepseek-v3): api-docs.deepseek.com/quick_start/pricing-details-usd"));
    // The deployment, from the stored scenario, in the runs table.
    CHECK_THAT(md, Contains("disaggregated; prefill 1 x 4 nodes (EP32, attention TP4); decode 1 x 40 nodes (EP320, "
                            "attention TP4, MTP 1 draft)"));
    CHECK_THAT(md, Contains("| $2.00 |"));
}

TEST_CASE("the CSV is one RFC 4180 table of raw values, quoting what needs it", "[report]") {
    Fixture f;
    const std::vector<StoredRun> runs = {f.add_serving("a,\"quoted\"\nname", "deepseek-v3", 0.017, 0.21, 0.87)};
    const std::string csv = render_csv(serving_compare_document(runs, f.db.prices(), {}, "r.sqlite").csv);
    CHECK_THAT(csv, Contains(",\"a,\"\"quoted\"\"\nname\","));
    CHECK(csv.find("\r\n") != std::string::npos);
    const auto rows = test::parse_csv(csv);
    REQUIRE(rows.size() == 7);  // header + 2 offers x 3 items
    const auto& header = rows[0];
    for (const auto& row : rows) CHECK(row.size() == header.size());
    auto column = [&](const std::string& name) {
        const auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return static_cast<std::size_t>(it - header.begin());
    };
    bool seen = false;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& row = rows[i];
        CHECK(row[column("name")] == "a,\"quoted\"\nname");
        if (row[column("item")] != "output" || row[column("conditions")] != "") continue;
        seen = true;
        CHECK(row[column("simulated_usd_per_million_tokens")] == "0.87");
        CHECK(row[column("price_usd_per_million_tokens")] == "1.1");
        CHECK(std::stod(row[column("gross_margin")]) == Approx((1.10 - 0.87) / 1.10).epsilon(1e-15));
        CHECK(std::stod(row[column("markup")]) == Approx(1.10 / 0.87 - 1).epsilon(1e-15));
        CHECK(row[column("as_of")] == "2025-09");
    }
    CHECK(seen);
}

TEST_CASE("the HTML page is self-contained, escapes every text and carries one SVG chart per item", "[report]") {
    Fixture f;
    const std::string evil = "<script>alert('x')</script> & \"co\"";
    const std::vector<StoredRun> runs = {f.add_serving(evil, "deepseek-v3", 0.017, 0.21, 0.87)};
    const std::string html = render_html(serving_compare_document(runs, f.db.prices(), {}, "r.sqlite"));
    CHECK_THAT(html, Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    // No external assets: the only URL is the SVG namespace.
    for (const char* external : {"src=", "href=", "<link", "url(", "@import"}) CHECK(html.find(external) == std::string::npos);
    std::size_t charts = 0;
    for (std::size_t at = html.find("<svg xmlns=\"http://www.w3.org/2000/svg\""); at != std::string::npos;
         at = html.find("<svg ", at + 1))
        ++charts;
    CHECK(charts == 3);
    CHECK_THAT(html, Contains("USD per 1M output tokens"));
    // The output chart's bars: the simulated cost and both deepseek-chat prices.
    CHECK_THAT(html, Contains(">$0.8700</text>"));
    CHECK_THAT(html, Contains(">$1.1000</text>"));
    CHECK_THAT(html, Contains(">$0.5500</text>"));
}

TEST_CASE("Markdown cells cannot break the table", "[report]") {
    Document doc;
    Table table;
    table.columns = {{"a"}, {"b", Align::Right}};
    table.rows = {{"x|y\\", "line\nbreak"}};
    doc.tables.push_back(table);
    const std::string md = render_markdown(doc);
    CHECK_THAT(md, Contains("| x\\|y\\\\ | line break |"));
    CHECK_THAT(md, Contains("|---|---:|"));
}

TEST_CASE("csv_field quotes only what RFC 4180 asks for", "[report]") {
    CHECK(csv_field("plain text") == "plain text");
    CHECK(csv_field("") == "");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\r\nlines") == "\"two\r\nlines\"");
    CHECK(test::parse_csv(render_csv({{"a", "b"}, {{"1,2", "\"q\""}}})) ==
          std::vector<std::vector<std::string>>{{"a", "b"}, {"1,2", "\"q\""}});
}

TEST_CASE("an unknown format is refused", "[report]") {
    CHECK(parse_format("md") == Format::Markdown);
    CHECK(parse_format("markdown") == Format::Markdown);
    CHECK(parse_format("csv") == Format::Csv);
    CHECK(parse_format("html") == Format::Html);
    CHECK_THROWS_WITH(parse_format("htm"), Contains("--format htm: expected md, csv or html") && Contains("\"html\""));
}

TEST_CASE("an SVG bar is to scale on a round axis, and a long label is shortened", "[report]") {
    BarChart chart;
    chart.title = "t";
    chart.unit = "USD";
    chart.series = {"a", "b"};
    const std::string long_label(60, 'x');
    chart.groups = {{"g", {{"short", 0.87, "$0.87", 0}, {long_label, 0.5, "$0.50", 1}}}};
    const std::string svg = svg_bar_chart(chart);
    // Ticks every 0.2 up to 1.0 over 380 px: 0.87 -> 330.6 px, 0.5 -> 190 px.
    CHECK_THAT(svg, Contains("width=\"330.6\""));
    CHECK_THAT(svg, Contains("width=\"190.0\""));
    CHECK_THAT(svg, Contains(">1.0</text>"));
    CHECK_THAT(svg, Contains(">" + std::string(44, 'x') + "…</text>"));
    CHECK_THAT(svg, Contains("<title>" + long_label + ": $0.50</title>"));
}
