/*
 * agentd: see agentd.h.
 *
 * Two reconnection layers work together. ZeroMQ itself retries a connection that cannot be
 * made, with exponential backoff and jitter between backoff_min_ms and backoff_max_ms, and
 * hands over what was queued as soon as it connects, so a broker that comes back is noticed
 * within one of those intervals. Above it, an attempt that got no answer for its whole window
 * (timeout_ms, doubling up to backoff_max_ms, with jitter) throws the socket away and starts a
 * fresh one: that is what gets past a half-open connection or a broker that accepts but never
 * answers.
 *
 * Several brokers (`broker = EP1,EP2`, common/eplist.h): the socket is connected to one
 * endpoint at a time, the first at start. A lost broker sends the first reconnection attempt to
 * the next endpoint of the list, and every attempt that gets no answer moves on again (wrapping
 * round), so the agent settles on whichever broker answers; everything unacked goes again from
 * the outbox, and the broker's dedup makes repeats harmless. With one endpoint nothing moves.
 *
 * A full disk under the outbox loses nothing: a spool file that cannot be taken stays in the
 * spool (looked at again every second), answers that cannot be recorded leave their events
 * queued (sent again, the broker answers them as duplicates), and the condition is logged
 * once when it starts and once when the outbox is written again. A broker whose disk is full
 * answers "storage": the event is held and sent again, and that too is logged once per spell.
 *
 * Answers are paired with events by the id they carry. A broker answers the frames of one
 * connection in the order it got them, so the socket also keeps the ids of its frames not yet
 * answered, in order ("" for a ping): an answer without an id (or with an id we did not send)
 * belongs to the oldest of them. A "malformed" refusal of that kind (a frame the broker could
 * not read far enough for its id) is attributed to that event only when no other event waits
 * for an answer on the socket, so it cannot be the answer of another; the event then goes to
 * the rejected list like any refusal instead of being sent for ever. When several wait, the
 * socket is replaced and events go one at a time until the refused one is found. Temporary
 * refusals ("storage", "busy") and those about the link rather than a frame ("version",
 * "unauthorized") never reject an event.
 *
 * A broker over whose quota we send answers "busy" with a retry-after: the event is held
 * that long, then sent again.
 */
#include "agentd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "client.h"
#include "codec.h"
#include "curvecfg.h"
#include "eplist.h"
#include "i18n.h"
#include "log.h"
#include "outbox.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "spool.h"
#include "util.h"

/* Most spool files taken in one cron round, so a backlog does not stall the socket. */
#define SCAN_FILES_MAX 32
/* Most answers received in one drain. */
#define DRAIN_MAX 4096
/* The longest poll, so a changed config or a stop is never waited on long. */
#define POLL_MAX_MS 1000
/* After the outbox could not record answers: pause sending this long. */
#define STORAGE_PAUSE_MS 1000
/* How often old history is pruned. */
#define PRUNE_EVERY_MS (3600 * 1000)

/* An event sent and not yet answered, or held back after a "storage" refusal. */
typedef struct flight {
    pm_entry_t *ev;
    int64_t sent_at; /* monotonic: the last send */
    int64_t due;     /* monotonic: resend (on the wire) or send (held) at */
    int tries;
    bool held;
} flight_t;

/* An answered event waiting for settle(). */
typedef struct answer {
    pm_entry_t *ev;
    pm_msg_t *reply;
} answer_t;

struct agentd {
    const agentcfg_t *cfg;
    void *zctx;
    int lockfd;
    outbox_t *outbox;
    spool_t *spool;
    void *sock;
    char *list;       /* cfg->broker when it was parsed, to notice a changed config */
    strv_t endpoints; /* the brokers, in order of preference */
    size_t cur;       /* the one in use */
    char *endpoint;   /* what sock is connected to */
    uint8_t *ping;    /* the encoded ping, the same every time */
    size_t pinglen;

    strv_t wire; /* the frames on sock not answered yet, oldest first: event ids, "" a ping */
    bool single; /* an unattributable refusal: one event at a time until it is found again */
    flight_t *flights;
    size_t nflights;
    answer_t *answers;
    size_t nanswers;
    bool dirty;    /* the queue may hold something sendable */
    bool draining; /* stopping: no input, nothing new sent */

    /* The link. */
    bool up;
    bool key_refused;         /* the broker refused our key (handshake or "unauthorized") */
    handshake_watch_t *watch; /* on sock: tells a refused key from a silent broker */
    bool down_logged;         /* the broker's absence was logged; the return will be too */
    bool refusal_logged;      /* an id-less refusal on this connection was logged */
    bool ping_out;            /* a ping waits for its answer */
    int64_t ping_sent;        /* monotonic */
    int64_t last_answer;      /* monotonic */
    int64_t next_ping;        /* monotonic */
    int64_t attempt_end;      /* monotonic: down, the current attempt's window ends */
    int64_t window_ms;        /* down, the next attempt's window before jitter */
    int64_t down_since;       /* monotonic, for the log line when it comes back */
    int64_t paused_until;     /* monotonic: the outbox failed, send nothing before */
    bool outbox_full;         /* the disk holding the outbox is full (logged) */
    int64_t full_since;  /* monotonic: since then (a stepped wall clock cannot skew the span) */
    bool storage_logged; /* a "storage" refusal of the broker was logged; the next ack rearms */
    bool busy_logged;    /* a "busy" refusal (over our quota) was logged; the next ack rearms */
    uint64_t head;       /* the broker's committed head, from the last ping */

