/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* A service that records its start and stop, and can refuse to start. */
#define TEST_TYPE_SERVICE (test_service_get_type ())
G_DECLARE_FINAL_TYPE (TestService, test_service, TEST, SERVICE, QiService)

struct _TestService
{
  QiService  parent_instance;
  gboolean   fail;
  GString   *log;
};

G_DEFINE_FINAL_TYPE (TestService, test_service, QI_TYPE_SERVICE)

static gboolean
test_service_start (QiService  *service,
                    GError    **error)
{
  TestService *self = TEST_SERVICE (service);

  g_string_append_printf (self->log, "start %s;", qi_service_get_name (service));
  if (self->fail)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the disk is on fire");
      return FALSE;
    }
  return TRUE;
}

static void
test_service_stop (QiService *service)
{
  TestService *self = TEST_SERVICE (service);

  g_string_append_printf (self->log, "stop %s;", qi_service_get_name (service));
}

static void
test_service_class_init (TestServiceClass *klass)
{
  QI_SERVICE_CLASS (klass)->start = test_service_start;
  QI_SERVICE_CLASS (klass)->stop = test_service_stop;
}

static void
test_service_init (TestService *self)
{
}

static TestService *
test_service_new (const char *name,
                  GString    *log)
{
  TestService *self = g_object_new (TEST_TYPE_SERVICE, "name", name,
                                    "description", "A test service", NULL);
  self->log = log;
  return self;
}

typedef struct
{
  QiTestEnv  env;
  char      *out;
  char      *err;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_env_setup (&f->env);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_free (f->out);
  g_free (f->err);
  qi_test_env_teardown (&f->env);
}

static int
run_app (Fixture            *f,
         QiApplication      *app,
         const char * const *argv)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) err = g_memory_output_stream_new_resizable ();
  int status = qi_application_run (app, argv, (const char * const *) f->env.envp, out, err);

  g_free (f->out);
  g_free (f->err);
  f->out = qi_test_steal_text (out);
  f->err = qi_test_steal_text (err);
  return status;
}

static void
on_phase_finished (QiApplication    *app,
                   QiBootstrapPhase  phase,
                   gint64            duration,
                   GString          *phases)
{
  g_assert_cmpint (duration, >=, 0);
  g_string_append_printf (phases, "%d", phase);
}

static void
test_headless_phases (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(GString) phases = g_string_new (NULL);

  g_signal_connect (app, "phase-finished", G_CALLBACK (on_phase_finished), phases);
  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "version", NULL }), ==, 0);

  /* 0–4, the headless command in 5, then shutdown: 6 and 7 never run. */
  g_assert_cmpstr (phases->str, ==, "0123458");
  g_assert_cmpint (qi_application_get_phase (app), ==, QI_BOOTSTRAP_PHASE_SHUTDOWN);
  g_assert_cmpint (qi_application_get_phase_duration (app, QI_BOOTSTRAP_PHASE_SERVER_GUI), ==, -1);
  g_assert_cmpint (qi_application_get_phase_duration (app, QI_BOOTSTRAP_PHASE_BOOTSTRAP), >=, 0);
  g_assert_true (g_str_has_prefix (f->out, "qi " QI_VERSION_S "\n"));
  g_assert_cmpstr (f->err, ==, "");
  g_assert_cmpstr (qi_bootstrap_phase_get_title (QI_BOOTSTRAP_PHASE_ADDON_LOAD), ==, "addon load");
}

static void
test_without_shell (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(GString) phases = g_string_new (NULL);

  g_signal_connect (app, "phase-finished", G_CALLBACK (on_phase_finished), phases);

  /* Without --headless, phase 6 needs a GUI manager; none is registered. */
  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", NULL }), ==, 1);
  g_assert_cmpstr (phases->str, ==, "01234568");
  g_assert_cmpstr (f->err, ==,
                   "qi: this build of Qi has no desktop shell; run a command with --headless "
                   "(see “qi --headless help”)\n");
}

