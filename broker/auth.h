/*
 * auth: who may talk to the broker. Owns the key registry (the public keys the broker trusts,
 * each mapped to an identity and a role), the ZAP handler that libzmq asks during every CURVE
 * handshake, the CURVE settings of the server sockets, the start-up probe, and the
 * rate-limited log of refusals.
 *
 * The registry is read from keys_dir: one file per identity, NAME.key, holding
 * "public = Z85" and "role = department|notifier|operator|admin|viewer" (permitctl keygen writes
 * it; for a department NAME is its code). SIGHUP reloads the folder: added keys work on the next
 * handshake; a removed key stops working at once, also on live connections, because the ZAP
 * handler hands libzmq the public key as the connection's User-Id and every message is
 * authorised again against the current registry (auth_lookup), never by routing id.
 *
 * libzmq 4.3.4 accepts any CURVE client when no ZAP handler is bound or no ZAP domain is set
 * with enforcement (it fails open). So the handler is bound before any server socket, every
 * server socket sets ZMQ_ZAP_DOMAIN and ZMQ_ZAP_ENFORCE_DOMAIN, and auth_probe() proves at
 * start that a client with a random key is refused.
 */
#ifndef PERMIT_AUTH_H
#define PERMIT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "curvecfg.h"

typedef enum auth_role {
    AUTH_ROLE_DEPARTMENT, /* events for the procedures it owns, pings, read */
    AUTH_ROLE_NOTIFIER,   /* read: query and subscribe */
    AUTH_ROLE_OPERATOR,   /* read, and corrections (reopened, extended, not_required) */
    AUTH_ROLE_ADMIN,      /* an operator who may also import and set a test clock */
    AUTH_ROLE_VIEWER,     /* read only: query and subscribe (permit-web) */
} auth_role_t;

/* One trusted key. */
typedef struct auth_identity {
    char *name; /* the identity: a department code, or a person's or program's name */
    auth_role_t role;
    curve_key_t key;
} auth_identity_t;

typedef struct auth auth_t;

/* A registry with no keys; keys_dir NULL means plain sockets (no CURVE). */
auth_t *auth_new(const char *keys_dir);
void auth_destroy(auth_t **p);

const char *auth_role_name(auth_role_t role);

/*
 * (Re)read keys_dir. On success the new registry replaces the old one whole, with a log line
 * naming what was added and revoked; on any error (a bad file, a key listed twice) the old
 * registry stays and *err (caller owns) says why.
 */
int auth_load(auth_t *self, char **err);

/* The identity of a public key (Z85), or NULL when it is not (or no longer) trusted. */
const auth_identity_t *auth_lookup(const auth_t *self, const char *z85);

/* Number of trusted keys. */
size_t auth_count(const auth_t *self);

/*
 * Bind the ZAP handler (a REP socket on inproc://zeromq.zap.01) in zctx. Must come before
 * any server socket is bound. 0, or -1 with *err.
 */
int auth_zap_bind(auth_t *self, void *zctx, char **err);

/* The ZAP socket, for the broker's poll set (NULL before auth_zap_bind). */
void *auth_zap_socket(const auth_t *self);

/* Answer every ZAP request waiting, without blocking. */
void auth_zap_drain(auth_t *self);

/*
 * Make a bound-to-be server socket speak CURVE as the server with secret, in ZAP domain
 * `domain` with enforcement. enforce false is for the test of the probe only. 0 or -1 (*err).
 */
int auth_server_socket(void *sock, const char *domain, const curve_key_t *secret, bool enforce,
                       char **err);

/*
 * Connect a client socket of type (ZMQ_DEALER for a ROUTER, ZMQ_SUB for a PUB: a mismatched
 * type would fail the handshake for another reason) with a random key pair to endpoint (served with
 * server_public) and wait up to timeout_ms, answering ZAP requests meanwhile. 0 when the handshake
 * was refused as it must be; -1 with *err when it succeeded (the broker fails open) or nothing was
 * decided.
 */
int auth_probe(auth_t *self, void *zctx, const char *endpoint, int type,
               const curve_key_t *server_public, int timeout_ms, char **err);

/*
 * Count a refusal of kind (a refusal code, or "handshake") and log it with who and why, at
 * most AUTH_LOG_BURST lines per kind in AUTH_LOG_WINDOW_MS; past that the lines are counted
 * and one summary line says how many were left out when the window closes.
 */
#define AUTH_LOG_BURST 10
/*
 * A key refused in the handshake is logged at warning once per key per AUTH_KEY_LOG_MS (with
 * its name when it was revoked by a reload, and how many refusals the last line left out);
 * up to AUTH_KEY_LOG_MAX keys are remembered.
 */
#define AUTH_KEY_LOG_MS 60000
#define AUTH_KEY_LOG_MAX 256
#define AUTH_LOG_WINDOW_MS 10000
void auth_refused(auth_t *self, const char *kind, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Write the summary lines of windows that closed (the broker's cron calls it). */
void auth_refusals_flush(auth_t *self);

/*
 * The quota of events per identity (a key's name; on plain sockets the department an event
 * names): a token bucket holding up to burst events, refilled at rate a second. True when one
 * more event may go in at now_ms (monotonic); false with the milliseconds until one may in
 * *retry_after_ms. rate 0 means no quota. At most AUTH_QUOTA_MAX identities are tracked; past
 * that the longest untouched bucket is reused, which only ever lets more in.
 */
#define AUTH_QUOTA_MAX 4096
bool auth_quota_take(auth_t *self, const char *who, int rate, int burst, int64_t now_ms,
                     uint32_t *retry_after_ms);

/*
 * Connections that never finish their handshake hold a file descriptor each until libzmq's
 * handshake interval ends them (handshake_ms on every server socket). auth_watch adds a socket
 * monitor to a bound server socket: a TCP connection from an address that already holds
 * max_per_address live connections is shut down at once (0: no cap), and handshakes that
 * failed without a verdict (timed out, or dropped before the end) are counted. Both go into
 * one summary line every AUTH_SUMMARY_MS (auth_refusals_flush), and a last one at
 * auth_destroy, never a line per connection. 0, or -1 with *err.
 */
#define AUTH_SUMMARY_MS 60000
int auth_watch(auth_t *self, void *zctx, void *sock, const char *name, int max_per_address,
               char **err);

/*
 * Stop every monitor auth_watch started, before the watched sockets close: a socket closed while
 * still monitored sends its last events into a pipe nobody reads any more, and libzmq leaks them.
 */
void auth_unwatch(auth_t *self);

/* The monitor sockets of auth_watch, for the broker's poll set: n of them from *out. */
#define AUTH_WATCH_POLL 4
size_t auth_watch_sockets(const auth_t *self, void **out, size_t max);

/* Read every connection event waiting on the monitors, without blocking. */
void auth_watch_drain(auth_t *self);

/* Refusals counted so far, of every kind. */
uint64_t auth_refusals_total(const auth_t *self);

#endif
