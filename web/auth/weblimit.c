/*
 * weblimit: see weblimit.h.
 */
#include "weblimit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct slot {
    char *key;
    int fails;         /* failures since the key was last clean */
    int64_t last_fail; /* monotonic ms */
    int64_t until;     /* locked until; 0 when not locked */
} slot_t;

struct weblimit {
    slot_t *v;
    size_t n, max;
};

weblimit_t *
weblimit_new(size_t max)
{
    weblimit_t *self = xcalloc(1, sizeof(*self));

    assert(max > 0);
    self->max = max;
    self->v = xcalloc(max, sizeof(*self->v));
    return self;
}

void
weblimit_destroy(weblimit_t **p)
{
    weblimit_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    for (size_t i = 0; i < self->n; i++)
        free(self->v[i].key);
    free(self->v);
    free(self);
    *p = NULL;
}

static slot_t *
find(weblimit_t *self, const char *key)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->v[i].key, key) == 0)
            return &self->v[i];
    return NULL;
}

/* A key clean again: no failure for a window, counted from the end of its last lock (so a
 * guesser who waits each lock out still climbs the ladder). */
static void
expire(slot_t *s, int64_t now)
{
    int64_t since = s->until > s->last_fail ? s->until : s->last_fail;

    if (now - since >= WEBLIMIT_WINDOW_MS) {
        s->fails = 0;
        s->until = 0;
    }
}

int64_t
weblimit_wait(weblimit_t *self, const char *key, int64_t now)
{
    slot_t *s = find(self, key);

    if (s == NULL)
        return 0;
    expire(s, now);
    return s->until > now ? s->until - now : 0;
}

void
weblimit_fail(weblimit_t *self, const char *key, int64_t now)
{
    slot_t *s = find(self, key);

    if (s == NULL) {
        if (self->n < self->max) {
            s = &self->v[self->n++];
        } else {
            s = &self->v[0];
            for (size_t i = 1; i < self->n; i++)
                if (self->v[i].last_fail < s->last_fail)
                    s = &self->v[i];
            free(s->key);
        }
        memset(s, 0, sizeof(*s));
        s->key = xstrdup(key);
    }
    expire(s, now);
    s->fails++;
    s->last_fail = now;
    if (s->fails >= WEBLIMIT_FREE) {
        int doublings = s->fails - WEBLIMIT_FREE;
        int64_t lock = WEBLIMIT_WINDOW_MS;
        while (doublings-- > 0 && lock < WEBLIMIT_MAX_MS)
            lock *= 2;
        s->until = now + (lock < WEBLIMIT_MAX_MS ? lock : WEBLIMIT_MAX_MS);
    }
}

void
weblimit_success(weblimit_t *self, const char *key)
{
    slot_t *s = find(self, key);

    if (s == NULL)
        return;
    free(s->key);
    *s = self->v[--self->n];
    memset(&self->v[self->n], 0, sizeof(self->v[0]));
}
