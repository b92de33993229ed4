/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gtk/gtk.h>

#include "qi-gui-manager.h"
#include "qi-tray-manager.h"
#include "qi-window-manager.h"

/**
 * QiGuiManager:
 *
 * The `gui` service: Qi's desktop shell. It does nothing until the
 * bootstrap reaches phase 6 (so `qi --headless …` never touches GTK):
 *
 * - claim (6.0): a #GtkApplication `org.qi.Qi` on the session bus; if
 *   another Qi shell holds the name, this run activates it (it opens or
 *   focuses the launcher) and ends with 0. Without a session bus the shell
 *   runs alone, and says so.
 * - show (6.3): the hub session `__hub__/gui` with the `gui.*` topics, the
 *   windows (#QiWindowManager), the tray (#QiTrayManager), and the
 *   launcher window unless `--no-window`.
 * - run (7): the main loop, until Quit, SIGINT or SIGTERM.
 *
 * The launcher is the UI of the addon named by `shell.launcher` in
 * qi.toml (default `launcher`), in the window of id `launcher`.
 */

#define APPLICATION_ID "org.qi.Qi"
#define DEFAULT_LAUNCHER "launcher"

struct _QiGuiManager
{
  QiService        parent_instance;

  GWeakRef         application;
  GtkApplication  *gtk_app;
  gboolean         claimed;
  QiServer        *server;
  QiHubEndpoint   *endpoint;
  QiWindowManager *windows;
  QiTrayManager   *tray;
  gboolean         running;
  gboolean         skip_activate;      /* --no-window: not the run's own activation */
  char            *launcher;
  gboolean         dev;
  gboolean         staging;
  gboolean         activate_pending;   /* an activation came before show */
  guint            tray_subscription;
  GStrv            restart_argv;
};

enum {
  PROP_0,
  PROP_RESTART_ARGV,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void qi_gui_manager_gui_init (QiGuiInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QiGuiManager, qi_gui_manager, QI_TYPE_SERVICE,
                               G_IMPLEMENT_INTERFACE (QI_TYPE_GUI, qi_gui_manager_gui_init))

static QiApplication *
ref_app (QiGuiManager *self)
{
  return g_weak_ref_get (&self->application);
}

static void
qi_gui_manager_stop (QiService *service)
{
  QiGuiManager *self = QI_GUI_MANAGER (service);

  if (self->windows != NULL)
    qi_window_manager_close_all (self->windows);
  if (self->endpoint != NULL)
    {
      qi_hub_endpoint_close (self->endpoint);
      g_clear_object (&self->endpoint);
    }
  g_clear_object (&self->tray);
  g_clear_object (&self->windows);
  g_clear_object (&self->server);
}

static void
qi_gui_manager_dispose (GObject *object)
{
  QiGuiManager *self = QI_GUI_MANAGER (object);

  qi_gui_manager_stop (QI_SERVICE (self));
  g_clear_object (&self->gtk_app);

  G_OBJECT_CLASS (qi_gui_manager_parent_class)->dispose (object);
}

static void
qi_gui_manager_finalize (GObject *object)
{
  QiGuiManager *self = QI_GUI_MANAGER (object);

  g_weak_ref_clear (&self->application);
  g_free (self->launcher);
  g_strfreev (self->restart_argv);

  G_OBJECT_CLASS (qi_gui_manager_parent_class)->finalize (object);
}

static void
qi_gui_manager_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  QiGuiManager *self = QI_GUI_MANAGER (object);

