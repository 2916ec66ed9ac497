/*
 * chan_smtp: see chan_smtp.h.
 */
#include "chan_smtp.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "ntmpl.h"
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
chan_smtp_from(const char *name, const char *addr)
{
    buf_t b = {0};
    char *word;

    if (util_empty(name))
        return xstrdup(addr);
    /* An encoded word stands unquoted (RFC 2047 5.3); plain ASCII goes as a quoted string. */
    word = chan_smtp_encode_header(name);
    if (strncmp(word, "=?", 2) == 0) {
        buf_str(&b, word);
    } else {
        buf_str(&b, "\"");
        for (const char *p = name; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                buf_str(&b, "\\");
            buf_add(&b, p, 1);
        }
        buf_str(&b, "\"");
    }
    free(word);
    buf_str(&b, " <");
    buf_str(&b, addr);
    buf_str(&b, ">");
    return b.p;
}

/* A MIME part of UTF-8 text in base64 (so no relay can mangle 8-bit text). */
static void
text_part(buf_t *b, const char *type, const char *text)
{
    buf_str(b, "Content-Type: ");
    buf_str(b, type);
    buf_str(b, "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    base64(b, (const unsigned char *)text, strlen(text), true);
}

/*
 * The boundary of the two parts: "=_" occurs in no base64 text, so it cannot appear inside a
 * part (RFC 2045's own suggestion).
 */
#define BOUNDARY "=_permit-notify_alt"

char *
chan_smtp_message(const chan_msg_t *m, const char *from, const char *from_name, int64_t now_ms)
{
    buf_t b = {0};
    char date[64], *subject = chan_smtp_encode_header(m->title), *line, *html;
    char *sender = chan_smtp_from(from_name, from), *etitle;
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    /* Auto-Submitted (RFC 3834): no vacation reply or other automatic answer comes back. */
    line = xasprintf("Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n"
                     "Message-ID: <%s@permit-notify>\r\nAuto-Submitted: auto-generated\r\n"
                     "MIME-Version: 1.0\r\n",
                     date, sender, m->addr, subject, m->key);
    buf_str(&b, line);
    free(line);
    if (m->html == NULL) {
        text_part(&b, "text/plain", m->text);
    } else {
        /* The title is the e-mail's text-rendered one: escaped whole for the HTML part. */
        etitle = ntmpl_escape(m->title, NTMPL_ESC_HTML);
        html = xasprintf("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>"
                         "</head>\n<body><div style=\"white-space: pre-wrap\">%s</div></body>"
                         "</html>\n",
                         etitle, m->html);
        buf_str(&b, "Content-Type: multipart/alternative; boundary=\"" BOUNDARY "\"\r\n\r\n"
                    "--" BOUNDARY "\r\n");
        text_part(&b, "text/plain", m->text);
        buf_str(&b, "--" BOUNDARY "\r\n");
        text_part(&b, "text/html", html);
        buf_str(&b, "--" BOUNDARY "--\r\n");
        free(html);
        free(etitle);
    }
    free(sender);
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
        *err = xstrdup(_("e-mail is not configured (smtp_url)"));
        return -1;
    }
    x->body = chan_smtp_message(m, o->from, o->from_name, util_now_ms());
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
    *err = xasprintf(_("smtp: %s"), x->cerr[0] != '\0' ? x->cerr : curl_easy_strerror(cc));
    return CHAN_FAILED;
}
