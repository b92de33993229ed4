/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-hub-endpoint.h"
#include "qi-hub-error.h"
#include "qi-hub-request-private.h"

/**
 * QiHubEndpoint:
 *
 * An in-process session on the hub, with the C API on top of it: requests
 * that complete as #GTasks (qi_hub_endpoint_request_async()), handlers
 * that may answer now or later (qi_hub_endpoint_add_handler()),
 * subscriptions with callbacks (qi_hub_endpoint_subscribe()) and events
 * (qi_hub_endpoint_emit()). Messages pass as #QiMessage values; nothing
 * is serialised.
 *
 * The hub holds an open endpoint: it lives until qi_hub_endpoint_close(),
 * the close of its parent, or the hub's shutdown. Closing it fails its
 * waiting requests with %QI_HUB_ERROR_SESSION_CLOSED and drops its
 * handlers and subscriptions.
 *
 * Callbacks run on the thread-default main context of the thread that
 * created the endpoint, which must be the bus's.
 */

typedef struct
{
  GTask   *task;
  char    *id;
  GSource *cancel_source;
} Pending;

typedef struct
{
  QiHubHandlerFunc func;
  gpointer         data;
  GDestroyNotify   destroy;
} Handler;

typedef struct
{
  guint          id;
  char          *pattern;
  QiHubEventFunc func;
  gpointer       data;
  GDestroyNotify destroy;
} Subscription;

struct _QiHubEndpoint
{
  QiSession     parent_instance;

  QiMessageBus *bus;           /* weak */
  GHashTable   *pending;       /* request id -> Pending */
  GHashTable   *handlers;      /* topic -> Handler */
  GPtrArray    *subscriptions; /* of Subscription, in the order made */
};

G_DEFINE_FINAL_TYPE (QiHubEndpoint, qi_hub_endpoint, QI_TYPE_SESSION)

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  if (pending->cancel_source != NULL)
    {
      g_source_destroy (pending->cancel_source);
      g_source_unref (pending->cancel_source);
    }
  g_clear_object (&pending->task);
  g_free (pending->id);
  g_free (pending);
}

static void
handler_free (gpointer data)
{
  Handler *handler = data;

  if (handler->destroy != NULL)
    handler->destroy (handler->data);
  g_free (handler);
}

static void
subscription_free (gpointer data)
{
  Subscription *subscription = data;

  if (subscription->destroy != NULL)
    subscription->destroy (subscription->data);
  g_free (subscription->pattern);
  g_free (subscription);
}

/* Takes the request @id out of the table: the caller completes its task. */
static Pending *
pending_steal (QiHubEndpoint *self,
               const char    *id)
{
  Pending *pending = g_hash_table_lookup (self->pending, id);

  if (pending != NULL)
    g_hash_table_steal (self->pending, id);
  return pending;
}

static void
send_answer (QiMessage *answer,
             gpointer   user_data)
{
  QiHubEndpoint *self = user_data;

  if (self->bus != NULL && qi_session_is_open (QI_SESSION (self)))
    qi_message_bus_send (self->bus, QI_SESSION (self), answer);
}

static void
handle_request (QiHubEndpoint *self,
                QiMessage     *message)
{
  Handler *handler = g_hash_table_lookup (self->handlers, qi_message_get_topic (message));
  g_autoptr(QiHubRequest) request =
    qi_hub_request_new (message, send_answer, g_object_ref (self), g_object_unref);

  if (handler == NULL)
    {
      /* Removed while the request was on its way. */
      g_autofree char *text = g_strdup_printf (_("“%s” no longer handles “%s”"),
                                               qi_session_get_id (QI_SESSION (self)),
                                               qi_message_get_topic (message));

      qi_hub_request_fail (request, QI_HUB_ERROR_NO_HANDLER, text);
      return;
    }

  handler->func (request, handler->data);
}

static void
handle_answer (QiHubEndpoint *self,
               QiMessage     *message)
{
  const char *re = qi_message_get_re (message);
  Pending *pending = re != NULL ? pending_steal (self, re) : NULL;
  g_autoptr(GError) error = NULL;

  if (pending == NULL)
    {
      g_debug ("%s: dropped an answer to “%s”, which nothing waits for",
               qi_session_get_id (QI_SESSION (self)), re != NULL ? re : "?");
      return;
    }

  if (!qi_message_get_error (message, &error))
    g_task_return_error (pending->task, g_steal_pointer (&error));
  else
    g_task_return_pointer (pending->task,
                           json_node_copy (qi_message_get_payload (message)),
                           (GDestroyNotify) json_node_unref);
  pending_free (pending);
}

