/*
 * ctl_report: `permitctl report`, the task force's weekly report (周调度).
 *
 * Unlike the other commands it does not ask the broker: it reads the broker's database
 * (read-only, beside a running broker) and replays the log up to --as-of with the broker's
 * own fold (report/report.c over core/), so any past week's report can be reproduced exactly. This
 * file only reads the options and writes the rendering; the figures are report.c's.
 *
 * --format xlsx writes a workbook (report_xlsx.c) and needs --out. --format csv starts with a
 * UTF-8 byte order mark with --bom, without with --no-bom, and by default when the locale is
 * zh_CN: Excel opens a CSV without one in the system code page, GBK on Chinese Windows.
 *
 * The HTML format is the bulletin (周调度通报, 月通报 with --period month). Its title block
 * comes from the [bulletin] section of the file given by --bulletin (a file of its own: the
 * broker refuses sections it does not know in permitd.conf) and from the options of the same
 * names, which win over the file.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "config.h"
#include "conftab.h"
#include "ctl.h"
#include "i18n.h"
#include "report.h"
#include "report_xlsx.h"
#include "store.h"
#include "util.h"

enum {
    OPT_DB = 256,
    OPT_AS_OF,
    OPT_BY,
    OPT_WEEKS,
    OPT_TOP,
    OPT_FORMAT,
    OPT_OUT,
    OPT_CONFIG,
    OPT_BOM,
    OPT_NO_BOM,
    OPT_PERIOD,
    OPT_LANG,
    OPT_BULLETIN,
    OPT_ISSUE,
    OPT_ISSUED,
    OPT_BULLETIN_KEY /* --issuer, --city, --first-issue: keys of the [bulletin] section */
};

static const struct option report_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"as-of", required_argument, NULL, OPT_AS_OF},
    {"by", required_argument, NULL, OPT_BY},
    {"weeks", required_argument, NULL, OPT_WEEKS},
    {"top", required_argument, NULL, OPT_TOP},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"out", required_argument, NULL, OPT_OUT},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"bom", no_argument, NULL, OPT_BOM},
    {"no-bom", no_argument, NULL, OPT_NO_BOM},
    {"period", required_argument, NULL, OPT_PERIOD},
    {"lang", required_argument, NULL, OPT_LANG},
    {"bulletin", required_argument, NULL, OPT_BULLETIN},
    {"issue", required_argument, NULL, OPT_ISSUE},
    {"issued", required_argument, NULL, OPT_ISSUED},
    {"issuer", required_argument, NULL, OPT_BULLETIN_KEY},
    {"city", required_argument, NULL, OPT_BULLETIN_KEY},
    {"first-issue", required_argument, NULL, OPT_BULLETIN_KEY},
    {NULL, 0, NULL, 0},
};

/*
 * --as-of: a bare date means the end of that day in the jurisdiction's zone (a report "as of
 * Sunday" includes Sunday); anything else is a time as everywhere else, in the same zone.
 */
static int
parse_as_of(const char *s, const report_opts_t *opts, int64_t *out)
{
    if (report_day_parse(s, opts, out) == 0)
        return 0;
    return util_parse_time(s, out) == 0 && *out > 0 ? 0 : -1;
}

/*
 * Whether the CSV starts with a UTF-8 byte order mark when neither --bom nor --no-bom is
 * given: Excel on Chinese Windows reads a CSV without one as GBK, so a Chinese locale (the
 * first of LC_ALL, LC_MESSAGES and LANG that is set, as setlocale reads them) gets one.
 */
static bool
bom_by_locale(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

    for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
        const char *v = getenv(vars[i]);
        if (!util_empty(v))
            return strncmp(v, "zh_CN", 5) == 0;
    }
    return false;
}

static int
render_to(const json_t *doc, report_format_t fmt, bool bom, FILE *f)
{
    if (bom && fputs("\xef\xbb\xbf", f) == EOF)
        return -1;
    return report_render(doc, fmt, f);
}

