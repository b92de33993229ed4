/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-application.h"
#include "qi-cli-manager.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void     qi_builtin_verbs_register     (QiCliManager  *cli,
                                        QiApplication *app);

/* The user data of a verb that needs the application: a weak reference
 * (the CLI manager, and so the verb, may outlive the application). */
G_GNUC_INTERNAL
gpointer qi_builtin_verbs_app_ref_new  (QiApplication *app);
G_GNUC_INTERNAL
void     qi_builtin_verbs_app_ref_free (gpointer       data);

G_END_DECLS
