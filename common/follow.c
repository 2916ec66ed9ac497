/*
 * follow: see follow.h. Catch up through the query socket, then continue from the SUB socket,
 * and go back to the query socket whenever the live stream skips a sequence number or falls
 * silent; a broker that does not answer the query either is left for the next one of the list.
 */
#include "follow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "client.h"
#include "codec.h"
#include "curvecfg.h"
#include "eplist.h"
#include "i18n.h"
#include "log.h"
#include "sigwake.h"
#include "util.h"
#include "zone.h"

#define FOLLOW_TIMEOUT_MS 2000
#define FOLLOW_TRIES 3
#define FOLLOW_PAGE_SIZE 500
/* Live: this long without a message (brokers send heartbeats every second by default). */
#define FOLLOW_SILENCE_MS 5000
/* follow_run's longest sleep before it looks at the stop flag again. */
#define FOLLOW_SLICE_MS 200
/* Live messages handled in one round, so a flood cannot starve the caller's loop. */
#define FOLLOW_DRAIN_MAX 1000
/* Deep enough to ride out a burst while we are busy; a real overflow shows up as a gap. */
#define FOLLOW_RCVHWM 100000

struct follow {
    void *zctx;
    client_t *query;
    void *sub; /* NULL unless live */
    bool live;
    strv_t queries;   /* live: the brokers' query endpoints, pair by pair with... */
    strv_t publishes; /* ...their publish endpoints */
    size_t pair;      /* live: the pair in use */
    int silence_ms;
    int64_t last_live; /* monotonic: the last message on the SUB socket, or answer to a query */
    char *project;
    char *dept;
    bool has_kind;
    pm_kind_t kind;
    int64_t since_ms;
    int timeout_ms;
    int tries;
    uint32_t page_size;
    volatile sig_atomic_t *stop;
    follow_fn *fn;
    void *arg;

    uint64_t cursor;   /* last entry processed */
    bool need_catchup; /* the live stream cannot continue the cursor */
    uint64_t head;     /* the highest head the broker told: pages, heartbeats, entries */
    bool warned_unreachable;
    bool warned_behind;
    unsigned bad_live;            /* undecodable live messages, reported once */
    char zone[ZONE_NAME_MAX + 1]; /* the zone the broker last named, "" before it did */
    char error[512];
};

static void *
follow_open_sub(void *zctx, const char *endpoint, char *why, size_t whylen)
{
    int linger = 0, hwm = FOLLOW_RCVHWM;
    int64_t maxsize = CODEC_MAX_FRAME;
    void *sub;

    sub = zmq_socket(zctx, ZMQ_SUB);
    if (sub == NULL) {
        snprintf(why, whylen, _("zmq_socket: %s"), zmq_strerror(errno));
        return NULL;
    }
    if (zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(sub, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize)) != 0 ||
        zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof(hwm)) != 0 ||
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) != 0) {
        snprintf(why, whylen, _("zmq_setsockopt: %s"), zmq_strerror(errno));
        goto fail;
    }
    if (curvecfg_client_apply(sub, why, whylen) != 0)
        goto fail;
    if (zmq_connect(sub, endpoint) != 0) {
        snprintf(why, whylen, _("cannot connect to '%s': %s"), endpoint, zmq_strerror(errno));
        goto fail;
    }
    return sub;

fail:
    zmq_close(sub);
    return NULL;
}

/*
 * Live, connect to a pair: the SUB socket first (what is published meanwhile waits in it),
 * then the query client. The previous pair's sockets are closed. 0, or -1 with a reason.
 */
static int
follow_connect(follow_t *self, size_t pair, char *why, size_t whylen)
{
    void *sub;
    client_t *query;

    sub = follow_open_sub(self->zctx, self->publishes.v[pair], why, whylen);
    if (sub == NULL)
        return -1;
    query = client_new(self->zctx, self->queries.v[pair], why, whylen);
    if (query == NULL) {
        zmq_close(sub);
        return -1;
    }
    client_set_stop(query, self->stop);
    client_destroy(&self->query);
    if (self->sub != NULL)
        zmq_close(self->sub);
    self->sub = sub;
    self->query = query;
    self->pair = pair;
    self->last_live = util_mono_ms();
    return 0;
}

