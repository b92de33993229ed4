/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gmodule.h>
#include <glib-object.h>

#include "qi-addon-info.h"
#include "qi-addon-module.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_ADDON_LOADER_DEFINE:
 * @get_type: the get_type function of the loader's #QiAddonLoader subclass
 *
 * Exports what a loader module needs: the ABI version
 * (`qi_addon_loader_abi_version`), checked before any of its code runs,
 * and `qi_addon_loader_register()`, which returns the loader's type. Use
 * once in the loader's module. The names are not the addon modules' own:
 * a loader is opened with global binding, and its symbols must not stand
 * for theirs.
 */
#define QI_ADDON_LOADER_DEFINE(get_type)                                        \
  G_MODULE_EXPORT extern const guint32 qi_addon_loader_abi_version;             \
  G_MODULE_EXPORT const guint32 qi_addon_loader_abi_version = QI_ADDON_ABI_VERSION; \
  G_MODULE_EXPORT GType qi_addon_loader_register (void);                        \
  G_MODULE_EXPORT GType                                                         \
  qi_addon_loader_register (void)                                               \
  {                                                                             \
    return get_type ();                                                         \
  }

#define QI_TYPE_ADDON_LOADER (qi_addon_loader_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiAddonLoader, qi_addon_loader, QI, ADDON_LOADER, GObject)

/**
 * QiAddonLoaderClass:
 * @parent_class: the parent class
 * @initialize: starts the language runtime; runs once, before the first
 *   @load_type. The default does nothing.
 * @load_type: loads the code of the addon @info describes and returns its
 *   #QiAddon subtype, for the manager to create with g_object_new()
 *
 * A loader of addons written in another language than C, such as the
 * Python bridge (`plugins/python/`). Loaders are modules of their own,
 * opened only when the first addon of their kind loads.
 */
struct _QiAddonLoaderClass
{
  GObjectClass parent_class;

  gboolean (*initialize) (QiAddonLoader  *self,
                          GError        **error);
  GType    (*load_type)  (QiAddonLoader  *self,
                          QiAddonInfo    *info,
                          GError        **error);

  /*< private >*/
  gpointer padding[8];
};

QI_AVAILABLE_IN_ALL
QiAddonLoader *qi_addon_loader_get_for_kind (QiAddonKind     kind,
                                             GError        **error);
QI_AVAILABLE_IN_ALL
GType          qi_addon_loader_load_type    (QiAddonLoader  *self,
                                             QiAddonInfo    *info,
                                             GError        **error);

G_END_DECLS
