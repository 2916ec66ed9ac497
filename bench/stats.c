/*
 * stats: see stats.h.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
stats_add(stats_t *s, int64_t us)
{
    if (s->n == s->cap) {
        s->cap = s->cap == 0 ? 4096 : s->cap * 2;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = us;
    s->sorted = 0;
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double
stats_pct(stats_t *s, double p)
{
    size_t rank;

    if (s->n == 0)
        return -1;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
        s->sorted = 1;
    }
    /* Nearest rank: the smallest sample with at least p% of the samples at or below it. */
    rank = (size_t)ceil(p / 100.0 * (double)s->n);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return (double)s->v[rank - 1] / 1000.0;
}

void
stats_clear(stats_t *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}
