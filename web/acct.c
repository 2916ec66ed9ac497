/*
 * acct: see acct.h. The pages here are rendered on the server (a form must work without
 * script); every text that comes from the log, the accounts or the request is escaped
 * (html_text), and they use the bundle's style sheet, so the CSP stays as strict as for the
 * rest.
 */
#include "acct.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acktoken.h"
#include "client.h"
#include "htmlesc.h"
#include "i18n.h"
#include "log.h"
#include "session.h"
#include "util.h"
#include "weblimit.h"
#include "webuser.h"
#include "wjson.h"

/* Sessions kept at once; the least recently used ends when a login needs room. */
#define SESSIONS_MAX 1000
/* Keys of the login limit (addresses and names). */
#define LIMIT_KEYS 4096

struct acct {
    const wcfg_t *cfg;
    const views_t *views;
    void *zctx;
    webusers_t *users;
    sessions_t *sessions;
    weblimit_t *limit;
    acktoken_key_t key;
    bool have_key;
    client_t *broker; /* made at the first ack */
};

/* One page being written: its text, its language, who is signed in. */
typedef struct page {
    FILE *f;
    char *buf;
    size_t len;
    bool en;
} page_t;

/* The words of a page in the language asked for. */
#define W(p, zh, english) ((p)->en ? (english) : (zh))

/* The signed-in account of the request, or NULL. Borrowed until the next sessions_ call. */
static const session_t *
current(acct_t *self, http_req_t *r)
{
    char *id = session_cookie_id(http_req_header(r, "Cookie"));
    const session_t *s = id != NULL ? sessions_get(self->sessions, id, util_mono_ms()) : NULL;

    free(id);
    return s;
}

static void
logout_form(page_t *p, const session_t *s)
{
    fputs("<form class=\"inline\" method=\"post\" action=\"/logout\">"
          "<input type=\"hidden\" name=\"csrf\" value=\"",
          p->f);
    htmlesc_write(p->f, s->csrf);
    fprintf(p->f, "\"><button type=\"submit\" id=\"logout\">%s</button></form>",
            W(p, "退出", "Sign out"));
}

static void
page_begin(page_t *p, http_req_t *r, const session_t *s, const char *title)
{
    char *role = s != NULL ? webuser_role_format(&s->role) : NULL;

    p->en = http_req_english(r);
    p->f = open_memstream(&p->buf, &p->len);
    if (p->f == NULL)
        fatalx("out of memory (open_memstream)");
    fprintf(p->f,
            "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
            p->en ? "en" : "zh-CN");
    htmlesc_write(p->f, title);
    fprintf(p->f,
            "</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
            "<link rel=\"icon\" href=\"data:,\"></head><body><header id=\"top\">"
            "<a id=\"home\" href=\"/\">%s</a><span id=\"who\">",
            W(p, "联审联批", "Joint review and approval"));
    if (s != NULL) {
        htmlesc_write(p->f, s->user);
        fputs(" (", p->f);
        htmlesc_write(p->f, role);
        fputs(") ", p->f);
        logout_form(p, s);
    } else {
        fprintf(p->f, "<a href=\"/login\">%s</a>", W(p, "登录", "Sign in"));
    }
    fputs("</span></header><main id=\"main\" class=\"acct\"><h1 id=\"title\">", p->f);
    htmlesc_write(p->f, title);
    fputs("</h1>\n", p->f);
    free(role);
}

static int
page_end(page_t *p, http_req_t *r, unsigned status)
{
    fputs("</main></body></html>\n", p->f);
    fclose(p->f);
    return http_reply_take(r, status, "text/html; charset=utf-8", p->buf, p->len);
}

/* A page of one title and one paragraph (msg is escaped). */
static int
page_message(http_req_t *r, const session_t *s, unsigned status, const char *title, const char *msg)
{
    page_t p;

    page_begin(&p, r, s, title);
    fputs("<p id=\"message\">", p.f);
    htmlesc_write(p.f, msg);
    fputs("</p>\n", p.f);
    return page_end(&p, r, status);
}

/* ---- accounts and the ack key ---- */

