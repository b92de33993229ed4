/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-db-adapter.h"
#include "qi-hub.h"
#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_DB_MANAGER (qi_db_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiDbManager, qi_db_manager, QI, DB_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
QiDbManager  *qi_db_manager_new                (void);
QI_AVAILABLE_IN_ALL
gboolean      qi_db_manager_add_adapter        (QiDbManager     *self,
                                                const char      *name,
                                                QiDbAdapter     *adapter,
                                                GError         **error);
QI_AVAILABLE_IN_ALL
gboolean      qi_db_manager_remove_adapter     (QiDbManager     *self,
                                                const char      *name);
QI_AVAILABLE_IN_ALL
QiDbAdapter  *qi_db_manager_get_adapter        (QiDbManager     *self,
                                                const char      *name,
                                                GError         **error);
QI_AVAILABLE_IN_ALL
char        **qi_db_manager_dup_adapter_names  (QiDbManager     *self);
QI_AVAILABLE_IN_ALL
gboolean      qi_db_manager_set_default        (QiDbManager     *self,
                                                const char      *name,
                                                GError         **error);
QI_AVAILABLE_IN_ALL
const char   *qi_db_manager_get_default        (QiDbManager     *self);
QI_AVAILABLE_IN_ALL
gboolean      qi_db_manager_attach_hub         (QiDbManager     *self,
                                                QiHub           *hub,
                                                GError         **error);

G_END_DECLS
