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
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
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
                 _("not valid UTF-8 (field %zu); save the file as \"CSV UTF-8\""),
                 st->fields.n + 1);
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
            snprintf(st->error, sizeof(st->error), _("%zu fields, but the header has %zu columns"),
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
                snprintf(why, whylen, _("%s: larger than %u bytes"), path, CSVIN_MAX_BYTES);
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
            snprintf(why, whylen, _("%s:%u: column %zu has no name"), c->path, line, i + 1);
            return -1;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcasecmp(c->names.v[i], c->names.v[k]) == 0) {
                snprintf(why, whylen, _("%s:%u: column '%s' appears twice"), c->path, line,
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

/* The line (1-based) holding byte off of buf. */
static unsigned
line_at(const char *buf, size_t off)
{
    unsigned line = 1;

    for (size_t i = 0; i < off; i++)
        if (buf[i] == '\n')
            line++;
    return line;
}

/*
 * Decode buf[0..len) from GB18030 (a superset of GBK and GB2312, what Excel on Chinese Windows
 * saves as "CSV") into UTF-8 in *out. A byte sequence that is not GB18030 either fails with
 * the line it is on: by then the file is neither encoding we read.
 */
static int
decode_gb18030(const char *path, const char *buf, size_t len, char **out, size_t *outlen, char *why,
               size_t whylen)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    char *in = (char *)buf, *dst, *res;
    size_t inleft = len, cap = len * 2 + 4, outleft; /* GB18030 never grows more than 2x */

    if (cd == (iconv_t)-1) {
        snprintf(why, whylen, _("%s: not valid UTF-8, and GB18030 cannot be decoded here: %s"),
                 path, strerror(errno));
        return -1;
    }
    res = xmalloc(cap);
    dst = res;
    outleft = cap;
    if (iconv(cd, &in, &inleft, &dst, &outleft) == (size_t)-1 ||
        iconv(cd, NULL, NULL, &dst, &outleft) == (size_t)-1) {
        size_t off = (size_t)(in - buf);
        snprintf(why, whylen,
                 _("%s:%u: not valid UTF-8, nor GB18030 (byte 0x%02x); save the file as \"CSV "
                   "UTF-8\""),
                 path, line_at(buf, off), off < len ? (unsigned char)buf[off] : 0u);
        iconv_close(cd);
        free(res);
        return -1;
    }
    iconv_close(cd);
    *out = res;
    *outlen = cap - outleft;
    return 0;
}

static int parse_utf8(const char *path, const char *buf, size_t len, csvin_t **out, char *why,
                      size_t whylen);

int
csvin_parse(const char *path, const char *buf, size_t len, csvin_t **out, char *why, size_t whylen)
{
    char *decoded = NULL;
    size_t dlen = 0;
    int rc;

    /* Valid UTF-8 first: GB18030 would decode most UTF-8 Chinese too, as nonsense. */
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        return parse_utf8(path, buf + 3, len - 3, out, why, whylen);
    if (util_utf8_valid(buf, len) || memchr(buf, '\0', len) != NULL)
        return parse_utf8(path, buf, len, out, why, whylen);
    if (decode_gb18030(path, buf, len, &decoded, &dlen, why, whylen) != 0)
        return -1;
    rc = parse_utf8(path, decoded, dlen, out, why, whylen);
    free(decoded);
    return rc;
}

/* csvin_parse on text known to be UTF-8 (without its byte order mark). */
static int
parse_utf8(const char *path, const char *buf, size_t len, csvin_t **out, char *why, size_t whylen)
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
        snprintf(why, whylen, _("%s: cannot start the CSV parser"), path);
        goto fail;
    }
    parser_ready = true;
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
        snprintf(why, whylen, _("%s:%u: a quoted field never ends (a '\"' is missing)"), path,
                 st.row_line);
        goto fail;
    }
    if (st.error[0] != '\0') {
        snprintf(why, whylen, "%s:%u: %s", path, st.error_line, st.error);
        goto fail;
    }
    if (!st.have_header) {
        snprintf(why, whylen, _("%s: empty file (the first row must name the columns)"), path);
        goto fail;
    }
    if (check_header(c, c->header_line, why, whylen) != 0)
        goto fail;
    if (c->nrows > UINT32_MAX - 1) {
        snprintf(why, whylen, _("%s: more than %u rows"), path, UINT32_MAX - 1);
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
        snprintf(why, whylen, _("%s:%u: missing column '%s'"), c->path, c->header_line, name);
        return -1;
    }
    *col = i;
    return 0;
}

/*
 * The Chinese headers clerks write (and Excel templates circulated by task forces carry), by
 * file kind: one table for imports and the agent's spool alike. A kind's aliases are distinct
 * within it; across kinds one header may mean different columns (项目编号 is a project's id in
 * projects.csv, the project an event is about in a spool file).
 */
typedef struct csvin_alias {
    csvin_kind_t kind;
    const char *name;
    const char *aliases; /* '|'-separated */
} csvin_alias_t;

