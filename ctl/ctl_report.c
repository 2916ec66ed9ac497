/*
 * ctl_report: `permitctl report`, the task force's weekly report (周调度).
 *
 * Unlike the other commands it does not ask the broker: it reads the broker's database
 * (read-only, beside a running broker) and replays the log up to --as-of with the broker's
 * own fold (ctl/report.c over core/), so any past week's report can be reproduced exactly. This
 * file only reads the options and writes the rendering; the figures are report.c's.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "ctl.h"
#include "report.h"
#include "util.h"

enum { OPT_DB = 256, OPT_AS_OF, OPT_BY, OPT_WEEKS, OPT_TOP, OPT_FORMAT, OPT_OUT, OPT_CONFIG };

static const struct option report_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"as-of", required_argument, NULL, OPT_AS_OF},
    {"by", required_argument, NULL, OPT_BY},
    {"weeks", required_argument, NULL, OPT_WEEKS},
    {"top", required_argument, NULL, OPT_TOP},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"out", required_argument, NULL, OPT_OUT},
    {"config", required_argument, NULL, OPT_CONFIG},
    {NULL, 0, NULL, 0},
};

/*
 * --as-of: a bare date means the end of that day in the jurisdiction's zone (a report "as of
 * Sunday" includes Sunday); anything else is a time as everywhere else, in the same zone.
 */
static int
parse_as_of(const char *s, const clock_cfg_t *clk, int64_t *out)
{
    cal_day_t day;

    if (strlen(s) == 10 && cal_parse_date(s, &day) == 0) {
        *out = clock_day_end_ms(clk, day) - 1;
        return 0;
    }
    return util_parse_time(s, out) == 0 && *out > 0 ? 0 : -1;
}

/* Write to FILE.tmp and rename, so a failed run never leaves half a report behind. */
static int
write_out(const json_t *doc, report_format_t fmt, const char *path)
{
    char *tmp;
    FILE *f;
    int rc;

    if (path == NULL || strcmp(path, "-") == 0)
        return report_render(doc, fmt, stdout);
    tmp = xasprintf("%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL) {
        ctl_warnx("report: %s: cannot write", tmp);
        free(tmp);
        return -1;
    }
    rc = report_render(doc, fmt, f);
    if (fclose(f) != 0 || rc < 0 || rename(tmp, path) != 0) {
        ctl_warnx("report: %s: cannot write", path);
        unlink(tmp);
        rc = -1;
    }
    free(tmp);
    return rc;
}

int
cmd_report(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    const char *db = NULL, *as_of = NULL, *out = NULL, *config_path = NULL;
    report_format_t fmt = REPORT_FMT_MD;
    report_opts_t opts;
    int zr;
    config_t cfg;
    unsigned long long v;
    int64_t as_of_ms = 0;
    json_t *doc = NULL;
    char *err = NULL;
    int c, rc = EXIT_FAILURE;

    (void)ctl;
    report_opts_defaults(&opts);
    config_defaults(&cfg);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", report_options, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_AS_OF:
            as_of = optarg;
            break;
        case OPT_BY:
            if (report_by_parse(optarg, &opts.by) < 0) {
                rc = ctl_usage("report: --by wants region, department or industry, not '%s'",
                               optarg);
                goto done;
            }
            break;
        case OPT_WEEKS:
            if (ctl_parse_uint(optarg, 104, &v) != 0 || v == 0) {
                rc = ctl_usage("report: --weeks wants a number from 1 to 104, not '%s'", optarg);
                goto done;
            }
            opts.weeks = (int)v;
            break;
        case OPT_TOP:
            if (ctl_parse_uint(optarg, 1000, &v) != 0) {
                rc = ctl_usage("report: --top wants a number from 0 to 1000, not '%s'", optarg);
                goto done;
            }
            opts.top = (int)v;
            break;
        case OPT_FORMAT:
            if (report_format_parse(optarg, &fmt) < 0) {
                rc = ctl_usage("report: --format wants md, csv, json or html, not '%s'", optarg);
                goto done;
            }
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_CONFIG:
            config_path = optarg;
            break;
        default:
            rc = ctl_bad_option("report", c, argv);
            goto done;
        }
    }
    if (optind < argc) {
        rc = ctl_usage("report: unexpected argument '%s'", argv[optind]);
        goto done;
    }
    /* The broker's config gives the clock's rules (time zone, thresholds) and its database. */
    if (config_path != NULL) {
        if (config_load_file(&cfg, config_path, &err) < 0) {
            ctl_warnx("%s", err);
            rc = EX_CONFIG;
            goto done;
        }
        config_engine_cfg(&cfg, &opts.engine);
        /* The broker's zone wins over permitctl's own time_zone: the report is the broker's. */
        zr = config_use_zone(&cfg, &err);
        if (zr != 0)
            ctl_warnx("%s", err);
        if (zr < 0) {
            rc = EX_CONFIG;
            goto done;
        }
        free(err);
        err = NULL;
    } else {
        opts.engine.clock.in_zone = true; /* permitctl's time_zone */
    }
    if (db == NULL)
        db = getenv("PERMIT_DB");
    if (util_empty(db))
        db = config_path != NULL && !util_empty(cfg.db) ? cfg.db : "permit.db";
    if (as_of != NULL && parse_as_of(as_of, &opts.engine.clock, &as_of_ms) < 0) {
        rc = ctl_usage("report: --as-of wants a date or a time like 2026-03-09 or "
                       "2026-03-09T18:00:00+08:00, not '%s'",
                       as_of);
        goto done;
    }
    if (report_build(db, as_of_ms, &opts, &doc, &err) < 0) {
        ctl_warnx("%s", err);
        goto done;
    }
    rc = write_out(doc, fmt, out) == 0 ? EX_OK : EXIT_FAILURE;
done:
    json_decref(doc);
    free(err);
    config_clear(&cfg);
    return rc;
}
