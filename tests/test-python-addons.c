/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-http.h"
#include "qi-test-utils.h"

/* Python addons through the bridge (plugins/python), from C: the test
 * addons of tests/addons (pyhello, of every kind; pyraise-import and
 * pyraise-register, which fail) loaded by the real QiAddonManager into a
 * hub, a CLI registry, a REST router served by a real QiServer, and the
 * settings service; and the real qi running their verbs. The first test
 * checks that Python is not in the process until a Python addon loads. */

typedef struct
{
  char           *root;
  QiHub          *hub;
  QiCliManager   *cli;
  QiRestRouter   *router;
  QiSettings     *settings;
  QiAddonManager *manager;
  QiHubEndpoint  *client;
} Fixture;

static gboolean
python_is_loaded (void)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, "libpython3") != NULL;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *folder = NULL;
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("qi-python-XXXXXX", &error);
  g_assert_no_error (error);
  folder = g_build_filename (f->root, "settings", NULL);
  f->hub = qi_hub_new ();
  f->cli = qi_cli_manager_new ();
  f->router = qi_rest_router_new ();
  f->settings = qi_settings_new (folder);
  g_assert_true (qi_settings_attach_hub (f->settings, f->hub, &error));
  f->manager = qi_addon_manager_new ();
  qi_addon_manager_add_search_path (f->manager, built);
  g_object_set (f->manager, "hub", f->hub, "cli-manager", f->cli, "router", f->router,
                "settings", f->settings, NULL);
  qi_addon_manager_discover (f->manager);
  f->client = qi_hub_open_endpoint (f->hub, "test/client", NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  qi_addon_manager_close_all (f->manager);
  g_clear_object (&f->client);
  g_clear_object (&f->manager);
  g_clear_object (&f->settings);
  g_clear_object (&f->router);
  g_clear_object (&f->cli);
  g_clear_object (&f->hub);
  qi_test_remove_tree (f->root);
  g_free (f->root);
}

/* What the bridge logged (domain QiPython), kept rather than written:
 * the addons' exceptions are warnings, which a test would make fatal. */
static GPtrArray *python_logs;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
    }
  if (g_strcmp0 (domain, "QiPython") == 0 && message != NULL)
    {
      g_ptr_array_add (python_logs, g_strdup (message));
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* Whether the bridge logged one message matching @pattern since the last
 * call; forgets what it logged. */
static gboolean
logged (const char *pattern)
{
  gboolean found = FALSE;

  for (guint i = 0; i < python_logs->len; i++)
    if (g_pattern_match_simple (pattern, python_logs->pdata[i]))
      found = TRUE;
  if (!found)
    for (guint i = 0; i < python_logs->len; i++)
      g_test_message ("logged: %s", (char *) python_logs->pdata[i]);
  g_ptr_array_set_size (python_logs, 0);
  return found;
}

static char *
ask_text (Fixture     *f,
          const char  *topic,
          const char  *payload,
          GError     **error)
{
  g_autoptr(JsonNode) answer = qi_test_ask (f->client, topic, payload, error);

  return answer != NULL ? json_to_string (answer, FALSE) : NULL;
}

static const char *
error_of (Fixture    *f,
          const char *name)
{
  const GError *error = qi_addon_info_get_error (qi_addon_manager_lookup (f->manager, name));

  return error != NULL ? error->message : "";
}

/* Only native addons: Python never starts. Then a Python addon: it does. */
static void
test_python_starts_with_the_first_python_addon (Fixture       *f,
                                                gconstpointer  data)
{
  g_assert_false (python_is_loaded ());
  qi_addon_manager_load (f->manager, (const char * const []) { "hello", "farm", NULL });
  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (f->manager, "hello")), ==,
                   QI_ADDON_STATE_LOADED);
  g_assert_false (python_is_loaded ());

  /* The bundle's allow-list left pyhello out: load it with another run's. */
  {
    g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
    g_autoptr(QiAddonManager) second = qi_addon_manager_new ();
    g_autoptr(QiHub) hub = qi_hub_new ();
    g_autoptr(QiCliManager) cli = qi_cli_manager_new ();
    g_autoptr(QiRestRouter) router = qi_rest_router_new ();

    qi_addon_manager_add_search_path (second, built);
    g_object_set (second, "hub", hub, "cli-manager", cli, "router", router, NULL);
    qi_addon_manager_discover (second);
    qi_addon_manager_load (second, (const char * const []) { "pyhello", NULL });
    g_test_message ("pyhello: %s", qi_addon_info_get_error (qi_addon_manager_lookup (second, "pyhello")) != NULL
                    ? qi_addon_info_get_error (qi_addon_manager_lookup (second, "pyhello"))->message : "");
    g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (second, "pyhello")), ==,
                     QI_ADDON_STATE_LOADED);
    g_assert_true (python_is_loaded ());
    qi_addon_manager_close_all (second);
  }
}

