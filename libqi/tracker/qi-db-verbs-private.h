/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-cli-manager.h"

G_BEGIN_DECLS

/* `qi --headless db stats | doctor`: the run's tracker, whichever
 * provider addon gave it. */
G_GNUC_INTERNAL
void qi_db_verbs_register (QiCliManager *cli);

G_END_DECLS
