/*
 * csvin: see csvin.h.
 *
 * libcsv reports a field or a row only when it ends, which for a quoted field with line breaks
 * is lines after it started. To give each row the line it starts on, the file is fed to the
 * parser one byte at a time and the first byte of a row that is not a blank or a line break
 * marks its line. Import files are small; the cost does not matter.
 */
#define _GNU_SOURCE
#include "csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Larger than any import file a person maintains: refuse before reading it all. */
#define CSVIN_MAX_BYTES (64u * 1024 * 1024)

typedef struct csvin_row {
    unsigned line;
    strv_t fields;
} csvin_row_t;

/*
 * The rows of one column by value, for csvin_find: open addressing, a slot holds row + 1 (0 is
 * empty), capacity a power of two at least twice the rows, each value's first row only.
 */
typedef struct csvin_index {
    uint32_t *slots;
    size_t mask;
} csvin_index_t;

struct csvin {
    char *path;
    unsigned header_line;
    strv_t names;
    csvin_row_t *rows;
    size_t nrows;
    /* One per column, built by the first csvin_find on it; the file itself never changes. */
    csvin_index_t **index;
};

/* What the libcsv callbacks build while parsing. */
typedef struct csvin_parse {
    csvin_t *c;
    bool have_header;
    unsigned line;     /* line of the byte being fed */
    unsigned row_line; /* line the current row started on */
    bool at_row_start;
    strv_t fields; /* the current row so far */
    char error[256];
    unsigned error_line;
} csvin_parse_t;

static void
csvin_field(void *s, size_t len, void *data)
{
    csvin_parse_t *st = data;
    const char *text = s != NULL ? s : "";
    char *copy;

    if (st->error[0] != '\0')
        return;
    if (s == NULL)
        len = 0;
    if (!util_utf8_valid(text, len)) {
        snprintf(st->error, sizeof(st->error),
                 "not valid UTF-8 (field %zu); save the file as \"CSV UTF-8\"", st->fields.n + 1);
        st->error_line = st->row_line;
        return;
    }
    copy = xstrndup(text, len);
    strv_push(&st->fields, copy);
    free(copy);
}

static bool
row_empty(const strv_t *fields)
{
    for (size_t i = 0; i < fields->n; i++)
        if (fields->v[i][0] != '\0')
            return false;
    return true;
}

static void
csvin_row_end(int term, void *data)
{
    csvin_parse_t *st = data;
    csvin_t *c = st->c;

    (void)term;
    st->at_row_start = true;
    if (st->error[0] != '\0' || row_empty(&st->fields)) {
        strv_clear(&st->fields);
        return;
    }
    if (!st->have_header) {
        c->names = st->fields;
        memset(&st->fields, 0, sizeof(st->fields));
        st->have_header = true;
        c->header_line = st->row_line;
        return;
    }
    for (size_t i = c->names.n; i < st->fields.n; i++) {
        if (st->fields.v[i][0] != '\0') {
            snprintf(st->error, sizeof(st->error), "%zu fields, but the header has %zu columns",
                     st->fields.n, c->names.n);
            st->error_line = st->row_line;
            strv_clear(&st->fields);
            return;
        }
    }
    c->rows = xgrow(c->rows, c->nrows, sizeof(csvin_row_t)); /* amortised: files of 10^5 rows */
    c->rows[c->nrows].line = st->row_line;
    c->rows[c->nrows].fields = st->fields;
    c->nrows++;
    memset(&st->fields, 0, sizeof(st->fields));
}

static int
read_file(const char *path, char **out, size_t *outlen, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (f == NULL) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t n;
        if (len == cap) {
            if (cap >= CSVIN_MAX_BYTES) {
                snprintf(why, whylen, "%s: larger than %u bytes", path, CSVIN_MAX_BYTES);
                goto fail;
            }
            cap = cap ? cap * 2 : 65536;
            buf = xrealloc(buf, cap);
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    *out = buf;
    *outlen = len;
    return 0;

fail:
    free(buf);
    fclose(f);
    return -1;
}

/* libcsv's strict-mode error, said the way a person editing the file needs it. */
static const char *
parse_error(struct csv_parser *parser)
{
    if (csv_error(parser) == CSV_EPARSE)
        return "bad quoting: a '\"' inside a field needs the whole field quoted and the '\"' "
               "doubled, and nothing may follow a closing '\"' but a comma";
    return csv_strerror(csv_error(parser));
}

/* Check the header: names present, none empty, none twice. */
static int
check_header(const csvin_t *c, unsigned line, char *why, size_t whylen)
{
    for (size_t i = 0; i < c->names.n; i++) {
        if (c->names.v[i][0] == '\0') {
            snprintf(why, whylen, "%s:%u: column %zu has no name", c->path, line, i + 1);
            return -1;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcasecmp(c->names.v[i], c->names.v[k]) == 0) {
                snprintf(why, whylen, "%s:%u: column '%s' appears twice", c->path, line,
                         c->names.v[i]);
                return -1;
            }
        }
    }
    return 0;
}

int
csvin_read(const char *path, csvin_t **out, char *why, size_t whylen)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (read_file(path, &buf, &len, why, whylen) != 0)
        return -1;
    rc = csvin_parse(path, buf, len, out, why, whylen);
    free(buf);
    return rc;
}

