/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <libsoup/soup.h>

#include "qi-test-utils.h"

/* QiServer over real loopback sockets, with QiHubClient and with raw
 * sockets for what no well-behaved client would send. */

typedef struct
{
  QiHub            *hub;
  QiTokenAuthority *authority;
  QiServer         *server;
  char             *url;
  char             *token;
  char             *root;
} Fixture;

static const char * const all_scopes[] = { QI_TOKEN_SCOPE_HUB, QI_TOKEN_SCOPE_API, QI_TOKEN_SCOPE_UI, NULL };

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->hub = qi_hub_new ();
  f->authority = qi_token_authority_new (&error);
  g_assert_no_error (error);
  f->server = qi_server_new (f->hub, f->authority);
  qi_server_listen (f->server, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_server_get_port (f->server), >, 0);
  f->url = qi_server_dup_websocket_url (f->server);
  f->token = qi_token_authority_issue (f->authority, "test/client", NULL, all_scopes, 600, &error);
  g_assert_no_error (error);
  f->root = g_dir_make_tmp ("qi-server-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  qi_service_stop (QI_SERVICE (f->server));
  /* Let the closing connections finish. */
  for (int i = 0; i < 50 && qi_server_get_n_connections (f->server) > 0; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
  g_clear_object (&f->server);
  g_clear_object (&f->authority);
  g_clear_object (&f->hub);
  g_free (f->url);
  g_free (f->token);
  qi_test_remove_tree (f->root);
  g_free (f->root);
}

static void
wait_until (gboolean *flag,
            guint     timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!*flag && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_assert_true (*flag);
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
}

/* --- Raw HTTP on a socket, run in a thread so that the server (on this
 * thread's main loop) can answer. */

typedef struct
{
  guint              port;
  char              *request;
  char              *response;
  GSocketConnection *conn;   /* the peer's, for raw_peer() */
  gboolean           done;
} RawExchange;

static gpointer
raw_exchange_thread (gpointer data)
{
  RawExchange *x = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", x->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             x->request, strlen (x->request), NULL, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
  /* Read the head and what body comes with it; a 101 leaves the socket
   * open, so stop at the end of the head then. */
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                                   buffer, sizeof buffer, NULL, NULL)) > 0)
    {
      g_string_append_len (response, buffer, n);
      if (g_str_has_prefix (response->str, "HTTP/1.1 101") && strstr (response->str, "\r\n\r\n"))
        break;
      if (strstr (response->str, "\r\n\r\n") != NULL)
        {
          const char *length = strstr (response->str, "Content-Length: ");
          const char *body = strstr (response->str, "\r\n\r\n") + 4;

          if (length != NULL && strlen (body) >= (gsize) g_ascii_strtoull (length + 16, NULL, 10))
            break;
        }
    }

  x->response = g_string_free (g_steal_pointer (&response), FALSE);
  g_atomic_int_set (&x->done, TRUE);
  return NULL;
}

static char *
raw_http (Fixture    *f,
          const char *request)
{
  RawExchange x = { qi_server_get_port (f->server), g_strdup (request), NULL, NULL, FALSE };
  GThread *thread = g_thread_new ("raw-http", raw_exchange_thread, &x);

  while (!g_atomic_int_get (&x.done))
    g_main_context_iteration (NULL, FALSE) || (g_usleep (200), TRUE);
  g_thread_join (thread);
  g_free (x.request);
  return x.response;
}

static guint
status_of (const char *response)
{
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

static char *
upgrade_request (Fixture    *f,
                 const char *host,
                 const char *extra_headers)
{
  g_autofree char *default_host = g_strdup_printf ("127.0.0.1:%u", qi_server_get_port (f->server));

  return g_strdup_printf ("GET /ws HTTP/1.1\r\n"
                          "Host: %s\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n"
                          "%s\r\n",
                          host != NULL ? host : default_host, extra_headers);
}

static guint
upgrade_status (Fixture    *f,
                const char *host,
                const char *extra_headers)
{
  g_autofree char *request = upgrade_request (f, host, extra_headers);
  g_autofree char *response = raw_http (f, request);

  return status_of (response);
}

static void
test_health (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *request = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                              qi_server_get_port (f->server));
  g_autofree char *response = raw_http (f, request);

  g_assert_cmpuint (status_of (response), ==, 200);
  g_assert_nonnull (strstr (response, "\"status\":\"ok\""));
  g_assert_nonnull (strstr (response, "application/json"));
}

static void
test_ws_needs_token (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s\r\n", f->token);
  g_autoptr(GError) error = NULL;
  g_autoptr(QiTokenAuthority) other = qi_token_authority_new (&error);
  g_autofree char *forged = qi_token_authority_issue (other, "test/client", NULL, all_scopes, 600, &error);
  g_autofree char *forged_header = g_strdup_printf ("Authorization: Bearer %s\r\n", forged);
  g_autofree char *garbage = g_strdup ("Authorization: Bearer not-a-token\r\n");
  /* {"alg":"none"} with the same claims: must never pass. */
  g_auto(GStrv) parts = g_strsplit (f->token, ".", 3);
  g_autofree char *none = g_strdup_printf ("Authorization: Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s.\r\n",
                                          parts[1]);

  g_assert_cmpuint (upgrade_status (f, NULL, ""), ==, 401);
  g_assert_cmpuint (upgrade_status (f, NULL, forged_header), ==, 401);
  g_assert_cmpuint (upgrade_status (f, NULL, garbage), ==, 401);
  g_assert_cmpuint (upgrade_status (f, NULL, none), ==, 401);
  g_assert_cmpuint (upgrade_status (f, NULL, bearer), ==, 101);
}

static void
test_ws_expired_token (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = qi_token_authority_issue (f->authority, "test/client", NULL, all_scopes, 1, &error);
  g_autofree char *header = g_strdup_printf ("Authorization: Bearer %s\r\n", token);
  g_autoptr(QiToken) verified = NULL;

  g_assert_no_error (error);
  verified = qi_token_authority_verify (f->authority, token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_token_get_session (verified), ==, "test/client");
  g_assert_true (qi_token_has_scope (verified, QI_TOKEN_SCOPE_HUB));

  g_usleep (2100 * 1000);
  g_clear_object (&verified);
  verified = qi_token_authority_verify (f->authority, token, &error);
  g_assert_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_EXPIRED);
  g_assert_null (verified);
  g_assert_cmpuint (upgrade_status (f, NULL, header), ==, 401);
}

