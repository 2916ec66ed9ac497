/*
 * report_xlsx: the weekly report as an Excel workbook, for the task force's clerks who pass
 * figures on in Excel: the report document (report.h) written with libxlsxwriter.
 *
 * Sheets 汇总 (the summary figures and the counts by state), 分地区 (by region), 分部门 (by
 * department, with the working days each takes), 超期清单 (the longest-overdue items) and 趋势
 * (the trend by week). Every figure is a number cell, not text: counts as whole numbers, rates
 * as percentages (the document's 72.9 becomes 0.729 shown as 72.9%), days with one decimal,
 * dates as Excel dates; a figure the document has as null (no rate without procedures) is an
 * empty cell. Each sheet's header row is frozen. Red and yellow are conditional fills, so they
 * follow the numbers if a clerk edits them: a region's or department's red and yellow counts
 * above 0; an overdue item past its statutory limit red, past only the promised one yellow.
 * Names and notes are written as strings, never as formulas.
 */
#ifndef PERMIT_REPORT_XLSX_H
#define PERMIT_REPORT_XLSX_H

#include <jansson.h>

/* Write doc to path (created or replaced). 0, or -1 with *err (caller owns) saying why. */
int report_xlsx_write(const json_t *doc, const char *path, char **err);

#endif
