/*
 * chan_http: see chan_http.h.
 */
#include "chan_http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entryfmt.h"
#include "i18n.h"
#include "nsign.h"
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
chan_http_url(const chan_msg_t *m, int64_t now_ms)
{
    CURL *c;
    char *sign, *enc, *out;

    if (m->chan != CHAN_DINGTALK || util_empty(m->who.dingtalk_secret))
        return xstrdup(m->addr);
    /* DingTalk accepts a sign within an hour of its timestamp: made at each attempt. */
    sign = nsign_dingtalk(m->who.dingtalk_secret, now_ms);
    c = curl_easy_init();
    enc = c != NULL ? curl_easy_escape(c, sign, 0) : NULL;
    out = xasprintf("%s%ctimestamp=%lld&sign=%s", m->addr, strchr(m->addr, '?') ? '&' : '?',
                    (long long)now_ms, enc != NULL ? enc : "");
    curl_free(enc);
    if (c != NULL)
        curl_easy_cleanup(c);
    free(sign);
    return out;
}

/*
 * The robot's markdown: title, text, the pings (WeCom: <@userid>; DingTalk: @mobile and
 * @userid, which its markdown needs in the text beside the "at" object) and the keyword a
 * keyword-protected robot requires.
 */
static char *
robot_text(const chan_msg_t *m, const char *pre, const char *post)
{
    const chan_contact_t *w = &m->who;
    const char *kw = w->keyword;
    bool need_kw = !util_empty(kw) && strstr(m->title, kw) == NULL && strstr(m->text, kw) == NULL;
    char *at = xstrdup(""), *more, *out;

    if (m->mention && m->chan == CHAN_WECOM && !util_empty(w->wecom_userid)) {
        more = xasprintf("%s <@%s>", at, w->wecom_userid);
        free(at);
        at = more;
    }
    if (m->mention && m->chan == CHAN_DINGTALK) {
        more = xasprintf("%s%s%s%s%s", at, util_empty(w->mobile) ? "" : " @",
                         util_empty(w->mobile) ? "" : w->mobile,
                         util_empty(w->dingtalk_userid) ? "" : " @",
                         util_empty(w->dingtalk_userid) ? "" : w->dingtalk_userid);
        free(at);
        at = more;
    }
    out = xasprintf("%s%s%s\n%s%s%s%s%s", pre, m->title, post, m->text, at[0] ? "\n\n" : "", at,
                    need_kw ? "\n\n" : "", need_kw ? kw : "");
    free(at);
    return out;
}

/* DingTalk's "at" object: who the message pings. */
static json_t *
dingtalk_at(const chan_msg_t *m)
{
    json_t *at = json_object(), *mobiles = json_array(), *ids = json_array();

    if (m->mention && !util_empty(m->who.mobile))
        json_array_append_new(mobiles, json_string(m->who.mobile));
    if (m->mention && !util_empty(m->who.dingtalk_userid))
        json_array_append_new(ids, json_string(m->who.dingtalk_userid));
    json_object_set_new(at, "atMobiles", mobiles);
    json_object_set_new(at, "atUserIds", ids);
    json_object_set_new(at, "isAtAll", json_false());
    return at;
}

/* A payload field as a string ("" when absent or not a string). */
static const char *
field(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));

    return v != NULL ? v : "";
}

/*
 * Alertmanager's severity for a route key: red items, breaches and escalations are "red",
 * yellow ones "yellow", everything else "info".
 */
static const char *
am_severity(const char *route)
{
    size_t n = strlen(route);

    if ((n >= 4 && strcmp(route + n - 4, ".red") == 0) ||
        strcmp(route, "commitment_breached") == 0 || strcmp(route, "escalation") == 0)
        return "red";
    if (n >= 7 && strcmp(route + n - 7, ".yellow") == 0)
        return "yellow";
    return "info";
}

/* RFC 3339 from the payload's "2026-11-22 08:30:00+08:00" (else now_ms, UTC). */
static char *
am_time(const char *local, int64_t now_ms)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    char buf[32], *out;

    if (strlen(local) == 25 && local[10] == ' ') {
        out = xstrdup(local);
        out[10] = 'T';
        return out;
    }
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

/*
 * One alert of the v4 document. Its labels say what it is about (the route key's kind as
 * alertname), so a bridge's grouping and a fingerprint over them stay stable across repeats.
 */
static json_t *
am_alert(const char *route, const char *project, const char *procedure, const char *dept,
         const char *title, const char *text, const char *starts)
{
    json_t *a = json_object(), *labels = json_object(), *ann = json_object();
    bool resolved = strlen(route) > 6 && strcmp(route + strlen(route) - 6, ".green") == 0;
    char kind[64], *fp_src, fp[17];

    snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(route, "."), route);
    json_object_set_new(labels, "alertname", json_string(kind));
    json_object_set_new(labels, "project", json_string(project));
    json_object_set_new(labels, "procedure", json_string(procedure));
    json_object_set_new(labels, "dept", json_string(dept));
    json_object_set_new(labels, "severity", json_string(am_severity(route)));
    json_object_set_new(ann, "summary", json_string(title));
    json_object_set_new(ann, "description", json_string(text));
    fp_src = xasprintf("%s\x1f%s\x1f%s\x1f%s", kind, project, procedure, dept);
    snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)util_hash(fp_src));
    free(fp_src);
    json_object_set_new(a, "status", json_string(resolved ? "resolved" : "firing"));
    json_object_set_new(a, "labels", labels);
    json_object_set_new(a, "annotations", ann);
    json_object_set_new(a, "startsAt", json_string(starts));
    /* Alertmanager's zero time says "still firing"; a resolved alert ends when it is sent. */
    json_object_set_new(a, "endsAt", json_string(resolved ? starts : "0001-01-01T00:00:00Z"));
    json_object_set_new(a, "generatorURL", json_string(""));
    json_object_set_new(a, "fingerprint", json_string(fp));
    return a;
}

