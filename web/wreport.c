/*
 * wreport: see wreport.h.
 */
#define _GNU_SOURCE /* pipe2 */
#include "wreport.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "report.h"
#include "report_xlsx.h"
#include "util.h"
#include "wjson.h"

/* Reports kept (each: three renderings of one as-of day, period, language and head). */
#define SLOTS 8
/* Builds waiting behind the one under way; a request beyond them gets 503 at once. */
#define MAX_QUEUED 3
/* A resumed request whose handler never came back (its client left) is forgotten after this. */
#define RESUMED_MS 60000

enum { OUT_HTML, OUT_CSV, OUT_XLSX, OUT__COUNT };

static const struct {
    const char *ext;
    const char *ctype;
    const char *disposition;
} outs[OUT__COUNT] = {
    {"html", "text/html; charset=utf-8", "inline"},
    {"csv", "text/csv; charset=utf-8", "attachment"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment"},
};

typedef enum slot_state {
    SLOT_FREE,
    SLOT_QUEUED,
    SLOT_BUILDING,
    SLOT_DONE,
    SLOT_FAILED
} slot_state_t;

/* One report: its key, set by the loop before it is queued, and what the worker made of it. */
typedef struct slot {
    int64_t as_of_ms;
    report_period_t period;
    pm_lang_t lang;
    uint64_t head;
    char day[16];
    uint64_t gen;       /* bumped at every reuse: a waiter names the report it waits for */
    uint64_t used;      /* the loop's counter when queued or last served: the oldest goes */
    unsigned waiters;   /* suspended requests (the slot is kept until they are resumed) */
    slot_state_t state; /* under mu: the worker owns body and err while BUILDING */
    char *body[OUT__COUNT];
    size_t len[OUT__COUNT];
    char *err;
} slot_t;

typedef struct waiter {
    http_conn_t *conn;
    size_t slot;
    uint64_t gen;
    bool resumed;
    int64_t resumed_ms;
} waiter_t;

struct wreport {
    const wcfg_t *cfg;
    const views_t *views;
    report_bulletin_cfg_t bulletin;
    report_opts_t base; /* the zone and the bulletin; period and language per request */
    char *csp;
    slot_t slots[SLOTS];
    uint64_t counter;
    waiter_t *waiters;
    size_t nwaiters, capwaiters;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker;
    bool started, stop, stopping;
    int pipe[2]; /* the worker writes a byte when a build ends; the loop polls pipe[0] */
};

static int
load_bulletin(const char *path, report_bulletin_cfg_t *b, report_opts_t *opts, char **err)
{
    char *why = NULL;

    conftab_defaults(&report_bulletin_table, b);
    if (!util_empty(path) && conftab_load_file(&report_bulletin_table, b, path, &why) < 0) {
        *err = xasprintf("bulletin: %s", why);
        free(why);
        return -1;
    }
    if (report_bulletin_use(b, opts, &why) < 0) {
        *err = xasprintf("bulletin: %s: %s", path, why);
        free(why);
        return -1;
    }
    return 0;
}

int
wreport_check(const char *bulletin, char **err)
{
    report_bulletin_cfg_t b;
    report_opts_t opts;
    int rc;

    report_opts_defaults(&opts);
    rc = load_bulletin(bulletin, &b, &opts, err);
    conftab_clear(&report_bulletin_table, &b);
    return rc;
}

/* The policy of every page with the bulletin's one style allowed by its hash. */
static char *
bulletin_csp(void)
{
    const char *css = report_html_style();
    unsigned char md[EVP_MAX_MD_SIZE], b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    unsigned mdlen = 0;

    if (EVP_Digest(css, strlen(css), md, &mdlen, EVP_sha256(), NULL) != 1)
        return NULL;
    EVP_EncodeBlock(b64, md, (int)mdlen);
    return xasprintf("default-src 'self'; img-src 'self' data:; style-src 'sha256-%s'; "
                     "frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
                     (const char *)b64);
}

/* ---- the worker ------------------------------------------------------------------------ */

static int
render_mem(const json_t *doc, report_format_t fmt, const char *prefix, char **body, size_t *len)
{
    FILE *f = open_memstream(body, len);
    int rc;

    if (f == NULL)
        return -1;
    rc = prefix != NULL && fputs(prefix, f) == EOF ? -1 : report_render(doc, fmt, f);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* The workbook: report_xlsx_write wants a file, so a temporary one, read back. */
static int
render_xlsx(const json_t *doc, char **body, size_t *len, char **err)
{
    const char *dir = getenv("TMPDIR");
    char *path = xasprintf("%s/permit-web-XXXXXX.xlsx", util_empty(dir) ? "/tmp" : dir);
    int fd = mkstemps(path, 5), rc = -1;
    FILE *f = NULL;

    if (fd < 0) {
        *err = xasprintf("report: %s: %s", path, strerror(errno));
        free(path);
        return -1;
    }
    close(fd);
    if (report_xlsx_write(doc, path, err) < 0)
        goto done;
    f = fopen(path, "rb");
    if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0) {
            *body = xmalloc((size_t)n + 1);
            rewind(f);
            if (fread(*body, 1, (size_t)n, f) == (size_t)n) {
                *len = (size_t)n;
                rc = 0;
            }
        }
    }
    if (rc < 0)
        *err = xasprintf("report: %s: cannot read the workbook back", path);
done:
    if (f != NULL)
        fclose(f);
    unlink(path);
    free(path);
    return rc;
}

