/*
 * permit-web: the task force's web console. Follows the broker's log like the notifier, keeps
 * the views in memory and serves the wall board, the project, department, blocked and overdue
 * pages, the JSON API, the live stream and /metrics (docs/web.md).
 *
 * Exit status: 0, 1 runtime failure, 64 (EX_USAGE) usage, 78 (EX_CONFIG) a bad configuration
 * (FILE:LINE: reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <zmq.h>

#include "acct.h"
#include "args.h"
#include "cli.h"
#include "curvecfg.h"
#include "i18n.h"
#include "log.h"
#include "sdnotify.h"
#include "sigwake.h"
#include "util.h"
#include "wcfg.h"
#include "webd.h"
#include "zone.h"

#define PROG "permit-web"

static const cli_exit_t exits[] = {
    {EX_OK, N_("stopped by SIGTERM or SIGINT, or -n done")},
    {EXIT_FAILURE, N_("a runtime failure (its address is in use, say)")},
    {EX_USAGE, N_("a bad command line")},
    {EX_CONFIG, N_("a bad configuration")},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: " PROG " [--config FILE] [-n] [--OPTION VALUE ...]\n\n");
    wcfg_usage(f);
    fputc('\n', f);
    cli_print_exits(f, exits, ARRAY_LEN(exits));
}

/* The config: defaults, the file, then the command line's overrides. 0 or EX_CONFIG. */
static int
load_config(wcfg_t *cfg, const args_t *args, bool strict)
{
    char *err = NULL;

    wcfg_defaults(cfg);
    if (args->config != NULL && wcfg_load_file(cfg, args->config, &err) < 0)
        goto fail;
    if (args_apply(&wcfg_table, cfg, args, &err) < 0)
        goto fail;
    if (wcfg_check(cfg, &err) < 0 ||
        curvecfg_client_setup(cfg->curve_secret, cfg->broker_key, &err) < 0 ||
        (strict && curvecfg_client_private(&err) < 0) ||
        (strict && acct_check_files(cfg, true, &err) < 0))
        goto fail;
    return 0;
fail:
    fprintf(stderr, PROG ": %s\n", err);
    free(err);
    return EX_CONFIG;
}

/* SIGHUP: read the file again; the reloadable options change. */
static void
reload(wcfg_t *cfg, const args_t *args, webd_t *d)
{
    wcfg_t fresh = {0};

    if (load_config(&fresh, args, false) == 0) {
        wcfg_reload(cfg, &fresh);
        log_set_level(cfg->log_level);
        webd_reload(d);
        log_info(_("reload: done"));
    } else {
        log_warnx(_("reload: the config has errors; nothing changed"));
    }
    wcfg_clear(&fresh);
}

int
main(int argc, char **argv)
{
    const args_spec_t spec = {
        .prog = PROG,
        .tab = &wcfg_table,
        .config = true,
        .usage = usage,
        .synopsis = "[--config FILE] [-n] [--OPTION VALUE ...]",
        .about = "the task force's web console: the wall board, project and department pages, "
                 "a JSON API, a live stream and Prometheus metrics, following the broker's log",
        .exits = exits,
        .n_exits = ARRAY_LEN(exits),
    };
    args_t args;
    wcfg_t cfg = {0};
    webd_t *d = NULL;
    void *zctx = NULL;
    char *err = NULL;
    int rc;

    i18n_init(PROG);
    log_init(PROG, LOG_LEVEL_INFO);
    if ((rc = args_read(&spec, argc, argv, &args)) != ARGS_GO)
        goto done;
    if ((rc = load_config(&cfg, &args, args.check)) != 0)
        goto done;
    if (args.check) {
        printf(_("configuration OK\n"));
        rc = EX_OK;
        goto done;
    }
    zone_use_or_warn(cfg.time_zone);
    log_init(PROG, cfg.log_level);
    if (sigwake_init(true) < 0) {
        log_warn(_("cannot make the signal pipe"));
        rc = EXIT_FAILURE;
        goto done;
    }
    util_raise_fd_limit();
    zctx = zmq_ctx_new();
    d = webd_new(&cfg, zctx, &err);
    if (d == NULL) {
        fprintf(stderr, PROG ": %s\n", err);
        rc = EXIT_FAILURE;
        goto done_sig;
    }
    log_info(_("ready: %s (following %s)"), webd_url(d), cfg.publish);
    sdnotify_status("READY=1", _("serving %s"), webd_url(d));
    rc = EX_OK;
    while (!(sigwake_pending() & SIGWAKE_STOP)) {
        if (webd_run(d) < 0) {
            rc = EXIT_FAILURE;
            break;
        }
        if (sigwake_take_reload())
            reload(&cfg, &args, d);
    }
    sdnotify_status("STOPPING=1", _("stopping"));
    if (rc == 0)
        log_info(_("stopping on signal %d"), (int)*sigwake_stop_flag());
    webd_destroy(&d);
done_sig:
    sigwake_fini();
done:
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    free(err);
    wcfg_clear(&cfg);
    args_clear(&args);
    return rc;
}
