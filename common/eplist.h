/*
 * eplist: a list of broker endpoints in order of preference, the one syntax every client
 * accepts wherever it takes an endpoint (options, $PERMIT_BROKER, $PERMIT_QUERY,
 * $PERMIT_PUBLISH, config files): "tcp://a:7401,tcp://b:7401". Blanks around an entry are
 * dropped; an empty entry, an entry without a transport ("a:7401") or an empty list is refused
 * with a reason. One endpoint is a list of one. A virtual address that follows the leader is
 * simply a list of one, too.
 *
 * Clients start on the first endpoint and move to the next one (wrapping round) when the one
 * they use stops answering: common/client.c, common/follow.c, agents/agentd.c.
 */
#ifndef PERMIT_EPLIST_H
#define PERMIT_EPLIST_H

#include <stddef.h>

#include "util.h"

/* Most endpoints in one list: a list is a handful of broker nodes, not a directory. */
#define EPLIST_MAX 16

/*
 * Split s into its endpoints, appended to out (which the caller clears). 0, or -1 with a
 * reason in why and out untouched.
 */
int eplist_parse(const char *s, strv_t *out, char *why, size_t whylen);

/* Whether s is a usable list: 0, or -1 with a reason in *err (caller owns). For configs. */
int eplist_check(const char *name, const char *s, char **err);

#endif
