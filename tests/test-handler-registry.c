/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

static void
test_topics (void)
{
  const char *good[] = { "a", "db_service.version.list", "x-1.Y_2", NULL };
  struct { const char *topic; const char *message; } bad[] = {
    { "", "the topic is empty" },
    { "a..b", "the topic “a..b” has an empty segment" },
    { ".a", "the topic “.a” has an empty segment" },
    { "a.", "the topic “a.” ends with a dot" },
    { "a.*", "the topic “a.*” may only hold letters, digits, “_”, “-” and dots" },
    { "a b", "the topic “a b” may only hold letters, digits, “_”, “-” and dots" },
  };

  g_autofree char *long_topic = g_strnfill (QI_MESSAGE_MAX_TOPIC_LENGTH + 1, 'a');
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; good[i] != NULL; i++)
    g_assert_true (qi_handler_registry_check_topic (good[i], NULL));

  g_assert_false (qi_handler_registry_check_topic (long_topic, &error));
  g_assert_cmpstr (error->message, ==, "the topic is longer than 255 bytes");

  /* The registry and the envelope agree on what a topic is. */
  for (guint i = 0; i < 5000; i++)
    {
      static const char alphabet[] = "ab.-_*9 \xc3";
      char topic[8];
      guint n = g_rand_int_range (rand, 0, sizeof topic);

      for (guint j = 0; j < n; j++)
        topic[j] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      topic[n] = '\0';
      g_assert_cmpint (qi_handler_registry_check_topic (topic, NULL), ==, qi_message_topic_is_valid (topic));
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (qi_handler_registry_check_topic (bad[i].topic, &error));
      g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
      g_assert_cmpstr (error->message, ==, bad[i].message);
    }
}

