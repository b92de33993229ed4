/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

static QiSemver *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  QiSemver *version = qi_semver_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (version);
  return version;
}

static void
test_new (void)
{
  g_autoptr(QiSemver) version = qi_semver_new (1, 2, 3);
  g_autoptr(QiSemver) big = qi_semver_new (G_MAXUINT64, 0, G_MAXUINT64);
  g_autofree char *text = qi_semver_to_string (version);
  g_autofree char *big_text = qi_semver_to_string (big);

  g_assert_cmpuint (qi_semver_get_major (version), ==, 1);
  g_assert_cmpuint (qi_semver_get_minor (version), ==, 2);
  g_assert_cmpuint (qi_semver_get_patch (version), ==, 3);
  g_assert_null (qi_semver_get_prerelease (version));
  g_assert_null (qi_semver_get_build (version));
  g_assert_cmpstr (text, ==, "1.2.3");
  g_assert_cmpstr (big_text, ==, "18446744073709551615.0.18446744073709551615");
}

static void
test_parse (void)
{
  static const struct {
    const char *text;
    guint64     major;
    guint64     minor;
    guint64     patch;
    const char *prerelease;
    const char *build;
  } cases[] = {
    { "0.0.0", 0, 0, 0, NULL, NULL },
    { "1.2.3", 1, 2, 3, NULL, NULL },
    { "10.20.30", 10, 20, 30, NULL, NULL },
    { "1.0.0-alpha", 1, 0, 0, "alpha", NULL },
    { "1.0.0-0.3.7", 1, 0, 0, "0.3.7", NULL },
    { "1.0.0-x.7.z.92", 1, 0, 0, "x.7.z.92", NULL },
    { "1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", NULL },
    { "1.0.0--", 1, 0, 0, "-", NULL },
    { "1.0.0-0A.00a", 1, 0, 0, "0A.00a", NULL },
    { "1.0.0-alpha+001", 1, 0, 0, "alpha", "001" },
    { "1.0.0+20130313144700", 1, 0, 0, NULL, "20130313144700" },
    { "1.0.0-beta+exp.sha.5114f85", 1, 0, 0, "beta", "exp.sha.5114f85" },
    { "1.0.0+21AF26D3----117B344092BD", 1, 0, 0, NULL, "21AF26D3----117B344092BD" },
    { "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", 1, 0, 0,
      "alpha-a.b-c-somethinglong", "build.1-aef.1-its-okay" },
    { "1.0.0-18446744073709551615", 1, 0, 0, "18446744073709551615", NULL },
    { "1.0.0-18446744073709551616a", 1, 0, 0, "18446744073709551616a", NULL },
    { "18446744073709551615.18446744073709551615.18446744073709551615",
      G_MAXUINT64, G_MAXUINT64, G_MAXUINT64, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(QiSemver) version = NULL;
      g_autofree char *text = NULL;

      g_test_message ("%s", cases[i].text);
      version = parse_ok (cases[i].text);
      g_assert_cmpuint (qi_semver_get_major (version), ==, cases[i].major);
      g_assert_cmpuint (qi_semver_get_minor (version), ==, cases[i].minor);
      g_assert_cmpuint (qi_semver_get_patch (version), ==, cases[i].patch);
      g_assert_cmpstr (qi_semver_get_prerelease (version), ==, cases[i].prerelease);
      g_assert_cmpstr (qi_semver_get_build (version), ==, cases[i].build);
      text = qi_semver_to_string (version);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* Asserts that @versions are in strictly increasing precedence, pair by
 * pair, in both directions. */
static void
assert_increasing (const char * const *versions,
                   gsize               n)
{
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) qi_semver_free);

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (parsed, parse_ok (versions[i]));

  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < n; j++)
      {
        int expected = i < j ? -1 : i > j ? 1 : 0;

        g_test_message ("%s <=> %s", versions[i], versions[j]);
        g_assert_cmpint (qi_semver_compare (parsed->pdata[i], parsed->pdata[j]), ==, expected);
        g_assert_cmpint (qi_semver_equal (parsed->pdata[i], parsed->pdata[j]), ==, i == j);
      }
}

