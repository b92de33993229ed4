/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hub's round trips, measured; run by bench/hub, which starts the
 * servers and prints the table. Modes:
 *
 *   qi-bench-hub inproc N              hub.ping through QiHub in process
 *   qi-bench-hub client URL TOKEN N    hub.ping through QiHubClient ↔ a qi server
 *   qi-bench-hub echo-server           a bare libsoup WebSocket echo; prints its URL
 *   qi-bench-hub echo-client URL N     200-byte frames to an echo server
 *
 * Each client mode runs N round trips one at a time, then N with 64 in
 * flight, and prints one line each: "LABEL msgs_per_s p50_us p99_us".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>
#include <qi/qi.h>

#define WINDOW 64

typedef struct
{
  guint    total;
  guint    sent;
  guint    done;
  guint    window;
  gint64  *started;   /* by sequence number */
  gint64  *latency;
  gint64   begin;
  gint64   end;
  /* the transport */
  QiHub                   *hub;
  QiHubClient             *client;
  SoupWebsocketConnection *echo;
  JsonNode                *payload;
  char                    *frame;
  GMainLoop               *loop;
} Run;

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
report (Run        *run,
        const char *label)
{
  double seconds = (run->end - run->begin) / 1e6;

  qsort (run->latency, run->total, sizeof (gint64), compare_gint64);
  printf ("%s %.0f %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", label,
          run->total / seconds, run->latency[run->total / 2],
          run->latency[(guint) (run->total * 0.99)]);
  fflush (stdout);
}

static void send_next (Run *run);

static void
finished_one (Run   *run,
              guint  seq)
{
  run->latency[seq] = g_get_monotonic_time () - run->started[seq];
  run->done++;
  if (run->done == run->total)
    {
      run->end = g_get_monotonic_time ();
      g_main_loop_quit (run->loop);
      return;
    }
  send_next (run);
}

static void
on_inproc_reply (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = g_object_get_data (source, "run");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_request_finish (QI_HUB (source), result, &error);

  if (reply == NULL)
    g_error ("hub.ping: %s", error->message);
  finished_one (run, GPOINTER_TO_UINT (user_data));
}

static void
on_client_reply (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = g_object_get_data (source, "run");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_client_request_finish (QI_HUB_CLIENT (source), result, &error);

  if (reply == NULL)
    g_error ("hub.ping: %s", error->message);
  finished_one (run, GPOINTER_TO_UINT (user_data));
}

static void
on_echo (SoupWebsocketConnection *conn,
         gint                     type,
         GBytes                  *data,
         Run                     *run)
{
  /* The echo keeps order: the oldest frame in flight came back. */
  finished_one (run, run->done);
}

static void
send_next (Run *run)
{
  while (run->sent < run->total && run->sent - run->done < run->window)
    {
      guint seq = run->sent++;

      run->started[seq] = g_get_monotonic_time ();
      if (run->hub != NULL)
        qi_hub_request_async (run->hub, "hub.ping", run->payload, 0, NULL,
                              on_inproc_reply, GUINT_TO_POINTER (seq));
      else if (run->client != NULL)
        qi_hub_client_request_async (run->client, "hub.ping", run->payload, 0, NULL,
                                     on_client_reply, GUINT_TO_POINTER (seq));
      else
        soup_websocket_connection_send_text (run->echo, run->frame);
    }
}

static void
run_once (Run        *run,
          guint       window,
          const char *label)
{
  run->window = window;
  run->sent = run->done = 0;
  run->begin = g_get_monotonic_time ();
  send_next (run);
  g_main_loop_run (run->loop);
  report (run, label);
}

static void
run_both (Run *run,
          guint n)
{
  /* A warm-up, then the two measured runs. */
  run->total = MIN (n, 2000);
  run_once (run, 1, "warmup");
  run->total = n;
  run_once (run, 1, "sequential");
  run_once (run, WINDOW, "pipelined");
}

