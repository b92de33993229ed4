/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An addon that claims what the kinds addon has: built twice, as
 * rival-host (RIVAL_CLAIMS_HOST=1: the host kinds-dcc) and rival-workfile
 * (0: the .kscene files of kinds-dcc). Before that it adds a tray item,
 * which its failed register must withdraw. Its type's name comes from
 * RIVAL_TYPE_NAME so that both modules load in one process. */
#include "config.h"

#include <qi/qi.h>

static gboolean
rival_register_addon (QiAddon  *addon,
                      GError  **error)
{
  if (!qi_addon_add_tray_item (addon, "rival", "Rival", "rival.clicked", error))
    return FALSE;

  if (RIVAL_CLAIMS_HOST)
    {
      g_autoptr(QiHost) host = qi_host_new ("kinds-dcc", "Not the kinds DCC");

      return qi_addon_add_host (addon, host, error);
    }
  else
    {
      g_autoptr(QiWorkfileHandler) handler =
        g_object_new (QI_TYPE_WORKFILE_HANDLER, "name", "rival-scenes", "host", "kinds-dcc",
                      "extensions", (const char * const []) { ".kscene", NULL }, NULL);

      return qi_addon_add_workfile_handler (addon, handler, error);
    }
}

static void
rival_class_init (gpointer klass,
                  gpointer data)
{
  QI_ADDON_CLASS (klass)->register_addon = rival_register_addon;
}

static GType
rival_register (GTypeModule *module)
{
  const GTypeInfo info = {
    .class_size = sizeof (QiAddonClass),
    .class_init = rival_class_init,
    .instance_size = sizeof (QiAddon),
  };

  return g_type_module_register_type (module, QI_TYPE_ADDON, RIVAL_TYPE_NAME, &info, 0);
}

QI_ADDON_MODULE_DEFINE (rival_register)