    int64_t next_scan;
    int64_t next_prune;
    unsigned seed;

    uint64_t acks, duplicates, refusals, resends, files, events;
};

/* A pause with jitter: uniformly between half of ms and ms. */
static int64_t
jitter(agentd_t *self, int64_t ms)
{
    return ms / 2 + (int64_t)(rand_r(&self->seed) % (unsigned)(ms / 2 + 1));
}

/*
 * Record the link in the outbox, for `permit-agent status`, with our pid in the same
 * transaction: status trusts the link facts only when they carry the pid of the daemon
 * holding the lock, not those a previous daemon left.
 */
static void
note_link(agentd_t *self, const char *link)
{
    char since[32], head[32], pid[32];
    const char *facts[] = {
        "link",         link,      "link_since_ms", since,        "broker_head", head, "broker",
        self->endpoint, "brokers", self->list,      "daemon_pid", pid,           NULL};

    snprintf(since, sizeof(since), "%lld", (long long)util_now_ms());
    snprintf(head, sizeof(head), "%llu", (unsigned long long)self->head);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    if (outbox_note(self->outbox, facts) != 0 && !outbox_full(self->outbox))
        log_warnx(_("cannot record the broker's state in the outbox"));
}

/* A full disk under the outbox: logged when it starts and when the outbox is written again. */
static void
outbox_watch(agentd_t *self)
{
    bool full = outbox_full(self->outbox);

    if (full && !self->outbox_full) {
        self->full_since = util_mono_ms();
        log_warnx(_("outbox: the disk holding %s is full: new spool files stay in the spool and "
                    "answers are asked for again until space returns; nothing is dropped "
                    "(permit-agent send --queue exits 73 meanwhile)"),
                  self->cfg->state);
    } else if (!full && self->outbox_full) {
        log_info(_("outbox: writable again after %.1f s of a full disk"),
                 (double)(util_mono_ms() - self->full_since) / 1000);
    }
    self->outbox_full = full;
}

static uint64_t
queued_count(agentd_t *self)
{
    outbox_stats_t st = {0};
    uint64_t n = 0;

    if (outbox_stats(self->outbox, &st) == 0)
        n = st.queued;
    outbox_stats_clear(&st);
    return n;
}

static void
sock_close(agentd_t *self)
{
    handshake_watch_destroy(&self->watch);
    if (self->sock != NULL)
        zmq_close(self->sock);
    self->sock = NULL;
    self->refusal_logged = false;
    strv_clear(&self->wire); /* their answers die with the socket */
}

/* Forget the first n frames of the socket's: answered, or their answers were lost. */
static void
wire_pop(agentd_t *self, size_t n)
{
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        free(self->wire.v[i]);
    memmove(self->wire.v, self->wire.v + n, (self->wire.n - n + 1) * sizeof(char *));
    self->wire.n -= n;
}

/* Where id (or "" for a ping) waits among the socket's frames, or -1. */
static long
wire_find(const agentd_t *self, const char *id)
{
    for (size_t i = 0; i < self->wire.n; i++)
        if (strcmp(self->wire.v[i], id) == 0)
            return (long)i;
    return -1;
}

/* A fresh DEALER socket on the endpoint in use. 0, or -1 with a reason in why. */
static int
sock_open(agentd_t *self, char *why, size_t whylen)
{
    int linger = 0, ivl = self->cfg->backoff_min_ms, ivl_max = self->cfg->backoff_max_ms;
    int hwm = 0;
    int64_t maxsize = CODEC_MAX_FRAME;
    void *sock = zmq_socket(self->zctx, ZMQ_DEALER);
    handshake_watch_t *watch;

    if (sock == NULL) {
        snprintf(why, whylen, _("zmq_socket: %s"), zmq_strerror(errno));
        return -1;
    }
    /* Unanswered messages die with the socket: the outbox has them. The window bounds the
     * queue, so no high-water mark. */
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize)) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm)) != 0 ||
        zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl)) != 0 ||
        zmq_setsockopt(sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof(ivl_max)) != 0) {
        snprintf(why, whylen, _("zmq_setsockopt: %s"), zmq_strerror(errno));
        zmq_close(sock);
        return -1;
    }
    if (curvecfg_client_apply(sock, why, whylen) != 0) {
        zmq_close(sock);
        return -1;
    }
    watch = handshake_watch_new(self->zctx, sock, self->endpoints.v[self->cur], why, whylen);
    if (watch == NULL) {
        zmq_close(sock);
        return -1;
    }
    if (zmq_connect(sock, self->endpoints.v[self->cur]) != 0) {
        snprintf(why, whylen, _("cannot connect to '%s': %s"), self->endpoints.v[self->cur],
                 zmq_strerror(errno));
        handshake_watch_destroy(&watch);
        zmq_close(sock);
        return -1;
    }
    sock_close(self);
    self->sock = sock;
    self->watch = watch;
    xstrset(&self->endpoint, self->endpoints.v[self->cur]);
    return 0;
}

/* Send one frame (id: the event's, "" for a ping); a failure only loses this try (the timeout
 * sends it again). */
