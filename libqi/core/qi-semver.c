/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-semver.h"
#include "qi-semver-private.h"

/**
 * QiSemver:
 *
 * A semantic version, as https://semver.org (SemVer 2.0.0) defines it:
 * `MAJOR.MINOR.PATCH`, an optional pre-release after a `-` and optional
 * build metadata after a `+`, such as `1.2.0`, `1.0.0-beta.2` or
 * `1.0.0+20130313144700`.
 *
 * qi_semver_parse() is strict: no leading `v`, no leading zeros in numbers
 * (build metadata excepted), no empty identifiers, every number within 64
 * bits, at most %QI_SEMVER_MAX_LENGTH bytes. qi_semver_compare() orders
 * versions by SemVer precedence, in which build metadata plays no part.
 *
 * A #QiSemver is a plain value: qi_semver_copy() copies it,
 * qi_semver_free() frees it.
 */

struct _QiSemver
{
  guint64  major;
  guint64  minor;
  guint64  patch;
  char    *prerelease;  /* or NULL; never empty */
  char    *build;       /* or NULL; never empty */
};

G_DEFINE_QUARK (qi-version-error-quark, qi_version_error)

G_DEFINE_BOXED_TYPE (QiSemver, qi_semver, qi_semver_copy, qi_semver_free)

/* Names of the three numbers, as a version is written in messages. */
static const char * const number_names[] = { "MAJOR", "MINOR", "PATCH" };

/* Text helpers, shared with qi-version-range.c */

/* @text as “text”, its control characters escaped. @text is UTF-8. */
char *
qi_semver_quote (const char *text,
                 gsize       length)
{
  GString *quoted = g_string_sized_new (length + 8);
  const char *end = text + length;

  g_string_append (quoted, "“");
  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n')
        g_string_append (quoted, "\\n");
      else if (c == '\t')
        g_string_append (quoted, "\\t");
      else if (c == '\r')
        g_string_append (quoted, "\\r");
      else if (c < 0x20 || c == 0x7f || !g_unichar_isprint (c))
        g_string_append_printf (quoted, "\\u%04X", c);
      else
        g_string_append_len (quoted, p, g_utf8_next_char (p) - p);
    }
  g_string_append (quoted, "”");

  return g_string_free (quoted, FALSE);
}

/* The character at @p, for “expected …, found %s”. */
char *
qi_semver_describe_at (const char *p,
                       const char *end)
{
  gunichar c;

  if (p >= end)
    return g_strdup (_("the end"));
  if (*p == ' ')
    return g_strdup (_("a space"));

  c = g_utf8_get_char (p);
  if (c < 0x20 || c == 0x7f || !g_unichar_isprint (c))
    return g_strdup_printf (_("the character U+%04X"), c);

  return g_strdup_printf ("“%.*s”", (int) (g_utf8_next_char (p) - p), p);
}

/* Scanning */

void
qi_semver_parts_clear (QiSemverParts *parts)
{
  g_clear_pointer (&parts->prerelease, g_free);
  g_clear_pointer (&parts->build, g_free);
}

static gboolean
is_wildcard (char c)
{
  return c == '*' || c == 'x' || c == 'X';
}

static gboolean
is_identifier_char (char c)
{
  return g_ascii_isalnum (c) || c == '-';
}

