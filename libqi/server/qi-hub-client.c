/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "qi-handler-registry.h"
#include "qi-hub-client.h"
#include "qi-hub-error.h"
#include "qi-message-private.h"
#include "qi-metered-stream-private.h"
#include "qi-soup-signal-private.h"

/**
 * QiHubClient:
 *
 * A client of the hub over WebSocket, for tools and tests in other
 * processes: it connects with a token, names its session with `hub.hello`,
 * makes requests (any number in flight), emits events and subscribes.
 *
 * ```c
 * qi_hub_client_connect_async (client, "ws://127.0.0.1:4711/ws", token,
 *                              "tool/exporter", NULL, on_connected, NULL);
 * ```
 *
 * The hub enforces each request's deadline; the client fails a request
 * itself only when the hub has not answered one second after it, or when
 * the connection closes (`session_closed`).
 *
 * Messages that answer nothing the client asked and match none of its
 * subscriptions (an error about a frame it could not read, say) are
 * emitted as #QiHubClient::message.
 */

#define MAX_INCOMING (64 * 1024 * 1024)

/* A request on its way and, once answered, its result.
 *
 * A GAsyncResult of its own rather than a GTask: a GTask never completes
 * in the main-loop iteration that made it, and with requests pipelined
 * the reply often comes back in that iteration, while libsoup still
 * reads what the last poll found; the callback then went through an
 * idle source and one more iteration (a quarter of all the callbacks
 * of bench/hub's C client, half with 64 requests in flight). A reply, a
 * deadline or a closed connection is only ever handled from the main
 * loop, after qi_hub_client_request_async() has returned, so the callback
 * runs at once when that loop is the caller's context's; a request that
 * fails before it is sent, or one completed from another context, calls
 * back from an idle source of the caller's context, as a GTask does. As
 * with a GTask, a cancelled request finishes with %G_IO_ERROR_CANCELLED. */
#define QI_TYPE_HUB_CLIENT_RESULT (qi_hub_client_result_get_type ())
G_DECLARE_FINAL_TYPE (QiHubClientResult, qi_hub_client_result, QI, HUB_CLIENT_RESULT, GObject)

struct _QiHubClientResult
{
  GObject              parent_instance;

  QiHubClient         *client;      /* the source object */
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  GMainContext        *context;     /* the caller's thread-default context */
  GCancellable        *cancellable;
  gulong               cancel_id;
  char                *id;          /* GRefString: the key in the client's pending table */
  gint64               deadline;
  JsonNode            *payload;     /* the reply's payload, */
  GError              *error;       /* or why the request failed */
};

static void qi_hub_client_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QiHubClientResult, qi_hub_client_result, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT, qi_hub_client_result_iface_init))


typedef struct
{
  guint          id;
  char          *pattern;
  QiHubEventFunc func;
  gpointer       data;
  GDestroyNotify destroy;
} Subscription;

struct _QiHubClient
{
  GObject                  parent_instance;

  SoupWebsocketConnection *connection;
  char                    *session_id;
  GHashTable              *pending;        /* id → QiHubClientResult */
  GPtrArray               *subscriptions;  /* of Subscription */
  guint                    next_subscription;
  guint                    deadline_source;
};

G_DEFINE_FINAL_TYPE (QiHubClient, qi_hub_client, G_TYPE_OBJECT)

enum {
  MESSAGE,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
qi_hub_client_result_finalize (GObject *object)
{
  QiHubClientResult *self = QI_HUB_CLIENT_RESULT (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->id, g_ref_string_release);
  g_clear_pointer (&self->payload, json_node_unref);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (qi_hub_client_result_parent_class)->finalize (object);
}

static void
qi_hub_client_result_class_init (QiHubClientResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_hub_client_result_finalize;
}

static void
qi_hub_client_result_init (QiHubClientResult *self)
{
}

static gpointer
result_get_user_data (GAsyncResult *result)
{
  return QI_HUB_CLIENT_RESULT (result)->user_data;
}

static GObject *
result_get_source_object (GAsyncResult *result)
{
  return g_object_ref (G_OBJECT (QI_HUB_CLIENT_RESULT (result)->client));
}

static gboolean
result_is_tagged (GAsyncResult *result,
                  gpointer      source_tag)
{
  return source_tag == qi_hub_client_request_async;
}

static void
qi_hub_client_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = result_get_user_data;
  iface->get_source_object = result_get_source_object;
  iface->is_tagged = result_is_tagged;
}

