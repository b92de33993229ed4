/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-addon-info-private.h"
#include "qi-text-utils-private.h"
#include "qi-toml-parser.h"

/**
 * QiAddonInfo:
 *
 * What is known of an addon before any of its code runs: its folder and
 * what its optional `addon.toml` says.
 *
 * ```toml
 * name = "loader"                 # default: the folder's name
 * version = "1.2.0"               # semantic version; default: none
 * description = "Load published versions into the open scene"
 * roles = []                      # provider roles: "auth", "db"
 * hosts = ["maya", "nuke", "blender"]
 * module = "loader.so"            # a native addon's module, in the folder
 * [dependencies]
 * ui-kit = ">=1.0, <2"
 * ```
 *
 * The kind follows from the folder: a native addon has its module (the
 * `module` key, else `NAME.so` or `libNAME.so`), a Python addon an
 * `addon.py`, and an addon with neither only brings folders (`plugins/`,
 * `ui_dist/`). Reading the metadata never opens the module.
 *
 * A malformed `addon.toml` does not stop anything: the info is made all
 * the same, named after its folder, in %QI_ADDON_STATE_FAILED with an
 * error that says `FILE:LINE:COLUMN: what`.
 */

struct _QiAddonInfo
{
  GObject         parent_instance;

  char           *path;
  char           *name;
  QiSemver       *version;
  char           *description;
  QiAddonKind     kind;
  char           *module_path;
  GStrv           roles;
  GStrv           hosts;
  GStrv           verbs;
  gboolean        resident;
  GStrv           dependency_names;
  GHashTable     *dependencies;    /* name → QiVersionRange */
  GStrv           plugin_kinds;
  QiAddonState    state;
  GError         *error;
};

G_DEFINE_FINAL_TYPE (QiAddonInfo, qi_addon_info, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-addon-error-quark, qi_addon_error)

static const char * const known_keys[] = {
  "name", "version", "description", "roles", "hosts", "module", "dependencies", "verbs", "resident", NULL
};

static const char * const plugin_kinds[] = { QI_ADDON_PLUGIN_KINDS, NULL };

static void
qi_addon_info_finalize (GObject *object)
{
  QiAddonInfo *self = QI_ADDON_INFO (object);

  g_free (self->path);
  g_free (self->name);
  g_clear_pointer (&self->version, qi_semver_free);
  g_free (self->description);
  g_free (self->module_path);
  g_strfreev (self->roles);
  g_strfreev (self->hosts);
  g_strfreev (self->verbs);
  g_strfreev (self->dependency_names);
  g_clear_pointer (&self->dependencies, g_hash_table_unref);
  g_strfreev (self->plugin_kinds);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (qi_addon_info_parent_class)->finalize (object);
}

static void
qi_addon_info_class_init (QiAddonInfoClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_addon_info_finalize;
}

static void
qi_addon_info_init (QiAddonInfo *self)
{
  self->dependencies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) qi_version_range_free);
  self->roles = g_new0 (char *, 1);
  self->hosts = g_new0 (char *, 1);
  self->dependency_names = g_new0 (char *, 1);
}

/**
 * qi_addon_name_is_valid:
 * @name: a name
 *
 * Addon names become session names (`__hub__/addon/NAME`), URL segments
 * (`/ui/NAME/`), C identifiers and file names: lower-case letters, digits,
 * `-` and `_`, starting with a letter or digit, at most 64 bytes.
 *
 * Returns: %TRUE if @name can name an addon
 */
gboolean
qi_addon_name_is_valid (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > 64 || !(g_ascii_islower (name[0]) || g_ascii_isdigit (name[0])))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Sets @error to "FILE:LINE:COLUMN: MESSAGE" for the value at @pointer. */
G_GNUC_PRINTF (4, 5)
static gboolean
fail_at (QiTomlParser  *parser,
         const char    *pointer,
         GError       **error,
         const char    *format,
         ...)
{
  g_autofree char *message = NULL;
  guint line = 0, column = 0;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (qi_toml_parser_get_location (parser, pointer, &line, &column))
    g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_BAD_METADATA, "%s:%u:%u: %s",
                 qi_toml_parser_get_filename (parser), line, column, message);
  else
    g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_BAD_METADATA, "%s: %s",
                 qi_toml_parser_get_filename (parser), message);
  return FALSE;
}

