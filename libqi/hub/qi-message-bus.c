/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-message-bus.h"
#include "qi-connection-manager-private.h"
#include "qi-hub-error.h"
#include "qi-message-private.h"

/**
 * QiMessageBus:
 *
 * Routes the hub's messages between sessions: every message a session
 * sends goes through qi_message_bus_send(), which stamps it with the
 * sender's session id and
 *
 * - hands a request to the one session that handles its topic, under an id
 *   of the hub's (`hub-N`), or answers `no_handler`; if no reply comes
 *   within the request's `timeout_ms` (or the default), answers `timeout`;
 * - hands a reply or an error back to the session whose request it
 *   answers, under that session's own id, and only if it comes from the
 *   session that was asked;
 * - hands an event once to every session subscribed to a matching pattern,
 *   in the order they subscribed; events on `hub.*` and `session.*` only
 *   the hub may send.
 *
 * The bus has its own session, `__hub__`, which answers the built-in
 * topics `hub.ping`, `hub.register`, `hub.unregister`, `hub.subscribe`,
 * `hub.unsubscribe` and `hub.sessions`, and sends the `session.opened` and
 * `session.closed` events. When a session closes, its handlers and
 * subscriptions go, the requests it owed fail with `session_closed`, and
 * the requests it made are forgotten.
 */

/* A request on its way. The handler sees it under an id the hub made,
 * so that no client can collide with another's ids; its answer is passed
 * back under the requester's own id. */
typedef struct
{
  char      *hub_id;        /* the id the handler sees */
  char      *requester_key; /* requester id "\n" its request id */
  char      *requester;
  char      *handler;
  QiMessage *request;       /* as the requester sent it, stamped */
  GSource   *timeout;
} Pending;

struct _QiMessageBus
{
  GObject              parent_instance;

  QiConnectionManager *connections;
  QiHandlerRegistry   *registry;
  QiSession           *hub;
  GHashTable          *pending;        /* hub id -> Pending */
  GHashTable          *by_requester;   /* requester key -> hub id (borrowed) */
  GMainContext        *context;
  guint64              last_hub_id;
  gboolean             disposed;
  guint                default_timeout_ms;
  gulong               opened_id;
  gulong               closed_id;
};

G_DEFINE_FINAL_TYPE (QiMessageBus, qi_message_bus, G_TYPE_OBJECT)

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  if (pending->timeout != NULL)
    {
      g_source_destroy (pending->timeout);
      g_clear_pointer (&pending->timeout, g_source_unref);
    }
  g_free (pending->hub_id);
  g_free (pending->requester_key);
  g_free (pending->requester);
  g_free (pending->handler);
  g_clear_pointer (&pending->request, qi_message_unref);
  g_free (pending);
}

static char *
requester_key (const char *requester,
               const char *request_id)
{
  return g_strconcat (requester, "\n", request_id, NULL);
}

/* Takes @pending out of the bus's tables; the caller frees it. */
static void
pending_steal (QiMessageBus *self,
               Pending      *pending)
{
  g_hash_table_remove (self->by_requester, pending->requester_key);
  g_hash_table_steal (self->pending, pending->hub_id);
}

/* Hands @message, from the hub, to the session @to if it is open. */
static void
deliver_to (QiMessageBus *self,
            const char   *to,
            QiMessage    *message)
{
  QiSession *session = qi_connection_manager_lookup_session (self->connections, to);

  if (session != NULL)
    qi_session_deliver (session, message);
}

static void
send_from_hub (QiMessageBus *self,
               const char   *to,
               QiMessage    *message)
{
  g_autoptr(QiMessage) stamped = qi_message_with_session (message, QI_MESSAGE_BUS_HUB_SESSION);

  deliver_to (self, to, stamped);
}

static void
answer_error (QiMessageBus *self,
              const char   *to,
              QiMessage    *request,
              QiHubError    code,
              const char   *format,
              ...) G_GNUC_PRINTF (5, 6);

