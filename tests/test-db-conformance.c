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
/* ftrack's own id of its server location, on every site */
#define SERVER_LOCATION_ID "3a372bde-05bc-11e4-8908-20c9d081909b"

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

/* The results of @operations sent to the fake as a client would. */
static JsonArray *
fake_api (const char *operations)
{
  g_autofree char *url = g_strconcat (ftrack.url, "/api", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (operations, strlen (operations));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  soup_message_headers_replace (soup_message_get_request_headers (msg), "ftrack-user", FTRACK_USER);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "ftrack-api-key", FTRACK_KEY);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  answer = soup_session_send_and_read (ftrack.soup, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                             (gssize) g_bytes_get_size (answer), &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

/* The entities a query of the fake finds. */
static JsonArray *
fake_query (const char *format,
            ...) G_GNUC_PRINTF (1, 2);

static JsonArray *
fake_query (const char *format,
            ...)
{
  g_autofree char *expression = NULL;
  g_autofree char *operations = NULL;
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(JsonNode) node = NULL;
  va_list args;

  va_start (args, format);
  expression = g_strdup_vprintf (format, args);
  va_end (args);
  node = json_node_init_string (json_node_alloc (), expression);
  {
    g_autofree char *quoted = json_to_string (node, FALSE);

    operations = g_strdup_printf ("[{\"action\": \"query\", \"expression\": %s}]", quoted);
  }
  results = fake_api (operations);
  return json_array_ref (json_object_get_array_member (json_array_get_object_element (results, 0), "data"));
}

/* The "action" and "entity_type" of an operation, as "create FileComponent". */
static char *
operation_summary (JsonArray *operations,
                   guint      index)
{
  JsonObject *op = json_array_get_object_element (operations, index);

  return g_strdup_printf ("%s %s", json_object_get_string_member (op, "action"),
                          json_object_get_string_member_with_default (op, "entity_type", ""));
}

static JsonObject *
entity_data (JsonArray *operations,
             guint      index)
{
  return json_object_get_object_member (json_array_get_object_element (operations, index), "entity_data");
}

/* Whether any of @requests changes something. */
static gboolean
any_write (JsonArray *requests)
{
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonArray *operations = operations_of (requests, i);

      for (guint j = 0; operations != NULL && j < json_array_get_length (operations); j++)
        {
          const char *action = json_object_get_string_member (json_array_get_object_element (operations, j),
                                                              "action");

          if (g_strv_contains ((const char * const []) { "create", "update", "delete", NULL }, action))
            return TRUE;
        }
    }
  return FALSE;
}

/* A show for the ftrack-only cases: demo /sh010 with a product; its id. */
static char *
make_product (QiDbAdapter *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) project = qi_db_adapter_create_project (db, "demo", NULL, &error);
  g_autoptr(JsonNode) shot = NULL;
  g_autoptr(JsonNode) product = NULL;

  g_assert_no_error (error);
  shot = qi_db_adapter_create_context (db, "demo", NULL, "shot", "sh010", &error);
  g_assert_no_error (error);
  product = qi_db_adapter_create_product (db, json_object_get_string_member (json_node_get_object (shot), "id"),
                                          "animMain", "model", &error);
  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (product), "id"));
}

static JsonNode *
create_from_text (QiDbAdapter  *db,
                  const char   *text,
                  GError      **error)
{
  g_autoptr(JsonNode) spec = json_from_string (text, NULL);

  g_assert_nonnull (spec);
  return qi_db_adapter_create_version (db, json_node_get_object (spec), error);
}

static JsonNode *
make_version (QiDbAdapter  *db,
              GError      **error,
              const char   *format,
              ...) G_GNUC_PRINTF (3, 4);

