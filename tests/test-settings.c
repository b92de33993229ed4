/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "qi-test-http.h"
#include "qi-test-utils.h"

/* QiSettingsSchema and QiSettings on real files in a temporary folder:
 * the builder and its errors, the JSON Schema export, layering with
 * origins, validation errors naming the key path and the layer, patches
 * that write atomically or not at all, the file watch and its
 * config.changed event, the hub and REST round trips, the addons' schemas
 * through QiAddonManager, and the real qi's `settings` verbs. */

typedef struct
{
  char       *root;
  char       *folder;   /* the settings folder */
  QiSettings *settings;
} Fixture;

static QiSettingsSchema *
farm_schema (void)
{
  QiSettingsSchema *schema = qi_settings_schema_new ("Render farm");
  g_autoptr(JsonNode) formats = json_from_string ("[\"exr\"]", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_settings_schema_add_object (schema, "farm", "Farm", "Where renders run", &error));
  g_assert_true (qi_settings_schema_add_int (schema, "farm.priority", "Priority", "Job priority",
                                             0, 100, 50, &error));
  g_assert_true (qi_settings_schema_add_enum (schema, "farm.pool", "Pool", NULL,
                                              (const char * const []) { "cpu", "gpu", NULL }, NULL, &error));
  g_assert_true (qi_settings_schema_add_float (schema, "farm.timeout", NULL, NULL, 0.5, 86400, 3600, &error));
  g_assert_true (qi_settings_schema_add_path (schema, "output.folder", "Output folder", NULL, "/tmp/renders", &error));
  g_assert_true (qi_settings_schema_add_list (schema, "output.formats", "Formats", NULL,
                                              QI_SETTINGS_TYPE_STRING, formats, &error));
  g_assert_true (qi_settings_schema_set_length (schema, "output.formats", 1, 3, &error));
  g_assert_true (qi_settings_schema_add_bool (schema, "notify", NULL, NULL, TRUE, &error));
  g_assert_true (qi_settings_schema_add_string (schema, "label", NULL, NULL, NULL, &error));
  g_assert_true (qi_settings_schema_set_length (schema, "label", 0, 8, &error));
  g_assert_no_error (error);
  g_assert_null (qi_settings_schema_get_error (schema));
  return schema;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiSettingsSchema) schema = farm_schema ();

  f->root = g_dir_make_tmp ("qi-settings-XXXXXX", &error);
  g_assert_no_error (error);
  f->folder = g_build_filename (f->root, "settings", NULL);
  f->settings = qi_settings_new (f->folder);
  g_assert_true (qi_settings_set_bundle (f->settings, "prod", NULL));
  g_assert_true (qi_settings_add_schema (f->settings, "farm", schema, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->settings);
  qi_test_remove_tree (f->root);
  g_free (f->root);
  g_free (f->folder);
}

static char *
layer_file (Fixture    *f,
            const char *kind,
            const char *name)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);

  return g_build_filename (f->folder, kind, file, NULL);
}

static void
write_layer (Fixture    *f,
             const char *kind,
             const char *name,
             const char *contents)
{
  g_autofree char *path = layer_file (f, kind, name);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  qi_test_env_write (path, contents);
}

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static char *
member_text (JsonNode   *node,
             const char *member)
{
  return to_text (json_object_get_member (json_node_get_object (node), member));
}

/* The builder. */

static void
test_builder (void)
{
  g_autoptr(QiSettingsSchema) schema = farm_schema ();
  g_autoptr(JsonNode) defaults = qi_settings_schema_dup_defaults (schema);
  g_auto(GStrv) keys = qi_settings_schema_dup_keys (schema);
  g_autofree char *text = to_text (defaults);
  g_autofree char *joined = g_strjoinv (" ", keys);

  g_assert_cmpstr (qi_settings_schema_get_title (schema), ==, "Render farm");
  g_assert_cmpstr (text, ==,
                   "{\"farm\":{\"priority\":50,\"pool\":\"cpu\",\"timeout\":3600.0},"
                   "\"output\":{\"folder\":\"/tmp/renders\",\"formats\":[\"exr\"]},"
                   "\"notify\":true,\"label\":\"\"}");
  g_assert_cmpstr (joined, ==, "farm.priority farm.pool farm.timeout output.folder output.formats notify label");
  g_assert_true (qi_settings_schema_has_key (schema, "output"));
  g_assert_false (qi_settings_schema_has_key (schema, "output.nothing"));
  g_assert_cmpint (qi_settings_schema_get_key_type (schema, "output"), ==, QI_SETTINGS_TYPE_OBJECT);
  g_assert_cmpint (qi_settings_schema_get_key_type (schema, "output.folder"), ==, QI_SETTINGS_TYPE_PATH);
  g_assert_cmpint (qi_settings_schema_get_key_type (schema, "farm.pool"), ==, QI_SETTINGS_TYPE_ENUM);
}

static void
test_builder_errors (void)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Errors");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) bad_list = json_from_string ("[1, \"two\"]", NULL);
  const char *first;

  /* In class_init there is no error to return: the schema keeps the
   * first one. */
  g_assert_false (qi_settings_schema_add_int (schema, "farm.priority", NULL, NULL, 0, 100, 120, NULL));
  first = qi_settings_schema_get_error (schema)->message;
  g_assert_cmpstr (first, ==,
                   "settings schema “Errors”: key farm.priority: the default does not fit: 120 is above the maximum 100");
  g_assert_false (qi_settings_schema_has_key (schema, "farm.priority"));

#define REFUSED(call, expected) \
  G_STMT_START { \
    g_assert_false (call); \
    g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA); \
    g_assert_cmpstr (error->message, ==, expected); \
    g_clear_error (&error); \
  } G_STMT_END

  REFUSED (qi_settings_schema_add_bool (schema, "Notify", NULL, NULL, TRUE, &error),
           "settings schema “Errors”: key Notify: each part of a key is lower-case letters, digits, “-” and “_”, "
           "starting with a letter, at most 64 long, parts joined by “.”");
  REFUSED (qi_settings_schema_add_bool (schema, "a..b", NULL, NULL, TRUE, &error),
           "settings schema “Errors”: key a..b: each part of a key is lower-case letters, digits, “-” and “_”, "
           "starting with a letter, at most 64 long, parts joined by “.”");
  g_assert_true (qi_settings_schema_add_bool (schema, "notify", NULL, NULL, TRUE, &error));
  REFUSED (qi_settings_schema_add_string (schema, "notify", NULL, NULL, "x", &error),
           "settings schema “Errors”: key notify: declared twice");
  REFUSED (qi_settings_schema_add_string (schema, "notify.when", NULL, NULL, "x", &error),
           "settings schema “Errors”: key notify.when: notify is not an object: no key can go in it");
  REFUSED (qi_settings_schema_add_enum (schema, "pool", NULL, NULL,
                                        (const char * const []) { "cpu", "gpu", NULL }, "tpu", &error),
           "settings schema “Errors”: key pool: the default does not fit: \"tpu\" is not one of the choices: cpu, gpu");
  REFUSED (qi_settings_schema_add_enum (schema, "pool", NULL, NULL,
                                        (const char * const []) { "cpu", "cpu", NULL }, NULL, &error),
           "settings schema “Errors”: key pool: the choice “cpu” is given twice");
  REFUSED (qi_settings_schema_add_int (schema, "retries", NULL, NULL, 5, 1, 3, &error),
           "settings schema “Errors”: key retries: the minimum 5 is above the maximum 1");
  REFUSED (qi_settings_schema_add_float (schema, "gamma", NULL, NULL, 0, INFINITY, 2.2, &error),
           "settings schema “Errors”: key gamma: the limits 0 and inf are not a range of finite numbers");
  REFUSED (qi_settings_schema_add_list (schema, "tags", NULL, NULL, QI_SETTINGS_TYPE_STRING, bad_list, &error),
           "settings schema “Errors”: key tags: the default does not fit: item 0: expected a string, found 1");
  REFUSED (qi_settings_schema_add_list (schema, "nested", NULL, NULL, QI_SETTINGS_TYPE_LIST, NULL, &error),
           "settings schema “Errors”: key nested: list items are strings, paths, numbers or booleans");
  REFUSED (qi_settings_schema_set_length (schema, "notify", 0, 4, &error),
           "settings schema “Errors”: key notify: only strings, paths and lists have a length");
  g_assert_true (qi_settings_schema_add_string (schema, "name", NULL, NULL, "a long default", &error));
  REFUSED (qi_settings_schema_set_length (schema, "name", 0, 4, &error),
           "settings schema “Errors”: key name: the default does not fit: \"a long default\" is 14 characters long; "
           "the length allowed is 0 to 4");

  /* The first error stays the schema's. */
  g_assert_cmpstr (qi_settings_schema_get_error (schema)->message, ==, first);
