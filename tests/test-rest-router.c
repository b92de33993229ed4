/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-http.h"

/* QiRestRouter and QiRestRequest, through a real SoupServer on 127.0.0.1
 * and a SoupSession on the same main loop. */

typedef struct
{
  QiTestHttp     http;
  QiRestRouter  *router;
  GPtrArray     *kept;       /* requests a handler kept */
  guint          dispatched; /* calls of qi_rest_router_dispatch() */
  guint          unrouted;   /* of which returned FALSE */
  guint          calls;      /* handler calls */
  gboolean       returned;   /* the last handler has returned */
} Fixture;

static void
on_api (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Fixture *f = user_data;

  f->dispatched++;
  if (!qi_rest_router_dispatch (f->router, msg, path))
    f->unrouted++;
}

static void
on_api_early (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Fixture *f = user_data;

  qi_rest_router_limit_body (f->router, msg);
}

static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_object_set_data (G_OBJECT (msg), "fixture", user_data);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_http_setup (&f->http);
  f->router = qi_rest_router_new ();
  f->kept = g_ptr_array_new_with_free_func (g_object_unref);
  soup_server_add_handler (f->http.server, "/api", on_api, f, NULL);
  g_signal_connect (f->http.server, "request-started", G_CALLBACK (on_request_started), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->kept, g_ptr_array_unref);
  qi_test_http_teardown (&f->http);
  g_clear_object (&f->router);
}

static JsonNode *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_error (QiTestResponse *response,
              guint           status,
              const char     *code,
              const char     *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) expected = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  expected = json_builder_get_root (builder);
  text = json_to_string (expected, FALSE);

  g_assert_cmpuint (response->status, ==, status);
  g_assert_cmpstr (qi_test_response_header (response, "Content-Type"), ==,
                   "application/json; charset=utf-8");
  g_assert_cmpstr (response->body, ==, text);
}

/* The route a response came from: the "route" member of an echo. */
static char *
route_of (QiTestResponse *response)
{
  g_autoptr(JsonNode) node = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  node = parse (response->body);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "route"));
}

/* Answers with what the handler sees of the request. */
typedef struct
{
  const char *route;
  const char *params[4];
  const char *query[4];
} Echo;

static void
handle_echo (QiRestRequest *request,
             gpointer       user_data)
{
  const Echo *echo = user_data;
  Fixture *f = g_object_get_data (G_OBJECT (qi_rest_request_get_message (request)), "fixture");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) reply = NULL;
  JsonNode *body = qi_rest_request_get_body (request);

  if (f != NULL)
    f->calls++;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "route");
  json_builder_add_string_value (builder, echo->route);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, qi_rest_request_get_method (request));
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, qi_rest_request_get_path (request));

  json_builder_set_member_name (builder, "params");
  json_builder_begin_object (builder);
  for (guint i = 0; echo->params[i] != NULL; i++)
    {
      const char *value = qi_rest_request_get_param (request, echo->params[i]);

      json_builder_set_member_name (builder, echo->params[i]);
      if (value != NULL)
        json_builder_add_string_value (builder, value);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_end_object (builder);

  if (echo->query[0] != NULL)
    {
      json_builder_set_member_name (builder, "query");
      json_builder_begin_object (builder);
      for (guint i = 0; echo->query[i] != NULL; i++)
        {
          const char *value = qi_rest_request_get_query (request, echo->query[i]);

          json_builder_set_member_name (builder, echo->query[i]);
          if (value != NULL)
            json_builder_add_string_value (builder, value);
          else
            json_builder_add_null_value (builder);
        }
      json_builder_end_object (builder);
    }

  if (qi_rest_request_get_header (request, "X-Shot") != NULL)
    {
      json_builder_set_member_name (builder, "shot");
      json_builder_add_string_value (builder, qi_rest_request_get_header (request, "x-shot"));
    }

  json_builder_set_member_name (builder, "body");
  if (body != NULL)
    json_builder_add_value (builder, json_node_copy (body));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  reply = json_builder_get_root (builder);
  g_assert_false (qi_rest_request_get_answered (request));
  qi_rest_request_reply_json (request, SOUP_STATUS_OK, reply);
  g_assert_true (qi_rest_request_get_answered (request));
}

static void
add_echo (Fixture    *f,
          const char *method,
          const char *pattern,
          const Echo *echo)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_rest_router_add_route (f->router, method, pattern, handle_echo,
                                           (gpointer) echo, NULL, &error));
  g_assert_no_error (error);
}

