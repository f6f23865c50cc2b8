/* sigil_proto.h — the Sigil wire format, shared by firmware, module and tools.
 *
 * Pure encode/decode into caller buffers; no allocation, no I/O.
 * The normative description is specs/protocol.md.
 *
 * Frame = 16-byte header + body, all integers big-endian:
 *   u32 body_len | u8 version | u8 kind | u16 opcode | u32 request_id | u32 status
 * Body = the command's fields in order: u8/u16/u32/u64, and byte strings
 * (u32 length + bytes). A reader never reads past the body, and a body with
 * bytes left over after the last field is malformed.
 */
#ifndef SIGIL_PROTO_H
#define SIGIL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigil_status.h"

#define SIGIL_PROTO_WUR __attribute__((warn_unused_result))

#define SIGIL_PROTO_VERSION 1u
#define SIGIL_FRAME_HDR_LEN 16u
#define SIGIL_FRAME_MAX_BODY (1024u * 1024u) /* 1 MiB */

#define SIGIL_APP_TOKEN_LEN 16u
#define SIGIL_PIN_MIN_LEN 4u
#define SIGIL_PIN_MAX_LEN 64u
#define SIGIL_LABEL_MAX_LEN 32u /* PKCS#11 token label width */
#define SIGIL_ID_MAX_LEN 64u
#define SIGIL_OBJ_LABEL_MAX_LEN 128u
#define SIGIL_SIGN_MAX_INPUT 1024u /* a digest, a DigestInfo, or a raw RSA block */
#define SIGIL_SIGN_BATCH_MAX 256u  /* inputs in one SIGN_BATCH */
#define SIGIL_RANDOM_MAX 65536u
#define SIGIL_INFO_HEALTH_MAX 256u
#define SIGIL_OBJ_ATTRS_MAX 8192u /* further PKCS#11 attributes of an object, TLV-encoded */

typedef enum {
    SIGIL_KIND_REQUEST = 1,
    SIGIL_KIND_RESPONSE = 2,
} sigil_frame_kind;

/* X(name, number). Numbers are on the wire: extend, never renumber. */
#define SIGIL_OPCODE_LIST(X)     \
    X(HELLO, 0x0001)             \
    X(INFO, 0x0002)              \
    X(APPLIANCE_INIT, 0x0003)    \
    X(ADMIN_LOGIN, 0x0004)       \
    X(ADMIN_LOGOUT, 0x0005)      \
    X(CRED_SET, 0x0006)          \
    X(AUDITOR_LOGIN, 0x0007)     \
    X(APPLIANCE_CONFIG, 0x0008)  \
    X(SLOT_LIST, 0x0010)         \
    X(TOKEN_INFO, 0x0011)        \
    X(INIT_TOKEN, 0x0012)        \
    X(SEAL_CREATE, 0x0013)       \
    X(LOGIN, 0x0014)             \
    X(LOGOUT, 0x0015)            \
    X(INIT_PIN, 0x0016)          \
    X(SET_PIN, 0x0017)           \
    X(OBJECT_LIST, 0x0020)       \
    X(GENERATE_KEYPAIR, 0x0021)  \
    X(DESTROY_OBJECT, 0x0022)    \
    X(CREATE_OBJECT, 0x0023)     \
    X(SET_OBJECT, 0x0024)        \
    X(POLICY_SET, 0x0025)        \
    X(POLICY_GET, 0x0026)        \
    X(SEAL_STATE, 0x0027)        \
    X(SEAL_DESTROY, 0x0028)      \
    X(SIGN, 0x0030)              \
    X(SIGN_BATCH, 0x0031)        \
    X(RANDOM, 0x0040)            \
    X(DEVICE_KEYS, 0x0050)       \
    X(AUDIT_READ, 0x0060)        \
    X(AUDIT_CHECKPOINT, 0x0061)  \
    X(ATTEST, 0x0062)            \
    X(ZEROIZE, 0x0070)           \
    X(BACKUP_DOMAIN_CREATE, 0x0080) \
    X(BACKUP_DOMAIN_JOIN, 0x0081) \
    X(BACKUP_EXPORT, 0x0082)     \
    X(BACKUP_RESTORE, 0x0083)

