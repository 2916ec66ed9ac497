/*
 * htmlesc: text from departments or configuration made safe inside HTML, in an element or a
 * quoted attribute, and inside XML (SVG): the one escaper of the bulletin, the notifier's
 * e-mail and the web console's server-made pages.
 */
#ifndef PERMIT_HTMLESC_H
#define PERMIT_HTMLESC_H

#include <stdio.h>

/* The entity that stands for c (& < > " '), or NULL when c stands for itself. */
const char *htmlesc_char(char c);

/* s to f with those five escaped; NULL writes nothing. */
void htmlesc_write(FILE *f, const char *s);

#endif