  switch (prop_id)
    {
    case PROP_RESTART_ARGV:
      g_value_set_boxed (value, self->restart_argv);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_gui_manager_class_init (QiGuiManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->dispose = qi_gui_manager_dispose;
  object_class->finalize = qi_gui_manager_finalize;
  object_class->get_property = qi_gui_manager_get_property;
  service_class->stop = qi_gui_manager_stop;

  /**
   * QiGuiManager:restart-argv:
   *
   * The command line to start again with once the run has ended (the
   * tray's bundle switch), or %NULL. `qi` reads it by name, without
   * linking the shell.
   */
  properties[PROP_RESTART_ARGV] =
    g_param_spec_boxed ("restart-argv", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_gui_manager_init (QiGuiManager *self)
{
  g_weak_ref_init (&self->application, NULL);
}

/**
 * qi_gui_manager_new:
 * @application: the application whose shell this is
 *
 * Returns: (transfer full): the `gui` service, to register before the run
 */
QiGuiManager *
qi_gui_manager_new (QiApplication *application)
{
  QiGuiManager *self = g_object_new (QI_TYPE_GUI_MANAGER,
                                     "name", "gui",
                                     "description", _("The desktop shell: tray and web-UI windows"),
                                     NULL);

  g_weak_ref_set (&self->application, application);
  return self;
}

/**
 * qi_gui_module_new_service:
 * @application: the application whose shell this is
 *
 * The entry point of `qi-gui.so`: what `qi` looks up after opening it.
 *
 * Returns: (transfer full): a new #QiGuiManager
 */
QiService *
qi_gui_module_new_service (QiApplication *application)
{
  return QI_SERVICE (qi_gui_manager_new (application));
}

/* --- Windows. */

static QiAddonManager *
get_addons (QiGuiManager *self)
{
  g_autoptr(QiApplication) app = ref_app (self);
  QiService *addons = app != NULL ? qi_application_get_service (app, "addons") : NULL;

  return addons != NULL && QI_IS_ADDON_MANAGER (addons) ? QI_ADDON_MANAGER (addons) : NULL;
}

/* Whether @addon is loaded and has a UI the server serves. */
static gboolean
check_addon_ui (QiGuiManager  *self,
                const char    *addon,
                GError       **error)
{
  QiAddonManager *addons = get_addons (self);
  QiAddonInfo *info = addons != NULL ? qi_addon_manager_lookup (addons, addon) : NULL;
  g_autofree char *dist = NULL;

  if (info == NULL || qi_addon_manager_get_addon (addons, addon) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   info == NULL ? _("no addon “%s” is installed on the addon path")
                                : _("the addon “%s” is not loaded (see “qi --headless addons info %s”)"),
                   addon, addon);
      return FALSE;
    }
  dist = g_build_filename (qi_addon_info_get_path (info), "ui_dist", NULL);
  if (!g_file_test (dist, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("the addon “%s” has no web UI: %s is not a folder"), addon, dist);
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_window (QiGuiManager  *self,
             const char    *id,
             const char    *addon,
             const char    *path,
             JsonObject    *params,
             const char    *route,
             const char    *title,
             int            width,
             int            height,
             gboolean      *focused,
             GError       **error)
{
  if (self->windows == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("the shell is not shown yet"));
      return FALSE;
    }
  if (!check_addon_ui (self, addon, error))
    return FALSE;
  return qi_window_manager_open (self->windows, id, addon, path, params, route, title, width, height, focused,
                                 error);
}

static void
open_launcher (QiGuiManager *self)
{
  g_autoptr(GError) error = NULL;

  if (self->windows == NULL)
    {
      self->activate_pending = TRUE;
      return;
    }
  if (!open_window (self, "launcher", self->launcher, NULL, NULL, NULL, _("Qi"), 0, 0, NULL, &error))
    g_warning ("The launcher cannot open: %s; the tray runs on", error->message);
}

static void
emit_event (QiGuiManager *self,
            const char   *topic,
            const char   *id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(GError) error = NULL;

  if (self->endpoint == NULL)
    return;
  json_builder_begin_object (builder);
  if (id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
    }
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);
  if (!qi_hub_endpoint_emit (self->endpoint, topic, payload, &error))
    g_warning ("Could not send %s: %s", topic, error->message);
}

static void
on_window_opened (QiWindowManager *windows,
                  const char      *id,
                  const char      *addon,
                  gpointer         user_data)
{
  emit_event (user_data, "gui.window.opened", id);
}

static void
on_window_loaded (QiWindowManager *windows,
                  const char      *id,
                  gpointer         user_data)
{
  emit_event (user_data, "gui.window.loaded", id);
}

static void
on_window_closed (QiWindowManager *windows,
                  const char      *id,
                  gpointer         user_data)
{
  emit_event (user_data, "gui.window.closed", id);
}

/* --- The hub's gui.* topics. */

static JsonObject *
payload_object (QiHubRequest *request)
{
  JsonNode *payload = qi_hub_request_get_payload (request);

  return payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) ? json_node_get_object (payload) : NULL;
}

/* The string member @name; fails @request and returns NULL if it is
 * missing (when @required) or not a string. */
static gboolean
get_string (QiHubRequest  *request,
            JsonObject    *object,
            const char    *name,
            gboolean       required,
            const char   **value)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;
  const char *topic = qi_hub_request_get_topic (request);
  g_autofree char *message = NULL;

  *value = NULL;
  if (node == NULL && !required)
    return TRUE;
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
      *json_node_get_string (node) != '\0')
    {
      *value = json_node_get_string (node);
      return TRUE;
    }
  message = node == NULL ? g_strdup_printf (_("%s: “%s” is missing; it is a non-empty string"), topic, name)
                         : g_strdup_printf (_("%s: “%s” must be a non-empty string"), topic, name);
  qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  return FALSE;
}

