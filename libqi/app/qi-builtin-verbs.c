/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-builtin-verbs-private.h"
#include "qi-addon-manager.h"
#include "qi-addon-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-build-info.h"
#include "qi-cli-invocation.h"
#include "qi-enum-types.h"
#include "qi-text-utils-private.h"
#include "qi-toml-parser.h"
#include "qi-version.h"

/*
 * The commands every Qi has: help, version, config show, services, status
 * and completion. Each holds a weak reference to the application: the CLI
 * manager, and so the verbs, may outlive it in a binding's hands.
 */

gpointer
qi_builtin_verbs_app_ref_new (QiApplication *app)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, app);
  return ref;
}

void
qi_builtin_verbs_app_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* The application of a verb, with a new reference; with @need_bootstrap,
 * only once phase 0 has built its configuration. Says why on stderr and
 * returns NULL otherwise. */
static QiApplication *
get_app (QiCliInvocation *invocation,
         gpointer         user_data,
         gboolean         need_bootstrap)
{
  QiApplication *app = g_weak_ref_get (user_data);
  const char *verb = qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));

  if (app == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: the application is gone\n"), verb);
      return NULL;
    }

  if (need_bootstrap && qi_application_get_launch_config (app) == NULL)
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: the application has not started; run it with qi_application_run()\n"),
                                  verb);
      g_object_unref (app);
      return NULL;
    }

  return app;
}

static int
help_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiApplication) app = get_app (invocation, user_data, FALSE);
  const char * const *args = qi_cli_invocation_get_arguments (invocation);
  g_autofree char *name = args[0] != NULL ? g_strjoinv (" ", (char **) args) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *help = NULL;

  if (app == NULL)
    return 1;

  help = qi_cli_manager_format_help (qi_application_get_cli_manager (app), name, &error);
  if (help == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi help: %s\n", error->message);
      return QI_CLI_EXIT_USAGE;
    }

  qi_cli_invocation_write (invocation, help);
  return 0;
}

static int
version_verb (QiCliInvocation *invocation,
              gpointer         user_data)
{
  g_autofree char *glib = g_strdup_printf ("%u.%u.%u", glib_major_version,
                                           glib_minor_version, glib_micro_version);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_string_value (builder, qi_get_version ());
      json_builder_set_member_name (builder, "revision");
      json_builder_add_string_value (builder, QI_GIT_REVISION);
      json_builder_set_member_name (builder, "build-options");
      json_builder_add_string_value (builder, QI_BUILD_OPTIONS);
      json_builder_set_member_name (builder, "glib");
      json_builder_add_string_value (builder, glib);
      json_builder_set_member_name (builder, "json-glib");
      json_builder_add_string_value (builder, JSON_VERSION_S);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }

  qi_cli_invocation_print (invocation, "qi %s\n", qi_get_version ());
  qi_cli_invocation_print (invocation, _("Revision:      %s\n"), QI_GIT_REVISION);
  qi_cli_invocation_print (invocation, _("Build options: %s\n"), QI_BUILD_OPTIONS);
  qi_cli_invocation_print (invocation, _("Libraries:     GLib %s, json-glib %s\n"),
                           glib, JSON_VERSION_S);
  return 0;
}

static const char *
source_nick (QiLaunchSource source)
{
  GEnumClass *klass = g_type_class_ref (QI_TYPE_LAUNCH_SOURCE);
  const char *nick = g_enum_get_value (klass, source)->value_nick;

  g_type_class_unref (klass);
  return nick;
}

/* Adds every leaf below @node to @rows as (dotted key, value, origin). */
static void
collect_config_rows (QiConfigManager *config,
                     JsonNode        *node,
                     const char      *pointer,
                     GPtrArray       *rows)
{
  if (JSON_NODE_HOLDS_OBJECT (node) &&
      qi_toml_node_get_datetime_kind (node) == QI_TOML_DATETIME_NONE)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        {
          g_autofree char *child = qi_json_pointer_append (pointer, name);
          collect_config_rows (config, member, child, rows);
        }
      return;
    }

  g_ptr_array_add (rows, qi_json_pointer_to_dotted (pointer));
  g_ptr_array_add (rows, qi_json_node_to_display (node));
  g_ptr_array_add (rows, qi_config_manager_dup_origin (config, pointer));
}

static JsonNode *
config_to_json (QiConfigManager *config,
                JsonNode        *node,
                const char      *pointer,
                gboolean         with_origin)
{
  if (JSON_NODE_HOLDS_OBJECT (node) &&
      qi_toml_node_get_datetime_kind (node) == QI_TOML_DATETIME_NONE)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        {
          g_autofree char *child = qi_json_pointer_append (pointer, name);
          json_object_set_member (object, name, config_to_json (config, member, child, with_origin));
        }
      return json_node_init_object (json_node_alloc (), object);
    }

  if (with_origin)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autofree char *origin = qi_config_manager_dup_origin (config, pointer);

      json_object_set_member (object, "value", json_node_copy (node));
      json_object_set_string_member (object, "origin", origin);
      return json_node_init_object (json_node_alloc (), object);
    }

  return json_node_copy (node);
}

