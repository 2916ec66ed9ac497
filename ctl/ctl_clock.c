/*
 * ctl_clock: `permitctl clock set TIME`, for tests. A broker started with test_clock keeps a
 * clock that only this command moves; the reply comes once everything that came due up to
 * TIME is logged, so a test can look right after it without sleeping.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "i18n.h"
#include "util.h"

int
cmd_clock(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    pm_msg_t *req, *rep = NULL;
    int64_t ms;
    int rc;

    if (argc != 3 || strcmp(argv[1], "set") != 0)
        return ctl_usage(_("clock: give set TIME (try permitctl clock --help)"));
    if (util_parse_time(argv[2], &ms) < 0)
        return ctl_usage(_("clock: '%s' is not a time like 2026-03-02T09:00:00+08:00"), argv[2]);
    /* Read again in the broker's zone, the one the answer's time is shown in. */
    if (ctl->adopt_zone) {
        if ((rc = ctl_zone_from_broker(ctl)) != 0)
            return rc;
        util_parse_time(argv[2], &ms);
    }
    req = pm_msg_new(PM_MSG_CLOCK_SET);
    req->clock_ms = ms;
    rc = ctl_request(ctl, ctl->broker, req, &rep);
    if (rc == 0) {
        if (rep->type != PM_MSG_REPLY || rep->reply == NULL) {
            ctl_warnx(_("unexpected answer from %s"), ctl->broker);
            rc = EXIT_FAILURE;
        } else if (!rep->reply->ok) {
            rc = ctl_refused(rep->reply);
        } else {
            char when[64];
            printf(_("clock at %s (log head %llu)\n"),
                   util_format_time(ms, false, when, sizeof(when)),
                   (unsigned long long)rep->reply->seq);
        }
    }
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}
