/*
 * acktoken: see acktoken.h.
 */
#include "acktoken.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curvecfg.h"
#include "util.h"

#define VERSION 1
#define MAC_LEN 32
/* version, seq, expiry, recipient length */
#define HEAD_LEN (1 + 8 + 8 + 1)
#define RAW_MAX (HEAD_LEN + ACKTOKEN_RECIPIENT_MAX + MAC_LEN)

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
acktoken_key_load(const char *path, bool strict, acktoken_key_t *key, char **err)
{
    acktoken_key_t k = {0};
    unsigned char extra;
    ssize_t n;
    int fd;

    if (curvecfg_private(path, "the ack key", strict, err) < 0)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = xasprintf("ack_key_file %s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    n = read(fd, k.bytes, sizeof(k.bytes));
    /* A key longer than the buffer is refused, never cut short without a word. */
    if (n == (ssize_t)sizeof(k.bytes) && read(fd, &extra, 1) == 1)
        n = -2;
    close(fd);
    if (n == -1) {
        *err = xasprintf("ack_key_file %s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (n == -2) {
        *err = xasprintf("ack_key_file %s: longer than %d bytes", path, ACKTOKEN_KEY_MAX);
        return -1;
    }
    k.len = (size_t)n;
    while (k.len > 0 && (k.bytes[k.len - 1] == '\n' || k.bytes[k.len - 1] == '\r'))
        k.len--;
    if (k.len < ACKTOKEN_KEY_MIN) {
        explicit_bzero(&k, sizeof(k));
        *err = xasprintf("ack_key_file %s: %zu bytes; a key has at least %d (make one with "
                         "openssl rand -base64 48 > %s)",
                         path, (size_t)n, ACKTOKEN_KEY_MIN, path);
        return -1;
    }
    *key = k;
    explicit_bzero(&k, sizeof(k));
    return 0;
}

static void
mac(const acktoken_key_t *key, const unsigned char *data, size_t len, unsigned char *out)
{
    unsigned int outlen = 0;

    /* HMAC() only fails on a broken libcrypto: a token nobody can check is our bug. */
    if (HMAC(EVP_sha256(), key->bytes, (int)key->len, data, len, out, &outlen) == NULL ||
        outlen != MAC_LEN)
        abort();
}

static void
put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_be64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* base64url without padding. Caller owns. */
static char *
encode(const unsigned char *in, size_t len)
{
    char *out = xmalloc(len / 3 * 4 + 4 + 1), *p = out;
    size_t i;

    for (i = 0; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *p++ = b64url[v >> 18 & 63];
        *p++ = b64url[v >> 12 & 63];
        *p++ = b64url[v >> 6 & 63];
        *p++ = b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *p++ = b64url[v >> 18 & 63];
        *p++ = b64url[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *p++ = b64url[v >> 18 & 63];
        *p++ = b64url[v >> 12 & 63];
        *p++ = b64url[v >> 6 & 63];
    }
    *p = '\0';
    return out;
}

static int
sextet(char c)
{
    const char *p = c != '\0' ? strchr(b64url, c) : NULL;

    return p != NULL ? (int)(p - b64url) : -1;
}

/*
 * Strict base64url: only its 64 characters, no padding, no length that leaves a single
 * character over, and the unused low bits of the last character zero, so each byte string has
 * exactly one spelling. The decoded length, or -1.
 */
static ssize_t
decode(const char *s, size_t slen, unsigned char *out, size_t max)
{
    size_t n = 0, i;
    uint32_t acc = 0;
    int bits = 0;

    if (slen % 4 == 1 || slen / 4 * 3 + (slen % 4 ? slen % 4 - 1 : 0) > max)
        return -1;
    for (i = 0; i < slen; i++) {
        int v = sextet(s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return (ssize_t)n;
}

char *
acktoken_make(const acktoken_key_t *key, uint64_t seq, const char *recipient, int64_t expiry_ms)
{
    unsigned char raw[RAW_MAX];
    size_t rlen = recipient != NULL ? strlen(recipient) : 0, len;

    if (seq == 0 || rlen == 0 || rlen > ACKTOKEN_RECIPIENT_MAX)
        return NULL;
    raw[0] = VERSION;
    put_be64(raw + 1, seq);
    put_be64(raw + 9, (uint64_t)expiry_ms);
    raw[17] = (unsigned char)rlen;
    memcpy(raw + HEAD_LEN, recipient, rlen);
    len = HEAD_LEN + rlen;
    mac(key, raw, len, raw + len);
    return encode(raw, len + MAC_LEN);
}

acktoken_rc_t
acktoken_check(const acktoken_key_t *key, const char *token, int64_t now_ms, uint64_t *seq,
               char **recipient)
{
    unsigned char raw[RAW_MAX], want[MAC_LEN];
    size_t tlen = token != NULL ? strnlen(token, ACKTOKEN_MAX + 1) : 0, rlen;
    ssize_t n;
    int64_t expiry;

    if (tlen == 0 || tlen > ACKTOKEN_MAX)
        return ACKTOKEN_MALFORMED;
    n = decode(token, tlen, raw, sizeof(raw));
    if (n < HEAD_LEN + 1 + MAC_LEN || raw[0] != VERSION)
        return ACKTOKEN_MALFORMED;
    rlen = raw[17];
    if (rlen == 0 || rlen > ACKTOKEN_RECIPIENT_MAX || (size_t)n != HEAD_LEN + rlen + MAC_LEN)
        return ACKTOKEN_MALFORMED;
    mac(key, raw, HEAD_LEN + rlen, want);
    if (CRYPTO_memcmp(want, raw + HEAD_LEN + rlen, MAC_LEN) != 0)
        return ACKTOKEN_FORGED;
    /* Genuine from here on: what it says was said by a holder of the key. */
    expiry = (int64_t)get_be64(raw + 9);
    if (get_be64(raw + 1) == 0 || memchr(raw + HEAD_LEN, '\0', rlen) != NULL ||
        !util_utf8_valid((const char *)raw + HEAD_LEN, rlen))
        return ACKTOKEN_MALFORMED;
    if (now_ms >= expiry)
        return ACKTOKEN_EXPIRED;
    *seq = get_be64(raw + 1);
    *recipient = xstrndup((const char *)raw + HEAD_LEN, rlen);
    return ACKTOKEN_OK;
}

const char *
acktoken_rc_name(acktoken_rc_t rc)
{
    static const char *const names[] = {"ok", "expired", "forged", "malformed"};

    return (size_t)rc < ARRAY_LEN(names) ? names[rc] : "?";
}
