/*
 * permit-notify: the notifier. The command table; `run` is the daemon (notifyd.c), the others
 * act on its database (notify_ctl.c), whether the daemon runs or not.
 *
 * Exit status: 0, 1 runtime failure, 64 (EX_USAGE) usage, 65 (EX_DATAERR) no such item (retry,
 * ack, silence expire), 78 (EX_CONFIG) a bad configuration (FILE:LINE: reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "acktoken.h"
#include "args.h"
#include "channel.h"
#include "cli.h"
#include "curvecfg.h"
#include "log.h"
#include "ncfg.h"
#include "notify_ctl.h"
#include "notifyd.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "util.h"
#include "zone.h"
#include "i18n.h"

#define PROG "permit-notify"

static int cmd_run(void *ctx, int argc, char **argv);
static int cmd_status(void *ctx, int argc, char **argv);
static int cmd_retry(void *ctx, int argc, char **argv);
static int cmd_ack(void *ctx, int argc, char **argv);
static int cmd_silence(void *ctx, int argc, char **argv);
static int cmd_history(void *ctx, int argc, char **argv);

static const cli_cmd_t commands[] = {
    {"run", cmd_run, "--config FILE [-n] [--OPTION VALUE ...]",
     N_("run the notifier: follow the broker's log, route, render and deliver every notification "
        "(-n checks the config, routes and templates)"),
     ncfg_usage},
    {"status", cmd_status, "(--config FILE | --db PATH)",
     N_("the cursor, deliveries by state, dead letters with their "
        "last error, unacknowledged red items, silences"),
     NULL},
    {"retry", cmd_retry, "(--config FILE | --db PATH) ID|--all", N_("send dead letters again"),
     NULL},
    {"ack", cmd_ack, "(--config FILE | --db PATH) SEQ [--by NAME]",
     N_("acknowledge the red item logged at SEQ: an alert_ack entry in the broker's log (its "
        "broker key, or $PERMIT_BROKER with --db), the one path of every ack, as the web link's; "
        "the notifier stops escalating it when it reads the entry"),
     NULL},
    {"silence", cmd_silence,
     "(--config FILE | --db PATH) add [--project ID] [--kind KEY] --author NAME --reason TEXT "
     "(--for 2h|--until TIME) | list | expire ID",
     N_("suppress a project's or a kind's notifications for a while"), NULL},
    {"history", cmd_history,
     "(--config FILE | --db PATH) [--project ID] [--seq N] [--state STATE] [--json]",
     N_("every delivery: what, to whom, over which channel, the result and when"), NULL},
};

static void
more_help(FILE *f)
{
    fprintf(f, "%s",
            _("the commands other than run find the database through --config (its db key) "
              "or --db\n"));
}

static const cli_exit_t exits[] = {
    {EX_OK, N_("ok")},
    {EXIT_FAILURE, N_("failure")},
    {EX_USAGE, N_("usage")},
    {EX_DATAERR, N_("no such item, or acknowledged already (ack)")},
    {EX_UNAVAILABLE, N_("broker unreachable (ack)")},
    {EX_NOPERM, N_("the broker refused this key (ack, in the handshake)")},
    {EX_CONFIG, N_("bad config")},
};

static const cli_prog_t prog = {
    .name = PROG,
    .synopsis = "COMMAND [--config FILE | --db PATH] [ARGS]",
    .cmds = commands,
    .n = ARRAY_LEN(commands),
    .more = more_help,
    .about = "the notifier: follows the permit broker's log and tells the people concerned, by "
             "webhook, work-chat robot or e-mail, with escalation, digests and silences",
    .exits = exits,
    .n_exits = ARRAY_LEN(exits),
    .config_cmd = "run",
    .config_tab = &ncfg_table,
};

/*
 * The config: defaults, the file, then the command line's overrides. A file holding the SMTP
 * password, or a key pair, readable by others: a warning, an error when strict (-n). 0 or
 * EX_CONFIG.
 */