static void
answer_error (QiMessageBus *self,
              const char   *to,
              QiMessage    *request,
              QiHubError    code,
              const char   *format,
              ...)
{
  g_autofree char *text = NULL;
  g_autoptr(QiMessage) error = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  error = qi_message_new_error (request, code, text, NULL);
  send_from_hub (self, to, error);
}

static void
answer_gerror (QiMessageBus *self,
               const char   *to,
               QiMessage    *request,
               const GError *error)
{
  QiHubError code = error->domain == QI_HUB_ERROR ? (QiHubError) error->code
                                                  : QI_HUB_ERROR_HANDLER_FAILED;

  answer_error (self, to, request, code, "%s", error->message);
}

static void
answer (QiMessageBus *self,
        const char   *to,
        QiMessage    *request,
        JsonNode     *payload)
{
  g_autoptr(QiMessage) reply = qi_message_new_reply (request, payload);

  send_from_hub (self, to, reply);
}

/* Sends @event from the hub, or passes on one a session sent, to every
 * subscriber of a matching pattern. */
static void
deliver_event (QiMessageBus *self,
               QiMessage    *event)
{
  g_autoptr(GPtrArray) matches = qi_handler_registry_match (self->registry, qi_message_get_topic (event));
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  /* A subscriber may unsubscribe others as it receives: copy first. A
   * session subscribed by two patterns receives the event once. */
  for (guint i = 0; i < matches->len; i++)
    if (g_hash_table_add (seen, g_ptr_array_index (matches, i)))
      g_ptr_array_add (targets, g_strdup (g_ptr_array_index (matches, i)));

  for (guint i = 0; i < targets->len && !self->disposed; i++)
    deliver_to (self, g_ptr_array_index (targets, i), event);
}

static void
emit_from_hub (QiMessageBus *self,
               const char   *topic,
               JsonNode     *payload)
{
  g_autoptr(QiMessage) event = qi_message_new_event (topic, payload);
  g_autoptr(QiMessage) stamped = qi_message_with_session (event, QI_MESSAGE_BUS_HUB_SESSION);

  deliver_event (self, stamped);
}

static JsonNode *
session_payload (QiSession *session)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, qi_session_get_id (session));
  json_builder_set_member_name (builder, "parent");
  if (qi_session_get_parent_id (session) != NULL)
    json_builder_add_string_value (builder, qi_session_get_parent_id (session));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
on_session_opened (QiConnectionManager *connections,
                   QiSession           *session,
                   QiMessageBus        *self)
{
  g_autoptr(QiMessageBus) hold = g_object_ref (self);
  g_autoptr(JsonNode) payload = session_payload (session);

  emit_from_hub (self, "session.opened", payload);
}

static void
on_session_closed (QiConnectionManager *connections,
                   QiSession           *session,
                   QiMessageBus        *self)
{
  g_autoptr(QiMessageBus) hold = g_object_ref (self);
  const char *id = qi_session_get_id (session);
  g_autoptr(GPtrArray) owed = g_ptr_array_new_with_free_func (pending_free);
  g_autoptr(JsonNode) payload = session_payload (session);
  GHashTableIter iter;
  gpointer value;

  qi_handler_registry_remove_session (self->registry, id);

  /* Requests the session made are forgotten; those it owed fail. */
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Pending *pending = value;

      if (g_str_equal (pending->requester, id) || g_str_equal (pending->handler, id))
        {
          g_hash_table_remove (self->by_requester, pending->requester_key);
          g_hash_table_iter_steal (&iter);
          g_ptr_array_add (owed, pending);
        }
    }

  for (guint i = 0; i < owed->len && !self->disposed; i++)
    {
      Pending *pending = g_ptr_array_index (owed, i);

      if (g_str_equal (pending->handler, id) && !g_str_equal (pending->requester, id))
        answer_error (self, pending->requester, pending->request, QI_HUB_ERROR_SESSION_CLOSED,
                      _("the session “%s” closed before answering “%s”"),
                      id, qi_message_get_topic (pending->request));
    }

  emit_from_hub (self, "session.closed", payload);
}

