/* cmd_appliance.c — handshake, device information, appliance initialisation,
 * administrator login, random bytes. */
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_cmd_hello(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    size_t n = 0;
    uint16_t version = sigil_rd_u16(in);
    const uint8_t *token = sigil_rd_bytes(in, SIGIL_APP_TOKEN_LEN, &n);
    sigil_status st;

    if (!sigil_rd_done(in) || n != SIGIL_APP_TOKEN_LEN)
        return SIGIL_ST_BAD_FRAME;
    if (version != SIGIL_PROTO_VERSION)
        return SIGIL_ST_BAD_VERSION;
    st = fw_appctx_join(fw, conn, token);
    if (st != SIGIL_ST_OK)
        return st;
    sigil_wr_u16(out, SIGIL_PROTO_VERSION);
    sigil_wr_u32(out, fw->cfg.slot_count);
    sigil_wr_str(out, FW_VERSION_STRING);
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_info(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    uint32_t used = 0;
    bool initialised;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    for (uint32_t i = 0; i < fw->cfg.slot_count; i++) {
        pthread_mutex_lock(&fw->tokens[i].lock);
        used += fw->tokens[i].initialised ? 1u : 0u;
        pthread_mutex_unlock(&fw->tokens[i].lock);
    }
    pthread_mutex_lock(&fw->appl_lock);
    initialised = fw->initialised;
    pthread_mutex_unlock(&fw->appl_lock);

    sigil_wr_str(out, FW_VERSION_STRING);
    sigil_wr_str(out, sigil_crypto_backend_name());
    sigil_wr_u8(out, initialised ? 1 : 0);
    sigil_wr_u8(out, fw->self_test_ok ? 1 : 0);
    sigil_wr_u32(out, fw->cfg.slot_count);
    sigil_wr_u32(out, used);
    sigil_wr_u8(out, fw_appliance_role(fw, conn));
    /* Health, in words an administrator can act on. */
    const char *health = "ok";
    if (atomic_load(&fw->zeroized))
        health = "zeroised: the device holds no keys; restart it to start afresh";
    else if (!fw->self_test_ok)
        health = "error state: self-test failed (known-answer tests or DRBG health check); every "
                 "cryptographic command is refused";
    else if (!fw_audit_ok(fw))
        health = "error state: the audit trail cannot be written; audited commands are refused until "
                 "the device restarts with writable storage";
    sigil_wr_str(out, health);
    sigil_wr_str(out, fw->serial);
    sigil_wr_u64(out, fw_audit_records(fw));
    sigil_wr_u32(out, fw->refused_blobs);
    uint8_t domain[8];
    if (fw_backup_domain_id(fw, domain) == SIGIL_ST_OK)
        sigil_wr_bytes(out, domain, sizeof(domain));
    else
        sigil_wr_bytes(out, NULL, 0);
    return SIGIL_ST_OK;
}

sigil_status fw_cmd_appliance_init(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    size_t n = 0;
    const uint8_t *pin = sigil_rd_bytes(in, SIGIL_PIN_MAX_LEN, &n);
    sigil_status st;
    fw_cred cred;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    st = fw_cred_make(&cred, pin, n, fw->cfg.kdf_iterations, fw->cfg.max_pin_tries);
    if (st != SIGIL_ST_OK)
        return st;
    pthread_mutex_lock(&fw->appl_lock);
    if (fw->initialised) {
        st = SIGIL_ST_APPLIANCE_ALREADY_INITIALIZED;
    } else {
        fw->admin = cred;
        fw->initialised = true;
        st = fw_appliance_save_locked(fw);
        if (st != SIGIL_ST_OK) {
            fw->initialised = false;
            sigil_wipe(&fw->admin, sizeof(fw->admin));
        }
    }
    pthread_mutex_unlock(&fw->appl_lock);
    sigil_wipe(&cred, sizeof(cred));
    return st;
}

static sigil_status save_appliance(sigil_fw *fw, void *ctx)
{
    (void)ctx;
    return fw_appliance_save_locked(fw);
}

/* Administrator or auditor login: one appliance role per context at a time. */
static sigil_status role_login(sigil_fw *fw, fw_req *rq, uint8_t role)
{
    size_t n = 0;
    const uint8_t *pin = sigil_rd_bytes(rq->in, SIGIL_PIN_MAX_LEN, &n);
    sigil_status st;

    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    uint8_t now = fw_appliance_role(fw, rq->conn);
    if (now == role)
        return SIGIL_ST_ALREADY_LOGGED_IN;
    if (now != SIGIL_AUDIT_ROLE_NONE)
        return SIGIL_ST_ANOTHER_USER_LOGGED_IN;
    pthread_mutex_lock(&fw->appl_lock);
    fw_cred *cred = role == SIGIL_AUDIT_ROLE_ADMIN ? &fw->admin : &fw->auditor;
    st = fw_cred_check(fw, cred, pin, n, save_appliance, NULL, &fw->appl_lock, &fw->appl_cred_done);
    pthread_mutex_unlock(&fw->appl_lock);
    if (st == SIGIL_ST_OK)
        fw_appliance_role_set(fw, rq->conn, role);
    return st;
}

sigil_status fw_cmd_admin_login(sigil_fw *fw, fw_req *rq)
{
    return role_login(fw, rq, SIGIL_AUDIT_ROLE_ADMIN);
}

sigil_status fw_cmd_auditor_login(sigil_fw *fw, fw_req *rq)
{
    return role_login(fw, rq, SIGIL_AUDIT_ROLE_AUDITOR);
}

sigil_status fw_cmd_admin_logout(sigil_fw *fw, fw_req *rq)
{
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    if (fw_appliance_role(fw, rq->conn) == SIGIL_AUDIT_ROLE_NONE)
        return SIGIL_ST_NOT_LOGGED_IN;
    fw_appliance_role_set(fw, rq->conn, SIGIL_AUDIT_ROLE_NONE);
    return SIGIL_ST_OK;
}

/* The administrator sets its own PIN or the auditor's. */
sigil_status fw_cmd_cred_set(sigil_fw *fw, fw_req *rq)
{
    size_t n = 0;
    uint8_t role = sigil_rd_u8(rq->in);
    const uint8_t *pin = sigil_rd_bytes(rq->in, SIGIL_PIN_MAX_LEN, &n);
    sigil_status st;
    fw_cred fresh;

    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    if (role != SIGIL_AUDIT_ROLE_ADMIN && role != SIGIL_AUDIT_ROLE_AUDITOR)
        return SIGIL_ST_USER_TYPE_INVALID;
    rq->audit.mech = role;
    st = fw_cred_make(&fresh, pin, n, fw->cfg.kdf_iterations, fw->cfg.max_pin_tries);
    if (st != SIGIL_ST_OK)
        return st;
    pthread_mutex_lock(&fw->appl_lock);
    fw_cred *cred = role == SIGIL_AUDIT_ROLE_ADMIN ? &fw->admin : &fw->auditor;
    st = fw_cred_replace(fw, cred, &fresh, save_appliance, NULL);
    pthread_mutex_unlock(&fw->appl_lock);
    return st;
}

sigil_status fw_cmd_random(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    uint32_t len = sigil_rd_u32(in);
    uint8_t *p;

    (void)fw;
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    if (len == 0 || len > SIGIL_RANDOM_MAX)
        return SIGIL_ST_DATA_LEN_RANGE;
    sigil_wr_u32(out, len);
    p = sigil_wr_reserve(out, len);
    if (p == NULL)
        return SIGIL_ST_GENERAL_ERROR;
    return sigil_crypto_random(p, len);
}

/* Appliance settings (administrator). what 0 reads, 1 sets. */
sigil_status fw_cmd_appliance_config(sigil_fw *fw, fw_req *rq)
{
    uint8_t what = sigil_rd_u8(rq->in);
    uint8_t open_init = sigil_rd_u8(rq->in);
    sigil_status st = SIGIL_ST_OK;

    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    if (what > 1 || open_init > 1)
        return SIGIL_ST_BAD_ARGUMENT;
    rq->audit.mech = (uint32_t)(what << 8 | open_init);
    pthread_mutex_lock(&fw->appl_lock);
    if (what == 1) {
        bool old = fw->token_init_open;
        fw->token_init_open = open_init != 0;
        st = fw_appliance_save_locked(fw);
        if (st != SIGIL_ST_OK)
            fw->token_init_open = old;
    }
    if (st == SIGIL_ST_OK)
        sigil_wr_u8(rq->out, fw->token_init_open ? 1 : 0);
    pthread_mutex_unlock(&fw->appl_lock);
    return st;
}