/* Live: read both lists; they name the same brokers, pair by pair. */
static int
follow_pairs(follow_t *self, const follow_opts_t *opts, char *why, size_t whylen)
{
    char reason[256];

    if (eplist_parse(opts->query, &self->queries, reason, sizeof(reason)) != 0) {
        snprintf(why, whylen, _("query: %s"), reason);
        return -1;
    }
    if (eplist_parse(opts->publish, &self->publishes, reason, sizeof(reason)) != 0) {
        snprintf(why, whylen, _("publish: %s"), reason);
        return -1;
    }
    if (self->queries.n != self->publishes.n) {
        snprintf(why, whylen,
                 _("%zu query endpoints but %zu publish endpoints: the lists name the same "
                   "brokers, pair by pair"),
                 self->queries.n, self->publishes.n);
        return -1;
    }
    return 0;
}

follow_t *
follow_new(void *zctx, const follow_opts_t *opts, follow_fn *fn, void *arg, char *why,
           size_t whylen)
{
    follow_t *self = xcalloc(1, sizeof(*self));

    self->zctx = zctx;
    self->live = opts->live;
    self->project = util_empty(opts->project) ? NULL : xstrdup(opts->project);
    self->dept = util_empty(opts->dept) ? NULL : xstrdup(opts->dept);
    self->since_ms = opts->since_ms;
    self->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : FOLLOW_TIMEOUT_MS;
    self->tries = opts->tries > 0 ? opts->tries : FOLLOW_TRIES;
    self->page_size = opts->page_size > 0 ? opts->page_size : FOLLOW_PAGE_SIZE;
    self->silence_ms = opts->silence_ms > 0 ? opts->silence_ms : FOLLOW_SILENCE_MS;
    self->stop = opts->stop;
    self->fn = fn;
    self->arg = arg;
    self->cursor = opts->after;
    self->need_catchup = true;
    if (!util_empty(opts->kind)) {
        if (pm_kind_parse(opts->kind, &self->kind) != 0) {
            snprintf(why, whylen, _("unknown kind '%s'"), opts->kind);
            goto fail;
        }
        self->has_kind = true;
    }
    if (self->live) {
        if (follow_pairs(self, opts, why, whylen) != 0 || follow_connect(self, 0, why, whylen) != 0)
            goto fail;
        return self;
    }
    /* Not live there is no pair to keep together: the client goes down the list itself. */
    self->query = client_new(zctx, opts->query, why, whylen);
    if (self->query == NULL)
        goto fail;
    client_set_stop(self->query, opts->stop);
    return self;

fail:
    follow_destroy(&self);
    return NULL;
}

void
follow_destroy(follow_t **p)
{
    follow_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    client_destroy(&self->query);
    if (self->sub != NULL)
        zmq_close(self->sub);
    strv_clear(&self->queries);
    strv_clear(&self->publishes);
    free(self->project);
    free(self->dept);
    free(self);
    *p = NULL;
}

uint64_t
follow_cursor(const follow_t *self)
{
    return self->cursor;
}

uint64_t
follow_broker_head(const follow_t *self)
{
    return self->head;
}

const char *
follow_broker_zone(const follow_t *self)
{
    return self->zone;
}

/* Keep the zone a broker's message names (the codec bounds it); an older broker names none. */
static void
follow_note_zone(follow_t *self, const pm_msg_t *msg)
{
    if (!util_empty(msg->time_zone))
        snprintf(self->zone, sizeof(self->zone), "%s", msg->time_zone);
}

void *
follow_socket(const follow_t *self)
{
    return self->sub;
}

const char *
follow_endpoint(const follow_t *self)
{
    return client_endpoint(self->query);
}

const char *
follow_error(const follow_t *self)
{
    return self->error;
}

static bool
follow_stopped(const follow_t *self)
{
    return self->stop != NULL && *self->stop;
}

/* The filters again, for live entries and for a broker that ignored them in a query. */
static bool
follow_match(const follow_t *self, const pm_entry_t *e)
{
    if (self->project != NULL && util_strcmp0(e->project, self->project) != 0)
        return false;
    if (self->dept != NULL && util_strcmp0(e->dept, self->dept) != 0)
        return false;
    if (self->has_kind && e->kind != self->kind)
        return false;
    if (self->since_ms != 0 && e->recv_ms < self->since_ms)
        return false;
    return true;
}

