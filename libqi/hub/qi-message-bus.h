/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-connection-manager.h"
#include "qi-handler-registry.h"
#include "qi-message.h"
#include "qi-session.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_MESSAGE_BUS_HUB_SESSION:
 *
 * The id of the bus's own session, which answers the `hub.*` topics and
 * sends the `session.*` events.
 */
#define QI_MESSAGE_BUS_HUB_SESSION "__hub__"

/**
 * QI_MESSAGE_BUS_DEFAULT_TIMEOUT_MS:
 *
 * How long a request waits for its reply when it names no `timeout_ms`.
 */
#define QI_MESSAGE_BUS_DEFAULT_TIMEOUT_MS 30000

#define QI_TYPE_MESSAGE_BUS (qi_message_bus_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiMessageBus, qi_message_bus, QI, MESSAGE_BUS, GObject)

QI_AVAILABLE_IN_ALL
QiMessageBus        *qi_message_bus_new                    (void);
QI_AVAILABLE_IN_ALL
QiConnectionManager *qi_message_bus_get_connection_manager (QiMessageBus *self);
QI_AVAILABLE_IN_ALL
QiHandlerRegistry   *qi_message_bus_get_registry           (QiMessageBus *self);
QI_AVAILABLE_IN_ALL
QiSession           *qi_message_bus_get_hub_session        (QiMessageBus *self);
QI_AVAILABLE_IN_ALL
void                 qi_message_bus_set_default_timeout    (QiMessageBus *self,
                                                            guint         timeout_ms);
QI_AVAILABLE_IN_ALL
void                 qi_message_bus_send                   (QiMessageBus *self,
                                                            QiSession    *from,
                                                            QiMessage    *message);
QI_AVAILABLE_IN_ALL
gboolean             qi_message_bus_cancel                 (QiMessageBus *self,
                                                            QiSession    *from,
                                                            const char   *request_id);
QI_AVAILABLE_IN_ALL
guint                qi_message_bus_get_n_pending          (QiMessageBus *self);
QI_AVAILABLE_IN_ALL
gboolean             qi_message_bus_open_and_send          (QiMessageBus *self,
                                                            QiSession    *session,
                                                            const char   *name,
                                                            const char   *parent_id,
                                                            QiMessage    *message);
QI_AVAILABLE_IN_ALL
gboolean             qi_message_bus_add_handler            (QiMessageBus *self,
                                                            QiSession    *session,
                                                            const char   *topic,
                                                            GError      **error);
QI_AVAILABLE_IN_ALL
gboolean             qi_message_bus_remove_handler         (QiMessageBus *self,
                                                            QiSession    *session,
                                                            const char   *topic);
QI_AVAILABLE_IN_ALL
guint                qi_message_bus_subscribe              (QiMessageBus *self,
                                                            QiSession    *session,
                                                            const char   *pattern,
                                                            GError      **error);
QI_AVAILABLE_IN_ALL
gboolean             qi_message_bus_unsubscribe            (QiMessageBus *self,
                                                            QiSession    *session,
                                                            guint         subscription);

G_END_DECLS
