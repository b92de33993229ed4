/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "qi-json.h"
#include "qi-json-reader-private.h"

typedef struct
{
  const char          *start;
  const char          *pos;
  const char          *end;
  const QiJsonLimits  *limits;
  guint                depth;
  guint                values;
  QiJsonFailure       *failure;
} Reader;

static gpointer
reader_fail_at (Reader        *r,
                QiJsonProblem  problem,
                const char    *token)
{
  r->failure->problem = problem;
  r->failure->offset = r->pos - r->start;
  r->failure->token = token - r->start;
  return NULL;
}

static gpointer
reader_fail (Reader        *r,
             QiJsonProblem  problem)
{
  return reader_fail_at (r, problem, r->pos);
}

static void
reader_skip_space (Reader *r)
{
  while (r->pos < r->end &&
         (*r->pos == ' ' || *r->pos == '\n' || *r->pos == '\r' || *r->pos == '\t'))
    r->pos++;
}

static gboolean
reader_expect_word (Reader     *r,
                    const char *word,
                    gsize       length)
{
  const char *token = r->pos;

  if ((gsize) (r->end - r->pos) >= length && memcmp (r->pos, word, length) == 0)
    {
      r->pos += length;
      return TRUE;
    }

  while (r->pos < r->end && *word != '\0' && *r->pos == *word)
    {
      r->pos++;
      word++;
    }
  return reader_fail_at (r, QI_JSON_PROBLEM_BAD_WORD, token) != NULL;
}

/* Reads the four hex digits after "\u"; @escape is the backslash. */
static gboolean
reader_read_hex4 (Reader     *r,
                  const char *escape,
                  gunichar   *value)
{
  *value = 0;
  for (guint i = 0; i < 4; i++)
    {
      int digit = r->pos < r->end ? g_ascii_xdigit_value (*r->pos) : -1;

      if (digit < 0)
        return reader_fail_at (r, QI_JSON_PROBLEM_BAD_HEX, escape) != NULL;
      *value = *value * 16 + (gunichar) digit;
      r->pos++;
    }
  return TRUE;
}

static gboolean
reader_read_escape (Reader  *r,
                    GString *out)
{
  const char *escape = r->pos;
  gunichar c;

  /* r->pos is on the backslash. */
  r->pos++;
  if (r->pos == r->end)
    return reader_fail (r, QI_JSON_PROBLEM_UNTERMINATED_STRING) != NULL;

  switch (*r->pos++)
    {
    case '"': g_string_append_c (out, '"'); return TRUE;
    case '\\': g_string_append_c (out, '\\'); return TRUE;
    case '/': g_string_append_c (out, '/'); return TRUE;
    case 'b': g_string_append_c (out, '\b'); return TRUE;
    case 'f': g_string_append_c (out, '\f'); return TRUE;
    case 'n': g_string_append_c (out, '\n'); return TRUE;
    case 'r': g_string_append_c (out, '\r'); return TRUE;
    case 't': g_string_append_c (out, '\t'); return TRUE;
    case 'u':
      break;
    default:
      r->pos--;
      return reader_fail_at (r, QI_JSON_PROBLEM_BAD_ESCAPE, escape) != NULL;
    }

  if (!reader_read_hex4 (r, escape, &c))
    return FALSE;

  if (c >= 0xdc00 && c <= 0xdfff)
    return reader_fail_at (r, QI_JSON_PROBLEM_UNPAIRED_SURROGATE, escape) != NULL;

  if (c >= 0xd800 && c <= 0xdbff)
    {
      gunichar low;

      if (r->end - r->pos < 2 || r->pos[0] != '\\' || r->pos[1] != 'u')
        return reader_fail_at (r, QI_JSON_PROBLEM_UNPAIRED_SURROGATE, escape) != NULL;
      r->pos += 2;
      if (!reader_read_hex4 (r, escape, &low))
        return FALSE;
      if (low < 0xdc00 || low > 0xdfff)
        return reader_fail_at (r, QI_JSON_PROBLEM_UNPAIRED_SURROGATE, escape) != NULL;
      c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
    }

  /* JsonNode strings end at the first nul. */
  if (c == 0 && !r->limits->replace_nul_escape)
    return reader_fail_at (r, QI_JSON_PROBLEM_NUL_ESCAPE, escape) != NULL;
  if (c == 0)
    c = 0xfffd;

  g_string_append_unichar (out, c);
  return TRUE;
}

