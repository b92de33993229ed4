/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-version-range.h"
#include "qi-semver-private.h"

/**
 * QiVersionRange:
 *
 * A set of versions, as the `[dependencies]` of an `addon.toml` name them:
 *
 * |[
 * [dependencies]
 * ui-kit = ">=1.0, <2"
 * loader = "^1.2"
 * ]|
 *
 * A range is one or more comparators separated by commas, all of which a
 * version must satisfy. Groups of comparators may be joined with `||`; a
 * version is in the range if it is in any group, so
 * `>=1.2, <1.4 || ^2.1` holds 1.3.5 and 2.4.0. White space around
 * comparators and between an operator and its version is allowed.
 *
 * The comparators:
 *
 * - `=1.2.3` or `==1.2.3`, and a bare `1.2.3`: exactly that version (build
 *   metadata is ignored);
 * - `!=1.2.3`: any version but that one;
 * - `>1.2.3`, `>=1.2.3`, `<1.2.3`, `<=1.2.3`;
 * - `^1.2.3`: compatible with 1.2.3, that is `>=1.2.3, <2.0.0`; left of the
 *   first non-zero number nothing may change, so `^0.2.3` is
 *   `>=0.2.3, <0.3.0` and `^0.0.3` is `>=0.0.3, <0.0.4`;
 * - `~1.2.3`: `>=1.2.3, <1.3.0`;
 * - `*`: any version; `1.x`, `1.*` and `1.x.x`: `>=1.0.0, <2.0.0`;
 *   `1.2.x` and `1.2.*`: `>=1.2.0, <1.3.0`.
 *
 * A comparator's version may be partial, as in Cargo and npm: `>=1.2` is
 * `>=1.2.0` and `<2` is `<2.0.0`, while `>1.2` is `>=1.3.0`, `<=1.2` is
 * `<1.3.0`, `=1.2` and a bare `1.2` are `1.2.x`, `^1.2` is `>=1.2.0, <2.0.0`,
 * `^0.0` is `>=0.0.0, <0.1.0`, `~1` is `>=1.0.0, <2.0.0`. `!=` needs a full
 * version; a wildcard takes no operator but `=`.
 *
 * Pre-releases follow Cargo and npm: a version with a pre-release is in a
 * group only if it satisfies all of the group's comparators and one of
 * them names a pre-release of the same MAJOR.MINOR.PATCH. So `1.3.0-beta`
 * is not in `>=1.0, <2` (nor in `*`), but `1.3.0-beta.2` is in
 * `>=1.3.0-beta.1`, while `1.4.0-beta` is not.
 *
 * qi_version_range_to_string() writes the range in its normal form, every
 * comparator reduced to `=`, `!=`, `>`, `>=`, `<` or `<=` and a full
 * version: `>=1.0.0, <2.0.0` for `>=1.0, <2`.
 */

typedef enum {
  OP_EQ,
  OP_NE,
  OP_GT,
  OP_GE,
  OP_LT,
  OP_LE,
} Op;

static const char * const op_names[] = { "=", "!=", ">", ">=", "<", "<=" };

G_STATIC_ASSERT (G_N_ELEMENTS (op_names) == OP_LE + 1);

typedef struct
{
  Op        op;
  QiSemver *version;  /* without build metadata */
} Comparator;

struct _QiVersionRange
{
  char      *text;    /* as written */
  GPtrArray *groups;  /* of GArray of Comparator; an empty group is `*` */
};

G_DEFINE_BOXED_TYPE (QiVersionRange, qi_version_range,
                     qi_version_range_copy, qi_version_range_free)

/* What a comparator is written with, before it is reduced to Op. */
typedef enum {
  WRITTEN_BARE,
  WRITTEN_EQ,
  WRITTEN_NE,
  WRITTEN_GT,
  WRITTEN_GE,
  WRITTEN_LT,
  WRITTEN_LE,
  WRITTEN_CARET,
  WRITTEN_TILDE,
} Written;

