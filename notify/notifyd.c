/*
 * notifyd: see notifyd.h.
 */
#include "notifyd.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "acktoken.h"
#include "chan_cmd.h"
#include "chan_http.h"
#include "client.h"
#include "channel.h"
#include "directory.h"
#include "entryfmt.h"
#include "follow.h"
#include "i18n.h"
#include "log.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "ntmpl.h"
#include "queue.h"
#include "routes.h"
#include "util.h"
#include "zone.h"

/* Attempts in flight at once, over all destinations (one at a time per destination). */
#define SEND_CAP 64
/*
 * While attempts are in flight the loop comes round at least this often (poll_transfers
 * waits on the broker's socket and the transfers' sockets at once), and this long at most
 * while curl names no socket to wait on.
 */
#define SLICE_MS 5
/* The most addresses one contact has (one per channel). */
#define MAX_ADDRS CHAN__COUNT

/* The robots' cap on one markdown message, in bytes of the request body (WeCom: 4,096 for the
 * content; DingTalk about 20,000): a digest past it goes out in parts. */
#define WECOM_MAX_BYTES 4096
#define DINGTALK_MAX_BYTES 20000
/* DingTalk throttles a robot that went past its rate for 10 minutes (10 windows). */
#define DINGTALK_THROTTLE_WINDOWS 10

/*
 * One robot's recent sends: the finish times of the last pace_limit attempts (a ring). A robot
 * counts messages over a sliding minute, so a token bucket that refills continuously would let
 * up to twice the limit into one of its windows; a window of send times never exceeds it.
 */
typedef struct pace {
    char *dest;
    int64_t *t;
    int n, head, cap;
    int64_t blocked_until; /* the robot answered "too fast": nothing before then */
} pace_t;

struct notifyd {
    const ncfg_t *cfg; /* borrowed */
    bool zone_warned;  /* the broker names another zone than ours: said once */
    nq_t *q;
    follow_t *follow;
    routes_t *routes;
    ntmpl_t *tmpl;
    strv_t digest_kinds;
    chan_pool_t *pool;
    nq_item_t *inflight; /* the records whose attempt is in the pool */
    size_t n_inflight;
    pace_t *paces;
    size_t n_paces;
    bool failed;            /* a database error inside the follower's callback */
    void *zctx;             /* borrowed */
    client_t *ack_client;   /* to the broker's ingest socket, for the acks of webhook replies */
    int64_t ack_retry_at;   /* the broker did not answer: try the next ack no sooner */
    bool ack_links;         /* ack_url_base is set: red alerts carry an ack link */
    acktoken_key_t ack_key; /* the links' key (ack_key_file) */
};