/* Reads a string; r->pos is on its opening quote. The whole text was
 * checked to be UTF-8 beforehand, and a quote or backslash is never part of
 * a multi-byte sequence, so the raw bytes between them are UTF-8 too. A
 * string without escapes, the common case, costs one allocation. */
static char *
reader_read_string (Reader *r)
{
  g_autoptr(GString) out = NULL;
  const char *run;

  run = ++r->pos;
  while (r->pos < r->end)
    {
      guchar c = (guchar) *r->pos;

      if (c == '"')
        {
          char *string;

          if (out == NULL)
            string = g_strndup (run, r->pos - run);
          else
            {
              g_string_append_len (out, run, r->pos - run);
              string = g_string_free (g_steal_pointer (&out), FALSE);
            }
          r->pos++;
          return string;
        }
      else if (c == '\\')
        {
          if (out == NULL)
            out = g_string_sized_new (r->pos - run + 16);
          g_string_append_len (out, run, r->pos - run);
          if (!reader_read_escape (r, out))
            return NULL;
          run = r->pos;
        }
      else if (c < 0x20)
        return reader_fail (r, QI_JSON_PROBLEM_CONTROL_CHARACTER);
      else
        r->pos++;
    }

  return reader_fail (r, QI_JSON_PROBLEM_UNTERMINATED_STRING);
}

static gboolean
reader_skip_digits (Reader *r)
{
  const char *start = r->pos;

  while (r->pos < r->end && g_ascii_isdigit (*r->pos))
    r->pos++;
  return r->pos > start;
}

/* Integers that fit in 64 bits are read without strtod or a copy. */
static JsonNode *
reader_read_number (Reader *r)
{
  const char *start = r->pos;
  gboolean negative = FALSE;
  gboolean integer = TRUE;
  guint64 magnitude = 0;
  gboolean overflow = FALSE;
  char buffer[64];
  g_autofree char *long_text = NULL;
  const char *text;
  gsize length;
  double value;

  if (*r->pos == '-')
    {
      negative = TRUE;
      r->pos++;
    }

  if (r->pos < r->end && *r->pos == '0')
    r->pos++;
  else if (r->pos < r->end && *r->pos >= '1' && *r->pos <= '9')
    {
      for (; r->pos < r->end && g_ascii_isdigit (*r->pos); r->pos++)
        {
          guint digit = (guint) (*r->pos - '0');

          if (magnitude > (G_MAXUINT64 - digit) / 10)
            overflow = TRUE;
          else
            magnitude = magnitude * 10 + digit;
        }
    }
  else
    return reader_fail (r, QI_JSON_PROBLEM_BAD_NUMBER);

  if (r->pos < r->end && *r->pos == '.')
    {
      integer = FALSE;
      r->pos++;
      if (!reader_skip_digits (r))
        return reader_fail (r, QI_JSON_PROBLEM_BAD_NUMBER);
    }

  if (r->pos < r->end && (*r->pos == 'e' || *r->pos == 'E'))
    {
      integer = FALSE;
      r->pos++;
      if (r->pos < r->end && (*r->pos == '+' || *r->pos == '-'))
        r->pos++;
      if (!reader_skip_digits (r))
        return reader_fail (r, QI_JSON_PROBLEM_BAD_NUMBER);
    }

  if (integer)
    {
      if (!overflow && !negative && magnitude <= (guint64) G_MAXINT64)
        return json_node_init_int (json_node_alloc (), (gint64) magnitude);
      if (!overflow && negative && magnitude <= (guint64) G_MAXINT64 + 1)
        return json_node_init_int (json_node_alloc (), (gint64) (0 - magnitude));
      if (!r->limits->big_integers_as_doubles)
        {
          r->pos = start;
          return reader_fail (r, QI_JSON_PROBLEM_INTEGER_RANGE);
        }
    }

  /* A fraction, an exponent or an integer beyond 64 bits: a double. The
   * data need not be nul-terminated, so strtod gets a copy. */
  length = r->pos - start;
  if (length < sizeof buffer)
    {
      memcpy (buffer, start, length);
      buffer[length] = '\0';
      text = buffer;
    }
  else
    text = long_text = g_strndup (start, length);

  value = g_ascii_strtod (text, NULL);
  if (!isfinite (value))
    {
      r->pos = start;
      return reader_fail (r, QI_JSON_PROBLEM_NUMBER_RANGE);
    }

  return json_node_init_double (json_node_alloc (), value);
}

