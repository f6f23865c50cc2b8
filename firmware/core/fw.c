/* fw.c — device start-up and shut-down: crypto and self-tests, root secret,
 * storage key, persisted state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

#define FW_DEFAULT_KDF_ITERATIONS 100000u
#define STORAGE_KEY_INFO "sigil storage key v1"

void sigil_fw_config_default(sigil_fw_config *cfg)
{
    cfg->slot_count = SIGIL_FW_DEFAULT_SLOTS;
    cfg->max_pin_tries = SIGIL_FW_DEFAULT_PIN_TRIES;
    cfg->kdf_iterations = FW_DEFAULT_KDF_ITERATIONS;
}

/* The crypto library is process-wide and started once, but it reseeds its DRBG for as
 * long as the process runs: its entropy comes from the platform of the device open now
 * (the latest one opened), never from a platform that has been closed. */
static pthread_mutex_t entropy_lock = PTHREAD_MUTEX_INITIALIZER;
static const sigil_platform *entropy_platform;

static int platform_entropy(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    int rc = -1;
    pthread_mutex_lock(&entropy_lock);
    if (entropy_platform != NULL)
        rc = entropy_platform->ops->entropy(entropy_platform, out, len);
    pthread_mutex_unlock(&entropy_lock);
    return rc;
}

static void entropy_source_set(const sigil_platform *plat, const sigil_platform *only_if)
{
    pthread_mutex_lock(&entropy_lock);
    if (only_if == NULL || entropy_platform == only_if)
        entropy_platform = plat;
    pthread_mutex_unlock(&entropy_lock);
}

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static sigil_status crypto_init_status = SIGIL_ST_GENERAL_ERROR;

static void crypto_start(void)
{
    crypto_init_status = sigil_crypto_init(platform_entropy, NULL);
}

uint32_t sigil_fw_refused_blobs(const sigil_fw *fw)
{
    return fw->refused_blobs;
}

sigil_status sigil_fw_open(const sigil_platform *plat, const sigil_fw_config *cfg, sigil_fw **out,
                           char *errmsg, size_t errlen)
{
    uint8_t root[SIGIL_ROOT_SECRET_LEN];
    sigil_fw *fw = NULL;
    sigil_status st = SIGIL_ST_NO_MEMORY;
    const char *what = "out of memory";

    *out = NULL;
    if (cfg->slot_count == 0 || cfg->slot_count > SIGIL_FW_MAX_SLOTS || cfg->max_pin_tries == 0 ||
        cfg->kdf_iterations == 0) {
        st = SIGIL_ST_BAD_ARGUMENT;
        what = "invalid configuration (slot count 1..1024, PIN tries and KDF iterations > 0)";
        goto out;
    }
    fw = calloc(1, sizeof(*fw));
    if (fw == NULL)
        goto out;
    fw->plat = plat;
    fw->cfg = *cfg;
    if (pthread_mutex_init(&fw->lock, NULL) != 0 || pthread_mutex_init(&fw->appl_lock, NULL) != 0 ||
        pthread_cond_init(&fw->appl_cred_done, NULL) != 0)
        goto out;

    entropy_source_set(plat, NULL);
    pthread_once(&crypto_once, crypto_start);
    st = crypto_init_status;
    if (st != SIGIL_ST_OK) {
        what = "crypto library and DRBG failed to start";
        goto out;
    }
    fw->self_test_ok = sigil_crypto_self_test() == SIGIL_ST_OK;

    st = SIGIL_ST_STORAGE_FAILURE;
    what = "cannot read or create the device root secret";
    if (plat->ops->root_secret(plat, root) != 0)
        goto out;
    st = sigil_crypto_hkdf_sha256(NULL, 0, root, sizeof(root), (const uint8_t *)STORAGE_KEY_INFO,
                                  strlen(STORAGE_KEY_INFO), fw->storage_key, sizeof(fw->storage_key));
    what = "cannot derive the storage key";
    if (st != SIGIL_ST_OK)
        goto out;

    what = "appliance record unreadable (storage fault, or not this device's root secret)";
    st = fw_appliance_load(fw);
    if (st != SIGIL_ST_OK)
        goto out;
    what = "seal slot records unreadable (storage fault, or not this device's root secret)";
    st = fw_tokens_load(fw);
    if (st != SIGIL_ST_OK)
        goto out;
    what = "device keys unreadable or cannot be made";
    st = fw_devkeys_load(fw);
    if (st != SIGIL_ST_OK)
        goto out;
    {
        char why[256] = "";
        st = fw_audit_open(fw, why, sizeof(why));
        fw->audit_opened = true;
        if (st != SIGIL_ST_OK) {
            snprintf(errmsg, errlen, "%s", why);
            errmsg = NULL; /* already said */
            goto out;
        }
    }
    st = fw_audit_device_event(fw, SIGIL_AUDIT_EV_DEVICE_START, fw->self_test_ok ? SIGIL_ST_OK
                                                                                : SIGIL_ST_SELF_TEST_FAILED,
                               FW_VERSION_STRING, strlen(FW_VERSION_STRING));
    if (st == SIGIL_ST_OK && fw->refused_blobs > 0) {
        uint8_t n[4] = {(uint8_t)(fw->refused_blobs >> 24), (uint8_t)(fw->refused_blobs >> 16),
                        (uint8_t)(fw->refused_blobs >> 8), (uint8_t)fw->refused_blobs};
        st = fw_audit_device_event(fw, SIGIL_AUDIT_EV_REFUSED_BLOB, SIGIL_ST_INTEGRITY_FAILURE, n, sizeof(n));
    }
    what = "cannot write the audit trail";
    if (st != SIGIL_ST_OK)
        goto out;
    *out = fw;
    fw = NULL;
    st = SIGIL_ST_OK;
out:
    sigil_wipe(root, sizeof(root));
    if (st != SIGIL_ST_OK && errmsg != NULL)
        snprintf(errmsg, errlen, "%s: %s", what, sigil_status_message(st));
    sigil_fw_close(fw);
    return st;
}

void sigil_fw_close(sigil_fw *fw)
{
    if (fw == NULL)
        return;
    entropy_source_set(NULL, fw->plat);
    fw_tokens_free(fw);
    fw_devkeys_free(fw);
    if (fw->audit_opened)
        fw_audit_close(fw);
    while (fw->contexts != NULL) {
        fw_appctx *c = fw->contexts;
        fw->contexts = c->next;
        free(c->login);
        free(c);
    }
    pthread_mutex_destroy(&fw->lock);
    pthread_cond_destroy(&fw->appl_cred_done);
    pthread_mutex_destroy(&fw->appl_lock);
    sigil_wipe(fw, sizeof(*fw));
    free(fw);
}