int64_t
notifyd_backoff(int attempts, int min_ms, int max_ms)
{
    int64_t d = min_ms;

    for (int i = 0; i < attempts && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    /* Full jitter on the upper half: receivers that came back are not hit by a herd. */
    return d / 2 + (int64_t)(random() % (d / 2 + 1));
}

static void
set_str(json_t *o, const char *k, const char *v)
{
    if (!util_empty(v))
        json_object_set_new(o, k, json_string(v));
}

static void
set_int(json_t *o, const char *k, long long v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", v);
    json_object_set_new(o, k, json_string(buf));
}

/* A day as people write it: the date of the last millisecond before `ms`. */
static void
set_date(json_t *o, const char *k, int64_t ms)
{
    time_t t = (time_t)((ms - 1) / 1000);
    struct tm tm;
    char buf[16];

    if (ms <= 0)
        return;
    localtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    json_object_set_new(o, k, json_string(buf));
}

json_t *
notifyd_vars(const pm_entry_t *e, const dir_info_t *info)
{
    json_t *v = json_object();
    char tbuf[64];

    set_int(v, "seq", (long long)e->seq);
    set_str(v, "kind", pm_kind_name(e->kind));
    set_str(v, "time", util_format_time(e->recv_ms, false, tbuf, sizeof(tbuf)));
    set_str(v, "project", e->project);
    set_str(v, "procedure", e->procedure);
    set_str(v, "dept", e->dept);
    set_str(v, "project_name", e->project_name);
    set_str(v, "procedure_name", e->procedure_name);
    set_str(v, "steward", e->steward);
    if (e->limit_days > 0)
        set_int(v, "limit", e->limit_days);
    if (e->kind == PM_KIND_COLOUR || e->kind == PM_KIND_PROJECT_COLOUR ||
        e->kind == PM_KIND_COMMITMENT_DUE || e->kind == PM_KIND_COMMITMENT_BREACHED)
        set_int(v, "days", e->days);
    set_date(v, "deadline", e->deadline_ms);
    if (e->colour != PM_COLOUR_NONE)
        set_str(v, "colour", pm_colour_name(e->colour));
    set_str(v, "milestone", e->milestone);
    set_str(v, "milestone_name", e->milestone_name);
    set_str(v, "cert", e->cert);
    set_str(v, "note", e->note);
    set_str(v, "missing", e->missing);
    set_date(v, "due", e->due_ms);
    if (e->cause > 0)
        set_int(v, "cause", (long long)e->cause);
    if (info != NULL) {
        /* The entry's own copy wins: it is what the broker knew when it logged it. */
        if (util_empty(e->project_name))
            set_str(v, "project_name", info->project_name);
        if (util_empty(e->steward))
            set_str(v, "steward", info->steward);
        set_str(v, "region", info->region);
        set_str(v, "leader", info->leader);
        set_str(v, "dept_name", info->dept_name);
    }
    return v;
}

static const char *
lookup_var(void *arg, const char *name)
{
    return json_string_value(json_object_get(arg, name));
}

static const char *
var(json_t *vars, const char *name)
{
    return json_string_value(json_object_get(vars, name));
}

/*
 * The local time at which the digest period that contains `at` ends: periods are aligned to
 * local midnight, so a daily digest closes at 00:00 and goes out with the working day's start.
 */
static int64_t
period_end(int64_t at, int64_t period)
{
    time_t t = (time_t)(at / 1000);
    struct tm tm;
    int64_t off;

    localtime_r(&t, &tm);
    off = (int64_t)tm.tm_gmtoff * 1000;
    return ((at + off) / period + 1) * period - off;
}

/*
 * The entry decides its period, by the time the broker logged it, not the time we happen to
 * route it: entries of one broker commit (one clock tick) share recv_ms, so they land in one
 * digest even when we route them either side of a period's end, and a digest is never split at
 * midnight by our own lag. A period that already ended (catching up after downtime) is due at
 * once. An entry without recv_ms falls back to the time we route it.
 */
int64_t
notifyd_digest_end(int64_t recv_ms, int64_t now, int64_t period)
{
    return period_end(recv_ms > 0 ? recv_ms : now, period);
}

/* The next working day's start hour after a non-working `now`; now when today is working. */
static int64_t
next_working_ms(notifyd_t *self, int64_t now)
{
    time_t t = (time_t)(now / 1000);

    for (int i = 0; i < 60; i++, t += 86400) {
        struct tm tm;
        char date[16];
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        if (dir_is_workday(nq_db(self->q), date, tm.tm_wday)) {
            if (i == 0)
                return now;
            tm.tm_hour = self->cfg->work_start_hour;
            tm.tm_min = tm.tm_sec = 0;
            return (int64_t)mktime(&tm) * 1000;
        }
    }
    return now; /* two months off: the calendar is wrong, don't hold anything for ever */
}

/* Red items and breaches go out on any day and are escalated. */
static bool
route_urgent(const char *route)
{
    return strcmp(route, "colour.red") == 0 || strcmp(route, "commitment_breached") == 0 ||
           strcmp(route, "project_colour.red") == 0 || strcmp(route, "escalation") == 0;
}

/* Reminders about an item's clock: inhibited while a prerequisite of it is rejected. */
static bool
route_reminder(const char *route)
{
    return strncmp(route, "colour.", 7) == 0 || strcmp(route, "commitment_due") == 0;
}

/*
 * The document a webhook receives and a command reads; also kept for history. An e-mail's
 * record keeps its HTML body here too ("html"), rendered with values escaped for HTML.
 */
static char *
make_payload(const nq_item_t *it, json_t *vars, json_t *extra, const char *html)
{
    json_t *doc = json_object();
    char *out;

    json_object_set_new(doc, "schema", json_string("permit-notify/1"));
    json_object_set_new(doc, "key", json_string(it->idem));
    json_object_set_new(doc, "seq", json_integer((json_int_t)it->seq));
    json_object_set_new(doc, "route", json_string(it->route));
    json_object_set_new(doc, "recipient", json_string(it->recipient));
    json_object_set_new(doc, "channel", json_string(it->chan));
    json_object_set_new(doc, "title", json_string(it->title));
    json_object_set_new(doc, "text", json_string(it->text));
    if (vars != NULL)
        json_object_set(doc, "vars", vars);
    if (extra != NULL)
        json_object_update(doc, extra);
    if (html != NULL)
        json_object_set_new(doc, "html", json_string(html));
    out = entryfmt_dump(doc);
    json_decref(doc);
    return out;
}

/*
 * The addresses of a contact, from the routing file, else (for a department) the contact the
 * department registered with the broker when it is an e-mail address or a webhook URL.
 */
static size_t
contact_addrs(notifyd_t *self, const char *name, const char *dept_contact, route_addr_t *out)
{
    size_t n = routes_contact(self->routes, name, out, MAX_ADDRS);
    const char *why = NULL;

    if (n > 0 || strncmp(name, "dept:", 5) != 0 || util_empty(dept_contact))
        return n;
    /* Registered with the broker by a department (an e-mail address, a URL, or a phone number
     * we cannot use): checked as the routing file's are. */
    if (strncmp(dept_contact, "http://", 7) == 0 || strncmp(dept_contact, "https://", 8) == 0)
        out[0].chan = CHAN_WEBHOOK;
    else if (strchr(dept_contact, '@') != NULL)
        out[0].chan = CHAN_EMAIL;
    else
        return 0;
    out[0].addr = dept_contact;
    if (routes_check_addr(out[0].chan, dept_contact, &why) == 0)
        return 1;
    log_warnx(_("the contact of %s is not used: %s"), name, why);
    return 0;
}

/* What one notification to one recipient is: shared by entries and escalations. */
typedef struct notice {
    uint64_t seq;
    const char *route;    /* route key */
    const char *tmpl_key; /* the template to render */
    const char *project, *procedure;
    const char *idem_suffix; /* "" or "-e1" (escalation steps) */
    const char *state;       /* pending, held, inhibited */
    int64_t next_ms;
    const char *note; /* kept as the record's last_error (why inhibited, ...) */
    json_t *vars;     /* borrowed; "recipient" is set per recipient */
    json_t *extra;    /* borrowed: more payload fields, or NULL */
} notice_t;

/*
 * An idempotency key: "<seq>-<recipient>" with the recipient percent-encoded as jq's @uri does
 * (only A-Z a-z 0-9 - _ . ~ kept), so it is plain ASCII and fits an HTTP header and a
 * Message-ID. Caller owns.
 */
static char *
make_key(uint64_t seq, const char *name, const char *suffix)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(name);
    char *enc = xmalloc(len * 3 + 1), *p = enc, *out;

    for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
            *c == '-' || *c == '_' || *c == '.' || *c == '~') {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    out = xasprintf("%llu-%s%s", (unsigned long long)seq, enc, suffix);
    free(enc);
    return out;
}

/*
 * How values are escaped for a channel (ntmpl.h): markdown for the robots and for the webhook
 * and command documents (whose "text" is markdown, often forwarded to a robot), with @ too
 * where it may reach DingTalk; plain text for e-mail.
 */
static ntmpl_esc_t
chan_esc(chan_kind_t k)
{
    switch (k) {
    case CHAN_WECOM:
        return NTMPL_ESC_MARKDOWN;
    case CHAN_EMAIL:
        return NTMPL_ESC_TEXT;
    default:
        return NTMPL_ESC_MARKDOWN_AT;
    }
}

/*
 * The ack link of a red alert, breach or escalation for one recipient: BASE/ack/TOKEN, the token
 * signed for (seq, recipient, expiry) (common/acktoken.h), so the tap acknowledges this alert
 * as this person and nothing else. NULL when links are off, for other routes, or for a
 * recipient too long for a token. Caller owns.
 */
static char *
ack_link(notifyd_t *self, const notice_t *n, const char *name)
{
    const char *base = self->cfg->ack_url_base;
    size_t blen = strlen(base);
    char *token, *url;

    /* Every red notice asks to be acknowledged; the ones escalated stop when it is. */
    if (!self->ack_links || !route_urgent(n->route))
        return NULL;
    token = acktoken_make(&self->ack_key, n->seq, name,
                          util_now_ms() + (int64_t)self->cfg->ack_expiry_ms);
    if (token == NULL) {
        log_warnx("seq %llu: no ack link for '%s' (a name longer than %d bytes)",
                  (unsigned long long)n->seq, name, ACKTOKEN_RECIPIENT_MAX);
        return NULL;
    }
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    url = xasprintf("%.*s/ack/%s", (int)blen, base, token);
    free(token);
    return url;
}

/*
 * Put the ack link at the end of a rendered text, in the channel's markup. The link is ours
 * (ncfg_ack_base_valid, base64url tokens): it needs no escaping in any of them, and is added
 * after the values were escaped, which would have disarmed its "://". Caller owns the result;
 * text is freed.
 */
