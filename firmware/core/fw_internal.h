/* fw_internal.h — the firmware core's shared state, seen only by core files. */
#ifndef SIGIL_FW_INTERNAL_H
#define SIGIL_FW_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "crypto.h"
#include "platform.h"
#include "sigil_fw.h"
#include "sigil_audit.h"
#include "sigil_proto.h"

#define FW_WUR __attribute__((warn_unused_result))

#define FW_VERSION_STRING "sigil-fw " SIGIL_VERSION
#define FW_MAX_OBJECTS_PER_SLOT 256u
#define FW_MAX_RECORD_BYTES_PER_SLOT (768u * 1024u) /* OBJECT_LIST always fits one frame */
#define FW_SALT_LEN 16u
#define FW_HASH_LEN 32u
#define FW_SERIAL_LEN 16u

/* ---- credentials (cred.c) ---------------------------------------------- */

/* A PIN as stored: salted PBKDF2 output and its retry counter. */
typedef struct {
    bool set;
    uint8_t salt[FW_SALT_LEN];
    uint8_t hash[FW_HASH_LEN];
    uint32_t iterations;
    uint32_t tries_left;
    uint32_t max_tries;
    bool failed_since_success;
    uint32_t checking;      /* checks in flight (their tries spent, not yet judged); not stored */
} fw_cred;

FW_WUR sigil_status fw_cred_make(fw_cred *c, const uint8_t *pin, size_t pin_len,
                                 uint32_t iterations, uint32_t max_tries);
/* Computes whether pin matches (constant time). Does not touch the counter. */
FW_WUR sigil_status fw_cred_matches(const fw_cred *c, const uint8_t *pin, size_t pin_len,
                                    bool *match);
void fw_cred_write(sigil_wr *w, const fw_cred *c);
void fw_cred_read(sigil_rd *r, fw_cred *c);
FW_WUR sigil_status fw_pin_len_ok(size_t len);
/* Persists the record that holds a credential (the caller holds its lock). */
typedef sigil_status (*fw_cred_save_fn)(sigil_fw *fw, void *save_ctx);
/* Puts fresh in place of *c and persists it; on failure *c is as it was. fresh is
 * wiped. The caller holds the lock that guards c. */
FW_WUR sigil_status fw_cred_replace(sigil_fw *fw, fw_cred *c, fw_cred *fresh, fw_cred_save_fn save,
                                    void *save_ctx);
/* Checks pin against c: the retry counter is decremented and persisted BEFORE the
 * comparison and restored on success, so a crash can never grant extra tries.
 * PIN_LOCKED when no try is left, PIN_INCORRECT on a mismatch. The caller holds
 * lock (which guards c); it is released while the KDF runs, so that a login does
 * not stall the signers of the seal. A check that finds no try left while others are
 * in flight waits on cond (used with lock only) for their outcome before it answers
 * PIN_LOCKED: tries they spent are not failures until judged. */
FW_WUR sigil_status fw_cred_check(sigil_fw *fw, fw_cred *c, const uint8_t *pin, size_t pin_len,
                                  fw_cred_save_fn save, void *save_ctx, pthread_mutex_t *lock,
                                  pthread_cond_t *cond);

/* ---- sealed storage (sealed.c) ----------------------------------------- */

/* Encrypts plain under the storage key, binding the blob to its name, and writes it
 * atomically. */
FW_WUR sigil_status fw_sealed_write(sigil_fw *fw, const char *name, const uint8_t *plain,
                                    size_t len);
/* Reads and decrypts a named blob into plain (cap bytes). SIGIL_ST_OBJECT_INVALID when
 * missing, SIGIL_ST_INTEGRITY_FAILURE when edited, swapped or truncated. */
FW_WUR sigil_status fw_sealed_read(sigil_fw *fw, const char *name, uint8_t *plain, size_t cap,
                                   size_t *len);

/* ---- objects (keystore.c) ---------------------------------------------- */

