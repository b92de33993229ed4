/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-json-reader-private.h"
#include "qi-json.h"
#include "qi-settings-private.h"
#include "qi-settings-schema.h"

/**
 * QiSettingsSchema:
 *
 * What can be set for an addon (or any class): keys by dotted path, such
 * as `farm.priority`, each with a type, a label, a description, a default
 * and limits. The builder functions declare keys; a schema is attached to
 * a class with qi_settings_schema_attach(), usually in its class_init, and
 * #QiSettings resolves its values over the layers (see #QiSettings).
 *
 * |[<!-- language="C" -->
 * g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Render farm");
 *
 * qi_settings_schema_add_object (schema, "farm", "Farm", NULL, NULL);
 * qi_settings_schema_add_int (schema, "farm.priority", "Priority",
 *                             "Job priority on the farm", 0, 100, 50, NULL);
 * qi_settings_schema_add_enum (schema, "farm.pool", "Pool", NULL,
 *                              (const char *[]) { "cpu", "gpu", NULL }, "cpu", NULL);
 * qi_settings_schema_attach (schema, MY_TYPE_ADDON);
 * ]|
 *
 * A builder call that fails (a key declared twice, a default outside the
 * limits) returns %FALSE with @error; the first failure also stays with
 * the schema (qi_settings_schema_get_error()), and #QiAddonManager marks
 * an addon whose schema has one failed with it, so that a mistake in
 * class_init, where there is no error to return, is still reported.
 *
 * A key whose value an addon shapes itself — named templates, named
 * roots — is a JSON key (qi_settings_schema_add_json()): any JSON value,
 * whose objects each layer merges member by member into the value below.
 * What its type cannot say, a validator does
 * (qi_settings_schema_set_validator()): it sees the value a layer makes of
 * the key, on top of the layers below, and a value it refuses is refused
 * where it is set (qi_settings_patch()) or read (qi_settings_resolve()),
 * naming the layer, its file and the key.
 *
 * qi_settings_schema_to_json_schema() exports the schema as JSON Schema
 * (draft 2020-12) for the UIs.
 */

typedef struct _Key Key;

struct _Key
{
  char           *path;        /* "farm.priority"; "" for the root */
  char           *name;        /* "priority" */
  QiSettingsType  type;
  char           *label;
  char           *description;
  JsonNode       *default_value;  /* NULL for objects */
  gint64          int_min, int_max;
  double          float_min, float_max;
  guint           min_length, max_length;
  char          **choices;     /* enums */
  QiSettingsType  item_type;   /* lists */
  GPtrArray      *children;    /* objects: Key, in declaration order */
  QiSettingsValidator validator;
  gpointer        validator_data;
  GDestroyNotify  validator_destroy;
};

struct _QiSettingsSchema
{
  GObject     parent_instance;

  char       *title;
  Key        *root;
  GHashTable *keys;    /* path → Key (borrowed from the tree) */
  GError     *error;   /* the first failed builder call */
};

G_DEFINE_FINAL_TYPE (QiSettingsSchema, qi_settings_schema, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-settings-error-quark, qi_settings_error)

static GQuark
attached_quark (void)
{
  static GQuark quark;

  if (quark == 0)
    quark = g_quark_from_static_string ("qi-settings-schema-attached");
  return quark;
}

static void
key_free (gpointer data)
{
  Key *key = data;

  g_free (key->path);
  g_free (key->name);
  g_free (key->label);
  g_free (key->description);
  g_clear_pointer (&key->default_value, json_node_unref);
  g_strfreev (key->choices);
  g_clear_pointer (&key->children, g_ptr_array_unref);
  if (key->validator_destroy != NULL)
    key->validator_destroy (key->validator_data);
  g_free (key);
}

static Key *
key_new (const char     *path,
         QiSettingsType  type,
         const char     *label,
         const char     *description)
{
  Key *key = g_new0 (Key, 1);
  const char *dot = strrchr (path, '.');

  key->path = g_strdup (path);
  key->name = g_strdup (dot != NULL ? dot + 1 : path);
  key->type = type;
  key->label = g_strdup (label != NULL ? label : key->name);
  key->description = g_strdup (description);
  key->int_min = G_MININT64;
  key->int_max = G_MAXINT64;
  key->float_min = -G_MAXDOUBLE;
  key->float_max = G_MAXDOUBLE;
  key->max_length = G_MAXUINT;
  if (type == QI_SETTINGS_TYPE_OBJECT)
    key->children = g_ptr_array_new_with_free_func (key_free);
  return key;
}

static void
qi_settings_schema_finalize (GObject *object)
{
  QiSettingsSchema *self = QI_SETTINGS_SCHEMA (object);

  g_free (self->title);
  g_hash_table_unref (self->keys);
  key_free (self->root);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (qi_settings_schema_parent_class)->finalize (object);
}

static void
qi_settings_schema_class_init (QiSettingsSchemaClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_settings_schema_finalize;
}

static void
qi_settings_schema_init (QiSettingsSchema *self)
{
  self->root = key_new ("", QI_SETTINGS_TYPE_OBJECT, NULL, NULL);
  self->keys = g_hash_table_new (g_str_hash, g_str_equal);
}

/**
 * qi_settings_schema_new:
 * @title: (nullable): what the settings are about, for the UIs
 *
 * Returns: (transfer full): a new schema with no keys
 */
QiSettingsSchema *
qi_settings_schema_new (const char *title)
{
  QiSettingsSchema *self = g_object_new (QI_TYPE_SETTINGS_SCHEMA, NULL);

  self->title = g_strdup (title);
  return self;
}

/**
 * qi_settings_schema_get_title:
 * @self: a #QiSettingsSchema
 *
 * Returns: (transfer none) (nullable): the title given to qi_settings_schema_new()
 */
const char *
qi_settings_schema_get_title (QiSettingsSchema *self)
{
  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);

  return self->title;
}

/**
 * qi_settings_schema_get_error:
 * @self: a #QiSettingsSchema
 *
 * Returns: (transfer none) (nullable): the error of the first builder call
 *   that failed, or %NULL if the schema is sound
 */
const GError *
qi_settings_schema_get_error (QiSettingsSchema *self)
{
  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);

  return self->error;
}

