/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-rest-request.h"

G_BEGIN_DECLS

/* Takes @params and @query (name -> decoded value, both owned) and @body. */
G_GNUC_INTERNAL
QiRestRequest *qi_rest_request_new   (SoupServerMessage *msg,
                                      const char        *path,
                                      GHashTable        *params,
                                      GHashTable        *query,
                                      JsonNode          *body);

/* The handler returned without answering and kept the request: pauses
 * the message until the answer. */
G_GNUC_INTERNAL
void           qi_rest_request_pause (QiRestRequest     *self);

G_END_DECLS