static void
test_ws_origin_and_host (Fixture       *f,
                         gconstpointer  data)
{
  guint port = qi_server_get_port (f->server);
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s\r\n", f->token);
  g_autofree char *foreign = g_strdup_printf ("%sOrigin: http://evil.example\r\n", bearer);
  g_autofree char *other_port = g_strdup_printf ("%sOrigin: http://127.0.0.1:%u\r\n", bearer, port + 1);
  g_autofree char *own = g_strdup_printf ("%sOrigin: http://127.0.0.1:%u\r\n", bearer, port);
  g_autofree char *own_name = g_strdup_printf ("%sOrigin: http://localhost:%u\r\n", bearer, port);
  g_autofree char *rebound = g_strdup_printf ("evil.example:%u", port);
  g_autofree char *localhost = g_strdup_printf ("localhost:%u", port);

  g_assert_cmpuint (upgrade_status (f, NULL, foreign), ==, 403);
  g_assert_cmpuint (upgrade_status (f, NULL, other_port), ==, 403);
  g_assert_cmpuint (upgrade_status (f, NULL, "Origin: null\r\n"), ==, 403);
  g_assert_cmpuint (upgrade_status (f, NULL, own), ==, 101);
  g_assert_cmpuint (upgrade_status (f, NULL, own_name), ==, 101);
  g_assert_cmpuint (upgrade_status (f, rebound, bearer), ==, 403);
  g_assert_cmpuint (upgrade_status (f, "10.0.0.1", bearer), ==, 403);
  g_assert_cmpuint (upgrade_status (f, localhost, bearer), ==, 101);
  g_assert_cmpuint (upgrade_status (f, "[::1]", bearer), ==, 101);
}

static void
answer_ok (QiRestRequest *request,
           gpointer       user_data)
{
  g_autoptr(JsonNode) body = json_from_string ("{\"ok\":true}", NULL);

  qi_rest_request_reply_json (request, 200, body);
}

