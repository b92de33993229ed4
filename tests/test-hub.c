/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* The C API of the hub: QiHub, QiHubEndpoint, QiHubRequest, and the way a
 * transport opens its session (hub.hello). */

static JsonNode *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (json, &error);

  g_assert_no_error (error);
  return node;
}

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

/* The outcome of one request. */
typedef struct
{
  gboolean  done;
  JsonNode *payload;
  GError   *error;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->payload, json_node_unref);
  g_clear_error (&outcome->error);
  outcome->done = FALSE;
}

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->payload = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &outcome->error);
  outcome->done = TRUE;
}

static void
wait_for (Outcome *outcome)
{
  while (!outcome->done)
    g_main_context_iteration (NULL, TRUE);
}

/* Sends a request from @from and waits for its answer. */
static void
ask (QiHubEndpoint *from,
     const char    *topic,
     const char    *payload_json,
     guint          timeout_ms,
     Outcome       *outcome)
{
  g_autoptr(JsonNode) payload = payload_json != NULL ? parse (payload_json) : NULL;

  outcome_clear (outcome);
  qi_hub_endpoint_request_async (from, topic, payload, timeout_ms, NULL, on_answer, outcome);
  g_assert_false (outcome->done); /* never completes inside the call */
  wait_for (outcome);
}

static void
test_ping (void)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(JsonNode) payload = parse ("{\"n\": [1, 2, 3]}");
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  Outcome outcome = { 0 };

  g_assert_cmpstr (qi_service_get_name (QI_SERVICE (hub)), ==, "hub");
  g_assert_cmpstr (qi_session_get_id (QI_SESSION (qi_hub_get_endpoint (hub))), ==, QI_HUB_CORE_SESSION);

  ask (qi_hub_get_endpoint (hub), "hub.ping", "{\"n\": [1, 2, 3]}", 0, &outcome);
  g_assert_no_error (outcome.error);
  text = to_text (outcome.payload);
  g_assert_cmpstr (text, ==, "{\"n\":[1,2,3]}");
  outcome_clear (&outcome);

  /* No handler: an immediate error. */
  ask (qi_hub_get_endpoint (hub), "nobody.home", NULL, 0, &outcome);
  g_assert_error (outcome.error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_assert_null (outcome.payload);
  outcome_clear (&outcome);

  /* Not a topic. */
  ask (qi_hub_get_endpoint (hub), "not a topic", NULL, 0, &outcome);
  g_assert_error (outcome.error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  outcome_clear (&outcome);
}

/* Handlers: answer now, answer later, fail, forget. */
static void
answer_now (QiHubRequest *request,
            gpointer      user_data)
{
  g_autoptr(JsonNode) payload = parse ("{\"answer\": 42}");

  g_assert_cmpstr (qi_hub_request_get_session (request), ==, user_data);
  qi_hub_request_reply (request, payload);
  g_assert_true (qi_hub_request_get_answered (request));
}

static gboolean
answer_in_idle (gpointer user_data)
{
  QiHubRequest *request = user_data;
  JsonObject *payload = json_node_get_object (qi_hub_request_get_payload (request));
  g_autoptr(JsonNode) reply = parse ("{}");

  json_object_set_int_member (json_node_get_object (reply), "twice",
                              2 * json_object_get_int_member (payload, "n"));
  qi_hub_request_reply (request, reply);
  return G_SOURCE_REMOVE;
}

static void
answer_later (QiHubRequest *request,
              gpointer      user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, answer_in_idle, g_object_ref (request), g_object_unref);
}

static void
answer_fail (QiHubRequest *request,
             gpointer      user_data)
{
  g_autoptr(GError) error = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "no such shot: sh999");

  qi_hub_request_fail_error (request, error);
}

static void
answer_never (QiHubRequest *request,
              gpointer      user_data)
{
}

static void
keep_request (QiHubRequest *request,
              gpointer      user_data)
{
  GPtrArray *kept = user_data;

  g_ptr_array_add (kept, g_object_ref (request));
}

