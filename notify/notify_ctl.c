/*
 * notify_ctl: see notify_ctl.h.
 */
#define _GNU_SOURCE
#include "notify_ctl.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "channel.h"
#include "client.h"
#include "entryfmt.h"
#include "i18n.h"
#include "queue.h"
#include "termsafe.h"
#include "util.h"

static nq_t *
open_db(const char *path)
{
    char *err = NULL;
    nq_t *q = nq_open(path, &err);

    if (q == NULL) {
        termsafe_line(stderr, _("permit-notify: %s"), err);
        free(err);
    }
    return q;
}

static const char *
when(int64_t ms, char *buf, size_t len)
{
    return ms > 0 ? util_format_time(ms, false, buf, len) : "-";
}

int
notify_ctl_status(const char *db, int argc, char **argv)
{
    nq_t *q;
    uint64_t cursor = 0;
    nq_filter_t f = {.state = "dead"};
    nq_item_t *v = NULL;
    nq_alert_t *a = NULL;
    nq_silence_t *s = NULL;
    size_t n = 0, na = 0, ns = 0;
    char *counts, tb[64];

    if (argc > 1) {
        fprintf(stderr,
                _("permit-notify: status takes no arguments, not '%s' (try permit-notify "
                  "status --help)\n"),
                argv[1]);
        return EX_USAGE;
    }
    if ((q = open_db(db)) == NULL)
        return EXIT_FAILURE;
    nq_cursor(q, &cursor);
    counts = nq_counts(q);
    printf(_("cursor      %llu\ndeliveries  %s\n"), (unsigned long long)cursor, counts);
    free(counts);
    if (nq_select(q, &f, &v, &n) == 0) {
        printf(_("dead letters %zu\n"), n);
        /* Projects, addresses and above all the remote end's error bodies are not ours:
         * every line goes out through termsafe. */
        for (size_t i = 0; i < n; i++) {
            char *addr = chan_redact_addr(v[i].addr);
            termsafe_line(stdout,
                          _("  %lld  seq %llu %s %s to %s over %s (%s) after %d attempts, %s:"),
                          (long long)v[i].id, (unsigned long long)v[i].seq, v[i].route,
                          v[i].project != NULL ? v[i].project : "-", v[i].recipient, v[i].chan,
                          addr, v[i].attempts, when(v[i].done_ms, tb, sizeof(tb)));
            termsafe_line(stdout, "    %s", v[i].last_error != NULL ? v[i].last_error : "");
            free(addr);
        }
        nq_items_free(v, n);
    }
    if (nq_alert_list(q, true, &a, &na) == 0) {
        printf(_("unacknowledged red items %zu\n"), na);
        for (size_t i = 0; i < na; i++)
            termsafe_line(stdout, _("  seq %llu  %s %s  step %d, next escalation %s"),
                          (unsigned long long)a[i].seq, a[i].project != NULL ? a[i].project : "-",
                          a[i].procedure != NULL ? a[i].procedure : "-", a[i].step,
                          when(a[i].next_ms, tb, sizeof(tb)));
        nq_alerts_free(a, na);
    }
    if (nq_silence_list(q, util_now_ms(), &s, &ns) == 0) {
        printf(_("silences %zu\n"), ns);
        for (size_t i = 0; i < ns; i++)
            termsafe_line(stdout, _("  %lld  project %s kind %s until %s, by %s: %s"),
                          (long long)s[i].id, s[i].project != NULL ? s[i].project : "*",
                          s[i].kind != NULL ? s[i].kind : "*",
                          when(s[i].expires_ms, tb, sizeof(tb)), s[i].author, s[i].reason);
        nq_silences_free(s, ns);
    }
    if (n > 0)
        printf(_("fix the cause, then: permit-notify retry ID (or --all)\n"));
    nq_close(&q);
    return 0;
}