static void
test_rest_needs_token (Fixture       *f,
                       gconstpointer  data)
{
  guint port = qi_server_get_port (f->server);
  g_autoptr(GError) error = NULL;
  const char * const hub_only[] = { QI_TOKEN_SCOPE_HUB, NULL };
  g_autofree char *weak = qi_token_authority_issue (f->authority, "test/weak", NULL, hub_only, 600, &error);
  g_autofree char *no_token = g_strdup_printf ("GET /api/things HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
  g_autofree char *with_token = g_strdup_printf ("GET /api/things HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                 "Authorization: Bearer %s\r\n\r\n", port, f->token);
  g_autofree char *query_token = g_strdup_printf ("GET /api/things?token=%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                                  f->token, port);
  g_autofree char *weak_token = g_strdup_printf ("GET /api/things HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                 "Authorization: Bearer %s\r\n\r\n", port, weak);
  g_autofree char *missing = g_strdup_printf ("GET /api/nothing-here HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Authorization: Bearer %s\r\n\r\n", port, f->token);
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL;

  qi_rest_router_add_route (qi_server_get_router (f->server), "GET", "/api/things",
                            answer_ok, NULL, NULL, &error);
  g_assert_no_error (error);

  r1 = raw_http (f, no_token);
  g_assert_cmpuint (status_of (r1), ==, 401);
  g_assert_nonnull (strstr (r1, "\"code\":\"unauthorized\""));
  r2 = raw_http (f, with_token);
  g_assert_cmpuint (status_of (r2), ==, 200);
  g_assert_nonnull (strstr (r2, "{\"ok\":true}"));
  r3 = raw_http (f, query_token);
  g_assert_cmpuint (status_of (r3), ==, 200);
  r4 = raw_http (f, weak_token);
  g_assert_cmpuint (status_of (r4), ==, 403);
  r5 = raw_http (f, missing);
  g_assert_cmpuint (status_of (r5), ==, 404);

  /* A body declared over the limit is refused before it is sent (the
   * client waits for 100 Continue and gets the 413 instead). */
  {
    g_autofree char *big = g_strdup_printf ("POST /api/things HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                                            "Content-Length: 40000000\r\nExpect: 100-continue\r\n\r\n", port, f->token);
    g_autofree char *response = raw_http (f, big);

    g_assert_cmpuint (status_of (response), ==, 413);
  }
}

static void
test_ui_folder (Fixture       *f,
                gconstpointer  data)
{
  guint port = qi_server_get_port (f->server);
  g_autoptr(GError) error = NULL;
  g_autofree char *ui = g_build_filename (f->root, "ui", NULL);
  g_autofree char *index = g_build_filename (ui, "index.html", NULL);
  g_autofree char *secret = g_build_filename (f->root, "secret.txt", NULL);
  g_autofree char *link = g_build_filename (ui, "escape.txt", NULL);
  const char *paths[] = {
    "/ui/demo/%2e%2e/secret.txt",
    "/ui/demo/%2E%2E/secret.txt",
    "/ui/demo/.%2e/secret.txt",
    "/ui/demo/..%2fsecret.txt",
    "/ui/demo/escape.txt",
    "/ui/nothing/index.html",
  };

  qi_test_env_write (index, "<!doctype html><title>demo</title>");
  qi_test_env_write (secret, "secret");
  g_assert_cmpint (symlink (secret, link), ==, 0);
  qi_server_add_ui_folder (f->server, "demo", ui, &error);
  g_assert_no_error (error);
  g_assert_false (qi_server_add_ui_folder (f->server, "../x", ui, NULL));

  {
    g_autofree char *request = g_strdup_printf ("GET /ui/demo/index.html HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
    g_autofree char *response = raw_http (f, request);

    g_assert_cmpuint (status_of (response), ==, 200);
    g_assert_nonnull (strstr (response, "text/html"));
    g_assert_nonnull (strstr (response, "<title>demo</title>"));
  }

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", paths[i], port);
      g_autofree char *response = raw_http (f, request);

      g_test_message ("%s", paths[i]);
      g_assert_cmpuint (status_of (response), ==, 404);
      g_assert_null (strstr (response, "\r\n\r\nsecret"));
    }
}

/* --- The hub over WebSocket, with QiHubClient. */

typedef struct
{
  gboolean  done;
  gboolean  ok;
  JsonNode *payload;
  GError   *error;
} Outcome;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *o = user_data;

  o->ok = qi_hub_client_connect_finish (QI_HUB_CLIENT (source), result, &o->error);
  o->done = TRUE;
}

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Outcome *o = user_data;

  o->payload = qi_hub_client_request_finish (QI_HUB_CLIENT (source), result, &o->error);
  o->ok = o->payload != NULL;
  o->done = TRUE;
}

static QiHubClient *
connect_client (Fixture    *f,
                const char *name)
{
  QiHubClient *client = qi_hub_client_new ();
  Outcome o = { 0 };

  qi_hub_client_connect_async (client, f->url, f->token, name, NULL, on_connected, &o);
  wait_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  return client;
}

static JsonNode *
request (QiHubClient *client,
         const char  *topic,
         const char  *payload,
         guint        timeout_ms,
         GError     **error)
{
  g_autoptr(JsonNode) node = payload != NULL ? json_from_string (payload, NULL) : NULL;
  Outcome o = { 0 };

  qi_hub_client_request_async (client, topic, node, timeout_ms, NULL, on_reply, &o);
  wait_until (&o.done, 10000);
  if (o.error != NULL)
    g_propagate_error (error, g_steal_pointer (&o.error));
  return o.payload;
}

static void
assert_ping (QiHubClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = request (client, "hub.ping", "{\"n\":42}", 0, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = json_to_string (reply, FALSE);
  g_assert_cmpstr (text, ==, "{\"n\":42}");
}

static guint
count_sessions (QiHubClient *client,
                const char  *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = request (client, "hub.sessions", NULL, 0, &error);
  JsonArray *sessions;
  guint n = 0;

  g_assert_no_error (error);
  sessions = json_object_get_array_member (json_node_get_object (reply), "sessions");
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      const char *id = json_object_get_string_member (json_array_get_object_element (sessions, i), "id");

      if (g_str_has_prefix (id, prefix))
        n++;
    }
  return n;
}

static void
test_hello_and_ping (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(QiHubClient) a = connect_client (f, "dcc/blender/4242");
  g_autoptr(QiHubClient) b = connect_client (f, NULL);

  g_assert_cmpstr (qi_hub_client_get_session_id (a), ==, "dcc/blender/4242");
  assert_ping (a);
  assert_ping (b);
  /* b opened with its first message under the token's name. */
  g_assert_cmpuint (count_sessions (a, "test/client"), ==, 1);
  g_assert_cmpuint (count_sessions (a, "dcc/blender/4242"), ==, 1);
  g_assert_cmpuint (qi_server_get_n_connections (f->server), ==, 2);
}

/* Many requests in flight on one connection: the server reads several at
 * a time and writes their replies together. Every reply arrives whole,
 * with its own payload, and a large one among the small ones keeps its
 * place. */
static void
test_pipelined (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(QiHubClient) client = connect_client (f, "test/pipelined");
  g_autoptr(GString) big = g_string_new (NULL);
  Outcome outcomes[300] = { 0 };
  guint done = 0;

  for (guint i = 0; i < 64 * 1024; i++)
    g_string_append_c (big, 'a' + i % 26);

  for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) payload = NULL;

      json_object_set_int_member (object, "n", i);
      if (i == 150)
        json_object_set_string_member (object, "big", big->str);
      payload = json_node_init_object (json_node_alloc (), object);
      qi_hub_client_request_async (client, "hub.ping", payload, 0, NULL, on_reply, &outcomes[i]);
    }

  while (done < G_N_ELEMENTS (outcomes))
    {
      g_main_context_iteration (NULL, TRUE);
      done = 0;
      for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
        done += outcomes[i].done;
    }

  for (guint i = 0; i < G_N_ELEMENTS (outcomes); i++)
    {
      JsonObject *reply;

      g_assert_no_error (outcomes[i].error);
      reply = json_node_get_object (outcomes[i].payload);
      g_assert_cmpint (json_object_get_int_member (reply, "n"), ==, i);
      if (i == 150)
        g_assert_cmpstr (json_object_get_string_member (reply, "big"), ==, big->str);
      else
        g_assert_false (json_object_has_member (reply, "big"));
      json_node_unref (outcomes[i].payload);
    }
  assert_ping (client);
}

static void
collect_message (QiHubClient *client,
                 QiMessage   *message,
                 gpointer     user_data)
{
  GPtrArray *messages = user_data;

  g_ptr_array_add (messages, qi_message_ref (message));
}

static const char *
error_code (QiMessage *message)
{
  g_assert_cmpint (qi_message_get_kind (message), ==, QI_MESSAGE_KIND_ERROR);
  return json_object_get_string_member (json_node_get_object (qi_message_get_payload (message)), "code");
}

static void
test_garbage_then_ping (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(QiHubClient) client = connect_client (f, "test/garbage");
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_autoptr(GError) error = NULL;
  const char *bad[] = {
    "{not json",
    "[1,2,3]",
    "{\"v\":1,\"id\":\"x1\",\"kind\":\"shout\",\"topic\":\"a.b\"}",
    "{\"v\":2,\"id\":\"x2\",\"kind\":\"request\",\"topic\":\"a.b\"}",
  };

  g_signal_connect (client, "message", G_CALLBACK (collect_message), messages);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      qi_hub_client_send_text (client, bad[i], strlen (bad[i]), &error);
      g_assert_no_error (error);
    }
  while (messages->len < G_N_ELEMENTS (bad))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpstr (error_code (messages->pdata[0]), ==, "bad_message");
  g_assert_cmpstr (error_code (messages->pdata[1]), ==, "bad_message");
  g_assert_cmpstr (error_code (messages->pdata[2]), ==, "unknown_kind");
  g_assert_cmpstr (qi_message_get_re (messages->pdata[2]), ==, "x1");
  g_assert_cmpstr (error_code (messages->pdata[3]), ==, "bad_message");

  /* Binary frames are not messages either; the connection stays. */
  assert_ping (client);
  g_assert_true (qi_hub_client_is_connected (client));
}

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(QiHubClient) big = connect_client (f, "test/big");
  g_autoptr(QiHubClient) other = connect_client (f, "test/other");
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_autoptr(GError) error = NULL;
  gsize size = 17 * 1024 * 1024;
  g_autofree char *frame = g_malloc (size);
  const char *head = "{\"v\":1,\"id\":\"big-1\",\"kind\":\"request\",\"topic\":\"hub.ping\",\"payload\":{\"x\":\"";

  memset (frame, 'a', size);
  memcpy (frame, head, strlen (head));
  memcpy (frame + size - 3, "\"}}", 3);

  g_signal_connect (big, "message", G_CALLBACK (collect_message), messages);
  qi_hub_client_send_text (big, frame, size, &error);
  g_assert_no_error (error);
  assert_ping (other);
  while (messages->len < 1)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpstr (error_code (messages->pdata[0]), ==, "too_large");
  assert_ping (other);
  assert_ping (big);
}

