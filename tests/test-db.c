/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <sqlite3.h>

#include "qi-test-json.h"
#include "qi-test-utils.h"
#include "qi-sqlite-adapter.h"
#include "qi-sqlite-datastore.h"

/*
 * The tracker: QiSqliteAdapter over real files in a scratch folder, the
 * whole QiDbAdapter API, migrations, bad input, concurrent publishers in
 * separate processes, a publisher killed mid-transaction, QiDbManager on
 * the hub, and the db verbs of the real qi.
 */

typedef struct
{
  QiTestEnv        env;
  char            *path;
  QiSqliteAdapter *sqlite;
  QiDbAdapter     *db;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_env_setup (&f->env);
  qi_test_env_keep_runtime (&f->env);
  f->path = g_build_filename (f->env.root, "tracker", "tracker.sqlite", NULL);
  f->sqlite = qi_sqlite_adapter_new (f->path);
  f->db = QI_DB_ADAPTER (f->sqlite);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->sqlite);
  qi_test_env_teardown (&f->env);
  g_free (f->path);
}

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

/* A JSON object from text, as a spec. */
static JsonObject *
object_from (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

/* The small show most tests use: project demo, /sq010/sh010, a task and
 * a product. Returns the shot's id; *@product and *@task the others. */
static const char *
make_show (QiDbAdapter  *db,
           const char  **product,
           const char  **task)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) project = qi_db_adapter_create_project (db, "demo", "Demo", &error);
  g_autoptr(JsonNode) user = NULL;
  g_autoptr(JsonNode) sequence = NULL;
  g_autoptr(JsonNode) shot = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_no_error (error);
  user = qi_db_adapter_create_user (db, "ada", "Ada Okafor", NULL, &error);
  g_assert_no_error (error);
  sequence = qi_db_adapter_create_context (db, "demo", NULL, "sequence", "sq010", &error);
  g_assert_no_error (error);
  shot = qi_db_adapter_create_context (db, "demo", qi_test_id_of (sequence), "shot", "sh010", &error);
  g_assert_no_error (error);
  node = qi_db_adapter_create_product (db, qi_test_id_of (shot), "animMain", "animation", &error);
  g_assert_no_error (error);
  *product = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_task (db, qi_test_id_of (shot), "anim", "anim", "in_progress", "ada", &error);
  g_assert_no_error (error);
  *task = qi_test_id_of (node);
  return qi_test_id_of (shot);
}

static JsonNode *
create_version (QiDbAdapter *db,
                const char  *spec_text,
                GError     **error)
{
  g_autoptr(JsonObject) spec = object_from (spec_text);

  return qi_db_adapter_create_version (db, spec, error);
}

static JsonNode *
create_and_publish (QiDbAdapter *db,
                    const char  *spec)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) pending = create_version (db, spec, &error);
  JsonNode *published;

  g_assert_no_error (error);
  published = qi_db_adapter_publish_version (db, qi_test_id_of (pending), &error);
  g_assert_no_error (error);
  return published;
}

static void
test_lazy_open (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) projects = NULL;

  g_assert_false (qi_sqlite_adapter_is_open (f->sqlite));
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (qi_sqlite_adapter_get_schema_version (f->sqlite), ==, 0);

  projects = qi_db_adapter_list_projects (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (projects), ==, 0);
  g_assert_true (qi_sqlite_adapter_is_open (f->sqlite));
  g_assert_true (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (qi_sqlite_adapter_get_schema_version (f->sqlite), ==, QI_SQLITE_ADAPTER_SCHEMA_VERSION);
  g_assert_cmpstr (qi_sqlite_adapter_get_path (f->sqlite), ==, f->path);
}

/* Runs one SQL statement on @path with a connection of its own. */
static void
sql (const char *path,
     const char *statement,
     char      **result)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, statement, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && result != NULL)
    *result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_migration (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *version = NULL;
  g_autofree char *future = g_build_filename (f->env.root, "future.sqlite", NULL);
  g_autofree char *junk = g_build_filename (f->env.root, "junk.sqlite", NULL);
  g_autoptr(QiSqliteAdapter) newer = qi_sqlite_adapter_new (future);
  g_autoptr(QiSqliteAdapter) broken = qi_sqlite_adapter_new (junk);
  g_autoptr(JsonNode) statuses = NULL;
  g_autofree char *expected = NULL;

  /* An empty file is a database of schema 0: migrated to the schema. */
  qi_test_env_write (f->path, "");
  g_assert_true (qi_sqlite_adapter_open (f->sqlite, &error));
  g_assert_no_error (error);
  g_assert_cmpint (qi_sqlite_adapter_get_schema_version (f->sqlite), ==, QI_SQLITE_ADAPTER_SCHEMA_VERSION);
  statuses = qi_db_adapter_list_statuses (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (statuses), ==, 7);
  sql (f->path, "PRAGMA journal_mode", &mode);
  g_assert_cmpstr (mode, ==, "wal");
  sql (f->path, "PRAGMA user_version", &version);
  g_assert_cmpstr (version, ==, G_STRINGIFY (QI_SQLITE_ADAPTER_SCHEMA_VERSION));

  /* Opening again migrates nothing and keeps the data. */
  qi_sqlite_adapter_close (f->sqlite);
  g_assert_false (qi_sqlite_adapter_is_open (f->sqlite));
  g_assert_true (qi_sqlite_adapter_open (f->sqlite, &error));
  g_clear_pointer (&statuses, json_node_unref);
  statuses = qi_db_adapter_list_statuses (f->db, &error);
  g_assert_cmpuint (qi_test_length_of (statuses), ==, 7);

  /* A schema from the future is refused, and left as it is. */
  sql (future, "PRAGMA user_version = 42", NULL);
  g_assert_false (qi_sqlite_adapter_open (newer, &error));
  expected = g_strdup_printf ("%s has schema version 42, newer than this Qi knows (%d): "
                              "use the Qi that wrote it, or a newer one", future,
                              QI_SQLITE_ADAPTER_SCHEMA_VERSION);
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_SCHEMA);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_false (qi_sqlite_adapter_is_open (newer));
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_projects (QI_DB_ADAPTER (newer), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_SCHEMA);
  g_clear_error (&error);
  g_clear_pointer (&version, g_free);
  sql (future, "PRAGMA user_version", &version);
  g_assert_cmpstr (version, ==, "42");

  /* A file that is no database at all. */
  qi_test_env_write (junk, "this is not a tracker, it is a shopping list, and long enough to be read\n");
  g_assert_false (qi_sqlite_adapter_open (broken, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, junk));
  g_assert_nonnull (strstr (error->message, "not a SQLite database"));
}

