/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "qi-json-writer-private.h"
#include "qi-json.h"
#include "qi-word-scan-private.h"

/* Control characters, '"', '\\' and DEL are escaped; every other byte
 * goes as it is. */
static inline gboolean
needs_escape (guchar c)
{
  return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* A byte that goes as it is and needs no UTF-8 check: printable ASCII but
 * the quote and the backslash. */
static inline gboolean
is_plain_ascii (guchar c)
{
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void
append_escape (GString *out,
               guchar   c)
{
  switch (c)
    {
    case '"': qi_json_append_literal (out, "\\\""); break;
    case '\\': qi_json_append_literal (out, "\\\\"); break;
    case '\b': qi_json_append_literal (out, "\\b"); break;
    case '\f': qi_json_append_literal (out, "\\f"); break;
    case '\n': qi_json_append_literal (out, "\\n"); break;
    case '\r': qi_json_append_literal (out, "\\r"); break;
    case '\t': qi_json_append_literal (out, "\\t"); break;
    default: g_string_append_printf (out, "\\u%04x", c); break;
    }
}

/* Modified UTF-8: C0 80 is U+0000; any other invalid sequence is replaced
 * one byte at a time, as g_utf8_make_valid() does. */
static void
append_modified_utf8 (GString    *out,
                      const char *string)
{
  const char *end = string + strlen (string);
  const char *run = string;
  const char *p = string;

  while (p < end)
    {
      guchar c = (guchar) *p;

      if (c < 0x80)
        {
          if (needs_escape (c))
            {
              qi_json_append_len (out, run, p - run);
              append_escape (out, c);
              run = p + 1;
            }
          p++;
          continue;
        }

      if (c == 0xc0 && p + 1 < end && (guchar) p[1] == 0x80)
        {
          qi_json_append_len (out, run, p - run);
          qi_json_append_literal (out, "\\u0000");
          p += 2;
          run = p;
          continue;
        }

      if (g_utf8_get_char_validated (p, end - p) >= 0x80000000u)
        {
          qi_json_append_len (out, run, p - run);
          qi_json_append_literal (out, "\xef\xbf\xbd");
          p++;
          run = p;
          continue;
        }

      p = g_utf8_next_char (p);
    }
  qi_json_append_len (out, run, end - run);
}

void
qi_json_append_string (GString          *out,
                       const char       *string,
                       QiJsonWriteFlags  flags)
{
  g_autofree char *valid = NULL;
  const char *run;
  const char *end;
  const char *p;

  g_string_append_c (out, '"');

  if (flags & QI_JSON_WRITE_MODIFIED_UTF8)
    {
      append_modified_utf8 (out, string);
      g_string_append_c (out, '"');
      return;
    }

  /* Most strings are printable ASCII through and through: they go in one
   * copy, without the UTF-8 check, which ASCII passes anyway. */
  end = string + strlen (string);
  for (p = string; end - p >= 8; p += 8)
    {
      guint64 word = qi_word_load (p);

      if (qi_word_has_less (word, 0x20) | qi_word_has_high (word) | qi_word_has_byte (word, '"') |
          qi_word_has_byte (word, '\\') | qi_word_has_byte (word, 0x7f))
        break;
    }
  while (p < end && is_plain_ascii ((guchar) *p))
    p++;
  if (p == end)
    {
      qi_json_append_len (out, string, end - string);
      g_string_append_c (out, '"');
      return;
    }

  /* What came before the first other byte is ASCII: the rest decides. */
  if (!g_utf8_validate (p, -1, NULL))
    string = valid = g_utf8_make_valid (string, -1);

  for (run = p = string; *p != '\0'; p++)
    {
      if (!needs_escape ((guchar) *p))
        continue;
      qi_json_append_len (out, run, p - run);
      append_escape (out, (guchar) *p);
      run = p + 1;
    }
  qi_json_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

void
qi_json_append_int (GString *out,
                    gint64   value)
{
  /* By hand: it is on the path of every hub frame, where parsing a printf
   * format costs more than the conversion. */
  guint64 magnitude = value < 0 ? 0 - (guint64) value : (guint64) value;
  char digits[20];
  gsize n = 0;

  do
    {
      digits[sizeof digits - ++n] = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude != 0);

  if (value < 0)
    g_string_append_c (out, '-');
  qi_json_append_len (out, digits + sizeof digits - n, n);
}

/* The shortest form that reads back as the same double, always with a
 * fraction or an exponent so that it reads back as a double at all. */
static void
append_double (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      qi_json_append_literal (out, "null");
      return;
    }

  for (int precision = 15; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }

  qi_json_append_len (out, buffer, strlen (buffer));
  if (strpbrk (buffer, ".e") == NULL)
    qi_json_append_literal (out, ".0");
}

static void append_node (GString          *out,
                         JsonNode         *node,
                         QiJsonWriteFlags  flags,
                         guint             depth);

static void
append_newline (GString *out,
                guint    depth)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < depth; i++)
    qi_json_append_literal (out, "  ");
}