static int
config_show_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiApplication) app = get_app (invocation, user_data, TRUE);
  gboolean with_origin = qi_cli_invocation_get_flag (invocation, "origin");
  g_auto(GStrv) options = qi_launch_config_list_options ();
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) launch_json = NULL;
  g_auto(GStrv) files = NULL;
  QiLaunchConfig *launch;
  QiConfigManager *config;
  JsonObject *launch_object;
  JsonNode *root;

  if (app == NULL)
    return 1;

  launch = qi_application_get_launch_config (app);
  config = qi_application_get_config_manager (app);
  files = qi_config_manager_dup_files (config);
  launch_json = qi_launch_config_to_json (launch, FALSE);
  launch_object = json_node_get_object (launch_json);
  root = qi_config_manager_get_root (config);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonArray) file_array = json_array_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(JsonNode) rest = config_to_json (config, root, "", with_origin);

      for (guint i = 0; files[i] != NULL; i++)
        json_array_add_string_element (file_array, files[i]);

      json_object_set_member (object, "launch", qi_launch_config_to_json (launch, with_origin));
      json_object_remove_member (json_node_get_object (rest), "launch");
      json_object_set_member (object, "config", g_steal_pointer (&rest));
      json_object_set_array_member (object, "files", g_steal_pointer (&file_array));

      node = json_node_init_object (json_node_alloc (), object);
      qi_cli_invocation_print_json (invocation, node);
      return 0;
    }

  if (files[0] == NULL)
    qi_cli_invocation_print (invocation, "# %s\n", _("No qi.toml was found."));
  else
    for (guint i = 0; files[i] != NULL; i++)
      qi_cli_invocation_print (invocation, "# %s %s\n", _("Read:"), files[i]);

  /* The effective launch options, then every other configuration value. */
  {
    JsonObjectIter iter;
    const char *key;
    JsonNode *member;
    guint i = 0;

    /* to_json() lists the options in the order of list_options(). */
    json_object_iter_init_ordered (&iter, launch_object);
    while (json_object_iter_next_ordered (&iter, &key, &member))
      {
        const char *option = options[i++];

        g_ptr_array_add (rows, g_strdup_printf ("launch.%s", key));
        g_ptr_array_add (rows, qi_json_node_to_display (member));
        g_ptr_array_add (rows, g_strdup_printf ("%s (%s)",
                                                qi_launch_config_get_origin (launch, option),
                                                source_nick (qi_launch_config_get_source (launch, option))));
      }
  }

  {
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;

    json_object_iter_init_ordered (&iter, json_node_get_object (root));
    while (json_object_iter_next_ordered (&iter, &name, &member))
      {
        g_autofree char *pointer = NULL;

        if (g_str_equal (name, "launch"))
          continue;
        pointer = qi_json_pointer_append ("", name);
        collect_config_rows (config, member, pointer, rows);
      }
  }

  {
    gsize width = 0;

    for (guint i = 0; i < rows->len; i += 3)
      width = MAX (width, (gsize) g_utf8_strlen (g_ptr_array_index (rows, i), -1) +
                          (gsize) g_utf8_strlen (g_ptr_array_index (rows, i + 1), -1) + 3);

    for (guint i = 0; i < rows->len; i += 3)
      {
        g_autofree char *line = g_strdup_printf ("%s = %s",
                                                 (char *) g_ptr_array_index (rows, i),
                                                 (char *) g_ptr_array_index (rows, i + 1));

        if (with_origin)
          qi_cli_invocation_print (invocation, "%-*s  # %s\n", (int) width, line,
                                   (char *) g_ptr_array_index (rows, i + 2));
        else
          qi_cli_invocation_print (invocation, "%s\n", line);
      }
  }

  return 0;
}

