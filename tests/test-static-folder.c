/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "qi-test-http.h"
#include "qi-test-utils.h"

/* QiStaticFolder, through a real SoupServer on 127.0.0.1: a folder of
 * fixtures is mounted at /static; /probe hands qi_static_folder_serve()
 * the relative path of its X-Relative header as written, since the
 * server's URI parsing removes dot segments before any handler sees
 * them. */

#define BIG_SIZE (5 * 1024 * 1024 + 17)

typedef struct
{
  QiTestHttp      http;
  char           *tmp;    /* the scratch directory */
  char           *root;   /* tmp/root, the folder served */
  QiStaticFolder *folder;
} Fixture;

static void
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
make_link (const char *dir,
           const char *name,
           const char *target)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (symlink (target, path), ==, 0);
}

static char *
read_fixture (Fixture    *f,
              const char *name)
{
  g_autofree char *path = g_build_filename (f->root, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
on_static (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Fixture *f = user_data;

  g_assert_true (g_str_has_prefix (path, "/static"));
  qi_static_folder_serve (f->folder, msg, path + strlen ("/static"));
}

static void
on_probe (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  Fixture *f = user_data;
  const char *relative = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                       "X-Relative");

  g_assert_nonnull (relative);
  qi_static_folder_serve (f->folder, msg, relative);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autoptr(GString) big = g_string_sized_new (BIG_SIZE);

  f->tmp = g_dir_make_tmp ("qi-static-XXXXXX", &error);
  g_assert_no_error (error);
  f->root = g_build_filename (f->tmp, "root", NULL);

  write_file (f->tmp, "secret.txt", "top secret");
  write_file (f->tmp, "outside/index.html", "<p>outside: top secret</p>");
  write_file (f->root, "index.html", "<h1>root</h1>");
  write_file (f->root, "app.js", "console.log ('app');");
  write_file (f->root, "mod.mjs", "export const x = 1;");
  write_file (f->root, "style.css", "body { color: red; }");
  write_file (f->root, "data.json", "{\"a\": 1}");
  write_file (f->root, "icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  write_file (f->root, "mod.wasm", "asm-ish");
  write_file (f->root, "img.png", "png-ish");
  write_file (f->root, "photo.jpg", "jpeg-ish");
  write_file (f->root, "PHOTO.JPEG", "JPEG-ish");
  write_file (f->root, "font.woff2", "woff2-ish");
  write_file (f->root, "app.js.map", "{\"version\": 3}");
  write_file (f->root, "page.htm", "<p>htm</p>");
  write_file (f->root, "blob.bin", "bytes");
  write_file (f->root, "sub/index.html", "<h1>sub</h1>");
  write_file (f->root, "sub/page.html", "<p>page</p>");
  write_file (f->root, "sub/.env", "TOKEN=top secret");
  write_file (f->root, "noindex/file.txt", "no index here");
  write_file (f->root, ".hidden", "top secret");

  make_link (f->root, "link-inside", "app.js");
  make_link (f->root, "sub/link-up", "../app.js");
  make_link (f->root, "link-outside", "../secret.txt");
  make_link (f->root, "dir-outside", "../outside");
  secret = g_build_filename (f->tmp, "secret.txt", NULL);
  make_link (f->root, "abs-outside", secret);
  make_link (f->root, "loop", "loop");

  for (gsize i = 0; i < BIG_SIZE; i++)
    g_string_append_c (big, 'a' + (char) (i % 26));
  write_file (f->root, "big.bin", big->str);

  f->folder = qi_static_folder_new (f->root, &error);
  g_assert_no_error (error);

  qi_test_http_setup (&f->http);
  soup_server_add_handler (f->http.server, "/static", on_static, f, NULL);
  soup_server_add_handler (f->http.server, "/probe", on_probe, f, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  qi_test_http_teardown (&f->http);
  g_clear_object (&f->folder);
  qi_test_remove_tree (f->tmp);
  g_assert_false (g_file_test (f->tmp, G_FILE_TEST_EXISTS));
  g_clear_pointer (&f->tmp, g_free);
  g_clear_pointer (&f->root, g_free);
}

static void
assert_not_found (QiTestResponse *response,
                  const char     *relative)
{
  g_autofree char *expected = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *message = g_strdup_printf ("there is no file at “%s”", relative);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, "not_found");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  expected = json_to_string (node, FALSE);

  g_assert_cmpuint (response->status, ==, 404);
  g_assert_cmpstr (qi_test_response_header (response, "Content-Type"), ==, "application/json; charset=utf-8");
  g_assert_cmpstr (response->body, ==, expected);
}

static void
probe (Fixture        *f,
       const char     *relative,
       QiTestResponse *response)
{
  g_autoptr(SoupMessage) msg = qi_test_http_message (&f->http, "GET", "/probe", NULL, NULL, 0);

  soup_message_headers_append (soup_message_get_request_headers (msg), "X-Relative", relative);
  qi_test_http_send (&f->http, msg, response);
}

static void
test_mime_types (Fixture       *f,
                 gconstpointer  data)
{
  static const struct
  {
    const char *name;
    const char *type;
  } cases[] = {
    { "index.html", "text/html; charset=utf-8" },
    { "page.htm", "text/html; charset=utf-8" },
    { "app.js", "text/javascript; charset=utf-8" },
    { "mod.mjs", "text/javascript; charset=utf-8" },
    { "style.css", "text/css; charset=utf-8" },
    { "data.json", "application/json" },
    { "app.js.map", "application/json" },
    { "icon.svg", "image/svg+xml" },
    { "mod.wasm", "application/wasm" },
    { "img.png", "image/png" },
    { "photo.jpg", "image/jpeg" },
    { "PHOTO.JPEG", "image/jpeg" },
    { "font.woff2", "font/woff2" },
    { "blob.bin", "application/octet-stream" },
    /* A link is served as its target. */
    { "link-inside", "text/javascript; charset=utf-8" },
  };
  QiTestResponse response = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strconcat ("/static/", cases[i].name, NULL);
      g_autofree char *contents = read_fixture (f, cases[i].name);

      qi_test_http_fetch (&f->http, "GET", path, NULL, NULL, &response);
      g_assert_cmpuint (response.status, ==, 200);
      g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, cases[i].type);
      g_assert_cmpstr (qi_test_response_header (&response, "X-Content-Type-Options"), ==, "nosniff");
      g_assert_cmpstr (qi_test_response_header (&response, "Cache-Control"), ==, "no-cache");
      g_assert_cmpstr (response.body, ==, contents);
    }

  qi_test_response_clear (&response);
}

