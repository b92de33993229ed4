/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs the TOML 1.0.0 part of toml-test (https://github.com/toml-lang/toml-test)
 * against qi-toml-decode, the way the toml-test tool does: each document is
 * fed to the decoder as a separate process.
 *
 * QI_TOML_TEST_DIR names the toml-test checkout (holding tests/) and
 * QI_TOML_DECODE the decoder program. A valid document must be accepted and
 * give the expected tagged JSON; an invalid one must be rejected with a
 * message on standard error.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

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

/* A tagged scalar is {"type": "…", "value": "…"} with string members. */
static gboolean
get_tagged (JsonNode    *node,
            const char **type,
            const char **value)
{
  JsonObject *object;
  JsonNode *type_node;
  JsonNode *value_node;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;

  object = json_node_get_object (node);
  if (json_object_get_size (object) != 2)
    return FALSE;

  type_node = json_object_get_member (object, "type");
  value_node = json_object_get_member (object, "value");
  if (type_node == NULL || value_node == NULL ||
      !JSON_NODE_HOLDS_VALUE (type_node) || !JSON_NODE_HOLDS_VALUE (value_node) ||
      json_node_get_value_type (type_node) != G_TYPE_STRING ||
      json_node_get_value_type (value_node) != G_TYPE_STRING)
    return FALSE;

  *type = json_node_get_string (type_node);
  *value = json_node_get_string (value_node);
  return TRUE;
}

static const char *
node_kind (JsonNode *node)
{
  const char *type, *value;

  if (get_tagged (node, &type, &value))
    return type;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT: return "table";
    case JSON_NODE_ARRAY: return "array";
    case JSON_NODE_NULL: return "null";
    case JSON_NODE_VALUE: return "untagged value";
    default: return "unknown";
    }
}

static gboolean
scalars_equal (const char *type,
               const char *expected,
               const char *actual)
{
  if (g_str_equal (type, "integer"))
    {
      gint64 a, b;

      return g_ascii_string_to_signed (expected, 10, G_MININT64, G_MAXINT64, &a, NULL) &&
             g_ascii_string_to_signed (actual, 10, G_MININT64, G_MAXINT64, &b, NULL) &&
             a == b;
    }

  if (g_str_equal (type, "float"))
    {
      char *end_a = NULL, *end_b = NULL;
      double a = g_ascii_strtod (expected, &end_a);
      double b = g_ascii_strtod (actual, &end_b);

      if (end_a == expected || *end_a != '\0' || end_b == actual || *end_b != '\0')
        return FALSE;

      if (isnan (a) || isnan (b))
        return isnan (a) && isnan (b);

      return a == b;  /* -0 == 0 */
    }

  /* string, bool and the date-time kinds compare as written */
  return g_str_equal (expected, actual);
}

static void
compare_nodes (JsonNode   *expected,
               JsonNode   *actual,
               const char *path,
               GString    *diff)
{
  const char *expected_type, *expected_value;
  const char *actual_type, *actual_value;
  const char *where = path[0] != '\0' ? path : "/";

  if (get_tagged (expected, &expected_type, &expected_value))
    {
      if (!get_tagged (actual, &actual_type, &actual_value))
        g_string_append_printf (diff, "%s: expected %s \"%s\", got a %s\n",
                                where, expected_type, expected_value,
                                node_kind (actual));
      else if (!g_str_equal (expected_type, actual_type))
        g_string_append_printf (diff, "%s: expected %s \"%s\", got %s \"%s\"\n",
                                where, expected_type, expected_value,
                                actual_type, actual_value);
      else if (!scalars_equal (expected_type, expected_value, actual_value))
        g_string_append_printf (diff, "%s: expected %s \"%s\", got \"%s\"\n",
                                where, expected_type, expected_value, actual_value);
      return;
    }

  if (JSON_NODE_TYPE (expected) != JSON_NODE_TYPE (actual) ||
      get_tagged (actual, &actual_type, &actual_value))
    {
      g_string_append_printf (diff, "%s: expected a %s, got a %s\n",
                              where, node_kind (expected), node_kind (actual));
      return;
    }

  if (JSON_NODE_HOLDS_OBJECT (expected))
    {
      JsonObject *e = json_node_get_object (expected);
      JsonObject *a = json_node_get_object (actual);
      g_autoptr(GList) e_members = json_object_get_members (e);
      g_autoptr(GList) a_members = json_object_get_members (a);

      for (const GList *l = e_members; l != NULL; l = l->next)
        {
          g_autofree char *child = g_strconcat (path, "/", l->data, NULL);

          if (!json_object_has_member (a, l->data))
            g_string_append_printf (diff, "%s: missing\n", child);
          else
            compare_nodes (json_object_get_member (e, l->data),
                           json_object_get_member (a, l->data),
                           child, diff);
        }

      for (const GList *l = a_members; l != NULL; l = l->next)
        {
          if (!json_object_has_member (e, l->data))
            g_string_append_printf (diff, "%s/%s: not expected\n",
                                    path, (const char *) l->data);
        }

      return;
    }

  if (JSON_NODE_HOLDS_ARRAY (expected))
    {
      JsonArray *e = json_node_get_array (expected);
      JsonArray *a = json_node_get_array (actual);
      guint e_length = json_array_get_length (e);
      guint a_length = json_array_get_length (a);

      if (e_length != a_length)
        {
          g_string_append_printf (diff, "%s: expected %u elements, got %u\n",
                                  where, e_length, a_length);
          return;
        }

      for (guint i = 0; i < e_length; i++)
        {
          g_autofree char *child = g_strdup_printf ("%s/%u", path, i);

          compare_nodes (json_array_get_element (e, i),
                         json_array_get_element (a, i),
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
  g_autoptr(JsonParser) expected_parser = json_parser_new ();
  g_autoptr(JsonParser) actual_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) diff = g_string_new (NULL);
  g_autofree char *out = bytes_to_text (decoded->out);
  g_autofree char *err = bytes_to_text (decoded->err);

  if (decoded->status != 0)
    {
      g_test_message ("the decoder rejected a valid document (exit status %d): %s",
                      decoded->status, err);
      g_test_fail ();
      return;
    }

  if (!json_parser_load_from_file (expected_parser, suite_case->json_path, &error))
    {
      g_test_message ("cannot read the expected JSON %s: %s",
                      suite_case->json_path, error->message);
      g_test_fail ();
      return;
    }

  if (!json_parser_load_from_data (actual_parser, out, -1, &error))
    {
      g_test_message ("the decoder wrote invalid JSON: %s\n%s", error->message, out);
      g_test_fail ();
      return;
    }

  compare_nodes (json_parser_get_root (expected_parser),
                 json_parser_get_root (actual_parser),
                 "", diff);

  if (diff->len > 0)
    {
      g_autofree char *expected = NULL;

      g_file_get_contents (suite_case->json_path, &expected, NULL, NULL);
      g_test_message ("the decoder output differs from %s:\n%s\n"
                      "expected:\n%s\ngot:\n%s",
                      suite_case->json_path, diff->str,
                      expected != NULL ? expected : "", out);
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
