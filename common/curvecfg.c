/*
 * curvecfg: see curvecfg.h.
 */
#include "curvecfg.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "i18n.h"
#include "log.h"
#include "util.h"

/* The client keys of this process: part of its loaded config (see the header). */
static struct {
    bool setup; /* set up explicitly or from the environment already */
    bool on;
    curve_key_t public_key, secret_key, server_key;
    char secret_file[PATH_MAX]; /* where secret_key came from, for curvecfg_client_private */
    char name[PATH_MAX];        /* its NAME, for the messages that say which key to trust */
} client_keys;

typedef struct keyfile {
    char *public_key;
    char *secret_key;
    char *role;
    char *unknown; /* the first unknown name, for the error */
} keyfile_t;

static int
keyfile_line(void *arg, const char *section, const char *name, const char *value)
{
    keyfile_t *kf = arg;
    char **slot = NULL;

    (void)section;
    if (strcmp(name, "public") == 0)
        slot = &kf->public_key;
    else if (strcmp(name, "secret") == 0)
        slot = &kf->secret_key;
    else if (strcmp(name, "role") == 0)
        slot = &kf->role;
    if (slot == NULL) {
        if (kf->unknown == NULL)
            kf->unknown = xstrdup(name);
        return 0;
    }
    xstrset(slot, value);
    return 1;
}

bool
curvecfg_valid(const char *z85)
{
    uint8_t raw[32];

    return z85 != NULL && strlen(z85) == CURVE_Z85_LEN && zmq_z85_decode(raw, z85) != NULL;
}

bool
curvecfg_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 64 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int
curvecfg_private(const char *path, const char *holds, bool strict, char **err)
{
    struct stat st;
    char *why;

    if (stat(path, &st) != 0 || (st.st_mode & 0077) == 0)
        return 0;
    why = xasprintf(_("%s is readable by group or others%s%s: chmod 600 %s"), path,
                    holds != NULL ? _(" and holds ") : "", holds != NULL ? holds : "", path);
    if (strict) {
        *err = why;
        return -1;
    }
    log_warnx("%s", why);
    free(why);
    return 0;
}

int
curvecfg_read(const char *path, curve_key_t *public_key, curve_key_t *secret_key, char **role,
              char **err)
{
    keyfile_t kf = {0};
    int line = ini_parse(path, keyfile_line, &kf);
    int rc = -1;

    if (line < 0) {
        *err = xasprintf(_("%s: cannot read: %s"), path, strerror(errno));
        goto done;
    }
    if (line > 0) {
        *err = kf.unknown ? xasprintf(_("%s:%d: unknown key '%s' (public, secret, role)"), path,
                                      line, kf.unknown)
                          : xasprintf(_("%s:%d: not a key file line"), path, line);
        goto done;
    }
    if (kf.secret_key != NULL && !curvecfg_valid(kf.secret_key)) {
        *err = xasprintf(_("%s: secret is not a Z85 CURVE key (40 characters)"), path);
        goto done;
    }
    if (secret_key != NULL && kf.secret_key == NULL) {
        *err = xasprintf(_("%s: no secret key (a NAME.secret file from permitctl keygen)"), path);
        goto done;
    }
    if (kf.public_key == NULL && kf.secret_key != NULL) {
        /* A secret alone is enough: the public key follows from it. */
        kf.public_key = xmalloc(CURVE_Z85_LEN + 1);
        if (zmq_curve_public(kf.public_key, kf.secret_key) != 0) {
            *err = xasprintf(_("%s: cannot derive the public key: %s"), path, zmq_strerror(errno));
            goto done;
        }
    }
    if (public_key != NULL && !curvecfg_valid(kf.public_key)) {
        *err = xasprintf("%s: %s", path,
                         kf.public_key ? "public is not a Z85 CURVE key (40 characters)"
                                       : "no public key");
        goto done;
    }
    if (secret_key != NULL)
        curvecfg_private(path, NULL, false, NULL);
    if (public_key != NULL)
        memcpy(public_key->z85, kf.public_key, CURVE_Z85_LEN + 1);
    if (secret_key != NULL)
        memcpy(secret_key->z85, kf.secret_key, CURVE_Z85_LEN + 1);
    if (role != NULL) {
        *role = kf.role;
        kf.role = NULL;
    }
    rc = 0;
done:
    if (kf.secret_key != NULL)
        explicit_bzero(kf.secret_key, strlen(kf.secret_key));
    free(kf.public_key);
    free(kf.secret_key);
    free(kf.role);
    free(kf.unknown);
    return rc;
}