static JsonNode *
make_version (QiDbAdapter  *db,
              GError      **error,
              const char   *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  return create_from_text (db, text, error);
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

/* A version asked for with its number: the asset's highest version is
 * checked, then the number is sent; a wrong one sends no write at all. */
static void
test_ftrack_number (void)
{
  g_autoptr(QiDbAdapter) db = ftrack_open (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *product = make_product (db);
  g_autofree char *expected = NULL;
  g_autoptr(JsonNode) v1 = make_version (db, &error, "{\"product\": \"%s\"}", product);
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonArray) requests = NULL;
  JsonArray *operations;
  guint before;

  g_assert_no_error (error);
  before = request_count ();
  v2 = make_version (db, &error, "{\"product\": \"%s\", \"number\": 2}", product);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (v2), "number"), ==, 2);
  requests = requests_since (before);
  /* product; the highest version; the create; the others of number 2;
   * the version read back (itself, its components, their members) */
  g_assert_cmpuint (json_array_get_length (requests), ==, 7);
  expected = g_strdup_printf ("select version from AssetVersion where asset_id is \"%s\" and version is_not None "
                              "order by version descending limit 1", product);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (operations_of (requests, 1), 0),
                                                  "expression"), ==, expected);
  operations = operations_of (requests, 2);
  g_assert_cmpint (json_object_get_int_member (entity_data (operations, 0), "version"), ==, 2);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("select id, date from AssetVersion where asset_id is \"%s\" and version is 2 "
                              "order by date, id offset 0 limit 500", product);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (operations_of (requests, 3), 0),
                                                  "expression"), ==, expected);
  g_clear_pointer (&requests, json_array_unref);

  /* Taken, or not the next: checked before anything is written. */
  for (guint number = 2; number <= 4; number += 2)
    {
      g_autofree char *spec = g_strdup_printf ("{\"product\": \"%s\", \"number\": %u, \"components\": "
                                               "[{\"name\": \"abc\", \"files\": [{\"path\": \"a\", \"size\": 1}]}]}",
                                               product, number);
      g_autoptr(JsonArray) sent = NULL;
      g_autofree char *message = g_strdup_printf ("number: version %u of product “%s” cannot be made: the "
                                                  "product's next version is 3", number, product);

      before = request_count ();
      g_assert_null (create_from_text (db, spec, &error));
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
      g_assert_cmpstr (error->message, ==, message);
      g_clear_error (&error);
      sent = requests_since (before);
      g_assert_false (any_write (sent));
    }
  {
    g_autoptr(JsonArray) components = fake_query ("select id from Component");

    g_assert_cmpuint (json_array_get_length (components), ==, 0);
  }
}

/* Two publishers that asked for the same number at the same time both get
 * it from ftrack; the later one (by date, then id) takes its version back
 * in one request and fails, the earlier one keeps it. */
