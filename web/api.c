/*
 * api: see api.h.
 */
#include "api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryfmt.h"
#include "log.h"
#include "util.h"
#include "wjson.h"
#include "zone.h"

/*
 * Requests to the broker from a page wait this long at most, once, and the loop waits with
 * them; after one went unanswered, pages get their error at once for ASK_PAUSE_MS, so a broker
 * that is away stalls the streams for at most ASK_TIMEOUT_MS in every ASK_PAUSE_MS.
 */
#define ASK_TIMEOUT_MS 1000
#define ASK_PAUSE_MS 5000
/* The ticker: entries of the last hour, at most this many. */
#define TICKER_MS (3600 * 1000)
#define TICKER_MAX 100
/* The longest-overdue list on the board. */
#define OVERDUE_TOP 10
/* /api/entries answers at most this many per page. */
#define ENTRIES_MAX 1000

typedef struct board_cache {
    uint64_t head;
    int64_t made_ms;
    char *text;
} board_cache_t;

struct api {
    const views_t *views;
    client_t *query;
    const wcfg_t *cfg;
    board_cache_t cache[PM_LANG__COUNT];
    uint64_t broker_head;
    size_t streams;
    uint64_t resets;
    uint64_t broker_errors;
    int64_t ask_again_ms; /* monotonic: no request to the broker before this */
};

api_t *
api_new(const views_t *views, client_t *query, const wcfg_t *cfg)
{
    api_t *self = xcalloc(1, sizeof(*self));

    self->views = views;
    self->query = query;
    self->cfg = cfg;
    return self;
}

void
api_destroy(api_t **p)
{
    api_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    for (int i = 0; i < PM_LANG__COUNT; i++)
        free(self->cache[i].text);
    free(self);
    *p = NULL;
}

void
api_note_broker_head(api_t *self, uint64_t head)
{
    self->broker_head = head;
}

void
api_note_stream_count(api_t *self, size_t streams, uint64_t resets)
{
    self->streams = streams;
    self->resets = resets;
}

static pm_lang_t
lang_of(const http_req_t *r)
{
    return http_req_english(r) ? PM_LANG_EN : PM_LANG_ZH;
}

static int
reply_json(http_req_t *r, unsigned status, json_t *doc)
{
    char *text = wjson_dump(doc);

    json_decref(doc);
    return http_reply_take(r, status, "application/json; charset=utf-8", text, strlen(text));
}

static int
reply_problem(http_req_t *r, unsigned status, const char *why)
{
    json_t *doc = json_object();

    json_object_set_new(doc, "error", json_string(why));
    return reply_json(r, status, doc);
}

/* One decimal of a percentage; null when there is nothing to count. */
static json_t *
pct(uint64_t num, uint64_t den)
{
    if (den == 0)
        return json_null();
    return json_real((double)((num * 1000 + den / 2) / den) / 10.0);
}

/* The words of one language for every state, colour and kind, so the pages label alike. */
static json_t *
labels(pm_lang_t lang)
{
    json_t *o = json_object(), *s = json_object(), *c = json_object(), *k = json_object();

    for (int i = 0; i < PM_STATE__COUNT; i++)
        json_object_set_new(s, pm_state_name(i), json_string(pm_state_label(i, lang)));
    for (int i = 0; i < PM_COLOUR__COUNT; i++)
        json_object_set_new(c, pm_colour_name(i), json_string(pm_colour_label(i, lang)));
    for (int i = 0; i < PM_KIND__COUNT; i++)
        json_object_set_new(k, pm_kind_name(i), json_string(pm_kind_label(i, lang)));
    json_object_set_new(o, "states", s);
    json_object_set_new(o, "colours", c);
    json_object_set_new(o, "kinds", k);
    return o;
}

