/*
 * ingest: the dispatcher of the ingest ROUTER socket, and the group commit.
 *
 * Everything waiting on the socket (up to batch_max) goes into one transaction; each message
 * gets a savepoint so a refusal undoes only itself. Acks are sent only after the commit
 * returned, so an ack always means durable. If the commit fails, every message of the batch
 * is answered "storage" (temporary): the sender keeps it and resends.
 *
 * A full disk is one such failure, lasting: every batch is refused "storage" with a reason
 * that says the disk is full, and the store logs the start and the end once; refusals for it
 * are not logged one by one. Everything is retried with the next message, so the first batch
 * after space returns is acked.
 *
 * Commit, acks, publication and checkpoint follow each other in tail.c, which the clock's
 * ticks share; messages reach the handlers through frame.c, which the query socket shares.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ingest.h"

#include "crashpoint.h"
#include "frame.h"
#include "log.h"
#include "tail.h"
#include "i18n.h"

typedef struct pending {
    void *rid;
    size_t rid_len;
    char who[128]; /* the sender, for the log */
    pm_reply_t reply;
    bool judged; /* the engine answered it from the state in the batch's transaction */
} pending_t;

typedef struct batch {
    pending_t *v;
    size_t n;
    entry_list_t appended;
    bool open;   /* a transaction is open */
    bool failed; /* storage failed: nothing of this batch is durable */
} batch_t;

static pm_reply_t *
batch_add(batch_t *b, void **rid, size_t rid_len)
{
    pending_t *p;

    b->v = xgrow(b->v, b->n, sizeof(pending_t));
    p = &b->v[b->n++];
    memset(p, 0, sizeof(*p));
    p->rid = *rid;
    p->rid_len = rid_len;
    *rid = NULL;
    return &p->reply;
}

static void
set_nack(pm_reply_t *r, const char *code, const char *reason)
{
    r->ok = false;
    r->duplicate = false;
    r->seq = 0;
    r->count = 0;
    xstrset(&r->code, code);
    xstrset(&r->reason, reason);
}

/* The temporary refusal of a storage failure; its reason says when the disk is full. */
static void
set_storage_nack(broker_t *self, pm_reply_t *r)
{
    set_nack(r, PM_REFUSE_STORAGE,
             store_full(self->store) ? "the broker's disk is full; nothing was logged, resend later"
                                     : "storage failure; resend later");
}

/* Open the batch's transaction if needed; false (and a storage nack) when it cannot be. */
static bool
batch_begin(broker_t *self, batch_t *b, pm_reply_t *r)
{
    if (!b->failed && !b->open) {
        if (self->rebuild_pending || store_begin(self->store) < 0)
            b->failed = true;
        else
            b->open = true;
    }
    if (b->failed)
        set_storage_nack(self, r);
    return !b->failed;
}

/* A sign of life from a department: a silent agent is logged back. Only a ping (an agent
 * daemon) starts the watch of a department (watch.h). */
static void
heard(broker_t *self, batch_t *b, const char *dept, bool ping)
{
    if (watch_heard(self->watch, self->engine, dept, ping, self->now(self->now_arg), &b->appended) <
        0)
        b->failed = true;
}

/* The id of what was sent, on its answer: it lets the sender match a refusal that comes before
 * the engine read the message (no storage, not authorized). */
static void
reply_id(const pm_msg_t *msg, pm_reply_t *r)
{
    if (msg->type == PM_MSG_EVENT && msg->entry != NULL)
        xstrset(&r->id, msg->entry->event_id);
    else if (msg->type == PM_MSG_IMPORT && msg->import != NULL)
        xstrset(&r->id, msg->import->id);
}

/* Handler for events and imports: validate and apply inside the batch's transaction. */
static void
handle_submission(broker_t *self, batch_t *b, const pm_msg_t *msg, pm_reply_t *r)
{
    size_t before = b->appended.n;

    if (!batch_begin(self, b, r)) {
        reply_id(msg, r);
        return;
    }
    if (store_savepoint(self->store) < 0 ||
        engine_submit(self->engine, msg, self->now(self->now_arg), &b->appended, r) < 0) {
        if (!store_full(self->store))
            log_warnx(_("ingest: storage failure; the batch is rolled back"));
        b->failed = true;
        set_storage_nack(self, r);
        return;
    }
    /* Its answer holds only if the transaction commits: the state it was judged on may be
     * stale (a deposed broker's memory) unless the commit's fencing check passes. */
    assert(r == &b->v[b->n - 1].reply);
    b->v[b->n - 1].judged = true;
    if (!r->ok) {
        /* The engine validates before it appends, so a refusal leaves nothing to undo; the
         * savepoint makes sure of it, and a cached template could only have come from an
         * entry undone here. */
        if (store_rollback_to(self->store) < 0)
            b->failed = true;
        if (b->appended.n > before) {
            engine_forget(self->engine);
            while (b->appended.n > before)
                pm_entry_destroy(&b->appended.v[--b->appended.n]);
        }
        return;
    }
    if (store_release(self->store) < 0)
        b->failed = true;
    /* An ack names the alert's department; it is no sign of life of that department's agent. */
    if (msg->type == PM_MSG_EVENT && !r->duplicate && msg->entry->kind != PM_KIND_ALERT_ACK)
        heard(self, b, msg->entry->dept, false);
}