int
notify_ctl_retry(const char *db, int argc, char **argv)
{
    nq_t *q;
    int64_t id = 0;
    int count = 0, rc = 0;

    if (argc != 2) {
        fprintf(stderr,
                _("permit-notify: retry: give ID or --all (try permit-notify retry --help)\n"));
        return EX_USAGE;
    }
    if (strcmp(argv[1], "--all") != 0) {
        char *end;
        id = strtoll(argv[1], &end, 10);
        if (*end != '\0' || id <= 0) {
            fprintf(stderr,
                    _("permit-notify: retry: '%s' is not a delivery id (try permit-notify retry "
                      "--help)\n"),
                    argv[1]);
            return EX_USAGE;
        }
    }
    if ((q = open_db(db)) == NULL)
        return EXIT_FAILURE;
    if (nq_retry(q, id, &count) < 0) {
        rc = EXIT_FAILURE;
    } else if (count == 0 && id > 0) {
        fprintf(stderr, _("permit-notify: retry: %lld is not a dead letter\n"), (long long)id);
        rc = EX_DATAERR;
    } else {
        printf(_("%d queued again\n"), count);
    }
    nq_close(&q);
    return rc;
}

/*
 * The ack goes to the broker as an alert_ack entry, as the web link's does: the daemon stops
 * the escalation when it reads the entry in the log, whether it runs now or catches up later,
 * and `permitctl tail` shows who acknowledged what and how. One path for every ack.
 */
int
notify_ctl_ack(const ncfg_t *cfg, void *zctx, int argc, char **argv)
{
    const char *by = getenv("USER");
    unsigned long long seq;
    pm_msg_t *req, *rep = NULL;
    client_t *c;
    char *end, why[256] = "";
    int rc;

    if (argc == 4 && strcmp(argv[2], "--by") == 0)
        by = argv[3];
    else if (argc != 2) {
        fprintf(stderr,
                _("permit-notify: ack: give SEQ [--by NAME] (try permit-notify ack --help)\n"));
        return EX_USAGE;
    }
    seq = strtoull(argv[1], &end, 10);
    if (*end != '\0' || seq == 0 || argv[1][0] == '-') {
        fprintf(stderr,
                _("permit-notify: ack: '%s' is not a sequence number (try permit-notify ack "
                  "--help)\n"),
                argv[1]);
        return EX_USAGE;
    }
    c = client_new(zctx, cfg->broker, why, sizeof(why));
    if (c == NULL) {
        termsafe_line(stderr, _("permit-notify: ack: broker %s: %s"), cfg->broker, why);
        return EX_CONFIG;
    }
    req = pm_msg_new(PM_MSG_EVENT);
    req->entry = pm_entry_new(PM_KIND_ALERT_ACK);
    req->entry->event_id = util_new_id();
    req->entry->cause = seq;
    req->entry->recipient = xstrdup(util_empty(by) ? "operator" : by);
    req->entry->via = xstrdup(PM_ACK_VIA_CLI);
    req->entry->event_ms = util_now_ms();
    switch (client_request(c, req, cfg->query_timeout_ms, 3, &rep, why, sizeof(why))) {
    case CLIENT_OK:
        if (rep->type != PM_MSG_REPLY || rep->reply == NULL) {
            fprintf(stderr, _("permit-notify: ack: unexpected answer from %s\n"),
                    client_endpoint(c));
            rc = EXIT_FAILURE;
        } else if (!rep->reply->ok) {
            termsafe_line(stderr, _("permit-notify: ack: refused (%s): %s"), rep->reply->code,
                          rep->reply->reason ? rep->reply->reason : "-");
            rc = EX_DATAERR;
        } else if (rep->reply->duplicate) {
            fprintf(stderr,
                    _("permit-notify: ack: seq %llu was acknowledged already (log seq %llu)\n"),
                    seq, (unsigned long long)rep->reply->seq);
            rc = EX_DATAERR;
        } else {
            printf(_("acknowledged seq %llu (log seq %llu)\n"), seq,
                   (unsigned long long)rep->reply->seq);
            rc = EX_OK;
        }
        break;
    case CLIENT_UNREACHABLE:
        termsafe_line(stderr, _("permit-notify: ack: the broker at %s does not answer: %s"),
                      client_endpoint(c), why);
        rc = EX_UNAVAILABLE;
        break;
    case CLIENT_REFUSED:
        termsafe_line(stderr, "permit-notify: ack: %s", why);
        rc = EX_NOPERM;
        break;
    default:
        termsafe_line(stderr, "permit-notify: ack: %s", why);
        rc = EXIT_FAILURE;
        break;
    }
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    client_destroy(&c);
    return rc;
}