static void
handle_event (QiHubEndpoint *self,
              QiMessage     *message)
{
  const char *topic = qi_message_get_topic (message);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

  /* A callback may unsubscribe any subscription: find each again. */
  for (guint i = 0; i < self->subscriptions->len; i++)
    {
      Subscription *subscription = g_ptr_array_index (self->subscriptions, i);

      if (qi_handler_registry_pattern_matches (subscription->pattern, topic))
        g_array_append_val (ids, subscription->id);
    }

  for (guint i = 0; i < ids->len; i++)
    for (guint j = 0; j < self->subscriptions->len; j++)
      {
        Subscription *subscription = g_ptr_array_index (self->subscriptions, j);

        if (subscription->id == g_array_index (ids, guint, i))
          {
            subscription->func (message, subscription->data);
            break;
          }
      }
}

static void
qi_hub_endpoint_deliver (QiSession *session,
                         QiMessage *message)
{
  QiHubEndpoint *self = QI_HUB_ENDPOINT (session);
  g_autoptr(QiHubEndpoint) hold = g_object_ref (self);

  switch (qi_message_get_kind (message))
    {
    case QI_MESSAGE_KIND_REQUEST:
      handle_request (self, message);
      break;
    case QI_MESSAGE_KIND_REPLY:
    case QI_MESSAGE_KIND_ERROR:
      handle_answer (self, message);
      break;
    case QI_MESSAGE_KIND_EVENT:
      handle_event (self, message);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
fail_pending (QiHubEndpoint *self)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func (pending_free);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_ptr_array_add (failed, value);
      g_hash_table_iter_steal (&iter);
    }

  for (guint i = 0; i < failed->len; i++)
    {
      Pending *pending = g_ptr_array_index (failed, i);

      g_task_return_new_error (pending->task, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                               _("the session “%s” closed before its request was answered"),
                               qi_session_get_id (QI_SESSION (self)));
    }
}

static void
qi_hub_endpoint_closed (QiSession *session)
{
  QiHubEndpoint *self = QI_HUB_ENDPOINT (session);
  g_autoptr(QiHubEndpoint) hold = g_object_ref (self);

  fail_pending (self);
  g_hash_table_remove_all (self->handlers);
  g_ptr_array_set_size (self->subscriptions, 0);

  QI_SESSION_CLASS (qi_hub_endpoint_parent_class)->closed (session);
}

static void
qi_hub_endpoint_dispose (GObject *object)
{
  QiHubEndpoint *self = QI_HUB_ENDPOINT (object);

  fail_pending (self);
  g_hash_table_remove_all (self->handlers);
  g_ptr_array_set_size (self->subscriptions, 0);
  g_clear_weak_pointer (&self->bus);

  G_OBJECT_CLASS (qi_hub_endpoint_parent_class)->dispose (object);
}

static void
qi_hub_endpoint_finalize (GObject *object)
{
  QiHubEndpoint *self = QI_HUB_ENDPOINT (object);

  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->handlers);
  g_ptr_array_unref (self->subscriptions);

  G_OBJECT_CLASS (qi_hub_endpoint_parent_class)->finalize (object);
}

static void
qi_hub_endpoint_class_init (QiHubEndpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiSessionClass *session_class = QI_SESSION_CLASS (klass);

  object_class->dispose = qi_hub_endpoint_dispose;
  object_class->finalize = qi_hub_endpoint_finalize;
  session_class->deliver = qi_hub_endpoint_deliver;
  session_class->closed = qi_hub_endpoint_closed;
}

static void
qi_hub_endpoint_init (QiHubEndpoint *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, pending_free);
  self->handlers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, handler_free);
  self->subscriptions = g_ptr_array_new_with_free_func (subscription_free);
}

/**
 * qi_hub_endpoint_new:
 * @bus: the hub's #QiMessageBus
 * @name: the session's name, such as `__hub__/addon/loader`
 * @parent_id: (nullable): the id of the parent session
 * @error: return location for a #GError
 *
 * Opens an in-process session on @bus.
 *
 * Returns: (transfer full): the open endpoint, or %NULL with the error of
 *   qi_connection_manager_open_session()
 */