static gboolean
all_digits (const char *text,
            gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

/* Reads the decimal digits [text, text + length) into @value; FALSE if
 * they do not fit in 64 bits. */
static gboolean
parse_number (const char *text,
              gsize       length,
              guint64    *value)
{
  guint64 n = 0;

  for (gsize i = 0; i < length; i++)
    {
      guint digit = text[i] - '0';

      if (n > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      n = n * 10 + digit;
    }

  *value = n;
  return TRUE;
}

/* Reads the dot-separated identifiers of a pre-release (up to a `+` or the
 * end) or of build metadata (up to the end) from *@pp. Returns NULL and
 * the identifiers, or a reason. */
static char *
scan_identifiers (const char **pp,
                  const char  *end,
                  gboolean     prerelease,
                  char       **identifiers)
{
  const char *start = *pp;
  const char *p = start;

  for (;;)
    {
      const char *id = p;
      gsize length;

      while (p < end && is_identifier_char (*p))
        p++;
      length = p - id;

      if (length == 0 && p < end && *p != '.' && !(prerelease && *p == '+'))
        {
          g_autofree char *found = qi_semver_describe_at (p, end);

          return prerelease
            ? g_strdup_printf (_("the pre-release may only hold ASCII letters, digits, “-” and “.”, found %s"), found)
            : g_strdup_printf (_("the build metadata may only hold ASCII letters, digits, “-” and “.”, found %s"), found);
        }
      if (length == 0)
        return prerelease
          ? g_strdup (_("the pre-release has an empty identifier"))
          : g_strdup (_("the build metadata has an empty identifier"));

      if (prerelease && all_digits (id, length))
        {
          guint64 value;

          if (length > 1 && *id == '0')
            return g_strdup_printf (_("the pre-release identifier “%.*s” has a leading zero"),
                                    (int) length, id);
          if (!parse_number (id, length, &value))
            return g_strdup_printf (_("the pre-release identifier “%.*s” is larger than %" G_GUINT64_FORMAT),
                                    (int) length, id, G_MAXUINT64);
        }

      if (p < end && *p == '.')
        {
          p++;
          continue;
        }
      if (p == end || (prerelease && *p == '+'))
        break;

      {
        g_autofree char *found = qi_semver_describe_at (p, end);

        return prerelease
          ? g_strdup_printf (_("the pre-release may only hold ASCII letters, digits, “-” and “.”, found %s"), found)
          : g_strdup_printf (_("the build metadata may only hold ASCII letters, digits, “-” and “.”, found %s"), found);
      }
    }

  *identifiers = g_strndup (start, p - start);
  *pp = p;
  return NULL;
}

/*
 * qi_semver_scan:
 * @text: UTF-8 text, not necessarily nul-terminated
 * @length: its length in bytes
 * @partial: whether “1”, “1.2”, “*”, “1.x” and “1.2.*” are allowed
 * @parts: (out caller-allocates): what was read
 *
 * Reads a version. Returns NULL and fills @parts, or returns the reason
 * why @text is not a version (a sentence fragment, translated) and leaves
 * @parts empty.
 */
char *
qi_semver_scan (const char    *text,
                gsize          length,
                gboolean       partial,
                QiSemverParts *parts)
{
  g_auto(QiSemverParts) result = { { 0 }, 0 };
  const char *p = text;
  const char *end = text + length;

  memset (parts, 0, sizeof *parts);

  if (length == 0)
    return g_strdup (_("it is empty"));
  if ((*p == 'v' || *p == 'V') && length > 1 && g_ascii_isdigit (p[1]))
    return g_strdup_printf (_("remove the leading “%c”"), *p);

  for (guint i = 0; i < 3; i++)
    {
      const char *start;

      if (i > 0)
        {
          if (p == end && partial)
            break;
          if (p == end)
            return g_strdup_printf (_("the %s number is missing; a version is MAJOR.MINOR.PATCH, "
                                      "such as “1.2.0”"),
                                    number_names[i]);
          if (partial && (*p == '-' || *p == '+'))
            return g_strdup (_("a pre-release or build metadata needs all of MAJOR.MINOR.PATCH"));
          if (*p != '.')
            {
              g_autofree char *found = qi_semver_describe_at (p, end);

              return g_strdup_printf (_("expected “.” after “%.*s”, found %s"),
                                      (int) (p - text), text, found);
            }
          p++;
        }

      if (partial && p < end && is_wildcard (*p))
        {
          result.wildcard = TRUE;
          p++;
          continue;
        }

      if (result.wildcard)
        {
          g_autofree char *found = qi_semver_describe_at (p, end);

          return g_strdup_printf (_("only a wildcard may follow “%.*s”, found %s"),
                                  (int) (p - 1 - text), text, found);
        }

      if (p == end)
        return g_strdup_printf (_("the %s number is missing; a version is MAJOR.MINOR.PATCH, "
                                  "such as “1.2.0”"),
                                number_names[i]);
      if (!g_ascii_isdigit (*p))
        {
          g_autofree char *found = qi_semver_describe_at (p, end);

          return g_strdup_printf (_("expected the %s number, found %s"), number_names[i], found);
        }

      start = p;
      while (p < end && g_ascii_isdigit (*p))
        p++;

      if (p - start > 1 && *start == '0')
        return g_strdup_printf (_("the %s number “%.*s” has a leading zero"),
                                number_names[i], (int) (p - start), start);
      if (!parse_number (start, p - start, &result.numbers[i]))
        return g_strdup_printf (_("the %s number “%.*s” is larger than %" G_GUINT64_FORMAT),
                                number_names[i], (int) (p - start), start, G_MAXUINT64);
      result.n_numbers++;
    }

  if (p < end && result.wildcard && (*p == '-' || *p == '+'))
    return g_strdup (_("a pre-release or build metadata needs all of MAJOR.MINOR.PATCH"));

  if (p < end && result.n_numbers == 3 && *p == '-')
    {
      char *reason;

      p++;
      reason = scan_identifiers (&p, end, TRUE, &result.prerelease);
      if (reason != NULL)
        return reason;
    }

  if (p < end && result.n_numbers == 3 && *p == '+')
    {
      char *reason;

      p++;
      reason = scan_identifiers (&p, end, FALSE, &result.build);
      if (reason != NULL)
        return reason;
    }

  if (p < end)
    {
      g_autofree char *found = qi_semver_describe_at (p, end);

      if (result.wildcard)
        return g_strdup_printf (_("expected the end after “%.*s”, found %s"),
                                (int) (p - text), text, found);
      return g_strdup_printf (_("expected “-”, “+” or the end after “%.*s”, found %s"),
                              (int) (p - text), text, found);
    }

  *parts = result;
  memset (&result, 0, sizeof result);
  return NULL;
}

/* Construction */

QiSemver *
qi_semver_new_full (guint64     major,
                    guint64     minor,
                    guint64     patch,
                    const char *prerelease,
                    const char *build)
{
  QiSemver *self = g_new0 (QiSemver, 1);

  self->major = major;
  self->minor = minor;
  self->patch = patch;
  self->prerelease = g_strdup (prerelease);
  self->build = g_strdup (build);
  return self;
}

/**
 * qi_semver_new:
 * @major: the MAJOR number
 * @minor: the MINOR number
 * @patch: the PATCH number
 *
 * Creates the release version @major.@minor.@patch, without pre-release or
 * build metadata.
 *
 * Returns: (transfer full): a new version
 */
QiSemver *
qi_semver_new (guint64 major,
               guint64 minor,
               guint64 patch)
{
  return qi_semver_new_full (major, minor, patch, NULL, NULL);
}

/**
 * qi_semver_parse:
 * @text: a version, such as `1.2.0` or `1.0.0-rc.1+build.5`
 * @error: return location for a #GError
 *
 * Reads a semantic version (SemVer 2.0.0). The whole of @text must be the
 * version: no leading `v` or `=`, no white space. Numbers (MAJOR, MINOR,
 * PATCH and the numeric identifiers of the pre-release) have no leading
 * zeros and are at most %G_MAXUINT64; identifiers are non-empty and made
 * of ASCII letters, digits and `-`.
 *
 * Errors are %QI_VERSION_ERROR_INVALID_VERSION, with a message that quotes
 * @text and says what is wrong, such as
 * `“1.02.0” is not a valid version: the MINOR number “02” has a leading zero`.
 *
 * Returns: (transfer full): the version, or %NULL with @error set
 */
QiSemver *
qi_semver_parse (const char  *text,
                 GError     **error)
{
  g_auto(QiSemverParts) parts = { { 0 }, 0 };
  g_autofree char *reason = NULL;
  gsize length;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  length = strlen (text);
  if (length > QI_SEMVER_MAX_LENGTH)
    {
      g_set_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_VERSION,
                   _("a version of %" G_GSIZE_FORMAT " bytes is longer than the limit of %d bytes"),
                   length, QI_SEMVER_MAX_LENGTH);
      return NULL;
    }
  if (!g_utf8_validate (text, length, NULL))
    {
      g_set_error_literal (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_VERSION,
                           _("a version is not valid UTF-8"));
      return NULL;
    }

  reason = qi_semver_scan (text, length, FALSE, &parts);
  if (reason != NULL)
    {
      g_autofree char *quoted = qi_semver_quote (text, length);

      g_set_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_VERSION,
                   _("%s is not a valid version: %s"), quoted, reason);
      return NULL;
    }

  return qi_semver_new_full (parts.numbers[0], parts.numbers[1], parts.numbers[2],
                             parts.prerelease, parts.build);
}

