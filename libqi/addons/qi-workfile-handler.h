/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-version.h"
#include "qi-workfile.h"

G_BEGIN_DECLS

#define QI_TYPE_WORKFILE_HANDLER (qi_workfile_handler_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiWorkfileHandler, qi_workfile_handler, QI, WORKFILE_HANDLER, GObject)

/**
 * QiWorkfileHandlerClass:
 * @parent_class: the parent class
 * @open: opens @path in the DCC. The default fails with
 *   %QI_WORKFILE_ERROR_NOT_SUPPORTED.
 * @save: saves the DCC's scene as @path. The default fails with
 *   %QI_WORKFILE_ERROR_NOT_SUPPORTED.
 * @version_up: saves the scene as the next version of @path and returns
 *   its path. The default saves as qi_workfile_next_version().
 * @revert: reopens the latest saved version of @path and returns its
 *   path. The default opens qi_workfile_find_latest().
 *
 * The operations on a DCC's project files. A handler implements @open and
 * @save; the generic @version_up and @revert come from libqi.
 */
struct _QiWorkfileHandlerClass
{
  GObjectClass parent_class;

  gboolean (*open)       (QiWorkfileHandler  *self,
                          const char         *path,
                          GError            **error);
  gboolean (*save)       (QiWorkfileHandler  *self,
                          const char         *path,
                          GError            **error);
  char *   (*version_up) (QiWorkfileHandler  *self,
                          const char         *path,
                          GError            **error);
  char *   (*revert)     (QiWorkfileHandler  *self,
                          const char         *path,
                          GError            **error);

  /*< private >*/
  gpointer padding[8];
};

QI_AVAILABLE_IN_ALL
gboolean            qi_workfile_extension_is_valid      (const char         *extension);

QI_AVAILABLE_IN_ALL
const char         *qi_workfile_handler_get_name        (QiWorkfileHandler  *self);
QI_AVAILABLE_IN_ALL
const char         *qi_workfile_handler_get_host        (QiWorkfileHandler  *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_workfile_handler_get_extensions  (QiWorkfileHandler  *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_workfile_handler_handles         (QiWorkfileHandler  *self,
                                                         const char         *path);
QI_AVAILABLE_IN_ALL
gboolean            qi_workfile_handler_open            (QiWorkfileHandler  *self,
                                                         const char         *path,
                                                         GError            **error);
QI_AVAILABLE_IN_ALL
gboolean            qi_workfile_handler_save            (QiWorkfileHandler  *self,
                                                         const char         *path,
                                                         GError            **error);
QI_AVAILABLE_IN_ALL
char               *qi_workfile_handler_version_up      (QiWorkfileHandler  *self,
                                                         const char         *path,
                                                         GError            **error);
QI_AVAILABLE_IN_ALL
char               *qi_workfile_handler_revert          (QiWorkfileHandler  *self,
                                                         const char         *path,
                                                         GError            **error);

G_END_DECLS
