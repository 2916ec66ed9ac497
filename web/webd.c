/*
 * webd: see webd.h.
 */
#include "webd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#include "acct.h"
#include "api.h"
#include "assets.h"
#include "client.h"
#include "follow.h"
#include "i18n.h"
#include "log.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "sse.h"
#include "util.h"
#include "views.h"
#include "wreport.h"
#include "zone.h"

/* The longest wait of one round: the keep-alives and the watchdog need no finer grain. */
#define ROUND_MS 1000
/*
 * A round of the follower that took most of query_timeout_ms and folded nothing was a catch-up
 * the broker did not answer (follow.h blocks on it): the next round waits FOLLOW_PAUSE_MS, and
 * the pages and streams are served meanwhile instead of waiting behind every attempt.
 */
#define FOLLOW_PAUSE_MS 5000

struct webd {
    const wcfg_t *cfg;
    bool zone_warned; /* the broker names another zone than ours: said once */
    views_t *views;
    follow_t *follow;
    client_t *query;
    http_t *http;
    sse_t *sse;
    api_t *api;
    wreport_t *report;
    acct_t *acct;
    char url[160];
    int64_t follow_again_ms; /* monotonic: no follower round before this */
};

/* The follower's callback: fold the entry; the streams are woken once per round. */
static int
on_entry(void *arg, const pm_entry_t *e)
{
    webd_t *self = arg;

    views_apply(self->views, e);
    return 0;
}

/* The HTML shell for every page; the script reads the path. */
static int
page(void *arg, http_req_t *r)
{
    const web_asset_t *a = web_asset_find("index.html");

    (void)arg;
    if (a == NULL)
        return http_reply_error(r, 500, "the bundle has no index.html");
    return http_reply_static(r, 200, a->ctype, a->data, a->len, "no-cache");
}

/* /p/ID and /d/CODE: the shell, with 404 when the log names no such project or department. */
static int
page_project(void *arg, http_req_t *r)
{
    webd_t *self = arg;
    const web_asset_t *a = web_asset_find("index.html");

    if (views_project_find(self->views, http_req_rest(r)) != NULL)
        return page(arg, r);
    return http_reply_static(r, 404, a->ctype, a->data, a->len, "no-cache");
}

static int
page_department(void *arg, http_req_t *r)
{
    webd_t *self = arg;
    const web_asset_t *a = web_asset_find("index.html");

    for (size_t i = 0; i < views_ndepts(self->views); i++)
        if (strcmp(views_dept(self->views, i)->code, http_req_rest(r)) == 0)
            return page(arg, r);
    return http_reply_static(r, 404, a->ctype, a->data, a->len, "no-cache");
}

static int
asset(void *arg, http_req_t *r)
{
    const web_asset_t *a = web_asset_find(http_req_rest(r));

    (void)arg;
    if (a == NULL)
        return http_reply_error(r, 404, "not found");
    return http_reply_static(r, 200, a->ctype, a->data, a->len, "no-cache");
}

static void
add_routes(webd_t *self)
{
    http_route(self->http, "GET", "/", HTTP_EXACT, page, self);
    http_route(self->http, "GET", "/blocked", HTTP_EXACT, page, self);
    http_route(self->http, "GET", "/overdue", HTTP_EXACT, page, self);
    http_route(self->http, "GET", "/p/", HTTP_PREFIX, page_project, self);
    http_route(self->http, "GET", "/d/", HTTP_PREFIX, page_department, self);
    http_route(self->http, "GET", "/static/", HTTP_PREFIX, asset, self);
    http_route(self->http, "GET", "/events", HTTP_EXACT, sse_handle, self->sse);
    acct_routes(self->acct, self->http);
    api_routes(self->api, self->http);
    http_route(self->http, "GET", "/report", HTTP_EXACT, page, self);
    wreport_routes(self->report, self->http);
}