static void
test_params (Fixture       *f,
             gconstpointer  data)
{
  static const Echo version = { "version", { "project", "id", "nope", NULL }, { "q", "flag", "missing", NULL } };
  static const Echo files = { "files", { "path", NULL }, { NULL } };
  static const Echo root = { "root", { NULL }, { NULL } };
  g_autoptr(SoupMessage) msg = NULL;
  QiTestResponse response = { 0 };

  add_echo (f, "GET", "/api/projects/{project}/versions/{id}", &version);
  add_echo (f, "GET", "/api/files/{path...}", &files);
  add_echo (f, "GET", "/api", &root);

  /* Parameters and query values are decoded; the path stays raw. */
  msg = qi_test_http_message (&f->http, "GET",
                              "/api/projects/sh%20010%C3%A9/versions/7?q=a+b%26c&flag&q=second",
                              NULL, NULL, 0);
  soup_message_headers_append (soup_message_get_request_headers (msg), "X-Shot", "sh010");
  qi_test_http_send (&f->http, msg, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, "application/json; charset=utf-8");
  g_assert_cmpstr (response.body, ==,
                   "{\"route\":\"version\",\"method\":\"GET\","
                   "\"path\":\"/api/projects/sh%20010%C3%A9/versions/7\","
                   "\"params\":{\"project\":\"sh 010é\",\"id\":\"7\",\"nope\":null},"
                   "\"query\":{\"q\":\"a b&c\",\"flag\":\"\",\"missing\":null},"
                   "\"shot\":\"sh010\",\"body\":null}");

  /* A final {name...} takes the rest, decoded segment by segment. */
  qi_test_http_fetch (&f->http, "GET", "/api/files/a/b%20c/d.txt", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==,
                   "{\"route\":\"files\",\"method\":\"GET\",\"path\":\"/api/files/a/b%20c/d.txt\","
                   "\"params\":{\"path\":\"a/b c/d.txt\"},\"body\":null}");

  /* ...at least one segment of it. */
  qi_test_http_fetch (&f->http, "GET", "/api/files", NULL, NULL, &response);
  assert_error (&response, 404, "not_found", "no route matches “/api/files”");

  /* A pattern without parameters matches exactly. */
  qi_test_http_fetch (&f->http, "GET", "/api", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==,
                   "{\"route\":\"root\",\"method\":\"GET\",\"path\":\"/api\",\"params\":{},\"body\":null}");

  qi_test_response_clear (&response);
}

static void
test_precedence (Fixture       *f,
                 gconstpointer  data)
{
  static const Echo param = { "param", { NULL }, { NULL } };
  static const Echo literal = { "literal", { NULL }, { NULL } };
  static const Echo delete_param = { "delete-param", { NULL }, { NULL } };
  static const Echo x_c = { "x-c", { NULL }, { NULL } };
  static const Echo b_y = { "b-y", { NULL }, { NULL } };
  static const Echo rest = { "rest", { NULL }, { NULL } };
  static const Echo name = { "name", { NULL }, { NULL } };
  static const Echo special = { "special-rest", { NULL }, { NULL } };
  static const struct
  {
    const char *method;
    const char *path;
    const char *route;
  } cases[] = {
    { "GET", "/api/projects/current", "literal" },
    { "GET", "/api/projects/other", "param" },
    /* The most specific route of the request's method answers. */
    { "DELETE", "/api/projects/current", "delete-param" },
    /* The first segment that differs decides. */
    { "GET", "/api/a/b/c", "b-y" },
    { "GET", "/api/a/z/c", "x-c" },
    { "GET", "/api/files/x", "name" },
    { "GET", "/api/files/x/y", "rest" },
    { "GET", "/api/files/special/z", "special-rest" },
    { "GET", "/api/files/special", "name" },
  };
  QiTestResponse response = { 0 };

  /* Added least specific first, so that the order cannot decide. */
  add_echo (f, "GET", "/api/projects/{project}", &param);
  add_echo (f, "GET", "/api/projects/current", &literal);
  add_echo (f, "DELETE", "/api/projects/{project}", &delete_param);
  add_echo (f, "GET", "/api/a/{x}/c", &x_c);
  add_echo (f, "GET", "/api/a/b/{y}", &b_y);
  add_echo (f, "GET", "/api/files/{path...}", &rest);
  add_echo (f, "GET", "/api/files/{name}", &name);
  add_echo (f, "GET", "/api/files/special/{rest...}", &special);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *route = NULL;

      qi_test_http_fetch (&f->http, cases[i].method, cases[i].path, NULL, NULL, &response);
      route = route_of (&response);
      g_assert_cmpstr (route, ==, cases[i].route);
    }

  qi_test_response_clear (&response);
}

