/*
 * auth: see auth.h.
 */
#include "auth.h"

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "util.h"
#include "i18n.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

/*
 * A draft option in libzmq 4.3.4 (zmq.h hides it without ZMQ_BUILD_DRAFT_API): with it a
 * CURVE socket refuses every client while no ZAP handler answers. A libzmq built without
 * drafts refuses the option; then the handler bound for the life of the process and the
 * start-up probe are what keep the sockets closed to strangers.
 */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif
#define AUTH_MAX_KINDS 32

/* The refusals of one kind in the current window. */
typedef struct refusal_kind {
    char name[32];
    int64_t window_start; /* monotonic ms */
    unsigned logged;      /* lines written in this window */
    uint64_t suppressed;  /* refusals not written in this window */
    uint64_t total;
} refusal_kind_t;

/* A server socket's monitor (auth_watch) and what it counted since the last summary. */
typedef struct watch_sock {
    void *sock; /* the watched socket (borrowed) */
    void *mon;
    char name[16];
    int max_per_address;
} watch_sock_t;

/* A live TCP connection: its descriptor and its peer's address. */
typedef struct live_conn {
    int fd;
    char addr[INET6_ADDRSTRLEN];
} live_conn_t;

#define AUTH_MAX_WATCHED 4

/*
 * A key refused in the handshake: when it was last logged and how many refusals since, so a
 * client retrying every second writes one warning a minute, not sixty.
 */
typedef struct key_refusal {
    char key[CURVE_Z85_LEN + 1];
    int64_t logged_at; /* monotonic ms */
    uint64_t since;    /* refusals not logged since then */
} key_refusal_t;

/* One identity's token bucket (auth_quota_take). */
typedef struct quota {
    char *who;
    double tokens;
    int64_t at; /* monotonic ms of the last refill */
} quota_t;

struct auth {
    char *keys_dir;
    auth_identity_t *ids;
    size_t n;
    void *zap;
    refusal_kind_t kinds[AUTH_MAX_KINDS];
    size_t nkinds;
    uint64_t total;
    quota_t *quotas;
    size_t nquotas;
    watch_sock_t watched[AUTH_MAX_WATCHED];
    size_t nwatched;
    live_conn_t *live; /* TCP connections accepted and not yet gone */
    size_t nlive;
    int64_t summary_start; /* monotonic ms */
    uint64_t hs_failed;    /* handshakes ended without a verdict (timed out, dropped) */
    uint64_t cap_refused;  /* connections shut down over the per-address cap */
    uint64_t cap_pending;  /* of those, the ones whose failed handshake is still to come */
    char cap_addr[INET6_ADDRSTRLEN]; /* the last address refused so */
    key_refusal_t key_refusals[AUTH_KEY_LOG_MAX];
    size_t nkey_refusals;
    bool probing;             /* auth_probe's own handshake is being answered */
    auth_identity_t *revoked; /* keys removed by a reload, to name them when they come back */
    size_t nrevoked;
};

static const char *const role_names[] = {"department", "notifier", "operator", "admin", "viewer"};

const char *
auth_role_name(auth_role_t role)
{
    return (size_t)role < ARRAY_LEN(role_names) ? role_names[role] : "?";
}

static int
role_parse(const char *name, auth_role_t *out)
{
    for (size_t i = 0; name != NULL && i < ARRAY_LEN(role_names); i++)
        if (strcmp(name, role_names[i]) == 0) {
            *out = (auth_role_t)i;
            return 0;
        }
    return -1;
}

auth_t *
auth_new(const char *keys_dir)
{
    auth_t *self = xcalloc(1, sizeof(*self));

    self->keys_dir = keys_dir ? xstrdup(keys_dir) : NULL;
    return self;
}

static void
ids_free(auth_identity_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i].name);
    free(ids);
}

static void kind_roll(refusal_kind_t *k, int64_t now);
static void summary_roll(auth_t *self, int64_t now, bool force);

