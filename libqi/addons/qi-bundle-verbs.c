/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-cli-private.h"
#include "qi-addon-manager.h"
#include "qi-addon-verbs-private.h"
#include "qi-bundle-manager.h"
#include "qi-bundle-verbs-private.h"
#include "qi-cli-invocation.h"
#include "qi-enum-types.h"
#include "qi-text-utils-private.h"

/*
 * `qi --headless bundles …`: list, show, create, set-state, diff and
 * archive the bundles of `bundles.json` in the user's configuration
 * directory. Each run makes its own #QiBundleManager from the launch
 * configuration: the manager is not a service of the application yet, so
 * that a broken bundles file fails these commands only, not every run.
 *
 * Exit statuses: 0, 1 for a failure (no such bundle, a refused change, a
 * broken file, a failed write), 2 for a usage error or an invalid value.
 * Errors are one line on stderr, `qi bundles VERB: …`.
 */

static const char * const state_names[] = {
  "production", "staging", "dev", "active", "archived", NULL
};

static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static int
fail (QiCliInvocation *invocation,
      int              status,
      const char      *message)
{
  qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), message);
  return status;
}

/* The exit status of a failed change. */
static int
status_of (const GError *error)
{
  return g_error_matches (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID) ? QI_CLI_EXIT_USAGE : 1;
}

/* The bundles of the application's configuration directory, loaded; says
 * why on stderr and returns NULL otherwise. */
static QiBundleManager *
open_manager (QiCliInvocation *invocation,
              gpointer         user_data)
{
  g_autoptr(QiBundleManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  QiLaunchConfig *launch;

  launch = qi_cli_invocation_get_launch_config (invocation);
  if (launch == NULL)
    return NULL;

  path = g_build_filename (qi_launch_config_get_config_dir (launch),
                           QI_BUNDLE_MANAGER_FILE_NAME, NULL);
  manager = qi_bundle_manager_new (path);
  if (!qi_bundle_manager_load (manager, &error))
    {
      fail (invocation, 1, error->message);
      return NULL;
    }

  return g_steal_pointer (&manager);
}

static char *
format_time (GDateTime *time)
{
  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("-");
}

static int
list_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiBundleManager) manager = open_manager (invocation, user_data);
  g_autoptr(GPtrArray) bundles = NULL;
  int width = 4;

  if (manager == NULL)
    return 1;

  bundles = qi_bundle_manager_list (manager);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) node = NULL;
      const char *production = qi_bundle_manager_get_production (manager);
      const char *staging = qi_bundle_manager_get_staging (manager);

      for (guint i = 0; i < bundles->len; i++)
        json_array_add_element (array, qi_bundle_to_json (g_ptr_array_index (bundles, i)));

      json_object_set_string_member (object, "file", qi_bundle_manager_get_path (manager));
      if (production != NULL)
        json_object_set_string_member (object, "production", production);
      else
        json_object_set_null_member (object, "production");
      if (staging != NULL)
        json_object_set_string_member (object, "staging", staging);
      else
        json_object_set_null_member (object, "staging");
      json_object_set_array_member (object, "bundles", g_steal_pointer (&array));

      node = json_node_init_object (json_node_alloc (), object);
      qi_cli_invocation_print_json (invocation, node);
      return 0;
    }

  if (bundles->len == 0)
    {
      qi_cli_invocation_print (invocation,
                               _("No bundles yet; create one with "
                                 "“qi --headless bundles create NAME --addon ADDON=VERSION”.\n"));
      return 0;
    }

  for (guint i = 0; i < bundles->len; i++)
    width = MAX (width, (int) strlen (qi_bundle_get_name (g_ptr_array_index (bundles, i))));

  qi_cli_invocation_print (invocation, "%-*s  %-20s %-7s %s\n", width,
                           _("NAME"), _("STATE"), _("ADDONS"), _("MODIFIED"));
  for (guint i = 0; i < bundles->len; i++)
    {
      QiBundle *bundle = g_ptr_array_index (bundles, i);
      g_autofree char *state = qi_bundle_state_to_string (qi_bundle_get_state (bundle));
      g_autofree char *modified = format_time (qi_bundle_get_modified (bundle));
      g_auto(GStrv) addons = qi_bundle_dup_addon_names (bundle);

      qi_cli_invocation_print (invocation, "%-*s  %-20s %-7u %s\n", width,
                               qi_bundle_get_name (bundle), state,
                               g_strv_length (addons), modified);
    }

  return 0;
}

