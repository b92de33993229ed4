/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sqlite3.h>

#include "qi-test-json.h"
#include "qi-test-utils.h"
#include "qi-sqlite-adapter.h"
#include "qi-local-auth-provider.h"

/*
 * The local login: QiLocalAuthProvider over a real tracker file
 * (yescrypt hashes, one message for a wrong user or password, sessions),
 * migration 2 of a version 1 tracker, QiAuthManager on the hub, and the
 * user and login verbs of the real qi.
 */

#define PASSWORD "correct horse"

typedef struct
{
  QiTestEnv            env;
  char                *path;
  QiSqliteAdapter     *sqlite;
  QiTokenAuthority    *authority;
  QiLocalAuthProvider *local;
  QiAuthProvider      *auth;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  qi_test_env_setup (&f->env);
  qi_test_env_keep_runtime (&f->env);
  f->path = g_build_filename (f->env.root, "tracker", "tracker.sqlite", NULL);
  f->sqlite = qi_sqlite_adapter_new (f->path);
  f->authority = qi_token_authority_new (&error);
  g_assert_no_error (error);
  f->local = qi_local_auth_provider_new (f->sqlite);
  f->auth = QI_AUTH_PROVIDER (f->local);
  qi_auth_provider_set_authority (f->auth, f->authority);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->local);
  g_clear_object (&f->authority);
  g_clear_object (&f->sqlite);
  qi_test_env_teardown (&f->env);
  g_free (f->path);
}

/* Runs @statement on the file with SQLite itself; the first column of the
 * last row in *@value. */
static void
sql (const char  *path,
     const char  *statement,
     char       **value)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (value == NULL)
    {
      g_assert_cmpint (sqlite3_exec (db, statement, NULL, NULL, NULL), ==, SQLITE_OK);
      sqlite3_close (db);
      return;
    }
  g_assert_cmpint (sqlite3_prepare_v2 (db, statement, -1, &stmt, NULL), ==, SQLITE_OK);
  g_clear_pointer (value, g_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_free (*value);
      *value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
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

static JsonNode *
add_user (Fixture            *f,
          const char         *username,
          const char         *password,
          const char * const *roles)
{
  g_autoptr(GError) error = NULL;
  JsonNode *user = qi_local_auth_provider_add_user (f->local, username, NULL, NULL, password, roles, &error);

  g_assert_no_error (error);
  g_assert_nonnull (user);
  return user;
}

static JsonNode *
login (Fixture     *f,
       const char  *username,
       const char  *password,
       GError     **error)
{
  g_autoptr(JsonObject) credentials = json_object_new ();

  json_object_set_string_member (credentials, "username", username);
  json_object_set_string_member (credentials, "password", password);
  return qi_auth_provider_login (f->auth, credentials, error);
}

static gboolean
file_holds (const char *path,
            const char *text)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  for (gsize i = 0; i + strlen (text) <= length; i++)
    if (memcmp (contents + i, text, strlen (text)) == 0)
      return TRUE;
  return FALSE;
}

static void
on_changed (QiDbAdapter *adapter,
            const char  *entity,
            const char  *action,
            JsonNode    *object,
            gpointer     user_data)
{
  g_autofree char *text = json_to_string (object, FALSE);

  g_ptr_array_add (user_data, g_strdup_printf ("%s %s %s", entity, action, text));
}

