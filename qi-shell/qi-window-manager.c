/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <webkit2/webkit2.h>

#include "qi-window-manager.h"

/**
 * QiWindowManager:
 *
 * The shell's windows: each one frameless, holding a WebKitWebView on
 * `http://127.0.0.1:PORT/ui/ADDON/PATH?token=…&session=…`, where the token
 * is issued for a child session of the shell's hub session
 * (`gui/window/ID` below `__hub__/gui`). All the views share one
 * #WebKitWebContext, so that a window opens again without a new network
 * process or cache.
 *
 * The page gets `window.qiShell` (a user script) whose `drag()`,
 * `minimize()`, `maximize()` and `close()` post to the script message
 * handler `qi`, and `chooseFiles({folders, multiple, title})`, a promise
 * of the paths the user picks in a native file chooser (an empty list if
 * they cancel); only pages of the server's origin are heeded. Navigation
 * to another origin and new-window requests go to the system browser.
 * The size and position of each window id are kept in a key file,
 * written atomically whenever a window moves or closes.
 */

/* How long a token of a window's page is valid. */
#define WINDOW_TOKEN_LIFETIME_S (7 * 24 * 3600)
/* A window's geometry is written this long after it last moved. */
#define SAVE_DELAY_MS 400

static const char bridge_script[] =
  "(function () {\n"
  "  if (window.qiShell) return;\n"
  "  var post = function (action) {\n"
  "    window.webkit.messageHandlers.qi.postMessage({ action: action });\n"
  "  };\n"
  "  var waiting = {}, next = 1;\n"
  "  window.qiShell = Object.freeze({\n"
  "    available: true,\n"
  "    drag: function () { post('drag'); },\n"
  "    minimize: function () { post('minimize'); },\n"
  "    maximize: function () { post('maximize'); },\n"
  "    close: function () { post('close'); },\n"
  "    chooseFiles: function (options) {\n"
  "      options = options || {};\n"
  "      return new Promise(function (resolve) {\n"
  "        var id = next++;\n"
  "        waiting[id] = resolve;\n"
  "        window.webkit.messageHandlers.qi.postMessage({ action: 'choose', id: id,\n"
  "          folders: !!options.folders, multiple: options.multiple !== false,\n"
  "          title: String(options.title || '') });\n"
  "      });\n"
  "    },\n"
  "    _chosen: function (id, paths) {\n"
  "      var resolve = waiting[id];\n"
  "      delete waiting[id];\n"
  "      if (resolve) resolve(paths);\n"
  "    },\n"
  "  });\n"
  "  /* The first frame painted after the load: the shell's `painted`. */\n"
  "  window.addEventListener('load', function () {\n"
  "    requestAnimationFrame(function () {\n"
  "      requestAnimationFrame(function () { post('painted'); });\n"
  "    });\n"
  "  });\n"
  "})();\n";

typedef struct
{
  QiWindowManager *manager;   /* unowned; the window dies first */
  char            *id;
  char            *addon;
  char            *path;
  JsonObject      *params;    /* the page's own query parameters, or NULL */
  char            *route;     /* the address's fragment, or NULL */
  GtkWindow       *window;    /* owned by GTK's toplevel list */
  WebKitWebView   *view;
  gboolean         loaded;
  gint64           painted_at;   /* monotonic µs, or 0 */
  guint            save_source;
  GPtrArray       *choices;      /* the file choosers it asked for, open (Choice, unowned) */
  guint            load_serial;  /* one more each load: answers for an earlier page are dropped */
  /* the last button press, for begin_move_drag */
  guint            press_button;
  int              press_x;
  int              press_y;
  guint32          press_time;
} Window;

struct _QiWindowManager
{
  GObject           parent_instance;

  GtkApplication   *application;
  QiServer         *server;
  char             *parent_session;
  char             *project;        /* the run's, given to every page, or NULL */
  gboolean          dev;
  char             *state_file;
  char             *origin;      /* http://127.0.0.1:PORT */
  WebKitWebContext *context;
  GHashTable       *windows;     /* id → Window */
  GKeyFile         *state;
};