/* Fails a builder call: @error and, if it is the first, the schema's own. */
G_GNUC_PRINTF (4, 5)
static gboolean
schema_fail (QiSettingsSchema  *self,
             GError           **error,
             const char        *key,
             const char        *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (self->error == NULL)
    self->error = g_error_new (QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA,
                               _("settings schema “%s”: key %s: %s"),
                               self->title != NULL ? self->title : "", key, message);
  g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA,
               _("settings schema “%s”: key %s: %s"),
               self->title != NULL ? self->title : "", key, message);
  return FALSE;
}

static gboolean
segment_is_valid (const char *segment,
                  gsize       length)
{
  if (length == 0 || length > 64 || !g_ascii_islower (segment[0]))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!g_ascii_islower (segment[i]) && !g_ascii_isdigit (segment[i]) &&
        segment[i] != '-' && segment[i] != '_')
      return FALSE;
  return TRUE;
}

/* Checks @path and finds the object it goes in, creating the parents it
 * names; NULL (with the error) if it cannot go in. */
static Key *
parent_for (QiSettingsSchema  *self,
            const char        *path,
            GError           **error)
{
  const char *start = path;
  const char *dot;
  Key *parent = self->root;

  if (path == NULL || *path == '\0')
    {
      schema_fail (self, error, "\"\"", _("a key needs a name"));
      return NULL;
    }
  if (g_hash_table_contains (self->keys, path))
    {
      schema_fail (self, error, path, _("declared twice"));
      return NULL;
    }

  for (;;)
    {
      g_autofree char *prefix = NULL;
      Key *child;

      dot = strchr (start, '.');
      if (!segment_is_valid (start, dot != NULL ? (gsize) (dot - start) : strlen (start)))
        {
          schema_fail (self, error, path,
                       _("each part of a key is lower-case letters, digits, “-” and “_”, "
                         "starting with a letter, at most 64 long, parts joined by “.”"));
          return NULL;
        }
      if (dot == NULL)
        return parent;

      prefix = g_strndup (path, dot - path);
      child = g_hash_table_lookup (self->keys, prefix);
      if (child == NULL)
        {
          child = key_new (prefix, QI_SETTINGS_TYPE_OBJECT, NULL, NULL);
          g_ptr_array_add (parent->children, child);
          g_hash_table_insert (self->keys, child->path, child);
        }
      else if (child->type != QI_SETTINGS_TYPE_OBJECT)
        {
          schema_fail (self, error, path, _("%s is not an object: no key can go in it"), prefix);
          return NULL;
        }
      parent = child;
      start = dot + 1;
    }
}

static Key *
add_key (QiSettingsSchema  *self,
         const char        *path,
         QiSettingsType     type,
         const char        *label,
         const char        *description,
         GError           **error)
{
  Key *parent;
  Key *key;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parent = parent_for (self, path, error);
  if (parent == NULL)
    return NULL;

  key = key_new (path, type, label, description);
  g_ptr_array_add (parent->children, key);
  g_hash_table_insert (self->keys, key->path, key);
  return key;
}

static void
remove_key (QiSettingsSchema *self,
            Key              *key)
{
  Key *parent;
  const char *dot = strrchr (key->path, '.');
  g_autofree char *parent_path = dot != NULL ? g_strndup (key->path, dot - key->path) : NULL;

  parent = parent_path != NULL ? g_hash_table_lookup (self->keys, parent_path) : self->root;
  g_hash_table_remove (self->keys, key->path);
  g_ptr_array_remove (parent->children, key);
}

/* Checks the default of a new key, which is withdrawn if it does not fit. */
static gboolean
check_default (QiSettingsSchema  *self,
               Key               *key,
               GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  if (qi_settings_check_value (key, key->default_value, &local_error))
    return TRUE;

  schema_fail (self, error, key->path, _("the default does not fit: %s"), local_error->message);
  remove_key (self, key);
  return FALSE;
}

/**
 * qi_settings_schema_add_object:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the group, such as `farm`
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @error: return location for a #GError
 *
 * Declares a group of keys. Groups named by a key's path are made as they
 * are needed; declare one to give it a label and a description.
 *
 * Returns: %TRUE, or %FALSE if @key is declared already or not a valid path
 */
gboolean
qi_settings_schema_add_object (QiSettingsSchema  *self,
                               const char        *key,
                               const char        *label,
                               const char        *description,
                               GError           **error)
{
  Key *existing;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);

  /* A group made as the parent of an earlier key takes the label. */
  existing = key != NULL ? g_hash_table_lookup (self->keys, key) : NULL;
  if (existing != NULL && existing->type == QI_SETTINGS_TYPE_OBJECT &&
      g_str_equal (existing->label, existing->name) && existing->description == NULL)
    {
      g_free (existing->label);
      existing->label = g_strdup (label != NULL ? label : existing->name);
      existing->description = g_strdup (description);
      return TRUE;
    }

  return add_key (self, key, QI_SETTINGS_TYPE_OBJECT, label, description, error) != NULL;
}

static gboolean
add_text (QiSettingsSchema  *self,
          const char        *path,
          QiSettingsType     type,
          const char        *label,
          const char        *description,
          const char        *default_value,
          GError           **error)
{
  Key *key = add_key (self, path, type, label, description, error);

  if (key == NULL)
    return FALSE;
  key->default_value = json_node_init_string (json_node_alloc (),
                                              default_value != NULL ? default_value : "");
  return check_default (self, key, error);
}

