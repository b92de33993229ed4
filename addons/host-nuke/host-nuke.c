/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* Foundry Nuke. Nuke runs the init.py (every mode) and menu.py (with its
 * interface) of each folder of NUKE_PATH, so the studio's run after Qi's.
 * Foundry installs to a folder per patch release (/usr/local/Nuke15.1v5/,
 * C:\Program Files\Nuke15.1v5\), which no fixed list can name: the
 * programs are looked for on PATH. */
static const QiHostKitSpec nuke = {
  .name = "nuke",
  .label = "Nuke",
  .programs = (const char * const []) {
    "Nuke16.0", "Nuke15.2", "Nuke15.1", "Nuke15.0", "Nuke14.1", "Nuke14.0", "Nuke13.2", NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "NUKE_PATH", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
};

QI_HOST_KIT_DEFINE (nuke)
