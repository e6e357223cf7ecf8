#include "moesim/reports/serving_compare.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/reports/report_format.h"
#include "moesim/reports/run_status.h"
#include "stored_scenario.h"

namespace moesim::report {

namespace {

using detail::kMissing;
using detail::StoredScenario;

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// The name a run's model is priced under: a built-in name as it is, a config path by its stem.
std::string model_key(const std::string& model) {
    std::string key = lower(model);
    if (key.ends_with(".json")) key = lower(std::filesystem::path(model).stem().string());
    return key;
}

const inference::InferenceResult& serving_result(const StoredRun& run) {
    const auto* result = std::get_if<inference::InferenceResult>(&run.result);
    MOESIM_CHECK(result != nullptr, "run " + std::to_string(run.id) + " is not a serving run");
    return *result;
}

double cost_of(const inference::InferenceResult& r, const std::string& item) {
    if (item == "input_cache_hit") return r.usd_per_million_input_tokens_cache_hit;
    if (item == "input_cache_miss") return r.usd_per_million_input_tokens_cache_miss;
    MOESIM_CHECK(item == "output", "unknown price item " + item);
    return r.usd_per_million_output_tokens;
}

std::string item_label(const std::string& item) {
    if (item == "input_cache_hit") return "input, cache hit";
    if (item == "input_cache_miss") return "input, cache miss";
    return item;
}

bool applies(const PriceEntry& price, const StoredRun& run, const CompareOptions& options) {
    if (!options.against.empty())
        return std::find(options.against.begin(), options.against.end(), price.product) != options.against.end();
    return lower(price.model) == model_key(run.record.model);
}

// Prices that share everything but item and amount come from one offer, cited once.
using OfferKey = std::tuple<std::string, std::string, std::string, std::optional<std::string>,
                            std::optional<std::string>, std::string, std::string, std::string>;
OfferKey offer_key(const PriceEntry& p) {
    return {p.product, p.model, p.conditions, p.valid_from, p.valid_until, p.source, p.tag, p.as_of};
}

class Offers {
public:
    // The offer's footnote number, from 1 in order of first use.
    int number(const PriceEntry& price) {
        const auto [it, added] = numbers_.try_emplace(offer_key(price), static_cast<int>(order_.size()) + 1);
        if (added) order_.push_back(price);
        return it->second;
    }
    std::string label(const PriceEntry& price) {
        return price.product + (price.conditions.empty() ? "" : ", " + price.conditions) + " [" +
               std::to_string(number(price)) + "]";
    }
    std::vector<std::string> notes() const {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < order_.size(); ++i) {
            const PriceEntry& p = order_[i];
            std::string note = "[" + std::to_string(i + 1) + "] " + p.product + " (" + p.model + ")" +
                               (p.conditions.empty() ? "" : ", " + p.conditions) + ": " + p.source + "; tag " + p.tag +
                               ", as of " + p.as_of;
            if (p.valid_from || p.valid_until)
                note += "; valid " + (p.valid_from ? "from " + *p.valid_from : std::string()) +
                        (p.valid_from && p.valid_until ? " " : "") +
                        (p.valid_until ? "until " + *p.valid_until : std::string());
            out.push_back(note + ".");
        }
        return out;
    }

private:
    std::map<OfferKey, int> numbers_;
    std::vector<PriceEntry> order_;
};

std::string optional_percent(const std::optional<double>& fraction) {
    return fraction ? percent(*fraction) : kMissing;
}
std::string optional_exact(const std::optional<double>& value) { return value ? exact(*value) : ""; }
std::string optional_integer(const std::optional<long long>& value) { return value ? std::to_string(*value) : ""; }

// The verdict, when it is a mark (serving_rank 2): "SLO missed (TTFT p99); overloaded: 89.0% unfinished".
std::optional<std::string> mark_of(const StoredRun& run) {
    const ServingVerdict verdict = serving_verdict(serving_result(run));
    return serving_rank(verdict) == 2 ? std::optional<std::string>(describe(verdict)) : std::nullopt;
}

// "v3 [requests_per_s=40]", and " (SLO missed …)" after a marked run's label.
std::string marked_label(const StoredRun& run) {
    const auto mark = mark_of(run);
    return detail::label_of(run) + (mark ? " (" + *mark + ")" : "");
}

std::string run_label(const StoredRun& run) { return "run " + std::to_string(run.id) + " · " + marked_label(run); }

template <class T>
std::string optional_count(const std::optional<T>& value) {
    return value ? grouped(static_cast<double>(*value), 0) : kMissing;
}

Table runs_table(const std::vector<StoredRun>& runs) {
    Table table;
    table.title = "Simulated serving deployments";
    table.columns = {{"run", Align::Right},
                     {"name"},
                     {"model"},
                     {"GPUs"},
                     {"deployment"},
                     {"$ per GPU-hour", Align::Right},
                     {"fidelity"},
                     {"$ per 1M input, cache hit", Align::Right},
                     {"$ per 1M input, cache miss", Align::Right},
                     {"$ per 1M output", Align::Right},
                     {"prefill input tok/s per node", Align::Right},
                     {"decode output tok/s per node", Align::Right},
                     {"TTFT p99 ms", Align::Right},
                     {"TPOT p99 ms", Align::Right},
                     {"requests/s", Align::Right},
                     {"measured", Align::Right},
                     {"unfinished", Align::Right},
                     {"rejected", Align::Right},
                     {"verdict"}};
    for (const StoredRun& run : runs) {
        const auto& r = serving_result(run);
        const StoredScenario scenario(run.record.scenario_json);
        const auto gpu_hour_usd = scenario.number("/cluster/gpu_hour_usd");
        table.rows.push_back({std::to_string(run.id), detail::label_of(run), run.record.model,
                              std::to_string(run.record.gpus) + " x " + run.record.gpu,
                              scenario.serving_layout().value_or(kMissing),
                              gpu_hour_usd ? usd(*gpu_hour_usd, 2) : kMissing, run.record.fidelity,
                              usd(r.usd_per_million_input_tokens_cache_hit, 4),
                              usd(r.usd_per_million_input_tokens_cache_miss, 4),
                              usd(r.usd_per_million_output_tokens, 4),
                              grouped(r.prefill_input_tokens_per_s_per_node, 0),
                              grouped(r.decode_output_tokens_per_s_per_node, 0), grouped(r.ttft_ms.p99, 1),
                              grouped(r.tpot_ms.p99, 1),
                              r.requests_per_s ? grouped(*r.requests_per_s, 2) : kMissing,
                              optional_count(r.requests_measured), optional_count(r.requests_unfinished),
                              optional_count(r.requests_rejected), describe(serving_verdict(r))});
    }
    table.notes.push_back(
        "Costs are the runs' own dollars per 1M tokens as moesim run recorded them: GPU time at the scenario's $ per "
        "GPU-hour, nothing else a provider pays. $ per 1M output = the decode GPUs' time over the measurement "
        "window / the output tokens decoded in that window, of any request, finished or not; input likewise over the "
        "prompt tokens prefilled in it. A deployment past its capacity decodes flat out while its queue grows, so its "
        "$ per token reads lower than one that serves its traffic: runs that missed their SLO, left measured requests "
        "unfinished or rejected some are marked in the verdict column and listed after those that did not, here and "
        "in every table and chart below.");
    return table;
}

std::string products_list(const std::vector<PriceEntry>& prices) {
    std::vector<std::string> products;
    for (const PriceEntry& p : prices)
        if (std::find(products.begin(), products.end(), p.product) == products.end()) products.push_back(p.product);
    std::string out;
    for (const auto& p : products) out += (out.empty() ? "" : ", ") + p;
    return out;
}

}  // namespace

