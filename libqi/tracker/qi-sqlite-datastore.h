/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-sqlite-adapter.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_PROJECT_FILE_FORMAT:
 *
 * The `format` of a project file: `qi-project`, at `version` 1.
 */
#define QI_PROJECT_FILE_FORMAT "qi-project"

QI_AVAILABLE_IN_ALL
JsonNode *qi_sqlite_adapter_export_project (QiSqliteAdapter  *self,
                                            const char       *project,
                                            GError          **error);
QI_AVAILABLE_IN_ALL
gboolean  qi_sqlite_adapter_import_project (QiSqliteAdapter  *self,
                                            JsonNode         *document,
                                            const char       *source,
                                            GError          **error);

G_END_DECLS
