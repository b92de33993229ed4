/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-addon-info.h"

G_BEGIN_DECLS

/* Looks for the addon's plugin folders (plugins/KIND); the manager calls
 * it when the addon loads, so that discovery stats none of them. */
G_GNUC_INTERNAL
void qi_addon_info_find_plugin_folders (QiAddonInfo *self);

G_END_DECLS
