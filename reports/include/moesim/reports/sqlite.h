#pragma once
// A thin RAII layer over the sqlite3 C API: a connection, a prepared statement with typed
// bind/column, and a transaction guard that rolls back unless committed. Every SQLite
// failure becomes a moesim::DatabaseError that names the database path and carries
// SQLite's own message, so the CLI can print it and exit 2 (DESIGN.md §6).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace moesim::report {

class Connection {
public:
    // Opens (creating if `create`) the database at `path`, read-write. Opening does no I/O
    // beyond opening the file: a file that is not a database is only noticed by the first
    // statement, which reads before anything writes.
    Connection(std::string path, bool create);
    ~Connection();
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one or more statements that return no rows (a migration script, a PRAGMA).
    void exec(std::string_view sql);
    void set_busy_timeout_ms(int milliseconds);
    bool read_only() const;
    std::int64_t last_insert_rowid() const;

    const std::string& path() const { return path_; }
    sqlite3* handle() const { return db_; }

    // Throws DatabaseError "results database PATH: CONTEXT: <sqlite message>".
    [[noreturn]] void fail(std::string_view context) const;
    [[noreturn]] void fail(std::string_view context, std::string_view detail) const;

private:
    void close() noexcept;

    std::string path_;
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    Statement(Connection& connection, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are numbered from 1, as in SQLite. A double NaN is refused (SQLite would
    // store it as NULL): a NaN in a result is a bug upstream, not something to record.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, std::nullopt_t);
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
    // bind_all(a, b, c) binds parameters 1, 2, 3.
    template <class... Args>
    Statement& bind_all(const Args&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    // Advances: true while a row is available, false once the statement is done.
    bool step();
    // Steps a statement that must return no rows (INSERT, UPDATE, …), then resets it.
    void run();
    // Ready to step again; bindings are kept.
    void reset();

    int column_count() const;
    bool column_is_null(int column) const;  // columns are numbered from 0
    std::int64_t column_int64(int column) const;
    double column_double(int column) const;
    std::string column_text(int column) const;
    std::optional<std::int64_t> column_optional_int64(int column) const;
    std::optional<double> column_optional_double(int column) const;
    std::string column_name(int column) const;

private:
    [[noreturn]] void fail(std::string_view context) const;
    Statement& checked_bind(int rc, int index);

    Connection* connection_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() was called. An
// IMMEDIATE transaction takes the write lock up front, so two writers wait on the busy
// timeout at BEGIN instead of failing later on a lock upgrade. Inside another transaction it
// is a SAVEPOINT: its commit() releases into the outer one, its rollback undoes only its own
// work, so a batch of runs can share one transaction while each run stays whole.
class Transaction {
public:
    enum class Kind { Deferred, Immediate };
    explicit Transaction(Connection& connection, Kind kind = Kind::Immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    Connection& connection_;
    bool open_ = true;
    bool nested_ = false;
};

}  // namespace moesim::report