static gboolean
complete_in_idle (gpointer data)
{
  QiHubClientResult *self = data;

  self->callback (G_OBJECT (self->client), G_ASYNC_RESULT (self), self->user_data);
  return G_SOURCE_REMOVE;
}

/* Calls back with the outcome set, at once when the main loop of the
 * caller's context is dispatching (unless @later), else from an idle
 * source of that context; takes the reference the request held. */
static void
complete (QiHubClientResult *self,
          gboolean           later)
{
  GSource *current = g_main_current_source ();

  if (self->cancel_id != 0)
    g_cancellable_disconnect (self->cancellable, self->cancel_id);
  self->cancel_id = 0;

  if (self->callback == NULL)
    ;
  else if (!later && current != NULL && g_source_get_context (current) == self->context)
    self->callback (G_OBJECT (self->client), G_ASYNC_RESULT (self), self->user_data);
  else
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, complete_in_idle, g_object_ref (self), g_object_unref);
      g_source_set_static_name (idle, "[qi] hub client request");
      g_source_attach (idle, self->context);
      g_source_unref (idle);
    }
  g_object_unref (self);
}

static void
complete_with_error (QiHubClientResult *self,
                     QiHubError         code,
                     const char        *message)
{
  self->error = g_error_new_literal (QI_HUB_ERROR, code, message);
  complete (self, FALSE);
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

static void
fail_all (QiHubClient *self,
          QiHubError   code,
          const char  *message)
{
  GHashTable *pending = g_steal_pointer (&self->pending);
  GHashTableIter iter;
  gpointer value;

  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_hash_table_iter_steal (&iter);
      complete_with_error (value, code, message);
    }
  g_hash_table_unref (pending);
}

static void
on_closed (SoupWebsocketConnection *connection,
           QiHubClient             *self)
{
  g_autoptr(QiHubClient) hold = g_object_ref (self);

  g_clear_handle_id (&self->deadline_source, g_source_remove);
  fail_all (self, QI_HUB_ERROR_SESSION_CLOSED, _("the connection to the hub closed"));
  g_signal_emit (self, signals[CLOSED], 0);
}

static void
answer (QiHubClient *self,
        QiMessage   *message)
{
  QiHubClientResult *pending;
  g_autoptr(GError) error = NULL;

  if (!g_hash_table_steal_extended (self->pending, qi_message_get_re (message), NULL, (gpointer *) &pending))
    {
      g_signal_emit (self, signals[MESSAGE], 0, message);
      return;
    }

  /* The payload is sealed: the caller may share it. */
  if (qi_message_get_error (message, &error))
    pending->payload = json_node_ref (qi_message_get_payload (message));
  else
    pending->error = g_steal_pointer (&error);
  complete (pending, FALSE);
}

static void
dispatch_event (QiHubClient *self,
                QiMessage   *message)
{
  gboolean matched = FALSE;

  for (guint i = 0; i < self->subscriptions->len; i++)
    {
      Subscription *subscription = g_ptr_array_index (self->subscriptions, i);

      if (qi_handler_registry_pattern_matches (subscription->pattern, qi_message_get_topic (message)))
        {
          matched = TRUE;
          subscription->func (message, subscription->data);
        }
    }

  if (!matched)
    g_signal_emit (self, signals[MESSAGE], 0, message);
}