static gboolean
read_string (QiTomlParser  *parser,
             JsonObject    *root,
             const char    *key,
             char         **out,
             GError       **error)
{
  JsonNode *node = json_object_get_member (root, key);
  g_autofree char *pointer = g_strconcat ("/", key, NULL);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail_at (parser, pointer, error, _("“%s” must be a string"), key);

  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_strv (QiTomlParser  *parser,
           JsonObject    *root,
           const char    *key,
           GStrv         *out,
           GError       **error)
{
  JsonNode *node = json_object_get_member (root, key);
  g_autofree char *pointer = g_strconcat ("/", key, NULL);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail_at (parser, pointer, error, _("“%s” must be an array of strings"), key);

  builder = g_strv_builder_new ();
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *element_pointer = g_strdup_printf ("/%s/%u", key, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING ||
          *json_node_get_string (element) == '\0')
        return fail_at (parser, element_pointer, error,
                        _("“%s” must be an array of non-empty strings"), key);
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
read_metadata (QiAddonInfo  *self,
               const char   *toml_path,
               GError      **error)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autofree char *version = NULL;
  g_autofree char *module = NULL;
  g_autoptr(GStrvBuilder) names = NULL;
  g_autoptr(GList) members = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonNode *dependencies;

  if (!qi_toml_parser_load_from_file (parser, toml_path, &local_error))
    {
      /* The parser's message already says FILE:LINE:COLUMN. */
      g_set_error_literal (error, QI_ADDON_ERROR, QI_ADDON_ERROR_BAD_METADATA, local_error->message);
      return FALSE;
    }

  root = json_node_get_object (qi_toml_parser_get_root (parser));
  members = json_object_get_members (root);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;

      if (!g_strv_contains (known_keys, key))
        {
          g_autofree char *pointer = g_strconcat ("/", key, NULL);
          const char *suggestion = qi_text_suggest (key, known_keys);

          if (suggestion != NULL)
            return fail_at (parser, pointer, error, _("unknown key “%s”; did you mean “%s”?"),
                            key, suggestion);
          return fail_at (parser, pointer, error, _("unknown key “%s”"), key);
        }
    }

  if (!read_string (parser, root, "name", &self->name, error) ||
      !read_string (parser, root, "version", &version, error) ||
      !read_string (parser, root, "description", &self->description, error) ||
      !read_string (parser, root, "module", &module, error) ||
      !read_strv (parser, root, "roles", &self->roles, error) ||
      !read_strv (parser, root, "hosts", &self->hosts, error) ||
      !read_strv (parser, root, "verbs", &self->verbs, error))
    return FALSE;

  if (json_object_has_member (root, "resident"))
    {
      JsonNode *node = json_object_get_member (root, "resident");

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return fail_at (parser, "/resident", error, _("“resident” must be true or false"));
      self->resident = json_node_get_boolean (node);
    }

  if (!qi_addon_name_is_valid (self->name))
    return fail_at (parser, "/name", error,
                    _("“%s” is not an addon name: use lower-case letters, digits, “-” and “_”, "
                      "starting with a letter or digit, at most 64"), self->name);

  if (version != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      self->version = qi_semver_parse (version, &local_error);
      if (self->version == NULL)
        return fail_at (parser, "/version", error, "%s", local_error->message);
    }

  if (module != NULL)
    {
      g_autofree char *resolved = NULL;

      if (g_path_is_absolute (module) || strstr (module, "..") != NULL)
        return fail_at (parser, "/module", error,
                        _("“module” must be a file in the addon's folder, not “%s”"), module);
      resolved = g_build_filename (self->path, module, NULL);
      if (!g_file_test (resolved, G_FILE_TEST_IS_REGULAR))
        return fail_at (parser, "/module", error, _("the module “%s” does not exist"), resolved);
      self->module_path = g_steal_pointer (&resolved);
    }

  dependencies = json_object_get_member (root, "dependencies");
  names = g_strv_builder_new ();
  if (dependencies != NULL)
    {
      g_autoptr(GList) dependency_names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (dependencies))
        return fail_at (parser, "/dependencies", error,
                        _("“dependencies” must be a table of addon names and version ranges"));

      dependency_names = json_object_get_members (json_node_get_object (dependencies));
      dependency_names = g_list_sort (dependency_names, (GCompareFunc) strcmp);
      for (GList *l = dependency_names; l != NULL; l = l->next)
        {
          const char *name = l->data;
          JsonNode *node = json_object_get_member (json_node_get_object (dependencies), name);
          g_autofree char *pointer = g_strconcat ("/dependencies/", name, NULL);
          g_autoptr(GError) local_error = NULL;
          QiVersionRange *range;

          if (!qi_addon_name_is_valid (name))
            return fail_at (parser, pointer, error, _("“%s” is not an addon name"), name);
          if (g_str_equal (name, self->name))
            return fail_at (parser, pointer, error, _("an addon cannot depend on itself"));
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            return fail_at (parser, pointer, error,
                            _("the dependency “%s” must be a version range such as \">=1.0, <2\""), name);

          range = qi_version_range_parse (json_node_get_string (node), &local_error);
          if (range == NULL)
            return fail_at (parser, pointer, error, "%s", local_error->message);
          g_hash_table_insert (self->dependencies, g_strdup (name), range);
          g_strv_builder_add (names, name);
        }
    }
  g_strfreev (self->dependency_names);
  self->dependency_names = g_strv_builder_end (names);

  return TRUE;
}

