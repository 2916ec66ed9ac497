/*
 * spool: a department's drop folder, where its own approval system leaves events as files.
 *
 * Owns the folder and its two subfolders: done/ (files whose events are all in the outbox) and
 * failed/ (files that were refused, each with NAME.reason beside it). A file is taken whole or
 * not at all: every event of it is checked first, and a file with one bad event is refused
 * with "NAME:LINE: reason" and nothing of it is taken.
 *
 * Formats, chosen by the name's ending (any case):
 *   .csv             a header row naming the columns, then one event a row
 *   .json            one event object, or an array of them
 *   .jsonl .ndjson   one event object a line (objects may also simply follow each other)
 * The columns and keys are the names of `permit-agent send`'s options (evspec.h): project,
 * procedure, event (required), id, cert, note, missing, due, time, and dept (when given it must
 * be the agent's own). An unknown column or key refuses the file, so a typo is never silently
 * dropped. In JSON, time and due may also be numbers (milliseconds since the epoch).
 *
 * A file is complete when it appears under its final name: write it as ".NAME" or "NAME.tmp"
 * (both ignored) and rename it (write-then-rename); renaming within one file system is atomic.
 * Files are taken in byte order of their names, so a sender orders its files by naming them
 * (e.g. by time); within a file, events keep the file's order.
 *
 * Event ids: an event without an id gets one derived from the department, the file's name, its
 * content and the event's position (UUID version 5). Taking the same file again, say after a
 * crash between the outbox commit and the move to done/, gives the same ids, which the outbox
 * (and the broker) recognise, so nothing is doubled. A file whose events have no time field
 * claims the file's modification time for them.
 */
#ifndef PERMIT_SPOOL_H
#define PERMIT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* The events of one file, checked, in file order. */
typedef struct spool_file {
    char *name;          /* the file's name in the folder */
    pm_entry_t **events; /* each with event_id and dept set */
    unsigned *lines;     /* the line each event starts on */
    size_t n;
} spool_file_t;

/*
 * Read and check one file for department dept. On success *out is the file's events (caller
 * owns, spool_file_destroy) and 0 is returned; on failure -1 with "NAME:LINE: reason" (or
 * "NAME: reason") in why.
 */
int spool_parse(const char *path, const char *dept, spool_file_t **out, char *why, size_t whylen);
void spool_file_destroy(spool_file_t **p);

/*
 * Hand a checked file's events on (to the outbox, in one transaction). Return 0 when they are
 * durably taken, -1 (with a reason in why) to leave the file where it is and try again later,
 * or SPOOL_TAKE_LATER for the same when the taker reports the cause itself (a full disk,
 * said once, not once per file and scan).
 */
#define SPOOL_TAKE_LATER (-2)
typedef int(spool_take_fn)(void *arg, const spool_file_t *file, char *why, size_t whylen);

typedef struct spool spool_t;

/*
 * A spool on folder dir for department dept; dir, dir/done and dir/failed are created (one
 * level each) when missing. NULL with a reason in why when they cannot be.
 */
spool_t *spool_new(const char *dir, const char *dept, char *why, size_t whylen);
void spool_destroy(spool_t **p);

const char *spool_dir(const spool_t *self);

/*
 * Look at the folder once and handle up to max complete files in name order: a file that
 * checks out is handed to take and then moved to done/; one that does not is moved to failed/
 * with its reason. A file that changed while it was read is left for the next scan. *more
 * says files were left because of max. Returns the number of files handled, or -1 when take
 * failed (that file and the rest stay for the next scan).
 */
int spool_scan(spool_t *self, size_t max, spool_take_fn *take, void *arg, bool *more);

#endif