static void
test_not_found (Fixture       *f,
                gconstpointer  data)
{
  static const Echo item = { "item", { NULL }, { NULL } };
  QiTestResponse response = { 0 };

  add_echo (f, "GET", "/api/projects/{project}", &item);

  qi_test_http_fetch (&f->http, "GET", "/api/nothing", NULL, NULL, &response);
  assert_error (&response, 404, "not_found", "no route matches “/api/nothing”");
  g_assert_cmpuint (f->unrouted, ==, 1);

  /* A trailing slash is an empty segment, which no parameter matches. */
  qi_test_http_fetch (&f->http, "GET", "/api/projects/", NULL, NULL, &response);
  assert_error (&response, 404, "not_found", "no route matches “/api/projects/”");
  qi_test_http_fetch (&f->http, "GET", "/api/projects/demo/", NULL, NULL, &response);
  assert_error (&response, 404, "not_found", "no route matches “/api/projects/demo/”");
  qi_test_http_fetch (&f->http, "GET", "/api/projects//x", NULL, NULL, &response);
  assert_error (&response, 404, "not_found", "no route matches “/api/projects//x”");
  g_assert_cmpuint (f->unrouted, ==, 4);

  qi_test_http_fetch (&f->http, "GET", "/api/projects/demo", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpuint (f->unrouted, ==, 4);
  g_assert_cmpuint (f->dispatched, ==, 5);

  qi_test_response_clear (&response);
}

static void
test_method_not_allowed (Fixture       *f,
                         gconstpointer  data)
{
  static const Echo item = { "item", { "id", NULL }, { NULL } };
  static const Echo post = { "post", { NULL }, { NULL } };
  QiTestResponse response = { 0 };
  g_autofree char *get_length = NULL;

  add_echo (f, "GET", "/api/items/{id}", &item);
  add_echo (f, "DELETE", "/api/items/{id}", &item);
  add_echo (f, "POST", "/api/post", &post);

  qi_test_http_fetch (&f->http, "POST", "/api/items/1", "application/json", "{}", &response);
  assert_error (&response, 405, "method_not_allowed",
                "the method “POST” is not allowed on “/api/items/1”, which allows GET, HEAD, DELETE");
  g_assert_cmpstr (qi_test_response_header (&response, "Allow"), ==, "GET, HEAD, DELETE");

  qi_test_http_fetch (&f->http, "OPTIONS", "/api/items/1", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 405);
  g_assert_cmpstr (qi_test_response_header (&response, "Allow"), ==, "GET, HEAD, DELETE");

  qi_test_http_fetch (&f->http, "GET", "/api/post", NULL, NULL, &response);
  assert_error (&response, 405, "method_not_allowed",
                "the method “GET” is not allowed on “/api/post”, which allows POST");
  g_assert_cmpstr (qi_test_response_header (&response, "Allow"), ==, "POST");

  qi_test_http_fetch (&f->http, "DELETE", "/api/items/1", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);

  /* HEAD is served by the GET route, without the body. */
  qi_test_http_fetch (&f->http, "GET", "/api/items/1", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  get_length = g_strdup_printf ("%" G_GSIZE_FORMAT, response.length + 1); /* "HEAD" for "GET" */
  qi_test_http_fetch (&f->http, "HEAD", "/api/items/1", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "");
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Length"), ==, get_length);
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, "application/json; charset=utf-8");

  qi_test_response_clear (&response);
}

static void
test_unsupported_media_type (Fixture       *f,
                             gconstpointer  data)
{
  static const Echo echo = { "echo", { NULL }, { NULL } };
  QiTestResponse response = { 0 };

  add_echo (f, "POST", "/api/echo", &echo);
  add_echo (f, "PATCH", "/api/echo", &echo);
  add_echo (f, "PUT", "/api/echo", &echo);

  qi_test_http_fetch (&f->http, "POST", "/api/echo", "text/plain", "{\"a\": 1}", &response);
  assert_error (&response, 415, "unsupported_media_type",
                "the body of a POST request must be JSON in UTF-8, sent with "
                "“Content-Type: application/json”, not “text/plain”");

  qi_test_http_fetch (&f->http, "PUT", "/api/echo", "application/json; charset=latin1", "{\"a\": 1}", &response);
  assert_error (&response, 415, "unsupported_media_type",
                "the body of a PUT request must be JSON in UTF-8, sent with "
                "“Content-Type: application/json”, not “application/json; charset=latin1”");

  qi_test_http_fetch (&f->http, "POST", "/api/echo", NULL, "{\"a\": 1}", &response);
  assert_error (&response, 415, "unsupported_media_type",
                "the body of a POST request must be JSON in UTF-8, sent with "
                "“Content-Type: application/json”, but it has no Content-Type");
  g_assert_cmpuint (f->calls, ==, 0);

  /* application/…+json and an explicit UTF-8 are JSON too. */
  qi_test_http_fetch (&f->http, "PATCH", "/api/echo", "application/merge-patch+json", "{\"a\": null}", &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==,
                   "{\"route\":\"echo\",\"method\":\"PATCH\",\"path\":\"/api/echo\",\"params\":{},\"body\":{\"a\":null}}");
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "Application/JSON; charset=UTF-8", "[1]", &response);
  g_assert_cmpuint (response.status, ==, 200);

  /* No body needs no Content-Type. */
  qi_test_http_fetch (&f->http, "POST", "/api/echo", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==,
                   "{\"route\":\"echo\",\"method\":\"POST\",\"path\":\"/api/echo\",\"params\":{},\"body\":null}");

  qi_test_response_clear (&response);
}

