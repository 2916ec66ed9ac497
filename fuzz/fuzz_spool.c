/*
 * fuzz_spool: the department agent's spool parser (CSV, JSON, JSON lines, through evspec's
 * rules) on arbitrary files. The first byte picks the format, the rest is the file.
 */
#include <stdint.h>

#include "fuzz_util.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const exts[] = {".json", ".jsonl", ".csv"};
    char path[128], why[512];
    spool_file_t *f = NULL;

    if (size == 0)
        return 0;
    if (fuzz_write(data + 1, size - 1, exts[data[0] % 3], path, sizeof(path)) != 0)
        return 0;
    if (spool_parse(path, "NRB", &f, why, sizeof(why)) == 0)
        spool_file_destroy(&f);
    unlink(path);
    return 0;
}