void check_against(const CompareOptions& options, const std::vector<PriceEntry>& prices) {
    std::vector<std::string> products;
    for (const PriceEntry& p : prices) products.push_back(p.product);
    for (const std::string& product : options.against)
        if (std::find(products.begin(), products.end(), product) == products.end())
            throw UserError("--against " + product + ": no price of that API product is known" +
                            did_you_mean(product, products) + "; known: " + products_list(prices));
}

std::vector<PriceComparison> compare_with_prices(const std::vector<StoredRun>& runs,
                                                 const std::vector<PriceEntry>& prices,
                                                 const CompareOptions& options) {
    std::vector<PriceComparison> out;
    for (const StoredRun& run : runs) {
        const auto& result = serving_result(run);
        for (const std::string& item : price_items()) {
            PriceComparison base;
            base.run_id = run.id;
            base.item = item;
            base.cost_usd_per_million_tokens = cost_of(result, item);
            bool any = false;
            for (const PriceEntry& price : prices) {
                if (price.item != item || !applies(price, run, options)) continue;
                PriceComparison& c = out.emplace_back(base);
                c.price = price;
                const double p = price.usd_per_million_tokens, cost = base.cost_usd_per_million_tokens;
                if (p > 0) c.gross_margin = (p - cost) / p;
                if (cost > 0) c.markup = p / cost - 1;
                any = true;
            }
            if (!any) out.push_back(base);
        }
    }
    return out;
}

