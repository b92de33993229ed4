/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-path-template.h"
#include "qi-path-template-private.h"

/**
 * QiPathTemplate:
 *
 * One compiled path template: the studio's folders and file names as text
 * with fields, in the shape of AYON's (and OpenPype's) anatomy:
 *
 * |[
 * {root[work]}/{project[name]}/{hierarchy}/{folder[name]}/work/{task[name]}
 * {project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>.{ext}
 * ]|
 *
 * qi_path_template_solve() fills the fields in from a JSON object;
 * qi_path_template_parse() reads them back from a path. A template is an
 * immutable value, shared by reference counting.
 *
 * ## Fields
 *
 * `{key}` is the value of `key` in the fields; `{project[name]}` is the
 * member `name` of the object `project`, to any depth (`{a[b][c]}`).
 * Keys and members are made of ASCII letters, digits, `_` and `-`; a key
 * is named in dotted form, `project.name` (qi_path_template_get_keys()).
 * A value is a JSON string or number; `null` counts as missing, and an
 * empty string too (a field of it would make an empty folder name or a
 * doubled separator).
 *
 * A value may not hold a path separator (`/` or `\`), nor be `.` or
 * `..`, so that no value makes a folder the template does not have; two
 * keys are exceptions: `hierarchy`, whose value spans folders (`sq010/sh010`,
 * without empty parts, `.` or `..`), and the roots, `{root[NAME]}` (below).
 *
 * `{{` and `}}` are a literal `{` and `}`. `<` and `>` always delimit
 * optional segments: no path can hold them on Windows.
 *
 * ## Format specs
 *
 * `{key:spec}` formats the value with a subset of Python's format
 * mini-language, `[[fill]align][0][width][.precision][type]`:
 *
 * - align `<` (left, the default for strings), `>` (right, the default
 *   for numbers), `^` (centred, the extra fill character on the right) or
 *   `=` (numbers only: the fill goes between the sign and the digits);
 *   fill is any character but `{`, `}`, `/` and `\`, a space by default;
 * - `0` pads numbers with zeros after the sign (fill `0` and align `=`
 *   unless given);
 * - width is the least number of characters (at most 255); a longer
 *   value is kept whole;
 * - precision (at most 255) is the number of decimals for `f` and the
 *   most characters kept of a string;
 * - type `d` formats an integer, `f` a number with a fixed number of
 *   decimals (6 by default), `s` a string; without a type a string is
 *   written as it is, an integer in decimal and a floating-point number
 *   in the shortest text that reads back as the same number.
 *
 * So `{version:0>3}` writes 7 as `007` and 1234 as `1234`, `{frame:04}`
 * writes -5 as `-005`, `{fps:.3f}` writes 25 as `25.000`. A spec that
 * formats numbers (`d`, `f`, `0`, `=`) fails on a string, and `s` on a
 * number, with %QI_TEMPLATE_ERROR_BAD_VALUE naming the key.
 *
 * ## Capitalisation
 *
 * As in AYON, the case of a key's first part changes its value:
 * `{Task[name]}` upper-cases the first letter of the value (`compositing`
 * → `Compositing`), `{TASK[name]}` upper-cases all of it. The value is
 * looked up by the lower-case first part, `task.name`; members are looked
 * up as written. Capitalisation applies to strings, before padding.
 *
 * ## Optional segments
 *
 * `<…>` is dropped whole when a key inside it is missing (or empty), and
 * kept when all are present: `<_{comment}>` is `_wip` or nothing.
 * Segments may be nested; a key missing in an inner segment drops only
 * that one. A value that is there but wrong is an error wherever it is.
 *
 * ## References
 *
 * `{@name}` is the template `name` of a #QiTemplateSet, inserted in
 * place, such as `{@version}` for `v{version:0>3}`. A reference in a
 * template of a group is looked up in the group first and then outwards:
 * `{@directory}` in `work.file` is `work.directory` if the set has it,
 * else `directory`.
 *
 * ## Roots
 *
 * With a #QiTemplateSet, `{root[NAME]}` is the set's root `NAME` for its
 * platform (qi_template_set_set_roots()), never a value of the fields;
 * without one, it is read from the fields like any key (and may span
 * folders).
 *
 * ## Parsing
 *
 * qi_path_template_parse() finds the fields that make the path: each
 * optional segment is tried with and then without; a key used twice must
 * read the same value both times. Fields are read lazily, the shortest
 * text first, and no value but `hierarchy` and the roots spans a
 * separator. A field's text is read the way that takes the most padding
 * off, and among those, under a numeric spec (`d`, or one padding with
 * zeros such as `0>3`) as an integer, under `f` as a number, otherwise as
 * a string (or a number where a string cannot make it): `007` under
 * `{version:0>3}` reads 7, `    7` under `{x:5}` too, `12` under `{x}`
 * reads `"12"`. The fields read always solve back to the
 * same path (with `/` for each `\`); they are the fields solved with when
 * the path is not ambiguous and no field loses information (a
 * capitalised or truncated field reads back what it wrote). Positions in
 * messages count characters (Unicode code points) from 0.
 */

/* Reading a path gives up after this many tries. */
#define MAX_TRIES 200000

/* Limits of a template once its references are followed. */
#define MAX_STEPS 16384
#define MAX_REFERENCE_DEPTH 64

#define MAX_WIDTH 255

typedef enum {
  CASING_AS_IS,
  CASING_CAPITALIZE,
  CASING_UPPER,
} Casing;

typedef enum {
  KEY_PLAIN,
  KEY_HIERARCHY, /* may span folders */
  KEY_ROOT,      /* the set's, or from the fields spanning folders */
} KeyKind;

typedef struct
{
  gunichar fill;      /* 0 when not given */
  char     align;     /* 0 when not given, or one of < > ^ = */
  gboolean zero;
  guint    width;     /* 0 when not given */
  int      precision; /* -1 when not given */
  char     type;      /* 0 when not given, or one of d f s */
} Spec;

typedef struct
{
  char     *key;         /* dotted, the first part in lower case */
  char    **parts;       /* the key, split */
  guint     n_parts;
  char     *written;     /* as written, braces and spec included */
  char     *written_key; /* as written, braces included, without the spec */
  KeyKind   kind;
  Casing    casing;
  Spec      spec;
  gboolean  lossy;       /* its text may not give back the value */
} Field;

typedef enum {
  PART_LITERAL,
  PART_FIELD,
  PART_REFERENCE,
  PART_OPEN,
  PART_CLOSE,
} PartKind;

typedef struct
{
  PartKind  kind;
  guint     offset; /* in characters */
  char     *text;   /* LITERAL: unescaped; REFERENCE: the name */
  gsize     length; /* LITERAL: of text, in bytes */
  Field    *field;  /* FIELD */
} Part;

struct _QiPathTemplate
{
  gatomicrefcount  ref_count;

  char            *text;
  char            *name;       /* in its set; NULL alone */
  char            *origin;     /* where it was defined, or NULL */
  GArray          *parts;      /* of Part */
  GStrv            keys;
  GStrv            references;
};

G_DEFINE_QUARK (qi-template-error-quark, qi_template_error)

G_DEFINE_BOXED_TYPE (QiPathTemplate, qi_path_template,
                     qi_path_template_ref, qi_path_template_unref)

/* Text helpers */

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

static gboolean
is_separator (char c)
{
  return c == '/' || c == '\\';
}

/* @text as “text”, its control characters escaped. @text is UTF-8. */
static char *
quote (const char *text,
       gssize      length)
{
  GString *quoted;
  const char *end;

  if (length < 0)
    length = strlen (text);
  end = text + length;

  quoted = g_string_sized_new (length + 8);
  g_string_append (quoted, "“");
  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (quoted, "\\u%04X", c);
      else
        g_string_append_len (quoted, p, g_utf8_next_char (p) - p);
    }
  g_string_append (quoted, "”");

  return g_string_free (quoted, FALSE);
}

/* The character at @p, for “found %s”. */
static char *
describe_char (const char *p)
{
  gunichar c;

  if (*p == '\0')
    return g_strdup (_("the end"));
  if (*p == ' ')
    return g_strdup (_("a space"));

  c = g_utf8_get_char (p);
  if (c < 0x20 || c == 0x7f)
    return g_strdup_printf (_("the character U+%04X"), c);

  return g_strdup_printf ("“%.*s”", (int) (g_utf8_next_char (p) - p), p);
}

/* “template “work.file”” or, for a template of no set, its text. */
static char *
describe_template (const QiPathTemplate *self)
{
  g_autofree char *quoted = quote (self->name != NULL ? self->name : self->text, -1);

  return g_strdup_printf (_("template %s"), quoted);
}

/* Where @self was defined, for the start of a message. */
static char *
describe_where (const QiPathTemplate *self)
{
  if (self->origin != NULL)
    return g_strdup (self->origin);
  return describe_template (self);
}

/* Whether @name is a template name: parts of ASCII letters, digits, `_`
 * and `-`, joined by dots, such as `work.file`. */
gboolean
qi_path_template_name_is_valid (const char *name)
{
  const char *p = name;

  for (;;)
    {
      const char *start = p;

      while (is_name_char (*p))
        p++;
      if (p == start)
        return FALSE;
      if (*p == '\0')
        return TRUE;
      if (*p != '.')
        return FALSE;
      p++;
    }
}

/* Parts and fields */

static void
field_free (Field *field)
{
  g_free (field->key);
  g_strfreev (field->parts);
  g_free (field->written);
  g_free (field->written_key);
  g_free (field);
}

static void
part_clear (gpointer data)
{
  Part *part = data;

  g_clear_pointer (&part->text, g_free);
  g_clear_pointer (&part->field, field_free);
}

/* Compiling */

typedef struct
{
  const char *text;
  GArray     *parts;
  GString    *literal;
  const char *literal_start;
  GArray     *opens;     /* of OpenSegment */

  /* character offsets, counted incrementally */
  const char *counted;
  guint       counted_chars;

  /* the first problem */
  const char *where;
  char       *reason;
} Compiler;

typedef struct
{
  guint    part;     /* index of its PART_OPEN */
  gboolean has_key;
} OpenSegment;

/* Parts are added in the order of the text, so @p never goes back. */
static guint
compiler_offset (Compiler   *c,
                 const char *p)
{
  c->counted_chars += g_utf8_pointer_to_offset (c->counted, p);
  c->counted = p;
  return c->counted_chars;
}