static void
on_message (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *data,
            gpointer                 user_data)
{
  QiHubClient *self = user_data;
  g_autoptr(QiHubClient) hold = g_object_ref (self);
  g_autoptr(QiMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  const char *bytes;
  gsize length;

  bytes = g_bytes_get_data (data, &length);
  message = qi_message_new_from_data_built (bytes, length, MAX_INCOMING, &error);
  if (message == NULL)
    {
      g_warning ("The hub sent a message that could not be read: %s", error->message);
      return;
    }

  switch (qi_message_get_kind (message))
    {
    case QI_MESSAGE_KIND_REPLY:
    case QI_MESSAGE_KIND_ERROR:
      if (qi_message_get_re (message) != NULL)
        answer (self, message);
      else
        g_signal_emit (self, signals[MESSAGE], 0, message);
      break;
    case QI_MESSAGE_KIND_EVENT:
      dispatch_event (self, message);
      break;
    case QI_MESSAGE_KIND_REQUEST:
    default:
      g_signal_emit (self, signals[MESSAGE], 0, message);
      break;
    }
}

static void
qi_hub_client_dispose (GObject *object)
{
  QiHubClient *self = QI_HUB_CLIENT (object);

  g_clear_handle_id (&self->deadline_source, g_source_remove);
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  if (self->pending != NULL)
    fail_all (self, QI_HUB_ERROR_SESSION_CLOSED, _("the hub client was closed"));
  g_clear_object (&self->connection);
  if (self->subscriptions != NULL)
    g_ptr_array_set_size (self->subscriptions, 0);

  G_OBJECT_CLASS (qi_hub_client_parent_class)->dispose (object);
}

static void
qi_hub_client_finalize (GObject *object)
{
  QiHubClient *self = QI_HUB_CLIENT (object);

  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_ptr_array_unref);
  g_free (self->session_id);

  G_OBJECT_CLASS (qi_hub_client_parent_class)->finalize (object);
}

static void
qi_hub_client_class_init (QiHubClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_hub_client_dispose;
  object_class->finalize = qi_hub_client_finalize;

  /**
   * QiHubClient::message:
   * @self: the client
   * @message: the message
   *
   * Emitted for a message from the hub that answers no request of the
   * client and matches none of its subscriptions.
   */
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, QI_TYPE_MESSAGE);

  /**
   * QiHubClient::closed:
   * @self: the client
   *
   * Emitted when the connection has closed; the requests in flight have
   * failed with %QI_HUB_ERROR_SESSION_CLOSED.
   */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
qi_hub_client_init (QiHubClient *self)
{
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->subscriptions = g_ptr_array_new_with_free_func (subscription_free);
}

/**
 * qi_hub_client_new:
 *
 * Returns: (transfer full): a new, unconnected #QiHubClient
 */
QiHubClient *
qi_hub_client_new (void)
{
  return g_object_new (QI_TYPE_HUB_CLIENT, NULL);
}

static void
on_hello (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QiHubClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_client_request_finish (self, result, &error);
  JsonObject *object;

  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  if (object == NULL || !json_object_has_member (object, "session"))
    {
      g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                               _("the hub answered “hub.hello” without a session id"));
      return;
    }

  g_free (self->session_id);
  self->session_id = g_strdup (json_object_get_string_member (object, "session"));
  g_task_return_boolean (task, TRUE);
}

/* The WebSocket upgrade, made by the client itself rather than by a
 * SoupSession: libsoup's connection then runs on a QiMeteredStream, which
 * gathers the requests written while libsoup reads (those sent from the
 * callbacks of the replies it read) into one write, as the server does
 * with its replies, instead of one system call, and one segment for the
 * hub to read, for each. */
typedef struct
{
  GUri              *uri;
  char              *name;      /* for hub.hello, or NULL */
  char              *key;       /* Sec-WebSocket-Key */
  char              *request;   /* the upgrade request */
  GSocketConnection *socket;
  GByteArray        *head;      /* the answer read so far */
  guint8             buffer[1024];
} Connect;

