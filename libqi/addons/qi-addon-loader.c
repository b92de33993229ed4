/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-addon-loader.h"
#include "qi-addon.h"

/**
 * QiAddonLoader:
 *
 * The base class of the loaders of addons written in another language than
 * C. A loader lives in a module of its own, found in the loader folder
 * (`$QI_LOADER_DIR`, else `$libdir/qi/loaders`) as `KIND-loader.so`,
 * such as `python-loader.so`. It is opened only when the first addon of
 * its kind loads — with global symbol binding, since a language runtime
 * such as CPython loads extension modules that need its symbols — and
 * stays open for the life of the process: a language runtime cannot be
 * unloaded.
 *
 * The module exports `qi_addon_loader_abi_version`, checked before any of its
 * code runs, and `qi_addon_loader_register()`, which returns the loader's
 * type (QI_ADDON_LOADER_DEFINE()). #QiAddonManager asks the loader for
 * each addon's type with qi_addon_loader_load_type() and creates the
 * addon with g_object_new() as for a native one.
 *
 * A loader that cannot be opened or started fails every addon of its kind
 * with the same error, and nothing else.
 */

G_DEFINE_ABSTRACT_TYPE (QiAddonLoader, qi_addon_loader, G_TYPE_OBJECT)

typedef GType (*LoaderRegisterFunc) (void);

static gboolean
qi_addon_loader_real_initialize (QiAddonLoader  *self,
                                 GError        **error)
{
  return TRUE;
}

static void
qi_addon_loader_class_init (QiAddonLoaderClass *klass)
{
  klass->initialize = qi_addon_loader_real_initialize;
}

static void
qi_addon_loader_init (QiAddonLoader *self)
{
}

static const char *
kind_name (QiAddonKind kind)
{
  switch (kind)
    {
    case QI_ADDON_KIND_PYTHON:
      return "python";
    case QI_ADDON_KIND_NATIVE:
    case QI_ADDON_KIND_DATA:
    default:
      return NULL;
    }
}

/* Opens the loader module of @kind and creates its loader. */
static QiAddonLoader *
open_loader (const char  *kind,
             GError     **error)
{
  const char *folder = g_getenv ("QI_LOADER_DIR");
  g_autofree char *file = g_strconcat (kind, "-loader.so", NULL);
  g_autofree char *path = g_build_filename (folder != NULL && *folder != '\0' ? folder : QI_LOADERDIR,
                                            file, NULL);
  GModule *module;
  gpointer abi = NULL;
  gpointer symbol = NULL;
  GType type;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("this Qi has no %s loader: %s does not exist (build Qi with its %s bridge)"),
                   kind, path, kind);
      return NULL;
    }

  /* Global binding: the runtime's own extension modules need its symbols. */
  module = g_module_open (path, G_MODULE_BIND_LAZY);
  if (module == NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("cannot open the %s loader: %s"), kind, g_module_error ());
      return NULL;
    }
  if (!g_module_symbol (module, "qi_addon_loader_abi_version", &abi) || abi == NULL ||
      !g_module_symbol (module, "qi_addon_loader_register", &symbol) || symbol == NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("“%s” is not a Qi loader module: it does not export qi_addon_loader_abi_version and "
                     "qi_addon_loader_register (see QI_ADDON_LOADER_DEFINE)"), path);
      g_module_close (module);
      return NULL;
    }
  if (*(const guint32 *) abi != QI_ADDON_ABI_VERSION)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_ABI,
                   _("the %s loader was built for Qi addon ABI %u, this Qi has ABI %u"),
                   kind, *(const guint32 *) abi, QI_ADDON_ABI_VERSION);
      g_module_close (module);
      return NULL;
    }

  /* A language runtime does not unload: the module stays for good. */
  g_module_make_resident (module);
  type = ((LoaderRegisterFunc) symbol) ();
  if (!g_type_is_a (type, QI_TYPE_ADDON_LOADER) || G_TYPE_IS_ABSTRACT (type))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("the %s loader's registration returned “%s”, not a concrete subclass of QiAddonLoader"),
                   kind, type != G_TYPE_INVALID ? g_type_name (type) : "G_TYPE_INVALID");
      return NULL;
    }
  return g_object_new (type, NULL);
}

