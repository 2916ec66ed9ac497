/*
 * permit-agent: a department's agent.
 *
 * `send` hands one event to the broker's ingest socket from a shell or a script and waits for
 * the ack: the sequence number on stdout means the event is durably in the log. The event id
 * is what makes resending safe (the broker answers a repeated id with the original sequence
 * number), so `send` resends the same message on timeout, and a script that got no answer may
 * run it again with the same --id.
 *
 * Exit status: 0 acked, 64 usage error, 65 refused by the broker (resending will not help),
 * 69 broker unreachable, 75 the broker could not store it for now (resend later), 128+signal
 * when interrupted, 1 any other error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"
#include "client.h"
#include "log.h"
#include "model.h"
#include "util.h"

#define PROG "permit-agent"
#define DEFAULT_BROKER "tcp://127.0.0.1:7401"
#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_TRIES 5
/* The pause before resending after a "storage" refusal (a temporary broker failure). */
#define STORAGE_RETRY_MS 500

#define EXIT_USAGE 64
#define EXIT_REFUSED 65
#define EXIT_UNREACHABLE 69
#define EXIT_TEMPFAIL 75

/* The exit flag: the number of the signal that asked us to stop. */
static volatile sig_atomic_t agent_stop;

typedef struct agent_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *args;
    const char *summary;
} agent_cmd_t;

static int cmd_send(int argc, char **argv);