static int
load_config(ncfg_t *cfg, const char *path, const args_t *args, bool strict)
{
    char *err = NULL;

    ncfg_defaults(cfg);
    if (path != NULL && ncfg_load_file(cfg, path, &err) < 0)
        goto fail;
    if (path != NULL && !util_empty(cfg->smtp_password) &&
        curvecfg_private(path, _("a password"), strict, &err) < 0)
        goto fail;
    if (args != NULL && args_apply(&ncfg_table, cfg, args, &err) < 0)
        goto fail;
    if (ncfg_load_secrets(cfg, &err) < 0)
        goto fail;
    if (ncfg_check(cfg, &err) < 0 ||
        curvecfg_client_setup(cfg->curve_secret, cfg->broker_key, &err) < 0 ||
        (strict && curvecfg_client_private(&err) < 0))
        goto fail;
    if (strict && !util_empty(cfg->ack_key_file)) {
        acktoken_key_t key;
        if (acktoken_key_load(cfg->ack_key_file, true, &key, &err) < 0)
            goto fail;
        explicit_bzero(&key, sizeof(key));
    }
    return 0;
fail:
    fprintf(stderr, PROG ": %s\n", err);
    free(err);
    return EX_CONFIG;
}

/* SIGHUP: read the file again; the reloadable options change, then routes and templates. */
static void
reload(ncfg_t *cfg, const args_t *args, notifyd_t *d)
{
    ncfg_t fresh = {0};

    if (load_config(&fresh, args->config, args, false) == 0) {
        ncfg_reload(cfg, &fresh);
        log_set_level(cfg->log_level);
        notifyd_reload(d);
    } else {
        log_warnx(_("reload: the config has errors; nothing changed"));
    }
    ncfg_clear(&fresh);
}

static int
cmd_run(void *ctx, int argc, char **argv)
{
    const args_spec_t spec = {.prog = PROG " run", .tab = &ncfg_table, .config = true};
    args_t args;
    ncfg_t cfg = {0};
    notifyd_t *d = NULL;
    void *zctx = NULL;
    char *err = NULL;
    int rc;

    (void)ctx;
    if ((rc = args_read(&spec, argc, argv, &args)) != ARGS_GO)
        goto done;
    if ((rc = load_config(&cfg, args.config, &args, args.check)) != 0)
        goto done;
    zone_use_or_warn(cfg.time_zone); /* before the delivery threads start */
    log_init(PROG, cfg.log_level);
    if (chan_init() < 0) {
        fprintf(stderr, PROG ": libcurl failed to initialise\n");
        rc = EXIT_FAILURE;
        goto done;
    }
    zctx = zmq_ctx_new();
    d = notifyd_new(&cfg, zctx, &err);
    if (d == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        rc =
            strstr(err, ".conf") != NULL || strstr(err, ".tmpl") != NULL ? EX_CONFIG : EXIT_FAILURE;
        goto done_curl;
    }
    if (args.check) {
        printf(_("configuration OK\n"));
        rc = EX_OK;
        goto done_curl;
    }
    if (sigwake_init(true) < 0) {
        log_warn(_("cannot make the signal pipe"));
        rc = EXIT_FAILURE;
        goto done_curl;
    }
    log_info(_("ready: db %s, routes %s, templates %s"), cfg.db, cfg.routes, cfg.templates);
    sdnotify_status("READY=1", _("ready, following %s"), cfg.publish);
    rc = EX_OK;
    while (!(sigwake_pending() & SIGWAKE_STOP)) {
        if (notifyd_run(d) < 0) {
            rc = EXIT_FAILURE;
            break;
        }
        if (sigwake_take_reload())
            reload(&cfg, &args, d);
    }
    sdnotify_status("STOPPING=1", _("stopping"));
    if (rc == 0)
        log_info(_("stopping on signal %d"), (int)*sigwake_stop_flag());
    sigwake_fini();
done_curl:
    notifyd_destroy(&d);
    chan_fini();
done:
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    free(err);
    ncfg_clear(&cfg);
    args_clear(&args);
    return rc;
}

