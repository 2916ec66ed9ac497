/*
 * acct: who is signed in to permit-web and what they may do: the login and logout forms, the
 * one-tap ack links /ack/TOKEN that the notifier sends, and the ack buttons of signed-in
 * accounts on the pages (docs/web.md "Accounts and acks").
 *
 * Accounts, sessions, the login limit and the ack tokens are web/auth/ and common/acktoken.h;
 * this module puts them on routes. Pages stay readable without a login; what changes something
 * is a POST form:
 *
 *   GET  /login, POST /login   the form; its CSRF token is a pre-session cookie (LOGIN_COOKIE,
 *                              SameSite=Strict) that must equal the form's hidden field;
 *                              one answer for an unknown name and a wrong password; the login
 *                              limit per address and per name answers 429 with Retry-After
 *   POST /logout               the session's CSRF token
 *   GET  /ack/TOKEN            what the alert is, and a confirm button (a POST: chat apps open
 *                              links to preview them, and a preview must not acknowledge)
 *   POST /ack/TOKEN            the token checked again, then an alert_ack entry (via web, the
 *                              token's recipient) sent to the broker; the token is the
 *                              capability, so this form needs no session and no CSRF token
 *   POST /alert-ack            a signed-in account's ack of the alert at seq: the session's
 *                              CSRF token, and webuser_may(role, ACK, the alert's department)
 *   GET  /api/me               {"user", "role", "csrf"}, or {"user": null}: the pages' header
 *
 * The ack goes to the broker's ingest socket with the common client (client.h) and a short
 * timeout (ACK_TIMEOUT_MS, one try): the loop is held up for at most that long per ack when
 * the broker is away, and the page says to try again. The broker logs one ack per alert, so a
 * second one (a link opened twice, two people) changes nothing and is shown as acknowledged
 * already, with the log seq of the first.
 */
#ifndef PERMIT_ACCT_H
#define PERMIT_ACCT_H

#include <stdbool.h>

#include "http.h"
#include "views.h"
#include "wcfg.h"

/* How long one ack waits for the broker's answer. */
#define ACK_TIMEOUT_MS 1500

typedef struct acct acct_t;

/*
 * Read the accounts file (a missing one is no account) and the ack key, as the daemon would:
 * strict refuses files readable by others (permit-web -n), otherwise a warning. 0, or -1 with
 * *err (caller owns).
 */
int acct_check_files(const wcfg_t *cfg, bool strict, char **err);

/* cfg, views and zctx are borrowed and outlive the acct. NULL with *err (caller owns). */
acct_t *acct_new(const wcfg_t *cfg, const views_t *views, void *zctx, char **err);
void acct_destroy(acct_t **p);

/* Add the routes above (before the API's). */
void acct_routes(acct_t *self, http_t *http);

/* SIGHUP: read the accounts file and the ack key again; the sessions of accounts removed or
 * changed (role or password) end. What cannot be read keeps the old one, with a warning. */
void acct_reload(acct_t *self);

#endif
