/*
 * acktoken: the tokens of the links `BASE/ack/TOKEN` that let a steward acknowledge a red
 * alert with one tap on a phone, without logging in. permit-notify makes them (one per alert
 * and recipient), permit-web checks them; both read the same key file (ack_key_file).
 *
 * A token is base64url (no padding) of
 *   version (1 byte, 1) | seq (8 bytes, big-endian) | expiry_ms (8 bytes, big-endian, ms since
 *   1970 UTC) | recipient length (1 byte) | recipient (UTF-8) | HMAC-SHA256 (32 bytes)
 * where the HMAC covers everything before it, under the shared key. Nothing in it is secret
 * (the seq and recipient can be read by whoever holds the link); what the HMAC gives is that
 * nobody without the key can make a token for another alert, another person or a later expiry.
 * Decoding is strict: one canonical spelling per token, so changing any character of a token
 * never yields a token that passes.
 *
 * Whether an alert was acknowledged already is the log's business (an alert_ack entry for a
 * seq already acked is answered as a duplicate by the broker), not the token's.
 */
#ifndef PERMIT_ACKTOKEN_H
#define PERMIT_ACKTOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest recipient a token carries (a contact's name or "dept:CODE"), in bytes. */
#define ACKTOKEN_RECIPIENT_MAX 128
/* The longest token, in characters: anything longer is refused before it is decoded. */
#define ACKTOKEN_MAX 256
/* The shortest key file content accepted, in bytes: 256 bits. */
#define ACKTOKEN_KEY_MIN 32
#define ACKTOKEN_KEY_MAX 1024

typedef struct acktoken_key {
    unsigned char bytes[ACKTOKEN_KEY_MAX];
    size_t len;
} acktoken_key_t;

typedef enum acktoken_rc {
    ACKTOKEN_OK,
    ACKTOKEN_EXPIRED,   /* genuine, but its expiry passed */
    ACKTOKEN_FORGED,    /* well-formed, but the HMAC does not match (another key, tampered) */
    ACKTOKEN_MALFORMED, /* not a token at all: length, characters, version, layout */
} acktoken_rc_t;

/*
 * Read the key from path: the file's content without its trailing newline (e.g. the output of
 * `openssl rand -base64 48`), at least ACKTOKEN_KEY_MIN bytes. The file must be private to its
 * owner (common/curvecfg.h curvecfg_private: strict refuses, otherwise a warning). 0, or -1
 * with *err (caller owns).
 */
int acktoken_key_load(const char *path, bool strict, acktoken_key_t *key, char **err);

/*
 * A token for the alert logged at seq, for recipient, valid until expiry_ms. Caller owns the
 * string. NULL when recipient is empty or longer than ACKTOKEN_RECIPIENT_MAX, or seq is 0.
 */
char *acktoken_make(const acktoken_key_t *key, uint64_t seq, const char *recipient,
                    int64_t expiry_ms);

/*
 * Check a token at now_ms. On ACKTOKEN_OK *seq and *recipient (caller owns) are set; on
 * anything else they are left alone. The HMAC is compared in constant time, and checked before
 * the expiry, so EXPIRED is said of genuine tokens only.
 */
acktoken_rc_t acktoken_check(const acktoken_key_t *key, const char *token, int64_t now_ms,
                             uint64_t *seq, char **recipient);

/* "ok", "expired", "forged", "malformed". */
const char *acktoken_rc_name(acktoken_rc_t rc);

#endif
