/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-addon-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-cli-invocation.h"
#include "qi-host-private.h"

/*
 * `qi --headless hosts list [--json] | env HOST [--json] | args HOST …`:
 * the hosts (DCCs) the loaded addons can launch, whether their executables
 * are installed, what a launch would change in the environment, and its
 * command line.
 */

static int
hosts_list_verb (QiCliInvocation *invocation,
                 gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = qi_addon_verbs_dup_manager (invocation, user_data);
  g_autoptr(GPtrArray) hosts = NULL;

  if (manager == NULL)
    return 1;
  hosts = qi_addon_manager_list_hosts (manager);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < hosts->len; i++)
        json_array_add_element (array, qi_host_to_json_found (hosts->pdata[i]));
      json_node_set_array (root, array);
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }

  if (hosts->len == 0)
    {
      qi_cli_invocation_print (invocation, _("No loaded addon provides a host\n"));
      return 0;
    }

  qi_cli_invocation_print (invocation, "%-16s %-24s %-20s %s\n", _("NAME"), _("LABEL"), _("ADDON"), _("EXECUTABLE"));
  for (guint i = 0; i < hosts->len; i++)
    {
      QiHost *host = hosts->pdata[i];
      g_autofree char *executable = qi_host_find_executable (host, NULL, NULL);
      g_autofree char *missing = NULL;

      if (executable == NULL)
        {
          g_autofree char *candidates = g_strjoinv (", ", (char **) qi_host_get_executables (host));

          missing = g_strdup_printf (_("not found (%s)"), *candidates != '\0' ? candidates : _("none named"));
        }
      qi_cli_invocation_print (invocation, "%-16s %-24s %-20s %s\n", qi_host_get_name (host),
                               qi_host_get_label (host), qi_host_get_addon (host),
                               executable != NULL ? executable : missing);
    }
  return 0;
}

static int
hosts_env_verb (QiCliInvocation *invocation,
                gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = qi_addon_verbs_dup_manager (invocation, user_data);
  const char *name = qi_cli_invocation_get_arguments (invocation)[0];
  g_auto(GStrv) base = NULL;
  g_auto(GStrv) env = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) changes = NULL;
  g_autoptr(GList) names = NULL;
  JsonObject *object;
  QiHost *host;

  if (manager == NULL)
    return 1;

  host = qi_addon_manager_lookup_host (manager, name);
  if (host == NULL)
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi hosts env: no host “%s”; “qi --headless hosts list” shows them\n"), name);
      return 1;
    }

  base = g_get_environ ();
  env = qi_host_build_environment (host, (const char * const *) base, &error);
  if (env == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi hosts env: %s\n", error->message);
      return 1;
    }

  changes = qi_host_describe_environment_changes ((const char * const *) base, (const char * const *) env);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonNode) root = qi_host_to_json_found (host);

      json_object_set_member (json_node_get_object (root), "changes", g_steal_pointer (&changes));
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }

  object = json_node_get_object (changes);
  names = json_object_get_members (object);
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (JSON_NODE_HOLDS_NULL (value))
        qi_cli_invocation_print (invocation, "unset %s\n", (const char *) l->data);
      else
        qi_cli_invocation_print (invocation, "%s=%s\n", (const char *) l->data, json_node_get_string (value));
    }
  return 0;
}

