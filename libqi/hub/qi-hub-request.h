/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-hub-error.h"
#include "qi-message.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_HUB_REQUEST (qi_hub_request_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiHubRequest, qi_hub_request, QI, HUB_REQUEST, GObject)

/**
 * QiHubHandlerFunc:
 * @request: the request to answer
 * @user_data: the data given when the handler was added
 *
 * Handles one request. Answer it with qi_hub_request_reply() or
 * qi_hub_request_fail(), now or later: to answer later, keep a reference
 * to @request. A request dropped unanswered fails with `handler_failed`.
 */
typedef void (*QiHubHandlerFunc) (QiHubRequest *request,
                                  gpointer      user_data);

/**
 * QiHubEventFunc:
 * @event: the event
 * @user_data: the data given when subscribing
 *
 * Receives one event of a subscription.
 */
typedef void (*QiHubEventFunc) (QiMessage *event,
                                gpointer   user_data);

QI_AVAILABLE_IN_ALL
const char *qi_hub_request_get_topic      (QiHubRequest *self);
QI_AVAILABLE_IN_ALL
JsonNode   *qi_hub_request_get_payload    (QiHubRequest *self);
QI_AVAILABLE_IN_ALL
const char *qi_hub_request_get_session    (QiHubRequest *self);
QI_AVAILABLE_IN_ALL
QiMessage  *qi_hub_request_get_message    (QiHubRequest *self);
QI_AVAILABLE_IN_ALL
gboolean    qi_hub_request_get_answered   (QiHubRequest *self);
QI_AVAILABLE_IN_ALL
void        qi_hub_request_reply          (QiHubRequest *self,
                                           JsonNode     *payload);
QI_AVAILABLE_IN_ALL
gboolean    qi_hub_request_reply_text     (QiHubRequest *self,
                                           const char   *payload,
                                           gssize        length,
                                           GError      **error);
QI_AVAILABLE_IN_ALL
void        qi_hub_request_fail           (QiHubRequest *self,
                                           QiHubError    code,
                                           const char   *message);
QI_AVAILABLE_IN_ALL
void        qi_hub_request_fail_error     (QiHubRequest *self,
                                           const GError *error);

G_END_DECLS
