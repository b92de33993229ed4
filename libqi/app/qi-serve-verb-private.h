/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-application.h"
#include "qi-cli-manager.h"
#include "qi-server.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void qi_serve_verb_register (QiCliManager  *cli,
                             QiApplication *app);

G_GNUC_INTERNAL
char     *qi_serve_dup_default_info_path (void);

G_GNUC_INTERNAL
QiServer *qi_serve_start_server          (QiApplication  *app,
                                          gint64          port,
                                          const char     *info_path,
                                          GError        **error);

G_GNUC_INTERNAL
void      qi_serve_remove_info_file      (const char     *info_path);

G_END_DECLS
