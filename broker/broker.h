/*
 * broker: the permitd daemon object and its loop. Owns the sockets, the store, the engine
 * and the publisher; ingest.c and query.c are its per-socket dispatchers.
 *
 * The loop is single-threaded: poll until the next timer, drain the query socket (no
 * transaction is open then, so queries see committed data only), drain the ingest socket
 * into one transaction, commit, acknowledge and publish.
 */
#ifndef PERMIT_BROKER_H
#define PERMIT_BROKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "engine.h"
#include "publish.h"
#include "store.h"
#include "watch.h"

typedef int64_t(broker_clock_fn)(void *arg);

typedef struct broker_stats {
    uint64_t batches;
    uint64_t acks;
    uint64_t duplicates;
    uint64_t refusals;
    uint64_t queries;
    uint64_t unauthorized; /* messages refused for who sent them (unauthorized, forbidden) */
    uint64_t unsent;       /* query replies dropped: the peer was gone or read too slowly */
    uint64_t busy;         /* events refused over their sender's quota */
} broker_stats_t;

typedef struct broker {
    config_t *cfg; /* borrowed; SIGHUP updates it in place */
    void *zctx;
    void *ingest;
    void *query;
    publish_t *pub;
    auth_t *auth; /* the key registry and the ZAP handler; no keys on plain sockets */
    bool curve;   /* sockets speak CURVE: every message must come from a trusted key */
    store_t *store;
    engine_t *engine;
    broker_clock_fn *now; /* wall-clock source, injectable for tests */
    void *now_arg;
    bool test_clock;  /* config test_clock: time moves only by PM_MSG_CLOCK_SET */
    int64_t test_now; /* the test clock's time */
    watch_t *watch;
    int64_t next_heartbeat; /* monotonic ms */
    uint64_t status_head;   /* the head last sent to systemd as STATUS (common/sdnotify.h) */
    int64_t cron_retry_at;  /* monotonic ms: the clock's last commit failed, not before this */
    /* The tables were left behind the log (store.h) and the rebuild at start failed on a full
     * disk: every message is refused until a retry (once a second at most) succeeds. */
    bool rebuild_pending;
    int64_t rebuild_retry_at; /* monotonic ms */
    int64_t sync_retry_at;    /* monotonic ms: the last idle store_sync failed, not before */
    broker_stats_t stats;
} broker_t;

/* What stopped broker_new, for main's exit status (each says what to do in *err). */
typedef enum broker_fail {
    BROKER_FAIL_OTHER,
    BROKER_FAIL_IN_USE, /* an endpoint is taken: a port, or an ipc path another process serves */
    BROKER_FAIL_KEYS,   /* CURVE: keys_dir or secret_key_file missing or unreadable */
} broker_fail_t;

/*
 * Open the store and bind every socket. On PostgreSQL, first wait while the database is a
 * standby or out of reach (until *stop is set). NULL with *err (caller owns) and *why on
 * failure.
 */
broker_t *broker_new(config_t *cfg, void *zctx, volatile sig_atomic_t *stop, broker_fail_t *why,
                     char **err);
void broker_destroy(broker_t **p);

/* True while the tables wait for a rebuild (rebuild_pending); tries it when a second passed. */
bool broker_rebuild_pending(broker_t *self);

/* Apply the reloadable settings of cfg (after SIGHUP changed it) and reread the keys. */
void broker_reload(broker_t *self);

/*
 * The broker's chores: run the clock and the agent watch when something came due (their own
 * transaction), then publish what they logged.
 */
void broker_cron(broker_t *self);

/*
 * Run until a signal asks to stop or reload (common/sigwake.h; the caller then does it): 0.
 * BROKER_DEPOSED when another broker took over the database (the caller exits), -1 on an
 * error. A signal is seen within one iteration of the loop, however busy it is.
 */
#define BROKER_DEPOSED 2
int broker_run(broker_t *self);

/*
 * The query socket's limits per peer. Requests are small, replies (pages) large, and a peer
 * that asks and never reads would otherwise have every page queued in the broker (300 unread
 * pages took it from 148 MB to 1.27 GB). At most QUERY_SNDHWM replies wait for one peer, each
 * a page of at most STORE_PAGE_BYTES (or one larger entry, store.h): the next reply is dropped,
 * never waited for, counted, and the peer's request times out and is asked again. At most
 * QUERY_RCVHWM requests of at most QUERY_MAXMSG bytes are read ahead from one peer; beyond
 * that its connection is not read until the broker has answered.
 */
#define QUERY_SNDHWM 8
#define QUERY_RCVHWM 16
#define QUERY_MAXMSG (256 * 1024)

#endif