/**
 * qi_settings_schema_add_string:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @default_value: (nullable): the default; %NULL for ""
 * @error: return location for a #GError
 *
 * Declares a text key.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_string (QiSettingsSchema  *self,
                               const char        *key,
                               const char        *label,
                               const char        *description,
                               const char        *default_value,
                               GError           **error)
{
  return add_text (self, key, QI_SETTINGS_TYPE_STRING, label, description, default_value, error);
}

/**
 * qi_settings_schema_add_path:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @default_value: (nullable) (type filename): the default; %NULL for ""
 * @error: return location for a #GError
 *
 * Declares a key whose value is a file or folder path.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_path (QiSettingsSchema  *self,
                             const char        *key,
                             const char        *label,
                             const char        *description,
                             const char        *default_value,
                             GError           **error)
{
  return add_text (self, key, QI_SETTINGS_TYPE_PATH, label, description, default_value, error);
}

/**
 * qi_settings_schema_add_int:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @minimum: the smallest value allowed (%G_MININT64 for no limit)
 * @maximum: the largest value allowed (%G_MAXINT64 for no limit)
 * @default_value: the default, within the limits
 * @error: return location for a #GError
 *
 * Declares a whole-number key.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_int (QiSettingsSchema  *self,
                            const char        *key,
                            const char        *label,
                            const char        *description,
                            gint64             minimum,
                            gint64             maximum,
                            gint64             default_value,
                            GError           **error)
{
  Key *added;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);

  if (minimum > maximum)
    return schema_fail (self, error, key != NULL ? key : "\"\"",
                        _("the minimum %" G_GINT64_FORMAT " is above the maximum %" G_GINT64_FORMAT),
                        minimum, maximum);
  added = add_key (self, key, QI_SETTINGS_TYPE_INT, label, description, error);
  if (added == NULL)
    return FALSE;
  added->int_min = minimum;
  added->int_max = maximum;
  added->default_value = json_node_init_int (json_node_alloc (), default_value);
  return check_default (self, added, error);
}

/**
 * qi_settings_schema_add_float:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @minimum: the smallest value allowed (-%G_MAXDOUBLE for no limit)
 * @maximum: the largest value allowed (%G_MAXDOUBLE for no limit)
 * @default_value: the default, within the limits
 * @error: return location for a #GError
 *
 * Declares a number key.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_float (QiSettingsSchema  *self,
                              const char        *key,
                              const char        *label,
                              const char        *description,
                              double             minimum,
                              double             maximum,
                              double             default_value,
                              GError           **error)
{
  Key *added;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);

  if (!isfinite (minimum) || !isfinite (maximum) || !(minimum <= maximum))
    return schema_fail (self, error, key != NULL ? key : "\"\"",
                        _("the limits %g and %g are not a range of finite numbers"),
                        minimum, maximum);
  if (!isfinite (default_value))
    return schema_fail (self, error, key != NULL ? key : "\"\"",
                        _("the default %g is not a finite number"), default_value);
  added = add_key (self, key, QI_SETTINGS_TYPE_FLOAT, label, description, error);
  if (added == NULL)
    return FALSE;
  added->float_min = minimum;
  added->float_max = maximum;
  added->default_value = json_node_init_double (json_node_alloc (), default_value);
  return check_default (self, added, error);
}

/**
 * qi_settings_schema_add_bool:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @default_value: the default
 * @error: return location for a #GError
 *
 * Declares a true-or-false key.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_bool (QiSettingsSchema  *self,
                             const char        *key,
                             const char        *label,
                             const char        *description,
                             gboolean           default_value,
                             GError           **error)
{
  Key *added = add_key (self, key, QI_SETTINGS_TYPE_BOOL, label, description, error);

  if (added == NULL)
    return FALSE;
  added->default_value = json_node_init_boolean (json_node_alloc (), default_value);
  return TRUE;
}

/**
 * qi_settings_schema_add_enum:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @choices: (array zero-terminated=1): the values allowed, at least one,
 *   each once
 * @default_value: (nullable): the default, one of @choices; %NULL for the first
 * @error: return location for a #GError
 *
 * Declares a key whose value is one of @choices.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_enum (QiSettingsSchema    *self,
                             const char          *key,
                             const char          *label,
                             const char          *description,
                             const char * const  *choices,
                             const char          *default_value,
                             GError             **error)
{
  Key *added;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);

  if (choices == NULL || choices[0] == NULL)
    return schema_fail (self, error, key != NULL ? key : "\"\"", _("an enum needs at least one choice"));
  for (guint i = 0; choices[i] != NULL; i++)
    for (guint j = 0; j < i; j++)
      if (g_str_equal (choices[i], choices[j]))
        return schema_fail (self, error, key != NULL ? key : "\"\"",
                            _("the choice “%s” is given twice"), choices[i]);

  added = add_key (self, key, QI_SETTINGS_TYPE_ENUM, label, description, error);
  if (added == NULL)
    return FALSE;
  added->choices = g_strdupv ((char **) choices);
  added->default_value = json_node_init_string (json_node_alloc (),
                                                default_value != NULL ? default_value : choices[0]);
  return check_default (self, added, error);
}

/**
 * qi_settings_schema_add_list:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @item_type: the type of the items: %QI_SETTINGS_TYPE_STRING,
 *   %QI_SETTINGS_TYPE_PATH, %QI_SETTINGS_TYPE_INT, %QI_SETTINGS_TYPE_FLOAT
 *   or %QI_SETTINGS_TYPE_BOOL
 * @default_value: (nullable): the default, a JSON array of such items;
 *   %NULL for an empty list
 * @error: return location for a #GError
 *
 * Declares a list key. A list is replaced whole by a layer, not merged.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_list (QiSettingsSchema  *self,
                             const char        *key,
                             const char        *label,
                             const char        *description,
                             QiSettingsType     item_type,
                             JsonNode          *default_value,
                             GError           **error)
{
  Key *added;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);

  if (item_type != QI_SETTINGS_TYPE_STRING && item_type != QI_SETTINGS_TYPE_PATH &&
      item_type != QI_SETTINGS_TYPE_INT && item_type != QI_SETTINGS_TYPE_FLOAT &&
      item_type != QI_SETTINGS_TYPE_BOOL)
    return schema_fail (self, error, key != NULL ? key : "\"\"",
                        _("list items are strings, paths, numbers or booleans"));

  added = add_key (self, key, QI_SETTINGS_TYPE_LIST, label, description, error);
  if (added == NULL)
    return FALSE;
  added->item_type = item_type;
  if (default_value != NULL)
    added->default_value = qi_json_node_deep_copy (default_value);
  else
    {
      g_autoptr(JsonArray) empty = json_array_new ();

      added->default_value = json_node_init_array (json_node_alloc (), empty);
    }
  return check_default (self, added, error);
}

/**
 * qi_settings_schema_add_json:
 * @self: a #QiSettingsSchema
 * @key: the dotted path of the key
 * @label: (nullable): its name for people; %NULL for the last part of @key
 * @description: (nullable): what it is for
 * @default_value: (nullable): the default, any JSON value but null; %NULL
 *   for an empty object
 * @error: return location for a #GError
 *
 * Declares a key whose value is any JSON value (but null): for values an
 * addon shapes itself, such as named templates in nested groups, which a
 * group of declared keys (qi_settings_schema_add_object()) cannot hold.
 *
 * Layers merge a JSON key as they merge groups: where a layer's value and
 * the value below are both objects, each member of the layer's replaces
 * (or, an object into an object, merges into) the member of that name
 * below, and the others stay; any other value replaces the value below
 * whole. A bundle that sets `{"work": {"file": "…"}}` of a key whose
 * default has `work.file` and `work.directory` changes `work.file` only.
 *
 * The type says nothing of the value's shape: give the key a validator
 * (qi_settings_schema_set_validator()) to check it. The key's origin
 * (#QiSettings) is the highest layer that sets any of it.
 *
 * Returns: %TRUE, or %FALSE if the key cannot be declared
 */
