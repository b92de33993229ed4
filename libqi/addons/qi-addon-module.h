/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gmodule.h>
#include <glib-object.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_ADDON_ABI_VERSION:
 *
 * The ABI a native addon is built for: the API version of libqi (the `1`
 * of `libqi-1.so`). A module built for another is refused before any of
 * its functions runs.
 */
#define QI_ADDON_ABI_VERSION 1

/**
 * QiAddonModuleRegisterFunc:
 * @module: the module to register the addon's types in
 *
 * Registers the addon's types in @module (with the `_register_type`
 * functions of G_DEFINE_DYNAMIC_TYPE) and names its #QiAddon subclass.
 *
 * Returns: the type of the addon's #QiAddon subclass
 */
typedef GType (*QiAddonModuleRegisterFunc) (GTypeModule *module);

/**
 * QI_ADDON_MODULE_DEFINE:
 * @register_func: a #QiAddonModuleRegisterFunc
 *
 * Exports what makes a `.so` a native Qi addon: the ABI it was built for
 * and its registration function. One per module:
 *
 * |[<!-- language="C" -->
 * G_DEFINE_DYNAMIC_TYPE (HelloAddon, hello_addon, QI_TYPE_ADDON)
 * …
 * static GType
 * hello_register (GTypeModule *module)
 * {
 *   hello_addon_register_type (module);
 *   return hello_addon_get_type ();
 * }
 *
 * QI_ADDON_MODULE_DEFINE (hello_register)
 * ]|
 */
#define QI_ADDON_MODULE_DEFINE(register_func)                                   \
  G_MODULE_EXPORT extern const guint32 qi_addon_abi_version;                    \
  G_MODULE_EXPORT const guint32 qi_addon_abi_version = QI_ADDON_ABI_VERSION;    \
  G_MODULE_EXPORT GType qi_addon_module_register (GTypeModule *module);         \
  G_MODULE_EXPORT GType                                                         \
  qi_addon_module_register (GTypeModule *module)                                \
  {                                                                             \
    return register_func (module);                                              \
  }

#define QI_TYPE_ADDON_MODULE (qi_addon_module_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiAddonModule, qi_addon_module, QI, ADDON_MODULE, GTypeModule)

QI_AVAILABLE_IN_ALL
QiAddonModule *qi_addon_module_new            (const char     *path);
QI_AVAILABLE_IN_ALL
QiAddonModule *qi_addon_module_get_for_path   (const char     *path);
QI_AVAILABLE_IN_ALL
const char    *qi_addon_module_get_path       (QiAddonModule  *self);
QI_AVAILABLE_IN_ALL
GType          qi_addon_module_load_type      (QiAddonModule  *self,
                                               GError        **error);

QI_AVAILABLE_IN_ALL
void           qi_addon_module_set_resident   (QiAddonModule  *self,
                                               gboolean        resident);

G_END_DECLS