void
auth_destroy(auth_t **p)
{
    auth_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    /* The last word on what a flood left out, even if its window is still open. */
    for (size_t i = 0; i < self->nkinds; i++)
        kind_roll(&self->kinds[i], self->kinds[i].window_start + AUTH_LOG_WINDOW_MS);
    auth_watch_drain(self);
    summary_roll(self, util_mono_ms(), true);
    for (size_t i = 0; i < self->nwatched; i++)
        zmq_close(self->watched[i].mon);
    free(self->live);
    if (self->zap != NULL)
        zmq_close(self->zap);
    for (size_t i = 0; i < self->nquotas; i++)
        free(self->quotas[i].who);
    free(self->quotas);
    ids_free(self->ids, self->n);
    ids_free(self->revoked, self->nrevoked);
    free(self->keys_dir);
    free(self);
    *p = NULL;
}

static const auth_identity_t *
find_key(const auth_identity_t *ids, size_t n, const char *z85)
{
    for (size_t i = 0; z85 != NULL && i < n; i++)
        if (strcmp(ids[i].key.z85, z85) == 0)
            return &ids[i];
    return NULL;
}

/* Read one NAME.key file into a new registry slot. */
static int
load_one(const char *dir, const char *file, auth_identity_t **ids, size_t *n, char **err)
{
    size_t len = strlen(file) - 4; /* without ".key" */
    char *name = xstrndup(file, len), *path = xasprintf("%s/%s", dir, file), *role = NULL;
    auth_identity_t id = {0};
    int rc = -1;

    if (!curvecfg_name_ok(name)) {
        *err = xasprintf(_("%s: '%s' is not a usable identity name"), path, name);
        goto done;
    }
    if (curvecfg_read(path, &id.key, NULL, &role, err) < 0)
        goto done;
    if (role_parse(role, &id.role) < 0) {
        *err = xasprintf(
            _("%s: role is %s%s%s; it must be department, notifier, operator, admin or viewer"),
            path, role ? "'" : "missing", role ? role : "", role ? "'" : "");
        goto done;
    }
    if (find_key(*ids, *n, id.key.z85) != NULL) {
        *err = xasprintf(_("%s: the same public key is already trusted as %s"), path,
                         find_key(*ids, *n, id.key.z85)->name);
        goto done;
    }
    id.name = name;
    name = NULL;
    *ids = xgrow(*ids, *n, sizeof(**ids));
    (*ids)[(*n)++] = id;
    rc = 0;
done:
    free(role);
    free(path);
    free(name);
    return rc;
}

static refusal_kind_t *kind_slot(auth_t *self, const char *kind);

/*
 * A handshake refused for key (Z85): counted like every refusal, and logged at warning at most
 * once per key per AUTH_KEY_LOG_MS, with the name of the key when it was trusted before, and
 * what the key's owner or the admin does next.
 */
static void
handshake_refusal(auth_t *self, const char *key, const char *address, const char *domain)
{
    int64_t now = util_mono_ms();
    key_refusal_t *slot = NULL, *oldest = NULL;
    const auth_identity_t *was;
    char again[80] = "";

    if (self->probing)
        return;
    self->total++;
    kind_slot(self, "handshake")->total++;
    for (size_t i = 0; i < self->nkey_refusals; i++) {
        key_refusal_t *k = &self->key_refusals[i];
        if (strcmp(k->key, key) == 0)
            slot = k;
        if (oldest == NULL || k->logged_at < oldest->logged_at)
            oldest = k;
    }
    if (slot != NULL && now - slot->logged_at < AUTH_KEY_LOG_MS) {
        slot->since++;
        return;
    }
    if (slot == NULL) {
        /* A full table forgets the key logged longest ago: at worst it is logged again. */
        slot = self->nkey_refusals < AUTH_KEY_LOG_MAX ? &self->key_refusals[self->nkey_refusals++]
                                                      : oldest;
        memset(slot, 0, sizeof(*slot));
        snprintf(slot->key, sizeof(slot->key), "%s", key);
    }
    if (slot->since > 0)
        snprintf(again, sizeof(again), _(" (refused %llu more times since the last line)"),
                 (unsigned long long)slot->since);
    was = find_key(self->revoked, self->nrevoked, key);
    if (was != NULL)
        log_warnx(_("refused handshake on %s from %s: the key of %s (%s), revoked; if that is a "
                    "mistake put %s.key back in %s and send permitd SIGHUP%s"),
                  domain, address, was->name, auth_role_name(was->role), was->name,
                  self->keys_dir ? self->keys_dir : "keys_dir", again);
    else
        log_warnx(_("refused handshake on %s from %s: key %s is not in %s; to let it in, put its "
                    "NAME.key there and send permitd SIGHUP%s"),
                  domain, address, key, self->keys_dir ? self->keys_dir : "keys_dir", again);
    slot->logged_at = now;
    slot->since = 0;
}