/*
 * Process the entry that continues the cursor: hand it to the callback if it matches, then
 * move the cursor. On the callback's failure the cursor stays before the entry.
 */
static int
follow_deliver(follow_t *self, const pm_entry_t *e)
{
    if (follow_match(self, e) && self->fn(self->arg, e) != 0) {
        snprintf(self->error, sizeof(self->error), _("stopped by the consumer at entry %llu"),
                 (unsigned long long)e->seq);
        return -1;
    }
    self->cursor = e->seq;
    if (e->seq > self->head)
        self->head = e->seq;
    return 0;
}

static void
follow_check_behind(follow_t *self, uint64_t head)
{
    if (head > self->head)
        self->head = head;
    if (head >= self->cursor || self->warned_behind)
        return;
    log_warnx(_("follow: the broker's log ends at %llu but we read up to %llu; was its database "
                "replaced?"),
              (unsigned long long)head, (unsigned long long)self->cursor);
    self->warned_behind = true;
}

/*
 * Take one answer to a query. Entries at or below the cursor are skipped, so a page that
 * overlaps what we have is harmless (the log never changes behind the head). Sets *more when
 * another page should be asked for.
 */
static follow_status_t
follow_page(follow_t *self, const pm_msg_t *rep, bool *more)
{
    const pm_page_t *pg = rep->page;
    uint64_t before = self->cursor;

    *more = false;
    follow_note_zone(self, rep); /* before the entries: the callback may show them in it */
    if (rep->type == PM_MSG_REPLY && rep->reply != NULL && !rep->reply->ok) {
        snprintf(self->error, sizeof(self->error), _("refused (%s): %s"),
                 rep->reply->code ? rep->reply->code : "?",
                 rep->reply->reason ? rep->reply->reason : "no reason given");
        return FOLLOW_REFUSED;
    }
    if (rep->type != PM_MSG_PAGE || pg == NULL) {
        snprintf(self->error, sizeof(self->error),
                 _("unexpected answer to a query (message type %d)"), (int)rep->type);
        return FOLLOW_ERROR;
    }
    for (size_t i = 0; i < pg->n; i++) {
        if (pg->entries[i]->seq <= self->cursor)
            continue;
        if (follow_deliver(self, pg->entries[i]) != 0)
            return FOLLOW_ERROR;
    }
    if (pg->more && pg->n > 0) {
        if (self->cursor == before) {
            snprintf(self->error, sizeof(self->error),
                     _("the broker's page after %llu does not move forward"),
                     (unsigned long long)before);
            return FOLLOW_ERROR;
        }
        *more = true;
        return FOLLOW_DONE;
    }
    /* Nothing more matches up to the head: everything up to it has been seen. */
    if (pg->head > self->cursor)
        self->cursor = pg->head;
    follow_check_behind(self, pg->head);
    return FOLLOW_DONE;
}

/* Page through the query socket until the cursor reaches the head. */
static follow_status_t
follow_catch_up(follow_t *self)
{
    pm_msg_t *req = pm_msg_new(PM_MSG_QUERY);
    pm_query_t *q = xcalloc(1, sizeof(*q));
    follow_status_t st = FOLLOW_DONE;
    bool more = true;

    req->query = q;
    q->limit = self->page_size;
    q->since_ms = self->since_ms;
    q->project = xstrdup(self->project);
    q->dept = xstrdup(self->dept);
    q->kind = self->has_kind ? xstrdup(pm_kind_name(self->kind)) : NULL;
    while (more && st == FOLLOW_DONE) {
        pm_msg_t *rep = NULL;
        client_status_t cs;

        if (follow_stopped(self)) {
            st = FOLLOW_STOPPED;
            break;
        }
        q->after = self->cursor;
        /* Live, one try per round: the caller's loop retries for ever and stays responsive. */
        cs = client_request(self->query, req, self->timeout_ms, self->live ? 1 : self->tries, &rep,
                            self->error, sizeof(self->error));
        switch (cs) {
        case CLIENT_OK:
            st = follow_page(self, rep, &more);
            break;
        case CLIENT_UNREACHABLE:
            st = FOLLOW_UNREACHABLE;
            break;
        case CLIENT_INTERRUPTED:
            st = FOLLOW_STOPPED;
            break;
        case CLIENT_ERROR:
        case CLIENT_REFUSED: /* the reason says which key the broker refused */
            st = FOLLOW_ERROR;
            break;
        }
        pm_msg_destroy(&rep);
    }
    pm_msg_destroy(&req);
    return st;
}

