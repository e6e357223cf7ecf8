// The HTML rendering: one self-contained page (inline CSS and SVG, no scripts, nothing
// fetched), every text escaped.
#include <string>

#include "moesim/common/error.h"
#include "moesim/reports/render.h"

namespace moesim::report {

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { color: #555; font-size: 13px; max-width: 60em; }
figure { margin: 1em 0 2em; }
)css";

void html_table(std::string& out, const Table& table) {
    if (!table.title.empty()) out += "<h2>" + xml_escape(table.title) + "</h2>\n";
    out += "<table>\n<thead><tr>";
    for (const Column& column : table.columns) out += "<th>" + xml_escape(column.header) + "</th>";
    out += "</tr></thead>\n<tbody>\n";
    for (const auto& row : table.rows) {
        MOESIM_CHECK(row.size() == table.columns.size(), "table \"" + table.title + "\": row of the wrong width");
        out += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i)
            out += std::string(table.columns[i].align == Align::Right ? "<td class=\"num\">" : "<td>") +
                   xml_escape(row[i]) + "</td>";
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n";
    for (const std::string& note : table.notes) out += "<p class=\"note\">" + xml_escape(note) + "</p>\n";
}

}  // namespace

std::string render_html(const Document& document) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
                      xml_escape(document.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
    if (!document.title.empty()) out += "<h1>" + xml_escape(document.title) + "</h1>\n";
    for (const std::string& paragraph : document.preamble) out += "<p>" + xml_escape(paragraph) + "</p>\n";
    for (const ScatterChart& chart : document.scatters) out += "<figure>\n" + svg_scatter_chart(chart) + "</figure>\n";
    for (const Table& table : document.tables) html_table(out, table);
    for (const BarChart& chart : document.charts) out += "<figure>\n" + svg_bar_chart(chart) + "</figure>\n";
    out += "</body>\n</html>\n";
    return out;
}

}  // namespace moesim::report
