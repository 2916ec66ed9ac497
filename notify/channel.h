/*
 * channel: how one notification reaches one address. Owns the channel names and the dispatch
 * to the three transports: HTTP (chan_http.h: the generic webhook and the WeCom and DingTalk
 * robots), SMTP (chan_smtp.h) and a local command (chan_cmd.h).
 *
 * HTTP and SMTP attempts run concurrently on one curl multi handle (chan_pool_t) that the
 * notifier's single-threaded loop drives, each bounded by its own timeout, so one receiver that
 * never answers delays only its own deliveries. A command runs synchronously, bounded by the
 * same timeout. Every result is 0 or -1 with a one-line reason the delivery record keeps as its
 * last error, and tells a robot's rate-limit answer apart (CHAN_WAIT: not a failure).
 */
#ifndef PERMIT_CHANNEL_H
#define PERMIT_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

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
    const char *from_name; /* the display name; "" or NULL: none */
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
    const char *webhook_format;  /* "alertmanager": the webhook gets Alertmanager's v4 body */
} chan_contact_t;

/* One attempt: what to send, where. Everything borrowed. */
typedef struct chan_msg {
    chan_kind_t chan;
    const char *addr;
    const char *key;     /* idempotency key: "<seq>-<recipient>" */
    const char *title;   /* subject / robot title */
    const char *text;    /* markdown body */
    const char *payload; /* the notification as JSON (webhook body, command stdin) */
    const char *html;    /* e-mail: the body as HTML, values escaped for it (NULL: text only) */
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

/* An attempt's outcome. */
typedef enum chan_rc {
    CHAN_OK = 0,
    CHAN_FAILED = -1,
    CHAN_WAIT = 1, /* a robot's rate limit (DingTalk 130101, WeCom 45009): try later, no fault */
} chan_rc_t;

/* The robots' rate-limit error codes. */
#define CHAN_DINGTALK_THROTTLED 130101
#define CHAN_WECOM_THROTTLED 45009

/* In-flight HTTP and SMTP attempts. */
typedef struct chan_pool chan_pool_t;

/* What one finished attempt gives back to chan_pool_step's callback. Borrowed for the call. */
typedef struct chan_done {
    int64_t tag;          /* the caller's tag (the delivery id) */
    const char *dest;     /* "CHAN ADDR" */
    chan_rc_t rc;         /* CHAN_OK, CHAN_FAILED or CHAN_WAIT */
    const char *err;      /* the reason when not CHAN_OK */
    const char *acked_by; /* a webhook's reply acknowledged it: by whom; else NULL */
} chan_done_t;

typedef void(chan_done_fn)(void *arg, const chan_done_t *d);

chan_pool_t *chan_pool_new(void);
/* Abandon whatever is in flight (its records stay pending) and free the pool. */
void chan_pool_destroy(chan_pool_t **p);
/*
 * Start one HTTP or SMTP attempt of m (copied), tagged. 0, or -1 with *err (caller owns) when
 * it cannot even start (not an HTTP or SMTP channel, e-mail not configured).
 */
int chan_pool_start(chan_pool_t *pool, const chan_msg_t *m, int64_t tag, char **err);
/* Attempts in flight, all or to one destination ("CHAN ADDR"). */
size_t chan_pool_count(const chan_pool_t *pool);
bool chan_pool_busy(const chan_pool_t *pool, const char *dest);
/*
 * Wait at most wait_ms for activity on the transfers (0: only look), move them on and report
 * each finished one to fn. Returns at once when nothing is in flight.
 */
void chan_pool_step(chan_pool_t *pool, int wait_ms, chan_done_fn *fn, void *arg);

/* A socket the transfers wait on, for a caller's own poll: readable, writable or both. */
typedef struct chan_pollfd {
    int fd;
    bool in, out;
} chan_pollfd_t;
/*
 * The sockets the transfers in flight wait on, at most max into out (how many), and in
 * *timeout_ms how long they may wait at most (-1: no limit of theirs). 0 sockets with
 * transfers in flight (a name being resolved, a connection not yet started) means the
 * caller should come back within a few ms, as chan_pool_step's own wait would. A caller
 * that polls these then calls chan_pool_step(pool, 0, ...).
 */
size_t chan_pool_fds(chan_pool_t *pool, chan_pollfd_t *out, size_t max, long *timeout_ms);
/*
 * One transfer in flight, shared by the pool and the transports that set it up (chan_http,
 * chan_smtp) and read its result. Owned by the pool.
 */
#define CHAN_REPLY_MAX 4096
typedef struct chan_xfer {
    CURL *easy;
    chan_kind_t chan;
    int64_t tag;
    char *dest;
    bool want_ack;
    char *body; /* the request body or the mail, sent from `off` */
    size_t off, len;
    struct curl_slist *list;    /* HTTP headers or SMTP recipients */
    char reply[CHAN_REPLY_MAX]; /* the answer's first bytes */
    size_t reply_len;
    char cerr[CURL_ERROR_SIZE];
} chan_xfer_t;

/* "CHAN ADDR", the key of a destination's queue. Caller owns. */
char *chan_dest(const char *chan, const char *addr);

#endif