#define MAX_HEAD (16 * 1024)
#define WEBSOCKET_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static void
connect_free (gpointer data)
{
  Connect *connect = data;

  g_clear_pointer (&connect->uri, g_uri_unref);
  g_free (connect->name);
  g_free (connect->key);
  g_free (connect->request);
  g_clear_object (&connect->socket);
  g_clear_pointer (&connect->head, g_byte_array_unref);
  g_free (connect);
}

/* The Sec-WebSocket-Accept that answers @key (RFC 6455, 4.2.2). */
static char *
websocket_accept (const char *key)
{
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize length = sizeof digest;

  g_checksum_update (sha1, (const guchar *) key, -1);
  g_checksum_update (sha1, (const guchar *) WEBSOCKET_GUID, -1);
  g_checksum_get_digest (sha1, digest, &length);
  return g_base64_encode (digest, length);
}

/* The answer's head is in: checks it, and starts the WebSocket on what
 * follows it. */
static void
upgrade_done (GTask *task,
              gsize  head_length)
{
  QiHubClient *self = g_task_get_source_object (task);
  Connect *connect = g_task_get_task_data (task);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(QiMeteredStream) metered = NULL;
  g_autoptr(GBytes) ahead = NULL;
  g_autofree char *text = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *accept = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) payload = NULL;
  const char *answered;
  GSocket *socket = NULL;
  guint status = 0;

  /* libsoup's parser reads the status code with strtol(): nul-terminated. */
  text = g_strndup ((const char *) connect->head->data, head_length);
  if (!soup_headers_parse_response (text, (int) head_length, headers, NULL, &status, &reason))
    {
      g_task_return_new_error (task, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                               _("the hub at %s did not answer the WebSocket upgrade in HTTP"),
                               g_uri_get_host (connect->uri));
      return;
    }
  if (status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      g_task_return_new_error (task, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET,
                               _("the hub refused the WebSocket connection: %u %s"), status,
                               reason != NULL ? reason : "");
      return;
    }

  accept = websocket_accept (connect->key);
  answered = soup_message_headers_get_one (headers, "Sec-WebSocket-Accept");
  if (!soup_message_headers_header_equals (headers, "Upgrade", "websocket") ||
      !soup_message_headers_header_contains (headers, "Connection", "upgrade") ||
      answered == NULL || strcmp (answered, accept) != 0 ||
      soup_message_headers_get_one (headers, "Sec-WebSocket-Extensions") != NULL ||
      soup_message_headers_get_one (headers, "Sec-WebSocket-Protocol") != NULL)
    {
      g_task_return_new_error (task, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                               _("the hub's answer to the WebSocket upgrade is not valid"));
      return;
    }

  /* The bytes read past the head are the first of the WebSocket; on a
   * plain TCP connection the metered stream may read its socket itself. */
  ahead = g_bytes_new (connect->head->data + head_length, connect->head->len - head_length);
  if (G_IS_TCP_CONNECTION (connect->socket))
    socket = g_socket_connection_get_socket (connect->socket);
  metered = qi_metered_stream_new (G_IO_STREAM (connect->socket), socket, ahead);
  self->connection = soup_websocket_connection_new (G_IO_STREAM (metered), connect->uri,
                                                    SOUP_WEBSOCKET_CONNECTION_CLIENT, NULL, NULL, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (self->connection, MAX_INCOMING);
  soup_websocket_connection_set_keepalive_interval (self->connection, 0);
  qi_soup_connect_websocket_message (self->connection, on_message, self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_closed), self);

  if (connect->name == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, connect->name);
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);

  qi_hub_client_request_async (self, "hub.hello", payload, 0, g_task_get_cancellable (task),
                               on_hello, g_object_ref (task));
}

