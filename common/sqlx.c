/*
 * sqlx: see sqlx.h.
 */
#include "sqlx.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Take the world's read and write bits off an existing file; a missing one is fine. */
static int
no_world_access(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if ((st.st_mode & 0007) == 0)
        return 0;
    return chmod(path, st.st_mode & 07770);
}

int
sqlx_create_private(const char *path)
{
    static const char *const companions[] = {"-wal", "-shm", "-journal"};
    int fd;

    if (util_empty(path) || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return 0;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        int rc = fchmod(fd, 0600);
        close(fd);
        if (rc != 0)
            return -1;
    } else if (errno != EEXIST || no_world_access(path) != 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
        char *p = xasprintf("%s%s", path, companions[i]);
        int rc = no_world_access(p);
        free(p);
        if (rc != 0)
            return -1;
    }
    return 0;
}

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