/* Ask the broker once; NULL with why on no answer or a refusal. Caller owns the answer. */
static pm_msg_t *
ask(api_t *self, const pm_msg_t *req, pm_msg_type_t want, char *why, size_t whylen)
{
    pm_msg_t *rep = NULL;
    client_status_t cs;

    if (util_mono_ms() < self->ask_again_ms) {
        snprintf(why, whylen, "the broker did not answer a moment ago; try again in a few seconds");
        self->broker_errors++;
        return NULL;
    }
    cs = client_request(self->query, req, ASK_TIMEOUT_MS, 1, &rep, why, whylen);
    if (cs != CLIENT_OK) {
        if (cs == CLIENT_UNREACHABLE)
            self->ask_again_ms = util_mono_ms() + ASK_PAUSE_MS;
        self->broker_errors++;
        return NULL;
    }
    if (rep->type == PM_MSG_REPLY && rep->reply != NULL && !rep->reply->ok) {
        snprintf(why, whylen, "%s: %s", rep->reply->code ? rep->reply->code : "refused",
                 rep->reply->reason ? rep->reply->reason : "");
        pm_msg_destroy(&rep);
        return NULL;
    }
    if (rep->type != want) {
        snprintf(why, whylen, "unexpected answer (message type %d)", (int)rep->type);
        pm_msg_destroy(&rep);
        return NULL;
    }
    return rep;
}

static pm_msg_t *
ask_list(api_t *self, bool blocked, const char *colour, const char *dept, const char *region,
         const char *project, char *why, size_t whylen)
{
    pm_msg_t *req = pm_msg_new(PM_MSG_LIST_REQ), *rep;

    req->listreq = xcalloc(1, sizeof(*req->listreq));
    req->listreq->blocked = blocked;
    req->listreq->colour = util_empty(colour) ? NULL : xstrdup(colour);
    req->listreq->dept = util_empty(dept) ? NULL : xstrdup(dept);
    req->listreq->region = util_empty(region) ? NULL : xstrdup(region);
    req->listreq->project = util_empty(project) ? NULL : xstrdup(project);
    rep = ask(self, req, PM_MSG_LIST, why, whylen);
    pm_msg_destroy(&req);
    if (rep != NULL && rep->list == NULL) {
        snprintf(why, whylen, "an empty list answer");
        pm_msg_destroy(&rep);
    }
    return rep;
}

/* A department's name for people, "" when the row names no department. */
static const char *
dept_name(const api_t *self, const char *code)
{
    const char *name = views_dept_name(self->views, code);

    return name != NULL ? name : "";
}

/* One row of a list, with the names people read added. */
static json_t *
row_json(const api_t *self, const pm_listrow_t *row, pm_lang_t lang)
{
    json_t *o = entryfmt_procstatus_json(&row->ps);

    json_object_set_new(o, "project", json_string(row->project ? row->project : ""));
    json_object_set_new(o, "project_name", json_string(row->project_name ? row->project_name : ""));
    json_object_set_new(o, "region", json_string(row->region ? row->region : ""));
    json_object_set_new(o, "steward", json_string(row->steward ? row->steward : ""));
    json_object_set_new(o, "dept_name", json_string(dept_name(self, row->ps.dept)));
    json_object_set_new(o, "state_label", json_string(pm_state_label(row->ps.state, lang)));
    json_object_set_new(o, "colour_label", json_string(pm_colour_label(row->ps.colour, lang)));
    return o;
}

static int
days_desc(const void *a, const void *b)
{
    const pm_listrow_t *x = a, *y = b;

    if (x->ps.colour != y->ps.colour)
        return x->ps.colour == PM_COLOUR_RED ? -1 : 1;
    return x->ps.days > y->ps.days ? -1 : x->ps.days < y->ps.days;
}

typedef struct tally {
    uint64_t procs, done, projects, projects_done;
} tally_t;

