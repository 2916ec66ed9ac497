/*
 * sqlx: the few sqlite habits the broker's store and the agent's outbox share, so both read
 * and write columns the same way: NULL strings as SQL NULL, text columns copied out, and a
 * statement that must finish (or return one row) checked, reset and logged in one place.
 */
#ifndef PERMIT_SQLX_H
#define PERMIT_SQLX_H

#include <sqlite3.h>

/* Bind a string, or SQL NULL for NULL (the value is copied by sqlite). */
void sqlx_bind_text(sqlite3_stmt *st, int i, const char *v);

/* A text column copied out (caller owns), NULL for SQL NULL. */
char *sqlx_column_text(sqlite3_stmt *st, int i);

/*
 * Run a statement that returns no rows, then reset it and clear its bindings. 0, or -1 with
 * a log line naming `who` (the database) and the statement.
 */
int sqlx_step_done(sqlite3_stmt *st, const char *who);

/*
 * Step a statement expected to return at most one row: 1 with the row ready to read (the
 * caller resets the statement afterwards), 0 when there is none (reset), -1 on error (logged,
 * reset).
 */
int sqlx_step_row(sqlite3_stmt *st, const char *who);

/*
 * Before sqlite3_open_v2 creates a database file: create path with mode 0600 when it is
 * missing, whatever the umask, and take the world's bits off an existing one and its -wal,
 * -shm and -journal files. sqlite creates a new file 0644 (SQLITE_DEFAULT_FILE_PERMISSIONS is
 * fixed when it is compiled) and gives its -wal and -shm the main file's mode, so a database
 * of events, names and notes is only ever as readable as we made it here. ":memory:", "" and
 * file: URIs are left to sqlite. 0, or -1 with errno (the caller's open then says why).
 */
int sqlx_create_private(const char *path);

/* sqlite3_exec with the error logged. 0 or -1. */
int sqlx_exec(sqlite3 *db, const char *sql, const char *who);

#endif
