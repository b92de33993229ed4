/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for path templates: any bytes must compile to a
 * template or fail with a QI_TEMPLATE_ERROR, never crash, trip a
 * sanitizer or log a critical. A template that compiles is solved with
 * fixed fields; the path must then read back (unless reading gives up,
 * QI_TEMPLATE_ERROR_LIMIT), and the fields read must solve to the same
 * path again. The same holds across platforms: a path solved on Windows
 * read on Linux with QI_TEMPLATE_PARSE_ANY_PLATFORM solves back on
 * Windows to itself. Built and run by run-fuzz.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qi/qi.h>

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* The fields solved with. Their strings have no lower-case letters, so
 * that a capitalised or upper-cased field writes the value itself and
 * reading it gives the value back. */
static const char fields_json[] =
  "{\"project\": {\"name\": \"DEMO\", \"code\": \"DM\"},"
  " \"hierarchy\": \"SQ010/SH010\","
  " \"folder\": {\"name\": \"SH010\", \"type\": \"SHOT\"},"
  " \"task\": {\"name\": \"COMP\", \"type\": \"COMPOSITING\"},"
  " \"product\": {\"type\": \"RENDER\", \"name\": \"RENDER_MAIN\"},"
  " \"user\": {\"name\": \"ANA\"},"
  " \"version\": 7, \"frame\": 1001, \"udim\": 1001, \"offset\": -12,"
  " \"fps\": 2.5, \"ext\": \"EXR\", \"comment\": \"WIP\", \"a\": \"A\", \"b\": \"B_2\","
  " \"representation\": \"EXR\", \"empty\": \"\", \"nothing\": null}";

static const char templates_json[] =
  "{\"version\": \"v{version:0>3}\","
  " \"frame\": \"{frame:0>4}\","
  " \"work\": {\"directory\": \"{root[work]}/{project[name]}/{hierarchy}/{folder[name]}/work/{task[name]}\","
  "          \"file\": \"{project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>.{ext}\"}}";

static const char roots_json[] =
  "{\"work\": {\"linux\": \"/mnt/work\", \"windows\": \"P:/\", \"darwin\": \"/Volumes/work\"},"
  " \"publish\": {\"linux\": \"/mnt/publish\", \"windows\": \"Q:/\"}}";

static QiTemplateSet *set;
static JsonObject *fields;

static void
check (gboolean    ok,
       const char *what)
{
  if (!ok)
    {
      g_printerr ("fuzz-path-template: %s\n", what);
      abort ();
    }
}

static JsonObject *
read_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  check (error == NULL, "a fixed JSON text does not read");
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
check_error (const GError *error)
{
  check (error != NULL && error->domain == QI_TEMPLATE_ERROR, "failure without a QI_TEMPLATE_ERROR");
  check (error->code >= QI_TEMPLATE_ERROR_SYNTAX && error->code <= QI_TEMPLATE_ERROR_LIMIT,
         "an error code outside QiTemplateError");
  check (g_utf8_validate (error->message, -1, NULL) && error->message[0] != '\0',
         "an error message that is empty or not UTF-8");
}

/* Solves the template fuzz.input on @platform, reads the path back with
 * @flags on @parse_platform, and solves the fields read on @platform. */
static void
check_round_trip (QiPlatform           platform,
                  QiPlatform           parse_platform,
                  QiTemplateParseFlags flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) parsed = NULL;
  g_autofree char *path = NULL;
  g_autofree char *again = NULL;

  qi_template_set_set_platform (set, platform);
  path = qi_template_set_solve (set, "fuzz.input", fields, &error);
  if (path == NULL)
    {
      check_error (error);
      return;
    }
  check (g_utf8_validate (path, -1, NULL), "a solved path is not UTF-8");
  check (strlen (path) <= QI_PATH_TEMPLATE_MAX_PATH, "a solved path is longer than the limit");

  qi_template_set_set_platform (set, parse_platform);
  parsed = qi_template_set_parse_full (set, "fuzz.input", path, flags, &error);
  if (parsed == NULL)
    {
      check_error (error);
      if (error->code == QI_TEMPLATE_ERROR_LIMIT)
        return;
      g_printerr ("fuzz-path-template: %s\n  path %s\n", error->message, path);
      check (FALSE, "a solved path does not read back");
    }

  qi_template_set_set_platform (set, platform);
  again = qi_template_set_solve (set, "fuzz.input", parsed, &error);
  if (again == NULL || strcmp (again, path) != 0)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), parsed);
      g_autofree char *read = json_to_string (node, FALSE);

      g_printerr ("fuzz-path-template: path %s\n  read %s\n  solves to %s\n", path, read,
                  again != NULL ? again : error->message);
      check (FALSE, "the fields read do not solve to the path");
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) templates = NULL;
  g_autoptr(JsonObject) roots = NULL;

  /* Criticals (misuse caught by g_return_if_fail) and warnings are bugs. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  set = qi_template_set_new ();
  templates = read_object (templates_json);
  roots = read_object (roots_json);
  fields = read_object (fields_json);
  check (qi_template_set_add_from_json (set, templates, "fuzz", &error), "the fixed templates do not load");
  check (qi_template_set_set_roots (set, roots, &error), "the fixed roots do not load");
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiPathTemplate) template = NULL;
  g_autofree char *text = g_strndup ((const char *) data, size);

  template = qi_path_template_new (text, &error);
  if (template == NULL)
    {
      check_error (error);
      check (!qi_template_set_add (set, "fuzz.input", text, "fuzz", NULL),
             "a set compiles what qi_path_template_new() refuses");
      return 0;
    }

  for (const char * const *key = qi_path_template_get_keys (template); *key != NULL; key++)
    check (**key != '\0' && g_utf8_validate (*key, -1, NULL), "an empty key or one that is not UTF-8");

  check (qi_template_set_add (set, "fuzz.input", text, "fuzz", &error), "a set refuses what compiles");

  check_round_trip (QI_PLATFORM_LINUX, QI_PLATFORM_LINUX, QI_TEMPLATE_PARSE_NONE);
  check_round_trip (QI_PLATFORM_WINDOWS, QI_PLATFORM_LINUX, QI_TEMPLATE_PARSE_ANY_PLATFORM);

  return 0;
}