typedef struct fw_object {
    sigil_obj_record rec;      /* public description, as listed */
    sigil_key_kind kind;       /* key kind (both halves) */
    sigil_crypto_key *key;     /* loaded private key; NULL for public keys */
    atomic_uint refs;          /* users in flight (signers) + 1 for the list */
    struct fw_object *next;
} fw_object;

/* ---- seal policy (policy.c) --------------------------------------------- */

typedef struct {
    uint8_t mode;           /* SIGIL_POLICY_SESSION / SIGIL_POLICY_PER_SIGNATURE */
    uint8_t state;          /* SIGIL_SEAL_ACTIVE / SUSPENDED / REVOKED */
    uint32_t max_sigs;      /* signatures per login; 0 = no bound */
    uint32_t max_secs;      /* seconds a login lasts; 0 = no bound */
    uint32_t mechs;         /* SIGIL_MECH_BIT mask of allowed mechanisms; 0 = all */
    uint64_t not_before;    /* seconds since the epoch; 0 = open */
    uint64_t not_after;
} fw_policy;

#define FW_SIG_RESERVE_BLOCK 4096u /* signatures reserved in storage per write */

void fw_policy_default(fw_policy *p);
void fw_policy_write(sigil_wr *w, const fw_policy *p);
void fw_policy_read(sigil_rd *r, fw_policy *p);
/* The seal-level part of a signature's authorisation: state, validity window,
 * mechanism. Token lock held. */
FW_WUR sigil_status fw_policy_check_locked(sigil_fw *fw, uint32_t slot, uint8_t mech);
/* Counts one signature, reserving the next block of the counter in storage
 * before it is spent. Token lock held. */
FW_WUR sigil_status fw_policy_count_locked(sigil_fw *fw, uint32_t slot, uint32_t count);

/* ---- seal slots (token.c) ---------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;                /* guards everything below */
    pthread_cond_t cred_done;  /* with lock: a PIN check of this seal finished */
    bool initialised;
    bool damaged;              /* its record failed the integrity check at start: served by
                                  nobody, never taken for a new seal (its keys stay on disk) */
    char label[SIGIL_LABEL_MAX_LEN + 1];
    char serial[FW_SERIAL_LEN + 1];
    fw_cred so;
    fw_cred user;
    fw_policy policy;
    uint64_t sig_count;        /* signatures made with this seal */
    uint64_t sig_reserved;     /* persisted bound: sig_count never passes it unwritten */
    fw_object *objects;        /* list, newest first */
    uint32_t object_count;
    size_t record_bytes;       /* sum of the objects' record sizes */
} fw_token;

/* ---- application contexts (appctx.c) ----------------------------------- */

/* An application's login to one seal slot. */
typedef struct {
    uint8_t state;             /* SIGIL_LOGIN_NONE / USER / SO */
    uint64_t since_ms;         /* monotonic time of the login */
    uint32_t sigs;             /* signatures made under it */
    uint32_t grants;           /* context-specific logins not yet used by a signature */
} fw_login;

typedef struct fw_appctx {
    uint8_t token[SIGIL_APP_TOKEN_LEN];
    uint32_t id;               /* the context's number in the audit trail */
    unsigned conns;            /* connections joined */
    uint8_t role;              /* appliance role logged in: SIGIL_AUDIT_ROLE_NONE / ADMIN / AUDITOR */
    fw_login *login;           /* per slot */
    struct fw_appctx *next;
} fw_appctx;

struct sigil_fw_conn {
    sigil_fw *fw;
    fw_appctx *ctx;            /* NULL until HELLO */
};