static void
on_head_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Connect *connect = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  GCancellable *cancellable;
  gsize from;

  if (n < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      g_task_return_new_error (task, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                               _("the hub closed the connection before it answered the WebSocket upgrade"));
      return;
    }

  /* Look for the end of the head in what came in, and the three bytes
   * before it. */
  from = connect->head->len >= 3 ? connect->head->len - 3 : 0;
  g_byte_array_append (connect->head, connect->buffer, (guint) n);
  for (gsize i = from; i + 4 <= connect->head->len; i++)
    if (memcmp (connect->head->data + i, "\r\n\r\n", 4) == 0)
      {
        upgrade_done (task, i + 4);
        return;
      }
  if (connect->head->len >= MAX_HEAD)
    {
      g_task_return_new_error (task, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                               _("the hub's answer to the WebSocket upgrade is too long"));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  g_input_stream_read_async (G_INPUT_STREAM (source), connect->buffer, sizeof connect->buffer,
                             G_PRIORITY_DEFAULT, cancellable, on_head_read, g_steal_pointer (&task));
}

static void
on_request_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Connect *connect = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  connect->head = g_byte_array_new ();
  cancellable = g_task_get_cancellable (task);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connect->socket)),
                             connect->buffer, sizeof connect->buffer, G_PRIORITY_DEFAULT,
                             cancellable, on_head_read, g_steal_pointer (&task));
}

static void
on_socket_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Connect *connect = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  connect->socket = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connect->socket == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (connect->socket)),
                                   connect->request, strlen (connect->request), G_PRIORITY_DEFAULT,
                                   cancellable, on_request_written, g_steal_pointer (&task));
}

/* A token goes into a header as it is: printable ASCII only. */
static gboolean
token_is_valid (const char *token)
{
  for (const char *c = token; *c != '\0'; c++)
    if (*c <= ' ' || *c > '~')
      return FALSE;
  return *token != '\0';
}

/* The upgrade request: the URL's path and query, its host as the Host
 * header (the server takes loopback names only), a new key. */
static char *
upgrade_request (GUri       *uri,
                 const char *token,
                 char      **key)
{
  g_autoptr(GString) request = g_string_new ("GET ");
  const char *host = g_uri_get_host (uri);
  const char *path = g_uri_get_path (uri);
  guint8 nonce[16];

  for (guint i = 0; i < sizeof nonce; i += 4)
    {
      guint32 r = g_random_int ();

      memcpy (nonce + i, &r, 4);
    }
  *key = g_base64_encode (nonce, sizeof nonce);

  g_string_append (request, *path != '\0' ? path : "/");
  if (g_uri_get_query (uri) != NULL)
    g_string_append_printf (request, "?%s", g_uri_get_query (uri));
  g_string_append (request, " HTTP/1.1\r\nHost: ");
  g_string_append_printf (request, strchr (host, ':') != NULL ? "[%s]" : "%s", host);
  if (g_uri_get_port (uri) != -1)
    g_string_append_printf (request, ":%d", g_uri_get_port (uri));
  g_string_append_printf (request,
                          "\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\n"
                          "Sec-WebSocket-Version: 13\r\n",
                          *key);
  if (token != NULL)
    g_string_append_printf (request, "Authorization: Bearer %s\r\n", token);
  g_string_append (request, "\r\n");
  return g_string_free (g_steal_pointer (&request), FALSE);
}

/**
 * qi_hub_client_connect_async:
 * @self: a #QiHubClient
 * @url: the hub's URL, such as `ws://127.0.0.1:4711/ws`
 * @token: (nullable): a token of the server, sent as `Authorization: Bearer`
 * @name: (nullable): the session name to ask for with `hub.hello`, such as
 *   `tool/exporter`; %NULL to keep the token's
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected, or on failure
 * @user_data: data for @callback
 *
 * Connects to the hub, and with @name names the session. A `wss://` URL
 * connects over TLS. No proxy is used: the hub is on loopback. An answer
 * other than the upgrade is an error in %SOUP_WEBSOCKET_ERROR
 * (%SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET, naming the HTTP status: `401
 * Unauthorized` for a refused token).
 */
