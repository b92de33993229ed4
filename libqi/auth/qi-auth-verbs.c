/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-auth-manager.h"
#include "qi-auth-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-cli-invocation.h"
#include "qi-ftrack-keyring-private.h"
#include "qi-local-auth-provider.h"

/*
 * `qi --headless user add NAME [--full-name TEXT] [--email ADDRESS]
 * [--role admin] --password-stdin`, `user list [--json]` and `login
 * --user NAME --password-stdin [--json]`: the users of the `auth`
 * service's local provider. None needs the addons. A password is only
 * ever read from stdin (one line), never from the command line, where
 * other users of the machine could see it.
 *
 * Exit statuses: 0; 1 for a failure (a user that exists, a weak password,
 * unknown user or wrong password); 2 for a usage error.
 */

static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static QiAuthManager *
get_manager (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiAuthManager) service = qi_cli_invocation_dup_service (invocation, "auth", QI_TYPE_AUTH_MANAGER);

  return g_steal_pointer (&service);
}

static QiAuthProvider *
get_provider (QiCliInvocation *invocation,
              gpointer         user_data)
{
  g_autoptr(QiAuthManager) service = qi_cli_invocation_dup_service (invocation, "auth", QI_TYPE_AUTH_MANAGER);

  if (service == NULL)
    return NULL;
  return g_object_ref (qi_auth_manager_get_provider (service));
}

static QiLocalAuthProvider *
get_local_provider (QiCliInvocation *invocation,
                    gpointer         user_data)
{
  g_autoptr(QiAuthProvider) provider = get_provider (invocation, user_data);

  if (provider == NULL)
    return NULL;
  if (!QI_IS_LOCAL_AUTH_PROVIDER (provider))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: the auth provider (%s) keeps its users itself: manage them there\n"),
                                  verb_name (invocation), G_OBJECT_TYPE_NAME (provider));
      return NULL;
    }
  return QI_LOCAL_AUTH_PROVIDER (g_steal_pointer (&provider));
}

static void
clear_secret (char **secret)
{
  if (*secret != NULL)
    {
      explicit_bzero (*secret, strlen (*secret));
      g_clear_pointer (secret, g_free);
    }
}

/* One line of stdin, without its line end; "" at the end of input. NULL
 * (with a message printed) when --password-stdin is missing or stdin
 * cannot be read. */
static char *read_secret (QiCliInvocation *invocation, const char *flag, const char *what, int *status);

static char *
read_password (QiCliInvocation *invocation,
               int             *status)
{
  return read_secret (invocation, "password-stdin", _("password"), status);
}

static char *
read_secret (QiCliInvocation *invocation,
             const char      *flag,
             const char      *what,
             int             *status)
{
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  char *line;
  gsize length = 0;

  if (!qi_cli_invocation_get_flag (invocation, flag))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: give the %s on stdin with --%s "
                                    "(never on the command line)\n"), verb_name (invocation), what, flag);
      *status = QI_CLI_EXIT_USAGE;
      return NULL;
    }
  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  lines = g_data_input_stream_new (stdin_stream);
  /* read byte by byte past the line: what follows stays for others */
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (lines), 1);
  g_data_input_stream_set_newline_type (lines, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  line = g_data_input_stream_read_line (lines, &length, NULL, &error);
  if (line == NULL && error != NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: cannot read the %s from stdin: %s\n"),
                                  verb_name (invocation), what, error->message);
      *status = 1;
      return NULL;
    }
  if (line != NULL && !g_utf8_validate (line, length, NULL))
    {
      clear_secret (&line);
      qi_cli_invocation_printerr (invocation, _("qi %s: the %s on stdin is not UTF-8\n"),
                                  verb_name (invocation), what);
      *status = 1;
      return NULL;
    }
  return line != NULL ? line : g_strdup ("");
}

static void
print_roles (QiCliInvocation *invocation,
             JsonArray       *roles)
{
  for (guint i = 0; i < json_array_get_length (roles); i++)
    qi_cli_invocation_print (invocation, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (roles, i));
}

