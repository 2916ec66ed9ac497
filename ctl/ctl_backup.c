/*
 * ctl_backup: `permitctl backup` and `permitctl verify`, the day-two care of a broker's
 * sqlite database (docs/operate.md, "Backups, restores and upgrades").
 *
 * Neither asks the broker: backup reads the database file beside the running broker (one WAL
 * snapshot through sqlite's online backup API: the broker's commits go on, store.h
 * store_backup) and verify checks a file, usually a backup. verify's last check is the
 * strongest: a scratch copy is brought up to its log as a broker starting on it would
 * (engine_catch_up), its state tables are kept, rebuilt from the log alone (engine_rebuild,
 * as `permitd --rebuild`), and the two must be equal. The rules of a rebuild are the broker's:
 * give --config the broker's configuration when its clock settings are not the defaults.
 *
 * Exit statuses: 0 good, 64 usage, 65 (EX_DATAERR) a problem found (one line each) or a file
 * that is not a database, 66 (EX_NOINPUT) no such file, 78 (EX_CONFIG) a bad --config, 1
 * anything else (backup: the copy could not be written, or DEST exists without --force).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "engine.h"
#include "log.h"
#include "store.h"
#include "util.h"

enum { OPT_DB = 256, OPT_CONFIG, OPT_FORCE };

static const struct option backup_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"force", no_argument, NULL, OPT_FORCE},
    {NULL, 0, NULL, 0},
};

static const struct option verify_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {NULL, 0, NULL, 0},
};

/* The broker's config, when given: its database and its rules. 0, or EX_CONFIG (said). */
static int
load_config(const char *path, config_t *cfg, engine_cfg_t *ec)
{
    char *err = NULL;
    int zr;

    engine_cfg_defaults(ec);
    if (path == NULL) {
        ec->clock.in_zone = true; /* permitctl's time_zone, as report does */
        return 0;
    }
    if (config_load_file(cfg, path, &err) < 0) {
        ctl_warnx("%s", err);
        free(err);
        return EX_CONFIG;
    }
    config_engine_cfg(cfg, ec);
    zr = config_use_zone(cfg, &err);
    if (zr != 0)
        ctl_warnx("%s", err);
    free(err);
    return zr < 0 ? EX_CONFIG : 0;
}

int
cmd_backup(void *ctx, int argc, char **argv)
{
    const char *db = NULL, *config_path = NULL;
    bool force = false;
    config_t cfg;
    engine_cfg_t ec;
    uint64_t head = 0;
    char *err = NULL;
    int c, rc;

    (void)ctx;
    config_defaults(&cfg);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", backup_options, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_CONFIG:
            config_path = optarg;
            break;
        case OPT_FORCE:
            force = true;
            break;
        default:
            rc = ctl_bad_option("backup", c, argv);
            goto done;
        }
    }
    if (optind + 1 != argc) {
        rc = ctl_usage("backup: one DEST (try permitctl backup --help)");
        goto done;
    }
    rc = load_config(config_path, &cfg, &ec);
    if (rc != 0)
        goto done;
    /* As report finds the database: --db, $PERMIT_DB, the config's db, permit.db. */
    if (db == NULL)
        db = getenv("PERMIT_DB");
    if (util_empty(db))
        db = config_path != NULL && !util_empty(cfg.db) ? cfg.db : "permit.db";
    if (store_backup(db, argv[optind], force, &head, &err) < 0) {
        ctl_warnx("backup: %s", err);
        rc = EXIT_FAILURE;
        goto done;
    }
    printf("%s: head %llu\n", argv[optind], (unsigned long long)head);
    rc = EX_OK;
done:
    free(err);
    config_clear(&cfg);
    return rc;
}

/*
 * The last check of verify: on a scratch copy of db (in $TMPDIR), the tables as a broker
 * would serve them after its start (caught up) against a rebuild from the log.
 */
static int
compare_rebuild(const char *db, const engine_cfg_t *ec, strv_t *problems)
{
    static const char *const sides[] = {"-wal", "-shm", "-journal"};
    const char *dir = getenv("TMPDIR");
    char *scratch = xasprintf("%s/permit-verify.XXXXXX", util_empty(dir) ? "/tmp" : dir);
    char *err = NULL, *side;
    store_t *s = NULL;
    engine_t *en = NULL;
    uint64_t head, from, count;
    int fd = mkstemp(scratch), rc = -1;

    if (fd < 0) {
        ctl_warnx("verify: %s: %s", scratch, strerror(errno));
        free(scratch);
        return -1;
    }
    close(fd);
    if (store_backup(db, scratch, true, &head, &err) < 0 ||
        (s = store_open(scratch, &err)) == NULL) {
        ctl_warnx("verify: a scratch copy: %s", err);
        goto done;
    }
    en = engine_new(s, ec);
    if (engine_catch_up(en, &from, &count) < 0 || store_derived_save(s) < 0 ||
        engine_rebuild(en, &count) < 0 || store_derived_compare(s, problems) < 0) {
        ctl_warnx("verify: the rebuild on a scratch copy failed (said above)");
        goto done;
    }
    rc = 0;
done:
    engine_destroy(&en);
    store_close(&s);
    unlink(scratch);
    for (size_t i = 0; i < ARRAY_LEN(sides); i++) {
        side = xasprintf("%s%s", scratch, sides[i]);
        unlink(side);
        free(side);
    }
    free(err);
    free(scratch);
    return rc;
}

int
cmd_verify(void *ctx, int argc, char **argv)
{
    const char *config_path = NULL, *db;
    config_t cfg;
    engine_cfg_t ec;
    strv_t problems = {0};
    uint64_t head = 0;
    char *err = NULL;
    int c, rc;

    (void)ctx;
    config_defaults(&cfg);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", verify_options, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            config_path = optarg;
            break;
        default:
            rc = ctl_bad_option("verify", c, argv);
            goto done;
        }
    }
    if (optind + 1 != argc) {
        rc = ctl_usage("verify: one DB, the database file (try permitctl verify --help)");
        goto done;
    }
    db = argv[optind];
    rc = load_config(config_path, &cfg, &ec);
    if (rc != 0)
        goto done;
    if (!store_target_is_pg(db) && access(db, F_OK) != 0) {
        ctl_warnx("verify: %s: %s", db, strerror(errno));
        rc = EX_NOINPUT;
        goto done;
    }
    if (store_audit(db, &problems, &head, &err) < 0) {
        ctl_warnx("verify: %s", err);
        rc = store_target_is_pg(db) ? EXIT_FAILURE : EX_DATAERR;
        goto done;
    }
    /* A rebuild of a damaged file, or of a log with holes, proves nothing. */
    if (problems.n == 0 && compare_rebuild(db, &ec, &problems) < 0) {
        rc = EXIT_FAILURE;
        goto done;
    }
    for (size_t i = 0; i < problems.n; i++)
        ctl_warnx("verify: %s: %s", db, problems.v[i]);
    if (problems.n > 0) {
        rc = EX_DATAERR;
        goto done;
    }
    printf("%s: ok: integrity, a layout this release reads, log 1-%llu without a gap, state "
           "tables equal to a rebuild from the log\n",
           db, (unsigned long long)head);
    rc = EX_OK;
done:
    strv_clear(&problems);
    free(err);
    config_clear(&cfg);
    return rc;
}
