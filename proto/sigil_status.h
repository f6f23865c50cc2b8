/* sigil_status.h — the one list of statuses the appliance answers with.
 *
 * X(name, number, message). Numbers are on the wire: extend, never renumber.
 * The module maps each to a CK_RV in exactly one table (module/core/rv.c).
 */
#ifndef SIGIL_STATUS_H
#define SIGIL_STATUS_H

#define SIGIL_STATUS_LIST(X)                                                              \
    X(OK, 0, "ok")                                                                        \
    X(GENERAL_ERROR, 1, "internal error in the appliance")                                \
    X(BAD_FRAME, 2, "malformed frame or field")                                           \
    X(BAD_VERSION, 3, "unsupported protocol version")                                     \
    X(UNKNOWN_OPCODE, 4, "unknown command")                                               \
    X(FRAME_TOO_LARGE, 5, "frame larger than the maximum size")                           \
    X(BAD_ARGUMENT, 6, "a field has an invalid value")                                    \
    X(NO_CONTEXT, 7, "connection has not completed the handshake")                        \
    X(NOT_AUTHORIZED, 8, "the caller's role may not run this command")                    \
    X(NOT_LOGGED_IN, 9, "login required")                                                 \
    X(ALREADY_LOGGED_IN, 10, "already logged in")                                         \
    X(ANOTHER_USER_LOGGED_IN, 11, "another user type is logged in")                       \
    X(PIN_INCORRECT, 12, "PIN incorrect")                                                 \
    X(PIN_LOCKED, 13, "PIN locked after too many failures")                               \
    X(PIN_LEN_RANGE, 14, "PIN length out of range")                                       \
    X(USER_PIN_NOT_INITIALIZED, 15, "user PIN not initialised")                           \
    X(USER_TYPE_INVALID, 16, "invalid user type")                                         \
    X(SLOT_INVALID, 17, "no such seal slot")                                              \
    X(TOKEN_NOT_INITIALIZED, 18, "seal slot not initialised")                             \
    X(NO_FREE_SLOT, 19, "no free seal slot")                                              \
    X(APPLIANCE_NOT_INITIALIZED, 20, "appliance not initialised: run 'sigil-admin init'") \
    X(APPLIANCE_ALREADY_INITIALIZED, 21, "appliance already initialised")                 \
    X(OBJECT_INVALID, 22, "no such object")                                               \
    X(KEY_TYPE_INCONSISTENT, 23, "mechanism does not fit the key type")                   \
    X(MECHANISM_INVALID, 24, "mechanism not supported")                                   \
    X(MECHANISM_PARAM_INVALID, 25, "invalid mechanism parameters")                        \
    X(DATA_LEN_RANGE, 26, "input length out of range")                                    \
    X(KEY_SIZE_RANGE, 27, "key size or curve not supported")                              \
    X(TEMPLATE_INCONSISTENT, 28, "requested attributes are not allowed")                  \
    X(STORAGE_FAILURE, 29, "persistent storage failed")                                   \
    X(INTEGRITY_FAILURE, 30, "stored object failed its integrity check")                  \
    X(CRYPTO_FAILURE, 31, "cryptographic operation failed")                               \
    X(SELF_TEST_FAILED, 32, "self-test failed: device in error state")                    \
    X(NO_MEMORY, 33, "appliance out of memory")                                           \
    X(BUSY, 34, "appliance busy: retry")                                                  \
    X(OBJECT_LIMIT, 35, "too many objects in this seal slot")                             \
    X(KEY_FUNCTION_NOT_PERMITTED, 36, "key may not be used for this operation")            \
    X(AUDIT_FAILURE, 37, "audit trail cannot be written: the device refuses service (fail closed)") \
    X(SLOT_IN_USE, 38, "an application is logged in to this seal slot")                    \
    X(SEAL_SUSPENDED, 39, "seal suspended: it signs again once an administrator resumes it") \
    X(SEAL_REVOKED, 40, "seal revoked: its key is destroyed")                                \
    X(OUTSIDE_VALIDITY, 41, "seal used outside its validity window")                         \
    X(MECHANISM_NOT_ALLOWED, 42, "mechanism not allowed by the seal's policy")               \
    X(ZEROIZED, 43, "device zeroised: it holds no keys and serves nothing")                  \
    X(SEAL_EXISTS, 44, "this seal is already on the appliance")                              \
    X(NO_BACKUP_DOMAIN, 45, "no backup domain: create one or join one first")                \
    X(BACKUP_WRONG_DOMAIN, 46, "backup made in another backup domain")                        \
    X(BUDGET_EXCEEDED, 47, "more signatures than the login's remaining budget")

typedef enum {
#define SIGIL_STATUS_ENUM(name, num, msg) SIGIL_ST_##name = num,
    SIGIL_STATUS_LIST(SIGIL_STATUS_ENUM)
#undef SIGIL_STATUS_ENUM
} sigil_status;

/* Human-readable message of a status ("unknown status" for numbers not in the list). */
const char *sigil_status_message(sigil_status st);
/* Symbolic name, e.g. "PIN_INCORRECT". */
const char *sigil_status_name(sigil_status st);

#endif