/*
 * Handler for an agent's sign of life: answered at once with the committed head, so an idle
 * agent knows within a heartbeat that the broker is there and how far the log goes.
 */
static void
handle_ping(broker_t *self, batch_t *b, const pm_msg_t *msg, pm_reply_t *r)
{
    log_debug("ingest: ping from %s", msg->agent);
    if (!batch_begin(self, b, r))
        return;
    heard(self, b, msg->agent, true);
    r->ok = true;
    r->seq = store_committed_head(self->store);
}

/*
 * Handler for the test clock: move it forward and run everything that came due, in this
 * batch, so the reply means the clock's entries are logged.
 */
static void
handle_clock_set(broker_t *self, batch_t *b, const pm_msg_t *msg, pm_reply_t *r)
{
    char why[160];

    if (!self->test_clock) {
        set_nack(r, PM_REFUSE_UNSUPPORTED, "this broker runs on the wall clock (no test_clock)");
        return;
    }
    if (msg->clock_ms < self->test_now) {
        snprintf(why, sizeof(why), _("the test clock only moves forward (it is at %lld)"),
                 (long long)self->test_now);
        set_nack(r, PM_REFUSE_INVALID, why);
        return;
    }
    if (!batch_begin(self, b, r))
        return;
    self->test_now = msg->clock_ms;
    if (engine_clock(self->engine, self->test_now, &b->appended) < 0 ||
        watch_check(self->watch, self->engine, self->test_now, self->cfg->agent_silent_s * 1000LL,
                    &b->appended) < 0) {
        b->failed = true;
        set_storage_nack(self, r);
        return;
    }
    r->ok = true;
    r->seq = store_head(self->store);
}

/*
 * An alert's acknowledgement (alert_ack) comes from every role but a department's: permit-web
 * with its read-only viewer key (a steward's /ack link), permit-notify ack with the notifier's
 * key, an operator or admin. A department's agent has no business acking what the notifier
 * sends to people. The key that brought it is logged with it (relay), whatever the client
 * wrote; who acknowledged (recipient) is the sender's word, checked by permit-web's token.
 */
static bool
authorize_ack(const auth_identity_t *id, pm_entry_t *ack, pm_reply_t *r)
{
    char why[256];

    if (id->role == AUTH_ROLE_DEPARTMENT) {
        snprintf(why, sizeof(why),
                 _("this key belongs to department %s; an alert is acknowledged through "
                   "permit-web's link or permit-notify ack"),
                 id->name);
        set_nack(r, PM_REFUSE_FORBIDDEN, why);
        return false;
    }
    free(ack->relay);
    ack->relay = xasprintf("%s:%s", auth_role_name(id->role), id->name);
    return true;
}

/*
 * Who may send what on the ingest socket (CURVE only; plain sockets trust the fields). The
 * identity comes from the key, never from a field the client fills in: a department's event
 * must name that department or none (it is filled in), an operator's correction and an
 * admin's import carry "operator:NAME" of the key whatever the client wrote. What a role may
 * not send is "forbidden": a correction (reopened, extended) from a department's key, a
 * department's event (accepted, approved, ...) from an operator's or admin's key. Returns
 * false with the refusal in r.
 */
