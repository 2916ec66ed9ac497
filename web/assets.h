/*
 * assets: the pages' static bundle (web/static/: one HTML shell, its script and its style),
 * compiled into the binary at build time by cmake/embed.cmake, so permit-web needs no data
 * folder and serves exactly the files it was built with. The generated table is never
 * committed.
 */
#ifndef PERMIT_ASSETS_H
#define PERMIT_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *name;  /* the file's name under web/static/, e.g. "app.js" */
    const char *ctype; /* its Content-Type */
    const unsigned char *data;
    size_t len;
} web_asset_t;

extern const web_asset_t web_assets[];
extern const size_t web_nassets;

/* The asset of that name, or NULL. */
const web_asset_t *web_asset_find(const char *name);

#endif
