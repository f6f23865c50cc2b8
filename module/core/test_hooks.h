/* test_hooks.h — test-only hooks into the module. Only tests include this header; the shared
 * library carries the functions hidden (not exported). */
#ifndef SIGIL_TEST_HOOKS_H
#define SIGIL_TEST_HOOKS_H

#include "sigil_client.h"

/* The transport the next C_Initialize uses (NULL: the real socket transport). When set and no
 * appliance address is configured, C_Initialize uses the address "test:fake". */
void sigil_module_test_set_transport(const sigil_transport_ops *ops, void *ctx);

#endif
