/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <unistd.h>

#include "qi-test-utils.h"

typedef struct
{
  QiTestEnv        env;
  char            *user_dir;
  char            *system_dir;
  QiConfigManager *config;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_env_setup (&f->env);
  f->user_dir = g_build_filename (f->env.root, "user", NULL);
  f->system_dir = g_build_filename (f->env.root, "system", NULL);
  f->config = qi_config_manager_new ();
  qi_config_manager_add_search_dir (f->config, f->user_dir, QI_CONFIG_SCOPE_USER);
  qi_config_manager_add_search_dir (f->config, f->system_dir, QI_CONFIG_SCOPE_SYSTEM);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->config);
  g_free (f->user_dir);
  g_free (f->system_dir);
  qi_test_env_teardown (&f->env);
}

static char *
write_file (const char *dir,
            const char *contents)
{
  char *path = g_build_filename (dir, "qi.toml", NULL);

  qi_test_env_write (path, contents);
  return path;
}

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) files = NULL;
  g_auto(GStrv) dirs = NULL;

  g_assert_true (qi_config_manager_load (f->config, &error));
  g_assert_no_error (error);

  files = qi_config_manager_dup_files (f->config);
  g_assert_cmpuint (g_strv_length (files), ==, 0);
  dirs = qi_config_manager_dup_search_dirs (f->config);
  g_assert_cmpuint (g_strv_length (dirs), ==, 2);
  g_assert_cmpstr (dirs[0], ==, f->user_dir);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (qi_config_manager_get_root (f->config)));
  g_assert_null (qi_config_manager_get_node (f->config, "/launch"));
  {
    g_autofree char *value = qi_config_manager_get_string (f->config, "/a/b", "fallback", &error);
    g_assert_cmpstr (value, ==, "fallback");
  }
  g_assert_no_error (error);
  g_assert_cmpstr (qi_service_get_name (QI_SERVICE (f->config)), ==, "config");
}

static void
test_merge (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *system = write_file (f->system_dir,
                                        "[server]\n"
                                        "host = \"0.0.0.0\"\n"
                                        "port = 80\n"
                                        "[paths]\n"
                                        "roots = [\"/mnt/a\", \"/mnt/b\"]\n"
                                        "only-system = true\n");
  g_autofree char *user = write_file (f->user_dir,
                                      "# the user's own\n"
                                      "[server]\n"
                                      "port = 8080\n"
                                      "[paths]\n"
                                      "roots = [\"/home/r\"]\n");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) files = NULL;
  g_auto(GStrv) roots = NULL;
  const char *file;
  guint line, column;
  QiConfigScope scope;

  g_assert_true (qi_config_manager_load (f->config, &error));
  g_assert_no_error (error);

  files = qi_config_manager_dup_files (f->config);
  g_assert_cmpuint (g_strv_length (files), ==, 2);
  g_assert_cmpstr (files[0], ==, user);
  g_assert_cmpstr (files[1], ==, system);

  /* Tables merge key by key; other values are replaced whole. */
  g_assert_cmpint (qi_config_manager_get_int (f->config, "/server/port", 0, &error), ==, 8080);
  {
    g_autofree char *host = qi_config_manager_get_string (f->config, "/server/host", NULL, &error);
    g_assert_cmpstr (host, ==, "0.0.0.0");
  }
  roots = qi_config_manager_get_strv (f->config, "/paths/roots", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (roots), ==, 1);
  g_assert_cmpstr (roots[0], ==, "/home/r");
  g_assert_true (qi_config_manager_get_boolean (f->config, "/paths/only-system", FALSE, &error));
  g_assert_no_error (error);

  g_assert_true (qi_config_manager_get_origin (f->config, "/server/port", &file, &line, &column, &scope));
  g_assert_cmpstr (file, ==, user);
  g_assert_cmpuint (line, ==, 3);
  g_assert_cmpuint (column, ==, 8);
  g_assert_cmpint (scope, ==, QI_CONFIG_SCOPE_USER);

  g_assert_true (qi_config_manager_get_origin (f->config, "/server/host", &file, &line, &column, &scope));
  g_assert_cmpstr (file, ==, system);
  g_assert_cmpuint (line, ==, 2);
  g_assert_cmpint (scope, ==, QI_CONFIG_SCOPE_SYSTEM);

  /* An element of an array comes from where the array was written. */
  g_assert_true (qi_config_manager_get_origin (f->config, "/paths/roots/0", &file, &line, NULL, NULL));
  g_assert_cmpstr (file, ==, user);
  g_assert_cmpuint (line, ==, 5);

  g_assert_false (qi_config_manager_get_origin (f->config, "/server/nope", NULL, NULL, NULL, NULL));
  g_assert_null (qi_config_manager_dup_origin (f->config, "/nope"));
}

static void
test_replace_table_with_value (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *system = write_file (f->system_dir, "[cache]\nsize = 10\n");
  g_autofree char *user = write_file (f->user_dir, "cache = \"off\"\n");
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_config_manager_load (f->config, &error));
  {
    g_autofree char *cache = qi_config_manager_get_string (f->config, "/cache", NULL, &error);
    g_assert_cmpstr (cache, ==, "off");
  }
  g_assert_no_error (error);
  g_assert_null (qi_config_manager_get_node (f->config, "/cache/size"));
  g_assert_false (qi_config_manager_get_origin (f->config, "/cache/size", NULL, NULL, NULL, NULL));
}