/* Records the problem at @where; takes @reason. Returns FALSE. */
G_GNUC_PRINTF (3, 4)
static gboolean
compiler_fail (Compiler   *c,
               const char *where,
               const char *format,
               ...)
{
  va_list args;

  va_start (args, format);
  c->where = where;
  c->reason = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

static void
compiler_add_part (Compiler   *c,
                   PartKind    kind,
                   const char *at,
                   char       *text,
                   Field      *field)
{
  Part part = { kind, compiler_offset (c, at), text, text != NULL ? strlen (text) : 0, field };

  g_array_append_val (c->parts, part);
  if ((kind == PART_FIELD || kind == PART_REFERENCE) && c->opens->len > 0)
    g_array_index (c->opens, OpenSegment, c->opens->len - 1).has_key = TRUE;
}

static void
compiler_flush_literal (Compiler *c)
{
  if (c->literal->len == 0)
    return;

  compiler_add_part (c, PART_LITERAL, c->literal_start, g_strdup (c->literal->str), NULL);
  g_string_truncate (c->literal, 0);
}

static void
compiler_append_literal (Compiler   *c,
                         const char *at,
                         const char *text,
                         gsize       length)
{
  if (c->literal->len == 0)
    c->literal_start = at;
  g_string_append_len (c->literal, text, length);
}

static gboolean
is_align (char c)
{
  return c == '<' || c == '>' || c == '^' || c == '=';
}

/* Reads the decimal digits at *@pp (before @end), at most MAX_WIDTH. */
static gboolean
compile_number (Compiler    *c,
                const char **pp,
                const char  *end,
                const char  *what,
                guint       *value)
{
  const char *start = *pp;
  const char *p = start;
  guint n = 0;

  while (p < end && g_ascii_isdigit (*p))
    {
      n = n * 10 + (*p - '0');
      if (n > MAX_WIDTH)
        return compiler_fail (c, start, _("a %s above %d is not supported"), what, MAX_WIDTH);
      p++;
    }

  *value = n;
  *pp = p;
  return TRUE;
}

/* Reads the format spec [start, end). */
static gboolean
compile_spec (Compiler   *c,
              const char *start,
              const char *end,
              Spec       *spec)
{
  const char *p = start;
  const char *align_at = NULL;
  const char *zero_at = NULL;
  const char *dot = NULL;

  if (p < end)
    {
      const char *next = g_utf8_next_char (p);

      if (next < end && is_align (*next))
        {
          spec->fill = g_utf8_get_char (p);
          if (is_separator (*p))
            return compiler_fail (c, p, _("a fill of “%c” would make folders"), *p);
          align_at = next;
          spec->align = *next;
          p = next + 1;
        }
      else if (is_align (*p))
        {
          align_at = p;
          spec->align = *p++;
        }
    }

  if (p < end && *p == '0')
    {
      zero_at = p;
      spec->zero = TRUE;
      p++;
    }

  if (!compile_number (c, &p, end, _("width"), &spec->width))
    return FALSE;

  if (p < end && *p == '.')
    {
      guint precision;

      dot = p++;
      if (p == end || !g_ascii_isdigit (*p))
        {
          g_autofree char *found = describe_char (p == end ? "" : p);

          return compiler_fail (c, p, _("a precision needs digits after “.”, found %s"), found);
        }
      if (!compile_number (c, &p, end, _("precision"), &precision))
        return FALSE;
      spec->precision = precision;
    }

  if (p < end && (*p == 'd' || *p == 'f' || *p == 's'))
    spec->type = *p++;

  if (p < end)
    {
      g_autofree char *found = describe_char (p);

      return compiler_fail (c, p, _("%s is not part of a format spec, which is "
                                    "[[fill]align][0][width][.precision][type] with type d, f or s"),
                            found);
    }

  if (spec->type == 'd' && dot != NULL)
    return compiler_fail (c, dot, _("an integer (d) takes no precision"));
  if (spec->type == 's' && zero_at != NULL)
    return compiler_fail (c, zero_at, _("“0” pads numbers, not strings (s)"));
  if (spec->type == 's' && spec->align == '=')
    return compiler_fail (c, align_at, _("“=” aligns numbers, not strings (s)"));
  if (spec->precision == 0 && spec->type != 'f')
    return compiler_fail (c, dot, _("a precision of 0 leaves nothing of a string; only f takes it"));

  return TRUE;
}

/* The casing the first part [start, end) of a key asks for. */
static gboolean
compile_casing (Compiler   *c,
                const char *start,
                const char *end,
                Casing     *casing)
{
  gboolean upper = FALSE;
  gboolean lower = FALSE;
  gboolean upper_after_first = FALSE;

  for (const char *p = start; p < end; p++)
    {
      if (g_ascii_isupper (*p))
        {
          upper = TRUE;
          if (p > start)
            upper_after_first = TRUE;
        }
      else if (g_ascii_islower (*p))
        lower = TRUE;
    }

  if (!upper)
    *casing = CASING_AS_IS;
  else if (!lower)
    *casing = CASING_UPPER;
  else if (g_ascii_isupper (*start) && !upper_after_first)
    *casing = CASING_CAPITALIZE;
  else
    {
      g_autofree char *lowered = g_ascii_strdown (start, end - start);
      g_autofree char *capital = g_strdup (lowered);
      g_autofree char *upper_case = g_ascii_strup (start, end - start);

      capital[0] = g_ascii_toupper (capital[0]);
      return compiler_fail (c, start, _("“%.*s” mixes cases: write %s (as is), %s (capitalised) or %s (upper case)"),
                            (int) (end - start), start, lowered, capital, upper_case);
    }

  return TRUE;
}

/* Reads the field or reference at *@pp, which is at its `{`. */
static gboolean
compile_field (Compiler    *c,
               const char **pp)
{
  const char *open = *pp;
  const char *p = open + 1;
  const char *key_start;
  const char *first_end;
  gboolean reference = FALSE;
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree char *found = NULL;
  Spec spec = { 0, 0, FALSE, 0, -1, 0 };
  Casing casing = CASING_AS_IS;
  const char *key_end;
  Field *field;

  if (*p == '@')
    {
      reference = TRUE;
      p++;
    }

  key_start = p;
  while (is_name_char (*p) || (reference && *p == '.'))
    p++;
  first_end = p;

  if (p == key_start)
    {
      if (*p == '\0')
        return compiler_fail (c, open, _("this “{” is never closed"));
      found = describe_char (p);
      return reference
        ? compiler_fail (c, p, _("a reference needs a template name after “{@”, found %s"), found)
        : compiler_fail (c, p, _("a field needs a key, found %s"), found);
    }

  if (reference)
    {
      g_autofree char *name = g_strndup (key_start, p - key_start);

      if (!qi_path_template_name_is_valid (name))
        {
          /* the first empty part: a leading, doubled or trailing dot */
          const char *bad = key_start;

          while (bad < p && !(*bad == '.' && (bad == key_start || bad[-1] == '.')))
            bad++;
          return compiler_fail (c, bad, _("the template name “%s” has an empty part"), name);
        }

      if (*p == '\0')
        return compiler_fail (c, open, _("this “{” is never closed"));
      if (*p != '}')
        {
          found = describe_char (p);
          return compiler_fail (c, p, _("a reference {@name} takes no members or format spec, found %s"), found);
        }
      compiler_add_part (c, PART_REFERENCE, open, g_steal_pointer (&name), NULL);
      *pp = p + 1;
      return TRUE;
    }

  if (!compile_casing (c, key_start, first_end, &casing))
    return FALSE;

  parts = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (parts, g_ascii_strdown (key_start, first_end - key_start));

  while (*p == '[')
    {
      const char *member = ++p;

      while (is_name_char (*p))
        p++;
      if (*p == '\0')
        return compiler_fail (c, open, _("this “{” is never closed"));
      if (p == member)
        {
          found = describe_char (p);
          return compiler_fail (c, p, _("a member needs a name, found %s"), found);
        }
      if (*p != ']')
        {
          found = describe_char (p);
          return compiler_fail (c, p, _("expected “]” after the member, found %s"), found);
        }
      g_ptr_array_add (parts, g_strndup (member, p - member));
      p++;
    }
  key_end = p;

  if (*p == ':')
    {
      const char *spec_start = ++p;

      while (*p != '\0' && *p != '}' && *p != '{')
        p = g_utf8_next_char (p);
      if (*p == '\0')
        return compiler_fail (c, open, _("this “{” is never closed"));
      if (*p == '{')
        return compiler_fail (c, p, _("a format spec cannot hold a field"));
      if (!compile_spec (c, spec_start, p, &spec))
        return FALSE;
    }

  if (*p == '\0')
    return compiler_fail (c, open, _("this “{” is never closed"));
  if (*p == '!')
    return compiler_fail (c, p, _("conversions such as “!r” are not supported"));
  if (*p != '}')
    {
      found = describe_char (p);
      return compiler_fail (c, p, _("expected “[”, “:” or “}” after the key, found %s"), found);
    }
  p++;

  g_ptr_array_add (parts, NULL);

  field = g_new0 (Field, 1);
  field->n_parts = parts->len - 1;
  field->parts = (char **) g_ptr_array_steal (parts, NULL);
  field->key = g_strjoinv (".", field->parts);
  field->written = g_strndup (open, p - open);
  field->written_key = g_strdup_printf ("%.*s}", (int) (key_end - open), open);
  field->kind = strcmp (field->parts[0], "root") == 0 ? KEY_ROOT
              : strcmp (field->key, "hierarchy") == 0 ? KEY_HIERARCHY
              : KEY_PLAIN;
  field->casing = casing;
  field->spec = spec;
  field->lossy = casing != CASING_AS_IS || spec.type == 'f' ||
                 (spec.precision >= 0 && spec.type != 'd');

  compiler_add_part (c, PART_FIELD, open, NULL, field);
  *pp = p;
  return TRUE;
}

static gboolean
compile_text (Compiler *c)
{
  const char *p = c->text;

  while (*p != '\0')
    {
      switch (*p)
        {
        case '{':
          if (p[1] == '{')
            {
              compiler_append_literal (c, p, "{", 1);
              p += 2;
              break;
            }
          compiler_flush_literal (c);
          if (!compile_field (c, &p))
            return FALSE;
          break;

        case '}':
          if (p[1] == '}')
            {
              compiler_append_literal (c, p, "}", 1);
              p += 2;
              break;
            }
          return compiler_fail (c, p, _("this “}” closes no field (write “}}” for a “}”)"));

        case '<':
          {
            OpenSegment segment = { 0, FALSE };

            compiler_flush_literal (c);
            segment.part = c->parts->len;
            g_array_append_val (c->opens, segment);
            compiler_add_part (c, PART_OPEN, p, NULL, NULL);
            p++;
          }
          break;

        case '>':
          {
            OpenSegment segment;

            if (c->opens->len == 0)
              return compiler_fail (c, p, _("this “>” closes no optional segment"));
            compiler_flush_literal (c);
            segment = g_array_index (c->opens, OpenSegment, c->opens->len - 1);
            g_array_remove_index (c->opens, c->opens->len - 1);
            if (!segment.has_key)
              {
                const Part *open = &g_array_index (c->parts, Part, segment.part);

                return compiler_fail (c, g_utf8_offset_to_pointer (c->text, open->offset),
                                      _("this optional segment holds no key, so it would never be dropped"));
              }
            if (c->opens->len > 0)
              g_array_index (c->opens, OpenSegment, c->opens->len - 1).has_key = TRUE;
            compiler_add_part (c, PART_CLOSE, p, NULL, NULL);
            p++;
          }
          break;

        default:
          compiler_append_literal (c, p, p, g_utf8_next_char (p) - p);
          p = g_utf8_next_char (p);
          break;
        }
    }

  compiler_flush_literal (c);

  if (c->opens->len > 0)
    {
      OpenSegment segment = g_array_index (c->opens, OpenSegment, c->opens->len - 1);
      const Part *open = &g_array_index (c->parts, Part, segment.part);

      return compiler_fail (c, g_utf8_offset_to_pointer (c->text, open->offset),
                            _("this “<” is never closed"));
    }

  return TRUE;
}

/* Fills in keys and references, and refuses a key used both as a value
 * and as an object with members. */
static gboolean
compile_keys (Compiler       *c,
              QiPathTemplate *self)
{
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) references = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) key_list = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) reference_list = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < c->parts->len; i++)
    {
      const Part *part = &g_array_index (c->parts, Part, i);

      if (part->kind == PART_FIELD && g_hash_table_add (keys, part->field->key))
        g_ptr_array_add (key_list, g_strdup (part->field->key));
      else if (part->kind == PART_REFERENCE && g_hash_table_add (references, part->text))
        g_ptr_array_add (reference_list, g_strdup (part->text));
    }

  for (guint i = 0; i < c->parts->len; i++)
    {
      const Part *part = &g_array_index (c->parts, Part, i);
      g_autofree char *prefix = NULL;

      if (part->kind != PART_FIELD)
        continue;

      prefix = g_strdup (part->field->key);
      for (char *dot = strrchr (prefix, '.'); dot != NULL; dot = strrchr (prefix, '.'))
        {
          *dot = '\0';
          if (g_hash_table_contains (keys, prefix))
            return compiler_fail (c, g_utf8_offset_to_pointer (c->text, part->offset),
                                  _("%s needs %s to hold members, but the template also uses {%s} as a value"),
                                  part->field->written_key, prefix, prefix);
        }
    }

  g_ptr_array_add (key_list, NULL);
  g_ptr_array_add (reference_list, NULL);
  self->keys = (GStrv) g_ptr_array_steal (key_list, NULL);
  self->references = (GStrv) g_ptr_array_steal (reference_list, NULL);
  return TRUE;
}

