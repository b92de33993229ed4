/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "qi-json.h"
#include "qi-json-reader-private.h"
#include "qi-word-scan-private.h"

typedef struct
{
  const char          *start;
  const char          *pos;
  const char          *end;
  const QiJsonLimits  *limits;
  guint                depth;
  guint                values;
  QiJsonFailure       *failure;
  gboolean             skipping;  /* checking values without building them */
  gboolean             canonical; /* what was skipped is as Qi's writer writes it */
} Reader;

/* What a value read without being built gives: not a node, never used as
 * one, only not NULL. */
static const char skipped_value;
#define SKIPPED ((JsonNode *) &skipped_value)

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

static inline void
reader_skip_space (Reader *r)
{
  /* The writer puts no space between tokens. */
  while (r->pos < r->end &&
         (*r->pos == ' ' || *r->pos == '\n' || *r->pos == '\r' || *r->pos == '\t'))
    {
      r->pos++;
      r->canonical = FALSE;
    }
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
    case '/': r->canonical = FALSE; g_string_append_c (out, '/'); return TRUE;
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

  /* The writer writes \u only for control characters, and in lower case:
   * any other is taken for one it would write otherwise. */
  r->canonical = FALSE;
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

/* A byte that ends a run of a string's text. */
static inline gboolean
ends_run (guchar c)
{
  return c == '"' || c == '\\' || c < 0x20;
}

/* Reads a string; r->pos is on its opening quote. The whole text was
 * checked to be UTF-8 beforehand, and a quote or backslash is never part of
 * a multi-byte sequence, so the raw bytes between them are UTF-8 too.
 *
 * The decoded text is given as *text and *length, not nul-terminated: a
 * string without escapes, the common case, is the span of the input
 * between the quotes and costs nothing; one with escapes is decoded into
 * *decoded, which the caller frees. */
static gboolean
reader_read_string_span (Reader      *r,
                         const char **text,
                         gsize       *length,
                         GString    **decoded)
{
  const char *end = r->end;
  const char *p = r->pos + 1;
  const char *run = p;
  GString *out = NULL;

  *decoded = NULL;
  for (;;)
    {
      guchar c;

      /* Whole words of text that neither ends the string nor escapes,
       * then single bytes up to the one that does. */
      while (end - p >= 8 &&
             !(qi_word_has_less (qi_word_load (p), 0x20) | qi_word_has_byte (qi_word_load (p), '"') |
               qi_word_has_byte (qi_word_load (p), '\\')))
        p += 8;
      while (p < end && !ends_run ((guchar) *p))
        p++;
      r->pos = p;
      if (p == end)
        break;

      c = (guchar) *p;
      if (c == '"')
        {
          if (out == NULL)
            {
              *text = run;
              *length = p - run;
            }
          else
            {
              g_string_append_len (out, run, p - run);
              *text = out->str;
              *length = out->len;
              *decoded = out;
            }
          r->pos = p + 1;
          return TRUE;
        }
      else if (c == '\\')
        {
          if (out == NULL)
            out = g_string_sized_new (p - run + 16);
          g_string_append_len (out, run, p - run);
          if (!reader_read_escape (r, out))
            {
              g_string_free (out, TRUE);
              return FALSE;
            }
          p = run = r->pos;
        }
      else
        {
          if (out != NULL)
            g_string_free (out, TRUE);
          return reader_fail (r, QI_JSON_PROBLEM_CONTROL_CHARACTER) != NULL;
        }
    }

  if (out != NULL)
    g_string_free (out, TRUE);
  return reader_fail (r, QI_JSON_PROBLEM_UNTERMINATED_STRING) != NULL;
}

/* A string read by reader_read_string_span(), nul-terminated for json-glib,
 * which copies what it is given: one that fits in the caller's @buffer is
 * put there, so that only json-glib allocates. Member names are read
 * into a small buffer, which every level of nesting has on its stack;
 * string values, which nothing nests in, into a larger one. */
#define NAME_BUFFER 64
#define STRING_BUFFER 1024

typedef struct
{
  char    *heap;
  GString *decoded;
} StringTemp;

#define STRING_TEMP_INIT { NULL, NULL }

static void
string_temp_clear (StringTemp *temp)
{
  g_clear_pointer (&temp->heap, g_free);
  if (temp->decoded != NULL)
    g_string_free (g_steal_pointer (&temp->decoded), TRUE);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StringTemp, string_temp_clear)

static const char *
string_temp_set (StringTemp *temp,
                 char       *buffer,
                 gsize       size,
                 const char *text,
                 gsize       length,
                 GString    *decoded)
{
  string_temp_clear (temp);
  if (decoded != NULL)
    return (temp->decoded = decoded)->str;
  if (length < size)
    {
      memcpy (buffer, text, length);
      buffer[length] = '\0';
      return buffer;
    }
  return temp->heap = g_strndup (text, length);
}

static gboolean
reader_skip_digits (Reader *r)
{
  const char *start = r->pos;

  while (r->pos < r->end && g_ascii_isdigit (*r->pos))
    r->pos++;
  return r->pos > start;
}

/* A number read: an integer that fits in 64 bits, or a double. */
typedef struct
{
  gboolean integer;
  gint64   int_value;
  double   double_value;
} Number;

/* Reads a number. Integers that fit in 64 bits are read without strtod or
 * a copy. */
static gboolean
reader_scan_number (Reader *r,
                    Number *number)
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
    return reader_fail (r, QI_JSON_PROBLEM_BAD_NUMBER) != NULL;

  if (r->pos < r->end && *r->pos == '.')
    {
      integer = FALSE;
      r->pos++;
      if (!reader_skip_digits (r))
        return reader_fail (r, QI_JSON_PROBLEM_BAD_NUMBER) != NULL;
    }

  if (r->pos < r->end && (*r->pos == 'e' || *r->pos == 'E'))
    {
      integer = FALSE;
      r->pos++;
      if (r->pos < r->end && (*r->pos == '+' || *r->pos == '-'))
        r->pos++;
      if (!reader_skip_digits (r))
        return reader_fail (r, QI_JSON_PROBLEM_BAD_NUMBER) != NULL;
    }

  if (integer)
    {
      /* An integer reads back as the writer writes it, but -0. */
      if (negative && magnitude == 0)
        r->canonical = FALSE;
      number->integer = TRUE;
      if (!overflow && !negative && magnitude <= (guint64) G_MAXINT64)
        {
          number->int_value = (gint64) magnitude;
          return TRUE;
        }
      if (!overflow && negative && magnitude <= (guint64) G_MAXINT64 + 1)
        {
          number->int_value = (gint64) (0 - magnitude);
          return TRUE;
        }
      if (!r->limits->big_integers_as_doubles)
        {
          r->pos = start;
          return reader_fail (r, QI_JSON_PROBLEM_INTEGER_RANGE) != NULL;
        }
    }

  /* A fraction, an exponent or an integer beyond 64 bits: a double, whose
   * text the writer may write otherwise. The data need not be
   * nul-terminated, so strtod gets a copy. */
  r->canonical = FALSE;
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
      return reader_fail (r, QI_JSON_PROBLEM_NUMBER_RANGE) != NULL;
    }

  number->integer = FALSE;
  number->double_value = value;
  return TRUE;
}

