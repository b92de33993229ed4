/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-cli-private.h"
#include "qi-json.h"
#include "qi-cli-invocation.h"
#include "qi-settings-verbs-private.h"
#include "qi-settings.h"

/*
 * `qi --headless settings get | set | schema`: the loaded addons' settings
 * over the layers (see #QiSettings). The verbs need the addons: a schema
 * is known once its addon has loaded in phase 4.
 *
 * Exit statuses: 0; 1 for a failure (no such addon, a broken override
 * file, a failed write); 2 for a usage error or a value that does not fit.
 */

static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static int
fail (QiCliInvocation *invocation,
      const GError    *error)
{
  gboolean usage = error->domain == QI_SETTINGS_ERROR &&
                   (error->code == QI_SETTINGS_ERROR_INVALID ||
                    error->code == QI_SETTINGS_ERROR_UNKNOWN_KEY ||
                    error->code == QI_SETTINGS_ERROR_BAD_NAME);

  qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
  return usage ? QI_CLI_EXIT_USAGE : 1;
}

static QiSettings *
get_settings (QiCliInvocation *invocation,
              gpointer         user_data)
{
  g_autoptr(QiSettings) service = qi_cli_invocation_dup_service (invocation, "settings", QI_TYPE_SETTINGS);

  return g_steal_pointer (&service);
}

static void
print_errors (QiCliInvocation *invocation,
              JsonObject      *resolved)
{
  JsonArray *errors = json_object_get_array_member (resolved, "errors");

  for (guint i = 0; i < json_array_get_length (errors); i++)
    qi_cli_invocation_printerr (invocation, _("qi %s: warning: %s\n"), verb_name (invocation),
                                json_array_get_string_element (errors, i));
}

/* "bundle “prod”", "project “demo”", "default" */
static char *
origin_text (JsonObject *resolved,
             const char *layer)
{
  if (g_str_equal (layer, "bundle"))
    return g_strdup_printf (_("bundle “%s”"), json_object_get_string_member (resolved, "bundle"));
  if (g_str_equal (layer, "project"))
    return g_strdup_printf (_("project “%s”"), json_object_get_string_member (resolved, "project"));
  return g_strdup (_("default"));
}

static JsonNode *
lookup_path (JsonObject *values,
             const char *key)
{
  g_auto(GStrv) parts = g_strsplit (key, ".", -1);
  JsonNode *node = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      node = json_object_get_member (values, parts[i]);
      if (node == NULL)
        return NULL;
      if (JSON_NODE_HOLDS_OBJECT (node))
        values = json_node_get_object (node);
    }
  return node;
}

static void
print_value (QiCliInvocation *invocation,
             JsonObject      *resolved,
             const char      *key,
             gboolean         with_origin)
{
  JsonObject *values = json_object_get_object_member (resolved, "values");
  JsonObject *origins = json_object_get_object_member (resolved, "origins");
  JsonNode *node = lookup_path (values, key);
  g_autofree char *text = node != NULL ? qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL) : g_strdup ("null");

  if (with_origin)
    {
      g_autofree char *origin = origin_text (resolved,
                                             json_object_get_string_member_with_default (origins, key, "default"));

      qi_cli_invocation_print (invocation, "%s = %s  (%s)\n", key, text, origin);
    }
  else
    qi_cli_invocation_print (invocation, "%s = %s\n", key, text);
}

/* settings get [ADDON] [--project P] [--origin] [--json] */
static int
get_verb (QiCliInvocation *invocation,
          gpointer         user_data)
{
  g_autoptr(QiSettings) settings = get_settings (invocation, user_data);
  const char * const *arguments = qi_cli_invocation_get_arguments (invocation);
  gboolean json = qi_cli_invocation_get_flag (invocation, "json");
  gboolean with_origin = qi_cli_invocation_get_flag (invocation, "origin");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) resolved = NULL;
  g_auto(GStrv) keys = NULL;
  JsonObject *object;

  if (settings == NULL)
    return 1;

  if (arguments[0] == NULL)
    {
      g_auto(GStrv) addons = qi_settings_dup_addons (settings);

      if (json)
        {
          g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), json_array_new ());

          for (guint i = 0; addons[i] != NULL; i++)
            json_array_add_string_element (json_node_get_array (node), addons[i]);
          json_array_unref (json_node_get_array (node));
          qi_cli_invocation_print_json (invocation, node);
          return 0;
        }
      if (addons[0] == NULL)
        qi_cli_invocation_print (invocation, _("No loaded addon has settings.\n"));
      for (guint i = 0; addons[i] != NULL; i++)
        qi_cli_invocation_print (invocation, "%s\n", addons[i]);
      return 0;
    }

  resolved = qi_settings_resolve (settings, arguments[0],
                                  qi_cli_invocation_get_string (invocation, "project"), &error);
  if (resolved == NULL)
    return fail (invocation, error);
  object = json_node_get_object (resolved);
  print_errors (invocation, object);

  if (json)
    {
      if (with_origin)
        qi_cli_invocation_print_json (invocation, resolved);
      else
        qi_cli_invocation_print_json (invocation, json_object_get_member (object, "values"));
      return 0;
    }

  keys = qi_settings_schema_dup_keys (qi_settings_get_schema (settings, arguments[0]));
  for (guint i = 0; keys[i] != NULL; i++)
    print_value (invocation, object, keys[i], with_origin);
  return 0;
}

