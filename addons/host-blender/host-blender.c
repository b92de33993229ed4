/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* Blender. BLENDER_USER_SCRIPTS is one folder, not a list: it becomes the
 * plugin folder (its startup/ holds Qi's start-up module, its modules/
 * qi_blender), and the studio's previous value moves to
 * QI_BLENDER_STUDIO_SCRIPTS, whose startup modules and addons Qi's
 * start-up code loads too. In the background (--background, -b) Blender
 * has no event loop and exits once its arguments are done: without a
 * script of the user's, Qi's serves the hub until host.quit. */
static char **
blender_adjust_environment (QiHost  *host,
                            char   **envp,
                            GError **error)
{
  const char *folder = qi_host_get_plugin_folder (host);
  const char *studio = g_environ_getenv (envp, "BLENDER_USER_SCRIPTS");

  /* Built again from a Qi-launched environment, it keeps the first value. */
  if (studio != NULL && *studio != '\0' && g_strcmp0 (studio, folder) != 0)
    envp = g_environ_setenv (envp, "QI_BLENDER_STUDIO_SCRIPTS", studio, TRUE);
  return g_environ_setenv (envp, "BLENDER_USER_SCRIPTS", folder, TRUE);
}

static gboolean
blender_adjust_arguments (QiHost     *host,
                          GPtrArray  *argv,
                          GError    **error)
{
  static const char * const background[] = { "--background", "-b", NULL };
  static const char * const scripts[] = {
    "--python", "-P", "--python-expr", "--python-text", "--python-console", NULL
  };
  static const char * const exit_code[] = { "--python-exit-code", NULL };
  guint at = argv->len;

  if (!qi_host_kit_argv_has (argv, background) || qi_host_kit_argv_has (argv, scripts))
    return TRUE;
  /* Blender's own arguments end at “--”; what follows is the scripts'. */
  for (guint i = 1; i < argv->len; i++)
    if (g_str_equal (argv->pdata[i], "--"))
      {
        at = i;
        break;
      }
  if (!qi_host_kit_argv_has (argv, exit_code))
    {
      g_ptr_array_insert (argv, at++, g_strdup ("--python-exit-code"));
      g_ptr_array_insert (argv, at++, g_strdup ("1"));
    }
  g_ptr_array_insert (argv, at++, g_strdup ("--python-expr"));
  g_ptr_array_insert (argv, at, g_strdup ("import qi_blender; qi_blender.serve_background()"));
  return TRUE;
}

static const QiHostKitSpec blender = {
  .name = "blender",
  .label = "Blender",
  .programs = (const char * const []) { "blender", NULL },
  .linux_paths = (const char * const []) { "/opt/blender/blender", "/snap/bin/blender", NULL },
  .windows_paths = (const char * const []) {
    "C:\\Program Files\\Blender Foundation\\Blender 4.2\\blender.exe",
    "C:\\Program Files\\Blender Foundation\\Blender 3.6\\blender.exe", NULL
  },
  .macos_paths = (const char * const []) { "/Applications/Blender.app/Contents/MacOS/Blender", NULL },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
  .adjust_environment = blender_adjust_environment,
  .adjust_arguments = blender_adjust_arguments,
};

QI_HOST_KIT_DEFINE (blender)