static JsonNode *
reader_read_number (Reader *r)
{
  Number number;

  if (!reader_scan_number (r, &number))
    return NULL;
  if (r->skipping)
    return SKIPPED;
  if (number.integer)
    return json_node_init_int (json_node_alloc (), number.int_value);
  return json_node_init_double (json_node_alloc (), number.double_value);
}

static JsonNode *reader_read_value (Reader *r);
static JsonNode *reader_read_value_here (Reader *r);
static gboolean reader_start_value (Reader *r);

/* JsonObject keeps its members in a GHashTable with g_str_hash(), which
 * has no seed: names made to share one hash value ("aB" and "b!" do) make
 * every insertion walk all the earlier ones, so that one crafted object
 * costs seconds. Real names almost never share a whole 32-bit hash, so an
 * object in which more than MAX_SAME_HASH do is refused. The count is kept
 * only for objects large enough to matter. */
#define COUNT_HASHES_FROM 32
#define MAX_SAME_HASH 8

/* g_str_hash() of a name that need not be nul-terminated. */
static guint
name_hash (const char *name,
           gsize       length)
{
  guint32 hash = 5381;

  for (gsize i = 0; i < length; i++)
    hash = (hash << 5) + hash + (signed char) name[i];
  return hash;
}

static gboolean
add_hash (GHashTable *counts,
          guint       hash)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (hash))) + 1;

  g_hash_table_insert (counts, GUINT_TO_POINTER (hash), GUINT_TO_POINTER (count));
  return count <= MAX_SAME_HASH;
}

