/*
 * entryfmt: see entryfmt.h.
 */
#define _GNU_SOURCE
#include "entryfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "termsafe.h"
#include "util.h"

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_BLUE "\033[34m"
#define ANSI_MAGENTA "\033[35m"
#define ANSI_CYAN "\033[36m"

/* Wide enough for the longest common kind name, "supplement_requested". */
#define KIND_WIDTH 20

/* Green for done, red for refused, yellow for waiting on the applicant, cyan for unblocked. */
static const char *
kind_colour(pm_kind_t k)
{
    switch (k) {
    case PM_KIND_APPROVED:
        return ANSI_GREEN;
    case PM_KIND_REJECTED:
        return ANSI_RED;
    case PM_KIND_UNBLOCKED:
        return ANSI_CYAN;
    case PM_KIND_MILESTONE:
        return ANSI_BOLD;
    case PM_KIND_BLOCKED:
    case PM_KIND_ACCEPTED_DEFICIENT:
    case PM_KIND_SUPPLEMENT_REQUESTED:
        return ANSI_YELLOW;
    case PM_KIND_ACCEPTED:
    case PM_KIND_SUPPLEMENT_RECEIVED:
    case PM_KIND_COMMITMENT_FULFILLED:
        return ANSI_BLUE;
    case PM_KIND_NOT_REQUIRED:
    case PM_KIND_WITHDRAWN:
        return ANSI_DIM;
    case PM_KIND_DEPARTMENT:
    case PM_KIND_TEMPLATE:
    case PM_KIND_PROJECT:
    case PM_KIND_CALENDAR:
        return ANSI_MAGENTA;
    case PM_KIND_ALERT_ACK:
        return ANSI_GREEN;
    case PM_KIND_COMMITMENT_DUE:
    case PM_KIND_AGENT_SILENT:
        return ANSI_YELLOW;
    case PM_KIND_COMMITMENT_BREACHED:
        return ANSI_RED;
    case PM_KIND_AGENT_BACK:
        return ANSI_GREEN;
    default:
        return "";
    }
}

/* Colour entries show the colour they announce. */
static const char *
entry_colour(const pm_entry_t *e)
{
    if (e->kind == PM_KIND_COLOUR || e->kind == PM_KIND_PROJECT_COLOUR) {
        switch (e->colour) {
        case PM_COLOUR_RED:
            return ANSI_RED;
        case PM_COLOUR_YELLOW:
            return ANSI_YELLOW;
        case PM_COLOUR_GREEN:
            return ANSI_GREEN;
        default:
            return "";
        }
    }
    return kind_colour(e->kind);
}

/*
 * One word as is; anything else quoted, with escapes that keep the entry on one line and
 * keep out what a terminal would obey (termsafe.h: controls, bidi, bytes that are not UTF-8).
 */
static void
put_value(FILE *f, const char *v)
{
    size_t len = strlen(v), i = 0;
    char esc[TERMSAFE_ESC_MAX];

    if (*v != '\0' && strpbrk(v, " \"\\") == NULL && termsafe_clean(v)) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    while (i < len) {
        size_t n = 1;
        if (v[i] == '"' || v[i] == '\\') {
            fputc('\\', f);
            fputc(v[i], f);
        } else if ((n = termsafe_next(v + i, len - i, esc)) > 0 && esc[0] != '\0') {
            fputs(esc, f);
        } else {
            fwrite(v + i, 1, n, f);
        }
        i += n;
    }
    fputc('"', f);
}

/* A code column (project, procedure, department): codes have no blanks, but may hold
 * anything else a department sent. */
static void
put_code(FILE *f, const char *code, int width)
{
    char *safe = termsafe_dup(util_empty(code) ? "-" : code);

    fprintf(f, "%-*s", width, safe);
    free(safe);
}

static void
put_detail(FILE *f, const char *key, const char *v)
{
    if (util_empty(v))
        return;
    fprintf(f, " %s=", key);
    put_value(f, v);
}

static void
put_name(FILE *f, const char *v)
{
    if (util_empty(v))
        return;
    fputc(' ', f);
    put_value(f, v);
}