static void
find_code (QiAddonInfo *self)
{
  g_autofree char *python = g_build_filename (self->path, "addon.py", NULL);

  if (self->module_path == NULL)
    {
      g_autofree char *plain = g_strconcat (self->name, ".so", NULL);
      g_autofree char *prefixed = g_strconcat ("lib", self->name, ".so", NULL);
      g_autofree char *plain_path = g_build_filename (self->path, plain, NULL);
      g_autofree char *prefixed_path = g_build_filename (self->path, prefixed, NULL);

      if (g_file_test (plain_path, G_FILE_TEST_IS_REGULAR))
        self->module_path = g_steal_pointer (&plain_path);
      else if (g_file_test (prefixed_path, G_FILE_TEST_IS_REGULAR))
        self->module_path = g_steal_pointer (&prefixed_path);
    }

  if (self->module_path != NULL)
    self->kind = QI_ADDON_KIND_NATIVE;
  else if (g_file_test (python, G_FILE_TEST_IS_REGULAR))
    self->kind = QI_ADDON_KIND_PYTHON;
  else
    self->kind = QI_ADDON_KIND_DATA;
}

void
qi_addon_info_find_plugin_folders (QiAddonInfo *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; plugin_kinds[i] != NULL; i++)
    {
      g_autofree char *folder = g_build_filename (self->path, "plugins", plugin_kinds[i], NULL);

      if (g_file_test (folder, G_FILE_TEST_IS_DIR))
        g_strv_builder_add (builder, plugin_kinds[i]);
    }
  g_strfreev (self->plugin_kinds);
  self->plugin_kinds = g_strv_builder_end (builder);
}

/**
 * qi_addon_info_new_for_path:
 * @path: (type filename): an addon's folder
 * @error: return location for a #GError
 *
 * Reads what the folder says of the addon, without opening its module. A
 * malformed `addon.toml` gives an info all the same, in
 * %QI_ADDON_STATE_FAILED with the error.
 *
 * Returns: (transfer full): the addon's info, or %NULL if @path is not a
 *   folder
 */
QiAddonInfo *
qi_addon_info_new_for_path (const char  *path,
                            GError     **error)
{
  g_autoptr(QiAddonInfo) self = NULL;
  g_autofree char *toml_path = NULL;
  g_autoptr(GError) metadata_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR, _("“%s” is not an addon folder"), path);
      return NULL;
    }

  self = g_object_new (QI_TYPE_ADDON_INFO, NULL);
  self->path = g_canonicalize_filename (path, NULL);
  self->name = g_path_get_basename (self->path);
  self->state = QI_ADDON_STATE_DISCOVERED;

  toml_path = g_build_filename (self->path, "addon.toml", NULL);
  if (g_file_test (toml_path, G_FILE_TEST_EXISTS) && !read_metadata (self, toml_path, &metadata_error))
    {
      g_autofree char *folder_name = g_path_get_basename (self->path);

      /* Listed under its folder's name, whatever the file claimed. */
      g_free (self->name);
      self->name = g_steal_pointer (&folder_name);
      self->state = QI_ADDON_STATE_FAILED;
      self->error = g_steal_pointer (&metadata_error);
    }
  else if (!qi_addon_name_is_valid (self->name))
    {
      self->state = QI_ADDON_STATE_FAILED;
      g_set_error (&self->error, QI_ADDON_ERROR, QI_ADDON_ERROR_BAD_METADATA,
                   _("%s: the folder's name “%s” is not an addon name; name the addon in addon.toml"),
                   self->path, self->name);
    }

  find_code (self);
  return g_steal_pointer (&self);
}