/**
 * qi_addon_loader_get_for_kind:
 * @kind: the kind of addon, such as %QI_ADDON_KIND_PYTHON
 * @error: return location for a #GError
 *
 * Opens the loader of @kind the first time (and starts it), then returns
 * the same loader, or the same error, for the life of the process.
 *
 * Returns: (transfer none): the loader, or %NULL with %QI_ADDON_ERROR_MODULE
 *   or %QI_ADDON_ERROR_ABI if @kind has no loader or it cannot start
 */
QiAddonLoader *
qi_addon_loader_get_for_kind (QiAddonKind   kind,
                              GError      **error)
{
  static GHashTable *loaders;   /* kind name → QiAddonLoader */
  static GHashTable *failures;  /* kind name → GError */
  const char *name = kind_name (kind);
  QiAddonLoader *loader;
  GError *failure;
  GError *local_error = NULL;

  if (name == NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("addons of this kind are loaded without a loader"));
      return NULL;
    }

  if (loaders == NULL)
    {
      loaders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
      failures = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_error_free);
    }

  loader = g_hash_table_lookup (loaders, name);
  if (loader != NULL)
    return loader;
  failure = g_hash_table_lookup (failures, name);
  if (failure != NULL)
    {
      g_propagate_error (error, g_error_copy (failure));
      return NULL;
    }

  loader = open_loader (name, &local_error);
  if (loader != NULL && !QI_ADDON_LOADER_GET_CLASS (loader)->initialize (loader, &local_error))
    {
      if (local_error == NULL)
        g_set_error (&local_error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                     _("the %s loader failed to start without saying why"), name);
      g_prefix_error (&local_error, _("the %s loader cannot start: "), name);
      g_clear_object (&loader);
    }
  if (loader == NULL)
    {
      g_hash_table_insert (failures, (gpointer) name, g_error_copy (local_error));
      g_propagate_error (error, local_error);
      return NULL;
    }

  g_hash_table_insert (loaders, (gpointer) name, loader);
  return loader;
}

/**
 * qi_addon_loader_load_type:
 * @self: a #QiAddonLoader
 * @info: the addon to load, of the loader's kind
 * @error: return location for a #GError
 *
 * Loads the addon's code and returns its type.
 *
 * Returns: a concrete subtype of #QiAddon, or %G_TYPE_INVALID with @error
 */
GType
qi_addon_loader_load_type (QiAddonLoader  *self,
                           QiAddonInfo    *info,
                           GError        **error)
{
  QiAddonLoaderClass *klass;
  GError *local_error = NULL;
  GType type;

  g_return_val_if_fail (QI_IS_ADDON_LOADER (self), G_TYPE_INVALID);
  g_return_val_if_fail (QI_IS_ADDON_INFO (info), G_TYPE_INVALID);

  klass = QI_ADDON_LOADER_GET_CLASS (self);
  if (klass->load_type == NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                   _("%s loads no addon (it has no load_type)"), G_OBJECT_TYPE_NAME (self));
      return G_TYPE_INVALID;
    }

  type = klass->load_type (self, info, &local_error);
  if (type == G_TYPE_INVALID || !g_type_is_a (type, QI_TYPE_ADDON) || G_TYPE_IS_ABSTRACT (type))
    {
      if (local_error == NULL)
        g_set_error (&local_error, QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                     _("the loader returned “%s”, not a concrete subclass of QiAddon"),
                     type != G_TYPE_INVALID ? g_type_name (type) : "G_TYPE_INVALID");
      g_propagate_error (error, local_error);
      return G_TYPE_INVALID;
    }
  g_clear_error (&local_error);
  return type;
}
