/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-addon.h"

G_BEGIN_DECLS

/* The lifecycle, run by QiAddonManager. register and install return FALSE
 * with @error when the addon failed; what it added is then removed. */
G_GNUC_INTERNAL
gboolean qi_addon_run_register (QiAddon  *self,
                                GError  **error);
G_GNUC_INTERNAL
gboolean qi_addon_run_install  (QiAddon  *self,
                                GError  **error);
G_GNUC_INTERNAL
void     qi_addon_run_close    (QiAddon  *self);

/* The manager that loads @self, asked whether a host name or a workfile
 * extension is another addon's already; not a reference. */

G_END_DECLS