static void
tally_add(json_t *map, const char *key, const tally_t *t)
{
    json_t *o = json_object_get(map, key);

    if (o == NULL) {
        o = json_pack("{sIsIsIsI}", "procedures", (json_int_t)0, "done", (json_int_t)0, "projects",
                      (json_int_t)0, "projects_done", (json_int_t)0);
        json_object_set_new(map, key, o);
    }
    json_object_set_new(
        o, "procedures",
        json_integer(json_integer_value(json_object_get(o, "procedures")) + (json_int_t)t->procs));
    json_object_set_new(
        o, "done",
        json_integer(json_integer_value(json_object_get(o, "done")) + (json_int_t)t->done));
    json_object_set_new(
        o, "projects",
        json_integer(json_integer_value(json_object_get(o, "projects")) + (json_int_t)t->projects));
    json_object_set_new(o, "projects_done",
                        json_integer(json_integer_value(json_object_get(o, "projects_done")) +
                                     (json_int_t)t->projects_done));
}

/* {KEY: tally} -> [{key, name, procedures, done, rate, ...}] sorted by rate, lowest first. */
static json_t *
tally_rows(const api_t *self, json_t *map, bool depts)
{
    json_t *rows = json_array(), *v;
    const char *key;

    json_object_foreach(map, key, v)
    {
        uint64_t procs = (uint64_t)json_integer_value(json_object_get(v, "procedures"));
        uint64_t done = (uint64_t)json_integer_value(json_object_get(v, "done"));
        uint64_t pr = (uint64_t)json_integer_value(json_object_get(v, "projects"));
        uint64_t prd = (uint64_t)json_integer_value(json_object_get(v, "projects_done"));
        json_t *o = json_deep_copy(v);
        json_object_set_new(o, "key", json_string(key));
        json_object_set_new(o, "name",
                            json_string(depts ? views_dept_name(self->views, key) : key));
        json_object_set_new(o, "rate", pct(done, procs));
        if (!depts)
            json_object_set_new(o, "project_rate", pct(prd, pr));
        else {
            json_object_del(o, "projects");
            json_object_del(o, "projects_done");
        }
        json_array_append_new(rows, o);
    }
    return rows;
}

/* The longest overdue for the board: the broker's red rows, most working days over first. */
static json_t *
board_overdue(api_t *self, pm_lang_t lang, json_t *doc)
{
    char why[256];
    pm_msg_t *rep = ask_list(self, false, "red", NULL, NULL, NULL, why, sizeof(why));
    json_t *a = json_array();

    if (rep == NULL) {
        json_object_set_new(doc, "overdue_error", json_string(why));
        return a;
    }
    if (rep->list->n > 1)
        qsort(rep->list->rows, rep->list->n, sizeof(*rep->list->rows), days_desc);
    for (size_t i = 0; i < rep->list->n && i < OVERDUE_TOP; i++)
        json_array_append_new(a, row_json(self, &rep->list->rows[i], lang));
    pm_msg_destroy(&rep);
    return a;
}

static json_t *
entry_of(const ventry_t *e)
{
    json_t *j = json_loads(e->json, JSON_DECODE_ANY, NULL);

    return j != NULL ? j : json_null();
}

/*
 * What every page's document carries: its language and labels, the head it reflects, and the
 * jurisdiction's zone (name and offset now), so the browser shows times in it with the offset,
 * wherever the browser is.
 */
static void
page_meta(const api_t *self, json_t *doc, pm_lang_t lang)
{
    json_object_set_new(doc, "lang", json_string(lang == PM_LANG_EN ? "en" : "zh"));
    json_object_set_new(doc, "head", json_integer((json_int_t)views_head(self->views)));
    json_object_set_new(doc, "labels", labels(lang));
    json_object_set_new(doc, "time_zone", json_string(zone_name()));
    json_object_set_new(doc, "utc_offset_s", json_integer(zone_offset_at(util_now_ms())));
}