static void
test_projects_contexts (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) project = NULL;
  g_autoptr(JsonNode) projects = NULL;
  g_autoptr(JsonNode) sq010 = NULL;
  g_autoptr(JsonNode) sh020 = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) children = NULL;
  g_autofree char *text = NULL;

  project = qi_db_adapter_create_project (f->db, "demo", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (project, "name"), ==, "demo");
  g_assert_cmpstr (qi_test_string_of (project, "label"), ==, "demo");
  node = qi_db_adapter_create_project (f->db, "alpha", "Alpha", &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);

  projects = qi_db_adapter_list_projects (f->db, &error);
  g_assert_cmpuint (qi_test_length_of (projects), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (projects, 0), "name"), ==, "alpha");

  node = qi_db_adapter_create_project (f->db, "demo", NULL, &error);
  g_assert_null (node);
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "there is a project “demo” already");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_project (f->db, "my show", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "the project name “my show” is not a name"));
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_get_project (f->db, "nope", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no project “nope”");
  g_clear_error (&error);

  /* The context tree. */
  sq010 = qi_db_adapter_create_context (f->db, "demo", NULL, "sequence", "sq010", &error);
  g_assert_no_error (error);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("sh%03u", 40 - i * 10);
      g_autoptr(JsonNode) shot = qi_db_adapter_create_context (f->db, "demo", qi_test_id_of (sq010), "shot", name,
                                                               &error);

      g_assert_no_error (error);
      if (i == 2)
        sh020 = json_node_ref (shot);
    }
  text = to_text (sh020);
  {
    g_autofree char *expected = g_strdup_printf ("{\"id\":\"%s\",\"project\":\"demo\",\"parent\":"
                                                 "\"%s\",\"kind\":\"shot\",\"name\":\"sh020\","
                                                 "\"path\":\"/sq010/sh020\"}",
                                                 qi_test_id_of (sh020), qi_test_id_of (sq010));

    g_assert_cmpstr (text, ==, expected);
  }

  children = qi_db_adapter_list_contexts (f->db, "demo", qi_test_id_of (sq010), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (children), ==, 3);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (children, 0), "name"), ==, "sh010");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (children, 2), "path"), ==, "/sq010/sh030");
  g_clear_pointer (&children, json_node_unref);
  children = qi_db_adapter_list_contexts (f->db, "demo", NULL, &error);
  g_assert_cmpuint (qi_test_length_of (children), ==, 1);
  g_clear_pointer (&children, json_node_unref);
  children = qi_db_adapter_list_contexts (f->db, "alpha", NULL, &error);
  g_assert_cmpuint (qi_test_length_of (children), ==, 0);
  g_clear_pointer (&children, json_node_unref);
  /* The whole tree at once, by path. */
  children = qi_db_adapter_list_all_contexts (f->db, "demo", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (children), ==, 4);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (children, 0), "path"), ==, "/sq010");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (children, 1), "path"), ==, "/sq010/sh010");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (children, 3), "path"), ==, "/sq010/sh030");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (children, 2), "parent"), ==, qi_test_id_of (sq010));
  g_clear_pointer (&children, json_node_unref);
  g_assert_null (qi_db_adapter_list_all_contexts (f->db, "nope", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* An id this tracker never gave out. */
  g_assert_null (qi_db_adapter_list_contexts (f->db, "demo", "07", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no parent context with id “07”: this tracker's ids are numbers such as “7”");
  g_clear_error (&error);
  /* Another project's context is not a parent here. */
  g_assert_null (qi_db_adapter_list_contexts (f->db, "alpha", qi_test_id_of (sq010), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  node = qi_db_adapter_lookup_context (f->db, "demo", "/sq010/sh020", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_id_of (node), ==, qi_test_id_of (sh020));
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_lookup_context (f->db, "demo", "/sq010/sh020/", &error);
  g_assert_cmpstr (qi_test_id_of (node), ==, qi_test_id_of (sh020));
  g_clear_pointer (&node, json_node_unref);

  g_assert_null (qi_db_adapter_lookup_context (f->db, "demo", "/sq010/sh999", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no context “/sq010/sh999” in project “demo”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_lookup_context (f->db, "demo", "sq010", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "the context path “sq010” does not start with “/”: give it as /sq010/sh020");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_lookup_context (f->db, "demo", "/sq010//sh020", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "the context name in the path is missing"));
  g_clear_error (&error);

  g_assert_null (qi_db_adapter_create_context (f->db, "demo", qi_test_id_of (sq010), "shot", "sh020", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "project “demo” has a context “/sq010/sh020” already");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_context (f->db, "demo", NULL, "shoot", "sh100", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "the context kind “shoot” is not one of episode, sequence, shot, asset_build, folder");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_context (f->db, "demo", "9999", "shot", "sh100", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no context with id 9999");
  g_clear_error (&error);
}

static void
test_tasks_products (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) tasks = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) other = NULL;
  g_autoptr(JsonNode) products = NULL;
  g_autoptr(JsonNode) types = NULL;
  const char *product, *task, *shot;

  shot = make_show (f->db, &product, &task);
  node = qi_db_adapter_create_user (f->db, "bruno", NULL, "bruno@studio.example", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "full_name"), ==, "bruno");
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_task (f->db, shot, "comp", "comp", NULL, "bruno", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "status"), ==, "not_started");
  g_assert_cmpstr (qi_test_string_of (node, "context_path"), ==, "/sq010/sh010");
  g_clear_pointer (&node, json_node_unref);

  /* A second project, with a task of ada's too. */
  node = qi_db_adapter_create_project (f->db, "other", NULL, &error);
  g_clear_pointer (&node, json_node_unref);
  other = qi_db_adapter_create_context (f->db, "other", NULL, "asset_build", "chr_hero", &error);
  g_assert_no_error (error);
  node = qi_db_adapter_create_task (f->db, qi_test_id_of (other), "model", "model", "approved", "ada", &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);

  tasks = qi_db_adapter_list_tasks (f->db, NULL, shot, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (tasks), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 0), "name"), ==, "anim");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 0), "assignee"), ==, "ada");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 0), "type"), ==, "anim");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 0), "status"), ==, "in_progress");
  g_clear_pointer (&tasks, json_node_unref);

  tasks = qi_db_adapter_list_tasks (f->db, NULL, NULL, "ada", &error);
  g_assert_cmpuint (qi_test_length_of (tasks), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 0), "project"), ==, "demo");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 1), "project"), ==, "other");
  g_clear_pointer (&tasks, json_node_unref);
  tasks = qi_db_adapter_list_tasks (f->db, "other", NULL, "ada", &error);
  g_assert_cmpuint (qi_test_length_of (tasks), ==, 1);
  g_clear_pointer (&tasks, json_node_unref);
  tasks = qi_db_adapter_list_tasks (f->db, NULL, shot, "bruno", &error);
  g_assert_cmpuint (qi_test_length_of (tasks), ==, 1);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (tasks, 0), "name"), ==, "comp");
  g_clear_pointer (&tasks, json_node_unref);

  g_assert_null (qi_db_adapter_list_tasks (f->db, NULL, NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_tasks (f->db, NULL, NULL, "zed", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no user “zed”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, shot, "sculpt", "sculpt", NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no task type “sculpt”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, shot, "fx", "fx", "wip", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no status “wip”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, shot, "anim", "anim", NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);

  /* Products by context and type. */
  node = qi_db_adapter_create_product (f->db, shot, "cameraMain", "camera", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "type"), ==, "camera");
  g_clear_pointer (&node, json_node_unref);
  products = qi_db_adapter_list_products (f->db, shot, NULL, &error);
  g_assert_cmpuint (qi_test_length_of (products), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (products, 0), "name"), ==, "animMain");
  g_clear_pointer (&products, json_node_unref);
  products = qi_db_adapter_list_products (f->db, shot, "camera", &error);
  g_assert_cmpuint (qi_test_length_of (products), ==, 1);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (products, 0), "name"), ==, "cameraMain");
  g_assert_null (qi_db_adapter_create_product (f->db, shot, "cameraMain", "camera", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_products (f->db, "-3", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no context with id “-3”: this tracker's ids are numbers such as “7”");
  g_clear_error (&error);

  types = qi_db_adapter_list_task_types (f->db, &error);
  g_assert_cmpuint (qi_test_length_of (types), ==, 10);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (types, 0), "name"), ==, "layout");
}

