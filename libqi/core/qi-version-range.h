/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-semver.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_VERSION_RANGE_MAX_LENGTH:
 *
 * The longest version range qi_version_range_parse() accepts, in bytes.
 */
#define QI_VERSION_RANGE_MAX_LENGTH 1024

typedef struct _QiVersionRange QiVersionRange;

#define QI_TYPE_VERSION_RANGE (qi_version_range_get_type ())

QI_AVAILABLE_IN_ALL
GType           qi_version_range_get_type  (void) G_GNUC_CONST;

QI_AVAILABLE_IN_ALL
QiVersionRange *qi_version_range_parse     (const char            *text,
                                            GError               **error);
QI_AVAILABLE_IN_ALL
QiVersionRange *qi_version_range_copy      (const QiVersionRange  *self);
QI_AVAILABLE_IN_ALL
void            qi_version_range_free      (QiVersionRange        *self);

QI_AVAILABLE_IN_ALL
gboolean        qi_version_range_contains  (const QiVersionRange  *self,
                                            const QiSemver        *version);
QI_AVAILABLE_IN_ALL
const char     *qi_version_range_get_text  (const QiVersionRange  *self);
QI_AVAILABLE_IN_ALL
char           *qi_version_range_to_string (const QiVersionRange  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QiVersionRange, qi_version_range_free)

G_END_DECLS