static void
qi_message_bus_dispose (GObject *object)
{
  QiMessageBus *self = QI_MESSAGE_BUS (object);

  self->disposed = TRUE;

  if (self->connections != NULL)
    {
      g_clear_signal_handler (&self->opened_id, self->connections);
      g_clear_signal_handler (&self->closed_id, self->connections);
      qi_connection_manager_close_all (self->connections);
    }
  if (self->by_requester != NULL)
    g_hash_table_remove_all (self->by_requester);
  if (self->pending != NULL)
    g_hash_table_remove_all (self->pending);

  G_OBJECT_CLASS (qi_message_bus_parent_class)->dispose (object);
}

static void
qi_message_bus_finalize (GObject *object)
{
  QiMessageBus *self = QI_MESSAGE_BUS (object);

  g_clear_pointer (&self->by_requester, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->hub);
  g_clear_object (&self->registry);
  g_clear_object (&self->connections);

  G_OBJECT_CLASS (qi_message_bus_parent_class)->finalize (object);
}

static void
qi_message_bus_class_init (QiMessageBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_message_bus_dispose;
  object_class->finalize = qi_message_bus_finalize;
}

static void
qi_message_bus_init (QiMessageBus *self)
{
  self->connections = qi_connection_manager_new ();
  self->registry = qi_handler_registry_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, pending_free);
  self->by_requester = g_hash_table_new (g_str_hash, g_str_equal);
  self->default_timeout_ms = QI_MESSAGE_BUS_DEFAULT_TIMEOUT_MS;
  /* Timeouts fire in the context of the thread that made the bus. */
  self->context = g_main_context_ref_thread_default ();

  self->hub = qi_session_new ();
  qi_connection_manager_open_hub_session (self->connections, self->hub);

  self->opened_id = g_signal_connect (self->connections, "session-opened",
                                      G_CALLBACK (on_session_opened), self);
  self->closed_id = g_signal_connect (self->connections, "session-closed",
                                      G_CALLBACK (on_session_closed), self);
}

/**
 * qi_message_bus_new:
 *
 * Creates a bus with its own connection manager, registry and `__hub__`
 * session.
 *
 * Returns: (transfer full): a new #QiMessageBus
 */
QiMessageBus *
qi_message_bus_new (void)
{
  return g_object_new (QI_TYPE_MESSAGE_BUS, NULL);
}

/**
 * qi_message_bus_get_connection_manager:
 * @self: a #QiMessageBus
 *
 * Returns: (transfer none): the sessions of the bus; open sessions there to
 *   let them send and receive
 */
QiConnectionManager *
qi_message_bus_get_connection_manager (QiMessageBus *self)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), NULL);

  return self->connections;
}

/**
 * qi_message_bus_get_registry:
 * @self: a #QiMessageBus
 *
 * Returns: (transfer none): the handlers and subscriptions of the bus
 */
QiHandlerRegistry *
qi_message_bus_get_registry (QiMessageBus *self)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), NULL);

  return self->registry;
}

/**
 * qi_message_bus_get_hub_session:
 * @self: a #QiMessageBus
 *
 * Returns: (transfer none): the bus's own session, `__hub__`, the parent
 *   of the hub's in-process sessions
 */
QiSession *
qi_message_bus_get_hub_session (QiMessageBus *self)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), NULL);

  return self->hub;
}

/**
 * qi_message_bus_set_default_timeout:
 * @self: a #QiMessageBus
 * @timeout_ms: milliseconds, more than 0
 *
 * Sets how long a request without `timeout_ms` waits for its reply;
 * %QI_MESSAGE_BUS_DEFAULT_TIMEOUT_MS unless set.
 */
