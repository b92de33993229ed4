/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A module built for another ABI: its registration function must never
 * run, so it aborts if it does. */
#include "config.h"

#include <stdlib.h>

#include <qi/qi.h>

G_MODULE_EXPORT extern const guint32 qi_addon_abi_version;
G_MODULE_EXPORT const guint32 qi_addon_abi_version = QI_ADDON_ABI_VERSION + 41;

G_MODULE_EXPORT GType qi_addon_module_register (GTypeModule *module);

G_MODULE_EXPORT GType
qi_addon_module_register (GTypeModule *module)
{
  abort ();
}