static void
test_hashing (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonNode) ada = NULL;
  g_autoptr(JsonNode) bruno = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *ada_hash = NULL;
  g_autofree char *bruno_hash = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *roles = NULL;

  g_signal_connect (f->sqlite, "changed", G_CALLBACK (on_changed), events);
  ada = add_user (f, "ada", PASSWORD, (const char * const []) { "artist", "admin", NULL });
  bruno = add_user (f, "bruno", PASSWORD, NULL);
  roles = roles_of (ada);
  g_assert_cmpstr (roles, ==, "admin,artist");
  g_clear_pointer (&roles, g_free);
  roles = roles_of (bruno);
  g_assert_cmpstr (roles, ==, "artist");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (ada), "has_password"));

  /* yescrypt, with a salt of its own per user */
  sql (f->path, "SELECT p.hash FROM user_passwords p JOIN users u ON u.id = p.user_id WHERE u.username = 'ada'",
       &ada_hash);
  sql (f->path, "SELECT p.hash FROM user_passwords p JOIN users u ON u.id = p.user_id WHERE u.username = 'bruno'",
       &bruno_hash);
  g_assert_true (g_str_has_prefix (ada_hash, "$y$"));
  g_assert_true (g_str_has_prefix (bruno_hash, "$y$"));
  g_assert_cmpstr (ada_hash, !=, bruno_hash);
  g_assert_false (file_holds (f->path, PASSWORD));
  g_assert_false (file_holds (wal, PASSWORD));

  /* the tracker's event names the user, never the hash */
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_true (g_str_has_prefix (events->pdata[0], "user created {\"id\":\"1\",\"username\":\"ada\""));
  g_assert_null (strstr (events->pdata[0], "$y$"));
  g_assert_null (strstr (events->pdata[0], "has_password"));
}

