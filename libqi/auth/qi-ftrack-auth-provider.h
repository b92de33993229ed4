/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-auth-provider.h"
#include "qi-token-authority.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_FTRACK_AUTH_PROVIDER_ADMIN_ROLE:
 *
 * The ftrack security role whose holders get the Qi role `admin`.
 */
#define QI_FTRACK_AUTH_PROVIDER_ADMIN_ROLE "Administrator"

#define QI_TYPE_FTRACK_AUTH_PROVIDER (qi_ftrack_auth_provider_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiFtrackAuthProvider, qi_ftrack_auth_provider, QI, FTRACK_AUTH_PROVIDER, GObject)

QI_AVAILABLE_IN_ALL
QiFtrackAuthProvider *qi_ftrack_auth_provider_new           (QiTokenAuthority     *authority);
QI_AVAILABLE_IN_ALL
QiTokenAuthority     *qi_ftrack_auth_provider_get_authority (QiFtrackAuthProvider *self);
QI_AVAILABLE_IN_ALL
void                  qi_ftrack_auth_provider_set_lifetime  (QiFtrackAuthProvider *self,
                                                             guint                 lifetime_s);

G_END_DECLS
