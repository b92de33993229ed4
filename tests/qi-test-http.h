/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string.h>

#include <libsoup/soup.h>
#include <qi/qi.h>

/*
 * A real SoupServer on 127.0.0.1 (port 0: the kernel picks one), with
 * raw paths as QiRestRouter and QiStaticFolder need, and two clients on
 * it: a SoupSession driven from the same main loop, and a raw socket in
 * a thread for what SoupSession would not send as written (GUri removes
 * dot segments and decodes %2e).
 */

typedef struct
{
  SoupServer  *server;
  SoupSession *session;
  char        *base;   /* http://127.0.0.1:PORT, no trailing slash */
  guint16      port;
} QiTestHttp;

typedef struct
{
  guint               status;
  char               *body;    /* NUL-terminated */
  gsize               length;
  SoupMessageHeaders *headers; /* the response's */
} QiTestResponse;

static inline void
qi_test_http_setup (QiTestHttp *http)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  GSList *listeners;

  http->server = soup_server_new ("raw-paths", TRUE, NULL);
  soup_server_listen (http->server, address, 0, &error);
  g_assert_no_error (error);

  /* Not soup_server_get_uris(): libsoup 3.2 leaks the address it caches
   * for it. */
  listeners = soup_server_get_listeners (http->server);
  g_assert_nonnull (listeners);
  bound = g_socket_get_local_address (listeners->data, &error);
  g_assert_no_error (error);
  g_slist_free (listeners);
  http->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_assert_cmpuint (http->port, >, 0);
  http->base = g_strdup_printf ("http://127.0.0.1:%u", http->port);

  http->session = soup_session_new_with_options ("proxy-resolver", direct,
                                                 "timeout", 20,
                                                 NULL);
}

/* Runs the main loop until it has been idle for a while (bounded). */
static inline void
qi_test_http_settle (void)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  guint idle = 0;

  while (idle < 20 && g_get_monotonic_time () < deadline)
    {
      if (g_main_context_iteration (NULL, FALSE))
        idle = 0;
      else
        idle++, g_usleep (1000);
    }
}

static inline void
qi_test_http_teardown (QiTestHttp *http)
{
  /* Close the client's connections first and let the server see them
   * close, then close the server's. */
  soup_session_abort (http->session);
  g_assert_finalize_object (g_steal_pointer (&http->session));
  qi_test_http_settle ();
  soup_server_disconnect (http->server);
  qi_test_http_settle ();
  g_assert_finalize_object (g_steal_pointer (&http->server));
  g_clear_pointer (&http->base, g_free);
}

static inline void
qi_test_response_clear (QiTestResponse *response)
{
  g_clear_pointer (&response->body, g_free);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  response->status = 0;
  response->length = 0;
}

static inline const char *
qi_test_response_header (QiTestResponse *response,
                         const char     *name)
{
  return soup_message_headers_get_list (response->headers, name);
}

typedef struct
{
  gboolean  done;
  GBytes   *bytes;
  GError   *error;
} QiTestWait;

static inline void
qi_test_http_on_read (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  QiTestWait *wait = user_data;

  wait->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

/* Sends @msg and waits for the whole response. */
static inline void
qi_test_http_send (QiTestHttp     *http,
                   SoupMessage    *msg,
                   QiTestResponse *response)
{
  QiTestWait wait = { 0 };
  gsize length = 0;
  const char *data;

  qi_test_response_clear (response);
  soup_session_send_and_read_async (http->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    qi_test_http_on_read, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (wait.error);

  data = g_bytes_get_data (wait.bytes, &length);
  response->status = soup_message_get_status (msg);
  response->body = g_strndup (data != NULL ? data : "", length);
  response->length = length;
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  g_bytes_unref (wait.bytes);
}

/* Makes a message for @path below the server; @content_type and @body
 * may be NULL. The caller adds headers and flags, then sends. */
static inline SoupMessage *
qi_test_http_message (QiTestHttp *http,
                      const char *method,
                      const char *path,
                      const char *content_type,
                      const char *body,
                      gssize      length)
{
  g_autofree char *uri = g_strconcat (http->base, path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  return msg;
}

/* Sends one request and waits for its response. */
static inline void
qi_test_http_fetch (QiTestHttp     *http,
                    const char     *method,
                    const char     *path,
                    const char     *content_type,
                    const char     *body,
                    QiTestResponse *response)
{
  g_autoptr(SoupMessage) msg = qi_test_http_message (http, method, path, content_type, body, -1);

  qi_test_http_send (http, msg, response);
}

typedef struct
{
  guint16   port;
  char     *request;
  gboolean  close_without_reading;
  gint      sent;      /* atomic: the request is written */
  gint      done;      /* atomic */
  GString  *response;
} QiTestRaw;

static inline gpointer
qi_test_raw_thread (gpointer data)
{
  QiTestRaw *raw = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GInputStream *input;
  GOutputStream *output;
  char buffer[4096];
  gssize n;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", raw->port, NULL, &error);
  g_assert_no_error (error);
  output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_output_stream_write_all (output, raw->request, strlen (raw->request), NULL, NULL, &error);
  g_assert_no_error (error);
  g_atomic_int_set (&raw->sent, 1);
  g_main_context_wakeup (NULL);

  if (!raw->close_without_reading)
    {
      while ((n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error)) > 0)
        g_string_append_len (raw->response, buffer, n);
      g_assert_no_error (error);
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_atomic_int_set (&raw->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* Sends @request_text as written on a new connection and reads the whole
 * response (ask for "Connection: close"), while the main loop runs the
 * server. */
static inline void
qi_test_http_raw (QiTestHttp     *http,
                  const char     *request_text,
                  QiTestResponse *response)
{
  QiTestRaw raw = { 0 };
  GThread *thread;
  const char *end;
  guint status = 0;

  qi_test_response_clear (response);
  raw.port = http->port;
  raw.request = (char *) request_text;
  raw.response = g_string_new (NULL);
  thread = g_thread_new ("raw-client", qi_test_raw_thread, &raw);
  while (!g_atomic_int_get (&raw.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  end = strstr (raw.response->str, "\r\n\r\n");
  g_assert_nonnull (end);
  response->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_assert_true (soup_headers_parse_response (raw.response->str, end + 4 - raw.response->str,
                                              response->headers, NULL, &status, NULL));
  response->status = status;
  response->body = g_strdup (end + 4);
  response->length = strlen (response->body);
  g_string_free (raw.response, TRUE);
}

typedef struct
{
  GBytes   *bytes;
  GError   *error;
  gboolean  done;
} QiTestSent;

static inline void
qi_test_on_sent (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  QiTestSent *sent = user_data;

  sent->bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &sent->error);
  sent->done = TRUE;
}

/* Sends @msg with @session and spins this thread's main context (where a
 * server under test runs) until the whole answer is read. */
static inline GBytes *
qi_test_send_and_wait (SoupSession  *session,
                       SoupMessage  *msg,
                       GError      **error)
{
  QiTestSent sent = { 0 };

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, qi_test_on_sent, &sent);
  while (!sent.done)
    g_main_context_iteration (NULL, TRUE);
  if (sent.error != NULL)
    g_propagate_error (error, sent.error);
  return sent.bytes;
}
