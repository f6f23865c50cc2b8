/* fw_harness.h — the firmware core driven frame by frame over the fake platform. */
#ifndef SIGIL_FW_HARNESS_H
#define SIGIL_FW_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "fake_platform.h"
#include "sigil_audit.h"
#include "sigil_fw.h"
#include "sigil_proto.h"

#define ADMIN_PIN "admin-pin-1"
#define SO_PIN "so-pin-1"
#define USER_PIN "user-pin-1"

typedef struct {
    sigil_platform *plat;
    sigil_fw *fw;
    sigil_fw_conn *conn;
    uint8_t *resp;
    size_t resp_len;
    uint32_t next_id;
    bool closed;
} tfw;

void tfw_open(tfw *t);
void tfw_close(tfw *t);
/* Sends a raw frame; returns the status; the body is in t->resp after the header. */
sigil_status tfw_raw(tfw *t, const uint8_t *frame, size_t len);
sigil_status tfw_call(tfw *t, uint16_t op, const sigil_wr *body, sigil_rd *out);
/* A fresh writer over a shared request buffer. */
sigil_wr *body(void);
void wr_pin(sigil_wr *w, const char *pin);
void hello(tfw *t);
sigil_status login(tfw *t, uint32_t slot, uint32_t type, const char *pin);
/* Fresh appliance, initialised, administrator logged in, seal "seal-a" in slot 0 with its user logged in. */
int setup(void **state);
int teardown(void **state);
/* Closes and reopens the device on the same storage, with a new connection and HELLO. */
void restart(tfw *t);
void keygen(tfw *t, uint8_t type, uint32_t param, sigil_obj_record *pub, sigil_obj_record *priv,
            sigil_status want);
sigil_status sign(tfw *t, uint32_t handle, uint8_t mech, const uint8_t *in, size_t n, uint8_t *sig,
                  size_t *sig_len);
/* Verifies an ECDSA P-256 r||s signature over a 32-byte digest with a raw 04||X||Y point. */
int ec_verify_point(const uint8_t *point, size_t point_len, const uint8_t *dgst, const uint8_t *sig, size_t sig_len);
int ec_verify(const sigil_obj_record *pub, const uint8_t *dgst, const uint8_t *sig, size_t sig_len);
/* Reads audit.log from the fake storage, recomputing the hash chain with OpenSSL. */
size_t read_trail(tfw *t, sigil_audit_rec *recs, size_t max, bool *clean);

#endif