static void
test_versions (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) v3 = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) other = NULL;
  g_autoptr(JsonNode) location = NULL;
  JsonObject *component;
  const char *product, *task, *shot;
  g_autofree char *spec = NULL;
  g_autofree char *text = NULL;

  shot = make_show (f->db, &product, &task);
  location = qi_db_adapter_create_location (f->db, "studio", "/mnt/projects", &error);
  g_assert_no_error (error);

  spec = g_strdup_printf ("{\"product\": \"%s\", \"task\": \"%s\", "
                          "\"author\": \"ada\", \"comment\": \"blocking\", \"status\": \"pending_review\", "
                          "\"metadata\": {\"frame_range\": [1001, 1100], \"fps\": 24}, "
                          "\"components\": [{\"name\": \"abc\", \"location\": \"studio\", "
                          "\"metadata\": {\"format\": \"alembic\"}, "
                          "\"files\": [{\"path\": \"demo/sq010/sh010/animMain_v001.abc\", \"size\": 1234}]}, "
                          "{\"name\": \"ma\", \"files\": [{\"path\": \"b.ma\", \"size\": 0}, "
                          "{\"path\": \"a.ma\", \"size\": 9}]}]}", product, task);
  v1 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v1, "number"), ==, 1);
  g_assert_cmpstr (qi_test_string_of (v1, "state"), ==, "pending");
  g_assert_cmpstr (qi_test_string_of (v1, "author"), ==, "ada");
  g_assert_cmpstr (qi_test_string_of (v1, "status"), ==, "pending_review");
  g_assert_cmpstr (qi_test_string_of (v1, "product_name"), ==, "animMain");
  g_assert_cmpstr (qi_test_string_of (v1, "task"), ==, task);
  g_assert_true (json_object_get_null_member (json_node_get_object (v1), "published_at"));
  {
    JsonObject *publisher = json_object_get_object_member (json_node_get_object (v1), "publisher");

    g_assert_cmpint (json_object_get_int_member (publisher, "pid"), ==, getpid ());
    g_assert_cmpstr (json_object_get_string_member (publisher, "host"), ==, g_get_host_name ());
  }
  text = to_text (json_object_get_member (json_node_get_object (v1), "metadata"));
  g_assert_cmpstr (text, ==, "{\"frame_range\":[1001,1100],\"fps\":24}");
  g_clear_pointer (&text, g_free);

  component = json_array_get_object_element (json_object_get_array_member (json_node_get_object (v1), "components"), 0);
  g_assert_cmpstr (json_object_get_string_member (component, "name"), ==, "abc");
  g_assert_cmpstr (json_object_get_string_member (component, "location"), ==, "studio");
  g_assert_cmpstr (json_object_get_string_member (component, "location_root"), ==, "/mnt/projects");
  text = to_text (json_object_get_member (component, "files"));
  g_assert_cmpstr (text, ==, "[{\"path\":\"demo/sq010/sh010/animMain_v001.abc\",\"size\":1234}]");
  g_clear_pointer (&text, g_free);
  text = to_text (json_object_get_member (component, "metadata"));
  g_assert_cmpstr (text, ==, "{\"format\":\"alembic\"}");
  g_clear_pointer (&text, g_free);
  component = json_array_get_object_element (json_object_get_array_member (json_node_get_object (v1), "components"), 1);
  g_assert_cmpstr (json_object_get_string_member (component, "location"), ==, "local");
  text = to_text (json_object_get_member (component, "files"));
  g_assert_cmpstr (text, ==, "[{\"path\":\"a.ma\",\"size\":9},{\"path\":\"b.ma\",\"size\":0}]");
  g_clear_pointer (&text, g_free);

  /* Pending: hidden from reads unless asked. */
  list = qi_db_adapter_list_versions (f->db, product, NULL, FALSE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_latest_versions (f->db, shot, FALSE, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, product, NULL, TRUE, 0, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_false (json_object_has_member (json_node_get_object (qi_test_element (list, 0)), "components"));
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_latest_versions (f->db, shot, TRUE, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_clear_pointer (&list, json_node_unref);

  /* Published. */
  g_clear_pointer (&v1, json_node_unref);
  v1 = qi_db_adapter_publish_version (f->db, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (v1, "state"), ==, "published");
  g_assert_nonnull (qi_test_string_of (v1, "published_at"));
  g_assert_null (qi_db_adapter_publish_version (f->db, "1", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "the version with id 1 is published already");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_publish_version (f->db, "77", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no version with id 77");
  g_clear_error (&error);

  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\"}", product);
  v2 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v2, "number"), ==, 2);
  g_assert_true (json_object_get_null_member (json_node_get_object (v2), "task"));
  g_assert_true (json_object_get_null_member (json_node_get_object (v2), "author"));
  v3 = create_version (f->db, spec, &error);
  g_assert_cmpint (qi_test_int_of (v3, "number"), ==, 3);
  g_clear_pointer (&v3, json_node_unref);
  v3 = create_and_publish (f->db, spec);
  g_assert_cmpint (qi_test_int_of (v3, "number"), ==, 4);

  /* Latest published is 4; with pending it is still 4; v2 and v3 pending. */
  list = qi_db_adapter_latest_versions (f->db, shot, FALSE, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 4);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, product, NULL, FALSE, 0, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 4);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 1), "number"), ==, 1);
  g_clear_pointer (&list, json_node_unref);

  /* Paging, the highest number first. */
  list = qi_db_adapter_list_versions (f->db, product, NULL, TRUE, 1, 2, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 3);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 1), "number"), ==, 2);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, product, NULL, TRUE, 10, 2, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);

  /* By task. */
  list = qi_db_adapter_list_versions (f->db, NULL, task, TRUE, 0, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 1);
  g_clear_pointer (&list, json_node_unref);

  /* A second product: its own numbers, its own latest. */
  other = qi_db_adapter_create_product (f->db, shot, "cameraMain", "camera", &error);
  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\"}", qi_test_id_of (other));
  g_clear_pointer (&v2, json_node_unref);
  v2 = create_version (f->db, spec, &error);
  g_assert_cmpint (qi_test_int_of (v2, "number"), ==, 1);
  g_clear_pointer (&v2, json_node_unref);
  v2 = create_and_publish (f->db, spec);
  g_assert_cmpint (qi_test_int_of (v2, "number"), ==, 2);
  list = qi_db_adapter_latest_versions (f->db, shot, FALSE, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "product_name"), ==, "animMain");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "product_name"), ==, "cameraMain");
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 1), "number"), ==, 2);
  g_clear_pointer (&list, json_node_unref);

  /* Pending versions for the doctor: v2 and v3 of animMain, v1 of camera. */
  list = qi_db_adapter_list_pending_versions (f->db, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 3);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_pending_versions (f->db, 3600, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);

  g_assert_null (qi_db_adapter_list_versions (f->db, NULL, NULL, FALSE, 0, 0, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "listing versions needs a product or a task");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_versions (f->db, "999", NULL, FALSE, 0, 0, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no product with id 999");
  g_clear_error (&error);

  {
    g_autoptr(JsonNode) stats = qi_db_adapter_stats (f->db, &error);

    g_clear_pointer (&text, g_free);
    text = to_text (stats);
    g_assert_cmpstr (text, ==, "{\"projects\":1,\"contexts\":2,\"tasks\":1,\"products\":2,\"versions\":6,"
                               "\"pending_versions\":3,\"components\":2,\"files\":3,\"users\":1}");
  }
}

/* Bad version specs: each error names the field, and nothing is written. */
static void
test_version_errors (Fixture       *f,
                     gconstpointer  data)
{
  static const struct { const char *spec; int code; const char *message; } cases[] = {
    { "{}", QI_DB_ERROR_INVALID, "product: is missing: give an id" },
    { "{\"product\": 1}", QI_DB_ERROR_INVALID, "product: must be an id, a string" },
    { "{\"product\": \"animMain\"}", QI_DB_ERROR_NOT_FOUND,
      "no product with id “animMain”: this tracker's ids are numbers such as “7”" },
    { "{\"product\": \"0\"}", QI_DB_ERROR_NOT_FOUND, "no product with id “0”: this tracker's ids are numbers such as “7”" },
    { "{\"product\": \"999\"}", QI_DB_ERROR_NOT_FOUND, "no product with id 999" },
    { "{\"product\": \"1\", \"task\": \"999\"}", QI_DB_ERROR_NOT_FOUND, "no task with id 999" },
    { "{\"product\": \"1\", \"author\": \"zed\"}", QI_DB_ERROR_NOT_FOUND, "no user “zed”" },
    { "{\"product\": \"1\", \"author\": 3}", QI_DB_ERROR_INVALID, "author: must be a string" },
    { "{\"product\": \"1\", \"status\": \"great\"}", QI_DB_ERROR_NOT_FOUND, "no status “great”" },
    { "{\"product\": \"1\", \"metadata\": [1]}", QI_DB_ERROR_INVALID, "metadata: must be an object" },
    { "{\"product\": \"1\", \"components\": {}}", QI_DB_ERROR_INVALID, "components: must be an array of objects" },
    { "{\"product\": \"1\", \"components\": [7]}", QI_DB_ERROR_INVALID, "components[0]: must be an object" },
    { "{\"product\": \"1\", \"components\": [{}]}", QI_DB_ERROR_INVALID,
      "the component name (components[0].name) is missing or empty" },
    { "{\"product\": \"1\", \"components\": [{\"name\": \"abc\"}, {\"name\": \"abc\"}]}", QI_DB_ERROR_INVALID,
      "components[1].name: “abc” is the name of an earlier component" },
    { "{\"product\": \"1\", \"components\": [{\"name\": \"abc\", \"metadata\": 1}]}", QI_DB_ERROR_INVALID,
      "components[0].metadata: must be an object" },
    { "{\"product\": \"1\", \"components\": [{\"name\": \"abc\", \"files\": [{\"path\": \"a\"}]}]}",
      QI_DB_ERROR_INVALID, "components[0].files[0].size: must be a size in bytes, an integer from 0" },
    { "{\"product\": \"1\", \"components\": [{\"name\": \"abc\", \"files\": [{\"size\": 1}]}]}",
      QI_DB_ERROR_INVALID, "components[0].files[0].path: must be a non-empty UTF-8 path" },
    { "{\"product\": \"1\", \"components\": [{\"name\": \"exr\"}, {\"name\": \"abc\", \"files\": "
      "[{\"path\": \"a\", \"size\": 1}, {\"path\": \"a\", \"size\": 2}]}]}",
      QI_DB_ERROR_INVALID, "components[1].files[1].path: “a” is listed twice" },
    { "{\"product\": \"1\", \"components\": [{\"name\": \"exr\"}, {\"name\": \"abc\", \"location\": \"mars\"}]}",
      QI_DB_ERROR_NOT_FOUND, "components[1].location: no location “mars”" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stats = NULL;
  g_autofree char *text = NULL;
  const char *product, *task;

  make_show (f->db, &product, &task);
  g_assert_cmpstr (product, ==, "1");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].spec);
      g_assert_null (create_version (f->db, cases[i].spec, &error));
      g_assert_error (error, QI_DB_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_clear_error (&error);
    }
  /* The failures that happened inside the transaction left nothing, and
   * used no number. */
  stats = qi_db_adapter_stats (f->db, &error);
  g_assert_cmpint (qi_test_int_of (stats, "versions"), ==, 0);
  g_assert_cmpint (qi_test_int_of (stats, "components"), ==, 0);
  {
    g_autoptr(JsonNode) v = create_version (f->db, "{\"product\": \"1\"}", &error);

    g_assert_no_error (error);
    g_assert_cmpint (qi_test_int_of (v, "number"), ==, 1);
  }
}

typedef struct
{
  GPtrArray *events;
} Changes;

static void
on_changed (QiDbAdapter *adapter,
            const char  *entity,
            const char  *action,
            JsonNode    *object,
            gpointer     user_data)
{
  GPtrArray *events = user_data;

  g_ptr_array_add (events, g_strdup_printf ("%s %s %s", entity, action, qi_test_id_of (object)));
}

static void
test_changed_signal (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) v = NULL;
  g_autoptr(JsonNode) published = NULL;
  const char *product, *task;

  g_signal_connect (f->db, "changed", G_CALLBACK (on_changed), events);
  make_show (f->db, &product, &task);
  v = create_version (f->db, "{\"product\": \"1\"}", &error);
  published = qi_db_adapter_publish_version (f->db, qi_test_id_of (v), &error);
  g_assert_null (create_version (f->db, "{\"product\": 2}", &error));
  g_clear_error (&error);

  g_assert_cmpuint (events->len, ==, 8);
  g_assert_cmpstr (events->pdata[0], ==, "project created 1");
  g_assert_cmpstr (events->pdata[1], ==, "user created 1");
  g_assert_cmpstr (events->pdata[2], ==, "context created 1");
  g_assert_cmpstr (events->pdata[3], ==, "context created 2");
  g_assert_cmpstr (events->pdata[4], ==, "product created 1");
  g_assert_cmpstr (events->pdata[5], ==, "task created 1");
  g_assert_cmpstr (events->pdata[6], ==, "version created 1");
  g_assert_cmpstr (events->pdata[7], ==, "version published 1");
}

