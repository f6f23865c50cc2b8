/* test_firmware_threads.c — the firmware core under concurrent callers: signers on
 * one seal, logins and logouts, key generation and destruction, listings, each
 * from its own connection and application context. Meant to run under
 * ThreadSanitizer too; every signature is verified. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fw_harness.h"

#define SIGNS_PER_THREAD 150
#define SIGNERS 4

typedef struct {
    tfw *shared;     /* device and storage shared; each worker has its own conn */
    int id;
    uint32_t handle; /* private key to sign with */
    sigil_obj_record pub;
    int failures;
    int done;
} worker;

/* A private tfw view: same device, own connection, own response buffer. */
static void view_open(tfw *v, const tfw *t, uint8_t tag)
{
    memset(v, 0, sizeof(*v));
    v->plat = t->plat;
    v->fw = t->fw;
    v->resp = malloc(SIGIL_FW_RESP_CAP);
    v->conn = sigil_fw_conn_new(t->fw);
    uint8_t token[SIGIL_APP_TOKEN_LEN];
    memset(token, tag, sizeof(token));
    uint8_t buf[64];
    sigil_wr w;
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_u16(&w, SIGIL_PROTO_VERSION);
    sigil_wr_bytes(&w, token, sizeof(token));
    assert_int_equal(tfw_call(v, SIGIL_OP_HELLO, &w, NULL), SIGIL_ST_OK);
}

static void view_close(tfw *v)
{
    sigil_fw_conn_free(v->conn);
    free(v->resp);
}

static sigil_status v_login(tfw *v, uint32_t slot, const char *pin)
{
    uint8_t buf[128];
    sigil_wr w;
    sigil_wr_init(&w, buf, sizeof(buf));
    sigil_wr_u32(&w, slot);
    sigil_wr_u32(&w, SIGIL_USER_USER);
    sigil_wr_bytes(&w, (const uint8_t *)pin, strlen(pin));
    return tfw_call(v, SIGIL_OP_LOGIN, &w, NULL);
}

static void *signer(void *arg)
{
    worker *wk = arg;
    tfw v;
    view_open(&v, wk->shared, (uint8_t)(0x10 + wk->id));
    if (v_login(&v, 0, USER_PIN) != SIGIL_ST_OK)
        wk->failures++;
    for (int i = 0; i < SIGNS_PER_THREAD; i++) {
        uint8_t d[32], buf[256];
        memset(d, wk->id, sizeof(d));
        d[0] = (uint8_t)i;
        sigil_wr w;
        sigil_rd r;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_u32(&w, 0);
        sigil_wr_u32(&w, wk->handle);
        sigil_wr_u8(&w, SIGIL_MECH_ECDSA);
        sigil_wr_u8(&w, 0);
        sigil_wr_u32(&w, 0);
        sigil_wr_bytes(&w, d, 32);
        if (tfw_call(&v, SIGIL_OP_SIGN, &w, &r) != SIGIL_ST_OK) {
            wk->failures++;
            continue;
        }
        size_t n = 0;
        const uint8_t *sig = sigil_rd_bytes(&r, 512, &n);
        if (sig == NULL || !ec_verify(&wk->pub, d, sig, n))
            wk->failures++;
        else
            wk->done++;
    }
    view_close(&v);
    return NULL;
}

/* Logs in and out of seal 1 over and over, with a wrong PIN now and then (never
 * enough to lock it: a right one resets the counter). */
static void *login_churn(void *arg)
{
    worker *wk = arg;
    tfw v;
    view_open(&v, wk->shared, (uint8_t)(0x40 + wk->id));
    for (int i = 0; i < 20; i++) {
        if (i % 3 == 0 && v_login(&v, 1, "wrong-pin") != SIGIL_ST_PIN_INCORRECT)
            wk->failures++;
        if (v_login(&v, 1, USER_PIN) != SIGIL_ST_OK) {
            wk->failures++;
            continue;
        }
        uint8_t buf[8];
        sigil_wr w;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_u32(&w, 1);
        if (tfw_call(&v, SIGIL_OP_LOGOUT, &w, NULL) != SIGIL_ST_OK)
            wk->failures++;
        wk->done++;
    }
    view_close(&v);
    return NULL;
}

