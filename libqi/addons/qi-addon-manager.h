/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-addon.h"
#include "qi-addon-info.h"
#include "qi-cli-manager.h"
#include "qi-host.h"
#include "qi-hub.h"
#include "qi-rest-router.h"
#include "qi-settings.h"
#include "qi-service.h"
#include "qi-version.h"
#include "qi-workfile-handler.h"

G_BEGIN_DECLS

/**
 * QI_ADDON_PROVIDER_ROLES:
 *
 * The roles whose providers load first (phase 1), each from exactly one
 * addon.
 */
#define QI_ADDON_PROVIDER_ROLES "auth", "db"

#define QI_TYPE_ADDON_MANAGER (qi_addon_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiAddonManager, qi_addon_manager, QI, ADDON_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
QiAddonManager     *qi_addon_manager_new               (void);
QI_AVAILABLE_IN_ALL
void                qi_addon_manager_add_search_path   (QiAddonManager      *self,
                                                        const char          *path);
QI_AVAILABLE_IN_ALL
const char * const *qi_addon_manager_get_search_paths  (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
void                qi_addon_manager_discover          (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_addon_manager_add_local_addon   (QiAddonManager      *self,
                                                        const char          *name,
                                                        const char          *folder,
                                                        const char          *bundle,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
GPtrArray          *qi_addon_manager_list_addons       (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
QiAddonInfo        *qi_addon_manager_lookup            (QiAddonManager      *self,
                                                        const char          *name);
QI_AVAILABLE_IN_ALL
GPtrArray          *qi_addon_manager_list_providers    (QiAddonManager      *self,
                                                        const char          *role);
QI_AVAILABLE_IN_ALL
gboolean            qi_addon_manager_check_providers   (QiAddonManager      *self,
                                                        const char * const  *roles,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
GPtrArray          *qi_addon_manager_resolve           (QiAddonManager      *self,
                                                        const char * const  *allow_list);
QI_AVAILABLE_IN_ALL
gboolean            qi_addon_manager_pin               (QiAddonManager      *self,
                                                        const char          *name,
                                                        const char          *version,
                                                        const char          *bundle);
QI_AVAILABLE_IN_ALL
void                qi_addon_manager_load              (QiAddonManager      *self,
                                                        const char * const  *allow_list);
QI_AVAILABLE_IN_ALL
QiAddon            *qi_addon_manager_get_addon         (QiAddonManager      *self,
                                                        const char          *name);
QI_AVAILABLE_IN_ALL
QiSettings         *qi_addon_manager_get_settings      (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
QiRestRouter       *qi_addon_manager_get_router        (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
void                qi_addon_manager_close_all         (QiAddonManager      *self);

QI_AVAILABLE_IN_ALL
char              **qi_addon_manager_list_plugin_dirs  (QiAddonManager      *self,
                                                        const char          *kind,
                                                        GError             **error);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_addon_manager_list_tray_items   (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
void                qi_addon_manager_activate_tray_item_async  (QiAddonManager      *self,
                                                                const char          *id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_addon_manager_activate_tray_item_finish (QiAddonManager      *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);
QI_AVAILABLE_IN_ALL
GPtrArray          *qi_addon_manager_list_hosts        (QiAddonManager      *self);
QI_AVAILABLE_IN_ALL
QiHost             *qi_addon_manager_lookup_host       (QiAddonManager      *self,
                                                        const char          *name);
QI_AVAILABLE_IN_ALL
GPtrArray          *qi_addon_manager_list_workfile_handlers  (QiAddonManager *self);
QI_AVAILABLE_IN_ALL
QiWorkfileHandler  *qi_addon_manager_lookup_workfile_handler (QiAddonManager *self,
                                                              const char     *path,
                                                              const char     *host,
                                                              GError        **error);

QI_AVAILABLE_IN_ALL
void           qi_addon_manager_load_only         (QiAddonManager      *self,
                                                   const char * const  *names);
QI_AVAILABLE_IN_ALL
const char    *qi_addon_manager_find_verb_provider (QiAddonManager     *self,
                                                    const char * const *arguments);
QI_AVAILABLE_IN_ALL
GStrv          qi_addon_manager_dup_declared_verbs (QiAddonManager     *self);
QI_AVAILABLE_IN_ALL
GPtrArray     *qi_addon_manager_select_providers  (QiAddonManager      *self,
                                                   const char * const  *roles,
                                                   const char          *chosen,
                                                   const char * const  *allow_list,
                                                   GError             **error);

G_END_DECLS
