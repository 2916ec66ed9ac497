/*
 * permitctl: the task-force operator's tool.
 *
 * main() reads the global options (common/args.h over the table below), then the command
 * table (common/cli.h) picks the command and runs it; the tables also make --help. Everything the
 * commands share (reporting, one request with retries) is here; see ctl.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "args.h"
#include "cli.h"
#include "conftab.h"
#include "ctl.h"
#include "curvecfg.h"
#include "i18n.h"
#include "log.h"
#include "termsafe.h"
#include "util.h"
#include "zone.h"

#define PROG "permitctl"
#define DEFAULT_BROKER "tcp://127.0.0.1:7401"
#define DEFAULT_PUBLISH "tcp://127.0.0.1:7402"
#define DEFAULT_QUERY "tcp://127.0.0.1:7403"

/* The exit flag: the number of the signal that asked us to stop. */
static volatile sig_atomic_t ctl_stop;

static int cmd_keygen(void *ctx, int argc, char **argv);

static const cli_cmd_t commands[] = {
    {"import", cmd_import, "departments|template|projects|calendar FILE [--template NAME]",
     N_("load departments, a template (--template names it, default standard) or projects (whose "
        "empty template column means --template) from a CSV file, see README for the columns; or "
        "one year of the working-day calendar from a holiday-cn JSON file, as published (samples "
        "in deploy/calendar)"),
     NULL},
    {"tail", cmd_tail,
     "[-f] [--from SEQ] [--since TIME] [--project ID] [--dept CODE] [--kind KIND] [--json]",
     N_("print the log's entries after SEQ (default 0: all), as readable lines or JSON lines; -f "
        "keeps following live until SIGINT or SIGTERM"),
     NULL},
    {"status", cmd_status, "PROJECT [--json] [--wide]",
     N_("show a project's procedures: state, deadline and colour, what blocks them, commitments, "
        "the project's due date and its milestones"),
     NULL},
    {"overdue", cmd_overdue,
     "[--colour red|yellow] [--dept CODE] [--region R] [--project ID] [--json] [--wide]",
     N_("list open procedures that are red (overdue) or yellow (close to their limit), most "
        "overdue first, with deadline and working days over or left"),
     NULL},
    {"blocked", cmd_blocked, "[--dept CODE] [--region R] [--project ID] [--json] [--wide]",
     N_("list procedures that cannot start yet and the prerequisites holding each, with the "
        "department that holds it; --dept matches the waiting department or a holding one"),
     NULL},
    {"reopen", cmd_reopen, "PROJECT PROCEDURE --reason TEXT",
     N_("undo a wrong approval, rejection, withdrawal or 'not required': an audited correction "
        "logged with your name ($PERMIT_OPERATOR or $USER) and the reason"),
     NULL},
    {"extend", cmd_extend, "PROJECT PROCEDURE DAYS --reason TEXT",
     N_("a lawful extension of a running time limit by DAYS working days, audited likewise"), NULL},
    {"mark-not-required", cmd_mark_not_required, "PROJECT PROCEDURE --reason TEXT",
     N_("mark a procedure not required (无需办理) on behalf of its department, audited likewise"),
     NULL},
    {"report", cmd_report,
     "[--db PATH] [--as-of DATE|TIME] [--by region|department|industry] [--weeks N] [--top N] "
     "[--format md|csv|json|html|xlsx] [--out FILE] [--bom|--no-bom] [--config FILE] "
     "[--period week|month] [--lang zh|en] [--bulletin FILE] [--issuer TEXT] [--city TEXT] "
     "[--issue N] [--first-issue DATE] [--issued DATE]",
     N_("the weekly report (周调度) from the broker's database ($PERMIT_DB, default permit.db), as "
        "the log stood at --as-of (a date means its end; default now): completion rates, states, "
        "colours, the longest overdue, working days per department, rates by region, department "
        "or industry and their trend over --weeks (default 8); HTML is the bulletin (周调度通报, "
        "月通报 with --period month) for A4, its title block from --bulletin FILE ([bulletin] "
        "issuer, city, first_issue, lang) and the options of those names"),
     NULL},
    {"backup", cmd_backup, "DEST [--db PATH] [--config FILE] [--force]",
     N_("copy the broker's sqlite database ($PERMIT_DB, or the db of --config) to DEST while it "
        "runs: one consistent moment, mode 0600, written whole or not at all; prints the copy's "
        "head. Never overwrites without --force"),
     NULL},
    {"verify", cmd_verify, "DB [--config FILE]",
     N_("check a database file, a backup say: integrity, layout version, a log from seq 1 without "
        "a gap, and state tables equal to a rebuild from the log (with the rules of --config); "
        "exit 65 and a line per problem"),
     NULL},
    {"clock", cmd_clock, "set TIME",
     N_("tests only: move a broker started with test_clock to TIME and run what came due"), NULL},
    {"keygen", cmd_keygen, "NAME [--dir DIR] [--role department|notifier|operator|admin|viewer]",
     N_("write a CURVE key pair: DIR/NAME.key (the public key, with the role line the broker's "
        "keys_dir needs) and DIR/NAME.secret (mode 0600, stays on its machine); for a department "
        "NAME is its code. Never overwrites"),
     NULL},
    {"web-user", cmd_web_user,
     "add NAME --role viewer|department:CODE|operator [--password-stdin] | del NAME | list "
     "[--file PATH]",
     N_("manage the web console's accounts in PATH (default /etc/permit/web-users, mode 0600): "
        "add asks the password twice with echo off (or reads a line from stdin), hashed with "
        "yescrypt; an existing account gets the new role and password. permit-web reads the file "
        "again on SIGHUP"),
     NULL},
};