/* Build and render one report (the worker's thread; slot s is BUILDING: ours alone). */
static int
build(wreport_t *self, slot_t *s)
{
    report_opts_t o = self->base;
    json_t *doc = NULL;
    int64_t t0 = util_mono_ms();
    int rc = -1;

    o.period = s->period;
    o.lang = s->lang;
    if (report_build(self->cfg->db, s->as_of_ms, &o, &doc, &s->err) < 0)
        return -1;
    /* The CSV starts with a byte order mark: it is a download for Excel, which reads a CSV
     * without one in the system code page (GBK on Chinese Windows). */
    if (render_mem(doc, REPORT_FMT_HTML, NULL, &s->body[OUT_HTML], &s->len[OUT_HTML]) < 0 ||
        render_mem(doc, REPORT_FMT_CSV, "\xef\xbb\xbf", &s->body[OUT_CSV], &s->len[OUT_CSV]) < 0)
        s->err = xstrdup("report: cannot render");
    else if (render_xlsx(doc, &s->body[OUT_XLSX], &s->len[OUT_XLSX], &s->err) == 0)
        rc = 0;
    log_info(_("report: as of %s, %s, %s, head %llu: %s in %lld ms"), s->day,
             s->period == REPORT_PERIOD_MONTH ? "month" : "week",
             s->lang == PM_LANG_EN ? "en" : "zh", (unsigned long long)s->head,
             rc == 0 ? _("built") : s->err, (long long)(util_mono_ms() - t0));
    json_decref(doc);
    return rc;
}

static slot_t *
next_queued(wreport_t *self)
{
    slot_t *best = NULL;

    for (size_t i = 0; i < SLOTS; i++)
        if (self->slots[i].state == SLOT_QUEUED &&
            (best == NULL || self->slots[i].used < best->used))
            best = &self->slots[i];
    return best;
}

