/* server.c — frame in, frame out: decode the header, check what the command
 * needs, run its handler, encode the response. No I/O, no threads of its own. */
#include <string.h>

#include "fw_internal.h"
#include "sigil_secmem.h"

size_t sigil_fw_error_frame(uint16_t opcode, uint32_t request_id, sigil_status st, uint8_t *resp,
                            size_t resp_cap)
{
    if (resp_cap < SIGIL_FRAME_HDR_LEN)
        return 0;
    sigil_frame_hdr h = {
        .body_len = 0,
        .version = SIGIL_PROTO_VERSION,
        .kind = SIGIL_KIND_RESPONSE,
        .opcode = opcode,
        .request_id = request_id,
        .status = (uint32_t)st,
    };
    sigil_frame_hdr_encode(&h, resp);
    return SIGIL_FRAME_HDR_LEN;
}

/* The slot named by a request's first field, for the per-seal role checks. */
static sigil_status peek_slot(const sigil_fw *fw, const uint8_t *body, size_t len, uint32_t *slot)
{
    sigil_rd r;
    sigil_rd_init(&r, body, len);
    *slot = sigil_rd_u32(&r);
    if (!sigil_rd_ok(&r))
        return SIGIL_ST_BAD_FRAME;
    return fw_slot_check(fw, *slot);
}

static sigil_status check_need(sigil_fw *fw, sigil_fw_conn *conn, const fw_command *cmd,
                               const uint8_t *body, size_t len)
{
    uint32_t slot = 0;
    sigil_status st = SIGIL_ST_OK;
    bool initialised;

    if (cmd->need == FW_NEED_NONE)
        return SIGIL_ST_OK;
    if (atomic_load(&fw->zeroized) && cmd->opcode != SIGIL_OP_INFO)
        return SIGIL_ST_ZEROIZED;
    if (conn->ctx == NULL)
        return SIGIL_ST_NO_CONTEXT;
    if (cmd->crypto && !fw->self_test_ok)
        return SIGIL_ST_SELF_TEST_FAILED;

    pthread_mutex_lock(&fw->appl_lock);
    initialised = fw->initialised;
    pthread_mutex_unlock(&fw->appl_lock);

    switch (cmd->need) {
    case FW_NEED_NONE:
    case FW_NEED_CONTEXT:
        return SIGIL_ST_OK;
    case FW_NEED_FRESH:
        return initialised ? SIGIL_ST_APPLIANCE_ALREADY_INITIALIZED : SIGIL_ST_OK;
    case FW_NEED_READY:
        return initialised ? SIGIL_ST_OK : SIGIL_ST_APPLIANCE_NOT_INITIALIZED;
    case FW_NEED_ADMIN:
        if (!initialised)
            return SIGIL_ST_APPLIANCE_NOT_INITIALIZED;
        return fw_appliance_role(fw, conn) == SIGIL_AUDIT_ROLE_ADMIN ? SIGIL_ST_OK : SIGIL_ST_NOT_LOGGED_IN;
    case FW_NEED_AUDITOR:
        if (!initialised)
            return SIGIL_ST_APPLIANCE_NOT_INITIALIZED;
        return fw_appliance_role(fw, conn) == SIGIL_AUDIT_ROLE_AUDITOR ? SIGIL_ST_OK : SIGIL_ST_NOT_LOGGED_IN;
    case FW_NEED_SEAL_SO:
    case FW_NEED_SEAL_USER:
        if (!initialised)
            return SIGIL_ST_APPLIANCE_NOT_INITIALIZED;
        st = peek_slot(fw, body, len, &slot);
        if (st != SIGIL_ST_OK)
            return st;
        {
            uint8_t want = cmd->need == FW_NEED_SEAL_SO ? SIGIL_LOGIN_SO : SIGIL_LOGIN_USER;
            return fw_login_state(fw, conn, slot) == want ? SIGIL_ST_OK : SIGIL_ST_NOT_LOGGED_IN;
        }
    }
    return SIGIL_ST_NOT_AUTHORIZED;
}