static void
append_object (GString          *out,
               JsonObject       *object,
               QiJsonWriteFlags  flags,
               guint             depth)
{
  gboolean pretty = (flags & QI_JSON_WRITE_PRETTY) != 0;
  gboolean first = TRUE;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  g_string_append_c (out, '{');
  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      if (pretty)
        append_newline (out, depth + 1);
      qi_json_append_string (out, name, flags);
      if (pretty)
        qi_json_append_literal (out, ": ");
      else
        g_string_append_c (out, ':');
      append_node (out, member, flags, depth + 1);
    }
  if (pretty && !first)
    append_newline (out, depth);
  g_string_append_c (out, '}');
}

static void
append_array (GString          *out,
              JsonArray        *array,
              QiJsonWriteFlags  flags,
              guint             depth)
{
  gboolean pretty = (flags & QI_JSON_WRITE_PRETTY) != 0;
  guint length = json_array_get_length (array);

  g_string_append_c (out, '[');
  for (guint i = 0; i < length; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      if (pretty)
        append_newline (out, depth + 1);
      append_node (out, json_array_get_element (array, i), flags, depth + 1);
    }
  if (pretty && length > 0)
    append_newline (out, depth);
  g_string_append_c (out, ']');
}

static void
append_node (GString          *out,
             JsonNode         *node,
             QiJsonWriteFlags  flags,
             guint             depth)
{
  if (node == NULL)
    {
      qi_json_append_literal (out, "null");
      return;
    }

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      append_object (out, json_node_get_object (node), flags, depth);
      return;

    case JSON_NODE_ARRAY:
      append_array (out, json_node_get_array (node), flags, depth);
      return;

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          qi_json_append_int (out, json_node_get_int (node));
          return;
        case G_TYPE_DOUBLE:
          append_double (out, json_node_get_double (node));
          return;
        case G_TYPE_BOOLEAN:
          if (json_node_get_boolean (node))
            qi_json_append_literal (out, "true");
          else
            qi_json_append_literal (out, "false");
          return;
        case G_TYPE_STRING:
          qi_json_append_string (out, json_node_get_string (node) != NULL ? json_node_get_string (node) : "",
                                 flags);
          return;
        default:
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      break;
    }

  qi_json_append_literal (out, "null");
}

void
qi_json_append_node (GString          *out,
                     JsonNode         *node,
                     QiJsonWriteFlags  flags)
{
  append_node (out, node, flags, 0);
}

/**
 * qi_json_to_string:
 * @node: (nullable): the value to write; %NULL writes `null`
 * @flags: how to write it
 * @length: (out) (optional): where to store the length of the text, in
 *   bytes
 *
 * Writes @node as JSON text (RFC 8259), the way every part of Qi writes
 * JSON: every control character escaped (json-glib 1.6's generator leaves
 * U+001F raw, which strict parsers refuse), text that is not UTF-8
 * repaired, members in the order they were added, doubles in their
 * shortest exact form, infinity and NaN as null. Use it rather than
 * json_to_string() for anything another program reads.
 *
 * Returns: (transfer full): the text, nul-terminated, without a final
 *   newline
 */
char *
qi_json_to_string (JsonNode         *node,
                   QiJsonWriteFlags  flags,
                   gsize            *length)
{
  GString *out = g_string_sized_new (128);

  append_node (out, node, flags, 0);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}
