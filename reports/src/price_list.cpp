#include "moesim/reports/price_list.h"

#include "moesim/reports/report_format.h"

namespace moesim::report {

Document price_list_document(const std::vector<PriceEntry>& prices, const std::string& db_path) {
    Document doc;
    doc.title = "Published API prices";
    doc.preamble.push_back("The prices table of " + db_path + ", in the order the rows were added.");
    Table table;
    table.columns = {{"API product"}, {"model"},      {"item"},        {"$ per 1M tokens", Align::Right},
                     {"conditions"},  {"valid from"}, {"valid until"}, {"source"},
                     {"tag"},         {"as of"}};
    doc.csv.header = {"product", "model", "item", "usd_per_million_tokens", "conditions", "valid_from",
                      "valid_until", "source", "tag", "as_of"};
    for (const PriceEntry& p : prices) {
        table.rows.push_back({p.product, p.model, p.item, usd(p.usd_per_million_tokens, 4), p.conditions,
                              p.valid_from.value_or(""), p.valid_until.value_or(""), p.source, p.tag, p.as_of});
        doc.csv.rows.push_back({p.product, p.model, p.item, exact(p.usd_per_million_tokens), p.conditions,
                                p.valid_from.value_or(""), p.valid_until.value_or(""), p.source, p.tag, p.as_of});
    }
    table.notes.push_back(
        "Tags as in PUBLISHED.md: V read in the source, D derived, U unverified; \"user\": added from a prices file. "
        "moesim report prices --add FILE adds prices (see moesim report --help for the file's form).");
    doc.tables.push_back(std::move(table));
    return doc;
}

}  // namespace moesim::report
