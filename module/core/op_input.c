/* op_input.c — see op_input.h. */
#include "op_input.h"

#include <string.h>

#include "sigil_secmem.h"

void sigil_op_input_clear(sigil_op_input *in)
{
    EVP_MD_CTX_free(in->md);
    in->md = NULL;
    sigil_wipe(in->buf, sizeof(in->buf));
    in->buf_len = 0;
}

CK_RV sigil_op_input_update(sigil_op_input *in, sigil_hash hash, const uint8_t *part, size_t len)
{
    in->multipart = true;
    if (hash != SIGIL_HASH_NONE) {
        if (in->md == NULL) {
            in->md = EVP_MD_CTX_new();
            if (in->md == NULL)
                return CKR_HOST_MEMORY;
            if (EVP_DigestInit_ex(in->md, sigil_hash_md(hash), NULL) != 1)
                return CKR_GENERAL_ERROR;
        }
        return (len == 0 || EVP_DigestUpdate(in->md, part, len) == 1) ? CKR_OK : CKR_GENERAL_ERROR;
    }
    if (len > sizeof(in->buf) - in->buf_len)
        return CKR_DATA_LEN_RANGE;
    if (len > 0)
        memcpy(in->buf + in->buf_len, part, len);
    in->buf_len += len;
    return CKR_OK;
}

CK_RV sigil_op_input_final(sigil_op_input *in, sigil_hash hash, uint8_t digest[EVP_MAX_MD_SIZE],
                           const uint8_t **data, size_t *len)
{
    if (hash == SIGIL_HASH_NONE) {
        *data = in->buf;
        *len = in->buf_len;
        return CKR_OK;
    }
    unsigned int dlen = 0;
    if (in->md == NULL) { /* no Update call: the empty message */
        if (sigil_hash_once(hash, NULL, 0, digest) != 0)
            return CKR_GENERAL_ERROR;
        dlen = (unsigned int)sigil_hash_len(hash);
    } else if (EVP_DigestFinal_ex(in->md, digest, &dlen) != 1) {
        return CKR_GENERAL_ERROR;
    }
    *data = digest;
    *len = dlen;
    return CKR_OK;
}
