/* verify.c — signature verification in the module (OpenSSL EVP), against the public values of a
 * public key object: the appliance is not asked. The same mechanisms as signing, plus the SHA-1
 * and SHA-224 ones (mech.c). The operation follows sign.c's life cycle: a failing
 * C_VerifyUpdate and any outcome of C_Verify / C_VerifyFinal end it; C_Verify after
 * C_VerifyUpdate is CKR_OPERATION_ACTIVE.
 */
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "mech.h"
#include "object.h"
#include "op_input.h"
#include "opslot.h"
#include "pubkey.h"
#include "session.h"
#include "verify.h"

struct sigil_verify_op {
    const sigil_mech_info *mech;
    EVP_PKEY *pkey;
    size_t key_bytes; /* EC: order bytes; RSA: modulus bytes */
    sigil_hash pss_hash;
    uint32_t salt_len;
    sigil_op_input input; /* what C_VerifyUpdate gave */
};

void sigil_verify_op_free(sigil_verify_op *op)
{
    if (op == NULL)
        return;
    sigil_op_input_clear(&op->input);
    EVP_PKEY_free(op->pkey);
    free(op);
}

static CK_RV check_params(const sigil_mech_info *mi, const CK_MECHANISM *mech, sigil_verify_op *op)
{
    if (!mi->pss)
        return CKR_OK;
    if (mech->pParameter == NULL || mech->ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS))
        return CKR_MECHANISM_PARAM_INVALID;
    const CK_RSA_PKCS_PSS_PARAMS *p = mech->pParameter;
    sigil_hash h = sigil_hash_from_ckm(p->hashAlg);
    if (h == SIGIL_HASH_NONE || sigil_hash_from_mgf(p->mgf) != h)
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
    if (o->obj_class != SIGIL_CLASS_PUBLIC_KEY && o->obj_class != SIGIL_CLASS_PRIVATE_KEY)
        return CKR_KEY_HANDLE_INVALID;
    if (o->obj_class != SIGIL_CLASS_PUBLIC_KEY || !(o->flags & SIGIL_OBJ_VERIFY))
        return CKR_KEY_FUNCTION_NOT_PERMITTED;
    CK_KEY_TYPE kt = o->key_type == SIGIL_KEYTYPE_EC    ? CKK_EC
                     : o->key_type == SIGIL_KEYTYPE_RSA ? CKK_RSA
                                                        : CKK_VENDOR_DEFINED;
    return kt == mi->key_type ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
}

CK_RV sigil_core_verify_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
    sigil_session *s = NULL;
    sigil_object *o = NULL;
    sigil_object pub;
    sigil_verify_op *op = NULL;
    const sigil_mech_info *mi = sigil_mech_lookup(mech->mechanism);

    memset(&pub, 0, sizeof(pub));
    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && s->ops[SIGIL_OPK_VERIFY].state != SIGIL_OPSTATE_NONE)
        rv = CKR_OPERATION_ACTIVE;
    if (rv == CKR_OK && (mi == NULL || !(mi->flags & CKF_VERIFY)))
        rv = CKR_MECHANISM_INVALID;
    if (rv == CKR_OK) {
        rv = sigil_object_get(m, hs, key, &s, &o);
        if (rv == CKR_OBJECT_HANDLE_INVALID)
            rv = CKR_KEY_HANDLE_INVALID;
    }
    if (rv == CKR_OK)
        rv = check_key(mi, o);
    if (rv == CKR_OK) {
        pub = *o; /* the public values only: no further attributes */
        pub.x = NULL;
        pub.n_x = 0;
    }
    sigil_module_unlock(m);
    if (rv != CKR_OK)
        return rv;

    rv = CKR_HOST_MEMORY;
    op = calloc(1, sizeof(*op));
    if (op == NULL)
        goto out;
    op->mech = mi;
    rv = sigil_pubkey_evp(&pub, &op->pkey);
    if (rv != CKR_OK)
        goto out;
    op->key_bytes = ((size_t)EVP_PKEY_get_bits(op->pkey) + 7u) / 8u;
    rv = check_params(mi, mech, op);
    if (rv != CKR_OK)
        goto out;
    sigil_module_lock(m);
    rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && s->ops[SIGIL_OPK_VERIFY].state != SIGIL_OPSTATE_NONE)
        rv = CKR_OPERATION_ACTIVE; /* another thread, while the lock was dropped */
    if (rv == CKR_OK) {
        sigil_op_install(s, SIGIL_OPK_VERIFY, op);
        op = NULL;
    }
    sigil_module_unlock(m);
out:
    sigil_verify_op_free(op);
    return rv;
}

static CK_RV verify_ec(const sigil_verify_op *op, const uint8_t *tbs, size_t tbs_len, const uint8_t *sig,
                       size_t sig_len)
{
    CK_RV rv = CKR_SIGNATURE_LEN_RANGE;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int der_len = 0;

    if (sig_len != 2 * op->key_bytes)
        goto out;
    rv = CKR_HOST_MEMORY;
    es = ECDSA_SIG_new();
    r = BN_bin2bn(sig, (int)op->key_bytes, NULL);
    s = BN_bin2bn(sig + op->key_bytes, (int)op->key_bytes, NULL);
    if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
        goto out;
    r = s = NULL;
    der_len = i2d_ECDSA_SIG(es, &der);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
    if (der_len <= 0 || ctx == NULL || EVP_PKEY_verify_init(ctx) != 1)
        goto out;
    rv = EVP_PKEY_verify(ctx, der, (size_t)der_len, tbs, tbs_len) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
out:
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return rv;
}

