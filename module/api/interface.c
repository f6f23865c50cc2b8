/* interface.c — PKCS#11 3.0 discovery: C_GetInterfaceList and C_GetInterface offer two interfaces
 * named "PKCS 11": version 3.0 (the default, the 3.0 function list) and version 2.40 (the list
 * C_GetFunctionList gives). Neither is fork-safe (CKF_INTERFACE_FORK_SAFE): a forked child must
 * call C_Initialize again. */
#include <string.h>

#include "api.h"

sigil_function_list_3_0 sigil_function_list_3 = {
    .v2 = {
        .version = {3, 0},
        SIGIL_P11_V2_FUNCTIONS(sigil_v3_get_info)
    },
    .C_GetInterfaceList = C_GetInterfaceList,
    .C_GetInterface = C_GetInterface,
    .C_LoginUser = sigil_v3_login_user,
    .C_SessionCancel = sigil_v3_session_cancel,
    .C_MessageEncryptInit = sigil_v3_message_init,
    .C_EncryptMessage = sigil_v3_message_crypt,
    .C_EncryptMessageBegin = sigil_v3_message_begin,
    .C_EncryptMessageNext = sigil_v3_message_crypt_next,
    .C_MessageEncryptFinal = sigil_v3_message_final,
    .C_MessageDecryptInit = sigil_v3_message_init,
    .C_DecryptMessage = sigil_v3_message_crypt,
    .C_DecryptMessageBegin = sigil_v3_message_begin,
    .C_DecryptMessageNext = sigil_v3_message_crypt_next,
    .C_MessageDecryptFinal = sigil_v3_message_final,
    .C_MessageSignInit = sigil_v3_message_init,
    .C_SignMessage = sigil_v3_sign_message,
    .C_SignMessageBegin = sigil_v3_sign_message_begin,
    .C_SignMessageNext = sigil_v3_sign_message,
    .C_MessageSignFinal = sigil_v3_message_final,
    .C_MessageVerifyInit = sigil_v3_message_init,
    .C_VerifyMessage = sigil_v3_verify_message,
    .C_VerifyMessageBegin = sigil_v3_sign_message_begin,
    .C_VerifyMessageNext = sigil_v3_verify_message,
    .C_MessageVerifyFinal = sigil_v3_message_final,
};

static CK_UTF8CHAR g_iface_name[] = "PKCS 11";
static sigil_ck_interface g_interfaces[] = {
    {.pInterfaceName = g_iface_name, .pFunctionList = &sigil_function_list_3, .flags = 0},
    {.pInterfaceName = g_iface_name, .pFunctionList = &sigil_function_list, .flags = 0},
};

#define N_INTERFACES (sizeof(g_interfaces) / sizeof(g_interfaces[0]))

static CK_VERSION iface_version(const sigil_ck_interface *i)
{
    return ((const CK_FUNCTION_LIST *)i->pFunctionList)->version;
}

SIGIL_EXPORT CK_RV C_GetInterfaceList(sigil_ck_interface *pInterfacesList, CK_ULONG *pulCount)
{
    if (pulCount == NULL)
        return CKR_ARGUMENTS_BAD;
    if (pInterfacesList == NULL) {
        *pulCount = N_INTERFACES;
        return CKR_OK;
    }
    if (*pulCount < N_INTERFACES) {
        *pulCount = N_INTERFACES;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(pInterfacesList, g_interfaces, sizeof(g_interfaces));
    *pulCount = N_INTERFACES;
    return CKR_OK;
}

SIGIL_EXPORT CK_RV C_GetInterface(CK_UTF8CHAR *pInterfaceName, CK_VERSION *pVersion,
                                  sigil_ck_interface **ppInterface, CK_FLAGS flags)
{
    if (ppInterface == NULL)
        return CKR_ARGUMENTS_BAD;
    for (size_t i = 0; i < N_INTERFACES; i++) {
        sigil_ck_interface *it = &g_interfaces[i];
        CK_VERSION v = iface_version(it);
        if (pInterfaceName != NULL && strcmp((const char *)pInterfaceName, (const char *)it->pInterfaceName) != 0)
            continue;
        if (pVersion != NULL && (pVersion->major != v.major || pVersion->minor != v.minor))
            continue;
        if ((it->flags & flags) != flags) /* e.g. CKF_INTERFACE_FORK_SAFE: not offered */
            continue;
        *ppInterface = it;
        return CKR_OK;
    }
    return CKR_ARGUMENTS_BAD;
}
