/*
 * permit-agent: a department's agent. The command table; each command is a function here or
 * a call into its module.
 *
 * `send` hands one event to the broker's ingest socket from a shell or a script and waits for
 * the ack: the sequence number on stdout means the event is durably in the log. The event id
 * is what makes resending safe (the broker answers a repeated id with the original sequence
 * number), so `send` resends the same message on timeout, and a script that got no answer may
 * run it again with the same --id. `send --queue` instead puts the event into the outbox of
 * the department's daemon and returns at once: from then on the daemon delivers it.
 *
 * `run` is the daemon (agentd.c); `status`, `retry` and `drop` act on its outbox
 * (agent_clerk.c), whether the daemon runs or not.
 *
 * Exit status (<sysexits.h>): 0 acked (or queued), 64 EX_USAGE usage error, 65 EX_DATAERR
 * refused by the broker (resending will not help) or refused here for a field longer than the
 * broker takes (nothing was sent or queued), 69 EX_UNAVAILABLE broker unreachable, 77
 * EX_NOPERM the broker refused our key in the handshake, 73
 * EX_CANTCREAT the outbox is full (send --queue: the disk holding it has no space left;
 * nothing was queued), 75 EX_TEMPFAIL the broker could not store it for now (resend later) or
 * the outbox is busy, 78 EX_CONFIG a bad configuration, 128+signal when interrupted, 1 any
 * other error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "agent_clerk.h"
#include "agent_config.h"
#include "agentd.h"
#include "args.h"
#include "cli.h"
#include "client.h"
#include "curvecfg.h"
#include "evspec.h"
#include "log.h"
#include "model.h"
#include "outbox.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "textcol.h"
#include "util.h"
#include "zone.h"
#include "i18n.h"

#define PROG "permit-agent"
#define DEFAULT_BROKER "tcp://127.0.0.1:7401"
#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_TRIES 5
/* The pause before resending after a "storage" refusal (a temporary broker failure). */
#define STORAGE_RETRY_MS 500

/* The exit flag of the one-shot commands: the number of the signal that asked us to stop.
 * `run` has its own in common/sigwake.h. */
static volatile sig_atomic_t agent_stop;

static int cmd_send(void *ctx, int argc, char **argv);
static int cmd_run(void *ctx, int argc, char **argv);
static int cmd_status(void *ctx, int argc, char **argv);
static int cmd_retry(void *ctx, int argc, char **argv);
static int cmd_drop(void *ctx, int argc, char **argv);
static void send_more(FILE *f);
static void run_more(FILE *f);

static const cli_cmd_t commands[] = {
    {"send", cmd_send,
     "[--broker ENDPOINT] --dept CODE --project ID --procedure CODE --event KIND [--id ID] "
     "[--cert NUMBER] [--note TEXT] [--missing ITEM --due DATE] [--time TIME] [--timeout MS] "
     "[--tries N] [--curve-secret FILE --broker-key FILE]",
     N_("send one event to the broker and print its sequence number once it is logged"), send_more},
    /* Listed for --help; `send` itself reads --queue. */
    {"send --queue", cmd_send,
     "(--config FILE | --state DIR) [--dept CODE] --project ID --procedure CODE --event KIND "
     "[--id ID] [--cert NUMBER] [--note TEXT] [--missing ITEM --due DATE] [--time TIME]",
     N_("put one event into the agent daemon's outbox and print its id; the daemon delivers it"),
     NULL},
    {"run", cmd_run, "[--config FILE] [-n] [--dept CODE] [--state DIR] [--OPTION VALUE ...]",
     N_("run the department's agent daemon: take event files from the spool folder and events "
        "from the outbox, deliver each to the broker exactly once (-n checks the configuration)"),
     run_more},
    {"status", cmd_status, "(--config FILE | --state DIR) [--json]",
     N_("what waits in the outbox, whether the broker is reachable, the last ack, and the "
        "refused events with the broker's reasons"),
     NULL},
    {"retry", cmd_retry, "(--config FILE | --state DIR) (ID... | --all)",
     N_("queue refused events again once their cause is fixed"), NULL},
    {"drop", cmd_drop, "(--config FILE | --state DIR) ID...",
     N_("give up on refused or queued events (one in flight included: it is no longer sent)"),
     NULL},
};