/* Spawns the writer helper. */
static GSubprocess *
spawn_writer (Fixture     *f,
              const char  *product,
              guint        count,
              guint        files,
              gboolean     pending)
{
  g_autofree char *writer = g_test_build_filename (G_TEST_BUILT, "qi-db-writer", NULL);
  g_autofree char *count_text = g_strdup_printf ("%u", count);
  g_autofree char *files_text = g_strdup_printf ("%u", files);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_environ (launcher, f->env.envp);
  process = g_subprocess_launcher_spawn (launcher, &error, writer, f->path, product, count_text,
                                         files_text, pending ? "pending" : "published", NULL);
  g_assert_no_error (error);
  return process;
}

#define WRITERS 8
#define VERSIONS_EACH 25

static void
test_concurrent_writers (Fixture       *f,
                         gconstpointer  data)
{
  GSubprocess *writers[WRITERS];
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  const char *product, *task;
  gint64 start;
  guint total = WRITERS * VERSIONS_EACH;
  double seconds;

  make_show (f->db, &product, &task);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < WRITERS; i++)
    writers[i] = spawn_writer (f, product, VERSIONS_EACH, 3, FALSE);
  for (guint i = 0; i < WRITERS; i++)
    {
      g_autofree char *out = NULL;
      g_auto(GStrv) lines = NULL;

      g_subprocess_communicate_utf8 (writers[i], NULL, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_successful (writers[i]));
      lines = g_strsplit (out, "\n", -1);
      g_assert_cmpstr (lines[0], ==, "ready");
      /* Each writer sees its own numbers go up. */
      for (guint l = 2; l <= VERSIONS_EACH; l++)
        g_assert_cmpint (g_ascii_strtoll (lines[l], NULL, 10), >, g_ascii_strtoll (lines[l - 1], NULL, 10));
      for (guint l = 1; l <= VERSIONS_EACH; l++)
        g_assert_true (g_hash_table_add (seen, GINT_TO_POINTER (g_ascii_strtoll (lines[l], NULL, 10))));
      g_object_unref (writers[i]);
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("%u writer processes created and published %u versions in %.2f s: %.0f versions/s",
                  WRITERS, total, seconds, total / seconds);

  /* Numbers 1..N: no gap, no duplicate, in the tracker as reported. */
  g_assert_cmpuint (g_hash_table_size (seen), ==, total);
  list = qi_db_adapter_list_versions (f->db, product, NULL, TRUE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, total);
  for (guint i = 0; i < total; i++)
    {
      g_assert_cmpint (qi_test_int_of (qi_test_element (list, i), "number"), ==, total - i);
      g_assert_cmpstr (qi_test_string_of (qi_test_element (list, i), "state"), ==, "published");
      g_assert_true (g_hash_table_contains (seen, GINT_TO_POINTER (total - i)));
    }
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? st.st_size : 0;
}