static void
test_many_clients (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(QiHubClient) watcher = connect_client (f, "test/watcher");

  /* 1,000 clients, 50 at a time (file descriptors are counted twice in
   * one process: the client's and the server's). */
  for (guint round = 0; round < 20; round++)
    {
      g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
      Outcome outcomes[50] = { 0 };
      guint connected = 0;

      for (guint i = 0; i < 50; i++)
        {
          QiHubClient *client = qi_hub_client_new ();

          g_ptr_array_add (clients, client);
          qi_hub_client_connect_async (client, f->url, f->token, "test/many", NULL,
                                       on_connected, &outcomes[i]);
        }
      while (connected < 50)
        {
          connected = 0;
          g_main_context_iteration (NULL, TRUE);
          for (guint i = 0; i < 50; i++)
            connected += outcomes[i].done;
        }
      for (guint i = 0; i < 50; i++)
        {
          g_assert_no_error (outcomes[i].error);
          g_assert_true (outcomes[i].ok);
        }
      g_assert_cmpuint (count_sessions (watcher, "test/many"), ==, 50);
      /* Half close with the handshake; the other half are dropped with
       * the round, their close frame not waited for. */
      for (guint i = 0; i < 50; i += 2)
        qi_hub_client_close (clients->pdata[i]);
    }

  for (guint i = 0; i < 400 && count_sessions (watcher, "test/many") > 0; i++)
    spin (10);
  g_assert_cmpuint (count_sessions (watcher, "test/many"), ==, 0);
  g_assert_cmpuint (count_sessions (watcher, ""), ==, 4); /* __hub__, __hub__/core, __hub__/server, the watcher */
  for (guint i = 0; i < 400 && qi_server_get_n_connections (f->server) > 1; i++)
    spin (10);
  g_assert_cmpuint (qi_server_get_n_connections (f->server), ==, 1);
}

static void
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_closed_flag (QiHubClient *client,
                gpointer     user_data)
{
  set_flag (user_data);
}

static void
test_cascade (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(QiHubClient) parent = connect_client (f, "dcc/blender/1");
  g_autoptr(QiHubClient) child = qi_hub_client_new ();
  g_autoptr(QiHubClient) watcher = connect_client (f, "test/watcher");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  gboolean child_closed = FALSE;
  Outcome o = { 0 };

  qi_hub_client_connect_async (child, f->url, f->token, NULL, NULL, on_connected, &o);
  wait_until (&o.done, 5000);
  g_assert_true (o.ok);
  reply = request (child, "hub.hello", "{\"name\":\"ui/scene\",\"parent\":\"dcc/blender/1\"}", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "session"), ==,
                   "ui/scene");
  g_signal_connect (child, "closed", G_CALLBACK (on_closed_flag), &child_closed);

  qi_hub_client_close (parent);
  wait_until (&child_closed, 5000);
  g_assert_cmpuint (count_sessions (watcher, "ui/scene"), ==, 0);
  g_assert_cmpuint (count_sessions (watcher, "dcc/blender/1"), ==, 0);
}

static void
answer_requests (QiHubClient *client,
                 QiMessage   *message,
                 gpointer     user_data)
{
  g_autoptr(QiMessage) reply = NULL;
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *json = NULL;
  gsize length;

  if (qi_message_get_kind (message) != QI_MESSAGE_KIND_REQUEST ||
      g_strcmp0 (qi_message_get_topic (message), "test.add") != 0)
    return;

  payload = json_from_string ("{\"sum\":3}", NULL);
  reply = qi_message_new_reply (message, payload);
  json = qi_message_to_json (reply, &length);
  qi_hub_client_send_text (client, json, length, NULL);
}

static void
on_event (QiMessage *event,
          gpointer   user_data)
{
  GPtrArray *events = user_data;

  g_ptr_array_add (events, g_strdup (qi_message_get_topic (event)));
}