/* An argument as a POSIX shell reads it back: as it is when it is plain. */
static char *
shell_word (const char *arg)
{
  if (*arg == '\0')
    return g_strdup ("''");
  for (const char *p = arg; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_-./=:,+@%", *p) == NULL)
      return g_shell_quote (arg);
  return g_strdup (arg);
}

static int
hosts_args_verb (QiCliInvocation *invocation,
                 gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = qi_addon_verbs_dup_manager (invocation, user_data);
  const char * const *arguments = qi_cli_invocation_get_arguments (invocation);
  const char *workfile = qi_cli_invocation_get_string (invocation, "workfile");
  const char *given = qi_cli_invocation_get_string (invocation, "executable");
  g_auto(GStrv) app_arguments = qi_cli_invocation_dup_strv (invocation, "app-arg");
  g_autofree char *executable = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  QiHost *host;

  if (manager == NULL)
    return 1;

  host = qi_addon_manager_lookup_host (manager, arguments[0]);
  if (host == NULL)
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi hosts args: no host “%s”; “qi --headless hosts list” shows them\n"),
                                  arguments[0]);
      return 1;
    }
  executable = given != NULL ? g_strdup (given) : qi_host_find_executable (host, NULL, &error);
  if (executable == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi hosts args: %s; name one with --executable PATH\n"),
                                  error->message);
      return 1;
    }
  argv = qi_host_build_arguments (host, executable, (const char * const *) app_arguments, workfile,
                                  arguments + 1, &error);
  if (argv == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi hosts args: %s\n", error->message);
      return 1;
    }

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, qi_host_get_name (host));
      json_builder_set_member_name (builder, "argv");
      json_builder_begin_array (builder);
      for (guint i = 0; argv[i] != NULL; i++)
        json_builder_add_string_value (builder, argv[i]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *word = shell_word (argv[i]);

      qi_cli_invocation_print (invocation, "%s%s", i > 0 ? " " : "", word);
    }
  qi_cli_invocation_print (invocation, "\n");
  return 0;
}

void
qi_host_verbs_register (QiCliManager  *cli)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiCliVerb) list = NULL;
  g_autoptr(QiCliVerb) env = NULL;
  g_autoptr(QiCliVerb) args = NULL;

  list = qi_cli_verb_new ("hosts list", _("List the hosts (DCCs) the addons launch and whether they are installed"),
                          hosts_list_verb, NULL, NULL);
  qi_cli_verb_set_description (list,
    _("The hosts of the loaded addons, in load order: name, label, the addon, and the executable "
      "found on PATH (or the candidates that were not)."));
  qi_cli_verb_add_option (list, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_verb (cli, list, &error);
  g_assert_no_error (error);

  env = qi_cli_verb_new ("hosts env", _("Show what launching a host changes in the environment"),
                         hosts_env_verb, NULL, NULL);
  qi_cli_verb_set_description (env,
    _("Builds the launch environment of HOST from this one and prints each variable it sets or "
      "changes as NAME=VALUE (and “unset NAME” for one it removes). Nothing is launched."));
  qi_cli_verb_set_arguments (env, _("HOST"), 1, 1);
  qi_cli_verb_add_option (env, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_verb (cli, env, &error);
  g_assert_no_error (error);

  args = qi_cli_verb_new ("hosts args", _("Show the command line that launches a host"),
                          hosts_args_verb, NULL, NULL);
  qi_cli_verb_set_description (args,
    _("Prints the command line qi_host_build_arguments() makes for HOST: the executable (found on "
      "PATH, or --executable), the application's arguments (--app-arg, one each), the workfile the "
      "host's way (--workfile) and the ARGS after “--”, as the host adjusts them. Nothing is "
      "launched."));
  qi_cli_verb_set_arguments (args, _("HOST [-- ARGS…]"), 1, G_MAXUINT);
  qi_cli_verb_add_option (args, "workfile", QI_CLI_OPTION_STRING, "FILE", _("The workfile to open"));
  qi_cli_verb_add_option (args, "executable", QI_CLI_OPTION_STRING, "PATH",
                          _("The program to run, rather than the one found on PATH"));
  qi_cli_verb_add_option (args, "app-arg", QI_CLI_OPTION_STRING_ARRAY, "ARG",
                          _("An argument of the application's (repeat it for more)"));
  qi_cli_verb_add_option (args, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON: {\"host\", \"argv\"}"));
  qi_cli_manager_add_verb (cli, args, &error);
  g_assert_no_error (error);
}
