/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "qi-metered-stream-private.h"
#include "qi-hub.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-request.h"
#include "qi-json.h"
#include "qi-message-bus.h"
#include "qi-rest-utils-private.h"
#include "qi-server.h"
#include "qi-static-folder.h"
#include "qi-version.h"
#include "qi-websocket-session-private.h"

/**
 * QiServer:
 *
 * The local server: a #SoupServer on 127.0.0.1 only, with
 *
 * - the hub at `/ws`: each WebSocket connection is a hub session
 *   (see `docs/protocol.md`);
 * - REST routes under `/api/` (see #QiRestRouter), and `GET /api/health`;
 * - static UI folders at `/ui/NAME/` (see #QiStaticFolder).
 *
 * Every WebSocket upgrade and every REST call but `GET /api/health` needs a
 * token of this run's #QiTokenAuthority, as `Authorization: Bearer TOKEN`
 * or `?token=TOKEN`; missing, forged or expired: 401. A token without the
 * scope (`hub` for `/ws`, `api` for `/api/`): 403. A token whose signature
 * is good may still be refused (401) by the check of
 * qi_server_set_token_check(), such as a session that was logged out, and
 * qi_server_close_token_connections() closes the connections of one. A request whose `Host`
 * is not a loopback name or address is refused with 403 whatever it asks
 * (DNS rebinding), and so is a WebSocket upgrade whose `Origin` is not the
 * server's own (native clients send none).
 *
 * A WebSocket client is cut off when it has not been heard from (a pong
 * counts) for #QiServer:heartbeat-timeout milliseconds, or when more than
 * #QiServer:max-queued-bytes wait unread for it.
 */

struct _QiServer
{
  QiService         parent_instance;

  QiHub            *hub;
  QiTokenAuthority *authority;
  SoupServer       *soup;
  QiRestRouter     *router;
  GHashTable       *ui_folders;   /* name → QiStaticFolder */
  GHashTable       *sockets;      /* QiWebsocketSession → SHA-256 of its token */
  QiServerTokenCheck token_check;
  gpointer          token_check_data;
  GDestroyNotify    token_check_destroy;
  guint             port;
  guint             requested_port;
  guint64           max_message_size;
  guint64           max_queued_bytes;
  guint             heartbeat_interval;
  guint             heartbeat_timeout;
  guint             heartbeat_source;
  QiHubEndpoint    *endpoint;     /* __hub__/server, while listening */
};

#define LISTEN_BACKLOG 512

G_DEFINE_FINAL_TYPE (QiServer, qi_server, QI_TYPE_SERVICE)

enum {
  PROP_0,
  PROP_HUB,
  PROP_TOKEN_AUTHORITY,
  PROP_PORT,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_QUEUED_BYTES,
  PROP_HEARTBEAT_INTERVAL,
  PROP_HEARTBEAT_TIMEOUT,
  PROP_ROUTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Upgrades in flight: what the token said, until the 101 is written. */
typedef struct
{
  QiServer *server;   /* weak */
  char     *name;
  char     *parent_id;
  char     *token_key;
} Upgrade;

static void
upgrade_free (gpointer data,
              GClosure *closure)
{
  Upgrade *upgrade = data;

  g_clear_weak_pointer (&upgrade->server);
  g_free (upgrade->name);
  g_free (upgrade->parent_id);
  g_free (upgrade->token_key);
  g_free (upgrade);
}

/* Host is "NAME", "NAME:PORT", "[V6]" or "[V6]:PORT". */
static gboolean
host_is_loopback (const char *host)
{
  g_autofree char *name = NULL;
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL || *host == '\0')
    return FALSE;

  if (host[0] == '[')
    {
      const char *end = strchr (host, ']');

      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        return FALSE;
      name = g_strndup (host + 1, end - host - 1);
    }
  else
    {
      const char *colon = strchr (host, ':');

      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        return FALSE;
      name = colon != NULL ? g_strndup (host, colon - host) : g_strdup (host);
    }

