/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-config-manager.h"
#include "qi-text-utils-private.h"
#include "qi-toml-parser.h"

/**
 * QiConfigManager:
 *
 * Scans the configuration directories for `qi.toml` and holds the runtime
 * configuration as one JSON tree.
 *
 * Directories are added from the highest precedence to the lowest; Qi adds
 * `$QI_CONFIG_DIR` (or `--config-dir`), `$XDG_CONFIG_HOME/qi`, each of
 * `$XDG_CONFIG_DIRS/qi` and `/etc/qi`, in that order. Loading reads the
 * `qi.toml` of each directory that has one and merges them: tables merge
 * key by key, any other value of a file with higher precedence replaces the
 * value below it. Every value remembers the file, line and column it came
 * from, so a bad value is reported where the user wrote it.
 */

typedef struct
{
  char          *directory;
  QiConfigScope  scope;
} SearchDir;

typedef struct
{
  char          *file;
  guint          line;
  guint          column;
  QiConfigScope  scope;
} Origin;

struct _QiConfigManager
{
  QiService   parent_instance;

  GArray     *search_dirs;  /* of SearchDir, highest precedence first */
  GPtrArray  *files;        /* loaded files, highest precedence first */
  JsonNode   *root;
  GHashTable *origins;      /* JSON pointer -> Origin */
};

G_DEFINE_FINAL_TYPE (QiConfigManager, qi_config_manager, QI_TYPE_SERVICE)

G_DEFINE_QUARK (qi-config-error-quark, qi_config_error)

static void
search_dir_clear (gpointer data)
{
  SearchDir *dir = data;

  g_free (dir->directory);
}

static void
origin_free (gpointer data)
{
  Origin *origin = data;

  g_free (origin->file);
  g_free (origin);
}

static GHashTable *
origins_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, origin_free);
}

static void
qi_config_manager_finalize (GObject *object)
{
  QiConfigManager *self = QI_CONFIG_MANAGER (object);

  g_clear_pointer (&self->search_dirs, g_array_unref);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->origins, g_hash_table_unref);

  G_OBJECT_CLASS (qi_config_manager_parent_class)->finalize (object);
}

static void
qi_config_manager_class_init (QiConfigManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_config_manager_finalize;
}

static void
qi_config_manager_init (QiConfigManager *self)
{
  self->search_dirs = g_array_new (FALSE, TRUE, sizeof (SearchDir));
  g_array_set_clear_func (self->search_dirs, search_dir_clear);
  self->files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) root = json_object_new ();

  self->root = json_node_init_object (json_node_alloc (), root);
  self->origins = origins_new ();
}

/**
 * qi_config_manager_new:
 *
 * Creates a configuration manager with no search directories and an empty
 * configuration.
 *
 * Returns: (transfer full): a new #QiConfigManager
 */
QiConfigManager *
qi_config_manager_new (void)
{
  return g_object_new (QI_TYPE_CONFIG_MANAGER,
                       "name", "config",
                       "description", _("Scans qi.toml files and holds the runtime configuration"),
                       NULL);
}

/**
 * qi_config_manager_add_search_dir:
 * @self: a #QiConfigManager
 * @directory: (type filename): a directory that may hold a `qi.toml`
 * @scope: whether @directory is the user's or system-wide
 *
 * Adds a directory below those already added: it takes precedence over the
 * directories added after it, not over those added before. A directory
 * added twice is read once, at its first place.
 */
void
qi_config_manager_add_search_dir (QiConfigManager *self,
                                  const char      *directory,
                                  QiConfigScope    scope)
{
  g_autofree char *canonical = NULL;
  SearchDir dir;

  g_return_if_fail (QI_IS_CONFIG_MANAGER (self));
  g_return_if_fail (directory != NULL);

  canonical = g_canonicalize_filename (directory, NULL);
  for (guint i = 0; i < self->search_dirs->len; i++)
    if (g_str_equal (g_array_index (self->search_dirs, SearchDir, i).directory, canonical))
      return;

  dir.directory = g_steal_pointer (&canonical);
  dir.scope = scope;
  g_array_append_val (self->search_dirs, dir);
}