int
acct_check_files(const wcfg_t *cfg, bool strict, char **err)
{
    webusers_t *u = webusers_load(cfg->web_users, strict, true, err);
    acktoken_key_t key;
    int rc = 0;

    if (u == NULL)
        return -1;
    webusers_destroy(&u);
    if (!util_empty(cfg->ack_key_file))
        rc = acktoken_key_load(cfg->ack_key_file, strict, &key, err);
    explicit_bzero(&key, sizeof(key));
    return rc;
}

static bool
role_eq(const webuser_role_t *a, const webuser_role_t *b)
{
    return a->kind == b->kind && strcmp(a->dept, b->dept) == 0;
}

acct_t *
acct_new(const wcfg_t *cfg, const views_t *views, void *zctx, char **err)
{
    acct_t *self = xcalloc(1, sizeof(*self));

    self->cfg = cfg;
    self->views = views;
    self->zctx = zctx;
    self->users = webusers_load(cfg->web_users, false, true, err);
    if (self->users == NULL)
        goto fail;
    if (!util_empty(cfg->ack_key_file)) {
        if (acktoken_key_load(cfg->ack_key_file, false, &self->key, err) < 0)
            goto fail;
        self->have_key = true;
    }
    self->sessions = sessions_new(SESSIONS_MAX, SESSION_TTL_MS, SESSION_IDLE_MS);
    self->limit = weblimit_new(LIMIT_KEYS);
    log_info(_("accounts: %zu in %s; ack links %s"), self->users->n, cfg->web_users,
             self->have_key ? _("on") : _("off (no ack_key_file)"));
    return self;
fail:
    acct_destroy(&self);
    return NULL;
}

void
acct_destroy(acct_t **p)
{
    acct_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    webusers_destroy(&self->users);
    sessions_destroy(&self->sessions);
    weblimit_destroy(&self->limit);
    client_destroy(&self->broker);
    explicit_bzero(&self->key, sizeof(self->key));
    free(self);
    *p = NULL;
}

void
acct_reload(acct_t *self)
{
    char *err = NULL;
    webusers_t *fresh = webusers_load(self->cfg->web_users, false, true, &err);
    acktoken_key_t key;

    if (fresh == NULL) {
        log_warnx(_("reload: %s; the accounts stay as they were"), err);
        free(err);
    } else {
        /* A removed account, a new role or a new password: whoever is signed in as it is
         * signed out (the role is the session's, fixed at login). */
        for (size_t i = 0; i < self->users->n; i++) {
            const webuser_t *old = &self->users->v[i];
            const webuser_t *now = webusers_find(fresh, old->name);
            if (now == NULL || !role_eq(&now->role, &old->role) ||
                strcmp(now->hash, old->hash) != 0)
                if (sessions_drop_user(self->sessions, old->name) > 0)
                    log_info(_("reload: the sessions of account %s ended (%s)"), old->name,
                             now == NULL ? "removed" : "changed");
        }
        webusers_destroy(&self->users);
        self->users = fresh;
    }
    if (util_empty(self->cfg->ack_key_file)) {
        self->have_key = false;
    } else if (acktoken_key_load(self->cfg->ack_key_file, false, &key, &err) < 0) {
        log_warnx(_("reload: %s; the ack key stays as it was"), err);
        free(err);
    } else {
        self->key = key;
        self->have_key = true;
    }
    explicit_bzero(&key, sizeof(key));
}

/* ---- login and logout ---- */

static void
login_form(page_t *p, const char *token, const char *name)
{
    fprintf(p->f,
            "<form class=\"login\" method=\"post\" action=\"/login\">"
            "<input type=\"hidden\" name=\"login_csrf\" value=\"%s\">"
            "<label>%s <input name=\"name\" id=\"name\" autocomplete=\"username\" value=\"",
            token, W(p, "用户名", "Name"));
    htmlesc_write(p->f, name);
    fprintf(p->f,
            "\"></label> <label>%s <input name=\"password\" id=\"password\" type=\"password\" "
            "autocomplete=\"current-password\"></label> "
            "<button type=\"submit\" id=\"signin\">%s</button></form>\n",
            W(p, "密码", "Password"), W(p, "登录", "Sign in"));
}

