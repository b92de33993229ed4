/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-auth-session-table-private.h"
#include "qi-ftrack-auth-provider.h"
#include "qi-ftrack-session.h"
#include "qi-json-reader-private.h"

/**
 * QiFtrackAuthProvider:
 *
 * The #QiAuthProvider of an ftrack server: the credentials are `server`
 * (its https:// address), `api_user` (an ftrack user name) and `api_key`
 * (that user's API key, or a server's API key that may act as the user).
 *
 * A login sends one request, `POST {server}/api` with the headers
 * `ftrack-user` and `ftrack-api-key` and two operations:
 * `query_server_information` (the answer must carry ftrack's
 * `schema_hash`, else the address is not an ftrack server) and a query
 * of the #User whose `username` is the API user, with its security roles.
 * The user maps to Qi's `{id, username, full_name, email}` (`id` is
 * ftrack's, `full_name` is `first_name last_name`); every user gets the
 * role `artist`, and one who holds ftrack's security role
 * %QI_FTRACK_AUTH_PROVIDER_ADMIN_ROLE gets `admin` too. A user ftrack
 * marks inactive (`is_active` false) is refused with
 * %QI_AUTH_ERROR_LOCKED.
 *
 * Each failure is one sentence: a refused key (401, 403),
 * a server that cannot be reached or does not answer in
 * #QiFtrackAuthProvider:timeout seconds, an answer that is not ftrack's,
 * a user ftrack does not know.
 *
 * The session is Qi's: a token of the provider's #QiTokenAuthority
 * (scopes `hub` and `api`, subject `user/NAME`), kept in memory like the
 * local provider's. Refreshing and whoami do not call ftrack again: an
 * API key does not expire, and the user was read at login.
 */

#define CONNECT_HINT _("check the address (such as https://studio.ftrackapp.com) and the network")

struct _QiFtrackAuthProvider
{
  GObject             parent_instance;

  QiTokenAuthority   *authority;
  guint               lifetime;
  guint               timeout;
  guint               max_attempts;
  QiAuthSessionTable *sessions;   /* a session's data: {user, roles, server} */
};

static void qi_ftrack_auth_provider_iface_init (QiAuthProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QiFtrackAuthProvider, qi_ftrack_auth_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QI_TYPE_AUTH_PROVIDER, qi_ftrack_auth_provider_iface_init))

