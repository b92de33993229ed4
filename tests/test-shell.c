/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The desktop shell, end to end: the real `qi` (without --headless) under
 * Xvfb with a session bus (tests/shell-session.sh starts this program in
 * `xvfb-run -a dbus-run-session`), its windows on the test addon
 * `shellpage` (a static ui_dist/), its hub topics over a real WebSocket,
 * and its tray through a StatusNotifierWatcher that this program is. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <cairo.h>
#include <gio/gio.h>

#include "qi-test-utils.h"

/* Generous: WebKit's first start under Xvfb (and a loaded CI machine)
 * takes seconds; the tests wait for events, never for a time. */
#define WAIT_MS 60000

/* --- The StatusNotifierWatcher of the session (org.kde.StatusNotifierWatcher). */

static const char watcher_xml[] =
  "<node>"
  "  <interface name='org.kde.StatusNotifierWatcher'>"
  "    <method name='RegisterStatusNotifierItem'><arg type='s' direction='in'/></method>"
  "    <method name='RegisterStatusNotifierHost'><arg type='s' direction='in'/></method>"
  "    <property name='RegisteredStatusNotifierItems' type='as' access='read'/>"
  "    <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "    <property name='ProtocolVersion' type='i' access='read'/>"
  "    <signal name='StatusNotifierItemRegistered'><arg type='s'/></signal>"
  "    <signal name='StatusNotifierItemUnregistered'><arg type='s'/></signal>"
  "    <signal name='StatusNotifierHostRegistered'/>"
  "  </interface>"
  "</node>";

typedef struct
{
  GDBusConnection *bus;
  gboolean         owned;
  char            *item_name;   /* the unique bus name of the last item */
  char            *item_path;   /* its object path */
} Watcher;

static Watcher watcher;

