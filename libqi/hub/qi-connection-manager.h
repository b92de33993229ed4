/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-session.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_CONNECTION_MANAGER (qi_connection_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiConnectionManager, qi_connection_manager, QI, CONNECTION_MANAGER, GObject)

QI_AVAILABLE_IN_ALL
QiConnectionManager *qi_connection_manager_new            (void);
QI_AVAILABLE_IN_ALL
const char          *qi_connection_manager_open_session   (QiConnectionManager  *self,
                                                           QiSession            *session,
                                                           const char           *name,
                                                           const char           *parent_id,
                                                           GError              **error);
QI_AVAILABLE_IN_ALL
gboolean             qi_connection_manager_close_session  (QiConnectionManager  *self,
                                                           const char           *id);
QI_AVAILABLE_IN_ALL
QiSession           *qi_connection_manager_lookup_session (QiConnectionManager  *self,
                                                           const char           *id);
QI_AVAILABLE_IN_ALL
GPtrArray           *qi_connection_manager_list_sessions  (QiConnectionManager  *self);
QI_AVAILABLE_IN_ALL
GPtrArray           *qi_connection_manager_list_children  (QiConnectionManager  *self,
                                                           const char           *id);
QI_AVAILABLE_IN_ALL
guint                qi_connection_manager_get_n_sessions (QiConnectionManager  *self);
QI_AVAILABLE_IN_ALL
void                 qi_connection_manager_close_all      (QiConnectionManager  *self);

G_END_DECLS