QiPathTemplate *
qi_path_template_new_named (const char  *text,
                            const char  *name,
                            const char  *origin,
                            GError     **error)
{
  g_autoptr(QiPathTemplate) self = NULL;
  g_autoptr(GString) literal = NULL;
  g_autoptr(GArray) opens = NULL;
  g_autofree char *prefix = NULL;
  const char *invalid;
  gsize length;
  Compiler c = { 0 };

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (QiPathTemplate, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->name = g_strdup (name);
  self->origin = g_strdup (origin);
  self->parts = g_array_new (FALSE, FALSE, sizeof (Part));
  g_array_set_clear_func (self->parts, part_clear);

  prefix = origin != NULL ? g_strdup_printf ("%s: ", origin)
         : name != NULL ? g_strdup_printf (_("template “%s”: "), name)
         : g_strdup ("");

  length = strlen (text);
  if (length > QI_PATH_TEMPLATE_MAX_LENGTH)
    {
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                   _("%sa template of %" G_GSIZE_FORMAT " bytes is longer than the limit of %d bytes"),
                   prefix, length, QI_PATH_TEMPLATE_MAX_LENGTH);
      return NULL;
    }
  if (!g_utf8_validate (text, length, &invalid))
    {
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_SYNTAX,
                   _("%sthe template is not valid UTF-8 at character %ld"),
                   prefix, g_utf8_pointer_to_offset (text, invalid));
      return NULL;
    }
  self->text = g_strdup (text);

  literal = g_string_new (NULL);
  opens = g_array_new (FALSE, FALSE, sizeof (OpenSegment));
  c.text = self->text;
  c.parts = self->parts;
  c.literal = literal;
  c.opens = opens;
  c.counted = self->text;

  if (!compile_text (&c) || !compile_keys (&c, self))
    {
      g_autofree char *reason = c.reason;
      g_autofree char *quoted = quote (self->text, -1);

      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_SYNTAX,
                   _("%s%s at character %ld: %s"),
                   prefix, quoted,
                   g_utf8_pointer_to_offset (self->text, c.where), reason);
      return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * qi_path_template_new:
 * @text: a template, such as `{root[work]}/{project[name]}/{hierarchy}`
 * @error: return location for a #GError
 *
 * Compiles @text; see #QiPathTemplate for the syntax.
 *
 * A template that is not well formed fails with
 * %QI_TEMPLATE_ERROR_SYNTAX, whose message quotes @text and names the
 * offset of the character at fault (counted in characters from 0) and
 * what is wrong, such as
 * `“{project[name]}/{}” at character 17: a field needs a key, found “}”`.
 * A template longer than %QI_PATH_TEMPLATE_MAX_LENGTH bytes fails with
 * %QI_TEMPLATE_ERROR_LIMIT.
 *
 * Returns: (transfer full): the template, or %NULL with @error set
 */
QiPathTemplate *
qi_path_template_new (const char  *text,
                      GError     **error)
{
  return qi_path_template_new_named (text, NULL, NULL, error);
}

/**
 * qi_path_template_new_with_origin:
 * @text: a template
 * @origin: (nullable): where @text was defined, such as
 *   `settings:anatomy.templates.work.file` or `FILE:LINE:COLUMN`
 * @error: return location for a #GError
 *
 * Compiles @text as qi_path_template_new() does, and keeps @origin: the
 * messages of errors about the template itself (its syntax, its
 * references) start with it.
 *
 * Returns: (transfer full): the template, or %NULL with @error set
 */
QiPathTemplate *
qi_path_template_new_with_origin (const char  *text,
                                  const char  *origin,
                                  GError     **error)
{
  return qi_path_template_new_named (text, NULL, origin, error);
}

/**
 * qi_path_template_ref:
 * @self: a #QiPathTemplate
 *
 * Adds a reference to @self.
 *
 * Returns: (transfer full): @self
 */
QiPathTemplate *
qi_path_template_ref (QiPathTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * qi_path_template_unref:
 * @self: (transfer full): a #QiPathTemplate
 *
 * Drops a reference to @self, freeing it with the last one.
 */
void
qi_path_template_unref (QiPathTemplate *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->text);
  g_free (self->name);
  g_free (self->origin);
  g_array_unref (self->parts);
  g_strfreev (self->keys);
  g_strfreev (self->references);
  g_free (self);
}

/**
 * qi_path_template_get_text:
 * @self: a #QiPathTemplate
 *
 * Returns: the text @self was compiled from
 */
const char *
qi_path_template_get_text (QiPathTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->text;
}

/**
 * qi_path_template_get_name:
 * @self: a #QiPathTemplate
 *
 * Gives the name of @self in its #QiTemplateSet, such as `work.file`.
 *
 * Returns: (nullable): the name, or %NULL for a template made by
 *   qi_path_template_new()
 */
const char *
qi_path_template_get_name (QiPathTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

/**
 * qi_path_template_get_origin:
 * @self: a #QiPathTemplate
 *
 * Returns: (nullable): where @self was defined, or %NULL if that was not
 *   given
 */
const char *
qi_path_template_get_origin (QiPathTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->origin;
}

/**
 * qi_path_template_get_keys:
 * @self: a #QiPathTemplate
 *
 * Gives the keys @self uses itself, in dotted form (`project.name`,
 * `root.work`; the first part in lower case, as it is looked up), each
 * once, in the order they first appear. Keys of referenced templates are
 * not included: see qi_template_set_get_keys().
 *
 * Returns: (transfer none) (array zero-terminated=1): the keys
 */
const char * const *
qi_path_template_get_keys (QiPathTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->keys;
}

/**
 * qi_path_template_get_references:
 * @self: a #QiPathTemplate
 *
 * Gives the names of the templates @self references with `{@name}`, as
 * written, each once, in the order they first appear.
 *
 * Returns: (transfer none) (array zero-terminated=1): the names
 */
const char * const *
qi_path_template_get_references (QiPathTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->references;
}

/* Following references */

typedef struct
{
  const Part           *part;
  const QiPathTemplate *owner;
  guint                 jump;  /* PART_OPEN: the index of its PART_CLOSE */
} Step;

static gboolean
flatten (QiPathTemplate  *self,
         QiTemplateSet   *set,
         GArray          *steps,
         GPtrArray       *stack,
         GError         **error)
{
  g_autoptr(GArray) opens = NULL;
  guint in_stack;

  if (g_ptr_array_find (stack, self, &in_stack))
    {
      g_autoptr(GString) cycle = g_string_new (NULL);
      g_autofree char *where = describe_where (stack->pdata[in_stack]);

      for (guint i = in_stack; i < stack->len; i++)
        g_string_append_printf (cycle, "%s → ", ((QiPathTemplate *) stack->pdata[i])->name);
      g_string_append (cycle, self->name);
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_CYCLE,
                   _("%s: the references make a cycle: %s"), where, cycle->str);
      return FALSE;
    }
  if (stack->len >= MAX_REFERENCE_DEPTH)
    {
      g_autofree char *where = describe_where (stack->pdata[0]);

      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                   _("%s: the references go deeper than %d templates"), where, MAX_REFERENCE_DEPTH);
      return FALSE;
    }

  g_ptr_array_add (stack, self);
  opens = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->parts->len; i++)
    {
      const Part *part = &g_array_index (self->parts, Part, i);
      Step step = { part, self, 0 };

      if (part->kind == PART_REFERENCE)
        {
          QiPathTemplate *target = set != NULL ? qi_template_set_resolve (set, self->name, part->text) : NULL;

          if (target == NULL)
            {
              g_autofree char *where = describe_where (self);

              if (set == NULL)
                g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_REFERENCE,
                             _("%s: at character %u, {@%s} needs a template set to look it up in"),
                             where, part->offset, part->text);
              else
                g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_REFERENCE,
                             _("%s: at character %u, {@%s} names no template of the set"),
                             where, part->offset, part->text);
              return FALSE;
            }
          if (!flatten (target, set, steps, stack, error))
            return FALSE;
          continue;
        }

      if (part->kind == PART_OPEN)
        g_array_append_val (opens, steps->len);
      else if (part->kind == PART_CLOSE)
        {
          guint open = g_array_index (opens, guint, opens->len - 1);

          g_array_remove_index (opens, opens->len - 1);
          g_array_index (steps, Step, open).jump = steps->len;
        }
      g_array_append_val (steps, step);

      if (steps->len > MAX_STEPS)
        {
          g_autofree char *where = describe_where (stack->pdata[0]);

          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                       _("%s: the template has more than %d parts once its references are followed"),
                       where, MAX_STEPS);
          return FALSE;
        }
    }

  g_ptr_array_remove_index (stack, stack->len - 1);
  return TRUE;
}

