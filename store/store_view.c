/*
 * store_view: the report's read-only figures (store_view.h), as SQL over the sqlite tables of
 * store_sqlite.c. The statements are the report's definitions of its figures; the report
 * computes working days and ranks, this file only counts and joins.
 */
#include "store_view.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "store_backend.h"
#include "util.h"

struct store_view {
    store_t *s;
    sqlite3 *db;
    sqlite3_stmt *put_approved;
    sqlite3_stmt *put_proctype;
    char *err;
};

/* The report's notes beside the fold's tables, in this connection only. */
static const char notes_sql[] =
    "CREATE TEMP TABLE report_approved(project TEXT NOT NULL, code TEXT NOT NULL,"
    " ms INTEGER NOT NULL, PRIMARY KEY(project, code));"
    "CREATE TEMP TABLE report_proctypes(template TEXT NOT NULL, version INTEGER NOT NULL,"
    " code TEXT NOT NULL, name TEXT, limit_days INTEGER, promised_days INTEGER,"
    " PRIMARY KEY(template, version, code));";

static int
fail(store_view_t *v, const char *what)
{
    free(v->err);
    v->err = xasprintf("%s: %s", what, sqlite3_errmsg(v->db));
    return -1;
}

const char *
store_view_error(const store_view_t *v)
{
    return v->err != NULL ? v->err : "no error";
}

