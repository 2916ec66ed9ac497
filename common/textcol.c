/*
 * textcol: see textcol.h.
 */
#include "textcol.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "termsafe.h"
#include "util.h"

#define ELLIPSIS "\xe2\x80\xa6" /* …, one column */

int
textcol_cp_width(unsigned cp)
{
    static const struct {
        uint32_t lo, hi;
    } wide[] = {
        {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x2e80, 0x303e},
        {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
        {0xa960, 0xa97f},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},
        {0xfe30, 0xfe6f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
        {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
    };

    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return 0;
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) ||
        (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff)
        return 0;
    for (size_t i = 0; i < ARRAY_LEN(wide); i++)
        if (cp >= wide[i].lo && cp <= wide[i].hi)
            return 2;
    return 1;
}

size_t
textcol_char(const char *s, unsigned *cpp, int *width)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    size_t n;

    if (*p < 0x80) {
        cp = *p;
        n = 1;
    } else if ((*p & 0xe0) == 0xc0) {
        cp = *p & 0x1f;
        n = 2;
    } else if ((*p & 0xf0) == 0xe0) {
        cp = *p & 0x0f;
        n = 3;
    } else if ((*p & 0xf8) == 0xf0) {
        cp = *p & 0x07;
        n = 4;
    } else {
        goto stray;
    }
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80)
            goto stray;
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    *cpp = cp;
    *width = textcol_cp_width(cp);
    return n;

stray:
    *cpp = *p;
    *width = 1;
    return 1;
}

static size_t
next_char(const unsigned char *p, int *width)
{
    unsigned cp;

    return textcol_char((const char *)p, &cp, width);
}

int
textcol_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;

    while (*p != '\0') {
        int cw;
        p += next_char(p, &cw);
        w += cw;
    }
    return w;
}

char *
textcol_fit(const char *s, int max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cut = 0;
    int w = 0;

    if (textcol_width(s) <= max)
        return xstrdup(s);
    /* The longest prefix that leaves a column for the ellipsis. */
    while (*p != '\0') {
        int cw;
        size_t n = next_char(p, &cw);
        if (w + cw > max - 1)
            break;
        w += cw;
        p += n;
        cut += n;
    }
    return xasprintf("%.*s" ELLIPSIS, (int)cut, s);
}

