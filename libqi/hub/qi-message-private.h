/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-message.h"

G_BEGIN_DECLS

/* The wire form of a new request or event that is sent at once, for a
 * client of the hub: what qi_message_to_json() writes for the message
 * qi_message_new_request() (or _event()) and qi_message_with_timeout()
 * make, with *id set to its new id (a GRefString), but without making
 * the message. The payload is written as it is: it need not be copied and
 * sealed first, since nothing keeps it. The caller checks what those
 * constructors check: a valid @topic, an object or %NULL as @payload, a
 * @timeout_ms of at most %G_MAXINT32. */
G_GNUC_INTERNAL
char *qi_message_encode_new (QiMessageKind   kind,
                             const char     *topic,
                             JsonNode       *payload,
                             guint           timeout_ms,
                             char          **id,
                             gsize          *length);

/* A reply to @request that carries the request's own payload, as
 * hub.ping answers: its node and its wire text are shared, so that a
 * payload read from the wire is written back without being built. */
G_GNUC_INTERNAL
QiMessage *qi_message_new_reply_with_request_payload (QiMessage *request);

/* qi_message_new_from_data() for a reader that wants every payload's
 * node, a client: built as it is read, rather than read, checked and
 * built again when asked for. */
G_GNUC_INTERNAL
QiMessage *qi_message_new_from_data_built (const char  *data,
                                           gsize        length,
                                           gsize        max_size,
                                           GError     **error);

G_END_DECLS