webd_t *
webd_new(const wcfg_t *cfg, void *zctx, char **err)
{
    webd_t *self = xcalloc(1, sizeof(*self));
    struct sockaddr_storage ss;
    unsigned sslen;
    follow_opts_t o = {0};
    char why[256] = "";

    self->cfg = cfg;
    self->views = views_new((size_t)cfg->keep_entries);
    self->sse = sse_new(self->views, (size_t)cfg->sse_buffer);
    o.query = cfg->query;
    o.publish = cfg->publish;
    o.after = 0; /* the views live in memory: every start folds the log from its beginning */
    o.live = true;
    o.silence_ms = cfg->silence_ms;
    o.timeout_ms = cfg->query_timeout_ms;
    o.stop = sigwake_stop_flag();
    self->follow = follow_new(zctx, &o, on_entry, self, why, sizeof(why));
    if (self->follow == NULL) {
        *err = xasprintf("follow: %s", why);
        goto fail;
    }
    self->query = client_new(zctx, cfg->query, why, sizeof(why));
    if (self->query == NULL) {
        *err = xasprintf("query: %s", why);
        goto fail;
    }
    client_set_stop(self->query, sigwake_stop_flag());
    self->api = api_new(self->views, self->query, cfg);
    self->report = wreport_new(cfg, self->views, err);
    if (self->report == NULL)
        goto fail;
    self->acct = acct_new(cfg, self->views, zctx, err);
    if (self->acct == NULL)
        goto fail;
    if (wcfg_listen_addr(cfg->listen, &ss, &sslen, err) < 0)
        goto fail;
    self->http = http_new(&ss, (unsigned)cfg->max_clients, err);
    if (self->http == NULL) {
        char *e = *err;
        *err = xasprintf("listen %s: %s", cfg->listen, e);
        free(e);
        goto fail;
    }
    add_routes(self);
    return self;
fail:
    webd_destroy(&self);
    return NULL;
}

void
webd_destroy(webd_t **p)
{
    webd_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    if (self->http != NULL) {
        /* The streams end first: libmicrohttpd stops only with no connection suspended. */
        sse_shutdown(self->sse);
        if (self->report != NULL)
            wreport_shutdown(self->report);
        http_run(self->http);
        http_destroy(&self->http);
    }
    sse_destroy(&self->sse);
    wreport_destroy(&self->report);
    api_destroy(&self->api);
    acct_destroy(&self->acct);
    client_destroy(&self->query);
    follow_destroy(&self->follow);
    views_destroy(&self->views);
    free(self);
    *p = NULL;
}

http_t *
webd_http(webd_t *self)
{
    return self->http;
}

const char *
webd_url(webd_t *self)
{
    const char *colon = strrchr(self->cfg->listen, ':');
    int hlen = (int)(colon - self->cfg->listen);

    snprintf(self->url, sizeof(self->url), "http://%.*s:%u/", hlen > 0 ? hlen : 9,
             hlen > 0 ? self->cfg->listen : "127.0.0.1", http_port(self->http));
    return self->url;
}

void
webd_reload(webd_t *self)
{
    sse_set_buffer(self->sse, (size_t)self->cfg->sse_buffer);
    acct_reload(self->acct);
}

int
webd_run(webd_t *self)
{
    while (sigwake_pending() == 0) {
        zmq_pollitem_t items[4];
        int n = 0, wait = http_timeout_ms(self->http);
        uint64_t head = views_head(self->views);
        int64_t t0 = util_mono_ms();
        bool follow = t0 >= self->follow_again_ms;
        follow_status_t st;

        sdnotify_watchdog();
        if (wait < 0 || wait > ROUND_MS)
            wait = ROUND_MS;
        if (follow)
            items[n++] = (zmq_pollitem_t){follow_socket(self->follow), 0, ZMQ_POLLIN, 0};
        else if (self->follow_again_ms - t0 < wait)
            wait = (int)(self->follow_again_ms - t0);
        items[n++] = (zmq_pollitem_t){NULL, http_poll_fd(self->http), ZMQ_POLLIN, 0};
        if (sigwake_fd() >= 0)
            items[n++] = (zmq_pollitem_t){NULL, sigwake_fd(), ZMQ_POLLIN, 0};
        if (wreport_poll_fd(self->report) >= 0)
            items[n++] = (zmq_pollitem_t){NULL, wreport_poll_fd(self->report), ZMQ_POLLIN, 0};
        if (zmq_poll(items, n, wait) < 0 && zmq_errno() != EINTR) {
            log_error(_("poll: %s"), zmq_strerror(zmq_errno()));
            return -1;
        }
        /* The follower polls its socket again without waiting, and asks the broker when it
         * has been silent too long: both need a call every round. */
        if (follow) {
            t0 = util_mono_ms();
            st = follow_step(self->follow, 0);
            zone_note_broker("permit-web", self->cfg->time_zone, follow_broker_zone(self->follow),
                             &self->zone_warned);
            if (st == FOLLOW_STOPPED)
                break;
            if (st != FOLLOW_AGAIN) {
                log_error(_("follow: %s"), follow_error(self->follow));
                return -1;
            }
            if (util_mono_ms() - t0 >= self->cfg->query_timeout_ms * 3 / 4 &&
                views_head(self->views) == head)
                self->follow_again_ms = util_mono_ms() + FOLLOW_PAUSE_MS;
        }
        if (views_head(self->views) != head)
            sse_wake(self->sse);
        sse_tick(self->sse, util_mono_ms());
        wreport_run(self->report);
        http_run(self->http);
        api_note_stream_count(self->api, sse_count(self->sse), sse_resets(self->sse));
        api_note_broker_head(self->api, follow_broker_head(self->follow));
    }
    return 0;
}