void
qi_message_bus_set_default_timeout (QiMessageBus *self,
                                    guint         timeout_ms)
{
  g_return_if_fail (QI_IS_MESSAGE_BUS (self));
  g_return_if_fail (timeout_ms > 0);

  self->default_timeout_ms = timeout_ms;
}

/**
 * qi_message_bus_get_n_pending:
 * @self: a #QiMessageBus
 *
 * Returns: the number of requests waiting for their reply
 */
guint
qi_message_bus_get_n_pending (QiMessageBus *self)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), 0);

  return g_hash_table_size (self->pending);
}

typedef struct
{
  QiMessageBus *bus;
  char         *hub_id;
} TimeoutData;

static void
timeout_data_free (gpointer data)
{
  TimeoutData *td = data;

  g_free (td->hub_id);
  g_free (td);
}

static gboolean
on_timeout (gpointer user_data)
{
  TimeoutData *td = user_data;
  g_autoptr(QiMessageBus) self = g_object_ref (td->bus);
  Pending *pending = g_hash_table_lookup (self->pending, td->hub_id);
  guint timeout_ms;

  if (pending == NULL)
    return G_SOURCE_REMOVE;

  pending_steal (self, pending);
  /* The source ends by returning; pending_free must not destroy it. */
  g_clear_pointer (&pending->timeout, g_source_unref);

  timeout_ms = qi_message_get_timeout_ms (pending->request);
  answer_error (self, pending->requester, pending->request, QI_HUB_ERROR_TIMEOUT,
                _("no reply from “%s” to “%s” within %u ms"),
                pending->handler, qi_message_get_topic (pending->request),
                timeout_ms != 0 ? timeout_ms : self->default_timeout_ms);
  pending_free (pending);

  return G_SOURCE_REMOVE;
}

static const char *
payload_string (QiMessage  *message,
                const char *member)
{
  JsonObject *payload = json_node_get_object (qi_message_get_payload (message));
  JsonNode *node = json_object_get_member (payload, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonNode *
object_with (const char *member,
             JsonNode   *value)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_member (object, member, value);
  return json_node_init_object (json_node_alloc (), object);
}

/* The one way a session becomes a topic's handler: the hub keeps its own
 * topics. */
static gboolean
add_handler (QiMessageBus  *self,
             const char    *session,
             const char    *topic,
             GError       **error)
{
  if (g_str_has_prefix (topic, "hub."))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_EXISTS,
                   _("the topic “%s” belongs to the hub"), topic);
      return FALSE;
    }

  return qi_handler_registry_add_handler (self->registry, topic, session, NULL, NULL, error);
}

/* The one way a session subscribes: a subscription's data is the id of
 * the session it delivers to. */
static guint
subscribe (QiMessageBus  *self,
           const char    *session,
           const char    *pattern,
           GError       **error)
{
  char *subscriber = g_strdup (session);
  guint id = qi_handler_registry_subscribe (self->registry, pattern, session,
                                            subscriber, g_free, error);

  /* On failure the registry does not take the data. */
  if (id == 0)
    g_free (subscriber);
  return id;
}

