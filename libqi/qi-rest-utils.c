/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "qi-rest-utils-private.h"

/* Decodes @length bytes of @raw. Returns NULL for a malformed escape
 * ("%4", "%zz"), a NUL, a result that is not UTF-8, and (for a segment)
 * a '/' that was encoded as %2F. */
char *
qi_rest_percent_decode (const char       *raw,
                        gsize             length,
                        QiRestDecodeMode  mode)
{
  g_autoptr(GString) out = g_string_sized_new (length + 1);

  for (gsize i = 0; i < length; i++)
    {
      char c = raw[i];

      if (c == '%')
        {
          int high, low;

          if (length - i < 3)
            return NULL;
          high = g_ascii_xdigit_value (raw[i + 1]);
          low = g_ascii_xdigit_value (raw[i + 2]);
          if (high < 0 || low < 0)
            return NULL;
          c = (char) (high * 16 + low);
          i += 2;
        }
      else if (c == '+' && mode == QI_REST_DECODE_FORM)
        {
          c = ' ';
        }

      if (c == '\0' || (c == '/' && mode == QI_REST_DECODE_SEGMENT))
        return NULL;
      g_string_append_c (out, c);
    }

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A client's text, fit to quote in a message that goes back to it and
 * into logs: valid UTF-8, at most 64 bytes (cut on a character
 * boundary), control characters escaped. */
char *
qi_rest_quote (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = valid;

  while (*p != '\0' && p - valid < 64)
    {
      const char *next = g_utf8_next_char (p);

      if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guchar) *p);
      else
        g_string_append_len (out, p, next - p);
      p = next;
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Answers @msg with @status and @body serialised; a %NULL @body answers
 * with no body at all. */
void
qi_rest_reply_json (SoupServerMessage *msg,
                    guint              status,
                    JsonNode          *body)
{
  char *text;

  soup_server_message_set_status (msg, status, NULL);
  if (body == NULL)
    {
      soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
      return;
    }

  text = json_to_string (body, FALSE);
  soup_server_message_set_response (msg, QI_REST_JSON_CONTENT_TYPE,
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

/* Answers @msg with `{"error": {"code": …, "message": …}}`. */
void
qi_rest_reply_error (SoupServerMessage *msg,
                     guint              status,
                     const char        *code,
                     const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *valid = g_utf8_make_valid (message, -1);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, valid);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  qi_rest_reply_json (msg, status, body);
}

/*
 * A strict RFC 8259 reader for request bodies. JsonParser is not used, for
 * the reasons given in qi-message.c: in json-glib 1.6 it accepts what is
 * not JSON, mangles some numbers and strings, and recurses without limit.
 * This reader refuses what json-glib could not represent faithfully
 * (\u0000 in a string, unpaired surrogates, numbers out of the range of
 * gint64 and double) and duplicate member names, and its errors give the
 * line and column (in characters, from 1).
 */

typedef struct
{
  const char  *start;
  const char  *pos;
  const char  *end;
  guint        depth;
  guint        values;
  GError     **error;
} Reader;

static void
reader_locate (Reader     *r,
               const char *at,
               guint      *line,
               guint      *column)
{
  const char *line_start = r->start;

  *line = 1;
  for (const char *p = r->start; p < at; p++)
    {
      if (*p == '\n')
        {
          (*line)++;
          line_start = p + 1;
        }
    }
  *column = (at > line_start ? (guint) g_utf8_strlen (line_start, at - line_start) : 0) + 1;
}

static gpointer
reader_fail_at (Reader       *r,
                const char   *at,
                GIOErrorEnum  code,
                const char   *reason)
{
  guint line, column;

  reader_locate (r, at, &line, &column);
  if (code == G_IO_ERROR_MESSAGE_TOO_LARGE)
    g_set_error (r->error, G_IO_ERROR, code,
                 _("the request body is too large: %s at line %u, column %u"),
                 reason, line, column);
  else
    g_set_error (r->error, G_IO_ERROR, code,
                 _("the request body is not valid JSON: %s at line %u, column %u"),
                 reason, line, column);
  return NULL;
}

static gpointer
reader_fail (Reader     *r,
             const char *reason)
{
  return reader_fail_at (r, r->pos, G_IO_ERROR_INVALID_DATA, reason);
}

static gpointer
reader_fail_unexpected (Reader *r)
{
  g_autofree char *reason = NULL;

  if (r->pos == r->end)
    return reader_fail (r, _("unexpected end of data"));

  if (g_ascii_isprint (*r->pos))
    reason = g_strdup_printf (_("unexpected character '%c'"), *r->pos);
  else if ((guchar) *r->pos < 0x80)
    reason = g_strdup_printf (_("unexpected byte 0x%02x"), (guchar) *r->pos);
  else
    {
      g_autofree char *character = g_strndup (r->pos, g_utf8_next_char (r->pos) - r->pos);

      reason = g_strdup_printf (_("unexpected character “%s”"), character);
    }
  return reader_fail (r, reason);
}

static void
reader_skip_space (Reader *r)
{
  while (r->pos < r->end &&
         (*r->pos == ' ' || *r->pos == '\t' || *r->pos == '\n' || *r->pos == '\r'))
    r->pos++;
}

static gboolean
reader_read_hex4 (Reader   *r,
                  gunichar *value)
{
  *value = 0;
  for (guint i = 0; i < 4; i++)
    {
      int digit;

      if (r->pos == r->end || (digit = g_ascii_xdigit_value (*r->pos)) < 0)
        {
          reader_fail (r, _("a \\u escape needs four hexadecimal digits"));
          return FALSE;
        }
      *value = *value * 16 + (gunichar) digit;
      r->pos++;
    }
  return TRUE;
}

/* At the character after a backslash. */
static gboolean
reader_read_escape (Reader  *r,
                    GString *out)
{
  const char *escape = r->pos - 1;
  gunichar value;

  if (r->pos == r->end)
    {
      reader_fail_unexpected (r);
      return FALSE;
    }

  switch (*r->pos++)
    {
    case '"':  g_string_append_c (out, '"');  return TRUE;
    case '\\': g_string_append_c (out, '\\'); return TRUE;
    case '/':  g_string_append_c (out, '/');  return TRUE;
    case 'b':  g_string_append_c (out, '\b'); return TRUE;
    case 'f':  g_string_append_c (out, '\f'); return TRUE;
    case 'n':  g_string_append_c (out, '\n'); return TRUE;
    case 'r':  g_string_append_c (out, '\r'); return TRUE;
    case 't':  g_string_append_c (out, '\t'); return TRUE;
    case 'u':
      break;
    default:
      r->pos = escape;
      reader_fail (r, _("invalid escape in a string"));
      return FALSE;
    }

  if (!reader_read_hex4 (r, &value))
    return FALSE;

  if (value >= 0xd800 && value <= 0xdbff)
    {
      gunichar low;

      if (r->end - r->pos < 2 || r->pos[0] != '\\' || r->pos[1] != 'u')
        {
          reader_fail_at (r, escape, G_IO_ERROR_INVALID_DATA, _("unpaired surrogate in a \\u escape"));
          return FALSE;
        }
      r->pos += 2;
      if (!reader_read_hex4 (r, &low))
        return FALSE;
      if (low < 0xdc00 || low > 0xdfff)
        {
          reader_fail_at (r, escape, G_IO_ERROR_INVALID_DATA, _("unpaired surrogate in a \\u escape"));
          return FALSE;
        }
      value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
    }
  else if (value >= 0xdc00 && value <= 0xdfff)
    {
      reader_fail_at (r, escape, G_IO_ERROR_INVALID_DATA, _("unpaired surrogate in a \\u escape"));
      return FALSE;
    }
  else if (value == 0)
    {
      reader_fail_at (r, escape, G_IO_ERROR_INVALID_DATA, _("\\u0000 is not supported in a string"));
      return FALSE;
    }

  g_string_append_unichar (out, value);
  return TRUE;
}

/* At the opening quote. */
static char *
reader_read_string (Reader *r)
{
  g_autoptr(GString) out = g_string_new (NULL);

  r->pos++;
  for (;;)
    {
      const char *run = r->pos;

      while (r->pos < r->end && *r->pos != '"' && *r->pos != '\\' && (guchar) *r->pos >= 0x20)
        r->pos++;
      g_string_append_len (out, run, r->pos - run);

      if (r->pos == r->end)
        return reader_fail_unexpected (r);
      if (*r->pos == '"')
        {
          r->pos++;
          return g_string_free (g_steal_pointer (&out), FALSE);
        }
      if (*r->pos == '\\')
        {
          r->pos++;
          if (!reader_read_escape (r, out))
            return NULL;
          continue;
        }
      return reader_fail (r, _("unescaped control character in a string"));
    }
}

static gboolean
reader_skip_digits (Reader *r)
{
  const char *first = r->pos;

  while (r->pos < r->end && g_ascii_isdigit (*r->pos))
    r->pos++;
  if (r->pos == first)
    {
      reader_fail_unexpected (r);
      return FALSE;
    }
  return TRUE;
}

static JsonNode *
reader_read_number (Reader *r)
{
  const char *start = r->pos;
  gboolean integer = TRUE;
  g_autofree char *text = NULL;
  JsonNode *node;

  if (*r->pos == '-')
    r->pos++;
  if (r->pos < r->end && *r->pos == '0')
    r->pos++;
  else if (!reader_skip_digits (r))
    return NULL;

  if (r->pos < r->end && *r->pos == '.')
    {
      integer = FALSE;
      r->pos++;
      if (!reader_skip_digits (r))
        return NULL;
    }
  if (r->pos < r->end && (*r->pos == 'e' || *r->pos == 'E'))
    {
      integer = FALSE;
      r->pos++;
      if (r->pos < r->end && (*r->pos == '+' || *r->pos == '-'))
        r->pos++;
      if (!reader_skip_digits (r))
        return NULL;
    }

  text = g_strndup (start, r->pos - start);
  node = json_node_alloc ();
  if (integer)
    {
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (text, NULL, 10);
      if (errno == ERANGE)
        {
          json_node_unref (node);
          return reader_fail_at (r, start, G_IO_ERROR_INVALID_DATA,
                                 _("integer out of the 64-bit range"));
        }
      json_node_init_int (node, value);
    }
  else
    {
      double value = g_ascii_strtod (text, NULL);

      if (!isfinite (value))
        {
          json_node_unref (node);
          return reader_fail_at (r, start, G_IO_ERROR_INVALID_DATA,
                                 _("number out of the range of a double"));
        }
      json_node_init_double (node, value);
    }
  return node;
}

static gboolean
reader_expect_word (Reader     *r,
                    const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (r->end - r->pos) < length || memcmp (r->pos, word, length) != 0)
    {
      /* Point at the first character that differs. */
      while (r->pos < r->end && *word != '\0' && *r->pos == *word)
        {
          r->pos++;
          word++;
        }
      reader_fail_unexpected (r);
      return FALSE;
    }
  r->pos += length;
  return TRUE;
}

static JsonNode *reader_read_value (Reader *r);

static JsonNode *
reader_read_object (Reader *r)
{
  g_autoptr(JsonObject) object = json_object_new ();
  guint members = 0;

  r->pos++;
  reader_skip_space (r);
  if (r->pos < r->end && *r->pos == '}')
    {
      r->pos++;
      return json_node_init_object (json_node_alloc (), object);
    }

  for (;;)
    {
      const char *name_start;
      g_autofree char *name = NULL;
      JsonNode *value;

      reader_skip_space (r);
      if (r->pos == r->end || *r->pos != '"')
        return reader_fail_unexpected (r);

      name_start = r->pos;
      name = reader_read_string (r);
      if (name == NULL)
        return NULL;
      if (json_object_has_member (object, name))
        {
          g_autofree char *quoted = qi_rest_quote (name);
          g_autofree char *reason = g_strdup_printf (_("duplicate member “%s”"), quoted);

          return reader_fail_at (r, name_start, G_IO_ERROR_INVALID_DATA, reason);
        }
      if (++members > QI_REST_JSON_MAX_MEMBERS)
        {
          g_autofree char *reason =
            g_strdup_printf (_("more than %u members in one object"), QI_REST_JSON_MAX_MEMBERS);

          return reader_fail_at (r, name_start, G_IO_ERROR_MESSAGE_TOO_LARGE, reason);
        }

      reader_skip_space (r);
      if (r->pos == r->end || *r->pos != ':')
        return reader_fail_unexpected (r);
      r->pos++;

      value = reader_read_value (r);
      if (value == NULL)
        return NULL;
      json_object_set_member (object, name, value);

      reader_skip_space (r);
      if (r->pos < r->end && *r->pos == ',')
        {
          r->pos++;
          continue;
        }
      if (r->pos < r->end && *r->pos == '}')
        {
          r->pos++;
          return json_node_init_object (json_node_alloc (), object);
        }
      return reader_fail_unexpected (r);
    }
}

static JsonNode *
reader_read_array (Reader *r)
{
  g_autoptr(JsonArray) array = json_array_new ();

  r->pos++;
  reader_skip_space (r);
  if (r->pos < r->end && *r->pos == ']')
    {
      r->pos++;
      return json_node_init_array (json_node_alloc (), array);
    }

  for (;;)
    {
      JsonNode *value = reader_read_value (r);

      if (value == NULL)
        return NULL;
      json_array_add_element (array, value);

      reader_skip_space (r);
      if (r->pos < r->end && *r->pos == ',')
        {
          r->pos++;
          continue;
        }
      if (r->pos < r->end && *r->pos == ']')
        {
          r->pos++;
          return json_node_init_array (json_node_alloc (), array);
        }
      return reader_fail_unexpected (r);
    }
}

static JsonNode *
reader_read_value (Reader *r)
{
  JsonNode *node;

  reader_skip_space (r);
  if (r->pos == r->end)
    return reader_fail_unexpected (r);

  if (++r->values > QI_REST_JSON_MAX_VALUES)
    {
      g_autofree char *reason =
        g_strdup_printf (_("more than %u values"), QI_REST_JSON_MAX_VALUES);

      return reader_fail_at (r, r->pos, G_IO_ERROR_MESSAGE_TOO_LARGE, reason);
    }

  switch (*r->pos)
    {
    case '{':
    case '[':
      if (r->depth == QI_REST_JSON_MAX_DEPTH)
        {
          g_autofree char *reason =
            g_strdup_printf (_("nested deeper than %u levels"), QI_REST_JSON_MAX_DEPTH);

          return reader_fail (r, reason);
        }
      r->depth++;
      node = *r->pos == '{' ? reader_read_object (r) : reader_read_array (r);
      r->depth--;
      return node;

    case '"':
      {
        g_autofree char *string = reader_read_string (r);

        if (string == NULL)
          return NULL;
        return json_node_init_string (json_node_alloc (), string);
      }

    case 't':
      return reader_expect_word (r, "true") ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return reader_expect_word (r, "false") ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return reader_expect_word (r, "null") ? json_node_init_null (json_node_alloc ()) : NULL;

    default:
      if (*r->pos == '-' || g_ascii_isdigit (*r->pos))
        return reader_read_number (r);
      return reader_fail_unexpected (r);
    }
}

/* Counts the values of @data as the reader does (the root, then one per
 * member or element: a non-empty container holds one more than its
 * commas), without building anything, so that a body of too many values
 * is refused before it costs memory. Returns where the first value past
 * @limit starts, or NULL. Exact for JSON; for what is not JSON, the reader
 * finds the error. */
static const char *
find_value_past_limit (const char *p,
                       const char *end,
                       guint       limit)
{
  guint64 values = 1;

  while (p < end)
    {
      char c = *p++;
      const char *next;

      if (c == '"')
        {
          while (p < end && *p != '"')
            p += *p == '\\' ? 2 : 1;
          p++;
          continue;
        }
      if (c != ',' && c != '[' && c != '{')
        continue;

      next = p;
      while (next < end && (*next == ' ' || *next == '\t' || *next == '\n' || *next == '\r'))
        next++;
      if (c != ',' && next < end && (*next == ']' || *next == '}'))
        continue;
      if (++values > limit)
        return next;
    }
  return NULL;
}

/* Reads one JSON value, the whole of @data. Errors are G_IO_ERROR_INVALID_DATA
 * (not UTF-8, not JSON) or G_IO_ERROR_MESSAGE_TOO_LARGE (over the limits on
 * members and values), with the line and column in the message. */
JsonNode *
qi_rest_json_parse (const char  *data,
                    gsize        length,
                    GError     **error)
{
  Reader r = { data, data, data + length, 0, 0, error };
  const char *invalid = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (!g_utf8_validate_len (data, length, &invalid))
    {
      guint line, column;

      reader_locate (&r, invalid, &line, &column);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the request body is not valid UTF-8 at line %u, column %u"),
                   line, column);
      return NULL;
    }

  invalid = find_value_past_limit (data, data + length, QI_REST_JSON_MAX_VALUES);
  if (invalid != NULL)
    {
      g_autofree char *reason =
        g_strdup_printf (_("more than %u values"), QI_REST_JSON_MAX_VALUES);

      return reader_fail_at (&r, invalid, G_IO_ERROR_MESSAGE_TOO_LARGE, reason);
    }

  root = reader_read_value (&r);
  if (root == NULL)
    return NULL;

  reader_skip_space (&r);
  if (r.pos != r.end)
    return reader_fail_unexpected (&r);

  return g_steal_pointer (&root);
}
