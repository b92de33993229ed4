/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-ftrack-auth-provider.h"
#include "qi-ftrack-keyring-private.h"

/**
 * QiFtrackAuthProvider:
 *
 * The login of an ftrack server (`ftrack`): the credentials are `server`
 * (its https:// address), `api_user` (an ftrack user name) and `api_key`
 * (that user's API key, or a server's API key that may act as the user).
 *
 * A login sends one request through the tracker's #QiFtrackSession with
 * those credentials, `POST {server}/api` with the headers `ftrack-user`
 * and `ftrack-api-key` and two operations: `query_server_information`
 * (the answer must carry ftrack's `schema_hash`, else the address is not
 * an ftrack server) and a query of the #User whose `username` is the API
 * user, with its security roles. The user maps to Qi's `{id, username,
 * full_name, email}` (`id` is ftrack's, `full_name` is `first_name
 * last_name`); every user gets the role `artist`, and one who holds
 * ftrack's security role %QI_FTRACK_AUTH_PROVIDER_ADMIN_ROLE gets `admin`
 * too. A user ftrack marks inactive (`is_active` false) is refused with
 * %QI_AUTH_ERROR_LOCKED. Once ftrack took them, the credentials become the
 * session's: the tracker (#QiFtrackAdapter, on the same session) reads
 * ftrack as that user from then on.
 *
 * Each failure is one sentence: a refused key (401, 403), a server that
 * cannot be reached or does not answer in time, an answer that is not
 * ftrack's, a user ftrack does not know.
 *
 * Without asking (bootstrap phase 2) it logs in with `QI_FTRACK_SERVER`,
 * `QI_FTRACK_API_USER` and `QI_FTRACK_API_KEY` (farm machines), else with
 * the key last kept in the desktop keyring; a login through the hub keeps
 * its key there (qi_auth_provider_remember_async()).
 */

#define CONNECT_HINT _("check the address (such as https://studio.ftrackapp.com) and the network")

struct _QiFtrackAuthProvider
{
  QiAuthProvider   parent_instance;

  QiFtrackSession *session;
};

G_DEFINE_FINAL_TYPE (QiFtrackAuthProvider, qi_ftrack_auth_provider, QI_TYPE_AUTH_PROVIDER)

enum {
  PROP_0,
  PROP_SESSION,
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
/* One sentence for what went wrong talking to ftrack. */
static GError *
auth_error (const char *server,
            GError     *error)
{
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
read_user (const char  *server,
           const char  *api_user,
           JsonNode    *results,
           GError     **error)
{  JsonArray *array = json_node_get_array (results);
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

/* The scheme. */

static gboolean
ftrack_check_credentials (QiAuthProvider  *provider,
                          JsonObject      *credentials,
                          GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *server = text_member (credentials, "server");
  const char *api_user = text_member (credentials, "api_user");
  const char *api_key = text_member (credentials, "api_key");

  if (server == NULL || api_user == NULL || api_key == NULL)
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                           _("the ftrack credentials need “server”, “api_user” and “api_key”, as strings"));
      return FALSE;
    }
  if (!qi_ftrack_session_check_credentials (server, api_user, api_key, &local_error))
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID, local_error->message);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char *server;
  char *api_user;
  char *api_key;
} Login;

static void
login_free (gpointer data)
{
  Login *login = data;

  g_free (login->server);
  g_free (login->api_user);
  if (login->api_key != NULL)
    explicit_bzero (login->api_key, strlen (login->api_key));
  g_free (login->api_key);
  g_free (login);
}

static void
on_login_called (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Login *login = g_task_get_task_data (task);
  QiFtrackSession *session = QI_FTRACK_SESSION (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) results = qi_ftrack_session_call_finish (session, result, &error);
  g_autoptr(JsonNode) described = NULL;

  if (results == NULL)
    {
      g_task_return_error (task, auth_error (login->server, error));
      return;
    }
  described = read_user (login->server, login->api_user, results, &error);
  if (described == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* ftrack took them: the tracker reads ftrack as this user from now on */
  if (!qi_ftrack_session_set_credentials (session, login->server, login->api_user, login->api_key, &error))
    {
      g_task_return_new_error (task, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, "%s", error->message);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&described), (GDestroyNotify) json_node_unref);
}

