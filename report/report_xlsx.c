/*
 * report_xlsx: see report_xlsx.h.
 *
 * Each sheet but the summary is one table of the document's rows, its columns described by
 * sheet_col_t; a cell's number format follows the column's kind. libxlsxwriter keeps the
 * workbook in memory and writes the file on workbook_close, which is where a write error
 * shows.
 */
#include "report_xlsx.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "model.h"
#include "report.h"
#include "util.h"

typedef enum col_kind {
    COL_TEXT,
    COL_INT,  /* a count */
    COL_PCT,  /* a rate in percent points: 72.9 */
    COL_DAYS, /* working days, one decimal */
    COL_DATE, /* "YYYY-MM-DD" */
} col_kind_t;

/* A column: the document's key, its heading (NULL: report_label's for the key), kind, width. */
typedef struct sheet_col {
    const char *key;
    const char *label;
    col_kind_t kind;
    double width;
} sheet_col_t;

typedef struct formats {
    lxw_format *head, *text, *count, *pct, *days, *date, *datetime, *red, *yellow;
} formats_t;

/* The summary's figures in order; their labels are report_label's, in Chinese. */
static const struct {
    const char *key;
    col_kind_t kind;
} summary_rows[] = {
    {"projects", COL_INT},
    {"projects_done", COL_INT},
    {"project_rate_pct", COL_PCT},
    {"procedures", COL_INT},
    {"approved", COL_INT},
    {"not_required", COL_INT},
    {"done", COL_INT},
    {"procedure_rate_pct", COL_PCT},
    {"change_pct_points", COL_DAYS},
    {"approved_in_period", COL_INT},
    {"red", COL_INT},
    {"yellow", COL_INT},
    {"green", COL_INT},
    {"overdue_total", COL_INT},
};

/* Projects by colour, from the document's project_colours (report.h, store_view.h). */
static const char *const project_colours[] = {"red", "yellow", "green"};

static const sheet_col_t region_cols[] = {
    {"key", NULL, COL_TEXT, 16}, /* the region */
    {"projects", "项目", COL_INT, 8},
    {"projects_done", NULL, COL_INT, 10},
    {"project_rate_pct", NULL, COL_PCT, 12},
    {"procedures", "手续", COL_INT, 8},
    {"approved", NULL, COL_INT, 8},
    {"not_required", NULL, COL_INT, 10},
    {"done", NULL, COL_INT, 8},
    {"procedure_rate_pct", NULL, COL_PCT, 12},
    {"red", "红色预警", COL_INT, 10},
    {"yellow", "黄色预警", COL_INT, 10},
};

/* The department breakdown, then (from "departments", by the same key) the days it takes. */
static const sheet_col_t dept_cols[] = {
    {"key", "部门编码", COL_TEXT, 10},         {"name", "部门名称", COL_TEXT, 18},
    {"procedures", "手续", COL_INT, 8},        {"approved", NULL, COL_INT, 8},
    {"not_required", NULL, COL_INT, 10},       {"done", NULL, COL_INT, 8},
    {"procedure_rate_pct", NULL, COL_PCT, 12}, {"red", "红色预警", COL_INT, 10},
    {"yellow", "黄色预警", COL_INT, 10},       {"approved_on_clock", NULL, COL_INT, 10},
    {"avg_days", NULL, COL_DAYS, 18},          {"avg_promised_days", NULL, COL_DAYS, 18},
    {"avg_limit_days", NULL, COL_DAYS, 18},    {"within_limit_pct", NULL, COL_PCT, 14},
};
#define DEPT_FIRST_TIMING 9 /* dept_cols from here come from "departments" */

static const sheet_col_t overdue_cols[] = {
    {"project", NULL, COL_TEXT, 14},
    {"project_name", NULL, COL_TEXT, 30},
    {"region", NULL, COL_TEXT, 14},
    {"procedure_name", NULL, COL_TEXT, 24},
    {"dept_name", NULL, COL_TEXT, 16},
    {"days_over", NULL, COL_INT, 20},
    {"statutory_days_over", NULL, COL_INT, 20},
    {"deadline", NULL, COL_DATE, 12},
    {"statutory_deadline", NULL, COL_DATE, 12},
    {"steward", NULL, COL_TEXT, 10},
};
#define OVERDUE_DAYS_COL "F"
#define OVERDUE_STATUTORY_COL "G"

