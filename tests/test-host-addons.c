/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* The host addons of addons/ (the modules of this build) loaded by an
 * addon manager: each adds its host, whose launch environment keeps a
 * studio's values after Qi's, and the hosts' own vfuncs (Houdini's “&”,
 * Blender's user scripts and background, Hiero's mode, Resolve's
 * scripting) do what they say. The pytest suite runs the same through
 * `qi`; this one runs the kit's C under the sanitizers. */

static const char * const hosts[] = {
  "maya", "nuke", "houdini", "blender", "substance-painter", "mari", "hiero", "resolve", "3de", NULL
};

typedef struct
{
  QiHub          *hub;
  QiCliManager   *cli;
  QiRestRouter   *router;
  QiAddonManager *manager;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) load = NULL;

  for (guint i = 0; hosts[i] != NULL; i++)
    {
      g_autofree char *name = g_strconcat ("host-", hosts[i], NULL);

      g_strv_builder_add (names, name);
    }
  load = g_strv_builder_end (names);
  f->hub = qi_hub_new ();
  f->cli = qi_cli_manager_new ();
  f->router = qi_rest_router_new ();
  f->manager = qi_addon_manager_new ();
  qi_addon_manager_add_search_path (f->manager, g_getenv ("QI_ADDON_DIR"));
  g_object_set (f->manager, "hub", f->hub, "cli-manager", f->cli, "router", f->router, NULL);
  qi_addon_manager_discover (f->manager);
  qi_addon_manager_load (f->manager, (const char * const *) load);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->manager);
  g_clear_object (&f->router);
  g_clear_object (&f->cli);
  g_clear_object (&f->hub);
}

static char **
environment_of (Fixture            *f,
                const char         *name,
                const char * const *base)
{
  QiHost *host = qi_addon_manager_lookup_host (f->manager, name);
  g_autoptr(GError) error = NULL;
  char **env;

  g_assert_nonnull (host);
  env = qi_host_build_environment (host, base, &error);
  g_assert_no_error (error);
  return env;
}

static void
test_loaded (Fixture       *f,
             gconstpointer  data)
{
  for (guint i = 0; hosts[i] != NULL; i++)
    {
      g_autofree char *addon = g_strconcat ("host-", hosts[i], NULL);
      g_autofree char *suffix = g_build_filename (addon, "host", hosts[i], NULL);
      g_autofree char *expected_python = NULL;
      QiAddonInfo *info = qi_addon_manager_lookup (f->manager, addon);
      QiHost *host = qi_addon_manager_lookup_host (f->manager, hosts[i]);
      g_auto(GStrv) env = NULL;
      g_auto(GStrv) again = NULL;
      g_auto(GStrv) python = NULL;
      const char * const base[] = { "PYTHONPATH=/studio/python", "HOME=/home/ada", NULL };

      g_assert_nonnull (info);
      g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_LOADED);
      g_assert_nonnull (host);
      g_assert_cmpstr (qi_host_get_addon (host), ==, addon);
      g_assert_true (g_str_has_suffix (qi_host_get_plugin_folder (host), suffix));
      g_assert_true (g_file_test (qi_host_get_plugin_folder (host), G_FILE_TEST_IS_DIR));
      g_assert_nonnull (qi_host_get_executables (host)[0]);

      env = environment_of (f, hosts[i], base);
      g_assert_cmpstr (g_environ_getenv (env, "QI_HOST"), ==, hosts[i]);
      g_assert_cmpstr (g_environ_getenv (env, "QI_HOST_PYTHONPATH"), ==, qi_host_get_python_path ());
      python = g_strsplit (g_environ_getenv (env, "PYTHONPATH"), G_SEARCHPATH_SEPARATOR_S, -1);
      expected_python = g_strdup (g_str_equal (hosts[i], "maya") ? python[1] : python[0]);
      g_assert_cmpstr (expected_python, ==, qi_host_get_python_path ());
      g_assert_true (g_strv_contains ((const char * const *) python, "/studio/python"));
      g_assert_cmpstr (g_environ_getenv (env, "HOME"), ==, "/home/ada");

      /* from its own result, the same */
      again = environment_of (f, hosts[i], (const char * const *) env);
      g_assert_cmpstrv (again, env);
    }
}

