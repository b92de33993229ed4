/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-hub-request-private.h"

/**
 * QiHubRequest:
 *
 * One request a handler received, to be answered once: with
 * qi_hub_request_reply() or qi_hub_request_fail(), at once or later. A
 * handler that answers later keeps a reference until it does. A request
 * whose last reference goes before it is answered fails with
 * `handler_failed`, so that the requester is never left waiting for its
 * deadline because a handler forgot it.
 */

struct _QiHubRequest
{
  GObject          parent_instance;

  QiMessage       *message;
  QiHubAnswerFunc  answer_func;
  gpointer         answer_data;
  GDestroyNotify   answer_destroy;
  gboolean         answered;
};

G_DEFINE_FINAL_TYPE (QiHubRequest, qi_hub_request, G_TYPE_OBJECT)

static void
send_answer (QiHubRequest *self,
             QiMessage    *answer)
{
  self->answered = TRUE;
  self->answer_func (answer, self->answer_data);
}

static void
qi_hub_request_dispose (GObject *object)
{
  QiHubRequest *self = QI_HUB_REQUEST (object);

  if (!self->answered && self->message != NULL)
    {
      g_autofree char *text =
        g_strdup_printf (_("the handler of “%s” dropped the request without answering"),
                         qi_message_get_topic (self->message));
      g_autoptr(QiMessage) error =
        qi_message_new_error (self->message, QI_HUB_ERROR_HANDLER_FAILED, text, NULL);

      g_debug ("%s", text);
      send_answer (self, error);
    }

  if (self->answer_destroy != NULL)
    g_clear_pointer (&self->answer_data, self->answer_destroy);

  G_OBJECT_CLASS (qi_hub_request_parent_class)->dispose (object);
}

static void
qi_hub_request_finalize (GObject *object)
{
  QiHubRequest *self = QI_HUB_REQUEST (object);

  g_clear_pointer (&self->message, qi_message_unref);

  G_OBJECT_CLASS (qi_hub_request_parent_class)->finalize (object);
}

static void
qi_hub_request_class_init (QiHubRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_hub_request_dispose;
  object_class->finalize = qi_hub_request_finalize;
}

static void
qi_hub_request_init (QiHubRequest *self)
{
}

QiHubRequest *
qi_hub_request_new (QiMessage       *request,
                    QiHubAnswerFunc  answer_func,
                    gpointer         user_data,
                    GDestroyNotify   destroy)
{
  QiHubRequest *self;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (qi_message_get_kind (request) == QI_MESSAGE_KIND_REQUEST, NULL);
  g_return_val_if_fail (answer_func != NULL, NULL);

  self = g_object_new (QI_TYPE_HUB_REQUEST, NULL);
  self->message = qi_message_ref (request);
  self->answer_func = answer_func;
  self->answer_data = user_data;
  self->answer_destroy = destroy;

  return self;
}

/**
 * qi_hub_request_get_topic:
 * @self: a #QiHubRequest
 *
 * Returns: (transfer none): the request's topic
 */
const char *
qi_hub_request_get_topic (QiHubRequest *self)
{
  g_return_val_if_fail (QI_IS_HUB_REQUEST (self), NULL);

  return qi_message_get_topic (self->message);
}

/**
 * qi_hub_request_get_payload:
 * @self: a #QiHubRequest
 *
 * Returns: (transfer none): the request's payload, an object
 */
JsonNode *
qi_hub_request_get_payload (QiHubRequest *self)
{
  g_return_val_if_fail (QI_IS_HUB_REQUEST (self), NULL);

  return qi_message_get_payload (self->message);
}

/**
 * qi_hub_request_get_session:
 * @self: a #QiHubRequest
 *
 * Returns: (transfer none) (nullable): the id of the session that asked, as
 *   the hub stamped it
 */
const char *
qi_hub_request_get_session (QiHubRequest *self)
{
  g_return_val_if_fail (QI_IS_HUB_REQUEST (self), NULL);

  return qi_message_get_session (self->message);
}

/**
 * qi_hub_request_get_message:
 * @self: a #QiHubRequest
 *
 * Returns: (transfer none): the request as it arrived
 */
QiMessage *
qi_hub_request_get_message (QiHubRequest *self)
{
  g_return_val_if_fail (QI_IS_HUB_REQUEST (self), NULL);

  return self->message;
}

/**
 * qi_hub_request_get_answered:
 * @self: a #QiHubRequest
 *
 * Returns: whether the request has been answered
 */
gboolean
qi_hub_request_get_answered (QiHubRequest *self)
{
  g_return_val_if_fail (QI_IS_HUB_REQUEST (self), FALSE);

  return self->answered;
}

/**
 * qi_hub_request_reply:
 * @self: a #QiHubRequest not yet answered
 * @payload: (nullable): the reply's payload, an object; %NULL for `{}`
 *
 * Answers the request with a reply.
 */
void
qi_hub_request_reply (QiHubRequest *self,
                      JsonNode     *payload)
{
  g_autoptr(QiMessage) reply = NULL;

  g_return_if_fail (QI_IS_HUB_REQUEST (self));
  g_return_if_fail (!self->answered);
  g_return_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload));

  reply = qi_message_new_reply (self->message, payload);
  send_answer (self, reply);
}

/**
 * qi_hub_request_reply_text:
 * @self: a #QiHubRequest not yet answered
 * @payload: (array length=length) (element-type guint8): the reply's
 *   payload as JSON text, an object
 * @length: the length of @payload in bytes, or -1 if it is nul-terminated
 * @error: return location for a #GError
 *
 * Answers the request with a reply whose payload is given as text (see
 * qi_message_new_reply_from_text()): for a handler that has written its
 * answer already, such as a report it keeps in a file.
 *
 * Returns: %TRUE once answered; %FALSE with @error set, and the request
 *   not answered, when @payload is not one JSON object
 */
gboolean
qi_hub_request_reply_text (QiHubRequest  *self,
                           const char    *payload,
                           gssize         length,
                           GError       **error)
{
  g_autoptr(QiMessage) reply = NULL;

  g_return_val_if_fail (QI_IS_HUB_REQUEST (self), FALSE);
  g_return_val_if_fail (!self->answered, FALSE);
  g_return_val_if_fail (payload != NULL || length == 0, FALSE);

  reply = qi_message_new_reply_from_text (self->message, payload, length, error);
  if (reply == NULL)
    return FALSE;
  send_answer (self, reply);
  return TRUE;
}

/**
 * qi_hub_request_fail:
 * @self: a #QiHubRequest not yet answered
 * @code: why it failed
 * @message: a sentence for people
 *
 * Answers the request with an error.
 */
void
qi_hub_request_fail (QiHubRequest *self,
                     QiHubError    code,
                     const char   *message)
{
  g_autoptr(QiMessage) error = NULL;

  g_return_if_fail (QI_IS_HUB_REQUEST (self));
  g_return_if_fail (!self->answered);
  g_return_if_fail (message != NULL);

  error = qi_message_new_error (self->message, code, message, NULL);
  send_answer (self, error);
}

/**
 * qi_hub_request_fail_error:
 * @self: a #QiHubRequest not yet answered
 * @error: the failure
 *
 * Answers the request with @error: its code if it is a %QI_HUB_ERROR,
 * `handler_failed` otherwise, and its message.
 */
void
qi_hub_request_fail_error (QiHubRequest *self,
                           const GError *error)
{
  g_return_if_fail (error != NULL);

  qi_hub_request_fail (self,
                       error->domain == QI_HUB_ERROR ? (QiHubError) error->code
                                                     : QI_HUB_ERROR_HANDLER_FAILED,
                       error->message);
}
