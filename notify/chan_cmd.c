/*
 * chan_cmd: see chan_cmd.h.
 */
#define _GNU_SOURCE
#include "chan_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "sigwake.h"
#include "util.h"

/* Poll slices: a stop request is noticed within this long. */
#define SLICE_MS 50

/*
 * Feed the payload to the child and wait for it, all under one deadline: the pipe is
 * non-blocking and polled, so a child that does not read its stdin cannot hold us. 1 when it
 * exited (status in *status), 0 at the deadline or on a stop request, -1 on an error.
 */
static int
run_child(pid_t pid, int fd, const char *s, size_t n, int64_t deadline, int *status)
{
    const volatile sig_atomic_t *stop = sigwake_stop_flag();
    pid_t done;

    while (util_mono_ms() < deadline && (stop == NULL || *stop == 0)) {
        if (fd >= 0 && n > 0) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, SLICE_MS) > 0) {
                ssize_t w = write(fd, s, n);
                if (w > 0) {
                    s += w;
                    n -= (size_t)w;
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    n = 0; /* the reader left: what it did not want is not our failure */
                }
            }
            if (n == 0) {
                close(fd);
                fd = -1;
            }
        } else if (fd >= 0) {
            close(fd);
            fd = -1;
        }
        done = waitpid(pid, status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0)
            return -1;
        if (fd < 0)
            usleep(10000);
    }
    if (fd >= 0)
        close(fd);
    return waitpid(pid, status, WNOHANG) == pid ? 1 : 0;
}

int
chan_cmd_send(const chan_msg_t *m, char **err)
{
    int fds[2], status = 0, rc;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        *err = xasprintf(_("pipe: %s"), strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        *err = xasprintf(_("fork: %s"), strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* Its own process group: the deadline kills the shell and whatever it started. */
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        dup2(fds[0], STDIN_FILENO);
        setenv("PERMIT_NOTIFY_KEY", m->key, 1);
        setenv("PERMIT_NOTIFY_TITLE", m->title, 1);
        setenv("PERMIT_NOTIFY_TEXT", m->text, 1);
        execl("/bin/sh", "sh", "-c", m->addr, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with the kill below */
    close(fds[0]);
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    rc = run_child(pid, fds[1], m->payload, strlen(m->payload), util_mono_ms() + m->timeout_ms,
                   &status);
    if (rc <= 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        if (rc < 0)
            *err = xasprintf(_("waitpid: %s"), strerror(errno));
        else
            *err =
                xasprintf(_("command %s after %d ms (killed)"),
                          *sigwake_stop_flag() != 0 ? _("interrupted by a stop") : _("timed out"),
                          m->timeout_ms);
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        *err = xasprintf(_("command exited %d"), WEXITSTATUS(status));
    else
        *err = xasprintf(_("command killed by signal %d"), WTERMSIG(status));
    return -1;
}
