/*
 * chan_http: the HTTP channels through libcurl. Every request is a POST of JSON (UTF-8, no
 * \u escapes) with the header `Idempotency-Key: <seq>-<recipient>`, so a receiver can drop a
 * repeat after a crash between sending and recording:
 *   webhook   the notification document itself (README.md "Notifier" documents the schema);
 *   wecom     {"msgtype":"markdown","markdown":{"content":"**TITLE**\nTEXT"}};
 *   dingtalk  {"msgtype":"markdown","markdown":{"title":TITLE,"text":"### TITLE\nTEXT"}}.
 * Success is a 2xx answer; the robots also answer 200 with a non-zero "errcode" for a refusal
 * (a bad key, a rate limit), which counts as a failure with their "errmsg".
 */
#ifndef PERMIT_CHAN_HTTP_H
#define PERMIT_CHAN_HTTP_H

#include "channel.h"

/* The body a message gets on its channel. Caller owns. */
char *chan_http_body(const chan_msg_t *m);

int chan_http_send(const chan_msg_t *m, char **err);

#endif
