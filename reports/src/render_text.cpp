// Markdown and CSV renderings of a Document, and the choice of format.
#include <string>

#include "moesim/common/did_you_mean.h"
#include "moesim/common/error.h"
#include "moesim/reports/render.h"

namespace moesim::report {

Format parse_format(std::string_view name) {
    if (name == "md" || name == "markdown") return Format::Markdown;
    if (name == "csv") return Format::Csv;
    if (name == "html") return Format::Html;
    throw UserError("--format " + std::string(name) + ": expected md, csv or html" +
                    did_you_mean(std::string(name), {"md", "markdown", "csv", "html"}));
}

std::string render(const Document& document, Format format) {
    switch (format) {
        case Format::Markdown: return render_markdown(document);
        case Format::Csv: return render_csv(document.csv);
        case Format::Html: return render_html(document);
    }
    MOESIM_CHECK(false, "unknown report format");
    return {};
}

namespace {

// A table cell or a heading: one line, and a '|' that does not end the cell. Backslashes
// are doubled first so that the escape itself cannot be forged.
std::string markdown_cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == '|')
            out += '\\', out += c;
        else if (c == '\n' || c == '\r')
            out += ' ';
        else
            out += c;
    }
    return out;
}

void markdown_table(std::string& out, const Table& table) {
    if (!table.title.empty()) out += "## " + markdown_cell(table.title) + "\n\n";
    std::string header = "|", rule = "|";
    for (const Column& column : table.columns) {
        header += " " + markdown_cell(column.header) + " |";
        rule += column.align == Align::Right ? "---:|" : "---|";
    }
    out += header + "\n" + rule + "\n";
    for (const auto& row : table.rows) {
        MOESIM_CHECK(row.size() == table.columns.size(), "table \"" + table.title + "\": row of the wrong width");
        out += "|";
        for (const std::string& cell : row) out += " " + markdown_cell(cell) + " |";
        out += "\n";
    }
    for (const std::string& note : table.notes) out += "\n" + note + "\n";
    out += "\n";
}

}  // namespace

std::string render_markdown(const Document& document) {
    std::string out;
    if (!document.title.empty()) out += "# " + markdown_cell(document.title) + "\n\n";
    for (const std::string& paragraph : document.preamble) out += paragraph + "\n\n";
    for (const Table& table : document.tables) markdown_table(out, table);
    while (out.size() >= 2 && out.ends_with("\n\n")) out.pop_back();
    return out;
}

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string render_csv(const CsvTable& table) {
    std::string out;
    auto line = [&](const std::vector<std::string>& fields) {
        MOESIM_CHECK(fields.size() == table.header.size(), "CSV row of the wrong width");
        for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + csv_field(fields[i]);
        out += "\r\n";
    };
    line(table.header);
    for (const auto& row : table.rows) line(row);
    return out;
}

}  // namespace moesim::report
