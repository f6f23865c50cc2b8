/* fake_appliance.h — an in-process fake appliance behind sigil_transport_ops, for module tests.
 *
 * It answers the protocol with canned state: 2 slots; slot 0 initialised ("fake token", user PIN
 * "1234", SO PIN "87654321") holding an EC P-256 pair (handles 10/11) and an RSA-2048 pair
 * (20/21) with made-up public values; slot 1 uninitialised. CREATE_OBJECT and SET_OBJECT follow
 * the firmware's rules (seal user, no private keys, no further attributes on keys); new handles
 * count up from 100. It counts requests per opcode and remembers the last SIGN, CREATE_OBJECT
 * and SET_OBJECT.
 */
#ifndef SIGIL_FAKE_APPLIANCE_H
#define SIGIL_FAKE_APPLIANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigil_client.h"

#define FAKE_USER_PIN "1234"
#define FAKE_SO_PIN "87654321"
#define FAKE_EC_PUB 10u
#define FAKE_EC_PRIV 11u
#define FAKE_RSA_PUB 20u
#define FAKE_RSA_PRIV 21u

extern const sigil_transport_ops fake_appliance_ops;

/* Back to the initial state; counters zeroed. */
void fake_appliance_reset(void);
/* Requests seen with this opcode since the last reset. */
unsigned fake_appliance_count(uint16_t opcode);
/* Make open() fail (no appliance). */
void fake_appliance_fail_open(bool fail);
/* Answer the next request of this opcode with this status (0: off). */
void fake_appliance_fail_next(uint16_t opcode, uint32_t status);

typedef struct {
    uint32_t slot, handle;
    uint8_t mech, pss_hash;
    uint32_t salt_len;
    uint8_t input[1024];
    size_t input_len;
} fake_sign_req;
/* The last SIGN request. */
fake_sign_req fake_appliance_last_sign(void);
/* The last GENERATE_KEYPAIR request's id length and param. */
void fake_appliance_last_keygen(uint8_t *key_type, uint32_t *param, size_t *id_len, char *label, size_t cap);

/* The last CREATE_OBJECT request's record, and the last SET_OBJECT's result (returns its "what"). */
void fake_appliance_last_create(sigil_obj_record *out);
uint8_t fake_appliance_last_set(sigil_obj_record *out);
/* Removes an object behind the module's back (as another application would). */
bool fake_appliance_remove(uint32_t slot, uint32_t handle);
/* Forgets every login (as an appliance restart would). */
void fake_appliance_logout_all(void);

#endif
