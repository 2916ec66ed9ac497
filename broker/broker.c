/*
 * broker: see broker.h. Lifecycle of the daemon object and the poll loop.
 */
#include "broker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "calendar.h"
#include "clock.h"
#include "codec.h"
#include "ingest.h"
#include "log.h"
#include "query.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "tail.h"
#include "zone.h"
#include "i18n.h"

/* After the clock's transaction failed (a full disk): try again this much later, not at once. */
#define CRON_RETRY_MS 1000

static int64_t
wall_clock(void *arg)
{
    (void)arg;
    return util_now_ms();
}

/* The test clock: only PM_MSG_CLOCK_SET moves it, so tests never sleep. */
static int64_t
test_clock(void *arg)
{
    const broker_t *self = arg;
    return self->test_now;
}

void
broker_reload(broker_t *self)
{
    engine_cfg_t ec;
    char *err = NULL;

    config_engine_cfg(self->cfg, &ec);
    engine_set_config(self->engine, &ec);
    if (!self->curve)
        return;
    /* Revoked keys stop working at once: every message is authorised against this registry. */
    if (auth_load(self->auth, &err) < 0) {
        log_warnx(_("SIGHUP: %s; keeping the trusted keys as they were"), err);
        free(err);
    } else {
        log_info(_("SIGHUP: %zu trusted keys in %s"), auth_count(self->auth), self->cfg->keys_dir);
    }
}

/* Say once at start what the clock works with. */
static void
report_calendar(broker_t *self)
{
    int64_t now = self->now(self->now_arg);
    engine_cfg_t ec;
    int year;

    config_engine_cfg(self->cfg, &ec);
    year = cal_year_of(clock_day_of(&ec.clock, now));
    log_info(_("clock: working days and times in %s"), zone_name());

    if (!engine_calendar_known(self->engine, year))
        log_warnx(_("clock: no working-day calendar is loaded for %d: only weekends are off and "
                    "deadlines are provisional (permitctl import calendar FILE)"),
                  year);
    if (self->test_clock)
        log_warnx(_("clock: test clock in use, at %lld; only `permitctl clock set` moves it"),
                  (long long)now);
}

/* What libzmq may hold per peer of a ROUTER socket; 0 keeps libzmq's default. */
typedef struct router_limits {
    int64_t maxmsg; /* bigger frames are dropped by libzmq unread, with the connection */
    int sndhwm;     /* replies queued for one peer */
    int rcvhwm;     /* requests read ahead from one peer */
    bool mandatory; /* a reply that cannot be queued fails (counted), instead of vanishing */
} router_limits_t;

/* The ingest socket: events and imports of up to a frame, libzmq's default queues. */
static const router_limits_t ingest_limits = {.maxmsg = CODEC_MAX_FRAME};

/* The query socket: see QUERY_SNDHWM in broker.h. */
static const router_limits_t query_limits = {
    .maxmsg = QUERY_MAXMSG, .sndhwm = QUERY_SNDHWM, .rcvhwm = QUERY_RCVHWM, .mandatory = true};

/* A ROUTER socket with limits lim, CURVE server in ZAP domain `domain` when secret is set. */
static void *
bind_router(void *zctx, const char *endpoint, const char *domain, const router_limits_t *lim,
            const curve_key_t *secret, bool enforce, int handshake_ms, char **err)
{
    void *s = zmq_socket(zctx, ZMQ_ROUTER);
    int linger = 0, on = 1;

    if (s == NULL) {
        *err = xasprintf("%s: %s", endpoint, zmq_strerror(zmq_errno()));
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &lim->maxmsg, sizeof(lim->maxmsg));
    if (lim->sndhwm > 0)
        zmq_setsockopt(s, ZMQ_SNDHWM, &lim->sndhwm, sizeof(lim->sndhwm));
    if (lim->rcvhwm > 0)
        zmq_setsockopt(s, ZMQ_RCVHWM, &lim->rcvhwm, sizeof(lim->rcvhwm));
    if (lim->mandatory)
        zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &on, sizeof(on));
    /* A connection that never handshakes is closed after this, not libzmq's 30 s. */
    zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof(handshake_ms));
    if (secret != NULL && auth_server_socket(s, domain, secret, enforce, err) < 0) {
        zmq_close(s);
        return NULL;
    }
    if (zmq_bind(s, endpoint) < 0) {
        int saved = zmq_errno();
        *err = xasprintf(_("cannot bind %s: %s"), endpoint, zmq_strerror(saved));
        zmq_close(s);
        errno = saved;
        return NULL;
    }
    return s;
}

