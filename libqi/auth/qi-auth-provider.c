/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-auth-provider.h"
#include "qi-auth-session-table-private.h"
#include "qi-json-reader-private.h"

/**
 * QiAuthProvider:
 *
 * Who the user is: the base class of login schemes (the role `auth` of a
 * provider addon; `addons/tracker-sqlite` has the embedded tracker's users
 * and passwords, `addons/tracker-ftrack` ftrack's API keys).
 *
 * A scheme implements #QiAuthProviderClass.authenticate (or its async
 * pair): from credentials to the user and their roles. The base class does
 * the rest, the same for every scheme:
 *
 * - qi_auth_provider_login_async() checks the credentials' shape, runs
 *   the scheme's check in a worker thread (a password hash, an HTTP
 *   request: never on the caller's main loop), then opens a session: a
 *   token of the provider's #QiTokenAuthority (scopes `hub` and `api`,
 *   subject `user/NAME`, for #QiAuthProvider:lifetime seconds) recorded in
 *   the provider's one table of open sessions, by the SHA-256 of the
 *   token. The session is `{token, user, roles, expires_at, provider}`
 *   with what the scheme added.
 * - qi_auth_provider_refresh() replaces a session's token with one of a
 *   new lifetime; qi_auth_provider_logout() ends it; a token that has
 *   ended or expired is refused. qi_auth_provider_whoami() says whose a
 *   token is. None of them asks the scheme again: the user was read at
 *   login. They take no time and run in the caller's thread.
 *
 * Sessions live in the process: they end with it (a run's authority has a
 * key of its own).
 */

typedef struct
{
  char               *name;
  QiTokenAuthority   *authority;
  guint               lifetime;
  GMutex              lock;       /* around sessions */
  QiAuthSessionTable *sessions;   /* a session's data: the scheme's JsonNode */
} QiAuthProviderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (QiAuthProvider, qi_auth_provider, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-auth-error-quark, qi_auth_error)

enum {
  PROP_0,
  PROP_NAME,
  PROP_AUTHORITY,
  PROP_LIFETIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The default of authenticate_async: authenticate in a thread. */

static void
run_authenticate (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  QiAuthProvider *self = source_object;
  GError *error = NULL;
  JsonNode *described = QI_AUTH_PROVIDER_GET_CLASS (self)->authenticate (self, task_data, cancellable, &error);

  if (described == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, described, (GDestroyNotify) json_node_unref);
}

static void
qi_auth_provider_real_authenticate_async (QiAuthProvider      *self,
                                          JsonObject          *credentials,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, qi_auth_provider_real_authenticate_async);
  if (QI_AUTH_PROVIDER_GET_CLASS (self)->authenticate == NULL)
    {
      g_task_return_new_error (task, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
                               _("the auth provider %s cannot check credentials"), G_OBJECT_TYPE_NAME (self));
      return;
    }
  g_task_set_task_data (task, json_object_ref (credentials), (GDestroyNotify) json_object_unref);
  g_task_run_in_thread (task, run_authenticate);
}

static JsonNode *
qi_auth_provider_real_authenticate_finish (QiAuthProvider  *self,
                                           GAsyncResult    *result,
                                           GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
qi_auth_provider_real_check_credentials (QiAuthProvider  *self,
                                         JsonObject      *credentials,
                                         GError         **error)
{
  return TRUE;
}

static JsonNode *
qi_auth_provider_real_lookup_user (QiAuthProvider  *self,
                                   const char      *username,
                                   GCancellable    *cancellable,
                                   GError         **error)
{
  g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
               _("the auth provider “%s” cannot open a session for a user without their credentials"),
               qi_auth_provider_get_name (self));
  return NULL;
}

static JsonObject *
qi_auth_provider_real_find_credentials (QiAuthProvider      *self,
                                        const char * const  *envp,
                                        char               **origin,
                                        GError             **error)
{
  return NULL;
}

static void
qi_auth_provider_real_remember_async (QiAuthProvider      *self,
                                      JsonObject          *credentials,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, qi_auth_provider_real_remember_async);
  g_task_return_pointer (task, json_object_new (), (GDestroyNotify) json_object_unref);
}

