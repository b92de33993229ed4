/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>

#include "qi-test-utils.h"
#include "qi-sqlite-adapter.h"
#include "qi-sqlite-datastore.h"

/* The JSON datastore of the embedded tracker: export, then import into an
 * empty tracker, gives the same document; a bad file is refused with the
 * JSON path of its first bad field and changes nothing; `qi db import`
 * killed halfway leaves the tracker as it was. Real SQLite files; the
 * demo project of `db seed-demo`. */

typedef struct
{
  char *root;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("qi-db-file-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  qi_test_remove_tree (f->root);
  g_free (f->root);
}

/* A tracker at ROOT/NAME.sqlite with the demo project (if @seed). */
static QiSqliteAdapter *
tracker (Fixture    *f,
         const char *name,
         gboolean    seed)
{
  g_autofree char *file = g_strconcat (name, ".sqlite", NULL);
  g_autofree char *path = g_build_filename (f->root, file, NULL);
  QiSqliteAdapter *adapter = qi_sqlite_adapter_new (path);

  if (seed)
    {
      g_autofree char *data = g_build_filename (f->root, name, NULL);
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                           G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *seeded = g_build_filename (data, "tracker.sqlite", NULL);

      g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data, "db", "seed-demo",
                                       NULL), ==, 0);
      g_object_unref (adapter);
      adapter = qi_sqlite_adapter_new (seeded);
    }
  return adapter;
}

static JsonNode *mutate (JsonNode   *document,
                         const char *path,
                         const char *value);