/* ---- audit trail (audit.c) ------------------------------------------------ */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint8_t head[SIGIL_AUDIT_HASH_LEN]; /* hash of the last queued record */
    uint64_t next_seq;                  /* sequence number of the next record */
    uint64_t durable_seq;               /* records below this are on stable storage */
    uint64_t log_size;
    uint8_t *pending, *spare;           /* queued records; the buffer being written */
    size_t pending_len, pending_cap, spare_cap;
    bool flushing;
    bool failed;                        /* sticky: fail closed */
    uint32_t torn_tails;                /* torn tails set aside at this start */
    uint64_t checkpoint_seq;            /* a queued checkpoint's seq + 1, until it is durable */
} fw_audit;

FW_WUR sigil_status fw_audit_open(sigil_fw *fw, char *why, size_t why_len);
void fw_audit_close(sigil_fw *fw);
/* Appends a record and returns once it is durable (or AUDIT_FAILURE). */
FW_WUR sigil_status fw_audit_write(sigil_fw *fw, sigil_audit_rec *r);
/* Appends n records and returns once the last is durable (one group commit). */
FW_WUR sigil_status fw_audit_write_many(sigil_fw *fw, sigil_audit_rec *recs, size_t n);
/* Chains and queues one record without waiting; *upto is the position to pass to
 * fw_audit_sync for it to be durable. */
FW_WUR sigil_status fw_audit_queue(sigil_fw *fw, sigil_audit_rec *r, uint64_t *upto);
/* Waits until the records before position upto are durable (leading the write when
 * nobody is). */
FW_WUR sigil_status fw_audit_sync(sigil_fw *fw, uint64_t upto);
FW_WUR sigil_status fw_audit_device_event(sigil_fw *fw, uint16_t event, uint32_t status,
                                          const void *data, size_t data_len);
bool fw_audit_ok(sigil_fw *fw);
/* Records on stable storage. */
uint64_t fw_audit_records(sigil_fw *fw);

/* devkeys.c */
FW_WUR sigil_status fw_devkeys_load(sigil_fw *fw);
void fw_devkeys_free(sigil_fw *fw);
FW_WUR sigil_status fw_devkey_sign(sigil_crypto_key *key, const uint8_t *msg, size_t len, uint8_t out[64]);

#define FW_AUDIT_CHECKPOINT_EVERY 1024u
/* Writes a signed checkpoint now and waits for it to be durable; *seq is its number. */
FW_WUR sigil_status fw_audit_checkpoint(sigil_fw *fw, uint64_t *seq);
/* Copies durable trail bytes from off; *total is the durable size. */
FW_WUR sigil_status fw_audit_read(sigil_fw *fw, uint64_t off, uint8_t *buf, size_t cap, size_t *len,
                                  uint64_t *total);

/* ---- the device ---------------------------------------------------------- */

struct sigil_fw {
    const sigil_platform *plat;
    sigil_fw_config cfg;
    uint8_t storage_key[32];
    bool self_test_ok;

    pthread_mutex_t lock;                /* the application contexts */
    pthread_mutex_t appl_lock;           /* the appliance record: the fields below */
    pthread_cond_t appl_cred_done;       /* with appl_lock: an administrator or auditor PIN check finished */
    bool initialised;
    bool token_init_open;      /* C_InitToken may make a seal of a free slot */
    fw_cred admin;
    fw_cred auditor;
    uint32_t next_handle;
    uint64_t audit_vouched;    /* the trail held at least this many records at its last durable
                                  checkpoint: a shorter trail at start is a cut one */
    fw_appctx *contexts;

    fw_token *tokens;          /* cfg.slot_count of them */
    uint32_t refused_blobs;    /* stored objects refused at start-up (integrity) */
    fw_audit audit;
    bool audit_opened;
    sigil_crypto_key *audit_key;   /* signs audit checkpoints */
    sigil_crypto_key *attest_key;  /* signs key attestations */
    sigil_crypto_pub audit_pub, attest_pub;
    char serial[17];               /* device serial, from the attestation key */
    atomic_bool zeroized;          /* after ZEROIZE or a tamper signal: serves nothing */
    atomic_uint next_ctx_id;   /* numbers application contexts in the audit trail */
};