static int
show_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiBundleManager) manager = open_manager (invocation, user_data);
  const char * const *args = qi_cli_invocation_get_arguments (invocation);
  g_autoptr(QiBundle) bundle = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *created = NULL;
  g_autofree char *modified = NULL;
  g_auto(GStrv) addons = NULL;
  g_auto(GStrv) variables = NULL;
  const char * const *packages;
  int width = 0;

  if (manager == NULL)
    return 1;

  bundle = qi_bundle_manager_lookup (manager, args[0], &error);
  if (bundle == NULL)
    return fail (invocation, 1, error->message);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonNode) node = qi_bundle_to_json (bundle);

      qi_cli_invocation_print_json (invocation, node);
      return 0;
    }

  state = qi_bundle_state_to_string (qi_bundle_get_state (bundle));
  created = format_time (qi_bundle_get_created (bundle));
  modified = format_time (qi_bundle_get_modified (bundle));
  addons = qi_bundle_dup_addon_names (bundle);
  variables = qi_bundle_dup_variable_names (bundle);
  packages = qi_bundle_get_packages (bundle);

  qi_cli_invocation_print (invocation, _("Bundle:    %s\n"), qi_bundle_get_name (bundle));
  qi_cli_invocation_print (invocation, _("State:     %s\n"), state);
  if (qi_bundle_get_owner (bundle) != NULL)
    qi_cli_invocation_print (invocation, _("Owner:     %s\n"), qi_bundle_get_owner (bundle));
  qi_cli_invocation_print (invocation, _("Created:   %s\n"), created);
  qi_cli_invocation_print (invocation, _("Modified:  %s\n"), modified);

  for (guint i = 0; addons[i] != NULL; i++)
    width = MAX (width, (int) strlen (addons[i]));
  qi_cli_invocation_print (invocation, addons[0] != NULL ? _("Addons:\n") : _("Addons:    none\n"));
  for (guint i = 0; addons[i] != NULL; i++)
    qi_cli_invocation_print (invocation, "  %-*s  %s\n", width, addons[i],
                             qi_bundle_get_addon (bundle, addons[i]));

  qi_cli_invocation_print (invocation, variables[0] != NULL ? _("Variables:\n") : _("Variables: none\n"));
  for (guint i = 0; variables[i] != NULL; i++)
    qi_cli_invocation_print (invocation, "  %s=%s\n", variables[i],
                             qi_bundle_get_variable (bundle, variables[i]));

  if (packages[0] == NULL)
    qi_cli_invocation_print (invocation, _("Packages:  none\n"));
  else
    {
      g_autofree char *list = g_strjoinv (", ", (char **) packages);

      qi_cli_invocation_print (invocation, _("Packages:  %s\n"), list);
    }

  return 0;
}

/* Splits "KEY=VALUE" for --@option; says why on stderr if it cannot. */
static gboolean
split_assignment (QiCliInvocation  *invocation,
                  const char       *option,
                  const char       *text,
                  const char       *example,
                  char            **key,
                  char            **value)
{
  const char *eq = strchr (text, '=');

  if (eq == NULL || eq == text)
    {
      g_autofree char *message = g_strdup_printf (_("--%s “%s”: give %s"), option, text, example);

      fail (invocation, QI_CLI_EXIT_USAGE, message);
      return FALSE;
    }

  *key = g_strndup (text, eq - text);
  *value = g_strdup (eq + 1);
  return TRUE;
}

/* A run of a bundle stops at phase 1 unless the bundle names its tracker:
 * said when the bundle is made, not first when it is run. */