static uint16_t caller_role(sigil_fw *fw, const sigil_fw_conn *conn, uint32_t slot)
{
    if (slot != SIGIL_AUDIT_NO_SLOT) {
        uint8_t l = fw_login_state(fw, conn, slot);
        if (l == SIGIL_LOGIN_SO)
            return SIGIL_AUDIT_ROLE_SEAL_SO;
        if (l == SIGIL_LOGIN_USER)
            return SIGIL_AUDIT_ROLE_SEAL_USER;
    }
    return fw_appliance_role(fw, conn);
}

/* Queues the record of a request's outcome; *upto is where the response must wait. */
static sigil_status audit_request(sigil_fw *fw, fw_req *rq, uint16_t opcode, sigil_status st, uint64_t *upto)
{
    sigil_audit_rec r = {
        .event = opcode,
        .role = caller_role(fw, rq->conn, rq->audit.slot),
        .slot = rq->audit.slot,
        .status = (uint32_t)st,
        .ctx = fw_ctx_id(fw, rq->conn),
        .handle = rq->audit.handle,
        .mech = rq->audit.mech,
        .data_len = rq->audit.data_len,
    };
    memcpy(r.data, rq->audit.data, rq->audit.data_len);
    return fw_audit_queue(fw, &r, upto);
}

/* Writes, durably, that opcode is about to change stored state (write-ahead: a crash
 * between the effect and its outcome record leaves this trace). Data: the opcode. */
static sigil_status audit_intent(sigil_fw *fw, const fw_req *rq, const fw_command *cmd, const uint8_t *body,
                                 size_t len)
{
    uint32_t slot = SIGIL_AUDIT_NO_SLOT;
    if (cmd->intent == FW_INTENT_SLOT && peek_slot(fw, body, len, &slot) != SIGIL_ST_OK)
        slot = SIGIL_AUDIT_NO_SLOT; /* the handler answers for a bad slot */
    sigil_audit_rec r = {
        .event = SIGIL_AUDIT_EV_INTENT,
        .role = caller_role(fw, rq->conn, slot),
        .slot = slot,
        .ctx = fw_ctx_id(fw, rq->conn),
        .data = {(uint8_t)(cmd->opcode >> 8), (uint8_t)cmd->opcode},
        .data_len = 2,
    };
    return fw_audit_write(fw, &r);
}

sigil_status sigil_fw_audit_sync(sigil_fw *fw, uint64_t upto)
{
    return fw_audit_sync(fw, upto);
}

size_t sigil_fw_response_refused(uint8_t *resp, size_t len, sigil_status st)
{
    sigil_frame_hdr h;
    if (len < SIGIL_FRAME_HDR_LEN || sigil_frame_hdr_decode(resp, SIGIL_FRAME_MAX_BODY, &h) != SIGIL_ST_OK ||
        h.status != SIGIL_ST_OK)
        return len;
    sigil_wipe(resp + SIGIL_FRAME_HDR_LEN, len - SIGIL_FRAME_HDR_LEN);
    h.body_len = 0;
    h.status = (uint32_t)st;
    sigil_frame_hdr_encode(&h, resp);
    return SIGIL_FRAME_HDR_LEN;
}

size_t sigil_fw_handle(sigil_fw *fw, sigil_fw_conn *conn, const uint8_t *req, size_t req_len,
                       uint8_t *resp, size_t resp_cap, bool *close_conn)
{
    uint64_t upto = 0;
    size_t n = sigil_fw_handle_queued(fw, conn, req, req_len, resp, resp_cap, close_conn, &upto);
    sigil_status st = fw_audit_sync(fw, upto);
    return st == SIGIL_ST_OK ? n : sigil_fw_response_refused(resp, n, st);
}