#undef REFUSED
}

/* The export, whole, so that the UIs' contract is pinned. */
static void
test_json_schema (void)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Small");
  g_autoptr(JsonNode) exported = NULL;
  g_autofree char *text = NULL;

  g_assert_true (qi_settings_schema_add_int (schema, "farm.priority", "Priority", "Job priority", 0, 100, 50, NULL));
  g_assert_true (qi_settings_schema_add_float (schema, "farm.gamma", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 2.2, NULL));
  g_assert_true (qi_settings_schema_add_enum (schema, "pool", NULL, NULL,
                                              (const char * const []) { "cpu", "gpu", NULL }, "gpu", NULL));
  g_assert_true (qi_settings_schema_add_list (schema, "dirs", NULL, NULL, QI_SETTINGS_TYPE_PATH, NULL, NULL));
  g_assert_true (qi_settings_schema_set_length (schema, "dirs", 0, 4, NULL));
  exported = qi_settings_schema_to_json_schema (schema, "urn:qi:settings:small");
  text = to_text (exported);
  g_assert_cmpstr (text, ==,
    "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$id\":\"urn:qi:settings:small\","
    "\"title\":\"Small\",\"type\":\"object\",\"properties\":{"
      "\"farm\":{\"title\":\"farm\",\"type\":\"object\",\"properties\":{"
        "\"priority\":{\"title\":\"Priority\",\"description\":\"Job priority\",\"type\":\"integer\","
          "\"minimum\":0,\"maximum\":100,\"default\":50},"
        "\"gamma\":{\"title\":\"gamma\",\"type\":\"number\",\"default\":2.2000000000000002}},"
        "\"additionalProperties\":false},"
      "\"pool\":{\"title\":\"pool\",\"type\":\"string\",\"enum\":[\"cpu\",\"gpu\"],\"default\":\"gpu\"},"
      "\"dirs\":{\"title\":\"dirs\",\"type\":\"array\",\"items\":{\"type\":\"string\",\"format\":\"path\"},"
        "\"maxItems\":4,\"default\":[]}},"
    "\"additionalProperties\":false}");
}

static void
test_validate (void)
{
  g_autoptr(QiSettingsSchema) schema = farm_schema ();
  struct {
    const char *values;
    const char *message;
  } cases[] = {
    { "{\"farm\":{\"priority\":101}}", "bundle layer “prod”: farm.priority: 101 is above the maximum 100" },
    { "{\"farm\":{\"priority\":-1}}", "bundle layer “prod”: farm.priority: -1 is below the minimum 0" },
    { "{\"farm\":{\"priority\":5.5}}", "bundle layer “prod”: farm.priority: expected a whole number, found 5.5" },
    { "{\"farm\":{\"priority\":\"high\"}}", "bundle layer “prod”: farm.priority: expected a whole number, found \"high\"" },
    { "{\"farm\":{\"pool\":\"tpu\"}}", "bundle layer “prod”: farm.pool: \"tpu\" is not one of the choices: cpu, gpu" },
    { "{\"farm\":{\"timeout\":0.1}}", "bundle layer “prod”: farm.timeout: 0.1 is below the minimum 0.5" },
    { "{\"farm\":{\"prio\":1}}", "bundle layer “prod”: farm.prio: no such key" },
    { "{\"farm\":3}", "bundle layer “prod”: farm: expected an object (a group of keys), found 3" },
    { "{\"output\":{\"formats\":[]}}", "bundle layer “prod”: output.formats: the list has 0 items; the number allowed is 1 to 3" },
    { "{\"output\":{\"formats\":[\"exr\",7]}}", "bundle layer “prod”: output.formats: item 1: expected a string, found 7" },
    { "{\"output\":{\"formats\":\"exr\"}}", "bundle layer “prod”: output.formats: expected a list of a string, found \"exr\"" },
    { "{\"output\":{\"folder\":null}}", "bundle layer “prod”: output.folder: expected a path (a string), found null" },
    { "{\"notify\":\"yes\"}", "bundle layer “prod”: notify: expected true or false, found \"yes\"" },
    { "{\"label\":\"ninechars\"}", "bundle layer “prod”: label: \"ninechars\" is 9 characters long; the length allowed is 0 to 8" },
    { "[1]", "bundle layer “prod”: expected an object of settings, found an array" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) values = json_from_string (cases[i].values, NULL);
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].values);
      g_assert_false (qi_settings_schema_validate (schema, values, "bundle layer “prod”", &error));
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  {
    g_autoptr(JsonNode) values = json_from_string ("{\"farm\":{\"timeout\":2},\"output\":{\"formats\":[\"exr\",\"png\"]},"
                                                   "\"label\":\"héllo\"}", NULL);
    g_autoptr(GError) error = NULL;

    /* A whole number is a number; "héllo" is 5 characters, not 6 bytes. */
    g_assert_true (qi_settings_schema_validate (schema, values, NULL, &error));
    g_assert_no_error (error);
  }
}

static void
test_parse_value (void)
{
  g_autoptr(QiSettingsSchema) schema = farm_schema ();
  struct {
    const char *key;
    const char *text;
    const char *json;     /* or NULL for an error */
    const char *message;
  } cases[] = {
    { "farm.priority", "80", "80", NULL },
    { "farm.priority", "eighty", NULL, "farm.priority: “eighty” is not a whole number" },
    { "farm.priority", "180", NULL, "farm.priority: 180 is above the maximum 100" },
    { "farm.pool", "gpu", "\"gpu\"", NULL },
    { "farm.pool", "\"gpu\"", NULL, "farm.pool: \"\\\"gpu\\\"\" is not one of the choices: cpu, gpu" },
    { "output.folder", "/mnt/renders", "\"/mnt/renders\"", NULL },
    { "output.formats", "[\"exr\", \"png\"]", "[\"exr\",\"png\"]", NULL },
    { "notify", "false", "false", NULL },
    { "notify", "no", NULL, "notify: “no” is not true or false" },
    { "farm", "1", NULL, "farm: a group of keys; set its keys one by one, such as farm.priority" },
    { "farm.nothing", "1", NULL, "farm.nothing: no such key" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) value = qi_settings_schema_parse_value (schema, cases[i].key, cases[i].text, &error);

      if (cases[i].json != NULL)
        {
          g_autofree char *text = NULL;

          g_assert_no_error (error);
          text = to_text (value);
          g_assert_cmpstr (text, ==, cases[i].json);
        }
      else
        {
          g_assert_null (value);
          g_assert_cmpstr (error->message, ==, cases[i].message);
        }
    }
}

/* Layering and origins. */