/* settings set ADDON KEY [VALUE] --layer bundle|project [--project P] [--unset] */
static int
set_verb (QiCliInvocation *invocation,
          gpointer         user_data)
{
  g_autoptr(QiSettings) settings = get_settings (invocation, user_data);
  const char * const *arguments = qi_cli_invocation_get_arguments (invocation);
  const char *layer_text = qi_cli_invocation_get_string (invocation, "layer");
  const char *project = qi_cli_invocation_get_string (invocation, "project");
  gboolean unset = qi_cli_invocation_get_flag (invocation, "unset");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(JsonNode) resolved = NULL;
  QiSettingsSchema *schema;
  QiSettingsLayer layer;

  if (settings == NULL)
    return 1;

  if (layer_text == NULL || !qi_settings_layer_from_string (layer_text, &layer) ||
      layer == QI_SETTINGS_LAYER_DEFAULT)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: give --layer bundle or --layer project\n"),
                                  verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  if (unset == (arguments[2] != NULL))
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: give a VALUE, or --unset to remove the override\n"),
                                  verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }

  schema = qi_settings_get_schema (settings, arguments[0]);
  if (schema != NULL && !unset)
    {
      value = qi_settings_schema_parse_value (schema, arguments[1], arguments[2], &error);
      if (value == NULL)
        {
          const char *name = layer == QI_SETTINGS_LAYER_BUNDLE ? qi_settings_get_bundle (settings) : project;

          if (name == NULL)
            name = qi_settings_get_project (settings);
          g_prefix_error (&error, _("%s layer “%s”: "), layer_text, name != NULL ? name : "?");
          return fail (invocation, error);
        }
    }

  if (!qi_settings_set_value (settings, arguments[0], arguments[1], value, layer, project, &error))
    return fail (invocation, error);

  resolved = qi_settings_resolve (settings, arguments[0], project, &error);
  if (resolved == NULL)
    return fail (invocation, error);
  print_value (invocation, json_node_get_object (resolved), arguments[1], TRUE);
  return 0;
}

/* settings schema ADDON */
static int
schema_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiSettings) settings = get_settings (invocation, user_data);
  const char * const *arguments = qi_cli_invocation_get_arguments (invocation);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) exported = NULL;
  QiSettingsSchema *schema;

  if (settings == NULL)
    return 1;

  schema = qi_settings_get_schema (settings, arguments[0]);
  if (schema == NULL)
    {
      /* The same wording as every other way of asking. */
      qi_settings_resolve (settings, arguments[0], NULL, &error);
      return fail (invocation, error);
    }
  id = g_strconcat ("urn:qi:settings:", arguments[0], NULL);
  exported = qi_settings_schema_to_json_schema (schema, id);
  qi_cli_invocation_print_json (invocation, exported);
  return 0;
}

void
qi_settings_verbs_register (QiCliManager  *cli)
{
  QiCliVerb *verb;

  verb = qi_cli_verb_new ("settings get", _("Show an addon's settings, or list the addons with settings"),
                          get_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("Values resolve over three layers: the addon's defaults, the run's bundle, then the "
      "project (--project, else the run's). --origin tells the layer of each value."));
  qi_cli_verb_set_arguments (verb, _("[ADDON]"), 0, 1);
  qi_cli_verb_add_option (verb, "project", QI_CLI_OPTION_STRING, _("PROJECT"),
                          _("The project whose layer applies"));
  qi_cli_verb_add_option (verb, "origin", QI_CLI_OPTION_FLAG, NULL,
                          _("Tell the layer each value comes from"));
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("settings set", _("Set one of an addon's settings in a layer"),
                          set_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("KEY is a dotted path such as farm.priority. VALUE is text for string, path and enum "
      "keys and JSON for the others (42, 0.5, true, [\"a\", \"b\"]). --unset removes the "
      "layer's override, so that the layer below applies again."));
  qi_cli_verb_set_arguments (verb, _("ADDON KEY [VALUE]"), 2, 3);
  qi_cli_verb_add_option (verb, "layer", QI_CLI_OPTION_STRING, _("LAYER"),
                          _("bundle or project"));
  qi_cli_verb_add_option (verb, "project", QI_CLI_OPTION_STRING, _("PROJECT"),
                          _("The project, for --layer project (default: the run's)"));
  qi_cli_verb_add_option (verb, "unset", QI_CLI_OPTION_FLAG, NULL,
                          _("Remove the override instead of setting a value"));
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("settings schema", _("Print an addon's settings schema as JSON Schema"),
                          schema_verb, NULL, NULL);
  qi_cli_verb_set_arguments (verb, _("ADDON"), 1, 1);
  qi_cli_manager_add_builtin (cli, verb);
}
