/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* 3DEqualizer4. It reads the Python scripts of each folder of
 * PYTHON_CUSTOM_SCRIPTS_3DE4, running at start those whose header says
 * “# 3DE4.script.startup: true”; `-open FILE` opens a project (from
 * Science-D-Visions' documentation: no 3DE4 runs here to check it). */
static const QiHostKitSpec tde = {
  .name = "3de",
  .label = "3DEqualizer4",
  .programs = (const char * const []) { "3DE4", NULL },
  .linux_paths = (const char * const []) {
    "/opt/3DE4_r8.0/bin/3DE4", "/opt/3DE4_r7.1/bin/3DE4", "/opt/3DE4_r7.0/bin/3DE4", NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "PYTHON_CUSTOM_SCRIPTS_3DE4", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "-open", "{workfile}", NULL },
};

QI_HOST_KIT_DEFINE (tde)