static int
services_verb (QiCliInvocation *invocation,
               gpointer         user_data)
{
  g_autoptr(QiApplication) app = get_app (invocation, user_data, FALSE);
  g_autoptr(GPtrArray) services = NULL;
  GEnumClass *states;

  if (app == NULL)
    return 1;

  services = qi_application_list_services (app);
  states = g_type_class_ref (QI_TYPE_SERVICE_STATE);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = NULL;

      for (guint i = 0; i < services->len; i++)
        {
          QiService *service = g_ptr_array_index (services, i);
          JsonObject *object = json_object_new ();

          json_object_set_string_member (object, "name", qi_service_get_name (service));
          json_object_set_string_member (object, "type", G_OBJECT_TYPE_NAME (service));
          json_object_set_string_member (object, "state",
                                         g_enum_get_value (states, qi_service_get_state (service))->value_nick);
          json_object_set_string_member (object, "description", qi_service_get_description (service));
          json_array_add_object_element (array, object);
        }

      node = json_node_init_array (json_node_alloc (), array);
      qi_cli_invocation_print_json (invocation, node);
    }
  else
    {
      qi_cli_invocation_print (invocation, "%-10s %-16s %-9s %s\n",
                               _("NAME"), _("TYPE"), _("STATE"), _("DESCRIPTION"));
      for (guint i = 0; i < services->len; i++)
        {
          QiService *service = g_ptr_array_index (services, i);

          qi_cli_invocation_print (invocation, "%-10s %-16s %-9s %s\n",
                                   qi_service_get_name (service),
                                   G_OBJECT_TYPE_NAME (service),
                                   g_enum_get_value (states, qi_service_get_state (service))->value_nick,
                                   qi_service_get_description (service));
        }
    }

  g_type_class_unref (states);
  return 0;
}

static const char *
dir_state (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return _("exists");
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return _("not a directory");
  return _("missing");
}

static const char *
provider_state (QiApplication *app,
                const char    *name)
{
  QiService *service = qi_application_get_service (app, name);

  if (service == NULL)
    return _("no provider registered");
  return qi_service_get_state (service) == QI_SERVICE_STATE_RUNNING ? _("running") : _("not running");
}

static int
status_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiApplication) app = get_app (invocation, user_data, TRUE);
  g_auto(GStrv) files = NULL;
  g_autoptr(GPtrArray) services = NULL;
  const char * const *addon_paths;
  QiLaunchConfig *launch;
  const char *project;
  const char *bundle;
  gint64 startup = 0;

  if (app == NULL)
    return 1;

  launch = qi_application_get_launch_config (app);
  files = qi_config_manager_dup_files (qi_application_get_config_manager (app));
  services = qi_application_list_services (app);
  /* where the addons are looked for, in order: the addon manager's */
  {
    g_autoptr(QiAddonManager) addons = qi_cli_invocation_dup_service (invocation, "addons", QI_TYPE_ADDON_MANAGER);

    addon_paths = addons != NULL ? qi_addon_manager_get_search_paths (addons)
                                 : qi_launch_config_get_addon_paths (launch);
  }
  project = qi_launch_config_get_project (launch);
  bundle = qi_launch_config_get_bundle (launch);

  for (QiBootstrapPhase phase = QI_BOOTSTRAP_PHASE_BOOTSTRAP;
       phase < QI_BOOTSTRAP_PHASE_HEADLESS; phase++)
    startup += MAX (0, qi_application_get_phase_duration (app, phase));

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "version");
      json_builder_add_string_value (b, qi_get_version ());
      json_builder_set_member_name (b, "project");
      project != NULL ? json_builder_add_string_value (b, project) : json_builder_add_null_value (b);
      json_builder_set_member_name (b, "bundle");
      bundle != NULL ? json_builder_add_string_value (b, bundle) : json_builder_add_null_value (b);
      json_builder_set_member_name (b, "tracker");
      json_builder_add_string_value (b, provider_state (app, "db"));
      json_builder_set_member_name (b, "auth");
      json_builder_add_string_value (b, provider_state (app, "auth"));
      json_builder_set_member_name (b, "config-files");
      json_builder_begin_array (b);
      for (guint i = 0; files[i] != NULL; i++)
        json_builder_add_string_value (b, files[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data-dir");
      json_builder_add_string_value (b, qi_launch_config_get_data_dir (launch));
      json_builder_set_member_name (b, "addon-paths");
      json_builder_begin_array (b);
      for (guint i = 0; addon_paths[i] != NULL; i++)
        json_builder_add_string_value (b, addon_paths[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "services");
      json_builder_begin_array (b);
      for (guint i = 0; i < services->len; i++)
        json_builder_add_string_value (b, qi_service_get_name (g_ptr_array_index (services, i)));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "startup-us");
      json_builder_add_int_value (b, startup);
      json_builder_end_object (b);

      root = json_builder_get_root (b);
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }

  qi_cli_invocation_print (invocation, "Qi %s (%s)\n", qi_get_version (), QI_GIT_REVISION);
  if (project != NULL)
    qi_cli_invocation_print (invocation, _("Project:      %s (from %s)\n"), project,
                             qi_launch_config_get_origin (launch, "project"));
  else
    qi_cli_invocation_print (invocation, _("Project:      none chosen (use --project or launch.project)\n"));
  if (bundle != NULL)
    qi_cli_invocation_print (invocation, _("Bundle:       %s (from %s)\n"), bundle,
                             qi_launch_config_get_origin (launch, "bundle"));
  else
    qi_cli_invocation_print (invocation, _("Bundle:       production (default)\n"));
  qi_cli_invocation_print (invocation, _("Tracker:      %s\n"), provider_state (app, "db"));
  qi_cli_invocation_print (invocation, _("Login:        %s\n"), provider_state (app, "auth"));

  if (files[0] == NULL)
    qi_cli_invocation_print (invocation, _("Config files: none found\n"));
  for (guint i = 0; files[i] != NULL; i++)
    qi_cli_invocation_print (invocation, "%s%s\n", i == 0 ? _("Config files: ") : "              ",
                             files[i]);

  qi_cli_invocation_print (invocation, _("Data dir:     %s (%s)\n"),
                           qi_launch_config_get_data_dir (launch),
                           dir_state (qi_launch_config_get_data_dir (launch)));
  for (guint i = 0; addon_paths[i] != NULL; i++)
    qi_cli_invocation_print (invocation, "%s%s (%s)\n", i == 0 ? _("Addon paths:  ") : "              ",
                             addon_paths[i], dir_state (addon_paths[i]));

  qi_cli_invocation_print (invocation, _("Services:     "));
  for (guint i = 0; i < services->len; i++)
    {
      QiService *service = g_ptr_array_index (services, i);
      qi_cli_invocation_print (invocation, "%s%s", i > 0 ? ", " : "", qi_service_get_name (service));
    }
  qi_cli_invocation_print (invocation, "\n");
  qi_cli_invocation_print (invocation, _("Startup:      %.3f ms (phases 0–4)\n"), startup / 1000.0);

  return 0;
}

