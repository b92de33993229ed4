/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <qi/qi.h>

static JsonNode *
parse_ok (const char       *document,
          QiTomlParseFlags  flags)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (flags);
  g_autoptr(GError) error = NULL;

  qi_toml_parser_load_from_data (parser, document, -1, NULL, &error);
  g_assert_no_error (error);

  return qi_toml_parser_steal_root (parser);
}

static JsonNode *
lookup (JsonNode   *root,
        const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_ARRAY (node))
        node = json_array_get_element (json_node_get_array (node),
                                       (guint) g_ascii_strtoull (parts[i], NULL, 10));
      else
        node = json_object_get_member (json_node_get_object (node), parts[i]);

      g_assert_nonnull (node);
    }

  return node;
}

static void
assert_int (JsonNode   *root,
            const char *path,
            gint64      expected)
{
  JsonNode *node = lookup (root, path);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (node), ==, expected);
}

static void
assert_double (JsonNode   *root,
               const char *path,
               double      expected)
{
  JsonNode *node = lookup (root, path);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (node), ==, expected);
}

static void
assert_string (JsonNode   *root,
               const char *path,
               const char *expected)
{
  JsonNode *node = lookup (root, path);

  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  g_assert_cmpstr (json_node_get_string (node), ==, expected);
}

static void
assert_tagged (JsonNode   *root,
               const char *path,
               const char *type,
               const char *value)
{
  JsonObject *object = json_node_get_object (lookup (root, path));

  g_assert_cmpuint (json_object_get_size (object), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, type);
  g_assert_cmpstr (json_object_get_string_member (object, "value"), ==, value);
}

static void
test_types (void)
{
  g_autoptr(JsonNode) root = parse_ok (
    "max = 9_223_372_036_854_775_807\n"
    "min = -9223372036854775808\n"
    "hex = 0xDEAD_beef\n"
    "oct = 0o755\n"
    "bin = 0b1101\n"
    "pi = 3.1415\n"
    "exp = -2E-2\n"
    "zero = -0.0\n"
    "pinf = +inf\n"
    "ninf = -inf\n"
    "nan = nan\n"
    "yes = true\n"
    "no = false\n"
    "text = \"tab\\there \\u00e9\"\n"
    "raw = 'C:\\path'\n"
    "multi = \"\"\"\n  one \\\n  two\"\"\"\n"
    "mixed = [1, \"two\", [3.0], {four = 4}]\n"
    "[server.net]\n"
    "port = 8080\n"
    "[[job]]\n"
    "name = \"a\"\n"
    "[[job]]\n"
    "name = \"b\"\n"
    "[job.limits]\n"
    "cpu = 2\n",
    QI_TOML_PARSE_DEFAULT);
  JsonNode *node;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  assert_int (root, "max", G_MAXINT64);
  assert_int (root, "min", G_MININT64);
  assert_int (root, "hex", 0xdeadbeef);
  assert_int (root, "oct", 0755);
  assert_int (root, "bin", 13);
  assert_double (root, "pi", 3.1415);
  assert_double (root, "exp", -0.02);
  assert_double (root, "zero", 0.0);
  g_assert_true (signbit (json_node_get_double (lookup (root, "zero"))));
  g_assert_true (isinf (json_node_get_double (lookup (root, "pinf"))));
  g_assert_cmpfloat (json_node_get_double (lookup (root, "pinf")), >, 0);
  g_assert_true (isinf (json_node_get_double (lookup (root, "ninf"))));
  g_assert_cmpfloat (json_node_get_double (lookup (root, "ninf")), <, 0);
  g_assert_true (isnan (json_node_get_double (lookup (root, "nan"))));
  g_assert_true (json_node_get_boolean (lookup (root, "yes")));
  g_assert_false (json_node_get_boolean (lookup (root, "no")));
  assert_string (root, "text", "tab\there \xc3\xa9");
  assert_string (root, "raw", "C:\\path");
  assert_string (root, "multi", "  one two");

  node = lookup (root, "mixed");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 4);
  assert_int (root, "mixed.0", 1);
  assert_string (root, "mixed.1", "two");
  assert_double (root, "mixed.2.0", 3.0);
  assert_int (root, "mixed.3.four", 4);

  assert_int (root, "server.net.port", 8080);

  node = lookup (root, "job");
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 2);
  assert_string (root, "job.0.name", "a");
  assert_string (root, "job.1.name", "b");
  assert_int (root, "job.1.limits.cpu", 2);
  g_assert_false (json_object_has_member (json_node_get_object (lookup (root, "job.0")), "limits"));
}

