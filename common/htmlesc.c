/*
 * htmlesc: the five characters that can end a text or an attribute value, as entities.
 */
#include "htmlesc.h"

const char *
htmlesc_char(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

void
htmlesc_write(FILE *f, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        const char *e = htmlesc_char(*s);
        if (e != NULL)
            fputs(e, f);
        else
            fputc(*s, f);
    }
}
