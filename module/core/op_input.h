/* op_input.h — the data a sign or verify operation takes: hashed in the module when the
 * mechanism hashes (over any number of C_*Update calls), else collected raw for the
 * appliance (at most SIGIL_SIGN_MAX_INPUT bytes). One place for C_SignUpdate/C_SignFinal and
 * C_VerifyUpdate/C_VerifyFinal. */
#ifndef SIGIL_OP_INPUT_H
#define SIGIL_OP_INPUT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mech.h"
#include "sigil_proto.h"

typedef struct {
    bool multipart;    /* an Update call was made: the one-call form is refused from then on */
    EVP_MD_CTX *md;    /* hashing over the parts (made at the first part) */
    uint8_t buf[SIGIL_SIGN_MAX_INPUT]; /* raw parts */
    size_t buf_len;
} sigil_op_input;

/* Frees the hashing state and wipes the raw parts. */
void sigil_op_input_clear(sigil_op_input *in);
/* Adds a part: hashed with hash, or kept raw (CKR_DATA_LEN_RANGE past the limit). */
SIGIL_P11_WUR CK_RV sigil_op_input_update(sigil_op_input *in, sigil_hash hash, const uint8_t *part, size_t len);
/* The input as a whole: with a hash, the digest of the parts (of the empty message when none
 * came) written to digest; without, the raw parts. *data and *len say where it is. */
SIGIL_P11_WUR CK_RV sigil_op_input_final(sigil_op_input *in, sigil_hash hash, uint8_t digest[EVP_MAX_MD_SIZE],
                                         const uint8_t **data, size_t *len);

#endif