static gboolean
get_size (QiHubRequest *request,
          JsonObject   *object,
          const char   *name,
          int          *value)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *message = NULL;

  *value = 0;
  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64 &&
      json_node_get_int (node) >= 100 && json_node_get_int (node) <= 10000)
    {
      *value = (int) json_node_get_int (node);
      return TRUE;
    }
  message = g_strdup_printf (_("%s: “%s” must be a whole number of pixels from 100 to 10000"),
                             qi_hub_request_get_topic (request), name);
  qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  return FALSE;
}

/* A window id or addon name: what goes into a URL and a key file. */
static gboolean
check_name (QiHubRequest *request,
            const char   *name,
            const char   *value)
{
  g_autofree char *message = NULL;

  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      {
        message = g_strdup_printf (_("%s: “%s” is “%s”: use letters, digits, “-”, “_” and “.” only"),
                                   qi_hub_request_get_topic (request), name, value);
        qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
        return FALSE;
      }
  return TRUE;
}

static gboolean
check_path (QiHubRequest *request,
            const char   *path)
{
  g_autofree char *message = NULL;
  g_auto(GStrv) parts = NULL;

  if (path == NULL)
    return TRUE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0 || strcmp (parts[i], ".") == 0)
      goto bad;
  if (path[0] == '/' || strchr (path, '?') != NULL || strchr (path, '#') != NULL ||
      strchr (path, '\\') != NULL)
    goto bad;
  return TRUE;

bad:
  message = g_strdup_printf (_("%s: “path” is “%s”: a relative path inside the addon's UI folder, "
                               "without “.”, “..”, “?” or “#”"),
                             qi_hub_request_get_topic (request), path);
  qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  return FALSE;
}

static void
reply_id (QiHubRequest *request,
          const char   *id,
          const char   *extra_name,
          gboolean      extra_value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) reply = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  if (extra_name != NULL)
    {
      json_builder_set_member_name (builder, extra_name);
      json_builder_add_boolean_value (builder, extra_value);
    }
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);
  qi_hub_request_reply (request, reply);
}

static void
fail_with (QiHubRequest *request,
           const GError *error)
{
  g_autofree char *message = g_strdup_printf ("%s: %s", qi_hub_request_get_topic (request), error->message);

  qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, message);
}

/* The page's own query parameters: an object of at most 16 strings, each
 * named with letters, digits, “-” and “_”, none of the shell's own. */