static JsonNode *
ping_payload (void)
{
  /* An envelope of about 200 bytes on the wire. */
  return json_from_string ("{\"data\":\"0123456789abcdef0123456789abcdef0123456789abcdef"
                           "0123456789abcdef0123456789abcdef0123456789abcdef01234567\"}", NULL);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!qi_hub_client_connect_finish (QI_HUB_CLIENT (source), result, &error))
    g_error ("connect: %s", error->message);
  g_main_loop_quit (user_data);
}

static void
on_echo_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  run->echo = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (run->echo == NULL)
    g_error ("connect: %s", error->message);
  g_main_loop_quit (run->loop);
}

static void
echo_handler (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data);

static void
echo_message (SoupWebsocketConnection *conn,
              gint                     type,
              GBytes                  *data,
              gpointer                 user_data)
{
  soup_websocket_connection_send_message (conn, type, data);
}

static void
echo_closed (SoupWebsocketConnection *conn,
             gpointer                 user_data)
{
  g_object_unref (conn);
}

static void
echo_handler (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  g_object_ref (conn);
  g_signal_connect (conn, "message", G_CALLBACK (echo_message), NULL);
  g_signal_connect (conn, "closed", G_CALLBACK (echo_closed), NULL);
}

int
main (int   argc,
      char *argv[])
{
  Run run = { 0 };
  guint n;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s inproc N | client URL TOKEN N | echo-server | echo-client URL N\n", argv[0]);
      return 2;
    }

  run.loop = g_main_loop_new (NULL, FALSE);
  run.payload = ping_payload ();
  run.frame = json_to_string (run.payload, FALSE);
  {
    /* Pad the raw frame to the size of the hub's envelope. */
    g_autoptr(GString) padded = g_string_new (run.frame);

    while (padded->len < 200)
      g_string_append_c (padded, ' ');
    g_free (run.frame);
    run.frame = g_string_free (g_steal_pointer (&padded), FALSE);
  }

  if (strcmp (argv[1], "inproc") == 0 && argc == 3)
    {
      n = atoi (argv[2]);
      run.hub = qi_hub_new ();
      run.started = g_new0 (gint64, n);
      run.latency = g_new0 (gint64, n);
      g_object_set_data (G_OBJECT (run.hub), "run", &run);
      run_both (&run, n);
      g_object_unref (run.hub);
    }
  else if (strcmp (argv[1], "client") == 0 && argc == 5)
    {
      n = atoi (argv[4]);
      run.client = qi_hub_client_new ();
      run.started = g_new0 (gint64, n);
      run.latency = g_new0 (gint64, n);
      g_object_set_data (G_OBJECT (run.client), "run", &run);
      qi_hub_client_connect_async (run.client, argv[2], argv[3], "bench/client", NULL,
                                   on_connected, run.loop);
      g_main_loop_run (run.loop);
      run_both (&run, n);
      g_object_unref (run.client);
    }
  else if (strcmp (argv[1], "echo-server") == 0 && argc == 2)
    {
      g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
      g_autoptr(GError) error = NULL;
      GSList *uris;

      soup_server_add_websocket_handler (server, "/echo", NULL, NULL, echo_handler, NULL, NULL);
      if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
        g_error ("listen: %s", error->message);
      uris = soup_server_get_uris (server);
      printf ("ws://127.0.0.1:%d/echo\n", g_uri_get_port (uris->data));
      fflush (stdout);
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
      g_main_loop_run (run.loop);
    }
  else if (strcmp (argv[1], "echo-client") == 0 && argc == 4)
    {
      g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", argv[2]);

      n = atoi (argv[3]);
      run.started = g_new0 (gint64, n);
      run.latency = g_new0 (gint64, n);
      soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                            on_echo_connected, &run);
      g_main_loop_run (run.loop);
      g_signal_connect (run.echo, "message", G_CALLBACK (on_echo), &run);
      run_both (&run, n);
      g_object_unref (run.echo);
    }
  else
    {
      fprintf (stderr, "%s: bad arguments\n", argv[0]);
      return 2;
    }

  g_free (run.started);
  g_free (run.latency);
  g_free (run.frame);
  json_node_unref (run.payload);
  g_main_loop_unref (run.loop);
  return 0;
}