  if (g_ascii_strcasecmp (name, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (name);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* The server's own origins: http://127.0.0.1:PORT, http://localhost:PORT
 * and http://[::1]:PORT. */
static gboolean
origin_is_own (QiServer   *self,
               const char *origin)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 ||
      g_uri_get_port (uri) != (int) self->port ||
      g_uri_get_userinfo (uri) != NULL ||
      (*g_uri_get_path (uri) != '\0' && strcmp (g_uri_get_path (uri), "/") != 0))
    return FALSE;

  host = g_uri_get_host (uri);
  return host != NULL &&
         (strcmp (host, "127.0.0.1") == 0 || g_ascii_strcasecmp (host, "localhost") == 0 ||
          strcmp (host, "::1") == 0);
}

/* The token of a request, from its Authorization header or its query. */
static const char *
request_token (SoupServerMessage *msg,
               GHashTable        *query)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header != NULL)
    {
      if (g_ascii_strncasecmp (header, "Bearer ", 7) == 0)
        return header + 7;
      return "";
    }

  return query != NULL ? g_hash_table_lookup (query, "token") : NULL;
}

/* Checks the token of a request and its scope; answers 401 or 403 and
 * returns %NULL when it does not allow @scope. */
static QiToken *
authorize (QiServer          *self,
           SoupServerMessage *msg,
           GHashTable        *query,
           const char        *scope)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiToken) token = NULL;
  const char *text = request_token (msg, query);

  if (text == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"qi\"");
      qi_rest_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                   _("This needs a token: send “Authorization: Bearer TOKEN” or “?token=TOKEN”"));
      return NULL;
    }

  token = qi_token_authority_verify (self->authority, text, &error);
  if (token == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The token was refused: %s"), error->message);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"qi\", error=\"invalid_token\"");
      qi_rest_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", message);
      return NULL;
    }

  if (self->token_check != NULL && !self->token_check (text, token, self->token_check_data, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The token was refused: %s"), error->message);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"qi\", error=\"invalid_token\"");
      qi_rest_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized", message);
      return NULL;
    }

  if (!qi_token_has_scope (token, scope))
    {
      g_autofree char *message = g_strdup_printf (_("The token does not have the scope “%s”"), scope);

      qi_rest_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", message);
      return NULL;
    }

  return g_steal_pointer (&token);
}

static void
on_socket_disconnected (QiWebsocketSession *session,
                        QiServer           *self)
{
  g_signal_handlers_disconnect_by_data (session, self);
  g_hash_table_remove (self->sockets, session);
}

static void
complete_upgrade (SoupServerMessage *msg,
                  gpointer           user_data)
{
  Upgrade *upgrade = user_data;
  QiServer *self = upgrade->server;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(QiMeteredStream) metered = NULL;
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GSocket) socket = NULL;
  QiWebsocketSession *session;
  const char *origin;

  if (self == NULL || self->soup == NULL)
    return;

  socket = soup_server_message_get_socket (msg);
  if (socket != NULL)
    g_object_ref (socket);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  metered = qi_metered_stream_new (stream, socket, NULL);
  origin = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  connection = soup_websocket_connection_new (G_IO_STREAM (metered),
                                              soup_server_message_get_uri (msg),
                                              SOUP_WEBSOCKET_CONNECTION_SERVER,
                                              origin, NULL, NULL);
  g_object_set (connection, "keepalive-interval", self->heartbeat_interval, NULL);

  session = qi_websocket_session_new (qi_hub_get_bus (self->hub), connection, metered,
                                      upgrade->name, upgrade->parent_id,
                                      self->max_message_size, self->max_queued_bytes);
  g_hash_table_insert (self->sockets, session, g_steal_pointer (&upgrade->token_key));
  g_signal_connect (session, "disconnected", G_CALLBACK (on_socket_disconnected), self);
}

