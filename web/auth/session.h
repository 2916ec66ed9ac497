/*
 * session: the web console's login sessions, in memory (a restart of permit-web logs
 * everybody out, which is the safe direction).
 *
 * A session id is 256 random bits (RAND_bytes), sent as 64 hex digits in the cookie
 * SESSION_COOKIE, HttpOnly (no script reads it), Secure (HTTPS only; off for tests on plain
 * http over loopback), SameSite=Strict (no other site's page sends it) and Path=/. A session
 * ends SESSION_TTL_MS after the login whatever happens, or after SESSION_IDLE_MS unused, or at
 * logout. Each session has its own CSRF token (the synchronizer token pattern): every form
 * that changes something carries it in a hidden field and the handler compares it
 * (session_csrf_ok, constant time) before doing anything. Ids are compared in constant time
 * too. The table holds at most `max` sessions; when full, the least recently used one ends.
 */
#ifndef PERMIT_SESSION_H
#define PERMIT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webuser.h"

#define SESSION_COOKIE "permit_session"
/* 32 random bytes as hex. */
#define SESSION_ID_LEN 64
#define SESSION_TTL_MS (12LL * 3600 * 1000)
#define SESSION_IDLE_MS (30LL * 60 * 1000)

typedef struct session {
    char id[SESSION_ID_LEN + 1];
    char csrf[SESSION_ID_LEN + 1];
    char user[WEBUSER_NAME_MAX + 1];
    webuser_role_t role;
    int64_t created, used; /* monotonic ms */
} session_t;

typedef struct sessions sessions_t;

/* A table of at most max sessions (at least 1), with these lifetimes in ms. Caller owns. */
sessions_t *sessions_new(size_t max, int64_t ttl_ms, int64_t idle_ms);
void sessions_destroy(sessions_t **p);

/* A new session for a login at now. Borrowed: valid until the next call on the table. NULL
 * only when the random source fails (logged). */
const session_t *sessions_create(sessions_t *self, const char *user, const webuser_role_t *role,
                                 int64_t now);
/* The live session of id at now (its idle time starts again), or NULL: unknown, expired, idle
 * too long or malformed. Borrowed, as above. */
const session_t *sessions_get(sessions_t *self, const char *id, int64_t now);
/* Logout: the session of id ends (nothing when there is none). */
void sessions_drop(sessions_t *self, const char *id);
/* Every session of user ends (the account was removed or its role changed): how many. */
size_t sessions_drop_user(sessions_t *self, const char *user);
/* Sessions alive (for /metrics). */
size_t sessions_count(const sessions_t *self);

/* Whether token is the session's CSRF token (constant time). */
bool session_csrf_ok(const session_t *s, const char *token);

/*
 * The login form's CSRF token, before any session exists: a random token (session_random) in
 * the cookie LOGIN_COOKIE (HttpOnly, SameSite=Strict, Path=/login, an hour) and in the form's
 * hidden field; POST /login goes ahead only when both are there and equal (session_token_eq).
 * Another site's page can neither read the cookie nor make the browser send it (Strict).
 */
#define LOGIN_COOKIE "permit_login"
/* 32 random bytes as 64 hex digits into out (SESSION_ID_LEN + 1). 0, or -1 (logged). */
int session_random(char *out);
/* Whether a and b are the same token of SESSION_ID_LEN characters (constant time). */
bool session_token_eq(const char *a, const char *b);
/* The Set-Cookie value carrying the login form's token. Caller owns. */
char *session_login_cookie(const char *token, bool secure);
/* The login form's token in a Cookie request header, or NULL. Caller owns. */
char *session_login_cookie_token(const char *cookie_header);

/* The Set-Cookie value that starts a session: "permit_session=ID; HttpOnly; Secure;
 * SameSite=Strict; Path=/" (without "Secure" when !secure). Caller owns. */
char *session_cookie(const char *id, bool secure);
/* The Set-Cookie value that ends one in the browser (logout): empty, Max-Age=0. Caller owns. */
char *session_cookie_clear(bool secure);
/* The session id in a Cookie request header ("a=1; permit_session=ID"), or NULL. Caller owns. */
char *session_cookie_id(const char *cookie_header);

#endif
