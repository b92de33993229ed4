/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-hub-error.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_MESSAGE_PROTOCOL_VERSION:
 *
 * The version of the hub protocol, the `v` field of every message.
 */
#define QI_MESSAGE_PROTOCOL_VERSION 1

/**
 * QI_MESSAGE_MAX_DEPTH:
 *
 * How deeply arrays and objects may nest in a message on the wire, the
 * envelope included. Deeper messages are refused as
 * %QI_HUB_ERROR_BAD_MESSAGE.
 */
#define QI_MESSAGE_MAX_DEPTH 128

/**
 * QI_MESSAGE_MAX_VALUES:
 *
 * The most JSON values (objects, arrays, strings, numbers, literals) one
 * message may hold on the wire, the envelope's own included. More is
 * refused as %QI_HUB_ERROR_TOO_LARGE: it bounds the memory a message of
 * a few megabytes can make the hub allocate.
 */
#define QI_MESSAGE_MAX_VALUES 100000

/**
 * QI_MESSAGE_MAX_MEMBERS:
 *
 * The most members one object of a message may have on the wire. More is
 * refused as %QI_HUB_ERROR_TOO_LARGE: it bounds the time a crafted object,
 * whose member names all share one hash bucket, can cost.
 */
#define QI_MESSAGE_MAX_MEMBERS 1024

/**
 * QI_MESSAGE_MAX_ID_LENGTH:
 *
 * The longest `id`, `re` and `session` on the wire, in bytes.
 */
#define QI_MESSAGE_MAX_ID_LENGTH 255

/**
 * QI_MESSAGE_MAX_TOPIC_LENGTH:
 *
 * The longest topic, in bytes.
 */
#define QI_MESSAGE_MAX_TOPIC_LENGTH 255

/**
 * QiMessageKind:
 * @QI_MESSAGE_KIND_REQUEST: asks the one handler of its topic for a reply
 * @QI_MESSAGE_KIND_REPLY: answers a request, named by its `re` field
 * @QI_MESSAGE_KIND_EVENT: tells every subscriber of its topic; no answer
 * @QI_MESSAGE_KIND_ERROR: answers a request (or a message that could not be
 *   read) with a failure
 *
 * What a message is for. On the wire the kind is the `kind` field:
 * `request`, `reply`, `event` or `error`.
 */
typedef enum {
  QI_MESSAGE_KIND_REQUEST,
  QI_MESSAGE_KIND_REPLY,
  QI_MESSAGE_KIND_EVENT,
  QI_MESSAGE_KIND_ERROR,
} QiMessageKind;

typedef struct _QiMessage QiMessage;

#define QI_TYPE_MESSAGE (qi_message_get_type ())

QI_AVAILABLE_IN_ALL
GType          qi_message_get_type          (void) G_GNUC_CONST;

QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_request       (const char     *topic,
                                             JsonNode       *payload);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_event         (const char     *topic,
                                             JsonNode       *payload);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_reply         (QiMessage      *request,
                                             JsonNode       *payload);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_reply_from_text (QiMessage    *request,
                                               const char   *payload,
                                               gssize        length,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_error         (QiMessage      *request,
                                             QiHubError      code,
                                             const char     *message,
                                             JsonNode       *data);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_error_full    (const char     *re,
                                             const char     *topic,
                                             QiHubError      code,
                                             const char     *message,
                                             JsonNode       *data);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_new_from_data     (const char     *data,
                                             gsize           length,
                                             gsize           max_size,
                                             char          **bad_id,
                                             GError        **error);

QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_ref               (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
void           qi_message_unref             (QiMessage      *msg);

QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_with_session      (QiMessage      *msg,
                                             const char     *session);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_with_id           (QiMessage      *msg,
                                             const char     *id);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_with_re           (QiMessage      *msg,
                                             const char     *re);
QI_AVAILABLE_IN_ALL
QiMessage     *qi_message_with_timeout      (QiMessage      *msg,
                                             guint           timeout_ms);

QI_AVAILABLE_IN_ALL
QiMessageKind  qi_message_get_kind          (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
const char    *qi_message_get_id            (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
const char    *qi_message_get_topic         (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
JsonNode      *qi_message_get_payload       (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
const char    *qi_message_get_re            (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
const char    *qi_message_get_session       (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
guint          qi_message_get_timeout_ms    (QiMessage      *msg);
QI_AVAILABLE_IN_ALL
gboolean       qi_message_get_error         (QiMessage      *msg,
                                             GError        **error);

QI_AVAILABLE_IN_ALL
char          *qi_message_to_json           (QiMessage      *msg,
                                             gsize          *length);
QI_AVAILABLE_IN_ALL
gboolean       qi_message_equal             (QiMessage      *a,
                                             QiMessage      *b);

QI_AVAILABLE_IN_ALL
const char    *qi_message_kind_to_string    (QiMessageKind   kind);
QI_AVAILABLE_IN_ALL
gboolean       qi_message_topic_is_valid    (const char     *topic);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QiMessage, qi_message_unref)

G_END_DECLS
