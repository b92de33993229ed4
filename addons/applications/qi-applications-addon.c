/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <qi/qi.h>

#include "qi-app-catalog.h"
#include "qi-app-defaults.h"
#include "qi-launch-verbs.h"
#include "qi-launcher.h"

/*
 * The applications addon: the DCCs a studio runs (settings
 * `applications.groups`: groups, variants, executables per platform,
 * discovery of installed versions), their environment in layers
 * (`environment` of the studio, `project_environment`, each group's and
 * variant's, the tools of `tools` that `tools_enabled` and
 * `tools_by_task` choose), and the launcher (QiLauncher: the hub's
 * launcher.* and workfiles.next, the DCC processes and their logs). Its
 * commands: `launch`, `env explain`, `env resolve`, `apps list`.
 */

#define QI_TYPE_APPLICATIONS_ADDON (qi_applications_addon_get_type ())
G_DECLARE_FINAL_TYPE (QiApplicationsAddon, qi_applications_addon, QI, APPLICATIONS_ADDON, QiAddon)

struct _QiApplicationsAddon
{
  QiAddon     parent_instance;
  QiLauncher *launcher;
};

G_DEFINE_DYNAMIC_TYPE (QiApplicationsAddon, qi_applications_addon, QI_TYPE_ADDON)

static gboolean
check_groups (QiSettingsSchema  *schema,
              const char        *key,
              JsonNode          *value,
              gpointer           user_data,
              GError           **error)
{
  return qi_app_catalog_check (value, key, error);
}

static gboolean
check_environment (QiSettingsSchema  *schema,
                   const char        *key,
                   JsonNode          *value,
                   gpointer           user_data,
                   GError           **error)
{
  g_autoptr(QiEnvironment) scratch = qi_environment_new (NULL);
  g_autoptr(GError) local_error = NULL;

  /* its shape; references are resolved at launch, over the user's own */
  if (!qi_environment_add_layer (scratch, key, value, &local_error) &&
      !g_error_matches (local_error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_UNDEFINED))
    {
      g_set_error_literal (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* {"ocio": {"2.1": {VARIABLES}}}: each version an environment layer. */
static gboolean
check_tools (QiSettingsSchema  *schema,
             const char        *key,
             JsonNode          *value,
             gpointer           user_data,
             GError           **error)
{
  JsonObjectIter tools;
  const char *tool;
  JsonNode *versions;

  if (!JSON_NODE_HOLDS_OBJECT (value))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("%s: is not an object of tools, each an object of versions"), key);
      return FALSE;
    }
  json_object_iter_init (&tools, json_node_get_object (value));
  while (json_object_iter_next (&tools, &tool, &versions))
    {
      JsonObjectIter iter;
      const char *version;
      JsonNode *layer;

      if (!JSON_NODE_HOLDS_OBJECT (versions))
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s.%s: is not an object of versions, such as {\"2.1\": {\"OCIO\": \"…\"}}"), key, tool);
          return FALSE;
        }
      json_object_iter_init (&iter, json_node_get_object (versions));
      while (json_object_iter_next (&iter, &version, &layer))
        {
          g_autofree char *where = g_strdup_printf ("%s.%s.%s", key, tool, version);

          if (!check_environment (schema, where, layer, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* {"anim": ["ocio/2.1"]}: per task type, tools as NAME/VERSION. */
static gboolean
check_tools_by_task (QiSettingsSchema  *schema,
                     const char        *key,
                     JsonNode          *value,
                     gpointer           user_data,
                     GError           **error)
{
  JsonObjectIter iter;
  const char *type;
  JsonNode *list;

  if (!JSON_NODE_HOLDS_OBJECT (value))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("%s: is not an object of task types, each a list of tools"), key);
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (value));
  while (json_object_iter_next (&iter, &type, &list))
    {
      gboolean ok = JSON_NODE_HOLDS_ARRAY (list);

      for (guint i = 0; ok && i < json_array_get_length (json_node_get_array (list)); i++)
        {
          JsonNode *entry = json_array_get_element (json_node_get_array (list), i);

          ok = JSON_NODE_HOLDS_VALUE (entry) && json_node_get_value_type (entry) == G_TYPE_STRING &&
               strchr (json_node_get_string (entry), '/') != NULL;
        }
      if (!ok)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s.%s: is not a list of tools such as [\"ocio/2.1\"]"), key, type);
          return FALSE;
        }
    }
  return TRUE;
}

/* {"blender": "/studio/templates/start.blend"} or, per platform,
 * {"blender": {"linux": "/mnt/…", "windows": "P:/…"}}: absolute paths. */