G_DEFINE_FINAL_TYPE (QiWindowManager, qi_window_manager, G_TYPE_OBJECT)

enum {
  SIGNAL_OPENED,
  SIGNAL_LOADED,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void drop_choices (Window *win);

static void
window_free (Window *win)
{
  drop_choices (win);
  g_ptr_array_unref (win->choices);
  g_clear_handle_id (&win->save_source, g_source_remove);
  g_free (win->id);
  g_free (win->addon);
  g_free (win->path);
  g_clear_pointer (&win->params, json_object_unref);
  g_free (win->route);
  g_free (win);
}

static void
qi_window_manager_dispose (GObject *object)
{
  QiWindowManager *self = QI_WINDOW_MANAGER (object);

  qi_window_manager_close_all (self);
  g_clear_object (&self->context);
  g_clear_object (&self->server);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (qi_window_manager_parent_class)->dispose (object);
}

static void
qi_window_manager_finalize (GObject *object)
{
  QiWindowManager *self = QI_WINDOW_MANAGER (object);

  g_clear_pointer (&self->windows, g_hash_table_unref);
  g_clear_pointer (&self->state, g_key_file_unref);
  g_free (self->parent_session);
  g_free (self->project);
  g_free (self->state_file);
  g_free (self->origin);

  G_OBJECT_CLASS (qi_window_manager_parent_class)->finalize (object);
}

static void
qi_window_manager_class_init (QiWindowManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_window_manager_dispose;
  object_class->finalize = qi_window_manager_finalize;

  /**
   * QiWindowManager::window-opened:
   * @self: the manager
   * @id: the window id
   * @addon: the addon whose UI it shows
   */
  signals[SIGNAL_OPENED] =
    g_signal_new ("window-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /**
   * QiWindowManager::window-loaded:
   * @self: the manager
   * @id: the window id
   *
   * Its page finished loading.
   */
  signals[SIGNAL_LOADED] =
    g_signal_new ("window-loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * QiWindowManager::window-closed:
   * @self: the manager
   * @id: the window id
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("window-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
qi_window_manager_init (QiWindowManager *self)
{
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) window_free);
  self->state = g_key_file_new ();
}

/* --- Geometry, per window id. */

static void
write_state (QiWindowManager *self)
{
  g_autofree char *dir = g_path_get_dirname (self->state_file);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_warning ("Could not create “%s” for the windows' geometry: %s", dir, g_strerror (errno));
      return;
    }
  data = g_key_file_to_data (self->state, &length, NULL);
  /* temporary file, fsync, rename: the old file or the new one */
  if (!g_file_set_contents_full (self->state_file, data, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_warning ("Could not save the windows' geometry: %s", error->message);
}

static void
remember_geometry (Window *win)
{
  QiWindowManager *self = win->manager;
  int x, y, width, height;
  gboolean maximized = gtk_window_is_maximized (win->window);

  g_key_file_set_boolean (self->state, win->id, "maximized", maximized);
  if (!maximized)
    {
      gtk_window_get_position (win->window, &x, &y);
      gtk_window_get_size (win->window, &width, &height);
      g_key_file_set_integer (self->state, win->id, "x", x);
      g_key_file_set_integer (self->state, win->id, "y", y);
      g_key_file_set_integer (self->state, win->id, "width", width);
      g_key_file_set_integer (self->state, win->id, "height", height);
    }
}

static gboolean
on_save_timeout (gpointer user_data)
{
  Window *win = user_data;

  win->save_source = 0;
  remember_geometry (win);
  write_state (win->manager);
  return G_SOURCE_REMOVE;
}

static gboolean
on_configure_event (GtkWidget         *widget,
                    GdkEventConfigure *event,
                    gpointer           user_data)
{
  Window *win = user_data;

  g_clear_handle_id (&win->save_source, g_source_remove);
  win->save_source = g_timeout_add (SAVE_DELAY_MS, on_save_timeout, win);
  return FALSE;
}

static void
restore_geometry (QiWindowManager *self,
                  Window          *win,
                  int              width,
                  int              height)
{
  GKeyFile *state = self->state;

  if (g_key_file_has_group (state, win->id) &&
      g_key_file_has_key (state, win->id, "width", NULL))
    {
      int w = g_key_file_get_integer (state, win->id, "width", NULL);
      int h = g_key_file_get_integer (state, win->id, "height", NULL);

      if (w >= 100 && h >= 100)
        {
          width = w;
          height = h;
        }
      gtk_window_move (win->window, g_key_file_get_integer (state, win->id, "x", NULL),
                       g_key_file_get_integer (state, win->id, "y", NULL));
    }
  gtk_window_set_default_size (win->window, width > 0 ? width : 1100, height > 0 ? height : 720);
  if (g_key_file_get_boolean (state, win->id, "maximized", NULL))
    gtk_window_maximize (win->window);
}

/* --- The page and its bridge. */

static gboolean
has_our_origin (QiWindowManager *self,
                const char      *uri)
{
  gsize n = strlen (self->origin);

  return uri != NULL && strncmp (uri, self->origin, n) == 0 &&
         (uri[n] == '/' || uri[n] == '\0' || uri[n] == '?' || uri[n] == '#');
}

static void
open_externally (Window     *win,
                 const char *uri)
{
  g_autoptr(GError) error = NULL;

  if (!g_str_has_prefix (uri, "http://") && !g_str_has_prefix (uri, "https://") &&
      !g_str_has_prefix (uri, "mailto:"))
    {
      g_message ("window “%s”: not opening “%s”: only web and mail links open outside Qi", win->id, uri);
      return;
    }
  g_debug ("window “%s”: opening %s in the system browser", win->id, uri);
  if (!gtk_show_uri_on_window (win->window, uri, GDK_CURRENT_TIME, &error))
    g_warning ("window “%s”: could not open %s in the browser: %s", win->id, uri, error->message);
}

static gboolean
on_decide_policy (WebKitWebView            *view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  gpointer                  user_data)
{
  Window *win = user_data;
  WebKitNavigationAction *action;
  const char *uri;

  if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION &&
      type != WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
    return FALSE;

  action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
  uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));

  if (type == WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION)
    {
      /* never a second Qi window from a page: the browser's business */
      open_externally (win, uri);
      webkit_policy_decision_ignore (decision);
      return TRUE;
    }
  if (has_our_origin (win->manager, uri) || g_strcmp0 (uri, "about:blank") == 0)
    return FALSE;

  if (webkit_navigation_action_is_user_gesture (action))
    open_externally (win, uri);
  else
    g_debug ("window “%s”: blocked a navigation to %s", win->id, uri);
  webkit_policy_decision_ignore (decision);
  return TRUE;
}

static gboolean
on_context_menu (WebKitWebView       *view,
                 WebKitContextMenu   *menu,
                 GdkEvent            *event,
                 WebKitHitTestResult *hit,
                 gpointer             user_data)
{
  /* The page's own menus only; WebKit's (reload, inspect) with --dev. */
  return TRUE;
}

static void
on_load_changed (WebKitWebView   *view,
                 WebKitLoadEvent  event,
                 gpointer         user_data)
{
  Window *win = user_data;

  if (event == WEBKIT_LOAD_STARTED)
    win->load_serial++;
  if (event != WEBKIT_LOAD_FINISHED)
    return;
  win->loaded = TRUE;
  g_signal_emit (win->manager, signals[SIGNAL_LOADED], 0, win->id);
}

static void
on_web_process_terminated (WebKitWebView                     *view,
                           WebKitWebProcessTerminationReason  reason,
                           gpointer                           user_data)
{
  Window *win = user_data;

  win->loaded = FALSE;
  win->painted_at = 0;
  if (reason == WEBKIT_WEB_PROCESS_TERMINATED_BY_API)
    return;
  g_warning ("window “%s”: its web process %s; loading the page again", win->id,
             reason == WEBKIT_WEB_PROCESS_CRASHED ? "crashed" : "ran out of memory");
  webkit_web_view_reload (view);
}

static gboolean
on_button_press (GtkWidget      *widget,
                 GdkEventButton *event,
                 gpointer        user_data)
{
  Window *win = user_data;

  win->press_button = event->button;
  win->press_x = (int) event->x_root;
  win->press_y = (int) event->y_root;
  win->press_time = event->time;
  return FALSE;
}

static gboolean
destroy_window_idle (gpointer user_data)
{
  gtk_widget_destroy (user_data);
  return G_SOURCE_REMOVE;
}

/* A native file chooser a page asked for (qiShell.chooseFiles()). */
typedef struct
{
  Window               *win;          /* NULL once the window is gone */
  GtkFileChooserNative *chooser;      /* owned */
  gint64                id;
  guint                 load_serial;  /* of the page that asked */
} Choice;

static gboolean
unref_idle (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
choice_free (Choice *choice)
{
  if (choice->win != NULL)
    g_ptr_array_remove (choice->win->choices, choice);
  /* GTK may still be dispatching the event that answered the dialog: it
   * goes once that is done */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, unref_idle, choice->chooser, NULL);
  g_free (choice);
}

/* The window goes: its open choosers close, unanswered. */
static void
drop_choices (Window *win)
{
  while (win->choices->len > 0)
    {
      Choice *choice = g_ptr_array_steal_index (win->choices, win->choices->len - 1);

      choice->win = NULL;
      g_signal_handlers_disconnect_by_data (choice->chooser, choice);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (choice->chooser));
      choice_free (choice);
    }
}

static void
on_chosen (GtkNativeDialog *dialog,
           int              response,
           gpointer         user_data)
{
  Choice *choice = user_data;
  Window *win = choice->win;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  JsonArray *paths = json_array_new ();
  g_autofree char *text = NULL;
  g_autofree char *script = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      GSList *files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));

      for (GSList *l = files; l != NULL; l = l->next)
        {
          g_autofree char *path = g_file_get_path (l->data);

          if (path != NULL)
            json_array_add_string_element (paths, path);
        }
      g_slist_free_full (files, g_object_unref);
    }
  json_node_take_array (node, paths);
  /* only to the page that asked: another loaded since has its own ids */
  if (win != NULL && choice->load_serial == win->load_serial)
    {
      text = qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);
      script = g_strdup_printf ("window.qiShell && window.qiShell._chosen(%" G_GINT64_FORMAT ", %s);", choice->id,
                                text);
      webkit_web_view_evaluate_javascript (win->view, script, -1, NULL, NULL, NULL, NULL, NULL);
    }
  choice_free (choice);
}