/* keygen: no broker involved; the key files are what README's Security section hands out. */
static int
cmd_keygen(void *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"role", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = ".", *role = NULL;
    char *err = NULL;
    int c;

    (void)ctx;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        default:
            return ctl_bad_option("keygen", c, argv);
        }
    }
    if (optind + 1 != argc)
        return ctl_usage(_("keygen: one NAME (try permitctl keygen --help)"));
    if (role != NULL && strcmp(role, "department") != 0 && strcmp(role, "notifier") != 0 &&
        strcmp(role, "operator") != 0 && strcmp(role, "admin") != 0 && strcmp(role, "viewer") != 0)
        return ctl_usage(_("keygen: --role is department, notifier, operator, admin or viewer, not "
                           "'%s'"),
                         role);
    if (curvecfg_keygen(dir, argv[optind], role, &err) < 0) {
        ctl_warnx(_("keygen: %s"), err);
        free(err);
        return EXIT_FAILURE;
    }
    printf("%s/%s.key\n%s/%s.secret\n", dir, argv[optind], dir, argv[optind]);
    return EX_OK;
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
    return EX_USAGE;
}

/* The global options: common/args.h reads them before the command, --key VALUE or --key=VALUE. */
typedef struct ctl_opts {
    char *broker, *query, *publish;
    int timeout, tries; /* ms per try; tries */
    char *curve_secret, *broker_key;
    char *time_zone;
} ctl_opts_t;

#define OPT(name, type, def, min, max, help)                                                       \
    {                                                                                              \
#name, type, offsetof(ctl_opts_t, name), def, min, max, false, help, NULL, 0               \
    }
static const conftab_opt_t global_options[] = {
    OPT(broker, CONFTAB_TEXT, DEFAULT_BROKER, 0, 0,
        N_("the broker's ingest endpoint, EP or a list EP1,EP2,... of brokers in order of "
           "preference ($PERMIT_BROKER)")),
    OPT(query, CONFTAB_TEXT, DEFAULT_QUERY, 0, 0, N_("the query endpoint(s) ($PERMIT_QUERY)")),
    OPT(publish, CONFTAB_TEXT, DEFAULT_PUBLISH, 0, 0,
        N_("the publish endpoint(s) ($PERMIT_PUBLISH); query and publish lists pair up")),
    OPT(timeout, CONFTAB_INT, "2000", 1, 3600000, N_("wait this long (ms) for each answer")),
    OPT(tries, CONFTAB_INT, "3", 1, 1000, N_("ask this many times before giving up")),
    OPT(curve_secret, CONFTAB_TEXT, "", 0, 0,
        N_("our CURVE key pair, NAME.secret ($PERMIT_CURVE_SECRET)")),
    OPT(broker_key, CONFTAB_TEXT, "", 0, 0,
        N_("the broker's public key, NAME.key ($PERMIT_BROKER_KEY); both given: CURVE, neither: "
           "plain sockets")),
    OPT(time_zone, CONFTAB_TEXT, "", 0, 0,
        N_("the jurisdiction's time zone ($PERMIT_TIME_ZONE): times are shown and read in it, "
           "whatever TZ says; default the one the broker names, else Asia/Shanghai")),
};
#undef OPT
static const conftab_t global_table = {"permitctl", global_options, ARRAY_LEN(global_options)};

