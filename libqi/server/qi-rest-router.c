/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-rest-router.h"
#include "qi-rest-request-private.h"
#include "qi-rest-utils-private.h"

/**
 * QiRestRouter:
 *
 * The routes of a JSON-over-HTTP API: a handler per method and path
 * pattern, called from a #SoupServer handler through
 * qi_rest_router_dispatch().
 *
 * A pattern is an absolute path of segments, each a literal
 * (`projects`) or a parameter: `{name}` matches one non-empty segment,
 * and a final `{name...}` matches the rest of the path (one or more
 * segments, the first non-empty). So `/api/projects/{project}/versions/{id}`
 * matches `/api/projects/demo/versions/42`. Literal segments are compared
 * with the percent-decoded segments of the path; the match is exact, and
 * a trailing `/` is a segment of its own (`/api/projects/` does not match
 * `/api/projects`).
 *
 * When several patterns match a path, the most specific wins: compared
 * segment by segment from the left, a literal beats a parameter, which
 * beats a `{name...}`. Among the routes whose pattern matches the path,
 * the most specific one of the request's method answers; `HEAD` is
 * answered by the `GET` route. If the path matches but no route has the
 * method, the router answers 405 with an `Allow` header.
 *
 * The path the router receives is raw, still percent-encoded: the
 * #SoupServer must be created with #SoupServer:raw-paths set to %TRUE
 * (otherwise libsoup decodes the path first, and `%2F` could not be told
 * from `/`). The router decodes each segment itself and refuses with 400
 * a segment that is not valid percent-encoded UTF-8, or that decodes to
 * `/` or NUL.
 *
 * The bodies of `POST`, `PUT` and `PATCH` requests must be JSON: a
 * non-empty body needs `Content-Type: application/json` (or
 * `application/…+json`; a charset, if given, must be UTF-8), else 415.
 * It is read by a strict RFC 8259 reader, which refuses with 400 (and
 * the line and column in the message) what is not JSON, duplicate member
 * names, `\u0000` in strings, unpaired surrogates, integers beyond 64 bits,
 * numbers beyond a double and nesting deeper than 128; and with 413 a
 * body over #QiRestRouter:max-body-size, an object of more than 10000
 * members or a body of more than a million values. The bodies of other
 * methods are not read.
 *
 * Every error the router answers has the body
 * `{"error": {"code": "…", "message": "…"}}`, with the codes
 * `not_found` (404), `method_not_allowed` (405), `bad_request` (400),
 * `unsupported_media_type` (415), `too_large` (413) and
 * `handler_failed` (500, a handler dropped the request).
 */

typedef enum {
  SEGMENT_LITERAL,
  SEGMENT_PARAM,
  SEGMENT_REST,
} SegmentKind;

typedef struct
{
  SegmentKind  kind;
  char        *text; /* the literal, or the parameter's name */
} Segment;

/* Reference-counted (GRcBox): a handler may remove its own route. */
typedef struct
{
  const char        *method;   /* static, from the table below */
  guint              method_bit;
  char              *pattern;
  char              *shape;    /* the pattern with parameter names erased */
  Segment           *segments;
  guint              n_segments;
  QiRestHandlerFunc  handler;
  gpointer           user_data;
  GDestroyNotify     destroy;
} Route;

struct _QiRestRouter
{
  GObject    parent_instance;

  GPtrArray *routes; /* of Route */
  guint64    max_body_size;
};

G_DEFINE_FINAL_TYPE (QiRestRouter, qi_rest_router, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-rest-error-quark, qi_rest_error)