static const struct {
  const char *text;
  Written     written;
} operators[] = {
  /* Longest first. */
  { "==", WRITTEN_EQ },
  { "!=", WRITTEN_NE },
  { ">=", WRITTEN_GE },
  { "<=", WRITTEN_LE },
  { "=", WRITTEN_EQ },
  { ">", WRITTEN_GT },
  { "<", WRITTEN_LT },
  { "^", WRITTEN_CARET },
  { "~", WRITTEN_TILDE },
};

static void
comparator_clear (gpointer data)
{
  Comparator *comparator = data;

  g_clear_pointer (&comparator->version, qi_semver_free);
}

static GArray *
group_new (void)
{
  GArray *group = g_array_new (FALSE, FALSE, sizeof (Comparator));

  g_array_set_clear_func (group, comparator_clear);
  return group;
}

static void
group_add (GArray   *group,
           Op        op,
           QiSemver *version)
{
  Comparator comparator = { op, version };

  g_array_append_val (group, comparator);
}

/* Adds the bound just past everything that starts with numbers[0..level]:
 * @op the next version at @level (`<` for an upper bound, `>=` for the
 * lower bound of what comes after), or, if that number cannot grow,
 * @op_at_max the largest version that starts so (`<=`, `>`). */
static void
group_add_bound (GArray        *group,
                 const guint64  numbers[3],
                 guint          level,
                 Op             op,
                 Op             op_at_max)
{
  guint64 bound[3] = { 0, 0, 0 };

  for (guint i = 0; i < level; i++)
    bound[i] = numbers[i];

  if (numbers[level] == G_MAXUINT64)
    {
      for (guint i = level; i < 3; i++)
        bound[i] = G_MAXUINT64;
      group_add (group, op_at_max, qi_semver_new (bound[0], bound[1], bound[2]));
    }
  else
    {
      bound[level] = numbers[level] + 1;
      group_add (group, op, qi_semver_new (bound[0], bound[1], bound[2]));
    }
}

#define group_add_upper(group, numbers, level) \
  group_add_bound ((group), (numbers), (level), OP_LT, OP_LE)
#define group_add_lower_after(group, numbers, level) \
  group_add_bound ((group), (numbers), (level), OP_GE, OP_GT)

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static void
set_range_error (GError     **error,
                 const char  *text,
                 gsize        length,
                 const char  *format,
                 ...) G_GNUC_PRINTF (4, 5);

static void
set_range_error (GError     **error,
                 const char  *text,
                 gsize        length,
                 const char  *format,
                 ...)
{
  g_autofree char *quoted = qi_semver_quote (text, length);
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_RANGE,
               "%s: %s", quoted, detail);
}

/* Reads the comparator [start, end), already trimmed and not empty, into
 * @group. On failure, returns the reason, or "" when the text is not a
 * comparator at all. */
