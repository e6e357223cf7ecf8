#include "moesim/reports/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "moesim/common/error.h"

namespace moesim::report {

namespace {

// SQLite's message for the last failure on `db`, with what it leaves unsaid: the
// operating system's reason for an I/O error, and why a lock is busy.
std::string explain(sqlite3* db, int rc) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (db && primary == SQLITE_IOERR) {
        if (const int os_error = sqlite3_system_errno(db); os_error != 0)
            message += " (" + std::string(std::strerror(os_error)) + ")";
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        message += " (another connection held it longer than the busy timeout)";
    return message;
}

}  // namespace

// ---------------------------------------------------------------- Connection

Connection::Connection(std::string path, bool create) : path_(std::move(path)) {
    // No SQLITE_OPEN_URI: a path is a path, never "file:…?mode=…".
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 hands back a handle even on failure; it carries the message.
        const std::string message = explain(db_, rc);
        close();
        throw DatabaseError("results database " + path_ + ": cannot open: " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept
    : path_(std::move(other.path_)), db_(std::exchange(other.db_, nullptr)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        path_ = std::move(other.path_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

void Connection::close() noexcept {
    // sqlite3_close_v2 defers the close until every statement is finalized.
    if (db_) sqlite3_close_v2(std::exchange(db_, nullptr));
}

void Connection::exec(std::string_view sql) {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        // Name the script by its first line that is not blank.
        const std::size_t start = std::min(text.find_first_not_of(" \t\n"), text.size());
        const std::string first_line = text.substr(start, text.find('\n', start) - start);
        fail("cannot run \"" + first_line + (start + first_line.size() < text.size() ? " …" : "") + "\"",
             explain(db_, rc));
    }
}

void Connection::set_busy_timeout_ms(int milliseconds) { sqlite3_busy_timeout(db_, milliseconds); }

bool Connection::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

void Connection::fail(std::string_view context) const { fail(context, sqlite3_errmsg(db_)); }

void Connection::fail(std::string_view context, std::string_view detail) const {
    std::string what = "results database " + path_ + ": " + std::string(context);
    if (!detail.empty()) what += ": " + std::string(detail);
    throw DatabaseError(what);
}

// ---------------------------------------------------------------- Statement

Statement::Statement(Connection& connection, std::string_view sql) : connection_(&connection), sql_(sql) {
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(connection.handle(), sql_.data(), static_cast<int>(sql_.size()), &stmt_, &tail) !=
        SQLITE_OK)
        fail("cannot prepare");
    // One statement per Statement: a second one would be silently ignored.
    MOESIM_CHECK(stmt_ != nullptr, "empty SQL: " + sql_);
    bool trailing = false;
    for (; tail && *tail; ++tail) trailing = trailing || !(*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';');
    // A constructor that throws runs no destructor: finalize here, or the connection never closes.
    if (trailing) sqlite3_finalize(std::exchange(stmt_, nullptr));
    MOESIM_CHECK(!trailing, "trailing SQL: " + sql_);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : connection_(other.connection_), stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}

void Statement::fail(std::string_view context) const {
    connection_->fail(std::string(context) + " \"" + sql_ + "\"");
}

Statement& Statement::checked_bind(int rc, int index) {
    if (rc != SQLITE_OK) fail("cannot bind parameter " + std::to_string(index) + " of");
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    return checked_bind(sqlite3_bind_int64(stmt_, index, value), index);
}

Statement& Statement::bind(int index, double value) {
    MOESIM_CHECK(!std::isnan(value), "NaN bound to parameter " + std::to_string(index) + " of \"" + sql_ + "\"");
    return checked_bind(sqlite3_bind_double(stmt_, index, value), index);
}

Statement& Statement::bind(int index, std::string_view value) {
    return checked_bind(
        sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

Statement& Statement::bind(int index, std::nullopt_t) { return checked_bind(sqlite3_bind_null(stmt_, index), index); }

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Reset so the statement (and its implicit read lock) does not linger in error.
    const std::string message = explain(connection_->handle(), rc);
    sqlite3_reset(stmt_);
    connection_->fail("cannot run \"" + sql_ + "\"", message);
}

void Statement::run() {
    const bool row = step();
    reset();
    MOESIM_CHECK(!row, "statement returned rows: " + sql_);
}

void Statement::reset() { sqlite3_reset(stmt_); }

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

bool Statement::column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::column_text(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const {
    if (column_is_null(column)) return std::nullopt;
    return column_int64(column);
}

std::optional<double> Statement::column_optional_double(int column) const {
    if (column_is_null(column)) return std::nullopt;
    return column_double(column);
}

std::string Statement::column_name(int column) const {
    const char* name = sqlite3_column_name(stmt_, column);
    return name ? name : "";
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Connection& connection, Kind kind)
    : connection_(connection), nested_(sqlite3_get_autocommit(connection.handle()) == 0) {
    if (nested_)
        connection_.exec("SAVEPOINT moesim_nested");
    else
        connection_.exec(kind == Kind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
    if (!open_) return;
    // Never throws: we are usually here because something else already did. If SQLite
    // rolled the transaction back by itself, ROLLBACK fails harmlessly.
    if (nested_) {
        sqlite3_exec(connection_.handle(), "ROLLBACK TO moesim_nested", nullptr, nullptr, nullptr);
        sqlite3_exec(connection_.handle(), "RELEASE moesim_nested", nullptr, nullptr, nullptr);
    } else {
        sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    MOESIM_CHECK(open_, "transaction committed twice");
    connection_.exec(nested_ ? "RELEASE moesim_nested" : "COMMIT");
    open_ = false;
}

}  // namespace moesim::report