/**
 * qi_addon_info_get_name:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none): the addon's name
 */
const char *
qi_addon_info_get_name (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->name;
}

/**
 * qi_addon_info_get_path:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (type filename): the addon's folder
 */
const char *
qi_addon_info_get_path (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->path;
}

/**
 * qi_addon_info_get_version:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (nullable): the addon's version, or %NULL if
 *   it names none
 */
const QiSemver *
qi_addon_info_get_version (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->version;
}

/**
 * qi_addon_info_get_description:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (nullable): what the addon is for
 */
const char *
qi_addon_info_get_description (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->description;
}

/**
 * qi_addon_info_get_kind:
 * @self: a #QiAddonInfo
 *
 * Returns: what code the addon brings
 */
QiAddonKind
qi_addon_info_get_kind (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), QI_ADDON_KIND_DATA);
  return self->kind;
}

/**
 * qi_addon_info_get_module_path:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (type filename) (nullable): a native addon's
 *   module, or %NULL
 */
const char *
qi_addon_info_get_module_path (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->module_path;
}

/**
 * qi_addon_info_get_roles:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (array zero-terminated=1): the provider roles
 */
const char * const *
qi_addon_info_get_roles (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return (const char * const *) self->roles;
}

/**
 * qi_addon_info_has_role:
 * @self: a #QiAddonInfo
 * @role: a role, such as `db`
 *
 * Returns: %TRUE if the addon provides @role
 */
gboolean
qi_addon_info_has_role (QiAddonInfo *self,
                        const char  *role)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), FALSE);
  g_return_val_if_fail (role != NULL, FALSE);
  return g_strv_contains ((const char * const *) self->roles, role);
}

/**
 * qi_addon_info_get_hosts:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (array zero-terminated=1): the DCCs the addon
 *   works in
 */
const char * const *
qi_addon_info_get_hosts (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return (const char * const *) self->hosts;
}

/**
 * qi_addon_info_get_dependencies:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (array zero-terminated=1): the names of the
 *   addons it needs, sorted
 */
const char * const *
qi_addon_info_get_dependencies (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return (const char * const *) self->dependency_names;
}

/**
 * qi_addon_info_get_dependency_range:
 * @self: a #QiAddonInfo
 * @name: the name of a dependency
 *
 * Returns: (transfer none) (nullable): the versions of @name it takes, or
 *   %NULL if it does not depend on @name
 */
const QiVersionRange *
qi_addon_info_get_dependency_range (QiAddonInfo *self,
                                    const char  *name)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (self->dependencies, name);
}

/**
 * qi_addon_info_get_plugin_kinds:
 * @self: a #QiAddonInfo
 *
 * Discovery does not look at the plugin folders; they are found when the
 * addon loads.
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the
 *   plugin folders it has under `plugins/`, among %QI_ADDON_PLUGIN_KINDS;
 *   %NULL until it has loaded
 */
const char * const *
qi_addon_info_get_plugin_kinds (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return (const char * const *) self->plugin_kinds;
}

/**
 * qi_addon_info_dup_plugin_folder:
 * @self: a #QiAddonInfo
 * @kind: a plugin kind, such as `publish`
 *
 * Returns: (transfer full) (type filename) (nullable): the folder of its
 *   @kind plugins, or %NULL if it has none (or has not loaded)
 */
char *
qi_addon_info_dup_plugin_folder (QiAddonInfo *self,
                                 const char  *kind)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  if (self->plugin_kinds == NULL || !g_strv_contains ((const char * const *) self->plugin_kinds, kind))
    return NULL;
  return g_build_filename (self->path, "plugins", kind, NULL);
}

/**
 * qi_addon_info_get_state:
 * @self: a #QiAddonInfo
 *
 * Returns: where the addon is in its life
 */
QiAddonState
qi_addon_info_get_state (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), QI_ADDON_STATE_FAILED);
  return self->state;
}

/**
 * qi_addon_info_get_error:
 * @self: a #QiAddonInfo
 *
 * Returns: (transfer none) (nullable): why the addon failed or is
 *   disabled, or %NULL
 */