static JsonNode *reader_read_value (Reader *r);

/* JsonObject keeps its members in a GHashTable with g_str_hash(), which
 * has no seed: names made to share one hash value ("aB" and "b!" do) make
 * every insertion walk all the earlier ones, so that one crafted object
 * costs seconds. Real names almost never share a whole 32-bit hash, so an
 * object in which more than MAX_SAME_HASH do is refused. The count is kept
 * only for objects large enough to matter. */
#define COUNT_HASHES_FROM 32
#define MAX_SAME_HASH 8

static gboolean
count_hash (GHashTable **counts,
            JsonObject  *object,
            const char  *name)
{
  guint count;

  if (*counts == NULL)
    {
      g_autoptr(GList) names = NULL;

      if (json_object_get_size (object) < COUNT_HASHES_FROM)
        return TRUE;

      *counts = g_hash_table_new (NULL, NULL);
      names = json_object_get_members (object);
      for (GList *l = names; l != NULL; l = l->next)
        if (!count_hash (counts, object, l->data))
          return FALSE;
    }

  count = GPOINTER_TO_UINT (g_hash_table_lookup (*counts, GUINT_TO_POINTER (g_str_hash (name)))) + 1;
  g_hash_table_insert (*counts, GUINT_TO_POINTER (g_str_hash (name)), GUINT_TO_POINTER (count));
  return count <= MAX_SAME_HASH;
}

static JsonNode *
reader_read_object (Reader *r)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GHashTable) hash_counts = NULL;

  /* r->pos is on the brace; the depth was checked by the caller. */
  r->pos++;
  reader_skip_space (r);
  if (r->pos < r->end && *r->pos == '}')
    {
      r->pos++;
      return json_node_init_object (json_node_alloc (), object);
    }

  for (;;)
    {
      g_autofree char *name = NULL;
      const char *name_start;
      JsonNode *value;

      reader_skip_space (r);
      if (r->pos == r->end || *r->pos != '"')
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);

      name_start = r->pos;
      name = reader_read_string (r);
      if (name == NULL)
        return NULL;
      if (json_object_has_member (object, name))
        {
          r->pos = name_start;
          r->failure->member = g_steal_pointer (&name);
          return reader_fail (r, QI_JSON_PROBLEM_DUPLICATE_MEMBER);
        }

      reader_skip_space (r);
      if (r->pos == r->end || *r->pos != ':')
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);
      r->pos++;

      if (!count_hash (&hash_counts, object, name))
        {
          r->pos = name_start;
          return reader_fail (r, QI_JSON_PROBLEM_HASH_FLOOD);
        }

      if (json_object_get_size (object) >= r->limits->max_members)
        {
          r->pos = name_start;
          return reader_fail (r, QI_JSON_PROBLEM_TOO_MANY_MEMBERS);
        }

      value = reader_read_value (r);
      if (value == NULL)
        return NULL;
      json_object_set_member (object, name, value);

      reader_skip_space (r);
      if (r->pos < r->end && *r->pos == ',')
        r->pos++;
      else if (r->pos < r->end && *r->pos == '}')
        {
          r->pos++;
          return json_node_init_object (json_node_alloc (), object);
        }
      else
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);
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
        r->pos++;
      else if (r->pos < r->end && *r->pos == ']')
        {
          r->pos++;
          return json_node_init_array (json_node_alloc (), array);
        }
      else
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);
    }
}

static JsonNode *
reader_read_value (Reader *r)
{
  JsonNode *node = NULL;

  reader_skip_space (r);
  if (r->pos == r->end)
    return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);

  if (++r->values > r->limits->max_values)
    return reader_fail (r, QI_JSON_PROBLEM_TOO_MANY_VALUES);

  switch (*r->pos)
    {
    case '{':
    case '[':
      if (r->depth >= r->limits->max_depth)
        return reader_fail (r, QI_JSON_PROBLEM_TOO_DEEP);
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
      return reader_expect_word (r, "true", 4) ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return reader_expect_word (r, "false", 5) ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return reader_expect_word (r, "null", 4) ? json_node_init_null (json_node_alloc ()) : NULL;

    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return reader_read_number (r);

    default:
      return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);
    }
}

