/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prints the completion script of the core commands, at build time. It
 * asks the application's verb registry directly, without bootstrapping, so
 * no configuration of the build machine can change or break the output.
 */
#include "config.h"

#include <stdio.h>

#include <qi/qi.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;

  script = qi_cli_manager_generate_completion (qi_application_get_cli_manager (app),
                                               argc > 1 ? argv[1] : "bash", &error);
  if (script == NULL)
    {
      g_printerr ("qi-gen-completion: %s\n", error->message);
      return 1;
    }

  fputs (script, stdout);
  return 0;
}
