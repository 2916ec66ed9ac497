/*
 * ctl_import: `permitctl import departments|template|projects|calendar FILE [--template NAME]`.
 *
 * Reads a CSV file (the calendar: a JSON file), checks every row, and sends it to the broker's
 * ingest socket as one import (all of it or nothing). A bad file is reported as "FILE:LINE:
 * reason" or "FILE: reason" (exit 65) and nothing is sent. Where the answer needs what the broker
 * already holds (the departments a template names, the template a project names) it is read from
 * the query socket first, so those mistakes get a line number too; if that read fails the broker
 * still checks them. The import's id is fresh each run; resending it after a timeout is
 * recognised by the broker.
 *
 * CSV files: UTF-8 (a byte order mark is fine) or GB18030/GBK (what Excel on Chinese Windows
 * saves), comma-separated, lines ending in LF or CRLF, fields quoted with '"' when they contain
 * a comma, a quote or a line break. The first row names the columns, in any order,
 * case-insensitively, or by their Chinese names (the aliases in csvin.c: 项目编号 for id, ...);
 * an unknown column is an error that lists the valid ones; blank lines are skipped. Codes and ids
 * must not contain blanks, '/', ';', ',' or ':'. Lists inside a field are separated by ';'.
 *
 * departments: one department per row.
 *   code           required  e.g. NRB
 *   name           required  e.g. 自然资源局
 *   contact        optional  a phone number, an office, a person
 *   Departments already registered with the same name and contact are left unchanged.
 *
 * template: one procedure or milestone per row. The template's name is --template (default
 * "standard"); the broker numbers its versions. The file is compiled with the broker's own
 * code (core/tmpl) before it is sent: prerequisites that form a cycle (互为前置) are refused
 * with the line of each edge, as are unknown, repeated and self prerequisites.
 *   type           required  "procedure" or "milestone"
 *   code           required  unique among the file's procedures and milestones, e.g. EIA
 *   name           required  e.g. 环境影响评价批复
 *   dept           required for a procedure: the owning department's code; empty for a milestone
 *   limit_days     required for a procedure: the statutory time limit in working days, a whole
 *                  number from 1 to 3650; empty for a milestone
 *   prerequisites  optional. A procedure: the procedures it needs first. "CODE" or "CODE:hard"
 *                  needs CODE approved or not required; "CODE:parallel" needs CODE only
 *                  accepted, so both run side by side (串联改并联). A milestone: its member
 *                  procedures, or "*" for every procedure of the project; it is reached when
 *                  all of them are approved or not required.
 *   promised_days  optional, procedures only: the department's promised (shorter) limit in
 *                  working days, from 1 to limit_days; colours count against it
 *   group          optional, procedures only: a joint-review group (联审) name. The members of a
 *                  group become ready together, and prerequisites between members are satisfied
 *                  by the joint review.
 *
 * projects: one project per row. A project id already registered makes the broker refuse the
 * whole file (exists).
 *   id             required  e.g. TL-2026-001
 *   name           required  e.g. 科尔沁区200兆瓦光伏发电项目
 *   region         optional  the banner, county or district (旗县市区), e.g. 科尔沁区
 *   industry       optional  e.g. 新能源
 *   company        optional  the applicant
 *   steward        optional  the project steward (项目管家)
 *   leader         optional  the leader in charge (包联领导)
 *   template       optional  the template's name; empty means --template, else "standard"
 *   not_required   optional  procedure codes of that template that do not apply (无需办理)
 *   start_half     optional  planned start: 1 (H1, 上半年) or 2 (H2, 下半年); all approvals are
 *                            then due by the end of March or of August (应批尽批)
 *   year           optional  the planned start's year, 2000 to 2200 (default: the year it is
 *                            registered)
 *
 * calendar: one year of the working-day calendar, a JSON file in the format of the public
 * holiday-cn project, read as it is published (samples in deploy/calendar):
 *   {"year": 2026, "papers": ["https://www.gov.cn/..."],
 *    "days": [{"name": "春节", "date": "2026-02-14", "isOffDay": false}, ...]}
 *   year           required  a whole number from 1970 to 2200
 *   papers         required  the State Council documents (strings); may be empty
 *   days           required  the listed days; may be empty. Each has a "date" (YYYY-MM-DD,
 *                  in `year`, listed once) and "isOffDay": true for a holiday, false for a
 *                  weekend day that is worked (调休); "name" (the holiday) is optional.
 *   Other keys ("$schema", "$id") are ignored; a key repeated inside one object is an error.
 *   Days not listed follow the week: Monday to Friday work. A file with neither papers nor
 *   days (the year is not announced yet) is imported as such: deadlines that reach into that
 *   year stay provisional until its real file is imported. Importing a year again replaces it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "calendar.h"
#include "csvin.h"
#include "ctl.h"
#include "follow.h"
#include "i18n.h"
#include "tmpl.h"
#include "util.h"

#define DEFAULT_TEMPLATE "standard"

/* What the broker holds already, for local checks; have_* is false when it could not be read. */
typedef struct lookup {
    bool have_depts;
    strv_t depts;
    bool have_templates;
    pm_template_t **templates; /* the latest version of each name */
    size_t ntemplates;
} lookup_t;