static void
count_destroy (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_handlers (void)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHubEndpoint) addon = NULL;
  g_autoptr(QiHubEndpoint) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);
  QiHubEndpoint *core = qi_hub_get_endpoint (hub);
  g_autofree char *text = NULL;
  Outcome outcome = { 0 };
  guint destroyed = 0;

  addon = qi_hub_open_endpoint (hub, "__hub__/addon/db", QI_MESSAGE_BUS_HUB_SESSION, &error);
  g_assert_no_error (error);
  other = qi_hub_open_endpoint (hub, "dcc/blender/4242", NULL, &error);
  g_assert_no_error (error);

  g_assert_true (qi_hub_endpoint_add_handler (addon, "db.now", answer_now,
                                              (gpointer) QI_HUB_CORE_SESSION, NULL, &error));
  g_assert_true (qi_hub_endpoint_add_handler (addon, "db.later", answer_later, NULL, NULL, &error));
  g_assert_true (qi_hub_endpoint_add_handler (addon, "db.fail", answer_fail, NULL, NULL, &error));
  g_assert_true (qi_hub_endpoint_add_handler (addon, "db.forget", answer_never, &destroyed,
                                              count_destroy, &error));
  g_assert_true (qi_hub_endpoint_add_handler (addon, "db.keep", keep_request, kept, NULL, &error));
  g_assert_no_error (error);

  /* A topic has one handler; the hub's topics are the hub's. */
  g_assert_false (qi_hub_endpoint_add_handler (other, "db.now", answer_now, NULL, NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_EXISTS);
  g_clear_error (&error);
  g_assert_false (qi_hub_add_handler (hub, "hub.ping", answer_now, NULL, NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_EXISTS);
  g_clear_error (&error);
  g_assert_false (qi_hub_add_handler (hub, "no..topic", answer_now, NULL, NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  ask (core, "db.now", NULL, 0, &outcome);
  g_assert_no_error (outcome.error);
  text = to_text (outcome.payload);
  g_assert_cmpstr (text, ==, "{\"answer\":42}");
  g_clear_pointer (&text, g_free);

  ask (core, "db.later", "{\"n\": 21}", 0, &outcome);
  g_assert_no_error (outcome.error);
  text = to_text (outcome.payload);
  g_assert_cmpstr (text, ==, "{\"twice\":42}");
  g_clear_pointer (&text, g_free);

  /* A GError of another domain becomes handler_failed, with its message. */
  ask (core, "db.fail", NULL, 0, &outcome);
  g_assert_error (outcome.error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_cmpstr (outcome.error->message, ==, "no such shot: sh999");

  /* A request dropped unanswered fails at once, not at its deadline. */
  ask (core, "db.forget", NULL, 0, &outcome);
  g_assert_error (outcome.error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_nonnull (strstr (outcome.error->message, "db.forget"));

  /* A request kept past its deadline times out; the late answer is
   * dropped. */
  ask (core, "db.keep", NULL, 20, &outcome);
  g_assert_error (outcome.error, QI_HUB_ERROR, QI_HUB_ERROR_TIMEOUT);
  g_assert_cmpuint (kept->len, ==, 1);
  qi_hub_request_reply (g_ptr_array_index (kept, 0), NULL);
  g_assert_cmpuint (qi_message_bus_get_n_pending (qi_hub_get_bus (hub)), ==, 0);

  /* Removing a handler frees its data; the topic is free again. */
  g_assert_true (qi_hub_endpoint_remove_handler (addon, "db.forget"));
  g_assert_false (qi_hub_endpoint_remove_handler (addon, "db.forget"));
  g_assert_cmpuint (destroyed, ==, 1);
  g_assert_true (qi_hub_endpoint_add_handler (other, "db.forget", answer_fail, NULL, NULL, &error));
  g_assert_no_error (error);

  outcome_clear (&outcome);
  qi_hub_endpoint_close (addon);
  qi_hub_endpoint_close (other);
}

static void
on_hub_answer (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Outcome *outcome = user_data;

  /* QiHub's own calls hand the hub to the callback. */
  outcome->payload = qi_hub_request_finish (QI_HUB (source), result, &outcome->error);
  outcome->done = TRUE;
}

static void
test_cancel (void)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  QiMessageBus *bus = qi_hub_get_bus (hub);
  Outcome outcome = { 0 };

  g_assert_true (qi_hub_add_handler (hub, "slow.job", keep_request, kept, NULL, &error));
  g_assert_no_error (error);

  qi_hub_request_async (hub, "slow.job", NULL, 0, cancellable, on_hub_answer, &outcome);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 1);
  g_cancellable_cancel (cancellable);
  wait_for (&outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);

  /* The handler may still answer; nobody is waiting. */
  g_assert_cmpuint (kept->len, ==, 1);
  qi_hub_request_reply (g_ptr_array_index (kept, 0), NULL);

  /* Cancelled before sending: no request goes out at all. */
  outcome_clear (&outcome);
  qi_hub_request_async (hub, "slow.job", NULL, 0, cancellable, on_hub_answer, &outcome);
  wait_for (&outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (kept->len, ==, 1);
  outcome_clear (&outcome);
}

/* Events */
typedef struct
{
  GPtrArray     *topics;
  QiHubEndpoint *endpoint;
  guint          unsubscribe; /* a subscription to end on the first event */
} Listener;

static void
on_event (QiMessage *event,
          gpointer   user_data)
{
  Listener *listener = user_data;

  g_ptr_array_add (listener->topics, g_strdup (qi_message_get_topic (event)));
  if (listener->unsubscribe != 0)
    {
      g_assert_true (qi_hub_endpoint_unsubscribe (listener->endpoint, listener->unsubscribe));
      listener->unsubscribe = 0;
    }
}

static char *
joined (GPtrArray *strings)
{
  g_ptr_array_add (strings, NULL);
  g_autofree char *text = g_strjoinv (" ", (char **) strings->pdata);
  g_ptr_array_set_size (strings, 0);
  return g_steal_pointer (&text);
}

static void
test_events (void)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHubEndpoint) ui = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) topics = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *text = NULL;
  Listener listener = { topics, NULL, 0 };
  guint all, exact;

  ui = qi_hub_open_endpoint (hub, "ui/browser", NULL, &error);
  g_assert_no_error (error);
  listener.endpoint = ui;

  all = qi_hub_endpoint_subscribe (ui, "db_service.**", on_event, &listener, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all, >, 0);
  exact = qi_hub_endpoint_subscribe (ui, "db_service.*.changed", on_event, &listener, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_hub_endpoint_subscribe (ui, "db_service.**.x", on_event, &listener, NULL, &error), ==, 0);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  /* Each matching subscription gets the event, in order; others none. */
  g_assert_true (qi_hub_emit (hub, "db_service.version.changed", NULL, &error));
  g_assert_true (qi_hub_emit (hub, "db_service", NULL, &error));
  g_assert_true (qi_hub_emit (hub, "tracker.version.changed", NULL, &error));
  g_assert_no_error (error);
  text = joined (topics);
  g_assert_cmpstr (text, ==, "db_service.version.changed db_service.version.changed db_service");
  g_clear_pointer (&text, g_free);

  /* A callback may end a subscription that the same event matches. */
  listener.unsubscribe = exact;
  g_assert_true (qi_hub_emit (hub, "db_service.shot.changed", NULL, &error));
  text = joined (topics);
  g_assert_cmpstr (text, ==, "db_service.shot.changed");
  g_clear_pointer (&text, g_free);
  g_assert_false (qi_hub_endpoint_unsubscribe (ui, exact));

  /* The hub's topics and non-topics are refused. */
  g_assert_false (qi_hub_emit (hub, "session.closed", NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_assert_false (qi_hub_endpoint_emit (ui, "bad topic", NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  g_assert_true (qi_hub_endpoint_unsubscribe (ui, all));
  g_assert_true (qi_hub_emit (hub, "db_service.x", NULL, &error));
  g_assert_cmpuint (topics->len, ==, 0);
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (qi_message_bus_get_registry (qi_hub_get_bus (hub))), ==, 0);
  qi_hub_endpoint_close (ui);
}

static void
on_unexpected_event (QiMessage *event,
                     gpointer   user_data)
{
  g_assert_not_reached ();
}

/* Closing: pending requests fail with session_closed on both sides, the
 * subtree closes, handlers and subscriptions go. */
static void
test_close (void)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHubEndpoint) dcc = NULL;
  g_autoptr(QiHubEndpoint) child = NULL;
  g_autoptr(QiHubEndpoint) asker = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  QiMessageBus *bus = qi_hub_get_bus (hub);
  QiHandlerRegistry *registry = qi_message_bus_get_registry (bus);
  Outcome first = { 0 }, second = { 0 };
  guint destroyed = 0;

  dcc = qi_hub_open_endpoint (hub, "dcc/blender/4242", NULL, &error);
  g_assert_no_error (error);
  child = qi_hub_open_endpoint (hub, "dcc/blender/4242/publisher", "dcc/blender/4242", &error);
  g_assert_no_error (error);
  asker = qi_hub_open_endpoint (hub, "ui/publisher", NULL, &error);
  g_assert_no_error (error);

  g_assert_true (qi_hub_endpoint_add_handler (child, "blender.scene.save", keep_request, kept,
                                              NULL, &error));
  g_assert_true (qi_hub_endpoint_add_handler (asker, "ui.ask", keep_request, kept, NULL, &error));
  g_assert_cmpuint (qi_hub_endpoint_subscribe (child, "ui.**", on_unexpected_event, &destroyed, count_destroy, &error), >, 0);
  g_assert_no_error (error);

  qi_hub_endpoint_request_async (asker, "blender.scene.save", NULL, 0, NULL, on_answer, &first);
  qi_hub_endpoint_request_async (child, "ui.ask", NULL, 0, NULL, on_answer, &second);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 2);

  /* The parent closes; the child with it. */
  qi_hub_endpoint_close (dcc);
  g_assert_false (qi_session_is_open (QI_SESSION (child)));
  wait_for (&first);
  wait_for (&second);
  g_assert_error (first.error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED);
  g_assert_error (second.error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);
  g_assert_cmpuint (qi_handler_registry_get_n_handlers (registry), ==, 1);
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (registry), ==, 0);
  g_assert_cmpuint (destroyed, ==, 1);

  /* A closed endpoint refuses politely. */
  outcome_clear (&first);
  qi_hub_endpoint_request_async (child, "hub.ping", NULL, 0, NULL, on_answer, &first);
  wait_for (&first);
  g_assert_error (first.error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED);
  g_assert_false (qi_hub_endpoint_add_handler (child, "x.y", answer_now, NULL, NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_SESSION_CLOSED);
  g_clear_error (&error);

  /* Stopping the hub closes everything. */
  g_assert_true (qi_service_start (QI_SERVICE (hub), &error));
  g_assert_no_error (error);
  qi_service_stop (QI_SERVICE (hub));
  g_assert_false (qi_session_is_open (QI_SESSION (asker)));
  g_assert_cmpuint (qi_connection_manager_get_n_sessions (qi_message_bus_get_connection_manager (bus)), ==, 0);

  outcome_clear (&first);
  outcome_clear (&second);
}

/* A transport's session opens with its first message. */
typedef struct
{
  QiSession *session;
  GPtrArray *inbox;
} Peer;

static void
on_peer_message (QiSession *session,
                 QiMessage *message,
                 Peer      *peer)
{
  g_ptr_array_add (peer->inbox, qi_message_ref (message));
}

static void
peer_init (Peer *peer)
{
  peer->session = qi_session_new ();
  peer->inbox = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_signal_connect (peer->session, "message", G_CALLBACK (on_peer_message), peer);
}

static void
peer_clear (Peer *peer)
{
  g_signal_handlers_disconnect_by_data (peer->session, peer);
  g_clear_object (&peer->session);
  g_clear_pointer (&peer->inbox, g_ptr_array_unref);
}

static QiMessage *
request_from_json (const char *json)
{
  g_autoptr(GError) error = NULL;
  QiMessage *message = qi_message_new_from_data (json, strlen (json), 0, NULL, &error);

  g_assert_no_error (error);
  return message;
}

static const char *
reply_member (Peer       *peer,
              const char *member)
{
  QiMessage *last;

  g_assert_cmpuint (peer->inbox->len, >, 0);
  last = g_ptr_array_index (peer->inbox, peer->inbox->len - 1);
  return json_object_get_string_member (json_node_get_object (qi_message_get_payload (last)), member);
}

static void
test_hello (void)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  QiMessageBus *bus = qi_hub_get_bus (hub);
  QiConnectionManager *connections = qi_message_bus_get_connection_manager (bus);
  g_autoptr(QiMessage) hello = NULL;
  g_autoptr(QiMessage) ping = NULL;
  g_autoptr(GError) error = NULL;
  QiMessage *last;
  Peer dcc = { 0 }, child = { 0 }, bad = { 0 }, plain = { 0 };

  /* hub.hello names the session and answers its id. */
  peer_init (&dcc);
  hello = request_from_json ("{\"v\":1,\"id\":\"h1\",\"kind\":\"request\",\"topic\":\"hub.hello\","
                             "\"payload\":{\"name\":\"dcc/blender/4242\"}}");
  g_assert_true (qi_message_bus_open_and_send (bus, dcc.session, "client", NULL, hello));
  g_assert_cmpstr (qi_session_get_id (dcc.session), ==, "dcc/blender/4242");
  g_assert_null (qi_session_get_parent_id (dcc.session));
  g_assert_cmpstr (reply_member (&dcc, "session"), ==, "dcc/blender/4242");
  last = g_ptr_array_index (dcc.inbox, 0);
  g_assert_cmpstr (qi_message_get_re (last), ==, "h1");
  g_clear_pointer (&hello, qi_message_unref);

  /* ... below a parent; a second hello is refused. */
  peer_init (&child);
  hello = request_from_json ("{\"v\":1,\"id\":\"h2\",\"kind\":\"request\",\"topic\":\"hub.hello\","
                             "\"payload\":{\"name\":\"publisher\",\"parent\":\"dcc/blender/4242\"}}");
  g_assert_true (qi_message_bus_open_and_send (bus, child.session, "client", NULL, hello));
  g_assert_cmpstr (qi_session_get_parent_id (child.session), ==, "dcc/blender/4242");
  qi_message_bus_send (bus, child.session, hello);
  last = g_ptr_array_index (child.inbox, child.inbox->len - 1);
  g_assert_false (qi_message_get_error (last, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  g_clear_pointer (&hello, qi_message_unref);

  /* A hello that cannot be honoured opens the default name and says why. */
  peer_init (&bad);
  hello = request_from_json ("{\"v\":1,\"id\":\"h3\",\"kind\":\"request\",\"topic\":\"hub.hello\","
                             "\"payload\":{\"name\":\"__hub__/evil\"}}");
  g_assert_true (qi_message_bus_open_and_send (bus, bad.session, "client", "dcc/blender/4242", hello));
  g_assert_cmpstr (qi_session_get_id (bad.session), ==, "client");
  g_assert_cmpstr (qi_session_get_parent_id (bad.session), ==, "dcc/blender/4242");
  last = g_ptr_array_index (bad.inbox, bad.inbox->len - 1);
  g_assert_false (qi_message_get_error (last, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_clear_pointer (&hello, qi_message_unref);

  /* Any other first message opens the default name, then is routed. */
  peer_init (&plain);
  ping = request_from_json ("{\"v\":1,\"id\":\"p1\",\"kind\":\"request\",\"topic\":\"hub.ping\","
                            "\"payload\":{\"x\":1}}");
  g_assert_true (qi_message_bus_open_and_send (bus, plain.session, "client", NULL, ping));
  g_assert_cmpstr (qi_session_get_id (plain.session), ==, "client#2");
  last = g_ptr_array_index (plain.inbox, plain.inbox->len - 1);
  g_assert_cmpint (qi_message_get_kind (last), ==, QI_MESSAGE_KIND_REPLY);
  g_assert_cmpstr (qi_message_get_re (last), ==, "p1");

  /* The parent's close takes its children, hello-linked ones too. */
  g_assert_true (qi_connection_manager_close_session (connections, "dcc/blender/4242"));
  g_assert_false (qi_session_is_open (child.session));
  g_assert_false (qi_session_is_open (bad.session));
  g_assert_true (qi_session_is_open (plain.session));

  peer_clear (&dcc);
  peer_clear (&child);
  peer_clear (&bad);
  peer_clear (&plain);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/qi/hub/ping", test_ping);
  g_test_add_func ("/qi/hub/handlers", test_handlers);
  g_test_add_func ("/qi/hub/cancel", test_cancel);
  g_test_add_func ("/qi/hub/events", test_events);
  g_test_add_func ("/qi/hub/close", test_close);
  g_test_add_func ("/qi/hub/hello", test_hello);

  return g_test_run ();
}
