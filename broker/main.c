/*
 * permitd: the broker daemon. Parses options, takes the database lock, then either rebuilds
 * the state from the log or runs the broker until SIGTERM/SIGINT. SIGHUP reloads what the
 * config allows. Modules start in dependency order and stop in reverse.
 *
 * Exit statuses: the table `exits` below (--help, the man page and docs/operate.md list it).
 * A start that cannot serve says in one line at error level what to check next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <unistd.h>
#include <zmq.h>

#include "args.h"
#include "broker.h"
#include "cli.h"
#include "log.h"
#include "sdnotify.h"
#include "i18n.h"
#include "sigwake.h"
#include "util.h"
#ifdef PERMIT_TEST_HOOKS
#include "crashvfs.h"
#endif

/* A database of a newer layout than this release's: its format is a newer protocol than ours. */
#define PERMITD_EX_NEWER EX_PROTOCOL

static const cli_exit_t exits[] = {
    {EX_OK, N_("stopped by SIGTERM or SIGINT, or -n or --rebuild done")},
    {EXIT_FAILURE, N_("another runtime failure")},
    {EX_USAGE, N_("a bad command line")},
    {EX_DATAERR, N_("the sqlite database file is damaged (never served, never rebuilt)")},
    {EX_NOINPUT, N_("CURVE: keys_dir or secret_key_file is missing or unreadable")},
    {EX_UNAVAILABLE, N_("an endpoint is in use: its port, or its ipc path served by another "
                        "process (another permitd?)")},
    {EX_TEMPFAIL, N_("another broker has the database: sqlite, its lock is held; PostgreSQL, this "
                     "one was deposed (a supervisor restarts it, into waiting)")},
    {EX_PROTOCOL, N_("the database was written by a newer release (a downgrade): never opened; "
                     "install that release or restore a backup made by this one")},
    {EX_CONFIG, N_("a bad configuration")},
};

static const args_flag_t flags[] = {
    {"rebuild", "recompute every state table from the log, then exit"},
    {NULL, NULL},
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: permitd [--config FILE] [--db PATH] [--ingest ENDPOINT] "
                 "[--publish ENDPOINT] [--query ENDPOINT] [--log-level LEVEL]\n"
                 "       permitd [--config FILE] [--db PATH] --rebuild\n"
                 "       permitd [--config FILE] -n\n"
                 "       permitd --version\n\n"
                 "The permit coordination broker: keeps the ordered event log, the state of every\n"
                 "project and publishes every committed entry.\n\n"
                 "  --config FILE    read options from an INI file (section [permitd])\n"
                 "  --rebuild        recompute every state table from the log, then exit\n"
                 "  -n               check the configuration, print \"configuration OK\", exit\n"
                 "  --help           this text\n"
                 "  --version        print the version, exit\n"
                 "every option below is --name VALUE or --name=VALUE\n\n");
    config_usage(out);
    cli_print_exits(out, exits, ARRAY_LEN(exits));
}

/* One broker per database: a lock file beside it, held for the life of the process. The
 * descriptor, or -1 (it cannot be opened), or -2 (another broker holds it). */
static int
lock_db(const char *db)
{
    char *path = xasprintf("%s.lock", db);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0) {
        log_warn(_("cannot open %s"), path);
        free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        log_error(_("another permitd is using %s (%s is locked): stop it first (`fuser %s` names "
                    "it), or give this one another db"),
                  db, path, path);
        close(fd);
        free(path);
        return -2;
    }
    free(path);
    return fd;
}

/*
 * The lock file keeps, between a clean stop and the next start, the identity the stop left the
 * database with (store_clean_identity). Taken once: what a start reads, it clears, so a
 * broker that then stops uncleanly leaves nothing behind. NULL when there is none.
 */
static char *
lock_take_identity(int fd)
{
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

    if (ftruncate(fd, 0) < 0 || n <= 0)
        return NULL;
    buf[n] = '\0';
    return xstrdup(buf);
}

static void
lock_keep_identity(int fd, const char *db)
{
    char *id = store_clean_identity(db);

    if (id != NULL && (pwrite(fd, id, strlen(id), 0) != (ssize_t)strlen(id) || fsync(fd) < 0))
        (void)ftruncate(fd, 0);
    free(id);
}

