/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-launch.h"

/*
 * QiLaunch: one DCC process a launcher started from a QiLaunchPlan: its
 * command line and environment, the work folder as its working folder,
 * its output (stdout and stderr, in order) in a log file of its own, and
 * its state until it exits. `exited` is emitted once, on the thread that
 * spawned it.
 */

struct _QiLaunch
{
  GObject        parent_instance;

  QiLaunchPlan  *plan;
  char          *log_path;
  GSubprocess   *process;
  GPid           pid;
  char          *session;
  GDateTime     *started_at;
  GDateTime     *ended_at;
  gboolean       running;
  int            status;      /* the exit status, or -1 */
  int            signal;      /* the signal that ended it, or 0 */
};

enum {
  SIGNAL_EXITED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (QiLaunch, qi_launch, G_TYPE_OBJECT)

static void
qi_launch_finalize (GObject *object)
{
  QiLaunch *self = QI_LAUNCH (object);

  g_clear_object (&self->plan);
  g_free (self->log_path);
  g_clear_object (&self->process);
  g_free (self->session);
  g_clear_pointer (&self->started_at, g_date_time_unref);
  g_clear_pointer (&self->ended_at, g_date_time_unref);
  G_OBJECT_CLASS (qi_launch_parent_class)->finalize (object);
}

static void
qi_launch_class_init (QiLaunchClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_launch_finalize;

  /* QiLaunch::exited: the process ended (qi_launch_to_json() says how) */
  signals[SIGNAL_EXITED] =
    g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
qi_launch_init (QiLaunch *self)
{
  self->status = -1;
}

QiLaunch *
qi_launch_new (QiLaunchPlan *plan,
               const char   *log_path)
{
  QiLaunch *self = g_object_new (QI_TYPE_LAUNCH, NULL);

  self->plan = g_object_ref (plan);
  self->log_path = g_strdup (log_path);
  return self;
}

static void
on_waited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(QiLaunch) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error))
    g_warning ("Could not wait for %s (pid %d): %s", qi_launch_get_id (self), (int) self->pid, error->message);
  self->running = FALSE;
  self->ended_at = g_date_time_new_now_utc ();
  if (g_subprocess_get_if_exited (G_SUBPROCESS (source)))
    self->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  else if (g_subprocess_get_if_signaled (G_SUBPROCESS (source)))
    self->signal = g_subprocess_get_term_sig (G_SUBPROCESS (source));
  g_signal_emit (self, signals[SIGNAL_EXITED], 0);
}

/**
 * qi_launch_spawn:
 * @self: a #QiLaunch not yet started
 * @error: return location for a #GError
 *
 * Makes the work folder and the log file, and starts the process.
 *
 * Returns: %TRUE once it runs, or %FALSE with the reason
 */
gboolean
qi_launch_spawn (QiLaunch  *self,
                 GError   **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_auto(GStrv) envp = qi_launch_plan_dup_envp (self->plan);
  const char * const *argv = qi_launch_plan_get_argv (self->plan);
  const char *workdir = qi_launch_plan_get_workdir (self->plan);
  g_autofree char *log_dir = g_path_get_dirname (self->log_path);
  const char *identifier;
  int out;

  g_return_val_if_fail (QI_IS_LAUNCH (self), FALSE);
  g_return_val_if_fail (self->process == NULL, FALSE);

  if (workdir != NULL && g_mkdir_with_parents (workdir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("the work folder %s cannot be made: %s"),
                   workdir, g_strerror (saved));
      return FALSE;
    }
  if (g_mkdir_with_parents (log_dir, 0700) != 0 ||
      (out = g_open (self->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("the log %s cannot be written: %s"),
                   self->log_path, g_strerror (saved));
      return FALSE;
    }

  /* the DCC's output, stdout and stderr in the order written */
  g_subprocess_launcher_take_stdout_fd (launcher, out);
  g_subprocess_launcher_take_stderr_fd (launcher, dup (out));
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_set_environ (launcher, envp);
  if (workdir != NULL)
    g_subprocess_launcher_set_cwd (launcher, workdir);
  self->process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (self->process == NULL)
    return FALSE;

  identifier = g_subprocess_get_identifier (self->process);
  self->pid = identifier != NULL ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;
  self->running = TRUE;
  self->started_at = g_date_time_new_now_utc ();
  g_subprocess_wait_async (self->process, NULL, on_waited, g_object_ref (self));
  return TRUE;
}

QiLaunchPlan *
qi_launch_get_plan (QiLaunch *self)
{
  return self->plan;
}

const char *
qi_launch_get_id (QiLaunch *self)
{
  return qi_launch_plan_get_id (self->plan);
}

GPid
qi_launch_get_pid (QiLaunch *self)
{
  return self->pid;
}

gboolean
qi_launch_is_running (QiLaunch *self)
{
  return self->running;
}

/* The DCC's hub session, once it connected. */
void
qi_launch_set_session (QiLaunch   *self,
                       const char *session)
{
  g_free (self->session);
  self->session = g_strdup (session);
}

static void
set_time (JsonObject *object,
          const char *member,
          GDateTime  *time)
{
  g_autofree char *text = time != NULL ? g_date_time_format_iso8601 (time) : NULL;

  if (text != NULL)
    json_object_set_string_member (object, member, text);
  else
    json_object_set_null_member (object, member);
}

/**
 * qi_launch_to_json:
 * @self: a started #QiLaunch
 *
 * Returns: (transfer full): the plan's description with `"pid"`, `"log"`,
 *   `"state"` (`running`, `exited`), `"session"`, `"started_at"`,
 *   `"ended_at"`, `"status"` (the exit status, null while it runs or if a
 *   signal ended it) and `"signal"`
 */
JsonNode *
qi_launch_to_json (QiLaunch *self)
{
  JsonNode *node = qi_launch_plan_describe (self->plan);
  JsonObject *object = json_node_get_object (node);

  json_object_set_int_member (object, "pid", self->pid);
  json_object_set_string_member (object, "log", self->log_path);
  json_object_set_string_member (object, "state", self->running ? "running" : "exited");
  if (self->session != NULL)
    json_object_set_string_member (object, "session", self->session);
  else
    json_object_set_null_member (object, "session");
  set_time (object, "started_at", self->started_at);
  set_time (object, "ended_at", self->ended_at);
  if (!self->running && self->status >= 0)
    json_object_set_int_member (object, "status", self->status);
  else
    json_object_set_null_member (object, "status");
  if (self->signal > 0)
    json_object_set_int_member (object, "signal", self->signal);
  else
    json_object_set_null_member (object, "signal");
  return node;
}