static void
on_watcher_call (GDBusConnection       *connection,
                 const char            *sender,
                 const char            *object_path,
                 const char            *interface_name,
                 const char            *method_name,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation,
                 gpointer               user_data)
{
  const char *service;

  g_variant_get (parameters, "(&s)", &service);
  if (g_strcmp0 (method_name, "RegisterStatusNotifierItem") == 0)
    {
      g_free (watcher.item_name);
      g_free (watcher.item_path);
      /* the argument is an object path (AppIndicator) or a bus name */
      watcher.item_name = g_strdup (sender);
      watcher.item_path = g_strdup (service[0] == '/' ? service : "/StatusNotifierItem");
      g_dbus_connection_emit_signal (connection, NULL, "/StatusNotifierWatcher",
                                     "org.kde.StatusNotifierWatcher", "StatusNotifierItemRegistered",
                                     g_variant_new ("(s)", sender), NULL);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
on_watcher_get (GDBusConnection  *connection,
                const char       *sender,
                const char       *object_path,
                const char       *interface_name,
                const char       *property_name,
                GError          **error,
                gpointer          user_data)
{
  if (g_strcmp0 (property_name, "IsStatusNotifierHostRegistered") == 0)
    return g_variant_new_boolean (TRUE);
  if (g_strcmp0 (property_name, "ProtocolVersion") == 0)
    return g_variant_new_int32 (0);
  {
    const char *items[] = { watcher.item_name, NULL };

    return g_variant_new_strv (items, watcher.item_name != NULL ? 1 : 0);
  }
}

static void
on_watcher_acquired (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  watcher.owned = TRUE;
}

static void
watcher_start (void)
{
  static const GDBusInterfaceVTable vtable = { on_watcher_call, on_watcher_get, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  watcher.bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (watcher_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (watcher.bus, "/StatusNotifierWatcher", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (watcher.bus, "org.kde.StatusNotifierWatcher", G_BUS_NAME_OWNER_FLAGS_NONE,
                                on_watcher_acquired, NULL, NULL, NULL);
  while (!watcher.owned)
    g_main_context_iteration (NULL, TRUE);
}

/* --- Waiting without clocks in the assertions. */

typedef gboolean (*Predicate) (gpointer data);

static gboolean
wait_for (Predicate predicate,
          gpointer  data,
          guint     timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  return TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* --- One qi and its scratch environment. */

typedef struct
{
  QiTestEnv    env;
  char        *runtime_dir;
  char        *state_dir;
  char        *addons;
  char        *info_path;
  char        *log_path;
  GSubprocess *qi;
  gboolean     qi_exited;
  QiHubClient *client;
  GPtrArray   *events;     /* of QiMessage, as received */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *link = NULL;
  g_autofree char *target = g_test_build_filename (G_TEST_BUILT, "addons", "shellpage", NULL);
  const char *launcher = data != NULL ? data : "shellpage";

  qi_test_env_setup (&f->env);
  qi_test_env_keep_runtime (&f->env);
  f->runtime_dir = g_build_filename (f->env.root, "run", NULL);
  f->state_dir = g_build_filename (f->env.root, "state", NULL);
  f->addons = g_build_filename (f->env.root, "addons", NULL);
  f->info_path = g_build_filename (f->runtime_dir, "qi", "server.json", NULL);
  f->log_path = g_build_filename (f->env.root, "qi.log", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->runtime_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (f->addons, 0700), ==, 0);
  link = g_build_filename (f->addons, "shellpage", NULL);
  g_assert_cmpint (symlink (target, link), ==, 0);

  for (const char * const *name = (const char * const []) { "DISPLAY", "XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS",
                                                              "NO_AT_BRIDGE", "GTK_A11Y", NULL };
       *name != NULL; name++)
    if (g_getenv (*name) != NULL)
      qi_test_env_setenv (&f->env, *name, g_getenv (*name));
  qi_test_env_setenv (&f->env, "XDG_RUNTIME_DIR", f->runtime_dir);
  qi_test_env_setenv (&f->env, "XDG_STATE_HOME", f->state_dir);
  qi_test_env_setenv (&f->env, "XDG_CACHE_HOME", f->env.root);
  qi_test_env_setenv (&f->env, "QI_ADDON_PATH", f->addons);
  qi_test_env_setenv (&f->env, "QI_DATA_DIR", f->env.data_home);
  /* of the built addons, the trackers only: the shell's launcher is the
   * test's (or none) */
  {
    g_autofree char *system = g_build_filename (f->env.root, "system-addons", NULL);

    g_assert_cmpint (g_mkdir_with_parents (system, 0700), ==, 0);
    for (const char * const *name = (const char * const []) { "tracker-sqlite", "tracker-ftrack", NULL };
         *name != NULL; name++)
      {
        g_autofree char *built = g_build_filename (g_getenv ("QI_ADDON_DIR"), *name, NULL);
        g_autofree char *to = g_build_filename (system, *name, NULL);

        g_assert_cmpint (symlink (built, to), ==, 0);
      }
    qi_test_env_setenv (&f->env, "QI_ADDON_DIR", system);
  }
  /* the launcher of these tests is the test addon, unless a test wants
   * the default (absent) one */
  if (g_strcmp0 (launcher, "default") != 0)
    {
      g_autofree char *toml = g_strdup_printf ("[shell]\nlauncher = \"%s\"\n", launcher);
      g_autofree char *path = qi_test_env_write_config (&f->env, FALSE, toml);
    }
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_clear_pointer (&watcher.item_name, g_free);
  g_clear_pointer (&watcher.item_path, g_free);
}

static GSubprocess *
spawn_qi (Fixture            *f,
          const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_environ (launcher, f->env.envp);
  g_subprocess_launcher_set_stderr_file_path (launcher, f->log_path);
  g_ptr_array_add (argv, (gpointer) g_getenv ("QI_EXE"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static gboolean
info_file_exists (gpointer data)
{
  Fixture *f = data;

  return g_file_test (f->info_path, G_FILE_TEST_IS_REGULAR) || f->qi_exited;
}

static void
on_event (QiMessage *event,
          gpointer   user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->events, qi_message_ref (event));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_hub_client_connect_finish (QI_HUB_CLIENT (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static char *
dup_log (Fixture *f)
{
  char *log = NULL;

  g_file_get_contents (f->log_path, &log, NULL, NULL);
  return log != NULL ? log : g_strdup ("");
}

static void
on_qi_exited (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  f->qi_exited = TRUE;
}

typedef struct
{
  Fixture    *f;
  const char *text;
} LogWait;

static gboolean
log_has (gpointer data)
{
  LogWait *wait = data;
  g_autofree char *log = dup_log (wait->f);

  if (strstr (log, wait->text) != NULL)
    return TRUE;
  g_usleep (20 * 1000);
  return FALSE;
}

/* Starts qi with @args and connects to its hub, subscribed to gui.** and
 * shellpage.**. */
static void
start_qi (Fixture            *f,
          const char * const *args)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *info;
  gboolean connected = FALSE;

  f->qi = spawn_qi (f, args);
  f->qi_exited = FALSE;
  g_subprocess_wait_async (f->qi, NULL, on_qi_exited, f);
  if (!wait_for (info_file_exists, f, WAIT_MS) || !g_file_test (f->info_path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *log = dup_log (f);

      g_error ("qi wrote no info file; its log:\n%s", log);
    }
  json_parser_load_from_file (parser, f->info_path, &error);
  g_assert_no_error (error);
  info = json_node_get_object (json_parser_get_root (parser));

  f->client = qi_hub_client_new ();
  qi_hub_client_connect_async (f->client, json_object_get_string_member (info, "url"),
                               json_object_get_string_member (info, "token"), "test/shell", NULL,
                               on_connected, &connected);
  g_assert_true (wait_for (is_true, &connected, WAIT_MS));
  g_assert_cmpuint (qi_hub_client_subscribe (f->client, "gui.**", on_event, f, NULL, &error), !=, 0);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_hub_client_subscribe (f->client, "shellpage.**", on_event, f, NULL, &error), !=, 0);
  g_assert_no_error (error);
}

typedef struct
{
  gboolean  done;
  JsonNode *reply;
  GError   *error;
} Answer;

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Answer *answer = user_data;

  answer->reply = qi_hub_client_request_finish (QI_HUB_CLIENT (source), result, &answer->error);
  answer->done = TRUE;
}

static JsonNode *
request (Fixture     *f,
         const char  *topic,
         const char  *payload,
         GError     **error)
{
  g_autoptr(JsonNode) node = json_from_string (payload, NULL);
  Answer answer = { 0 };

  qi_hub_client_request_async (f->client, topic, node, WAIT_MS, NULL, on_answer, &answer);
  g_assert_true (wait_for (is_true, &answer.done, WAIT_MS + 5000));
  if (answer.error != NULL)
    g_propagate_error (error, answer.error);
  return answer.reply;
}

static void
stop_qi (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  if (f->client != NULL)
    qi_hub_client_close (f->client);
  g_clear_object (&f->client);
  if (f->qi == NULL)
    return;
  g_subprocess_send_signal (f->qi, SIGTERM);
  /* the one wait of start_qi() ends */
  g_assert_true (wait_for (is_true, &f->qi_exited, WAIT_MS));
  if (!g_subprocess_get_if_exited (f->qi) || g_subprocess_get_exit_status (f->qi) != 0)
    {
      g_autofree char *log = dup_log (f);

      g_error ("qi did not end with 0 on SIGTERM; its log:\n%s", log);
    }
  g_clear_object (&f->qi);
  /* the info file goes with the server */
  g_assert_false (g_file_test (f->info_path, G_FILE_TEST_EXISTS));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->qi != NULL)
    {
      g_subprocess_force_exit (f->qi);
      wait_for (is_true, &f->qi_exited, WAIT_MS);
      g_clear_object (&f->qi);
    }
  g_clear_object (&f->client);
  g_clear_pointer (&f->events, g_ptr_array_unref);
  g_free (f->runtime_dir);
  g_free (f->state_dir);
  g_free (f->addons);
  g_free (f->info_path);
  g_free (f->log_path);
  qi_test_env_teardown (&f->env);
}

/* The window @id of gui.window.list, or NULL. */
static JsonObject *
find_window (JsonNode   *list,
             const char *id)
{
  JsonArray *windows = json_object_get_array_member (json_node_get_object (list), "windows");

  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *window = json_array_get_object_element (windows, i);

      if (g_strcmp0 (json_object_get_string_member (window, "id"), id) == 0)
        return window;
    }
  return NULL;
}

typedef struct
{
  Fixture    *f;
  const char *id;
  gboolean    painted;    /* wait for the first paint, not only the window */
  JsonNode   *last;
} WindowWait;

static gboolean
window_is_there (gpointer data)
{
  WindowWait *wait = data;
  g_autoptr(GError) error = NULL;
  JsonObject *window;

  g_clear_pointer (&wait->last, json_node_unref);
  wait->last = request (wait->f, "gui.window.list", "{}", &error);
  g_assert_no_error (error);
  window = find_window (wait->last, wait->id);
  if (window == NULL || (wait->painted && (!json_object_get_boolean_member (window, "loaded") ||
                                           !json_object_get_boolean_member (window, "painted"))))
    {
      g_usleep (50 * 1000);
      return FALSE;
    }
  return TRUE;
}

static gboolean
event_seen (Fixture    *f,
            const char *topic,
            const char *member,
            const char *value)
{
  for (guint i = 0; i < f->events->len; i++)
    {
      QiMessage *event = f->events->pdata[i];
      JsonNode *payload = qi_message_get_payload (event);

      if (g_strcmp0 (qi_message_get_topic (event), topic) == 0 &&
          (member == NULL ||
           g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (payload), member, NULL),
                      value) == 0))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  Fixture    *f;
  const char *topic;
  const char *member;
  const char *value;
} EventWait;

static gboolean
event_arrived (gpointer data)
{
  EventWait *wait = data;

  return event_seen (wait->f, wait->topic, wait->member, wait->value);
}

/* --- Snapshots: gui.window.snapshot (--dev) and counting their pixels. */

/* Saves the visible page of window @id as QI_TEST_ARTIFACT_DIR/@name (the
 * build tree, kept for people to look at); returns its path. */
static char *
snapshot (Fixture    *f,
          const char *id,
          const char *name)
{
  char *png = g_build_filename (g_getenv ("QI_TEST_ARTIFACT_DIR") != NULL
                                ? g_getenv ("QI_TEST_ARTIFACT_DIR") : g_get_tmp_dir (),
                                name, NULL);
  g_autofree char *payload = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_remove (png);
  payload = g_strdup_printf ("{\"id\":\"%s\",\"path\":\"%s\"}", id, png);
  reply = request (f, "gui.window.snapshot", payload, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "path"), ==, png);
  return png;
}

typedef struct
{
  guint32 rgb;      /* 0xRRGGBB */
  guint   count;    /* pixels within 12 of it in each channel */
} Colour;

typedef struct
{
  guint width, height;
  guint differing;  /* pixels that are not the background (the bottom left one) */
} Pixels;

/* Reads @png and counts its pixels: those that are not the background,
 * and those near each of @colours (a 0-terminated array). */
static Pixels
count_pixels (const char *png,
              Colour     *colours)
{
  cairo_surface_t *surface = cairo_image_surface_create_from_png (png);
  Pixels result = { 0 };
  guint stride;
  const guint8 *pixels;
  guint32 background;

  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  result.width = (guint) cairo_image_surface_get_width (surface);
  result.height = (guint) cairo_image_surface_get_height (surface);
  stride = (guint) cairo_image_surface_get_stride (surface);
  pixels = cairo_image_surface_get_data (surface);
  g_assert_cmpuint (result.width, >=, 200);
  g_assert_cmpuint (result.height, >=, 200);
  background = *(const guint32 *) (pixels + (result.height - 1) * stride) & 0xffffff;
  for (guint y = 0; y < result.height; y++)
    for (guint x = 0; x < result.width; x++)
      {
        guint32 p = *(const guint32 *) (pixels + y * stride + x * 4) & 0xffffff;
        int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;

        if (p != background)
          result.differing++;
        for (Colour *c = colours; c != NULL && c->rgb != 0; c++)
          if (ABS (r - (int) ((c->rgb >> 16) & 0xff)) < 12 && ABS (g - (int) ((c->rgb >> 8) & 0xff)) < 12 &&
              ABS (b - (int) (c->rgb & 0xff)) < 12)
            c->count++;
      }
  cairo_surface_destroy (surface);
  return result;
}

/* --- The launcher window: its page loads and paints in WebKitGTK. */

static void
test_window_loads (Fixture       *f,
                   gconstpointer  data)
{
  WindowWait wait = { f, "launcher", TRUE, NULL };
  g_autofree char *png = NULL;
  JsonObject *window;
  Colour colours[] = { { 0xe8833a, 0 }, { 0 } };   /* the orange card */
  Pixels pixels;

  /* --dev: the snapshot hook, gui.window.snapshot */
  start_qi (f, (const char * const []) { "--dev", NULL });
  g_assert_true (wait_for (window_is_there, &wait, WAIT_MS));
  window = find_window (wait.last, "launcher");
  g_assert_cmpstr (json_object_get_string_member (window, "addon"), ==, "shellpage");
  /* WebKit parsed the page: its <title> */
  g_assert_cmpstr (json_object_get_string_member (window, "title"), ==, "Qi shell test page");
  g_clear_pointer (&wait.last, json_node_unref);

  /* Not blank: most of the page is not the background colour, and the
   * orange card is there. */
  png = snapshot (f, "launcher", "shell-launcher.png");
  pixels = count_pixels (png, colours);
  g_test_message ("snapshot %s: %ux%u, %u pixels not the background, %u orange", png, pixels.width,
                  pixels.height, pixels.differing, colours[0].count);
  g_assert_cmpuint (pixels.differing, >, pixels.width * pixels.height / 10);
  g_assert_cmpuint (colours[0].count, >, pixels.width * pixels.height / 50);

  stop_qi (f);
}

/* --- The real launcher addon (addons/launcher, its ui_dist/ built by
 * Vite) in WebKitGTK, on a seeded tracker with a user who can log in. */

#define LAUNCHER_USER "tess"
#define LAUNCHER_PASSWORD "correct horse battery"

static void
run_headless (Fixture            *f,
              const char         *input,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_subprocess_launcher_set_environ (launcher, f->env.envp);
  status = qi_test_run_qi_input (launcher, input, &out, &err, args);
  if (status != 0)
    g_error ("qi --headless %s exited %d: %s", args[1], status, err);
}

static void
test_real_launcher (Fixture       *f,
                    gconstpointer  data)
{
  WindowWait wait = { f, "launcher", TRUE, NULL };
  g_autofree char *addon = g_test_build_filename (G_TEST_BUILT, "..", "addons", "launcher", NULL);
  g_autofree char *ui_dist = g_build_filename (addon, "ui_dist", NULL);
  g_autofree char *link = g_build_filename (f->addons, "launcher", NULL);
  g_autofree char *png = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *window;
  JsonObject *user;
  /* the Log in button (--qi-accent), the error banner's background
   * (--qi-danger-bg) and the green dot of a connected hub (--qi-success) */
  Colour colours[] = { { 0x3d8fd6, 0 }, { 0x3a2222, 0 }, { 0x4fa565, 0 }, { 0 } };
  Pixels pixels;

  if (!QI_TEST_UI)
    {
      g_test_skip ("the web UIs are not built (-Dui=disabled, or no npm and node): "
                   "the launcher addon has no ui_dist/");
      return;
    }
  g_assert_true (g_file_test (ui_dist, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (symlink (addon, link), ==, 0);

  /* what tests/browser/launcher.test.mjs seeds: the demo show and a user */
  run_headless (f, NULL, (const char * const []) { "--headless", "db", "seed-demo", NULL });
  run_headless (f, LAUNCHER_PASSWORD "\n",
                (const char * const []) { "--headless", "user", "add", LAUNCHER_USER, "--full-name", "Tess Tester",
                                          "--password-stdin", NULL });

  /* no [shell] launcher: the default, the addon named launcher */
  start_qi (f, (const char * const []) { "--dev", NULL });
  /* loaded and painted, as gui.window.list says (the gui.window.loaded
   * event may come before this client has subscribed) */
  g_assert_true (wait_for (window_is_there, &wait, WAIT_MS));
  window = find_window (wait.last, "launcher");
  g_assert_cmpstr (json_object_get_string_member (window, "addon"), ==, "launcher");
  g_assert_cmpstr (json_object_get_string_member (window, "title"), ==, "Qi Launcher");
  g_clear_pointer (&wait.last, json_node_unref);

  /* The login form, connected: the page's script ran, its hub client
   * opened the window's session (?token=…&session=gui/window/launcher)
   * and the session it restored (none) was asked about. The hub's green
   * dot comes last; it is waited for, not assumed. */
  for (gint64 end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;;)
    {
      for (Colour *c = colours; c->rgb != 0; c++)
        c->count = 0;
      g_clear_pointer (&png, g_free);
      png = snapshot (f, "launcher", "shell-launcher-login.png");
      pixels = count_pixels (png, colours);
      if ((colours[0].count > 1000 && colours[2].count > 10) || g_get_monotonic_time () > end)
        break;
      g_usleep (100 * 1000);
    }
  g_test_message ("snapshot %s: %ux%u, %u pixels not the background, %u accent, %u error, %u connected", png,
                  pixels.width, pixels.height, pixels.differing, colours[0].count, colours[1].count,
                  colours[2].count);
  g_assert_cmpuint (pixels.differing, >, pixels.width * pixels.height / 20);
  g_assert_cmpuint (colours[0].count, >, 1000);
  g_assert_cmpuint (colours[1].count, <, 100);
  g_assert_cmpuint (colours[2].count, >, 10);

  /* Log in as the page's form does: auth.login on the hub, whose token
   * opens /ws like the window's; the window stays, still loaded. */
  reply = request (f, "auth.login",
                   "{\"username\":\"" LAUNCHER_USER "\",\"password\":\"" LAUNCHER_PASSWORD "\"}", &error);
  g_assert_no_error (error);
  user = json_object_get_object_member (json_node_get_object (reply), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, LAUNCHER_USER);
  g_assert_cmpstr (json_object_get_string_member (user, "full_name"), ==, "Tess Tester");
  token = g_strdup (json_object_get_string_member (json_node_get_object (reply), "token"));
  g_clear_pointer (&reply, json_node_unref);

  /* The login's token opens the page's later connections, and the home
   * page's first question has the demo show in its answer. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    QiHubClient *shell_client = f->client;
    gboolean connected = FALSE;
    JsonArray *projects;
    gboolean demo = FALSE;

    json_parser_load_from_file (parser, f->info_path, &error);
    g_assert_no_error (error);
    f->client = qi_hub_client_new ();
    qi_hub_client_connect_async (f->client,
                                 json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                                "url"),
                                 token, "test/shell-user", NULL, on_connected, &connected);
    g_assert_true (wait_for (is_true, &connected, WAIT_MS));
    reply = request (f, "db_service.project.list", "{}", &error);
    g_assert_no_error (error);
    projects = json_object_get_array_member (json_node_get_object (reply), "projects");
    for (guint i = 0; i < json_array_get_length (projects); i++)
      demo |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (projects, i), "name"),
                         "demo") == 0;
    g_assert_true (demo);
    g_clear_pointer (&reply, json_node_unref);
    qi_hub_client_close (f->client);
    g_clear_object (&f->client);
    f->client = shell_client;
  }

  payload = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"not the password\"}", LAUNCHER_USER);
  reply = request (f, "auth.login", payload, &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "unknown user or wrong password"));
  g_clear_error (&error);
  list = request (f, "gui.window.list", "{}", &error);
  g_assert_no_error (error);
  window = find_window (list, "launcher");
  g_assert_nonnull (window);
  g_assert_true (json_object_get_boolean_member (window, "loaded"));
  g_assert_false (f->qi_exited);

  stop_qi (f);
}

/* --- The tray: it registers with the watcher and its menu holds the
 * core entries and the addon's. */

static gboolean
item_registered (gpointer data)
{
  return watcher.item_name != NULL;
}

static void
collect_labels (GVariant  *layout,
                GPtrArray *labels,
                GHashTable *ids)
{
  gint32 id;
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GVariant) children = NULL;
  const char *label;

  g_variant_get (layout, "(i@a{sv}@av)", &id, &properties, &children);
  if (g_variant_lookup (properties, "label", "&s", &label))
    {
      g_ptr_array_add (labels, g_strdup (label));
      g_hash_table_insert (ids, g_strdup (label), GINT_TO_POINTER (id));
    }
  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child = g_variant_get_variant (boxed);

      collect_labels (child, labels, ids);
    }
}

static GPtrArray *
read_menu (GHashTable *ids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) menu = NULL;
  g_autoptr(GVariant) menu_path = NULL;
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) root = NULL;
  GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);

  menu = g_dbus_connection_call_sync (watcher.bus, watcher.item_name, watcher.item_path,
                                      "org.freedesktop.DBus.Properties", "Get",
                                      g_variant_new ("(ss)", "org.kde.StatusNotifierItem", "Menu"),
                                      G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (menu, "(v)", &menu_path);
  g_assert_true (g_variant_is_of_type (menu_path, G_VARIANT_TYPE_OBJECT_PATH));

  layout = g_dbus_connection_call_sync (watcher.bus, watcher.item_name, g_variant_get_string (menu_path, NULL),
                                        "com.canonical.dbusmenu", "GetLayout",
                                        g_variant_new ("(ii@as)", 0, -1, g_variant_new_strv (NULL, 0)),
                                        G_VARIANT_TYPE ("(u(ia{sv}av))"), G_DBUS_CALL_FLAGS_NONE, 10000,
                                        NULL, &error);
  g_assert_no_error (error);
  root = g_variant_get_child_value (layout, 1);
  collect_labels (root, labels, ids);
  return labels;
}

static gboolean
has_label (GPtrArray  *labels,
           const char *label)
{
  return g_ptr_array_find_with_equal_func (labels, label, g_str_equal, NULL);
}

static void
click (GHashTable *ids,
       const char *label)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) menu = NULL;
  g_autoptr(GVariant) menu_path = NULL;
  g_autoptr(GVariant) result = NULL;

  g_assert_true (g_hash_table_contains (ids, label));
  menu = g_dbus_connection_call_sync (watcher.bus, watcher.item_name, watcher.item_path,
                                      "org.freedesktop.DBus.Properties", "Get",
                                      g_variant_new ("(ss)", "org.kde.StatusNotifierItem", "Menu"),
                                      G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (menu, "(v)", &menu_path);
  result = g_dbus_connection_call_sync (watcher.bus, watcher.item_name, g_variant_get_string (menu_path, NULL),
                                        "com.canonical.dbusmenu", "Event",
                                        g_variant_new ("(isvu)", GPOINTER_TO_INT (g_hash_table_lookup (ids, label)),
                                                       "clicked", g_variant_new_int32 (0), 0),
                                        NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
}

static char *
dup_item_property (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  reply = g_dbus_connection_call_sync (watcher.bus, watcher.item_name, watcher.item_path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.kde.StatusNotifierItem", name),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

typedef struct
{
  const char *expected;
} IconWait;

static gboolean
icon_is (gpointer data)
{
  IconWait *wait = data;
  g_autofree char *icon = dup_item_property ("IconName");

  if (g_strcmp0 (icon, wait->expected) == 0)
    return TRUE;
  g_usleep (50 * 1000);
  return FALSE;
}

typedef struct
{
  const char *label;
} LabelWait;

static gboolean
menu_has_label (gpointer data)
{
  LabelWait *wait = data;
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) labels = read_menu (ids);

  if (has_label (labels, wait->label))
    return TRUE;
  g_usleep (50 * 1000);
  return FALSE;
}

static void
test_tray (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) labels = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  EventWait clicked = { f, "shellpage.tray.clicked", "item", "shellpage/open" };
  LabelWait logout = { "Log out" };

  IconWait logged_out_icon = { "org.qi.Qi-logged-out-symbolic" };
  IconWait busy_icon = { "org.qi.Qi-busy-symbolic" };

  start_qi (f, (const char * const []) { "--no-window", NULL });
  g_assert_true (wait_for (item_registered, NULL, WAIT_MS));
  /* nobody logged in yet */
  g_assert_true (wait_for (icon_is, &logged_out_icon, WAIT_MS));

  labels = read_menu (ids);
  for (guint i = 0; i < labels->len; i++)
    g_test_message ("tray entry: %s", (const char *) labels->pdata[i]);
  g_assert_true (has_label (labels, "Open launcher"));
  g_assert_true (has_label (labels, "Log in…"));
  g_assert_true (has_label (labels, "Bundle: production"));
  g_assert_true (has_label (labels, "Bundle: staging"));
  g_assert_true (has_label (labels, "Quit"));
  /* the addon's entry (qi_addon_add_tray_item) */
  g_assert_true (has_label (labels, "Open the test page"));

  /* Activating it sends what addons.tray.activate sends: the item's
   * topic gets {"item": "shellpage/open"}. */
  click (ids, "Open the test page");
  g_assert_true (wait_for (event_arrived, &clicked, WAIT_MS));

  /* gui.tray.update: a state name; logged in, the entry is Log out */
  reply = request (f, "gui.tray.update", "{\"state\":\"idle\",\"tooltip\":\"Qi: all fine\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "state"), ==, "idle");
  g_assert_true (wait_for (menu_has_label, &logout, WAIT_MS));
  g_clear_pointer (&reply, json_node_unref);

  reply = request (f, "gui.tray.update", "{\"state\":\"busy\"}", &error);
  g_assert_no_error (error);
  g_assert_true (wait_for (icon_is, &busy_icon, WAIT_MS));
  g_clear_pointer (&reply, json_node_unref);

  reply = request (f, "gui.tray.update", "{\"state\":\"sleepy\"}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_nonnull (strstr (error->message, "“sleepy”"));
  g_assert_nonnull (strstr (error->message, "idle, busy, error, logged_out"));
  g_clear_error (&error);

  /* no staging bundle: the switch is refused, qi stays */
  click (ids, "Bundle: staging");
  {
    LogWait refused = { f, "Not switching to the staging bundle" };

    g_assert_true (wait_for (log_has, &refused, WAIT_MS));
  }
  g_assert_false (f->qi_exited);

  /* gui.notify takes a title */
  reply = request (f, "gui.notify", "{\"title\":\"Published\",\"body\":\"sh010 v003\"}", &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_clear_pointer (&reply, json_node_unref);
  reply = request (f, "gui.notify", "{\"body\":\"no title\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_nonnull (strstr (error->message, "“title”"));
  g_clear_error (&error);

  stop_qi (f);
}

/* --- A second qi hands its request to the first and ends with 0. */

static void
test_second_instance (Fixture       *f,
                      gconstpointer  data)
{
  WindowWait wait = { f, "launcher", FALSE, NULL };
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *second_log = g_build_filename (f->env.root, "second.log", NULL);

  start_qi (f, (const char * const []) { "--no-window", NULL });
  list = request (f, "gui.window.list", "{}", &error);
  g_assert_no_error (error);
  g_assert_null (find_window (list, "launcher"));

  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

    g_subprocess_launcher_set_environ (launcher, f->env.envp);
    g_subprocess_launcher_set_stderr_file_path (launcher, second_log);
    second = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), NULL);
    g_assert_no_error (error);
  }
  g_subprocess_wait (second, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);

  /* the first one opened the launcher */
  g_assert_true (wait_for (window_is_there, &wait, WAIT_MS));
  g_clear_pointer (&wait.last, json_node_unref);
  /* and the second wrote no info file of its own over the first's */
  g_assert_true (g_file_test (f->info_path, G_FILE_TEST_IS_REGULAR));

  stop_qi (f);
}

/* --- gui.window.open: an unknown addon, bad payloads. */

static void
test_open_errors (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  JsonNode *reply;

  start_qi (f, (const char * const []) { "--no-window", NULL });

  reply = request (f, "gui.window.open", "{\"id\":\"x\",\"addon\":\"nope\"}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_nonnull (strstr (error->message, "no addon “nope” is installed"));
  g_clear_error (&error);

  reply = request (f, "gui.window.open", "{\"addon\":\"shellpage\"}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_nonnull (strstr (error->message, "“id” is missing"));
  g_clear_error (&error);

  reply = request (f, "gui.window.open", "{\"id\":\"x\",\"addon\":\"shellpage\",\"path\":\"../../etc\"}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_nonnull (strstr (error->message, "“path” is “../../etc”"));
  g_clear_error (&error);

  reply = request (f, "gui.window.open", "{\"id\":\"x\",\"addon\":\"shellpage\",\"width\":5}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_nonnull (strstr (error->message, "“width”"));
  g_clear_error (&error);

  reply = request (f, "gui.window.close", "{\"id\":\"never-opened\"}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_nonnull (strstr (error->message, "no window “never-opened” is open"));
  g_clear_error (&error);

  /* without --dev there is no snapshot hook */
  reply = request (f, "gui.window.snapshot", "{\"id\":\"x\",\"path\":\"/tmp/x.png\"}", &error);
  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_clear_error (&error);

  stop_qi (f);
}

/* --- Without a launcher addon the shell says so and runs on. */

static void
test_no_launcher (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;

  start_qi (f, (const char * const []) { NULL });
  g_assert_true (wait_for (item_registered, NULL, WAIT_MS));
  list = request (f, "gui.window.list", "{}", &error);
  g_assert_no_error (error);
  g_assert_null (find_window (list, "launcher"));
  log = dup_log (f);
  g_assert_nonnull (strstr (log, "The launcher cannot open: no addon “launcher” is installed on the addon path; "
                                 "the tray runs on"));
  stop_qi (f);
}

/* --- The bridge: the page's qiShell.close() closes its window; the
 * geometry of the window id is remembered. */

static void
test_bridge_close (Fixture       *f,
                   gconstpointer  data)
{
  EventWait closed = { f, "gui.window.closed", "id", "closer" };
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) state = g_key_file_new ();
  g_autofree char *state_file = NULL;

  start_qi (f, (const char * const []) { "--no-window", NULL });
  reply = request (f, "gui.window.open",
                   "{\"id\":\"closer\",\"addon\":\"shellpage\",\"path\":\"close.html\",\"width\":640,\"height\":480}",
                   &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "id"), ==, "closer");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (reply), "focused"));

  /* close.html calls window.qiShell.close() once loaded */
  g_assert_true (wait_for (event_arrived, &closed, WAIT_MS));
  g_assert_true (event_seen (f, "gui.window.opened", "id", "closer"));
  g_assert_true (event_seen (f, "gui.window.loaded", "id", "closer"));
  list = request (f, "gui.window.list", "{}", &error);
  g_assert_no_error (error);
  g_assert_null (find_window (list, "closer"));

  state_file = g_build_filename (f->state_dir, "qi", "windows.ini", NULL);
  g_key_file_load_from_file (state, state_file, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_integer (state, "closer", "width", &error), ==, 640);
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_integer (state, "closer", "height", &error), ==, 480);
  g_assert_no_error (error);

  stop_qi (f);
}

/* --- A page cannot take its window to another origin. */

typedef struct
{
  Fixture    *f;
  const char *id;
  const char *title;
} TitleWait;

static gboolean
title_is (gpointer data)
{
  TitleWait *wait = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = request (wait->f, "gui.window.list", "{}", &error);
  JsonObject *window;

  g_assert_no_error (error);
  window = find_window (list, wait->id);
  if (window != NULL && g_strcmp0 (json_object_get_string_member (window, "title"), wait->title) == 0)
    return TRUE;
  g_usleep (50 * 1000);
  return FALSE;
}

static void
test_external_blocked (Fixture       *f,
                       gconstpointer  data)
{
  TitleWait stayed = { f, "leaver", "stayed" };
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(GError) error = NULL;

  start_qi (f, (const char * const []) { "--no-window", NULL });
  reply = request (f, "gui.window.open", "{\"id\":\"leaver\",\"addon\":\"shellpage\",\"path\":\"external.html\"}",
                   &error);
  g_assert_no_error (error);
  /* the page's script runs on after its navigation was refused */
  g_assert_true (wait_for (title_is, &stayed, WAIT_MS));

  /* opening an open id focuses it */
  again = request (f, "gui.window.open", "{\"id\":\"leaver\",\"addon\":\"shellpage\"}", &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (again), "focused"));

  stop_qi (f);
}

/* --- gui.window.open with the page's own parameters and route: a DCC's
 * window bound to its session. */

static void
test_params_and_route (Fixture       *f,
                       gconstpointer  data)
{
  TitleWait bound = { f, "inventory", "dcc=dcc/blender/42 note=a b&c route=#/inventory session=gui" };
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *window;

  start_qi (f, (const char * const []) { "--no-window", NULL });
  reply = request (f, "gui.window.open", "{\"id\":\"inventory\",\"addon\":\"shellpage\",\"path\":\"location.html\","
                   "\"params\":{\"dcc\":\"dcc/blender/42\",\"note\":\"a b&c\"},\"route\":\"/inventory\"}", &error);
  g_assert_no_error (error);
  /* the page read them, escaped as they must be, after the shell's own */
  g_assert_true (wait_for (title_is, &bound, WAIT_MS));
  list = request (f, "gui.window.list", "{}", &error);
  g_assert_no_error (error);
  window = find_window (list, "inventory");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (window, "params"), "dcc"), ==,
                   "dcc/blender/42");
  g_assert_cmpstr (json_object_get_string_member (window, "route"), ==, "/inventory");

  /* what they may not be */
  for (const char * const *bad = (const char * const []) {
         "{\"id\":\"x\",\"addon\":\"shellpage\",\"params\":{\"token\":\"t\"}}",
         "{\"id\":\"x\",\"addon\":\"shellpage\",\"params\":{\"a=b\":\"t\"}}",
         "{\"id\":\"x\",\"addon\":\"shellpage\",\"params\":{\"dcc\":3}}",
         "{\"id\":\"x\",\"addon\":\"shellpage\",\"params\":[]}",
         "{\"id\":\"x\",\"addon\":\"shellpage\",\"route\":\"inventory\"}",
         "{\"id\":\"x\",\"addon\":\"shellpage\",\"route\":\"/a?b\"}",
         NULL }; *bad != NULL; bad++)
    {
      g_autoptr(JsonNode) refused = request (f, "gui.window.open", *bad, &error);

      g_assert_null (refused);
      g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
      g_assert_nonnull (strstr (error->message, "gui.window.open: “"));
      g_clear_error (&error);
    }
  stop_qi (f);
}

/* Runs the main context for @ms (the hub client answers the server's
 * pings meanwhile). */
static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
}

/* xdotool ARGS…, its stdout; NULL if it failed. The main context runs
 * meanwhile, so that the hub client keeps answering the server. */
static void
on_xdotool_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &text, NULL, &error) &&
      g_subprocess_get_successful (G_SUBPROCESS (source)))
    *out = g_strstrip (g_steal_pointer (&text));
  else
    *out = g_strdup ("\001failed");
}

