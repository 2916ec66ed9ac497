/*
 * strpool: interned strings. One copy of each distinct string, kept until the pool is
 * destroyed, so that many records can share it by pointer.
 *
 * The store keeps the procedure codes and department codes of its rows here: a few dozen
 * distinct strings (the templates' procedures) that every row of every project repeats.
 * Copying a row is then copying pointers, not allocating two strings, and freeing it frees
 * nothing of them (permit-bench: the copies were the largest share of the broker's
 * allocations per event). Not for strings of unbounded variety: nothing is ever removed.
 */
#ifndef PERMIT_STRPOOL_H
#define PERMIT_STRPOOL_H

#include <stddef.h>

typedef struct strpool strpool_t;

strpool_t *strpool_new(void);
/* Frees the pool and every string it gave out; accepts NULL and clears *pool. */
void strpool_destroy(strpool_t **pool);
/*
 * The pool's copy of s (NULL for NULL), added on first use. It stays valid, and equal to s,
 * until the pool is destroyed.
 */
const char *strpool_intern(strpool_t *pool, const char *s);
/* How many distinct strings the pool holds. */
size_t strpool_count(const strpool_t *pool);

#endif