static void
test_ftrack_number_race (void)
{
  g_autoptr(QiDbAdapter) db = ftrack_open (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *product = make_product (db);
  g_autofree char *race = NULL;
  g_autofree char *message = NULL;
  g_autoptr(JsonNode) v1 = make_version (db, &error, "{\"product\": \"%s\"}", product);
  g_autoptr(JsonNode) control = NULL;
  g_autoptr(JsonNode) mine = NULL;
  g_autoptr(JsonArray) requests = NULL;
  g_autoptr(JsonArray) twos = NULL;
  JsonArray *undo;
  guint before;

  g_assert_no_error (error);
  /* The other publisher's version 2, made earlier, lands just before ours. */
  race = g_strdup_printf ("{\"before_create\": \"AssetVersion\", \"operations\": [{\"action\": \"create\", "
                          "\"entity_type\": \"AssetVersion\", \"entity_data\": {\"asset_id\": \"%s\", \"version\": 2, "
                          "\"is_published\": false, \"comment\": \"theirs\", \"date\": {\"__type__\": \"datetime\", "
                          "\"value\": \"2000-01-01T00:00:00\"}}}]}", product);
  control = fake_control ("POST", "/_fake/race", race);
  before = request_count ();
  g_assert_null (make_version (db, &error, "{\"product\": \"%s\", \"number\": 2, \"comment\": \"mine\", "
                               "\"components\": [{\"name\": \"abc\", \"files\": [{\"path\": \"a.abc\", "
                               "\"size\": 3}]}, {\"name\": \"exr\", \"files\": [{\"path\": \"f.1.exr\", "
                               "\"size\": 1}, {\"path\": \"f.2.exr\", \"size\": 1}]}]}", product));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  message = g_strdup_printf ("number: another publisher made version 2 of product “%s” at the same time: ask for "
                             "the next number", product);
  g_assert_cmpstr (error->message, ==, message);
  g_clear_error (&error);
  requests = requests_since (before);
  /* the last request takes back all the create made, last first */
  undo = operations_of (requests, json_array_get_length (requests) - 1);
  g_assert_cmpuint (json_array_get_length (undo), ==,
                    json_array_get_length (operations_of (requests, json_array_get_length (requests) - 3)));
  for (guint i = 0; i < json_array_get_length (undo); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (undo, i), "action"), ==, "delete");
  {
    g_autofree char *last = operation_summary (undo, json_array_get_length (undo) - 1);

    g_assert_cmpstr (last, ==, "delete AssetVersion");
  }
  twos = fake_query ("select comment from AssetVersion where version is 2");
  g_assert_cmpuint (json_array_get_length (twos), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (twos, 0), "comment"), ==, "theirs");
  {
    g_autoptr(JsonArray) left = fake_query ("select id from Component");
    g_autoptr(JsonArray) entries = fake_query ("select id from ComponentLocation");
    g_autoptr(JsonArray) metadata = fake_query ("select key from Metadata where parent_type is \"component\"");

    g_assert_cmpuint (json_array_get_length (left) + json_array_get_length (entries) +
                      json_array_get_length (metadata), ==, 0);
  }

  /* Made later than ours: ours stays, theirs is the one to retry. */
  g_clear_pointer (&race, g_free);
  g_clear_pointer (&control, json_node_unref);
  race = g_strdup_printf ("{\"before_create\": \"AssetVersion\", \"operations\": [{\"action\": \"create\", "
                          "\"entity_type\": \"AssetVersion\", \"entity_data\": {\"asset_id\": \"%s\", \"version\": 3, "
                          "\"is_published\": false, \"comment\": \"theirs\", \"date\": {\"__type__\": \"datetime\", "
                          "\"value\": \"2100-01-01T00:00:00\"}}}]}", product);
  control = fake_control ("POST", "/_fake/race", race);
  mine = make_version (db, &error, "{\"product\": \"%s\", \"number\": 3}", product);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (mine), "number"), ==, 3);
  g_clear_pointer (&twos, json_array_unref);
  twos = fake_query ("select comment from AssetVersion where version is 3");
  g_assert_cmpuint (json_array_get_length (twos), ==, 2);
}

/* A publish with metadata and a thumbnail: the upload as ftrack's API
 * clients make it, then one request that publishes. */