static char *
with_ack_link(char *text, const char *url, ntmpl_esc_t esc)
{
    char *out;

    if (url == NULL || text == NULL)
        return text;
    if (esc == NTMPL_ESC_HTML)
        out = xasprintf("%s\n\n<a href=\"%s\">确认收到（点此）</a>", text, url);
    else if (esc == NTMPL_ESC_TEXT)
        out = xasprintf("%s\n\n确认收到（点此链接）：%s", text, url);
    else
        out = xasprintf("%s\n\n[确认收到（点此）](%s)", text, url);
    free(text);
    return out;
}

/* Record one notice for one recipient: one record per address, or one unroutable record. */
static int
enqueue_one(notifyd_t *self, const notice_t *n, const char *name, const char *dept_contact)
{
    route_addr_t addrs[MAX_ADDRS];
    size_t na = contact_addrs(self, name, dept_contact, addrs);
    const char *ttitle = "{project_name} {route}", *tbody = "{project} {procedure} {kind}";
    int64_t now = util_now_ms();
    char *idem = make_key(n->seq, name, n->idem_suffix), *html = NULL;
    char *ack_url = ack_link(self, n, name);
    int rc = 0;

    json_object_set_new(n->vars, "recipient", json_string(name));
    /* The payload's vars carry the link too (a webhook may make a button of it). */
    if (ack_url != NULL)
        json_object_set_new(n->vars, "ack_url", json_string(ack_url));
    else
        json_object_del(n->vars, "ack_url");
    json_object_set_new(n->vars, "route", json_string(n->route));
    if (ntmpl_get(self->tmpl, n->tmpl_key, &ttitle, &tbody) < 0)
        log_warnx(_("no template for %s (and no default.tmpl): using a bare one"), n->tmpl_key);
    for (size_t i = 0; i < (na > 0 ? na : 1) && rc == 0; i++) {
        nq_item_t it = {0};
        it.seq = n->seq;
        it.route = (char *)n->route;
        it.project = (char *)n->project;
        it.procedure = (char *)n->procedure;
        it.recipient = (char *)name;
        it.chan = (char *)(na > 0 ? chan_name(addrs[i].chan) : "-");
        it.addr = (char *)(na > 0 ? addrs[i].addr : "");
        it.idem = idem;
        ntmpl_esc_t esc = chan_esc(na > 0 ? addrs[i].chan : CHAN_WEBHOOK);
        it.title = ntmpl_render(ttitle, lookup_var, n->vars, esc);
        it.text = with_ack_link(ntmpl_render(tbody, lookup_var, n->vars, esc), ack_url, esc);
        it.state = (char *)(na > 0 ? n->state : "unroutable");
        it.next_ms = n->next_ms;
        it.last_error = (char *)(na > 0 ? n->note : _("no contact or address in the routing file"));
        it.created_ms = now;
        it.urgent = route_urgent(n->route);
        /* E-mail has an HTML part beside the text: values escaped for HTML there. */
        html = na > 0 && addrs[i].chan == CHAN_EMAIL
                   ? with_ack_link(ntmpl_render(tbody, lookup_var, n->vars, NTMPL_ESC_HTML),
                                   ack_url, NTMPL_ESC_HTML)
                   : NULL;
        it.payload = make_payload(&it, n->vars, n->extra, html);
        rc = nq_add(self->q, &it);
        if (na == 0)
            log_warnx(_("seq %llu: %s for %s: no address for '%s'"), (unsigned long long)n->seq,
                      n->route, n->project != NULL ? n->project : "-", name);
        free(it.title);
        free(it.text);
        free(it.payload);
        free(html);
    }
    json_object_del(n->vars, "ack_url"); /* the stored alert's vars never keep one */
    free(ack_url);
    free(idem);
    return rc;
}

/* Record a notice for every recipient a list of tokens resolves to, each name once. */
static int
enqueue_tokens(notifyd_t *self, const notice_t *n, const strv_t *tokens, const route_ctx_t *ctx,
               const char *dept_contact)
{
    strv_t seen = {0};
    int rc = 0;

    for (size_t i = 0; i < tokens->n && rc == 0; i++) {
        char *name = routes_resolve(tokens->v[i], ctx);
        if (name == NULL) {
            log_debug("seq %llu: no %s for %s", (unsigned long long)n->seq, tokens->v[i],
                      n->project != NULL ? n->project : "-");
        } else if (!strv_contains(&seen, name)) {
            strv_push(&seen, name);
            rc = enqueue_one(self, n, name, dept_contact);
        }
        free(name);
    }
    strv_clear(&seen);
    return rc;
}

/* Open or close red items for escalation as the entry says. */
static int
track_alert(notifyd_t *self, const pm_entry_t *e, const char *route, json_t *vars)
{
    if (strcmp(route, "colour.red") == 0 || strcmp(route, "commitment_breached") == 0) {
        nq_alert_t a = {0};
        char *v;
        int rc;
        if (self->cfg->escalate_ms <= 0 || routes_ladder(self->routes)->n < 2)
            return 0;
        v = entryfmt_dump(vars);
        a.seq = e->seq;
        a.project = e->project;
        a.procedure = e->procedure;
        a.dept = e->dept;
        a.vars = v;
        a.next_ms = util_now_ms() + self->cfg->escalate_ms;
        rc = nq_alert_add(self->q, &a);
        free(v);
        return rc;
    }
    if ((e->kind == PM_KIND_COLOUR && e->colour != PM_COLOUR_RED) || e->kind == PM_KIND_APPROVED ||
        e->kind == PM_KIND_NOT_REQUIRED || e->kind == PM_KIND_WITHDRAWN ||
        e->kind == PM_KIND_COMMITMENT_FULFILLED)
        return nq_alert_resolve(self->q, e->project, e->procedure);
    return 0;
}

