/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-toml-parser.h"
#include "qi-enum-types.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/**
 * QiTomlParser:
 *
 * Reads [TOML 1.0.0](https://toml.io/en/v1.0.0) documents into a #JsonNode
 * tree.
 *
 * A parser holds the root of the last document it read successfully and,
 * for every value of that document, the place in the text that defined it,
 * so that a later check of the configuration ("the port must be below
 * 65536") can point at the right line with qi_toml_parser_get_location().
 *
 * |[<!-- language="C" -->
 * g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
 * g_autoptr(GError) error = NULL;
 * guint line, column;
 *
 * if (!qi_toml_parser_load_from_file (parser, "qi.toml", &error))
 *   g_printerr ("%s\n", error->message);   // qi.toml:3:8: expected '=' …
 *
 * if (qi_toml_parser_get_location (parser, "/launch/port", &line, &column))
 *   g_print ("the port is set at qi.toml:%u:%u\n", line, column);
 * ]|
 *
 * Errors are reported in the %QI_TOML_ERROR domain with a message that
 * starts with the location of the problem, `FILE:LINE:COLUMN: `, followed by
 * a plain sentence.
 */

/* Arrays, inline tables and the components of keys may nest this deep. */
#define MAX_DEPTH 128

typedef struct
{
  guint line;
  guint column;
} Location;

/* What made a table, which decides how it may be extended later. */
typedef enum
{
  TABLE_IMPLICIT = 1, /* the parent in a header: "a" in [a.b] */
  TABLE_HEADER,       /* defined by [a] or an element of [[a]] */
  TABLE_DOTTED,       /* created by a dotted key: "a" in a.b = 1 */
  TABLE_INLINE,       /* an inline table, complete once closed */
} TableKind;

typedef struct
{
  char       *name;
  const char *start;
} KeyPart;

typedef struct
{
  QiTomlDatetimeKind kind;
  int                year;
  int                month;
  int                day;
  int                hour;
  int                minute;
  int                second;
  char               fraction[10]; /* at most 9 digits, "" if none */
  char               offset_sign;  /* 'Z', '+' or '-'; 0 for local kinds */
  int                offset_hour;
  int                offset_minute;
} DatetimeFields;

/* The state of one load. It only lives on the stack of
 * qi_toml_parser_load_from_data(). */
typedef struct
{
  const char  *start;  /* the first character, after a byte order mark */
  const char  *pos;
  const char  *end;
  const char  *filename;
  gboolean     tagged;

  /* The last position turned into a line and column, to keep that linear */
  const char  *mark;
  guint        mark_line;
  guint        mark_column;

  GHashTable  *tables;            /* JsonObject* → TableKind */
  GHashTable  *arrays_of_tables;  /* set of JsonArray* made by [[…]] */
  GHashTable  *locations;         /* JSON pointer → Location */
  GString     *pointer;           /* JSON pointer of what is being parsed */

  JsonObject  *root;
  JsonObject  *current;           /* the table of the current section */
  guint        current_depth;

  GError     **error;
} TomlReader;

struct _QiTomlParser
{
  GObject           parent_instance;

  QiTomlParseFlags  flags;
  char             *filename;
  JsonNode         *root;
  GHashTable       *locations;
};

G_DEFINE_FINAL_TYPE (QiTomlParser, qi_toml_parser, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-toml-error-quark, qi_toml_error)

enum {
  PROP_0,
  PROP_FLAGS,
  PROP_FILENAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const datetime_markers[] = {
  [QI_TOML_DATETIME_OFFSET] = "$datetime",
  [QI_TOML_DATETIME_LOCAL] = "$datetime-local",
  [QI_TOML_DATETIME_LOCAL_DATE] = "$date-local",
  [QI_TOML_DATETIME_LOCAL_TIME] = "$time-local",
};

static const char * const datetime_tags[] = {
  [QI_TOML_DATETIME_OFFSET] = "datetime",
  [QI_TOML_DATETIME_LOCAL] = "datetime-local",
  [QI_TOML_DATETIME_LOCAL_DATE] = "date-local",
  [QI_TOML_DATETIME_LOCAL_TIME] = "time-local",
};

/* Characters and positions {{{ */

static inline gboolean
is_ws (char c)
{
  return c == ' ' || c == '\t';
}

static inline gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
is_bare_key_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

/* Characters TOML forbids in comments and strings. Tab is allowed; the
 * callers deal with line ends themselves. */
static inline gboolean
is_control (char c)
{
  return ((guchar) c < 0x20 && c != '\t') || c == 0x7f;
}

static inline char
peek (TomlReader *r,
      gsize       offset)
{
  /* The document is checked for NUL bytes before parsing, so a NUL means
   * the end of the document. */
  return r->pos + offset < r->end ? r->pos[offset] : '\0';
}

static inline gboolean
at_end (TomlReader *r)
{
  return r->pos >= r->end;
}

static inline gboolean
at_newline (TomlReader *r)
{
  return peek (r, 0) == '\n' || (peek (r, 0) == '\r' && peek (r, 1) == '\n');
}

static void
toml_reader_locate (TomlReader *r,
                    const char *at,
                    guint      *line,
                    guint      *column)
{
  const char *p;

  if (at > r->end)
    at = r->end;

  if (at < r->start)
    at = r->start;

  if (at < r->mark)
    {
      r->mark = r->start;
      r->mark_line = 1;
      r->mark_column = 1;
    }

  for (p = r->mark; p < at; p++)
    {
      if (*p == '\n')
        {
          r->mark_line++;
          r->mark_column = 1;
        }
      else if (((guchar) *p & 0xc0) != 0x80)
        {
          r->mark_column++;
        }
    }

  r->mark = at;
  *line = r->mark_line;
  *column = r->mark_column;
}

static gboolean toml_reader_error (TomlReader  *r,
                                   const char  *at,
                                   QiTomlError  code,
                                   const char  *format,
                                   ...) G_GNUC_PRINTF (4, 5);

/* Sets the error of the load and returns FALSE, so that callers can
 * `return toml_reader_error (…);`. */
static gboolean
toml_reader_error (TomlReader  *r,
                   const char  *at,
                   QiTomlError  code,
                   const char  *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;
  guint line, column;

  if (*r->error != NULL)
    return FALSE;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  toml_reader_locate (r, at, &line, &column);

  if (r->filename != NULL)
    g_set_error (r->error, QI_TOML_ERROR, code, "%s:%u:%u: %s",
                 r->filename, line, column, message);
  else
    g_set_error (r->error, QI_TOML_ERROR, code, "%u:%u: %s",
                 line, column, message);

  return FALSE;
}

/* A short description of the character at @at for error messages. */
static char *
describe_char (TomlReader *r,
               const char *at)
{
  gunichar c;
  char buf[8] = { 0, };

  if (at >= r->end)
    return g_strdup (_("the end of the file"));

  if (*at == '\n' || (*at == '\r' && at + 1 < r->end && at[1] == '\n'))
    return g_strdup (_("the end of the line"));

  if (*at == ' ')
    return g_strdup (_("a space"));

  if (*at == '\t')
    return g_strdup (_("a tab"));

  if (*at == '\'')
    return g_strdup ("\"'\"");

  c = g_utf8_get_char (at);

  if (c < 0x80 && !g_ascii_isgraph ((char) c))
    return g_strdup_printf (_("the control character U+%04X"), c);

  if (!g_unichar_isgraph (c))
    return g_strdup_printf (_("the character U+%04X"), c);

  g_unichar_to_utf8 (c, buf);
  return g_strdup_printf ("'%s'", buf);
}

static gboolean
control_char_error (TomlReader *r,
                    const char *at,
                    const char *where)
{
  if (*at == '\r')
    return toml_reader_error (r, at, QI_TOML_ERROR_SYNTAX,
                              _("a carriage return must be followed by a line "
                                "feed; bare CR characters are not allowed in %s"),
                              where);

  return toml_reader_error (r, at, QI_TOML_ERROR_SYNTAX,
                            _("the control character U+%04X is not allowed in %s"),
                            (guint) (guchar) *at, where);
}

static void
record_location (TomlReader *r,
                 const char *at,
                 gboolean    replace)
{
  Location *location;

  if (!replace && g_hash_table_contains (r->locations, r->pointer->str))
    return;

  location = g_new (Location, 1);
  toml_reader_locate (r, at, &location->line, &location->column);
  g_hash_table_replace (r->locations, g_strdup (r->pointer->str), location);
}

/* Formats where the thing at the current pointer was defined, " (first at
 * 1:1)" style, for messages about redefinitions. */
static char *
where_defined (TomlReader *r,
               const char *prefix)
{
  Location *location = g_hash_table_lookup (r->locations, r->pointer->str);

  if (location == NULL)
    return g_strdup ("");

  return g_strdup_printf (" (%s %u:%u)", prefix, location->line, location->column);
}

static void
pointer_append (GString    *pointer,
                const char *name)
{
  g_string_append_c (pointer, '/');

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '~')
        g_string_append (pointer, "~0");
      else if (*p == '/')
        g_string_append (pointer, "~1");
      else
        g_string_append_c (pointer, *p);
    }
}

static void
pointer_append_index (GString *pointer,
                      guint    index)
{
  g_string_append_printf (pointer, "/%u", index);
}

/* }}} */

/* Keys {{{ */

static void
key_part_clear (gpointer data)
{
  KeyPart *part = data;

  g_clear_pointer (&part->name, g_free);
}

static GArray *
key_new (void)
{
  GArray *key = g_array_new (FALSE, FALSE, sizeof (KeyPart));

  g_array_set_clear_func (key, key_part_clear);
  return key;
}

static inline KeyPart *
key_part (GArray *key,
          guint   i)
{
  return &g_array_index (key, KeyPart, i);
}

static void
append_key_name (GString    *out,
                 const char *name)
{
  gboolean bare = name[0] != '\0';

  for (const char *p = name; *p != '\0' && bare; p++)
    bare = is_bare_key_char (*p);

  if (bare)
    {
      g_string_append (out, name);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = name; *p != '\0'; p++)
    {
      if ((guchar) p[0] == 0xc0 && (guchar) p[1] == 0x80)
        {
          /* U+0000 of the tagged mode */
          g_string_append (out, "\\u0000");
          p++;
        }
      else if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (is_control (*p))
        g_string_append_printf (out, "\\u%04X", (guint) (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* The first @n parts of @key as TOML would write them: a.b."c d" */
static char *
key_to_string (GArray *key,
               guint   n)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n && i < key->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, '.');
      append_key_name (out, key_part (key, i)->name);
    }

  return g_string_free (out, FALSE);
}

/* The key for a sentence: "a.b" in quotes, unless it carries its own. */
static char *
key_to_display (GArray *key,
                guint   n)
{
  g_autofree char *text = key_to_string (key, n);

  if (strchr (text, '"') != NULL)
    return g_steal_pointer (&text);

  return g_strdup_printf ("\"%s\"", text);
}

/* }}} */

/* Whitespace, comments and line ends {{{ */

static void
skip_ws (TomlReader *r)
{
  while (r->pos < r->end && is_ws (*r->pos))
    r->pos++;
}

static gboolean
skip_comment (TomlReader *r)
{
  g_assert (peek (r, 0) == '#');

  for (r->pos++; r->pos < r->end; r->pos++)
    {
      char c = *r->pos;

      if (c == '\n' || (c == '\r' && peek (r, 1) == '\n'))
        break;

      if (is_control (c))
        return control_char_error (r, r->pos, _("a comment"));
    }

  return TRUE;
}

static void
skip_newline (TomlReader *r)
{
  if (peek (r, 0) == '\r')
    r->pos++;
  g_assert (peek (r, 0) == '\n');
  r->pos++;
}

/* Skips whitespace, new lines and comments, as allowed inside arrays. */
static gboolean
skip_ws_comments_newlines (TomlReader *r)
{
  for (;;)
    {
      skip_ws (r);

      if (peek (r, 0) == '#')
        {
          if (!skip_comment (r))
            return FALSE;
        }
      else if (at_newline (r))
        {
          skip_newline (r);
        }
      else
        {
          return TRUE;
        }
    }
}

/* After a key/value pair or a header: optional whitespace and comment, then
 * a new line or the end of the document. */
static gboolean
expect_line_end (TomlReader *r,
                 const char *after)
{
  g_autofree char *found = NULL;

  skip_ws (r);

  if (peek (r, 0) == '#' && !skip_comment (r))
    return FALSE;

  if (at_end (r))
    return TRUE;

  if (at_newline (r))
    {
      skip_newline (r);
      return TRUE;
    }

  if (*r->pos == '\r')
    return control_char_error (r, r->pos, _("a document"));

  found = describe_char (r, r->pos);
  return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                            _("expected a new line after %s, found %s"),
                            after, found);
}

/* }}} */

/* Strings {{{ */

/* Reads the escape sequence at r->pos (a backslash) into @out. */
static gboolean
parse_escape (TomlReader *r,
              GString    *out)
{
  const char *start = r->pos;
  char c = peek (r, 1);
  guint n_digits;
  gunichar value = 0;

  switch (c)
    {
    case 'b': g_string_append_c (out, '\b'); r->pos += 2; return TRUE;
    case 't': g_string_append_c (out, '\t'); r->pos += 2; return TRUE;
    case 'n': g_string_append_c (out, '\n'); r->pos += 2; return TRUE;
    case 'f': g_string_append_c (out, '\f'); r->pos += 2; return TRUE;
    case 'r': g_string_append_c (out, '\r'); r->pos += 2; return TRUE;
    case '"': g_string_append_c (out, '"'); r->pos += 2; return TRUE;
    case '\\': g_string_append_c (out, '\\'); r->pos += 2; return TRUE;
    case 'u': n_digits = 4; break;
    case 'U': n_digits = 8; break;

    default:
      if (c == '\0' || c == '\n' || c == '\r')
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("a backslash must be followed by an escape "
                                    "sequence; write \\\\ for a backslash"));
      if (g_ascii_isgraph (c))
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid escape sequence \\%c in a string"), c);
      {
        g_autofree char *found = describe_char (r, start + 1);

        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid escape sequence: a backslash "
                                    "followed by %s; write \\\\ for a backslash"),
                                  found);
      }
    }

  for (guint i = 0; i < n_digits; i++)
    {
      int digit = g_ascii_xdigit_value (peek (r, 2 + i));

      if (digit < 0)
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid escape sequence in a string: \\%c "
                                    "needs exactly %u hexadecimal digits"),
                                  c, n_digits);
      value = (value << 4) | (gunichar) digit;
    }

  if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("the escape sequence \\%c%.*s is not a Unicode "
                                "scalar value"),
                              c, (int) n_digits, start + 2);

  if (value == 0)
    {
      if (!r->tagged)
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("the escape \\%c%.*s is U+0000, which a Qi setting "
                                    "or key cannot hold; remove it"),
                                  c, (int) n_digits, start + 2);
      g_string_append (out, "\xc0\x80");
    }
  else
    g_string_append_unichar (out, value);
  r->pos += 2 + n_digits;
  return TRUE;
}