/* The login page with a fresh pre-session token (its cookie set on the answer). */
static int
login_page(acct_t *self, http_req_t *r, unsigned status, const char *msg, const char *name)
{
    char token[SESSION_ID_LEN + 1], *cookie;
    page_t p;

    if (session_random(token) < 0)
        return http_reply_error(r, 500, "no random token");
    cookie = session_login_cookie(token, wcfg_cookie_secure(self->cfg));
    http_req_add_header(r, "Set-Cookie", cookie);
    free(cookie);
    page_begin(&p, r, NULL, http_req_english(r) ? "Sign in" : "登录");
    if (msg != NULL) {
        fputs("<p id=\"message\" class=\"problem\">", p.f);
        htmlesc_write(p.f, msg);
        fputs("</p>\n", p.f);
    }
    login_form(&p, token, name);
    return page_end(&p, r, status);
}

static int
get_login(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const session_t *s = current(self, r);
    page_t p;

    if (s == NULL)
        return login_page(self, r, 200, NULL, "");
    page_begin(&p, r, s, http_req_english(r) ? "Signed in" : "已登录");
    fputs("<p id=\"message\">", p.f);
    htmlesc_write(p.f, s->user);
    fputs("</p>\n", p.f);
    return page_end(&p, r, 200);
}

static int
post_login(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const bool en = http_req_english(r);
    const char *name = http_req_form(r, "name"), *password = http_req_form(r, "password");
    char *token = session_login_cookie_token(http_req_header(r, "Cookie"));
    bool csrf_ok = session_token_eq(token, http_req_form(r, "login_csrf"));
    char addr[64], *kaddr, *kname, *cookie;
    int64_t now = util_mono_ms(), wait;
    const webuser_t *u;
    const session_t *s;
    int rc;

    free(token);
    if (!csrf_ok)
        return login_page(self, r, 403,
                          en ? "The form was not this site's, or it is too old: sign in again."
                             : "表单已失效（不是本站的表单，或打开太久），请重新登录。",
                          "");
    if (name == NULL || password == NULL || !webuser_name_valid(name))
        return login_page(self, r, 401, en ? "Wrong name or password." : "用户名或密码不对。", "");
    http_req_remote(r, addr, sizeof(addr));
    kaddr = xasprintf("addr:%s", addr);
    kname = xasprintf("name:%s", name);
    wait = weblimit_wait(self->limit, kaddr, now);
    if (weblimit_wait(self->limit, kname, now) > wait)
        wait = weblimit_wait(self->limit, kname, now);
    if (wait > 0) {
        char secs[32], *msg;
        snprintf(secs, sizeof(secs), "%lld", (long long)((wait + 999) / 1000));
        http_req_add_header(r, "Retry-After", secs);
        msg = en ? xasprintf("Too many failed sign-ins: try again in %s s.", secs)
                 : xasprintf("登录失败次数太多，请 %s 秒后再试。", secs);
        log_info(_("login: %s from %s: locked for %s s"), name, addr, secs);
        rc = login_page(self, r, 429, msg, name);
        free(msg);
        goto done;
    }
    u = webusers_login(self->users, name, password);
    if (u == NULL) {
        weblimit_fail(self->limit, kaddr, now);
        weblimit_fail(self->limit, kname, now);
        log_info(_("login: %s from %s: refused"), name, addr);
        rc = login_page(self, r, 401, en ? "Wrong name or password." : "用户名或密码不对。", name);
        goto done;
    }
    weblimit_success(self->limit, kaddr);
    weblimit_success(self->limit, kname);
    s = sessions_create(self->sessions, u->name, &u->role, now);
    if (s == NULL) {
        rc = http_reply_error(r, 500, "no session");
        goto done;
    }
    log_info(_("login: %s from %s"), u->name, addr);
    cookie = session_cookie(s->id, wcfg_cookie_secure(self->cfg));
    http_req_add_header(r, "Set-Cookie", cookie);
    http_req_add_header(r, "Location", "/");
    free(cookie);
    rc = page_message(r, s, 303, en ? "Signed in" : "已登录", u->name);
done:
    free(kaddr);
    free(kname);
    return rc;
}

/* The session of a form that changes something, when its CSRF token is right; else NULL after
 * answering 403. */