/* Answers the hub's own topics. */
static void
handle_builtin (QiMessageBus *self,
                const char   *from,
                QiMessage    *request)
{
  const char *topic = qi_message_get_topic (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) payload = NULL;

  if (g_str_equal (topic, "hub.hello"))
    {
      answer_error (self, from, request, QI_HUB_ERROR_BAD_MESSAGE,
                    _("“hub.hello” names a session with its first message; this one is already “%s”"),
                    from);
      return;
    }

  if (g_str_equal (topic, "hub.ping"))
    {
      g_autoptr(QiMessage) reply = qi_message_new_reply_with_request_payload (request);

      send_from_hub (self, from, reply);
      return;
    }

  if (g_str_equal (topic, "hub.sessions"))
    {
      g_autoptr(GPtrArray) sessions = qi_connection_manager_list_sessions (self->connections);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < sessions->len; i++)
        json_array_add_element (array, session_payload (g_ptr_array_index (sessions, i)));
      payload = object_with ("sessions", json_node_init_array (json_node_alloc (), array));
      answer (self, from, request, payload);
      return;
    }

  if (g_str_equal (topic, "hub.register") || g_str_equal (topic, "hub.unregister"))
    {
      const char *handled = payload_string (request, "topic");

      if (handled == NULL)
        {
          answer_error (self, from, request, QI_HUB_ERROR_BAD_MESSAGE,
                        _("“%s” needs the string “topic” in its payload"), topic);
          return;
        }

      if (g_str_equal (topic, "hub.unregister"))
        payload = object_with ("removed",
                               json_node_init_boolean (json_node_alloc (),
                                                       qi_handler_registry_remove_handler (self->registry, handled, from)));
      else
        add_handler (self, from, handled, &error);

      if (error != NULL)
        answer_gerror (self, from, request, error);
      else
        answer (self, from, request, payload);
      return;
    }

  if (g_str_equal (topic, "hub.subscribe") || g_str_equal (topic, "hub.unsubscribe"))
    {
      const char *pattern = payload_string (request, "pattern");

      if (pattern == NULL)
        {
          answer_error (self, from, request, QI_HUB_ERROR_BAD_MESSAGE,
                        _("“%s” needs the string “pattern” in its payload"), topic);
          return;
        }

      if (g_str_equal (topic, "hub.unsubscribe"))
        {
          guint removed = qi_handler_registry_unsubscribe_pattern (self->registry, pattern, from);

          payload = object_with ("removed", json_node_init_int (json_node_alloc (), removed));
          answer (self, from, request, payload);
          return;
        }
      else
        {
          guint id = subscribe (self, from, pattern, &error);

          if (id == 0)
            {
              answer_gerror (self, from, request, error);
              return;
            }
          payload = object_with ("subscription", json_node_init_int (json_node_alloc (), id));
          answer (self, from, request, payload);
          return;
        }
    }

  answer_error (self, from, request, QI_HUB_ERROR_NO_HANDLER,
                _("the hub has no topic “%s”"), topic);
}