static void
test_tagged (void)
{
  g_autoptr(JsonNode) root = parse_ok (
    "hex = 0xff\n"
    "neg = -17\n"
    "f = 1.5\n"
    "inf = -inf\n"
    "nan = +nan\n"
    "b = true\n"
    "s = \"x\"\n"
    "odt = 1979-05-27t07:32:00.6z\n"
    "space = 1979-05-27 07:32:00-07:00\n"
    "ldt = 1979-05-27T07:32:00.1234567891\n"
    "ld = 1979-05-27\n"
    "lt = 07:32:00\n"
    "[t]\n"
    "a = [1]\n",
    QI_TOML_PARSE_TAGGED);

  assert_tagged (root, "hex", "integer", "255");
  assert_tagged (root, "neg", "integer", "-17");
  assert_tagged (root, "f", "float", "1.5");
  assert_tagged (root, "inf", "float", "-inf");
  assert_tagged (root, "nan", "float", "nan");
  assert_tagged (root, "b", "bool", "true");
  assert_tagged (root, "s", "string", "x");
  assert_tagged (root, "odt", "datetime", "1979-05-27T07:32:00.600Z");
  assert_tagged (root, "space", "datetime", "1979-05-27T07:32:00-07:00");
  assert_tagged (root, "ldt", "datetime-local", "1979-05-27T07:32:00.123456789");
  assert_tagged (root, "ld", "date-local", "1979-05-27");
  assert_tagged (root, "lt", "time-local", "07:32:00");
  assert_tagged (root, "t.a.0", "integer", "1");
}

