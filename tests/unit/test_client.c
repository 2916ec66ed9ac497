/*
 * Unit tests of client with a list of endpoints: a request whose first endpoint never answers
 * moves on to the next and is answered there, the client stays on the endpoint that answered,
 * an event's resend carries the same id, and a list where nobody answers is reported
 * unreachable naming every endpoint. The brokers are ROUTER sockets on inproc endpoints served
 * by a thread that answers every request with an ack echoing its id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "client.h"
#include "codec.h"
#include "util.h"

#define SILENT "inproc://silent"
#define ACTIVE "inproc://active"

typedef struct fixture {
    void *zctx;
    void *router; /* ACTIVE, served by the thread */
    void *silent; /* SILENT: bound, never answers */
    pthread_t thread;
    volatile int stop;
    int served;
    char last_id[64];
} fixture_t;

/* Answer each request on the ROUTER with an ack: seq 7, the request's id. */
static void *
serve(void *arg)
{
    fixture_t *fx = arg;

    while (!fx->stop) {
        zmq_pollitem_t item = {.socket = fx->router, .events = ZMQ_POLLIN};
        zmq_msg_t who, body;
        pm_msg_t *req = NULL, *rep;
        uint8_t *buf = NULL;
        size_t len = 0;
        char why[128];

        if (zmq_poll(&item, 1, 20) <= 0)
            continue;
        zmq_msg_init(&who);
        zmq_msg_init(&body);
        zmq_msg_recv(&who, fx->router, 0);
        zmq_msg_recv(&body, fx->router, 0);
        if (codec_decode(zmq_msg_data(&body), zmq_msg_size(&body), &req, why, sizeof(why)) == 0) {
            rep = pm_msg_new(PM_MSG_REPLY);
            rep->reply = xcalloc(1, sizeof(*rep->reply));
            rep->reply->ok = true;
            rep->reply->seq = 7;
            if (req->type == PM_MSG_EVENT && req->entry != NULL) {
                rep->reply->id = xstrdup(req->entry->event_id);
                snprintf(fx->last_id, sizeof(fx->last_id), "%s", req->entry->event_id);
            }
            if (codec_encode(rep, &buf, &len) == 0) {
                zmq_msg_send(&who, fx->router, ZMQ_SNDMORE);
                zmq_send(fx->router, buf, len, 0);
                fx->served++;
            }
            free(buf);
            pm_msg_destroy(&rep);
        }
        pm_msg_destroy(&req);
        zmq_msg_close(&who);
        zmq_msg_close(&body);
    }
    return NULL;
}

static int
setup(void **state)
{
    fixture_t *fx = xcalloc(1, sizeof(*fx));

    fx->zctx = zmq_ctx_new();
    fx->router = zmq_socket(fx->zctx, ZMQ_ROUTER);
    fx->silent = zmq_socket(fx->zctx, ZMQ_ROUTER);
    assert_int_equal(zmq_bind(fx->router, ACTIVE), 0);
    assert_int_equal(zmq_bind(fx->silent, SILENT), 0);
    assert_int_equal(pthread_create(&fx->thread, NULL, serve, fx), 0);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *fx = *state;
    int linger = 0;

    fx->stop = 1;
    pthread_join(fx->thread, NULL);
    zmq_setsockopt(fx->router, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(fx->silent, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_close(fx->router);
    zmq_close(fx->silent);
    zmq_ctx_term(fx->zctx);
    free(fx);
    return 0;
}

static pm_msg_t *
event(const char *id)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);

    m->entry = xcalloc(1, sizeof(*m->entry));
    m->entry->kind = PM_KIND_ACCEPTED;
    m->entry->event_id = xstrdup(id);
    m->entry->dept = xstrdup("NRB");
    m->entry->project = xstrdup("TL-2026-001");
    m->entry->procedure = xstrdup("LAND_PREREVIEW");
    return m;
}

/* The first endpoint is silent: one try there, the resend goes to the next and is answered. */
static void
test_moves_on(void **state)
{
    fixture_t *fx = *state;
    client_t *cl;
    pm_msg_t *req = event("ev-1"), *rep = NULL;
    char why[256] = "";

    cl = client_new(fx->zctx, SILENT "," ACTIVE, why, sizeof(why));
    assert_non_null(cl);
    assert_string_equal(client_endpoint(cl), SILENT);
    /* tries 1 is raised to one per endpoint. */
    assert_int_equal(client_request(cl, req, 150, 1, &rep, why, sizeof(why)), CLIENT_OK);
    assert_non_null(rep);
    assert_true(rep->reply->ok);
    assert_string_equal(rep->reply->id, "ev-1");
    assert_string_equal(fx->last_id, "ev-1");
    assert_string_equal(client_endpoint(cl), ACTIVE);
    pm_msg_destroy(&rep);

    /* It stays where it was answered: the next request goes straight there. */
    {
        int64_t t0 = util_mono_ms();
        pm_msg_t *ping = pm_msg_new(PM_MSG_PING);
        ping->agent = xstrdup("NRB");
        assert_int_equal(client_request(cl, ping, 2000, 1, &rep, why, sizeof(why)), CLIENT_OK);
        assert_true(util_mono_ms() - t0 < 1000);
        assert_string_equal(client_endpoint(cl), ACTIVE);
        pm_msg_destroy(&rep);
        pm_msg_destroy(&ping);
    }
    pm_msg_destroy(&req);
    client_destroy(&cl);
    assert_null(cl);
}

/* Nobody answers: unreachable, the reason names the endpoints. */
static void
test_nobody(void **state)
{
    fixture_t *fx = *state;
    client_t *cl;
    pm_msg_t *req = event("ev-2"), *rep = NULL;
    char why[512] = "";

    cl = client_new(fx->zctx, SILENT ",inproc://nowhere", why, sizeof(why));
    assert_non_null(cl);
    assert_int_equal(client_request(cl, req, 100, 3, &rep, why, sizeof(why)), CLIENT_UNREACHABLE);
    assert_null(rep);
    assert_non_null(strstr(why, SILENT));
    assert_non_null(strstr(why, "inproc://nowhere"));
    pm_msg_destroy(&req);
    client_destroy(&cl);
}

static void
test_bad_list(void **state)
{
    fixture_t *fx = *state;
    char why[256] = "";

    assert_null(client_new(fx->zctx, ACTIVE ",,", why, sizeof(why)));
    assert_non_null(strstr(why, "empty"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_moves_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_list, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
