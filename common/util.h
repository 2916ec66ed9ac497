/*
 * util: the small things every module needs. Allocation that aborts on failure (one place to
 * fail), wall and monotonic clocks, time formatting with the local offset, UTF-8 checks,
 * identifiers and string lists.
 */
#ifndef PERMIT_UTIL_H
#define PERMIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: never returns NULL; aborts the program with a log line instead. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/*
 * Grow an array that holds `count` elements of `size` bytes so it can hold count + 1.
 * Capacity doubles (it is implied by count: the next power of two), so appending n elements
 * one by one costs O(n), not O(n^2).
 */
void *xgrow(void *ptr, size_t count, size_t size);
/* Copies of s; xstrdup(NULL) returns NULL. Caller owns. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Replace *dst with a copy of src (freeing the old value). */
void xstrset(char **dst, const char *src);

/* Milliseconds since the Unix epoch (wall clock) and since an arbitrary point (monotonic). */
/*
 * Raise the soft limit of open files to the hard one (permitd and permit-web hold a socket per
 * client), with a log line saying what it is now.
 */
void util_raise_fd_limit(void);

int64_t util_now_ms(void);
int64_t util_mono_ms(void);

/*
 * Format a wall-clock time: "2026-11-22T08:30:00.123+08:00" when with_ms, otherwise
 * "2026-11-22 08:30:00+08:00", in the local time zone. Returns buf.
 */
char *util_format_time(int64_t ms, bool with_ms, char *buf, size_t len);
/*
 * Parse a time given by a person or a file: "2026-11-22", "2026-11-22 08:30[:00]",
 * "2026-11-22T08:30:00[.123][Z|+08:00]" (local time without an offset), or a whole number of
 * milliseconds since the epoch. 0 on success.
 */
int util_parse_time(const char *s, int64_t *out_ms);

/*
 * The code point at s[0..len) into *out: its length in bytes, or 0 when s does not start
 * with a valid UTF-8 sequence (or len is 0). Overlong forms and surrogates are invalid.
 */
size_t util_utf8_decode(const char *s, size_t len, uint32_t *out);
/* True when s[0..len) is valid UTF-8 without NUL bytes. */
bool util_utf8_valid(const char *s, size_t len);
/* Cut an incomplete UTF-8 sequence off the end of s (after a truncating snprintf). */
void util_utf8_trim(char *s);
/* True when s is NULL or "". */
bool util_empty(const char *s);
/* strcmp that treats NULL as "". */
int util_strcmp0(const char *a, const char *b);

/* FNV-1a of a NUL-terminated string: for the open-addressing tables keyed by ids and codes. */
uint64_t util_hash(const char *s);

/* A fresh random identifier (UUID v4 text). Caller owns. */
char *util_new_id(void);

/* NULL-terminated string vectors. */
typedef struct {
    char **v;
    size_t n;
} strv_t;
void strv_push(strv_t *sv, const char *s);
void strv_clear(strv_t *sv);
bool strv_contains(const strv_t *sv, const char *s);
/* Split s at any of the separator characters, trimming blanks and dropping empty parts. */
void strv_split(strv_t *sv, const char *s, const char *seps);
/* Join with sep. Caller owns. */
char *strv_join(const strv_t *sv, const char *sep);

#endif