static void
test_datetime (void)
{
  g_autoptr(JsonNode) root = parse_ok (
    "odt = 1979-05-27T07:32:00.5+05:30\n"
    "utc = 2000-02-29T23:59:60Z\n"
    "ldt = 1979-05-27T07:32:00\n"
    "ld = 1979-05-27\n"
    "lt = 07:32:00.25\n"
    "n = 1\n"
    "fake = { \"$date-local\" = \"2024-01-02\" }\n",
    QI_TOML_PARSE_DEFAULT);
  g_autoptr(GDateTime) datetime = NULL;
  g_autoptr(GError) error = NULL;
  QiTomlDatetimeKind kind;
  JsonNode *node;

  node = lookup (root, "odt");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "$datetime"),
                   ==, "1979-05-27T07:32:00.500+05:30");
  g_assert_cmpint (qi_toml_node_get_datetime_kind (node), ==, QI_TOML_DATETIME_OFFSET);
  g_assert_cmpstr (qi_toml_node_get_datetime (node, &kind), ==, "1979-05-27T07:32:00.500+05:30");
  g_assert_cmpint (kind, ==, QI_TOML_DATETIME_OFFSET);

  datetime = qi_toml_node_dup_gdatetime (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_get_year (datetime), ==, 1979);
  g_assert_cmpint (g_date_time_get_month (datetime), ==, 5);
  g_assert_cmpint (g_date_time_get_day_of_month (datetime), ==, 27);
  g_assert_cmpint (g_date_time_get_hour (datetime), ==, 7);
  g_assert_cmpint (g_date_time_get_minute (datetime), ==, 32);
  g_assert_cmpint (g_date_time_get_second (datetime), ==, 0);
  g_assert_cmpint (g_date_time_get_microsecond (datetime), ==, 500000);
  g_assert_cmpint (g_date_time_get_utc_offset (datetime), ==, (5 * 3600 + 30 * 60) * G_TIME_SPAN_SECOND);
  g_clear_pointer (&datetime, g_date_time_unref);

  /* A leap second is the first second of the next minute. */
  datetime = qi_toml_node_dup_gdatetime (lookup (root, "utc"), &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_get_month (datetime), ==, 3);
  g_assert_cmpint (g_date_time_get_day_of_month (datetime), ==, 1);
  g_assert_cmpint (g_date_time_get_hour (datetime), ==, 0);
  g_assert_cmpint (g_date_time_get_utc_offset (datetime), ==, 0);
  g_clear_pointer (&datetime, g_date_time_unref);

  node = lookup (root, "ldt");
  g_assert_cmpint (qi_toml_node_get_datetime_kind (node), ==, QI_TOML_DATETIME_LOCAL);
  datetime = qi_toml_node_dup_gdatetime (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_get_hour (datetime), ==, 7);
  g_assert_cmpint (g_date_time_get_minute (datetime), ==, 32);
  g_clear_pointer (&datetime, g_date_time_unref);

  node = lookup (root, "ld");
  g_assert_cmpint (qi_toml_node_get_datetime_kind (node), ==, QI_TOML_DATETIME_LOCAL_DATE);
  datetime = qi_toml_node_dup_gdatetime (node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_date_time_get_day_of_month (datetime), ==, 27);
  g_assert_cmpint (g_date_time_get_hour (datetime), ==, 0);
  g_assert_cmpint (g_date_time_get_minute (datetime), ==, 0);
  g_clear_pointer (&datetime, g_date_time_unref);

  node = lookup (root, "lt");
  g_assert_cmpint (qi_toml_node_get_datetime_kind (node), ==, QI_TOML_DATETIME_LOCAL_TIME);
  g_assert_cmpstr (qi_toml_node_get_datetime (node, NULL), ==, "07:32:00.250");
  datetime = qi_toml_node_dup_gdatetime (node, &error);
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "a local time has no date"));
  g_assert_null (datetime);
  g_clear_error (&error);

  node = lookup (root, "n");
  g_assert_cmpint (qi_toml_node_get_datetime_kind (node), ==, QI_TOML_DATETIME_NONE);
  g_assert_null (qi_toml_node_get_datetime (node, &kind));
  g_assert_cmpint (kind, ==, QI_TOML_DATETIME_NONE);
  datetime = qi_toml_node_dup_gdatetime (node, &error);
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_VALUE);
  g_assert_null (datetime);
  g_clear_error (&error);

  g_assert_cmpint (qi_toml_node_get_datetime_kind (root), ==, QI_TOML_DATETIME_NONE);

  /* The documented ambiguity: a table with only a marker key. */
  node = lookup (root, "fake");
  g_assert_cmpint (qi_toml_node_get_datetime_kind (node), ==, QI_TOML_DATETIME_LOCAL_DATE);
}

