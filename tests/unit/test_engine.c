/*
 * Unit tests of the dependency engine on a real sqlite store in a temporary folder:
 * unblocking along hard and parallel edges, refusals that change nothing, duplicate ids,
 * milestones, template versions, and a rebuild from the log that reproduces the state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_fixture.h"

static void
test_registration_states(void **state)
{
    fix_t *f = *state;

    assert_int_equal(state_of(f, "TL-2026-001", "LAND_PREREVIEW"), PM_STATE_READY);
    assert_int_equal(state_of(f, "TL-2026-001", "EIA"), PM_STATE_READY);
    assert_int_equal(state_of(f, "TL-2026-001", "PROJECT_APPROVAL"), PM_STATE_BLOCKED);
    assert_int_equal(state_of(f, "TL-2026-001", "CONSTRUCTION_PERMIT"), PM_STATE_BLOCKED);
    /* Not required at registration: FOREST_USE's dependents count it as done. */
    import_project(f, "ED-2026-002", "鄂尔多斯市康巴什区数据中心项目", "FOREST_USE;RELICS");
    expect_ack(f);
    assert_int_equal(state_of(f, "ED-2026-002", "FOREST_USE"), PM_STATE_NOT_REQUIRED);
    assert_int_equal(state_of(f, "ED-2026-002", "LAND_PLAN_PERMIT"), PM_STATE_BLOCKED);
}

/* Ready at registration is announced as ready later is: one unblocked entry each, caused by
 * the registration; never one for a procedure not required. A rebuild gives the same rows. */
static void
test_registration_announces_ready(void **state)
{
    fix_t *f = *state;
    uint64_t count = 0;
    char *live, *rebuilt;

    import_project(f, "ED-2026-002", "鄂尔多斯市康巴什区数据中心项目", "LAND_PREREVIEW;RELICS");
    expect_ack(f);
    assert_int_equal(f->out.v[0]->kind, PM_KIND_PROJECT);
    /* No prerequisites: EIA, SOIL_WATER. LAND_PREREVIEW not required: PROJECT_APPROVAL
     * (parallel) and FOREST_USE (hard) are ready too. RELICS is not required. */
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, NULL), 4);
    for (size_t i = 1; i < f->out.n; i++) {
        const pm_entry_t *u = f->out.v[i];
        if (u->kind != PM_KIND_UNBLOCKED)
            continue;
        assert_int_equal(u->cause, f->out.v[0]->seq);
        assert_string_equal(u->project, "ED-2026-002");
        assert_string_equal(u->steward, "王建国");
        assert_int_equal(state_of(f, "ED-2026-002", u->procedure), PM_STATE_READY);
    }
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "EIA"), 1);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "SOIL_WATER"), 1);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "PROJECT_APPROVAL"), 1);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "FOREST_USE"), 1);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "LAND_PREREVIEW"), 0);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "RELICS"), 0);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "LAND_PLAN_PERMIT"), 0);
    for (size_t i = 0; i < f->out.n; i++)
        if (f->out.v[i]->kind == PM_KIND_UNBLOCKED)
            assert_string_equal(f->out.v[i]->dept,
                                strcmp(f->out.v[i]->procedure, "EIA") == 0          ? "EEB"
                                : strcmp(f->out.v[i]->procedure, "SOIL_WATER") == 0 ? "WRB"
                                : strcmp(f->out.v[i]->procedure, "FOREST_USE") == 0 ? "FGB"
                                                                                    : "DRC");
    /* Already ready: the first event finds the same state as before. */
    event(f, "DRC", "ED-2026-002", "PROJECT_APPROVAL", PM_KIND_ACCEPTED, NULL);
    expect_ack(f);

    assert_int_equal(store_sync(f->s), 0);
    live = dump_state(f->path);
    assert_int_equal(engine_rebuild(f->en, &count), 0);
    rebuilt = dump_state(f->path);
    assert_string_equal(live, rebuilt);
    free(rebuilt);
    free(live);
}

