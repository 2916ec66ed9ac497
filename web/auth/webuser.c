/*
 * webuser: see webuser.h.
 */
#define _GNU_SOURCE
#include "webuser.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curvecfg.h"
#include "util.h"

/* The longest line the file may have: a name, the longest role and a hash, with room. */
#define LINE_MAX_BYTES 1024

int
webuser_role_parse(const char *text, webuser_role_t *out, char **err)
{
    webuser_role_t r = {0};

    if (util_strcmp0(text, "viewer") == 0) {
        r.kind = WEBUSER_VIEWER;
    } else if (util_strcmp0(text, "operator") == 0) {
        r.kind = WEBUSER_OPERATOR;
    } else if (text != NULL && strncmp(text, "department:", 11) == 0 && pm_code_valid(text + 11)) {
        r.kind = WEBUSER_DEPARTMENT;
        snprintf(r.dept, sizeof(r.dept), "%s", text + 11);
    } else {
        *err = xasprintf("role '%.80s': a role is viewer, department:CODE or operator",
                         text ? text : "");
        return -1;
    }
    *out = r;
    return 0;
}

char *
webuser_role_format(const webuser_role_t *role)
{
    switch (role->kind) {
    case WEBUSER_DEPARTMENT:
        return xasprintf("department:%s", role->dept);
    case WEBUSER_OPERATOR:
        return xstrdup("operator");
    default:
        return xstrdup("viewer");
    }
}

bool
webuser_may(const webuser_role_t *role, webuser_action_t action, const char *dept)
{
    if (action == WEBUSER_READ)
        return true;
    switch (role->kind) {
    case WEBUSER_OPERATOR:
        return true;
    case WEBUSER_DEPARTMENT:
        /* For its own department, and only the acks: corrections are the task force's. */
        return action == WEBUSER_ACK && !util_empty(dept) && strcmp(dept, role->dept) == 0;
    default:
        return false;
    }
}

bool
webuser_name_valid(const char *name)
{
    return pm_code_valid(name) && strlen(name) <= WEBUSER_NAME_MAX &&
           util_utf8_valid(name, strlen(name));
}

char *
webuser_hash(const char *password, char **err)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd;
    char *out = NULL;

    if (password == NULL || strlen(password) < WEBUSER_PASSWORD_MIN ||
        strlen(password) > WEBUSER_PASSWORD_MAX) {
        *err =
            xasprintf("a password has %d to %d bytes", WEBUSER_PASSWORD_MIN, WEBUSER_PASSWORD_MAX);
        return NULL;
    }
    /* NULL random bytes: libcrypt draws the salt from the kernel (getrandom). */
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
        *err = xasprintf("crypt_gensalt (yescrypt): %s", strerror(errno));
        return NULL;
    }
    cd = xcalloc(1, sizeof(*cd));
    if (crypt_rn(password, salt, cd, sizeof(*cd)) == NULL || cd->output[0] == '*')
        *err = xasprintf("crypt (yescrypt): %s", strerror(errno));
    else
        out = xstrdup(cd->output);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return out;
}

bool
webuser_verify(const char *hash, const char *password)
{
    struct crypt_data *cd;
    size_t len;
    bool ok;

    if (hash == NULL || password == NULL || strlen(password) > WEBUSER_PASSWORD_MAX)
        return false;
    len = strlen(hash);
    cd = xcalloc(1, sizeof(*cd));
    /* crypt_rn rehashes with the hash's own salt and cost; a failure gives "*..." or NULL. */
    ok = crypt_rn(password, hash, cd, sizeof(*cd)) != NULL && cd->output[0] != '*' &&
         strlen(cd->output) == len && CRYPTO_memcmp(cd->output, hash, len) == 0;
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return ok;
}

webusers_t *
webusers_new(void)
{
    return xcalloc(1, sizeof(webusers_t));
}

static void
user_clear(webuser_t *w)
{
    free(w->name);
    free(w->hash);
    memset(w, 0, sizeof(*w));
}

void
webusers_destroy(webusers_t **p)
{
    webusers_t *u = p ? *p : NULL;

    if (u == NULL)
        return;
    for (size_t i = 0; i < u->n; i++)
        user_clear(&u->v[i]);
    free(u->v);
    free(u);
    *p = NULL;
}

/* One line "NAME:ROLE:HASH" into u: 0, or -1 with the reason (without the place) in *err. */
static int
parse_line(webusers_t *u, char *line, char **err)
{
    char *first = strchr(line, ':'), *last = strrchr(line, ':');
    webuser_role_t role;
    webuser_t *w;

    if (first == NULL || last == first) {
        *err = xstrdup("not NAME:ROLE:HASH");
        return -1;
    }
    *first = '\0';
    *last = '\0';
    if (!webuser_name_valid(line)) {
        *err = xasprintf("'%.80s' is not an account name (1 to %d bytes, no blank, ':', '/', ';' "
                         "or ',')",
                         line, WEBUSER_NAME_MAX);
        return -1;
    }
    if (webusers_find(u, line) != NULL) {
        *err = xasprintf("account %s is listed twice", line);
        return -1;
    }
    if (webuser_role_parse(first + 1, &role, err) < 0)
        return -1;
    if (strncmp(last + 1, "$y$", 3) != 0) {
        *err = xasprintf("the hash of %s is not yescrypt ($y$...): set the password again with "
                         "permitctl web-user add",
                         line);
        return -1;
    }
    u->v = xgrow(u->v, u->n, sizeof(*u->v));
    w = &u->v[u->n++];
    w->name = xstrdup(line);
    w->role = role;
    w->hash = xstrdup(last + 1);
    return 0;
}