static json_t *
board(api_t *self, pm_lang_t lang)
{
    const views_t *v = self->views;
    json_t *doc = json_object(), *regions = json_object(), *depts = json_object();
    uint64_t pc[PM_COLOUR__COUNT] = {0}, prc[PM_COLOUR__COUNT] = {0};
    tally_t all = {0};
    json_t *recent = json_array(), *colours;
    int64_t now = util_now_ms();
    size_t n = views_nentries(v), from;

    for (size_t i = 0; i < views_nprojects(v); i++) {
        const vproject_t *p = views_project(v, i);
        tally_t t = {0, 0, 1, 0};
        bool open = false;
        for (size_t k = 0; k < p->t->nprocs; k++) {
            const vproc_t *q = &p->procs[k];
            tally_t d = {1, pm_state_done(q->state) ? 1 : 0, 0, 0};
            t.procs++;
            t.done += d.done;
            open = open || !d.done;
            if (views_running(q->state))
                pc[q->colour]++;
            tally_add(depts, q->type->dept ? q->type->dept : "", &d);
        }
        t.projects_done = open ? 0 : 1;
        if (open)
            prc[views_project_colour(p)]++;
        tally_add(regions, p->info.region ? p->info.region : "", &t);
        all.procs += t.procs;
        all.done += t.done;
        all.projects++;
        all.projects_done += t.projects_done;
    }
    page_meta(self, doc, lang);
    json_object_set_new(doc, "now_ms", json_integer(now));
    json_object_set_new(doc, "target_pct", json_integer(self->cfg->target_pct));
    json_object_set_new(doc, "totals",
                        json_pack("{sIsIsosIsIso}", "procedures", (json_int_t)all.procs, "done",
                                  (json_int_t)all.done, "rate", pct(all.done, all.procs),
                                  "projects", (json_int_t)all.projects, "projects_done",
                                  (json_int_t)all.projects_done, "project_rate",
                                  pct(all.projects_done, all.projects)));
    json_object_set_new(doc, "by_region", tally_rows(self, regions, false));
    json_object_set_new(doc, "by_department", tally_rows(self, depts, true));
    json_decref(regions);
    json_decref(depts);
    colours = json_object();
    for (int c = PM_COLOUR_GREEN; c < PM_COLOUR__COUNT; c++)
        json_object_set_new(
            colours, pm_colour_name(c),
            json_pack("{sIsI}", "procedures", (json_int_t)pc[c], "projects", (json_int_t)prc[c]));
    json_object_set_new(doc, "colours", colours);
    json_object_set_new(doc, "overdue", board_overdue(self, lang, doc));
    from = n > TICKER_MAX ? n - TICKER_MAX : 0;
    for (size_t i = from; i < n; i++) {
        const ventry_t *e = views_entry(v, i);
        if (e->recv_ms >= now - TICKER_MS)
            json_array_append_new(recent, entry_of(e));
    }
    json_object_set_new(doc, "recent", recent);
    return doc;
}

static int
api_board(void *arg, http_req_t *r)
{
    api_t *self = arg;
    pm_lang_t lang = lang_of(r);
    board_cache_t *c = &self->cache[lang];
    int64_t now = util_mono_ms();

    /* Every open page asks after each entry: one build per head (and per few seconds, for the
     * ticker's hour and the broker's clock) serves them all. */
    if (c->text == NULL || c->head != views_head(self->views) || now - c->made_ms > 5000) {
        json_t *doc = board(self, lang);
        free(c->text);
        c->text = wjson_dump(doc);
        json_decref(doc);
        c->head = views_head(self->views);
        c->made_ms = now;
    }
    return http_reply(r, 200, "application/json; charset=utf-8", c->text, strlen(c->text));
}

static bool
code_ok(const char *s)
{
    return s != NULL && pm_code_valid(s) && util_utf8_valid(s, strlen(s));
}

/*
 * A red procedure's alert, for the ack button of a signed-in account: "alert_seq" (the colour
 * entry that turned it red) and "ack_seq" (its alert_ack entry's, 0 while unacknowledged).
 */
static void
alert_of(const api_t *self, const vproject_t *vp, const pm_procstatus_t *ps, json_t *o)
{
    const ventry_t *e;

    for (size_t i = 0; i < vp->t->nprocs; i++) {
        const vproc_t *v = &vp->procs[i];
        if (strcmp(vp->t->procs[i].code, ps->code) != 0 || v->colour != PM_COLOUR_RED ||
            v->colour_seq == 0)
            continue;
        e = views_find(self->views, v->colour_seq);
        json_object_set_new(o, "alert_seq", json_integer((json_int_t)v->colour_seq));
        json_object_set_new(o, "ack_seq", json_integer(e != NULL ? (json_int_t)e->ack_seq : 0));
    }
}

