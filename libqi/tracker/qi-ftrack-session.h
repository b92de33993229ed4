/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_FTRACK_ERROR:
 *
 * The error domain of #QiFtrackSession.
 */
#define QI_FTRACK_ERROR (qi_ftrack_error_quark ())

/**
 * QiFtrackError:
 * @QI_FTRACK_ERROR_AUTH: the server refused the API user or key (401, 403)
 * @QI_FTRACK_ERROR_SERVER: the server kept failing (5xx, timeouts) after
 *   the retries
 * @QI_FTRACK_ERROR_QUERY: the server refused an operation: a query it
 *   cannot parse, an unknown entity type or attribute
 * @QI_FTRACK_ERROR_PROTOCOL: the answer is not what the ftrack API sends
 * @QI_FTRACK_ERROR_INVALID: a bad argument: a server URL that is not
 *   http(s), an empty user
 *
 * Errors talking to an ftrack server. Messages name the server and, for a
 * refused operation, the operation and what the server said.
 */
typedef enum {
  QI_FTRACK_ERROR_AUTH,
  QI_FTRACK_ERROR_SERVER,
  QI_FTRACK_ERROR_QUERY,
  QI_FTRACK_ERROR_PROTOCOL,
  QI_FTRACK_ERROR_INVALID,
} QiFtrackError;

#define QI_TYPE_FTRACK_SESSION (qi_ftrack_session_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiFtrackSession, qi_ftrack_session, QI, FTRACK_SESSION, GObject)

QI_AVAILABLE_IN_ALL
GQuark           qi_ftrack_error_quark          (void);

QI_AVAILABLE_IN_ALL
QiFtrackSession *qi_ftrack_session_new          (const char           *server,
                                                 const char           *api_user,
                                                 const char           *api_key,
                                                 GError              **error);
QI_AVAILABLE_IN_ALL
const char      *qi_ftrack_session_get_server   (QiFtrackSession      *self);
QI_AVAILABLE_IN_ALL
void             qi_ftrack_session_call_async   (QiFtrackSession      *self,
                                                 JsonNode             *operations,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode        *qi_ftrack_session_call_finish  (QiFtrackSession      *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
QI_AVAILABLE_IN_ALL
void             qi_ftrack_session_query_async  (QiFtrackSession      *self,
                                                 const char           *expression,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode        *qi_ftrack_session_query_finish (QiFtrackSession      *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

QI_AVAILABLE_IN_ALL
char            *qi_ftrack_quote                (const char           *value);
QI_AVAILABLE_IN_ALL
JsonNode        *qi_ftrack_decode               (JsonNode             *node);

G_END_DECLS
