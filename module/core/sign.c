/* sign.c — C_SignInit / C_Sign / C_SignUpdate / C_SignFinal.
 *
 * Hashing happens here (OpenSSL EVP); the appliance gets a digest, a DigestInfo or a raw block
 * in one SIGN round trip. The signature length is known from the key (EC: 2*ceil(bits/8), RSA:
 * the modulus length), so a length query (NULL buffer) and CKR_BUFFER_TOO_SMALL are answered
 * locally and leave the operation active: they never cost a signature.
 *
 * While a call works with the lock dropped, the session's op is BUSY and the op itself belongs
 * to that call; afterwards the session is looked up again (it may have been closed).
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "mech.h"
#include "object.h"
#include "op_input.h"
#include "opslot.h"
#include "session.h"
#include "sign.h"
#include "sigil_secmem.h"
#include "wire.h"

struct sigil_sign_op {
    const sigil_mech_info *mech;
    uint32_t slot;
    uint32_t key;
    size_t sig_len;    /* exact signature length */
    size_t key_bytes;  /* EC: curve bytes; RSA: modulus bytes */
    sigil_hash pss_hash;
    uint32_t salt_len;
    sigil_op_input input; /* what C_SignUpdate gave */
};

void sigil_sign_op_free(sigil_sign_op *op)
{
    if (op == NULL)
        return;
    sigil_op_input_clear(&op->input);
    free(op);
}

/* PSS parameters: CK_RSA_PKCS_PSS_PARAMS, hashAlg = MGF1 hash = the mechanism's hash (if any). */
static CK_RV check_params(const sigil_mech_info *mi, const CK_MECHANISM *mech, sigil_sign_op *op)
{
    if (!mi->pss)
        return CKR_OK; /* parameters of other mechanisms are ignored (none are defined) */
    if (mech->pParameter == NULL || mech->ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;
    sigil_hash h = sigil_hash_from_ckm(p->hashAlg);
    if (!sigil_hash_on_wire(h) || sigil_hash_from_mgf(p->mgf) != h)
        return CKR_MECHANISM_PARAM_INVALID;
    if (mi->hash != SIGIL_HASH_NONE && mi->hash != h)
        return CKR_MECHANISM_PARAM_INVALID;
    if (p->sLen > op->key_bytes)
        return CKR_MECHANISM_PARAM_INVALID;
    op->pss_hash = h;
    op->salt_len = (uint32_t)p->sLen;
    return CKR_OK;
}

static CK_RV check_key(const sigil_mech_info *mi, const sigil_object *o)
{
    if (o->obj_class != SIGIL_CLASS_PRIVATE_KEY && o->obj_class != SIGIL_CLASS_PUBLIC_KEY)
        return CKR_KEY_HANDLE_INVALID; /* a certificate or data object */
    if (o->obj_class != SIGIL_CLASS_PRIVATE_KEY || !(o->flags & SIGIL_OBJ_SIGN))
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    CK_KEY_TYPE kt = o->key_type == SIGIL_KEYTYPE_EC ? CKK_EC : o->key_type == SIGIL_KEYTYPE_RSA ? CKK_RSA : (CK_KEY_TYPE)-1;
    if (kt != mi->key_type)
        return CKR_KEY_TYPE_INCONSISTENT;
    if (o->bits == 0 || o->bits > 8192)
        return CKR_KEY_SIZE_RANGE;
    return CKR_OK;
}

CK_RV sigil_core_sign_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
    sigil_session *s = NULL;
    sigil_object *o = NULL;
    sigil_sign_op *op = NULL;
    CK_RV rv = CKR_MECHANISM_INVALID;

    const sigil_mech_info *mi = sigil_mech_lookup(mech->mechanism);
    sigil_module_lock(m);
    CK_RV srv = sigil_session_lookup(m, hs, &s);
    if (srv != CKR_OK) {
        rv = srv;
        goto out;
    }
    if (s->ops[SIGIL_OPK_SIGN].state != SIGIL_OPSTATE_NONE) {
        rv = CKR_OPERATION_ACTIVE;
        goto out;
    }
    if (mi == NULL || !(mi->flags & CKF_SIGN))
        goto out;
    rv = sigil_object_get(m, hs, key, &s, &o);
    if (rv == CKR_OBJECT_HANDLE_INVALID)
        rv = CKR_KEY_HANDLE_INVALID;
    if (rv != CKR_OK)
        goto out;
    if (s->ops[SIGIL_OPK_SIGN].state != SIGIL_OPSTATE_NONE) { /* another thread, while the lock was dropped */
        rv = CKR_OPERATION_ACTIVE;
        goto out;
    }
    rv = check_key(mi, o);
    if (rv != CKR_OK)
        goto out;
    rv = CKR_HOST_MEMORY;
    op = calloc(1, sizeof(*op));
    if (op == NULL)
        goto out;
    op->mech = mi;
    op->slot = (uint32_t)s->slot;
    op->key = o->handle;
    op->key_bytes = (o->bits + 7u) / 8u;
    op->sig_len = mi->key_type == CKK_EC ? 2u * op->key_bytes : op->key_bytes;
    rv = check_params(mi, mech, op);
    if (rv != CKR_OK)
        goto out;
    sigil_op_install(s, SIGIL_OPK_SIGN, op);
    op = NULL;
    rv = CKR_OK;
out:
    sigil_module_unlock(m);
    sigil_sign_op_free(op);
    return rv;
}

