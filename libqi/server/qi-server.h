/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>

#include "qi-hub.h"
#include "qi-rest-router.h"
#include "qi-service.h"
#include "qi-token-authority.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_SERVER_DEFAULT_MAX_MESSAGE_SIZE:
 *
 * The default largest message the server reads from a WebSocket: 16 MiB.
 */
#define QI_SERVER_DEFAULT_MAX_MESSAGE_SIZE (16 * 1024 * 1024)

/**
 * QI_SERVER_DEFAULT_MAX_QUEUED_BYTES:
 *
 * The default most bytes the server holds for one WebSocket client that
 * does not read: 64 MiB. Past it, the client is disconnected.
 */
#define QI_SERVER_DEFAULT_MAX_QUEUED_BYTES (64 * 1024 * 1024)

/**
 * QiServerTokenCheck:
 * @token: the token of a request, which the authority verified
 * @claims: its claims
 * @user_data: the data given to qi_server_set_token_check()
 * @error: return location for why it is refused
 *
 * Tells whether a token the signature alone would let in may still be
 * used (its session may have ended).
 *
 * Returns: %TRUE to let the request in
 */
typedef gboolean (*QiServerTokenCheck) (const char  *token,
                                        QiToken     *claims,
                                        gpointer     user_data,
                                        GError     **error);

#define QI_TYPE_SERVER (qi_server_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiServer, qi_server, QI, SERVER, QiService)

QI_AVAILABLE_IN_ALL
QiServer         *qi_server_new                 (QiHub             *hub,
                                                 QiTokenAuthority  *authority);
QI_AVAILABLE_IN_ALL
gboolean          qi_server_listen              (QiServer          *self,
                                                 guint              port,
                                                 GError           **error);
QI_AVAILABLE_IN_ALL
guint             qi_server_get_port            (QiServer          *self);
QI_AVAILABLE_IN_ALL
char             *qi_server_dup_http_url        (QiServer          *self);
QI_AVAILABLE_IN_ALL
char             *qi_server_dup_websocket_url   (QiServer          *self);
QI_AVAILABLE_IN_ALL
QiHub            *qi_server_get_hub             (QiServer          *self);
QI_AVAILABLE_IN_ALL
QiTokenAuthority *qi_server_get_token_authority (QiServer          *self);
QI_AVAILABLE_IN_ALL
QiRestRouter     *qi_server_get_router          (QiServer          *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_server_add_ui_folder       (QiServer          *self,
                                                 const char        *name,
                                                 const char        *path,
                                                 GError           **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_server_remove_ui_folder    (QiServer          *self,
                                                 const char        *name);
QI_AVAILABLE_IN_ALL
guint             qi_server_get_n_connections   (QiServer          *self);
QI_AVAILABLE_IN_ALL
void              qi_server_set_token_check     (QiServer          *self,
                                                 QiServerTokenCheck check,
                                                 gpointer           user_data,
                                                 GDestroyNotify     destroy);
QI_AVAILABLE_IN_ALL
guint             qi_server_close_token_connections (QiServer      *self,
                                                     const char    *token,
                                                     const char    *reason);

G_END_DECLS
