/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-workfile-handler.h"

/**
 * QiWorkfileHandler:
 *
 * What an addon does with a DCC's project files (workfiles) of some
 * extensions: open, save, version up, revert. An addon subclasses it,
 * implements #QiWorkfileHandlerClass.open and #QiWorkfileHandlerClass.save,
 * and adds it with qi_addon_add_workfile_handler(); #QiAddonManager then
 * dispatches by extension (qi_addon_manager_lookup_workfile_handler(), the
 * `addons.workfile.*` hub requests).
 *
 * Versioning up and reverting are the same for every DCC and come from
 * libqi: the default version up saves as qi_workfile_next_version() (never
 * over an existing file), the default revert reopens
 * qi_workfile_find_latest().
 *
 * ```c
 * handler = g_object_new (MY_TYPE_NUKE_SCRIPTS, "name", "nuke-scripts",
 *                         "host", "nuke", "extensions", (const char * const []) { ".nk", NULL },
 *                         NULL);
 * ```
 */

typedef struct
{
  char  *name;
  char  *host;
  GStrv  extensions;
} QiWorkfileHandlerPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (QiWorkfileHandler, qi_workfile_handler, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_HOST,
  PROP_EXTENSIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
unsupported (QiWorkfileHandler  *self,
             const char         *what,
             GError            **error)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (self);

  g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_SUPPORTED,
               _("the workfile handler “%s” cannot %s files (it does not implement %s)"),
               priv->name != NULL ? priv->name : G_OBJECT_TYPE_NAME (self), what, what);
  return FALSE;
}

static gboolean
qi_workfile_handler_real_open (QiWorkfileHandler  *self,
                               const char         *path,
                               GError            **error)
{
  return unsupported (self, "open", error);
}

static gboolean
qi_workfile_handler_real_save (QiWorkfileHandler  *self,
                               const char         *path,
                               GError            **error)
{
  return unsupported (self, "save", error);
}

static char *
qi_workfile_handler_real_version_up (QiWorkfileHandler  *self,
                                     const char         *path,
                                     GError            **error)
{
  g_autofree char *next = qi_workfile_next_version (path, error);

  if (next == NULL || !qi_workfile_handler_save (self, next, error))
    return NULL;
  return g_steal_pointer (&next);
}

static char *
qi_workfile_handler_real_revert (QiWorkfileHandler  *self,
                                 const char         *path,
                                 GError            **error)
{
  g_autofree char *latest = qi_workfile_find_latest (path, error);

  if (latest == NULL || !qi_workfile_handler_open (self, latest, error))
    return NULL;
  return g_steal_pointer (&latest);
}

static void
qi_workfile_handler_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (QI_WORKFILE_HANDLER (object));

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;
    case PROP_HOST:
      g_value_set_string (value, priv->host);
      break;
    case PROP_EXTENSIONS:
      g_value_set_boxed (value, priv->extensions);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_workfile_handler_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (QI_WORKFILE_HANDLER (object));

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;
    case PROP_HOST:
      priv->host = g_value_dup_string (value);
      break;
    case PROP_EXTENSIONS:
      g_strfreev (priv->extensions);
      priv->extensions = g_value_dup_boxed (value);
      if (priv->extensions == NULL)
        priv->extensions = g_new0 (char *, 1);
      /* Extensions match ignoring case; kept in lower case, so that two
       * handlers of ".nk" and ".NK" are seen to clash. */
      for (guint i = 0; priv->extensions[i] != NULL; i++)
        {
          char *lower = g_ascii_strdown (priv->extensions[i], -1);

          g_free (priv->extensions[i]);
          priv->extensions[i] = lower;
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_workfile_handler_finalize (GObject *object)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (QI_WORKFILE_HANDLER (object));

  g_free (priv->name);
  g_free (priv->host);
  g_strfreev (priv->extensions);

  G_OBJECT_CLASS (qi_workfile_handler_parent_class)->finalize (object);
}

static void
qi_workfile_handler_class_init (QiWorkfileHandlerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qi_workfile_handler_get_property;
  object_class->set_property = qi_workfile_handler_set_property;
  object_class->finalize = qi_workfile_handler_finalize;
  klass->open = qi_workfile_handler_real_open;
  klass->save = qi_workfile_handler_real_save;
  klass->version_up = qi_workfile_handler_real_version_up;
  klass->revert = qi_workfile_handler_real_revert;

  /**
   * QiWorkfileHandler:name:
   *
   * The handler's name, unique within its addon, such as `nuke-scripts`.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiWorkfileHandler:host:
   *
   * The host (DCC) whose files it handles, such as `nuke`, or %NULL for
   * any.
   */
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiWorkfileHandler:extensions:
   *
   * The extensions of the files it handles, each with its dot: `.nk`.
   */
  properties[PROP_EXTENSIONS] =
    g_param_spec_boxed ("extensions", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_workfile_handler_init (QiWorkfileHandler *self)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (self);

  priv->extensions = g_new0 (char *, 1);
}

/**
 * qi_workfile_extension_is_valid:
 * @extension: an extension
 *
 * Returns: %TRUE if @extension is a dot followed by letters, digits, `.`,
 *   `-` or `_` (at most 32 bytes): `.nk`, `.blend`, `.tar.gz`
 */
gboolean
qi_workfile_extension_is_valid (const char *extension)
{
  gsize length;

  g_return_val_if_fail (extension != NULL, FALSE);

  length = strlen (extension);
  if (length < 2 || length > 32 || extension[0] != '.' || extension[length - 1] == '.')
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!g_ascii_isalnum (extension[i]) && extension[i] != '.' && extension[i] != '-' && extension[i] != '_')
      return FALSE;
  return TRUE;
}