static void
route_request (QiMessageBus *self,
               const char   *from,
               QiMessage    *request)
{
  const char *topic = qi_message_get_topic (request);
  const char *handler = NULL;
  g_autofree char *key = NULL;
  g_autoptr(QiMessage) forwarded = NULL;
  TimeoutData *td;
  Pending *pending;
  guint timeout_ms;

  if (g_str_has_prefix (topic, "hub."))
    {
      handle_builtin (self, from, request);
      return;
    }

  qi_handler_registry_lookup_handler (self->registry, topic, &handler);
  if (handler == NULL)
    {
      answer_error (self, from, request, QI_HUB_ERROR_NO_HANDLER,
                    _("no session handles “%s”"), topic);
      return;
    }

  key = requester_key (from, qi_message_get_id (request));
  if (g_hash_table_contains (self->by_requester, key))
    {
      answer_error (self, from, request, QI_HUB_ERROR_BAD_MESSAGE,
                    _("a request of yours with the id “%s” is still waiting; ids must be unique"),
                    qi_message_get_id (request));
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->hub_id = g_strdup_printf ("hub-%" G_GUINT64_FORMAT, ++self->last_hub_id);
  pending->requester_key = g_steal_pointer (&key);
  pending->requester = g_strdup (from);
  pending->handler = g_strdup (handler);
  pending->request = qi_message_ref (request);

  timeout_ms = qi_message_get_timeout_ms (request);
  td = g_new0 (TimeoutData, 1);
  td->bus = self;
  td->hub_id = g_strdup (pending->hub_id);
  pending->timeout = g_timeout_source_new (timeout_ms != 0 ? timeout_ms : self->default_timeout_ms);
  g_source_set_callback (pending->timeout, on_timeout, td, timeout_data_free);
  g_source_set_static_name (pending->timeout, "[qi] request timeout");
  g_source_attach (pending->timeout, self->context);

  g_hash_table_insert (self->pending, pending->hub_id, pending);
  g_hash_table_insert (self->by_requester, pending->requester_key, pending->hub_id);

  forwarded = qi_message_with_id (request, pending->hub_id);
  deliver_to (self, handler, forwarded);
}

static void
route_answer (QiMessageBus *self,
              const char   *from,
              QiMessage    *answer_message)
{
  const char *re = qi_message_get_re (answer_message);
  g_autoptr(QiMessage) passed = NULL;
  Pending *pending;

  if (re == NULL)
    {
      g_debug ("Dropped an error from “%s” that answers no request", from);
      return;
    }

  /* Only the session that was asked can answer. */
  pending = g_hash_table_lookup (self->pending, re);
  if (pending == NULL || !g_str_equal (pending->handler, from))
    {
      g_debug ("Dropped an answer from “%s” to “%s”: no request of that id waits for it",
               from, re);
      return;
    }

  pending_steal (self, pending);
  passed = qi_message_with_re (answer_message, qi_message_get_id (pending->request));
  deliver_to (self, pending->requester, passed);
  pending_free (pending);
}

/**
 * qi_message_bus_send:
 * @self: a #QiMessageBus
 * @from: the open session that sends
 * @message: what it sends
 *
 * Routes @message, stamped with the id of @from. Whatever goes wrong is
 * answered to @from as an error message; nothing is raised here. A message
 * from a session that is not open is dropped.
 */
void
qi_message_bus_send (QiMessageBus *self,
                     QiSession    *from,
                     QiMessage    *message)
{
  g_autoptr(QiMessageBus) hold = NULL;
  g_autoptr(QiMessage) stamped = NULL;
  const char *id;

  g_return_if_fail (QI_IS_MESSAGE_BUS (self));
  g_return_if_fail (QI_IS_SESSION (from));
  g_return_if_fail (message != NULL);

  if (self->disposed)
    return;

  /* A receiver may drop the last reference to the bus. */
  hold = g_object_ref (self);

  id = qi_session_get_id (from);
  if (!qi_session_is_open (from) ||
      qi_connection_manager_lookup_session (self->connections, id) != from)
    {
      g_debug ("Dropped a message from a session that is not open on this bus");
      return;
    }

  stamped = qi_message_with_session (message, id);

  switch (qi_message_get_kind (stamped))
    {
    case QI_MESSAGE_KIND_REQUEST:
      route_request (self, id, stamped);
      break;

    case QI_MESSAGE_KIND_REPLY:
    case QI_MESSAGE_KIND_ERROR:
      route_answer (self, id, stamped);
      break;

    case QI_MESSAGE_KIND_EVENT:
      /* Only the hub speaks on its own topics. */
      if (from != self->hub &&
          (g_str_has_prefix (qi_message_get_topic (stamped), "hub.") ||
           g_str_has_prefix (qi_message_get_topic (stamped), "session.")))
        {
          g_autofree char *text =
            g_strdup_printf (_("only the hub sends events on “%s”"), qi_message_get_topic (stamped));
          g_autoptr(QiMessage) error =
            qi_message_new_error_full (qi_message_get_id (stamped), qi_message_get_topic (stamped),
                                       QI_HUB_ERROR_FORBIDDEN, text, NULL);

          send_from_hub (self, id, error);
          break;
        }
      deliver_event (self, stamped);
      break;

    default:
      g_assert_not_reached ();
    }
}

/**
 * qi_message_bus_cancel:
 * @self: a #QiMessageBus
 * @from: the session that made the request
 * @request_id: the id of the request
 *
 * Forgets a request @from made: a reply that comes later is dropped, and
 * no timeout is reported.
 *
 * Returns: %TRUE if the request was waiting
 */
gboolean
qi_message_bus_cancel (QiMessageBus *self,
                       QiSession    *from,
                       const char   *request_id)
{
  g_autofree char *key = NULL;
  const char *hub_id;
  Pending *pending;

  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), FALSE);
  g_return_val_if_fail (QI_IS_SESSION (from), FALSE);
  g_return_val_if_fail (request_id != NULL, FALSE);

  if (qi_session_get_id (from) == NULL)
    return FALSE;

  key = requester_key (qi_session_get_id (from), request_id);
  hub_id = g_hash_table_lookup (self->by_requester, key);
  if (hub_id == NULL)
    return FALSE;

  pending = g_hash_table_lookup (self->pending, hub_id);
  pending_steal (self, pending);
  pending_free (pending);
  return TRUE;
}