static bool
authorize(broker_t *self, const frame_peer_t *peer, pm_msg_t *msg, pm_reply_t *r)
{
    const auth_identity_t *id = peer->id;
    char why[256], *actor;

    if (!self->curve)
        return true;
    if (id == NULL) {
        set_nack(r, PM_REFUSE_UNAUTHORIZED,
                 "this key is not trusted (any more): ask the "
                 "broker's operator");
        return false;
    }
    switch (msg->type) {
    case PM_MSG_EVENT:
        if (msg->entry == NULL)
            return true; /* the engine refuses an empty event */
        if (msg->entry->kind == PM_KIND_ALERT_ACK)
            return authorize_ack(id, msg->entry, r);
        if (id->role == AUTH_ROLE_DEPARTMENT) {
            if (!util_empty(msg->entry->dept) && strcmp(msg->entry->dept, id->name) != 0) {
                snprintf(why, sizeof(why),
                         _("this key belongs to department %s; it cannot speak for %.64s"),
                         id->name, msg->entry->dept);
                set_nack(r, PM_REFUSE_FORBIDDEN, why);
                return false;
            }
            if (pm_kind_is_correction(msg->entry->kind)) {
                snprintf(why, sizeof(why),
                         _("this key belongs to department %s; %s is an operator's correction "
                           "(permitctl %s with an operator's key)"),
                         id->name, pm_kind_name(msg->entry->kind),
                         msg->entry->kind == PM_KIND_REOPENED ? "reopen" : "extend");
                set_nack(r, PM_REFUSE_FORBIDDEN, why);
                return false;
            }
            xstrset(&msg->entry->dept, id->name);
            xstrset(&msg->entry->actor, NULL); /* a department is never an operator */
            return true;
        }
        if (id->role == AUTH_ROLE_OPERATOR || id->role == AUTH_ROLE_ADMIN) {
            if (pm_kind_is_event(msg->entry->kind) && !pm_kind_is_operators(msg->entry->kind)) {
                snprintf(why, sizeof(why),
                         _("%s is a key of role %s; %s comes from the department that owns the "
                           "procedure (an operator corrects with not_required, reopened or "
                           "extended)"),
                         id->name, auth_role_name(id->role), pm_kind_name(msg->entry->kind));
                set_nack(r, PM_REFUSE_FORBIDDEN, why);
                return false;
            }
            actor = xasprintf("operator:%s", id->name);
            free(msg->entry->actor);
            msg->entry->actor = actor;
            return true;
        }
        break;
    case PM_MSG_IMPORT:
        if (id->role == AUTH_ROLE_ADMIN) {
            if (msg->import != NULL) {
                actor = xasprintf("operator:%s", id->name);
                free(msg->import->actor);
                msg->import->actor = actor;
            }
            return true;
        }
        break;
    case PM_MSG_PING:
        if (id->role == AUTH_ROLE_DEPARTMENT) {
            if (!util_empty(msg->agent) && strcmp(msg->agent, id->name) != 0) {
                snprintf(why, sizeof(why), _("this key belongs to department %s, not %.64s"),
                         id->name, msg->agent);
                set_nack(r, PM_REFUSE_FORBIDDEN, why);
                return false;
            }
            xstrset(&msg->agent, id->name);
            return true;
        }
        break;
    case PM_MSG_CLOCK_SET:
        if (id->role == AUTH_ROLE_ADMIN)
            return true;
        break;
    default:
        return true; /* the dispatcher refuses what the socket does not take */
    }
    snprintf(why, sizeof(why), _("%s is a key of role %s, which may not send %s"), id->name,
             auth_role_name(id->role),
             msg->type == PM_MSG_EVENT    ? "events"
             : msg->type == PM_MSG_IMPORT ? "imports"
             : msg->type == PM_MSG_PING   ? "pings"
                                          : "clock settings");
    set_nack(r, PM_REFUSE_FORBIDDEN, why);
    return false;
}

/*
 * The quota: an identity sending events faster than quota_rate (past its burst) is refused
 * "busy" with a retry-after, before anything is stored, so a runaway agent slows down instead
 * of filling the disk; its agent holds the event and sends it again then. The identity is the
 * key's on CURVE, the department the event names on plain sockets. True when refused (in r).
 */
static bool
over_quota(broker_t *self, const frame_peer_t *peer, const pm_msg_t *msg, pm_reply_t *r)
{
    const char *who = peer->id != NULL ? peer->id->name : msg->entry ? msg->entry->dept : NULL;
    uint32_t retry_ms = 0;
    char why[256];

    if (msg->type != PM_MSG_EVENT || util_empty(who) ||
        auth_quota_take(self->auth, who, self->cfg->quota_rate, self->cfg->quota_burst,
                        util_mono_ms(), &retry_ms))
        return false;
    snprintf(why, sizeof(why),
             _("%.64s sends more than %d events a second (quota_rate, burst %d); send it again "
               "in %u ms"),
             who, self->cfg->quota_rate, self->cfg->quota_burst, retry_ms);
    set_nack(r, PM_REFUSE_BUSY, why);
    r->retry_after_ms = retry_ms;
    reply_id(msg, r);
    return true;
}