static void
test_add_user_refused (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonNode) ada = add_user (f, "ada", PASSWORD, NULL);
  g_autoptr(JsonNode) user = NULL;
  g_autoptr(JsonNode) users = NULL;
  g_autoptr(GError) error = NULL;

  user = qi_local_auth_provider_add_user (f->local, "bruno", NULL, NULL, "", NULL, &error);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_WEAK_PASSWORD);
  g_assert_cmpstr (error->message, ==, "the password is empty");
  g_clear_error (&error);
  user = qi_local_auth_provider_add_user (f->local, "bruno", NULL, NULL, "1234567", NULL, &error);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_WEAK_PASSWORD);
  g_clear_error (&error);
  user = qi_local_auth_provider_add_user (f->local, "ada", NULL, NULL, PASSWORD, NULL, &error);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXISTS);
  g_assert_cmpstr (error->message, ==, "there is a user “ada” already");
  g_clear_error (&error);
  user = qi_local_auth_provider_add_user (f->local, "bruno", NULL, NULL, PASSWORD,
                                          (const char * const []) { "root", NULL }, &error);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID);
  g_clear_error (&error);
  user = qi_local_auth_provider_add_user (f->local, "../etc", NULL, NULL, PASSWORD, NULL, &error);
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (user);

  /* nothing half-made: one user */
  users = qi_local_auth_provider_list_users (f->local, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (users)), ==, 1);
}

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonNode) ada = add_user (f, "ada", PASSWORD, (const char * const []) { "admin", NULL });
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonNode) plain = NULL;
  g_autoptr(JsonObject) half = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) expires = NULL;
  g_autofree char *roles = NULL;
  JsonObject *user;
  gint64 in;

  session = login (f, "ada", PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_nonnull (qi_test_string_of (session, "token"));
  user = json_object_get_object_member (json_node_get_object (session), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "ada");
  g_assert_false (json_object_has_member (user, "hash"));
  roles = roles_of (session);
  /* every user is an artist, whatever roles were written */
  g_assert_cmpstr (roles, ==, "admin,artist");
  expires = g_date_time_new_from_iso8601 (qi_test_string_of (session, "expires_at"), NULL);
  g_assert_nonnull (expires);
  in = g_date_time_to_unix (expires) - g_get_real_time () / G_USEC_PER_SEC;
  g_assert_cmpint (in, >, QI_AUTH_PROVIDER_DEFAULT_LIFETIME - 60);
  g_assert_cmpint (in, <=, QI_AUTH_PROVIDER_DEFAULT_LIFETIME);

  /* a wrong password, an unknown user and a user without a password read
   * alike */
  g_assert_null (login (f, "ada", PASSWORD "!", &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  g_assert_cmpstr (error->message, ==, "unknown user or wrong password");
  g_clear_error (&error);
  g_assert_null (login (f, "nobody", PASSWORD, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  g_assert_cmpstr (error->message, ==, "unknown user or wrong password");
  g_clear_error (&error);
  plain = qi_db_adapter_create_user (QI_DB_ADAPTER (f->sqlite), "chen", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (login (f, "chen", "", &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  g_assert_cmpstr (error->message, ==, "unknown user or wrong password");
  g_clear_error (&error);
  g_assert_null (login (f, "../x", PASSWORD, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  g_clear_error (&error);

  json_object_set_string_member (half, "username", "ada");
  g_assert_null (qi_auth_provider_login (f->auth, half, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID);
}

static void
test_sessions (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonNode) ada = add_user (f, "ada", PASSWORD, NULL);
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonNode) refreshed = NULL;
  g_autoptr(JsonNode) me = NULL;
  g_autoptr(QiTokenAuthority) other = NULL;
  g_autofree char *forged = NULL;
  g_autoptr(GError) error = NULL;
  const char *token, *new_token;

  session = login (f, "ada", PASSWORD, &error);
  g_assert_no_error (error);
  token = qi_test_string_of (session, "token");

  me = qi_auth_provider_whoami (f->auth, token, &error);
  g_assert_no_error (error);
  g_assert_false (json_object_has_member (json_node_get_object (me), "token"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (me), "user"),
                                                  "username"), ==, "ada");
  g_assert_cmpstr (qi_test_string_of (me, "expires_at"), ==, qi_test_string_of (session, "expires_at"));

  /* refresh: a new token, the old one ends */
  refreshed = qi_auth_provider_refresh (f->auth, token, &error);
  g_assert_no_error (error);
  new_token = qi_test_string_of (refreshed, "token");
  g_assert_cmpstr (new_token, !=, token);
  g_clear_pointer (&me, json_node_unref);
  g_assert_null (qi_auth_provider_whoami (f->auth, token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  me = qi_auth_provider_whoami (f->auth, new_token, &error);
  g_assert_no_error (error);

  /* logout ends it; a second logout is refused */
  g_assert_true (qi_auth_provider_logout (f->auth, new_token, &error));
  g_assert_no_error (error);
  g_assert_null (qi_auth_provider_whoami (f->auth, new_token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_false (qi_auth_provider_logout (f->auth, new_token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  g_assert_null (qi_auth_provider_refresh (f->auth, new_token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* not a token, and a token of another run's key */
  g_assert_null (qi_auth_provider_whoami (f->auth, "not-a-token", &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  other = qi_token_authority_new (&error);
  g_assert_no_error (error);
  forged = qi_token_authority_issue (other, "user/ada", NULL,
                                     (const char * const []) { QI_TOKEN_SCOPE_HUB, NULL }, 60, &error);
  g_assert_no_error (error);
  g_assert_null (qi_auth_provider_whoami (f->auth, forged, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);
  /* a token of our own key that no login made */
  g_clear_pointer (&forged, g_free);
  forged = qi_token_authority_issue (f->authority, "user/ada", NULL,
                                     (const char * const []) { QI_TOKEN_SCOPE_HUB, NULL }, 60, &error);
  g_assert_no_error (error);
  g_assert_null (qi_auth_provider_whoami (f->auth, forged, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN);
}

static void
test_expiry (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonNode) ada = add_user (f, "ada", PASSWORD, NULL);
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(GError) error = NULL;
  const char *token;

  qi_auth_provider_set_lifetime (f->auth, 1);
  g_assert_cmpuint (qi_auth_provider_get_lifetime (f->auth), ==, 1);
  session = login (f, "ada", PASSWORD, &error);
  g_assert_no_error (error);
  token = qi_test_string_of (session, "token");
  /* the expiry is in whole seconds: at most 2 s from now */
  g_usleep (2100 * 1000);
  g_assert_null (qi_auth_provider_whoami (f->auth, token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXPIRED);
  g_clear_error (&error);
  g_assert_null (qi_auth_provider_refresh (f->auth, token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXPIRED);
  g_clear_error (&error);
  g_assert_false (qi_auth_provider_logout (f->auth, token, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXPIRED);
}

static void
test_migration (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) users = NULL;
  g_autoptr(JsonNode) dara = NULL;
  g_autofree char *version = NULL;
  g_autofree char *roles = NULL;
  JsonNode *ada;

  /* A version 1 file: this Qi's schema without migration 2, with users. */
  g_assert_true (qi_sqlite_adapter_open (f->sqlite, &error));
  g_assert_no_error (error);
  qi_sqlite_adapter_close (f->sqlite);
  sql (f->path, "DROP TABLE context_links; DROP TABLE version_links; "
                "DROP TABLE user_roles; DROP TABLE user_passwords; PRAGMA user_version = 1;"
                "INSERT INTO users (username, full_name) VALUES ('ada', 'Ada Okafor'), ('bruno', 'Bruno');",
       NULL);
  sql (f->path, "PRAGMA user_version", &version);
  g_assert_cmpstr (version, ==, "1");

  /* Opened by this Qi: migrated forward, users kept, as artists who
   * cannot log in until they have a password. */
  g_assert_true (qi_sqlite_adapter_open (f->sqlite, &error));
  g_assert_no_error (error);
  g_assert_cmpint (qi_sqlite_adapter_get_schema_version (f->sqlite), ==, QI_SQLITE_ADAPTER_SCHEMA_VERSION);
  sql (f->path, "PRAGMA user_version", &version);
  g_assert_cmpstr (version, ==, G_STRINGIFY (QI_SQLITE_ADAPTER_SCHEMA_VERSION));
  users = qi_local_auth_provider_list_users (f->local, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (users)), ==, 2);
  ada = json_array_get_element (json_node_get_array (users), 0);
  g_assert_cmpstr (qi_test_string_of (ada, "username"), ==, "ada");
  g_assert_cmpstr (qi_test_string_of (ada, "full_name"), ==, "Ada Okafor");
  roles = roles_of (ada);
  g_assert_cmpstr (roles, ==, "artist");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (ada), "has_password"));
  g_assert_null (login (f, "ada", "", &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS);
  g_clear_error (&error);

  /* and new users log in */
  dara = add_user (f, "dara", PASSWORD, NULL);
  g_clear_pointer (&users, json_node_unref);
  users = login (f, "dara", PASSWORD, &error);
  g_assert_no_error (error);
}

static JsonNode *
ask (QiHubEndpoint  *client,
     const char     *topic,
     const char     *payload,
     GError        **error)
{
  return qi_test_ask (client, topic, payload, error);
}

static void
test_hub (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiAuthManager) manager = qi_auth_manager_new (f->auth);
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(JsonNode) ada = add_user (f, "ada", PASSWORD, (const char * const []) { "artist", "admin", NULL });
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *roles = NULL;
  g_autofree char *token = NULL;

  g_assert_cmpstr (qi_service_get_name (QI_SERVICE (manager)), ==, "auth");
  g_assert_true (qi_auth_manager_get_provider (manager) == f->auth);
  g_assert_true (qi_service_start (QI_SERVICE (manager), &error));
  g_assert_true (qi_auth_manager_attach_hub (manager, hub, &error));
  g_assert_no_error (error);
  g_assert_false (qi_auth_manager_attach_hub (manager, hub, &error));
  g_assert_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED);
  g_clear_error (&error);
  client = qi_hub_open_endpoint (hub, "test/client", NULL, &error);
  g_assert_no_error (error);

  session = ask (client, "auth.login", "{\"username\": \"ada\", \"password\": \"" PASSWORD "\"}", &error);
  g_assert_no_error (error);
  roles = roles_of (session);
  g_assert_cmpstr (roles, ==, "admin,artist");
  g_assert_nonnull (qi_test_string_of (session, "expires_at"));
  token = g_strdup (qi_test_string_of (session, "token"));

  reply = ask (client, "auth.login", "{\"username\": \"ada\", \"password\": \"nope\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (error->message, ==, "unknown user or wrong password");
  g_clear_error (&error);
  reply = ask (client, "auth.login", "{\"username\": \"nobody\", \"password\": \"nope\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (error->message, ==, "unknown user or wrong password");
  g_clear_error (&error);
  reply = ask (client, "auth.login", "{\"username\": \"ada\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  reply = ask (client, "auth.whoami", "{\"token\": 42}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  payload = g_strdup_printf ("{\"token\": \"%s\"}", token);
  reply = ask (client, "auth.whoami", payload, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (reply), "user"),
                                                  "username"), ==, "ada");
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (client, "auth.refresh", payload, &error);
  g_assert_no_error (error);
  g_clear_pointer (&payload, g_free);
  g_clear_pointer (&token, g_free);
  token = g_strdup (qi_test_string_of (reply, "token"));
  payload = g_strdup_printf ("{\"token\": \"%s\"}", token);
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (client, "auth.logout", payload, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (reply), "logged_out"));
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (client, "auth.whoami", payload, &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  /* stopping the service takes its session off the hub */
  qi_service_stop (QI_SERVICE (manager));
  reply = ask (client, "auth.whoami", payload, &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
}

static int
run (GSubprocessLauncher  *launcher,
     const char           *input,
     char                **out,
     char                **err,
     const char * const   *args)
{
  return qi_test_run_qi_input (launcher, input, out, err, args);
}

static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *data_dir = g_build_filename (f->env.root, "qi-data", NULL);
  g_autofree char *demo_dir = g_build_filename (f->env.root, "qi-demo", NULL);
  g_autofree char *tracker = g_build_filename (data_dir, "tracker.sqlite", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(JsonNode) users = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_environ (launcher, f->env.envp);

#define QI(...) ((const char * const []) { "--headless", "--data-dir", data_dir, __VA_ARGS__, NULL })

  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err,
                        QI ("user", "add", "ada", "--full-name", "Ada Okafor", "--role", "admin", "--password-stdin")),
                   ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, "created the user “ada” (admin, artist)\n");
  sql (tracker, "SELECT hash FROM user_passwords", &hash);
  g_assert_true (g_str_has_prefix (hash, "$y$"));

  /* only the first line is the password */
  g_assert_cmpint (run (launcher, "other password\r\nrest\n", &out, &err,
                        QI ("user", "add", "bruno", "--password-stdin")), ==, 0);
  g_assert_cmpstr (out, ==, "created the user “bruno” (artist)\n");

  /* refused: an existing user, an empty or short password, no
   * --password-stdin, a bad role */
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, QI ("user", "add", "ada", "--password-stdin")), ==, 1);
  g_assert_cmpstr (err, ==, "qi user add: there is a user “ada” already\n");
  g_assert_cmpint (run (launcher, "\n", &out, &err, QI ("user", "add", "chen", "--password-stdin")), ==, 1);
  g_assert_cmpstr (err, ==, "qi user add: the password is empty\n");
  g_assert_cmpint (run (launcher, "", &out, &err, QI ("user", "add", "chen", "--password-stdin")), ==, 1);
  g_assert_cmpstr (err, ==, "qi user add: the password is empty\n");
  g_assert_cmpint (run (launcher, "1234567\n", &out, &err, QI ("user", "add", "chen", "--password-stdin")), ==, 1);
  g_assert_cmpstr (err, ==, "qi user add: the password must be UTF-8 of at least 8 characters\n");
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, QI ("user", "add", "chen")), ==, 2);
  g_assert_nonnull (strstr (err, "--password-stdin"));
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err,
                        QI ("user", "add", "chen", "--role", "root", "--password-stdin")), ==, 2);
  g_assert_cmpstr (err, ==, "qi user add: --role is “artist” or “admin”, not “root”\n");

  g_assert_cmpint (run (launcher, NULL, &out, &err, QI ("user", "list")), ==, 0);
  g_assert_cmpstr (out, ==,
                   "ada              Ada Okafor               admin, artist\n"
                   "bruno            bruno                    artist\n");
  g_assert_cmpint (run (launcher, NULL, &out, &err, QI ("user", "list", "--json")), ==, 0);
  users = json_from_string (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (users)), ==, 2);
  g_assert_null (strstr (out, "$y$"));

  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, QI ("login", "--user", "ada", "--password-stdin")), ==, 0);
  g_assert_cmpstr (out, ==, "logged in as ada (Ada Okafor), roles: admin, artist\n");
  g_assert_cmpint (run (launcher, "other password\n", &out, &err,
                        QI ("login", "--user", "bruno", "--password-stdin", "--json")), ==, 0);
  g_assert_null (strstr (out, "token"));
  g_assert_nonnull (strstr (out, "\"expires_at\""));
  g_assert_cmpint (run (launcher, "wrong password\n", &out, &err,
                        QI ("login", "--user", "ada", "--password-stdin")), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpstr (err, ==, "qi login: unknown user or wrong password\n");
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err,
                        QI ("login", "--user", "nobody", "--password-stdin")), ==, 1);
  g_assert_cmpstr (err, ==, "qi login: unknown user or wrong password\n");
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, QI ("login", "--password-stdin")), ==, 2);

  /* A new password replaces the old one; a user of the demo, who has
   * none, gets a first one and can log in. */
  g_assert_cmpint (run (launcher, "a new password\n", &out, &err,
                        QI ("user", "passwd", "bruno", "--password-stdin")), ==, 0);
  g_assert_cmpstr (out, ==, "set the password of “bruno”\n");
  g_assert_cmpint (run (launcher, "other password\n", &out, &err,
                        QI ("login", "--user", "bruno", "--password-stdin")), ==, 1);
  g_assert_cmpint (run (launcher, "a new password\n", &out, &err,
                        QI ("login", "--user", "bruno", "--password-stdin")), ==, 0);
  /* (in a tracker of its own: the demo has an ada and a bruno too) */
#define DEMO(...) ((const char * const []) { "--headless", "--data-dir", demo_dir, __VA_ARGS__, NULL })
  g_assert_cmpint (run (launcher, NULL, &out, &err, DEMO ("db", "seed-demo")), ==, 0);
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, DEMO ("login", "--user", "emil", "--password-stdin")),
                   ==, 1);
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, DEMO ("user", "passwd", "emil", "--password-stdin")),
                   ==, 0);
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, DEMO ("login", "--user", "emil", "--password-stdin")),
                   ==, 0);
  g_assert_cmpstr (out, ==, "logged in as emil (Emil Novak), roles: artist\n");
  g_assert_cmpint (run (launcher, PASSWORD "\n", &out, &err, DEMO ("user", "passwd", "zed", "--password-stdin")),
                   ==, 1);
  g_assert_cmpstr (err, ==, "qi user passwd: no user “zed”\n");
  g_assert_cmpint (run (launcher, "short\n", &out, &err, DEMO ("user", "passwd", "emil", "--password-stdin")), ==, 1);
  g_assert_cmpstr (err, ==, "qi user passwd: the password must be UTF-8 of at least 8 characters\n");
#undef DEMO
#undef QI
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/auth/hashing", test_hashing);
  ADD ("/qi/auth/add-user-refused", test_add_user_refused);
  ADD ("/qi/auth/login", test_login);
  ADD ("/qi/auth/sessions", test_sessions);
  ADD ("/qi/auth/expiry", test_expiry);
  ADD ("/qi/auth/migration", test_migration);
  ADD ("/qi/auth/hub", test_hub);
  ADD ("/qi/auth/cli", test_cli);
#undef ADD

  return g_test_run ();
}