/* Copies the run of ordinary characters at r->pos into @out, up to the
 * next character that needs attention. */
static void
copy_plain (TomlReader *r,
            GString    *out,
            char        quote,
            gboolean    escapes)
{
  const char *p = r->pos;

  while (p < r->end)
    {
      char c = *p;

      if (c == quote || (escapes && c == '\\') || is_control (c))
        break;
      p++;
    }

  g_string_append_len (out, r->pos, p - r->pos);
  r->pos = p;
}

static gboolean
parse_single_line_string (TomlReader  *r,
                          char       **out)
{
  const char *start = r->pos;
  char quote = *r->pos;
  gboolean escapes = quote == '"';
  g_autoptr(GString) buffer = g_string_new (NULL);

  r->pos++;

  for (;;)
    {
      copy_plain (r, buffer, quote, escapes);

      if (at_end (r) || at_newline (r))
        {
          guint line, column;

          toml_reader_locate (r, start, &line, &column);
          return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                    _("the string started at %u:%u is not "
                                      "closed; add %s before the end of the line"),
                                    line, column,
                                    quote == '"' ? "'\"'" : "\"'\"");
        }

      if (*r->pos == quote)
        {
          r->pos++;
          break;
        }

      if (*r->pos == '\\')
        {
          if (!parse_escape (r, buffer))
            return FALSE;
          continue;
        }

      return control_char_error (r, r->pos, _("a string"));
    }

  *out = g_string_free (g_steal_pointer (&buffer), FALSE);
  return TRUE;
}

