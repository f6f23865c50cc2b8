/* general.c — C_Initialize, C_Finalize, C_GetInfo. */
#include <string.h>

#include "api.h"

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    /* pInitArgs->pReserved may be non-NULL (NSS passes its module parameters there): accepted. */
    return sigil_module_initialize(pInitArgs);
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pReserved != NULL)
        return CKR_ARGUMENTS_BAD;
    return sigil_module_finalize();
}

CK_RV sigil_api_get_info(CK_INFO_PTR pInfo, CK_BYTE major, CK_BYTE minor)
{
    sigil_module *m = NULL;
    CK_RV rv = sigil_module_get(&m);
    if (rv != CKR_OK)
        return rv;
    if (pInfo == NULL)
        return CKR_ARGUMENTS_BAD;
    memset(pInfo, 0, sizeof(*pInfo));
    pInfo->cryptokiVersion = (CK_VERSION){major, minor};
    sigil_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "Sigil");
    pInfo->flags = 0;
    sigil_pad(pInfo->libraryDescription, sizeof(pInfo->libraryDescription), "Sigil seal appliance module");
    pInfo->libraryVersion = sigil_version_parse(SIGIL_VERSION);
    return CKR_OK;
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    return sigil_api_get_info(pInfo, 2, 40);
}