enum {
  PROP_0,
  PROP_AUTHORITY,
  PROP_LIFETIME,
  PROP_TIMEOUT,
  PROP_MAX_ATTEMPTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
text_member (JsonObject *object,
             const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Sessions. */

/* {user, roles, server, expires_at}: the session without its token. */
static JsonNode *
describe (QiAuthSession *session)
{
  /* a deep copy: the caller may change it */
  JsonNode *node = qi_json_node_deep_copy (session->data);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (session->expires_at);
  g_autofree char *text = g_date_time_format_iso8601 (when);

  json_object_set_string_member (json_node_get_object (node), "expires_at", text);
  return node;
}

static JsonNode *
open_session (QiFtrackAuthProvider  *self,
              JsonNode              *described,
              GError               **error)
{
  JsonObject *user = json_object_get_object_member (json_node_get_object (described), "user");
  const char *username = json_object_get_string_member (user, "username");
  g_autofree char *token = NULL;
  QiAuthSession *session;
  JsonNode *reply;

  session = qi_auth_session_table_open (self->sessions, username, self->lifetime, json_node_ref (described),
                                        &token, error);
  if (session == NULL)
    return NULL;
  reply = describe (session);
  json_object_set_string_member (json_node_get_object (reply), "token", token);
  return reply;
}

/* Login. */

typedef struct
{
  QiFtrackSession *ftrack;
  char            *api_user;
} Login;

static void
login_free (gpointer data)
{
  Login *login = data;

  g_clear_object (&login->ftrack);
  g_free (login->api_user);
  g_free (login);
}

/* One sentence for what went wrong talking to ftrack. */
static GError *
auth_error (QiFtrackSession *ftrack,
            GError          *error)
{
  const char *server = qi_ftrack_session_get_server (ftrack);

  if (g_error_matches (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_AUTH))
    return g_error_new_literal (QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS, error->message);
  if (g_error_matches (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL) ||
      g_error_matches (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_QUERY))
    return g_error_new (QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
                        _("%s does not answer as an ftrack server does (%s): %s"), server, error->message,
                        CONNECT_HINT);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  return g_error_new (QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, _("%s; %s"), error->message, CONNECT_HINT);
}

/* {user, roles, server} from the answer to the login request. */
static JsonNode *
read_user (QiFtrackSession  *ftrack,
           const char       *api_user,
           JsonNode         *results,
           GError          **error)
{
  const char *server = qi_ftrack_session_get_server (ftrack);
  JsonArray *array = json_node_get_array (results);
  JsonNode *info_node = json_array_get_length (array) == 2 ? json_array_get_element (array, 0) : NULL;
  JsonNode *query_node = info_node != NULL ? json_array_get_element (array, 1) : NULL;
  JsonObject *info = info_node != NULL && JSON_NODE_HOLDS_OBJECT (info_node) ? json_node_get_object (info_node) : NULL;
  JsonObject *query = query_node != NULL && JSON_NODE_HOLDS_OBJECT (query_node) ? json_node_get_object (query_node) : NULL;
  JsonNode *data = query != NULL ? json_object_get_member (query, "data") : NULL;
  JsonObject *found;
  JsonObject *user;
  JsonArray *roles;
  g_autoptr(JsonObject) described = NULL;
  JsonNode *links;
  gboolean admin = FALSE;
  const char *first;
  const char *last;
  g_autofree char *full_name = NULL;

  if (info == NULL || text_member (info, "schema_hash") == NULL || query == NULL || data == NULL ||
      !JSON_NODE_HOLDS_ARRAY (data))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
                   _("%s does not answer as an ftrack server does (no server information or no user query "
                     "result): %s"), server, CONNECT_HINT);
      return NULL;
    }
  if (json_array_get_length (json_node_get_array (data)) == 0 ||
      !JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (data), 0)))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS,
                   _("ftrack at %s took the API key but has no user “%s”: give the user name the key is for"),
                   server, api_user);
      return NULL;
    }
  found = json_array_get_object_element (json_node_get_array (data), 0);
  if (json_object_has_member (found, "is_active") && !json_object_get_boolean_member (found, "is_active"))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_LOCKED,
                   _("the ftrack user “%s” at %s is not active: ask an ftrack administrator"), api_user, server);
      return NULL;
    }

  user = json_object_new ();
  json_object_set_string_member (user, "id", text_member (found, "id") != NULL ? text_member (found, "id") : "");
  json_object_set_string_member (user, "username", text_member (found, "username") != NULL
                                                   ? text_member (found, "username") : api_user);
  first = text_member (found, "first_name");
  last = text_member (found, "last_name");
  full_name = g_strstrip (g_strdup_printf ("%s %s", first != NULL ? first : "", last != NULL ? last : ""));
  json_object_set_string_member (user, "full_name", *full_name != '\0' ? full_name
                                                    : json_object_get_string_member (user, "username"));
  if (text_member (found, "email") != NULL)
    json_object_set_string_member (user, "email", text_member (found, "email"));
  else
    json_object_set_null_member (user, "email");

  links = json_object_get_member (found, "user_security_roles");
  if (links != NULL && JSON_NODE_HOLDS_ARRAY (links))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (links)); i++)
      {
        JsonNode *link = json_array_get_element (json_node_get_array (links), i);
        JsonNode *role = JSON_NODE_HOLDS_OBJECT (link)
                         ? json_object_get_member (json_node_get_object (link), "security_role") : NULL;

        if (role != NULL && JSON_NODE_HOLDS_OBJECT (role) &&
            g_strcmp0 (text_member (json_node_get_object (role), "name"), QI_FTRACK_AUTH_PROVIDER_ADMIN_ROLE) == 0)
          admin = TRUE;
      }
  roles = json_array_new ();
  json_array_add_string_element (roles, "artist");
  if (admin)
    json_array_add_string_element (roles, "admin");

  described = json_object_new ();
  json_object_set_object_member (described, "user", user);
  json_object_set_array_member (described, "roles", roles);
  json_object_set_string_member (described, "server", server);
  return json_node_init_object (json_node_alloc (), described);
}

