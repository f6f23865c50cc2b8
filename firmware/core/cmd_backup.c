/* cmd_backup.c — backup domain, seal export and restore (administrator). */
#include "fw_internal.h"
#include "sigil_secmem.h"

sigil_status fw_cmd_backup_domain_create(sigil_fw *fw, fw_req *rq)
{
    uint8_t secret[32], id[8];
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    sigil_status st = sigil_crypto_random(secret, sizeof(secret));
    if (st == SIGIL_ST_OK)
        st = fw_backup_domain_set(fw, secret, id);
    if (st == SIGIL_ST_OK) {
        /* Shown once, to be entered into the other appliances of the domain. */
        sigil_wr_bytes(rq->out, secret, sizeof(secret));
        sigil_wr_bytes(rq->out, id, sizeof(id));
    }
    sigil_wipe(secret, sizeof(secret));
    return st;
}

sigil_status fw_cmd_backup_domain_join(sigil_fw *fw, fw_req *rq)
{
    size_t n = 0;
    uint8_t id[8];
    const uint8_t *secret = sigil_rd_bytes(rq->in, 32, &n);
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    if (n != 32)
        return SIGIL_ST_BAD_ARGUMENT;
    sigil_status st = fw_backup_domain_set(fw, secret, id);
    if (st == SIGIL_ST_OK)
        sigil_wr_bytes(rq->out, id, sizeof(id));
    return st;
}

sigil_status fw_cmd_backup_export(sigil_fw *fw, fw_req *rq)
{
    uint32_t slot;
    sigil_status st = fw_req_slot_only(fw, rq, &slot);
    return st == SIGIL_ST_OK ? fw_backup_export(fw, slot, rq->out) : st;
}

sigil_status fw_cmd_backup_restore(sigil_fw *fw, fw_req *rq)
{
    size_t n = 0;
    uint32_t slot = 0;
    const uint8_t *blob = sigil_rd_bytes(rq->in, SIGIL_FRAME_MAX_BODY, &n);
    if (!sigil_rd_done(rq->in))
        return SIGIL_ST_BAD_FRAME;
    sigil_status st = fw_backup_restore(fw, blob, n, &slot);
    if (st == SIGIL_ST_OK) {
        rq->audit.slot = slot;
        sigil_wr_u32(rq->out, slot);
    }
    return st;
}