QiHubEndpoint *
qi_hub_endpoint_new (QiMessageBus  *bus,
                     const char    *name,
                     const char    *parent_id,
                     GError       **error)
{
  g_autoptr(QiHubEndpoint) self = NULL;

  g_return_val_if_fail (QI_IS_MESSAGE_BUS (bus), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (QI_TYPE_HUB_ENDPOINT, NULL);
  g_set_weak_pointer (&self->bus, bus);

  if (qi_connection_manager_open_session (qi_message_bus_get_connection_manager (bus),
                                          QI_SESSION (self), name, parent_id, error) == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * qi_hub_endpoint_close:
 * @self: a #QiHubEndpoint
 *
 * Closes the endpoint's session and its children. Closing a closed
 * endpoint does nothing.
 */
void
qi_hub_endpoint_close (QiHubEndpoint *self)
{
  g_return_if_fail (QI_IS_HUB_ENDPOINT (self));

  if (self->bus != NULL && qi_session_is_open (QI_SESSION (self)))
    qi_connection_manager_close_session (qi_message_bus_get_connection_manager (self->bus),
                                         qi_session_get_id (QI_SESSION (self)));
}

typedef struct
{
  QiHubEndpoint *self; /* weak */
  char          *id;
} CancelData;

static void
cancel_data_free (gpointer data)
{
  CancelData *cancel = data;

  g_clear_weak_pointer (&cancel->self);
  g_free (cancel->id);
  g_free (cancel);
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  CancelData *cancel = user_data;
  QiHubEndpoint *self = cancel->self;
  Pending *pending;

  if (self == NULL || (pending = pending_steal (self, cancel->id)) == NULL)
    return G_SOURCE_REMOVE;

  if (self->bus != NULL)
    qi_message_bus_cancel (self->bus, QI_SESSION (self), cancel->id);

  /* The source is being dispatched: it must not destroy itself. */
  g_clear_pointer (&pending->cancel_source, g_source_unref);
  g_task_return_error_if_cancelled (pending->task);
  pending_free (pending);

  return G_SOURCE_REMOVE;
}

/**
 * qi_hub_endpoint_request_async:
 * @self: a #QiHubEndpoint
 * @topic: the request topic
 * @payload: (nullable): the payload, an object; %NULL for `{}`
 * @timeout_ms: the deadline in milliseconds; 0 for the hub's default
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: data for @callback
 *
 * Sends a request and waits for its answer. Cancelling forgets the request:
 * its handler may still run, but its answer is dropped.
 */
void
qi_hub_endpoint_request_async (QiHubEndpoint       *self,
                               const char          *topic,
                               JsonNode            *payload,
                               guint                timeout_ms,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(QiMessage) request = NULL;
  Pending *pending;

  g_return_if_fail (QI_IS_HUB_ENDPOINT (self));
  g_return_if_fail (topic != NULL);
  g_return_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_hub_endpoint_request_async);

  if (self->bus == NULL || !qi_session_is_open (QI_SESSION (self)))
    {
      g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                               _("cannot send “%s”: the session is closed"), topic);
      return;
    }

  if (!qi_message_topic_is_valid (topic))
    {
      g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                               _("“%s” is not a topic"), topic);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  request = qi_message_new_request (topic, payload);
  if (timeout_ms != 0)
    {
      g_autoptr(QiMessage) timed = qi_message_with_timeout (request, timeout_ms);

      g_clear_pointer (&request, qi_message_unref);
      request = g_steal_pointer (&timed);
    }

  pending = g_new0 (Pending, 1);
  pending->task = g_object_ref (task);
  pending->id = g_strdup (qi_message_get_id (request));
  if (cancellable != NULL)
    {
      CancelData *cancel = g_new0 (CancelData, 1);

      g_set_weak_pointer (&cancel->self, self);
      cancel->id = g_strdup (pending->id);
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source, G_SOURCE_FUNC (on_cancelled),
                             cancel, cancel_data_free);
      g_source_set_static_name (pending->cancel_source, "[qi] cancel request");
      g_source_attach (pending->cancel_source, g_task_get_context (task));
    }
  g_hash_table_insert (self->pending, pending->id, pending);

  /* The answer may come before this returns; the task then completes
   * in an idle. */
  qi_message_bus_send (self->bus, QI_SESSION (self), request);
}

/**
 * qi_hub_endpoint_request_finish:
 * @self: a #QiHubEndpoint
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply's payload, an object; or %NULL with
 *   the error the hub or the handler answered (%QI_HUB_ERROR), or
 *   %G_IO_ERROR_CANCELLED
 */
JsonNode *
qi_hub_endpoint_request_finish (QiHubEndpoint  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == qi_hub_endpoint_request_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_hub_endpoint_add_handler:
 * @self: a #QiHubEndpoint
 * @topic: a request topic
 * @handler: (scope notified) (closure user_data) (destroy destroy): the handler
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the handler goes
 * @error: return location for a #GError
 *
 * Makes this endpoint the handler of @topic.
 *
 * Returns: %TRUE on success; %FALSE with %QI_HUB_ERROR_HANDLER_EXISTS if
 *   another session handles it (or it is the hub's),
 *   %QI_HUB_ERROR_BAD_MESSAGE if it is not a topic, or
 *   %QI_HUB_ERROR_SESSION_CLOSED
 */
gboolean
qi_hub_endpoint_add_handler (QiHubEndpoint     *self,
                             const char        *topic,
                             QiHubHandlerFunc   handler,
                             gpointer           user_data,
                             GDestroyNotify     destroy,
                             GError           **error)
{
  Handler *entry;

  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (self), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (handler != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->bus == NULL)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                   _("cannot handle “%s”: the hub is gone"), topic);
      return FALSE;
    }

  if (!qi_message_bus_add_handler (self->bus, QI_SESSION (self), topic, error))
    return FALSE;

  entry = g_new0 (Handler, 1);
  entry->func = handler;
  entry->data = user_data;
  entry->destroy = destroy;
  g_hash_table_replace (self->handlers, g_strdup (topic), entry);
  return TRUE;
}

