/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_HOST_ERROR:
 *
 * The error domain of hosts (#QiHost).
 */
#define QI_HOST_ERROR (qi_host_error_quark ())

/**
 * QiHostError:
 * @QI_HOST_ERROR_INVALID: a bad host name, variable name, placeholder,
 *   executable, menu label or topic
 * @QI_HOST_ERROR_NOT_FOUND: none of the host's executables was found
 * @QI_HOST_ERROR_PLUGIN_FOLDER: the host's plugin folder is missing, or
 *   outside its addon's folder
 * @QI_HOST_ERROR_FAILED: the host's own code failed (adjusting the
 *   environment)
 *
 * Why a host cannot be registered or launched.
 */
typedef enum {
  QI_HOST_ERROR_INVALID,
  QI_HOST_ERROR_NOT_FOUND,
  QI_HOST_ERROR_PLUGIN_FOLDER,
  QI_HOST_ERROR_FAILED,
} QiHostError;

#define QI_TYPE_HOST (qi_host_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiHost, qi_host, QI, HOST, GObject)

/**
 * QiHostClass:
 * @parent_class: the parent class
 * @adjust_environment: changes the launch environment after the host's
 *   own variables were applied: takes @envp and returns the environment to
 *   launch with (g_environ_setenv() and g_environ_unsetenv() work on it),
 *   or %NULL with @error. The default returns @envp as it is.
 * @adjust_arguments: changes the launch's command line (@argv: of `char *`,
 *   the program first, owned by the array) after the host's own arguments
 *   were put in; %FALSE with @error stops the launch. The default leaves
 *   them.
 *
 * A subclass adjusts what a declarative host cannot say, such as a
 * variable that depends on another.
 */
struct _QiHostClass
{
  GObjectClass parent_class;

  char ** (*adjust_environment) (QiHost     *self,
                                 char      **envp,
                                 GError    **error);
  gboolean (*adjust_arguments)  (QiHost     *self,
                                 GPtrArray  *argv,
                                 GError    **error);

  /*< private >*/
  gpointer padding[7];
};

QI_AVAILABLE_IN_ALL
GQuark              qi_host_error_quark         (void);
QI_AVAILABLE_IN_ALL
gboolean            qi_host_name_is_valid       (const char          *name);

QI_AVAILABLE_IN_ALL
QiHost             *qi_host_new                 (const char          *name,
                                                 const char          *label);
QI_AVAILABLE_IN_ALL
const char         *qi_host_get_name            (QiHost              *self);
QI_AVAILABLE_IN_ALL
const char         *qi_host_get_label           (QiHost              *self);
QI_AVAILABLE_IN_ALL
const char         *qi_host_get_addon           (QiHost              *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_host_add_executable      (QiHost              *self,
                                                 const char          *candidate,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
const char * const *qi_host_get_executables     (QiHost              *self);
QI_AVAILABLE_IN_ALL
void                qi_host_set_plugin_folder   (QiHost              *self,
                                                 const char          *folder);
QI_AVAILABLE_IN_ALL
const char         *qi_host_get_plugin_folder   (QiHost              *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_host_set_env             (QiHost              *self,
                                                 const char          *name,
                                                 const char          *value,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
gboolean            qi_host_prepend_env         (QiHost              *self,
                                                 const char          *name,
                                                 const char          *value,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
gboolean            qi_host_add_menu_item       (QiHost              *self,
                                                 const char          *label,
                                                 const char          *topic,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
char               *qi_host_find_executable     (QiHost              *self,
                                                 const char          *search_path,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
char              **qi_host_build_environment   (QiHost              *self,
                                                 const char * const  *base_env,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
const char         *qi_host_get_python_path     (void);
QI_AVAILABLE_IN_ALL
gboolean            qi_host_set_workfile_arguments (QiHost           *self,
                                                 const char * const  *arguments,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
char              **qi_host_build_arguments     (QiHost              *self,
                                                 const char          *executable,
                                                 const char * const  *app_arguments,
                                                 const char          *workfile,
                                                 const char * const  *extra,
                                                 GError             **error);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_host_to_json             (QiHost              *self);

G_END_DECLS
