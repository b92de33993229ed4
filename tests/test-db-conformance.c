/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sys/prctl.h>
#include <signal.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "qi-db-conformance.h"
#include "qi-test-utils.h"
#include "qi-sqlite-adapter.h"
#include "qi-ftrack-adapter.h"
#include "qi-ftrack-session.h"

/*
 * The adapter conformance suite (qi-db-conformance.c) against both
 * adapters: the SQLite tracker on a real file, and QiFtrackAdapter against
 * the fake ftrack server (tests/ftrack/fake_ftrack.py), which answers like
 * ftrack, starting from the recorded schemas and server information of
 * tests/fixtures/ftrack. Then what only the ftrack adapter does: the
 * exact requests it sends, and how it takes a failing server.
 */

#define FTRACK_USER "qi.pipeline@studio.example"
#define FTRACK_KEY "7545384e-a653-11e1-a82c-f22c11dd25eq"

/* SQLite: a new file per case. */

typedef struct
{
  char *dir;
} SqliteData;

static QiDbAdapter *
sqlite_open (QiDbConformanceTarget *target)
{
  SqliteData *data = target->data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  QiSqliteAdapter *adapter;

  data->dir = g_dir_make_tmp ("qi-db-conformance-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (data->dir, "tracker.sqlite", NULL);
  adapter = qi_sqlite_adapter_new (path);
  g_assert_true (qi_sqlite_adapter_open (adapter, &error));
  g_assert_no_error (error);
  return QI_DB_ADAPTER (adapter);
}

static void
sqlite_close (QiDbConformanceTarget *target,
              QiDbAdapter           *adapter)
{
  SqliteData *data = target->data;

  g_object_unref (adapter);
  qi_test_remove_tree (data->dir);
  g_clear_pointer (&data->dir, g_free);
}

/* ftrack: one fake server for the program, reset before each case. */

typedef struct
{
  GSubprocess *server;
  char        *url;
  SoupSession *soup;
} FtrackData;

static FtrackData ftrack;

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
start_fake_ftrack (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "ftrack", "fake_ftrack.py", NULL);
  const char *fixtures = g_getenv ("QI_FTRACK_FIXTURES");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;

  g_assert_nonnull (fixtures);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  /* A test that aborts takes the server with it. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  ftrack.server = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script,
                                               "--fixtures", fixtures, "--port", "0", "--user", FTRACK_USER,
                                               "--key", FTRACK_KEY, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (ftrack.server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  ftrack.url = g_strdup_printf ("http://127.0.0.1:%s", g_strstrip (line));
  ftrack.soup = soup_session_new ();
}

static void
stop_fake_ftrack (void)
{
  g_subprocess_send_signal (ftrack.server, SIGTERM);
  g_subprocess_wait (ftrack.server, NULL, NULL);
  g_clear_object (&ftrack.server);
  g_clear_object (&ftrack.soup);
  g_clear_pointer (&ftrack.url, g_free);
}

/* A request to the fake's own controls; its JSON answer. */
static JsonNode *
fake_control (const char *method,
              const char *path,
              const char *body)
{
  g_autofree char *url = g_strconcat (ftrack.url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  answer = soup_session_send_and_read (ftrack.soup, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                             (gssize) g_bytes_get_size (answer), &error));
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

static QiDbAdapter *
ftrack_open (QiDbConformanceTarget *target)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reset = fake_control ("POST", "/_fake/reset", "{}");
  QiFtrackAdapter *adapter = qi_ftrack_adapter_new (ftrack.url, FTRACK_USER, FTRACK_KEY, &error);

  g_assert_no_error (error);
  g_object_set (qi_ftrack_adapter_get_session (adapter), "retry-delay-ms", 10, NULL);
  return QI_DB_ADAPTER (adapter);
}

static void
ftrack_close (QiDbConformanceTarget *target,
              QiDbAdapter           *adapter)
{
  g_object_unref (adapter);
}

/* The operations of the requests the fake got, after the first @skip. */
static JsonArray *
requests_since (guint skip)
{
  g_autoptr(JsonNode) log = fake_control ("GET", "/_fake/requests", NULL);
  JsonArray *all = JSON_NODE_HOLDS_ARRAY (log) ? json_node_get_array (log)
                                               : json_object_get_array_member (json_node_get_object (log),
                                                                               "requests");
  JsonArray *since = json_array_new ();

  for (guint i = skip; i < json_array_get_length (all); i++)
    json_array_add_element (since, json_node_copy (json_array_get_element (all, i)));
  return since;
}

static guint
request_count (void)
{
  g_autoptr(JsonArray) all = requests_since (0);

  return json_array_get_length (all);
}

static JsonArray *
operations_of (JsonArray *requests,
               guint      index)
{
  JsonObject *request = json_array_get_object_element (requests, index);

  return json_object_get_array_member (request, "operations");
}

/* What the ftrack adapter sends: the headers, one query per read, paging,
 * and a version with its components in one request. */
static void
test_ftrack_requests (void)
{
  g_autoptr(QiDbAdapter) db = ftrack_open (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonArray) requests = NULL;
  g_autofree char *text = NULL;
  JsonObject *request;
  guint before;

  before = request_count ();
  node = qi_db_adapter_list_projects (db, &error);
  g_assert_no_error (error);
  requests = requests_since (before);
  g_assert_cmpuint (json_array_get_length (requests), ==, 1);
  request = json_array_get_object_element (requests, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (request, "headers"),
                                                  "ftrack-user"), ==, FTRACK_USER);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (request, "headers"),
                                                  "ftrack-api-key"), ==, FTRACK_KEY);
  text = json_to_string (json_array_get_element (operations_of (requests, 0), 0), FALSE);
  g_assert_cmpstr (text, ==, "{\"action\":\"query\",\"expression\":\"select id, name, full_name, created_at "
                             "from Project order by name, id offset 0 limit 500\"}");
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&requests, json_array_unref);
  g_clear_pointer (&node, json_node_unref);

  /* A version, its metadata, its components and their locations: one
   * request, so one transaction on ftrack's side. */
  node = qi_db_adapter_create_project (db, "demo", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (db, "demo", NULL, "shot", "sh010", &error);
  g_assert_no_error (error);
  {
    g_autofree char *shot = g_strdup (json_object_get_string_member (json_node_get_object (node), "id"));
    g_autofree char *spec_text = NULL;
    g_autoptr(JsonNode) product = qi_db_adapter_create_product (db, shot, "animMain", "model", &error);
    g_autoptr(JsonNode) spec = NULL;
    g_autoptr(JsonNode) version = NULL;
    JsonArray *operations = NULL;
    guint creates = 0;

    g_assert_no_error (error);
    spec_text = g_strdup_printf ("{\"product\": \"%s\", \"comment\": \"wip\", \"components\": "
                                 "[{\"name\": \"abc\", \"files\": [{\"path\": \"a.abc\", \"size\": 3}]}, "
                                 "{\"name\": \"exr\", \"files\": [{\"path\": \"f.1001.exr\", \"size\": 1}, "
                                 "{\"path\": \"f.1002.exr\", \"size\": 2}]}]}",
                                 json_object_get_string_member (json_node_get_object (product), "id"));
    spec = json_from_string (spec_text, NULL);
    before = request_count ();
    version = qi_db_adapter_create_version (db, json_node_get_object (spec), &error);
    g_assert_no_error (error);
    requests = requests_since (before);
    for (guint i = 0; i < json_array_get_length (requests); i++)
      {
        JsonArray *ops = operations_of (requests, i);

        if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (ops, 0), "action"),
                       "create") == 0)
          {
            g_assert_null (operations);
            operations = ops;
          }
      }
    g_assert_nonnull (operations);
    for (guint i = 0; i < json_array_get_length (operations); i++)
      {
        JsonObject *op = json_array_get_object_element (operations, i);

        g_assert_cmpstr (json_object_get_string_member (op, "action"), ==, "create");
        creates++;
      }
    /* AssetVersion + 3 metadata; FileComponent + 2 metadata + location;
     * ContainerComponent + 2 metadata + 2 × (FileComponent + location). */
    g_assert_cmpuint (creates, ==, 4 + 4 + 7);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (operations, 0), "entity_type"),
                     ==, "AssetVersion");
    /* The server numbers the version: the adapter sends no number. */
    g_assert_false (json_object_has_member (json_object_get_object_member (
                      json_array_get_object_element (operations, 0), "entity_data"), "version"));
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (version), "number"), ==, 1);
  }
}

