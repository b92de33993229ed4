/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <string.h>

#include <glib/gi18n.h>
#include <qi/qi.h>

#include <unistd.h>
#include <gmodule.h>

/*
 * The `qi` executable: it sets up translations and logging, and hands the
 * command line to the application object, which runs the bootstrap phases.
 * Without --headless it opens the desktop shell's module (qi-gui.so, GTK
 * and WebKit) in phase 0 and registers its `gui` service; headless runs
 * never load it.
 */

/* The rank of the least severe level to log, set once phase 0 has read
 * --log-level; read from whatever thread logs. */
static gint log_threshold = 3;

static int
level_rank (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return 0;
  if (level & G_LOG_LEVEL_CRITICAL)
    return 1;
  if (level & G_LOG_LEVEL_WARNING)
    return 2;
  if (level & G_LOG_LEVEL_MESSAGE)
    return 3;
  if (level & G_LOG_LEVEL_INFO)
    return 4;
  return 5;
}

static int
threshold_rank (const char *name)
{
  static const char * const names[] = {
    "error", "critical", "warning", "message", "info", "debug",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (names[i], name) == 0)
      return (int) i;

  return 3;
}

/* Applies --log-level: messages below the level are dropped; at info and
 * debug every domain logs. G_MESSAGES_DEBUG still enables debug output of
 * single domains, such as QiBootstrap, at any level. */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  int limit = g_atomic_int_get (&log_threshold);
  int rank = level_rank (level);

  if (rank <= limit && rank >= 4)
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);

  if (rank > limit && rank < 4)
    return G_LOG_WRITER_HANDLED;

  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* G_MESSAGES_DEBUG as it was when the run started. */
static char *messages_debug;

/* Whether GLib's default writer would drop a debug or info message of
 * @domain: what g_log_writer_default() decides, from the variable as it
 * was at the start rather than read again for every message. */
static gboolean
default_writer_drops (const char *domain)
{
  if (g_log_get_debug_enabled ())
    return FALSE;
  if (messages_debug == NULL)
    return TRUE;
  return strcmp (messages_debug, "all") != 0 &&
         (domain == NULL || strstr (messages_debug, domain) == NULL);
}

/* The handler of the old g_log() API, which libraries such as libsoup
 * use: its WebSocket code logs four debug lines for every message, each
 * formatted, then handed by g_log_default_handler() to the structured
 * writer, whose default reads the environment to drop it. A debug or info
 * line that log_writer() would drop is dropped here, before any of that. */
static void
log_handler (const char     *domain,
             GLogLevelFlags  level,
             const char     *message,
             gpointer        user_data)
{
  GLogLevelFlags kind = level & G_LOG_LEVEL_MASK;

  if ((kind == G_LOG_LEVEL_INFO || kind == G_LOG_LEVEL_DEBUG) &&
      level_rank (kind) > g_atomic_int_get (&log_threshold) && default_writer_drops (domain))
    return;
  g_log_default_handler (domain, level, message, user_data);
}

/* Where the desktop shell's module is: $QI_GUI_MODULE, else next to this
 * executable (a build tree), else the installed one. */
static char *
find_gui_module (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
  g_autofree char *sibling = dir != NULL ? g_build_filename (dir, "qi-gui.so", NULL) : NULL;

  if (g_getenv ("QI_GUI_MODULE") != NULL && *g_getenv ("QI_GUI_MODULE") != '\0')
    return g_strdup (g_getenv ("QI_GUI_MODULE"));
  if (sibling != NULL && g_file_test (sibling, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&sibling);
  return g_build_filename (QI_GUI_MODULE_DIR, "qi-gui.so", NULL);
}

/* Without --headless: the `gui` service of the shell's module. GTK and
 * WebKit are loaded only then, so that headless commands start as fast
 * as without them. A missing module leaves phase 6 to say that there is
 * no desktop shell. */
static void
load_gui (QiApplication *app)
{
  g_autofree char *path = find_gui_module ();
  g_autoptr(QiService) service = NULL;
  g_autoptr(GError) error = NULL;
  QiService *(*new_service) (QiApplication *app) = NULL;
  GModule *module;

  module = g_module_open (path, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_warning ("The desktop shell in %s cannot be loaded: %s", path, g_module_error ());
      return;
    }
  if (!g_module_symbol (module, "qi_gui_module_new_service", (gpointer *) &new_service) || new_service == NULL)
    {
      g_warning ("%s is not Qi's desktop shell: it has no qi_gui_module_new_service()", path);
      g_module_close (module);
      return;
    }
  /* its types stay registered for the process */
  g_module_make_resident (module);
  service = new_service (app);
  if (!qi_application_add_service (app, service, &error))
    g_warning ("The desktop shell cannot be registered: %s", error->message);
}

static void
on_launch_config (QiApplication *app,
                  GParamSpec    *pspec,
                  gpointer       user_data)
{
  QiLaunchConfig *launch = qi_application_get_launch_config (app);

  if (launch == NULL)
    return;
  g_atomic_int_set (&log_threshold, threshold_rank (qi_launch_config_get_log_level (launch)));
  if (!qi_launch_config_get_headless (launch) && qi_application_get_service (app, "gui") == NULL)
    load_gui (app);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(QiApplication) app = NULL;
  int status;

  /* The hub passes messages of hundreds of kB (a publish of 1,000 frames,
   * a show of thousands of shots): from the heap, reused, rather than
   * each from pages mapped for it and faulted in one by one. What is
   * freed stays for the next up to 64 MiB. */
  mallopt (M_MMAP_THRESHOLD, 16 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_prgname ("qi");
  g_set_application_name (_("Qi"));

  app = qi_application_new ();
  g_signal_connect (app, "notify::launch-config", G_CALLBACK (on_launch_config), NULL);
  /* Logs never mix with a command's output on stdout. */
  g_log_writer_default_set_use_stderr (TRUE);
  g_log_set_writer_func (log_writer, NULL, NULL);
  messages_debug = g_strdup (g_getenv ("G_MESSAGES_DEBUG"));
  g_log_set_default_handler (log_handler, NULL);

  status = qi_application_run (app, (const char * const *) argv, NULL, NULL, NULL);

  /* The tray's bundle switch: the same qi again, once this one has let go
   * of its session bus name and its server. */
  {
    QiService *gui = qi_application_get_service (app, "gui");
    g_auto(GStrv) restart = NULL;

    if (gui != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (gui), "restart-argv") != NULL)
      g_object_get (gui, "restart-argv", &restart, NULL);
    g_clear_object (&app);
    if (restart != NULL && restart[0] != NULL && status == 0)
      {
        /* the bundle comes from the command line alone now */
        g_unsetenv ("QI_STAGING");
        g_unsetenv ("QI_BUNDLE");
        execv (restart[0], restart);
        g_printerr ("qi: could not start again as %s: %s\n", restart[0], g_strerror (errno));
        return 1;
      }
  }

  return status;
}
