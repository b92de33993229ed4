/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-http.h"
#include "qi-test-utils.h"
#include "qi-ftrack-adapter.h"
#include "qi-ftrack-session.h"

/* QiFtrackSession against a fake ftrack server on loopback that answers
 * with the real responses recorded by ftrack's own client tests
 * (tests/fixtures/ftrack, $QI_FTRACK_FIXTURES) and records the
 * requests it gets, which the tests check to the byte. */

typedef enum
{
  SERVE_NORMAL,
  SERVE_UNAVAILABLE,   /* 503 for the first `failures` requests */
  SERVE_UNAUTHORIZED,  /* 401 */
  SERVE_NEVER,         /* no answer at all */
} ServeMode;

typedef struct
{
  QiTestHttp  http;
  ServeMode   mode;
  guint       failures;
  guint       requests;
  GPtrArray  *bodies;     /* of char *: the request bodies */
  GPtrArray  *held;       /* of SoupServerMessage never answered */
  char       *user;       /* the headers of the last request */
  char       *key;
  char       *content_type;
  char       *method;
  char       *path;
  /* the storage of uploads, at /storage */
  guint       upload_status;   /* what it answers, 200 if 0 */
  guint       upload_failures; /* 503 for the first ones */
  guint       uploads;
  GBytes     *upload_body;     /* the last upload's */
  SoupMessageHeaders *upload_headers;
} Fixture;

static char *
fixture_text (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("QI_FTRACK_FIXTURES"), name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The recorded response of one operation, or NULL if none fits. */
static char *
answer_for (JsonObject *op)
{
  const char *action = json_object_get_string_member_with_default (op, "action", "");
  const char *expression = json_object_get_string_member_with_default (op, "expression", "");
  const char *entity = json_object_get_string_member_with_default (op, "entity_type", "");

  if (g_str_equal (action, "query_server_information"))
    return fixture_text ("query_server_information.json");
  if (g_str_equal (action, "query_schemas"))
    return fixture_text ("query_schemas.json");
  if (g_str_equal (action, "query") && g_str_equal (expression, "select name from Task limit 1"))
    return fixture_text ("query_select_name_from_task_limit_1.json");
  if (g_str_equal (action, "query") &&
      g_str_equal (expression, "select version, asset.versions.version from AssetVersion where asset_id is_not none limit 1"))
    return fixture_text ("query_select_version,_asset.versions.version_from_assetversion_where_asset_id_is_not_none_limit_1.json");
  if (g_str_equal (action, "create") && g_str_equal (entity, "FileComponent"))
    return fixture_text ("create_filecomponent.json");
  if (g_str_equal (action, "create") && g_str_equal (entity, "ComponentLocation"))
    return fixture_text ("create_componentlocation.json");
  if (g_str_equal (action, "get_upload_metadata"))
    return fixture_text ("get_upload_metadata.json");
  return NULL;
}

static void
reply (SoupServerMessage *msg,
       guint              status,
       const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
on_api (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *request = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (request);
  g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autoptr(JsonNode) operations = NULL;
  g_autoptr(GString) answer = g_string_new ("[");

  f->requests++;
  g_ptr_array_add (f->bodies, g_strdup (body));
  g_free (f->user);
  g_free (f->key);
  g_free (f->content_type);
  g_free (f->method);
  g_free (f->path);
  f->user = g_strdup (soup_message_headers_get_one (headers, "ftrack-user"));
  f->key = g_strdup (soup_message_headers_get_one (headers, "ftrack-api-key"));
  f->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  f->method = g_strdup (soup_server_message_get_method (msg));
  f->path = g_strdup (path);

  switch (f->mode)
    {
    case SERVE_UNAUTHORIZED:
      reply (msg, 401, "{\"exception\": \"AuthenticationError\", \"content\": \"The API key is not valid.\"}");
      return;
    case SERVE_NEVER:
      soup_server_message_pause (msg);
      g_ptr_array_add (f->held, g_object_ref (msg));
      return;
    case SERVE_UNAVAILABLE:
      if (f->requests <= f->failures)
        {
          soup_server_message_set_status (msg, 503, NULL);
          return;
        }
      break;
    case SERVE_NORMAL:
    default:
      break;
    }

  operations = json_from_string (body, NULL);
  g_assert_true (operations != NULL && JSON_NODE_HOLDS_ARRAY (operations));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (operations)); i++)
    {
      g_autofree char *one = answer_for (json_array_get_object_element (json_node_get_array (operations), i));

      if (one == NULL)
        {
          /* What ftrack answers a query it cannot parse. */
          reply (msg, 400, "{\"exception\": \"ParseError\", \"content\": \"Could not parse the expression\", "
                           "\"error_code\": null}");
          return;
        }
      g_string_append_printf (answer, "%s%s", i > 0 ? "," : "", one);
    }
  g_string_append (answer, "]");
  reply (msg, 200, answer->str);
}