gboolean
qi_settings_schema_add_json (QiSettingsSchema  *self,
                             const char        *key,
                             const char        *label,
                             const char        *description,
                             JsonNode          *default_value,
                             GError           **error)
{
  Key *added;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);

  added = add_key (self, key, QI_SETTINGS_TYPE_JSON, label, description, error);
  if (added == NULL)
    return FALSE;
  if (default_value != NULL)
    added->default_value = qi_json_node_deep_copy (default_value);
  else
    {
      g_autoptr(JsonObject) empty = json_object_new ();

      added->default_value = json_node_init_object (json_node_alloc (), empty);
    }
  return check_default (self, added, error);
}

/* Runs @key's validator, if it has one, on @value; the validator's
 * message as it is (it names the key), as QI_SETTINGS_ERROR_INVALID. */
static gboolean
run_validator (QiSettingsSchema  *self,
               Key               *key,
               JsonNode          *value,
               GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  if (key->validator == NULL ||
      key->validator (self, key->path, value, key->validator_data, &local_error))
    return TRUE;

  if (local_error == NULL)
    g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                 _("%s: the value is refused by the key's validator, which gives no reason"), key->path);
  else
    g_set_error_literal (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID, local_error->message);
  return FALSE;
}

/**
 * qi_settings_schema_set_validator:
 * @self: a #QiSettingsSchema
 * @key: a key declared already that holds a value (not a group)
 * @validator: (scope notified) (closure user_data) (destroy destroy):
 *   checks a value of @key beyond its type
 * @user_data: given to @validator
 * @destroy: (nullable): frees @user_data when the schema is done with it
 * @error: return location for a #GError
 *
 * Gives @key a check of its own, for what the type cannot say: that a
 * string is a well-formed pattern, that the templates of a JSON key
 * (qi_settings_schema_add_json()) compile and their references resolve.
 *
 * The validator sees the value a layer makes of the key: the layer's
 * value merged over the value of the layers below it (for a JSON key; for
 * the others, the layer's value itself), so that a template of a project
 * may refer to one its bundle defines. It runs on the default here, where
 * a default it refuses fails the schema (qi_settings_schema_get_error());
 * by qi_settings_schema_validate(), over the defaults; and by #QiSettings
 * for each layer that sets the key, when a change is made
 * (qi_settings_patch(), which then writes nothing) and when the layers
 * are read (qi_settings_resolve(), which then leaves the layer's value
 * out, so that the value below stands, and lists the error). Its message
 * is put after the layer and its file. qi_settings_schema_parse_value()
 * does not run it: the layers below are not known there.
 *
 * Setting a validator again replaces the first.
 *
 * Returns: %TRUE, or %FALSE if @key is not declared, is a group, or its
 *   default is refused
 */
gboolean
qi_settings_schema_set_validator (QiSettingsSchema     *self,
                                  const char           *key,
                                  QiSettingsValidator   validator,
                                  gpointer              user_data,
                                  GDestroyNotify        destroy,
                                  GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  Key *found;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (validator != NULL, FALSE);

  found = g_hash_table_lookup (self->keys, key);
  if (found == NULL || found->type == QI_SETTINGS_TYPE_OBJECT)
    {
      if (destroy != NULL)
        destroy (user_data);
      return schema_fail (self, error, key,
                          found == NULL ? _("not declared") : _("a group of keys takes no validator; give one "
                                                                 "to each of its keys"));
    }

  if (found->validator_destroy != NULL)
    found->validator_destroy (found->validator_data);
  found->validator = validator;
  found->validator_data = user_data;
  found->validator_destroy = destroy;

  if (!run_validator (self, found, found->default_value, &local_error))
    return schema_fail (self, error, key, _("the default does not fit: %s"), local_error->message);
  return TRUE;
}

/**
 * qi_settings_schema_set_length:
 * @self: a #QiSettingsSchema
 * @key: a string, path or list key declared already
 * @minimum: the fewest characters (or items) allowed
 * @maximum: the most allowed; %G_MAXUINT for no limit
 * @error: return location for a #GError
 *
 * Limits the length of a text key in characters, or of a list in items.
 *
 * Returns: %TRUE, or %FALSE if @key has no length or its default does not
 *   fit the new limits
 */
gboolean
qi_settings_schema_set_length (QiSettingsSchema  *self,
                               const char        *key,
                               guint              minimum,
                               guint              maximum,
                               GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  Key *found;
  guint old_min, old_max;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  found = g_hash_table_lookup (self->keys, key);
  if (found == NULL)
    return schema_fail (self, error, key, _("not declared"));
  if (found->type != QI_SETTINGS_TYPE_STRING && found->type != QI_SETTINGS_TYPE_PATH &&
      found->type != QI_SETTINGS_TYPE_LIST)
    return schema_fail (self, error, key, _("only strings, paths and lists have a length"));
  if (minimum > maximum)
    return schema_fail (self, error, key, _("the minimum length %u is above the maximum %u"),
                        minimum, maximum);

  old_min = found->min_length;
  old_max = found->max_length;
  found->min_length = minimum;
  found->max_length = maximum;
  if (!qi_settings_check_value (found, found->default_value, &local_error))
    {
      found->min_length = old_min;
      found->max_length = old_max;
      return schema_fail (self, error, key, _("the default does not fit: %s"), local_error->message);
    }
  return TRUE;
}