/**
 * qi_message_bus_open_and_send:
 * @self: a #QiMessageBus
 * @session: a session not yet open, of a transport
 * @name: the name to open it as if @message does not name it
 * @parent_id: (nullable): the parent to open it below if @message does not
 *   name one
 * @message: the first message the session's peer sent
 *
 * Opens the session of a connection with its first message. A `hub.hello`
 * request names it with its payload's `name` and links it below `parent`
 * (or @parent_id), and is answered with `{"session": ID}`; any other
 * message opens it as @name below @parent_id and is then routed as by
 * qi_message_bus_send(). A `hub.hello` that cannot be honoured (a reserved
 * name, an unknown parent) still opens the session, as @name, and is
 * answered with the error.
 *
 * Returns: %TRUE if the session is open; %FALSE if not even @name below
 *   @parent_id could be opened (@parent_id closed meanwhile): the transport
 *   then closes the connection
 */
gboolean
qi_message_bus_open_and_send (QiMessageBus *self,
                              QiSession    *session,
                              const char   *name,
                              const char   *parent_id,
                              QiMessage    *message)
{
  g_autoptr(QiMessageBus) hold = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) hello_error = NULL;
  gboolean hello;
  const char *id = NULL;

  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), FALSE);
  g_return_val_if_fail (QI_IS_SESSION (session), FALSE);
  g_return_val_if_fail (!qi_session_is_open (session), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (self->disposed)
    return FALSE;
  hold = g_object_ref (self);

  hello = qi_message_get_kind (message) == QI_MESSAGE_KIND_REQUEST &&
          g_str_equal (qi_message_get_topic (message), "hub.hello");

  if (hello)
    {
      JsonObject *payload = json_node_get_object (qi_message_get_payload (message));
      JsonNode *hello_name = json_object_get_member (payload, "name");
      JsonNode *hello_parent = json_object_get_member (payload, "parent");

      if (hello_name == NULL || !JSON_NODE_HOLDS_VALUE (hello_name) ||
          json_node_get_value_type (hello_name) != G_TYPE_STRING)
        g_set_error (&hello_error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                     _("“hub.hello” needs the string “name” in its payload"));
      else if (hello_parent != NULL && !JSON_NODE_HOLDS_NULL (hello_parent) &&
               (!JSON_NODE_HOLDS_VALUE (hello_parent) ||
                json_node_get_value_type (hello_parent) != G_TYPE_STRING))
        g_set_error (&hello_error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                     _("“parent” in “hub.hello” must be a session id or null"));
      else if (g_str_equal (json_node_get_string (hello_name), QI_MESSAGE_BUS_HUB_SESSION) ||
               g_str_has_prefix (json_node_get_string (hello_name), QI_MESSAGE_BUS_HUB_SESSION "/"))
        g_set_error (&hello_error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN,
                     _("the session name “%s” is reserved to the hub's own sessions"),
                     json_node_get_string (hello_name));
      else
        id = qi_connection_manager_open_session (self->connections, session,
                                                 json_node_get_string (hello_name),
                                                 hello_parent != NULL && !JSON_NODE_HOLDS_NULL (hello_parent)
                                                   ? json_node_get_string (hello_parent) : parent_id,
                                                 &hello_error);
    }

  if (id == NULL)
    id = qi_connection_manager_open_session (self->connections, session, name, parent_id, &error);
  if (id == NULL)
    {
      g_debug ("Could not open a session “%s”: %s", name, error->message);
      return FALSE;
    }

  if (!hello)
    {
      qi_message_bus_send (self, session, message);
    }
  else
    {
      g_autoptr(QiMessage) stamped = qi_message_with_session (message, id);

      if (hello_error != NULL)
        {
          answer_gerror (self, id, stamped, hello_error);
        }
      else
        {
          g_autoptr(JsonNode) payload =
            object_with ("session", json_node_init_string (json_node_alloc (), id));

          answer (self, id, stamped, payload);
        }
    }

  return qi_session_is_open (session);
}

