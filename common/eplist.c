/*
 * eplist: see eplist.h. Only the syntax is checked here; whether libzmq can connect to an
 * endpoint is found out by zmq_connect.
 */
#include "eplist.h"
#include "i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One entry of a list, blanks trimmed already: 0, or -1 with a reason. */
static int
entry_check(const char *ep, size_t index, char *why, size_t whylen)
{
    const char *sep = strstr(ep, "://");

    if (*ep == '\0') {
        snprintf(why, whylen, _("endpoint %zu of the list is empty"), index + 1);
        return -1;
    }
    if (sep == NULL || sep == ep || sep[3] == '\0') {
        snprintf(why, whylen,
                 _("'%s' is not an endpoint (TRANSPORT://ADDRESS, e.g. tcp://host:7401)"), ep);
        return -1;
    }
    for (const char *p = ep; *p != '\0'; p++) {
        if (isspace((unsigned char)*p)) {
            snprintf(why, whylen, _("'%s': a blank inside an endpoint (separate them with commas)"),
                     ep);
            return -1;
        }
    }
    return 0;
}

int
eplist_parse(const char *s, strv_t *out, char *why, size_t whylen)
{
    strv_t parts = {0};
    const char *p = s;
    size_t n = 0;

    if (util_empty(s)) {
        snprintf(why, whylen, _("no endpoint given"));
        return -1;
    }
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *b = p, *e = p + len;
        char *ep;
        int rc;

        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        ep = xstrndup(b, (size_t)(e - b));
        rc = entry_check(ep, n, why, whylen);
        if (rc == 0 && ++n > EPLIST_MAX) {
            snprintf(why, whylen, _("more than %d endpoints in one list"), EPLIST_MAX);
            rc = -1;
        }
        if (rc == 0)
            strv_push(&parts, ep);
        free(ep);
        if (rc != 0)
            goto fail;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    for (size_t i = 0; i < parts.n; i++)
        strv_push(out, parts.v[i]);
    strv_clear(&parts);
    return 0;

fail:
    strv_clear(&parts);
    return -1;
}

int
eplist_check(const char *name, const char *s, char **err)
{
    strv_t eps = {0};
    char why[256];

    if (eplist_parse(s, &eps, why, sizeof(why)) != 0) {
        *err = xasprintf("%s: %s", name, why);
        return -1;
    }
    strv_clear(&eps);
    return 0;
}
