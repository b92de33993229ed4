/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_WORKFILE_ERROR:
 *
 * The error domain of workfiles (project files) and their handlers.
 */
#define QI_WORKFILE_ERROR (qi_workfile_error_quark ())

/**
 * QiWorkfileError:
 * @QI_WORKFILE_ERROR_NO_VERSION: the file's name has no version token
 *   (such as `_v003`)
 * @QI_WORKFILE_ERROR_NOT_FOUND: no saved version of the file exists
 * @QI_WORKFILE_ERROR_NO_HANDLER: no workfile handler takes files of that
 *   extension (for that host)
 * @QI_WORKFILE_ERROR_NOT_SUPPORTED: the handler cannot do that operation
 * @QI_WORKFILE_ERROR_INVALID: a bad path, extension or handler name
 * @QI_WORKFILE_ERROR_FAILED: the handler's own code failed
 *
 * Why a workfile operation failed.
 */
typedef enum {
  QI_WORKFILE_ERROR_NO_VERSION,
  QI_WORKFILE_ERROR_NOT_FOUND,
  QI_WORKFILE_ERROR_NO_HANDLER,
  QI_WORKFILE_ERROR_NOT_SUPPORTED,
  QI_WORKFILE_ERROR_INVALID,
  QI_WORKFILE_ERROR_FAILED,
} QiWorkfileError;

QI_AVAILABLE_IN_ALL
GQuark    qi_workfile_error_quark      (void);

QI_AVAILABLE_IN_ALL
gboolean  qi_workfile_parse_version    (const char  *path,
                                        guint64     *version,
                                        guint       *digits,
                                        GError     **error);
QI_AVAILABLE_IN_ALL
char     *qi_workfile_with_version     (const char  *path,
                                        guint64      version,
                                        GError     **error);
QI_AVAILABLE_IN_ALL
char     *qi_workfile_next_version     (const char  *path,
                                        GError     **error);
QI_AVAILABLE_IN_ALL
char     *qi_workfile_find_latest      (const char  *path,
                                        GError     **error);

G_END_DECLS