static void
test_typed_getters (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *user = write_file (f->user_dir,
                                      "name = \"Qi\"\n"
                                      "count = 3\n"
                                      "ratio = 0.5\n"
                                      "on = true\n"
                                      "when = 2026-11-25T10:00:00+01:00\n"
                                      "day = 2026-11-25\n"
                                      "list = [\"a\", \"b\"]\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) day = NULL;
  g_auto(GStrv) list = NULL;
  g_autofree char *name = NULL;

  g_assert_true (qi_config_manager_load (f->config, &error));

  name = qi_config_manager_get_string (f->config, "/name", NULL, &error);
  g_assert_cmpstr (name, ==, "Qi");
  g_assert_cmpint (qi_config_manager_get_int (f->config, "/count", 0, &error), ==, 3);
  g_assert_cmpfloat (qi_config_manager_get_double (f->config, "/ratio", 0, &error), ==, 0.5);
  /* An integer is a fine float. */
  g_assert_cmpfloat (qi_config_manager_get_double (f->config, "/count", 0, &error), ==, 3.0);
  g_assert_true (qi_config_manager_get_boolean (f->config, "/on", FALSE, &error));
  list = qi_config_manager_get_strv (f->config, "/list", &error);
  g_assert_cmpuint (g_strv_length (list), ==, 2);
  g_assert_no_error (error);

  when = qi_config_manager_get_datetime (f->config, "/when", &error);
  g_assert_no_error (error);
  g_assert_nonnull (when);
  g_assert_cmpint (g_date_time_get_hour (when), ==, 10);
  g_assert_cmpint (g_date_time_get_utc_offset (when), ==, G_TIME_SPAN_HOUR);

  day = qi_config_manager_get_datetime (f->config, "/day", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_get_day_of_month (day), ==, 25);
}

static void
test_wrong_types (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *user = write_file (f->user_dir,
                                      "[server]\n"
                                      "port = \"8080\"\n"
                                      "debug = 1\n"
                                      "name = 3.5\n"
                                      "hosts = \"a\"\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *name = NULL;

  g_assert_true (qi_config_manager_load (f->config, &error));

  g_assert_cmpint (qi_config_manager_get_int (f->config, "/server/port", 42, &error), ==, 42);
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_WRONG_TYPE);
  expected = g_strdup_printf ("%s:2:8: server.port must be an integer, not a string", user);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  g_assert_false (qi_config_manager_get_boolean (f->config, "/server/debug", FALSE, &error));
  expected = g_strdup_printf ("%s:3:9: server.debug must be a boolean (true or false), not an integer", user);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  name = qi_config_manager_get_string (f->config, "/server/name", NULL, &error);
  g_assert_null (name);
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_WRONG_TYPE);
  g_clear_error (&error);

  g_assert_null (qi_config_manager_get_strv (f->config, "/server/hosts", &error));
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_WRONG_TYPE);
  g_clear_error (&error);

  g_assert_null (qi_config_manager_get_datetime (f->config, "/server/port", &error));
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_WRONG_TYPE);
  g_clear_error (&error);

  g_assert_cmpfloat (qi_config_manager_get_double (f->config, "/server", 1.0, &error), ==, 1.0);
  expected = g_strdup_printf ("%s:1:1: server must be a number, not a table", user);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_parse_error_keeps_state (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *user = write_file (f->user_dir, "[server]\nport = 1\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = NULL;

  g_assert_true (qi_config_manager_load (f->config, &error));
  g_assert_cmpint (qi_config_manager_get_int (f->config, "/server/port", 0, &error), ==, 1);

  /* A broken file leaves the loaded configuration untouched. */
  g_free (write_file (f->system_dir, "[server\n"));
  g_assert_false (qi_config_manager_load (f->config, &error));
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_PARSE);
  prefix = g_strdup_printf ("%s/qi.toml:1:", f->system_dir);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpint (qi_config_manager_get_int (f->config, "/server/port", 0, NULL), ==, 1);
}

static void
test_broken_link (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->user_dir, "qi.toml", NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  /* A qi.toml on a share that is not mounted is an error, not "none". */
  g_assert_cmpint (g_mkdir_with_parents (f->user_dir, 0700), ==, 0);
  g_assert_cmpint (symlink ("/nonexistent/studio/qi.toml", path), ==, 0);
  g_assert_false (qi_config_manager_load (f->config, &error));
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_IO);
  expected = g_strdup_printf ("%s: the file is a link to /nonexistent/studio/qi.toml, which does not exist", path);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_same_dir_once (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dotted = g_build_filename (f->user_dir, ".", NULL);
  g_autofree char *file = write_file (f->user_dir, "a = 1\n");
  g_auto(GStrv) dirs = NULL;
  g_auto(GStrv) files = NULL;

  qi_config_manager_add_search_dir (f->config, dotted, QI_CONFIG_SCOPE_SYSTEM);
  dirs = qi_config_manager_dup_search_dirs (f->config);
  g_assert_cmpuint (g_strv_length (dirs), ==, 2);
  g_assert_true (qi_config_manager_load (f->config, NULL));
  files = qi_config_manager_dup_files (f->config);
  g_assert_cmpuint (g_strv_length (files), ==, 1);
}

static void
test_unreadable (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->user_dir, "qi.toml", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_false (qi_config_manager_load (f->config, &error));
  g_assert_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, dir));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/config-manager/empty", test_empty);
  ADD ("/qi/config-manager/merge", test_merge);
  ADD ("/qi/config-manager/replace-table-with-value", test_replace_table_with_value);
  ADD ("/qi/config-manager/typed-getters", test_typed_getters);
  ADD ("/qi/config-manager/wrong-types", test_wrong_types);
  ADD ("/qi/config-manager/parse-error-keeps-state", test_parse_error_keeps_state);
  ADD ("/qi/config-manager/unreadable", test_unreadable);
  ADD ("/qi/config-manager/broken-link", test_broken_link);
  ADD ("/qi/config-manager/same-dir-once", test_same_dir_once);
#undef ADD

  return g_test_run ();
}
