/*
 * sqlx: see sqlx.h.
 */
#include "sqlx.h"

#include "log.h"
#include "util.h"

void
sqlx_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

char *
sqlx_column_text(sqlite3_stmt *st, int i)
{
    return xstrdup((const char *)sqlite3_column_text(st, i));
}

static void
sqlx_warn(sqlite3_stmt *st, const char *who)
{
    log_warnx("%s: %s: %s", who, sqlite3_sql(st), sqlite3_errmsg(sqlite3_db_handle(st)));
}

int
sqlx_step_done(sqlite3_stmt *st, const char *who)
{
    int rc = sqlite3_step(st);

    if (rc != SQLITE_DONE)
        sqlx_warn(st, who);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
sqlx_step_row(sqlite3_stmt *st, const char *who)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE)
        sqlx_warn(st, who);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
sqlx_exec(sqlite3 *db, const char *sql, const char *who)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    log_warnx("%s: %s: %s", who, sql, msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}