/**
 * qi_semver_copy:
 * @self: a #QiSemver
 *
 * Copies @self.
 *
 * Returns: (transfer full): a new version equal to @self, build metadata
 *   included
 */
QiSemver *
qi_semver_copy (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return qi_semver_new_full (self->major, self->minor, self->patch,
                             self->prerelease, self->build);
}

/**
 * qi_semver_free:
 * @self: (nullable): a #QiSemver
 *
 * Frees @self. Does nothing if @self is %NULL.
 */
void
qi_semver_free (QiSemver *self)
{
  if (self == NULL)
    return;

  g_free (self->prerelease);
  g_free (self->build);
  g_free (self);
}

/* Accessors */

/**
 * qi_semver_get_major:
 * @self: a #QiSemver
 *
 * Returns: the MAJOR number of @self
 */
guint64
qi_semver_get_major (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->major;
}

/**
 * qi_semver_get_minor:
 * @self: a #QiSemver
 *
 * Returns: the MINOR number of @self
 */
guint64
qi_semver_get_minor (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->minor;
}

/**
 * qi_semver_get_patch:
 * @self: a #QiSemver
 *
 * Returns: the PATCH number of @self
 */
guint64
qi_semver_get_patch (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->patch;
}

/**
 * qi_semver_get_prerelease:
 * @self: a #QiSemver
 *
 * Gives the pre-release of @self without its `-`: `beta.2` for
 * `1.0.0-beta.2`.
 *
 * Returns: (nullable): the pre-release, or %NULL for a release
 */
