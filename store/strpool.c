/*
 * strpool: an open-addressing hash set of strings (util_hash, linear probing), kept at most half
 * full and doubled when it would not be. Nothing is removed, so a probe ends at the first
 * empty slot. A slot names a string by its number (+ 1), its place in strs, the order of
 * interning.
 */
#include "strpool.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STRPOOL_MIN_SLOTS 64 /* a power of two */

struct strpool {
    uint32_t *slots; /* 0 empty, else the string's number + 1 */
    size_t nslots;   /* a power of two */
    char **strs;     /* by number, count of them */
    size_t count, cap;
};

strpool_t *
strpool_new(void)
{
    strpool_t *pool = xcalloc(1, sizeof(*pool));

    pool->nslots = STRPOOL_MIN_SLOTS;
    pool->slots = xcalloc(pool->nslots, sizeof(*pool->slots));
    return pool;
}

void
strpool_destroy(strpool_t **pool)
{
    strpool_t *p;

    if (pool == NULL || (p = *pool) == NULL)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->strs[i]);
    free(p->strs);
    free(p->slots);
    free(p);
    *pool = NULL;
}

/* The slot that holds s, or the empty slot where it would go. */
static size_t
strpool_slot(const strpool_t *p, const uint32_t *slots, size_t nslots, const char *s)
{
    size_t i = (size_t)util_hash(s) & (nslots - 1);

    while (slots[i] != 0 && strcmp(p->strs[slots[i] - 1], s) != 0)
        i = (i + 1) & (nslots - 1);
    return i;
}

static void
strpool_grow(strpool_t *p)
{
    size_t nslots = p->nslots * 2;
    uint32_t *slots = xcalloc(nslots, sizeof(*slots));

    for (size_t i = 0; i < p->nslots; i++)
        if (p->slots[i] != 0)
            slots[strpool_slot(p, slots, nslots, p->strs[p->slots[i] - 1])] = p->slots[i];
    free(p->slots);
    p->slots = slots;
    p->nslots = nslots;
}

uint32_t
strpool_number(strpool_t *pool, const char *s)
{
    size_t i = strpool_slot(pool, pool->slots, pool->nslots, s);

    if (pool->slots[i] != 0)
        return pool->slots[i] - 1;
    if (2 * (pool->count + 1) > pool->nslots) {
        strpool_grow(pool);
        i = strpool_slot(pool, pool->slots, pool->nslots, s);
    }
    if (pool->count == pool->cap) {
        pool->cap = pool->cap ? 2 * pool->cap : 32;
        pool->strs = xrealloc(pool->strs, pool->cap * sizeof(*pool->strs));
    }
    pool->strs[pool->count] = xstrdup(s);
    pool->slots[i] = (uint32_t)++pool->count;
    return (uint32_t)(pool->count - 1);
}

const char *
strpool_intern(strpool_t *pool, const char *s)
{
    uint32_t n;

    if (s == NULL)
        return NULL;
    n = strpool_number(pool, s); /* before pool->strs is read: it may move */
    return pool->strs[n];
}

const char *
strpool_at(const strpool_t *pool, uint32_t number)
{
    assert(number < pool->count);
    return pool->strs[number];
}

size_t
strpool_count(const strpool_t *pool)
{
    return pool->count;
}
