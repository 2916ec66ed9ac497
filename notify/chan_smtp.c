/*
 * chan_smtp: see chan_smtp.h.
 */
#include "chan_smtp.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* Bytes of UTF-8 per encoded word: 45 bytes are 60 base64 characters, under RFC 2047's 75. */
#define WORD_BYTES 45

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

static void
buf_add(buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
buf_str(buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void
base64(buf_t *b, const unsigned char *s, size_t n, bool wrap)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t col = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        char out[4];
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        out[0] = abc[(v >> 18) & 63];
        out[1] = abc[(v >> 12) & 63];
        out[2] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
        out[3] = i + 2 < n ? abc[v & 63] : '=';
        buf_add(b, out, 4);
        col += 4;
        if (wrap && col >= 76) {
            buf_str(b, "\r\n");
            col = 0;
        }
    }
    if (wrap && col > 0)
        buf_str(b, "\r\n");
}

char *
chan_smtp_encode_header(const char *value)
{
    buf_t b = {0};
    size_t n = strlen(value), i = 0;
    bool ascii = true;

    for (size_t k = 0; k < n; k++)
        if ((unsigned char)value[k] >= 0x80 || value[k] == '\r' || value[k] == '\n')
            ascii = false;
    if (ascii)
        return xstrdup(value);
    /* Words end on a character boundary: a UTF-8 sequence is never split across two. */
    while (i < n) {
        size_t end = i + WORD_BYTES < n ? i + WORD_BYTES : n;
        while (end < n && ((unsigned char)value[end] & 0xC0) == 0x80)
            end--;
        if (i > 0)
            buf_str(&b, "\r\n ");
        buf_str(&b, "=?UTF-8?B?");
        base64(&b, (const unsigned char *)value + i, end - i, false);
        buf_str(&b, "?=");
        i = end;
    }
    return b.p;
}

char *
chan_smtp_message(const chan_msg_t *m, const char *from, int64_t now_ms)
{
    buf_t b = {0};
    char date[64], *subject = chan_smtp_encode_header(m->title), *line;
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    line = xasprintf("Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n"
                     "Message-ID: <%s@permit-notify>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n",
                     date, from, m->addr, subject, m->key);
    buf_str(&b, line);
    base64(&b, (const unsigned char *)m->text, strlen(m->text), true);
    free(line);
    free(subject);
    return b.p;
}

static size_t
on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
    chan_xfer_t *x = arg;
    size_t left = x->len - x->off, n = size * nmemb < left ? size * nmemb : left;

    memcpy(dst, x->body + x->off, n);
    x->off += n;
    return n;
}

int
chan_smtp_setup(chan_xfer_t *x, const chan_msg_t *m, char **err)
{
    const chan_smtp_opts_t *o = m->smtp;
    CURL *c = x->easy;

    if (o == NULL || util_empty(o->url)) {
        *err = xstrdup("e-mail is not configured (smtp_url)");
        return -1;
    }
    x->body = chan_smtp_message(m, o->from, util_now_ms());
    x->len = strlen(x->body);
    x->list = curl_slist_append(x->list, m->addr);
    curl_easy_setopt(c, CURLOPT_URL, o->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, o->from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, x->list);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, x);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    if (o->starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (!util_empty(o->user)) {
        curl_easy_setopt(c, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, o->password != NULL ? o->password : "");
    }
    return 0;
}

chan_rc_t
chan_smtp_finish(chan_xfer_t *x, CURLcode cc, char **err)
{
    if (cc == CURLE_OK)
        return CHAN_OK;
    *err = xasprintf("smtp: %s", x->cerr[0] != '\0' ? x->cerr : curl_easy_strerror(cc));
    return CHAN_FAILED;
}