static void
put_time(FILE *f, const char *key, int64_t ms)
{
    char buf[64];

    if (ms == 0)
        return;
    fprintf(f, " %s%s", key, util_format_time(ms, false, buf, sizeof(buf)));
}

/* A deadline is the end of its last day (00:00 of the next): shown as that last day. */
static void
put_day(FILE *f, const char *key, int64_t end_ms)
{
    char buf[64];

    if (end_ms == 0)
        return;
    util_format_time(end_ms - 1, false, buf, sizeof(buf));
    buf[10] = '\0';
    fprintf(f, " %s=%s", key, buf);
}

/* The clock's part of an entry: colour, working days, deadlines, when it took effect. */
static void
put_clock(FILE *f, const pm_entry_t *e)
{
    if (e->colour != PM_COLOUR_NONE) {
        fprintf(f, " colour=%s", pm_colour_name(e->colour));
        fprintf(f, e->colour == PM_COLOUR_RED ? " over=%dwd" : " left=%dwd", e->days);
    }
    put_day(f, "deadline", e->deadline_ms);
    if (e->statutory_ms != e->deadline_ms)
        put_day(f, "statutory", e->statutory_ms);
    if (e->provisional)
        fputs(" provisional", f);
    if (e->at_ms != 0 && e->at_ms / 1000 != e->recv_ms / 1000)
        put_time(f, "since ", e->at_ms);
    if (e->late)
        fputs(" late", f);
    if (e->calendar != NULL)
        fprintf(f, " year=%u listed=%zu%s", e->calendar->year, e->calendar->ndays,
                e->calendar->ndays == 0 && e->calendar->papers.n == 0 ? " (not announced)" : "");
}

static void
put_department(FILE *f, const pm_department_t *d)
{
    put_name(f, d->name);
    put_detail(f, "contact", d->contact);
}

static void
put_template(FILE *f, const pm_template_t *t)
{
    put_detail(f, "template", t->name);
    if (t->version != 0)
        fprintf(f, " version=%u", t->version);
    fprintf(f, " procedures=%zu prerequisites=%zu milestones=%zu", t->nprocs, t->nedges,
            t->nmilestones);
}

static void
put_project(FILE *f, const pm_project_t *p)
{
    char *nr;

    put_name(f, p->name);
    put_detail(f, "region", p->region);
    put_detail(f, "industry", p->industry);
    put_detail(f, "company", p->company);
    put_detail(f, "steward", p->steward);
    put_detail(f, "leader", p->leader);
    put_detail(f, "template", p->template_name);
    if (p->template_version != 0)
        fprintf(f, " version=%u", p->template_version);
    if (p->not_required.n > 0) {
        nr = strv_join(&p->not_required, ";");
        put_detail(f, "not_required", nr);
        free(nr);
    }
}

