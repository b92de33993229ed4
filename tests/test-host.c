/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* QiHost: what a host says, the executables it finds, and the launch
 * environment it builds, with and without its addon. */

typedef struct
{
  char        *root;     /* scratch folder */
  char        *addon;    /* an addon folder in it, with host/blender */
  QiAddonInfo *info;
  QiAddon     *owner;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plugin = NULL;

  f->root = g_dir_make_tmp ("qi-host-XXXXXX", &error);
  g_assert_no_error (error);
  f->addon = g_build_filename (f->root, "blender-addon", NULL);
  plugin = g_build_filename (f->addon, "host", "blender", "startup.py", NULL);
  qi_test_env_write (plugin, "print('hello from Qi')\n");
  f->info = qi_addon_info_new_for_path (f->addon, &error);
  g_assert_no_error (error);
  f->owner = g_object_new (QI_TYPE_ADDON, "info", f->info, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->owner);
  g_clear_object (&f->info);
  qi_test_remove_tree (f->root);
  g_free (f->root);
  g_free (f->addon);
}

/* A host that sets a variable from another, or fails. */
#define TEST_TYPE_HOST (test_host_get_type ())
G_DECLARE_FINAL_TYPE (TestHost, test_host, TEST, HOST, QiHost)

struct _TestHost
{
  QiHost   parent_instance;
  gboolean fail;
  gboolean fail_silently;
  gboolean refuse_arguments;
};

G_DEFINE_FINAL_TYPE (TestHost, test_host, QI_TYPE_HOST)

static char **
test_host_adjust_environment (QiHost  *host,
                              char   **envp,
                              GError **error)
{
  TestHost *self = TEST_HOST (host);
  const char *python = g_environ_getenv (envp, "PYTHONPATH");
  g_auto(GStrv) entries = g_strsplit (python != NULL ? python : "", ":", 2);

  if (self->fail || self->fail_silently)
    {
      g_strfreev (envp);
      if (self->fail)
        g_set_error_literal (error, QI_HOST_ERROR, QI_HOST_ERROR_FAILED, "no licence server");
      return NULL;
    }
  envp = g_environ_setenv (envp, "BLENDER_SYSTEM_SCRIPTS", entries[0] != NULL ? entries[0] : "", TRUE);
  return g_environ_unsetenv (envp, "BLENDER_DEBUG");
}

/* In the background, a start-up script after the arguments; a refusal. */
static gboolean
test_host_adjust_arguments (QiHost     *host,
                            GPtrArray  *argv,
                            GError    **error)
{
  if (TEST_HOST (host)->refuse_arguments)
    {
      g_set_error_literal (error, QI_HOST_ERROR, QI_HOST_ERROR_FAILED, "no display and no --background");
      return FALSE;
    }
  for (guint i = 0; i < argv->len; i++)
    if (g_str_equal (argv->pdata[i], "--background"))
      {
        g_ptr_array_add (argv, g_strdup ("--python-expr"));
        g_ptr_array_add (argv, g_strdup ("import qi_host; qi_host.serve()"));
        break;
      }
  return TRUE;
}

static void
test_host_class_init (TestHostClass *klass)
{
  QI_HOST_CLASS (klass)->adjust_environment = test_host_adjust_environment;
  QI_HOST_CLASS (klass)->adjust_arguments = test_host_adjust_arguments;
}

static void
test_host_init (TestHost *self)
{
}