typedef struct
{
  const char  *document;
  const char  *filename;
  QiTomlError  code;
  const char  *message;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "[server]\nport 8080\n", "qi.toml", QI_TOML_ERROR_SYNTAX,
    "qi.toml:2:6: expected '=' after the key \"port\"" },
  { "[server]\na = 1\n[server]\n", NULL, QI_TOML_ERROR_DUPLICATE_KEY,
    "3:1: the table [server] is defined twice (first at 1:1)" },
  { "a = 1\nbig = 9223372036854775808\n", NULL, QI_TOML_ERROR_INVALID_VALUE,
    "2:7: integer 9223372036854775808 does not fit in 64 bits" },
  { "s = \"\\e\"\n", NULL, QI_TOML_ERROR_INVALID_VALUE,
    "1:6: invalid escape sequence \\e in a string" },
  { "s = \"cut\\u0000here\"\n", "qi.toml", QI_TOML_ERROR_INVALID_VALUE,
    "qi.toml:1:9: the escape \\u0000 is U+0000, which a Qi setting or key cannot hold; remove it" },
  { "\"k\\U00000000\" = 1\n", NULL, QI_TOML_ERROR_INVALID_VALUE,
    "1:3: the escape \\U00000000 is U+0000, which a Qi setting or key cannot hold; remove it" },
  { "\"\xc3\xbc\" = \"a\\q\"\n", "qi.toml", QI_TOML_ERROR_INVALID_VALUE,
    "qi.toml:1:9: invalid escape sequence \\q in a string" },
  { "a = 1\r\nb = \r\n", NULL, QI_TOML_ERROR_SYNTAX,
    "2:5: the key \"b\" has no value after '='" },
  { "d = 2023-02-29\n", NULL, QI_TOML_ERROR_INVALID_VALUE,
    "1:5: invalid date-time 2023-02-29: the month 2023-02 has no day 29" },
  { "name = \"Qi\nport = 1\n", NULL, QI_TOML_ERROR_SYNTAX,
    "1:11: the string started at 1:8 is not closed; add '\"' before the end of the line" },
  { "port = 1\nport = 2\n", "a.toml", QI_TOML_ERROR_DUPLICATE_KEY,
    "a.toml:2:1: the key \"port\" is defined twice (first at 1:8)" },
  { "[a.b]\n[a]\nb.c = 1\n", NULL, QI_TOML_ERROR_DUPLICATE_KEY,
    "3:1: the dotted key \"b.c\" cannot add to the table \"b\", which has its "
    "own header (at 1:1); put the key in that table's section" },
  { "a = {b = 1}\n[a]\n", NULL, QI_TOML_ERROR_DUPLICATE_KEY,
    "2:1: the inline table \"a\" (at 1:5) cannot be extended; an inline table "
    "holds all of its keys" },
  { "a = [1, 2]\n[[a]]\n", NULL, QI_TOML_ERROR_DUPLICATE_KEY,
    "2:1: the key \"a\" already holds an array value (set at 1:5); [[a]] can "
    "only add to arrays of tables" },
  { "t = {a = 1,}\n", NULL, QI_TOML_ERROR_SYNTAX,
    "1:12: a comma cannot follow the last key of an inline table" },
  { "n = 0X1F\n", NULL, QI_TOML_ERROR_INVALID_VALUE,
    "1:5: invalid integer 0X1F; the prefixes 0x, 0o and 0b are written in lowercase" },
  { "a = 1 # bell \x07\n", NULL, QI_TOML_ERROR_SYNTAX,
    "1:14: the control character U+0007 is not allowed in a comment" },
  { "a = \"\xc3\xa9\xff\"\n", NULL, QI_TOML_ERROR_INVALID_UTF8,
    "1:7: the document is not valid UTF-8 (byte 0xFF); save it with the UTF-8 encoding" },
  { "a = 1\rb = 2\n", NULL, QI_TOML_ERROR_SYNTAX,
    "1:6: a carriage return must be followed by a line feed; bare CR "
    "characters are not allowed in a document" },
  { "t = 07:32\n", NULL, QI_TOML_ERROR_INVALID_VALUE,
    "1:5: invalid date-time 07:32: the seconds are missing; TOML 1.0 times "
    "are written HH:MM:SS" },
};

static void
test_errors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      const ErrorCase *c = &error_cases[i];
      g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
      g_autoptr(GError) error = NULL;
      g_autofree char *escaped = g_strescape (c->document, NULL);

      g_test_message ("document %u: %s", i, escaped);
      g_assert_false (qi_toml_parser_load_from_data (parser, c->document, -1,
                                                     c->filename, &error));
      g_assert_error (error, QI_TOML_ERROR, (int) c->code);
      g_assert_cmpstr (error->message, ==, c->message);
      g_assert_null (qi_toml_parser_get_root (parser));
      g_assert_cmpstr (qi_toml_parser_get_filename (parser), ==, c->filename);
    }
}