static JsonObject *
qi_auth_provider_real_remember_finish (QiAuthProvider  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
qi_auth_provider_real_forget (QiAuthProvider  *self,
                              GError         **error)
{
  return TRUE;
}

/* GObject. */

static void
qi_auth_provider_finalize (GObject *object)
{
  QiAuthProviderPrivate *priv = qi_auth_provider_get_instance_private (QI_AUTH_PROVIDER (object));

  g_clear_pointer (&priv->sessions, qi_auth_session_table_free);
  g_clear_object (&priv->authority);
  g_free (priv->name);
  g_mutex_clear (&priv->lock);

  G_OBJECT_CLASS (qi_auth_provider_parent_class)->finalize (object);
}

static void
qi_auth_provider_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  QiAuthProvider *self = QI_AUTH_PROVIDER (object);
  QiAuthProviderPrivate *priv = qi_auth_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_AUTHORITY:
      g_value_set_object (value, priv->authority);
      break;
    case PROP_LIFETIME:
      g_value_set_uint (value, priv->lifetime);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_auth_provider_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  QiAuthProvider *self = QI_AUTH_PROVIDER (object);
  QiAuthProviderPrivate *priv = qi_auth_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;
    case PROP_AUTHORITY:
      qi_auth_provider_set_authority (self, g_value_get_object (value));
      break;
    case PROP_LIFETIME:
      qi_auth_provider_set_lifetime (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_auth_provider_class_init (QiAuthProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_auth_provider_finalize;
  object_class->get_property = qi_auth_provider_get_property;
  object_class->set_property = qi_auth_provider_set_property;

  klass->check_credentials = qi_auth_provider_real_check_credentials;
  klass->authenticate_async = qi_auth_provider_real_authenticate_async;
  klass->authenticate_finish = qi_auth_provider_real_authenticate_finish;
  klass->lookup_user = qi_auth_provider_real_lookup_user;
  klass->find_credentials = qi_auth_provider_real_find_credentials;
  klass->remember_async = qi_auth_provider_real_remember_async;
  klass->remember_finish = qi_auth_provider_real_remember_finish;
  klass->forget = qi_auth_provider_real_forget;

  /**
   * QiAuthProvider:name:
   *
   * The scheme's name, as sessions carry it (`provider`): `local`,
   * `ftrack`.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAuthProvider:authority:
   *
   * The authority that signs and checks the sessions' tokens; the `auth`
   * service gives the run's to its provider. Changing it ends every open
   * session.
   */
  properties[PROP_AUTHORITY] =
    g_param_spec_object ("authority", NULL, NULL, QI_TYPE_TOKEN_AUTHORITY,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAuthProvider:lifetime:
   *
   * How long a session lasts from its login or refresh, in seconds.
   */
  properties[PROP_LIFETIME] =
    g_param_spec_uint ("lifetime", NULL, NULL, 1, G_MAXINT32, QI_AUTH_PROVIDER_DEFAULT_LIFETIME,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_auth_provider_init (QiAuthProvider *self)
{
  QiAuthProviderPrivate *priv = qi_auth_provider_get_instance_private (self);

  g_mutex_init (&priv->lock);
  priv->lifetime = QI_AUTH_PROVIDER_DEFAULT_LIFETIME;
}

/* Properties. */

/**
 * qi_auth_provider_get_name:
 * @self: a #QiAuthProvider
 *
 * Returns: (transfer none): the scheme's name, such as `local`
 */
const char *
qi_auth_provider_get_name (QiAuthProvider *self)
{
  QiAuthProviderPrivate *priv;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);

  priv = qi_auth_provider_get_instance_private (self);
  return priv->name != NULL ? priv->name : G_OBJECT_TYPE_NAME (self);
}

/**
 * qi_auth_provider_get_authority:
 * @self: a #QiAuthProvider
 *
 * Returns: (transfer none) (nullable): the authority of its tokens
 */
QiTokenAuthority *
qi_auth_provider_get_authority (QiAuthProvider *self)
{
  QiAuthProviderPrivate *priv;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);

  priv = qi_auth_provider_get_instance_private (self);
  return priv->authority;
}

/**
 * qi_auth_provider_set_authority:
 * @self: a #QiAuthProvider
 * @authority: (nullable): the authority of its tokens
 *
 * Sets the authority that signs the sessions' tokens; the open sessions
 * end.
 */
void
qi_auth_provider_set_authority (QiAuthProvider   *self,
                                QiTokenAuthority *authority)
{
  QiAuthProviderPrivate *priv;

  g_return_if_fail (QI_IS_AUTH_PROVIDER (self));
  g_return_if_fail (authority == NULL || QI_IS_TOKEN_AUTHORITY (authority));

  priv = qi_auth_provider_get_instance_private (self);
  if (priv->authority == authority)
    return;
  g_mutex_lock (&priv->lock);
  g_set_object (&priv->authority, authority);
  g_clear_pointer (&priv->sessions, qi_auth_session_table_free);
  if (authority != NULL)
    priv->sessions = qi_auth_session_table_new (authority, (GDestroyNotify) json_node_unref);
  g_mutex_unlock (&priv->lock);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTHORITY]);
}

/**
 * qi_auth_provider_get_lifetime:
 * @self: a #QiAuthProvider
 *
 * Returns: how long a session lasts, in seconds
 */
guint
qi_auth_provider_get_lifetime (QiAuthProvider *self)
{
  QiAuthProviderPrivate *priv;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), 0);

  priv = qi_auth_provider_get_instance_private (self);
  return priv->lifetime;
}