static void errx_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
errx_line(const char *fmt, ...)
{
    va_list ap;

    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* After the command list of --help, and in send --help: the event's fields and the statuses. */
static void
more_help(FILE *f)
{
    char *kinds = evspec_kinds();
    const char *head = _("event kinds (--event): ");

    /* From the column the heading ends at, in display columns (a Chinese one is wider). */
    fputs(head, f);
    cli_print_wrapped(f, kinds, textcol_width(head) - 1, 4, 96);
    fprintf(
        f,
        _("times (--time, --due): YYYY-MM-DD, \"YYYY-MM-DD HH:MM[:SS]\" (local), ISO 8601 with "
          "an offset,\n    or milliseconds since the epoch; --time defaults to now\n"
          "--id defaults to a fresh UUID; resend with the same --id to avoid logging twice\n"
          "broker endpoint: --broker, else $PERMIT_BROKER, else %s; or a list EP1,EP2,...\n    of "
          "brokers in order of preference (one that does not "
          "answer is left for the next)\n"
          "defaults: --timeout %d (ms per try), --tries %d\n"
          "the daemon's folder: --config FILE (its state key) or --state DIR\n"),
        DEFAULT_BROKER, DEFAULT_TIMEOUT_MS, DEFAULT_TRIES);
    free(kinds);
}

static const cli_exit_t exits[] = {
    {EX_OK, N_("logged (or queued)")},
    {EX_USAGE, N_("usage")},
    {EX_DATAERR, N_("refused (by the broker, or here for a field longer than the broker takes; or "
                    "not a rejected event)")},
    {EX_UNAVAILABLE, N_("broker unreachable")},
    {EX_CANTCREAT, N_("outbox full (its disk has no space left; nothing queued)")},
    {EX_TEMPFAIL, N_("broker or outbox busy (try again later)")},
    {EX_NOPERM, N_("the broker refused this key (in the handshake)")},
    {EX_CONFIG, N_("bad config")},
};

static const cli_prog_t prog = {
    .name = PROG,
    .synopsis = "COMMAND [OPTIONS]",
    .cmds = commands,
    .n = ARRAY_LEN(commands),
    .more = more_help,
    .about = "the department agent: sends a department's events to the permit broker, one at a "
             "time or as a daemon with a durable outbox and a spool folder",
    .exits = exits,
    .n_exits = ARRAY_LEN(exits),
    .config_cmd = "run",
    .config_tab = &agentcfg_table,
};

static void
send_more(FILE *f)
{
    int col = fprintf(f, "       permit-agent send --queue ");

    cli_print_wrapped(f, commands[1].args, col, 8, 96);
    fputs("  ", f);
    cli_print_wrapped(f, commands[1].summary, 2, 2, 96);
    fputc('\n', f);
    more_help(f);
}

static void
on_signal(int sig)
{
    agent_stop = sig;
}

static int
parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* The options of `send`, as given. */
typedef struct send_args {
    const char *broker;
    const char *dept, *project, *procedure, *event, *id;
    const char *cert, *note, *missing, *due, *time;
    long timeout_ms, tries;
    bool queue;
    const char *state, *config;
    const char *curve_secret, *broker_key; /* CURVE: our key pair, the broker's public key */
} send_args_t;

enum {
    OPT_BROKER = 256,
    OPT_DEPT,
    OPT_PROJECT,
    OPT_PROCEDURE,
    OPT_EVENT,
    OPT_ID,
    OPT_CERT,
    OPT_NOTE,
    OPT_MISSING,
    OPT_DUE,
    OPT_TIME,
    OPT_TIMEOUT,
    OPT_TRIES,
    OPT_QUEUE,
    OPT_STATE,
    OPT_CONFIG,
    OPT_CURVE_SECRET,
    OPT_BROKER_KEY,
};

static const struct option send_options[] = {
    {"broker", required_argument, NULL, OPT_BROKER},
    {"dept", required_argument, NULL, OPT_DEPT},
    {"project", required_argument, NULL, OPT_PROJECT},
    {"procedure", required_argument, NULL, OPT_PROCEDURE},
    {"event", required_argument, NULL, OPT_EVENT},
    {"id", required_argument, NULL, OPT_ID},
    {"cert", required_argument, NULL, OPT_CERT},
    {"note", required_argument, NULL, OPT_NOTE},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"due", required_argument, NULL, OPT_DUE},
    {"time", required_argument, NULL, OPT_TIME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"tries", required_argument, NULL, OPT_TRIES},
    {"queue", no_argument, NULL, OPT_QUEUE},
    {"state", required_argument, NULL, OPT_STATE},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"curve-secret", required_argument, NULL, OPT_CURVE_SECRET},
    {"broker-key", required_argument, NULL, OPT_BROKER_KEY},
    {NULL, 0, NULL, 0},
};