/* user add NAME [--full-name TEXT] [--email ADDRESS] [--role admin] --password-stdin */
static int
user_add_verb (QiCliInvocation *invocation,
               gpointer         user_data)
{
  g_autoptr(QiLocalAuthProvider) provider = get_local_provider (invocation, user_data);
  const char *username = qi_cli_invocation_get_arguments (invocation)[0];
  const char *role = qi_cli_invocation_get_string (invocation, "role");
  __attribute__((cleanup (clear_secret))) char *password = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) user = NULL;
  const char *roles[3] = { "artist", NULL, NULL };
  int status = 0;

  if (provider == NULL)
    return 1;
  if (role != NULL && !g_str_equal (role, "artist") && !g_str_equal (role, "admin"))
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: --role is “artist” or “admin”, not “%s”\n"),
                                  verb_name (invocation), role);
      return QI_CLI_EXIT_USAGE;
    }
  /* an admin is an artist too */
  if (g_strcmp0 (role, "admin") == 0)
    roles[1] = "admin";
  if ((password = read_password (invocation, &status)) == NULL)
    return status;
  user = qi_local_auth_provider_add_user (provider, username, qi_cli_invocation_get_string (invocation, "full-name"),
                                          qi_cli_invocation_get_string (invocation, "email"), password, roles,
                                          &error);
  if (user == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  qi_cli_invocation_print (invocation, _("created the user “%s” ("), username);
  print_roles (invocation, json_object_get_array_member (json_node_get_object (user), "roles"));
  qi_cli_invocation_print (invocation, ")\n");
  return 0;
}

/* user passwd NAME --password-stdin */
static int
user_passwd_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiLocalAuthProvider) provider = get_local_provider (invocation, user_data);
  const char *username = qi_cli_invocation_get_arguments (invocation)[0];
  __attribute__((cleanup (clear_secret))) char *password = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (provider == NULL)
    return 1;
  if ((password = read_password (invocation, &status)) == NULL)
    return status;
  if (!qi_local_auth_provider_set_password (provider, username, password, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  qi_cli_invocation_print (invocation, _("set the password of “%s”\n"), username);
  return 0;
}

/* user list [--json] */
static int
user_list_verb (QiCliInvocation *invocation,
                gpointer         user_data)
{
  g_autoptr(QiLocalAuthProvider) provider = get_local_provider (invocation, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) users = NULL;
  JsonArray *array;

  if (provider == NULL)
    return 1;
  if ((users = qi_local_auth_provider_list_users (provider, &error)) == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, users);
      return 0;
    }
  array = json_node_get_array (users);
  if (json_array_get_length (array) == 0)
    {
      qi_cli_invocation_print (invocation, _("no user: add one with “qi --headless user add NAME --password-stdin”\n"));
      return 0;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);

      qi_cli_invocation_print (invocation, "%-16s %-24s ", json_object_get_string_member (user, "username"),
                               json_object_get_string_member_with_default (user, "full_name", ""));
      print_roles (invocation, json_object_get_array_member (user, "roles"));
      qi_cli_invocation_print (invocation, "%s\n",
                               json_object_get_boolean_member (user, "has_password") ? "" : _("  (no password)"));
    }
  return 0;
}

static int
print_session (QiCliInvocation *invocation,
               JsonNode        *session)
{
  JsonObject *object = json_node_get_object (session);
  JsonObject *user = json_object_get_object_member (object, "user");

  /* the token would die with this process: it is of no use to print */
  json_object_remove_member (object, "token");
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, session);
      return 0;
    }
  qi_cli_invocation_print (invocation, _("logged in as %s (%s), roles: "),
                           json_object_get_string_member (user, "username"),
                           json_object_get_string_member_with_default (user, "full_name", ""));
  print_roles (invocation, json_object_get_array_member (object, "roles"));
  qi_cli_invocation_print (invocation, "\n");
  return 0;
}

/* login --ftrack SERVER --user NAME --api-key-stdin [--json] */
static int
login_ftrack (QiCliInvocation *invocation,
              QiAuthManager   *manager,
              const char      *server,
              const char      *username)
{
  __attribute__((cleanup (clear_secret))) char *api_key = NULL;
  g_autoptr(JsonObject) credentials = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) session = NULL;
  int status = 0;

  if ((api_key = read_secret (invocation, "api-key-stdin", _("ftrack API key"), &status)) == NULL)
    return status;
  credentials = json_object_new ();
  json_object_set_string_member (credentials, "server", server);
  json_object_set_string_member (credentials, "api_user", username);
  json_object_set_string_member (credentials, "api_key", api_key);
  session = qi_auth_manager_login (manager, QI_AUTH_MANAGER_FTRACK, credentials, &error);
  json_object_remove_member (credentials, "api_key");
  if (session == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  /* the server as the provider wrote it (no trailing /) */
  if (!qi_ftrack_keyring_store (json_object_get_string_member (json_node_get_object (session), "server"),
                                username, api_key, &error))
    qi_cli_invocation_printerr (invocation, _("qi %s: logged in, but the API key was not stored: %s\n"),
                                verb_name (invocation), error->message);
  else if (!qi_cli_invocation_get_flag (invocation, "json"))
    qi_cli_invocation_print (invocation, _("the API key is in the desktop keyring: later runs log in with it\n"));
  return print_session (invocation, session);
}

