/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>

#include "qi-test-utils.h"

/*
 * The real `qi` process, as a user runs it: exit statuses, one-line errors,
 * no GLib warnings or criticals on bad input, and the generated bash
 * completion driven by a real bash.
 */

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
  qi_test_env_keep_runtime (&f->env);
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
run_qi (Fixture            *f,
        const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *qi = g_getenv ("QI_EXE");

  g_assert_nonnull (qi);
  g_ptr_array_add (argv, (gpointer) qi);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_environ (launcher, f->env.envp);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_free (f->out);
  g_free (f->err);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &f->out, &f->err, &error);
  g_assert_no_error (error);

  /* Whatever happens, never a crash, a GLib warning or a critical. */
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_null (strstr (f->err, "CRITICAL"));
  g_assert_null (strstr (f->err, "WARNING"));
  g_assert_null (strstr (f->err, "runtime error"));
  g_assert_null (strstr (f->err, "Sanitizer"));

  return g_subprocess_get_exit_status (process);
}

static void
assert_one_line (const char *text)
{
  g_assert_cmpuint (strlen (text), >, 0);
  g_assert_true (strchr (text, '\n') == text + strlen (text) - 1);
}

static void
test_version (Fixture       *f,
              gconstpointer  data)
{
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "version", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "qi " QI_VERSION_S "\nRevision:"));
  g_assert_nonnull (strstr (f->out, "Build options: buildtype="));
  g_assert_cmpstr (f->err, ==, "");

  g_assert_cmpint (run_qi (f, (const char * const []) { "--version", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "qi " QI_VERSION_S "\n"));
}

static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "help", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "Usage: qi [OPTION…] [COMMAND [ARG…]]\n"));
  for (const char * const *verb = (const char * const []) {
         "bundles list", "completion", "config show", "help", "serve", "services", "status", "version", NULL };
       *verb != NULL; verb++)
    {
      g_autofree char *row = g_strdup_printf ("\n  %s ", *verb);
      g_assert_nonnull (strstr (f->out, row));
    }

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "help", "config", "show", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "Usage: qi --headless config show [--origin] [--json]\n"));

  /* A group of commands lists its members. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "help", "config", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "Commands under “config”:\n  config show             Show the effective configuration\n");

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "help", "confg", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi help: unknown command “confg”; did you mean “config”?\n");
}

static void
test_services (Fixture       *f,
               gconstpointer  data)
{
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "services", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "NAME       TYPE             STATE     DESCRIPTION\n"));
  g_assert_nonnull (strstr (f->out, "\ncli        QiCliManager     running   "));
  g_assert_nonnull (strstr (f->out, "\nconfig     QiConfigManager  running   "));
}

static void
test_config_show_origin (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *path = qi_test_env_write_config (&f->env, TRUE, "[launch]\nlog-level = \"warning\"\n");
  g_autofree char *row = g_strdup_printf ("# %s:2:13 (system-config)\n", path);

  g_assert_cmpint (run_qi (f, (const char * const []) {
                     "--headless", "--project", "sh010", "config", "show", "--origin", NULL }), ==, 0);
  g_assert_nonnull (strstr (f->out, "launch.project = \"sh010\""));
  g_assert_nonnull (strstr (f->out, "# --project (command-line)\n"));
  g_assert_nonnull (strstr (f->out, "launch.log-level = \"warning\""));
  g_assert_nonnull (strstr (f->out, row));
}

static void
test_unknown_verb (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "stauts", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi: unknown command “stauts”; did you mean “status”?\n");
  g_assert_cmpstr (f->out, ==, "");

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", NULL }), ==, 2);
  assert_one_line (f->err);

  g_assert_cmpint (run_qi (f, (const char * const []) { "--hedless", "status", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi: unknown option “--hedless”; did you mean “--headless”?\n");
}

static void
test_malformed_config (Fixture       *f,
                       gconstpointer  data)
{
  static const char * const documents[] = {
    "[launch\nport = 1\n",
    "[launch]\nport = 08\n",
    "[launch]\nproject = \"unterminated\n",
    "[launch]\nport = 1\nport = 2\n",
    "\xff\xfe[launch]\n",
    "[launch]\nproject = \"a\"\n[launch]\n",
    "a = {b = 1,}\n",
    "[launch]\nport = 99999999999999999999\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autofree char *path = qi_test_env_write_config (&f->env, FALSE, documents[i]);
      g_autofree char *prefix = g_strdup_printf ("qi: %s:", path);
      g_autoptr(GRegex) regex = g_regex_new ("^qi: .*qi\\.toml:[0-9]+:[0-9]+: \\S", 0, 0, NULL);

      g_test_message ("document %u", i);
      g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "status", NULL }), ==, 2);
      g_assert_true (g_str_has_prefix (f->err, prefix));
      g_assert_true (g_regex_match (regex, f->err, 0, NULL));
      assert_one_line (f->err);
      g_assert_cmpstr (f->out, ==, "");
    }
}

static void
test_bad_values (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = qi_test_env_write_config (&f->env, FALSE, "[launch]\nport = \"http\"\n");
  g_autofree char *expected = g_strdup_printf ("qi: %s:2:8: launch.port must be an integer, not a string\n", path);

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "status", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, expected);

  qi_test_env_setenv (&f->env, "QI_LOG_LEVEL", "chatty");
  g_remove (path);
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "status", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi: QI_LOG_LEVEL: unknown log level “chatty”; use one of error, critical, "
                               "warning, message, info, debug\n");
}

static void
test_log_level (Fixture       *f,
                gconstpointer  data)
{
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "--log-level=debug", "version", NULL }), ==, 0);
  g_assert_nonnull (strstr (f->err, "QiBootstrap-DEBUG"));
  g_assert_nonnull (strstr (f->err, "phase 0 (bootstrap) took"));
  g_assert_nonnull (strstr (f->err, "2.1: using the “auth” service (QiAuthManager)"));
  g_assert_nonnull (strstr (f->err, "2.2: no tracker is loaded: no login"));
  g_assert_nonnull (strstr (f->err, "phase 8 (shutdown) took"));
  /* Logs go to stderr; stdout holds only the command's output. */
  g_assert_true (g_str_has_prefix (f->out, "qi " QI_VERSION_S "\n"));
  g_assert_null (strstr (f->out, "DEBUG"));

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "version", NULL }), ==, 0);
  g_assert_cmpstr (f->err, ==, "");

  /* a command that needs the addons: the embedded tracker is the run's */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "--log-level=debug", "status", NULL }), ==, 0);
  g_assert_nonnull (strstr (f->err, "1.3: “tracker-sqlite” is the run's tracker"));
  g_assert_nonnull (strstr (f->err, "2.2: logins through “local”; headless: no interactive login"));
}

