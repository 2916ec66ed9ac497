/*
 * chan_http: the HTTP channels through libcurl. Every request is a POST of JSON (UTF-8, no
 * \u escapes) with the header `Idempotency-Key: <seq>-<recipient>`, so a receiver can drop a
 * repeat after a crash between sending and recording:
 *   webhook   the notification document itself (README.md "Notifier" documents the schema);
 *   wecom     {"msgtype":"markdown","markdown":{"content":"**TITLE**\nTEXT"}};
 *   dingtalk  {"msgtype":"markdown","markdown":{"title":TITLE,"text":"### TITLE\nTEXT"}}.
 * A contact with webhook_format = alertmanager gets, on the webhook, Alertmanager's webhook v4
 * document instead (one alert per notice or digest item), for existing Alertmanager bridges.
 * Success is a 2xx answer; the robots also answer 200 with a non-zero "errcode" for a refusal
 * (a bad key, a rate limit), which counts as a failure with their "errmsg", except the rate
 * limits (DingTalk 130101, WeCom 45009): CHAN_WAIT, to try again later without fault.
 *
 * A contact's keyword (a keyword-protected robot) is added to the text when the text lacks it;
 * a DingTalk robot with a 加签 secret gets `timestamp` and `sign` on its URL at each attempt.
 */
#ifndef PERMIT_CHAN_HTTP_H
#define PERMIT_CHAN_HTTP_H

#include "channel.h"

#include <curl/curl.h>
#include <stdint.h>

/* The URL a message is posted to at now_ms (a DingTalk robot's signed). Caller owns. */
char *chan_http_url(const chan_msg_t *m, int64_t now_ms);

/* The body a message gets on its channel. Caller owns. */
char *chan_http_body(const chan_msg_t *m);

/*
 * The request headers for body at now_ms: Content-Type, Idempotency-Key, and for a webhook
 * whose contact has a webhook_secret the Standard Webhooks webhook-id (the idempotency key),
 * webhook-timestamp (seconds) and webhook-signature ("v1,..."). Caller frees the list.
 */
struct curl_slist *chan_http_headers(const chan_msg_t *m, const char *body, int64_t now_ms);

/* Set up x->easy to send m (x->body and x->list are the transfer's, freed by the pool). */
void chan_http_setup(chan_xfer_t *x, const chan_msg_t *m);
/* The outcome of a finished transfer; *err (caller owns) unless CHAN_OK; *acked_by likewise. */
chan_rc_t chan_http_finish(chan_xfer_t *x, CURLcode cc, char **err, char **acked_by);

#endif
