/*
 * routes: the routing file, which says who hears about what and how to reach them. INI
 * (libinih); README.md "Notifier" and deploy/routes.conf document it:
 *
 *   [route]                       the defaults: a route key = recipient tokens
 *   unblocked = dept, steward
 *   colour.red = steward, leader
 *   [route region=科尔沁区]        overrides for one region, one department, or both
 *   [route dept=HCB]
 *   [route region=科尔沁区 dept=HCB]
 *   [escalation]
 *   ladder = steward, section, leader
 *   [contact 其木格]               a person, a role or a group: its channels and addresses
 *   wecom = https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
 *   email = qimuge@example.gov.cn
 *   dingtalk_secret = SEC...     settings of the contact's robots (chan_contact_t)
 *   keyword = 联审联批
 *   webhook_format = alertmanager   the webhook as Alertmanager's v4 document
 *
 * A route key is an entry's kind, with the colour for colour entries ("colour.red"). The most
 * specific section that has the exact key wins (region and dept, then dept, then region, then
 * the defaults); with no rule for "colour.red" at all, "colour" is looked up the same way.
 * Recipient tokens: steward and leader (the project's, by name), dept (contact "dept:CODE"),
 * section (contact "section:CODE", the department's head of section), anything else a contact
 * by that name.
 */
#ifndef PERMIT_ROUTES_H
#define PERMIT_ROUTES_H

#include "channel.h"
#include "util.h"

typedef struct routes routes_t;

/* One address of a contact on one channel. */
typedef struct route_addr {
    chan_kind_t chan;
    const char *addr; /* borrowed from the routes */
} route_addr_t;

/* What a recipient token is resolved against: the entry's project and department. */
typedef struct route_ctx {
    const char *steward;
    const char *leader;
    const char *dept;
} route_ctx_t;

/*
 * Whether v is a valid address on channel k: e-mail ASCII local@domain with no space, control,
 * quote, bracket, comma or semicolon (nothing that could end an SMTP command or a header);
 * webhook, wecom, dingtalk an http:// or https:// URL with no space or control character;
 * command a line with no control character. 0, or -1 with why (static).
 */
int routes_check_addr(chan_kind_t k, const char *v, const char **why);

/*
 * Read a routing file. Every address and setting is checked (routes_check_addr, and settings
 * for theirs). NULL with "FILE:LINE: reason" in *err (caller owns).
 */
routes_t *routes_load(const char *path, char **err);
void routes_destroy(routes_t **p);

/* The route key of an entry kind (and colour name, NULL if none) into buf. Returns buf. */
char *routes_key(const char *kind, const char *colour, char *buf, size_t len);

/* The recipient tokens for a key, region and department; NULL when nothing routes it. */
const strv_t *routes_lookup(const routes_t *r, const char *key, const char *region,
                            const char *dept);

/* The escalation ladder (empty when not configured). */
const strv_t *routes_ladder(const routes_t *r);

/*
 * The contact name a token stands for in ctx, or NULL when the entry lacks what it needs (no
 * steward, say). Caller owns.
 */
char *routes_resolve(const char *token, const route_ctx_t *ctx);

/*
 * The addresses of a contact: up to `max` into out, returns how many (0: unknown contact or
 * no channels).
 */
size_t routes_contact(const routes_t *r, const char *name, route_addr_t *out, size_t max);

/* A contact's settings besides its addresses (all NULL for an unknown contact). Borrowed. */
chan_contact_t routes_contact_info(const routes_t *r, const char *name);

#endif