static void
handle_websocket (QiServer          *self,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  g_autoptr(QiToken) token = NULL;
  g_autoptr(GError) error = NULL;
  const char *origin;
  Upgrade *upgrade;

  origin = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  if (origin != NULL && !origin_is_own (self, origin))
    {
      g_autofree char *message = g_strdup_printf (_("WebSocket connections from the origin “%s” are not allowed"),
                                                  origin);

      qi_rest_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", message);
      return;
    }

  token = authorize (self, msg, query, QI_TOKEN_SCOPE_HUB);
  if (token == NULL)
    return;

  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Not a WebSocket handshake: %s"), error->message);

      qi_rest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message);
      return;
    }

  if (!soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    return;

  upgrade = g_new0 (Upgrade, 1);
  g_set_weak_pointer (&upgrade->server, self);
  upgrade->name = g_strdup (qi_token_get_session (token));
  upgrade->parent_id = g_strdup (qi_token_get_parent (token));
  upgrade->token_key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, request_token (msg, query), -1);
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (complete_upgrade),
                         upgrade, upgrade_free, 0);
}

static void
handle_health (QiServer          *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      qi_rest_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                   _("/api/health answers GET only"));
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, QI_VERSION_S);
  json_builder_set_member_name (builder, "connections");
  json_builder_add_int_value (builder, g_hash_table_size (self->sockets));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = qi_json_to_string (root, QI_JSON_WRITE_DEFAULT, NULL);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                    body, strlen (body));
}

static void
handle_ui (QiServer          *self,
           SoupServerMessage *msg,
           const char        *rest)
{
  const char *slash = strchr (rest, '/');
  g_autofree char *name = slash != NULL ? g_strndup (rest, slash - rest) : g_strdup (rest);
  QiStaticFolder *folder = g_hash_table_lookup (self->ui_folders, name);

  if (folder == NULL)
    {
      qi_rest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", _("There is no UI by that name"));
      return;
    }

  if (slash == NULL)
    {
      GUri *uri = soup_server_message_get_uri (msg);
      const char *uri_query = g_uri_get_query (uri);
      g_autofree char *location = g_strdup_printf ("/ui/%s/%s%s", name,
                                                   uri_query != NULL ? "?" : "",
                                                   uri_query != NULL ? uri_query : "");

      soup_server_message_set_redirect (msg, SOUP_STATUS_MOVED_PERMANENTLY, location);
      return;
    }

  qi_static_folder_serve (folder, msg, slash + 1);
}

static void
on_request (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  QiServer *self = QI_SERVER (user_data);
  const char *host = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host");
  /* libsoup hands over the decoded path; routes match the raw one, so
   * that an encoded "/" or ".." is seen for what it is. */
  const char *raw = g_uri_get_path (soup_server_message_get_uri (msg));

  if (!host_is_loopback (host))
    {
      qi_rest_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                   _("This server answers requests for loopback host names only"));
      return;
    }

  if (strcmp (raw, "/ws") == 0)
    handle_websocket (self, msg, query);
  else if (strcmp (raw, "/api/health") == 0)
    handle_health (self, msg);
  else if (g_str_has_prefix (raw, "/api/"))
    {
      g_autoptr(QiToken) token = authorize (self, msg, query, QI_TOKEN_SCOPE_API);

      if (token != NULL)
        qi_rest_router_dispatch (self->router, msg, raw);
    }
  else if (g_str_has_prefix (raw, "/ui/") && raw[4] != '\0' && raw[4] != '/')
    handle_ui (self, msg, raw + 4);
  else
    qi_rest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", _("Nothing is served at this path"));
}

/* The open connections, each with a reference: closing one changes the
 * table. */
static GPtrArray *
list_sockets (QiServer *self)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->sockets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (sockets, g_object_ref (key));
  return sockets;
}

/* Before a REST body is read: one declared over the limit is refused
 * without reading it. */
static void
on_early_request (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  QiServer *self = QI_SERVER (user_data);

  qi_rest_router_limit_body (self->router, msg);
}

static gboolean
heartbeat_cb (gpointer user_data)
{
  QiServer *self = QI_SERVER (user_data);
  g_autoptr(GPtrArray) sockets = list_sockets (self);
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < sockets->len; i++)
    qi_websocket_session_check_alive (g_ptr_array_index (sockets, i), now,
                                      (gint64) self->heartbeat_timeout * 1000);

  return G_SOURCE_CONTINUE;
}