static const sheet_col_t trend_cols[] = {
    {"key", NULL, COL_DATE, 12}, /* the period's last day */
    {"procedures", "手续", COL_INT, 8},
    {"done", NULL, COL_INT, 8},
    {"procedure_rate_pct", NULL, COL_PCT, 12},
    {"projects_done", NULL, COL_INT, 14},
    {"project_rate_pct", NULL, COL_PCT, 12},
};

static lxw_format *
num_format(lxw_workbook *wb, const char *fmt)
{
    lxw_format *f = workbook_add_format(wb);
    format_set_num_format(f, fmt);
    return f;
}

static void
formats_init(lxw_workbook *wb, formats_t *fm)
{
    fm->head = workbook_add_format(wb);
    format_set_bold(fm->head);
    format_set_bg_color(fm->head, 0xDDE4EE);
    format_set_border(fm->head, LXW_BORDER_THIN);
    format_set_text_wrap(fm->head);
    fm->text = workbook_add_format(wb);
    fm->count = num_format(wb, "0");
    fm->pct = num_format(wb, "0.0%");
    fm->days = num_format(wb, "0.0");
    fm->date = num_format(wb, "yyyy-mm-dd");
    fm->datetime = num_format(wb, "yyyy-mm-dd hh:mm");
    /* Conditional fills: only the colours, the cell keeps its number format. */
    fm->red = workbook_add_format(wb);
    format_set_bg_color(fm->red, 0xF4B6B2);
    format_set_font_color(fm->red, 0x9C0006);
    fm->yellow = workbook_add_format(wb);
    format_set_bg_color(fm->yellow, 0xFCE7A6);
    format_set_font_color(fm->yellow, 0x7A5A00);
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS..." (the broker's local time) as an Excel date. */
static bool
parse_datetime(const char *s, lxw_datetime *dt)
{
    int n;

    memset(dt, 0, sizeof(*dt));
    n = sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &dt->year, &dt->month, &dt->day, &dt->hour, &dt->min,
               &n);
    if (n < 3)
        return false;
    if (n == 6)
        sscanf(s + 17, "%2lf", &dt->sec);
    return dt->year >= 1900 && dt->month >= 1 && dt->month <= 12 && dt->day >= 1 && dt->day <= 31;
}

/* One cell of the document's value v as a column of kind says; null is an empty cell. */
static void
write_cell(lxw_worksheet *ws, const formats_t *fm, lxw_row_t r, lxw_col_t c, col_kind_t kind,
           const json_t *v)
{
    lxw_datetime dt;

    if (v == NULL || json_is_null(v))
        return;
    if (kind == COL_TEXT || json_is_string(v)) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (kind == COL_DATE && parse_datetime(s, &dt))
            worksheet_write_datetime(ws, r, c, &dt, fm->date);
        else
            worksheet_write_string(ws, r, c, s, fm->text);
        return;
    }
    switch (kind) {
    case COL_PCT:
        worksheet_write_number(ws, r, c, json_number_value(v) / 100.0, fm->pct);
        break;
    case COL_DAYS:
        worksheet_write_number(ws, r, c, json_number_value(v), fm->days);
        break;
    default:
        worksheet_write_number(ws, r, c, json_number_value(v), fm->count);
        break;
    }
}

/* A header row; a column without a heading of its own takes report_label's, and the key
 * column (the grouping) first_label. */
static void
write_header(lxw_worksheet *ws, const formats_t *fm, const sheet_col_t *cols, size_t ncols,
             const char *first_label)
{
    for (size_t c = 0; c < ncols; c++) {
        const char *label = cols[c].label != NULL ? cols[c].label
                            : strcmp(cols[c].key, "key") == 0
                                ? first_label
                                : report_label(cols[c].key, PM_LANG_ZH);
        worksheet_write_string(ws, 0, (lxw_col_t)c, label, fm->head);
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width, NULL);
    }
    worksheet_freeze_panes(ws, 1, 0);
}