static void
sock_send(agentd_t *self, const void *buf, size_t len, const char *id)
{
    if (self->sock == NULL)
        return;
    if (zmq_send(self->sock, buf, len, ZMQ_DONTWAIT) < 0)
        log_debug("send to %s: %s", self->endpoint, zmq_strerror(errno));
    else
        strv_push(&self->wire, id);
}

/*
 * When the broker is late: timeout_ms after the oldest unanswered send or the last answer,
 * whichever came later. -1 when nothing waits for an answer.
 */
static int64_t
answer_due(const agentd_t *self)
{
    int64_t oldest = self->ping_out ? self->ping_sent : -1;

    for (size_t i = 0; i < self->nflights; i++) {
        const flight_t *f = &self->flights[i];
        if (!f->held && (oldest < 0 || f->sent_at < oldest))
            oldest = f->sent_at;
    }
    if (oldest < 0)
        return -1;
    return (oldest > self->last_answer ? oldest : self->last_answer) + self->cfg->timeout_ms;
}

static void
send_event(agentd_t *self, flight_t *f, int64_t now)
{
    pm_msg_t msg = {.version = PM_PROTOCOL_VERSION, .type = PM_MSG_EVENT, .entry = f->ev};
    uint8_t *buf = NULL;
    size_t len = 0;

    if (codec_encode(&msg, &buf, &len) != 0) {
        log_warnx(_("cannot encode event %s"), f->ev->event_id); /* our bug */
        return;
    }
    sock_send(self, buf, len, f->ev->event_id);
    free(buf);
    f->held = false;
    f->tries++;
    f->sent_at = now;
    f->due = now + self->cfg->timeout_ms;
}

static void
send_ping(agentd_t *self, int64_t now)
{
    sock_send(self, self->ping, self->pinglen, "");
    self->ping_out = true;
    self->ping_sent = now;
    self->next_ping = now + self->cfg->heartbeat_ms;
}

static void
flights_clear(agentd_t *self)
{
    for (size_t i = 0; i < self->nflights; i++)
        pm_entry_destroy(&self->flights[i].ev);
    self->nflights = 0;
}

/* The broker in use does not answer: the next attempt goes to the next one of the list. */
static void
next_endpoint(agentd_t *self)
{
    if (self->endpoints.n < 2)
        return;
    self->cur = (self->cur + 1) % self->endpoints.n;
    log_debug("trying the broker at %s next", self->endpoints.v[self->cur]);
}

/*
 * Start a reconnection attempt: a fresh socket and a ping that waits in it for the connection.
 * 0, or -1 with a reason in why when no socket could be made (the next attempt tries again).
 */
static int
attempt(agentd_t *self, int64_t now, char *why, size_t whylen)
{
    int rc = sock_open(self, why, whylen);

    self->ping_out = false;
    if (rc == 0)
        send_ping(self, now);
    self->attempt_end = now + jitter(self, self->window_ms);
    self->window_ms *= 2;
    if (self->window_ms > self->cfg->backoff_max_ms)
        self->window_ms = self->cfg->backoff_max_ms > self->cfg->timeout_ms
                              ? self->cfg->backoff_max_ms
                              : self->cfg->timeout_ms;
    return rc;
}

/* Go down: everything in flight goes back to the outbox's care, and attempts begin. */
static int
link_down(agentd_t *self, int64_t now, char *why, size_t whylen)
{
    self->up = false;
    flights_clear(self);
    self->window_ms = self->cfg->timeout_ms;
    self->down_since = util_mono_ms();
    return attempt(self, now, why, whylen);
}

static void
link_lost(agentd_t *self, int64_t now)
{
    size_t inflight = self->nflights;
    char why[256], *lost = xstrdup(self->endpoint);

    next_endpoint(self);
    if (link_down(self, now, why, sizeof(why)) != 0)
        log_warnx("%s", why);
    if (self->key_refused) {
        /* The broker did answer: it refused our key, and that was said already. */
        free(lost);
        return;
    }
    if (self->endpoints.n > 1)
        log_warnx(_("broker lost: no answer from %s for %d ms; trying %s; %llu events wait in the "
                    "outbox (%zu of them were in flight and go again)"),
                  lost, self->cfg->timeout_ms, self->endpoint,
                  (unsigned long long)queued_count(self), inflight);
    else
        log_warnx(_("broker lost: no answer from %s for %d ms; %llu events wait in the outbox (%zu "
                    "of them were in flight and go again)"),
                  lost, self->cfg->timeout_ms, (unsigned long long)queued_count(self), inflight);
    free(lost);
    self->down_logged = true;
    note_link(self, "down");
}

/*
 * The broker refused our key: in the handshake (why from the handshake watch) or by answering
 * "unauthorized" on a live connection (a key revoked by SIGHUP). Logged once per spell with
 * the next step, and recorded as the link "refused" for `permit-agent status`; the events stay
 * queued and go once the key is trusted (again).
 */
static void
key_refused(agentd_t *self, const char *why)
{
    const char *name = curvecfg_client_name();
    const char *facts[] = {"key_name", name ? name : "", NULL};

    if (self->key_refused)
        return;
    self->key_refused = true;
    self->up = false;
    self->down_logged = true;
    log_warnx(_("%s; %llu events wait in the outbox and go once the broker trusts this key"), why,
              (unsigned long long)queued_count(self));
    /* status names the key file to add, without reading our config. */
    outbox_note(self->outbox, facts);
    note_link(self, "refused");
}

