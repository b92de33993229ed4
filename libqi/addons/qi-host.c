/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-addon-info.h"
#include "qi-host-private.h"
#include "qi-message.h"

/**
 * QiHost:
 *
 * A DCC an addon can launch (a host: Blender, Nuke, Maya…): its name and
 * label, the executables to look for, the addon's folder of in-DCC
 * plugins (`host/blender/`), the environment variables to set or prepend
 * for the launch, and the items of the Qi menu inside the DCC, each a hub
 * topic to request.
 *
 * ```c
 * g_autoptr(QiHost) host = qi_host_new ("blender", "Blender");
 *
 * qi_host_add_executable (host, "blender", NULL);
 * qi_host_add_executable (host, "/opt/blender/blender", NULL);
 * qi_host_set_plugin_folder (host, "host/blender");
 * qi_host_prepend_env (host, "BLENDER_USER_SCRIPTS", "{plugin_folder}", NULL);
 * qi_host_add_menu_item (host, "Publish…", "publisher.open", NULL);
 * qi_addon_add_host (addon, host, &error);
 * ```
 *
 * Environment values may name `{plugin_folder}` (the plugin folder, once
 * the host is added), `{addon_folder}` (the addon's folder) and
 * `{qi_python}` (Qi's Python package, qi_host_get_python_path()); any other
 * `{word}` of lower-case letters and `_` is refused as a likely typo, and
 * other braces are text. Each launch
 * environment also has `QI_HOST` (the host's name) and, when it has one,
 * `QI_HOST_PLUGIN_FOLDER`. qi_host_build_environment() makes it from a
 * base environment without touching the process's;
 * #QiHostClass.adjust_environment has the last word.
 *
 * A host belongs to one addon, and a host name to one host: a second addon
 * that adds a host of the same name fails to register.
 */

typedef enum {
  ENV_SET,
  ENV_PREPEND,
} EnvOp;

typedef struct
{
  EnvOp  op;
  char  *name;
  char  *value;
} EnvChange;

typedef struct
{
  char *label;
  char *topic;
} MenuItem;

typedef struct
{
  char      *name;
  char      *label;
  char      *addon;
  char      *addon_folder;
  char      *plugin_folder;     /* as given */
  char      *resolved_folder;   /* in the addon's folder, once attached */
  GPtrArray *executables;       /* of char *, NULL-terminated */
  GArray    *environment;       /* of EnvChange, in order */
  GArray    *menu;              /* of MenuItem */
  GStrv      workfile_args;     /* how the host opens a workfile: "{workfile}" */
} QiHostPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (QiHost, qi_host, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-host-error-quark, qi_host_error)