static void
test_parallel_then_hard_unblock(void **state)
{
    fix_t *f = *state;
    const pm_entry_t *u;

    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
    /* Parallel edge: accepted is enough for PROJECT_APPROVAL; FOREST_USE (hard) waits. */
    assert_int_equal(f->out.n, 2);
    u = f->out.v[1];
    assert_int_equal(u->kind, PM_KIND_UNBLOCKED);
    assert_string_equal(u->procedure, "PROJECT_APPROVAL");
    assert_string_equal(u->dept, "DRC");
    assert_string_equal(u->steward, "王建国");
    assert_string_equal(u->project_name, "通辽市科尔沁区智慧物流园项目");
    assert_int_equal(u->cause, f->out.v[0]->seq);
    assert_int_equal(u->seq, f->out.v[0]->seq + 1);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "FOREST_USE"), 0);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_APPROVED, NULL);
    expect_ack(f);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "FOREST_USE"), 1);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "PROJECT_APPROVAL"), 0);
    assert_int_equal(state_of(f, "TL-2026-001", "FOREST_USE"), PM_STATE_READY);
}

static void
test_reblocked_when_parallel_prerequisite_rejected(void **state)
{
    fix_t *f = *state;

    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    assert_int_equal(state_of(f, "TL-2026-001", "PROJECT_APPROVAL"), PM_STATE_READY);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_REJECTED, NULL);
    expect_ack(f);
    assert_int_equal(count_out(f, PM_KIND_BLOCKED, "PROJECT_APPROVAL"), 1);
    assert_int_equal(state_of(f, "TL-2026-001", "PROJECT_APPROVAL"), PM_STATE_BLOCKED);
    /* Applying again unblocks it again. */
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    assert_int_equal(count_out(f, PM_KIND_UNBLOCKED, "PROJECT_APPROVAL"), 1);
}

static void
test_refusals_change_nothing(void **state)
{
    fix_t *f = *state;
    uint64_t head = store_head(f->s);

    event(f, "NRB", "NO-SUCH", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    expect_nack(f, PM_REFUSE_UNKNOWN_PROJECT, head);
    event(f, "NRB", "TL-2026-001", "NO_SUCH", PM_KIND_ACCEPTED, NULL);
    expect_nack(f, PM_REFUSE_UNKNOWN_PROCEDURE, head);
    event(f, "EEB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    expect_nack(f, PM_REFUSE_NOT_OWNER, head);
    assert_non_null(strstr(f->reply.reason, "NRB"));
    event(f, "XYZ", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    expect_nack(f, PM_REFUSE_UNKNOWN_DEPARTMENT, head);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_APPROVED, NULL);
    expect_nack(f, PM_REFUSE_TRANSITION, head);
    assert_non_null(strstr(f->reply.reason, "ready"));
    event(f, "HCB", "TL-2026-001", "CONSTRUCTION_PERMIT", PM_KIND_ACCEPTED, NULL);
    expect_nack(f, PM_REFUSE_PREREQUISITES, head);
    assert_non_null(strstr(f->reply.reason, "ENG_PLAN_PERMIT"));
    assert_non_null(strstr(f->reply.reason, "EIA"));
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_SUPPLEMENT_RECEIVED, NULL);
    expect_nack(f, PM_REFUSE_TRANSITION, head);
    assert_int_equal(state_of(f, "TL-2026-001", "EIA"), PM_STATE_READY);
}

static void
test_duplicate_applies_once(void **state)
{
    fix_t *f = *state;
    uint64_t seq, head;

    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_ACCEPTED, "same-id");
    expect_ack(f);
    assert_false(f->reply.duplicate);
    seq = f->reply.seq;
    head = store_head(f->s);
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_ACCEPTED, "same-id");
    expect_ack(f);
    assert_true(f->reply.duplicate);
    assert_int_equal(f->reply.seq, seq);
    assert_int_equal(f->out.n, 0);
    assert_int_equal(store_head(f->s), head);
    /* A different event under a seen id of the same sender is refused, naming the seq. */
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_APPROVED, "same-id");
    expect_nack(f, PM_REFUSE_CONFLICT, head);
    {
        char *want = xasprintf("seq %llu", (unsigned long long)seq);
        assert_non_null(strstr(f->reply.reason, want));
        free(want);
    }
    assert_int_equal(state_of(f, "TL-2026-001", "EIA"), PM_STATE_ACCEPTED);
}

