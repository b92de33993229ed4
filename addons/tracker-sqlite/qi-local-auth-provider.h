/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include "qi-sqlite-adapter.h"

G_BEGIN_DECLS

/* The shortest password the embedded tracker accepts, in characters. */
#define QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD 8

#define QI_TYPE_LOCAL_AUTH_PROVIDER (qi_local_auth_provider_get_type ())

G_DECLARE_FINAL_TYPE (QiLocalAuthProvider, qi_local_auth_provider, QI, LOCAL_AUTH_PROVIDER, QiAuthProvider)

QiLocalAuthProvider *qi_local_auth_provider_new          (QiSqliteAdapter     *tracker);
QiSqliteAdapter     *qi_local_auth_provider_get_tracker  (QiLocalAuthProvider *self);
gboolean             qi_local_auth_provider_set_password (QiLocalAuthProvider *self,
                                                          const char          *username,
                                                          const char          *password,
                                                          GError             **error);
JsonNode            *qi_local_auth_provider_add_user     (QiLocalAuthProvider *self,
                                                          const char          *username,
                                                          const char          *full_name,
                                                          const char          *email,
                                                          const char          *password,
                                                          const char * const  *roles,
                                                          GError             **error);
JsonNode            *qi_local_auth_provider_list_users   (QiLocalAuthProvider *self,
                                                          GError             **error);

G_END_DECLS