static void
link_up(agentd_t *self, uint64_t head)
{
    if (self->key_refused)
        log_info(_("the broker at %s accepts this key again"), self->endpoint);
    self->key_refused = false;
    self->up = true;
    self->dirty = true;
    self->head = head;
    if (self->down_logged)
        log_info(_("broker back: %s answers again after %.1f s (head %llu)"), self->endpoint,
                 (double)(util_mono_ms() - self->down_since) / 1000, (unsigned long long)head);
    else
        log_info(_("broker reachable at %s (head %llu)"), self->endpoint, (unsigned long long)head);
    self->down_logged = false;
    note_link(self, "up");
}

/* The link's deadlines: lost, resends, held events, pings, attempts. */
static void
link_timers(agentd_t *self, int64_t now)
{
    int64_t due = answer_due(self);
    char why[256];

    if (!self->up) {
        if (now < self->attempt_end)
            return;
        if (!self->down_logged) {
            log_warnx(_("broker at %s does not answer; events wait in the outbox (%llu queued) and "
                        "go when it answers"),
                      self->endpoint != NULL ? self->endpoint : self->endpoints.v[self->cur],
                      (unsigned long long)queued_count(self));
            self->down_logged = true;
            note_link(self, "down");
        }
        next_endpoint(self);
        if (attempt(self, now, why, sizeof(why)) != 0)
            log_warnx("%s", why);
        return;
    }
    if (due >= 0 && now >= due) {
        link_lost(self, now);
        return;
    }
    for (size_t i = 0; i < self->nflights; i++) {
        flight_t *f = &self->flights[i];
        if (f->due > now || self->draining)
            continue;
        /* The broker answers others but not this one: its frame was lost on the way. */
        if (!f->held) {
            log_debug("no answer for %s within %d ms; sending it again", f->ev->event_id,
                      self->cfg->timeout_ms);
            self->resends++;
        }
        send_event(self, f, now);
    }
    if (due < 0 && now >= self->next_ping && !self->draining)
        send_ping(self, now);
}

static flight_t *
flight_find(agentd_t *self, const char *id)
{
    for (size_t i = 0; i < self->nflights; i++)
        if (strcmp(self->flights[i].ev->event_id, id) == 0)
            return &self->flights[i];
    return NULL;
}

/* Move an answered flight to the answers; takes the reply. */
static void
flight_answered(agentd_t *self, flight_t *f, pm_msg_t **reply)
{
    answer_t *a;

    self->answers = xgrow(self->answers, self->nanswers, sizeof(*self->answers));
    a = &self->answers[self->nanswers++];
    a->ev = f->ev;
    a->reply = *reply;
    *reply = NULL;
    *f = self->flights[--self->nflights];
}

/* Pause before resending after a "storage" refusal: grows with the event's tries. */
static int64_t
storage_pause(agentd_t *self, int tries)
{
    int64_t ms = self->cfg->backoff_min_ms;

    for (int i = 1; i < tries && ms < self->cfg->backoff_max_ms; i++)
        ms *= 2;
    return jitter(self, ms < self->cfg->backoff_max_ms ? ms : self->cfg->backoff_max_ms);
}

/*
 * A refusal that names no event we sent (no id, or another id) belongs to the socket's oldest
 * unanswered frame, whose answer it is. A "malformed" one rejects that event when no other
 * event waits for an answer on the socket; otherwise the socket is replaced and events go one
 * at a time, so the next such refusal can be attributed. Returns the flight to reject (the
 * reply then names it), or NULL.
 */
static flight_t *
unattributed(agentd_t *self, pm_reply_t *r)
{
    char *head = self->wire.n > 0 ? xstrdup(self->wire.v[0]) : NULL;
    flight_t *f = NULL;
    bool alone = true;
    char why[256];

    wire_pop(self, head != NULL ? 1 : 0);
    for (size_t i = 0; i < self->wire.n && head != NULL; i++)
        if (self->wire.v[i][0] != '\0' && strcmp(self->wire.v[i], head) != 0)
            alone = false;
    if (!r->ok && util_strcmp0(r->code, PM_REFUSE_MALFORMED) == 0 && !util_empty(head))
        f = flight_find(self, head);
    if (f != NULL && alone) {
        char *reason = xasprintf(_("%s (the broker named no event; this was the only one waiting "
                                   "for an answer)"),
                                 r->reason ? r->reason : _("no reason given"));
        log_warnx(_("the broker at %s refused a frame it could not read (%s); it was %s, the only "
                    "event waiting for an answer"),
                  self->endpoint, r->code, head);
        xstrset(&r->id, head);
        free(r->reason);
        r->reason = reason;
        free(head);
        return f;
    }
    if (f != NULL) {
        /* Several wait: a fresh socket, and one at a time from now on until it is found. */
        log_warnx(_("the broker at %s refused a frame it could not read (%s: %s) while %zu events "
                    "waited for an answer; sending them one at a time to find it"),
                  self->endpoint, r->code, r->reason ? r->reason : "", self->nflights);
        self->single = true;
        flights_clear(self);
        self->dirty = true;
        if (sock_open(self, why, sizeof(why)) != 0)
            log_warnx("%s", why);
    } else if (!r->ok && !self->refusal_logged) {
        log_warnx(_("the broker at %s refused a message without reading it (%s): %s"),
                  self->endpoint, r->code ? r->code : "?", r->reason ? r->reason : "");
        self->refusal_logged = true;
    }
    free(head);
    return NULL;
}

