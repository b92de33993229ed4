/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

#define QI_TYPE_APP_CATALOG (qi_app_catalog_get_type ())

G_DECLARE_FINAL_TYPE (QiAppCatalog, qi_app_catalog, QI, APP_CATALOG, GObject)

gboolean      qi_app_catalog_check              (JsonNode      *groups,
                                                 const char    *key,
                                                 GError       **error);
QiAppCatalog *qi_app_catalog_new                (JsonNode      *groups,
                                                 QiPlatform     platform,
                                                 const char    *search_path,
                                                 GError       **error);
JsonNode     *qi_app_catalog_list               (QiAppCatalog  *self);
JsonObject   *qi_app_catalog_find               (QiAppCatalog  *self,
                                                 const char    *name,
                                                 gboolean       installed,
                                                 GError       **error);
JsonNode     *qi_app_catalog_get_environment    (QiAppCatalog  *self,
                                                 const char    *name,
                                                 gboolean       variant);
guint         qi_app_catalog_get_n_apps         (QiAppCatalog  *self);

G_END_DECLS