/* The last row of a sheet of n rows below its header, for conditional formats (not empty). */
static lxw_row_t
last_row(const json_t *rows)
{
    size_t n = json_array_size(rows);
    return (lxw_row_t)(n > 0 ? n : 1);
}

/* A fill of fmt where the formula (for the range's first row) holds. */
static void
fill_if(lxw_worksheet *ws, lxw_row_t last, lxw_col_t first_col, lxw_col_t last_col,
        const char *formula, lxw_format *fmt)
{
    lxw_conditional_format cf;

    memset(&cf, 0, sizeof(cf));
    cf.type = LXW_CONDITIONAL_TYPE_FORMULA;
    cf.value_string = (char *)formula;
    cf.format = fmt;
    cf.stop_if_true = LXW_TRUE;
    worksheet_conditional_format_range(ws, 1, first_col, last, last_col, &cf);
}

/* A count above 0 in the column, red or yellow. */
static void
fill_above_zero(lxw_worksheet *ws, lxw_row_t last, lxw_col_t col, lxw_format *fmt)
{
    lxw_conditional_format cf;

    memset(&cf, 0, sizeof(cf));
    cf.type = LXW_CONDITIONAL_TYPE_CELL;
    cf.criteria = LXW_CONDITIONAL_CRITERIA_GREATER_THAN;
    cf.value = 0;
    cf.format = fmt;
    worksheet_conditional_format_range(ws, 1, col, last, col, &cf);
}

static int
col_index(const sheet_col_t *cols, size_t ncols, const char *key)
{
    for (size_t c = 0; c < ncols; c++)
        if (strcmp(cols[c].key, key) == 0)
            return (int)c;
    return -1;
}

/* The element of rows whose "key" is key, or NULL. */
static const json_t *
find_by_key(const json_t *rows, const char *key)
{
    size_t i;
    json_t *row;

    json_array_foreach(rows, i, row)
    {
        const char *k = json_string_value(json_object_get(row, "key"));
        if (key != NULL && k != NULL && strcmp(k, key) == 0)
            return row;
    }
    return NULL;
}

/* A table sheet of rows; other (or NULL) gives columns from first_other on, by the row's key. */
static lxw_worksheet *
table_sheet(lxw_workbook *wb, const formats_t *fm, const char *name, const json_t *rows,
            const sheet_col_t *cols, size_t ncols, const char *first_label, const json_t *other,
            size_t first_other)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    size_t i;
    json_t *row;

    write_header(ws, fm, cols, ncols, first_label);
    json_array_foreach(rows, i, row)
    {
        const json_t *from = row;
        for (size_t c = 0; c < ncols; c++) {
            if (other != NULL && c == first_other)
                from = find_by_key(other, json_string_value(json_object_get(row, "key")));
            if (from != NULL)
                write_cell(ws, fm, (lxw_row_t)i + 1, (lxw_col_t)c, cols[c].kind,
                           json_object_get(from, cols[c].key));
        }
    }
    return ws;
}

