/*
 * permitctl: the task-force operator's tool.
 *
 * main() reads the global options, picks the command from the table below and runs it; the
 * table also makes --help. Everything the commands share (reporting, one request with
 * retries) is here; see ctl.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"
#include "ctl.h"
#include "curvecfg.h"
#include "log.h"
#include "termsafe.h"
#include "util.h"

#define PROG "permitctl"
#define DEFAULT_BROKER "tcp://127.0.0.1:7401"
#define DEFAULT_PUBLISH "tcp://127.0.0.1:7402"
#define DEFAULT_QUERY "tcp://127.0.0.1:7403"
#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_TRIES 3

/* The exit flag: the number of the signal that asked us to stop. */
static volatile sig_atomic_t ctl_stop;

typedef struct ctl_cmd {
    const char *name;
    ctl_cmd_fn *fn;
    const char *args;
    const char *summary;
} ctl_cmd_t;

static int cmd_keygen(ctl_t *ctl, int argc, char **argv);

static const ctl_cmd_t commands[] = {
    {"import", cmd_import, "departments|template|projects|calendar FILE [--template NAME]",
     "load departments, a template (--template names it, default standard) or projects (whose "
     "empty template column means --template) from a CSV file, see README for the columns; or "
     "one year of the working-day calendar from a holiday-cn JSON file, as published (samples "
     "in deploy/calendar)"},
    {"tail", cmd_tail,
     "[-f] [--from SEQ] [--since TIME] [--project ID] [--dept CODE] [--kind KIND] [--json]",
     "print the log's entries after SEQ (default 0: all), as readable lines or JSON lines; -f "
     "keeps following live until SIGINT or SIGTERM"},
    {"status", cmd_status, "PROJECT [--json]",
     "show a project's procedures: state, deadline and colour, what blocks them, commitments, "
     "the project's due date and its milestones"},
    {"overdue", cmd_overdue,
     "[--colour red|yellow] [--dept CODE] [--region R] [--project ID] [--json]",
     "list open procedures that are red (overdue) or yellow (close to their limit), most "
     "overdue first, with deadline and working days over or left"},
    {"blocked", cmd_blocked, "[--dept CODE] [--region R] [--project ID] [--json]",
     "list procedures that cannot start yet and the prerequisites holding each, with the "
     "department that holds it; --dept matches the waiting department or a holding one"},
    {"reopen", cmd_reopen, "PROJECT PROCEDURE --reason TEXT",
     "undo a wrong approval, rejection, withdrawal or 'not required': an audited correction "
     "logged with your name ($PERMIT_OPERATOR or $USER) and the reason"},
    {"extend", cmd_extend, "PROJECT PROCEDURE DAYS --reason TEXT",
     "a lawful extension of a running time limit by DAYS working days, audited likewise"},
    {"mark-not-required", cmd_mark_not_required, "PROJECT PROCEDURE --reason TEXT",
     "mark a procedure not required (无需办理) on behalf of its department, audited likewise"},
    {"report", cmd_report,
     "[--db PATH] [--as-of DATE|TIME] [--by region|department|industry] [--weeks N] [--top N] "
     "[--format md|csv|json|html] [--out FILE] [--config FILE]",
     "the weekly report (周调度) from the broker's database ($PERMIT_DB, default permit.db), as "
     "the log stood at --as-of (a date means its end; default now): completion rates, states, "
     "colours, the longest overdue, working days per department, rates by region, department "
     "or industry and their trend over --weeks (default 8); HTML is one self-contained page "
     "with charts"},
    {"clock", cmd_clock, "set TIME",
     "tests only: move a broker started with test_clock to TIME and run what came due"},
    {"keygen", cmd_keygen, "NAME [--dir DIR] [--role department|notifier|operator|admin]",
     "write a CURVE key pair: DIR/NAME.key (the public key, with the role line the broker's "
     "keys_dir needs) and DIR/NAME.secret (mode 0600, stays on its machine); for a department "
     "NAME is its code. Never overwrites"},
};

/* keygen: no broker involved; the key files are what README's Security section hands out. */
static int
cmd_keygen(ctl_t *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = ".", *role = NULL;
    char *err = NULL;
    int c;

    (void)ctl;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 'h':
            ctl_command_help("keygen");
            return CTL_EXIT_OK;
        default:
            return ctl_bad_option("keygen", c, argv);
        }
    }
    if (optind + 1 != argc)
        return ctl_usage("keygen: one NAME (try permitctl keygen --help)");
    if (role != NULL && strcmp(role, "department") != 0 && strcmp(role, "notifier") != 0 &&
        strcmp(role, "operator") != 0 && strcmp(role, "admin") != 0)
        return ctl_usage("keygen: --role is department, notifier, operator or admin, not '%s'",
                         role);
    if (curvecfg_keygen(dir, argv[optind], role, &err) < 0) {
        ctl_warnx("keygen: %s", err);
        free(err);
        return CTL_EXIT_FAIL;
    }
    printf("%s/%s.key\n%s/%s.secret\n", dir, argv[optind], dir, argv[optind]);
    return CTL_EXIT_OK;
}