webusers_t *
webusers_load(const char *path, bool strict, bool missing_ok, char **err)
{
    webusers_t *u;
    char line[LINE_MAX_BYTES + 2], *why = NULL;
    FILE *f;
    int lineno = 0;

    f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT && missing_ok)
            return webusers_new();
        *err = xasprintf("%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    if (curvecfg_private(path, "password hashes", strict, err) < 0) {
        fclose(f);
        return NULL;
    }
    u = webusers_new();
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        lineno++;
        if (len > LINE_MAX_BYTES) {
            why = xasprintf("line longer than %d bytes", LINE_MAX_BYTES);
            break;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (parse_line(u, line, &why) < 0)
            break;
    }
    if (why == NULL && ferror(f))
        why = xasprintf("cannot read: %s", strerror(errno));
    fclose(f);
    if (why != NULL) {
        *err = xasprintf("%s:%d: %s", path, lineno, why);
        free(why);
        webusers_destroy(&u);
        return NULL;
    }
    return u;
}

int
webusers_save(const webusers_t *u, const char *path, char **err)
{
    char *tmp = xasprintf("%s.new", path);
    FILE *f = NULL;
    struct stat was;
    bool had = stat(path, &was) == 0;
    int fd, rc = -1;

    unlink(tmp); /* a leftover of a run that died between write and rename */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        *err = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
        goto done_fd;
    }
    /*
     * The file keeps its owner: the package makes it permit-web's (mode 0600), so the console
     * can read it again on SIGHUP after root's `permitctl web-user add` rewrote it.
     */
    if (had && (was.st_uid != geteuid() || was.st_gid != getegid()) &&
        fchown(fd, was.st_uid, was.st_gid) != 0) {
        *err = xasprintf("%s: cannot keep its owner (uid %u): %s; run as root or as that user",
                         path, (unsigned)was.st_uid, strerror(errno));
        goto done_fd;
    }
    if ((f = fdopen(fd, "w")) == NULL) {
        *err = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
        goto done_fd;
    }
    fputs("# permit-web accounts: NAME:ROLE:HASH (permitctl web-user add|del|list)\n", f);
    for (size_t i = 0; i < u->n; i++) {
        char *role = webuser_role_format(&u->v[i].role);
        fprintf(f, "%s:%s:%s\n", u->v[i].name, role, u->v[i].hash);
        free(role);
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        *err = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        *err = xasprintf("%s: cannot replace: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (f != NULL && fclose(f) != 0 && rc == 0) {
        *err = xasprintf("%s: cannot write: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
done_fd:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return -1;
}

const webuser_t *
webusers_find(const webusers_t *u, const char *name)
{
    for (size_t i = 0; name != NULL && i < u->n; i++)
        if (strcmp(u->v[i].name, name) == 0)
            return &u->v[i];
    return NULL;
}

int
webusers_set(webusers_t *u, const char *name, const webuser_role_t *role, const char *password,
             char **err)
{
    webuser_t *w = (webuser_t *)webusers_find(u, name);
    char *hash;

    if (!webuser_name_valid(name)) {
        *err = xasprintf("'%.80s' is not an account name (1 to %d bytes, no blank, ':', '/', ';' "
                         "or ',')",
                         name ? name : "", WEBUSER_NAME_MAX);
        return -1;
    }
    hash = webuser_hash(password, err);
    if (hash == NULL)
        return -1;
    if (w == NULL) {
        u->v = xgrow(u->v, u->n, sizeof(*u->v));
        w = &u->v[u->n++];
        memset(w, 0, sizeof(*w));
        w->name = xstrdup(name);
    }
    free(w->hash);
    w->hash = hash;
    w->role = *role;
    return 0;
}

int
webusers_del(webusers_t *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->v[i].name, name) == 0) {
            user_clear(&u->v[i]);
            memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(*u->v));
            u->n--;
            return 1;
        }
    return 0;
}

const webuser_t *
webusers_login(const webusers_t *u, const char *name, const char *password)
{
    /* A yescrypt hash of a random password at the default cost: what an unknown name costs. */
    static const char decoy[] = "$y$j9T$JGty3a4d/F1nP86dMx6hU0$"
                                "W5GSu1WFuAUWhEJbhebMcdDULG.DJxo03b7zQZXmOtC";
    const webuser_t *w = webusers_find(u, name);

    if (w == NULL) {
        (void)webuser_verify(decoy, password);
        return NULL;
    }
    return webuser_verify(w->hash, password) ? w : NULL;
}
