/* admin.h — internal interface of sigil-admin (not installed, not shared).
 *
 * sigil-admin is a thin main over the shared client (module/client). The files, by concern:
 *   main.c        global options, command lookup in the one command table, help
 *   commands.c    the command table: name, synopsis, help, the role it logs in as, handler
 *   args.c        option parsing and value parsers (pure: unit-tested)
 *   json.c        the --json writer (pure)
 *   uri.c         PKCS#11 URIs, RFC 7512 (pure)
 *   keys.c        public keys, signatures and DER with OpenSSL (pure)
 *   files.c       reading inputs and writing outputs atomically (pure)
 *   audit_verify.c  the offline audit-trail verifier (pure)
 *   backup_file.c   the backup file container (pure)
 *   conn.c        the appliance connection, logins, failure reports
 *   query.c       appliance queries shared by the commands (INFO, SLOT_LIST, ...), seal lookup
 *   secrets.c     PINs, the backup domain secret and confirmations: file, environment, terminal
 *   progress.c    the progress indicator on stderr
 *   appliance.c   init, status, device keys, config show | set, zeroize
 *   seal.c        seal create | list | show | suspend | resume | revoke | destroy | keygen
 *   csr.c         seal csr          cert.c    seal cert import | show
 *   policy.c      seal policy set | show
 *   creds.c       seal pin change | unblock, admin pin change, auditor pin set
 *   audit.c       audit export | verify | tail       attest.c   attest
 *   backup.c      backup domain create | join, backup create | restore
 */
#ifndef SIGIL_ADMIN_H
#define SIGIL_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "sigil_audit.h"
#include "sigil_client.h"
#include "sigil_proto.h"

#define ADMIN_WUR __attribute__((warn_unused_result))
#define ADMIN_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Exit codes (documented in specs/admin-cli.md). 0..4 are the original scheme; the others name
 * the bad inputs of issue 5 and the verdicts of `audit verify`. */
typedef enum {
    ADMIN_EXIT_OK = 0,
    ADMIN_EXIT_INTERNAL = 1,    /* sigil-admin itself failed (out of memory, no entropy) */
    ADMIN_EXIT_USAGE = 2,       /* bad command line, or a secret could not be obtained */
    ADMIN_EXIT_REFUSED = 3,     /* the appliance answered with a status other than OK */
    ADMIN_EXIT_UNREACHABLE = 4, /* no appliance address, cannot connect, or a device error */
    ADMIN_EXIT_NOT_FOUND = 5,   /* no such seal, key or certificate on the appliance */
    ADMIN_EXIT_MISMATCH = 6,    /* a certificate (or chain) that does not fit the seal's key */
    ADMIN_EXIT_BAD_FILE = 7,    /* an input file that is corrupt, truncated or of the wrong kind */
    ADMIN_EXIT_INTERRUPTED = 8, /* a multi-step operation stopped part-way; re-running completes it */
    ADMIN_EXIT_TAMPERED = 9,    /* audit verify: edited, deleted, reordered records, bad signature */
    ADMIN_EXIT_INCOMPLETE = 10, /* audit verify: truncated, or not ending with a signed checkpoint */
} admin_exit;

/* "ok", "internal", "usage", ...: the JSON error.kind of an exit code. */
const char *admin_exit_kind(admin_exit e);

/* ---- JSON output (json.c) ------------------------------------------------ */

#define ADMIN_JSON_MAX_DEPTH 8

/* A streaming writer of one JSON object. Keys are NULL for array elements. */
typedef struct {
    FILE *out;
    int depth;
    bool need_comma[ADMIN_JSON_MAX_DEPTH];
} admin_json;

void admin_json_begin(admin_json *j, FILE *out); /* opens the top-level object */
void admin_json_end(admin_json *j);              /* closes it, newline, flush */
void admin_json_obj_open(admin_json *j, const char *key);
void admin_json_obj_close(admin_json *j);
void admin_json_arr_open(admin_json *j, const char *key);
void admin_json_arr_close(admin_json *j);
void admin_json_str(admin_json *j, const char *key, const char *v);
/* A string of n bytes (may hold NUL bytes: escaped as \u0000). */
void admin_json_strn(admin_json *j, const char *key, const char *v, size_t n);
void admin_json_uint(admin_json *j, const char *key, uint64_t v);
void admin_json_int(admin_json *j, const char *key, int64_t v);
void admin_json_bool(admin_json *j, const char *key, bool v);
void admin_json_null(admin_json *j, const char *key);
/* Lower-case hex of p[0..n) as a string. */
void admin_json_hex(admin_json *j, const char *key, const uint8_t *p, size_t n);