static char *
parse_comparator (const char *start,
                  const char *end,
                  GArray     *group)
{
  g_auto(QiSemverParts) parts = { { 0 }, 0 };
  Written written = WRITTEN_BARE;
  const char *op_text = "";
  const char *v = start;
  char *reason;

  for (guint i = 0; i < G_N_ELEMENTS (operators); i++)
    {
      gsize length = strlen (operators[i].text);

      if ((gsize) (end - start) >= length && memcmp (start, operators[i].text, length) == 0)
        {
          written = operators[i].written;
          op_text = operators[i].text;
          v = start + length;
          break;
        }
    }

  while (v < end && is_blank (*v))
    v++;

  if (v == end)
    return g_strdup_printf (_("a version must follow “%s”"), op_text);
  if (!g_ascii_isdigit (*v) && *v != '*' && *v != 'x' && *v != 'X' &&
      !((*v == 'v' || *v == 'V') && v + 1 < end && g_ascii_isdigit (v[1])))
    return g_strdup ("");

  for (const char *p = v; p < end; p++)
    if (is_blank (*p))
      return g_strdup (_("separate comparators with “,”"));

  reason = qi_semver_scan (v, end - v, TRUE, &parts);
  if (reason != NULL)
    return reason;

  if (parts.wildcard && written != WRITTEN_BARE && written != WRITTEN_EQ)
    return g_strdup_printf (_("a wildcard takes no operator but “=”, not “%s”"), op_text);

  if (parts.n_numbers == 3)
    {
      QiSemver *version = qi_semver_new_full (parts.numbers[0], parts.numbers[1], parts.numbers[2],
                                              parts.prerelease, NULL);

      switch (written)
        {
        case WRITTEN_BARE:
        case WRITTEN_EQ:
          group_add (group, OP_EQ, version);
          break;
        case WRITTEN_NE:
          group_add (group, OP_NE, version);
          break;
        case WRITTEN_GT:
          group_add (group, OP_GT, version);
          break;
        case WRITTEN_GE:
          group_add (group, OP_GE, version);
          break;
        case WRITTEN_LT:
          group_add (group, OP_LT, version);
          break;
        case WRITTEN_LE:
          group_add (group, OP_LE, version);
          break;
        case WRITTEN_CARET:
          group_add (group, OP_GE, version);
          group_add_upper (group, parts.numbers,
                           parts.numbers[0] != 0 ? 0 : parts.numbers[1] != 0 ? 1 : 2);
          break;
        case WRITTEN_TILDE:
          group_add (group, OP_GE, version);
          group_add_upper (group, parts.numbers, 1);
          break;
        default:
          g_assert_not_reached ();
        }
      return NULL;
    }

  /* A partial version or a wildcard: numbers[0..n_numbers) were given,
   * the rest are zeros. */
  {
    guint level = parts.n_numbers - 1;  /* the last number given */
    QiSemver *lower = qi_semver_new (parts.numbers[0], parts.numbers[1], parts.numbers[2]);

    switch (written)
      {
      case WRITTEN_BARE:
      case WRITTEN_EQ:
        if (parts.n_numbers == 0)
          {
            /* `*`: no condition. */
            qi_semver_free (lower);
            break;
          }
        group_add (group, OP_GE, lower);
        group_add_upper (group, parts.numbers, level);
        break;
      case WRITTEN_NE:
        qi_semver_free (lower);
        return g_strdup (_("“!=” needs all of MAJOR.MINOR.PATCH"));
      case WRITTEN_GT:
        qi_semver_free (lower);
        group_add_lower_after (group, parts.numbers, level);
        break;
      case WRITTEN_GE:
        group_add (group, OP_GE, lower);
        break;
      case WRITTEN_LT:
        group_add (group, OP_LT, lower);
        break;
      case WRITTEN_LE:
        qi_semver_free (lower);
        group_add_upper (group, parts.numbers, level);
        break;
      case WRITTEN_CARET:
        group_add (group, OP_GE, lower);
        group_add_upper (group, parts.numbers, parts.numbers[0] != 0 ? 0 : level);
        break;
      case WRITTEN_TILDE:
        group_add (group, OP_GE, lower);
        group_add_upper (group, parts.numbers, parts.n_numbers == 1 ? 0 : 1);
        break;
      default:
        g_assert_not_reached ();
      }
  }

  return NULL;
}

/**
 * qi_version_range_parse:
 * @text: a version range, such as `>=1.0, <2` or `^1.2`
 * @error: return location for a #GError
 *
 * Reads a version range; see #QiVersionRange for what it may hold. An
 * empty range is refused: write `*` to allow any version.
 *
 * Errors are %QI_VERSION_ERROR_INVALID_RANGE, with a message that quotes
 * @text and names the comparator at fault, such as
 * `“>=1.0, <<2”: “<<2” is not a comparator`.
 *
 * Returns: (transfer full): the range, or %NULL with @error set
 */
