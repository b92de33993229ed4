/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* Autodesk Maya. Maya runs every userSetup.py on its Python path at start,
 * so Qi's, first on PYTHONPATH, leaves the studio's to run after it;
 * MAYA_SCRIPT_PATH gets the folder for MEL (Qi ships no userSetup.mel,
 * of which Maya runs only the first found), MAYA_MODULE_PATH for qi.mod. */
static const QiHostKitSpec maya = {
  .name = "maya",
  .label = "Autodesk Maya",
  .programs = (const char * const []) { "maya", NULL },
  .linux_paths = (const char * const []) {
    "/usr/autodesk/maya2026/bin/maya", "/usr/autodesk/maya2025/bin/maya",
    "/usr/autodesk/maya2024/bin/maya", "/usr/autodesk/maya2023/bin/maya", NULL
  },
  .windows_paths = (const char * const []) {
    "C:\\Program Files\\Autodesk\\Maya2026\\bin\\maya.exe", "C:\\Program Files\\Autodesk\\Maya2025\\bin\\maya.exe",
    "C:\\Program Files\\Autodesk\\Maya2024\\bin\\maya.exe", NULL
  },
  .macos_paths = (const char * const []) {
    "/Applications/Autodesk/maya2026/Maya.app/Contents/bin/maya",
    "/Applications/Autodesk/maya2025/Maya.app/Contents/bin/maya", NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "PYTHONPATH", "{plugin_folder}" },
    { QI_HOST_KIT_PREPEND, "MAYA_SCRIPT_PATH", "{plugin_folder}" },
    { QI_HOST_KIT_PREPEND, "MAYA_MODULE_PATH", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "-file", "{workfile}", NULL },
};

QI_HOST_KIT_DEFINE (maya)
