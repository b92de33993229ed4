/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * QiTrayState:
 * @QI_TRAY_STATE_IDLE: logged in, nothing running
 * @QI_TRAY_STATE_BUSY: something runs (a publish, a sync)
 * @QI_TRAY_STATE_ERROR: something failed and wants a look
 * @QI_TRAY_STATE_LOGGED_OUT: nobody is logged in
 *
 * The tray icon's states.
 */
typedef enum {
  QI_TRAY_STATE_IDLE,
  QI_TRAY_STATE_BUSY,
  QI_TRAY_STATE_ERROR,
  QI_TRAY_STATE_LOGGED_OUT,
} QiTrayState;

#define QI_TYPE_TRAY_MANAGER (qi_tray_manager_get_type ())

G_DECLARE_FINAL_TYPE (QiTrayManager, qi_tray_manager, QI, TRAY_MANAGER, GObject)

QiTrayManager *qi_tray_manager_new             (gboolean        staging,
                                                const char     *icon_theme_path);
gboolean       qi_tray_state_from_string       (const char     *name,
                                                QiTrayState    *state);
const char    *qi_tray_state_to_string         (QiTrayState     state);
void           qi_tray_manager_set_state       (QiTrayManager  *self,
                                                QiTrayState     state,
                                                const char     *tooltip);
QiTrayState    qi_tray_manager_get_state       (QiTrayManager  *self);
void           qi_tray_manager_set_addon_items (QiTrayManager  *self,
                                                JsonNode       *items);

G_END_DECLS
