/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-auth-session-table-private.h"

struct _QiAuthSessionTable
{
  QiTokenAuthority *authority;
  GDestroyNotify    data_free;
  GHashTable       *sessions;   /* SHA-256 of the token → Record */
};

/* A GHashTable value destructor gets no user data, so each record
 * carries the table's data_free. */
typedef struct
{
  QiAuthSession  session;
  GDestroyNotify data_free;
} Record;

static void
record_free (gpointer data)
{
  Record *record = data;

  if (record->data_free != NULL && record->session.data != NULL)
    record->data_free (record->session.data);
  g_free (record);
}

/* The key of a token: its digest, so that the table holds no token. */
static char *
token_key (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/*
 * qi_auth_session_table_new:
 * @authority: the authority that signs and checks the sessions' tokens
 * @data_free: (nullable): frees a session's data
 *
 * Returns: (transfer full): an empty table
 */
QiAuthSessionTable *
qi_auth_session_table_new (QiTokenAuthority *authority,
                           GDestroyNotify    data_free)
{
  QiAuthSessionTable *self;

  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (authority), NULL);

  self = g_new0 (QiAuthSessionTable, 1);
  self->authority = g_object_ref (authority);
  self->data_free = data_free;
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, record_free);
  return self;
}

/*
 * qi_auth_session_table_free:
 * @self: (nullable): a table
 *
 * Frees the table and ends all its sessions.
 */
void
qi_auth_session_table_free (QiAuthSessionTable *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->sessions);
  g_object_unref (self->authority);
  g_free (self);
}

/*
 * qi_auth_session_table_open:
 * @self: a table
 * @username: who the session is for: the token's subject is `user/NAME`
 * @lifetime_s: how long the session lasts, in seconds
 * @data: (transfer full) (nullable): what the provider keeps in the
 *   session; freed here if the session cannot be opened
 * @token: (out) (transfer full): the new session's token
 * @error: return location for a #GError
 *
 * Issues a token with the scopes `hub` and `api` and records its session.
 *
 * Returns: (transfer none): the session, valid until it is forgotten or
 *   purged, or %NULL: %QI_AUTH_ERROR_FAILED
 */
QiAuthSession *
qi_auth_session_table_open (QiAuthSessionTable  *self,
                            const char          *username,
                            guint                lifetime_s,
                            gpointer             data,
                            char               **token,
                            GError             **error)
{
  const char * const scopes[] = { QI_TOKEN_SCOPE_HUB, QI_TOKEN_SCOPE_API, NULL };
  g_autofree char *subject = g_strdup_printf ("user/%s", username);
  g_autofree char *issued = NULL;
  g_autoptr(QiToken) claims = NULL;
  g_autoptr(GError) local_error = NULL;
  Record *record;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  issued = qi_token_authority_issue (self->authority, subject, NULL, scopes, lifetime_s, &local_error);
  /* the expiry is the token's own, read back from it, so that the record
   * and the token cannot disagree */
  if (issued != NULL)
    claims = qi_token_authority_verify (self->authority, issued, &local_error);
  if (claims == NULL)
    {
      if (self->data_free != NULL && data != NULL)
        self->data_free (data);
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, _("cannot open a session for “%s”: %s"),
                   username, local_error->message);
      return NULL;
    }
  record = g_new0 (Record, 1);
  record->data_free = self->data_free;
  record->session.data = data;
  record->session.expires_at = qi_token_get_expires_at (claims);
  g_hash_table_replace (self->sessions, token_key (issued), record);

  *token = g_steal_pointer (&issued);
  return &record->session;
}

/*
 * qi_auth_session_table_find:
 * @self: a table
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Checks @token: signed by the table's authority, unexpired, and not
 * logged out or refreshed. An expired token's record is forgotten.
 *
 * Returns: (transfer none): the session, valid until it is forgotten or
 *   purged, or %NULL: %QI_AUTH_ERROR_EXPIRED, %QI_AUTH_ERROR_INVALID_TOKEN
 */
QiAuthSession *
qi_auth_session_table_find (QiAuthSessionTable  *self,
                            const char          *token,
                            GError             **error)
{
  g_autoptr(QiToken) claims = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *digest = NULL;
  Record *record;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);

  digest = token_key (token);
  claims = qi_token_authority_verify (self->authority, token, &local_error);
  if (claims == NULL)
    {
      if (g_error_matches (local_error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_EXPIRED))
        {
          g_hash_table_remove (self->sessions, digest);
          g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXPIRED,
                               _("the session has expired: log in again"));
        }
      else
        g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                     _("the token is not a session of this Qi: %s"), local_error->message);
      return NULL;
    }
  record = g_hash_table_lookup (self->sessions, digest);
  if (record == NULL)
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                           _("the session has ended (logged out or replaced by a refresh): log in again"));
      return NULL;
    }
  return &record->session;
}

/*
 * qi_auth_session_table_forget:
 * @self: a table
 * @token: a session's token
 *
 * Ends the session of @token, if it has one: its token is refused from
 * now on, signed and unexpired as it may be.
 */
void
qi_auth_session_table_forget (QiAuthSessionTable *self,
                              const char         *token)
{
  g_autofree char *digest = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (token != NULL);

  digest = token_key (token);
  g_hash_table_remove (self->sessions, digest);
}

/*
 * qi_auth_session_table_purge_expired:
 * @self: a table
 *
 * Forgets the expired sessions. Nothing else would: a client that never
 * logs out leaves its record behind, so the providers purge at each login.
 */
void
qi_auth_session_table_purge_expired (QiAuthSessionTable *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GHashTableIter iter;
  Record *record;

  g_return_if_fail (self != NULL);

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    if (record->session.expires_at <= now)
      g_hash_table_iter_remove (&iter);
}