typedef enum {
#define SIGIL_OPCODE_ENUM(name, num) SIGIL_OP_##name = num,
    SIGIL_OPCODE_LIST(SIGIL_OPCODE_ENUM)
#undef SIGIL_OPCODE_ENUM
} sigil_opcode;

const char *sigil_opcode_name(uint16_t op); /* "UNKNOWN" when not in the list */

/* User types of LOGIN (numbers match PKCS#11's CKU_*). */
typedef enum {
    SIGIL_USER_SO = 0,
    SIGIL_USER_USER = 1,
    SIGIL_USER_CONTEXT = 2,
} sigil_user_type;

/* Object classes and key types on the wire. */
typedef enum {
    SIGIL_CLASS_PUBLIC_KEY = 1,
    SIGIL_CLASS_PRIVATE_KEY = 2,
    SIGIL_CLASS_CERTIFICATE = 3,
    SIGIL_CLASS_DATA = 4,
} sigil_obj_class;

typedef enum {
    SIGIL_KEYTYPE_EC = 1,
    SIGIL_KEYTYPE_RSA = 2,
} sigil_key_type;

/* Signing mechanisms on the wire (hashing is done by the caller). */
typedef enum {
    SIGIL_MECH_ECDSA = 1,     /* input: digest */
    SIGIL_MECH_RSA_PKCS = 2,  /* input: block to pad (DigestInfo or raw), <= k-11 */
    SIGIL_MECH_RSA_PSS = 3,   /* input: digest; params: hash (= MGF1 hash), salt length */
} sigil_mech;

/* Token flags in SLOT_LIST and TOKEN_INFO. */
#define SIGIL_TOKEN_INITIALIZED 0x01u
#define SIGIL_TOKEN_USER_PIN_INITIALIZED 0x02u
#define SIGIL_TOKEN_USER_PIN_LOCKED 0x04u
#define SIGIL_TOKEN_SO_PIN_LOCKED 0x08u
#define SIGIL_TOKEN_USER_PIN_COUNT_LOW 0x10u
#define SIGIL_TOKEN_SO_PIN_COUNT_LOW 0x20u

/* Seal authorisation policy (POLICY_SET / POLICY_GET). */
#define SIGIL_POLICY_SESSION 0u       /* login activates the seal, within budgets */
#define SIGIL_POLICY_PER_SIGNATURE 1u /* each signature needs a context-specific login */
#define SIGIL_SEAL_ACTIVE 1u
#define SIGIL_SEAL_SUSPENDED 2u
#define SIGIL_SEAL_REVOKED 3u
#define SIGIL_MECH_BIT(m) (1u << (m)) /* allowed-mechanism mask; 0 allows all */

/* SET_OBJECT: which fields to change. */
#define SIGIL_SET_LABEL 0x01u
#define SIGIL_SET_ID 0x02u
#define SIGIL_SET_ATTRS 0x04u

/* Object flags in an object record. */
#define SIGIL_OBJ_SIGN 0x0001u
#define SIGIL_OBJ_VERIFY 0x0002u
#define SIGIL_OBJ_PRIVATE 0x0004u       /* CKA_PRIVATE */
#define SIGIL_OBJ_SENSITIVE 0x0008u     /* CKA_SENSITIVE (always, for private keys) */
#define SIGIL_OBJ_LOCAL 0x0010u         /* generated on the device */
#define SIGIL_OBJ_ALWAYS_AUTH 0x0020u   /* CKA_ALWAYS_AUTHENTICATE */

/* Login state flags reported in TOKEN_INFO for the caller's application. */
#define SIGIL_LOGIN_NONE 0u
#define SIGIL_LOGIN_USER 1u
#define SIGIL_LOGIN_SO 2u

/* ---- frame header ------------------------------------------------------ */

typedef struct {
    uint32_t body_len;
    uint8_t version;
    uint8_t kind;
    uint16_t opcode;
    uint32_t request_id;
    uint32_t status;
} sigil_frame_hdr;

void sigil_frame_hdr_encode(const sigil_frame_hdr *h, uint8_t out[SIGIL_FRAME_HDR_LEN]);
/* Checks version, kind and body length against max_body.
 * SIGIL_ST_BAD_VERSION, SIGIL_ST_BAD_FRAME or SIGIL_ST_FRAME_TOO_LARGE; the header
 * is filled in even on failure so that the caller can answer by request id. */
