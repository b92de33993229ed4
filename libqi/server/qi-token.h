/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_TOKEN (qi_token_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiToken, qi_token, QI, TOKEN, GObject)

QI_AVAILABLE_IN_ALL
const char         *qi_token_get_session    (QiToken    *self);
QI_AVAILABLE_IN_ALL
const char         *qi_token_get_parent     (QiToken    *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_token_get_scopes     (QiToken    *self);
QI_AVAILABLE_IN_ALL
gboolean            qi_token_has_scope      (QiToken    *self,
                                             const char *scope);
QI_AVAILABLE_IN_ALL
gint64              qi_token_get_expires_at (QiToken    *self);

G_END_DECLS