/* Ids are the sender's: another department's event under the same id is its own event. */
static void
test_same_id_two_departments(void **state)
{
    fix_t *f = *state;
    uint64_t seq;

    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_ACCEPTED, "2026-0001");
    expect_ack(f);
    seq = f->reply.seq;
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, "2026-0001");
    expect_ack(f);
    assert_false(f->reply.duplicate);
    assert_true(f->reply.seq > seq);
    assert_int_equal(state_of(f, "TL-2026-001", "LAND_PREREVIEW"), PM_STATE_ACCEPTED);
    assert_int_equal(state_of(f, "TL-2026-001", "EIA"), PM_STATE_ACCEPTED);
}

/* Walk every procedure of TL-2026-001 to approved (RELICS not required). */
static void
walk_to_ready(fix_t *f, int *certs, int *ready)
{
    static const char *order[][2] = {
        {"NRB", "LAND_PREREVIEW"},      {"DRC", "PROJECT_APPROVAL"},
        {"DRC", "ENERGY_REVIEW"},       {"EEB", "EIA"},
        {"WRB", "SOIL_WATER"},          {"FGB", "FOREST_USE"},
        {"NRB", "LAND_PLAN_PERMIT"},    {"NRB", "ENG_PLAN_PERMIT"},
        {"HCB", "CONSTRUCTION_PERMIT"},
    };
    *certs = *ready = 0;
    event(f, "CTB", "TL-2026-001", "RELICS", PM_KIND_NOT_REQUIRED, NULL);
    expect_ack(f);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        event(f, order[i][0], "TL-2026-001", order[i][1], PM_KIND_ACCEPTED, NULL);
        expect_ack(f);
        event(f, order[i][0], "TL-2026-001", order[i][1], PM_KIND_APPROVED, NULL);
        expect_ack(f);
        for (size_t k = 0; k < f->out.n; k++) {
            if (f->out.v[k]->kind != PM_KIND_MILESTONE)
                continue;
            if (strcmp(f->out.v[k]->milestone, "CERTS_TOGETHER") == 0)
                (*certs)++;
            if (strcmp(f->out.v[k]->milestone, "READY_TO_START") == 0)
                (*ready)++;
        }
    }
}

static void
test_milestones_once(void **state)
{
    fix_t *f = *state;
    int certs, ready;
    pm_status_t *st = NULL;
    pm_reply_t r = {0};

    walk_to_ready(f, &certs, &ready);
    assert_int_equal(certs, 1);
    assert_int_equal(ready, 1);
    assert_int_equal(engine_status(f->en, "TL-2026-001", 1763769600000, &st, &r), 0);
    assert_int_equal(st->milestones.n, 2);
    assert_string_equal(st->milestones.v[0], "CERTS_TOGETHER");
    assert_string_equal(st->milestones.v[1], "READY_TO_START");
    assert_string_equal(st->procs[9].cert, "CERT-CONSTRUCTION_PERMIT");
    pm_status_destroy(&st);
}

static void
test_deficiency_jumps_prerequisites(void **state)
{
    fix_t *f = *state;

    event(f, "FGB", "TL-2026-001", "FOREST_USE", PM_KIND_ACCEPTED_DEFICIENT, NULL);
    expect_ack(f);
    assert_int_equal(state_of(f, "TL-2026-001", "FOREST_USE"), PM_STATE_DEFICIENT);
    event(f, "FGB", "TL-2026-001", "FOREST_USE", PM_KIND_COMMITMENT_FULFILLED, NULL);
    expect_ack(f);
    assert_int_equal(state_of(f, "TL-2026-001", "FOREST_USE"), PM_STATE_ACCEPTED);
}