/**
 * qi_message_bus_add_handler:
 * @self: a #QiMessageBus
 * @session: an open session
 * @topic: a request topic
 * @error: return location for a #GError
 *
 * Makes @session the handler of @topic, as `hub.register` does.
 *
 * Returns: %TRUE on success; %FALSE with %QI_HUB_ERROR_HANDLER_EXISTS if
 *   the topic has a handler or is the hub's, %QI_HUB_ERROR_BAD_MESSAGE if
 *   it is not a topic
 */
gboolean
qi_message_bus_add_handler (QiMessageBus  *self,
                            QiSession     *session,
                            const char    *topic,
                            GError       **error)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), FALSE);
  g_return_val_if_fail (QI_IS_SESSION (session), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!qi_session_is_open (session))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                   _("a closed session cannot handle “%s”"), topic);
      return FALSE;
    }

  return add_handler (self, qi_session_get_id (session), topic, error);
}

/**
 * qi_message_bus_remove_handler:
 * @self: a #QiMessageBus
 * @session: a session
 * @topic: a request topic
 *
 * Returns: %TRUE if @session handled @topic and now does not
 */
gboolean
qi_message_bus_remove_handler (QiMessageBus *self,
                               QiSession    *session,
                               const char   *topic)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), FALSE);
  g_return_val_if_fail (QI_IS_SESSION (session), FALSE);
  g_return_val_if_fail (topic != NULL, FALSE);

  if (!qi_session_is_open (session))
    return FALSE;

  return qi_handler_registry_remove_handler (self->registry, topic, qi_session_get_id (session));
}

/**
 * qi_message_bus_subscribe:
 * @self: a #QiMessageBus
 * @session: an open session
 * @pattern: a pattern of topics
 * @error: return location for a #GError
 *
 * Subscribes @session to the events matching @pattern, as `hub.subscribe`
 * does.
 *
 * Returns: the subscription's id, or 0 with %QI_HUB_ERROR_BAD_MESSAGE for
 *   a bad pattern
 */
guint
qi_message_bus_subscribe (QiMessageBus  *self,
                          QiSession     *session,
                          const char    *pattern,
                          GError       **error)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), 0);
  g_return_val_if_fail (QI_IS_SESSION (session), 0);
  g_return_val_if_fail (pattern != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!qi_session_is_open (session))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                   _("a closed session cannot subscribe to “%s”"), pattern);
      return 0;
    }

  return subscribe (self, qi_session_get_id (session), pattern, error);
}

/**
 * qi_message_bus_unsubscribe:
 * @self: a #QiMessageBus
 * @session: a session
 * @subscription: an id from qi_message_bus_subscribe()
 *
 * Returns: %TRUE if the subscription was @session's and has ended
 */
gboolean
qi_message_bus_unsubscribe (QiMessageBus *self,
                            QiSession    *session,
                            guint         subscription)
{
  g_return_val_if_fail (QI_IS_MESSAGE_BUS (self), FALSE);
  g_return_val_if_fail (QI_IS_SESSION (session), FALSE);

  if (!qi_session_is_open (session))
    return FALSE;

  return qi_handler_registry_unsubscribe (self->registry, subscription, qi_session_get_id (session));
}