/* The member names of an object that is checked but not built, so that a
 * duplicate is refused as JsonObject refuses it: the first few as spans
 * of the text (or as copies when they had escapes), more in a table. */
#define NAME_SPANS 8

typedef struct
{
  const char *spans[NAME_SPANS];
  gsize       lengths[NAME_SPANS];
  guint       n_spans;
  GPtrArray  *copies;  /* of the names that had escapes, while spans */
  GHashTable *table;   /* every name, once more than NAME_SPANS */
} NameSet;

#define NAME_SET_INIT { { NULL }, { 0 }, 0, NULL, NULL }

static void
name_set_clear (NameSet *set)
{
  g_clear_pointer (&set->copies, g_ptr_array_unref);
  g_clear_pointer (&set->table, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NameSet, name_set_clear)

/* @name is @text, nul-terminated. */
static gboolean
name_set_contains (NameSet    *set,
                   const char *text,
                   gsize       length,
                   const char *name)
{
  if (set->table != NULL)
    return g_hash_table_contains (set->table, name);

  for (guint i = 0; i < set->n_spans; i++)
    if (set->lengths[i] == length && memcmp (set->spans[i], text, length) == 0)
      return TRUE;
  return FALSE;
}

/* @text stays valid while the set does when @in_text. */
static void
name_set_add (NameSet    *set,
              const char *text,
              gsize       length,
              gboolean    in_text)
{
  if (set->table == NULL && set->n_spans < NAME_SPANS)
    {
      if (!in_text)
        {
          if (set->copies == NULL)
            set->copies = g_ptr_array_new_with_free_func (g_free);
          text = g_strndup (text, length);
          g_ptr_array_add (set->copies, (char *) text);
        }
      set->spans[set->n_spans] = text;
      set->lengths[set->n_spans] = length;
      set->n_spans++;
      return;
    }

  if (set->table == NULL)
    {
      set->table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < set->n_spans; i++)
        g_hash_table_add (set->table, g_strndup (set->spans[i], set->lengths[i]));
      g_clear_pointer (&set->copies, g_ptr_array_unref);
      set->n_spans = 0;
    }
  g_hash_table_add (set->table, g_strndup (text, length));
}

/* Counts the hash of @name among the @size members read so far: those of
 * @object, of @names and the present ones of @fields. */
