/*
 * row: what the fold keeps of a procedure and of a project's clock between entries. The
 * meaning of every field is the rules' (clock.h: deadlines, pauses, colours, commitments;
 * engine.h: states); the store (store.h) only keeps the rows, so it includes this header and
 * not the other way round.
 */
#ifndef PERMIT_ROW_H
#define PERMIT_ROW_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* Where a commitment made under acceptance with deficiency (容缺受理) stands. */
typedef enum store_commit {
    STORE_COMMIT_NONE,
    STORE_COMMIT_OPEN,
    STORE_COMMIT_REMINDED,
    STORE_COMMIT_BREACHED,
} store_commit_t;

/*
 * One procedure of one project, as kept in the procedures table. Days are civil days since
 * 1970-01-01 (calendar.h); 0 means none.
 *
 * code and dept are borrowed, never freed with the row: in a row the store gives out they are
 * its interned copies (strpool.h), valid until store_close; in a row given to the store they
 * need only outlive the call (the store keeps its own). cert and missing are owned.
 */
typedef struct store_proc {
    const char *code;
    const char *dept;
    pm_state_t state;
    bool deficient; /* an open commitment from acceptance with deficiency */
    char *cert;
    uint64_t updated_seq;
    int64_t updated_ms;
    /* The clock. */
    int64_t accepted_ms; /* when the clock started, 0 if it never did */
    int32_t extended;    /* working days added by supplement pauses */
    int32_t deadline;    /* the promised limit's last working day */
    int32_t statutory;   /* the statutory limit's last working day */
    bool provisional;
    int32_t paused_on; /* the day a supplement was requested, 0 when running */
    pm_colour_t colour;
    store_commit_t commit;
    int32_t commit_due; /* the commitment's last day */
    char *missing;      /* what the commitment promises */
    int64_t next_ms;    /* when the clock next has something to do for it, 0 never */
} store_proc_t;

/* A project's own clock: all approvals due by a date (应批尽批). */
typedef struct store_projclock {
    int32_t due; /* last day, 0 when the project has no planned start */
    pm_colour_t colour;
    int64_t next_ms;
} store_projclock_t;

#endif