static void
test_no_shell (Fixture       *f,
               gconstpointer  data)
{
  g_assert_cmpint (run_qi (f, (const char * const []) { NULL }), ==, 1);
  assert_one_line (f->err);
  g_assert_nonnull (strstr (f->err, "--headless"));

  g_assert_cmpint (run_qi (f, (const char * const []) { "stauts", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi: “stauts” is a command; run it with --headless: qi --headless stauts\n");
}

static void
test_not_utf8 (Fixture       *f,
               gconstpointer  data)
{
  /* Bytes that are not UTF-8, wherever they come from: one line, exit 2. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "--config-dir", "/tmp/\xff", "version", NULL }), ==, 2);
  assert_one_line (f->err);
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "--project", "\xff", "version", NULL }), ==, 2);
  assert_one_line (f->err);
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "help", "\xff\xfe", NULL }), ==, 2);
  assert_one_line (f->err);

  qi_test_env_setenv (&f->env, "HOME", "/tmp/h\xe9");
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "version", NULL }), ==, 2);
  assert_one_line (f->err);
}

/* Runs the completion function of the generated script for a command line
 * and returns what bash offers. */
static char *
complete (const char *script,
          const char *line)
{
  g_autofree char *program = g_strdup_printf (
    "source '%s'\n"
    "COMP_WORDS=(%s)\n"
    "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
    "[[ \"%s\" == *' ' ]] && { COMP_WORDS+=(''); COMP_CWORD=$(( COMP_CWORD + 1 )); }\n"
    "_qi\n"
    "echo \"${COMPREPLY[*]}\"\n", script, line, line);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char *[]) { (char *) "bash", (char *) "--norc", (char *) "-c", program, NULL },
                NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return g_strchomp (g_steal_pointer (&out));
}

static void
test_bash_completion (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *script = g_build_filename (f->env.root, "qi.bash", NULL);
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "..", "data", "qi", NULL);
  g_autofree char *built_text = NULL;
  struct {
    const char *line;
    const char *offers;
  } cases[] = {
    { "qi --headless con", "config" },
    { "qi --headless config ", "show" },
    { "qi --headless config show --", "--origin --json --help" },
    { "qi --headless help ", "addons auth autostart build bundles completion config db farm help hosts login logout publish serve services settings status templates user version" },
    { "qi --headless farm ", "adapters cancel jobs logs retry show submit worker" },
    { "qi --headless serve --", "--port --info-file --help" },
    { "qi --headless completion ", "bash" },
    { "qi --hea", "--headless" },
    { "qi --log-level d", "debug" },
    { "qi --headless --port 80 st", "status" },
    { "qi --headless status --j", "--json" },
  };

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "completion", "bash", NULL }), ==, 0);
  qi_test_env_write (script, f->out);

  /* The installed script is the same one, generated at build time. */
  g_assert_true (g_file_get_contents (built, &built_text, NULL, NULL));
  g_assert_true (g_str_equal (built_text, f->out));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *offers = complete (script, cases[i].line);

      g_test_message ("“%s” → “%s”", cases[i].line, offers);
      g_assert_cmpstr (offers, ==, cases[i].offers);
    }

  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "completion", "fish", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi completion: no completion script for the shell “fish”; Qi supports bash\n");
}

