/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include <glib-object.h>


G_BEGIN_DECLS

/**
 * QI_SQLITE_ADAPTER_SCHEMA_VERSION:
 *
 * The newest schema version of the embedded tracker this Qi knows (its
 * file's `PRAGMA user_version`). An older file is migrated forward when
 * it is opened; a newer one is refused.
 */
#define QI_SQLITE_ADAPTER_SCHEMA_VERSION 3

#define QI_TYPE_SQLITE_ADAPTER (qi_sqlite_adapter_get_type ())

G_DECLARE_FINAL_TYPE (QiSqliteAdapter, qi_sqlite_adapter, QI, SQLITE_ADAPTER, GObject)

QiSqliteAdapter *qi_sqlite_adapter_new                (const char       *path);
const char      *qi_sqlite_adapter_get_path           (QiSqliteAdapter  *self);
gboolean         qi_sqlite_adapter_open               (QiSqliteAdapter  *self,
                                                       GError          **error);
gboolean         qi_sqlite_adapter_is_open            (QiSqliteAdapter  *self);
void             qi_sqlite_adapter_close              (QiSqliteAdapter  *self);
gboolean         qi_sqlite_adapter_begin_batch        (QiSqliteAdapter  *self,
                                                       GError          **error);
gboolean         qi_sqlite_adapter_commit_batch       (QiSqliteAdapter  *self,
                                                       GError          **error);
void             qi_sqlite_adapter_rollback_batch     (QiSqliteAdapter  *self);
int              qi_sqlite_adapter_get_schema_version (QiSqliteAdapter  *self);

G_END_DECLS
