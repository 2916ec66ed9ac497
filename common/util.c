/*
 * util: see util.h.
 */
#define _GNU_SOURCE
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <uuid/uuid.h>

#include "i18n.h"
#include "log.h"

static void
oom(size_t size)
{
    fatalx("out of memory allocating %zu bytes", size);
}

void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *
xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

static size_t
capacity_for(size_t count)
{
    size_t cap = 1;
    while (cap < count)
        cap <<= 1;
    return cap;
}

void *
xgrow(void *ptr, size_t count, size_t size)
{
    if (ptr != NULL && capacity_for(count + 1) <= capacity_for(count) && count > 0)
        return ptr;
    return xrealloc(ptr, capacity_for(count + 1) * size);
}

char *
xstrdup(const char *s)
{
    return s == NULL ? NULL : xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    if (vasprintf(&p, fmt, ap) < 0)
        oom(strlen(fmt));
    va_end(ap);
    return p;
}

void
xstrset(char **dst, const char *src)
{
    char *copy = xstrdup(src);
    free(*dst);
    *dst = copy;
}

int64_t
util_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
util_format_time(int64_t ms, bool with_ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    char date[40];
    long off;

    localtime_r(&secs, &tm);
    strftime(date, sizeof(date), with_ms ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
    off = tm.tm_gmtoff / 60;
    if (with_ms)
        snprintf(buf, len, "%s.%03d%c%02ld:%02ld", date, frac, off < 0 ? '-' : '+', labs(off) / 60,
                 labs(off) % 60);
    else
        snprintf(buf, len, "%s%c%02ld:%02ld", date, off < 0 ? '-' : '+', labs(off) / 60,
                 labs(off) % 60);
    return buf;
}

/* Two digits at p, as a number, or -1. */
static int
two_digits(const char *p)
{
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* A UTC offset "Z", "+HH:MM" or "-HH:MM" that ends the string, in seconds east. */
static int
parse_offset(const char *p, long *out)
{
    int hh, mm;

    if (strcmp(p, "Z") == 0) {
        *out = 0;
        return 0;
    }
    if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':')
        return -1;
    hh = two_digits(p + 1);
    mm = two_digits(p + 4);
    if (hh < 0 || hh > 14 || mm < 0 || mm > 59)
        return -1;
    *out = (*p == '-' ? -1L : 1L) * (hh * 3600L + mm * 60L);
    return 0;
}

int
util_parse_time(const char *s, int64_t *out_ms)
{
    struct tm tm, asked;
    const char *p;
    int ms = 0;
    time_t secs;

    if (s == NULL || *s == '\0')
        return -1;
    for (p = s; isdigit((unsigned char)*p); p++)
        ;
    if (*p == '\0' && p - s > 8) {
        if (p - s > 15)
            return -1; /* past the year 33000: a typo, not a time */
        *out_ms = strtoll(s, NULL, 10);
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_isdst = -1;
    p = strptime(s, "%Y-%m-%d", &tm);
    if (p == NULL)
        return -1;
    if (*p == 'T' || *p == ' ') {
        const char *q = strptime(p + 1, "%H:%M", &tm);
        if (q == NULL)
            return -1;
        p = q;
        if (*p == ':') {
            q = strptime(p + 1, "%S", &tm);
            if (q == NULL)
                return -1;
            p = q;
        }
        if (*p == '.') {
            /* A decimal fraction of a second: ".5" is 500 ms, ".123456" is 123 ms. */
            int scale = 100;
            if (!isdigit((unsigned char)p[1]))
                return -1;
            for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
                ms += (*p - '0') * scale;
        }
    }
    asked = tm;
    if (*p == '\0') {
        /* Local time. mktime returns -1 both on failure and for the last second of 1969. */
        tm.tm_wday = -1;
        secs = mktime(&tm);
        if (tm.tm_wday == -1)
            return -1;
    } else {
        long offset;
        if (parse_offset(p, &offset) < 0)
            return -1;
        secs = timegm(&tm) - offset;
    }
    /* mktime and timegm carry day 31 of a 30-day month into the next: refuse it instead. */
    if (tm.tm_mday != asked.tm_mday || tm.tm_mon != asked.tm_mon)
        return -1;
    *out_ms = (int64_t)secs * 1000 + ms;
    return 0;
}

size_t
util_utf8_decode(const char *str, size_t len, uint32_t *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t need;
    uint32_t cp;

    if (len == 0)
        return 0;
    if (s[0] < 0x80) {
        *out = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        need = 1;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        need = 2;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        need = 3;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (need >= len)
        return 0;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    /* Refuse overlong forms, surrogates and code points past U+10FFFF. */
    if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    *out = cp;
    return need + 1;
}

bool
util_utf8_valid(const char *str, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = util_utf8_decode(str + i, len - i, &cp);
        if (n == 0 || cp == 0)
            return false;
        i += n;
    }
    return true;
}

void
util_utf8_trim(char *s)
{
    size_t len = strlen(s), start = len, need;
    unsigned char c;

    /* Find the lead byte of the last sequence, at most 3 continuation bytes back. */
    while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
        start--;
    if (start == 0)
        return;
    c = (unsigned char)s[start - 1];
    need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (len - (start - 1) < need)
        s[start - 1] = '\0';
}

bool
util_empty(const char *s)
{
    return s == NULL || *s == '\0';
}

uint64_t
util_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037); /* the offset basis */

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return h;
}

int
util_strcmp0(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

char *
util_new_id(void)
{
    uuid_t u;
    char text[37];

    uuid_generate_random(u);
    uuid_unparse_lower(u, text);
    return xstrdup(text);
}

void
strv_push(strv_t *sv, const char *s)
{
    sv->v = xgrow(sv->v, sv->n + 1, sizeof(char *)); /* n strings and the NULL */
    sv->v[sv->n++] = xstrdup(s);
    sv->v[sv->n] = NULL;
}

void
strv_clear(strv_t *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

bool
strv_contains(const strv_t *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

void
strv_split(strv_t *sv, const char *s, const char *seps)
{
    const char *p = s;

    if (s == NULL)
        return;
    while (*p != '\0') {
        size_t len = strcspn(p, seps);
        const char *b = p, *e = p + len;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (e > b) {
            char *part = xstrndup(b, (size_t)(e - b));
            strv_push(sv, part);
            free(part);
        }
        p += len;
        if (*p != '\0')
            p++;
    }
}

char *
strv_join(const strv_t *sv, const char *sep)
{
    size_t len = 1, seplen = strlen(sep);
    char *out, *w;

    for (size_t i = 0; i < sv->n; i++)
        len += strlen(sv->v[i]) + seplen;
    out = w = xmalloc(len);
    *w = '\0';
    for (size_t i = 0; i < sv->n; i++) {
        size_t l = strlen(sv->v[i]);
        if (i > 0) {
            memcpy(w, sep, seplen);
            w += seplen;
        }
        memcpy(w, sv->v[i], l);
        w += l;
    }
    *w = '\0';
    return out;
}

/*
 * Every connection holds a file descriptor, and the soft limit (often 1,024) is soon reached by
 * connections that never handshake: raise it to the hard limit at start, and say so.
 */
void
util_raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t was;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("getrlimit(RLIMIT_NOFILE)");
        return;
    }
    was = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            log_warn("setrlimit(RLIMIT_NOFILE, %llu)", (unsigned long long)rl.rlim_max);
            return;
        }
    }
    log_info(_("file descriptors: up to %llu (soft limit was %llu, hard limit %llu)"),
             (unsigned long long)rl.rlim_cur, (unsigned long long)was,
             (unsigned long long)rl.rlim_max);
}