enum {
  PROP_0,
  PROP_MAX_BODY_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* In the order of the Allow header. */
static const struct
{
  const char *name;
  guint       bit;
  gboolean    routable;
  gboolean    has_body;
} methods[] = {
  { "GET",    1 << 0, TRUE,  FALSE },
  { "HEAD",   1 << 1, FALSE, FALSE },
  { "POST",   1 << 2, TRUE,  TRUE  },
  { "PUT",    1 << 3, TRUE,  TRUE  },
  { "PATCH",  1 << 4, TRUE,  TRUE  },
  { "DELETE", 1 << 5, TRUE,  FALSE },
};

/* Returns the index of @name in methods[], or -1. */
static int
find_method (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    if (strcmp (methods[i].name, name) == 0)
      return (int) i;
  return -1;
}

static void
route_clear (gpointer data)
{
  Route *route = data;

  if (route->destroy != NULL)
    route->destroy (route->user_data);
  for (guint i = 0; i < route->n_segments; i++)
    g_free (route->segments[i].text);
  g_free (route->segments);
  g_free (route->pattern);
  g_free (route->shape);
}

static void
route_release (gpointer data)
{
  g_rc_box_release_full (data, route_clear);
}

static gboolean
is_identifier (const char *text,
               gsize       length)
{
  if (length == 0 || !(g_ascii_isalpha (text[0]) || text[0] == '_'))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!(g_ascii_isalnum (text[i]) || text[i] == '_'))
      return FALSE;
  return TRUE;
}

static void
segment_clear (gpointer data)
{
  g_free (((Segment *) data)->text);
}

static gboolean
fail_pattern (GError     **error,
              const char  *pattern,
              const char  *reason)
{
  g_autofree char *quoted = qi_rest_quote (pattern);

  g_set_error (error, QI_REST_ERROR, QI_REST_ERROR_BAD_PATTERN,
               _("“%s” is not a route pattern: %s"), quoted, reason);
  return FALSE;
}

/* Fills @route's segments and shape from @pattern. */
static gboolean
parse_pattern (Route       *route,
               const char  *pattern,
               GError     **error)
{
  g_autoptr(GArray) segments = g_array_new (FALSE, TRUE, sizeof (Segment));
  g_autoptr(GString) shape = g_string_new (NULL);
  g_auto(GStrv) parts = NULL;

  g_array_set_clear_func (segments, segment_clear);

  if (!g_utf8_validate (pattern, -1, NULL))
    return fail_pattern (error, pattern, _("it is not UTF-8"));
  if (pattern[0] != '/')
    return fail_pattern (error, pattern, _("it must start with “/”"));
  for (const char *p = pattern; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return fail_pattern (error, pattern, _("it holds a control character"));
      if (*p == '?' || *p == '#')
        return fail_pattern (error, pattern, _("a path has no “?” or “#”; read the query with qi_rest_request_get_query()"));
    }

  if (strcmp (pattern, "/") != 0)
    parts = g_strsplit (pattern + 1, "/", -1);

  for (guint i = 0; parts != NULL && parts[i] != NULL; i++)
    {
      const char *part = parts[i];
      gsize length = strlen (part);
      Segment segment = { SEGMENT_LITERAL, NULL };

      if (length == 0)
        return fail_pattern (error, pattern, _("it has an empty segment (“//”, or a “/” at the end)"));

      if (part[0] == '{')
        {
          const char *name = part + 1;
          gsize name_length;

          if (part[length - 1] != '}')
            return fail_pattern (error, pattern, _("a parameter segment must be “{name}” or “{name...}”"));
          name_length = length - 2;
          segment.kind = SEGMENT_PARAM;
          if (name_length > 3 && g_str_has_suffix (part, "...}"))
            {
              segment.kind = SEGMENT_REST;
              name_length -= 3;
              if (parts[i + 1] != NULL)
                {
                  g_autofree char *reason =
                    g_strdup_printf (_("“%s” must be the last segment"), part);

                  return fail_pattern (error, pattern, reason);
                }
            }
          if (!is_identifier (name, name_length))
            {
              g_autofree char *reason =
                g_strdup_printf (_("the parameter “%s” needs a name of letters, digits and “_”, not starting with a digit"), part);

              return fail_pattern (error, pattern, reason);
            }
          segment.text = g_strndup (name, name_length);
          for (guint j = 0; j < segments->len; j++)
            {
              Segment *other = &g_array_index (segments, Segment, j);

              if (other->kind != SEGMENT_LITERAL && strcmp (other->text, segment.text) == 0)
                {
                  g_autofree char *reason =
                    g_strdup_printf (_("the parameter “%s” appears twice"), segment.text);

                  g_free (segment.text);
                  return fail_pattern (error, pattern, reason);
                }
            }
          g_string_append (shape, segment.kind == SEGMENT_REST ? "/{...}" : "/{}");
        }
      else
        {
          if (strchr (part, '{') != NULL || strchr (part, '}') != NULL)
            return fail_pattern (error, pattern, _("a literal segment may not hold “{” or “}”"));
          if (strcmp (part, ".") == 0 || strcmp (part, "..") == 0)
            return fail_pattern (error, pattern, _("“.” and “..” are not segments a path can have"));
          segment.text = g_strdup (part);
          g_string_append_c (shape, '/');
          g_string_append (shape, part);
        }
      g_array_append_val (segments, segment);
    }

  if (shape->len == 0)
    g_string_append_c (shape, '/');

  route->pattern = g_strdup (pattern);
  route->shape = g_string_free (g_steal_pointer (&shape), FALSE);
  route->n_segments = segments->len;
  route->segments = (Segment *) (void *) g_array_free (g_steal_pointer (&segments), FALSE);
  return TRUE;
}

