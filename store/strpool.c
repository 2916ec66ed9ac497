/*
 * strpool: an open-addressing hash set of strings (util_hash, linear probing), kept at most half
 * full and doubled when it would not be. Nothing is removed, so a probe ends at the first
 * empty slot.
 */
#include "strpool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STRPOOL_MIN_SLOTS 64 /* a power of two */

struct strpool {
    char **slots;
    size_t nslots; /* a power of two */
    size_t count;
};

strpool_t *
strpool_new(void)
{
    strpool_t *pool = xcalloc(1, sizeof(*pool));

    pool->nslots = STRPOOL_MIN_SLOTS;
    pool->slots = xcalloc(pool->nslots, sizeof(char *));
    return pool;
}

void
strpool_destroy(strpool_t **pool)
{
    strpool_t *p;

    if (pool == NULL || (p = *pool) == NULL)
        return;
    for (size_t i = 0; i < p->nslots; i++)
        free(p->slots[i]);
    free(p->slots);
    free(p);
    *pool = NULL;
}

/* The slot that holds s, or the empty slot where it would go. */
static size_t
strpool_slot(char *const *slots, size_t nslots, const char *s)
{
    size_t i = (size_t)util_hash(s) & (nslots - 1);

    while (slots[i] != NULL && strcmp(slots[i], s) != 0)
        i = (i + 1) & (nslots - 1);
    return i;
}

static void
strpool_grow(strpool_t *p)
{
    size_t nslots = p->nslots * 2;
    char **slots = xcalloc(nslots, sizeof(char *));

    for (size_t i = 0; i < p->nslots; i++)
        if (p->slots[i] != NULL)
            slots[strpool_slot(slots, nslots, p->slots[i])] = p->slots[i];
    free(p->slots);
    p->slots = slots;
    p->nslots = nslots;
}

const char *
strpool_intern(strpool_t *pool, const char *s)
{
    size_t i;

    if (s == NULL)
        return NULL;
    i = strpool_slot(pool->slots, pool->nslots, s);
    if (pool->slots[i] != NULL)
        return pool->slots[i];
    if (2 * (pool->count + 1) > pool->nslots) {
        strpool_grow(pool);
        i = strpool_slot(pool->slots, pool->nslots, s);
    }
    pool->slots[i] = xstrdup(s);
    pool->count++;
    return pool->slots[i];
}

size_t
strpool_count(const strpool_t *pool)
{
    return pool->count;
}
