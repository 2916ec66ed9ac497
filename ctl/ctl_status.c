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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "entryfmt.h"
#include "i18n.h"
#include "termsafe.h"
#include "textcol.h"
#include "util.h"
#include "zone.h"

/* The table's width: the terminal's (or 80), or no limit with --wide. */
static int
table_width(bool wide)
{
    return wide ? 0 : textcol_columns(stdout);
}

/* A row's colour on a terminal: red and yellow stand out, the rest stays plain. */
static textcol_hue_t
colour_hue(pm_colour_t c, bool paused)
{
    if (paused)
        return TEXTCOL_PLAIN;
    return c == PM_COLOUR_RED      ? TEXTCOL_RED
           : c == PM_COLOUR_YELLOW ? TEXTCOL_YELLOW
                                   : TEXTCOL_PLAIN;
}

/* One line of the header, made safe for the terminal, cut to the table's width. */
static void
print_line(int width, char *line)
{
    char *safe, *fit;

    safe = termsafe_dup(line);
    fit = width > 0 ? textcol_fit(safe, width) : xstrdup(safe);
    puts(fit);
    free(fit);
    free(safe);
    free(line);
}

/* A label padded to 10 display columns (a Chinese label is two columns a character). */
static char *
label_pad(const char *label)
{
    int w = textcol_width(label);
    return xasprintf("%s%*s", label, w < 10 ? 10 - w : 1, "");
}

static const char *
or_dash(const char *s)
{
    return util_empty(s) ? "-" : s;
}