/* Route one entry: the records for its recipients, held, inhibited or pending. */
static int
route_entry(notifyd_t *self, const pm_entry_t *e)
{
    char route[64];
    const strv_t *tokens;
    dir_info_t info;
    route_ctx_t ctx;
    notice_t n = {0};
    char *rejected = NULL, *note = NULL;
    json_t *vars;
    int rc = -1;

    routes_key(pm_kind_name(e->kind),
               e->kind == PM_KIND_COLOUR || e->kind == PM_KIND_PROJECT_COLOUR
                   ? pm_colour_name(e->colour)
                   : NULL,
               route, sizeof(route));
    if (dir_lookup(nq_db(self->q), e->project, e->dept, &info) < 0)
        return -1;
    vars = notifyd_vars(e, &info);
    if (track_alert(self, e, route, vars) < 0)
        goto fail;
    tokens = routes_lookup(self->routes, route, info.region, e->dept);
    if (tokens == NULL || tokens->n == 0) {
        rc = 0;
        goto fail;
    }
    ctx.steward = var(vars, "steward");
    ctx.leader = info.leader;
    ctx.dept = e->dept;
    n.seq = e->seq;
    n.route = route;
    n.tmpl_key = route;
    n.project = e->project;
    n.procedure = e->procedure;
    n.idem_suffix = "";
    n.state = "pending";
    n.vars = vars;
    if (route_reminder(route) && e->project != NULL && e->procedure != NULL &&
        dir_prereq_rejected(nq_db(self->q), e->project, e->procedure, &rejected) == 1) {
        n.state = "inhibited";
        note = xasprintf(_("inhibited: prerequisite %s is rejected"), rejected);
        n.note = note;
    } else if (strv_contains(&self->digest_kinds, route)) {
        n.state = "held";
        n.next_ms = notifyd_digest_end(e->recv_ms, util_now_ms(), self->cfg->digest_ms);
    }
    rc = enqueue_tokens(self, &n, tokens, &ctx, info.dept_contact);
fail:
    free(note);
    free(rejected);
    json_decref(vars);
    dir_info_clear(&info);
    return rc;
}

/*
 * The follower's callback, once per log entry in order. Everything an entry causes and the
 * cursor past it go into the open transaction, committed by the loop after the step.
 */
static int
on_entry(void *arg, const pm_entry_t *e)
{
    notifyd_t *self = arg;

    if (nq_begin(self->q) < 0 || dir_apply(nq_db(self->q), e) < 0)
        goto fail;
    /* Every ack comes this way, from the web link or `permit-notify ack`: the log says it. */
    if (e->kind == PM_KIND_ALERT_ACK) {
        int rc = nq_ack(self->q, e->cause, e->recipient, util_now_ms());
        if (rc < 0)
            goto fail;
        if (rc == 1)
            log_info("seq %llu acknowledged by %s (%s, logged at seq %llu): no more escalation",
                     (unsigned long long)e->cause, e->recipient ? e->recipient : "-",
                     e->via ? e->via : "-", (unsigned long long)e->seq);
    }
    /* Administrative entries only teach the directory; everything else may be routed. */
    if (e->kind != PM_KIND_DEPARTMENT && e->kind != PM_KIND_TEMPLATE &&
        e->kind != PM_KIND_PROJECT && e->kind != PM_KIND_CALENDAR && e->kind != PM_KIND_ALERT_ACK &&
        route_entry(self, e) < 0)
        goto fail;
    if (nq_set_cursor(self->q, e->seq) < 0)
        goto fail;
    return 0;
fail:
    self->failed = true;
    return -1;
}

static bool
chan_is_robot(const char *chan)
{
    return strcmp(chan, "wecom") == 0 || strcmp(chan, "dingtalk") == 0;
}

/* A robot's pace, created on first use; NULL when pacing is off or it is no robot. */
static pace_t *
pace_of(notifyd_t *self, const char *chan, const char *dest)
{
    int limit = self->cfg->pace_limit;
    pace_t *p;

    if (limit <= 0 || !chan_is_robot(chan))
        return NULL;
    for (size_t i = 0; i < self->n_paces; i++) {
        p = &self->paces[i];
        if (strcmp(p->dest, dest) != 0)
            continue;
        if (p->cap != limit) { /* reloaded with another limit: start counting afresh */
            free(p->t);
            p->t = xcalloc((size_t)limit, sizeof(*p->t));
            p->cap = limit;
            p->n = p->head = 0;
        }
        return p;
    }
    self->paces = xgrow(self->paces, self->n_paces, sizeof(*self->paces));
    p = &self->paces[self->n_paces++];
    memset(p, 0, sizeof(*p));
    p->dest = xstrdup(dest);
    p->cap = limit;
    p->t = xcalloc((size_t)limit, sizeof(*p->t));
    return p;
}

/* When the robot may take its next message. */
static int64_t
pace_next(const notifyd_t *self, const pace_t *p, int64_t now)
{
    int64_t at = now;

    if (p->n >= p->cap)
        at = p->t[p->head] + self->cfg->pace_window_ms;
    return at > p->blocked_until ? at : p->blocked_until;
}

/* The robot received a message (it answered, whatever it said). */
static void
pace_note(pace_t *p, int64_t now)
{
    p->t[p->head] = now;
    p->head = (p->head + 1) % p->cap;
    if (p->n < p->cap)
        p->n++;
}

/* Record the outcome of one attempt of `it`. */
static void
record(notifyd_t *self, const nq_item_t *it, chan_rc_t rc, const char *err, const char *acked_by)
{
    const ncfg_t *cfg = self->cfg;
    int64_t now = util_now_ms();

    if (rc == CHAN_WAIT) {
        char *dest = chan_dest(it->chan, it->addr);
        pace_t *p = pace_of(self, it->chan, dest);
        int64_t w = cfg->pace_window_ms, next = now + w;
        if (strcmp(it->chan, "dingtalk") == 0)
            next = now + w * DINGTALK_THROTTLE_WINDOWS;
        if (p != NULL)
            p->blocked_until = next;
        log_warnx(_("seq %llu %s to %s over %s: %s: waiting %lld ms (not counted as an attempt)"),
                  (unsigned long long)it->seq, it->route, it->recipient, it->chan, err,
                  (long long)(next - now));
        nq_mark_wait(self->q, it->id, err, next);
        free(dest);
        return;
    }
    if (rc == CHAN_OK) {
        log_info(_("sent seq %llu %s to %s over %s"), (unsigned long long)it->seq, it->route,
                 it->recipient, it->chan);
        nq_mark_sent(self->q, it->id, now);
        /* Acknowledged in the receiver's reply: a red item stops escalating, as with `ack`. */
        if (acked_by != NULL && nq_ack(self->q, it->seq, acked_by, now) == 1) {
            log_info(_("seq %llu acknowledged by %s in its webhook's reply"),
                     (unsigned long long)it->seq, acked_by);
            if (nq_ack_out_add(self->q, it->seq, acked_by, now) < 0)
                log_warnx("seq %llu: the ack of %s is not queued for the log",
                          (unsigned long long)it->seq, acked_by);
        }
    } else {
        bool dead = it->attempts + 1 >= cfg->max_attempts;
        int64_t next =
            now + notifyd_backoff(it->attempts, cfg->backoff_min_ms, cfg->backoff_max_ms);
        log_warnx(_("seq %llu %s to %s over %s: attempt %d failed: %s%s"),
                  (unsigned long long)it->seq, it->route, it->recipient, it->chan, it->attempts + 1,
                  err, dead ? _(" (now a dead letter)") : "");
        nq_mark_failed(self->q, it->id, err, next, dead, now);
    }
}

