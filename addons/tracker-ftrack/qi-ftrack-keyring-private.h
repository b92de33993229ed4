/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/* The ftrack API keys in the desktop keyring (the Secret Service, through
 * libsecret), under the schema org.qi.Qi.ftrack with the attributes
 * `server` and `api_user`. Each call blocks on D-Bus; each failure (no
 * Secret Service, a locked keyring) is one GError in G_IO_ERROR. */

#define QI_FTRACK_KEYRING_SCHEMA "org.qi.Qi.ftrack"

gboolean qi_ftrack_keyring_store  (const char  *server,
                                   const char  *api_user,
                                   const char  *api_key,
                                   GError     **error);
/* The same without blocking; finish with qi_ftrack_keyring_store_finish(). */
void     qi_ftrack_keyring_store_async  (const char          *server,
                                         const char          *api_user,
                                         const char          *api_key,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean qi_ftrack_keyring_store_finish (GAsyncResult        *result,
                                         GError             **error);
/* The most recently stored login, or FALSE with no error when there is none. */
gboolean qi_ftrack_keyring_lookup (char       **server,
                                   char       **api_user,
                                   char       **api_key,
                                   GError     **error);
/* Forgets the keys of @server (or every server) for @api_user (or every
 * user); the number forgotten in *@n_cleared. */
gboolean qi_ftrack_keyring_clear  (const char  *server,
                                   const char  *api_user,
                                   guint       *n_cleared,
                                   GError     **error);

G_END_DECLS