/* Returns 0, or EX_USAGE with the reason printed. (--help is answered by cli_dispatch.) */
static int
send_parse(int argc, char **argv, send_args_t *a)
{
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", send_options, NULL)) != -1) {
        switch (c) {
        case OPT_BROKER:
            a->broker = optarg;
            break;
        case OPT_DEPT:
            a->dept = optarg;
            break;
        case OPT_PROJECT:
            a->project = optarg;
            break;
        case OPT_PROCEDURE:
            a->procedure = optarg;
            break;
        case OPT_EVENT:
            a->event = optarg;
            break;
        case OPT_ID:
            a->id = optarg;
            break;
        case OPT_CERT:
            a->cert = optarg;
            break;
        case OPT_NOTE:
            a->note = optarg;
            break;
        case OPT_MISSING:
            a->missing = optarg;
            break;
        case OPT_DUE:
            a->due = optarg;
            break;
        case OPT_TIME:
            a->time = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_int(optarg, 1, 3600000, &a->timeout_ms) != 0) {
                errx_line(_("send: --timeout wants milliseconds from 1 to 3600000, not '%s'"),
                          optarg);
                return EX_USAGE;
            }
            break;
        case OPT_TRIES:
            if (parse_int(optarg, 1, 1000, &a->tries) != 0) {
                errx_line(_("send: --tries wants a number from 1 to 1000, not '%s'"), optarg);
                return EX_USAGE;
            }
            break;
        case OPT_QUEUE:
            a->queue = true;
            break;
        case OPT_STATE:
            a->state = optarg;
            break;
        case OPT_CONFIG:
            a->config = optarg;
            break;
        case OPT_CURVE_SECRET:
            a->curve_secret = optarg;
            break;
        case OPT_BROKER_KEY:
            a->broker_key = optarg;
            break;
        case ':':
            errx_line(_("send: option '%s' needs a value (try permit-agent send --help)"),
                      argv[optind - 1]);
            return EX_USAGE;
        default:
            if (optopt != 0)
                errx_line(_("send: unknown option '-%c' (try permit-agent send --help)"), optopt);
            else
                errx_line(_("send: unknown option '%s' (try permit-agent send --help)"),
                          argv[optind - 1]);
            return EX_USAGE;
        }
    }
    if (optind < argc) {
        errx_line(_("send: unexpected argument '%s' (try permit-agent send --help)"), argv[optind]);
        return EX_USAGE;
    }
    if (!a->queue && (a->state != NULL || a->config != NULL)) {
        errx_line(_("send: --state and --config name the daemon's outbox: add --queue"));
        return EX_USAGE;
    }
    return 0;
}

/*
 * Check what a person typed; fill the event. Returns 0, or EX_USAGE (EX_DATAERR for a field
 * longer than the broker takes) with the reason printed.
 */
static int
send_build(const send_args_t *a, pm_entry_t **out)
{
    const evspec_t spec = {
        .dept = a->dept,
        .project = a->project,
        .procedure = a->procedure,
        .event = a->event,
        .id = a->id,
        .cert = a->cert,
        .note = a->note,
        .missing = a->missing,
        .due = a->due,
        .time = a->time,
    };
    pm_entry_t *e = NULL;
    char why[512];
    int rc;

    /* Queued, the department may come from the daemon's config or outbox. */
    if (util_empty(a->dept) && !a->queue) {
        errx_line(_("send: --dept is required (try permit-agent send --help)"));
        return EX_USAGE;
    }
    rc = evspec_build(&spec, EVSPEC_OPTIONS, util_now_ms(), &e, why, sizeof(why));
    if (rc != 0) {
        errx_line(_("send: %s"), why);
        /* Not a slip of the hand: the data is what the broker cannot take (EX_DATAERR). */
        return rc == EVSPEC_TOO_LONG ? EX_DATAERR : EX_USAGE;
    }
    if (e->event_id == NULL)
        e->event_id = util_new_id();
    *out = e;
    return 0;
}

