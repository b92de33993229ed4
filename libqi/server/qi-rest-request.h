/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_REST_REQUEST (qi_rest_request_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiRestRequest, qi_rest_request, QI, REST_REQUEST, GObject)

QI_AVAILABLE_IN_ALL
const char        *qi_rest_request_get_method   (QiRestRequest *self);
QI_AVAILABLE_IN_ALL
const char        *qi_rest_request_get_path     (QiRestRequest *self);
QI_AVAILABLE_IN_ALL
const char        *qi_rest_request_get_param    (QiRestRequest *self,
                                                 const char    *name);
QI_AVAILABLE_IN_ALL
const char        *qi_rest_request_get_query    (QiRestRequest *self,
                                                 const char    *name);
QI_AVAILABLE_IN_ALL
JsonNode          *qi_rest_request_get_body     (QiRestRequest *self);
QI_AVAILABLE_IN_ALL
const char        *qi_rest_request_get_header   (QiRestRequest *self,
                                                 const char    *name);
QI_AVAILABLE_IN_ALL
SoupServerMessage *qi_rest_request_get_message  (QiRestRequest *self);
QI_AVAILABLE_IN_ALL
gboolean           qi_rest_request_get_answered (QiRestRequest *self);
QI_AVAILABLE_IN_ALL
void               qi_rest_request_reply_json   (QiRestRequest *self,
                                                 guint          status,
                                                 JsonNode      *body);
QI_AVAILABLE_IN_ALL
void               qi_rest_request_reply_bytes  (QiRestRequest *self,
                                                 guint          status,
                                                 const char    *content_type,
                                                 GBytes        *body);
QI_AVAILABLE_IN_ALL
void               qi_rest_request_reply_error  (QiRestRequest *self,
                                                 guint          status,
                                                 const char    *code,
                                                 const char    *message);

G_END_DECLS