static void *
worker_main(void *arg)
{
    wreport_t *self = arg;

    pthread_mutex_lock(&self->mu);
    for (;;) {
        slot_t *s;
        int rc;
        while (!self->stop && (s = next_queued(self)) == NULL)
            pthread_cond_wait(&self->cv, &self->mu);
        if (self->stop)
            break;
        s->state = SLOT_BUILDING;
        pthread_mutex_unlock(&self->mu);
        rc = build(self, s);
        pthread_mutex_lock(&self->mu);
        s->state = rc == 0 ? SLOT_DONE : SLOT_FAILED;
        /* A full pipe already wakes the loop: the byte is only a wake-up. */
        if (write(self->pipe[1], "r", 1) < 0 && errno != EAGAIN)
            log_warn(_("report: wake the loop"));
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

/* ---- the loop's side ------------------------------------------------------------------- */

static slot_state_t
state_of(wreport_t *self, const slot_t *s)
{
    slot_state_t st;

    pthread_mutex_lock(&self->mu);
    st = s->state;
    pthread_mutex_unlock(&self->mu);
    return st;
}

static void
slot_clear(slot_t *s)
{
    for (int i = 0; i < OUT__COUNT; i++) {
        free(s->body[i]);
        s->body[i] = NULL;
        s->len[i] = 0;
    }
    free(s->err);
    s->err = NULL;
}

/* The day a report is as of when none is asked for, and the latest that may be asked for:
 * today, or the day of the last entry if the broker's clock is ahead (a test clock). */
static void
today(wreport_t *self, char *buf, size_t len)
{
    size_t n = views_nentries(self->views);
    int64_t now = util_now_ms();

    if (n > 0 && views_entry(self->views, n - 1)->recv_ms > now)
        now = views_entry(self->views, n - 1)->recv_ms;
    report_day_format(&self->base, now, buf, len);
}

/* The request's as_of, period and lang, strictly: 0, or -1 with the reason in why. */
static int
parse_key(wreport_t *self, http_req_t *r, slot_t *key, char *why, size_t whylen)
{
    const char *as_of = http_req_arg(r, "as_of"), *period = http_req_arg(r, "period");
    const char *lang = http_req_arg(r, "lang");
    char day[16];

    today(self, day, sizeof(day));
    if (as_of == NULL)
        as_of = day;
    if (report_day_parse(as_of, &self->base, &key->as_of_ms) < 0) {
        snprintf(why, whylen, "as_of wants a date YYYY-MM-DD such as %s", day);
        return -1;
    }
    if (strcmp(as_of, day) > 0) {
        snprintf(why, whylen, "as_of is after today (%s): a report is of what has happened", day);
        return -1;
    }
    snprintf(key->day, sizeof(key->day), "%s", as_of);
    key->period = REPORT_PERIOD_WEEK;
    if (period != NULL && report_period_parse(period, &key->period) < 0) {
        snprintf(why, whylen, "period wants week or month");
        return -1;
    }
    key->lang = http_req_english(r) ? PM_LANG_EN : PM_LANG_ZH;
    if (lang != NULL && report_lang_parse(lang, &key->lang) < 0) {
        snprintf(why, whylen, "lang wants zh or en");
        return -1;
    }
    key->head = views_head(self->views);
    return 0;
}

static bool
same_report(const slot_t *a, const slot_t *b)
{
    return a->as_of_ms == b->as_of_ms && a->period == b->period && a->lang == b->lang;
}

/* RFC 6266 with RFC 5987's filename*: an ASCII name for old clients, the UTF-8 one for all. */
static char *
disposition(const slot_t *s, int out)
{
    bool month = s->period == REPORT_PERIOD_MONTH;
    const char *name = s->lang == PM_LANG_ZH ? (month ? "月通报" : "周调度通报")
                                             : (month ? "monthly-bulletin" : "weekly-bulletin");
    char *utf8 = xasprintf("%s-%s.%s", name, s->day, outs[out].ext);
    size_t n = strlen(utf8);
    char *enc = xmalloc(3 * n + 1), *p = enc, *d;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)utf8[i];
        /* RFC 5987's attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~" */
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("!#$&+-.^_`|~", c) != NULL)
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    *p = '\0';
    d = xasprintf("%s; filename=\"%s-%s.%s\"; filename*=UTF-8''%s", outs[out].disposition,
                  month ? "monthly-bulletin" : "weekly-bulletin", s->day, outs[out].ext, enc);
    free(utf8);
    free(enc);
    return d;
}

static int
answer(wreport_t *self, http_req_t *r, slot_t *s, int out)
{
    http_extra_t x = {0};
    slot_state_t st = state_of(self, s);
    char *d, *body;
    int rc;

    /* Only when stopping is a request resumed before its report is made. */
    if (st != SLOT_DONE && st != SLOT_FAILED)
        return http_reply_error(r, 503, "permit-web is stopping");
    s->used = ++self->counter;
    if (st == SLOT_FAILED)
        return http_reply_error(r, 500, s->err != NULL ? s->err : "the report failed");
    d = disposition(s, out);
    x.disposition = d;
    if (out == OUT_HTML) {
        x.csp = self->csp;
        x.frame_same_origin = true;
    }
    body = xmalloc(s->len[out] + 1);
    memcpy(body, s->body[out], s->len[out]);
    rc = http_reply_take_extra(r, 200, outs[out].ctype, body, s->len[out], &x);
    free(d);
    return rc;
}

