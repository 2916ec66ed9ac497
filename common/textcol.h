/*
 * textcol: text in columns on a terminal. permitctl's tables (status, overdue, blocked, and
 * any other) measure what a cell takes on the screen, not its bytes: a Chinese character is
 * two columns, a combining mark none. The width comes from the code point (the Unicode East
 * Asian Wide and Fullwidth ranges), not from wcwidth(), so a table looks the same whatever
 * LC_CTYPE the process has, "C" included.
 *
 * A table fits the width it is given (textcol_columns: the terminal's, or 80): optional columns
 * are left out first (textcol_optional), then the widest columns give way, each cut at a character
 * boundary with "…" (never inside a UTF-8 sequence), the columns that matter least first
 * (textcol_ranks); width 0 shows every cell whole
 * (--wide). Cells are made safe for a terminal (termsafe.h) before they are measured. On a terminal
 * the cell of a row's colour is shown red or yellow, unless NO_COLOR is set (https://no-color.org);
 * CLICOLOR_FORCE=1 colours into a pipe too.
 */
#ifndef PERMIT_TEXTCOL_H
#define PERMIT_TEXTCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Columns a code point takes on a terminal: 2 East Asian wide, 0 controls and combining. */
int textcol_cp_width(unsigned cp);

/*
 * The character at s (not at its end): its length in bytes, its code point and its width. A
 * byte that does not decode is a character of its own, one column wide (its value as cp).
 */
size_t textcol_char(const char *s, unsigned *cp, int *width);

/* Columns UTF-8 text takes; a byte that does not decode counts as one. */
int textcol_width(const char *s);

/*
 * s in at most max columns (max >= 1): s itself when it fits, else its longest prefix of
 * whole characters that fits in max - 1 columns followed by "…". Caller owns.
 */
char *textcol_fit(const char *s, int max);

/*
 * The width a table on f may take: $COLUMNS when it is a number, else the terminal's when f
 * is one, else 80.
 */
int textcol_columns(FILE *f);

/*
 * Whether to colour what goes to f (the tables, tail's lines): never when NO_COLOR is set to
 * anything but "" (https://no-color.org); always when CLICOLOR_FORCE is set to anything but
 * "" or "0" (https://bixense.com/clicolors), so into a pipe too; else when f is a terminal.
 */
bool textcol_colour(FILE *f);

typedef enum textcol_hue { TEXTCOL_PLAIN, TEXTCOL_RED, TEXTCOL_YELLOW } textcol_hue_t;

typedef struct textcol_table textcol_table_t;

/* A table of ncols columns; the cell hue_col of each row takes the row's hue (-1: none). */
textcol_table_t *textcol_table_new(size_t ncols, int hue_col);
void textcol_table_destroy(textcol_table_t **t);

/*
 * How much each column matters when the table must narrow (ncols ranks, copied): columns of
 * the lowest rank give way first, down to their heading's width, then the next rank. Without
 * ranks every column is alike.
 */
void textcol_ranks(textcol_table_t *t, const int *ranks);

/*
 * Columns that may be left out, whole, when the table is too wide for its width (before any
 * column is cut): order[c] > 0, the lowest first; 0 for a column always shown. Copied.
 */
void textcol_optional(textcol_table_t *t, const int *order);

/* A new row: its ncols cells, NULL for empty, to be set to strings the table then owns. */
char **textcol_row(textcol_table_t *t, textcol_hue_t hue);

/* The heading row: ncols names (already translated), copied. */
void textcol_heading(textcol_table_t *t, const char *const *names);

/*
 * Print the rows to f, two blanks between columns, the last non-empty cell of a row
 * unpadded; the whole table in `width` columns (0: no limit), in colour when `colour`.
 * Returns how many optional columns were left out (0 when the table fit or width is 0).
 */
size_t textcol_print(textcol_table_t *t, FILE *f, int width, bool colour);

#endif
