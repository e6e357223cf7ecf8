#pragma once
// Renders a Document (document.h) as Markdown, CSV (RFC 4180) or a self-contained HTML page
// with inline SVG bar and scatter charts. Every text that comes from data is escaped for its format, so
// a run named `<b>|x,"y"` prints as that name in all three.
#include <string>
#include <string_view>

#include "moesim/reports/document.h"

namespace moesim::report {

enum class Format { Markdown, Csv, Html };

// "md" (or "markdown"), "csv", "html". Throws UserError naming the flag's value otherwise.
Format parse_format(std::string_view name);

std::string render(const Document& document, Format format);

std::string render_markdown(const Document& document);
// For a terminal: aligned columns, numbers right-aligned, notes under each table.
std::string render_plain(const Document& document);
// Header and rows, CRLF line ends; a field is quoted when it holds a comma, a double quote,
// CR or LF, with its quotes doubled (RFC 4180 §2).
std::string render_csv(const CsvTable& table);
// One HTML5 page: inline CSS, inline SVG, no scripts and no external assets.
std::string render_html(const Document& document);

std::string csv_field(std::string_view text);
// & < > " ' as entities: safe in HTML text, HTML attributes and SVG (XML).
std::string xml_escape(std::string_view text);
// One <svg> element.
std::string svg_bar_chart(const BarChart& chart);
// One <svg> element: the points on linear axes with round ticks, the Pareto front's points
// solid and joined by a line (in x order), dominated points faded, excluded ones hollow,
// labels placed where they overlap no other label. Each point is a <circle> with class
// "point front|dominated|excluded" and data-run, data-x and data-y (the values, exact).
std::string svg_scatter_chart(const ScatterChart& chart);

}  // namespace moesim::report