/* Asynchronous already (libsoup): no worker thread needed. */
static void
ftrack_authenticate_async (QiAuthProvider      *provider,
                           JsonObject          *credentials,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) operations = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  Login *login = g_new0 (Login, 1);

  g_task_set_source_tag (task, ftrack_authenticate_async);
  login->server = g_strdup (text_member (credentials, "server"));
  /* https://studio.ftrackapp.com/ is https://studio.ftrackapp.com */
  for (gsize n = strlen (login->server); n > 1 && login->server[n - 1] == '/'; n--)
    login->server[n - 1] = '\0';
  login->api_user = g_strdup (text_member (credentials, "api_user"));
  login->api_key = g_strdup (text_member (credentials, "api_key"));
  g_task_set_task_data (task, login, login_free);

  quoted = qi_ftrack_quote (login->api_user);
  expression = g_strdup_printf ("select id, username, first_name, last_name, email, is_active, "
                                "user_security_roles.security_role.name from User where username is %s",
                                quoted);
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

  qi_ftrack_session_call_as_async (self->session, login->server, login->api_user, login->api_key, operations,
                                   cancellable, on_login_called, g_steal_pointer (&task));
}

static JsonNode *
ftrack_authenticate_finish (QiAuthProvider  *provider,
                            GAsyncResult    *result,
                            GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonObject *
credentials_new (const char *server,
                 const char *api_user,
                 const char *api_key)
{
  JsonObject *credentials = json_object_new ();

  json_object_set_string_member (credentials, "server", server);
  json_object_set_string_member (credentials, "api_user", api_user);
  json_object_set_string_member (credentials, "api_key", api_key);
  return credentials;
}

static gboolean
keyring_reachable (const char * const *envp)
{
  return g_environ_getenv ((char **) envp, "DBUS_SESSION_BUS_ADDRESS") != NULL &&
         g_environ_getenv ((char **) envp, "QI_NO_KEYRING") == NULL;
}

static JsonObject *
ftrack_find_credentials (QiAuthProvider      *provider,
                         const char * const  *envp,
                         char               **origin,
                         GError             **error)
{
  const char *server = g_environ_getenv ((char **) envp, "QI_FTRACK_SERVER");
  const char *api_user = g_environ_getenv ((char **) envp, "QI_FTRACK_API_USER");
  const char *api_key = g_environ_getenv ((char **) envp, "QI_FTRACK_API_KEY");
  g_autofree char *stored_server = NULL;
  g_autofree char *stored_user = NULL;
  g_autofree char *stored_key = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *credentials;

  if (server != NULL || api_user != NULL || api_key != NULL)
    {
      if (server == NULL || api_user == NULL || api_key == NULL)
        {
          g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                               _("an ftrack login from the environment needs QI_FTRACK_SERVER, QI_FTRACK_API_USER "
                                 "and QI_FTRACK_API_KEY, all three"));
          return NULL;
        }
      *origin = g_strdup (_("the ftrack login of QI_FTRACK_API_USER"));
      return credentials_new (server, api_user, api_key);
    }
  if (!keyring_reachable (envp))
    return NULL;
  if (!qi_ftrack_keyring_lookup (&stored_server, &stored_user, &stored_key, &local_error))
    {
      if (local_error != NULL)
        g_debug ("no ftrack login from the keyring: %s", local_error->message);
      return NULL;
    }
  *origin = g_strdup (_("the ftrack login with the API key in the keyring"));
  credentials = credentials_new (stored_server, stored_user, stored_key);
  explicit_bzero (stored_key, strlen (stored_key));
  return credentials;
}

static void
on_key_stored (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *members = json_object_new ();

  json_object_set_boolean_member (members, "key_stored", qi_ftrack_keyring_store_finish (result, &error));
  if (error != NULL)
    json_object_set_string_member (members, "key_not_stored", error->message);
  g_task_return_pointer (task, members, (GDestroyNotify) json_object_unref);
}