static gboolean
get_params (QiHubRequest  *request,
            JsonObject    *object,
            JsonObject   **params)
{
  static const char * const reserved[] = { "token", "session", "project", NULL };
  JsonNode *node = object != NULL ? json_object_get_member (object, "params") : NULL;
  const char *topic = qi_hub_request_get_topic (request);
  g_autofree char *message = NULL;
  g_autoptr(GList) names = NULL;

  *params = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node) || json_object_get_size (json_node_get_object (node)) > 16)
    {
      message = g_strdup_printf (_("%s: “params” must be an object of at most 16 strings"), topic);
      goto bad;
    }
  names = json_object_get_members (json_node_get_object (node));
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (json_node_get_object (node), name);
      gboolean named = *name != '\0' && strlen (name) <= 64;

      for (const char *p = name; named && *p != '\0'; p++)
        named = g_ascii_isalnum (*p) || *p == '-' || *p == '_';
      if (!named || g_strv_contains (reserved, name))
        {
          message = g_strdup_printf (_("%s: “params” has “%s”: a name of letters, digits, “-” and “_”, "
                                       "not token, session or project"), topic, name);
          goto bad;
        }
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING ||
          strlen (json_node_get_string (value)) > 1024)
        {
          message = g_strdup_printf (_("%s: “params.%s” must be a string of at most 1024 bytes"), topic, name);
          goto bad;
        }
    }
  *params = json_node_get_object (node);
  return TRUE;

bad:
  qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  return FALSE;
}

/* The address's fragment: “/”, then letters, digits, “/”, “-”, “_”, “.”. */
static gboolean
check_route (QiHubRequest *request,
             const char   *route)
{
  g_autofree char *message = NULL;
  gboolean good;

  if (route == NULL)
    return TRUE;
  good = route[0] == '/' && strlen (route) <= 256;
  for (const char *p = route; good && *p != '\0'; p++)
    good = g_ascii_isalnum (*p) || strchr ("/-_.", *p) != NULL;
  if (good)
    return TRUE;
  message = g_strdup_printf (_("%s: “route” is “%s”: “/” then letters, digits, “/”, “-”, “_” and “.”"),
                             qi_hub_request_get_topic (request), route);
  qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  return FALSE;
}

static void
on_window_open (QiHubRequest *request,
                gpointer      user_data)
{
  QiGuiManager *self = user_data;
  JsonObject *object = payload_object (request);
  const char *id, *addon, *path, *title, *route;
  JsonObject *params;
  int width, height;
  gboolean focused = FALSE;
  g_autoptr(GError) error = NULL;

  if (!get_string (request, object, "id", TRUE, &id) ||
      !get_string (request, object, "addon", TRUE, &addon) ||
      !get_string (request, object, "path", FALSE, &path) ||
      !get_string (request, object, "title", FALSE, &title) ||
      !get_string (request, object, "route", FALSE, &route) ||
      !check_name (request, "id", id) || !check_name (request, "addon", addon) ||
      !check_path (request, path) || !check_route (request, route) || !get_params (request, object, &params) ||
      !get_size (request, object, "width", &width) || !get_size (request, object, "height", &height))
    return;

  if (!open_window (self, id, addon, path, params, route, title, width, height, &focused, &error))
    {
      fail_with (request, error);
      return;
    }
  reply_id (request, id, "focused", focused);
}

static void
on_window_close (QiHubRequest *request,
                 gpointer      user_data)
{
  QiGuiManager *self = user_data;
  const char *id;
  g_autoptr(GError) error = NULL;

  if (!get_string (request, payload_object (request), "id", TRUE, &id))
    return;
  if (!qi_window_manager_close (self->windows, id, &error))
    {
      fail_with (request, error);
      return;
    }
  reply_id (request, id, NULL, FALSE);
}