enum {
  PROP_0,
  PROP_NAME,
  PROP_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const placeholders[] = { "plugin_folder", "addon_folder", "qi_python", NULL };

static void
env_change_clear (gpointer data)
{
  EnvChange *change = data;

  g_free (change->name);
  g_free (change->value);
}

static void
menu_item_clear (gpointer data)
{
  MenuItem *item = data;

  g_free (item->label);
  g_free (item->topic);
}

static char **
qi_host_real_adjust_environment (QiHost  *self,
                                 char   **envp,
                                 GError **error)
{
  return envp;
}

static void
qi_host_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  QiHostPrivate *priv = qi_host_get_instance_private (QI_HOST (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_LABEL:
      g_value_set_string (value, priv->label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_host_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  QiHostPrivate *priv = qi_host_get_instance_private (QI_HOST (object));

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;
    case PROP_LABEL:
      priv->label = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_host_finalize (GObject *object)
{
  QiHostPrivate *priv = qi_host_get_instance_private (QI_HOST (object));

  g_free (priv->name);
  g_free (priv->label);
  g_free (priv->addon);
  g_free (priv->addon_folder);
  g_free (priv->plugin_folder);
  g_free (priv->resolved_folder);
  g_strfreev (priv->workfile_args);
  g_ptr_array_unref (priv->executables);
  g_array_unref (priv->environment);
  g_array_unref (priv->menu);

  G_OBJECT_CLASS (qi_host_parent_class)->finalize (object);
}

static void
qi_host_class_init (QiHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qi_host_get_property;
  object_class->set_property = qi_host_set_property;
  object_class->finalize = qi_host_finalize;
  klass->adjust_environment = qi_host_real_adjust_environment;

  /**
   * QiHost:name:
   *
   * The host's name, such as `blender`: lower-case letters, digits, `-`
   * and `_` (see qi_host_name_is_valid()).
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiHost:label:
   *
   * The name people see, such as `Blender`; the name if unset.
   */
  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_host_init (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  priv->executables = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (priv->executables, NULL);
  priv->environment = g_array_new (FALSE, TRUE, sizeof (EnvChange));
  g_array_set_clear_func (priv->environment, env_change_clear);
  priv->menu = g_array_new (FALSE, TRUE, sizeof (MenuItem));
  g_array_set_clear_func (priv->menu, menu_item_clear);
}

/**
 * qi_host_name_is_valid:
 * @name: a name
 *
 * Host names follow the rules of addon names (qi_addon_name_is_valid()):
 * they go into environment values, file names and menus.
 *
 * Returns: %TRUE if @name can name a host
 */
gboolean
qi_host_name_is_valid (const char *name)
{
  g_return_val_if_fail (name != NULL, FALSE);
  return qi_addon_name_is_valid (name);
}

/**
 * qi_host_new:
 * @name: the host's name, such as `blender`
 * @label: (nullable): the name people see, such as `Blender`
 *
 * Returns: (transfer full): a new host with no executable, plugin folder,
 *   environment or menu
 */
QiHost *
qi_host_new (const char *name,
             const char *label)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (QI_TYPE_HOST, "name", name, "label", label, NULL);
}

/**
 * qi_host_get_name:
 * @self: a #QiHost
 *
 * Returns: (transfer none): the host's name
 */
const char *
qi_host_get_name (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_val_if_fail (QI_IS_HOST (self), NULL);
  return priv->name;
}

/**
 * qi_host_get_label:
 * @self: a #QiHost
 *
 * Returns: (transfer none): the name people see (the name if no label was
 *   given)
 */
const char *
qi_host_get_label (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_val_if_fail (QI_IS_HOST (self), NULL);
  return priv->label != NULL ? priv->label : priv->name;
}

/**
 * qi_host_get_addon:
 * @self: a #QiHost
 *
 * Returns: (transfer none) (nullable): the name of the addon that added
 *   it, or %NULL while no addon has
 */
const char *
qi_host_get_addon (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_val_if_fail (QI_IS_HOST (self), NULL);
  return priv->addon;
}

/**
 * qi_host_add_executable:
 * @self: a #QiHost
 * @candidate: (type filename): a program name looked for on `PATH`
 *   (`blender`), or an absolute path (`/opt/blender/blender`)
 * @error: return location for a #GError
 *
 * Adds a candidate after those already given; the first found wins.
 *
 * Returns: %TRUE on success; %FALSE with %QI_HOST_ERROR_INVALID for an
 *   empty candidate or a relative path with a `/`
 */
gboolean
qi_host_add_executable (QiHost      *self,
                        const char  *candidate,
                        GError     **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_val_if_fail (QI_IS_HOST (self), FALSE);
  g_return_val_if_fail (candidate != NULL, FALSE);

  if (*candidate == '\0' || (!g_path_is_absolute (candidate) && strchr (candidate, G_DIR_SEPARATOR) != NULL))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("host “%s”: the executable “%s” is neither a program name nor an absolute path"),
                   priv->name, candidate);
      return FALSE;
    }
  g_ptr_array_insert (priv->executables, priv->executables->len - 1, g_strdup (candidate));
  return TRUE;
}

/**
 * qi_host_get_executables:
 * @self: a #QiHost
 *
 * Returns: (transfer none) (array zero-terminated=1): the executable
 *   candidates, in order
 */
const char * const *
qi_host_get_executables (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_val_if_fail (QI_IS_HOST (self), NULL);
  return (const char * const *) priv->executables->pdata;
}

/**
 * qi_host_set_plugin_folder:
 * @self: a #QiHost
 * @folder: (type filename) (nullable): the folder of the addon's in-DCC
 *   plugins, relative to the addon's folder (`host/blender`), or %NULL
 *
 * The folder is checked when the host is added (it must stay inside the
 * addon's folder) and must exist when the environment is built.
 */
void
qi_host_set_plugin_folder (QiHost     *self,
                           const char *folder)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_if_fail (QI_IS_HOST (self));

  g_free (priv->plugin_folder);
  priv->plugin_folder = g_strdup (folder);
  g_clear_pointer (&priv->resolved_folder, g_free);
}

/**
 * qi_host_get_plugin_folder:
 * @self: a #QiHost
 *
 * Returns: (transfer none) (type filename) (nullable): the plugin folder:
 *   its full path once the host is added to an addon, as given before
 */
const char *
qi_host_get_plugin_folder (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_return_val_if_fail (QI_IS_HOST (self), NULL);
  return priv->resolved_folder != NULL ? priv->resolved_folder : priv->plugin_folder;
}

static gboolean
variable_name_is_valid (const char *name)
{
  if (!g_ascii_isalpha (name[0]) && name[0] != '_')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* Whether {@word} is a placeholder's shape: lower-case letters and “_”. */
static gboolean
is_placeholder (const char *word)
{
  if (*word == '\0')
    return FALSE;
  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* Checks the {placeholders} of @value; with @substitute, replaces them.
 * Braces around anything else are text. */
static char *
expand (QiHostPrivate  *priv,
        const char     *name,
        const char     *value,
        gboolean        substitute,
        GError        **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = value;

  while (*p != '\0')
    {
      const char *close;
      g_autofree char *word = NULL;

      if (*p != '{' || (close = strchr (p, '}')) == NULL)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      word = g_strndup (p + 1, close - p - 1);
      if (!is_placeholder (word))
        {
          g_string_append_c (out, *p++);
          continue;
        }
      if (!g_strv_contains (placeholders, word))
        {
          g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                       _("host “%s”: %s=%s names “{%s}”; the placeholders are {plugin_folder}, "
                         "{addon_folder} and {qi_python}"), priv->name, name, value, word);
          return NULL;
        }
      if (substitute && g_str_equal (word, "plugin_folder"))
        {
          if (priv->resolved_folder == NULL)
            {
              g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER,
                           _("host “%s”: %s names {plugin_folder}, but the host has no plugin folder "
                             "(qi_host_set_plugin_folder(), then add it to its addon)"), priv->name, name);
              return NULL;
            }
          g_string_append (out, priv->resolved_folder);
        }
      else if (substitute && g_str_equal (word, "qi_python"))
        g_string_append (out, qi_host_get_python_path ());
      else if (substitute)
        {
          if (priv->addon_folder == NULL)
            {
              g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER,
                           _("host “%s”: %s names {addon_folder}, but no addon has added the host"),
                           priv->name, name);
              return NULL;
            }
          g_string_append (out, priv->addon_folder);
        }
      else
        g_string_append_len (out, p, close - p + 1);
      p = close + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
add_env (QiHost      *self,
         EnvOp        op,
         const char  *name,
         const char  *value,
         GError     **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  g_autofree char *checked = NULL;
  EnvChange change;

  if (!variable_name_is_valid (name))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("host “%s”: “%s” is not an environment variable name (letters, digits and “_”, "
                     "not starting with a digit)"), priv->name, name);
      return FALSE;
    }
  if (!g_utf8_validate (value, -1, NULL) || (op == ENV_PREPEND && *value == '\0'))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("host “%s”: the value for %s must be UTF-8 text%s"), priv->name, name,
                   op == ENV_PREPEND ? _(", not empty") : "");
      return FALSE;
    }
  checked = expand (priv, name, value, FALSE, error);
  if (checked == NULL)
    return FALSE;

  change.op = op;
  change.name = g_strdup (name);
  change.value = g_strdup (value);
  g_array_append_val (priv->environment, change);
  return TRUE;
}