/* @self with its references followed, as steps. */
static GArray *
program_new (QiPathTemplate  *self,
             QiTemplateSet   *set,
             GError         **error)
{
  g_autoptr(GArray) steps = g_array_new (FALSE, FALSE, sizeof (Step));
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();

  if (!flatten (self, set, steps, stack, error))
    return NULL;
  return g_steal_pointer (&steps);
}

gboolean
qi_path_template_check (QiPathTemplate  *self,
                        QiTemplateSet   *set,
                        GError         **error)
{
  g_autoptr(GArray) steps = program_new (self, set, error);

  return steps != NULL;
}

/* The keys of @steps, each once, in order; roots of @set left out if
 * @without_set_roots. */
static GPtrArray *
program_keys (GArray   *steps,
              gboolean  without_set_roots)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *keys = g_ptr_array_new ();

  for (guint i = 0; i < steps->len; i++)
    {
      const Part *part = g_array_index (steps, Step, i).part;

      if (part->kind != PART_FIELD || (without_set_roots && part->field->kind == KEY_ROOT))
        continue;
      if (g_hash_table_add (seen, part->field->key))
        g_ptr_array_add (keys, part->field->key);
    }

  return keys;
}

GStrv
qi_path_template_collect_keys (QiPathTemplate  *self,
                               QiTemplateSet   *set,
                               GError         **error)
{
  g_autoptr(GArray) steps = program_new (self, set, error);
  g_autoptr(GPtrArray) keys = NULL;
  GStrvBuilder *builder;
  GStrv result;

  if (steps == NULL)
    return NULL;

  keys = program_keys (steps, FALSE);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < keys->len; i++)
    g_strv_builder_add (builder, keys->pdata[i]);
  result = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return result;
}

/* Values */

static char *
describe_node (JsonNode *node)
{
  GType type;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return g_strdup (_("an object"));
    case JSON_NODE_ARRAY:
      return g_strdup (_("an array"));
    case JSON_NODE_NULL:
      return g_strdup ("null");
    case JSON_NODE_VALUE:
      break;
    }

  type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    {
      g_autofree char *quoted = NULL;

      quoted = quote (json_node_get_string (node), -1);
      return g_strdup_printf (_("the string %s"), quoted);
    }
  if (type == G_TYPE_INT64)
    return g_strdup_printf (_("the number %" G_GINT64_FORMAT), json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup_printf (_("the number %s"),
                              g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
    }
  return g_strdup (json_node_get_boolean (node) ? "true" : "false");
}

/* Why @text cannot be the value of @field (a clause to follow “x is the
 * string “…”, ”), or NULL if it can. @text is UTF-8. */
static const char *
value_problem (const Field *field,
               const char  *text)
{
  switch (field->kind)
    {
    case KEY_PLAIN:
      if (strchr (text, '/') != NULL || strchr (text, '\\') != NULL)
        return _("which holds a path separator: only {hierarchy} and the roots span folders");
      if (strcmp (text, ".") == 0 || strcmp (text, "..") == 0)
        return _("which names no folder of its own");
      return NULL;

    case KEY_HIERARCHY:
      if (strchr (text, '\\') != NULL)
        return _("which holds a “\\”; the folders of a hierarchy are separated by “/”");
      for (const char *p = text; ; )
        {
          const char *end = strchr (p, '/');
          gsize length = end != NULL ? (gsize) (end - p) : strlen (p);

          if (length == 0)
            return _("which has an empty folder");
          if ((length == 1 && p[0] == '.') || (length == 2 && p[0] == '.' && p[1] == '.'))
            return _("which has a folder “.” or “..”");
          if (end == NULL)
            return NULL;
          p = end + 1;
        }

    case KEY_ROOT:
      for (const char *p = text; ; )
        {
          gsize length = strcspn (p, "/\\");

          if (length == 2 && p[0] == '.' && p[1] == '.')
            return _("which has a folder “..”");
          if (p[length] == '\0')
            return NULL;
          p += length + 1;
        }
    }

  g_assert_not_reached ();
}

static char *
apply_casing (Casing      casing,
              const char *text)
{
  GString *result;

  if (casing == CASING_AS_IS)
    return g_strdup (text);

  result = g_string_sized_new (strlen (text) + 4);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (casing == CASING_UPPER || p == text)
        g_string_append_unichar (result, g_unichar_toupper (c));
      else
        g_string_append_len (result, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (result, FALSE);
}

static char *
pad (const char *text,
     gunichar    fill,
     char        align,
     guint       width)
{
  glong length = g_utf8_strlen (text, -1);
  char fill_text[6];
  int fill_length;
  GString *result;
  guint padding;
  guint left;

  if (length >= width)
    return g_strdup (text);

  fill_length = g_unichar_to_utf8 (fill, fill_text);
  padding = width - length;
  left = align == '<' ? 0 : align == '^' ? padding / 2 : padding;
  result = g_string_sized_new (strlen (text) + padding * fill_length);

  if (align == '=' && *text == '-')
    {
      g_string_append_c (result, '-');
      text++;
    }
  for (guint i = 0; i < left; i++)
    g_string_append_len (result, fill_text, fill_length);
  g_string_append (result, text);
  for (guint i = left; i < padding; i++)
    g_string_append_len (result, fill_text, fill_length);

  return g_string_free (result, FALSE);
}

static char *
format_fixed (double value,
              int    precision)
{
  char format[8];
  gsize size = 330 + precision;
  char *buffer = g_malloc (size);

  g_snprintf (format, sizeof format, "%%.%df", precision);
  return g_ascii_formatd (buffer, size, format, value);
}

/* The shortest text that reads back as @value: its fewest significant
 * digits, written in scientific notation below 0.0001 and from 10^16
 * (as Python writes floats, without its “.0”). */
static char *
format_shortest (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char format[8];
  int digits;
  int exponent;

  for (digits = 1; digits < 17; digits++)
    {
      g_snprintf (format, sizeof format, "%%.%de", digits - 1);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  g_snprintf (format, sizeof format, "%%.%de", digits - 1);
  g_ascii_formatd (buffer, sizeof buffer, format, value);

  exponent = atoi (strchr (buffer, 'e') + 1);
  if (exponent < -4 || exponent >= 16)
    return g_strdup (buffer);

  g_snprintf (format, sizeof format, "%%.%df", MAX (0, digits - 1 - exponent));
  return g_strdup (g_ascii_formatd (buffer, sizeof buffer, format, value));
}

/* @value as @field writes it, or NULL and why not. @value is a string or
 * a number. */
static char *
format_value (const Field  *field,
              JsonNode     *value,
              char        **reason)
{
  const Spec *spec = &field->spec;
  GType type = json_node_get_value_type (value);
  g_autofree char *digits = NULL;

  if (type == G_TYPE_STRING)
    {
      g_autofree char *cased = NULL;

      if (spec->type == 'd' || spec->type == 'f' || spec->zero || spec->align == '=')
        {
          g_autofree char *described = describe_node (value);

          *reason = g_strdup_printf (_("%s formats a number, but %s is %s"),
                                     field->written, field->key, described);
          return NULL;
        }

      cased = apply_casing (field->casing, json_node_get_string (value));
      if (spec->precision >= 0 && g_utf8_strlen (cased, -1) > spec->precision)
        *g_utf8_offset_to_pointer (cased, spec->precision) = '\0';
      return pad (cased, spec->fill != 0 ? spec->fill : ' ', spec->align != 0 ? spec->align : '<',
                  spec->width);
    }

  if (spec->type == 's' || (spec->type == 0 && spec->precision >= 0))
    {
      g_autofree char *described = describe_node (value);

      *reason = spec->type == 's'
        ? g_strdup_printf (_("%s formats a string, but %s is %s"), field->written, field->key, described)
        : g_strdup_printf (_("%s cuts a string to a precision, but %s is %s; a number takes .Nf"),
                           field->written, field->key, described);
      return NULL;
    }

  if (type == G_TYPE_DOUBLE)
    {
      double number = json_node_get_double (value);

      if (!isfinite (number))
        {
          *reason = g_strdup_printf (_("%s is not a finite number"), field->key);
          return NULL;
        }
      if (spec->type == 'd')
        {
          g_autofree char *described = describe_node (value);

          *reason = g_strdup_printf (_("%s formats an integer, but %s is %s"),
                                     field->written, field->key, described);
          return NULL;
        }
      digits = spec->type == 'f'
        ? format_fixed (number, spec->precision >= 0 ? spec->precision : 6)
        : format_shortest (number);
    }
  else if (spec->type == 'f')
    digits = format_fixed ((double) json_node_get_int (value), spec->precision >= 0 ? spec->precision : 6);
  else
    digits = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));

  return pad (digits,
              spec->fill != 0 ? spec->fill : spec->zero ? '0' : ' ',
              spec->align != 0 ? spec->align : spec->zero ? '=' : '>',
              spec->width);
}

typedef enum {
  LOOKUP_FOUND,
  LOOKUP_MISSING,
  LOOKUP_EMPTY,
  LOOKUP_NO_ROOT,
  LOOKUP_BAD,
} Lookup;

/* Finds the value of @field: in @set's roots for @platform, or in
 * @fields. */
static Lookup
lookup_value (const Field    *field,
              JsonObject     *fields,
              QiTemplateSet  *set,
              QiPlatform      platform,
              JsonNode      **value,
              char          **reason)
{
  JsonObject *object = fields;

  if (field->kind == KEY_ROOT && set != NULL)
    {
      const char *root;

      if (field->n_parts != 2)
        {
          *reason = g_strdup_printf (_("%s names no root of the set; write {root[NAME]}"), field->written_key);
          return LOOKUP_BAD;
        }
      root = qi_template_set_get_root (set, field->parts[1], platform);
      if (root == NULL)
        {
          *reason = g_strdup_printf (_("the template set has no root “%s” for %s"),
                                     field->parts[1], qi_platform_to_string (platform));
          return LOOKUP_NO_ROOT;
        }
      *value = json_node_init_string (json_node_alloc (), root);
      return LOOKUP_FOUND;
    }

  for (guint i = 0; i < field->n_parts; i++)
    {
      JsonNode *node = json_object_get_member (object, field->parts[i]);

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        return LOOKUP_MISSING;

      if (i + 1 < field->n_parts)
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_autoptr(GString) prefix = g_string_new (field->parts[0]);
              g_autofree char *described = describe_node (node);

              for (guint j = 1; j <= i; j++)
                g_string_append_printf (prefix, ".%s", field->parts[j]);
              *reason = g_strdup_printf (_("%s needs %s to hold members, but it is %s"),
                                         field->written_key, prefix->str, described);
              return LOOKUP_BAD;
            }
          object = json_node_get_object (node);
          continue;
        }

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        {
          g_autofree char *described = describe_node (node);

          *reason = g_strdup_printf (_("%s needs a string or a number, but %s is %s"),
                                     field->written_key, field->key, described);
          return LOOKUP_BAD;
        }

      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          const char *text = json_node_get_string (node);
          const char *problem;

          if (*text == '\0')
            return LOOKUP_EMPTY;
          if (!g_utf8_validate (text, -1, NULL))
            {
              *reason = g_strdup_printf (_("%s is not valid UTF-8"), field->key);
              return LOOKUP_BAD;
            }
          problem = value_problem (field, text);
          if (problem != NULL)
            {
              g_autofree char *described = describe_node (node);

              *reason = g_strdup_printf (_("%s is %s, %s"), field->key, described, problem);
              return LOOKUP_BAD;
            }
        }

      *value = json_node_ref (node);
      return LOOKUP_FOUND;
    }

  g_assert_not_reached ();
}