int
curvecfg_client_setup(const char *secret_file, const char *broker_key_file, char **err)
{
    if (util_empty(secret_file))
        secret_file = getenv("PERMIT_CURVE_SECRET");
    if (util_empty(broker_key_file))
        broker_key_file = getenv("PERMIT_BROKER_KEY");
    memset(&client_keys, 0, sizeof(client_keys));
    client_keys.setup = true;
    if (util_empty(secret_file) && util_empty(broker_key_file))
        return 0;
    if (util_empty(secret_file) || util_empty(broker_key_file)) {
        *err = xasprintf(_("CURVE needs both our key pair (--curve-secret, PERMIT_CURVE_SECRET) "
                           "and the broker's public key (--broker-key, PERMIT_BROKER_KEY)"));
        return -1;
    }
    if (curvecfg_read(secret_file, &client_keys.public_key, &client_keys.secret_key, NULL, err) <
            0 ||
        curvecfg_read(broker_key_file, &client_keys.server_key, NULL, NULL, err) < 0) {
        memset(&client_keys, 0, sizeof(client_keys));
        client_keys.setup = true;
        return -1;
    }
    client_keys.on = true;
    snprintf(client_keys.secret_file, sizeof(client_keys.secret_file), "%s", secret_file);
    {
        const char *base = strrchr(secret_file, '/');
        size_t n;

        snprintf(client_keys.name, sizeof(client_keys.name), "%s", base ? base + 1 : secret_file);
        n = strlen(client_keys.name);
        if (n > 7 && strcmp(client_keys.name + n - 7, ".secret") == 0)
            client_keys.name[n - 7] = '\0';
    }
    return 0;
}

int
curvecfg_client_private(char **err)
{
    if (!client_keys.on)
        return 0;
    return curvecfg_private(client_keys.secret_file, NULL, true, err);
}

/* A program that never called setup still honours the environment. */
static int
client_lazy_setup(char *why, size_t whylen)
{
    char *err = NULL;

    if (client_keys.setup)
        return 0;
    if (curvecfg_client_setup(NULL, NULL, &err) == 0)
        return 0;
    snprintf(why, whylen, "%s", err);
    free(err);
    return -1;
}

bool
curvecfg_client_on(void)
{
    char why[256];

    return client_lazy_setup(why, sizeof(why)) == 0 && client_keys.on;
}

const char *
curvecfg_client_name(void)
{
    return client_keys.on && client_keys.name[0] != '\0' ? client_keys.name : NULL;
}

int
curvecfg_client_apply(void *sock, char *why, size_t whylen)
{
    if (client_lazy_setup(why, whylen) < 0)
        return -1;
    if (!client_keys.on)
        return 0;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, client_keys.server_key.z85, CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, client_keys.public_key.z85, CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, client_keys.secret_key.z85, CURVE_Z85_LEN) != 0) {
        snprintf(why, whylen, _("CURVE keys: %s"), zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Write a new file with exactly this mode; never over an existing one. */
static int
write_new(const char *path, mode_t mode, const char *text, char **err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    size_t len = strlen(text);

    if (fd < 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    /* The umask may have taken bits away, never added; make the mode exact anyway. */
    if (fchmod(fd, mode) != 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    if (close(fd) != 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

/*
 * The keys folder, made when missing (and its missing parents, like mkdir -p) with mode 0700:
 * it is about to hold a secret. An existing folder keeps its mode.
 */
static int
make_key_dir(const char *dir, char **err)
{
    char *path;
    int rc = 0;

    if (*dir == '\0')
        return 0;
    path = xstrdup(dir);
    for (char *p = path + 1; rc == 0; p++) {
        bool last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *err = xasprintf(_("cannot create %s: %s"), path, strerror(errno));
            rc = -1;
        }
        if (last)
            break;
        *p = '/';
    }
    free(path);
    return rc;
}

int
curvecfg_keygen(const char *dir, const char *name, const char *role, char **err)
{
    char pub[CURVE_Z85_LEN + 1], sec[CURVE_Z85_LEN + 1];
    char *pub_path = NULL, *sec_path = NULL, *text = NULL;
    int rc = -1;

    if (!curvecfg_name_ok(name)) {
        *err = xasprintf(_("'%s' is not a usable name (letters, digits, _ . -; at most 64)"), name);
        return -1;
    }
    if (zmq_curve_keypair(pub, sec) != 0) {
        *err = xasprintf(_("zmq_curve_keypair: %s (libzmq without CURVE?)"), zmq_strerror(errno));
        return -1;
    }
    if (make_key_dir(dir, err) < 0)
        return -1;
    pub_path = xasprintf("%s/%s.key", dir, name);
    sec_path = xasprintf("%s/%s.secret", dir, name);
    text = xasprintf("# CURVE key pair of %s, from permitctl keygen. Keep this file on its own\n"
                     "# machine only (mode 0600); give %s.key to the broker's operator.\n"
                     "public = %s\nsecret = %s\n",
                     name, name, pub, sec);
    if (write_new(sec_path, 0600, text, err) < 0)
        goto done;
    free(text);
    text = xasprintf("# CURVE public key of %s, from permitctl keygen. The broker trusts it when\n"
                     "# this file is in its keys_dir; role is department (NAME is the department\n"
                     "# code), notifier, operator, admin or viewer (read only).\n"
                     "public = %s\n%s%s%s",
                     name, pub, role ? "role = " : "", role ? role : "", role ? "\n" : "");
    if (write_new(pub_path, 0644, text, err) < 0) {
        unlink(sec_path);
        goto done;
    }
    rc = 0;
done:
    explicit_bzero(sec, sizeof(sec));
    if (text != NULL)
        explicit_bzero(text, strlen(text));
    free(text);
    free(pub_path);
    free(sec_path);
    return rc;
}
