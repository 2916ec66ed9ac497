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
#include <stdint.h>

typedef struct strpool strpool_t;

strpool_t *strpool_new(void);
/* Frees the pool and every string it gave out; accepts NULL and clears *pool. */
void strpool_destroy(strpool_t **pool);
/*
 * The pool's copy of s (NULL for NULL), added on first use. It stays valid, and equal to s,
 * until the pool is destroyed.
 */
const char *strpool_intern(strpool_t *pool, const char *s);
/*
 * Strings by number: the pool numbers them 0, 1, ... in the order it first saw them, so that a
 * record may keep a small number instead of a pointer. strpool_number interns s (not NULL)
 * and gives its number; strpool_at gives back the string of a number it gave.
 */
uint32_t strpool_number(strpool_t *pool, const char *s);
const char *strpool_at(const strpool_t *pool, uint32_t number);
/* How many distinct strings the pool holds. */
size_t strpool_count(const strpool_t *pool);

#endif