/* Sleep up to ms, cut short by a signal. */
static void
nap(int ms)
{
    if (!agent_stop)
        poll(NULL, 0, ms);
}

/*
 * Send and wait; a "storage" refusal means the broker could not commit just now, so it is
 * resent like a timeout (same id) within the same number of tries.
 */
static int
send_exchange(client_t *cl, const pm_msg_t *msg, const send_args_t *a, bool own_id)
{
    pm_msg_t *rep = NULL;
    char why[512];
    int rc = 1;

    for (long attempt = 1;; attempt++) {
        client_status_t st =
            client_request(cl, msg, (int)a->timeout_ms, (int)a->tries, &rep, why, sizeof(why));
        const pm_reply_t *r;

        switch (st) {
        case CLIENT_OK:
            break;
        case CLIENT_UNREACHABLE:
            errx_line(_("broker unreachable at %s"), client_endpoint(cl));
            if (!own_id)
                errx_line(_("to retry without logging it twice: --id %s"), msg->entry->event_id);
            return EX_UNAVAILABLE;
        case CLIENT_INTERRUPTED:
            errx_line(_("interrupted; event %s may or may not be logged"), msg->entry->event_id);
            return 128 + agent_stop;
        case CLIENT_REFUSED:
            errx_line("%s", why);
            return EX_NOPERM;
        case CLIENT_ERROR:
            errx_line("%s", why);
            return 1;
        }
        r = rep->reply;
        if (rep->type != PM_MSG_REPLY || r == NULL) {
            errx_line(_("unexpected answer from %s (message type %d)"), client_endpoint(cl),
                      (int)rep->type);
            goto done;
        }
        if (r->ok) {
            printf("%llu\n", (unsigned long long)r->seq);
            fflush(stdout);
            if (r->duplicate)
                errx_line(_("already logged as %llu (duplicate id)"), (unsigned long long)r->seq);
            rc = 0;
            goto done;
        }
        /* Temporary: storage (a full disk), busy (over our quota: wait as long as it says). */
        if ((util_strcmp0(r->code, PM_REFUSE_STORAGE) == 0 ||
             util_strcmp0(r->code, PM_REFUSE_BUSY) == 0) &&
            attempt < a->tries && !agent_stop) {
            log_debug("broker could not take the event now (%s); resending", r->reason);
            nap(r->retry_after_ms > 0 ? (int)r->retry_after_ms : STORAGE_RETRY_MS);
            pm_msg_destroy(&rep);
            continue;
        }
        errx_line(_("refused (%s): %s"), r->code ? r->code : "?",
                  r->reason ? r->reason : _("no reason given"));
        rc = util_strcmp0(r->code, PM_REFUSE_STORAGE) == 0 ||
                     util_strcmp0(r->code, PM_REFUSE_BUSY) == 0
                 ? EX_TEMPFAIL
                 : EX_DATAERR;
        goto done;
    }

done:
    pm_msg_destroy(&rep);
    return rc;
}

/*
 * The daemon's folder and department, from --config FILE (its state and dept keys) or --state
 * DIR (the department is then the one the outbox records). 0, or an exit status with the
 * reason printed.
 */
static int
find_state(const char *cmd, const char *config, const char *state, char **state_out,
           char **dept_out)
{
    agentcfg_t cfg;
    char *err = NULL;

    if ((config == NULL) == (state == NULL)) {
        errx_line(_("%s: name the agent's folder with --config FILE or --state DIR (one of them)"),
                  cmd);
        return EX_USAGE;
    }
    if (state != NULL) {
        *state_out = xstrdup(state);
        *dept_out = NULL;
        return 0;
    }
    agentcfg_defaults(&cfg);
    if (agentcfg_load_file(&cfg, config, &err) != 0 || agentcfg_check(&cfg, &err) != 0) {
        errx_line("%s", err);
        free(err);
        agentcfg_clear(&cfg);
        return EX_CONFIG;
    }
    zone_use_or_warn(cfg.time_zone);
    *state_out = cfg.state;
    *dept_out = cfg.dept;
    cfg.state = cfg.dept = NULL;
    agentcfg_clear(&cfg);
    return 0;
}