/* `server.info`: where the hub is reachable, for what a launch tells a
 * DCC (QI_SERVER_URL). */
static void
on_server_info (QiHubRequest *request,
                gpointer      user_data)
{
  QiServer *self = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *url = qi_server_dup_websocket_url (self);
  g_autofree char *http = qi_server_dup_http_url (self);

  json_object_set_string_member (object, "url", url);
  json_object_set_string_member (object, "http", http);
  json_object_set_int_member (object, "pid", getpid ());
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (request, reply);
}

static void
open_endpoint (QiServer *self)
{
  g_autoptr(GError) error = NULL;

  if (self->endpoint != NULL || self->hub == NULL)
    return;
  self->endpoint = qi_hub_open_endpoint (self->hub, QI_MESSAGE_BUS_HUB_SESSION "/server",
                                         QI_MESSAGE_BUS_HUB_SESSION, &error);
  if (self->endpoint == NULL ||
      !qi_hub_endpoint_add_handler (self->endpoint, "server.info", on_server_info, self, NULL, &error))
    g_warning ("The server does not answer server.info: %s", error->message);
}

static void
close_endpoint (QiServer *self)
{
  if (self->endpoint == NULL)
    return;
  qi_hub_endpoint_close (self->endpoint);
  g_clear_object (&self->endpoint);
}

static gboolean
qi_server_start (QiService  *service,
                 GError    **error)
{
  QiServer *self = QI_SERVER (service);

  return qi_server_listen (self, self->requested_port, error);
}

static void
qi_server_stop (QiService *service)
{
  QiServer *self = QI_SERVER (service);
  g_autoptr(GPtrArray) sockets = NULL;

  g_clear_handle_id (&self->heartbeat_source, g_source_remove);
  close_endpoint (self);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);

  sockets = list_sockets (self);
  for (guint i = 0; i < sockets->len; i++)
    qi_websocket_session_disconnect (g_ptr_array_index (sockets, i),
                                     SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
  self->port = 0;
}