static void
test_layers (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) resolved = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *values = NULL;
  g_autofree char *origins = NULL;
  g_autofree char *errors = NULL;
  g_autofree char *bundle_path = layer_file (f, "bundles", "prod");
  g_autofree char *expected = NULL;
  QiSettingsLayer origin;

  /* Nothing overridden: the defaults. */
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  g_assert_no_error (error);
  origins = member_text (resolved, "origins");
  g_assert_cmpstr (origins, ==,
                   "{\"farm.priority\":\"default\",\"farm.pool\":\"default\",\"farm.timeout\":\"default\","
                   "\"output.folder\":\"default\",\"output.formats\":\"default\",\"notify\":\"default\","
                   "\"label\":\"default\"}");
  g_clear_pointer (&resolved, json_node_unref);
  g_clear_pointer (&origins, g_free);

  write_layer (f, "bundles", "prod",
               "{\"format\": 1, \"addons\": {\"farm\": {\"farm\": {\"priority\": 70, \"pool\": \"gpu\"},"
               " \"output\": {\"formats\": [\"exr\", \"png\"]}}, \"other\": {\"x\": 1}}}");
  write_layer (f, "projects", "demo",
               "{\"format\": 1, \"addons\": {\"farm\": {\"farm\": {\"priority\": 90}, \"notify\": false}}}");

  /* The bundle over the defaults. */
  g_clear_object (&f->settings);
  {
    g_autoptr(QiSettingsSchema) schema = farm_schema ();

    f->settings = qi_settings_new (f->folder);
    g_assert_true (qi_settings_set_bundle (f->settings, "prod", NULL));
    g_assert_true (qi_settings_add_schema (f->settings, "farm", schema, NULL));
  }
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  g_assert_no_error (error);
  values = member_text (resolved, "values");
  g_assert_cmpstr (values, ==,
                   "{\"farm\":{\"priority\":70,\"pool\":\"gpu\",\"timeout\":3600.0},"
                   "\"output\":{\"folder\":\"/tmp/renders\",\"formats\":[\"exr\",\"png\"]},"
                   "\"notify\":true,\"label\":\"\"}");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (resolved), "bundle"), ==, "prod");
  g_assert_true (json_object_get_null_member (json_node_get_object (resolved), "project"));
  g_clear_pointer (&resolved, json_node_unref);
  g_clear_pointer (&values, g_free);

  /* The project over the bundle; each value knows its layer. */
  resolved = qi_settings_resolve (f->settings, "farm", "demo", &error);
  g_assert_no_error (error);
  values = member_text (resolved, "values");
  origins = member_text (resolved, "origins");
  errors = member_text (resolved, "errors");
  g_assert_cmpstr (values, ==,
                   "{\"farm\":{\"priority\":90,\"pool\":\"gpu\",\"timeout\":3600.0},"
                   "\"output\":{\"folder\":\"/tmp/renders\",\"formats\":[\"exr\",\"png\"]},"
                   "\"notify\":false,\"label\":\"\"}");
  g_assert_cmpstr (origins, ==,
                   "{\"farm.priority\":\"project\",\"farm.pool\":\"bundle\",\"farm.timeout\":\"default\","
                   "\"output.folder\":\"default\",\"output.formats\":\"bundle\",\"notify\":\"project\","
                   "\"label\":\"default\"}");
  g_assert_cmpstr (errors, ==, "[]");

  value = qi_settings_get_value (f->settings, "farm", "farm.pool", "demo", &origin, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_node_get_string (value), ==, "gpu");
  g_assert_cmpint (origin, ==, QI_SETTINGS_LAYER_BUNDLE);
  g_clear_pointer (&value, json_node_unref);
  g_assert_true (qi_settings_set_project (f->settings, "demo", NULL));
  value = qi_settings_get_value (f->settings, "farm", "farm.priority", NULL, &origin, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_node_get_int (value), ==, 90);
  g_assert_cmpint (origin, ==, QI_SETTINGS_LAYER_PROJECT);
  g_clear_pointer (&value, json_node_unref);
  value = qi_settings_get_value (f->settings, "farm", "farm.nothing", NULL, NULL, &error);
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_KEY);
  g_assert_cmpstr (error->message, ==, "farm.nothing: the addon “farm” has no such key");
  g_clear_error (&error);

  /* Errors: an unknown addon, a project that cannot name a file. */
  g_assert_null (qi_settings_resolve (f->settings, "render", NULL, &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_ADDON);
  g_assert_cmpstr (error->message, ==, "no loaded addon “render” has settings; those that do: farm");
  g_clear_error (&error);
  g_assert_null (qi_settings_resolve (f->settings, "farm", "../etc", &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_BAD_NAME);
  g_assert_cmpstr (error->message, ==,
                   "“../etc” cannot name a project: it needs 1 to 128 bytes, without “/”, “\\” or control characters, not starting with “.”");
  g_clear_error (&error);

  /* A value that does not fit is left out, with the file, the layer and
   * the key path; the rest of the layer applies. */
  g_clear_pointer (&resolved, json_node_unref);
  g_clear_pointer (&values, g_free);
  g_clear_pointer (&origins, g_free);
  g_clear_pointer (&errors, g_free);
  write_layer (f, "bundles", "staging",
               "{\"format\": 1, \"addons\": {\"farm\": {\"farm\": {\"priority\": 170, \"pool\": \"gpu\", \"tiemout\": 5}}}}");
  g_assert_true (qi_settings_set_bundle (f->settings, "staging", NULL));
  g_assert_true (qi_settings_set_project (f->settings, NULL, NULL));
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  g_assert_no_error (error);
  origins = member_text (resolved, "origins");
  g_assert_true (g_str_has_prefix (origins, "{\"farm.priority\":\"default\",\"farm.pool\":\"bundle\","));
  {
    JsonArray *listed = json_object_get_array_member (json_node_get_object (resolved), "errors");
    g_autofree char *staging = layer_file (f, "bundles", "staging");
    g_autofree char *first = g_strdup_printf ("%s (bundle layer “staging”): farm.priority: 170 is above the maximum 100",
                                              staging);
    g_autofree char *second = g_strdup_printf ("%s (bundle layer “staging”): farm.tiemout: no such key", staging);

    g_assert_cmpuint (json_array_get_length (listed), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (listed, 0), ==, first);
    g_assert_cmpstr (json_array_get_string_element (listed, 1), ==, second);
  }

  /* A file that is not JSON: where, and the layer is left out whole. */
  g_clear_pointer (&resolved, json_node_unref);
  write_layer (f, "bundles", "broken", "{\"format\": 1,\n \"addons\": {\"farm\": {\"notify\": tru}}}");
  g_assert_true (qi_settings_set_bundle (f->settings, "broken", NULL));
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  g_assert_no_error (error);
  {
    JsonArray *listed = json_object_get_array_member (json_node_get_object (resolved), "errors");
    g_autofree char *broken = layer_file (f, "bundles", "broken");

    expected = g_strdup_printf ("%s:2:35: not valid JSON; the bundle layer “broken” is left out", broken);
    g_assert_cmpuint (json_array_get_length (listed), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (listed, 0), ==, expected);
  }
  g_clear_pointer (&expected, g_free);

  /* Another format, and members that are not the format's. */
  g_clear_pointer (&resolved, json_node_unref);
  write_layer (f, "bundles", "future", "{\"format\": 2, \"addons\": {}}");
  g_assert_true (qi_settings_set_bundle (f->settings, "future", NULL));
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  {
    JsonArray *listed = json_object_get_array_member (json_node_get_object (resolved), "errors");
    g_autofree char *future = layer_file (f, "bundles", "future");

    expected = g_strdup_printf ("%s: $.format: 2 is not a format this Qi reads (it reads 1); "
                                "the bundle layer “future” is left out", future);
    g_assert_cmpstr (json_array_get_string_element (listed, 0), ==, expected);
  }
  (void) bundle_path;
}

/* Patches. */

static char *
read_text (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
test_patch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) patch = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *bundle_path = layer_file (f, "bundles", "prod");
  g_autofree char *project_path = layer_file (f, "projects", "demo");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  QiSettingsLayer origin;

  /* A first change makes the folder and the file. */
  patch = json_from_string ("{\"farm\":{\"priority\":80,\"pool\":\"gpu\"}}", NULL);
  g_assert_true (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_assert_no_error (error);
  before = read_text (bundle_path);
  g_assert_nonnull (before);
  {
    g_autoptr(JsonNode) root = json_from_string (before, NULL);
    g_autofree char *text = to_text (root);

    g_assert_cmpstr (text, ==, "{\"format\":1,\"addons\":{\"farm\":{\"farm\":{\"priority\":80,\"pool\":\"gpu\"}}}}");
  }

  /* Merge-patch: a null removes the override, the rest stays. */
  g_clear_pointer (&patch, json_node_unref);
  patch = json_from_string ("{\"farm\":{\"pool\":null},\"notify\":false}", NULL);
  g_assert_true (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_clear_pointer (&before, g_free);
  before = read_text (bundle_path);
  {
    g_autoptr(JsonNode) root = json_from_string (before, NULL);
    g_autofree char *text = to_text (root);

    g_assert_cmpstr (text, ==, "{\"format\":1,\"addons\":{\"farm\":{\"farm\":{\"priority\":80},\"notify\":false}}}");
  }
  value = qi_settings_get_value (f->settings, "farm", "farm.pool", NULL, &origin, &error);
  g_assert_cmpstr (json_node_get_string (value), ==, "cpu");
  g_assert_cmpint (origin, ==, QI_SETTINGS_LAYER_DEFAULT);
  g_clear_pointer (&value, json_node_unref);

  /* A value that does not fit writes nothing; the error names the key
   * path and the layer with its file. */
  g_clear_pointer (&patch, json_node_unref);
  patch = json_from_string ("{\"farm\":{\"priority\":101},\"label\":\"ok\"}", NULL);
  g_assert_false (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID);
  {
    g_autofree char *message = g_strdup_printf ("%s (bundle layer “prod”): farm.priority: 101 is above the maximum 100",
                                                bundle_path);

    g_assert_cmpstr (error->message, ==, message);
  }
  g_clear_error (&error);
  after = read_text (bundle_path);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);

  /* One key at a time, into a project layer. */
  value = json_from_string ("[\"exr\",\"jpg\"]", NULL);
  g_assert_true (qi_settings_set_value (f->settings, "farm", "output.formats", value,
                                        QI_SETTINGS_LAYER_PROJECT, "demo", &error));
  g_assert_no_error (error);
  g_clear_pointer (&value, json_node_unref);
  value = qi_settings_get_value (f->settings, "farm", "output.formats", "demo", &origin, &error);
  g_assert_cmpint (origin, ==, QI_SETTINGS_LAYER_PROJECT);
  g_clear_pointer (&value, json_node_unref);
  g_assert_true (qi_settings_set_value (f->settings, "farm", "output.formats", NULL,
                                        QI_SETTINGS_LAYER_PROJECT, "demo", &error));
  after = read_text (project_path);
  {
    g_autoptr(JsonNode) root = json_from_string (after, NULL);
    g_autofree char *text = to_text (root);

    /* Unsetting the last key leaves no empty group behind. */
    g_assert_cmpstr (text, ==, "{\"format\":1,\"addons\":{}}");
  }
  g_clear_pointer (&after, g_free);

  /* Refused: the default layer, a project layer without a project, an
   * unknown key, a patch that is not an object. */
  g_assert_false (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_DEFAULT, NULL, patch, &error));
  g_assert_cmpstr (error->message, ==,
                   "the default layer is the schema's and cannot be changed; set the value in the bundle or the project layer");
  g_clear_error (&error);
  g_assert_false (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_PROJECT, NULL, patch, &error));
  g_assert_cmpstr (error->message, ==, "the project layer needs a project: give one (--project P)");
  g_clear_error (&error);
  g_assert_false (qi_settings_set_value (f->settings, "farm", "farm.prio", patch, QI_SETTINGS_LAYER_BUNDLE, NULL, &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);
  value = json_from_string ("[1]", NULL);
  g_assert_false (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_BUNDLE, NULL, value, &error));
  g_assert_cmpstr (error->message, ==, "a change of settings is an object of keys and values, not an array");
  g_clear_error (&error);
  g_clear_pointer (&value, json_node_unref);

  /* A file someone broke is never overwritten: fix it first. */
  write_layer (f, "bundles", "prod", "{\"format\": 1, \"addons\": {\"farm\": ");
  g_clear_pointer (&before, g_free);
  before = read_text (bundle_path);
  g_clear_pointer (&patch, json_node_unref);
  patch = json_from_string ("{\"notify\":true}", NULL);
  g_assert_false (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_PARSE);
  {
    g_autofree char *message = g_strdup_printf ("%s:1:34: unexpected end of the file; fix or remove the file first: "
                                                "nothing was changed", bundle_path);

    g_assert_cmpstr (error->message, ==, message);
  }
  g_clear_error (&error);
  after = read_text (bundle_path);
  g_assert_cmpstr (after, ==, before);

  /* Other addons' overrides in the file are kept as they are. */
  write_layer (f, "bundles", "prod", "{\"format\": 1, \"addons\": {\"render\": {\"whatever\": [1, 2]}}}");
  g_assert_true (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_clear_pointer (&after, g_free);
  after = read_text (bundle_path);
  {
    g_autoptr(JsonNode) root = json_from_string (after, NULL);
    g_autofree char *text = to_text (root);

    g_assert_cmpstr (text, ==, "{\"format\":1,\"addons\":{\"render\":{\"whatever\":[1,2]},\"farm\":{\"notify\":true}}}");
  }
}

