/*
 * chan_http: see chan_http.h.
 */
#include "chan_http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "entryfmt.h"
#include "util.h"

static size_t
on_reply(char *data, size_t size, size_t nmemb, void *arg)
{
    chan_xfer_t *x = arg;
    size_t n = size * nmemb, room = sizeof(x->reply) - 1 - x->reply_len;

    memcpy(x->reply + x->reply_len, data, n < room ? n : room);
    x->reply_len += n < room ? n : room;
    x->reply[x->reply_len] = '\0';
    return n;
}

char *
chan_http_body(const chan_msg_t *m)
{
    json_t *doc, *md;
    char *out, *text;

    if (m->chan == CHAN_WEBHOOK)
        return xstrdup(m->payload);
    md = json_object();
    if (m->chan == CHAN_WECOM) {
        text = xasprintf("**%s**\n%s", m->title, m->text);
        json_object_set_new(md, "content", json_string(text));
    } else {
        text = xasprintf("### %s\n%s", m->title, m->text);
        json_object_set_new(md, "title", json_string(m->title));
        json_object_set_new(md, "text", json_string(text));
    }
    free(text);
    doc = json_object();
    json_object_set_new(doc, "msgtype", json_string("markdown"));
    json_object_set_new(doc, "markdown", md);
    out = entryfmt_dump(doc);
    json_decref(doc);
    return out;
}

/* A robot's refusal inside a 200 answer: CHAN_FAILED, or CHAN_WAIT for a rate limit. */
static chan_rc_t
check_robot_reply(const chan_xfer_t *x, char **err)
{
    json_t *j = json_loadb(x->reply, x->reply_len, 0, NULL);
    json_t *code = j != NULL ? json_object_get(j, "errcode") : NULL;
    chan_rc_t rc = CHAN_OK;

    if (json_is_integer(code) && json_integer_value(code) != 0) {
        const char *msg = json_string_value(json_object_get(j, "errmsg"));
        json_int_t c = json_integer_value(code);
        *err = xasprintf("robot %s: errcode %lld: %s",
                         c == CHAN_DINGTALK_THROTTLED || c == CHAN_WECOM_THROTTLED ? "throttled"
                                                                                   : "refused",
                         (long long)c, msg != NULL ? msg : "");
        rc = c == CHAN_DINGTALK_THROTTLED || c == CHAN_WECOM_THROTTLED ? CHAN_WAIT : CHAN_FAILED;
    }
    json_decref(j);
    return rc;
}

/* A receiver that acknowledges in its reply: {"ack": true, "by": "张伟"}. */
static void
read_ack(const chan_xfer_t *x, char **acked_by)
{
    json_t *j = json_loadb(x->reply, x->reply_len, 0, NULL);
    const char *by;

    if (j != NULL && json_is_true(json_object_get(j, "ack"))) {
        by = json_string_value(json_object_get(j, "by"));
        *acked_by = xstrdup(!util_empty(by) && util_utf8_valid(by, strlen(by)) ? by : "webhook");
    }
    json_decref(j);
}

void
chan_http_setup(chan_xfer_t *x, const chan_msg_t *m)
{
    CURL *c = x->easy;
    char *key = xasprintf("Idempotency-Key: %s", m->key);

    x->body = chan_http_body(m);
    x->len = strlen(x->body);
    x->list = curl_slist_append(x->list, "Content-Type: application/json; charset=utf-8");
    x->list = curl_slist_append(x->list, key);
    free(key);
    curl_easy_setopt(c, CURLOPT_URL, m->addr);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->list);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)x->len);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "permit-notify/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
}

chan_rc_t
chan_http_finish(chan_xfer_t *x, CURLcode cc, char **err, char **acked_by)
{
    long status = 0;
    chan_rc_t rc;

    if (cc != CURLE_OK) {
        *err = xasprintf("%s", x->cerr[0] != '\0' ? x->cerr : curl_easy_strerror(cc));
        return CHAN_FAILED;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        strtok(x->reply, "\r\n");
        *err = xasprintf("HTTP %ld: %.200s", status, x->reply);
        util_utf8_trim(*err);
        return CHAN_FAILED;
    }
    if (x->chan != CHAN_WEBHOOK && (rc = check_robot_reply(x, err)) != CHAN_OK)
        return rc;
    if (x->chan == CHAN_WEBHOOK && x->want_ack)
        read_ack(x, acked_by);
    return CHAN_OK;
}
