/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qi-bench-shell: the time from starting `qi` (the desktop shell, no
 * --headless) to the first paint of its launcher page, against a bare
 * WebKitGTK window started as a process of its own that loads the same
 * static page, in the same run; and the resident memory (VmRSS) of each
 * process and of its WebKit children (web and network processes).
 *
 * First paint, for both: the page's load event, then two
 * requestAnimationFrame callbacks (the frame after the first one that
 * had the page), posted to a script message handler. The shell's user
 * script does it and reports `painted_at_us` (CLOCK_MONOTONIC, the clock
 * of g_get_monotonic_time() in every process) in gui.window.list, which
 * this program polls after the fact; the bare window prints it.
 *
 * Runs under a display and a session bus (bench/shell starts it in
 * tests/shell-session.sh). Usage:
 *   qi-bench-shell QI_EXE SHELLPAGE_ADDON_DIR [RUNS]
 *   qi-bench-shell --bare URI      (the baseline window, run by the above)
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <qi/qi.h>
#include <webkit2/webkit2.h>

#define MAX_RUNS 50
#define TIMEOUT_US (120 * G_USEC_PER_SEC)

static const char paint_script[] =
  "window.addEventListener('load', function () {"
  "  requestAnimationFrame(function () {"
  "    requestAnimationFrame(function () { window.webkit.messageHandlers.bench.postMessage('painted'); });"
  "  });"
  "});";

/* --- Resident memory from /proc. */

static gint64
rss_kb (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) || (line = strstr (status, "VmRSS:")) == NULL)
    return 0;
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}

/* The summed VmRSS of @pid's WebKit children (any process whose parent is
 * @pid and whose name starts with WebKit), and how many there are. */
static gint64
webkit_children_rss_kb (int   pid,
                        guint *n)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  gint64 total = 0;

  *n = 0;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *stat_path = NULL;
      g_autofree char *stat = NULL;
      const char *close_paren;
      int child = atoi (name);
      int ppid = 0;

      if (child <= 0)
        continue;
      stat_path = g_strdup_printf ("/proc/%d/stat", child);
      if (!g_file_get_contents (stat_path, &stat, NULL, NULL) || (close_paren = strrchr (stat, ')')) == NULL)
        continue;
      /* "PID (COMM) STATE PPID …" */
      if (sscanf (close_paren + 2, "%*c %d", &ppid) != 1 || ppid != pid)
        continue;
      if (strstr (stat, "(WebKit") == NULL)
        continue;
      total += rss_kb (child);
      (*n)++;
    }
  return total;
}

/* --- The bare window (--bare URI). */

static void
on_bare_painted (WebKitUserContentManager *ucm,
                 WebKitJavascriptResult   *result,
                 gpointer                  user_data)
{
  guint n;
  gint64 painted = g_get_monotonic_time ();
  gint64 web = webkit_children_rss_kb (getpid (), &n);

  printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u\n", painted, rss_kb (getpid ()),
          web, n);
  fflush (stdout);
  exit (0);
}

static int
run_bare (const char *uri)
{
  g_autoptr(WebKitUserContentManager) ucm = webkit_user_content_manager_new ();
  g_autoptr(WebKitUserScript) script = webkit_user_script_new (paint_script, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                                               WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START,
                                                               NULL, NULL);
  GtkWidget *window, *view;

  gtk_init (NULL, NULL);
  webkit_user_content_manager_add_script (ucm, script);
  g_signal_connect (ucm, "script-message-received::bench", G_CALLBACK (on_bare_painted), NULL);
  webkit_user_content_manager_register_script_message_handler (ucm, "bench");
  view = GTK_WIDGET (g_object_new (WEBKIT_TYPE_WEB_VIEW, "user-content-manager", ucm, NULL));
  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  gtk_container_add (GTK_CONTAINER (window), view);
  webkit_web_view_load_uri (WEBKIT_WEB_VIEW (view), uri);
  gtk_widget_show_all (window);
  gtk_main ();
  return 1;
}

/* --- Measuring. */

typedef struct
{
  double ms;
  double rss_mb;
  double web_rss_mb;
  guint  n_web;
} Sample;

static void
die (const char *format,
     ...) G_GNUC_PRINTF (1, 2);

static void
die (const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  fprintf (stderr, "qi-bench-shell: ");
  vfprintf (stderr, format, args);
  fprintf (stderr, "\n");
  va_end (args);
  exit (1);
}

