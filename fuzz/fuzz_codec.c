/*
 * fuzz_codec: the frame decoder (and its validation: memory budget, repeated caps, UTF-8, NUL,
 * field lengths) on arbitrary bytes, as the broker's sockets receive them. A frame that
 * decodes must encode again and decode to the same bytes: what the broker accepts it can
 * also store and publish.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pm_msg_t *msg = NULL, *again = NULL;
    pm_entry_t *entry = NULL;
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    uint32_t version;
    char why[256];

    (void)codec_peek_version(data, size, &version);
    if (codec_decode(data, size, &msg, why, sizeof(why)) == 0) {
        if (codec_encode(msg, &buf, &len) != 0)
            abort(); /* decoded but cannot be encoded: a bug */
        if (codec_decode(buf, len, &again, why, sizeof(why)) != 0)
            abort(); /* our own encoding refused by our decoder: a bug */
        if (codec_encode(again, &buf2, &len2) != 0 || len2 != len || memcmp(buf, buf2, len) != 0)
            abort(); /* not a fixed point */
    }
    if (codec_decode_entry(data, size, &entry, why, sizeof(why)) == 0)
        pm_entry_destroy(&entry);
    free(buf);
    free(buf2);
    pm_msg_destroy(&again);
    pm_msg_destroy(&msg);
    return 0;
}