static void
test_bad_json (Fixture       *f,
               gconstpointer  data)
{
  static const Echo echo = { "echo", { NULL }, { NULL } };
  static const struct
  {
    const char *body;
    const char *reason;
  } cases[] = {
    { "{\"a\": 1,\n  \"b\": }", "unexpected character '}' at line 2, column 8" },
    { "{'a': 1}", "unexpected character ''' at line 1, column 2" },
    { "[1,]", "unexpected character ']' at line 1, column 4" },
    { "[01]", "unexpected character '1' at line 1, column 3" },
    { "[1] x", "unexpected character 'x' at line 1, column 5" },
    { "  ", "unexpected end of data at line 1, column 3" },
    { "tru", "unexpected end of data at line 1, column 4" },
    { "nul1", "unexpected character '1' at line 1, column 4" },
    { "[0x10]", "unexpected character 'x' at line 1, column 3" },
    { "/* c */ 1", "unexpected character '/' at line 1, column 1" },
    { "{\"é\": x}", "unexpected character 'x' at line 1, column 7" },
    { "{\"a\": 1, \"a\": 2}", "duplicate member “a” at line 1, column 10" },
    { "[\"\\u0000\"]", "\\u0000 is not supported in a string (the string at “/0”) at line 1, column 3" },
    { "{\"a\":{\"b\":\"x\\u0000\"}}", "\\u0000 is not supported in a string (the string at “/a/b”) at line 1, column 13" },
    { "[\"\\ud800\"]", "unpaired surrogate in a \\u escape at line 1, column 3" },
    { "[\"\\udc00\"]", "unpaired surrogate in a \\u escape at line 1, column 3" },
    { "[\"\\x\"]", "invalid escape in a string at line 1, column 3" },
    { "[\"a\tb\"]", "unescaped control character in a string at line 1, column 4" },
    { "[1e400]", "number out of the range of a double at line 1, column 2" },
    { "[9223372036854775808]", "integer out of the 64-bit range at line 1, column 2" },
  };
  QiTestResponse response = { 0 };
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *body;

  add_echo (f, "POST", "/api/echo", &echo);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = g_strdup_printf ("the request body is not valid JSON: %s", cases[i].reason);

      qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", cases[i].body, &response);
      assert_error (&response, 400, "bad_request", message);
    }

  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", "[\"\xff\"]", &response);
  assert_error (&response, 400, "bad_request", "the request body is not valid UTF-8 at line 1, column 3");

  /* 128 levels are fine; 129 are not. */
  for (guint i = 0; i < 128; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 128; i++)
    g_string_append_c (deep, ']');
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", deep->str, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", deep->str, &response);
  assert_error (&response, 400, "bad_request",
                "the request body is not valid JSON: nested deeper than 128 levels at line 1, column 129");
  g_assert_cmpuint (f->calls, ==, 1);

  /* What is JSON arrives whole. */
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json",
                      " {\"n\": -1.5e3, \"i\": -9223372036854775808, \"s\": \"\\ud83c\\udfac é\\n\\/\","
                      " \"a\": [true, false, null], \"o\": {}, \"t\": \"[,{\\\",\"}\r\n",
                      &response);
  g_assert_cmpuint (response.status, ==, 200);
  node = parse (response.body);
  body = json_object_get_object_member (json_node_get_object (node), "body");
  g_assert_cmpfloat (json_object_get_double_member (body, "n"), ==, -1500.0);
  g_assert_cmpint (json_object_get_int_member (body, "i"), ==, G_MININT64);
  g_assert_cmpstr (json_object_get_string_member (body, "s"), ==, "🎬 é\n/");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (body, "a")), ==, 3);
  g_assert_true (json_array_get_boolean_element (json_object_get_array_member (body, "a"), 0));
  g_assert_true (json_array_get_null_element (json_object_get_array_member (body, "a"), 2));
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (body, "o")), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (body, "t"), ==, "[,{\",");

  qi_test_response_clear (&response);
}

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  static const Echo echo = { "echo", { NULL }, { NULL } };
  QiTestResponse response = { 0 };
  g_autoptr(GString) body = g_string_new ("[0");
  g_autoptr(GString) values = g_string_new ("[");
  g_autoptr(GString) members = g_string_new ("{");
  g_autofree char *message = NULL;
  gsize last_name = 0;

  add_echo (f, "POST", "/api/echo", &echo);
  g_assert_cmpuint (qi_rest_router_get_max_body_size (f->router), ==, 16 * 1024 * 1024);
  g_object_set (f->router, "max-body-size", (guint64) 1024, NULL);
  g_assert_cmpuint (qi_rest_router_get_max_body_size (f->router), ==, 1024);

  /* Exactly at the limit is fine. */
  while (body->len < 1023)
    g_string_append_c (body, ' ');
  g_string_append_c (body, ']');
  g_assert_cmpuint (body->len, ==, 1024);
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", body->str, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpuint (f->calls, ==, 1);

  g_string_truncate (body, body->len - 1);
  while (body->len < 2047)
    g_string_append_c (body, ' ');
  g_string_append_c (body, ']');
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", body->str, &response);
  assert_error (&response, 413, "too_large", "the request body is 2048 bytes, over the limit of 1024 bytes");
  g_assert_cmpuint (f->calls, ==, 1);

  /* Refused from the headers, in an early handler: the normal handler
   * never runs. */
  soup_server_add_early_handler (f->http.server, "/api", on_api_early, f, NULL);
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", body->str, &response);
  assert_error (&response, 413, "too_large", "the request body is 2048 bytes, over the limit of 1024 bytes");
  g_assert_cmpuint (f->dispatched, ==, 2);

  /* A chunked body, from a stream of unknown length, once it passes the
   * limit. */
  {
    g_autoptr(GInputStream) stream =
      g_memory_input_stream_new_from_data (g_memdup2 (body->str, body->len), body->len, g_free);
    g_autoptr(SoupMessage) msg = qi_test_http_message (&f->http, "POST", "/api/echo", NULL, NULL, 0);

    soup_message_set_request_body (msg, "application/json", stream, -1);
    qi_test_http_send (&f->http, msg, &response);
    assert_error (&response, 413, "too_large", "the request body is over the limit of 1024 bytes");
    g_assert_cmpuint (f->dispatched, ==, 2);
  }

  /* Within the limit, the early handler lets it through. */
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", "[1]", &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpuint (f->calls, ==, 2);

  /* Within the byte limit, a body can still hold too much. */
  qi_rest_router_set_max_body_size (f->router, QI_REST_ROUTER_DEFAULT_MAX_BODY_SIZE);
  for (guint i = 0; i < 1000000; i++)
    g_string_append (values, i == 0 ? "0" : ",0");
  g_string_append_c (values, ']');
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", values->str, &response);
  assert_error (&response, 413, "too_large",
                "the request body is too large: more than 1000000 values at line 1, column 2000000");

  for (guint i = 0; i <= 10000; i++)
    {
      if (i > 0)
        g_string_append_c (members, ',');
      last_name = members->len;
      g_string_append_printf (members, "\"k%u\":0", i);
    }
  g_string_append_c (members, '}');
  qi_test_http_fetch (&f->http, "POST", "/api/echo", "application/json", members->str, &response);
  message = g_strdup_printf ("the request body is too large: more than 10000 members in one object at line 1, column %" G_GSIZE_FORMAT,
                             last_name + 1);
  assert_error (&response, 413, "too_large", message);
  g_assert_cmpuint (f->calls, ==, 2);

  qi_test_response_clear (&response);
}

