/* hash.c — hashing in the module (OpenSSL EVP) and the PKCS#1 v1.5 DigestInfo prefixes. */
#include <openssl/evp.h>

#include "mech.h"

static const uint8_t di_sha1[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
                                  0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
static const uint8_t di_sha224[] = {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c};
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
static const uint8_t di_sha384[] = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30};
static const uint8_t di_sha512[] = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40};

size_t sigil_hash_len(sigil_hash h)
{
    switch (h) {
    case SIGIL_HASH_SHA1: return 20;
    case SIGIL_HASH_SHA224: return 28;
    case SIGIL_HASH_SHA256: return 32;
    case SIGIL_HASH_SHA384: return 48;
    case SIGIL_HASH_SHA512: return 64;
    case SIGIL_HASH_NONE: break;
    }
    return 0;
}

bool sigil_hash_on_wire(sigil_hash h)
{
    return h == SIGIL_HASH_SHA256 || h == SIGIL_HASH_SHA384 || h == SIGIL_HASH_SHA512;
}

sigil_hash sigil_hash_from_ckm(CK_MECHANISM_TYPE t)
{
    switch (t) {
    case CKM_SHA_1: return SIGIL_HASH_SHA1;
    case CKM_SHA224: return SIGIL_HASH_SHA224;
    case CKM_SHA256: return SIGIL_HASH_SHA256;
    case CKM_SHA384: return SIGIL_HASH_SHA384;
    case CKM_SHA512: return SIGIL_HASH_SHA512;
    default: return SIGIL_HASH_NONE;
    }
}

sigil_hash sigil_hash_from_mgf(CK_RSA_PKCS_MGF_TYPE g)
{
    switch (g) {
    case CKG_MGF1_SHA1: return SIGIL_HASH_SHA1;
    case CKG_MGF1_SHA224: return SIGIL_HASH_SHA224;
    case CKG_MGF1_SHA256: return SIGIL_HASH_SHA256;
    case CKG_MGF1_SHA384: return SIGIL_HASH_SHA384;
    case CKG_MGF1_SHA512: return SIGIL_HASH_SHA512;
    default: return SIGIL_HASH_NONE;
    }
}

const uint8_t *sigil_hash_digestinfo(sigil_hash h, size_t *len)
{
    switch (h) {
    case SIGIL_HASH_SHA1: *len = sizeof(di_sha1); return di_sha1;
    case SIGIL_HASH_SHA224: *len = sizeof(di_sha224); return di_sha224;
    case SIGIL_HASH_SHA256: *len = sizeof(di_sha256); return di_sha256;
    case SIGIL_HASH_SHA384: *len = sizeof(di_sha384); return di_sha384;
    case SIGIL_HASH_SHA512: *len = sizeof(di_sha512); return di_sha512;
    case SIGIL_HASH_NONE: break;
    }
    *len = 0;
    return NULL;
}

const void *sigil_hash_md(sigil_hash h)
{
    switch (h) {
    case SIGIL_HASH_SHA1: return EVP_sha1();
    case SIGIL_HASH_SHA224: return EVP_sha224();
    case SIGIL_HASH_SHA256: return EVP_sha256();
    case SIGIL_HASH_SHA384: return EVP_sha384();
    case SIGIL_HASH_SHA512: return EVP_sha512();
    case SIGIL_HASH_NONE: break;
    }
    return NULL;
}

int sigil_hash_once(sigil_hash h, const uint8_t *data, size_t len, uint8_t *out)
{
    const EVP_MD *md = sigil_hash_md(h);
    unsigned int n = 0;
    static const uint8_t empty[1];
    if (md == NULL)
        return -1;
    if (EVP_Digest(len > 0 ? data : empty, len, out, &n, md, NULL) != 1)
        return -1;
    return n == sigil_hash_len(h) ? 0 : -1;
}