static void
test_ftrack_publish_thumbnail (void)
{
  static const guint8 png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
  };
  g_autoptr(QiDbAdapter) db = ftrack_open (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *product = make_product (db);
  g_autofree char *dir = g_dir_make_tmp ("qi-db-conformance-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "thumb.png", NULL);
  g_autofree char *text_path = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *details = NULL;
  g_autofree char *md5 = NULL;
  g_autofree char *encoded = g_base64_encode (png, sizeof png);
  g_autofree char *expected = NULL;
  g_autoptr(JsonNode) version = make_version (db, &error, "{\"product\": \"%s\", \"metadata\": {\"fps\": 24}}", product);
  g_autoptr(JsonNode) published = NULL;
  g_autoptr(JsonNode) uploads = NULL;
  g_autoptr(JsonArray) requests = NULL;
  g_autoptr(JsonArray) found = NULL;
  const char *id, *component, *url;
  JsonObject *put, *headers, *upload;
  JsonArray *operations;
  guint before;

  g_assert_no_error (error);
  id = json_object_get_string_member (json_node_get_object (version), "id");
  g_assert_true (g_file_set_contents (path, (const char *) png, sizeof png, &error));
  g_assert_true (g_file_set_contents (text_path, "not an image", -1, &error));
  {
    g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_MD5);
    guint8 digest[16];
    gsize length = sizeof digest;

    g_checksum_update (checksum, png, sizeof png);
    g_checksum_get_digest (checksum, digest, &length);
    md5 = g_base64_encode (digest, length);
  }

  details = g_strdup_printf ("{\"metadata\": {\"checksums\": {\"a.abc\": \"md5:1\"}}, \"thumbnail\": \"%s\"}", path);
  before = request_count ();
  {
    g_autoptr(JsonNode) node = json_from_string (details, NULL);

    published = qi_db_adapter_publish_version_full (db, id, json_node_get_object (node), &error);
  }
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (published), "state"), ==, "published");
  requests = requests_since (before);
  /* the check; the component and its upload metadata; the PUT; the publish;
   * the version read back */
  g_assert_cmpuint (json_array_get_length (requests), ==, 7);

  expected = g_strdup_printf ("select id, is_published, metadata.key, metadata.value from AssetVersion where id is "
                              "\"%s\" limit 1", id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (operations_of (requests, 0), 0),
                                                  "expression"), ==, expected);

  operations = operations_of (requests, 1);
  g_assert_cmpuint (json_array_get_length (operations), ==, 2);
  {
    g_autofree char *first = operation_summary (operations, 0);
    JsonObject *data = entity_data (operations, 0);
    JsonObject *request = json_array_get_object_element (operations, 1);

    g_assert_cmpstr (first, ==, "create FileComponent");
    component = json_object_get_string_member (data, "id");
    g_assert_cmpstr (json_object_get_string_member (data, "name"), ==, "thumbnail");
    g_assert_cmpstr (json_object_get_string_member (data, "file_type"), ==, ".png");
    g_assert_cmpint (json_object_get_int_member (data, "size"), ==, sizeof png);
    g_assert_false (json_object_has_member (data, "version_id"));
    g_assert_cmpuint (json_object_get_size (request), ==, 5);
    g_assert_cmpstr (json_object_get_string_member (request, "action"), ==, "get_upload_metadata");
    g_assert_cmpstr (json_object_get_string_member (request, "component_id"), ==, component);
    g_assert_cmpstr (json_object_get_string_member (request, "file_name"), ==, "thumbnail.png");
    g_assert_cmpint (json_object_get_int_member (request, "file_size"), ==, sizeof png);
    g_assert_cmpstr (json_object_get_string_member (request, "checksum"), ==, md5);
  }

  /* The PUT: to the signed URL, with the signed headers, without the key. */
  put = json_array_get_object_element (requests, 2);
  g_assert_cmpstr (json_object_get_string_member (put, "method"), ==, "PUT");
  g_assert_cmpint (json_object_get_int_member (put, "status"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (put, "size"), ==, sizeof png);
  url = json_object_get_string_member (put, "path");
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("/storage/%s?signature=", component);
  g_assert_true (g_str_has_prefix (url, expected));
  headers = json_object_get_object_member (put, "headers");
  g_assert_cmpstr (json_object_get_string_member (headers, "Content-Type"), ==, "image/png");
  g_assert_cmpstr (json_object_get_string_member (headers, "Content-MD5"), ==, md5);
  g_assert_true (json_object_get_null_member (headers, "ftrack-api-key"));
  g_assert_true (json_object_get_null_member (headers, "ftrack-user"));
  uploads = fake_control ("GET", "/_fake/uploads", NULL);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (uploads)), ==, 1);
  upload = json_array_get_object_element (json_node_get_array (uploads), 0);
  g_assert_cmpstr (json_object_get_string_member (upload, "component_id"), ==, component);
  g_assert_cmpstr (json_object_get_string_member (upload, "file_name"), ==, "thumbnail.png");
  g_assert_cmpstr (json_object_get_string_member (upload, "data"), ==, encoded);

  /* One request publishes: the location, the version, its metadata. */
  operations = operations_of (requests, 3);
  g_assert_cmpuint (json_array_get_length (operations), ==, 4);
  {
    g_autofree char *a = operation_summary (operations, 0);
    g_autofree char *b = operation_summary (operations, 1);
    g_autofree char *c = operation_summary (operations, 2);
    g_autofree char *d = operation_summary (operations, 3);
    JsonObject *location = entity_data (operations, 0);
    JsonObject *update = entity_data (operations, 1);
    g_autoptr(JsonNode) merged = NULL;

    g_assert_cmpstr (a, ==, "create ComponentLocation");
    g_assert_cmpstr (json_object_get_string_member (location, "component_id"), ==, component);
    g_assert_cmpstr (json_object_get_string_member (location, "location_id"), ==, SERVER_LOCATION_ID);
    g_assert_cmpstr (json_object_get_string_member (location, "resource_identifier"), ==, component);
    g_assert_cmpstr (b, ==, "update AssetVersion");
    g_assert_cmpuint (json_object_get_size (update), ==, 2);
    g_assert_true (json_object_get_boolean_member (update, "is_published"));
    g_assert_cmpstr (json_object_get_string_member (update, "thumbnail_id"), ==, component);
    g_assert_cmpstr (c, ==, "create Metadata");
    g_assert_cmpstr (json_object_get_string_member (entity_data (operations, 2), "key"), ==, "qi.published_at");
    /* an entry the create made: updated, not made again */
    g_assert_cmpstr (d, ==, "update Metadata");
    g_clear_pointer (&expected, g_free);
    expected = g_strdup_printf ("[\"%s\",\"qi.metadata\"]", id);
    {
      g_autofree char *key = json_to_string (json_object_get_member (json_array_get_object_element (operations, 3),
                                                                     "entity_key"), FALSE);

      g_assert_cmpstr (key, ==, expected);
    }
    g_assert_cmpstr (json_object_get_string_member (entity_data (operations, 3), "value"), ==,
                     "{\"fps\":24,\"checksums\":{\"a.abc\":\"md5:1\"}}");
  }
  found = fake_query ("select thumbnail_id, thumbnail.component_locations.location.name from AssetVersion "
                      "where id is \"%s\"", id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (found, 0), "thumbnail_id"), ==,
                   component);

  /* The file is checked before anything is sent. */
  {
    const char *bad[] = { "\"thumb.png\"", "3", NULL, NULL };
    g_autofree char *missing = g_strdup_printf ("\"%s/none.png\"", dir);
    g_autofree char *text = g_strdup_printf ("\"%s\"", text_path);
    g_autoptr(JsonNode) other = make_version (db, &error, "{\"product\": \"%s\"}", product);

    g_assert_no_error (error);
    bad[2] = missing;
    bad[3] = text;
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *wrong = g_strdup_printf ("{\"thumbnail\": %s}", bad[i]);
        g_autoptr(JsonNode) node = json_from_string (wrong, NULL);

        before = request_count ();
        g_assert_null (qi_db_adapter_publish_version_full (db, json_object_get_string_member (
                                                             json_node_get_object (other), "id"),
                                                           json_node_get_object (node), &error));
        g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
        g_test_message ("%s", error->message);
        g_assert_true (g_str_has_prefix (error->message, "thumbnail: "));
        g_clear_error (&error);
        g_assert_cmpuint (request_count (), ==, before);
      }

    /* A storage that refuses the file: the component goes, the version
     * stays pending. */
    {
      g_autoptr(JsonNode) fail = fake_control ("POST", "/_fake/fail", "{\"status\": 403, \"count\": 1, "
                                                                       "\"method\": \"PUT\"}");
      g_autoptr(JsonNode) node = json_from_string (details, NULL);
      g_autoptr(JsonNode) again = NULL;
      g_autoptr(JsonArray) thumbnails = NULL;

      g_assert_null (qi_db_adapter_publish_version_full (db, json_object_get_string_member (
                                                           json_node_get_object (other), "id"),
                                                         json_node_get_object (node), &error));
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_IO);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "thumbnail: the file storage of ftrack at "));
      g_clear_error (&error);
      again = qi_db_adapter_get_version (db, json_object_get_string_member (json_node_get_object (other), "id"),
                                         &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (again), "state"), ==, "pending");
      thumbnails = fake_query ("select id from FileComponent where name is \"thumbnail\"");
      g_assert_cmpuint (json_array_get_length (thumbnails), ==, 1);
    }
  }
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_unlink (text_path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Abandon: the checks, then one request of deletes, what hangs on the
 * version first; a published version gets no delete. */
static void
test_ftrack_abandon (void)
{
  g_autoptr(QiDbAdapter) db = ftrack_open (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *product = make_product (db);
  g_autoptr(JsonNode) used = make_version (db, &error, "{\"product\": \"%s\"}", product);
  g_autoptr(JsonNode) version = make_version (db, &error, "{\"product\": \"%s\", \"metadata\": {\"fps\": 24}, \"components\": "
                                                  "[{\"name\": \"abc\", \"files\": [{\"path\": \"a.abc\", \"size\": 3}]}, "
                                                  "{\"name\": \"exr\", \"files\": [{\"path\": \"f.1.exr\", \"size\": 1}, "
                                                  "{\"path\": \"f.2.exr\", \"size\": 1}]}]}", product);
  g_autoptr(JsonNode) link = NULL;
  g_autoptr(JsonNode) abandoned = NULL;
  g_autoptr(JsonNode) published = NULL;
  g_autoptr(JsonArray) requests = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *id;
  JsonArray *deletes;
  guint before, members = 0, container = 0;

  g_assert_no_error (error);
  id = json_object_get_string_member (json_node_get_object (version), "id");
  link = qi_db_adapter_link_versions (db, id, json_object_get_string_member (json_node_get_object (used), "id"),
                                      &error);
  g_assert_no_error (error);

  before = request_count ();
  abandoned = qi_db_adapter_abandon_version (db, id, &error);
  g_assert_no_error (error);
  requests = requests_since (before);
  /* the version, its components, their members, its links; the deletes */
  g_assert_cmpuint (json_array_get_length (requests), ==, 5);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (operations_of (requests, i), 0),
                                                    "action"), ==, "query");
  deletes = operations_of (requests, 4);
  for (guint i = 0; i < json_array_get_length (deletes); i++)
    {
      g_autofree char *summary = operation_summary (deletes, i);
      const char *type = json_object_get_string_member (json_array_get_object_element (deletes, i), "entity_type");

      g_assert_true (g_str_has_prefix (summary, "delete "));
      g_hash_table_insert (counts, g_strdup (type), GUINT_TO_POINTER (GPOINTER_TO_UINT (
                                                      g_hash_table_lookup (counts, type)) + 1));
      /* the members of the container before it */
      if (g_str_equal (type, "FileComponent") && container == 0)
        members++;
      if (g_str_equal (type, "ContainerComponent"))
        container = i;
    }
  /* 3 files, each in a location; the container; the metadata of the two
   * components (2 each) and of the version (3); the link; the version */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "ComponentLocation")), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "FileComponent")), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "ContainerComponent")), ==, 1);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "Metadata")), ==, 7);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (counts, "AssetVersionLink")), ==, 1);
  g_assert_cmpuint (json_array_get_length (deletes), ==, 16);
  g_assert_cmpuint (members, >=, 2);
  {
    g_autofree char *last = operation_summary (deletes, json_array_get_length (deletes) - 1);
    g_autofree char *key = json_to_string (json_object_get_member (json_array_get_object_element (
                                             deletes, json_array_get_length (deletes) - 1), "entity_key"), FALSE);
    g_autofree char *expected = g_strdup_printf ("[\"%s\"]", id);

    g_assert_cmpstr (last, ==, "delete AssetVersion");
    g_assert_cmpstr (key, ==, expected);
  }
  /* Nothing of it is left. */
  {
    g_autoptr(JsonArray) components = fake_query ("select id from Component");
    g_autoptr(JsonArray) entries = fake_query ("select id from ComponentLocation");
    g_autoptr(JsonArray) metadata = fake_query ("select key from Metadata where parent_id is \"%s\"", id);
    g_autoptr(JsonArray) links = fake_query ("select id from AssetVersionLink");

    g_assert_cmpuint (json_array_get_length (components) + json_array_get_length (entries) +
                      json_array_get_length (metadata) + json_array_get_length (links), ==, 0);
  }

  /* Published: refused after one query. */
  published = qi_db_adapter_publish_version (db, json_object_get_string_member (json_node_get_object (used), "id"),
                                             &error);
  g_assert_no_error (error);
  before = request_count ();
  g_assert_null (qi_db_adapter_abandon_version (db, json_object_get_string_member (json_node_get_object (used), "id"),
                                                &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_clear_pointer (&requests, json_array_unref);
  requests = requests_since (before);
  g_assert_false (any_write (requests));
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
  g_test_add_func ("/qi/db-conformance/ftrack-only/number", test_ftrack_number);
  g_test_add_func ("/qi/db-conformance/ftrack-only/number-race", test_ftrack_number_race);
  g_test_add_func ("/qi/db-conformance/ftrack-only/publish-thumbnail", test_ftrack_publish_thumbnail);
  g_test_add_func ("/qi/db-conformance/ftrack-only/abandon", test_ftrack_abandon);
  start_fake_ftrack ();
  status = g_test_run ();
  stop_fake_ftrack ();
  return status;
}
