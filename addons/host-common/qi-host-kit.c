/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "qi-host-kit.h"

/*
 * One addon type and one QiHost subclass per host module, registered from
 * the module's QiHostKitSpec: the type names carry the host's name
 * (`QiHostKitAddon+maya`), and each class holds its spec, so the code
 * below is shared by every host addon and written once.
 */

typedef struct
{
  QiAddonClass         parent_class;
  const QiHostKitSpec *spec;
} QiHostKitAddonClass;

static char *
type_name (const char *kind,
           const char *host)
{
  return g_strconcat ("QiHostKit", kind, "+", host, NULL);
}

static GType
host_type_of (const QiHostKitSpec *spec)
{
  g_autofree char *name = type_name ("Host", spec->name);

  return g_type_from_name (name);
}

static void
kit_host_class_init (gpointer klass,
                     gpointer class_data)
{
  const QiHostKitSpec *spec = class_data;
  QiHostClass *host_class = QI_HOST_CLASS (klass);

  if (spec->adjust_environment != NULL)
    host_class->adjust_environment = spec->adjust_environment;
  if (spec->adjust_arguments != NULL)
    host_class->adjust_arguments = spec->adjust_arguments;
}

static gboolean
add_all (QiHost              *host,
         const char * const  *candidates,
         GError             **error)
{
  for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++)
    if (!qi_host_add_executable (host, candidates[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
kit_addon_register_addon (QiAddon  *addon,
                          GError  **error)
{
  const QiHostKitSpec *spec = ((QiHostKitAddonClass *) G_OBJECT_GET_CLASS (addon))->spec;
  g_autoptr(QiHost) host = g_object_new (host_type_of (spec), "name", spec->name, "label", spec->label, NULL);
  g_autofree char *folder = g_build_filename ("host", spec->name, NULL);
  const char * const *platform_paths;

#if defined(G_OS_WIN32)
  platform_paths = spec->windows_paths;
#elif defined(__APPLE__)
  platform_paths = spec->macos_paths;
#else
  platform_paths = spec->linux_paths;
#endif

  qi_host_set_plugin_folder (host, folder);
  if (!add_all (host, spec->programs, error) || !add_all (host, platform_paths, error))
    return FALSE;
  if (!qi_host_prepend_env (host, "PYTHONPATH", "{qi_python}", error) ||
      !qi_host_set_env (host, "QI_HOST_PYTHONPATH", "{qi_python}", error))
    return FALSE;
  for (const QiHostKitEnv *change = spec->environment; change != NULL && change->name != NULL; change++)
    {
      gboolean done = change->op == QI_HOST_KIT_PREPEND
                        ? qi_host_prepend_env (host, change->name, change->value, error)
                        : qi_host_set_env (host, change->name, change->value, error);

      if (!done)
        return FALSE;
    }
  if (spec->workfile_arguments != NULL &&
      !qi_host_set_workfile_arguments (host, spec->workfile_arguments, error))
    return FALSE;
  return qi_addon_add_host (addon, host, error);
}

static void
kit_addon_class_init (gpointer klass,
                      gpointer class_data)
{
  ((QiHostKitAddonClass *) klass)->spec = class_data;
  QI_ADDON_CLASS (klass)->register_addon = kit_addon_register_addon;
}

GType
qi_host_kit_register (GTypeModule         *module,
                      const QiHostKitSpec *spec)
{
  g_autofree char *host_name = type_name ("Host", spec->name);
  g_autofree char *addon_name = type_name ("Addon", spec->name);
  GTypeQuery host_query;
  GTypeQuery addon_query;
  GTypeInfo host_info = { 0 };
  GTypeInfo addon_info = { 0 };

  g_type_query (QI_TYPE_HOST, &host_query);
  host_info.class_size = host_query.class_size;
  host_info.class_init = kit_host_class_init;
  host_info.class_data = spec;
  host_info.instance_size = host_query.instance_size;
  g_type_module_register_type (module, QI_TYPE_HOST, host_name, &host_info, 0);

  g_type_query (QI_TYPE_ADDON, &addon_query);
  addon_info.class_size = sizeof (QiHostKitAddonClass);
  addon_info.class_init = kit_addon_class_init;
  addon_info.class_data = spec;
  addon_info.instance_size = addon_query.instance_size;
  return g_type_module_register_type (module, QI_TYPE_ADDON, addon_name, &addon_info, 0);
}

/* Whether the search path @list (entries separated by the platform's
 * separator or “;”, which Houdini takes everywhere) has @entry. */
gboolean
qi_host_kit_list_has_entry (const char *list,
                            const char *entry)
{
  g_auto(GStrv) entries = g_strsplit_set (list != NULL ? list : "", G_SEARCHPATH_SEPARATOR_S ";", -1);

  return g_strv_contains ((const char * const *) entries, entry);
}

/* Sets @name to @value unless the environment has a value for it. */
char **
qi_host_kit_setenv_default (char       **envp,
                            const char  *name,
                            const char  *value)
{
  return g_environ_setenv (envp, name, value, FALSE);
}

/* Whether the arguments before a “--” (after the program) have one of
 * @options, alone or as “OPTION=VALUE”. */
gboolean
qi_host_kit_argv_has (GPtrArray          *argv,
                      const char * const *options)
{
  for (guint i = 1; i < argv->len; i++)
    {
      const char *arg = argv->pdata[i];

      if (g_str_equal (arg, "--"))
        return FALSE;
      for (guint j = 0; options[j] != NULL; j++)
        {
          gsize n = strlen (options[j]);

          if (strncmp (arg, options[j], n) == 0 && (arg[n] == '\0' || arg[n] == '='))
            return TRUE;
        }
    }
  return FALSE;
}
