/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs the TOML 1.0.0 part of toml-test (https://github.com/toml-lang/toml-test)
 * against qi-toml-decode, the way the toml-test tool does: each document is
 * fed to the decoder as a separate process.
 *
 * QI_TOML_TEST_DIR names the toml-test checkout (holding tests/) and
 * QI_TOML_DECODE the decoder program. A valid document must be accepted and
 * give the expected tagged JSON, compared as toml-test compares: both sides
 * read by a strict JSON reader, types and values exactly (strings byte for
 * byte with their length, integers and floats by value, date-times by the
 * time they name); an invalid one must be rejected with a message on
 * standard error.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>

typedef struct
{
  char     *toml_path;
  char     *json_path;
  gboolean  valid;
} SuiteCase;

typedef struct
{
  char   *decoder;
  GBytes *out;
  GBytes *err;
  int     status;   /* the exit status, or -1 if the decoder did not exit */
} Decoded;

static void
suite_case_free (gpointer data)
{
  SuiteCase *suite_case = data;

  g_free (suite_case->toml_path);
  g_free (suite_case->json_path);
  g_free (suite_case);
}

/* Runs the decoder with @path as its standard input. */
static gboolean
run_decoder (const char  *path,
             Decoded     *decoded,
             GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  const char *decoder = g_getenv ("QI_TOML_DECODE");

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_stdin_file_path (launcher, path);

  process = g_subprocess_launcher_spawn (launcher, error, decoder, NULL);
  if (process == NULL)
    return FALSE;

  if (!g_subprocess_communicate (process, NULL, NULL,
                                 &decoded->out, &decoded->err, error))
    return FALSE;

  if (g_subprocess_get_if_exited (process))
    decoded->status = g_subprocess_get_exit_status (process);
  else
    decoded->status = -1;

  return TRUE;
}

static char *
bytes_to_text (GBytes *bytes)
{
  gsize length = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &length) : NULL;

  return g_utf8_make_valid (data != NULL ? data : "", length);
}

/* A strict JSON reader (RFC 8259), as toml-test's own comparison reads
 * both sides: raw control characters in strings, bad escapes, unpaired
 * surrogates, duplicate member names and data after the value are
 * refused, and strings are kept with their length, so that a "\u0000"
 * must come out as a whole string rather than one cut at the nul. Neither
 * json-glib's parser (lenient, and cuts at \u0000) nor libqi's (it refuses
 * \u0000, since a JsonNode cannot hold it) can be the judge here. */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } JKind;

typedef struct _JValue JValue;

typedef struct
{
  GString *name;
  JValue  *value;
} JMember;

struct _JValue
{
  JKind      kind;
  GString   *text;   /* a string's bytes, a number's or a boolean's text */
  GPtrArray *items;  /* JValue * of an array, JMember * of an object */
};

static void
jvalue_free (gpointer data)
{
  JValue *value = data;

  if (value == NULL)
    return;
  if (value->text != NULL)
    g_string_free (value->text, TRUE);
  g_clear_pointer (&value->items, g_ptr_array_unref);
  g_free (value);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JValue, jvalue_free)

static void
jmember_free (gpointer data)
{
  JMember *member = data;

  g_string_free (member->name, TRUE);
  jvalue_free (member->value);
  g_free (member);
}

typedef struct
{
  const char *start;
  const char *pos;
  const char *end;
  char       *problem;
} JReader;

static gpointer
jfail (JReader    *r,
       const char *what)
{
  if (r->problem == NULL)
    r->problem = g_strdup_printf ("%s at byte %" G_GSIZE_FORMAT, what, (gsize) (r->pos - r->start));
  return NULL;
}

static void
jskip_space (JReader *r)
{
  while (r->pos < r->end && (*r->pos == ' ' || *r->pos == '\t' || *r->pos == '\n' || *r->pos == '\r'))
    r->pos++;
}

static gboolean
jread_hex4 (JReader  *r,
            gunichar *out)
{
  *out = 0;
  for (int i = 0; i < 4; i++, r->pos++)
    {
      int digit = r->pos < r->end ? g_ascii_xdigit_value (*r->pos) : -1;

      if (digit < 0)
        return jfail (r, "a \\u escape without four hexadecimal digits") != NULL;
      *out = (*out << 4) | (gunichar) digit;
    }
  return TRUE;
}

