/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-hub.h"

/**
 * QiHub:
 *
 * The `hub` service: the message bus every part of Qi talks through, and
 * the C API to it. The `qi_hub_*` calls speak as the hub's own in-process
 * session, `__hub__/core`; an addon opens its own with
 * qi_hub_open_endpoint(), and transports (the WebSocket server) open
 * theirs on the bus. Stopping the hub closes every session.
 */

struct _QiHub
{
  QiService      parent_instance;

  QiMessageBus  *bus;
  QiHubEndpoint *core;
};

G_DEFINE_FINAL_TYPE (QiHub, qi_hub, QI_TYPE_SERVICE)

static void
qi_hub_stop (QiService *service)
{
  QiHub *self = QI_HUB (service);

  qi_connection_manager_close_all (qi_message_bus_get_connection_manager (self->bus));
}

static void
qi_hub_dispose (GObject *object)
{
  QiHub *self = QI_HUB (object);

  if (self->bus != NULL)
    qi_connection_manager_close_all (qi_message_bus_get_connection_manager (self->bus));
  g_clear_object (&self->core);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (qi_hub_parent_class)->dispose (object);
}

static void
qi_hub_class_init (QiHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->dispose = qi_hub_dispose;
  service_class->stop = qi_hub_stop;
}

static void
qi_hub_init (QiHub *self)
{
  g_autoptr(GError) error = NULL;

  self->bus = qi_message_bus_new ();
  self->core = qi_hub_endpoint_new (self->bus, QI_HUB_CORE_SESSION,
                                    QI_MESSAGE_BUS_HUB_SESSION, &error);
  /* A fresh bus has no session of that name. */
  g_assert_no_error (error);
}

/**
 * qi_hub_new:
 *
 * Returns: (transfer full): a new hub, with its bus and its `__hub__/core`
 *   session open
 */
QiHub *
qi_hub_new (void)
{
  return g_object_new (QI_TYPE_HUB,
                       "name", "hub",
                       "description", _("Routes requests, replies and events between the sessions of the hub"),
                       NULL);
}

/**
 * qi_hub_get_bus:
 * @self: a #QiHub
 *
 * Returns: (transfer none): the hub's message bus
 */
QiMessageBus *
qi_hub_get_bus (QiHub *self)
{
  g_return_val_if_fail (QI_IS_HUB (self), NULL);

  return self->bus;
}

/**
 * qi_hub_get_endpoint:
 * @self: a #QiHub
 *
 * Returns: (transfer none): the hub's own session, `__hub__/core`
 */
QiHubEndpoint *
qi_hub_get_endpoint (QiHub *self)
{
  g_return_val_if_fail (QI_IS_HUB (self), NULL);

  return self->core;
}

/**
 * qi_hub_open_endpoint:
 * @self: a #QiHub
 * @name: the session's name, such as `__hub__/addon/loader`
 * @parent_id: (nullable): the id of its parent session
 * @error: return location for a #GError
 *
 * Opens an in-process session; see qi_hub_endpoint_new().
 *
 * Returns: (transfer full): the open endpoint, or %NULL with an error
 */
QiHubEndpoint *
qi_hub_open_endpoint (QiHub       *self,
                      const char  *name,
                      const char  *parent_id,
                      GError     **error)
{
  g_return_val_if_fail (QI_IS_HUB (self), NULL);

  return qi_hub_endpoint_new (self->bus, name, parent_id, error);
}

static void
on_core_answer (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_node_unref);
}

/**
 * qi_hub_request_async:
 * @self: a #QiHub
 * @topic: the request topic
 * @payload: (nullable): the payload, an object; %NULL for `{}`
 * @timeout_ms: the deadline in milliseconds; 0 for the hub's default
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: data for @callback
 *
 * Sends a request as `__hub__/core`; see qi_hub_endpoint_request_async().
 */
void
qi_hub_request_async (QiHub               *self,
                      const char          *topic,
                      JsonNode            *payload,
                      guint                timeout_ms,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (QI_IS_HUB (self));

  /* The callback's source object is the hub, as callers expect. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_hub_request_async);
  qi_hub_endpoint_request_async (self->core, topic, payload, timeout_ms,
                                 cancellable, on_core_answer, task);
}

/**
 * qi_hub_request_finish:
 * @self: a #QiHub
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply's payload, or %NULL with @error set
 */
JsonNode *
qi_hub_request_finish (QiHub         *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_hub_add_handler:
 * @self: a #QiHub
 * @topic: a request topic
 * @handler: (scope notified) (closure user_data) (destroy destroy): the handler
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the handler goes
 * @error: return location for a #GError
 *
 * Handles @topic in `__hub__/core`; see qi_hub_endpoint_add_handler().
 *
 * Returns: %TRUE on success, %FALSE with an error
 */
gboolean
qi_hub_add_handler (QiHub             *self,
                    const char        *topic,
                    QiHubHandlerFunc   handler,
                    gpointer           user_data,
                    GDestroyNotify     destroy,
                    GError           **error)
{
  g_return_val_if_fail (QI_IS_HUB (self), FALSE);

  return qi_hub_endpoint_add_handler (self->core, topic, handler, user_data, destroy, error);
}

/**
 * qi_hub_subscribe:
 * @self: a #QiHub
 * @pattern: a pattern of topics
 * @callback: (scope notified) (closure user_data) (destroy destroy): called
 *   with each matching event
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data when the subscription ends
 * @error: return location for a #GError
 *
 * Subscribes `__hub__/core`; see qi_hub_endpoint_subscribe().
 *
 * Returns: the subscription's id, or 0 with an error
 */
guint
qi_hub_subscribe (QiHub           *self,
                  const char      *pattern,
                  QiHubEventFunc   callback,
                  gpointer         user_data,
                  GDestroyNotify   destroy,
                  GError         **error)
{
  g_return_val_if_fail (QI_IS_HUB (self), 0);

  return qi_hub_endpoint_subscribe (self->core, pattern, callback, user_data, destroy, error);
}

/**
 * qi_hub_emit:
 * @self: a #QiHub
 * @topic: the event's topic
 * @payload: (nullable): the payload, an object; %NULL for `{}`
 * @error: return location for a #GError
 *
 * Sends an event as `__hub__/core`; see qi_hub_endpoint_emit().
 *
 * Returns: %TRUE if it was sent, %FALSE with an error
 */
gboolean
qi_hub_emit (QiHub       *self,
             const char  *topic,
             JsonNode    *payload,
             GError     **error)
{
  g_return_val_if_fail (QI_IS_HUB (self), FALSE);

  return qi_hub_endpoint_emit (self->core, topic, payload, error);
}