static void
warn_without_tracker (QiCliInvocation *invocation,
                      QiBundle        *bundle)
{
  QiLaunchConfig *launch = qi_cli_invocation_get_launch_config (invocation);
  g_autoptr(QiAddonManager) addons = NULL;
  g_autoptr(GPtrArray) providers = NULL;
  g_autoptr(GString) names = g_string_new (NULL);

  if (launch == NULL)
    return;
  /* the addons' metadata only; this command loads none of them */
  addons = qi_addon_manager_new_for_launch (launch);
  qi_addon_manager_discover (addons);
  providers = qi_addon_manager_list_providers (addons, "db");
  for (guint i = 0; i < providers->len; i++)
    {
      const char *name = qi_addon_info_get_name (providers->pdata[i]);

      if (qi_bundle_get_addon (bundle, name) != NULL)
        return;
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", name);
    }
  qi_cli_invocation_printerr (invocation,
                              _("qi bundles create: note: the bundle names no tracker addon (%s), so a run of it "
                                "stops at once: add one with --addon NAME=VERSION\n"),
                              names->len > 0 ? names->str : _("none is installed"));
}

static int
create_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  const char * const *args = qi_cli_invocation_get_arguments (invocation);
  g_auto(GStrv) addons = qi_cli_invocation_dup_strv (invocation, "addon");
  g_auto(GStrv) variables = qi_cli_invocation_dup_strv (invocation, "env");
  g_auto(GStrv) packages = qi_cli_invocation_dup_strv (invocation, "package");
  const char *owner = qi_cli_invocation_get_string (invocation, "owner");
  gboolean dev = qi_cli_invocation_get_flag (invocation, "dev");
  g_autoptr(QiBundleManager) manager = NULL;
  g_autoptr(QiBundle) bundle = qi_bundle_new (args[0]);
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;

  for (guint i = 0; addons != NULL && addons[i] != NULL; i++)
    {
      g_autofree char *addon = NULL;
      g_autofree char *version = NULL;

      if (!split_assignment (invocation, "addon", addons[i], _("ADDON=VERSION, such as loader=1.2.0"),
                             &addon, &version))
        return QI_CLI_EXIT_USAGE;
      if (qi_bundle_get_addon (bundle, addon) != NULL)
        {
          g_autofree char *message = g_strdup_printf (_("--addon: “%s” is given twice"), addon);
          return fail (invocation, QI_CLI_EXIT_USAGE, message);
        }
      qi_bundle_set_addon (bundle, addon, version);
    }

  for (guint i = 0; variables != NULL && variables[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (!split_assignment (invocation, "env", variables[i], _("NAME=VALUE, such as OCIO=/show/config.ocio"),
                             &name, &value))
        return QI_CLI_EXIT_USAGE;
      qi_bundle_set_variable (bundle, name, value);
    }

  qi_bundle_set_packages (bundle, (const char * const *) packages);

  if (owner != NULL && !dev)
    return fail (invocation, QI_CLI_EXIT_USAGE,
                 _("--owner is for a dev bundle; add --dev"));
  if (dev)
    {
      qi_bundle_set_state (bundle, QI_BUNDLE_STATE_DEV);
      qi_bundle_set_owner (bundle, owner != NULL ? owner : g_get_user_name ());
    }

  manager = open_manager (invocation, user_data);
  if (manager == NULL)
    return 1;

  if (!qi_bundle_manager_create (manager, bundle, &error))
    return fail (invocation, status_of (error), error->message);

  state = qi_bundle_state_to_string (qi_bundle_get_state (bundle));
  qi_cli_invocation_print (invocation, _("Created bundle “%s” (%s) in %s\n"),
                           args[0], state, qi_bundle_manager_get_path (manager));
  warn_without_tracker (invocation, bundle);
  return 0;
}

/* Prints the bundles whose state differs between @before and @after. */
static guint
print_changes (QiCliInvocation *invocation,
               GPtrArray       *before,
               QiBundleManager *manager)
{
  guint changes = 0;

  for (guint i = 0; i < before->len; i++)
    {
      QiBundle *old = g_ptr_array_index (before, i);
      g_autoptr(QiBundle) new = qi_bundle_manager_lookup (manager, qi_bundle_get_name (old), NULL);
      g_autofree char *from = NULL;
      g_autofree char *to = NULL;

      if (new == NULL || qi_bundle_get_state (new) == qi_bundle_get_state (old))
        continue;

      from = qi_bundle_state_to_string (qi_bundle_get_state (old));
      to = qi_bundle_state_to_string (qi_bundle_get_state (new));
      qi_cli_invocation_print (invocation, "%s: %s → %s\n", qi_bundle_get_name (old), from, to);
      changes++;
    }

  return changes;
}

