/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-application.h"
#include "qi-cli-manager.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void qi_auth_verbs_register (QiCliManager  *cli,
                             QiApplication *app);

G_END_DECLS
