/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include <glib-object.h>

#include "qi-ftrack-session.h"

G_BEGIN_DECLS

#define QI_TYPE_FTRACK_ADAPTER (qi_ftrack_adapter_get_type ())

G_DECLARE_FINAL_TYPE (QiFtrackAdapter, qi_ftrack_adapter, QI, FTRACK_ADAPTER, GObject)

QiFtrackAdapter *qi_ftrack_adapter_new         (const char       *server,
                                                const char       *api_user,
                                                const char       *api_key,
                                                GError          **error);
QiFtrackAdapter *qi_ftrack_adapter_new_for_session (QiFtrackSession *session);
QiFtrackSession *qi_ftrack_adapter_get_session (QiFtrackAdapter  *self);

G_END_DECLS
