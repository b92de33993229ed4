/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prints the completion script at build time: the core commands, from the
 * application's verb registry, and those the addons built beside them
 * declare (their addon.toml). It bootstraps nothing, so no configuration
 * of the build machine can change or break the output.
 *
 *   qi-gen-completion SHELL [ADDON-DIR]
 */
#include "config.h"

#include <stdio.h>

#include <qi/qi.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(QiAddonManager) addons = qi_addon_manager_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_auto(GStrv) declared = NULL;

  if (argc > 2)
    qi_addon_manager_add_search_path (addons, argv[2]);
  qi_addon_manager_discover (addons);
  declared = qi_addon_manager_dup_declared_verbs (addons);
  script = qi_cli_manager_generate_completion_with (qi_application_get_cli_manager (app),
                                                    argc > 1 ? argv[1] : "bash",
                                                    (const char * const *) declared, &error);
  if (script == NULL)
    {
      g_printerr ("qi-gen-completion: %s\n", error->message);
      return 1;
    }

  fputs (script, stdout);
  return 0;
}