static void
summary_sheet(lxw_workbook *wb, const formats_t *fm, const json_t *doc)
{
    static const sheet_col_t cols[] = {{"", "指标", COL_TEXT, 26}, {"", "数值", COL_TEXT, 18}};
    lxw_worksheet *ws = workbook_add_worksheet(wb, "汇总");
    const json_t *meta = json_object_get(doc, "meta"), *sum = json_object_get(doc, "summary");
    const json_t *states = json_object_get(doc, "states");
    const json_t *pcols = json_object_get(doc, "project_colours");
    const char *as_of = json_string_value(json_object_get(meta, "as_of"));
    lxw_row_t r = 1;
    lxw_datetime dt;

    write_header(ws, fm, cols, ARRAY_LEN(cols), "");
    worksheet_write_string(ws, r, 0, "截至", fm->text);
    if (as_of != NULL && parse_datetime(as_of, &dt))
        worksheet_write_datetime(ws, r, 1, &dt, fm->datetime);
    r++;
    for (size_t i = 0; i < ARRAY_LEN(summary_rows); i++, r++) {
        worksheet_write_string(ws, r, 0, report_label(summary_rows[i].key, PM_LANG_ZH), fm->text);
        write_cell(ws, fm, r, 1, summary_rows[i].kind, json_object_get(sum, summary_rows[i].key));
    }
    for (size_t i = 0; i < ARRAY_LEN(project_colours); i++, r++) {
        char *key = xasprintf("project_colours.%s", project_colours[i]);
        worksheet_write_string(ws, r, 0, report_label(key, PM_LANG_ZH), fm->text);
        write_cell(ws, fm, r, 1, COL_INT, json_object_get(pcols, project_colours[i]));
        free(key);
    }
    for (int i = 0; i < PM_STATE__COUNT; i++, r++) {
        char *label = xasprintf("手续状态：%s", pm_state_label((pm_state_t)i, PM_LANG_ZH));
        worksheet_write_string(ws, r, 0, label, fm->text);
        write_cell(ws, fm, r, 1, COL_INT, json_object_get(states, pm_state_name((pm_state_t)i)));
        free(label);
    }
}

int
report_xlsx_write(const json_t *doc, const char *path, char **err)
{
    lxw_workbook *wb = workbook_new(path);
    const json_t *by = json_object_get(doc, "breakdown"),
                 *overdue = json_object_get(doc, "overdue");
    const json_t *regions = json_object_get(by, "region"),
                 *depts = json_object_get(by, "department");
    lxw_worksheet *ws;
    formats_t fm;
    lxw_error rc;
    lxw_row_t last;

    if (wb == NULL) {
        *err = xasprintf("%s: cannot create the workbook", path);
        return -1;
    }
    formats_init(wb, &fm);
    summary_sheet(wb, &fm, doc);

    ws = table_sheet(wb, &fm, "分地区", regions, region_cols, ARRAY_LEN(region_cols),
                     report_label("region", PM_LANG_ZH), NULL, 0);
    last = last_row(regions);
    fill_above_zero(ws, last, (lxw_col_t)col_index(region_cols, ARRAY_LEN(region_cols), "red"),
                    fm.red);
    fill_above_zero(ws, last, (lxw_col_t)col_index(region_cols, ARRAY_LEN(region_cols), "yellow"),
                    fm.yellow);

    ws = table_sheet(wb, &fm, "分部门", depts, dept_cols, ARRAY_LEN(dept_cols), "",
                     json_object_get(doc, "departments"), DEPT_FIRST_TIMING);
    last = last_row(depts);
    fill_above_zero(ws, last, (lxw_col_t)col_index(dept_cols, ARRAY_LEN(dept_cols), "red"), fm.red);
    fill_above_zero(ws, last, (lxw_col_t)col_index(dept_cols, ARRAY_LEN(dept_cols), "yellow"),
                    fm.yellow);

    ws = table_sheet(wb, &fm, "超期清单", overdue, overdue_cols, ARRAY_LEN(overdue_cols), "", NULL,
                     0);
    last = last_row(overdue);
    /* Past the statutory limit is red; past only the promised (shorter) one, yellow. */
    fill_if(ws, last, 0, ARRAY_LEN(overdue_cols) - 1, "=$" OVERDUE_STATUTORY_COL "2>0", fm.red);
    fill_if(ws, last, 0, ARRAY_LEN(overdue_cols) - 1, "=$" OVERDUE_DAYS_COL "2>0", fm.yellow);

    table_sheet(wb, &fm, "趋势", json_object_get(doc, "trend"), trend_cols, ARRAY_LEN(trend_cols),
                report_trend_key_label(doc, PM_LANG_ZH), NULL, 0);

    rc = workbook_close(wb);
    if (rc != LXW_NO_ERROR) {
        *err = xasprintf("%s: %s", path, lxw_strerror(rc));
        return -1;
    }
    return 0;
}