/* The appliance's input from a digest (hashed mechanisms) or the caller's data (raw ones). */
static CK_RV encode_input(const sigil_sign_op *op, const uint8_t *data, size_t len, bool hashed, uint8_t *out,
                          size_t *out_len)
{
    const sigil_mech_info *mi = op->mech;
    size_t di_len = 0;
    const uint8_t *di = sigil_hash_digestinfo(mi->hash, &di_len);

    if (hashed) { /* data is the digest of mi->hash */
        if (mi->wire_mech == SIGIL_MECH_RSA_PKCS) {
            memcpy(out, di, di_len);
            memcpy(out + di_len, data, len);
            *out_len = di_len + len;
        } else {
            memcpy(out, data, len);
            *out_len = len;
        }
        return CKR_OK;
    }
    switch (mi->wire_mech) {
    case SIGIL_MECH_ECDSA:
        if (len == 0 || len > SIGIL_SIGN_MAX_INPUT)
            return CKR_DATA_LEN_RANGE;
        break;
    case SIGIL_MECH_RSA_PKCS:
        if (op->key_bytes < 11 || len > op->key_bytes - 11 || len > SIGIL_SIGN_MAX_INPUT)
            return CKR_DATA_LEN_RANGE;
        break;
    case SIGIL_MECH_RSA_PSS:
        if (len != sigil_hash_len(op->pss_hash))
            return CKR_DATA_LEN_RANGE;
        break;
    default:
        return CKR_GENERAL_ERROR;
    }
    if (len > 0)
        memcpy(out, data, len);
    *out_len = len;
    return CKR_OK;
}

/* One SIGN round trip; the signature must have exactly op->sig_len bytes. */
static CK_RV sign_wire(sigil_module *m, const sigil_sign_op *op, const uint8_t *in, size_t in_len, uint8_t *sig,
                       CK_ULONG *sig_len)
{
    uint8_t req[32 + SIGIL_SIGN_MAX_INPUT];
    uint8_t resp[8 + 512];
    size_t n = 0;
    size_t slen = 0;
    sigil_wr w;
    sigil_rd r;

    sigil_wr_init(&w, req, sizeof(req));
    sigil_wr_u32(&w, op->slot);
    sigil_wr_u32(&w, op->key);
    sigil_wr_u8(&w, op->mech->wire_mech);
    sigil_wr_u8(&w, op->mech->pss ? (uint8_t)op->pss_hash : 0);
    sigil_wr_u32(&w, op->mech->pss ? op->salt_len : 0);
    sigil_wr_bytes(&w, in, in_len);
    CK_RV rv = sigil_wire_call(m, SIGIL_OP_SIGN, &w, resp, sizeof(resp), &n);
    sigil_wipe(req, sizeof(req));
    if (rv == CKR_OBJECT_HANDLE_INVALID)
        rv = CKR_KEY_HANDLE_INVALID;
    if (rv == CKR_USER_NOT_LOGGED_IN)
        sigil_login_forget(m, op->slot);
    if (rv != CKR_OK)
        return rv;
    sigil_rd_init(&r, resp, n);
    const uint8_t *p = sigil_rd_bytes(&r, 512, &slen);
    if (!sigil_rd_done(&r) || slen != op->sig_len)
        return CKR_DEVICE_ERROR;
    memcpy(sig, p, slen);
    *sig_len = (CK_ULONG)slen;
    return CKR_OK;
}

