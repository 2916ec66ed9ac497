/*
 * cli: what every program's main() shares: signal set-up that lets a signal cut a blocking
 * zmq_poll short, and help text wrapped to the terminal's usual width.
 */
#ifndef PERMIT_CLI_H
#define PERMIT_CLI_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Route SIGINT and SIGTERM (and SIGHUP when `hup`) to fn, without SA_RESTART so blocking
 * calls return EINTR; ignore SIGPIPE (a reader that goes away is a write error we handle).
 */
void cli_catch_signals(void (*fn)(int), bool hup);

/* Print text from column `col` on, breaking at blanks before `width`, continuing at indent. */
void cli_print_wrapped(FILE *f, const char *text, int col, int indent, int width);

#endif
