/* cmd_sign.c — SIGN: one signature with a seal key over a prepared input. */
#include <stdlib.h>

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

/* Authorises count signatures with key o: mechanism and parameters, the seal's
 * policy, the application's login (its budget spent here), then the seal's usage
 * counter (reserved in storage before it is spent). */
static sigil_status authorise(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot, const fw_object *o, uint8_t mech,
                              uint8_t pss_hash, uint32_t salt_len, uint32_t count, sigil_sig_params *params)
{
    fw_token *t = &fw->tokens[slot];
    fw_policy policy;
    sigil_status st = params_for(o, mech, pss_hash, salt_len, params);
    if (st != SIGIL_ST_OK)
        return st;
    pthread_mutex_lock(&t->lock);
    st = fw_policy_check_locked(fw, slot, mech);
    policy = t->policy;
    pthread_mutex_unlock(&t->lock);
    if (st == SIGIL_ST_OK)
        st = fw_login_authorise_sign(fw, conn, slot, &policy, count);
    if (st == SIGIL_ST_OK) {
        pthread_mutex_lock(&t->lock);
        st = fw_policy_count_locked(fw, slot, count);
        pthread_mutex_unlock(&t->lock);
    }
    return st;
}

/* Signs in[0..n) and appends bytes(signature) to out. */
static sigil_status sign_into(fw_object *o, const sigil_sig_params *params, const uint8_t *in, size_t n,
                              sigil_wr *out)
{
    size_t cap = sigil_crypto_sig_len(o->key), sig_len = 0;
    uint8_t *len_field = sigil_wr_reserve(out, 4);
    uint8_t *sig = sigil_wr_reserve(out, cap);
    if (len_field == NULL || sig == NULL)
        return SIGIL_ST_GENERAL_ERROR;
    sigil_status st = sigil_crypto_sign(o->key, params, in, n, sig, cap, &sig_len);
    if (st == SIGIL_ST_OK && sig_len != cap)
        st = SIGIL_ST_CRYPTO_FAILURE;
    sigil_wr lw;
    sigil_wr_init(&lw, len_field, 4);
    sigil_wr_u32(&lw, (uint32_t)sig_len);
    return st;
}

sigil_status fw_cmd_sign(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    size_t n = 0;
    uint32_t slot = sigil_rd_u32(in);
    uint32_t handle = sigil_rd_u32(in);
    uint8_t mech = sigil_rd_u8(in);
    uint8_t pss_hash = sigil_rd_u8(in);
    uint32_t salt_len = sigil_rd_u32(in);
    const uint8_t *input = sigil_rd_bytes(in, SIGIL_SIGN_MAX_INPUT, &n);
    sigil_sig_params params;
    sigil_status st;

    rq->audit.slot = slot;
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    rq->audit.handle = handle;
    rq->audit.mech = mech;
    /* The trail records what was signed: SHA-256 of the input. */
    if (sigil_crypto_sha256(input, n, rq->audit.data) == SIGIL_ST_OK)
        rq->audit.data_len = 32;
    if (n == 0)
        return SIGIL_ST_DATA_LEN_RANGE;
    fw_object *o = fw_keystore_get_private(fw, slot, handle);
    if (o == NULL)
        return SIGIL_ST_OBJECT_INVALID;
    st = authorise(fw, rq->conn, slot, o, mech, pss_hash, salt_len, 1, &params);
    if (st == SIGIL_ST_OK)
        st = sign_into(o, &params, input, n, rq->out);
    fw_object_put(o);
    return st;
}

/* SIGN_BATCH: many inputs, one key, one authorisation for all of them; one audit
 * record per signature, all durable before the response. */
sigil_status fw_cmd_sign_batch(sigil_fw *fw, fw_req *rq)
{
    sigil_rd *in = rq->in;
    uint32_t slot = sigil_rd_u32(in);
    uint32_t handle = sigil_rd_u32(in);
    uint8_t mech = sigil_rd_u8(in);
    uint8_t pss_hash = sigil_rd_u8(in);
    uint32_t salt_len = sigil_rd_u32(in);
    uint32_t count = sigil_rd_u32(in);
    const uint8_t *inputs[SIGIL_SIGN_BATCH_MAX];
    size_t lens[SIGIL_SIGN_BATCH_MAX];
    sigil_audit_rec *recs = NULL;
    sigil_sig_params params;
    sigil_status st;
    uint32_t done = 0;

    rq->audit.slot = slot;
    rq->audit.handle = handle;
    rq->audit.mech = mech;
    if (!sigil_rd_ok(in) || count == 0 || count > SIGIL_SIGN_BATCH_MAX)
        return sigil_rd_ok(in) ? SIGIL_ST_DATA_LEN_RANGE : SIGIL_ST_BAD_FRAME;
    for (uint32_t i = 0; i < count; i++) {
        inputs[i] = sigil_rd_bytes(in, SIGIL_SIGN_MAX_INPUT, &lens[i]);
        if (sigil_rd_ok(in) && lens[i] == 0)
            return SIGIL_ST_DATA_LEN_RANGE;
    }
    if (!sigil_rd_done(in))
        return SIGIL_ST_BAD_FRAME;
    fw_object *o = fw_keystore_get_private(fw, slot, handle);
    if (o == NULL)
        return SIGIL_ST_OBJECT_INVALID;
    recs = calloc(count, sizeof(*recs));
    st = recs == NULL ? SIGIL_ST_NO_MEMORY : authorise(fw, rq->conn, slot, o, mech, pss_hash, salt_len, count, &params);
    if (st != SIGIL_ST_OK)
        goto out;
    sigil_wr_u32(rq->out, count);
    for (; done < count && st == SIGIL_ST_OK; done++) {
        st = sign_into(o, &params, inputs[done], lens[done], rq->out);
        sigil_audit_rec *r = &recs[done];
        r->event = SIGIL_OP_SIGN_BATCH;
        r->role = SIGIL_AUDIT_ROLE_SEAL_USER;
        r->slot = slot;
        r->status = (uint32_t)st;
        r->ctx = fw_ctx_id(fw, rq->conn);
        r->handle = handle;
        r->mech = mech;
        if (sigil_crypto_sha256(inputs[done], lens[done], r->data) == SIGIL_ST_OK)
            r->data_len = 32;
    }
    /* Every signature made is in the trail before any is released. */
    sigil_status ast = fw_audit_write_many(fw, recs, done);
    if (st == SIGIL_ST_OK)
        st = ast;
out:
    free(recs);
    fw_object_put(o);
    return st;
}
