/*
 * report: the task force's weekly report (周调度) computed from a broker's database. It owns
 * the figures — completion rates as the task forces define them, counts by state and colour,
 * the longest-overdue items, working days per department, breakdowns by region, department
 * and industry, the trend over the last weeks — and their renderings.
 *
 * The figures are a function of the log alone: report_build() replays the log up to the as-of
 * moment into a scratch in-memory store with the engine's own fold (as `permitd --rebuild`
 * does), brings the clock up to that moment, and reads the figures from the replayed tables.
 * So last week's report can be reproduced exactly at any later time, and it runs beside a live
 * broker (the database is opened read-only; WAL lets readers in).
 *
 * Definitions (DOMAIN.md, the task forces' own):
 * - procedure completion rate = (approved + not required) / listed procedures;
 * - project completion rate = projects whose every procedure is approved or not required /
 *   projects.
 * Rates are percentages rounded to one decimal; every format renders the one JSON document,
 * so the numbers are the same in every format.
 */
#ifndef PERMIT_REPORT_H
#define PERMIT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "conftab.h"
#include "engine.h"

typedef enum report_by {
    REPORT_BY_REGION,
    REPORT_BY_DEPARTMENT,
    REPORT_BY_INDUSTRY,
    REPORT_BY__COUNT
} report_by_t;

typedef enum report_format {
    REPORT_FMT_MD,
    REPORT_FMT_CSV,
    REPORT_FMT_JSON,
    REPORT_FMT_HTML,
    REPORT_FMT_XLSX, /* a file, not a stream: report_xlsx_write() */
    REPORT_FMT__COUNT
} report_format_t;

/* The bulletin's period: the week (Monday to Sunday) or the month of the as-of day. */
typedef enum report_period {
    REPORT_PERIOD_WEEK,
    REPORT_PERIOD_MONTH,
    REPORT_PERIOD__COUNT
} report_period_t;

/*
 * The bulletin's title block: configuration, not figures (the strings are borrowed). issue 0
 * counts it: the periods since the one holding the day `first` (issue 1), or without `first`
 * the ISO week number (the month's number for a month). issued is the date of issue
 * (YYYY-MM-DD); NULL: the as-of day, so a bulletin made again later is the same.
 */
typedef struct report_bulletin {
    const char *issuer; /* 发文单位; NULL or "": the task force */
    const char *city;   /* NULL or "": none */
    const char *first;  /* YYYY-MM-DD or NULL */
    const char *issued; /* YYYY-MM-DD or NULL */
    int issue;          /* 0: counted */
} report_bulletin_t;

/*
 * The bulletin's configuration as a file holds it: the [bulletin] section of `permitctl report
 * --bulletin FILE` and of permit-web's `bulletin` key (a file of its own: the broker refuses
 * sections it does not know in permitd.conf).
 */
typedef struct report_bulletin_cfg {
    char *issuer;
    char *city;
    char *first_issue;
    char *lang;
} report_bulletin_cfg_t;
#define REPORT_BULLETIN_KEYS 4
extern const conftab_t report_bulletin_table;

typedef struct report_opts {
    engine_cfg_t engine;    /* the broker's rules (utc offset, yellow thresholds, ...) */
    report_by_t by;         /* the breakdown the text formats show first (json has all three) */
    int weeks;              /* points of the trend, the last being the as-of moment (1..104) */
    int top;                /* longest-overdue items listed (0..1000) */
    report_period_t period; /* weeks or months: the trend's points, the change, the title */
    pm_lang_t lang;         /* the language of every label (the figures are the same) */
    report_bulletin_t bulletin;
} report_opts_t;

/*
 * Check the configured bulletin and use it in opts: its language, and its title block (the
 * strings are borrowed from b). 0, or -1 with *err (caller owns) naming the bad key.
 */
int report_bulletin_use(const report_bulletin_cfg_t *b, report_opts_t *opts, char **err);

/* Defaults: the engine's default rules, by region, 8 weeks, the top 10 overdue, Chinese. */
void report_opts_defaults(report_opts_t *opts);
/* Count days in the process's time zone (zone.h), not the rules' fixed offset: a report made
 * without the broker's config. */
void report_opts_in_zone(report_opts_t *opts);

/*
 * A bare date YYYY-MM-DD as an as-of moment: the last millisecond of that day in the report's
 * zone (a report "as of Sunday" includes Sunday). 0, or -1 when s is not such a date.
 */
int report_day_parse(const char *s, const report_opts_t *opts, int64_t *as_of_ms);
/* The day of the instant ms in the report's zone, as YYYY-MM-DD (buf of at least 11 bytes). */
char *report_day_format(const report_opts_t *opts, int64_t ms, char *buf, size_t len);

/* "region", "department", "industry"; "md", "csv", "json", "html", "xlsx"; "week", "month";
 * "zh", "en". 0 or -1. */
int report_by_parse(const char *s, report_by_t *out);
const char *report_by_name(report_by_t by);
int report_format_parse(const char *s, report_format_t *out);
int report_period_parse(const char *s, report_period_t *out);
int report_lang_parse(const char *s, pm_lang_t *out);

/*
 * The words of the report for a key of the document (a figure such as "procedure_rate_pct",
 * a column such as "dept_name", or a grouping's name such as "region"), in one table for
 * every format: the key itself when the table has none.
 */
const char *report_label(const char *key, pm_lang_t lang);
/* The heading of a document's trend's first column: the week's or the month's last day. */
const char *report_trend_key_label(const json_t *doc, pm_lang_t lang);

/*
 * Build the report of the database at db_path as the log stood at as_of_ms (entries received
 * up to and including that moment; 0: every entry, at the later of now and the last entry).
 * 0 and *out (caller owns, json_decref) or -1 with *err (caller owns) saying why.
 */
int report_build(const char *db_path, int64_t as_of_ms, const report_opts_t *opts, json_t **out,
                 char **err);

/*
 * The same from an open store (borrowed; read only), for callers that hold one: the unit
 * tests, and report_build itself.
 */
int report_build_store(store_t *log, int64_t as_of_ms, const report_opts_t *opts, json_t **out,
                       char **err);

/*
 * Render a report document in a format to f: Markdown (the weekly dispatch), CSV (long
 * format: section,key,metric,value), JSON (the document) or HTML (one self-contained page with
 * inline SVG charts). 0, or -1 when writing failed (or for xlsx, which report_xlsx.h writes).
 */
int report_render(const json_t *doc, report_format_t fmt, FILE *f);

/*
 * The text of the HTML bulletin's one <style> element, byte for byte as report_render writes
 * it: a server that shows the bulletin allows exactly this style by its hash in the page's
 * Content-Security-Policy. The bulletin has no script and no style attribute.
 */
const char *report_html_style(void);

#endif