static int
change_state (QiCliInvocation *invocation,
              gpointer         user_data,
              const char      *name,
              QiBundleState    state)
{
  g_autoptr(QiBundleManager) manager = open_manager (invocation, user_data);
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GError) error = NULL;

  if (manager == NULL)
    return 1;

  before = qi_bundle_manager_list (manager);
  if (!qi_bundle_manager_set_state (manager, name, state, &error))
    return fail (invocation, status_of (error), error->message);

  if (print_changes (invocation, before, manager) == 0)
    {
      g_autoptr(QiBundle) bundle = qi_bundle_manager_lookup (manager, name, NULL);
      g_autofree char *text = qi_bundle_state_to_string (qi_bundle_get_state (bundle));

      qi_cli_invocation_print (invocation, _("%s: already %s; nothing changed\n"), name, text);
    }

  return 0;
}

static int
set_state_verb (QiCliInvocation *invocation,
                gpointer         user_data)
{
  const char * const *args = qi_cli_invocation_get_arguments (invocation);
  g_autoptr(GFlagsClass) flags = g_type_class_ref (QI_TYPE_BUNDLE_STATE);
  GFlagsValue *value = g_flags_get_value_by_nick (flags, args[1]);

  if (value == NULL)
    {
      const char *suggestion = qi_text_suggest (args[1], state_names);
      g_autofree char *message = NULL;

      if (suggestion != NULL)
        message = g_strdup_printf (_("“%s” is not a state; did you mean “%s”?"), args[1], suggestion);
      else
        message = g_strdup_printf (_("“%s” is not a state; use production, staging, dev, active "
                                     "or archived"), args[1]);
      return fail (invocation, QI_CLI_EXIT_USAGE, message);
    }

  return change_state (invocation, user_data, args[0], value->value);
}

static int
archive_verb (QiCliInvocation *invocation,
              gpointer         user_data)
{
  const char * const *args = qi_cli_invocation_get_arguments (invocation);

  return change_state (invocation, user_data, args[0], QI_BUNDLE_STATE_ARCHIVED);
}

static guint
print_map_diff (QiCliInvocation *invocation,
                JsonObject      *diff,
                const char      *title)
{
  JsonObject *added = json_object_get_object_member (diff, "added");
  JsonObject *removed = json_object_get_object_member (diff, "removed");
  JsonObject *changed = json_object_get_object_member (diff, "changed");
  g_autoptr(GString) out = g_string_new (NULL);
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  guint lines = 0;

  json_object_iter_init_ordered (&iter, removed);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_string_append_printf (out, "  - %s %s\n", name, json_node_get_string (node));
      lines++;
    }
  json_object_iter_init_ordered (&iter, added);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_string_append_printf (out, "  + %s %s\n", name, json_node_get_string (node));
      lines++;
    }
  json_object_iter_init_ordered (&iter, changed);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      JsonObject *change = json_node_get_object (node);

      g_string_append_printf (out, "  ~ %s %s → %s\n", name,
                              json_object_get_string_member (change, "from"),
                              json_object_get_string_member (change, "to"));
      lines++;
    }

  if (lines > 0)
    qi_cli_invocation_print (invocation, "%s:\n%s", title, out->str);
  return lines;
}