/**
 * qi_config_manager_dup_search_dirs:
 * @self: a #QiConfigManager
 *
 * Returns: (transfer full) (array zero-terminated=1) (element-type filename):
 *   the search directories, highest precedence first
 */
char **
qi_config_manager_dup_search_dirs (QiConfigManager *self)
{
  GStrvBuilder *builder;
  GStrv dirs;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->search_dirs->len; i++)
    g_strv_builder_add (builder, g_array_index (self->search_dirs, SearchDir, i).directory);
  dirs = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return dirs;
}

static void
remove_origins_below (GHashTable *origins,
                      const char *pointer)
{
  g_autofree char *prefix = g_strconcat (pointer, "/", NULL);
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, origins);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (g_str_equal (key, pointer) || g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&iter);
}

static void
record_origin (GHashTable   *origins,
               QiTomlParser *parser,
               const char   *pointer,
               QiConfigScope scope)
{
  Origin *origin = g_new0 (Origin, 1);

  origin->file = g_strdup (qi_toml_parser_get_filename (parser));
  origin->scope = scope;
  if (!qi_toml_parser_get_location (parser, pointer, &origin->line, &origin->column))
    origin->line = origin->column = 0;

  g_hash_table_replace (origins, g_strdup (pointer), origin);
}

static gboolean
is_table (JsonNode *node)
{
  return JSON_NODE_HOLDS_OBJECT (node) &&
         qi_toml_node_get_datetime_kind (node) == QI_TOML_DATETIME_NONE;
}

/* Merges the table @from (from @parser) into @into, at @pointer. */
static void
merge_table (JsonObject   *into,
             JsonObject   *from,
             const char   *pointer,
             QiTomlParser *parser,
             QiConfigScope scope,
             GHashTable   *origins)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, from);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_autofree char *member_pointer = qi_json_pointer_append (pointer, name);
      JsonNode *existing = json_object_get_member (into, name);

      if (existing != NULL && is_table (existing) && is_table (node))
        {
          merge_table (json_node_get_object (existing), json_node_get_object (node),
                       member_pointer, parser, scope, origins);
          continue;
        }

      remove_origins_below (origins, member_pointer);

      if (is_table (node))
        {
          /* A new table: merge it into an empty one, so that every key
           * inside it records where it was written. */
          json_object_set_object_member (into, name, json_object_new ());
          record_origin (origins, parser, member_pointer, scope);
          merge_table (json_object_get_object_member (into, name),
                       json_node_get_object (node), member_pointer, parser, scope, origins);
        }
      else
        {
          json_object_set_member (into, name, json_node_copy (node));
          record_origin (origins, parser, member_pointer, scope);
        }
    }
}

/**
 * qi_config_manager_load:
 * @self: a #QiConfigManager
 * @error: return location for a #GError
 *
 * Reads the `qi.toml` of every search directory and replaces the
 * configuration with their merge. A directory without `qi.toml` is skipped.
 * If any file cannot be read or parsed, the configuration is left as it
 * was and @error names the file, line and column.
 *
 * Returns: %TRUE on success
 */
