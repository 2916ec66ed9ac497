/*
 * rawsend: send one raw frame to a ZeroMQ ROUTER and print the raw reply.
 *
 * The integration tests use it to feed the broker bytes no well-behaved client would send
 * (garbage, a wrong protocol version) without going through the codec, and to check that the
 * broker answers instead of crashing or going silent. It links libzmq only, on purpose: it
 * must not share a single line of code with the programs it tests.
 *
 *   rawsend [-t MS] ENDPOINT HEX      send the bytes spelled by HEX ("" sends an empty frame)
 *   rawsend [-t MS] ENDPOINT -f FILE  send the contents of FILE
 *   rawsend [-t MS] ENDPOINT -l FILE  send every line of FILE (one frame in hex per line) at
 *                                     once, without waiting, then collect one reply per frame
 *   rawsend [-t MS] ENDPOINT -u FILE  send every line of FILE like -l, then read nothing for
 *                                     MS milliseconds (a receive high-water mark of 1, so the
 *                                     replies back up into the broker), exit 0: a client that
 *                                     asks and never reads
 *   rawsend [-t MS] ENDPOINT -i       read hex lines from stdin until EOF, each sent and its
 *                                     reply printed in hex before the next, on ONE connection
 *                                     (a live connection across a broker's SIGHUP)
 *
 * Before ENDPOINT, -k SECRET_FILE -s BROKER_KEY_FILE make it a CURVE client: the files are
 * those of permitctl keygen ("public = Z85", "secret = Z85" lines), read here by hand. -r
 * makes it a REQ socket instead of a DEALER (an empty delimiter frame goes before each frame,
 * and a reply without it is dropped by libzmq): one frame at a time, so not with -l.
 *
 * The reply frame goes to stdout unchanged; with -l each reply is printed in hex on its own
 * line. Exit 0 when every reply came, 2 if one did not come within MS milliseconds (default
 * 3000), 1 on any other error, 64 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define RAWSEND_MAX_FRAME (64u * 1024 * 1024)

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
    fprintf(stderr, "usage: rawsend [-t MS] [-k SECRET_FILE -s BROKER_KEY_FILE] [-r] ENDPOINT HEX\n"
                    "       rawsend [-t MS] [-k ... -s ...] [-r] ENDPOINT -f FILE\n"
                    "       rawsend [-t MS] [-k ... -s ...] ENDPOINT -l FILE\n"
                    "       rawsend [-t MS] [-k ... -s ...] ENDPOINT -u FILE\n"
                    "       rawsend [-t MS] [-k ... -s ...] [-r] ENDPOINT -i\n");
    exit(64);
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Turn "08 02 ff" or "0802ff" into bytes. Whitespace between pairs is allowed so tests can
 * write frames readably. Returns 0 and a malloc'ed buffer the caller owns, or -1.
 */
static int
parse_hex(const char *hex, unsigned char **out, size_t *outlen)
{
    size_t cap = strlen(hex) / 2 + 1;
    unsigned char *buf = malloc(cap);
    size_t n = 0;
    int hi = -1;

    if (buf == NULL)
        return -1;
    for (const char *p = hex; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == ':')
            continue;
        int v = hexval((unsigned char)*p);
        if (v < 0)
            goto fail;
        if (hi < 0) {
            hi = v;
        } else {
            buf[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        goto fail;
    *out = buf;
    *outlen = n;
    return 0;
fail:
    free(buf);
    return -1;
}

/* Read a whole file into a malloc'ed buffer the caller owns. Returns 0 or -1. */
static int
read_file(const char *path, unsigned char **out, size_t *outlen)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        fprintf(stderr, "rawsend: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            if (cap > RAWSEND_MAX_FRAME) {
                fprintf(stderr, "rawsend: %s: too large\n", path);
                goto fail;
            }
            unsigned char *nbuf = realloc(buf, cap);
            if (nbuf == NULL)
                goto fail;
            buf = nbuf;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "rawsend: %s: read error\n", path);
        goto fail;
    }
    fclose(f);
    *out = buf;
    *outlen = n;
    return 0;