/* "90m", "2h", "3d", "45s" or a time (util_parse_time): the expiry in ms since the epoch. */
static int
parse_expiry(const char *s, int64_t now, int64_t *out)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    int64_t unit = 0;

    if (end != s && n > 0 && end[0] != '\0' && end[1] == '\0') {
        unit = end[0] == 's'   ? 1000
               : end[0] == 'm' ? 60000
               : end[0] == 'h' ? 3600000
               : end[0] == 'd' ? 86400000
                               : 0;
        if (unit > 0) {
            *out = now + n * unit;
            return 0;
        }
    }
    return util_parse_time(s, out) == 0 && *out > now ? 0 : -1;
}

static int
silence_add(nq_t *q, int argc, char **argv)
{
    static const struct option opts[] = {
        {"project", required_argument, NULL, 'p'},
        {"kind", required_argument, NULL, 'k'},
        {"author", required_argument, NULL, 'a'},
        {"reason", required_argument, NULL, 'r'},
        {"for", required_argument, NULL, 'f'},
        {"until", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    nq_silence_t s = {0};
    const char *expiry = NULL;
    int64_t now = util_now_ms(), id;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            s.project = optarg;
            break;
        case 'k':
            s.kind = optarg;
            break;
        case 'a':
            s.author = optarg;
            break;
        case 'r':
            s.reason = optarg;
            break;
        case 'f':
            expiry = optarg;
            break;
        default:
            fprintf(stderr,
                    _("permit-notify: silence add: unknown option or missing value '%s' (try "
                      "permit-notify silence --help)\n"),
                    argv[optind - 1]);
            return EX_USAGE;
        }
    }
    if (util_empty(s.author) || util_empty(s.reason) || expiry == NULL ||
        (s.project == NULL && s.kind == NULL) || optind != argc) {
        fprintf(stderr, _("permit-notify: usage: silence add [--project ID] [--kind KEY] "
                          "--author NAME --reason TEXT (--for 2h|--until TIME); a project or a "
                          "kind at least (try permit-notify silence --help)\n"));
        return EX_USAGE;
    }
    if (parse_expiry(expiry, now, &s.expires_ms) < 0) {
        fprintf(stderr,
                _("permit-notify: silence add: '%s' is not a duration (90m, 2h, 3d) or a "
                  "future time\n"),
                expiry);
        return EX_USAGE;
    }
    s.created_ms = now;
    if (nq_silence_add(q, &s, &id) < 0)
        return EXIT_FAILURE;
    printf("%lld\n", (long long)id);
    return 0;
}

/*
 * One line of silence list: tab-separated KEY=VALUE. The values are people's text (authors,
 * reasons, project ids), escaped one by one through termsafe: nothing a terminal obeys, and
 * a tab or newline in one cannot shift the columns or forge a line.
 */
static void
silence_print(const nq_silence_t *s)
{
    static const char *const keys[] = {"project", "kind", "until", "author", "reason"};
    char tb[64];
    const char *values[] = {s->project != NULL ? s->project : "*", s->kind != NULL ? s->kind : "*",
                            when(s->expires_ms, tb, sizeof(tb)), s->author, s->reason};

    printf("%lld", (long long)s->id);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        printf("\t%s=", keys[i]);
        termsafe_fputs(values[i], stdout);
    }
    putchar('\n');
}

int
notify_ctl_silence(const char *db, int argc, char **argv)
{
    nq_t *q;
    int rc = 0;

    if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0 &&
                     strcmp(argv[1], "expire") != 0)) {
        fprintf(
            stderr,
            _("permit-notify: silence: add, list or expire (try permit-notify silence --help)\n"));
        return EX_USAGE;
    }
    if ((q = open_db(db)) == NULL)
        return EXIT_FAILURE;
    if (strcmp(argv[1], "add") == 0) {
        rc = silence_add(q, argc - 1, argv + 1);
    } else if (strcmp(argv[1], "list") == 0) {
        nq_silence_t *s = NULL;
        size_t n = 0;
        if (nq_silence_list(q, util_now_ms(), &s, &n) < 0)
            rc = EXIT_FAILURE;
        for (size_t i = 0; i < n; i++)
            silence_print(&s[i]);
        nq_silences_free(s, n);
    } else {
        char *end = NULL;
        long long id = argc == 3 ? strtoll(argv[2], &end, 10) : 0;
        if (argc != 3 || *end != '\0' || id <= 0) {
            fprintf(stderr, _("permit-notify: silence expire: give one ID (try permit-notify "
                              "silence --help)\n"));
            rc = EX_USAGE;
        } else if ((rc = nq_silence_expire(q, id, util_now_ms())) <= 0) {
            if (rc == 0)
                fprintf(stderr, _("permit-notify: silence expire: no active silence %lld\n"), id);
            rc = rc < 0 ? EXIT_FAILURE : EX_DATAERR;
        } else {
            rc = 0;
            printf(_("expired %lld\n"), id);
        }
    }
    nq_close(&q);
    return rc;
}