gboolean
qi_config_manager_load (QiConfigManager  *self,
                        GError          **error)
{
  g_autoptr(JsonObject) root_object = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GHashTable) origins = NULL;
  g_autoptr(GPtrArray) files = NULL;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  root = json_node_init_object (json_node_alloc (), root_object);
  origins = origins_new ();
  files = g_ptr_array_new_with_free_func (g_free);

  /* Lowest precedence first, so that later files override earlier ones. */
  for (guint i = self->search_dirs->len; i > 0; i--)
    {
      const SearchDir *dir = &g_array_index (self->search_dirs, SearchDir, i - 1);
      g_autofree char *path = g_build_filename (dir->directory, "qi.toml", NULL);
      g_autoptr(QiTomlParser) parser = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonNode *file_root;

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          /* A link to a share that is not mounted must not be taken for
           * "no configuration here". */
          if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            {
              g_autofree char *target = g_file_read_link (path, NULL);

              g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_IO,
                           _("%s: the file is a link to %s, which does not exist"),
                           path, target != NULL ? target : "?");
              return FALSE;
            }
          continue;
        }

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_IO,
                       _("%s: is a directory, not a configuration file"), path);
          return FALSE;
        }

      g_debug ("Reading configuration file %s", path);

      parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
      if (!qi_toml_parser_load_from_file (parser, path, &local_error))
        {
          g_set_error_literal (error, QI_CONFIG_ERROR,
                               g_error_matches (local_error, QI_TOML_ERROR, QI_TOML_ERROR_IO)
                                 ? QI_CONFIG_ERROR_IO : QI_CONFIG_ERROR_PARSE,
                               local_error->message);
          return FALSE;
        }

      file_root = qi_toml_parser_get_root (parser);
      merge_table (json_node_get_object (root), json_node_get_object (file_root),
                   "", parser, dir->scope, origins);
      g_ptr_array_insert (files, 0, g_steal_pointer (&path));
    }

  g_clear_pointer (&self->root, json_node_unref);
  self->root = g_steal_pointer (&root);
  g_clear_pointer (&self->origins, g_hash_table_unref);
  self->origins = g_steal_pointer (&origins);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  self->files = g_steal_pointer (&files);

  return TRUE;
}

/**
 * qi_config_manager_dup_files:
 * @self: a #QiConfigManager
 *
 * Returns: (transfer full) (array zero-terminated=1) (element-type filename):
 *   the configuration files read by the last load, highest precedence first
 */
char **
qi_config_manager_dup_files (QiConfigManager *self)
{
  GStrvBuilder *builder;
  GStrv files;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->files->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->files, i));
  files = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return files;
}

/**
 * qi_config_manager_get_root:
 * @self: a #QiConfigManager
 *
 * Returns: (transfer none): the whole configuration, a JSON object
 */
JsonNode *
qi_config_manager_get_root (QiConfigManager *self)
{
  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);

  return self->root;
}

/**
 * qi_config_manager_get_node:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer, such as `/launch/port`
 *
 * Returns: (transfer none) (nullable): the value at @pointer, or %NULL if
 *   the configuration does not set it
 */
JsonNode *
qi_config_manager_get_node (QiConfigManager *self,
                            const char      *pointer)
{
  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);
  g_return_val_if_fail (pointer != NULL, NULL);

  return qi_json_pointer_lookup (self->root, pointer);
}

static const Origin *
find_origin (QiConfigManager *self,
             const char      *pointer)
{
  g_autofree char *path = g_strdup (pointer);

  /* A value inside an array comes from where the array was written. */
  for (;;)
    {
      const Origin *origin = g_hash_table_lookup (self->origins, path);
      char *slash;

      if (origin != NULL)
        return origin;

      slash = strrchr (path, '/');
      if (slash == NULL)
        return NULL;
      *slash = '\0';
    }
}

/**
 * qi_config_manager_get_origin:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @file: (out) (optional) (transfer none) (type filename): the file that set
 *   the value
 * @line: (out) (optional): its line, from 1
 * @column: (out) (optional): its column, from 1
 * @scope: (out) (optional): whether @file is user or system configuration
 *
 * Tells where the value at @pointer was written.
 *
 * Returns: %TRUE if the configuration sets @pointer
 */
gboolean
qi_config_manager_get_origin (QiConfigManager  *self,
                              const char       *pointer,
                              const char      **file,
                              guint            *line,
                              guint            *column,
                              QiConfigScope    *scope)
{
  const Origin *origin;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), FALSE);
  g_return_val_if_fail (pointer != NULL, FALSE);

  if (qi_config_manager_get_node (self, pointer) == NULL)
    return FALSE;

  origin = find_origin (self, pointer);
  if (origin == NULL)
    return FALSE;

  if (file != NULL)
    *file = origin->file;
  if (line != NULL)
    *line = origin->line;
  if (column != NULL)
    *column = origin->column;
  if (scope != NULL)
    *scope = origin->scope;

  return TRUE;
}