static const session_t *
form_session(acct_t *self, http_req_t *r, int *rc)
{
    const bool en = http_req_english(r);
    const session_t *s = current(self, r);

    if (s == NULL) {
        *rc = page_message(r, NULL, 403, en ? "Not signed in" : "未登录",
                           en ? "Sign in first (your session may have ended)."
                              : "请先登录（登录可能已过期）。");
        return NULL;
    }
    if (!session_csrf_ok(s, http_req_form(r, "csrf"))) {
        *rc = page_message(r, s, 403, en ? "Refused" : "已拒绝",
                           en ? "The form was not this site's, or it is too old: open the page "
                                "again."
                              : "表单已失效（不是本站的表单，或打开太久），请重新打开页面。");
        return NULL;
    }
    return s;
}

static int
post_logout(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const session_t *s;
    char *cookie;
    int rc;

    if ((s = form_session(self, r, &rc)) == NULL)
        return rc;
    log_info(_("logout: %s"), s->user);
    sessions_drop(self->sessions, s->id);
    cookie = session_cookie_clear(wcfg_cookie_secure(self->cfg));
    http_req_add_header(r, "Set-Cookie", cookie);
    http_req_add_header(r, "Location", "/");
    free(cookie);
    return page_message(r, NULL, 303, http_req_english(r) ? "Signed out" : "已退出", "");
}

static int
api_me(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const session_t *s = current(self, r);
    json_t *doc = json_object();
    char *text;

    if (s != NULL) {
        char *role = webuser_role_format(&s->role);
        json_object_set_new(doc, "user", json_string(s->user));
        json_object_set_new(doc, "role", json_string(role));
        json_object_set_new(doc, "csrf", json_string(s->csrf));
        free(role);
    } else {
        json_object_set_new(doc, "user", json_null());
    }
    text = wjson_dump(doc);
    json_decref(doc);
    return http_reply_take(r, 200, "application/json; charset=utf-8", text, strlen(text));
}

/* ---- acks ---- */

/* What the alert at seq is, as a definition list: project, procedure, department, colour. */
static void
describe_alert(acct_t *self, page_t *p, uint64_t seq, const char *recipient)
{
    const ventry_t *e = views_find(self->views, seq);
    const vproject_t *vp =
        e != NULL && e->project != NULL ? views_project_find(self->views, e->project) : NULL;
    const char *proc = e != NULL ? e->procedure : NULL;

    fputs("<dl class=\"alert\">", p->f);
    if (vp != NULL) {
        fprintf(p->f, "<dt>%s</dt><dd id=\"project\">", W(p, "项目", "Project"));
        htmlesc_write(p->f, util_empty(vp->info.name) ? vp->info.id : vp->info.name);
        fputs(" (", p->f);
        htmlesc_write(p->f, vp->info.id);
        fputs(")</dd>", p->f);
        for (size_t i = 0; proc != NULL && i < vp->t->nprocs; i++)
            if (strcmp(vp->t->procs[i].code, proc) == 0)
                proc = util_empty(vp->t->procs[i].name) ? proc : vp->t->procs[i].name;
    }
    if (proc != NULL) {
        fprintf(p->f, "<dt>%s</dt><dd id=\"procedure\">", W(p, "事项", "Procedure"));
        htmlesc_write(p->f, proc);
        fputs("</dd>", p->f);
    }
    if (e != NULL && e->dept != NULL) {
        fprintf(p->f, "<dt>%s</dt><dd id=\"dept\">", W(p, "部门", "Department"));
        htmlesc_write(p->f, views_dept_name(self->views, e->dept));
        fputs("</dd>", p->f);
    }
    if (e != NULL && e->kind == PM_KIND_COLOUR) {
        fprintf(p->f, "<dt>%s</dt><dd id=\"colour\"><span class=\"dot %s\"></span>",
                W(p, "预警", "Colour"), pm_colour_name(e->colour));
        htmlesc_write(p->f, pm_colour_label(e->colour, p->en ? PM_LANG_EN : PM_LANG_ZH));
        fputs("</dd>", p->f);
    }
    fprintf(p->f, "<dt>%s</dt><dd id=\"seq\">%llu</dd>", W(p, "日志序号", "Log seq"),
            (unsigned long long)seq);
    if (recipient != NULL) {
        fprintf(p->f, "<dt>%s</dt><dd id=\"recipient\">", W(p, "确认人", "Acknowledged as"));
        htmlesc_write(p->f, recipient);
        fputs("</dd>", p->f);
    }
    fputs("</dl>\n", p->f);
}