static gboolean
parse_multi_line_string (TomlReader  *r,
                         char       **out)
{
  const char *start = r->pos;
  char quote = *r->pos;
  gboolean escapes = quote == '"';
  g_autoptr(GString) buffer = g_string_new (NULL);

  r->pos += 3;

  /* A new line right after the opening delimiter is trimmed. */
  if (at_newline (r))
    skip_newline (r);

  for (;;)
    {
      copy_plain (r, buffer, quote, escapes);

      if (at_end (r))
        {
          guint line, column;

          toml_reader_locate (r, start, &line, &column);
          return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                    _("the multi-line string started at %u:%u "
                                      "is not closed; add %s"),
                                    line, column,
                                    quote == '"' ? "'\"\"\"'" : "\"'''\"");
        }

      if (*r->pos == quote)
        {
          guint n = 0;

          while (peek (r, n) == quote)
            n++;

          if (n >= 3)
            {
              /* Up to two quotes may come right before the delimiter. */
              n = MIN (n, 5);
              g_string_append_len (buffer, r->pos, n - 3);
              r->pos += n;
              break;
            }

          g_string_append_len (buffer, r->pos, n);
          r->pos += n;
          continue;
        }

      if (*r->pos == '\\')
        {
          const char *p = r->pos + 1;

          while (p < r->end && is_ws (*p))
            p++;

          if (p < r->end && (*p == '\n' || (*p == '\r' && p + 1 < r->end && p[1] == '\n')))
            {
              /* A line-ending backslash eats all whitespace and new lines
               * up to the next visible character. */
              r->pos = p;
              for (;;)
                {
                  skip_ws (r);
                  if (!at_newline (r))
                    break;
                  skip_newline (r);
                }
              continue;
            }

          if (!parse_escape (r, buffer))
            return FALSE;
          continue;
        }

      if (at_newline (r))
        {
          /* CRLF is read as LF, like every other line end. */
          g_string_append_c (buffer, '\n');
          skip_newline (r);
          continue;
        }

      return control_char_error (r, r->pos, _("a string"));
    }

  *out = g_string_free (g_steal_pointer (&buffer), FALSE);
  return TRUE;
}

static inline gboolean
at_triple_quote (TomlReader *r)
{
  char c = peek (r, 0);

  return (c == '"' || c == '\'') && peek (r, 1) == c && peek (r, 2) == c;
}

static gboolean
parse_string (TomlReader  *r,
              char       **out)
{
  if (at_triple_quote (r))
    return parse_multi_line_string (r, out);

  return parse_single_line_string (r, out);
}

/* }}} */

/* Key parsing {{{ */

/* Reads a dotted key into @key. Stops after the last part; whitespace
 * after it is skipped. */
static gboolean
parse_key (TomlReader *r,
           GArray     *key,
           guint       depth)
{
  for (;;)
    {
      KeyPart part = { NULL, r->pos };
      char c = peek (r, 0);

      if (is_bare_key_char (c))
        {
          const char *p = r->pos;

          while (p < r->end && is_bare_key_char (*p))
            p++;
          part.name = g_strndup (r->pos, p - r->pos);
          r->pos = p;
        }
      else if (c == '"' || c == '\'')
        {
          if (at_triple_quote (r))
            return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                      _("a key cannot be a multi-line string"));

          if (!parse_single_line_string (r, &part.name))
            return FALSE;
        }
      else
        {
          g_autofree char *found = describe_char (r, r->pos);

          if (key->len > 0)
            return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                      _("expected a key after '.', found %s"),
                                      found);

          if (c == '=')
            return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                      _("a key is missing before '='"));

          if (c == '\0' || strchr ("[]{}.,#\r\n", c) != NULL)
            return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                      _("expected a key, found %s"), found);

          return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                    _("expected a key, found %s; a bare key is "
                                      "made of ASCII letters, digits, '_' and "
                                      "'-', other keys need quotes"),
                                    found);
        }

      g_array_append_val (key, part);

      if (depth + key->len > MAX_DEPTH)
        return toml_reader_error (r, part.start, QI_TOML_ERROR_TOO_DEEP,
                                  _("the key nests more than %u levels deep"),
                                  MAX_DEPTH);

      skip_ws (r);

      if (peek (r, 0) != '.')
        return TRUE;

      r->pos++;
      skip_ws (r);
    }
}

/* }}} */

/* Tables {{{ */

static TableKind
table_kind (TomlReader *r,
            JsonNode   *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 0;

  return GPOINTER_TO_INT (g_hash_table_lookup (r->tables, json_node_get_object (node)));
}

static gboolean
is_array_of_tables (TomlReader *r,
                    JsonNode   *node)
{
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) &&
         g_hash_table_contains (r->arrays_of_tables, json_node_get_array (node));
}

static JsonObject *
add_table (TomlReader *r,
           JsonObject *parent,
           const char *name,
           TableKind   kind)
{
  JsonObject *table = json_object_new ();

  g_hash_table_insert (r->tables, table, GINT_TO_POINTER (kind));
  json_object_set_object_member (parent, name, table);
  return table;
}

/* The table of a sentence about an existing value that is in the way. */
static gboolean
value_in_the_way (TomlReader *r,
                  const char *at,
                  JsonNode   *node,
                  const char *display)
{
  g_autofree char *where = where_defined (r, "set at");

  if (JSON_NODE_HOLDS_ARRAY (node))
    return toml_reader_error (r, at, QI_TOML_ERROR_DUPLICATE_KEY,
                              _("the key %s already holds an array%s and cannot "
                                "be used as a table"),
                              display, where);

  return toml_reader_error (r, at, QI_TOML_ERROR_DUPLICATE_KEY,
                            _("the key %s already holds a value%s and cannot be "
                              "used as a table"),
                            display, where);
}

/* Marks the tables that dotted keys created inside a closed inline table as
 * part of it, so that nothing can extend them any more. */
static void
seal_dotted_tables (TomlReader *r,
                    JsonObject *table)
{
  JsonObjectIter iter;
  JsonNode *member;

  json_object_iter_init (&iter, table);
  while (json_object_iter_next (&iter, NULL, &member))
    {
      if (table_kind (r, member) == TABLE_DOTTED)
        {
          JsonObject *child = json_node_get_object (member);

          g_hash_table_insert (r->tables, child, GINT_TO_POINTER (TABLE_INLINE));
          seal_dotted_tables (r, child);
        }
    }
}

/* Handles a [header] or [[header]] line, making its table the current
 * one. r->pos is on the first '['. */
static gboolean
parse_header (TomlReader *r)
{
  const char *start = r->pos;
  gboolean array = peek (r, 1) == '[';
  g_autoptr(GArray) key = key_new ();
  g_autofree char *name = NULL;
  JsonObject *table = r->root;
  guint depth = 0;

  r->pos += array ? 2 : 1;
  skip_ws (r);

  if (!parse_key (r, key, 0))
    return FALSE;

  name = key_to_string (key, key->len);

  if (peek (r, 0) != ']' || (array && peek (r, 1) != ']'))
    {
      g_autofree char *found = describe_char (r, r->pos);

      return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                array ?
                                _("expected ']]' to close the header [[%s]], found %s") :
                                _("expected ']' to close the header [%s], found %s"),
                                name, found);
    }
  r->pos += array ? 2 : 1;

  g_string_truncate (r->pointer, 0);

  for (guint i = 0; i < key->len; i++)
    {
      KeyPart *part = key_part (key, i);
      gboolean last = i + 1 == key->len;
      g_autofree char *display = key_to_display (key, i + 1);
      JsonNode *node = json_object_get_member (table, part->name);
      TableKind kind = table_kind (r, node);

      pointer_append (r->pointer, part->name);
      if (++depth > MAX_DEPTH)
        return toml_reader_error (r, part->start, QI_TOML_ERROR_TOO_DEEP,
                                  _("the table nests more than %u levels deep"),
                                  MAX_DEPTH);

      if (kind == TABLE_INLINE)
        {
          g_autofree char *where = where_defined (r, "at");

          return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                    _("the inline table %s%s cannot be extended; "
                                      "an inline table holds all of its keys"),
                                    display, where);
        }

      if (!last)
        {
          if (node == NULL)
            {
              table = add_table (r, table, part->name, TABLE_IMPLICIT);
              record_location (r, start, FALSE);
            }
          else if (kind != 0)
            {
              table = json_node_get_object (node);
            }
          else if (is_array_of_tables (r, node))
            {
              JsonArray *elements = json_node_get_array (node);
              guint index = json_array_get_length (elements) - 1;

              table = json_array_get_object_element (elements, index);
              pointer_append_index (r->pointer, index);
              if (++depth > MAX_DEPTH)
                return toml_reader_error (r, part->start, QI_TOML_ERROR_TOO_DEEP,
                                          _("the table nests more than %u levels deep"),
                                          MAX_DEPTH);
            }
          else
            {
              return value_in_the_way (r, start, node, display);
            }

          continue;
        }

      if (!array)
        {
          if (node == NULL)
            {
              table = add_table (r, table, part->name, TABLE_HEADER);
              record_location (r, start, TRUE);
            }
          else if (kind == TABLE_IMPLICIT)
            {
              table = json_node_get_object (node);
              g_hash_table_insert (r->tables, table, GINT_TO_POINTER (TABLE_HEADER));
              record_location (r, start, TRUE);
            }
          else if (kind == TABLE_HEADER)
            {
              g_autofree char *where = where_defined (r, "first at");

              return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                        _("the table [%s] is defined twice%s"),
                                        name, where);
            }
          else if (kind == TABLE_DOTTED)
            {
              g_autofree char *where = where_defined (r, "at");

              return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                        _("the table [%s] was already created by "
                                          "dotted keys%s and cannot be defined "
                                          "again with a header"),
                                        name, where);
            }
          else if (is_array_of_tables (r, node))
            {
              g_autofree char *where = where_defined (r, "first at");

              return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                        _("%s is an array of tables%s; write "
                                          "[[%s]] to add an element to it"),
                                        display, where, name);
            }
          else
            {
              return value_in_the_way (r, start, node, display);
            }
        }
      else
        {
          JsonArray *elements;

          if (node == NULL)
            {
              elements = json_array_new ();
              g_hash_table_add (r->arrays_of_tables, elements);
              json_object_set_array_member (table, part->name, elements);
              record_location (r, start, TRUE);
            }
          else if (is_array_of_tables (r, node))
            {
              elements = json_node_get_array (node);
            }
          else if (kind != 0)
            {
              g_autofree char *where = where_defined (r, "at");

              return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                        _("%s is already a table%s, so [[%s]] "
                                          "cannot make it an array of tables"),
                                        display, where, name);
            }
          else if (JSON_NODE_HOLDS_ARRAY (node))
            {
              g_autofree char *where = where_defined (r, "set at");

              return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                        _("the key %s already holds an array "
                                          "value%s; [[%s]] can only add to "
                                          "arrays of tables"),
                                        display, where, name);
            }
          else
            {
              g_autofree char *where = where_defined (r, "set at");

              return toml_reader_error (r, start, QI_TOML_ERROR_DUPLICATE_KEY,
                                        _("the key %s already holds a value%s "
                                          "and cannot be an array of tables"),
                                        display, where);
            }

          if (++depth > MAX_DEPTH)
            return toml_reader_error (r, part->start, QI_TOML_ERROR_TOO_DEEP,
                                      _("the table nests more than %u levels deep"),
                                      MAX_DEPTH);

          table = json_object_new ();
          g_hash_table_insert (r->tables, table, GINT_TO_POINTER (TABLE_HEADER));
          pointer_append_index (r->pointer, json_array_get_length (elements));
          json_array_add_object_element (elements, table);
          record_location (r, start, TRUE);
        }
    }

  r->current = table;
  r->current_depth = depth;

  {
    g_autofree char *after = g_strdup_printf (array ? "the header [[%s]]" : "the header [%s]", name);

    return expect_line_end (r, after);
  }
}