/* Counts the values of the text as the reader does (the root, then one per
 * member or element: a non-empty container holds one more than its
 * commas), without building anything. Returns where the first value past
 * the limit starts, or NULL. Exact for JSON; for what is not JSON, the
 * reader finds the error. */
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
            p += *p == '\\' && end - p > 1 ? 2 : 1;
          if (p < end)
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

/* The pointer of the value that holds the byte @at, from a scan of the
 * text before it. Only for failures: the text up to @at was read without
 * a problem, so the scan need not check anything. */
typedef struct
{
  gboolean  object;
  char     *name;  /* the member's name, once read */
  guint     index; /* the element's index */
} PointerStep;

static void
pointer_step_clear (gpointer data)
{
  g_free (((PointerStep *) data)->name);
}

/* The decoded text of the string that starts at @p (its quote). */
static char *
scan_string (const char  *p,
             const char  *end,
             const char **after)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (p++; p < end && *p != '"'; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (++p >= end)
        break;
      switch (*p)
        {
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar c = 0;

            for (int i = 1; i <= 4 && p + i < end; i++)
              c = (c << 4) | (gunichar) g_ascii_xdigit_value (p[i]);
            p += 4;
            /* a pair of surrogates: the second escape follows */
            if (c >= 0xd800 && c < 0xdc00 && p + 6 < end && p[1] == '\\' && p[2] == 'u')
              {
                gunichar low = 0;

                for (int i = 3; i <= 6; i++)
                  low = (low << 4) | (gunichar) g_ascii_xdigit_value (p[i]);
                c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                p += 6;
              }
            if (c != 0)
              g_string_append_unichar (out, c);
          }
          break;
        default: g_string_append_c (out, *p); break;
        }
    }
  *after = p < end ? p + 1 : end;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
pointer_at (const char *data,
            gsize       at)
{
  g_autoptr(GArray) steps = g_array_new (FALSE, TRUE, sizeof (PointerStep));
  g_autoptr(GString) pointer = g_string_new (NULL);
  const char *end = data + at;
  const char *p = data;
  gboolean expecting_name = FALSE;

  g_array_set_clear_func (steps, pointer_step_clear);

  while (p < end)
    {
      PointerStep *top = steps->len > 0 ? &g_array_index (steps, PointerStep, steps->len - 1) : NULL;

      switch (*p)
        {
        case '{':
        case '[':
          {
            PointerStep step = { *p == '{', NULL, 0 };

            g_array_append_val (steps, step);
            expecting_name = step.object;
            p++;
          }
          break;
        case '}':
        case ']':
          g_array_set_size (steps, steps->len - 1);
          p++;
          break;
        case ',':
          if (top != NULL && top->object)
            expecting_name = TRUE;
          else if (top != NULL)
            top->index++;
          p++;
          break;
        case '"':
          {
            const char *after;
            g_autofree char *text = scan_string (p, end, &after);

            if (after >= end)
              {
                /* the string at fault: a member name names no member yet */
                if (expecting_name)
                  g_clear_pointer (&top->name, g_free);
                p = end;
                break;
              }
            if (expecting_name)
              {
                g_free (top->name);
                top->name = g_steal_pointer (&text);
                expecting_name = FALSE;
              }
            p = after;
          }
          break;
        default:
          p++;
          break;
        }
    }

  for (guint i = 0; i < steps->len; i++)
    {
      PointerStep *step = &g_array_index (steps, PointerStep, i);

      if (step->object && step->name == NULL)
        break;
      g_string_append_c (pointer, '/');
      if (!step->object)
        g_string_append_printf (pointer, "%u", step->index);
      else
        for (const char *c = step->name; *c != '\0'; c++)
          {
            if (*c == '~')
              g_string_append (pointer, "~0");
            else if (*c == '/')
              g_string_append (pointer, "~1");
            else
              g_string_append_c (pointer, *c);
          }
    }

  return g_string_free (g_steal_pointer (&pointer), FALSE);
}