/* "已确认过": the alert at seq was acknowledged, first at log seq ack. */
static int
page_acked(acct_t *self, http_req_t *r, const session_t *s, uint64_t seq, uint64_t ack, bool now)
{
    page_t p;
    const bool en = http_req_english(r);

    page_begin(&p, r, s,
               now ? (en ? "Acknowledged" : "已确认") : (en ? "Acknowledged already" : "已确认过"));
    fprintf(p.f, "<p id=\"message\">%s%llu%s</p>\n",
            now ? W(&p, "已确认收到（日志 seq ", "Acknowledged (log seq ")
                : W(&p, "此预警已确认（日志 seq ", "This alert was acknowledged already (log seq "),
            (unsigned long long)ack, W(&p, "）。", ")."));
    describe_alert(self, &p, seq, NULL);
    return page_end(&p, r, 200);
}

/* Send the alert_ack and answer with its page: done, already, refused, or the broker away. */
static int
send_ack(acct_t *self, http_req_t *r, const session_t *s, uint64_t seq, const char *who)
{
    const bool en = http_req_english(r);
    pm_msg_t *req, *rep = NULL;
    char why[256] = "";
    client_status_t st = CLIENT_ERROR;
    int rc;

    if (self->broker == NULL)
        self->broker = client_new(self->zctx, self->cfg->broker, why, sizeof(why));
    if (self->broker != NULL) {
        req = pm_msg_new(PM_MSG_EVENT);
        req->entry = pm_entry_new(PM_KIND_ALERT_ACK);
        req->entry->event_id = util_new_id();
        req->entry->cause = seq;
        req->entry->recipient = xstrdup(who);
        req->entry->via = xstrdup(PM_ACK_VIA_WEB);
        req->entry->event_ms = util_now_ms();
        st = client_request(self->broker, req, ACK_TIMEOUT_MS, 1, &rep, why, sizeof(why));
        pm_msg_destroy(&req);
    }
    if (st == CLIENT_OK && rep->type == PM_MSG_REPLY && rep->reply != NULL && rep->reply->ok) {
        log_info(_("ack: seq %llu by %s: %s log seq %llu"), (unsigned long long)seq, who,
                 rep->reply->duplicate ? _("acknowledged already at") : _("logged at"),
                 (unsigned long long)rep->reply->seq);
        rc = page_acked(self, r, s, seq, rep->reply->seq, !rep->reply->duplicate);
    } else if (st == CLIENT_OK && rep->type == PM_MSG_REPLY && rep->reply != NULL) {
        char *msg = xasprintf("%s (%s): %s", en ? "The broker refused it" : "中心拒绝了此确认",
                              rep->reply->code, rep->reply->reason ? rep->reply->reason : "-");
        log_warnx(_("ack: seq %llu by %s: refused (%s): %s"), (unsigned long long)seq, who,
                  rep->reply->code, rep->reply->reason ? rep->reply->reason : "-");
        rc = page_message(r, s, 409, en ? "Not acknowledged" : "未确认", msg);
        free(msg);
    } else {
        log_warnx(_("ack: seq %llu by %s: the broker %s does not answer: %s"),
                  (unsigned long long)seq, who, self->cfg->broker, why[0] ? why : "-");
        rc = page_message(r, s, 503, en ? "Not acknowledged yet" : "暂未确认",
                          en ? "The server cannot reach the log right now: try again in a minute."
                             : "暂时无法记录确认，请过一分钟再试。");
    }
    pm_msg_destroy(&rep);
    return rc;
}

/* Check the token of /ack/TOKEN; 1 when genuine (seq, *who set), else 0 after answering. */
static int
ack_token(acct_t *self, http_req_t *r, const session_t *s, uint64_t *seq, char **who, int *rc)
{
    const bool en = http_req_english(r);
    acktoken_rc_t tr;

    if (!self->have_key) {
        *rc = page_message(r, s, 404, en ? "Not configured" : "未配置",
                           en ? "Ack links are not configured here (ack_key_file)."
                              : "此服务器未配置确认链接（ack_key_file）。");
        return 0;
    }
    tr = acktoken_check(&self->key, http_req_rest(r), util_now_ms(), seq, who);
    if (tr == ACKTOKEN_OK)
        return 1;
    log_info(_("ack link: %s"), acktoken_rc_name(tr));
    if (tr == ACKTOKEN_EXPIRED)
        *rc = page_message(r, s, 410, en ? "Link expired" : "链接已过期",
                           en ? "This link has expired: acknowledge from the console or ask the "
                                "operator."
                              : "此确认链接已过期，请登录系统确认或联系值班人员。");
    else
        *rc = page_message(r, s, 404, en ? "Invalid link" : "链接无效",
                           en ? "This is not a valid ack link: check that it was copied whole."
                              : "此确认链接无效，请检查链接是否完整。");
    return 0;
}