static void
test_between_clients (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(QiHubClient) server_side = connect_client (f, "addon/adder");
  g_autoptr(QiHubClient) asker = connect_client (f, "ui/asker");
  g_autoptr(QiHubClient) silent = connect_client (f, "addon/silent");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL;

  g_signal_connect (server_side, "message", G_CALLBACK (answer_requests), NULL);
  r1 = request (server_side, "hub.register", "{\"topic\":\"test.add\"}", 0, &error);
  g_assert_no_error (error);
  r2 = request (silent, "hub.register", "{\"topic\":\"test.never\"}", 0, &error);
  g_assert_no_error (error);
  r3 = request (asker, "test.add", "{\"a\":1,\"b\":2}", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (r3), "sum"), ==, 3);

  r4 = request (asker, "test.never", NULL, 200, &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_TIMEOUT);
  g_clear_error (&error);
  r5 = request (asker, "test.nobody", NULL, 0, &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_clear_error (&error);

  qi_hub_client_subscribe (asker, "test.*.saved", on_event, events, NULL, &error);
  g_assert_no_error (error);
  assert_ping (asker); /* the subscription is in place once this answers */
  qi_hub_client_emit (server_side, "test.version.saved", NULL, &error);
  qi_hub_client_emit (server_side, "test.version.deleted", NULL, &error);
  qi_hub_client_emit (server_side, "test.product.saved", NULL, &error);
  g_assert_no_error (error);
  while (events->len < 2)
    g_main_context_iteration (NULL, TRUE);
  assert_ping (server_side);
  spin (50);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (events->pdata[0], ==, "test.version.saved");
  g_assert_cmpstr (events->pdata[1], ==, "test.product.saved");
}

/* --- Raw WebSocket peers that misbehave. */

static gpointer
raw_connect_thread (gpointer data)
{
  RawExchange *x = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;
  char buffer[1];
  GString *head = g_string_new (NULL);

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", x->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             x->request, strlen (x->request), NULL, NULL, &error);
  g_assert_no_error (error);
  /* Read exactly the head of the 101, byte by byte. */
  while (!g_str_has_suffix (head->str, "\r\n\r\n") &&
         g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
                              buffer, 1, NULL, NULL) == 1)
    g_string_append_c (head, buffer[0]);
  x->response = g_string_free (head, FALSE);
  x->conn = conn;
  g_atomic_int_set (&x->done, TRUE);
  return NULL;
}

/* A WebSocket peer that does the handshake, sends @first as a masked text
 * frame, and then neither reads nor answers pings. */
static GSocketConnection *
raw_peer (Fixture    *f,
          const char *first)
{
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s\r\n", f->token);
  char *request = upgrade_request (f, NULL, bearer);
  RawExchange x = { qi_server_get_port (f->server), request, NULL, NULL, FALSE };
  GThread *thread = g_thread_new ("raw-peer", raw_connect_thread, &x);
  GSocketConnection *conn;
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  gsize length = strlen (first);
  const guint8 mask[4] = { 1, 2, 3, 4 };
  guint8 header[2] = { 0x81, 0x80 | (guint8) length };
  g_autoptr(GError) error = NULL;

  while (!g_atomic_int_get (&x.done))
    g_main_context_iteration (NULL, FALSE) || (g_usleep (200), TRUE);
  g_thread_join (thread);
  g_free (request);
  g_assert_true (g_str_has_prefix (x.response, "HTTP/1.1 101"));
  g_free (x.response);
  conn = x.conn;

  g_assert_cmpuint (length, <, 126);
  g_byte_array_append (frame, header, 2);
  g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < length; i++)
    {
      guint8 c = (guint8) first[i] ^ mask[i % 4];

      g_byte_array_append (frame, &c, 1);
    }
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                             frame->data, frame->len, NULL, NULL, &error);
  g_assert_no_error (error);
  return conn;
}

/* A masked text frame of @text, as a client sends it. */
static void
append_client_frame (GByteArray *frame,
                     const char *text)
{
  gsize length = strlen (text);
  const guint8 mask[4] = { 7, 1, 9, 3 };
  guint8 header[2] = { 0x81, 0x80 | (guint8) length };

  g_assert_cmpuint (length, <, 126);
  g_byte_array_append (frame, header, 2);
  g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < length; i++)
    {
      guint8 c = (guint8) text[i] ^ mask[i % 4];

      g_byte_array_append (frame, &c, 1);
    }
}

/* Reads the next unmasked text frame of the server's, past its pings;
 * NULL at the end, or when none comes within the socket's timeout. */
static char *
read_server_frame (GInputStream *input)
{
  for (;;)
    {
      guint8 header[4];
      gsize length, got = 0;
      g_autofree char *text = NULL;

      if (!g_input_stream_read_all (input, header, 2, &got, NULL, NULL) || got != 2)
        return NULL;
      length = header[1] & 0x7f;
      if (length == 126)
        {
          g_assert_true (g_input_stream_read_all (input, header + 2, 2, &got, NULL, NULL));
          length = (gsize) header[2] << 8 | header[3];
        }
      g_assert_cmpuint (length, <, 126 * 1024);
      text = g_malloc0 (length + 1);
      g_assert_true (g_input_stream_read_all (input, text, length, &got, NULL, NULL));
      g_assert_cmpuint (got, ==, length);
      if (header[0] == 0x81)
        return g_steal_pointer (&text);
      g_assert_cmpuint (header[0], ==, 0x89); /* a ping: read on */
    }
}

typedef struct
{
  guint      port;
  char      *request;   /* the handshake and the first frames, one write */
  GPtrArray *replies;   /* the frames read back */
  gboolean   done;
} EagerPeer;

static const char *eager_later = "{\"v\":1,\"id\":\"e3\",\"kind\":\"request\",\"topic\":\"hub.ping\","
                                 "\"payload\":{\"n\":3}}";

static gpointer
eager_peer_thread (gpointer data)
{
  EagerPeer *x = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GByteArray) later = g_byte_array_new ();
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GInputStream *input;
  GOutputStream *output;
  char byte;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", x->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
  input = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  output = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_output_stream_write_all (output, x->request, strlen (x->request), NULL, NULL, &error);
  g_assert_no_error (error);

  while (!g_str_has_suffix (head->str, "\r\n\r\n") &&
         g_input_stream_read (input, &byte, 1, NULL, NULL) == 1)
    g_string_append_c (head, byte);
  g_assert_true (g_str_has_prefix (head->str, "HTTP/1.1 101"));

  /* The two replies to the frames that came with the handshake, then one
   * to a frame sent once they are in. */
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (x->replies, read_server_frame (input));
  append_client_frame (later, eager_later);
  g_output_stream_write_all (output, later->data, later->len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (x->replies, read_server_frame (input));

  g_atomic_int_set (&x->done, TRUE);
  return NULL;
}