static gboolean
js_boolean (JSCValue   *object,
            const char *name)
{
  g_autoptr(JSCValue) value = jsc_value_object_get_property (object, name);

  return jsc_value_is_boolean (value) && jsc_value_to_boolean (value);
}

static void
choose_files (Window   *win,
              JSCValue *value)
{
  g_autoptr(JSCValue) id = jsc_value_object_get_property (value, "id");
  g_autoptr(JSCValue) title_value = jsc_value_object_get_property (value, "title");
  g_autofree char *title = jsc_value_is_string (title_value) ? jsc_value_to_string (title_value) : NULL;
  gboolean folders = js_boolean (value, "folders");
  Choice *choice;

  if (!jsc_value_is_number (id))
    {
      g_message ("window “%s”: chooseFiles without its id; ignored", win->id);
      return;
    }
  choice = g_new0 (Choice, 1);
  choice->id = (gint64) jsc_value_to_double (id);
  choice->win = win;
  choice->load_serial = win->load_serial;
  g_ptr_array_add (win->choices, choice);
  choice->chooser = gtk_file_chooser_native_new (title != NULL && *title != '\0' ? title
                                                 : (folders ? _("Choose folders") : _("Choose files")),
                                                 win->window,
                                                 folders ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                         : GTK_FILE_CHOOSER_ACTION_OPEN,
                                                 _("_Choose"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (choice->chooser), js_boolean (value, "multiple"));
  gtk_file_chooser_set_local_only (GTK_FILE_CHOOSER (choice->chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (choice->chooser), TRUE);
  g_signal_connect (choice->chooser, "response", G_CALLBACK (on_chosen), choice);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (choice->chooser));
}

static void
on_script_message (WebKitUserContentManager *ucm,
                   WebKitJavascriptResult   *result,
                   gpointer                  user_data)
{
  Window *win = user_data;
  JSCValue *value = webkit_javascript_result_get_js_value (result);
  g_autoptr(JSCValue) action_value = NULL;
  g_autofree char *action = NULL;

  if (!has_our_origin (win->manager, webkit_web_view_get_uri (win->view)))
    {
      g_message ("window “%s”: a page of another origin used the bridge; ignored", win->id);
      return;
    }
  if (!jsc_value_is_object (value))
    {
      g_message ("window “%s”: the bridge takes {action: …}, not another value", win->id);
      return;
    }
  action_value = jsc_value_object_get_property (value, "action");
  if (jsc_value_is_string (action_value))
    action = jsc_value_to_string (action_value);

  if (g_strcmp0 (action, "drag") == 0)
    {
      if (win->press_button != 0)
        gtk_window_begin_move_drag (win->window, (int) win->press_button, win->press_x, win->press_y,
                                    win->press_time);
    }
  else if (g_strcmp0 (action, "minimize") == 0)
    gtk_window_iconify (win->window);
  else if (g_strcmp0 (action, "maximize") == 0)
    {
      if (gtk_window_is_maximized (win->window))
        gtk_window_unmaximize (win->window);
      else
        gtk_window_maximize (win->window);
    }
  else if (g_strcmp0 (action, "close") == 0)
    /* after this callback: the view is still in use here */
    g_idle_add_full (G_PRIORITY_DEFAULT, destroy_window_idle, g_object_ref (win->window), g_object_unref);
  else if (g_strcmp0 (action, "choose") == 0)
    choose_files (win, value);
  else if (g_strcmp0 (action, "painted") == 0)
    {
      if (win->painted_at == 0)
        win->painted_at = g_get_monotonic_time ();
    }
  else
    g_message ("window “%s”: unknown bridge action “%s”; the actions are drag, minimize, maximize, close, choose",
               win->id, action != NULL ? action : "(not a string)");
}

static void
on_window_destroy (GtkWidget *widget,
                   gpointer   user_data)
{
  Window *win = user_data;
  QiWindowManager *self = win->manager;
  g_autofree char *id = g_strdup (win->id);

  g_signal_handlers_disconnect_by_data (win->view, win);
  g_signal_handlers_disconnect_by_data (webkit_web_view_get_user_content_manager (win->view), win);
  drop_choices (win);
  remember_geometry (win);
  write_state (self);
  g_hash_table_remove (self->windows, id);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, id);
}

