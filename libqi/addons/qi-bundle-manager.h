/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-bundle.h"
#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_BUNDLE_ERROR:
 *
 * The error domain of #QiBundleManager.
 */
#define QI_BUNDLE_ERROR (qi_bundle_error_quark ())

/**
 * QiBundleError:
 * @QI_BUNDLE_ERROR_NOT_FOUND: no bundle of that name, or no bundle holds
 *   the role asked for (no production or staging bundle)
 * @QI_BUNDLE_ERROR_EXISTS: a bundle of that name exists already
 * @QI_BUNDLE_ERROR_INVALID: a name, version, path, variable or state that
 *   is not allowed, or a `bundles.json` whose content is wrong (the message
 *   names the file and the JSON path of the bad field)
 * @QI_BUNDLE_ERROR_PARSE: `bundles.json` is not valid JSON (the message
 *   names the file, line and column)
 * @QI_BUNDLE_ERROR_INVARIANT: the change would break a rule of the
 *   states: a dev bundle as production or staging, or an archived
 *   production or staging bundle
 * @QI_BUNDLE_ERROR_ARCHIVED: the bundle is archived, so read-only; only
 *   un-archiving it (set it active, or dev) is allowed
 * @QI_BUNDLE_ERROR_IO: `bundles.json` could not be read or written; a
 *   failed write leaves the file as it was
 *
 * Errors of #QiBundleManager. A failed change changes nothing, in memory
 * or on disk.
 */
typedef enum {
  QI_BUNDLE_ERROR_NOT_FOUND,
  QI_BUNDLE_ERROR_EXISTS,
  QI_BUNDLE_ERROR_INVALID,
  QI_BUNDLE_ERROR_PARSE,
  QI_BUNDLE_ERROR_INVARIANT,
  QI_BUNDLE_ERROR_ARCHIVED,
  QI_BUNDLE_ERROR_IO,
} QiBundleError;

/**
 * QI_BUNDLE_MANAGER_FILE_NAME:
 *
 * The name of the file that holds the bundles, in the user's
 * configuration directory (qi_launch_config_get_config_dir()).
 */
#define QI_BUNDLE_MANAGER_FILE_NAME "bundles.json"

/**
 * QI_BUNDLE_MANAGER_FORMAT:
 *
 * The version of the `bundles.json` format this Qi reads and writes.
 */
#define QI_BUNDLE_MANAGER_FORMAT 1

#define QI_TYPE_BUNDLE_MANAGER (qi_bundle_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiBundleManager, qi_bundle_manager, QI, BUNDLE_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
GQuark            qi_bundle_error_quark            (void);

QI_AVAILABLE_IN_ALL
QiBundleManager  *qi_bundle_manager_new            (const char       *path);
QI_AVAILABLE_IN_ALL
const char       *qi_bundle_manager_get_path       (QiBundleManager  *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_bundle_manager_load           (QiBundleManager  *self,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_bundle_manager_save           (QiBundleManager  *self,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
GPtrArray        *qi_bundle_manager_list           (QiBundleManager  *self);
QI_AVAILABLE_IN_ALL
QiBundle         *qi_bundle_manager_lookup         (QiBundleManager  *self,
                                                    const char       *name,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
const char       *qi_bundle_manager_get_production (QiBundleManager  *self);
QI_AVAILABLE_IN_ALL
const char       *qi_bundle_manager_get_staging    (QiBundleManager  *self);
QI_AVAILABLE_IN_ALL
gboolean          qi_bundle_manager_create         (QiBundleManager  *self,
                                                    QiBundle         *bundle,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_bundle_manager_update         (QiBundleManager  *self,
                                                    QiBundle         *bundle,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_bundle_manager_set_state      (QiBundleManager  *self,
                                                    const char       *name,
                                                    QiBundleState     state,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
gboolean          qi_bundle_manager_archive        (QiBundleManager  *self,
                                                    const char       *name,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
JsonNode         *qi_bundle_manager_diff           (QiBundleManager  *self,
                                                    const char       *from,
                                                    const char       *to,
                                                    GError          **error);
QI_AVAILABLE_IN_ALL
QiBundle         *qi_bundle_manager_select         (QiBundleManager  *self,
                                                    const char       *bundle,
                                                    const char       *project_bundle,
                                                    gboolean          staging,
                                                    const char       *dev,
                                                    GError          **error);

G_END_DECLS
