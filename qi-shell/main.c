/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>
#include <qi/qi.h>

#ifdef QI_HAVE_GUI
#include <unistd.h>

#include "qi-gui-manager.h"
#endif

/*
 * The `qi` executable: it sets up translations and logging, registers the
 * desktop shell's `gui` service (when built with it), and hands the
 * command line to the application object, which runs the bootstrap phases.
 * The shell touches GTK only from phase 6, which `--headless` never
 * reaches.
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

static void
on_launch_config (QiApplication *app,
                  GParamSpec    *pspec,
                  gpointer       user_data)
{
  QiLaunchConfig *launch = qi_application_get_launch_config (app);

  if (launch != NULL)
    g_atomic_int_set (&log_threshold, threshold_rank (qi_launch_config_get_log_level (launch)));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(QiApplication) app = NULL;
  int status;

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

#ifdef QI_HAVE_GUI
  {
    g_autoptr(QiGuiManager) gui = qi_gui_manager_new (app);
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) restart = NULL;

    if (!qi_application_add_service (app, QI_SERVICE (gui), &error))
      g_error ("%s", error->message);
    status = qi_application_run (app, (const char * const *) argv, NULL, NULL, NULL);

    /* The tray's bundle switch: the same qi again, once this one has let
     * go of its session bus name and server. */
    restart = g_strdupv ((char **) qi_gui_manager_get_restart_argv (gui));
    g_clear_object (&gui);
    g_clear_object (&app);
    if (restart != NULL && status == 0)
      {
        execv (restart[0], restart);
        g_printerr ("qi: could not start again as %s: %s\n", restart[0], g_strerror (errno));
        return 1;
      }
  }
#else
  status = qi_application_run (app, (const char * const *) argv, NULL, NULL, NULL);
#endif

  return status;
}
