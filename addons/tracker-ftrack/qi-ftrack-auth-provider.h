/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include "qi-ftrack-session.h"

G_BEGIN_DECLS

/* The ftrack security role that makes a Qi admin. */
#define QI_FTRACK_AUTH_PROVIDER_ADMIN_ROLE "Administrator"

#define QI_TYPE_FTRACK_AUTH_PROVIDER (qi_ftrack_auth_provider_get_type ())

G_DECLARE_FINAL_TYPE (QiFtrackAuthProvider, qi_ftrack_auth_provider, QI, FTRACK_AUTH_PROVIDER, QiAuthProvider)

QiFtrackAuthProvider *qi_ftrack_auth_provider_new         (QiFtrackSession      *session);
QiFtrackSession      *qi_ftrack_auth_provider_get_session (QiFtrackAuthProvider *self);

G_END_DECLS
