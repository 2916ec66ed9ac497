/*
 * ctl_status: `permitctl status PROJECT`, "what is blocking project X", and
 * `permitctl overdue`, "which procedures are red or yellow".
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "entryfmt.h"
#include "termsafe.h"
#include "util.h"
#include "zone.h"

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
#define STATUS_COLS 10

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

/* The heading row: the column names, NULL-terminated. */
static void
table_heading(table_t *t, ...)
{
    char **row = table_row(t);
    const char *name;
    va_list ap;
    int c = 0;

    va_start(ap, t);
    while ((name = va_arg(ap, const char *)) != NULL && c < STATUS_COLS)
        row[c++] = xstrdup(name);
    va_end(ap);
}

/* Cells hold what departments sent (names, notes, missing items): escaped before they are
 * measured, so the columns line up and a terminal obeys none of it. */
static void
table_print(table_t *t)
{
    int width[STATUS_COLS] = {0};

    for (size_t r = 0; r < t->n; r++) {
        for (int c = 0; c < STATUS_COLS; c++) {
            if (t->cells[r][c] != NULL && !termsafe_clean(t->cells[r][c])) {
                char *safe = termsafe_dup(t->cells[r][c]);
                free(t->cells[r][c]);
                t->cells[r][c] = safe;
            }
        }
    }
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

/* The last day of a deadline (its end is 00:00 of the next day), as YYYY-MM-DD. */
static char *
last_day(int64_t end_ms)
{
    char buf[64];

    if (end_ms == 0)
        return xstrdup("-");
    util_format_time(end_ms - 1, false, buf, sizeof(buf));
    return xstrndup(buf, 10);
}

/* "red, 2 wd over", "yellow, 1 wd left", "paused", or "-" when no clock runs. */
static char *
colour_text(pm_colour_t colour, int32_t days, bool paused)
{
    if (paused)
        return xstrdup("paused");
    switch (colour) {
    case PM_COLOUR_RED:
        return xasprintf("red, %d wd over", days);
    case PM_COLOUR_YELLOW:
        return xasprintf("yellow, %d wd left", days);
    case PM_COLOUR_GREEN:
        return xasprintf("green, %d wd left", days);
    default:
        return xstrdup("-");
    }
}

/* The deadline cell: the promised last day, the statutory one if later, '?' if provisional. */
static char *
deadline_text(const pm_procstatus_t *ps)
{
    char *d = last_day(ps->deadline_ms), *s;

    if (ps->statutory_ms != 0 && ps->statutory_ms != ps->deadline_ms) {
        char *st = last_day(ps->statutory_ms);
        s = xasprintf("%s (statutory %s)%s", d, st, ps->provisional ? "?" : "");
        free(st);
    } else {
        s = xasprintf("%s%s", d, ps->provisional ? "?" : "");
    }
    free(d);
    return s;
}

/* What is worth saying in the last column: blockers, then an open commitment. */
static char *
notes_text(const pm_procstatus_t *ps)
{
    char *blocked = blocked_by(ps), *s;

    if (ps->commitment_ms == 0)
        return blocked;
    {
        char *due = last_day(ps->commitment_ms);
        s = xasprintf("%s%scommitment: %s by %s", blocked ? blocked : "", blocked ? "; " : "",
                      or_dash(ps->missing), due);
        free(due);
    }
    free(blocked);
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
        termsafe_line(stdout, "%-10s%s", label, value);
}

/* "A → B → C (push A first)": the critical procedures in template order, which is a
 * topological order of the prerequisites. */
static char *
critical_chain(const pm_status_t *st)
{
    strv_t codes = {0};
    char *joined, *s;

    for (size_t i = 0; i < st->nprocs; i++)
        if (st->procs[i].critical)
            strv_push(&codes, st->procs[i].code);
    if (codes.n == 0)
        return xstrdup("-");
    joined = strv_join(&codes, " → ");
    s = xasprintf("%s (push %s first)", joined, codes.v[0]);
    free(joined);
    strv_clear(&codes);
    return s;
}

static bool
has_provisional(const pm_status_t *st)
{
    for (size_t i = 0; i < st->nprocs; i++)
        if (st->procs[i].provisional)
            return true;
    return false;
}

static void
print_readable(const pm_status_t *st)
{
    const pm_project_t *p = st->project;
    size_t done = count_done(st);
    table_t t = {0};
    char **row, *tmpl, when[64];
    char *milestones;

    termsafe_line(stdout, "%-10s%s  %s", "project", or_dash(p->id), or_dash(p->name));
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
    printf("%-10s%zu of %zu procedures approved or not required (%.0f%%)\n", "done", done,
           st->nprocs, st->nprocs ? 100.0 * (double)done / (double)st->nprocs : 0.0);
    if (st->critical_days > 0) {
        char *chain = critical_chain(st);
        termsafe_line(stdout, "%-10s%d working days still needed on the longest chain: %s",
                      "critical", st->critical_days, chain);
        free(chain);
    }
    if (st->due_ms != 0) {
        char *due = last_day(st->due_ms), *c = colour_text(st->colour, st->days, false);
        printf("%-10sall approvals by %s (%s)\n", "due", due,
               st->colour == PM_COLOUR_NONE ? "done" : c);
        free(due);
        free(c);
    }
    putchar('\n');

    table_heading(&t, "CODE", "PROCEDURE", "DEPT", "STATE", "LIMIT", "DEADLINE", "COLOUR", "CERT",
                  "SINCE", NULL);
    for (size_t i = 0; i < st->nprocs; i++) {
        const pm_procstatus_t *ps = &st->procs[i];
        row = table_row(&t);
        row[0] = xasprintf("%s%s", or_dash(ps->code), ps->critical ? " *" : "");
        row[1] = util_empty(ps->group) ? xstrdup(or_dash(ps->name))
                                       : xasprintf("%s [%s]", or_dash(ps->name), ps->group);
        row[2] = xstrdup(or_dash(ps->dept));
        /* An open 容缺 commitment outlives the accepted_deficient state. */
        row[3] = ps->deficient && ps->state != PM_STATE_DEFICIENT
                     ? xasprintf("%s (commitment open)", pm_state_name(ps->state))
                     : xstrdup(pm_state_name(ps->state));
        /* Working days: the promised limit first when the department promised less. */
        row[4] = ps->promised_days != 0 && ps->promised_days != ps->limit_days
                     ? xasprintf("%u/%u wd", ps->promised_days, ps->limit_days)
                     : xasprintf("%u wd", ps->limit_days);
        row[5] = deadline_text(ps);
        row[6] = colour_text(ps->colour, ps->days, ps->paused);
        row[7] = xstrdup(or_dash(ps->cert));
        /* Minutes are enough to see how long something has waited. */
        row[8] = ps->updated_ms != 0
                     ? xstrdup(zone_format_minute(ps->updated_ms, when, sizeof(when)))
                     : xstrdup("-");
        row[9] = notes_text(ps);
    }
    table_print(&t);
    table_clear(&t);

    milestones = strv_join(&st->milestones, ", ");
    putchar('\n');
    termsafe_line(stdout, "milestones reached: %s", st->milestones.n > 0 ? milestones : "none");
    if (st->critical_days > 0)
        printf("* on the critical path\n");
    if (has_provisional(st))
        printf("? provisional: the count reaches a year whose calendar is not loaded yet\n");
    free(milestones);
}

static void
print_json(const pm_status_t *st)
{
    json_t *o = json_object(), *procs = json_array(), *ms = json_array();
    char *text;

    json_object_set_new(o, "project", entryfmt_project_json(st->project));
    for (size_t i = 0; i < st->nprocs; i++)
        json_array_append_new(procs, entryfmt_procstatus_json(&st->procs[i]));
    json_object_set_new(o, "procs", procs);
    for (size_t i = 0; i < st->milestones.n; i++)
        json_array_append_new(ms, json_string(st->milestones.v[i]));
    json_object_set_new(o, "milestones", ms);
    json_object_set_new(o, "done", json_integer((json_int_t)count_done(st)));
    json_object_set_new(o, "total", json_integer((json_int_t)st->nprocs));
    json_object_set_new(o, "critical_days", json_integer(st->critical_days));
    json_object_set_new(o, "colour", json_string(pm_colour_name(st->colour)));
    entryfmt_set_day(o, "due", st->due_ms);
    if (st->colour != PM_COLOUR_NONE)
        json_object_set_new(o, "days", json_integer(st->days));
    text = entryfmt_dump(o);
    puts(text);
    free(text);
    json_decref(o);
}

static const struct option status_options[] = {
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

int
cmd_status(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    pm_msg_t *req = NULL, *rep = NULL;
    const char *project;
    bool json = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, ":", status_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
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
            rc = EX_DATAERR;
        } else {
            rc = ctl_refused(rep->reply);
        }
        goto done;
    }
    if (rep->type != PM_MSG_STATUS || rep->status == NULL || rep->status->project == NULL) {
        ctl_warnx("unexpected answer from %s (message type %d)", ctl->query, (int)rep->type);
        rc = EXIT_FAILURE;
        goto done;
    }
    if (json)
        print_json(rep->status);
    else
        print_readable(rep->status);
    if (fflush(stdout) == EOF) {
        ctl_warnx("stdout: write failed");
        rc = EXIT_FAILURE;
    }

done:
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}