static gint64
reply_n (const char *frame)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  g_assert_nonnull (frame);
  node = json_from_string (frame, NULL);
  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "reply");
  return json_object_get_int_member (json_object_get_object_member (object, "payload"), "n");
}

/* A client that sends its first frames in the same write as the
 * handshake, before the 101: libsoup reads them with the request's head,
 * and the server answers them before what comes on the socket later. */
static void
test_frames_with_handshake (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s\r\n", f->token);
  g_autofree char *handshake = upgrade_request (f, NULL, bearer);
  g_autoptr(GByteArray) request = g_byte_array_new ();
  g_autoptr(GPtrArray) replies = g_ptr_array_new_with_free_func (g_free);
  EagerPeer x = { qi_server_get_port (f->server), NULL, replies, FALSE };
  GThread *thread;

  g_byte_array_append (request, (const guint8 *) handshake, strlen (handshake));
  append_client_frame (request, "{\"v\":1,\"id\":\"e1\",\"kind\":\"request\",\"topic\":\"hub.ping\","
                                "\"payload\":{\"n\":1}}");
  append_client_frame (request, "{\"v\":1,\"id\":\"e2\",\"kind\":\"request\",\"topic\":\"hub.ping\","
                                "\"payload\":{\"n\":2}}");
  g_byte_array_append (request, (const guint8 *) "", 1);
  x.request = (char *) request->data;

  thread = g_thread_new ("eager-peer", eager_peer_thread, &x);
  while (!g_atomic_int_get (&x.done))
    g_main_context_iteration (NULL, FALSE) || (g_usleep (200), TRUE);
  g_thread_join (thread);

  g_assert_cmpuint (replies->len, ==, 3);
  g_assert_cmpint (reply_n (replies->pdata[0]), ==, 1);
  g_assert_cmpint (reply_n (replies->pdata[1]), ==, 2);
  g_assert_cmpint (reply_n (replies->pdata[2]), ==, 3);
}

/* --- QiHubClient's own upgrade, against a fake hub in a thread. */

typedef struct
{
  GSocketListener *listener;
  gboolean         wrong_accept;  /* answer the upgrade with a bad key */
  GPtrArray       *received;      /* the client's frames, unmasked */
  gboolean         got_two;       /* its first two frames are in */
  gboolean         done;
} FakeHub;

/* An unmasked text frame of @text, as a server sends it. */
static void
append_server_frame (GString    *out,
                     const char *text)
{
  gsize length = strlen (text);

  g_assert_cmpuint (length, <, 126);
  g_string_append_c (out, (char) 0x81);
  g_string_append_c (out, (char) length);
  g_string_append (out, text);
}

/* Reads one masked text frame of the client's; NULL at the end. */
static char *
read_client_frame (GInputStream *input)
{
  guint8 header[8];
  gsize length, got = 0;
  g_autofree char *text = NULL;

  if (!g_input_stream_read_all (input, header, 2, &got, NULL, NULL) || got != 2)
    return NULL;
  g_assert_cmpuint (header[0], ==, 0x81);
  g_assert_cmpuint (header[1] & 0x80, ==, 0x80);
  length = header[1] & 0x7f;
  g_assert_cmpuint (length, <, 126);
  g_assert_true (g_input_stream_read_all (input, header + 2, 4, &got, NULL, NULL));
  text = g_malloc0 (length + 1);
  g_assert_true (g_input_stream_read_all (input, text, length, &got, NULL, NULL));
  for (gsize i = 0; i < length; i++)
    text[i] ^= header[2 + i % 4];
  return g_steal_pointer (&text);
}

static const char *early_event = "{\"v\":1,\"id\":\"f-1\",\"kind\":\"event\",\"topic\":\"test.early\",\"payload\":{}}";
static const char *later_event = "{\"v\":1,\"id\":\"f-2\",\"kind\":\"event\",\"topic\":\"test.later\",\"payload\":{}}";

/* Answers the upgrade and sends an event in the same write, right after
 * the head; then answers the client's first two frames with another
 * event. */
