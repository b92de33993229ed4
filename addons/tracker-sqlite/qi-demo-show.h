/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

/* Creates the project "demo": two sequences of three shots, three asset
 * builds, tasks per department, five users, a few published versions and
 * their links. The caller makes it one transaction. */
gboolean qi_db_seed_demo (QiDbAdapter  *adapter,
                          GError      **error);

G_END_DECLS
