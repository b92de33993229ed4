/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-auth-manager.h"
#include "qi-auth-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-cli-invocation.h"

/*
 * `qi --headless login --user NAME --password-stdin [--json]`,
 * `login --ftrack SERVER --user NAME --api-key-stdin [--json]` and `auth
 * service-token --user NAME --admin ADMIN --password-stdin`: logins
 * through the run's auth provider (the tracker addon's). A secret is only
 * ever read from stdin (one line), never from the command line, where
 * other users of the machine could see it. The users of the embedded
 * tracker are the tracker-sqlite addon's verbs (`user add|passwd|list`).
 *
 * Exit statuses: 0; 1 for a failure (unknown user or wrong password, a
 * login the provider refuses); 2 for a usage error.
 */

static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static void
print_roles (QiCliInvocation *invocation,
             JsonArray       *roles)
{
  for (guint i = 0; i < json_array_get_length (roles); i++)
    qi_cli_invocation_print (invocation, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (roles, i));
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

static void
on_remembered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Keeps what a later run needs (ftrack: the key in the keyring) and says
 * whether it could. */
static void
remember (QiCliInvocation *invocation,
          QiAuthProvider  *provider,
          JsonObject      *credentials)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) members = NULL;

  qi_auth_provider_remember_async (provider, credentials, NULL, on_remembered, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  members = qi_auth_provider_remember_finish (provider, result, &error);
  if (members == NULL)
    qi_cli_invocation_printerr (invocation, _("qi %s: logged in, but the login was not kept: %s\n"),
                                verb_name (invocation), error->message);
  else if (json_object_has_member (members, "key_stored") && !json_object_get_boolean_member (members, "key_stored"))
    qi_cli_invocation_printerr (invocation, _("qi %s: logged in, but the API key was not stored: %s\n"),
                                verb_name (invocation),
                                json_object_get_string_member_with_default (members, "key_not_stored", "?"));
  else if (json_object_has_member (members, "key_stored") && !qi_cli_invocation_get_flag (invocation, "json"))
    qi_cli_invocation_print (invocation, _("the API key is in the desktop keyring: later runs log in with it\n"));
}

/* login --user NAME (--password-stdin | --ftrack SERVER --api-key-stdin) [--json] */
static int
login_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiAuthManager) manager = qi_cli_invocation_dup_service (invocation, "auth", QI_TYPE_AUTH_MANAGER);
  const char *username = qi_cli_invocation_get_string (invocation, "user");
  const char *server = qi_cli_invocation_get_string (invocation, "ftrack");
  __attribute__((cleanup (qi_cli_invocation_clear_secret))) char *secret = NULL;
  g_autoptr(JsonObject) credentials = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) session = NULL;
  QiAuthProvider *provider;
  int status = 0;

  if (manager == NULL)
    return 1;
  if (username == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: which user? Give --user NAME\n"), verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  /* the flags say which login: it must be the run's */
  provider = qi_auth_manager_get_provider (manager);
  if (provider == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: no tracker is loaded, so no login\n"), verb_name (invocation));
      return 1;
    }
  if ((server != NULL) != g_str_equal (qi_auth_provider_get_name (provider), "ftrack"))
    {
      qi_cli_invocation_printerr (invocation,
                                  server != NULL
                                  ? _("qi %s: --ftrack logs in to ftrack, but this run logs in through “%s”: run it "
                                      "with --tracker tracker-ftrack (or [launch] tracker in qi.toml)\n")
                                  : _("qi %s: this run logs in through “%s”: give --ftrack SERVER --user NAME and "
                                      "--api-key-stdin\n"),
                                  verb_name (invocation), qi_auth_provider_get_name (provider));
      return QI_CLI_EXIT_USAGE;
    }
  credentials = json_object_new ();
  if (server != NULL)
    {
      if ((secret = qi_cli_invocation_read_secret (invocation, "api-key-stdin", _("ftrack API key"), &status)) == NULL)
        return status;
      json_object_set_string_member (credentials, "server", server);
      json_object_set_string_member (credentials, "api_user", username);
      json_object_set_string_member (credentials, "api_key", secret);
    }
  else
    {
      if ((secret = qi_cli_invocation_read_secret (invocation, "password-stdin", _("password"), &status)) == NULL)
        return status;
      json_object_set_string_member (credentials, "username", username);
      json_object_set_string_member (credentials, "password", secret);
    }
  session = qi_auth_manager_login (manager, credentials, &error);
  if (session == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
      return 1;
    }
  if (server != NULL)
    remember (invocation, provider, credentials);
  /* the copies of the secret */
  json_object_remove_member (credentials, "password");
  json_object_remove_member (credentials, "api_key");
  return print_session (invocation, session);
}

/* auth service-token --user NAME [--lifetime DAYS] --admin ADMIN --password-stdin */
static int
service_token_verb (QiCliInvocation *invocation,
                    gpointer         user_data)
{
  g_autoptr(QiAuthManager) manager = qi_cli_invocation_dup_service (invocation, "auth", QI_TYPE_AUTH_MANAGER);
  const char *username = qi_cli_invocation_get_string (invocation, "user");
  const char *admin = qi_cli_invocation_get_string (invocation, "admin");
  __attribute__((cleanup (qi_cli_invocation_clear_secret))) char *password = NULL;
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
  if ((password = qi_cli_invocation_read_secret (invocation, "password-stdin", _("password"), &status)) == NULL)
    return status;
  credentials = json_object_new ();
  json_object_set_string_member (credentials, "username", admin);
  json_object_set_string_member (credentials, "password", password);
  session = qi_auth_manager_login (manager, credentials, &error);
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

  verb = qi_cli_verb_new ("login", _("Log in through the run's tracker and show the user and roles"),
                          login_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("With the embedded tracker: --user NAME and the password as one line of stdin (--password-stdin). "
      "With ftrack (the tracker-ftrack addon): --ftrack SERVER --user NAME and the API key on stdin "
      "(--api-key-stdin), which is then kept in the desktop keyring for later runs. The session opened "
      "lasts as long as this command: sessions end with the Qi process that opened them."));
  qi_cli_verb_add_option (verb, "user", QI_CLI_OPTION_STRING, _("NAME"), _("The user to log in as"));
  qi_cli_verb_add_option (verb, "password-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the password from stdin"));
  qi_cli_verb_add_option (verb, "ftrack", QI_CLI_OPTION_STRING, _("SERVER"),
                          _("Log in to this ftrack server with an API key, and keep the key in the desktop keyring"));
  qi_cli_verb_add_option (verb, "api-key-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the ftrack API key from stdin"));
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_verb_set_needs_tracker (verb, TRUE);
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
  qi_cli_verb_set_needs_tracker (verb, TRUE);
  qi_cli_manager_add_builtin (cli, verb);
}