/* What the review of the first version found. */
static void
test_robustness (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) patch = json_from_string ("{\"label\":\"hero\"}", NULL);
  g_autofree char *elsewhere = g_build_filename (f->root, "studio-repo", "demo.json", NULL);
  g_autofree char *projects = g_build_filename (f->folder, "projects", NULL);
  g_autofree char *link = g_build_filename (projects, "linked.json", NULL);
  g_autofree char *spaced = g_build_filename (projects, "Big%20Show.json", NULL);
  g_autofree char *fifo = g_build_filename (projects, "pipe.json", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *elsewhere_dir = g_path_get_dirname (elsewhere);
  struct stat info;

  /* A value handed out shares nothing with the schema or the layers. */
  value = qi_settings_get_value (f->settings, "farm", "output.formats", NULL, NULL, &error);
  g_assert_no_error (error);
  json_array_add_string_element (json_node_get_array (value), "MUTATED");
  again = qi_settings_get_value (f->settings, "farm", "output.formats", NULL, NULL, &error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (again)), ==, 1);

  /* A project name with a space names a file, percent-encoded. */
  g_assert_true (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_PROJECT, "Big Show", patch, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (spaced, G_FILE_TEST_IS_REGULAR));

  /* A symbolic link stays one; the file it leads to changes, its mode kept. */
  g_assert_cmpint (g_mkdir_with_parents (elsewhere_dir, 0700), ==, 0);
  qi_test_env_write (elsewhere, "{\"format\": 1, \"addons\": {}}");
  g_assert_cmpint (g_chmod (elsewhere, 0600), ==, 0);
  g_assert_cmpint (symlink (elsewhere, link), ==, 0);
  g_assert_true (qi_settings_patch (f->settings, "farm", QI_SETTINGS_LAYER_PROJECT, "linked", patch, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (elsewhere, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "hero"));
  g_assert_cmpint (g_stat (elsewhere, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 07777, ==, 0600);

  /* A FIFO in place of a file is refused without blocking. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_clear_pointer (&value, json_node_unref);
  value = qi_settings_resolve (f->settings, "farm", "pipe", &error);
  g_assert_no_error (error);
  {
    JsonArray *listed = json_object_get_array_member (json_node_get_object (value), "errors");

    g_assert_cmpuint (json_array_get_length (listed), ==, 1);
    g_assert_nonnull (strstr (json_array_get_string_element (listed, 0), "pipe.json: cannot read the settings: not a regular file"));
  }

  /* A run's project that cannot name a file is refused up front. */
  g_assert_false (qi_settings_set_project (f->settings, ".hidden", &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_BAD_NAME);
  g_clear_error (&error);
  g_assert_null (qi_settings_get_project (f->settings));

  /* A default that is not a number. */
  {
    g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("NaN");

    g_assert_false (qi_settings_schema_add_float (schema, "gamma", NULL, NULL, 0, 10, NAN, &error));
    g_assert_cmpstr (error->message, ==, "settings schema “NaN”: key gamma: the default nan is not a finite number");
    g_clear_error (&error);
  }
}

/* The watch and the hub. */

typedef struct
{
  GPtrArray *events;   /* of char *: the payloads */
} Events;

static void
on_event (QiMessage *event,
          gpointer   user_data)
{
  Events *events = user_data;

  g_ptr_array_add (events->events, json_to_string (qi_message_get_payload (event), FALSE));
}

static gboolean
wait_for_events (Events *events,
                 guint   count)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (events->events->len < count && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (2000), TRUE);
  return events->events->len >= count;
}

static void
test_watch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) resolved = NULL;
  g_autoptr(JsonNode) patch = NULL;
  g_autoptr(GPtrArray) payloads = g_ptr_array_new_with_free_func (g_free);
  Events events = { payloads };

  g_assert_true (qi_settings_attach_hub (f->settings, hub, &error));
  g_assert_no_error (error);
  qi_settings_set_watch (f->settings, TRUE);
  client = qi_hub_open_endpoint (hub, "test/client", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_hub_endpoint_subscribe (client, "config.changed", on_event, &events, NULL, &error), >, 0);

  /* Reading the layers starts watching their files. */
  resolved = qi_settings_resolve (f->settings, "farm", "demo", &error);
  g_assert_no_error (error);

  /* Someone else writes the bundle's file (atomically, as editors do). */
  write_layer (f, "bundles", "prod", "{\"format\": 1, \"addons\": {\"farm\": {\"farm\": {\"priority\": 60}}}}");
  g_assert_true (wait_for_events (&events, 1));
  g_assert_cmpstr (payloads->pdata[0], ==,
                   "{\"addon\":\"farm\",\"layer\":\"bundle\",\"name\":\"prod\",\"project\":null,"
                   "\"keys\":[\"farm.priority\"]}");
  g_clear_pointer (&resolved, json_node_unref);
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  {
    g_autofree char *values = member_text (resolved, "values");

    g_assert_true (g_str_has_prefix (values, "{\"farm\":{\"priority\":60,"));
  }

  /* A project's file appears. */
  write_layer (f, "projects", "demo",
               "{\"format\": 1, \"addons\": {\"farm\": {\"notify\": false, \"output\": {\"folder\": \"/mnt\"}}}}");
  g_assert_true (wait_for_events (&events, 2));
  g_assert_cmpstr (payloads->pdata[1], ==,
                   "{\"addon\":\"farm\",\"layer\":\"project\",\"name\":\"demo\",\"project\":\"demo\","
                   "\"keys\":[\"notify\",\"output.folder\"]}");

  /* A broken write keeps the last good reading, and says so. */
  write_layer (f, "bundles", "prod", "{\"format\": 1, \"addons\": {\"farm\": ");
  {
    gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE) || (g_usleep (2000), TRUE);
  }
  g_assert_cmpuint (payloads->len, ==, 2);
  g_clear_pointer (&resolved, json_node_unref);
  resolved = qi_settings_resolve (f->settings, "farm", NULL, &error);
  {
    g_autofree char *values = member_text (resolved, "values");
    JsonArray *listed = json_object_get_array_member (json_node_get_object (resolved), "errors");

    g_assert_true (g_str_has_prefix (values, "{\"farm\":{\"priority\":60,"));
    g_assert_cmpuint (json_array_get_length (listed), ==, 1);
    g_assert_nonnull (strstr (json_array_get_string_element (listed, 0), "unexpected end of the file"));
  }

  /* Fixed, then changed through the hub: one event per change, not one
   * more when the watch sees the file written. */
  write_layer (f, "bundles", "prod", "{\"format\": 1, \"addons\": {}}");
  g_assert_true (wait_for_events (&events, 3));
  g_assert_cmpstr (payloads->pdata[2], ==,
                   "{\"addon\":\"farm\",\"layer\":\"bundle\",\"name\":\"prod\",\"project\":null,"
                   "\"keys\":[\"farm.priority\"]}");
  g_clear_pointer (&resolved, json_node_unref);
  resolved = qi_test_ask (client, "config.patch",
                  "{\"addon\":\"farm\",\"layer\":\"bundle\",\"values\":{\"farm\":{\"pool\":\"gpu\"}}}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (payloads->len, >=, 4);
  g_assert_cmpstr (payloads->pdata[3], ==,
                   "{\"addon\":\"farm\",\"layer\":\"bundle\",\"name\":\"prod\",\"project\":null,"
                   "\"keys\":[\"farm.pool\"]}");
  {
    gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, FALSE) || (g_usleep (2000), TRUE);
  }
  g_assert_cmpuint (payloads->len, ==, 4);
}