/* "CODE (DEPT, state, hard), ...", or NULL when nothing blocks it. */
static char *
blocked_by(const pm_procstatus_t *ps)
{
    strv_t parts = {0};
    char *joined;

    if (ps->nblockers == 0)
        return NULL;
    for (size_t i = 0; i < ps->nblockers; i++) {
        const pm_blocker_t *b = &ps->blockers[i];
        char *part = xasprintf(_("%s (%s, %s, %s)"), b->code, or_dash(b->dept),
                               pm_state_label(b->state, i18n_lang()),
                               b->parallel ? _("parallel") : _("hard"));
        strv_push(&parts, part);
        free(part);
    }
    joined = strv_join(&parts, _(", "));
    strv_clear(&parts);
    return joined;
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

/*
 * "red, 2 wd over", "yellow, 1 wd left", "paused", or "-" when no clock runs; `narrow`, the
 * short form of a table that must fit: "red 2d over" (红 超2日).
 */
static char *
colour_text(pm_colour_t colour, int32_t days, bool paused, bool narrow)
{
    const char *label = pm_colour_label(colour, i18n_lang());

    if (paused)
        return xstrdup(_("paused"));
    if (narrow) {
        switch (colour) {
        case PM_COLOUR_RED:
            return xasprintf(_("red %dd over"), days);
        case PM_COLOUR_YELLOW:
            return xasprintf(_("yellow %dd left"), days);
        case PM_COLOUR_GREEN:
            return xasprintf(_("green %dd left"), days);
        default:
            return xstrdup("-");
        }
    }
    switch (colour) {
    case PM_COLOUR_RED:
        return xasprintf(_("%s, %d wd over"), label, days);
    case PM_COLOUR_YELLOW:
    case PM_COLOUR_GREEN:
        return xasprintf(_("%s, %d wd left"), label, days);
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
        s = xasprintf(_("%s (statutory %s)%s"), d, st, ps->provisional ? "?" : "");
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

    if (ps->commitment_ms == 0) {
        s = blocked != NULL ? xasprintf(_("blocked by: %s"), blocked) : NULL;
        free(blocked);
        return s;
    }
    {
        char *due = last_day(ps->commitment_ms);
        char *commit = xasprintf(_("commitment: %s by %s"), or_dash(ps->missing), due);
        char *by = blocked != NULL ? xasprintf(_("blocked by: %s"), blocked) : NULL;
        s = by != NULL ? xasprintf(_("%s; %s"), by, commit) : xstrdup(commit);
        free(by);
        free(commit);
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

/* "label     value", the label translated, when there is a value. */
static void
print_field(int width, const char *label, const char *value)
{
    char *pad;

    if (util_empty(value))
        return;
    pad = label_pad(label);
    print_line(width, xasprintf("%s%s", pad, value));
    free(pad);
}

/*
 * "push A first; N working days still needed on the longest chain: A → B → C": what to do
 * first, as a cut line keeps its start. The chain is the critical procedures in template
 * order, which is a topological order of the prerequisites.
 */
static char *
critical_line(const pm_status_t *st)
{
    strv_t codes = {0};
    char *joined, *s;

    for (size_t i = 0; i < st->nprocs; i++)
        if (st->procs[i].critical)
            strv_push(&codes, st->procs[i].code);
    if (codes.n == 0)
        return xasprintf(_("%d working days still needed on the longest chain"), st->critical_days);
    joined = strv_join(&codes, " → ");
    s = xasprintf(_("push %s first; %d working days still needed on the longest chain: %s"),
                  codes.v[0], st->critical_days, joined);
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

/* The time of a procedure's last change: "2026-03-13 09:00+08:00", narrow "03-13 09:00". */
static char *
since_text(int64_t ms, bool narrow)
{
    char when[64];

    if (ms == 0)
        return xstrdup("-");
    zone_format_minute(ms, when, sizeof(when));
    /* The year and offset are the same on every row of a screen; --wide shows them. */
    return narrow && strlen(when) >= 16 ? xstrndup(when + 5, 11) : xstrdup(when);
}

/* A procedure's limit in working days, the promised one first when shorter: "5/10 wd";
 * narrow "5/10d" (5/10日), the unit said once under the table. */
static char *
limit_text(const pm_procstatus_t *ps, bool narrow)
{
    if (ps->promised_days != 0 && ps->promised_days != ps->limit_days)
        return narrow ? xasprintf(_("%u/%ud"), ps->promised_days, ps->limit_days)
                      : xasprintf(_("%u/%u wd"), ps->promised_days, ps->limit_days);
    return narrow ? xasprintf(_("%ud"), ps->limit_days) : xasprintf(_("%u wd"), ps->limit_days);
}

static void
print_readable(const pm_status_t *st, bool wide, bool colour)
{
    static const char *const heading[] = {
        N_("CODE"),     N_("PROCEDURE"), N_("DEPT"), N_("STATE"), N_("LIMIT"),
        N_("DEADLINE"), N_("COLOUR"),    N_("CERT"), N_("SINCE"), "",
    };
    const char *names[ARRAY_LEN(heading)];
    const pm_project_t *p = st->project;
    pm_lang_t lang = i18n_lang();
    int width = table_width(wide);
    size_t done = count_done(st);
    textcol_table_t *t = textcol_table_new(ARRAY_LEN(heading), 6);
    char **row, *tmpl, *pad;
    char *milestones;
    size_t dropped;

    pad = label_pad(_("project"));
    print_line(width, xasprintf("%s%s  %s", pad, or_dash(p->id), or_dash(p->name)));
    free(pad);
    print_field(width, _("region"), p->region);
    print_field(width, _("industry"), p->industry);
    print_field(width, _("company"), p->company);
    print_field(width, _("steward"), p->steward);
    print_field(width, _("leader"), p->leader);
    tmpl = p->template_version != 0
               ? xasprintf("%s v%u", or_dash(p->template_name), p->template_version)
               : xstrdup(or_dash(p->template_name));
    print_field(width, _("template"), tmpl);
    free(tmpl);
    {
        char *line =
            xasprintf(_("%zu of %zu procedures approved or not required (%.0f%%)"), done,
                      st->nprocs, st->nprocs ? 100.0 * (double)done / (double)st->nprocs : 0.0);
        print_field(width, _("done"), line);
        free(line);
    }
    if (st->critical_days > 0) {
        char *line = critical_line(st);
        print_field(width, _("critical"), line);
        free(line);
    }
    if (st->due_ms != 0) {
        char *due = last_day(st->due_ms), *c = colour_text(st->colour, st->days, false, false);
        char *line = xasprintf(_("all approvals by %s (%s)"), due,
                               st->colour == PM_COLOUR_NONE ? _("done") : c);
        print_field(width, _("due"), line);
        free(line);
        free(due);
        free(c);
    }
    putchar('\n');

    for (size_t c = 0; c < ARRAY_LEN(heading); c++)
        names[c] = util_empty(heading[c]) ? "" : _(heading[c]);
    textcol_heading(t, names);
    /* Too wide: the last change goes first, then the certificate (--wide shows them); then
     * the procedure's name gives way. The code, department, state, limit, deadline and colour
     * are what a row is read for: they stay whole as long as the name can give way. */
    textcol_ranks(t, (const int[]){9, 0, 9, 9, 9, 9, 9, 1, 1, 0});
    textcol_optional(t, (const int[]){0, 0, 0, 0, 0, 0, 0, 2, 1, 0});
    for (size_t i = 0; i < st->nprocs; i++) {
        const pm_procstatus_t *ps = &st->procs[i];
        row = textcol_row(t, colour_hue(ps->colour, ps->paused));
        row[0] = xasprintf("%s%s", or_dash(ps->code), ps->critical ? " *" : "");
        row[1] = util_empty(ps->group) ? xstrdup(or_dash(ps->name))
                                       : xasprintf("%s [%s]", or_dash(ps->name), ps->group);
        row[2] = xstrdup(or_dash(ps->dept));
        /* An open 容缺 commitment outlives the accepted_deficient state. */
        row[3] = ps->deficient && ps->state != PM_STATE_DEFICIENT
                     ? xasprintf(_("%s (commitment open)"), pm_state_label(ps->state, lang))
                     : xstrdup(pm_state_label(ps->state, lang));
        row[4] = limit_text(ps, !wide);
        row[5] = deadline_text(ps);
        row[6] = colour_text(ps->colour, ps->days, ps->paused, !wide);
        row[7] = xstrdup(or_dash(ps->cert));
        /* Minutes are enough to see how long something has waited. */
        row[8] = since_text(ps->updated_ms, !wide);
        /* Narrow, the notes go under the table, a line each: they are what to act on. */
        if (wide)
            row[9] = notes_text(ps);
    }
    dropped = textcol_print(t, stdout, width, colour);
    textcol_table_destroy(&t);
    for (size_t i = 0; !wide && i < st->nprocs; i++) {
        char *notes = notes_text(&st->procs[i]);
        if (notes != NULL)
            print_line(width, xasprintf("%s  %s", or_dash(st->procs[i].code), notes));
        free(notes);
    }

    milestones = strv_join(&st->milestones, _(", "));
    putchar('\n');
    print_line(width, xasprintf(_("milestones reached: %s"),
                                st->milestones.n > 0 ? milestones : _("none")));
    if (st->critical_days > 0)
        print_line(width, xstrdup(_("* on the critical path")));
    if (!wide)
        print_line(width, xstrdup(dropped > 0 ? _("d: working days; --wide shows every column")
                                              : _("d: working days")));
    if (has_provisional(st))
        print_line(width, xstrdup(_("? provisional: the count reaches a year whose calendar is not "
                                    "loaded yet")));
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
    {"wide", no_argument, NULL, 'w'},
    {NULL, 0, NULL, 0},
};

int
cmd_status(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    pm_msg_t *req = NULL, *rep = NULL;
    const char *project;
    bool json = false, wide = false;
    int c, rc;

    while ((c = getopt_long(argc, argv, ":", status_options, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'w':
            wide = true;
            break;
        default:
            return ctl_bad_option("status", c, argv);
        }
    }
    if (optind >= argc)
        return ctl_usage(_("status: which project? (permitctl status PROJECT)"));
    if (optind + 1 < argc)
        return ctl_usage(_("%s: unexpected argument '%s'"), "status", argv[optind + 1]);
    project = argv[optind];
    if (util_empty(project) || !util_utf8_valid(project, strlen(project)))
        return ctl_usage(_("status: bad project id"));

    req = pm_msg_new(PM_MSG_STATUS_REQ);
    req->status_project = xstrdup(project);
    rc = ctl_request(ctl, ctl->query, req, &rep);
    if (rc != 0)
        goto done;
    if (rep->type == PM_MSG_REPLY && rep->reply != NULL && !rep->reply->ok) {
        /* An unknown project is an answer, not a refusal: say it plainly. */
        if (util_strcmp0(rep->reply->code, PM_REFUSE_UNKNOWN_PROJECT) == 0) {
            ctl_warnx("%s: %s", pm_refuse_label(PM_REFUSE_UNKNOWN_PROJECT, i18n_lang()), project);
            rc = EX_DATAERR;
        } else {
            rc = ctl_refused(rep->reply);
        }
        goto done;
    }
    if (rep->type != PM_MSG_STATUS || rep->status == NULL || rep->status->project == NULL) {
        ctl_warnx(_("unexpected answer from %s (message type %d)"), ctl->query, (int)rep->type);
        rc = EXIT_FAILURE;
        goto done;
    }
    if (json)
        print_json(rep->status);
    else
        print_readable(rep->status, wide, textcol_colour(stdout));
    if (fflush(stdout) == EOF) {
        ctl_warnx(_("stdout: write failed"));
        rc = EXIT_FAILURE;
    }

done:
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}

static void
print_blocked_readable(const pm_list_t *l, bool wide)
{
    static const char *const heading[] = {
        N_("PROJECT"), N_("PROCEDURE"), N_("DEPT"), N_("REGION"), N_("STEWARD"), N_("WAITING FOR"),
    };
    const char *names[ARRAY_LEN(heading)];
    textcol_table_t *t;
    char **row;

    if (l->n == 0) {
        printf("%s\n", _("nothing blocked"));
        return;
    }
    t = textcol_table_new(ARRAY_LEN(heading), -1);
    for (size_t c = 0; c < ARRAY_LEN(heading); c++)
        names[c] = _(heading[c]);
    textcol_heading(t, names);
    /* Too wide: the region goes (--wide shows it), then what it waits for gives way, then
     * the steward; the project and the procedure's code stay whole. Narrow, the procedure is
     * its code, as in status: the names are for --wide. */
    textcol_ranks(t, (const int[]){9, 9, 9, 9, 3, 0});
    textcol_optional(t, (const int[]){0, 0, 0, 1, 0, 0});
    for (size_t i = 0; i < l->n; i++) {
        const pm_listrow_t *r = &l->rows[i];
        char *by = blocked_by(&r->ps);
        row = textcol_row(t, TEXTCOL_PLAIN);
        row[0] = xstrdup(or_dash(r->project));
        row[1] = wide ? xasprintf("%s %s", or_dash(r->ps.code), or_dash(r->ps.name))
                      : xstrdup(or_dash(r->ps.code));
        row[2] = xstrdup(or_dash(r->ps.dept));
        row[3] = xstrdup(or_dash(r->region));
        row[4] = xstrdup(or_dash(r->steward));
        row[5] = by != NULL ? by : xstrdup("-");
    }
    if (textcol_print(t, stdout, table_width(wide), false) > 0)
        printf("\n%s\n", _("--wide shows every column"));
    textcol_table_destroy(&t);
}

static void
print_list_readable(const pm_list_t *l, bool wide, bool colour)
{
    static const char *const heading[] = {
        N_("COLOUR"),   N_("PROJECT"), N_("PROCEDURE"), N_("DEPT"),
        N_("DEADLINE"), N_("REGION"),  N_("STEWARD"),   N_("NAME"),
    };
    const char *names[ARRAY_LEN(heading)];
    textcol_table_t *t;
    char **row;
    size_t dropped;

    if (l->n == 0) {
        printf("%s\n", _("nothing red or yellow"));
        return;
    }
    t = textcol_table_new(ARRAY_LEN(heading), 0);
    for (size_t c = 0; c < ARRAY_LEN(heading); c++)
        names[c] = _(heading[c]);
    textcol_heading(t, names);
    /* Too wide: the project's name goes first, then the region (--wide shows them); then the
     * procedure's name gives way. The colour, project, department, deadline and steward (the
     * one to call) stay whole. */
    textcol_ranks(t, (const int[]){9, 9, 0, 9, 9, 9, 9, 0});
    textcol_optional(t, (const int[]){0, 0, 0, 0, 0, 2, 0, 1});
    for (size_t i = 0; i < l->n; i++) {
        const pm_listrow_t *r = &l->rows[i];
        row = textcol_row(t, colour_hue(r->ps.colour, r->ps.paused));
        row[0] = colour_text(r->ps.colour, r->ps.days, r->ps.paused, !wide);
        row[1] = xstrdup(or_dash(r->project));
        row[2] = xasprintf("%s %s", or_dash(r->ps.code), or_dash(r->ps.name));
        row[3] = xstrdup(or_dash(r->ps.dept));
        row[4] = deadline_text(&r->ps);
        row[5] = xstrdup(or_dash(r->region));
        row[6] = xstrdup(or_dash(r->steward));
        row[7] = xstrdup(or_dash(r->project_name));
    }
    dropped = textcol_print(t, stdout, table_width(wide), colour);
    textcol_table_destroy(&t);
    if (!wide)
        printf("\n%s\n", dropped > 0 ? _("d: working days; --wide shows every column")
                                     : _("d: working days"));
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
    {"colour", required_argument, NULL, 'c'},  {"color", required_argument, NULL, 'c'},
    {"dept", required_argument, NULL, 'd'},    {"region", required_argument, NULL, 'r'},
    {"project", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
    {"wide", no_argument, NULL, 'w'},          {NULL, 0, NULL, 0},
};

/* `overdue` and `blocked`: one list request, two ways of showing it. */
static int
list_command(ctl_t *ctl, int argc, char **argv, const char *name, bool blocked)
{
    pm_msg_t *req = pm_msg_new(PM_MSG_LIST_REQ), *rep = NULL;
    pm_listreq_t *q = xcalloc(1, sizeof(*q));
    bool json = false, wide = false;
    int c, rc;

    req->listreq = q;
    q->blocked = blocked;
    while ((c = getopt_long(argc, argv, ":", overdue_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (blocked || (strcmp(optarg, "red") != 0 && strcmp(optarg, "yellow") != 0)) {
                pm_msg_destroy(&req);
                return ctl_usage(_("%s: --colour is red or yellow, for overdue only"), name);
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
        case 'w':
            wide = true;
            break;
        default:
            pm_msg_destroy(&req);
            return ctl_bad_option(name, c, argv);
        }
    }
    if (optind < argc) {
        pm_msg_destroy(&req);
        return ctl_usage(_("%s: unexpected argument '%s'"), name, argv[optind]);
    }
    rc = ctl_request(ctl, ctl->query, req, &rep);
    if (rc != 0)
        goto done;
    if (rep->type == PM_MSG_REPLY && rep->reply != NULL && !rep->reply->ok) {
        rc = ctl_refused(rep->reply);
        goto done;
    }
    if (rep->type != PM_MSG_LIST || rep->list == NULL) {
        ctl_warnx(_("unexpected answer from %s (message type %d)"), ctl->query, (int)rep->type);
        rc = EXIT_FAILURE;
        goto done;
    }
    if (json)
        print_list_json(rep->list);
    else if (blocked)
        print_blocked_readable(rep->list, wide);
    else
        print_list_readable(rep->list, wide, textcol_colour(stdout));
    if (fflush(stdout) == EOF) {
        ctl_warnx(_("stdout: write failed"));
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
