/*
 * engine_fixture: a real store and engine in a temporary folder with the sample departments,
 * the ten-procedure template and one project loaded, and helpers that submit messages the way
 * the broker's batch does. Shared by the engine and clock unit tests (include once per test).
 */
#ifndef PERMIT_TEST_ENGINE_FIXTURE_H
#define PERMIT_TEST_ENGINE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fixture.h"

typedef struct fix {
    char dir[64];
    char *path;
    store_t *s;
    engine_t *en;
    entry_list_t out; /* entries appended by the last submission */
    pm_reply_t reply; /* reply to the last submission */
    int next_id;
    int64_t now; /* the time submissions arrive at */
} fix_t;

static inline void
reply_clear(pm_reply_t *r)
{
    free(r->id);
    free(r->code);
    free(r->reason);
    memset(r, 0, sizeof(*r));
}

/* Submit one message in its own transaction, as the broker's batch would. */
static inline void
submit(fix_t *f, pm_msg_t **msg)
{
    entry_list_clear(&f->out);
    reply_clear(&f->reply);
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(engine_submit(f->en, *msg, f->now, &f->out, &f->reply), 0);
    assert_int_equal(store_commit(f->s), 0);
    pm_msg_destroy(msg);
}

static inline void
import_template(fix_t *f, pm_template_t *t)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);
    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xasprintf("import-%d", f->next_id++);
    m->import->actor = xstrdup("operator:test");
    m->import->template = t;
    submit(f, &m);
}

static inline void
import_project(fix_t *f, const char *id, const char *name, const char *not_required)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);
    pm_project_t *p;

    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xasprintf("import-%d", f->next_id++);
    p = pm_import_add_project(m->import);
    p->id = xstrdup(id);
    p->name = xstrdup(name);
    p->region = xstrdup("科尔沁区");
    p->steward = xstrdup("王建国");
    strv_split(&p->not_required, not_required, ";");
    submit(f, &m);
}

/* Send a department event; the id is fresh unless given. */
static inline void
event(fix_t *f, const char *dept, const char *project, const char *procedure, pm_kind_t kind,
      const char *id)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);

    m->entry = pm_entry_new(kind);
    m->entry->event_id = id ? xstrdup(id) : xasprintf("ev-%d", f->next_id++);
    m->entry->dept = xstrdup(dept);
    m->entry->project = xstrdup(project);
    m->entry->procedure = xstrdup(procedure);
    if (kind == PM_KIND_ACCEPTED_DEFICIENT)
        m->entry->missing = xstrdup("土地权属证明");
    if (kind == PM_KIND_APPROVED)
        m->entry->cert = xasprintf("CERT-%s", procedure);
    submit(f, &m);
}

static inline void
expect_ack(fix_t *f)
{
    if (!f->reply.ok)
        fail_msg("refused (%s): %s", f->reply.code, f->reply.reason);
}

static inline void
expect_nack(fix_t *f, const char *code, uint64_t head_before)
{
    assert_false(f->reply.ok);
    assert_string_equal(f->reply.code, code);
    assert_non_null(f->reply.reason);
    assert_int_equal(f->out.n, 0);
    assert_int_equal(store_head(f->s), head_before);
}

/* Count the entries of a kind for a procedure (NULL: any) among the last appended. */
static inline int
count_out(const fix_t *f, pm_kind_t kind, const char *procedure)
{
    int n = 0;
    for (size_t i = 0; i < f->out.n; i++)
        if (f->out.v[i]->kind == kind &&
            (procedure == NULL || util_strcmp0(f->out.v[i]->procedure, procedure) == 0))
            n++;
    return n;
}

static inline pm_state_t
state_of(fix_t *f, const char *project, const char *procedure)
{
    pm_status_t *st = NULL;
    pm_reply_t r = {0};
    pm_state_t s = PM_STATE__COUNT;

    assert_int_equal(engine_status(f->en, project, f->now, &st, &r), 0);
    assert_non_null(st);
    for (size_t i = 0; i < st->nprocs; i++)
        if (strcmp(st->procs[i].code, procedure) == 0)
            s = st->procs[i].state;
    pm_status_destroy(&st);
    assert_int_not_equal(s, PM_STATE__COUNT);
    return s;
}

static inline int
setup(void **state)
{
    static const char *depts[][2] = {
        {"DRC", "发展和改革委员会"}, {"NRB", "自然资源局"}, {"EEB", "生态环境局"},
        {"HCB", "住房和城乡建设局"}, {"WRB", "水务局"},     {"FGB", "林业和草原局"},
        {"CTB", "文化旅游体育局"},
    };
    fix_t *f = xcalloc(1, sizeof(*f));
    pm_msg_t *m;
    char *err = NULL;

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "engine"), 0);
    f->path = xasprintf("%s/state.db", f->dir);
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    f->en = engine_new(f->s, NULL);
    f->now = 1763769600000; /* 2025-11-22 08:00 +08:00 */
    m = pm_msg_new(PM_MSG_IMPORT);
    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xstrdup("depts");
    for (size_t i = 0; i < sizeof(depts) / sizeof(depts[0]); i++) {
        pm_department_t *d = pm_import_add_dept(m->import);
        d->code = xstrdup(depts[i][0]);
        d->name = xstrdup(depts[i][1]);
    }
    submit(f, &m);
    expect_ack(f);
    assert_int_equal(f->reply.count, 7);
    import_template(f, fixture_template());
    expect_ack(f);
    import_project(f, "TL-2026-001", "通辽市科尔沁区智慧物流园项目", "");
    expect_ack(f);
    *state = f;
    return 0;
}

static inline int
teardown(void **state)
{
    fix_t *f = *state;

    entry_list_clear(&f->out);
    reply_clear(&f->reply);
    engine_destroy(&f->en);
    store_close(&f->s);
    assert_int_equal(fixture_rmtree(f->dir), 0);
    free(f->path);
    free(f);
    return 0;
}

/* Every derived table as text, for comparing live state with a rebuild. */
static inline char *
dump_state(const char *path)
{
    static const char *tables[] = {
        "SELECT * FROM departments ORDER BY code",
        "SELECT * FROM templates ORDER BY name, version",
        "SELECT * FROM projects ORDER BY id",
        "SELECT * FROM procedures ORDER BY project, code",
        "SELECT * FROM milestones ORDER BY project, code",
    };
    sqlite3 *db;
    char *out = xstrdup("");

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, tables[t], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *v = sqlite3_column_text(st, c);
                char *next = xasprintf("%s%s|", out, v ? (const char *)v : "NULL");
                free(out);
                out = next;
            }
            char *next = xasprintf("%s\n", out);
            free(out);
            out = next;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

#endif