static void
test_killed_writer (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stats = NULL;
  g_autoptr(JsonNode) v = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *check = NULL;
  const char *product, *task;
  guint killed_in_transaction = 0;

  make_show (f->db, &product, &task);
  wal = g_strconcat (f->path, "-wal", NULL);

  /* A version with many files takes long enough to write that the kill
   * lands inside its transaction: the WAL grows with its uncommitted
   * pages, and the process dies before the commit. */
  for (guint attempt = 0; attempt < 3 && killed_in_transaction == 0; attempt++)
    {
      g_autoptr(GSubprocess) writer = spawn_writer (f, product, 1, 200000, TRUE);
      g_autoptr(GDataInputStream) out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (writer));
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      goffset before = file_size (wal);
      gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
      g_autofree char *number = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (line, ==, "ready");
      while (file_size (wal) < before + 2 * 1024 * 1024 && g_get_monotonic_time () < deadline)
        g_usleep (500);
      g_subprocess_send_signal (writer, SIGKILL);
      g_subprocess_wait (writer, NULL, &error);
      g_assert_no_error (error);
      number = g_data_input_stream_read_line_utf8 (out, NULL, NULL, NULL);
      if (number == NULL)
        killed_in_transaction++;
      g_test_message ("attempt %u: killed %s the commit", attempt, number == NULL ? "before" : "after");
    }
  g_assert_cmpuint (killed_in_transaction, >, 0);

  /* The tracker is whole: every version that is there has all its files,
   * and the next number follows the committed ones. */
  sql (f->path, "PRAGMA integrity_check", &check);
  g_assert_cmpstr (check, ==, "ok");
  stats = qi_db_adapter_stats (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (stats, "files"), ==, qi_test_int_of (stats, "versions") * 200000);
  g_assert_cmpint (qi_test_int_of (stats, "components"), ==, qi_test_int_of (stats, "versions"));
  v = create_version (f->db, "{\"product\": \"1\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v, "number"), ==, qi_test_int_of (stats, "versions") + 1);
}