static void
test_hub (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GPtrArray) payloads = g_ptr_array_new_with_free_func (g_free);
  Events events = { payloads };
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *text = NULL;

  g_assert_true (qi_settings_attach_hub (f->settings, hub, &error));
  client = qi_hub_open_endpoint (hub, "test/client", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (qi_hub_endpoint_subscribe (client, "config.changed", on_event, &events, NULL, &error), >, 0);
  reply = qi_test_ask (client, "config.patch",
               "{\"addon\":\"farm\",\"layer\":\"project\",\"project\":\"demo\",\"values\":{\"label\":\"hero\"}}",
               &error);
  g_assert_no_error (error);
  /* The first change of a layer nobody had read is announced too. */
  g_assert_true (wait_for_events (&events, 1));
  g_assert_cmpstr (payloads->pdata[0], ==,
                   "{\"addon\":\"farm\",\"layer\":\"project\",\"name\":\"demo\",\"project\":\"demo\","
                   "\"keys\":[\"label\"]}");
  text = member_text (reply, "values");
  g_assert_true (g_str_has_suffix (text, "\"label\":\"hero\"}"));
  g_clear_pointer (&reply, json_node_unref);
  g_clear_pointer (&text, g_free);

  reply = qi_test_ask (client, "config.get", "{\"addon\":\"farm\",\"project\":\"demo\"}", &error);
  g_assert_no_error (error);
  text = member_text (reply, "origins");
  g_assert_true (g_str_has_suffix (text, "\"label\":\"project\"}"));
  g_clear_pointer (&reply, json_node_unref);
  g_clear_pointer (&text, g_free);

  reply = qi_test_ask (client, "config.get", "{\"addon\":\"farm\"}", &error);
  text = member_text (reply, "origins");
  g_assert_true (g_str_has_suffix (text, "\"label\":\"default\"}"));
  g_clear_pointer (&reply, json_node_unref);
  g_clear_pointer (&text, g_free);

  reply = qi_test_ask (client, "config.schema", "{\"addon\":\"farm\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "$id"), ==, "urn:qi:settings:farm");
  g_clear_pointer (&reply, json_node_unref);

  /* Failures come back as handler_failed with the reason. */
  {
    struct {
      const char *topic;
      const char *payload;
      const char *message;
    } cases[] = {
      { "config.get", "{}", "the payload needs \"addon\", a string" },
      { "config.get", "{\"addon\":7}", "the payload's \"addon\" must be a string, not a number" },
      { "config.get", "{\"addon\":\"render\"}", "no loaded addon “render” has settings; those that do: farm" },
      { "config.patch", "{\"addon\":\"farm\",\"layer\":\"default\",\"values\":{}}",
        "\"layer\" must be \"bundle\" or \"project\", not “default”" },
      { "config.patch", "{\"addon\":\"farm\",\"layer\":\"bundle\"}",
        "the payload needs \"values\", an object of the keys to change" },
      { "config.patch", "{\"addon\":\"farm\",\"layer\":\"bundle\",\"values\":{\"notify\":1}}", NULL },
      { "config.schema", "{\"addon\":\"render\"}", "no loaded addon “render” has settings; those that do: farm" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        reply = qi_test_ask (client, cases[i].topic, cases[i].payload, &error);
        g_assert_null (reply);
        g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
        if (cases[i].message != NULL)
          g_assert_cmpstr (error->message, ==, cases[i].message);
        else
          g_assert_true (g_str_has_suffix (error->message, "(bundle layer “prod”): notify: expected true or false, found 1"));
        g_clear_error (&error);
      }
  }
}

/* JSON keys and validators. */

/* A validator: the value is an object of names; a name whose value is
 * "@other" refers to the name "other", which must be in the value (as it
 * resolves over the layers below). Counts its calls in @user_data. */
static gboolean
names_validator (QiSettingsSchema  *schema,
                 const char        *key,
                 JsonNode          *value,
                 gpointer           user_data,
                 GError           **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  (*(guint *) user_data)++;
  if (!JSON_NODE_HOLDS_OBJECT (value))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID, "%s: expected an object of names", key);
      return FALSE;
    }
  json_object_iter_init (&iter, json_node_get_object (value));
  while (json_object_iter_next (&iter, &name, &node))
    {
      const char *text = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                         ? json_node_get_string (node) : NULL;

      if (text != NULL && text[0] == '@' && !json_object_has_member (json_node_get_object (value), text + 1))
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       "%s.%s: “%s” names no member", key, name, text);
          return FALSE;
        }
    }
  return TRUE;
}

static QiSettingsSchema *
shelf_schema (guint *calls)
{
  QiSettingsSchema *schema = qi_settings_schema_new ("Shelf");
  g_autoptr(JsonNode) names = json_from_string ("{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":2}}", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_settings_schema_add_json (schema, "names", "Names", "Named things", names, &error));
  g_assert_true (qi_settings_schema_set_validator (schema, "names", names_validator, calls, NULL, &error));
  g_assert_true (qi_settings_schema_add_int (schema, "size", NULL, NULL, 0, 10, 1, &error));
  g_assert_no_error (error);
  return schema;
}