static void
lookup_clear(lookup_t *lk)
{
    strv_clear(&lk->depts);
    for (size_t i = 0; i < lk->ntemplates; i++)
        pm_template_destroy(&lk->templates[i]);
    free(lk->templates);
    memset(lk, 0, sizeof(*lk));
}

static int
collect_dept(void *arg, const pm_entry_t *e)
{
    lookup_t *lk = arg;
    const char *code = e->department != NULL ? e->department->code : e->dept;

    if (!util_empty(code) && !strv_contains(&lk->depts, code))
        strv_push(&lk->depts, code);
    return 0;
}

static int
collect_template(void *arg, const pm_entry_t *e)
{
    lookup_t *lk = arg;

    if (e->template == NULL || util_empty(e->template->name))
        return 0;
    /* Entries come in log order, so a later version replaces an earlier one. */
    for (size_t i = 0; i < lk->ntemplates; i++) {
        if (strcmp(lk->templates[i]->name, e->template->name) == 0) {
            pm_template_destroy(&lk->templates[i]);
            lk->templates[i] = pm_template_dup(e->template);
            return 0;
        }
    }
    lk->templates = xrealloc(lk->templates, (lk->ntemplates + 1) * sizeof(pm_template_t *));
    lk->templates[lk->ntemplates++] = pm_template_dup(e->template);
    return 0;
}

static const pm_template_t *
lookup_template(const lookup_t *lk, const char *name)
{
    for (size_t i = 0; i < lk->ntemplates; i++)
        if (strcmp(lk->templates[i]->name, name) == 0)
            return lk->templates[i];
    return NULL;
}

/*
 * Read every log entry of one kind through the query socket (one try: if the broker is away,
 * sending the import will say so). True when the whole log was read.
 */
static bool
fetch_kind(ctl_t *ctl, const char *kind, follow_fn *fn, lookup_t *lk)
{
    follow_opts_t o = {
        .query = ctl->query,
        .kind = kind,
        .timeout_ms = ctl->timeout_ms,
        .tries = 1,
        .stop = ctl->stop,
    };
    follow_status_t st;
    follow_t *f;
    char why[512];

    f = follow_new(ctl->zctx, &o, fn, lk, why, sizeof(why));
    if (f == NULL) {
        ctl_warnx("%s", why);
        return false;
    }
    st = follow_run(f);
    if (st == FOLLOW_REFUSED || st == FOLLOW_ERROR)
        ctl_warnx(_("cannot read the registered %s (%s); the broker will check them"),
                  strcmp(kind, "department") == 0 ? _("departments") : _("templates"),
                  follow_error(f));
    follow_destroy(&f);
    return st == FOLLOW_DONE;
}

/* A copy of an optional field, NULL when empty. */
static char *
opt_dup(const char *s)
{
    return util_empty(s) ? NULL : xstrdup(s);
}

/* A required code field of a row: present and well-formed. */
static int
get_code(const csvin_t *c, size_t row, int col, const char *what, const char **out, char *why,
         size_t whylen)
{
    const char *v = csvin_get(c, row, col);

    if (util_empty(v))
        return csvin_error(c, row, why, whylen, _("%s is empty"), what);
    if (!pm_code_valid(v))
        return csvin_error(c, row, why, whylen,
                           _("%s '%s' contains a blank, '/', ';', ',' or ':' (or is too long)"),
                           what, v);
    *out = v;
    return 0;
}

static int
require_columns(csvin_t *c, csvin_kind_t kind, const char *const *known,
                const char *const *required, int *cols, char *why, size_t whylen)
{
    if (csvin_check_columns(c, kind, known, why, whylen) != 0)
        return -1;
    for (size_t i = 0; required[i] != NULL; i++)
        if (csvin_require(c, required[i], &cols[i], why, whylen) != 0)
            return -1;
    return 0;
}

static int
build_departments(csvin_t *c, pm_import_t *im, char *why, size_t whylen)
{
    static const char *const known[] = {"code", "name", "contact", NULL};
    static const char *const required[] = {"code", "name", NULL};
    int cols[2], ccontact;

    if (require_columns(c, CSVIN_DEPARTMENTS, known, required, cols, why, whylen) != 0)
        return -1;
    ccontact = csvin_column(c, "contact");
    for (size_t r = 0; r < csvin_rows(c); r++) {
        const char *code, *name = csvin_get(c, r, cols[1]);
        pm_department_t *d;
        long first;

        if (get_code(c, r, cols[0], "code", &code, why, whylen) != 0)
            return -1;
        if (util_empty(name))
            return csvin_error(c, r, why, whylen, _("department %s has no name"), code);
        first = csvin_find(c, cols[0], code);
        if (first >= 0 && (size_t)first < r)
            return csvin_error(c, r, why, whylen, _("department %s is listed twice (line %u)"),
                               code, csvin_line(c, (size_t)first));
        d = pm_import_add_dept(im);
        d->code = xstrdup(code);
        d->name = xstrdup(name);
        d->contact = opt_dup(csvin_get(c, r, ccontact));
    }
    if (im->ndepts == 0) {
        snprintf(why, whylen, _("%s: no departments"), csvin_path(c));
        return -1;
    }
    return 0;
}