/* A free slot, or the least recently used finished one nobody waits for; NULL: all busy. */
static slot_t *
take_slot(wreport_t *self)
{
    slot_t *best = NULL;
    unsigned queued = 0;

    for (size_t i = 0; i < SLOTS; i++) {
        slot_t *s = &self->slots[i];
        slot_state_t st = state_of(self, s);
        if (st == SLOT_QUEUED)
            queued++;
        if (st == SLOT_FREE)
            best = best != NULL && best->state == SLOT_FREE ? best : s;
        else if ((st == SLOT_DONE || st == SLOT_FAILED) && s->waiters == 0 &&
                 (best == NULL || (best->state != SLOT_FREE && s->used < best->used)))
            best = s;
    }
    if (queued >= MAX_QUEUED || best == NULL)
        return NULL;
    slot_clear(best);
    best->gen++;
    return best;
}

static int
wait_for(wreport_t *self, http_req_t *r, slot_t *s)
{
    waiter_t *w;

    if (self->nwaiters == self->capwaiters) {
        self->capwaiters = self->capwaiters ? self->capwaiters * 2 : 16;
        self->waiters = xgrow(self->waiters, self->capwaiters, sizeof(*self->waiters));
    }
    w = &self->waiters[self->nwaiters++];
    *w = (waiter_t){http_req_conn(r), (size_t)(s - self->slots), s->gen, false, 0};
    s->waiters++;
    return http_reply_later(r);
}

static void
drop_waiter(wreport_t *self, size_t i)
{
    self->waiters[i] = self->waiters[--self->nwaiters];
}

static int
serve(wreport_t *self, http_req_t *r, int out)
{
    slot_t key = {0}, *s;
    char why[160];

    if (util_empty(self->cfg->db))
        return http_reply_error(r, 503,
                                "the weekly report is not enabled: permit-web reads it from the "
                                "broker's database; on the broker's machine, set db = the "
                                "broker's database file in the [web] section (docs/web.md)");
    if (parse_key(self, r, &key, why, sizeof(why)) < 0)
        return http_reply_error(r, 400, why);
    /* Called again after a build ended: the report it waited for, if it is still the one
     * asked for (a connection's address may be reused by a later request). */
    for (size_t i = 0; i < self->nwaiters; i++) {
        waiter_t *w = &self->waiters[i];
        if (w->conn != http_req_conn(r) || !w->resumed)
            continue;
        s = &self->slots[w->slot];
        drop_waiter(self, i);
        if (s->gen == w->gen && same_report(s, &key))
            return answer(self, r, s, out);
        break;
    }
    if (self->stopping)
        return http_reply_error(r, 503, "permit-web is stopping");
    for (size_t i = 0; i < SLOTS; i++) {
        s = &self->slots[i];
        slot_state_t st = state_of(self, s);
        if (st == SLOT_FREE || !same_report(s, &key) || s->head != key.head)
            continue;
        if (st == SLOT_DONE || st == SLOT_FAILED)
            return answer(self, r, s, out);
        return wait_for(self, r, s);
    }
    s = take_slot(self);
    if (s == NULL)
        return http_reply_error(r, 503, "busy building other reports: try again in a minute");
    s->as_of_ms = key.as_of_ms;
    s->period = key.period;
    s->lang = key.lang;
    s->head = key.head;
    memcpy(s->day, key.day, sizeof(s->day));
    s->used = ++self->counter;
    pthread_mutex_lock(&self->mu);
    s->state = SLOT_QUEUED;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
    return wait_for(self, r, s);
}

static int
serve_html(void *arg, http_req_t *r)
{
    return serve(arg, r, OUT_HTML);
}

static int
serve_csv(void *arg, http_req_t *r)
{
    return serve(arg, r, OUT_CSV);
}

