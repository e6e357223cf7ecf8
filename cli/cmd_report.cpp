// `moesim report compare|training|prices|sweep`: read a results database and print a report
// (Markdown, CSV or HTML; a sweep also as text or JSON) built and rendered by reports/. Every input — flags, the prices
// file, the database, the runs asked for — is checked before anything is written.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/reports/price_file.h"
#include "moesim/reports/price_list.h"
#include "moesim/reports/render.h"
#include "moesim/reports/run_selection.h"
#include "moesim/reports/serving_compare.h"
#include "moesim/reports/sweep_report.h"
#include "moesim/reports/training_report.h"
#include "options.h"
#include "output_file.h"

namespace moesim::cli {

namespace {

constexpr const char* kReportHelp = R"(usage: moesim report <report> [options]   (moesim report <report> --help for its options)

reports:
  compare   serving runs: simulated $ per 1M input tokens (cache hit, cache miss) and per 1M
            output tokens beside published API prices, with the implied margin; a run that missed
            its SLO, left measured requests unfinished or rejected some is marked and listed last
  training  training runs side by side: layout (TP/PP/DP/EP, schedule, ZeRO), step time, MFU,
            GPU-hours per 1T tokens, GPU-hours and $ for total_tokens, $ per 1M tokens, wall days,
            peak memory and headroom; a layout over memory (--allow-memory-overflow) is marked
            and listed last
  prices    the published API prices the database holds; --add FILE adds prices for good
  sweep     a sweep's runs (moesim sweep) and their Pareto fronts: training, step time against
            peak memory (and GPU-hours against GPU count when the sweep varies it); serving,
            output tokens/s per GPU against TPOT p99 and $ per 1M output tokens against TTFT
            p99. Text (the default), md, csv, json, or html with one SVG chart per front

Runs are named by their label: the scenario's name tagged with the --set overrides (and the
rate --find-max-load chose) that made them, e.g. "deepseek-v3-pretrain [pp=8 dp=256]".

Every report reads a results database that `moesim run` wrote (--db, default results.sqlite;
a report never creates one) and prints Markdown (--format md, the default), CSV (--format
csv: one table of raw values, RFC 4180) or one self-contained HTML page with SVG bar charts
(--format html), on stdout or into --out FILE. Runs: --runs 1,4-6 or --name GLOB; all runs of
the report's kind by default.

compare matches a run with the prices of its model (a model given as a path to NAME.json goes
by NAME); --against PRODUCT,... compares every run with those API products instead.
  gross margin = (price - simulated cost) / price
  markup       = price / simulated cost - 1

Prices come from the database's prices table (PUBLISHED.md G as seeded), plus a JSON file
with --prices FILE (for one report) or `moesim report prices --add FILE` (for good):
  {"prices": [
    {"product": "example-api", "model": "llama-3.1-70b",
     "usd_per_million_tokens": {"input_cache_hit": 0.1, "input_cache_miss": 0.4, "output": 0.8},
     "source": "https://example.com/pricing", "as_of": "2025-06-01",
     "conditions": "", "valid_from": null, "valid_until": null, "tag": "V"}]}
product, model, source, as_of (YYYY-MM or YYYY-MM-DD) and at least one price are required;
conditions, valid_from, valid_until (a date, or a UTC time as 2025-09-05T16:00Z) and tag
(default "user") are optional. A price already known (same product, model, item, conditions
and as_of) is refused.
)";

struct Output {
    report::Format format = report::Format::Markdown;
    std::string out_path;
};

void add_output_options(po::options_description& options, std::string& format, std::string& out_path) {
    options.add_options()
        ("format", po::value(&format)->default_value("md"), "md, csv or html")
        ("out", po::value(&out_path), "write the report to this file instead of stdout");
}

Output check_output(const std::string& format, const std::string& out_path) {
    Output output{report::parse_format(format), out_path};
    if (!out_path.empty()) {
        std::error_code ec;
        const auto dir = std::filesystem::absolute(out_path).parent_path();
        if (!std::filesystem::is_directory(dir, ec))
            throw UserError("--out " + out_path + ": directory " + dir.string() + " does not exist");
        if (std::filesystem::is_directory(out_path, ec)) throw UserError("--out " + out_path + ": is a directory");
    }
    return output;
}

void emit(const report::Document& document, const Output& output) {
    const std::string text = report::render(document, output.format);
    if (output.out_path.empty())
        std::cout << text << (text.ends_with('\n') ? "" : "\n");
    else
        write_file_atomically(output.out_path, text, "--out");
}

report::RunSelection selection_from(const po::variables_map& vm, const std::string& runs, const std::string& name) {
    report::RunSelection selection;
    if (vm.count("runs") && vm.count("name")) throw UserError("give --runs or --name, not both");
    if (vm.count("runs")) selection.ids = report::parse_run_ids(runs);
    if (vm.count("name")) selection.name_pattern = name;
    return selection;
}