static gpointer
fake_hub_thread (gpointer data)
{
  FakeHub *x = data;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autoptr(GError) error = NULL;
  g_autofree char *accept = NULL;
  g_autofree char *key = NULL;
  GInputStream *input;
  GOutputStream *output;
  guint8 digest[20];
  gsize digest_length = sizeof digest;
  const char *line;
  char byte;
  char *frame;

  conn = g_socket_listener_accept (x->listener, NULL, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 5);
  input = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  output = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  while (!g_str_has_suffix (head->str, "\r\n\r\n") && g_input_stream_read (input, &byte, 1, NULL, NULL) == 1)
    g_string_append_c (head, byte);
  g_assert_true (g_str_has_prefix (head->str, "GET /ws HTTP/1.1\r\n"));
  g_assert_nonnull (strstr (head->str, "\r\nUpgrade: websocket\r\n"));
  line = strstr (head->str, "\r\nSec-WebSocket-Key: ");
  g_assert_nonnull (line);
  line += strlen ("\r\nSec-WebSocket-Key: ");
  key = g_strndup (line, strcspn (line, "\r"));

  g_checksum_update (sha1, (const guchar *) key, -1);
  g_checksum_update (sha1, (const guchar *) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
  g_checksum_get_digest (sha1, digest, &digest_length);
  accept = x->wrong_accept ? g_strdup ("dGhlIHNhbXBsZSBub25jZQ==") : g_base64_encode (digest, digest_length);
  g_string_append_printf (answer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
  append_server_frame (answer, early_event);
  g_output_stream_write_all (output, answer->str, answer->len, NULL, NULL, &error);
  g_assert_no_error (error);

  while (!x->wrong_accept && x->received->len < 2 && (frame = read_client_frame (input)) != NULL)
    g_ptr_array_add (x->received, frame);
  if (x->received->len == 2)
    {
      g_autoptr(GString) later = g_string_new (NULL);

      g_atomic_int_set (&x->got_two, TRUE);
      append_server_frame (later, later_event);
      g_output_stream_write_all (output, later->str, later->len, NULL, NULL, &error);
      g_assert_no_error (error);
      /* Until the client closes. */
      while (g_input_stream_read (input, &byte, 1, NULL, NULL) == 1)
        ;
    }

  g_atomic_int_set (&x->done, TRUE);
  return NULL;
}

static char *
start_fake_hub (FakeHub  *x,
                GThread **thread)
{
  g_autoptr(GError) error = NULL;
  guint16 port;

  x->listener = g_socket_listener_new ();
  x->received = g_ptr_array_new_with_free_func (g_free);
  port = g_socket_listener_add_any_inet_port (x->listener, NULL, &error);
  g_assert_no_error (error);
  *thread = g_thread_new ("fake-hub", fake_hub_thread, x);
  return g_strdup_printf ("ws://127.0.0.1:%u/ws", port);
}

static void
stop_fake_hub (FakeHub *x,
               GThread *thread)
{
  while (!g_atomic_int_get (&x->done))
    g_main_context_iteration (NULL, FALSE) || (g_usleep (200), TRUE);
  g_thread_join (thread);
  g_socket_listener_close (x->listener);
  g_clear_object (&x->listener);
  g_clear_pointer (&x->received, g_ptr_array_unref);
}

static void
wait_for_messages (GPtrArray *messages,
                   guint      n)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (messages->len < n && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (500), TRUE);
  g_assert_cmpuint (messages->len, >=, n);
}

/* The client makes the upgrade itself: a frame that comes in the same
 * write as the answer's head is the first message, what comes later on
 * the socket follows it. */
static void
test_client_upgrade (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(QiHubClient) client = qi_hub_client_new ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  FakeHub x = { 0 };
  Outcome o = { 0 };
  GThread *thread;

  url = start_fake_hub (&x, &thread);
  g_signal_connect (client, "message", G_CALLBACK (collect_message), messages);
  qi_hub_client_connect_async (client, url, NULL, NULL, NULL, on_connected, &o);
  wait_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);

  wait_for_messages (messages, 1);
  g_assert_cmpstr (qi_message_get_topic (messages->pdata[0]), ==, "test.early");

  /* Frames sent outside any dispatch of the main loop are on their way
   * when the call returns: the peer gets them while this thread runs no
   * main loop. */
  qi_hub_client_send_text (client, "hello", 5, &error);
  g_assert_no_error (error);
  qi_hub_client_send_text (client, "again", 5, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 5000 && !g_atomic_int_get (&x.got_two); i++)
    g_usleep (1000);
  g_assert_true (g_atomic_int_get (&x.got_two));
  g_assert_cmpstr (x.received->pdata[0], ==, "hello");
  g_assert_cmpstr (x.received->pdata[1], ==, "again");

  wait_for_messages (messages, 2);
  g_assert_cmpstr (qi_message_get_topic (messages->pdata[1]), ==, "test.later");

  qi_hub_client_close (client);
  stop_fake_hub (&x, thread);
}

/* An answer to the upgrade with the wrong Sec-WebSocket-Accept is no
 * WebSocket. */
static void
test_client_bad_accept (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(QiHubClient) client = qi_hub_client_new ();
  g_autofree char *url = NULL;
  FakeHub x = { .wrong_accept = TRUE };
  Outcome o = { 0 };
  GThread *thread;

  url = start_fake_hub (&x, &thread);
  qi_hub_client_connect_async (client, url, NULL, NULL, NULL, on_connected, &o);
  wait_until (&o.done, 5000);
  g_assert_false (o.ok);
  g_assert_error (o.error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE);
  g_assert_false (qi_hub_client_is_connected (client));
  g_clear_error (&o.error);
  g_clear_object (&client);
  stop_fake_hub (&x, thread);
}

/* A token the server refuses: the error names the HTTP status. */
static void
test_client_refused (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(QiHubClient) client = qi_hub_client_new ();
  Outcome o = { 0 };

  qi_hub_client_connect_async (client, f->url, "not.a.token", "test/refused", NULL, on_connected, &o);
  wait_until (&o.done, 5000);
  g_assert_false (o.ok);
  g_assert_error (o.error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET);
  g_assert_nonnull (strstr (o.error->message, "401"));
  g_clear_error (&o.error);

  /* A token that would break the request's head is not sent. */
  qi_hub_client_connect_async (client, f->url, "a\r\nX-Injected: 1", NULL, NULL, on_connected, &o);
  o.done = FALSE;
  wait_until (&o.done, 5000);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&o.error);
}

typedef struct
{
  QiHubClient *client;
  guint        sent;
  guint        done;
  guint        total;
  gboolean     wrong;   /* a reply that was not its request's */
} Chain;

static void chain_send (Chain *chain);

static void
on_chain_reply (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Chain *chain = g_object_get_data (source, "chain");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_client_request_finish (QI_HUB_CLIENT (source), result, &error);

  g_assert_no_error (error);
  if (json_object_get_int_member (json_node_get_object (reply), "n") != GPOINTER_TO_INT (user_data))
    chain->wrong = TRUE;
  chain->done++;
  chain_send (chain);
}

static void
chain_send (Chain *chain)
{
  while (chain->sent < chain->total && chain->sent - chain->done < 32)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) payload = NULL;

      json_object_set_int_member (object, "n", chain->sent);
      payload = json_node_init_object (json_node_alloc (), object);
      qi_hub_client_request_async (chain->client, "hub.ping", payload, 0, NULL, on_chain_reply,
                                   GINT_TO_POINTER (chain->sent));
      chain->sent++;
    }
}

/* Requests sent from the callbacks of replies, 32 in flight: the client
 * holds them while libsoup reads and writes them together; each is
 * answered once, with its own payload. */
static void
test_requests_from_replies (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(QiHubClient) client = connect_client (f, "test/chain");
  Chain chain = { client, 0, 0, 2000, FALSE };

  g_object_set_data (G_OBJECT (client), "chain", &chain);
  chain_send (&chain);
  while (chain.done < chain.total)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (chain.wrong);
  g_assert_cmpuint (chain.sent, ==, chain.total);
  assert_ping (client);
}