/*
 * Receive one live message: [topic][envelope]. Returns 1 with *out set, 0 when nothing is
 * waiting, -1 for a message to ignore (reported once; a lost entry shows up as a gap).
 */
static int
follow_recv(follow_t *self, pm_msg_t **out)
{
    zmq_msg_t frame;
    char why[256];
    int more = 0, nframes = 0, rc = -1;
    size_t morelen = sizeof(more);
    pm_msg_t *msg = NULL;

    zmq_msg_init(&frame);
    do {
        zmq_msg_close(&frame);
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->sub, ZMQ_DONTWAIT) < 0) {
            if (nframes == 0 && (errno == EAGAIN || errno == EINTR)) {
                rc = 0;
                goto done;
            }
            snprintf(why, sizeof(why), _("receive: %s"), zmq_strerror(errno));
            goto done;
        }
        nframes++;
        morelen = sizeof(more);
        zmq_getsockopt(self->sub, ZMQ_RCVMORE, &more, &morelen);
    } while (more && nframes < 2);
    if (nframes != 2 || more) {
        while (more) {
            zmq_msg_close(&frame);
            zmq_msg_init(&frame);
            if (zmq_msg_recv(&frame, self->sub, 0) < 0)
                break;
            zmq_getsockopt(self->sub, ZMQ_RCVMORE, &more, &morelen);
        }
        snprintf(why, sizeof(why), _("not a [topic][envelope] message"));
        goto done;
    }
    if (codec_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &msg, why, sizeof(why)) != 0)
        goto done;
    if (msg->version != PM_PROTOCOL_VERSION) {
        snprintf(why, sizeof(why), _("protocol version %u, we speak %u"), msg->version,
                 PM_PROTOCOL_VERSION);
        goto done;
    }
    *out = msg;
    msg = NULL;
    rc = 1;

done:
    if (rc < 0 && self->bad_live++ == 0)
        log_warnx(_("follow: ignoring a bad message from the publisher: %s"), why);
    pm_msg_destroy(&msg);
    zmq_msg_close(&frame);
    return rc;
}

static follow_status_t
follow_handle(follow_t *self, const pm_msg_t *msg)
{
    follow_note_zone(self, msg);
    switch (msg->type) {
    case PM_MSG_ENTRY:
        if (msg->entry == NULL || msg->entry->seq <= self->cursor)
            break;
        if (msg->entry->seq == self->cursor + 1)
            return follow_deliver(self, msg->entry) == 0 ? FOLLOW_AGAIN : FOLLOW_ERROR;
        log_debug("follow: gap: entry %llu after %llu; catching up",
                  (unsigned long long)msg->entry->seq, (unsigned long long)self->cursor);
        self->need_catchup = true;
        break;
    case PM_MSG_HEARTBEAT:
        if (msg->head > self->cursor) {
            log_debug("follow: heartbeat head %llu after %llu; catching up",
                      (unsigned long long)msg->head, (unsigned long long)self->cursor);
            self->need_catchup = true;
        }
        follow_check_behind(self, msg->head);
        break;
    default:
        log_debug("follow: ignoring published message type %d", (int)msg->type);
        break;
    }
    return FOLLOW_AGAIN;
}