static SoupMessage *
conditional (Fixture    *f,
             const char *path,
             const char *if_none_match,
             const char *if_modified_since)
{
  SoupMessage *msg = qi_test_http_message (&f->http, "GET", path, NULL, NULL, 0);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  if (if_none_match != NULL)
    soup_message_headers_append (headers, "If-None-Match", if_none_match);
  if (if_modified_since != NULL)
    soup_message_headers_append (headers, "If-Modified-Since", if_modified_since);
  return msg;
}

static guint
conditional_status (Fixture    *f,
                    const char *if_none_match,
                    const char *if_modified_since)
{
  g_autoptr(SoupMessage) msg = conditional (f, "/static/app.js", if_none_match, if_modified_since);
  QiTestResponse response = { 0 };
  guint status;

  qi_test_http_send (&f->http, msg, &response);
  status = response.status;
  if (status == 304)
    g_assert_cmpstr (response.body, ==, "");
  else
    g_assert_cmpstr (response.body, ==, "console.log ('app');");
  qi_test_response_clear (&response);
  return status;
}

static void
test_etag (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->root, "app.js", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  g_autofree char *expected_date = NULL;
  g_autofree char *list = NULL;
  g_autofree char *weak = NULL;
  g_autoptr(GDateTime) mtime = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  QiTestResponse response = { 0 };
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  expected = g_strdup_printf ("\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x.%09ld\"",
                              (guint64) st.st_ino, (guint64) st.st_size,
                              (gint64) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);
  mtime = g_date_time_new_from_unix_utc (st.st_mtim.tv_sec);

  qi_test_http_fetch (&f->http, "GET", "/static/app.js", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  etag = g_strdup (qi_test_response_header (&response, "ETag"));
  g_assert_cmpstr (etag, ==, expected);
  last_modified = g_strdup (qi_test_response_header (&response, "Last-Modified"));
  expected_date = soup_date_time_to_string (mtime, SOUP_DATE_HTTP);
  g_assert_cmpstr (last_modified, ==, expected_date);

  /* A match: 304 without a body, with the validators. */
  msg = conditional (f, "/static/app.js", etag, NULL);
  qi_test_http_send (&f->http, msg, &response);
  g_assert_cmpuint (response.status, ==, 304);
  g_assert_cmpstr (response.body, ==, "");
  g_assert_cmpstr (qi_test_response_header (&response, "ETag"), ==, etag);
  g_assert_cmpstr (qi_test_response_header (&response, "Cache-Control"), ==, "no-cache");

  list = g_strdup_printf ("\"other\", %s ,\"more\"", etag);
  weak = g_strdup_printf ("W/%s", etag);
  g_assert_cmpuint (conditional_status (f, list, NULL), ==, 304);
  g_assert_cmpuint (conditional_status (f, "*", NULL), ==, 304);
  g_assert_cmpuint (conditional_status (f, weak, NULL), ==, 304);
  g_assert_cmpuint (conditional_status (f, "\"other\"", NULL), ==, 200);

  /* If-Modified-Since counts only without If-None-Match. */
  g_assert_cmpuint (conditional_status (f, NULL, last_modified), ==, 304);
  g_assert_cmpuint (conditional_status (f, NULL, "Thu, 01 Jan 1970 00:00:00 GMT"), ==, 200);
  g_assert_cmpuint (conditional_status (f, "\"other\"", last_modified), ==, 200);

  /* A changed file has another tag. */
  write_file (f->root, "app.js", "console.log ('app, again');");
  g_clear_object (&msg);
  msg = conditional (f, "/static/app.js", etag, NULL);
  qi_test_http_send (&f->http, msg, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "console.log ('app, again');");
  g_assert_cmpstr (qi_test_response_header (&response, "ETag"), !=, etag);

  qi_test_response_clear (&response);
}

static void
test_traversal (Fixture       *f,
                gconstpointer  data)
{
  /* Through the server: GUri removes dot segments (decoding %2e first),
   * so these leave /static and no handler has them. */
  static const char * const normalised[] = {
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2e/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/sub/../../secret.txt",
    "/static/sub/%2e%2e/%2e%2e/outside/index.html",
  };
  /* These reach the folder, which refuses them. */
  static const char * const refused[] = {
    "/sub/..%2F..%2Fsecret.txt",
    "/%2Fetc%2Fpasswd",
    "/..%5Csecret.txt",
    "/a%00b",
    "/.hidden",
    "/sub/.env",
    "/sub//page.html",
    "//etc/passwd",
  };
  /* Handed to the folder as written. */
  static const char * const probes[] = {
    "../secret.txt",
    "/../secret.txt",
    "%2e%2e/secret.txt",
    "%2E%2e/secret.txt",
    ".%2e/secret.txt",
    "%2e./secret.txt",
    "sub/../../secret.txt",
    "sub/%2e%2e/%2e%2e/secret.txt",
    "sub/..",
    "./app.js",
    "%2e/app.js",
    "%2fetc%2fpasswd",
    "sub%2f..%2f..%2fsecret.txt",
    "sub%5c..%5c..%5csecret.txt",
    "sub\\..\\..\\secret.txt",
    "//etc/passwd",
    "/%2Fetc/passwd",
    "/etc/passwd",
    "a%00b",
    "%zz",
    "%C3",
    "%",
    ".hidden",
    "sub/.env",
    "%2ehidden",
    "sub//page.html",
    "link-outside",
    "abs-outside",
    "dir-outside/",
    "dir-outside/index.html",
    "loop",
    "app.js/",
    "noindex/",
    "missing.js",
  };
  QiTestResponse response = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (normalised); i++)
    {
      g_autofree char *request =
        g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", normalised[i]);

      qi_test_http_raw (&f->http, request, &response);
      g_assert_cmpuint (response.status, ==, 404);
      g_assert_null (strstr (response.body, "top secret"));
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *request =
        g_strdup_printf ("GET /static%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", refused[i]);

      qi_test_http_raw (&f->http, request, &response);
      assert_not_found (&response, refused[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      probe (f, probes[i], &response);
      assert_not_found (&response, probes[i]);
    }

  /* The leading "/" is optional. */
  probe (f, "/app.js", &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "console.log ('app');");
  probe (f, "sub/page.html", &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "<p>page</p>");

  qi_test_response_clear (&response);
}

static void
test_symlinks (Fixture       *f,
               gconstpointer  data)
{
  QiTestResponse response = { 0 };

  qi_test_http_fetch (&f->http, "GET", "/static/link-inside", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "console.log ('app');");

  /* ".." inside a link's target is fine while it stays in the folder. */
  qi_test_http_fetch (&f->http, "GET", "/static/sub/link-up", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "console.log ('app');");

  qi_test_http_fetch (&f->http, "GET", "/static/link-outside", NULL, NULL, &response);
  assert_not_found (&response, "/link-outside");
  qi_test_http_fetch (&f->http, "GET", "/static/abs-outside", NULL, NULL, &response);
  assert_not_found (&response, "/abs-outside");
  qi_test_http_fetch (&f->http, "GET", "/static/dir-outside/", NULL, NULL, &response);
  assert_not_found (&response, "/dir-outside/");
  qi_test_http_fetch (&f->http, "GET", "/static/dir-outside/index.html", NULL, NULL, &response);
  assert_not_found (&response, "/dir-outside/index.html");
  qi_test_http_fetch (&f->http, "GET", "/static/loop", NULL, NULL, &response);
  assert_not_found (&response, "/loop");

  qi_test_response_clear (&response);
}

static void
test_index (Fixture       *f,
            gconstpointer  data)
{
  QiTestResponse response = { 0 };

  qi_test_http_fetch (&f->http, "GET", "/static/", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, "text/html; charset=utf-8");
  g_assert_cmpstr (response.body, ==, "<h1>root</h1>");

  qi_test_http_fetch (&f->http, "GET", "/static/sub/", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "<h1>sub</h1>");

  qi_test_http_fetch (&f->http, "GET", "/static/sub/index.html", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "<h1>sub</h1>");

  /* No listings. */
  qi_test_http_fetch (&f->http, "GET", "/static/noindex/", NULL, NULL, &response);
  assert_not_found (&response, "/noindex/");

  /* A file is not a folder. */
  qi_test_http_fetch (&f->http, "GET", "/static/app.js/", NULL, NULL, &response);
  assert_not_found (&response, "/app.js/");

  qi_test_response_clear (&response);
}

static void
assert_redirect (Fixture    *f,
                 const char *path,
                 const char *location)
{
  g_autoptr(SoupMessage) msg = qi_test_http_message (&f->http, "GET", path, NULL, NULL, 0);
  QiTestResponse response = { 0 };

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  qi_test_http_send (&f->http, msg, &response);
  g_assert_cmpuint (response.status, ==, 301);
  g_assert_cmpstr (qi_test_response_header (&response, "Location"), ==, location);
  g_assert_cmpstr (response.body, ==, "");
  qi_test_response_clear (&response);
}

static void
test_redirect (Fixture       *f,
               gconstpointer  data)
{
  QiTestResponse response = { 0 };

  assert_redirect (f, "/static", "/static/");
  assert_redirect (f, "/static/sub", "/static/sub/");
  assert_redirect (f, "/static/sub?x=1&y=a%20b", "/static/sub/?x=1&y=a%20b");
  assert_redirect (f, "/static/noindex", "/static/noindex/");

  /* Followed, it lands on the index. */
  qi_test_http_fetch (&f->http, "GET", "/static/sub", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpstr (response.body, ==, "<h1>sub</h1>");

  qi_test_response_clear (&response);
}

static void
test_head (Fixture       *f,
           gconstpointer  data)
{
  QiTestResponse response = { 0 };
  g_autofree char *etag = NULL;

  qi_test_http_fetch (&f->http, "GET", "/static/style.css", NULL, NULL, &response);
  etag = g_strdup (qi_test_response_header (&response, "ETag"));

  qi_test_http_fetch (&f->http, "HEAD", "/static/style.css", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpuint (response.length, ==, 0);
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Length"), ==, "20");
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, "text/css; charset=utf-8");
  g_assert_cmpstr (qi_test_response_header (&response, "ETag"), ==, etag);

  qi_test_http_fetch (&f->http, "HEAD", "/static/", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpuint (response.length, ==, 0);
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Length"), ==, "13");

  qi_test_http_fetch (&f->http, "HEAD", "/static/missing", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 404);
  g_assert_cmpuint (response.length, ==, 0);

  qi_test_response_clear (&response);
}

static void
test_methods (Fixture       *f,
              gconstpointer  data)
{
  static const char * const methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
  QiTestResponse response = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *expected =
        g_strdup_printf ("{\"error\":{\"code\":\"method_not_allowed\",\"message\":"
                         "\"the method “%s” is not allowed on static files, which allow GET, HEAD\"}}",
                         methods[i]);

      qi_test_http_fetch (&f->http, methods[i], "/static/app.js", "application/json", "{}", &response);
      g_assert_cmpuint (response.status, ==, 405);
      g_assert_cmpstr (qi_test_response_header (&response, "Allow"), ==, "GET, HEAD");
      g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, "application/json; charset=utf-8");
      g_assert_cmpstr (response.body, ==, expected);
    }

  qi_test_response_clear (&response);
}

static void
test_large_file (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *contents = read_fixture (f, "big.bin");
  QiTestResponse response = { 0 };

  qi_test_http_fetch (&f->http, "GET", "/static/big.bin", NULL, NULL, &response);
  g_assert_cmpuint (response.status, ==, 200);
  g_assert_cmpuint (response.length, ==, BIG_SIZE);
  g_assert_true (memcmp (response.body, contents, BIG_SIZE) == 0);
  g_assert_cmpstr (qi_test_response_header (&response, "Content-Type"), ==, "application/octet-stream");

  qi_test_response_clear (&response);
}

static void
test_new (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->tmp, "missing", NULL);
  g_autofree char *file = g_build_filename (f->root, "app.js", NULL);
  g_autofree char *link = g_build_filename (f->tmp, "root-link", NULL);
  g_autofree char *resolved = realpath (f->root, NULL);
  g_autofree char *message = NULL;
  g_autofree char *property = NULL;
  g_autoptr(QiStaticFolder) folder = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (qi_static_folder_new (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  message = g_strdup_printf ("cannot serve “%s”: %s", missing, g_strerror (ENOENT));
  g_assert_cmpstr (error->message, ==, message);
  g_clear_error (&error);
  g_clear_pointer (&message, g_free);

  g_assert_null (qi_static_folder_new (file, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  message = g_strdup_printf ("cannot serve “%s”: it is not a folder", file);
  g_assert_cmpstr (error->message, ==, message);
  g_clear_error (&error);

  /* The root is resolved once. */
  g_assert_cmpint (symlink ("root", link), ==, 0);
  folder = qi_static_folder_new (link, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_static_folder_get_root (folder), ==, resolved);
  g_object_get (folder, "root", &property, NULL);
  g_assert_cmpstr (property, ==, resolved);
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

  add_test ("/qi/static-folder/mime-types", test_mime_types);
  add_test ("/qi/static-folder/etag", test_etag);
  add_test ("/qi/static-folder/traversal", test_traversal);
  add_test ("/qi/static-folder/symlinks", test_symlinks);
  add_test ("/qi/static-folder/index", test_index);
  add_test ("/qi/static-folder/redirect", test_redirect);
  add_test ("/qi/static-folder/head", test_head);
  add_test ("/qi/static-folder/methods", test_methods);
  add_test ("/qi/static-folder/large-file", test_large_file);
  add_test ("/qi/static-folder/new", test_new);

  return g_test_run ();
}
