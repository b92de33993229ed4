/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/*
 * DaVinci Resolve. Its scripting is the API of Blackmagic's
 * Developer/Scripting/README.txt: RESOLVE_SCRIPT_API (the Scripting
 * folder), RESOLVE_SCRIPT_LIB (fusionscript) and the API's Modules/ on
 * PYTHONPATH; a studio's own values are kept. Scripts reach Resolve's
 * menu (Workspace → Scripts) only from the Fusion/Scripts folders the
 * README lists — all users: /opt/resolve/Fusion/Scripts (or
 * /home/resolve/…), one user: ~/.local/share/DaVinciResolve/Fusion/Scripts
 * — and no variable adds another: Qi's Utility/Qi.py (in the plugin
 * folder's Fusion/Scripts/Utility/) must be linked into one of them by
 * whoever installs Qi. What cannot be checked here (no Resolve runs on
 * this machine): that a newer Resolve still reads only those folders, and
 * that it opens a project archive (.drp) named on its command line.
 */
#if defined(G_OS_WIN32)
#define SCRIPT_API "C:\\ProgramData\\Blackmagic Design\\DaVinci Resolve\\Support\\Developer\\Scripting"
#define SCRIPT_LIB "C:\\Program Files\\Blackmagic Design\\DaVinci Resolve\\fusionscript.dll"
#elif defined(__APPLE__)
#define SCRIPT_API "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting"
#define SCRIPT_LIB "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/fusionscript.so"
#else
#define SCRIPT_API "/opt/resolve/Developer/Scripting"
#define SCRIPT_LIB "/opt/resolve/libs/Fusion/fusionscript.so"
#endif

static char **
resolve_adjust_environment (QiHost  *host,
                            char   **envp,
                            GError **error)
{
  g_autofree char *modules = NULL;
  const char *python;

  envp = qi_host_kit_setenv_default (envp, "RESOLVE_SCRIPT_API", SCRIPT_API);
  envp = qi_host_kit_setenv_default (envp, "RESOLVE_SCRIPT_LIB", SCRIPT_LIB);
  modules = g_build_filename (g_environ_getenv (envp, "RESOLVE_SCRIPT_API"), "Modules", NULL);
  python = g_environ_getenv (envp, "PYTHONPATH");
  if (!qi_host_kit_list_has_entry (python, modules))
    {
      /* after Qi's package, which the kit put first */
      g_autofree char *list = python != NULL && *python != '\0'
                                ? g_strconcat (python, G_SEARCHPATH_SEPARATOR_S, modules, NULL)
                                : g_strdup (modules);

      envp = g_environ_setenv (envp, "PYTHONPATH", list, TRUE);
    }
  return envp;
}

static const QiHostKitSpec resolve = {
  .name = "resolve",
  .label = "DaVinci Resolve",
  .programs = (const char * const []) { "resolve", NULL },
  .linux_paths = (const char * const []) { "/opt/resolve/bin/resolve", "/home/resolve/bin/resolve", NULL },
  .windows_paths = (const char * const []) {
    "C:\\Program Files\\Blackmagic Design\\DaVinci Resolve\\Resolve.exe", NULL
  },
  .macos_paths = (const char * const []) {
    "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/MacOS/Resolve", NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_SET, "QI_RESOLVE_SCRIPTS", "{plugin_folder}/Fusion/Scripts" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
  .adjust_environment = resolve_adjust_environment,
};

QI_HOST_KIT_DEFINE (resolve)