static void
on_window_focus (QiHubRequest *request,
                 gpointer      user_data)
{
  QiGuiManager *self = user_data;
  const char *id;
  g_autoptr(GError) error = NULL;

  if (!get_string (request, payload_object (request), "id", TRUE, &id))
    return;
  if (!qi_window_manager_focus (self->windows, id, &error))
    {
      fail_with (request, error);
      return;
    }
  reply_id (request, id, NULL, FALSE);
}

static void
on_window_list (QiHubRequest *request,
                gpointer      user_data)
{
  QiGuiManager *self = user_data;
  g_autoptr(JsonNode) reply = qi_window_manager_list (self->windows);

  qi_hub_request_reply (request, reply);
}

static void
on_snapshot_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(QiHubRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_window_manager_snapshot_finish (QI_WINDOW_MANAGER (source), result, &error);

  if (reply == NULL)
    fail_with (request, error);
  else
    qi_hub_request_reply (request, reply);
}

static void
on_window_snapshot (QiHubRequest *request,
                    gpointer      user_data)
{
  QiGuiManager *self = user_data;
  JsonObject *object = payload_object (request);
  const char *id, *path;

  if (!get_string (request, object, "id", TRUE, &id) || !get_string (request, object, "path", TRUE, &path))
    return;
  if (!g_path_is_absolute (path) || !g_str_has_suffix (path, ".png"))
    {
      g_autofree char *message = g_strdup_printf (_("gui.window.snapshot: “path” is “%s”: an absolute path "
                                                    "ending in .png"), path);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  qi_window_manager_snapshot_async (self->windows, id, path, on_snapshot_done, g_object_ref (request));
}

static void
on_tray_update (QiHubRequest *request,
                gpointer      user_data)
{
  QiGuiManager *self = user_data;
  JsonObject *object = payload_object (request);
  const char *name, *tooltip;
  QiTrayState state;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) reply = NULL;

  if (!get_string (request, object, "state", TRUE, &name) ||
      !get_string (request, object, "tooltip", FALSE, &tooltip))
    return;
  if (!qi_tray_state_from_string (name, &state))
    {
      g_autofree char *message = g_strdup_printf (_("gui.tray.update: “state” is “%s”: one of idle, busy, "
                                                    "error, logged_out"), name);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  qi_tray_manager_set_state (self->tray, state, tooltip);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, qi_tray_state_to_string (state));
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);
  qi_hub_request_reply (request, reply);
}

static void
on_notify (QiHubRequest *request,
           gpointer      user_data)
{
  QiGuiManager *self = user_data;
  JsonObject *object = payload_object (request);
  const char *title, *body;
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(JsonNode) reply = NULL;

  if (!get_string (request, object, "title", TRUE, &title) ||
      !get_string (request, object, "body", FALSE, &body))
    return;
  notification = g_notification_new (title);
  if (body != NULL)
    g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.open-launcher");
  g_application_send_notification (G_APPLICATION (self->gtk_app), NULL, notification);
  reply = json_from_string ("{}", NULL);
  qi_hub_request_reply (request, reply);
}

static gboolean
attach_hub (QiGuiManager  *self,
            GError       **error)
{
  static const struct {
    const char       *topic;
    QiHubHandlerFunc  handler;
    gboolean          dev_only;
  } handlers[] = {
    { "gui.window.open", on_window_open, FALSE },
    { "gui.window.close", on_window_close, FALSE },
    { "gui.window.focus", on_window_focus, FALSE },
    { "gui.window.list", on_window_list, FALSE },
    { "gui.window.snapshot", on_window_snapshot, TRUE },
    { "gui.tray.update", on_tray_update, FALSE },
    { "gui.notify", on_notify, FALSE },
  };
  QiHub *hub = qi_server_get_hub (self->server);

  self->endpoint = qi_hub_open_endpoint (hub, QI_MESSAGE_BUS_HUB_SESSION "/gui", QI_MESSAGE_BUS_HUB_SESSION,
                                         error);
  if (self->endpoint == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    if ((!handlers[i].dev_only || self->dev) &&
        !qi_hub_endpoint_add_handler (self->endpoint, handlers[i].topic, handlers[i].handler, self, NULL, error))
      return FALSE;
  return TRUE;
}

/* --- The tray. */

static void
on_tray_changed (QiMessage *event,
                 gpointer   user_data)
{
  QiGuiManager *self = user_data;

  if (self->tray != NULL)
    qi_tray_manager_set_addon_items (self->tray, qi_message_get_payload (event));
}

static void
on_tray_item_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autofree char *id = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_addon_manager_activate_tray_item_finish (QI_ADDON_MANAGER (source), result,
                                                                           &error);

  if (reply == NULL)
    g_warning ("The tray entry “%s” failed: %s", id, error->message);
}