static void
test_properties (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(QiHost) host = qi_host_new ("blender", "Blender");
  g_autoptr(QiHost) unlabelled = qi_host_new ("nuke", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  const char * const executables[] = { "blender", "/opt/blender/blender", NULL };

  g_assert_true (qi_host_name_is_valid ("blender"));
  g_assert_true (qi_host_name_is_valid ("3de"));
  g_assert_false (qi_host_name_is_valid ("Blender"));
  g_assert_false (qi_host_name_is_valid ("sub stance"));
  g_assert_false (qi_host_name_is_valid (""));

  g_assert_cmpstr (qi_host_get_name (host), ==, "blender");
  g_assert_cmpstr (qi_host_get_label (host), ==, "Blender");
  g_assert_cmpstr (qi_host_get_label (unlabelled), ==, "nuke");
  g_assert_null (qi_host_get_addon (host));

  g_assert_true (qi_host_add_executable (host, "blender", &error));
  g_assert_true (qi_host_add_executable (host, "/opt/blender/blender", &error));
  g_assert_no_error (error);
  g_assert_false (qi_host_add_executable (host, "bin/blender", &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "host “blender”: the executable “bin/blender” is neither a program name nor an absolute path");
  g_clear_error (&error);
  g_assert_false (qi_host_add_executable (host, "", &error));
  g_clear_error (&error);
  g_assert_cmpstrv (qi_host_get_executables (host), executables);

  g_assert_false (qi_host_set_env (host, "2BAD", "x", &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (qi_host_set_env (host, "A=B", "x", &error));
  g_clear_error (&error);
  g_assert_false (qi_host_prepend_env (host, "PYTHONPATH", "", &error));
  g_clear_error (&error);
  g_assert_false (qi_host_prepend_env (host, "PYTHONPATH", "{plugin_fodler}/lib", &error));
  g_assert_cmpstr (error->message, ==,
                   "host “blender”: PYTHONPATH={plugin_fodler}/lib names “{plugin_fodler}”; the placeholders are "
                   "{plugin_folder}, {addon_folder} and {qi_python}");
  g_clear_error (&error);
  g_assert_true (qi_host_prepend_env (host, "PYTHONPATH", "{plugin_folder}", &error));
  g_assert_true (qi_host_set_env (host, "QI_BLENDER_MODE", "{literal braces stay}", &error));
  g_assert_no_error (error);

  g_assert_false (qi_host_add_menu_item (host, "", "publisher.open", &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (qi_host_add_menu_item (host, "Publish…", "not a topic", &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (qi_host_add_menu_item (host, "Publish…", "publisher.open", &error));
  g_assert_no_error (error);

  qi_host_set_plugin_folder (host, "host/blender");
  json = qi_host_to_json (host);
  text = json_to_string (json, FALSE);
  g_assert_cmpstr (text, ==,
                   "{\"name\":\"blender\",\"label\":\"Blender\",\"addon\":null,"
                   "\"executables\":[\"blender\",\"/opt/blender/blender\"],\"plugin_folder\":\"host/blender\","
                   "\"environment\":[{\"name\":\"PYTHONPATH\",\"op\":\"prepend\",\"value\":\"{plugin_folder}\"},"
                   "{\"name\":\"QI_BLENDER_MODE\",\"op\":\"set\",\"value\":\"{literal braces stay}\"}],"
                   "\"menu\":[{\"label\":\"Publish…\",\"topic\":\"publisher.open\"}]}");
}

static void
test_find_executable (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(QiHost) host = qi_host_new ("blender", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *bin = g_build_filename (f->root, "bin", NULL);
  g_autofree char *other = g_build_filename (f->root, "other", NULL);
  g_autofree char *program = g_build_filename (bin, "blender-4.1", NULL);
  g_autofree char *not_executable = g_build_filename (other, "blender", NULL);
  g_autofree char *folder = g_build_filename (other, "blender-4.1", NULL);
  g_autofree char *path = g_strconcat (other, ":relative:", bin, NULL);
  g_autofree char *found = NULL;

  g_assert_null (qi_host_find_executable (host, path, &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "host “blender” names no executable");
  g_clear_error (&error);

  qi_test_env_write (program, "#!/bin/sh\n");
  g_assert_cmpint (g_chmod (program, 0755), ==, 0);
  qi_test_env_write (not_executable, "#!/bin/sh\n");
  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);

  g_assert_true (qi_host_add_executable (host, "/nonexistent/blender", NULL));
  g_assert_true (qi_host_add_executable (host, "blender", NULL));
  g_assert_null (qi_host_find_executable (host, path, &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_NOT_FOUND);
  {
    g_autofree char *expected = g_strdup_printf ("host “blender”: none of /nonexistent/blender, blender is installed "
                                                 "(searched %s)", path);

    g_assert_cmpstr (error->message, ==, expected);
  }
  g_clear_error (&error);

  /* A folder and a file that cannot run are skipped; the first that runs wins. */
  g_assert_true (qi_host_add_executable (host, "blender-4.1", NULL));
  found = qi_host_find_executable (host, path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, program);
  g_clear_pointer (&found, g_free);

  g_assert_true (qi_host_add_executable (host, "/bin/sh", NULL));
  found = qi_host_find_executable (host, "", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "/bin/sh");
}

static char *
getenv_of (char       **envp,
           const char  *name)
{
  return g_strdup (g_environ_getenv (envp, name));
}

static void
test_environment (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TestHost) host = g_object_new (TEST_TYPE_HOST, "name", "blender", "label", "Blender", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = NULL;
  g_autofree char *plugin = g_build_filename (f->addon, "host", "blender", NULL);
  g_autofree char *python = NULL;
  g_autofree char *expected = NULL;
  const char * const base[] = {
    "PATH=/usr/bin:/bin", "PYTHONPATH=/studio/python::/x", "BLENDER_DEBUG=1", "HOME=/home/ada", NULL
  };
  const char * const base_copy[] = {
    "PATH=/usr/bin:/bin", "PYTHONPATH=/studio/python::/x", "BLENDER_DEBUG=1", "HOME=/home/ada", NULL
  };

  g_assert_true (qi_host_prepend_env (QI_HOST (host), "PYTHONPATH", "{plugin_folder}", &error));
  g_assert_true (qi_host_prepend_env (QI_HOST (host), "BLENDER_USER_SCRIPTS", "{plugin_folder}", &error));
  g_assert_true (qi_host_set_env (QI_HOST (host), "QI_ADDON_ROOT", "{addon_folder}", &error));
  g_assert_true (qi_host_set_env (QI_HOST (host), "PATH", "/opt/blender:/usr/bin", &error));
  g_assert_no_error (error);

  /* Before an addon has it: {plugin_folder} and {addon_folder} are unknown. */
  env = qi_host_build_environment (QI_HOST (host), base, &error);
  g_assert_null (env);
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER);
  g_assert_cmpstr (error->message, ==,
                   "host “blender”: PYTHONPATH names {plugin_folder}, but the host has no plugin folder "
                   "(qi_host_set_plugin_folder(), then add it to its addon)");
  g_clear_error (&error);

  /* A plugin folder outside the addon's is refused. */
  for (const char * const *bad = (const char * const []) { "../elsewhere", "/etc", "host/../../x", NULL };
       *bad != NULL; bad++)
    {
      qi_host_set_plugin_folder (QI_HOST (host), *bad);
      g_assert_false (qi_addon_add_host (f->owner, QI_HOST (host), &error));
      g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER);
      g_clear_error (&error);
    }

  qi_host_set_plugin_folder (QI_HOST (host), "host/blender");
  g_assert_true (qi_addon_add_host (f->owner, QI_HOST (host), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qi_host_get_addon (QI_HOST (host)), ==, "blender-addon");
  g_assert_cmpstr (qi_host_get_plugin_folder (QI_HOST (host)), ==, plugin);

  env = qi_host_build_environment (QI_HOST (host), base, &error);
  g_assert_no_error (error);
  /* The base is left as it was. */
  g_assert_cmpstrv (base, base_copy);

  python = getenv_of (env, "PYTHONPATH");
  expected = g_strconcat (plugin, ":/studio/python:/x", NULL);
  g_assert_cmpstr (python, ==, expected);
  g_assert_cmpstr (g_environ_getenv (env, "BLENDER_USER_SCRIPTS"), ==, plugin);
  g_assert_cmpstr (g_environ_getenv (env, "QI_ADDON_ROOT"), ==, f->addon);
  g_assert_cmpstr (g_environ_getenv (env, "PATH"), ==, "/opt/blender:/usr/bin");
  g_assert_cmpstr (g_environ_getenv (env, "HOME"), ==, "/home/ada");
  g_assert_cmpstr (g_environ_getenv (env, "QI_HOST"), ==, "blender");
  g_assert_cmpstr (g_environ_getenv (env, "QI_HOST_PLUGIN_FOLDER"), ==, plugin);
  /* The subclass had the last word. */
  g_assert_cmpstr (g_environ_getenv (env, "BLENDER_SYSTEM_SCRIPTS"), ==, plugin);
  g_assert_null (g_environ_getenv (env, "BLENDER_DEBUG"));

  /* Built again from its own result, the environment is the same:
   * prepending moves an entry to the front, never repeats it. */
  {
    g_auto(GStrv) again = qi_host_build_environment (QI_HOST (host), (const char * const *) env, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (g_environ_getenv (again, "PYTHONPATH"), ==, expected);
    g_assert_cmpuint (g_strv_length (again), ==, g_strv_length (env));
  }

  /* No base: an empty one. */
  {
    g_auto(GStrv) bare = qi_host_build_environment (QI_HOST (host), NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (g_environ_getenv (bare, "PYTHONPATH"), ==, plugin);
    g_assert_null (g_environ_getenv (bare, "HOME"));
  }

  /* The subclass fails, with and without saying why. */
  host->fail = TRUE;
  g_assert_null (qi_host_build_environment (QI_HOST (host), base, &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "no licence server");
  g_clear_error (&error);
  host->fail = FALSE;
  host->fail_silently = TRUE;
  g_assert_null (qi_host_build_environment (QI_HOST (host), base, &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "host “blender”: adjusting the environment failed without saying why");
  g_clear_error (&error);
  host->fail_silently = FALSE;

  /* The plugin folder went away (an unmounted share). */
  {
    g_autofree char *startup = g_build_filename (plugin, "startup.py", NULL);

    g_assert_cmpint (g_unlink (startup), ==, 0);
    g_assert_cmpint (g_rmdir (plugin), ==, 0);
    g_assert_null (qi_host_build_environment (QI_HOST (host), base, &error));
    g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER);
    expected = (g_free (expected), g_strdup_printf ("host “blender” of the addon “blender-addon”: its plugin folder "
                                                    "“%s” does not exist", plugin));
    g_assert_cmpstr (error->message, ==, expected);
    g_clear_error (&error);
  }

  /* Added twice: refused; a second host of the name too. */
  {
    g_autoptr(QiHost) twin = qi_host_new ("blender", NULL);
    g_autoptr(QiHost) bad = qi_host_new ("Blender 4", NULL);

    g_assert_false (qi_addon_add_host (f->owner, QI_HOST (host), &error));
    g_assert_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT);
    g_clear_error (&error);
    g_assert_false (qi_addon_add_host (f->owner, twin, &error));
    g_assert_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT);
    g_assert_cmpstr (error->message, ==,
                     "the addon “blender-addon” provides the host “blender” already; “blender-addon” cannot "
                     "provide it too");
    g_clear_error (&error);
    g_assert_false (qi_addon_add_host (f->owner, bad, &error));
    g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID);
  }
}

/* The command line: program, the application's arguments, the workfile
 * the host's way, the user's; {qi_python} in the environment. */
static void
test_arguments (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(TestHost) host = g_object_new (TEST_TYPE_HOST, "name", "maya", "label", "Maya", NULL);
  g_autoptr(QiHost) plain = qi_host_new ("nuke", "Nuke");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) env = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *expected = NULL;

  /* without workfile arguments, the workfile comes first after the app's */
  argv = qi_host_build_arguments (plain, "/usr/local/nuke/Nuke15", (const char * const []) { "--nukex", NULL },
                                  "/w/sh010_comp_v003.nk", (const char * const []) { "-V", NULL }, &error);
  g_assert_no_error (error);
  joined = g_strjoinv (" ", argv);
  g_assert_cmpstr (joined, ==, "/usr/local/nuke/Nuke15 --nukex /w/sh010_comp_v003.nk -V");
  g_clear_pointer (&argv, g_strfreev);
  g_clear_pointer (&joined, g_free);

  /* the host's way; none without a workfile */
  g_assert_false (qi_host_set_workfile_arguments (QI_HOST (host), (const char * const []) { "-file", NULL }, &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "host “maya”: the workfile arguments must name {workfile}");
  g_clear_error (&error);
  g_assert_true (qi_host_set_workfile_arguments (QI_HOST (host), (const char * const []) { "-file", "{workfile}", NULL },
                                                 &error));
  argv = qi_host_build_arguments (QI_HOST (host), "maya", NULL, "/w/a b.ma", NULL, &error);
  g_assert_no_error (error);
  joined = g_strjoinv ("|", argv);
  g_assert_cmpstr (joined, ==, "maya|-file|/w/a b.ma");
  g_clear_pointer (&argv, g_strfreev);
  g_clear_pointer (&joined, g_free);
  argv = qi_host_build_arguments (QI_HOST (host), "maya", NULL, NULL, (const char * const []) { "--background", NULL },
                                  &error);
  joined = g_strjoinv ("|", argv);
  g_assert_cmpstr (joined, ==, "maya|--background|--python-expr|import qi_host; qi_host.serve()");
  g_clear_pointer (&argv, g_strfreev);

  /* the subclass's refusal stops the launch, in its words */
  host->refuse_arguments = TRUE;
  g_assert_null (qi_host_build_arguments (QI_HOST (host), "maya", NULL, NULL, NULL, &error));
  g_assert_error (error, QI_HOST_ERROR, QI_HOST_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "no display and no --background");
  g_clear_error (&error);

  /* {qi_python}: Qi's Python package, first on the DCC's path */
  g_assert_true (qi_host_prepend_env (plain, "PYTHONPATH", "{qi_python}", &error));
  g_assert_false (qi_host_prepend_env (plain, "NUKE_PATH", "{qi_pyhton}", &error));
  g_assert_true (g_str_has_suffix (error->message, "the placeholders are {plugin_folder}, {addon_folder} and "
                                                   "{qi_python}"));
  g_clear_error (&error);
  env = qi_host_build_environment (plain, (const char * const []) { "PYTHONPATH=/studio/py", NULL }, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%s:/studio/py", qi_host_get_python_path ());
  g_assert_cmpstr (g_environ_getenv (env, "PYTHONPATH"), ==, expected);
  g_assert_cmpstr (qi_host_get_python_path (), ==, g_getenv ("QI_PYTHON_PATH"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/host/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("properties", test_properties);
  ADD ("find-executable", test_find_executable);
  ADD ("environment", test_environment);
  ADD ("arguments", test_arguments);

  return g_test_run ();
}
