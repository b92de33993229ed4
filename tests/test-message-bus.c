/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* An in-process party on the bus that records what it receives. */
typedef struct
{
  QiSession *session;
  GPtrArray *inbox;   /* of QiMessage */
} Party;

static void
on_message (QiSession *session,
            QiMessage *message,
            Party     *party)
{
  g_ptr_array_add (party->inbox, qi_message_ref (message));
}

static Party *
party_new (QiMessageBus *bus,
           const char   *name)
{
  Party *party = g_new0 (Party, 1);
  g_autoptr(GError) error = NULL;

  party->session = qi_session_new ();
  party->inbox = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_signal_connect (party->session, "message", G_CALLBACK (on_message), party);
  qi_connection_manager_open_session (qi_message_bus_get_connection_manager (bus), party->session,
                                      name, QI_MESSAGE_BUS_HUB_SESSION, &error);
  g_assert_no_error (error);
  return party;
}

static void
party_free (Party *party)
{
  g_signal_handlers_disconnect_by_data (party->session, party);
  g_object_unref (party->session);
  g_ptr_array_unref (party->inbox);
  g_free (party);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Party, party_free)

static JsonNode *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (json, &error);

  g_assert_no_error (error);
  return node;
}

/* Sends a request and returns it (the caller owns it). */
static QiMessage *
request (QiMessageBus *bus,
         Party        *from,
         const char   *topic,
         const char   *payload_json)
{
  g_autoptr(JsonNode) payload = payload_json != NULL ? parse (payload_json) : NULL;
  QiMessage *message = qi_message_new_request (topic, payload);

  qi_message_bus_send (bus, from->session, message);
  return message;
}

static QiMessage *
last (Party *party)
{
  g_assert_cmpuint (party->inbox->len, >, 0);
  return g_ptr_array_index (party->inbox, party->inbox->len - 1);
}

static char *
payload_text (QiMessage *message)
{
  return json_to_string (qi_message_get_payload (message), FALSE);
}

static void
assert_error (QiMessage  *message,
              QiMessage  *request_message,
              QiHubError  code)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (qi_message_get_kind (message), ==, QI_MESSAGE_KIND_ERROR);
  g_assert_cmpstr (qi_message_get_re (message), ==, qi_message_get_id (request_message));
  g_assert_cmpstr (qi_message_get_session (message), ==, QI_MESSAGE_BUS_HUB_SESSION);
  g_assert_false (qi_message_get_error (message, &error));
  g_assert_error (error, QI_HUB_ERROR, (int) code);
}

static void
test_ping_and_no_handler (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(QiMessage) ping = request (bus, ui, "hub.ping", "{\"n\":7}");
  g_autoptr(QiMessage) lost = NULL;
  g_autoptr(QiMessage) odd = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (ui->inbox->len, ==, 1);
  g_assert_cmpint (qi_message_get_kind (last (ui)), ==, QI_MESSAGE_KIND_REPLY);
  g_assert_cmpstr (qi_message_get_re (last (ui)), ==, qi_message_get_id (ping));
  text = payload_text (last (ui));
  g_assert_cmpstr (text, ==, "{\"n\":7}");

  lost = request (bus, ui, "db_service.project.get", NULL);
  assert_error (last (ui), lost, QI_HUB_ERROR_NO_HANDLER);

  odd = request (bus, ui, "hub.frobnicate", NULL);
  assert_error (last (ui), odd, QI_HUB_ERROR_NO_HANDLER);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);
}