static void
test_template_versions(void **state)
{
    fix_t *f = *state;
    pm_template_t *t2 = fixture_template();
    pm_status_t *st = NULL;
    pm_reply_t r = {0};
    uint64_t head = store_head(f->s);

    /* Loading the same content again changes nothing. */
    import_template(f, fixture_template());
    expect_ack(f);
    assert_int_equal(f->reply.count, 0);
    assert_int_equal(store_head(f->s), head);
    /* A new version with an extra procedure binds new projects only. */
    fixture_proc(t2, "FIRE_REVIEW", "消防设计审查", "HCB", 5, NULL);
    pm_template_add_edge(t2, "ENG_PLAN_PERMIT", "FIRE_REVIEW", false);
    import_template(f, t2);
    expect_ack(f);
    assert_int_equal(f->reply.count, 1);
    assert_int_equal(f->out.v[0]->template->version, 2);
    import_project(f, "BT-2026-003", "包头市昆都仑区稀土新材料项目", "");
    expect_ack(f);
    assert_int_equal(engine_status(f->en, "BT-2026-003", 1763769600000, &st, &r), 0);
    assert_int_equal(st->nprocs, 11);
    assert_int_equal(st->project->template_version, 2);
    pm_status_destroy(&st);
    assert_int_equal(engine_status(f->en, "TL-2026-001", 1763769600000, &st, &r), 0);
    assert_int_equal(st->nprocs, 10);
    assert_int_equal(st->project->template_version, 1);
    pm_status_destroy(&st);
    /* The old project still only knows the old procedures. */
    event(f, "HCB", "TL-2026-001", "FIRE_REVIEW", PM_KIND_NOT_REQUIRED, NULL);
    expect_nack(f, PM_REFUSE_UNKNOWN_PROCEDURE, store_head(f->s));
}

static void
test_cycle_import_refused(void **state)
{
    fix_t *f = *state;
    pm_template_t *t = fixture_template();
    uint64_t head = store_head(f->s);

    pm_template_add_edge(t, "EIA", "SOIL_WATER", false);
    pm_template_add_edge(t, "SOIL_WATER", "EIA", false);
    import_template(f, t);
    expect_nack(f, PM_REFUSE_CYCLE, head);
    assert_non_null(strstr(f->reply.reason, "环境影响评价批复"));

    t = fixture_template();
    xstrset(&t->procs[0].dept, "XYZ");
    import_template(f, t);
    expect_nack(f, PM_REFUSE_UNKNOWN_DEPARTMENT, head);

    import_project(f, "TL-2026-001", "重复项目", "");
    expect_nack(f, PM_REFUSE_EXISTS, head);
    import_project(f, "TL-2026-009", "项目", "NOPE");
    expect_nack(f, PM_REFUSE_UNKNOWN_PROCEDURE, head);
}

static void
test_rebuild_reproduces_state(void **state)
{
    fix_t *f = *state;
    int certs, ready;
    uint64_t count = 0;
    char *live, *rebuilt;
    sqlite3 *db;

    import_project(f, "ED-2026-002", "鄂尔多斯市康巴什区数据中心项目", "FOREST_USE;RELICS");
    event(f, "NRB", "ED-2026-002", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    event(f, "NRB", "ED-2026-002", "LAND_PREREVIEW", PM_KIND_SUPPLEMENT_REQUESTED, NULL);
    event(f, "EEB", "ED-2026-002", "EIA", PM_KIND_ACCEPTED_DEFICIENT, NULL);
    expect_ack(f);
    walk_to_ready(f, &certs, &ready);
    assert_int_equal(store_sync(f->s), 0); /* rows held past their commit reach the tables */
    live = dump_state(f->path);
    assert_non_null(strstr(live, "READY_TO_START"));

    assert_int_equal(engine_rebuild(f->en, &count), 0);
    assert_int_equal(count, store_head(f->s));
    rebuilt = dump_state(f->path);
    assert_string_equal(live, rebuilt);
    free(rebuilt);

    /* Derived tables lost or damaged by hand come back from the log alone. */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM procedures; DELETE FROM milestones;"
                                  "UPDATE projects SET name = 'x'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    rebuilt = dump_state(f->path);
    assert_string_not_equal(live, rebuilt);
    free(rebuilt);
    assert_int_equal(engine_rebuild(f->en, &count), 0);
    rebuilt = dump_state(f->path);
    assert_string_equal(live, rebuilt);
    free(rebuilt);
    free(live);
}

/* An operator's correction with a reason; days for an extension. */
static void
correction(fix_t *f, const char *project, const char *procedure, pm_kind_t kind, const char *why,
           int days)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);

    m->entry = pm_entry_new(kind);
    m->entry->event_id = xasprintf("op-%d", f->next_id++);
    m->entry->actor = xstrdup("operator:李工");
    m->entry->project = xstrdup(project);
    m->entry->procedure = xstrdup(procedure);
    m->entry->note = xstrdup(why);
    m->entry->days = days;
    submit(f, &m);
}