static void
test_patterns (void)
{
  g_autoptr(GError) error = NULL;
  struct { const char *pattern; const char *topic; gboolean matches; } cases[] = {
    { "a.b", "a.b", TRUE },
    { "a.b", "a.c", FALSE },
    { "a.b", "a.b.c", FALSE },
    { "a.b.c", "a.b", FALSE },
    { "a.*", "a.b", TRUE },
    { "a.*", "a", FALSE },
    { "a.*", "a.b.c", FALSE },
    { "*.b", "a.b", TRUE },
    { "*.*", "a.b", TRUE },
    { "*", "a.b", FALSE },
    { "a.**", "a", TRUE },
    { "a.**", "a.b", TRUE },
    { "a.**", "a.b.c.d", TRUE },
    { "a.**", "ab", FALSE },
    { "a.**", "b.a", FALSE },
    { "**", "anything.at.all", TRUE },
    { "*.b.**", "a.b", TRUE },
    { "*.b.**", "a.c.b", FALSE },
    { "db_service.*", "db_service.saved", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s ~ %s", cases[i].pattern, cases[i].topic);
      g_assert_true (qi_handler_registry_check_pattern (cases[i].pattern, NULL));
      g_assert_cmpint (qi_handler_registry_pattern_matches (cases[i].pattern, cases[i].topic), ==,
                       cases[i].matches);
    }

  g_assert_false (qi_handler_registry_check_pattern ("a.**.b", &error));
  g_assert_cmpstr (error->message, ==,
                   "the pattern “a.**.b” has “**” before its end; it may only be the last segment");
  g_clear_error (&error);
  g_assert_false (qi_handler_registry_check_pattern ("a.b*", &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
}

static void
count_free (gpointer data)
{
  (*(int *) data)++;
}

static void
test_handlers (void)
{
  g_autoptr(QiHandlerRegistry) registry = qi_handler_registry_new ();
  g_autoptr(GError) error = NULL;
  const char *session = NULL;
  int freed = 0;

  g_assert_true (qi_handler_registry_add_handler (registry, "db_service.project.get", "__hub__/addon/db",
                                                  &freed, count_free, &error));
  g_assert_no_error (error);
  g_assert_true (qi_handler_registry_lookup_handler (registry, "db_service.project.get", &session) == &freed);
  g_assert_cmpstr (session, ==, "__hub__/addon/db");

  /* A request topic has exactly one handler. */
  g_assert_false (qi_handler_registry_add_handler (registry, "db_service.project.get", "ui/browser",
                                                   NULL, NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_EXISTS);
  g_assert_cmpstr (error->message, ==,
                   "the topic “db_service.project.get” already has a handler, in the session “__hub__/addon/db”");
  g_clear_error (&error);

  g_assert_false (qi_handler_registry_add_handler (registry, "db.*", "x", NULL, NULL, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);

  /* Only the owner removes it. */
  g_assert_false (qi_handler_registry_remove_handler (registry, "db_service.project.get", "ui/browser"));
  g_assert_cmpint (freed, ==, 0);
  g_assert_true (qi_handler_registry_remove_handler (registry, "db_service.project.get", "__hub__/addon/db"));
  g_assert_cmpint (freed, ==, 1);
  g_assert_null (qi_handler_registry_lookup_handler (registry, "db_service.project.get", &session));
  g_assert_null (session);
  g_assert_cmpuint (qi_handler_registry_get_n_handlers (registry), ==, 0);
}

static char *
match_string (QiHandlerRegistry *registry,
              const char        *topic)
{
  g_autoptr(GPtrArray) data = qi_handler_registry_match (registry, topic);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < data->len; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "", (char *) g_ptr_array_index (data, i));

  return g_string_free (out, FALSE);
}

static void
test_subscriptions (void)
{
  g_autoptr(QiHandlerRegistry) registry = qi_handler_registry_new ();
  g_autoptr(GError) error = NULL;
  struct { const char *pattern; const char *session; } subs[] = {
    { "db_service.**", "ui/browser" },
    { "db_service.*", "ui/browser" },
    { "db_service.version.saved", "dcc/blender/42" },
    { "*.version.*", "dcc/blender/42" },
    { "**", "__hub__/addon/log" },
    { "session.opened", "ui/browser" },
  };
  guint ids[G_N_ELEMENTS (subs)];
  g_autofree char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      ids[i] = qi_handler_registry_subscribe (registry, subs[i].pattern, subs[i].session,
                                              (gpointer) subs[i].pattern, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ids[i], >, 0);
    }

  /* Every match, in the order of subscription. */
  m1 = match_string (registry, "db_service.version.saved");
  g_assert_cmpstr (m1, ==, "db_service.** db_service.version.saved *.version.* **");
  m2 = match_string (registry, "db_service.saved");
  g_assert_cmpstr (m2, ==, "db_service.** db_service.* **");
  m3 = match_string (registry, "db_service");
  g_assert_cmpstr (m3, ==, "db_service.** **");

  /* Only the subscriber ends its subscription. */
  g_assert_false (qi_handler_registry_unsubscribe (registry, ids[0], "dcc/blender/42"));
  g_assert_true (qi_handler_registry_unsubscribe (registry, ids[0], "ui/browser"));
  g_assert_false (qi_handler_registry_unsubscribe (registry, ids[0], "ui/browser"));
  m4 = match_string (registry, "db_service.saved");
  g_assert_cmpstr (m4, ==, "db_service.* **");

  /* A closing session takes its handlers and subscriptions along. */
  g_assert_true (qi_handler_registry_add_handler (registry, "ui.show", "ui/browser", NULL, NULL, NULL));
  qi_handler_registry_remove_session (registry, "ui/browser");
  g_assert_cmpuint (qi_handler_registry_get_n_handlers (registry), ==, 0);
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (registry), ==, 3);
  m5 = match_string (registry, "db_service.version.saved");
  g_assert_cmpstr (m5, ==, "db_service.version.saved *.version.* **");

  g_assert_cmpuint (qi_handler_registry_subscribe (registry, "a..b", "x", NULL, NULL, &error), ==, 0);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);

  /* hub.unsubscribe {pattern} ends every subscription of that session to it. */
  g_assert_cmpuint (qi_handler_registry_subscribe (registry, "*.version.*", "dcc/blender/42", (gpointer) "again", NULL, NULL), >, 0);
  g_assert_cmpuint (qi_handler_registry_unsubscribe_pattern (registry, "*.version.*", "ui/browser"), ==, 0);
  g_assert_cmpuint (qi_handler_registry_unsubscribe_pattern (registry, "*.version.*", "dcc/blender/42"), ==, 2);
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (registry), ==, 2);
}

typedef struct
{
  QiHandlerRegistry *registry;
  guint              other;
  int                freed;
} Reentry;

static void
reentering_free (gpointer data)
{
  Reentry *r = data;

  /* A destroy notify that calls back into the registry, as a session
   * dropping its last reference may. */
  r->freed++;
  qi_handler_registry_unsubscribe (r->registry, r->other, "s2");
  qi_handler_registry_subscribe (r->registry, "late.topic", "s3", NULL, NULL, NULL);
}