static char *
xdotool (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  char *out = NULL;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);
  if (process == NULL)
    return NULL;
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_xdotool_done, &out);
  while (out == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (out[0] == '\001')
    g_clear_pointer (&out, g_free);
  return out;
}

typedef struct
{
  const char *name;
  char       *window;
} DialogWait;

static gboolean
dialog_shown (gpointer data)
{
  DialogWait *wait = data;

  g_free (wait->window);
  wait->window = xdotool ((const char * const []) { "search", "--onlyvisible", "--name", wait->name, NULL });
  if (wait->window != NULL && *wait->window != '\0')
    {
      /* the first window of that name */
      char *newline = strchr (wait->window, '\n');

      if (newline != NULL)
        *newline = '\0';
      return TRUE;
    }
  spin (100);
  return FALSE;
}

/* qiShell.chooseFiles(): the page's request opens GTK's file chooser over
 * its window; what the user picks there (typed with xdotool, as a user
 * types a path) comes back to the page, which puts it in its title. */
static void
test_bridge_choose_files (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *plate = g_build_filename (f->env.root, "sh010_plate.exr", NULL);
  g_autofree char *expected = g_strconcat ("chose ", plate, NULL);
  TitleWait chosen = { f, "chooser", expected };
  DialogWait dialog = { "Pick the plates", NULL };
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  g_autofree char *xdotool_path = g_find_program_in_path ("xdotool");

  if (xdotool_path == NULL)
    {
      g_test_fail_printf ("xdotool is not installed: tools/deps.sh installs it (QI_SHELL_TEST_PACKAGES)");
      return;
    }
  g_assert_true (g_file_set_contents (plate, "plate\n", -1, NULL));
  /* GTK 3's file chooser can warn of a synthetic key event that reaches
   * one of its popups before it is realized: that one warning of GTK's is
   * let through below, Qi's own still fail the test */
  qi_test_env_setenv (&f->env, "G_DEBUG", "gc-friendly");
  start_qi (f, (const char * const []) { "--no-window", NULL });
  reply = request (f, "gui.window.open", "{\"id\":\"chooser\",\"addon\":\"shellpage\",\"path\":\"choose.html\"}",
                   &error);
  g_assert_no_error (error);
  g_assert_true (wait_for (dialog_shown, &dialog, WAIT_MS));
  /* a path typed into GTK's chooser opens its location entry; Return picks it */
  done = xdotool ((const char * const []) { "windowfocus", dialog.window, NULL });
  g_clear_pointer (&done, g_free);
  done = xdotool ((const char * const []) { "key", "ctrl+l", NULL });
  g_clear_pointer (&done, g_free);
  spin (300);
  done = xdotool ((const char * const []) { "type", "--delay", "10", plate, NULL });
  g_assert_nonnull (done);
  g_clear_pointer (&done, g_free);
  spin (500);
  /* Return pressed picks the file and the dialog goes; released once it
   * has gone (GTK 3 warns of a release sent to a dialog no longer there) */
  done = xdotool ((const char * const []) { "keydown", "Return", NULL });
  g_assert_nonnull (done);
  g_assert_true (wait_for (title_is, &chosen, WAIT_MS));
  g_free (xdotool ((const char * const []) { "keyup", "Return", NULL }));
  {
    g_autofree char *log = dup_log (f);
    g_auto(GStrv) lines = g_strsplit (log, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      if ((strstr (lines[i], "CRITICAL") != NULL || strstr (lines[i], "WARNING") != NULL) &&
          !(strstr (lines[i], "Gtk-CRITICAL **") != NULL &&
            strstr (lines[i], "gtk_widget_event: assertion 'WIDGET_REALIZED_FOR_EVENT") != NULL))
        g_test_fail_printf ("the shell logged: %s", lines[i]);
  }
  g_free (dialog.window);
  stop_qi (f);
}

/* A pipeline window (the pipeline-ui addon of the build) in the real
 * shell, opened as the tray's “Publish files…” opens it: its route
 * reaches the page, which loads and paints the project's contexts with no
 * error banner, and (the shell's bridge there) its “Add files…”
 * buttons: shell-standalone-publisher.png. */
static void
test_pipeline_window (Fixture       *f,
                      gconstpointer  data)
{
  WindowWait wait = { f, "standalone-publisher", TRUE, NULL };
  g_autofree char *addon = g_test_build_filename (G_TEST_BUILT, "..", "addons", "pipeline-ui", NULL);
  g_autofree char *link = g_build_filename (f->addons, "pipeline-ui", NULL);
  g_autofree char *png = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *window;
  /* the error banner's background (--qi-danger-bg) */
  Colour colours[] = { { 0x3a2222, 0 }, { 0 } };
  Pixels pixels = { 0 };

  if (!QI_TEST_UI)
    {
      g_test_skip ("the web UIs are not built: the pipeline-ui addon has no ui_dist/");
      return;
    }
  g_assert_cmpint (symlink (addon, link), ==, 0);
  /* what the page asks of the hub besides the tracker: the publish addon's settings */
  for (const char * const *name = (const char * const []) { "publish", "anatomy", NULL }; *name != NULL; name++)
    {
      g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "..", "addons", *name, NULL);
      g_autofree char *to = g_build_filename (f->addons, *name, NULL);

      g_assert_cmpint (symlink (built, to), ==, 0);
    }
  run_headless (f, NULL, (const char * const []) { "--headless", "db", "seed-demo", NULL });
  start_qi (f, (const char * const []) { "--no-window", "--dev", NULL });
  reply = request (f, "gui.window.open", "{\"id\":\"standalone-publisher\",\"addon\":\"pipeline-ui\","
                   "\"route\":\"/standalone\",\"title\":\"Publish files\","
                   "\"width\":1100,\"height\":700}", &error);
  g_assert_no_error (error);
  g_assert_true (wait_for (window_is_there, &wait, WAIT_MS));
  window = find_window (wait.last, "standalone-publisher");
  g_assert_cmpstr (json_object_get_string_member (window, "addon"), ==, "pipeline-ui");
  g_assert_cmpstr (json_object_get_string_member (window, "route"), ==, "/standalone");
  g_clear_pointer (&wait.last, json_node_unref);
  for (gint64 end = g_get_monotonic_time () + (gint64) WAIT_MS * 1000;;)
    {
      colours[0].count = 0;
      g_clear_pointer (&png, g_free);
      png = snapshot (f, "standalone-publisher", "shell-standalone-publisher.png");
      pixels = count_pixels (png, colours);
      /* painted, its contexts listed (a good part of the window is not background) */
      if (pixels.differing > pixels.width * pixels.height / 2 || g_get_monotonic_time () > end)
        break;
      spin (100);
    }
  g_test_message ("snapshot %s: %ux%u, %u pixels not the background, %u of an error", png, pixels.width,
                  pixels.height, pixels.differing, colours[0].count);
  g_assert_cmpuint (pixels.differing, >, pixels.width * pixels.height / 2);
  g_assert_cmpuint (colours[0].count, <, 100);
  stop_qi (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("DISPLAY") == NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_printerr ("test-shell runs under a display and a session bus: "
                  "tests/shell-session.sh (xvfb-run -a dbus-run-session) starts it\n");
      return 1;
    }
  watcher_start ();

  g_test_add ("/shell/window-loads", Fixture, NULL, fixture_setup, test_window_loads, fixture_teardown);
  g_test_add ("/shell/tray", Fixture, NULL, fixture_setup, test_tray, fixture_teardown);
  g_test_add ("/shell/second-instance", Fixture, NULL, fixture_setup, test_second_instance, fixture_teardown);
  g_test_add ("/shell/open-errors", Fixture, NULL, fixture_setup, test_open_errors, fixture_teardown);
  g_test_add ("/shell/no-launcher", Fixture, "default", fixture_setup, test_no_launcher, fixture_teardown);
  g_test_add ("/shell/external-blocked", Fixture, NULL, fixture_setup, test_external_blocked, fixture_teardown);
  g_test_add ("/shell/params-and-route", Fixture, NULL, fixture_setup, test_params_and_route, fixture_teardown);
  g_test_add ("/shell/bridge-close", Fixture, NULL, fixture_setup, test_bridge_close, fixture_teardown);
  g_test_add ("/shell/bridge-choose-files", Fixture, NULL, fixture_setup, test_bridge_choose_files,
              fixture_teardown);
  g_test_add ("/shell/pipeline-window", Fixture, NULL, fixture_setup, test_pipeline_window, fixture_teardown);
  g_test_add ("/shell/real-launcher", Fixture, "default", fixture_setup, test_real_launcher, fixture_teardown);

  return g_test_run ();
}