char *
entryfmt_line(const pm_entry_t *e, bool colour)
{
    char *buf = NULL, when[64];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *project = e->project, *dept = e->dept;
    bool bold_line = colour && e->kind == PM_KIND_MILESTONE;

    if (f == NULL)
        return xstrdup("?");
    /* Administrative entries name what they are about in their nested object. */
    if (util_empty(project) && e->project_info != NULL)
        project = e->project_info->id;
    if (util_empty(dept) && e->department != NULL)
        dept = e->department->code;

    if (bold_line)
        fputs(ANSI_BOLD, f);
    fprintf(f, "%6llu  %s  ", (unsigned long long)e->seq,
            util_format_time(e->recv_ms, false, when, sizeof(when)));
    if (colour && !bold_line)
        fprintf(f, "%s%-*s%s", entry_colour(e), KIND_WIDTH, pm_kind_name(e->kind), ANSI_RESET);
    else
        fprintf(f, "%-*s", KIND_WIDTH, pm_kind_name(e->kind));
    fputs("  ", f);
    put_code(f, project, 11);
    fputs("  ", f);
    put_code(f, e->procedure, 19);
    fputs("  ", f);
    put_code(f, dept, 3);
    if (!util_empty(e->actor)) {
        fputs("  actor=", f);
        put_value(f, e->actor);
    }

    /* Names first: the Chinese names are what a person reads. */
    put_name(f, e->project_name);
    put_name(f, e->procedure_name);
    if (!util_empty(e->milestone)) {
        put_detail(f, "milestone", e->milestone);
        put_name(f, e->milestone_name);
    }
    if (e->department != NULL)
        put_department(f, e->department);
    if (e->template != NULL)
        put_template(f, e->template);
    if (e->project_info != NULL)
        put_project(f, e->project_info);
    if (e->limit_days != 0 || e->kind == PM_KIND_UNBLOCKED)
        fprintf(f, " limit=%ud", e->limit_days);
    put_detail(f, "steward", e->steward);
    put_detail(f, "cert", e->cert);
    put_detail(f, "missing", e->missing);
    put_time(f, "due=", e->due_ms);
    put_clock(f, e);
    put_detail(f, "note", e->note);
    put_detail(f, "by", e->recipient);
    put_detail(f, "via", e->via);
    put_detail(f, "relay", e->relay);
    /* The claimed time matters when it differs from when the broker got it (a late send). */
    if (e->event_ms / 1000 != e->recv_ms / 1000)
        put_time(f, "claimed ", e->event_ms);
    if (e->cause != 0)
        fprintf(f, " cause=%llu", (unsigned long long)e->cause);
    put_detail(f, "id", e->event_id);
    if (bold_line)
        fputs(ANSI_RESET, f);
    fclose(f);
    return buf;
}

static void
json_set_str(json_t *o, const char *key, const char *v)
{
    /* json_string refuses invalid UTF-8 with NULL, which json_object_set_new ignores. */
    if (!util_empty(v))
        json_object_set_new(o, key, json_string(v));
}

static void
json_set_time(json_t *o, const char *key_time, const char *key_ms, int64_t ms)
{
    char buf[64];

    if (ms == 0)
        return;
    json_object_set_new(o, key_time, json_string(util_format_time(ms, true, buf, sizeof(buf))));
    json_object_set_new(o, key_ms, json_integer(ms));
}

/* A deadline: the last day as YYYY-MM-DD, and the end of it in ms. */
static void
json_set_day(json_t *o, const char *key_day, const char *key_ms, int64_t end_ms)
{
    char buf[64];

    if (end_ms == 0)
        return;
    util_format_time(end_ms - 1, false, buf, sizeof(buf));
    buf[10] = '\0';
    json_object_set_new(o, key_day, json_string(buf));
    json_object_set_new(o, key_ms, json_integer(end_ms));
}

static json_t *
json_strv(const strv_t *sv)
{
    json_t *a = json_array();

    for (size_t i = 0; i < sv->n; i++)
        json_array_append_new(a, json_string(sv->v[i]));
    return a;
}

json_t *
entryfmt_department_json(const pm_department_t *d)
{
    json_t *o = json_object();

    json_set_str(o, "code", d->code);
    json_set_str(o, "name", d->name);
    json_set_str(o, "contact", d->contact);
    return o;
}

json_t *
entryfmt_template_json(const pm_template_t *t)
{
    json_t *o = json_object(), *procs = json_array(), *edges = json_array(), *ms = json_array();

    json_set_str(o, "name", t->name);
    if (t->version != 0)
        json_object_set_new(o, "version", json_integer(t->version));
    for (size_t i = 0; i < t->nprocs; i++) {
        const pm_proctype_t *p = &t->procs[i];
        json_t *j = json_object();
        json_set_str(j, "code", p->code);
        json_set_str(j, "name", p->name);
        json_set_str(j, "dept", p->dept);
        json_object_set_new(j, "limit_days", json_integer(p->limit_days));
        json_set_str(j, "group", p->group);
        json_array_append_new(procs, j);
    }
    for (size_t i = 0; i < t->nedges; i++) {
        const pm_edge_t *e = &t->edges[i];
        json_t *j = json_object();
        json_set_str(j, "from", e->from);
        json_set_str(j, "to", e->to);
        json_object_set_new(j, "parallel", json_boolean(e->parallel));
        json_array_append_new(edges, j);
    }
    for (size_t i = 0; i < t->nmilestones; i++) {
        const pm_milestone_t *m = &t->milestones[i];
        json_t *j = json_object();
        json_set_str(j, "code", m->code);
        json_set_str(j, "name", m->name);
        /* Empty members means every procedure of the project. */
        json_object_set_new(j, "members", json_strv(&m->members));
        json_array_append_new(ms, j);
    }
    json_object_set_new(o, "procedures", procs);
    json_object_set_new(o, "prerequisites", edges);
    json_object_set_new(o, "milestones", ms);
    return o;
}

