/* random.c — C_GenerateRandom (the appliance's DRBG); C_SeedRandom is refused. */
#include "api.h"

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    (void)hSession;
    (void)pSeed;
    (void)ulSeedLen;
    return rv != CKR_OK ? rv : CKR_RANDOM_SEED_NOT_SUPPORTED;
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pRandomData, CK_ULONG ulRandomLen)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pRandomData == NULL && ulRandomLen > 0)
        return CKR_ARGUMENTS_BAD;
    return sigil_core_generate_random(m, hSession, pRandomData, ulRandomLen);
}
