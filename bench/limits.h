/*
 * limits: the machine's own ceilings, measured in the same run as the broker, so that every
 * broker figure can be read as a ratio to what the disk and sqlite allow here.
 *
 * Three loops, each for a fixed time, in a scratch folder on the database's disk:
 * - sqlite in WAL mode with synchronous=FULL, one row per transaction (every commit waits
 *   for its own flush: what a trigger-and-NOTIFY design gets);
 * - the same with 1,000 rows per transaction (group commit's ceiling);
 * - write(4 KiB) + fdatasync in a loop: the disk's flush rate.
 */
#ifndef PERMIT_BENCH_LIMITS_H
#define PERMIT_BENCH_LIMITS_H

typedef struct limits {
    double sqlite_row1_per_s;    /* rows/s, 1 row per transaction */
    double sqlite_row1000_per_s; /* rows/s, 1,000 rows per transaction */
    double fsync_per_s;          /* write + fdatasync per second */
} limits_t;

/*
 * Measure in folder dir (files limits.db* and limits.fsync are made there and removed),
 * spending about secs seconds on each loop. 0, or -1 with a reason logged.
 */
int limits_measure(const char *dir, double secs, limits_t *out);

#endif