static gboolean
count_hash (GHashTable       **counts,
            JsonObject        *object,
            NameSet           *names,
            const QiJsonField *fields,
            guint              n_fields,
            guint              size,
            const char        *name)
{
  if (*counts == NULL)
    {
      GHashTableIter iter;
      gpointer key;

      if (size < COUNT_HASHES_FROM)
        return TRUE;

      *counts = g_hash_table_new (NULL, NULL);
      if (object != NULL)
        {
          g_autoptr(GList) members = json_object_get_members (object);

          for (GList *l = members; l != NULL; l = l->next)
            if (!add_hash (*counts, g_str_hash (l->data)))
              return FALSE;
        }
      for (guint i = 0; i < names->n_spans; i++)
        if (!add_hash (*counts, name_hash (names->spans[i], names->lengths[i])))
          return FALSE;
      if (names->table != NULL)
        {
          g_hash_table_iter_init (&iter, names->table);
          while (g_hash_table_iter_next (&iter, &key, NULL))
            if (!add_hash (*counts, g_str_hash (key)))
              return FALSE;
        }
      for (guint i = 0; i < n_fields; i++)
        if (fields[i].present && !add_hash (*counts, g_str_hash (fields[i].name)))
          return FALSE;
    }

  return add_hash (*counts, g_str_hash (name));
}

static QiJsonField *
find_field (QiJsonField *fields,
            guint        n_fields,
            const char  *name,
            gsize        length)
{
  for (guint i = 0; i < n_fields; i++)
    if (length > 0 && fields[i].name[0] == name[0] &&
        strncmp (fields[i].name, name, length) == 0 && fields[i].name[length] == '\0')
      return &fields[i];
  return NULL;
}

/* Reads a value without building it: it is checked as if it were built. */
static gboolean
reader_skip_value (Reader *r)
{
  gboolean was_skipping = r->skipping;
  JsonNode *value;

  r->skipping = TRUE;
  value = reader_read_value (r);
  r->skipping = was_skipping;
  return value != NULL;
}

/* Reads the value of a field: a string as its text, anything else as a
 * node, or, for a field to skip, only its place in the text. */
static gboolean
reader_read_field (Reader      *r,
                   QiJsonField *field)
{
  field->present = TRUE;
  if (!reader_start_value (r))
    return FALSE;

  if (field->skip)
    {
      gboolean was_skipping = r->skipping;
      JsonNode *value;

      field->start = r->pos - r->start;
      r->skipping = TRUE;
      r->canonical = TRUE;
      value = reader_read_value_here (r);
      r->skipping = was_skipping;
      field->end = r->pos - r->start;
      field->canonical = r->canonical;
      return value != NULL;
    }

  if (*r->pos == '"')
    return reader_read_string_span (r, &field->string, &field->length, &field->decoded);

  /* An integer is handed over as its value, without a node. */
  if (*r->pos == '-' || g_ascii_isdigit (*r->pos))
    {
      Number number;

      if (!reader_scan_number (r, &number))
        return FALSE;
      if (number.integer)
        {
          field->is_integer = TRUE;
          field->integer = number.int_value;
        }
      else
        field->node = json_node_init_double (json_node_alloc (), number.double_value);
      return TRUE;
    }

  field->node = reader_read_value_here (r);
  return field->node != NULL;
}

/* Reads the members of an object; r->pos is on its brace, the depth was
 * checked by the caller. Members named in @fields are read into them.
 * The others go into @object, or, when it is %NULL, are checked without
 * being built and dropped. */
