/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-hub-endpoint.h"
#include "qi-message-bus.h"
#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_HUB_CORE_SESSION:
 *
 * The name of the hub's own in-process session, which the `qi_hub_*`
 * calls use.
 */
#define QI_HUB_CORE_SESSION "__hub__/core"

#define QI_TYPE_HUB (qi_hub_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiHub, qi_hub, QI, HUB, QiService)

QI_AVAILABLE_IN_ALL
QiHub         *qi_hub_new              (void);
QI_AVAILABLE_IN_ALL
QiMessageBus  *qi_hub_get_bus          (QiHub                *self);
QI_AVAILABLE_IN_ALL
QiHubEndpoint *qi_hub_get_endpoint     (QiHub                *self);
QI_AVAILABLE_IN_ALL
QiHubEndpoint *qi_hub_open_endpoint    (QiHub                *self,
                                        const char           *name,
                                        const char           *parent_id,
                                        GError              **error);
QI_AVAILABLE_IN_ALL
void           qi_hub_request_async    (QiHub                *self,
                                        const char           *topic,
                                        JsonNode             *payload,
                                        guint                 timeout_ms,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode      *qi_hub_request_finish   (QiHub                *self,
                                        GAsyncResult         *result,
                                        GError              **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_hub_add_handler      (QiHub                *self,
                                        const char           *topic,
                                        QiHubHandlerFunc      handler,
                                        gpointer              user_data,
                                        GDestroyNotify        destroy,
                                        GError              **error);
QI_AVAILABLE_IN_ALL
guint          qi_hub_subscribe        (QiHub                *self,
                                        const char           *pattern,
                                        QiHubEventFunc        callback,
                                        gpointer              user_data,
                                        GDestroyNotify        destroy,
                                        GError              **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_hub_emit             (QiHub                *self,
                                        const char           *topic,
                                        JsonNode             *payload,
                                        GError              **error);

G_END_DECLS