/* appliance.c: the appliance record (initialised, admin credential, handle counter). */
FW_WUR sigil_status fw_appliance_load(sigil_fw *fw);
/* Raises the trail length the appliance record vouches for (a durable checkpoint). */
FW_WUR sigil_status fw_appliance_vouch_audit(sigil_fw *fw, uint64_t records);
FW_WUR sigil_status fw_appliance_save_locked(sigil_fw *fw);
/* Reserves n consecutive handles durably; returns the first. */
FW_WUR sigil_status fw_handles_reserve(sigil_fw *fw, uint32_t n, uint32_t *first);

/* token.c */
FW_WUR sigil_status fw_tokens_load(sigil_fw *fw);
void fw_tokens_free(sigil_fw *fw);
FW_WUR sigil_status fw_token_save_locked(sigil_fw *fw, uint32_t slot);
uint32_t fw_token_flags_locked(const fw_token *t);

/* keystore.c */
FW_WUR sigil_status fw_keystore_load_slot(sigil_fw *fw, uint32_t slot);
void fw_keystore_free_list(fw_object *list);
/* Destroys every object of a slot (storage and memory). Token lock held. */
FW_WUR sigil_status fw_keystore_wipe_slot_locked(sigil_fw *fw, uint32_t slot);
/* Destroys every private key of a slot (revocation). Token lock held. */
FW_WUR sigil_status fw_keystore_destroy_private_locked(sigil_fw *fw, uint32_t slot);
/* Sets CKA_ALWAYS_AUTHENTICATE on the slot's private keys from its policy. */
void fw_policy_apply_flags_locked(fw_token *t);
/* Reads the key material (empty for objects without) back from an object's blob. */
FW_WUR sigil_status fw_keystore_read_der(sigil_fw *fw, uint32_t slot, uint32_t handle, uint8_t *der,
                                         size_t cap, size_t *der_len);
/* An intent record around writing a key pair (handles first, first+1): a start that
 * finds one removes both halves. */
FW_WUR sigil_status fw_keystore_intent_begin(sigil_fw *fw, uint32_t slot, uint32_t first);
FW_WUR sigil_status fw_keystore_intent_end(sigil_fw *fw, uint32_t slot, uint32_t first);
/* Removes object blobs left in a free slot (an interrupted restore). */
FW_WUR sigil_status fw_keystore_remove_orphans(sigil_fw *fw, uint32_t slot);
/* Rewrites an object's blob with a changed record, keeping its key material. */
FW_WUR sigil_status fw_keystore_resave_locked(sigil_fw *fw, uint32_t slot, const fw_object *o,
                                              const sigil_obj_record *nr);
/* List membership, with the slot's object and byte budgets (token lock held). */
bool fw_keystore_has_room_locked(const fw_token *t, uint32_t objects, size_t bytes);
void fw_keystore_link_locked(fw_token *t, fw_object *o);
void fw_keystore_unlink_locked(fw_token *t, fw_object **pp);
/* Takes a reference to the private key handle of slot; NULL if none. */
fw_object *fw_keystore_get_private(sigil_fw *fw, uint32_t slot, uint32_t handle);
void fw_object_put(fw_object *o);
/* The private key whose public values equal those of public key pub_handle (referenced). */
fw_object *fw_keystore_get_private_of_public(sigil_fw *fw, uint32_t slot, uint32_t pub_handle);
/* Writes an object's sealed blob (der: the private key, empty for public keys). */
FW_WUR sigil_status fw_keystore_save(sigil_fw *fw, uint32_t slot, const fw_object *o,
                                     const uint8_t *der, size_t der_len);
void fw_object_name(char *out, size_t cap, uint32_t slot, uint32_t handle);

/* appctx.c */
FW_WUR sigil_status fw_appctx_join(sigil_fw *fw, sigil_fw_conn *conn,
                                   const uint8_t token[SIGIL_APP_TOKEN_LEN]);