/* The dispatcher: one handler per message type, refusing anything else. */
static void
dispatch(broker_t *self, batch_t *b, const frame_peer_t *peer, pm_msg_t *msg, pm_reply_t *r)
{
    if (!authorize(self, peer, msg, r)) {
        reply_id(msg, r);
        self->stats.unauthorized++;
        return;
    }
    if (over_quota(self, peer, msg, r)) {
        self->stats.busy++;
        return;
    }
    switch (msg->type) {
    case PM_MSG_EVENT:
    case PM_MSG_IMPORT:
        handle_submission(self, b, msg, r);
        break;
    case PM_MSG_PING:
        handle_ping(self, b, msg, r);
        break;
    case PM_MSG_CLOCK_SET:
        handle_clock_set(self, b, msg, r);
        break;
    default:
        set_nack(r, PM_REFUSE_UNSUPPORTED,
                 "the ingest socket takes events, imports and pings only");
        break;
    }
}

/* Every refusal, counted and logged with who sent it; a flood is summarised (auth.c). */
static void
log_refusal(broker_t *self, const char *who, const pm_reply_t *r)
{
    auth_refused(self->auth, r->code, who, "ingest: %s: %s", util_empty(r->id) ? "message" : r->id,
                 r->reason);
}

/*
 * The answers of a batch (tail.h), sent once its transaction committed or was rolled back
 * (held false): every message gets one, counted, and every refusal is logged.
 */
static void
answer_batch(broker_t *self, void *arg, bool held)
{
    batch_t *b = arg;

    /* A refusal the engine made is no more certain than an ack: answered from a state that may
     * be stale (another broker took over, store.h), it would be filed for good. Both become
     * "storage", and the resend is judged again. */
    if (!held)
        for (size_t i = 0; i < b->n; i++)
            if (b->v[i].reply.ok || b->v[i].judged)
                set_storage_nack(self, &b->v[i].reply);
    if (b->n > 0)
        self->stats.batches++;
    for (size_t i = 0; i < b->n; i++) {
        pm_msg_t reply = {.version = PM_PROTOCOL_VERSION,
                          .type = PM_MSG_REPLY,
                          .time_zone = self->cfg->time_zone};
        pm_reply_t *r = &b->v[i].reply;
        reply.reply = r;
        if (r->ok) {
            self->stats.acks++;
            self->stats.duplicates += r->duplicate;
        } else {
            self->stats.refusals++;
            /* A full disk is logged by the store when it starts and ends, not per message. */
            if (!store_full(self->store) || util_strcmp0(r->code, PM_REFUSE_STORAGE) != 0)
                log_refusal(self, b->v[i].who, r);
        }
        frame_reply(self->ingest, b->v[i].rid, b->v[i].rid_len, &reply);
        free(b->v[i].rid);
        free(r->id);
        free(r->code);
        free(r->reason);
    }
}

int
ingest_drain(broker_t *self)
{
    batch_t b = {0};
    tail_t t = {.appended = &b.appended, .answer = answer_batch, .arg = &b};
    size_t entries;
    int rc = 0;

    int64_t started = util_mono_ms();

    /* The group is capped by size and by time, so a backlog never turns into slow acks. */
    while ((int)b.n < self->cfg->batch_max &&
           ((b.n & 31) != 0 || util_mono_ms() - started < self->cfg->batch_ms)) {
        frame_in_t in;
        pm_reply_t *r;
        int got = frame_recv(self->ingest, self->curve ? self->auth : NULL, &in);
        if (got <= 0) {
            rc = got;
            break;
        }
        CRASHPOINT("after_receive"); /* test builds only, as every CRASHPOINT */
        r = batch_add(&b, &in.addr, in.addr_len);
        frame_peer_name(&in.peer, b.v[b.n - 1].who, sizeof(b.v[0].who));
        if (in.msg == NULL) {
            /* Refused before any handler (frame.h): the refusal is the answer. */
            *r = in.refusal;
            memset(&in.refusal, 0, sizeof(in.refusal));
            self->stats.unauthorized += in.stranger;
        } else {
            dispatch(self, &b, &in.peer, in.msg, r);
        }
        frame_in_clear(&in);
    }
    /* Commit, then the acks, then the entries published (tail.h). */
    t.open = b.open;
    t.failed = b.failed;
    t.checkpoint_frames = (int)b.n >= STORE_CHECKPOINT_BACKLOG ? STORE_CHECKPOINT_FRAMES_BACKLOG
                                                               : STORE_CHECKPOINT_FRAMES;
    entries = b.appended.n;
    if (tail_finish(self, &t) == 0 && entries > 0)
        log_debug("ingest: batch of %zu messages, %zu entries, head %llu", b.n, entries,
                  (unsigned long long)store_committed_head(self->store));
    free(b.v);
    return rc;
}