static void
on_tray_item (QiTrayManager *tray,
              const char    *id,
              gpointer       user_data)
{
  QiAddonManager *addons = get_addons (user_data);

  /* as addons.tray.activate: the item's topic gets {"item": ID} */
  if (addons != NULL)
    qi_addon_manager_activate_tray_item_async (addons, id, NULL, on_tray_item_done, g_strdup (id));
}

/* Quits, leaving main() the same command line with the other bundle:
 * this run's options (from /proc/self/cmdline) without --staging and
 * --bundle, plus --staging for staging. */
static void
restart (QiGuiManager *self,
         gboolean      staging)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *cmdline = NULL;
  g_autoptr(QiApplication) app = ref_app (self);
  QiLaunchConfig *launch = app != NULL ? qi_application_get_launch_config (app) : NULL;
  gsize length = 0;

  /* A run with --staging and no staging bundle would stop at phase 3:
   * say so here instead, and stay. */
  if (staging && launch != NULL)
    {
      g_autofree char *path = g_build_filename (qi_launch_config_get_config_dir (launch),
                                                QI_BUNDLE_MANAGER_FILE_NAME, NULL);
      g_autoptr(QiBundleManager) bundles = qi_bundle_manager_new (path);
      g_autoptr(GError) error = NULL;

      if (!qi_bundle_manager_load (bundles, &error) || qi_bundle_manager_get_staging (bundles) == NULL)
        {
          g_autofree char *body = error != NULL
            ? g_strdup (error->message)
            : g_strdup_printf (_("No bundle of %s has the staging role (qi --headless bundles set-state)"), path);
          g_autoptr(GNotification) notification = g_notification_new (_("Qi stays on the production bundle"));

          g_message ("Not switching to the staging bundle: %s", body);
          g_notification_set_body (notification, body);
          g_application_send_notification (G_APPLICATION (self->gtk_app), "bundle", notification);
          return;
        }
    }

  if (exe == NULL || !g_file_get_contents ("/proc/self/cmdline", &cmdline, &length, NULL))
    {
      g_warning ("Cannot start again with the %s bundle: this run's command line is unknown; "
                 "quit and run qi%s", staging ? "staging" : "production", staging ? " --staging" : "");
      return;
    }
  g_strv_builder_add (builder, exe);
  if (staging)
    g_strv_builder_add (builder, "--staging");
  /* NUL-separated; the first is the program */
  for (gsize at = strlen (cmdline) + 1; at < length; at += strlen (cmdline + at) + 1)
    {
      const char *arg = cmdline + at;

      if (strcmp (arg, "--staging") == 0 || g_str_has_prefix (arg, "--bundle="))
        continue;
      if (strcmp (arg, "--bundle") == 0)
        {
          at += strlen (arg) + 1;   /* and its value */
          if (at >= length)
            break;
          continue;
        }
      g_strv_builder_add (builder, arg);
    }
  g_strfreev (self->restart_argv);
  self->restart_argv = g_strv_builder_end (builder);
  g_message ("Starting again with the %s bundle", staging ? "staging" : "production");
  g_application_quit (G_APPLICATION (self->gtk_app));
}