/*
 * Whether another process serves the ipc:// endpoint: libzmq binds an ipc path by unlinking
 * whatever socket file is there, so a second broker would silently take the first one's
 * clients. A listener answers a connect; a file left by a dead process refuses it.
 */
static bool
ipc_served(const char *endpoint)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *path;
    int fd;
    bool served;

    if (strncmp(endpoint, "ipc://", 6) != 0)
        return false;
    path = endpoint + 6;
    /* '@': Linux's abstract namespace, where a second bind fails by itself. */
    if (*path == '@' || strlen(path) >= sizeof(sa.sun_path))
        return false;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    served = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return served;
}

/* An endpoint taken: say by whom to look for and what to change, in one line. */
static void
explain_in_use(const char *key, const char *endpoint, char **err)
{
    const char *port = strncmp(endpoint, "tcp://", 6) == 0 ? strrchr(endpoint, ':') : NULL;

    free(*err);
    if (port != NULL)
        *err = xasprintf("cannot bind %s = %s: the port is in use by another program (`ss -ltnp "
                         "'sport = %s'` names it; another permitd?): stop it, or set %s to a "
                         "free port",
                         key, endpoint, port, key);
    else
        *err = xasprintf("cannot bind %s = %s: another process serves it (another permitd?): "
                         "stop it, or set %s to another path",
                         key, endpoint, key);
}