/* login --user NAME --password-stdin [--json] */
static int
login_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiAuthManager) manager = get_manager (invocation, user_data);
  const char *username = qi_cli_invocation_get_string (invocation, "user");
  const char *server = qi_cli_invocation_get_string (invocation, "ftrack");
  __attribute__((cleanup (clear_secret))) char *password = NULL;
  g_autoptr(JsonObject) credentials = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) session = NULL;
  int status = 0;

  if (manager == NULL)
    return 1;
  if (username == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: which user? Give --user NAME\n"), verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  if (server != NULL)
    return login_ftrack (invocation, manager, server, username);
  if ((password = read_password (invocation, &status)) == NULL)
    return status;
  credentials = json_object_new ();
  json_object_set_string_member (credentials, "username", username);
  json_object_set_string_member (credentials, "password", password);
  session = qi_auth_manager_login (manager, QI_AUTH_MANAGER_LOCAL, credentials, &error);
  /* the copy in the credentials */
  json_object_remove_member (credentials, "password");
  if (session == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  return print_session (invocation, session);
}

/* logout --ftrack [--server SERVER] [--user NAME] */
static int
logout_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(GError) error = NULL;
  guint cleared = 0;

  if (!qi_cli_invocation_get_flag (invocation, "ftrack"))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: give --ftrack: the stored ftrack API key is all there is to forget "
                                    "(local sessions end with their process)\n"), verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  if (!qi_ftrack_keyring_clear (qi_cli_invocation_get_string (invocation, "server"),
                                qi_cli_invocation_get_string (invocation, "user"), &cleared, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  if (cleared == 0)
    qi_cli_invocation_print (invocation, _("no ftrack API key was stored\n"));
  else
    qi_cli_invocation_print (invocation, _("forgot the stored ftrack API key\n"));
  return 0;
}

/* auth service-token --user NAME [--lifetime DAYS] --admin ADMIN --password-stdin */
static int
service_token_verb (QiCliInvocation *invocation,
                    gpointer         user_data)
{
  g_autoptr(QiAuthManager) manager = get_manager (invocation, user_data);
  const char *username = qi_cli_invocation_get_string (invocation, "user");
  const char *admin = qi_cli_invocation_get_string (invocation, "admin");
  __attribute__((cleanup (clear_secret))) char *password = NULL;
  g_autoptr(JsonObject) credentials = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  JsonArray *roles;
  gint64 days = 30;
  gboolean is_admin = FALSE;
  int status = 0;

  if (manager == NULL)
    return 1;
  if (username == NULL || admin == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: give --user NAME (whose token it is) and --admin NAME "
                                                "(an admin, whose password is read from stdin)\n"),
                                  verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  if (qi_cli_invocation_get_int (invocation, "lifetime", &days) && (days < 1 || days > 3650))
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: --lifetime is 1 to 3650 days, not %" G_GINT64_FORMAT "\n"),
                                  verb_name (invocation), days);
      return QI_CLI_EXIT_USAGE;
    }
  if ((password = read_password (invocation, &status)) == NULL)
    return status;
  credentials = json_object_new ();
  json_object_set_string_member (credentials, "username", admin);
  json_object_set_string_member (credentials, "password", password);
  session = qi_auth_manager_login (manager, QI_AUTH_MANAGER_LOCAL, credentials, &error);
  json_object_remove_member (credentials, "password");
  if (session == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  roles = json_object_get_array_member (json_node_get_object (session), "roles");
  for (guint i = 0; roles != NULL && i < json_array_get_length (roles); i++)
    is_admin |= g_strcmp0 (json_array_get_string_element (roles, i), "admin") == 0;
  qi_auth_manager_logout (manager, json_object_get_string_member (json_node_get_object (session), "token"), NULL);
  if (!is_admin)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: “%s” is not an admin: only an admin issues service tokens\n"),
                                  verb_name (invocation), admin);
      return 1;
    }
  token = qi_auth_manager_issue_service_token (manager, username, (guint) days, &error);
  if (token == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  qi_cli_invocation_print (invocation, "%s\n", token);
  return 0;
}