/* send --queue: the event into the daemon's outbox, where it waits until it is acked. */
static int
send_queue(const send_args_t *a, pm_entry_t *e)
{
    char *state = NULL, *dept = NULL, why[512];
    outbox_t *ob = NULL;
    outbox_item_t item = {.event = e, .source = "send --queue"};
    size_t added = 0;
    int rc;

    if (a->broker != NULL || a->timeout_ms != 0 || a->tries != 0) {
        errx_line(_("send: --broker, --timeout and --tries are for sending now; with --queue the "
                    "daemon sends"));
        return EX_USAGE;
    }
    rc = find_state("send", a->config, a->state, &state, &dept);
    if (rc != 0)
        return rc;
    if (a->dept != NULL)
        xstrset(&dept, a->dept);
    rc = outbox_open(state, dept, dept != NULL, &ob, why, sizeof(why));
    if (rc != 0) {
        errx_line("%s", why);
        rc = rc == OUTBOX_FULL ? EX_CANTCREAT : 1;
        goto done;
    }
    xstrset(&e->dept, outbox_dept(ob));
    rc = outbox_add(ob, &item, 1, util_now_ms(), &added, why, sizeof(why));
    if (rc != 0) {
        errx_line("%s", why);
        rc = rc == OUTBOX_FULL ? EX_CANTCREAT : EX_TEMPFAIL;
        goto done;
    }
    printf("%s\n", e->event_id);
    if (added == 0)
        errx_line(_("%s was queued before; nothing added"), e->event_id);
    rc = 0;

done:
    outbox_close(&ob);
    free(state);
    free(dept);
    return rc;
}

static int
cmd_send(void *ctx, int argc, char **argv)
{
    send_args_t a = {0};
    pm_msg_t *msg = NULL;
    client_t *cl = NULL;
    void *zctx = NULL;
    const char *endpoint;
    char why[512];
    int rc;

    (void)ctx;
    rc = send_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    msg = pm_msg_new(PM_MSG_EVENT);
    rc = send_build(&a, &msg->entry);
    if (rc != 0)
        goto done;
    if (a.queue) {
        rc = send_queue(&a, msg->entry);
        goto done;
    }
    if (a.timeout_ms == 0)
        a.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (a.tries == 0)
        a.tries = DEFAULT_TRIES;
    endpoint = a.broker;
    if (util_empty(endpoint))
        endpoint = getenv("PERMIT_BROKER");
    if (util_empty(endpoint))
        endpoint = DEFAULT_BROKER;

    {
        char *err = NULL;
        if (curvecfg_client_setup(a.curve_secret, a.broker_key, &err) < 0) {
            errx_line("%s", err);
            free(err);
            rc = EX_USAGE;
            goto done;
        }
    }
    zctx = zmq_ctx_new();
    if (zctx == NULL) {
        errx_line(_("zmq_ctx_new: %s"), zmq_strerror(errno));
        rc = 1;
        goto done;
    }
    cl = client_new(zctx, endpoint, why, sizeof(why));
    if (cl == NULL) {
        errx_line("%s", why);
        rc = EX_USAGE;
        goto done;
    }
    client_set_stop(cl, &agent_stop);
    rc = send_exchange(cl, msg, &a, a.id != NULL);

done:
    client_destroy(&cl);
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    pm_msg_destroy(&msg);
    return rc;
}

/* Where log lines go when the config names a log file; SIGHUP reopens it (log rotation). */
typedef struct logfile {
    char *path;
    FILE *f;
} logfile_t;

static void
logfile_sink(void *arg, enum log_level level, const char *line)
{
    logfile_t *lf = arg;

    (void)level;
    fprintf(lf->f, "%s\n", line);
    fflush(lf->f);
}

/*
 * path opened for appending. The log carries the department's project ids and peers' text,
 * so a new file is made 0640 whatever the umask (fchmod: the umask only narrows open's mode);
 * an existing one keeps the mode its operator gave it. NULL with errno on failure.
 */
static FILE *
logfile_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640), saved;
    FILE *f;

    if (fd >= 0) {
        if (fchmod(fd, 0640) != 0)
            goto fail;
    } else if (errno != EEXIST || (fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
        return NULL;
    }
    if ((f = fdopen(fd, "a")) != NULL)
        return f;
fail:
    saved = errno;
    close(fd);
    errno = saved;
    return NULL;
}