static int
api_project(void *arg, http_req_t *r)
{
    api_t *self = arg;
    const char *id = http_req_rest(r);
    const vproject_t *vp = views_project_find(self->views, id);
    pm_lang_t lang = lang_of(r);
    pm_msg_t *req, *rep;
    json_t *doc, *procs, *edges, *history, *commitments;
    char why[256];

    if (!code_ok(id) || vp == NULL)
        return reply_problem(r, 404, "no such project");
    req = pm_msg_new(PM_MSG_STATUS_REQ);
    req->status_project = xstrdup(id);
    rep = ask(self, req, PM_MSG_STATUS, why, sizeof(why));
    pm_msg_destroy(&req);
    if (rep == NULL || rep->status == NULL) {
        pm_msg_destroy(&rep);
        return reply_problem(r, 503, why);
    }
    doc = json_object();
    page_meta(self, doc, lang);
    json_object_set_new(doc, "project", entryfmt_project_json(&vp->info));
    json_object_set_new(doc, "colour", json_string(pm_colour_name(rep->status->colour)));
    json_object_set_new(doc, "critical_days", json_integer(rep->status->critical_days));
    procs = json_array();
    commitments = json_array();
    for (size_t i = 0; i < rep->status->nprocs; i++) {
        const pm_procstatus_t *ps = &rep->status->procs[i];
        json_t *o = entryfmt_procstatus_json(ps);
        json_object_set_new(o, "dept_name", json_string(dept_name(self, ps->dept)));
        json_object_set_new(o, "state_label", json_string(pm_state_label(ps->state, lang)));
        json_object_set_new(o, "colour_label", json_string(pm_colour_label(ps->colour, lang)));
        alert_of(self, vp, ps, o);
        if (ps->deficient || ps->commitment_ms != 0)
            json_array_append(commitments, o);
        json_array_append_new(procs, o);
    }
    json_object_set_new(doc, "procedures", procs);
    json_object_set_new(doc, "commitments", commitments);
    edges = json_array();
    for (size_t i = 0; i < vp->t->nedges; i++)
        json_array_append_new(edges,
                              json_pack("{sssssb}", "from", vp->t->edges[i].from, "to",
                                        vp->t->edges[i].to, "parallel", vp->t->edges[i].parallel));
    json_object_set_new(doc, "edges", edges);
    history = json_array();
    for (size_t i = 0; i < views_nentries(self->views); i++) {
        const ventry_t *e = views_entry(self->views, i);
        if (e->project != NULL && strcmp(e->project, id) == 0)
            json_array_append_new(history, entry_of(e));
    }
    json_object_set_new(doc, "history", history);
    pm_msg_destroy(&rep);
    return reply_json(r, 200, doc);
}

/* /api/blocked and /api/overdue: the list with permitctl's filters. */
static int
list_reply(api_t *self, http_req_t *r, bool blocked)
{
    const char *colour = http_req_arg(r, "colour"), *dept = http_req_arg(r, "dept");
    const char *region = http_req_arg(r, "region"), *project = http_req_arg(r, "project");
    pm_lang_t lang = lang_of(r);
    char why[256];
    pm_msg_t *rep;
    json_t *doc, *rows;

    if (!util_empty(colour) && strcmp(colour, "red") != 0 && strcmp(colour, "yellow") != 0)
        return reply_problem(r, 400, "colour is red or yellow");
    if ((!util_empty(dept) && !code_ok(dept)) || (!util_empty(project) && !code_ok(project)) ||
        (region != NULL && !util_utf8_valid(region, strlen(region))))
        return reply_problem(r, 400, "a filter is not a valid code");
    rep = ask_list(self, blocked, blocked ? NULL : colour, dept, region, project, why, sizeof(why));
    if (rep == NULL)
        return reply_problem(r, 503, why);
    if (!blocked)
        if (rep->list->n > 1)
            qsort(rep->list->rows, rep->list->n, sizeof(*rep->list->rows), days_desc);
    doc = json_object();
    rows = json_array();
    for (size_t i = 0; i < rep->list->n; i++)
        json_array_append_new(rows, row_json(self, &rep->list->rows[i], lang));
    page_meta(self, doc, lang);
    json_object_set_new(doc, "rows", rows);
    pm_msg_destroy(&rep);
    return reply_json(r, 200, doc);
}