static gboolean
reply_later (gpointer user_data)
{
  QiRestRequest *request = user_data;
  g_autoptr(JsonNode) reply = parse ("{\"later\": true}");

  g_assert_false (qi_rest_request_get_answered (request));
  qi_rest_request_reply_json (request, SOUP_STATUS_ACCEPTED, reply);
  g_assert_true (qi_rest_request_get_answered (request));
  return G_SOURCE_REMOVE;
}

static void
handle_later (QiRestRequest *request,
              gpointer       user_data)
{
  Fixture *f = user_data;

  f->calls++;
  f->returned = FALSE;
  g_timeout_add_full (G_PRIORITY_DEFAULT, 20, reply_later, g_object_ref (request), g_object_unref);
  f->returned = TRUE;
}

static void
handle_forget (QiRestRequest *request,
               gpointer       user_data)
{
  Fixture *f = user_data;

  f->calls++;
}

static gboolean
drop_later (gpointer user_data)
{
  g_object_unref (user_data);
  return G_SOURCE_REMOVE;
}

static void
handle_forget_later (QiRestRequest *request,
                     gpointer       user_data)
{
  Fixture *f = user_data;

  f->calls++;
  g_idle_add (drop_later, g_object_ref (request));
}

static void
handle_keep (QiRestRequest *request,
             gpointer       user_data)
{
  Fixture *f = user_data;

  f->calls++;
  g_ptr_array_add (f->kept, g_object_ref (request));
}