json_t *
entryfmt_project_json(const pm_project_t *p)
{
    json_t *o = json_object();

    json_set_str(o, "id", p->id);
    json_set_str(o, "name", p->name);
    json_set_str(o, "region", p->region);
    json_set_str(o, "industry", p->industry);
    json_set_str(o, "company", p->company);
    json_set_str(o, "steward", p->steward);
    json_set_str(o, "leader", p->leader);
    json_set_str(o, "template", p->template_name);
    if (p->template_version != 0)
        json_object_set_new(o, "template_version", json_integer(p->template_version));
    if (p->not_required.n > 0)
        json_object_set_new(o, "not_required", json_strv(&p->not_required));
    return o;
}

json_t *
entryfmt_calendar_json(const pm_calendar_t *c)
{
    json_t *o = json_object(), *days = json_array();

    json_object_set_new(o, "year", json_integer(c->year));
    json_object_set_new(o, "papers", json_strv(&c->papers));
    for (size_t i = 0; i < c->ndays; i++) {
        json_t *d = json_object();
        json_set_str(d, "date", c->days[i].date);
        json_set_str(d, "name", c->days[i].name);
        json_object_set_new(d, "isOffDay", json_boolean(c->days[i].off));
        json_array_append_new(days, d);
    }
    json_object_set_new(o, "days", days);
    return o;
}

json_t *
entryfmt_json(const pm_entry_t *e)
{
    json_t *o = json_object();

    json_object_set_new(o, "seq", json_integer((json_int_t)e->seq));
    json_object_set_new(o, "kind", json_string(pm_kind_name(e->kind)));
    json_set_time(o, "recv_time", "recv_ms", e->recv_ms);
    json_set_time(o, "event_time", "event_ms", e->event_ms);
    json_set_str(o, "actor", e->actor);
    json_set_str(o, "dept", e->dept);
    json_set_str(o, "project", e->project);
    json_set_str(o, "procedure", e->procedure);
    json_set_str(o, "event_id", e->event_id);
    if (e->cause != 0)
        json_object_set_new(o, "cause", json_integer((json_int_t)e->cause));
    json_set_str(o, "cert", e->cert);
    json_set_str(o, "note", e->note);
    json_set_str(o, "missing", e->missing);
    json_set_time(o, "due_time", "due_ms", e->due_ms);
    json_set_str(o, "project_name", e->project_name);
    json_set_str(o, "procedure_name", e->procedure_name);
    json_set_str(o, "steward", e->steward);
    if (e->limit_days != 0 || e->kind == PM_KIND_UNBLOCKED)
        json_object_set_new(o, "limit_days", json_integer(e->limit_days));
    json_set_str(o, "milestone", e->milestone);
    json_set_str(o, "milestone_name", e->milestone_name);
    if (e->department != NULL)
        json_object_set_new(o, "department", entryfmt_department_json(e->department));
    if (e->template != NULL)
        json_object_set_new(o, "template", entryfmt_template_json(e->template));
    if (e->project_info != NULL)
        json_object_set_new(o, "project_info", entryfmt_project_json(e->project_info));
    if (e->colour != PM_COLOUR_NONE) {
        json_object_set_new(o, "colour", json_string(pm_colour_name(e->colour)));
        json_object_set_new(o, "days", json_integer(e->days));
    }
    json_set_day(o, "deadline", "deadline_ms", e->deadline_ms);
    json_set_day(o, "statutory", "statutory_ms", e->statutory_ms);
    if (e->provisional)
        json_object_set_new(o, "provisional", json_true());
    json_set_time(o, "at_time", "at_ms", e->at_ms);
    if (e->late)
        json_object_set_new(o, "late", json_true());
    if (e->calendar != NULL)
        json_object_set_new(o, "calendar", entryfmt_calendar_json(e->calendar));
    json_set_str(o, "recipient", e->recipient);
    json_set_str(o, "via", e->via);
    json_set_str(o, "relay", e->relay);
    return o;
}