/**
 * qi_auth_provider_set_lifetime:
 * @self: a #QiAuthProvider
 * @lifetime_s: how long the sessions opened from now on last, in seconds
 *   (at least 1)
 */
void
qi_auth_provider_set_lifetime (QiAuthProvider *self,
                               guint           lifetime_s)
{
  QiAuthProviderPrivate *priv;

  g_return_if_fail (QI_IS_AUTH_PROVIDER (self));
  g_return_if_fail (lifetime_s >= 1);

  priv = qi_auth_provider_get_instance_private (self);
  if (priv->lifetime == lifetime_s)
    return;
  priv->lifetime = lifetime_s;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIFETIME]);
}

/* Sessions. */

/* {user, roles, expires_at, provider, …} of a session, a new copy. */
static JsonNode *
describe (QiAuthProvider *self,
          QiAuthSession  *session)
{
  JsonNode *node = qi_json_node_deep_copy (session->data);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (session->expires_at);
  g_autofree char *text = g_date_time_format_iso8601 (when);
  JsonObject *object = json_node_get_object (node);

  json_object_set_string_member (object, "expires_at", text);
  json_object_set_string_member (object, "provider", qi_auth_provider_get_name (self));
  return node;
}

static gboolean
no_authority (QiAuthProvider  *self,
              GError         **error)
{
  g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
               _("the auth provider “%s” has no token authority: it is not the auth service's"),
               qi_auth_provider_get_name (self));
  return FALSE;
}

/* Checks what a scheme said of the user, then opens a session for them. */
static JsonNode *
open_session (QiAuthProvider  *self,
              JsonNode        *described,
              GError         **error)
{
  QiAuthProviderPrivate *priv = qi_auth_provider_get_instance_private (self);
  JsonObject *object = described != NULL && JSON_NODE_HOLDS_OBJECT (described) ? json_node_get_object (described) : NULL;
  JsonNode *user = object != NULL ? json_object_get_member (object, "user") : NULL;
  JsonNode *roles = object != NULL ? json_object_get_member (object, "roles") : NULL;
  const char *username = NULL;
  g_autofree char *token = NULL;
  QiAuthSession *session;
  JsonNode *reply;

  if (user != NULL && JSON_NODE_HOLDS_OBJECT (user))
    username = json_object_get_string_member_with_default (json_node_get_object (user), "username", NULL);
  if (username == NULL || *username == '\0' || roles == NULL || !JSON_NODE_HOLDS_ARRAY (roles))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
                   _("the auth provider %s did not say who the user is ({user: {username}, roles: [...]}): "
                     "a bug of the provider"), G_OBJECT_TYPE_NAME (self));
      return NULL;
    }
  g_mutex_lock (&priv->lock);
  if (priv->sessions == NULL)
    {
      g_mutex_unlock (&priv->lock);
      no_authority (self, error);
      return NULL;
    }
  qi_auth_session_table_purge_expired (priv->sessions);
  session = qi_auth_session_table_open (priv->sessions, username, priv->lifetime,
                                        qi_json_node_deep_copy (described), &token, error);
  reply = session != NULL ? describe (self, session) : NULL;
  g_mutex_unlock (&priv->lock);
  if (reply != NULL)
    json_object_set_string_member (json_node_get_object (reply), "token", token);
  return reply;
}

