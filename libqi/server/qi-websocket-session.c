/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-connection-manager.h"
#include "qi-soup-signal-private.h"
#include "qi-websocket-session-private.h"

struct _QiWebsocketSession
{
  QiSession                parent_instance;

  QiMessageBus            *bus;
  SoupWebsocketConnection *connection;
  QiMeteredStream         *stream;
  char                    *name;
  char                    *parent_id;
  gsize                    max_message_size;
  gsize                    max_queued_bytes;
  guint64                  queued;   /* bytes of frames handed to libsoup */
  gboolean                 opened;   /* the first message opened it */
  gboolean                 disconnected;
};

G_DEFINE_FINAL_TYPE (QiWebsocketSession, qi_websocket_session, QI_TYPE_SESSION)

enum {
  DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The size of a server frame of @length payload bytes, as libsoup writes
 * it: unmasked, with a 2, 4 or 10 byte header. */
static guint64
frame_size (gsize length)
{
  if (length < 126)
    return length + 2;
  if (length < 65536)
    return length + 4;
  return length + 10;
}

gsize
qi_websocket_session_get_unsent (QiWebsocketSession *self)
{
  guint64 written = qi_metered_stream_get_written (self->stream);

  /* Pings and pongs are written but never queued here, so written can run
   * a few bytes ahead. */
  return self->queued > written ? (gsize) (self->queued - written) : 0;
}

gboolean
qi_websocket_session_is_connected (QiWebsocketSession *self)
{
  return !self->disconnected &&
         soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void
send_frame (QiWebsocketSession *self,
            QiMessage          *message)
{
  gsize length = 0;
  char *json;
  guint64 size;
  g_autoptr(GBytes) bytes = NULL;

  if (!qi_websocket_session_is_connected (self))
    return;

  json = qi_message_to_json (message, &length);
  size = frame_size (length);

  /* A peer that does not read must not make the hub hold its messages
   * without bound: past the limit it is cut off, and everyone else goes
   * on as before. */
  if (qi_websocket_session_get_unsent (self) + size > self->max_queued_bytes)
    {
      g_autofree char *reason = g_strdup_printf ("over %" G_GSIZE_FORMAT " bytes unread",
                                                 self->max_queued_bytes);

      g_free (json);
      g_debug ("Closing “%s”: it does not read what it is sent (%" G_GSIZE_FORMAT " bytes wait)",
               qi_session_get_id (QI_SESSION (self)) ?: self->name,
               qi_websocket_session_get_unsent (self));
      qi_websocket_session_disconnect (self, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, reason);
      return;
    }

  self->queued += size;
  bytes = g_bytes_new_take (json, length);
  soup_websocket_connection_send_message (self->connection, SOUP_WEBSOCKET_DATA_TEXT, bytes);
}

static void
send_error (QiWebsocketSession *self,
            const char         *re,
            const char         *topic,
            const GError       *error)
{
  g_autoptr(QiMessage) reply = NULL;
  g_autoptr(QiMessage) stamped = NULL;
  QiHubError code = error->domain == QI_HUB_ERROR ? (QiHubError) error->code
                                                  : QI_HUB_ERROR_BAD_MESSAGE;

  reply = qi_message_new_error_full (re, topic, code, error->message, NULL);
  stamped = qi_message_with_session (reply, QI_MESSAGE_BUS_HUB_SESSION);
  send_frame (self, stamped);
}

static void
on_message (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *data,
            gpointer                 user_data)
{
  QiWebsocketSession *self = QI_WEBSOCKET_SESSION (user_data);
  g_autoptr(QiWebsocketSession) hold = g_object_ref (self);
  g_autoptr(QiMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bad_id = NULL;
  const char *bytes;
  gsize length;

  qi_metered_stream_mark_read (self->stream);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_set_error_literal (&error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           _("a binary frame is not a message: the hub reads JSON in text frames"));
      send_error (self, NULL, NULL, error);
      return;
    }

  bytes = g_bytes_get_data (data, &length);
  message = qi_message_new_from_data (bytes, length, self->max_message_size, &bad_id, &error);
  if (message == NULL)
    {
      send_error (self, bad_id, NULL, error);
      return;
    }

  if (!self->opened)
    {
      self->opened = TRUE;
      if (!qi_message_bus_open_and_send (self->bus, QI_SESSION (self), self->name,
                                         self->parent_id, message))
        qi_websocket_session_disconnect (self, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                         "parent session closed");
      return;
    }

  qi_message_bus_send (self->bus, QI_SESSION (self), message);
}

static void
on_error (SoupWebsocketConnection *connection,
          GError                  *error,
          gpointer                 user_data)
{
  QiWebsocketSession *self = QI_WEBSOCKET_SESSION (user_data);

  g_debug ("WebSocket “%s”: %s", qi_session_get_id (QI_SESSION (self)) ?: self->name,
           error->message);
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  QiWebsocketSession *self = QI_WEBSOCKET_SESSION (user_data);
  g_autoptr(QiWebsocketSession) hold = g_object_ref (self);
  const char *id = qi_session_get_id (QI_SESSION (self));

  g_debug ("WebSocket “%s” closed (%u)", id ?: self->name,
           soup_websocket_connection_get_close_code (connection));

  self->disconnected = TRUE;
  if (id != NULL && qi_session_is_open (QI_SESSION (self)))
    {
      g_autofree char *copy = g_strdup (id);

      qi_connection_manager_close_session (qi_message_bus_get_connection_manager (self->bus), copy);
    }

  g_signal_emit (self, signals[DISCONNECTED], 0);
}

static void
qi_websocket_session_deliver (QiSession *session,
                              QiMessage *message)
{
  send_frame (QI_WEBSOCKET_SESSION (session), message);
}

static void
qi_websocket_session_closed (QiSession *session)
{
  QiWebsocketSession *self = QI_WEBSOCKET_SESSION (session);

  /* The hub closed the session (its parent closed, or the hub stops):
   * the connection goes with it. */
  if (qi_websocket_session_is_connected (self))
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                     "session closed");

  QI_SESSION_CLASS (qi_websocket_session_parent_class)->closed (session);
}

static void
qi_websocket_session_dispose (GObject *object)
{
  QiWebsocketSession *self = QI_WEBSOCKET_SESSION (object);

  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  g_clear_object (&self->connection);
  g_clear_object (&self->stream);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (qi_websocket_session_parent_class)->dispose (object);
}

static void
qi_websocket_session_finalize (GObject *object)
{
  QiWebsocketSession *self = QI_WEBSOCKET_SESSION (object);

  g_free (self->name);
  g_free (self->parent_id);

  G_OBJECT_CLASS (qi_websocket_session_parent_class)->finalize (object);
}

static void
qi_websocket_session_class_init (QiWebsocketSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiSessionClass *session_class = QI_SESSION_CLASS (klass);

  object_class->dispose = qi_websocket_session_dispose;
  object_class->finalize = qi_websocket_session_finalize;
  session_class->deliver = qi_websocket_session_deliver;
  session_class->closed = qi_websocket_session_closed;

  /* Emitted once, when the connection has closed. */
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
qi_websocket_session_init (QiWebsocketSession *self)
{
}

QiWebsocketSession *
qi_websocket_session_new (QiMessageBus            *bus,
                          SoupWebsocketConnection *connection,
                          QiMeteredStream         *stream,
                          const char              *name,
                          const char              *parent_id,
                          gsize                    max_message_size,
                          gsize                    max_queued_bytes)
{
  QiWebsocketSession *self;

  g_return_val_if_fail (QI_IS_MESSAGE_BUS (bus), NULL);
  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (connection), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (QI_TYPE_WEBSOCKET_SESSION, NULL);
  self->bus = g_object_ref (bus);
  self->connection = g_object_ref (connection);
  self->stream = g_object_ref (stream);
  self->name = g_strdup (name);
  self->parent_id = g_strdup (parent_id);
  self->max_message_size = max_message_size;
  self->max_queued_bytes = max_queued_bytes;

  /* libsoup refuses a larger frame by dropping the connection, so that a
   * frame just over the hub's limit still arrives and gets a too_large
   * answer, it may be twice the limit; the metered stream bounds a
   * message of many fragments the same way. */
  soup_websocket_connection_set_max_incoming_payload_size (connection, (guint64) max_message_size * 2);
  qi_metered_stream_set_read_limit (stream, (guint64) max_message_size * 2 + 65536);

  qi_soup_connect_websocket_message (connection, on_message, self);
  g_signal_connect (connection, "error", G_CALLBACK (on_error), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);

  return self;
}

gboolean
qi_websocket_session_check_alive (QiWebsocketSession *self,
                                  gint64              now,
                                  gint64              timeout_us)
{
  if (!qi_websocket_session_is_connected (self))
    return FALSE;

  if (now - qi_metered_stream_get_last_read (self->stream) <= timeout_us)
    return TRUE;

  g_debug ("Closing “%s”: nothing heard from it for %" G_GINT64_FORMAT " ms",
           qi_session_get_id (QI_SESSION (self)) ?: self->name, timeout_us / 1000);
  qi_websocket_session_disconnect (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "heartbeat timeout");
  return FALSE;
}

void
qi_websocket_session_disconnect (QiWebsocketSession *self,
                                 gushort             code,
                                 const char         *reason)
{
  if (!qi_websocket_session_is_connected (self))
    return;

  /* A peer that does not read will not read the close frame either; the
   * close handshake gives up after libsoup's own timeout. The session
   * closes now, so that nothing more is queued for it. */
  soup_websocket_connection_close (self->connection, code, reason);
  self->disconnected = TRUE;
  if (qi_session_get_id (QI_SESSION (self)) != NULL && qi_session_is_open (QI_SESSION (self)))
    {
      g_autofree char *copy = g_strdup (qi_session_get_id (QI_SESSION (self)));

      qi_connection_manager_close_session (qi_message_bus_get_connection_manager (self->bus), copy);
    }
}