/*
 * qi_json_read:
 * @data: the text, which need not be nul-terminated
 * @length: its length in bytes
 * @limits: what to refuse
 * @failure: (out caller-allocates): where to say what is wrong, if
 *   anything is; clear it with qi_json_failure_clear()
 *
 * Reads one JSON value, the whole of @data (see the header for what is
 * refused).
 *
 * Returns: (transfer full) (nullable): the value, or %NULL with @failure
 *   filled
 */
JsonNode *
qi_json_read (const char         *data,
              gsize               length,
              const QiJsonLimits *limits,
              QiJsonFailure      *failure)
{
  Reader r;
  const char *invalid = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_assert (data != NULL || length == 0);
  g_assert (limits != NULL && failure != NULL);

  if (data == NULL)
    data = "";

  r.start = r.pos = data;
  r.end = data + length;
  r.limits = limits;
  r.depth = 0;
  r.values = 0;
  r.failure = failure;
  failure->member = NULL;
  failure->pointer = NULL;

  /* This also refuses nul bytes. */
  if (!g_utf8_validate_len (data, length, &invalid))
    {
      r.pos = invalid;
      return reader_fail (&r, QI_JSON_PROBLEM_NOT_UTF8);
    }

  if (limits->count_values_first)
    {
      invalid = find_value_past_limit (data, r.end, limits->max_values);
      if (invalid != NULL)
        {
          r.pos = invalid;
          return reader_fail (&r, QI_JSON_PROBLEM_TOO_MANY_VALUES);
        }
    }

  root = reader_read_value (&r);
  if (root == NULL)
    {
      if (failure->problem == QI_JSON_PROBLEM_NUL_ESCAPE)
        failure->pointer = pointer_at (data, failure->token);
      return NULL;
    }

  reader_skip_space (&r);
  if (r.pos != r.end)
    return reader_fail (&r, QI_JSON_PROBLEM_TRAILING_DATA);

  return g_steal_pointer (&root);
}

void
qi_json_failure_clear (QiJsonFailure *failure)
{
  g_clear_pointer (&failure->member, g_free);
  g_clear_pointer (&failure->pointer, g_free);
}

/* The line and column (in characters, from 1) of @at in the text from
 * @start; bytes that are not UTF-8 count one column each. */
void
qi_json_locate (const char *start,
                const char *at,
                guint      *line,
                guint      *column)
{
  const char *line_start = start;

  *line = 1;
  for (const char *p = start; p < at; p++)
    {
      if (*p == '\n')
        {
          (*line)++;
          line_start = p + 1;
        }
    }
  *column = (at > line_start && g_utf8_validate (line_start, at - line_start, NULL)
             ? (guint) g_utf8_strlen (line_start, at - line_start) : (guint) (at - line_start)) + 1;
}

/* For a file's reader: what @failure means, in words for a person, and
 * in *@at the byte (at most @length) where to point; @too_large is the
 * reason given for the limits. */
char *
qi_json_failure_describe (const QiJsonFailure *failure,
                          gsize                length,
                          const char          *too_large,
                          gsize               *at)
{
  *at = failure->offset;

  switch (failure->problem)
    {
    case QI_JSON_PROBLEM_NOT_UTF8:
      return g_strdup (_("not valid UTF-8"));
    case QI_JSON_PROBLEM_DUPLICATE_MEMBER:
      return g_strdup (_("a member name given twice in one object"));
    case QI_JSON_PROBLEM_TOO_DEEP:
    case QI_JSON_PROBLEM_TOO_MANY_VALUES:
    case QI_JSON_PROBLEM_TOO_MANY_MEMBERS:
    case QI_JSON_PROBLEM_HASH_FLOOD:
      return g_strdup (too_large);
    case QI_JSON_PROBLEM_NUL_ESCAPE:
      *at = MIN (failure->token, length);
      return g_strdup_printf (_("\\u0000 in the string at “%s”, which Qi cannot hold; remove it"),
                              failure->pointer != NULL ? failure->pointer : "");
    case QI_JSON_PROBLEM_BAD_ESCAPE:
    case QI_JSON_PROBLEM_BAD_HEX:
    case QI_JSON_PROBLEM_UNPAIRED_SURROGATE:
      *at = MIN (failure->token, length);
      return g_strdup (_("an invalid escape in a string"));
    case QI_JSON_PROBLEM_UNEXPECTED:
    case QI_JSON_PROBLEM_TRAILING_DATA:
    case QI_JSON_PROBLEM_BAD_WORD:
    case QI_JSON_PROBLEM_BAD_NUMBER:
    case QI_JSON_PROBLEM_NUMBER_RANGE:
    case QI_JSON_PROBLEM_INTEGER_RANGE:
    case QI_JSON_PROBLEM_CONTROL_CHARACTER:
    case QI_JSON_PROBLEM_UNTERMINATED_STRING:
    default:
      if (*at >= length)
        {
          *at = length;
          return g_strdup (_("unexpected end of the file"));
        }
      return g_strdup (_("not valid JSON"));
    }
}