static void
test_slow_reader (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(QiServer) server = NULL;
  g_autoptr(QiHubClient) watcher = NULL;
  g_autoptr(QiHubClient) sender = NULL;
  g_autoptr(GSocketConnection) stuck = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new ("{\"blob\":\"");
  g_autoptr(JsonNode) payload = NULL;
  guint sent = 0;

  /* A server that holds at most 1 MiB for a client. */
  qi_service_stop (QI_SERVICE (f->server));
  g_clear_object (&f->server);
  f->server = qi_server_new (f->hub, f->authority);
  g_object_set (f->server, "max-queued-bytes", (guint64) 1024 * 1024, NULL);
  qi_server_listen (f->server, 0, &error);
  g_assert_no_error (error);
  g_free (f->url);
  f->url = qi_server_dup_websocket_url (f->server);

  watcher = connect_client (f, "test/watcher");
  sender = connect_client (f, "test/sender");
  stuck = raw_peer (f, "{\"v\":1,\"id\":\"s1\",\"kind\":\"request\",\"topic\":\"hub.subscribe\","
                       "\"payload\":{\"pattern\":\"flood.**\"}}");
  for (guint i = 0; i < 200 && count_sessions (watcher, "test/client") == 0; i++)
    spin (5);
  g_assert_cmpuint (count_sessions (watcher, "test/client"), ==, 1);

  for (guint i = 0; i < 64 * 1024; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, "\"}");
  payload = json_from_string (text->str, NULL);

  /* 256 MiB of events to a peer that reads none: the hub cuts it off and
   * answers everyone else all along. */
  while (count_sessions (watcher, "test/client") == 1 && sent < 4096)
    {
      for (guint i = 0; i < 16; i++, sent++)
        qi_hub_client_emit (sender, "flood.data", payload, &error);
      g_assert_no_error (error);
      assert_ping (watcher);
    }
  g_test_message ("cut off after %u events of 64 KiB", sent);
  g_assert_cmpuint (sent, <, 4096);
  g_assert_cmpuint (count_sessions (watcher, "test/client"), ==, 0);
  assert_ping (sender);
  assert_ping (watcher);
}

static void
test_dead_peer (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(QiHubClient) watcher = NULL;
  g_autoptr(GSocketConnection) dead = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  qi_service_stop (QI_SERVICE (f->server));
  g_clear_object (&f->server);
  f->server = qi_server_new (f->hub, f->authority);
  g_object_set (f->server, "heartbeat-interval", 1, "heartbeat-timeout", 2500, NULL);
  qi_server_listen (f->server, 0, &error);
  g_assert_no_error (error);
  g_free (f->url);
  f->url = qi_server_dup_websocket_url (f->server);

  watcher = connect_client (f, "test/watcher");
  dead = raw_peer (f, "{\"v\":1,\"id\":\"d1\",\"kind\":\"request\",\"topic\":\"hub.ping\"}");
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 200 && count_sessions (watcher, "test/client") == 0; i++)
    spin (5);
  g_assert_cmpuint (count_sessions (watcher, "test/client"), ==, 1);

  /* The watcher's client answers pings by itself; the dead one does not. */
  while (count_sessions (watcher, "test/client") == 1 &&
         g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    spin (100);
  g_assert_cmpuint (count_sessions (watcher, "test/client"), ==, 0);
  g_assert_cmpuint (count_sessions (watcher, "test/watcher"), ==, 1);
}

static void
test_token_claims (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  g_autoptr(QiTokenAuthority) a = qi_token_authority_new_with_key (key);
  const char * const scopes[] = { "hub", "ui", NULL };
  g_autofree char *token = qi_token_authority_issue (a, "ui/launcher", "__hub__", scopes, 60, &error);
  g_autoptr(QiToken) claims = NULL;
  g_autofree char *tampered = NULL;
  char *dot;

  g_assert_no_error (error);
  claims = qi_token_authority_verify (a, token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_token_get_session (claims), ==, "ui/launcher");
  g_assert_cmpstr (qi_token_get_parent (claims), ==, "__hub__");
  g_assert_cmpstrv (qi_token_get_scopes (claims), scopes);
  g_assert_false (qi_token_has_scope (claims, "api"));
  g_assert_cmpint (qi_token_get_expires_at (claims) - g_get_real_time () / G_USEC_PER_SEC, <=, 60);

  /* One character of the claims changed: the signature no longer fits. */
  tampered = g_strdup (token);
  dot = strchr (tampered, '.');
  dot[5] = dot[5] == 'A' ? 'B' : 'A';
  g_clear_object (&claims);
  claims = qi_token_authority_verify (a, tampered, &error);
  g_assert_null (claims);
  g_assert_true (g_error_matches (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_BAD_SIGNATURE) ||
                 g_error_matches (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED));
  g_clear_error (&error);

  claims = qi_token_authority_verify (a, "a.b\x01.c", &error);
  g_assert_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED);
  g_clear_error (&error);
  claims = qi_token_authority_verify (a, "", &error);
  g_assert_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/server/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/qi/server/token-claims", test_token_claims);
  ADD ("health", test_health);
  ADD ("ws-needs-token", test_ws_needs_token);
  ADD ("ws-expired-token", test_ws_expired_token);
  ADD ("ws-origin-and-host", test_ws_origin_and_host);
  ADD ("rest-needs-token", test_rest_needs_token);
  ADD ("ui-folder", test_ui_folder);
  ADD ("hello-and-ping", test_hello_and_ping);
  ADD ("garbage-then-ping", test_garbage_then_ping);
  ADD ("too-large", test_too_large);
  ADD ("pipelined", test_pipelined);
  ADD ("frames-with-handshake", test_frames_with_handshake);
  ADD ("client-upgrade", test_client_upgrade);
  ADD ("client-bad-accept", test_client_bad_accept);
  ADD ("client-refused", test_client_refused);
  ADD ("requests-from-replies", test_requests_from_replies);
  ADD ("many-clients", test_many_clients);
  ADD ("cascade", test_cascade);
  ADD ("between-clients", test_between_clients);
  ADD ("slow-reader", test_slow_reader);
  ADD ("dead-peer", test_dead_peer);

  return g_test_run ();
}
