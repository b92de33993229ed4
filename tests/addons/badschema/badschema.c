/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A native addon whose settings schema is built wrongly in class_init,
 * where no error can be returned: the default 120 is above the maximum.
 * The manager marks it failed with the schema's error. */
#include "config.h"

#include <qi/qi.h>

#define BAD_TYPE_ADDON (bad_addon_get_type ())
G_DECLARE_FINAL_TYPE (BadAddon, bad_addon, BAD, ADDON, QiAddon)

struct _BadAddon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (BadAddon, bad_addon, QI_TYPE_ADDON)

static void
bad_addon_class_init (BadAddonClass *klass)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new ("Bad");

  qi_settings_schema_add_int (schema, "farm.priority", "Priority", NULL, 0, 100, 120, NULL);
  qi_settings_schema_attach (schema, BAD_TYPE_ADDON);
}

static void
bad_addon_class_finalize (BadAddonClass *klass)
{
}

static void
bad_addon_init (BadAddon *self)
{
}

static GType
bad_register (GTypeModule *module)
{
  bad_addon_register_type (module);
  return BAD_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (bad_register)