static int
api_blocked(void *arg, http_req_t *r)
{
    return list_reply(arg, r, true);
}

static int
api_overdue(void *arg, http_req_t *r)
{
    return list_reply(arg, r, false);
}

static bool
held_up_by(const pm_listrow_t *row, const char *dept)
{
    for (size_t i = 0; i < row->ps.nblockers; i++)
        if (util_strcmp0(row->ps.blockers[i].dept, dept) == 0)
            return true;
    return false;
}

static int
api_department(void *arg, http_req_t *r)
{
    api_t *self = arg;
    const char *code = http_req_rest(r);
    pm_lang_t lang = lang_of(r);
    json_t *doc, *open, *waits, *holds, *overdue;
    pm_msg_t *bl, *od;
    char why[256];
    bool known = false;

    for (size_t i = 0; i < views_ndepts(self->views); i++)
        known = known || strcmp(views_dept(self->views, i)->code, code) == 0;
    if (!code_ok(code) || !known)
        return reply_problem(r, 404, "no such department");
    bl = ask_list(self, true, NULL, NULL, NULL, NULL, why, sizeof(why));
    od = bl != NULL ? ask_list(self, false, NULL, code, NULL, NULL, why, sizeof(why)) : NULL;
    if (od == NULL) {
        pm_msg_destroy(&bl);
        return reply_problem(r, 503, why);
    }
    doc = json_object();
    open = json_array();
    for (size_t i = 0; i < views_nprojects(self->views); i++) {
        const vproject_t *p = views_project(self->views, i);
        for (size_t k = 0; k < p->t->nprocs; k++) {
            const vproc_t *q = &p->procs[k];
            if (util_strcmp0(q->type->dept, code) != 0 ||
                !(views_running(q->state) || q->state == PM_STATE_READY))
                continue;
            json_array_append_new(open, json_pack("{ssssssssssssss}", "project", p->info.id,
                                                  "project_name", p->info.name ? p->info.name : "",
                                                  "procedure", q->type->code, "procedure_name",
                                                  q->type->name ? q->type->name : "", "state",
                                                  pm_state_name(q->state), "state_label",
                                                  pm_state_label(q->state, lang), "colour",
                                                  pm_colour_name(q->colour)));
        }
    }
    waits = json_array();
    holds = json_array();
    for (size_t i = 0; i < bl->list->n; i++) {
        const pm_listrow_t *row = &bl->list->rows[i];
        if (util_strcmp0(row->ps.dept, code) == 0)
            json_array_append_new(waits, row_json(self, row, lang));
        else if (held_up_by(row, code))
            json_array_append_new(holds, row_json(self, row, lang));
    }
    if (od->list->n > 1)
        qsort(od->list->rows, od->list->n, sizeof(*od->list->rows), days_desc);
    overdue = json_array();
    for (size_t i = 0; i < od->list->n; i++)
        json_array_append_new(overdue, row_json(self, &od->list->rows[i], lang));
    page_meta(self, doc, lang);
    json_object_set_new(doc, "code", json_string(code));
    json_object_set_new(doc, "name", json_string(views_dept_name(self->views, code)));
    json_object_set_new(doc, "open", open);
    json_object_set_new(doc, "waits_for", waits);
    json_object_set_new(doc, "holds_up", holds);
    json_object_set_new(doc, "overdue", overdue);
    pm_msg_destroy(&bl);
    pm_msg_destroy(&od);
    return reply_json(r, 200, doc);
}

