/*
 * session: see session.h.
 */
#include "session.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "util.h"

struct sessions {
    session_t *v;
    size_t n, max;
    int64_t ttl_ms, idle_ms;
};

sessions_t *
sessions_new(size_t max, int64_t ttl_ms, int64_t idle_ms)
{
    sessions_t *self = xcalloc(1, sizeof(*self));

    assert(max > 0);
    self->v = xcalloc(max, sizeof(*self->v));
    self->max = max;
    self->ttl_ms = ttl_ms;
    self->idle_ms = idle_ms;
    return self;
}

void
sessions_destroy(sessions_t **p)
{
    sessions_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    explicit_bzero(self->v, self->max * sizeof(*self->v));
    free(self->v);
    free(self);
    *p = NULL;
}

int
session_random(char *out)
{
    unsigned char b[SESSION_ID_LEN / 2];

    if (RAND_bytes(b, sizeof(b)) != 1) {
        log_warnx(_("session: the random source failed; no session made"));
        return -1;
    }
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    explicit_bzero(b, sizeof(b));
    return 0;
}

static void
remove_at(sessions_t *self, size_t i)
{
    self->v[i] = self->v[self->n - 1];
    explicit_bzero(&self->v[--self->n], sizeof(self->v[0]));
}

static bool
alive(const sessions_t *self, const session_t *s, int64_t now)
{
    return now - s->created < self->ttl_ms && now - s->used < self->idle_ms;
}

const session_t *
sessions_create(sessions_t *self, const char *user, const webuser_role_t *role, int64_t now)
{
    session_t s = {0};

    if (session_random(s.id) < 0 || session_random(s.csrf) < 0)
        return NULL;
    snprintf(s.user, sizeof(s.user), "%s", user);
    s.role = *role;
    s.created = s.used = now;
    for (size_t i = 0; i < self->n;)
        if (!alive(self, &self->v[i], now))
            remove_at(self, i);
        else
            i++;
    if (self->n == self->max) {
        size_t lru = 0;
        for (size_t i = 1; i < self->n; i++)
            if (self->v[i].used < self->v[lru].used)
                lru = i;
        remove_at(self, lru);
    }
    self->v[self->n] = s;
    explicit_bzero(&s, sizeof(s));
    return &self->v[self->n++];
}

/* The index of id's session, looked at in constant time per entry; -1 when none. */
static ssize_t
find(const sessions_t *self, const char *id)
{
    ssize_t found = -1;

    if (id == NULL || strlen(id) != SESSION_ID_LEN)
        return -1;
    for (size_t i = 0; i < self->n; i++)
        if (CRYPTO_memcmp(self->v[i].id, id, SESSION_ID_LEN) == 0)
            found = (ssize_t)i;
    return found;
}

const session_t *
sessions_get(sessions_t *self, const char *id, int64_t now)
{
    ssize_t i = find(self, id);

    if (i < 0)
        return NULL;
    if (!alive(self, &self->v[i], now)) {
        remove_at(self, (size_t)i);
        return NULL;
    }
    self->v[i].used = now;
    return &self->v[i];
}

void
sessions_drop(sessions_t *self, const char *id)
{
    ssize_t i = find(self, id);

    if (i >= 0)
        remove_at(self, (size_t)i);
}

size_t
sessions_drop_user(sessions_t *self, const char *user)
{
    size_t dropped = 0;

    for (size_t i = 0; i < self->n;)
        if (strcmp(self->v[i].user, user) == 0) {
            remove_at(self, i);
            dropped++;
        } else {
            i++;
        }
    return dropped;
}

size_t
sessions_count(const sessions_t *self)
{
    return self->n;
}

bool
session_token_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strlen(a) == SESSION_ID_LEN && strlen(b) == SESSION_ID_LEN &&
           CRYPTO_memcmp(a, b, SESSION_ID_LEN) == 0;
}

bool
session_csrf_ok(const session_t *s, const char *token)
{
    return session_token_eq(s->csrf, token);
}

char *
session_login_cookie(const char *token, bool secure)
{
    return xasprintf(LOGIN_COOKIE "=%s; HttpOnly;%s SameSite=Strict; Path=/login; Max-Age=3600",
                     token, secure ? " Secure;" : "");
}

char *
session_cookie(const char *id, bool secure)
{
    return xasprintf(SESSION_COOKIE "=%s; HttpOnly;%s SameSite=Strict; Path=/", id,
                     secure ? " Secure;" : "");
}

char *
session_cookie_clear(bool secure)
{
    return xasprintf(SESSION_COOKIE "=; HttpOnly;%s SameSite=Strict; Path=/; Max-Age=0",
                     secure ? " Secure;" : "");
}

/* The value of cookie `name` in a Cookie header when it is a token of SESSION_ID_LEN. */
static char *
cookie_token(const char *header, const char *name)
{
    const size_t nlen = strlen(name);
    const char *p = header;

    while (p != NULL && *p != '\0') {
        size_t len;
        p += strspn(p, " \t;");
        len = strcspn(p, ";");
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            while (vlen > 0 && (p[nlen + 1 + vlen - 1] == ' ' || p[nlen + 1 + vlen - 1] == '\t'))
                vlen--;
            return vlen == SESSION_ID_LEN ? xstrndup(p + nlen + 1, vlen) : NULL;
        }
        p += len;
    }
    return NULL;
}

char *
session_cookie_id(const char *header)
{
    return cookie_token(header, SESSION_COOKIE);
}

char *
session_login_cookie_token(const char *header)
{
    return cookie_token(header, LOGIN_COOKIE);
}
