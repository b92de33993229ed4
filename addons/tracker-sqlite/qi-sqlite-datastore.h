/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include <json-glib/json-glib.h>

#include "qi-sqlite-adapter.h"

G_BEGIN_DECLS

/**
 * QI_PROJECT_FILE_FORMAT:
 *
 * The `format` of a project file: `qi-project`, at `version` 1.
 */
#define QI_PROJECT_FILE_FORMAT "qi-project"

JsonNode *qi_sqlite_adapter_export_project (QiSqliteAdapter  *self,
                                            const char       *project,
                                            GError          **error);
gboolean  qi_sqlite_adapter_import_project (QiSqliteAdapter  *self,
                                            JsonNode         *document,
                                            const char       *source,
                                            GError          **error);

G_END_DECLS
