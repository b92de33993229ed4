/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-db-adapter.h"
#include "qi-ftrack-session.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_FTRACK_ADAPTER (qi_ftrack_adapter_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiFtrackAdapter, qi_ftrack_adapter, QI, FTRACK_ADAPTER, GObject)

QI_AVAILABLE_IN_ALL
QiFtrackAdapter *qi_ftrack_adapter_new         (const char       *server,
                                                const char       *api_user,
                                                const char       *api_key,
                                                GError          **error);
QI_AVAILABLE_IN_ALL
QiFtrackSession *qi_ftrack_adapter_get_session (QiFtrackAdapter  *self);

G_END_DECLS
