/*
 * routes: see routes.h. Rules and contacts are kept in arrays in file order; a city has tens of
 * rules and hundreds of contacts, so a linear scan per notification costs nothing next to the
 * HTTP request it leads to.
 */
#include "routes.h"

#include <errno.h>
#include <stdbool.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "nsign.h"
#include "util.h"

typedef struct rule {
    char *region; /* NULL: any */
    char *dept;   /* NULL: any */
    char *key;
    strv_t to;
} rule_t;

typedef struct contact {
    char *name;
    char *addr[CHAN__COUNT];
    char *dingtalk_secret;
    char *keyword;
    char *mobile;
    char *wecom_userid;
    char *dingtalk_userid;
    char *webhook_secret;
    char *webhook_format;
} contact_t;

/* The settings a [contact] section may hold besides channels: name and where it is kept. */
typedef struct setting {
    const char *name;
    size_t off;
} setting_t;

static const setting_t settings[] = {
    {"dingtalk_secret", offsetof(contact_t, dingtalk_secret)},
    {"keyword", offsetof(contact_t, keyword)},
    {"mobile", offsetof(contact_t, mobile)},
    {"wecom_userid", offsetof(contact_t, wecom_userid)},
    {"dingtalk_userid", offsetof(contact_t, dingtalk_userid)},
    {"webhook_secret", offsetof(contact_t, webhook_secret)},
    {"webhook_format", offsetof(contact_t, webhook_format)},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* No byte below 0x20 and no DEL: what ends a line, a header or an SMTP command. */
static bool
no_control(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Only bytes from the set, 1 to max of them. */
static bool
only_of(const char *v, const char *set, size_t max)
{
    size_t n = strlen(v);

    return n > 0 && n <= max && strspn(v, set) == n;
}

int
routes_check_addr(chan_kind_t k, const char *v, const char **why)
{
    const char *at;

    switch (k) {
    case CHAN_EMAIL:
        at = strchr(v, '@');
        if (!only_of(v,
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                     "!#$%&'*+-/=?^_`{|}~.@",
                     254) ||
            at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@') != NULL) {
            *why = "not an e-mail address (local@domain: ASCII, no space, control character, "
                   "quote, bracket, comma or semicolon)";
            return -1;
        }
        return 0;
    case CHAN_WEBHOOK:
    case CHAN_WECOM:
    case CHAN_DINGTALK:
        if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
            strchr(v, ' ') != NULL || !no_control(v)) {
            *why = "not a URL (http:// or https://, no space or control character)";
            return -1;
        }
        return 0;
    case CHAN_COMMAND:
        if (!no_control(v)) {
            *why = "a command is one line with no control character";
            return -1;
        }
        return 0;
    case CHAN__COUNT:
        break;
    }
    *why = "unknown channel";
    return -1;
}

/* A setting's value: 0, or -1 with why (static). */
static int
check_setting(const char *name, const char *v, const char **why)
{
    if (strcmp(name, "dingtalk_secret") == 0 && !only_of(v,
                                                         "abcdefghijklmnopqrstuvwxyz"
                                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                         "+/=_-",
                                                         256)) {
        *why = "a DingTalk secret is letters, digits and + / = _ -";
        return -1;
    }
    if (strcmp(name, "mobile") == 0 &&
        (!only_of(v + (v[0] == '+'), "0123456789-", 20) || strlen(v) < 5)) {
        *why = "a mobile number is digits (and -), with an optional leading +";
        return -1;
    }
    if (strstr(name, "_userid") != NULL &&
        !only_of(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-", 64)) {
        *why = "a user id is up to 64 letters, digits and _ . @ -";
        return -1;
    }
    if (strcmp(name, "webhook_secret") == 0 &&
        (strncmp(v, "whsec_", 6) != 0 || nsign_webhook(v, "x", 0, "", NULL) < 0)) {
        *why = "a Standard Webhooks secret is whsec_ and base64";
        return -1;
    }
    if (strcmp(name, "webhook_format") == 0 && strcmp(v, "permit-notify") != 0 &&
        strcmp(v, "alertmanager") != 0) {
        *why = "a webhook format is permit-notify or alertmanager";
        return -1;
    }
    if (!no_control(v)) {
        *why = "a control character (CR, LF, ...) in a setting";
        return -1;
    }
    return 0;
}

static char **
setting_slot(contact_t *c, const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return (char **)((char *)c + settings[i].off);
    return NULL;
}

struct routes {
    rule_t *rules;
    size_t nrules;
    contact_t *contacts;
    size_t ncontacts;
    strv_t ladder;
};

typedef struct load_ctx {
    routes_t *r;
    char *err;
} load_ctx_t;

static contact_t *
find_contact(const routes_t *r, const char *name)
{
    for (size_t i = 0; i < r->ncontacts; i++)
        if (strcmp(r->contacts[i].name, name) == 0)
            return &r->contacts[i];
    return NULL;
}

/* "route region=X dept=Y": the qualifiers; -1 for anything else after "route". */
static int
parse_route_section(const char *section, char **region, char **dept)
{
    strv_t parts = {0};
    int rc = 0;

    strv_split(&parts, section + 5, " \t");
    for (size_t i = 0; i < parts.n && rc == 0; i++) {
        if (strncmp(parts.v[i], "region=", 7) == 0 && parts.v[i][7] != '\0')
            xstrset(region, parts.v[i] + 7);
        else if (strncmp(parts.v[i], "dept=", 5) == 0 && parts.v[i][5] != '\0')
            xstrset(dept, parts.v[i] + 5);
        else
            rc = -1;
    }
    strv_clear(&parts);
    return rc;
}

static int
on_line(void *arg, const char *section, const char *name, const char *value)
{
    load_ctx_t *ctx = arg;
    routes_t *r = ctx->r;

    if (ctx->err != NULL)
        return 1; /* report the first error only */
    if (strcmp(section, "route") == 0 || strncmp(section, "route ", 6) == 0) {
        rule_t rule = {0};
        if (parse_route_section(section, &rule.region, &rule.dept) < 0) {
            ctx->err = xasprintf(_("[%s]: qualifiers are region=NAME and dept=CODE"), section);
            free(rule.region);
            free(rule.dept);
            return 0;
        }
        rule.key = xstrdup(name);
        strv_split(&rule.to, value, ", \t");
        r->rules = xgrow(r->rules, r->nrules, sizeof(*r->rules));
        r->rules[r->nrules++] = rule;
        return 1;
    }
    if (strcmp(section, "escalation") == 0) {
        if (strcmp(name, "ladder") != 0) {
            ctx->err = xasprintf(_("[escalation]: unknown key '%s' (ladder)"), name);
            return 0;
        }
        strv_clear(&r->ladder);
        strv_split(&r->ladder, value, ", \t");
        return 1;
    }
    if (strncmp(section, "contact ", 8) == 0 && section[8] != '\0') {
        const char *cname = section + 8;
        contact_t *c;
        const char *why = NULL;
        chan_kind_t k = CHAN__COUNT;
        bool setting = setting_slot(&(contact_t){0}, name) != NULL;
        if (!setting && chan_parse(name, &k) < 0) {
            ctx->err = xasprintf(_("[%s]: unknown channel or setting '%s' (%s; %s)"), section, name,
                                 chan_names(),
                                 "dingtalk_secret, keyword, mobile, wecom_userid, dingtalk_userid, "
                                 "webhook_secret, webhook_format");
            return 0;
        }
        if (util_empty(value)) {
            ctx->err = xasprintf(_("[%s]: %s has no address"), section, name);
            return 0;
        }
        if (setting ? check_setting(name, value, &why) < 0
                    : routes_check_addr(k, value, &why) < 0) {
            ctx->err = xasprintf("[%s]: %s: %s", section, name, why);
            return 0;
        }
        c = find_contact(r, cname);
        if (c == NULL) {
            r->contacts = xgrow(r->contacts, r->ncontacts, sizeof(*r->contacts));
            c = &r->contacts[r->ncontacts++];
            memset(c, 0, sizeof(*c));
            c->name = xstrdup(cname);
        }
        if (setting)
            xstrset(setting_slot(c, name), value);
        else
            xstrset(&c->addr[k], value);
        return 1;
    }
    ctx->err = xasprintf(_("unknown section [%s] (route, escalation, contact NAME)"), section);
    return 0;
}

routes_t *
routes_load(const char *path, char **err)
{
    load_ctx_t ctx = {xcalloc(1, sizeof(routes_t)), NULL};
    int line;

    errno = 0;
    line = ini_parse(path, on_line, &ctx);
    if (line == 0 && ctx.err == NULL)
        return ctx.r;
    if (line == -1)
        *err = xasprintf("%s: %s", path, strerror(errno ? errno : ENOENT));
    else if (ctx.err != NULL)
        *err = xasprintf("%s:%d: %s", path, line, ctx.err);
    else
        *err = xasprintf(_("%s:%d: syntax error"), path, line);
    free(ctx.err);
    routes_destroy(&ctx.r);
    return NULL;
}

void
routes_destroy(routes_t **p)
{
    routes_t *r = p != NULL ? *p : NULL;

    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nrules; i++) {
        free(r->rules[i].region);
        free(r->rules[i].dept);
        free(r->rules[i].key);
        strv_clear(&r->rules[i].to);
    }
    free(r->rules);
    for (size_t i = 0; i < r->ncontacts; i++) {
        free(r->contacts[i].name);
        for (int k = 0; k < CHAN__COUNT; k++)
            free(r->contacts[i].addr[k]);
        for (size_t k = 0; k < NSETTINGS; k++)
            free(*setting_slot(&r->contacts[i], settings[k].name));
    }
    free(r->contacts);
    strv_clear(&r->ladder);
    free(r);
    *p = NULL;
}

char *
routes_key(const char *kind, const char *colour, char *buf, size_t len)
{
    if (!util_empty(colour))
        snprintf(buf, len, "%s.%s", kind, colour);
    else
        snprintf(buf, len, "%s", kind);
    return buf;
}

/* The most specific rule for exactly this key; later rules win ties (a file reads top down). */
static const strv_t *
lookup_exact(const routes_t *r, const char *key, const char *region, const char *dept)
{
    const strv_t *best = NULL;
    int best_score = -1;

    for (size_t i = 0; i < r->nrules; i++) {
        const rule_t *rule = &r->rules[i];
        int score = 0;
        if (strcmp(rule->key, key) != 0)
            continue;
        if (rule->region != NULL) {
            if (util_strcmp0(rule->region, region) != 0)
                continue;
            score += 1;
        }
        if (rule->dept != NULL) {
            if (util_strcmp0(rule->dept, dept) != 0)
                continue;
            score += 2;
        }
        if (score >= best_score) {
            best = &rule->to;
            best_score = score;
        }
    }
    return best;
}

const strv_t *
routes_lookup(const routes_t *r, const char *key, const char *region, const char *dept)
{
    const strv_t *to = lookup_exact(r, key, region, dept);
    const char *dot = strchr(key, '.');

    if (to == NULL && dot != NULL) {
        char *base = xstrndup(key, (size_t)(dot - key));
        to = lookup_exact(r, base, region, dept);
        free(base);
    }
    return to;
}

const strv_t *
routes_ladder(const routes_t *r)
{
    return &r->ladder;
}

char *
routes_resolve(const char *token, const route_ctx_t *ctx)
{
    if (strcmp(token, "steward") == 0)
        return util_empty(ctx->steward) ? NULL : xstrdup(ctx->steward);
    if (strcmp(token, "leader") == 0)
        return util_empty(ctx->leader) ? NULL : xstrdup(ctx->leader);
    if (strcmp(token, "dept") == 0)
        return util_empty(ctx->dept) ? NULL : xasprintf("dept:%s", ctx->dept);
    if (strcmp(token, "section") == 0)
        return util_empty(ctx->dept) ? NULL : xasprintf("section:%s", ctx->dept);
    return xstrdup(token);
}

size_t
routes_contact(const routes_t *r, const char *name, route_addr_t *out, size_t max)
{
    const contact_t *c = find_contact(r, name);
    size_t n = 0;

    if (c == NULL)
        return 0;
    for (int k = 0; k < CHAN__COUNT && n < max; k++) {
        if (c->addr[k] != NULL) {
            out[n].chan = (chan_kind_t)k;
            out[n].addr = c->addr[k];
            n++;
        }
    }
    return n;
}

chan_contact_t
routes_contact_info(const routes_t *r, const char *name)
{
    const contact_t *c = find_contact(r, name);
    chan_contact_t out = {0};

    if (c != NULL) {
        out.dingtalk_secret = c->dingtalk_secret;
        out.keyword = c->keyword;
        out.mobile = c->mobile;
        out.wecom_userid = c->wecom_userid;
        out.dingtalk_userid = c->dingtalk_userid;
        out.webhook_secret = c->webhook_secret;
        out.webhook_format = c->webhook_format;
    }
    return out;
}