/* Failing in import or register: failed with the traceback, trimmed of
 * the bridge's frames; what register added is gone; the others run. */
static void
test_exceptions_fail_the_addon (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *message;

  qi_addon_manager_load (f->manager, (const char * const []) { "pyhello", "pyraise-import",
                                                                "pyraise-register", "pyraise-init", "hello",
                                                                NULL });

  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (f->manager, "pyraise-import")), ==,
                   QI_ADDON_STATE_FAILED);
  message = error_of (f, "pyraise-import");
  g_test_message ("pyraise-import: %s", message);
  g_assert_true (g_str_has_prefix (message, "import: Traceback (most recent call last):\n  File \""));
  g_assert_nonnull (strstr (message, "pyraise-import/addon.py\", line 8, in <module>\n    broken_configuration()\n"));
  g_assert_true (g_str_has_suffix (message, "\nRuntimeError: no studio configuration at /studio/qi.conf"));
  g_assert_null (strstr (message, "loader.py"));
  g_assert_null (strstr (message, "importlib"));

  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (f->manager, "pyraise-register")), ==,
                   QI_ADDON_STATE_FAILED);
  message = error_of (f, "pyraise-register");
  g_test_message ("pyraise-register: %s", message);
  g_assert_true (g_str_has_prefix (message, "register: Traceback (most recent call last):\n"));
  g_assert_nonnull (strstr (message, "in do_register_addon\n    return {}[\"farm\"]\n"));
  g_assert_true (g_str_has_suffix (message, "\nKeyError: 'farm'"));
  g_assert_null (strstr (message, "overrides"));

  /* An exception in __init__ fails register, with its chained cause. */
  message = error_of (f, "pyraise-init");
  g_test_message ("pyraise-init: %s", message);
  g_assert_true (g_str_has_prefix (message, "register: the addon's __init__ failed: Traceback (most recent call last):\n"));
  g_assert_nonnull (strstr (message, "in read_config\n"));
  g_assert_nonnull (strstr (message, "FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/studio/qi.conf'\n"));
  g_assert_nonnull (strstr (message, "The above exception was the direct cause of the following exception:"));
  g_assert_true (g_str_has_suffix (message, "RuntimeError: no studio configuration"));

  /* What the failed register added is withdrawn. */
  g_assert_null (ask_text (f, "pyraise.never", "{}", &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_clear_error (&error);

  /* The others run. */
  text = ask_text (f, "pyhello.greet", "{\"name\":\"Ada\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "{\"greeting\":\"hello, Ada\"}");
  g_clear_pointer (&text, g_free);
  text = ask_text (f, "hello.greet", "{\"name\":\"Ada\"}", &error);
  g_assert_no_error (error);
}

/* Hub handlers now and later, raising; a subscription; settings. */
static void
test_hub (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  qi_addon_manager_load (f->manager, (const char * const []) { "pyhello", NULL });

  text = ask_text (f, "pyhello.later", "{\"n\":41}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "{\"later\":42}");
  g_clear_pointer (&text, g_free);

  /* The exception answers handler_failed with its traceback, logged too. */
  g_assert_null (ask_text (f, "pyhello.raise", "{}", &error));
  g_assert_true (logged ("the handler of “pyhello.raise”: Traceback*IndexError*"));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_true (g_str_has_prefix (error->message, "the handler of “pyhello.raise”: Traceback (most recent call last):\n"));
  g_assert_nonnull (strstr (error->message, "in explode\n    return {\"never\": [][1]}\n"));
  g_assert_true (g_str_has_suffix (error->message, "IndexError: list index out of range"));
  g_clear_error (&error);

  /* SystemExit is the handler's failure, not the process's; a reply that
   * cannot be made is one too, at once rather than at the deadline. */
  g_assert_null (ask_text (f, "pyhello.exit", "{}", &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_true (g_str_has_suffix (error->message, "SystemExit: 9"));
  g_assert_true (logged ("the handler of “pyhello.exit”*SystemExit: 9"));
  g_clear_error (&error);
  g_assert_null (ask_text (f, "pyhello.bad_reply", "{}", &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_nonnull (strstr (error->message, "TypeError: Object of type object is not JSON serializable"));
  g_assert_true (logged ("the handler of “pyhello.bad_reply”*TypeError*"));
  g_clear_error (&error);

  /* Events reach the subscriber; one that raises is logged, and it goes on. */
  {
    g_autoptr(JsonNode) plain = json_from_string ("{}", NULL);
    g_autoptr(JsonNode) raising = json_from_string ("{\"raise\":true}", NULL);

    g_assert_true (qi_hub_endpoint_emit (f->client, "pyhello.ping.one", plain, &error));
    g_assert_true (qi_hub_endpoint_emit (f->client, "pyhello.ping.two", raising, &error));
    g_assert_true (qi_hub_endpoint_emit (f->client, "pyhello.pong", plain, &error));
    text = ask_text (f, "pyhello.events", "{}", &error);
    g_assert_true (logged ("the subscriber of “pyhello.ping.*”: Traceback*RuntimeError: a subscriber that fails"));
    g_assert_no_error (error);
    g_assert_cmpstr (text, ==, "{\"events\":2}");
    g_clear_pointer (&text, g_free);
  }

  /* The schema the module attached; the handler reads its setting. */
  g_assert_nonnull (qi_settings_get_schema (f->settings, "pyhello"));
  text = ask_text (f, "config.patch", "{\"addon\":\"pyhello\",\"layer\":\"bundle\",\"values\":{\"greeting\":\"hi\"}}",
                   &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = ask_text (f, "pyhello.greet", "{\"name\":\"Grace\"}", &error);
  g_assert_cmpstr (text, ==, "{\"greeting\":\"hi, Grace\"}");
  g_clear_pointer (&text, g_free);
  g_assert_null (ask_text (f, "config.patch",
                           "{\"addon\":\"pyhello\",\"layer\":\"bundle\",\"values\":{\"greeting\":\"\"}}", &error));
  g_assert_nonnull (strstr (error->message, "greeting: \"\" is 0 characters long; the length allowed is 1 to 16"));
  g_clear_error (&error);

  /* Its plugin folder. */
  {
    g_auto(GStrv) dirs = qi_addon_manager_list_plugin_dirs (f->manager, "publish", &error);
    g_autofree char *joined = NULL;

    g_assert_no_error (error);
    joined = g_strjoinv (" ", dirs);
    g_assert_true (g_str_has_suffix (joined, "addons/pyhello/plugins/publish"));
  }

  /* The tray item, through the manager. */
  {
    g_autoptr(JsonNode) items = qi_addon_manager_list_tray_items (f->manager);
    g_autofree char *listed = json_to_string (items, FALSE);

    g_assert_nonnull (strstr (listed, "\"id\":\"pyhello/greet\""));
  }
}

/* A handler whose work blocks a Python thread for 0.4 s: the hub answers
 * others meanwhile, and the thread's own hub call is marshalled. */
static void
test_blocking_thread (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonNode) payload = json_from_string ("{\"seconds\":0.4}", NULL);
  g_autoptr(GError) error = NULL;
  QiTestAnswer blocked = { 0 };
  guint answered_meanwhile = 0;

  qi_addon_manager_load (f->manager, (const char * const []) { "pyhello", NULL });
  qi_hub_endpoint_request_async (f->client, "pyhello.block", payload, 10000, NULL, qi_test_on_answer, &blocked);

  /* Twenty round trips, to Python and to the hub, before the thread ends. */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = ask_text (f, i % 2 == 0 ? "pyhello.greet" : "hub.ping", "{}", &error);

      g_assert_no_error (error);
      if (!blocked.done)
        answered_meanwhile++;
    }
  g_assert_cmpuint (answered_meanwhile, ==, 20);

  while (!blocked.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (blocked.error);
  {
    g_autofree char *text = json_to_string (blocked.payload, FALSE);

    g_assert_true (g_str_has_prefix (text, "{\"slept\":0.40000000000000002,\"pong\":{"));
  }
  json_node_unref (blocked.payload);
}

/* REST routes of a Python addon, through a real QiServer. */

static void
test_rest (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(QiTokenAuthority) authority = qi_token_authority_new (NULL);
  g_autoptr(QiServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", direct, "timeout", 20, NULL);
  g_autofree char *token = NULL;
  g_autofree char *base = NULL;
  struct {
    const char *path;
    guint       status;
    const char *contains;
  } cases[] = {
    { "/api/pyhello/Ada", 200, "{\"greeting\":\"hello, Ada\"}" },
    { "/api/pyhello-raise", 500, "\"code\":\"handler_failed\"" },
  };

  qi_addon_manager_load (f->manager, (const char * const []) { "pyhello", NULL });
  server = qi_server_new (f->hub, authority);
  g_object_set (server, "router", f->router, NULL);
  g_assert_true (qi_server_listen (server, 0, &error));
  token = qi_token_authority_issue (authority, "test/rest", NULL, (const char * const []) { "api", NULL },
                                    60, &error);
  base = qi_server_dup_http_url (server);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *uri = g_strconcat (base, cases[i].path, NULL);
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
      g_autofree char *body = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) sent_error = NULL;

      soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", bearer);
      bytes = qi_test_send_and_wait (session, msg, &sent_error);
      if (cases[i].status == 500)
        g_assert_true (logged ("the route GET /api/pyhello-raise: Traceback*KeyError: 'route'"));
      g_assert_no_error (sent_error);
      body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_test_message ("GET %s → %u %s", cases[i].path, soup_message_get_status (msg), body);
      g_assert_cmpuint (soup_message_get_status (msg), ==, cases[i].status);
      g_assert_nonnull (strstr (body, cases[i].contains));
    }
}

/* The real qi: a Python verb, and one that raises. */
static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *config = g_build_filename (f->root, "config", NULL);
  g_autofree char *data_home = g_build_filename (f->root, "data", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "QI_ADDON_PATH", built, TRUE);
  g_subprocess_launcher_setenv (launcher, "QI_CONFIG_DIR", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "pyhello", "greet", "Ada", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "hello, Ada (from Python)\n");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "pyhello", "raise", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "qi pyhello raise: Traceback (most recent call last):\n"));
  g_assert_true (g_str_has_suffix (err, "ValueError: the verb failed on purpose\n"));

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "pyhello", "interrupt", NULL), ==, 130);
  g_assert_cmpstr (err, ==, "qi pyhello interrupt: interrupted\n");

  /* A thread's hub call in a one-shot command, which runs no main loop. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "pyhello", "thread", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "{'from': 'verb'}\n");

  /* A DCC's Python environment does not reach Qi's Python. */
  g_subprocess_launcher_setenv (launcher, "PYTHONHOME", "/opt/autodesk/maya/python", TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONPATH", "/opt/autodesk/maya/python/lib", TRUE);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "pyhello", "greet", "Ada", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "hello, Ada (from Python)\n");
  g_subprocess_launcher_unsetenv (launcher, "PYTHONHOME");
  g_subprocess_launcher_unsetenv (launcher, "PYTHONPATH");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "list", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"name\": \"pyraise-import\""));
  /* addons new --lang python: an addon that loads and answers as it is. */
  {
    g_autofree char *made = g_build_filename (f->root, "made", NULL);
    g_autofree char *paths = g_strconcat (made, ":", built, NULL);

    g_assert_cmpint (g_mkdir_with_parents (made, 0700), ==, 0);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "new", "demo-py", "--lang",
                                     "python", "--dir", made, NULL), ==, 0);
    g_subprocess_launcher_setenv (launcher, "QI_ADDON_PATH", paths, TRUE);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "demo-py", "hello", "Ada", NULL), ==, 0);
    g_assert_cmpstr (out, ==, "hello, Ada\n");
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "set", "demo-py", "greeting",
                                     "hi", "--layer", "bundle", NULL), ==, 0);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "demo-py", "hello", "Ada", NULL), ==, 0);
    g_assert_cmpstr (out, ==, "hi, Ada\n");
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "info", "demo-py", "--json",
                                     NULL), ==, 0);
    g_assert_nonnull (strstr (out, "\"state\": \"loaded\""));
    g_assert_nonnull (strstr (out, "\"GET /api/demo-py/hello/{name}\""));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  python_logs = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_writer, NULL, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/python-addons/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  /* First: it checks that Python is not in the process yet. */
  ADD ("python-starts-with-the-first-python-addon", test_python_starts_with_the_first_python_addon);
  ADD ("exceptions-fail-the-addon", test_exceptions_fail_the_addon);
  ADD ("hub", test_hub);
  ADD ("blocking-thread", test_blocking_thread);
  ADD ("rest", test_rest);
  ADD ("cli", test_cli);

#undef ADD

  return g_test_run ();
}