static WebKitWebContext *
get_context (QiWindowManager *self)
{
  if (self->context == NULL)
    {
      g_autofree char *data = g_build_filename (g_get_user_data_dir (), "qi", "webkit", NULL);
      g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "qi", "webkit", NULL);
      g_autoptr(WebKitWebsiteDataManager) data_manager =
        webkit_website_data_manager_new ("base-data-directory", data,
                                         "base-cache-directory", cache, NULL);

      self->context = webkit_web_context_new_with_website_data_manager (data_manager);
      /* Local pages: small caches are enough. */
      webkit_web_context_set_cache_model (self->context, WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
    }
  return self->context;
}

/**
 * qi_window_manager_new:
 * @application: the shell's application, whose windows these are
 * @server: the listening server whose pages the windows show
 * @parent_session: the hub session id the windows' sessions open below
 * @dev: developer mode: WebKit's developer tools and context menu
 * @state_file: the key file of the windows' size and position
 *
 * Returns: (transfer full): a new #QiWindowManager
 */
QiWindowManager *
qi_window_manager_new (GtkApplication *application,
                       QiServer       *server,
                       const char     *parent_session,
                       gboolean        dev,
                       const char     *state_file)
{
  QiWindowManager *self = g_object_new (QI_TYPE_WINDOW_MANAGER, NULL);
  g_autoptr(GError) error = NULL;

  self->application = application != NULL ? g_object_ref (application) : NULL;
  self->server = g_object_ref (server);
  self->parent_session = g_strdup (parent_session);
  self->dev = dev;
  self->state_file = g_strdup (state_file);
  self->origin = qi_server_dup_http_url (server);
  if (g_str_has_suffix (self->origin, "/"))
    self->origin[strlen (self->origin) - 1] = '\0';

  if (!g_key_file_load_from_file (self->state, state_file, G_KEY_FILE_NONE, &error) &&
      !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_message ("The windows' geometry in “%s” is not read: %s", state_file, error->message);

  return self;
}

static Window *
lookup (QiWindowManager  *self,
        const char       *id,
        GError          **error)
{
  Window *win = g_hash_table_lookup (self->windows, id);

  if (win == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no window “%s” is open"), id);
  return win;
}

/**
 * qi_window_manager_set_project:
 * @self: a #QiWindowManager
 * @project: (nullable): the run's project (`--project`), or %NULL
 *
 * Gives the pages of the windows opened from now on the run's project, as
 * `&project=NAME` in their address: the launcher opens on it.
 */
void
qi_window_manager_set_project (QiWindowManager *self,
                               const char      *project)
{
  g_return_if_fail (QI_IS_WINDOW_MANAGER (self));

  g_free (self->project);
  self->project = project != NULL && *project != '\0' ? g_strdup (project) : NULL;
}

/**
 * qi_window_manager_open:
 * @self: a #QiWindowManager
 * @id: the window id: what its geometry is remembered by
 * @addon: the addon whose UI folder (`/ui/ADDON/`) the window shows
 * @path: (nullable): the page in that folder; %NULL for its index
 * @title: (nullable): the window title; %NULL for @addon
 * @width: the width the first time, or 0
 * @height: the height the first time, or 0
 * @focused_existing: (out) (optional): set to %TRUE if a window of that id
 *   was open and got the focus instead
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
qi_window_manager_open (QiWindowManager  *self,
                        const char       *id,
                        const char       *addon,
                        const char       *path,
                        JsonObject       *params,
                        const char       *route,
                        const char       *title,
                        int               width,
                        int               height,
                        gboolean         *focused_existing,
                        GError          **error)
{
  const char * const scopes[] = { QI_TOKEN_SCOPE_HUB, QI_TOKEN_SCOPE_API, QI_TOKEN_SCOPE_UI, NULL };
  g_autoptr(WebKitUserContentManager) ucm = NULL;
  g_autoptr(WebKitUserScript) script = NULL;
  g_autofree char *session = NULL;
  g_autofree char *token = NULL;
  g_autofree char *escaped_path = NULL;
  g_autofree char *escaped_token = NULL;
  g_autofree char *escaped_session = NULL;
  g_autofree char *uri = NULL;
  WebKitSettings *settings;
  Window *win;

  g_return_val_if_fail (QI_IS_WINDOW_MANAGER (self), FALSE);
  g_return_val_if_fail (id != NULL && addon != NULL, FALSE);

  if (focused_existing != NULL)
    *focused_existing = FALSE;

  win = g_hash_table_lookup (self->windows, id);
  if (win != NULL)
    {
      gtk_window_present (win->window);
      if (focused_existing != NULL)
        *focused_existing = TRUE;
      return TRUE;
    }

  session = g_strdup_printf ("gui/window/%s", id);
  token = qi_token_authority_issue (qi_server_get_token_authority (self->server), session,
                                    self->parent_session, scopes, WINDOW_TOKEN_LIFETIME_S, error);
  if (token == NULL)
    return FALSE;

  escaped_path = g_uri_escape_string (path != NULL ? path : "", "/", FALSE);
  escaped_token = g_uri_escape_string (token, NULL, FALSE);
  escaped_session = g_uri_escape_string (session, NULL, FALSE);
  uri = g_strdup_printf ("%s/ui/%s/%s?token=%s&session=%s", self->origin, addon, escaped_path,
                         escaped_token, escaped_session);
  if (self->project != NULL)
    {
      g_autofree char *escaped_project = g_uri_escape_string (self->project, NULL, FALSE);
      g_autofree char *with_project = g_strdup_printf ("%s&project=%s", uri, escaped_project);

      g_free (uri);
      uri = g_steal_pointer (&with_project);
    }
  if (params != NULL)
    {
      g_autoptr(GString) query = g_string_new (uri);
      g_autoptr(GList) names = json_object_get_members (params);

      /* checked by the caller: names of letters, digits, “-” and “_”,
       * string values */
      for (GList *l = names; l != NULL; l = l->next)
        {
          g_autofree char *value = g_uri_escape_string (json_object_get_string_member (params, l->data), NULL, FALSE);

          g_string_append_printf (query, "&%s=%s", (const char *) l->data, value);
        }
      g_free (uri);
      uri = g_string_free (g_steal_pointer (&query), FALSE);
    }
  if (route != NULL)
    {
      g_autofree char *with_route = g_strdup_printf ("%s#%s", uri, route);

      g_free (uri);
      uri = g_steal_pointer (&with_route);
    }

  win = g_new0 (Window, 1);
  win->manager = self;
  win->id = g_strdup (id);
  win->addon = g_strdup (addon);
  win->path = g_strdup (path != NULL ? path : "");
  win->params = params != NULL ? json_object_ref (params) : NULL;
  win->route = g_strdup (route);
  win->choices = g_ptr_array_new ();

  ucm = webkit_user_content_manager_new ();
  script = webkit_user_script_new (bridge_script, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                   WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, NULL, NULL);
  webkit_user_content_manager_add_script (ucm, script);
  g_signal_connect (ucm, "script-message-received::qi", G_CALLBACK (on_script_message), win);
  webkit_user_content_manager_register_script_message_handler (ucm, "qi");

  win->view = WEBKIT_WEB_VIEW (g_object_new (WEBKIT_TYPE_WEB_VIEW,
                                             "web-context", get_context (self),
                                             "user-content-manager", ucm,
                                             NULL));
  settings = webkit_web_view_get_settings (win->view);
  webkit_settings_set_enable_developer_extras (settings, self->dev);
  webkit_settings_set_javascript_can_open_windows_automatically (settings, FALSE);
  g_signal_connect (win->view, "decide-policy", G_CALLBACK (on_decide_policy), win);
  g_signal_connect (win->view, "load-changed", G_CALLBACK (on_load_changed), win);
  g_signal_connect (win->view, "web-process-terminated", G_CALLBACK (on_web_process_terminated), win);
  g_signal_connect (win->view, "button-press-event", G_CALLBACK (on_button_press), win);
  if (!self->dev)
    g_signal_connect (win->view, "context-menu", G_CALLBACK (on_context_menu), win);

  win->window = GTK_WINDOW (gtk_window_new (GTK_WINDOW_TOPLEVEL));
  gtk_window_set_decorated (win->window, FALSE);
  gtk_window_set_title (win->window, title != NULL ? title : addon);
  gtk_window_set_icon_name (win->window, "org.qi.Qi");
  restore_geometry (self, win, width, height);
  gtk_container_add (GTK_CONTAINER (win->window), GTK_WIDGET (win->view));
  if (self->application != NULL)
    gtk_application_add_window (self->application, win->window);
  g_signal_connect (win->window, "configure-event", G_CALLBACK (on_configure_event), win);
  g_signal_connect (win->window, "destroy", G_CALLBACK (on_window_destroy), win);
  g_hash_table_insert (self->windows, win->id, win);

  g_debug ("window “%s”: opening /ui/%s/%s", id, addon, win->path);
  webkit_web_view_load_uri (win->view, uri);
  gtk_widget_show_all (GTK_WIDGET (win->window));
  gtk_window_present (win->window);

  g_signal_emit (self, signals[SIGNAL_OPENED], 0, id, addon);
  return TRUE;
}

