/* sig_check.h — the argument rules of sigil_crypto_sign, shared by every backend
 * (not a public header), so that both backends refuse the same requests with
 * the same statuses. */
#ifndef SIGIL_SIG_CHECK_H
#define SIGIL_SIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"

#define SIGIL_PKCS1_V15_OVERHEAD 11u /* 00 01 PS(>= 8 x FF) 00 */

/* Output length of a hash named by a signing mechanism; 0 when unsupported. */
size_t sigil_hash_len(sigil_hash_alg alg);

/* Checks scheme, parameters and input length against a key, in this order:
 * unknown scheme -> MECHANISM_INVALID; scheme of the other key family ->
 * KEY_TYPE_INCONSISTENT; PSS hash unsupported -> MECHANISM_PARAM_INVALID;
 * input length -> DATA_LEN_RANGE; PSS salt too long -> MECHANISM_PARAM_INVALID.
 * sig_len is the key's signature size (the modulus size for RSA), mod_bits the
 * RSA modulus length in bits (unused for EC). */
__attribute__((warn_unused_result)) sigil_status
sigil_sig_check_request(const sigil_sig_params *params, bool key_is_ec, size_t sig_len,
                        size_t mod_bits, size_t in_len);

#endif