void
qi_hub_client_connect_async (QiHubClient         *self,
                             const char          *url,
                             const char          *token,
                             const char          *name,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  gboolean tls;
  Connect *connect;
  int port;

  g_return_if_fail (QI_IS_HUB_CLIENT (self));
  g_return_if_fail (url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_hub_client_connect_async);

  if (self->connection != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("the client is already connected"));
      return;
    }

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "ws") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a ws:// URL"), url);
      return;
    }
  if (token != NULL && !token_is_valid (token))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("the token holds characters a token cannot hold"));
      return;
    }

  tls = strcmp (g_uri_get_scheme (uri), "wss") == 0;
  port = g_uri_get_port (uri) != -1 ? g_uri_get_port (uri) : tls ? 443 : 80;
  connect = g_new0 (Connect, 1);
  connect->uri = g_uri_ref (uri);
  connect->name = g_strdup (name);
  connect->request = upgrade_request (uri, token, &connect->key);
  g_task_set_task_data (task, connect, connect_free);

  /* The hub is on loopback: no proxy applies, and asking the system's
   * resolver (libproxy) for each connection costs more than the rest. */
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_tls (client, tls);
  address = g_network_address_new (g_uri_get_host (uri), (guint16) port);
  g_socket_client_connect_async (client, address, cancellable, on_socket_connected,
                                 g_steal_pointer (&task));
}

/**
 * qi_hub_client_connect_finish:
 * @self: a #QiHubClient
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE if connected (and, with a name, the session named)
 */
