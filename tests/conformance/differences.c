/* differences.c — the intended differences between Sigil and SoftHSMv2.
 *
 * Each row: a reference (as in DIFFERENCES.md), the check ("case-id/check"; a trailing '*' matches
 * any rest), the module that answers differently from the case's expectation, what it answers, and
 * why. The case's expectation is what PKCS#11 v2.40 names; where it names nothing, the case says in a
 * comment which answer it expects and why. A difference that is not in this table fails the case; a row whose
 * difference is no longer observed fails it too, so the table and DIFFERENCES.md stay true.
 *
 * "sigil" rows are Sigil's choices (they are also in specs/pkcs11-profile.md); "softhsm" rows are
 * places where SoftHSMv2 2.6.1 deviates from PKCS#11 and Sigil does not.
 */
#include <stddef.h>

#include "conformance.h"

#define NSS "NSS passes its module parameters in CK_C_INITIALIZE_ARGS.pReserved; Sigil accepts them " \
            "(and ignores them) so that NSS can load it"
#define SEAL_KEY "a seal key is generated on the appliance, always sensitive and never extractable; " \
                 "a template asking otherwise is refused, not silently changed"
#define SEAL_USER "every change to a seal (creating or destroying any object) needs the seal user: " \
                  "the appliance does not grant R/W public sessions write access"
#define HSM_ECDSA_SHA "SoftHSMv2 2.6.1 has no hash-and-sign ECDSA mechanisms (CKM_ECDSA_SHA256/384/512)"
#define HSM_LOGOUT "SoftHSMv2 answers CKR_OK to C_Logout when nobody is logged in; PKCS#11 names " \
                   "CKR_USER_NOT_LOGGED_IN"
#define HSM_KEYHANDLE "SoftHSMv2's C_SignInit and C_VerifyInit answer CKR_OBJECT_HANDLE_INVALID for a key " \
                      "handle that is not valid (or not visible); their code is CKR_KEY_HANDLE_INVALID"
#define HSM_KEYTYPE "SoftHSMv2's C_SignInit/C_VerifyInit accept an RSA mechanism with an EC key (the operation " \
                    "then fails with CKR_GENERAL_ERROR); PKCS#11 names CKR_KEY_TYPE_INCONSISTENT"