Document serving_compare_document(const std::vector<StoredRun>& selected, const std::vector<PriceEntry>& prices,
                                  const CompareOptions& options, const std::string& db_path) {
    // Runs that met their SLO with nothing unfinished or rejected first, marked ones last.
    std::vector<StoredRun> runs = selected;
    std::stable_sort(runs.begin(), runs.end(), [](const StoredRun& a, const StoredRun& b) {
        return serving_rank(serving_verdict(serving_result(a))) < serving_rank(serving_verdict(serving_result(b)));
    });
    const std::vector<PriceComparison> comparisons = compare_with_prices(runs, prices, options);
    std::map<std::int64_t, const StoredRun*> by_id;
    for (const StoredRun& run : runs) by_id[run.id] = &run;

    Document doc;
    doc.title = "Serving cost against published API prices";
    doc.preamble.push_back(detail::runs_preamble(db_path, "serving", runs));
    doc.tables.push_back(runs_table(runs));

    Offers offers;
    Table table;
    table.title = "Against published API prices";
    table.columns = {{"run", Align::Right},  {"name"},
                     {"item"},               {"simulated $ per 1M", Align::Right},
                     {"API product"},        {"price $ per 1M", Align::Right},
                     {"gross margin", Align::Right}, {"markup", Align::Right}};
    doc.csv.header = {"run_id", "name", "model", "gpu", "gpus", "gpu_hour_usd", "deployment", "fidelity", "item",
                      "simulated_usd_per_million_tokens", "product", "price_model", "conditions",
                      "price_usd_per_million_tokens", "gross_margin", "markup", "source", "tag", "as_of",
                      "valid_from", "valid_until", "label", "overrides", "requests_per_s", "requests_measured",
                      "requests_unfinished", "requests_rejected", "output_tokens_decoded", "slo_met", "slo_missed"};
    std::set<std::int64_t> unpriced;
    for (const PriceComparison& c : comparisons) {
        const StoredRun& run = *by_id.at(c.run_id);
        const inference::InferenceResult& r = serving_result(run);
        const StoredScenario scenario(run.record.scenario_json);
        table.rows.push_back({std::to_string(c.run_id), marked_label(run), item_label(c.item),
                              usd(c.cost_usd_per_million_tokens, 4), c.price ? offers.label(*c.price) : kMissing,
                              c.price ? usd(c.price->usd_per_million_tokens, 4) : kMissing,
                              optional_percent(c.gross_margin), optional_percent(c.markup)});
        if (!c.price) unpriced.insert(c.run_id);
        const PriceEntry none;
        const PriceEntry& p = c.price ? *c.price : none;
        doc.csv.rows.push_back({std::to_string(c.run_id), run.record.name, run.record.model, run.record.gpu,
                                std::to_string(run.record.gpus),
                                optional_exact(scenario.number("/cluster/gpu_hour_usd")),
                                scenario.serving_layout().value_or(""), run.record.fidelity, c.item,
                                exact(c.cost_usd_per_million_tokens), p.product, p.model, p.conditions,
                                c.price ? exact(p.usd_per_million_tokens) : "", optional_exact(c.gross_margin),
                                optional_exact(c.markup), p.source, p.tag, p.as_of, p.valid_from.value_or(""),
                                p.valid_until.value_or(""), detail::label_of(run), detail::overrides_cell(run),
                                optional_exact(r.requests_per_s), optional_integer(r.requests_measured),
                                optional_integer(r.requests_unfinished), optional_integer(r.requests_rejected),
                                optional_integer(r.output_tokens_decoded),
                                r.slo_met ? (*r.slo_met ? "1" : "0") : "", r.slo_missed});
    }
    table.notes.push_back(
        "gross margin = (price − simulated cost) / price: the share of the price left once the simulated cost is "
        "paid, negative when the price does not cover it. markup = price / simulated cost − 1 (= gross margin / (1 − "
        "gross margin)). “–”: no price to compare with, or a price (margin) or cost (markup) of zero.");
    table.notes.push_back(
        options.against.empty()
            ? "Each run is compared with the prices of its own model (a model given as a path to NAME.json goes by "
              "NAME); --against PRODUCT,… compares every run with named API products instead."
            : "Every run is compared with the prices of the API products given with --against, whatever their model.");
    if (!unpriced.empty()) {
        std::string list;
        for (std::int64_t id : unpriced) {
            const StoredRun& run = *by_id.at(id);
            list += (list.empty() ? "" : "; ") + std::to_string(id) + " (" + run.record.model + ")";
        }
        table.notes.push_back("No published price to compare with for runs " + list +
                              ". API products with prices: " + products_list(prices) + ".");
    }
    for (std::string& note : offers.notes()) table.notes.push_back(std::move(note));
    table.notes.push_back(
        "Tags as in PUBLISHED.md: V read in the source, D derived, U unverified; \"user\": added from a prices file.");
    doc.tables.push_back(std::move(table));

    for (const std::string& item : price_items()) {
        BarChart chart;
        chart.title = item == "output" ? "USD per 1M output tokens"
                                       : "USD per 1M input tokens, " + item_label(item).substr(7);
        chart.unit = "USD per 1M tokens";
        chart.series = {"simulated cost", "published price"};
        for (const StoredRun& run : runs) {
            BarGroup group;
            group.label = run_label(run);
            const double cost = cost_of(serving_result(run), item);
            group.bars.push_back({"simulated, " + std::to_string(run.record.gpus) + " x " + run.record.gpu, cost,
                                  usd(cost, 4), 0});
            for (const PriceComparison& c : comparisons)
                if (c.run_id == run.id && c.item == item && c.price)
                    group.bars.push_back({offers.label(*c.price), c.price->usd_per_million_tokens,
                                          usd(c.price->usd_per_million_tokens, 4), 1});
            chart.groups.push_back(std::move(group));
        }
        doc.charts.push_back(std::move(chart));
    }
    return doc;
}

}  // namespace moesim::report
