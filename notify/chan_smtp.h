/*
 * chan_smtp: e-mail through libcurl's SMTP client: STARTTLS (required when configured) and
 * login when a user is configured. The message is UTF-8 end to end: the subject as RFC 2047
 * encoded words, the body text/plain; charset=UTF-8 in base64 (so no relay can mangle 8-bit
 * text), and a Message-ID built from the idempotency key so a mail client can spot repeats.
 * The sender shows a display name (smtp_from_name), the message says Auto-Submitted (no
 * out-of-office replies), and an HTML part (values escaped for HTML when rendered) stands
 * beside the text as multipart/alternative.
 */
#ifndef PERMIT_CHAN_SMTP_H
#define PERMIT_CHAN_SMTP_H

#include <stdint.h>

#include "channel.h"

/*
 * The whole message (headers and body, CRLF line ends) for m->addr at time now_ms: From with
 * the display name, Auto-Submitted: auto-generated, and when m->html is set a
 * multipart/alternative of the text and an HTML document around m->html. Caller owns.
 */
char *chan_smtp_message(const chan_msg_t *m, const char *from, const char *from_name,
                        int64_t now_ms);

/* "NAME <addr>" with NAME as RFC 2047 words or a quoted string; addr alone without a name. */
char *chan_smtp_from(const char *name, const char *addr);

/* An RFC 2047 encoded-word sequence for a header value (ASCII is left as it is). Caller owns. */
char *chan_smtp_encode_header(const char *value);

/* Set up x->easy to mail m: -1 with *err (caller owns) when e-mail is not configured. */
int chan_smtp_setup(chan_xfer_t *x, const chan_msg_t *m, char **err);
chan_rc_t chan_smtp_finish(chan_xfer_t *x, CURLcode cc, char **err);

#endif
