/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-static-folder.h"
#include "qi-rest-utils-private.h"

/**
 * QiStaticFolder:
 *
 * Serves the files of one folder over HTTP, such as an addon's built web
 * UI, from a #SoupServer handler through qi_static_folder_serve().
 *
 * Only `GET` and `HEAD` are served (anything else is answered 405 with
 * `Allow: GET, HEAD`). Nothing outside the folder is: the path is
 * percent-decoded segment by segment, and a segment that is empty (as in
 * `//`), that is not valid percent-encoded UTF-8, that decodes to
 * contain `/`, `\` or NUL, or that starts with a dot is answered 404 —
 * which refuses `.` and `..` in every encoding, and hidden files and
 * folders such as `.env` or `.git/`. The file found is then resolved with
 * realpath(), and served only if it lies under the folder (itself
 * resolved once, when the #QiStaticFolder is made): a symbolic link that
 * stays inside the folder is followed, one that leads outside is 404.
 * Only regular files are served.
 *
 * A folder is served as its `index.html` (there are no listings); a folder
 * asked for without its trailing slash is redirected (301) to the slash
 * form, query kept, so that relative links in the page resolve.
 *
 * Every answer carries `X-Content-Type-Options: nosniff`. A file's
 * carries a `Content-Type` pinned for the web's file types
 * (`text/html; charset=utf-8` for `.html`, `text/javascript;
 * charset=utf-8` for `.js` and `.mjs`, `text/css; charset=utf-8`,
 * `application/json` for `.json` and `.map`, `image/svg+xml`,
 * `application/wasm`, `image/png`, `image/jpeg`, `font/woff2`, …) and
 * guessed from the file's name otherwise (a symbolic link is typed by
 * its target's name), `Cache-Control: no-cache`, `Last-Modified`, and a
 * strong `ETag` made of the file's inode, size and modification time to
 * the nanosecond. A
 * request whose `If-None-Match` (a list of tags, or `*`) matches, or
 * failing that whose `If-Modified-Since` is not older than the file, is
 * answered 304 without a body.
 *
 * Files up to 4 MiB are read into memory; larger ones are mapped
 * (#GMappedFile), not copied. The files are read synchronously: fine for
 * local files of an addon's UI, not for a network share.
 *
 * Errors have the body `{"error": {"code": "…", "message": "…"}}` of
 * #QiRestRouter's. As for the router, the #SoupServer must be created with
 * #SoupServer:raw-paths set to %TRUE.
 */

/* Files up to this size are read; larger ones are mapped. */
#define READ_LIMIT (4 * 1024 * 1024)

struct _QiStaticFolder
{
  GObject  parent_instance;

  char    *root; /* resolved, without a trailing slash (unless it is "/") */
};