static gboolean
reader_read_members (Reader      *r,
                     JsonObject  *object,
                     QiJsonField *fields,
                     guint        n_fields)
{
  g_autoptr(GHashTable) hash_counts = NULL;
  g_auto(StringTemp) temp_name = STRING_TEMP_INIT;
  g_auto(NameSet) names = NAME_SET_INIT;
  char buffer[NAME_BUFFER];
  guint expected = 0;   /* the field that would come next, in order */
  guint size = 0;

  r->pos++;
  reader_skip_space (r);
  if (r->pos < r->end && *r->pos == '}')
    {
      r->pos++;
      return TRUE;
    }

  for (;;)
    {
      GString *decoded = NULL;
      const char *name_start;
      const char *text;
      gsize length;
      gboolean in_text;
      gboolean fast;
      QiJsonField *field;
      const char *name;
      gboolean duplicate;

      reader_skip_space (r);
      if (r->pos == r->end || *r->pos != '"')
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED) != NULL;

      name_start = r->pos;
      length = 0;
      if (expected < n_fields)
        length = strlen (fields[expected].name);

      /* The fields most often come as Qi's writer writes them, in order and
       * without space: `"name":` is then taken as it is, which is what
       * reading the name and the colon would give. */
      fast = expected < n_fields && (gsize) (r->end - r->pos) > length + 2 &&
             r->pos[length + 1] == '"' && r->pos[length + 2] == ':' &&
             memcmp (r->pos + 1, fields[expected].name, length) == 0;
      if (fast)
        {
          field = &fields[expected];
          name = field->name;
          in_text = TRUE;
          duplicate = field->present;
          r->pos += length + 3;
        }
      else
        {
          if (!reader_read_string_span (r, &text, &length, &decoded))
            return FALSE;
          in_text = decoded == NULL;
          /* The writer escapes DEL, which JSON allows as it is. */
          if (r->skipping && memchr (text, 0x7f, length) != NULL)
            r->canonical = FALSE;
          field = find_field (fields, n_fields, text, length);
          if (field != NULL)
            {
              name = field->name;
              if (decoded != NULL)
                g_string_free (decoded, TRUE);
              duplicate = field->present;
            }
          else
            {
              name = string_temp_set (&temp_name, buffer, sizeof buffer, text, length, decoded);
              text = name;
              duplicate = object != NULL ? json_object_has_member (object, name)
                                         : name_set_contains (&names, text, length, name);
            }
        }

      if (duplicate)
        {
          r->pos = name_start;
          r->failure->member = g_strdup (name);
          return reader_fail (r, QI_JSON_PROBLEM_DUPLICATE_MEMBER) != NULL;
        }

      if (!fast)
        {
          reader_skip_space (r);
          if (r->pos == r->end || *r->pos != ':')
            return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED) != NULL;
          r->pos++;
        }
      if (field != NULL)
        expected = field - fields + 1;

      if (!count_hash (&hash_counts, object, &names, fields, n_fields, size, name))
        {
          r->pos = name_start;
          return reader_fail (r, QI_JSON_PROBLEM_HASH_FLOOD) != NULL;
        }

      if (size >= r->limits->max_members)
        {
          r->pos = name_start;
          return reader_fail (r, QI_JSON_PROBLEM_TOO_MANY_MEMBERS) != NULL;
        }

      if (field != NULL)
        {
          if (!reader_read_field (r, field))
            return FALSE;
        }
      else if (object != NULL)
        {
          JsonNode *value = reader_read_value (r);

          if (value == NULL)
            return FALSE;
          json_object_set_member (object, name, value);
        }
      else
        {
          /* The set keeps a span of the text, or a copy of a decoded name. */
          name_set_add (&names, in_text ? name_start + 1 : name, length, in_text);
          if (!reader_skip_value (r))
            return FALSE;
        }
      size++;

      reader_skip_space (r);
      if (r->pos < r->end && *r->pos == ',')
        r->pos++;
      else if (r->pos < r->end && *r->pos == '}')
        {
          r->pos++;
          return TRUE;
        }
      else
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED) != NULL;
    }
}

static JsonNode *
reader_read_object (Reader *r)
{
  g_autoptr(JsonObject) object = NULL;

  if (r->skipping)
    return reader_read_members (r, NULL, NULL, 0) ? SKIPPED : NULL;

  object = json_object_new ();
  if (!reader_read_members (r, object, NULL, 0))
    return NULL;
  return json_node_init_object (json_node_alloc (), object);
}

