/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-addon.h"
#include "qi-addon-module.h"

/**
 * QiAddonModule:
 *
 * The #GTypeModule of one native addon: opening the `.so` (local symbol
 * binding, so that addons cannot clash), checking the ABI it was built
 * for before any of its functions runs, and calling its registration
 * function (see QI_ADDON_MODULE_DEFINE()). The addon's types are dynamic,
 * so the module is closed again when no instance of them is left.
 */

struct _QiAddonModule
{
  GTypeModule  parent_instance;

  char        *path;
  GModule     *module;
  GType        addon_type;
  GError      *error;     /* why the last load failed */
  gboolean     resident;
};

G_DEFINE_FINAL_TYPE (QiAddonModule, qi_addon_module, G_TYPE_TYPE_MODULE)

static gboolean
qi_addon_module_load (GTypeModule *type_module)
{
  QiAddonModule *self = QI_ADDON_MODULE (type_module);
  gpointer abi = NULL;
  gpointer symbol = NULL;
  QiAddonModuleRegisterFunc register_func;
  GType type;

  g_clear_error (&self->error);

  self->module = g_module_open (self->path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (self->module == NULL)
    {
      g_set_error (&self->error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("cannot open the module: %s"), g_module_error ());
      return FALSE;
    }

  if (!g_module_symbol (self->module, "qi_addon_abi_version", &abi) || abi == NULL ||
      !g_module_symbol (self->module, "qi_addon_module_register", &symbol) || symbol == NULL)
    {
      g_set_error (&self->error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("“%s” is not a Qi addon module: it does not export qi_addon_abi_version and "
                     "qi_addon_module_register (see QI_ADDON_MODULE_DEFINE)"), self->path);
      g_clear_pointer (&self->module, g_module_close);
      return FALSE;
    }

  if (*(const guint32 *) abi != QI_ADDON_ABI_VERSION)
    {
      g_set_error (&self->error, QI_ADDON_ERROR, QI_ADDON_ERROR_ABI,
                   _("the module was built for Qi addon ABI %u, this Qi has ABI %u: rebuild it "
                     "against libqi-%u"),
                   *(const guint32 *) abi, QI_ADDON_ABI_VERSION, QI_ADDON_ABI_VERSION);
      g_clear_pointer (&self->module, g_module_close);
      return FALSE;
    }

  /* a module whose static types live for the run is never unmapped */
  if (self->resident)
    g_module_make_resident (self->module);
  register_func = (QiAddonModuleRegisterFunc) symbol;
  type = register_func (type_module);
  if (type == G_TYPE_INVALID || !g_type_is_a (type, QI_TYPE_ADDON) || G_TYPE_IS_ABSTRACT (type))
    {
      g_set_error (&self->error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("the module's registration function returned “%s”, not a concrete subclass of QiAddon"),
                   type != G_TYPE_INVALID ? g_type_name (type) : "G_TYPE_INVALID");
      /* Its types are registered in the module now: it stays open. */
      return TRUE;
    }

  self->addon_type = type;
  return TRUE;
}

static void
qi_addon_module_unload (GTypeModule *type_module)
{
  QiAddonModule *self = QI_ADDON_MODULE (type_module);

  g_clear_pointer (&self->module, g_module_close);
}

static void
qi_addon_module_finalize (GObject *object)
{
  QiAddonModule *self = QI_ADDON_MODULE (object);

  g_free (self->path);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (qi_addon_module_parent_class)->finalize (object);
}

static void
qi_addon_module_class_init (QiAddonModuleClass *klass)
{
  GTypeModuleClass *module_class = G_TYPE_MODULE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = qi_addon_module_finalize;
  module_class->load = qi_addon_module_load;
  module_class->unload = qi_addon_module_unload;
}

static void
qi_addon_module_init (QiAddonModule *self)
{
}

/**
 * qi_addon_module_new:
 * @path: (type filename): the `.so` of a native addon
 *
 * Returns: (transfer full): a module, not yet opened
 */
QiAddonModule *
qi_addon_module_new (const char *path)
{
  QiAddonModule *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (QI_TYPE_ADDON_MODULE, NULL);
  self->path = g_strdup (path);
  g_type_module_set_name (G_TYPE_MODULE (self), path);
  return self;
}

/* Types are the process's, so their modules are too: one per file. */
static GHashTable *modules_by_path;   /* path → QiAddonModule */
G_LOCK_DEFINE_STATIC (modules);

/**
 * qi_addon_module_get_for_path:
 * @path: (type filename): the `.so` of a native addon
 *
 * Returns the process's module for @path, made on first use. A
 * #GTypeModule that registered types lives as long as the process; every
 * #QiAddonManager shares it, so that loading an addon again (another
 * manager, a reload) registers its types into the same module.
 *
 * Returns: (transfer none): the module
 */
QiAddonModule *
qi_addon_module_get_for_path (const char *path)
{
  QiAddonModule *module;

  g_return_val_if_fail (path != NULL, NULL);

  G_LOCK (modules);
  if (modules_by_path == NULL)
    modules_by_path = g_hash_table_new (g_str_hash, g_str_equal);
  module = g_hash_table_lookup (modules_by_path, path);
  if (module == NULL)
    {
      module = qi_addon_module_new (path);
      g_hash_table_insert (modules_by_path, module->path, module);
    }
  G_UNLOCK (modules);

  return module;
}

/**
 * qi_addon_module_get_path:
 * @self: a #QiAddonModule
 *
 * Returns: (transfer none) (type filename): the module's file
 */
const char *
qi_addon_module_get_path (QiAddonModule *self)
{
  g_return_val_if_fail (QI_IS_ADDON_MODULE (self), NULL);
  return self->path;
}

/**
 * qi_addon_module_load_type:
 * @self: a #QiAddonModule
 * @error: return location for a #GError
 *
 * Opens the module, if it is not open, and returns its addon type. The
 * caller holds a use of the module (g_type_module_use()) until it calls
 * g_type_module_unuse(), after its last instance of the type is gone.
 *
 * Returns: the type of the addon, or %G_TYPE_INVALID with @error set in
 *   %QI_ADDON_ERROR (and no use held)
 */
GType
qi_addon_module_load_type (QiAddonModule  *self,
                           GError        **error)
{
  g_return_val_if_fail (QI_IS_ADDON_MODULE (self), G_TYPE_INVALID);

  if (!g_type_module_use (G_TYPE_MODULE (self)))
    {
      if (self->error != NULL)
        g_propagate_error (error, g_error_copy (self->error));
      else
        g_set_error_literal (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE, _("cannot load the module"));
      return G_TYPE_INVALID;
    }

  if (self->addon_type == G_TYPE_INVALID)
    {
      g_propagate_error (error, g_error_copy (self->error));
      g_type_module_unuse (G_TYPE_MODULE (self));
      return G_TYPE_INVALID;
    }

  return self->addon_type;
}

/**
 * qi_addon_module_set_resident:
 * @self: a #QiAddonModule
 * @resident: whether the module stays loaded once opened
 *
 * Makes the module resident from its next load on: it is never unmapped,
 * for an addon whose module registers types for the whole run (see
 * qi_addon_info_get_resident()).
 */
void
qi_addon_module_set_resident (QiAddonModule *self,
                              gboolean       resident)
{
  g_return_if_fail (QI_IS_ADDON_MODULE (self));

  self->resident = resident;
  if (resident && self->module != NULL)
    g_module_make_resident (self->module);
}
