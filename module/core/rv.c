/* rv.c — THE single table mapping every appliance status to a CK_RV (specs/pkcs11-profile.md).
 *
 * A switch without a default: with -Wall -Werror a status added to SIGIL_STATUS_LIST without an
 * entry here breaks the build. Keep the profile's table in step with this one.
 */
#include "rv.h"

CK_RV sigil_rv_from_status(sigil_status st)
{
    switch (st) {
    case SIGIL_ST_OK: return CKR_OK;
    case SIGIL_ST_GENERAL_ERROR: return CKR_DEVICE_ERROR;
    case SIGIL_ST_BAD_FRAME: return CKR_GENERAL_ERROR;          /* module and appliance disagree */
    case SIGIL_ST_BAD_VERSION: return CKR_DEVICE_ERROR;
    case SIGIL_ST_UNKNOWN_OPCODE: return CKR_FUNCTION_NOT_SUPPORTED; /* older firmware */
    case SIGIL_ST_FRAME_TOO_LARGE: return CKR_GENERAL_ERROR;
    case SIGIL_ST_BAD_ARGUMENT: return CKR_ARGUMENTS_BAD;
    case SIGIL_ST_NO_CONTEXT: return CKR_DEVICE_ERROR;
    case SIGIL_ST_NOT_AUTHORIZED: return CKR_USER_NOT_LOGGED_IN;
    case SIGIL_ST_SLOT_IN_USE: return CKR_SESSION_EXISTS;
    case SIGIL_ST_NOT_LOGGED_IN: return CKR_USER_NOT_LOGGED_IN;
    case SIGIL_ST_ALREADY_LOGGED_IN: return CKR_USER_ALREADY_LOGGED_IN;
    case SIGIL_ST_ANOTHER_USER_LOGGED_IN: return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
    case SIGIL_ST_PIN_INCORRECT: return CKR_PIN_INCORRECT;
    case SIGIL_ST_PIN_LOCKED: return CKR_PIN_LOCKED;
    case SIGIL_ST_PIN_LEN_RANGE: return CKR_PIN_LEN_RANGE;
    case SIGIL_ST_USER_PIN_NOT_INITIALIZED: return CKR_USER_PIN_NOT_INITIALIZED;
    case SIGIL_ST_USER_TYPE_INVALID: return CKR_USER_TYPE_INVALID;
    case SIGIL_ST_SLOT_INVALID: return CKR_SLOT_ID_INVALID;
    case SIGIL_ST_TOKEN_NOT_INITIALIZED: return CKR_TOKEN_NOT_RECOGNIZED;
    case SIGIL_ST_NO_FREE_SLOT: return CKR_DEVICE_MEMORY;
    case SIGIL_ST_APPLIANCE_NOT_INITIALIZED: return CKR_DEVICE_ERROR;
    case SIGIL_ST_APPLIANCE_ALREADY_INITIALIZED: return CKR_GENERAL_ERROR; /* never asked by the module */
    case SIGIL_ST_OBJECT_INVALID: return CKR_OBJECT_HANDLE_INVALID;
    case SIGIL_ST_KEY_TYPE_INCONSISTENT: return CKR_KEY_TYPE_INCONSISTENT;
    case SIGIL_ST_MECHANISM_INVALID: return CKR_MECHANISM_INVALID;
    case SIGIL_ST_MECHANISM_PARAM_INVALID: return CKR_MECHANISM_PARAM_INVALID;
    case SIGIL_ST_DATA_LEN_RANGE: return CKR_DATA_LEN_RANGE;
    case SIGIL_ST_KEY_SIZE_RANGE: return CKR_KEY_SIZE_RANGE;
    case SIGIL_ST_TEMPLATE_INCONSISTENT: return CKR_TEMPLATE_INCONSISTENT;
    case SIGIL_ST_STORAGE_FAILURE: return CKR_DEVICE_ERROR;
    case SIGIL_ST_INTEGRITY_FAILURE: return CKR_DEVICE_ERROR;
    case SIGIL_ST_CRYPTO_FAILURE: return CKR_DEVICE_ERROR;
    case SIGIL_ST_SELF_TEST_FAILED: return CKR_DEVICE_ERROR;
    case SIGIL_ST_NO_MEMORY: return CKR_DEVICE_MEMORY;
    case SIGIL_ST_BUSY: return CKR_FUNCTION_FAILED; /* retry later */
    case SIGIL_ST_OBJECT_LIMIT: return CKR_DEVICE_MEMORY;
    case SIGIL_ST_KEY_FUNCTION_NOT_PERMITTED: return CKR_KEY_FUNCTION_NOT_PERMITTED;
    case SIGIL_ST_AUDIT_FAILURE: return CKR_DEVICE_ERROR; /* fail closed */
    }
    return CKR_DEVICE_ERROR;
}

CK_RV sigil_rv_from_client(sigil_client_result res)
{
    switch (res) {
    case SIGIL_CLIENT_OK: return CKR_OK;
    case SIGIL_CLIENT_NO_APPLIANCE: return CKR_DEVICE_ERROR;
    case SIGIL_CLIENT_CONN_LOST: return CKR_DEVICE_ERROR;
    case SIGIL_CLIENT_PROTOCOL: return CKR_DEVICE_ERROR;
    case SIGIL_CLIENT_NO_MEMORY: return CKR_HOST_MEMORY;
    }
    return CKR_DEVICE_ERROR;
}
