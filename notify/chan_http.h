/*
 * chan_http: the HTTP channels through libcurl. Every request is a POST of JSON (UTF-8, no
 * \u escapes) with the header `Idempotency-Key: <seq>-<recipient>`, so a receiver can drop a
 * repeat after a crash between sending and recording:
 *   webhook   the notification document itself (README.md "Notifier" documents the schema);
 *   wecom     {"msgtype":"markdown","markdown":{"content":"**TITLE**\nTEXT"}};
 *   dingtalk  {"msgtype":"markdown","markdown":{"title":TITLE,"text":"### TITLE\nTEXT"}}.
 * Success is a 2xx answer; the robots also answer 200 with a non-zero "errcode" for a refusal
 * (a bad key, a rate limit), which counts as a failure with their "errmsg", except the rate
 * limits (DingTalk 130101, WeCom 45009): CHAN_WAIT, to try again later without fault.
 */
#ifndef PERMIT_CHAN_HTTP_H
#define PERMIT_CHAN_HTTP_H

#include "channel.h"

/* The body a message gets on its channel. Caller owns. */
char *chan_http_body(const chan_msg_t *m);

/* Set up x->easy to send m (x->body and x->list are the transfer's, freed by the pool). */
void chan_http_setup(chan_xfer_t *x, const chan_msg_t *m);
/* The outcome of a finished transfer; *err (caller owns) unless CHAN_OK; *acked_by likewise. */
chan_rc_t chan_http_finish(chan_xfer_t *x, CURLcode cc, char **err, char **acked_by);

#endif
