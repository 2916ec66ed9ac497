/*
 * sdnotify: see sdnotify.h.
 */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static bool sdnotify_warned;     /* a broken socket is logged once, not at every ping */
static bool watchdog_read;       /* $WATCHDOG_USEC was looked at */
static int64_t watchdog_half_ms; /* half the period, 0 without a watchdog */
static int64_t watchdog_last_ms; /* monotonic time of the last WATCHDOG=1 */

/* The address in $NOTIFY_SOCKET; its length, or 0 when there is none (or none usable). */
static socklen_t
notify_address(struct sockaddr_un *sa)
{
    const char *path = getenv("NOTIFY_SOCKET");
    size_t len;

    if (path == NULL || (path[0] != '/' && path[0] != '@'))
        return 0;
    len = strlen(path);
    if (len < 2 || len >= sizeof(sa->sun_path))
        return 0;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, len);
    if (path[0] == '@')
        sa->sun_path[0] = '\0'; /* Linux's abstract namespace: no terminating NUL counted */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
}

/* Send one datagram (msg) to the socket salen/sa names. */
static int
notify_send(const struct sockaddr_un *sa, socklen_t salen, const char *msg)
{
    ssize_t n;
    int fd, saved;

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)sa, salen);
    saved = errno;
    close(fd);
    errno = saved;
    if (n < 0)
        goto fail;
    return 0;
fail:
    if (!sdnotify_warned) {
        sdnotify_warned = true;
        log_warn("sd_notify to %s", getenv("NOTIFY_SOCKET"));
    }
    return -1;
}

int
sdnotify(const char *fmt, ...)
{
    struct sockaddr_un sa;
    socklen_t salen = notify_address(&sa);
    char msg[1024];
    va_list ap;

    if (salen == 0)
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return notify_send(&sa, salen, msg);
}

int
sdnotify_status(const char *lines, const char *fmt, ...)
{
    struct sockaddr_un sa;
    socklen_t salen = notify_address(&sa);
    char msg[1024];
    va_list ap;
    int at;

    if (salen == 0)
        return 0;
    at = snprintf(msg, sizeof(msg), "%s%sSTATUS=", lines ? lines : "", lines ? "\n" : "");
    va_start(ap, fmt);
    vsnprintf(msg + at, sizeof(msg) - (size_t)at, fmt, ap);
    va_end(ap);
    /* One line: a translation (or a name in it) must not start another variable. */
    for (char *c = msg + at; *c != '\0'; c++)
        if (*c == '\n')
            *c = ' ';
    return notify_send(&sa, salen, msg);
}

/* Half of $WATCHDOG_USEC in ms when the watchdog watches this process, read once. */
static int64_t
watchdog_half(void)
{
    const char *usec, *pid;
    char *end;
    unsigned long long v;

    if (watchdog_read)
        return watchdog_half_ms;
    watchdog_read = true;
    usec = getenv("WATCHDOG_USEC");
    pid = getenv("WATCHDOG_PID");
    if (usec == NULL || getenv("NOTIFY_SOCKET") == NULL)
        return 0;
    /* A child of ours must not ping for us: systemd names the pid it watches. */
    if (pid != NULL && strtoll(pid, NULL, 10) != (long long)getpid())
        return 0;
    errno = 0;
    v = strtoull(usec, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0)
        return 0;
    watchdog_half_ms = (int64_t)(v / 2000);
    if (watchdog_half_ms < 1)
        watchdog_half_ms = 1;
    watchdog_last_ms = util_mono_ms();
    return watchdog_half_ms;
}

void
sdnotify_watchdog(void)
{
    int64_t half = watchdog_half(), now;

    if (half == 0)
        return;
    now = util_mono_ms();
    if (now - watchdog_last_ms < half)
        return;
    watchdog_last_ms = now;
    sdnotify("WATCHDOG=1");
}

long
sdnotify_watchdog_ms(void)
{
    int64_t half = watchdog_half(), left;

    if (half == 0)
        return -1;
    left = watchdog_last_ms + half - util_mono_ms();
    return left > 0 ? (long)left : 0;
}