static int
diff_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiBundleManager) manager = open_manager (invocation, user_data);
  const char * const *args = qi_cli_invocation_get_arguments (invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) diff = NULL;
  JsonObject *object;
  JsonObject *packages;
  JsonArray *added;
  JsonArray *removed;
  guint lines = 0;

  if (manager == NULL)
    return 1;

  diff = qi_bundle_manager_diff (manager, args[0], args[1], &error);
  if (diff == NULL)
    return fail (invocation, 1, error->message);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, diff);
      return 0;
    }

  object = json_node_get_object (diff);
  qi_cli_invocation_print (invocation, "--- %s\n+++ %s\n", args[0], args[1]);
  lines += print_map_diff (invocation, json_object_get_object_member (object, "addons"), _("addons"));
  lines += print_map_diff (invocation, json_object_get_object_member (object, "variables"), _("variables"));

  packages = json_object_get_object_member (object, "packages");
  removed = json_object_get_array_member (packages, "removed");
  added = json_object_get_array_member (packages, "added");
  if (json_array_get_length (removed) + json_array_get_length (added) > 0)
    {
      qi_cli_invocation_print (invocation, "%s:\n", _("packages"));
      for (guint i = 0; i < json_array_get_length (removed); i++)
        qi_cli_invocation_print (invocation, "  - %s\n", json_array_get_string_element (removed, i));
      for (guint i = 0; i < json_array_get_length (added); i++)
        qi_cli_invocation_print (invocation, "  + %s\n", json_array_get_string_element (added, i));
      lines++;
    }

  if (lines == 0)
    qi_cli_invocation_print (invocation, _("No differences in addons, variables or packages.\n"));

  return 0;
}

static void
add (QiCliManager *cli,
     QiCliVerb    *verb)
{
  /* Bundles are files of the configuration: no addon code is needed. */
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);
}

static QiCliVerb *
new_verb (const char     *name,
          const char     *summary,
          QiCliVerbFunc   func)
{
  return qi_cli_verb_new (name, summary, func, NULL, NULL);
}

void
qi_bundle_verbs_register (QiCliManager  *cli)
{
  QiCliVerb *verb;

  verb = new_verb ("bundles list", _("List the bundles and their states"), list_verb);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  add (cli, verb);

  verb = new_verb ("bundles show", _("Show a bundle's addons and environment"), show_verb);
  qi_cli_verb_set_arguments (verb, _("NAME"), 1, 1);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  add (cli, verb);

  verb = new_verb ("bundles create", _("Create a bundle"), create_verb);
  qi_cli_verb_set_description (verb,
    _("Creates an active bundle, or with --dev a dev bundle of --owner (by default you), "
      "whose addons may be absolute paths of local folders. Give it a role afterwards with "
      "“bundles set-state”."));
  qi_cli_verb_set_arguments (verb, _("NAME"), 1, 1);
  qi_cli_verb_add_option (verb, "addon", QI_CLI_OPTION_STRING_ARRAY, _("ADDON=VERSION"),
                          _("An addon at a version, such as loader=1.2.0 (repeatable)"));
  qi_cli_verb_add_option (verb, "env", QI_CLI_OPTION_STRING_ARRAY, _("NAME=VALUE"),
                          _("An environment variable (repeatable)"));
  qi_cli_verb_add_option (verb, "package", QI_CLI_OPTION_STRING_ARRAY, _("PACKAGE"),
                          _("A dependency package (repeatable)"));
  qi_cli_verb_add_option (verb, "dev", QI_CLI_OPTION_FLAG, NULL, _("Create a dev bundle"));
  qi_cli_verb_add_option (verb, "owner", QI_CLI_OPTION_STRING, _("USER"),
                          _("The owner of the dev bundle (default: you)"));
  add (cli, verb);

  verb = new_verb ("bundles set-state", _("Set a bundle's state"), set_state_verb);
  qi_cli_verb_set_description (verb,
    _("STATE is production, staging, dev, active or archived. Making a bundle production "
      "(or staging) takes the role from the bundle that had it, in one atomic write; "
      "active and dev drop the roles; archived is refused for the production and staging bundles."));
  qi_cli_verb_set_arguments (verb, _("NAME STATE"), 2, 2);
  add (cli, verb);

  verb = new_verb ("bundles diff", _("Compare the addons and environment of two bundles"),
                   diff_verb);
  qi_cli_verb_set_arguments (verb, _("FROM TO"), 2, 2);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  add (cli, verb);

  verb = new_verb ("bundles archive", _("Archive a bundle (make it read-only)"), archive_verb);
  qi_cli_verb_set_arguments (verb, _("NAME"), 1, 1);
  add (cli, verb);
}
