/*
 * wjson: see wjson.h.
 */
#include "wjson.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

char *
wjson_escape(const char *s)
{
    size_t extra = 0, n = 0;
    char *out, *o;

    for (const char *p = s; *p != '\0'; p++, n++)
        if (*p == '<' || *p == '>')
            extra += 5;
        else if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
                 ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9))
            extra += 3;
    o = out = xmalloc(n + extra + 1);
    for (const char *p = s; *p != '\0'; p++) {
        /* Outside strings JSON has neither character, so this only ever touches string text. */
        if (*p == '<' || *p == '>') {
            memcpy(o, *p == '<' ? "\\u003c" : "\\u003e", 6);
            o += 6;
        } else if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
                   ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9)) {
            memcpy(o, (unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            o += 6;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

char *
wjson_dump(const json_t *j)
{
    char *raw = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY), *out;

    if (raw == NULL)
        return xstrdup("null");
    out = wjson_escape(raw);
    free(raw);
    return out;
}
