/*
 * sigwake: signals that wake a daemon's poll loop, shared by permitd, `permit-agent run` and
 * `permit-notify run`.
 *
 * A flag set by a signal handler is only seen when the loop looks at it, and a signal that
 * arrives while the loop works (not inside zmq_poll, so no EINTR) used to be seen only when a
 * later signal interrupted the poll: a SIGHUP that revokes a key could wait for ever. Here the
 * handler also writes a byte to a non-blocking pipe whose read end sits in the poll set, so
 * the poll returns at once whenever a signal came, whenever it came. The flags stay the truth
 * (a full pipe loses a byte, never a signal); the pipe only wakes.
 *
 * The loop's order makes it race-free: sigwake_pending() empties the pipe first and reads the
 * flags after, every iteration. A signal after the flags were read leaves a byte in the pipe,
 * so the next poll returns at once.
 *
 * One per process (a signal handler has nowhere else to find the pipe): the pipe's two ends
 * and the two flags are this module's globals, alongside the exit flag they replace.
 */
#ifndef PERMIT_SIGWAKE_H
#define PERMIT_SIGWAKE_H

#include <signal.h>
#include <stdbool.h>

#define SIGWAKE_STOP 1u   /* SIGTERM or SIGINT arrived: stop cleanly */
#define SIGWAKE_RELOAD 2u /* SIGHUP arrived and was not taken yet */

/*
 * Open the pipe and route SIGTERM and SIGINT (and SIGHUP when `hup`) to it, SIGPIPE ignored
 * (cli_catch_signals). 0, or -1 with errno when no pipe could be made.
 */
int sigwake_init(bool hup);

/* Close the pipe; a signal after this only sets its flag. */
void sigwake_fini(void);

/*
 * The pipe's read end, for a zmq_pollitem_t (socket NULL, events ZMQ_POLLIN); -1 before
 * sigwake_init, when a loop has nothing to add to its poll set.
 */
int sigwake_fd(void);

/*
 * Empty the pipe and say what was asked for: SIGWAKE_STOP once a stop signal came (it stays
 * set), SIGWAKE_RELOAD while a SIGHUP waits for sigwake_take_reload(). Loops call it every
 * iteration, before they poll, and return to their caller when it is not 0.
 */
unsigned sigwake_pending(void);

/*
 * Take the reload request: true when a SIGHUP came since the last call. It is cleared before
 * the caller reloads, so a SIGHUP that arrives during the reload asks for another one.
 */
bool sigwake_take_reload(void);

/* The exit flag (the number of the signal that asked to stop, 0 until then), for code that
 * watches one while it blocks (store_open_wait, client_set_stop). */
volatile sig_atomic_t *sigwake_stop_flag(void);

#endif