static void
test_services (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(TestService) hub = test_service_new ("hub", log);
  g_autoptr(TestService) dup = test_service_new ("cli", log);
  g_autoptr(GPtrArray) services = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_application_add_service (app, QI_SERVICE (hub), &error));
  g_assert_false (qi_application_add_service (app, QI_SERVICE (dup), &error));
  g_assert_error (error, QI_APPLICATION_ERROR, QI_APPLICATION_ERROR_DUPLICATE_SERVICE);
  g_assert_true (qi_application_get_service (app, "hub") == QI_SERVICE (hub));
  g_assert_null (qi_application_get_service (app, "gui"));

  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "services", NULL }), ==, 0);
  g_assert_cmpstr (log->str, ==, "start hub;stop hub;");
  g_assert_cmpint (qi_service_get_state (QI_SERVICE (hub)), ==, QI_SERVICE_STATE_STOPPED);

  /* services lists each service with its state while the command runs. */
  g_assert_nonnull (strstr (f->out, "hub        TestService      running   A test service\n"));
  g_assert_nonnull (strstr (f->out, "config     QiConfigManager  running"));
  g_assert_nonnull (strstr (f->out, "cli        QiCliManager     running"));
  g_assert_nonnull (strstr (f->out, "addons     QiAddonManager   running"));
  g_assert_nonnull (strstr (f->out, "settings   QiSettings       running"));
  g_assert_nonnull (strstr (f->out, "db         QiDbManager      running"));
  g_assert_nonnull (strstr (f->out, "auth       QiAuthManager    running"));

  services = qi_application_list_services (app);
  g_assert_cmpuint (services->len, ==, 7);
  g_assert_nonnull (qi_application_get_config_manager (app));
  g_assert_nonnull (qi_application_get_launch_config (app));
}

static void
test_service_fails (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(TestService) bad = test_service_new ("server", log);
  g_autoptr(TestService) good = test_service_new ("hub", log);

  bad->fail = TRUE;
  g_assert_true (qi_application_add_service (app, QI_SERVICE (good), NULL));
  g_assert_true (qi_application_add_service (app, QI_SERVICE (bad), NULL));

  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "status", NULL }), ==, 1);
  g_assert_cmpstr (f->err, ==, "qi: the server service failed to start: the disk is on fire\n");
  g_assert_cmpint (qi_service_get_state (QI_SERVICE (bad)), ==, QI_SERVICE_STATE_FAILED);
  g_assert_cmpstr (qi_service_get_state_error (QI_SERVICE (bad)), ==, "the disk is on fire");
  /* What started is stopped again. */
  g_assert_cmpstr (log->str, ==, "start hub;start server;stop hub;");
}

static int
hello_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  const char *name = qi_cli_invocation_get_string (invocation, "name");

  qi_cli_invocation_print (invocation, "hello %s\n", name != NULL ? name : "world");
  return 0;
}

static void
test_extra_verb (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(QiCliVerb) verb = qi_cli_verb_new ("hello", "Say hello", hello_verb, NULL, NULL);

  qi_cli_verb_add_option (verb, "name", QI_CLI_OPTION_STRING, "NAME", "Whom to greet");
  g_assert_true (qi_cli_manager_add_verb (qi_application_get_cli_manager (app), verb, NULL));

  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "hello", "--name=Ada", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "hello Ada\n");
}

static void
test_command_without_headless (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();

  /* A command is never ignored: without --headless it is a usage error. */
  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "status", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi: “status” is a command; run it with --headless: qi --headless status\n");
}

static void
test_runs_once (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(QiApplication) app = qi_application_new ();

  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "version", NULL }), ==, 0);

  if (g_test_subprocess ())
    {
      /* A second run is a programming error, caught by a precondition. */
      g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "version", NULL }), ==, 1);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*qi_application_run*has_run*");
}

static void
test_verbs_outlive_app (Fixture       *f,
                        gconstpointer  data)
{
  QiApplication *app = qi_application_new ();
  g_autoptr(QiCliManager) cli = g_object_ref (qi_application_get_cli_manager (app));
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) err = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) err2 = g_memory_output_stream_new_resizable ();
  g_autofree char *text = NULL;

  /* Before the application has run, commands that need it say so. */
  g_assert_cmpint (qi_cli_manager_run (cli, (const char * const []) { "status", NULL }, out, err), ==, 1);
  text = qi_test_steal_text (err);
  g_assert_cmpstr (text, ==, "qi status: the application has not started; run it with qi_application_run()\n");
  g_clear_pointer (&text, g_free);

  /* A binding may keep the manager after the application is gone. */
  g_object_unref (app);
  g_assert_cmpint (qi_cli_manager_run (cli, (const char * const []) { "services", NULL }, out, err2), ==, 1);
  text = qi_test_steal_text (err2);
  g_assert_cmpstr (text, ==, "qi services: the application is gone\n");
}