static gboolean
route_matches (Route     *route,
               GPtrArray *segments)
{
  for (guint i = 0; i < route->n_segments; i++)
    {
      Segment *segment = &route->segments[i];
      const char *value;

      if (i >= segments->len)
        return FALSE;
      value = g_ptr_array_index (segments, i);

      switch (segment->kind)
        {
        case SEGMENT_LITERAL:
          if (strcmp (segment->text, value) != 0)
            return FALSE;
          break;
        case SEGMENT_PARAM:
          if (value[0] == '\0')
            return FALSE;
          break;
        case SEGMENT_REST:
          return value[0] != '\0';
        default:
          g_assert_not_reached ();
        }
    }
  return route->n_segments == segments->len;
}

/* Whether @a is more specific than @b, both matching the same path. */
static gboolean
route_more_specific (Route *a,
                     Route *b)
{
  guint n = MIN (a->n_segments, b->n_segments);

  for (guint i = 0; i < n; i++)
    if (a->segments[i].kind != b->segments[i].kind)
      return a->segments[i].kind < b->segments[i].kind;
  return a->n_segments > b->n_segments;
}

static GHashTable *
route_extract_params (Route     *route,
                      GPtrArray *segments)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < route->n_segments; i++)
    {
      Segment *segment = &route->segments[i];

      if (segment->kind == SEGMENT_PARAM)
        {
          g_hash_table_insert (params, g_strdup (segment->text),
                               g_strdup (g_ptr_array_index (segments, i)));
        }
      else if (segment->kind == SEGMENT_REST)
        {
          g_autoptr(GString) rest = g_string_new (NULL);

          for (guint j = i; j < segments->len; j++)
            {
              if (j > i)
                g_string_append_c (rest, '/');
              g_string_append (rest, g_ptr_array_index (segments, j));
            }
          g_hash_table_insert (params, g_strdup (segment->text),
                               g_string_free (g_steal_pointer (&rest), FALSE));
        }
    }
  return params;
}

/* Splits a raw path into decoded segments; "/" has none. On a bad
 * segment, returns NULL and the raw segment in @bad. */
static GPtrArray *
split_path (const char  *path,
            char       **bad)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  const char *start = path + 1;

  if (path[1] == '\0')
    return g_steal_pointer (&segments);

  for (;;)
    {
      const char *end = strchr (start, '/');
      gsize length = end != NULL ? (gsize) (end - start) : strlen (start);
      char *decoded = qi_rest_percent_decode (start, length, QI_REST_DECODE_SEGMENT);

      if (decoded == NULL)
        {
          *bad = g_strndup (start, length);
          return NULL;
        }
      g_ptr_array_add (segments, decoded);
      if (end == NULL)
        break;
      start = end + 1;
    }
  return g_steal_pointer (&segments);
}

/* Parses a raw query; the first value of a name wins. On a bad part,
 * returns NULL and the part in @bad. */