/* Looking keys up. */

/**
 * qi_settings_schema_has_key:
 * @self: a #QiSettingsSchema
 * @key: a dotted path
 *
 * Returns: whether @key is declared (a group or a value)
 */
gboolean
qi_settings_schema_has_key (QiSettingsSchema *self,
                            const char       *key)
{
  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return g_hash_table_contains (self->keys, key);
}

/**
 * qi_settings_schema_get_key_type:
 * @self: a #QiSettingsSchema
 * @key: a declared key
 *
 * Returns: the type of @key
 */
QiSettingsType
qi_settings_schema_get_key_type (QiSettingsSchema *self,
                                 const char       *key)
{
  Key *found;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), QI_SETTINGS_TYPE_STRING);
  g_return_val_if_fail (key != NULL, QI_SETTINGS_TYPE_STRING);

  found = g_hash_table_lookup (self->keys, key);
  g_return_val_if_fail (found != NULL, QI_SETTINGS_TYPE_STRING);
  return found->type;
}

static void
collect_keys (Key       *key,
              GPtrArray *keys)
{
  for (guint i = 0; i < key->children->len; i++)
    {
      Key *child = key->children->pdata[i];

      if (child->type == QI_SETTINGS_TYPE_OBJECT)
        collect_keys (child, keys);
      else
        g_ptr_array_add (keys, g_strdup (child->path));
    }
}

/**
 * qi_settings_schema_dup_keys:
 * @self: a #QiSettingsSchema
 *
 * Returns: (transfer full) (array zero-terminated=1): the dotted paths of
 *   the keys that hold values (not the groups), in declaration order
 */
char **
qi_settings_schema_dup_keys (QiSettingsSchema *self)
{
  GPtrArray *keys;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);

  keys = g_ptr_array_new ();
  collect_keys (self->root, keys);
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}

static JsonNode *
defaults_of (Key *key)
{
  JsonObject *object;
  JsonNode *node;

  if (key->type != QI_SETTINGS_TYPE_OBJECT)
    return qi_json_node_deep_copy (key->default_value);

  object = json_object_new ();
  for (guint i = 0; i < key->children->len; i++)
    {
      Key *child = key->children->pdata[i];

      json_object_set_member (object, child->name, defaults_of (child));
    }
  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

/**
 * qi_settings_schema_dup_defaults:
 * @self: a #QiSettingsSchema
 *
 * Returns: (transfer full): a JSON object of every key at its default,
 *   groups as nested objects
 */
JsonNode *
qi_settings_schema_dup_defaults (QiSettingsSchema *self)
{
  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);

  return defaults_of (self->root);
}

/* Checking values. */

static const char *
type_words (QiSettingsType type)
{
  switch (type)
    {
    case QI_SETTINGS_TYPE_STRING:
    case QI_SETTINGS_TYPE_ENUM:
      return _("a string");
    case QI_SETTINGS_TYPE_PATH:
      return _("a path (a string)");
    case QI_SETTINGS_TYPE_INT:
      return _("a whole number");
    case QI_SETTINGS_TYPE_FLOAT:
      return _("a number");
    case QI_SETTINGS_TYPE_BOOL:
      return _("true or false");
    case QI_SETTINGS_TYPE_LIST:
      return _("a list");
    case QI_SETTINGS_TYPE_JSON:
      return _("a JSON value");
    case QI_SETTINGS_TYPE_OBJECT:
    default:
      return _("an object");
    }
}

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static char *
describe_value (JsonNode *node)
{
  g_autofree char *text = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup (qi_json_describe_type (node));
  if (holds (node, G_TYPE_DOUBLE))
    {
      /* json-glib writes 17 digits: 0.1 would read 0.10000000000000001. */
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.15g", json_node_get_double (node)));
    }
  text = qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);
  if (g_utf8_strlen (text, -1) > 40)
    {
      g_autofree char *start = g_utf8_substring (text, 0, 37);

      return g_strdup_printf ("%s…", start);
    }
  return g_steal_pointer (&text);
}

/* Checks one scalar @node against @type and the limits of @key. */
static gboolean
check_scalar (Key             *key,
              QiSettingsType   type,
              JsonNode        *node,
              GError         **error)
{
  g_autofree char *shown = describe_value (node);

  switch (type)
    {
    case QI_SETTINGS_TYPE_STRING:
    case QI_SETTINGS_TYPE_PATH:
      if (!holds (node, G_TYPE_STRING))
        break;
      if (type == key->type)
        {
          glong length = g_utf8_strlen (json_node_get_string (node), -1);

          if ((guint64) length < key->min_length || (guint64) length > key->max_length)
            {
              g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                           _("%s is %ld characters long; the length allowed is %u to %u"),
                           shown, length, key->min_length, key->max_length);
              return FALSE;
            }
        }
      return TRUE;

    case QI_SETTINGS_TYPE_ENUM:
      if (!holds (node, G_TYPE_STRING))
        break;
      if (!g_strv_contains ((const char * const *) key->choices, json_node_get_string (node)))
        {
          g_autofree char *choices = g_strjoinv (", ", key->choices);

          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s is not one of the choices: %s"), shown, choices);
          return FALSE;
        }
      return TRUE;

    case QI_SETTINGS_TYPE_INT:
      if (!holds (node, G_TYPE_INT64))
        break;
      if (type == key->type && json_node_get_int (node) < key->int_min)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s is below the minimum %" G_GINT64_FORMAT), shown, key->int_min);
          return FALSE;
        }
      if (type == key->type && json_node_get_int (node) > key->int_max)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s is above the maximum %" G_GINT64_FORMAT), shown, key->int_max);
          return FALSE;
        }
      return TRUE;

    case QI_SETTINGS_TYPE_FLOAT:
      if (!holds (node, G_TYPE_INT64) && !holds (node, G_TYPE_DOUBLE))
        break;
      if (type == key->type && json_node_get_double (node) < key->float_min)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s is below the minimum %g"), shown, key->float_min);
          return FALSE;
        }
      if (type == key->type && json_node_get_double (node) > key->float_max)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s is above the maximum %g"), shown, key->float_max);
          return FALSE;
        }
      return TRUE;

    case QI_SETTINGS_TYPE_BOOL:
      if (!holds (node, G_TYPE_BOOLEAN))
        break;
      return TRUE;

    case QI_SETTINGS_TYPE_LIST:
    case QI_SETTINGS_TYPE_OBJECT:
    case QI_SETTINGS_TYPE_JSON:
    default:
      break;
    }

  g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
               _("expected %s, found %s"), type_words (type), shown);
  return FALSE;
}

