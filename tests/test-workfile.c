/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* Workfile names (qi_workfile_*) and QiWorkfileHandler's generic version
 * up and revert, on files in a scratch folder. */

typedef struct
{
  char *root;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("qi-workfile-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  qi_test_remove_tree (f->root);
  g_free (f->root);
}

static char *
touch (Fixture    *f,
       const char *name)
{
  char *path = g_build_filename (f->root, name, NULL);

  qi_test_env_write (path, "saved\n");
  return path;
}

static void
test_parse (void)
{
  struct {
    const char *path;
    guint64     version;
    guint       digits;
  } good[] = {
    { "sh010_comp_v003.nk", 3, 3 },
    { "/shows/demo/sh010/work/sh010_comp_v003.nk", 3, 3 },
    { "asset.v12.blend", 12, 2 },
    { "v7.ma", 7, 1 },
    { "sh010-V0042-final.hip", 42, 4 },
    { "sh010_v001_comp_v009.nk", 9, 3 },     /* the last counts */
    { "prev1_v2.nk", 2, 1 },                 /* “prev1” is a word, not a version */
    { "scene_v010", 10, 3 },                 /* no extension */
    { "sh010_comp_v003.nk.autosave", 3, 3 },
  };
  const char *no_version[] = { "sh010_comp.nk", "rev3.nk", "v.nk", "dev12.nk", "sh010_v3a.nk" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 version = 0;
      guint digits = 0;

      g_test_message ("%s", good[i].path);
      g_assert_true (qi_workfile_parse_version (good[i].path, &version, &digits, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (version, ==, good[i].version);
      g_assert_cmpuint (digits, ==, good[i].digits);
    }

  for (guint i = 0; i < G_N_ELEMENTS (no_version); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", no_version[i]);
      g_assert_false (qi_workfile_parse_version (no_version[i], NULL, NULL, &error));
      g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_VERSION);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (qi_workfile_parse_version ("/shows/sh010_comp.nk", NULL, NULL, &error));
    g_assert_cmpstr (error->message, ==,
                     "“sh010_comp.nk” has no version in its name: name it like “sh010_comp_v001.nk” to version it");
    g_clear_error (&error);
    g_assert_false (qi_workfile_parse_version ("/shows/", NULL, NULL, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (qi_workfile_parse_version ("", NULL, NULL, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (qi_workfile_parse_version ("a_v1234567890123456789.nk", NULL, NULL, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_INVALID);
  }
}

static void
test_with_version (void)
{
  struct {
    const char *path;
    guint64     version;
    const char *expected;
  } cases[] = {
    { "sh010_comp_v003.nk", 4, "sh010_comp_v004.nk" },
    { "sh010_comp_v003.nk", 12, "sh010_comp_v012.nk" },
    { "sh010_comp_v999.nk", 1000, "sh010_comp_v1000.nk" },
    { "/a/b/asset.V07.blend", 8, "/a/b/asset.V08.blend" },
    { "./x_v1.ma", 2, "./x_v2.ma" },
    { "scene_v010", 11, "scene_v011" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = qi_workfile_with_version (cases[i].path, cases[i].version, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (path, ==, cases[i].expected);
    }
}

static void
test_next_version (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *v003 = touch (f, "sh010_comp_v003.nk");
  g_autofree char *next = NULL;
  g_autofree char *expected = NULL;

  /* Alone: the next number, padded. */
  next = qi_workfile_next_version (v003, &error);
  g_assert_no_error (error);
  expected = g_build_filename (f->root, "sh010_comp_v004.nk", NULL);
  g_assert_cmpstr (next, ==, expected);
  g_clear_pointer (&next, g_free);
  g_clear_pointer (&expected, g_free);

  /* A later version exists (another artist saved it): never overwritten,
   * the number after the highest, whatever its padding. Files of other
   * series do not count. */
  g_free (touch (f, "sh010_comp_v7.nk"));
  g_free (touch (f, "sh010_comp_v004.nk"));
  g_free (touch (f, "sh010_comp_v020.nk.autosave"));
  g_free (touch (f, "sh010_light_v050.nk"));
  g_free (touch (f, "sh010_comp_v050.ma"));
  g_free (touch (f, "sh010_comp_v0x9.nk"));
  next = qi_workfile_next_version (v003, &error);
  g_assert_no_error (error);
  expected = g_build_filename (f->root, "sh010_comp_v008.nk", NULL);
  g_assert_cmpstr (next, ==, expected);
  g_assert_false (g_file_test (next, G_FILE_TEST_EXISTS));
  g_clear_pointer (&next, g_free);
  g_clear_pointer (&expected, g_free);

  /* From a version that was never saved, still after the highest. */
  {
    g_autofree char *v001 = g_build_filename (f->root, "sh010_comp_v001.nk", NULL);

    next = qi_workfile_next_version (v001, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (next, "/sh010_comp_v008.nk"));
    g_clear_pointer (&next, g_free);
  }

  /* Padding grows when it must. */
  {
    g_autofree char *v99 = touch (f, "plate_v99.exr");

    next = qi_workfile_next_version (v99, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (next, "/plate_v100.exr"));
    g_clear_pointer (&next, g_free);
  }

  /* No version, or no folder: errors that say so. */
  {
    g_autofree char *plain = touch (f, "sh010_comp.nk");
    g_autofree char *nowhere = g_build_filename (f->root, "gone", "sh010_v001.nk", NULL);

    g_assert_null (qi_workfile_next_version (plain, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_VERSION);
    g_clear_error (&error);
    g_assert_null (qi_workfile_next_version (nowhere, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_true (g_str_has_prefix (error->message, "Cannot read the folder “"));
  }
}

static void
test_find_latest (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *v002 = touch (f, "asset.v002.blend");
  g_autofree char *latest = NULL;
  g_autofree char *v010 = NULL;

  latest = qi_workfile_find_latest (v002, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (latest, ==, v002);
  g_clear_pointer (&latest, g_free);

  v010 = touch (f, "asset.v10.blend");
  g_free (touch (f, "asset.v011.blend1"));
  latest = qi_workfile_find_latest (v002, &error);
  g_assert_no_error (error);
  /* The latest file as it is named, whatever its padding: revert opens
   * a file that exists. */
  g_assert_cmpstr (latest, ==, v010);
  g_clear_pointer (&latest, g_free);

  {
    g_autofree char *other = g_build_filename (f->root, "prop_v001.blend", NULL);
    g_autofree char *plain = touch (f, "notes.blend");
    g_autofree char *unsaved = g_build_filename (f->root, "unsaved.blend", NULL);

    g_assert_null (qi_workfile_find_latest (other, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_FOUND);
    g_assert_true (g_str_has_prefix (error->message, "no saved version of “prop_v###.blend” in “"));
    g_clear_error (&error);

    /* A name without a version is its own latest version, if saved. */
    latest = qi_workfile_find_latest (plain, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (latest, ==, plain);
    g_assert_null (qi_workfile_find_latest (unsaved, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_FOUND);
  }
}

/* A handler of text "scenes" that records what it did. */
#define TEST_TYPE_HANDLER (test_handler_get_type ())
G_DECLARE_FINAL_TYPE (TestHandler, test_handler, TEST, HANDLER, QiWorkfileHandler)

struct _TestHandler
{
  QiWorkfileHandler parent_instance;
  GString          *log;
  gboolean          fail_save;
};

G_DEFINE_FINAL_TYPE (TestHandler, test_handler, QI_TYPE_WORKFILE_HANDLER)

static gboolean
test_handler_open (QiWorkfileHandler  *handler,
                   const char         *path,
                   GError            **error)
{
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *contents = NULL;

  g_string_append_printf (TEST_HANDLER (handler)->log, "open %s;", name);
  return g_file_get_contents (path, &contents, NULL, error);
}

static gboolean
test_handler_save (QiWorkfileHandler  *handler,
                   const char         *path,
                   GError            **error)
{
  g_autofree char *name = g_path_get_basename (path);

  g_string_append_printf (TEST_HANDLER (handler)->log, "save %s;", name);
  if (TEST_HANDLER (handler)->fail_save)
    return FALSE;   /* without an error: the wrapper says so */
  return g_file_set_contents (path, "scene\n", -1, error);
}

static void
test_handler_finalize (GObject *object)
{
  g_string_free (TEST_HANDLER (object)->log, TRUE);
  G_OBJECT_CLASS (test_handler_parent_class)->finalize (object);
}

static void
test_handler_class_init (TestHandlerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_handler_finalize;
  QI_WORKFILE_HANDLER_CLASS (klass)->open = test_handler_open;
  QI_WORKFILE_HANDLER_CLASS (klass)->save = test_handler_save;
}

static void
test_handler_init (TestHandler *self)
{
  self->log = g_string_new (NULL);
}

static void
test_handler (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(TestHandler) handler = g_object_new (TEST_TYPE_HANDLER, "name", "scenes", "host", "nuke",
                                                 "extensions", (const char * const []) { ".nk", ".NKX", NULL },
                                                 NULL);
  g_autoptr(QiWorkfileHandler) bare = g_object_new (QI_TYPE_WORKFILE_HANDLER, "name", "bare", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *v001 = g_build_filename (f->root, "sh010_comp_v001.nk", NULL);
  g_autofree char *saved = NULL;
  g_autofree char *opened = NULL;
  const char * const extensions[] = { ".nk", ".nkx", NULL };  /* kept in lower case */

  g_assert_cmpstr (qi_workfile_handler_get_name (QI_WORKFILE_HANDLER (handler)), ==, "scenes");
  g_assert_cmpstr (qi_workfile_handler_get_host (QI_WORKFILE_HANDLER (handler)), ==, "nuke");
  g_assert_cmpstrv (qi_workfile_handler_get_extensions (QI_WORKFILE_HANDLER (handler)), extensions);
  g_assert_true (qi_workfile_handler_handles (QI_WORKFILE_HANDLER (handler), "/x/sh010_v001.NK"));
  g_assert_true (qi_workfile_handler_handles (QI_WORKFILE_HANDLER (handler), "a.nkx"));
  g_assert_false (qi_workfile_handler_handles (QI_WORKFILE_HANDLER (handler), "/x/.nk"));
  g_assert_false (qi_workfile_handler_handles (QI_WORKFILE_HANDLER (handler), "/x/a.nk.autosave"));
  g_assert_false (qi_workfile_handler_handles (bare, "a.nk"));

  g_assert_true (qi_workfile_extension_is_valid (".nk"));
  g_assert_true (qi_workfile_extension_is_valid (".tar.gz"));
  for (const char * const *bad = (const char * const []) { "nk", ".", "..", ".n k", ".nk.", "./nk", "", NULL };
       *bad != NULL; bad++)
    g_assert_false (qi_workfile_extension_is_valid (*bad));

  /* The generic version up saves as the next free version; revert opens
   * the latest saved one. */
  g_assert_true (qi_workfile_handler_save (QI_WORKFILE_HANDLER (handler), v001, &error));
  g_assert_no_error (error);
  g_free (touch (f, "sh010_comp_v002.nk"));
  saved = qi_workfile_handler_version_up (QI_WORKFILE_HANDLER (handler), v001, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (saved, "/sh010_comp_v003.nk"));
  g_assert_true (g_file_test (saved, G_FILE_TEST_IS_REGULAR));
  opened = qi_workfile_handler_revert (QI_WORKFILE_HANDLER (handler), v001, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened, ==, saved);
  g_assert_cmpstr (handler->log->str, ==, "save sh010_comp_v001.nk;save sh010_comp_v003.nk;open sh010_comp_v003.nk;");

  /* A name without a version cannot be versioned up, and nothing is saved. */
  {
    g_autofree char *plain = g_build_filename (f->root, "comp.nk", NULL);

    g_string_truncate (handler->log, 0);
    g_assert_null (qi_workfile_handler_version_up (QI_WORKFILE_HANDLER (handler), plain, &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_VERSION);
    g_clear_error (&error);
    g_assert_cmpstr (handler->log->str, ==, "");
  }

  /* A save that fails without saying why is reported as the handler's. */
  handler->fail_save = TRUE;
  g_assert_null (qi_workfile_handler_version_up (QI_WORKFILE_HANDLER (handler), v001, &error));
  g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "the workfile handler “scenes” failed to save without saying why");
  g_clear_error (&error);
  {
    g_autofree char *v004 = g_build_filename (f->root, "sh010_comp_v004.nk", NULL);

    g_assert_false (g_file_test (v004, G_FILE_TEST_EXISTS));
  }

  /* A handler that implements nothing says what is missing. */
  g_assert_false (qi_workfile_handler_open (bare, v001, &error));
  g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (error->message, ==, "the workfile handler “bare” cannot open files (it does not implement open)");
  g_clear_error (&error);
  g_assert_null (qi_workfile_handler_version_up (bare, v001, &error));
  g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_SUPPORTED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/workfile/parse", test_parse);
  g_test_add_func ("/qi/workfile/with-version", test_with_version);
  g_test_add ("/qi/workfile/next-version", Fixture, NULL, fixture_setup, test_next_version, fixture_teardown);
  g_test_add ("/qi/workfile/find-latest", Fixture, NULL, fixture_setup, test_find_latest, fixture_teardown);
  g_test_add ("/qi/workfile/handler", Fixture, NULL, fixture_setup, test_handler, fixture_teardown);

  return g_test_run ();
}
