/*
 * ctl_tail: `permitctl tail`, the log as it happens, like `journalctl -f` or `kcat`.
 *
 * A thin shell around follow (common/follow.h): every matching entry after --from, once and
 * in order, as a readable line or a JSON line, flushed one by one so a pipe sees each entry at
 * once. Without -f it stops at the head of the log; with -f it goes on until SIGINT or SIGTERM
 * and then exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "entryfmt.h"
#include "follow.h"
#include "i18n.h"
#include "textcol.h"
#include "util.h"

typedef struct tail {
    ctl_t *ctl;
    follow_t *f; /* whose answers name the broker's zone */
    bool json;
    bool colour;
    int write_errno; /* set when stdout failed */
} tail_t;

/* follow's callback: one entry, one line, flushed. */
static int
tail_print(void *arg, const pm_entry_t *e)
{
    tail_t *t = arg;
    char *line;
    int rc = 0;

    ctl_adopt_zone(t->ctl, follow_broker_zone(t->f)); /* before the first line shows a time */
    line = t->json ? entryfmt_json_line(e) : entryfmt_line(e, t->colour);

    if (puts(line) == EOF || fflush(stdout) == EOF) {
        t->write_errno = errno;
        rc = -1;
    }
    free(line);
    return rc;
}

enum { OPT_FROM = 256, OPT_SINCE, OPT_PROJECT, OPT_DEPT, OPT_KIND, OPT_JSON };

static const struct option tail_options[] = {
    {"follow", no_argument, NULL, 'f'},
    {"from", required_argument, NULL, OPT_FROM},
    {"since", required_argument, NULL, OPT_SINCE},
    {"project", required_argument, NULL, OPT_PROJECT},
    {"dept", required_argument, NULL, OPT_DEPT},
    {"kind", required_argument, NULL, OPT_KIND},
    {"json", no_argument, NULL, OPT_JSON},
    {NULL, 0, NULL, 0},
};

int
cmd_tail(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    follow_opts_t o = {
        .query = ctl->query,
        .publish = ctl->publish,
        .timeout_ms = ctl->timeout_ms,
        .tries = ctl->tries,
        /* -f: two timeouts without even a heartbeat, ask; no answer, the next broker. */
        .silence_ms = ctl->timeout_ms < 500 ? 1000 : 2 * ctl->timeout_ms,
        .stop = ctl->stop,
    };
    tail_t t = {.ctl = ctl};
    const char *since = NULL;
    follow_t *f;
    follow_status_t st;
    unsigned long long from;
    pm_kind_t kind;
    char why[512];
    int c, rc;

    while ((c = getopt_long(argc, argv, ":f", tail_options, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.live = true;
            break;
        case OPT_FROM:
            if (ctl_parse_uint(optarg, UINT64_MAX, &from) != 0)
                return ctl_usage(_("tail: --from wants a sequence number, not '%s'"), optarg);
            o.after = from;
            break;
        case OPT_SINCE:
            since = optarg; /* read below, in the broker's zone */
            break;
        case OPT_PROJECT:
            o.project = optarg;
            break;
        case OPT_DEPT:
            o.dept = optarg;
            break;
        case OPT_KIND:
            if (pm_kind_parse(optarg, &kind) != 0)
                return ctl_usage(_("tail: unknown kind '%s'"), optarg);
            o.kind = optarg;
            break;
        case OPT_JSON:
            t.json = true;
            break;
        default:
            return ctl_bad_option("tail", c, argv);
        }
    }
    if (optind < argc)
        return ctl_usage(_("tail: unexpected argument '%s'"), argv[optind]);
    t.colour = !t.json && textcol_colour(stdout);
    /* A typo is a usage error, broker or not; a good time is read again in the broker's zone. */
    if (since != NULL && util_parse_time(since, &o.since_ms) != 0)
        return ctl_usage(_("tail: bad --since '%s' (try permitctl --help)"), since);
    if (since != NULL && ctl->adopt_zone) {
        if ((rc = ctl_zone_from_broker(ctl)) != 0)
            return rc;
        util_parse_time(since, &o.since_ms);
    }

    f = follow_new(ctl->zctx, &o, tail_print, &t, why, sizeof(why));
    if (f == NULL)
        return ctl_usage(_("tail: %s"), why);
    t.f = f;
    st = follow_run(f);
    switch (st) {
    case FOLLOW_DONE:
        rc = EX_OK;
        break;
    case FOLLOW_STOPPED:
        /* Following ends by a signal; that is how it is meant to end. */
        rc = o.live ? EX_OK : 128 + *ctl->stop;
        break;
    case FOLLOW_UNREACHABLE:
        ctl_warnx(_("broker unreachable at %s"), ctl->query);
        rc = EX_UNAVAILABLE;
        break;
    case FOLLOW_REFUSED:
        ctl_warnx("%s", follow_error(f));
        rc = EX_DATAERR;
        break;
    default:
        /* A reader that went away (tail | head) is not worth a complaint. */
        if (t.write_errno == EPIPE) {
            rc = EX_OK;
        } else if (t.write_errno != 0) {
            ctl_warnx(_("stdout: %s"), strerror(t.write_errno));
            rc = EXIT_FAILURE;
        } else {
            ctl_warnx("%s", follow_error(f));
            rc = EXIT_FAILURE;
        }
        break;
    }
    follow_destroy(&f);
    return rc;
}