static void
test_json_key_schema (void)
{
  guint calls = 0;
  g_autoptr(QiSettingsSchema) schema = shelf_schema (&calls);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autoptr(JsonNode) exported = NULL;
  g_autofree char *text = NULL;
  JsonObject *names;

  /* The default was checked when the validator was set. */
  g_assert_cmpuint (calls, ==, 1);
  g_assert_cmpint (qi_settings_schema_get_key_type (schema, "names"), ==, QI_SETTINGS_TYPE_JSON);
  value = qi_settings_schema_dup_defaults (schema);
  text = to_text (value);
  g_assert_cmpstr (text, ==, "{\"names\":{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":2}},\"size\":1}");
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, json_node_unref);

  /* Validation merges over the defaults: "@a" finds the default's a. */
  value = json_from_string ("{\"names\":{\"b\":\"@a\"}}", NULL);
  g_assert_true (qi_settings_schema_validate (schema, value, "bundle layer “prod”", &error));
  g_assert_no_error (error);
  g_clear_pointer (&value, json_node_unref);
  value = json_from_string ("{\"names\":{\"b\":\"@zz\"}}", NULL);
  g_assert_false (qi_settings_schema_validate (schema, value, "bundle layer “prod”", &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "bundle layer “prod”: names.b: “@zz” names no member");
  g_clear_error (&error);
  g_clear_pointer (&value, json_node_unref);
  /* The type comes first: a null is no value, and never reaches the validator. */
  calls = 0;
  value = json_from_string ("{\"names\":null}", NULL);
  g_assert_false (qi_settings_schema_validate (schema, value, "bundle layer “prod”", &error));
  g_assert_cmpstr (error->message, ==, "bundle layer “prod”: names: expected a JSON value, found null");
  g_assert_cmpuint (calls, ==, 0);
  g_clear_error (&error);
  g_clear_pointer (&value, json_node_unref);
  /* A value that is no object replaces the default whole. */
  value = json_from_string ("{\"names\":[1]}", NULL);
  g_assert_false (qi_settings_schema_validate (schema, value, NULL, &error));
  g_assert_cmpstr (error->message, ==, "names: expected an object of names");
  g_clear_error (&error);
  g_clear_pointer (&value, json_node_unref);

  /* From the command line: JSON, its type checked, not the validator. */
  calls = 0;
  value = qi_settings_schema_parse_value (schema, "names", "{\"b\": \"@nowhere\", \"g\": {\"h\": {\"i\": {\"j\": 1}}}}",
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpuint (calls, ==, 0);
  names = json_node_get_object (value);
  g_assert_cmpstr (json_object_get_string_member (names, "b"), ==, "@nowhere");
  g_clear_pointer (&value, json_node_unref);
  g_assert_null (qi_settings_schema_parse_value (schema, "names", "{\"b\": }", &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "names: the value is not JSON: "));
  g_assert_true (g_str_has_suffix (error->message, " at character 6"));
  g_clear_error (&error);
  g_assert_null (qi_settings_schema_parse_value (schema, "names", "null", &error));
  g_assert_cmpstr (error->message, ==, "names: expected a JSON value, found null");
  g_clear_error (&error);

  /* JSON Schema: any value, with its default. */
  exported = qi_settings_schema_to_json_schema (schema, NULL);
  text = to_text (json_object_get_member (json_object_get_object_member (json_node_get_object (exported),
                                                                         "properties"), "names"));
  g_assert_cmpstr (text, ==, "{\"title\":\"Names\",\"description\":\"Named things\","
                             "\"default\":{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":2}}}");
}

static gboolean
refuse_all (QiSettingsSchema  *schema,
            const char        *key,
            JsonNode          *value,
            gpointer           user_data,
            GError           **error)
{
  return FALSE;
}

static void
count_free (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_json_key_builder_errors (void)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Bad");
  g_autoptr(GError) error = NULL;
  guint freed = 0;

  g_assert_true (qi_settings_schema_add_object (schema, "group", NULL, NULL, NULL));
  g_assert_true (qi_settings_schema_add_json (schema, "blob", NULL, NULL, NULL, NULL));

  g_assert_false (qi_settings_schema_set_validator (schema, "nothing", refuse_all, &freed, count_free, &error));
  g_assert_cmpstr (error->message, ==, "settings schema “Bad”: key nothing: not declared");
  g_clear_error (&error);
  /* the data is freed even when the validator is refused */
  g_assert_cmpuint (freed, ==, 1);
  g_assert_false (qi_settings_schema_set_validator (schema, "group", refuse_all, NULL, NULL, &error));
  g_assert_cmpstr (error->message, ==,
                   "settings schema “Bad”: key group: a group of keys takes no validator; give one to each of its keys");
  g_clear_error (&error);
  /* A validator that refuses the default (and says nothing) fails the schema. */
  g_assert_false (qi_settings_schema_set_validator (schema, "blob", refuse_all, &freed, count_free, &error));
  g_assert_cmpstr (error->message, ==,
                   "settings schema “Bad”: key blob: the default does not fit: blob: the value is refused by the "
                   "key's validator, which gives no reason");
  g_clear_error (&error);
  g_assert_cmpstr (qi_settings_schema_get_error (schema)->message, ==, "settings schema “Bad”: key nothing: not declared");
  g_assert_cmpuint (freed, ==, 1);
  g_clear_object (&schema);
  /* the schema frees the validator's data with its key */
  g_assert_cmpuint (freed, ==, 2);
}

static void
test_json_key_layers (void)
{
  guint calls = 0;
  g_autoptr(QiSettingsSchema) schema = shelf_schema (&calls);
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("qi-settings-XXXXXX", &error);
  g_autofree char *folder = g_build_filename (root, "settings", NULL);
  g_autofree char *bundle_path = g_build_filename (folder, "bundles", "prod.json", NULL);
  g_autofree char *project_path = g_build_filename (folder, "projects", "demo.json", NULL);
  g_autoptr(QiSettings) settings = qi_settings_new (folder);
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(GPtrArray) payloads = g_ptr_array_new_with_free_func (g_free);
  Events events = { payloads };
  g_autoptr(JsonNode) patch = NULL;
  g_autoptr(JsonNode) resolved = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *text = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  QiSettingsLayer origin;
  JsonObject *object;

  g_assert_no_error (error);
  g_assert_true (qi_settings_set_bundle (settings, "prod", NULL));
  g_assert_true (qi_settings_add_schema (settings, "shelf", schema, &error));
  g_assert_true (qi_settings_attach_hub (settings, hub, &error));
  client = qi_hub_open_endpoint (hub, "test/client", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_hub_endpoint_subscribe (client, "config.changed", on_event, &events, NULL, &error), >, 0);

  /* The bundle adds a name and changes one member of a group; the rest
   * of the default stays. */
  patch = json_from_string ("{\"names\":{\"b\":\"banana\",\"group\":{\"y\":20}}}", NULL);
  g_assert_true (qi_settings_patch (settings, "shelf", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_assert_no_error (error);
  /* config.changed names the JSON key, not the members inside it */
  g_assert_true (wait_for_events (&events, 1));
  g_assert_cmpstr (payloads->pdata[0], ==,
                   "{\"addon\":\"shelf\",\"layer\":\"bundle\",\"name\":\"prod\",\"project\":null,\"keys\":[\"names\"]}");
  value = qi_settings_get_value (settings, "shelf", "names", NULL, &origin, &error);
  g_assert_no_error (error);
  text = to_text (value);
  g_assert_cmpstr (text, ==, "{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":20},\"b\":\"banana\"}");
  g_assert_cmpint (origin, ==, QI_SETTINGS_LAYER_BUNDLE);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, json_node_unref);
  g_clear_pointer (&patch, json_node_unref);

  /* The project refers to the bundle's name: its validator sees the
   * project's value over the bundle's. */
  calls = 0;
  patch = json_from_string ("{\"names\":{\"c\":\"@b\"}}", NULL);
  g_assert_true (qi_settings_patch (settings, "shelf", QI_SETTINGS_LAYER_PROJECT, "demo", patch, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (calls, >, 0);
  value = qi_settings_get_value (settings, "shelf", "names", "demo", &origin, &error);
  text = to_text (value);
  g_assert_cmpstr (text, ==, "{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":20},\"b\":\"banana\",\"c\":\"@b\"}");
  g_assert_cmpint (origin, ==, QI_SETTINGS_LAYER_PROJECT);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&value, json_node_unref);
  g_clear_pointer (&patch, json_node_unref);

  /* A refused change names the layer, its file and the key, and writes
   * nothing. */
  before = read_text (project_path);
  patch = json_from_string ("{\"names\":{\"d\":\"@nope\"}}", NULL);
  g_assert_false (qi_settings_patch (settings, "shelf", QI_SETTINGS_LAYER_PROJECT, "demo", patch, &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID);
  expected = g_strdup_printf ("%s (project layer “demo”): names.d: “@nope” names no member", project_path);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_error (&error);
  g_clear_pointer (&expected, g_free);
  after = read_text (project_path);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);
  g_clear_pointer (&patch, json_node_unref);

  /* The bundle drops its "b": the project's reference to it no longer
   * resolves, so the project's value is left out when the layers are
   * read, with the reason, and the bundle's stands. */
  patch = json_from_string ("{\"names\":{\"b\":null}}", NULL);
  g_assert_true (qi_settings_patch (settings, "shelf", QI_SETTINGS_LAYER_BUNDLE, NULL, patch, &error));
  g_assert_no_error (error);
  resolved = qi_settings_resolve (settings, "shelf", "demo", &error);
  g_assert_no_error (error);
  object = json_node_get_object (resolved);
  text = to_text (json_object_get_member (json_object_get_object_member (object, "values"), "names"));
  g_assert_cmpstr (text, ==, "{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":20}}");
  g_clear_pointer (&text, g_free);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "origins"), "names"), ==,
                   "bundle");
  text = to_text (json_object_get_member (object, "errors"));
  expected = g_strdup_printf ("[\"%s (project layer “demo”): names.c: “@b” names no member\"]", project_path);
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&patch, json_node_unref);
  g_clear_pointer (&resolved, json_node_unref);

  /* A file edited by hand is read the same way. */
  qi_test_env_write (bundle_path, "{\"format\": 1, \"addons\": {\"shelf\": {\"names\": {\"q\": \"@r\"}, \"size\": 3}}}");
  qi_settings_set_bundle (settings, "other", NULL);
  qi_settings_set_bundle (settings, "prod", NULL);
  resolved = qi_settings_resolve (settings, "shelf", NULL, &error);
  object = json_node_get_object (resolved);
  text = to_text (json_object_get_member (object, "values"));
  g_assert_cmpstr (text, ==, "{\"names\":{\"a\":\"apple\",\"group\":{\"x\":1,\"y\":2}},\"size\":3}");
  g_clear_pointer (&text, g_free);
  text = to_text (json_object_get_member (object, "errors"));
  expected = g_strdup_printf ("[\"%s (bundle layer “prod”): names.q: “@r” names no member\"]", bundle_path);
  g_assert_cmpstr (text, ==, expected);

  qi_test_remove_tree (root);
}

