/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qi-host-kit.h"

/* Adobe Substance 3D Painter. Each folder of
 * SUBSTANCE_PAINTER_PLUGINS_PATH is a plugin root: Painter starts the
 * modules of its startup/ and puts its modules/ on the Python path. */
static const QiHostKitSpec substance_painter = {
  .name = "substance-painter",
  .label = "Substance 3D Painter",
  .linux_paths = (const char * const []) {
    "/opt/Adobe/Adobe_Substance_3D_Painter/Adobe_Substance_3D_Painter",
    "/opt/Allegorithmic/Substance_Painter/Substance Painter", NULL
  },
  .windows_paths = (const char * const []) {
    "C:\\Program Files\\Adobe\\Adobe Substance 3D Painter\\Adobe Substance 3D Painter.exe", NULL
  },
  .macos_paths = (const char * const []) {
    "/Applications/Adobe Substance 3D Painter/Adobe Substance 3D Painter.app/Contents/MacOS/Adobe Substance 3D Painter",
    NULL
  },
  .environment = (const QiHostKitEnv []) {
    { QI_HOST_KIT_PREPEND, "SUBSTANCE_PAINTER_PLUGINS_PATH", "{plugin_folder}" },
    { 0, NULL, NULL }
  },
  .workfile_arguments = (const char * const []) { "{workfile}", NULL },
};

QI_HOST_KIT_DEFINE (substance_painter)
