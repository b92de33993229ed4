/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-addon-manager.h"
#include "qi-application.h"
#include "qi-cli-manager.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void            qi_addon_verbs_register     (QiCliManager   *cli,
                                             QiApplication  *app);
G_GNUC_INTERNAL
QiAddonManager *qi_addon_manager_new_for_launch (QiLaunchConfig *launch);

G_END_DECLS
