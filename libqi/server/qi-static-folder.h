/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <libsoup/soup.h>

#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_STATIC_FOLDER (qi_static_folder_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiStaticFolder, qi_static_folder, QI, STATIC_FOLDER, GObject)

QI_AVAILABLE_IN_ALL
QiStaticFolder *qi_static_folder_new      (const char         *root,
                                           GError            **error);
QI_AVAILABLE_IN_ALL
const char     *qi_static_folder_get_root (QiStaticFolder     *self);
QI_AVAILABLE_IN_ALL
void            qi_static_folder_serve    (QiStaticFolder     *self,
                                           SoupServerMessage  *msg,
                                           const char         *relative_path);

G_END_DECLS
