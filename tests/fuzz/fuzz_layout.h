/* fuzz_layout.h — the body layout of every command, as data, for the fuzzers.
 *
 * specs/protocol.md lists each command's request and response fields; this is
 * the same list in a form a generic decoder can walk. fuzz_layout_check decodes a
 * body with sigil_rd along a layout, checks the reader's invariants at every
 * field, and when the whole body decodes re-encodes it with sigil_wr and checks
 * that the bytes are identical (the encoding is canonical).
 */
#ifndef SIGIL_FUZZ_LAYOUT_H
#define SIGIL_FUZZ_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigil_proto.h"

typedef enum {
    FUZZ_FIELD_END = 0, /* terminates a layout */
    FUZZ_FIELD_U8,
    FUZZ_FIELD_U16,
    FUZZ_FIELD_U32,
    FUZZ_FIELD_U64,
    FUZZ_FIELD_BYTES,  /* bytes(max) */
    FUZZ_FIELD_STR,    /* str(max) */
    FUZZ_FIELD_RECORD, /* an object record (sigil_obj_record_read/_write) */
    FUZZ_FIELD_LIST,   /* u32 n, then n times the layout elem */
} fuzz_field_type;

typedef struct fuzz_field {
    fuzz_field_type type;
    size_t max;                    /* BYTES and STR */
    const struct fuzz_field *elem; /* LIST */
} fuzz_field;

typedef struct {
    uint16_t opcode;
    const fuzz_field *request;
    const fuzz_field *response; /* of an OK response */
} fuzz_command;

/* The commands of specs/protocol.md, in opcode order. */
extern const fuzz_command fuzz_commands[];
extern const size_t fuzz_command_count;

/* A response body that is an object record list (OBJECT_LIST). */
extern const fuzz_field fuzz_layout_record_list[];

/* NULL for an opcode not in the protocol, or one whose layout is missing here (the
 * first call warns on stderr about each opcode of SIGIL_OPCODE_LIST without one:
 * the two lists should change together). */
const fuzz_command *fuzz_command_find(uint16_t opcode);

/* Decodes body[0..len) along layout. Returns true when every field decoded and no
 * byte is left over (sigil_rd_done); aborts on a broken reader or codec invariant. */
bool fuzz_layout_check(const fuzz_field *layout, const uint8_t *body, size_t len);

/* Reads one object record at r's position with the invariants above; true when it
 * decoded (and re-encoded to the same bytes). */
bool fuzz_record_check(sigil_rd *r, sigil_obj_record *out);

#endif