enum { T_TYPE, T_CODE, T_NAME, T_DEPT, T_LIMIT };

/* The first row of a code among the template's first nrows rows, or -1. */
static long
template_find(const csvin_t *c, const int *cols, size_t nrows, const char *code)
{
    long r = csvin_find(c, cols[T_CODE], code);

    return r >= 0 && (size_t)r < nrows ? r : -1;
}

static bool
is_milestone_row(const csvin_t *c, const int *cols, size_t r)
{
    return strcasecmp(csvin_get(c, r, cols[T_TYPE]), "milestone") == 0;
}

/* First pass over a template row: the procedure or milestone itself, without its lists. */
static int
template_row(const csvin_t *c, size_t r, const int *cols, int cgroup, int cpromised,
             const lookup_t *lk, pm_template_t *t, char *why, size_t whylen)
{
    const char *type = csvin_get(c, r, cols[T_TYPE]), *code, *name = csvin_get(c, r, cols[T_NAME]);
    const char *dept = csvin_get(c, r, cols[T_DEPT]), *limit = csvin_get(c, r, cols[T_LIMIT]);
    const char *group = csvin_get(c, r, cgroup), *promised = csvin_get(c, r, cpromised);
    unsigned long long days, promised_days = 0;
    pm_proctype_t *p;
    long first;

    if (strcasecmp(type, "procedure") != 0 && strcasecmp(type, "milestone") != 0)
        return csvin_error(c, r, why, whylen,
                           _("type must be 'procedure' or 'milestone', not '%s'"), type);
    if (get_code(c, r, cols[T_CODE], "code", &code, why, whylen) != 0)
        return -1;
    first = template_find(c, cols, r, code);
    if (first >= 0)
        return csvin_error(c, r, why, whylen, _("code %s is used twice (line %u)"), code,
                           csvin_line(c, (size_t)first));
    if (util_empty(name))
        return csvin_error(c, r, why, whylen, _("%s has no name"), code);
    if (is_milestone_row(c, cols, r)) {
        pm_milestone_t *m;
        if (!util_empty(dept) || !util_empty(limit) || !util_empty(group) || !util_empty(promised))
            return csvin_error(c, r, why, whylen,
                               _("milestone %s: leave dept, limit_days, promised_days and group "
                                 "empty"),
                               code);
        m = pm_template_add_milestone(t);
        m->code = xstrdup(code);
        m->name = xstrdup(name);
        return 0;
    }
    if (get_code(c, r, cols[T_DEPT], "dept", &dept, why, whylen) != 0)
        return -1;
    if (lk->have_depts && !strv_contains(&lk->depts, dept))
        return csvin_error(c, r, why, whylen,
                           _("procedure %s: unknown department '%s' (import departments first)"),
                           code, dept);
    /* The bounds are the codec's (model.h): a file says what the wire would refuse. */
    if (ctl_parse_uint(limit, PM_LIMIT_DAYS_MAX, &days) != 0 || days < PM_LIMIT_DAYS_MIN)
        return csvin_error(c, r, why, whylen,
                           _("procedure %s: limit_days must be a whole number of working days from "
                             "%d to %d, not '%s'"),
                           code, PM_LIMIT_DAYS_MIN, PM_LIMIT_DAYS_MAX, limit);
    if (!util_empty(promised) &&
        (ctl_parse_uint(promised, days, &promised_days) != 0 || promised_days == 0))
        return csvin_error(c, r, why, whylen,
                           _("procedure %s: promised_days must be a whole number from 1 to its "
                             "limit_days (%llu), not '%s'"),
                           code, days, promised);
    p = pm_template_add_proc(t);
    p->code = xstrdup(code);
    p->name = xstrdup(name);
    p->dept = xstrdup(dept);
    p->limit_days = (uint32_t)days;
    p->promised_days = (uint32_t)promised_days;
    p->group = opt_dup(group);
    return 0;
}

/* Split "CODE[:hard|:parallel]"; returns 0 with the code (caller owns) and the kind of edge. */
static int
parse_prereq(const char *item, char **code, bool *parallel, bool *suffixed)
{
    const char *colon = strchr(item, ':');
    strv_t parts = {0};
    int rc = -1;

    *suffixed = colon != NULL;
    *parallel = false;
    if (colon == NULL) {
        *code = xstrdup(item);
        return 0;
    }
    strv_split(&parts, item, ":");
    if (parts.n != 2 || colon == item)
        goto fail;
    if (strcasecmp(parts.v[1], "parallel") == 0)
        *parallel = true;
    else if (strcasecmp(parts.v[1], "hard") != 0)
        goto fail;
    *code = xstrdup(parts.v[0]);
    rc = 0;
fail:
    strv_clear(&parts);
    return rc;
}

/* The rows of a template's procedures, edges and milestones, to give the compiler's refusals
 * their lines. */
typedef struct template_rows {
    size_t *proc, *edge, *milestone;
} template_rows_t;

static void
template_rows_clear(template_rows_t *tr)
{
    free(tr->proc);
    free(tr->edge);
    free(tr->milestone);
}

static void
rows_push(size_t **v, size_t n, size_t row)
{
    *v = xgrow(*v, n, sizeof(size_t));
    (*v)[n] = row;
}

