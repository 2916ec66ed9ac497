/*
 * fuzz_csvin: the CSV reader of permitctl's imports (libcsv strict mode, BOM, UTF-8 checks,
 * trimming, short and long rows) on arbitrary files; every field of every row is read back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], why[512];
    csvin_t *c = NULL;
    size_t total = 0;

    if (fuzz_write(data, size, ".csv", path, sizeof(path)) != 0)
        return 0;
    if (csvin_read(path, &c, why, sizeof(why)) == 0) {
        static const char *const cols[] = {"code", "name", "project", "procedure", "dept"};
        for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
            int col = csvin_column(c, cols[i]);
            for (size_t r = 0; col >= 0 && r < csvin_rows(c); r++) {
                const char *v = csvin_get(c, r, col);
                total += v ? strlen(v) : 0;
            }
        }
        for (size_t r = 0; r < csvin_rows(c); r++)
            total += csvin_line(c, r);
        csvin_destroy(&c);
    }
    unlink(path);
    return total == (size_t)-1; /* keeps the reads from being optimised away */
}