/* The handler of one answer from the broker. */
static void
handle_reply(agentd_t *self, pm_msg_t **msg, int64_t now)
{
    pm_reply_t *r = (*msg)->reply;
    flight_t *f;
    long at;

    if ((*msg)->type != PM_MSG_REPLY || r == NULL) {
        log_warnx(_("unexpected message type %d from %s; ignored"), (int)(*msg)->type,
                  self->endpoint);
        return;
    }
    if (!r->ok && util_strcmp0(r->code, PM_REFUSE_UNAUTHORIZED) == 0) {
        const char *name = curvecfg_client_name();
        char why[512];

        snprintf(
            why, sizeof(why),
            _("the broker at %s refused this key (unauthorized: %s): ask the broker's admin to "
              "add %s.key to keys_dir"),
            self->endpoint, r->reason ? r->reason : "not trusted", name ? name : "NAME");
        key_refused(self, why);
        return;
    }
    if (!self->up)
        link_up(self, r->ok && util_empty(r->id) ? r->seq : self->head);
    if (util_empty(r->id) && r->ok) {
        /* A ping's answer: the frames before that ping lost theirs. */
        self->head = r->seq;
        wire_pop(self, (size_t)(wire_find(self, "") + 1));
        return;
    }
    at = util_empty(r->id) ? -1 : wire_find(self, r->id);
    if (at >= 0) {
        wire_pop(self, (size_t)at + 1);
        f = flight_find(self, r->id);
    } else if (!r->ok) {
        f = unattributed(self, r);
    } else {
        f = flight_find(self, r->id);
    }
    if (f == NULL && r->ok && at >= 0) {
        /* Settled already, or dropped by a clerk while in flight: an ack is recorded anyway
         * (the outbox changes only a dropped event: the broker has it after all). */
        self->answers = xgrow(self->answers, self->nanswers, sizeof(*self->answers));
        self->answers[self->nanswers++] = (answer_t){.ev = NULL, .reply = *msg};
        *msg = NULL;
        return;
    }
    if (f == NULL) {
        log_debug("late answer for %s (settled already)", util_empty(r->id) ? "?" : r->id);
        return;
    }
    if (!r->ok && util_strcmp0(r->code, PM_REFUSE_STORAGE) == 0) {
        f->held = true;
        f->due = now + storage_pause(self, f->tries);
        /* Once per spell (a full disk at the broker refuses everything for a while). */
        if (!self->storage_logged)
            log_info(_("the broker could not store %s for now (%s); sending it again in %lld ms, "
                       "and the others it refuses so until it acks again"),
                     r->id, r->reason ? r->reason : "storage", (long long)(f->due - now));
        self->storage_logged = true;
        return;
    }
    if (!r->ok && util_strcmp0(r->code, PM_REFUSE_BUSY) == 0) {
        /* Over our quota at the broker: held, and sent again when it says, not sooner. */
        f->held = true;
        f->due =
            now + (r->retry_after_ms > 0 ? (int64_t)r->retry_after_ms : self->cfg->backoff_min_ms);
        if (!self->busy_logged)
            log_info(_("the broker is busy with our events (%s); %s waits %lld ms, and the others "
                       "it refuses so as long as it says"),
                     r->reason ? r->reason : "busy", r->id, (long long)(f->due - now));
        self->busy_logged = true;
        return;
    }
    if (r->ok)
        self->storage_logged = self->busy_logged = false;
    if (!r->ok && self->single && util_strcmp0(r->code, PM_REFUSE_MALFORMED) == 0) {
        log_info(_("found the event the broker could not read: %s; sending as many at a time "
                   "as before"),
                 r->id);
        self->single = false;
    }
    flight_answered(self, f, msg);
}

/* Receive every answer waiting, up to a cap. */
static void
drain(agentd_t *self, int64_t now)
{
    for (int i = 0; i < DRAIN_MAX && self->sock != NULL; i++) {
        zmq_msg_t frame;
        pm_msg_t *msg = NULL;
        char why[256];
        int more = 0;
        size_t morelen = sizeof(more);

        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            break;
        }
        zmq_getsockopt(self->sock, ZMQ_RCVMORE, &more, &morelen);
        if (more) {
            log_warnx(_("a reply of more than one frame from %s; ignored"), self->endpoint);
            while (more && zmq_msg_recv(&frame, self->sock, 0) >= 0)
                zmq_getsockopt(self->sock, ZMQ_RCVMORE, &more, &morelen);
        } else if (codec_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &msg, why,
                                sizeof(why)) != 0) {
            log_warnx(_("bad reply from %s: %s"), self->endpoint, why);
        } else if (msg->version != PM_PROTOCOL_VERSION) {
            log_warnx(_("%s speaks protocol version %u, we speak %u"), self->endpoint, msg->version,
                      PM_PROTOCOL_VERSION);
        } else {
            /* Any answer shows the broker alive: what a ping would have asked. */
            self->last_answer = now;
            self->ping_out = false;
            self->next_ping = now + self->cfg->heartbeat_ms;
            handle_reply(self, &msg, now);
        }
        pm_msg_destroy(&msg);
        zmq_msg_close(&frame);
    }
}