/*
 * Second pass over a template row: its prerequisites, or a milestone's members. Whether a
 * prerequisite exists, is repeated or closes a cycle is the compiler's to say (check_template).
 */
static int
template_lists(const csvin_t *c, size_t r, const int *cols, int cpre, pm_template_t *t,
               pm_milestone_t *m, template_rows_t *tr, char *why, size_t whylen)
{
    const char *code = csvin_get(c, r, cols[T_CODE]), *list = csvin_get(c, r, cpre);
    strv_t items = {0};
    int rc = -1;

    strv_split(&items, list, ";");
    if (m != NULL && items.n == 0) {
        csvin_error(c, r, why, whylen,
                    _("milestone %s: list its member procedures in prerequisites, or '*' for all"),
                    code);
        goto fail;
    }
    for (size_t i = 0; i < items.n; i++) {
        char *pre = NULL;
        bool parallel, suffixed;
        long at;

        if (m != NULL && strcmp(items.v[i], "*") == 0) {
            if (items.n != 1) {
                csvin_error(c, r, why, whylen, _("milestone %s: '*' stands alone"), code);
                goto fail;
            }
            break; /* no members: every procedure */
        }
        if (parse_prereq(items.v[i], &pre, &parallel, &suffixed) != 0) {
            csvin_error(c, r, why, whylen,
                        _("%s: bad prerequisite '%s' (CODE, CODE:hard or CODE:parallel)"), code,
                        items.v[i]);
            goto fail;
        }
        at = template_find(c, cols, csvin_rows(c), pre);
        if ((at >= 0 && is_milestone_row(c, cols, (size_t)at)) || (m != NULL && suffixed) ||
            (m != NULL && strv_contains(&m->members, pre))) {
            if (at >= 0 && is_milestone_row(c, cols, (size_t)at))
                csvin_error(c, r, why, whylen, _("%s: '%s' is a milestone, not a procedure"), code,
                            pre);
            else if (suffixed)
                csvin_error(c, r, why, whylen, _("milestone %s: members take no ':%s'"), code,
                            strchr(items.v[i], ':') + 1);
            else
                csvin_error(c, r, why, whylen, _("milestone %s: member %s is listed twice"), code,
                            pre);
            free(pre);
            goto fail;
        }
        if (m != NULL) {
            strv_push(&m->members, pre);
        } else {
            rows_push(&tr->edge, t->nedges, r);
            pm_template_add_edge(t, pre, code, parallel);
        }
        free(pre);
    }
    rc = 0;
fail:
    strv_clear(&items);
    return rc;
}

/* "X, Y and Z": the procedures of a cycle (codes), in the order given. */
static void
cycle_names(strv_t *out, const pm_template_t *t, const size_t *needs, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *sep = k == 0 ? "" : k + 1 == n ? _(" and ") : _(", ");
        char *s = xasprintf("%s%s", sep, t->edges[needs[k]].to);
        strv_push(out, s);
        free(s);
    }
}

/*
 * A cycle as the file states it: "FILE:LINE: A and B are each other's prerequisite (互为前置):
 * A (line 7) needs B (line 9) needs A", starting at its first line. The compiler gives the
 * edges in prerequisite order; the file lists each edge on the row of the procedure that needs
 * it, so the chain reads them backwards. Where a joint-review group joins two edges, the member
 * reached and the member that needs further are both named.
 */
static void
cycle_report(const csvin_t *c, const pm_template_t *t, const template_rows_t *tr,
             const tmpl_fault_t *f, char *why, size_t whylen)
{
    size_t n = f->ncycle, *needs = xcalloc(n, sizeof(size_t)), start = 0;
    strv_t parts = {0};
    char *s;

    /* Backwards, starting at the edge with the first line. */
    for (size_t k = 1; k < n; k++)
        if (tr->edge[f->cycle[n - 1 - k]] < tr->edge[f->cycle[n - 1 - start]])
            start = k;
    for (size_t k = 0; k < n; k++)
        needs[k] = f->cycle[n - 1 - (start + k) % n];
    cycle_names(&parts, t, needs, n);
    strv_push(&parts, _(" are each other's prerequisite (互为前置): "));
    s = xasprintf(_("%s (line %u) needs"), t->edges[needs[0]].to,
                  csvin_line(c, tr->edge[needs[0]]));
    strv_push(&parts, s);
    free(s);
    for (size_t k = 0; k < n; k++) {
        const pm_edge_t *e = &t->edges[needs[k]], *next = &t->edges[needs[(k + 1) % n]];
        s = xasprintf(" %s", e->from);
        strv_push(&parts, s);
        free(s);
        if (strcmp(e->from, next->to) != 0) {
            s = xasprintf(_(", reviewed jointly with %s"), next->to);
            strv_push(&parts, s);
            free(s);
        }
        if (k + 1 < n) {
            s = xasprintf(_(" (line %u) needs"), csvin_line(c, tr->edge[needs[k + 1]]));
            strv_push(&parts, s);
            free(s);
        }
    }
    s = strv_join(&parts, "");
    snprintf(why, whylen, "%s:%u: %s", csvin_path(c), csvin_line(c, tr->edge[needs[0]]), s);
    free(s);
    strv_clear(&parts);
    free(needs);
}

