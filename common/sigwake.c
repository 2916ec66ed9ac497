/*
 * sigwake: see sigwake.h.
 */
#define _GNU_SOURCE /* pipe2 */
#include "sigwake.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;
static volatile sig_atomic_t wake_w = -1; /* the write end, read by the handler */
static int wake_r = -1;

/* Async-signal-safe: two flags and a write(2), errno left as the interrupted code had it. */
static void
on_signal(int sig)
{
    int saved = errno;
    unsigned char byte = (unsigned char)sig;

    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = sig;
    if (wake_w >= 0) {
        /* A full pipe is readable already: the poll wakes anyway, the flag says why. */
        ssize_t n = write(wake_w, &byte, 1);
        (void)n;
    }
    errno = saved;
}

int
sigwake_init(bool hup)
{
    int fds[2];

    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
        return -1;
    wake_r = fds[0];
    wake_w = fds[1];
    cli_catch_signals(on_signal, hup);
    return 0;
}

void
sigwake_fini(void)
{
    int w = wake_w;

    wake_w = -1;
    if (w >= 0)
        close(w);
    if (wake_r >= 0)
        close(wake_r);
    wake_r = -1;
}

int
sigwake_fd(void)
{
    return wake_r;
}

unsigned
sigwake_pending(void)
{
    unsigned char buf[64];
    unsigned what = 0;

    if (wake_r >= 0)
        while (read(wake_r, buf, sizeof(buf)) > 0)
            ;
    if (stop_flag)
        what |= SIGWAKE_STOP;
    if (reload_flag)
        what |= SIGWAKE_RELOAD;
    return what;
}

bool
sigwake_take_reload(void)
{
    if (!reload_flag)
        return false;
    reload_flag = 0;
    return true;
}

volatile sig_atomic_t *
sigwake_stop_flag(void)
{
    return &stop_flag;
}
