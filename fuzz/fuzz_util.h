/*
 * fuzz_util: what the libFuzzer harnesses share. The parsers under test read files by path,
 * so each input is written to a file of this process first (in /dev/shm when there is one:
 * no disk wear at thousands of runs a second), with the ending that picks the format.
 */
#ifndef PERMIT_FUZZ_UTIL_H
#define PERMIT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write data to a per-process file ending in ext; its path is left in path. 0 or -1. */
static inline int
fuzz_write(const uint8_t *data, size_t size, const char *ext, char *path, size_t pathsize)
{
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    FILE *f;

    snprintf(path, pathsize, "%s/permit-fuzz-%ld%s", dir, (long)getpid(), ext);
    f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    if (size > 0 && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

#endif