static int
api_entries(void *arg, http_req_t *r)
{
    api_t *self = arg;
    const char *a = http_req_arg(r, "after"), *l = http_req_arg(r, "limit");
    unsigned long long after = 0, limit = 100;
    size_t n = views_nentries(self->views), i;
    json_t *doc = json_object(), *entries = json_array();
    char *end;

    if (a != NULL) {
        errno = 0;
        after = strtoull(a, &end, 10);
        if (errno != 0 || *end != '\0' || *a < '0' || *a > '9') {
            json_decref(doc);
            json_decref(entries);
            return reply_problem(r, 400, "after is a sequence number");
        }
    }
    if (l != NULL) {
        limit = strtoull(l, &end, 10);
        if (*end != '\0' || *l < '0' || *l > '9' || limit == 0)
            limit = 100;
        if (limit > ENTRIES_MAX)
            limit = ENTRIES_MAX;
    }
    i = views_after(self->views, after);
    /* Older than what memory holds: say where the held part starts, the client asks the
     * broker (permitctl tail) for the rest. */
    json_object_set_new(doc, "first",
                        json_integer(n > 0 ? (json_int_t)views_entry(self->views, 0)->seq : 0));
    for (; i < n && json_array_size(entries) < limit; i++)
        json_array_append_new(entries, entry_of(views_entry(self->views, i)));
    json_object_set_new(doc, "head", json_integer((json_int_t)views_head(self->views)));
    json_object_set_new(doc, "more", json_boolean(i < n));
    json_object_set_new(doc, "entries", entries);
    return reply_json(r, 200, doc);
}

