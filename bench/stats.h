/*
 * stats: latency samples and their percentiles, for permit-bench.
 *
 * Owns a growable array of samples in microseconds. Samples are kept whole (8 bytes each) and
 * sorted once when the percentiles are asked for, so p99.9 is exact rather than the estimate
 * of a histogram; a 10-second run at 100,000 events/s holds 8 MB.
 */
#ifndef PERMIT_BENCH_STATS_H
#define PERMIT_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct stats {
    int64_t *v; /* samples, microseconds */
    size_t n;
    size_t cap;
    int sorted; /* v is sorted: set by stats_pct, cleared by stats_add */
} stats_t;

/* Record one sample (microseconds). */
void stats_add(stats_t *s, int64_t us);

/*
 * The p-th percentile (0 < p <= 100) in milliseconds, nearest-rank; -1 when there are no
 * samples (printed as null in the JSON line).
 */
double stats_pct(stats_t *s, double p);

/* Free the samples and zero the struct. */
void stats_clear(stats_t *s);

#endif