static void
test_studio_values (Fixture       *f,
                    gconstpointer  data)
{
  struct { const char *host; const char *variable; } prepended[] = {
    { "maya", "MAYA_SCRIPT_PATH" }, { "maya", "MAYA_MODULE_PATH" }, { "nuke", "NUKE_PATH" },
    { "hiero", "HIERO_PLUGIN_PATH" }, { "substance-painter", "SUBSTANCE_PAINTER_PLUGINS_PATH" },
    { "mari", "MARI_SCRIPT_PATH" }, { "3de", "PYTHON_CUSTOM_SCRIPTS_3DE4" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (prepended); i++)
    {
      QiHost *host = qi_addon_manager_lookup_host (f->manager, prepended[i].host);
      g_autofree char *studio = g_strdup_printf ("%s=/studio/a:/studio/b", prepended[i].variable);
      g_autofree char *expected = g_strdup_printf ("%s:/studio/a:/studio/b", qi_host_get_plugin_folder (host));
      const char * const base[] = { studio, NULL };
      g_auto(GStrv) env = environment_of (f, prepended[i].host, base);

      g_assert_cmpstr (g_environ_getenv (env, prepended[i].variable), ==, expected);
    }
}

static void
test_houdini (Fixture       *f,
              gconstpointer  data)
{
  const char *folder = qi_host_get_plugin_folder (qi_addon_manager_lookup_host (f->manager, "houdini"));
  /* after Qi's folder: the studio's entries, and “&” once */
  struct { const char *studio; const char *expected; } cases[] = {
    { NULL, ":&" },
    { "HOUDINI_PATH=/studio/h", ":/studio/h:&" },
    { "HOUDINI_PATH=/studio/h:&:/late", ":/studio/h:&:/late" },
    { "HOUDINI_PATH=/studio/h;&", ":/studio/h;&" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char * const base[] = { cases[i].studio, NULL };
      g_auto(GStrv) env = environment_of (f, "houdini", base);
      g_autofree char *expected = g_strconcat (folder, cases[i].expected, NULL);

      g_assert_cmpstr (g_environ_getenv (env, "HOUDINI_PATH"), ==, expected);
    }
}

static char *
command_line (Fixture            *f,
              const char         *name,
              const char * const *app_arguments,
              const char         *workfile,
              const char * const *extra)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = qi_host_build_arguments (qi_addon_manager_lookup_host (f->manager, name), "dcc",
                                                app_arguments, workfile, extra, &error);

  g_assert_no_error (error);
  return g_strjoinv ("|", argv);
}

static void
test_blender (Fixture       *f,
              gconstpointer  data)
{
  const char *folder = qi_host_get_plugin_folder (qi_addon_manager_lookup_host (f->manager, "blender"));
  const char * const studio[] = { "BLENDER_USER_SCRIPTS=/studio/blender", NULL };
  g_auto(GStrv) env = environment_of (f, "blender", studio);
  g_auto(GStrv) again = environment_of (f, "blender", (const char * const *) env);
  g_auto(GStrv) bare = environment_of (f, "blender", NULL);
  g_autofree char *line = NULL;

  g_assert_cmpstr (g_environ_getenv (env, "BLENDER_USER_SCRIPTS"), ==, folder);
  g_assert_cmpstr (g_environ_getenv (env, "QI_BLENDER_STUDIO_SCRIPTS"), ==, "/studio/blender");
  g_assert_cmpstr (g_environ_getenv (again, "QI_BLENDER_STUDIO_SCRIPTS"), ==, "/studio/blender");
  g_assert_null (g_environ_getenv (bare, "QI_BLENDER_STUDIO_SCRIPTS"));

  line = command_line (f, "blender", (const char * const []) { "-b", NULL }, "/w/a.blend",
                       (const char * const []) { "--", "x", NULL });
  g_assert_cmpstr (line, ==, "dcc|-b|/w/a.blend|--python-exit-code|1|--python-expr|"
                             "import qi_blender; qi_blender.serve_background()|--|x");
  g_clear_pointer (&line, g_free);
  line = command_line (f, "blender", (const char * const []) { "-b", "-P", "render.py", NULL }, NULL, NULL);
  g_assert_cmpstr (line, ==, "dcc|-b|-P|render.py");
  g_clear_pointer (&line, g_free);
  line = command_line (f, "blender", NULL, "/w/a.blend", NULL);
  g_assert_cmpstr (line, ==, "dcc|/w/a.blend");
}

static void
test_hiero_and_resolve (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *line = command_line (f, "hiero", NULL, "/w/p.hrox", NULL);
  const char * const studio[] = { "RESOLVE_SCRIPT_API=/home/resolve/Developer/Scripting", NULL };
  g_auto(GStrv) env = environment_of (f, "resolve", studio);
  g_autofree char *python = g_strdup_printf ("%s:/home/resolve/Developer/Scripting/Modules",
                                             qi_host_get_python_path ());

  g_assert_cmpstr (line, ==, "dcc|--hiero|/w/p.hrox");
  g_clear_pointer (&line, g_free);
  line = command_line (f, "hiero", (const char * const []) { "--studio", NULL }, NULL, NULL);
  g_assert_cmpstr (line, ==, "dcc|--studio");
  g_clear_pointer (&line, g_free);
  line = command_line (f, "maya", NULL, "/w/a b.ma", NULL);
  g_assert_cmpstr (line, ==, "dcc|-file|/w/a b.ma");

  g_assert_cmpstr (g_environ_getenv (env, "RESOLVE_SCRIPT_API"), ==, "/home/resolve/Developer/Scripting");
  g_assert_cmpstr (g_environ_getenv (env, "RESOLVE_SCRIPT_LIB"), ==, "/opt/resolve/libs/Fusion/fusionscript.so");
  g_assert_cmpstr (g_environ_getenv (env, "PYTHONPATH"), ==, python);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/host-addons/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("loaded", test_loaded);
  ADD ("studio-values", test_studio_values);
  ADD ("houdini", test_houdini);
  ADD ("blender", test_blender);
  ADD ("hiero-and-resolve", test_hiero_and_resolve);

  return g_test_run ();
}