fail:
    free(buf);
    fclose(f);
    return -1;
}

/* Receive one reply; print it raw or as a hex line. 0, 2 on timeout, 1 on error. */
static int
recv_reply(void *sock, int timeout_ms, int as_hex)
{
    zmq_msg_t reply;
    size_t rlen;
    const unsigned char *data;
    int rc = 1;

    zmq_msg_init(&reply);
    if (zmq_msg_recv(&reply, sock, 0) < 0) {
        int err = zmq_errno();
        zmq_msg_close(&reply);
        if (err == EAGAIN) {
            fprintf(stderr, "rawsend: no reply within %d ms\n", timeout_ms);
            return 2;
        }
        fprintf(stderr, "rawsend: recv: %s\n", zmq_strerror(err));
        return 1;
    }
    rlen = zmq_msg_size(&reply);
    data = zmq_msg_data(&reply);
    if (as_hex) {
        for (size_t i = 0; i < rlen; i++)
            printf("%02x", data[i]);
        rc = putchar('\n') == EOF ? 1 : 0;
    } else if (fwrite(data, 1, rlen, stdout) == rlen) {
        rc = 0;
    }
    zmq_msg_close(&reply);
    return rc;
}

static int
send_frame(void *sock, const unsigned char *frame, size_t len)
{
    if (zmq_send(sock, frame, len, 0) < 0) {
        fprintf(stderr, "rawsend: send: %s\n", zmq_strerror(zmq_errno()));
        return zmq_errno() == EAGAIN ? 2 : 1;
    }
    return 0;
}

/* Send every hex line of the file, then collect as many replies (or none, when unread). */
static int
send_lines(void *sock, const char *path, int timeout_ms, int unread)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int sent = 0, rc = 0;

    if (f == NULL) {
        fprintf(stderr, "rawsend: %s: %s\n", path, strerror(errno));
        return 1;
    }
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        unsigned char *frame = NULL;
        size_t len = 0;
        line[strcspn(line, "\n")] = '\0';
        if (parse_hex(line, &frame, &len) != 0) {
            fprintf(stderr, "rawsend: %s: bad hex on line %d\n", path, sent + 1);
            rc = 1;
            break;
        }
        rc = send_frame(sock, frame, len);
        free(frame);
        sent++;
    }
    free(line);
    fclose(f);
    if (unread) {
        if (rc == 0)
            zmq_poll(NULL, 0, timeout_ms);
        return rc;
    }
    for (int i = 0; rc == 0 && i < sent; i++)
        rc = recv_reply(sock, timeout_ms, 1);
    return rc;
}

/* The value of "name = VALUE" in a key file, 40 characters, into out[41]. 0 or -1. */
static int
key_line(const char *path, const char *name, char *out)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, nlen = strlen(name);
    int rc = -1;

    if (f == NULL) {
        fprintf(stderr, "rawsend: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (rc < 0 && getline(&line, &cap, f) > 0) {
        char *p = line;
        if (strncmp(p, name, nlen) != 0)
            continue;
        p += nlen;
        p += strspn(p, " \t");
        if (*p++ != '=')
            continue;
        p += strspn(p, " \t");
        p[strcspn(p, " \t\r\n")] = '\0';
        if (strlen(p) == 40) {
            memcpy(out, p, 41);
            rc = 0;
        }
    }
    if (rc < 0)
        fprintf(stderr, "rawsend: %s: no %s key\n", path, name);
    free(line);
    fclose(f);
    return rc;
}

