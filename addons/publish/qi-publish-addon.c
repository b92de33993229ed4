/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <qi/qi.h>

#include "qi-integrator.h"

/*
 * The publish addon: the integrator on the hub (publish.integrate,
 * resume, abandon, cancel, running; QiIntegrator, one QiPublishJob per
 * publish, its files moved by QiFileTransfer), its settings (transfer
 * mode, the anatomy's template, the rate limit, the product types), and
 * the commands `publish resume ID` and `publish abandon ID`.
 */

#define QI_TYPE_PUBLISH_ADDON (qi_publish_addon_get_type ())
G_DECLARE_FINAL_TYPE (QiPublishAddon, qi_publish_addon, QI, PUBLISH_ADDON, QiAddon)

struct _QiPublishAddon
{
  QiAddon       parent_instance;
  QiIntegrator *integrator;
};

G_DEFINE_DYNAMIC_TYPE (QiPublishAddon, qi_publish_addon, QI_TYPE_ADDON)

static const char * const default_product_types[] = {
  "animation", "audio", "camera", "image", "layout", "look", "model", "plate", "pointcache", "render", "review",
  "rig", "texture", "workfile", NULL
};

/* --- the verbs ------------------------------------------------------------ */

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
on_verb_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* publish resume ID [--json], publish abandon ID [--json]: the hub's
 * topic in this process, whose main context runs until it answers. */
static int
job_verb (QiCliInvocation *invocation,
          gpointer         user_data)
{
  g_autoptr(QiPublishAddon) self = g_weak_ref_get (user_data);
  const char *name = qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
  gboolean resume = g_str_equal (name, "publish resume");
  const char *version = qi_cli_invocation_get_arguments (invocation)[0];
  g_autoptr(JsonObject) payload = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *object;

  if (self == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: the publish addon is gone\n"), name);
      return 1;
    }
  json_object_set_string_member (payload, "version", version);
  node = json_node_init_object (json_node_alloc (), payload);
  qi_hub_endpoint_request_async (qi_addon_get_endpoint (QI_ADDON (self)),
                                 resume ? "publish.resume" : "publish.abandon", node, G_MAXINT, NULL,
                                 on_verb_reply, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  reply = qi_hub_endpoint_request_finish (qi_addon_get_endpoint (QI_ADDON (self)), result, &error);
  if (reply == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", name, error->message);
      return 1;
    }
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, reply);
      return 0;
    }
  object = json_node_get_object (reply);
  if (resume)
    {
      JsonObject *product = json_object_get_object_member (object, "product");

      qi_cli_invocation_print (invocation, _("published %s v%03" G_GINT64_FORMAT " (version %s): %u files, %"
                                             G_GINT64_FORMAT " bytes\n"),
                               json_object_get_string_member_with_default (product, "name", "?"),
                               json_object_get_int_member (object, "number"), version,
                               json_array_get_length (json_object_get_array_member (object, "files")),
                               json_object_get_int_member (object, "bytes"));
    }
  else
    {
      JsonArray *removed = json_object_get_array_member (object, "removed");

      for (guint i = 0; i < json_array_get_length (removed); i++)
        qi_cli_invocation_print (invocation, _("removed %s\n"), json_array_get_string_element (removed, i));
      qi_cli_invocation_print (invocation, _("abandoned version %s\n"), version);
    }
  return 0;
}

static gboolean
add_verbs (QiPublishAddon  *self,
           GError         **error)
{
  const struct {
    const char *name;
    const char *summary;
    const char *description;
  } verbs[] = {
    { "publish resume", N_("Finish the publish of a pending version"),
      N_("A publisher that died leaves its version pending (qi --headless db doctor lists it): the files not in "
         "place yet are transferred again from the sources the version records, then the version is "
         "published.") },
    { "publish abandon", N_("Remove a pending version and its files"),
      N_("Deletes what a publisher that died wrote of a pending version — its temporary files and the files it "
         "put in place — then the version. A published version is never removed.") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      GWeakRef *ref = g_new0 (GWeakRef, 1);
      g_autoptr(QiCliVerb) verb = NULL;

      g_weak_ref_init (ref, self);
      verb = qi_cli_verb_new (verbs[i].name, _(verbs[i].summary), job_verb, ref, weak_ref_free);
      qi_cli_verb_set_description (verb, _(verbs[i].description));
      qi_cli_verb_set_arguments (verb, _("VERSION"), 1, 1);
      qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
      if (!qi_addon_add_verb (QI_ADDON (self), verb, error))
        return FALSE;
    }
  return TRUE;
}

/* --- the addon ------------------------------------------------------------ */

static gboolean
qi_publish_addon_register_addon (QiAddon  *addon,
                                 GError  **error)
{
  QiPublishAddon *self = QI_PUBLISH_ADDON (addon);
  const char *data_dir = qi_addon_get_data_dir (addon);
  g_autofree char *fallback = g_build_filename (g_get_user_data_dir (), "qi", NULL);
  g_autofree char *reports = g_build_filename (data_dir != NULL ? data_dir : fallback, "publish", "reports", NULL);

  self->integrator = qi_integrator_new (qi_addon_get_endpoint (addon), reports);
  return qi_integrator_attach (self->integrator, error) && add_verbs (self, error);
}

static void
qi_publish_addon_dispose (GObject *object)
{
  g_clear_object (&QI_PUBLISH_ADDON (object)->integrator);
  G_OBJECT_CLASS (qi_publish_addon_parent_class)->dispose (object);
}

static void
qi_publish_addon_class_init (QiPublishAddonClass *klass)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Publishing");
  g_autoptr(JsonNode) types = json_node_new (JSON_NODE_ARRAY);
  JsonArray *list = json_array_new ();

  G_OBJECT_CLASS (klass)->dispose = qi_publish_addon_dispose;
  QI_ADDON_CLASS (klass)->register_addon = qi_publish_addon_register_addon;

  for (guint i = 0; default_product_types[i] != NULL; i++)
    json_array_add_string_element (list, default_product_types[i]);
  json_node_take_array (types, list);

  qi_settings_schema_add_enum (schema, "transfer_mode", _("Transfer"),
                               _("How published files reach their place: copied (with their SHA-256), hard-linked "
                                 "(same file system, no copy) or cloned (reflink, where the file system can)"),
                               (const char * const []) { "copy", "hardlink", "reflink", NULL }, "copy", NULL);
  qi_settings_schema_add_string (schema, "template", _("Template"),
                                 _("The anatomy's template of a published file"), "publish.path", NULL);
  qi_settings_schema_add_int (schema, "rate_limit", _("Rate limit"),
                              _("The most MiB a second one publish copies, so that it leaves the file server's "
                                "bandwidth to others; 0 for no limit"), 0, 100000, 0, NULL);
  qi_settings_schema_add_list (schema, "product_types", _("Product types"),
                               _("The product types a publish may use"), QI_SETTINGS_TYPE_STRING, types, NULL);
  qi_settings_schema_attach (schema, QI_TYPE_PUBLISH_ADDON);
}

static void
qi_publish_addon_class_finalize (QiPublishAddonClass *klass)
{
}

static void
qi_publish_addon_init (QiPublishAddon *self)
{
}

static GType
qi_publish_register (GTypeModule *module)
{
  qi_publish_addon_register_type (module);
  return QI_TYPE_PUBLISH_ADDON;
}

QI_ADDON_MODULE_DEFINE (qi_publish_register)
