/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-auth-provider.h"
#include "qi-sqlite-adapter.h"
#include "qi-token-authority.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD:
 *
 * The fewest characters a password of the local provider may have.
 */
#define QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD 8

/**
 * QI_LOCAL_AUTH_PROVIDER_DEFAULT_LIFETIME:
 *
 * How long a session of the local provider lasts by default, in seconds
 * (12 hours).
 */
#define QI_LOCAL_AUTH_PROVIDER_DEFAULT_LIFETIME (12 * 60 * 60)

#define QI_TYPE_LOCAL_AUTH_PROVIDER (qi_local_auth_provider_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiLocalAuthProvider, qi_local_auth_provider, QI, LOCAL_AUTH_PROVIDER, GObject)

QI_AVAILABLE_IN_ALL
QiLocalAuthProvider *qi_local_auth_provider_new          (QiSqliteAdapter     *tracker,
                                                          QiTokenAuthority    *authority);
QI_AVAILABLE_IN_ALL
QiSqliteAdapter     *qi_local_auth_provider_get_tracker  (QiLocalAuthProvider *self);
QI_AVAILABLE_IN_ALL
QiTokenAuthority    *qi_local_auth_provider_get_authority (QiLocalAuthProvider *self);
QI_AVAILABLE_IN_ALL
gboolean             qi_local_auth_provider_set_password (QiLocalAuthProvider *self,
                                                          const char          *username,
                                                          const char          *password,
                                                          GError             **error);
QI_AVAILABLE_IN_ALL
guint                qi_local_auth_provider_get_lifetime (QiLocalAuthProvider *self);
QI_AVAILABLE_IN_ALL
void                 qi_local_auth_provider_set_lifetime (QiLocalAuthProvider *self,
                                                          guint                lifetime_s);
QI_AVAILABLE_IN_ALL
JsonNode            *qi_local_auth_provider_add_user     (QiLocalAuthProvider *self,
                                                          const char          *username,
                                                          const char          *full_name,
                                                          const char          *email,
                                                          const char          *password,
                                                          const char * const  *roles,
                                                          GError             **error);
QI_AVAILABLE_IN_ALL
JsonNode            *qi_local_auth_provider_list_users   (QiLocalAuthProvider *self,
                                                          GError             **error);
QI_AVAILABLE_IN_ALL
JsonNode            *qi_local_auth_provider_open_session (QiLocalAuthProvider *self,
                                                          const char          *username,
                                                          GError             **error);

G_END_DECLS
