/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-host.h"

G_BEGIN_DECLS

/* Gives @self to the addon @addon_name whose folder is @addon_folder:
 * checks its name, resolves its plugin folder in the addon's folder.
 * FALSE with @error if it cannot be registered. */
G_GNUC_INTERNAL
gboolean qi_host_attach (QiHost      *self,
                         const char  *addon_name,
                         const char  *addon_folder,
                         GError     **error);
/* Takes it back from its addon (the addon failed or closed). */
G_GNUC_INTERNAL
void     qi_host_detach (QiHost      *self);

/* What @env changes of @base: {NAME: value} for each variable set or
 * changed, in @env's order, then {NAME: null} for each one removed. */
G_GNUC_INTERNAL
JsonNode *qi_host_describe_environment_changes (const char * const *base,
                                                const char * const *env);

/* qi_host_to_json() with "executable", the one found on PATH or null. */
G_GNUC_INTERNAL
JsonNode *qi_host_to_json_found (QiHost *self);

G_END_DECLS