static void
on_login_called (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QiFtrackAuthProvider *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) results = qi_ftrack_session_call_finish (QI_FTRACK_SESSION (source), result, &error);
  g_autoptr(JsonNode) described = NULL;
  JsonNode *session;

  if (results == NULL)
    {
      g_task_return_error (task, auth_error (login->ftrack, error));
      return;
    }
  described = read_user (login->ftrack, login->api_user, results, &error);
  if (described == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  qi_auth_session_table_purge_expired (self->sessions);
  session = open_session (self, described, &error);
  if (session == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, session, (GDestroyNotify) json_node_unref);
}

static void
ftrack_login_async (QiAuthProvider      *provider,
                    JsonObject          *credentials,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *server = text_member (credentials, "server");
  const char *api_user = text_member (credentials, "api_user");
  const char *api_key = text_member (credentials, "api_key");
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) operations = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  Login *login;

  g_task_set_source_tag (task, ftrack_login_async);
  if (server == NULL || api_user == NULL || api_key == NULL)
    {
      g_task_return_new_error (task, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                               _("the ftrack credentials need “server”, “api_user” and “api_key”, as strings"));
      return;
    }
  login = g_new0 (Login, 1);
  g_task_set_task_data (task, login, login_free);
  login->ftrack = qi_ftrack_session_new (server, api_user, api_key, &error);
  if (login->ftrack == NULL)
    {
      g_task_return_new_error (task, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID, "%s", error->message);
      return;
    }
  login->api_user = g_strdup (api_user);
  g_object_set (login->ftrack, "timeout", self->timeout, "max-attempts", self->max_attempts, NULL);

  quoted = qi_ftrack_quote (api_user);
  expression = g_strdup_printf ("select id, username, first_name, last_name, email, is_active, "
                                "user_security_roles.security_role.name from User where username is %s",
                                quoted);
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, "query_server_information");
  json_builder_end_object (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, "query");
  json_builder_set_member_name (builder, "expression");
  json_builder_add_string_value (builder, expression);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  operations = json_builder_get_root (builder);

  qi_ftrack_session_call_async (login->ftrack, operations, cancellable, on_login_called,
                                g_steal_pointer (&task));
}

static JsonNode *
ftrack_login_finish (QiAuthProvider  *provider,
                     GAsyncResult    *result,
                     GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_sync_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Blocks, running the thread-default main context until ftrack answers. */
static JsonNode *
ftrack_login (QiAuthProvider  *provider,
              JsonObject      *credentials,
              GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  ftrack_login_async (provider, credentials, NULL, on_sync_done, &result);
  while (result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  return ftrack_login_finish (provider, result, error);
}

static JsonNode *
ftrack_refresh (QiAuthProvider  *provider,
                const char      *token,
                GError         **error)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (provider);
  g_autoptr(JsonNode) described = NULL;
  QiAuthSession *session = qi_auth_session_table_find (self->sessions, token, error);

  if (session == NULL)
    return NULL;
  /* the user read at login goes on into the new session */
  described = json_node_ref (session->data);
  qi_auth_session_table_forget (self->sessions, token);
  return open_session (self, described, error);
}

static gboolean
ftrack_logout (QiAuthProvider  *provider,
               const char      *token,
               GError         **error)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (provider);

  if (qi_auth_session_table_find (self->sessions, token, error) == NULL)
    return FALSE;
  qi_auth_session_table_forget (self->sessions, token);
  return TRUE;
}

static JsonNode *
ftrack_whoami (QiAuthProvider  *provider,
               const char      *token,
               GError         **error)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (provider);
  QiAuthSession *session = qi_auth_session_table_find (self->sessions, token, error);

  return session != NULL ? describe (session) : NULL;
}

static void
qi_ftrack_auth_provider_iface_init (QiAuthProviderInterface *iface)
{
  iface->login = ftrack_login;
  iface->login_async = ftrack_login_async;
  iface->login_finish = ftrack_login_finish;
  iface->refresh = ftrack_refresh;
  iface->logout = ftrack_logout;
  iface->whoami = ftrack_whoami;
}

/* GObject. */