static void
print_blocked_readable(const pm_list_t *l)
{
    table_t t = {0};
    char **row;

    if (l->n == 0) {
        printf("nothing blocked\n");
        return;
    }
    table_heading(&t, "PROJECT", "PROCEDURE", "DEPT", "REGION", "STEWARD", "WAITING FOR", NULL);
    for (size_t i = 0; i < l->n; i++) {
        const pm_listrow_t *r = &l->rows[i];
        char *by = blocked_by(&r->ps);
        row = table_row(&t);
        row[0] = xstrdup(or_dash(r->project));
        row[1] = xasprintf("%s %s", or_dash(r->ps.code), or_dash(r->ps.name));
        row[2] = xstrdup(or_dash(r->ps.dept));
        row[3] = xstrdup(or_dash(r->region));
        row[4] = xstrdup(or_dash(r->steward));
        /* "blocked by: " is the table's heading here. */
        row[5] = xstrdup(by != NULL ? by + strlen("blocked by: ") : "-");
        free(by);
    }
    table_print(&t);
    table_clear(&t);
}

static void
print_list_readable(const pm_list_t *l)
{
    table_t t = {0};
    char **row;

    if (l->n == 0) {
        printf("nothing red or yellow\n");
        return;
    }
    table_heading(&t, "COLOUR", "PROJECT", "PROCEDURE", "DEPT", "DEADLINE", "REGION", "STEWARD",
                  "NAME", NULL);
    for (size_t i = 0; i < l->n; i++) {
        const pm_listrow_t *r = &l->rows[i];
        row = table_row(&t);
        row[0] = colour_text(r->ps.colour, r->ps.days, r->ps.paused);
        row[1] = xstrdup(or_dash(r->project));
        row[2] = xasprintf("%s %s", or_dash(r->ps.code), or_dash(r->ps.name));
        row[3] = xstrdup(or_dash(r->ps.dept));
        row[4] = deadline_text(&r->ps);
        row[5] = xstrdup(or_dash(r->region));
        row[6] = xstrdup(or_dash(r->steward));
        row[7] = xstrdup(or_dash(r->project_name));
    }
    table_print(&t);
    table_clear(&t);
}