size_t sigil_fw_handle_queued(sigil_fw *fw, sigil_fw_conn *conn, const uint8_t *req, size_t req_len,
                              uint8_t *resp, size_t resp_cap, bool *close_conn, uint64_t *durable_upto)
{
    sigil_frame_hdr h;
    sigil_status st;
    const fw_command *cmd;
    sigil_wr out;
    size_t body_len;

    *close_conn = false;
    *durable_upto = 0;
    if (resp_cap < SIGIL_FRAME_HDR_LEN)
        return 0;
    if (req_len < SIGIL_FRAME_HDR_LEN) {
        *close_conn = true;
        return sigil_fw_error_frame(0, 0, SIGIL_ST_BAD_FRAME, resp, resp_cap);
    }
    st = sigil_frame_hdr_decode(req, SIGIL_FRAME_MAX_BODY, &h);
    if (st == SIGIL_ST_OK && h.kind != SIGIL_KIND_REQUEST)
        st = SIGIL_ST_BAD_FRAME;
    if (st == SIGIL_ST_OK && h.body_len != req_len - SIGIL_FRAME_HDR_LEN)
        st = SIGIL_ST_BAD_FRAME;
    if (st != SIGIL_ST_OK) {
        *close_conn = true;
        return sigil_fw_error_frame(h.opcode, h.request_id, st, resp, resp_cap);
    }

    const uint8_t *body = req + SIGIL_FRAME_HDR_LEN;
    cmd = fw_command_find(h.opcode);
    if (cmd == NULL)
        return sigil_fw_error_frame(h.opcode, h.request_id, SIGIL_ST_UNKNOWN_OPCODE, resp, resp_cap);

    sigil_rd in;
    fw_req rq = {.conn = conn, .in = &in, .out = &out, .audit = {.slot = SIGIL_AUDIT_NO_SLOT}};
    sigil_rd_init(&in, body, h.body_len);
    sigil_wr_init(&out, resp + SIGIL_FRAME_HDR_LEN, resp_cap - SIGIL_FRAME_HDR_LEN);
    st = check_need(fw, conn, cmd, body, h.body_len);
    bool refused = st != SIGIL_ST_OK;
    if (refused && (cmd->need == FW_NEED_SEAL_SO || cmd->need == FW_NEED_SEAL_USER)) {
        uint32_t slot;
        if (peek_slot(fw, body, h.body_len, &slot) == SIGIL_ST_OK)
            rq.audit.slot = slot;
    }
    if (st == SIGIL_ST_OK && cmd->audit && !fw_audit_ok(fw))
        st = SIGIL_ST_AUDIT_FAILURE; /* fail closed: no audited service without a trail */
    if (st == SIGIL_ST_OK && cmd->intent != FW_INTENT_NONE)
        st = audit_intent(fw, &rq, cmd, body, h.body_len);
    if (st == SIGIL_ST_OK) {
        st = cmd->fn(fw, &rq);
        if (st == SIGIL_ST_OK && !sigil_wr_ok(&out))
            st = SIGIL_ST_GENERAL_ERROR;
    }
    if ((cmd->audit || refused) && st != SIGIL_ST_AUDIT_FAILURE && conn->ctx != NULL) {
        sigil_status ast = audit_request(fw, &rq, h.opcode, st, durable_upto);
        if (ast != SIGIL_ST_OK && st == SIGIL_ST_OK)
            st = ast; /* a result whose record cannot be written is not released */
    }
    if (h.opcode == SIGIL_OP_HELLO && st != SIGIL_ST_OK)
        *close_conn = true; /* a connection that cannot join an application serves nothing */
    body_len = st == SIGIL_ST_OK ? out.len : 0;
    if (st != SIGIL_ST_OK)
        sigil_wipe(resp + SIGIL_FRAME_HDR_LEN, out.len);

    h.body_len = (uint32_t)body_len;
    h.kind = SIGIL_KIND_RESPONSE;
    h.status = (uint32_t)st;
    sigil_frame_hdr_encode(&h, resp);
    return SIGIL_FRAME_HDR_LEN + body_len;
}