static int
rebuild(const config_t *cfg)
{
    char *err = NULL;
    store_t *store = store_open(cfg->db, &err);
    engine_t *engine;
    engine_cfg_t ec;
    uint64_t count = 0;
    char *db;
    int rc;

    if (store == NULL) {
        log_warnx(_("%s"), err);
        free(err);
        return EXIT_FAILURE;
    }
    store_set_timeout(store, cfg->db_timeout_ms);
    store_set_cache_bytes(store, (size_t)cfg->cache_mib << 20);
    db = store_target_redacted(cfg->db);
    config_engine_cfg(cfg, &ec);
    engine = engine_new(store, &ec);
    rc = engine_rebuild(engine, &count);
    if (rc == 0)
        log_info(_("rebuilt the state of %s from %llu log entries"), db, (unsigned long long)count);
    else
        log_warnx(_("rebuild of %s failed; the state tables are unchanged"), db);
    free(db);
    engine_destroy(&engine);
    store_close(&store);
    return rc == 0 ? EX_OK : EXIT_FAILURE;
}

/* -n: the key files must be readable and well formed too. */
static int
check_keys(const config_t *cfg, char **err)
{
    curve_key_t pub, sec;
    auth_t *auth;
    int rc;

    if (!cfg->curve)
        return 0;
    if (curvecfg_read(cfg->secret_key_file, &pub, &sec, NULL, err) < 0)
        return -1;
    explicit_bzero(&sec, sizeof(sec));
    if (curvecfg_private(cfg->secret_key_file, NULL, true, err) < 0)
        return -1;
    auth = auth_new(cfg->keys_dir);
    rc = auth_load(auth, err);
    auth_destroy(&auth);
    return rc;
}

/* SIGHUP: the file again, then the command line's options over it, as at the start. */
static void
reload_config(config_t *cfg, const char *path, const args_t *args)
{
    config_t fresh;
    char *err = NULL;

    if (path == NULL) {
        log_info(_("SIGHUP: no config file to reload"));
        return;
    }
    config_defaults(&fresh);
    if (config_load_file(&fresh, path, &err) < 0 ||
        args_apply(&config_table, &fresh, args, &err) < 0) {
        log_warnx(_("SIGHUP: %s; keeping the running configuration"), err);
        free(err);
    } else {
        config_reload(cfg, &fresh);
        log_set_level(cfg->log_level);
        log_info(_("SIGHUP: reloaded %s"), path);
    }
    config_clear(&fresh);
}