/* `qi --headless serve`: the info file, a second server refused, SIGTERM. */
static void
test_serve (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *info = g_build_filename (f->env.root, "run", "qi", "server.json", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *expected = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonObject *object;
  GStatBuf st;

  g_subprocess_launcher_set_environ (launcher, f->env.envp);
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), "--headless", "serve",
                                        "--port", "0", "--info-file", info, NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 1000 && !g_file_test (info, G_FILE_TEST_EXISTS); i++)
    g_usleep (10 * 1000);

  /* Written whole, private to the user: it holds a token. */
  g_assert_cmpint (g_stat (info, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  json_parser_load_from_file (parser, info, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "url"), "ws://127.0.0.1:"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "http"), "http://127.0.0.1:"));
  g_assert_cmpint (json_object_get_int_member (object, "pid"), ==,
                   g_ascii_strtoll (g_subprocess_get_identifier (server), NULL, 10));
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "token")), >, 40);

  /* A second server does not take over the file of a live one. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "serve", "--port", "0",
                                                        "--info-file", info, NULL }), ==, 1);
  expected = g_strdup_printf ("qi serve: another Qi server (pid %s) is running and owns “%s”; "
                              "stop it or pass --info-file\n", g_subprocess_get_identifier (server), info);
  g_assert_cmpstr (f->err, ==, expected);
  g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "serve", "--port", "70000", NULL }), ==, 2);

  /* A file Qi did not write is never overwritten. */
  {
    g_autofree char *notes = g_build_filename (f->env.root, "notes.json", NULL);
    g_autofree char *kept = NULL;
    g_autofree char *refused = NULL;

    qi_test_env_write (notes, "{\"shot\": \"sh010\"}");
    g_assert_cmpint (run_qi (f, (const char * const []) { "--headless", "serve", "--port", "0",
                                                          "--info-file", notes, NULL }), ==, 1);
    refused = g_strdup_printf ("qi serve: “%s” exists and is not a Qi server's info file; it was left "
                               "as it is: pass another --info-file\n", notes);
    g_assert_cmpstr (f->err, ==, refused);
    g_assert_true (g_file_get_contents (notes, &kept, NULL, NULL));
    g_assert_cmpstr (kept, ==, "{\"shot\": \"sh010\"}");
  }
  assert_one_line (f->err);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_communicate_utf8 (server, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Serving the hub at ws://127.0.0.1:"));
  g_assert_null (strstr (err, "WARNING"));
  g_assert_null (strstr (err, "CRITICAL"));
  g_assert_false (g_file_test (info, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/executable/version", test_version);
  ADD ("/qi/executable/help", test_help);
  ADD ("/qi/executable/services", test_services);
  ADD ("/qi/executable/config-show-origin", test_config_show_origin);
  ADD ("/qi/executable/unknown-verb", test_unknown_verb);
  ADD ("/qi/executable/malformed-config", test_malformed_config);
  ADD ("/qi/executable/bad-values", test_bad_values);
  ADD ("/qi/executable/log-level", test_log_level);
  ADD ("/qi/executable/no-shell", test_no_shell);
  ADD ("/qi/executable/not-utf8", test_not_utf8);
  ADD ("/qi/executable/bash-completion", test_bash_completion);
  ADD ("/qi/executable/serve", test_serve);
#undef ADD

  return g_test_run ();
}