static char *
text_of (JsonNode *node)
{
  return json_to_string (node, TRUE);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(QiSqliteAdapter) source = tracker (f, "source", TRUE);
  g_autoptr(QiSqliteAdapter) target = tracker (f, "target", FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) exported = qi_sqlite_adapter_export_project (source, "demo", &error);
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  JsonObject *document;

  g_assert_no_error (error);
  document = json_node_get_object (exported);
  g_assert_cmpstr (json_object_get_string_member (document, "format"), ==, "qi-project");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (document, "contexts")), ==, 12);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (document, "versions")), ==, 8);

  g_assert_true (qi_sqlite_adapter_import_project (target, exported, "demo.json", &error));
  g_assert_no_error (error);
  again = qi_sqlite_adapter_export_project (target, "demo", &error);
  g_assert_no_error (error);
  first = text_of (exported);
  second = text_of (again);
  g_assert_cmpstr (first, ==, second);

  /* The imported tracker answers through the API like the source. */
  {
    g_autoptr(JsonNode) shot = qi_db_adapter_lookup_context (QI_DB_ADAPTER (target), "demo", "/sq010/sh010", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (shot), "kind"), ==, "shot");
  }

  /* A file given twice in one component is refused before writing. */
  {
    g_autofree char *text = json_to_string (exported, FALSE);
    g_autoptr(JsonNode) twice = json_from_string (text, NULL);
    JsonObject *version = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (twice), "versions"), 0);
    JsonArray *files = json_object_get_array_member (
      json_array_get_object_element (json_object_get_array_member (version, "components"), 0), "files");
    JsonObject *copy = json_object_new ();

    json_object_set_string_member (copy, "path",
                                   json_object_get_string_member (json_array_get_object_element (files, 0), "path"));
    json_object_set_int_member (copy, "size", 1);
    json_array_add_object_element (files, copy);
    g_assert_false (qi_sqlite_adapter_import_project (target, twice, "twice.json", &error));
    g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "twice.json: $.versions[0].components[0].files["));
    g_assert_nonnull (strstr (error->message, "is given twice; nothing was imported"));
    g_clear_error (&error);
  }

  /* A user of the same name with other values is refused, not merged. */
  {
    g_autoptr(JsonNode) other = mutate (exported, "project.name", "\"demo2\"");
    JsonArray *users = json_object_get_array_member (json_node_get_object (other), "users");

    json_object_set_string_member (json_array_get_object_element (users, 0), "full_name", "Someone Else");
    g_assert_false (qi_sqlite_adapter_import_project (target, other, "demo2.json", &error));
    g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
    g_assert_true (g_str_has_prefix (error->message, "demo2.json: $.users[0]: the tracker has “"));
    g_assert_true (g_str_has_suffix (error->message, "the file “Someone Else”; nothing was imported"));
    g_clear_error (&error);
  }

  /* Twice is refused: the project is there. */
  g_assert_false (qi_sqlite_adapter_import_project (target, exported, "demo.json", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "demo.json: the tracker has a project “demo” already; import into a tracker "
                                       "without it. Nothing was imported");
  g_clear_error (&error);
  g_assert_null (qi_sqlite_adapter_export_project (target, "nope", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
}

/* Sets the value at a simple JSON path ("versions.3.number") in a copy of
 * @document; a NULL @value removes the member. */
static JsonNode *
mutate (JsonNode   *document,
        const char *path,
        const char *value)
{
  g_autofree char *text = json_to_string (document, FALSE);
  JsonNode *copy = json_from_string (text, NULL);
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = copy;
  guint last = g_strv_length (parts) - 1;

  for (guint i = 0; i < last; i++)
    node = g_ascii_isdigit (parts[i][0])
           ? json_array_get_element (json_node_get_array (node), atoi (parts[i]))
           : json_object_get_member (json_node_get_object (node), parts[i]);

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      if (value == NULL)
        json_array_remove_element (array, atoi (parts[last]));
      else
        {
          /* Replace: remove and add at the end, then move back by rebuilding. */
          g_autoptr(JsonArray) rebuilt = json_array_new ();

          for (guint i = 0; i < json_array_get_length (array); i++)
            json_array_add_element (rebuilt, i == (guint) atoi (parts[last])
                                    ? json_from_string (value, NULL)
                                    : json_node_copy (json_array_get_element (array, i)));
          json_node_set_array (node, rebuilt);
        }
    }
  else if (value == NULL)
    json_object_remove_member (json_node_get_object (node), parts[last]);
  else
    json_object_set_member (json_node_get_object (node), parts[last], json_from_string (value, NULL));
  return copy;
}

static void
test_invalid (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(QiSqliteAdapter) source = tracker (f, "source", TRUE);
  g_autoptr(QiSqliteAdapter) target = tracker (f, "target", FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) exported = qi_sqlite_adapter_export_project (source, "demo", &error);
  g_autoptr(JsonNode) stats_before = NULL;
  struct {
    const char *path;
    const char *value;   /* NULL: removed */
    const char *message;
  } cases[] = {
    { "format", "\"qi-shot\"", "$.format: “qi-shot” is not a Qi project file (“qi-project”)" },
    { "version", "2", "$.version: version 2 is not one this Qi reads (it reads 1)" },
    { "project.name", "\"\"", "$.project.name: must not be empty" },
    { "project.extra", "1", "$.project.extra: unknown member" },
    { "users", NULL, "$.users: missing" },
    { "statuses.0.state", "\"finished\"", "$.statuses[0].state: “finished” is not a state: not_started, in_progress, done or blocked" },
    { "contexts.0.kind", "\"scene\"", "$.contexts[0].kind: “scene” is not a kind: episode, sequence, shot, asset_build or folder" },
    { "contexts.1.path", "\"/sq010/elsewhere\"", NULL },
    { "tasks.0.assignee", "\"nobody\"", "$.tasks[0].assignee: no user “nobody” in the file" },
    { "products.0.type", "7", "$.products[0].type: expected a string, found a number" },
    { "versions.2.number", "0", "$.versions[2].number: 0 is below 1" },
    { "versions.2.number", "\"3\"", "$.versions[2].number: expected a whole number, found a string" },
    { "versions.1.state", "\"draft\"", "$.versions[1].state: “draft” is not a state: pending or published" },
    { "versions.1.metadata", "[]", "$.versions[1].metadata: expected an object, found an array" },
    { "versions.1.components.0.files.0.size", "-1", "$.versions[1].components[0].files[0].size: -1 is below 0" },
    { "versions.1.components.0.location", "\"mars\"", "$.versions[1].components[0].location: no location “mars” in the file" },
    { "versions.1.task", "{\"context\": \"/sq010/sh010\", \"name\": \"nope\"}", "$.versions[1].task: no task “nope” in “/sq010/sh010” in the file" },
    { "versions.0", "3", "$.versions[0]: expected an object, found a number" },
    { "context_links", NULL, "$.context_links: missing" },
    { "context_links.0.uses", "\"/nowhere\"", "$.context_links[0].uses: no context “/nowhere” in the file" },
    { "context_links.0.uses", "\"/sq010/sh010\"", "$.context_links[0].uses: a context cannot use itself" },
    { "version_links.0.uses.number", "99", NULL },
    { "version_links.0.version", "[]", "$.version_links[0].version: expected an object, found an array" },
  };

  g_assert_no_error (error);
  stats_before = qi_db_adapter_stats (QI_DB_ADAPTER (target), &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) bad = mutate (exported, cases[i].path, cases[i].value);
      g_autoptr(JsonNode) stats = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;

      g_test_message ("%s = %s", cases[i].path, cases[i].value != NULL ? cases[i].value : "(removed)");
      g_assert_false (qi_sqlite_adapter_import_project (target, bad, "demo.json", &error));
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
      g_test_message ("→ %s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "demo.json: $."));
      g_assert_true (g_str_has_suffix (error->message, "; nothing was imported"));
      if (cases[i].message != NULL)
        {
          g_autofree char *expected = g_strdup_printf ("demo.json: %s; nothing was imported", cases[i].message);

          g_assert_cmpstr (error->message, ==, expected);
        }
      g_clear_error (&error);

      /* Nothing was written. */
      stats = qi_db_adapter_stats (QI_DB_ADAPTER (target), &error);
      before = json_to_string (stats_before, FALSE);
      after = json_to_string (stats, FALSE);
      g_assert_cmpstr (before, ==, after);
    }
}

/* `qi db import` of a large file, killed with SIGKILL at random moments:
 * after each kill the tracker is as it was (the project is there whole,
 * or not at all) and passes its integrity check. */
static void
test_kill (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(QiSqliteAdapter) source = tracker (f, "source", TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) exported = qi_sqlite_adapter_export_project (source, "demo", &error);
  g_autofree char *file = g_build_filename (f->root, "big.json", NULL);
  g_autofree char *data_dir = g_build_filename (f->root, "killed", NULL);
  g_autofree char *tracker_path = g_build_filename (data_dir, "tracker.sqlite", NULL);
  g_autofree char *text = NULL;
  JsonArray *versions;
  guint killed = 0, whole = 0, whole_ms = 0;

  g_assert_no_error (error);
  /* 5,000 versions of one product, each with a component of 5 files. */
  versions = json_object_get_array_member (json_node_get_object (exported), "versions");
  {
    JsonObject *model = json_array_get_object_element (versions, 0);
    g_autofree char *model_text = NULL;
    g_autoptr(JsonArray) many = json_array_new ();
    JsonNode *node = json_node_init_object (json_node_alloc (), model);

    model_text = json_to_string (node, FALSE);
    json_node_unref (node);
    for (guint i = 1; i <= 5000; i++)
      {
        JsonNode *copy = json_from_string (model_text, NULL);
        JsonObject *version = json_node_get_object (copy);
        JsonArray *components = json_object_get_array_member (version, "components");

        json_object_set_int_member (version, "number", i);
        json_object_set_string_member (version, "state", "published");
        if (json_array_get_length (components) > 0)
          {
            JsonArray *files = json_object_get_array_member (json_array_get_object_element (components, 0), "files");

            while (json_array_get_length (files) < 5)
              {
                JsonObject *extra = json_object_new ();
                g_autofree char *path = g_strdup_printf ("/show/extra_%u_%u.exr", i, json_array_get_length (files));

                json_object_set_string_member (extra, "path", path);
                json_object_set_int_member (extra, "size", 1);
                json_array_add_object_element (files, extra);
              }
          }
        json_array_add_element (many, copy);
      }
    json_object_set_array_member (json_node_get_object (exported), "versions", g_steal_pointer (&many));
    /* The demo's version links name versions that are gone now. */
    json_object_set_array_member (json_node_get_object (exported), "version_links", json_array_new ());
  }
  text = json_to_string (exported, FALSE);
  g_assert_true (g_file_set_contents (file, text, -1, NULL));

  /* The tracker exists (migrated) before the runs. */
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "init",
                                     NULL), ==, 0);
  }

  /* How long a whole import takes here, to kill inside it. */
  {
    g_autofree char *timing = g_build_filename (f->root, "timing", NULL);
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    gint64 start = g_get_monotonic_time ();

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", timing, "db", "import", file,
                                     NULL), ==, 0);
    whole_ms = (g_get_monotonic_time () - start) / 1000;
    g_test_message ("a whole import takes %u ms", whole_ms);
  }

  for (guint round = 0; round < 8; round++)
    {
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(QiSqliteAdapter) check = NULL;
      g_autoptr(JsonNode) stats = NULL;
      /* Spread over the whole run, most of it the writing. */
      guint delay = MAX (5, whole_ms * (20 + round * 10) / 100);
      gint64 projects;

      process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                  g_getenv ("QI_EXE"), "--headless", "--data-dir", data_dir, "db", "import", file,
                                  NULL);
      g_assert_no_error (error);
      g_usleep (delay * 1000);
      if (g_subprocess_get_identifier (process) != NULL)
        {
          g_subprocess_send_signal (process, SIGKILL);
          killed++;
        }
      g_subprocess_wait (process, NULL, NULL);

      check = qi_sqlite_adapter_new (tracker_path);
      stats = qi_db_adapter_stats (QI_DB_ADAPTER (check), &error);
      g_assert_no_error (error);
      projects = json_object_get_int_member (json_node_get_object (stats), "projects");
      g_test_message ("round %u: killed after %u ms: %" G_GINT64_FORMAT " projects, %" G_GINT64_FORMAT " versions",
                      round, delay, projects, json_object_get_int_member (json_node_get_object (stats), "versions"));
      /* All of it, or nothing. */
      if (projects == 1)
        {
          g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "versions"), ==, 5000);
          whole++;
          break;
        }
      g_assert_cmpint (projects, ==, 0);
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "versions"), ==, 0);
    }
  g_test_message ("%u kills, %u whole imports", killed, whole);
  g_assert_cmpuint (killed + whole, >, 0);

  /* And an import left to finish has it all. */
  if (whole == 0)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
      g_autoptr(QiSqliteAdapter) check = qi_sqlite_adapter_new (tracker_path);
      g_autoptr(JsonNode) stats = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "import",
                                       file, NULL), ==, 0);
      stats = qi_db_adapter_stats (QI_DB_ADAPTER (check), &error);
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "versions"), ==, 5000);
    }

  /* The file is sound. */
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                         G_SUBPROCESS_FLAGS_STDERR_PIPE);

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "stats",
                                     "--json", NULL), ==, 0);
  }
}