/* Say what became of each answered event, once it is recorded. */
static void
log_answer(agentd_t *self, const answer_t *a)
{
    const pm_reply_t *r = a->reply->reply;
    const pm_entry_t *e = a->ev;

    if (e == NULL) {
        log_debug("late ack for %s: seq %llu", r->id, (unsigned long long)r->seq);
        return;
    }
    if (r->ok) {
        self->acks++;
        self->duplicates += r->duplicate;
        log_debug("acked %s (%s %s %s): seq %llu%s", e->event_id, e->project, e->procedure,
                  pm_kind_name(e->kind), (unsigned long long)r->seq,
                  r->duplicate ? ", logged before" : "");
        return;
    }
    self->refusals++;
    log_warnx(_("refused %s (%s %s %s): %s: %s; it waits in the rejected list (permit-agent "
                "status, retry, drop)"),
              e->event_id, e->project, e->procedure, pm_kind_name(e->kind), r->code ? r->code : "?",
              r->reason ? r->reason : _("no reason given"));
}

/*
 * Record the answers in one transaction. Nothing is sent before this: the successor of an
 * answered event goes out only once the answer is on disk.
 */
static void
settle(agentd_t *self, int64_t now)
{
    outbox_result_t *res;

    if (self->nanswers == 0)
        return;
    res = xcalloc(self->nanswers, sizeof(*res));
    for (size_t i = 0; i < self->nanswers; i++) {
        const pm_reply_t *r = self->answers[i].reply->reply;
        res[i] = (outbox_result_t){.id = r->id,
                                   .ok = r->ok,
                                   .seq = r->seq,
                                   .duplicate = r->duplicate,
                                   .code = r->code,
                                   .reason = r->reason};
    }
    if (outbox_settle(self->outbox, res, self->nanswers, util_now_ms()) != 0) {
        /* They stay queued: sent again later, the broker answers the same. */
        if (!outbox_full(self->outbox))
            log_warnx(_("cannot record %zu answers in the outbox; asking again in %d ms"),
                      self->nanswers, STORAGE_PAUSE_MS);
        self->paused_until = now + STORAGE_PAUSE_MS;
    } else {
        for (size_t i = 0; i < self->nanswers; i++)
            log_answer(self, &self->answers[i]);
    }
    for (size_t i = 0; i < self->nanswers; i++) {
        pm_entry_destroy(&self->answers[i].ev);
        pm_msg_destroy(&self->answers[i].reply);
    }
    self->nanswers = 0;
    self->dirty = true;
    free(res);
}

/* Send the first queued event of each pair not in flight yet, up to the window. */
static void
fill(agentd_t *self, int64_t now)
{
    size_t window = self->single ? 1 : (size_t)self->cfg->window, n = 0;
    pm_entry_t **heads = NULL;

    if (!self->up || !self->dirty || self->draining || now < self->paused_until ||
        self->nflights >= window)
        return;
    if (outbox_heads(self->outbox, window + self->nflights, &heads, &n) != 0) {
        self->paused_until = now + STORAGE_PAUSE_MS;
        return;
    }
    self->dirty = false;
    if (self->single && n == 0 && self->nflights == 0)
        self->single = false; /* the queue is empty: whatever was refused is not in it */
    for (size_t i = 0; i < n && self->nflights < window; i++) {
        flight_t *f;
        if (flight_find(self, heads[i]->event_id) != NULL)
            continue;
        self->flights = xgrow(self->flights, self->nflights, sizeof(*self->flights));
        f = &self->flights[self->nflights++];
        memset(f, 0, sizeof(*f));
        f->ev = heads[i];
        heads[i] = NULL;
        send_event(self, f, now);
    }
    outbox_free_events(&heads, n);
}

/* The spool's take: a file's events into the outbox in one transaction. */
static int
take_file(void *arg, const spool_file_t *file, char *why, size_t whylen)
{
    agentd_t *self = arg;
    outbox_item_t *items = xcalloc(file->n + 1, sizeof(*items));
    strv_t sources = {0};
    size_t added = 0;
    int rc;

    for (size_t i = 0; i < file->n; i++) {
        char *src = xasprintf("%s:%u", file->name, file->lines[i]);
        strv_push(&sources, src);
        free(src);
    }
    for (size_t i = 0; i < file->n; i++)
        items[i] = (outbox_item_t){.event = file->events[i], .source = sources.v[i]};
    rc = outbox_add(self->outbox, items, file->n, util_now_ms(), &added, why, whylen);
    if (rc == OUTBOX_FULL)
        rc = SPOOL_TAKE_LATER; /* outbox_watch says it once */
    if (rc == 0) {
        self->files++;
        self->events += added;
        self->dirty = true;
        if (added == file->n)
            log_info(ngettext("spool: took %s: %zu event", "spool: took %s: %zu events", file->n),
                     file->name, file->n);
        else
            log_info(
                _("spool: took %s: %zu events, %zu of them new (the others were taken before)"),
                file->name, file->n, added);
    }
    strv_clear(&sources);
    free(items);
    return rc;
}

/*
 * A clerk may drop an event that is in flight (permit-agent drop): it is not sent again. An
 * answer that still comes for it is recorded (an ack marks it sent: the broker has it).
 */
