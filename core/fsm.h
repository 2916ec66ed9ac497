/*
 * fsm: the procedure state machine. Owns the table of allowed transitions: which department
 * event may happen in which state, and the state it leads to.
 *
 * A procedure's condition is its state plus one flag, `deficient`: an open commitment made
 * under acceptance with deficiency (容缺受理). The flag outlives the state it was set in (an
 * application may be approved while the commitment is still open) until the commitment is
 * fulfilled.
 *
 * Prerequisites are not checked here: the engine refuses "accepted" for a procedure whose
 * prerequisites are not satisfied before it asks this table, and turns a reopened procedure
 * (this table says ready) blocked when its prerequisites are not satisfied any more.
 */
#ifndef PERMIT_FSM_H
#define PERMIT_FSM_H

#include <stdbool.h>

#include "model.h"

typedef struct fsm_cond {
    pm_state_t state;
    bool deficient;
} fsm_cond_t;

/* Apply department event `kind` to `from`. 0 and *to on success, -1 if forbidden. */
int fsm_next(fsm_cond_t from, pm_kind_t kind, fsm_cond_t *to);

/* The department events (not corrections) allowed in `from`, ", "-separated. Caller owns. */
char *fsm_allowed(fsm_cond_t from);

/* Open means the department still has work to do on it (the clock may run). */
bool fsm_open(pm_state_t s);

#endif
