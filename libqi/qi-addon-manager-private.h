/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-addon-manager.h"

G_BEGIN_DECLS

/* The loaded addon, other than @except, that has the host @name. */
G_GNUC_INTERNAL
QiAddon           *qi_addon_manager_find_host_owner     (QiAddonManager *self,
                                                         QiAddon        *except,
                                                         const char     *name);
/* The handler of a loaded addon other than @except for @extension and
 * @host (NULL: the handlers of no particular host), with its addon. */
G_GNUC_INTERNAL
QiWorkfileHandler *qi_addon_manager_find_extension_owner (QiAddonManager *self,
                                                          QiAddon        *except,
                                                          const char     *host,
                                                          const char     *extension,
                                                          QiAddon       **owner);

G_END_DECLS