static int
completion_verb (QiCliInvocation *invocation,
                 gpointer         user_data)
{
  g_autoptr(QiApplication) app = get_app (invocation, user_data, FALSE);
  const char * const *args = qi_cli_invocation_get_arguments (invocation);
  g_autoptr(QiAddonManager) addons = NULL;
  g_auto(GStrv) declared = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;

  if (app == NULL)
    return 1;

  /* the built-in commands, and those the addons found declare: their
   * addon.toml, no code of theirs */
  addons = qi_addon_manager_new_for_launch (qi_application_get_launch_config (app));
  qi_addon_manager_discover (addons);
  declared = qi_addon_manager_dup_declared_verbs (addons);
  script = qi_cli_manager_generate_completion_with (qi_application_get_cli_manager (app),
                                                    args[0] != NULL ? args[0] : "bash",
                                                    (const char * const *) declared, &error);
  if (script == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi completion: %s\n", error->message);
      return QI_CLI_EXIT_USAGE;
    }

  qi_cli_invocation_write (invocation, script);
  return 0;
}

/* Adds a built-in verb, taking @verb: the registry is new, so a clash is
 * a bug of Qi's own verbs. */
static void
add (QiCliManager *cli,
     QiCliVerb    *verb)
{
  qi_cli_manager_add_builtin (cli, verb);
}

void
qi_builtin_verbs_register (QiCliManager  *cli,
                           QiApplication *app)
{
  QiCliVerb *verb;
  const char * const help_words[] = { "@commands", NULL };
  const char * const shells[] = { "bash", NULL };

  verb = qi_cli_verb_new ("help", _("Show help for Qi or for one command"), help_verb,
                          qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_set_arguments (verb, _("[COMMAND]"), 0, G_MAXUINT);
  qi_cli_verb_set_completions (verb, help_words);
  add (cli, verb);

  verb = qi_cli_verb_new ("version", _("Show the version, git revision and build options"),
                          version_verb, NULL, NULL);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  add (cli, verb);

  verb = qi_cli_verb_new ("config show", _("Show the effective configuration"),
                          config_show_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_set_description (verb,
    _("Prints the launch options as resolved from the command line, the QI_* environment "
      "and the qi.toml files, then every other value of the qi.toml files."));
  qi_cli_verb_add_option (verb, "origin", QI_CLI_OPTION_FLAG, NULL,
                          _("Tell where each value comes from: a flag, a variable or FILE:LINE:COLUMN"));
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  add (cli, verb);

  verb = qi_cli_verb_new ("services", _("List the services and their state"),
                          services_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  add (cli, verb);

  verb = qi_cli_verb_new ("status", _("Show the project, tracker, configuration and addon paths"),
                          status_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  add (cli, verb);

  verb = qi_cli_verb_new ("completion", _("Print the shell completion script"),
                          completion_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_set_arguments (verb, _("[SHELL]"), 0, 1);
  qi_cli_verb_set_completions (verb, shells);
  qi_cli_verb_set_needs_addons (verb, FALSE);
  add (cli, verb);
}