/* Solving */

typedef struct
{
  gsize length; /* of the output when the segment opened */
  guint step;   /* its PART_OPEN */
} Mark;

/* Whether a key of the optional segment opened at @open (not of the
 * segments inside it, which are dropped on their own) is missing or
 * empty: the segment is then dropped whole, whatever its other keys
 * hold, so that the order of its keys does not matter. */
static gboolean
segment_lacks_a_key (GArray        *steps,
                     guint          open,
                     JsonObject    *fields,
                     QiTemplateSet *set,
                     QiPlatform     platform)
{
  guint close = g_array_index (steps, Step, open).jump;

  for (guint pc = open + 1; pc < close; pc++)
    {
      const Step *step = &g_array_index (steps, Step, pc);
      g_autoptr(JsonNode) value = NULL;
      g_autofree char *reason = NULL;
      Lookup found;

      if (step->part->kind == PART_OPEN)
        {
          pc = step->jump;
          continue;
        }
      if (step->part->kind != PART_FIELD)
        continue;
      found = lookup_value (step->part->field, fields, set, platform, &value, &reason);
      if (found == LOOKUP_MISSING || found == LOOKUP_EMPTY)
        return TRUE;
    }
  return FALSE;
}

static char *
program_solve (GArray          *steps,
               QiPathTemplate  *self,
               JsonObject      *fields,
               QiTemplateSet   *set,
               GError         **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (Mark));
  QiPlatform platform = set != NULL ? qi_template_set_get_platform (set) : qi_platform_get_current ();
  guint pc = 0;

  while (pc < steps->len)
    {
      const Step *step = &g_array_index (steps, Step, pc);
      const Field *field = step->part->field;
      g_autoptr(JsonNode) value = NULL;
      g_autofree char *reason = NULL;
      g_autofree char *text = NULL;
      g_autofree char *described = NULL;
      g_autofree char *through = NULL;
      Lookup found;

      switch (step->part->kind)
        {
        case PART_LITERAL:
          g_string_append_len (out, step->part->text, step->part->length);
          pc++;
          continue;

        case PART_OPEN:
          if (segment_lacks_a_key (steps, pc, fields, set, platform))
            {
              pc = step->jump + 1;
              continue;
            }
          {
            Mark mark = { out->len, pc };

            g_array_append_val (marks, mark);
            pc++;
          }
          continue;

        case PART_CLOSE:
          g_array_remove_index (marks, marks->len - 1);
          pc++;
          continue;

        case PART_FIELD:
          break;

        case PART_REFERENCE:
          g_assert_not_reached ();
        }

      found = lookup_value (field, fields, set, platform, &value, &reason);

      if ((found == LOOKUP_MISSING || found == LOOKUP_EMPTY) && marks->len > 0)
        {
          Mark mark = g_array_index (marks, Mark, marks->len - 1);

          g_array_remove_index (marks, marks->len - 1);
          g_string_truncate (out, mark.length);
          pc = g_array_index (steps, Step, mark.step).jump + 1;
          continue;
        }

      if (found == LOOKUP_FOUND)
        {
          text = format_value (field, value, &reason);
          if (text != NULL)
            {
              g_string_append (out, text);
              if (out->len > QI_PATH_TEMPLATE_MAX_PATH)
                {
                  described = describe_template (self);
                  g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                               _("%s makes a path longer than the limit of %d bytes"),
                               described, QI_PATH_TEMPLATE_MAX_PATH);
                  return NULL;
                }
              pc++;
              continue;
            }
        }

      described = describe_template (self);
      if (step->owner != self)
        {
          g_autofree char *owner = describe_template (step->owner);

          through = g_strdup_printf (_(" (in %s)"), owner);
        }

      switch (found)
        {
        case LOOKUP_MISSING:
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_MISSING_KEY,
                       _("%s needs %s%s, which the fields do not have"),
                       described, field->written_key, through != NULL ? through : "");
          break;
        case LOOKUP_EMPTY:
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                       _("%s needs %s%s, which is empty in the fields"),
                       described, field->written_key, through != NULL ? through : "");
          break;
        case LOOKUP_NO_ROOT:
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_MISSING_KEY,
                       _("%s needs %s%s, but %s"),
                       described, field->written_key, through != NULL ? through : "", reason);
          break;
        case LOOKUP_BAD:
        case LOOKUP_FOUND:
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                       "%s%s: %s", described, through != NULL ? through : "", reason);
          break;
        }
      return NULL;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * qi_path_template_solve:
 * @self: a #QiPathTemplate
 * @fields: the values, such as
 *   `{"project": {"name": "demo"}, "task": {"name": "comp"}, "version": 3}`
 * @set: (nullable): the set to look references `{@name}` and roots
 *   `{root[NAME]}` up in, or %NULL
 * @error: return location for a #GError
 *
 * Fills in the fields of @self from @fields (see #QiPathTemplate). A key
 * missing outside an optional segment fails with
 * %QI_TEMPLATE_ERROR_MISSING_KEY naming the key and the template, such as
 * `template “work.file” needs {comment}, which the fields do not have`;
 * a value that does not suit its field fails with
 * %QI_TEMPLATE_ERROR_BAD_VALUE; a root @set does not define for its
 * platform fails with %QI_TEMPLATE_ERROR_MISSING_KEY naming root and
 * platform; a reference without @set, or to a template @set does not
 * have, fails with %QI_TEMPLATE_ERROR_REFERENCE, a cycle of references
 * with %QI_TEMPLATE_ERROR_CYCLE; a path longer than
 * %QI_PATH_TEMPLATE_MAX_PATH bytes with %QI_TEMPLATE_ERROR_LIMIT.
 *
 * Returns: (transfer full): the path, or %NULL with @error set
 */
char *
qi_path_template_solve (QiPathTemplate  *self,
                        JsonObject      *fields,
                        QiTemplateSet   *set,
                        GError         **error)
{
  g_autoptr(GArray) steps = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (fields != NULL, NULL);
  g_return_val_if_fail (set == NULL || QI_IS_TEMPLATE_SET (set), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  steps = program_new (self, set, error);
  if (steps == NULL)
    return NULL;

  return program_solve (steps, self, fields, set, error);
}

/* @self with the references of @set followed, for
 * qi_path_template_solve_compiled(): the same for every solve while @set
 * keeps its templates, so a set keeps it (qi_template_set_solve()). */
GArray *
qi_path_template_compile (QiPathTemplate  *self,
                          QiTemplateSet   *set,
                          GError         **error)
{
  return program_new (self, set, error);
}

char *
qi_path_template_solve_compiled (QiPathTemplate  *self,
                                 GArray          *program,
                                 JsonObject      *fields,
                                 QiTemplateSet   *set,
                                 GError         **error)
{
  return program_solve (program, self, fields, set, error);
}

/* Specialising: a program solved ahead for all of its fields but a few
 * (the frame of each file of a sequence), so that solving it for each
 * value of those is a few steps instead of all of them. */

struct _QiPathProgram
{
  QiPathTemplate *self;
  GPtrArray      *owners;    /* QiPathTemplate: the steps' */
  GPtrArray      *literals;  /* Part: the text solved ahead */
  GArray         *steps;     /* Step */
};

static gboolean
is_varying (const Field        *field,
            const char * const *varying)
{
  return g_strv_contains (varying, field->parts[0]);
}

/* Whether the segment opened at @open has a field of @varying, or (with
 * @nested) another segment in it. */
static gboolean
segment_has (GArray             *steps,
             guint               open,
             const char * const *varying,
             gboolean           *nested)
{
  guint close = g_array_index (steps, Step, open).jump;
  gboolean found = FALSE;

  *nested = FALSE;
  for (guint pc = open + 1; pc < close; pc++)
    {
      const Part *part = g_array_index (steps, Step, pc).part;

      if (part->kind == PART_OPEN)
        *nested = TRUE;
      else if (part->kind == PART_FIELD && is_varying (part->field, varying))
        found = TRUE;
    }
  return found;
}

/* Whether a field of the segment opened at @open that is not of @varying
 * is missing or empty (it drops the segment whatever the others hold). */
static gboolean
segment_lacks_a_fixed_key (GArray             *steps,
                           guint               open,
                           JsonObject         *fields,
                           const char * const *varying,
                           QiTemplateSet      *set,
                           QiPlatform          platform)
{
  guint close = g_array_index (steps, Step, open).jump;

  for (guint pc = open + 1; pc < close; pc++)
    {
      const Part *part = g_array_index (steps, Step, pc).part;
      g_autoptr(JsonNode) value = NULL;
      g_autofree char *reason = NULL;
      Lookup found;

      if (part->kind != PART_FIELD || is_varying (part->field, varying))
        continue;
      found = lookup_value (part->field, fields, set, platform, &value, &reason);
      if (found == LOOKUP_MISSING || found == LOOKUP_EMPTY)
        return TRUE;
    }
  return FALSE;
}

static void
program_flush_literal (QiPathProgram *program,
                       GString       *literal)
{
  Part *part;
  Step step = { NULL, program->self, 0 };

  if (literal->len == 0)
    return;
  part = g_new0 (Part, 1);
  part->kind = PART_LITERAL;
  part->length = literal->len;
  part->text = g_strndup (literal->str, literal->len);
  g_ptr_array_add (program->literals, part);
  step.part = part;
  g_array_append_val (program->steps, step);
  g_string_truncate (literal, 0);
}

static void
literal_part_free (gpointer data)
{
  part_clear (data);
  g_free (data);
}

void
qi_path_program_free (QiPathProgram *program)
{
  if (program == NULL)
    return;
  qi_path_template_unref (program->self);
  g_ptr_array_unref (program->owners);
  g_ptr_array_unref (program->literals);
  g_array_unref (program->steps);
  g_free (program);
}

/* Appends the text of @field (not of @varying) to @literal: FALSE where
 * solving would fail or depends on more than @fields. */
static gboolean
solve_fixed_field (const Field    *field,
                   JsonObject     *fields,
                   QiTemplateSet  *set,
                   QiPlatform      platform,
                   GString        *literal)
{
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *text = NULL;

  if (lookup_value (field, fields, set, platform, &value, &reason) != LOOKUP_FOUND ||
      (text = format_value (field, value, &reason)) == NULL)
    return FALSE;
  g_string_append (literal, text);
  return literal->len <= QI_PATH_TEMPLATE_MAX_PATH;
}

QiPathProgram *
qi_path_template_specialize (QiPathTemplate     *self,
                             GArray             *steps,
                             JsonObject         *fields,
                             const char * const *varying,
                             QiTemplateSet      *set)
{
  QiPathProgram *program = g_new0 (QiPathProgram, 1);
  g_autoptr(GString) literal = g_string_new (NULL);
  QiPlatform platform = set != NULL ? qi_template_set_get_platform (set) : qi_platform_get_current ();
  guint open = G_MAXUINT;   /* in program->steps: the segment of varying fields open, if any */
  guint close = G_MAXUINT;  /* in @steps: where it closes */

  program->self = qi_path_template_ref (self);
  program->owners = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_path_template_unref);
  program->literals = g_ptr_array_new_with_free_func (literal_part_free);
  program->steps = g_array_new (FALSE, FALSE, sizeof (Step));

  for (guint pc = 0; pc < steps->len; pc++)
    {
      const Step *step = &g_array_index (steps, Step, pc);
      const Part *part = step->part;
      gboolean nested;

      if (!g_ptr_array_find (program->owners, step->owner, NULL))
        g_ptr_array_add (program->owners, qi_path_template_ref ((QiPathTemplate *) step->owner));

      switch (part->kind)
        {
        case PART_LITERAL:
          g_string_append_len (literal, part->text, part->length);
          break;

        case PART_FIELD:
          if (!is_varying (part->field, varying))
            {
              /* a failure is left to the solving, which says it */
              if (!solve_fixed_field (part->field, fields, set, platform, literal))
                goto cannot;
              break;
            }
          if (part->field->kind == KEY_ROOT)
            goto cannot;
          program_flush_literal (program, literal);
          g_array_append_val (program->steps, *step);
          break;

        case PART_OPEN:
          if (!segment_has (steps, pc, varying, &nested))
            {
              /* solved now, as a whole: dropped, or its fields solved in
               * turn (a segment inside it is decided when reached) */
              if (segment_lacks_a_key (steps, pc, fields, set, platform))
                pc = step->jump;
              break;
            }
          /* one level of segments that vary (`<.{frame}>`) */
          if (nested || open != G_MAXUINT)
            goto cannot;
          if (segment_lacks_a_fixed_key (steps, pc, fields, varying, set, platform))
            {
              pc = step->jump;
              break;
            }
          program_flush_literal (program, literal);
          open = program->steps->len;
          close = step->jump;
          g_array_append_val (program->steps, *step);
          break;

        case PART_CLOSE:
          if (pc != close)
            break;
          program_flush_literal (program, literal);
          g_array_append_val (program->steps, *step);
          g_array_index (program->steps, Step, open).jump = program->steps->len - 1;
          open = close = G_MAXUINT;
          break;

        case PART_REFERENCE:
          g_assert_not_reached ();
        }
    }
  program_flush_literal (program, literal);
  return program;

cannot:
  qi_path_program_free (program);
  return NULL;
}

char *
qi_path_program_solve (QiPathProgram  *program,
                       JsonObject     *values,
                       QiTemplateSet  *set,
                       GError        **error)
{
  return program_solve (program->steps, program->self, values, set, error);
}

/* Parsing */

typedef struct
{
  const Field *field;
  gsize        start;
  gsize        end;
} Deferred;

typedef enum {
  CHOICE_SKIP,   /* an optional segment: entered, then skipped */
  CHOICE_VALUE,  /* a field that binds its key: each text, each value */
  CHOICE_DEFER,  /* a field whose text may not give the value back */
  CHOICE_ROOT,   /* a root of the set: each platform */
} ChoiceKind;

typedef struct
{
  ChoiceKind  kind;
  guint       pc;
  gsize       start;
  guint       trail_length;
  guint       deferred_length;
  guint       skipped_length;
  int         platform;

  gsize       end;         /* VALUE, DEFER: the end of the text tried last */
  gsize       max_end;
  guint       next;        /* SKIP: 1 once skipped; VALUE: the next
                            * candidate; ROOT: the next platform */
  GPtrArray  *candidates;  /* VALUE: the values of [start, end) */
} Choice;

/* What was expected where reading went furthest. */
typedef enum {
  EXPECT_STEP,
  EXPECT_END,
  EXPECT_AGREEMENT,
} Expect;

typedef struct
{
  GArray        *steps;
  QiTemplateSet *set;
  const char    *path;
  gsize          length;

  QiPlatform     platforms[3];
  guint          n_platforms;

  GHashTable    *bound;     /* key → JsonNode */
  GPtrArray     *trail;     /* keys, in the order bound */
  GArray        *deferred;  /* of Deferred */
  GArray        *skipped;   /* of guint, the PART_OPEN steps skipped */
  int            platform;  /* of the roots read, or -1 */
  GArray        *choices;   /* of Choice */

  guint          tries;
  gboolean       over_limit;

  gboolean       noted;
  gsize          furthest;
  Expect         expect;
  guint          expect_pc;
  char          *expect_text;

  JsonObject    *result;
} Matcher;

static void
choice_clear (gpointer data)
{
  Choice *choice = data;

  g_clear_pointer (&choice->candidates, g_ptr_array_unref);
}

static gboolean
matcher_try (Matcher *m)
{
  if (++m->tries > MAX_TRIES)
    m->over_limit = TRUE;
  return !m->over_limit;
}

/* Notes that reading failed at byte @pos; takes @text. */
static void
matcher_note (Matcher *m,
              gsize    pos,
              Expect   expect,
              guint    pc,
              char    *text)
{
  while (pos > 0 && pos < m->length && (m->path[pos] & 0xC0) == 0x80)
    pos--;

  if (!m->noted || pos > m->furthest)
    {
      m->noted = TRUE;
      m->furthest = pos;
      m->expect = expect;
      m->expect_pc = pc;
      g_free (m->expect_text);
      m->expect_text = text;
    }
  else
    g_free (text);
}

/* How many bytes of [text, text + length) the path holds at @pos; `/`
 * and `\` are the same. */
static gsize
matcher_common (Matcher    *m,
                gsize       pos,
                const char *text,
                gsize       length)
{
  gsize i = 0;

  while (i < length && pos + i < m->length &&
         (m->path[pos + i] == text[i] || (is_separator (m->path[pos + i]) && is_separator (text[i]))))
    i++;
  return i;
}

static void
matcher_bind (Matcher    *m,
              const char *key,
              JsonNode   *value)
{
  g_hash_table_insert (m->bound, (gpointer) key, json_node_ref (value));
  g_ptr_array_add (m->trail, (gpointer) key);
}

static void
matcher_restore (Matcher      *m,
                 const Choice *choice)
{
  while (m->trail->len > choice->trail_length)
    {
      g_hash_table_remove (m->bound, m->trail->pdata[m->trail->len - 1]);
      g_ptr_array_set_size (m->trail, m->trail->len - 1);
    }
  g_array_set_size (m->deferred, choice->deferred_length);
  g_array_set_size (m->skipped, choice->skipped_length);
  m->platform = choice->platform;
}

static void
matcher_push (Matcher    *m,
              ChoiceKind  kind,
              guint       pc,
              gsize       start)
{
  Choice choice = { kind, pc, start, m->trail->len, m->deferred->len, m->skipped->len, m->platform,
                    start, m->length, 0, NULL };

  g_array_append_val (m->choices, choice);
}

static gboolean
value_equal (JsonNode *a,
             JsonNode *b)
{
  GType type = json_node_get_value_type (a);

  if (type != json_node_get_value_type (b))
    return FALSE;
  if (type == G_TYPE_STRING)
    return strcmp (json_node_get_string (a), json_node_get_string (b)) == 0;
  if (type == G_TYPE_INT64)
    return json_node_get_int (a) == json_node_get_int (b);
  return json_node_get_double (a) == json_node_get_double (b);
}

/* Whether @field writes @value as [text, text + length). */
static gboolean
writes (const Field *field,
        JsonNode    *value,
        const char  *text,
        gsize        length)
{
  g_autofree char *reason = NULL;
  g_autofree char *written = format_value (field, value, &reason);

  return written != NULL && strlen (written) == length && memcmp (written, text, length) == 0;
}

static gboolean
is_integer_text (const char *text)
{
  const char *p = text + (*text == '-' ? 1 : 0);

  if (*p == '\0')
    return FALSE;
  for (; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static gboolean
is_number_text (const char *text)
{
  const char *p = text + (*text == '-' ? 1 : 0);

  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    {
      if (!g_ascii_isdigit (*++p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'e')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  return *p == '\0';
}

/* The texts [text, text + length) may hold once the padding of @fill
 * aligned by @align to @width is taken off, the shortest first. */
static GPtrArray *
unpadded (const char *text,
          gsize       length,
          gunichar    fill,
          char        align,
          guint       width)
{
  GPtrArray *cores = g_ptr_array_new_with_free_func (g_free);
  g_autofree const char **chars = NULL;
  glong n = g_utf8_strlen (text, length);
  glong sign;

  if (width == 0 || n > (glong) width)
    {
      g_ptr_array_add (cores, g_strndup (text, length));
      return cores;
    }
  if (n < (glong) width)
    return cores;

  /* the start of each character, and the end */
  chars = g_new (const char *, n + 1);
  for (glong i = 0; i < n; i++)
    chars[i] = i == 0 ? text : g_utf8_next_char (chars[i - 1]);
  chars[n] = text + length;

  /* With “=”, a leading “-” is the sign; where the fill is “-” too it may
   * also be padding (“--1001” is -1001 or 1001 with the fill “-”), so both
   * readings are offered. */
  for (sign = align == '=' && *text == '-' ? 1 : 0; sign >= 0; sign--)
    {
      for (glong core = 1; core <= n - sign; core++)
        {
          glong padding = n - core - sign;
          glong left = align == '<' ? 0 : align == '^' ? padding / 2 : padding;
          glong first = sign;              /* the first character of the left padding */
          glong right = core + sign + left; /* the first of the right padding */
          gboolean ok = TRUE;

          for (glong i = first + left - 1; ok && i >= first; i--)
            ok = g_utf8_get_char (chars[i]) == fill;
          for (glong i = right; ok && i < n; i++)
            ok = g_utf8_get_char (chars[i]) == fill;
          if (!ok)
            continue;

          g_ptr_array_add (cores, g_strdup_printf ("%s%.*s", sign ? "-" : "",
                                                   (int) (chars[right] - chars[first + left]),
                                                   chars[first + left]));
        }
      if (fill != '-')
        break;
    }

  return cores;
}

typedef enum {
  READ_INTEGER,
  READ_NUMBER,
  READ_STRING,
} Reading;

typedef struct
{
  JsonNode *value;
  glong     length;  /* of the text it was read from, padding taken off */
  guint     rank;    /* of its reading, the preferred first */
} Candidate;

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const Candidate *x = a;
  const Candidate *y = b;

  if (x->length != y->length)
    return x->length < y->length ? -1 : 1;
  return x->rank < y->rank ? -1 : x->rank > y->rank ? 1 : 0;
}

static void
candidate_clear (gpointer data)
{
  Candidate *candidate = data;

  g_clear_pointer (&candidate->value, json_node_unref);
}

/* Adds to @candidates the values of @reading that @field writes as
 * [text, text + length). */
static void
read_as (const Field *field,
         Reading      reading,
         guint        rank,
         const char  *text,
         gsize        length,
         GArray      *candidates)
{
  const Spec *spec = &field->spec;
  g_autoptr(GPtrArray) cores = NULL;

  if (reading == READ_STRING)
    cores = unpadded (text, length, spec->fill != 0 ? spec->fill : ' ', spec->align != 0 ? spec->align : '<',
                      spec->width);
  else
    cores = unpadded (text, length,
                      spec->fill != 0 ? spec->fill : spec->zero ? '0' : ' ',
                      spec->align != 0 ? spec->align : spec->zero ? '=' : '>',
                      spec->width);

  for (guint i = 0; i < cores->len; i++)
    {
      const char *core = cores->pdata[i];
      JsonNode *node = NULL;

      switch (reading)
        {
        case READ_INTEGER:
          {
            gint64 integer;

            if (is_integer_text (core) &&
                g_ascii_string_to_signed (core, 10, G_MININT64, G_MAXINT64, &integer, NULL))
              node = json_node_init_int (json_node_alloc (), integer);
          }
          break;

        case READ_NUMBER:
          if (is_number_text (core))
            {
              double number = g_ascii_strtod (core, NULL);

              if (isfinite (number))
                node = json_node_init_double (json_node_alloc (), number);
            }
          break;

        case READ_STRING:
          if (value_problem (field, core) == NULL)
            node = json_node_init_string (json_node_alloc (), core);
          break;
        }

      if (node != NULL && writes (field, node, text, length))
        {
          Candidate candidate = { node, g_utf8_strlen (core, -1), rank };

          g_array_append_val (candidates, candidate);
        }
      else if (node != NULL)
        json_node_unref (node);
    }
}

/* The values @field writes as [text, text + length), each once: first
 * those read with the most padding taken off, then by reading. */
static GPtrArray *
read_candidates (const Field *field,
                 const char  *text,
                 gsize        length)
{
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (Candidate));
  GPtrArray *candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  const Spec *spec = &field->spec;
  Reading order[3];
  guint n = 0;

  g_array_set_clear_func (found, candidate_clear);

  switch (spec->type)
    {
    case 'd':
      order[n++] = READ_INTEGER;
      break;
    case 'f':
      order[n++] = READ_NUMBER;
      order[n++] = READ_INTEGER;
      break;
    case 's':
      order[n++] = READ_STRING;
      break;
    default:
      if (spec->zero || spec->fill == '0')
        {
          order[n++] = READ_INTEGER;
          order[n++] = READ_STRING;
        }
      else
        {
          order[n++] = READ_STRING;
          order[n++] = READ_INTEGER;
        }
      order[n++] = READ_NUMBER;
      break;
    }

  for (guint i = 0; i < n; i++)
    read_as (field, order[i], i, text, length, found);
  g_array_sort (found, compare_candidates);

  for (guint i = 0; i < found->len; i++)
    {
      JsonNode *value = g_array_index (found, Candidate, i).value;
      gboolean seen = FALSE;

      for (guint j = 0; !seen && j < candidates->len; j++)
        seen = value_equal (candidates->pdata[j], value);
      if (!seen)
        g_ptr_array_add (candidates, json_node_ref (value));
    }

  return candidates;
}

static gboolean
matcher_is_set_root (Matcher     *m,
                     const Field *field)
{
  return field->kind == KEY_ROOT && m->set != NULL;
}

static JsonNode *
matcher_root (Matcher     *m,
              const Field *field,
              QiPlatform   platform)
{
  const char *root;

  if (field->n_parts != 2)
    return NULL;
  root = qi_template_set_get_root (m->set, field->parts[1], platform);
  return root != NULL ? json_node_init_string (json_node_alloc (), root) : NULL;
}

/* Reads the text @field writes for @value at *@pos. */
static gboolean
matcher_expect_value (Matcher     *m,
                      guint        pc,
                      gsize       *pos,
                      const Field *field,
                      JsonNode    *value)
{
  g_autofree char *reason = NULL;
  g_autofree char *text = format_value (field, value, &reason);
  gsize length;
  gsize common;

  if (text == NULL)
    {
      matcher_note (m, *pos, EXPECT_STEP, pc, NULL);
      return FALSE;
    }

  length = strlen (text);
  common = matcher_common (m, *pos, text, length);
  if (common < length)
    {
      matcher_note (m, *pos + common, EXPECT_STEP, pc, g_steal_pointer (&text));
      return FALSE;
    }

  *pos += length;
  return TRUE;
}

/* Takes one step at *@pc, *@pos: TRUE if it went on, FALSE if it failed or
 * pushed a choice (which matcher_backtrack() then takes). */
static gboolean
matcher_step (Matcher *m,
              guint   *pc,
              gsize   *pos)
{
  const Step *step = &g_array_index (m->steps, Step, *pc);
  const Part *part = step->part;
  const Field *field = part->field;
  JsonNode *value;

  switch (part->kind)
    {
    case PART_LITERAL:
      {
        gsize common = matcher_common (m, *pos, part->text, part->length);

        if (common < part->length)
          {
            matcher_note (m, *pos + common, EXPECT_STEP, *pc, NULL);
            return FALSE;
          }
        *pos += part->length;
        (*pc)++;
        return TRUE;
      }

    case PART_OPEN:
      matcher_push (m, CHOICE_SKIP, *pc, *pos);
      (*pc)++;
      return TRUE;

    case PART_CLOSE:
      (*pc)++;
      return TRUE;

    case PART_FIELD:
      break;

    case PART_REFERENCE:
      g_assert_not_reached ();
    }

  if (matcher_is_set_root (m, field))
    {
      g_autoptr(JsonNode) root = NULL;

      if (m->platform < 0)
        {
          matcher_push (m, CHOICE_ROOT, *pc, *pos);
          return FALSE;
        }

      root = matcher_root (m, field, m->platform);
      if (root == NULL || !matcher_expect_value (m, *pc, pos, field, root))
        {
          if (root == NULL)
            matcher_note (m, *pos, EXPECT_STEP, *pc, NULL);
          return FALSE;
        }
      (*pc)++;
      return TRUE;
    }

  value = g_hash_table_lookup (m->bound, field->key);
  if (value != NULL)
    {
      if (!matcher_expect_value (m, *pc, pos, field, value))
        return FALSE;
      (*pc)++;
      return TRUE;
    }

  matcher_push (m, field->lossy ? CHOICE_DEFER : CHOICE_VALUE, *pc, *pos);
  {
    Choice *choice = &g_array_index (m->choices, Choice, m->choices->len - 1);

    if (field->kind == KEY_PLAIN)
      {
        gsize end = *pos;

        while (end < m->length && !is_separator (m->path[end]))
          end++;
        choice->max_end = end;
      }
  }
  return FALSE;
}

/* Moves @choice to the next end its text may have. */
static gboolean
matcher_next_end (Matcher *m,
                  Choice  *choice)
{
  const Step *next = choice->pc + 1 < m->steps->len
    ? &g_array_index (m->steps, Step, choice->pc + 1) : NULL;

  /* Ends that cannot be are not tried, but noted as a try would note
   * them, so that the message names the furthest a reading gets. */
  if (next == NULL)
    {
      /* The last field takes the rest. */
      if (choice->end > choice->start || choice->max_end == choice->start)
        return FALSE;
      if (choice->max_end < m->length)
        {
          matcher_note (m, choice->max_end, EXPECT_END, G_MAXUINT, NULL);
          return FALSE;
        }
      choice->end = m->length;
      return matcher_try (m);
    }

  while (choice->end < choice->max_end)
    {
      gsize common;

      if (!matcher_try (m))
        return FALSE;

      choice->end = g_utf8_next_char (m->path + choice->end) - m->path;
      if (next->part->kind != PART_LITERAL)
        return TRUE;
      common = matcher_common (m, choice->end, next->part->text, next->part->length);
      if (common == next->part->length)
        return TRUE;
      matcher_note (m, choice->end + common, EXPECT_STEP, choice->pc + 1, NULL);
    }

  return FALSE;
}

/* Takes the next alternative of @choice. */
static gboolean
matcher_resume (Matcher *m,
                Choice  *choice,
                guint   *pc,
                gsize   *pos)
{
  const Step *step = &g_array_index (m->steps, Step, choice->pc);
  const Field *field = step->part->field;

  switch (choice->kind)
    {
    case CHOICE_SKIP:
      if (choice->next > 0)
        return FALSE;
      choice->next = 1;
      g_array_append_val (m->skipped, choice->pc);
      *pc = step->jump + 1;
      *pos = choice->start;
      return TRUE;

    case CHOICE_ROOT:
      while (choice->next < m->n_platforms)
        {
          QiPlatform platform = m->platforms[choice->next++];
          g_autoptr(JsonNode) root = matcher_root (m, field, platform);
          gsize end = choice->start;

          if (root == NULL)
            {
              matcher_note (m, choice->start, EXPECT_STEP, choice->pc, NULL);
              continue;
            }
          if (matcher_expect_value (m, choice->pc, &end, field, root))
            {
              m->platform = platform;
              *pc = choice->pc + 1;
              *pos = end;
              return TRUE;
            }
        }
      return FALSE;

    case CHOICE_VALUE:
      for (;;)
        {
          if (choice->candidates != NULL && choice->next < choice->candidates->len)
            {
              matcher_bind (m, field->key, choice->candidates->pdata[choice->next++]);
              *pc = choice->pc + 1;
              *pos = choice->end;
              return TRUE;
            }
          g_clear_pointer (&choice->candidates, g_ptr_array_unref);
          if (!matcher_next_end (m, choice))
            {
              matcher_note (m, choice->start, EXPECT_STEP, choice->pc, NULL);
              return FALSE;
            }
          choice->candidates = read_candidates (field, m->path + choice->start, choice->end - choice->start);
          choice->next = 0;
        }

    case CHOICE_DEFER:
      while (matcher_next_end (m, choice))
        {
          g_autoptr(GPtrArray) candidates = read_candidates (field, m->path + choice->start,
                                                             choice->end - choice->start);

          if (candidates->len > 0)
            {
              Deferred deferred = { field, choice->start, choice->end };

              g_array_append_val (m->deferred, deferred);
              *pc = choice->pc + 1;
              *pos = choice->end;
              return TRUE;
            }
        }
      matcher_note (m, choice->start, EXPECT_STEP, choice->pc, NULL);
      return FALSE;
    }

  g_assert_not_reached ();
}

/* Goes back to the latest choice that has an alternative left. */
static gboolean
matcher_backtrack (Matcher *m,
                   guint   *pc,
                   gsize   *pos)
{
  while (m->choices->len > 0 && !m->over_limit)
    {
      Choice *choice = &g_array_index (m->choices, Choice, m->choices->len - 1);

      matcher_restore (m, choice);
      if (matcher_resume (m, choice, pc, pos))
        return TRUE;
      g_array_set_size (m->choices, m->choices->len - 1);
    }

  return FALSE;
}

/* The value for @key that all its deferred fields write, if one does. */
static JsonNode *
matcher_settle (Matcher    *m,
                const char *key)
{
  for (guint i = 0; i < m->deferred->len; i++)
    {
      const Deferred *source = &g_array_index (m->deferred, Deferred, i);
      g_autoptr(GPtrArray) candidates = NULL;

      if (strcmp (source->field->key, key) != 0)
        continue;

      candidates = read_candidates (source->field, m->path + source->start, source->end - source->start);
      for (guint c = 0; c < candidates->len; c++)
        {
          gboolean all = TRUE;

          for (guint j = 0; all && j < m->deferred->len; j++)
            {
              const Deferred *other = &g_array_index (m->deferred, Deferred, j);

              if (strcmp (other->field->key, key) == 0)
                all = writes (other->field, candidates->pdata[c], m->path + other->start,
                              other->end - other->start);
            }
          if (all)
            return json_node_ref (candidates->pdata[c]);
        }
    }

  return NULL;
}

/* Whether a key of the skipped segment at @open is missing, as solving
 * needs for dropping it. */
static gboolean
matcher_segment_lacks_key (Matcher *m,
                           guint    open)
{
  guint close = g_array_index (m->steps, Step, open).jump;

  for (guint pc = open + 1; pc < close; pc++)
    {
      const Step *step = &g_array_index (m->steps, Step, pc);

      if (step->part->kind == PART_OPEN)
        pc = step->jump;
      else if (step->part->kind == PART_FIELD && !matcher_is_set_root (m, step->part->field) &&
               !g_hash_table_contains (m->bound, step->part->field->key))
        return TRUE;
    }

  return FALSE;
}

/* The fields read, nested as the keys are; NULL if one key is both a
 * value and an object. */
static JsonObject *
matcher_output (Matcher *m)
{
  g_autoptr(GPtrArray) keys = program_keys (m->steps, m->set != NULL);
  g_autoptr(JsonObject) result = json_object_new ();

  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = keys->pdata[i];
      JsonNode *value = g_hash_table_lookup (m->bound, key);
      g_auto(GStrv) parts = NULL;
      JsonObject *object = result;
      guint n;

      if (value == NULL)
        continue;

      parts = g_strsplit (key, ".", -1);
      n = g_strv_length (parts);
      for (guint p = 0; p + 1 < n; p++)
        {
          JsonNode *member = json_object_get_member (object, parts[p]);

          if (member == NULL)
            {
              JsonObject *child = json_object_new ();

              json_object_set_object_member (object, parts[p], child);
              object = child;
            }
          else if (JSON_NODE_HOLDS_OBJECT (member))
            object = json_node_get_object (member);
          else
            return NULL;
        }
      if (json_object_has_member (object, parts[n - 1]))
        return NULL;
      json_object_set_member (object, parts[n - 1], json_node_copy (value));
    }

  return g_steal_pointer (&result);
}

/* At the end of the path: settles the deferred fields, checks the
 * skipped segments and builds the result. */
static gboolean
matcher_finish (Matcher *m)
{
  Choice mark = { 0 };

  mark.trail_length = m->trail->len;
  mark.deferred_length = m->deferred->len;
  mark.skipped_length = m->skipped->len;
  mark.platform = m->platform;

  for (guint i = 0; i < m->deferred->len; i++)
    {
      const Deferred *deferred = &g_array_index (m->deferred, Deferred, i);
      JsonNode *value = g_hash_table_lookup (m->bound, deferred->field->key);

      if (value == NULL)
        {
          g_autoptr(JsonNode) settled = matcher_settle (m, deferred->field->key);

          if (settled == NULL)
            goto fail;
          matcher_bind (m, deferred->field->key, settled);
        }
      else if (!writes (deferred->field, value, m->path + deferred->start, deferred->end - deferred->start))
        goto fail;
    }

  for (guint i = 0; i < m->skipped->len; i++)
    if (!matcher_segment_lacks_key (m, g_array_index (m->skipped, guint, i)))
      goto fail;

  m->result = matcher_output (m);
  if (m->result != NULL)
    return TRUE;

fail:
  matcher_restore (m, &mark);
  matcher_note (m, m->length, EXPECT_AGREEMENT, G_MAXUINT, NULL);
  return FALSE;
}

static gboolean
matcher_run (Matcher *m)
{
  guint pc = 0;
  gsize pos = 0;

  for (;;)
    {
      gboolean went_on = FALSE;

      if (!matcher_try (m))
        return FALSE;

      if (pc < m->steps->len)
        went_on = matcher_step (m, &pc, &pos);
      else if (pos < m->length)
        matcher_note (m, pos, EXPECT_END, G_MAXUINT, NULL);
      else if (matcher_finish (m))
        return TRUE;

      if (!went_on && !matcher_backtrack (m, &pc, &pos))
        return FALSE;
    }
}

static char *
matcher_describe_expected (Matcher *m)
{
  const Part *part;

  switch (m->expect)
    {
    case EXPECT_END:
      return g_strdup (_("expected the end of the path"));
    case EXPECT_AGREEMENT:
      return g_strdup (_("the fields read do not agree with each other or with the optional segments left out"));
    case EXPECT_STEP:
      break;
    }

  part = g_array_index (m->steps, Step, m->expect_pc).part;
  if (part->kind == PART_LITERAL)
    {
      g_autofree char *quoted = quote (part->text, part->length);

      return g_strdup_printf (_("expected %s"), quoted);
    }
  if (m->expect_text != NULL)
    {
      g_autofree char *quoted = quote (m->expect_text, -1);

      return g_strdup_printf (_("expected %s, which is %s"), part->field->written, quoted);
    }
  return g_strdup_printf (_("expected %s"), part->field->written);
}

JsonObject *
qi_path_template_parse_full (QiPathTemplate        *self,
                             const char            *path,
                             QiTemplateSet         *set,
                             QiTemplateParseFlags   flags,
                             GError               **error)
{
  g_autoptr(GArray) steps = NULL;
  g_autoptr(GHashTable) bound = NULL;
  g_autoptr(GPtrArray) trail = NULL;
  g_autoptr(GArray) deferred = NULL;
  g_autoptr(GArray) skipped = NULL;
  g_autoptr(GArray) choices = NULL;
  g_autofree char *described = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *normalized = NULL;
  gsize length;
  Matcher m = { 0 };

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (set == NULL || QI_IS_TEMPLATE_SET (set), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  length = strlen (path);
  if (length > QI_PATH_TEMPLATE_MAX_PATH)
    {
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                   _("a path of %" G_GSIZE_FORMAT " bytes is longer than the limit of %d bytes"),
                   length, QI_PATH_TEMPLATE_MAX_PATH);
      return NULL;
    }
  if (!g_utf8_validate (path, length, NULL))
    {
      g_set_error_literal (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_NO_MATCH,
                           _("the path is not valid UTF-8"));
      return NULL;
    }

  steps = program_new (self, set, error);
  if (steps == NULL)
    return NULL;

  /* read as if every `\` were a `/`, so that values span either */
  normalized = g_strdelimit (g_strdup (path), "\\", '/');

  bound = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) json_node_unref);
  trail = g_ptr_array_new ();
  deferred = g_array_new (FALSE, FALSE, sizeof (Deferred));
  skipped = g_array_new (FALSE, FALSE, sizeof (guint));
  choices = g_array_new (FALSE, FALSE, sizeof (Choice));
  g_array_set_clear_func (choices, choice_clear);

  m.steps = steps;
  m.set = set;
  m.path = normalized;
  m.length = length;
  m.bound = bound;
  m.trail = trail;
  m.deferred = deferred;
  m.skipped = skipped;
  m.choices = choices;
  m.platform = -1;

  if (set != NULL)
    {
      QiPlatform platform = qi_template_set_get_platform (set);

      m.platforms[m.n_platforms++] = platform;
      if (flags & QI_TEMPLATE_PARSE_ANY_PLATFORM)
        for (int other = QI_PLATFORM_LINUX; other <= QI_PLATFORM_DARWIN; other++)
          if ((QiPlatform) other != platform)
            m.platforms[m.n_platforms++] = other;
    }

  if (matcher_run (&m))
    {
      g_free (m.expect_text);
      return m.result;
    }

  described = describe_template (self);
  quoted = quote (path, length);

  if (m.over_limit)
    {
      g_free (m.expect_text);
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                   _("reading %s with %s takes more than %d tries; the template is too ambiguous"),
                   quoted, described, MAX_TRIES);
      return NULL;
    }

  expected = matcher_describe_expected (&m);
  g_free (m.expect_text);
  if (m.furthest == length)
    g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_NO_MATCH,
                 _("%s does not match %s at character %ld, its end: %s"),
                 quoted, described, g_utf8_pointer_to_offset (path, path + m.furthest), expected);
  else
    g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_NO_MATCH,
                 _("%s does not match %s at character %ld: %s"),
                 quoted, described, g_utf8_pointer_to_offset (path, path + m.furthest), expected);
  return NULL;
}