/* }}} */

/* Values {{{ */

static gboolean parse_value (TomlReader  *r,
                             guint        depth,
                             JsonNode   **out);

static JsonNode *
make_tagged (const char *type,
             const char *text)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (object, "type", type);
  json_object_set_string_member (object, "value", text);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
make_string (TomlReader *r,
             const char *text)
{
  JsonNode *node;

  if (r->tagged)
    return make_tagged ("string", text);

  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, text);
  return node;
}

static JsonNode *
make_integer (TomlReader *r,
              gint64      value)
{
  JsonNode *node;

  if (r->tagged)
    {
      char text[32];

      g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, value);
      return make_tagged ("integer", text);
    }

  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (node, value);
  return node;
}

static JsonNode *
make_float (TomlReader *r,
            double      value)
{
  JsonNode *node;

  if (r->tagged)
    {
      char text[G_ASCII_DTOSTR_BUF_SIZE];

      if (isnan (value))
        return make_tagged ("float", "nan");
      if (isinf (value))
        return make_tagged ("float", value > 0 ? "inf" : "-inf");
      return make_tagged ("float", g_ascii_dtostr (text, sizeof text, value));
    }

  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_double (node, value);
  return node;
}

static JsonNode *
make_boolean (TomlReader *r,
              gboolean    value)
{
  JsonNode *node;

  if (r->tagged)
    return make_tagged ("bool", value ? "true" : "false");

  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_boolean (node, value);
  return node;
}

static JsonNode *
make_datetime (TomlReader         *r,
               QiTomlDatetimeKind  kind,
               const char         *text)
{
  JsonObject *object;
  JsonNode *node;

  if (r->tagged)
    return make_tagged (datetime_tags[kind], text);

  object = json_object_new ();
  json_object_set_string_member (object, datetime_markers[kind], text);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

/* Reads @n digits at @p into @value. */
static gboolean
read_digits (const char *p,
             const char *end,
             guint       n,
             int        *value)
{
  int v = 0;

  if (end - p < (gssize) n)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      if (!is_digit (p[i]))
        return FALSE;
      v = v * 10 + (p[i] - '0');
    }

  *value = v;
  return TRUE;
}

static int
days_in_month (int year,
               int month)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
    return 29;

  return days[month - 1];
}

/* Parses one of the four TOML date-time forms filling all of @text. On
 * failure returns FALSE with a sentence in @problem. */
static gboolean
parse_datetime_fields (const char      *text,
                       gsize            length,
                       DatetimeFields  *fields,
                       char           **problem)
{
  const char *p = text;
  const char *end = text + length;
  gboolean has_date = FALSE;

  memset (fields, 0, sizeof *fields);

  if (length >= 5 && is_digit (p[0]) && is_digit (p[1]) && is_digit (p[2]) &&
      is_digit (p[3]) && p[4] == '-')
    {
      if (!read_digits (p, end, 4, &fields->year) ||
          p[4] != '-' ||
          !read_digits (p + 5, end, 2, &fields->month) ||
          end - p < 8 || p[7] != '-' ||
          !read_digits (p + 8, end, 2, &fields->day) ||
          (end - p > 10 && is_digit (p[10])))
        {
          *problem = g_strdup ("a date is written YYYY-MM-DD");
          return FALSE;
        }

      if (fields->month < 1 || fields->month > 12)
        {
          *problem = g_strdup_printf ("there is no month %02d", fields->month);
          return FALSE;
        }

      if (fields->day < 1 || fields->day > days_in_month (fields->year, fields->month))
        {
          *problem = g_strdup_printf ("the month %04d-%02d has no day %02d",
                                      fields->year, fields->month, fields->day);
          return FALSE;
        }

      has_date = TRUE;
      p += 10;

      if (p == end)
        {
          fields->kind = QI_TOML_DATETIME_LOCAL_DATE;
          return TRUE;
        }

      if (*p != 'T' && *p != 't' && *p != ' ')
        {
          *problem = g_strdup ("a date and a time are separated by 'T' or a space");
          return FALSE;
        }
      p++;
    }

  if (!read_digits (p, end, 2, &fields->hour) ||
      end - p < 3 || p[2] != ':' ||
      !read_digits (p + 3, end, 2, &fields->minute) ||
      (end - p > 5 && is_digit (p[5])))
    {
      *problem = g_strdup ("a time is written HH:MM:SS");
      return FALSE;
    }

  if (end - p < 6 || p[5] != ':')
    {
      *problem = g_strdup ("the seconds are missing; TOML 1.0 times are written HH:MM:SS");
      return FALSE;
    }

  if (!read_digits (p + 6, end, 2, &fields->second) ||
      (end - p > 8 && is_digit (p[8])))
    {
      *problem = g_strdup ("a time is written HH:MM:SS");
      return FALSE;
    }

  if (fields->hour > 23)
    {
      *problem = g_strdup_printf ("there is no hour %02d", fields->hour);
      return FALSE;
    }

  if (fields->minute > 59)
    {
      *problem = g_strdup_printf ("there is no minute %02d", fields->minute);
      return FALSE;
    }

  if (fields->second > 60)
    {
      *problem = g_strdup_printf ("there is no second %02d", fields->second);
      return FALSE;
    }

  p += 8;

  if (p < end && *p == '.')
    {
      guint n = 0;

      for (p++; p < end && is_digit (*p); p++, n++)
        {
          /* Precision beyond nanoseconds is cut, not rounded. */
          if (n < 9)
            fields->fraction[n] = *p;
        }

      if (n == 0)
        {
          *problem = g_strdup ("the fraction of a second needs digits after '.'");
          return FALSE;
        }
    }

  if (!has_date)
    {
      if (p != end)
        {
          *problem = g_strdup ("a local time cannot have more after the seconds");
          return FALSE;
        }

      fields->kind = QI_TOML_DATETIME_LOCAL_TIME;
      return TRUE;
    }

  if (p == end)
    {
      fields->kind = QI_TOML_DATETIME_LOCAL;
      return TRUE;
    }

  if (*p == 'Z' || *p == 'z')
    {
      fields->offset_sign = 'Z';
      p++;
    }
  else if (*p == '+' || *p == '-')
    {
      fields->offset_sign = *p;

      if (!read_digits (p + 1, end, 2, &fields->offset_hour) ||
          end - p < 6 || p[3] != ':' ||
          !read_digits (p + 4, end, 2, &fields->offset_minute))
        {
          *problem = g_strdup ("a time offset is written Z, +HH:MM or -HH:MM");
          return FALSE;
        }

      if (fields->offset_hour > 23 || fields->offset_minute > 59)
        {
          *problem = g_strdup_printf ("the time offset %c%02d:%02d is out of range",
                                      fields->offset_sign, fields->offset_hour,
                                      fields->offset_minute);
          return FALSE;
        }

      p += 6;
    }

  if (p != end || fields->offset_sign == 0)
    {
      *problem = g_strdup ("expected a time offset (Z, +HH:MM or -HH:MM) or the end of the date-time");
      return FALSE;
    }

  fields->kind = QI_TOML_DATETIME_OFFSET;
  return TRUE;
}

