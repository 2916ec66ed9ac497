/*
 * weblimit: the login rate limit of the web console, kept per key: the remote address and the
 * account name each have one (permit-web asks both before it checks a password).
 *
 * WEBLIMIT_FREE failed logins within WEBLIMIT_WINDOW_MS cost nothing; each failure from the
 * WEBLIMIT_FREE-th on locks the key for WEBLIMIT_WINDOW_MS, then twice that, and so on up to
 * WEBLIMIT_MAX_MS. A key with no failure for a window after its last lock ended starts again
 * from zero; a successful login clears it. A lock only delays: it is not a verdict on the password,
 * which is not even checked while the key is locked, so guessing costs the guesser time and us no
 * hashing.
 *
 * The table holds at most `max` keys: when full, the key whose last failure is oldest is
 * forgotten, so a flood of addresses costs bounded memory and locks out nobody else.
 */
#ifndef PERMIT_WEBLIMIT_H
#define PERMIT_WEBLIMIT_H

#include <stddef.h>
#include <stdint.h>

#define WEBLIMIT_FREE 5
#define WEBLIMIT_WINDOW_MS 60000
#define WEBLIMIT_MAX_MS 3600000

typedef struct weblimit weblimit_t;

/* A table for at most max keys (at least 1). Caller owns. */
weblimit_t *weblimit_new(size_t max);
void weblimit_destroy(weblimit_t **p);

/* How long key must wait before its next attempt at now (monotonic ms): 0 to go ahead. */
int64_t weblimit_wait(weblimit_t *self, const char *key, int64_t now);
/* A failed login of key at now. */
void weblimit_fail(weblimit_t *self, const char *key, int64_t now);
/* A successful login of key: its failures are forgotten. */
void weblimit_success(weblimit_t *self, const char *key);

#endif