static void
test_precedence (void)
{
  /* SemVer 2.0.0, rule 11.4's example. */
  static const char * const spec[] = {
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
  };
  /* Rule 11.2: numbers compare numerically, MAJOR first. */
  static const char * const numbers[] = {
    "0.0.0",
    "0.0.1",
    "0.0.9",
    "0.0.10",
    "0.1.0",
    "0.9.99",
    "0.10.0",
    "1.0.0-0",
    "1.0.0",
    "1.9.0",
    "1.10.0",
    "1.11.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
    "10.0.0",
    "18446744073709551615.0.0",
  };
  /* Rule 11.4: numeric identifiers below alphanumeric ones, ASCII order,
   * a longer list above its prefix. */
  static const char * const identifiers[] = {
    "1.0.0-0",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-99999999999",
    "1.0.0-100000000000",
    "1.0.0-18446744073709551615",
    "1.0.0--",
    "1.0.0-0a",
    "1.0.0-A",
    "1.0.0-Z",
    "1.0.0-a",
    "1.0.0-a.0",
    "1.0.0-a.0.0",
    "1.0.0-a.1",
    "1.0.0-a.a",
    "1.0.0-a-",
    "1.0.0-aa",
    "1.0.0-b",
  };

  assert_increasing (spec, G_N_ELEMENTS (spec));
  assert_increasing (numbers, G_N_ELEMENTS (numbers));
  assert_increasing (identifiers, G_N_ELEMENTS (identifiers));
}

static void
test_build_ignored (void)
{
  g_autoptr(QiSemver) a = parse_ok ("1.0.0+a");
  g_autoptr(QiSemver) b = parse_ok ("1.0.0+b.2");
  g_autoptr(QiSemver) plain = parse_ok ("1.0.0");
  g_autoptr(QiSemver) pre = parse_ok ("1.0.0-rc.1+zzz");
  g_autoptr(QiSemver) pre_plain = parse_ok ("1.0.0-rc.1");

  g_assert_cmpint (qi_semver_compare (a, b), ==, 0);
  g_assert_cmpint (qi_semver_compare (b, a), ==, 0);
  g_assert_cmpint (qi_semver_compare (a, plain), ==, 0);
  g_assert_true (qi_semver_equal (a, b));
  g_assert_true (qi_semver_equal (plain, b));
  g_assert_cmpint (qi_semver_compare (pre, pre_plain), ==, 0);
  g_assert_cmpint (qi_semver_compare (pre, a), ==, -1);
  g_assert_cmpint (qi_semver_compare (a, pre), ==, 1);
  g_assert_cmpstr (qi_semver_get_build (a), ==, "a");
  g_assert_cmpstr (qi_semver_get_build (b), ==, "b.2");
}

