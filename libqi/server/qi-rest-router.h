/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <libsoup/soup.h>

#include "qi-rest-request.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_REST_ERROR:
 *
 * The error domain of #QiRestRouter's routes.
 */
#define QI_REST_ERROR (qi_rest_error_quark ())

/**
 * QiRestError:
 * @QI_REST_ERROR_BAD_METHOD: the method is not one a route can have:
 *   `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (`HEAD` is served by `GET`)
 * @QI_REST_ERROR_BAD_PATTERN: the pattern is malformed: it does not start
 *   with `/`, has an empty segment, a parameter whose name is not an
 *   identifier or that appears twice, a `{name...}` that is not the last
 *   segment, a `{` or `}` inside a literal segment, a `.` or `..`
 *   segment, a `?`, a `#` or a control character
 * @QI_REST_ERROR_ROUTE_EXISTS: a route of the same method and the same
 *   shape (the same pattern, up to the names of its parameters) exists
 *
 * Errors of qi_rest_router_add_route().
 */
typedef enum {
  QI_REST_ERROR_BAD_METHOD,
  QI_REST_ERROR_BAD_PATTERN,
  QI_REST_ERROR_ROUTE_EXISTS,
} QiRestError;

/**
 * QI_REST_ROUTER_DEFAULT_MAX_BODY_SIZE:
 *
 * The default of #QiRestRouter:max-body-size: 16 MiB.
 */
#define QI_REST_ROUTER_DEFAULT_MAX_BODY_SIZE (G_GUINT64_CONSTANT (16) * 1024 * 1024)

#define QI_TYPE_REST_ROUTER (qi_rest_router_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiRestRouter, qi_rest_router, QI, REST_ROUTER, GObject)

/**
 * QiRestHandlerFunc:
 * @request: the request to answer
 * @user_data: the data given when the route was added
 *
 * Handles one request of a route. Answer it with
 * qi_rest_request_reply_json() or qi_rest_request_reply_error(), now or
 * later: to answer later, keep a reference to @request. A request dropped
 * unanswered answers 500 `handler_failed`.
 */
typedef void (*QiRestHandlerFunc) (QiRestRequest *request,
                                   gpointer       user_data);

QI_AVAILABLE_IN_ALL
GQuark        qi_rest_error_quark                (void);

QI_AVAILABLE_IN_ALL
QiRestRouter *qi_rest_router_new                 (void);
QI_AVAILABLE_IN_ALL
gboolean      qi_rest_router_add_route           (QiRestRouter      *self,
                                                  const char        *method,
                                                  const char        *pattern,
                                                  QiRestHandlerFunc  handler,
                                                  gpointer           user_data,
                                                  GDestroyNotify     destroy,
                                                  GError           **error);
QI_AVAILABLE_IN_ALL
gboolean      qi_rest_router_remove_route        (QiRestRouter      *self,
                                                  const char        *method,
                                                  const char        *pattern);
QI_AVAILABLE_IN_ALL
gboolean      qi_rest_router_dispatch            (QiRestRouter      *self,
                                                  SoupServerMessage *msg,
                                                  const char        *path);
QI_AVAILABLE_IN_ALL
void          qi_rest_router_limit_body          (QiRestRouter      *self,
                                                  SoupServerMessage *msg);
QI_AVAILABLE_IN_ALL
guint64       qi_rest_router_get_max_body_size   (QiRestRouter      *self);
QI_AVAILABLE_IN_ALL
void          qi_rest_router_set_max_body_size   (QiRestRouter      *self,
                                                  guint64            max_body_size);

G_END_DECLS
