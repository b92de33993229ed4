/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

#define U64_MAX "18446744073709551615"

static QiVersionRange *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  QiVersionRange *range = qi_version_range_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (range);
  return range;
}

static void
test_contains (void)
{
  static const struct {
    const char *range;
    const char *version;
    gboolean    expected;
  } cases[] = {
    /* Every operator with a full version. */
    { "=1.2.3", "1.2.3", TRUE },
    { "=1.2.3", "1.2.4", FALSE },
    { "=1.2.3", "1.2.3+build.1", TRUE },
    { "==1.2.3", "1.2.3", TRUE },
    { "==1.2.3", "1.2.2", FALSE },
    { "1.2.3", "1.2.3", TRUE },
    { "1.2.3", "1.3.0", FALSE },
    { "=1.2.3+abc", "1.2.3+xyz", TRUE },
    { "!=1.2.3", "1.2.3", FALSE },
    { "!=1.2.3", "1.2.3+b", FALSE },
    { "!=1.2.3", "1.2.4", TRUE },
    { "!=1.2.3", "0.1.0", TRUE },
    { ">1.2.3", "1.2.3", FALSE },
    { ">1.2.3", "1.2.2", FALSE },
    { ">1.2.3", "1.2.4", TRUE },
    { ">=1.2.3", "1.2.3", TRUE },
    { ">=1.2.3", "1.2.2", FALSE },
    { ">=1.2.3", "2.0.0", TRUE },
    { "<1.2.3", "1.2.3", FALSE },
    { "<1.2.3", "1.2.2", TRUE },
    { "<1.2.3", "0.0.0", TRUE },
    { "<=1.2.3", "1.2.3", TRUE },
    { "<=1.2.3", "1.2.4", FALSE },
    { "<=1.2.3", "1.1.9", TRUE },
    /* AND, white space. */
    { ">=1.0, <2", "1.0.0", TRUE },
    { ">=1.0, <2", "1.9.9", TRUE },
    { ">=1.0, <2", "2.0.0", FALSE },
    { ">=1.0, <2", "0.9.9", FALSE },
    { " >= 1.0 ,< 2 ", "1.5.0", TRUE },
    { "\t^1.2\t", "1.2.0", TRUE },
    { ">1.0.0, !=1.5.0, <2", "1.5.0", FALSE },
    { ">1.0.0, !=1.5.0, <2", "1.5.1", TRUE },
    /* Partial versions. */
    { ">=1", "1.0.0", TRUE },
    { ">=1", "0.9.0", FALSE },
    { ">=1.2", "1.2.0", TRUE },
    { ">=1.2", "1.1.9", FALSE },
    { "<2", "2.0.0", FALSE },
    { "<2", "1.99.0", TRUE },
    { "<1.2", "1.1.99", TRUE },
    { "<1.2", "1.2.0", FALSE },
    { ">1", "1.9.9", FALSE },
    { ">1", "2.0.0", TRUE },
    { ">1.2", "1.2.9", FALSE },
    { ">1.2", "1.3.0", TRUE },
    { "<=1", "1.9.9", TRUE },
    { "<=1", "2.0.0", FALSE },
    { "<=1.2", "1.2.9", TRUE },
    { "<=1.2", "1.3.0", FALSE },
    { "=1.2", "1.2.0", TRUE },
    { "=1.2", "1.2.9", TRUE },
    { "=1.2", "1.3.0", FALSE },
    { "=1.2", "1.1.0", FALSE },
    { "1", "1.0.0", TRUE },
    { "1", "1.5.0", TRUE },
    { "1", "2.0.0", FALSE },
    { "1", "0.9.0", FALSE },
    /* Caret. */
    { "^1.2.3", "1.2.3", TRUE },
    { "^1.2.3", "1.9.0", TRUE },
    { "^1.2.3", "2.0.0", FALSE },
    { "^1.2.3", "1.2.2", FALSE },
    { "^1.2", "1.2.0", TRUE },
    { "^1.2", "1.1.0", FALSE },
    { "^1.2", "1.99.0", TRUE },
    { "^1.2", "2.0.0", FALSE },
    { "^1", "1.0.0", TRUE },
    { "^1", "2.0.0", FALSE },
    { "^0.2.3", "0.2.3", TRUE },
    { "^0.2.3", "0.2.9", TRUE },
    { "^0.2.3", "0.3.0", FALSE },
    { "^0.2.3", "0.2.2", FALSE },
    { "^0.2", "0.2.0", TRUE },
    { "^0.2", "0.3.0", FALSE },
    { "^0.0.3", "0.0.3", TRUE },
    { "^0.0.3", "0.0.4", FALSE },
    { "^0.0.3", "0.0.2", FALSE },
    { "^0.0", "0.0.0", TRUE },
    { "^0.0", "0.0.9", TRUE },
    { "^0.0", "0.1.0", FALSE },
    { "^0", "0.0.0", TRUE },
    { "^0", "0.9.9", TRUE },
    { "^0", "1.0.0", FALSE },
    { "^ 1.2", "1.4.0", TRUE },
    /* Tilde. */
    { "~1.2.3", "1.2.3", TRUE },
    { "~1.2.3", "1.2.9", TRUE },
    { "~1.2.3", "1.3.0", FALSE },
    { "~1.2.3", "1.2.2", FALSE },
    { "~1.2", "1.2.0", TRUE },
    { "~1.2", "1.3.0", FALSE },
    { "~1", "1.0.0", TRUE },
    { "~1", "1.9.0", TRUE },
    { "~1", "2.0.0", FALSE },
    { "~0.2.3", "0.2.3", TRUE },
    { "~0.2.3", "0.3.0", FALSE },
    { "~0.0.3", "0.0.9", TRUE },
    { "~0.0.3", "0.1.0", FALSE },
    /* Wildcards. */
    { "*", "0.0.0", TRUE },
    { "*", "99.0.0", TRUE },
    { "x", "3.0.0", TRUE },
    { "1.x", "1.0.0", TRUE },
    { "1.x", "1.99.0", TRUE },
    { "1.x", "2.0.0", FALSE },
    { "1.x", "0.9.0", FALSE },
    { "1.*", "1.5.5", TRUE },
    { "1.x.x", "1.5.5", TRUE },
    { "1.x.x", "2.0.0", FALSE },
    { "1.2.*", "1.2.0", TRUE },
    { "1.2.*", "1.2.99", TRUE },
    { "1.2.*", "1.3.0", FALSE },
    { "1.2.X", "1.2.5", TRUE },
    { "=1.2.x", "1.2.5", TRUE },
    { "==1.*", "1.0.1", TRUE },
    /* Pre-releases only where a comparator names the same release. */
    { "*", "1.0.0-alpha", FALSE },
    { ">=1.0, <2", "1.3.0-beta", FALSE },
    { ">=1.3.0-beta.1", "1.3.0-beta.2", TRUE },
    { ">=1.3.0-beta.1", "1.3.0-beta.1", TRUE },
    { ">=1.3.0-beta.1", "1.3.0-alpha", FALSE },
    { ">=1.3.0-beta.1", "1.3.0", TRUE },
    { ">=1.3.0-beta.1", "1.4.0-beta", FALSE },
    { ">=1.3.0-beta.1", "1.4.0", TRUE },
    { "^1.2.3-beta.2", "1.2.3-beta.3", TRUE },
    { "^1.2.3-beta.2", "1.2.3-beta.1", FALSE },
    { "^1.2.3-beta.2", "1.2.3", TRUE },
    { "^1.2.3-beta.2", "1.2.4-beta", FALSE },
    { "^1.2.3-beta.2", "1.5.0", TRUE },
    { "^1.2.3-beta.2", "2.0.0-alpha", FALSE },
    { "~1.2.3-beta", "1.2.3-beta.1", TRUE },
    { "~1.2.3-beta", "1.2.9", TRUE },
    { "~1.2.3-beta", "1.2.4-beta", FALSE },
    { "<1.0.0-rc.1", "1.0.0-beta", TRUE },
    { "<1.0.0-rc.1", "0.9.0", TRUE },
    { "<1.0.0-rc.1", "0.9.0-beta", FALSE },
    { "=1.0.0-rc.1", "1.0.0-rc.1", TRUE },
    { "=1.0.0-rc.1", "1.0.0-rc.1+b", TRUE },
    { "=1.0.0-rc.1", "1.0.0", FALSE },
    { ">1.0.0-alpha, <1.0.0", "1.0.0-beta", TRUE },
    { ">1.0.0-alpha, <1.0.0", "1.0.0-alpha", FALSE },
    { "!=1.0.0-rc.1", "1.0.0-rc.2", TRUE },
    { "!=1.0.0", "1.0.0-rc.2", FALSE },
    /* OR. */
    { ">=1.2, <1.4 || ^2.1", "1.3.5", TRUE },
    { ">=1.2, <1.4 || ^2.1", "2.4.0", TRUE },
    { ">=1.2, <1.4 || ^2.1", "1.5.0", FALSE },
    { ">=1.2, <1.4 || ^2.1", "2.0.0", FALSE },
    { ">=1.2, <1.4 || ^2.1", "3.0.0", FALSE },
    { "<1||>=3", "0.5.0", TRUE },
    { "<1||>=3", "2.0.0", FALSE },
    { "<1||>=3", "3.1.0", TRUE },
    { "1.0.0-beta || >=2", "1.0.0-beta", TRUE },
    { "1.0.0-beta || >=2", "2.0.0", TRUE },
    { "1.0.0-beta || >=2", "1.0.0", FALSE },
    /* The pre-release rule holds per group. */
    { ">=1.0.0-beta.1 || >=2", "2.1.0-beta", FALSE },
    { ">=1.0.0-beta.1 || >=2", "1.0.0-beta.2", TRUE },
    /* Bounds at the end of the numbers. */
    { "^" U64_MAX, U64_MAX "." U64_MAX "." U64_MAX, TRUE },
    { "^" U64_MAX, U64_MAX ".0.0", TRUE },
    { "^" U64_MAX, "1.0.0", FALSE },
    { ">" U64_MAX, U64_MAX "." U64_MAX "." U64_MAX, FALSE },
    { ">=" U64_MAX, U64_MAX ".0.0", TRUE },
    { "<=" U64_MAX ".1", U64_MAX ".1." U64_MAX, TRUE },
    { "<=" U64_MAX ".1", U64_MAX ".2.0", FALSE },
    { "~0." U64_MAX ".3", "0." U64_MAX ".3", TRUE },
    { "~0." U64_MAX ".3", "0." U64_MAX "." U64_MAX, TRUE },
    { "~0." U64_MAX ".3", "1.0.0", FALSE },
    { "^0.0." U64_MAX, "0.0." U64_MAX, TRUE },
    { "^0.0." U64_MAX, "0.1.0", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QiVersionRange) range = NULL;
      g_autoptr(QiSemver) version = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s contains %s: %s", cases[i].range, cases[i].version,
                      cases[i].expected ? "yes" : "no");
      range = parse_ok (cases[i].range);
      version = qi_semver_parse (cases[i].version, &error);
      g_assert_no_error (error);
      g_assert_cmpint (qi_version_range_contains (range, version), ==, cases[i].expected);
    }
}