static json_t *
item_json(const nq_item_t *it)
{
    json_t *o = json_object();
    char tb[64], *addr = chan_redact_addr(it->addr);

    json_object_set_new(o, "id", json_integer(it->id));
    json_object_set_new(o, "seq", json_integer((json_int_t)it->seq));
    json_object_set_new(o, "route", json_string(it->route));
    if (it->project != NULL)
        json_object_set_new(o, "project", json_string(it->project));
    if (it->procedure != NULL)
        json_object_set_new(o, "procedure", json_string(it->procedure));
    json_object_set_new(o, "recipient", json_string(it->recipient));
    json_object_set_new(o, "channel", json_string(it->chan));
    json_object_set_new(o, "address", json_string(addr));
    free(addr);
    json_object_set_new(o, "key", json_string(it->idem));
    json_object_set_new(o, "state", json_string(it->state));
    json_object_set_new(o, "attempts", json_integer(it->attempts));
    json_object_set_new(o, "created", json_string(when(it->created_ms, tb, sizeof(tb))));
    if (it->done_ms > 0)
        json_object_set_new(o, "done", json_string(when(it->done_ms, tb, sizeof(tb))));
    if (it->last_error != NULL)
        json_object_set_new(o, "last_error", json_string(it->last_error));
    json_object_set_new(o, "title", json_string(it->title));
    json_object_set_new(o, "text", json_string(it->text));
    return o;
}

int
notify_ctl_history(const char *db, int argc, char **argv)
{
    static const struct option opts[] = {
        {"project", required_argument, NULL, 'p'},
        {"seq", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"state", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    nq_filter_t f = {0};
    nq_item_t *v = NULL;
    size_t n = 0;
    bool json = false;
    nq_t *q;
    int c;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'p')
            f.project = optarg;
        else if (c == 's')
            f.seq = strtoull(optarg, NULL, 10);
        else if (c == 't')
            f.state = optarg;
        else if (c == 'j')
            json = true;
        else {
            fprintf(stderr,
                    _("permit-notify: history: unknown option or missing value '%s' (try "
                      "permit-notify history --help)\n"),
                    argv[optind - 1]);
            return EX_USAGE;
        }
    }
    if ((q = open_db(db)) == NULL)
        return EXIT_FAILURE;
    if (nq_select(q, &f, &v, &n) < 0) {
        nq_close(&q);
        return EXIT_FAILURE;
    }
    for (size_t i = 0; i < n; i++) {
        if (json) {
            json_t *o = item_json(&v[i]);
            char *line = entryfmt_dump(o);
            puts(line);
            free(line);
            json_decref(o);
        } else {
            char tb[64], *addr = chan_redact_addr(v[i].addr);
            termsafe_line(stdout, _("%llu  %s  %s  %s  -> %s  %s %s  %s (%d attempts)%s%s"),
                          (unsigned long long)v[i].seq,
                          when(v[i].done_ms ? v[i].done_ms : v[i].created_ms, tb, sizeof(tb)),
                          v[i].route, v[i].project != NULL ? v[i].project : "-", v[i].recipient,
                          v[i].chan, addr, v[i].state, v[i].attempts,
                          v[i].last_error != NULL ? ": " : "",
                          v[i].last_error != NULL ? v[i].last_error : "");
            free(addr);
        }
    }
    nq_items_free(v, n);
    nq_close(&q);
    return 0;
}