void fw_appctx_leave(sigil_fw *fw, sigil_fw_conn *conn);
/* Login state of conn's context for slot (under fw->lock). */
uint8_t fw_login_state(sigil_fw *fw, const sigil_fw_conn *conn, uint32_t slot);
void fw_login_set(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot, uint8_t state);
/* A context-specific login: one more signature authorised (per-signature policy). */
void fw_login_grant(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot);
/* The login part of a signature's authorisation: budgets of the session policy,
 * or a context-specific login of the per-signature policy (consumed). A spent
 * budget ends the login. */
FW_WUR sigil_status fw_login_authorise_sign(sigil_fw *fw, sigil_fw_conn *conn, uint32_t slot,
                                            const fw_policy *p, uint32_t count);
/* The appliance role (administrator or auditor) logged in on conn's context. */
uint8_t fw_appliance_role(sigil_fw *fw, const sigil_fw_conn *conn);
void fw_appliance_role_set(sigil_fw *fw, sigil_fw_conn *conn, uint8_t role);
uint32_t fw_ctx_id(sigil_fw *fw, const sigil_fw_conn *conn);
/* True when any context is logged in to slot. */
bool fw_slot_in_use(sigil_fw *fw, uint32_t slot);

/* ---- commands (dispatch.c and cmd_*.c) ----------------------------------- */

/* What the dispatcher writes to the audit trail for one request; handlers fill in
 * what they know (the slot, the key, the digest signed). */
typedef struct {
    uint32_t slot;          /* SIGIL_AUDIT_NO_SLOT when none */
    uint32_t handle;        /* object concerned, 0 when none */
    uint32_t mech;          /* mechanism or key kind, 0 when none */
    uint8_t data[SIGIL_AUDIT_DATA_MAX];
    size_t data_len;        /* e.g. SHA-256 of the signed input */
} fw_audit_detail;

/* One request being handled. */
typedef struct {
    sigil_fw_conn *conn;
    sigil_rd *in;
    sigil_wr *out;
    fw_audit_detail audit;
} fw_req;

typedef sigil_status (*fw_cmd_fn)(sigil_fw *fw, fw_req *rq);

typedef enum {
    FW_NEED_NONE,      /* before the handshake */
    FW_NEED_CONTEXT,   /* handshake done */
    FW_NEED_FRESH,     /* handshake done, appliance not initialised */
    FW_NEED_READY,     /* handshake done, appliance initialised */
    FW_NEED_ADMIN,     /* appliance administrator */
    FW_NEED_AUDITOR,   /* auditor */
    FW_NEED_SEAL_SO,   /* SO of the slot named by the first field */
    FW_NEED_SEAL_USER, /* user of the slot named by the first field */
} fw_need;

/* A command that changes stored state first writes a durable INTENT record (write-ahead),
 * so that a crash between its effect and its outcome record still leaves a trace. */
typedef enum {
    FW_INTENT_NONE,    /* no stored effect, or recorded before its effect anyway */
    FW_INTENT,         /* intent recorded without a slot */
    FW_INTENT_SLOT,    /* intent recorded with the slot named by the first field */
} fw_intent;

typedef struct {
    uint16_t opcode;
    fw_cmd_fn fn;
    fw_need need;
    bool crypto;       /* refused while the device is in the error state */
    bool audit;        /* every outcome recorded (refusals of any command always are) */
    fw_intent intent;  /* stored effects: an INTENT record first */
} fw_command;

const fw_command *fw_command_find(uint16_t opcode);