/* Say which identities a reload added, revoked or changed. */
static void
log_changes(auth_t *self, const auth_identity_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const auth_identity_t *old = find_key(self->ids, self->n, ids[i].key.z85);
        if (old == NULL)
            log_info(_("auth: key of %s (%s) trusted"), ids[i].name, auth_role_name(ids[i].role));
        else if (old->role != ids[i].role || strcmp(old->name, ids[i].name) != 0)
            log_info(_("auth: key of %s is now %s (%s)"), old->name, ids[i].name,
                     auth_role_name(ids[i].role));
    }
    for (size_t i = 0; i < self->n; i++)
        if (find_key(ids, n, self->ids[i].key.z85) == NULL) {
            log_info(_("auth: key of %s (%s) revoked"), self->ids[i].name,
                     auth_role_name(self->ids[i].role));
            /* Remembered (once) so a refused handshake can say whose key it was. */
            if (find_key(self->revoked, self->nrevoked, self->ids[i].key.z85) == NULL) {
                self->revoked = xgrow(self->revoked, self->nrevoked, sizeof(*self->revoked));
                self->revoked[self->nrevoked] = self->ids[i];
                self->revoked[self->nrevoked++].name = xstrdup(self->ids[i].name);
            }
        }
}

int
auth_load(auth_t *self, char **err)
{
    auth_identity_t *ids = NULL;
    size_t n = 0;
    struct dirent **list = NULL;
    int count;

    if (self->keys_dir == NULL)
        return 0;
    count = scandir(self->keys_dir, &list, NULL, alphasort);
    if (count < 0) {
        *err = xasprintf(_("keys_dir %s: %s"), self->keys_dir, strerror(errno));
        return -1;
    }
    for (int i = 0; i < count; i++) {
        const char *f = list[i]->d_name;
        size_t len = strlen(f);
        /* Only NAME.key files are keys; secrets and anything else in the folder are not. */
        if (f[0] != '.' && len > 4 && strcmp(f + len - 4, ".key") == 0 && *err == NULL &&
            load_one(self->keys_dir, f, &ids, &n, err) < 0) {
            /* keep freeing the list; *err stays the first error */
        }
        free(list[i]);
    }
    free(list);
    if (*err != NULL) {
        ids_free(ids, n);
        return -1;
    }
    if (self->ids != NULL || n > 0)
        log_changes(self, ids, n);
    ids_free(self->ids, self->n);
    self->ids = ids;
    self->n = n;
    return 0;
}

const auth_identity_t *
auth_lookup(const auth_t *self, const char *z85)
{
    return find_key(self->ids, self->n, z85);
}

size_t
auth_count(const auth_t *self)
{
    return self->n;
}