gboolean
qi_hub_client_connect_finish (QiHubClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * qi_hub_client_get_session_id:
 * @self: a #QiHubClient
 *
 * Returns: (nullable): the session id `hub.hello` gave, or %NULL
 */
const char *
qi_hub_client_get_session_id (QiHubClient *self)
{
  g_return_val_if_fail (QI_IS_HUB_CLIENT (self), NULL);

  return self->session_id;
}

/**
 * qi_hub_client_is_connected:
 * @self: a #QiHubClient
 *
 * Returns: %TRUE while the connection is open
 */
gboolean
qi_hub_client_is_connected (QiHubClient *self)
{
  g_return_val_if_fail (QI_IS_HUB_CLIENT (self), FALSE);

  return self->connection != NULL &&
         soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Sends a new request or event, whose id it sets: written straight from
 * the caller's payload, which is neither copied nor kept. */
static gboolean
send_new (QiHubClient    *self,
          QiMessageKind   kind,
          const char     *topic,
          JsonNode       *payload,
          guint           timeout_ms,
          char          **id,
          GError        **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize length = 0;
  char *json;

  *id = NULL;
  if (!qi_hub_client_is_connected (self))
    {
      g_set_error_literal (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                           _("the client is not connected to the hub"));
      return FALSE;
    }

  json = qi_message_encode_new (kind, topic, payload, timeout_ms, id, &length);
  bytes = g_bytes_new_take (json, length);
  soup_websocket_connection_send_message (self->connection, SOUP_WEBSOCKET_DATA_TEXT, bytes);
  return TRUE;
}

static gboolean
check_deadlines (gpointer user_data)
{
  QiHubClient *self = QI_HUB_CLIENT (user_data);
  g_autoptr(GPtrArray) late = g_ptr_array_new ();
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      QiHubClientResult *pending = value;

      if (pending->deadline <= now)
        {
          g_ptr_array_add (late, pending);
          g_hash_table_iter_steal (&iter);
        }
    }

  for (guint i = 0; i < late->len; i++)
    complete_with_error (g_ptr_array_index (late, i), QI_HUB_ERROR_TIMEOUT,
                         _("the hub did not answer in time"));

  if (g_hash_table_size (self->pending) == 0)
    {
      self->deadline_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  QiHubClient *client;   /* weak */
  char        *id;
} CancelData;

static void
cancel_data_free (gpointer data)
{
  CancelData *cancel = data;

  g_clear_weak_pointer (&cancel->client);
  g_free (cancel->id);
  g_free (cancel);
}

static gboolean
cancel_in_idle (gpointer data)
{
  CancelData *cancel = data;
  QiHubClientResult *pending;

  if (cancel->client == NULL)
    return G_SOURCE_REMOVE;

  pending = g_hash_table_lookup (cancel->client->pending, cancel->id);
  if (pending == NULL)
    return G_SOURCE_REMOVE;

  g_hash_table_steal (cancel->client->pending, cancel->id);
  complete_with_error (pending, QI_HUB_ERROR_CANCELLED, _("the request was cancelled"));
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      data)
{
  CancelData *source = data;
  CancelData *copy = g_new0 (CancelData, 1);

  /* Runs in the thread that cancelled: finish in the client's context. */
  g_set_weak_pointer (&copy->client, source->client);
  copy->id = g_strdup (source->id);
  g_idle_add_full (G_PRIORITY_DEFAULT, cancel_in_idle, copy, cancel_data_free);
}

/**
 * qi_hub_client_request_async:
 * @self: a connected #QiHubClient
 * @topic: the request's topic
 * @payload: (nullable): a JSON object, or %NULL for `{}`
 * @timeout_ms: the deadline, or 0 for the hub's default (30 s)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the reply or the error
 * @user_data: data for @callback
 *
 * Sends a request. Any number may be in flight.
 */
void
qi_hub_client_request_async (QiHubClient         *self,
                             const char          *topic,
                             JsonNode            *payload,
                             guint                timeout_ms,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  QiHubClientResult *pending;

  g_return_if_fail (QI_IS_HUB_CLIENT (self));
  g_return_if_fail (qi_message_topic_is_valid (topic));
  g_return_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload));
  g_return_if_fail (timeout_ms <= G_MAXINT32);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  pending = g_object_new (QI_TYPE_HUB_CLIENT_RESULT, NULL);
  pending->client = g_object_ref (self);
  pending->callback = callback;
  pending->user_data = user_data;
  pending->context = g_main_context_ref_thread_default ();
  g_set_object (&pending->cancellable, cancellable);

  if (!send_new (self, QI_MESSAGE_KIND_REQUEST, topic, payload, timeout_ms, &pending->id, &pending->error))
    {
      complete (pending, TRUE);
      return;
    }

  pending->deadline = g_get_monotonic_time () +
                      ((gint64) (timeout_ms != 0 ? timeout_ms : 30000) + 1000) * 1000;
  if (cancellable != NULL)
    {
      CancelData *cancel = g_new0 (CancelData, 1);

      g_set_weak_pointer (&cancel->client, self);
      cancel->id = g_strdup (pending->id);
      pending->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled),
                                                  cancel, cancel_data_free);
    }
  g_hash_table_insert (self->pending, pending->id, pending);

  if (self->deadline_source == 0)
    self->deadline_source = g_timeout_add (500, check_deadlines, self);
}

/**
 * qi_hub_client_request_finish:
 * @self: a #QiHubClient
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply's payload, or %NULL with @error set
 *   (in %QI_HUB_ERROR for an error the hub or the handler answered)
 */
JsonNode *
qi_hub_client_request_finish (QiHubClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  QiHubClientResult *request;

  g_return_val_if_fail (QI_IS_HUB_CLIENT (self), NULL);
  g_return_val_if_fail (QI_IS_HUB_CLIENT_RESULT (result), NULL);
  g_return_val_if_fail (QI_HUB_CLIENT_RESULT (result)->client == self, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  request = QI_HUB_CLIENT_RESULT (result);
  if (request->cancellable != NULL && g_cancellable_set_error_if_cancelled (request->cancellable, error))
    return NULL;
  if (request->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&request->error));
      return NULL;
    }
  return g_steal_pointer (&request->payload);
}

/**
 * qi_hub_client_emit:
 * @self: a connected #QiHubClient
 * @topic: the event's topic
 * @payload: (nullable): a JSON object, or %NULL for `{}`
 * @error: return location for a #GError
 *
 * Sends an event.
 *
 * Returns: %TRUE if it was sent
 */