static void
on_tray_core (QiTrayManager *tray,
              const char    *action,
              gpointer       user_data)
{
  QiGuiManager *self = user_data;

  if (strcmp (action, "launcher") == 0 || strcmp (action, "login") == 0)
    open_launcher (self);
  if (strcmp (action, "login") == 0 || strcmp (action, "logout") == 0)
    /* the UIs hold the user's token: they log in and out, then say so
     * with gui.tray.update */
    emit_event (self, strcmp (action, "login") == 0 ? "gui.tray.login" : "gui.tray.logout", NULL);
  else if (strcmp (action, "bundle-production") == 0 || strcmp (action, "bundle-staging") == 0)
    restart (self, strcmp (action, "bundle-staging") == 0);
  else if (strcmp (action, "quit") == 0)
    g_application_quit (G_APPLICATION (self->gtk_app));
}

/* --- QiGui. */

static void
on_activate (GApplication *gapp,
             gpointer      user_data)
{
  QiGuiManager *self = user_data;

  /* the run's own (phase 7), a second `qi` of the session, or a
   * notification's click */
  if (self->skip_activate)
    {
      self->skip_activate = FALSE;
      return;
    }
  open_launcher (self);
}

static void
on_open_launcher_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  open_launcher (user_data);
}

static gboolean
qi_gui_manager_claim (QiGui     *gui,
                      gboolean  *is_remote,
                      GError   **error)
{
  QiGuiManager *self = QI_GUI_MANAGER (gui);
  g_autoptr(QiApplication) app = ref_app (self);
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) bus_error = NULL;
  g_autoptr(GSimpleAction) action = NULL;
  GApplicationFlags flags = G_APPLICATION_DEFAULT_FLAGS;
  QiLaunchConfig *launch = app != NULL ? qi_application_get_launch_config (app) : NULL;
  QiConfigManager *config = app != NULL ? qi_application_get_config_manager (app) : NULL;
  const char *display = g_getenv ("WAYLAND_DISPLAY") != NULL ? g_getenv ("WAYLAND_DISPLAY") : g_getenv ("DISPLAY");

  if (launch == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("the application has not started"));
      return FALSE;
    }
  self->dev = qi_launch_config_get_dev (launch);
  self->staging = qi_launch_config_get_staging (launch);
  if (config != NULL)
    {
      g_autoptr(GError) config_error = NULL;

      self->launcher = qi_config_manager_get_string (config, "/shell/launcher", DEFAULT_LAUNCHER, &config_error);
      if (self->launcher == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&config_error));
          return FALSE;
        }
    }
  else
    self->launcher = g_strdup (DEFAULT_LAUNCHER);

  if (!gtk_init_check (NULL, NULL))
    {
      if (display != NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     _("cannot open the display “%s”; commands run without one: qi --headless COMMAND"),
                     display);
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("there is no display (DISPLAY is not set); commands run without one: "
                               "qi --headless COMMAND"));
      return FALSE;
    }

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &bus_error);
  if (bus == NULL)
    {
      g_message ("No session bus (%s): this shell runs alone, and a second qi will start another "
                 "instead of handing it its request",
                 bus_error->message);
      flags |= G_APPLICATION_NON_UNIQUE;
    }

  self->gtk_app = gtk_application_new (APPLICATION_ID, flags);
  g_signal_connect (self->gtk_app, "activate", G_CALLBACK (on_activate), self);
  action = g_simple_action_new ("open-launcher", NULL);
  g_signal_connect (action, "activate", G_CALLBACK (on_open_launcher_action), self);
  g_action_map_add_action (G_ACTION_MAP (self->gtk_app), G_ACTION (action));

  if (!g_application_register (G_APPLICATION (self->gtk_app), NULL, error))
    return FALSE;

  if (g_application_get_is_remote (G_APPLICATION (self->gtk_app)))
    {
      GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self->gtk_app));

      *is_remote = TRUE;
      if (qi_launch_config_get_no_window (launch))
        {
          g_message ("Qi runs already in this session; nothing to ask it (--no-window)");
          return connection == NULL || g_dbus_connection_flush_sync (connection, NULL, error);
        }
      /* activates the first shell over D-Bus: it opens or focuses the
       * launcher; then flushes and unregisters */
      g_debug ("Qi runs already in this session: asking it to open the launcher");
      g_application_run (G_APPLICATION (self->gtk_app), 0, NULL);
      return TRUE;
    }

  self->claimed = TRUE;
  return TRUE;
}