/**
 * qi_window_manager_close:
 * @self: a #QiWindowManager
 * @id: a window id
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the window was open and is closed
 */
gboolean
qi_window_manager_close (QiWindowManager  *self,
                         const char       *id,
                         GError          **error)
{
  Window *win = lookup (self, id, error);

  if (win == NULL)
    return FALSE;
  gtk_widget_destroy (GTK_WIDGET (win->window));
  return TRUE;
}

/**
 * qi_window_manager_focus:
 * @self: a #QiWindowManager
 * @id: a window id
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the window is open
 */
gboolean
qi_window_manager_focus (QiWindowManager  *self,
                         const char       *id,
                         GError          **error)
{
  Window *win = lookup (self, id, error);

  if (win == NULL)
    return FALSE;
  gtk_window_present (win->window);
  return TRUE;
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/**
 * qi_window_manager_list:
 * @self: a #QiWindowManager
 *
 * Returns: (transfer full): `{"windows": [{"id", "addon", "path", "title",
 *   "loaded", "painted", "painted_at_us"}]}`, by id
 */
JsonNode *
qi_window_manager_list (QiWindowManager *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree const char **ids = (const char **) g_hash_table_get_keys_as_array (self->windows, NULL);
  guint n = g_hash_table_size (self->windows);

  qsort (ids, n, sizeof (char *), compare_ids);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "windows");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      Window *win = g_hash_table_lookup (self->windows, ids[i]);
      const char *page_title = webkit_web_view_get_title (win->view);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, win->id);
      json_builder_set_member_name (builder, "addon");
      json_builder_add_string_value (builder, win->addon);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, win->path);
      json_builder_set_member_name (builder, "params");
      if (win->params != NULL)
        {
          g_autoptr(JsonNode) wrapper = json_node_init_object (json_node_alloc (), win->params);

          json_builder_add_value (builder, json_node_copy (wrapper));
        }
      else
        json_builder_begin_object (builder), json_builder_end_object (builder);
      json_builder_set_member_name (builder, "route");
      if (win->route != NULL)
        json_builder_add_string_value (builder, win->route);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, page_title != NULL ? page_title : "");
      json_builder_set_member_name (builder, "loaded");
      json_builder_add_boolean_value (builder, win->loaded);
      json_builder_set_member_name (builder, "painted");
      json_builder_add_boolean_value (builder, win->painted_at != 0);
      json_builder_set_member_name (builder, "painted_at_us");
      json_builder_add_int_value (builder, win->painted_at);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_snapshot (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  cairo_surface_t *surface;
  const char *path = g_task_get_task_data (task);
  cairo_status_t status;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  surface = webkit_web_view_get_snapshot_finish (WEBKIT_WEB_VIEW (source), result, &error);
  if (surface == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = cairo_surface_write_to_png (surface, path);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write “%s”: %s"),
                               path, cairo_status_to_string (status));
      cairo_surface_destroy (surface);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, cairo_image_surface_get_width (surface));
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, cairo_image_surface_get_height (surface));
  json_builder_end_object (builder);
  cairo_surface_destroy (surface);
  g_task_return_pointer (task, json_builder_get_root (builder), (GDestroyNotify) json_node_unref);
}