int
csvin_parse(const char *path, const char *buf, size_t len, csvin_t **out, char *why, size_t whylen)
{
    struct csv_parser parser;
    csvin_parse_t st;
    csvin_t *c = xcalloc(1, sizeof(*c));
    size_t i = 0;
    bool parser_ready = false;

    memset(&st, 0, sizeof(st));
    st.c = c;
    st.line = 1;
    st.at_row_start = true;
    c->path = xstrdup(path);
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        snprintf(why, whylen, "%s: cannot start the CSV parser", path);
        goto fail;
    }
    parser_ready = true;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    for (; i < len && st.error[0] == '\0'; i++) {
        char ch = buf[i];
        if (st.at_row_start && ch != '\n' && ch != '\r' && ch != ' ' && ch != '\t') {
            st.row_line = st.line;
            st.at_row_start = false;
        }
        if (csv_parse(&parser, buf + i, 1, csvin_field, csvin_row_end, &st) != 1) {
            snprintf(why, whylen, "%s:%u: %s", path, st.line, parse_error(&parser));
            goto fail;
        }
        if (ch == '\n')
            st.line++;
    }
    if (st.error[0] == '\0' && csv_fini(&parser, csvin_field, csvin_row_end, &st) != 0) {
        snprintf(why, whylen, "%s:%u: a quoted field never ends (a '\"' is missing)", path,
                 st.row_line);
        goto fail;
    }
    if (st.error[0] != '\0') {
        snprintf(why, whylen, "%s:%u: %s", path, st.error_line, st.error);
        goto fail;
    }
    if (!st.have_header) {
        snprintf(why, whylen, "%s: empty file (the first row must name the columns)", path);
        goto fail;
    }
    if (check_header(c, c->header_line, why, whylen) != 0)
        goto fail;
    if (c->nrows > UINT32_MAX - 1) {
        snprintf(why, whylen, "%s: more than %u rows", path, UINT32_MAX - 1);
        goto fail;
    }
    c->index = xcalloc(c->names.n, sizeof(*c->index));
    csv_free(&parser);
    strv_clear(&st.fields);
    *out = c;
    return 0;

fail:
    if (parser_ready)
        csv_free(&parser);
    strv_clear(&st.fields);
    csvin_destroy(&c);
    return -1;
}

void
csvin_destroy(csvin_t **p)
{
    csvin_t *c = p ? *p : NULL;

    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nrows; i++)
        strv_clear(&c->rows[i].fields);
    for (size_t i = 0; c->index != NULL && i < c->names.n; i++)
        if (c->index[i] != NULL) {
            free(c->index[i]->slots);
            free(c->index[i]);
        }
    free(c->index);
    free(c->rows);
    strv_clear(&c->names);
    free(c->path);
    free(c);
    *p = NULL;
}

const char *
csvin_path(const csvin_t *c)
{
    return c->path;
}

size_t
csvin_rows(const csvin_t *c)
{
    return c->nrows;
}

unsigned
csvin_line(const csvin_t *c, size_t row)
{
    return row < c->nrows ? c->rows[row].line : 0;
}

int
csvin_column(const csvin_t *c, const char *name)
{
    for (size_t i = 0; i < c->names.n; i++)
        if (strcasecmp(c->names.v[i], name) == 0)
            return (int)i;
    return -1;
}

int
csvin_require(const csvin_t *c, const char *name, int *col, char *why, size_t whylen)
{
    int i = csvin_column(c, name);

    if (i < 0) {
        snprintf(why, whylen, "%s:%u: missing column '%s'", c->path, c->header_line, name);
        return -1;
    }
    *col = i;
    return 0;
}

int
csvin_check_columns(const csvin_t *c, const char *const *known, char *why, size_t whylen)
{
    for (size_t i = 0; i < c->names.n; i++) {
        bool found = false;
        for (const char *const *k = known; *k != NULL && !found; k++)
            found = strcasecmp(c->names.v[i], *k) == 0;
        if (!found) {
            snprintf(why, whylen, "%s:%u: unknown column '%s'", c->path, c->header_line,
                     c->names.v[i]);
            return -1;
        }
    }
    return 0;
}

const char *
csvin_get(const csvin_t *c, size_t row, int col)
{
    if (row >= c->nrows || col < 0 || (size_t)col >= c->rows[row].fields.n)
        return "";
    return c->rows[row].fields.v[col];
}

/* The slot where value sits in ix, or the empty slot where it would go. */
static uint32_t *
index_slot(const csvin_t *c, const csvin_index_t *ix, int col, const char *value)
{
    size_t i = util_hash(value) & ix->mask;

    while (ix->slots[i] != 0 && strcmp(csvin_get(c, ix->slots[i] - 1, col), value) != 0)
        i = (i + 1) & ix->mask;
    return &ix->slots[i];
}

static csvin_index_t *
index_build(const csvin_t *c, int col)
{
    csvin_index_t *ix = xcalloc(1, sizeof(*ix));
    size_t cap = 16;

    while (cap < 2 * c->nrows)
        cap *= 2;
    ix->slots = xcalloc(cap, sizeof(*ix->slots));
    ix->mask = cap - 1;
    for (size_t r = 0; r < c->nrows; r++) {
        uint32_t *slot = index_slot(c, ix, col, csvin_get(c, r, col));
        if (*slot == 0)
            *slot = (uint32_t)r + 1;
    }
    return ix;
}

long
csvin_find(const csvin_t *c, int col, const char *value)
{
    uint32_t row;

    if (col < 0 || (size_t)col >= c->names.n || value == NULL)
        return -1;
    if (c->index[col] == NULL)
        c->index[col] = index_build(c, col);
    row = *index_slot(c, c->index[col], col, value);
    return row == 0 ? -1 : (long)row - 1;
}

int
csvin_error(const csvin_t *c, size_t row, char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(why, whylen, "%s:%u: ", c->path, csvin_line(c, row));
    if (n < 0 || (size_t)n >= whylen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(why + n, whylen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}