int
auth_zap_bind(auth_t *self, void *zctx, char **err)
{
    int linger = 0;

    self->zap = zmq_socket(zctx, ZMQ_REP);
    if (self->zap == NULL || zmq_setsockopt(self->zap, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_bind(self->zap, ZAP_ENDPOINT) != 0) {
        *err = xasprintf(_("ZAP handler %s: %s"), ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
        if (self->zap != NULL)
            zmq_close(self->zap);
        self->zap = NULL;
        return -1;
    }
    return 0;
}

void *
auth_zap_socket(const auth_t *self)
{
    return self->zap;
}

/* The ZAP request's frames we read (RFC 27): version .. mechanism, then credentials. */
enum {
    ZAP_VERSION,
    ZAP_REQUEST_ID,
    ZAP_DOMAIN,
    ZAP_ADDRESS,
    ZAP_ROUTING_ID,
    ZAP_MECHANISM,
    ZAP_CREDENTIALS,
    ZAP_FRAMES
};

static void
zap_send(void *sock, const void *rid, size_t rid_len, const char *status, const char *text,
         const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, rid, rid_len, ZMQ_SNDMORE);
    zmq_send(sock, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* Frame i of a request as text, cut to fit buf. */
static void
frame_text(char *buf, size_t size, zmq_msg_t *f)
{
    size_t n = zmq_msg_size(f) < size - 1 ? zmq_msg_size(f) : size - 1;

    memcpy(buf, zmq_msg_data(f), n);
    buf[n] = '\0';
}

/*
 * Answer one ZAP request: 200 with the public key as User-Id for a trusted key, 400
 * otherwise. The key, not the name, is the User-Id, so a key revoked and another one issued
 * under the same name never shares the old connections' authority. The REP socket must answer
 * every request it took, even one it cannot read.
 */
static int
zap_handle_one(auth_t *self)
{
    zmq_msg_t f[ZAP_FRAMES];
    int nf = 0, more = 1;
    size_t sz;
    char domain[64] = "", address[128] = "", mech[16] = "", key[CURVE_Z85_LEN + 1] = "";
    const auth_identity_t *id = NULL;

    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->zap, nf == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        sz = sizeof(more);
        zmq_getsockopt(self->zap, ZMQ_RCVMORE, &more, &sz);
        if (nf < ZAP_FRAMES) {
            zmq_msg_init(&f[nf]);
            zmq_msg_move(&f[nf], &m);
        }
        zmq_msg_close(&m);
        nf++;
    }
    if (nf == 0)
        return -1;
    if (nf > ZAP_FRAMES)
        nf = ZAP_FRAMES;
    if (nf > ZAP_MECHANISM) {
        frame_text(domain, sizeof(domain), &f[ZAP_DOMAIN]);
        frame_text(address, sizeof(address), &f[ZAP_ADDRESS]);
        frame_text(mech, sizeof(mech), &f[ZAP_MECHANISM]);
    }
    if (nf > ZAP_CREDENTIALS && strcmp(mech, "CURVE") == 0 &&
        zmq_msg_size(&f[ZAP_CREDENTIALS]) == 32) {
        zmq_z85_encode(key, zmq_msg_data(&f[ZAP_CREDENTIALS]), 32);
        id = auth_lookup(self, key);
    }
    if (id == NULL) {
        zap_send(self->zap, nf > ZAP_REQUEST_ID ? zmq_msg_data(&f[ZAP_REQUEST_ID]) : "",
                 nf > ZAP_REQUEST_ID ? zmq_msg_size(&f[ZAP_REQUEST_ID]) : 0, "400", "unknown key",
                 "");
        if (key[0] != '\0')
            handshake_refusal(self, key, address[0] ? address : "?", domain[0] ? domain : "?");
        else
            auth_refused(self, "handshake", "-", _("%s client from %s on %s: not a CURVE client"),
                         mech[0] ? mech : "?", address[0] ? address : "?",
                         domain[0] ? domain : "?");
    } else {
        zap_send(self->zap, zmq_msg_data(&f[ZAP_REQUEST_ID]), zmq_msg_size(&f[ZAP_REQUEST_ID]),
                 "200", "OK", key);
        log_debug("auth: %s (%s) connected to %s from %s", id->name, auth_role_name(id->role),
                  domain, address);
    }
    for (int i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return 0;
}

void
auth_zap_drain(auth_t *self)
{
    /* A handshake waits for its answer; there are never many, so answer them all. */
    while (self->zap != NULL && zap_handle_one(self) == 0) {
    }
}

int
auth_server_socket(void *sock, const char *domain, const curve_key_t *secret, bool enforce,
                   char **err)
{
    int one = 1;

    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret->z85, CURVE_Z85_LEN) != 0 ||
        (enforce && zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)) {
        *err = xasprintf(_("CURVE on the %s socket: %s"), domain, zmq_strerror(zmq_errno()));
        return -1;
    }
    if (enforce && zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one)) != 0)
        log_debug("auth: this libzmq has no ZMQ_ZAP_ENFORCE_DOMAIN (%s); the ZAP handler stays "
                  "bound for the life of the broker and the start-up probe checks it",
                  zmq_strerror(zmq_errno()));
    return 0;
}

