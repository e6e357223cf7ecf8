#pragma once
// A report as data, before it is rendered: titled tables with notes under them, bar charts,
// and the one table that the CSV output carries. The builders (serving_compare.h,
// training_report.h, price_list.h) decide what is shown; render.h decides how. Cells are
// already formatted text, so the three formats show the same figures.
#include <string>
#include <vector>

namespace moesim::report {

enum class Align { Left, Right };

struct Column {
    std::string header;
    Align align = Align::Left;
};

struct Table {
    std::string title;
    std::vector<Column> columns;
    std::vector<std::vector<std::string>> rows;  // one cell per column
    std::vector<std::string> notes;              // paragraphs printed under the table
};

// A horizontal bar; `series` picks its colour and its legend entry.
struct Bar {
    std::string label;
    double value = 0;        // >= 0, in the chart's unit
    std::string value_text;  // printed at the end of the bar
    int series = 0;          // index into BarChart::series
};

struct BarGroup {
    std::string label;  // printed above the group's bars
    std::vector<Bar> bars;
};

struct BarChart {
    std::string title;
    std::string unit;                 // of the axis, e.g. "USD per 1M tokens"
    std::vector<std::string> series;  // legend, one name per colour
    std::vector<BarGroup> groups;
};

// A point of a scatter chart (a Pareto front, `moesim report sweep`).
enum class PointKind {
    Front,      // on the Pareto front: solid, joined by the front's line
    Dominated,  // drawn faded
    Excluded,   // not a candidate (SLO missed, over memory): drawn hollow
};

struct ScatterPoint {
    double x = 0, y = 0;  // in the axes' units
    std::string id;       // the run id, kept as the point's data-run attribute
    std::string label;    // drawn beside the point (a front's always; another's where it overlaps
                          // nothing, else "#" and its id)
    std::string tooltip;  // the whole story, as the point's <title>
    PointKind kind = PointKind::Dominated;
};

struct ScatterChart {
    std::string title;
    std::string x_title, y_title;  // with units: "peak memory per GPU, GB"
    bool x_lower_is_better = true, y_lower_is_better = true;
    std::string excluded_legend;  // what an Excluded point is, e.g. "SLO missed or overloaded"
    std::vector<ScatterPoint> points;
};

// CSV has no room for titles, notes or a second table: it gets one table of raw values
// (full precision, no units in the cells; units in the column names).
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

struct Document {
    std::string title;
    std::vector<std::string> preamble;  // paragraphs before the first table
    std::vector<Table> tables;
    std::vector<ScatterChart> scatters;  // HTML only, before the tables
    std::vector<BarChart> charts;        // HTML only
    CsvTable csv;
};

}  // namespace moesim::report
