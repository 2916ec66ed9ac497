/*
 * csvout: one CSV field as every CSV writer of ours writes it (RFC 4180), safe to open in a
 * spreadsheet.
 *
 * A field is quoted when it holds a comma, a quote or a line break, with quotes doubled.
 * A text field that a spreadsheet would read as a formula (it starts with '=', '+', '-', '@',
 * a tab or a carriage return: OWASP's "CSV injection") gets a single quote in front and is
 * quoted, so Excel and LibreOffice show it as the text it is. Names, notes and codes come
 * from departments and must go through as text; figures we computed (counts, rates, a
 * negative change) go through as figures so they stay numbers.
 */
#ifndef PERMIT_CSVOUT_H
#define PERMIT_CSVOUT_H

#include <stdbool.h>
#include <stdio.h>

/* Write s as one field (no separator). text: s is text from outside, not a figure of ours. */
void csvout_field(FILE *f, const char *s, bool text);

#endif