const char *
qi_semver_get_prerelease (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->prerelease;
}

/**
 * qi_semver_get_build:
 * @self: a #QiSemver
 *
 * Gives the build metadata of @self without its `+`: `exp.sha.5114f85`
 * for `1.0.0+exp.sha.5114f85`.
 *
 * Returns: (nullable): the build metadata, or %NULL if there is none
 */
const char *
qi_semver_get_build (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->build;
}

/* Precedence */

static int
compare_u64 (guint64 a,
             guint64 b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

/* SemVer 11.4.1–11.4.3 for one pair of identifiers. Numeric identifiers
 * have no leading zeros, so the shorter is the smaller. */
static int
compare_identifier (const char *a,
                    gsize       a_length,
                    const char *b,
                    gsize       b_length)
{
  gboolean a_numeric = all_digits (a, a_length);
  gboolean b_numeric = all_digits (b, b_length);
  int result;

  if (a_numeric && b_numeric)
    {
      if (a_length != b_length)
        return a_length < b_length ? -1 : 1;
      result = memcmp (a, b, a_length);
      return result < 0 ? -1 : result > 0 ? 1 : 0;
    }
  if (a_numeric)
    return -1;
  if (b_numeric)
    return 1;

  result = memcmp (a, b, MIN (a_length, b_length));
  if (result != 0)
    return result < 0 ? -1 : 1;
  return compare_u64 (a_length, b_length);
}

/* SemVer 11.3 and 11.4: a release ranks above its pre-releases; two
 * pre-releases compare identifier by identifier, and a longer one whose
 * leading identifiers are all equal ranks higher (11.4.4). */
static int
compare_prerelease (const char *a,
                    const char *b)
{
  if (a == NULL || b == NULL)
    return a == b ? 0 : a == NULL ? 1 : -1;

  for (;;)
    {
      gsize a_length = strcspn (a, ".");
      gsize b_length = strcspn (b, ".");
      int result = compare_identifier (a, a_length, b, b_length);

      if (result != 0)
        return result;

      a += a_length;
      b += b_length;
      if (*a == '\0' || *b == '\0')
        return *a == *b ? 0 : *a == '\0' ? -1 : 1;
      a++;
      b++;
    }
}

/**
 * qi_semver_compare:
 * @a: a #QiSemver
 * @b: another #QiSemver
 *
 * Orders @a and @b by SemVer precedence (rule 11 of SemVer 2.0.0): MAJOR,
 * MINOR and PATCH numerically; then a release above any of its
 * pre-releases; then pre-releases identifier by identifier, numeric ones
 * numerically and below alphanumeric ones, alphanumeric ones in ASCII
 * order, a longer list above a shorter one it starts with. Build metadata
 * is ignored. So
 * `1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0`.
 *
 * Returns: -1 if @a ranks below @b, 1 if above, 0 if they have the same
 *   precedence
 */
int
qi_semver_compare (const QiSemver *a,
                   const QiSemver *b)
{
  int result;

  g_return_val_if_fail (a != NULL, 0);
  g_return_val_if_fail (b != NULL, 0);

  if ((result = compare_u64 (a->major, b->major)) != 0 ||
      (result = compare_u64 (a->minor, b->minor)) != 0 ||
      (result = compare_u64 (a->patch, b->patch)) != 0)
    return result;

  return compare_prerelease (a->prerelease, b->prerelease);
}

/**
 * qi_semver_equal:
 * @a: a #QiSemver
 * @b: another #QiSemver
 *
 * Whether @a and @b have the same precedence (qi_semver_compare()), that
 * is, are equal but for their build metadata.
 *
 * Returns: %TRUE if @a and @b have the same precedence
 */
gboolean
qi_semver_equal (const QiSemver *a,
                 const QiSemver *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return qi_semver_compare (a, b) == 0;
}

/**
 * qi_semver_to_string:
 * @self: a #QiSemver
 *
 * Writes @self as text, pre-release and build metadata included; the
 * result reads back with qi_semver_parse().
 *
 * Returns: (transfer full): the version as text, such as `1.0.0-rc.1+build.5`
 */
char *
qi_semver_to_string (const QiSemver *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_strdup_printf ("%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT "%s%s%s%s",
                          self->major, self->minor, self->patch,
                          self->prerelease != NULL ? "-" : "",
                          self->prerelease != NULL ? self->prerelease : "",
                          self->build != NULL ? "+" : "",
                          self->build != NULL ? self->build : "");
}
