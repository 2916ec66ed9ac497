/*
 * fuzz_conftab: the config reader (libinih through common/conftab, with the broker's option
 * table and its custom parsers: offsets, days of the year, times, yes/no) and the CURVE key
 * file reader (common/curvecfg) on arbitrary INI files.
 */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "curvecfg.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], *err = NULL, *role = NULL;
    config_t cfg;
    curve_key_t pub, sec;

    if (fuzz_write(data, size, ".conf", path, sizeof(path)) != 0)
        return 0;
    config_defaults(&cfg);
    if (config_load_file(&cfg, path, &err) == 0 && config_check(&cfg, &err) != 0) {
        /* a file that loads may still lack what curve = yes needs: err says so */
    }
    free(err);
    err = NULL;
    config_clear(&cfg);
    if (curvecfg_read(path, &pub, NULL, &role, &err) == 0)
        free(role);
    free(err);
    err = NULL;
    (void)curvecfg_read(path, NULL, &sec, NULL, &err);
    free(err);
    unlink(path);
    return 0;
}