gboolean
qi_hub_client_emit (QiHubClient  *self,
                    const char   *topic,
                    JsonNode     *payload,
                    GError      **error)
{
  char *id;

  g_return_val_if_fail (QI_IS_HUB_CLIENT (self), FALSE);
  g_return_val_if_fail (qi_message_topic_is_valid (topic), FALSE);
  g_return_val_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload), FALSE);

  if (!send_new (self, QI_MESSAGE_KIND_EVENT, topic, payload, 0, &id, error))
    return FALSE;
  g_ref_string_release (id);
  return TRUE;
}

/**
 * qi_hub_client_subscribe:
 * @self: a connected #QiHubClient
 * @pattern: a pattern, such as `db_service.**`
 * @callback: (scope notified) (closure user_data) (destroy destroy): called
 *   with each matching event
 * @user_data: data for @callback
 * @destroy: (nullable): frees @user_data
 * @error: return location for a #GError
 *
 * Subscribes to events: sends `hub.subscribe` (without waiting for its
 * answer) and calls @callback for each event whose topic matches.
 *
 * Returns: a subscription id, or 0 with @error set
 */
guint
qi_hub_client_subscribe (QiHubClient     *self,
                         const char      *pattern,
                         QiHubEventFunc   callback,
                         gpointer         user_data,
                         GDestroyNotify   destroy,
                         GError         **error)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) payload = NULL;
  char *id;
  Subscription *subscription;

  g_return_val_if_fail (QI_IS_HUB_CLIENT (self), 0);
  g_return_val_if_fail (pattern != NULL, 0);
  g_return_val_if_fail (callback != NULL, 0);

  if (!qi_handler_registry_check_pattern (pattern, error))
    return 0;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pattern");
  json_builder_add_string_value (builder, pattern);
  json_builder_end_object (builder);
  payload = json_builder_get_root (builder);
  if (!send_new (self, QI_MESSAGE_KIND_REQUEST, "hub.subscribe", payload, 0, &id, error))
    return 0;
  g_ref_string_release (id);

  subscription = g_new0 (Subscription, 1);
  subscription->id = ++self->next_subscription;
  subscription->pattern = g_strdup (pattern);
  subscription->func = callback;
  subscription->data = user_data;
  subscription->destroy = destroy;
  g_ptr_array_add (self->subscriptions, subscription);

  return subscription->id;
}

/**
 * qi_hub_client_send_text:
 * @self: a connected #QiHubClient
 * @text: (array length=length) (element-type guint8): the frame's bytes
 * @length: the number of bytes in @text
 * @error: return location for a #GError
 *
 * Sends one text frame as it is, for tools that speak the protocol
 * themselves and for tests of what the hub does with bad input. Answers
 * arrive through #QiHubClient::message.
 *
 * Returns: %TRUE if it was sent
 */
gboolean
qi_hub_client_send_text (QiHubClient  *self,
                         const char   *text,
                         gsize         length,
                         GError      **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (QI_IS_HUB_CLIENT (self), FALSE);
  g_return_val_if_fail (text != NULL || length == 0, FALSE);

  if (!qi_hub_client_is_connected (self))
    {
      g_set_error_literal (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED,
                           _("the client is not connected to the hub"));
      return FALSE;
    }

  bytes = g_bytes_new (text, length);
  soup_websocket_connection_send_message (self->connection, SOUP_WEBSOCKET_DATA_TEXT, bytes);
  return TRUE;
}

/**
 * qi_hub_client_close:
 * @self: a #QiHubClient
 *
 * Closes the connection (code 1000); #QiHubClient::closed follows once
 * the close handshake is done.
 */
void
qi_hub_client_close (QiHubClient *self)
{
  g_return_if_fail (QI_IS_HUB_CLIENT (self));

  if (qi_hub_client_is_connected (self))
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}