static void
test_answer_later (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  QiTestResponse response = { 0 };

  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/later", handle_later, f, NULL, &error));
  g_assert_true (qi_rest_router_add_route (f->router, "POST", "/api/forget", handle_forget, f, NULL, &error));
  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/forget-later", handle_forget_later, f, NULL, &error));
  g_assert_no_error (error);

  qi_test_http_fetch (&f->http, "GET", "/api/later", NULL, NULL, &response);
  g_assert_true (f->returned);
  g_assert_cmpuint (response.status, ==, 202);
  g_assert_cmpstr (response.body, ==, "{\"later\":true}");

  /* Dropped at once, or later: 500 rather than a client left waiting. */
  qi_test_http_fetch (&f->http, "POST", "/api/forget", "application/json", "{}", &response);
  assert_error (&response, 500, "handler_failed",
                "the handler of “POST /api/forget” dropped the request without answering");
  qi_test_http_fetch (&f->http, "GET", "/api/forget-later", NULL, NULL, &response);
  assert_error (&response, 500, "handler_failed",
                "the handler of “GET /api/forget-later” dropped the request without answering");
  g_assert_cmpuint (f->calls, ==, 3);

  /* The server still answers. */
  qi_test_http_fetch (&f->http, "GET", "/api/later", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 202);

  qi_test_response_clear (&response);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_client_gone (Fixture       *f,
                  gconstpointer  data)
{
  static const Echo echo = { "echo", { NULL }, { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = parse ("{}");
  QiTestRaw raw = { 0 };
  QiTestResponse response = { 0 };
  GThread *thread;

  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/keep", handle_keep, f, NULL, &error));
  g_assert_no_error (error);
  add_echo (f, "GET", "/api/echo", &echo);

  /* The client sends, then hangs up before the answer. */
  raw.port = f->http.port;
  raw.request = (char *) "GET /api/keep HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  raw.close_without_reading = TRUE;
  raw.response = g_string_new (NULL);
  thread = g_thread_new ("raw-client", qi_test_raw_thread, &raw);
  while (!g_atomic_int_get (&raw.done) || f->kept->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_string_free (raw.response, TRUE);
  spin (50);

  g_assert_cmpuint (f->kept->len, ==, 1);
  qi_rest_request_reply_json (g_ptr_array_index (f->kept, 0), SOUP_STATUS_OK, reply);
  g_assert_true (qi_rest_request_get_answered (g_ptr_array_index (f->kept, 0)));
  spin (50);
  g_ptr_array_set_size (f->kept, 0);

  qi_test_http_fetch (&f->http, "GET", "/api/echo", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);

  qi_test_response_clear (&response);
}

static void
test_server_gone (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = parse ("{}");
  QiTestWait waits[2] = { { 0 }, { 0 } };

  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/keep", handle_keep, f, NULL, &error));
  g_assert_no_error (error);

  /* Two kept requests: one answered after the server closed its
   * connections, one dropped then. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) other = qi_test_http_message (&f->http, "GET", "/api/keep", NULL, NULL, 0);

      soup_session_send_and_read_async (f->http.session, other, G_PRIORITY_DEFAULT, NULL,
                                        qi_test_http_on_read, &waits[i]);
    }
  while (f->kept->len < 2)
    g_main_context_iteration (NULL, TRUE);

  soup_server_disconnect (f->http.server);
  while (!waits[0].done || !waits[1].done)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_nonnull (waits[i].error);
      g_assert_null (waits[i].bytes);
      g_clear_error (&waits[i].error);
    }

  qi_rest_request_reply_json (g_ptr_array_index (f->kept, 0), SOUP_STATUS_OK, reply);
  g_assert_true (qi_rest_request_get_answered (g_ptr_array_index (f->kept, 0)));
  g_ptr_array_set_size (f->kept, 0);
  spin (20);
}

static void
count_destroy (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_bad_patterns (Fixture       *f,
                   gconstpointer  data)
{
  static const struct
  {
    const char *pattern;
    const char *reason;
  } cases[] = {
    { "", "it must start with “/”" },
    { "api/x", "it must start with “/”" },
    { "/api//x", "it has an empty segment (“//”, or a “/” at the end)" },
    { "/api/", "it has an empty segment (“//”, or a “/” at the end)" },
    { "/api/{}", "the parameter “{}” needs a name of letters, digits and “_”, not starting with a digit" },
    { "/api/{1x}", "the parameter “{1x}” needs a name of letters, digits and “_”, not starting with a digit" },
    { "/api/{a-b}", "the parameter “{a-b}” needs a name of letters, digits and “_”, not starting with a digit" },
    { "/api/{...}", "the parameter “{...}” needs a name of letters, digits and “_”, not starting with a digit" },
    { "/api/{x", "a parameter segment must be “{name}” or “{name...}”" },
    { "/api/{rest...}/x", "“{rest...}” must be the last segment" },
    { "/api/{a}/{a}", "the parameter “a” appears twice" },
    { "/api/{a}/{a...}", "the parameter “a” appears twice" },
    { "/api/x{y}", "a literal segment may not hold “{” or “}”" },
    { "/api/..", "“.” and “..” are not segments a path can have" },
    { "/api/./x", "“.” and “..” are not segments a path can have" },
    { "/api/x?y=1", "a path has no “?” or “#”; read the query with qi_rest_request_get_query()" },
    { "/api/\x01", "it holds a control character" },
  };
  g_autoptr(GError) error = NULL;
  guint destroyed = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *shown = strchr (cases[i].pattern, '\x01') != NULL ? "/api/\\x01" : cases[i].pattern;
      g_autofree char *message = NULL;

      g_assert_false (qi_rest_router_add_route (f->router, "GET", cases[i].pattern, handle_forget, &destroyed,
                                                count_destroy, &error));
      g_assert_error (error, QI_REST_ERROR, QI_REST_ERROR_BAD_PATTERN);
      message = g_strdup_printf ("“%s” is not a route pattern: %s", shown, cases[i].reason);
      g_assert_cmpstr (error->message, ==, message);
      g_clear_error (&error);
    }

  g_assert_false (qi_rest_router_add_route (f->router, "HEAD", "/api/x", handle_forget, &destroyed, count_destroy, &error));
  g_assert_error (error, QI_REST_ERROR, QI_REST_ERROR_BAD_METHOD);
  g_assert_cmpstr (error->message, ==,
                   "cannot route “HEAD” on “/api/x”: a route's method is GET, POST, PUT, PATCH or DELETE "
                   "(GET routes also serve HEAD)");
  g_clear_error (&error);
  g_assert_false (qi_rest_router_add_route (f->router, "get", "/api/x", handle_forget, &destroyed, count_destroy, &error));
  g_assert_error (error, QI_REST_ERROR, QI_REST_ERROR_BAD_METHOD);
  g_clear_error (&error);
  g_assert_cmpuint (destroyed, ==, 0);

  /* The same shape with other parameter names is the same route. */
  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/shots/{shot}", handle_forget, &destroyed,
                                           count_destroy, &error));
  g_assert_false (qi_rest_router_add_route (f->router, "GET", "/api/shots/{id}", handle_forget, &destroyed,
                                            count_destroy, &error));
  g_assert_error (error, QI_REST_ERROR, QI_REST_ERROR_ROUTE_EXISTS);
  g_assert_cmpstr (error->message, ==,
                   "cannot add the route GET “/api/shots/{id}”: the route GET “/api/shots/{shot}” "
                   "already matches the same paths");
  g_clear_error (&error);
  g_assert_true (qi_rest_router_add_route (f->router, "POST", "/api/shots/{id}", handle_forget, &destroyed,
                                           count_destroy, &error));
  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/shots/{shot}/{rest...}", handle_forget,
                                           &destroyed, count_destroy, &error));
  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/", handle_forget, &destroyed, count_destroy, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (destroyed, ==, 0);

  g_assert_true (qi_rest_router_remove_route (f->router, "GET", "/api/shots/{other}"));
  g_assert_cmpuint (destroyed, ==, 1);
  g_assert_false (qi_rest_router_remove_route (f->router, "GET", "/api/shots/{shot}"));
  g_assert_false (qi_rest_router_remove_route (f->router, "GET", "/api//bad"));
  g_assert_false (qi_rest_router_remove_route (f->router, "PATCH", "/api/shots/{id}"));
  g_assert_cmpuint (destroyed, ==, 1);

  g_clear_object (&f->router);
  g_assert_cmpuint (destroyed, ==, 4);
  f->router = qi_rest_router_new ();
}

