/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-addon-verbs-private.h"
#include "qi-builtin-verbs-private.h"
#include "qi-cli-invocation.h"

/*
 * `qi --headless addons list | info NAME`: what the addon paths hold,
 * which addons load and why the others do not.
 */

/* An addon manager searching, in order: the launch's addon paths
 * (`--addon-path`, `QI_ADDON_PATH`, `[launch] addon-paths`), the user's
 * `$XDG_DATA_HOME/qi/addons`, then the installed addons; not yet
 * scanned. */
QiAddonManager *
qi_addon_manager_new_for_launch (QiLaunchConfig *launch)
{
  QiAddonManager *manager = qi_addon_manager_new ();
  const char * const *paths = qi_launch_config_get_addon_paths (launch);
  g_autofree char *user = g_build_filename (g_get_user_data_dir (), "qi", "addons", NULL);

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    qi_addon_manager_add_search_path (manager, paths[i]);
  qi_addon_manager_add_search_path (manager, user);
  qi_addon_manager_add_search_path (manager, QI_ADDONDIR);

  return manager;
}

/* The application's addon manager: phase 4 has loaded the addons for
 * these verbs, so the states say what really loads. */
static QiAddonManager *
scan (QiCliInvocation *invocation,
      gpointer         user_data)
{
  g_autoptr(QiApplication) app = g_weak_ref_get (user_data);
  QiService *service = app != NULL ? qi_application_get_service (app, "addons") : NULL;

  if (service == NULL || !QI_IS_ADDON_MANAGER (service))
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: the application has no addon manager\n"),
                                  qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation)));
      return NULL;
    }

  return g_object_ref (QI_ADDON_MANAGER (service));
}

static char *
version_text (QiAddonInfo *info)
{
  const QiSemver *version = qi_addon_info_get_version (info);

  return version != NULL ? qi_semver_to_string (version) : g_strdup ("-");
}

static void
print_json (QiCliInvocation *invocation,
            JsonNode        *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  qi_cli_invocation_print (invocation, "%s\n", text);
}

static int
addons_list_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = scan (invocation, user_data);
  g_autoptr(GPtrArray) addons = NULL;

  if (manager == NULL)
    return 1;

  addons = qi_addon_manager_list_addons (manager);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < addons->len; i++)
        json_array_add_element (array, qi_addon_info_to_json (addons->pdata[i]));
      json_node_set_array (root, array);
      print_json (invocation, root);
      return 0;
    }

  if (addons->len == 0)
    {
      g_autofree char *paths = g_strjoinv (", ", (char **) qi_addon_manager_get_search_paths (manager));

      qi_cli_invocation_print (invocation, _("No addons in %s\n"), paths);
      return 0;
    }

  qi_cli_invocation_print (invocation, "%-24s %-10s %-7s %-10s %-10s %s\n",
                           _("NAME"), _("VERSION"), _("KIND"), _("STATE"), _("ROLES"), _("PATH"));
  for (guint i = 0; i < addons->len; i++)
    {
      QiAddonInfo *info = addons->pdata[i];
      g_autofree char *version = version_text (info);
      g_autofree char *roles = g_strjoinv (",", (char **) qi_addon_info_get_roles (info));
      const GError *error = qi_addon_info_get_error (info);

      qi_cli_invocation_print (invocation, "%-24s %-10s %-7s %-10s %-10s %s\n",
                               qi_addon_info_get_name (info), version,
                               qi_addon_kind_to_string (qi_addon_info_get_kind (info)),
                               qi_addon_state_to_string (qi_addon_info_get_state (info)),
                               *roles != '\0' ? roles : "-", qi_addon_info_get_path (info));
      if (error != NULL)
        qi_cli_invocation_print (invocation, "    %s\n", error->message);
    }
  return 0;
}

static int
addons_info_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = scan (invocation, user_data);
  const char *name = qi_cli_invocation_get_arguments (invocation)[0];
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GList) members = NULL;
  QiAddonInfo *info;
  JsonObject *object;

  if (manager == NULL)
    return 1;

  info = qi_addon_manager_lookup (manager, name);
  if (info == NULL)
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi addons info: no addon “%s”; “qi --headless addons list” shows them\n"),
                                  name);
      return 1;
    }

  node = qi_addon_info_to_json (info);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      print_json (invocation, node);
      return 0;
    }

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);
      g_autofree char *text = NULL;

      if (JSON_NODE_HOLDS_NULL (value))
        text = g_strdup ("-");
      else if (JSON_NODE_HOLDS_VALUE (value))
        text = g_strdup (json_node_get_string (value));
      else
        text = json_to_string (value, FALSE);
      qi_cli_invocation_print (invocation, "%-13s %s\n", (const char *) l->data, text);
    }
  return 0;
}

void
qi_addon_verbs_register (QiCliManager  *cli,
                         QiApplication *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiCliVerb) list = NULL;
  g_autoptr(QiCliVerb) info = NULL;

  list = qi_cli_verb_new ("addons list", _("List the addons found, their state and why one cannot load"),
                          addons_list_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_set_description (list,
    _("The addons found on the addon paths (--addon-path, QI_ADDON_PATH, "
      "$XDG_DATA_HOME/qi/addons, the installed addons) in the order they loaded in, "
      "and why the others did not load."));
  qi_cli_verb_add_option (list, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_verb (cli, list, &error);
  g_assert_no_error (error);

  info = qi_cli_verb_new ("addons info", _("Show everything known of one addon"),
                          addons_info_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_set_arguments (info, _("NAME"), 1, 1);
  qi_cli_verb_add_option (info, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_verb (cli, info, &error);
  g_assert_no_error (error);
}
