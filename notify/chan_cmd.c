/*
 * chan_cmd: see chan_cmd.h.
 */
#define _GNU_SOURCE
#include "chan_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* Write all of s to fd; a reader that does not want it all is not our failure. */
static void
write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

int
chan_cmd_send(const chan_msg_t *m, char **err)
{
    int fds[2], status = 0;
    int64_t deadline;
    pid_t pid, done = 0;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        *err = xasprintf("pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        *err = xasprintf("fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        dup2(fds[0], STDIN_FILENO);
        setenv("PERMIT_NOTIFY_KEY", m->key, 1);
        setenv("PERMIT_NOTIFY_TITLE", m->title, 1);
        setenv("PERMIT_NOTIFY_TEXT", m->text, 1);
        execl("/bin/sh", "sh", "-c", m->addr, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    write_all(fds[1], m->payload, strlen(m->payload));
    close(fds[1]);
    deadline = util_mono_ms() + m->timeout_ms;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && util_mono_ms() < deadline)
        usleep(10000);
    if (done == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        *err = xasprintf("command timed out after %d ms", m->timeout_ms);
        return -1;
    }
    if (done < 0) {
        *err = xasprintf("waitpid: %s", strerror(errno));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        *err = xasprintf("command exited %d", WEXITSTATUS(status));
    else
        *err = xasprintf("command killed by signal %d", WTERMSIG(status));
    return -1;
}
