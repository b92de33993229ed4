/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "qi-addon-verbs-private.h"
#include "qi-json.h"
#include "qi-cli-private.h"
#include "qi-cli-invocation.h"

/*
 * `qi --headless addons list | info NAME`: what the addon paths hold,
 * which addons load and why the others do not.
 */

/* An addon manager searching, in order: the launch's addon paths
 * (`--addon-path`, `QI_ADDON_PATH`, `[launch] addon-paths`), the user's
 * `$XDG_DATA_HOME/qi/addons`, then the installed addons (`$QI_ADDON_DIR`
 * instead, for a build tree); not yet scanned. */
QiAddonManager *
qi_addon_manager_new_for_launch (QiLaunchConfig *launch)
{
  QiAddonManager *manager = qi_addon_manager_new ();
  const char * const *paths = qi_launch_config_get_addon_paths (launch);
  g_autofree char *user = g_build_filename (g_get_user_data_dir (), "qi", "addons", NULL);

  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    qi_addon_manager_add_search_path (manager, paths[i]);
  qi_addon_manager_add_search_path (manager, user);
  /* the installed addons; a build tree's tests and `meson devenv` point
   * QI_ADDON_DIR at the addons it built */
  qi_addon_manager_add_search_path (manager, g_getenv ("QI_ADDON_DIR") != NULL && *g_getenv ("QI_ADDON_DIR") != '\0'
                                             ? g_getenv ("QI_ADDON_DIR") : QI_ADDONDIR);
  g_object_set (manager, "data-dir", qi_launch_config_get_data_dir (launch), NULL);

  return manager;
}

/* The application's addon manager: phase 4 has loaded the addons for
 * these verbs, so the states say what really loads. */
QiAddonManager *
qi_addon_verbs_dup_manager (QiCliInvocation *invocation,
                            gpointer         user_data)
{
  g_autoptr(QiAddonManager) service = qi_cli_invocation_dup_service (invocation, "addons", QI_TYPE_ADDON_MANAGER);

  return g_steal_pointer (&service);
}

static char *
version_text (QiAddonInfo *info)
{
  const QiSemver *version = qi_addon_info_get_version (info);

  return version != NULL ? qi_semver_to_string (version) : g_strdup ("-");
}

/* The addon's JSON with what it contributes, null if it is not loaded. */
static JsonNode *
describe (QiAddonManager *manager,
          QiAddonInfo    *info)
{
  JsonNode *node = qi_addon_info_to_json (info);
  QiAddon *addon = qi_addon_manager_get_addon (manager, qi_addon_info_get_name (info));

  /* A shadowed addon has the name of a loaded one, not its contributions. */
  if (addon != NULL && qi_addon_get_info (addon) == info)
    json_object_set_member (json_node_get_object (node), "contributes", qi_addon_describe_contributions (addon));
  else
    json_object_set_null_member (json_node_get_object (node), "contributes");
  return node;
}

static int
addons_list_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = qi_addon_verbs_dup_manager (invocation, user_data);
  g_autoptr(GPtrArray) addons = NULL;

  if (manager == NULL)
    return 1;

  addons = qi_addon_manager_list_addons (manager);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < addons->len; i++)
        json_array_add_element (array, describe (manager, addons->pdata[i]));
      json_node_set_array (root, array);
      qi_cli_invocation_print_json (invocation, root);
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