static void
print_list_json(const pm_list_t *l)
{
    json_t *a = json_array();
    char *text;

    for (size_t i = 0; i < l->n; i++) {
        const pm_listrow_t *r = &l->rows[i];
        json_t *o = entryfmt_procstatus_json(&r->ps);
        json_object_set_new(o, "project", json_string(or_dash(r->project)));
        if (!util_empty(r->project_name))
            json_object_set_new(o, "project_name", json_string(r->project_name));
        if (!util_empty(r->region))
            json_object_set_new(o, "region", json_string(r->region));
        if (!util_empty(r->steward))
            json_object_set_new(o, "steward", json_string(r->steward));
        json_array_append_new(a, o);
    }
    text = entryfmt_dump(a);
    puts(text);
    free(text);
    json_decref(a);
}

static const struct option overdue_options[] = {
    {"colour", required_argument, NULL, 'c'},
    {"color", required_argument, NULL, 'c'},
    {"dept", required_argument, NULL, 'd'},
    {"region", required_argument, NULL, 'r'},
    {"project", required_argument, NULL, 'p'},
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0},
};

/* `overdue` and `blocked`: one list request, two ways of showing it. */
static int
list_command(ctl_t *ctl, int argc, char **argv, const char *name, bool blocked)
{
    pm_msg_t *req = pm_msg_new(PM_MSG_LIST_REQ), *rep = NULL;
    pm_listreq_t *q = xcalloc(1, sizeof(*q));
    bool json = false;
    int c, rc;

    req->listreq = q;
    q->blocked = blocked;
    while ((c = getopt_long(argc, argv, ":", overdue_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (blocked || (strcmp(optarg, "red") != 0 && strcmp(optarg, "yellow") != 0)) {
                pm_msg_destroy(&req);
                return ctl_usage("%s: --colour is red or yellow, for overdue only", name);
            }
            xstrset(&q->colour, optarg);
            break;
        case 'd':
            xstrset(&q->dept, optarg);
            break;
        case 'r':
            xstrset(&q->region, optarg);
            break;
        case 'p':
            xstrset(&q->project, optarg);
            break;
        case 'j':
            json = true;
            break;
        default:
            pm_msg_destroy(&req);
            return ctl_bad_option(name, c, argv);
        }
    }
    if (optind < argc) {
        pm_msg_destroy(&req);
        return ctl_usage("%s: unexpected argument '%s'", name, argv[optind]);
    }
    rc = ctl_request(ctl, ctl->query, req, &rep);
    if (rc != 0)
        goto done;
    if (rep->type == PM_MSG_REPLY && rep->reply != NULL && !rep->reply->ok) {
        rc = ctl_refused(rep->reply);
        goto done;
    }
    if (rep->type != PM_MSG_LIST || rep->list == NULL) {
        ctl_warnx("unexpected answer from %s (message type %d)", ctl->query, (int)rep->type);
        rc = EXIT_FAILURE;
        goto done;
    }
    if (json)
        print_list_json(rep->list);
    else if (blocked)
        print_blocked_readable(rep->list);
    else
        print_list_readable(rep->list);
    if (fflush(stdout) == EOF) {
        ctl_warnx("stdout: write failed");
        rc = EXIT_FAILURE;
    }

done:
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}

int
cmd_overdue(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    return list_command(ctl, argc, argv, "overdue", false);
}

int
cmd_blocked(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    return list_command(ctl, argc, argv, "blocked", true);
}
