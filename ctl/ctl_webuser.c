/*
 * ctl_webuser: `permitctl web-user add|del|list`, the accounts of the web console
 * (web/auth/webuser.h), in their file on the machine permit-web runs on; no broker involved.
 *
 *   web-user add NAME --role viewer|department:CODE|operator [--password-stdin]
 *   web-user del NAME
 *   web-user list
 *
 * each with [--file PATH] (default /etc/permit/web-users). add asks for the password twice on
 * the terminal with echo off, or reads one line from stdin with --password-stdin (scripts,
 * tests); an existing account gets the new role and password. permit-web reads the file again
 * on SIGHUP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "i18n.h"
#include "util.h"
#include "webuser.h"

/* One line from f without its newline, into buf (at most len - 1 bytes). 0, or -1. */
static int
read_line(FILE *f, char *buf, size_t len)
{
    size_t n;

    if (fgets(buf, (int)len, f) == NULL)
        return -1;
    n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (n == len - 1)
        return -1; /* longer than a password may be */
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* Ask on the terminal with echo off. 0, or -1 (reported). */
static int
ask(FILE *tty, const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    int fd = fileno(tty), rc;

    if (tcgetattr(fd, &old) != 0) {
        ctl_warnx(_("web-user: cannot turn the terminal's echo off: %s (use --password-stdin)"),
                  strerror(errno));
        return -1;
    }
    /* Echo off (and what was typed before the question dropped) before the prompt shows:
     * an answer typed as soon as the prompt appears is then never thrown away. The prompt
     * after it was a race that a quick typist, or a loaded machine, lost for good. */
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    tcsetattr(fd, TCSAFLUSH, &quiet);
    fputs(prompt, stderr);
    fflush(stderr);
    rc = read_line(tty, buf, len);
    tcsetattr(fd, TCSADRAIN, &old); /* keeps what is typed ahead for the next question */
    fputc('\n', stderr);
    if (rc < 0)
        ctl_warnx(_("web-user: no password read"));
    return rc;
}

/* The new password, from stdin or asked twice on the terminal. 0, or an exit status. */
static int
get_password(bool from_stdin, char *buf, size_t len)
{
    char again[WEBUSER_PASSWORD_MAX + 2];
    FILE *tty;
    int rc = 0;

    if (from_stdin) {
        if (read_line(stdin, buf, len) < 0) {
            ctl_warnx(_("web-user: no password on stdin (one line, at most %d bytes)"),
                      WEBUSER_PASSWORD_MAX);
            return EX_DATAERR;
        }
        return 0;
    }
    tty = fopen("/dev/tty", "r+e");
    if (tty == NULL) {
        ctl_warnx(_("web-user: no terminal to ask the password on: give it with --password-stdin"));
        return EX_USAGE;
    }
    if (ask(tty, _("password: "), buf, len) < 0 ||
        ask(tty, _("again: "), again, sizeof(again)) < 0) {
        rc = EX_DATAERR;
    } else if (strcmp(buf, again) != 0) {
        ctl_warnx(_("web-user: the two passwords differ; nothing changed"));
        rc = EX_DATAERR;
    }
    explicit_bzero(again, sizeof(again));
    fclose(tty);
    return rc;
}

static int
web_user_add(const char *file, const char *name, const char *role_text, bool from_stdin)
{
    char password[WEBUSER_PASSWORD_MAX + 2], *err = NULL;
    webusers_t *u = NULL;
    webuser_role_t role;
    bool existed;
    int rc;

    if (role_text == NULL)
        return ctl_usage("web-user add: give --role viewer, department:CODE or operator");
    if (webuser_role_parse(role_text, &role, &err) < 0) {
        rc = ctl_usage("web-user add: %s", err);
        free(err);
        return rc;
    }
    if (!webuser_name_valid(name))
        return ctl_usage("web-user add: '%s' is not an account name (1 to %d bytes, no blank, "
                         "':', '/', ';' or ',')",
                         name, WEBUSER_NAME_MAX);
    u = webusers_load(file, true, true, &err);
    if (u == NULL) {
        ctl_warnx("web-user: %s", err);
        free(err);
        return EX_DATAERR;
    }
    rc = get_password(from_stdin, password, sizeof(password));
    if (rc != 0)
        goto done;
    existed = webusers_find(u, name) != NULL;
    if (webusers_set(u, name, &role, password, &err) < 0) {
        ctl_warnx("web-user add: %s", err);
        rc = EX_DATAERR;
    } else if (webusers_save(u, file, &err) < 0) {
        ctl_warnx("web-user: %s", err);
        rc = EXIT_FAILURE;
    } else {
        printf("%s %s (%s) in %s\n", existed ? "changed" : "added", name, role_text, file);
    }
done:
    explicit_bzero(password, sizeof(password));
    free(err);
    webusers_destroy(&u);
    return rc;
}

static int
web_user_del(const char *file, const char *name)
{
    char *err = NULL;
    webusers_t *u = webusers_load(file, true, false, &err);
    int rc = EX_OK;

    if (u == NULL) {
        ctl_warnx("web-user: %s", err);
        free(err);
        return EX_DATAERR;
    }
    if (webusers_del(u, name) == 0) {
        ctl_warnx(_("web-user del: no account %s in %s"), name, file);
        rc = EX_DATAERR;
    } else if (webusers_save(u, file, &err) < 0) {
        ctl_warnx("web-user: %s", err);
        free(err);
        rc = EXIT_FAILURE;
    } else {
        printf("removed %s from %s\n", name, file);
    }
    webusers_destroy(&u);
    return rc;
}

static int
web_user_list(const char *file)
{
    char *err = NULL;
    webusers_t *u = webusers_load(file, true, true, &err);

    if (u == NULL) {
        ctl_warnx("web-user: %s", err);
        free(err);
        return EX_DATAERR;
    }
    for (size_t i = 0; i < u->n; i++) {
        char *role = webuser_role_format(&u->v[i].role);
        printf("%s\t%s\n", u->v[i].name, role);
        free(role);
    }
    webusers_destroy(&u);
    return EX_OK;
}

int
cmd_web_user(void *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"password-stdin", no_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *file = WEBUSER_DEFAULT_FILE, *role = NULL, *sub;
    bool from_stdin = false;
    int c;

    (void)ctx;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            file = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 'p':
            from_stdin = true;
            break;
        default:
            return ctl_bad_option("web-user", c, argv);
        }
    }
    sub = optind < argc ? argv[optind] : "";
    if (strcmp(sub, "list") == 0 && optind + 1 == argc)
        return web_user_list(file);
    if (strcmp(sub, "add") == 0 && optind + 2 == argc)
        return web_user_add(file, argv[optind + 1], role, from_stdin);
    if (strcmp(sub, "del") == 0 && optind + 2 == argc)
        return web_user_del(file, argv[optind + 1]);
    return ctl_usage("web-user: give add NAME --role ROLE, del NAME or list (try permitctl "
                     "web-user --help)");
}
