/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-db-adapter.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_DB_MAX_NAME:
 *
 * The longest name of a project, context, task, product or user, in
 * bytes.
 */
#define QI_DB_MAX_NAME 255

/**
 * QiDbVersionSpec: (skip)
 * @product: the product's id, as given (not checked against the tracker)
 * @task: (nullable): the task's id, as given
 * @author: (nullable): the author's username
 * @comment: the comment, "" when none
 * @status: (nullable): the status name
 * @metadata: the metadata as compact JSON text
 * @components: the components, checked (borrowed from the object the
 *   spec was read from)
 * @number: the number the version must get, 0 for the next one
 *
 * A version to create, read from the object of
 * qi_db_adapter_create_version() by qi_db_version_spec_check(); clear it
 * with qi_db_version_spec_clear().
 */
typedef struct
{
  const char *product;
  const char *task;
  const char *author;
  const char *comment;
  const char *status;
  char       *metadata;
  JsonArray  *components;
  gint64      number;
} QiDbVersionSpec;

QI_AVAILABLE_IN_ALL
void      qi_db_version_spec_clear (QiDbVersionSpec  *spec);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QiDbVersionSpec, qi_db_version_spec_clear)

QI_AVAILABLE_IN_ALL
gboolean  qi_db_check_name         (const char       *what,
                                    const char       *name,
                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean  qi_db_check_kind         (const char       *kind,
                                    GError          **error);
QI_AVAILABLE_IN_ALL
char     *qi_db_normalize_path     (const char       *path,
                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean  qi_db_read_metadata      (JsonObject       *object,
                                    const char       *where,
                                    char            **text,
                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean  qi_db_version_spec_check (JsonObject       *object,
                                    QiDbVersionSpec  *spec,
                                    GError          **error);

G_END_DECLS