static JsonNode *
reader_read_array (Reader *r)
{
  g_autoptr(JsonArray) array = r->skipping ? NULL : json_array_new ();

  r->pos++;
  reader_skip_space (r);
  if (r->pos < r->end && *r->pos == ']')
    {
      r->pos++;
      return array != NULL ? json_node_init_array (json_node_alloc (), array) : SKIPPED;
    }

  for (;;)
    {
      JsonNode *value = reader_read_value (r);

      if (value == NULL)
        return NULL;
      if (array != NULL)
        json_array_add_element (array, value);

      reader_skip_space (r);
      if (r->pos < r->end && *r->pos == ',')
        r->pos++;
      else if (r->pos < r->end && *r->pos == ']')
        {
          r->pos++;
          return array != NULL ? json_node_init_array (json_node_alloc (), array) : SKIPPED;
        }
      else
        return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);
    }
}

/* Not inlined, so that its buffer is not on the stack of every level of
 * nesting. */
static G_GNUC_NO_INLINE JsonNode *
reader_read_string_node (Reader *r)
{
  g_auto(StringTemp) temp = STRING_TEMP_INIT;
  char buffer[STRING_BUFFER];
  GString *decoded;
  const char *text;
  gsize length;

  if (!reader_read_string_span (r, &text, &length, &decoded))
    return NULL;
  if (r->skipping)
    {
      /* The writer escapes DEL, which JSON allows as it is. */
      if (memchr (text, 0x7f, length) != NULL)
        r->canonical = FALSE;
      if (decoded != NULL)
        g_string_free (decoded, TRUE);
      return SKIPPED;
    }
  return json_node_init_string (json_node_alloc (),
                                string_temp_set (&temp, buffer, sizeof buffer, text, length, decoded));
}

/* Skips the space before a value and counts it; r->pos is then on it. */
static gboolean
reader_start_value (Reader *r)
{
  reader_skip_space (r);
  if (r->pos == r->end)
    return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED) != NULL;

  if (++r->values > r->limits->max_values)
    return reader_fail (r, QI_JSON_PROBLEM_TOO_MANY_VALUES) != NULL;

  return TRUE;
}

/* Reads the value at r->pos, counted by reader_start_value(). */
static JsonNode *
reader_read_value_here (Reader *r)
{
  JsonNode *node = NULL;

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
      return reader_read_string_node (r);

    case 't':
      if (!reader_expect_word (r, "true", 4))
        return NULL;
      return r->skipping ? SKIPPED : json_node_init_boolean (json_node_alloc (), TRUE);
    case 'f':
      if (!reader_expect_word (r, "false", 5))
        return NULL;
      return r->skipping ? SKIPPED : json_node_init_boolean (json_node_alloc (), FALSE);
    case 'n':
      if (!reader_expect_word (r, "null", 4))
        return NULL;
      return r->skipping ? SKIPPED : json_node_init_null (json_node_alloc ());

    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return reader_read_number (r);

    default:
      return reader_fail (r, QI_JSON_PROBLEM_UNEXPECTED);
    }
}

