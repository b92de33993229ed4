/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-hub-request.h"
#include "qi-message.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_HUB_CLIENT (qi_hub_client_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiHubClient, qi_hub_client, QI, HUB_CLIENT, GObject)

QI_AVAILABLE_IN_ALL
QiHubClient *qi_hub_client_new             (void);
QI_AVAILABLE_IN_ALL
void         qi_hub_client_connect_async   (QiHubClient          *self,
                                            const char           *url,
                                            const char           *token,
                                            const char           *name,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
QI_AVAILABLE_IN_ALL
gboolean     qi_hub_client_connect_finish  (QiHubClient          *self,
                                            GAsyncResult         *result,
                                            GError              **error);
QI_AVAILABLE_IN_ALL
const char  *qi_hub_client_get_session_id  (QiHubClient          *self);
QI_AVAILABLE_IN_ALL
gboolean     qi_hub_client_is_connected    (QiHubClient          *self);
QI_AVAILABLE_IN_ALL
void         qi_hub_client_request_async   (QiHubClient          *self,
                                            const char           *topic,
                                            JsonNode             *payload,
                                            guint                 timeout_ms,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode    *qi_hub_client_request_finish  (QiHubClient          *self,
                                            GAsyncResult         *result,
                                            GError              **error);
QI_AVAILABLE_IN_ALL
gboolean     qi_hub_client_emit            (QiHubClient          *self,
                                            const char           *topic,
                                            JsonNode             *payload,
                                            GError              **error);
QI_AVAILABLE_IN_ALL
guint        qi_hub_client_subscribe       (QiHubClient          *self,
                                            const char           *pattern,
                                            QiHubEventFunc        callback,
                                            gpointer              user_data,
                                            GDestroyNotify        destroy,
                                            GError              **error);
QI_AVAILABLE_IN_ALL
gboolean     qi_hub_client_send_text       (QiHubClient          *self,
                                            const char           *text,
                                            gsize                 length,
                                            GError              **error);
QI_AVAILABLE_IN_ALL
void         qi_hub_client_close           (QiHubClient          *self);

G_END_DECLS