static const agent_cmd_t commands[] = {
    {"send", cmd_send,
     "[--broker ENDPOINT] --dept CODE --project ID --procedure CODE --event KIND [--id ID] "
     "[--cert NUMBER] [--note TEXT] [--missing ITEM --due DATE] [--time TIME] [--timeout MS] "
     "[--tries N]",
     "send one event to the broker and print its sequence number once it is logged"},
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

/* The event kinds a department may send, from the model's list. */
static char *
event_kinds(void)
{
    strv_t names = {0};
    char *s;

    for (int k = 0; k <= PM_KIND_LAST_EVENT; k++)
        strv_push(&names, pm_kind_name((pm_kind_t)k));
    s = strv_join(&names, ", ");
    strv_clear(&names);
    return s;
}

static void
usage(FILE *f)
{
    char *kinds = event_kinds();

    fprintf(f, "usage: " PROG " COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        int col = fprintf(f, "  %s ", commands[i].name);
        cli_print_wrapped(f, commands[i].args, col, 8, 96);
        fprintf(f, "      ");
        cli_print_wrapped(f, commands[i].summary, 6, 6, 96);
    }
    cli_print_wrapped(f, kinds, fprintf(f, "\nevent kinds (--event): ") - 1, 4, 96);
    fprintf(f,
            "times (--time, --due): YYYY-MM-DD, \"YYYY-MM-DD HH:MM[:SS]\" (local), ISO 8601 with "
            "an offset,\n    or milliseconds since the epoch; --time defaults to now\n"
            "--id defaults to a fresh UUID; resend with the same --id to avoid logging twice\n"
            "broker endpoint: --broker, else $PERMIT_BROKER, else " DEFAULT_BROKER "\n"
            "defaults: --timeout %d (ms per try), --tries %d\n"
            "exit status: 0 logged, 64 usage, 65 refused, 69 broker unreachable, 75 broker "
            "busy (resend later)\n",
            DEFAULT_TIMEOUT_MS, DEFAULT_TRIES);
    free(kinds);
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
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns 0, 1 after --help, or EXIT_USAGE with the reason printed. */
static int
send_parse(int argc, char **argv, send_args_t *a)
{
    int c;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, ":h", send_options, NULL)) != -1) {
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
                errx_line("send: --timeout wants milliseconds from 1 to 3600000, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_TRIES:
            if (parse_int(optarg, 1, 1000, &a->tries) != 0) {
                errx_line("send: --tries wants a number from 1 to 1000, not '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return 1;
        case ':':
            errx_line("send: option '%s' needs a value", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            if (optopt != 0)
                errx_line("send: unknown option '-%c' (try --help)", optopt);
            else
                errx_line("send: unknown option '%s' (try --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        errx_line("send: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    return 0;
}

/* Check what a person typed; fill the event. Returns 0 or EXIT_USAGE with the reason printed. */
static int
send_build(const send_args_t *a, pm_entry_t **out)
{
    const struct {
        const char *opt;
        const char *value;
    } required[] = {
        {"--dept", a->dept},
        {"--project", a->project},
        {"--procedure", a->procedure},
        {"--event", a->event},
    };
    const char *texts[] = {a->dept, a->project, a->procedure, a->event, a->id,
                           a->cert, a->note,    a->missing,   a->due,   a->time};
    pm_kind_t kind;
    int64_t event_ms = util_now_ms(), due_ms = 0;
    pm_entry_t *e;

    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        if (util_empty(required[i].value)) {
            errx_line("send: %s is required (try --help)", required[i].opt);
            return EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        if (texts[i] != NULL && !util_utf8_valid(texts[i], strlen(texts[i]))) {
            errx_line("send: '%s' is not valid UTF-8", texts[i]);
            return EXIT_USAGE;
        }
    }
    if (pm_kind_parse(a->event, &kind) != 0 || !pm_kind_is_event(kind)) {
        char *kinds = event_kinds();
        errx_line("send: unknown event kind '%s' (one of: %s)", a->event, kinds);
        free(kinds);
        return EXIT_USAGE;
    }
    /* Which kinds need a missing item is the broker's rule; a due date needs its item. */
    if (a->due != NULL && a->missing == NULL) {
        errx_line("send: --due is the due date of --missing ITEM");
        return EXIT_USAGE;
    }
    if (a->id != NULL && util_empty(a->id)) {
        errx_line("send: --id must not be empty");
        return EXIT_USAGE;
    }
    if (a->time != NULL && util_parse_time(a->time, &event_ms) != 0) {
        errx_line("send: bad --time '%s' (try --help)", a->time);
        return EXIT_USAGE;
    }
    if (a->due != NULL && util_parse_time(a->due, &due_ms) != 0) {
        errx_line("send: bad --due '%s' (try --help)", a->due);
        return EXIT_USAGE;
    }

    /* The actor is left unset: the broker says who sent it, from the connection. */
    e = pm_entry_new(kind);
    e->event_id = a->id != NULL ? xstrdup(a->id) : util_new_id();
    e->dept = xstrdup(a->dept);
    e->project = xstrdup(a->project);
    e->procedure = xstrdup(a->procedure);
    e->event_ms = event_ms;
    e->cert = xstrdup(a->cert);
    e->note = xstrdup(a->note);
    e->missing = xstrdup(a->missing);
    e->due_ms = due_ms;
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
            errx_line("broker unreachable at %s", client_endpoint(cl));
            if (!own_id)
                errx_line("to retry without logging it twice: --id %s", msg->entry->event_id);
            return EXIT_UNREACHABLE;
        case CLIENT_INTERRUPTED:
            errx_line("interrupted; event %s may or may not be logged", msg->entry->event_id);
            return 128 + agent_stop;
        case CLIENT_ERROR:
            errx_line("%s", why);
            return 1;
        }
        r = rep->reply;
        if (rep->type != PM_MSG_REPLY || r == NULL) {
            errx_line("unexpected answer from %s (message type %d)", client_endpoint(cl),
                      (int)rep->type);
            goto done;
        }
        if (r->ok) {
            printf("%llu\n", (unsigned long long)r->seq);
            fflush(stdout);
            if (r->duplicate)
                errx_line("already logged as %llu (duplicate id)", (unsigned long long)r->seq);
            rc = 0;
            goto done;
        }
        if (util_strcmp0(r->code, PM_REFUSE_STORAGE) == 0 && attempt < a->tries && !agent_stop) {
            log_debug("broker could not store the event (%s); resending", r->reason);
            pm_msg_destroy(&rep);
            nap(STORAGE_RETRY_MS);
            continue;
        }
        errx_line("refused (%s): %s", r->code ? r->code : "?",
                  r->reason ? r->reason : "no reason given");
        rc = util_strcmp0(r->code, PM_REFUSE_STORAGE) == 0 ? EXIT_TEMPFAIL : EXIT_REFUSED;
        goto done;
    }

done:
    pm_msg_destroy(&rep);
    return rc;
}

static int
cmd_send(int argc, char **argv)
{
    send_args_t a = {.timeout_ms = DEFAULT_TIMEOUT_MS, .tries = DEFAULT_TRIES};
    pm_msg_t *msg = NULL;
    client_t *cl = NULL;
    void *zctx = NULL;
    const char *endpoint;
    char why[512];
    int rc;

    rc = send_parse(argc, argv, &a);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    msg = pm_msg_new(PM_MSG_EVENT);
    rc = send_build(&a, &msg->entry);
    if (rc != 0)
        goto done;
    endpoint = a.broker;
    if (util_empty(endpoint))
        endpoint = getenv("PERMIT_BROKER");
    if (util_empty(endpoint))
        endpoint = DEFAULT_BROKER;

    zctx = zmq_ctx_new();
    if (zctx == NULL) {
        errx_line("zmq_ctx_new: %s", zmq_strerror(errno));
        rc = 1;
        goto done;
    }
    cl = client_new(zctx, endpoint, why, sizeof(why));
    if (cl == NULL) {
        errx_line("%s", why);
        rc = EXIT_USAGE;
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

int
main(int argc, char **argv)
{
    const char *name;

    log_init(PROG, LOG_LEVEL_WARN);
    if (argc < 2) {
        errx_line("no command (try --help)");
        return EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        if (strcmp(name, commands[i].name) == 0) {
            cli_catch_signals(on_signal, false);
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    errx_line("unknown command '%s' (try --help)", name);
    return EXIT_USAGE;
}