/*
 * Compile the template with the broker's own code (core/tmpl) before anything is sent, and
 * give its refusal the file's line numbers. The broker compiles it again on receipt.
 */
static int
check_template(const csvin_t *c, const pm_template_t *t, const template_rows_t *tr, char *why,
               size_t whylen)
{
    pm_template_t *copy = pm_template_dup(t);
    tmpl_t *compiled = NULL;
    tmpl_fault_t f;
    const size_t *rows;

    if (tmpl_check(&copy, &compiled, &f) == 0) {
        tmpl_destroy(&compiled);
        return 0;
    }
    rows = f.at == TMPL_AT_PROC ? tr->proc : f.at == TMPL_AT_EDGE ? tr->edge : tr->milestone;
    if (f.ncycle > 0)
        cycle_report(c, t, tr, &f, why, whylen);
    else if (f.at == TMPL_AT_TEMPLATE)
        snprintf(why, whylen, "%s: %s", csvin_path(c), f.reason);
    else if (rows[f.first] != rows[f.index])
        csvin_error(c, rows[f.index], why, whylen, _("%s (line %u)"), f.reason,
                    csvin_line(c, rows[f.first]));
    else
        csvin_error(c, rows[f.index], why, whylen, "%s", f.reason);
    tmpl_fault_clear(&f);
    return -1;
}

static int
build_template(csvin_t *c, const char *name, const lookup_t *lk, pm_import_t *im, char *why,
               size_t whylen)
{
    static const char *const known[] = {"type",  "code",          "name",
                                        "dept",  "limit_days",    "prerequisites",
                                        "group", "promised_days", NULL};
    static const char *const required[] = {"type", "code", "name", "dept", "limit_days", NULL};
    int cols[5], cpre, cgroup, cpromised;
    pm_template_t *t = pm_template_new();
    template_rows_t tr = {0};
    size_t nms = 0;
    int rc = -1;

    t->name = xstrdup(name);
    im->template = t;
    if (require_columns(c, CSVIN_TEMPLATE, known, required, cols, why, whylen) != 0)
        return -1;
    cpre = csvin_column(c, "prerequisites");
    cgroup = csvin_column(c, "group");
    cpromised = csvin_column(c, "promised_days");
    for (size_t r = 0; r < csvin_rows(c); r++) {
        size_t nprocs = t->nprocs, nmilestones = t->nmilestones;
        if (template_row(c, r, cols, cgroup, cpromised, lk, t, why, whylen) != 0)
            goto done;
        if (t->nprocs > nprocs)
            rows_push(&tr.proc, nprocs, r);
        if (t->nmilestones > nmilestones)
            rows_push(&tr.milestone, nmilestones, r);
    }
    if (t->nprocs == 0) {
        snprintf(why, whylen, _("%s: no procedures"), csvin_path(c));
        goto done;
    }
    /* Lists may name codes defined further down, so they wait for the second pass. */
    for (size_t r = 0; r < csvin_rows(c); r++) {
        pm_milestone_t *m = is_milestone_row(c, cols, r) ? &t->milestones[nms++] : NULL;
        if (template_lists(c, r, cols, cpre, t, m, &tr, why, whylen) != 0)
            goto done;
    }
    rc = check_template(c, t, &tr, why, whylen);
done:
    template_rows_clear(&tr);
    return rc;
}

enum { P_ID, P_NAME };

static int
project_not_required(const csvin_t *c, size_t r, int col, const pm_template_t *t, pm_project_t *p,
                     char *why, size_t whylen)
{
    strv_t items = {0};
    int rc = -1;

    strv_split(&items, csvin_get(c, r, col), ";");
    for (size_t i = 0; i < items.n; i++) {
        const char *code = items.v[i];
        bool known = t == NULL;
        for (size_t k = 0; t != NULL && k < t->nprocs && !known; k++)
            known = strcmp(t->procs[k].code, code) == 0;
        if (!pm_code_valid(code) || !known) {
            csvin_error(c, r, why, whylen, _("unknown procedure '%s' in not_required"), code);
            goto fail;
        }
        if (!strv_contains(&p->not_required, code))
            strv_push(&p->not_required, code);
    }
    rc = 0;
fail:
    strv_clear(&items);
    return rc;
}

/* The planned start: half "1"/"H1"/"上半年" or "2"/"H2"/"下半年", and its year. */
static int
project_start(const csvin_t *c, size_t r, int chalf, int cyear, pm_project_t *p, char *why,
              size_t whylen)
{
    const char *half = csvin_get(c, r, chalf), *year = csvin_get(c, r, cyear);
    unsigned long long y = 0;

    if (strcmp(half, "1") == 0 || strcasecmp(half, "H1") == 0 || strcmp(half, "上半年") == 0)
        p->start_half = 1;
    else if (strcmp(half, "2") == 0 || strcasecmp(half, "H2") == 0 || strcmp(half, "下半年") == 0)
        p->start_half = 2;
    else if (!util_empty(half))
        return csvin_error(c, r, why, whylen,
                           _("start_half is 1 (H1, 上半年) or 2 (H2, 下半年), not '%s'"), half);
    if (!util_empty(year) &&
        (ctl_parse_uint(year, PM_PROJECT_YEAR_MAX, &y) != 0 || y < PM_PROJECT_YEAR_MIN))
        return csvin_error(c, r, why, whylen, _("year must be a year from %d to %d, not '%s'"),
                           PM_PROJECT_YEAR_MIN, PM_PROJECT_YEAR_MAX, year);
    if (y != 0 && p->start_half == 0)
        return csvin_error(c, r, why, whylen, _("year without start_half"));
    p->year = (uint32_t)y;
    return 0;
}