/* 5xx is tried again; a wrong key is one clear sentence. */
static void
test_ftrack_failures (void)
{
  g_autoptr(QiDbAdapter) db = ftrack_open (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) control = fake_control ("POST", "/_fake/fail", "{\"status\": 503, \"count\": 2}");
  g_autoptr(QiFtrackAdapter) wrong = NULL;
  guint before = request_count ();

  node = qi_db_adapter_list_statuses (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), >, 0);
  /* two 503s, then the answer */
  g_assert_cmpuint (request_count () - before, ==, 3);

  wrong = qi_ftrack_adapter_new (ftrack.url, FTRACK_USER, "not-the-key", &error);
  g_assert_no_error (error);
  g_assert_null (qi_db_adapter_list_projects (QI_DB_ADAPTER (wrong), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "API key"));
  g_clear_error (&error);

  /* ftrack has no cheap counts. */
  g_assert_null (qi_db_adapter_stats (db, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_UNSUPPORTED);
}

int
main (int   argc,
      char *argv[])
{
  static SqliteData sqlite_data;
  static QiDbConformanceTarget sqlite_target = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .unknown_id = "999999",
    .product_type = "model",
    .data = &sqlite_data,
  };
  static QiDbConformanceTarget ftrack_target = {
    .name = "ftrack",
    .open = ftrack_open,
    .close = ftrack_close,
    .unknown_id = "0b0e6a62-3d4f-4c1e-9a55-000000000000",
    .product_type = "model",
    .data = &ftrack,
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  qi_db_conformance_add_tests (&sqlite_target);
  qi_db_conformance_add_tests (&ftrack_target);
  g_test_add_func ("/qi/db-conformance/ftrack-only/requests", test_ftrack_requests);
  g_test_add_func ("/qi/db-conformance/ftrack-only/failures", test_ftrack_failures);
  start_fake_ftrack ();
  status = g_test_run ();
  stop_fake_ftrack ();
  return status;
}