SIGIL_PROTO_WUR sigil_status sigil_frame_hdr_decode(const uint8_t in[SIGIL_FRAME_HDR_LEN],
                                                    uint32_t max_body, sigil_frame_hdr *h);

/* ---- body writer ------------------------------------------------------- */

/* A writer appends into buf[0..cap). On overflow it sets failed and writes
 * nothing more; check sigil_wr_ok() once at the end. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool failed;
} sigil_wr;

void sigil_wr_init(sigil_wr *w, uint8_t *buf, size_t cap);
void sigil_wr_u8(sigil_wr *w, uint8_t v);
void sigil_wr_u16(sigil_wr *w, uint16_t v);
void sigil_wr_u32(sigil_wr *w, uint32_t v);
void sigil_wr_u64(sigil_wr *w, uint64_t v);
void sigil_wr_bytes(sigil_wr *w, const uint8_t *p, size_t n); /* u32 length + bytes */
void sigil_wr_str(sigil_wr *w, const char *s);                 /* as bytes, no NUL */
/* Reserves n raw bytes (no length prefix) and returns where to write them, or NULL. */
uint8_t *sigil_wr_reserve(sigil_wr *w, size_t n);
static inline bool sigil_wr_ok(const sigil_wr *w) { return !w->failed; }

/* ---- body reader ------------------------------------------------------- */

/* A reader consumes buf[0..len). Any read past the end sets failed and yields
 * zeros/empty; check sigil_rd_done() once at the end: it also fails when bytes
 * are left over. Byte strings are returned as pointers into buf (no copy). */
typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t off;
    bool failed;
} sigil_rd;

void sigil_rd_init(sigil_rd *r, const uint8_t *buf, size_t len);
uint8_t sigil_rd_u8(sigil_rd *r);
uint16_t sigil_rd_u16(sigil_rd *r);
uint32_t sigil_rd_u32(sigil_rd *r);
uint64_t sigil_rd_u64(sigil_rd *r);
/* A byte string of at most max bytes; longer marks the reader failed. */
const uint8_t *sigil_rd_bytes(sigil_rd *r, size_t max, size_t *n);
/* A byte string of at most max bytes copied into dst (cap >= max+1) and NUL-terminated.
 * Embedded NUL bytes mark the reader failed. */
void sigil_rd_str(sigil_rd *r, char *dst, size_t max);
static inline bool sigil_rd_ok(const sigil_rd *r) { return !r->failed; }
/* True when every read succeeded and no byte is left over. */
static inline bool sigil_rd_done(const sigil_rd *r) { return !r->failed && r->off == r->len; }

/* ---- shared records ---------------------------------------------------- */

/* An object as OBJECT_LIST and GENERATE_KEYPAIR describe it.
 *   EC:  pub_a = CKA_EC_PARAMS (DER), pub_b = EC point (raw 04||X||Y)
 *   RSA: pub_a = modulus, pub_b = public exponent                         */
typedef struct {
    uint32_t handle;
    uint8_t obj_class; /* sigil_obj_class */
    uint8_t key_type;  /* sigil_key_type */
    uint32_t bits;     /* modulus bits or curve order bits */
    uint32_t flags;    /* SIGIL_OBJ_* */
    uint8_t id[SIGIL_ID_MAX_LEN];
    size_t id_len;
    char label[SIGIL_OBJ_LABEL_MAX_LEN + 1];
    uint8_t pub_a[512];
    size_t pub_a_len;
    uint8_t pub_b[160];
    size_t pub_b_len;
    /* Further attributes, opaque to the appliance: a sequence of u32 type + bytes value
     * (the module's encoding of CKA_VALUE, CKA_SUBJECT, ... of certificates and data objects). */
    uint8_t attrs[SIGIL_OBJ_ATTRS_MAX];
    size_t attrs_len;
} sigil_obj_record;

void sigil_obj_record_write(sigil_wr *w, const sigil_obj_record *o);
/* Bytes sigil_obj_record_write() writes for o. */
size_t sigil_obj_record_len(const sigil_obj_record *o);
void sigil_obj_record_read(sigil_rd *r, sigil_obj_record *o);

#endif
