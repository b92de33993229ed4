/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* SideFX Houdini. HOUDINI_PATH replaces Houdini's own folders unless one
 * of its entries is “&”, which stands for them: a value without one gets
 * it last. Houdini runs every python3.Xlibs/pythonrc.py of the path, and
 * the first scripts/123.py and scripts/456.py only, so Qi's call the
 * studio's after them. Windows installs are in folders named after the
 * full build (Houdini 20.5.278): the programs are looked for on PATH. */
static char **
houdini_adjust_environment (QiHost  *host,
                            char   **envp,
                            GError **error)
{
  const char *path = g_environ_getenv (envp, "HOUDINI_PATH");

  if (path != NULL && !qi_host_kit_list_has_entry (path, "&"))
    {
      g_autofree char *with_defaults = g_strconcat (path, G_SEARCHPATH_SEPARATOR_S "&", NULL);

      envp = g_environ_setenv (envp, "HOUDINI_PATH", with_defaults, TRUE);
    }
  return envp;
}

static const QiHostKitSpec houdini = {
  .name = "houdini",
  .label = "Houdini",
  .programs = (const char * const []) { "houdini", "houdinifx", "houdinicore", NULL },
  .linux_paths = (const char * const []) {
    "/opt/hfs21.0/bin/houdini", "/opt/hfs20.5/bin/houdini", "/opt/hfs20.0/bin/houdini",
    "/opt/hfs19.5/bin/houdini", NULL
  },
  .macos_paths = (const char * const []) {
    "/Applications/Houdini/Current/Frameworks/Houdini.framework/Versions/Current/Resources/bin/houdini", NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "HOUDINI_PATH", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
  .adjust_environment = houdini_adjust_environment,
};

QI_HOST_KIT_DEFINE (houdini)