static int
build_projects(csvin_t *c, const char *default_template, const lookup_t *lk, pm_import_t *im,
               char *why, size_t whylen)
{
    static const char *const known[] = {"id",           "name",       "region", "industry",
                                        "company",      "steward",    "leader", "template",
                                        "not_required", "start_half", "year",   NULL};
    static const char *const required[] = {"id", "name", NULL};
    int cols[2], cregion, cindustry, ccompany, csteward, cleader, ctemplate, cnr, chalf, cyear;

    if (require_columns(c, CSVIN_PROJECTS, known, required, cols, why, whylen) != 0)
        return -1;
    cregion = csvin_column(c, "region");
    cindustry = csvin_column(c, "industry");
    ccompany = csvin_column(c, "company");
    csteward = csvin_column(c, "steward");
    cleader = csvin_column(c, "leader");
    ctemplate = csvin_column(c, "template");
    cnr = csvin_column(c, "not_required");
    chalf = csvin_column(c, "start_half");
    cyear = csvin_column(c, "year");
    for (size_t r = 0; r < csvin_rows(c); r++) {
        const char *id, *name = csvin_get(c, r, cols[P_NAME]);
        const char *tname = csvin_get(c, r, ctemplate);
        const pm_template_t *t = NULL;
        pm_project_t *p;
        long first;

        if (get_code(c, r, cols[P_ID], "id", &id, why, whylen) != 0)
            return -1;
        if (util_empty(name))
            return csvin_error(c, r, why, whylen, _("project %s has no name"), id);
        first = csvin_find(c, cols[P_ID], id);
        if (first >= 0 && (size_t)first < r)
            return csvin_error(c, r, why, whylen, _("project %s is listed twice (line %u)"), id,
                               csvin_line(c, (size_t)first));
        if (util_empty(tname))
            tname = default_template;
        if (!pm_code_valid(tname))
            return csvin_error(c, r, why, whylen, _("bad template name '%s'"), tname);
        if (lk->have_templates) {
            t = lookup_template(lk, tname);
            if (t == NULL)
                return csvin_error(c, r, why, whylen, _("unknown template '%s' (import it first)"),
                                   tname);
        }
        p = pm_import_add_project(im);
        p->id = xstrdup(id);
        p->name = xstrdup(name);
        p->region = opt_dup(csvin_get(c, r, cregion));
        p->industry = opt_dup(csvin_get(c, r, cindustry));
        p->company = opt_dup(csvin_get(c, r, ccompany));
        p->steward = opt_dup(csvin_get(c, r, csteward));
        p->leader = opt_dup(csvin_get(c, r, cleader));
        p->template_name = xstrdup(tname);
        if (project_not_required(c, r, cnr, t, p, why, whylen) != 0 ||
            project_start(c, r, chalf, cyear, p, why, whylen) != 0)
            return -1;
    }
    if (im->nprojects == 0) {
        snprintf(why, whylen, _("%s: no projects"), csvin_path(c));
        return -1;
    }
    return 0;
}

/* One element of "days": its JSON shape checked, appended to c. The dates are the broker's
 * to judge (calendar_load_year), after the whole file is read. */
static int
calendar_day(const char *path, size_t i, json_t *v, pm_calendar_t *c, char *why, size_t whylen)
{
    json_t *date = json_object_get(v, "date"), *off = json_object_get(v, "isOffDay");
    json_t *name = json_object_get(v, "name");
    pm_calday_t *day;

    if (!json_is_object(v)) {
        snprintf(why, whylen, _("%s: days[%zu] is not an object"), path, i);
        return -1;
    }
    if (!json_is_string(date)) {
        snprintf(why, whylen, _("%s: days[%zu] has no \"date\" (a string, YYYY-MM-DD)"), path, i);
        return -1;
    }
    if (!json_is_boolean(off)) {
        snprintf(why, whylen, _("%s: days[%zu] (%s) has no \"isOffDay\" (true or false)"), path, i,
                 json_string_value(date));
        return -1;
    }
    if (name != NULL && !json_is_string(name)) {
        snprintf(why, whylen, _("%s: days[%zu] (%s): \"name\" is not a string"), path, i,
                 json_string_value(date));
        return -1;
    }
    day = pm_calendar_add_day(c);
    day->date = xstrdup(json_string_value(date));
    day->name = name != NULL ? xstrdup(json_string_value(name)) : NULL;
    day->off = json_is_true(off);
    return 0;
}

/*
 * The dates of a year (YYYY-MM-DD, in the year, each listed once), checked by loading it into a
 * scratch calendar with the broker's own code, so the file's name comes with the same reason
 * the broker would give.
 */
