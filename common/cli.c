/*
 * cli: see cli.h.
 */
#include "cli.h"

#include <signal.h>
#include <string.h>

void
cli_catch_signals(void (*fn)(int), bool hup)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void
cli_print_wrapped(FILE *f, const char *text, int col, int indent, int width)
{
    const char *p = text;
    bool first = true;

    while (*p != '\0') {
        size_t word = strcspn(p, " ");
        if (!first && col + 1 + (int)word > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, word, f);
        col += (int)word;
        first = false;
        p += word;
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}
