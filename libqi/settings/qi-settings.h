/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-hub.h"
#include "qi-rest-router.h"
#include "qi-service.h"
#include "qi-settings-schema.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiSettingsLayer:
 * @QI_SETTINGS_LAYER_DEFAULT: the schema's defaults
 * @QI_SETTINGS_LAYER_BUNDLE: the overrides of the run's bundle
 * @QI_SETTINGS_LAYER_PROJECT: the overrides of a project
 *
 * Where a value comes from. Each layer overrides the ones before it.
 */
typedef enum {
  QI_SETTINGS_LAYER_DEFAULT,
  QI_SETTINGS_LAYER_BUNDLE,
  QI_SETTINGS_LAYER_PROJECT,
} QiSettingsLayer;

/**
 * QI_SETTINGS_DEFAULT_BUNDLE:
 *
 * The name of the bundle layer of a run that has no bundle.
 */
#define QI_SETTINGS_DEFAULT_BUNDLE "default"

#define QI_TYPE_SETTINGS (qi_settings_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiSettings, qi_settings, QI, SETTINGS, QiService)

QI_AVAILABLE_IN_ALL
const char       *qi_settings_layer_to_string  (QiSettingsLayer    layer);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_layer_from_string (const char        *text,
                                                 QiSettingsLayer   *layer);

QI_AVAILABLE_IN_ALL
QiSettings       *qi_settings_new              (const char        *directory);
QI_AVAILABLE_IN_ALL
const char       *qi_settings_get_directory    (QiSettings        *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_set_bundle       (QiSettings        *self,
                                                const char        *bundle,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
const char       *qi_settings_get_bundle       (QiSettings        *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_set_project      (QiSettings        *self,
                                                const char        *project,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
const char       *qi_settings_get_project      (QiSettings        *self);
QI_AVAILABLE_IN_ALL
void              qi_settings_set_watch        (QiSettings        *self,
                                                gboolean           watch);

QI_AVAILABLE_IN_ALL
gboolean          qi_settings_add_schema       (QiSettings        *self,
                                                const char        *addon,
                                                QiSettingsSchema  *schema,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
void              qi_settings_remove_schema    (QiSettings        *self,
                                                const char        *addon);
QI_AVAILABLE_IN_ALL
QiSettingsSchema *qi_settings_get_schema       (QiSettings        *self,
                                                const char        *addon);
QI_AVAILABLE_IN_ALL
char            **qi_settings_dup_addons       (QiSettings        *self);

QI_AVAILABLE_IN_ALL
JsonNode         *qi_settings_resolve          (QiSettings        *self,
                                                const char        *addon,
                                                const char        *project,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_settings_get_value        (QiSettings        *self,
                                                const char        *addon,
                                                const char        *key,
                                                const char        *project,
                                                QiSettingsLayer   *origin,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_patch            (QiSettings        *self,
                                                const char        *addon,
                                                QiSettingsLayer    layer,
                                                const char        *project,
                                                JsonNode          *patch,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_set_value        (QiSettings        *self,
                                                const char        *addon,
                                                const char        *key,
                                                JsonNode          *value,
                                                QiSettingsLayer    layer,
                                                const char        *project,
                                                GError           **error);

QI_AVAILABLE_IN_ALL
gboolean          qi_settings_attach_hub       (QiSettings        *self,
                                                QiHub             *hub,
                                                GError           **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_settings_add_routes       (QiSettings        *self,
                                                QiRestRouter      *router,
                                                GError           **error);

G_END_DECLS