/* The pool's report of a finished attempt. */
static void
on_done(void *arg, const chan_done_t *d)
{
    notifyd_t *self = arg;

    for (size_t i = 0; i < self->n_inflight; i++) {
        pace_t *p;
        if (self->inflight[i].id != d->tag)
            continue;
        p = pace_of(self, self->inflight[i].chan, d->dest);
        if (p != NULL)
            pace_note(p, util_now_ms());
        record(self, &self->inflight[i], d->rc, d->err, d->acked_by);
        nq_item_clear(&self->inflight[i]);
        self->inflight[i] = self->inflight[--self->n_inflight];
        return;
    }
}

/*
 * One attempt of one due record: false when it was settled without sending (silenced, held
 * for a working day, unknown channel), so the caller may take the destination's next one.
 * An HTTP or SMTP attempt goes into the pool and `it` with it (cleared here).
 */
static bool
deliver_one(notifyd_t *self, nq_item_t *it, int64_t now)
{
    const ncfg_t *cfg = self->cfg;
    chan_smtp_opts_t smtp = {cfg->smtp_url,  cfg->smtp_from,     cfg->smtp_from_name,
                             cfg->smtp_user, cfg->smtp_password, cfg->smtp_starttls};
    chan_msg_t m = {0};
    char *err = NULL, *acked_by = NULL;
    json_t *doc = NULL;
    int64_t when;

    if (nq_silenced(self->q, it->project, it->route, now) == 1) {
        nq_mark(self->q, it->id, "silenced", "a silence covered it when it was due", now);
        return false;
    }
    if (cfg->quiet_days && !it->urgent && (when = next_working_ms(self, now)) > now) {
        nq_defer(self->q, it->id, when);
        return false;
    }
    if (chan_parse(it->chan, &m.chan) < 0) {
        nq_mark_failed(self->q, it->id, "unknown channel", 0, true, now);
        return false;
    }
    m.addr = it->addr;
    m.key = it->idem;
    m.title = it->title;
    m.text = it->text;
    m.payload = it->payload;
    m.timeout_ms = cfg->send_timeout_ms;
    m.smtp = &smtp;
    m.who = routes_contact_info(self->routes, it->recipient);
    m.mention = it->urgent;
    m.acked_by = &acked_by;
    if (m.chan == CHAN_EMAIL && (doc = json_loads(it->payload, 0, NULL)) != NULL)
        m.html = json_string_value(json_object_get(doc, "html"));
    if (m.chan == CHAN_COMMAND) {
        chan_rc_t rc = chan_cmd_send(&m, &err) == 0 ? CHAN_OK : CHAN_FAILED;
        record(self, it, rc, err, NULL);
    } else if (chan_pool_start(self->pool, &m, it->id, &err) == 0) {
        self->inflight = xgrow(self->inflight, self->n_inflight, sizeof(*self->inflight));
        self->inflight[self->n_inflight++] = *it;
        memset(it, 0, sizeof(*it));
    } else {
        record(self, it, CHAN_FAILED, err, NULL);
    }
    free(err);
    free(acked_by);
    json_decref(doc);
    return true;
}

static int make_digest(notifyd_t *self, nq_item_t *v, size_t from, size_t to, int64_t now);

int
notifyd_coalesce(notifyd_t *self, const char *chan, const char *addr, int64_t now)
{
    nq_item_t *v = NULL;
    size_t n = 0;
    int rc = -1;

    /* The digests of earlier rounds wait for the robot as they are, not digested again (a
     * digest of digests would list their titles only). */
    if (nq_due_at(self->q, chan, addr, now, NOTIFYD_COALESCE_MAX, "digest", &v, &n) < 0)
        return -1;
    if (n == 0)
        rc = 0;
    else if (nq_begin(self->q) == 0 && make_digest(self, v, 0, n, now) == 0 &&
             nq_commit(self->q) == 0)
        rc = (int)n;
    else
        nq_rollback(self->q);
    if (rc > 0)
        log_info(_("%s %s: %zu notifications waiting for the robot, sent as one digest"), chan,
                 addr, n);
    nq_items_free(v, n);
    return rc;
}

/*
 * A queue per destination: each destination has at most one attempt in flight (its records go
 * in order, and a receiver that does not answer holds up only its own), and the pool holds up
 * to SEND_CAP destinations at once.
 */
static void
deliver_due(notifyd_t *self, int64_t now)
{
    nq_dest_t *d = NULL;
    size_t nd = 0;

    /* Counted only as far as the pace's limit, which is all that is asked of the count. */
    if (nq_due_dests(self->q, now, (size_t)self->cfg->pace_limit + 1, &d, &nd) < 0)
        return;
    for (size_t i = 0; i < nd && chan_pool_count(self->pool) < SEND_CAP; i++) {
        char *dest = chan_dest(d[i].chan, d[i].addr);
        nq_item_t *v = NULL;
        size_t n = 0;
        pace_t *p = pace_of(self, d[i].chan, dest);
        int64_t at = p != NULL ? pace_next(self, p, now) : now;
        if (chan_pool_busy(self->pool, dest)) {
            /* its transfer ends first */
        } else if (at > now) {
            nq_defer_dest(self->q, d[i].chan, d[i].addr, at);
        } else if (p != NULL && d[i].count > (size_t)self->cfg->pace_limit &&
                   notifyd_coalesce(self, d[i].chan, d[i].addr, now) != 0) {
            /* digested (or a database error): the digest's parts go out in the next turns */
        } else if (nq_due_at(self->q, d[i].chan, d[i].addr, now, SEND_CAP, NULL, &v, &n) == 0) {
            for (size_t k = 0; k < n && !deliver_one(self, &v[k], now); k++)
                ;
            nq_items_free(v, n);
        }
        free(dest);
        if (sigwake_pending() != 0)
            break;
    }
    nq_dests_free(d, nd);
}

/*
 * An ack learnt from a webhook's reply goes to the log like every other (an alert_ack entry,
 * via webhook), so the log says who acknowledged what however it was done. The item stopped
 * escalating at once (record); the entry follows, one per step, oldest first. A broker that
 * does not answer is asked again after ACK_RETRY_MS (the wait blocks the loop, so it is short
 * and rare); a refusal is logged and the ack dropped, since sending it again changes nothing.
 */
#define ACK_RETRY_MS 5000
#define ACK_SEND_MS 1000

