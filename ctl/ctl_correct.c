/*
 * ctl_correct: operators' corrections, `permitctl reopen | extend | mark-not-required`.
 *
 * Never by editing the database: each correction is an event in the log like any other,
 * with the operator's name as its actor and the reason as its note, so the weekly report and
 * anybody reading the log later can see who changed what and why.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "i18n.h"
#include "util.h"

static const struct option correct_options[] = {
    {"reason", required_argument, NULL, 'r'},
    {"id", required_argument, NULL, 'i'},
    {NULL, 0, NULL, 0},
};

/*
 * Parse PROJECT PROCEDURE [DAYS] --reason TEXT [--id ID], send the correction to the ingest
 * socket and report the broker's answer.
 */
static int
correct(ctl_t *ctl, int argc, char **argv, const char *name, pm_kind_t kind)
{
    const char *reason = NULL, *id = NULL;
    int want = kind == PM_KIND_EXTENDED ? 3 : 2, c, rc;
    unsigned long long days = 0;
    pm_msg_t *req, *rep = NULL;

    while ((c = getopt_long(argc, argv, ":", correct_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            reason = optarg;
            break;
        case 'i':
            id = optarg;
            break;
        default:
            return ctl_bad_option(name, c, argv);
        }
    }
    if (argc - optind != want)
        return ctl_usage(_("%s: usage: permitctl %s PROJECT PROCEDURE%s --reason TEXT"), name, name,
                         kind == PM_KIND_EXTENDED ? " DAYS" : "");
    if (util_empty(reason) || !util_utf8_valid(reason, strlen(reason)))
        return ctl_usage(_("%s: a correction needs --reason (it is kept in the log)"), name);
    if (kind == PM_KIND_EXTENDED &&
        (ctl_parse_uint(argv[optind + 2], 365, &days) != 0 || days == 0))
        return ctl_usage(_("%s: DAYS is a whole number of working days from 1 to 365"), name);

    req = pm_msg_new(PM_MSG_EVENT);
    req->entry = pm_entry_new(kind);
    req->entry->event_id = id != NULL ? xstrdup(id) : util_new_id();
    req->entry->actor = ctl_operator();
    req->entry->project = xstrdup(argv[optind]);
    req->entry->procedure = xstrdup(argv[optind + 1]);
    req->entry->note = xstrdup(reason);
    req->entry->days = (int32_t)days;
    req->entry->event_ms = util_now_ms();
    rc = ctl_request(ctl, ctl->broker, req, &rep);
    if (rc == 0) {
        if (rep->type != PM_MSG_REPLY || rep->reply == NULL) {
            ctl_warnx(_("unexpected answer from %s"), ctl->broker);
            rc = EXIT_FAILURE;
        } else if (!rep->reply->ok) {
            rc = ctl_refused(rep->reply);
        } else {
            printf(_("%s %s of %s: logged as %llu%s\n"), pm_kind_label(kind, i18n_lang()),
                   argv[optind + 1], argv[optind], (unsigned long long)rep->reply->seq,
                   rep->reply->duplicate ? _(" (already logged)") : "");
        }
    }
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}

int
cmd_reopen(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    return correct(ctl, argc, argv, "reopen", PM_KIND_REOPENED);
}

int
cmd_extend(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    return correct(ctl, argc, argv, "extend", PM_KIND_EXTENDED);
}

int
cmd_mark_not_required(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    return correct(ctl, argc, argv, "mark-not-required", PM_KIND_NOT_REQUIRED);
}