/* Generates and destroys keys on seal 0 while others sign with another key there. */
static void *keygen_churn(void *arg)
{
    worker *wk = arg;
    tfw v;
    view_open(&v, wk->shared, (uint8_t)(0x60 + wk->id));
    if (v_login(&v, 0, USER_PIN) != SIGIL_ST_OK)
        wk->failures++;
    for (int i = 0; i < 10; i++) {
        uint8_t buf[128];
        sigil_wr w;
        sigil_rd r;
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_u32(&w, 0);
        sigil_wr_u8(&w, SIGIL_KEYTYPE_EC);
        sigil_wr_u32(&w, 256);
        sigil_wr_bytes(&w, (const uint8_t *)"k", 1);
        sigil_wr_str(&w, "churn");
        if (tfw_call(&v, SIGIL_OP_GENERATE_KEYPAIR, &w, &r) != SIGIL_ST_OK) {
            wk->failures++;
            continue;
        }
        static __thread sigil_obj_record pub, priv;
        sigil_obj_record_read(&r, &pub);
        sigil_obj_record_read(&r, &priv);
        for (int k = 0; k < 2; k++) {
            sigil_wr_init(&w, buf, sizeof(buf));
            sigil_wr_u32(&w, 0);
            sigil_wr_u32(&w, k == 0 ? priv.handle : pub.handle);
            if (tfw_call(&v, SIGIL_OP_DESTROY_OBJECT, &w, NULL) != SIGIL_ST_OK)
                wk->failures++;
        }
        sigil_wr_init(&w, buf, sizeof(buf));
        sigil_wr_u32(&w, 0);
        if (tfw_call(&v, SIGIL_OP_OBJECT_LIST, &w, NULL) != SIGIL_ST_OK)
            wk->failures++;
        wk->done++;
    }
    view_close(&v);
    return NULL;
}

static void test_concurrent_callers(void **state)
{
    tfw *t = *state;
    sigil_obj_record pub, priv;
    keygen(t, SIGIL_KEYTYPE_EC, 256, &pub, &priv, SIGIL_ST_OK);
    /* A second seal for the login churn. */
    sigil_wr *w = body();
    sigil_wr_str(w, "seal-b");
    wr_pin(w, SO_PIN);
    wr_pin(w, USER_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_SEAL_CREATE, w, NULL), SIGIL_ST_OK);

    worker wk[SIGNERS + 2];
    pthread_t th[SIGNERS + 2];
    memset(wk, 0, sizeof(wk));
    for (int i = 0; i < SIGNERS + 2; i++) {
        wk[i].shared = t;
        wk[i].id = i;
        wk[i].handle = priv.handle;
        wk[i].pub = pub;
        void *(*fn)(void *) = i < SIGNERS ? signer : i == SIGNERS ? login_churn : keygen_churn;
        assert_int_equal(pthread_create(&th[i], NULL, fn, &wk[i]), 0);
    }
    for (int i = 0; i < SIGNERS + 2; i++) {
        pthread_join(th[i], NULL);
        if (wk[i].failures != 0)
            fail_msg("worker %d: %d failures", i, wk[i].failures);
    }
    for (int i = 0; i < SIGNERS; i++)
        assert_int_equal(wk[i].done, SIGNS_PER_THREAD);
    assert_int_equal(wk[SIGNERS].done, 20);
    assert_int_equal(wk[SIGNERS + 1].done, 10);
    /* The trail holds every signature and chains. */
    bool clean;
    static sigil_audit_rec trail[4096];
    size_t count = read_trail(t, trail, 4096, &clean);
    assert_true(clean);
    size_t signs = 0;
    for (size_t i = 0; i < count && i < 4096; i++)
        signs += trail[i].event == SIGIL_OP_SIGN && trail[i].status == SIGIL_ST_OK;
    assert_int_equal(signs, SIGNERS * SIGNS_PER_THREAD);
}

