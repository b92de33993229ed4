/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "qi-message-bus.h"
#include "qi-metered-stream-private.h"
#include "qi-session.h"

G_BEGIN_DECLS

/* The hub session of one WebSocket connection: frames in become messages
 * on the bus, messages the bus delivers become frames out. Opened by the
 * peer's first message (hub.hello names it); closed when the connection
 * closes, or closes the connection when the hub closes it. */
#define QI_TYPE_WEBSOCKET_SESSION (qi_websocket_session_get_type ())

G_GNUC_INTERNAL
G_DECLARE_FINAL_TYPE (QiWebsocketSession, qi_websocket_session, QI, WEBSOCKET_SESSION, QiSession)

G_GNUC_INTERNAL
QiWebsocketSession *qi_websocket_session_new              (QiMessageBus            *bus,
                                                           SoupWebsocketConnection *connection,
                                                           QiMeteredStream         *stream,
                                                           const char              *name,
                                                           const char              *parent_id,
                                                           gsize                    max_message_size,
                                                           gsize                    max_queued_bytes);
G_GNUC_INTERNAL
gboolean            qi_websocket_session_check_alive      (QiWebsocketSession      *self,
                                                           gint64                   now,
                                                           gint64                   timeout_us);
G_GNUC_INTERNAL
void                qi_websocket_session_disconnect       (QiWebsocketSession      *self,
                                                           gushort                  code,
                                                           const char              *reason);
G_GNUC_INTERNAL
gsize               qi_websocket_session_get_unsent       (QiWebsocketSession      *self);
G_GNUC_INTERNAL
gboolean            qi_websocket_session_is_connected     (QiWebsocketSession      *self);

G_END_DECLS
