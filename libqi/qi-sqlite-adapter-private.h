/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sqlite3.h>

#include "qi-sqlite-adapter.h"

G_BEGIN_DECLS

/* The adapter's connection, opened (and migrated) if it was not. */
G_GNUC_INTERNAL
sqlite3 *qi_sqlite_adapter_get_handle (QiSqliteAdapter  *self,
                                       GError          **error);

G_END_DECLS
