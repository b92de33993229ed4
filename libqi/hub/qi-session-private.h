/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-session.h"

G_BEGIN_DECLS

/* Only QiConnectionManager opens and closes sessions. */
G_GNUC_INTERNAL
void qi_session_set_opened (QiSession  *self,
                            const char *id,
                            const char *parent_id);
G_GNUC_INTERNAL
void qi_session_set_closed (QiSession  *self);

G_END_DECLS
