/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_VERSION_ERROR:
 *
 * The error domain of versions (#QiSemver) and version ranges
 * (#QiVersionRange).
 */
#define QI_VERSION_ERROR (qi_version_error_quark ())

/**
 * QiVersionError:
 * @QI_VERSION_ERROR_INVALID_VERSION: a text is not a semantic version
 *   (see qi_semver_parse())
 * @QI_VERSION_ERROR_INVALID_RANGE: a text is not a version range (see
 *   qi_version_range_parse())
 *
 * Errors of reading versions and version ranges.
 */
typedef enum {
  QI_VERSION_ERROR_INVALID_VERSION,
  QI_VERSION_ERROR_INVALID_RANGE,
} QiVersionError;

/**
 * QI_SEMVER_MAX_LENGTH:
 *
 * The longest version qi_semver_parse() accepts, in bytes.
 */
#define QI_SEMVER_MAX_LENGTH 256

typedef struct _QiSemver QiSemver;

#define QI_TYPE_SEMVER (qi_semver_get_type ())

QI_AVAILABLE_IN_ALL
GQuark      qi_version_error_quark   (void);

QI_AVAILABLE_IN_ALL
GType       qi_semver_get_type       (void) G_GNUC_CONST;

QI_AVAILABLE_IN_ALL
QiSemver   *qi_semver_new            (guint64          major,
                                      guint64          minor,
                                      guint64          patch);
QI_AVAILABLE_IN_ALL
QiSemver   *qi_semver_parse          (const char      *text,
                                      GError         **error);
QI_AVAILABLE_IN_ALL
QiSemver   *qi_semver_copy           (const QiSemver  *self);
QI_AVAILABLE_IN_ALL
void        qi_semver_free           (QiSemver        *self);

QI_AVAILABLE_IN_ALL
guint64     qi_semver_get_major      (const QiSemver  *self);
QI_AVAILABLE_IN_ALL
guint64     qi_semver_get_minor      (const QiSemver  *self);
QI_AVAILABLE_IN_ALL
guint64     qi_semver_get_patch      (const QiSemver  *self);
QI_AVAILABLE_IN_ALL
const char *qi_semver_get_prerelease (const QiSemver  *self);
QI_AVAILABLE_IN_ALL
const char *qi_semver_get_build      (const QiSemver  *self);

QI_AVAILABLE_IN_ALL
int         qi_semver_compare        (const QiSemver  *a,
                                      const QiSemver  *b);
QI_AVAILABLE_IN_ALL
gboolean    qi_semver_equal          (const QiSemver  *a,
                                      const QiSemver  *b);
QI_AVAILABLE_IN_ALL
char       *qi_semver_to_string      (const QiSemver  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QiSemver, qi_semver_free)

G_END_DECLS