static void
send_acks(notifyd_t *self, int64_t now)
{
    pm_msg_t *req, *rep = NULL;
    char why[256] = "", *who = NULL;
    uint64_t seq;
    client_status_t st;

    if (now < self->ack_retry_at || nq_ack_out_next(self->q, &seq, &who) != 1)
        return;
    if (self->ack_client == NULL)
        self->ack_client = client_new(self->zctx, self->cfg->broker, why, sizeof(why));
    if (self->ack_client == NULL) {
        log_warnx("broker %s: %s; the ack of seq %llu waits", self->cfg->broker, why,
                  (unsigned long long)seq);
        self->ack_retry_at = now + ACK_RETRY_MS;
        free(who);
        return;
    }
    req = pm_msg_new(PM_MSG_EVENT);
    req->entry = pm_entry_new(PM_KIND_ALERT_ACK);
    req->entry->event_id = xasprintf("webhook-ack-%llu", (unsigned long long)seq);
    req->entry->cause = seq;
    req->entry->recipient = who;
    req->entry->via = xstrdup(PM_ACK_VIA_WEBHOOK);
    req->entry->event_ms = now;
    st = client_request(self->ack_client, req, ACK_SEND_MS, 1, &rep, why, sizeof(why));
    if (st == CLIENT_OK && rep->type == PM_MSG_REPLY && rep->reply != NULL) {
        if (!rep->reply->ok)
            log_warnx("seq %llu: the broker refused its ack (%s): %s", (unsigned long long)seq,
                      rep->reply->code, rep->reply->reason ? rep->reply->reason : "-");
        nq_ack_out_done(self->q, seq);
    } else {
        log_warnx("seq %llu: the ack is not logged yet (%s); again in %d s",
                  (unsigned long long)seq, why[0] ? why : "unexpected answer", ACK_RETRY_MS / 1000);
        self->ack_retry_at = now + ACK_RETRY_MS;
    }
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
}