/* The file storage a signed upload URL points at. */
static void
on_storage (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  f->uploads++;
  g_clear_pointer (&f->upload_body, g_bytes_unref);
  g_clear_pointer (&f->upload_headers, soup_message_headers_unref);
  f->upload_body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  f->upload_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  {
    SoupMessageHeadersIter iter;
    const char *name, *value;

    soup_message_headers_iter_init (&iter, headers);
    while (soup_message_headers_iter_next (&iter, &name, &value))
      soup_message_headers_append (f->upload_headers, name, value);
  }
  g_free (f->method);
  g_free (f->path);
  f->method = g_strdup (soup_server_message_get_method (msg));
  f->path = g_strdup (path);
  if (f->uploads <= f->upload_failures)
    soup_server_message_set_status (msg, 503, NULL);
  else if (f->upload_status != 0 && f->upload_status != 200)
    {
      const char *said = "<Error><Code>SignatureDoesNotMatch</Code></Error>";

      soup_server_message_set_status (msg, f->upload_status, NULL);
      soup_server_message_set_response (msg, "application/xml", SOUP_MEMORY_STATIC, said, strlen (said));
    }
  else
    soup_server_message_set_status (msg, 200, NULL);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_http_setup (&f->http);
  f->bodies = g_ptr_array_new_with_free_func (g_free);
  f->held = g_ptr_array_new_with_free_func (g_object_unref);
  soup_server_add_handler (f->http.server, "/api", on_api, f, NULL);
  soup_server_add_handler (f->http.server, "/storage", on_storage, f, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  for (guint i = 0; i < f->held->len; i++)
    {
      soup_server_message_set_status (f->held->pdata[i], 503, NULL);
      soup_server_message_unpause (f->held->pdata[i]);
    }
  g_ptr_array_unref (f->held);
  qi_test_http_teardown (&f->http);
  g_ptr_array_unref (f->bodies);
  g_free (f->user);
  g_free (f->key);
  g_free (f->content_type);
  g_free (f->method);
  g_free (f->path);
  g_clear_pointer (&f->upload_body, g_bytes_unref);
  g_clear_pointer (&f->upload_headers, soup_message_headers_unref);
}

typedef struct
{
  JsonNode *result;
  GError   *error;
  gboolean  done;
} Outcome;

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->result = qi_ftrack_session_call_finish (QI_FTRACK_SESSION (source), result, &outcome->error);
  outcome->done = TRUE;
}

static void
on_queried (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->result = qi_ftrack_session_query_finish (QI_FTRACK_SESSION (source), result, &outcome->error);
  outcome->done = TRUE;
}

static QiFtrackSession *
new_session (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server = g_strconcat (f->http.base, "/", NULL);
  QiFtrackSession *session = qi_ftrack_session_new (server, "ada", "0c1d-KEY", &error);

  g_assert_no_error (error);
  g_object_set (session, "retry-delay-ms", 10, NULL);
  return session;
}

static JsonNode *
call (QiFtrackSession  *session,
      const char       *operations,
      GError          **error)
{
  g_autoptr(JsonNode) node = json_from_string (operations, NULL);
  Outcome outcome = { 0 };

  qi_ftrack_session_call_async (session, node, NULL, on_called, &outcome);
  while (!outcome.done)
    g_main_context_iteration (NULL, TRUE);
  if (outcome.error != NULL)
    g_propagate_error (error, outcome.error);
  return outcome.result;
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Outcome *outcome = user_data;

  if (qi_ftrack_session_upload_finish (QI_FTRACK_SESSION (source), result, &outcome->error))
    outcome->result = json_node_init_boolean (json_node_alloc (), TRUE);
  outcome->done = TRUE;
}

static gboolean
upload (QiFtrackSession  *session,
        const char       *url,
        JsonObject       *headers,
        GBytes           *data,
        GError          **error)
{
  Outcome outcome = { 0 };
  g_autoptr(JsonNode) done = NULL;

  qi_ftrack_session_upload_async (session, url, headers, "data.json", data, NULL, on_uploaded, &outcome);
  while (!outcome.done)
    g_main_context_iteration (NULL, TRUE);
  done = outcome.result;
  if (outcome.error != NULL)
    g_propagate_error (error, outcome.error);
  return done != NULL;
}

