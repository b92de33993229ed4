/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

static void
on_closed (QiConnectionManager *manager,
           QiSession           *session,
           GString             *log)
{
  g_assert_false (qi_session_is_open (session));
  g_assert_null (qi_connection_manager_lookup_session (manager, qi_session_get_id (session)));
  g_string_append_printf (log, "%s;", qi_session_get_id (session));
}

static const char *
open_session (QiConnectionManager *manager,
              const char          *name,
              const char          *parent)
{
  g_autoptr(QiSession) session = qi_session_new ();
  g_autoptr(GError) error = NULL;
  const char *id = qi_connection_manager_open_session (manager, session, name, parent, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

static void
test_tree (void)
{
  g_autoptr(QiConnectionManager) manager = qi_connection_manager_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GPtrArray) children = NULL;
  g_autofree char *hub = g_strdup (open_session (manager, "studio", NULL));
  g_autofree char *addon = g_strdup (open_session (manager, "studio/addon/db", hub));
  g_autofree char *blender = g_strdup (open_session (manager, "dcc/blender/4242", hub));
  g_autofree char *blender2 = g_strdup (open_session (manager, "dcc/blender/4242", hub));
  g_autofree char *ui = g_strdup (open_session (manager, "ui/publisher", blender));
  QiSession *session;

  /* A repeated name gets a unique id. */
  g_assert_cmpstr (blender, ==, "dcc/blender/4242");
  g_assert_cmpstr (blender2, ==, "dcc/blender/4242#2");
  g_assert_cmpuint (qi_connection_manager_get_n_sessions (manager), ==, 5);

  session = qi_connection_manager_lookup_session (manager, ui);
  g_assert_cmpstr (qi_session_get_parent_id (session), ==, "dcc/blender/4242");
  g_assert_true (qi_session_is_open (session));

  sessions = qi_connection_manager_list_sessions (manager);
  g_assert_cmpuint (sessions->len, ==, 5);
  g_assert_cmpstr (qi_session_get_id (g_ptr_array_index (sessions, 0)), ==, "studio");
  g_assert_cmpstr (qi_session_get_id (g_ptr_array_index (sessions, 4)), ==, "ui/publisher");
  children = qi_connection_manager_list_children (manager, hub);
  g_assert_cmpuint (children->len, ==, 3);
  g_assert_null (qi_connection_manager_list_children (manager, "nope"));

  /* Closing a session closes its subtree, deepest first. */
  g_signal_connect (manager, "session-closed", G_CALLBACK (on_closed), log);
  g_assert_true (qi_connection_manager_close_session (manager, blender));
  g_assert_cmpstr (log->str, ==, "ui/publisher;dcc/blender/4242;");
  g_assert_false (qi_connection_manager_close_session (manager, blender));
  g_assert_cmpuint (qi_connection_manager_get_n_sessions (manager), ==, 3);

  g_string_truncate (log, 0);
  g_assert_true (qi_connection_manager_close_session (manager, hub));
  g_assert_cmpstr (log->str, ==, "dcc/blender/4242#2;studio/addon/db;studio;");
  g_assert_cmpuint (qi_connection_manager_get_n_sessions (manager), ==, 0);
}

static void
test_bad_names (void)
{
  g_autoptr(QiConnectionManager) manager = qi_connection_manager_new ();
  g_autoptr(QiSession) ui = qi_session_new ();
  g_autofree char *long_name = g_strnfill (256, 'n');
  struct { const char *name; const char *parent; int code; const char *message; } cases[] = {
    { "", NULL, QI_HUB_ERROR_BAD_MESSAGE, "the session name is empty" },
    { "a//b", NULL, QI_HUB_ERROR_BAD_MESSAGE, "the session name “a//b” has an empty segment" },
    { "a/", NULL, QI_HUB_ERROR_BAD_MESSAGE, "the session name “a/” has an empty segment" },
    { "ui/my window", NULL, QI_HUB_ERROR_BAD_MESSAGE,
      "the session name “ui/my window” may only hold letters, digits, “_”, “-”, “.” and “/”" },
    { "a#2", NULL, QI_HUB_ERROR_BAD_MESSAGE,
      "the session name “a#2” may only hold letters, digits, “_”, “-”, “.” and “/”" },
    { long_name, NULL, QI_HUB_ERROR_BAD_MESSAGE, "the session name is longer than 255 bytes" },
    { "ui/x", "studio", QI_HUB_ERROR_SESSION_CLOSED,
      "there is no open session “studio” to be the parent of “ui/x”" },
    { "__hub__", NULL, QI_HUB_ERROR_FORBIDDEN,
      "the session name “__hub__” is reserved: names starting with “__hub__” open only below the hub's session" },
    { "__hub__/addon/db", "ui", QI_HUB_ERROR_FORBIDDEN,
      "the session name “__hub__/addon/db” is reserved: names starting with “__hub__” open only below the hub's session" },
  };

  g_assert_nonnull (qi_connection_manager_open_session (manager, ui, "ui", NULL, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QiSession) session = qi_session_new ();
      g_autoptr(GError) error = NULL;

      g_assert_null (qi_connection_manager_open_session (manager, session, cases[i].name,
                                                         cases[i].parent, &error));
      g_assert_error (error, QI_HUB_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_false (qi_session_is_open (session));
      g_assert_null (qi_session_get_id (session));
    }
}

static void
on_message (QiSession *session,
            QiMessage *message,
            GPtrArray *received)
{
  g_ptr_array_add (received, qi_message_ref (message));
}

static void
test_deliver (void)
{
  g_autoptr(QiConnectionManager) manager = qi_connection_manager_new ();
  g_autoptr(QiSession) session = qi_session_new ();
  g_autoptr(GPtrArray) received = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_message_unref);
  g_autoptr(QiMessage) event = qi_message_new_event ("session.opened", NULL);

  g_signal_connect (session, "message", G_CALLBACK (on_message), received);

  /* Not open yet: dropped. */
  qi_session_deliver (session, event);
  g_assert_cmpuint (received->len, ==, 0);

  g_assert_nonnull (qi_connection_manager_open_session (manager, session, "ui/browser", NULL, NULL));
  qi_session_deliver (session, event);
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_true (g_ptr_array_index (received, 0) == event);

  qi_connection_manager_close_session (manager, "ui/browser");
  qi_session_deliver (session, event);
  g_assert_cmpuint (received->len, ==, 1);
}

static void
close_sibling (QiConnectionManager *manager,
               QiSession           *session,
               gpointer             user_data)
{
  /* A handler that closes another session while one closes. */
  if (g_str_equal (qi_session_get_id (session), "a/1"))
    qi_connection_manager_close_session (manager, "b");
}

static void
test_reentry (void)
{
  g_autoptr(QiConnectionManager) manager = qi_connection_manager_new ();

  g_free (g_strdup (open_session (manager, "a", NULL)));
  open_session (manager, "a/1", "a");
  open_session (manager, "b", NULL);
  open_session (manager, "b/1", "b");
  g_signal_connect (manager, "session-closed", G_CALLBACK (close_sibling), NULL);

  g_assert_true (qi_connection_manager_close_session (manager, "a"));
  g_assert_cmpuint (qi_connection_manager_get_n_sessions (manager), ==, 0);
}

static void
test_many (void)
{
  g_autoptr(QiConnectionManager) manager = qi_connection_manager_new ();
  g_autoptr(GString) log = g_string_new (NULL);

  open_session (manager, "studio", NULL);
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *name = g_strdup_printf ("dcc/nuke/%u", i % 10);
      g_autofree char *id = g_strdup (open_session (manager, name, "studio"));

      open_session (manager, "ui/panel", id);
      g_assert_true (qi_connection_manager_close_session (manager, id));
    }

  g_assert_cmpuint (qi_connection_manager_get_n_sessions (manager), ==, 1);
  {
    g_autoptr(GPtrArray) children = qi_connection_manager_list_children (manager, "studio");
    g_assert_cmpuint (children->len, ==, 0);
  }

  /* Disposing the manager closes what is left. */
  g_signal_connect (manager, "session-closed", G_CALLBACK (on_closed), log);
  g_clear_object (&manager);
  g_assert_cmpstr (log->str, ==, "studio;");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/connection-manager/tree", test_tree);
  g_test_add_func ("/qi/connection-manager/bad-names", test_bad_names);
  g_test_add_func ("/qi/connection-manager/deliver", test_deliver);
  g_test_add_func ("/qi/connection-manager/reentry", test_reentry);
  g_test_add_func ("/qi/connection-manager/many", test_many);

  return g_test_run ();
}