static void
on_authenticated (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QiAuthProvider *self = QI_AUTH_PROVIDER (source);
  GError *error = NULL;
  g_autoptr(JsonNode) described = QI_AUTH_PROVIDER_GET_CLASS (self)->authenticate_finish (self, result, &error);
  JsonNode *session;

  if (described == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  session = open_session (self, described, &error);
  if (session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) json_node_unref);
}

/**
 * qi_auth_provider_login_async:
 * @self: a #QiAuthProvider
 * @credentials: what the scheme needs: `{username, password}` for the
 *   local users, `{server, api_user, api_key}` for ftrack
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the session
 * @user_data: data for @callback
 *
 * Checks @credentials without blocking the caller (the scheme's check runs
 * in a worker thread or asynchronously) and opens a session.
 */
void
qi_auth_provider_login_async (QiAuthProvider      *self,
                              JsonObject          *credentials,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  QiAuthProviderPrivate *priv;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (QI_IS_AUTH_PROVIDER (self));
  g_return_if_fail (credentials != NULL);

  priv = qi_auth_provider_get_instance_private (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_auth_provider_login_async);
  if (priv->authority == NULL && !no_authority (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!qi_auth_provider_check_credentials (self, credentials, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  QI_AUTH_PROVIDER_GET_CLASS (self)->authenticate_async (self, credentials, cancellable, on_authenticated,
                                                         g_steal_pointer (&task));
}

/**
 * qi_auth_provider_login_finish:
 * @self: a #QiAuthProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session `{token, user, roles, expires_at,
 *   provider}` (and what the scheme adds), or %NULL:
 *   %QI_AUTH_ERROR_BAD_CREDENTIALS (one message for an unknown user and a
 *   wrong secret), %QI_AUTH_ERROR_LOCKED, %QI_AUTH_ERROR_INVALID (the
 *   credentials' shape), %QI_AUTH_ERROR_FAILED
 */
JsonNode *
qi_auth_provider_login_finish (QiAuthProvider  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_sync_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs the thread-default main context until *@result is set. */
static void
wait_for (GAsyncResult **result)
{
  GMainContext *context = g_main_context_ref_thread_default ();

  while (*result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_unref (context);
}

/**
 * qi_auth_provider_login:
 * @self: a #QiAuthProvider
 * @credentials: see qi_auth_provider_login_async()
 * @error: return location for a #GError
 *
 * Logs in, running the thread-default main context until the scheme has
 * answered (for command-line verbs and the bootstrap).
 *
 * Returns: (transfer full): the session, or %NULL (see
 *   qi_auth_provider_login_finish())
 */
JsonNode *
qi_auth_provider_login (QiAuthProvider  *self,
                        JsonObject      *credentials,
                        GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (credentials != NULL, NULL);

  qi_auth_provider_login_async (self, credentials, NULL, on_sync_done, &result);
  wait_for (&result);
  return qi_auth_provider_login_finish (self, result, error);
}

static void
run_lookup (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  QiAuthProvider *self = source_object;
  GError *error = NULL;
  g_autoptr(JsonNode) described = QI_AUTH_PROVIDER_GET_CLASS (self)->lookup_user (self, task_data, cancellable,
                                                                                  &error);

  if (described == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&described), (GDestroyNotify) json_node_unref);
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) described = g_task_propagate_pointer (G_TASK (result), &error);
  JsonNode *session = described != NULL ? open_session (QI_AUTH_PROVIDER (source), described, &error) : NULL;

  if (session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) json_node_unref);
}

/**
 * qi_auth_provider_open_session_async:
 * @self: a #QiAuthProvider
 * @username: who the session is for
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the session
 * @user_data: data for @callback
 *
 * Opens a session for @username without their credentials, for a caller
 * that checked who they are otherwise (a service token, see
 * docs/protocol.md). The scheme looks the user up in a worker thread.
 */
void
qi_auth_provider_open_session_async (QiAuthProvider      *self,
                                     const char          *username,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) worker = NULL;

  g_return_if_fail (QI_IS_AUTH_PROVIDER (self));
  g_return_if_fail (username != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, qi_auth_provider_open_session_async);
  worker = g_task_new (self, cancellable, on_looked_up, g_steal_pointer (&outer));
  g_task_set_task_data (worker, g_strdup (username), g_free);
  g_task_run_in_thread (worker, run_lookup);
}

/**
 * qi_auth_provider_open_session_finish:
 * @self: a #QiAuthProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session, or %NULL:
 *   %QI_AUTH_ERROR_NO_SUCH_USER, %QI_AUTH_ERROR_UNSUPPORTED (a scheme
 *   that cannot), %QI_AUTH_ERROR_FAILED
 */
JsonNode *
qi_auth_provider_open_session_finish (QiAuthProvider  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_auth_provider_open_session:
 * @self: a #QiAuthProvider
 * @username: who the session is for
 * @error: return location for a #GError
 *
 * qi_auth_provider_open_session_async(), waiting for it in the
 * thread-default main context.
 *
 * Returns: (transfer full): the session, or %NULL
 */
JsonNode *
qi_auth_provider_open_session (QiAuthProvider  *self,
                               const char      *username,
                               GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  qi_auth_provider_open_session_async (self, username, NULL, on_sync_done, &result);
  wait_for (&result);
  return qi_auth_provider_open_session_finish (self, result, error);
}

/* The session of @token, checked; with the lock held. */
static QiAuthSession *
find_session (QiAuthProvider  *self,
              const char      *token,
              GError         **error)
{
  QiAuthProviderPrivate *priv = qi_auth_provider_get_instance_private (self);

  if (priv->sessions == NULL)
    {
      no_authority (self, error);
      return NULL;
    }
  return qi_auth_session_table_find (priv->sessions, token, error);
}

/**
 * qi_auth_provider_refresh:
 * @self: a #QiAuthProvider
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Replaces the session of @token with one of a new token and lifetime,
 * for the same user; @token ends.
 *
 * Returns: (transfer full): the new session, or %NULL:
 *   %QI_AUTH_ERROR_EXPIRED, %QI_AUTH_ERROR_INVALID_TOKEN
 */
JsonNode *
qi_auth_provider_refresh (QiAuthProvider  *self,
                          const char      *token,
                          GError         **error)
{
  QiAuthProviderPrivate *priv;
  g_autoptr(JsonNode) described = NULL;
  g_autofree char *old = NULL;
  QiAuthSession *session;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  priv = qi_auth_provider_get_instance_private (self);
  old = g_strdup (token);
  g_mutex_lock (&priv->lock);
  session = find_session (self, old, error);
  if (session != NULL)
    {
      described = json_node_ref (session->data);
      qi_auth_session_table_forget (priv->sessions, old);
    }
  g_mutex_unlock (&priv->lock);
  return described != NULL ? open_session (self, described, error) : NULL;
}

/**
 * qi_auth_provider_logout:
 * @self: a #QiAuthProvider
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Ends the session of @token: the token is refused from now on.
 *
 * Returns: %TRUE, or %FALSE: %QI_AUTH_ERROR_EXPIRED,
 *   %QI_AUTH_ERROR_INVALID_TOKEN
 */
gboolean
qi_auth_provider_logout (QiAuthProvider  *self,
                         const char      *token,
                         GError         **error)
{
  QiAuthProviderPrivate *priv;
  g_autofree char *old = NULL;
  gboolean found;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  priv = qi_auth_provider_get_instance_private (self);
  old = g_strdup (token);
  g_mutex_lock (&priv->lock);
  found = find_session (self, old, error) != NULL;
  if (found)
    qi_auth_session_table_forget (priv->sessions, old);
  g_mutex_unlock (&priv->lock);
  return found;
}

/**
 * qi_auth_provider_whoami:
 * @self: a #QiAuthProvider
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Returns: (transfer full): `{user, roles, expires_at, provider}` of the
 *   session of @token, or %NULL: %QI_AUTH_ERROR_EXPIRED,
 *   %QI_AUTH_ERROR_INVALID_TOKEN
 */
JsonNode *
qi_auth_provider_whoami (QiAuthProvider  *self,
                         const char      *token,
                         GError         **error)
{
  QiAuthProviderPrivate *priv;
  QiAuthSession *session;
  JsonNode *reply = NULL;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  priv = qi_auth_provider_get_instance_private (self);
  g_mutex_lock (&priv->lock);
  session = find_session (self, token, error);
  if (session != NULL)
    reply = describe (self, session);
  g_mutex_unlock (&priv->lock);
  return reply;
}

/* What the scheme does beside the session. */

/**
 * qi_auth_provider_check_credentials:
 * @self: a #QiAuthProvider
 * @credentials: credentials for a login
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @credentials have what the scheme needs, or %FALSE
 *   with %QI_AUTH_ERROR_INVALID naming what is missing
 */
gboolean
qi_auth_provider_check_credentials (QiAuthProvider  *self,
                                    JsonObject      *credentials,
                                    GError         **error)
{
  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), FALSE);
  g_return_val_if_fail (credentials != NULL, FALSE);

  return QI_AUTH_PROVIDER_GET_CLASS (self)->check_credentials (self, credentials, error);
}