static JsonNode *
query (QiFtrackSession  *session,
       const char       *expression,
       GError          **error)
{
  Outcome outcome = { 0 };

  qi_ftrack_session_query_async (session, expression, NULL, on_queried, &outcome);
  while (!outcome.done)
    g_main_context_iteration (NULL, TRUE);
  if (outcome.error != NULL)
    g_propagate_error (error, outcome.error);
  return outcome.result;
}

/* What the session sends, to the byte, and what it reads back. */
static void
test_server_information (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(QiFtrackSession) session = new_session (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) results = call (session, "[{\"action\": \"query_server_information\"}]", &error);
  g_autofree char *server = qi_ftrack_session_dup_server (session);
  JsonObject *info;

  g_assert_no_error (error);
  g_assert_cmpstr (server, ==, f->http.base);
  g_assert_cmpstr (f->method, ==, "POST");
  g_assert_cmpstr (f->path, ==, "/api");
  g_assert_cmpstr (f->user, ==, "ada");
  g_assert_cmpstr (f->key, ==, "0c1d-KEY");
  g_assert_cmpstr (f->content_type, ==, "application/json");
  g_assert_cmpstr (f->bodies->pdata[0], ==, "[{\"action\":\"query_server_information\"}]");

  g_assert_cmpuint (json_array_get_length (json_node_get_array (results)), ==, 1);
  info = json_array_get_object_element (json_node_get_array (results), 0);
  g_assert_cmpstr (json_object_get_string_member (info, "version"), ==, "dev");
  g_assert_cmpstr (json_object_get_string_member (info, "schema_hash"), ==, "23a1157b8b1730fd91c76f63dcd67a8f");
  g_assert_true (json_object_get_boolean_member (info, "is_timezone_support_enabled"));
}

static void
test_queries (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(QiFtrackSession) session = new_session (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) tasks = query (session, "select name from Task limit 1", &error);
  g_autoptr(JsonNode) versions = NULL;
  g_autoptr(JsonNode) schemas = NULL;
  JsonObject *task, *version, *asset;
  JsonArray *nested;
  gboolean seen_version = FALSE, seen_context = FALSE;

  g_assert_no_error (error);
  g_assert_cmpstr (f->bodies->pdata[0], ==, "[{\"action\":\"query\",\"expression\":\"select name from Task limit 1\"}]");
  task = json_array_get_object_element (json_object_get_array_member (json_node_get_object (tasks), "data"), 0);
  g_assert_cmpstr (json_object_get_string_member (task, "__entity_type__"), ==, "Task");
  g_assert_cmpstr (json_object_get_string_member (task, "id"), ==, "00a574b0-1c44-11e2-a9da-f23c91df25eb");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                     json_object_get_object_member (json_node_get_object (tasks), "metadata"), "next"), "offset"), ==, 1);

  /* Nested projections: the server sends version 1 in full at the top and
   * bare inside asset.versions; decoding fills the bare one in. */
  versions = query (session, "select version, asset.versions.version from AssetVersion where asset_id is_not none limit 1",
                    &error);
  g_assert_no_error (error);
  version = json_array_get_object_element (json_object_get_array_member (json_node_get_object (versions), "data"), 0);
  g_assert_cmpint (json_object_get_int_member (version, "version"), ==, 1);
  asset = json_object_get_object_member (version, "asset");
  nested = json_object_get_array_member (asset, "versions");
  g_assert_cmpuint (json_array_get_length (nested), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (nested, 0), "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (nested, 0), "asset_id"), ==,
                   "01cfdcaa-c5ea-11e1-adec-f23c91df25eb");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (nested, 2), "version"), ==, 3);

  /* The schema of every entity type. */
  schemas = call (session, "[{\"action\": \"query_schemas\"}]", &error);
  g_assert_no_error (error);
  {
    JsonArray *types = json_array_get_array_element (json_node_get_array (schemas), 0);

    g_assert_cmpuint (json_array_get_length (types), ==, 116);
    for (guint i = 0; i < json_array_get_length (types); i++)
      {
        const char *id = json_object_get_string_member_with_default (json_array_get_object_element (types, i), "id", "");

        seen_version |= g_str_equal (id, "AssetVersion");
        seen_context |= g_str_equal (id, "TypedContext");
      }
  }
  g_assert_true (seen_version);
  g_assert_true (seen_context);
}

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(QiFtrackSession) session = new_session (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) results = call (session,
                                      "[{\"action\": \"create\", \"entity_type\": \"FileComponent\", "
                                      "\"entity_data\": {\"name\": \"data\", \"file_type\": \".json\", \"size\": 13}}, "
                                      "{\"action\": \"create\", \"entity_type\": \"ComponentLocation\", "
                                      "\"entity_data\": {\"component_id\": \"ebc0ace8-fe6f-497b-bf87-54f6f318014a\"}}]",
                                      &error);
  JsonObject *component;

  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (results)), ==, 2);
  component = json_object_get_object_member (json_array_get_object_element (json_node_get_array (results), 0), "data");
  g_assert_cmpstr (json_object_get_string_member (component, "__entity_type__"), ==, "FileComponent");
  g_assert_cmpint (json_object_get_int_member (component, "size"), ==, 13);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_array_get_object_element (json_node_get_array (results), 1),
                                                    "data"), "id"), ==, "beedc0e5-95f1-4902-a43e-6df5cc0ccf48");
  g_assert_cmpuint (f->requests, ==, 1);
}