/* Checks a value of @key that is not an object: its type and limits. */
gboolean
qi_settings_check_value (Key       *key,
                         JsonNode  *node,
                         GError   **error)
{
  JsonArray *array;
  guint length;

  if (key->type == QI_SETTINGS_TYPE_JSON)
    {
      if (!JSON_NODE_HOLDS_NULL (node))
        return TRUE;
      /* a null removes an override in a patch: it is no value */
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("expected a JSON value, found null"));
      return FALSE;
    }
  if (key->type != QI_SETTINGS_TYPE_LIST)
    return check_scalar (key, key->type, node, error);

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autofree char *shown = describe_value (node);

      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("expected a list of %s, found %s"), type_words (key->item_type), shown);
      return FALSE;
    }

  array = json_node_get_array (node);
  length = json_array_get_length (array);
  if (length < key->min_length || length > key->max_length)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("the list has %u items; the number allowed is %u to %u"),
                   length, key->min_length, key->max_length);
      return FALSE;
    }
  for (guint i = 0; i < length; i++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!check_scalar (key, key->item_type, json_array_get_element (array, i), &local_error))
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("item %u: %s"), i, local_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* Merges the members of @over into @into: an object into an object member
 * by member, anything else replacing what was there. */
static void
merge_into (JsonObject *into,
            JsonObject *over)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, over);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      JsonNode *existing = json_object_get_member (into, name);

      if (existing != NULL && JSON_NODE_HOLDS_OBJECT (existing) && JSON_NODE_HOLDS_OBJECT (node))
        merge_into (json_node_get_object (existing), json_node_get_object (node));
      else
        json_object_set_member (into, name, qi_json_node_deep_copy (node));
    }
}

/* The value of @key that @over, a layer's, makes on top of @below (the
 * value of the layers below, or NULL): a JSON key's objects merge, every
 * other value replaces. */
static JsonNode *
merge_value (Key      *key,
             JsonNode *below,
             JsonNode *over)
{
  JsonNode *merged;

  if (key->type != QI_SETTINGS_TYPE_JSON || below == NULL ||
      !JSON_NODE_HOLDS_OBJECT (below) || !JSON_NODE_HOLDS_OBJECT (over))
    return qi_json_node_deep_copy (over);

  merged = qi_json_node_deep_copy (below);
  merge_into (json_node_get_object (merged), json_node_get_object (over));
  return merged;
}

/* The value of the key @path that @over makes on top of @below. */
JsonNode *
qi_settings_schema_merge_value (QiSettingsSchema *self,
                                const char       *path,
                                JsonNode         *below,
                                JsonNode         *over)
{
  Key *key = g_hash_table_lookup (self->keys, path);

  g_return_val_if_fail (key != NULL, NULL);
  return merge_value (key, below, over);
}

/* Copies into @into the members of @object (at the group @group) that fit
 * the schema; for each that does not, an error in @errors (or, if @errors
 * is NULL, in @error, and stops). With @validate, each value that fits its
 * type is merged over the value of its key in @below (the same group of
 * the values below the layer, or NULL) and given to its key's validator. */
static gboolean
filter_object (QiSettingsSchema  *self,
               Key               *group,
               JsonObject        *object,
               gboolean           validate,
               JsonObject        *below,
               JsonObject        *into,
               const char        *where,
               GPtrArray         *errors,
               GError           **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *path = *group->path != '\0' ? g_strconcat (group->path, ".", name, NULL)
                                                   : g_strdup (name);
      JsonNode *under = below != NULL ? json_object_get_member (below, name) : NULL;
      Key *key = NULL;

      for (guint i = 0; i < group->children->len && key == NULL; i++)
        if (g_str_equal (((Key *) group->children->pdata[i])->name, name))
          key = group->children->pdata[i];

      if (key == NULL)
        g_set_error (&local_error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_KEY,
                     _("%s%s%s: no such key"), where, *where != '\0' ? ": " : "", path);
      else if (key->type == QI_SETTINGS_TYPE_OBJECT)
        {
          JsonObject *child;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_autofree char *shown = describe_value (node);

              g_set_error (&local_error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                           _("%s%s%s: expected an object (a group of keys), found %s"),
                           where, *where != '\0' ? ": " : "", path, shown);
            }
          else
            {
              child = json_object_new ();
              if (!filter_object (self, key, json_node_get_object (node), validate,
                                  under != NULL && JSON_NODE_HOLDS_OBJECT (under) ? json_node_get_object (under) : NULL,
                                  child, where, errors, error))
                {
                  json_object_unref (child);
                  return FALSE;
                }
              if (json_object_get_size (child) > 0)
                json_object_set_object_member (into, name, child);
              else
                json_object_unref (child);
            }
        }
      else if (!qi_settings_check_value (key, node, &local_error))
        g_prefix_error (&local_error, "%s%s%s: ", where, *where != '\0' ? ": " : "", path);
      else if (validate && key->validator != NULL)
        {
          g_autoptr(JsonNode) merged = merge_value (key, under, node);

          if (run_validator (self, key, merged, &local_error))
            json_object_set_member (into, name, qi_json_node_deep_copy (node));
          else
            g_prefix_error (&local_error, "%s%s", where, *where != '\0' ? ": " : "");
        }
      else
        json_object_set_member (into, name, qi_json_node_deep_copy (node));

      if (local_error != NULL)
        {
          if (errors == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_ptr_array_add (errors, g_strdup (local_error->message));
        }
    }
  return TRUE;
}