/* The environment's defaults for the global options. */
static const conftab_env_t global_env[] = {
    {"broker", "PERMIT_BROKER"},         {"query", "PERMIT_QUERY"},
    {"publish", "PERMIT_PUBLISH"},       {"curve_secret", "PERMIT_CURVE_SECRET"},
    {"broker_key", "PERMIT_BROKER_KEY"}, {"time_zone", "PERMIT_TIME_ZONE"},
};

static void
more_help(FILE *f)
{
    fprintf(f, "%s\n", _("global options (before the command):"));
    conftab_usage(&global_table, f);
    fputs(_("\ntimes (--since): YYYY-MM-DD, \"YYYY-MM-DD HH:MM[:SS]\" (in time_zone), ISO 8601 "
            "with an offset, or\n  milliseconds since the epoch\n"),
          f);
}

static const cli_exit_t exits[] = {
    {EX_OK, N_("ok")},
    {EX_USAGE, N_("usage")},
    {EX_DATAERR, N_("refused or bad input file")},
    {EX_UNAVAILABLE, N_("broker unreachable")},
    {EX_NOPERM, N_("the broker refused this key (in the handshake)")},
    {EX_CONFIG, N_("bad config (report)")},
    {EXIT_FAILURE, N_("other")},
};

static const cli_prog_t prog = {
    .name = PROG,
    .synopsis = "[GLOBAL OPTIONS] COMMAND [ARGS]",
    .cmds = commands,
    .n = ARRAY_LEN(commands),
    .more = more_help,
    .about = "the task force's operator tool: imports, status, lists, corrections, the weekly "
             "report and key generation, through the permit broker",
    .exits = exits,
    .n_exits = ARRAY_LEN(exits),
    .globals = &global_table,
};

static void
dump(FILE *f)
{
    cli_dump(&prog, f);
}

static void
usage(FILE *f)
{
    cli_usage(&prog, f);
}

