/*
 * permit-notify: the notifier. The command table; `run` is the daemon (notifyd.c), the others
 * act on its database (notify_ctl.c), whether the daemon runs or not.
 *
 * Exit status: 0, 1 runtime failure, 64 usage, 65 no such item (retry, ack, silence expire),
 * 78 a bad configuration (FILE:LINE: reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "channel.h"
#include "cli.h"
#include "curvecfg.h"
#include "log.h"
#include "ncfg.h"
#include "notify_ctl.h"
#include "notifyd.h"
#include "sigwake.h"
#include "util.h"

#define PROG "permit-notify"
#define EXIT_USAGE 64
#define EXIT_CONFIG 78

typedef struct notify_cmd {
    const char *name;
    int (*fn)(const char *db, int argc, char **argv);
    const char *args;
    const char *summary;
} notify_cmd_t;

static const notify_cmd_t commands[] = {
    {"run", NULL, "--config FILE [-n] [--OPTION VALUE ...]",
     "run the notifier: follow the broker's log, route, render and deliver every notification "
     "(run --help lists the options; -n checks the config, routes and templates)"},
    {"status", notify_ctl_status, "",
     "the cursor, deliveries by state, dead letters with their "
     "last error, unacknowledged red items, silences"},
    {"retry", notify_ctl_retry, "ID|--all", "send dead letters again"},
    {"ack", notify_ctl_ack, "SEQ [--by NAME]",
     "acknowledge the red item logged at SEQ: its escalation stops"},
    {"silence", notify_ctl_silence,
     "add [--project ID] [--kind KEY] --author NAME --reason TEXT (--for 2h|--until TIME) | "
     "list | expire ID",
     "suppress a project's or a kind's notifications for a while"},
    {"history", notify_ctl_history, "[--project ID] [--seq N] [--state STATE] [--json]",
     "every delivery: what, to whom, over which channel, the result and when"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: " PROG " COMMAND [--config FILE | --db PATH] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
        int col = fprintf(f, "  %s ", commands[i].name);
        cli_print_wrapped(f, commands[i].args, col, 8, 96);
        fprintf(f, "      ");
        cli_print_wrapped(f, commands[i].summary, 6, 6, 96);
    }
    fprintf(f, "\nthe commands other than run find the database through --config (its db key) or "
               "--db\nexit status: 0, 1 failure, 64 usage, 65 no such item, 78 bad config\n");
}

/*
 * The config: defaults, the file, then the command line's overrides. A file holding the SMTP
 * password, or a key pair, readable by others: a warning, an error when strict (-n). 0 or
 * EXIT_CONFIG.
 */
static int
load_config(ncfg_t *cfg, const char *path, const strv_t *overrides, bool strict)
{
    char *err = NULL;

    ncfg_defaults(cfg);
    if (path != NULL && ncfg_load_file(cfg, path, &err) < 0)
        goto fail;
    if (path != NULL && !util_empty(cfg->smtp_password) &&
        curvecfg_private(path, "a password", strict, &err) < 0)
        goto fail;
    for (size_t i = 0; i + 1 < overrides->n; i += 2)
        if (ncfg_set(cfg, overrides->v[i], overrides->v[i + 1], &err) < 0)
            goto fail;
    if (ncfg_check(cfg, &err) < 0 ||
        curvecfg_client_setup(cfg->curve_secret, cfg->broker_key, &err) < 0 ||
        (strict && curvecfg_client_private(&err) < 0))
        goto fail;
    return 0;
fail:
    fprintf(stderr, PROG ": %s\n", err);
    free(err);
    return EXIT_CONFIG;
}

/* SIGHUP: read the file again; the reloadable options change, then routes and templates. */
static void
reload(ncfg_t *cfg, const char *path, const strv_t *overrides, notifyd_t *d)
{
    ncfg_t fresh = {0};

    if (load_config(&fresh, path, overrides, false) == 0) {
        ncfg_reload(cfg, &fresh);
        log_set_level(cfg->log_level);
        notifyd_reload(d);
    } else {
        log_warnx("reload: the config has errors; nothing changed");
    }
    ncfg_clear(&fresh);
}

