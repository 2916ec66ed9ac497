/*
 * fsm: see fsm.h. The table is the whole definition; fsm_next only reads it.
 */
#include "fsm.h"

#include <stdlib.h>

#define X PM_STATE__COUNT /* forbidden */
#define RESUME (PM_STATE__COUNT + 1) /* back to accepted or accepted_deficient */
#define KEEP (PM_STATE__COUNT + 2)   /* state unchanged (the commitment flag changes) */

/* next[state][event kind] */
static const int next_state[PM_STATE__COUNT][PM_KIND_LAST_EVENT + 1] = {
    /*                 accepted           accepted_deficient  supplement_req      supplement_rec
                       commitment_ful     approved            rejected            not_required
                       withdrawn */
    [PM_STATE_BLOCKED] = {X, PM_STATE_DEFICIENT, X, X, X, X, X, PM_STATE_NOT_REQUIRED, X},
    [PM_STATE_READY] = {PM_STATE_ACCEPTED, PM_STATE_DEFICIENT, X, X, X, X, X,
                        PM_STATE_NOT_REQUIRED, X},
    [PM_STATE_ACCEPTED] = {X, X, PM_STATE_SUPPLEMENT, X, X, PM_STATE_APPROVED, PM_STATE_REJECTED,
                           PM_STATE_NOT_REQUIRED, PM_STATE_WITHDRAWN},
    [PM_STATE_DEFICIENT] = {X, X, PM_STATE_SUPPLEMENT, X, PM_STATE_ACCEPTED, PM_STATE_APPROVED,
                            PM_STATE_REJECTED, PM_STATE_NOT_REQUIRED, PM_STATE_WITHDRAWN},
    [PM_STATE_SUPPLEMENT] = {X, X, X, RESUME, KEEP, X, PM_STATE_REJECTED, PM_STATE_NOT_REQUIRED,
                             PM_STATE_WITHDRAWN},
    [PM_STATE_APPROVED] = {X, X, X, X, KEEP, X, X, X, X},
    [PM_STATE_REJECTED] = {PM_STATE_ACCEPTED, PM_STATE_DEFICIENT, X, X, X, X, X,
                           PM_STATE_NOT_REQUIRED, X},
    [PM_STATE_NOT_REQUIRED] = {X, X, X, X, X, X, X, X, X},
    [PM_STATE_WITHDRAWN] = {PM_STATE_ACCEPTED, PM_STATE_DEFICIENT, X, X, X, X, X,
                            PM_STATE_NOT_REQUIRED, X},
};

int
fsm_next(fsm_cond_t from, pm_kind_t kind, fsm_cond_t *to)
{
    int n;
    fsm_cond_t out = from;

    if ((unsigned)from.state >= PM_STATE__COUNT || !pm_kind_is_event(kind))
        return -1;
    n = next_state[from.state][kind];
    if (n == X)
        return -1;
    if (kind == PM_KIND_COMMITMENT_FULFILLED) {
        /* Only an open commitment can be fulfilled. */
        if (!from.deficient)
            return -1;
        out.deficient = false;
        out.state = n == KEEP ? from.state : (pm_state_t)n;
    } else if (n == RESUME) {
        out.state = from.deficient ? PM_STATE_DEFICIENT : PM_STATE_ACCEPTED;
    } else {
        out.state = (pm_state_t)n;
        if (kind == PM_KIND_ACCEPTED_DEFICIENT)
            out.deficient = true;
        else if (kind == PM_KIND_NOT_REQUIRED || kind == PM_KIND_REJECTED ||
                 kind == PM_KIND_WITHDRAWN)
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
        if (fsm_next(from, (pm_kind_t)k, &to) == 0)
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