/* One line per kind the addon contributes to: "  hosts       blender". */
static void
print_contributions (QiCliInvocation *invocation,
                     JsonObject      *contributions)
{
  g_autoptr(GList) kinds = json_object_get_members (contributions);

  qi_cli_invocation_print (invocation, "%s\n", "contributes");
  for (GList *l = kinds; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (contributions, l->data);
      g_autoptr(GString) text = g_string_new (NULL);

      if (JSON_NODE_HOLDS_ARRAY (value))
        {
          JsonArray *array = json_node_get_array (value);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *element = json_array_get_element (array, i);

              if (i > 0)
                g_string_append (text, ", ");
              if (JSON_NODE_HOLDS_OBJECT (element))
                {
                  JsonObject *object = json_node_get_object (element);
                  g_autofree char *extensions = qi_json_to_string (json_object_get_member (object, "extensions"), QI_JSON_WRITE_DEFAULT, NULL);

                  g_string_append_printf (text, "%s %s", json_object_get_string_member (object, "name"), extensions);
                }
              else
                g_string_append (text, json_node_get_string (element));
            }
        }
      else if (JSON_NODE_HOLDS_OBJECT (value))
        {
          JsonObject *object = json_node_get_object (value);
          g_autoptr(GList) members = json_object_get_members (object);

          for (GList *m = members; m != NULL; m = m->next)
            g_string_append_printf (text, "%s%s=%s", m == members ? "" : ", ", (const char *) m->data,
                                    json_object_get_string_member (object, m->data));
        }
      qi_cli_invocation_print (invocation, "  %-18s %s\n", (const char *) l->data,
                               text->len > 0 ? text->str : "-");
    }
}

static int
addons_info_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiAddonManager) manager = qi_addon_verbs_dup_manager (invocation, user_data);
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

  node = describe (manager, info);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, node);
      return 0;
    }

  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);
      g_autofree char *text = NULL;

      if (g_str_equal (l->data, "contributes") && JSON_NODE_HOLDS_OBJECT (value))
        {
          print_contributions (invocation, json_node_get_object (value));
          continue;
        }
      if (JSON_NODE_HOLDS_NULL (value))
        text = g_strdup ("-");
      else if (JSON_NODE_HOLDS_VALUE (value))
        text = g_strdup (json_node_get_string (value));
      else
        text = qi_json_to_string (value, QI_JSON_WRITE_DEFAULT, NULL);
      qi_cli_invocation_print (invocation, "%-13s %s\n", (const char *) l->data, text);
    }
  return 0;
}

/* The scaffold's words for @name: "demo-tool" → demo_tool, DEMO_TOOL,
 * DemoTool. */
static char *
fill_template (const char *text,
               const char *name)
{
  g_autoptr(GString) out = g_string_new (text);
  g_autoptr(GString) prefix = g_string_new (NULL);
  g_autoptr(GString) type = g_string_new (NULL);
  g_autofree char *upper = NULL;
  gboolean capital = TRUE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '-' || *p == '_')
        {
          g_string_append_c (prefix, '_');
          capital = TRUE;
          continue;
        }
      g_string_append_c (prefix, *p);
      g_string_append_c (type, capital ? g_ascii_toupper (*p) : *p);
      capital = FALSE;
    }
  upper = g_ascii_strup (prefix->str, -1);

  g_string_replace (out, "@NAME@", name, 0);
  g_string_replace (out, "@prefix@", prefix->str, 0);
  g_string_replace (out, "@PREFIX@", upper, 0);
  g_string_replace (out, "@Type@", type->str, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Removes the scratch folder of a scaffold that failed; it holds only
 * what this run wrote, and a link in it is removed, never followed. */
static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, entry, NULL);

          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

typedef struct
{
  const char *resource;
  const char *path;
} ScaffoldFile;

typedef enum
{
  SCAFFOLD_C,
  SCAFFOLD_PYTHON,
  SCAFFOLD_TRACKER,
} Scaffold;

