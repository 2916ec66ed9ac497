/*
 * sqlfix: two sqlite habits of the unit tests that open databases of their own (the crash
 * VFS's and walvfs's): run SQL that must work, and read one integer. Include after cmocka.h.
 */
#ifndef PERMIT_TEST_SQLFIX_H
#define PERMIT_TEST_SQLFIX_H

#include <sqlite3.h>
#include <stdint.h>

/* Run sql (any number of statements); the test fails with sqlite's message otherwise. */
static inline void
sqlfix_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg != NULL ? msg : "?");
}

/* The first column of the one row sql returns. */
static inline int64_t
sqlfix_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

#endif
