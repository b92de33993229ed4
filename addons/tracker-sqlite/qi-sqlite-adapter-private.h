/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include <sqlite3.h>

#include "qi-sqlite-adapter.h"

G_BEGIN_DECLS

/* The adapter's connection, opened (and migrated) if it was not. */
G_GNUC_INTERNAL
GRecMutex *qi_sqlite_adapter_get_lock (QiSqliteAdapter  *self);
G_GNUC_INTERNAL
sqlite3 *qi_sqlite_adapter_get_handle (QiSqliteAdapter  *self,
                                       GError          **error);
/*
 * The logins of the embedded tracker (schema 2), for
 * QiLocalAuthProvider only: they are not part of the tracker-neutral
 * API, and no JSON they return ever holds a password hash.
 *
 * A user object here has the fields of a tracker user (id, username,
 * full_name, email) and `roles`, an array of `artist` and `admin`.
 */

G_GNUC_INTERNAL
JsonNode *qi_sqlite_adapter_create_login (QiSqliteAdapter    *self,
                                          const char         *username,
                                          const char         *full_name,
                                          const char         *email,
                                          const char         *password_hash,
                                          const char * const *roles,
                                          GError            **error);
G_GNUC_INTERNAL
JsonNode *qi_sqlite_adapter_lookup_login (QiSqliteAdapter    *self,
                                          const char         *username,
                                          char              **password_hash,
                                          GError            **error);
G_GNUC_INTERNAL
JsonNode *qi_sqlite_adapter_list_logins  (QiSqliteAdapter    *self,
                                          GError            **error);
G_GNUC_INTERNAL
gboolean  qi_sqlite_adapter_set_login_password (QiSqliteAdapter  *self,
                                                const char       *username,
                                                const char       *password_hash,
                                                GError          **error);

G_END_DECLS
