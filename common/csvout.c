/*
 * csvout: see csvout.h.
 */
#include "csvout.h"

#include <string.h>

/* The first characters a spreadsheet takes as the start of a formula. */
static bool
formula_like(const char *s)
{
    return *s != '\0' && strchr("=+-@\t\r", *s) != NULL;
}

void
csvout_field(FILE *f, const char *s, bool text)
{
    bool formula = text && formula_like(s);

    if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
