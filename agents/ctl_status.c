/*
 * ctl_status: `permitctl status PROJECT`, "what is blocking project X".
 *
 * Asks the query socket for the project's status and prints a header (id, name, region,
 * industry, company, steward, leader, template), one row per procedure (code, name,
 * department, state, limit in working days, certificate, last change, and "blocked by: CODE
 * (DEPT, state, hard|parallel), ..." for a blocked one) and the milestones reached. Columns
 * are aligned by display width: a Chinese character takes two columns on a terminal, and the
 * width is computed from the code point so the result does not depend on the locale.
 *
 * --json prints one object: {"project": {...}, "procs": [{"code", "name", "dept", "group",
 * "state", "limit_days", "deficient", "cert", "updated_seq", "updated_time", "updated_ms",
 * "blockers": [{"code", "name", "dept", "state", "parallel"}]}], "milestones": [CODE...],
 * "done": N, "total": N}.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "entryfmt.h"
#include "util.h"

/* Columns of a terminal a code point takes: 2 for East Asian wide, 0 for combining marks. */
static int
cp_width(uint32_t cp)
{
    static const struct {
        uint32_t lo, hi;
    } wide[] = {
        {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x2e80, 0x303e},
        {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
        {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},
        {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
        {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
    };

    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return 0;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff)
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(wide); i++)
        if (cp >= wide[i].lo && cp <= wide[i].hi)
            return 2;
    return 1;
}

/* Display width of UTF-8 text; a byte that does not decode counts as one column. */
static int
disp_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;

    while (*p != '\0') {
        uint32_t cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1f;
            n = 2;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0f;
            n = 3;
        } else if ((*p & 0xf8) == 0xf0) {
            cp = *p & 0x07;
            n = 4;
        } else {
            w++;
            p++;
            continue;
        }
        for (int k = 1; k < n; k++) {
            if ((p[k] & 0xc0) != 0x80) {
                n = 1;
                cp = 0xfffd;
                break;
            }
            cp = (cp << 6) | (p[k] & 0x3f);
        }
        w += cp_width(cp);
        p += n;
    }
    return w;
}

/* A table of text cells: rows of STATUS_COLS cells, the last column left unpadded. */
#define STATUS_COLS 8

typedef struct table {
    char *(*cells)[STATUS_COLS];
    size_t n;
} table_t;

static char **
table_row(table_t *t)
{
    t->cells = xrealloc(t->cells, (t->n + 1) * sizeof(*t->cells));
    memset(t->cells[t->n], 0, sizeof(*t->cells));
    return t->cells[t->n++];
}

static void
table_print(const table_t *t)
{
    int width[STATUS_COLS] = {0};

    for (size_t r = 0; r < t->n; r++)
        for (int c = 0; c < STATUS_COLS; c++)
            if (t->cells[r][c] != NULL && disp_width(t->cells[r][c]) > width[c])
                width[c] = disp_width(t->cells[r][c]);
    for (size_t r = 0; r < t->n; r++) {
        int last = STATUS_COLS - 1;
        while (last > 0 && util_empty(t->cells[r][last]))
            last--;
        for (int c = 0; c <= last; c++) {
            const char *s = t->cells[r][c] != NULL ? t->cells[r][c] : "";
            fputs(s, stdout);
            if (c < last)
                printf("%*s", width[c] - disp_width(s) + 2, "");
        }
        putchar('\n');
    }
}

static void
table_clear(table_t *t)
{
    for (size_t r = 0; r < t->n; r++)
        for (int c = 0; c < STATUS_COLS; c++)
            free(t->cells[r][c]);
    free(t->cells);
    t->cells = NULL;
    t->n = 0;
}

static const char *
or_dash(const char *s)
{
    return util_empty(s) ? "-" : s;
}

/* "blocked by: CODE (DEPT, state, hard), ...", or NULL when nothing blocks it. */
static char *
blocked_by(const pm_procstatus_t *ps)
{
    strv_t parts = {0};
    char *joined, *s;

    if (ps->nblockers == 0)
        return NULL;
    for (size_t i = 0; i < ps->nblockers; i++) {
        const pm_blocker_t *b = &ps->blockers[i];
        char *part = xasprintf("%s (%s, %s, %s)", b->code, or_dash(b->dept),
                               pm_state_name(b->state), b->parallel ? "parallel" : "hard");
        strv_push(&parts, part);
        free(part);
    }
    joined = strv_join(&parts, ", ");
    s = xasprintf("blocked by: %s", joined);
    free(joined);
    strv_clear(&parts);
    return s;
}

static size_t
count_done(const pm_status_t *st)
{
    size_t done = 0;

    for (size_t i = 0; i < st->nprocs; i++)
        done += pm_state_done(st->procs[i].state);
    return done;
}

static void
print_field(const char *label, const char *value)
{
    if (!util_empty(value))
        printf("%-10s%s\n", label, value);
}