/**
 * qi_workfile_handler_get_name:
 * @self: a #QiWorkfileHandler
 *
 * Returns: (transfer none) (nullable): the handler's name
 */
const char *
qi_workfile_handler_get_name (QiWorkfileHandler *self)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (self);

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), NULL);
  return priv->name;
}

/**
 * qi_workfile_handler_get_host:
 * @self: a #QiWorkfileHandler
 *
 * Returns: (transfer none) (nullable): the host whose files it handles,
 *   or %NULL for any
 */
const char *
qi_workfile_handler_get_host (QiWorkfileHandler *self)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (self);

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), NULL);
  return priv->host;
}

/**
 * qi_workfile_handler_get_extensions:
 * @self: a #QiWorkfileHandler
 *
 * Returns: (transfer none) (array zero-terminated=1): the extensions it
 *   handles
 */
const char * const *
qi_workfile_handler_get_extensions (QiWorkfileHandler *self)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (self);

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), NULL);
  return (const char * const *) priv->extensions;
}

/**
 * qi_workfile_handler_handles:
 * @self: a #QiWorkfileHandler
 * @path: (type filename): a file's path
 *
 * Returns: %TRUE if @path ends in one of its extensions (ignoring ASCII
 *   case) and has a name before it
 */
gboolean
qi_workfile_handler_handles (QiWorkfileHandler *self,
                             const char        *path)
{
  QiWorkfileHandlerPrivate *priv = qi_workfile_handler_get_instance_private (self);
  g_autofree char *name = NULL;
  gsize length;

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  name = g_path_get_basename (path);
  length = strlen (name);
  for (guint i = 0; priv->extensions[i] != NULL; i++)
    {
      gsize extension_length = strlen (priv->extensions[i]);

      if (length > extension_length &&
          g_ascii_strcasecmp (name + length - extension_length, priv->extensions[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A vfunc that fails must say why; one that does not is the handler's bug. */
static void
check_error (QiWorkfileHandler  *self,
             const char         *what,
             GError            **error,
             GError             *local_error)
{
  if (local_error == NULL)
    local_error = g_error_new (QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_FAILED,
                               _("the workfile handler “%s” failed to %s without saying why"),
                               qi_workfile_handler_get_name (self), what);
  g_propagate_error (error, local_error);
}

/**
 * qi_workfile_handler_open:
 * @self: a #QiWorkfileHandler
 * @path: (type filename): the file to open
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the DCC opened @path
 */
gboolean
qi_workfile_handler_open (QiWorkfileHandler  *self,
                          const char         *path,
                          GError            **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (QI_WORKFILE_HANDLER_GET_CLASS (self)->open (self, path, &local_error))
    return TRUE;
  check_error (self, "open", error, local_error);
  return FALSE;
}

/**
 * qi_workfile_handler_save:
 * @self: a #QiWorkfileHandler
 * @path: (type filename): where to save
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the DCC saved its scene as @path
 */
gboolean
qi_workfile_handler_save (QiWorkfileHandler  *self,
                          const char         *path,
                          GError            **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (QI_WORKFILE_HANDLER_GET_CLASS (self)->save (self, path, &local_error))
    return TRUE;
  check_error (self, "save", error, local_error);
  return FALSE;
}

/**
 * qi_workfile_handler_version_up:
 * @self: a #QiWorkfileHandler
 * @path: (type filename): the current workfile
 * @error: return location for a #GError
 *
 * Saves the scene as the next version of @path (see
 * qi_workfile_next_version()).
 *
 * Returns: (transfer full) (type filename): the path saved, or %NULL with
 *   an error (%QI_WORKFILE_ERROR_NO_VERSION for a name without a version)
 */
char *
qi_workfile_handler_version_up (QiWorkfileHandler  *self,
                                const char         *path,
                                GError            **error)
{
  GError *local_error = NULL;
  char *saved;

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  saved = QI_WORKFILE_HANDLER_GET_CLASS (self)->version_up (self, path, &local_error);
  if (saved == NULL)
    check_error (self, "version up", error, local_error);
  return saved;
}

/**
 * qi_workfile_handler_revert:
 * @self: a #QiWorkfileHandler
 * @path: (type filename): the current workfile
 * @error: return location for a #GError
 *
 * Reopens the latest saved version of @path (see
 * qi_workfile_find_latest()), dropping what was not saved.
 *
 * Returns: (transfer full) (type filename): the path opened, or %NULL
 *   with an error
 */
char *
qi_workfile_handler_revert (QiWorkfileHandler  *self,
                            const char         *path,
                            GError            **error)
{
  GError *local_error = NULL;
  char *opened;

  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  opened = QI_WORKFILE_HANDLER_GET_CLASS (self)->revert (self, path, &local_error);
  if (opened == NULL)
    check_error (self, "revert", error, local_error);
  return opened;
}