/* Copies s into dst for a terminal: control characters become '?'. */
void admin_text_sanitise(char *dst, size_t cap, const char *s);

/* ---- value parsers and formatters (args.c, pure) ---------------------------- */

/* Decimal, no sign, no spaces, <= max. 0 ok, -1 not a number in range. */
int admin_parse_u32(const char *s, uint32_t max, uint32_t *out);
/* Hex digits (an optional "0x", ':' between bytes allowed) into out[0..cap). 0 ok, -1 bad. */
int admin_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n);
/* Lower-case hex of p[0..n) into out (2n+1 bytes). */
void admin_hex(const uint8_t *p, size_t n, char *out);
/* A point in time: "none" or "0" (open, 0), YYYY-MM-DD (00:00:00 UTC), YYYY-MM-DDTHH:MM:SSZ,
 * or @SECONDS since the epoch. 0 ok, -1 bad. */
int admin_parse_time(const char *s, uint64_t *out);
/* YYYY-MM-DDTHH:MM:SSZ, or "none" for 0. */
void admin_format_time(uint64_t t, char out[32]);
/* Allowed mechanisms: "all" (0) or a comma list of ecdsa, rsa-pkcs, rsa-pss. 0 ok, -1 bad. */
int admin_parse_mechs(const char *s, uint32_t *mask);
/* "all" for 0, else the comma list ("ecdsa,rsa-pss"); unknown bits as "bitN". */
void admin_format_mechs(uint32_t mask, char *out, size_t cap);
/* ec-p256 | ec-p384 | rsa2048 | rsa3072 | rsa4096 -> wire key type and parameter. */
int admin_parse_keytype(const char *s, uint8_t *key_type, uint32_t *param);
/* The name of a key: "ec-p256", "rsa2048", ... ("ec-?" for an unknown size). */
const char *admin_keytype_name(uint8_t key_type, uint32_t bits);

/* Options of one command: "--name VALUE", "--name=VALUE" or a flag "--name". Arguments that are
 * not options are refused without being echoed (they may be secrets typed in the wrong place). */
typedef enum {
    ADMIN_OPT_FLAG,  /* dest: bool */
    ADMIN_OPT_VALUE, /* dest: const char *; given twice is an error */
    ADMIN_OPT_LIST,  /* dest: admin_strlist; may be repeated */
} admin_opt_kind;

#define ADMIN_LIST_MAX 16

typedef struct {
    const char *v[ADMIN_LIST_MAX];
    size_t n;
} admin_strlist;

typedef struct {
    const char *name; /* without the leading "--" */
    admin_opt_kind kind;
    void *dest;
} admin_opt;

/* Parses argv[0..argc) against opts. 0 ok; -1 with a sentence in err (never quoting a
 * non-option argument). A value that is empty is an error. */
int admin_args_parse(int argc, char **argv, const admin_opt *opts, size_t n_opts, char *err, size_t errlen);

struct admin_command;
/* The command whose words start argv (longest match); *used gets how many words it took. */
const struct admin_command *admin_lookup(const struct admin_command *table, size_t n, int argc, char **argv,
                                         int *used);

/* ---- PKCS#11 URIs (uri.c, pure) ------------------------------------------------ */

typedef struct {
    const char *token;        /* token label, or NULL */
    const char *manufacturer; /* "Sigil", or NULL */
    const char *serial;       /* token serial, or NULL */
    const char *object;       /* object label, or NULL */
    const uint8_t *id;        /* CKA_ID, or NULL */
    size_t id_len;
    const char *type; /* "private", "public", "cert", or NULL */
} admin_p11uri;

/* Percent-encodes s[0..n) for a path attribute value of RFC 7512: every byte that is not
 * unreserved (ALPHA / DIGIT / "-" / "." / "_" / "~") becomes %XX. Returns the length the
 * result needs (without the NUL), writing at most cap-1 bytes and a NUL, as snprintf does. */