static gboolean
qi_gui_manager_show (QiGui     *gui,
                     QiServer  *server,
                     GError   **error)
{
  QiGuiManager *self = QI_GUI_MANAGER (gui);
  g_autoptr(QiApplication) app = ref_app (self);
  QiLaunchConfig *launch = app != NULL ? qi_application_get_launch_config (app) : NULL;
  g_autofree char *state_file = g_build_filename (g_get_user_state_dir (), "qi", "windows.ini", NULL);
  QiAddonManager *addons = get_addons (self);
  g_autofree char *session = NULL;

  g_return_val_if_fail (self->claimed, FALSE);

  self->server = g_object_ref (server);
  if (!attach_hub (self, error))
    return FALSE;

  session = g_strdup (qi_session_get_id (QI_SESSION (self->endpoint)));
  self->windows = qi_window_manager_new (self->gtk_app, server, session, self->dev, state_file);
  if (launch != NULL)
    qi_window_manager_set_project (self->windows, qi_launch_config_get_project (launch));
  g_signal_connect (self->windows, "window-opened", G_CALLBACK (on_window_opened), self);
  g_signal_connect (self->windows, "window-loaded", G_CALLBACK (on_window_loaded), self);
  g_signal_connect (self->windows, "window-closed", G_CALLBACK (on_window_closed), self);

  self->tray = qi_tray_manager_new (self->staging, g_getenv ("QI_ICON_THEME_PATH"));
  g_signal_connect (self->tray, "core-activated", G_CALLBACK (on_tray_core), self);
  g_signal_connect (self->tray, "item-activated", G_CALLBACK (on_tray_item), self);
  if (addons != NULL)
    {
      g_autoptr(JsonNode) items = qi_addon_manager_list_tray_items (addons);

      qi_tray_manager_set_addon_items (self->tray, items);
      self->tray_subscription = qi_hub_endpoint_subscribe (self->endpoint, "addons.tray.changed",
                                                           on_tray_changed, self, NULL, error);
      if (self->tray_subscription == 0)
        return FALSE;
    }

  /* phase 7's g_application_run() activates once: that opens the
   * launcher, unless --no-window and no second qi asked for it already */
  self->skip_activate = qi_launch_config_get_no_window (launch) && !self->activate_pending;
  self->activate_pending = FALSE;
  return TRUE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  QiGuiManager *self = user_data;

  g_application_quit (G_APPLICATION (self->gtk_app));
  return G_SOURCE_CONTINUE;
}

static int
qi_gui_manager_run (QiGui *gui)
{
  QiGuiManager *self = QI_GUI_MANAGER (gui);
  guint sigint, sigterm;
  int status;

  g_return_val_if_fail (self->claimed, 1);

  /* The tray keeps the shell alive, window or not. The command line was
   * qi's: GApplication gets none, and activates once. */
  g_application_hold (G_APPLICATION (self->gtk_app));
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, self);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, self);
  self->running = TRUE;
  status = g_application_run (G_APPLICATION (self->gtk_app), 0, NULL);
  self->running = FALSE;
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_application_release (G_APPLICATION (self->gtk_app));

  qi_gui_manager_stop (QI_SERVICE (self));
  /* let GTK see the windows go before the process ends */
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  return status;
}

static void
qi_gui_manager_gui_init (QiGuiInterface *iface)
{
  iface->claim = qi_gui_manager_claim;
  iface->show = qi_gui_manager_show;
  iface->run = qi_gui_manager_run;
}