static void
test_request_reply (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) db = party_new (bus, "__hub__/addon/db");
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(Party) intruder = party_new (bus, "dcc/blender/1");
  g_autoptr(QiMessage) reg = request (bus, db, "hub.register", "{\"topic\":\"db_service.project.get\"}");
  g_autoptr(QiMessage) reg2 = NULL;
  g_autoptr(QiMessage) get = NULL;
  g_autoptr(QiMessage) forged = NULL;
  g_autoptr(QiMessage) reply = NULL;
  g_autoptr(JsonNode) project = parse ("{\"name\":\"demo\"}");
  QiMessage *received;

  g_assert_cmpint (qi_message_get_kind (last (db)), ==, QI_MESSAGE_KIND_REPLY);

  /* A second handler is refused. */
  reg2 = request (bus, intruder, "hub.register", "{\"topic\":\"db_service.project.get\"}");
  assert_error (last (intruder), reg2, QI_HUB_ERROR_HANDLER_EXISTS);

  get = request (bus, ui, "db_service.project.get", "{\"id\":1}");
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 1);
  received = last (db);
  g_assert_cmpint (qi_message_get_kind (received), ==, QI_MESSAGE_KIND_REQUEST);
  /* The handler sees the request under an id the hub made. */
  g_assert_true (g_str_has_prefix (qi_message_get_id (received), "hub-"));
  g_assert_cmpstr (qi_message_get_topic (received), ==, "db_service.project.get");
  /* The hub stamps the sender. */
  g_assert_cmpstr (qi_message_get_session (received), ==, "ui/browser");

  /* Only the session asked can answer. */
  forged = qi_message_new_reply (received, NULL);
  qi_message_bus_send (bus, intruder->session, forged);
  g_assert_cmpuint (ui->inbox->len, ==, 0);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 1);

  reply = qi_message_new_reply (received, project);
  qi_message_bus_send (bus, db->session, reply);
  g_assert_cmpuint (ui->inbox->len, ==, 1);
  g_assert_cmpstr (qi_message_get_re (last (ui)), ==, qi_message_get_id (get));
  g_assert_cmpstr (qi_message_get_session (last (ui)), ==, "__hub__/addon/db");
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);

  /* A late duplicate is dropped. */
  qi_message_bus_send (bus, db->session, reply);
  g_assert_cmpuint (ui->inbox->len, ==, 1);
}

static void
test_events (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) a = party_new (bus, "ui/a");
  g_autoptr(Party) b = party_new (bus, "ui/b");
  g_autoptr(Party) db = party_new (bus, "__hub__/addon/db");
  g_autoptr(QiMessage) s1 = request (bus, a, "hub.subscribe", "{\"pattern\":\"db_service.*\"}");
  g_autoptr(QiMessage) s2 = request (bus, b, "hub.subscribe", "{\"pattern\":\"db_service.**\"}");
  g_autoptr(QiMessage) bad = request (bus, b, "hub.subscribe", "{\"pattern\":\"db..x\"}");
  g_autoptr(QiMessage) event = qi_message_new_event ("db_service.version.saved", NULL);
  g_autoptr(QiMessage) event2 = qi_message_new_event ("db_service.saved", NULL);
  g_autoptr(QiMessage) unsub = NULL;
  guint a_before, b_before;

  assert_error (last (b), bad, QI_HUB_ERROR_BAD_MESSAGE);
  a_before = a->inbox->len;
  b_before = b->inbox->len;

  qi_message_bus_send (bus, db->session, event);
  g_assert_cmpuint (a->inbox->len, ==, a_before);
  g_assert_cmpuint (b->inbox->len, ==, b_before + 1);
  g_assert_cmpstr (qi_message_get_session (last (b)), ==, "__hub__/addon/db");

  qi_message_bus_send (bus, db->session, event2);
  g_assert_cmpuint (a->inbox->len, ==, a_before + 1);
  g_assert_cmpuint (b->inbox->len, ==, b_before + 2);

  unsub = request (bus, b, "hub.unsubscribe", "{\"pattern\":\"db_service.**\"}");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (qi_message_get_payload (last (b))), "removed"), ==, 1);
  b_before = b->inbox->len;
  qi_message_bus_send (bus, db->session, event2);
  g_assert_cmpuint (b->inbox->len, ==, b_before);
}