int
main(int argc, char **argv)
{
    const args_spec_t spec = {
        .prog = "permitd",
        .tab = &config_table,
        .flags = flags,
        .config = true,
        .usage = usage,
        .synopsis = "[--config FILE] [-n] [--rebuild] [--OPTION VALUE ...]",
        .about = "the permit coordination broker: keeps the ordered event log and the state of "
                 "every project, and publishes every committed entry",
        .exits = exits,
        .n_exits = ARRAY_LEN(exits),
    };
    broker_fail_t why;
    const char *config_path = NULL;
    args_t args; /* the command line's options win over the file's, at start and at SIGHUP */
    bool check_only = false, do_rebuild = false;
    config_t cfg;
    char *err = NULL;
    void *zctx = NULL;
    broker_t *broker = NULL;
    int lockfd = -1, status = EXIT_FAILURE, rc;
    int64_t check_ms;
    store_checked_t checked;
    char *clean;

    i18n_init("permitd");
    log_init("permitd", LOG_LEVEL_INFO);
    store_single_threaded(); /* the loop is the only thread that touches the database */
#ifdef PERMIT_TEST_HOOKS
    /* Test builds: crash points and the power-loss VFS from the environment (tests/faults). */
    if (test_hooks_init() < 0)
        return 2;
#endif
    rc = args_read(&spec, argc, argv, &args);
    if (rc != ARGS_GO) {
        args_clear(&args);
        return rc;
    }
    config_path = args.config;
    check_only = args.check;
    do_rebuild = args_flag(&args, "rebuild");

    config_defaults(&cfg);
    if (config_path != NULL && config_load_file(&cfg, config_path, &err) < 0)
        goto config_fail;
    /* A password in the file's db: a warning when it starts, an error for -n. */
    if (config_path != NULL && store_target_has_password(cfg.db) &&
        curvecfg_private(config_path, "a password", check_only, &err) < 0)
        goto config_fail;
    if (args_apply(&config_table, &cfg, &args, &err) < 0)
        goto config_fail;
    log_set_level(cfg.log_level);
    /* Before any thread: every time the broker logs or counts is in the jurisdiction's zone. */
    rc = config_use_zone(&cfg, &err);
    if (rc < 0)
        goto config_fail;
    if (rc > 0) {
        log_warnx(_("%s"), err);
        free(err);
        err = NULL;
    }
    if (!do_rebuild && (config_check(&cfg, &err) < 0 || (check_only && check_keys(&cfg, &err) < 0)))
        goto config_fail;
    if (check_only) {
        printf(_("configuration OK\n"));
        args_clear(&args);
        config_clear(&cfg);
        return EX_OK;
    }

    if (sigwake_init(true) < 0) {
        log_warn(_("cannot make the signal pipe"));
        args_clear(&args);
        config_clear(&cfg);
        return EXIT_FAILURE;
    }

    /* sqlite: one broker per file. PostgreSQL: the fencing epoch keeps a second one out. */
    if (!store_target_is_pg(cfg.db) && (lockfd = lock_db(cfg.db)) < 0) {
        status = lockfd == -2 ? EX_TEMPFAIL : EXIT_FAILURE;
        goto done;
    }
    clean = lockfd >= 0 ? lock_take_identity(lockfd) : NULL;
    check_ms = util_mono_ms();
    rc = store_check(cfg.db, clean, &checked, &err);
    check_ms = util_mono_ms() - check_ms;
    free(clean);
    if (rc < 0) {
        log_warnx(_("%s"), err);
        free(err);
        status = EX_DATAERR;
        goto done;
    }
    if (store_check_layout(cfg.db, &err) < 0) {
        log_error("%s", err);
        free(err);
        status = PERMITD_EX_NEWER;
        goto done;
    }
    /* Said once the file is known to be served: a refusal stays one line. */
    if (checked == STORE_CHECKED)
        log_info(_("store: %s checked in %lld ms"), cfg.db, (long long)check_ms);
    else if (checked == STORE_UNTOUCHED)
        log_info(_("store: %s is as its last clean stop left it: not read again"), cfg.db);
    if (do_rebuild) {
        status = rebuild(&cfg);
        goto done;
    }
    zctx = zmq_ctx_new();
    broker = broker_new(&cfg, zctx, sigwake_stop_flag(), &why, &err);
    if (broker == NULL) {
        /* SIGTERM while waiting for the primary is a clean stop. */
        bool stopped = sigwake_pending() & SIGWAKE_STOP;
        if (stopped)
            log_info("%s", err);
        else if (why != BROKER_FAIL_OTHER)
            log_error("%s", err);
        else
            log_warnx(_("%s"), err);
        free(err);
        status = stopped                     ? EX_OK
                 : why == BROKER_FAIL_IN_USE ? EX_UNAVAILABLE
                 : why == BROKER_FAIL_KEYS   ? EX_NOINPUT
                                             : EXIT_FAILURE;
        goto done;
    }
    status = EX_OK;
    while (!(sigwake_pending() & SIGWAKE_STOP)) {
        rc = broker_run(broker);
        if (rc == BROKER_DEPOSED) {
            status = EX_TEMPFAIL; /* a supervisor restarts it, into waiting */
            break;
        }
        if (rc < 0) {
            status = EXIT_FAILURE;
            break;
        }
        if (sigwake_take_reload()) {
            reload_config(&cfg, config_path, &args);
            broker_reload(broker); /* also rereads keys_dir: added and revoked keys */
        }
    }
    sdnotify_status("STOPPING=1", _("stopping"));
    log_info(_("stopping: %llu batches, %llu acks (%llu duplicates), %llu refusals (%llu "
               "unauthorized or forbidden, %llu handshakes and messages refused in all), %llu "
               "queries (%llu replies dropped unread)"),
             (unsigned long long)broker->stats.batches, (unsigned long long)broker->stats.acks,
             (unsigned long long)broker->stats.duplicates,
             (unsigned long long)broker->stats.refusals,
             (unsigned long long)broker->stats.unauthorized,
             (unsigned long long)auth_refusals_total(broker->auth),
             (unsigned long long)broker->stats.queries, (unsigned long long)broker->stats.unsent);
done:
    broker_destroy(&broker);
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    if (lockfd >= 0) {
        if (status == EX_OK)
            lock_keep_identity(lockfd, cfg.db);
        close(lockfd);
    }
    sigwake_fini();
    args_clear(&args);
    config_clear(&cfg);
    return status;

config_fail:
    fprintf(stderr, "permitd: %s\n", err);
    free(err);
    args_clear(&args);
    config_clear(&cfg);
    return EX_CONFIG;
}