static sqlite3_stmt *
prepare(store_view_t *v, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(v, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

store_view_t *
store_view_new(store_t *s, char **err)
{
    store_view_t *v;
    sqlite3 *db = store_sqlite_conn(s);

    if (db == NULL) {
        *err =
            xasprintf(_("the report's figures need a sqlite store, not %s"), store_backend_name(s));
        return NULL;
    }
    v = xcalloc(1, sizeof(*v));
    v->s = s;
    v->db = db;
    if (sqlite3_exec(db, notes_sql, NULL, NULL, NULL) != SQLITE_OK) {
        fail(v, "scratch tables");
        goto fail;
    }
    v->put_approved = prepare(v, "INSERT OR REPLACE INTO report_approved VALUES (?1, ?2, ?3)");
    v->put_proctype =
        prepare(v, "INSERT OR REPLACE INTO report_proctypes VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (v->put_approved == NULL || v->put_proctype == NULL)
        goto fail;
    return v;
fail:
    *err = xstrdup(v->err);
    store_view_destroy(&v);
    return NULL;
}

void
store_view_destroy(store_view_t **p)
{
    store_view_t *v = *p;

    if (v == NULL)
        return;
    sqlite3_finalize(v->put_approved);
    sqlite3_finalize(v->put_proctype);
    free(v->err);
    free(v);
    *p = NULL;
}

/* Run a prepared insert and make it ready for the next. */
static int
put(store_view_t *v, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : fail(v, what);
}

int
store_view_note_approved(store_view_t *v, const char *project, const char *code, int64_t ms)
{
    sqlite3_stmt *st = v->put_approved;

    sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ms);
    return put(v, st, "approvals");
}

int
store_view_note_proctype(store_view_t *v, const char *tmpl, uint32_t version, const char *code,
                         const char *name, int64_t limit_days, int64_t promised_days)
{
    sqlite3_stmt *st = v->put_proctype;

    sqlite3_bind_text(st, 1, tmpl, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, limit_days);
    sqlite3_bind_int64(st, 6, promised_days);
    return put(v, st, "procedure types");
}

/* A read: the rows held in memory written back first, then the statement prepared. */
static sqlite3_stmt *
query(store_view_t *v, const char *sql)
{
    if (store_sync(v->s) < 0) {
        free(v->err);
        v->err = xstrdup("sync: the rows held in memory cannot be written back");
        return NULL;
    }
    return prepare(v, sql);
}

static const char *
text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

/* Step st to its end, handing each row to row(); a row() of -1 stops with what. */
static int
each(store_view_t *v, sqlite3_stmt *st, const char *what, int (*row)(sqlite3_stmt *, void *),
     void *arg)
{
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (row(st, arg) < 0) {
            sqlite3_finalize(st);
            free(v->err);
            v->err = xasprintf(_("%s: stopped by the caller"), what);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) {
        fail(v, what);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

/* One row of one statement into out[0..n-1]. */
static int
one_row(store_view_t *v, const char *sql, const char *what, int64_t *out, int n)
{
    sqlite3_stmt *st = query(v, sql);

    if (st == NULL)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        fail(v, what);
        sqlite3_finalize(st);
        return -1;
    }
    for (int i = 0; i < n; i++)
        out[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    return 0;
}

int
store_view_rates(store_view_t *v, store_view_rates_t *out)
{
    static const char sql_procs[] = "SELECT COUNT(*), COALESCE(SUM(state = 'approved'), 0),"
                                    " COALESCE(SUM(state = 'not_required'), 0) FROM procedures";
    static const char sql_projects[] =
        "SELECT COUNT(*), COALESCE(SUM(done), 0) FROM (SELECT COALESCE(MIN(x.state IN"
        " ('approved', 'not_required')), 1) AS done FROM projects p LEFT JOIN procedures x"
        " ON x.project = p.id GROUP BY p.id)";
    int64_t projects[2], procs[3];

    if (one_row(v, sql_projects, "projects", projects, 2) < 0 ||
        one_row(v, sql_procs, "procedures", procs, 3) < 0)
        return -1;
    out->projects = projects[0];
    out->projects_done = projects[1];
    out->procedures = procs[0];
    out->approved = procs[1];
    out->not_required = procs[2];
    return 0;
}

typedef struct count_arg {
    store_view_count_fn *fn;
    void *arg;
} count_arg_t;

static int
count_row(sqlite3_stmt *st, void *arg)
{
    count_arg_t *a = arg;
    return a->fn(a->arg, text(st, 0), sqlite3_column_int64(st, 1));
}

int
store_view_counts(store_view_t *v, store_view_count_t what, store_view_count_fn *fn, void *arg)
{
    static const char *const sql[] = {
        [STORE_VIEW_PROC_STATES] = "SELECT state, COUNT(*) FROM procedures GROUP BY state",
        [STORE_VIEW_PROC_COLOURS] = "SELECT colour, COUNT(*) FROM procedures GROUP BY colour",
        /* A project is as red as its worst procedure or its own due date (projects.colour,
         * from the project-colour entries): red if either is red, else yellow if either is
         * yellow, else green. So 59 red procedures never come with 0 red projects. */
        [STORE_VIEW_PROJECT_COLOURS] =
            "SELECT c, COUNT(*) FROM (SELECT CASE"
            " WHEN p.colour = 'red' OR COALESCE(SUM(x.colour = 'red'), 0) > 0 THEN 'red'"
            " WHEN p.colour = 'yellow' OR COALESCE(SUM(x.colour = 'yellow'), 0) > 0"
            " THEN 'yellow' ELSE 'green' END AS c"
            " FROM projects p LEFT JOIN procedures x ON x.project = p.id GROUP BY p.id)"
            " GROUP BY c",
    };
    count_arg_t a = {fn, arg};
    sqlite3_stmt *st;

    if ((unsigned)what >= ARRAY_LEN(sql) || (st = query(v, sql[what])) == NULL)
        return -1;
    return each(v, st, "counts", count_row, &a);
}

typedef struct red_arg {
    store_view_red_fn *fn;
    void *arg;
} red_arg_t;

static int
red_row(sqlite3_stmt *st, void *arg)
{
    red_arg_t *a = arg;
    store_view_red_t r = {
        .project = text(st, 0),
        .project_name = text(st, 1),
        .region = text(st, 2),
        .steward = text(st, 3),
        .code = text(st, 4),
        .proc_name = text(st, 5),
        .dept = text(st, 6),
        .dept_name = text(st, 7),
        .deadline = sqlite3_column_int(st, 8),
        .statutory = sqlite3_column_int(st, 9),
        .paused_on = sqlite3_column_int(st, 10),
        .limit_days = sqlite3_column_int64(st, 11),
        .promised_days = sqlite3_column_int64(st, 12),
    };
    return a->fn(a->arg, &r);
}

int
store_view_red(store_view_t *v, store_view_red_fn *fn, void *arg)
{
    static const char sql[] =
        "SELECT p.id, p.name, p.region, p.steward, x.code, t.name, x.dept, d.name, x.deadline,"
        " x.statutory, x.paused_on, t.limit_days, t.promised_days FROM procedures x"
        " JOIN projects p ON p.id = x.project"
        " LEFT JOIN report_proctypes t ON t.template = p.template"
        " AND t.version = p.template_version AND t.code = x.code"
        " LEFT JOIN departments d ON d.code = x.dept WHERE x.colour = 'red'";
    red_arg_t a = {fn, arg};
    sqlite3_stmt *st = query(v, sql);

    if (st == NULL)
        return -1;
    return each(v, st, "overdue", red_row, &a);
}

typedef struct approval_arg {
    store_view_approval_fn *fn;
    void *arg;
} approval_arg_t;

static int
approval_row(sqlite3_stmt *st, void *arg)
{
    approval_arg_t *a = arg;
    store_view_approval_t r = {.dept = text(st, 0), .dept_name = text(st, 1)};

    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        r.approved = true;
        r.accepted_ms = sqlite3_column_int64(st, 2);
        r.approved_ms = sqlite3_column_int64(st, 3);
        r.extended = sqlite3_column_int64(st, 4);
        r.limit_days = sqlite3_column_int64(st, 5);
        r.promised_days = sqlite3_column_int64(st, 6);
    }
    return a->fn(a->arg, &r);
}

int
store_view_approvals(store_view_t *v, store_view_approval_fn *fn, void *arg)
{
    static const char sql[] =
        "SELECT d.code, d.name, x.accepted_ms, a.ms, x.extended, t.limit_days, t.promised_days"
        " FROM departments d LEFT JOIN procedures x ON x.dept = d.code"
        " AND x.state = 'approved' AND x.accepted_ms > 0"
        " LEFT JOIN report_approved a ON a.project = x.project AND a.code = x.code"
        " LEFT JOIN projects p ON p.id = x.project"
        " LEFT JOIN report_proctypes t ON t.template = p.template"
        " AND t.version = p.template_version AND t.code = x.code ORDER BY d.code";
    approval_arg_t a = {fn, arg};
    sqlite3_stmt *st = query(v, sql);

    if (st == NULL)
        return -1;
    return each(v, st, "departments", approval_row, &a);
}

typedef struct group_arg {
    store_view_group_fn *fn;
    void *arg;
    bool named; /* column 8 is the department's name */
} group_arg_t;

static int
group_row(sqlite3_stmt *st, void *arg)
{
    group_arg_t *a = arg;
    store_view_group_t g = {
        .key = text(st, 0),
        .name = a->named && sqlite3_column_type(st, 8) != SQLITE_NULL ? text(st, 8) : NULL,
        .projects = sqlite3_column_int64(st, 1),
        .projects_done = sqlite3_column_int64(st, 2),
        .procedures = sqlite3_column_int64(st, 3),
        .approved = sqlite3_column_int64(st, 4),
        .not_required = sqlite3_column_int64(st, 5),
        .red = sqlite3_column_int64(st, 6),
        .yellow = sqlite3_column_int64(st, 7),
    };
    return a->fn(a->arg, &g);
}

int
store_view_groups(store_view_t *v, store_view_by_t by, store_view_group_fn *fn, void *arg)
{
    /* Per project first, so a project's completion is decided on all its procedures. */
    static const char sql_projects[] =
        "SELECT k, COUNT(*), SUM(done), SUM(n), SUM(a), SUM(nr), SUM(red), SUM(yellow) FROM"
        " (SELECT COALESCE(NULLIF(p.%s, ''), '-') AS k, COALESCE(MIN(x.state IN"
        " ('approved', 'not_required')), 1) AS done, COUNT(x.code) AS n,"
        " COALESCE(SUM(x.state = 'approved'), 0) AS a,"
        " COALESCE(SUM(x.state = 'not_required'), 0) AS nr,"
        " COALESCE(SUM(x.colour = 'red'), 0) AS red,"
        " COALESCE(SUM(x.colour = 'yellow'), 0) AS yellow"
        " FROM projects p LEFT JOIN procedures x ON x.project = p.id GROUP BY p.id)"
        " GROUP BY k";
    static const char sql_depts[] =
        "SELECT x.dept, COUNT(DISTINCT x.project), NULL, COUNT(*), SUM(x.state = 'approved'),"
        " SUM(x.state = 'not_required'), SUM(x.colour = 'red'), SUM(x.colour = 'yellow'),"
        " d.name FROM procedures x LEFT JOIN departments d ON d.code = x.dept GROUP BY x.dept";
    group_arg_t a = {fn, arg, by == STORE_VIEW_BY_DEPARTMENT};
    char *sql;
    sqlite3_stmt *st;

    switch (by) {
    case STORE_VIEW_BY_REGION:
        sql = xasprintf(sql_projects, "region");
        break;
    case STORE_VIEW_BY_INDUSTRY:
        sql = xasprintf(sql_projects, "industry");
        break;
    case STORE_VIEW_BY_DEPARTMENT:
        sql = xstrdup(sql_depts);
        break;
    default:
        free(v->err);
        v->err = xstrdup("breakdown: no such grouping");
        return -1;
    }
    st = query(v, sql);
    free(sql);
    if (st == NULL)
        return -1;
    return each(v, st, "breakdown", group_row, &a);
}