/* The canonical text: 'T' and 'Z' uppercase, at least milliseconds. */
static char *
format_datetime_fields (const DatetimeFields *fields)
{
  GString *out = g_string_new (NULL);

  if (fields->kind != QI_TOML_DATETIME_LOCAL_TIME)
    g_string_append_printf (out, "%04d-%02d-%02d",
                            fields->year, fields->month, fields->day);

  if (fields->kind == QI_TOML_DATETIME_LOCAL_DATE)
    return g_string_free (out, FALSE);

  if (fields->kind != QI_TOML_DATETIME_LOCAL_TIME)
    g_string_append_c (out, 'T');

  g_string_append_printf (out, "%02d:%02d:%02d",
                          fields->hour, fields->minute, fields->second);

  if (fields->fraction[0] != '\0')
    {
      gsize n = strlen (fields->fraction);

      g_string_append_c (out, '.');
      g_string_append (out, fields->fraction);
      for (; n < 3; n++)
        g_string_append_c (out, '0');
    }

  if (fields->offset_sign == 'Z')
    g_string_append_c (out, 'Z');
  else if (fields->offset_sign != 0)
    g_string_append_printf (out, "%c%02d:%02d", fields->offset_sign,
                            fields->offset_hour, fields->offset_minute);

  return g_string_free (out, FALSE);
}

static gboolean
is_base_digit (char c,
               int  base)
{
  switch (base)
    {
    case 16: return g_ascii_isxdigit (c);
    case 8: return c >= '0' && c <= '7';
    case 2: return c == '0' || c == '1';
    default: return is_digit (c);
    }
}

/* Scans digits of @base with '_' allowed only between two digits. Appends
 * the digits to @clean. Returns the number of digits, or -1 on a misplaced
 * underscore. */
static int
scan_digits (const char **p,
             const char  *end,
             int          base,
             GString     *clean)
{
  int n = 0;

  while (*p < end)
    {
      char c = **p;

      if (is_base_digit (c, base))
        {
          g_string_append_c (clean, c);
          n++;
          (*p)++;
        }
      else if (c == '_')
        {
          if (n == 0 || *p + 1 >= end || !is_base_digit ((*p)[1], base))
            return -1;
          (*p)++;
        }
      else
        {
          break;
        }
    }

  return n;
}

static gboolean
parse_number (TomlReader  *r,
              const char  *start,
              const char  *text,
              gsize        length,
              JsonNode   **out)
{
  const char *p = text;
  const char *end = text + length;
  g_autoptr(GString) clean = g_string_new (NULL);
  gboolean is_float = FALSE;
  int n;

  if (*p == '+' || *p == '-')
    g_string_append_c (clean, *p++);

  if (end - p == 3 && (strncmp (p, "inf", 3) == 0 || strncmp (p, "nan", 3) == 0))
    {
      double value = p[0] == 'i' ? INFINITY : NAN;

      *out = make_float (r, text[0] == '-' ? -value : value);
      return TRUE;
    }

  if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o' || p[1] == 'b'))
    {
      int base = p[1] == 'x' ? 16 : p[1] == 'o' ? 8 : 2;
      guint64 value = 0;

      if (clean->len > 0)
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("the integer %.*s cannot have a sign; only "
                                    "decimal integers can"),
                                  (int) length, text);

      p += 2;
      n = scan_digits (&p, end, base, clean);
      if (n <= 0 || p != end)
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid integer %.*s"),
                                  (int) length, text);

      for (const char *d = clean->str; *d != '\0'; d++)
        {
          if (value > (guint64) G_MAXINT64 / (guint64) base)
            value = G_MAXUINT64;
          else
            value = value * base + g_ascii_xdigit_value (*d);
          if (value > G_MAXINT64)
            return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                      _("integer %.*s does not fit in 64 bits"),
                                      (int) length, text);
        }

      *out = make_integer (r, (gint64) value);
      return TRUE;
    }

  if (p >= end || !is_digit (*p))
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("invalid value %.*s; text values must be quoted"),
                              (int) length, text);

  if (end - p >= 2 && p[0] == '0' && (p[1] == 'X' || p[1] == 'O' || p[1] == 'B'))
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("invalid integer %.*s; the prefixes 0x, 0o and "
                                "0b are written in lowercase"),
                              (int) length, text);

  /* Digits then '-' or ':' is a date or a time gone wrong. */
  {
    const char *q = p;

    while (q < end && is_digit (*q))
      q++;

    if (q < end && (*q == '-' || *q == ':') && clean->len == 0)
      return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                _("invalid date-time %.*s: dates are written "
                                  "YYYY-MM-DD and times HH:MM:SS"),
                                (int) length, text);
  }

  n = scan_digits (&p, end, 10, clean);
  if (n < 0)
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("invalid number %.*s; an underscore must be "
                                "between two digits"),
                              (int) length, text);

  if (n > 1 && clean->str[clean->len - n] == '0')
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("invalid number %.*s; numbers cannot start with "
                                "a zero"),
                              (int) length, text);

  if (p < end && *p == '.')
    {
      is_float = TRUE;
      g_string_append_c (clean, *p++);
      n = scan_digits (&p, end, 10, clean);
      if (n <= 0)
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid number %.*s; a decimal point must "
                                    "have digits on both sides"),
                                  (int) length, text);
    }

  if (p < end && (*p == 'e' || *p == 'E'))
    {
      is_float = TRUE;
      g_string_append_c (clean, *p++);
      if (p < end && (*p == '+' || *p == '-'))
        g_string_append_c (clean, *p++);
      n = scan_digits (&p, end, 10, clean);
      if (n <= 0)
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid number %.*s; an exponent needs digits"),
                                  (int) length, text);
    }

  if (p != end)
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("invalid number %.*s"), (int) length, text);

  if (is_float)
    {
      double value = g_ascii_strtod (clean->str, NULL);

      if (isinf (value))
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("the number %.*s is too large for a 64-bit float"),
                                  (int) length, text);

      *out = make_float (r, value);
      return TRUE;
    }
  else
    {
      gint64 value;

      if (!g_ascii_string_to_signed (clean->str, 10, G_MININT64, G_MAXINT64,
                                     &value, NULL))
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("integer %.*s does not fit in 64 bits"),
                                  (int) length, text);

      *out = make_integer (r, value);
      return TRUE;
    }
}

static inline gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '+' || c == '-' ||
         c == '.' || c == ':';
}

/* Booleans, numbers and date-times: everything that is not quoted or
 * bracketed. */
static gboolean
parse_bare_value (TomlReader  *r,
                  JsonNode   **out)
{
  const char *start = r->pos;
  const char *p = r->pos;
  gsize length;

  while (p < r->end && is_token_char (*p))
    p++;

  /* A date and a time may be separated by a space. */
  if (p - start == 10 && start[4] == '-' && start[7] == '-' &&
      p + 1 < r->end && *p == ' ' && is_digit (p[1]))
    {
      for (p++; p < r->end && is_token_char (*p); p++)
        ;
    }

  length = p - start;
  r->pos = p;

  if (length == 0)
    {
      g_autofree char *found = describe_char (r, start);

      return toml_reader_error (r, start, QI_TOML_ERROR_SYNTAX,
                                _("expected a value, found %s"), found);
    }

  if (length == 4 && strncmp (start, "true", 4) == 0)
    {
      *out = make_boolean (r, TRUE);
      return TRUE;
    }

  if (length == 5 && strncmp (start, "false", 5) == 0)
    {
      *out = make_boolean (r, FALSE);
      return TRUE;
    }

  if ((length >= 5 && is_digit (start[0]) && is_digit (start[1]) &&
       is_digit (start[2]) && is_digit (start[3]) && start[4] == '-') ||
      (length >= 3 && is_digit (start[0]) && is_digit (start[1]) && start[2] == ':'))
    {
      DatetimeFields fields;
      g_autofree char *problem = NULL;
      g_autofree char *text = NULL;

      if (!parse_datetime_fields (start, length, &fields, &problem))
        return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                                  _("invalid date-time %.*s: %s"),
                                  (int) length, start, problem);

      text = format_datetime_fields (&fields);
      *out = make_datetime (r, fields.kind, text);
      return TRUE;
    }

  if (g_ascii_isalpha (start[0]) &&
      !(length == 3 && (strncmp (start, "inf", 3) == 0 || strncmp (start, "nan", 3) == 0)))
    return toml_reader_error (r, start, QI_TOML_ERROR_INVALID_VALUE,
                              _("invalid value %.*s; text values must be quoted "
                                "and booleans are written true or false"),
                              (int) length, start);

  return parse_number (r, start, start, length, out);
}