size_t admin_pct_encode(const uint8_t *s, size_t n, char *out, size_t cap);
/* "pkcs11:token=..;manufacturer=..;serial=..;object=..;id=%..;type=..", the attributes that are
 * set; the id always fully percent-encoded. Returns the length needed, as snprintf. */
size_t admin_p11uri_format(const admin_p11uri *u, char *out, size_t cap);
#define ADMIN_URI_MAX 1024

/* ---- keys and signatures (keys.c, OpenSSL, pure) ------------------------------ */

typedef struct evp_pkey_st EVP_PKEY;

/* The public key of an object record (EC: curve OID + point; RSA: modulus + exponent), or NULL. */
EVP_PKEY *admin_key_from_record(const sigil_obj_record *r);
/* An EC P-256 public key from its point 04||X||Y (the device's keys), or NULL. */
EVP_PKEY *admin_key_from_p256_point(const uint8_t *pt, size_t n);
/* The SubjectPublicKeyInfo PEM of k (malloc'd, NUL-terminated), or NULL. */
char *admin_key_pem(EVP_PKEY *k);
/* SHA-256 of the DER SubjectPublicKeyInfo of k. 0 ok. */
int admin_key_fingerprint(EVP_PKEY *k, uint8_t out[32]);
/* Reads a public key from a PEM file (SubjectPublicKeyInfo, or a certificate's). NULL with err. */
EVP_PKEY *admin_key_read_pem(const char *path, char *err, size_t errlen);
/* ECDSA r||s (n bytes, r and s of n/2 each) -> DER ECDSA-Sig-Value into out[0..cap). 0 ok. */
int admin_ecdsa_raw_to_der(const uint8_t *rs, size_t n, uint8_t *out, size_t cap, size_t *out_len);
/* Verifies an ECDSA r||s signature over SHA-256(msg) with k. */
bool admin_ecdsa_verify_sha256(EVP_PKEY *k, const uint8_t *msg, size_t n, const uint8_t *rs, size_t rs_len);
/* DigestInfo of a hash for RSA PKCS#1 v1.5 (md_nid NID_sha256/384/512). 0 ok. */
int admin_digest_info(int md_nid, const uint8_t *hash, size_t hash_len, uint8_t *out, size_t cap, size_t *n);
/* A distinguished name as OpenSSL prints it ("C = PL, O = Acme, CN = Acme seal"), UTF-8 kept. */
typedef struct X509_name_st X509_NAME;
void admin_name_text(const X509_NAME *name, char *out, size_t cap);
/* The certificate record CREATE_OBJECT stores for x: class certificate, public, id and label as
 * given, and in attrs (proto/sigil_attrs.h, the module's codec) CKA_VALUE, CKA_SUBJECT,
 * CKA_ISSUER, CKA_SERIAL_NUMBER and CKA_CERTIFICATE_CATEGORY, as C_CreateObject would store it.
 * 0 ok, -1 when it does not fit a record. */
typedef struct x509_st X509;
int admin_cert_record(X509 *x, const uint8_t *id, size_t id_len, const char *label, uint64_t category,
                      sigil_obj_record *r);
/* SHA-256 of p[0..n). 0 ok. */
int admin_sha256(const void *p, size_t n, uint8_t out[32]);

/* ---- files (files.c, pure) --------------------------------------------------------- */

/* Reads a whole file (at most max bytes). 0 ok; -1 with a sentence in err. *buf is malloc'd. */
int admin_file_read(const char *path, size_t max, uint8_t **buf, size_t *len, char *err, size_t errlen);
/* Writes a file atomically (a temporary file in the same directory, fsync, rename) with mode.
 * exclusive: fail when path exists. 0 ok; -1 with err. */
int admin_file_write(const char *path, const void *buf, size_t len, mode_t mode, bool exclusive, char *err,
                     size_t errlen);

/* ---- the offline audit verifier (audit_verify.c, pure) ------------------------------- */

