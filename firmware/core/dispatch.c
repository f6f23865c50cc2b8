/* dispatch.c — the one table of commands: opcode, handler, what the caller needs,
 * whether the device must be healthy, whether every outcome is audited, and whether a
 * durable INTENT record goes before its stored effect (specs/audit.md).
 *
 * The roles and states a command needs are declared here and checked by the
 * server before the handler runs; no handler checks a role by hand.
 */
#include "fw_internal.h"

static const fw_command fw_commands[] = {
    {.opcode = SIGIL_OP_HELLO, .fn = fw_cmd_hello, .need = FW_NEED_NONE},
    {.opcode = SIGIL_OP_INFO, .fn = fw_cmd_info, .need = FW_NEED_CONTEXT},
    {.opcode = SIGIL_OP_APPLIANCE_INIT, .fn = fw_cmd_appliance_init, .need = FW_NEED_FRESH, .crypto = true, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_ADMIN_LOGIN, .fn = fw_cmd_admin_login, .need = FW_NEED_READY, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_ADMIN_LOGOUT, .fn = fw_cmd_admin_logout, .need = FW_NEED_CONTEXT, .audit = true},
    {.opcode = SIGIL_OP_CRED_SET, .fn = fw_cmd_cred_set, .need = FW_NEED_ADMIN, .crypto = true, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_APPLIANCE_CONFIG, .fn = fw_cmd_appliance_config, .need = FW_NEED_ADMIN, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_AUDITOR_LOGIN, .fn = fw_cmd_auditor_login, .need = FW_NEED_READY, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_SLOT_LIST, .fn = fw_cmd_slot_list, .need = FW_NEED_CONTEXT},
    {.opcode = SIGIL_OP_TOKEN_INFO, .fn = fw_cmd_token_info, .need = FW_NEED_CONTEXT},
    {.opcode = SIGIL_OP_INIT_TOKEN, .fn = fw_cmd_init_token, .need = FW_NEED_READY, .crypto = true, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_SEAL_CREATE, .fn = fw_cmd_seal_create, .need = FW_NEED_ADMIN, .crypto = true, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_LOGIN, .fn = fw_cmd_login, .need = FW_NEED_READY, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_LOGOUT, .fn = fw_cmd_logout, .need = FW_NEED_READY, .audit = true},
    {.opcode = SIGIL_OP_INIT_PIN, .fn = fw_cmd_init_pin, .need = FW_NEED_SEAL_SO, .crypto = true, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_SET_PIN, .fn = fw_cmd_set_pin, .need = FW_NEED_READY, .crypto = true, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_OBJECT_LIST, .fn = fw_cmd_object_list, .need = FW_NEED_READY},
    {.opcode = SIGIL_OP_GENERATE_KEYPAIR, .fn = fw_cmd_generate_keypair, .need = FW_NEED_SEAL_USER, .crypto = true, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_DESTROY_OBJECT, .fn = fw_cmd_destroy_object, .need = FW_NEED_SEAL_USER, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_CREATE_OBJECT, .fn = fw_cmd_create_object, .need = FW_NEED_SEAL_USER, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_SET_OBJECT, .fn = fw_cmd_set_object, .need = FW_NEED_SEAL_USER, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_POLICY_SET, .fn = fw_cmd_policy_set, .need = FW_NEED_ADMIN, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_POLICY_GET, .fn = fw_cmd_policy_get, .need = FW_NEED_READY},
    {.opcode = SIGIL_OP_SEAL_STATE, .fn = fw_cmd_seal_state, .need = FW_NEED_ADMIN, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_SEAL_DESTROY, .fn = fw_cmd_seal_destroy, .need = FW_NEED_ADMIN, .audit = true, .intent = FW_INTENT_SLOT},
    {.opcode = SIGIL_OP_SIGN, .fn = fw_cmd_sign, .need = FW_NEED_SEAL_USER, .crypto = true, .audit = true},
    {.opcode = SIGIL_OP_DEVICE_KEYS, .fn = fw_cmd_device_keys, .need = FW_NEED_CONTEXT},
    {.opcode = SIGIL_OP_AUDIT_READ, .fn = fw_cmd_audit_read, .need = FW_NEED_AUDITOR},
    {.opcode = SIGIL_OP_AUDIT_CHECKPOINT, .fn = fw_cmd_audit_checkpoint, .need = FW_NEED_AUDITOR, .crypto = true, .audit = true},
    {.opcode = SIGIL_OP_ATTEST, .fn = fw_cmd_attest, .need = FW_NEED_READY, .crypto = true},
    {.opcode = SIGIL_OP_ZEROIZE, .fn = fw_cmd_zeroize, .need = FW_NEED_ADMIN, .audit = true},
    {.opcode = SIGIL_OP_BACKUP_DOMAIN_CREATE, .fn = fw_cmd_backup_domain_create, .need = FW_NEED_ADMIN, .crypto = true, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_BACKUP_DOMAIN_JOIN, .fn = fw_cmd_backup_domain_join, .need = FW_NEED_ADMIN, .crypto = true, .audit = true, .intent = FW_INTENT},
    {.opcode = SIGIL_OP_BACKUP_EXPORT, .fn = fw_cmd_backup_export, .need = FW_NEED_ADMIN, .crypto = true, .audit = true},
    {.opcode = SIGIL_OP_BACKUP_RESTORE, .fn = fw_cmd_backup_restore, .need = FW_NEED_ADMIN, .crypto = true, .audit = true, .intent = FW_INTENT},
    /* Audited per signature by the handler; refusals by the dispatcher as always. */
    {.opcode = SIGIL_OP_SIGN_BATCH, .fn = fw_cmd_sign_batch, .need = FW_NEED_SEAL_USER, .crypto = true},
    {.opcode = SIGIL_OP_RANDOM, .fn = fw_cmd_random, .need = FW_NEED_CONTEXT, .crypto = true},
};

const fw_command *fw_command_find(uint16_t opcode)
{
    for (size_t i = 0; i < sizeof(fw_commands) / sizeof(fw_commands[0]); i++) {
        if (fw_commands[i].opcode == opcode)
            return &fw_commands[i];
    }
    return NULL;
}