/* The part of @values (an object of a layer) that fits the schema; what
 * does not is left out and described in @errors, each message starting
 * with @where. With @below (the values of the layers under the layer,
 * groups nested), the validators run over them too; without, they do
 * not. */
JsonNode *
qi_settings_schema_filter (QiSettingsSchema *self,
                           JsonNode         *values,
                           JsonNode         *below,
                           const char       *where,
                           GPtrArray        *errors)
{
  JsonObject *into = json_object_new ();
  JsonNode *node = json_node_init_object (json_node_alloc (), into);

  json_object_unref (into);
  if (!JSON_NODE_HOLDS_OBJECT (values))
    {
      g_autofree char *shown = describe_value (values);

      g_ptr_array_add (errors, g_strdup_printf (_("%s: expected an object of settings, found %s"),
                                                where, shown));
      return node;
    }
  filter_object (self, self->root, json_node_get_object (values), below != NULL,
                 below != NULL && JSON_NODE_HOLDS_OBJECT (below) ? json_node_get_object (below) : NULL,
                 into, where, errors, NULL);
  return node;
}

/* qi_settings_schema_validate() with the validators run over @below, the
 * values of the layers under the one @values are for. */
gboolean
qi_settings_schema_validate_over (QiSettingsSchema  *self,
                                  JsonNode          *values,
                                  JsonNode          *below,
                                  const char        *where,
                                  GError           **error)
{
  g_autoptr(JsonObject) into = NULL;

  if (where == NULL)
    where = "";
  if (!JSON_NODE_HOLDS_OBJECT (values))
    {
      g_autofree char *shown = describe_value (values);

      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("%s%sexpected an object of settings, found %s"),
                   where, *where != '\0' ? ": " : "", shown);
      return FALSE;
    }
  into = json_object_new ();
  return filter_object (self, self->root, json_node_get_object (values), TRUE,
                        below != NULL && JSON_NODE_HOLDS_OBJECT (below) ? json_node_get_object (below) : NULL,
                        into, where, NULL, error);
}

/**
 * qi_settings_schema_validate:
 * @self: a #QiSettingsSchema
 * @values: a JSON object of values for some of the keys, groups nested
 * @where: (nullable): what the values are, to start the message with,
 *   such as `bundle layer “prod”`
 * @error: return location for a #GError
 *
 * Checks that each value of @values is for a declared key and fits it,
 * and that the keys' validators (qi_settings_schema_set_validator()) take
 * them over the defaults. Keys left out are fine: a layer sets only what
 * it changes.
 *
 * Returns: %TRUE, or %FALSE with an error naming the first key path that
 *   does not fit and why
 */
gboolean
qi_settings_schema_validate (QiSettingsSchema  *self,
                             JsonNode          *values,
                             const char        *where,
                             GError           **error)
{
  g_autoptr(JsonNode) defaults = NULL;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), FALSE);
  g_return_val_if_fail (values != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  defaults = qi_settings_schema_dup_defaults (self);
  return qi_settings_schema_validate_over (self, values, defaults, where, error);
}

/**
 * qi_settings_schema_parse_value:
 * @self: a #QiSettingsSchema
 * @key: a declared key that holds a value
 * @text: the value as typed: text as it is for string, path and enum keys,
 *   JSON for the others (`42`, `0.5`, `true`, `["a", "b"]`,
 *   `{"work": {"file": "…"}}`)
 * @error: return location for a #GError
 *
 * Reads a value for @key from the command line or a form, and checks its
 * type. The key's validator does not run here: it sees the value over the
 * layers below the one it is set in, which qi_settings_patch() knows.
 *
 * Returns: (transfer full): the value, or %NULL with an error naming @key
 */
JsonNode *
qi_settings_schema_parse_value (QiSettingsSchema  *self,
                                const char        *key,
                                const char        *text,
                                GError           **error)
{
  static const QiJsonLimits limits = {
    .max_depth = 4, .max_values = 10000, .max_members = 1000, .count_values_first = TRUE,
  };
  /* a JSON key holds groups of its own: as deep as a settings file */
  static const QiJsonLimits json_limits = {
    .max_depth = 32, .max_values = 100000, .max_members = 10000, .count_values_first = TRUE,
  };
  g_auto(QiJsonFailure) failure = { 0, };
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) local_error = NULL;
  Key *found;

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);
  g_return_val_if_fail (key != NULL && text != NULL, NULL);

  found = g_hash_table_lookup (self->keys, key);
  if (found == NULL)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_KEY,
                   _("%s: no such key"), key);
      return NULL;
    }
  if (found->type == QI_SETTINGS_TYPE_OBJECT)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("%s: a group of keys; set its keys one by one, such as %s.%s"), key, key,
                   found->children->len > 0 ? ((Key *) found->children->pdata[0])->name : "…");
      return NULL;
    }

  if (found->type == QI_SETTINGS_TYPE_STRING || found->type == QI_SETTINGS_TYPE_PATH ||
      found->type == QI_SETTINGS_TYPE_ENUM)
    node = json_node_init_string (json_node_alloc (), text);
  else
    {
      gsize length = strlen (text);

      node = qi_json_read (text, length, found->type == QI_SETTINGS_TYPE_JSON ? &json_limits : &limits,
                           &failure);
      if (node == NULL && found->type == QI_SETTINGS_TYPE_JSON)
        {
          gsize at;
          g_autofree char *reason = qi_json_failure_describe (&failure, length, _("too large or too deeply nested"),
                                                              &at);

          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s: the value is not JSON: %s at character %ld"), key, reason,
                       g_utf8_pointer_to_offset (text, text + MIN (at, length)));
          return NULL;
        }
      if (node == NULL)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                       _("%s: “%s” is not %s"), key, text, type_words (found->type));
          return NULL;
        }
    }

  if (!qi_settings_check_value (found, node, &local_error))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   "%s: %s", key, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&node);
}

/* JSON Schema, draft 2020-12. */