/* RSA PKCS#1 v1.5: the block the signature recovers must be exactly tbs. */
static CK_RV verify_rsa_pkcs(const sigil_verify_op *op, const uint8_t *tbs, size_t tbs_len, const uint8_t *sig,
                             size_t sig_len)
{
    CK_RV rv = CKR_SIGNATURE_LEN_RANGE;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t *rec = NULL;
    size_t rec_len = 0;

    if (sig_len != op->key_bytes)
        goto out;
    rv = CKR_HOST_MEMORY;
    rec = malloc(op->key_bytes);
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
    if (rec == NULL || ctx == NULL || EVP_PKEY_verify_recover_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
        goto out;
    rec_len = op->key_bytes;
    rv = CKR_SIGNATURE_INVALID;
    if (EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, sig_len) == 1 && rec_len == tbs_len &&
        memcmp(rec, tbs, tbs_len) == 0)
        rv = CKR_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    free(rec);
    return rv;
}

static CK_RV verify_rsa_pss(const sigil_verify_op *op, const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                            size_t sig_len)
{
    CK_RV rv = CKR_SIGNATURE_LEN_RANGE;
    EVP_PKEY_CTX *ctx = NULL;
    const EVP_MD *md = sigil_hash_md(op->pss_hash);

    if (sig_len != op->key_bytes)
        goto out;
    rv = CKR_GENERAL_ERROR;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
    if (md == NULL || ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)op->salt_len) != 1)
        goto out;
    rv = EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
out:
    EVP_PKEY_CTX_free(ctx);
    return rv;
}

/* Verifies sig over data (hashed: data is the digest of the mechanism's hash). */
static CK_RV verify_sig(const sigil_verify_op *op, const uint8_t *data, size_t len, bool hashed, const uint8_t *sig,
                        size_t sig_len)
{
    const sigil_mech_info *mi = op->mech;
    uint8_t block[SIGIL_SIGN_MAX_INPUT];
    size_t di_len = 0;

    switch (mi->wire_mech) {
    case SIGIL_MECH_ECDSA:
        if (!hashed && (len == 0 || len > SIGIL_SIGN_MAX_INPUT))
            return CKR_DATA_LEN_RANGE;
        return verify_ec(op, data, len, sig, sig_len);
    case SIGIL_MECH_RSA_PKCS:
        if (hashed) {
            const uint8_t *di = sigil_hash_digestinfo(mi->hash, &di_len);
            memcpy(block, di, di_len);
            memcpy(block + di_len, data, len);
            return verify_rsa_pkcs(op, block, di_len + len, sig, sig_len);
        }
        if (op->key_bytes < 11 || len > op->key_bytes - 11)
            return CKR_DATA_LEN_RANGE;
        return verify_rsa_pkcs(op, data, len, sig, sig_len);
    case SIGIL_MECH_RSA_PSS:
        if (len != sigil_hash_len(op->pss_hash))
            return CKR_DATA_LEN_RANGE;
        return verify_rsa_pss(op, data, len, sig, sig_len);
    default:
        return CKR_GENERAL_ERROR;
    }
}

CK_RV sigil_core_verify(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *data, size_t len, const uint8_t *sig,
                        size_t sig_len)
{
    sigil_session *s = NULL;
    uint8_t digest[EVP_MAX_MD_SIZE];

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_VERIFY, &s);
    if (rv == CKR_OK && ((sigil_verify_op *)sigil_op_peek(s, SIGIL_OPK_VERIFY))->input.multipart)
        rv = CKR_OPERATION_ACTIVE; /* C_VerifyUpdate began a multi-part operation */
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_verify_op *op = sigil_op_take(s, SIGIL_OPK_VERIFY);
    sigil_module_unlock(m);

    if (op->mech->hash != SIGIL_HASH_NONE) {
        rv = sigil_hash_once(op->mech->hash, data, len, digest) == 0 ? CKR_OK : CKR_GENERAL_ERROR;
        if (rv == CKR_OK)
            rv = verify_sig(op, digest, sigil_hash_len(op->mech->hash), true, sig, sig_len);
    } else {
        rv = verify_sig(op, data, len, false, sig, sig_len);
    }
    sigil_op_return(m, hs, SIGIL_OPK_VERIFY, op, false);
    return rv;
}

CK_RV sigil_core_verify_update(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *part, size_t len)
{
    sigil_session *s = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_VERIFY, &s);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_verify_op *op = sigil_op_take(s, SIGIL_OPK_VERIFY);
    sigil_module_unlock(m);

    rv = sigil_op_input_update(&op->input, op->mech->hash, part, len);
    sigil_op_return(m, hs, SIGIL_OPK_VERIFY, op, rv == CKR_OK);
    return rv;
}

CK_RV sigil_core_verify_final(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *sig, size_t sig_len)
{
    sigil_session *s = NULL;
    uint8_t digest[EVP_MAX_MD_SIZE];

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_VERIFY, &s);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_verify_op *op = sigil_op_take(s, SIGIL_OPK_VERIFY);
    sigil_module_unlock(m);

    const uint8_t *data = NULL;
    size_t data_len = 0;
    rv = sigil_op_input_final(&op->input, op->mech->hash, digest, &data, &data_len);
    if (rv == CKR_OK)
        rv = verify_sig(op, data, data_len, op->mech->hash != SIGIL_HASH_NONE, sig, sig_len);
    sigil_op_return(m, hs, SIGIL_OPK_VERIFY, op, false);
    return rv;
}
