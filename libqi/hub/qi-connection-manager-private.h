/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-connection-manager.h"

G_BEGIN_DECLS

/* The hub's own root session, which only the message bus opens and which
 * only qi_connection_manager_close_all() closes. */
#define QI_HUB_SESSION_NAME "__hub__"

G_GNUC_INTERNAL
void qi_connection_manager_open_hub_session (QiConnectionManager *self,
                                             QiSession           *session);

G_END_DECLS