typedef enum {
    /* the trail was altered (exit ADMIN_EXIT_TAMPERED) */
    ADMIN_AUDIT_EDITED = 1,    /* a record does not chain to the one before it */
    ADMIN_AUDIT_DELETED,       /* sequence numbers missing */
    ADMIN_AUDIT_REORDERED,     /* a record appears after one with a higher sequence number */
    ADMIN_AUDIT_DUPLICATED,    /* a sequence number appears twice */
    ADMIN_AUDIT_BAD_SIGNATURE, /* a checkpoint's signature does not verify with any given key */
    ADMIN_AUDIT_MALFORMED,     /* bytes inside the trail that are not a record */
    /* the trail is incomplete (exit ADMIN_EXIT_INCOMPLETE) */
    ADMIN_AUDIT_TRUNCATED,     /* the file ends inside a record */
    ADMIN_AUDIT_UNCOVERED,     /* records after the last signed checkpoint */
    ADMIN_AUDIT_NO_CHECKPOINT, /* no signed checkpoint at all (or an empty file) */
    ADMIN_AUDIT_SHORT,         /* the last checkpoint is older than --expect-seq */
} admin_audit_problem_kind;

const char *admin_audit_problem_name(admin_audit_problem_kind k); /* "edited", ... */
bool admin_audit_problem_tampers(admin_audit_problem_kind k);

typedef struct {
    admin_audit_problem_kind kind;
    uint64_t seq;    /* the record concerned (its own number, or the first missing one) */
    uint64_t count;  /* deleted: how many; uncovered: how many records */
    uint64_t offset; /* byte offset in the file */
    char message[200];
} admin_audit_problem;

#define ADMIN_AUDIT_PROBLEMS_MAX 64

typedef struct {
    uint64_t bytes;
    uint64_t records;
    uint64_t checkpoints;       /* records of event CHECKPOINT */
    uint64_t checkpoints_valid; /* ... whose signature verified */
    uint64_t first_time, last_time;
    bool have_checkpoint;       /* a checkpoint with a valid signature was seen */
    uint64_t last_checkpoint_seq, last_checkpoint_time;
    uint64_t covered;           /* records up to and including the last valid checkpoint */
    admin_audit_problem problems[ADMIN_AUDIT_PROBLEMS_MAX];
    size_t n_problems;          /* stored (at most ADMIN_AUDIT_PROBLEMS_MAX) */
    uint64_t total_problems;    /* found */
    bool tampered, incomplete;
} admin_audit_report;