static GString *
jread_string (JReader *r)
{
  g_autoptr(GString) out = g_string_new (NULL);

  r->pos++;  /* the quote */
  while (r->pos < r->end && *r->pos != '"')
    {
      guchar c = (guchar) *r->pos;

      if (c < 0x20)
        return jfail (r, "a raw control character in a string");
      if (c != '\\')
        {
          g_string_append_c (out, (char) c);
          r->pos++;
          continue;
        }
      if (++r->pos >= r->end)
        break;
      switch (*r->pos++)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar c1, c2;
            char utf8[6];

            if (!jread_hex4 (r, &c1))
              return NULL;
            if (c1 >= 0xdc00 && c1 <= 0xdfff)
              return jfail (r, "an unpaired low surrogate");
            if (c1 >= 0xd800 && c1 <= 0xdbff)
              {
                if (r->end - r->pos < 2 || r->pos[0] != '\\' || r->pos[1] != 'u')
                  return jfail (r, "an unpaired high surrogate");
                r->pos += 2;
                if (!jread_hex4 (r, &c2))
                  return NULL;
                if (c2 < 0xdc00 || c2 > 0xdfff)
                  return jfail (r, "an unpaired high surrogate");
                c1 = 0x10000 + ((c1 - 0xd800) << 10) + (c2 - 0xdc00);
              }
            /* U+0000 too: the string keeps its length */
            g_string_append_len (out, utf8, g_unichar_to_utf8 (c1, utf8));
          }
          break;
        default:
          r->pos--;
          return jfail (r, "an invalid escape");
        }
    }
  if (r->pos >= r->end)
    return jfail (r, "an unterminated string");
  r->pos++;
  return g_steal_pointer (&out);
}

static gboolean
jskip_digits (JReader *r)
{
  const char *start = r->pos;

  while (r->pos < r->end && g_ascii_isdigit (*r->pos))
    r->pos++;
  return r->pos > start;
}

static JValue *jread_value (JReader *r,
                            guint    depth);

static JValue *
jnew (JKind kind)
{
  JValue *value = g_new0 (JValue, 1);

  value->kind = kind;
  return value;
}