/* A label value for the exposition format: backslash, quote and newline escaped. */
static void
label_value(FILE *f, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* Add a project's counts by colour to its region's: {REGION: [n by colour]}. */
static void
region_add(json_t *regions, const char *region, const uint64_t *by)
{
    json_t *a = json_object_get(regions, region != NULL ? region : "");

    if (a == NULL) {
        a = json_array();
        for (int c = 0; c < PM_COLOUR__COUNT; c++)
            json_array_append_new(a, json_integer(0));
        json_object_set_new(regions, region != NULL ? region : "", a);
    }
    for (int c = 0; c < PM_COLOUR__COUNT; c++)
        json_array_set_new(
            a, (size_t)c,
            json_integer(json_integer_value(json_array_get(a, (size_t)c)) + (json_int_t)by[c]));
}

static int
metrics(void *arg, http_req_t *r)
{
    api_t *self = arg;
    const views_t *v = self->views;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    uint64_t pc[PM_COLOUR__COUNT] = {0}, prc[PM_COLOUR__COUNT] = {0}, procs = 0, done = 0;
    json_t *regions = json_object(), *counts;
    const char *region;

    if (f == NULL) {
        json_decref(regions);
        return http_reply_error(r, 500, "out of memory");
    }
    fprintf(f,
            "# HELP permit_log_head The highest log sequence number permit-web has folded.\n"
            "# TYPE permit_log_head gauge\npermit_log_head %" PRIu64 "\n",
            views_head(v));
    fprintf(f, "# HELP permit_entries_total Log entries folded, by kind.\n"
               "# TYPE permit_entries_total counter\n");
    for (int k = 0; k < PM_KIND__COUNT; k++)
        fprintf(f, "permit_entries_total{kind=\"%s\"} %" PRIu64 "\n", pm_kind_name(k),
                views_kind_count(v, k));
    fprintf(f, "# HELP permit_procedures Procedures with a running clock, by colour and region "
               "(colour \"none\": no clock runs).\n# TYPE permit_procedures gauge\n");
    for (size_t i = 0; i < views_nprojects(v); i++) {
        const vproject_t *p = views_project(v, i);
        uint64_t by[PM_COLOUR__COUNT] = {0};
        for (size_t k = 0; k < p->t->nprocs; k++) {
            const vproc_t *q = &p->procs[k];
            pm_colour_t c = views_running(q->state) ? q->colour : PM_COLOUR_NONE;
            by[c]++;
            pc[c]++;
            procs++;
            done += pm_state_done(q->state);
        }
        prc[views_project_colour(p)]++;
        region_add(regions, p->info.region, by);
    }
    json_object_foreach(regions, region, counts)
    {
        for (int c = 0; c < PM_COLOUR__COUNT; c++) {
            fprintf(f, "permit_procedures{colour=\"%s\",region=\"", pm_colour_name(c));
            label_value(f, region);
            fprintf(f, "\"} %" JSON_INTEGER_FORMAT "\n",
                    json_integer_value(json_array_get(counts, (size_t)c)));
        }
    }
    json_decref(regions);
    fprintf(f, "# HELP permit_procedures_by_colour Procedures by colour, all projects.\n"
               "# TYPE permit_procedures_by_colour gauge\n");
    for (int c = 0; c < PM_COLOUR__COUNT; c++)
        fprintf(f, "permit_procedures_by_colour{colour=\"%s\"} %" PRIu64 "\n", pm_colour_name(c),
                pc[c]);
    fprintf(f, "# HELP permit_projects Projects by the colour of their due date (none: done).\n"
               "# TYPE permit_projects gauge\n");
    for (int c = 0; c < PM_COLOUR__COUNT; c++)
        fprintf(f, "permit_projects{colour=\"%s\"} %" PRIu64 "\n", pm_colour_name(c), prc[c]);
    fprintf(f,
            "# HELP permit_completion_ratio Procedures approved or not required, of all "
            "listed.\n# TYPE permit_completion_ratio gauge\npermit_completion_ratio %.4f\n",
            procs ? (double)done / (double)procs : 0.0);
    fprintf(f,
            "# HELP permit_completion_target_ratio The completion rate the board aims at.\n"
            "# TYPE permit_completion_target_ratio gauge\n"
            "permit_completion_target_ratio %.2f\n",
            self->cfg->target_pct / 100.0);
    fprintf(f,
            "# HELP permit_broker_log_head The broker's log head, as its last page or heartbeat "
            "said.\n# TYPE permit_broker_log_head gauge\npermit_broker_log_head %" PRIu64 "\n",
            self->broker_head);
    fprintf(
        f,
        "# HELP permit_follow_lag_entries Entries the broker holds that permit-web has not "
        "folded yet.\n# TYPE permit_follow_lag_entries gauge\npermit_follow_lag_entries %" PRIu64
        "\n",
        self->broker_head > views_head(v) ? self->broker_head - views_head(v) : 0);
    fprintf(f,
            "# HELP permit_web_streams Open live streams (/events).\n"
            "# TYPE permit_web_streams gauge\npermit_web_streams %zu\n",
            self->streams);
    fprintf(f,
            "# HELP permit_web_stream_resets_total Streams that resumed from before the "
            "entries held in memory.\n# TYPE permit_web_stream_resets_total counter\n"
            "permit_web_stream_resets_total %" PRIu64 "\n",
            self->resets);
    fprintf(f,
            "# HELP permit_web_broker_errors_total Page requests the broker did not answer.\n"
            "# TYPE permit_web_broker_errors_total counter\n"
            "permit_web_broker_errors_total %" PRIu64 "\n",
            self->broker_errors);
    if (fclose(f) != 0) {
        free(text);
        return http_reply_error(r, 500, "out of memory");
    }
    return http_reply_take(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

void
api_routes(api_t *self, http_t *http)
{
    http_route(http, "GET", "/api/board", HTTP_EXACT, api_board, self);
    http_route(http, "GET", "/api/project/", HTTP_PREFIX, api_project, self);
    http_route(http, "GET", "/api/department/", HTTP_PREFIX, api_department, self);
    http_route(http, "GET", "/api/blocked", HTTP_EXACT, api_blocked, self);
    http_route(http, "GET", "/api/overdue", HTTP_EXACT, api_overdue, self);
    http_route(http, "GET", "/api/entries", HTTP_EXACT, api_entries, self);
    http_route(http, "GET", "/metrics", HTTP_EXACT, metrics, self);
}
