/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <qi/qi.h>

#include "qi-file-transfer.h"

/* The publish addon: QiFileTransfer on real files (copy with SHA-256,
 * hard links, clones, resumption, refusals, undo, cancellation), and the
 * integrator of a real `qi --headless serve` driven over its WebSocket,
 * which must then stop cleanly (under the sanitizers, a leak fails it). */

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dir = g_dir_make_tmp ("qi-test-publish-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static char *
write_file (Fixture    *fixture,
            const char *name,
            gsize       size,
            guint       seed)
{
  g_autofree guint8 *data = g_malloc (size + 1);
  char *path = g_build_filename (fixture->dir, name, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *folder = g_path_get_dirname (path);

  for (gsize i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, (char *) data, size, NULL));
  return path;
}

static char *
sha256_of (const char *path)
{
  g_autofree char *data = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *) data, length);
}

static char *
dest (Fixture    *fixture,
      const char *name)
{
  return g_build_filename (fixture->dir, "publish", "v001", name, NULL);
}

static void
test_copy (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(QiFileTransfer) transfer = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "7");
  g_autofree char *a = write_file (fixture, "src/a.1001.exr", 3 * 1048576 + 17, 1);
  g_autofree char *b = write_file (fixture, "src/b.1002.exr", 0, 2);
  g_autofree char *da = dest (fixture, "a.1001.exr");
  g_autofree char *db = dest (fixture, "b.1002.exr");
  g_autofree char *sa = sha256_of (a);
  g_autofree char *sb = sha256_of (b);
  g_autofree char *temp = qi_file_transfer_temp_path (da, "7");
  g_autofree char *expected_temp = g_build_filename (fixture->dir, "publish", "v001", ".a.1001.exr.qi-part-7", NULL);
  g_autofree char *current = NULL;
  g_autoptr(GError) error = NULL;
  gint64 bytes;
  guint files;

  g_assert_cmpstr (temp, ==, expected_temp);
  qi_file_transfer_add (transfer, a, da);
  qi_file_transfer_add (transfer, b, db);
  g_assert_true (qi_file_transfer_run (transfer, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qi_file_transfer_get_sha256 (transfer, 0), ==, sa);
  g_assert_cmpstr (qi_file_transfer_get_sha256 (transfer, 1), ==, sb);
  {
    g_autofree char *copied = sha256_of (da);

    g_assert_cmpstr (copied, ==, sa);
  }
  g_assert_cmpint (qi_file_transfer_get_size (transfer, 0), ==, 3 * 1048576 + 17);
  g_assert_cmpint (qi_file_transfer_get_bytes_total (transfer), ==, 3 * 1048576 + 17);
  qi_file_transfer_get_progress (transfer, &bytes, &files, &current);
  g_assert_cmpint (bytes, ==, 3 * 1048576 + 17);
  g_assert_cmpuint (files, ==, 2);
  g_assert_nonnull (current);
  g_assert_false (g_file_test (temp, G_FILE_TEST_EXISTS));

  /* a transfer checked, then tagged anew, writes to its new temporary
   * names: a folder in the way of the new name stops it, one in the way
   * of the old does not */
  {
    g_autofree char *dn = dest (fixture, "n.exr");
    g_autofree char *old_temp = qi_file_transfer_temp_path (dn, "old");
    g_autofree char *new_temp = qi_file_transfer_temp_path (dn, "new");
    g_autoptr(QiFileTransfer) tagged = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "old");

    qi_file_transfer_add (tagged, b, dn);
    g_assert_true (qi_file_transfer_check (tagged, &error));
    qi_file_transfer_set_tag (tagged, "new");
    g_assert_cmpint (g_mkdir_with_parents (new_temp, 0755), ==, 0);
    g_assert_false (qi_file_transfer_run (tagged, NULL, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_false (g_file_test (dn, G_FILE_TEST_EXISTS));
    g_assert_cmpint (g_rmdir (new_temp), ==, 0);
    g_assert_cmpint (g_mkdir_with_parents (old_temp, 0755), ==, 0);
    g_assert_true (qi_file_transfer_run (tagged, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_test (dn, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint (g_rmdir (old_temp), ==, 0);
  }

  /* a second transfer to the same places refuses, and changes nothing */
  {
    g_autoptr(QiFileTransfer) again = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "8");
    g_autofree char *other = write_file (fixture, "src/c.exr", 10, 3);

    qi_file_transfer_add (again, other, da);
    g_assert_false (qi_file_transfer_run (again, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_true (g_str_has_suffix (error->message, "exists already: a published file is never overwritten"));
    g_clear_error (&error);
    {
      g_autofree char *still = sha256_of (da);

      g_assert_cmpstr (still, ==, sa);
    }
  }
}

static void
test_hardlink_and_reflink (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(QiFileTransfer) links = qi_file_transfer_new (QI_TRANSFER_MODE_HARDLINK, "3");
  g_autoptr(QiFileTransfer) clones = qi_file_transfer_new (QI_TRANSFER_MODE_REFLINK, "4");
  g_autofree char *a = write_file (fixture, "src/a.exr", 70000, 5);
  g_autofree char *da = dest (fixture, "a.exr");
  g_autofree char *dc = dest (fixture, "c.exr");
  g_autofree char *sa = sha256_of (a);
  g_auto(GStrv) warnings = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf source, linked;

  qi_file_transfer_add (links, a, da);
  g_assert_true (qi_file_transfer_run (links, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (a, &source), ==, 0);
  g_assert_cmpint (g_stat (da, &linked), ==, 0);
  g_assert_cmpuint (source.st_ino, ==, linked.st_ino);
  g_assert_null (qi_file_transfer_get_sha256 (links, 0));

  /* files of two folders to two folders, in turn: each reached by name
   * from its folder, the folders changing from one file to the next;
   * checked, then tagged with another name before they go */
  {
    g_autoptr(QiFileTransfer) many = qi_file_transfer_new (QI_TRANSFER_MODE_HARDLINK, "checking");
    g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) destinations = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < 40; i++)
      {
        g_autofree char *name = g_strdup_printf ("%s/f.%04u.exr", i % 2 ? "odd" : "even", i);
        g_autofree char *source_name = g_strdup_printf ("src/%s", name);

        g_ptr_array_add (sources, write_file (fixture, source_name, 100 + i, 20 + i));
        g_ptr_array_add (destinations, dest (fixture, name));
        qi_file_transfer_add (many, sources->pdata[i], destinations->pdata[i]);
      }
    g_assert_true (qi_file_transfer_check (many, &error));
    g_assert_no_error (error);
    g_assert_cmpint (qi_file_transfer_get_bytes_total (many), ==, 40 * 100 + 39 * 40 / 2);
    qi_file_transfer_set_tag (many, "9");
    g_assert_true (qi_file_transfer_run (many, NULL, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < 40; i++)
      {
        g_assert_cmpint (g_stat (sources->pdata[i], &source), ==, 0);
        g_assert_cmpint (g_stat (destinations->pdata[i], &linked), ==, 0);
        g_assert_cmpuint (source.st_ino, ==, linked.st_ino);
      }

    /* linked again to where they are now: refused by the check, in folders
     * that exist, before anything is linked */
    {
      g_autoptr(QiFileTransfer) again = qi_file_transfer_new (QI_TRANSFER_MODE_HARDLINK, "10");

      for (guint i = 0; i < 40; i++)
        qi_file_transfer_add (again, sources->pdata[i], destinations->pdata[i]);
      g_assert_false (qi_file_transfer_check (again, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
      g_assert_true (strstr (error->message, "f.0000.exr” exists already") != NULL);
      g_clear_error (&error);
    }

    /* undone: the links go, the sources stay */
    qi_file_transfer_undo (many);
    for (guint i = 0; i < 40; i++)
      {
        g_assert_true (g_file_test (sources->pdata[i], G_FILE_TEST_IS_REGULAR));
        g_assert_false (g_file_test (destinations->pdata[i], G_FILE_TEST_EXISTS));
      }
  }

  /* what was found of one file's folder says nothing of the next's:
   * after a destination in a folder not made yet, one named as a folder
   * (with its slash) that exists is refused */
  {
    g_autoptr(QiFileTransfer) after_missing = qi_file_transfer_new (QI_TRANSFER_MODE_HARDLINK, "13");
    g_autofree char *nowhere = dest (fixture, "not-made-yet/a.exr");
    g_autofree char *there = g_build_filename (fixture->dir, "src", "even", NULL);
    g_autofree char *slashed = g_strconcat (there, G_DIR_SEPARATOR_S, NULL);

    qi_file_transfer_add (after_missing, a, nowhere);
    qi_file_transfer_add (after_missing, a, slashed);
    g_assert_false (qi_file_transfer_check (after_missing, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error (&error);
  }

  /* a folder is not a file, written with its slash or without */
  {
    g_autoptr(QiFileTransfer) folder = qi_file_transfer_new (QI_TRANSFER_MODE_HARDLINK, "11");
    g_autofree char *src = g_build_filename (fixture->dir, "src", "odd", NULL);
    g_autofree char *slashed = g_strconcat (src, "/", NULL);
    g_autofree char *d1 = dest (fixture, "folder1");
    g_autofree char *d2 = dest (fixture, "folder2");

    qi_file_transfer_add (folder, slashed, d1);
    g_assert_false (qi_file_transfer_check (folder, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
    g_assert_true (g_str_has_suffix (error->message, "odd/” is not a regular file"));
    g_clear_error (&error);
    g_clear_object (&folder);
    folder = qi_file_transfer_new (QI_TRANSFER_MODE_HARDLINK, "12");
    qi_file_transfer_add (folder, src, d2);
    g_assert_false (qi_file_transfer_check (folder, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
    g_clear_error (&error);
  }

  /* a clone, or a copy with a warning where the file system cannot */
  qi_file_transfer_add (clones, a, dc);
  g_assert_true (qi_file_transfer_run (clones, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qi_file_transfer_get_sha256 (clones, 0), ==, sa);
  {
    g_autofree char *copied = sha256_of (dc);

    g_assert_cmpstr (copied, ==, sa);
  }
  warnings = qi_file_transfer_dup_warnings (clones);
  g_assert_cmpuint (g_strv_length (warnings), <=, 1);
  if (warnings[0] != NULL)
    g_assert_true (strstr (warnings[0], "cannot clone files") != NULL);
}

static void
test_failures_undo (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(QiFileTransfer) transfer = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "9");
  g_autofree char *a = write_file (fixture, "src/a.exr", 5000, 7);
  g_autofree char *missing = g_build_filename (fixture->dir, "src", "gone.exr", NULL);
  g_autofree char *da = dest (fixture, "a.exr");
  g_autofree char *dm = dest (fixture, "gone.exr");
  g_autoptr(GError) error = NULL;

  qi_file_transfer_add (transfer, a, da);
  qi_file_transfer_add (transfer, missing, dm);
  g_assert_false (qi_file_transfer_run (transfer, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "gone.exr” does not exist") != NULL);
  g_assert_false (g_file_test (da, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* a cancel before it starts: nothing is written */
  {
    g_autoptr(QiFileTransfer) cancelled = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "10");
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    qi_file_transfer_add (cancelled, a, da);
    g_cancellable_cancel (cancellable);
    g_assert_false (qi_file_transfer_run (cancelled, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_false (g_file_test (da, G_FILE_TEST_EXISTS));
    g_clear_error (&error);
  }

  /* undo after success: what comes after the transfer failed */
  {
    g_autoptr(QiFileTransfer) done = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "11");
    g_autofree char *folder = g_path_get_dirname (da);

    qi_file_transfer_add (done, a, da);
    g_assert_true (qi_file_transfer_run (done, NULL, &error));
    g_assert_true (g_file_test (da, G_FILE_TEST_EXISTS));
    qi_file_transfer_undo (done);
    g_assert_false (g_file_test (da, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  }
}

static void
test_resume (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *a = write_file (fixture, "src/a.exr", 20000, 11);
  g_autofree char *b = write_file (fixture, "src/b.exr", 30000, 12);
  g_autofree char *da = dest (fixture, "a.exr");
  g_autofree char *db = dest (fixture, "b.exr");
  g_autofree char *sa = sha256_of (a);
  g_autofree char *sb = sha256_of (b);
  g_autofree char *leftover = qi_file_transfer_temp_path (db, "5");
  g_autoptr(QiFileTransfer) transfer = qi_file_transfer_new (QI_TRANSFER_MODE_COPY, "5");
  g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_path_get_dirname (da);

  /* what a killed publisher left: one file in place, one half written */
  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  {
    g_autofree char *bytes = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (a, &bytes, &length, NULL));
    g_assert_true (g_file_set_contents (da, bytes, length, NULL));
    g_assert_true (g_file_set_contents (leftover, "half", 4, NULL));
  }
  qi_file_transfer_add (transfer, a, da);
  qi_file_transfer_add (transfer, b, db);
  qi_file_transfer_set_resume (transfer, TRUE);
  g_assert_true (qi_file_transfer_run (transfer, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qi_file_transfer_get_sha256 (transfer, 0), ==, sa);
  g_assert_cmpstr (qi_file_transfer_get_sha256 (transfer, 1), ==, sb);
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));

  /* abandoning: the temporary file and the final one */
  g_assert_true (g_file_set_contents (leftover, "half", 4, NULL));
  g_assert_true (qi_file_transfer_remove_leftovers (db, "5", TRUE, removed, &error));
  g_assert_cmpuint (removed->len, ==, 2);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));
}

static void
test_modes (void)
{
  QiTransferMode mode;

  g_assert_true (qi_transfer_mode_from_string ("hardlink", &mode));
  g_assert_cmpint (mode, ==, QI_TRANSFER_MODE_HARDLINK);
  g_assert_cmpstr (qi_transfer_mode_to_string (QI_TRANSFER_MODE_REFLINK), ==, "reflink");
  g_assert_false (qi_transfer_mode_from_string ("move", &mode));
}

/* The integrator in a real qi serve. */

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_serve (Fixture       *fixture,
            gconstpointer  data)
{
  const char *qi = g_getenv ("QI_EXE");
  g_autofree char *home = g_build_filename (fixture->dir, "home", NULL);
  g_autofree char *info = g_build_filename (fixture->dir, "server.json", NULL);
  g_autofree char *src = write_file (fixture, "src/sh010.1001.exr", 100000, 21);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) seed = NULL, server = NULL;
  g_autoptr(QiHubClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *text = NULL;
  g_autofree char *request = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  JsonObject *object;

  g_assert_nonnull (qi);
  for (const char * const *var = (const char * const []) { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
                                                          "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", NULL };
       *var != NULL; var++)
    {
      g_autofree char *lower = g_ascii_strdown (*var, -1);
      g_autofree char *path = g_build_filename (home, lower, NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
      g_subprocess_launcher_setenv (launcher, *var, path, TRUE);
    }
  g_subprocess_launcher_unsetenv (launcher, "QI_ADDON_PATH");
  seed = g_subprocess_launcher_spawn (launcher, &error, qi, "--headless", "db", "seed-demo", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (seed, NULL, &error));
  server = g_subprocess_launcher_spawn (launcher, &error, qi, "--headless", "serve", "--port", "0", "--info-file",
                                        info, NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 400 && !g_file_get_contents (info, &text, NULL, NULL); i++)
    g_usleep (25000);
  g_assert_nonnull (text);
  parsed = json_from_string (text, &error);
  g_assert_no_error (error);
  object = json_node_get_object (parsed);

  client = qi_hub_client_new ();
  qi_hub_client_connect_async (client, json_object_get_string_member (object, "url"),
                               json_object_get_string_member (object, "token"), "test/publish", NULL,
                               on_connected, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (qi_hub_client_connect_finish (client, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  request = g_strdup_printf ("{\"project\": \"demo\", \"context\": \"/sq010/sh010\", \"task\": \"comp\", "
                             "\"product_type\": \"render\", \"product_name\": \"renderMain\", \"representations\": "
                             "[{\"name\": \"exr\", \"ext\": \"exr\", \"files\": [{\"path\": \"%s\", \"frame\": 1001}]}]}",
                             src);
  payload = json_from_string (request, &error);
  g_assert_no_error (error);
  qi_hub_client_request_async (client, "publish.integrate", payload, 60000, NULL, on_connected, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  reply = qi_hub_client_request_finish (client, result, &error);
  g_assert_no_error (error);
  object = json_node_get_object (reply);
  g_assert_cmpint (json_object_get_int_member (object, "number"), ==, 2);
  {
    JsonObject *file = json_array_get_object_element (json_object_get_array_member (object, "files"), 0);
    g_autofree char *expected = sha256_of (src);

    g_assert_cmpstr (json_object_get_string_member (file, "sha256"), ==, expected);
    g_assert_true (g_file_test (json_object_get_string_member (file, "path"), G_FILE_TEST_IS_REGULAR));
  }

  qi_hub_client_close (client);
  /* the close handshake, before the server stops */
  {
    gint64 until = g_get_monotonic_time () + 300000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE) || (g_usleep (10000), TRUE);
  }
  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, &error));
  /* under the sanitizers, a leak at exit is a failing status */
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/publish/modes", test_modes);
  g_test_add ("/qi/publish/transfer/copy", Fixture, NULL, fixture_setup, test_copy, fixture_teardown);
  g_test_add ("/qi/publish/transfer/hardlink-reflink", Fixture, NULL, fixture_setup, test_hardlink_and_reflink,
              fixture_teardown);
  g_test_add ("/qi/publish/transfer/failures", Fixture, NULL, fixture_setup, test_failures_undo, fixture_teardown);
  g_test_add ("/qi/publish/transfer/resume", Fixture, NULL, fixture_setup, test_resume, fixture_teardown);
  g_test_add ("/qi/publish/serve", Fixture, NULL, fixture_setup, test_serve, fixture_teardown);
  return g_test_run ();
}
