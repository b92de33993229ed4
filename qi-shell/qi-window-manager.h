/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <qi/qi.h>

G_BEGIN_DECLS

#define QI_TYPE_WINDOW_MANAGER (qi_window_manager_get_type ())

G_DECLARE_FINAL_TYPE (QiWindowManager, qi_window_manager, QI, WINDOW_MANAGER, GObject)

QiWindowManager *qi_window_manager_new        (GtkApplication   *application,
                                               QiServer         *server,
                                               const char       *parent_session,
                                               gboolean          dev,
                                               const char       *state_file);
gboolean         qi_window_manager_open       (QiWindowManager  *self,
                                               const char       *id,
                                               const char       *addon,
                                               const char       *path,
                                               JsonObject       *params,
                                               const char       *route,
                                               const char       *title,
                                               int               width,
                                               int               height,
                                               gboolean         *focused_existing,
                                               GError          **error);
gboolean         qi_window_manager_close      (QiWindowManager  *self,
                                               const char       *id,
                                               GError          **error);
gboolean         qi_window_manager_focus      (QiWindowManager  *self,
                                               const char       *id,
                                               GError          **error);
JsonNode        *qi_window_manager_list       (QiWindowManager  *self);
void             qi_window_manager_snapshot_async  (QiWindowManager     *self,
                                                    const char          *id,
                                                    const char          *path,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
JsonNode        *qi_window_manager_snapshot_finish (QiWindowManager     *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void             qi_window_manager_close_all  (QiWindowManager  *self);

void             qi_window_manager_set_project (QiWindowManager *self,
                                                const char      *project);

G_END_DECLS