/* A login the artist typed keeps its key in the desktop keyring, where a
 * later run finds it; without a Secret Service the reply says why not. */
static void
ftrack_remember_async (QiAuthProvider      *provider,
                       JsonObject          *credentials,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *server = qi_ftrack_session_dup_server (self->session);
  JsonObject *members;

  g_task_set_source_tag (task, ftrack_remember_async);
  if (!keyring_reachable ((const char * const *) envp))
    {
      members = json_object_new ();
      json_object_set_boolean_member (members, "key_stored", FALSE);
      json_object_set_string_member (members, "key_not_stored",
                                     g_environ_getenv (envp, "QI_NO_KEYRING") != NULL
                                     ? _("QI_NO_KEYRING is set")
                                     : _("there is no D-Bus session bus, so no desktop keyring"));
      g_task_return_pointer (task, members, (GDestroyNotify) json_object_unref);
      return;
    }
  /* the server as the session has it (no trailing /) */
  qi_ftrack_keyring_store_async (server != NULL ? server : text_member (credentials, "server"),
                                 text_member (credentials, "api_user"), text_member (credentials, "api_key"),
                                 on_key_stored, g_steal_pointer (&task));
}

static JsonObject *
ftrack_remember_finish (QiAuthProvider  *provider,
                        GAsyncResult    *result,
                        GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
ftrack_forget (QiAuthProvider  *provider,
               GError         **error)
{
  return qi_ftrack_keyring_clear (NULL, NULL, NULL, error);
}

/* GObject. */

static void
qi_ftrack_auth_provider_dispose (GObject *object)
{
  QiFtrackAuthProvider *self = QI_FTRACK_AUTH_PROVIDER (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (qi_ftrack_auth_provider_parent_class)->dispose (object);
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
    case PROP_SESSION:
      g_value_set_object (value, self->session);
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
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_ftrack_auth_provider_class_init (QiFtrackAuthProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiAuthProviderClass *provider_class = QI_AUTH_PROVIDER_CLASS (klass);

  object_class->dispose = qi_ftrack_auth_provider_dispose;
  object_class->get_property = qi_ftrack_auth_provider_get_property;
  object_class->set_property = qi_ftrack_auth_provider_set_property;

  provider_class->check_credentials = ftrack_check_credentials;
  provider_class->authenticate_async = ftrack_authenticate_async;
  provider_class->authenticate_finish = ftrack_authenticate_finish;
  provider_class->find_credentials = ftrack_find_credentials;
  provider_class->remember_async = ftrack_remember_async;
  provider_class->remember_finish = ftrack_remember_finish;
  provider_class->forget = ftrack_forget;

  /**
   * QiFtrackAuthProvider:session:
   *
   * The tracker's session, which a login gives its credentials to.
   */
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, QI_TYPE_FTRACK_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_ftrack_auth_provider_init (QiFtrackAuthProvider *self)
{
}

/**
 * qi_ftrack_auth_provider_new:
 * @session: the ftrack tracker's session
 *
 * Returns: (transfer full): a new #QiFtrackAuthProvider, named `ftrack`
 */
QiFtrackAuthProvider *
qi_ftrack_auth_provider_new (QiFtrackSession *session)
{
  g_return_val_if_fail (QI_IS_FTRACK_SESSION (session), NULL);

  return g_object_new (QI_TYPE_FTRACK_AUTH_PROVIDER, "name", "ftrack", "session", session, NULL);
}

/**
 * qi_ftrack_auth_provider_get_session:
 * @self: a #QiFtrackAuthProvider
 *
 * Returns: (transfer none): the tracker's session
 */
QiFtrackSession *
qi_ftrack_auth_provider_get_session (QiFtrackAuthProvider *self)
{
  g_return_val_if_fail (QI_IS_FTRACK_AUTH_PROVIDER (self), NULL);

  return self->session;
}