static void
test_location (void)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autoptr(GError) error = NULL;
  guint line = 0, column = 0;
  static const struct {
    const char *pointer;
    guint       line;
    guint       column;
  } expected[] = {
    { "", 1, 1 },
    { "/title", 1, 9 },
    { "/server", 2, 1 },
    { "/server/port", 3, 10 },
    { "/server/net", 4, 1 },
    { "/server/net/host", 4, 12 },
    { "/job", 5, 1 },
    { "/job/0", 5, 1 },
    { "/job/0/name", 6, 8 },
    { "/job/1", 7, 3 },
    { "/job/1/list", 8, 8 },
    { "/job/1/list/1", 8, 12 },
    { "/job/1/list/1/1", 8, 16 },
    { "/job/1/a~1b~0c", 9, 11 },
    { "/job/1/\xc3\xa9", 10, 7 },
    { "/job/1/t/x", 11, 10 },
  };

  qi_toml_parser_load_from_data (parser,
                                 "title = \"x\"\n"
                                 "[server]\n"
                                 "port =   8080\n"
                                 "net.host = \"h\"\n"
                                 "[[job]]\n"
                                 "name = \"a\"\n"
                                 "  [[job]]\n"
                                 "list = [1, [2, 3]]\n"
                                 "\"a/b~c\" = 1\n"
                                 "\"\xc3\xa9\" = \"\xc3\xbc\"\n"
                                 "t = {x = [\n"
                                 "]}\n",
                                 -1, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_test_message ("pointer \"%s\"", expected[i].pointer);
      g_assert_true (qi_toml_parser_get_location (parser, expected[i].pointer,
                                                  &line, &column));
      g_assert_cmpuint (line, ==, expected[i].line);
      g_assert_cmpuint (column, ==, expected[i].column);
    }

  g_assert_true (qi_toml_parser_get_location (parser, "/title", NULL, NULL));
  g_assert_false (qi_toml_parser_get_location (parser, "/nope", &line, &column));
  g_assert_false (qi_toml_parser_get_location (parser, "/job/2", NULL, NULL));
  g_assert_false (qi_toml_parser_get_location (parser, "title", NULL, NULL));
}

static void
test_root_kept_on_failure (void)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stolen = NULL;
  JsonNode *root;

  g_assert_null (qi_toml_parser_get_root (parser));
  g_assert_false (qi_toml_parser_get_location (parser, "", NULL, NULL));

  g_assert_true (qi_toml_parser_load_from_data (parser, "a = 1", -1, "good.toml", &error));
  g_assert_no_error (error);
  root = qi_toml_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_cmpstr (qi_toml_parser_get_filename (parser), ==, "good.toml");

  g_assert_false (qi_toml_parser_load_from_data (parser, "a = ", -1, "bad.toml", &error));
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_SYNTAX);
  g_assert_true (qi_toml_parser_get_root (parser) == root);
  g_assert_true (qi_toml_parser_get_location (parser, "/a", NULL, NULL));
  g_assert_cmpstr (qi_toml_parser_get_filename (parser), ==, "bad.toml");
  g_clear_error (&error);

  stolen = qi_toml_parser_steal_root (parser);
  g_assert_true (stolen == root);
  g_assert_null (qi_toml_parser_get_root (parser));

  /* An empty document is an empty table. */
  g_assert_true (qi_toml_parser_load_from_data (parser, "", 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (qi_toml_parser_get_root (parser))), ==, 0);
  g_assert_null (qi_toml_parser_get_filename (parser));
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_properties (void)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_TAGGED);
  g_autofree char *filename = NULL;
  QiTomlParseFlags flags = 0;
  guint notified = 0;

  g_assert_cmpint (qi_toml_parser_get_flags (parser), ==, QI_TOML_PARSE_TAGGED);
  g_object_get (parser, "flags", &flags, "filename", &filename, NULL);
  g_assert_cmpint (flags, ==, QI_TOML_PARSE_TAGGED);
  g_assert_null (filename);

  g_signal_connect (parser, "notify::filename", G_CALLBACK (on_notify), &notified);
  qi_toml_parser_load_from_data (parser, "", -1, "x.toml", NULL);
  qi_toml_parser_load_from_data (parser, "", -1, "x.toml", NULL);
  g_assert_cmpuint (notified, ==, 1);
  qi_toml_parser_load_from_data (parser, "", -1, NULL, NULL);
  g_assert_cmpuint (notified, ==, 2);
}