static void
test_config_errors (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *path = qi_test_env_write_config (&f->env, FALSE, "[launch]\nport = [1, 2\n");
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autofree char *prefix = g_strdup_printf ("qi: %s:3:1: the array started at 2:8 is not closed", path);
  g_autoptr(GString) phases = g_string_new (NULL);

  g_signal_connect (app, "phase-finished", G_CALLBACK (on_phase_finished), phases);
  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "status", NULL }), ==, 2);
  g_assert_true (g_str_has_prefix (f->err, prefix));
  /* One line. */
  g_assert_cmpint (strchr (f->err, '\n') - f->err, ==, strlen (f->err) - 1);
  g_assert_cmpstr (f->out, ==, "");
  g_assert_cmpstr (phases->str, ==, "08");
}

static void
test_status (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *path = qi_test_env_write_config (&f->env, FALSE,
                                                    "[launch]\nproject = \"demo\"\n");
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_strdup_printf ("Project:      demo (from %s:2:11)\n", path);
  g_autofree char *files = g_strdup_printf ("Config files: %s\n", path);
  g_autoptr(QiApplication) app2 = qi_application_new ();
  JsonObject *status;

  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "status", NULL }), ==, 0);
  g_assert_nonnull (strstr (f->out, line));
  g_assert_nonnull (strstr (f->out, files));
  g_assert_nonnull (strstr (f->out, "Tracker:      running\n"));
  g_assert_nonnull (strstr (f->out, "Services:     cli, config, hub, addons, settings, db, auth\n"));

  g_assert_cmpint (run_app (f, app2, (const char * const []) { "qi", "--headless", "status", "--json", NULL }), ==, 0);
  json_parser_load_from_data (parser, f->out, -1, &error);
  g_assert_no_error (error);
  status = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (status, "project"), ==, "demo");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (status, "config-files"), 0), ==, path);
  g_assert_cmpint (json_object_get_int_member (status, "startup-us"), >, 0);
}

static void
test_config_show (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = qi_test_env_write_config (&f->env, FALSE,
                                                    "[launch]\nbundle = \"staging\"\n"
                                                    "[tracker]\nurl = \"https://ftrack.example\"\n"
                                                    "retries = 3\n"
                                                    "studio = \"Café \\\"Lumière\\\"\"\n");
  g_autoptr(QiApplication) app = qi_application_new ();
  g_autoptr(QiApplication) app2 = qi_application_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *bundle = g_strdup_printf ("# %s:2:10 (user-config)\n", path);
  JsonObject *root;
  JsonObject *port;

  qi_test_env_setenv (&f->env, "QI_PORT", "4000");
  g_assert_cmpint (run_app (f, app, (const char * const []) { "qi", "--headless", "config", "show", "--origin", NULL }), ==, 0);
  g_test_message ("%s", f->out);
  g_assert_nonnull (strstr (f->out, "launch.bundle = \"staging\" "));
  g_assert_nonnull (strstr (f->out, bundle));
  g_assert_nonnull (strstr (f->out, "launch.port = 4000 "));
  g_assert_nonnull (strstr (f->out, "# QI_PORT (environment)\n"));
  g_assert_nonnull (strstr (f->out, "tracker.retries = 3"));
  /* Text stays readable: UTF-8 as it is, quotes escaped as in TOML. */
  g_assert_nonnull (strstr (f->out, "tracker.studio = \"Café \\\"Lumière\\\"\""));

  g_assert_cmpint (run_app (f, app2, (const char * const []) { "qi", "--headless", "config", "show", "--json", "--origin", NULL }), ==, 0);
  json_parser_load_from_data (parser, f->out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  port = json_object_get_object_member (json_object_get_object_member (root, "launch"), "port");
  g_assert_cmpint (json_object_get_int_member (port, "value"), ==, 4000);
  g_assert_cmpstr (json_object_get_string_member (port, "origin"), ==, "QI_PORT");
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (
                       json_object_get_object_member (
                         json_object_get_object_member (root, "config"), "tracker"), "retries"), "value"), ==, 3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/application/headless-phases", test_headless_phases);
  ADD ("/qi/application/without-shell", test_without_shell);
  ADD ("/qi/application/services", test_services);
  ADD ("/qi/application/service-fails", test_service_fails);
  ADD ("/qi/application/extra-verb", test_extra_verb);
  ADD ("/qi/application/config-errors", test_config_errors);
  ADD ("/qi/application/command-without-headless", test_command_without_headless);
  ADD ("/qi/application/runs-once", test_runs_once);
  ADD ("/qi/application/verbs-outlive-app", test_verbs_outlive_app);
  ADD ("/qi/application/status", test_status);
  ADD ("/qi/application/config-show", test_config_show);
#undef ADD

  return g_test_run ();
}