static void
test_reopen_undoes_an_approval(void **state)
{
    fix_t *f = *state;
    uint64_t head;

    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_APPROVED, NULL);
    assert_int_equal(state_of(f, "TL-2026-001", "FOREST_USE"), PM_STATE_READY);
    /* A department cannot undo its own approval: that is an audited correction. */
    head = store_head(f->s);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_REOPENED, NULL);
    expect_nack(f, PM_REFUSE_INVALID, head);
    /* Nor can an operator without saying why. */
    correction(f, "TL-2026-001", "LAND_PREREVIEW", PM_KIND_REOPENED, "", 0);
    expect_nack(f, PM_REFUSE_INVALID, head);
    correction(f, "TL-2026-001", "LAND_PREREVIEW", PM_KIND_REOPENED, "批复文号错误，撤销重办", 0);
    expect_ack(f);
    assert_string_equal(f->out.v[0]->actor, "operator:李工");
    assert_string_equal(f->out.v[0]->note, "批复文号错误，撤销重办");
    assert_string_equal(f->out.v[0]->dept, "NRB");
    assert_int_equal(state_of(f, "TL-2026-001", "LAND_PREREVIEW"), PM_STATE_READY);
    /* What needed it approved waits again; what needed it accepted too. */
    assert_int_equal(count_out(f, PM_KIND_BLOCKED, "FOREST_USE"), 1);
    assert_int_equal(count_out(f, PM_KIND_BLOCKED, "PROJECT_APPROVAL"), 1);
    assert_int_equal(state_of(f, "TL-2026-001", "FOREST_USE"), PM_STATE_BLOCKED);
    /* Reopened work is applied for again as usual. */
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
    /* Reopening something still open is not a correction the state machine knows. */
    head = store_head(f->s);
    correction(f, "TL-2026-001", "LAND_PREREVIEW", PM_KIND_REOPENED, "重复操作", 0);
    expect_nack(f, PM_REFUSE_TRANSITION, head);
}

static void
test_operator_marks_not_required(void **state)
{
    fix_t *f = *state;
    uint64_t head = store_head(f->s);

    /* Operators may speak for any department, but only to correct. */
    correction(f, "TL-2026-001", "RELICS", PM_KIND_APPROVED, "代办", 0);
    expect_nack(f, PM_REFUSE_INVALID, head);
    correction(f, "TL-2026-001", "RELICS", PM_KIND_NOT_REQUIRED, "已有文物勘探报告覆盖该地块", 0);
    expect_ack(f);
    assert_int_equal(state_of(f, "TL-2026-001", "RELICS"), PM_STATE_NOT_REQUIRED);
    assert_string_equal(f->out.v[0]->dept, "CTB");
    /* An extension needs a running clock and a sensible number of days. */
    head = store_head(f->s);
    correction(f, "TL-2026-001", "EIA", PM_KIND_EXTENDED, "专家评审延期", 5);
    expect_nack(f, PM_REFUSE_TRANSITION, head);
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_ACCEPTED, NULL);
    head = store_head(f->s);
    correction(f, "TL-2026-001", "EIA", PM_KIND_EXTENDED, "专家评审延期", 0);
    expect_nack(f, PM_REFUSE_INVALID, head);
    correction(f, "TL-2026-001", "EIA", PM_KIND_EXTENDED, "专家评审延期", 5);
    expect_ack(f);
    assert_int_equal(f->out.v[0]->days, 5);
}