static void
test_file (void)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *expected = NULL;

  dir = g_dir_make_tmp ("qi-toml-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "qi.toml", NULL);
  missing = g_build_filename (dir, "missing.toml", NULL);

  g_assert_false (qi_toml_parser_load_from_file (parser, missing, &error));
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_IO);
  expected = g_strdup_printf ("%s: cannot read the file: it does not exist", missing);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_error (&error);

  g_file_set_contents (path, "[launch]\nport = 80\n", -1, &error);
  g_assert_no_error (error);
  g_assert_true (qi_toml_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qi_toml_parser_get_filename (parser), ==, path);
  assert_int (qi_toml_parser_get_root (parser), "launch.port", 80);

  g_file_set_contents (path, "[launch]\nport = 80\nport = 81\n", -1, &error);
  g_assert_no_error (error);
  g_assert_false (qi_toml_parser_load_from_file (parser, path, &error));
  expected = g_strdup_printf ("%s:3:1: the key \"port\" is defined twice (first at 2:8)", path);
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_DUPLICATE_KEY);
  g_assert_cmpstr (error->message, ==, expected);

  g_remove (path);
  g_rmdir (dir);
}

static void
test_embedded_nul (void)
{
  static const char document[] = "a = 1\nb = \"x\0y\"\n";
  static const char comment[] = "a = 1 # \0\n";
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autoptr(GError) error = NULL;

  g_assert_false (qi_toml_parser_load_from_data (parser, document, sizeof document - 1,
                                                 NULL, &error));
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_SYNTAX);
  g_assert_cmpstr (error->message, ==,
                   "2:7: the control character U+0000 is not allowed in a document");
  g_clear_error (&error);

  g_assert_false (qi_toml_parser_load_from_data (parser, comment, sizeof comment - 1,
                                                 NULL, &error));
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_SYNTAX);
  g_clear_error (&error);

  /* With an explicit length, the document ends there, NUL or not. */
  g_assert_true (qi_toml_parser_load_from_data (parser, "a = 1garbage", 5, NULL, &error));
  g_assert_no_error (error);
  assert_int (qi_toml_parser_get_root (parser), "a", 1);
}

static void
test_invalid_utf8 (void)
{
  static const char * const documents[] = {
    "a = \"\xc3\"\n",             /* truncated sequence */
    "a = 1 # \xed\xa0\x80\n",     /* a UTF-16 surrogate */
    "\xc0\xaf = 1\n",             /* an overlong form */
    "a = '\xf4\x90\x80\x80'\n",   /* beyond U+10FFFF */
    "\xff\xfe" "a = 1\n",         /* a UTF-16 byte order mark */
  };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
      g_autoptr(GError) error = NULL;

      g_assert_false (qi_toml_parser_load_from_data (parser, documents[i], -1,
                                                     NULL, &error));
      g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_INVALID_UTF8);
    }
}

static void
assert_too_deep (const char *document)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autoptr(GError) error = NULL;

  g_assert_false (qi_toml_parser_load_from_data (parser, document, -1, NULL, &error));
  g_assert_error (error, QI_TOML_ERROR, QI_TOML_ERROR_TOO_DEEP);
  g_test_message ("%s", error->message);
}

static char *
repeat (const char *prefix,
        const char *unit,
        guint       n,
        const char *suffix)
{
  GString *out = g_string_new (prefix);

  for (guint i = 0; i < n; i++)
    g_string_append (out, unit);
  g_string_append (out, suffix);

  return g_string_free (out, FALSE);
}

static char *
nested_arrays (guint n)
{
  GString *out = g_string_new ("a = ");

  for (guint i = 0; i < n; i++)
    g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    g_string_append_c (out, ']');
  g_string_append_c (out, '\n');

  return g_string_free (out, FALSE);
}

