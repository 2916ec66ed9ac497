/*
 * nsign: the signatures robots and receivers check, with libcrypto's HMAC (never a SHA-256 of
 * our own): DingTalk's 加签 and Standard Webhooks' v1.
 */
#ifndef PERMIT_NSIGN_H
#define PERMIT_NSIGN_H

#include <stddef.h>
#include <stdint.h>

/* base64(HMAC-SHA256(key, data)). Caller owns. */
char *nsign_hmac_b64(const void *key, size_t keylen, const void *data, size_t len);

/*
 * DingTalk's sign for a timestamp in ms: base64(HMAC-SHA256(secret, "TIMESTAMP\nSECRET")),
 * not yet URL-encoded. Caller owns.
 */
char *nsign_dingtalk(const char *secret, int64_t ts_ms);

/*
 * Standard Webhooks: "v1,base64(HMAC-SHA256(key, ID.TS.BODY))" where the key is the secret
 * after "whsec_", base64-decoded, into *out (caller owns; out may be NULL to check a secret).
 * 0, or -1 when the secret does not decode.
 */
int nsign_webhook(const char *secret, const char *id, int64_t ts_s, const char *body, char **out);

#endif