/* Length query / too-small buffer: answered from the key, the op stays. 1 when answered. */
static int answer_length(const sigil_sign_op *op, const uint8_t *sig, CK_ULONG *sig_len, CK_RV *rv)
{
    if (sig == NULL) {
        *sig_len = op->sig_len;
        *rv = CKR_OK;
        return 1;
    }
    if (*sig_len < op->sig_len) {
        *sig_len = op->sig_len;
        *rv = CKR_BUFFER_TOO_SMALL;
        return 1;
    }
    return 0;
}

CK_RV sigil_core_sign(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *data, size_t len, uint8_t *sig,
                      CK_ULONG *sig_len)
{
    sigil_session *s = NULL;
    uint8_t digest[EVP_MAX_MD_SIZE];
    uint8_t in[SIGIL_SIGN_MAX_INPUT];
    size_t in_len = 0;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_SIGN, &s);
    if (rv == CKR_OK && ((sigil_sign_op *)sigil_op_peek(s, SIGIL_OPK_SIGN))->input.multipart)
        rv = CKR_OPERATION_ACTIVE; /* C_SignUpdate began a multi-part operation */
    if (rv != CKR_OK || answer_length(sigil_op_peek(s, SIGIL_OPK_SIGN), sig, sig_len, &rv)) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_sign_op *op = sigil_op_take(s, SIGIL_OPK_SIGN);
    sigil_module_unlock(m);

    if (op->mech->hash != SIGIL_HASH_NONE) {
        rv = sigil_hash_once(op->mech->hash, data, len, digest) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
        if (rv == CKR_OK)
            rv = encode_input(op, digest, sigil_hash_len(op->mech->hash), true, in, &in_len);
    } else {
        rv = encode_input(op, data, len, false, in, &in_len);
    }
    if (rv == CKR_OK)
        rv = sign_wire(m, op, in, in_len, sig, sig_len);
    sigil_wipe(in, sizeof(in));
    sigil_op_return(m, hs, SIGIL_OPK_SIGN, op, false);
    return rv;
}

CK_RV sigil_core_sign_update(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *part, size_t len)
{
    sigil_session *s = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_SIGN, &s);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_sign_op *op = sigil_op_take(s, SIGIL_OPK_SIGN);
    sigil_module_unlock(m);

    rv = sigil_op_input_update(&op->input, op->mech->hash, part, len);
    /* A failing C_SignUpdate ends the operation (PKCS#11 v2.40 §5.11). */
    sigil_op_return(m, hs, SIGIL_OPK_SIGN, op, rv == CKR_OK);
    return rv;
}

CK_RV sigil_core_sign_final(sigil_module *m, CK_SESSION_HANDLE hs, uint8_t *sig, CK_ULONG *sig_len)
{
    sigil_session *s = NULL;
    uint8_t digest[EVP_MAX_MD_SIZE];
    uint8_t in[SIGIL_SIGN_MAX_INPUT];
    size_t in_len = 0;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_SIGN, &s);
    if (rv != CKR_OK || answer_length(sigil_op_peek(s, SIGIL_OPK_SIGN), sig, sig_len, &rv)) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_sign_op *op = sigil_op_take(s, SIGIL_OPK_SIGN);
    sigil_module_unlock(m);

    const uint8_t *data = NULL;
    size_t data_len = 0;
    rv = sigil_op_input_final(&op->input, op->mech->hash, digest, &data, &data_len);
    if (rv == CKR_OK)
        rv = encode_input(op, data, data_len, op->mech->hash != SIGIL_HASH_NONE, in, &in_len);
    if (rv == CKR_OK)
        rv = sign_wire(m, op, in, in_len, sig, sig_len);
    sigil_wipe(in, sizeof(in));
    sigil_wipe(digest, sizeof(digest));
    sigil_op_return(m, hs, SIGIL_OPK_SIGN, op, false);
    return rv;
}