static JValue *
jread_container (JReader *r,
                 guint    depth)
{
  gboolean object = *r->pos == '{';
  char close = object ? '}' : ']';
  g_autoptr(JValue) value = jnew (object ? J_OBJECT : J_ARRAY);

  value->items = g_ptr_array_new_with_free_func (object ? jmember_free : jvalue_free);
  r->pos++;
  jskip_space (r);
  if (r->pos < r->end && *r->pos == close)
    {
      r->pos++;
      return g_steal_pointer (&value);
    }

  for (;;)
    {
      JValue *item;

      jskip_space (r);
      if (object)
        {
          JMember *member;
          GString *name;

          if (r->pos >= r->end || *r->pos != '"')
            return jfail (r, "expected a member name");
          name = jread_string (r);
          if (name == NULL)
            return NULL;
          for (guint i = 0; i < value->items->len; i++)
            {
              JMember *other = g_ptr_array_index (value->items, i);

              if (g_string_equal (other->name, name))
                {
                  g_string_free (name, TRUE);
                  return jfail (r, "a member name given twice");
                }
            }
          member = g_new0 (JMember, 1);
          member->name = name;
          g_ptr_array_add (value->items, member);
          jskip_space (r);
          if (r->pos >= r->end || *r->pos != ':')
            return jfail (r, "expected ':'");
          r->pos++;
          item = jread_value (r, depth + 1);
          if (item == NULL)
            return NULL;
          member->value = item;
        }
      else
        {
          item = jread_value (r, depth + 1);
          if (item == NULL)
            return NULL;
          g_ptr_array_add (value->items, item);
        }

      jskip_space (r);
      if (r->pos < r->end && *r->pos == ',')
        {
          r->pos++;
          continue;
        }
      if (r->pos < r->end && *r->pos == close)
        {
          r->pos++;
          return g_steal_pointer (&value);
        }
      return jfail (r, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static JValue *
jread_value (JReader *r,
             guint    depth)
{
  const char *start;
  JValue *value;

  if (depth > 256)
    return jfail (r, "nested too deeply");
  jskip_space (r);
  if (r->pos >= r->end)
    return jfail (r, "unexpected end of the text");

  start = r->pos;
  switch (*r->pos)
    {
    case '{':
    case '[':
      return jread_container (r, depth);
    case '"':
      {
        GString *text = jread_string (r);

        if (text == NULL)
          return NULL;
        value = jnew (J_STRING);
        value->text = text;
        return value;
      }
    case 't':
    case 'f':
    case 'n':
      for (const char *const *word = (const char *const[]) { "true", "false", "null", NULL }; *word; word++)
        if ((gsize) (r->end - r->pos) >= strlen (*word) && strncmp (r->pos, *word, strlen (*word)) == 0)
          {
            r->pos += strlen (*word);
            value = jnew ((*word)[0] == 'n' ? J_NULL : J_BOOL);
            value->text = g_string_new (*word);
            return value;
          }
      return jfail (r, "an invalid word");
    default:
      if (*r->pos == '-')
        r->pos++;
      if (r->pos < r->end && *r->pos == '0')
        r->pos++;
      else if (!jskip_digits (r))
        return jfail (r, "an invalid value");
      if (r->pos < r->end && *r->pos == '.')
        {
          r->pos++;
          if (!jskip_digits (r))
            return jfail (r, "a fraction without digits");
        }
      if (r->pos < r->end && (*r->pos == 'e' || *r->pos == 'E'))
        {
          r->pos++;
          if (r->pos < r->end && (*r->pos == '+' || *r->pos == '-'))
            r->pos++;
          if (!jskip_digits (r))
            return jfail (r, "an exponent without digits");
        }
      value = jnew (J_NUMBER);
      value->text = g_string_new_len (start, r->pos - start);
      return value;
    }
}

/* The value of the whole of @data, or NULL with *@problem set. */
static JValue *
jparse (const char  *data,
        gsize        length,
        char       **problem)
{
  JReader r = { data, data, data + length, NULL };
  g_autoptr(JValue) value = NULL;
  const char *invalid;

  if (!g_utf8_validate_len (data, length, &invalid))
    {
      *problem = g_strdup_printf ("not UTF-8 at byte %" G_GSIZE_FORMAT, (gsize) (invalid - data));
      return NULL;
    }
  value = jread_value (&r, 0);
  if (value != NULL)
    {
      jskip_space (&r);
      if (r.pos != r.end)
        value = (jvalue_free (value), jfail (&r, "data after the value"));
    }
  *problem = r.problem;
  return g_steal_pointer (&value);
}

static JValue *
jmember (JValue     *object,
         const char *name,
         gsize       length)
{
  for (guint i = 0; i < object->items->len; i++)
    {
      JMember *member = g_ptr_array_index (object->items, i);

      if (member->name->len == length && memcmp (member->name->str, name, length) == 0)
        return member->value;
    }
  return NULL;
}

/* A tagged scalar is {"type": "…", "value": "…"} with string members. */
static gboolean
get_tagged (JValue   *node,
            GString **type,
            GString **value)
{
  JValue *type_node, *value_node;

  if (node->kind != J_OBJECT || node->items->len != 2)
    return FALSE;

  type_node = jmember (node, "type", 4);
  value_node = jmember (node, "value", 5);
  if (type_node == NULL || value_node == NULL ||
      type_node->kind != J_STRING || value_node->kind != J_STRING)
    return FALSE;

  *type = type_node->text;
  *value = value_node->text;
  return TRUE;
}

static const char *
node_kind (JValue *node)
{
  GString *type, *value;

  if (get_tagged (node, &type, &value))
    return type->str;

  switch (node->kind)
    {
    case J_OBJECT: return "table";
    case J_ARRAY: return "array";
    case J_NULL: return "null";
    default: return "untagged value";
    }
}

/* A string for a message: escapes for what cannot be shown as it is. */
static char *
shown (GString *text)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < text->len; i++)
    {
      guchar c = (guchar) text->str[i];

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  return g_string_free (out, FALSE);
}

/* Date-times by value, as toml-test compares them: the fields of
 * YYYY-MM-DD, HH:MM:SS[.fraction] and the offset; an offset date-time as
 * the instant it names. */
typedef struct
{
  gboolean has_date, has_time, has_offset;
  gint64   days;         /* since 1970-01-01 */
  gint64   seconds;      /* of the day */
  gint64   nanoseconds;
  gint64   offset_s;
} Datetime;

static gboolean
read_number (const char **p,
             const char  *end,
             guint        digits,
             int         *out)
{
  *out = 0;
  for (guint i = 0; i < digits; i++, (*p)++)
    {
      if (*p >= end || !g_ascii_isdigit (**p))
        return FALSE;
      *out = *out * 10 + (**p - '0');
    }
  return TRUE;
}

static gboolean
parse_datetime (GString  *text,
                Datetime *dt)
{
  const char *p = text->str;
  const char *end = text->str + text->len;
  int year, month, day, hour, minute, second;

  memset (dt, 0, sizeof *dt);
  if (end - p >= 10 && p[4] == '-')
    {
      if (!read_number (&p, end, 4, &year) || *p++ != '-' || !read_number (&p, end, 2, &month) ||
          *p++ != '-' || !read_number (&p, end, 2, &day) || !g_date_valid_dmy (day, month, year))
        return FALSE;
      dt->has_date = TRUE;
      {
        GDate date;

        g_date_clear (&date, 1);
        g_date_set_dmy (&date, day, month, year);
        dt->days = (gint64) g_date_get_julian (&date) - 719163;  /* 1970-01-01 */
      }
      if (p == end)
        return TRUE;
      if (*p != 'T' && *p != 't' && *p != ' ')
        return FALSE;
      p++;
    }

  if (!read_number (&p, end, 2, &hour) || p >= end || *p++ != ':' ||
      !read_number (&p, end, 2, &minute) || p >= end || *p++ != ':' ||
      !read_number (&p, end, 2, &second))
    return FALSE;
  dt->has_time = TRUE;
  dt->seconds = hour * 3600 + minute * 60 + second;

  if (p < end && *p == '.')
    {
      gint64 scale = 100000000;

      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return FALSE;
      for (; p < end && g_ascii_isdigit (*p); p++, scale /= 10)
        dt->nanoseconds += scale > 0 ? (*p - '0') * scale : 0;
    }

  if (p < end)
    {
      if (!dt->has_date)
        return FALSE;
      dt->has_offset = TRUE;
      if (*p == 'Z' || *p == 'z')
        p++;
      else if (*p == '+' || *p == '-')
        {
          int sign = *p++ == '-' ? -1 : 1;
          int oh, om;

          if (!read_number (&p, end, 2, &oh) || p >= end || *p++ != ':' || !read_number (&p, end, 2, &om))
            return FALSE;
          dt->offset_s = sign * (oh * 3600 + om * 60);
        }
      else
        return FALSE;
    }
  return p == end;
}

static gboolean
datetimes_equal (GString *expected,
                 GString *actual)
{
  Datetime a, b;

  if (!parse_datetime (expected, &a) || !parse_datetime (actual, &b))
    return FALSE;
  if (a.has_date != b.has_date || a.has_time != b.has_time || a.has_offset != b.has_offset)
    return FALSE;
  if (a.has_offset)
    return a.days * 86400 + a.seconds - a.offset_s == b.days * 86400 + b.seconds - b.offset_s &&
           a.nanoseconds == b.nanoseconds;
  return a.days == b.days && a.seconds == b.seconds && a.nanoseconds == b.nanoseconds;
}

static gboolean
scalars_equal (const char *type,
               GString    *expected,
               GString    *actual)
{
  if (g_str_equal (type, "integer"))
    {
      gint64 a, b;

      return g_ascii_string_to_signed (expected->str, 10, G_MININT64, G_MAXINT64, &a, NULL) &&
             g_ascii_string_to_signed (actual->str, 10, G_MININT64, G_MAXINT64, &b, NULL) &&
             a == b;
    }

  if (g_str_equal (type, "float"))
    {
      char *end_a = NULL, *end_b = NULL;
      double a = g_ascii_strtod (expected->str, &end_a);
      double b = g_ascii_strtod (actual->str, &end_b);

      if (end_a == expected->str || *end_a != '\0' || end_b == actual->str || *end_b != '\0')
        return FALSE;

      if (isnan (a) || isnan (b))
        return isnan (a) && isnan (b);

      return a == b;  /* -0 == 0 */
    }

  if (g_str_has_prefix (type, "datetime") || g_str_has_prefix (type, "date-") || g_str_has_prefix (type, "time-"))
    return datetimes_equal (expected, actual);

  /* string and bool compare byte for byte, length included */
  return g_string_equal (expected, actual);
}

static void
compare_nodes (JValue     *expected,
               JValue     *actual,
               const char *path,
               GString    *diff)
{
  GString *expected_type, *expected_value;
  GString *actual_type, *actual_value;
  const char *where = path[0] != '\0' ? path : "/";

  if (get_tagged (expected, &expected_type, &expected_value))
    {
      g_autofree char *e = shown (expected_value);

      if (!get_tagged (actual, &actual_type, &actual_value))
        g_string_append_printf (diff, "%s: expected %s \"%s\", got a %s\n",
                                where, expected_type->str, e, node_kind (actual));
      else if (!g_string_equal (expected_type, actual_type))
        {
          g_autofree char *a = shown (actual_value);

          g_string_append_printf (diff, "%s: expected %s \"%s\", got %s \"%s\"\n",
                                  where, expected_type->str, e, actual_type->str, a);
        }
      else if (!scalars_equal (expected_type->str, expected_value, actual_value))
        {
          g_autofree char *a = shown (actual_value);

          g_string_append_printf (diff, "%s: expected %s \"%s\", got \"%s\"\n",
                                  where, expected_type->str, e, a);
        }
      return;
    }

  if (expected->kind != actual->kind || get_tagged (actual, &actual_type, &actual_value))
    {
      g_string_append_printf (diff, "%s: expected a %s, got a %s\n",
                              where, node_kind (expected), node_kind (actual));
      return;
    }

  if (expected->kind == J_OBJECT)
    {
      for (guint i = 0; i < expected->items->len; i++)
        {
          JMember *member = g_ptr_array_index (expected->items, i);
          g_autofree char *name = shown (member->name);
          g_autofree char *child = g_strconcat (path, "/", name, NULL);
          JValue *other = jmember (actual, member->name->str, member->name->len);

          if (other == NULL)
            g_string_append_printf (diff, "%s: missing\n", child);
          else
            compare_nodes (member->value, other, child, diff);
        }

      for (guint i = 0; i < actual->items->len; i++)
        {
          JMember *member = g_ptr_array_index (actual->items, i);

          if (jmember (expected, member->name->str, member->name->len) == NULL)
            {
              g_autofree char *name = shown (member->name);

              g_string_append_printf (diff, "%s/%s: not expected\n", path, name);
            }
        }
      return;
    }

  if (expected->kind == J_ARRAY)
    {
      if (expected->items->len != actual->items->len)
        {
          g_string_append_printf (diff, "%s: expected %u elements, got %u\n",
                                  where, expected->items->len, actual->items->len);
          return;
        }

      for (guint i = 0; i < expected->items->len; i++)
        {
          g_autofree char *child = g_strdup_printf ("%s/%u", path, i);

          compare_nodes (g_ptr_array_index (expected->items, i),
                         g_ptr_array_index (actual->items, i),
                         child, diff);
        }
      return;
    }

  g_string_append_printf (diff, "%s: unexpected %s in the expected JSON\n",
                          where, node_kind (expected));
}

static void
test_valid (const SuiteCase *suite_case,
            Decoded         *decoded)
{
  g_autoptr(JValue) expected = NULL;
  g_autoptr(JValue) actual = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) diff = g_string_new (NULL);
  g_autofree char *expected_text = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *out = bytes_to_text (decoded->out);
  g_autofree char *err = bytes_to_text (decoded->err);
  gsize expected_length, out_length;
  const char *out_data = g_bytes_get_data (decoded->out, &out_length);

  if (decoded->status != 0)
    {
      g_test_message ("the decoder rejected a valid document (exit status %d): %s",
                      decoded->status, err);
      g_test_fail ();
      return;
    }

  if (!g_file_get_contents (suite_case->json_path, &expected_text, &expected_length, &error))
    {
      g_test_message ("cannot read the expected JSON %s: %s",
                      suite_case->json_path, error->message);
      g_test_fail ();
      return;
    }
  expected = jparse (expected_text, expected_length, &problem);
  if (expected == NULL)
    {
      g_test_message ("the expected JSON %s is not JSON: %s", suite_case->json_path, problem);
      g_test_fail ();
      return;
    }

  actual = jparse (out_data != NULL ? out_data : "", out_length, &problem);
  if (actual == NULL)
    {
      g_test_message ("the decoder wrote invalid JSON: %s\n%s", problem, out);
      g_test_fail ();
      return;
    }

  compare_nodes (expected, actual, "", diff);

  if (diff->len > 0)
    {
      g_test_message ("the decoder output differs from %s:\n%s\n"
                      "expected:\n%s\ngot:\n%s",
                      suite_case->json_path, diff->str, expected_text, out);
      g_test_fail ();
    }
}

static void
test_invalid (const SuiteCase *suite_case,
              Decoded         *decoded)
{
  g_autofree char *out = bytes_to_text (decoded->out);
  g_autofree char *err = g_strstrip (bytes_to_text (decoded->err));

  if (decoded->status == -1)
    {
      g_test_message ("the decoder did not exit normally; it crashed? %s", err);
      g_test_fail ();
      return;
    }

  if (decoded->status == 0)
    {
      g_test_message ("the decoder accepted an invalid document; it wrote:\n%s", out);
      g_test_fail ();
      return;
    }

  if (err[0] == '\0')
    {
      g_test_message ("the decoder rejected the document without a message");
      g_test_fail ();
      return;
    }

  g_test_message ("rejected: %s", err);
}

static void
test_case (gconstpointer data)
{
  const SuiteCase *suite_case = data;
  g_autoptr(GError) error = NULL;
  Decoded decoded = { NULL, NULL, NULL, -1 };

  if (!run_decoder (suite_case->toml_path, &decoded, &error))
    {
      g_test_message ("cannot run the decoder on %s: %s",
                      suite_case->toml_path, error->message);
      g_test_fail ();
      return;
    }

  if (suite_case->valid)
    test_valid (suite_case, &decoded);
  else
    test_invalid (suite_case, &decoded);

  g_clear_pointer (&decoded.out, g_bytes_unref);
  g_clear_pointer (&decoded.err, g_bytes_unref);
}

static void
test_setup_failed (gconstpointer data)
{
  g_test_message ("%s", (const char *) data);
  g_test_fail ();
}

/* Adds a test for each TOML document of the 1.0.0 list. Returns a
 * description of the problem if the suite cannot be set up. */
static char *
add_cases (void)
{
  const char *dir = g_getenv ("QI_TOML_TEST_DIR");
  const char *decoder = g_getenv ("QI_TOML_DECODE");
  g_autofree char *list_path = NULL;
  g_autofree char *list = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_cases = 0;

  if (dir == NULL || dir[0] == '\0')
    return g_strdup ("QI_TOML_TEST_DIR is not set; point it at a toml-test "
                     "checkout (the directory holding tests/)");

  if (decoder == NULL || decoder[0] == '\0')
    return g_strdup ("QI_TOML_DECODE is not set; point it at the "
                     "qi-toml-decode program");

  if (!g_file_test (decoder, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup_printf ("QI_TOML_DECODE=%s is not an executable", decoder);

  list_path = g_build_filename (dir, "tests", "files-toml-1.0.0", NULL);
  if (!g_file_get_contents (list_path, &list, NULL, &error))
    return g_strdup_printf ("cannot read the toml-test case list: %s "
                            "(QI_TOML_TEST_DIR=%s)",
                            error->message, dir);

  lines = g_strsplit (list, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);
      g_autofree char *name = NULL;
      g_autofree char *test_path = NULL;
      SuiteCase *suite_case;

      if (!g_str_has_suffix (line, ".toml"))
        continue;

      name = g_strndup (line, strlen (line) - strlen (".toml"));
      suite_case = g_new0 (SuiteCase, 1);
      suite_case->toml_path = g_build_filename (dir, "tests", line, NULL);
      suite_case->json_path = g_strconcat (dir, "/tests/", name, ".json", NULL);
      suite_case->valid = g_str_has_prefix (line, "valid/");

      test_path = g_strconcat ("/toml-test/", name, NULL);
      g_test_add_data_func_full (test_path, suite_case, test_case, suite_case_free);
      n_cases++;
    }

  if (n_cases == 0)
    return g_strdup_printf ("%s lists no TOML documents", list_path);

  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *problem = NULL;
  g_autofree char **args = g_new0 (char *, argc + 2);
  int n_args = 0;

  /* Each case is independent: report every failing document rather than
   * stopping at the first one, as if --keep-going had been given. */
  for (int i = 0; i < argc; i++)
    args[n_args++] = argv[i];
  args[n_args++] = (char *) "--keep-going";
  argc = n_args;
  argv = args;

  g_test_init (&argc, &argv, NULL);

  problem = add_cases ();
  if (problem != NULL)
    g_test_add_data_func ("/toml-test/setup", problem, test_setup_failed);

  return g_test_run ();
}
