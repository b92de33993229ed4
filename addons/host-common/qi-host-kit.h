/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

/*
 * The shared part of Qi's host addons (host-maya, host-blender, …): each
 * addon's module is one small file with a QiHostKitSpec, a table of what
 * its DCC needs, and QI_HOST_KIT_DEFINE(). The kit registers, in that
 * module, an addon type and a QiHost subclass named after the host, so
 * that nine of them live in one process without their types clashing.
 *
 * What every host gets from the kit: the plugin folder `host/NAME/` of its
 * addon; `{qi_python}` first on PYTHONPATH; `QI_HOST_PYTHONPATH` =
 * `{qi_python}` for start-up code in a DCC whose Python ignores PYTHONPATH
 * (official Blender builds do); the executables of the running platform;
 * the environment of its table, in order; its workfile arguments.
 */

typedef enum {
  QI_HOST_KIT_SET,
  QI_HOST_KIT_PREPEND,
} QiHostKitOp;

typedef struct
{
  QiHostKitOp  op;
  const char  *name;
  const char  *value;   /* may name {plugin_folder}, {addon_folder}, {qi_python} */
} QiHostKitEnv;

typedef struct
{
  const char          *name;                /* the host's name, `maya`; its folder is host/NAME */
  const char          *label;               /* `Autodesk Maya` */
  /* Program names looked for on PATH, then the absolute paths of the
   * running platform's usual installs. */
  const char * const  *programs;
  const char * const  *linux_paths;
  const char * const  *windows_paths;
  const char * const  *macos_paths;
  const QiHostKitEnv  *environment;         /* ends with a { 0, NULL, NULL } */
  const char * const  *workfile_arguments;  /* one names {workfile} */
  /* The QiHostClass vfuncs, for what a table cannot say; NULL: none. */
  char              **(*adjust_environment) (QiHost     *host,
                                             char      **envp,
                                             GError    **error);
  gboolean            (*adjust_arguments)   (QiHost     *host,
                                             GPtrArray  *argv,
                                             GError    **error);
} QiHostKitSpec;

GType     qi_host_kit_register          (GTypeModule          *module,
                                         const QiHostKitSpec  *spec);

/* Helpers for the vfuncs of the hosts. */
gboolean  qi_host_kit_list_has_entry    (const char           *list,
                                         const char           *entry);
char    **qi_host_kit_setenv_default    (char                **envp,
                                         const char           *name,
                                         const char           *value);
gboolean  qi_host_kit_argv_has          (GPtrArray            *argv,
                                         const char * const   *options);

/* The module's entry point: registers the host of @spec (a static
 * QiHostKitSpec of the module). */
#define QI_HOST_KIT_DEFINE(spec)                                               \
  static GType                                                                 \
  qi_host_kit_module_register (GTypeModule *module)                            \
  {                                                                            \
    return qi_host_kit_register (module, &(spec));                             \
  }                                                                            \
  QI_ADDON_MODULE_DEFINE (qi_host_kit_module_register)

G_END_DECLS