/**
 * qi_host_set_env:
 * @self: a #QiHost
 * @name: a variable's name
 * @value: its value for the launch; may name `{plugin_folder}` and
 *   `{addon_folder}`
 * @error: return location for a #GError
 *
 * Sets @name for the launch, replacing what the base environment has.
 * Changes apply in the order they were given.
 *
 * Returns: %TRUE on success; %FALSE with %QI_HOST_ERROR_INVALID for a bad
 *   name, a value that is not UTF-8, or an unknown placeholder
 */
gboolean
qi_host_set_env (QiHost      *self,
                 const char  *name,
                 const char  *value,
                 GError     **error)
{
  g_return_val_if_fail (QI_IS_HOST (self), FALSE);
  g_return_val_if_fail (name != NULL && value != NULL, FALSE);

  return add_env (self, ENV_SET, name, value, error);
}

/**
 * qi_host_prepend_env:
 * @self: a #QiHost
 * @name: a list variable's name, such as `PYTHONPATH`
 * @value: the entry to put first; may name `{plugin_folder}` and
 *   `{addon_folder}`
 * @error: return location for a #GError
 *
 * Puts @value at the front of the `:`-separated list @name. An entry
 * already in the list moves to the front rather than appearing twice, so
 * that a Qi launched from a Qi-launched shell builds the same environment.
 *
 * Returns: %TRUE on success; %FALSE with %QI_HOST_ERROR_INVALID as
 *   qi_host_set_env(), or for an empty value
 */