G_DEFINE_FINAL_TYPE (QiStaticFolder, qi_static_folder, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ROOT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct
{
  const char *extension;
  const char *type;
} web_types[] = {
  { "css",   "text/css; charset=utf-8" },
  { "gif",   "image/gif" },
  { "htm",   "text/html; charset=utf-8" },
  { "html",  "text/html; charset=utf-8" },
  { "ico",   "image/vnd.microsoft.icon" },
  { "jpeg",  "image/jpeg" },
  { "jpg",   "image/jpeg" },
  { "js",    "text/javascript; charset=utf-8" },
  { "json",  "application/json" },
  { "map",   "application/json" },
  { "mjs",   "text/javascript; charset=utf-8" },
  { "otf",   "font/otf" },
  { "png",   "image/png" },
  { "svg",   "image/svg+xml" },
  { "ttf",   "font/ttf" },
  { "txt",   "text/plain; charset=utf-8" },
  { "wasm",  "application/wasm" },
  { "webp",  "image/webp" },
  { "woff",  "font/woff" },
  { "woff2", "font/woff2" },
};

static char *
content_type_for (const char *path)
{
  g_autofree char *name = g_path_get_basename (path);
  const char *dot = strrchr (name, '.');
  g_autofree char *guessed = NULL;
  char *mime;
  gboolean uncertain = FALSE;

  if (dot != NULL)
    {
      g_autofree char *extension = g_ascii_strdown (dot + 1, -1);

      for (guint i = 0; i < G_N_ELEMENTS (web_types); i++)
        if (strcmp (extension, web_types[i].extension) == 0)
          return g_strdup (web_types[i].type);
    }

  guessed = g_content_type_guess (name, NULL, 0, &uncertain);
  mime = guessed != NULL ? g_content_type_get_mime_type (guessed) : NULL;
  if (mime == NULL || uncertain)
    {
      g_free (mime);
      return g_strdup ("application/octet-stream");
    }
  return mime;
}

static void
not_found (SoupServerMessage *msg,
           const char        *relative_path,
           const char        *why)
{
  g_autofree char *quoted = qi_rest_quote (relative_path);
  g_autofree char *text = g_strdup_printf (_("there is no file at “%s”"), quoted);

  g_debug ("static: 404 for “%s”: %s", quoted, why);
  qi_rest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", text);
}

static gboolean
is_under_root (QiStaticFolder *self,
               const char     *path)
{
  gsize length = strlen (self->root);

  if (strcmp (self->root, "/") == 0)
    return path[0] == '/';
  return strncmp (path, self->root, length) == 0 &&
         (path[length] == '\0' || path[length] == '/');
}

/* Decodes the segments of @relative_path, after one optional leading
 * '/'. Returns NULL if a segment is refused. A final '/' sets
 * @directory. */
static GPtrArray *
decode_relative (const char *relative_path,
                 gboolean   *directory)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const char *start = relative_path[0] == '/' ? relative_path + 1 : relative_path;

  *directory = FALSE;
  if (*start == '\0')
    return g_steal_pointer (&parts);

  for (;;)
    {
      const char *end = strchr (start, '/');
      gsize length = end != NULL ? (gsize) (end - start) : strlen (start);
      char *decoded;

      if (length == 0)
        {
          if (end == NULL && parts->len > 0)
            {
              *directory = TRUE;
              break;
            }
          return NULL;
        }

      decoded = qi_rest_percent_decode (start, length, QI_REST_DECODE_SEGMENT);
      if (decoded == NULL || decoded[0] == '.' || strchr (decoded, '\\') != NULL)
        {
          g_free (decoded);
          return NULL;
        }
      g_ptr_array_add (parts, decoded);

      if (end == NULL)
        break;
      start = end + 1;
    }
  return g_steal_pointer (&parts);
}

/* Whether one tag of an If-None-Match list matches @etag; weak
 * comparison, as RFC 9110 asks for this header. */
