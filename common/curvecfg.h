/*
 * curvecfg: CURVE key files and the client side of CURVE, shared by every program.
 *
 * A key file is a few "name = value" lines (INI without a section, read by libinih):
 *   NAME.key     public = Z85 (40 characters) and, for the broker's keys folder, role = ROLE
 *   NAME.secret  public = Z85 and secret = Z85; mode 0600, never leaves its machine
 * `permitctl keygen NAME` writes both (curvecfg_keygen).
 *
 * The client keys are part of a client program's loaded config: main() calls
 * curvecfg_client_setup() once with --curve-secret / --broker-key (or config keys); without
 * them the environment (PERMIT_CURVE_SECRET, PERMIT_BROKER_KEY) is used, and without that the
 * client speaks plain. Every client socket (client.c's DEALER, follow.c's SUB, the agent
 * daemon's DEALER) goes through curvecfg_client_apply() before it connects.
 */
#ifndef PERMIT_CURVECFG_H
#define PERMIT_CURVECFG_H

#include <stdbool.h>
#include <stddef.h>

/* A Z85 key: 40 characters and the NUL. */
#define CURVE_Z85_LEN 40

typedef struct curve_key {
    char z85[CURVE_Z85_LEN + 1];
} curve_key_t;

/*
 * Read a key file. public_key (optional, may be NULL) gets "public" or, when the file has only
 * a secret, the public key derived from it; secret_key (may be NULL) gets "secret", which is
 * then required; *role (may be NULL; caller owns) gets "role" or NULL. 0, or -1 with *err.
 */
int curvecfg_read(const char *path, curve_key_t *public_key, curve_key_t *secret_key, char **role,
                  char **err);

/*
 * Whether a file holding a secret (a CURVE secret key: holds NULL; a config file: holds what,
 * e.g. "a password") is private to its owner. When group or others may read it, the text is
 * "PATH is readable by group or others[ and holds HOLDS]: chmod 600 PATH": strict (the `-n`
 * checks) gives -1 with it in *err (caller owns); otherwise it is logged as a warning (a
 * running service keeps running) and the answer is 0, as it is for a private file. A file
 * that cannot be stat'ed passes: reading it says why. curvecfg_read warns so for a secret.
 */
int curvecfg_private(const char *path, const char *holds, bool strict, char **err);

/* Whether text is a valid Z85 CURVE key. */
bool curvecfg_valid(const char *z85);

/*
 * The client keys of this process: secret_file holds our key pair, broker_key_file the
 * broker's public key. NULL for either falls back to PERMIT_CURVE_SECRET / PERMIT_BROKER_KEY.
 * Neither given: plain. One given without the other is an error. 0, or -1 with *err.
 */
int curvecfg_client_setup(const char *secret_file, const char *broker_key_file, char **err);

/* -n: the key pair file setup read, if any, is private (a strict curvecfg_private). */
int curvecfg_client_private(char **err);

/*
 * The name of this process's key pair (the secret file's name without its folder and
 * ".secret": the NAME of the NAME.key the broker must trust), or NULL when none is set up.
 */
const char *curvecfg_client_name(void);

/* Whether this process's clients speak CURVE (after setup, or from the environment). */
bool curvecfg_client_on(void);

/*
 * Make a client socket (DEALER, SUB) speak CURVE when keys are configured; a no-op otherwise.
 * Call before zmq_connect. 0, or -1 with a reason in why.
 */
int curvecfg_client_apply(void *sock, char *why, size_t whylen);

/*
 * Generate a key pair with zmq_curve_keypair and write DIR/NAME.key (public, with the role
 * line when role is not NULL) and DIR/NAME.secret (mode 0600). DIR is created (mode 0700,
 * parents too) when missing. Refuses to overwrite either.
 * 0, or -1 with *err (caller owns).
 */
int curvecfg_keygen(const char *dir, const char *name, const char *role, char **err);

/* Whether name is usable as an identity and a file name: [A-Za-z0-9_.-], 1..64, no leading dot. */
bool curvecfg_name_ok(const char *name);

#endif