char *
ctl_operator(void)
{
    const char *who = getenv("PERMIT_OPERATOR");

    if (util_empty(who))
        who = getenv("USER");
    return xasprintf("operator:%s", util_empty(who) ? "unknown" : who);
}

/* Warnings carry the broker's reasons, which quote what departments sent: escaped. */
static void
ctl_vwarnx(const char *fmt, va_list ap)
{
    char msg[2048];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    util_utf8_trim(msg);
    fputs(PROG ": ", stderr);
    termsafe_fputs(msg, stderr);
    fputc('\n', stderr);
}

void
ctl_warnx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ctl_vwarnx(fmt, ap);
    va_end(ap);
}

int
ctl_usage(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ctl_vwarnx(fmt, ap);
    va_end(ap);
    return CTL_EXIT_USAGE;
}

static void
print_command(FILE *f, const ctl_cmd_t *c)
{
    int col = fprintf(f, "  %s ", c->name);

    cli_print_wrapped(f, c->args, col, 8, 96);
    fputs("      ", f);
    cli_print_wrapped(f, c->summary, 6, 6, 96);
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: " PROG " [GLOBAL OPTIONS] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        print_command(f, &commands[i]);
    fprintf(f,
            "\nglobal options:\n"
            "  --broker EP    the broker's ingest endpoint ($PERMIT_BROKER, default " DEFAULT_BROKER
            ")\n"
            "  --query EP     the query endpoint ($PERMIT_QUERY, default " DEFAULT_QUERY ")\n"
            "  --publish EP   the publish endpoint ($PERMIT_PUBLISH, default " DEFAULT_PUBLISH ")\n"
            "  (each EP may be a list EP1,EP2,...: several brokers, in order of preference;\n"
            "   one that does not answer is left for the next; query and publish pair up)\n"
            "  --timeout MS   wait this long for each answer (default %d)\n"
            "  --tries N      ask this many times before giving up (default %d)\n"
            "  --curve-secret FILE  our CURVE key pair, NAME.secret ($PERMIT_CURVE_SECRET)\n"
            "  --broker-key FILE    the broker's public key, NAME.key ($PERMIT_BROKER_KEY); "
            "both\n                       given: CURVE, neither: plain sockets\n"
            "\ntimes (--since): YYYY-MM-DD, \"YYYY-MM-DD HH:MM[:SS]\" (local), ISO 8601 with an "
            "offset, or\n  milliseconds since the epoch\n"
            "exit status: 0 ok, 64 usage, 65 refused or bad input file, 69 broker unreachable, "
            "1 other\n",
            DEFAULT_TIMEOUT_MS, DEFAULT_TRIES);
}

void
ctl_command_help(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        if (strcmp(commands[i].name, name) == 0) {
            int col = printf("usage: " PROG " [GLOBAL OPTIONS] %s ", name);
            cli_print_wrapped(stdout, commands[i].args, col, 8, 96);
            fputs("  ", stdout);
            cli_print_wrapped(stdout, commands[i].summary, 2, 2, 96);
            printf("(" PROG " --help lists the global options)\n");
        }
    }
}

int
ctl_bad_option(const char *cmd, int c, char **argv)
{
    if (c == ':')
        return ctl_usage("%s: option '%s' needs a value", cmd, argv[optind - 1]);
    if (optopt != 0)
        return ctl_usage("%s: unknown option '-%c' (try permitctl %s --help)", cmd, optopt, cmd);
    return ctl_usage("%s: unknown option '%s' (try permitctl %s --help)", cmd, argv[optind - 1],
                     cmd);
}

int
ctl_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v;
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

int
ctl_request(ctl_t *ctl, const char *endpoint, const pm_msg_t *req, pm_msg_t **reply)
{
    client_t *cl;
    char why[512];
    int rc = CTL_EXIT_FAIL;

    cl = client_new(ctl->zctx, endpoint, why, sizeof(why));
    if (cl == NULL) {
        ctl_warnx("%s", why);
        return CTL_EXIT_USAGE;
    }
    client_set_stop(cl, ctl->stop);
    switch (client_request(cl, req, ctl->timeout_ms, ctl->tries, reply, why, sizeof(why))) {
    case CLIENT_OK:
        rc = 0;
        break;
    case CLIENT_UNREACHABLE:
        ctl_warnx("broker unreachable at %s", endpoint);
        rc = CTL_EXIT_UNREACHABLE;
        break;
    case CLIENT_INTERRUPTED:
        ctl_warnx("interrupted");
        rc = 128 + *ctl->stop;
        break;
    case CLIENT_ERROR:
        ctl_warnx("%s", why);
        rc = CTL_EXIT_FAIL;
        break;
    }
    client_destroy(&cl);
    return rc;
}

