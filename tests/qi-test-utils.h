/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <qi/qi.h>

/*
 * Helpers shared by the test programs: a scratch directory per test with
 * its own XDG directories, so that no configuration of the machine running
 * the tests leaks in, and an environment that points at it.
 */

typedef struct
{
  char  *root;         /* the scratch directory */
  char  *config_home; /* $XDG_CONFIG_HOME */
  char  *config_dirs; /* $XDG_CONFIG_DIRS (one directory) */
  char  *data_home;   /* $XDG_DATA_HOME */
  char  *home;        /* $HOME */
  GStrv  envp;
} QiTestEnv;

static inline void
qi_test_env_write (const char *path,
                   const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static inline void
qi_test_env_setup (QiTestEnv *env)
{
  g_autoptr(GError) error = NULL;

  env->root = g_dir_make_tmp ("qi-test-XXXXXX", &error);
  g_assert_no_error (error);
  env->config_home = g_build_filename (env->root, "config", NULL);
  env->config_dirs = g_build_filename (env->root, "etc-xdg", NULL);
  env->data_home = g_build_filename (env->root, "data", NULL);
  env->home = g_build_filename (env->root, "home", NULL);

  env->envp = g_new0 (char *, 1);
  env->envp = g_environ_setenv (env->envp, "HOME", env->home, TRUE);
  env->envp = g_environ_setenv (env->envp, "XDG_CONFIG_HOME", env->config_home, TRUE);
  env->envp = g_environ_setenv (env->envp, "XDG_CONFIG_DIRS", env->config_dirs, TRUE);
  env->envp = g_environ_setenv (env->envp, "XDG_DATA_HOME", env->data_home, TRUE);
  /* the build tree's addons: the tracker addons qi cannot run without */
  if (g_getenv ("QI_ADDON_DIR") != NULL)
    env->envp = g_environ_setenv (env->envp, "QI_ADDON_DIR", g_getenv ("QI_ADDON_DIR"), TRUE);
}

static inline void
qi_test_env_setenv (QiTestEnv  *env,
                    const char *name,
                    const char *value)
{
  env->envp = g_environ_setenv (env->envp, name, value, TRUE);
}

/* Writes $XDG_CONFIG_HOME/qi/qi.toml, or the system one. */
static inline char *
qi_test_env_write_config (QiTestEnv  *env,
                          gboolean    system,
                          const char *contents)
{
  char *path = g_build_filename (system ? env->config_dirs : env->config_home,
                                 "qi", "qi.toml", NULL);

  qi_test_env_write (path, contents);
  return path;
}

/* Removes @path and what is below it, never following a link. */
static inline void
qi_test_remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      GDir *dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          qi_test_remove_tree (child);
        }
      if (dir != NULL)
        g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

/* Keeps what the sanitizers, GLib and the locale need from the test's own
 * environment in @env, for the qi processes a test runs. */
static inline void
qi_test_env_keep_runtime (QiTestEnv *env)
{
  for (const char * const *name = (const char * const []) {
         "PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "G_DEBUG", "G_SLICE",
         "LANG", "LC_ALL", NULL };
       *name != NULL; name++)
    if (g_getenv (*name) != NULL)
      qi_test_env_setenv (env, *name, g_getenv (*name));
}

static inline void
qi_test_env_teardown (QiTestEnv *env)
{
  qi_test_remove_tree (env->root);
  g_free (env->root);
  g_free (env->config_home);
  g_free (env->config_dirs);
  g_free (env->data_home);
  g_free (env->home);
  g_strfreev (env->envp);
}

/* Closes a memory stream and returns what was written to it, as a string. */
static inline char *
qi_test_steal_text (GOutputStream *stream)
{
  g_output_stream_write_all (stream, "", 1, NULL, NULL, NULL);
  g_output_stream_close (stream, NULL, NULL);
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (stream));
}

/* Runs the built qi ($QI_EXE) with @launcher's environment and the
 * arguments after @err (NULL-terminated); returns its exit status, with
 * what it printed in *@out and *@err (replacing what they held). */
static inline int
qi_test_run_qi (GSubprocessLauncher  *launcher,
                char                **out,
                char                **err,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("QI_EXE"));
  va_start (args, err);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_clear_pointer (out, g_free);
  g_clear_pointer (err, g_free);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

/* Like qi_test_run_qi(), with the NULL-terminated @args and @input
 * written to its stdin (@launcher needs G_SUBPROCESS_FLAGS_STDIN_PIPE). */
static inline int
qi_test_run_qi_input (GSubprocessLauncher  *launcher,
                      const char           *input,
                      char                **out,
                      char                **err,
                      const char * const   *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("QI_EXE"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_clear_pointer (out, g_free);
  g_clear_pointer (err, g_free);
  /* A command that fails before it reads its input (a usage error) closes
   * the pipe: the input (small: it must fit a pipe's buffer) is written
   * first, a broken pipe is no failure of
   * the test (and no SIGPIPE), and the command's output is read whole. */
  signal (SIGPIPE, SIG_IGN);
  if (input != NULL && g_subprocess_get_stdin_pipe (process) != NULL)
    {
      GOutputStream *stdin_pipe = g_subprocess_get_stdin_pipe (process);
      g_autoptr(GError) write_error = NULL;

      if (!g_output_stream_write_all (stdin_pipe, input, strlen (input), NULL, NULL, &write_error))
        g_assert_error (write_error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
    }
  /* "" writes nothing more, then closes the command's input */
  g_subprocess_communicate_utf8 (process, input != NULL ? "" : NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

typedef struct
{
  JsonNode *payload;
  GError   *error;
  gboolean  done;
} QiTestAnswer;

static inline void
qi_test_on_answer (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  QiTestAnswer *answer = user_data;

  answer->payload = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &answer->error);
  answer->done = TRUE;
}

/* Sends a request from @endpoint with the JSON text @payload and spins
 * the main context until the answer: its payload, or NULL with @error. */
static inline JsonNode *
qi_test_ask (QiHubEndpoint  *endpoint,
             const char     *topic,
             const char     *payload,
             GError        **error)
{
  g_autoptr(JsonNode) node = json_from_string (payload, NULL);
  QiTestAnswer answer = { 0 };

  qi_hub_endpoint_request_async (endpoint, topic, node, 5000, NULL, qi_test_on_answer, &answer);
  while (!answer.done)
    g_main_context_iteration (NULL, TRUE);
  if (answer.error != NULL)
    g_propagate_error (error, answer.error);
  return answer.payload;
}
