/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-path-template.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiPlatform:
 * @QI_PLATFORM_LINUX: Linux (`linux`)
 * @QI_PLATFORM_WINDOWS: Windows (`windows`)
 * @QI_PLATFORM_DARWIN: macOS (`darwin`)
 *
 * The operating systems a studio's roots are defined for; see
 * qi_template_set_set_roots().
 */
typedef enum {
  QI_PLATFORM_LINUX,
  QI_PLATFORM_WINDOWS,
  QI_PLATFORM_DARWIN,
} QiPlatform;

/**
 * QiTemplateParseFlags:
 * @QI_TEMPLATE_PARSE_NONE: a path must lie under a root of the set's
 *   platform
 * @QI_TEMPLATE_PARSE_ANY_PLATFORM: a path may lie under the roots of any
 *   platform, the set's tried first (all roots of one path must be of the
 *   same platform)
 *
 * How qi_template_set_parse_full() reads a path.
 */
typedef enum /*< flags >*/ {
  QI_TEMPLATE_PARSE_NONE         = 0,
  QI_TEMPLATE_PARSE_ANY_PLATFORM = 1 << 0,
} QiTemplateParseFlags;

#define QI_TYPE_TEMPLATE_SET (qi_template_set_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiTemplateSet, qi_template_set, QI, TEMPLATE_SET, GObject)

QI_AVAILABLE_IN_ALL
QiPlatform      qi_platform_get_current         (void);
QI_AVAILABLE_IN_ALL
const char     *qi_platform_to_string           (QiPlatform             platform);
QI_AVAILABLE_IN_ALL
gboolean        qi_platform_from_string         (const char            *string,
                                                 QiPlatform            *platform);

QI_AVAILABLE_IN_ALL
QiTemplateSet  *qi_template_set_new             (void);

QI_AVAILABLE_IN_ALL
QiPlatform      qi_template_set_get_platform    (QiTemplateSet         *self);
QI_AVAILABLE_IN_ALL
void            qi_template_set_set_platform    (QiTemplateSet         *self,
                                                 QiPlatform             platform);

QI_AVAILABLE_IN_ALL
gboolean        qi_template_set_add             (QiTemplateSet         *self,
                                                 const char            *name,
                                                 const char            *text,
                                                 const char            *origin,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
gboolean        qi_template_set_add_from_json   (QiTemplateSet         *self,
                                                 JsonObject            *templates,
                                                 const char            *origin,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
gboolean        qi_template_set_check           (QiTemplateSet         *self,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
QiPathTemplate *qi_template_set_lookup          (QiTemplateSet         *self,
                                                 const char            *name);
QI_AVAILABLE_IN_ALL
GStrv           qi_template_set_list_names      (QiTemplateSet         *self);
QI_AVAILABLE_IN_ALL
GStrv           qi_template_set_get_keys        (QiTemplateSet         *self,
                                                 const char            *name,
                                                 GError               **error);

QI_AVAILABLE_IN_ALL
gboolean        qi_template_set_set_roots       (QiTemplateSet         *self,
                                                 JsonObject            *roots,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
const char     *qi_template_set_get_root        (QiTemplateSet         *self,
                                                 const char            *name,
                                                 QiPlatform             platform);

QI_AVAILABLE_IN_ALL
char           *qi_template_set_solve           (QiTemplateSet         *self,
                                                 const char            *name,
                                                 JsonObject            *fields,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
GPtrArray      *qi_template_set_solve_each      (QiTemplateSet         *self,
                                                 const char            *name,
                                                 JsonObject            *fields,
                                                 JsonArray             *each,
                                                 guint                 *failed,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
JsonObject     *qi_template_set_parse           (QiTemplateSet         *self,
                                                 const char            *name,
                                                 const char            *path,
                                                 GError               **error);
QI_AVAILABLE_IN_ALL
JsonObject     *qi_template_set_parse_full      (QiTemplateSet         *self,
                                                 const char            *name,
                                                 const char            *path,
                                                 QiTemplateParseFlags   flags,
                                                 GError               **error);

G_END_DECLS