static gboolean
parse_array (TomlReader  *r,
             guint        depth,
             JsonNode   **out)
{
  const char *start = r->pos;
  g_autoptr(JsonArray) array = json_array_new ();
  gsize pointer_length = r->pointer->len;

  if (depth > MAX_DEPTH)
    return toml_reader_error (r, start, QI_TOML_ERROR_TOO_DEEP,
                              _("arrays and tables nest more than %u levels deep"),
                              MAX_DEPTH);

  r->pos++;

  if (!skip_ws_comments_newlines (r))
    return FALSE;

  while (peek (r, 0) != ']')
    {
      JsonNode *element = NULL;
      g_autofree char *found = NULL;

      if (at_end (r))
        {
          guint line, column;

          toml_reader_locate (r, start, &line, &column);
          return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                    _("the array started at %u:%u is not closed; "
                                      "add ']'"),
                                    line, column);
        }

      pointer_append_index (r->pointer, json_array_get_length (array));
      if (!parse_value (r, depth + 1, &element))
        return FALSE;
      g_string_truncate (r->pointer, pointer_length);
      json_array_add_element (array, element);

      if (!skip_ws_comments_newlines (r))
        return FALSE;

      if (peek (r, 0) == ',')
        {
          r->pos++;
          if (!skip_ws_comments_newlines (r))
            return FALSE;
          continue;
        }

      if (peek (r, 0) == ']')
        break;

      found = describe_char (r, r->pos);
      if (at_end (r))
        {
          guint line, column;

          toml_reader_locate (r, start, &line, &column);
          return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                    _("the array started at %u:%u is not closed; "
                                      "add ']'"),
                                    line, column);
        }

      return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                _("expected ',' or ']' after an array element, "
                                  "found %s"),
                                found);
    }

  r->pos++;
  *out = json_node_init_array (json_node_alloc (), array);
  return TRUE;
}

static gboolean parse_keyval (TomlReader  *r,
                              JsonObject  *table,
                              guint        depth,
                              char       **display_out);

static gboolean
parse_inline_table (TomlReader  *r,
                    guint        depth,
                    JsonNode   **out)
{
  const char *start = r->pos;
  g_autoptr(JsonObject) table = json_object_new ();
  gboolean first = TRUE;

  if (depth > MAX_DEPTH)
    return toml_reader_error (r, start, QI_TOML_ERROR_TOO_DEEP,
                              _("arrays and tables nest more than %u levels deep"),
                              MAX_DEPTH);

  /* The hash table does not hold a reference; the table is registered
   * here and stays alive in the tree or until the load fails. */
  g_hash_table_insert (r->tables, table, GINT_TO_POINTER (TABLE_INLINE));

  r->pos++;
  skip_ws (r);

  for (;;)
    {
      g_autofree char *found = NULL;

      if (peek (r, 0) == '}' && first)
        break;

      if (at_end (r) || at_newline (r))
        {
          guint line, column;

          toml_reader_locate (r, start, &line, &column);
          return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                    _("the inline table started at %u:%u is not "
                                      "closed; an inline table must end with '}' "
                                      "on the line where it starts"),
                                    line, column);
        }

      if (peek (r, 0) == '}')
        return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                  _("a comma cannot follow the last key of an "
                                    "inline table"));

      if (!parse_keyval (r, table, depth, NULL))
        return FALSE;

      first = FALSE;
      skip_ws (r);

      if (peek (r, 0) == ',')
        {
          r->pos++;
          skip_ws (r);
          continue;
        }

      if (peek (r, 0) == '}')
        break;

      if (at_end (r) || at_newline (r))
        continue;

      found = describe_char (r, r->pos);
      return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                                _("expected ',' or '}' after a value in an "
                                  "inline table, found %s"),
                                found);
    }

  r->pos++;
  seal_dotted_tables (r, table);
  *out = json_node_init_object (json_node_alloc (), table);
  return TRUE;
}

/* Parses the value at r->pos, recording its location under r->pointer. */
static gboolean
parse_value (TomlReader  *r,
             guint        depth,
             JsonNode   **out)
{
  char c = peek (r, 0);

  record_location (r, r->pos, TRUE);

  if (c == '"' || c == '\'')
    {
      g_autofree char *text = NULL;

      if (!parse_string (r, &text))
        return FALSE;

      *out = make_string (r, text);
      return TRUE;
    }

  if (c == '[')
    return parse_array (r, depth, out);

  if (c == '{')
    return parse_inline_table (r, depth, out);

  if (is_token_char (c))
    return parse_bare_value (r, out);

  {
    g_autofree char *found = describe_char (r, r->pos);

    if (c == '\r' && !at_newline (r))
      return control_char_error (r, r->pos, _("a document"));

    return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                              _("expected a value, found %s"), found);
  }
}

/* Parses `key = value` into @table, whose depth in the document is
 * @depth and whose JSON pointer is r->pointer. */
static gboolean
parse_keyval (TomlReader  *r,
              JsonObject  *table,
              guint        depth,
              char       **display_out)
{
  g_autoptr(GArray) key = key_new ();
  g_autofree char *display = NULL;
  gsize pointer_length = r->pointer->len;
  JsonNode *value = NULL;
  KeyPart *last;

  if (!parse_key (r, key, depth))
    return FALSE;

  display = key_to_display (key, key->len);

  if (peek (r, 0) != '=')
    return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                              _("expected '=' after the key %s"), display);

  r->pos++;
  skip_ws (r);

  if (at_end (r) || at_newline (r) || peek (r, 0) == '#')
    return toml_reader_error (r, r->pos, QI_TOML_ERROR_SYNTAX,
                              _("the key %s has no value after '='"), display);

  /* Walk down the dotted key, creating the tables it names. */
  for (guint i = 0; i + 1 < key->len; i++)
    {
      KeyPart *part = key_part (key, i);
      JsonNode *node = json_object_get_member (table, part->name);
      TableKind kind = table_kind (r, node);
      g_autofree char *part_display = key_to_display (key, i + 1);

      pointer_append (r->pointer, part->name);

      if (node == NULL)
        {
          table = add_table (r, table, part->name, TABLE_DOTTED);
          record_location (r, part->start, TRUE);
        }
      else if (kind == TABLE_DOTTED || kind == TABLE_IMPLICIT)
        {
          table = json_node_get_object (node);
          if (kind == TABLE_IMPLICIT)
            g_hash_table_insert (r->tables, table, GINT_TO_POINTER (TABLE_DOTTED));
        }
      else if (kind == TABLE_HEADER)
        {
          g_autofree char *where = where_defined (r, "at");

          return toml_reader_error (r, part->start, QI_TOML_ERROR_DUPLICATE_KEY,
                                    _("the dotted key %s cannot add to the table "
                                      "%s, which has its own header%s; put the "
                                      "key in that table's section"),
                                    display, part_display, where);
        }
      else if (kind == TABLE_INLINE)
        {
          g_autofree char *where = where_defined (r, "at");

          return toml_reader_error (r, part->start, QI_TOML_ERROR_DUPLICATE_KEY,
                                    _("the inline table %s%s cannot be extended; "
                                      "an inline table holds all of its keys"),
                                    part_display, where);
        }
      else if (is_array_of_tables (r, node))
        {
          g_autofree char *where = where_defined (r, "at");

          return toml_reader_error (r, part->start, QI_TOML_ERROR_DUPLICATE_KEY,
                                    _("%s is an array of tables%s; dotted keys "
                                      "cannot add to it"),
                                    part_display, where);
        }
      else
        {
          return value_in_the_way (r, part->start, node, part_display);
        }
    }

  last = key_part (key, key->len - 1);
  pointer_append (r->pointer, last->name);

  if (json_object_has_member (table, last->name))
    {
      g_autofree char *where = where_defined (r, "first at");

      return toml_reader_error (r, last->start, QI_TOML_ERROR_DUPLICATE_KEY,
                                _("the key %s is defined twice%s"),
                                display, where);
    }

  if (!parse_value (r, depth + key->len, &value))
    return FALSE;

  g_assert (value != NULL);
  json_object_set_member (table, last->name, value);
  g_string_truncate (r->pointer, pointer_length);

  if (display_out != NULL)
    *display_out = g_steal_pointer (&display);

  return TRUE;
}