int
textcol_columns(FILE *f)
{
    const char *env = getenv("COLUMNS");
    struct winsize ws;

    if (!util_empty(env)) {
        char *end;
        long n = strtol(env, &end, 10);
        if (*end == '\0' && n > 0 && n < 10000)
            return (int)n;
    }
    if (isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

bool
textcol_colour(FILE *f)
{
    const char *force = getenv("CLICOLOR_FORCE");

    if (!util_empty(getenv("NO_COLOR")))
        return false;
    /* The convention of ls, cmake, cargo...: colour into a pipe too (less -R, a CI log),
     * since `overdue --colour` already filters by colour and no --color option is left. */
    if (!util_empty(force) && strcmp(force, "0") != 0)
        return true;
    return isatty(fileno(f));
}

struct textcol_table {
    size_t ncols;
    int hue_col;
    int *ranks;   /* ncols, or NULL: all alike */
    int *drops;   /* ncols: the order columns are left out in (0: never), or NULL */
    char **cells; /* n rows of ncols */
    textcol_hue_t *hues;
    size_t n;
};

textcol_table_t *
textcol_table_new(size_t ncols, int hue_col)
{
    textcol_table_t *t = xcalloc(1, sizeof(*t));

    t->ncols = ncols;
    t->hue_col = hue_col;
    return t;
}

void
textcol_table_destroy(textcol_table_t **tp)
{
    textcol_table_t *t = *tp;

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->hues);
    free(t->ranks);
    free(t->drops);
    free(t);
    *tp = NULL;
}

void
textcol_ranks(textcol_table_t *t, const int *ranks)
{
    free(t->ranks);
    t->ranks = xcalloc(t->ncols, sizeof(*t->ranks));
    memcpy(t->ranks, ranks, t->ncols * sizeof(*ranks));
}

void
textcol_optional(textcol_table_t *t, const int *order)
{
    free(t->drops);
    t->drops = xcalloc(t->ncols, sizeof(*t->drops));
    memcpy(t->drops, order, t->ncols * sizeof(*order));
}

char **
textcol_row(textcol_table_t *t, textcol_hue_t hue)
{
    t->cells = xrealloc(t->cells, (t->n + 1) * t->ncols * sizeof(*t->cells));
    t->hues = xrealloc(t->hues, (t->n + 1) * sizeof(*t->hues));
    memset(&t->cells[t->n * t->ncols], 0, t->ncols * sizeof(*t->cells));
    t->hues[t->n] = hue;
    return &t->cells[t->n++ * t->ncols];
}

void
textcol_heading(textcol_table_t *t, const char *const *names)
{
    char **row = textcol_row(t, TEXTCOL_PLAIN);

    for (size_t c = 0; c < t->ncols; c++)
        row[c] = xstrdup(names[c]);
}

/* The table's width: the shown columns and two blanks between each. */
static int
total_width(const int *width, const bool *shown, size_t ncols)
{
    int total = 0, n = 0;

    for (size_t c = 0; c < ncols; c++) {
        if (shown[c]) {
            total += width[c];
            n++;
        }
    }
    return n > 0 ? total + 2 * (n - 1) : 0;
}

/*
 * Leave out optional columns, the first in order first, while the table is too wide; returns
 * how many were left out. Leaving out a column is better than cutting every cell: what is left
 * stays readable, and --wide shows the rest.
 */
static size_t
drop_columns(const int *width, bool *shown, const int *drops, size_t ncols, int limit)
{
    size_t dropped = 0;

    while (total_width(width, shown, ncols) > limit) {
        size_t pick = ncols;
        for (size_t c = 0; c < ncols; c++)
            if (shown[c] && drops[c] > 0 && (pick == ncols || drops[c] < drops[pick]))
                pick = c;
        if (pick == ncols)
            break;
        shown[pick] = false;
        dropped++;
    }
    return dropped;
}

/*
 * Narrow the columns until the table fits, a column at a time: the one that gives way is the
 * widest for its rank (its width over rank + 1, so a column that matters more keeps more),
 * down to 4 columns (or its heading's width, without ranks); then any column down to 1.
 */
static void
fit_widths(int *width, const int *floor1, const int *ranks, const bool *shown, size_t ncols,
           int limit)
{
    int total = total_width(width, shown, ncols);

    for (int pass = 0; pass < 2 && total > limit; pass++) {
        while (total > limit) {
            size_t pick = ncols;
            long best = 0;
            for (size_t c = 0; c < ncols; c++) {
                long score = 12L * width[c] / ((ranks != NULL ? ranks[c] : 0) + 1);
                if (shown[c] && width[c] > (pass == 0 ? floor1[c] : 1) &&
                    (pick == ncols || score > best)) {
                    pick = c;
                    best = score;
                }
            }
            if (pick == ncols)
                break;
            width[pick]--;
            total--;
        }
    }
}

size_t
textcol_print(textcol_table_t *t, FILE *f, int limit, bool colour)
{
    int *width = xcalloc(t->ncols, sizeof(*width));
    int *floor1 = xcalloc(t->ncols, sizeof(*floor1));
    bool *shown = xcalloc(t->ncols, sizeof(*shown));
    size_t used = 0, dropped = 0;

    /* Cells hold what departments sent (names, notes, missing items): escaped before they
     * are measured, so the columns line up and a terminal obeys none of it. */
    for (size_t i = 0; i < t->n * t->ncols; i++) {
        if (t->cells[i] != NULL && !termsafe_clean(t->cells[i])) {
            char *safe = termsafe_dup(t->cells[i]);
            free(t->cells[i]);
            t->cells[i] = safe;
        }
    }
    for (size_t r = 0; r < t->n; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            if (!util_empty(s)) {
                int w = textcol_width(s);
                if (w > width[c])
                    width[c] = w;
                if (c + 1 > used)
                    used = c + 1;
            }
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *head = t->n > 0 ? t->cells[c] : NULL;
        int h = head != NULL ? textcol_width(head) : 0;
        floor1[c] = h > 4 && t->ranks == NULL ? h : 4;
        shown[c] = c < used;
    }
    if (limit > 0 && used > 0) {
        if (t->drops != NULL)
            dropped = drop_columns(width, shown, t->drops, used, limit);
        fit_widths(width, floor1, t->ranks, shown, used, limit);
    }
    for (size_t r = 0; r < t->n; r++) {
        char **row = &t->cells[r * t->ncols];
        size_t last = used;
        bool first = true;
        while (last > 1 && (util_empty(row[last - 1]) || !shown[last - 1]))
            last--;
        for (size_t c = 0; c < last; c++) {
            char *s;
            bool hue = colour && (int)c == t->hue_col && t->hues[r] != TEXTCOL_PLAIN;
            if (!shown[c])
                continue;
            if (!first)
                fputs("  ", f);
            first = false;
            s = textcol_fit(row[c] != NULL ? row[c] : "", width[c] > 0 ? width[c] : 1);
            if (hue)
                fputs(t->hues[r] == TEXTCOL_RED ? "\033[31m" : "\033[33m", f);
            fputs(s, f);
            if (hue)
                fputs("\033[0m", f);
            if (c + 1 < last)
                fprintf(f, "%*s", width[c] - textcol_width(s), "");
            free(s);
        }
        fputc('\n', f);
    }
    free(shown);
    free(floor1);
    free(width);
    return dropped;
}