#define PIN_RACERS 16 /* more than SIGIL_FW_DEFAULT_PIN_TRIES */

typedef struct {
    tfw *shared;
    int id;
    pthread_barrier_t *start;
    sigil_status st;
} pin_racer;

static void *right_pin(void *arg)
{
    pin_racer *p = arg;
    tfw v;
    view_open(&v, p->shared, (uint8_t)(0x40 + p->id));
    pthread_barrier_wait(p->start);
    p->st = v_login(&v, 0, USER_PIN);
    view_close(&v);
    return NULL;
}

/* More applications than the seal has tries log in at once, all with the right PIN: each
 * spends a try before its check, but none may be told PIN_LOCKED because the others' tries
 * are still in flight; afterwards the counter is whole again. */
static void test_concurrent_right_pins_never_locked(void **state)
{
    tfw *t = *state;
    pin_racer pr[PIN_RACERS];
    pthread_t th[PIN_RACERS];
    pthread_barrier_t start;
    /* A PIN whose KDF takes long enough (20,000 iterations) for the checks to overlap:
     * the device restarted with that setting, and the user PIN set again under it. */
    sigil_fw_conn_free(t->conn);
    sigil_fw_close(t->fw);
    sigil_fw_config cfg;
    sigil_fw_config_default(&cfg);
    cfg.kdf_iterations = 20000;
    char err[200];
    assert_int_equal(sigil_fw_open(t->plat, &cfg, &t->fw, err, sizeof(err)), SIGIL_ST_OK);
    t->conn = sigil_fw_conn_new(t->fw);
    hello(t);
    assert_int_equal(login(t, 0, SIGIL_USER_USER, USER_PIN), SIGIL_ST_OK);
    sigil_wr *sp = body();
    sigil_wr_u32(sp, 0);
    wr_pin(sp, USER_PIN);
    wr_pin(sp, USER_PIN);
    assert_int_equal(tfw_call(t, SIGIL_OP_SET_PIN, sp, NULL), SIGIL_ST_OK);
    assert_int_equal(pthread_barrier_init(&start, NULL, PIN_RACERS), 0);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < PIN_RACERS; i++) {
            pr[i] = (pin_racer){.shared = t, .id = round * PIN_RACERS + i, .start = &start};
            assert_int_equal(pthread_create(&th[i], NULL, right_pin, &pr[i]), 0);
        }
        for (int i = 0; i < PIN_RACERS; i++) {
            pthread_join(th[i], NULL);
            if (pr[i].st != SIGIL_ST_OK)
                fail_msg("round %d, application %d: %s", round, i, sigil_status_message(pr[i].st));
        }
    }
    pthread_barrier_destroy(&start);
    sigil_wr *w = body();
    sigil_rd r;
    sigil_wr_u32(w, 0);
    assert_int_equal(tfw_call(t, SIGIL_OP_TOKEN_INFO, w, &r), SIGIL_ST_OK);
    uint32_t flags = sigil_rd_u32(&r);
    char label[40], serial[40];
    sigil_rd_str(&r, label, 32);
    sigil_rd_str(&r, serial, 16);
    (void)sigil_rd_u32(&r); /* objects */
    (void)sigil_rd_u32(&r); /* login state */
    uint32_t user_left = sigil_rd_u32(&r);
    assert_true(sigil_rd_ok(&r));
    assert_int_equal(flags & (SIGIL_TOKEN_USER_PIN_LOCKED | SIGIL_TOKEN_USER_PIN_COUNT_LOW), 0);
    assert_int_equal(user_left, SIGIL_FW_DEFAULT_PIN_TRIES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_callers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_right_pins_never_locked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