/**
 * qi_auth_provider_find_credentials:
 * @self: a #QiAuthProvider
 * @envp: (array zero-terminated=1): the environment
 * @origin: (out) (transfer full) (optional) (nullable): what a message calls
 *   that login, such as “the ftrack login of QI_FTRACK_API_USER”
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the credentials to log the run in
 *   with without asking (bootstrap phase 2), or %NULL: none (no error), or
 *   a problem with what was found (@error names it)
 */
JsonObject *
qi_auth_provider_find_credentials (QiAuthProvider      *self,
                                   const char * const  *envp,
                                   char               **origin,
                                   GError             **error)
{
  g_autofree char *said = NULL;
  JsonObject *credentials;

  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (envp != NULL, NULL);

  credentials = QI_AUTH_PROVIDER_GET_CLASS (self)->find_credentials (self, envp, &said, error);
  if (origin != NULL)
    *origin = credentials != NULL && said == NULL ? g_strdup (_("the login from the environment"))
                                                  : g_steal_pointer (&said);
  return credentials;
}

/**
 * qi_auth_provider_remember_async:
 * @self: a #QiAuthProvider
 * @credentials: the credentials of a login that worked
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Keeps what a later run needs to log in without asking, where the scheme
 * keeps it (ftrack's key in the desktop keyring).
 */
void
qi_auth_provider_remember_async (QiAuthProvider      *self,
                                 JsonObject          *credentials,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (QI_IS_AUTH_PROVIDER (self));
  g_return_if_fail (credentials != NULL);

  QI_AUTH_PROVIDER_GET_CLASS (self)->remember_async (self, credentials, cancellable, callback, user_data);
}

/**
 * qi_auth_provider_remember_finish:
 * @self: a #QiAuthProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the members to add to the login's reply
 *   (`key_stored`, and `key_not_stored` with the reason), or %NULL with
 *   @error
 */
JsonObject *
qi_auth_provider_remember_finish (QiAuthProvider  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), NULL);

  return QI_AUTH_PROVIDER_GET_CLASS (self)->remember_finish (self, result, error);
}

/**
 * qi_auth_provider_forget:
 * @self: a #QiAuthProvider
 * @error: return location for a #GError
 *
 * Forgets what qi_auth_provider_remember_async() kept.
 *
 * Returns: %TRUE, or %FALSE with @error
 */
gboolean
qi_auth_provider_forget (QiAuthProvider  *self,
                         GError         **error)
{
  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (self), FALSE);

  return QI_AUTH_PROVIDER_GET_CLASS (self)->forget (self, error);
}