/* Write to FILE.tmp and rename, so a failed run never leaves half a report behind. */
static int
write_out(const json_t *doc, report_format_t fmt, bool bom, const char *path)
{
    char *tmp, *err = NULL;
    FILE *f;
    int rc;

    if (path == NULL || strcmp(path, "-") == 0)
        return render_to(doc, fmt, bom, stdout);
    tmp = xasprintf("%s.tmp", path);
    if (fmt == REPORT_FMT_XLSX) {
        rc = report_xlsx_write(doc, tmp, &err);
        if (rc != 0 || rename(tmp, path) != 0) {
            ctl_warnx(_("report: %s"), err != NULL ? err : path);
            unlink(tmp);
            rc = -1;
        }
        free(err);
        free(tmp);
        return rc;
    }
    f = fopen(tmp, "w");
    if (f == NULL) {
        ctl_warnx(_("report: %s: cannot write"), tmp);
        free(tmp);
        return -1;
    }
    rc = render_to(doc, fmt, bom, f);
    if (fclose(f) != 0 || rc < 0 || rename(tmp, path) != 0) {
        ctl_warnx(_("report: %s: cannot write"), path);
        unlink(tmp);
        rc = -1;
    }
    free(tmp);
    return rc;
}

/*
 * Without --config, and without a zone of permitctl's own, the report counts days in the zone
 * the broker recorded in its database (store_time_zone), as permitctl takes the broker's zone
 * from its answers. A database that cannot be opened is left for report_build to name.
 */
static void
zone_from_db(ctl_t *ctl, const char *db)
{
    char *why = NULL, *zone = NULL;
    store_t *s;

    if (!ctl->adopt_zone)
        return;
    s = store_open_readonly(db, &why);
    if (s != NULL && store_time_zone(s, &zone) == 0)
        ctl_adopt_zone(ctl, zone);
    free(zone);
    free(why);
    store_close(&s);
}

