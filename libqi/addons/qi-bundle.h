/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiBundleState:
 * @QI_BUNDLE_STATE_ACTIVE: no flag: usable when asked for by name (or as a
 *   project's bundle), but neither the production nor the staging bundle
 * @QI_BUNDLE_STATE_PRODUCTION: the default bundle; at most one bundle has
 *   this flag
 * @QI_BUNDLE_STATE_STAGING: the bundle of `--staging`, for testing; at most
 *   one bundle has this flag, which may be the production bundle too
 * @QI_BUNDLE_STATE_DEV: one user's development bundle: it has an owner and
 *   may map an addon to a local folder instead of a version; never
 *   production or staging
 * @QI_BUNDLE_STATE_ARCHIVED: retired and read-only; never production or
 *   staging. An archived dev bundle keeps its %QI_BUNDLE_STATE_DEV flag
 *
 * The state of a bundle, as flags: production and staging are roles that
 * one bundle may hold together. The valid combinations are
 * %QI_BUNDLE_STATE_ACTIVE, %QI_BUNDLE_STATE_PRODUCTION,
 * %QI_BUNDLE_STATE_STAGING, both of them, %QI_BUNDLE_STATE_DEV,
 * %QI_BUNDLE_STATE_ARCHIVED and %QI_BUNDLE_STATE_DEV with
 * %QI_BUNDLE_STATE_ARCHIVED. See #QiBundleManager for the transitions.
 */
typedef enum /*< flags >*/ {
  QI_BUNDLE_STATE_ACTIVE     = 0,
  QI_BUNDLE_STATE_PRODUCTION = 1 << 0,
  QI_BUNDLE_STATE_STAGING    = 1 << 1,
  QI_BUNDLE_STATE_DEV        = 1 << 2,
  QI_BUNDLE_STATE_ARCHIVED   = 1 << 3,
} QiBundleState;

#define QI_TYPE_BUNDLE (qi_bundle_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiBundle, qi_bundle, QI, BUNDLE, GObject)

QI_AVAILABLE_IN_ALL
gboolean            qi_bundle_name_is_valid        (const char         *name);
QI_AVAILABLE_IN_ALL
gboolean            qi_bundle_version_is_valid     (const char         *version);
QI_AVAILABLE_IN_ALL
char               *qi_bundle_state_to_string      (QiBundleState       state);

QI_AVAILABLE_IN_ALL
QiBundle           *qi_bundle_new                  (const char         *name);
QI_AVAILABLE_IN_ALL
QiBundle           *qi_bundle_copy                 (QiBundle           *self);
QI_AVAILABLE_IN_ALL
const char         *qi_bundle_get_name             (QiBundle           *self);
QI_AVAILABLE_IN_ALL
QiBundleState       qi_bundle_get_state            (QiBundle           *self);
QI_AVAILABLE_IN_ALL
void                qi_bundle_set_state            (QiBundle           *self,
                                                    QiBundleState       state);
QI_AVAILABLE_IN_ALL
const char         *qi_bundle_get_owner            (QiBundle           *self);
QI_AVAILABLE_IN_ALL
void                qi_bundle_set_owner            (QiBundle           *self,
                                                    const char         *owner);
QI_AVAILABLE_IN_ALL
GDateTime          *qi_bundle_get_created          (QiBundle           *self);
QI_AVAILABLE_IN_ALL
GDateTime          *qi_bundle_get_modified         (QiBundle           *self);
QI_AVAILABLE_IN_ALL
void                qi_bundle_set_addon            (QiBundle           *self,
                                                    const char         *addon,
                                                    const char         *version);
QI_AVAILABLE_IN_ALL
const char         *qi_bundle_get_addon            (QiBundle           *self,
                                                    const char         *addon);
QI_AVAILABLE_IN_ALL
char              **qi_bundle_dup_addon_names      (QiBundle           *self);
QI_AVAILABLE_IN_ALL
void                qi_bundle_set_variable         (QiBundle           *self,
                                                    const char         *variable,
                                                    const char         *value);
QI_AVAILABLE_IN_ALL
const char         *qi_bundle_get_variable         (QiBundle           *self,
                                                    const char         *variable);
QI_AVAILABLE_IN_ALL
char              **qi_bundle_dup_variable_names   (QiBundle           *self);
QI_AVAILABLE_IN_ALL
void                qi_bundle_set_packages         (QiBundle           *self,
                                                    const char * const *packages);
QI_AVAILABLE_IN_ALL
const char * const *qi_bundle_get_packages         (QiBundle           *self);
QI_AVAILABLE_IN_ALL
JsonNode           *qi_bundle_to_json              (QiBundle           *self);

G_END_DECLS
