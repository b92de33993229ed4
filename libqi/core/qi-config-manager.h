/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_CONFIG_ERROR:
 *
 * The error domain of #QiConfigManager and #QiLaunchConfig.
 */
#define QI_CONFIG_ERROR (qi_config_error_quark ())

/**
 * QiConfigError:
 * @QI_CONFIG_ERROR_PARSE: a configuration file is not valid TOML
 * @QI_CONFIG_ERROR_IO: a configuration file exists but cannot be read
 * @QI_CONFIG_ERROR_WRONG_TYPE: a value has the wrong type, such as a string
 *   where a number belongs
 * @QI_CONFIG_ERROR_INVALID_VALUE: a value has the right type but is not
 *   allowed, such as port 70000
 * @QI_CONFIG_ERROR_UNKNOWN_KEY: a key that Qi does not know, usually a typo
 * @QI_CONFIG_ERROR_UNKNOWN_OPTION: a command-line option that Qi does not know
 * @QI_CONFIG_ERROR_MISSING_VALUE: a command-line option lacks its value
 *
 * Errors in configuration. Messages name where the problem is: the file,
 * line and column, the environment variable or the command-line option.
 */
typedef enum {
  QI_CONFIG_ERROR_PARSE,
  QI_CONFIG_ERROR_IO,
  QI_CONFIG_ERROR_WRONG_TYPE,
  QI_CONFIG_ERROR_INVALID_VALUE,
  QI_CONFIG_ERROR_UNKNOWN_KEY,
  QI_CONFIG_ERROR_UNKNOWN_OPTION,
  QI_CONFIG_ERROR_MISSING_VALUE,
} QiConfigError;

/**
 * QiConfigScope:
 * @QI_CONFIG_SCOPE_SYSTEM: a system-wide directory, such as `/etc/qi`
 * @QI_CONFIG_SCOPE_USER: the user's own directory, such as `~/.config/qi`
 *
 * Who a configuration directory belongs to. User configuration takes
 * precedence over system configuration.
 */
typedef enum {
  QI_CONFIG_SCOPE_SYSTEM,
  QI_CONFIG_SCOPE_USER,
} QiConfigScope;

#define QI_TYPE_CONFIG_MANAGER (qi_config_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiConfigManager, qi_config_manager, QI, CONFIG_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
GQuark            qi_config_error_quark             (void);

QI_AVAILABLE_IN_ALL
QiConfigManager  *qi_config_manager_new             (void);
QI_AVAILABLE_IN_ALL
void              qi_config_manager_add_search_dir  (QiConfigManager  *self,
                                                     const char       *directory,
                                                     QiConfigScope     scope);
QI_AVAILABLE_IN_ALL
char            **qi_config_manager_dup_search_dirs (QiConfigManager  *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_config_manager_load            (QiConfigManager  *self,
                                                     GError          **error);
QI_AVAILABLE_IN_ALL
char            **qi_config_manager_dup_files       (QiConfigManager  *self);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_config_manager_get_root        (QiConfigManager  *self);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_config_manager_get_node        (QiConfigManager  *self,
                                                     const char       *pointer);
QI_AVAILABLE_IN_ALL
gboolean          qi_config_manager_get_origin      (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     const char      **file,
                                                     guint            *line,
                                                     guint            *column,
                                                     QiConfigScope    *scope);
QI_AVAILABLE_IN_ALL
char             *qi_config_manager_dup_origin      (QiConfigManager  *self,
                                                     const char       *pointer);
QI_AVAILABLE_IN_ALL
char             *qi_config_manager_get_string      (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     const char       *default_value,
                                                     GError          **error);
QI_AVAILABLE_IN_ALL
gint64            qi_config_manager_get_int         (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     gint64            default_value,
                                                     GError          **error);
QI_AVAILABLE_IN_ALL
double            qi_config_manager_get_double      (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     double            default_value,
                                                     GError          **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_config_manager_get_boolean     (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     gboolean          default_value,
                                                     GError          **error);
QI_AVAILABLE_IN_ALL
char            **qi_config_manager_get_strv        (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     GError          **error);
QI_AVAILABLE_IN_ALL
GDateTime        *qi_config_manager_get_datetime    (QiConfigManager  *self,
                                                     const char       *pointer,
                                                     GError          **error);

G_END_DECLS
