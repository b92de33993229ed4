/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A handler of SoupWebsocketConnection::message. */
typedef void (*QiWebsocketMessageFunc) (SoupWebsocketConnection *connection,
                                        gint                     type,
                                        GBytes                  *data,
                                        gpointer                 user_data);

/* Connects @func to the ::message signal of @connection, as
 * g_signal_connect() does, but with a marshaller of its own: libsoup
 * declares the signal with g_cclosure_marshal_generic(), which calls every
 * handler through libffi, once per frame. */
G_GNUC_INTERNAL
gulong qi_soup_connect_websocket_message (SoupWebsocketConnection *connection,
                                          QiWebsocketMessageFunc   func,
                                          gpointer                 user_data);

G_END_DECLS