QiVersionRange *
qi_version_range_parse (const char  *text,
                        GError     **error)
{
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GArray) group = NULL;
  QiVersionRange *self;
  const char *end;
  const char *p;
  gsize length;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  length = strlen (text);
  if (length > QI_VERSION_RANGE_MAX_LENGTH)
    {
      g_set_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_RANGE,
                   _("a version range of %" G_GSIZE_FORMAT " bytes is longer than the limit of %d bytes"),
                   length, QI_VERSION_RANGE_MAX_LENGTH);
      return NULL;
    }
  if (!g_utf8_validate (text, length, NULL))
    {
      g_set_error_literal (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_RANGE,
                           _("a version range is not valid UTF-8"));
      return NULL;
    }

  end = text + length;
  for (p = text; p < end && is_blank (*p); p++)
    ;
  if (p == end)
    {
      set_range_error (error, text, length,
                       _("the range is empty; write “*” to allow any version"));
      return NULL;
    }

  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  group = group_new ();
  p = text;

  for (;;)
    {
      const char *q = p;
      const char *start = p;
      const char *stop;
      g_autofree char *reason = NULL;

      while (q < end && *q != ',' && !(*q == '|' && q + 1 < end && q[1] == '|'))
        q++;
      stop = q;
      while (start < stop && is_blank (*start))
        start++;
      while (stop > start && is_blank (stop[-1]))
        stop--;

      if (start == stop)
        {
          if (p > text)
            set_range_error (error, text, length, _("a comparator is missing after “%s”"),
                             p[-1] == ',' ? "," : "||");
          else
            set_range_error (error, text, length, _("a comparator is missing before “%s”"),
                             *q == ',' ? "," : "||");
          return NULL;
        }

      reason = parse_comparator (start, stop, group);
      if (reason != NULL)
        {
          g_autofree char *quoted = qi_semver_quote (start, stop - start);

          if (*reason == '\0')
            set_range_error (error, text, length, _("%s is not a comparator"), quoted);
          else
            set_range_error (error, text, length, _("%s is not a comparator: %s"), quoted, reason);
          return NULL;
        }

      if (q == end)
        break;
      if (*q == ',')
        {
          p = q + 1;
          continue;
        }

      /* `||`: a new group. */
      g_ptr_array_add (groups, g_steal_pointer (&group));
      group = group_new ();
      p = q + 2;
    }

  g_ptr_array_add (groups, g_steal_pointer (&group));

  self = g_new0 (QiVersionRange, 1);
  self->text = g_strdup (text);
  self->groups = g_steal_pointer (&groups);
  return self;
}

/**
 * qi_version_range_copy:
 * @self: a #QiVersionRange
 *
 * Copies @self.
 *
 * Returns: (transfer full): a new range equal to @self
 */
QiVersionRange *
qi_version_range_copy (const QiVersionRange *self)
{
  QiVersionRange *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (QiVersionRange, 1);
  copy->text = g_strdup (self->text);
  copy->groups = g_ptr_array_new_full (self->groups->len, (GDestroyNotify) g_array_unref);

  for (guint i = 0; i < self->groups->len; i++)
    {
      GArray *group = g_ptr_array_index (self->groups, i);
      GArray *group_copy = group_new ();

      for (guint j = 0; j < group->len; j++)
        {
          const Comparator *comparator = &g_array_index (group, Comparator, j);

          group_add (group_copy, comparator->op, qi_semver_copy (comparator->version));
        }
      g_ptr_array_add (copy->groups, group_copy);
    }

  return copy;
}

/**
 * qi_version_range_free:
 * @self: (nullable): a #QiVersionRange
 *
 * Frees @self. Does nothing if @self is %NULL.
 */
void
qi_version_range_free (QiVersionRange *self)
{
  if (self == NULL)
    return;

  g_free (self->text);
  g_ptr_array_unref (self->groups);
  g_free (self);
}