/*
 * The notification as Alertmanager's webhook v4 document, for the bridges people already run
 * (prometheus-webhook-dingtalk and the like): one alert, or one per item of a digest.
 */
static char *
am_body(const chan_msg_t *m, int64_t now_ms)
{
    json_t *p = json_loads(m->payload, 0, NULL), *vars, *items, *doc, *alerts, *labels;
    const char *route, *project, *status = "resolved";
    char *starts, *gk, *out;
    size_t i;
    json_t *it;

    if (p == NULL)
        return xstrdup(m->payload);
    vars = json_object_get(p, "vars");
    route = field(p, "route");
    project = field(vars, "project");
    starts = am_time(field(vars, "time"), now_ms);
    alerts = json_array();
    items = json_object_get(p, "items");
    if (json_is_array(items)) {
        json_array_foreach(items, i, it) json_array_append_new(
            alerts, am_alert(field(it, "route"), field(it, "project"), field(it, "procedure"), "",
                             field(it, "title"), field(it, "text"), starts));
    } else {
        json_array_append_new(alerts, am_alert(route, project, field(vars, "procedure"),
                                               field(vars, "dept"), field(p, "title"),
                                               field(p, "text"), starts));
    }
    json_array_foreach(alerts, i, it) if (strcmp(field(it, "status"), "firing") == 0) status =
        "firing";
    labels = json_object();
    if (!json_is_array(items))
        json_object_set_new(labels, "project", json_string(project));
    gk = xasprintf("{}:{recipient=\"%s\",project=\"%s\"}", field(p, "recipient"),
                   json_is_array(items) ? "" : project);
    doc = json_object();
    json_object_set_new(doc, "version", json_string("4"));
    json_object_set_new(doc, "groupKey", json_string(gk));
    json_object_set_new(doc, "truncatedAlerts", json_integer(0));
    json_object_set_new(doc, "status", json_string(status));
    json_object_set_new(doc, "receiver", json_string(field(p, "recipient")));
    json_object_set_new(doc, "groupLabels", labels);
    json_object_set(doc, "commonLabels", labels);
    json_object_set_new(doc, "commonAnnotations", json_object());
    json_object_set_new(doc, "externalURL", json_string(""));
    json_object_set_new(doc, "alerts", alerts);
    out = entryfmt_dump(doc);
    free(gk);
    free(starts);
    json_decref(doc);
    json_decref(p);
    return out;
}

char *
chan_http_body(const chan_msg_t *m)
{
    json_t *doc, *md;
    char *out, *text;

    if (m->chan == CHAN_WEBHOOK && !util_empty(m->who.webhook_format) &&
        strcmp(m->who.webhook_format, "alertmanager") == 0)
        return am_body(m, util_now_ms());
    if (m->chan == CHAN_WEBHOOK)
        return xstrdup(m->payload);
    md = json_object();
    if (m->chan == CHAN_WECOM) {
        text = robot_text(m, "**", "**");
        json_object_set_new(md, "content", json_string(text));
    } else {
        text = robot_text(m, "### ", "");
        json_object_set_new(md, "title", json_string(m->title));
        json_object_set_new(md, "text", json_string(text));
    }
    free(text);
    doc = json_object();
    json_object_set_new(doc, "msgtype", json_string("markdown"));
    json_object_set_new(doc, "markdown", md);
    if (m->chan == CHAN_DINGTALK)
        json_object_set_new(doc, "at", dingtalk_at(m));
    out = entryfmt_dump(doc);
    json_decref(doc);
    return out;
}

struct curl_slist *
chan_http_headers(const chan_msg_t *m, const char *body, int64_t now_ms)
{
    struct curl_slist *h = NULL;
    char *line = xasprintf("Idempotency-Key: %s", m->key), *sig = NULL;

    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    h = curl_slist_append(h, line);
    free(line);
    /* The secret was checked at load; the message id is the idempotency key, as the
     * specification asks (the same for every attempt of one delivery). */
    if (m->chan == CHAN_WEBHOOK && !util_empty(m->who.webhook_secret) &&
        nsign_webhook(m->who.webhook_secret, m->key, now_ms / 1000, body, &sig) == 0) {
        line = xasprintf("webhook-id: %s", m->key);
        h = curl_slist_append(h, line);
        free(line);
        line = xasprintf("webhook-timestamp: %lld", (long long)(now_ms / 1000));
        h = curl_slist_append(h, line);
        free(line);
        line = xasprintf("webhook-signature: %s", sig);
        h = curl_slist_append(h, line);
        free(line);
        free(sig);
    }
    return h;
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
        *err = xasprintf(_("robot %s: errcode %lld: %s"),
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
    int64_t now = util_now_ms();
    char *url;

    x->body = chan_http_body(m);
    x->len = strlen(x->body);
    x->list = chan_http_headers(m, x->body, now);
    /* libcurl copies the URL; a DingTalk robot's is signed for this attempt (now). */
    url = chan_http_url(m, now);
    curl_easy_setopt(c, CURLOPT_URL, url);
    free(url);
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
        *err = xasprintf(_("HTTP %ld: %.200s"), status, x->reply);
        util_utf8_trim(*err);
        return CHAN_FAILED;
    }
    if (x->chan != CHAN_WEBHOOK && (rc = check_robot_reply(x, err)) != CHAN_OK)
        return rc;
    if (x->chan == CHAN_WEBHOOK && x->want_ack)
        read_ack(x, acked_by);
    return CHAN_OK;
}
