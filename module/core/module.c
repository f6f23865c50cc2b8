/* module.c — C_Initialize / C_Finalize, the one global module pointer, and fork handling.
 *
 * The initialised module lives behind one atomic pointer. A forked child sees NULL (the
 * pthread_atfork child handler clears it) and so answers CKR_CRYPTOKI_NOT_INITIALIZED until it
 * calls C_Initialize again; the parent's state, lock and sockets are abandoned in the child,
 * never used or closed there (closing a unix socket in the child would not disturb the parent,
 * but the state around it may be mid-update by a parent thread).
 */
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "object.h"
#include "session.h"
#include "sigil_secmem.h"
#include "test_hooks.h"

#define SIGIL_ADDR_CAP 512u
#define SIGIL_SLOT_COUNT_MAX 65536u

static pthread_mutex_t g_init_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;
static _Atomic(sigil_module *) g_module;
static const sigil_transport_ops *g_test_ops;
static void *g_test_ctx;

static void atfork_prepare(void)
{
    pthread_mutex_lock(&g_init_mu);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&g_init_mu);
}

static void atfork_child(void)
{
    atomic_store(&g_module, NULL); /* abandoned, not freed */
    pthread_mutex_unlock(&g_init_mu);
}

static void register_atfork(void)
{
    (void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void sigil_module_test_set_transport(const sigil_transport_ops *ops, void *ctx)
{
    pthread_mutex_lock(&g_init_mu);
    g_test_ops = ops;
    g_test_ctx = ctx;
    pthread_mutex_unlock(&g_init_mu);
}

CK_RV sigil_module_get(sigil_module **m)
{
    *m = atomic_load(&g_module);
    return *m != NULL ? CKR_OK : CKR_CRYPTOKI_NOT_INITIALIZED;
}

static void module_free(sigil_module *m)
{
    if (m == NULL)
        return;
    sigil_session_free_all(m);
    if (m->slots != NULL) {
        for (uint32_t i = 0; i < m->slot_count; i++) {
            sigil_objcache_clear(&m->slots[i]);
            sigil_sessobj_drop_all(&m->slots[i]);
        }
        free(m->slots);
    }
    sigil_client_close(m->client);
    free(m);
}

/* Connects to the appliance; one line on stderr saying what was tried when it cannot. */
static CK_RV connect_appliance(sigil_module *m)
{
    CK_RV rv = CKR_DEVICE_ERROR;
    char addr[SIGIL_ADDR_CAP];
    char err[512];
    uint8_t token[SIGIL_APP_TOKEN_LEN];

    if (sigil_client_find_address(addr, sizeof(addr), err, sizeof(err)) != 0) {
        if (g_test_ops == NULL) {
            fprintf(stderr, "sigil-pkcs11: %s\n", err);
            goto out;
        }
        snprintf(addr, sizeof(addr), "test:fake");
    }
    if (RAND_bytes(token, sizeof(token)) != 1) {
        fprintf(stderr, "sigil-pkcs11: cannot draw the application token (OpenSSL RAND_bytes failed)\n");
        rv = CKR_GENERAL_ERROR;
        goto out;
    }
    sigil_client_result res =
        sigil_client_open(g_test_ops, g_test_ctx, addr, token, SIGIL_MAX_CONNS, &m->client, err, sizeof(err));
    if (res != SIGIL_CLIENT_OK) {
        if (res == SIGIL_CLIENT_NO_MEMORY)
            rv = CKR_HOST_MEMORY;
        fprintf(stderr, "sigil-pkcs11: cannot reach the appliance: %s\n", err);
        goto out;
    }
    m->slot_count = sigil_client_slot_count(m->client);
    snprintf(m->fw_version, sizeof(m->fw_version), "%s", sigil_client_fw_version(m->client));
    if (m->slot_count > SIGIL_SLOT_COUNT_MAX) {
        fprintf(stderr, "sigil-pkcs11: the appliance at %s reports %u slots\n", addr,
                (unsigned)m->slot_count);
        goto out;
    }
    rv = CKR_OK;
out:
    sigil_wipe(token, sizeof(token));
    return rv;
}

CK_RV sigil_module_initialize(CK_VOID_PTR init_args)
{
    CK_RV rv = CKR_HOST_MEMORY;
    sigil_module *m = NULL;
    bool lock_ok = false;

    pthread_once(&g_atfork_once, register_atfork);
    pthread_mutex_lock(&g_init_mu);
    if (atomic_load(&g_module) != NULL) {
        rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
        goto out;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        goto out;
    rv = sigil_lock_init(&m->lock, init_args);
    if (rv != CKR_OK)
        goto out;
    lock_ok = true;
    rv = connect_appliance(m);
    if (rv != CKR_OK)
        goto out;
    rv = CKR_HOST_MEMORY;
    if (m->slot_count > 0) {
        m->slots = calloc(m->slot_count, sizeof(*m->slots));
        if (m->slots == NULL)
            goto out;
    }
    m->next_session = 1;
    atomic_store(&g_module, m);
    m = NULL;
    rv = CKR_OK;
out:
    if (m != NULL) {
        if (lock_ok)
            sigil_lock_destroy(&m->lock);
        module_free(m);
    }
    pthread_mutex_unlock(&g_init_mu);
    return rv;
}

CK_RV sigil_module_finalize(void)
{
    CK_RV rv = CKR_CRYPTOKI_NOT_INITIALIZED;
    pthread_mutex_lock(&g_init_mu);
    sigil_module *m = atomic_exchange(&g_module, NULL);
    if (m != NULL) {
        /* Closing every connection ends the application context, and with it every login. */
        sigil_lock_destroy(&m->lock);
        module_free(m);
        rv = CKR_OK;
    }
    pthread_mutex_unlock(&g_init_mu);
    return rv;
}
