/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_HANDLER_REGISTRY (qi_handler_registry_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiHandlerRegistry, qi_handler_registry, QI, HANDLER_REGISTRY, GObject)

QI_AVAILABLE_IN_ALL
QiHandlerRegistry *qi_handler_registry_new                (void);
QI_AVAILABLE_IN_ALL
gboolean           qi_handler_registry_check_topic        (const char         *topic,
                                                           GError            **error);
QI_AVAILABLE_IN_ALL
gboolean           qi_handler_registry_check_pattern      (const char         *pattern,
                                                           GError            **error);
QI_AVAILABLE_IN_ALL
gboolean           qi_handler_registry_pattern_matches    (const char         *pattern,
                                                           const char         *topic);
QI_AVAILABLE_IN_ALL
gboolean           qi_handler_registry_add_handler        (QiHandlerRegistry  *self,
                                                           const char         *topic,
                                                           const char         *session,
                                                           gpointer            data,
                                                           GDestroyNotify      destroy,
                                                           GError            **error);
QI_AVAILABLE_IN_ALL
gboolean           qi_handler_registry_remove_handler     (QiHandlerRegistry  *self,
                                                           const char         *topic,
                                                           const char         *session);
QI_AVAILABLE_IN_ALL
gpointer           qi_handler_registry_lookup_handler     (QiHandlerRegistry  *self,
                                                           const char         *topic,
                                                           const char        **session);
QI_AVAILABLE_IN_ALL
guint              qi_handler_registry_subscribe          (QiHandlerRegistry  *self,
                                                           const char         *pattern,
                                                           const char         *session,
                                                           gpointer            data,
                                                           GDestroyNotify      destroy,
                                                           GError            **error);
QI_AVAILABLE_IN_ALL
gboolean           qi_handler_registry_unsubscribe        (QiHandlerRegistry  *self,
                                                           guint               subscription,
                                                           const char         *session);
QI_AVAILABLE_IN_ALL
guint              qi_handler_registry_unsubscribe_pattern (QiHandlerRegistry *self,
                                                           const char         *pattern,
                                                           const char         *session);
QI_AVAILABLE_IN_ALL
GPtrArray         *qi_handler_registry_match              (QiHandlerRegistry  *self,
                                                           const char         *topic);
QI_AVAILABLE_IN_ALL
void               qi_handler_registry_remove_session     (QiHandlerRegistry  *self,
                                                           const char         *session);
QI_AVAILABLE_IN_ALL
guint              qi_handler_registry_get_n_handlers     (QiHandlerRegistry  *self);
QI_AVAILABLE_IN_ALL
guint              qi_handler_registry_get_n_subscriptions (QiHandlerRegistry *self);

G_END_DECLS