static void
test_bad_path (Fixture       *f,
               gconstpointer  data)
{
  static const Echo item = { "item", { "id", NULL }, { "q", NULL } };
  static const char * const bad[] = { "a%2Fb", "%00", "%FF", "%C3" };
  QiTestResponse response = { 0 };

  add_echo (f, "GET", "/api/items/{id}", &item);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = g_strconcat ("/api/items/", bad[i], NULL);
      g_autofree char *message =
        g_strdup_printf ("the path segment “%s” is not valid: it must be percent-encoded UTF-8, "
                         "without an encoded “/” or NUL", bad[i]);

      qi_test_http_fetch (&f->http, "GET", path, NULL, NULL, &response);
      assert_error (&response, 400, "bad_request", message);
    }

  qi_test_http_fetch (&f->http, "GET", "/api/items/1?x=1&q=%FF", NULL, NULL, &response);
  assert_error (&response, 400, "bad_request",
                "the query parameter “q=%FF” is not valid: it must be percent-encoded UTF-8, without NUL");
  qi_test_http_fetch (&f->http, "GET", "/api/items/1?q=%00", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 400);
  g_assert_cmpuint (f->calls, ==, 0);

  /* Encoded, a space or an "é" is fine. */
  qi_test_http_fetch (&f->http, "GET", "/api/items/%C3%A9%20?q=%C3%A9", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==,
                   "{\"route\":\"item\",\"method\":\"GET\",\"path\":\"/api/items/%C3%A9%20\","
                   "\"params\":{\"id\":\"é \"},\"query\":{\"q\":\"é\"},\"body\":null}");

  qi_test_response_clear (&response);
}

