/* commands.c — the one table of sigil-admin commands.
 *
 * Each entry: the command's words, its options, one line for the list, its help, the wire
 * requests it makes, the role it logs in as (the PIN --pin-file gives), and its handler (in the
 * file of its group: appliance.c, seal.c, csr.c, cert.c, policy.c, creds.c, audit.c, attest.c,
 * backup.c). The grammar is the same everywhere: WORDS, then --options; a seal is named by
 * --seal LABEL or --slot N; files by --in / --out / --cert; secrets never on the command line.
 */
#include "admin.h"

#define SEAL "(--seal LABEL | --slot N)"

const admin_command admin_commands[] = {
    /* ---- the appliance ---- */
    {
        .name = "init",
        .args = "",
        .summary = "initialise a fresh appliance and set its administrator PIN",
        .help = "Sets the appliance administrator PIN (SIGIL_ADMIN_PIN, --admin-pin-file, else asked twice\n"
                "on the terminal). Refused when the appliance is initialised already (checked before any\n"
                "PIN is asked).",
        .requests = "INFO, APPLIANCE_INIT",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_init,
    },
    {
        .name = "status",
        .args = "",
        .summary = "firmware, self-test state, health, slots used and free, counters, audit trail size",
        .help = "Shows the firmware version, the crypto backend, whether the appliance is initialised, its\n"
                "self-test state and health (why it is in its error state, if it is), the device serial, the\n"
                "audit trail's size, the backup domain, seal slots used and free, and the seals' states and\n"
                "signature counters.",
        .requests = "INFO, SLOT_LIST, POLICY_GET",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_status,
    },
    {
        .name = "device keys",
        .args = "[--audit-key-out PEM] [--attest-key-out PEM]",
        .summary = "the device serial and its audit and attestation public keys",
        .help = "Prints the device serial and the SHA-256 fingerprints of the device's audit key (it signs\n"
                "audit checkpoints) and attestation key (it signs key attestations); writes them as PEM\n"
                "public keys for 'audit verify --key' and 'openssl dgst -verify'.",
        .requests = "DEVICE_KEYS",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_device_keys,
    },
    {
        .name = "config show",
        .args = "",
        .summary = "the appliance's settings (administrator)",
        .help = "Shows whether a standard C_InitToken (pkcs11-tool --init-token) may make a seal of a free\n"
                "slot (token init open), or seals are made only by 'seal create' (closed).",
        .requests = "ADMIN_LOGIN, APPLIANCE_CONFIG",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_config_show,
    },
    {
        .name = "config set",
        .args = "--token-init open|closed",
        .summary = "change the appliance's settings (administrator)",
        .help = "--token-init closed: seals are made only by 'sigil-admin seal create' (administrator); a\n"
                "C_InitToken on a free slot is refused. open (a fresh appliance's setting): standard tools may\n"
                "make a seal of a free slot. Seals already made are not affected.",
        .requests = "ADMIN_LOGIN, APPLIANCE_CONFIG",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_config_set,
    },
    {
        .name = "zeroize",
        .args = "[--confirm SERIAL]",
        .summary = "destroy every key, seal and the root secret (administrator, confirmed)",
        .help = "Destroys every seal key, seal record, the device keys, the appliance record and the root\n"
                "secret, after an audit record. The audit trail stays. It cannot be undone: the device\n"
                "serial ('sigil-admin device keys') must be typed on the terminal or given with --confirm.\n"
                "After a restart the device is factory-fresh with a new identity.",
        .requests = "DEVICE_KEYS, ADMIN_LOGIN, ZEROIZE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_zeroize,
    },
    /* ---- seals ---- */
    {
        .name = "seal create",
        .args = "--label LABEL [--no-user-pin]",
        .summary = "create a seal (a PKCS#11 token) in the lowest free slot",
        .help = "Logs in as appliance administrator (SIGIL_ADMIN_PIN), then creates a seal with the\n"
                "seal administrator (SO) PIN SIGIL_SO_PIN and the seal user PIN SIGIL_USER_PIN; PINs\n"
                "not in the environment or a --*-pin-file are asked on the terminal, new ones twice.\n"
                "Prints the slot id, the token serial and its PKCS#11 URI. --no-user-pin leaves the user\n"
                "PIN to be set later by the SO ('seal pin unblock'). LABEL: 1 to 32 printable bytes.",
        .requests = "ADMIN_LOGIN, SEAL_CREATE, TOKEN_INFO",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_seal_create,
    },
    {
        .name = "seal list",
        .args = "",
        .summary = "list the seal slots: label, user PIN, locked, state, serial",
        .help = "Lists every seal slot of the appliance, free ones included.",
        .requests = "SLOT_LIST, POLICY_GET, TOKEN_INFO",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_seal_list,
    },
    {
        .name = "seal show",
        .args = SEAL,
        .summary = "one seal: PINs, policy, state, keys with their PKCS#11 URIs, certificates",
        .help = "Shows a seal's token (serial, PIN retry counters), its policy and state, its key pairs with\n"
                "the PKCS#11 URI (RFC 7512) of each private key, ready for OpenSSL, GnuTLS or p11-kit, and\n"
                "its certificates. Needs no PIN.",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET, OBJECT_LIST",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_seal_show,
    },
    {
        .name = "seal suspend",
        .args = SEAL,
        .summary = "suspend a seal: it refuses to sign until resumed",
        .help = "Sets the seal's state to suspended (administrator). Signing answers SEAL_SUSPENDED.",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET, ADMIN_LOGIN, SEAL_STATE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_seal_suspend,
    },
    {
        .name = "seal resume",
        .args = SEAL,
        .summary = "resume a suspended seal",
        .help = "Sets a suspended seal active again (administrator).",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET, ADMIN_LOGIN, SEAL_STATE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_seal_resume,
    },
    {
        .name = "seal revoke",
        .args = SEAL " [--confirm LABEL]",
        .summary = "revoke a seal: its private keys are destroyed, irreversibly",
        .help = "Revokes the seal (administrator): its private keys are destroyed and it never signs, gets a\n"
                "key, or is backed up again, and no backup of it is restored here. Confirmed by typing the\n"
                "seal's label on the terminal or with --confirm LABEL.",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET, ADMIN_LOGIN, SEAL_STATE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_seal_revoke,
    },
    {
        .name = "seal destroy",
        .args = SEAL " [--confirm LABEL]",
        .summary = "retire a seal for good (revoke; the slot stays occupied)",
        .help = "Revokes the seal as 'seal revoke' does. The firmware has no request that frees a slot (see\n"
                "specs/admin-cli.md): the revoked seal keeps its slot, without keys. Confirmed by typing the\n"
                "seal's label or with --confirm LABEL.",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET, ADMIN_LOGIN, SEAL_STATE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_seal_destroy,
    },
    {
        .name = "seal keygen",
        .args = SEAL " --type TYPE [--label NAME] [--id HEX] [--pubkey-out PEM]",
        .summary = "generate the seal's key pair inside the appliance",
        .help = "Logs in as the seal user (SIGIL_USER_PIN) and generates a key pair inside the appliance:\n"
                "TYPE is ec-p256, ec-p384, rsa2048, rsa3072 or rsa4096. The private key is sensitive, never\n"
                "extractable. Its label is the seal's label unless --label is given; its CKA_ID 8 random\n"
                "bytes unless --id. Prints the key's PKCS#11 URI; --pubkey-out writes the public key.",
        .requests = "SLOT_LIST, TOKEN_INFO, LOGIN, OBJECT_LIST, GENERATE_KEYPAIR",
        .login = ADMIN_PIN_USER,
        .handler = admin_cmd_seal_keygen,
    },
    {
        .name = "seal csr",
        .args = SEAL " [--key ID|LABEL]\n"
                "       [--country C] [--state ST] [--locality L] [--org O] [--ou OU] [--org-id ID] [--cn CN]\n"
                "       [--subject /TYPE=VALUE/...] [--hash sha256|sha384|sha512] [--out FILE]",
        .summary = "a PKCS#10 certification request signed inside the appliance",
        .help = "Builds the request for the seal's public key with the subject given (for eIDAS seals:\n"
                "--country, --org, --org-id for organizationIdentifier 2.5.4.97 such as VATPL-1234567890,\n"
                "--cn), has the appliance sign it with the seal's private key (seal user, SIGIL_USER_PIN;\n"
                "a per-signature policy gets its context-specific login), checks the signature, and writes\n"
                "PEM to --out (else stdout). ECDSA keys sign with SHA-256 (P-256) or SHA-384 (P-384), RSA\n"
                "keys with PKCS#1 v1.5 and SHA-256, unless --hash. --key chooses among several key pairs.",
        .requests = "SLOT_LIST, TOKEN_INFO, LOGIN, OBJECT_LIST, SIGN",
        .login = ADMIN_PIN_USER,
        .handler = admin_cmd_seal_csr,
    },
    {
        .name = "seal cert import",
        .args = SEAL " --cert FILE [--chain FILE] [--key ID|LABEL] [--replace]",
        .summary = "store the seal's certificate (and its CA chain) with its key's id and label",
        .help = "Stores the certificate (PEM or DER; further certificates in the file, or in --chain, are\n"
                "its CA chain) on the seal's token, with the CKA_ID and label of the key pair whose public\n"
                "key it certifies, so that Java, NSS and OpenSSL pair them; CA certificates as further\n"
                "certificate objects. A certificate that certifies no key of the seal, or a chain that does\n"
                "not certify it, is refused (exit 6) and nothing is stored. A key that has a certificate\n"
                "already needs --replace. Seal user login (SIGIL_USER_PIN).",
        .requests = "SLOT_LIST, TOKEN_INFO, LOGIN, OBJECT_LIST, CREATE_OBJECT, DESTROY_OBJECT",
        .login = ADMIN_PIN_USER,
        .handler = admin_cmd_cert_import,
    },
    {
        .name = "seal cert show",
        .args = SEAL " [--pem]",
        .summary = "the seal's certificates: subject, issuer, validity, days to expiry",
        .help = "Lists the certificates on the seal's token with subject, issuer, serial, validity, days to\n"
                "expiry and whether a key of the seal matches. --pem adds each certificate in PEM.",
        .requests = "SLOT_LIST, TOKEN_INFO, OBJECT_LIST",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_cert_show,
    },
    {
        .name = "seal policy show",
        .args = SEAL,
        .summary = "the seal's authorisation policy, state and signature counter",
        .help = "Shows the policy the firmware enforces at every signature: mode (session or per-signature),\n"
                "signatures and seconds per login, allowed mechanisms, validity window; the state and the\n"
                "usage counter.",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_policy_show,
    },
    {
        .name = "seal policy set",
        .args = SEAL "\n"
                "       [--mode session|per-signature] [--max-signatures N] [--max-seconds N]\n"
                "       [--mechanisms all|ecdsa,rsa-pkcs,rsa-pss] [--not-before TIME] [--not-after TIME]",
        .summary = "change the seal's authorisation policy (administrator)",
        .help = "Changes the fields given and keeps the others. N = 0 is no bound. TIME is YYYY-MM-DD,\n"
                "YYYY-MM-DDTHH:MM:SSZ, @SECONDS or none. In per-signature mode every signature needs a\n"
                "context-specific login (CKA_ALWAYS_AUTHENTICATE). Administrator login (SIGIL_ADMIN_PIN).",
        .requests = "SLOT_LIST, TOKEN_INFO, POLICY_GET, ADMIN_LOGIN, POLICY_SET",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_policy_set,
    },
    {
        .name = "seal pin change",
        .args = SEAL " [--role user|so]",
        .summary = "change the seal user's (or the seal administrator's) PIN",
        .help = "Changes the user PIN (current: SIGIL_USER_PIN) or with --role so the SO PIN (current:\n"
                "SIGIL_SO_PIN) to SIGIL_NEW_PIN (or --new-pin-file, or asked twice).",
        .requests = "SLOT_LIST, TOKEN_INFO, [LOGIN], SET_PIN",
        .login = ADMIN_PIN_USER,
        .handler = admin_cmd_seal_pin_change,
    },
    {
        .name = "seal pin unblock",
        .args = SEAL,
        .summary = "set a new user PIN (and clear its lockout) as the seal administrator",
        .help = "Logs in as the seal's SO (SIGIL_SO_PIN) and sets the user PIN to SIGIL_NEW_PIN (or\n"
                "--new-pin-file, or asked twice), clearing its lockout. Also sets a first user PIN on a seal\n"
                "created with --no-user-pin.",
        .requests = "SLOT_LIST, TOKEN_INFO, LOGIN, INIT_PIN",
        .login = ADMIN_PIN_SO,
        .handler = admin_cmd_seal_pin_unblock,
    },
    /* ---- credentials of the appliance roles ---- */
    {
        .name = "admin pin change",
        .args = "",
        .summary = "change the appliance administrator's PIN",
        .help = "Logs in with the current PIN (SIGIL_ADMIN_PIN) and sets SIGIL_NEW_PIN (or --new-pin-file,\n"
                "or asked twice).",
        .requests = "ADMIN_LOGIN, CRED_SET",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_admin_pin_change,
    },
    {
        .name = "auditor pin set",
        .args = "",
        .summary = "set the auditor's PIN (administrator), with a fresh retry counter",
        .help = "Logs in as administrator (SIGIL_ADMIN_PIN) and sets the auditor PIN to SIGIL_AUDITOR_PIN\n"
                "(or --auditor-pin-file, or asked twice). Also unblocks a locked auditor.",
        .requests = "ADMIN_LOGIN, CRED_SET",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_auditor_pin_set,
    },
    /* ---- audit ---- */
    {
        .name = "audit export",
        .args = "--out FILE [--no-checkpoint]",
        .summary = "export the audit trail, ending with a signed checkpoint (auditor)",
        .help = "Logs in as auditor (SIGIL_AUDITOR_PIN), has the device sign a checkpoint over the chain so\n"
                "far, and writes the trail up to that checkpoint to FILE. Prints the checkpoint's number for\n"
                "'audit verify --expect-seq'.",
        .requests = "AUDITOR_LOGIN, AUDIT_CHECKPOINT, AUDIT_READ",
        .login = ADMIN_PIN_AUDITOR,
        .handler = admin_cmd_audit_export,
    },
    {
        .name = "audit verify",
        .args = "--in FILE --key PEM [--key PEM...] [--expect-seq N]",
        .summary = "verify an exported audit trail offline",
        .help = "Needs no appliance: recomputes the hash chain, checks the sequence and every checkpoint's\n"
                "signature with the device's audit public key ('device keys --audit-key-out'; give every key\n"
                "the device had if it was zeroised). Reports edited, deleted, reordered or duplicated records\n"
                "and bad signatures (exit 9), and a trail that is truncated or does not end with a signed\n"
                "checkpoint covering every record (exit 10). --expect-seq N: the last checkpoint must be at\n"
                "least record N (the number 'audit export' printed), so a cut at an older checkpoint shows.",
        .requests = "none (offline)",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_audit_verify,
    },
    {
        .name = "audit tail",
        .args = "[--count N]",
        .summary = "the last audit records in words (auditor)",
        .help = "Logs in as auditor (SIGIL_AUDITOR_PIN) and prints the last N records (default 20): number,\n"
                "time, event, role, slot, handle, mechanism, result and, for signatures, the SHA-256 of what\n"
                "was signed.",
        .requests = "AUDITOR_LOGIN, AUDIT_READ",
        .login = ADMIN_PIN_AUDITOR,
        .handler = admin_cmd_audit_tail,
    },
    /* ---- attestation ---- */
    {
        .name = "attest",
        .args = SEAL " [--key ID|LABEL] --out-dir DIR",
        .summary = "the device's signed statement that a seal key was generated inside it",
        .help = "Writes DIR/statement.txt (key, 'generated on device', 'not extractable', the seal's\n"
                "policy), DIR/statement.sig (ECDSA P-256, DER) and DIR/attest.pem (the device attestation\n"
                "key), checks them, and prints the 'openssl dgst -sha256 -verify' command that checks them\n"
                "again. Logs in as the seal user (SIGIL_USER_PIN) to find the private key.",
        .requests = "SLOT_LIST, TOKEN_INFO, LOGIN, OBJECT_LIST, DEVICE_KEYS, ATTEST",
        .login = ADMIN_PIN_USER,
        .handler = admin_cmd_attest,
    },
    /* ---- backup ---- */
    {
        .name = "backup domain create",
        .args = "[--secret-out FILE] [--force]",
        .summary = "make a backup domain; its secret is shown once",
        .help = "Makes a new backup domain (administrator). Its 32-byte secret is shown this once (or\n"
                "written to --secret-out, a new file, mode 0600): enter it into the other appliances of the\n"
                "domain with 'backup domain join'. Replacing an existing domain needs --force.",
        .requests = "INFO, ADMIN_LOGIN, BACKUP_DOMAIN_CREATE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_backup_domain_create,
    },
    {
        .name = "backup domain join",
        .args = "[--secret-file FILE] [--force]",
        .summary = "join a backup domain with its secret",
        .help = "Joins the domain whose secret is read from --secret-file, else SIGIL_BACKUP_SECRET, else the\n"
                "terminal (64 hex digits, no echo). Leaving another domain needs --force.",
        .requests = "INFO, ADMIN_LOGIN, BACKUP_DOMAIN_JOIN",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_backup_domain_join,
    },
    {
        .name = "backup create",
        .args = "--out FILE [--seal LABEL | --slot N]",
        .summary = "back up every seal (or one) to a file, wrapped under the domain key",
        .help = "Writes the seals (every one but the revoked, or the one named) as the appliance exports\n"
                "them: encrypted under the backup domain key, with their PINs, policy, counters, keys and\n"
                "certificates. The file (mode 0600) reveals no key. Administrator login.",
        .requests = "INFO, SLOT_LIST, ADMIN_LOGIN, POLICY_GET, TOKEN_INFO, BACKUP_EXPORT",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_backup_create,
    },
    {
        .name = "backup restore",
        .args = "--in FILE [--seal LABEL]",
        .summary = "restore the seals of a backup file on an appliance of the same domain",
        .help = "Checks the file (exit 7 when corrupt), the domain, the seals already on the appliance and\n"
                "the free slots before anything changes; then restores each seal into the lowest free slot.\n"
                "A seal already here is skipped: a restore never resets its counters or revives it. An\n"
                "interrupted restore (exit 8) is completed by running it again. Administrator login.",
        .requests = "INFO, SLOT_LIST, TOKEN_INFO, ADMIN_LOGIN, BACKUP_RESTORE",
        .login = ADMIN_PIN_ADMIN,
        .handler = admin_cmd_backup_restore,
    },
    {
        .name = "help",
        .args = "[COMMAND]",
        .summary = "show the commands, or the help of one",
        .help = "",
        .requests = "",
        .login = ADMIN_PIN_NONE,
        .handler = admin_cmd_help,
    },
};

const size_t admin_command_count = sizeof admin_commands / sizeof admin_commands[0];