/* 5xx and silence are tried again, with backoff; then a clear error. */
static void
test_retries (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(QiFtrackSession) session = new_session (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) results = NULL;
  g_autofree char *expected = NULL;

  f->mode = SERVE_UNAVAILABLE;
  f->failures = 2;
  results = call (session, "[{\"action\": \"query_server_information\"}]", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->requests, ==, 3);
  for (guint i = 1; i < f->bodies->len; i++)
    g_assert_cmpstr (f->bodies->pdata[i], ==, f->bodies->pdata[0]);

  f->requests = 0;
  f->failures = 100;
  g_object_set (session, "max-attempts", 3, NULL);
  g_clear_pointer (&results, json_node_unref);
  results = call (session, "[{\"action\": \"query\", \"expression\": \"select name from Task limit 1\"}]", &error);
  g_assert_null (results);
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_SERVER);
  expected = g_strdup_printf ("ftrack at %s did not answer query of Task after 3 tries: "
                              "HTTP 503 Service Unavailable", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (f->requests, ==, 3);
  g_clear_error (&error);

  /* Cancelled while waiting to try again: at once, not at the end of the wait. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(JsonNode) operations = json_from_string ("[{\"action\": \"query_server_information\"}]", NULL);
    Outcome outcome = { 0 };
    gint64 start = g_get_monotonic_time ();

    f->requests = 0;
    g_object_set (session, "max-attempts", 5, "retry-delay-ms", 60000, NULL);
    qi_ftrack_session_call_async (session, operations, cancellable, on_called, &outcome);
    while (f->requests < 1)
      g_main_context_iteration (NULL, TRUE);
    g_cancellable_cancel (cancellable);
    while (!outcome.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&outcome.error);
    /* Not the minute of the backoff. */
    g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);
    g_object_set (session, "retry-delay-ms", 10, NULL);
  }

  /* A server that never answers: the timeout, then the retry, then the error. */
  f->mode = SERVE_NEVER;
  f->requests = 0;
  g_object_set (session, "max-attempts", 2, "timeout", 1, NULL);
  results = call (session, "[{\"action\": \"query_server_information\"}]", &error);
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_SERVER);
  g_assert_true (g_str_has_suffix (error->message, "after 2 tries: Socket I/O timed out"));
  g_assert_cmpuint (f->requests, ==, 2);
}

/* Refusals: credentials, and operations the server cannot run. */
static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(QiFtrackSession) session = new_session (f);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  f->mode = SERVE_UNAUTHORIZED;
  g_assert_null (call (session, "[{\"action\": \"query_server_information\"}]", &error));
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_AUTH);
  expected = g_strdup_printf ("ftrack at %s refused the API user “ada” (HTTP 401): check the user name and its "
                              "API key in ftrack's My Account → Security settings", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (f->requests, ==, 1);   /* not retried */
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);

  f->mode = SERVE_NORMAL;
  g_assert_null (query (session, "select nonsense from Nowhere", &error));
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_QUERY);
  expected = g_strdup_printf ("ftrack at %s refused query (select nonsense from Nowhere): Could not parse the "
                              "expression (ParseError)", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);

  g_assert_null (call (session, "[]", &error));
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_INVALID);
}

