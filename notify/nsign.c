/*
 * nsign: see nsign.h.
 */
#include "nsign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

char *
nsign_hmac_b64(const void *key, size_t keylen, const void *data, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char *out;

    /* HMAC() only fails on a broken libcrypto: a notifier that cannot sign is our bug. */
    if (HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen) == NULL)
        abort();
    out = xmalloc(4 * ((maclen + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
    return out;
}

char *
nsign_dingtalk(const char *secret, int64_t ts_ms)
{
    char *data = xasprintf("%lld\n%s", (long long)ts_ms, secret);
    char *out = nsign_hmac_b64(secret, strlen(secret), data, strlen(data));

    free(data);
    return out;
}

int
nsign_webhook(const char *secret, const char *id, int64_t ts_s, const char *body, char **out)
{
    const char *b64 = strncmp(secret, "whsec_", 6) == 0 ? secret + 6 : secret;
    size_t n = strlen(b64), pad = 0;
    unsigned char *key;
    int keylen;
    char *data, *mac;

    if (n == 0 || n % 4 != 0 ||
        strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789+/=") != n)
        return -1;
    key = xmalloc(n / 4 * 3 + 1);
    keylen = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)n);
    /* EVP_DecodeBlock counts the padding as zero bytes: take them off again. */
    while (pad < 2 && b64[n - 1 - pad] == '=')
        pad++;
    if (keylen < 0 || (size_t)keylen < pad) {
        free(key);
        return -1;
    }
    if (out == NULL) {
        free(key);
        return 0;
    }
    data = xasprintf("%s.%lld.%s", id, (long long)ts_s, body);
    mac = nsign_hmac_b64(key, (size_t)keylen - pad, data, strlen(data));
    *out = xasprintf("v1,%s", mac);
    free(mac);
    free(data);
    free(key);
    return 0;
}