static GHashTable *
parse_query (const char  *query,
             char       **bad)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) parts = NULL;

  if (query == NULL || query[0] == '\0')
    return g_steal_pointer (&table);

  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = parts[i];
      const char *equals = strchr (part, '=');
      gsize name_length = equals != NULL ? (gsize) (equals - part) : strlen (part);
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (part[0] == '\0')
        continue;
      name = qi_rest_percent_decode (part, name_length, QI_REST_DECODE_FORM);
      value = equals != NULL ? qi_rest_percent_decode (equals + 1, strlen (equals + 1), QI_REST_DECODE_FORM)
                             : g_strdup ("");
      if (name == NULL || value == NULL)
        {
          *bad = g_strdup (part);
          return NULL;
        }
      if (!g_hash_table_contains (table, name))
        g_hash_table_insert (table, g_steal_pointer (&name), g_steal_pointer (&value));
    }
  return g_steal_pointer (&table);
}

static gboolean
is_json_media_type (const char *type,
                    GHashTable *params)
{
  const char *charset;

  if (type == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (type, "application/json") != 0)
    {
      gsize length = strlen (type);

      if (g_ascii_strncasecmp (type, "application/", 12) != 0 ||
          length < 12 + 6 || g_ascii_strcasecmp (type + length - 5, "+json") != 0)
        return FALSE;
    }

  charset = params != NULL ? g_hash_table_lookup (params, "charset") : NULL;
  return charset == NULL || g_ascii_strcasecmp (charset, "utf-8") == 0;
}

static void
refuse_too_large (SoupServerMessage *msg,
                  guint64            size,
                  guint64            limit)
{
  g_autofree char *size_text = g_strdup_printf ("%" G_GUINT64_FORMAT, size);
  g_autofree char *limit_text = g_strdup_printf ("%" G_GUINT64_FORMAT, limit);
  g_autofree char *text = NULL;

  /* The numbers go in as strings: xgettext cannot read format macros. */
  if (size > 0)
    text = g_strdup_printf (_("the request body is %s bytes, over the limit of %s bytes"),
                            size_text, limit_text);
  else
    text = g_strdup_printf (_("the request body is over the limit of %s bytes"), limit_text);
  qi_rest_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", text);
}

/* Checks and reads the body of a method that has one. Returns FALSE
 * once it has answered @msg with an error. */