static gboolean
check_workfile_templates (QiSettingsSchema  *schema,
                          const char        *key,
                          JsonNode          *value,
                          gpointer           user_data,
                          GError           **error)
{
  JsonObjectIter iter;
  const char *group;
  JsonNode *path;

  if (!JSON_NODE_HOLDS_OBJECT (value))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("%s: is not an object of application groups, each the path of its template file"), key);
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (value));
  while (json_object_iter_next (&iter, &group, &path))
    {
      g_autoptr(GList) members = NULL;
      gboolean ok = TRUE;

      if (JSON_NODE_HOLDS_OBJECT (path))
        {
          members = json_object_get_members (json_node_get_object (path));
          for (GList *l = members; ok && l != NULL; l = l->next)
            {
              JsonNode *one = json_object_get_member (json_node_get_object (path), l->data);
              QiPlatform platform;

              ok = qi_platform_from_string (l->data, &platform) && JSON_NODE_HOLDS_VALUE (one) &&
                   json_node_get_value_type (one) == G_TYPE_STRING &&
                   (platform == QI_PLATFORM_WINDOWS ? *json_node_get_string (one) != '\0'
                                                    : g_path_is_absolute (json_node_get_string (one)));
            }
        }
      else
        ok = JSON_NODE_HOLDS_VALUE (path) && json_node_get_value_type (path) == G_TYPE_STRING &&
             g_path_is_absolute (json_node_get_string (path));
      if (!ok)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s.%s: is not an absolute path, or an object of them per platform (linux, windows, "
                         "darwin)"), key, group);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
qi_applications_addon_register_addon (QiAddon  *addon,
                                      GError  **error)
{
  QiApplicationsAddon *self = QI_APPLICATIONS_ADDON (addon);

  self->launcher = qi_launcher_new (addon);
  return qi_launcher_attach (self->launcher, error) &&
         qi_launch_verbs_add (addon, self->launcher, error);
}

static void
qi_applications_addon_dispose (GObject *object)
{
  g_clear_object (&QI_APPLICATIONS_ADDON (object)->launcher);
  G_OBJECT_CLASS (qi_applications_addon_parent_class)->dispose (object);
}

static void
qi_applications_addon_class_init (QiApplicationsAddonClass *klass)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Applications");
  g_autoptr(JsonNode) groups = json_from_string (QI_APP_DEFAULT_GROUPS, NULL);
  g_autoptr(JsonNode) empty = json_from_string ("{}", NULL);
  g_autoptr(JsonNode) none = json_from_string ("[]", NULL);

  G_OBJECT_CLASS (klass)->dispose = qi_applications_addon_dispose;
  QI_ADDON_CLASS (klass)->register_addon = qi_applications_addon_register_addon;

  qi_settings_schema_add_json (schema, "groups", _("Applications"),
                               _("The applications by group (maya, nuke, blender…): label, host, icon, workfile "
                                 "extension, environment, discovery patterns with {version}, and variants with "
                                 "executables per platform, arguments and environment"),
                               groups, NULL);
  qi_settings_schema_set_validator (schema, "groups", check_groups, NULL, NULL, NULL);
  qi_settings_schema_add_json (schema, "environment", _("Studio environment"),
                               _("Variables of every launch, first of the layers: a string, a list (a path "
                                 "list), a value per platform or null; {NAME} refers to a variable"),
                               empty, NULL);
  qi_settings_schema_set_validator (schema, "environment", check_environment, NULL, NULL, NULL);
  qi_settings_schema_add_json (schema, "project_environment", _("Project environment"),
                               _("Variables of the project's launches (set it at the project layer), after the "
                                 "studio's"), empty, NULL);
  qi_settings_schema_set_validator (schema, "project_environment", check_environment, NULL, NULL, NULL);
  qi_settings_schema_add_json (schema, "tools", _("Tools"),
                               _("Named, versioned environment add-ons: {\"ocio\": {\"2.1\": {VARIABLES}}}"),
                               empty, NULL);
  qi_settings_schema_set_validator (schema, "tools", check_tools, NULL, NULL, NULL);
  qi_settings_schema_add_list (schema, "tools_enabled", _("Tools of the project"),
                               _("The tools of every launch of the project, as NAME/VERSION"), QI_SETTINGS_TYPE_STRING,
                               none, NULL);
  qi_settings_schema_add_json (schema, "tools_by_task", _("Tools by task type"),
                               _("More tools for the tasks of a type: {\"fx\": [\"houdini-plugins/3\"]}"),
                               empty, NULL);
  qi_settings_schema_set_validator (schema, "tools_by_task", check_tools_by_task, NULL, NULL, NULL);
  qi_settings_schema_add_json (schema, "workfile_templates", _("Workfile templates"),
                               _("The file a new workfile starts from, per application group: {\"blender\": "
                                 "\"/studio/templates/start.blend\"}, or a path per platform"), empty, NULL);
  qi_settings_schema_set_validator (schema, "workfile_templates", check_workfile_templates, NULL, NULL, NULL);
  qi_settings_schema_attach (schema, QI_TYPE_APPLICATIONS_ADDON);
}

static void
qi_applications_addon_class_finalize (QiApplicationsAddonClass *klass)
{
}

static void
qi_applications_addon_init (QiApplicationsAddon *self)
{
}

static GType
qi_applications_register (GTypeModule *module)
{
  qi_applications_addon_register_type (module);
  return QI_TYPE_APPLICATIONS_ADDON;
}

QI_ADDON_MODULE_DEFINE (qi_applications_register)