/* Handlers. */
sigil_status fw_cmd_hello(sigil_fw *, fw_req *);
sigil_status fw_cmd_info(sigil_fw *, fw_req *);
sigil_status fw_cmd_appliance_init(sigil_fw *, fw_req *);
sigil_status fw_cmd_admin_login(sigil_fw *, fw_req *);
sigil_status fw_cmd_admin_logout(sigil_fw *, fw_req *);
sigil_status fw_cmd_auditor_login(sigil_fw *, fw_req *);
sigil_status fw_cmd_cred_set(sigil_fw *, fw_req *);
sigil_status fw_cmd_appliance_config(sigil_fw *, fw_req *);
sigil_status fw_cmd_slot_list(sigil_fw *, fw_req *);
sigil_status fw_cmd_token_info(sigil_fw *, fw_req *);
sigil_status fw_cmd_init_token(sigil_fw *, fw_req *);
sigil_status fw_cmd_seal_create(sigil_fw *, fw_req *);
sigil_status fw_cmd_login(sigil_fw *, fw_req *);
sigil_status fw_cmd_logout(sigil_fw *, fw_req *);
sigil_status fw_cmd_init_pin(sigil_fw *, fw_req *);
sigil_status fw_cmd_set_pin(sigil_fw *, fw_req *);
sigil_status fw_cmd_object_list(sigil_fw *, fw_req *);
sigil_status fw_cmd_generate_keypair(sigil_fw *, fw_req *);
sigil_status fw_cmd_destroy_object(sigil_fw *, fw_req *);
sigil_status fw_cmd_sign(sigil_fw *, fw_req *);
sigil_status fw_cmd_sign_batch(sigil_fw *, fw_req *);
sigil_status fw_cmd_create_object(sigil_fw *, fw_req *);
sigil_status fw_cmd_policy_set(sigil_fw *, fw_req *);
sigil_status fw_cmd_device_keys(sigil_fw *, fw_req *);
sigil_status fw_cmd_audit_read(sigil_fw *, fw_req *);
sigil_status fw_cmd_audit_checkpoint(sigil_fw *, fw_req *);
sigil_status fw_cmd_attest(sigil_fw *, fw_req *);
sigil_status fw_cmd_zeroize(sigil_fw *, fw_req *);
sigil_status fw_cmd_backup_domain_create(sigil_fw *, fw_req *);
sigil_status fw_cmd_backup_domain_join(sigil_fw *, fw_req *);
sigil_status fw_cmd_backup_export(sigil_fw *, fw_req *);
sigil_status fw_cmd_backup_restore(sigil_fw *, fw_req *);

/* backup.c */
FW_WUR sigil_status fw_backup_domain_set(sigil_fw *fw, const uint8_t secret[32], uint8_t id[8]);
FW_WUR sigil_status fw_backup_domain_id(sigil_fw *fw, uint8_t id[8]);
/* Writes bytes(backup) of a seal into out. */
FW_WUR sigil_status fw_backup_export(sigil_fw *fw, uint32_t slot, sigil_wr *out);
FW_WUR sigil_status fw_backup_restore(sigil_fw *fw, const uint8_t *blob, size_t len, uint32_t *slot);
/* Destroys all keys, records and the root secret after an audit record of event. */
FW_WUR sigil_status fw_zeroize(sigil_fw *fw, uint16_t event);
sigil_status fw_cmd_policy_get(sigil_fw *, fw_req *);
sigil_status fw_cmd_seal_state(sigil_fw *, fw_req *);
sigil_status fw_cmd_seal_destroy(sigil_fw *, fw_req *);
/* True when a seal with this serial was destroyed on this appliance. */
bool fw_serial_retired(sigil_fw *fw, const char *serial);
sigil_status fw_cmd_set_object(sigil_fw *, fw_req *);
sigil_status fw_cmd_random(sigil_fw *, fw_req *);

/* A slot id from a request, checked against the slot count. */
FW_WUR sigil_status fw_slot_check(const sigil_fw *fw, uint32_t slot);
/* Decodes a request that is a slot id and nothing else (and notes it for the audit). */
FW_WUR sigil_status fw_req_slot_only(const sigil_fw *fw, fw_req *rq, uint32_t *slot);

#endif
