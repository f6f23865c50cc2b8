/* digest.c — message digests in the module (OpenSSL EVP); the appliance is not asked.
 *
 * Like signing: a length query (NULL output) and CKR_BUFFER_TOO_SMALL leave the operation active;
 * any other outcome of C_Digest / C_DigestFinal ends it, and so does a failing C_DigestUpdate or
 * C_DigestKey. C_Digest after C_DigestUpdate is CKR_OPERATION_ACTIVE. The hashing itself runs
 * with the lock dropped.
 */
#include <openssl/evp.h>
#include <stdlib.h>

#include "digest.h"
#include "mech.h"
#include "object.h"
#include "opslot.h"
#include "session.h"

struct sigil_digest_op {
    sigil_hash hash;
    EVP_MD_CTX *md;
    bool multipart;
};

void sigil_digest_op_free(sigil_digest_op *op)
{
    if (op == NULL)
        return;
    EVP_MD_CTX_free(op->md);
    free(op);
}

CK_RV sigil_core_digest_init(sigil_module *m, CK_SESSION_HANDLE hs, const CK_MECHANISM *mech)
{
    sigil_session *s = NULL;
    sigil_digest_op *op = NULL;
    const sigil_mech_info *mi = sigil_mech_lookup(mech->mechanism);

    sigil_module_lock(m);
    CK_RV rv = sigil_session_lookup(m, hs, &s);
    if (rv == CKR_OK && s->ops[SIGIL_OPK_DIGEST].state != SIGIL_OPSTATE_NONE)
        rv = CKR_OPERATION_ACTIVE;
    if (rv == CKR_OK && (mi == NULL || !(mi->flags & CKF_DIGEST)))
        rv = CKR_MECHANISM_INVALID;
    if (rv == CKR_OK) {
        rv = CKR_HOST_MEMORY;
        op = calloc(1, sizeof(*op));
        if (op != NULL)
            op->md = EVP_MD_CTX_new();
        if (op != NULL && op->md != NULL)
            rv = EVP_DigestInit_ex(op->md, sigil_hash_md(mi->hash), NULL) == 1 ? CKR_OK : CKR_GENERAL_ERROR;
    }
    if (rv == CKR_OK) {
        op->hash = mi->hash;
        sigil_op_install(s, SIGIL_OPK_DIGEST, op);
        op = NULL;
    }
    sigil_module_unlock(m);
    sigil_digest_op_free(op);
    return rv;
}

/* Length query / too-small buffer: answered from the hash, the op stays. 1 when answered. */
static int answer_length(const sigil_digest_op *op, const uint8_t *out, CK_ULONG *out_len, CK_RV *rv)
{
    CK_ULONG need = (CK_ULONG)sigil_hash_len(op->hash);
    if (out == NULL) {
        *out_len = need;
        *rv = CKR_OK;
        return 1;
    }
    if (*out_len < need) {
        *out_len = need;
        *rv = CKR_BUFFER_TOO_SMALL;
        return 1;
    }
    return 0;
}

static CK_RV finish(sigil_digest_op *op, uint8_t *out, CK_ULONG *out_len)
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(op->md, out, &n) != 1)
        return CKR_GENERAL_ERROR;
    *out_len = n;
    return CKR_OK;
}

CK_RV sigil_core_digest(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *data, size_t len, uint8_t *out,
                        CK_ULONG *out_len)
{
    sigil_session *s = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_DIGEST, &s);
    if (rv == CKR_OK && ((sigil_digest_op *)sigil_op_peek(s, SIGIL_OPK_DIGEST))->multipart)
        rv = CKR_OPERATION_ACTIVE; /* C_DigestUpdate began a multi-part operation */
    if (rv != CKR_OK || answer_length(sigil_op_peek(s, SIGIL_OPK_DIGEST), out, out_len, &rv)) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_digest_op *op = sigil_op_take(s, SIGIL_OPK_DIGEST);
    sigil_module_unlock(m);

    rv = len == 0 || EVP_DigestUpdate(op->md, data, len) == 1 ? CKR_OK : CKR_GENERAL_ERROR;
    if (rv == CKR_OK)
        rv = finish(op, out, out_len);
    sigil_op_return(m, hs, SIGIL_OPK_DIGEST, op, false);
    return rv;
}

CK_RV sigil_core_digest_update(sigil_module *m, CK_SESSION_HANDLE hs, const uint8_t *part, size_t len)
{
    sigil_session *s = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_DIGEST, &s);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_digest_op *op = sigil_op_take(s, SIGIL_OPK_DIGEST);
    sigil_module_unlock(m);

    op->multipart = true;
    rv = len == 0 || EVP_DigestUpdate(op->md, part, len) == 1 ? CKR_OK : CKR_GENERAL_ERROR;
    sigil_op_return(m, hs, SIGIL_OPK_DIGEST, op, rv == CKR_OK);
    return rv;
}

CK_RV sigil_core_digest_key(sigil_module *m, CK_SESSION_HANDLE hs, CK_OBJECT_HANDLE key)
{
    sigil_session *s = NULL;
    sigil_object *o = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_DIGEST, &s);
    if (rv != CKR_OK) {
        sigil_module_unlock(m);
        return rv;
    }
    /* Only secret keys can be digested, and there are none here: the operation ends. */
    rv = sigil_object_get(m, hs, key, &s, &o);
    if (rv == CKR_OBJECT_HANDLE_INVALID)
        rv = CKR_KEY_HANDLE_INVALID;
    else if (rv == CKR_OK)
        rv = CKR_KEY_INDIGESTIBLE;
    if (s != NULL && s->ops[SIGIL_OPK_DIGEST].state == SIGIL_OPSTATE_ACTIVE) { /* s: NULL if it closed */
        sigil_digest_op *op = sigil_op_take(s, SIGIL_OPK_DIGEST);
        s->ops[SIGIL_OPK_DIGEST].state = SIGIL_OPSTATE_NONE;
        sigil_digest_op_free(op);
    }
    sigil_module_unlock(m);
    return rv;
}

CK_RV sigil_core_digest_final(sigil_module *m, CK_SESSION_HANDLE hs, uint8_t *out, CK_ULONG *out_len)
{
    sigil_session *s = NULL;

    sigil_module_lock(m);
    CK_RV rv = sigil_op_active(m, hs, SIGIL_OPK_DIGEST, &s);
    if (rv != CKR_OK || answer_length(sigil_op_peek(s, SIGIL_OPK_DIGEST), out, out_len, &rv)) {
        sigil_module_unlock(m);
        return rv;
    }
    sigil_digest_op *op = sigil_op_take(s, SIGIL_OPK_DIGEST);
    sigil_module_unlock(m);

    rv = finish(op, out, out_len);
    sigil_op_return(m, hs, SIGIL_OPK_DIGEST, op, false);
    return rv;
}