/* REST through the real server. */

static void
noop_route (QiRestRequest *request,
            gpointer       user_data)
{
}

static void
test_rest (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiTokenAuthority) authority = qi_token_authority_new (NULL);
  g_autoptr(QiRestRouter) router = qi_rest_router_new ();
  g_autoptr(QiServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *base = NULL;
  g_autofree char *authorization = NULL;
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", direct, "timeout", 20, NULL);
  struct {
    const char *method;
    const char *path;
    const char *body;
    guint       status;
    const char *contains;
  } cases[] = {
    { "GET", "/api/settings/farm", NULL, 200, "\"origins\":{\"farm.priority\":\"default\"" },
    { "PATCH", "/api/settings/farm?project=demo",
      "{\"layer\":\"project\",\"values\":{\"farm\":{\"priority\":75}}}", 200, "\"farm.priority\":\"project\"" },
    { "GET", "/api/settings/farm?project=demo", NULL, 200, "{\"farm\":{\"priority\":75," },
    { "GET", "/api/settings/farm", NULL, 200, "{\"farm\":{\"priority\":50," },
    { "PATCH", "/api/settings/farm", "{\"layer\":\"bundle\",\"values\":{\"farm\":{\"priority\":175}}}", 422,
      "farm.priority: 175 is above the maximum 100" },
    { "PATCH", "/api/settings/farm", "{\"layer\":\"bundle\",\"values\":{\"farm\":{\"speed\":1}}}", 422,
      "farm.speed: no such key" },
    { "PATCH", "/api/settings/farm", "[]", 400, "the body must be an object" },
    { "PATCH", "/api/settings/farm", "{\"values\":{}}", 400, "the body needs \\\"layer\\\", a string" },
    { "PATCH", "/api/settings/farm", "{\"layer\":\"bundle\"}", 400, "the body needs \\\"values\\\"" },
    { "PATCH", "/api/settings/farm", "{\"layer\":\"project\",\"values\":{}}", 400, "the project layer needs a project" },
    { "GET", "/api/settings/render", NULL, 404, "no loaded addon “render” has settings" },
    { "GET", "/api/settings/farm?project=..", NULL, 400, "cannot name a project" },
    { "GET", "/api/settings/farm/schema", NULL, 200, "\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"" },
    { "GET", "/api/settings/render/schema", NULL, 404, "no loaded addon “render”" },
  };

  g_assert_nonnull (authority);
  g_assert_true (qi_service_start (QI_SERVICE (f->settings), &error));
  g_assert_true (qi_settings_add_routes (f->settings, router, &error));
  g_assert_no_error (error);
  server = qi_server_new (hub, authority);
  g_object_set (server, "router", router, NULL);
  g_assert_true (qi_server_listen (server, 0, &error));
  g_assert_no_error (error);
  token = qi_token_authority_issue (authority, "test/rest", NULL, (const char * const []) { "api", NULL },
                                    60, &error);
  g_assert_no_error (error);
  base = qi_server_dup_http_url (server);
  authorization = g_strconcat ("Bearer ", token, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *uri = g_strconcat (base, cases[i].path, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new (cases[i].method, uri);
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *body = NULL;

      soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", authorization);
      if (cases[i].body != NULL)
        {
          g_autoptr(GBytes) request = g_bytes_new_static (cases[i].body, strlen (cases[i].body));

          soup_message_set_request_body_from_bytes (msg, "application/json", request);
        }
      bytes = qi_test_send_and_wait (session, msg, &error);
      g_assert_no_error (error);
      body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      g_test_message ("%s %s → %u %s", cases[i].method, cases[i].path, soup_message_get_status (msg), body);
      g_assert_cmpuint (soup_message_get_status (msg), ==, cases[i].status);
      g_assert_nonnull (strstr (body, cases[i].contains));
    }

  /* Stopping the service takes its routes away. */
  qi_service_stop (QI_SERVICE (f->settings));
  g_assert_true (qi_rest_router_add_route (router, "GET", "/api/settings/{addon}", noop_route, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* The addons' schemas, through the manager. */

static void
test_addons (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiCliManager) cli = qi_cli_manager_new ();
  g_autoptr(QiRestRouter) router = qi_rest_router_new ();
  g_autoptr(QiAddonManager) manager = qi_addon_manager_new ();
  g_autoptr(QiSettings) settings = qi_settings_new (f->folder);
  g_autoptr(QiHubEndpoint) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) names = NULL;
  QiAddonInfo *info;

  g_assert_true (qi_settings_attach_hub (settings, hub, &error));
  qi_addon_manager_add_search_path (manager, built);
  g_object_set (manager, "hub", hub, "cli-manager", cli, "router", router, "settings", settings, NULL);
  qi_addon_manager_discover (manager);
  qi_addon_manager_load (manager, (const char * const []) { "farm", "badschema", "hello", NULL });

  info = qi_addon_manager_lookup (manager, "farm");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_LOADED);
  info = qi_addon_manager_lookup (manager, "badschema");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_FAILED);
  g_assert_cmpstr (qi_addon_info_get_error (info)->message, ==,
                   "settings: settings schema “Bad”: key farm.priority: the default does not fit: "
                   "120 is above the maximum 100");
  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (manager, "hello")), ==, QI_ADDON_STATE_LOADED);

  /* hello has no schema; farm's is there, by the addon's name. */
  names = qi_settings_dup_addons (settings);
  text = g_strjoinv (",", names);
  g_assert_cmpstr (text, ==, "farm");
  g_clear_pointer (&text, g_free);

  /* The addon reads its own settings (over the hub, as any client). */
  {
    g_autoptr(JsonNode) thirty = json_node_init_int (json_node_alloc (), 30);

    g_assert_true (qi_settings_set_value (settings, "farm", "farm.priority", thirty,
                                          QI_SETTINGS_LAYER_BUNDLE, NULL, &error));
    g_assert_no_error (error);
  }
  client = qi_hub_open_endpoint (hub, "test/client", NULL, &error);
  g_assert_no_error (error);
  reply = qi_test_ask (client, "farm.describe", "{}", &error);
  g_assert_no_error (error);
  text = to_text (reply);
  g_assert_cmpstr (text, ==, "{\"priority\":30,\"origin\":\"bundle\"}");

  /* Closing the addons takes their schemas away. */
  qi_addon_manager_close_all (manager);
  g_assert_null (qi_settings_get_schema (settings, "farm"));
}