/* The critical path of the sample template, worked out by hand. */
static void
test_critical_path(void **state)
{
    fix_t *f = *state;
    pm_status_t *st = NULL;
    pm_reply_t r = {0};
    static const struct {
        const char *code;
        int32_t finish;
        bool critical;
    } fresh[] = {
        /* LAND_PREREVIEW 5 -> FOREST_USE (hard) 10 -> LAND_PLAN_PERMIT 2 -> ENG_PLAN_PERMIT 2
         * -> CONSTRUCTION_PERMIT 1: 20 working days. PROJECT_APPROVAL and ENERGY_REVIEW run
         * beside the pre-review (parallel edges), EIA and the rest beside everything. */
        {"LAND_PREREVIEW", 5, true},   {"PROJECT_APPROVAL", 3, false},
        {"ENERGY_REVIEW", 3, false},   {"EIA", 10, false},
        {"SOIL_WATER", 10, false},     {"RELICS", 10, false},
        {"FOREST_USE", 15, true},      {"LAND_PLAN_PERMIT", 17, true},
        {"ENG_PLAN_PERMIT", 19, true}, {"CONSTRUCTION_PERMIT", 20, true},
    };

    assert_int_equal(engine_status(f->en, "TL-2026-001", f->now, &st, &r), 0);
    assert_int_equal(st->critical_days, 20);
    for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
        assert_string_equal(st->procs[i].code, fresh[i].code);
        if (st->procs[i].finish_days != fresh[i].finish ||
            st->procs[i].critical != fresh[i].critical)
            fail_msg("%s: finish %d critical %d, expected %d %d", fresh[i].code,
                     st->procs[i].finish_days, st->procs[i].critical, fresh[i].finish,
                     fresh[i].critical);
    }
    pm_status_destroy(&st);

    /* Once the pre-review is approved, forest use and the relics survey tie at 10 days: the
     * chain through the relics survey (first listed) is the one shown, 15 in all. */
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_APPROVED, NULL);
    assert_int_equal(engine_status(f->en, "TL-2026-001", f->now, &st, &r), 0);
    assert_int_equal(st->critical_days, 15);
    assert_false(st->procs[0].critical); /* done: off the path */
    assert_int_equal(st->procs[0].finish_days, 0);
    assert_true(st->procs[5].critical);             /* RELICS */
    assert_int_equal(st->procs[6].finish_days, 10); /* FOREST_USE, now startable */
    assert_true(st->procs[9].critical);
    pm_status_destroy(&st);
}

/* Acknowledge the alert at seq as recipient, via "web" or "cli". */
static void
ack(fix_t *f, uint64_t seq, const char *recipient, const char *via)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);

    m->entry = pm_entry_new(PM_KIND_ALERT_ACK);
    m->entry->event_id = xasprintf("ack-%d", f->next_id++);
    m->entry->cause = seq;
    m->entry->recipient = xstrdup(recipient);
    m->entry->via = xstrdup(via);
    m->entry->relay = xstrdup("viewer:permit-web");
    submit(f, &m);
}

/*
 * An alert is acknowledged once: the ack is logged with who and how, changes no state, and a
 * second ack of the same alert (the same recipient's reused link, or another recipient, or
 * the CLI) is answered as a duplicate of the first with nothing logged. An ack of nothing in
 * the log, or without who or how, is refused. A rebuild reads the ack and changes nothing.
 */