/* Make sock a CURVE client with the key pair in secret_file and the broker's public key. */
static int
curve_client(void *sock, const char *secret_file, const char *server_file)
{
    char pub[41], sec[41], srv[41];

    if (key_line(secret_file, "public", pub) < 0 || key_line(secret_file, "secret", sec) < 0 ||
        key_line(server_file, "public", srv) < 0)
        return -1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, srv, 40) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 40) != 0) {
        fprintf(stderr, "rawsend: CURVE: %s\n", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* -i: one frame per line of stdin, each answered before the next is read. */
static int
send_interactive(void *sock, int timeout_ms)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;

    while (rc == 0 && getline(&line, &cap, stdin) > 0) {
        unsigned char *frame = NULL;
        size_t len = 0;
        line[strcspn(line, "\n")] = '\0';
        if (parse_hex(line, &frame, &len) != 0) {
            fprintf(stderr, "rawsend: bad hex on stdin\n");
            rc = 1;
            break;
        }
        rc = send_frame(sock, frame, len);
        free(frame);
        if (rc == 0)
            rc = recv_reply(sock, timeout_ms, 1);
        fflush(stdout);
    }
    free(line);
    return rc;
}

int
main(int argc, char **argv)
{
    int timeout_ms = 3000, linger = 0;
    const char *endpoint, *file = NULL, *hex = NULL, *lines = NULL;
    const char *secret_file = NULL, *server_file = NULL;
    int interactive = 0, req = 0, unread = 0;
    unsigned char *frame = NULL;
    size_t len = 0;
    void *ctx = NULL, *sock = NULL;
    int rc = 1, argi = 1;

    if (argi + 1 < argc && strcmp(argv[argi], "-t") == 0) {
        char *end;
        long v = strtol(argv[argi + 1], &end, 10);
        if (*end != '\0' || v < 0 || v > 600000)
            usage();
        timeout_ms = (int)v;
        argi += 2;
    }
    while (argi + 1 < argc && (strcmp(argv[argi], "-k") == 0 || strcmp(argv[argi], "-s") == 0)) {
        if (argv[argi][1] == 'k')
            secret_file = argv[argi + 1];
        else
            server_file = argv[argi + 1];
        argi += 2;
    }
    if (argi < argc && strcmp(argv[argi], "-r") == 0) {
        req = 1;
        argi++;
    }
    if ((secret_file == NULL) != (server_file == NULL))
        usage();
    if (argc - argi == 2 && strcmp(argv[argi + 1], "-i") == 0) {
        endpoint = argv[argi];
        interactive = 1;
    } else if (argc - argi == 2) {
        endpoint = argv[argi];
        hex = argv[argi + 1];
    } else if (argc - argi == 3 && strcmp(argv[argi + 1], "-f") == 0) {
        endpoint = argv[argi];
        file = argv[argi + 2];
    } else if (argc - argi == 3 &&
               (strcmp(argv[argi + 1], "-l") == 0 || strcmp(argv[argi + 1], "-u") == 0)) {
        endpoint = argv[argi];
        lines = argv[argi + 2];
        unread = argv[argi + 1][1] == 'u';
    } else {
        usage();
    }
    if (req && lines != NULL)
        usage();

    if (lines == NULL && !interactive &&
        (file != NULL ? read_file(file, &frame, &len) : parse_hex(hex, &frame, &len))) {
        if (file == NULL)
            fprintf(stderr, "rawsend: bad hex string\n");
        return 1;
    }

    ctx = zmq_ctx_new();
    if (ctx == NULL)
        goto out;
    sock = zmq_socket(ctx, req ? ZMQ_REQ : ZMQ_DEALER);
    if (sock == NULL)
        goto out;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    if (unread) {
        int one = 1;
        zmq_setsockopt(sock, ZMQ_RCVHWM, &one, sizeof one);
        zmq_setsockopt(sock, ZMQ_RCVBUF, &one, sizeof one); /* the kernel's smallest */
    }
    if (secret_file != NULL && curve_client(sock, secret_file, server_file) != 0)
        goto out;
    if (zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "rawsend: connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        goto out;
    }
    if (interactive)
        rc = send_interactive(sock, timeout_ms);
    else if (lines != NULL)
        rc = send_lines(sock, lines, timeout_ms, unread);
    else if ((rc = send_frame(sock, frame, len)) == 0)
        rc = recv_reply(sock, timeout_ms, 0);
    if (fflush(stdout) != 0)
        rc = 1;

out:
    if (sock != NULL)
        zmq_close(sock);
    if (ctx != NULL)
        zmq_ctx_term(ctx);
    free(frame);
    return rc;
}
