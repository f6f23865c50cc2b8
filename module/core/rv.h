/* rv.h — THE mapping from appliance statuses and client results to CK_RV. */
#ifndef SIGIL_RV_H
#define SIGIL_RV_H

#include "p11.h"
#include "sigil_client.h"
#include "sigil_status.h"

/* Every sigil_status has an entry; numbers outside the list answer CKR_DEVICE_ERROR. */
CK_RV sigil_rv_from_status(sigil_status st);
/* Transport-level outcome: anything but SIGIL_CLIENT_OK is CKR_DEVICE_ERROR (or CKR_HOST_MEMORY). */
CK_RV sigil_rv_from_client(sigil_client_result res);

#endif