static void
test_alert_ack_once(void **state)
{
    fix_t *f = *state;
    uint64_t alert, acked, head, event_seq, count = 0;
    char *live, *rebuilt;
    pm_entry_t *e = NULL;

    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    event(f, "NRB", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_APPROVED, NULL);
    expect_ack(f);
    event_seq = f->reply.seq;
    /* The alert: the last entry the broker derived from it (what it unblocked). */
    assert_true(f->out.n > 1);
    alert = f->out.v[f->out.n - 1]->seq;
    assert_true(pm_kind_is_derived(f->out.v[f->out.n - 1]->kind));
    assert_int_equal(store_sync(f->s), 0);
    live = dump_state(f->path);

    ack(f, alert, "其木格", PM_ACK_VIA_WEB);
    expect_ack(f);
    assert_false(f->reply.duplicate);
    acked = f->reply.seq;
    assert_int_equal(f->out.n, 1);
    assert_int_equal(store_entry_get(f->s, acked, &e), 1);
    assert_int_equal(e->kind, PM_KIND_ALERT_ACK);
    assert_int_equal(e->cause, alert);
    assert_string_equal(e->recipient, "其木格");
    assert_string_equal(e->via, "web");
    assert_string_equal(e->relay, "viewer:permit-web");
    assert_string_equal(e->actor, PM_ACK_ACTOR);
    assert_string_equal(e->project, "TL-2026-001");
    assert_int_equal(e->recv_ms, f->now);
    pm_entry_destroy(&e);
    assert_int_equal(state_of(f, "TL-2026-001", "LAND_PREREVIEW"), PM_STATE_APPROVED);
    head = store_head(f->s);

    ack(f, alert, "其木格", PM_ACK_VIA_WEB);
    expect_ack(f);
    assert_true(f->reply.duplicate);
    assert_int_equal(f->reply.seq, acked);
    assert_int_equal(f->out.n, 0);
    ack(f, alert, "王建国", PM_ACK_VIA_CLI);
    expect_ack(f);
    assert_true(f->reply.duplicate);
    assert_int_equal(f->reply.seq, acked);
    assert_int_equal(store_head(f->s), head);

    ack(f, head + 10, "其木格", PM_ACK_VIA_WEB);
    expect_nack(f, PM_REFUSE_INVALID, head);
    ack(f, acked, "其木格", PM_ACK_VIA_WEB); /* an ack is no alert */
    expect_nack(f, PM_REFUSE_INVALID, head);
    ack(f, event_seq, "其木格", PM_ACK_VIA_WEB); /* nor is a department's event */
    expect_nack(f, PM_REFUSE_INVALID, head);
    ack(f, alert, "", PM_ACK_VIA_WEB);
    expect_nack(f, PM_REFUSE_INVALID, head);
    ack(f, alert, "其木格", "mail");
    expect_nack(f, PM_REFUSE_INVALID, head);
    ack(f, 0, "其木格", PM_ACK_VIA_WEB);
    expect_nack(f, PM_REFUSE_INVALID, head);

    assert_int_equal(engine_rebuild(f->en, &count), 0);
    assert_int_equal(count, store_head(f->s));
    rebuilt = dump_state(f->path);
    assert_string_equal(live, rebuilt);
    free(rebuilt);
    free(live);
}

/*
 * A repeated id in an import is found in n log n: 200,000 projects (the most a message holds)
 * whose last repeats an earlier one are refused at once, naming it, and nothing is logged; a
 * repeat among departments likewise. Comparing each id with every one before it took
 * 20 billion comparisons here: minutes, past the bound.
 */
static void
test_import_repeat_found_in_linear_time(void **state)
{
    enum { N = 200000 };
    fix_t *f = *state;
    uint64_t head = store_head(f->s);
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);
    pm_department_t *d;

    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xstrdup("import-big");
    for (int i = 0; i < N; i++) {
        pm_project_t *p = pm_import_add_project(m->import);
        p->id = i == N - 1 ? xstrdup("BIG-000123") : xasprintf("BIG-%06d", i);
        p->name = xasprintf("项目 %d", i);
    }
    submit(f, &m);
    expect_nack(f, PM_REFUSE_INVALID, head);
    assert_string_equal(f->reply.reason, "project BIG-000123 is listed twice");

    m = pm_msg_new(PM_MSG_IMPORT);
    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xstrdup("import-depts");
    for (int i = 0; i < 3; i++) {
        d = pm_import_add_dept(m->import);
        d->code = xstrdup(i == 2 ? "D0" : i == 1 ? "D1" : "D0");
        d->name = xstrdup("部门");
    }
    submit(f, &m);
    expect_nack(f, PM_REFUSE_INVALID, head);
    assert_string_equal(f->reply.reason, "department D0 is listed twice");
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_registration_states),
        T(test_registration_announces_ready),
        T(test_parallel_then_hard_unblock),
        T(test_reblocked_when_parallel_prerequisite_rejected),
        T(test_refusals_change_nothing),
        T(test_duplicate_applies_once),
        T(test_same_id_two_departments),
        T(test_milestones_once),
        T(test_deficiency_jumps_prerequisites),
        T(test_template_versions),
        T(test_cycle_import_refused),
        T(test_rebuild_reproduces_state),
        T(test_reopen_undoes_an_approval),
        T(test_operator_marks_not_required),
        T(test_critical_path),
        T(test_alert_ack_once),
        T(test_import_repeat_found_in_linear_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