static void
qi_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  QiServer *self = QI_SERVER (object);

  switch (prop_id)
    {
    case PROP_HUB:
      g_value_set_object (value, self->hub);
      break;
    case PROP_TOKEN_AUTHORITY:
      g_value_set_object (value, self->authority);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port != 0 ? self->port : self->requested_port);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint64 (value, self->max_message_size);
      break;
    case PROP_MAX_QUEUED_BYTES:
      g_value_set_uint64 (value, self->max_queued_bytes);
      break;
    case PROP_HEARTBEAT_INTERVAL:
      g_value_set_uint (value, self->heartbeat_interval);
      break;
    case PROP_HEARTBEAT_TIMEOUT:
      g_value_set_uint (value, self->heartbeat_timeout);
      break;
    case PROP_ROUTER:
      g_value_set_object (value, self->router);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  QiServer *self = QI_SERVER (object);

  switch (prop_id)
    {
    case PROP_HUB:
      self->hub = g_value_dup_object (value);
      break;
    case PROP_TOKEN_AUTHORITY:
      self->authority = g_value_dup_object (value);
      break;
    case PROP_PORT:
      self->requested_port = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message_size = g_value_get_uint64 (value);
      break;
    case PROP_MAX_QUEUED_BYTES:
      self->max_queued_bytes = g_value_get_uint64 (value);
      break;
    case PROP_HEARTBEAT_INTERVAL:
      self->heartbeat_interval = g_value_get_uint (value);
      break;
    case PROP_HEARTBEAT_TIMEOUT:
      self->heartbeat_timeout = g_value_get_uint (value);
      break;
    case PROP_ROUTER:
      if (g_value_get_object (value) != NULL)
        g_set_object (&self->router, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_server_dispose (GObject *object)
{
  QiServer *self = QI_SERVER (object);

  qi_server_stop (QI_SERVICE (self));
  if (self->sockets != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->sockets);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_signal_handlers_disconnect_by_data (key, self);
      g_hash_table_remove_all (self->sockets);
    }
  g_clear_object (&self->soup);
  g_clear_object (&self->router);
  g_clear_pointer (&self->ui_folders, g_hash_table_unref);
  g_clear_object (&self->authority);
  g_clear_object (&self->hub);
  qi_server_set_token_check (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (qi_server_parent_class)->dispose (object);
}

static void
qi_server_finalize (GObject *object)
{
  QiServer *self = QI_SERVER (object);

  g_clear_pointer (&self->sockets, g_hash_table_unref);

  G_OBJECT_CLASS (qi_server_parent_class)->finalize (object);
}

static void
qi_server_class_init (QiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->get_property = qi_server_get_property;
  object_class->set_property = qi_server_set_property;
  object_class->dispose = qi_server_dispose;
  object_class->finalize = qi_server_finalize;
  service_class->start = qi_server_start;
  service_class->stop = qi_server_stop;

  /**
   * QiServer:hub:
   *
   * The hub whose sessions the WebSocket connections are.
   */
  properties[PROP_HUB] =
    g_param_spec_object ("hub", NULL, NULL, QI_TYPE_HUB,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:token-authority:
   *
   * The authority whose tokens the server takes.
   */
  properties[PROP_TOKEN_AUTHORITY] =
    g_param_spec_object ("token-authority", NULL, NULL, QI_TYPE_TOKEN_AUTHORITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:port:
   *
   * The port the service listens on when it starts (0: any free port);
   * once listening, the port it listens on.
   */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:max-message-size:
   *
   * The largest message read from a WebSocket, in bytes; a larger one is
   * answered with `too_large` (up to twice the size; beyond that the
   * connection is dropped). Applies to connections opened afterwards.
   */
  properties[PROP_MAX_MESSAGE_SIZE] =
    g_param_spec_uint64 ("max-message-size", NULL, NULL, 1024, G_MAXUINT32,
                         QI_SERVER_DEFAULT_MAX_MESSAGE_SIZE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:max-queued-bytes:
   *
   * The most bytes held unsent for one WebSocket client; a client that
   * does not read past it is disconnected (close code 1008).
   */
  properties[PROP_MAX_QUEUED_BYTES] =
    g_param_spec_uint64 ("max-queued-bytes", NULL, NULL, 4096, G_MAXUINT64,
                         QI_SERVER_DEFAULT_MAX_QUEUED_BYTES,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:heartbeat-interval:
   *
   * Seconds between the pings the server sends each WebSocket client.
   */
  properties[PROP_HEARTBEAT_INTERVAL] =
    g_param_spec_uint ("heartbeat-interval", NULL, NULL, 1, 3600, 3,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:heartbeat-timeout:
   *
   * Milliseconds without a byte from a WebSocket client (pongs count)
   * after which it is taken for dead and disconnected.
   */
  properties[PROP_HEARTBEAT_TIMEOUT] =
    g_param_spec_uint ("heartbeat-timeout", NULL, NULL, 100, G_MAXUINT32, 9000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * QiServer:router:
   *
   * The router of the REST routes under `/api/`, such as the addons'
   * (qi_addon_manager_get_router()); a new, empty one by default.
   */
  properties[PROP_ROUTER] =
    g_param_spec_object ("router", NULL, NULL, QI_TYPE_REST_ROUTER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_server_init (QiServer *self)
{
  self->router = qi_rest_router_new ();
  self->ui_folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->sockets = g_hash_table_new_full (NULL, NULL, g_object_unref, g_free);
}

/**
 * qi_server_new:
 * @hub: the hub to serve
 * @authority: the authority whose tokens to take
 *
 * Returns: (transfer full): a new #QiServer, not yet listening
 */
QiServer *
qi_server_new (QiHub            *hub,
               QiTokenAuthority *authority)
{
  g_return_val_if_fail (QI_IS_HUB (hub), NULL);
  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (authority), NULL);

  return g_object_new (QI_TYPE_SERVER,
                       "name", "server",
                       "description", _("Serves the hub over WebSocket, the REST routes and the UIs on 127.0.0.1"),
                       "hub", hub,
                       "token-authority", authority,
                       NULL);
}

/**
 * qi_server_listen:
 * @self: a #QiServer
 * @port: the port on 127.0.0.1, or 0 for any free one
 * @error: return location for a #GError
 *
 * Starts listening on 127.0.0.1 only. See qi_server_get_port() for the
 * port it got.
 *
 * Returns: %TRUE if it listens
 */
gboolean
qi_server_listen (QiServer  *self,
                  guint      port,
                  GError   **error)
{
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  GSList *listeners;

  g_return_val_if_fail (QI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (port <= 65535, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->port != 0)
    return TRUE;

  if (self->soup == NULL)
    {
      /* raw-paths: routes see the path as sent, so that an encoded "/" or
       * ".." reaches the checks of the router and the static folders. */
      self->soup = soup_server_new ("server-header", "qi/" QI_VERSION_S " ", "raw-paths", TRUE, NULL);
      /* One handler for every path, "/api" too: libsoup picks the most
       * specific entry of its path map, and an entry with only an early
       * handler would answer 500. */
      soup_server_add_handler (self->soup, NULL, on_request, self, NULL);
      soup_server_add_handler (self->soup, "/api", on_request, self, NULL);
      soup_server_add_early_handler (self->soup, "/api", on_early_request, self, NULL);
    }

  /* A socket of our own, for its backlog: GLib's default of 10 drops the
   * connections of a burst of clients (a farm's jobs, a studio's tools at
   * login), which then wait a second for the retry of their SYN. */
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &local_error);
  if (socket != NULL)
    {
      g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
      if (g_socket_bind (socket, address, TRUE, &local_error) &&
          g_socket_listen (socket, &local_error))
        soup_server_listen_socket (self->soup, socket, 0, &local_error);
    }
  if (local_error != NULL)
    {
      gboolean in_use = g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);

      g_set_error (error, G_IO_ERROR, local_error->domain == G_IO_ERROR ? local_error->code : G_IO_ERROR_FAILED,
                   _("Could not listen on 127.0.0.1:%u: %s%s"), port, local_error->message,
                   in_use ? _("; another program has the port: pass another --port (0 picks a free one)") : "");
      return FALSE;
    }

  listeners = soup_server_get_listeners (self->soup);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (local != NULL)
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    }
  g_slist_free (listeners);

  self->heartbeat_source = g_timeout_add_seconds (1, heartbeat_cb, self);
  open_endpoint (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_debug ("Listening on 127.0.0.1:%u", self->port);
  return TRUE;
}

/**
 * qi_server_get_port:
 * @self: a #QiServer
 *
 * Returns: the port the server listens on, or 0 if it does not
 */
guint
qi_server_get_port (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), 0);

  return self->port;
}

/**
 * qi_server_dup_http_url:
 * @self: a listening #QiServer
 *
 * Returns: (transfer full) (nullable): `http://127.0.0.1:PORT`, or %NULL if
 *   the server does not listen
 */
char *
qi_server_dup_http_url (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), NULL);

  return self->port != 0 ? g_strdup_printf ("http://127.0.0.1:%u", self->port) : NULL;
}

/**
 * qi_server_dup_websocket_url:
 * @self: a listening #QiServer
 *
 * Returns: (transfer full) (nullable): `ws://127.0.0.1:PORT/ws`, or %NULL
 *   if the server does not listen
 */
char *
qi_server_dup_websocket_url (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), NULL);

  return self->port != 0 ? g_strdup_printf ("ws://127.0.0.1:%u/ws", self->port) : NULL;
}

/**
 * qi_server_get_hub:
 * @self: a #QiServer
 *
 * Returns: (transfer none): the hub it serves
 */
QiHub *
qi_server_get_hub (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), NULL);

  return self->hub;
}