void add_selection_options(po::options_description& options, std::string& db_path, std::string& runs,
                           std::string& name) {
    options.add_options()
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database to read")
        ("runs", po::value(&runs), "run ids, e.g. 3 or 1,4-6 (default: every run of this report's kind)")
        ("name", po::value(&name), "only runs whose scenario name matches this glob");
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

int report_compare(const Args& args) {
    po::options_description options("options");
    std::string db_path, runs, name, format, out_path, prices_path, against;
    add_selection_options(options, db_path, runs, name);
    add_output_options(options, format, out_path);
    options.add_options()
        ("prices", po::value(&prices_path), "also compare with the prices in this JSON file (this report only)")
        ("against", po::value(&against), "compare every run with these API products, e.g. deepseek-chat,gpt-4o");
    po::variables_map vm;
    if (!parse_options(args,
                       "moesim report compare [--db PATH] [--runs ID,...|--name GLOB] [--format md|csv|html] "
                       "[--out FILE] [--prices FILE] [--against PRODUCT,...]",
                       options, {}, vm))
        return 0;
    const Output output = check_output(format, out_path);
    const report::RunSelection selection = selection_from(vm, runs, name);
    report::CompareOptions compare;
    if (vm.count("against")) {
        compare.against = split_list(against);
        if (compare.against.empty()) throw UserError("--against: give at least one API product");
    }
    std::vector<report::FilePrice> extra;
    if (vm.count("prices")) extra = report::load_price_file(prices_path);

    report::ResultsDb db = report::open_existing_results_db(db_path);
    std::vector<report::PriceEntry> prices = db.prices();
    report::refuse_known_prices(prices_path, extra, prices, "the prices table of " + db.path());
    for (const report::FilePrice& p : extra) prices.push_back(p.price);
    report::check_against(compare, prices);
    const std::vector<report::StoredRun> selected = report::select_runs(db, selection, report::RunMode::Inference);
    emit(report::serving_compare_document(selected, prices, compare, db.path()), output);
    return 0;
}

int report_training(const Args& args) {
    po::options_description options("options");
    std::string db_path, runs, name, format, out_path;
    add_selection_options(options, db_path, runs, name);
    add_output_options(options, format, out_path);
    po::variables_map vm;
    if (!parse_options(args,
                       "moesim report training [--db PATH] [--runs ID,...|--name GLOB] [--format md|csv|html] "
                       "[--out FILE]",
                       options, {}, vm))
        return 0;
    const Output output = check_output(format, out_path);
    const report::RunSelection selection = selection_from(vm, runs, name);
    report::ResultsDb db = report::open_existing_results_db(db_path);
    const std::vector<report::StoredRun> selected = report::select_runs(db, selection, report::RunMode::Training);
    emit(report::training_document(selected, db.path()), output);
    return 0;
}

int report_sweep(const Args& args) {
    po::options_description options("options");
    std::string which, db_path, format, out_path;
    options.add_options()
        ("sweep", po::value(&which), "the sweep's name or id (positional; default: the newest sweep)")
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database to read")
        ("format", po::value(&format)->default_value("text"), "text, md, csv, json or html")
        ("out", po::value(&out_path), "write the report to this file instead of stdout");
    po::positional_options_description positional;
    positional.add("sweep", 1);
    po::variables_map vm;
    if (!parse_options(args, "moesim report sweep [NAME|ID] [--db PATH] [--format text|md|csv|json|html] [--out FILE]",
                       options, positional, vm))
        return 0;
    const std::vector<std::string> formats = {"text", "md", "markdown", "csv", "json", "html"};
    if (std::find(formats.begin(), formats.end(), format) == formats.end())
        throw UserError("--format " + format + ": expected text, md, csv, json or html" + did_you_mean(format, formats));
    const bool text = format == "text", json = format == "json";
    const Output output = check_output(text || json ? "md" : format, out_path);
    report::ResultsDb db = report::open_existing_results_db(db_path);
    const report::SweepRecord sweep = report::find_sweep(db, which);
    const report::SweepAnalysis analysis = report::analyse_sweep(sweep, report::sweep_runs(db, sweep.id));
    if (!text && !json) {
        emit(report::sweep_document(analysis, db.path()), output);
        return 0;
    }
    const std::string rendered = json ? report::sweep_report_json(analysis, db.path()).dump(2) + "\n"
                                      : report::render_plain(report::sweep_document(analysis, db.path())) + "\n";
    if (output.out_path.empty())
        std::cout << rendered;
    else
        write_file_atomically(output.out_path, rendered, "--out");
    return 0;
}

int report_prices(const Args& args) {
    po::options_description options("options");
    std::string db_path, add_path, format, out_path;
    options.add_options()
        ("db", po::value(&db_path)->default_value("results.sqlite"), "results database")
        ("add", po::value(&add_path), "add the prices of this JSON file to the database (all or none)");
    add_output_options(options, format, out_path);
    po::variables_map vm;
    if (!parse_options(args, "moesim report prices [--db PATH] [--add FILE | --format md|csv|html] [--out FILE]",
                       options, {}, vm))
        return 0;
    if (vm.count("add")) {
        if (!vm["format"].defaulted() || vm.count("out"))
            throw UserError("--add prints no report: leave out --format and --out (moesim report prices lists them)");
        const std::vector<report::FilePrice> prices = report::load_price_file(add_path);
        report::ResultsDb db = report::open_existing_results_db(db_path);
        const std::size_t added = report::add_prices(db, add_path, prices);
        std::cout << "added " << added << " price" << (added == 1 ? "" : "s") << " from " << add_path << " to "
                  << db.path() << "\n";
        return 0;
    }
    const Output output = check_output(format, out_path);
    report::ResultsDb db = report::open_existing_results_db(db_path);
    emit(report::price_list_document(db.prices(), db.path()), output);
    return 0;
}

}  // namespace

int cmd_report(const Args& args) {
    struct Report {
        const char* name;
        int (*run)(const Args&);
    };
    static const Report reports[] = {
        {"compare", report_compare}, {"training", report_training}, {"prices", report_prices}, {"sweep", report_sweep}};
    if (args.empty()) {
        std::cerr << kReportHelp;
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::cout << kReportHelp;
        return 0;
    }
    const Args rest(args.begin() + 1, args.end());
    std::vector<std::string> names;
    for (const Report& r : reports) {
        if (args[0] == r.name) return r.run(rest);
        names.push_back(r.name);
    }
    throw UserError("unknown report '" + args[0] + "'" + did_you_mean(args[0], names) +
                    "; expected compare, training, prices or sweep (moesim report --help)");
}

}  // namespace moesim::cli
