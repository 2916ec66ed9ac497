/*
 * directory: see directory.h.
 */
#include "directory.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sqlx.h"
#include "util.h"

#define WHO "notify directory"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS dir_dept(code TEXT PRIMARY KEY, name TEXT, contact TEXT);"
    "CREATE TABLE IF NOT EXISTS dir_project(id TEXT PRIMARY KEY, name TEXT, region TEXT,"
    " steward TEXT, leader TEXT, template TEXT);"
    "CREATE TABLE IF NOT EXISTS dir_prereq(template TEXT NOT NULL, proc TEXT NOT NULL,"
    " needs TEXT NOT NULL, PRIMARY KEY(template, proc, needs));"
    "CREATE TABLE IF NOT EXISTS dir_calday(date TEXT PRIMARY KEY, off INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS dir_rejected(project TEXT NOT NULL, proc TEXT NOT NULL,"
    " PRIMARY KEY(project, proc));";

int
dir_init(sqlite3 *db)
{
    return sqlx_exec(db, schema, WHO);
}

/* Prepare, bind up to four texts, run. */
static int
run4(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c, const char *d)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_warnx(WHO ": %s: %s", sql, sqlite3_errmsg(db));
        return -1;
    }
    sqlx_bind_text(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlx_bind_text(st, 2, b);
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlx_bind_text(st, 3, c);
    if (sqlite3_bind_parameter_count(st) >= 4)
        sqlx_bind_text(st, 4, d);
    rc = sqlx_step_done(st, WHO);
    sqlite3_finalize(st);
    return rc;
}

static int
apply_template(sqlite3 *db, const pm_template_t *t)
{
    /* A new version replaces the old edges: prerequisites can be dropped between versions. */
    if (run4(db, "DELETE FROM dir_prereq WHERE template = ?1", t->name, NULL, NULL, NULL) < 0)
        return -1;
    for (size_t i = 0; i < t->nedges; i++)
        if (run4(db, "INSERT OR IGNORE INTO dir_prereq(template, proc, needs) VALUES (?1, ?2, ?3)",
                 t->name, t->edges[i].to, t->edges[i].from, NULL) < 0)
            return -1;
    return 0;
}

int
dir_apply(sqlite3 *db, const pm_entry_t *e)
{
    switch (e->kind) {
    case PM_KIND_DEPARTMENT:
        if (e->department == NULL)
            return 0;
        return run4(db, "INSERT OR REPLACE INTO dir_dept(code, name, contact) VALUES (?1, ?2, ?3)",
                    e->department->code, e->department->name, e->department->contact, NULL);
    case PM_KIND_PROJECT: {
        const pm_project_t *p = e->project_info;
        if (p == NULL)
            return 0;
        if (run4(db,
                 "INSERT OR REPLACE INTO dir_project(id, name, region, steward)"
                 " VALUES (?1, ?2, ?3, ?4)",
                 p->id, p->name, p->region, p->steward) < 0)
            return -1;
        return run4(db, "UPDATE dir_project SET leader = ?2, template = ?3 WHERE id = ?1", p->id,
                    p->leader, p->template_name, NULL);
    }
    case PM_KIND_TEMPLATE:
        return e->template != NULL ? apply_template(db, e->template) : 0;
    case PM_KIND_CALENDAR:
        if (e->calendar == NULL)
            return 0;
        for (size_t i = 0; i < e->calendar->ndays; i++)
            if (run4(db, "INSERT OR REPLACE INTO dir_calday(date, off) VALUES (?1, ?2)",
                     e->calendar->days[i].date, e->calendar->days[i].off ? "1" : "0", NULL,
                     NULL) < 0)
                return -1;
        return 0;
    case PM_KIND_REJECTED:
        return run4(db, "INSERT OR IGNORE INTO dir_rejected(project, proc) VALUES (?1, ?2)",
                    e->project, e->procedure, NULL, NULL);
    case PM_KIND_ACCEPTED:
    case PM_KIND_ACCEPTED_DEFICIENT:
    case PM_KIND_APPROVED:
    case PM_KIND_NOT_REQUIRED:
    case PM_KIND_WITHDRAWN:
        return run4(db, "DELETE FROM dir_rejected WHERE project = ?1 AND proc = ?2", e->project,
                    e->procedure, NULL, NULL);
    default:
        return 0;
    }
}

int
dir_lookup(sqlite3 *db, const char *project, const char *dept, dir_info_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(db,
                           "SELECT p.name, p.region, p.steward, p.leader, d.name, d.contact"
                           " FROM (SELECT 1) LEFT JOIN dir_project p ON p.id = ?1"
                           " LEFT JOIN dir_dept d ON d.code = ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        log_warnx(WHO ": lookup: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlx_bind_text(st, 1, project);
    sqlx_bind_text(st, 2, dept);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->project_name = sqlx_column_text(st, 0);
        out->region = sqlx_column_text(st, 1);
        out->steward = sqlx_column_text(st, 2);
        out->leader = sqlx_column_text(st, 3);
        out->dept_name = sqlx_column_text(st, 4);
        out->dept_contact = sqlx_column_text(st, 5);
    } else {
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

void
dir_info_clear(dir_info_t *i)
{
    free(i->project_name);
    free(i->region);
    free(i->steward);
    free(i->leader);
    free(i->dept_name);
    free(i->dept_contact);
    memset(i, 0, sizeof(*i));
}

int
dir_prereq_rejected(sqlite3 *db, const char *project, const char *procedure, char **which)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db,
                           "SELECT r.proc FROM dir_project p"
                           " JOIN dir_prereq q ON q.template = COALESCE(p.template, 'standard')"
                           " AND q.proc = ?2"
                           " JOIN dir_rejected r ON r.project = p.id AND r.proc = q.needs"
                           " WHERE p.id = ?1 ORDER BY r.proc LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        log_warnx(WHO ": prerequisites: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlx_bind_text(st, 1, project);
    sqlx_bind_text(st, 2, procedure);
    rc = sqlx_step_row(st, WHO);
    if (rc == 1)
        *which = sqlx_column_text(st, 0);
    sqlite3_finalize(st);
    return rc;
}

bool
dir_is_workday(sqlite3 *db, const char *date, int wday)
{
    sqlite3_stmt *st = NULL;
    bool work = wday != 0 && wday != 6;

    if (sqlite3_prepare_v2(db, "SELECT off FROM dir_calday WHERE date = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return work;
    sqlx_bind_text(st, 1, date);
    if (sqlite3_step(st) == SQLITE_ROW)
        work = sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    return work;
}
