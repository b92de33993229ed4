/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

#define QI_TYPE_GUI_MANAGER (qi_gui_manager_get_type ())

G_DECLARE_FINAL_TYPE (QiGuiManager, qi_gui_manager, QI, GUI_MANAGER, QiService)

QiGuiManager       *qi_gui_manager_new              (QiApplication *application);
const char * const *qi_gui_manager_get_restart_argv (QiGuiManager  *self);

G_END_DECLS