static Sample
measure_bare (const char *self_exe,
              const char *uri)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  gint64 started, painted, rss, web;
  guint n;
  Sample sample;

  started = g_get_monotonic_time ();
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_exe, "--bare", uri, NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error))
    die ("the bare window failed: %s", error->message);
  if (out == NULL || sscanf (out, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u",
                             &painted, &rss, &web, &n) != 4)
    die ("the bare window printed no paint");
  sample.ms = (painted - started) / 1000.0;
  sample.rss_mb = rss / 1024.0;
  sample.web_rss_mb = web / 1024.0;
  sample.n_web = n;
  return sample;
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  JsonNode *reply;
} Wait;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->ok = qi_hub_client_connect_finish (QI_HUB_CLIENT (source), result, NULL);
  wait->done = TRUE;
}

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *wait = user_data;

  wait->reply = qi_hub_client_request_finish (QI_HUB_CLIENT (source), result, NULL);
  wait->ok = wait->reply != NULL;
  wait->done = TRUE;
}

static void
spin_until (Wait   *wait,
            gint64  deadline)
{
  while (!wait->done)
    {
      if (g_get_monotonic_time () > deadline)
        die ("timed out");
      g_main_context_iteration (NULL, TRUE);
    }
}

/* The launcher's painted_at_us once it painted, else 0. */
static gint64
launcher_painted_at (JsonNode *list)
{
  JsonArray *windows = json_object_get_array_member (json_node_get_object (list), "windows");

  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *window = json_array_get_object_element (windows, i);

      if (g_strcmp0 (json_object_get_string_member (window, "id"), "launcher") == 0 &&
          json_object_get_boolean_member (window, "painted"))
        return json_object_get_int_member (window, "painted_at_us");
    }
  return 0;
}

/* One scratch home for every run: the runs after the first find the
 * tracker, caches and window geometry as a user's next start does. */
