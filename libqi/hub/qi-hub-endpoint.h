/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-hub-request.h"
#include "qi-message-bus.h"
#include "qi-session.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_HUB_ENDPOINT (qi_hub_endpoint_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiHubEndpoint, qi_hub_endpoint, QI, HUB_ENDPOINT, QiSession)

QI_AVAILABLE_IN_ALL
QiHubEndpoint *qi_hub_endpoint_new             (QiMessageBus         *bus,
                                                const char           *name,
                                                const char           *parent_id,
                                                GError              **error);
QI_AVAILABLE_IN_ALL
void           qi_hub_endpoint_close           (QiHubEndpoint        *self);
QI_AVAILABLE_IN_ALL
void           qi_hub_endpoint_request_async   (QiHubEndpoint        *self,
                                                const char           *topic,
                                                JsonNode             *payload,
                                                guint                 timeout_ms,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode      *qi_hub_endpoint_request_finish  (QiHubEndpoint        *self,
                                                GAsyncResult         *result,
                                                GError              **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_hub_endpoint_add_handler     (QiHubEndpoint        *self,
                                                const char           *topic,
                                                QiHubHandlerFunc      handler,
                                                gpointer              user_data,
                                                GDestroyNotify        destroy,
                                                GError              **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_hub_endpoint_remove_handler  (QiHubEndpoint        *self,
                                                const char           *topic);
QI_AVAILABLE_IN_ALL
guint          qi_hub_endpoint_subscribe       (QiHubEndpoint        *self,
                                                const char           *pattern,
                                                QiHubEventFunc        callback,
                                                gpointer              user_data,
                                                GDestroyNotify        destroy,
                                                GError              **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_hub_endpoint_unsubscribe     (QiHubEndpoint        *self,
                                                guint                 subscription);
QI_AVAILABLE_IN_ALL
gboolean       qi_hub_endpoint_emit            (QiHubEndpoint        *self,
                                                const char           *topic,
                                                JsonNode             *payload,
                                                GError              **error);

G_END_DECLS