const struct conf_difference conf_differences[] = {
    /* ---- Sigil's choices ---- */
    {"D1", "init.reserved/C_Initialize", CONF_SIGIL, CKR_OK, NSS},
    {"D2", "login.pin-too-long/300-byte-pin", CONF_SIGIL, CKR_PIN_LEN_RANGE,
     "a PIN longer than 64 bytes cannot be right: the module refuses it without a round trip, so it costs "
     "no PIN retry (C_Login does not list CKR_PIN_LEN_RANGE; SoftHSMv2 answers CKR_PIN_INCORRECT)"},
    {"D3", "keygen.ec-not-sensitive/C_GenerateKeyPair", CONF_SIGIL, CKR_TEMPLATE_INCONSISTENT, SEAL_KEY},
    {"D3", "keygen.rsa-not-sensitive/C_GenerateKeyPair", CONF_SIGIL, CKR_TEMPLATE_INCONSISTENT, SEAL_KEY},
    {"D3", "keygen.ec-extractable/C_GenerateKeyPair", CONF_SIGIL, CKR_TEMPLATE_INCONSISTENT, SEAL_KEY},
    {"D3", "keygen.rsa-extractable/C_GenerateKeyPair", CONF_SIGIL, CKR_TEMPLATE_INCONSISTENT, SEAL_KEY},
    {"D4", "keygen.ec-secp256k1/C_GenerateKeyPair", CONF_SIGIL, CKR_CURVE_NOT_SUPPORTED,
     "seal keys are on P-256 or P-384 only (the curves of the qualified-seal profile)"},
    {"D5", "keygen.rsa-1024/C_GenerateKeyPair", CONF_SIGIL, CKR_KEY_SIZE_RANGE,
     "RSA seal keys are 2048, 3072 or 4096 bits"},
    {"D6", "sign.raw-multipart/C_SignUpdate", CONF_SIGIL, CKR_OK,
     "raw CKM_ECDSA, CKM_RSA_PKCS and CKM_RSA_PKCS_PSS accept C_SignUpdate and accumulate up to 1024 bytes "
     "(clients that always sign in parts work)"},
    {"D6", "sign.raw-multipart/C_SignFinal", CONF_SIGIL, CKR_OK,
     "raw CKM_ECDSA, CKM_RSA_PKCS and CKM_RSA_PKCS_PSS accept C_SignUpdate and accumulate up to 1024 bytes "
     "(clients that always sign in parts work)"},
    {"D7", "random.seed/C_SeedRandom", CONF_SIGIL, CKR_RANDOM_SEED_NOT_SUPPORTED,
     "the appliance's generator takes no seed from a host (PKCS#11 allows this code)"},
    {"D8", "object.destroy/public-not-logged-in", CONF_SIGIL, CKR_USER_NOT_LOGGED_IN, SEAL_USER},
    {"D8", "object.create-public-not-logged-in/C_CreateObject", CONF_SIGIL, CKR_USER_NOT_LOGGED_IN, SEAL_USER},
    {"D9", "object.import-private/C_CreateObject", CONF_SIGIL, CKR_TEMPLATE_INCONSISTENT,
     "no private key enters the appliance from outside: seal keys are generated on it (the appliance "
     "refuses the import with TEMPLATE_INCONSISTENT)"},
    {"D10", "sign.key-destroyed/C_Sign-after-destroy", CONF_SIGIL, CKR_KEY_HANDLE_INVALID,
     "a destroyed seal key signs nothing more, even in an operation initialised before: the appliance looks "
     "the key up at each SIGN (OBJECT_INVALID, mapped to CKR_KEY_HANDLE_INVALID)"},
    {"D11", "object.limits/label-200-bytes", CONF_SIGIL, CKR_ATTRIBUTE_VALUE_INVALID,
     "the appliance bounds CKA_LABEL to 128 bytes and CKA_ID to 64 bytes (a slot's object list fits one frame)"},
    {"D11", "object.limits/id-65-bytes", CONF_SIGIL, CKR_ATTRIBUTE_VALUE_INVALID,
     "the appliance bounds CKA_LABEL to 128 bytes and CKA_ID to 64 bytes (a slot's object list fits one frame)"},
#define TOKEN_KEYS "keys live on the appliance: CKA_TOKEN=false in a key-generation template is accepted " \
                   "(pkcs11-tool --test asks for it) but the keys are token objects and outlive the session"
    {"D12", "keygen.session-keys/pub:CKA_TOKEN", CONF_SIGIL, 1, TOKEN_KEYS},
    {"D12", "keygen.session-keys/priv:CKA_TOKEN", CONF_SIGIL, 1, TOKEN_KEYS},
    {"D12", "keygen.session-keys/after-close:count", CONF_SIGIL, 2, TOKEN_KEYS},

    /* ---- SoftHSMv2 2.6.1 deviations (Sigil follows PKCS#11) ---- */
    {"S1", "init.finalize-sessions/C_Logout-new", CONF_SOFTHSM, CKR_OK, HSM_LOGOUT},
    {"S1", "login.logout-not-logged-in/C_Logout", CONF_SOFTHSM, CKR_OK, HSM_LOGOUT},
    {"S1", "login.logout-not-logged-in/C_Logout-2", CONF_SOFTHSM, CKR_OK, HSM_LOGOUT},
    {"S2", "mech.list/listed:CKM_ECDSA_SHA256", CONF_SOFTHSM, 0, HSM_ECDSA_SHA},
    {"S2", "mech.list/listed:CKM_ECDSA_SHA384", CONF_SOFTHSM, 0, HSM_ECDSA_SHA},
    {"S2", "mech.list/listed:CKM_ECDSA_SHA512", CONF_SOFTHSM, 0, HSM_ECDSA_SHA},
    {"S2", "mech.info/CKM_ECDSA_SHA256", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S2", "mech.info/CKM_ECDSA_SHA384", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S2", "mech.info/CKM_ECDSA_SHA512", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S2", "sign.CKM_ECDSA_SHA256/C_GetMechanismInfo", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S2", "sign.CKM_ECDSA_SHA384/C_GetMechanismInfo", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S2", "sign.CKM_ECDSA_SHA512/C_GetMechanismInfo", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S2", "verify.CKM_ECDSA_SHA256/C_GetMechanismInfo", CONF_SOFTHSM, CKR_MECHANISM_INVALID, HSM_ECDSA_SHA},
    {"S3", "keygen.ec-bogus-curve/C_GenerateKeyPair", CONF_SOFTHSM, CKR_GENERAL_ERROR,
     "SoftHSMv2 answers CKR_GENERAL_ERROR for an OID that names no curve; PKCS#11 names CKR_CURVE_NOT_SUPPORTED"},
    {"S4", "keygen.rsa-bad-bits/C_GenerateKeyPair", CONF_SOFTHSM, CKR_GENERAL_ERROR,
     "SoftHSMv2 does not check CKA_MODULUS_BITS against its range and fails in OpenSSL (CKR_GENERAL_ERROR); "
     "PKCS#11 names CKR_KEY_SIZE_RANGE"},
    {"S4", "keygen.rsa-huge-bits/C_GenerateKeyPair", CONF_SOFTHSM, CKR_GENERAL_ERROR,
     "SoftHSMv2 does not check CKA_MODULUS_BITS against its range and fails in OpenSSL (CKR_GENERAL_ERROR); "
     "PKCS#11 names CKR_KEY_SIZE_RANGE"},
    {"S5", "sign.CKM_RSA_PKCS/too-long:C_Sign", CONF_SOFTHSM, CKR_GENERAL_ERROR,
     "SoftHSMv2 answers CKR_GENERAL_ERROR for CKM_RSA_PKCS input longer than k-11 bytes; PKCS#11 names "
     "CKR_DATA_LEN_RANGE"},
    {"S6", "sign.after-update/C_Sign-after-update", CONF_SOFTHSM, CKR_OPERATION_NOT_INITIALIZED,
     "C_Sign after C_SignUpdate: SoftHSMv2 ends the operation (CKR_OPERATION_NOT_INITIALIZED); Sigil answers "
     "CKR_OPERATION_ACTIVE and keeps it, so C_SignFinal still completes it (PKCS#11 names no code)"},
    {"S6", "sign.after-update/C_SignFinal", CONF_SOFTHSM, CKR_OPERATION_NOT_INITIALIZED,
     "C_Sign after C_SignUpdate: SoftHSMv2 ends the operation (CKR_OPERATION_NOT_INITIALIZED); Sigil answers "
     "CKR_OPERATION_ACTIVE and keeps it, so C_SignFinal still completes it (PKCS#11 names no code)"},
    {"S7", "sign.key-rules/rsa-mechanism-ec-key", CONF_SOFTHSM, CKR_OK, HSM_KEYTYPE},
    {"S7", "verify.key-rules/rsa-mechanism-ec-key", CONF_SOFTHSM, CKR_OK, HSM_KEYTYPE},
    {"S8", "sign.key-rules/bogus-key", CONF_SOFTHSM, CKR_OBJECT_HANDLE_INVALID, HSM_KEYHANDLE},
    {"S8", "sign.key-rules/key-0", CONF_SOFTHSM, CKR_OBJECT_HANDLE_INVALID, HSM_KEYHANDLE},
    {"S8", "sign.not-logged-in/C_SignInit-after-logout", CONF_SOFTHSM, CKR_OBJECT_HANDLE_INVALID, HSM_KEYHANDLE},
    {"S8", "sign.key-destroyed/C_SignInit-destroyed-key", CONF_SOFTHSM, CKR_OBJECT_HANDLE_INVALID, HSM_KEYHANDLE},
    {"S8", "verify.key-rules/bogus-key", CONF_SOFTHSM, CKR_OBJECT_HANDLE_INVALID, HSM_KEYHANDLE},
    {"S9", "sign.pss-params/bad:*", CONF_SOFTHSM, CKR_ARGUMENTS_BAD,
     "SoftHSMv2 answers CKR_ARGUMENTS_BAD for missing or inconsistent CK_RSA_PKCS_PSS_PARAMS; PKCS#11 names "
     "CKR_MECHANISM_PARAM_INVALID"},
    {"S10", "object.create-rules/class-wrong-length", CONF_SOFTHSM, CKR_TEMPLATE_INCOMPLETE,
     "SoftHSMv2 ignores a CKA_CLASS whose value is not a CK_ULONG and reports the class missing; PKCS#11 "
     "names CKR_ATTRIBUTE_VALUE_INVALID"},
    {NULL, NULL, NULL, 0, NULL},
};