static void
test_to_string (void)
{
  static const struct {
    const char *range;
    const char *normal;
  } cases[] = {
    { ">=1.0, <2", ">=1.0.0, <2.0.0" },
    { " >= 1.0 , < 2 ", ">=1.0.0, <2.0.0" },
    { "1.2.0", "=1.2.0" },
    { "==1.2.0", "=1.2.0" },
    { "!=1.2.0", "!=1.2.0" },
    { ">1.2.3", ">1.2.3" },
    { "<=1.2.3", "<=1.2.3" },
    { "=1.2.3+build.7", "=1.2.3" },
    { "^1.2", ">=1.2.0, <2.0.0" },
    { "^1.2.3", ">=1.2.3, <2.0.0" },
    { "^0.2.3", ">=0.2.3, <0.3.0" },
    { "^0.0.3", ">=0.0.3, <0.0.4" },
    { "^0.0", ">=0.0.0, <0.1.0" },
    { "^0", ">=0.0.0, <1.0.0" },
    { "~1.2", ">=1.2.0, <1.3.0" },
    { "~1", ">=1.0.0, <2.0.0" },
    { "~1.2.3-beta", ">=1.2.3-beta, <1.3.0" },
    { "*", "*" },
    { "1.x", ">=1.0.0, <2.0.0" },
    { "1.2.*", ">=1.2.0, <1.3.0" },
    { ">1.2", ">=1.3.0" },
    { "<=1.2", "<1.3.0" },
    { ">1", ">=2.0.0" },
    { "<=1", "<2.0.0" },
    { "=1.2", ">=1.2.0, <1.3.0" },
    { "*, <2", "<2.0.0" },
    { ">=1.2, <1.4 || ^2.1", ">=1.2.0, <1.4.0 || >=2.1.0, <3.0.0" },
    { "* || 1.0.0", "* || =1.0.0" },
    { "^" U64_MAX, ">=" U64_MAX ".0.0, <=" U64_MAX "." U64_MAX "." U64_MAX },
    { ">" U64_MAX, ">" U64_MAX "." U64_MAX "." U64_MAX },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QiVersionRange) range = NULL;
      g_autoptr(QiVersionRange) again = NULL;
      g_autofree char *normal = NULL;
      g_autofree char *normal_again = NULL;

      g_test_message ("%s", cases[i].range);
      range = parse_ok (cases[i].range);
      g_assert_cmpstr (qi_version_range_get_text (range), ==, cases[i].range);
      normal = qi_version_range_to_string (range);
      g_assert_cmpstr (normal, ==, cases[i].normal);

      /* The normal form reads back as itself. */
      again = parse_ok (normal);
      normal_again = qi_version_range_to_string (again);
      g_assert_cmpstr (normal_again, ==, normal);
    }
}