/* CURVE's files, before anything reads them: a missing one is named with how to make it. */
static int
check_key_files(const config_t *cfg, char **err)
{
    if (access(cfg->secret_key_file, R_OK) != 0) {
        *err = xasprintf("secret_key_file %s: %s: make the broker's key pair with `permitctl "
                         "keygen broker --dir DIR` and set secret_key_file to DIR/broker.secret "
                         "(readable by the broker's user)",
                         cfg->secret_key_file, strerror(errno));
        return -1;
    }
    if (access(cfg->keys_dir, R_OK | X_OK) != 0) {
        *err = xasprintf("keys_dir %s: %s: create it, readable by the broker's user, and copy "
                         "each client's NAME.key there (from `permitctl keygen NAME --role "
                         "ROLE`), or set keys_dir",
                         cfg->keys_dir, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Bind the sockets, with CURVE unless the config says curve = no. Order matters: libzmq 4.3.4
 * accepts every key while no ZAP handler is bound, so the handler comes first, and a probe
 * with a random key proves the sockets refuse strangers before the broker says it is ready.
 */
static int
start_sockets(broker_t *self, broker_fail_t *why, char **err)
{
    const config_t *cfg = self->cfg;
    curve_key_t secret, pub;
    const curve_key_t *sk = NULL;
    bool enforce = !cfg->test_fail_open;
    publish_opts_t po = {
        .hwm = cfg->publish_hwm, .enforce_zap = enforce, .handshake_ms = cfg->handshake_ms};
    const char *const eps[][2] = {
        {"ingest", cfg->ingest}, {"query", cfg->query}, {"publish", cfg->publish}};
    int rc = -1, failed = -1; /* the index in eps of the socket that did not bind */

    for (size_t i = 0; i < ARRAY_LEN(eps); i++) {
        if (ipc_served(eps[i][1])) {
            explain_in_use(eps[i][0], eps[i][1], err);
            *why = BROKER_FAIL_IN_USE;
            return -1;
        }
    }
    self->curve = cfg->curve;
    self->auth = auth_new(cfg->curve ? cfg->keys_dir : NULL);
    util_raise_fd_limit();
    if (!cfg->curve) {
        log_warnx(_("security: curve = no: PLAIN sockets, no authentication, no encryption; "
                    "anyone who can reach %s, %s and %s may send and read. For a local demo or "
                    "tests only"),
                  cfg->ingest, cfg->publish, cfg->query);
    } else {
        if (check_key_files(cfg, err) < 0) {
            *why = BROKER_FAIL_KEYS;
            goto done;
        }
        if (curvecfg_read(cfg->secret_key_file, &pub, &secret, NULL, err) < 0 ||
            auth_load(self->auth, err) < 0)
            goto done;
        if (auth_count(self->auth) == 0)
            log_warnx(_("security: no trusted keys in %s: every client is refused until keys are "
                        "added there and permitd gets SIGHUP"),
                      cfg->keys_dir);
        if (cfg->test_fail_open)
            log_warnx(_("security: test_fail_open = yes: no ZAP handler (tests only)"));
        else if (auth_zap_bind(self->auth, self->zctx, err) < 0)
            goto done;
        sk = &secret;
        po.secret = sk;
    }
    if ((self->ingest = bind_router(self->zctx, cfg->ingest, "ingest", &ingest_limits, sk, enforce,
                                    cfg->handshake_ms, err)) == NULL)
        failed = 0;
    else if ((self->query = bind_router(self->zctx, cfg->query, "query", &query_limits, sk, enforce,
                                        cfg->handshake_ms, err)) == NULL)
        failed = 1;
    else if ((self->pub = publish_new(self->zctx, cfg->publish, &po, err)) == NULL)
        failed = 2;
    if (failed >= 0) {
        if (errno == EADDRINUSE) {
            explain_in_use(eps[failed][0], eps[failed][1], err);
            *why = BROKER_FAIL_IN_USE;
        }
        goto done;
    }
    if (auth_watch(self->auth, self->zctx, self->ingest, "ingest", cfg->max_conn_per_address, err) <
            0 ||
        auth_watch(self->auth, self->zctx, self->query, "query", cfg->max_conn_per_address, err) <
            0)
        goto done;
    if (cfg->curve) {
        if (auth_probe(self->auth, self->zctx, cfg->ingest, ZMQ_DEALER, &pub, 5000, err) < 0 ||
            auth_probe(self->auth, self->zctx, cfg->query, ZMQ_DEALER, &pub, 5000, err) < 0 ||
            auth_probe(self->auth, self->zctx, cfg->publish, ZMQ_SUB, &pub, 5000, err) < 0)
            goto done;
        log_info(_("security: CURVE on every socket, %zu trusted keys from %s, broker key %s"),
                 auth_count(self->auth), cfg->keys_dir, pub.z85);
    }
    rc = 0;
done:
    explicit_bzero(&secret, sizeof(secret));
    return rc;
}

/* Bring the state tables up to the log when they are behind it (store_replay_from). */
static int
rebuild(broker_t *self)
{
    uint64_t from = 0, count = 0;
    int64_t t0 = util_mono_ms();

    if (engine_catch_up(self->engine, &from, &count) < 0)
        return -1;
    if (from > 0)
        log_info(_("store: state tables brought up to the log: %llu entries from seq %llu "
                   "replayed in %lld ms"),
                 (unsigned long long)count, (unsigned long long)from,
                 (long long)(util_mono_ms() - t0));
    return 0;
}

/*
 * Record the jurisdiction's zone in the database when it is not the one recorded last, so a
 * reader without our configuration (permitctl report --db) counts days in it. Not fatal: a
 * reader then falls back to its own zone, as with an older database.
 */
static void
record_zone(broker_t *self)
{
    const char *zone = self->cfg->time_zone;
    char *was = NULL;

    if (store_time_zone(self->store, &was) < 0 || util_strcmp0(was, zone) == 0) {
        free(was);
        return;
    }
    if (store_begin(self->store) < 0 || store_set_time_zone(self->store, zone) < 0 ||
        store_commit(self->store) < 0) {
        if (store_in_transaction(self->store))
            store_rollback(self->store);
        log_warnx(_("store: the time zone %s could not be recorded in the database"), zone);
    } else {
        log_info(_("store: time zone %s recorded in the database (was %s)"), zone,
                 was != NULL ? was : "-");
    }
    free(was);
}

broker_t *
broker_new(config_t *cfg, void *zctx, volatile sig_atomic_t *stop, broker_fail_t *why, char **err)
{
    broker_t *self = xcalloc(1, sizeof(*self));

    engine_cfg_t ec;

    *why = BROKER_FAIL_OTHER;
    self->cfg = cfg;
    self->zctx = zctx;
    self->now = wall_clock;
    if (cfg->test_clock_ms != 0) {
        self->now = test_clock;
        self->now_arg = self;
        self->test_clock = true;
        self->test_now = cfg->test_clock_ms;
    }
    self->watch = watch_new();
    self->store = store_open_wait(cfg->db, cfg->db_timeout_ms, stop, err);
    if (self->store == NULL)
        goto fail;
    store_set_cache_bytes(self->store, (size_t)cfg->cache_mib << 20);
    config_engine_cfg(cfg, &ec);
    self->engine = engine_new(self->store, &ec);
    if (rebuild(self) < 0) {
        if (!store_full(self->store)) {
            *err = xstrdup("the state tables could not be rebuilt from the log");
            goto fail;
        }
        /* Nothing is lost (the log has every acked event): serve refusals until space returns. */
        log_warnx(_("store: the state tables are behind the log and cannot be rebuilt on a full "
                    "disk: every message is refused until they are"));
        self->rebuild_pending = true;
        self->rebuild_retry_at = util_mono_ms() + CRON_RETRY_MS;
    }
    record_zone(self);
    report_calendar(self);
    if (start_sockets(self, why, err) < 0)
        goto fail;
    return self;
fail:
    broker_destroy(&self);
    return NULL;
}

bool
broker_rebuild_pending(broker_t *self)
{
    if (!self->rebuild_pending || util_mono_ms() < self->rebuild_retry_at)
        return self->rebuild_pending;
    if (rebuild(self) < 0) {
        self->rebuild_retry_at = util_mono_ms() + CRON_RETRY_MS;
        return true;
    }
    self->rebuild_pending = false;
    return false;
}

void
broker_destroy(broker_t **p)
{
    broker_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    publish_destroy(&self->pub);
    if (self->auth != NULL)
        auth_unwatch(self->auth);
    if (self->query != NULL)
        zmq_close(self->query);
    if (self->ingest != NULL)
        zmq_close(self->ingest);
    auth_destroy(&self->auth);
    engine_destroy(&self->engine);
    store_close(&self->store);
    watch_destroy(&self->watch);
    free(self);
    *p = NULL;
}

void
broker_cron(broker_t *self)
{
    int64_t now = self->now(self->now_arg), next = 0;
    int64_t silent_ms = self->cfg->agent_silent_s * 1000LL;
    int64_t agents = watch_next(self->watch, silent_ms);
    entry_list_t out = {0};
    /* The clock answers nobody: committed, its entries are published (tail.h). */
    tail_t t = {.appended = &out, .open = true, .checkpoint_frames = STORE_CHECKPOINT_FRAMES};
    size_t entries;

    if (util_mono_ms() < self->cron_retry_at || self->rebuild_pending)
        return;
    if (engine_clock_next(self->engine, &next) < 0)
        return;
    if ((next == 0 || next > now) && (agents == 0 || agents > now))
        return;
    if (store_begin(self->store) < 0) {
        self->cron_retry_at = util_mono_ms() + CRON_RETRY_MS;
        return;
    }
    t.failed = engine_clock(self->engine, now, &out) < 0 ||
               watch_check(self->watch, self->engine, now, silent_ms, &out) < 0;
    entries = out.n;
    if (tail_finish(self, &t) < 0) {
        /* A full disk is logged once by the store; the poll waits before the next try. */
        if (!store_full(self->store))
            log_warnx(_("clock: storage failure; the clock's entries are rolled back and retried"));
        self->cron_retry_at = util_mono_ms() + CRON_RETRY_MS;
        return;
    }
    self->cron_retry_at = 0;
    if (entries > 0)
        log_info(_("clock: %zu entries due by now"), entries);
}

/* Milliseconds until the clock or the agent watch next has work, for the poll (-1: none). */
static long
cron_wait(broker_t *self)
{
    int64_t now = self->now(self->now_arg), next = 0, best;
    int64_t agents = watch_next(self->watch, self->cfg->agent_silent_s * 1000LL);

    if (self->test_clock || engine_clock_next(self->engine, &next) < 0)
        next = 0; /* a test clock's time does not pass by itself */
    best = next == 0 ? agents : agents == 0 ? next : (next < agents ? next : agents);
    if (best == 0)
        return -1;
    if (best <= now) {
        int64_t retry = self->cron_retry_at - util_mono_ms(); /* after a failed commit */
        return retry > 0 ? (long)retry : 0;
    }
    return (long)(best - now);
}

int
broker_run(broker_t *self)
{
    /*
     * The ZAP handler is polled with the rest: a handshake waits until it is answered. The
     * signal pipe comes last (when there is one): a signal that arrives while the loop works
     * wakes the next poll at once, so a SIGHUP is acted on within one iteration. The connection
     * monitors are polled too: a connection over its address's cap is closed at once.
     */
    zmq_pollitem_t items[4 + AUTH_WATCH_POLL] = {
        {self->ingest, 0, ZMQ_POLLIN, 0},
        {self->query, 0, ZMQ_POLLIN, 0},
    };
    int nitems = 2, zap = -1;
    void *mons[AUTH_WATCH_POLL];
    size_t nmons = auth_watch_sockets(self->auth, mons, AUTH_WATCH_POLL);

    char *db = store_target_redacted(self->cfg->db);

    log_info(_("ready: ingest %s, publish %s, query %s, db %s (%s), head %llu"), self->cfg->ingest,
             self->cfg->publish, self->cfg->query, db, store_backend_name(self->store),
             (unsigned long long)store_committed_head(self->store));
    free(db);
    /* systemd (Type=notify): started only now, with the sockets bound; STATUS follows the head. */
    self->status_head = store_committed_head(self->store);
    sdnotify_status("READY=1", _("ready, head %llu"), (unsigned long long)self->status_head);
    if (auth_zap_socket(self->auth) != NULL) {
        zap = nitems;
        items[nitems++] = (zmq_pollitem_t){auth_zap_socket(self->auth), 0, ZMQ_POLLIN, 0};
    }
    for (size_t i = 0; i < nmons; i++)
        items[nitems++] = (zmq_pollitem_t){mons[i], 0, ZMQ_POLLIN, 0};
    if (sigwake_fd() >= 0)
        items[nitems++] = (zmq_pollitem_t){NULL, sigwake_fd(), ZMQ_POLLIN, 0};
    self->next_heartbeat = util_mono_ms();
    /* Every iteration: a signal that came while the last one worked is not left waiting. */
    while (sigwake_pending() == 0) {
        int64_t now = util_mono_ms();
        long timeout;
        int n;

        if (now >= self->next_heartbeat) {
            uint64_t head = store_committed_head(self->store);

            publish_heartbeat(self->pub, head, self->cfg->time_zone);
            self->next_heartbeat = now + self->cfg->heartbeat_ms;
            if (head != self->status_head) {
                self->status_head = head;
                sdnotify_status(NULL, _("ready, head %llu"), (unsigned long long)head);
            }
        }
        sdnotify_watchdog();
        timeout = (long)(self->next_heartbeat - now);
        {
            long wd = sdnotify_watchdog_ms();
            if (wd >= 0 && wd < timeout)
                timeout = wd;
        }
        {
            long cron = cron_wait(self);
            if (cron >= 0 && cron < timeout)
                timeout = cron;
        }
        if (store_holding(self->store) && timeout > STORE_IDLE_MS)
            timeout = STORE_IDLE_MS;
        n = zmq_poll(items, nitems, timeout);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue; /* a signal: the loop's test sees it */
            log_warnx(_("poll: %s"), zmq_strerror(zmq_errno()));
            return -1;
        }
        if (n == 0 && store_holding(self->store) && util_mono_ms() >= self->sync_retry_at) {
            /* Idle: the rows held in memory reach the tables (store.h). A failure leaves them
             * held, and the tables marked behind: retried in a second, or by the next commit. */
            if (store_sync_step(self->store) == 0)
                store_checkpoint(self->store, STORE_CHECKPOINT_FRAMES);
            else
                self->sync_retry_at = util_mono_ms() + CRON_RETRY_MS;
        }
        if (zap >= 0 && (items[zap].revents & ZMQ_POLLIN))
            auth_zap_drain(self->auth);
        if (nmons > 0)
            auth_watch_drain(self->auth);
        /* Queries first: they must run outside the ingest transaction. */
        if ((items[1].revents & ZMQ_POLLIN) && query_drain(self) < 0)
            log_warnx(_("query: %s"), zmq_strerror(zmq_errno()));
        if ((items[0].revents & ZMQ_POLLIN) && ingest_drain(self) < 0)
            log_warnx(_("ingest: %s"), zmq_strerror(zmq_errno()));
        broker_rebuild_pending(self);
        broker_cron(self);
        auth_refusals_flush(self->auth);
        if (store_deposed(self->store)) {
            log_warnx(_("deposed: another broker serves this database now (or it is no longer "
                        "the primary); stopping, nothing unacked was lost"));
            return BROKER_DEPOSED;
        }
    }
    return 0;
}
