/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-auth-provider.h"
#include "qi-token-authority.h"

G_BEGIN_DECLS

/*
 * The in-memory sessions of a #QiAuthProvider that issues its own tokens:
 * the local provider and the ftrack one. Both had a copy of this table;
 * what a session holds (a username to look up in the tracker, a user
 * ftrack described at login) is theirs, the rest is here.
 *
 * A session is a token of the table's #QiTokenAuthority (scopes `hub` and
 * `api`, subject `user/NAME`) and a record keyed by the SHA-256 of the
 * token, so that the table holds no token that could be replayed.
 * Forgetting a record ends its session even though the token is still
 * signed and unexpired: that is how logout and refresh work. The records
 * live in the process only, as the authority's key does.
 *
 * The messages are the auth verbs' and the REST API's: clients and tests
 * compare them, so they stay word for word what the two providers said.
 */

typedef struct
{
  gpointer data;        /* the provider's, freed by the table's GDestroyNotify */
  gint64   expires_at;  /* seconds since the Unix epoch: the token's `exp` */
} QiAuthSession;

typedef struct _QiAuthSessionTable QiAuthSessionTable;

G_GNUC_INTERNAL
QiAuthSessionTable *qi_auth_session_table_new           (QiTokenAuthority    *authority,
                                                         GDestroyNotify       data_free);
G_GNUC_INTERNAL
void                qi_auth_session_table_free          (QiAuthSessionTable  *self);

G_GNUC_INTERNAL
QiAuthSession      *qi_auth_session_table_open          (QiAuthSessionTable  *self,
                                                         const char          *username,
                                                         guint                lifetime_s,
                                                         gpointer             data,
                                                         char               **token,
                                                         GError             **error);
G_GNUC_INTERNAL
QiAuthSession      *qi_auth_session_table_find          (QiAuthSessionTable  *self,
                                                         const char          *token,
                                                         GError             **error);
G_GNUC_INTERNAL
void                qi_auth_session_table_forget        (QiAuthSessionTable  *self,
                                                         const char          *token);
G_GNUC_INTERNAL
void                qi_auth_session_table_purge_expired (QiAuthSessionTable  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QiAuthSessionTable, qi_auth_session_table_free)

G_END_DECLS