static void
print_readable(const pm_status_t *st)
{
    const pm_project_t *p = st->project;
    size_t done = count_done(st);
    table_t t = {0};
    char **row, *tmpl, when[64];
    char *milestones;

    printf("%-10s%s  %s\n", "project", or_dash(p->id), or_dash(p->name));
    print_field("region", p->region);
    print_field("industry", p->industry);
    print_field("company", p->company);
    print_field("steward", p->steward);
    print_field("leader", p->leader);
    tmpl = p->template_version != 0
               ? xasprintf("%s v%u", or_dash(p->template_name), p->template_version)
               : xstrdup(or_dash(p->template_name));
    print_field("template", tmpl);
    free(tmpl);
    printf("%-10s%zu of %zu procedures approved or not required (%.0f%%)\n\n", "done", done,
           st->nprocs, st->nprocs ? 100.0 * (double)done / (double)st->nprocs : 0.0);

    row = table_row(&t);
    row[0] = xstrdup("CODE");
    row[1] = xstrdup("PROCEDURE");
    row[2] = xstrdup("DEPT");
    row[3] = xstrdup("STATE");
    row[4] = xstrdup("WORKDAYS");
    row[5] = xstrdup("CERT");
    row[6] = xstrdup("SINCE");
    for (size_t i = 0; i < st->nprocs; i++) {
        const pm_procstatus_t *ps = &st->procs[i];
        row = table_row(&t);
        row[0] = xstrdup(or_dash(ps->code));
        row[1] = util_empty(ps->group) ? xstrdup(or_dash(ps->name))
                                       : xasprintf("%s [%s]", or_dash(ps->name), ps->group);
        row[2] = xstrdup(or_dash(ps->dept));
        /* An open 容缺 commitment outlives the accepted_deficient state. */
        row[3] = ps->deficient && ps->state != PM_STATE_DEFICIENT
                     ? xasprintf("%s (commitment open)", pm_state_name(ps->state))
                     : xstrdup(pm_state_name(ps->state));
        row[4] = xasprintf("%u", ps->limit_days);
        row[5] = xstrdup(or_dash(ps->cert));
        /* Minutes are enough to see how long something has waited. */
        row[6] = ps->updated_ms != 0
                     ? xstrndup(util_format_time(ps->updated_ms, false, when, sizeof(when)), 16)
                     : xstrdup("-");
        row[7] = blocked_by(ps);
    }
    table_print(&t);
    table_clear(&t);

    milestones = strv_join(&st->milestones, ", ");
    printf("\nmilestones reached: %s\n", st->milestones.n > 0 ? milestones : "none");
    free(milestones);
}

static json_t *
procstatus_json(const pm_procstatus_t *ps)
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
    return o;
}

static void
print_json(const pm_status_t *st)
{
    json_t *o = json_object(), *procs = json_array(), *ms = json_array();
    char *text;

    json_object_set_new(o, "project", entryfmt_project_json(st->project));
    for (size_t i = 0; i < st->nprocs; i++)
        json_array_append_new(procs, procstatus_json(&st->procs[i]));
    json_object_set_new(o, "procs", procs);
    for (size_t i = 0; i < st->milestones.n; i++)
        json_array_append_new(ms, json_string(st->milestones.v[i]));
    json_object_set_new(o, "milestones", ms);
    json_object_set_new(o, "done", json_integer((json_int_t)count_done(st)));
    json_object_set_new(o, "total", json_integer((json_int_t)st->nprocs));
    text = entryfmt_dump(o);
    puts(text);
    free(text);
    json_decref(o);
}

static const struct option status_options[] = {
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int
cmd_status(ctl_t *ctl, int argc, char **argv)
{
    pm_msg_t *req = NULL, *rep = NULL;
    const char *project;
    bool json = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, ":h", status_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'h':
            ctl_command_help("status");
            return CTL_EXIT_OK;
        default:
            return ctl_bad_option("status", c, argv);
        }
    }
    if (optind >= argc)
        return ctl_usage("status: which project? (permitctl status PROJECT)");
    if (optind + 1 < argc)
        return ctl_usage("status: unexpected argument '%s'", argv[optind + 1]);
    project = argv[optind];
    if (util_empty(project) || !util_utf8_valid(project, strlen(project)))
        return ctl_usage("status: bad project id");

    req = pm_msg_new(PM_MSG_STATUS_REQ);
    req->status_project = xstrdup(project);
    rc = ctl_request(ctl, ctl->query, req, &rep);
    if (rc != 0)
        goto done;
    if (rep->type == PM_MSG_REPLY && rep->reply != NULL && !rep->reply->ok) {
        /* An unknown project is an answer, not a refusal: say it plainly. */
        if (util_strcmp0(rep->reply->code, PM_REFUSE_UNKNOWN_PROJECT) == 0) {
            ctl_warnx("%s",
                      util_empty(rep->reply->reason) ? "unknown project" : rep->reply->reason);
            rc = CTL_EXIT_REFUSED;
        } else {
            rc = ctl_refused(rep->reply);
        }
        goto done;
    }
    if (rep->type != PM_MSG_STATUS || rep->status == NULL || rep->status->project == NULL) {
        ctl_warnx("unexpected answer from %s (message type %d)", ctl->query, (int)rep->type);
        rc = CTL_EXIT_FAIL;
        goto done;
    }
    if (json)
        print_json(rep->status);
    else
        print_readable(rep->status);
    if (fflush(stdout) == EOF) {
        ctl_warnx("stdout: write failed");
        rc = CTL_EXIT_FAIL;
    }

done:
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}