static void
add_item_schema (JsonBuilder    *builder,
                 Key            *key,
                 QiSettingsType  type)
{
  switch (type)
    {
    case QI_SETTINGS_TYPE_STRING:
    case QI_SETTINGS_TYPE_PATH:
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "string");
      if (type == QI_SETTINGS_TYPE_PATH)
        {
          /* An annotation: a validator ignores a format it does not know. */
          json_builder_set_member_name (builder, "format");
          json_builder_add_string_value (builder, "path");
        }
      if (type == key->type && key->min_length > 0)
        {
          json_builder_set_member_name (builder, "minLength");
          json_builder_add_int_value (builder, key->min_length);
        }
      if (type == key->type && key->max_length != G_MAXUINT)
        {
          json_builder_set_member_name (builder, "maxLength");
          json_builder_add_int_value (builder, key->max_length);
        }
      break;
    case QI_SETTINGS_TYPE_ENUM:
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "string");
      json_builder_set_member_name (builder, "enum");
      json_builder_begin_array (builder);
      for (guint i = 0; key->choices[i] != NULL; i++)
        json_builder_add_string_value (builder, key->choices[i]);
      json_builder_end_array (builder);
      break;
    case QI_SETTINGS_TYPE_INT:
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "integer");
      if (type == key->type && key->int_min != G_MININT64)
        {
          json_builder_set_member_name (builder, "minimum");
          json_builder_add_int_value (builder, key->int_min);
        }
      if (type == key->type && key->int_max != G_MAXINT64)
        {
          json_builder_set_member_name (builder, "maximum");
          json_builder_add_int_value (builder, key->int_max);
        }
      break;
    case QI_SETTINGS_TYPE_FLOAT:
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "number");
      if (type == key->type && key->float_min != -G_MAXDOUBLE)
        {
          json_builder_set_member_name (builder, "minimum");
          json_builder_add_double_value (builder, key->float_min);
        }
      if (type == key->type && key->float_max != G_MAXDOUBLE)
        {
          json_builder_set_member_name (builder, "maximum");
          json_builder_add_double_value (builder, key->float_max);
        }
      break;
    case QI_SETTINGS_TYPE_BOOL:
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "boolean");
      break;
    case QI_SETTINGS_TYPE_JSON:
      /* any value: the addon's validator knows its shape */
      break;
    case QI_SETTINGS_TYPE_LIST:
    case QI_SETTINGS_TYPE_OBJECT:
    default:
      g_assert_not_reached ();
    }
}

static void
add_key_schema (JsonBuilder *builder,
                Key         *key)
{
  if (key->type == QI_SETTINGS_TYPE_OBJECT)
    {
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "object");
      json_builder_set_member_name (builder, "properties");
      json_builder_begin_object (builder);
      for (guint i = 0; i < key->children->len; i++)
        {
          Key *child = key->children->pdata[i];

          json_builder_set_member_name (builder, child->name);
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, child->label);
          if (child->description != NULL)
            {
              json_builder_set_member_name (builder, "description");
              json_builder_add_string_value (builder, child->description);
            }
          add_key_schema (builder, child);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "additionalProperties");
      json_builder_add_boolean_value (builder, FALSE);
      return;
    }

  if (key->type == QI_SETTINGS_TYPE_LIST)
    {
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "array");
      json_builder_set_member_name (builder, "items");
      json_builder_begin_object (builder);
      add_item_schema (builder, key, key->item_type);
      json_builder_end_object (builder);
      if (key->min_length > 0)
        {
          json_builder_set_member_name (builder, "minItems");
          json_builder_add_int_value (builder, key->min_length);
        }
      if (key->max_length != G_MAXUINT)
        {
          json_builder_set_member_name (builder, "maxItems");
          json_builder_add_int_value (builder, key->max_length);
        }
    }
  else
    add_item_schema (builder, key, key->type);

  json_builder_set_member_name (builder, "default");
  json_builder_add_value (builder, qi_json_node_deep_copy (key->default_value));
}

/**
 * qi_settings_schema_to_json_schema:
 * @self: a #QiSettingsSchema
 * @id: (nullable): the `$id` of the schema, such as `qi:settings/loader`
 *
 * Exports the schema as a JSON Schema (draft 2020-12) of the resolved
 * values: an object with a property for each key, `title` from the label,
 * `description`, `default`, `minimum`/`maximum`, `minLength`/`maxLength`,
 * `enum`, `items` and `minItems`/`maxItems`; path keys carry
 * `"format": "path"`. Unknown keys are refused (`additionalProperties`).
 *
 * Returns: (transfer full): the JSON Schema document
 */
JsonNode *
qi_settings_schema_to_json_schema (QiSettingsSchema *self,
                                   const char       *id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "$schema");
  json_builder_add_string_value (builder, "https://json-schema.org/draft/2020-12/schema");
  if (id != NULL)
    {
      json_builder_set_member_name (builder, "$id");
      json_builder_add_string_value (builder, id);
    }
  if (self->title != NULL)
    {
      json_builder_set_member_name (builder, "title");
      json_builder_add_string_value (builder, self->title);
    }
  add_key_schema (builder, self->root);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Attaching to classes. */

/**
 * qi_settings_schema_attach:
 * @self: a #QiSettingsSchema
 * @type: a type, such as an addon's
 *
 * Makes @self the settings schema of @type and of its subtypes that have
 * none of their own. Attaching again replaces the schema.
 */
void
qi_settings_schema_attach (QiSettingsSchema *self,
                           GType             type)
{
  QiSettingsSchema *old;

  g_return_if_fail (QI_IS_SETTINGS_SCHEMA (self));
  g_return_if_fail (type != G_TYPE_INVALID);

  /* The schema lives as long as the type: types are never unregistered,
   * and a reloaded module's class_init attaches again, replacing it. */
  old = g_type_get_qdata (type, attached_quark ());
  g_type_set_qdata (type, attached_quark (), g_object_ref (self));
  g_clear_object (&old);
}

/**
 * qi_settings_schema_lookup:
 * @type: a type
 *
 * Returns: (transfer none) (nullable): the settings schema attached to
 *   @type or to the nearest of its parent types, or %NULL
 */
QiSettingsSchema *
qi_settings_schema_lookup (GType type)
{
  for (; type != G_TYPE_INVALID; type = g_type_parent (type))
    {
      QiSettingsSchema *schema = g_type_get_qdata (type, attached_quark ());

      if (schema != NULL)
        return schema;
    }
  return NULL;
}