/* (Re)open path for appending, or go back to stderr for "". The old file stays on failure. */
static int
logfile_open(logfile_t *lf, const char *path)
{
    FILE *f = NULL;

    if (!util_empty(path) && (f = logfile_append(path)) == NULL) {
        log_warn(_("cannot open the log file %s"), path);
        return -1;
    }
    log_set_sink(f != NULL ? logfile_sink : NULL, lf);
    if (lf->f != NULL)
        fclose(lf->f);
    lf->f = f;
    xstrset(&lf->path, path);
    return 0;
}

static void
logfile_close(logfile_t *lf)
{
    log_set_sink(NULL, NULL);
    if (lf->f != NULL)
        fclose(lf->f);
    free(lf->path);
    memset(lf, 0, sizeof(*lf));
}

/* The config from defaults, the file and the command line's NAME VALUE pairs, checked. */
static int
run_config(agentcfg_t *cfg, const args_t *args, char **err)
{
    agentcfg_defaults(cfg);
    if (args->config != NULL && agentcfg_load_file(cfg, args->config, err) != 0)
        return -1;
    if (args_apply(&agentcfg_table, cfg, args, err) != 0)
        return -1;
    if (curvecfg_client_setup(cfg->curve_secret, cfg->broker_key, err) != 0)
        return -1;
    return agentcfg_check(cfg, err);
}

/* SIGHUP: read the config again (the command line still wins), reopen the log file. */
static void
run_reload(agentcfg_t *cfg, const args_t *args, logfile_t *lf, agentd_t *daemon)
{
    agentcfg_t fresh;
    char *err = NULL;

    if (run_config(&fresh, args, &err) != 0) {
        log_warnx(_("SIGHUP: %s; keeping the running configuration"), err);
        free(err);
    } else {
        agentcfg_reload(cfg, &fresh);
        log_set_level(cfg->log_level);
        agentd_reconfigure(daemon);
    }
    agentcfg_clear(&fresh);
    logfile_open(lf, cfg->log_file);
    log_info(_("SIGHUP: reloaded %s, reopened the log"),
             args->config != NULL ? args->config : "the options");
}

static void
run_more(FILE *f)
{
    fprintf(f, _("Run the department's agent daemon. It takes event files dropped into the spool\n"
                 "folder and events queued with `send --queue` into its outbox, and delivers each\n"
                 "to the broker exactly once, in order per procedure, whether the broker is up or\n"
                 "not. SIGTERM stops it after the answers in flight; SIGHUP reloads the config.\n\n"
                 "  --config FILE      read options from an INI file (section [agent])\n"
                 "  -n                 check the configuration, print \"configuration OK\", exit\n"
                 "every option below is --name VALUE or --name=VALUE\n\n"));
    agentcfg_usage(f);
}

static int
cmd_run(void *ctx, int argc, char **argv)
{
    const args_spec_t spec = {.prog = PROG " run", .tab = &agentcfg_table, .config = true};
    args_t args;
    agentcfg_t cfg = {0};
    logfile_t lf = {0};
    agentd_t *daemon = NULL;
    void *zctx = NULL;
    char *err = NULL;
    int rc;

    (void)ctx;
    if ((rc = args_read(&spec, argc, argv, &args)) != ARGS_GO)
        goto done;
    if (run_config(&cfg, &args, &err) != 0) {
        errx_line("%s", err);
        free(err);
        rc = EX_CONFIG;
        goto done;
    }
    zone_use_or_warn(cfg.time_zone); /* before any thread; not reloaded */
    if (args.check && curvecfg_client_private(&err) != 0) {
        errx_line("%s", err);
        free(err);
        rc = EX_CONFIG;
        goto done;
    }
    if (args.check) {
        printf(_("configuration OK\n"));
        rc = EX_OK;
        goto done;
    }
    rc = EXIT_FAILURE;
    log_set_level(cfg.log_level);
    if (logfile_open(&lf, cfg.log_file) != 0)
        goto done;
    if (sigwake_init(true) < 0) {
        log_warn(_("cannot make the signal pipe"));
        goto done;
    }
    zctx = zmq_ctx_new();
    daemon = agentd_new(&cfg, zctx, &err);
    if (daemon == NULL) {
        log_warnx("%s", err);
        free(err);
        goto done;
    }
    rc = 0;
    sdnotify_status("READY=1", _("ready, department %s"), cfg.dept);
    while (!(sigwake_pending() & SIGWAKE_STOP)) {
        if (agentd_run(daemon) != 0) {
            rc = 1;
            break;
        }
        if (sigwake_take_reload())
            run_reload(&cfg, &args, &lf, daemon);
    }
    sdnotify_status("STOPPING=1", _("stopping: waiting for the answers in flight"));
    agentd_drain(daemon);

done:
    sigwake_fini();
    agentd_destroy(&daemon);
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    logfile_close(&lf);
    agentcfg_clear(&cfg);
    args_clear(&args);
    return rc;
}

