/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-token.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_TOKEN_ERROR:
 *
 * The error domain of #QiTokenAuthority.
 */
#define QI_TOKEN_ERROR (qi_token_error_quark ())

/**
 * QiTokenError:
 * @QI_TOKEN_ERROR_MALFORMED: the token is not a JWT, or a claim is missing
 *   or of the wrong type
 * @QI_TOKEN_ERROR_BAD_SIGNATURE: the token was not signed with this run's
 *   key, or not with HS256
 * @QI_TOKEN_ERROR_EXPIRED: the token's expiry has passed
 * @QI_TOKEN_ERROR_FAILED: the token could not be made
 *
 * Why a token was refused.
 */
typedef enum {
  QI_TOKEN_ERROR_MALFORMED,
  QI_TOKEN_ERROR_BAD_SIGNATURE,
  QI_TOKEN_ERROR_EXPIRED,
  QI_TOKEN_ERROR_FAILED,
} QiTokenError;

/**
 * QI_TOKEN_SCOPE_HUB:
 *
 * The scope that lets a token open a WebSocket session on the hub (`/ws`).
 */
#define QI_TOKEN_SCOPE_HUB "hub"

/**
 * QI_TOKEN_SCOPE_API:
 *
 * The scope that lets a token call the REST routes (`/api/…`).
 */
#define QI_TOKEN_SCOPE_API "api"

/**
 * QI_TOKEN_SCOPE_UI:
 *
 * The scope that lets a token read the static UI folders (`/ui/…`).
 */
#define QI_TOKEN_SCOPE_UI "ui"

#define QI_TYPE_TOKEN_AUTHORITY (qi_token_authority_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiTokenAuthority, qi_token_authority, QI, TOKEN_AUTHORITY, GObject)

QI_AVAILABLE_IN_ALL
GQuark            qi_token_error_quark          (void);

QI_AVAILABLE_IN_ALL
QiTokenAuthority *qi_token_authority_new        (GError            **error);
QI_AVAILABLE_IN_ALL
QiTokenAuthority *qi_token_authority_new_with_key (GBytes           *key);
QI_AVAILABLE_IN_ALL
char             *qi_token_authority_issue      (QiTokenAuthority  *self,
                                                 const char        *session,
                                                 const char        *parent,
                                                 const char * const *scopes,
                                                 guint              lifetime_s,
                                                 GError           **error);
QI_AVAILABLE_IN_ALL
QiToken          *qi_token_authority_verify     (QiTokenAuthority  *self,
                                                 const char        *token,
                                                 GError           **error);

G_END_DECLS