/**
 * qi_config_manager_dup_origin:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 *
 * Returns: (transfer full) (nullable): `FILE:LINE:COLUMN` of the value at
 *   @pointer, or %NULL if the configuration does not set it
 */
char *
qi_config_manager_dup_origin (QiConfigManager *self,
                              const char      *pointer)
{
  const char *file;
  guint line, column;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);

  if (!qi_config_manager_get_origin (self, pointer, &file, &line, &column, NULL))
    return NULL;

  return g_strdup_printf ("%s:%u:%u", file, line, column);
}

static const char *
describe_type (JsonNode *node)
{
  if (qi_toml_node_get_datetime_kind (node) != QI_TOML_DATETIME_NONE)
    return _("a date-time");

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return _("a table");
    case JSON_NODE_ARRAY:
      return _("an array");
    case JSON_NODE_NULL:
      return _("nothing");
    case JSON_NODE_VALUE:
    default:
      break;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return _("a string");
    case G_TYPE_INT64:
      return _("an integer");
    case G_TYPE_DOUBLE:
      return _("a float");
    case G_TYPE_BOOLEAN:
      return _("a boolean");
    default:
      return _("a value");
    }
}

static void
set_wrong_type_at (QiConfigManager  *self,
                   GError          **error,
                   const char       *pointer,
                   const char       *key,
                   JsonNode         *node,
                   const char       *expected)
{
  g_autofree char *origin = qi_config_manager_dup_origin (self, pointer);

  /* TRANSLATORS: "FILE:LINE:COLUMN: KEY must be an integer, not a string" */
  g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_WRONG_TYPE,
               _("%s: %s must be %s, not %s"),
               origin != NULL ? origin : _("configuration"), key, expected,
               describe_type (node));
}

static void
set_wrong_type (QiConfigManager  *self,
                GError          **error,
                const char       *pointer,
                JsonNode         *node,
                const char       *expected)
{
  g_autofree char *key = qi_json_pointer_to_dotted (pointer);

  set_wrong_type_at (self, error, pointer, key, node, expected);
}

static gboolean
holds_value_type (JsonNode *node,
                  GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* The value at @pointer if it holds @type; %NULL if it is unset (without an
 * error) or holds something else (with an error saying it should be
 * @expected). */
static JsonNode *
lookup_value (QiConfigManager  *self,
              const char       *pointer,
              GType             type,
              const char       *expected,
              GError          **error)
{
  JsonNode *node = qi_config_manager_get_node (self, pointer);

  if (node == NULL)
    return NULL;

  if (!holds_value_type (node, type))
    {
      set_wrong_type (self, error, pointer, node, expected);
      return NULL;
    }

  return node;
}

/**
 * qi_config_manager_get_string:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @default_value: (nullable): what to return if the configuration does not
 *   set @pointer
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the string at @pointer,
 *   @default_value if it is unset, or %NULL with @error set if the value is
 *   not a string
 */
char *
qi_config_manager_get_string (QiConfigManager  *self,
                              const char       *pointer,
                              const char       *default_value,
                              GError          **error)
{
  JsonNode *node;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);
  g_return_val_if_fail (pointer != NULL, NULL);

  if (qi_config_manager_get_node (self, pointer) == NULL)
    return g_strdup (default_value);

  node = lookup_value (self, pointer, G_TYPE_STRING, _("a string"), error);
  return node != NULL ? g_strdup (json_node_get_string (node)) : NULL;
}

/**
 * qi_config_manager_get_int:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @default_value: what to return if the configuration does not set @pointer
 * @error: return location for a #GError
 *
 * Returns: the integer at @pointer, or @default_value if it is unset or,
 *   with @error set, not an integer
 */
gint64
qi_config_manager_get_int (QiConfigManager  *self,
                           const char       *pointer,
                           gint64            default_value,
                           GError          **error)
{
  JsonNode *node;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), default_value);
  g_return_val_if_fail (pointer != NULL, default_value);

  node = lookup_value (self, pointer, G_TYPE_INT64, _("an integer"), error);
  return node != NULL ? json_node_get_int (node) : default_value;
}