static gboolean
parse_document (TomlReader *r)
{
  r->current = r->root;
  r->current_depth = 0;
  g_string_truncate (r->pointer, 0);
  record_location (r, r->start, TRUE);

  for (;;)
    {
      skip_ws (r);

      if (at_end (r))
        return TRUE;

      if (peek (r, 0) == '#')
        {
          if (!expect_line_end (r, _("a comment")))
            return FALSE;
        }
      else if (at_newline (r))
        {
          skip_newline (r);
        }
      else if (peek (r, 0) == '[')
        {
          if (!parse_header (r))
            return FALSE;
        }
      else if (peek (r, 0) == '\r')
        {
          return control_char_error (r, r->pos, _("a document"));
        }
      else
        {
          gsize pointer_length = r->pointer->len;
          g_autofree char *display = NULL;
          g_autofree char *after = NULL;

          if (!parse_keyval (r, r->current, r->current_depth, &display))
            return FALSE;

          g_string_truncate (r->pointer, pointer_length);
          after = g_strdup_printf ("the value of the key %s", display);

          if (!expect_line_end (r, after))
            return FALSE;
        }
    }
}

/* }}} */

/* GObject {{{ */

static void
qi_toml_parser_finalize (GObject *object)
{
  QiTomlParser *self = QI_TOML_PARSER (object);

  g_clear_pointer (&self->filename, g_free);
  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->locations, g_hash_table_unref);

  G_OBJECT_CLASS (qi_toml_parser_parent_class)->finalize (object);
}