int
ctl_bad_option(const char *cmd, int c, char **argv)
{
    if (c == ':')
        return ctl_usage(_("%s: option '%s' needs a value (try permitctl %s --help)"), cmd,
                         argv[optind - 1], cmd);
    if (optopt != 0)
        return ctl_usage(_("%s: unknown option '-%c' (try permitctl %s --help)"), cmd, optopt, cmd);
    return ctl_usage(_("%s: unknown option '%s' (try permitctl %s --help)"), cmd, argv[optind - 1],
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
    int rc = EXIT_FAILURE;

    cl = client_new(ctl->zctx, endpoint, why, sizeof(why));
    if (cl == NULL) {
        ctl_warnx("%s", why);
        return EX_USAGE;
    }
    client_set_stop(cl, ctl->stop);
    switch (client_request(cl, req, ctl->timeout_ms, ctl->tries, reply, why, sizeof(why))) {
    case CLIENT_OK:
        ctl_adopt_zone(ctl, (*reply)->time_zone);
        rc = 0;
        break;
    case CLIENT_UNREACHABLE:
        ctl_warnx(_("broker unreachable at %s"), endpoint);
        rc = EX_UNAVAILABLE;
        break;
    case CLIENT_INTERRUPTED:
        ctl_warnx(_("interrupted"));
        rc = 128 + *ctl->stop;
        break;
    case CLIENT_REFUSED:
        ctl_warnx("%s", why);
        rc = EX_NOPERM;
        break;
    case CLIENT_ERROR:
        ctl_warnx("%s", why);
        rc = EXIT_FAILURE;
        break;
    }
    client_destroy(&cl);
    return rc;
}

void
ctl_adopt_zone(ctl_t *ctl, const char *name)
{
    char *err = NULL;
    int rc;

    if (!ctl->adopt_zone || name == NULL)
        return;
    ctl->adopt_zone = false; /* the first answer's zone, once: an older broker's none */
    if (*name == '\0' || strcmp(name, zone_name()) == 0)
        return;
    /* Only this thread reads TZ: libzmq's threads never look at the environment. */
    rc = zone_use(name, ZONE_DEFAULT_OFFSET_S, &err);
    if (rc < 0)
        ctl_warnx(_("the broker's time zone: %s; using %s"), err, zone_name());
    else if (rc > 0)
        ctl_warnx("%s", err);
    free(err);
}

int
ctl_zone_from_broker(ctl_t *ctl)
{
    pm_msg_t *req, *rep = NULL;
    int rc;

    if (!ctl->adopt_zone)
        return 0;
    req = pm_msg_new(PM_MSG_QUERY);
    req->query = xcalloc(1, sizeof(*req->query));
    req->query->limit = 1; /* the cheapest question: any answer names the zone */
    rc = ctl_request(ctl, ctl->query, req, &rep);
    pm_msg_destroy(&rep);
    pm_msg_destroy(&req);
    return rc;
}

int
ctl_refused(const pm_reply_t *r)
{
    const char *reason = util_empty(r->reason) ? _("no reason given") : r->reason;

    /* The broker's reason is English; a Chinese reader gets the code's name first. */
    if (i18n_lang() != PM_LANG_EN && !util_empty(r->code)) {
        char *both = xasprintf("%s: %s", pm_refuse_label(r->code, i18n_lang()), reason);
        ctl_warnx(_("refused (%s): %s"), r->code, both);
        free(both);
    } else {
        ctl_warnx(_("refused (%s): %s"), util_empty(r->code) ? "?" : r->code, reason);
    }
    return EX_DATAERR;
}

static void
on_signal(int sig)
{
    ctl_stop = sig;
}

/*
 * The global options: defaults, the environment, then the command line. ARGS_GO with *next
 * the index of the command, else the exit status.
 */
static int
parse_global(ctl_opts_t *o, int argc, char **argv, int *next)
{
    const args_spec_t spec = {.prog = PROG,
                              .tab = &global_table,
                              .flags = NULL,
                              .stop_at_word = true,
                              .usage = usage,
                              .dump = dump};
    args_t a;
    char *err = NULL;
    int rc;

    conftab_defaults(&global_table, o);
    if (conftab_from_env(&global_table, o, global_env, ARRAY_LEN(global_env), &err) < 0)
        goto bad;
    if ((rc = args_read(&spec, argc, argv, &a)) != ARGS_GO) {
        args_clear(&a);
        return rc;
    }
    *next = a.next;
    rc = args_apply(&global_table, o, &a, &err);
    args_clear(&a);
    /* No zone given: the default until the broker names its own (ctl_adopt_zone). */
    if (rc == 0 && (rc = zone_use(util_empty(o->time_zone) ? ZONE_DEFAULT : o->time_zone,
                                  ZONE_DEFAULT_OFFSET_S, &err)) > 0) {
        ctl_warnx("%s", err); /* a fixed offset is still right for a zone without DST */
        free(err);
        err = NULL;
        rc = 0;
    }
    if (rc < 0 || curvecfg_client_setup(util_empty(o->curve_secret) ? NULL : o->curve_secret,
                                        util_empty(o->broker_key) ? NULL : o->broker_key, &err) < 0)
        goto bad;
    return ARGS_GO;
bad:
    rc = ctl_usage(_("%s (try permitctl --help)"), err);
    free(err);
    return rc;
}

int
main(int argc, char **argv)
{
    ctl_opts_t o;
    ctl_t ctl = {.stop = &ctl_stop};
    int rc, next = 0;

    i18n_init(PROG);
    log_init(PROG, LOG_LEVEL_WARN);
    rc = parse_global(&o, argc, argv, &next);
    if (rc == ARGS_GO) {
        ctl.broker = o.broker;
        ctl.query = o.query;
        ctl.publish = o.publish;
        ctl.timeout_ms = o.timeout;
        ctl.tries = o.tries;
        ctl.adopt_zone = util_empty(o.time_zone);
        cli_catch_signals(on_signal, false);
        ctl.zctx = zmq_ctx_new();
        if (ctl.zctx == NULL) {
            ctl_warnx(_("zmq_ctx_new: %s"), zmq_strerror(errno));
            rc = EXIT_FAILURE;
        } else {
            /* The command sees its own argv, argv[0] being its name; getopt starts afresh. */
            optind = 0;
            rc = cli_dispatch(&prog, &ctl, argc - next, argv + next);
            zmq_ctx_term(ctl.zctx);
        }
    }
    conftab_clear(&global_table, &o);
    return rc;
}