const GError *
qi_addon_info_get_error (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->error;
}

/**
 * qi_addon_info_set_state:
 * @self: a #QiAddonInfo
 * @state: the new state
 * @error: (nullable): why, for %QI_ADDON_STATE_FAILED and
 *   %QI_ADDON_STATE_DISABLED
 *
 * Records where the addon is; for #QiAddonManager.
 */
void
qi_addon_info_set_state (QiAddonInfo  *self,
                         QiAddonState  state,
                         const GError *error)
{
  g_return_if_fail (QI_IS_ADDON_INFO (self));

  self->state = state;
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
}

static void
add_strv (JsonBuilder        *builder,
          const char         *member,
          const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

/**
 * qi_addon_kind_to_string:
 * @kind: a #QiAddonKind
 *
 * Returns: (transfer none): `native`, `python` or `data`
 */
const char *
qi_addon_kind_to_string (QiAddonKind kind)
{
  static const char * const names[] = { "native", "python", "data" };

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), NULL);
  return names[kind];
}

/**
 * qi_addon_state_to_string:
 * @state: a #QiAddonState
 *
 * Returns: (transfer none): `discovered`, `loaded`, `disabled` or `failed`
 */
const char *
qi_addon_state_to_string (QiAddonState state)
{
  static const char * const names[] = { "discovered", "loaded", "disabled", "failed" };

  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (names), NULL);
  return names[state];
}

/**
 * qi_addon_info_to_json:
 * @self: a #QiAddonInfo
 *
 * Describes the addon as `qi --headless addons list --json` prints it:
 * name, version, description, kind, roles, hosts, dependencies (name →
 * range), plugins (%NULL until the addon loads), path, module, state and
 * error.
 *
 * Returns: (transfer full): a JSON object
 */
JsonNode *
qi_addon_info_to_json (QiAddonInfo *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "version");
  if (self->version != NULL)
    {
      g_autofree char *version = qi_semver_to_string (self->version);

      json_builder_add_string_value (builder, version);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, self->description != NULL ? self->description : "");
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, qi_addon_kind_to_string (self->kind));
  add_strv (builder, "roles", (const char * const *) self->roles);
  add_strv (builder, "hosts", (const char * const *) self->hosts);
  json_builder_set_member_name (builder, "dependencies");
  json_builder_begin_object (builder);
  for (guint i = 0; self->dependency_names[i] != NULL; i++)
    {
      QiVersionRange *range = g_hash_table_lookup (self->dependencies, self->dependency_names[i]);

      json_builder_set_member_name (builder, self->dependency_names[i]);
      json_builder_add_string_value (builder, qi_version_range_get_text (range));
    }
  json_builder_end_object (builder);
  if (self->plugin_kinds != NULL)
    add_strv (builder, "plugins", (const char * const *) self->plugin_kinds);
  else
    {
      json_builder_set_member_name (builder, "plugins");
      json_builder_add_null_value (builder);
    }
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, self->path);
  json_builder_set_member_name (builder, "module");
  if (self->module_path != NULL)
    json_builder_add_string_value (builder, self->module_path);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, qi_addon_state_to_string (self->state));
  json_builder_set_member_name (builder, "error");
  if (self->error != NULL)
    json_builder_add_string_value (builder, self->error->message);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * qi_addon_info_get_verbs:
 * @self: a #QiAddonInfo
 *
 * The command-line verbs the addon says it adds (`verbs` in addon.toml),
 * so that a command of one of them loads that addon alone, not every
 * addon. An addon may add verbs it does not list; they run when every
 * addon loads.
 *
 * Returns: (transfer none) (array zero-terminated=1): the verbs' names
 */
const char * const *
qi_addon_info_get_verbs (QiAddonInfo *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (QI_IS_ADDON_INFO (self), NULL);
  return self->verbs != NULL ? (const char * const *) self->verbs : none;
}

/**
 * qi_addon_info_get_resident:
 * @self: a #QiAddonInfo
 *
 * Whether the addon's module stays loaded once opened (`resident = true`
 * in addon.toml): a module that registers types of its own for the whole
 * run (a tracker's adapter and login) must never be unloaded.
 *
 * Returns: %TRUE for a resident module
 */
gboolean
qi_addon_info_get_resident (QiAddonInfo *self)
{
  g_return_val_if_fail (QI_IS_ADDON_INFO (self), FALSE);
  return self->resident;
}
