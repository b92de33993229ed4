/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-semver.h"
#include "qi-version-range.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_ADDON_ERROR:
 *
 * The error domain of addons and of #QiAddonManager.
 */
#define QI_ADDON_ERROR (qi_addon_error_quark ())

/**
 * QiAddonError:
 * @QI_ADDON_ERROR_BAD_METADATA: `addon.toml` is malformed or invalid
 * @QI_ADDON_ERROR_DUPLICATE: another addon of the same name came first in
 *   the addon paths
 * @QI_ADDON_ERROR_DEPENDENCY: a dependency is missing, failed, or its
 *   version is outside the range asked for
 * @QI_ADDON_ERROR_CYCLE: the addon's dependencies lead back to it
 * @QI_ADDON_ERROR_PROVIDERS: a provider role (`auth`, `db`) has no addon
 *   or more than one
 * @QI_ADDON_ERROR_NOT_FOUND: no addon of that name, or left out of the
 *   bundle
 * @QI_ADDON_ERROR_MODULE: the native module cannot be opened, or lacks the
 *   symbols of a Qi addon, or its type is not a #QiAddon
 * @QI_ADDON_ERROR_ABI: the module was built for another major version of
 *   libqi
 * @QI_ADDON_ERROR_FAILED: the addon's own code failed (register, install)
 * @QI_ADDON_ERROR_INVALID: something the addon adds is malformed (a tray
 *   item's id or topic, a workfile handler's extensions), or an unknown
 *   plugin kind was asked for
 * @QI_ADDON_ERROR_CONFLICT: what the addon adds is another's already (a
 *   host name, a workfile extension) or its own twice (a tray item id)
 *
 * Why an addon cannot be used.
 */
typedef enum {
  QI_ADDON_ERROR_BAD_METADATA,
  QI_ADDON_ERROR_DUPLICATE,
  QI_ADDON_ERROR_DEPENDENCY,
  QI_ADDON_ERROR_CYCLE,
  QI_ADDON_ERROR_PROVIDERS,
  QI_ADDON_ERROR_NOT_FOUND,
  QI_ADDON_ERROR_MODULE,
  QI_ADDON_ERROR_ABI,
  QI_ADDON_ERROR_FAILED,
  QI_ADDON_ERROR_INVALID,
  QI_ADDON_ERROR_CONFLICT,
} QiAddonError;

/**
 * QiAddonKind:
 * @QI_ADDON_KIND_NATIVE: a GModule (`.so`) with a #QiAddon subclass
 * @QI_ADDON_KIND_PYTHON: an `addon.py`, loaded by the Python bridge
 * @QI_ADDON_KIND_DATA: neither: only folders (plugins, UI)
 *
 * What code an addon brings.
 */
typedef enum {
  QI_ADDON_KIND_NATIVE,
  QI_ADDON_KIND_PYTHON,
  QI_ADDON_KIND_DATA,
} QiAddonKind;

/**
 * QiAddonState:
 * @QI_ADDON_STATE_DISCOVERED: its metadata was read; no code of it ran
 * @QI_ADDON_STATE_LOADED: it is loaded and registered
 * @QI_ADDON_STATE_DISABLED: left out on purpose (not in the bundle, or
 *   shadowed by an addon of the same name earlier in the paths)
 * @QI_ADDON_STATE_FAILED: it cannot be used; see qi_addon_info_get_error()
 *
 * Where an addon is in its life.
 */
typedef enum {
  QI_ADDON_STATE_DISCOVERED,
  QI_ADDON_STATE_LOADED,
  QI_ADDON_STATE_DISABLED,
  QI_ADDON_STATE_FAILED,
} QiAddonState;

/**
 * QI_ADDON_PLUGIN_KINDS:
 *
 * The plugin folders an addon may hold under `plugins/`, in the order
 * they are listed.
 */
#define QI_ADDON_PLUGIN_KINDS "create", "load", "hooks", "publish", "actions"

#define QI_TYPE_ADDON_INFO (qi_addon_info_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiAddonInfo, qi_addon_info, QI, ADDON_INFO, GObject)

QI_AVAILABLE_IN_ALL
GQuark              qi_addon_error_quark               (void);

QI_AVAILABLE_IN_ALL
gboolean            qi_addon_name_is_valid             (const char    *name);
QI_AVAILABLE_IN_ALL
const char         *qi_addon_kind_to_string            (QiAddonKind    kind);
QI_AVAILABLE_IN_ALL
const char         *qi_addon_state_to_string           (QiAddonState   state);

QI_AVAILABLE_IN_ALL
QiAddonInfo        *qi_addon_info_new_for_path         (const char    *path,
                                                        GError       **error);
QI_AVAILABLE_IN_ALL
const char         *qi_addon_info_get_name             (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const char         *qi_addon_info_get_path             (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const QiSemver     *qi_addon_info_get_version          (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const char         *qi_addon_info_get_description      (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
QiAddonKind         qi_addon_info_get_kind             (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const char         *qi_addon_info_get_module_path      (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_addon_info_get_roles            (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_addon_info_has_role             (QiAddonInfo   *self,
                                                        const char    *role);
QI_AVAILABLE_IN_ALL
const char * const *qi_addon_info_get_hosts            (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_addon_info_get_dependencies     (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const QiVersionRange *qi_addon_info_get_dependency_range (QiAddonInfo *self,
                                                        const char    *name);
QI_AVAILABLE_IN_ALL
const char * const *qi_addon_info_get_plugin_kinds     (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
char               *qi_addon_info_dup_plugin_folder    (QiAddonInfo   *self,
                                                        const char    *kind);
QI_AVAILABLE_IN_ALL
QiAddonState        qi_addon_info_get_state            (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
const GError       *qi_addon_info_get_error            (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
void                qi_addon_info_set_state            (QiAddonInfo   *self,
                                                        QiAddonState   state,
                                                        const GError  *error);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_addon_info_to_json              (QiAddonInfo   *self);

QI_AVAILABLE_IN_ALL
const char * const *qi_addon_info_get_verbs            (QiAddonInfo   *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_addon_info_get_resident         (QiAddonInfo   *self);

G_END_DECLS