static void
assert_invalid (const char *text,
                const char *message)
{
  g_autoptr(QiVersionRange) range = NULL;
  g_autoptr(GError) error = NULL;

  g_test_message ("%s", text);
  range = qi_version_range_parse (text, &error);
  g_assert_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_RANGE);
  g_assert_null (range);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_invalid (void)
{
  static const struct {
    const char *text;
    const char *message;
  } cases[] = {
    { "", "“”: the range is empty; write “*” to allow any version" },
    { " \t ", "“ \\t ”: the range is empty; write “*” to allow any version" },
    { ">=1.0, <<2", "“>=1.0, <<2”: “<<2” is not a comparator" },
    { "=>1.0", "“=>1.0”: “=>1.0” is not a comparator" },
    { "~>1.0", "“~>1.0”: “~>1.0” is not a comparator" },
    { "latest", "“latest”: “latest” is not a comparator" },
    { ">=1.0,", "“>=1.0,”: a comparator is missing after “,”" },
    { ">=1.0,, <2", "“>=1.0,, <2”: a comparator is missing after “,”" },
    { ", <2", "“, <2”: a comparator is missing before “,”" },
    { ">=1 ||", "“>=1 ||”: a comparator is missing after “||”" },
    { "|| >=1", "“|| >=1”: a comparator is missing before “||”" },
    { ">=1 || , <2", "“>=1 || , <2”: a comparator is missing after “||”" },
    { ">=1.0 <2", "“>=1.0 <2”: “>=1.0 <2” is not a comparator: separate comparators with “,”" },
    { "1.0 | 2.0", "“1.0 | 2.0”: “1.0 | 2.0” is not a comparator: separate comparators with “,”" },
    { ">=", "“>=”: “>=” is not a comparator: a version must follow “>=”" },
    { ">=1, ^ ", "“>=1, ^ ”: “^” is not a comparator: a version must follow “^”" },
    { ">=1.02", "“>=1.02”: “>=1.02” is not a comparator: the MINOR number “02” has a leading zero" },
    { "^v1.2", "“^v1.2”: “^v1.2” is not a comparator: remove the leading “v”" },
    { ">=1.2-beta", "“>=1.2-beta”: “>=1.2-beta” is not a comparator: "
      "a pre-release or build metadata needs all of MAJOR.MINOR.PATCH" },
    { "1.x-beta", "“1.x-beta”: “1.x-beta” is not a comparator: "
      "a pre-release or build metadata needs all of MAJOR.MINOR.PATCH" },
    { ">=1.x", "“>=1.x”: “>=1.x” is not a comparator: a wildcard takes no operator but “=”, not “>=”" },
    { "^*", "“^*”: “^*” is not a comparator: a wildcard takes no operator but “=”, not “^”" },
    { "!=1.2", "“!=1.2”: “!=1.2” is not a comparator: “!=” needs all of MAJOR.MINOR.PATCH" },
    { "1.x.3", "“1.x.3”: “1.x.3” is not a comparator: only a wildcard may follow “1.x”, found “3”" },
    { "1.2.x.4", "“1.2.x.4”: “1.2.x.4” is not a comparator: expected the end after “1.2.x”, found “.”" },
    { "1.2.3.4", "“1.2.3.4”: “1.2.3.4” is not a comparator: "
      "expected “-”, “+” or the end after “1.2.3”, found “.”" },
    { "1.2.", "“1.2.”: “1.2.” is not a comparator: "
      "the PATCH number is missing; a version is MAJOR.MINOR.PATCH, such as “1.2.0”" },
    { ">=1.0.0-01", "“>=1.0.0-01”: “>=1.0.0-01” is not a comparator: "
      "the pre-release identifier “01” has a leading zero" },
    { "<99999999999999999999", "“<99999999999999999999”: “<99999999999999999999” is not a comparator: "
      "the MAJOR number “99999999999999999999” is larger than 18446744073709551615" },
    { ">=1.0, <2\n", "“>=1.0, <2\\n”: “<2\\n” is not a comparator: "
      "expected “.” after “2”, found the character U+000A" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_invalid (cases[i].text, cases[i].message);
}

static void
test_limits (void)
{
  g_autoptr(GString) text = g_string_new (">=1");
  g_autoptr(QiVersionRange) range = NULL;
  g_autoptr(QiSemver) version = qi_semver_new (1, 0, 0);
  g_autoptr(GError) error = NULL;

  while (text->len + 5 <= QI_VERSION_RANGE_MAX_LENGTH)
    g_string_append (text, ", >=1");
  while (text->len < QI_VERSION_RANGE_MAX_LENGTH)
    g_string_append_c (text, ' ');
  g_assert_cmpuint (text->len, ==, QI_VERSION_RANGE_MAX_LENGTH);
  range = parse_ok (text->str);
  g_assert_true (qi_version_range_contains (range, version));

  g_string_append_c (text, ' ');
  g_assert_null (qi_version_range_parse (text->str, &error));
  g_assert_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_RANGE);
  g_assert_cmpstr (error->message, ==, "a version range of 1025 bytes is longer than the limit of 1024 bytes");
  g_clear_error (&error);

  g_assert_null (qi_version_range_parse (">=1.0, <\xc0\x80", &error));
  g_assert_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_RANGE);
  g_assert_cmpstr (error->message, ==, "a version range is not valid UTF-8");
}

