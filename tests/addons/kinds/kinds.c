/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A native addon of the extension kinds beyond the hub, the CLI and REST:
 * two tray items, a host (a QiHost subclass that adjusts the launch
 * environment) and a workfile handler (a QiWorkfileHandler subclass that
 * saves and opens small text files); its folder has plugins/publish and
 * plugins/load. */
#include "config.h"

#include <qi/qi.h>

/* --- The host: fails when asked to, through the environment. */

#define KINDS_TYPE_HOST (kinds_host_get_type ())
G_DECLARE_FINAL_TYPE (KindsHost, kinds_host, KINDS, HOST, QiHost)

struct _KindsHost
{
  QiHost parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (KindsHost, kinds_host, QI_TYPE_HOST)

static char **
kinds_host_adjust_environment (QiHost  *host,
                               char   **envp,
                               GError **error)
{
  if (g_environ_getenv (envp, "KINDS_DCC_NO_LICENSE") != NULL)
    {
      g_strfreev (envp);
      g_set_error_literal (error, QI_HOST_ERROR, QI_HOST_ERROR_FAILED, "kinds-dcc has no licence on this machine");
      return NULL;
    }
  return g_environ_setenv (envp, "KINDS_DCC_LICENSE", "floating", TRUE);
}

static void
kinds_host_class_init (KindsHostClass *klass)
{
  QI_HOST_CLASS (klass)->adjust_environment = kinds_host_adjust_environment;
}

static void
kinds_host_class_finalize (KindsHostClass *klass)
{
}

static void
kinds_host_init (KindsHost *self)
{
}

/* --- The workfile handler: a scene is a text file naming itself. */

#define KINDS_TYPE_WORKFILE (kinds_workfile_get_type ())
G_DECLARE_FINAL_TYPE (KindsWorkfile, kinds_workfile, KINDS, WORKFILE, QiWorkfileHandler)

struct _KindsWorkfile
{
  QiWorkfileHandler parent_instance;
  char             *current;   /* the scene open in the "DCC" */
};

G_DEFINE_DYNAMIC_TYPE (KindsWorkfile, kinds_workfile, QI_TYPE_WORKFILE_HANDLER)

static gboolean
kinds_workfile_open (QiWorkfileHandler  *handler,
                     const char         *path,
                     GError            **error)
{
  KindsWorkfile *self = KINDS_WORKFILE (handler);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  g_free (self->current);
  self->current = g_strdup (path);
  return TRUE;
}

static gboolean
kinds_workfile_save (QiWorkfileHandler  *handler,
                     const char         *path,
                     GError            **error)
{
  KindsWorkfile *self = KINDS_WORKFILE (handler);
  g_autofree char *contents = g_strdup_printf ("kinds scene %s\n", path);

  if (!g_file_set_contents (path, contents, -1, error))
    return FALSE;
  g_free (self->current);
  self->current = g_strdup (path);
  return TRUE;
}

static void
kinds_workfile_finalize (GObject *object)
{
  g_free (KINDS_WORKFILE (object)->current);
  G_OBJECT_CLASS (kinds_workfile_parent_class)->finalize (object);
}

static void
kinds_workfile_class_init (KindsWorkfileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kinds_workfile_finalize;
  QI_WORKFILE_HANDLER_CLASS (klass)->open = kinds_workfile_open;
  QI_WORKFILE_HANDLER_CLASS (klass)->save = kinds_workfile_save;
}

static void
kinds_workfile_class_finalize (KindsWorkfileClass *klass)
{
}

static void
kinds_workfile_init (KindsWorkfile *self)
{
}

/* --- The addon. */

#define KINDS_TYPE_ADDON (kinds_addon_get_type ())
G_DECLARE_FINAL_TYPE (KindsAddon, kinds_addon, KINDS, ADDON, QiAddon)

struct _KindsAddon
{
  QiAddon        parent_instance;
  KindsWorkfile *workfile;
};

G_DEFINE_DYNAMIC_TYPE (KindsAddon, kinds_addon, QI_TYPE_ADDON)

/* kinds.tray.clicked: what a tray item asks; echoes the item. */
static void
on_clicked (QiHubRequest *request,
            gpointer      user_data)
{
  JsonObject *payload = json_node_get_object (qi_hub_request_get_payload (request));
  g_autofree char *json = g_strdup_printf ("{\"clicked\":\"%s\"}",
                                           json_object_get_string_member_with_default (payload, "item", "?"));
  g_autoptr(JsonNode) reply = json_from_string (json, NULL);

  qi_hub_request_reply (request, reply);
}

/* kinds.scene.current → {"path": the scene open, or null} */
static void
on_current (QiHubRequest *request,
            gpointer      user_data)
{
  KindsAddon *self = user_data;
  g_autoptr(JsonNode) reply = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (reply, json_object_new ());
  if (self->workfile != NULL && self->workfile->current != NULL)
    json_object_set_string_member (json_node_get_object (reply), "path", self->workfile->current);
  else
    json_object_set_null_member (json_node_get_object (reply), "path");
  qi_hub_request_reply (request, reply);
}

static gboolean
kinds_addon_register_addon (QiAddon  *addon,
                            GError  **error)
{
  KindsAddon *self = KINDS_ADDON (addon);
  QiHubEndpoint *endpoint = qi_addon_get_endpoint (addon);
  g_autoptr(QiHost) host = g_object_new (KINDS_TYPE_HOST, "name", "kinds-dcc", "label", "Kinds DCC", NULL);

  g_clear_object (&self->workfile);
  self->workfile = g_object_new (KINDS_TYPE_WORKFILE, "name", "kinds-scenes", "host", "kinds-dcc",
                                 "extensions", (const char * const []) { ".kscene", ".kscn", NULL }, NULL);

  qi_host_set_plugin_folder (host, "host/kinds-dcc");
  return qi_hub_endpoint_add_handler (endpoint, "kinds.tray.clicked", on_clicked, NULL, NULL, error) &&
         qi_hub_endpoint_add_handler (endpoint, "kinds.scene.current", on_current, self, NULL, error) &&
         qi_addon_add_tray_item (addon, "hello", "Say hello", "kinds.tray.clicked", error) &&
         qi_addon_add_tray_item (addon, "publish", "Publish…", "kinds.tray.clicked", error) &&
         qi_host_add_executable (host, "kinds-dcc-is-not-installed", error) &&
         qi_host_add_executable (host, "/bin/sh", error) &&
         qi_host_prepend_env (host, "PYTHONPATH", "{plugin_folder}", error) &&
         qi_host_set_env (host, "KINDS_DCC_ADDON", "{addon_folder}", error) &&
         qi_host_add_menu_item (host, "Say hello", "kinds.tray.clicked", error) &&
         qi_addon_add_host (addon, host, error) &&
         qi_addon_add_workfile_handler (addon, QI_WORKFILE_HANDLER (self->workfile), error);
}

static void
kinds_addon_close (QiAddon *addon)
{
  g_clear_object (&KINDS_ADDON (addon)->workfile);
}

static void
kinds_addon_dispose (GObject *object)
{
  g_clear_object (&KINDS_ADDON (object)->workfile);
  G_OBJECT_CLASS (kinds_addon_parent_class)->dispose (object);
}

static void
kinds_addon_class_init (KindsAddonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kinds_addon_dispose;
  QI_ADDON_CLASS (klass)->register_addon = kinds_addon_register_addon;
  QI_ADDON_CLASS (klass)->close = kinds_addon_close;
}

static void
kinds_addon_class_finalize (KindsAddonClass *klass)
{
}

static void
kinds_addon_init (KindsAddon *self)
{
}

static GType
kinds_register (GTypeModule *module)
{
  kinds_host_register_type (module);
  kinds_workfile_register_type (module);
  kinds_addon_register_type (module);
  return KINDS_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (kinds_register)
