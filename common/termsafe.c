/*
 * termsafe: see termsafe.h.
 */
#define _GNU_SOURCE
#include "termsafe.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Code points that reorder or hide text on screen: bidi embeddings, overrides, isolates and
 * marks. */
static bool
is_bidi(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
           cp == 0x200f || cp == 0x061c;
}

size_t
termsafe_next(const char *s, size_t len, char esc[TERMSAFE_ESC_MAX])
{
    unsigned char c = (unsigned char)s[0];
    uint32_t cp;
    size_t n;

    esc[0] = '\0';
    if (c < 0x20 || c == 0x7f) {
        if (c == '\n')
            strcpy(esc, "\\n");
        else if (c == '\r')
            strcpy(esc, "\\r");
        else if (c == '\t')
            strcpy(esc, "\\t");
        else
            snprintf(esc, TERMSAFE_ESC_MAX, "\\x%02x", c);
        return 1;
    }
    if (c < 0x80)
        return 1;
    n = util_utf8_decode(s, len, &cp);
    if (n == 0) {
        snprintf(esc, TERMSAFE_ESC_MAX, "\\x%02x", c);
        return 1;
    }
    if ((cp >= 0x80 && cp <= 0x9f) || is_bidi(cp))
        snprintf(esc, TERMSAFE_ESC_MAX, "\\u%04x", (unsigned)cp);
    return n;
}

bool
termsafe_clean(const char *s)
{
    size_t len = strlen(s), i = 0;
    char esc[TERMSAFE_ESC_MAX];

    while (i < len) {
        i += termsafe_next(s + i, len - i, esc);
        if (esc[0] != '\0')
            return false;
    }
    return true;
}

void
termsafe_fputs(const char *s, FILE *f)
{
    size_t len = strlen(s), i = 0;
    char esc[TERMSAFE_ESC_MAX];

    while (i < len) {
        size_t n = termsafe_next(s + i, len - i, esc);
        if (esc[0] != '\0')
            fputs(esc, f);
        else
            fwrite(s + i, 1, n, f);
        i += n;
    }
}

void
termsafe_line(FILE *f, const char *fmt, ...)
{
    char *line = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort(); /* out of memory, as in xmalloc */
    termsafe_fputs(line, f);
    fputc('\n', f);
    free(line);
}

char *
termsafe_dup(const char *s)
{
    size_t len = strlen(s), i = 0, need = 1;
    char esc[TERMSAFE_ESC_MAX], *out;

    while (i < len) {
        size_t n = termsafe_next(s + i, len - i, esc);
        need += esc[0] != '\0' ? strlen(esc) : n;
        i += n;
    }
    out = xmalloc(need);
    termsafe_copy(out, need, s);
    return out;
}

void
termsafe_copy(char *dst, size_t len, const char *s)
{
    size_t slen = strlen(s), i = 0, o = 0;
    char esc[TERMSAFE_ESC_MAX];

    while (i < slen) {
        size_t n = termsafe_next(s + i, slen - i, esc);
        const char *out = esc[0] != '\0' ? esc : s + i;
        size_t outlen = esc[0] != '\0' ? strlen(esc) : n;
        if (o + outlen >= len)
            break;
        memcpy(dst + o, out, outlen);
        o += outlen;
        i += n;
    }
    dst[o] = '\0';
}
