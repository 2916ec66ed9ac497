/*
 * channel: how one notification reaches one address. Owns the channel names and the dispatch
 * to the three transports: HTTP (chan_http.h: the generic webhook and the WeCom and DingTalk
 * robots), SMTP (chan_smtp.h) and a local command (chan_cmd.h).
 *
 * Every attempt is synchronous and bounded by the configured timeout; its result is 0 or -1
 * with a one-line reason the delivery record keeps as its last error.
 */
#ifndef PERMIT_CHANNEL_H
#define PERMIT_CHANNEL_H

#include <stddef.h>

typedef enum chan_kind {
    CHAN_WEBHOOK,  /* HTTP POST of the notification JSON */
    CHAN_WECOM,    /* 企业微信 group robot: markdown */
    CHAN_DINGTALK, /* 钉钉 custom robot: markdown */
    CHAN_EMAIL,    /* SMTP */
    CHAN_COMMAND,  /* a program with the notification JSON on stdin */
    CHAN__COUNT
} chan_kind_t;

const char *chan_name(chan_kind_t k);
int chan_parse(const char *name, chan_kind_t *out);
/* "webhook, wecom, dingtalk, email, command" (static). */
const char *chan_names(void);

/* SMTP settings, borrowed from the config. */
typedef struct chan_smtp_opts {
    const char *url; /* "" or NULL: e-mail disabled */
    const char *from;
    const char *user;
    const char *password;
    int starttls;
} chan_smtp_opts_t;

/*
 * What the routing file says about a contact besides its addresses (routes.h); NULL for what
 * it does not say. Borrowed.
 */
typedef struct chan_contact {
    const char *dingtalk_secret; /* 加签: the robot's SEC... secret; the URL gets a sign */
    const char *keyword;         /* a keyword-protected robot: always in the text */
    const char *mobile;          /* pinged on DingTalk (atMobiles and @mobile in the text) */
    const char *wecom_userid;    /* pinged on WeCom: <@userid> */
    const char *dingtalk_userid; /* pinged on DingTalk: atUserIds and @userid */
    const char *webhook_secret;  /* whsec_...: Standard Webhooks signature on the webhook */
} chan_contact_t;

/* One attempt: what to send, where. Everything borrowed. */
typedef struct chan_msg {
    chan_kind_t chan;
    const char *addr;
    const char *key;     /* idempotency key: "<seq>-<recipient>" */
    const char *title;   /* subject / robot title */
    const char *text;    /* markdown body */
    const char *payload; /* the notification as JSON (webhook body, command stdin) */
    int timeout_ms;
    const chan_smtp_opts_t *smtp;
    chan_contact_t who; /* the recipient's contact settings (all NULL: none) */
    int mention;        /* ping the contact (red items, breaches, escalations) */
    /* Out, optional: a generic webhook's 2xx reply {"ack": true, "by": NAME} acknowledges the
     * notification; *acked_by is then who (NAME, or "webhook"), caller owns. */
    char **acked_by;
} chan_msg_t;

/*
 * An address as it may be shown (history, status, logs): a URL's query values (a WeCom robot's
 * key=, a DingTalk robot's access_token=, any token=) and the password of its user info become
 * "***"; anything else is returned as is. The one redaction every printer uses. Caller owns.
 */
char *chan_redact_addr(const char *addr);

/* Global set-up and tear-down of the transports (libcurl), once per process. */
int chan_init(void);
void chan_fini(void);

/* Deliver once. 0, or -1 with a reason in *err (caller owns). */
int chan_send(const chan_msg_t *m, char **err);

#endif