/**
 * qi_server_get_token_authority:
 * @self: a #QiServer
 *
 * Returns: (transfer none): the authority whose tokens it takes
 */
QiTokenAuthority *
qi_server_get_token_authority (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), NULL);

  return self->authority;
}

/**
 * qi_server_get_router:
 * @self: a #QiServer
 *
 * Returns: (transfer none): the router of the REST routes under `/api/`
 */
QiRestRouter *
qi_server_get_router (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), NULL);

  return self->router;
}

static gboolean
ui_name_is_valid (const char *name)
{
  if (*name == '\0' || strlen (name) > 64 || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/**
 * qi_server_add_ui_folder:
 * @self: a #QiServer
 * @name: the UI's name, as in `/ui/NAME/` (letters, digits, `-`, `_`, `.`)
 * @path: (type filename): the folder to serve, such as an addon's `ui_dist/`
 * @error: return location for a #GError
 *
 * Serves @path at `/ui/NAME/`, replacing what was served under @name.
 *
 * Returns: %TRUE on success; %FALSE if @name is not valid or @path is not a
 *   folder
 */
gboolean
qi_server_add_ui_folder (QiServer    *self,
                         const char  *name,
                         const char  *path,
                         GError     **error)
{
  QiStaticFolder *folder;

  g_return_val_if_fail (QI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!ui_name_is_valid (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a UI name: use letters, digits, “-”, “_” and “.”"), name);
      return FALSE;
    }

  folder = qi_static_folder_new (path, error);
  if (folder == NULL)
    return FALSE;

  g_hash_table_replace (self->ui_folders, g_strdup (name), folder);
  return TRUE;
}

/**
 * qi_server_remove_ui_folder:
 * @self: a #QiServer
 * @name: a UI's name
 *
 * Stops serving `/ui/NAME/`.
 *
 * Returns: %TRUE if it was served
 */
gboolean
qi_server_remove_ui_folder (QiServer   *self,
                            const char *name)
{
  g_return_val_if_fail (QI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return g_hash_table_remove (self->ui_folders, name);
}

/**
 * qi_server_get_n_connections:
 * @self: a #QiServer
 *
 * Returns: how many WebSocket connections are open
 */
guint
qi_server_get_n_connections (QiServer *self)
{
  g_return_val_if_fail (QI_IS_SERVER (self), 0);

  return g_hash_table_size (self->sockets);
}

/**
 * qi_server_set_token_check:
 * @self: a #QiServer
 * @check: (nullable) (scope notified): asked about every token whose
 *   signature is good, before its scope; %NULL for none
 * @user_data: (closure): data for @check
 * @destroy: (destroy user_data): frees @user_data
 *
 * Lets another part (the `auth` service) refuse a well-signed token, such
 * as that of a session logged out: the request gets 401.
 */
void
qi_server_set_token_check (QiServer           *self,
                           QiServerTokenCheck  check,
                           gpointer            user_data,
                           GDestroyNotify      destroy)
{
  g_return_if_fail (QI_IS_SERVER (self));

  if (self->token_check_destroy != NULL)
    self->token_check_destroy (self->token_check_data);
  self->token_check = check;
  self->token_check_data = user_data;
  self->token_check_destroy = destroy;
}

/**
 * qi_server_close_token_connections:
 * @self: a #QiServer
 * @token: a token
 * @reason: the close reason to send, such as “the session was logged out”
 *
 * Closes every WebSocket connection opened with @token, with the close
 * code 1008 (policy violation) and @reason.
 *
 * Returns: how many were closed
 */
guint
qi_server_close_token_connections (QiServer   *self,
                                   const char *token,
                                   const char *reason)
{
  g_autofree char *key = NULL;
  g_autoptr(GPtrArray) closing = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer session;
  gpointer value;

  g_return_val_if_fail (QI_IS_SERVER (self), 0);
  g_return_val_if_fail (token != NULL, 0);
  g_return_val_if_fail (reason != NULL, 0);

  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
  g_hash_table_iter_init (&iter, self->sockets);
  while (g_hash_table_iter_next (&iter, &session, &value))
    if (g_strcmp0 (value, key) == 0)
      g_ptr_array_add (closing, g_object_ref (session));
  for (guint i = 0; i < closing->len; i++)
    qi_websocket_session_disconnect (closing->pdata[i], SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, reason);
  return closing->len;
}
