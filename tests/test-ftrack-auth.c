/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sys/stat.h>

#include "qi-test-http.h"
#include "qi-test-json.h"
#include "qi-test-utils.h"
#include "qi-ftrack-auth-provider.h"
#include "qi-ftrack-session.h"
#include "qi-local-auth-provider.h"
#include "qi-sqlite-adapter.h"

/*
 * The ftrack login and what came with it: QiFtrackAuthProvider against a
 * fake ftrack server on loopback (the recorded server information of
 * $QI_FTRACK_FIXTURES; the User query answered in the shape of the
 * recorded schema), each failure as one sentence, the run's one provider
 * in QiAuthManager (ftrack's or the local one), the run session's auto-refresh, server-side revocation
 * over a real socket, and the real qi: the keyring (a gnome-keyring on the
 * private D-Bus session bus of tests/with-keyring), environment
 * credentials and service tokens.
 */

#define API_KEY "7545384e-a653-11e1-a82c-f22c11dd25eq"
#define PASSWORD "correct horse"

typedef enum
{
  SERVE_NORMAL,
  SERVE_UNAUTHORIZED,  /* 401 */
  SERVE_FORBIDDEN,     /* 403 */
  SERVE_NOT_JSON,      /* 200 with an HTML page */
  SERVE_NOT_FTRACK,    /* 200 with JSON that is not ftrack's */
  SERVE_NEVER,         /* no answer at all */
} ServeMode;

typedef struct
{
  QiTestHttp  http;
  ServeMode   mode;
  guint       requests;
  char       *body;       /* of the last request */
  char       *user;       /* its headers */
  char       *key;
  char       *content_type;
  char       *path;
  GPtrArray  *held;
  QiTestEnv   env;
} Fixture;

static char *
fixture_text (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("QI_FTRACK_FIXTURES"), name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* What ftrack answers `select … from User where username is "NAME"`: the
 * attributes are those of User, UserSecurityRole and SecurityRole in the
 * recorded schema (query_schemas.json). */
static char *
user_answer (const char *expression)
{
  if (strstr (expression, "where username is \"ada\"") != NULL)
    return g_strdup ("{\"action\": \"query\", \"data\": [{\"__entity_type__\": \"User\", "
                     "\"id\": \"d07ae5d0-66e1-11e1-b5e9-f23c91df25eb\", \"username\": \"ada\", "
                     "\"first_name\": \"Ada\", \"last_name\": \"Okafor\", \"email\": \"ada@example.com\", "
                     "\"is_active\": true, \"user_security_roles\": [{\"__entity_type__\": \"UserSecurityRole\", "
                     "\"id\": \"1\", \"security_role\": {\"__entity_type__\": \"SecurityRole\", \"id\": \"2\", "
                     "\"name\": \"Administrator\"}}, {\"__entity_type__\": \"UserSecurityRole\", \"id\": \"3\", "
                     "\"security_role\": {\"__entity_type__\": \"SecurityRole\", \"id\": \"4\", "
                     "\"name\": \"User\"}}]}], \"metadata\": {\"next\": {\"offset\": null}}}");
  if (strstr (expression, "where username is \"bruno\"") != NULL)
    return g_strdup ("{\"action\": \"query\", \"data\": [{\"__entity_type__\": \"User\", "
                     "\"id\": \"e07ae5d0-66e1-11e1-b5e9-f23c91df25eb\", \"username\": \"bruno\", "
                     "\"first_name\": \"Bruno\", \"last_name\": \"\", \"email\": null, "
                     "\"is_active\": true, \"user_security_roles\": [{\"__entity_type__\": \"UserSecurityRole\", "
                     "\"id\": \"5\", \"security_role\": {\"__entity_type__\": \"SecurityRole\", \"id\": \"4\", "
                     "\"name\": \"User\"}}]}], \"metadata\": {\"next\": {\"offset\": null}}}");
  if (strstr (expression, "where username is \"gone\"") != NULL)
    return g_strdup ("{\"action\": \"query\", \"data\": [{\"__entity_type__\": \"User\", \"id\": \"9\", "
                     "\"username\": \"gone\", \"first_name\": \"Gone\", \"last_name\": \"\", \"email\": null, "
                     "\"is_active\": false, \"user_security_roles\": []}], "
                     "\"metadata\": {\"next\": {\"offset\": null}}}");
  return g_strdup ("{\"action\": \"query\", \"data\": [], \"metadata\": {\"next\": {\"offset\": null}}}");
}

static void
reply (SoupServerMessage *msg,
       guint              status,
       const char        *type,
       const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
on_api (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonNode) operations = NULL;
  g_autoptr(GString) answer = g_string_new ("[");
  const char *key = soup_message_headers_get_one (headers, "ftrack-api-key");

  f->requests++;
  g_free (f->body);
  g_free (f->user);
  g_free (f->key);
  g_free (f->content_type);
  g_free (f->path);
  f->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  f->user = g_strdup (soup_message_headers_get_one (headers, "ftrack-user"));
  f->key = g_strdup (key);
  f->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  f->path = g_strdup (path);

  switch (f->mode)
    {
    case SERVE_UNAUTHORIZED:
      reply (msg, 401, "application/json",
             "{\"exception\": \"AuthenticationError\", \"content\": \"The API key is not valid.\"}");
      return;
    case SERVE_FORBIDDEN:
      reply (msg, 403, "text/html", "<html><body>Forbidden</body></html>");
      return;
    case SERVE_NOT_JSON:
      reply (msg, 200, "text/html", "<!doctype html><title>Welcome to nginx!</title>");
      return;
    case SERVE_NOT_FTRACK:
      reply (msg, 200, "application/json", "[{\"hello\": \"world\"}, {\"data\": []}]");
      return;
    case SERVE_NEVER:
      soup_server_message_pause (msg);
      g_ptr_array_add (f->held, g_object_ref (msg));
      return;
    case SERVE_NORMAL:
    default:
      break;
    }

  /* a real server refuses a key it does not know */
  if (g_strcmp0 (key, API_KEY) != 0)
    {
      reply (msg, 401, "application/json",
             "{\"exception\": \"AuthenticationError\", \"content\": \"The API key is not valid.\"}");
      return;
    }
  operations = json_from_string (f->body, NULL);
  g_assert_true (operations != NULL && JSON_NODE_HOLDS_ARRAY (operations));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (operations)); i++)
    {
      JsonObject *op = json_array_get_object_element (json_node_get_array (operations), i);
      const char *action = json_object_get_string_member_with_default (op, "action", "");
      g_autofree char *one = NULL;

      if (g_str_equal (action, "query_server_information"))
        one = fixture_text ("query_server_information.json");
      else if (g_str_equal (action, "query"))
        one = user_answer (json_object_get_string_member_with_default (op, "expression", ""));
      g_assert_nonnull (one);
      g_string_append_printf (answer, "%s%s", i > 0 ? "," : "", one);
    }
  g_string_append (answer, "]");
  reply (msg, 200, "application/json", answer->str);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_http_setup (&f->http);
  f->held = g_ptr_array_new_with_free_func (g_object_unref);
  soup_server_add_handler (f->http.server, "/api", on_api, f, NULL);
  qi_test_env_setup (&f->env);
  qi_test_env_keep_runtime (&f->env);
  qi_test_env_setenv (&f->env, "GSETTINGS_BACKEND", "memory");
  /* the keyring of tests/with-keyring, when there is one */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL)
    qi_test_env_setenv (&f->env, "DBUS_SESSION_BUS_ADDRESS", g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  for (guint i = 0; i < f->held->len; i++)
    {
      soup_server_message_set_status (f->held->pdata[i], 503, NULL);
      soup_server_message_unpause (f->held->pdata[i]);
    }
  g_ptr_array_unref (f->held);
  qi_test_http_teardown (&f->http);
  qi_test_env_teardown (&f->env);
  g_free (f->body);
  g_free (f->user);
  g_free (f->key);
  g_free (f->content_type);
  g_free (f->path);
}

