#include "moesim/reports/price_file.h"

#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include <nlohmann/json.hpp>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "moesim/common/json_document.h"

namespace moesim::report {

namespace {

using nlohmann::json;

const std::vector<std::string> kItems = {"input_cache_hit", "input_cache_miss", "output"};
const std::vector<std::string> kTopKeys = {"prices"};
const std::vector<std::string> kEntryKeys = {"product", "model", "usd_per_million_tokens", "source", "as_of",
                                             "conditions", "valid_from", "valid_until", "tag"};

class Checker {
public:
    explicit Checker(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        throw ScenarioError(file_, path, what);
    }

    void only_known_keys(const json& object, const std::string& path, const std::vector<std::string>& known) const {
        for (const auto& item : object.items()) {
            bool found = false;
            for (const auto& k : known) found = found || k == item.key();
            if (!found) {
                std::string list;
                for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
                fail(path + "/" + json_pointer_token(item.key()),
                     "unknown key" + did_you_mean(item.key(), known) + "; expected one of: " + list);
            }
        }
    }

    // A required (or, with `fallback`, optional) one-line string; `allow_empty` for conditions.
    std::string text(const json& entry, const std::string& path, const std::string& key,
                     std::optional<std::string> fallback = std::nullopt, bool allow_empty = false) const {
        const std::string at = path + "/" + key;
        if (!entry.contains(key)) {
            if (fallback) return *fallback;
            fail(at, "missing; every price needs a " + key);
        }
        const json& value = entry.at(key);
        if (!value.is_string()) fail(at, "expected a string, got " + std::string(value.type_name()));
        const std::string s = value.get<std::string>();
        if (!allow_empty && s.find_first_not_of(" \t") == std::string::npos) fail(at, "is empty");
        for (unsigned char c : s)
            if (c < 0x20 || c == 0x7f) fail(at, "contains a control character (a price's texts are one line)");
        return s;
    }

    std::optional<std::string> optional_date(const json& entry, const std::string& path, const std::string& key,
                                             bool allow_time) const {
        if (!entry.contains(key) || entry.at(key).is_null()) return std::nullopt;
        const std::string s = text(entry, path, key);
        check_date(s, path + "/" + key, allow_time);
        return s;
    }

    void check_date(const std::string& s, const std::string& at, bool allow_time) const {
        if (!is_date(s, allow_time))
            fail(at, "\"" + s + "\" is not a date; expected YYYY-MM-DD or YYYY-MM" +
                         std::string(allow_time ? ", optionally with a UTC time as in 2025-09-05T16:00Z" : ""));
    }

private:
    static bool digits(std::string_view s, std::size_t from, std::size_t count, int& value) {
        if (from + count > s.size()) return false;
        value = 0;
        for (std::size_t i = from; i < from + count; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            value = value * 10 + (s[i] - '0');
        }
        return true;
    }

    static int days_in_month(int year, int month) {
        static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 && leap ? 29 : days[month - 1];
    }

    // YYYY-MM, YYYY-MM-DD and, with `allow_time`, YYYY-MM-DDTHH:MMZ or YYYY-MM-DDTHH:MM:SSZ.
    static bool is_date(std::string_view s, bool allow_time) {
        int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
        if (!digits(s, 0, 4, year) || s.size() < 7 || s[4] != '-' || !digits(s, 5, 2, month)) return false;
        if (month < 1 || month > 12) return false;
        if (s.size() == 7) return true;
        if (s.size() < 10 || s[7] != '-' || !digits(s, 8, 2, day) || day < 1 || day > days_in_month(year, month))
            return false;
        if (s.size() == 10) return true;
        if (!allow_time || s[10] != 'T' || !digits(s, 11, 2, hour) || s.size() < 14 || s[13] != ':' ||
            !digits(s, 14, 2, minute) || hour > 23 || minute > 59)
            return false;
        if (s.size() == 17 && s[16] == 'Z') return true;
        return s.size() == 20 && s[16] == ':' && digits(s, 17, 2, second) && second <= 59 && s[19] == 'Z';
    }

