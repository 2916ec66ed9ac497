/*
 * rowpack: a project's procedure rows packed into a few hundred bytes, the form in which the
 * store's cache (store.c) keeps every project in progress.
 *
 * A store_proc_t is about 120 bytes with two pointers to its codes and two owned strings; a
 * project has a dozen rows, and the cache holds every project in progress (100,000 and more).
 * Packed, the codes are their numbers in the store's pool of names (strpool_number), the
 * states and flags a byte each, and the numbers variable-length integers (LEB128, signed ones
 * zigzagged): most are 0 or small days, a row of a project still waiting is about 25 bytes.
 * Unpacking gives the rows back exactly, codes as the pool's copies.
 */
#ifndef PERMIT_ROWPACK_H
#define PERMIT_ROWPACK_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "row.h"
#include "strpool.h"

/* The n rows packed (caller frees), *len its bytes; codes are interned into names. */
uint8_t *rowpack_pack(strpool_t *names, const store_proc_t *rows, size_t n, size_t *len);
/* Unpack the n rows that buf (len bytes) holds into out (n of them, zeroed or not): codes are
 * names's copies, cert and missing owned by the caller (store_proc_clear). */
void rowpack_unpack(const strpool_t *names, const uint8_t *buf, size_t len, store_proc_t *out,
                    size_t n);

/* buf (len bytes, n > ordinal rows) with row `ordinal` replaced by row, packed anew (caller
 * frees), *out_len its bytes: the rows before and after it are copied as they are. */
uint8_t *rowpack_replace(strpool_t *names, const uint8_t *buf, size_t len, size_t ordinal,
                         const store_proc_t *row, size_t *out_len);
/*
 * A project's own fields (pm_project_t), which the engine reads with its rows for every event,
 * packed the same way into one allocation instead of a struct and eight strings; unpacked
 * into *out (zeroed or cleared; pm_project_clear frees it).
 */
uint8_t *rowpack_project_pack(const pm_project_t *p, size_t *len);
void rowpack_project_unpack(const uint8_t *buf, size_t len, pm_project_t *out);

#endif
