/*
 * wreport: the weekly bulletin (周调度通报) in permit-web: /report.html, /report.csv and
 * /report.xlsx with ?as_of=YYYY-MM-DD&period=week|month&lang=zh|en, and /api/report (whether
 * the report is enabled, and today's date for the page's date picker). The page /report is the
 * bundle's shell (app.js shows the bulletin in a frame, with the date, period and language).
 *
 * One code path with `permitctl report`: the figures are report/report.c's report_build over
 * the broker's database, opened read-only (the `db` key, as `permitctl report --db`), and the
 * bodies are report_render's and report_xlsx_write's, byte for byte what permitctl writes with
 * the same as-of day, period, language and bulletin file. permit-web then runs on the broker's
 * machine; without `db` the report answers 503 saying how to enable it.
 *
 * A report replays the whole log (seconds for tens of thousands of entries), too long for the
 * single-threaded loop: a worker thread builds it, with its own read-only connection to the
 * database, and renders the three formats at once; the request's connection is suspended
 * meanwhile and resumed when the loop reads the worker's pipe. The results are kept per
 * (as-of day, period, language) and log head (the head permit-web has folded when asked), so a
 * page and its downloads cost one build until the log moves on. Builds wait in a short queue;
 * beyond it a request gets 503 at once.
 *
 * The bulletin's HTML has one <style> element and no script: it is served with the console's
 * Content-Security-Policy plus `style-src` with that style's SHA-256 (nothing else inline is
 * allowed), and `frame-ancestors 'self'` so the /report page can frame it.
 */
#ifndef PERMIT_WREPORT_H
#define PERMIT_WREPORT_H

#include "http.h"
#include "views.h"
#include "wcfg.h"

typedef struct wreport wreport_t;

/* cfg and views are borrowed and outlive it. NULL with *err (caller owns): the bulletin file. */
wreport_t *wreport_new(const wcfg_t *cfg, const views_t *views, char **err);
/* Waits for a build under way to end. */
void wreport_destroy(wreport_t **p);

/* Check the `bulletin` file (NULL or "": none). 0, or -1 with *err (caller owns). */
int wreport_check(const char *bulletin, char **err);

/* Add /report.html, /report.csv, /report.xlsx and /api/report. */
void wreport_routes(wreport_t *self, http_t *http);

/* The fd the loop polls for reading: a build ended (-1: no report configured). */
int wreport_poll_fd(const wreport_t *self);
/* Resume the requests whose report is ready; the loop then runs the HTTP server. */
void wreport_run(wreport_t *self);
/* Before the HTTP server stops: every waiting request is answered (503) at its next call. */
void wreport_shutdown(wreport_t *self);

#endif
