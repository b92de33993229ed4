/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-addon-info.h"
#include "qi-auth-provider.h"
#include "qi-db-adapter.h"
#include "qi-cli-manager.h"
#include "qi-cli-verb.h"
#include "qi-host.h"
#include "qi-hub-endpoint.h"
#include "qi-rest-router.h"
#include "qi-settings.h"
#include "qi-version.h"
#include "qi-workfile-handler.h"

G_BEGIN_DECLS

#define QI_TYPE_ADDON (qi_addon_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiAddon, qi_addon, QI, ADDON, GObject)

/**
 * QiAddonClass:
 * @parent_class: the parent class
 * @register_addon: declares what the addon adds (hub handlers and
 *   subscriptions on qi_addon_get_endpoint(), CLI verbs with
 *   qi_addon_add_verb(), REST routes with qi_addon_add_route(), tray
 *   items with qi_addon_add_tray_item(), hosts with qi_addon_add_host(),
 *   workfile handlers with qi_addon_add_workfile_handler()); runs once
 *   its dependencies have registered. The default adds nothing.
 * @install: runs once every addon has registered, in the same order; for
 *   work that needs the others. The default does nothing.
 * @close: runs at shutdown, in the reverse order, before what the addon
 *   added is removed. The default does nothing.
 *
 * The lifecycle of an addon: discover (its metadata, #QiAddonInfo) →
 * register → install → close. A failing @register_addon or @install marks
 * the addon failed, removes what it added, and the other addons go on.
 */
struct _QiAddonClass
{
  GObjectClass parent_class;

  gboolean (*register_addon) (QiAddon  *self,
                              GError  **error);
  gboolean (*install)        (QiAddon  *self,
                              GError  **error);
  void     (*close)          (QiAddon  *self);

  /*< private >*/
  gpointer padding[12];
};

QI_AVAILABLE_IN_ALL
QiAddonInfo   *qi_addon_get_info      (QiAddon            *self);
QI_AVAILABLE_IN_ALL
const char    *qi_addon_get_name      (QiAddon            *self);
QI_AVAILABLE_IN_ALL
QiHubEndpoint *qi_addon_get_endpoint  (QiAddon            *self);
QI_AVAILABLE_IN_ALL
gboolean       qi_addon_add_verb      (QiAddon            *self,
                                       QiCliVerb          *verb,
                                       GError            **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_addon_add_route     (QiAddon            *self,
                                       const char         *method,
                                       const char         *pattern,
                                       QiRestHandlerFunc   handler,
                                       gpointer            user_data,
                                       GDestroyNotify      destroy,
                                       GError            **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_addon_add_tray_item (QiAddon            *self,
                                       const char         *id,
                                       const char         *label,
                                       const char         *topic,
                                       GError            **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_addon_add_host      (QiAddon            *self,
                                       QiHost             *host,
                                       GError            **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_addon_add_workfile_handler (QiAddon           *self,
                                              QiWorkfileHandler *handler,
                                              GError           **error);
QI_AVAILABLE_IN_ALL
JsonNode      *qi_addon_list_tray_items (QiAddon          *self);
QI_AVAILABLE_IN_ALL
GPtrArray     *qi_addon_list_hosts    (QiAddon            *self);
QI_AVAILABLE_IN_ALL
GPtrArray     *qi_addon_list_workfile_handlers (QiAddon   *self);
QI_AVAILABLE_IN_ALL
JsonNode      *qi_addon_describe_contributions (QiAddon   *self);
QI_AVAILABLE_IN_ALL
JsonNode      *qi_addon_get_setting   (QiAddon            *self,
                                       const char         *key,
                                       QiSettingsLayer    *origin,
                                       GError            **error);
QI_AVAILABLE_IN_ALL
const char    *qi_addon_get_data_dir  (QiAddon            *self);

QI_AVAILABLE_IN_ALL
gboolean        qi_addon_provide_tracker (QiAddon         *self,
                                          QiDbAdapter     *adapter,
                                          GError         **error);
QI_AVAILABLE_IN_ALL
QiDbAdapter    *qi_addon_get_tracker     (QiAddon         *self);
QI_AVAILABLE_IN_ALL
gboolean        qi_addon_provide_login   (QiAddon         *self,
                                          QiAuthProvider  *provider,
                                          GError         **error);
QI_AVAILABLE_IN_ALL
QiAuthProvider *qi_addon_get_login       (QiAddon         *self);

G_END_DECLS
