/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-hub-request.h"

G_BEGIN_DECLS

/* Sends @answer, a reply or an error to the request, the way the request
 * came: through the bus or over a connection. */
typedef void (*QiHubAnswerFunc) (QiMessage *answer,
                                 gpointer   user_data);

G_GNUC_INTERNAL
QiHubRequest *qi_hub_request_new (QiMessage       *request,
                                  QiHubAnswerFunc  answer_func,
                                  gpointer         user_data,
                                  GDestroyNotify   destroy);

G_END_DECLS
