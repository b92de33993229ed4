/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_SETTINGS_ERROR:
 *
 * The error domain of #QiSettingsSchema and #QiSettings.
 */
#define QI_SETTINGS_ERROR (qi_settings_error_quark ())

/**
 * QiSettingsError:
 * @QI_SETTINGS_ERROR_SCHEMA: a schema is built wrongly: a key declared
 *   twice, a default outside the limits, a bad key name
 * @QI_SETTINGS_ERROR_INVALID: a value does not fit its key: wrong type,
 *   out of range, not one of the choices
 * @QI_SETTINGS_ERROR_UNKNOWN_KEY: a value for a key the schema does not have
 * @QI_SETTINGS_ERROR_UNKNOWN_ADDON: no loaded addon of that name has a
 *   settings schema
 * @QI_SETTINGS_ERROR_PARSE: an override file is not valid JSON or not in
 *   the override format
 * @QI_SETTINGS_ERROR_IO: an override file cannot be read or written
 * @QI_SETTINGS_ERROR_BAD_NAME: a layer, project or bundle name that cannot
 *   name a file
 *
 * Errors in settings. Messages name the key path (such as `farm.priority`)
 * and, for a value of an override, the layer and its file.
 */
typedef enum {
  QI_SETTINGS_ERROR_SCHEMA,
  QI_SETTINGS_ERROR_INVALID,
  QI_SETTINGS_ERROR_UNKNOWN_KEY,
  QI_SETTINGS_ERROR_UNKNOWN_ADDON,
  QI_SETTINGS_ERROR_PARSE,
  QI_SETTINGS_ERROR_IO,
  QI_SETTINGS_ERROR_BAD_NAME,
} QiSettingsError;

/**
 * QiSettingsType:
 * @QI_SETTINGS_TYPE_STRING: text
 * @QI_SETTINGS_TYPE_INT: a whole number, with a minimum and a maximum
 * @QI_SETTINGS_TYPE_FLOAT: a number, with a minimum and a maximum
 * @QI_SETTINGS_TYPE_BOOL: true or false
 * @QI_SETTINGS_TYPE_ENUM: one of a list of strings
 * @QI_SETTINGS_TYPE_PATH: a file or folder path (text; UIs offer a chooser)
 * @QI_SETTINGS_TYPE_LIST: a list of strings, paths, numbers or booleans
 * @QI_SETTINGS_TYPE_OBJECT: a group of keys
 * @QI_SETTINGS_TYPE_JSON: any JSON value but null, such as an object whose
 *   members an addon defines itself (named templates, named roots); a layer
 *   merges its objects into the value below member by member, and replaces
 *   anything else (see qi_settings_schema_add_json())
 *
 * The type of a settings key.
 */
typedef enum {
  QI_SETTINGS_TYPE_STRING,
  QI_SETTINGS_TYPE_INT,
  QI_SETTINGS_TYPE_FLOAT,
  QI_SETTINGS_TYPE_BOOL,
  QI_SETTINGS_TYPE_ENUM,
  QI_SETTINGS_TYPE_PATH,
  QI_SETTINGS_TYPE_LIST,
  QI_SETTINGS_TYPE_OBJECT,
  QI_SETTINGS_TYPE_JSON,
} QiSettingsType;

#define QI_TYPE_SETTINGS_SCHEMA (qi_settings_schema_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiSettingsSchema, qi_settings_schema, QI, SETTINGS_SCHEMA, GObject)

/**
 * QiSettingsValidator:
 * @schema: the schema of the key
 * @key: the dotted path of the key, such as `templates`
 * @value: the value to check, as the key resolves with the value being
 *   set (or read from a layer) on top of the layers below it
 * @user_data: the data given to qi_settings_schema_set_validator()
 * @error: return location for a #GError
 *
 * Checks a value beyond its type (see qi_settings_schema_set_validator()).
 * The message of @error says what is wrong and where in @value, naming
 * @key or a path inside it (`templates.work.file: …`); the settings put
 * the layer and its file before it.
 *
 * Returns: %TRUE if @value is good, or %FALSE with @error set
 */
typedef gboolean (*QiSettingsValidator) (QiSettingsSchema  *schema,
                                         const char        *key,
                                         JsonNode          *value,
                                         gpointer           user_data,
                                         GError           **error);

QI_AVAILABLE_IN_ALL
GQuark            qi_settings_error_quark              (void);

QI_AVAILABLE_IN_ALL
QiSettingsSchema *qi_settings_schema_new               (const char          *title);
QI_AVAILABLE_IN_ALL
const char       *qi_settings_schema_get_title         (QiSettingsSchema    *self);

QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_object        (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_string        (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        const char          *default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_path          (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        const char          *default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_int           (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        gint64               minimum,
                                                        gint64               maximum,
                                                        gint64               default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_float         (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        double               minimum,
                                                        double               maximum,
                                                        double               default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_bool          (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        gboolean             default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_enum          (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        const char * const  *choices,
                                                        const char          *default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_list          (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        QiSettingsType       item_type,
                                                        JsonNode            *default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_add_json          (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *label,
                                                        const char          *description,
                                                        JsonNode            *default_value,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_set_validator     (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        QiSettingsValidator  validator,
                                                        gpointer             user_data,
                                                        GDestroyNotify       destroy,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_set_length        (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        guint                minimum,
                                                        guint                maximum,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
const GError     *qi_settings_schema_get_error         (QiSettingsSchema    *self);

QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_has_key           (QiSettingsSchema    *self,
                                                        const char          *key);
QI_AVAILABLE_IN_ALL
QiSettingsType    qi_settings_schema_get_key_type      (QiSettingsSchema    *self,
                                                        const char          *key);
QI_AVAILABLE_IN_ALL
char            **qi_settings_schema_dup_keys          (QiSettingsSchema    *self);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_settings_schema_dup_defaults      (QiSettingsSchema    *self);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_settings_schema_to_json_schema    (QiSettingsSchema    *self,
                                                        const char          *id);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_schema_validate          (QiSettingsSchema    *self,
                                                        JsonNode            *values,
                                                        const char          *where,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_settings_schema_parse_value       (QiSettingsSchema    *self,
                                                        const char          *key,
                                                        const char          *text,
                                                        GError             **error);

QI_AVAILABLE_IN_ALL
void              qi_settings_schema_attach            (QiSettingsSchema    *self,
                                                        GType                type);
QI_AVAILABLE_IN_ALL
QiSettingsSchema *qi_settings_schema_lookup            (GType                type);

G_END_DECLS