gboolean
qi_host_prepend_env (QiHost      *self,
                     const char  *name,
                     const char  *value,
                     GError     **error)
{
  g_return_val_if_fail (QI_IS_HOST (self), FALSE);
  g_return_val_if_fail (name != NULL && value != NULL, FALSE);

  return add_env (self, ENV_PREPEND, name, value, error);
}

/**
 * qi_host_add_menu_item:
 * @self: a #QiHost
 * @label: what the item says in the DCC's Qi menu
 * @topic: the hub topic the item requests when chosen
 * @error: return location for a #GError
 *
 * Adds an item to the Qi menu the in-DCC integration builds (the host's
 * JSON, qi_host_to_json(), carries it there).
 *
 * Returns: %TRUE on success; %FALSE with %QI_HOST_ERROR_INVALID for an
 *   empty label or a bad topic
 */
gboolean
qi_host_add_menu_item (QiHost      *self,
                       const char  *label,
                       const char  *topic,
                       GError     **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  MenuItem item;

  g_return_val_if_fail (QI_IS_HOST (self), FALSE);
  g_return_val_if_fail (label != NULL && topic != NULL, FALSE);

  if (*label == '\0' || !g_utf8_validate (label, -1, NULL))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("host “%s”: a menu item needs a label"), priv->name);
      return FALSE;
    }
  if (!qi_message_topic_is_valid (topic))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("host “%s”: the menu item “%s” requests “%s”, which is not a hub topic"),
                   priv->name, label, topic);
      return FALSE;
    }

  item.label = g_strdup (label);
  item.topic = g_strdup (topic);
  g_array_append_val (priv->menu, item);
  return TRUE;
}

/* An absolute path, not a folder, that we may run. */
static gboolean
is_program (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_EXECUTABLE) && !g_file_test (path, G_FILE_TEST_IS_DIR);
}

/**
 * qi_host_find_executable:
 * @self: a #QiHost
 * @search_path: (nullable): the `:`-separated folders to look for program
 *   names in; %NULL for the process's `PATH`
 * @error: return location for a #GError
 *
 * Looks for each candidate in turn (qi_host_add_executable()): an
 * absolute path as it is, a program name in each folder of @search_path.
 *
 * Returns: (transfer full) (type filename): the first executable found,
 *   or %NULL with %QI_HOST_ERROR_NOT_FOUND naming the candidates and
 *   folders tried
 */
char *
qi_host_find_executable (QiHost      *self,
                         const char  *search_path,
                         GError     **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  g_auto(GStrv) folders = NULL;
  g_autofree char *tried = NULL;

  g_return_val_if_fail (QI_IS_HOST (self), NULL);

  if (search_path == NULL)
    search_path = g_getenv ("PATH");
  if (search_path == NULL)
    search_path = "";
  folders = g_strsplit (search_path, G_SEARCHPATH_SEPARATOR_S, -1);

  for (guint i = 0; priv->executables->pdata[i] != NULL; i++)
    {
      const char *candidate = priv->executables->pdata[i];

      if (g_path_is_absolute (candidate))
        {
          if (is_program (candidate))
            return g_strdup (candidate);
          continue;
        }
      for (guint j = 0; folders[j] != NULL; j++)
        {
          g_autofree char *path = NULL;

          /* An empty entry of PATH is not the current folder here. */
          if (!g_path_is_absolute (folders[j]))
            continue;
          path = g_build_filename (folders[j], candidate, NULL);
          if (is_program (path))
            return g_steal_pointer (&path);
        }
    }

  tried = g_strjoinv (", ", (char **) priv->executables->pdata);
  if (priv->executables->len == 1)
    g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_NOT_FOUND,
                 _("host “%s” names no executable"), priv->name);
  else
    g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_NOT_FOUND,
                 _("host “%s”: none of %s is installed (searched %s)"), priv->name, tried,
                 *search_path != '\0' ? search_path : _("an empty PATH"));
  return NULL;
}