static void
test_session_closed (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) watcher = party_new (bus, "ui/log");
  g_autoptr(Party) db = party_new (bus, "__hub__/addon/db");
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(QiMessage) sub = request (bus, watcher, "hub.subscribe", "{\"pattern\":\"session.**\"}");
  g_autoptr(QiMessage) reg = request (bus, db, "hub.register", "{\"topic\":\"db_service.project.get\"}");
  g_autoptr(QiMessage) get = request (bus, ui, "db_service.project.get", NULL);
  g_autoptr(QiMessage) again = NULL;
  QiMessage *closed_event;

  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 1);
  qi_connection_manager_close_session (qi_message_bus_get_connection_manager (bus), "__hub__/addon/db");

  /* What the closed session owed fails; its handlers are gone. */
  assert_error (last (ui), get, QI_HUB_ERROR_SESSION_CLOSED);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);
  again = request (bus, ui, "db_service.project.get", NULL);
  assert_error (last (ui), again, QI_HUB_ERROR_NO_HANDLER);

  closed_event = last (watcher);
  g_assert_cmpint (qi_message_get_kind (closed_event), ==, QI_MESSAGE_KIND_EVENT);
  g_assert_cmpstr (qi_message_get_topic (closed_event), ==, "session.closed");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (qi_message_get_payload (closed_event)), "id"),
                   ==, "__hub__/addon/db");
}

static void
test_sessions_topic (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(QiMessage) list = request (bus, ui, "hub.sessions", NULL);
  g_autofree char *text = payload_text (last (ui));

  g_assert_cmpstr (text, ==,
                   "{\"sessions\":[{\"id\":\"__hub__\",\"parent\":null},"
                   "{\"id\":\"ui/browser\",\"parent\":\"__hub__\"}]}");
}

static void
test_no_impersonation (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) db = party_new (bus, "__hub__/addon/db");
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(Party) rogue = party_new (bus, "dcc/blender/1");
  g_autoptr(QiMessage) reg = request (bus, db, "hub.register", "{\"topic\":\"db_service.project.get\"}");
  g_autoptr(QiMessage) hub_reg = request (bus, rogue, "hub.register", "{\"topic\":\"hub.sessions\"}");
  g_autoptr(QiMessage) sub = request (bus, ui, "hub.subscribe", "{\"pattern\":\"session.*\"}");
  g_autoptr(QiMessage) sub2 = request (bus, ui, "hub.subscribe", "{\"pattern\":\"session.**\"}");
  g_autoptr(QiMessage) forged = qi_message_new_event ("session.closed", NULL);
  g_autoptr(QiMessage) real = qi_message_new_request ("db_service.project.get", NULL);
  g_autoptr(QiMessage) squatter = qi_message_with_id (real, qi_message_get_id (real));
  guint before;

  /* The hub's topics are its own. */
  assert_error (last (rogue), hub_reg, QI_HUB_ERROR_HANDLER_EXISTS);

  /* So are its events. */
  before = ui->inbox->len;
  qi_message_bus_send (bus, rogue->session, forged);
  g_assert_cmpuint (ui->inbox->len, ==, before);
  g_assert_cmpint (qi_message_get_kind (last (rogue)), ==, QI_MESSAGE_KIND_ERROR);
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (qi_message_get_error (last (rogue), &error));
    g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN);
  }

  /* A session that reuses another's request id disturbs nobody. */
  qi_message_bus_send (bus, rogue->session, squatter);
  qi_message_bus_send (bus, ui->session, real);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 2);
  g_assert_cmpint (qi_message_get_kind (last (db)), ==, QI_MESSAGE_KIND_REQUEST);

  /* The hub's own session stays open. */
  g_assert_false (qi_connection_manager_close_session (qi_message_bus_get_connection_manager (bus),
                                                       QI_MESSAGE_BUS_HUB_SESSION));

  /* Subscribed twice, a session receives an event once. */
  before = ui->inbox->len;
  {
    g_autoptr(Party) late = party_new (bus, "ui/late");
    g_assert_cmpuint (ui->inbox->len, ==, before + 1);
  }
}

