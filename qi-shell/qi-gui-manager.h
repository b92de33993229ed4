/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gmodule.h>
#include <qi/qi.h>

G_BEGIN_DECLS

#define QI_TYPE_GUI_MANAGER (qi_gui_manager_get_type ())

G_DECLARE_FINAL_TYPE (QiGuiManager, qi_gui_manager, QI, GUI_MANAGER, QiService)

QiGuiManager       *qi_gui_manager_new              (QiApplication *application);


/* The entry point of the module qi-gui.so, which `qi` opens only when it
 * runs without --headless. */
G_MODULE_EXPORT
QiService          *qi_gui_module_new_service       (QiApplication *application);

G_END_DECLS