static int
cmd_run(int argc, char **argv)
{
    const char *path = NULL;
    bool check_only = false;
    strv_t overrides = {0};
    ncfg_t cfg = {0};
    notifyd_t *d = NULL;
    void *zctx = NULL;
    char *err = NULL;
    int rc = EXIT_USAGE;

    /* The options are the config table's names, so they are read by hand, not by getopt. */
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fprintf(stdout, "usage: " PROG " run --config FILE [-n] [--OPTION VALUE ...]\n");
            ncfg_usage(stdout);
            rc = 0;
            goto done;
        }
        if (strcmp(arg, "-n") == 0) {
            check_only = true;
        } else if (strncmp(arg, "--", 2) == 0 && i + 1 < argc) {
            if (strcmp(arg, "--config") == 0) {
                path = argv[++i];
            } else {
                strv_push(&overrides, arg + 2);
                strv_push(&overrides, argv[++i]);
            }
        } else {
            fprintf(stderr, PROG ": run: unexpected argument '%s' (try run --help)\n", arg);
            goto done;
        }
    }
    if ((rc = load_config(&cfg, path, &overrides, check_only)) != 0)
        goto done;
    log_init(PROG, cfg.log_level);
    if (chan_init() < 0) {
        fprintf(stderr, PROG ": libcurl failed to initialise\n");
        rc = 1;
        goto done;
    }
    zctx = zmq_ctx_new();
    d = notifyd_new(&cfg, zctx, &err);
    if (d == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        rc = strstr(err, ".conf") != NULL || strstr(err, ".tmpl") != NULL ? EXIT_CONFIG : 1;
        goto done_curl;
    }
    if (check_only) {
        printf("configuration OK\n");
        rc = 0;
        goto done_curl;
    }
    if (sigwake_init(true) < 0) {
        log_warn("cannot make the signal pipe");
        rc = 1;
        goto done_curl;
    }
    log_info("ready: db %s, routes %s, templates %s", cfg.db, cfg.routes, cfg.templates);
    rc = 0;
    while (!(sigwake_pending() & SIGWAKE_STOP)) {
        if (notifyd_run(d) < 0) {
            rc = 1;
            break;
        }
        if (sigwake_take_reload())
            reload(&cfg, path, &overrides, d);
    }
    if (rc == 0)
        log_info("stopping on signal %d", (int)*sigwake_stop_flag());
    sigwake_fini();
done_curl:
    notifyd_destroy(&d);
    chan_fini();
done:
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    free(err);
    ncfg_clear(&cfg);
    strv_clear(&overrides);
    return rc;
}

/* --config FILE or --db PATH anywhere in argv: the database path; both removed from argv. */
static int
find_db(int *argc, char **argv, char **db)
{
    const char *config = NULL, *path = NULL;
    int k = 0;

    for (int i = 0; i < *argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--db") == 0) && i + 1 < *argc) {
            *(argv[i][2] == 'c' ? &config : &path) = argv[i + 1];
            i++;
            continue;
        }
        argv[k++] = argv[i];
    }
    argv[k] = NULL;
    *argc = k;
    if (path != NULL) {
        *db = xstrdup(path);
        return 0;
    }
    if (config != NULL) {
        ncfg_t cfg = {0};
        strv_t none = {0};
        if (load_config(&cfg, config, &none, false) != 0) {
            ncfg_clear(&cfg);
            return EXIT_CONFIG;
        }
        *db = xstrdup(cfg.db);
        ncfg_clear(&cfg);
        return 0;
    }
    fprintf(stderr, PROG ": %s: give --config FILE or --db PATH\n", argv[0]);
    return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
    char *db = NULL;
    int rc;

    log_init(PROG, LOG_LEVEL_INFO);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    for (size_t i = 1; i < ARRAY_LEN(commands); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        argc--;
        argv++;
        rc = find_db(&argc, argv, &db);
        if (rc == 0)
            rc = commands[i].fn(db, argc, argv);
        free(db);
        return rc;
    }
    fprintf(stderr, PROG ": unknown command '%s' (try --help)\n", argv[1]);
    return EXIT_USAGE;
}