static gboolean
write_scaffold (const char  *root,
                const char  *name,
                Scaffold     kind,
                GError     **error)
{
  static const ScaffoldFile c_files[] = {
    { "addon.toml", "addon.toml" },
    { "meson.build", "meson.build" },
    { "src/meson.build", "src/meson.build" },
    { "src/addon.c", "src/@NAME@.c" },
    { "README.md", "README.md" },
    { NULL, NULL },
  };
  static const ScaffoldFile python_files[] = {
    { "addon.toml", "addon.toml" },
    { "addon.py", "addon.py" },
    { "README.md", "README.md" },
    { NULL, NULL },
  };
  gboolean python = kind == SCAFFOLD_PYTHON;
  const ScaffoldFile *files = python ? python_files : c_files;
  /* A native addon's folder is src/, built; a Python addon's is the top;
   * a tracker has no plugins, host or UI. */
  const char * const c_folders[] = {
    "src", "ui", "ui_dist", "plugins/create", "plugins/load", "plugins/hooks", "plugins/publish",
    "plugins/actions", "host/@NAME@", NULL
  };
  const char * const tracker_folders[] = { "src", NULL };
  const char * const *folders = kind == SCAFFOLD_TRACKER ? tracker_folders : python ? c_folders + 1 : c_folders;
  const char *template = kind == SCAFFOLD_TRACKER ? "tracker/" : python ? "python/" : "c/";

  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autofree char *relative_folder = fill_template (folders[i], name);
      g_autofree char *folder = g_build_filename (root, relative_folder, NULL);
      g_autofree char *keep = g_build_filename (folder, ".gitkeep", NULL);

      if (g_mkdir_with_parents (folder, 0755) != 0 ||
          (!g_str_equal (folders[i], "src") && !g_file_set_contents (keep, "", 0, error)))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                         _("Could not create “%s”: %s"), folder, g_strerror (errno));
          return FALSE;
        }
    }

  for (guint i = 0; files[i].resource != NULL; i++)
    {
      g_autofree char *resource = g_strconcat ("/org/qi/addon-template/", template, files[i].resource, NULL);
      g_autoptr(GBytes) bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      g_autofree char *text = NULL;
      g_autofree char *relative = NULL;
      g_autofree char *path = NULL;

      if (bytes == NULL)
        return FALSE;
      text = fill_template (g_bytes_get_data (bytes, NULL), name);
      relative = fill_template (files[i].path, name);
      path = g_build_filename (root, relative, NULL);
      if (!g_file_set_contents (path, text, -1, error))
        return FALSE;
    }

  return TRUE;
}

static int
addons_new_verb (QiCliInvocation *invocation,
                 gpointer         user_data)
{
  const char *name = qi_cli_invocation_get_arguments (invocation)[0];
  const char *lang = qi_cli_invocation_get_string (invocation, "lang");
  const char *dir = qi_cli_invocation_get_string (invocation, "dir");
  const char *role = qi_cli_invocation_get_string (invocation, "role");
  Scaffold kind;
  g_autofree char *target = NULL;
  g_autofree char *scratch = NULL;
  g_autoptr(GError) error = NULL;
  gboolean python;

  if (!qi_addon_name_is_valid (name) || !g_ascii_isalpha (name[0]))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi addons new: “%s” is not an addon name: use lower-case letters, "
                                    "digits, “-” and “_”, starting with a letter\n"), name);
      return QI_CLI_EXIT_USAGE;
    }
  if (lang == NULL || (!g_str_equal (lang, "c") && !g_str_equal (lang, "python")))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi addons new: --lang %s: the languages are c and python\n"),
                                  lang != NULL ? lang : _("(none)"));
      return QI_CLI_EXIT_USAGE;
    }
  python = g_str_equal (lang, "python");
  if (role != NULL && (!g_str_equal (role, "db") && !g_str_equal (role, "auth")))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi addons new: --role %s: the scaffold knows the provider roles db and auth "
                                    "(a tracker, which has both)\n"), role);
      return QI_CLI_EXIT_USAGE;
    }
  if (role != NULL && python)
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi addons new: a tracker (--role %s) is a native addon: use --lang c\n"), role);
      return QI_CLI_EXIT_USAGE;
    }
  kind = role != NULL ? SCAFFOLD_TRACKER : python ? SCAFFOLD_PYTHON : SCAFFOLD_C;

  target = g_build_filename (dir != NULL ? dir : ".", name, NULL);
  if (g_file_test (target, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      qi_cli_invocation_printerr (invocation, _("qi addons new: “%s” exists; nothing was written\n"), target);
      return 1;
    }

  /* Written in a scratch folder beside it, then renamed into place: an
   * interrupted run leaves no half-made addon under the name. */
  scratch = g_strdup_printf ("%s/.%s-XXXXXX", dir != NULL ? dir : ".", name);
  if (g_mkdtemp (scratch) == NULL)
    {
      int saved = errno;

      qi_cli_invocation_printerr (invocation, _("qi addons new: cannot write in “%s”: %s\n"),
                                  dir != NULL ? dir : ".", g_strerror (saved));
      return 1;
    }
  if (g_chmod (scratch, 0755) != 0 || !write_scaffold (scratch, name, kind, &error) ||
      g_rename (scratch, target) != 0)
    {
      if (error == NULL)
        g_set_error_literal (&error, G_FILE_ERROR, g_file_error_from_errno (errno), g_strerror (errno));
      qi_cli_invocation_printerr (invocation, _("qi addons new: %s; nothing was written\n"), error->message);
      remove_tree (scratch);
      return 1;
    }

  if (kind == SCAFFOLD_TRACKER)
    qi_cli_invocation_print (invocation,
                             _("Created the tracker “%s” in %s. Build and run Qi on it:\n"
                               "  cd %s && meson setup _build && meson compile -C _build\n"
                               "  qi --headless --addon-path _build --tracker %s addons list\n"),
                             name, target, target, name);
  else if (python)
    qi_cli_invocation_print (invocation,
                             _("Created the Python addon “%s” in %s. Try it:\n"
                               "  qi --headless --addon-path %s %s hello\n"),
                             name, target, dir != NULL ? dir : ".", name);
  else
    qi_cli_invocation_print (invocation,
                             _("Created the addon “%s” in %s. Build and try it:\n"
                               "  cd %s && meson setup _build && meson compile -C _build\n"
                               "  qi --headless --addon-path _build %s hello\n"),
                             name, target, target, name);
  return 0;
}

