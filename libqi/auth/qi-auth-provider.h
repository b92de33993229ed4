/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_AUTH_ERROR:
 *
 * The error domain of #QiAuthProvider.
 */
#define QI_AUTH_ERROR (qi_auth_error_quark ())

/**
 * QiAuthError:
 * @QI_AUTH_ERROR_BAD_CREDENTIALS: an unknown user or a wrong password; the
 *   message never says which
 * @QI_AUTH_ERROR_EXPIRED: the token's session has expired: log in again
 * @QI_AUTH_ERROR_INVALID_TOKEN: the token is not one of this provider's
 *   sessions: forged, from an earlier run, or logged out
 * @QI_AUTH_ERROR_NO_SUCH_USER: the user of a valid session is gone from
 *   the tracker
 * @QI_AUTH_ERROR_LOCKED: the account may not log in (reserved for
 *   providers that lock accounts)
 * @QI_AUTH_ERROR_INVALID: bad input: missing credentials, a name that
 *   cannot be used, an unknown role; the message names the field
 * @QI_AUTH_ERROR_WEAK_PASSWORD: a new password is empty or too short
 * @QI_AUTH_ERROR_EXISTS: a user of that name exists already
 * @QI_AUTH_ERROR_FAILED: the provider cannot answer (the tracker cannot be
 *   read, no random bytes); the message says why
 * @QI_AUTH_ERROR_UNSUPPORTED: the provider does not implement the call
 *
 * Why an authentication call failed.
 */
typedef enum {
  QI_AUTH_ERROR_BAD_CREDENTIALS,
  QI_AUTH_ERROR_EXPIRED,
  QI_AUTH_ERROR_INVALID_TOKEN,
  QI_AUTH_ERROR_NO_SUCH_USER,
  QI_AUTH_ERROR_LOCKED,
  QI_AUTH_ERROR_INVALID,
  QI_AUTH_ERROR_WEAK_PASSWORD,
  QI_AUTH_ERROR_EXISTS,
  QI_AUTH_ERROR_FAILED,
  QI_AUTH_ERROR_UNSUPPORTED,
} QiAuthError;

QI_AVAILABLE_IN_ALL
GQuark qi_auth_error_quark (void);

#define QI_TYPE_AUTH_PROVIDER (qi_auth_provider_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (QiAuthProvider, qi_auth_provider, QI, AUTH_PROVIDER, GObject)

/**
 * QiAuthProviderInterface:
 * @g_iface: the parent interface
 * @login: see qi_auth_provider_login()
 * @refresh: see qi_auth_provider_refresh()
 * @logout: see qi_auth_provider_logout()
 * @whoami: see qi_auth_provider_whoami()
 * @login_async: see qi_auth_provider_login_async(); %NULL runs @login
 * @login_finish: see qi_auth_provider_login_finish()
 *
 * Who the user is (the `auth` provider role). Every method is
 * synchronous but @login_async, for providers that ask a server (the
 * default runs @login). A session is the JSON object `{token, user, roles,
 * expires_at}` of docs/protocol.md (“auth.*”); a method an implementation
 * leaves %NULL fails with %QI_AUTH_ERROR_UNSUPPORTED.
 */
struct _QiAuthProviderInterface
{
  GTypeInterface g_iface;

  JsonNode *(*login)   (QiAuthProvider  *self,
                        JsonObject      *credentials,
                        GError         **error);
  JsonNode *(*refresh) (QiAuthProvider  *self,
                        const char      *token,
                        GError         **error);
  gboolean  (*logout)  (QiAuthProvider  *self,
                        const char      *token,
                        GError         **error);
  JsonNode *(*whoami)  (QiAuthProvider  *self,
                        const char      *token,
                        GError         **error);
  void      (*login_async)  (QiAuthProvider      *self,
                             JsonObject          *credentials,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data);
  JsonNode *(*login_finish) (QiAuthProvider  *self,
                             GAsyncResult    *result,
                             GError         **error);

  /*< private >*/
  gpointer padding[10];
};

QI_AVAILABLE_IN_ALL
JsonNode *qi_auth_provider_login   (QiAuthProvider  *self,
                                    JsonObject      *credentials,
                                    GError         **error);
QI_AVAILABLE_IN_ALL
void      qi_auth_provider_login_async  (QiAuthProvider      *self,
                                         JsonObject          *credentials,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
QI_AVAILABLE_IN_ALL
JsonNode *qi_auth_provider_login_finish (QiAuthProvider  *self,
                                         GAsyncResult    *result,
                                         GError         **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_auth_provider_refresh (QiAuthProvider  *self,
                                    const char      *token,
                                    GError         **error);
QI_AVAILABLE_IN_ALL
gboolean  qi_auth_provider_logout  (QiAuthProvider  *self,
                                    const char      *token,
                                    GError         **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_auth_provider_whoami  (QiAuthProvider  *self,
                                    const char      *token,
                                    GError         **error);

G_END_DECLS