/* @entry first in the list @list, dropping any other copy of it. */
static char *
prepend_entry (const char *entry,
               const char *list)
{
  g_auto(GStrv) old = g_strsplit (list != NULL ? list : "", G_SEARCHPATH_SEPARATOR_S, -1);
  g_autoptr(GString) out = g_string_new (entry);

  for (guint i = 0; old[i] != NULL; i++)
    if (*old[i] != '\0' && !g_str_equal (old[i], entry))
      g_string_append_printf (out, "%c%s", G_SEARCHPATH_SEPARATOR, old[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * qi_host_get_python_path:
 *
 * Where Qi's Python package (`qi`, with `qi.hub`, the standard-library
 * client of the hub) is, as the entries to put on a DCC's Python path:
 * `$QI_PYTHON_PATH` (a build tree's), else the installed folder. What the
 * placeholder `{qi_python}` of a host's values stands for.
 *
 * Returns: (transfer none): a search path, entries separated by
 *   %G_SEARCHPATH_SEPARATOR
 */
const char *
qi_host_get_python_path (void)
{
  const char *from_env = g_getenv ("QI_PYTHON_PATH");

  return from_env != NULL && *from_env != '\0' ? from_env : QI_PYTHONDIR;
}

/**
 * qi_host_set_workfile_arguments:
 * @self: a #QiHost
 * @arguments: (array zero-terminated=1): the arguments that open a
 *   workfile, one of them naming `{workfile}`, such as `{"-file",
 *   "{workfile}", NULL}` for Maya
 * @error: return location for a #GError
 *
 * How the host opens a workfile from its command line; without it, the
 * workfile's path is the first argument.
 *
 * Returns: %TRUE, or %FALSE with %QI_HOST_ERROR_INVALID if no argument
 *   names `{workfile}`
 */
gboolean
qi_host_set_workfile_arguments (QiHost              *self,
                                const char * const  *arguments,
                                GError             **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  gboolean named = FALSE;

  g_return_val_if_fail (QI_IS_HOST (self), FALSE);
  g_return_val_if_fail (arguments != NULL, FALSE);

  for (guint i = 0; arguments[i] != NULL; i++)
    named |= strstr (arguments[i], "{workfile}") != NULL;
  if (!named)
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("host “%s”: the workfile arguments must name {workfile}"), priv->name);
      return FALSE;
    }
  g_strfreev (priv->workfile_args);
  priv->workfile_args = g_strdupv ((char **) arguments);
  return TRUE;
}

static char *
replace_workfile (const char *argument,
                  const char *workfile)
{
  g_auto(GStrv) parts = g_strsplit (argument, "{workfile}", -1);

  return g_strjoinv (workfile, parts);
}

/**
 * qi_host_build_arguments:
 * @self: a #QiHost
 * @executable: the program to run
 * @app_arguments: (array zero-terminated=1) (nullable): the application's
 *   own arguments (its settings)
 * @workfile: (nullable): the workfile to open, or %NULL to start without
 * @extra: (array zero-terminated=1) (nullable): what the user added
 *   (`qi launch … -- ARGS`)
 * @error: return location for a #GError
 *
 * The command line of a launch: @executable, @app_arguments, the
 * workfile's arguments (qi_host_set_workfile_arguments()), then @extra;
 * #QiHostClass.adjust_arguments has the last word (a DCC that needs a
 * start-up script in some mode, such as Blender in the background).
 *
 * Returns: (transfer full) (array zero-terminated=1): the arguments, or
 *   %NULL with the error of #QiHostClass.adjust_arguments
 */
char **
qi_host_build_arguments (QiHost              *self,
                         const char          *executable,
                         const char * const  *app_arguments,
                         const char          *workfile,
                         const char * const  *extra,
                         GError             **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  GError *local_error = NULL;

  g_return_val_if_fail (QI_IS_HOST (self), NULL);
  g_return_val_if_fail (executable != NULL, NULL);

  g_ptr_array_add (argv, g_strdup (executable));
  for (guint i = 0; app_arguments != NULL && app_arguments[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (app_arguments[i]));
  if (workfile != NULL && priv->workfile_args != NULL)
    for (guint i = 0; priv->workfile_args[i] != NULL; i++)
      g_ptr_array_add (argv, replace_workfile (priv->workfile_args[i], workfile));
  else if (workfile != NULL)
    g_ptr_array_add (argv, g_strdup (workfile));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));

  if (QI_HOST_GET_CLASS (self)->adjust_arguments != NULL &&
      !QI_HOST_GET_CLASS (self)->adjust_arguments (self, argv, &local_error))
    {
      if (local_error == NULL)
        local_error = g_error_new (QI_HOST_ERROR, QI_HOST_ERROR_FAILED,
                                   _("host “%s”: adjusting the arguments failed without saying why"),
                                   priv->name);
      g_propagate_error (error, local_error);
      return NULL;
    }
  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

/**
 * qi_host_build_environment:
 * @self: a #QiHost
 * @base_env: (array zero-terminated=1) (nullable): the environment to
 *   start from, such as g_get_environ()'s; %NULL for an empty one
 * @error: return location for a #GError
 *
 * The environment to launch the host with: @base_env with the host's
 * variables set and prepended in order, `QI_HOST` and
 * `QI_HOST_PLUGIN_FOLDER`, then #QiHostClass.adjust_environment. Neither
 * @base_env nor the process's environment changes.
 *
 * Returns: (transfer full) (array zero-terminated=1): a new environment,
 *   or %NULL with %QI_HOST_ERROR_PLUGIN_FOLDER if the plugin folder is
 *   missing (or a value names a folder the host does not have), or the
 *   error of #QiHostClass.adjust_environment
 */
char **
qi_host_build_environment (QiHost              *self,
                           const char * const  *base_env,
                           GError             **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  g_auto(GStrv) envp = NULL;
  GError *local_error = NULL;
  char **adjusted;

  g_return_val_if_fail (QI_IS_HOST (self), NULL);

  if (priv->plugin_folder != NULL && priv->resolved_folder == NULL)
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER,
                   _("host “%s”: its plugin folder “%s” is known only once an addon adds the host"),
                   priv->name, priv->plugin_folder);
      return NULL;
    }
  if (priv->resolved_folder != NULL && !g_file_test (priv->resolved_folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER,
                   _("host “%s” of the addon “%s”: its plugin folder “%s” does not exist"),
                   priv->name, priv->addon, priv->resolved_folder);
      return NULL;
    }

  envp = base_env != NULL ? g_strdupv ((char **) base_env) : g_new0 (char *, 1);
  for (guint i = 0; i < priv->environment->len; i++)
    {
      EnvChange *change = &g_array_index (priv->environment, EnvChange, i);
      g_autofree char *value = expand (priv, change->name, change->value, TRUE, error);

      if (value == NULL)
        return NULL;
      if (change->op == ENV_PREPEND)
        {
          g_autofree char *list = prepend_entry (value, g_environ_getenv (envp, change->name));

          envp = g_environ_setenv (envp, change->name, list, TRUE);
        }
      else
        envp = g_environ_setenv (envp, change->name, value, TRUE);
    }
  envp = g_environ_setenv (envp, "QI_HOST", priv->name, TRUE);
  if (priv->resolved_folder != NULL)
    envp = g_environ_setenv (envp, "QI_HOST_PLUGIN_FOLDER", priv->resolved_folder, TRUE);

  adjusted = QI_HOST_GET_CLASS (self)->adjust_environment (self, g_steal_pointer (&envp), &local_error);
  if (adjusted == NULL)
    {
      if (local_error == NULL)
        local_error = g_error_new (QI_HOST_ERROR, QI_HOST_ERROR_FAILED,
                                   _("host “%s”: adjusting the environment failed without saying why"),
                                   priv->name);
      g_propagate_error (error, local_error);
    }
  return adjusted;
}