int
cmd_report(void *ctx, int argc, char **argv)
{
    ctl_t *ctl = ctx;
    const char *db = NULL, *as_of = NULL, *out = NULL, *config_path = NULL, *bulletin = NULL;
    /* The bulletin's keys given as options (the last of each), set over the file's. */
    const char *bvals[REPORT_BULLETIN_KEYS] = {NULL};
    report_bulletin_cfg_t bcfg;
    cal_day_t day;
    int longidx = -1;
    report_format_t fmt = REPORT_FMT_MD;
    report_opts_t opts;
    int zr;
    config_t cfg;
    unsigned long long v;
    int64_t as_of_ms = 0;
    json_t *doc = NULL;
    char *err = NULL;
    int c, rc = EXIT_FAILURE, bom = -1; /* -1: by the locale */

    report_opts_defaults(&opts);
    config_defaults(&cfg);
    conftab_defaults(&report_bulletin_table, &bcfg);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", report_options, &longidx)) != -1) {
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_AS_OF:
            as_of = optarg;
            break;
        case OPT_BY:
            if (report_by_parse(optarg, &opts.by) < 0) {
                rc = ctl_usage(_("report: --by wants region, department or industry, not '%s'"),
                               optarg);
                goto done;
            }
            break;
        case OPT_WEEKS:
            if (ctl_parse_uint(optarg, 104, &v) != 0 || v == 0) {
                rc = ctl_usage(_("report: --weeks wants a number from 1 to 104, not '%s'"), optarg);
                goto done;
            }
            opts.weeks = (int)v;
            break;
        case OPT_TOP:
            if (ctl_parse_uint(optarg, 1000, &v) != 0) {
                rc = ctl_usage(_("report: --top wants a number from 0 to 1000, not '%s'"), optarg);
                goto done;
            }
            opts.top = (int)v;
            break;
        case OPT_FORMAT:
            if (report_format_parse(optarg, &fmt) < 0) {
                rc = ctl_usage(_("report: --format wants md, csv, json, html or xlsx, not '%s'"),
                               optarg);
                goto done;
            }
            break;
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_CONFIG:
            config_path = optarg;
            break;
        case OPT_BOM:
        case OPT_NO_BOM:
            bom = c == OPT_BOM;
            break;
        case OPT_PERIOD:
            if (report_period_parse(optarg, &opts.period) < 0) {
                rc = ctl_usage("report: --period wants week or month, not '%s'", optarg);
                goto done;
            }
            break;
        case OPT_LANG:
        case OPT_BULLETIN_KEY:
            /* The key of the option's name, alike in the first five letters (--first-issue is
             * first_issue, --lang is lang). */
            for (size_t i = 0; i < report_bulletin_table.n; i++)
                if (strncmp(report_bulletin_table.opts[i].name, report_options[longidx].name, 5) ==
                    0)
                    bvals[i] = optarg;
            break;
        case OPT_BULLETIN:
            bulletin = optarg;
            break;
        case OPT_ISSUE:
            if (ctl_parse_uint(optarg, 100000, &v) != 0 || v == 0) {
                rc = ctl_usage("report: --issue wants a number from 1 to 100000, not '%s'", optarg);
                goto done;
            }
            opts.bulletin.issue = (int)v;
            break;
        case OPT_ISSUED:
            if (cal_parse_date(optarg, &day) < 0) {
                rc = ctl_usage("report: --issued wants a date like 2026-03-09, not '%s'", optarg);
                goto done;
            }
            opts.bulletin.issued = optarg;
            break;
        default:
            rc = ctl_bad_option("report", c, argv);
            goto done;
        }
    }
    if (optind < argc) {
        rc = ctl_usage(_("report: unexpected argument '%s'"), argv[optind]);
        goto done;
    }
    if (fmt == REPORT_FMT_XLSX && (out == NULL || strcmp(out, "-") == 0)) {
        rc = ctl_usage(_("report: --format xlsx writes a file: give --out FILE.xlsx"));
        goto done;
    }
    if (bom >= 0 && fmt != REPORT_FMT_CSV) {
        rc = ctl_usage(_("report: --bom and --no-bom are for --format csv"));
        goto done;
    }
    if (bom < 0)
        bom = fmt == REPORT_FMT_CSV && bom_by_locale();
    if (bulletin != NULL && conftab_load_file(&report_bulletin_table, &bcfg, bulletin, &err) < 0) {
        ctl_warnx("report: %s", err);
        rc = EX_CONFIG;
        goto done;
    }
    for (size_t i = 0; i < report_bulletin_table.n; i++) {
        if (bvals[i] != NULL &&
            conftab_set(&report_bulletin_table, &bcfg, report_bulletin_table.opts[i].name, bvals[i],
                        &err) < 0) {
            rc = ctl_usage("report: --%s: %s", report_bulletin_table.opts[i].name, err);
            goto done;
        }
    }
    if (report_bulletin_use(&bcfg, &opts, &err) < 0) {
        rc = ctl_usage("report: %s", err);
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
        report_opts_in_zone(&opts); /* permitctl's time_zone, else the database's (below) */
    }
    if (db == NULL)
        db = getenv("PERMIT_DB");
    if (util_empty(db))
        db = config_path != NULL && !util_empty(cfg.db) ? cfg.db : "permit.db";
    if (config_path == NULL)
        zone_from_db(ctl, db);
    if (as_of != NULL && parse_as_of(as_of, &opts, &as_of_ms) < 0) {
        rc = ctl_usage(_("report: --as-of wants a date or a time like 2026-03-09 or "
                         "2026-03-09T18:00:00+08:00, not '%s'"),
                       as_of);
        goto done;
    }
    if (report_build(db, as_of_ms, &opts, &doc, &err) < 0) {
        ctl_warnx("%s", err);
        goto done;
    }
    rc = write_out(doc, fmt, bom == 1, out) == 0 ? EX_OK : EXIT_FAILURE;
done:
    json_decref(doc);
    free(err);
    config_clear(&cfg);
    conftab_clear(&report_bulletin_table, &bcfg);
    return rc;
}