/**
 * qi_window_manager_snapshot_async:
 * @self: a #QiWindowManager
 * @id: a window id
 * @path: the PNG file to write
 * @callback: called when done
 * @user_data: for @callback
 *
 * Writes what the window's web view shows (its visible part) to @path.
 */
void
qi_window_manager_snapshot_async (QiWindowManager     *self,
                                  const char          *id,
                                  const char          *path,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  GError *error = NULL;
  Window *win = lookup (self, id, &error);

  g_task_set_task_data (task, g_strdup (path), g_free);
  if (win == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  webkit_web_view_get_snapshot (win->view, WEBKIT_SNAPSHOT_REGION_VISIBLE, WEBKIT_SNAPSHOT_OPTIONS_NONE,
                                NULL, on_snapshot, g_steal_pointer (&task));
}

/**
 * qi_window_manager_snapshot_finish:
 * @self: a #QiWindowManager
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): `{"path", "width", "height"}`, or %NULL
 */
JsonNode *
qi_window_manager_snapshot_finish (QiWindowManager  *self,
                                   GAsyncResult     *result,
                                   GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_window_manager_close_all:
 * @self: a #QiWindowManager
 *
 * Closes every window, remembering its geometry.
 */
void
qi_window_manager_close_all (QiWindowManager *self)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) windows = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->windows == NULL)
    return;
  g_hash_table_iter_init (&iter, self->windows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (windows, g_object_ref (((Window *) value)->window));
  for (guint i = 0; i < windows->len; i++)
    gtk_widget_destroy (windows->pdata[i]);
}
