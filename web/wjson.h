/*
 * wjson: JSON text that is safe wherever a browser may meet it. jansson escapes quotes,
 * backslashes and control characters; on top of that every '<' and '>' becomes \u003c and
 * \u003e (no "</script>" or "<!--" in any context) and U+2028/U+2029 become \u2028/\u2029
 * (line terminators to older JavaScript parsers). The text stays UTF-8 otherwise; a bidi
 * override (U+202E) is data like any other character and the pages render it with textContent.
 */
#ifndef PERMIT_WJSON_H
#define PERMIT_WJSON_H

#include <jansson.h>

/* Compact JSON of j. Caller owns (free). */
char *wjson_dump(const json_t *j);

/* Escape jansson's output text s as above. Caller owns. */
char *wjson_escape(const char *s);

#endif