static int
serve_xlsx(void *arg, http_req_t *r)
{
    return serve(arg, r, OUT_XLSX);
}

/* /api/report: what the page needs before it shows the bulletin. */
static int
serve_api(void *arg, http_req_t *r)
{
    wreport_t *self = arg;
    json_t *j = json_object();
    char day[16], *body;

    today(self, day, sizeof(day));
    json_object_set_new(j, "enabled", json_boolean(!util_empty(self->cfg->db)));
    json_object_set_new(j, "today", json_string(day));
    json_object_set_new(j, "lang", json_string(http_req_english(r) ? "en" : "zh"));
    body = wjson_dump(j);
    json_decref(j);
    return http_reply_take(r, 200, "application/json; charset=utf-8", body, strlen(body));
}

wreport_t *
wreport_new(const wcfg_t *cfg, const views_t *views, char **err)
{
    wreport_t *self = xcalloc(1, sizeof(*self));

    self->cfg = cfg;
    self->views = views;
    self->pipe[0] = self->pipe[1] = -1;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->cv, NULL);
    report_opts_defaults(&self->base);
    report_opts_in_zone(&self->base); /* permit-web's time_zone, the jurisdiction's */
    if (load_bulletin(cfg->bulletin, &self->bulletin, &self->base, err) < 0)
        goto fail;
    self->csp = bulletin_csp();
    if (self->csp == NULL) {
        *err = xstrdup("report: no SHA-256 from libcrypto");
        goto fail;
    }
    if (util_empty(cfg->db))
        return self;
    if (pipe2(self->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        *err = xasprintf("report: pipe: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&self->worker, NULL, worker_main, self) != 0) {
        *err = xstrdup("report: cannot start the worker thread");
        goto fail;
    }
    self->started = true;
    return self;
fail:
    wreport_destroy(&self);
    return NULL;
}

void
wreport_destroy(wreport_t **p)
{
    wreport_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    if (self->started) {
        pthread_mutex_lock(&self->mu);
        self->stop = true;
        pthread_cond_signal(&self->cv);
        pthread_mutex_unlock(&self->mu);
        pthread_join(self->worker, NULL);
    }
    for (size_t i = 0; i < SLOTS; i++)
        slot_clear(&self->slots[i]);
    for (int i = 0; i < 2; i++)
        if (self->pipe[i] >= 0)
            close(self->pipe[i]);
    pthread_mutex_destroy(&self->mu);
    pthread_cond_destroy(&self->cv);
    conftab_clear(&report_bulletin_table, &self->bulletin);
    free(self->csp);
    free(self->waiters);
    free(self);
    *p = NULL;
}

void
wreport_routes(wreport_t *self, http_t *http)
{
    http_route(http, "GET", "/report.html", HTTP_EXACT, serve_html, self);
    http_route(http, "GET", "/report.csv", HTTP_EXACT, serve_csv, self);
    http_route(http, "GET", "/report.xlsx", HTTP_EXACT, serve_xlsx, self);
    http_route(http, "GET", "/api/report", HTTP_EXACT, serve_api, self);
}

int
wreport_poll_fd(const wreport_t *self)
{
    return self->pipe[0];
}

void
wreport_run(wreport_t *self)
{
    char buf[64];
    int64_t now = util_mono_ms();

    if (self->pipe[0] >= 0)
        while (read(self->pipe[0], buf, sizeof(buf)) > 0)
            ;
    for (size_t i = 0; i < self->nwaiters;) {
        waiter_t *w = &self->waiters[i];
        slot_t *s = &self->slots[w->slot];
        slot_state_t st = state_of(self, s);
        if (w->resumed && now - w->resumed_ms > RESUMED_MS) {
            drop_waiter(self, i);
            continue;
        }
        if (!w->resumed && (st == SLOT_DONE || st == SLOT_FAILED || self->stopping)) {
            w->resumed = true;
            w->resumed_ms = now;
            s->waiters--;
            http_resume(w->conn);
        }
        i++;
    }
}

void
wreport_shutdown(wreport_t *self)
{
    self->stopping = true;
    wreport_run(self);
}
