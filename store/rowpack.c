/*
 * rowpack: see rowpack.h. A row is, in this order: code and dept (their number + 1, 0 for
 * none), state, colour, commit and flags (a byte each), updated_seq, then updated_ms,
 * accepted_ms, next_ms, extended, deadline, statutory, paused_on and commit_due (signed), then
 * cert and missing when the flags say so (length, bytes). The rows follow each other.
 */
#include "rowpack.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum {
    FLAG_DEFICIENT = 1,
    FLAG_PROVISIONAL = 2,
    FLAG_CERT = 4,
    FLAG_MISSING = 8,
};

/* A growing buffer of packed bytes. */
typedef struct packbuf {
    uint8_t *b;
    size_t len, cap;
} packbuf_t;

static void
put_byte(packbuf_t *p, uint8_t v)
{
    if (p->len == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        p->b = xrealloc(p->b, p->cap);
    }
    p->b[p->len++] = v;
}

static void
put_u(packbuf_t *p, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        put_byte(p, (uint8_t)(v | 0x80));
    put_byte(p, (uint8_t)v);
}

static void
put_s(packbuf_t *p, int64_t v)
{
    put_u(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void
put_bytes(packbuf_t *p, const uint8_t *b, size_t n)
{
    if (n == 0)
        return; /* b may be NULL then */
    if (p->len + n > p->cap) {
        p->cap = p->len + n > 256 ? p->len + n : 256;
        p->b = xrealloc(p->b, p->cap);
    }
    memcpy(p->b + p->len, b, n);
    p->len += n;
}

static void
put_str(packbuf_t *p, const char *s)
{
    size_t n = strlen(s);

    put_u(p, n);
    put_bytes(p, (const uint8_t *)s, n);
}

static void
put_code(packbuf_t *p, strpool_t *names, const char *code)
{
    put_u(p, code == NULL ? 0 : (uint64_t)strpool_number(names, code) + 1);
}

static void
put_row(packbuf_t *p, strpool_t *names, const store_proc_t *r)
{
    put_code(p, names, r->code);
    put_code(p, names, r->dept);
    put_byte(p, (uint8_t)r->state);
    put_byte(p, (uint8_t)r->colour);
    put_byte(p, (uint8_t)r->commit);
    put_byte(
        p, (uint8_t)((r->deficient ? FLAG_DEFICIENT : 0) | (r->provisional ? FLAG_PROVISIONAL : 0) |
                     (r->cert != NULL ? FLAG_CERT : 0) | (r->missing != NULL ? FLAG_MISSING : 0)));
    put_u(p, r->updated_seq);
    put_s(p, r->updated_ms);
    put_s(p, r->accepted_ms);
    put_s(p, r->next_ms);
    put_s(p, r->extended);
    put_s(p, r->deadline);
    put_s(p, r->statutory);
    put_s(p, r->paused_on);
    put_s(p, r->commit_due);
    if (r->cert != NULL)
        put_str(p, r->cert);
    if (r->missing != NULL)
        put_str(p, r->missing);
}

/* Exactly its length: the cache keeps it for as long as the project is in progress. */
static uint8_t *
packbuf_done(packbuf_t *p, size_t *len)
{
    *len = p->len;
    return xrealloc(p->b, p->len ? p->len : 1);
}

uint8_t *
rowpack_pack(strpool_t *names, const store_proc_t *rows, size_t n, size_t *len)
{
    packbuf_t p = {0};

    for (size_t i = 0; i < n; i++)
        put_row(&p, names, &rows[i]);
    return packbuf_done(&p, len);
}

/* A reader of packed bytes: what it reads past the end is our bug (the bytes are ours). */
typedef struct packrd {
    const uint8_t *b;
    size_t len, at;
} packrd_t;

static uint8_t
get_byte(packrd_t *r)
{
    assert(r->at < r->len);
    return r->b[r->at++];
}

static uint64_t
get_u(packrd_t *r)
{
    uint64_t v = 0;
    uint8_t c;

    for (int shift = 0;; shift += 7) {
        c = get_byte(r);
        v |= (uint64_t)(c & 0x7f) << shift;
        if (c < 0x80)
            return v;
    }
}

static int64_t
get_s(packrd_t *r)
{
    uint64_t u = get_u(r);

    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static char *
get_str(packrd_t *r)
{
    size_t n = (size_t)get_u(r);
    char *s;

    assert(n <= r->len - r->at);
    s = xmalloc(n + 1);
    memcpy(s, r->b + r->at, n);
    s[n] = '\0';
    r->at += n;
    return s;
}

static const char *
get_code(packrd_t *r, const strpool_t *names)
{
    uint64_t v = get_u(r);

    return v == 0 ? NULL : strpool_at(names, (uint32_t)(v - 1));
}

void
rowpack_unpack(const strpool_t *names, const uint8_t *buf, size_t len, store_proc_t *out, size_t n)
{
    packrd_t r = {buf, len, 0};

    for (size_t i = 0; i < n; i++) {
        store_proc_t *p = &out[i];
        uint8_t flags;
        memset(p, 0, sizeof(*p));
        p->code = get_code(&r, names);
        p->dept = get_code(&r, names);
        p->state = (pm_state_t)get_byte(&r);
        p->colour = (pm_colour_t)get_byte(&r);
        p->commit = (store_commit_t)get_byte(&r);
        flags = get_byte(&r);
        p->deficient = (flags & FLAG_DEFICIENT) != 0;
        p->provisional = (flags & FLAG_PROVISIONAL) != 0;
        p->updated_seq = get_u(&r);
        p->updated_ms = get_s(&r);
        p->accepted_ms = get_s(&r);
        p->next_ms = get_s(&r);
        p->extended = (int32_t)get_s(&r);
        p->deadline = (int32_t)get_s(&r);
        p->statutory = (int32_t)get_s(&r);
        p->paused_on = (int32_t)get_s(&r);
        p->commit_due = (int32_t)get_s(&r);
        if (flags & FLAG_CERT)
            p->cert = get_str(&r);
        if (flags & FLAG_MISSING)
            p->missing = get_str(&r);
    }
    assert(r.at == len);
}

/* Past one packed row, reading nothing into memory. */
static void
skip_row(packrd_t *r)
{
    uint8_t flags;

    get_u(r);    /* code */
    get_u(r);    /* dept */
    get_byte(r); /* state */
    get_byte(r); /* colour */
    get_byte(r); /* commit */
    flags = get_byte(r);
    for (int i = 0; i < 9; i++) /* updated_seq, the times and the days */
        get_u(r);
    for (int f = FLAG_CERT; f <= FLAG_MISSING; f <<= 1)
        if (flags & f) {
            size_t n = (size_t)get_u(r);
            assert(n <= r->len - r->at);
            r->at += n;
        }
}

uint8_t *
rowpack_replace(strpool_t *names, const uint8_t *buf, size_t len, size_t ordinal,
                const store_proc_t *row, size_t *out_len)
{
    packrd_t r = {buf, len, 0};
    packbuf_t p = {0};
    size_t start;

    for (size_t i = 0; i < ordinal; i++)
        skip_row(&r);
    start = r.at;
    skip_row(&r);
    put_bytes(&p, buf, start);
    put_row(&p, names, row);
    put_bytes(&p, buf + r.at, len - r.at);
    return packbuf_done(&p, out_len);
}

/* A string that may be NULL: its length + 1, 0 for NULL. */
static void
put_str0(packbuf_t *p, const char *s)
{
    if (s == NULL) {
        put_u(p, 0);
        return;
    }
    put_u(p, strlen(s) + 1);
    for (const char *c = s; *c != '\0'; c++)
        put_byte(p, (uint8_t)*c);
}

static char *
get_str0(packrd_t *r)
{
    size_t n = (size_t)get_u(r);
    char *s;

    if (n == 0)
        return NULL;
    assert(n - 1 <= r->len - r->at);
    s = xmalloc(n);
    memcpy(s, r->b + r->at, n - 1);
    s[n - 1] = '\0';
    r->at += n - 1;
    return s;
}

uint8_t *
rowpack_project_pack(const pm_project_t *p, size_t *len)
{
    packbuf_t b = {0};

    put_str0(&b, p->id);
    put_str0(&b, p->name);
    put_str0(&b, p->region);
    put_str0(&b, p->industry);
    put_str0(&b, p->company);
    put_str0(&b, p->steward);
    put_str0(&b, p->leader);
    put_str0(&b, p->template_name);
    put_u(&b, p->template_version);
    put_u(&b, p->start_half);
    put_u(&b, p->year);
    put_u(&b, p->not_required.n);
    for (size_t i = 0; i < p->not_required.n; i++)
        put_str0(&b, p->not_required.v[i]);
    *len = b.len;
    return xrealloc(b.b, b.len);
}

void
rowpack_project_unpack(const uint8_t *buf, size_t len, pm_project_t *out)
{
    packrd_t r = {buf, len, 0};
    size_t n;

    memset(out, 0, sizeof(*out));
    out->id = get_str0(&r);
    out->name = get_str0(&r);
    out->region = get_str0(&r);
    out->industry = get_str0(&r);
    out->company = get_str0(&r);
    out->steward = get_str0(&r);
    out->leader = get_str0(&r);
    out->template_name = get_str0(&r);
    out->template_version = (uint32_t)get_u(&r);
    out->start_half = (uint32_t)get_u(&r);
    out->year = (uint32_t)get_u(&r);
    n = (size_t)get_u(&r);
    for (size_t i = 0; i < n; i++) {
        char *code = get_str0(&r);
        strv_push(&out->not_required, code);
        free(code);
    }
    assert(r.at == len);
}