/**
 * qi_host_to_json:
 * @self: a #QiHost
 *
 * Describes the host for the hub (`addons.hosts`) and the in-DCC
 * integration: `name`, `label`, `addon`, `executables`, `plugin_folder`,
 * `environment` (`[{"name", "op": "set" or "prepend", "value"}]`, values
 * as given) and `menu` (`[{"label", "topic"}]`).
 *
 * Returns: (transfer full): a JSON object
 */
JsonNode *
qi_host_to_json (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *folder;

  g_return_val_if_fail (QI_IS_HOST (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, priv->name);
  json_builder_set_member_name (builder, "label");
  json_builder_add_string_value (builder, qi_host_get_label (self));
  json_builder_set_member_name (builder, "addon");
  if (priv->addon != NULL)
    json_builder_add_string_value (builder, priv->addon);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "executables");
  json_builder_begin_array (builder);
  for (guint i = 0; priv->executables->pdata[i] != NULL; i++)
    json_builder_add_string_value (builder, priv->executables->pdata[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "plugin_folder");
  folder = qi_host_get_plugin_folder (self);
  if (folder != NULL)
    json_builder_add_string_value (builder, folder);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "environment");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->environment->len; i++)
    {
      EnvChange *change = &g_array_index (priv->environment, EnvChange, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, change->name);
      json_builder_set_member_name (builder, "op");
      json_builder_add_string_value (builder, change->op == ENV_PREPEND ? "prepend" : "set");
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, change->value);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "menu");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->menu->len; i++)
    {
      MenuItem *item = &g_array_index (priv->menu, MenuItem, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, item->label);
      json_builder_set_member_name (builder, "topic");
      json_builder_add_string_value (builder, item->topic);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* A relative folder that stays inside the addon's: no “..”, no “/…”. */
static gboolean
stays_inside (const char *folder)
{
  g_auto(GStrv) parts = NULL;

  if (g_path_is_absolute (folder) || *folder == '\0')
    return FALSE;
  parts = g_strsplit (folder, G_DIR_SEPARATOR_S, -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_equal (parts[i], ".."))
      return FALSE;
  return TRUE;
}

gboolean
qi_host_attach (QiHost      *self,
                const char  *addon_name,
                const char  *addon_folder,
                GError     **error)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  if (priv->name == NULL || !qi_host_name_is_valid (priv->name))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("“%s” is not a host name: use lower-case letters, digits, “-” and “_”"),
                   priv->name != NULL ? priv->name : "");
      return FALSE;
    }
  if (priv->addon != NULL)
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_INVALID,
                   _("the host “%s” was already added by the addon “%s”"), priv->name, priv->addon);
      return FALSE;
    }
  if (priv->plugin_folder != NULL && !stays_inside (priv->plugin_folder))
    {
      g_set_error (error, QI_HOST_ERROR, QI_HOST_ERROR_PLUGIN_FOLDER,
                   _("host “%s”: the plugin folder “%s” must be a folder inside the addon's folder, "
                     "such as “host/%s”"), priv->name, priv->plugin_folder, priv->name);
      return FALSE;
    }

  priv->addon = g_strdup (addon_name);
  priv->addon_folder = g_strdup (addon_folder);
  if (priv->plugin_folder != NULL)
    {
      g_autofree char *joined = g_build_filename (addon_folder, priv->plugin_folder, NULL);

      priv->resolved_folder = g_canonicalize_filename (joined, NULL);
    }
  return TRUE;
}