/* The hub. */


static void
on_event (QiMessage *event,
          gpointer   user_data)
{
  GPtrArray *events = user_data;
  g_autofree char *payload = json_to_string (qi_message_get_payload (event), FALSE);

  g_ptr_array_add (events, g_strdup_printf ("%s %s", qi_message_get_topic (event), payload));
}

static void
test_manager (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(QiDbManager) manager = qi_db_manager_new ();
  g_autofree char *other_path = g_build_filename (f->env.root, "other.sqlite", NULL);
  g_autoptr(QiSqliteAdapter) other = qi_sqlite_adapter_new (other_path);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  g_assert_cmpstr (qi_service_get_name (QI_SERVICE (manager)), ==, "db");
  g_assert_null (qi_db_manager_get_default (manager));
  g_assert_null (qi_db_manager_get_adapter (manager, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (qi_db_manager_add_adapter (manager, "sqlite", f->db, &error));
  g_assert_true (qi_db_manager_add_adapter (manager, "other", QI_DB_ADAPTER (other), &error));
  g_assert_no_error (error);
  g_assert_false (qi_db_manager_add_adapter (manager, "other", f->db, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpstr (qi_db_manager_get_default (manager), ==, "sqlite");
  g_assert_true (qi_db_manager_get_adapter (manager, NULL, NULL) == f->db);
  g_assert_true (qi_db_manager_get_adapter (manager, "other", NULL) == QI_DB_ADAPTER (other));
  names = qi_db_manager_dup_adapter_names (manager);
  g_assert_cmpstrv (names, ((const char * const []) { "sqlite", "other", NULL }));

  g_assert_true (qi_db_manager_set_default (manager, "other", &error));
  g_assert_true (qi_db_manager_get_adapter (manager, NULL, NULL) == QI_DB_ADAPTER (other));
  g_assert_false (qi_db_manager_set_default (manager, "ftrack", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no tracker adapter “ftrack”");
  g_clear_error (&error);
  g_assert_true (qi_db_manager_remove_adapter (manager, "other"));
  g_assert_false (qi_db_manager_remove_adapter (manager, "other"));
  g_assert_cmpstr (qi_db_manager_get_default (manager), ==, "sqlite");
  /* Nothing was opened. */
  g_assert_false (qi_sqlite_adapter_is_open (other));
}

static void
test_hub (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiDbManager) manager = qi_db_manager_new ();
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *text = NULL;
  const char *version;

  g_assert_true (qi_db_manager_add_adapter (manager, "sqlite", f->db, &error));
  g_assert_true (qi_db_manager_attach_hub (manager, hub, &error));
  g_assert_no_error (error);
  g_assert_false (qi_db_manager_attach_hub (manager, hub, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  client = qi_hub_open_endpoint (hub, "test/client", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_hub_endpoint_subscribe (client, "db_service.**", on_event, events, NULL, &error), >, 0);

#define ASK(topic, payload) G_STMT_START { \
    g_clear_pointer (&reply, json_node_unref); \
    g_clear_pointer (&text, g_free); \
    reply = qi_test_ask (client, topic, payload, &error); \
    g_assert_no_error (error); \
    text = to_text (reply); \
  } G_STMT_END

  ASK ("db_service.project.create", "{\"name\": \"demo\", \"label\": \"Demo\"}");
  g_assert_cmpstr (qi_test_string_of (reply, "name"), ==, "demo");
  ASK ("db_service.project.list", "{}");
  g_assert_true (g_str_has_prefix (text, "{\"projects\":[{\"id\":\"1\",\"name\":\"demo\",\"label\":\"Demo\","));
  ASK ("db_service.project.get", "{\"name\": \"demo\", \"adapter\": \"sqlite\"}");
  g_assert_cmpstr (qi_test_id_of (reply), ==, "1");
  ASK ("db_service.user.create", "{\"username\": \"ada\", \"full_name\": \"Ada Okafor\"}");
  ASK ("db_service.context.create", "{\"project\": \"demo\", \"kind\": \"sequence\", \"name\": \"sq010\"}");
  ASK ("db_service.context.create", "{\"project\": \"demo\", \"parent\": \"/sq010\", \"kind\": \"shot\", \"name\": \"sh020\"}");
  g_assert_cmpstr (qi_test_string_of (reply, "path"), ==, "/sq010/sh020");
  ASK ("db_service.context.lookup", "{\"project\": \"demo\", \"path\": \"/sq010/sh020\"}");
  g_assert_cmpstr (text, ==, "{\"id\":\"2\",\"project\":\"demo\",\"parent\":\"1\",\"kind\":\"shot\",\"name\":\"sh020\","
                             "\"path\":\"/sq010/sh020\"}");
  ASK ("db_service.context.list", "{\"project\": \"demo\"}");
  g_assert_cmpstr (text, ==, "{\"contexts\":[{\"id\":\"1\",\"project\":\"demo\",\"parent\":null,\"kind\":\"sequence\","
                             "\"name\":\"sq010\",\"path\":\"/sq010\"},{\"id\":\"2\",\"project\":\"demo\",\"parent\":\"1\","
                             "\"kind\":\"shot\",\"name\":\"sh020\",\"path\":\"/sq010/sh020\"}]}");
  ASK ("db_service.context.children", "{\"project\": \"demo\", \"parent\": \"1\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (reply), "contexts")),
                    ==, 1);
  ASK ("db_service.task.create", "{\"project\": \"demo\", \"context\": \"/sq010/sh020\", \"name\": \"anim\", "
                                 "\"type\": \"anim\", \"assignee\": \"ada\"}");
  ASK ("db_service.task.list", "{\"assignee\": \"ada\"}");
  g_assert_true (g_str_has_prefix (text, "{\"tasks\":[{\"id\":\"1\",\"project\":\"demo\",\"context\":\"2\","));
  ASK ("db_service.task.list", "{\"project\": \"demo\", \"context\": \"/sq010/sh020\"}");
  g_assert_true (g_str_has_prefix (text, "{\"tasks\":[{\"id\":\"1\","));
  ASK ("db_service.product.create", "{\"context\": 2, \"name\": \"animMain\", \"type\": \"animation\"}");
  ASK ("db_service.product.list", "{\"project\": \"demo\", \"context\": \"/sq010/sh020\", \"type\": \"animation\"}");
  g_assert_true (g_str_has_prefix (text, "{\"products\":[{\"id\":\"1\","));
  ASK ("db_service.version.create", "{\"product\": 1, \"task\": 1, \"author\": \"ada\", \"comment\": \"wip\", "
                                    "\"components\": [{\"name\": \"abc\", \"files\": [{\"path\": \"x.abc\", \"size\": 5}]}]}");
  g_assert_cmpint (qi_test_int_of (reply, "number"), ==, 1);
  g_assert_cmpstr (qi_test_string_of (reply, "state"), ==, "pending");
  version = qi_test_id_of (reply);
  ASK ("db_service.version.list", "{\"product\": \"1\"}");
  g_assert_cmpstr (text, ==, "{\"versions\":[],\"offset\":0,\"limit\":100}");
  ASK ("db_service.version.list", "{\"product\": 1, \"include_pending\": true, \"limit\": 5}");
  g_assert_true (g_str_has_prefix (text, "{\"versions\":[{\"id\":\"1\","));
  ASK ("db_service.version.pending", "{}");
  g_assert_true (g_str_has_prefix (text, "{\"versions\":[{\"id\":\"1\","));
  ASK ("db_service.version.publish", "{\"id\": \"1\"}");
  g_assert_cmpstr (qi_test_string_of (reply, "state"), ==, "published");
  ASK ("db_service.version.latest", "{\"project\": \"demo\", \"context\": \"/sq010/sh020\"}");
  g_assert_true (g_str_has_prefix (text, "{\"versions\":[{\"id\":\"1\",\"product\":\"1\",\"product_name\":\"animMain\","));
  ASK ("db_service.version.get", "{\"id\": 1}");
  g_assert_nonnull (strstr (text, "\"components\":[{\"id\":\"1\",\"name\":\"abc\",\"location\":\"local\","));
  /* a scene's versions in one request: each, and its product's latest
   * published; a version that is gone is null */
  ASK ("db_service.version.inventory", "{\"versions\": [\"1\", 1, \"99\"]}");
  g_assert_true (g_str_has_prefix (text, "{\"versions\":[{\"id\":\"1\",\"version\":{\"id\":\"1\",\"product\":\"1\","));
  g_assert_null (strstr (text, "\"components\""));
  g_assert_nonnull (strstr (text, "{\"id\":\"99\",\"version\":null,\"latest\":null}]}"));
  g_assert_nonnull (strstr (text, "\"latest\":{\"id\":\"1\",\"product\":\"1\""));
  ASK ("db_service.location.create", "{\"name\": \"studio\", \"root\": \"/mnt/projects\"}");
  ASK ("db_service.context.link", "{\"project\": \"demo\", \"context\": \"/sq010/sh020\", \"uses\": \"/sq010\"}");
  g_assert_cmpstr (text, ==, "{\"context\":\"2\",\"uses\":\"1\"}");
  ASK ("db_service.context.links", "{\"project\": \"demo\", \"context\": \"/sq010\"}");
  g_assert_true (g_str_has_prefix (text, "{\"uses\":[],\"used_in\":[{\"id\":\"2\","));
  ASK ("db_service.version.links", "{\"version\": \"1\"}");
  g_assert_cmpstr (text, ==, "{\"uses\":[],\"used_in\":[]}");
  ASK ("db_service.user.list", "{}");
  g_assert_true (g_str_has_prefix (text, "{\"users\":[{\"id\":\"1\",\"username\":\"ada\""));
  ASK ("db_service.status.list", "{}");
  g_assert_true (g_str_has_prefix (text, "{\"statuses\":[{\"name\":\"not_started\",\"label\":\"Not started\","));
  ASK ("db_service.task_type.list", "{}");
  g_assert_true (g_str_has_prefix (text, "{\"task_types\":[{\"name\":\"layout\""));
  ASK ("db_service.stats", "{}");
  g_assert_cmpstr (text, ==, "{\"projects\":1,\"contexts\":2,\"tasks\":1,\"products\":1,\"versions\":1,"
                             "\"pending_versions\":0,\"components\":1,\"files\":1,\"users\":1}");
#undef ASK

  /* Errors: a bad payload is bad_message, the tracker's own refusal is
   * handler_failed with its message. */
  g_clear_pointer (&reply, json_node_unref);
  reply = qi_test_ask (client, "db_service.context.lookup", "{\"project\": \"demo\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "db_service.context.lookup: the payload needs “path”, a string");
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.version.list", "{\"product\": true}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "db_service.version.list: “product” must be an id, a string, not a boolean");
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.version.list", "{\"product\": \"animMain\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_cmpstr (error->message, ==, "no product with id “animMain”: this tracker's ids are numbers such as “7”");
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.version.list", "{}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.version.publish", "{\"id\": 1}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_cmpstr (error->message, ==, "the version with id 1 is published already");
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.project.get", "{\"name\": \"demo\", \"adapter\": \"ftrack\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_cmpstr (error->message, ==, "no tracker adapter “ftrack”");
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.version.latest", "{\"context\": \"/sq010/sh020\"}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "db_service.version.latest: the payload needs “project”, a string");
  g_clear_error (&error);
  reply = qi_test_ask (client, "db_service.version.inventory", "{\"versions\": [true]}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "db_service.version.inventory: versions[0] is not a version id");
  g_clear_error (&error);

  /* The events, after each write, in order. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (events->len, ==, 10);
  g_assert_true (g_str_has_prefix (events->pdata[0], "db_service.project.changed {\"adapter\":\"sqlite\","
                                                     "\"action\":\"created\",\"project\":{\"id\":\"1\","));
  g_assert_true (g_str_has_prefix (events->pdata[2], "db_service.context.changed "));
  g_assert_true (g_str_has_prefix (events->pdata[4], "db_service.task.changed "));
  g_assert_true (g_str_has_prefix (events->pdata[5], "db_service.product.changed "));
  g_assert_true (g_str_has_prefix (events->pdata[6], "db_service.version.changed {\"adapter\":\"sqlite\","
                                                     "\"action\":\"created\",\"version\":{\"id\":\"1\","));
  g_assert_true (g_str_has_prefix (events->pdata[7], "db_service.version.changed {\"adapter\":\"sqlite\","
                                                     "\"action\":\"published\","));
  g_assert_true (g_str_has_prefix (events->pdata[8], "db_service.location.changed "));
  g_assert_cmpstr (events->pdata[9], ==, "db_service.context.changed {\"adapter\":\"sqlite\",\"action\":\"linked\","
                                         "\"context\":{\"context\":\"2\",\"uses\":\"1\"}}");
  g_assert_cmpstr (version, ==, "1");
}

/* The verbs, through the real qi. */
static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *data_dir = g_build_filename (f->env.root, "qi-data", NULL);
  g_autofree char *tracker = g_build_filename (data_dir, "tracker.sqlite", NULL);
  g_autofree char *default_tracker = g_build_filename (f->env.data_home, "qi", "tracker.sqlite", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_environ (launcher, f->env.envp);

  /* `version` never opens the tracker. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "version", NULL), ==, 0);
  g_assert_false (g_file_test (default_tracker, G_FILE_TEST_EXISTS));

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "db", "init", NULL), ==, 0);
  expected = g_strdup_printf ("tracker %s, schema version %d\n", default_tracker, QI_SQLITE_ADAPTER_SCHEMA_VERSION);
  g_assert_cmpstr (out, ==, expected);
  g_assert_true (g_file_test (default_tracker, G_FILE_TEST_EXISTS));

  /* --data-dir moves it. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "seed-demo",
                                   NULL), ==, 0);
  g_assert_cmpstr (out, ==, "created the project “demo”\n");
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_file_test (tracker, G_FILE_TEST_EXISTS));
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "seed-demo",
                                   NULL), ==, 1);
  g_assert_cmpstr (err, ==, "qi db seed-demo: the tracker has a project “demo” already\n");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "stats",
                                   "--json", NULL), ==, 0);
  {
    g_autoptr(JsonNode) stats = json_from_string (out, &error);
    g_autofree char *text = NULL;

    g_assert_no_error (error);
    text = to_text (stats);
    g_assert_cmpstr (text, ==, "{\"projects\":1,\"contexts\":12,\"tasks\":39,\"products\":6,\"versions\":8,"
                               "\"pending_versions\":0,\"components\":13,\"files\":17,\"users\":5}");
  }
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "stats",
                                   NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "projects           1\ncontexts           12\n"));

  /* The demo, read back through the API. */
  {
    g_autoptr(QiSqliteAdapter) demo = qi_sqlite_adapter_new (tracker);
    g_autoptr(JsonNode) shot = qi_db_adapter_lookup_context (QI_DB_ADAPTER (demo), "demo", "/sq010/sh010", &error);
    g_autoptr(JsonNode) latest = NULL;
    g_autoptr(JsonNode) tasks = NULL;

    g_assert_no_error (error);
    latest = qi_db_adapter_latest_versions (QI_DB_ADAPTER (demo), qi_test_id_of (shot), FALSE, &error);
    g_assert_cmpuint (qi_test_length_of (latest), ==, 4);
    g_assert_cmpstr (qi_test_string_of (qi_test_element (latest, 0), "product_name"), ==, "animMain");
    g_assert_cmpint (qi_test_int_of (qi_test_element (latest, 0), "number"), ==, 2);
    tasks = qi_db_adapter_list_tasks (QI_DB_ADAPTER (demo), "demo", NULL, "ada", &error);
    g_assert_cmpuint (qi_test_length_of (tasks), >, 0);
  }

  /* A publisher that died leaves a pending version the doctor finds. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "doctor",
                                   NULL), ==, 0);
  g_assert_cmpstr (out, ==, "no pending version older than 10 minutes has lost its publisher\n");
  g_free (f->path);
  f->path = g_strdup (tracker);
  {
    g_autoptr(GSubprocess) writer = spawn_writer (f, "1", 1, 1, TRUE);

    g_subprocess_wait_check (writer, NULL, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "doctor",
                                   NULL), ==, 0);
  g_assert_cmpstr (out, ==, "no pending version older than 10 minutes has lost its publisher\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "doctor",
                                   "--minutes", "0", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "version 9 (modelMain v003), pending since "));
  g_assert_true (g_str_has_suffix (out, " is gone\n"));
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--data-dir", data_dir, "db", "doctor",
                                   "--minutes", "0", "--json", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"gone\": true"));
}

/* A batch is one transaction: all of it or none; a failing write inside
 * undoes only itself. */
static void
test_batch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) list = NULL;

  g_assert_true (qi_sqlite_adapter_begin_batch (f->sqlite, &error));
  g_assert_no_error (error);
  g_assert_false (qi_sqlite_adapter_begin_batch (f->sqlite, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  node = qi_db_adapter_create_project (f->db, "demo", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  g_assert_null (qi_db_adapter_create_project (f->db, "demo", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  node = qi_db_adapter_create_context (f->db, "demo", NULL, "sequence", "sq010", &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  qi_sqlite_adapter_rollback_batch (f->sqlite);
  list = qi_db_adapter_list_projects (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);

  g_assert_true (qi_sqlite_adapter_begin_batch (f->sqlite, &error));
  node = qi_db_adapter_create_project (f->db, "demo", NULL, &error);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (f->db, "demo", NULL, "sequence", "sq010", &error);
  g_assert_no_error (error);
  g_assert_true (qi_sqlite_adapter_commit_batch (f->sqlite, &error));
  g_assert_no_error (error);
  list = qi_db_adapter_list_all_contexts (f->db, "demo", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/qi/db/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("sqlite/lazy-open", test_lazy_open);
  ADD ("sqlite/migration", test_migration);
  ADD ("sqlite/projects-contexts", test_projects_contexts);
  ADD ("sqlite/tasks-products", test_tasks_products);
  ADD ("sqlite/versions", test_versions);
  ADD ("sqlite/version-errors", test_version_errors);
  ADD ("sqlite/batch", test_batch);
  ADD ("sqlite/changed-signal", test_changed_signal);
  ADD ("sqlite/concurrent-writers", test_concurrent_writers);
  ADD ("sqlite/killed-writer", test_killed_writer);
  ADD ("manager/adapters", test_manager);
  ADD ("manager/hub", test_hub);
  ADD ("cli", test_cli);

#undef ADD

  return g_test_run ();
}