static void
test_too_deep (void)
{
  g_autofree char *open_arrays = repeat ("a = ", "[", 10000, "");
  g_autofree char *arrays = nested_arrays (10000);
  g_autofree char *tables = repeat ("a = ", "{b = ", 10000, "1");
  g_autofree char *dotted = repeat ("a", ".a", 10000, " = 1\n");
  g_autofree char *header = repeat ("[a", ".a", 10000, "]\n");
  g_autofree char *aot = repeat ("[[a", ".a", 10000, "]]\n");
  g_autofree char *just_enough = nested_arrays (128);
  g_autofree char *one_more = g_strconcat ("[t]\n", just_enough, NULL);
  g_autoptr(JsonNode) root = NULL;

  assert_too_deep (open_arrays);
  assert_too_deep (arrays);
  assert_too_deep (tables);
  assert_too_deep (dotted);
  assert_too_deep (header);
  assert_too_deep (aot);

  /* 128 levels are fine: the array of the key "a" is one level deep and
   * holds 127 more; inside the table [t], the same is one level too many. */
  root = parse_ok (just_enough, QI_TOML_PARSE_DEFAULT);
  g_assert_nonnull (root);
  assert_too_deep (one_more);
}

/* Every prefix of a document and every single-byte change to it must give
 * either a tree or a QI_TOML_ERROR with a located message, never a crash or
 * a warning. */
static void
test_robustness (void)
{
  static const char document[] =
    "# comment\n"
    "title = \"TOML \\u00e9 \\U0001F600\"\n"
    "[owner]\n"
    "name = 'Tom'\n"
    "dob = 1979-05-27T07:32:00-08:00\n"
    "[database]\n"
    "ports = [ 8000, 8001, 8002 ]\n"
    "data = [ [\"delta\", \"phi\"], [3.14] ]\n"
    "temp_targets = { cpu = 79.5, case = 72.0 }\n"
    "[servers.alpha]\n"
    "ip = \"10.0.0.1\"\n"
    "bio = \"\"\"\n  multi \\\n  line\"\"\"\n"
    "lit = '''\nraw\n'''\n"
    "[[products]]\n"
    "sku = 0x_ff\n"
    "t = 07:32:00.999\n"
    "d = 1979-05-27\n"
    "a.b.\"c\" = +inf\n";
  static const char replacements[] = "\0\r\n\"'[]{}=.,#\\ x0_:-+\xc3\xff";
  gsize length = sizeof document - 1;
  guint n_ok = 0, n_failed = 0;

  for (gsize cut = 0; cut <= length; cut++)
    {
      g_autoptr(QiTomlParser) parser = qi_toml_parser_new (cut % 2 ? QI_TOML_PARSE_TAGGED : 0);
      g_autoptr(GError) error = NULL;

      if (qi_toml_parser_load_from_data (parser, document, cut, NULL, &error))
        n_ok++;
      else
        {
          g_assert_true (error->domain == QI_TOML_ERROR);
          g_assert_true (g_ascii_isdigit (error->message[0]));
          n_failed++;
        }
    }

  for (gsize at = 0; at < length; at++)
    {
      for (gsize k = 0; k < sizeof replacements - 1; k++)
        {
          g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
          g_autoptr(GError) error = NULL;
          g_autofree char *copy = g_memdup2 (document, length);

          copy[at] = replacements[k];
          if (qi_toml_parser_load_from_data (parser, copy, length, "fuzz.toml", &error))
            n_ok++;
          else
            {
              g_assert_true (error->domain == QI_TOML_ERROR);
              g_assert_true (g_str_has_prefix (error->message, "fuzz.toml:"));
              n_failed++;
            }
        }
    }

  g_test_message ("%u documents accepted, %u rejected", n_ok, n_failed);
  g_assert_cmpuint (n_ok, >, 0);
  g_assert_cmpuint (n_failed, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/toml/types", test_types);
  g_test_add_func ("/qi/toml/tagged", test_tagged);
  g_test_add_func ("/qi/toml/datetime", test_datetime);
  g_test_add_func ("/qi/toml/errors", test_errors);
  g_test_add_func ("/qi/toml/location", test_location);
  g_test_add_func ("/qi/toml/root-kept-on-failure", test_root_kept_on_failure);
  g_test_add_func ("/qi/toml/properties", test_properties);
  g_test_add_func ("/qi/toml/file", test_file);
  g_test_add_func ("/qi/toml/embedded-nul", test_embedded_nul);
  g_test_add_func ("/qi/toml/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/qi/toml/too-deep", test_too_deep);
  g_test_add_func ("/qi/toml/robustness", test_robustness);

  return g_test_run ();
}
