/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>


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

G_DECLARE_FINAL_TYPE (QiFtrackSession, qi_ftrack_session, QI, FTRACK_SESSION, GObject)

GQuark           qi_ftrack_error_quark          (void);

QiFtrackSession *qi_ftrack_session_new          (const char           *server,
                                                 const char           *api_user,
                                                 const char           *api_key,
                                                 GError              **error);
QiFtrackSession *qi_ftrack_session_new_logged_out (void);
gboolean         qi_ftrack_session_check_credentials (const char      *server,
                                                      const char      *api_user,
                                                      const char      *api_key,
                                                      GError         **error);
gboolean         qi_ftrack_session_set_credentials (QiFtrackSession  *self,
                                                    const char       *server,
                                                    const char       *api_user,
                                                    const char       *api_key,
                                                    GError          **error);
char            *qi_ftrack_session_dup_server   (QiFtrackSession      *self);
char            *qi_ftrack_session_dup_api_user (QiFtrackSession      *self);
void             qi_ftrack_session_call_as_async (QiFtrackSession     *self,
                                                  const char          *server,
                                                  const char          *api_user,
                                                  const char          *api_key,
                                                  JsonNode            *operations,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
void             qi_ftrack_session_call_async   (QiFtrackSession      *self,
                                                 JsonNode             *operations,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonNode        *qi_ftrack_session_call_finish  (QiFtrackSession      *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
void             qi_ftrack_session_upload_async (QiFtrackSession      *self,
                                                 const char           *url,
                                                 JsonObject           *headers,
                                                 const char           *name,
                                                 GBytes               *data,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         qi_ftrack_session_upload_finish (QiFtrackSession     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void             qi_ftrack_session_query_async  (QiFtrackSession      *self,
                                                 const char           *expression,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
JsonNode        *qi_ftrack_session_query_finish (QiFtrackSession      *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

char            *qi_ftrack_quote                (const char           *value);
JsonNode        *qi_ftrack_decode               (JsonNode             *node);

G_END_DECLS
