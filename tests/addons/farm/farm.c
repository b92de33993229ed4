/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A native addon with a settings schema of every key type, attached in
 * class_init. Its hub handler farm.describe asks config.get on the hub
 * (as any client would) and answers with the resolved priority, so that
 * the tests see an addon reading its own settings. */
#include "config.h"

#include <qi/qi.h>

#define FARM_TYPE_ADDON (farm_addon_get_type ())
G_DECLARE_FINAL_TYPE (FarmAddon, farm_addon, FARM, ADDON, QiAddon)

struct _FarmAddon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (FarmAddon, farm_addon, QI_TYPE_ADDON)

static void
on_settings (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(QiHubRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) settings = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *values, *origins;

  if (settings == NULL)
    {
      qi_hub_request_fail_error (request, error);
      return;
    }
  values = json_object_get_object_member (json_node_get_object (settings), "values");
  origins = json_object_get_object_member (json_node_get_object (settings), "origins");

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "priority");
  json_builder_add_int_value (builder,
                              json_object_get_int_member (json_object_get_object_member (values, "farm"),
                                                          "priority"));
  json_builder_set_member_name (builder, "origin");
  json_builder_add_string_value (builder, json_object_get_string_member (origins, "farm.priority"));
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);
  qi_hub_request_reply (request, reply);
}

/* farm.describe {"project"?} → {"priority": N, "origin": LAYER} */
static void
describe (QiHubRequest *request,
          gpointer      user_data)
{
  QiAddon *addon = user_data;
  JsonNode *payload = qi_hub_request_get_payload (request);
  JsonNode *project = payload != NULL && JSON_NODE_HOLDS_OBJECT (payload)
                      ? json_object_get_member (json_node_get_object (payload), "project") : NULL;
  g_autoptr(JsonNode) ask = json_from_string ("{}", NULL);

  json_object_set_string_member (json_node_get_object (ask), "addon", qi_addon_get_name (addon));
  if (project != NULL)
    json_object_set_member (json_node_get_object (ask), "project", json_node_copy (project));
  qi_hub_endpoint_request_async (qi_addon_get_endpoint (addon), "config.get", ask, 5000, NULL,
                                 on_settings, g_object_ref (request));
}

/* qi --headless farm priority: the addon's own setting, for the run's
 * project, and the layer it comes from. */
static int
priority_verb (QiCliInvocation *invocation,
               gpointer         user_data)
{
  g_autoptr(GError) error = NULL;
  QiSettingsLayer origin;
  g_autoptr(JsonNode) value = qi_addon_get_setting (QI_ADDON (user_data), "farm.priority", &origin, &error);

  if (value == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi farm priority: %s\n", error->message);
      return 1;
    }
  qi_cli_invocation_print (invocation, "%" G_GINT64_FORMAT " (%s)\n", json_node_get_int (value),
                           qi_settings_layer_to_string (origin));
  return 0;
}

static gboolean
farm_addon_register_addon (QiAddon  *addon,
                           GError  **error)
{
  g_autoptr(QiCliVerb) verb = qi_cli_verb_new ("farm priority", "Print the farm priority", priority_verb,
                                               addon, NULL);
  g_autoptr(JsonNode) pool = NULL;

  /* The settings are there before register. */
  pool = qi_addon_get_setting (addon, "farm.pool", NULL, NULL);
  g_debug ("farm: registering for the %s pool", pool != NULL ? json_node_get_string (pool) : "(unknown)");

  return qi_hub_endpoint_add_handler (qi_addon_get_endpoint (addon), "farm.describe", describe,
                                      addon, NULL, error) &&
         qi_addon_add_verb (addon, verb, error);
}

static void
farm_addon_class_init (FarmAddonClass *klass)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Render farm");
  g_autoptr(JsonNode) formats = json_from_string ("[\"exr\"]", NULL);

  QI_ADDON_CLASS (klass)->register_addon = farm_addon_register_addon;

  qi_settings_schema_add_object (schema, "farm", "Farm", "Where and how renders run", NULL);
  qi_settings_schema_add_int (schema, "farm.priority", "Priority", "Job priority on the farm",
                              0, 100, 50, NULL);
  qi_settings_schema_add_enum (schema, "farm.pool", "Pool", NULL,
                               (const char * const []) { "cpu", "gpu", NULL }, "cpu", NULL);
  qi_settings_schema_add_float (schema, "farm.timeout", "Timeout", "Seconds before a task is killed",
                                0.5, 86400.0, 3600.0, NULL);
  qi_settings_schema_add_path (schema, "output.folder", "Output folder", NULL, "/tmp/renders", NULL);
  qi_settings_schema_add_list (schema, "output.formats", "Formats", NULL,
                               QI_SETTINGS_TYPE_STRING, formats, NULL);
  qi_settings_schema_set_length (schema, "output.formats", 1, 8, NULL);
  qi_settings_schema_add_bool (schema, "notify", "Notify", "Tell the artist when a job ends", TRUE, NULL);
  qi_settings_schema_add_string (schema, "label", "Label", NULL, "", NULL);
  qi_settings_schema_set_length (schema, "label", 0, 64, NULL);
  qi_settings_schema_attach (schema, FARM_TYPE_ADDON);
}

static void
farm_addon_class_finalize (FarmAddonClass *klass)
{
}

static void
farm_addon_init (FarmAddon *self)
{
}

static GType
farm_register (GTypeModule *module)
{
  farm_addon_register_type (module);
  return FARM_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (farm_register)
