/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "qi-ftrack-keyring-private.h"

static const SecretSchema *
schema (void)
{
  static const SecretSchema the_schema = {
    QI_FTRACK_KEYRING_SCHEMA, SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "api_user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &the_schema;
}

/* Copies of the values: libsecret keeps the table past the call (the
 * store waits for the Secret Service). */
static GHashTable *
attributes (const char *server,
            const char *api_user)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (server != NULL)
    g_hash_table_insert (table, (gpointer) "server", g_strdup (server));
  if (api_user != NULL)
    g_hash_table_insert (table, (gpointer) "api_user", g_strdup (api_user));
  return table;
}

static gboolean
fail (GError      **error,
      GError       *cause,
      const char   *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("the desktop keyring cannot %s: %s"), what,
               cause != NULL ? cause->message : _("no Secret Service answers"));
  g_clear_error (&cause);
  return FALSE;
}

gboolean
qi_ftrack_keyring_store (const char  *server,
                         const char  *api_user,
                         const char  *api_key,
                         GError     **error)
{
  g_autoptr(GHashTable) table = attributes (server, api_user);
  g_autofree char *label = g_strdup_printf (_("Qi: ftrack API key of %s at %s"), api_user, server);
  GError *local_error = NULL;

  if (!secret_password_storev_sync (schema (), table, SECRET_COLLECTION_DEFAULT, label, api_key, NULL,
                                    &local_error))
    return fail (error, local_error, _("store the API key"));
  return TRUE;
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      GError *wrapped = NULL;

      fail (&wrapped, error, _("store the API key"));
      g_task_return_error (task, wrapped);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
qi_ftrack_keyring_store_async (const char          *server,
                               const char          *api_user,
                               const char          *api_key,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GHashTable) table = attributes (server, api_user);
  g_autofree char *label = g_strdup_printf (_("Qi: ftrack API key of %s at %s"), api_user, server);
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, qi_ftrack_keyring_store_async);
  secret_password_storev (schema (), table, SECRET_COLLECTION_DEFAULT, label, api_key, NULL, on_stored, task);
}

gboolean
qi_ftrack_keyring_store_finish (GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
qi_ftrack_keyring_lookup (char   **server,
                          char   **api_user,
                          char   **api_key,
                          GError **error)
{
  g_autoptr(GHashTable) table = attributes (NULL, NULL);
  GError *local_error = NULL;
  GList *items;
  SecretRetrievable *best = NULL;
  guint64 best_time = 0;
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(GHashTable) found = NULL;

  items = secret_password_searchv_sync (schema (), table,
                                        SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                                        NULL, &local_error);
  if (local_error != NULL)
    return fail (error, local_error, _("be searched"));
  for (GList *l = items; l != NULL; l = l->next)
    {
      guint64 when = secret_retrievable_get_modified (l->data);

      if (best == NULL || when >= best_time)
        {
          best = l->data;
          best_time = when;
        }
    }
  if (best == NULL)
    {
      g_list_free_full (items, g_object_unref);
      return FALSE;
    }
  value = secret_retrievable_retrieve_secret_sync (best, NULL, &local_error);
  found = secret_retrievable_get_attributes (best);
  if (value == NULL || g_hash_table_lookup (found, "server") == NULL ||
      g_hash_table_lookup (found, "api_user") == NULL)
    {
      g_list_free_full (items, g_object_unref);
      return fail (error, local_error, _("give the API key"));
    }
  *server = g_strdup (g_hash_table_lookup (found, "server"));
  *api_user = g_strdup (g_hash_table_lookup (found, "api_user"));
  *api_key = g_strdup (secret_value_get_text (value));
  g_list_free_full (items, g_object_unref);
  return *api_key != NULL;
}

gboolean
qi_ftrack_keyring_clear (const char  *server,
                         const char  *api_user,
                         guint       *n_cleared,
                         GError     **error)
{
  g_autoptr(GHashTable) table = attributes (server, api_user);
  GError *local_error = NULL;
  guint n = 0;

  /* one item a call */
  while (secret_password_clearv_sync (schema (), table, NULL, &local_error))
    n++;
  if (n_cleared != NULL)
    *n_cleared = n;
  if (local_error != NULL)
    return fail (error, local_error, _("forget the API key"));
  return TRUE;
}
