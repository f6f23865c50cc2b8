/* sig_check.c — see sig_check.h. */
#include "sig_check.h"

size_t sigil_hash_len(sigil_hash_alg alg)
{
    switch (alg) {
    case SIGIL_HASH_SHA256:
        return 32;
    case SIGIL_HASH_SHA384:
        return 48;
    case SIGIL_HASH_SHA512:
        return 64;
    case SIGIL_HASH_NONE:
    default:
        return 0;
    }
}

sigil_status sigil_sig_check_request(const sigil_sig_params *params, bool key_is_ec,
                                     size_t sig_len, size_t mod_bits, size_t in_len)
{
    switch (params->scheme) {
    case SIGIL_SIG_ECDSA:
        if (!key_is_ec)
            return SIGIL_ST_KEY_TYPE_INCONSISTENT;
        /* Any non-empty digest: ECDSA uses its leftmost group-order bits (FIPS 186-4). */
        return in_len == 0 ? SIGIL_ST_DATA_LEN_RANGE : SIGIL_ST_OK;
    case SIGIL_SIG_RSA_PKCS1:
        if (key_is_ec)
            return SIGIL_ST_KEY_TYPE_INCONSISTENT;
        return in_len > sig_len - SIGIL_PKCS1_V15_OVERHEAD ? SIGIL_ST_DATA_LEN_RANGE : SIGIL_ST_OK;
    case SIGIL_SIG_RSA_PSS: {
        if (key_is_ec)
            return SIGIL_ST_KEY_TYPE_INCONSISTENT;
        size_t md_len = sigil_hash_len(params->pss_hash);
        if (md_len == 0)
            return SIGIL_ST_MECHANISM_PARAM_INVALID;
        if (in_len != md_len)
            return SIGIL_ST_DATA_LEN_RANGE;
        /* RFC 8017 9.1.1: emLen >= hLen + sLen + 2, emLen = ceil((modBits - 1) / 8). */
        size_t em_len = (mod_bits - 1 + 7) / 8;
        if (em_len < md_len + 2 || params->pss_salt_len > em_len - md_len - 2)
            return SIGIL_ST_MECHANISM_PARAM_INVALID;
        return SIGIL_ST_OK;
    }
    default:
        return SIGIL_ST_MECHANISM_INVALID;
    }
}