static gboolean
read_body (QiRestRouter       *self,
           SoupServerMessage  *msg,
           JsonNode          **body)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *type;

  *body = NULL;
  if ((guint64) request_body->length > self->max_body_size)
    {
      refuse_too_large (msg, request_body->length, self->max_body_size);
      return FALSE;
    }
  if (request_body->length == 0)
    return TRUE;

  type = soup_message_headers_get_content_type (headers, &params);
  if (!is_json_media_type (type, params))
    {
      const char *given = soup_message_headers_get_one (headers, "Content-Type");
      g_autofree char *quoted = given != NULL ? qi_rest_quote (given) : NULL;
      g_autofree char *text = NULL;

      if (quoted != NULL)
        text = g_strdup_printf (_("the body of a %s request must be JSON in UTF-8, sent with “Content-Type: application/json”, not “%s”"),
                                soup_server_message_get_method (msg), quoted);
      else
        text = g_strdup_printf (_("the body of a %s request must be JSON in UTF-8, sent with “Content-Type: application/json”, but it has no Content-Type"),
                                soup_server_message_get_method (msg));
      qi_rest_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", text);
      return FALSE;
    }

  bytes = soup_message_body_flatten (request_body);
  *body = qi_rest_json_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (*body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
        qi_rest_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", error->message);
      else
        qi_rest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
qi_rest_router_finalize (GObject *object)
{
  QiRestRouter *self = QI_REST_ROUTER (object);

  g_ptr_array_unref (self->routes);

  G_OBJECT_CLASS (qi_rest_router_parent_class)->finalize (object);
}

static void
qi_rest_router_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  QiRestRouter *self = QI_REST_ROUTER (object);

  switch (prop_id)
    {
    case PROP_MAX_BODY_SIZE:
      g_value_set_uint64 (value, self->max_body_size);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_rest_router_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  QiRestRouter *self = QI_REST_ROUTER (object);

  switch (prop_id)
    {
    case PROP_MAX_BODY_SIZE:
      qi_rest_router_set_max_body_size (self, g_value_get_uint64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_rest_router_class_init (QiRestRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_rest_router_finalize;
  object_class->get_property = qi_rest_router_get_property;
  object_class->set_property = qi_rest_router_set_property;

  /**
   * QiRestRouter:max-body-size:
   *
   * The largest request body the router reads, in bytes; a larger one is
   * answered 413 `too_large`. See qi_rest_router_limit_body() to refuse
   * it before it is read.
   */
  properties[PROP_MAX_BODY_SIZE] =
    g_param_spec_uint64 ("max-body-size", NULL, NULL,
                         0, G_MAXUINT64, QI_REST_ROUTER_DEFAULT_MAX_BODY_SIZE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_rest_router_init (QiRestRouter *self)
{
  self->routes = g_ptr_array_new_with_free_func (route_release);
  self->max_body_size = QI_REST_ROUTER_DEFAULT_MAX_BODY_SIZE;
}

/**
 * qi_rest_router_new:
 *
 * Creates a router without routes.
 *
 * Returns: (transfer full): a new #QiRestRouter
 */
QiRestRouter *
qi_rest_router_new (void)
{
  return g_object_new (QI_TYPE_REST_ROUTER, NULL);
}

/**
 * qi_rest_router_add_route:
 * @self: a #QiRestRouter
 * @method: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`
 * @pattern: the path pattern, such as `/api/projects/{project}`
 * @handler: (scope notified) (closure user_data) (destroy destroy): the
 *   handler of the route's requests
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the route goes
 * @error: return location for a #GError
 *
 * Adds a route. See #QiRestRouter for the patterns and how a route is
 * chosen. Nothing is added on failure, and @destroy is not called.
 *
 * Returns: %TRUE on success; %FALSE with %QI_REST_ERROR_BAD_METHOD,
 *   %QI_REST_ERROR_BAD_PATTERN or %QI_REST_ERROR_ROUTE_EXISTS, whose
 *   message names the pattern
 */
gboolean
qi_rest_router_add_route (QiRestRouter       *self,
                          const char         *method,
                          const char         *pattern,
                          QiRestHandlerFunc   handler,
                          gpointer            user_data,
                          GDestroyNotify      destroy,
                          GError            **error)
{
  Route *route;
  int index;

  g_return_val_if_fail (QI_IS_REST_ROUTER (self), FALSE);
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (handler != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  index = find_method (method);
  if (index < 0 || !methods[index].routable)
    {
      g_autofree char *quoted = qi_rest_quote (method);
      g_autofree char *quoted_pattern = qi_rest_quote (pattern);

      g_set_error (error, QI_REST_ERROR, QI_REST_ERROR_BAD_METHOD,
                   _("cannot route “%s” on “%s”: a route's method is GET, POST, PUT, PATCH or DELETE (GET routes also serve HEAD)"),
                   quoted, quoted_pattern);
      return FALSE;
    }

  route = g_rc_box_new0 (Route);
  route->method = methods[index].name;
  route->method_bit = methods[index].bit;
  if (!parse_pattern (route, pattern, error))
    {
      route_release (route);
      return FALSE;
    }

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *other = g_ptr_array_index (self->routes, i);

      if (other->method == route->method && strcmp (other->shape, route->shape) == 0)
        {
          g_autofree char *quoted = qi_rest_quote (pattern);
          g_autofree char *quoted_other = qi_rest_quote (other->pattern);

          g_set_error (error, QI_REST_ERROR, QI_REST_ERROR_ROUTE_EXISTS,
                       _("cannot add the route %s “%s”: the route %s “%s” already matches the same paths"),
                       route->method, quoted, other->method, quoted_other);
          route_release (route);
          return FALSE;
        }
    }

  route->handler = handler;
  route->user_data = user_data;
  route->destroy = destroy;
  g_ptr_array_add (self->routes, route);
  return TRUE;
}

/**
 * qi_rest_router_remove_route:
 * @self: a #QiRestRouter
 * @method: the route's method
 * @pattern: the route's pattern (or one of the same shape, with other
 *   parameter names: qi_rest_router_add_route() takes it for the same)
 *
 * Removes a route and frees its data. A handler may remove its own route;
 * its data is freed once the handler returns.
 *
 * Returns: %TRUE if the route existed and has gone
 */
gboolean
qi_rest_router_remove_route (QiRestRouter *self,
                             const char   *method,
                             const char   *pattern)
{
  Route probe = { 0 };
  gboolean removed = FALSE;
  int index;

  g_return_val_if_fail (QI_IS_REST_ROUTER (self), FALSE);
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (pattern != NULL, FALSE);

  index = find_method (method);
  if (index < 0 || !parse_pattern (&probe, pattern, NULL))
    return FALSE;

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = g_ptr_array_index (self->routes, i);

      if (route->method == methods[index].name && strcmp (route->shape, probe.shape) == 0)
        {
          g_ptr_array_remove_index (self->routes, i);
          removed = TRUE;
          break;
        }
    }

  route_clear (&probe);
  return removed;
}

static char *
allow_list (guint allowed)
{
  g_autoptr(GString) allow = g_string_new (NULL);

  if (allowed & methods[0].bit)
    allowed |= methods[1].bit; /* GET routes serve HEAD */
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      if (allowed & methods[i].bit)
        {
          if (allow->len > 0)
            g_string_append (allow, ", ");
          g_string_append (allow, methods[i].name);
        }
    }
  return g_string_free (g_steal_pointer (&allow), FALSE);
}

/**
 * qi_rest_router_dispatch:
 * @self: a #QiRestRouter
 * @msg: a request, from a #SoupServer handler
 * @path: the raw (percent-encoded) absolute path to route, such as the
 *   `path` the handler received from a server with #SoupServer:raw-paths
 *
 * Finds the route of @msg and calls its handler, or answers with an error
 * (see #QiRestRouter). Call it from the #SoupServerCallback of the
 * router's prefix; the handler runs before this returns. A handler that
 * does not answer at once keeps a reference to its #QiRestRequest, and
 * the router pauses @msg until the answer.
 *
 * Returns: %FALSE if no route's pattern matches @path, in which case @msg
 *   has been answered 404 `not_found` (the caller may replace that answer
 *   before it returns); %TRUE if the router took the request: it called a
 *   handler, or answered 400, 405, 413 or 415
 */
gboolean
qi_rest_router_dispatch (QiRestRouter      *self,
                         SoupServerMessage *msg,
                         const char        *path)
{
  g_autoptr(QiRestRouter) hold = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  g_autoptr(GHashTable) query = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *bad = NULL;
  const char *method;
  const char *wanted;
  QiRestRequest *request;
  QiRestRequest *alive;
  Route *best = NULL;
  guint allowed = 0;
  int index;

  g_return_val_if_fail (QI_IS_REST_ROUTER (self), FALSE);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), FALSE);
  g_return_val_if_fail (path != NULL && path[0] == '/', FALSE);

  hold = g_object_ref (self);
  method = soup_server_message_get_method (msg);
  wanted = strcmp (method, "HEAD") == 0 ? "GET" : method;

  segments = split_path (path, &bad);
  if (segments == NULL)
    {
      g_autofree char *quoted = qi_rest_quote (bad);
      g_autofree char *text =
        g_strdup_printf (_("the path segment “%s” is not valid: it must be percent-encoded UTF-8, without an encoded “/” or NUL"),
                         quoted);

      qi_rest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", text);
      return TRUE;
    }

  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = g_ptr_array_index (self->routes, i);

      if (!route_matches (route, segments))
        continue;
      allowed |= route->method_bit;
      if (strcmp (route->method, wanted) == 0 &&
          (best == NULL || route_more_specific (route, best)))
        best = route;
    }

  if (allowed == 0)
    {
      g_autofree char *quoted = qi_rest_quote (path);
      g_autofree char *text = g_strdup_printf (_("no route matches “%s”"), quoted);

      qi_rest_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", text);
      return FALSE;
    }

  if (best == NULL)
    {
      g_autofree char *allow = allow_list (allowed);
      g_autofree char *quoted_method = qi_rest_quote (method);
      g_autofree char *quoted = qi_rest_quote (path);
      g_autofree char *text =
        g_strdup_printf (_("the method “%s” is not allowed on “%s”, which allows %s"),
                         quoted_method, quoted, allow);

      qi_rest_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", text);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
      return TRUE;
    }

  query = parse_query (g_uri_get_query (soup_server_message_get_uri (msg)), &bad);
  if (query == NULL)
    {
      g_autofree char *quoted = qi_rest_quote (bad);
      g_autofree char *text =
        g_strdup_printf (_("the query parameter “%s” is not valid: it must be percent-encoded UTF-8, without NUL"),
                         quoted);

      qi_rest_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request", text);
      return TRUE;
    }

  index = find_method (method);
  if (index >= 0 && methods[index].has_body && !read_body (self, msg, &body))
    return TRUE;

  request = qi_rest_request_new (msg, path, route_extract_params (best, segments),
                                 g_steal_pointer (&query), g_steal_pointer (&body));
  best = g_rc_box_acquire (best);

  /* If the handler kept the request unanswered, pause the message until
   * the answer; if it dropped it, the last unref has answered 500. */
  alive = request;
  g_object_add_weak_pointer (G_OBJECT (request), (gpointer *) &alive);
  best->handler (request, best->user_data);
  g_object_unref (request);
  if (alive != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (alive), (gpointer *) &alive);
      if (!qi_rest_request_get_answered (alive))
        qi_rest_request_pause (alive);
    }

  route_release (best);
  return TRUE;
}