/* Red items nobody acknowledged in time: one step up the ladder each. */
static void
escalate_due(notifyd_t *self, int64_t now)
{
    const strv_t *ladder = routes_ladder(self->routes);
    nq_alert_t *v = NULL;
    size_t n = 0;

    if (self->cfg->escalate_ms <= 0 || nq_alert_due(self->q, now, &v, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        nq_alert_t *a = &v[i];
        int step = a->step + 1;
        json_t *vars = json_loads(a->vars, 0, NULL);
        dir_info_t info;
        route_ctx_t ctx;
        strv_t one = {0};
        char suffix[16], stepbuf[16];
        notice_t nt = {0};
        if (vars == NULL)
            vars = json_object();
        if (step >= (int)ladder->n || dir_lookup(nq_db(self->q), a->project, a->dept, &info) < 0) {
            nq_alert_step(self->q, a->seq, a->step, now, true);
            json_decref(vars);
            continue;
        }
        snprintf(suffix, sizeof(suffix), "-e%d", step);
        snprintf(stepbuf, sizeof(stepbuf), "%d", step);
        json_object_set_new(vars, "step", json_string(stepbuf));
        ctx.steward = info.steward;
        ctx.leader = info.leader;
        ctx.dept = a->dept;
        nt.seq = a->seq;
        nt.route = "escalation";
        nt.tmpl_key = "escalation";
        nt.project = a->project;
        nt.procedure = a->procedure;
        nt.idem_suffix = suffix;
        nt.state = "pending";
        nt.vars = vars;
        strv_push(&one, ladder->v[step]);
        if (nq_begin(self->q) == 0 &&
            enqueue_tokens(self, &nt, &one, &ctx, info.dept_contact) == 0 &&
            nq_alert_step(self->q, a->seq, step, now + self->cfg->escalate_ms,
                          step + 1 >= (int)ladder->n) == 0)
            nq_commit(self->q);
        else
            nq_rollback(self->q);
        log_info(_("seq %llu: not acknowledged, escalated to %s (step %d)"),
                 (unsigned long long)a->seq, ladder->v[step], step);
        strv_clear(&one);
        dir_info_clear(&info);
        json_decref(vars);
    }
    nq_alerts_free(v, n);
}

/*
 * One digest (or part of one) for the records v[from..to): its title carries `mark` (" (1/3)")
 * when it is a part. Fills *d; the caller frees d->idem, title, text and payload.
 */
static void
render_digest(notifyd_t *self, nq_item_t *v, size_t from, size_t to, const char *mark, nq_item_t *d)
{
    const char *ttitle = "{count}", *tbody = "{items}";
    json_t *vars = json_object(), *items = json_array(), *extra = json_object();
    char *lines = NULL, *hlines = NULL, count[16], *title, *html = NULL;
    size_t len, hlen;
    /* Appended to, not copied whole for each item: a part is rendered in time linear in it. */
    FILE *f = open_memstream(&lines, &len), *hf = open_memstream(&hlines, &hlen);
    chan_kind_t kind = CHAN_WEBHOOK;

    if (f == NULL || hf == NULL)
        fatal("open_memstream");
    for (size_t i = from; i < to; i++) {
        json_t *o = json_object();
        /* The titles were rendered as text for e-mail: HTML-escaped for its HTML part. */
        char *esc = ntmpl_escape(v[i].title, NTMPL_ESC_HTML);
        fprintf(f, "- %s\n", v[i].title);
        fprintf(hf, "- %s\n", esc);
        free(esc);
        json_object_set_new(o, "seq", json_integer((json_int_t)v[i].seq));
        json_object_set_new(o, "route", json_string(v[i].route));
        json_object_set_new(o, "title", json_string(v[i].title));
        json_object_set_new(o, "text", json_string(v[i].text));
        if (v[i].project != NULL)
            json_object_set_new(o, "project", json_string(v[i].project));
        if (v[i].procedure != NULL)
            json_object_set_new(o, "procedure", json_string(v[i].procedure));
        json_array_append_new(items, o);
        d->urgent = d->urgent || v[i].urgent;
    }
    if (fclose(f) != 0 || fclose(hf) != 0)
        fatal("open_memstream");
    snprintf(count, sizeof(count), "%zu", to - from);
    json_object_set_new(vars, "count", json_string(count));
    json_object_set_new(vars, "items", json_string(lines));
    json_object_set_new(vars, "recipient", json_string(v[from].recipient));
    json_object_set_new(vars, "period", json_string(""));
    json_object_set_new(extra, "items", items);
    ntmpl_get(self->tmpl, "digest", &ttitle, &tbody);
    d->seq = 0;
    d->route = "digest";
    d->recipient = v[from].recipient;
    d->chan = v[from].chan;
    d->addr = v[from].addr;
    chan_parse(d->chan, &kind);
    title = ntmpl_render(ttitle, lookup_var, vars, chan_esc(kind));
    d->title = xasprintf("%s%s", title, mark);
    d->text = ntmpl_render(tbody, lookup_var, vars, chan_esc(kind));
    d->state = "pending";
    if (kind == CHAN_EMAIL) {
        json_t *hvars = json_deep_copy(vars);
        json_object_set_new(hvars, "items", json_string(hlines));
        html = ntmpl_render(tbody, lookup_var, hvars, NTMPL_ESC_HTML);
        json_decref(hvars);
    }
    d->payload = make_payload(d, vars, extra, html);
    free(html);
    free(hlines);
    free(title);
    free(lines);
    json_decref(vars);
    json_decref(extra);
}

/* A robot's cap on one message body, or 0 for none. */
static size_t
body_cap(const char *chan)
{
    if (strcmp(chan, "wecom") == 0)
        return WECOM_MAX_BYTES;
    if (strcmp(chan, "dingtalk") == 0)
        return DINGTALK_MAX_BYTES;
    return 0;
}

/* The size of the body the robot would get for d. */
static size_t
body_size(const nq_item_t *d)
{
    chan_msg_t m = {0};
    char *body;
    size_t n;

    if (chan_parse(d->chan, &m.chan) < 0)
        return 0;
    m.addr = d->addr;
    m.key = d->idem;
    m.title = d->title;
    m.text = d->text;
    m.payload = d->payload;
    body = chan_http_body(&m);
    n = strlen(body);
    free(body);
    return n;
}

static void
digest_free(nq_item_t *d)
{
    free(d->title);
    free(d->text);
    free(d->payload);
    d->title = d->text = d->payload = NULL;
}

/* What part_size needs to render a candidate part. */
typedef struct part_size {
    notifyd_t *self;
    nq_item_t *v;
    const char *idem;
} part_size_t;

/* The body size of the part v[start..end), with the widest mark a part could carry. */
static size_t
part_size(void *arg, size_t start, size_t end)
{
    part_size_t *ps = arg;
    nq_item_t d = {.idem = (char *)ps->idem};
    size_t size;

    render_digest(ps->self, ps->v, start, end, " (9999/9999)", &d);
    size = body_size(&d);
    digest_free(&d);
    return size;
}

size_t
notifyd_part_end(size_t start, size_t to, size_t cap, notifyd_size_fn *size, void *arg)
{
    size_t fits = start + 1, over = to + 1, step = 1;

    if (cap == 0)
        return to;
    /* Gallop: ends start+2, +4, +8, ... until one is over the cap or `to` fits. */
    while (fits < to) {
        size_t end = to - fits > step ? fits + step : to;
        if (size(arg, start, end) > cap) {
            over = end;
            break;
        }
        fits = end;
        step *= 2;
    }
    /* Bisect between the last end that fits and the first one over. */
    while (over - fits > 1) {
        size_t mid = fits + (over - fits) / 2;
        if (size(arg, start, mid) > cap)
            over = mid;
        else
            fits = mid;
    }
    return fits;
}

/*
 * One digest for the held records v[from..to) of one recipient, channel, address and period,
 * in parts at item boundaries when a robot would refuse it whole: each part's title says which
 * ((1/3), (2/3), ...), and the parts are recorded in order. Each record is marked digested
 * with the digest's key.
 */
static int
make_digest(notifyd_t *self, nq_item_t *v, size_t from, size_t to, int64_t now)
{
    size_t cap = body_cap(v[from].chan), *ends = xmalloc((to - from + 1) * sizeof(*ends));
    size_t nparts = 0, start = from;
    /*
     * The period's end and the first item's key: an item routed after its period's digest went
     * out (or a period met again after the test clock went back) makes a second digest of that
     * period, which must not collide with the first and be dropped.
     */
    char *idem = xasprintf("digest-%lld-%s", (long long)v[from].next_ms, v[from].idem);
    int rc = 0;

    /* Greedy parts (as many items as fit), measured with the widest mark they could carry. */
    while (start < to) {
        part_size_t ps = {self, v, idem};
        start = ends[nparts++] = notifyd_part_end(start, to, cap, part_size, &ps);
    }
    start = from;
    for (size_t k = 0; k < nparts && rc == 0; k++) {
        nq_item_t d = {0};
        char mark[48] = "";
        if (nparts > 1)
            snprintf(mark, sizeof(mark), " (%zu/%zu)", k + 1, nparts);
        d.idem = nparts > 1 ? xasprintf("%s-%zu", idem, k + 1) : xstrdup(idem);
        render_digest(self, v, start, ends[k], mark, &d);
        d.created_ms = now;
        d.next_ms = 0;
        rc = nq_add(self->q, &d);
        for (size_t i = start; i < ends[k] && rc == 0; i++)
            rc = nq_mark(self->q, v[i].id, "digested", d.idem, now);
        free(d.idem);
        digest_free(&d);
        start = ends[k];
    }
    free(ends);
    free(idem);
    return rc;
}

static void
flush_digests(notifyd_t *self, int64_t now)
{
    nq_item_t *v = NULL;
    size_t n = 0, k = 0, from = 0;

    if (nq_held_due(self->q, now, &v, &n) < 0 || n == 0)
        goto done;
    if (nq_begin(self->q) < 0)
        goto done;
    /* A silence that covers an item's project or kind keeps it out of the digest. */
    for (size_t i = 0; i < n; i++) {
        if (nq_silenced(self->q, v[i].project, v[i].route, now) == 1) {
            nq_mark(self->q, v[i].id, "silenced", "a silence covered it when its digest was due",
                    now);
            nq_item_clear(&v[i]);
            continue;
        }
        if (k != i) {
            v[k] = v[i];
            memset(&v[i], 0, sizeof(v[i]));
        }
        k++;
    }
    for (size_t i = 1; i <= k; i++) {
        if (i < k && strcmp(v[i].recipient, v[from].recipient) == 0 &&
            strcmp(v[i].chan, v[from].chan) == 0 && strcmp(v[i].addr, v[from].addr) == 0 &&
            v[i].next_ms == v[from].next_ms)
            continue;
        if (make_digest(self, v, from, i, now) < 0) {
            nq_rollback(self->q);
            goto done;
        }
        from = i;
    }
    if (nq_commit(self->q) == 0 && k > 0)
        log_info(_("digests: %zu held notifications grouped"), k);
done:
    nq_items_free(v, n);
}

static int
load_tables(const ncfg_t *cfg, routes_t **routes, ntmpl_t **tmpl, char **err)
{
    *routes = routes_load(cfg->routes, err);
    if (*routes == NULL)
        return -1;
    *tmpl = ntmpl_load(cfg->templates, err);
    if (*tmpl == NULL) {
        routes_destroy(routes);
        return -1;
    }
    return 0;
}

notifyd_t *
notifyd_new(const ncfg_t *cfg, void *zctx, char **err)
{
    notifyd_t *self = xcalloc(1, sizeof(*self));
    follow_opts_t o = {0};
    uint64_t cursor = 0;
    char why[256] = "";

    self->cfg = cfg;
    self->zctx = zctx;
    srandom((unsigned)util_mono_ms() ^ (unsigned)getpid());
    strv_split(&self->digest_kinds, cfg->digest_kinds, ", \t");
    if (load_tables(cfg, &self->routes, &self->tmpl, err) < 0)
        goto fail;
    self->q = nq_open(cfg->db, err);
    if (self->q == NULL)
        goto fail;
    if (dir_init(nq_db(self->q)) < 0 || nq_cursor(self->q, &cursor) < 0) {
        *err = xasprintf(_("%s: cannot set up the database"), cfg->db);
        goto fail;
    }
    o.query = cfg->query;
    o.publish = cfg->publish;
    o.after = cursor;
    o.live = true;
    o.silence_ms = cfg->silence_ms;
    o.timeout_ms = cfg->query_timeout_ms;
    o.stop = sigwake_stop_flag(); /* a catch-up in progress gives way to SIGTERM */
    self->follow = follow_new(zctx, &o, on_entry, self, why, sizeof(why));
    if (self->follow == NULL) {
        *err = xasprintf(_("follow: %s"), why);
        goto fail;
    }
    if (!util_empty(cfg->ack_url_base)) {
        if (acktoken_key_load(cfg->ack_key_file, false, &self->ack_key, err) < 0)
            goto fail;
        self->ack_links = true;
    }
    self->pool = chan_pool_new();
    if (self->pool == NULL) {
        *err = xstrdup("curl_multi_init failed");
        goto fail;
    }
    log_info(_("following %s from seq %llu"), cfg->publish, (unsigned long long)cursor);
    return self;
fail:
    notifyd_destroy(&self);
    return NULL;
}

void
notifyd_destroy(notifyd_t **p)
{
    notifyd_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    explicit_bzero(&self->ack_key, sizeof(self->ack_key));
    client_destroy(&self->ack_client);
    /* What is still in flight stays pending in the database: the next start sends it. */
    if (self->n_inflight > 0)
        log_info(_("stopping with %zu deliveries in flight: they stay pending"), self->n_inflight);
    chan_pool_destroy(&self->pool);
    nq_items_free(self->inflight, self->n_inflight);
    for (size_t i = 0; i < self->n_paces; i++) {
        free(self->paces[i].dest);
        free(self->paces[i].t);
    }
    free(self->paces);
    follow_destroy(&self->follow);
    nq_close(&self->q);
    routes_destroy(&self->routes);
    ntmpl_destroy(&self->tmpl);
    strv_clear(&self->digest_kinds);
    free(self);
    *p = NULL;
}

int
notifyd_reload(notifyd_t *self)
{
    routes_t *routes;
    ntmpl_t *tmpl;
    char *err = NULL;

    if (load_tables(self->cfg, &routes, &tmpl, &err) < 0) {
        log_warnx(_("reload: %s (keeping the routes and templates in use)"), err);
        free(err);
        return -1;
    }
    routes_destroy(&self->routes);
    ntmpl_destroy(&self->tmpl);
    self->routes = routes;
    self->tmpl = tmpl;
    strv_clear(&self->digest_kinds);
    strv_split(&self->digest_kinds, self->cfg->digest_kinds, ", \t");
    log_info(_("reload: routes and templates loaded"));
    return 0;
}

/*
 * With attempts in flight, one poll waits for whichever comes first: the broker's socket, a
 * signal, or a transfer's socket, for at most wait ms (at most SLICE_MS while curl names no
 * socket yet). A reply wakes the loop at once: when the loop slept its slices on the broker's
 * socket and on the transfers in turn, a delivery waited out two or three of them, and one
 * webhook got about 70 records a second however fast it answered.
 */
static void
poll_transfers(notifyd_t *self, int wait)
{
    chan_pollfd_t fds[SEND_CAP * 2];
    zmq_pollitem_t items[2 + SEND_CAP * 2];
    void *sub = follow_socket(self->follow);
    size_t nfds;
    long curl_ms;
    int n = 0;

    chan_pool_step(self->pool, 0, on_done, self); /* the attempts deliver_due started */
    nfds = chan_pool_fds(self->pool, fds, sizeof(fds) / sizeof(fds[0]), &curl_ms);
    if (nfds == 0 && wait > SLICE_MS)
        wait = SLICE_MS;
    if (curl_ms >= 0 && curl_ms < wait)
        wait = (int)curl_ms;
    if (sub != NULL)
        items[n++] = (zmq_pollitem_t){sub, 0, ZMQ_POLLIN, 0};
    if (sigwake_fd() >= 0)
        items[n++] = (zmq_pollitem_t){NULL, sigwake_fd(), ZMQ_POLLIN, 0};
    for (size_t i = 0; i < nfds; i++)
        items[n++] = (zmq_pollitem_t){
            NULL, fds[i].fd, (short)((fds[i].in ? ZMQ_POLLIN : 0) | (fds[i].out ? ZMQ_POLLOUT : 0)),
            0};
    if (zmq_poll(items, n, wait) < 0 && zmq_errno() != EINTR)
        log_warnx(_("poll: %s"), zmq_strerror(zmq_errno()));
}

int
notifyd_run(notifyd_t *self)
{
    /* Every iteration: a signal that came while the last one worked is not left waiting. */
    while (sigwake_pending() == 0) {
        int64_t now = util_now_ms(), next = nq_next_ms(self->q);
        int wait = NOTIFYD_TICK_MS;
        bool busy = chan_pool_count(self->pool) > 0;
        follow_status_t st;

        sdnotify_watchdog(); /* the waits below are NOTIFYD_TICK_MS at most */
        /* Due records whose destination is busy wait for its transfer, not in a spin. */
        if (next <= now)
            wait = busy ? SLICE_MS : 0;
        else if (next - now < wait)
            wait = (int)(next - now);
        if (busy && wait > SLICE_MS)
            wait = SLICE_MS;
        if (busy)
            poll_transfers(self, wait);
        st = follow_step(self->follow, busy ? 0 : wait);
        zone_note_broker("permit-notify", self->cfg->time_zone, follow_broker_zone(self->follow),
                         &self->zone_warned);
        if (self->failed || nq_commit(self->q) < 0) {
            nq_rollback(self->q);
            log_error(_("database error: stopping (the cursor on disk is where to go on from)"));
            return -1;
        }
        if (st == FOLLOW_STOPPED)
            break;
        if (st != FOLLOW_AGAIN) {
            log_error(_("follow: %s"), follow_error(self->follow));
            return -1;
        }
        chan_pool_step(self->pool, 0, on_done, self);
        now = util_now_ms();
        flush_digests(self, now);
        escalate_due(self, now);
        send_acks(self, now);
        deliver_due(self, now);
    }
    return 0;
}