typedef struct
{
  QiRestRouter *router;
  guint         destroyed;
} Once;

static void
handle_once (QiRestRequest *request,
             gpointer       user_data)
{
  Once *once = user_data;
  g_autoptr(JsonNode) reply = parse ("{\"once\": true}");

  g_assert_true (qi_rest_router_remove_route (once->router, "GET", "/api/once"));
  g_assert_cmpuint (once->destroyed, ==, 0); /* not while it runs */
  qi_rest_request_reply_json (request, SOUP_STATUS_OK, reply);
}

static void
once_destroy (gpointer data)
{
  ((Once *) data)->destroyed++;
}

static void
test_remove_own_route (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  QiTestResponse response = { 0 };
  Once once = { f->router, 0 };

  g_assert_true (qi_rest_router_add_route (f->router, "GET", "/api/once", handle_once, &once, once_destroy, &error));
  g_assert_no_error (error);

  qi_test_http_fetch (&f->http, "GET", "/api/once", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "{\"once\":true}");
  g_assert_cmpuint (once.destroyed, ==, 1);

  qi_test_http_fetch (&f->http, "GET", "/api/once", NULL, NULL, &response);
  assert_error (&response, 404, "not_found", "no route matches “/api/once”");

  qi_test_response_clear (&response);
}

static void
add_test (const char *name,
          void (*func) (Fixture *, gconstpointer))
{
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_test ("/qi/rest-router/params", test_params);
  add_test ("/qi/rest-router/precedence", test_precedence);
  add_test ("/qi/rest-router/not-found", test_not_found);
  add_test ("/qi/rest-router/method-not-allowed", test_method_not_allowed);
  add_test ("/qi/rest-router/unsupported-media-type", test_unsupported_media_type);
  add_test ("/qi/rest-router/bad-json", test_bad_json);
  add_test ("/qi/rest-router/too-large", test_too_large);
  add_test ("/qi/rest-router/answer-later", test_answer_later);
  add_test ("/qi/rest-router/client-gone", test_client_gone);
  add_test ("/qi/rest-router/server-gone", test_server_gone);
  add_test ("/qi/rest-router/bad-patterns", test_bad_patterns);
  add_test ("/qi/rest-router/bad-path", test_bad_path);
  add_test ("/qi/rest-router/remove-own-route", test_remove_own_route);

  return g_test_run ();
}