static gboolean
etag_list_matches (const char *list,
                   const char *etag)
{
  g_auto(GStrv) tags = g_strsplit (list, ",", -1);

  for (guint i = 0; tags[i] != NULL; i++)
    {
      const char *tag = g_strstrip (tags[i]);

      if (strcmp (tag, "*") == 0)
        return TRUE;
      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (strcmp (tag, etag) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_not_modified (SoupServerMessage *msg,
                 const char        *etag,
                 gint64             mtime)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *if_none_match = soup_message_headers_get_list (headers, "If-None-Match");
  const char *if_modified_since;
  g_autoptr(GDateTime) since = NULL;

  if (if_none_match != NULL)
    return etag_list_matches (if_none_match, etag);

  if_modified_since = soup_message_headers_get_one (headers, "If-Modified-Since");
  if (if_modified_since == NULL)
    return FALSE;
  since = soup_date_time_new_from_http_string (if_modified_since);
  return since != NULL && mtime <= g_date_time_to_unix (since);
}

/* Reads the @size bytes of @fd, or maps them if they are many. */
static GBytes *
load_contents (int      fd,
               gsize    size,
               GError **error)
{
  g_autofree char *buffer = NULL;
  gsize done = 0;

  if (size > READ_LIMIT)
    {
      g_autoptr(GMappedFile) mapped = g_mapped_file_new_from_fd (fd, FALSE, error);

      return mapped != NULL ? g_mapped_file_get_bytes (mapped) : NULL;
    }

  buffer = g_malloc (size + 1);
  while (done < size)
    {
      gssize n = read (fd, buffer + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                               g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break; /* it shrank meanwhile */
      done += n;
    }
  return g_bytes_new_take (g_steal_pointer (&buffer), done);
}

static void
serve_file (SoupServerMessage *msg,
            const char        *path,
            const char        *relative_path)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gboolean head = strcmp (soup_server_message_get_method (msg), "HEAD") == 0;
  g_autoptr(GDateTime) modified = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *last_modified = NULL;
  g_autofree char *type = NULL;
  struct stat st;
  int fd;

  /* O_NONBLOCK: should the file have become a FIFO, do not wait for it. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
  if (fd < 0)
    {
      not_found (msg, relative_path, g_strerror (errno));
      return;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_close (fd, NULL);
      not_found (msg, relative_path, "not a regular file");
      return;
    }

  etag = g_strdup_printf ("\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x.%09ld\"",
                          (guint64) st.st_ino, (guint64) st.st_size,
                          (gint64) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);
  modified = g_date_time_new_from_unix_utc (st.st_mtim.tv_sec);
  if (modified != NULL)
    last_modified = soup_date_time_to_string (modified, SOUP_DATE_HTTP);

  soup_message_headers_replace (headers, "ETag", etag);
  if (last_modified != NULL)
    soup_message_headers_replace (headers, "Last-Modified", last_modified);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");

  if (is_not_modified (msg, etag, st.st_mtim.tv_sec))
    {
      g_close (fd, NULL);
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }

  type = content_type_for (path);
  if (head)
    {
      g_close (fd, NULL);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (headers, "Content-Type", type);
      soup_message_headers_set_content_length (headers, st.st_size);
      return;
    }

  contents = load_contents (fd, st.st_size, &error);
  g_close (fd, NULL);
  if (contents == NULL)
    {
      g_autofree char *quoted = qi_rest_quote (relative_path);
      g_autofree char *text = g_strdup_printf (_("cannot read “%s”: %s"), quoted, error->message);

      g_warning ("static: %s", text);
      qi_rest_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal_error", text);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", type);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), contents);
}

static void
qi_static_folder_finalize (GObject *object)
{
  QiStaticFolder *self = QI_STATIC_FOLDER (object);

  g_free (self->root);

  G_OBJECT_CLASS (qi_static_folder_parent_class)->finalize (object);
}

static void
qi_static_folder_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  QiStaticFolder *self = QI_STATIC_FOLDER (object);

  switch (prop_id)
    {
    case PROP_ROOT:
      g_value_set_string (value, self->root);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_static_folder_class_init (QiStaticFolderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_static_folder_finalize;
  object_class->get_property = qi_static_folder_get_property;

  /**
   * QiStaticFolder:root:
   *
   * The folder served, as realpath() resolved it when the
   * #QiStaticFolder was made.
   */
  properties[PROP_ROOT] =
    g_param_spec_string ("root", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_static_folder_init (QiStaticFolder *self)
{
}

/**
 * qi_static_folder_new:
 * @root: (type filename): the folder to serve
 * @error: return location for a #GError
 *
 * Makes a #QiStaticFolder that serves @root, which is resolved now (a
 * symbolic link to a folder serves that folder, and later changes of the
 * link do not change what is served).
 *
 * Returns: (transfer full): the folder, or %NULL with a %G_FILE_ERROR if
 *   @root does not exist, cannot be resolved or is not a folder
 */
QiStaticFolder *
qi_static_folder_new (const char  *root,
                      GError     **error)
{
  g_autofree char *resolved = NULL;
  QiStaticFolder *self;
  GStatBuf st;

  g_return_val_if_fail (root != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  resolved = realpath (root, NULL);
  if (resolved == NULL)
    {
      int saved_errno = errno;
      g_autofree char *display = g_filename_display_name (root);

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("cannot serve “%s”: %s"), display, g_strerror (saved_errno));
      return NULL;
    }
  if (g_stat (resolved, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_autofree char *display = g_filename_display_name (root);

      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                   _("cannot serve “%s”: it is not a folder"), display);
      return NULL;
    }

  self = g_object_new (QI_TYPE_STATIC_FOLDER, NULL);
  self->root = g_steal_pointer (&resolved);
  return self;
}

/**
 * qi_static_folder_get_root:
 * @self: a #QiStaticFolder
 *
 * Returns: (transfer none) (type filename): the value of
 *   #QiStaticFolder:root
 */
const char *
qi_static_folder_get_root (QiStaticFolder *self)
{
  g_return_val_if_fail (QI_IS_STATIC_FOLDER (self), NULL);

  return self->root;
}

/**
 * qi_static_folder_serve:
 * @self: a #QiStaticFolder
 * @msg: a request, from a #SoupServer handler
 * @relative_path: the raw (percent-encoded) rest of the URI's path below
 *   the mount point, with or without its leading `/`: for a folder
 *   mounted at `/addons/demo`, `/js/app.js` for `/addons/demo/js/app.js`,
 *   and the empty string for `/addons/demo` itself
 *
 * Answers @msg with a file of the folder, a redirect or an error (see
 * #QiStaticFolder), before it returns. Whether a folder was asked for
 * with its trailing slash is read from the URI of @msg.
 */
void
qi_static_folder_serve (QiStaticFolder    *self,
                        SoupServerMessage *msg,
                        const char        *relative_path)
{
  const char *method;
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *resolved = NULL;
  gboolean directory = FALSE;
  GStatBuf st;

  g_return_if_fail (QI_IS_STATIC_FOLDER (self));
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));
  g_return_if_fail (relative_path != NULL);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "X-Content-Type-Options", "nosniff");

  method = soup_server_message_get_method (msg);
  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
    {
      g_autofree char *quoted = qi_rest_quote (method);
      g_autofree char *text =
        g_strdup_printf (_("the method “%s” is not allowed on static files, which allow GET, HEAD"),
                         quoted);

      qi_rest_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", text);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      return;
    }

  parts = decode_relative (relative_path, &directory);
  if (parts == NULL)
    {
      not_found (msg, relative_path, "a refused segment");
      return;
    }

  g_ptr_array_insert (parts, 0, g_strdup (self->root));
  g_ptr_array_add (parts, NULL);
  joined = g_build_filenamev ((char **) parts->pdata);

  resolved = realpath (joined, NULL);
  if (resolved == NULL)
    {
      not_found (msg, relative_path, g_strerror (errno));
      return;
    }
  if (!is_under_root (self, resolved) || g_stat (resolved, &st) != 0)
    {
      not_found (msg, relative_path, "outside the folder");
      return;
    }

  if (S_ISDIR (st.st_mode))
    {
      const char *uri_path = g_uri_get_path (soup_server_message_get_uri (msg));
      g_autofree char *index = NULL;

      if (!g_str_has_suffix (uri_path, "/"))
        {
          const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
          g_autofree char *location = NULL;

          /* "//host" would be a redirect to another site. */
          if (g_str_has_prefix (uri_path, "//"))
            {
              not_found (msg, relative_path, "a path starting with //");
              return;
            }
          location = g_strconcat (uri_path, "/", query != NULL ? "?" : "", query, NULL);
          soup_server_message_set_status (msg, SOUP_STATUS_MOVED_PERMANENTLY, NULL);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Location", location);
          return;
        }

      index = g_build_filename (resolved, "index.html", NULL);
      g_clear_pointer (&resolved, g_free);
      resolved = realpath (index, NULL);
      if (resolved == NULL || !is_under_root (self, resolved) ||
          g_stat (resolved, &st) != 0 || !S_ISREG (st.st_mode))
        {
          not_found (msg, relative_path, "a folder without index.html");
          return;
        }
    }
  else if (!S_ISREG (st.st_mode) || directory)
    {
      not_found (msg, relative_path, "not a regular file");
      return;
    }

  serve_file (msg, resolved, relative_path);
}