static JsonObject *
credentials (const char *server,
             const char *user,
             const char *key)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "server", server);
  json_object_set_string_member (object, "api_user", user);
  json_object_set_string_member (object, "api_key", key);
  return object;
}

static QiFtrackAuthProvider *
new_provider_timeout (guint timeout)
{
  g_autoptr(QiTokenAuthority) authority = qi_token_authority_new (NULL);
  g_autoptr(QiFtrackSession) session = qi_ftrack_session_new_logged_out ();
  QiFtrackAuthProvider *provider;

  g_object_set (session, "max-attempts", 1, "timeout", timeout, NULL);
  provider = qi_ftrack_auth_provider_new (session);
  qi_auth_provider_set_authority (QI_AUTH_PROVIDER (provider), authority);
  return provider;
}

static QiFtrackAuthProvider *
new_provider (void)
{
  return new_provider_timeout (1);
}

static char *
roles_of (JsonNode *node)
{
  JsonArray *roles = json_object_get_array_member (json_node_get_object (node), "roles");
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (roles); i++)
    g_string_append_printf (text, "%s%s", i > 0 ? "," : "", json_array_get_string_element (roles, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The request, the user, the roles, the session. */
static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(QiFtrackAuthProvider) provider = new_provider ();
  g_autoptr(JsonObject) ada = credentials (f->http.base, "ada", API_KEY);
  g_autoptr(JsonObject) bruno = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonNode) other = NULL;
  g_autoptr(JsonNode) who = NULL;
  g_autoptr(JsonNode) refreshed = NULL;
  g_autoptr(QiToken) claims = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *roles = NULL;
  JsonObject *user;

  session = qi_auth_provider_login (QI_AUTH_PROVIDER (provider), ada, &error);
  g_assert_no_error (error);

  /* one POST of two operations, with the user and the key in headers */
  g_assert_cmpuint (f->requests, ==, 1);
  g_assert_cmpstr (f->path, ==, "/api");
  g_assert_cmpstr (f->user, ==, "ada");
  g_assert_cmpstr (f->key, ==, API_KEY);
  g_assert_cmpstr (f->content_type, ==, "application/json");
  g_assert_cmpstr (f->body, ==,
                   "[{\"action\":\"query_server_information\"},{\"action\":\"query\",\"expression\":"
                   "\"select id, username, first_name, last_name, email, is_active, "
                   "user_security_roles.security_role.name from User where username is \\\"ada\\\"\"}]");

  user = json_object_get_object_member (json_node_get_object (session), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "id"), ==, "d07ae5d0-66e1-11e1-b5e9-f23c91df25eb");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "ada");
  g_assert_cmpstr (json_object_get_string_member (user, "full_name"), ==, "Ada Okafor");
  g_assert_cmpstr (json_object_get_string_member (user, "email"), ==, "ada@example.com");
  roles = roles_of (session);
  g_assert_cmpstr (roles, ==, "artist,admin");
  g_assert_cmpstr (qi_test_string_of (session, "server"), ==, f->http.base);
  g_assert_nonnull (qi_test_string_of (session, "expires_at"));

  /* the token is Qi's, of the provider's authority, for the hub and REST */
  claims = qi_token_authority_verify (qi_auth_provider_get_authority (QI_AUTH_PROVIDER (provider)),
                                      qi_test_string_of (session, "token"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_token_get_session (claims), ==, "user/ada");
  g_assert_true (qi_token_has_scope (claims, QI_TOKEN_SCOPE_HUB));
  g_assert_true (qi_token_has_scope (claims, QI_TOKEN_SCOPE_API));

  /* whoami and refresh answer without asking ftrack again */
  who = qi_auth_provider_whoami (QI_AUTH_PROVIDER (provider), qi_test_string_of (session, "token"), &error);
  g_assert_no_error (error);
  g_assert_null (json_object_get_member (json_node_get_object (who), "token"));
  refreshed = qi_auth_provider_refresh (QI_AUTH_PROVIDER (provider), qi_test_string_of (session, "token"), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (refreshed, "token"), !=, qi_test_string_of (session, "token"));
  g_assert_null (qi_auth_provider_whoami (QI_AUTH_PROVIDER (provider), qi_test_string_of (session, "token"), &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_true (qi_auth_provider_logout (QI_AUTH_PROVIDER (provider), qi_test_string_of (refreshed, "token"), &error));
  g_assert_false (qi_auth_provider_logout (QI_AUTH_PROVIDER (provider), qi_test_string_of (refreshed, "token"), &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_cmpuint (f->requests, ==, 1);

  /* a user without ftrack's Administrator role is an artist only; a
   * trailing slash of the server is dropped */
  {
    g_autofree char *slashed = g_strconcat (f->http.base, "/", NULL);

    bruno = credentials (slashed, "bruno", API_KEY);
  }
  other = qi_auth_provider_login (QI_AUTH_PROVIDER (provider), bruno, &error);
  g_assert_no_error (error);
  g_clear_pointer (&roles, g_free);
  roles = roles_of (other);
  g_assert_cmpstr (roles, ==, "artist");
  user = json_object_get_object_member (json_node_get_object (other), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "full_name"), ==, "Bruno");
  g_assert_true (json_object_get_null_member (user, "email"));
  g_assert_cmpstr (qi_test_string_of (other, "server"), ==, f->http.base);
}

static GError *
login_error (Fixture    *f,
             const char *server,
             const char *user,
             const char *key)
{
  g_autoptr(QiFtrackAuthProvider) provider = new_provider ();
  g_autoptr(JsonObject) given = credentials (server, user, key);
  g_autoptr(JsonNode) session = NULL;
  GError *error = NULL;

  session = qi_auth_provider_login (QI_AUTH_PROVIDER (provider), given, &error);
  g_assert_null (session);
  g_assert_nonnull (error);
  /* one sentence: no stack of errors, no line breaks */
  g_assert_null (strchr (error->message, '\n'));
  return error;
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *expected = NULL;
  g_autoptr(QiFtrackAuthProvider) provider = new_provider ();
  g_autoptr(JsonObject) partial = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *closed = NULL;
  guint16 port;

  /* a wrong key: the server's 401 */
  error = login_error (f, f->http.base, "ada", "wrong-key");
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  expected = g_strdup_printf ("ftrack at %s refused the API user “ada” (HTTP 401): check the user name and its "
                              "API key in ftrack's My Account → Security settings", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpstr (f->key, ==, "wrong-key");
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  /* 403 */
  f->mode = SERVE_FORBIDDEN;
  error = login_error (f, f->http.base, "ada", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  g_assert_nonnull (strstr (error->message, "(HTTP 403)"));
  g_clear_error (&error);

  /* a web server that is not ftrack: HTML, or JSON of another kind */
  f->mode = SERVE_NOT_JSON;
  error = login_error (f, f->http.base, "ada", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED);
  expected = g_strdup_printf ("%s does not answer as an ftrack server does (ftrack at %s answered "
                              "query_server_information, query of User (HTTP 200) with what is not JSON (1:1: not valid JSON)): "
                              "check the address "
                              "(such as https://studio.ftrackapp.com) and the network", f->http.base, f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);
  f->mode = SERVE_NOT_FTRACK;
  error = login_error (f, f->http.base, "ada", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED);
  expected = g_strdup_printf ("%s does not answer as an ftrack server does (no server information or no user "
                              "query result): check the address (such as https://studio.ftrackapp.com) and the "
                              "network", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  /* a server that never answers: the timeout (1 s, one try) */
  f->mode = SERVE_NEVER;
  error = login_error (f, f->http.base, "ada", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "ftrack at "));
  g_assert_nonnull (strstr (error->message, "after 1 try:"));
  g_assert_true (g_str_has_suffix (error->message, "check the address (such as https://studio.ftrackapp.com) "
                                                   "and the network"));
  g_clear_error (&error);

  /* nothing listens: a port that was just free */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  closed = g_strdup_printf ("http://127.0.0.1:%u", port);
  error = login_error (f, closed, "ada", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "ftrack at "));
  g_clear_error (&error);

  /* an unknown user (the key is good), an inactive one */
  f->mode = SERVE_NORMAL;
  error = login_error (f, f->http.base, "nobody", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  expected = g_strdup_printf ("ftrack at %s took the API key but has no user “nobody”: give the user name the "
                              "key is for", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);
  error = login_error (f, f->http.base, "gone", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_LOCKED);
  g_clear_error (&error);

  /* not a server address; missing credentials: nothing is sent */
  f->requests = 0;
  error = login_error (f, "studio.ftrackapp.com", "ada", API_KEY);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "“studio.ftrackapp.com” is not an ftrack server: give its https:// "
                                       "address, such as https://studio.ftrackapp.com");
  g_clear_error (&error);
  json_object_set_string_member (partial, "server", f->http.base);
  g_assert_null (qi_auth_provider_login (QI_AUTH_PROVIDER (provider), partial, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "the ftrack credentials need “server”, “api_user” and “api_key”, as strings");
  g_assert_cmpuint (f->requests, ==, 0);
}

#define ARGS(...) ((const char * const []) { __VA_ARGS__, NULL })
#define ENV(...) ((const char * const []) { __VA_ARGS__, NULL })

/* QiAuthManager with the run's one provider, local or ftrack, on the hub. */

typedef struct
{
  char        *path;
  QiSqliteAdapter *sqlite;
  QiTokenAuthority *authority;
  QiAuthProvider *provider;
  QiAuthManager *manager;
  QiHub *hub;
} Auth;

static void
auth_setup (Fixture    *f,
            Auth       *a,
            const char *kind)
{
  g_autoptr(GError) error = NULL;

  a->authority = qi_token_authority_new (&error);
  g_assert_no_error (error);
  if (g_str_equal (kind, "local"))
    {
      g_autoptr(JsonNode) user = NULL;

      a->path = g_build_filename (f->env.root, "tracker", "tracker.sqlite", NULL);
      a->sqlite = qi_sqlite_adapter_new (a->path);
      a->provider = QI_AUTH_PROVIDER (qi_local_auth_provider_new (a->sqlite));
      user = qi_local_auth_provider_add_user (QI_LOCAL_AUTH_PROVIDER (a->provider), "chen", "Chen Wu", NULL,
                                              PASSWORD, NULL, &error);
      g_assert_no_error (error);
    }
  else
    {
      a->provider = QI_AUTH_PROVIDER (new_provider_timeout (2));
    }
  a->manager = g_object_new (QI_TYPE_AUTH_MANAGER, "name", "auth", "provider", a->provider,
                             "authority", a->authority, NULL);
  a->hub = qi_hub_new ();
  g_assert_true (qi_service_start (QI_SERVICE (a->manager), &error));
  g_assert_true (qi_auth_manager_attach_hub (a->manager, a->hub, &error));
  g_assert_no_error (error);
}

static void
auth_teardown (Auth *a)
{
  qi_service_stop (QI_SERVICE (a->manager));
  g_clear_object (&a->manager);
  g_clear_object (&a->hub);
  g_clear_object (&a->provider);
  g_clear_object (&a->authority);
  g_clear_object (&a->sqlite);
  g_free (a->path);
}

static void
test_providers (Fixture       *f,
                gconstpointer  data)
{
  Auth a = { 0 };
  Auth b = { 0 };
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(QiHubEndpoint) local_client = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonNode) local = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(QiToken) claims = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = NULL;

  auth_setup (f, &a, "ftrack");
  client = qi_hub_open_endpoint (a.hub, "test/client", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (qi_auth_manager_get_provider (a.manager) == a.provider);
  g_assert_true (qi_auth_manager_get_authority (a.manager) == a.authority);
  g_assert_true (qi_auth_provider_get_authority (a.provider) == a.authority);

  /* what the login page asks first: the run's provider */
  reply = qi_test_ask (client, "auth.info", "{}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (reply, "provider"), ==, "ftrack");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (reply), "logged_in"));
  g_clear_pointer (&reply, json_node_unref);

  /* exactly what the web UI's login form sends */
  payload = g_strdup_printf ("{\"provider\": \"ftrack\", \"server\": \"%s\", \"api_user\": \"ada\", "
                             "\"api_key\": \"" API_KEY "\"}", f->http.base);
  session = qi_test_ask (client, "auth.login", payload, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (session, "provider"), ==, "ftrack");
  g_assert_cmpstr (f->key, ==, API_KEY);
  /* signed by the one authority the server takes */
  claims = qi_token_authority_verify (a.authority, qi_test_string_of (session, "token"), &error);
  g_assert_no_error (error);
  g_assert_true (qi_auth_manager_check_token (a.manager, qi_test_string_of (session, "token"), claims, &error));

  /* whoami and logout */
  g_clear_pointer (&payload, g_free);
  payload = g_strdup_printf ("{\"token\": \"%s\"}", qi_test_string_of (session, "token"));
  reply = qi_test_ask (client, "auth.whoami", payload, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (reply, "provider"), ==, "ftrack");
  g_assert_cmpstr (qi_test_string_of (reply, "server"), ==, f->http.base);
  g_clear_pointer (&reply, json_node_unref);
  reply = qi_test_ask (client, "auth.logout", payload, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, json_node_unref);
  g_assert_false (qi_auth_manager_check_token (a.manager, qi_test_string_of (session, "token"), claims, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* refused: a wrong key (unauthorized), another provider than the
   * run's, a provider that is not a string, missing ftrack fields */
  g_clear_pointer (&payload, g_free);
  payload = g_strdup_printf ("{\"provider\": \"ftrack\", \"server\": \"%s\", \"api_user\": \"ada\", "
                             "\"api_key\": \"nope\"}", f->http.base);
  reply = qi_test_ask (client, "auth.login", payload, &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNAUTHORIZED);
  g_assert_true (g_str_has_prefix (error->message, "ftrack at "));
  g_clear_error (&error);
  reply = qi_test_ask (client, "auth.login", "{\"provider\": \"local\", \"username\": \"a\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "auth.login: this run logs in through “ftrack”, not “local”: run Qi with "
                                       "the tracker that has those logins (the bundle's, or --tracker NAME)");
  g_clear_error (&error);
  reply = qi_test_ask (client, "auth.login", "{\"provider\": 7}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  reply = qi_test_ask (client, "auth.login", "{\"provider\": \"ftrack\", \"api_user\": \"ada\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  /* no provider named: the run's */
  g_clear_pointer (&payload, g_free);
  payload = g_strdup_printf ("{\"server\": \"%s\", \"api_user\": \"bruno\", \"api_key\": \"" API_KEY "\"}",
                             f->http.base);
  reply = qi_test_ask (client, "auth.login", payload, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (reply, "provider"), ==, "ftrack");

  /* the key would go to the keyring (tests/python/test_login_server.py
   * checks that through a real qi serve); here the test process keeps
   * off the session bus, whose GDBus thread outlives it */
  g_assert_false (json_object_get_boolean_member (json_node_get_object (reply), "key_stored"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "key_not_stored"), ==,
                   "QI_NO_KEYRING is set");

  /* a run of the local tracker: its own provider, and ftrack refused */
  auth_setup (f, &b, "local");
  local_client = qi_hub_open_endpoint (b.hub, "test/client", NULL, &error);
  g_assert_no_error (error);
  local = qi_test_ask (local_client, "auth.login", "{\"username\": \"chen\", \"password\": \"" PASSWORD "\"}",
                       &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (local, "provider"), ==, "local");
  g_clear_pointer (&reply, json_node_unref);
  reply = qi_test_ask (local_client, "auth.login", "{\"provider\": \"ftrack\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_true (g_str_has_prefix (error->message, "auth.login: this run logs in through “local”, not “ftrack”"));
  g_clear_error (&error);

  /* a second provider is refused; the run's provider stays */
  {
    g_autoptr(QiFtrackAuthProvider) other = new_provider ();

    g_assert_false (qi_auth_manager_set_provider (b.manager, QI_AUTH_PROVIDER (other), &error));
    g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXISTS);
    g_clear_error (&error);
    g_assert_true (qi_auth_manager_get_provider (b.manager) == b.provider);
  }

  qi_hub_endpoint_close (local_client);
  auth_teardown (&b);
  qi_hub_endpoint_close (client);
  auth_teardown (&a);
}

/* The run session: refreshed by the timer before it expires. */

typedef struct
{
  guint     events;
  JsonNode *last;
} Events;

static void
on_event (QiMessage *event,
          gpointer   user_data)
{
  Events *events = user_data;

  events->events++;
  g_clear_pointer (&events->last, json_node_unref);
  events->last = json_node_copy (qi_message_get_payload (event));
}

static void
on_changed (QiAuthManager *manager,
            gpointer       user_data)
{
  (*(guint *) user_data)++;
}

static void
test_refresh (Fixture       *f,
              gconstpointer  data)
{
  Auth a = { 0 };
  g_autoptr(QiHubEndpoint) watcher = NULL;
  g_autoptr(JsonObject) given = json_object_new ();
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(QiToken) old_claims = NULL;
  g_autoptr(QiToken) new_claims = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old = NULL;
  g_autofree char *now = NULL;
  Events events = { 0 };
  guint changes = 0;

  auth_setup (f, &a, "local");
  watcher = qi_hub_open_endpoint (a.hub, "test/watcher", NULL, &error);
  g_assert_no_error (error);
  qi_hub_endpoint_subscribe (watcher, "auth.session", on_event, &events, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (a.manager, "run-session-changed", G_CALLBACK (on_changed), &changes);

  /* a session of 4 s, refreshed after a quarter of it: the old token
   * has seconds left when it is checked (expiry counts whole seconds) */
  qi_auth_provider_set_lifetime (a.provider, 4);
  g_object_set (a.manager, "refresh-fraction", 0.25, NULL);
  json_object_set_string_member (given, "username", "chen");
  json_object_set_string_member (given, "password", PASSWORD);
  session = qi_auth_manager_login (a.manager, given, &error);
  g_assert_no_error (error);
  g_assert_true (qi_auth_manager_set_run_session (a.manager, session, &error));
  old = g_strdup (qi_test_string_of (session, "token"));
  g_assert_cmpuint (changes, ==, 1);
  while (events.events < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (events.last), "change"), ==, "logged_in");
  g_assert_null (json_object_get_member (json_node_get_object (events.last), "token"));
  old_claims = qi_token_authority_verify (a.authority, old, &error);
  g_assert_no_error (error);

  /* a session of another provider is refused, though the same
   * authority signed its token */
  {
    g_autoptr(QiLocalAuthProvider) other = qi_local_auth_provider_new (a.sqlite);
    g_autoptr(JsonNode) direct = NULL;

    qi_auth_provider_set_authority (QI_AUTH_PROVIDER (other), a.authority);
    direct = qi_auth_provider_login (QI_AUTH_PROVIDER (other), given, &error);

    g_assert_no_error (error);
    g_assert_false (qi_auth_manager_set_run_session (a.manager, direct, &error));
    g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
    g_clear_error (&error);
  }

  /* the timer: a new token, the old one refused everywhere */
  while (changes < 2)
    g_main_context_iteration (NULL, TRUE);
  now = g_strdup (qi_test_string_of (qi_auth_manager_get_run_session (a.manager), "token"));
  g_assert_cmpstr (now, !=, old);
  while (events.events < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (events.last), "change"), ==, "refreshed");
  g_assert_false (qi_auth_manager_check_token (a.manager, old, old_claims, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_null (qi_auth_manager_whoami (a.manager, old, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  new_claims = qi_token_authority_verify (a.authority, now, &error);
  g_assert_no_error (error);
  g_assert_true (qi_auth_manager_check_token (a.manager, now, new_claims, &error));

  /* and again, by the timer the refresh set */
  while (changes < 3)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (qi_test_string_of (qi_auth_manager_get_run_session (a.manager), "token"), !=, now);

  /* logging the run session out ends the timer */
  g_assert_true (qi_auth_manager_logout (a.manager,
                                         qi_test_string_of (qi_auth_manager_get_run_session (a.manager), "token"),
                                         &error));
  g_assert_null (qi_auth_manager_get_run_session (a.manager));
  while (events.events < 4)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (events.last), "change"), ==, "logged_out");

  g_clear_pointer (&events.last, json_node_unref);
  qi_hub_endpoint_close (watcher);
  auth_teardown (&a);
}

/* Revocation: a logged-out or refreshed token no longer opens /ws or the
 * REST routes, and its open WebSocket is closed. */

typedef struct
{
  SoupWebsocketConnection *connection;
  GError                  *error;
  gboolean                 done;
  gboolean                 closed;
} Socket;

static void
on_ws_closed (SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  ((Socket *) user_data)->closed = TRUE;
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Socket *socket = user_data;

  socket->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &socket->error);
  if (socket->connection != NULL)
    g_signal_connect (socket->connection, "closed", G_CALLBACK (on_ws_closed), socket);
  socket->done = TRUE;
}

static void
ws_connect (SoupSession *session,
            const char  *url,
            const char  *token,
            Socket      *socket,
            guint       *status)
{
  g_autofree char *full = g_strdup_printf ("%s?token=%s", url, token);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", full);

  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL, on_ws_connected, socket);
  while (!socket->done)
    g_main_context_iteration (NULL, TRUE);
  *status = soup_message_get_status (msg);
}

static guint
rest_status (SoupSession *session,
             const char  *http,
             const char  *token)
{
  g_autofree char *url = g_strdup_printf ("%s/api/anything", http);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *bearer = g_strdup_printf ("Bearer %s", token);
  g_autoptr(GBytes) body = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  return soup_message_get_status (msg);
}

static gboolean
server_check (const char  *token,
              QiToken     *claims,
              gpointer     user_data,
              GError     **error)
{
  return qi_auth_manager_check_token (user_data, token, claims, error);
}

static void
on_session_ended (QiAuthManager *manager,
                  const char    *token,
                  const char    *reason,
                  QiServer      *server)
{
  qi_server_close_token_connections (server, token, reason);
}

typedef struct
{
  const char *http;
  const char *token;
  guint       status;
  gint        done;
} Rest;

static gpointer
rest_thread (gpointer data)
{
  Rest *rest = data;
  g_autoptr(SoupSession) session = soup_session_new ();

  rest->status = rest_status (session, rest->http, rest->token);
  g_atomic_int_set (&rest->done, TRUE);
  return NULL;
}

/* REST from another thread: the server answers on this one. */
static guint
rest_status_threaded (const char *http,
                      const char *token)
{
  Rest rest = { http, token, 0, FALSE };
  GThread *thread = g_thread_new ("rest", rest_thread, &rest);

  while (!g_atomic_int_get (&rest.done))
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_thread_join (thread);
  return rest.status;
}

static void
test_revocation (Fixture       *f,
                 gconstpointer  data)
{
  Auth a = { 0 };
  g_autoptr(QiServer) server = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(JsonObject) given = json_object_new ();
  g_autoptr(JsonNode) login = NULL;
  g_autoptr(JsonNode) refreshed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *http = NULL;
  g_autofree char *token = NULL;
  Socket first = { 0 };
  Socket again = { 0 };
  Socket second = { 0 };
  guint status = 0;

  auth_setup (f, &a, "local");
  server = qi_server_new (a.hub, qi_auth_manager_get_authority (a.manager));
  qi_server_set_token_check (server, server_check, g_object_ref (a.manager), g_object_unref);
  g_signal_connect_object (a.manager, "session-ended", G_CALLBACK (on_session_ended), server, 0);
  g_assert_true (qi_server_listen (server, 0, &error));
  url = qi_server_dup_websocket_url (server);
  http = qi_server_dup_http_url (server);

  json_object_set_string_member (given, "username", "chen");
  json_object_set_string_member (given, "password", PASSWORD);
  login = qi_auth_manager_login (a.manager, given, &error);
  g_assert_no_error (error);
  token = g_strdup (qi_test_string_of (login, "token"));

  /* open while the session is */
  ws_connect (session, url, token, &first, &status);
  g_assert_no_error (first.error);
  g_assert_cmpuint (status, ==, 101);
  g_assert_cmpuint (rest_status_threaded (http, token), ==, 404);

  /* logged out: the open socket is closed, with the reason */
  g_assert_true (qi_auth_manager_logout (a.manager, token, &error));
  while (!first.closed)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (first.connection), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_cmpstr (soup_websocket_connection_get_close_data (first.connection), ==, "the session was logged out");
  /* and the token opens nothing any more, though its signature is good */
  ws_connect (session, url, token, &again, &status);
  g_assert_nonnull (again.error);
  g_assert_cmpuint (status, ==, 401);
  g_assert_cmpuint (rest_status_threaded (http, token), ==, 401);

  /* replaced by a refresh: the old token is refused, the new one works */
  g_clear_pointer (&login, json_node_unref);
  g_clear_pointer (&token, g_free);
  login = qi_auth_manager_login (a.manager, given, &error);
  g_assert_no_error (error);
  token = g_strdup (qi_test_string_of (login, "token"));
  refreshed = qi_auth_manager_refresh (a.manager, token, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rest_status_threaded (http, token), ==, 401);
  g_assert_cmpuint (rest_status_threaded (http, qi_test_string_of (refreshed, "token")), ==, 404);
  ws_connect (session, url, qi_test_string_of (refreshed, "token"), &second, &status);
  g_assert_no_error (second.error);
  g_assert_cmpuint (status, ==, 101);

  /* a token that is not a user session (the info file's) is the server's */
  {
    g_autofree char *tool = qi_token_authority_issue (a.authority, "tool/local", NULL,
                                                      (const char * const []) { "api", NULL }, 60, &error);

    g_assert_cmpuint (rest_status_threaded (http, tool), ==, 404);
  }

  soup_websocket_connection_close (second.connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  while (!second.closed)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&first.connection);
  g_clear_object (&second.connection);
  g_clear_error (&again.error);
  qi_service_stop (QI_SERVICE (server));
  for (int i = 0; i < 50 && qi_server_get_n_connections (server) > 0; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
  auth_teardown (&a);
}

/* The real qi, with the fake server answering on this thread's loop. */

typedef struct
{
  char     *out;
  char     *err;
  gboolean  done;
} Run;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static int
run_qi (Fixture             *f,
        const char * const  *extra_env,
        const char          *input,
        char               **out,
        char               **err,
        const char * const  *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_strdupv (f->env.envp);
  g_autofree char *data_dir = g_build_filename (f->env.root, "qi-data", NULL);
  Run run = { 0 };

  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i += 2)
    envp = extra_env[i + 1] != NULL ? g_environ_setenv (envp, extra_env[i], extra_env[i + 1], TRUE)
                                    : g_environ_unsetenv (envp, extra_env[i]);
  g_subprocess_launcher_set_environ (launcher, envp);
  g_ptr_array_add (argv, (gpointer) g_getenv ("QI_EXE"));
  g_ptr_array_add (argv, (gpointer) "--headless");
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, data_dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, input, NULL, on_communicated, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  if (!g_subprocess_get_if_exited (process))
    g_printerr ("qi %s died; its stderr:\n%s\n", args[0], run.err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_free (*out);
  g_free (*err);
  *out = run.out;
  *err = run.err;
  return g_subprocess_get_exit_status (process);
}

static void
test_keyring (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  guint before;
  int status;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("no D-Bus session bus: run through tests/with-keyring");
      return;
    }

  /* the embedded tracker's run does not log in to ftrack */
  g_assert_cmpint (run_qi (f, NULL, API_KEY "\n", &out, &err,
                           ARGS ("login", "--ftrack", f->http.base, "--user", "ada", "--api-key-stdin")), ==, 2);
  g_assert_cmpstr (err, ==, "qi login: --ftrack logs in to ftrack, but this run logs in through “local”: run it with "
                            "--tracker tracker-ftrack (or [launch] tracker in qi.toml)\n");
  g_assert_cmpuint (f->requests, ==, 0);

  /* a studio on ftrack: its tracker is the run's */
  qi_test_env_setenv (&f->env, "QI_TRACKER", "tracker-ftrack");

  /* logs in, stores the key */
  status = run_qi (f, NULL, API_KEY "\n", &out, &err,
                   ARGS ("login", "--ftrack", f->http.base, "--user", "ada", "--api-key-stdin"));
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "the API key is in the desktop keyring: later runs log in with it\n"
                            "logged in as ada (Ada Okafor), roles: artist, admin\n");
  g_assert_cmpstr (f->key, ==, API_KEY);
  g_assert_cmpstr (f->user, ==, "ada");

  /* never in a plain file of Qi's */
  {
    g_autofree char *found = NULL;
    g_autofree char *err2 = NULL;
    g_autofree char *grep_out = NULL;
    const char *grep[] = { "grep", "-r", "-l", API_KEY, f->env.root, NULL };
    int status = 0;

    g_assert_true (g_spawn_sync (NULL, (char **) grep, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &grep_out, &err2,
                                 &status, NULL));
    g_assert_cmpstr (grep_out, ==, "");
  }

  /* a later run logs in from the keyring without asking */
  before = f->requests;
  g_free (f->key);
  f->key = NULL;
  g_assert_cmpint (run_qi (f, NULL, NULL, &out, &err, ARGS ("--log-level", "debug", "status")), ==, 0);
  g_assert_cmpuint (f->requests, ==, before + 1);
  g_assert_cmpstr (f->key, ==, API_KEY);
  g_assert_nonnull (strstr (err, "2.3: logged in as ada (ftrack)"));

  /* a wrong key on the command line is not stored */
  g_assert_cmpint (run_qi (f, NULL, "wrong\n", &out, &err,
                           ARGS ("login", "--ftrack", f->http.base, "--user", "bruno", "--api-key-stdin")), ==, 1);
  expected = g_strdup_printf ("qi login: ftrack at %s refused the API user “bruno” (HTTP 401): check the user "
                              "name and its API key in ftrack's My Account → Security settings\n", f->http.base);
  g_assert_cmpstr (err, ==, expected);

  /* logout forgets it: the next run does not log in */
  g_assert_cmpint (run_qi (f, NULL, NULL, &out, &err, ARGS ("logout", "--ftrack")), ==, 0);
  g_assert_cmpstr (out, ==, "forgot the stored ftrack API key\n");
  g_assert_cmpint (run_qi (f, NULL, NULL, &out, &err, ARGS ("logout", "--ftrack")), ==, 0);
  g_assert_cmpstr (out, ==, "no ftrack API key was stored\n");
  before = f->requests;
  g_assert_cmpint (run_qi (f, NULL, NULL, &out, &err, ARGS ("--log-level", "debug", "status")), ==, 0);
  g_assert_cmpuint (f->requests, ==, before);
  g_assert_null (strstr (err, "2.3: logged in"));
}

static void
test_no_keyring (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *bus = g_strdup_printf ("unix:path=%s/no-bus", f->env.root);

  qi_test_env_setenv (&f->env, "QI_TRACKER", "tracker-ftrack");

  /* a session bus that is not there: logged in all the same, and told */
  g_assert_cmpint (run_qi (f, ENV ("DBUS_SESSION_BUS_ADDRESS", bus), API_KEY "\n", &out, &err,
                           ARGS ("login", "--ftrack", f->http.base, "--user", "ada", "--api-key-stdin")), ==, 0);
  g_assert_cmpstr (out, ==, "logged in as ada (Ada Okafor), roles: artist, admin\n");
  g_assert_true (g_str_has_prefix (err, "qi login: logged in, but the API key was not stored: the desktop keyring "
                                        "cannot store the API key: "));
  g_assert_cmpuint (strlen (err) - strlen (strchr (err, '\n')), ==, strlen (err) - 1);
}

static void
test_environment (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;

  qi_test_env_setenv (&f->env, "QI_TRACKER", "tracker-ftrack");

  /* a farm machine: the three variables, no keyring */
  g_assert_cmpint (run_qi (f, ENV ("QI_FTRACK_SERVER", f->http.base, "QI_FTRACK_API_USER", "bruno",
                                   "QI_FTRACK_API_KEY", API_KEY, "DBUS_SESSION_BUS_ADDRESS", NULL),
                           NULL, &out, &err, ARGS ("--log-level", "debug", "status")), ==, 0);
  g_assert_cmpstr (f->user, ==, "bruno");
  g_assert_cmpstr (f->key, ==, API_KEY);
  g_assert_nonnull (strstr (err, "2.3: logged in as bruno (ftrack)"));

  /* a wrong key: one clear line, and the command still runs */
  g_assert_cmpint (run_qi (f, ENV ("QI_FTRACK_SERVER", f->http.base, "QI_FTRACK_API_USER", "bruno",
                                   "QI_FTRACK_API_KEY", "wrong", "DBUS_SESSION_BUS_ADDRESS", NULL),
                           NULL, &out, &err, ARGS ("status")), ==, 0);
  expected = g_strdup_printf ("qi: not logged in: the ftrack login of QI_FTRACK_API_USER failed: ftrack at %s "
                              "refused the API user “bruno” (HTTP 401): check the user name and its API key in "
                              "ftrack's My Account → Security settings\n", f->http.base);
  g_assert_cmpstr (err, ==, expected);

  /* two of three */
  g_assert_cmpint (run_qi (f, ENV ("QI_FTRACK_SERVER", f->http.base, "QI_FTRACK_API_USER", "bruno",
                                   "DBUS_SESSION_BUS_ADDRESS", NULL),
                           NULL, &out, &err, ARGS ("status")), ==, 0);
  g_assert_cmpstr (err, ==, "qi: not logged in: an ftrack login from the environment needs QI_FTRACK_SERVER, "
                            "QI_FTRACK_API_USER and QI_FTRACK_API_KEY, all three\n");
}

static void
test_service_token (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *token = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *key_path = g_build_filename (f->env.root, "qi-data", "service-token.key", NULL);
  GStatBuf st;

  g_assert_cmpint (run_qi (f, NULL, PASSWORD "\n", &out, &err,
                           ARGS ("user", "add", "root", "--role", "admin", "--password-stdin")), ==, 0);
  g_assert_cmpint (run_qi (f, NULL, PASSWORD "\n", &out, &err,
                           ARGS ("user", "add", "farm", "--password-stdin")), ==, 0);

  /* only an admin issues one */
  g_assert_cmpint (run_qi (f, NULL, PASSWORD "\n", &out, &err,
                           ARGS ("auth", "service-token", "--user", "farm", "--admin", "farm", "--password-stdin")),
                   ==, 1);
  g_assert_cmpstr (err, ==, "qi auth service-token: “farm” is not an admin: only an admin issues service tokens\n");
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_qi (f, NULL, "wrong password\n", &out, &err,
                           ARGS ("auth", "service-token", "--user", "farm", "--admin", "root", "--password-stdin")),
                   ==, 1);
  g_assert_cmpstr (err, ==, "qi auth service-token: unknown user or wrong password\n");
  g_assert_cmpint (run_qi (f, NULL, PASSWORD "\n", &out, &err,
                           ARGS ("auth", "service-token", "--user", "nobody", "--admin", "root", "--password-stdin")),
                   ==, 1);
  g_assert_cmpstr (err, ==, "qi auth service-token: there is no user “nobody” in the tracker\n");
  g_assert_cmpint (run_qi (f, NULL, PASSWORD "\n", &out, &err,
                           ARGS ("auth", "service-token", "--user", "farm", "--admin", "root", "--lifetime", "0",
                                 "--password-stdin")), ==, 2);

  g_assert_cmpint (run_qi (f, NULL, PASSWORD "\n", &out, &err,
                           ARGS ("auth", "service-token", "--user", "farm", "--admin", "root", "--lifetime", "7",
                                 "--password-stdin")), ==, 0);
  g_assert_cmpstr (err, ==, "");
  token = g_strstrip (g_strdup (out));
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* it logs a process in as its user */
  g_assert_cmpint (run_qi (f, ENV ("QI_SERVICE_TOKEN", token, "DBUS_SESSION_BUS_ADDRESS", NULL), NULL, &out, &err,
                           ARGS ("--log-level", "debug", "status")), ==, 0);
  g_assert_nonnull (strstr (err, "2.3: logged in as farm (local)"));

  /* a token changed by one character, or of a key since deleted, does not */
  forged = g_strdup (token);
  forged[strlen (forged) - 2] = forged[strlen (forged) - 2] == 'A' ? 'B' : 'A';
  g_assert_cmpint (run_qi (f, ENV ("QI_SERVICE_TOKEN", forged, "DBUS_SESSION_BUS_ADDRESS", NULL), NULL, &out, &err,
                           ARGS ("status")), ==, 0);
  g_assert_true (g_str_has_prefix (err, "qi: not logged in: QI_SERVICE_TOKEN is not a service token of this "
                                        "machine's Qi: "));
  g_assert_cmpint (g_unlink (key_path), ==, 0);
  g_assert_cmpint (run_qi (f, ENV ("QI_SERVICE_TOKEN", token, "DBUS_SESSION_BUS_ADDRESS", NULL), NULL, &out, &err,
                           ARGS ("status")), ==, 0);
  g_assert_true (g_str_has_prefix (err, "qi: not logged in: no service token key can be read"));
}

int
main (int   argc,
      char *argv[])
{
  /* not G_TEST_OPTION_ISOLATE_DIRS: GIO's proxy resolver then finds no
   * GSettings schemas; the qi processes get a scratch environment */
  g_test_init (&argc, &argv, NULL);
  /* GIO's proxy resolver reads GSettings: not from the dconf of a session
   * bus (that of tests/with-keyring), whose worker thread outlives the
   * test. The qi processes get the same. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("QI_NO_KEYRING", "1", TRUE);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/ftrack-auth/login", test_login);
  ADD ("/qi/ftrack-auth/errors", test_errors);
  ADD ("/qi/ftrack-auth/providers", test_providers);
  ADD ("/qi/ftrack-auth/refresh", test_refresh);
  ADD ("/qi/ftrack-auth/revocation", test_revocation);
  ADD ("/qi/ftrack-auth/keyring", test_keyring);
  ADD ("/qi/ftrack-auth/no-keyring", test_no_keyring);
  ADD ("/qi/ftrack-auth/environment", test_environment);
  ADD ("/qi/ftrack-auth/service-token", test_service_token);
#undef ADD

  return g_test_run ();
}