static void
test_reentry (void)
{
  g_autoptr(QiHandlerRegistry) registry = qi_handler_registry_new ();
  Reentry r = { registry, 0, 0 };

  r.other = qi_handler_registry_subscribe (registry, "a.b", "s2", NULL, NULL, NULL);
  for (guint i = 0; i < 50; i++)
    qi_handler_registry_subscribe (registry, i % 2 ? "a.*" : "a.**", "s1", &r, reentering_free, NULL);
  g_assert_true (qi_handler_registry_add_handler (registry, "a.run", "s1", &r, reentering_free, NULL));

  qi_handler_registry_remove_session (registry, "s1");
  g_assert_cmpint (r.freed, ==, 51);
  g_assert_cmpuint (qi_handler_registry_get_n_handlers (registry), ==, 0);
  /* s2's subscription went in the first callback; each callback added one. */
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (registry), ==, 51);
}

static void
test_many_sessions (void)
{
  g_autoptr(QiHandlerRegistry) registry = qi_handler_registry_new ();
  int freed = 0;

  /* Short-lived sessions come and go; nothing of them stays. */
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *session = g_strdup_printf ("dcc/blender/%u", i);
      g_autofree char *topic = g_strdup_printf ("dcc.blender.%u.run", i);
      g_autofree char *pattern = g_strdup_printf ("farm.job.%u.*", i);

      g_assert_true (qi_handler_registry_add_handler (registry, topic, session, &freed, count_free, NULL));
      g_assert_cmpuint (qi_handler_registry_subscribe (registry, pattern, session, &freed, count_free, NULL), >, 0);
      g_assert_cmpuint (qi_handler_registry_subscribe (registry, "db_service.**", session, &freed, count_free, NULL), >, 0);
      qi_handler_registry_remove_session (registry, session);
    }

  g_assert_cmpint (freed, ==, 3000);
  g_assert_cmpuint (qi_handler_registry_get_n_handlers (registry), ==, 0);
  g_assert_cmpuint (qi_handler_registry_get_n_subscriptions (registry), ==, 0);
}

static void
test_match_agrees (void)
{
  /* The tree and the plain matcher agree on every pair. */
  const char *patterns[] = { "a", "a.b", "a.*", "*.b", "a.**", "**", "*.*.c", "a.*.**", NULL };
  const char *topics[] = { "a", "b", "a.b", "a.c", "x.b", "a.b.c", "a.x.c", "q.r.c", NULL };
  g_autoptr(QiHandlerRegistry) registry = qi_handler_registry_new ();

  for (guint i = 0; patterns[i] != NULL; i++)
    qi_handler_registry_subscribe (registry, patterns[i], "s", (gpointer) patterns[i], NULL, NULL);

  for (guint t = 0; topics[t] != NULL; t++)
    {
      g_autoptr(GPtrArray) found = qi_handler_registry_match (registry, topics[t]);
      guint expected = 0;

      for (guint p = 0; patterns[p] != NULL; p++)
        {
          gboolean in_tree = g_ptr_array_find (found, patterns[p], NULL);

          g_test_message ("%s ~ %s", patterns[p], topics[t]);
          g_assert_cmpint (in_tree, ==, qi_handler_registry_pattern_matches (patterns[p], topics[t]));
          expected += in_tree;
        }
      /* Each subscription at most once, in the order of subscription. */
      g_assert_cmpuint (found->len, ==, expected);
      for (guint i = 1; i < found->len; i++)
        {
          guint a = 0, b = 0;

          g_assert_true (g_strv_contains ((const char * const *) patterns, g_ptr_array_index (found, i - 1)));
          for (guint p = 0; patterns[p] != NULL; p++)
            {
              if (patterns[p] == g_ptr_array_index (found, i - 1))
                a = p;
              if (patterns[p] == g_ptr_array_index (found, i))
                b = p;
            }
          g_assert_cmpuint (a, <, b);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/handler-registry/topics", test_topics);
  g_test_add_func ("/qi/handler-registry/patterns", test_patterns);
  g_test_add_func ("/qi/handler-registry/handlers", test_handlers);
  g_test_add_func ("/qi/handler-registry/subscriptions", test_subscriptions);
  g_test_add_func ("/qi/handler-registry/many-sessions", test_many_sessions);
  g_test_add_func ("/qi/handler-registry/match-agrees", test_match_agrees);
  g_test_add_func ("/qi/handler-registry/reentry", test_reentry);

  return g_test_run ();
}