typedef struct
{
  guint64  limit;
  guint64  seen;
  gboolean refused;
} BodyLimit;

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  BodyLimit *limit = user_data;

  limit->seen += g_bytes_get_size (chunk);
  if (limit->refused || limit->seen <= limit->limit)
    return;

  limit->refused = TRUE;
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_body_truncate (soup_server_message_get_request_body (msg));
  refuse_too_large (msg, 0, limit->limit);
}

/**
 * qi_rest_router_limit_body:
 * @self: a #QiRestRouter
 * @msg: a request whose headers have arrived
 *
 * Refuses a body over #QiRestRouter:max-body-size before it is read.
 * Call it from a soup_server_add_early_handler() callback of the
 * router's prefix: a request that declares a larger `Content-Length` is
 * answered 413 `too_large` at once (a client that sent `Expect:
 * 100-continue` never sends the body), and a chunked body stops being
 * kept once it passes the limit, and is answered 413. libsoup then does
 * not call the normal handler. Without this call,
 * qi_rest_router_dispatch() still refuses such a body, but only after
 * libsoup has read it whole.
 */
void
qi_rest_router_limit_body (QiRestRouter      *self,
                           SoupServerMessage *msg)
{
  SoupMessageHeaders *headers;
  BodyLimit *limit;

  g_return_if_fail (QI_IS_REST_ROUTER (self));
  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  headers = soup_server_message_get_request_headers (msg);
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      {
        goffset length = soup_message_headers_get_content_length (headers);

        if (length > 0 && (guint64) length > self->max_body_size)
          {
            soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
            refuse_too_large (msg, (guint64) length, self->max_body_size);
          }
      }
      break;

    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_EOF:
      limit = g_new0 (BodyLimit, 1);
      limit->limit = self->max_body_size;
      g_signal_connect_data (msg, "got-chunk", G_CALLBACK (on_got_chunk), limit,
                             (GClosureNotify) (void (*) (void)) g_free, 0);
      break;

    default:
      break;
    }
}

/**
 * qi_rest_router_get_max_body_size:
 * @self: a #QiRestRouter
 *
 * Returns: the value of #QiRestRouter:max-body-size, in bytes
 */
guint64
qi_rest_router_get_max_body_size (QiRestRouter *self)
{
  g_return_val_if_fail (QI_IS_REST_ROUTER (self), 0);

  return self->max_body_size;
}

/**
 * qi_rest_router_set_max_body_size:
 * @self: a #QiRestRouter
 * @max_body_size: the largest request body to read, in bytes
 *
 * Sets #QiRestRouter:max-body-size.
 */
void
qi_rest_router_set_max_body_size (QiRestRouter *self,
                                  guint64       max_body_size)
{
  g_return_if_fail (QI_IS_REST_ROUTER (self));

  if (self->max_body_size == max_body_size)
    return;
  self->max_body_size = max_body_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BODY_SIZE]);
}