/**
 * qi_hub_endpoint_remove_handler:
 * @self: a #QiHubEndpoint
 * @topic: a request topic
 *
 * Returns: %TRUE if this endpoint handled @topic and now does not
 */
gboolean
qi_hub_endpoint_remove_handler (QiHubEndpoint *self,
                                const char    *topic)
{
  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (self), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);

  if (self->bus != NULL)
    qi_message_bus_remove_handler (self->bus, QI_SESSION (self), topic);
  return g_hash_table_remove (self->handlers, topic);
}

/**
 * qi_hub_endpoint_subscribe:
 * @self: a #QiHubEndpoint
 * @pattern: a pattern of topics (see docs/protocol.md)
 * @callback: (scope notified) (closure user_data) (destroy destroy): called
 *   with each matching event
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data when the subscription ends
 * @error: return location for a #GError
 *
 * Subscribes to the events matching @pattern.
 *
 * Returns: the subscription's id, or 0 with %QI_HUB_ERROR_BAD_MESSAGE for
 *   a bad pattern or %QI_HUB_ERROR_SESSION_CLOSED
 */
guint
qi_hub_endpoint_subscribe (QiHubEndpoint   *self,
                           const char      *pattern,
                           QiHubEventFunc   callback,
                           gpointer         user_data,
                           GDestroyNotify   destroy,
                           GError         **error)
{
  Subscription *subscription;
  guint id;

  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (self), 0);
  g_return_val_if_fail (pattern != NULL, 0);
  g_return_val_if_fail (callback != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (self->bus == NULL)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                   _("cannot subscribe to “%s”: the hub is gone"), pattern);
      return 0;
    }

  id = qi_message_bus_subscribe (self->bus, QI_SESSION (self), pattern, error);
  if (id == 0)
    return 0;

  subscription = g_new0 (Subscription, 1);
  subscription->id = id;
  subscription->pattern = g_strdup (pattern);
  subscription->func = callback;
  subscription->data = user_data;
  subscription->destroy = destroy;
  g_ptr_array_add (self->subscriptions, subscription);
  return id;
}

/**
 * qi_hub_endpoint_unsubscribe:
 * @self: a #QiHubEndpoint
 * @subscription: an id from qi_hub_endpoint_subscribe()
 *
 * Returns: %TRUE if the subscription was this endpoint's and has ended
 */
gboolean
qi_hub_endpoint_unsubscribe (QiHubEndpoint *self,
                             guint          subscription)
{
  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (self), FALSE);

  for (guint i = 0; i < self->subscriptions->len; i++)
    {
      Subscription *entry = g_ptr_array_index (self->subscriptions, i);

      if (entry->id == subscription)
        {
          if (self->bus != NULL)
            qi_message_bus_unsubscribe (self->bus, QI_SESSION (self), subscription);
          g_ptr_array_remove_index (self->subscriptions, i);
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * qi_hub_endpoint_emit:
 * @self: a #QiHubEndpoint
 * @topic: the event's topic
 * @payload: (nullable): the payload, an object; %NULL for `{}`
 * @error: return location for a #GError
 *
 * Sends an event to every session subscribed to a matching pattern.
 *
 * Returns: %TRUE if it was sent; %FALSE with %QI_HUB_ERROR_BAD_MESSAGE for
 *   a bad topic, %QI_HUB_ERROR_FORBIDDEN for a topic of the hub's
 *   (`hub.*`, `session.*`), or %QI_HUB_ERROR_SESSION_CLOSED
 */
gboolean
qi_hub_endpoint_emit (QiHubEndpoint  *self,
                      const char     *topic,
                      JsonNode       *payload,
                      GError        **error)
{
  g_autoptr(QiMessage) event = NULL;

  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (self), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->bus == NULL || !qi_session_is_open (QI_SESSION (self)))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                   _("cannot send “%s”: the session is closed"), topic);
      return FALSE;
    }
  if (!qi_message_topic_is_valid (topic))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("“%s” is not a topic"), topic);
      return FALSE;
    }
  if (g_str_has_prefix (topic, "hub.") || g_str_has_prefix (topic, "session."))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN,
                   _("only the hub sends events on “%s”"), topic);
      return FALSE;
    }

  event = qi_message_new_event (topic, payload);
  qi_message_bus_send (self->bus, QI_SESSION (self), event);
  return TRUE;
}