    std::string file_;
};


std::string describe(const PriceEntry& p) {
    return p.product + " (" + p.model + ") " + p.item + (p.conditions.empty() ? "" : ", " + p.conditions) +
           ", as of " + p.as_of;
}

}  // namespace

bool same_price_key(const PriceEntry& a, const PriceEntry& b) {
    return a.product == b.product && a.model == b.model && a.item == b.item && a.conditions == b.conditions &&
           a.as_of == b.as_of;
}

std::vector<FilePrice> load_price_file(const std::filesystem::path& path) {
    const std::string file = path.string();
    const json doc = parse_json_document(read_input_file(file, "prices", kMaxDocumentBytes), file);
    const Checker check(file);
    if (!doc.is_object()) check.fail("", "expected an object {\"prices\": [...]}, got " + std::string(doc.type_name()));
    check.only_known_keys(doc, "", kTopKeys);
    if (!doc.contains("prices")) check.fail("/prices", "missing; the file holds {\"prices\": [...]}");
    const json& list = doc.at("prices");
    if (!list.is_array()) check.fail("/prices", "expected an array, got " + std::string(list.type_name()));
    if (list.empty()) check.fail("/prices", "is empty; give at least one price");
    // A budget: a published price list has tens of entries; 100K took seconds to check and store.
    constexpr std::size_t kMaxEntries = 10000;
    if (list.size() > kMaxEntries)
        check.fail("/prices", "holds " + std::to_string(list.size()) + " entries, over the budget of " +
                                  std::to_string(kMaxEntries) + " entries per file");

    std::vector<FilePrice> out;
    std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, std::size_t> seen;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path_i = "/prices/" + std::to_string(i);
        const json& entry = list[i];
        if (!entry.is_object()) check.fail(path_i, "expected an object, got " + std::string(entry.type_name()));
        check.only_known_keys(entry, path_i, kEntryKeys);
        PriceEntry base;
        base.product = check.text(entry, path_i, "product");
        base.model = check.text(entry, path_i, "model");
        base.source = check.text(entry, path_i, "source");
        base.as_of = check.text(entry, path_i, "as_of");
        check.check_date(base.as_of, path_i + "/as_of", /*allow_time=*/false);
        base.conditions = check.text(entry, path_i, "conditions", "", /*allow_empty=*/true);
        base.tag = check.text(entry, path_i, "tag", "user");
        base.valid_from = check.optional_date(entry, path_i, "valid_from", true);
        base.valid_until = check.optional_date(entry, path_i, "valid_until", true);
        if (base.valid_from && base.valid_until && *base.valid_until <= *base.valid_from)
            check.fail(path_i + "/valid_until", "\"" + *base.valid_until + "\" is not after valid_from \"" +
                                                    *base.valid_from + "\"");

        const std::string items_path = path_i + "/usd_per_million_tokens";
        if (!entry.contains("usd_per_million_tokens"))
            check.fail(items_path, "missing; give the price of at least one of input_cache_hit, input_cache_miss, output");
        const json& items = entry.at("usd_per_million_tokens");
        if (!items.is_object()) check.fail(items_path, "expected an object, got " + std::string(items.type_name()));
        check.only_known_keys(items, items_path, kItems);
        if (items.empty())
            check.fail(items_path, "is empty; give the price of at least one of input_cache_hit, input_cache_miss, output");
        for (const std::string& item : kItems) {  // in the table's order, whatever the file's
            if (!items.contains(item)) continue;
            const std::string at = items_path + "/" + item;
            const json& value = items.at(item);
            if (!value.is_number()) check.fail(at, "expected a number of USD per 1M tokens, got " + std::string(value.type_name()));
            const double usd = value.get<double>();
            if (!std::isfinite(usd) || usd < 0) check.fail(at, value.dump() + ": a price is 0 or more");
            FilePrice& added = out.emplace_back(FilePrice{base, at});
            added.price.item = item;
            added.price.usd_per_million_tokens = usd;
            // Indexed by the table's unique key: a 100K-entry file is checked in n log n, not n².
            const auto [first, fresh] = seen.emplace(
                std::make_tuple(added.price.product, added.price.model, added.price.item, added.price.conditions,
                                added.price.as_of),
                out.size() - 1);
            if (!fresh)
                check.fail(at, describe(added.price) + " is given twice (first at " + out[first->second].json_path + ")");
        }
    }
    return out;
}

void refuse_known_prices(const std::filesystem::path& file, std::span<const FilePrice> added,
                         std::span<const PriceEntry> existing, const std::string& existing_where) {
    for (const FilePrice& p : added)
        for (const PriceEntry& known : existing)
            if (same_price_key(p.price, known))
                throw ScenarioError(file.string(), p.json_path,
                                    describe(p.price) + " is already in " + existing_where + " (at $" +
                                        nlohmann::json(known.usd_per_million_tokens).dump() +
                                        " per 1M tokens); give another as_of or conditions for a new price");
}

std::size_t add_prices(ResultsDb& db, const std::filesystem::path& file, std::span<const FilePrice> prices) {
    Connection& connection = db.connection();
    // The write lock first, so that nobody adds the same price between the check and the insert.
    Transaction transaction(connection);
    const std::vector<PriceEntry> existing = db.prices();
    refuse_known_prices(file, prices, existing, "the prices table of " + db.path());
    Statement insert(connection, R"sql(
        INSERT INTO prices (product, model, item, usd_per_million_tokens, conditions, valid_from, valid_until,
                            source, tag, as_of)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
    for (const FilePrice& p : prices) {
        const PriceEntry& e = p.price;
        insert.bind_all(e.product, e.model, e.item, e.usd_per_million_tokens, e.conditions, e.valid_from,
                        e.valid_until, e.source, e.tag, e.as_of)
            .run();
    }
    transaction.commit();
    return prices.size();
}

}  // namespace moesim::report