static JsonNode *
reader_read_value (Reader *r)
{
  if (!reader_start_value (r))
    return NULL;
  return reader_read_value_here (r);
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

/* Sets @r up to read @data, after the checks of the whole text. */
static gboolean
reader_start (Reader             *r,
              const char         *data,
              gsize               length,
              const QiJsonLimits *limits,
              QiJsonFailure      *failure)
{
  const char *invalid = NULL;

  g_assert (data != NULL || length == 0);
  g_assert (limits != NULL && failure != NULL);

  if (data == NULL)
    data = "";

  r->start = r->pos = data;
  r->end = data + length;
  r->limits = limits;
  r->depth = 0;
  r->values = 0;
  r->failure = failure;
  r->skipping = FALSE;
  r->canonical = TRUE;
  failure->member = NULL;
  failure->pointer = NULL;

  /* The text is mostly ASCII: it is checked a word at a time up to the
   * first word with another byte or a nul, and from there by GLib, which
   * also refuses nul bytes. */
  invalid = data;
  while (r->end - invalid >= 8 &&
         !(qi_word_has_high (qi_word_load (invalid)) | qi_word_has_byte (qi_word_load (invalid), 0)))
    invalid += 8;
  if (!g_utf8_validate_len (invalid, r->end - invalid, &invalid))
    {
      r->pos = invalid;
      return reader_fail (r, QI_JSON_PROBLEM_NOT_UTF8) != NULL;
    }

  if (limits->count_values_first)
    {
      invalid = find_value_past_limit (data, r->end, limits->max_values);
      if (invalid != NULL)
        {
          r->pos = invalid;
          return reader_fail (r, QI_JSON_PROBLEM_TOO_MANY_VALUES) != NULL;
        }
    }

  return TRUE;
}

/* After the root value, whether it was @read: nothing may follow it. */
static gboolean
reader_finish (Reader   *r,
               gboolean  read)
{
  if (!read)
    {
      if (r->failure->problem == QI_JSON_PROBLEM_NUL_ESCAPE)
        r->failure->pointer = pointer_at (r->start, r->failure->token);
      return FALSE;
    }

  reader_skip_space (r);
  if (r->pos != r->end)
    return reader_fail (r, QI_JSON_PROBLEM_TRAILING_DATA) != NULL;

  return TRUE;
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
  g_autoptr(JsonNode) root = NULL;

  if (!reader_start (&r, data, length, limits, failure))
    return NULL;

  root = reader_read_value (&r);
  if (!reader_finish (&r, root != NULL))
    return NULL;

  return g_steal_pointer (&root);
}

/*
 * qi_json_read_fields:
 * @data: the text, which need not be nul-terminated
 * @length: its length in bytes
 * @limits: what to refuse
 * @fields: (array length=n_fields): the members of the root object to
 *   read into them, each with its name set and the rest zero; clear them
 *   with qi_json_fields_clear(), whatever the result
 * @n_fields: the number of @fields
 * @is_object: (out): whether the root is an object
 * @failure: (out caller-allocates): as for qi_json_read()
 *
 * Reads one JSON value, the whole of @data, as qi_json_read() does (the
 * same checks, the same failures at the same places), but builds none of
 * it: when it is an object, its members named in @fields are handed over
 * in them, a string as its text, any other value as a node, or, for a
 * field marked to skip, as its place in the text and whether Qi's writer
 * would write it the same way. Its other members, and a root that is not
 * an object, are read and checked, then dropped. A hub message is read
 * this way: its envelope is never built, nor its payload until it is
 * asked for.
 *
 * Returns: %TRUE if @data is JSON; %FALSE with @failure filled
 */
gboolean
qi_json_read_fields (const char         *data,
                     gsize               length,
                     const QiJsonLimits *limits,
                     QiJsonField        *fields,
                     guint               n_fields,
                     gboolean           *is_object,
                     QiJsonFailure      *failure)
{
  Reader r;
  gboolean read;

  *is_object = FALSE;
  if (!reader_start (&r, data, length, limits, failure))
    return FALSE;

  /* As reader_read_value() does, but for the object's members. */
  if (!reader_start_value (&r))
    return reader_finish (&r, FALSE);
  if (*r.pos != '{')
    {
      r.skipping = TRUE;
      read = reader_read_value_here (&r) != NULL;
      return reader_finish (&r, read);
    }

  if (r.depth >= limits->max_depth)
    return reader_finish (&r, reader_fail (&r, QI_JSON_PROBLEM_TOO_DEEP) != NULL);
  r.depth++;
  read = reader_read_members (&r, NULL, fields, n_fields);
  r.depth--;
  *is_object = read;
  return reader_finish (&r, read);
}

void
qi_json_fields_clear (QiJsonField *fields,
                      guint        n_fields)
{
  for (guint i = 0; i < n_fields; i++)
    {
      if (fields[i].node != NULL)
        g_clear_pointer (&fields[i].node, json_node_unref);
      if (fields[i].decoded != NULL)
        g_string_free (g_steal_pointer (&fields[i].decoded), TRUE);
      fields[i].string = NULL;
      fields[i].is_integer = FALSE;
      fields[i].present = FALSE;
    }
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
