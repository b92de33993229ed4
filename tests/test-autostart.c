/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* `qi --headless autostart enable | disable | status` through the real qi,
 * in a scratch XDG_CONFIG_HOME: the entry it writes, and one it did not
 * write, which it neither replaces nor removes. */

static void
test_autostart (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("qi-autostart-XXXXXX", &error);
  g_autofree char *config = g_build_filename (root, "config", NULL);
  g_autofree char *entry = g_build_filename (config, "autostart", "org.qi.Qi.desktop", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;

  g_assert_no_error (error);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "status", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "disabled\n");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "enable", NULL), ==, 0);
  g_assert_true (g_key_file_load_from_file (file, entry, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  {
    g_autofree char *exec = g_key_file_get_string (file, "Desktop Entry", "Exec", NULL);

    g_assert_cmpstr (exec, ==, "qi");
  }
  g_assert_true (g_key_file_get_boolean (file, "Desktop Entry", "X-Qi-Autostart", NULL));
  expected = g_strdup_printf ("enabled: %s\n", entry);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "status", NULL), ==, 0);
  g_assert_cmpstr (out, ==, expected);
  /* Enabling again rewrites Qi's own entry. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "enable", NULL), ==, 0);

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "disable", NULL), ==, 0);
  g_assert_false (g_file_test (entry, G_FILE_TEST_EXISTS));
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "disable", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "Qi does not start when you log in.\n");

  /* The user's own entry of that name is left as it is. */
  qi_test_env_write (entry, "[Desktop Entry]\nType=Application\nName=Qi (studio)\nExec=/studio/bin/qi\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "enable", NULL), ==, 1);
  g_assert_true (g_str_has_suffix (err, "org.qi.Qi.desktop exists and was not written by Qi; it is left as it is "
                                        "(edit or remove it yourself)\n"));
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "disable", NULL), ==, 1);
  g_assert_true (g_file_get_contents (entry, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "[Desktop Entry]\nType=Application\nName=Qi (studio)\nExec=/studio/bin/qi\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "autostart", "status", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"state\": \"foreign\""));

  qi_test_remove_tree (root);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qi/autostart", test_autostart);
  return g_test_run ();
}