/* The handshake's outcome as the probe's monitor reports it: 1 refused, 0 accepted. */
static int
probe_event(void *mon)
{
    zmq_msg_t m;
    uint16_t event = 0;
    int more = 0, outcome = -1;
    size_t sz = sizeof(more);

    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    if (zmq_msg_size(&m) >= 2)
        memcpy(&event, zmq_msg_data(&m), sizeof(event));
    zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &sz);
    while (more) {
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, mon, 0) < 0)
            break;
        sz = sizeof(more);
        zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &sz);
    }
    zmq_msg_close(&m);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        outcome = 0;
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ||
             event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
             event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        outcome = 1;
    return outcome;
}

int
auth_probe(auth_t *self, void *zctx, const char *endpoint, int type,
           const curve_key_t *server_public, int timeout_ms, char **err)
{
    char pub[CURVE_Z85_LEN + 1], sec[CURVE_Z85_LEN + 1];
    char mon_ep[64];
    void *probe = zmq_socket(zctx, type), *mon = NULL;
    int linger = 0, outcome = -1;
    int64_t deadline = util_mono_ms() + timeout_ms;
    static unsigned probes;

    snprintf(mon_ep, sizeof(mon_ep), "inproc://permit-auth-probe-%u", probes++);
    if (probe == NULL || zmq_curve_keypair(pub, sec) != 0 ||
        zmq_setsockopt(probe, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(probe, ZMQ_CURVE_SERVERKEY, server_public->z85, CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(probe, ZMQ_CURVE_PUBLICKEY, pub, CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(probe, ZMQ_CURVE_SECRETKEY, sec, CURVE_Z85_LEN) != 0 ||
        zmq_socket_monitor(probe, mon_ep,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
        (mon = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_connect(mon, mon_ep) != 0 || zmq_connect(probe, endpoint) != 0) {
        *err = xasprintf(_("start-up probe: %s"), zmq_strerror(zmq_errno()));
        goto done;
    }
    while (outcome < 0) {
        zmq_pollitem_t items[] = {{mon, 0, ZMQ_POLLIN, 0}, {self->zap, 0, ZMQ_POLLIN, 0}};
        int64_t left = deadline - util_mono_ms();
        if (left <= 0)
            break;
        if (zmq_poll(items, self->zap ? 2 : 1, (long)left) < 0 && zmq_errno() != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN) {
            /* Our own random key: its refusal is the probe's success, not a warning. */
            self->probing = true;
            auth_zap_drain(self);
            self->probing = false;
        }
        if (items[0].revents & ZMQ_POLLIN)
            outcome = probe_event(mon);
    }
    if (outcome == 1) {
        log_info(_("auth: start-up probe with a random key was refused on %s, as it must be"),
                 endpoint);
    } else if (outcome == 0) {
        *err =
            xasprintf(_("start-up probe: a client with a random key was ACCEPTED on %s; CURVE "
                        "fails open (no ZAP handler or no enforced ZAP domain); refusing to run"),
                      endpoint);
    } else {
        *err = xasprintf(_("start-up probe: no handshake outcome on %s within %d ms; cannot prove "
                           "that unknown keys are refused, refusing to run"),
                         endpoint, timeout_ms);
    }
done:
    explicit_bzero(sec, sizeof(sec));
    if (probe != NULL) {
        zmq_socket_monitor(probe, NULL, 0);
        zmq_close(probe);
    }
    if (mon != NULL)
        zmq_close(mon);
    return outcome == 1 ? 0 : -1;
}

static refusal_kind_t *
kind_slot(auth_t *self, const char *kind)
{
    for (size_t i = 0; i < self->nkinds; i++)
        if (strcmp(self->kinds[i].name, kind) == 0)
            return &self->kinds[i];
    if (self->nkinds == AUTH_MAX_KINDS)
        return &self->kinds[AUTH_MAX_KINDS - 1]; /* refusal codes are few; never in practice */
    snprintf(self->kinds[self->nkinds].name, sizeof(self->kinds[0].name), "%s", kind);
    return &self->kinds[self->nkinds++];
}

/* Close the window of k if it is over, saying how many lines it left out. */
static void
kind_roll(refusal_kind_t *k, int64_t now)
{
    if (now - k->window_start < AUTH_LOG_WINDOW_MS)
        return;
    if (k->suppressed > 0)
        log_warnx(_("refused: %llu more %s refusals in %d s not logged one by one (%llu in all)"),
                  (unsigned long long)k->suppressed, k->name, AUTH_LOG_WINDOW_MS / 1000,
                  (unsigned long long)k->total);
    k->window_start = now;
    k->logged = 0;
    k->suppressed = 0;
}

void
auth_refused(auth_t *self, const char *kind, const char *who, const char *fmt, ...)
{
    refusal_kind_t *k = kind_slot(self, kind);
    int64_t now = util_mono_ms();
    char why[512];
    va_list ap;

    self->total++;
    k->total++;
    kind_roll(k, now);
    if (k->logged >= AUTH_LOG_BURST) {
        k->suppressed++;
        return;
    }
    k->logged++;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    log_info(_("refused (%s) %s: %s"), kind, util_empty(who) ? "-" : who, why);
}

void
auth_refusals_flush(auth_t *self)
{
    int64_t now = util_mono_ms();

    summary_roll(self, now, false);
    for (size_t i = 0; i < self->nkinds; i++)
        if (self->kinds[i].suppressed > 0)
            kind_roll(&self->kinds[i], now);
}

uint64_t
auth_refusals_total(const auth_t *self)
{
    return self->total;
}

/* The bucket of who: found, new (full), or the longest untouched one reused when at the cap. */
static quota_t *
quota_slot(auth_t *self, const char *who, int burst, int64_t now_ms)
{
    quota_t *q = NULL;

    for (size_t i = 0; i < self->nquotas; i++) {
        if (strcmp(self->quotas[i].who, who) == 0)
            return &self->quotas[i];
        if (q == NULL || self->quotas[i].at < q->at)
            q = &self->quotas[i];
    }
    if (self->nquotas < AUTH_QUOTA_MAX) {
        self->quotas = xgrow(self->quotas, self->nquotas, sizeof(*self->quotas));
        q = &self->quotas[self->nquotas++];
        q->who = NULL;
    }
    xstrset(&q->who, who);
    q->tokens = burst;
    q->at = now_ms;
    return q;
}

bool
auth_quota_take(auth_t *self, const char *who, int rate, int burst, int64_t now_ms,
                uint32_t *retry_after_ms)
{
    quota_t *q;
    double need;

    if (rate <= 0)
        return true;
    q = quota_slot(self, who, burst, now_ms);
    if (now_ms > q->at) {
        q->tokens += (double)(now_ms - q->at) * rate / 1000.0;
        q->at = now_ms;
    }
    if (q->tokens > burst)
        q->tokens = burst; /* also after a reload lowered burst */
    if (q->tokens >= 1.0) {
        q->tokens -= 1.0;
        return true;
    }
    need = (1.0 - q->tokens) * 1000.0 / rate;
    *retry_after_ms = (uint32_t)need + 1;
    return false;
}

void
auth_unwatch(auth_t *self)
{
    for (size_t i = 0; i < self->nwatched; i++)
        if (self->watched[i].sock != NULL) {
            zmq_socket_monitor(self->watched[i].sock, NULL, 0);
            self->watched[i].sock = NULL;
        }
}

int
auth_watch(auth_t *self, void *zctx, void *sock, const char *name, int max_per_address, char **err)
{
    static unsigned watches;
    watch_sock_t *w;
    char ep[64];
    int linger = 0;

    assert(self->nwatched < AUTH_MAX_WATCHED);
    w = &self->watched[self->nwatched];
    snprintf(ep, sizeof(ep), "inproc://permit-auth-watch-%u", watches++);
    if (zmq_socket_monitor(sock, ep,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0 ||
        (w->mon = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
        zmq_setsockopt(w->mon, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_connect(w->mon, ep) != 0) {
        *err = xasprintf(_("monitor of the %s socket: %s"), name, zmq_strerror(zmq_errno()));
        if (w->mon != NULL)
            zmq_close(w->mon);
        w->mon = NULL;
        return -1;
    }
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->sock = sock;
    w->max_per_address = max_per_address;
    self->nwatched++;
    if (self->summary_start == 0)
        self->summary_start = util_mono_ms();
    return 0;
}

size_t
auth_watch_sockets(const auth_t *self, void **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < self->nwatched && n < max; i++)
        out[n++] = self->watched[i].mon;
    return n;
}

/* The peer address of a TCP connection; false for another kind (ipc) or a gone descriptor. */
static bool
peer_addr(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
        return false;
    if (ss.ss_family == AF_INET)
        return inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, size) != NULL;
    if (ss.ss_family == AF_INET6)
        return inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, size) != NULL;
    return false;
}

/*
 * A connection accepted: counted under its address, or shut down when the address holds its
 * cap already. shutdown(2), not close: the descriptor stays libzmq's, which sees the end of the
 * stream and closes it itself (DISCONNECTED follows, for a descriptor no longer counted).
 */
static void
conn_accepted(auth_t *self, const watch_sock_t *w, int fd)
{
    char addr[INET6_ADDRSTRLEN];
    int same = 0;

    if (!peer_addr(fd, addr, sizeof(addr)))
        return;
    for (size_t i = 0; i < self->nlive; i++)
        same += strcmp(self->live[i].addr, addr) == 0;
    if (w->max_per_address > 0 && same >= w->max_per_address) {
        shutdown(fd, SHUT_RDWR);
        self->cap_refused++;
        self->cap_pending++;
        snprintf(self->cap_addr, sizeof(self->cap_addr), "%s", addr);
        return;
    }
    self->live = xgrow(self->live, self->nlive, sizeof(*self->live));
    self->live[self->nlive].fd = fd;
    snprintf(self->live[self->nlive].addr, sizeof(self->live[0].addr), "%s", addr);
    self->nlive++;
}

static void
conn_gone(auth_t *self, int fd)
{
    for (size_t i = 0; i < self->nlive; i++)
        if (self->live[i].fd == fd) {
            self->live[i] = self->live[--self->nlive];
            return;
        }
}

/* One monitor event: [event u16, value u32][endpoint]. 0, or -1 when none was waiting. */
static int
watch_event(auth_t *self, const watch_sock_t *w)
{
    zmq_msg_t m;
    uint16_t event = 0;
    uint32_t value = 0;
    int more = 0;
    size_t sz = sizeof(more);

    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, w->mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    if (zmq_msg_size(&m) >= 6) {
        memcpy(&event, zmq_msg_data(&m), sizeof(event));
        memcpy(&value, (const uint8_t *)zmq_msg_data(&m) + 2, sizeof(value));
    }
    zmq_getsockopt(w->mon, ZMQ_RCVMORE, &more, &sz);
    while (more) {
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, w->mon, 0) < 0)
            break;
        sz = sizeof(more);
        zmq_getsockopt(w->mon, ZMQ_RCVMORE, &more, &sz);
    }
    zmq_msg_close(&m);
    if (event == ZMQ_EVENT_ACCEPTED)
        conn_accepted(self, w, (int)value);
    else if (event == ZMQ_EVENT_DISCONNECTED)
        conn_gone(self, (int)value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL && self->cap_pending > 0)
        self->cap_pending--; /* one we shut down: counted as refused, not as timed out */
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        self->hs_failed++;
    return 0;
}

void
auth_watch_drain(auth_t *self)
{
    for (size_t i = 0; i < self->nwatched; i++)
        while (watch_event(self, &self->watched[i]) == 0) {
        }
}

/* One line for what the monitors counted in the interval, when there is anything to say. */
static void
summary_roll(auth_t *self, int64_t now, bool force)
{
    if (self->nwatched == 0 || (!force && now - self->summary_start < AUTH_SUMMARY_MS))
        return;
    if (self->hs_failed > 0 || self->cap_refused > 0) {
        char cap[64 + INET6_ADDRSTRLEN] = "";
        if (self->cap_refused > 0)
            snprintf(cap, sizeof(cap), _(" (last from %s)"), self->cap_addr);
        log_warnx(_("auth: last %lld s: %llu handshakes timed out or dropped unfinished, %llu "
                    "connections refused over the per-address cap%s; %zu TCP connections open"),
                  (long long)((now - self->summary_start + 999) / 1000),
                  (unsigned long long)self->hs_failed, (unsigned long long)self->cap_refused, cap,
                  self->nlive);
    }
    self->summary_start = now;
    self->hs_failed = 0;
    self->cap_refused = 0;
}
