/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-auth-provider.h"
#include "qi-db-manager.h"
#include "qi-hub.h"
#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_AUTH_MANAGER (qi_auth_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiAuthManager, qi_auth_manager, QI, AUTH_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
QiAuthManager  *qi_auth_manager_new          (QiAuthProvider  *provider);
QI_AVAILABLE_IN_ALL
QiAuthManager  *qi_auth_manager_new_local    (QiDbManager     *db,
                                              GError         **error);
QI_AVAILABLE_IN_ALL
QiAuthProvider *qi_auth_manager_get_provider (QiAuthManager   *self);
QI_AVAILABLE_IN_ALL
gboolean        qi_auth_manager_attach_hub   (QiAuthManager   *self,
                                              QiHub           *hub,
                                              GError         **error);

G_END_DECLS
