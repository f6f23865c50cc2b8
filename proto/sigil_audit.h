/* sigil_audit.h — the audit trail's record format, shared by the firmware
 * (which writes it) and the tools (which export and verify it offline).
 * Normative description: specs/audit.md.
 *
 * On storage a record is   u32 body_len | body | hash[32]
 * body = u64 seq | u64 time | u16 event | u16 role | u32 slot | u32 status |
 *        u32 ctx | u32 handle | u32 mech | bytes(96) data
 * hash = SHA-256(previous record's hash | u32 body_len | body); the first
 * record's previous hash is 32 zero bytes.
 *
 * A CHECKPOINT record's data is an ECDSA P-256 signature r||s by the device's
 * audit key over SHA-256(SIGIL_AUDIT_CHECKPOINT_LABEL | u64 seq | hash of the
 * record before it), seq being the checkpoint's own sequence number.
 */
#ifndef SIGIL_AUDIT_H
#define SIGIL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGIL_AUDIT_DATA_MAX 96u
#define SIGIL_AUDIT_HASH_LEN 32u
#define SIGIL_AUDIT_NO_SLOT 0xFFFFFFFFu
#define SIGIL_AUDIT_CHECKPOINT_LABEL "SIGIL-AUDIT-CHECKPOINT-V1"
#define SIGIL_AUDIT_BODY_MAX (8u + 8u + 2u + 2u + 4u * 5u + 4u + SIGIL_AUDIT_DATA_MAX)
#define SIGIL_AUDIT_RECORD_MAX (4u + SIGIL_AUDIT_BODY_MAX + SIGIL_AUDIT_HASH_LEN)

/* Events: a command's record uses its opcode (sigil_proto.h) as the event number;
 * device events live above 0x8000. Extend, never renumber. */
#define SIGIL_AUDIT_DEVICE_EVENT_LIST(X) \
    X(DEVICE_START, 0x8001)              \
    X(TORN_TAIL, 0x8002)                 \
    X(REFUSED_BLOB, 0x8003)              \
    X(SELF_TEST_FAILED, 0x8004)          \
    X(CHECKPOINT, 0x8005)                \
    X(TAMPER, 0x8006)                    \
    X(INTENT, 0x8007)

typedef enum {
#define SIGIL_AUDIT_EV_ENUM(name, num) SIGIL_AUDIT_EV_##name = num,
    SIGIL_AUDIT_DEVICE_EVENT_LIST(SIGIL_AUDIT_EV_ENUM)
#undef SIGIL_AUDIT_EV_ENUM
} sigil_audit_event;

/* The caller's role when the event happened. */
typedef enum {
    SIGIL_AUDIT_ROLE_NONE = 0,
    SIGIL_AUDIT_ROLE_ADMIN = 1,
    SIGIL_AUDIT_ROLE_AUDITOR = 2,
    SIGIL_AUDIT_ROLE_SEAL_SO = 3,
    SIGIL_AUDIT_ROLE_SEAL_USER = 4,
    SIGIL_AUDIT_ROLE_DEVICE = 5,
} sigil_audit_role;

typedef struct {
    uint64_t seq;
    uint64_t time;     /* seconds since the epoch */
    uint16_t event;
    uint16_t role;
    uint32_t slot;
    uint32_t status;   /* sigil_status of the command */
    uint32_t ctx;      /* application context number (per device start) */
    uint32_t handle;
    uint32_t mech;
    uint8_t data[SIGIL_AUDIT_DATA_MAX];
    size_t data_len;
} sigil_audit_rec;

/* Writes u32 body_len | body into out; returns the bytes written, 0 if cap is short. */
size_t sigil_audit_encode(const sigil_audit_rec *r, uint8_t *out, size_t cap);
/* Parses u32 body_len | body from in[0..len). Returns the bytes consumed (without the
 * hash), 0 if the input is truncated or malformed. */
size_t sigil_audit_decode(const uint8_t *in, size_t len, sigil_audit_rec *r);
/* "SIGN", "DEVICE_START", ... or "UNKNOWN". */
const char *sigil_audit_event_name(uint16_t event);

#endif