void
qi_host_detach (QiHost *self)
{
  QiHostPrivate *priv = qi_host_get_instance_private (self);

  g_clear_pointer (&priv->addon, g_free);
  g_clear_pointer (&priv->addon_folder, g_free);
  g_clear_pointer (&priv->resolved_folder, g_free);
}

JsonNode *
qi_host_describe_environment_changes (const char * const *base,
                                      const char * const *env)
{
  g_autoptr(JsonObject) changes = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; env[i] != NULL; i++)
    {
      const char *equals = strchr (env[i], '=');
      g_autofree char *name = equals != NULL ? g_strndup (env[i], equals - env[i]) : g_strdup (env[i]);
      const char *before = g_environ_getenv ((char **) base, name);

      if (equals != NULL && g_strcmp0 (before, equals + 1) != 0)
        json_object_set_string_member (changes, name, equals + 1);
    }
  for (guint i = 0; base[i] != NULL; i++)
    {
      const char *equals = strchr (base[i], '=');
      g_autofree char *name = equals != NULL ? g_strndup (base[i], equals - base[i]) : g_strdup (base[i]);

      if (g_environ_getenv ((char **) env, name) == NULL)
        json_object_set_null_member (changes, name);
    }

  json_node_set_object (node, changes);
  return node;
}

/* qi_host_to_json() and "executable": the one found on the process's PATH,
 * or null; what `hosts list` and addons.hosts show. */
JsonNode *
qi_host_to_json_found (QiHost *self)
{
  JsonNode *node = qi_host_to_json (self);
  g_autofree char *executable = qi_host_find_executable (self, NULL, NULL);

  if (executable != NULL)
    json_object_set_string_member (json_node_get_object (node), "executable", executable);
  else
    json_object_set_null_member (json_node_get_object (node), "executable");
  return node;
}