static follow_status_t
follow_live(follow_t *self, int wait_ms)
{
    zmq_pollitem_t items[2] = {{self->sub, 0, ZMQ_POLLIN, 0}};
    int nitems = 1, rc;
    bool ready;

    /* A daemon's signal pipe (common/sigwake.h) cuts the wait short; its own loop reads it. */
    if (sigwake_fd() >= 0)
        items[nitems++] = (zmq_pollitem_t){NULL, sigwake_fd(), ZMQ_POLLIN, 0};
    rc = zmq_poll(items, nitems, wait_ms);
    if (rc < 0 && errno != EINTR) {
        snprintf(self->error, sizeof(self->error), _("poll: %s"), zmq_strerror(errno));
        return FOLLOW_ERROR;
    }
    ready = rc > 0 && (items[0].revents & ZMQ_POLLIN);
    if (ready) {
        self->last_live = util_mono_ms();
    } else if (util_mono_ms() - self->last_live >= self->silence_ms) {
        char why[256];

        /*
         * Not even a heartbeat: ask the query socket whether this broker is still there. The
         * SUB socket starts afresh first, since a connection that died without a word (an
         * address that moved to another node) would stay silent for ever.
         */
        log_debug("follow: nothing published at %s for %d ms; asking %s",
                  self->publishes.v[self->pair], self->silence_ms, client_endpoint(self->query));
        if (follow_connect(self, self->pair, why, sizeof(why)) != 0) {
            snprintf(self->error, sizeof(self->error), "%s", why);
            return FOLLOW_ERROR;
        }
        self->need_catchup = true;
    }
    for (int i = 0; ready && i < FOLLOW_DRAIN_MAX && !self->need_catchup; i++) {
        pm_msg_t *msg = NULL;
        follow_status_t st;
        int got = follow_recv(self, &msg);

        if (got == 0)
            break;
        if (got < 0)
            continue;
        st = follow_handle(self, msg);
        pm_msg_destroy(&msg);
        if (st != FOLLOW_AGAIN)
            return st;
    }
    return follow_stopped(self) ? FOLLOW_STOPPED : FOLLOW_AGAIN;
}

/*
 * Live, the broker in use does not answer its query socket: with several, move on to the next
 * pair and catch up there from the cursor. Returns FOLLOW_AGAIN, or FOLLOW_ERROR when the
 * next pair's sockets cannot be made.
 */
static follow_status_t
follow_move_on(follow_t *self)
{
    size_t next = (self->pair + 1) % self->queries.n;
    char why[256];

    if (self->queries.n < 2)
        return FOLLOW_AGAIN;
    /* Once per spell; while every broker is away the round goes on quietly. */
    if (!self->warned_unreachable)
        log_warnx(_("follow: %s does not answer; moving on to %s (publish %s), from seq %llu"),
                  self->queries.v[self->pair], self->queries.v[next], self->publishes.v[next],
                  (unsigned long long)self->cursor);
    else
        log_debug("follow: %s does not answer either; trying %s", self->queries.v[self->pair],
                  self->queries.v[next]);
    if (follow_connect(self, next, why, sizeof(why)) != 0) {
        snprintf(self->error, sizeof(self->error), "%s", why);
        return FOLLOW_ERROR;
    }
    return FOLLOW_AGAIN;
}

follow_status_t
follow_step(follow_t *self, int wait_ms)
{
    follow_status_t st;

    if (follow_stopped(self))
        return FOLLOW_STOPPED;
    if (!self->live || self->need_catchup) {
        st = follow_catch_up(self);
        if (st == FOLLOW_DONE) {
            self->need_catchup = false;
            self->last_live = util_mono_ms();
            if (self->warned_unreachable)
                log_info(_("follow: %s answers again (cursor %llu)"), client_endpoint(self->query),
                         (unsigned long long)self->cursor);
            self->warned_unreachable = false;
            return self->live ? FOLLOW_AGAIN : FOLLOW_DONE;
        }
        /* Live, a broker that is away (restarting, network down) is waited for. */
        if (st == FOLLOW_UNREACHABLE && self->live) {
            if (!self->warned_unreachable && self->queries.n < 2)
                log_warnx(_("follow: %s; still trying"), self->error);
            st = follow_move_on(self);
            self->warned_unreachable = true;
            return st;
        }
        return st;
    }
    return follow_live(self, wait_ms);
}

follow_status_t
follow_run(follow_t *self)
{
    follow_status_t st;

    do
        st = follow_step(self, FOLLOW_SLICE_MS);
    while (st == FOLLOW_AGAIN);
    return st;
}