static void
wait_for (Party *party,
          guint  count)
{
  /* Timeouts are real time; wait for them with a generous cap. */
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (party->inbox->len < count && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (party->inbox->len, ==, count);
}

static void
test_default_timeout (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) slow = party_new (bus, "__hub__/addon/slow");
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(QiMessage) reg = request (bus, slow, "hub.register", "{\"topic\":\"farm.submit\"}");
  g_autoptr(QiMessage) ask = NULL;
  g_autoptr(GError) error = NULL;

  qi_message_bus_set_default_timeout (bus, 30);
  ask = request (bus, ui, "farm.submit", NULL);
  wait_for (ui, 1);
  assert_error (last (ui), ask, QI_HUB_ERROR_TIMEOUT);
  g_assert_false (qi_message_get_error (last (ui), &error));
  g_assert_cmpstr (error->message, ==, "no reply from “__hub__/addon/slow” to “farm.submit” within 30 ms");
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_timeout_and_cancel (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  g_autoptr(Party) slow = party_new (bus, "__hub__/addon/slow");
  g_autoptr(Party) ui = party_new (bus, "ui/browser");
  g_autoptr(QiMessage) reg = request (bus, slow, "hub.register", "{\"topic\":\"farm.submit\"}");
  g_autoptr(QiMessage) base = qi_message_new_request ("farm.submit", NULL);
  g_autoptr(QiMessage) quick = qi_message_with_timeout (base, 20);
  g_autoptr(QiMessage) cancelled = qi_message_new_request ("farm.submit", NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  qi_message_bus_set_default_timeout (bus, 60000);
  qi_message_bus_send (bus, ui->session, quick);
  qi_message_bus_send (bus, ui->session, cancelled);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 2);
  g_assert_true (qi_message_bus_cancel (bus, ui->session, qi_message_get_id (cancelled)));
  g_assert_false (qi_message_bus_cancel (bus, ui->session, qi_message_get_id (cancelled)));

  wait_for (ui, 1);
  g_timeout_add (50, quit_loop, loop);
  g_main_loop_run (loop);

  /* One timeout error, for the request that was not cancelled. */
  g_assert_cmpuint (ui->inbox->len, ==, 1);
  assert_error (last (ui), quick, QI_HUB_ERROR_TIMEOUT);
  g_assert_false (qi_message_get_error (last (ui), &error));
  g_assert_cmpstr (error->message, ==, "no reply from “__hub__/addon/slow” to “farm.submit” within 20 ms");
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);
}

static void
test_many_clients (void)
{
  g_autoptr(QiMessageBus) bus = qi_message_bus_new ();
  QiConnectionManager *connections = qi_message_bus_get_connection_manager (bus);

  /* Clients come and go, each registering, subscribing and asking. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(Party) client = party_new (bus, "dcc/nuke/1");
      g_autofree char *topic = g_strdup_printf ("dcc.nuke.%u.run", i);
      g_autofree char *payload = g_strdup_printf ("{\"topic\":\"%s\"}", topic);
      g_autoptr(QiMessage) r1 = request (bus, client, "hub.register", payload);
      g_autoptr(QiMessage) r2 = request (bus, client, "hub.subscribe", "{\"pattern\":\"db_service.**\"}");
      g_autoptr(QiMessage) r3 = request (bus, client, topic, NULL);

      g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 1);
      qi_connection_manager_close_session (connections, qi_session_get_id (client->session));
    }

  g_assert_cmpuint (qi_connection_manager_get_n_sessions (connections), ==, 1);
  g_assert_cmpuint (qi_handler_registry_get_n_handlers (qi_message_bus_get_registry (bus)), ==, 0);
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (qi_message_bus_get_registry (bus)), ==, 0);
  g_assert_cmpuint (qi_message_bus_get_n_pending (bus), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/message-bus/ping-and-no-handler", test_ping_and_no_handler);
  g_test_add_func ("/qi/message-bus/request-reply", test_request_reply);
  g_test_add_func ("/qi/message-bus/events", test_events);
  g_test_add_func ("/qi/message-bus/session-closed", test_session_closed);
  g_test_add_func ("/qi/message-bus/sessions-topic", test_sessions_topic);
  g_test_add_func ("/qi/message-bus/timeout-and-cancel", test_timeout_and_cancel);
  g_test_add_func ("/qi/message-bus/default-timeout", test_default_timeout);
  g_test_add_func ("/qi/message-bus/no-impersonation", test_no_impersonation);
  g_test_add_func ("/qi/message-bus/many-clients", test_many_clients);

  return g_test_run ();
}
