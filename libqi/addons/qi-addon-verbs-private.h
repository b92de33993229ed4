/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-addon-manager.h"
#include "qi-launch-config.h"
#include "qi-cli-invocation.h"
#include "qi-cli-manager.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void            qi_addon_verbs_register (QiCliManager   *cli);
G_GNUC_INTERNAL
QiAddonManager *qi_addon_manager_new_for_launch (QiLaunchConfig *launch);
/* The application's addon manager for a verb whose user data is the
 * application's weak reference; NULL (said on stderr) if it has none. */
G_GNUC_INTERNAL
QiAddonManager *qi_addon_verbs_dup_manager  (QiCliInvocation *invocation,
                                             gpointer         user_data);
/* `qi --headless hosts list | env` (qi-host-verbs.c). */
G_GNUC_INTERNAL
void            qi_host_verbs_register (QiCliManager   *cli);

G_END_DECLS