static const csvin_alias_t aliases[] = {
    {CSVIN_DEPARTMENTS, "code", "部门编码|部门代码|编码|代码"},
    {CSVIN_DEPARTMENTS, "name", "部门名称|部门|名称"},
    {CSVIN_DEPARTMENTS, "contact", "联系方式|联系电话|电话"},
    {CSVIN_TEMPLATE, "type", "类型|类别"},
    {CSVIN_TEMPLATE, "code", "手续编码|事项编码|编码|代码"},
    {CSVIN_TEMPLATE, "name", "手续名称|事项名称|名称"},
    {CSVIN_TEMPLATE, "dept", "办理部门|部门|部门编码"},
    {CSVIN_TEMPLATE, "limit_days", "时限|法定时限|办理时限"},
    {CSVIN_TEMPLATE, "prerequisites", "前置|前置手续|前置条件"},
    {CSVIN_TEMPLATE, "group", "联审组|分组"},
    {CSVIN_TEMPLATE, "promised_days", "承诺时限|承诺办结时限"},
    {CSVIN_PROJECTS, "id", "项目编号|编号"},
    {CSVIN_PROJECTS, "name", "项目名称|名称"},
    {CSVIN_PROJECTS, "region", "旗县市区|地区|区域"},
    {CSVIN_PROJECTS, "industry", "行业|产业"},
    {CSVIN_PROJECTS, "company", "建设单位|企业|业主单位"},
    {CSVIN_PROJECTS, "steward", "项目管家|管家"},
    {CSVIN_PROJECTS, "leader", "包联领导"},
    {CSVIN_PROJECTS, "template", "模板"},
    {CSVIN_PROJECTS, "not_required", "无需办理|不涉及"},
    {CSVIN_PROJECTS, "start_half", "计划开工|开工半年"},
    {CSVIN_PROJECTS, "year", "年度|开工年度"},
    {CSVIN_EVENTS, "dept", "部门|办理部门|部门编码"},
    {CSVIN_EVENTS, "project", "项目编号|项目"},
    {CSVIN_EVENTS, "procedure", "手续编码|手续|事项编码"},
    {CSVIN_EVENTS, "event", "事件|事件类型|办理环节"},
    {CSVIN_EVENTS, "id", "事件编号|编号"},
    {CSVIN_EVENTS, "cert", "批文号|证书编号|文号"},
    {CSVIN_EVENTS, "note", "备注|说明"},
    {CSVIN_EVENTS, "missing", "缺件|补正材料"},
    {CSVIN_EVENTS, "due", "补正期限|期限"},
    {CSVIN_EVENTS, "time", "办理时间|时间"},
};

/* Whether header is one of the '|'-separated aliases. */
static bool
alias_matches(const char *list, const char *header)
{
    size_t hlen = strlen(header);

    for (const char *p = list; *p != '\0';) {
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (n == hlen && memcmp(p, header, n) == 0)
            return true;
        p += n + (bar != NULL);
    }
    return false;
}

/* The canonical column header stands for in kind, or NULL. */
static const char *
alias_canonical(csvin_kind_t kind, const char *header)
{
    for (size_t i = 0; i < ARRAY_LEN(aliases); i++)
        if (aliases[i].kind == kind && alias_matches(aliases[i].aliases, header))
            return aliases[i].name;
    return NULL;
}

/* "code (部门编码, 编码), name (...), ..." for the unknown-column reason. */
static char *
valid_columns(csvin_kind_t kind, const char *const *known)
{
    strv_t items = {0};
    char *s;

    for (const char *const *k = known; *k != NULL; k++) {
        const char *list = NULL;
        for (size_t i = 0; i < ARRAY_LEN(aliases) && list == NULL; i++)
            if (aliases[i].kind == kind && strcmp(aliases[i].name, *k) == 0)
                list = aliases[i].aliases;
        if (list != NULL) {
            strv_t names = {0};
            char *joined, *item;
            strv_split(&names, list, "|");
            joined = strv_join(&names, ", ");
            item = xasprintf("%s (%s)", *k, joined);
            strv_push(&items, item);
            free(item);
            free(joined);
            strv_clear(&names);
        } else {
            strv_push(&items, *k);
        }
    }
    s = strv_join(&items, ", ");
    strv_clear(&items);
    return s;
}

int
csvin_check_columns(csvin_t *c, csvin_kind_t kind, const char *const *known, char *why,
                    size_t whylen)
{
    for (size_t i = 0; i < c->names.n; i++) {
        const char *canon = alias_canonical(kind, c->names.v[i]);
        bool found = false;
        if (canon != NULL) {
            free(c->names.v[i]);
            c->names.v[i] = xstrdup(canon);
        }
        for (const char *const *k = known; *k != NULL && !found; k++)
            found = strcasecmp(c->names.v[i], *k) == 0;
        if (!found) {
            char *valid = valid_columns(kind, known);
            snprintf(why, whylen, _("%s:%u: unknown column '%s'; the columns are: %s"), c->path,
                     c->header_line, c->names.v[i], valid);
            free(valid);
            return -1;
        }
    }
    /* 项目编号 and id in one header name the same column twice. */
    return check_header(c, c->header_line, why, whylen);
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
