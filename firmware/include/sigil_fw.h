/* sigil_fw.h — the firmware core as its hosts see it: frame in, frame out.
 *
 * The emulator (firmware/emu), unit tests and fuzzers drive the device through
 * these few functions. The core does no I/O of its own: storage, clocks,
 * entropy and the root secret come from the platform given to sigil_fw_open().
 */
#ifndef SIGIL_FW_H
#define SIGIL_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "sigil_status.h"

#define SIGIL_FW_DEFAULT_SLOTS 16u
#define SIGIL_FW_MAX_SLOTS 1024u
#define SIGIL_FW_DEFAULT_PIN_TRIES 5u

typedef struct {
    uint32_t slot_count;     /* seal slots wanted; only ever grows across restarts */
    uint32_t max_pin_tries;  /* failures before a PIN locks */
    uint32_t kdf_iterations; /* PBKDF2-HMAC-SHA256 iterations for new credentials */
} sigil_fw_config;

typedef struct sigil_fw sigil_fw;
typedef struct sigil_fw_conn sigil_fw_conn;

/* Fills cfg with the defaults. */
void sigil_fw_config_default(sigil_fw_config *cfg);

/* Starts the device: root secret, self-tests, persisted state. On a self-test
 * failure the device still opens, in the error state (every cryptographic
 * command answers SELF_TEST_FAILED); other failures return an error status
 * and a message in errmsg. */
__attribute__((warn_unused_result)) sigil_status sigil_fw_open(const sigil_platform *plat,
                                                               const sigil_fw_config *cfg,
                                                               sigil_fw **out, char *errmsg,
                                                               size_t errlen);
void sigil_fw_close(sigil_fw *fw);

/* One per transport connection. Freeing it leaves the application context it
 * joined (logging the context out when it was the last connection). */
sigil_fw_conn *sigil_fw_conn_new(sigil_fw *fw);
void sigil_fw_conn_free(sigil_fw_conn *conn);
/* True once the connection's HELLO has joined it to an application context. */
bool sigil_fw_conn_joined(const sigil_fw_conn *conn);

/* Connections one application context may hold; HELLO answers BUSY past it. */
#define SIGIL_FW_MAX_CONNS_PER_APP 32u

/* Stored objects refused at start-up because they failed their integrity check
 * (edited, truncated or swapped blobs). They stay on disk, unused. */
uint32_t sigil_fw_refused_blobs(const sigil_fw *fw);

/* A tamper signal from the platform: zeroise now (an audit record first).
 * Not OK when some of it could not be done (storage) or the record not written. */
sigil_status sigil_fw_tamper(sigil_fw *fw);
/* True once the device has been zeroised (ZEROIZE or tamper). */
bool sigil_fw_zeroized(const sigil_fw *fw);

/* Largest response frame the core writes. */
#define SIGIL_FW_RESP_CAP (16u + 1024u * 1024u)

/* Handles one whole request frame (header + body) and writes one response frame
 * into resp (capacity >= SIGIL_FW_RESP_CAP). Returns the response length; sets
 * *close_conn when the transport must close the connection after sending it
 * (framing errors). Safe to call from several threads, also for one conn. */
size_t sigil_fw_handle(sigil_fw *fw, sigil_fw_conn *conn, const uint8_t *req, size_t req_len,
                       uint8_t *resp, size_t resp_cap, bool *close_conn);

/* sigil_fw_handle in two steps, for a server that answers many requests at once: the
 * request is carried out and its audit record queued, but not waited for. *durable_upto
 * is the audit position the response must wait for (sigil_fw_audit_sync) before it may
 * leave the device; 0 when it need not wait. */
size_t sigil_fw_handle_queued(sigil_fw *fw, sigil_fw_conn *conn, const uint8_t *req, size_t req_len,
                              uint8_t *resp, size_t resp_cap, bool *close_conn, uint64_t *durable_upto);

/* Waits until every audit record before position upto is on stable storage (one write
 * and sync for everything queued so far). SIGIL_ST_AUDIT_FAILURE when the trail failed:
 * the responses waiting for it must then not be released as they are. */
sigil_status sigil_fw_audit_sync(sigil_fw *fw, uint64_t upto);

/* Rewrites a response whose audit record did not become durable: a successful one
 * becomes status st without a body (wiped); others are kept. Returns the new length. */
size_t sigil_fw_response_refused(uint8_t *resp, size_t len, sigil_status st);

/* Writes a body-less response frame (for framing errors found by the transport
 * before a whole frame was read). Returns its length (SIGIL_FRAME_HDR_LEN). */
size_t sigil_fw_error_frame(uint16_t opcode, uint32_t request_id, sigil_status st,
                            uint8_t *resp, size_t resp_cap);

#endif
