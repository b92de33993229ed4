/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_HUB_ERROR:
 *
 * The error domain of the hub and of its messages (#QiMessage).
 */
#define QI_HUB_ERROR (qi_hub_error_quark ())

/**
 * QiHubError:
 * @QI_HUB_ERROR_BAD_MESSAGE: a message is not valid: not UTF-8, not JSON,
 *   not an object, or a field is missing or has the wrong type or value
 * @QI_HUB_ERROR_UNKNOWN_KIND: a message's `kind` is not one Qi knows
 * @QI_HUB_ERROR_NO_HANDLER: no session handles requests on the topic
 * @QI_HUB_ERROR_HANDLER_EXISTS: another session already handles the topic
 * @QI_HUB_ERROR_TIMEOUT: a request was not answered within its deadline
 * @QI_HUB_ERROR_UNAUTHORIZED: the token is missing, forged or expired
 * @QI_HUB_ERROR_FORBIDDEN: the token is valid but does not allow this
 * @QI_HUB_ERROR_TOO_LARGE: a message exceeds the maximum message size
 * @QI_HUB_ERROR_HANDLER_FAILED: the handler answered with an error; also
 *   any error code that this version of Qi does not know
 * @QI_HUB_ERROR_CANCELLED: the request was cancelled
 * @QI_HUB_ERROR_SESSION_CLOSED: the session that was to answer went away
 *
 * Errors of the hub. On the wire each code is a snake_case string, such as
 * `bad_message`; see qi_hub_error_code_to_string().
 */
typedef enum {
  QI_HUB_ERROR_BAD_MESSAGE,
  QI_HUB_ERROR_UNKNOWN_KIND,
  QI_HUB_ERROR_NO_HANDLER,
  QI_HUB_ERROR_HANDLER_EXISTS,
  QI_HUB_ERROR_TIMEOUT,
  QI_HUB_ERROR_UNAUTHORIZED,
  QI_HUB_ERROR_FORBIDDEN,
  QI_HUB_ERROR_TOO_LARGE,
  QI_HUB_ERROR_HANDLER_FAILED,
  QI_HUB_ERROR_CANCELLED,
  QI_HUB_ERROR_SESSION_CLOSED,
} QiHubError;

QI_AVAILABLE_IN_ALL
GQuark      qi_hub_error_quark            (void);
QI_AVAILABLE_IN_ALL
const char *qi_hub_error_code_to_string   (QiHubError  code);
QI_AVAILABLE_IN_ALL
gboolean    qi_hub_error_code_from_string (const char *string,
                                           QiHubError *code);

G_END_DECLS