/* An upload: the PUT of the bytes with the headers get_upload_metadata
 * answered and no ftrack credentials; 5xx tried again; a refusal says
 * what the storage said. */
static void
test_upload (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(QiFtrackSession) session = new_session (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) results = call (session,
                                      "[{\"action\": \"get_upload_metadata\", \"file_name\": \"data.json\", "
                                      "\"file_size\": 13, \"component_id\": \"702b7e69-f6ef-4d13-8193-dcbb480f57f5\"}]",
                                      &error);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("{\"qi\": true}\n", 13);
  g_autofree char *url = g_strconcat (f->http.base, "/storage/702b7e69?signature=s1", NULL);
  g_autofree char *expected = NULL;
  JsonObject *metadata, *headers;

  g_assert_no_error (error);
  metadata = json_array_get_object_element (json_node_get_array (results), 0);
  g_assert_cmpstr (json_object_get_string_member (metadata, "url"), ==, "http://ftrack.test/file-url");
  headers = json_object_get_object_member (metadata, "headers");

  /* The recorded headers, to this test's storage rather than ftrack.test. */
  g_assert_true (upload (session, url, headers, bytes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 1);
  g_assert_cmpstr (f->method, ==, "PUT");
  g_assert_cmpstr (f->path, ==, "/storage/702b7e69");
  g_assert_true (g_bytes_equal (f->upload_body, bytes));
  g_assert_cmpstr (soup_message_headers_get_one (f->upload_headers, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_one (f->upload_headers, "Content-Length"), ==, "13");
  g_assert_null (soup_message_headers_get_one (f->upload_headers, "ftrack-api-key"));
  g_assert_null (soup_message_headers_get_one (f->upload_headers, "ftrack-user"));

  f->uploads = 0;
  f->upload_failures = 2;
  g_assert_true (upload (session, url, headers, bytes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->uploads, ==, 3);

  f->uploads = 0;
  f->upload_failures = 0;
  f->upload_status = 403;
  g_assert_false (upload (session, url, headers, bytes, &error));
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_QUERY);
  expected = g_strdup_printf ("the file storage of ftrack at %s refused the upload of “data.json”: HTTP 403 "
                              "Forbidden — <Error><Code>SignatureDoesNotMatch</Code></Error>", f->http.base);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (f->uploads, ==, 1);   /* not retried */
  g_clear_error (&error);

  g_assert_false (upload (session, "file:///etc/passwd", headers, bytes, &error));
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_PROTOCOL);
  g_assert_cmpuint (f->uploads, ==, 1);
}

static void
test_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted = qi_ftrack_quote ("say \"hi\" \\ now");
  g_autoptr(JsonNode) encoded = json_from_string ("{\"date\": {\"__type__\": \"datetime\", \"value\": \"2026-12-01T10:00:00\"},"
                                                  " \"list\": [{\"__type__\": \"datetime\", \"value\": \"2026-01-02T03:04:05\"}]}",
                                                  NULL);
  g_autoptr(JsonNode) decoded = qi_ftrack_decode (encoded);
  g_autofree char *text = json_to_string (decoded, FALSE);

  g_assert_cmpstr (quoted, ==, "\"say \\\"hi\\\" \\\\ now\"");
  g_assert_cmpstr (text, ==, "{\"date\":\"2026-12-01T10:00:00\",\"list\":[\"2026-01-02T03:04:05\"]}");

  g_assert_null (qi_ftrack_session_new ("ftp://studio.example", "ada", "key", &error));
  g_assert_error (error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "“ftp://studio.example” is not an ftrack server: give its https:// address, such as "
                   "https://studio.ftrackapp.com");
  g_clear_error (&error);
  g_assert_null (qi_ftrack_session_new ("https://studio.example", "ada", "", &error));
  g_assert_cmpstr (error->message, ==, "the ftrack API key is empty");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("QI_FTRACK_FIXTURES") == NULL)
    {
      g_test_skip ("QI_FTRACK_FIXTURES is not set (meson test sets it)");
      return g_test_run ();
    }

#define ADD(path, func) \
  g_test_add ("/qi/ftrack/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("server-information", test_server_information);
  ADD ("queries", test_queries);
  ADD ("create", test_create);
  ADD ("retries", test_retries);
  ADD ("refusals", test_refusals);
  ADD ("upload", test_upload);
  g_test_add_func ("/qi/ftrack/values", test_values);

#undef ADD

  return g_test_run ();
}