void
qi_auth_verbs_register (QiCliManager  *cli)
{
  QiCliVerb *verb;

  verb = qi_cli_verb_new ("user add", _("Add a user who can log in to the embedded tracker"),
                          user_add_verb, NULL, NULL);
  qi_cli_verb_set_arguments (verb, _("NAME"), 1, 1);
  qi_cli_verb_set_description (verb,
    _("The password is one line read from stdin (--password-stdin), of at least 8 characters; it is "
      "stored hashed with yescrypt. Every user is an artist; --role admin makes an admin too. "
      "A user of that name that exists already is refused."));
  qi_cli_verb_add_option (verb, "full-name", QI_CLI_OPTION_STRING, _("TEXT"), _("The name to show"));
  qi_cli_verb_add_option (verb, "email", QI_CLI_OPTION_STRING, _("ADDRESS"), _("The user's e-mail address"));
  qi_cli_verb_add_option (verb, "role", QI_CLI_OPTION_STRING, _("ROLE"), _("artist (the default) or admin"));
  qi_cli_verb_add_option (verb, "password-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the password from stdin"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("user passwd", _("Set the password of a user of the embedded tracker"),
                          user_passwd_verb, NULL, NULL);
  qi_cli_verb_set_arguments (verb, _("NAME"), 1, 1);
  qi_cli_verb_set_description (verb,
    _("The password is one line read from stdin (--password-stdin), of at least 8 characters. The user "
      "may have had none: the demo's users and the users of an imported project cannot log in until "
      "they are given one."));
  qi_cli_verb_add_option (verb, "password-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the password from stdin"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("user list", _("List the users of the embedded tracker and their roles"),
                          user_list_verb, NULL, NULL);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("login", _("Check a user's password and show the user and roles"),
                          login_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("The password is one line read from stdin (--password-stdin). The session opened lasts as long "
      "as this command: sessions end with the Qi process that opened them."));
  qi_cli_verb_add_option (verb, "user", QI_CLI_OPTION_STRING, _("NAME"), _("The user to log in as"));
  qi_cli_verb_add_option (verb, "password-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the password from stdin"));
  qi_cli_verb_add_option (verb, "ftrack", QI_CLI_OPTION_STRING, _("SERVER"),
                          _("Log in to this ftrack server with an API key, and keep the key in the desktop keyring"));
  qi_cli_verb_add_option (verb, "api-key-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the ftrack API key from stdin"));
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("logout", _("Forget the ftrack API key kept in the desktop keyring"),
                          logout_verb, NULL, NULL);
  qi_cli_verb_add_option (verb, "ftrack", QI_CLI_OPTION_FLAG, NULL, _("Forget the stored ftrack API key"));
  qi_cli_verb_add_option (verb, "server", QI_CLI_OPTION_STRING, _("SERVER"), _("Only the key of this server"));
  qi_cli_verb_add_option (verb, "user", QI_CLI_OPTION_STRING, _("NAME"), _("Only the key of this API user"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("auth service-token", _("Issue a service token that logs a non-interactive process in"),
                          service_token_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("Prints a token for --user, signed with the key in service-token.key of the data folder (made on "
      "first use, mode 0600). Set as QI_SERVICE_TOKEN it logs a process of this machine in as that user. "
      "An admin's password (--admin NAME) is read from stdin. Deleting the key file revokes every token."));
  qi_cli_verb_add_option (verb, "user", QI_CLI_OPTION_STRING, _("NAME"), _("The user the token logs in as"));
  qi_cli_verb_add_option (verb, "lifetime", QI_CLI_OPTION_INT, _("DAYS"), _("How long it lasts (default 30)"));
  qi_cli_verb_add_option (verb, "admin", QI_CLI_OPTION_STRING, _("NAME"), _("The admin who issues it"));
  qi_cli_verb_add_option (verb, "password-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the admin's password from stdin"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);
}