void
qi_addon_verbs_register (QiCliManager  *cli)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiCliVerb) list = NULL;
  g_autoptr(QiCliVerb) info = NULL;
  g_autoptr(QiCliVerb) made = NULL;

  list = qi_cli_verb_new ("addons list", _("List the addons found, their state and why one cannot load"),
                          addons_list_verb, NULL, NULL);
  qi_cli_verb_set_description (list,
    _("The addons found on the addon paths (--addon-path, QI_ADDON_PATH, "
      "$XDG_DATA_HOME/qi/addons, the installed addons) in the order they loaded in, "
      "and why the others did not load."));
  qi_cli_verb_add_option (list, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_verb (cli, list, &error);
  g_assert_no_error (error);

  info = qi_cli_verb_new ("addons info", _("Show everything known of one addon"),
                          addons_info_verb, NULL, NULL);
  qi_cli_verb_set_arguments (info, _("NAME"), 1, 1);
  qi_cli_verb_add_option (info, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_verb (cli, info, &error);
  g_assert_no_error (error);

  made = qi_cli_verb_new ("addons new", _("Make a new addon that builds and loads as it is"),
                          addons_new_verb, NULL, NULL);
  qi_cli_verb_set_description (made,
    _("Writes DIR/NAME: addon.toml, the plugin folders, host/ and ui/, and with --lang c a "
      "meson.build that builds against the installed qi-1.pc and a module with an example of "
      "each extension kind (hub handler, subscription, CLI verb, REST route, tray item, host, "
      "workfile handler, settings); with --lang python an addon.py with the same kinds, which "
      "loads as it is through the Python bridge."));
  qi_cli_verb_set_arguments (made, _("NAME"), 1, 1);
  qi_cli_verb_add_option (made, "lang", QI_CLI_OPTION_STRING, _("LANG"), _("The addon's language: c or python"));
  qi_cli_verb_add_option (made, "dir", QI_CLI_OPTION_STRING, _("DIR"), _("Where to make it (default: here)"));
  qi_cli_verb_add_option (made, "role", QI_CLI_OPTION_STRING, _("ROLE"),
                          _("db or auth: a tracker, the run's provider of both (a QiDbAdapter and a QiAuthProvider)"));
  qi_cli_verb_set_needs_addons (made, FALSE);
  qi_cli_manager_add_verb (cli, made, &error);
  g_assert_no_error (error);

  qi_host_verbs_register (cli);
}
