/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* Foundry Hiero: Nuke's program started with --hiero (unless the
 * application's arguments ask for --studio). Hiero imports the
 * Python/Startup/ modules of each folder of HIERO_PLUGIN_PATH. */
static gboolean
hiero_adjust_arguments (QiHost     *host,
                        GPtrArray  *argv,
                        GError    **error)
{
  static const char * const modes[] = { "--hiero", "--studio", NULL };

  if (!qi_host_kit_argv_has (argv, modes))
    g_ptr_array_insert (argv, 1, g_strdup ("--hiero"));
  return TRUE;
}

static const QiHostKitSpec hiero = {
  .name = "hiero",
  .label = "Hiero",
  .programs = (const char * const []) {
    "Nuke16.0", "Nuke15.2", "Nuke15.1", "Nuke15.0", "Nuke14.1", "Nuke14.0", "Nuke13.2", NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "HIERO_PLUGIN_PATH", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
  .adjust_arguments = hiero_adjust_arguments,
};

QI_HOST_KIT_DEFINE (hiero)
