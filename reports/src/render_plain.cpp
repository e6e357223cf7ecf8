// The plain-text rendering of a Document, for a terminal: the title underlined, paragraphs
// as they are, each table in aligned columns (numbers right-aligned), its notes under it.
#include <algorithm>
#include <string>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/reports/render.h"
#include "moesim/reports/report_format.h"

namespace moesim::report {

namespace {

std::string padded(const std::string& cell, std::size_t width, Align align) {
    const std::string pad(width - std::min(width, glyph_count(cell)), ' ');
    return align == Align::Right ? pad + cell : cell + pad;
}

void plain_table(std::string& out, const Table& table) {
    if (!table.title.empty()) out += table.title + "\n" + std::string(glyph_count(table.title), '-') + "\n";
    std::vector<std::size_t> widths;
    for (const Column& column : table.columns) widths.push_back(glyph_count(column.header));
    for (const auto& row : table.rows) {
        MOESIM_CHECK(row.size() == table.columns.size(), "table \"" + table.title + "\": row of the wrong width");
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], glyph_count(row[i]));
    }
    auto line = [&](auto cell_of) {
        std::string text;
        for (std::size_t i = 0; i < table.columns.size(); ++i)
            text += (i ? "  " : "") + padded(cell_of(i), widths[i], table.columns[i].align);
        while (text.ends_with(' ')) text.pop_back();
        out += text + "\n";
    };
    line([&](std::size_t i) { return table.columns[i].header; });
    line([&](std::size_t i) { return std::string(widths[i], '-'); });
    for (const auto& row : table.rows) line([&](std::size_t i) { return row[i]; });
    for (const std::string& note : table.notes) out += "\n" + note + "\n";
    out += "\n";
}

}  // namespace

std::string render_plain(const Document& document) {
    std::string out;
    if (!document.title.empty()) out += document.title + "\n" + std::string(glyph_count(document.title), '=') + "\n\n";
    for (const std::string& paragraph : document.preamble) out += paragraph + "\n\n";
    for (const Table& table : document.tables) plain_table(out, table);
    while (out.size() >= 2 && out.ends_with("\n\n")) out.pop_back();
    return out;
}

}  // namespace moesim::report
