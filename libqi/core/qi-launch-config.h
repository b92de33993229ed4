/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-config-manager.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiLaunchSource:
 * @QI_LAUNCH_SOURCE_DEFAULT: Qi's built-in default
 * @QI_LAUNCH_SOURCE_SYSTEM_CONFIG: a system-wide `qi.toml`
 * @QI_LAUNCH_SOURCE_USER_CONFIG: the user's `qi.toml`
 * @QI_LAUNCH_SOURCE_ENVIRONMENT: a `QI_*` environment variable
 * @QI_LAUNCH_SOURCE_COMMAND_LINE: a command-line option
 *
 * Where a launch option got its value, from the lowest precedence to the
 * highest.
 */
typedef enum {
  QI_LAUNCH_SOURCE_DEFAULT,
  QI_LAUNCH_SOURCE_SYSTEM_CONFIG,
  QI_LAUNCH_SOURCE_USER_CONFIG,
  QI_LAUNCH_SOURCE_ENVIRONMENT,
  QI_LAUNCH_SOURCE_COMMAND_LINE,
} QiLaunchSource;

#define QI_TYPE_LAUNCH_CONFIG (qi_launch_config_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiLaunchConfig, qi_launch_config, QI, LAUNCH_CONFIG, GObject)

QI_AVAILABLE_IN_ALL
QiLaunchConfig     *qi_launch_config_new                (const char * const *argv,
                                                         const char * const *envp,
                                                         GError            **error);
QI_AVAILABLE_IN_ALL
gboolean            qi_launch_config_get_headless       (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_project        (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_config_dir     (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_data_dir       (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_launch_config_get_addon_paths    (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_bundle         (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_launch_config_get_staging        (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_dev_bundle     (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_tracker     (QiLaunchConfig  *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_launch_config_get_dev            (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_launch_config_get_no_window      (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
guint               qi_launch_config_get_port           (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_log_level      (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_launch_config_get_arguments      (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
QiConfigManager    *qi_launch_config_get_config_manager (QiLaunchConfig     *self);
QI_AVAILABLE_IN_ALL
QiLaunchSource      qi_launch_config_get_source         (QiLaunchConfig     *self,
                                                         const char         *option);
QI_AVAILABLE_IN_ALL
const char         *qi_launch_config_get_origin         (QiLaunchConfig     *self,
                                                         const char         *option);
QI_AVAILABLE_IN_ALL
char              **qi_launch_config_list_options       (void);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_launch_config_to_json            (QiLaunchConfig     *self,
                                                         gboolean            with_origin);

G_END_DECLS
