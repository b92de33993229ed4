/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-token-authority.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_AUTH_ERROR:
 *
 * The error domain of logins and sessions.
 */
#define QI_AUTH_ERROR (qi_auth_error_quark ())

/**
 * QiAuthError:
 * @QI_AUTH_ERROR_BAD_CREDENTIALS: the user is unknown or the secret is
 *   wrong (one message for both)
 * @QI_AUTH_ERROR_EXPIRED: the session's token has expired
 * @QI_AUTH_ERROR_INVALID_TOKEN: the token is not one of this Qi's open
 *   sessions
 * @QI_AUTH_ERROR_NO_SUCH_USER: a named user does not exist
 * @QI_AUTH_ERROR_LOCKED: the user may not log in (inactive)
 * @QI_AUTH_ERROR_INVALID: the credentials or the request are malformed
 * @QI_AUTH_ERROR_WEAK_PASSWORD: a new password is too short
 * @QI_AUTH_ERROR_EXISTS: a user of that name exists
 * @QI_AUTH_ERROR_FAILED: anything else (the tracker cannot be reached)
 * @QI_AUTH_ERROR_UNSUPPORTED: the provider cannot do that
 *
 * Errors of logins and sessions.
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

/**
 * QI_AUTH_PROVIDER_DEFAULT_LIFETIME:
 *
 * How long a session lasts unless the provider is told otherwise: 12
 * hours, in seconds.
 */
#define QI_AUTH_PROVIDER_DEFAULT_LIFETIME (12 * 3600)

#define QI_TYPE_AUTH_PROVIDER (qi_auth_provider_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiAuthProvider, qi_auth_provider, QI, AUTH_PROVIDER, GObject)

/**
 * QiAuthProviderClass:
 * @parent_class: the parent class
 * @check_credentials: in the caller's thread, at once: whether
 *   @credentials have the members the provider needs (%QI_AUTH_ERROR_INVALID
 *   naming them otherwise); the default accepts any
 * @authenticate: in a worker thread: who @credentials prove the user to
 *   be, `{"user": {"id", "username", "full_name", "email"}, "roles":
 *   ["artist", …]}` and any member the provider adds to the session
 *   (ftrack's `server`); the default of @authenticate_async runs it
 * @authenticate_async: the same without a thread, for a provider whose
 *   work is asynchronous already (an HTTP request)
 * @authenticate_finish: finishes @authenticate_async
 * @lookup_user: in a worker thread: the same for a user named by a caller
 *   that checked who they are otherwise (a service token); the default
 *   says %QI_AUTH_ERROR_UNSUPPORTED
 * @find_credentials: the credentials to log in with without asking, from
 *   @envp or a store of the provider's (ftrack's keyring), with in @origin
 *   what a message calls that login (“the ftrack login of
 *   QI_FTRACK_API_USER”), or %NULL with no error when there are none
 * @remember_async: after a login through the hub: keeps what a later run
 *   needs to log in without asking (ftrack's key in the desktop keyring);
 *   the default does nothing
 * @remember_finish: finishes @remember_async: the members to add to the
 *   login's reply (`key_stored`…)
 * @forget: forgets what @remember_async kept; the default does nothing
 *
 * What a login scheme implements. Everything else — tokens, their
 * lifetime, the table of open sessions, refresh, logout, whoami — is the
 * base class's, the same for every provider, as libsoup's #SoupAuth does
 * for its schemes.
 */
struct _QiAuthProviderClass
{
  GObjectClass parent_class;

  gboolean    (*check_credentials)   (QiAuthProvider       *self,
                                      JsonObject           *credentials,
                                      GError              **error);
  JsonNode   *(*authenticate)        (QiAuthProvider       *self,
                                      JsonObject           *credentials,
                                      GCancellable         *cancellable,
                                      GError              **error);
  void        (*authenticate_async)  (QiAuthProvider       *self,
                                      JsonObject           *credentials,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
  JsonNode   *(*authenticate_finish) (QiAuthProvider       *self,
                                      GAsyncResult         *result,
                                      GError              **error);
  JsonNode   *(*lookup_user)         (QiAuthProvider       *self,
                                      const char           *username,
                                      GCancellable         *cancellable,
                                      GError              **error);
  JsonObject *(*find_credentials)    (QiAuthProvider       *self,
                                      const char * const   *envp,
                                      char                **origin,
                                      GError              **error);
  void        (*remember_async)      (QiAuthProvider       *self,
                                      JsonObject           *credentials,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
  JsonObject *(*remember_finish)     (QiAuthProvider       *self,
                                      GAsyncResult         *result,
                                      GError              **error);
  gboolean    (*forget)              (QiAuthProvider       *self,
                                      GError              **error);

  /*< private >*/
  gpointer padding[12];
};

QI_AVAILABLE_IN_ALL
GQuark            qi_auth_error_quark                (void);

QI_AVAILABLE_IN_ALL
const char       *qi_auth_provider_get_name          (QiAuthProvider       *self);
QI_AVAILABLE_IN_ALL
QiTokenAuthority *qi_auth_provider_get_authority     (QiAuthProvider       *self);
QI_AVAILABLE_IN_ALL
void              qi_auth_provider_set_authority     (QiAuthProvider       *self,
                                                      QiTokenAuthority     *authority);
QI_AVAILABLE_IN_ALL
guint             qi_auth_provider_get_lifetime      (QiAuthProvider       *self);
QI_AVAILABLE_IN_ALL
void              qi_auth_provider_set_lifetime      (QiAuthProvider       *self,
                                                      guint                 lifetime_s);

QI_AVAILABLE_IN_ALL
void              qi_auth_provider_login_async       (QiAuthProvider       *self,
                                                      JsonObject           *credentials,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_provider_login_finish      (QiAuthProvider       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_provider_login             (QiAuthProvider       *self,
                                                      JsonObject           *credentials,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
void              qi_auth_provider_open_session_async  (QiAuthProvider     *self,
                                                        const char         *username,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_provider_open_session_finish (QiAuthProvider     *self,
                                                        GAsyncResult       *result,
                                                        GError            **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_provider_open_session      (QiAuthProvider       *self,
                                                      const char           *username,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_provider_refresh           (QiAuthProvider       *self,
                                                      const char           *token,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_auth_provider_logout            (QiAuthProvider       *self,
                                                      const char           *token,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_auth_provider_whoami            (QiAuthProvider       *self,
                                                      const char           *token,
                                                      GError              **error);

QI_AVAILABLE_IN_ALL
gboolean          qi_auth_provider_check_credentials (QiAuthProvider       *self,
                                                      JsonObject           *credentials,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
JsonObject       *qi_auth_provider_find_credentials  (QiAuthProvider       *self,
                                                      const char * const   *envp,
                                                      char                **origin,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
void              qi_auth_provider_remember_async    (QiAuthProvider       *self,
                                                      JsonObject           *credentials,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonObject       *qi_auth_provider_remember_finish   (QiAuthProvider       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_auth_provider_forget            (QiAuthProvider       *self,
                                                      GError              **error);

G_END_DECLS