static void
qi_ftrack_auth_provider_constructed (GObject *object)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (object);

  G_OBJECT_CLASS (qi_ftrack_auth_provider_parent_class)->constructed (object);

  /* here and not in init: the table needs the construct-only authority */
  self->sessions = qi_auth_session_table_new (self->authority, (GDestroyNotify) json_node_unref);
}

static void
qi_ftrack_auth_provider_dispose (GObject *object)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (object);

  g_clear_object (&self->authority);

  G_OBJECT_CLASS (qi_ftrack_auth_provider_parent_class)->dispose (object);
}

static void
qi_ftrack_auth_provider_finalize (GObject *object)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (object);

  g_clear_pointer (&self->sessions, qi_auth_session_table_free);

  G_OBJECT_CLASS (qi_ftrack_auth_provider_parent_class)->finalize (object);
}

static void
qi_ftrack_auth_provider_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_AUTHORITY:
      g_value_set_object (value, self->authority);
      break;
    case PROP_LIFETIME:
      g_value_set_uint (value, self->lifetime);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_ftrack_auth_provider_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_AUTHORITY:
      self->authority = g_value_dup_object (value);
      break;
    case PROP_LIFETIME:
      qi_ftrack_auth_provider_set_lifetime (self, g_value_get_uint (value));
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_ATTEMPTS:
      self->max_attempts = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_ftrack_auth_provider_class_init (QiFtrackAuthProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = qi_ftrack_auth_provider_constructed;
  object_class->dispose = qi_ftrack_auth_provider_dispose;
  object_class->finalize = qi_ftrack_auth_provider_finalize;
  object_class->get_property = qi_ftrack_auth_provider_get_property;
  object_class->set_property = qi_ftrack_auth_provider_set_property;

  /**
   * QiFtrackAuthProvider:authority:
   *
   * The authority that signs and checks the sessions' tokens.
   */
  properties[PROP_AUTHORITY] =
    g_param_spec_object ("authority", NULL, NULL, QI_TYPE_TOKEN_AUTHORITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiFtrackAuthProvider:lifetime:
   *
   * How long a new or refreshed session lasts, in seconds.
   */
  properties[PROP_LIFETIME] =
    g_param_spec_uint ("lifetime", NULL, NULL, 1, G_MAXINT32, 12 * 60 * 60,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * QiFtrackAuthProvider:timeout:
   *
   * Seconds a login waits for ftrack's answer, per try.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, 3600, 30,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiFtrackAuthProvider:max-attempts:
   *
   * How many times a login's request is tried when ftrack fails (5xx) or
   * cannot be reached.
   */
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 1, 100, 2,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_ftrack_auth_provider_init (QiFtrackAuthProvider *self)
{
  self->lifetime = 12 * 60 * 60;
  self->timeout = 30;
  self->max_attempts = 2;
}

/**
 * qi_ftrack_auth_provider_new:
 * @authority: the authority of the sessions' tokens
 *
 * Returns: (transfer full): a new #QiFtrackAuthProvider
 */
QiFtrackAuthProvider *
qi_ftrack_auth_provider_new (QiTokenAuthority *authority)
{
  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (authority), NULL);

  return g_object_new (QI_TYPE_FTRACK_AUTH_PROVIDER, "authority", authority, NULL);
}

/**
 * qi_ftrack_auth_provider_get_authority:
 * @self: a #QiFtrackAuthProvider
 *
 * Returns: (transfer none): the authority of the sessions' tokens
 */
QiTokenAuthority *
qi_ftrack_auth_provider_get_authority (QiFtrackAuthProvider *self)
{
  g_return_val_if_fail (QI_IS_FTRACK_AUTH_PROVIDER (self), NULL);

  return self->authority;
}

/**
 * qi_ftrack_auth_provider_set_lifetime:
 * @self: a #QiFtrackAuthProvider
 * @lifetime_s: seconds, at least 1
 *
 * Sets how long the sessions opened from now on last.
 */
void
qi_ftrack_auth_provider_set_lifetime (QiFtrackAuthProvider *self,
                                      guint                 lifetime_s)
{
  g_return_if_fail (QI_IS_FTRACK_AUTH_PROVIDER (self));
  g_return_if_fail (lifetime_s > 0 && lifetime_s <= G_MAXINT32);

  if (self->lifetime == lifetime_s)
    return;
  self->lifetime = lifetime_s;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIFETIME]);
}
