/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-cli-manager.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void qi_bundle_verbs_register (QiCliManager  *cli);

G_END_DECLS