/**
 * qi_path_template_parse:
 * @self: a #QiPathTemplate
 * @path: a path, such as one qi_path_template_solve() made
 * @set: (nullable): the set to look references and roots up in, or %NULL
 * @error: return location for a #GError
 *
 * Reads the fields of @self back from @path (see #QiPathTemplate): the
 * object has one member per key read, nested as the keys are
 * (`{"project": {"name": "demo"}}`); roots of @set are matched, for its
 * platform, but not returned. Keys of optional segments left out are
 * missing. `\` in @path reads as `/`.
 *
 * A path the template does not make fails with
 * %QI_TEMPLATE_ERROR_NO_MATCH, whose message names the first character
 * of @path that no reading gets past (the furthest any reading gets,
 * counted in characters from 0; the length of @path if every reading
 * runs out of path) and what was expected there, such as
 * `“/mnt/work/demo/sh010” does not match template “publish.directory” at
 * character 5: expected {root[publish]}, which is “/mnt/publish”`. Since
 * a field takes any text up to a separator, that is often the end of a
 * file name or the next `/`. A path longer
 * than %QI_PATH_TEMPLATE_MAX_PATH bytes, or one that takes more than
 * 200,000 tries to read, fails with %QI_TEMPLATE_ERROR_LIMIT; references
 * fail as for qi_path_template_solve().
 *
 * Returns: (transfer full): the fields, or %NULL with @error set
 */
JsonObject *
qi_path_template_parse (QiPathTemplate  *self,
                        const char      *path,
                        QiTemplateSet   *set,
                        GError         **error)
{
  return qi_path_template_parse_full (self, path, set, QI_TEMPLATE_PARSE_NONE, error);
}