char *
entryfmt_dump(const json_t *j)
{
    /* No JSON_ENSURE_ASCII: Chinese names stay readable. */
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

    return s != NULL ? s : xstrdup("null");
}

char *
entryfmt_json_line(const pm_entry_t *e)
{
    json_t *o = entryfmt_json(e);
    char *s = entryfmt_dump(o);

    json_decref(o);
    return s;
}

static const char *
or_dash(const char *s)
{
    return util_empty(s) ? "-" : s;
}

void
entryfmt_set_day(json_t *o, const char *key, int64_t end_ms)
{
    char *key_ms = xasprintf("%s_ms", key);

    json_set_day(o, key, key_ms, end_ms);
    free(key_ms);
}

/* The clock's fields of a procedure: deadlines as last days, colour and working days. */
static void
clock_json(json_t *o, const pm_procstatus_t *ps)
{
    if (ps->promised_days != 0)
        json_object_set_new(o, "promised_days", json_integer(ps->promised_days));
    json_object_set_new(o, "colour", json_string(pm_colour_name(ps->colour)));
    if (ps->colour != PM_COLOUR_NONE)
        json_object_set_new(o, "days", json_integer(ps->days));
    entryfmt_set_day(o, "deadline", ps->deadline_ms);
    entryfmt_set_day(o, "statutory", ps->statutory_ms);
    json_object_set_new(o, "provisional", json_boolean(ps->provisional));
    json_object_set_new(o, "paused", json_boolean(ps->paused));
    if (ps->commitment_ms != 0) {
        entryfmt_set_day(o, "commitment", ps->commitment_ms);
        if (!util_empty(ps->missing))
            json_object_set_new(o, "missing", json_string(ps->missing));
    }
}

json_t *
entryfmt_procstatus_json(const pm_procstatus_t *ps)
{
    json_t *o = json_object(), *blockers = json_array();
    char when[64];

    json_object_set_new(o, "code", json_string(or_dash(ps->code)));
    if (!util_empty(ps->name))
        json_object_set_new(o, "name", json_string(ps->name));
    if (!util_empty(ps->dept))
        json_object_set_new(o, "dept", json_string(ps->dept));
    if (!util_empty(ps->group))
        json_object_set_new(o, "group", json_string(ps->group));
    json_object_set_new(o, "state", json_string(pm_state_name(ps->state)));
    json_object_set_new(o, "limit_days", json_integer(ps->limit_days));
    json_object_set_new(o, "deficient", json_boolean(ps->deficient));
    if (!util_empty(ps->cert))
        json_object_set_new(o, "cert", json_string(ps->cert));
    json_object_set_new(o, "updated_seq", json_integer((json_int_t)ps->updated_seq));
    if (ps->updated_ms != 0) {
        json_object_set_new(
            o, "updated_time",
            json_string(util_format_time(ps->updated_ms, true, when, sizeof(when))));
        json_object_set_new(o, "updated_ms", json_integer(ps->updated_ms));
    }
    for (size_t i = 0; i < ps->nblockers; i++) {
        const pm_blocker_t *b = &ps->blockers[i];
        json_t *j = json_object();
        json_object_set_new(j, "code", json_string(or_dash(b->code)));
        if (!util_empty(b->name))
            json_object_set_new(j, "name", json_string(b->name));
        if (!util_empty(b->dept))
            json_object_set_new(j, "dept", json_string(b->dept));
        json_object_set_new(j, "state", json_string(pm_state_name(b->state)));
        json_object_set_new(j, "parallel", json_boolean(b->parallel));
        json_array_append_new(blockers, j);
    }
    json_object_set_new(o, "blockers", blockers);
    clock_json(o, ps);
    json_object_set_new(o, "finish_days", json_integer(ps->finish_days));
    json_object_set_new(o, "critical", json_boolean(ps->critical));
    return o;
}