static gboolean
comparator_holds (const Comparator *comparator,
                  const QiSemver   *version)
{
  int order = qi_semver_compare (version, comparator->version);

  switch (comparator->op)
    {
    case OP_EQ:
      return order == 0;
    case OP_NE:
      return order != 0;
    case OP_GT:
      return order > 0;
    case OP_GE:
      return order >= 0;
    case OP_LT:
      return order < 0;
    case OP_LE:
      return order <= 0;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
same_release (const QiSemver *a,
              const QiSemver *b)
{
  return qi_semver_get_major (a) == qi_semver_get_major (b) &&
         qi_semver_get_minor (a) == qi_semver_get_minor (b) &&
         qi_semver_get_patch (a) == qi_semver_get_patch (b);
}

static gboolean
group_contains (GArray         *group,
                const QiSemver *version)
{
  gboolean prerelease_allowed = qi_semver_get_prerelease (version) == NULL;

  for (guint i = 0; i < group->len; i++)
    {
      const Comparator *comparator = &g_array_index (group, Comparator, i);

      if (!comparator_holds (comparator, version))
        return FALSE;
      if (qi_semver_get_prerelease (comparator->version) != NULL &&
          same_release (comparator->version, version))
        prerelease_allowed = TRUE;
    }

  return prerelease_allowed;
}

/**
 * qi_version_range_contains:
 * @self: a #QiVersionRange
 * @version: a #QiSemver
 *
 * Whether @version is in @self: whether it satisfies every comparator of
 * one of the groups of @self. A version with a pre-release is in a group
 * only if one of the group's comparators names a pre-release of the same
 * MAJOR.MINOR.PATCH (see #QiVersionRange). Build metadata is ignored.
 *
 * Returns: %TRUE if @version is in @self
 */
gboolean
qi_version_range_contains (const QiVersionRange *self,
                           const QiSemver       *version)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (version != NULL, FALSE);

  for (guint i = 0; i < self->groups->len; i++)
    if (group_contains (g_ptr_array_index (self->groups, i), version))
      return TRUE;

  return FALSE;
}

/**
 * qi_version_range_get_text:
 * @self: a #QiVersionRange
 *
 * Gives the range as it was written, given to qi_version_range_parse().
 *
 * Returns: the text of @self
 */
const char *
qi_version_range_get_text (const QiVersionRange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->text;
}

/**
 * qi_version_range_to_string:
 * @self: a #QiVersionRange
 *
 * Writes @self in its normal form: every comparator as `=`, `!=`, `>`,
 * `>=`, `<` or `<=` and a full version without build metadata, separated
 * by `, `; groups separated by ` || `; a group without comparators as `*`.
 * So `>=1.0, <2` gives `>=1.0.0, <2.0.0`, `^0.2.3` gives
 * `>=0.2.3, <0.3.0` and `1.2.0` gives `=1.2.0`. The result reads back with
 * qi_version_range_parse() as the same range.
 *
 * Returns: (transfer full): the normal form of @self
 */
char *
qi_version_range_to_string (const QiVersionRange *self)
{
  GString *string;

  g_return_val_if_fail (self != NULL, NULL);

  string = g_string_new (NULL);
  for (guint i = 0; i < self->groups->len; i++)
    {
      GArray *group = g_ptr_array_index (self->groups, i);

      if (i > 0)
        g_string_append (string, " || ");
      if (group->len == 0)
        g_string_append (string, "*");

      for (guint j = 0; j < group->len; j++)
        {
          const Comparator *comparator = &g_array_index (group, Comparator, j);
          g_autofree char *version = qi_semver_to_string (comparator->version);

          if (j > 0)
            g_string_append (string, ", ");
          g_string_append (string, op_names[comparator->op]);
          g_string_append (string, version);
        }
    }

  return g_string_free (string, FALSE);
}