/* What kind of value @node holds, for messages: "an object", "a string"… */
const char *
qi_json_describe_type (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return _("an object");
  if (JSON_NODE_HOLDS_ARRAY (node))
    return _("an array");
  if (JSON_NODE_HOLDS_NULL (node))
    return _("null");
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return _("a string");
    case G_TYPE_BOOLEAN:
      return _("a boolean");
    default:
      return _("a number");
    }
}

/**
 * qi_json_node_deep_copy:
 * @node: a value
 *
 * A copy of @node that shares nothing with it: json_node_copy() shares
 * the objects and arrays it holds, so that changing the copy's changes
 * the original's. Members keep their order.
 *
 * Returns: (transfer full): the copy
 */
JsonNode *
qi_json_node_deep_copy (JsonNode *node)
{
  JsonNode *copy;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(JsonObject) object = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      /* in the original's order: JSON Qi writes keeps its members' order */
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        json_object_set_member (object, name, qi_json_node_deep_copy (member));
      copy = json_node_init_object (json_node_alloc (), object);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autoptr(JsonArray) array = json_array_new ();
      JsonArray *source = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (source); i++)
        json_array_add_element (array, qi_json_node_deep_copy (json_array_get_element (source, i)));
      copy = json_node_init_array (json_node_alloc (), array);
    }
  else
    copy = json_node_copy (node);
  return copy;
}

/* What qi_json_from_data() allows: any size that fits in memory, but a
 * bounded depth (the reader recurses). */
static const QiJsonLimits public_limits = {
  .max_depth = 512,
  .max_values = G_MAXUINT,
  .max_members = G_MAXUINT,
};

/**
 * qi_json_from_data:
 * @data: JSON text, UTF-8
 * @length: its length in bytes, or -1 if it is nul-terminated
 * @error: return location for a #GError
 *
 * Reads one JSON value, the whole of @data, strictly (RFC 8259): no
 * comments, single quotes, trailing commas, raw control characters in
 * strings or data after the value; duplicate member names, unpaired
 * surrogates, integers beyond 64 bits, numbers beyond a double and
 * nesting deeper than 512 levels are refused. A string holding `\u0000`
 * is refused too, naming the string by its JSON Pointer: a #JsonNode
 * cannot hold U+0000, and json-glib's own parser would cut the string
 * there without a word.
 *
 * Returns: (transfer full): the value, or %NULL with @error set:
 *   %G_IO_ERROR_INVALID_DATA, the message `LINE:COLUMN: what is wrong`
 *   (columns in characters, from 1), for a caller to put a file name in
 *   front of
 */
JsonNode *
qi_json_from_data (const char  *data,
                   gssize       length,
                   GError     **error)
{
  g_auto(QiJsonFailure) failure = { 0, };
  JsonNode *root;

  g_return_val_if_fail (data != NULL || length <= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";
  if (length < 0)
    length = strlen (data);

  root = qi_json_read (data, length, &public_limits, &failure);
  if (root == NULL)
    {
      gsize at;
      g_autofree char *reason = qi_json_failure_describe (&failure, length,
                                                           _("nested deeper than 512 levels"), &at);
      guint line, column;

      qi_json_locate (data, data + at, &line, &column);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%u:%u: %s", line, column, reason);
    }
  return root;
}