static void
forget_dropped(agentd_t *self)
{
    for (size_t i = 0; i < self->nflights;) {
        flight_t *f = &self->flights[i];
        if (outbox_queued(self->outbox, f->ev->event_id) != 0) {
            i++;
            continue;
        }
        log_info(_("%s was dropped by a clerk; it is no longer sent"), f->ev->event_id);
        pm_entry_destroy(&f->ev);
        *f = self->flights[--self->nflights];
    }
}

/* The periodic chores: input, changes by other processes, history. */
static void
cron(agentd_t *self, int64_t now)
{
    bool more = false;

    if (now < self->next_scan || self->draining)
        return;
    if (outbox_changed(self->outbox)) {
        self->dirty = true;
        forget_dropped(self);
    }
    /* After a failed take, look again later rather than warn every round. */
    if (spool_scan(self->spool, SCAN_FILES_MAX, take_file, self, &more) < 0)
        self->next_scan =
            now + (outbox_full(self->outbox) ? STORAGE_PAUSE_MS : STORAGE_PAUSE_MS * 5);
    else
        self->next_scan = now + (more ? 0 : self->cfg->scan_ms);
    if (now >= self->next_prune) {
        if (self->cfg->keep_days > 0 &&
            outbox_prune(self->outbox, util_now_ms() - (int64_t)self->cfg->keep_days * 86400000) !=
                0 &&
            !outbox_full(self->outbox))
            log_warnx(_("cannot prune the outbox's history"));
        self->next_prune = now + PRUNE_EVERY_MS;
    }
}

/* The earliest deadline of anything the loop waits for. */
static int64_t
next_deadline(const agentd_t *self, int64_t now)
{
    int64_t t = now + POLL_MAX_MS;

#define EARLIER(x)                                                                                 \
    do {                                                                                           \
        if ((x) < t)                                                                               \
            t = (x);                                                                               \
    } while (0)
    if (!self->draining)
        EARLIER(self->next_scan);
    if (!self->up) {
        EARLIER(self->attempt_end);
    } else {
        int64_t due = answer_due(self);
        if (due >= 0)
            EARLIER(due);
        else if (!self->draining)
            EARLIER(self->next_ping);
        for (size_t i = 0; i < self->nflights; i++)
            if (!self->draining)
                EARLIER(self->flights[i].due);
        if (self->dirty && now < self->paused_until)
            EARLIER(self->paused_until);
    }
#undef EARLIER
    return t;
}

/*
 * Wait for answers until the deadline, or until a signal came (the signal pipe is in the poll
 * set, common/sigwake.h). 0, or -1 on an error.
 */
static int
wait_answers(agentd_t *self, int64_t now, int64_t deadline)
{
    zmq_pollitem_t items[3];
    long timeout = deadline > now ? (long)(deadline - now) : 0;
    long wd = sdnotify_watchdog_ms();
    int nitems = 0, n;
    char why[512];

    if (wd >= 0 && wd < timeout)
        timeout = wd; /* the next WATCHDOG=1 is sent from the loop, not from inside the poll */
    if (self->sock != NULL) {
        items[nitems++] = (zmq_pollitem_t){self->sock, 0, ZMQ_POLLIN, 0};
        items[nitems++] = (zmq_pollitem_t){handshake_watch_socket(self->watch), 0, ZMQ_POLLIN, 0};
    }
    if (sigwake_fd() >= 0)
        items[nitems++] = (zmq_pollitem_t){NULL, sigwake_fd(), ZMQ_POLLIN, 0};
    n = zmq_poll(items, nitems, timeout);
    if (n < 0) {
        if (zmq_errno() == EINTR)
            return 0;
        log_warnx(_("poll: %s"), zmq_strerror(zmq_errno()));
        return -1;
    }
    if (self->sock != NULL && (items[1].revents & ZMQ_POLLIN) &&
        handshake_refused(self->watch, why, sizeof(why)) == 1)
        key_refused(self, why);
    if (self->sock != NULL && (items[0].revents & ZMQ_POLLIN))
        drain(self, util_mono_ms());
    return 0;
}

int
agentd_run(agentd_t *self)
{
    /* Every iteration: a signal that came while the last one worked is not left waiting. */
    while (sigwake_pending() == 0) {
        int64_t now = util_mono_ms();
        int rc;

        sdnotify_watchdog();
        cron(self, now);
        link_timers(self, now);
        fill(self, now);
        rc = wait_answers(self, now, next_deadline(self, now));
        settle(self, util_mono_ms());
        outbox_watch(self);
        if (rc < 0)
            return -1;
    }
    return 0;
}

void
agentd_drain(agentd_t *self)
{
    int64_t now = util_mono_ms(), end = now + self->cfg->drain_ms;
    size_t waiting = 0;

    self->draining = true;
    for (size_t i = 0; i < self->nflights; i++)
        waiting += !self->flights[i].held;
    if (self->up && waiting > 0)
        log_info(_("stopping: waiting up to %d ms for the answers to %zu events"),
                 self->cfg->drain_ms, waiting);
    while (self->up && now < end) {
        waiting = 0;
        for (size_t i = 0; i < self->nflights; i++)
            waiting += !self->flights[i].held;
        if (waiting == 0)
            break;
        link_timers(self, now);
        if (wait_answers(self, now, end < now + 100 ? end : now + 100) < 0)
            break;
        sigwake_pending(); /* a second SIGTERM must not make the wait above spin */
        now = util_mono_ms();
        settle(self, now);
    }
    settle(self, now);
    log_info(_("stopped: %llu acked (%llu logged before), %llu refused, %llu resent; %llu events "
               "from %llu spool files; %llu wait in the outbox"),
             (unsigned long long)self->acks, (unsigned long long)self->duplicates,
             (unsigned long long)self->refusals, (unsigned long long)self->resends,
             (unsigned long long)self->events, (unsigned long long)self->files,
             (unsigned long long)queued_count(self));
    note_link(self, "stopped");
}