/* Whether this build has the Python bridge (so Python test addons load). */
static gboolean
python_bridge_built (void)
{
  const char *folder = g_getenv ("QI_LOADER_DIR");
  g_autofree char *loader = folder != NULL ? g_build_filename (folder, "python-loader.so", NULL) : NULL;

  return loader != NULL && g_file_test (loader, G_FILE_TEST_EXISTS);
}

/* The real qi: `settings get | set | schema`. */

static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *config = g_build_filename (f->root, "config", NULL);
  g_autofree char *data_home = g_build_filename (f->root, "data", NULL);
  g_autofree char *bundle_path = g_build_filename (config, "settings", "bundles", "default.json", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_subprocess_launcher_setenv (launcher, "QI_ADDON_PATH", built, TRUE);
  g_subprocess_launcher_setenv (launcher, "QI_CONFIG_DIR", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "get", NULL), ==, 0);
  /* With the Python bridge built, the Python test addon has settings too,
   * and so does the first-party build addon (the farm of the test addons
   * shadows the first-party one); so do the first-party anatomy and
   * applications addons of the build. */
  g_assert_cmpstr (out, ==, python_bridge_built () ? "anatomy\napplications\nbuild\nfarm\npublish\npyhello\n"
                                                    : "anatomy\napplications\nfarm\npublish\n");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "set", "farm", "farm.priority", "80",
                           "--layer", "bundle", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "farm.priority = 80  (bundle “default”)\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--project", "demo", "settings", "set", "farm",
                           "farm.pool", "gpu", "--layer", "project", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "farm.pool = \"gpu\"  (project “demo”)\n");

  /* The addon's own reading, for the run's project. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--project", "demo", "farm", "priority", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "80 (bundle)\n");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "get", "farm", "--project", "demo",
                           "--origin", NULL), ==, 0);
  g_assert_cmpstr (out, ==,
                   "farm.priority = 80  (bundle “default”)\n"
                   "farm.pool = \"gpu\"  (project “demo”)\n"
                   "farm.timeout = 3600.0  (default)\n"
                   "output.folder = \"/tmp/renders\"  (default)\n"
                   "output.formats = [\"exr\"]  (default)\n"
                   "notify = true  (default)\n"
                   "label = \"\"  (default)\n");
  g_assert_cmpstr (err, ==, "");

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "get", "farm", "--json", NULL), ==, 0);
  {
    g_autoptr(JsonNode) root = json_from_string (out, NULL);
    g_autofree char *text = to_text (root);

    g_assert_cmpstr (text, ==,
                     "{\"farm\":{\"priority\":80,\"pool\":\"cpu\",\"timeout\":3600.0},"
                     "\"output\":{\"folder\":\"/tmp/renders\",\"formats\":[\"exr\"]},\"notify\":true,\"label\":\"\"}");
  }

  /* Refused, and nothing written. */
  before = read_text (bundle_path);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "set", "farm", "farm.priority", "180",
                           "--layer", "bundle", NULL), ==, 2);
  g_assert_cmpstr (err, ==, "qi settings set: bundle layer “default”: farm.priority: 180 is above the maximum 100\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "set", "farm", "farm.priority", "1",
                           NULL), ==, 2);
  g_assert_cmpstr (err, ==, "qi settings set: give --layer bundle or --layer project\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "set", "farm", "farm.speed", "1",
                           "--layer", "bundle", NULL), ==, 2);
  g_assert_cmpstr (err, ==, "qi settings set: bundle layer “default”: farm.speed: no such key\n");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "get", "render", NULL), ==, 1);
  g_assert_cmpstr (err, ==, python_bridge_built ()
                   ? "qi settings get: no loaded addon “render” has settings; those that do: anatomy, applications, build, farm, publish, pyhello\n"
                   : "qi settings get: no loaded addon “render” has settings; those that do: anatomy, applications, farm, publish\n");
  after = read_text (bundle_path);
  g_assert_cmpstr (after, ==, before);

  /* --unset: the default comes back. */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "set", "farm", "farm.priority",
                           "--unset", "--layer", "bundle", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "farm.priority = 50  (default)\n");

  /* A broken override: the values still resolve, with a warning. */
  qi_test_env_write (bundle_path, "{\"format\": 1, \"addons\": {\"farm\": {\"notify\": \"no\"}}}");
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "get", "farm", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "notify = true\n"));
  g_assert_true (g_str_has_prefix (err, "qi settings get: warning: "));
  g_assert_true (g_str_has_suffix (err, "default.json (bundle layer “default”): notify: expected true or false, found \"no\"\n"));

  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "settings", "schema", "farm", NULL), ==, 0);
  {
    g_autoptr(JsonNode) root = json_from_string (out, NULL);

    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "title"), ==, "Render farm");
  }
}

/* Writers in separate processes, at once, on one file: the lock keeps
 * every change. */
static void
test_concurrent_writers (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *config = g_build_filename (f->root, "config", NULL);
  g_autofree char *data_home = g_build_filename (f->root, "data", NULL);
  g_autofree char *bundle_path = g_build_filename (config, "settings", "bundles", "default.json", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  const char *keys[][2] = {
    { "farm.priority", "7" }, { "farm.pool", "gpu" }, { "farm.timeout", "60" },
    { "output.folder", "/mnt/a" }, { "notify", "false" }, { "label", "hero" },
  };
  g_autoptr(GPtrArray) processes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "QI_ADDON_PATH", built, TRUE);
  g_subprocess_launcher_setenv (launcher, "QI_CONFIG_DIR", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GSubprocess *process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), "--headless",
                                                          "settings", "set", "farm", keys[i][0], keys[i][1],
                                                          "--layer", "bundle", NULL);

      g_assert_no_error (error);
      g_ptr_array_add (processes, process);
    }
  for (guint i = 0; i < processes->len; i++)
    {
      g_assert_true (g_subprocess_wait (processes->pdata[i], NULL, &error));
      g_assert_cmpint (g_subprocess_get_exit_status (processes->pdata[i]), ==, 0);
    }

  text = read_text (bundle_path);
  root = json_from_string (text, &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = to_text (json_object_get_member (json_object_get_object_member (json_node_get_object (root), "addons"), "farm"));
  /* The order of the members is the order of the writes; the values are
   * all there. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *name = strrchr (keys[i][0], '.') != NULL ? strrchr (keys[i][0], '.') + 1 : keys[i][0];
      g_autofree char *member = g_strdup_printf ("\"%s\":", name);

      g_test_message ("%s in %s", member, text);
      g_assert_nonnull (strstr (text, member));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/settings/schema/builder", test_builder);
  g_test_add_func ("/qi/settings/schema/builder-errors", test_builder_errors);
  g_test_add_func ("/qi/settings/schema/json-schema", test_json_schema);
  g_test_add_func ("/qi/settings/schema/validate", test_validate);
  g_test_add_func ("/qi/settings/schema/parse-value", test_parse_value);
  g_test_add_func ("/qi/settings/schema/json-key", test_json_key_schema);
  g_test_add_func ("/qi/settings/schema/json-key-builder-errors", test_json_key_builder_errors);
  g_test_add_func ("/qi/settings/json-key-layers", test_json_key_layers);

#define ADD(path, func) \
  g_test_add ("/qi/settings/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("layers", test_layers);
  ADD ("patch", test_patch);
  ADD ("robustness", test_robustness);
  ADD ("watch", test_watch);
  ADD ("hub", test_hub);
  ADD ("rest", test_rest);
  ADD ("addons", test_addons);
  ADD ("cli", test_cli);
  ADD ("concurrent-writers", test_concurrent_writers);

#undef ADD

  return g_test_run ();
}