static void
assert_invalid (const char *text,
                const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiSemver) version = NULL;

  g_test_message ("%s", text);
  version = qi_semver_parse (text, &error);
  g_assert_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_VERSION);
  g_assert_null (version);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_invalid (void)
{
  static const struct {
    const char *text;
    const char *message;
  } cases[] = {
    { "", "“” is not a valid version: it is empty" },
    { "1", "“1” is not a valid version: the MINOR number is missing; a version is MAJOR.MINOR.PATCH, such as “1.2.0”" },
    { "1.2", "“1.2” is not a valid version: the PATCH number is missing; a version is MAJOR.MINOR.PATCH, such as “1.2.0”" },
    { "1.2.", "“1.2.” is not a valid version: the PATCH number is missing; a version is MAJOR.MINOR.PATCH, such as “1.2.0”" },
    { "v1.2.3", "“v1.2.3” is not a valid version: remove the leading “v”" },
    { "V1.2.3", "“V1.2.3” is not a valid version: remove the leading “V”" },
    { "=1.2.3", "“=1.2.3” is not a valid version: expected the MAJOR number, found “=”" },
    { " 1.2.3", "“ 1.2.3” is not a valid version: expected the MAJOR number, found a space" },
    { "1.2.3 ", "“1.2.3 ” is not a valid version: expected “-”, “+” or the end after “1.2.3”, found a space" },
    { "1.2.3\n", "“1.2.3\\n” is not a valid version: expected “-”, “+” or the end after “1.2.3”, found the character U+000A" },
    { "01.2.3", "“01.2.3” is not a valid version: the MAJOR number “01” has a leading zero" },
    { "1.02.3", "“1.02.3” is not a valid version: the MINOR number “02” has a leading zero" },
    { "1.2.00", "“1.2.00” is not a valid version: the PATCH number “00” has a leading zero" },
    { "1.2.3.4", "“1.2.3.4” is not a valid version: expected “-”, “+” or the end after “1.2.3”, found “.”" },
    { "1-2.3", "“1-2.3” is not a valid version: expected “.” after “1”, found “-”" },
    { "1..3", "“1..3” is not a valid version: expected the MINOR number, found “.”" },
    { "1.x.3", "“1.x.3” is not a valid version: expected the MINOR number, found “x”" },
    { "1.2.*", "“1.2.*” is not a valid version: expected the PATCH number, found “*”" },
    { "a.b.c", "“a.b.c” is not a valid version: expected the MAJOR number, found “a”" },
    { "1.2.3-", "“1.2.3-” is not a valid version: the pre-release has an empty identifier" },
    { "1.2.3-a.", "“1.2.3-a.” is not a valid version: the pre-release has an empty identifier" },
    { "1.2.3-a..b", "“1.2.3-a..b” is not a valid version: the pre-release has an empty identifier" },
    { "1.2.3-.a", "“1.2.3-.a” is not a valid version: the pre-release has an empty identifier" },
    { "1.2.3-+b", "“1.2.3-+b” is not a valid version: the pre-release has an empty identifier" },
    { "1.2.3-01", "“1.2.3-01” is not a valid version: the pre-release identifier “01” has a leading zero" },
    { "1.2.3-alpha.00", "“1.2.3-alpha.00” is not a valid version: the pre-release identifier “00” has a leading zero" },
    { "1.2.3-a_b", "“1.2.3-a_b” is not a valid version: the pre-release may only hold ASCII letters, digits, “-” and “.”, found “_”" },
    { "1.2.3-é", "“1.2.3-é” is not a valid version: the pre-release may only hold ASCII letters, digits, “-” and “.”, found “é”" },
    { "1.2.3+", "“1.2.3+” is not a valid version: the build metadata has an empty identifier" },
    { "1.2.3+a..b", "“1.2.3+a..b” is not a valid version: the build metadata has an empty identifier" },
    { "1.2.3+a+b", "“1.2.3+a+b” is not a valid version: the build metadata may only hold ASCII letters, digits, “-” and “.”, found “+”" },
    { "1.2.3+a b", "“1.2.3+a b” is not a valid version: the build metadata may only hold ASCII letters, digits, “-” and “.”, found a space" },
    { "1.2.3\t", "“1.2.3\\t” is not a valid version: expected “-”, “+” or the end after “1.2.3”, found the character U+0009" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_invalid (cases[i].text, cases[i].message);
}

static void
test_overflow (void)
{
  g_autoptr(QiSemver) max = parse_ok ("18446744073709551615.18446744073709551615.18446744073709551615");

  g_assert_cmpuint (qi_semver_get_major (max), ==, G_MAXUINT64);

  assert_invalid ("18446744073709551616.0.0",
                  "“18446744073709551616.0.0” is not a valid version: the MAJOR number "
                  "“18446744073709551616” is larger than 18446744073709551615");
  assert_invalid ("0.99999999999999999999.0",
                  "“0.99999999999999999999.0” is not a valid version: the MINOR number "
                  "“99999999999999999999” is larger than 18446744073709551615");
  assert_invalid ("0.0.18446744073709551620",
                  "“0.0.18446744073709551620” is not a valid version: the PATCH number "
                  "“18446744073709551620” is larger than 18446744073709551615");
  assert_invalid ("1.0.0-rc.18446744073709551616",
                  "“1.0.0-rc.18446744073709551616” is not a valid version: the pre-release "
                  "identifier “18446744073709551616” is larger than 18446744073709551615");
}

static void
test_limits (void)
{
  g_autoptr(GString) text = g_string_new ("1.0.0-");
  g_autoptr(QiSemver) version = NULL;
  g_autoptr(GError) error = NULL;

  while (text->len < QI_SEMVER_MAX_LENGTH)
    g_string_append_c (text, 'a');
  version = parse_ok (text->str);
  g_assert_cmpuint (strlen (qi_semver_get_prerelease (version)), ==, QI_SEMVER_MAX_LENGTH - 6);

  g_string_append_c (text, 'a');
  g_assert_null (qi_semver_parse (text->str, &error));
  g_assert_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_VERSION);
  g_assert_cmpstr (error->message, ==, "a version of 257 bytes is longer than the limit of 256 bytes");
  g_clear_error (&error);

  g_assert_null (qi_semver_parse ("1.0.0-\xff", &error));
  g_assert_error (error, QI_VERSION_ERROR, QI_VERSION_ERROR_INVALID_VERSION);
  g_assert_cmpstr (error->message, ==, "a version is not valid UTF-8");
}

static void
test_boxed (void)
{
  g_autoptr(QiSemver) version = parse_ok ("1.0.0-rc.1+build.5");
  g_autoptr(QiSemver) copy = qi_semver_copy (version);
  QiSemver *boxed;
  g_autofree char *text = NULL;

  g_assert_true (G_TYPE_IS_BOXED (QI_TYPE_SEMVER));
  g_assert_cmpstr (g_type_name (QI_TYPE_SEMVER), ==, "QiSemver");
  g_assert_true (copy != version);
  g_assert_true (qi_semver_equal (copy, version));
  g_assert_cmpstr (qi_semver_get_prerelease (copy), ==, "rc.1");
  g_assert_true (qi_semver_get_prerelease (copy) != qi_semver_get_prerelease (version));
  g_assert_cmpstr (qi_semver_get_build (copy), ==, "build.5");

  boxed = g_boxed_copy (QI_TYPE_SEMVER, version);
  g_clear_pointer (&version, qi_semver_free);
  text = qi_semver_to_string (boxed);
  g_assert_cmpstr (text, ==, "1.0.0-rc.1+build.5");
  g_boxed_free (QI_TYPE_SEMVER, boxed);

  qi_semver_free (NULL);
  g_assert_cmpint (G_TYPE_IS_ENUM (qi_version_error_get_type ()), ==, TRUE);
  g_assert_cmpstr (g_quark_to_string (QI_VERSION_ERROR), ==, "qi-version-error-quark");
}

static void
test_null_is_a_critical (void)
{
  if (g_test_subprocess ())
    {
      g_assert_null (qi_semver_parse (NULL, NULL));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*qi_semver_parse*text != NULL*");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/semver/new", test_new);
  g_test_add_func ("/qi/semver/parse", test_parse);
  g_test_add_func ("/qi/semver/precedence", test_precedence);
  g_test_add_func ("/qi/semver/build-ignored", test_build_ignored);
  g_test_add_func ("/qi/semver/invalid", test_invalid);
  g_test_add_func ("/qi/semver/overflow", test_overflow);
  g_test_add_func ("/qi/semver/limits", test_limits);
  g_test_add_func ("/qi/semver/boxed", test_boxed);
  g_test_add_func ("/qi/semver/null-is-a-critical", test_null_is_a_critical);

  return g_test_run ();
}
