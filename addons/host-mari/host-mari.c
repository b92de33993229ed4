/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* Foundry Mari. Mari runs the Python scripts of each folder of
 * MARI_SCRIPT_PATH at start. A Mari project lives in Mari's cache; the
 * workfile is its archive (.mra), which Mari is given on the command line
 * (from Foundry's documentation: no Mari runs here to check it). Installs
 * are per patch release (/usr/local/Mari7.0v2/): found on PATH. */
static const QiHostKitSpec mari = {
  .name = "mari",
  .label = "Mari",
  .programs = (const char * const []) { "mari", "Mari7.0", "Mari6.0", NULL },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "MARI_SCRIPT_PATH", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
};

QI_HOST_KIT_DEFINE (mari)