static int
get_ack(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const session_t *s = current(self, r);
    const ventry_t *e;
    uint64_t seq;
    char *who = NULL;
    page_t p;
    int rc;

    if (!ack_token(self, r, s, &seq, &who, &rc))
        return rc;
    e = views_find(self->views, seq);
    if (e != NULL && e->ack_seq != 0) {
        free(who);
        return page_acked(self, r, s, seq, e->ack_seq, false);
    }
    /* A GET only shows: chat apps fetch links to preview them. The button posts to this same
     * address (action=""), so it works under the proxy's path too. */
    page_begin(&p, r, s, http_req_english(r) ? "Acknowledge this alert?" : "确认收到此预警？");
    describe_alert(self, &p, seq, who);
    fprintf(p.f,
            "<form method=\"post\" action=\"\"><button type=\"submit\" id=\"confirm\">%s</button>"
            "</form>\n",
            W(&p, "确认收到", "Acknowledge"));
    free(who);
    return page_end(&p, r, 200);
}

static int
post_ack(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const session_t *s = current(self, r);
    uint64_t seq;
    char *who = NULL;
    int rc;

    if (!ack_token(self, r, s, &seq, &who, &rc))
        return rc;
    rc = send_ack(self, r, s, seq, who);
    free(who);
    return rc;
}

/* A signed-in account's ack from a page: its own department's alerts, or any for an operator. */
static int
post_alert_ack(void *arg, http_req_t *r)
{
    acct_t *self = arg;
    const bool en = http_req_english(r);
    const char *text = http_req_form(r, "seq");
    const session_t *s;
    const ventry_t *e;
    unsigned long long seq;
    char *end = NULL, *msg;
    int rc;

    if ((s = form_session(self, r, &rc)) == NULL)
        return rc;
    seq = text != NULL && text[0] >= '1' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (seq == 0 || *end != '\0')
        return page_message(r, s, 400, en ? "Not acknowledged" : "未确认",
                            en ? "No alert named." : "没有指明预警。");
    /* The department an alert is about is the colour entry's; one the views no longer hold
     * has none known, which only an operator may act on (webuser_may). */
    e = views_find(self->views, seq);
    if (!webuser_may(&s->role, WEBUSER_ACK, e != NULL ? e->dept : NULL)) {
        log_info(_("ack: %s may not acknowledge seq %llu (department %s)"), s->user, seq,
                 e != NULL && e->dept != NULL ? e->dept : "unknown");
        if (s->role.kind == WEBUSER_DEPARTMENT)
            msg = en ? xasprintf("This account acknowledges alerts of department %s only.",
                                 s->role.dept)
                     : xasprintf("本账号只能确认本部门（%s）的预警。", s->role.dept);
        else
            msg = xstrdup(en ? "This account may only read." : "本账号只能查看，不能确认。");
        rc = page_message(r, s, 403, en ? "Not allowed" : "无权操作", msg);
        free(msg);
        return rc;
    }
    return send_ack(self, r, s, seq, s->user);
}

void
acct_routes(acct_t *self, http_t *http)
{
    http_route(http, "GET", "/login", HTTP_EXACT, get_login, self);
    http_route(http, "POST", "/login", HTTP_EXACT, post_login, self);
    http_route(http, "POST", "/logout", HTTP_EXACT, post_logout, self);
    http_route(http, "GET", "/ack/", HTTP_PREFIX, get_ack, self);
    http_route(http, "POST", "/ack/", HTTP_PREFIX, post_ack, self);
    http_route(http, "POST", "/alert-ack", HTTP_EXACT, post_alert_ack, self);
    http_route(http, "GET", "/api/me", HTTP_EXACT, api_me, self);
}