static int
calendar_check_dates(const char *path, const pm_calendar_t *c, char *why, size_t whylen)
{
    calendar_t *cal = calendar_new();
    char *reason = NULL;
    int rc = calendar_load_year(cal, c, &reason);

    if (rc != 0)
        snprintf(why, whylen, "%s: %s", path, reason);
    free(reason);
    calendar_destroy(&cal);
    return rc;
}

/* A holiday-cn file as it is published: {"year", "papers", "days"}; see the top. */
static int
build_calendar(const char *path, pm_import_t *im, char *why, size_t whylen)
{
    json_error_t err;
    json_t *root, *year, *papers, *days, *v;
    pm_calendar_t *c;
    FILE *f;
    int rc = -1;
    double yv;
    size_t i;

    /* Opened here so a missing file reads "FILE: reason" like the CSV imports. */
    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (root == NULL) {
        snprintf(why, whylen, _("%s:%d: not valid JSON: %s"), path, err.line, err.text);
        return -1;
    }
    c = im->calendar = pm_calendar_new();
    if (!json_is_object(root)) {
        snprintf(why, whylen, _("%s: not a holiday-cn calendar (an object: year, papers, days)"),
                 path);
        goto fail;
    }
    year = json_object_get(root, "year");
    papers = json_object_get(root, "papers");
    days = json_object_get(root, "days");
    /* The schema says "number": 2026 and 2026.0 are the same year, 2026.5 is none. */
    yv = json_number_value(year);
    if (!json_is_number(year) || !(yv >= PM_CAL_YEAR_MIN && yv <= PM_CAL_YEAR_MAX) ||
        yv != (double)(long)yv) {
        if (year == NULL)
            snprintf(why, whylen, _("%s: no \"year\""), path);
        else
            snprintf(why, whylen, _("%s: \"year\" is not a whole number from %d to %d"), path,
                     PM_CAL_YEAR_MIN, PM_CAL_YEAR_MAX);
        goto fail;
    }
    c->year = (uint32_t)yv;
    if (!json_is_array(papers)) {
        snprintf(why, whylen, "%s: %s", path,
                 papers == NULL ? _("no \"papers\" (an array, empty if none)")
                                : _("\"papers\" is not an array"));
        goto fail;
    }
    json_array_foreach(papers, i, v)
    {
        if (!json_is_string(v)) {
            snprintf(why, whylen, _("%s: papers[%zu] is not a string"), path, i);
            goto fail;
        }
        strv_push(&c->papers, json_string_value(v));
    }
    if (!json_is_array(days)) {
        snprintf(why, whylen, "%s: %s", path,
                 days == NULL ? _("no \"days\" (an array, empty if none)")
                              : _("\"days\" is not an array"));
        goto fail;
    }
    json_array_foreach(days, i, v)
    {
        if (calendar_day(path, i, v, c, why, whylen) != 0)
            goto fail;
    }
    rc = calendar_check_dates(path, c, why, whylen);
fail:
    json_decref(root);
    return rc;
}

static void
import_destroy(pm_import_t **p)
{
    pm_msg_t *m;

    if (*p == NULL)
        return;
    /* pm_msg_destroy is the one place that knows how to free an import. */
    m = pm_msg_new(PM_MSG_IMPORT);
    m->import = *p;
    pm_msg_destroy(&m);
    *p = NULL;
}

/*
 * "(seq 31)" or "(seq 31-40)": the entries of an import whose entries follow one another. A
 * project's registration is followed by what it derives (its ready procedures announced), so
 * projects print where they start: "(from seq 9)".
 */
static void
print_range(const pm_reply_t *r, bool contiguous)
{
    if (!contiguous && r->count > 1)
        printf(_("(from seq %llu)"), (unsigned long long)r->seq);
    else if (r->count <= 1)
        printf(_("(seq %llu)"), (unsigned long long)r->seq);
    else
        printf(_("(seq %llu-%llu)"), (unsigned long long)r->seq,
               (unsigned long long)(r->seq + r->count - 1));
}

/* A calendar year: what was listed, or that the year is still to be announced. */
static void
print_calendar_ack(const pm_calendar_t *c, const pm_reply_t *r)
{
    size_t off = 0;

    if (r->count == 0) {
        printf(_("nothing to import: calendar %u unchanged\n"), c->year);
        return;
    }
    for (size_t i = 0; i < c->ndays; i++)
        off += c->days[i].off;
    if (c->ndays == 0 && c->papers.n == 0)
        printf(_("imported calendar %u: not announced yet (no listed day); deadlines reaching "
                 "into %u stay provisional "),
               c->year, c->year);
    else
        printf(ngettext("imported calendar %u: %zu listed day, %zu off and %zu worked ",
                        "imported calendar %u: %zu listed days, %zu off and %zu worked ", c->ndays),
               c->year, c->ndays, off, c->ndays - off);
    print_range(r, true);
    putchar('\n');
}