int
ctl_refused(const pm_reply_t *r)
{
    ctl_warnx("refused (%s): %s", util_empty(r->code) ? "?" : r->code,
              util_empty(r->reason) ? "no reason given" : r->reason);
    return CTL_EXIT_REFUSED;
}

static void
on_signal(int sig)
{
    ctl_stop = sig;
}

static const char *
env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);

    return util_empty(v) ? fallback : v;
}

enum { OPT_BROKER = 256, OPT_QUERY, OPT_PUBLISH, OPT_TIMEOUT, OPT_TRIES, OPT_SECRET, OPT_SERVER };

static const struct option global_options[] = {
    {"broker", required_argument, NULL, OPT_BROKER},
    {"query", required_argument, NULL, OPT_QUERY},
    {"publish", required_argument, NULL, OPT_PUBLISH},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"tries", required_argument, NULL, OPT_TRIES},
    {"curve-secret", required_argument, NULL, OPT_SECRET},
    {"broker-key", required_argument, NULL, OPT_SERVER},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to go on, else the exit status. */
static int
parse_global(ctl_t *ctl, int argc, char **argv)
{
    unsigned long long v;
    const char *secret = NULL, *server = NULL;
    char *err = NULL;
    int c;

    opterr = 0;
    /* '+': stop at the command; its options are its own. */
    while ((c = getopt_long(argc, argv, "+:h", global_options, NULL)) != -1) {
        switch (c) {
        case OPT_BROKER:
            ctl->broker = optarg;
            break;
        case OPT_QUERY:
            ctl->query = optarg;
            break;
        case OPT_PUBLISH:
            ctl->publish = optarg;
            break;
        case OPT_TIMEOUT:
            if (ctl_parse_uint(optarg, 3600000, &v) != 0 || v == 0)
                return ctl_usage("--timeout wants milliseconds from 1 to 3600000, not '%s'",
                                 optarg);
            ctl->timeout_ms = (int)v;
            break;
        case OPT_TRIES:
            if (ctl_parse_uint(optarg, 1000, &v) != 0 || v == 0)
                return ctl_usage("--tries wants a number from 1 to 1000, not '%s'", optarg);
            ctl->tries = (int)v;
            break;
        case OPT_SECRET:
            secret = optarg;
            break;
        case OPT_SERVER:
            server = optarg;
            break;
        case 'h':
            usage(stdout);
            return CTL_EXIT_OK;
        case ':':
            return ctl_usage("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt != 0)
                return ctl_usage("unknown option '-%c' (try --help)", optopt);
            return ctl_usage("unknown option '%s' (try --help)", argv[optind - 1]);
        }
    }
    if (curvecfg_client_setup(secret, server, &err) < 0) {
        ctl_warnx("%s", err);
        free(err);
        return CTL_EXIT_USAGE;
    }
    return -1;
}

int
main(int argc, char **argv)
{
    ctl_t ctl = {
        .broker = env_or("PERMIT_BROKER", DEFAULT_BROKER),
        .query = env_or("PERMIT_QUERY", DEFAULT_QUERY),
        .publish = env_or("PERMIT_PUBLISH", DEFAULT_PUBLISH),
        .timeout_ms = DEFAULT_TIMEOUT_MS,
        .tries = DEFAULT_TRIES,
        .stop = &ctl_stop,
    };
    const ctl_cmd_t *cmd = NULL;
    int rc, first;

    log_init(PROG, LOG_LEVEL_WARN);
    rc = parse_global(&ctl, argc, argv);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return ctl_usage("no command (try --help)");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        if (strcmp(argv[optind], commands[i].name) == 0)
            cmd = &commands[i];
    if (cmd == NULL) {
        if (strcmp(argv[optind], "help") == 0) {
            usage(stdout);
            return CTL_EXIT_OK;
        }
        return ctl_usage("unknown command '%s' (try --help)", argv[optind]);
    }
    cli_catch_signals(on_signal, false);
    ctl.zctx = zmq_ctx_new();
    if (ctl.zctx == NULL) {
        ctl_warnx("zmq_ctx_new: %s", zmq_strerror(errno));
        return CTL_EXIT_FAIL;
    }
    /* The command sees its own argv, argv[0] being its name; getopt starts afresh. */
    first = optind;
    optind = 0;
    rc = cmd->fn(&ctl, argc - first, argv + first);
    zmq_ctx_term(ctl.zctx);
    return rc;
}
