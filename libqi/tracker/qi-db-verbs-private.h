/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-cli-manager.h"
#include "qi-db-adapter.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void     qi_db_verbs_register (QiCliManager  *cli);

G_GNUC_INTERNAL
gboolean qi_db_seed_demo      (QiDbAdapter   *adapter,
                               GError       **error);

G_GNUC_INTERNAL
void qi_db_file_verbs_register (QiCliManager  *cli);

G_END_DECLS