/* Say what the ack means for this kind of import. */
static void
print_ack(const pm_import_t *im, const pm_reply_t *r)
{
    if (r->duplicate) {
        printf(_("already imported (seq %llu; duplicate id)\n"), (unsigned long long)r->seq);
    } else if (im->calendar != NULL) {
        print_calendar_ack(im->calendar, r);
    } else if (im->template != NULL) {
        if (r->count == 0) {
            printf(_("nothing to import: template %s unchanged\n"), im->template->name);
            return;
        }
        printf(_("imported template %s: "), im->template->name);
        printf(ngettext("%zu procedure", "%zu procedures", im->template->nprocs),
               im->template->nprocs);
        fputs(_(", "), stdout);
        printf(ngettext("%zu milestone ", "%zu milestones ", im->template->nmilestones),
               im->template->nmilestones);
        print_range(r, true);
        putchar('\n');
    } else {
        size_t n = im->ndepts > 0 ? im->ndepts : im->nprojects;
        if (r->count == 0) {
            printf(im->ndepts > 0 ? ngettext("nothing to import: %zu department unchanged\n",
                                             "nothing to import: %zu departments unchanged\n", n)
                                  : ngettext("nothing to import: %zu project unchanged\n",
                                             "nothing to import: %zu projects unchanged\n", n),
                   n);
            return;
        }
        printf(im->ndepts > 0
                   ? ngettext("imported %u department ", "imported %u departments ", r->count)
                   : ngettext("imported %u project ", "imported %u projects ", r->count),
               r->count);
        print_range(r, im->ndepts > 0);
        if (r->count < n)
            printf(_(", %zu unchanged"), n - r->count);
        putchar('\n');
    }
}

/*
 * SIGINT or SIGTERM before the import was sent: nothing is sent, the broker holds nothing of
 * it. Checked after each step (reading, asking the broker, checking the rows), each of which
 * is linear in the file's rows, so a large file stops within a second or so.
 */
static int
interrupted(const ctl_t *ctl)
{
    ctl_warnx(_("interrupted by signal %d: nothing was imported"), (int)*ctl->stop);
    return 128 + *ctl->stop;
}

static const struct option import_options[] = {
    {"template", required_argument, NULL, 't'},
    {NULL, 0, NULL, 0},
};

int
cmd_import(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    const char *what, *path, *tname = DEFAULT_TEMPLATE;
    pm_import_t *im = NULL;
    pm_msg_t *req = NULL, *rep = NULL;
    csvin_t *csv = NULL;
    lookup_t lk = {0};
    char why[1024];
    int c, rc;

    while ((c = getopt_long(argc, argv, ":", import_options, NULL)) != -1) {
        switch (c) {
        case 't':
            tname = optarg;
            break;
        default:
            return ctl_bad_option("import", c, argv);
        }
    }
    if (argc - optind != 2)
        return ctl_usage(_("import: give departments|template|projects|calendar and a FILE"));
    what = argv[optind];
    path = argv[optind + 1];
    if (strcmp(what, "departments") != 0 && strcmp(what, "template") != 0 &&
        strcmp(what, "projects") != 0 && strcmp(what, "calendar") != 0)
        return ctl_usage(_("import: what is '%s'? (departments, template, projects or calendar)"),
                         what);
    if (!pm_code_valid(tname))
        return ctl_usage(_("import: bad template name '%s'"), tname);

    /* The calendar is JSON, read by build_calendar(); the others are CSV. A signal during a
     * read of a slow file (a pipe, a network share) fails it: that is the interruption. */
    if (strcmp(what, "calendar") != 0 && csvin_read(path, &csv, why, sizeof(why)) != 0) {
        if (*ctl->stop)
            return interrupted(ctl);
        ctl_warnx("%s", why);
        return EX_DATAERR;
    }
    if (strcmp(what, "template") == 0)
        lk.have_depts = fetch_kind(ctl, "department", collect_dept, &lk);
    else if (strcmp(what, "projects") == 0)
        lk.have_templates = fetch_kind(ctl, "template", collect_template, &lk);
    if (*ctl->stop) {
        rc = interrupted(ctl);
        goto done;
    }

    im = xcalloc(1, sizeof(*im));
    im->id = util_new_id();
    im->actor = ctl_operator();
    if (strcmp(what, "departments") == 0)
        rc = build_departments(csv, im, why, sizeof(why));
    else if (strcmp(what, "template") == 0)
        rc = build_template(csv, tname, &lk, im, why, sizeof(why));
    else if (strcmp(what, "projects") == 0)
        rc = build_projects(csv, tname, &lk, im, why, sizeof(why));
    else
        rc = build_calendar(path, im, why, sizeof(why));
    if (*ctl->stop) {
        rc = interrupted(ctl);
        goto done;
    }
    if (rc != 0) {
        ctl_warnx("%s", why);
        rc = EX_DATAERR;
        goto done;
    }

    req = pm_msg_new(PM_MSG_IMPORT);
    req->import = im;
    rc = ctl_request(ctl, ctl->broker, req, &rep);
    if (rc != 0)
        goto done;
    if (rep->type != PM_MSG_REPLY || rep->reply == NULL) {
        ctl_warnx(_("unexpected answer from %s (message type %d)"), ctl->broker, (int)rep->type);
        rc = EXIT_FAILURE;
    } else if (!rep->reply->ok) {
        rc = ctl_refused(rep->reply);
    } else {
        print_ack(im, rep->reply);
        rc = EX_OK;
    }

done:
    pm_msg_destroy(&rep);
    if (req != NULL)
        pm_msg_destroy(&req); /* frees im with it */
    else
        import_destroy(&im);
    lookup_clear(&lk);
    csvin_destroy(&csv);
    return rc;
}