static Sample
measure_qi (const char *qi_exe,
            const char *addon_dir,
            const char *root)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *addons = g_build_filename (root, "addons", NULL);
  g_autofree char *link = g_build_filename (addons, "shellpage", NULL);
  g_autofree char *config = g_build_filename (root, "config", "qi", NULL);
  g_autofree char *toml = g_build_filename (config, "qi.toml", NULL);
  g_autofree char *runtime = g_build_filename (root, "run", NULL);
  g_autofree char *info_path = g_build_filename (runtime, "qi", "server.json", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) qi = NULL;
  g_autoptr(QiHubClient) client = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *info;
  gint64 started, deadline, painted = 0;
  int pid;
  Wait wait = { 0 };
  Sample sample;

  g_mkdir_with_parents (addons, 0700);
  g_mkdir_with_parents (config, 0700);
  g_mkdir_with_parents (runtime, 0700);
  if (!g_file_test (link, G_FILE_TEST_EXISTS) && symlink (addon_dir, link) != 0)
    die ("cannot link %s", addon_dir);
  g_file_set_contents (toml, "[shell]\nlauncher = \"shellpage\"\n", -1, NULL);

  g_subprocess_launcher_setenv (launcher, "HOME", root, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_build_filename (root, "config", NULL), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_DIRS", root, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_build_filename (root, "data", NULL), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_build_filename (root, "state", NULL), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_build_filename (root, "cache", NULL), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "QI_ADDON_PATH", addons, TRUE);

  started = g_get_monotonic_time ();
  deadline = started + TIMEOUT_US;
  qi = g_subprocess_launcher_spawn (launcher, &error, qi_exe, NULL);
  if (qi == NULL)
    die ("%s", error->message);
  pid = atoi (g_subprocess_get_identifier (qi));

  /* Everything below happens after the fact: the paint's time is the
   * shell's own record. */
  while (!g_file_test (info_path, G_FILE_TEST_IS_REGULAR))
    {
      if (g_get_monotonic_time () > deadline)
        die ("qi wrote no info file");
      g_usleep (5000);
    }
  g_usleep (20000);   /* written atomically; read it whole */
  if (!json_parser_load_from_file (parser, info_path, &error))
    die ("%s", error->message);
  info = json_node_get_object (json_parser_get_root (parser));
  client = qi_hub_client_new ();
  qi_hub_client_connect_async (client, json_object_get_string_member (info, "url"),
                               json_object_get_string_member (info, "token"), "bench/shell", NULL,
                               on_connected, &wait);
  spin_until (&wait, deadline);
  if (!wait.ok)
    die ("cannot connect to qi's hub");
  while (painted == 0)
    {
      g_autoptr(JsonNode) empty = json_from_string ("{}", NULL);

      memset (&wait, 0, sizeof wait);
      qi_hub_client_request_async (client, "gui.window.list", empty, 10000, NULL, on_reply, &wait);
      spin_until (&wait, deadline);
      if (!wait.ok)
        die ("gui.window.list failed");
      painted = launcher_painted_at (wait.reply);
      json_node_unref (wait.reply);
      if (painted == 0)
        g_usleep (20000);
    }

  sample.ms = (painted - started) / 1000.0;
  sample.rss_mb = rss_kb (pid) / 1024.0;
  {
    guint n;

    sample.web_rss_mb = webkit_children_rss_kb (pid, &n) / 1024.0;
    sample.n_web = n;
  }

  qi_hub_client_close (client);
  g_subprocess_send_signal (qi, SIGTERM);
  g_subprocess_wait (qi, NULL, NULL);
  return sample;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (Sample *samples,
        guint   n,
        gsize   offset)
{
  double values[MAX_RUNS];

  for (guint i = 0; i < n; i++)
    values[i] = *(double *) ((char *) &samples[i] + offset);
  qsort (values, n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int
main (int    argc,
      char **argv)
{
  static Sample shell[MAX_RUNS], bare[MAX_RUNS];
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *index = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *root = NULL;
  g_autofree char *rm = NULL;
  g_autoptr(GError) error = NULL;
  guint runs;

  if (argc == 3 && strcmp (argv[1], "--bare") == 0)
    return run_bare (argv[2]);
  if (argc < 3)
    {
      fprintf (stderr, "usage: qi-bench-shell QI_EXE SHELLPAGE_ADDON_DIR [RUNS]\n");
      return 2;
    }
  runs = argc > 3 ? (guint) CLAMP (atoi (argv[3]), 1, MAX_RUNS) : 5;
  index = g_build_filename (argv[2], "ui_dist", "index.html", NULL);
  uri = g_filename_to_uri (index, NULL, NULL);
  if (uri == NULL || !g_file_test (index, G_FILE_TEST_IS_REGULAR))
    die ("%s is not there", index);

  root = g_dir_make_tmp ("qi-bench-shell-XXXXXX", &error);
  if (root == NULL)
    die ("%s", error->message);

  /* one of each first, not counted: the tracker's creation, the page
   * cache and the fonts */
  measure_qi (argv[1], argv[2], root);
  measure_bare (self_exe, uri);
  for (guint i = 0; i < runs; i++)
    {
      shell[i] = measure_qi (argv[1], argv[2], root);
      bare[i] = measure_bare (self_exe, uri);
      fprintf (stderr, "run %u: qi %.1f ms, bare %.1f ms\n", i + 1, shell[i].ms, bare[i].ms);
    }

  {
    double qi_ms = median (shell, runs, G_STRUCT_OFFSET (Sample, ms));
    double bare_ms = median (bare, runs, G_STRUCT_OFFSET (Sample, ms));

    printf ("start to first paint of the page (median of %u runs):\n", runs);
    printf ("  qi (bootstrap, server, shell, launcher window)  %8.1f ms\n", qi_ms);
    printf ("  bare WebKitGTK window, same page from file://    %8.1f ms\n", bare_ms);
    printf ("  ratio qi / bare                                 %8.2fx\n", qi_ms / bare_ms);
    printf ("resident memory at first paint (VmRSS, median):\n");
    printf ("  qi process                                      %8.1f MiB\n",
            median (shell, runs, G_STRUCT_OFFSET (Sample, rss_mb)));
    printf ("  qi's WebKit processes (%u)                       %8.1f MiB\n", shell[0].n_web,
            median (shell, runs, G_STRUCT_OFFSET (Sample, web_rss_mb)));
    printf ("  bare window process                             %8.1f MiB\n",
            median (bare, runs, G_STRUCT_OFFSET (Sample, rss_mb)));
    printf ("  bare window's WebKit processes (%u)              %8.1f MiB\n", bare[0].n_web,
            median (bare, runs, G_STRUCT_OFFSET (Sample, web_rss_mb)));
  }

  rm = g_strdup_printf ("rm -rf '%s'", root);
  if (system (rm) != 0)
    fprintf (stderr, "qi-bench-shell: could not remove %s\n", root);
  return 0;
}