typedef void (*admin_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* Verifies a whole exported trail buf[0..len) against the device audit keys (several when the
 * device was zeroised and got a new identity): the hash chain, the sequence, every checkpoint's
 * signature, and that the trail ends with a signed checkpoint covering everything (and, when
 * expect_seq is not UINT64_MAX, one at least that recent). Fills rep. 0, or -1 out of memory. */
int admin_audit_verify(const uint8_t *buf, size_t len, EVP_PKEY *const *keys, size_t n_keys, uint64_t expect_seq,
                       admin_audit_report *rep, admin_progress_fn progress, void *progress_arg);
/* One line describing a record: "SIGN slot 0 handle 7 by seal user: OK ...". */
void admin_audit_describe(const sigil_audit_rec *r, char *out, size_t cap);
const char *admin_audit_role_name(uint16_t role);

/* ---- the backup file (backup_file.c, pure) -------------------------------------------- */

/* A backup file holds one or more seals as the appliance exported them (BACKUP_EXPORT blobs,
 * encrypted under the backup domain key), with their label, serial and slot in clear and a
 * SHA-256 over the whole file that detects corruption before anything is sent:
 *   "SIGILBKP" | u32 version (1) | u32 count |
 *   count x (str(32) label | str(16) serial | u32 slot | bytes blob) | sha256[32]           */
#define ADMIN_BACKUP_MAGIC "SIGILBKP"
#define ADMIN_BACKUP_VERSION 1u
#define ADMIN_BACKUP_MAX_SEALS 1024u

typedef struct {
    char label[SIGIL_LABEL_MAX_LEN + 1];
    char serial[17];
    uint32_t slot;
    const uint8_t *blob; /* into the caller's buffer */
    size_t blob_len;
} admin_backup_entry;

/* Encodes a file; *out is malloc'd. 0 ok, -1 out of memory or a field too long. */
int admin_backup_file_encode(const admin_backup_entry *e, size_t n, uint8_t **out, size_t *len);
/* Decodes and checks a file; entries point into in. 0 ok; -1 with a sentence in err. */
int admin_backup_file_decode(const uint8_t *in, size_t len, admin_backup_entry *e, size_t cap, size_t *n,
                             char *err, size_t errlen);
/* The backup domain id inside a blob ("SGB1" | domain_id[8] | ...), or NULL. */
const uint8_t *admin_backup_blob_domain(const uint8_t *blob, size_t len);

/* ---- secrets (secrets.c) ------------------------------------------------- */

typedef enum {
    ADMIN_PIN_NONE = -1,
    ADMIN_PIN_ADMIN = 0, /* SIGIL_ADMIN_PIN: appliance administrator */
    ADMIN_PIN_SO,        /* SIGIL_SO_PIN: seal administrator (PKCS#11 SO) */
    ADMIN_PIN_USER,      /* SIGIL_USER_PIN: seal user (PKCS#11 user) */
    ADMIN_PIN_AUDITOR,   /* SIGIL_AUDITOR_PIN: auditor */
    ADMIN_PIN_NEW,       /* SIGIL_NEW_PIN: the new value of a PIN being changed or unblocked */
    ADMIN_PIN_KINDS
} admin_pin_kind;

typedef struct {
    char buf[SIGIL_PIN_MAX_LEN + 1];
    size_t len;
} admin_pin;

/* ---- the appliance connection and reporting (conn.c) -------------------- */

typedef struct admin_ctx {
    const char *appliance_opt; /* --appliance, or NULL */
    bool json;
    bool progress;                           /* --progress: show progress even without a terminal */
    const char *pin_file[ADMIN_PIN_KINDS];   /* --admin-pin-file, --so-pin-file, ... */
    const char *pin_file_login;              /* --pin-file: the PIN of the command's login role */
    const struct admin_command *cmd;
    char address[512];
    sigil_client *client;
    uint8_t *resp; /* SIGIL_FRAME_MAX_BODY bytes, allocated by admin_connect */
    size_t resp_len;
    bool reported;          /* a failure was reported (one JSON object per command) */
    admin_pin_kind last_pin; /* the PIN last sent, for the hint of a refusal */
    /* logins to undo on the way out (best effort: the context ends with the connection) */
    bool appliance_role;
    bool seal_login;
    uint32_t seal_login_slot;
} admin_ctx;

/* Finds the address (--appliance, else sigil_client_find_address) and opens a client. */
ADMIN_WUR admin_exit admin_connect(admin_ctx *ctx);
/* Logs out what the command logged in to, closes the client. */
void admin_disconnect(admin_ctx *ctx);

/* One round trip. Returns ADMIN_EXIT_OK with the body in ctx->resp[0..ctx->resp_len)
 * when the appliance answered OK; otherwise reports the failure (what: the step, for
 * the message) and returns ADMIN_EXIT_REFUSED or ADMIN_EXIT_UNREACHABLE. */
ADMIN_WUR admin_exit admin_call(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, const char *what);
/* Same, silent: *status is set when the appliance answered (ADMIN_EXIT_OK then, whatever it is). */
ADMIN_WUR admin_exit admin_call_quiet(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req,
                                      sigil_status *status);
/* Same as admin_call, reporting a refusal through a caller's hint (NULL: the usual one). */
ADMIN_WUR admin_exit admin_call_hint(admin_ctx *ctx, uint16_t opcode, const sigil_wr *req, const char *what,
                                     const char *hint);

/* Logins. Each gets its PIN (secrets.c), sends it and remembers to log out. */
ADMIN_WUR admin_exit admin_login_admin(admin_ctx *ctx);
ADMIN_WUR admin_exit admin_login_auditor(admin_ctx *ctx);
/* user_type SIGIL_USER_USER (SIGIL_USER_PIN) or SIGIL_USER_SO (SIGIL_SO_PIN). */
ADMIN_WUR admin_exit admin_login_seal(admin_ctx *ctx, uint32_t slot, uint32_t user_type);
/* A context-specific login (per-signature policy) with the seal user's PIN. */
ADMIN_WUR admin_exit admin_login_context(admin_ctx *ctx, uint32_t slot);

/* Failure reports: a sentence on stderr, and with --json one error object on stdout.
 * Only the first report of a command is shown. hint: what to do next, or NULL. */
void admin_report(admin_ctx *ctx, admin_exit e, const char *hint, const char *fmt, ...) ADMIN_PRINTF(4, 5);
/* The same, with further members written into the JSON object by extra (after "error"). */
typedef void (*admin_json_extra_fn)(admin_json *j, void *arg);
void admin_report_extra(admin_ctx *ctx, admin_exit e, const char *hint, admin_json_extra_fn extra, void *arg,
                        const char *fmt, ...) ADMIN_PRINTF(6, 7);
void admin_report_refused(admin_ctx *ctx, sigil_status st, const char *what);
/* A refusal reported under another exit code (e.g. a backup the appliance finds corrupt). */
void admin_report_status(admin_ctx *ctx, admin_exit e, sigil_status st, const char *hint, const char *what);
void admin_report_unreachable(admin_ctx *ctx, const char *fmt, ...) ADMIN_PRINTF(2, 3);
void admin_report_usage(admin_ctx *ctx, const char *fmt, ...) ADMIN_PRINTF(2, 3);
void admin_report_internal(admin_ctx *ctx, const char *fmt, ...) ADMIN_PRINTF(2, 3);
/* A response that does not parse: a device error. */
void admin_report_bad_response(admin_ctx *ctx, const char *what);

/* Parses a command's options plus the options every command takes (--json, --progress, the
 * PIN files, --help); reports a usage error. *help is set when --help was given (the help is
 * printed: the handler just returns ADMIN_EXIT_OK). */
ADMIN_WUR admin_exit admin_parse(admin_ctx *ctx, int argc, char **argv, const admin_opt *opts, size_t n_opts,
                                 bool *help);
/* The start of a --json success object: ok, command, appliance. */
void admin_json_head(admin_json *j, const admin_ctx *ctx);

/* ---- secrets (secrets.c, continued) ---------------------------------------- */

/* Gets a PIN: from its file option (--KIND-pin-file, or --pin-file for the command's login
 * role), else its environment variable, else a prompt on /dev/tty with echo off. is_new: a PIN
 * being chosen; asked twice on a terminal, and its length checked against
 * SIGIL_PIN_MIN_LEN..SIGIL_PIN_MAX_LEN here. On failure the buffer is wiped, the reason is
 * reported, and ADMIN_EXIT_USAGE is returned. */
ADMIN_WUR admin_exit admin_pin_get(admin_ctx *ctx, admin_pin_kind kind, bool is_new, admin_pin *pin);
void admin_pin_wipe(admin_pin *pin);
const char *admin_pin_env(admin_pin_kind kind); /* "SIGIL_ADMIN_PIN", ... */
const char *admin_pin_option(admin_pin_kind kind); /* "--admin-pin-file", ... */
/* The backup domain secret (32 bytes): --secret-file FILE, else SIGIL_BACKUP_SECRET, else asked
 * on the terminal; 64 hex digits. */
ADMIN_WUR admin_exit admin_secret_get(admin_ctx *ctx, const char *file, uint8_t out[32]);
/* A confirmation of something irreversible: given must equal expected (--confirm VALUE), else
 * the value is asked on the terminal. what: "the device serial". */
ADMIN_WUR admin_exit admin_confirm(admin_ctx *ctx, const char *given, const char *expected, const char *what,
                                   const char *option);

/* ---- progress (progress.c) -------------------------------------------------- */

/* Progress on stderr, only when stderr is a terminal or with --progress. With total 0 a
 * spinner with the elapsed time runs on its own thread (for one long request); otherwise
 * admin_progress_update() reports done/total. */
typedef struct admin_progress admin_progress;
admin_progress *admin_progress_start(const admin_ctx *ctx, const char *what, uint64_t total);
void admin_progress_update(admin_progress *p, uint64_t done);
/* Ends the indicator (a final line when it was shown) and frees p; NULL is fine. */
void admin_progress_done(admin_progress *p, bool ok);
/* An admin_progress_fn forwarding to admin_progress_update. */
void admin_progress_cb(void *arg, uint64_t done, uint64_t total);

/* ---- appliance queries (query.c) ------------------------------------------------ */

typedef struct {
    char firmware_version[65];
    char crypto_backend[65];
    bool initialised;
    bool self_test_ok;
    uint32_t slot_count;
    uint32_t slots_used;
    uint8_t appliance_role;
    char health[SIGIL_INFO_HEALTH_MAX + 1];
    char serial[17];
    uint64_t audit_records;
    uint32_t refused_blobs;
    uint8_t backup_domain[8];
    size_t backup_domain_len; /* 0 without a domain */
    char backup_domain_hex[17];
} admin_info;

typedef struct {
    uint32_t slot;
    uint32_t flags;
    char label[SIGIL_LABEL_MAX_LEN + 1];
} admin_slot;

typedef struct {
    uint32_t flags;
    char label[SIGIL_LABEL_MAX_LEN + 1];
    char serial[17];
    uint32_t object_count;
    uint32_t login_state;
    uint32_t user_retries_left;
    uint32_t so_retries_left;
} admin_token;

typedef struct {
    uint8_t mode;
    uint8_t state;
    uint32_t max_sigs;
    uint32_t max_secs;
    uint32_t mechs;
    uint64_t not_before;
    uint64_t not_after;
    uint64_t signatures;
} admin_policy;

/* How a command names a seal: --seal LABEL or --slot N (exactly one). */
typedef struct {
    const char *label;
    const char *slot;
} admin_seal_sel;

#define ADMIN_SEAL_OPTS(sel)                                                                  \
    {.name = "seal", .kind = ADMIN_OPT_VALUE, .dest = &(sel).label},                                \
        {.name = "slot", .kind = ADMIN_OPT_VALUE, .dest = &(sel).slot}

/* A seal found on the appliance. */
typedef struct {
    uint32_t slot;
    char label[SIGIL_LABEL_MAX_LEN + 1];
    admin_token token;
} admin_seal;

ADMIN_WUR admin_exit admin_query_info(admin_ctx *ctx, admin_info *info);
/* SLOT_LIST: *slots malloc'd. */
ADMIN_WUR admin_exit admin_query_slots(admin_ctx *ctx, admin_slot **slots, uint32_t *n);
ADMIN_WUR admin_exit admin_query_token(admin_ctx *ctx, uint32_t slot, admin_token *t);
ADMIN_WUR admin_exit admin_query_policy(admin_ctx *ctx, uint32_t slot, admin_policy *p);
/* OBJECT_LIST: *objs malloc'd (free with free()). */
ADMIN_WUR admin_exit admin_query_objects(admin_ctx *ctx, uint32_t slot, sigil_obj_record **objs, size_t *n);
ADMIN_WUR admin_exit admin_query_device_keys(admin_ctx *ctx, char serial[17], uint8_t audit_pt[65],
                                             size_t *audit_len, uint8_t attest_pt[65], size_t *attest_len);
/* Checks the selector (usage error when both or neither is given) without the appliance. */
ADMIN_WUR admin_exit admin_seal_sel_check(admin_ctx *ctx, const admin_seal_sel *sel);
/* Finds the seal: not found (exit 5) when no initialised slot has that label or number;
 * usage error when several seals share the label. */
ADMIN_WUR admin_exit admin_seal_find(admin_ctx *ctx, const admin_seal_sel *sel, admin_seal *seal);

/* A seal's key pair, as OBJECT_LIST shows it (the private half only to the logged-in user). */
typedef struct {
    const sigil_obj_record *pub;  /* may be NULL when only the private key is visible */
    const sigil_obj_record *priv; /* NULL unless the seal user is logged in */
} admin_keypair;

/* Pairs the key objects of objs by CKA_ID (and key type and public value): *pairs malloc'd. */
ADMIN_WUR int admin_keypairs(const sigil_obj_record *objs, size_t n, admin_keypair **pairs, size_t *n_pairs);
/* A seal and its key pairs as its user sees them: connects, finds the seal of sel (already
 * checked with admin_seal_sel_check), logs in as its user when login (private keys are listed
 * to the seal user only), lists its objects and pairs them. *objs and *pairs are malloc'd
 * (NULL on failure before they were made); the caller frees both, whatever the outcome. */
ADMIN_WUR admin_exit admin_seal_keypairs(admin_ctx *ctx, const admin_seal_sel *sel, bool login, admin_seal *seal,
                                         sigil_obj_record **objs, size_t *n, admin_keypair **pairs, size_t *np);
/* The key pair a seal signs with: the seal of sel (checked here), logged in as its user, the
 * pair chosen by key_opt (admin_keypair_pick), which must have its private key on the appliance
 * (else not found, exit 5). *pick indexes *pairs; the caller frees *objs and *pairs. */
ADMIN_WUR admin_exit admin_seal_private_key(admin_ctx *ctx, const admin_seal_sel *sel, const char *key_opt,
                                            admin_seal *seal, sigil_obj_record **objs, size_t *n,
                                            admin_keypair **pairs, size_t *np, size_t *pick);
/* The record describing a pair's key (its public half, else its private half). */
const sigil_obj_record *admin_keypair_rec(const admin_keypair *k);
/* Selects one key pair: by --key (hex CKA_ID or a label), else the only one. Reports not found
 * (exit 5) or an ambiguous choice (usage). */
ADMIN_WUR admin_exit admin_keypair_pick(admin_ctx *ctx, const admin_seal *seal, const admin_keypair *pairs,
                                        size_t n, const char *key_opt, size_t *index);
/* The PKCS#11 URI of an object of a seal (type "private", "public" or "cert"). */
void admin_seal_uri(const admin_seal *seal, const sigil_obj_record *r, const char *type, char *out, size_t cap);
/* The URI of the seal's token alone. */
void admin_token_uri(const admin_seal *seal, char *out, size_t cap);

/* Text output helpers. */
void admin_print_kv(const char *label, const char *value); /* "label            value", sanitised */
const char *admin_state_name(uint8_t state);              /* "active", "suspended", "revoked" */
const char *admin_mode_name(uint8_t mode);                /* "session", "per-signature" */

/* ---- commands (commands.c and the files of each group) ------------------------- */

typedef admin_exit (*admin_handler)(admin_ctx *ctx, int argc, char **argv);

typedef struct admin_command {
    const char *name;     /* one or more words: "seal create" */
    const char *args;     /* synopsis of its arguments, "" when none */
    const char *summary;  /* one line for the command list */
    const char *help;     /* the rest of `help NAME` */
    const char *requests; /* the wire requests it makes, for the help */
    admin_pin_kind login; /* the role it logs in as: the PIN --pin-file gives */
    admin_handler handler;
} admin_command;

extern const admin_command admin_commands[];
extern const size_t admin_command_count;

/* Prints `help NAME` of c to out. */
void admin_print_command_help(FILE *out, const admin_command *c);

/* `help [COMMAND]` lives in main.c beside the usage text. */
admin_exit admin_cmd_help(admin_ctx *ctx, int argc, char **argv);
/* appliance.c */
admin_exit admin_cmd_init(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_status(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_device_keys(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_zeroize(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_config_show(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_config_set(admin_ctx *ctx, int argc, char **argv);
/* seal.c */
admin_exit admin_cmd_seal_create(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_list(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_show(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_suspend(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_resume(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_revoke(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_destroy(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_keygen(admin_ctx *ctx, int argc, char **argv);
/* csr.c, cert.c, policy.c */
admin_exit admin_cmd_seal_csr(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_cert_import(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_cert_show(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_policy_set(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_policy_show(admin_ctx *ctx, int argc, char **argv);
/* creds.c */
admin_exit admin_cmd_seal_pin_change(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_seal_pin_unblock(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_admin_pin_change(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_auditor_pin_set(admin_ctx *ctx, int argc, char **argv);
/* audit.c, attest.c */
admin_exit admin_cmd_audit_export(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_audit_verify(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_audit_tail(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_attest(admin_ctx *ctx, int argc, char **argv);
/* backup.c */
admin_exit admin_cmd_backup_domain_create(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_backup_domain_join(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_backup_create(admin_ctx *ctx, int argc, char **argv);
admin_exit admin_cmd_backup_restore(admin_ctx *ctx, int argc, char **argv);

#endif