/* The verbs, as a user runs them. */
static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *a = g_build_filename (f->root, "a", NULL);
  g_autofree char *b = g_build_filename (f->root, "b", NULL);
  g_autofree char *first = g_build_filename (f->root, "first.json", NULL);
  g_autofree char *second = g_build_filename (f->root, "second.json", NULL);
  g_autofree char *broken = g_build_filename (f->root, "broken.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", a, "db", "seed-demo", NULL), ==, 0);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", a, "db", "export", first,
                                   "--project", "demo", NULL), ==, 0);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", b, "db", "import", first,
                                   NULL), ==, 0);
  expected = g_strdup_printf ("Imported “demo” from %s.\n", first);
  g_assert_cmpstr (out, ==, expected);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", b, "db", "export", second,
                                   NULL), ==, 0);
  g_assert_true (g_file_get_contents (first, &one, NULL, NULL));
  g_assert_true (g_file_get_contents (second, &two, NULL, NULL));
  g_assert_cmpstr (one, ==, two);

  /* Not over a device (as root, renaming over /dev/null would replace it). */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", b, "db", "export", "/dev/null",
                                   NULL), ==, 1);
  g_assert_cmpstr (err, ==, "qi db export: /dev/null exists and is not a regular file; nothing was written\n");

  qi_test_env_write (broken, "{\"format\": \"qi-project\",\n \"version\": 1,\n \"project\": {\"name\": tru}}");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", b, "db", "import", broken,
                                   NULL), ==, 2);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("qi db import: %s:3:25: not valid JSON; nothing was imported\n", broken);
  g_assert_cmpstr (err, ==, expected);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", b, "db", "import", first,
                                   NULL), ==, 1);
  g_assert_nonnull (strstr (err, "the tracker has a project “demo” already"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/db-file/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("round-trip", test_round_trip);
  ADD ("invalid", test_invalid);
  ADD ("kill", test_kill);
  ADD ("cli", test_cli);

#undef ADD

  return g_test_run ();
}
