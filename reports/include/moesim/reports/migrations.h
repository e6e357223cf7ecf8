#pragma once
// The results database schema as an ordered list of migrations (DESIGN.md §4). A
// migration, once released, is never edited: a change to the schema is a new entry at
// the end. ResultsDb applies the missing ones when it opens a database.
#include <span>

namespace moesim::report {

struct Migration {
    int version;              // 1, 2, 3, … with no gaps
    const char* description;  // recorded in schema_version
    const char* sql;          // one or more statements, run inside the opening transaction
};

std::span<const Migration> migrations();

// The version a database has after every migration this binary knows.
int latest_schema_version();

}  // namespace moesim::report
