/*
 * csvin: a whole CSV file read into rows, for the operator's imports.
 *
 * Owns the parsed file: the header row's column names and every data row's fields, each row
 * with the 1-based line it starts on, so errors read like a compiler's
 * ("projects.csv:7: unknown procedure 'EIAX' in not_required"). Parsing is libcsv in strict
 * mode (RFC 4180 quoting; a stray quote or an unterminated quoted field is an error). The
 * text is UTF-8, with or without a byte order mark (what spreadsheets write), or else GB18030
 * (GBK: what Excel on Chinese Windows saves as "CSV"), decoded to UTF-8; a file that is
 * neither fails with the line of the first byte that fits neither. Lines end in LF or CRLF.
 * Blanks around unquoted fields are trimmed, blank lines and rows of empty fields are skipped,
 * a row shorter than the header reads as empty fields, and a longer one is an error unless the
 * extra fields are empty. Column names match case-insensitively; Chinese headers are aliases
 * (csvin_check_columns).
 */
#ifndef PERMIT_CSVIN_H
#define PERMIT_CSVIN_H

#include <stddef.h>

typedef struct csvin csvin_t;

/*
 * Read and parse path. On success *out is the file (caller owns, csvin_destroy) and 0 is
 * returned; on failure -1 with "PATH:LINE: reason" (or "PATH: reason") in why.
 */
int csvin_read(const char *path, csvin_t **out, char *why, size_t whylen);
/* The same for text already read (buf[0..len)); path names it in reasons. */
int csvin_parse(const char *path, const char *buf, size_t len, csvin_t **out, char *why,
                size_t whylen);
void csvin_destroy(csvin_t **p);

/* The path as given, for messages. */
const char *csvin_path(const csvin_t *c);

/* Number of data rows (the header is not one). */
size_t csvin_rows(const csvin_t *c);

/* The line a data row starts on. */
unsigned csvin_line(const csvin_t *c, size_t row);

/* Index of a column by name, or -1 when the header has no such column. */
int csvin_column(const csvin_t *c, const char *name);

/*
 * Like csvin_column, but a missing column fails with "PATH:1: missing column 'NAME'" (1 being
 * the header's line).
 */
int csvin_require(const csvin_t *c, const char *name, int *col, char *why, size_t whylen);

/* What a file holds, for the Chinese column headers it may use (csvin_check_columns). */
typedef enum csvin_kind {
    CSVIN_DEPARTMENTS,
    CSVIN_TEMPLATE,
    CSVIN_PROJECTS,
    CSVIN_EVENTS, /* the agent's spool */
} csvin_kind_t;

/*
 * Rename every Chinese header that is an alias of a column of kind (项目编号 is id in
 * projects, 部门编码 is code in departments, ...) to that column, then fail with
 * "PATH:1: unknown column 'NAME'; the columns are: id (项目编号, 编号), ..." on a column not in
 * known (NULL-terminated), or "PATH:1: column 'id' appears twice" when a column and its alias
 * are both there.
 */
int csvin_check_columns(csvin_t *c, csvin_kind_t kind, const char *const *known, char *why,
                        size_t whylen);

/* A field of a data row: never NULL; "" for an absent column (col < 0) or a short row. */
const char *csvin_get(const csvin_t *c, size_t row, int col);

/*
 * The first data row whose field in col is value, or -1 (also for a column not in the header).
 * The first call on a column indexes it by value (a hash table kept with the file), so finding
 * each row's first occurrence, as the duplicate checks of imports do, is linear in the rows.
 */
long csvin_find(const csvin_t *c, int col, const char *value);

/* Format "PATH:LINE: message" for a data row into why. Returns -1, for `return csvin_error()`. */
int csvin_error(const csvin_t *c, size_t row, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
