/*
 * query: the dispatcher of the query ROUTER socket. Read-only: "entries after sequence N"
 * (paged, filtered) for catch-up, and a project's status. It runs between ingest batches,
 * so it only ever sees committed entries.
 */
#include "query.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "frame.h"
#include "log.h"
#include "sigwake.h"
#include "i18n.h"

/*
 * Upper bound on requests answered per wake-up, so ingest is never starved. A page can take
 * tens of milliseconds to build, so the drain also ends as soon as a signal is pending: a
 * SIGHUP that revokes a key is acted on after the request in hand, not after 64 of them.
 */
#define QUERY_DRAIN_MAX 64

static pm_msg_t *
nack_msg(const char *code, const char *reason)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_REPLY);

    m->reply = xcalloc(1, sizeof(pm_reply_t));
    m->reply->code = xstrdup(code);
    m->reply->reason = xstrdup(reason);
    return m;
}

static pm_msg_t *
handle_entries(broker_t *self, const pm_query_t *q)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_PAGE);

    m->page = xcalloc(1, sizeof(pm_page_t));
    if (store_entries(self->store, q, m->page) < 0) {
        pm_msg_destroy(&m);
        return nack_msg(PM_REFUSE_STORAGE, "storage failure; retry");
    }
    return m;
}

static pm_msg_t *
handle_status(broker_t *self, const char *project)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_STATUS);
    pm_reply_t r = {0};

    if (util_empty(project)) {
        pm_msg_destroy(&m);
        return nack_msg(PM_REFUSE_INVALID, "status needs a project id");
    }
    if (engine_status(self->engine, project, self->now(self->now_arg), &m->status, &r) < 0) {
        pm_msg_destroy(&m);
        return nack_msg(PM_REFUSE_STORAGE, "storage failure; retry");
    }
    if (m->status == NULL) {
        pm_msg_destroy(&m);
        m = nack_msg(r.code, r.reason);
        m->reply->id = r.id;
        r.id = NULL;
    }
    free(r.id);
    free(r.code);
    free(r.reason);
    return m;
}

static pm_msg_t *
handle_list(broker_t *self, const pm_listreq_t *q)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_LIST);
    pm_colour_t c;

    if (!util_empty(q->colour) &&
        (pm_colour_parse(q->colour, &c) < 0 ||
         (c != PM_COLOUR_RED && c != PM_COLOUR_YELLOW && c != PM_COLOUR_GREEN))) {
        pm_msg_destroy(&m);
        return nack_msg(PM_REFUSE_INVALID, "colour is red, yellow or green");
    }
    if (engine_list(self->engine, q, self->now(self->now_arg), &m->list) < 0) {
        pm_msg_destroy(&m);
        return nack_msg(PM_REFUSE_STORAGE, "storage failure; retry");
    }
    return m;
}

/*
 * Answers come from this broker's memory and tables, which go stale once another broker took
 * over the database (store_pg.c), and a deposed broker that is idle has not learnt it yet. So
 * before answering it checks that it still holds the fencing epoch, at most every
 * QUERY_EPOCH_MS (a commit counts as a check); false when it does not or cannot tell.
 */
#define QUERY_EPOCH_MS 200
static bool
still_serving(broker_t *self)
{
    return store_check_epoch(self->store, QUERY_EPOCH_MS) == 0;
}

/* The dispatcher: one handler per request type. Every trusted role may read. */
static pm_msg_t *
dispatch(broker_t *self, const pm_msg_t *req)
{
    if (!still_serving(self))
        return nack_msg(PM_REFUSE_STORAGE, "this broker may no longer be the one that serves its "
                                           "database; retry (on another broker)");
    if (self->rebuild_pending && (req->type == PM_MSG_STATUS_REQ || req->type == PM_MSG_LIST_REQ))
        /* The tables are behind the log: an answer from them could be wrong. The log is not. */
        return nack_msg(PM_REFUSE_STORAGE, "the state tables wait for a rebuild, which needs "
                                           "disk space; retry");
    if (req->type == PM_MSG_QUERY && req->query != NULL)
        return handle_entries(self, req->query);
    if (req->type == PM_MSG_STATUS_REQ)
        return handle_status(self, req->status_project);
    if (req->type == PM_MSG_LIST_REQ && req->listreq != NULL)
        return handle_list(self, req->listreq);
    return nack_msg(PM_REFUSE_UNSUPPORTED, "the query socket takes queries, status and lists only");
}

/* A refusal frame_recv made, as the reply to send (it takes the refusal's strings). */
static pm_msg_t *
refusal_msg(frame_in_t *in)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_REPLY);

    m->reply = xcalloc(1, sizeof(pm_reply_t));
    *m->reply = in->refusal;
    memset(&in->refusal, 0, sizeof(in->refusal));
    return m;
}

int
query_drain(broker_t *self)
{
    for (int i = 0; i < QUERY_DRAIN_MAX && sigwake_pending() == 0; i++) {
        frame_in_t in;
        pm_msg_t *resp;
        char who[128];
        int got = frame_recv(self->query, self->curve ? self->auth : NULL, &in);
        if (got <= 0)
            return got;
        self->stats.unauthorized += in.stranger;
        resp = in.msg != NULL ? dispatch(self, in.msg) : refusal_msg(&in);
        resp->time_zone = xstrdup(self->cfg->time_zone); /* the jurisdiction's, for clients */
        if (resp->type == PM_MSG_REPLY) {
            self->stats.refusals++;
            auth_refused(self->auth, resp->reply->code, frame_peer_name(&in.peer, who, sizeof(who)),
                         "query: %s", resp->reply->reason);
        }
        if (frame_reply(self->query, in.addr, in.addr_len, resp) < 0 &&
            self->stats.unsent++ % 1000 == 0)
            log_warnx(_("query: a reply to %s was dropped: the peer is gone or has %d replies "
                        "unread (%llu dropped in all)"),
                      frame_peer_name(&in.peer, who, sizeof(who)), QUERY_SNDHWM,
                      (unsigned long long)self->stats.unsent);
        self->stats.queries++;
        pm_msg_destroy(&resp);
        frame_in_clear(&in);
    }
    return 0;
}