/**
 * qi_config_manager_get_double:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @default_value: what to return if the configuration does not set @pointer
 * @error: return location for a #GError
 *
 * Integers are accepted where a float is asked for.
 *
 * Returns: the number at @pointer, or @default_value if it is unset or, with
 *   @error set, not a number
 */
double
qi_config_manager_get_double (QiConfigManager  *self,
                              const char       *pointer,
                              double            default_value,
                              GError          **error)
{
  JsonNode *node;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), default_value);
  g_return_val_if_fail (pointer != NULL, default_value);

  node = qi_config_manager_get_node (self, pointer);
  if (node != NULL && holds_value_type (node, G_TYPE_INT64))
    return (double) json_node_get_int (node);

  node = lookup_value (self, pointer, G_TYPE_DOUBLE, _("a number"), error);
  return node != NULL ? json_node_get_double (node) : default_value;
}

/**
 * qi_config_manager_get_boolean:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @default_value: what to return if the configuration does not set @pointer
 * @error: return location for a #GError
 *
 * Returns: the boolean at @pointer, or @default_value if it is unset or,
 *   with @error set, not a boolean
 */
gboolean
qi_config_manager_get_boolean (QiConfigManager  *self,
                               const char       *pointer,
                               gboolean          default_value,
                               GError          **error)
{
  JsonNode *node;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), default_value);
  g_return_val_if_fail (pointer != NULL, default_value);

  node = lookup_value (self, pointer, G_TYPE_BOOLEAN, _("a boolean (true or false)"), error);
  return node != NULL ? json_node_get_boolean (node) : default_value;
}

/**
 * qi_config_manager_get_strv:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable) (array zero-terminated=1): the array
 *   of strings at @pointer, %NULL if it is unset or, with @error set, not an
 *   array of strings
 */
char **
qi_config_manager_get_strv (QiConfigManager  *self,
                            const char       *pointer,
                            GError          **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;
  JsonNode *node;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);
  g_return_val_if_fail (pointer != NULL, NULL);

  node = qi_config_manager_get_node (self, pointer);
  if (node == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_wrong_type (self, error, pointer, node, _("an array of strings"));
      return NULL;
    }

  builder = g_strv_builder_new ();
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!holds_value_type (element, G_TYPE_STRING))
        {
          g_autofree char *element_pointer = g_strdup_printf ("%s/%u", pointer, i);
          g_autofree char *dotted = qi_json_pointer_to_dotted (pointer);
          g_autofree char *key = g_strdup_printf ("%s[%u]", dotted, i);

          set_wrong_type_at (self, error, element_pointer, key, element, _("a string"));
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  return g_strv_builder_end (builder);
}

/**
 * qi_config_manager_get_datetime:
 * @self: a #QiConfigManager
 * @pointer: an RFC 6901 JSON Pointer
 * @error: return location for a #GError
 *
 * TOML offset date-times keep their offset; local date-times and local
 * dates are read in the local time zone.
 *
 * Returns: (transfer full) (nullable): the date-time at @pointer, %NULL if it
 *   is unset or, with @error set, not a date-time
 */
GDateTime *
qi_config_manager_get_datetime (QiConfigManager  *self,
                                const char       *pointer,
                                GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  GDateTime *datetime;
  JsonNode *node;

  g_return_val_if_fail (QI_IS_CONFIG_MANAGER (self), NULL);
  g_return_val_if_fail (pointer != NULL, NULL);

  node = qi_config_manager_get_node (self, pointer);
  if (node == NULL)
    return NULL;

  if (qi_toml_node_get_datetime_kind (node) == QI_TOML_DATETIME_NONE)
    {
      set_wrong_type (self, error, pointer, node, _("a date-time"));
      return NULL;
    }

  datetime = qi_toml_node_dup_gdatetime (node, &local_error);
  if (datetime == NULL)
    {
      g_autofree char *origin = qi_config_manager_dup_origin (self, pointer);
      g_autofree char *key = qi_json_pointer_to_dotted (pointer);

      g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                   "%s: %s: %s", origin, key, local_error->message);
    }

  return datetime;
}
