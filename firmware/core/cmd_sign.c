/* cmd_sign.c — SIGN: one signature with a seal key over a prepared input. */
#include "fw_internal.h"
#include "sigil_secmem.h"

static sigil_status params_for(const fw_object *o, uint8_t mech, uint8_t pss_hash,
                               uint32_t salt_len, sigil_sig_params *p)
{
    p->pss_hash = SIGIL_HASH_NONE;
    p->pss_salt_len = 0;
    switch (mech) {
    case SIGIL_MECH_ECDSA:
        if (o->rec.key_type != SIGIL_KEYTYPE_EC)
            return SIGIL_ST_KEY_TYPE_INCONSISTENT;
        p->scheme = SIGIL_SIG_ECDSA;
        return SIGIL_ST_OK;
    case SIGIL_MECH_RSA_PKCS:
        if (o->rec.key_type != SIGIL_KEYTYPE_RSA)
            return SIGIL_ST_KEY_TYPE_INCONSISTENT;
        p->scheme = SIGIL_SIG_RSA_PKCS1;
        return SIGIL_ST_OK;
    case SIGIL_MECH_RSA_PSS:
        if (o->rec.key_type != SIGIL_KEYTYPE_RSA)
            return SIGIL_ST_KEY_TYPE_INCONSISTENT;
        if (pss_hash < SIGIL_HASH_SHA256 || pss_hash > SIGIL_HASH_SHA512)
            return SIGIL_ST_MECHANISM_PARAM_INVALID;
        p->scheme = SIGIL_SIG_RSA_PSS;
        p->pss_hash = (sigil_hash_alg)pss_hash;
        p->pss_salt_len = salt_len;
        return SIGIL_ST_OK;
    default:
        return SIGIL_ST_MECHANISM_INVALID;
    }
}

sigil_status fw_cmd_sign(sigil_fw *fw, fw_req *rq)
{
    sigil_fw_conn *conn = rq->conn;
    sigil_rd *in = rq->in;
    sigil_wr *out = rq->out;
    size_t n = 0, sig_len = 0;
    uint32_t slot = sigil_rd_u32(in);
    rq->audit.slot = slot;
    uint32_t handle = sigil_rd_u32(in);
    uint8_t mech = sigil_rd_u8(in);
    uint8_t pss_hash = sigil_rd_u8(in);
    uint32_t salt_len = sigil_rd_u32(in);
    const uint8_t *input = sigil_rd_bytes(in, SIGIL_SIGN_MAX_INPUT, &n);
    sigil_sig_params params;
    sigil_status st;
    fw_object *o;

    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    rq->audit.handle = handle;
    rq->audit.mech = mech;
    /* The trail records what was signed: SHA-256 of the input. */
    if (sigil_crypto_sha256(input, n, rq->audit.data) == SIGIL_ST_OK)
        rq->audit.data_len = 32;
    if (n == 0)
        return SIGIL_ST_DATA_LEN_RANGE;
    o = fw_keystore_get_private(fw, slot, handle);
    if (o == NULL)
        return SIGIL_ST_OBJECT_INVALID;
    st = params_for(o, mech, pss_hash, salt_len, &params);
    if (st != SIGIL_ST_OK)
        goto out;
    /* Authorisation: the seal's policy, the application's login (its budget spent
     * here), then the seal's usage counter (reserved in storage before it is spent). */
    fw_token *t = &fw->tokens[slot];
    fw_policy policy;
    pthread_mutex_lock(&t->lock);
    st = fw_policy_check_locked(fw, slot, mech);
    policy = t->policy;
    pthread_mutex_unlock(&t->lock);
    if (st == SIGIL_ST_OK)
        st = fw_login_authorise_sign(fw, conn, slot, &policy);
    if (st == SIGIL_ST_OK) {
        pthread_mutex_lock(&t->lock);
        st = fw_policy_count_locked(fw, slot);
        pthread_mutex_unlock(&t->lock);
    }
    if (st != SIGIL_ST_OK)
        goto out;
    size_t cap = sigil_crypto_sig_len(o->key);
    uint8_t *len_field = sigil_wr_reserve(out, 4);
    uint8_t *sig = sigil_wr_reserve(out, cap);
    if (len_field == NULL || sig == NULL) {
        st = SIGIL_ST_GENERAL_ERROR;
        goto out;
    }
    st = sigil_crypto_sign(o->key, &params, input, n, sig, cap, &sig_len);
    if (st != SIGIL_ST_OK)
        goto out;
    if (sig_len != cap) {
        st = SIGIL_ST_CRYPTO_FAILURE;
        goto out;
    }
    sigil_wr lw;
    sigil_wr_init(&lw, len_field, 4);
    sigil_wr_u32(&lw, (uint32_t)sig_len);
out:
    fw_object_put(o);
    return st;
}
