/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

typedef struct
{
  QiTestEnv env;
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
  qi_test_env_teardown (&f->env);
}

static QiLaunchConfig *
parse (Fixture            *f,
       const char * const *argv,
       GError            **error)
{
  return qi_launch_config_new (argv, (const char * const *) f->env.envp, error);
}

static void
test_defaults (Fixture       *f,
               gconstpointer  data)
{
  const char * const argv[] = { "qi", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(QiLaunchConfig) config = parse (f, argv, &error);
  g_autofree char *config_dir = g_build_filename (f->env.config_home, "qi", NULL);
  g_autofree char *data_dir = g_build_filename (f->env.data_home, "qi", NULL);

  g_assert_no_error (error);
  g_assert_false (qi_launch_config_get_headless (config));
  g_assert_null (qi_launch_config_get_project (config));
  g_assert_null (qi_launch_config_get_bundle (config));
  g_assert_false (qi_launch_config_get_dev (config));
  g_assert_cmpuint (qi_launch_config_get_port (config), ==, 0);
  g_assert_cmpstr (qi_launch_config_get_log_level (config), ==, "message");
  g_assert_cmpstr (qi_launch_config_get_config_dir (config), ==, config_dir);
  g_assert_cmpstr (qi_launch_config_get_data_dir (config), ==, data_dir);
  g_assert_cmpuint (g_strv_length ((char **) qi_launch_config_get_addon_paths (config)), ==, 0);
  g_assert_cmpuint (g_strv_length ((char **) qi_launch_config_get_arguments (config)), ==, 0);
  g_assert_cmpint (qi_launch_config_get_source (config, "port"), ==, QI_LAUNCH_SOURCE_DEFAULT);
  g_assert_cmpstr (qi_launch_config_get_origin (config, "port"), ==, "default");
}

static void
test_command_line (Fixture       *f,
                   gconstpointer  data)
{
  const char * const argv[] = {
    "qi", "--headless", "--project=demo", "--port", "8765", "--addon-path=/a",
    "--addon-path", "/b", "--dev", "--log-level=debug", "--bundle=staging",
    "--data-dir=/srv/qi", "status", "--json", NULL
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(QiLaunchConfig) config = parse (f, argv, &error);
  const char * const *paths;
  const char * const *args;

  g_assert_no_error (error);
  g_assert_true (qi_launch_config_get_headless (config));
  g_assert_cmpstr (qi_launch_config_get_project (config), ==, "demo");
  g_assert_cmpuint (qi_launch_config_get_port (config), ==, 8765);
  g_assert_true (qi_launch_config_get_dev (config));
  g_assert_cmpstr (qi_launch_config_get_log_level (config), ==, "debug");
  g_assert_cmpstr (qi_launch_config_get_bundle (config), ==, "staging");
  g_assert_cmpstr (qi_launch_config_get_data_dir (config), ==, "/srv/qi");

  paths = qi_launch_config_get_addon_paths (config);
  g_assert_cmpuint (g_strv_length ((char **) paths), ==, 2);
  g_assert_cmpstr (paths[0], ==, "/a");
  g_assert_cmpstr (paths[1], ==, "/b");

  /* Everything from the command on belongs to the command. */
  args = qi_launch_config_get_arguments (config);
  g_assert_cmpuint (g_strv_length ((char **) args), ==, 2);
  g_assert_cmpstr (args[0], ==, "status");
  g_assert_cmpstr (args[1], ==, "--json");

  g_assert_cmpint (qi_launch_config_get_source (config, "port"), ==, QI_LAUNCH_SOURCE_COMMAND_LINE);
  g_assert_cmpstr (qi_launch_config_get_origin (config, "port"), ==, "--port");
  g_assert_cmpstr (qi_launch_config_get_origin (config, "addon-path"), ==, "--addon-path");
}

static void
test_precedence (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *user = NULL;
  g_autofree char *system = NULL;
  g_autofree char *origin = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(QiLaunchConfig) config = NULL;
  const char * const argv[] = { "qi", "--bundle=from-argv", NULL };

  system = qi_test_env_write_config (&f->env, TRUE,
                                     "[launch]\n"
                                     "project = \"system\"\n"
                                     "bundle = \"system\"\n"
                                     "port = 1000\n"
                                     "log-level = \"warning\"\n"
                                     "dev = true\n");
  user = qi_test_env_write_config (&f->env, FALSE,
                                   "[launch]\n"
                                   "project = \"user\"\n"
                                   "bundle = \"user\"\n"
                                   "port = 2000\n");
  qi_test_env_setenv (&f->env, "QI_PORT", "3000");
  qi_test_env_setenv (&f->env, "QI_BUNDLE", "from-env");

  config = parse (f, argv, &error);
  g_assert_no_error (error);

  /* argv > environment > user config > system config > defaults */
  g_assert_cmpstr (qi_launch_config_get_bundle (config), ==, "from-argv");
  g_assert_cmpint (qi_launch_config_get_source (config, "bundle"), ==, QI_LAUNCH_SOURCE_COMMAND_LINE);
  g_assert_cmpuint (qi_launch_config_get_port (config), ==, 3000);
  g_assert_cmpstr (qi_launch_config_get_origin (config, "port"), ==, "QI_PORT");
  g_assert_cmpstr (qi_launch_config_get_project (config), ==, "user");
  g_assert_cmpint (qi_launch_config_get_source (config, "project"), ==, QI_LAUNCH_SOURCE_USER_CONFIG);
  origin = g_strdup_printf ("%s:2:11", user);
  g_assert_cmpstr (qi_launch_config_get_origin (config, "project"), ==, origin);
  g_assert_cmpstr (qi_launch_config_get_log_level (config), ==, "warning");
  g_assert_cmpint (qi_launch_config_get_source (config, "log-level"), ==, QI_LAUNCH_SOURCE_SYSTEM_CONFIG);
  g_clear_pointer (&origin, g_free);
  origin = g_strdup_printf ("%s:6:7", system);
  g_assert_cmpstr (qi_launch_config_get_origin (config, "dev"), ==, origin);
  g_assert_true (qi_launch_config_get_dev (config));
  g_assert_cmpint (qi_launch_config_get_source (config, "data-dir"), ==, QI_LAUNCH_SOURCE_DEFAULT);
}

static void
test_config_dir (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->env.root, "studio", NULL);
  g_autofree char *file = g_build_filename (dir, "qi.toml", NULL);
  g_autofree char *other = g_build_filename (f->env.root, "other", NULL);
  g_autofree char *addons = g_build_filename (dir, "addons", NULL);
  g_autofree char *home_addons = g_build_filename (f->env.home, "pipeline", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(QiLaunchConfig) config = NULL;
  g_autoptr(QiLaunchConfig) config2 = NULL;
  const char * const *paths;

  qi_test_env_write (file, "[launch]\n"
                           "project = \"from-config-dir\"\n"
                           "addon-paths = [\"addons\", \"~/pipeline\"]\n");
  g_free (qi_test_env_write_config (&f->env, FALSE, "[launch]\nproject = \"xdg\"\nport = 5\n"));

  /* $QI_CONFIG_DIR comes first, $XDG_CONFIG_HOME/qi is still read. */
  qi_test_env_setenv (&f->env, "QI_CONFIG_DIR", dir);
  config = parse (f, (const char * const []) { "qi", NULL }, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_launch_config_get_project (config), ==, "from-config-dir");
  g_assert_cmpuint (qi_launch_config_get_port (config), ==, 5);
  g_assert_cmpstr (qi_launch_config_get_config_dir (config), ==, dir);
  g_assert_cmpstr (qi_launch_config_get_origin (config, "config-dir"), ==, "QI_CONFIG_DIR");

  /* Relative paths in qi.toml are relative to the file; ~ is $HOME. */
  paths = qi_launch_config_get_addon_paths (config);
  g_assert_cmpstr (paths[0], ==, addons);
  g_assert_cmpstr (paths[1], ==, home_addons);

  /* --config-dir beats $QI_CONFIG_DIR. */
  config2 = parse (f, (const char * const []) { "qi", "--config-dir", other, NULL }, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_launch_config_get_project (config2), ==, "xdg");
  g_assert_cmpstr (qi_launch_config_get_origin (config2, "config-dir"), ==, "--config-dir");
}

static void
test_environment (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiLaunchConfig) config = NULL;
  const char * const *paths;

  qi_test_env_setenv (&f->env, "QI_HEADLESS", "yes");
  qi_test_env_setenv (&f->env, "QI_DEV", "0");
  qi_test_env_setenv (&f->env, "QI_ADDON_PATH", "/x::/y");
  qi_test_env_setenv (&f->env, "QI_PROJECT", "");   /* empty counts as unset */
  config = parse (f, (const char * const []) { "qi", NULL }, &error);
  g_assert_no_error (error);

  g_assert_true (qi_launch_config_get_headless (config));
  g_assert_false (qi_launch_config_get_dev (config));
  g_assert_cmpint (qi_launch_config_get_source (config, "dev"), ==, QI_LAUNCH_SOURCE_ENVIRONMENT);
  g_assert_null (qi_launch_config_get_project (config));
  paths = qi_launch_config_get_addon_paths (config);
  g_assert_cmpuint (g_strv_length ((char **) paths), ==, 2);
  g_assert_cmpstr (paths[0], ==, "/x");
  g_assert_cmpstr (paths[1], ==, "/y");
}

static void
test_help_version (Fixture       *f,
                   gconstpointer  data)
{
  const char * const *argvs[] = {
    (const char * const []) { "qi", "--help", NULL },
    (const char * const []) { "qi", "-h", "status", NULL },
    (const char * const []) { "qi", "--headless", "--help", NULL },
    (const char * const []) { "qi", "--port=1", "--version", NULL },
  };
  const char *verbs[] = { "help", "help", "help", "version" };

  for (guint i = 0; i < G_N_ELEMENTS (argvs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QiLaunchConfig) config = parse (f, argvs[i], &error);

      g_assert_no_error (error);
      g_assert_true (qi_launch_config_get_headless (config));
      g_assert_cmpstr (qi_launch_config_get_arguments (config)[0], ==, verbs[i]);
      g_assert_null (qi_launch_config_get_arguments (config)[1]);
    }
}

typedef struct
{
  const char *argv[4];
  const char *env_name;
  const char *env_value;
  const char *config;
  int         code;
  const char *message;   /* "%s" stands for the config file's path */
} BadCase;

static const BadCase bad_cases[] = {
  { { "qi", "--prot=1", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_UNKNOWN_OPTION,
    "unknown option “--prot”; did you mean “--port”?" },
  { { "qi", "--frobnicate", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_UNKNOWN_OPTION,
    "unknown option “--frobnicate”; see “qi --help”" },
  { { "qi", "-x", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_UNKNOWN_OPTION,
    "unknown option “-x”; options are spelled in full, like --headless" },
  { { "qi", "--port", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_MISSING_VALUE,
    "option “--port” needs a value: --port=PORT" },
  { { "qi", "--port=70000", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--port: 70000 is not a port number (0 to 65535; 0 picks a free port)" },
  { { "qi", "--port=80x", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--port: “80x” is not a port number (0 to 65535; 0 picks a free port)" },
  { { "qi", "--log-level=debgu", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--log-level: unknown log level “debgu”; did you mean “debug”?" },
  { { "qi", "--headless=maybe", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--headless: “maybe” is not a boolean; use 1 or 0, true or false, yes or no" },
  { { "qi", "--project=", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--project: the value is empty" },
  { { "qi", NULL }, "QI_PORT", "-1", NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "QI_PORT: -1 is not a port number (0 to 65535; 0 picks a free port)" },
  { { "qi", NULL }, "QI_DEV", "sometimes", NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "QI_DEV: “sometimes” is not a boolean; use 1 or 0, true or false, yes or no" },
  { { "qi", NULL }, NULL, NULL, "[launch]\nport = \"8080\"\n", QI_CONFIG_ERROR_WRONG_TYPE,
    "%s:2:8: launch.port must be an integer, not a string" },
  { { "qi", NULL }, NULL, NULL, "[launch]\nport = 65536\n", QI_CONFIG_ERROR_INVALID_VALUE,
    "%s:2:8: launch.port: 65536 is not a port number (0 to 65535; 0 picks a free port)" },
  { { "qi", NULL }, NULL, NULL, "[launch]\n  prot = 1\n", QI_CONFIG_ERROR_UNKNOWN_KEY,
    "%s:2:10: unknown key launch.prot; did you mean launch.port?" },
  { { "qi", NULL }, NULL, NULL, "[launch]\naddon-paths = [\"/a\", 3]\n", QI_CONFIG_ERROR_WRONG_TYPE,
    "%s:2:15: launch.addon-paths[1] must be a string, not an integer" },
  { { "qi", NULL }, NULL, NULL, "launch = 3\n", QI_CONFIG_ERROR_WRONG_TYPE,
    "%s:1:10: launch must be a table, such as [launch]" },
  { { "qi", NULL }, NULL, NULL, "[launch]\nlog-level = \"loud\"\n", QI_CONFIG_ERROR_INVALID_VALUE,
    "%s:2:13: launch.log-level: unknown log level “loud”; use one of error, critical, warning, message, info, debug" },
  { { "qi", NULL }, NULL, NULL, "launch = 1979-05-27\n", QI_CONFIG_ERROR_WRONG_TYPE,
    "%s:1:10: launch must be a table, such as [launch]" },
  { { "qi", NULL }, NULL, NULL, "[launch]\naddon-paths = [\"/a\", \"\"]\n", QI_CONFIG_ERROR_INVALID_VALUE,
    "%s:2:15: launch.addon-paths[1] is empty; remove it" },
  { { "qi", NULL }, NULL, NULL, "[launch]\nconfig-dir = \"/x\"\n", QI_CONFIG_ERROR_UNKNOWN_KEY,
    "%s:2:14: launch.config-dir cannot be set in qi.toml, which it locates; use --config-dir or QI_CONFIG_DIR" },
  { { "qi", "--project=sh\xff", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--project: “sh\xef\xbf\xbd” is not valid UTF-8" },
  { { "qi", "--config-dir", "/tmp/\xff", NULL }, NULL, NULL, NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "--config-dir: “/tmp/\xef\xbf\xbd” is not valid UTF-8" },
  { { "qi", NULL }, "QI_DATA_DIR", "/tmp/\xff", NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "QI_DATA_DIR: “/tmp/\xef\xbf\xbd” is not valid UTF-8" },
  { { "qi", NULL }, "HOME", "/home/\xe9", NULL, QI_CONFIG_ERROR_INVALID_VALUE,
    "HOME: “/home/\xef\xbf\xbd” is not valid UTF-8" },
  { { "qi", NULL }, NULL, NULL, "[launch]\nproject = \n", QI_CONFIG_ERROR_PARSE, NULL },
};

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(QiLaunchConfig) config = NULL;
      g_autofree char *path = NULL;
      g_auto(GStrv) saved = g_strdupv (f->env.envp);

      g_autofree char *shown_arg = g_strescape (c->argv[1] ? c->argv[1] : "", NULL);
      g_autofree char *shown_config = g_strescape (c->config ? c->config : "", NULL);

      g_test_message ("case %u: %s %s", i, shown_arg, shown_config);
      if (c->env_name != NULL)
        qi_test_env_setenv (&f->env, c->env_name, c->env_value);
      if (c->config != NULL)
        path = qi_test_env_write_config (&f->env, FALSE, c->config);

      config = parse (f, c->argv, &error);
      g_assert_null (config);
      g_assert_error (error, QI_CONFIG_ERROR, c->code);
      if (c->message != NULL)
        {
          g_autofree char *expected = NULL;

          G_GNUC_BEGIN_IGNORE_DEPRECATIONS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
          expected = g_strdup_printf (c->message, path);
#pragma GCC diagnostic pop
          G_GNUC_END_IGNORE_DEPRECATIONS
          g_assert_cmpstr (error->message, ==, expected);
        }
      else
        {
          g_autofree char *prefix = g_strdup_printf ("%s:2:", path);
          g_assert_true (g_str_has_prefix (error->message, prefix));
        }

      if (path != NULL)
        g_remove (path);
      g_strfreev (f->env.envp);
      f->env.envp = g_steal_pointer (&saved);
    }
}

static void
test_to_json (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiLaunchConfig) config = parse (f, (const char * const []) { "qi", "--port=7", NULL }, &error);
  g_autoptr(JsonNode) plain = qi_launch_config_to_json (config, FALSE);
  g_autoptr(JsonNode) origin = qi_launch_config_to_json (config, TRUE);
  JsonObject *port;

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (plain), "port"), ==, 7);
  g_assert_true (json_object_get_null_member (json_node_get_object (plain), "project"));
  g_assert_true (json_object_has_member (json_node_get_object (plain), "addon-paths"));

  port = json_object_get_object_member (json_node_get_object (origin), "port");
  g_assert_cmpint (json_object_get_int_member (port, "value"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (port, "origin"), ==, "--port");
  g_assert_cmpstr (json_object_get_string_member (port, "source"), ==, "command-line");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/launch-config/defaults", test_defaults);
  ADD ("/qi/launch-config/command-line", test_command_line);
  ADD ("/qi/launch-config/precedence", test_precedence);
  ADD ("/qi/launch-config/config-dir", test_config_dir);
  ADD ("/qi/launch-config/environment", test_environment);
  ADD ("/qi/launch-config/help-version", test_help_version);
  ADD ("/qi/launch-config/bad-input", test_bad_input);
  ADD ("/qi/launch-config/to-json", test_to_json);
#undef ADD

  return g_test_run ();
}
