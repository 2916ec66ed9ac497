/*
 * fsm: see fsm.h. The table is the whole definition; fsm_next only reads it.
 */
#include "fsm.h"

#include <stdlib.h>

/*
 * next_state[state][event kind]. No department event leads to "blocked", so 0 (blocked) in
 * the table means forbidden.
 */
#define FORBIDDEN 0
#define RESUME (PM_STATE__COUNT + 1) /* back to accepted or accepted_deficient */
#define KEEP (PM_STATE__COUNT + 2)   /* state unchanged (the commitment flag changes) */

#define K(kind) [PM_KIND_##kind]
#define S(state) PM_STATE_##state

static const int next_state[PM_STATE__COUNT][PM_KIND_LAST_EVENT + 1] = {
    [PM_STATE_BLOCKED] = {K(ACCEPTED_DEFICIENT) = S(DEFICIENT), K(NOT_REQUIRED) = S(NOT_REQUIRED)},
    [PM_STATE_READY] = {K(ACCEPTED) = S(ACCEPTED), K(ACCEPTED_DEFICIENT) = S(DEFICIENT),
                        K(NOT_REQUIRED) = S(NOT_REQUIRED)},
    [PM_STATE_ACCEPTED] = {K(SUPPLEMENT_REQUESTED) = S(SUPPLEMENT), K(APPROVED) = S(APPROVED),
                           K(REJECTED) = S(REJECTED), K(NOT_REQUIRED) = S(NOT_REQUIRED),
                           K(WITHDRAWN) = S(WITHDRAWN), K(EXTENDED) = KEEP},
    [PM_STATE_DEFICIENT] = {K(SUPPLEMENT_REQUESTED) = S(SUPPLEMENT),
                            K(COMMITMENT_FULFILLED) = S(ACCEPTED), K(APPROVED) = S(APPROVED),
                            K(REJECTED) = S(REJECTED), K(NOT_REQUIRED) = S(NOT_REQUIRED),
                            K(WITHDRAWN) = S(WITHDRAWN), K(EXTENDED) = KEEP},
    [PM_STATE_SUPPLEMENT] = {K(SUPPLEMENT_RECEIVED) = RESUME, K(COMMITMENT_FULFILLED) = KEEP,
                             K(REJECTED) = S(REJECTED), K(NOT_REQUIRED) = S(NOT_REQUIRED),
                             K(WITHDRAWN) = S(WITHDRAWN), K(EXTENDED) = KEEP},
    [PM_STATE_APPROVED] = {K(COMMITMENT_FULFILLED) = KEEP, K(REOPENED) = S(READY)},
    [PM_STATE_REJECTED] = {K(ACCEPTED) = S(ACCEPTED), K(ACCEPTED_DEFICIENT) = S(DEFICIENT),
                           K(NOT_REQUIRED) = S(NOT_REQUIRED), K(REOPENED) = S(READY)},
    [PM_STATE_NOT_REQUIRED] = {K(REOPENED) = S(READY)},
    [PM_STATE_WITHDRAWN] = {K(ACCEPTED) = S(ACCEPTED), K(ACCEPTED_DEFICIENT) = S(DEFICIENT),
                            K(NOT_REQUIRED) = S(NOT_REQUIRED), K(REOPENED) = S(READY)},
};

int
fsm_next(fsm_cond_t from, pm_kind_t kind, fsm_cond_t *to)
{
    int n;
    fsm_cond_t out = from;

    if ((unsigned)from.state >= PM_STATE__COUNT || !pm_kind_is_event(kind))
        return -1;
    n = next_state[from.state][kind];
    if (n == FORBIDDEN)
        return -1;
    if (kind == PM_KIND_COMMITMENT_FULFILLED) {
        /* Only an open commitment can be fulfilled. */
        if (!from.deficient)
            return -1;
        out.deficient = false;
        out.state = n == KEEP ? from.state : (pm_state_t)n;
    } else if (n == RESUME) {
        out.state = from.deficient ? PM_STATE_DEFICIENT : PM_STATE_ACCEPTED;
    } else if (n == KEEP) {
        out.state = from.state;
    } else {
        out.state = (pm_state_t)n;
        if (kind == PM_KIND_ACCEPTED_DEFICIENT)
            out.deficient = true;
        else if (kind == PM_KIND_NOT_REQUIRED || kind == PM_KIND_REJECTED ||
                 kind == PM_KIND_WITHDRAWN || kind == PM_KIND_REOPENED)
            out.deficient = false; /* the application is over: so is its commitment */
    }
    *to = out;
    return 0;
}

char *
fsm_allowed(fsm_cond_t from)
{
    strv_t names = {0};
    char *out;

    for (int k = 0; k <= PM_KIND_LAST_EVENT; k++) {
        fsm_cond_t to;
        if (!pm_kind_is_correction((pm_kind_t)k) && fsm_next(from, (pm_kind_t)k, &to) == 0)
            strv_push(&names, pm_kind_name((pm_kind_t)k));
    }
    out = names.n == 0 ? xstrdup("none") : strv_join(&names, ", ");
    strv_clear(&names);
    return out;
}

bool
fsm_open(pm_state_t s)
{
    return s == PM_STATE_ACCEPTED || s == PM_STATE_DEFICIENT || s == PM_STATE_SUPPLEMENT;
}
