/*
 * termsafe: text from outside made safe to show on a terminal or in a log file.
 *
 * Department text (names, notes, missing items), remote error bodies and anything else a
 * peer sent can carry bytes a terminal obeys: ESC sequences that recolour, move the cursor or
 * retitle the window (C0 controls, and the C1 controls U+0080-U+009F that some terminals take
 * as ESC equivalents), bidi controls that show text in a different order than it is stored
 * (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C, "Trojan Source"), a newline that
 * forges a second log line, or bytes that are not UTF-8 at all. Every human-facing printer
 * (permitctl status/blocked/overdue/tail, permit-notify history/status, log.c) passes such
 * text through here, so the rule lives in one place:
 *   - C0 controls, newline and tab included, and DEL: \n, \r, \t or \xNN
 *   - C1 controls and bidi controls: \uXXXX
 *   - a byte that does not start a valid UTF-8 sequence: \xNN
 *   - everything else, Chinese text included, as it is.
 * A backslash is left alone: the escapes are for people to read, not to be parsed back.
 * JSON output does not come here; a JSON string escapes what JSON must, and carries the rest.
 */
#ifndef PERMIT_TERMSAFE_H
#define PERMIT_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Longest escape of one character ("\u202e"), with its NUL. */
#define TERMSAFE_ESC_MAX 8

/*
 * Look at the character at s[0..len) (len > 0): its length in bytes, and in esc the escape to
 * show instead, or "" when it is shown as it is. For printers with their own quoting
 * (entryfmt), who escape some characters their own way first.
 */
size_t termsafe_next(const char *s, size_t len, char esc[TERMSAFE_ESC_MAX]);

/* True when s shows as it is (nothing to escape). */
bool termsafe_clean(const char *s);

/* Write s to f, escaped. */
void termsafe_fputs(const char *s, FILE *f);

/*
 * printf one line to f with everything escaped, then the line's own newline: for printers
 * whose lines mix our words with peers' values (permit-notify status and history). fmt has
 * no newline of its own.
 */
void termsafe_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s escaped, as a new string. Caller owns (free). */
char *termsafe_dup(const char *s);

/*
 * s escaped into dst[0..len), cut at a whole character or escape when it does not fit; dst
 * is always terminated (len > 0). For fixed buffers such as a log line.
 */
void termsafe_copy(char *dst, size_t len, const char *s);

#endif
