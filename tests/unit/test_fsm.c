/*
 * Unit tests of the procedure state machine: every (state, commitment flag, event) triple is
 * checked against an independent list of the allowed transitions, so a change to the table
 * in fsm.c that is not also made here fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"

typedef struct expect {
    pm_state_t from;
    bool deficient;
    pm_kind_t kind;
    pm_state_t to;
    bool to_deficient;
} expect_t;

#define S(x) PM_STATE_##x
#define K(x) PM_KIND_##x

/* The allowed transitions, as the domain describes them. Everything else is forbidden. */
static const expect_t allowed[] = {
    /* Not yet applied for: only acceptance with deficiency can jump the prerequisites. */
    {S(BLOCKED), false, K(ACCEPTED_DEFICIENT), S(DEFICIENT), true},
    {S(BLOCKED), false, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    {S(READY), false, K(ACCEPTED), S(ACCEPTED), false},
    {S(READY), false, K(ACCEPTED_DEFICIENT), S(DEFICIENT), true},
    {S(READY), false, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    /* Under review. */
    {S(ACCEPTED), false, K(SUPPLEMENT_REQUESTED), S(SUPPLEMENT), false},
    {S(ACCEPTED), false, K(APPROVED), S(APPROVED), false},
    {S(ACCEPTED), false, K(REJECTED), S(REJECTED), false},
    {S(ACCEPTED), false, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    {S(ACCEPTED), false, K(WITHDRAWN), S(WITHDRAWN), false},
    {S(DEFICIENT), true, K(SUPPLEMENT_REQUESTED), S(SUPPLEMENT), true},
    {S(DEFICIENT), true, K(COMMITMENT_FULFILLED), S(ACCEPTED), false},
    {S(DEFICIENT), true, K(APPROVED), S(APPROVED), true},
    {S(DEFICIENT), true, K(REJECTED), S(REJECTED), false},
    {S(DEFICIENT), true, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    {S(DEFICIENT), true, K(WITHDRAWN), S(WITHDRAWN), false},
    /* Supplement requested: the clock pauses until the material arrives. */
    {S(SUPPLEMENT), false, K(SUPPLEMENT_RECEIVED), S(ACCEPTED), false},
    {S(SUPPLEMENT), true, K(SUPPLEMENT_RECEIVED), S(DEFICIENT), true},
    {S(SUPPLEMENT), true, K(COMMITMENT_FULFILLED), S(SUPPLEMENT), false},
    {S(SUPPLEMENT), false, K(REJECTED), S(REJECTED), false},
    {S(SUPPLEMENT), true, K(REJECTED), S(REJECTED), false},
    {S(SUPPLEMENT), false, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    {S(SUPPLEMENT), true, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    {S(SUPPLEMENT), false, K(WITHDRAWN), S(WITHDRAWN), false},
    {S(SUPPLEMENT), true, K(WITHDRAWN), S(WITHDRAWN), false},
    /* Approved with the commitment still open: only fulfilling it remains. */
    {S(APPROVED), true, K(COMMITMENT_FULFILLED), S(APPROVED), false},
    /* Operator corrections: a lawful extension while the clock runs; a wrong decision undone
     * (ready here; the engine makes it blocked when its prerequisites no longer hold). */
    {S(ACCEPTED), false, K(EXTENDED), S(ACCEPTED), false},
    {S(DEFICIENT), true, K(EXTENDED), S(DEFICIENT), true},
    {S(SUPPLEMENT), false, K(EXTENDED), S(SUPPLEMENT), false},
    {S(SUPPLEMENT), true, K(EXTENDED), S(SUPPLEMENT), true},
    {S(APPROVED), false, K(REOPENED), S(READY), false},
    {S(APPROVED), true, K(REOPENED), S(READY), false},
    {S(REJECTED), false, K(REOPENED), S(READY), false},
    {S(NOT_REQUIRED), false, K(REOPENED), S(READY), false},
    {S(WITHDRAWN), false, K(REOPENED), S(READY), false},
    /* Rejected or withdrawn: the applicant may apply again. */
    {S(REJECTED), false, K(ACCEPTED), S(ACCEPTED), false},
    {S(REJECTED), false, K(ACCEPTED_DEFICIENT), S(DEFICIENT), true},
    {S(REJECTED), false, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
    {S(WITHDRAWN), false, K(ACCEPTED), S(ACCEPTED), false},
    {S(WITHDRAWN), false, K(ACCEPTED_DEFICIENT), S(DEFICIENT), true},
    {S(WITHDRAWN), false, K(NOT_REQUIRED), S(NOT_REQUIRED), false},
};

/*
 * The flag combinations that can occur: blocked, ready, accepted, rejected, withdrawn and
 * not_required never carry an open commitment; deficient always does.
 */
static bool
reachable(pm_state_t s, bool deficient)
{
    switch (s) {
    case PM_STATE_DEFICIENT:
        return deficient;
    case PM_STATE_SUPPLEMENT:
    case PM_STATE_APPROVED:
        return true;
    default:
        return !deficient;
    }
}

static void
test_every_transition(void **state)
{
    int checked = 0, allowed_seen = 0;
    (void)state;

    for (int s = 0; s < PM_STATE__COUNT; s++) {
        for (int d = 0; d < 2; d++) {
            if (!reachable((pm_state_t)s, d))
                continue;
            for (int k = 0; k <= PM_KIND_LAST_EVENT; k++) {
                fsm_cond_t from = {(pm_state_t)s, d != 0}, to = {0};
                const expect_t *want = NULL;
                int rc;
                for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                    if (allowed[i].from == (pm_state_t)s && allowed[i].deficient == (d != 0) &&
                        allowed[i].kind == (pm_kind_t)k)
                        want = &allowed[i];
                rc = fsm_next(from, (pm_kind_t)k, &to);
                if (want == NULL) {
                    if (rc != -1)
                        fail_msg("%s%s + %s should be forbidden", pm_state_name((pm_state_t)s),
                                 d ? "(deficient)" : "", pm_kind_name((pm_kind_t)k));
                } else {
                    if (rc != 0)
                        fail_msg("%s%s + %s should be allowed", pm_state_name((pm_state_t)s),
                                 d ? "(deficient)" : "", pm_kind_name((pm_kind_t)k));
                    assert_int_equal(to.state, want->to);
                    assert_int_equal(to.deficient, want->to_deficient);
                    allowed_seen++;
                }
                checked++;
            }
        }
    }
    assert_int_equal(allowed_seen, (int)(sizeof(allowed) / sizeof(allowed[0])));
    assert_int_equal(checked, 11 * (PM_KIND_LAST_EVENT + 1)); /* 9 states + 2 with the flag */
}

static void
test_non_event_kinds_refused(void **state)
{
    fsm_cond_t from = {PM_STATE_READY, false}, to;
    (void)state;

    assert_int_equal(fsm_next(from, PM_KIND_UNBLOCKED, &to), -1);
    assert_int_equal(fsm_next(from, PM_KIND_PROJECT, &to), -1);
    assert_int_equal(fsm_next(from, PM_KIND__COUNT, &to), -1);
}

static void
test_allowed_list(void **state)
{
    fsm_cond_t ready = {PM_STATE_READY, false}, approved = {PM_STATE_NOT_REQUIRED, false};
    char *s;
    (void)state;

    s = fsm_allowed(ready);
    assert_string_equal(s, "accepted, accepted_deficient, not_required");
    free(s);
    s = fsm_allowed(approved);
    assert_string_equal(s, "none");
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_transition),
        cmocka_unit_test(test_non_event_kinds_refused),
        cmocka_unit_test(test_allowed_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
