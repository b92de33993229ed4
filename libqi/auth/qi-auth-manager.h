/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-auth-provider.h"
#include "qi-hub.h"
#include "qi-service.h"
#include "qi-token.h"
#include "qi-token-authority.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_AUTH_MANAGER (qi_auth_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiAuthManager, qi_auth_manager, QI, AUTH_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
QiAuthManager    *qi_auth_manager_new              (QiAuthProvider       *provider);
QI_AVAILABLE_IN_ALL
QiAuthProvider   *qi_auth_manager_get_provider     (QiAuthManager        *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_auth_manager_set_provider     (QiAuthManager        *self,
                                                    QiAuthProvider       *provider,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
QiTokenAuthority *qi_auth_manager_get_authority    (QiAuthManager        *self);
QI_AVAILABLE_IN_ALL
const char       *qi_auth_manager_get_data_dir     (QiAuthManager        *self);
QI_AVAILABLE_IN_ALL
void              qi_auth_manager_set_data_dir     (QiAuthManager        *self,
                                                    const char           *data_dir);

QI_AVAILABLE_IN_ALL
gboolean          qi_auth_manager_attach_hub       (QiAuthManager        *self,
                                                    QiHub                *hub,
                                                    GError              **error);

QI_AVAILABLE_IN_ALL
void              qi_auth_manager_login_async      (QiAuthManager        *self,
                                                    JsonObject           *credentials,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_manager_login_finish     (QiAuthManager        *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_manager_login            (QiAuthManager        *self,
                                                    JsonObject           *credentials,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_manager_refresh          (QiAuthManager        *self,
                                                    const char           *token,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_auth_manager_logout           (QiAuthManager        *self,
                                                    const char           *token,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_manager_whoami           (QiAuthManager        *self,
                                                    const char           *token,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_auth_manager_check_token      (QiAuthManager        *self,
                                                    const char           *token,
                                                    QiToken              *claims,
                                                    GError              **error);

QI_AVAILABLE_IN_ALL
gboolean          qi_auth_manager_set_run_session  (QiAuthManager        *self,
                                                    JsonNode             *session,
                                                    GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_manager_get_run_session  (QiAuthManager        *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_auth_manager_login_from_environment (QiAuthManager      *self,
                                                          const char * const *envp,
                                                          GError            **error);
QI_AVAILABLE_IN_ALL
char             *qi_auth_manager_issue_service_token (QiAuthManager     *self,
                                                       const char        *username,
                                                       guint              lifetime_days,
                                                       GError           **error);

G_END_DECLS