static void
qi_toml_parser_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  QiTomlParser *self = QI_TOML_PARSER (object);

  switch (prop_id)
    {
    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;

    case PROP_FILENAME:
      g_value_set_string (value, self->filename);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_toml_parser_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  QiTomlParser *self = QI_TOML_PARSER (object);

  switch (prop_id)
    {
    case PROP_FLAGS:
      self->flags = g_value_get_flags (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_toml_parser_class_init (QiTomlParserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_toml_parser_finalize;
  object_class->get_property = qi_toml_parser_get_property;
  object_class->set_property = qi_toml_parser_set_property;

  /**
   * QiTomlParser:flags:
   *
   * How the parser turns TOML values into JSON nodes.
   */
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL,
                        QI_TYPE_TOML_PARSE_FLAGS,
                        QI_TOML_PARSE_DEFAULT,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS));

  /**
   * QiTomlParser:filename:
   *
   * The file name of the last document loaded, as used in error messages,
   * or %NULL if it was loaded from data without a file name.
   */
  properties[PROP_FILENAME] =
    g_param_spec_string ("filename", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_toml_parser_init (QiTomlParser *self)
{
}

/* }}} */

/* Public API {{{ */

/**
 * qi_toml_parser_new:
 * @flags: how TOML values become JSON nodes
 *
 * Creates a parser for TOML documents.
 *
 * Returns: (transfer full): a new #QiTomlParser
 */
QiTomlParser *
qi_toml_parser_new (QiTomlParseFlags flags)
{
  return g_object_new (QI_TYPE_TOML_PARSER,
                       "flags", flags,
                       NULL);
}

/**
 * qi_toml_parser_get_flags:
 * @self: a #QiTomlParser
 *
 * Returns: the flags the parser was created with
 */
QiTomlParseFlags
qi_toml_parser_get_flags (QiTomlParser *self)
{
  g_return_val_if_fail (QI_IS_TOML_PARSER (self), QI_TOML_PARSE_DEFAULT);

  return self->flags;
}

static void
qi_toml_parser_set_filename (QiTomlParser *self,
                             const char   *filename)
{
  if (g_strcmp0 (self->filename, filename) == 0)
    return;

  g_free (self->filename);
  self->filename = g_strdup (filename);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILENAME]);
}

/**
 * qi_toml_parser_load_from_data:
 * @self: a #QiTomlParser
 * @data: (array length=length) (element-type guint8): the TOML document
 * @length: the length of @data in bytes, or -1 if it is nul-terminated
 * @filename: (nullable): the file name to use in error messages
 * @error: return location for a #GError
 *
 * Parses a whole TOML 1.0.0 document. On success the root of the parser
 * is replaced with the new document, a #JSON_NODE_OBJECT; on failure the
 * previous root is kept and @error is set in the %QI_TOML_ERROR domain
 * with a message such as `qi.toml:3:8: expected '=' after the key "port"`.
 *
 * With %QI_TOML_PARSE_DEFAULT, the document becomes plain typed JSON:
 *
 * - tables and inline tables are objects, arrays are arrays;
 * - strings are string values, booleans boolean values;
 * - integers are #gint64 values, floats double values (including
 *   infinities and NaN);
 * - the four date and time kinds become objects with a single member
 *   whose name marks the kind and whose value is the date-time text:
 *   `{"$datetime": "1979-05-27T07:32:00Z"}` for an offset date-time,
 *   `{"$datetime-local": "1979-05-27T07:32:00"}`,
 *   `{"$date-local": "1979-05-27"}` and `{"$time-local": "07:32:00"}`.
 *   Use qi_toml_node_get_datetime() and qi_toml_node_dup_gdatetime() to
 *   read them. A TOML table whose only key is one of these four names,
 *   such as `"$date-local" = "…"`, reads back as a date-time too.
 *
 * With %QI_TOML_PARSE_TAGGED, every scalar instead becomes an object
 * `{"type": TYPE, "value": TEXT}` as in the toml-test suite, where TYPE is
 * one of `string`, `integer`, `float`, `bool`, `datetime`,
 * `datetime-local`, `date-local` and `time-local`; integers are written in
 * decimal and floats as `inf`, `-inf` and `nan` when not finite.
 *
 * Date-time text is normalised in both modes: the separator is an
 * uppercase `T`, the UTC offset an uppercase `Z`, and fractional seconds
 * have at least three digits and at most nine (more are truncated).
 *
 * A string node cannot hold U+0000 (a #JsonNode's strings are C
 * strings), so a `\u0000` or `\U00000000` escape, in a value or a key,
 * is refused with the place of the escape, rather than cutting the string
 * there. In tagged mode, which must reproduce any valid document, it is
 * kept as the two bytes `C0 80` ("modified UTF-8", which no valid UTF-8
 * text contains); qi_json_to_string() with %QI_JSON_WRITE_MODIFIED_UTF8
 * writes it back as `\u0000`.
 *
 * Arrays, inline tables and dotted keys may nest at most 128 levels deep.
 *
 * Returns: %TRUE if the document was parsed, %FALSE with @error set
 *   otherwise
 */
gboolean
qi_toml_parser_load_from_data (QiTomlParser  *self,
                               const char    *data,
                               gssize         length,
                               const char    *filename,
                               GError       **error)
{
  g_autoptr(GHashTable) tables = NULL;
  g_autoptr(GHashTable) arrays_of_tables = NULL;
  g_autoptr(GHashTable) locations = NULL;
  g_autoptr(GString) pointer = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *invalid = NULL;
  TomlReader r = { 0, };

  g_return_val_if_fail (QI_IS_TOML_PARSER (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (data == NULL)
    data = "";

  if (length < 0)
    length = strlen (data);

  qi_toml_parser_set_filename (self, filename);

  tables = g_hash_table_new (NULL, NULL);
  arrays_of_tables = g_hash_table_new (NULL, NULL);
  locations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pointer = g_string_new (NULL);
  root = json_object_new ();

  r.start = data;
  r.end = data + length;
  if (length >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    r.start += 3;
  r.pos = r.start;
  r.mark = r.start;
  r.mark_line = 1;
  r.mark_column = 1;
  r.filename = filename;
  r.tagged = (self->flags & QI_TOML_PARSE_TAGGED) != 0;
  r.tables = tables;
  r.arrays_of_tables = arrays_of_tables;
  r.locations = locations;
  r.pointer = pointer;
  r.root = root;
  r.error = &local_error;

  if (!g_utf8_validate_len (r.start, r.end - r.start, &invalid))
    {
      if (*invalid == '\0')
        control_char_error (&r, invalid, "a document");
      else
        toml_reader_error (&r, invalid, QI_TOML_ERROR_INVALID_UTF8,
                           _("the document is not valid UTF-8 (byte 0x%02X); "
                             "save it with the UTF-8 encoding"),
                           (guint) (guchar) *invalid);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!parse_document (&r))
    {
      g_assert (local_error != NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_clear_pointer (&self->root, json_node_unref);
  self->root = json_node_init_object (json_node_alloc (), root);
  g_clear_pointer (&self->locations, g_hash_table_unref);
  self->locations = g_steal_pointer (&locations);

  return TRUE;
}

/**
 * qi_toml_parser_load_from_file:
 * @self: a #QiTomlParser
 * @path: (type filename): the path of a TOML file
 * @error: return location for a #GError
 *
 * Reads the file at @path and parses it with
 * qi_toml_parser_load_from_data(), using @path as the file name in error
 * messages. A file that cannot be read is reported as %QI_TOML_ERROR_IO.
 *
 * Returns: %TRUE if the document was parsed, %FALSE with @error set
 *   otherwise
 */
gboolean
qi_toml_parser_load_from_file (QiTomlParser  *self,
                               const char    *path,
                               GError       **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  g_return_val_if_fail (QI_IS_TOML_PARSER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_autofree char *display = g_filename_display_name (path);
      const char *reason = local_error->message;

      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        reason = "it does not exist";
      else if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ACCES))
        reason = "permission denied";
      else if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_ISDIR))
        reason = "it is a directory";

      g_set_error (error, QI_TOML_ERROR, QI_TOML_ERROR_IO,
                   _("%s: cannot read the file: %s"), display, reason);
      return FALSE;
    }

  {
    g_autofree char *display = g_filename_display_name (path);

    return qi_toml_parser_load_from_data (self, contents, length, display, error);
  }
}

/**
 * qi_toml_parser_get_root:
 * @self: a #QiTomlParser
 *
 * Returns: (transfer none) (nullable): the root of the last document
 *   parsed, a #JSON_NODE_OBJECT, or %NULL if none was
 */
JsonNode *
qi_toml_parser_get_root (QiTomlParser *self)
{
  g_return_val_if_fail (QI_IS_TOML_PARSER (self), NULL);

  return self->root;
}

/**
 * qi_toml_parser_steal_root:
 * @self: a #QiTomlParser
 *
 * Takes the root of the last document parsed away from the parser, which
 * is left without one. The locations stay available.
 *
 * Returns: (transfer full) (nullable): the root of the last document
 *   parsed, or %NULL if none was
 */
JsonNode *
qi_toml_parser_steal_root (QiTomlParser *self)
{
  g_return_val_if_fail (QI_IS_TOML_PARSER (self), NULL);

  return g_steal_pointer (&self->root);
}

/**
 * qi_toml_parser_get_filename:
 * @self: a #QiTomlParser
 *
 * Returns: (transfer none) (nullable) (type filename): the file name of the
 *   last document loaded, or %NULL
 */
const char *
qi_toml_parser_get_filename (QiTomlParser *self)
{
  g_return_val_if_fail (QI_IS_TOML_PARSER (self), NULL);

  return self->filename;
}

/**
 * qi_toml_parser_get_location:
 * @self: a #QiTomlParser
 * @pointer: an RFC 6901 JSON Pointer, such as `/launch/port`
 * @line: (out) (optional): return location for the line, from 1
 * @column: (out) (optional): return location for the column in
 *   characters, from 1
 *
 * Finds where the value at @pointer was defined in the last document
 * parsed successfully: the first character of the value of a `key = value`
 * pair or of an array element, the `[` of a `[table]` or `[[array]]`
 * header for the tables it defines (and for the parent tables it creates),
 * the part of a dotted key that names a table for the tables dotted keys
 * create. The empty pointer, the root, is at 1:1.
 *
 * Array elements are named by their index, `/servers/0/port`; a `/` in a
 * key is written `~1` and a `~` is written `~0`, as RFC 6901 says.
 *
 * Returns: %TRUE if @pointer names a value of the document
 */
gboolean
qi_toml_parser_get_location (QiTomlParser *self,
                             const char   *pointer,
                             guint        *line,
                             guint        *column)
{
  Location *location;

  g_return_val_if_fail (QI_IS_TOML_PARSER (self), FALSE);
  g_return_val_if_fail (pointer != NULL, FALSE);

  if (self->locations == NULL)
    return FALSE;

  location = g_hash_table_lookup (self->locations, pointer);
  if (location == NULL)
    return FALSE;

  if (line != NULL)
    *line = location->line;
  if (column != NULL)
    *column = location->column;

  return TRUE;
}

/**
 * qi_toml_node_get_datetime_kind:
 * @node: a #JsonNode
 *
 * Tells whether @node is a TOML date or time as produced by
 * %QI_TOML_PARSE_DEFAULT, an object with a single `$datetime`,
 * `$datetime-local`, `$date-local` or `$time-local` string member.
 *
 * Returns: the kind of date-time, or %QI_TOML_DATETIME_NONE
 */
QiTomlDatetimeKind
qi_toml_node_get_datetime_kind (JsonNode *node)
{
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  g_return_val_if_fail (node != NULL, QI_TOML_DATETIME_NONE);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return QI_TOML_DATETIME_NONE;

  object = json_node_get_object (node);
  if (object == NULL || json_object_get_size (object) != 1)
    return QI_TOML_DATETIME_NONE;

  json_object_iter_init (&iter, object);
  if (!json_object_iter_next (&iter, &name, &member))
    return QI_TOML_DATETIME_NONE;

  if (!JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING)
    return QI_TOML_DATETIME_NONE;

  for (guint kind = QI_TOML_DATETIME_OFFSET; kind <= QI_TOML_DATETIME_LOCAL_TIME; kind++)
    {
      if (g_str_equal (name, datetime_markers[kind]))
        return kind;
    }

  return QI_TOML_DATETIME_NONE;
}

/**
 * qi_toml_node_get_datetime:
 * @node: a #JsonNode
 * @kind: (out) (optional): return location for the kind of date-time
 *
 * Reads a TOML date or time produced by %QI_TOML_PARSE_DEFAULT, see
 * qi_toml_parser_load_from_data().
 *
 * Returns: (transfer none) (nullable): the date-time text, such as
 *   `1979-05-27T07:32:00Z`, or %NULL if @node is not a date-time
 */
const char *
qi_toml_node_get_datetime (JsonNode           *node,
                           QiTomlDatetimeKind *kind)
{
  QiTomlDatetimeKind found;

  if (kind != NULL)
    *kind = QI_TOML_DATETIME_NONE;

  g_return_val_if_fail (node != NULL, NULL);

  found = qi_toml_node_get_datetime_kind (node);
  if (found == QI_TOML_DATETIME_NONE)
    return NULL;

  if (kind != NULL)
    *kind = found;

  return json_object_get_string_member (json_node_get_object (node),
                                        datetime_markers[found]);
}

/**
 * qi_toml_node_dup_gdatetime:
 * @node: a #JsonNode
 * @error: return location for a #GError
 *
 * Turns a TOML date-time produced by %QI_TOML_PARSE_DEFAULT into a
 * #GDateTime. An offset date-time keeps its offset; a local date-time and
 * a local date (at midnight) are taken in the local time zone. A local
 * time has no date and is reported as %QI_TOML_ERROR_INVALID_VALUE, as is
 * a node that is not a date-time. A leap second, `23:59:60`, becomes the
 * first second of the next minute; precision beyond microseconds is cut.
 *
 * Returns: (transfer full): a new #GDateTime, or %NULL with @error set
 */
GDateTime *
qi_toml_node_dup_gdatetime (JsonNode  *node,
                            GError   **error)
{
  g_autoptr(GTimeZone) zone = NULL;
  g_autoptr(GDateTime) datetime = NULL;
  g_autofree char *problem = NULL;
  QiTomlDatetimeKind kind;
  DatetimeFields fields;
  const char *text;
  double seconds;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  text = qi_toml_node_get_datetime (node, &kind);
  if (text == NULL)
    {
      g_set_error_literal (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_VALUE,
                           _("the value is not a date-time"));
      return NULL;
    }

  if (kind == QI_TOML_DATETIME_LOCAL_TIME)
    {
      g_set_error (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_VALUE,
                   _("%s is a local time, and a local time has no date"), text);
      return NULL;
    }

  if (!parse_datetime_fields (text, strlen (text), &fields, &problem) ||
      fields.kind != kind)
    {
      g_set_error (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_VALUE,
                   _("%s is not a valid TOML date-time%s%s"), text,
                   problem ? ": " : "", problem ? problem : "");
      return NULL;
    }

  if (fields.offset_sign == 'Z')
    zone = g_time_zone_new_utc ();
  else if (fields.offset_sign != 0)
    zone = g_time_zone_new_offset ((fields.offset_sign == '-' ? -1 : 1) *
                                   (fields.offset_hour * 3600 + fields.offset_minute * 60));
  else
    zone = g_time_zone_new_local ();

  seconds = MIN (fields.second, 59);
  if (fields.fraction[0] != '\0')
    {
      char micro[7] = "000000";

      memcpy (micro, fields.fraction, MIN (strlen (fields.fraction), 6));
      seconds += g_ascii_strtoull (micro, NULL, 10) / 1e6;
    }

  datetime = g_date_time_new (zone, fields.year, fields.month, fields.day,
                              fields.hour, fields.minute, seconds);

  if (datetime != NULL && fields.second == 60)
    {
      GDateTime *next = g_date_time_add_seconds (datetime, 1);

      g_date_time_unref (datetime);
      datetime = next;
    }

  if (datetime == NULL)
    {
      g_set_error (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_VALUE,
                   _("%s cannot be represented as a GDateTime"), text);
      return NULL;
    }

  return g_steal_pointer (&datetime);
}

/* }}} */
