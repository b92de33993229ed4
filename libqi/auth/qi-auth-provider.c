/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-auth-provider.h"

/**
 * QiAuthProvider:
 *
 * Who the user is: logs in with credentials and answers for the session
 * tokens it issued. #QiLocalAuthProvider checks the users of the embedded
 * tracker; other providers (ftrack) implement the same interface.
 *
 * A session is a JSON object: `token` (text to hand back to refresh,
 * logout and whoami), `user` (`{id, username, full_name, email}`),
 * `roles` (an array of strings such as `artist`, `admin`) and
 * `expires_at` (ISO 8601, UTC). qi_auth_provider_whoami() answers the
 * same without `token`.
 */

G_DEFINE_INTERFACE (QiAuthProvider, qi_auth_provider, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-auth-error-quark, qi_auth_error)

static void
qi_auth_provider_default_init (QiAuthProviderInterface *iface)
{
}

static gboolean
unsupported (QiAuthProvider  *self,
             const char      *what,
             GError         **error)
{
  g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
               _("the %s auth provider cannot %s"), G_OBJECT_TYPE_NAME (self), what);
  return FALSE;
}

/**
 * qi_auth_provider_login:
 * @self: a #QiAuthProvider
 * @credentials: what the provider needs, such as `{"username", "password"}`
 * @error: return location for a #GError
 *
 * Checks @credentials and opens a session.
 *
 * Returns: (transfer full): the session `{token, user, roles,
 *   expires_at}`, or %NULL: %QI_AUTH_ERROR_BAD_CREDENTIALS (an unknown user
 *   or a wrong password, without saying which), %QI_AUTH_ERROR_INVALID
 *   (credentials missing), %QI_AUTH_ERROR_LOCKED, %QI_AUTH_ERROR_FAILED
 */
JsonNode *
qi_auth_provider_login (QiAuthProvider  *self,
                        JsonObject      *credentials,
                        GError         **error)
{
  QiAuthProviderInterface *iface;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (credentials != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_AUTH_PROVIDER_GET_IFACE (self);
  if (iface->login == NULL)
    {
      unsupported (self, _("log in"), error);
      return NULL;
    }
  return iface->login (self, credentials, error);
}

/**
 * qi_auth_provider_login_async:
 * @self: a #QiAuthProvider
 * @credentials: what the provider needs (see qi_auth_provider_login())
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the session
 * @user_data: data for @callback
 *
 * Checks @credentials without blocking: a provider that asks a server
 * (ftrack) answers later; the others answer from qi_auth_provider_login()
 * at once. @credentials is read before this returns.
 */
void
qi_auth_provider_login_async (QiAuthProvider      *self,
                              JsonObject          *credentials,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  QiAuthProviderInterface *iface;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  JsonNode *session;

  g_return_if_fail (QI_IS_AUTH_PROVIDER (self));
  g_return_if_fail (credentials != NULL);

  iface = QI_AUTH_PROVIDER_GET_IFACE (self);
  if (iface->login_async != NULL)
    {
      iface->login_async (self, credentials, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_auth_provider_login_async);
  session = qi_auth_provider_login (self, credentials, &error);
  if (session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) json_node_unref);
}

/**
 * qi_auth_provider_login_finish:
 * @self: a #QiAuthProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session, or %NULL (see
 *   qi_auth_provider_login())
 */
JsonNode *
qi_auth_provider_login_finish (QiAuthProvider  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  QiAuthProviderInterface *iface;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);

  iface = QI_AUTH_PROVIDER_GET_IFACE (self);
  if (iface->login_async != NULL && iface->login_finish != NULL)
    return iface->login_finish (self, result, error);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_auth_provider_refresh:
 * @self: a #QiAuthProvider
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Extends a session that has not expired: a new token, valid for a
 * session's whole lifetime from now, replaces @token (which stops
 * working).
 *
 * Returns: (transfer full): the new session, or %NULL:
 *   %QI_AUTH_ERROR_EXPIRED, %QI_AUTH_ERROR_INVALID_TOKEN,
 *   %QI_AUTH_ERROR_NO_SUCH_USER
 */
JsonNode *
qi_auth_provider_refresh (QiAuthProvider  *self,
                          const char      *token,
                          GError         **error)
{
  QiAuthProviderInterface *iface;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_AUTH_PROVIDER_GET_IFACE (self);
  if (iface->refresh == NULL)
    {
      unsupported (self, _("refresh a session"), error);
      return NULL;
    }
  return iface->refresh (self, token, error);
}

/**
 * qi_auth_provider_logout:
 * @self: a #QiAuthProvider
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Ends a session: @token stops working.
 *
 * Returns: %TRUE, or %FALSE: %QI_AUTH_ERROR_EXPIRED,
 *   %QI_AUTH_ERROR_INVALID_TOKEN (which includes a token logged out
 *   already)
 */
gboolean
qi_auth_provider_logout (QiAuthProvider  *self,
                         const char      *token,
                         GError         **error)
{
  QiAuthProviderInterface *iface;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  iface = QI_AUTH_PROVIDER_GET_IFACE (self);
  if (iface->logout == NULL)
    return unsupported (self, _("log out"), error);
  return iface->logout (self, token, error);
}

/**
 * qi_auth_provider_whoami:
 * @self: a #QiAuthProvider
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Returns: (transfer full): `{user, roles, expires_at}` of the session,
 *   with the user as the tracker has it now, or %NULL:
 *   %QI_AUTH_ERROR_EXPIRED, %QI_AUTH_ERROR_INVALID_TOKEN,
 *   %QI_AUTH_ERROR_NO_SUCH_USER
 */
JsonNode *
qi_auth_provider_whoami (QiAuthProvider  *self,
                         const char      *token,
                         GError         **error)
{
  QiAuthProviderInterface *iface;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_AUTH_PROVIDER_GET_IFACE (self);
  if (iface->whoami == NULL)
    {
      unsupported (self, _("tell who is logged in"), error);
      return NULL;
    }
  return iface->whoami (self, token, error);
}