/* The clerk's commands, and which of --json, --all and IDs each takes. */
typedef enum clerk_kind { CLERK_STATUS, CLERK_RETRY, CLERK_DROP } clerk_kind_t;

/* Their arguments. */
typedef struct clerk_args {
    const char *config, *state;
    bool json, all;
    strv_t ids;
} clerk_args_t;

/* Parse them. 0, or EX_USAGE with the reason printed. (--help is answered by cli_dispatch.) */
static int
clerk_parse(const char *cmd, clerk_kind_t kind, int argc, char **argv, clerk_args_t *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"state", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"all", no_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *wrong = NULL;
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'c' || c == 's') {
            *(c == 'c' ? &a->config : &a->state) = optarg;
        } else if (c == 'j' && kind == CLERK_STATUS) {
            a->json = true;
        } else if (c == 'a' && kind == CLERK_RETRY) {
            a->all = true;
        } else {
            errx_line(_("%s: unknown option or missing value '%s' (try permit-agent %s --help)"),
                      cmd, argv[optind - 1], cmd);
            return EX_USAGE;
        }
    }
    for (int i = optind; i < argc; i++)
        strv_push(&a->ids, argv[i]);
    if (kind == CLERK_STATUS && a->ids.n > 0)
        wrong = "takes no ID";
    else if (kind != CLERK_STATUS && a->all && a->ids.n > 0)
        wrong = "give IDs or --all, not both";
    else if (kind != CLERK_STATUS && !a->all && a->ids.n == 0)
        wrong = "which event? give its ID (see permit-agent status)";
    if (wrong != NULL) {
        errx_line("%s: %s", cmd, wrong);
        return EX_USAGE;
    }
    return 0;
}

/* Run one of the clerk's commands: parse, find the folder, act. */
static int
clerk_cmd(const char *cmd, clerk_kind_t kind, int argc, char **argv)
{
    clerk_args_t a = {0};
    char *state = NULL, *dept = NULL;
    int rc = clerk_parse(cmd, kind, argc, argv, &a);

    if (rc != 0)
        goto done;
    rc = find_state(cmd, a.config, a.state, &state, &dept);
    if (rc != 0)
        goto done;
    if (kind == CLERK_STATUS)
        rc = clerk_status(state, a.json, stdout);
    else if (kind == CLERK_RETRY)
        rc = clerk_retry(state, &a.ids, a.all);
    else
        rc = clerk_drop(state, &a.ids);

done:
    free(state);
    free(dept);
    strv_clear(&a.ids);
    return rc;
}

static int
cmd_status(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return clerk_cmd("status", CLERK_STATUS, argc, argv);
}

static int
cmd_retry(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return clerk_cmd("retry", CLERK_RETRY, argc, argv);
}

static int
cmd_drop(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return clerk_cmd("drop", CLERK_DROP, argc, argv);
}

int
main(int argc, char **argv)
{
    i18n_init(PROG);
    log_init(PROG, LOG_LEVEL_WARN);
    /* send and --state: $PERMIT_TIME_ZONE or the default; a --config's time_zone wins later. */
    zone_use_or_warn(NULL);
    /* The daemon's signals wake its poll loop (common/sigwake.h): cmd_run. */
    if (argc < 2 || strcmp(argv[1], "run") != 0)
        cli_catch_signals(on_signal, false);
    return cli_dispatch(&prog, NULL, argc - 1, argv + 1);
}