static void
test_boxed (void)
{
  g_autoptr(QiVersionRange) range = parse_ok (" ^1.2 || ~0.3 ");
  g_autoptr(QiVersionRange) copy = qi_version_range_copy (range);
  g_autoptr(QiSemver) inside = qi_semver_new (0, 3, 7);
  g_autoptr(QiSemver) outside = qi_semver_new (0, 4, 0);
  g_autofree char *normal = NULL;
  QiVersionRange *boxed;

  g_assert_true (G_TYPE_IS_BOXED (QI_TYPE_VERSION_RANGE));
  g_assert_cmpstr (g_type_name (QI_TYPE_VERSION_RANGE), ==, "QiVersionRange");

  g_assert_true (copy != range);
  g_assert_cmpstr (qi_version_range_get_text (copy), ==, " ^1.2 || ~0.3 ");
  g_assert_true (qi_version_range_get_text (copy) != qi_version_range_get_text (range));

  boxed = g_boxed_copy (QI_TYPE_VERSION_RANGE, copy);
  g_clear_pointer (&range, qi_version_range_free);
  g_clear_pointer (&copy, qi_version_range_free);
  normal = qi_version_range_to_string (boxed);
  g_assert_cmpstr (normal, ==, ">=1.2.0, <2.0.0 || >=0.3.0, <0.4.0");
  g_assert_true (qi_version_range_contains (boxed, inside));
  g_assert_false (qi_version_range_contains (boxed, outside));
  g_boxed_free (QI_TYPE_VERSION_RANGE, boxed);

  qi_version_range_free (NULL);
}

static void
test_null_is_a_critical (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(QiVersionRange) range = parse_ok ("*");

      g_assert_false (qi_version_range_contains (range, NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*qi_version_range_contains*version != NULL*");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/version-range/contains", test_contains);
  g_test_add_func ("/qi/version-range/to-string", test_to_string);
  g_test_add_func ("/qi/version-range/invalid", test_invalid);
  g_test_add_func ("/qi/version-range/limits", test_limits);
  g_test_add_func ("/qi/version-range/boxed", test_boxed);
  g_test_add_func ("/qi/version-range/null-is-a-critical", test_null_is_a_critical);

  return g_test_run ();
}