/* Read cfg->broker into the endpoint list, starting on its first. 0, or -1 with a reason. */
static int
endpoints_load(agentd_t *self, char *why, size_t whylen)
{
    strv_t eps = {0};

    if (eplist_parse(self->cfg->broker, &eps, why, whylen) != 0)
        return -1;
    strv_clear(&self->endpoints);
    self->endpoints = eps;
    self->cur = 0;
    xstrset(&self->list, self->cfg->broker);
    return 0;
}

void
agentd_reconfigure(agentd_t *self)
{
    char why[256];

    if (strcmp(self->cfg->broker, self->list) == 0)
        return;
    if (endpoints_load(self, why, sizeof(why)) != 0) {
        log_warnx(_("broker: %s; keeping %s"), why, self->list);
        return;
    }
    log_info(_("broker endpoint changed from %s to %s; reconnecting"), self->endpoint,
             self->cfg->broker);
    self->down_logged = false;
    if (link_down(self, util_mono_ms(), why, sizeof(why)) != 0)
        log_warnx("%s", why);
}

/* One daemon per state folder: a lock file in it, holding the pid, held for the process's life. */
static int
lock_state(const char *state, char **err)
{
    char *path = xasprintf("%s/%s", state, AGENTD_LOCK);
    int fd = -1;

    if (mkdir(state, 0750) != 0 && errno != EEXIST) {
        *err = xasprintf(_("cannot create the state folder %s: %s"), state, strerror(errno));
        goto done;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        *err = xasprintf(_("cannot open %s: %s"), path, strerror(errno));
        goto done;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        *err = xasprintf(_("another permit-agent is running on %s (%s is locked)"), state, path);
        close(fd);
        fd = -1;
        goto done;
    }
    if (ftruncate(fd, 0) != 0 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
        log_warn(_("cannot write the pid to %s"), path);

done:
    free(path);
    return fd;
}

int
agentd_running(const char *state, long *pid)
{
    char *path = xasprintf("%s/%s", state, AGENTD_LOCK);
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
    char buf[32] = {0};

    free(path);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        rc = 1;
        if (read(fd, buf, sizeof(buf) - 1) > 0)
            *pid = strtol(buf, NULL, 10);
    }
    close(fd);
    return rc;
}

agentd_t *
agentd_new(const agentcfg_t *cfg, void *zctx, char **err)
{
    agentd_t *self = xcalloc(1, sizeof(*self));
    pm_msg_t ping = {.version = PM_PROTOCOL_VERSION, .type = PM_MSG_PING, .agent = cfg->dept};
    char why[512];

    self->cfg = cfg;
    self->zctx = zctx;
    self->seed = (unsigned)getpid() ^ (unsigned)util_now_ms();
    self->lockfd = lock_state(cfg->state, err);
    if (self->lockfd < 0)
        goto fail;
    if (outbox_open(cfg->state, cfg->dept, true, &self->outbox, why, sizeof(why)) != 0 ||
        (self->spool = spool_new(cfg->spool, cfg->dept, why, sizeof(why))) == NULL) {
        *err = xstrdup(why);
        goto fail;
    }
    if (codec_encode(&ping, &self->ping, &self->pinglen) != 0) {
        *err = xstrdup(_("cannot encode a ping"));
        goto fail;
    }
    self->dirty = true;
    self->next_prune = util_mono_ms();
    /* A bad endpoint is a configuration error: refuse to start. */
    if (endpoints_load(self, why, sizeof(why)) != 0 ||
        link_down(self, util_mono_ms(), why, sizeof(why)) != 0) {
        *err = xstrdup(why);
        goto fail;
    }
    /* From now on status shows this daemon's brokers, trying the first, not the last run's. */
    note_link(self, "connecting");
    log_info(_("ready: department %s, broker %s, state %s, spool %s, %llu events in the outbox"),
             cfg->dept, cfg->broker, cfg->state, cfg->spool,
             (unsigned long long)queued_count(self));
    return self;

fail:
    agentd_destroy(&self);
    return NULL;
}

void
agentd_destroy(agentd_t **p)
{
    agentd_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    flights_clear(self);
    free(self->flights);
    for (size_t i = 0; i < self->nanswers; i++) {
        pm_entry_destroy(&self->answers[i].ev);
        pm_msg_destroy(&self->answers[i].reply);
    }
    free(self->answers);
    sock_close(self);
    free(self->endpoint);
    free(self->list);
    strv_clear(&self->endpoints);
    strv_clear(&self->wire);
    free(self->ping);
    spool_destroy(&self->spool);
    outbox_close(&self->outbox);
    if (self->lockfd >= 0)
        close(self->lockfd);
    free(self);
    *p = NULL;
}