/*
 * --config FILE or --db PATH (or --config=FILE, --db=PATH) anywhere in argv: the database
 * path; both removed from argv, the rest is the command's own.
 */
static int
find_db(int *argc, char **argv, char **db, char **config_path)
{
    const char *config = NULL, *path = NULL;
    int k = 0;

    for (int i = 0; i < *argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        size_t len = 0;
        if (strncmp(arg, "--config", 8) == 0 && (arg[8] == '\0' || arg[8] == '='))
            slot = &config, len = 8;
        else if (strncmp(arg, "--db", 4) == 0 && (arg[4] == '\0' || arg[4] == '='))
            slot = &path, len = 4;
        if (slot == NULL) {
            argv[k++] = argv[i];
        } else if (arg[len] == '=') {
            *slot = arg + len + 1;
        } else if (i + 1 < *argc) {
            *slot = argv[++i];
        } else {
            fprintf(stderr, PROG ": %s: %s needs a value (try permit-notify %s --help)\n", argv[0],
                    arg, argv[0]);
            return EX_USAGE;
        }
    }
    argv[k] = NULL;
    *argc = k;
    if (config_path != NULL)
        *config_path = config != NULL ? xstrdup(config) : NULL;
    if (path != NULL) {
        *db = xstrdup(path);
        return 0;
    }
    if (config != NULL) {
        ncfg_t cfg = {0};
        if (load_config(&cfg, config, NULL, false) != 0) {
            ncfg_clear(&cfg);
            return EX_CONFIG;
        }
        *db = xstrdup(cfg.db);
        zone_use_or_warn(cfg.time_zone);
        ncfg_clear(&cfg);
        return 0;
    }
    fprintf(stderr, PROG ": %s: give --config FILE or --db PATH (try permit-notify %s --help)\n",
            argv[0], argv[0]);
    return EX_USAGE;
}

/* The commands on the database: find it, then act. */
static int
with_db(int (*fn)(const char *db, int argc, char **argv), int argc, char **argv)
{
    char *db = NULL;
    int rc = find_db(&argc, argv, &db, NULL);

    if (rc == 0)
        rc = fn(db, argc, argv);
    free(db);
    return rc;
}

static int
cmd_status(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return with_db(notify_ctl_status, argc, argv);
}

static int
cmd_retry(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return with_db(notify_ctl_retry, argc, argv);
}

/*
 * ack talks to the broker, not to the database: its endpoint and keys come from --config, or
 * with --db from $PERMIT_BROKER, $PERMIT_CURVE_SECRET and $PERMIT_BROKER_KEY.
 */
static int
cmd_ack(void *ctx, int argc, char **argv)
{
    char *db = NULL, *config = NULL, *err = NULL;
    ncfg_t cfg = {0};
    void *zctx;
    int rc = find_db(&argc, argv, &db, &config);

    (void)ctx;
    if (rc != 0)
        goto done;
    if (config != NULL) {
        rc = load_config(&cfg, config, NULL, false);
    } else {
        ncfg_defaults(&cfg);
        if (curvecfg_client_setup(cfg.curve_secret, cfg.broker_key, &err) < 0) {
            fprintf(stderr, PROG ": %s\n", err);
            rc = EX_CONFIG;
        }
    }
    if (rc != 0)
        goto done;
    zctx = zmq_ctx_new();
    rc = notify_ctl_ack(&cfg, zctx, argc, argv);
    zmq_ctx_term(zctx);
done:
    free(err);
    free(config);
    free(db);
    ncfg_clear(&cfg);
    return rc;
}

static int
cmd_silence(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return with_db(notify_ctl_silence, argc, argv);
}

static int
cmd_history(void *ctx, int argc, char **argv)
{
    (void)ctx;
    return with_db(notify_ctl_history, argc, argv);
}

int
main(int argc, char **argv)
{
    i18n_init(PROG);
    log_init(PROG, LOG_LEVEL_INFO);
    zone_use_or_warn(NULL); /* --db without a config: $PERMIT_TIME_ZONE or the default */
    return cli_dispatch(&prog, NULL, argc - 1, argv + 1);
}
