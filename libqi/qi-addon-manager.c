/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-addon-manager.h"
#include "qi-addon-module.h"
#include "qi-addon-private.h"
#include "qi-settings.h"

/**
 * QiAddonManager:
 *
 * Finds the addons and puts them in order, reading **metadata only**: no
 * module is opened and no Python imported while it discovers and
 * resolves.
 *
 * Each search path holds addon folders (see #QiAddonInfo): folders with an
 * `addon.toml`, an `addon.py` or a module named after the folder; they
 * are scanned in name order; an addon whose name an earlier path already gave is
 * %QI_ADDON_STATE_DISABLED (shadowed), so a `--addon-path` folder
 * overrides the installed addon of the same name.
 *
 * qi_addon_manager_check_providers() is phase 1 of the bootstrap: each
 * provider role must have exactly one usable addon. qi_addon_manager_resolve()
 * is phase 4's order: the addons of the bundle's allow-list, each after
 * the addons it depends on. An addon whose dependency is missing, failed,
 * of a version outside the range it asks for, or that is part of a cycle,
 * is %QI_ADDON_STATE_FAILED with a message naming the addons; so is each
 * addon that needs a failed one, transitively. Nothing else is affected.
 */

/* A loaded addon: its instance and the module that holds its type. */
typedef struct
{
  QiAddon       *addon;
  QiAddonModule *module;   /* NULL for an addon without code */
  QiAddonInfo   *info;
} Loaded;

struct _QiAddonManager
{
  QiService     parent_instance;

  GPtrArray    *search_paths;   /* of char *, NULL-terminated */
  GPtrArray    *addons;         /* of QiAddonInfo, in discovery order */
  GHashTable   *by_name;        /* name → QiAddonInfo (the usable one) */
  GPtrArray    *loaded;         /* of Loaded, in load order */
  QiHub        *hub;
  QiCliManager *cli;
  QiRestRouter *router;
  QiSettings   *settings;
};

G_DEFINE_FINAL_TYPE (QiAddonManager, qi_addon_manager, QI_TYPE_SERVICE)

enum {
  PROP_0,
  PROP_HUB,
  PROP_CLI_MANAGER,
  PROP_ROUTER,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
loaded_free (gpointer data)
{
  Loaded *loaded = data;

  g_clear_object (&loaded->addon);
  /* Only once its last instance is gone may the module close. */
  if (loaded->module != NULL)
    g_type_module_unuse (G_TYPE_MODULE (loaded->module));
  g_clear_object (&loaded->info);
  g_free (loaded);
}

static void
qi_addon_manager_stop (QiService *service)
{
  qi_addon_manager_close_all (QI_ADDON_MANAGER (service));
}

static void
qi_addon_manager_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  QiAddonManager *self = QI_ADDON_MANAGER (object);

  switch (prop_id)
    {
    case PROP_HUB:
      g_value_set_object (value, self->hub);
      break;
    case PROP_CLI_MANAGER:
      g_value_set_object (value, self->cli);
      break;
    case PROP_ROUTER:
      g_value_set_object (value, self->router);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_addon_manager_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  QiAddonManager *self = QI_ADDON_MANAGER (object);

  switch (prop_id)
    {
    case PROP_HUB:
      g_set_object (&self->hub, g_value_get_object (value));
      break;
    case PROP_CLI_MANAGER:
      g_set_object (&self->cli, g_value_get_object (value));
      break;
    case PROP_ROUTER:
      g_set_object (&self->router, g_value_get_object (value));
      break;
    case PROP_SETTINGS:
      g_set_object (&self->settings, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_addon_manager_dispose (GObject *object)
{
  QiAddonManager *self = QI_ADDON_MANAGER (object);

  if (self->loaded != NULL)
    qi_addon_manager_close_all (self);
  g_clear_object (&self->hub);
  g_clear_object (&self->cli);
  g_clear_object (&self->router);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (qi_addon_manager_parent_class)->dispose (object);
}

static void
qi_addon_manager_finalize (GObject *object)
{
  QiAddonManager *self = QI_ADDON_MANAGER (object);

  g_ptr_array_unref (self->search_paths);
  g_ptr_array_unref (self->addons);
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->loaded);

  G_OBJECT_CLASS (qi_addon_manager_parent_class)->finalize (object);
}

static void
qi_addon_manager_class_init (QiAddonManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qi_addon_manager_get_property;
  object_class->set_property = qi_addon_manager_set_property;
  object_class->dispose = qi_addon_manager_dispose;
  object_class->finalize = qi_addon_manager_finalize;
  QI_SERVICE_CLASS (klass)->stop = qi_addon_manager_stop;

  /**
   * QiAddonManager:hub:
   *
   * The hub the addons' sessions open in.
   */
  properties[PROP_HUB] =
    g_param_spec_object ("hub", NULL, NULL, QI_TYPE_HUB,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddonManager:cli-manager:
   *
   * The registry the addons' CLI verbs go to.
   */
  properties[PROP_CLI_MANAGER] =
    g_param_spec_object ("cli-manager", NULL, NULL, QI_TYPE_CLI_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddonManager:router:
   *
   * The router the addons' REST routes go to; the server serves it.
   */
  properties[PROP_ROUTER] =
    g_param_spec_object ("router", NULL, NULL, QI_TYPE_REST_ROUTER,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddonManager:settings:
   *
   * The settings service the addons' settings schemas go to
   * (qi_settings_schema_attach()); %NULL for none.
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, QI_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_addon_manager_init (QiAddonManager *self)
{
  self->search_paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->search_paths, NULL);
  self->addons = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->loaded = g_ptr_array_new_with_free_func (loaded_free);
}

/**
 * qi_addon_manager_new:
 *
 * Returns: (transfer full): a new #QiAddonManager without search paths
 */
QiAddonManager *
qi_addon_manager_new (void)
{
  return g_object_new (QI_TYPE_ADDON_MANAGER,
                       "name", "addons",
                       "description", _("Finds addons, checks their metadata and puts them in order"),
                       NULL);
}

/**
 * qi_addon_manager_add_search_path:
 * @self: a #QiAddonManager
 * @path: (type filename): a folder of addon folders
 *
 * Adds @path after the search paths already given (earlier paths win).
 */
void
qi_addon_manager_add_search_path (QiAddonManager *self,
                                  const char     *path)
{
  g_return_if_fail (QI_IS_ADDON_MANAGER (self));
  g_return_if_fail (path != NULL);

  g_ptr_array_insert (self->search_paths, self->search_paths->len - 1, g_strdup (path));
}

/**
 * qi_addon_manager_get_search_paths:
 * @self: a #QiAddonManager
 *
 * Returns: (transfer none) (array zero-terminated=1): the search paths, in
 *   order of precedence
 */
const char * const *
qi_addon_manager_get_search_paths (QiAddonManager *self)
{
  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  return (const char * const *) self->search_paths->pdata;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* An addon folder has an addon.toml, an addon.py or its module; any other
 * folder on an addon path (a build tree's meson-logs, say) is not one. */
static gboolean
looks_like_addon (const char *folder,
                  const char *name)
{
  const char *markers[] = { "addon.toml", "addon.py", NULL, NULL, NULL };
  g_autofree char *plain = g_strconcat (name, ".so", NULL);
  g_autofree char *prefixed = g_strconcat ("lib", name, ".so", NULL);

  markers[2] = plain;
  markers[3] = prefixed;
  for (guint i = 0; markers[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (folder, markers[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  g_debug ("“%s” is not an addon: it has no addon.toml, addon.py or %s", folder, plain);
  return FALSE;
}

static void
scan_path (QiAddonManager *self,
           const char     *path)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    {
      g_debug ("Addon path “%s” skipped: %s", path, error->message);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *folder = g_build_filename (path, names->pdata[i], NULL);
      g_autoptr(QiAddonInfo) info = NULL;
      QiAddonInfo *earlier;

      if (!g_file_test (folder, G_FILE_TEST_IS_DIR) || !looks_like_addon (folder, names->pdata[i]))
        continue;

      info = qi_addon_info_new_for_path (folder, NULL);
      if (info == NULL)
        continue;

      earlier = g_hash_table_lookup (self->by_name, qi_addon_info_get_name (info));
      if (earlier != NULL)
        {
          g_autoptr(GError) shadowed = g_error_new (QI_ADDON_ERROR, QI_ADDON_ERROR_DUPLICATE,
                                                    _("shadowed by the addon of the same name in “%s”"),
                                                    qi_addon_info_get_path (earlier));

          qi_addon_info_set_state (info, QI_ADDON_STATE_DISABLED, shadowed);
        }
      else
        g_hash_table_insert (self->by_name, (gpointer) qi_addon_info_get_name (info), info);

      g_ptr_array_add (self->addons, g_steal_pointer (&info));
    }
}

/**
 * qi_addon_manager_discover:
 * @self: a #QiAddonManager
 *
 * Scans the search paths anew, reading each addon's metadata only. A
 * search path that does not exist is skipped; an addon whose metadata is
 * bad is listed, %QI_ADDON_STATE_FAILED.
 */
void
qi_addon_manager_discover (QiAddonManager *self)
{
  g_return_if_fail (QI_IS_ADDON_MANAGER (self));

  g_hash_table_remove_all (self->by_name);
  g_ptr_array_set_size (self->addons, 0);

  for (guint i = 0; i + 1 < self->search_paths->len; i++)
    scan_path (self, self->search_paths->pdata[i]);
}

/**
 * qi_addon_manager_add_local_addon:
 * @self: a #QiAddonManager, discovered
 * @name: the addon's name, as the bundle gives it
 * @folder: (type filename): the addon's own folder, absolute
 * @bundle: the dev bundle that points there, for messages
 * @error: return location for a #GError
 *
 * Takes the addon in @folder (a dev bundle's local checkout, such as
 * `loader=/home/me/src/loader`) as the one that counts for @name, over
 * any of the search paths, which is then disabled as shadowed. Reads the
 * metadata only, like discovery.
 *
 * Returns: %TRUE, or %FALSE if @folder is not an addon folder or holds
 *   another addon than @name; the addon of that name in the search paths
 *   is then failed with the same error, so that it does not load instead
 */
gboolean
qi_addon_manager_add_local_addon (QiAddonManager  *self,
                                  const char      *name,
                                  const char      *folder,
                                  const char      *bundle,
                                  GError         **error)
{
  g_autoptr(QiAddonInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *base = NULL;
  QiAddonInfo *earlier;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL && folder != NULL && bundle != NULL, FALSE);

  earlier = g_hash_table_lookup (self->by_name, name);
  base = g_path_get_basename (folder);
  if (!g_path_is_absolute (folder) || !g_file_test (folder, G_FILE_TEST_IS_DIR) ||
      !looks_like_addon (folder, base))
    g_set_error (&local_error, QI_ADDON_ERROR, QI_ADDON_ERROR_NOT_FOUND,
                 _("the dev bundle “%s” points “%s” at “%s”, which is not an addon folder "
                   "(it needs addon.toml, addon.py or %s.so)"),
                 bundle, name, folder, base);
  else if ((info = qi_addon_info_new_for_path (folder, &local_error)) != NULL &&
           !g_str_equal (qi_addon_info_get_name (info), name))
    g_set_error (&local_error, QI_ADDON_ERROR, QI_ADDON_ERROR_NOT_FOUND,
                 _("the dev bundle “%s” points “%s” at “%s”, which holds the addon “%s”"),
                 bundle, name, folder, qi_addon_info_get_name (info));

  if (local_error != NULL)
    {
      /* The installed addon does not stand in for the developer's copy. */
      if (earlier != NULL)
        qi_addon_info_set_state (earlier, QI_ADDON_STATE_FAILED, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (earlier != NULL)
    {
      g_autoptr(GError) shadowed = g_error_new (QI_ADDON_ERROR, QI_ADDON_ERROR_DUPLICATE,
                                                _("shadowed by “%s” of the dev bundle “%s”"),
                                                folder, bundle);

      qi_addon_info_set_state (earlier, QI_ADDON_STATE_DISABLED, shadowed);
    }
  g_hash_table_insert (self->by_name, (gpointer) qi_addon_info_get_name (info), info);
  g_ptr_array_add (self->addons, g_steal_pointer (&info));
  return TRUE;
}

/**
 * qi_addon_manager_list_addons:
 * @self: a #QiAddonManager
 *
 * Returns: (transfer container) (element-type QiAddonInfo): every addon
 *   found, in the order of the search paths and of their names
 */
GPtrArray *
qi_addon_manager_list_addons (QiAddonManager *self)
{
  GPtrArray *list;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  list = g_ptr_array_new_full (self->addons->len, g_object_unref);
  for (guint i = 0; i < self->addons->len; i++)
    g_ptr_array_add (list, g_object_ref (self->addons->pdata[i]));
  return list;
}

/**
 * qi_addon_manager_lookup:
 * @self: a #QiAddonManager
 * @name: an addon's name
 *
 * Returns: (transfer none) (nullable): the addon of that name that counts
 *   (the first in the search paths), or %NULL
 */
QiAddonInfo *
qi_addon_manager_lookup (QiAddonManager *self,
                         const char     *name)
{
  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->by_name, name);
}

/**
 * qi_addon_manager_list_providers:
 * @self: a #QiAddonManager
 * @role: a role, such as `db`
 *
 * Returns: (transfer container) (element-type QiAddonInfo): the addons that
 *   count and are not failed that provide @role
 */
GPtrArray *
qi_addon_manager_list_providers (QiAddonManager *self,
                                 const char     *role)
{
  GPtrArray *providers;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (role != NULL, NULL);

  providers = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->addons->len; i++)
    {
      QiAddonInfo *info = self->addons->pdata[i];
      QiAddonState state = qi_addon_info_get_state (info);

      if (state != QI_ADDON_STATE_FAILED && state != QI_ADDON_STATE_DISABLED &&
          qi_addon_info_has_role (info, role))
        g_ptr_array_add (providers, g_object_ref (info));
    }
  return providers;
}

static char *
join_names (GPtrArray *infos)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < infos->len; i++)
    {
      QiAddonInfo *info = infos->pdata[i];

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append_printf (text, "“%s” (%s)", qi_addon_info_get_name (info),
                              qi_addon_info_get_path (info));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * qi_addon_manager_check_providers:
 * @self: a #QiAddonManager
 * @roles: (array zero-terminated=1): the roles that must be provided, such
 *   as %QI_ADDON_PROVIDER_ROLES
 * @error: return location for a #GError
 *
 * Checks that each of @roles has exactly one provider among the addons
 * found. This is fatal for the application when it fails: it cannot tell
 * which tracker or login to use.
 *
 * Returns: %TRUE if each role has one provider; %FALSE with
 *   %QI_ADDON_ERROR_PROVIDERS naming the roles and the addons
 */
gboolean
qi_addon_manager_check_providers (QiAddonManager      *self,
                                  const char * const  *roles,
                                  GError             **error)
{
  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), FALSE);
  g_return_val_if_fail (roles != NULL, FALSE);

  for (guint i = 0; roles[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) providers = qi_addon_manager_list_providers (self, roles[i]);

      if (providers->len == 0)
        {
          g_autofree char *paths = g_strjoinv (", ", (char **) self->search_paths->pdata);

          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                       _("no addon provides the role “%s” (searched: %s); install one or add its "
                         "folder with --addon-path"),
                       roles[i], *paths != '\0' ? paths : _("no addon paths"));
          return FALSE;
        }

      if (providers->len > 1)
        {
          g_autofree char *names = join_names (providers);

          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                       _("%u addons provide the role “%s”: %s; keep one of them in the bundle"),
                       providers->len, roles[i], names);
          return FALSE;
        }
    }

  return TRUE;
}

typedef enum { WHITE, GREY, BLACK } Colour;

typedef struct
{
  QiAddonManager *self;
  GHashTable     *colours;   /* name → Colour */
  GPtrArray      *stack;     /* of QiAddonInfo, the path being walked */
  GPtrArray      *order;
  GHashTable     *allowed;   /* name → itself, or NULL for all */
} Walk;

static void
fail (QiAddonInfo  *info,
      QiAddonError  code,
      const char   *format,
      ...) G_GNUC_PRINTF (3, 4);

static void
fail (QiAddonInfo  *info,
      QiAddonError  code,
      const char   *format,
      ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  va_list args;

  /* The first reason stands. */
  if (qi_addon_info_get_state (info) == QI_ADDON_STATE_FAILED)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  error = g_error_new_literal (QI_ADDON_ERROR, code, message);
  qi_addon_info_set_state (info, QI_ADDON_STATE_FAILED, error);
}

static gboolean walk (Walk *w, QiAddonInfo *info);

/* Checks one dependency of @info; returns FALSE if @info cannot load. */
static gboolean
walk_dependency (Walk        *w,
                 QiAddonInfo *info,
                 const char  *name)
{
  const QiVersionRange *range = qi_addon_info_get_dependency_range (info, name);
  QiAddonInfo *dependency = g_hash_table_lookup (w->self->by_name, name);
  const QiSemver *version;

  if (dependency == NULL)
    {
      fail (info, QI_ADDON_ERROR_DEPENDENCY, _("needs the addon “%s” (%s), which is not installed"),
            name, qi_version_range_get_text (range));
      return FALSE;
    }

  if (w->allowed != NULL && !g_hash_table_contains (w->allowed, name))
    {
      fail (info, QI_ADDON_ERROR_DEPENDENCY, _("needs the addon “%s”, which the bundle leaves out"), name);
      return FALSE;
    }

  version = qi_addon_info_get_version (dependency);
  if (version == NULL || !qi_version_range_contains (range, version))
    {
      g_autofree char *found = version != NULL ? qi_semver_to_string (version) : NULL;

      if (found != NULL)
        fail (info, QI_ADDON_ERROR_DEPENDENCY,
              _("needs “%s” %s, but “%s” is version %s (%s)"), name,
              qi_version_range_get_text (range), name, found, qi_addon_info_get_path (dependency));
      else
        fail (info, QI_ADDON_ERROR_DEPENDENCY,
              _("needs “%s” %s, but “%s” names no version in its addon.toml"), name,
              qi_version_range_get_text (range), name);
      return FALSE;
    }

  if (!walk (w, dependency))
    {
      const GError *cause = qi_addon_info_get_error (dependency);

      fail (info, QI_ADDON_ERROR_DEPENDENCY, _("needs “%s”, which cannot load: %s"), name,
            cause != NULL ? cause->message : _("unknown reason"));
      return FALSE;
    }

  return TRUE;
}

/* Depth first; a grey node met again closes a cycle. */
static gboolean
walk (Walk        *w,
      QiAddonInfo *info)
{
  const char *name = qi_addon_info_get_name (info);
  Colour colour = GPOINTER_TO_INT (g_hash_table_lookup (w->colours, name));
  const char * const *dependencies;
  gboolean ok = TRUE;

  if (colour == BLACK)
    return qi_addon_info_get_state (info) != QI_ADDON_STATE_FAILED;

  if (colour == GREY)
    {
      g_autoptr(GString) cycle = g_string_new (NULL);
      guint start = 0;

      while (start < w->stack->len && w->stack->pdata[start] != info)
        start++;
      for (guint i = start; i < w->stack->len; i++)
        g_string_append_printf (cycle, "%s → ", qi_addon_info_get_name (w->stack->pdata[i]));
      g_string_append (cycle, name);
      for (guint i = start; i < w->stack->len; i++)
        fail (w->stack->pdata[i], QI_ADDON_ERROR_CYCLE, _("dependency cycle: %s"), cycle->str);
      return FALSE;
    }

  if (qi_addon_info_get_state (info) == QI_ADDON_STATE_FAILED)
    {
      g_hash_table_insert (w->colours, (gpointer) name, GINT_TO_POINTER (BLACK));
      return FALSE;
    }

  g_hash_table_insert (w->colours, (gpointer) name, GINT_TO_POINTER (GREY));
  g_ptr_array_add (w->stack, info);

  dependencies = qi_addon_info_get_dependencies (info);
  for (guint i = 0; dependencies[i] != NULL; i++)
    if (!walk_dependency (w, info, dependencies[i]))
      ok = FALSE;

  g_ptr_array_remove_index (w->stack, w->stack->len - 1);
  g_hash_table_insert (w->colours, (gpointer) name, GINT_TO_POINTER (BLACK));

  /* A cycle found below marked this addon failed too. */
  if (ok && qi_addon_info_get_state (info) != QI_ADDON_STATE_FAILED)
    {
      g_ptr_array_add (w->order, g_object_ref (info));
      return TRUE;
    }
  return FALSE;
}

/**
 * qi_addon_manager_resolve:
 * @self: a #QiAddonManager
 * @allow_list: (array zero-terminated=1) (nullable): the addons the bundle
 *   allows, or %NULL for every addon found
 *
 * Puts the addons to load in order, dependencies first, and marks those
 * that cannot load %QI_ADDON_STATE_FAILED (with the reason) and those left
 * out by @allow_list %QI_ADDON_STATE_DISABLED. Runs no addon code.
 *
 * Returns: (transfer container) (element-type QiAddonInfo): the addons to
 *   load, in order
 */
GPtrArray *
qi_addon_manager_resolve (QiAddonManager     *self,
                          const char * const *allow_list)
{
  g_autoptr(GHashTable) colours = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  g_autoptr(GHashTable) allowed = NULL;
  Walk w = { self, colours, stack, g_ptr_array_new_with_free_func (g_object_unref), NULL };

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  if (allow_list != NULL)
    {
      allowed = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; allow_list[i] != NULL; i++)
        g_hash_table_add (allowed, (gpointer) allow_list[i]);
      w.allowed = allowed;
    }

  for (guint i = 0; i < self->addons->len; i++)
    {
      QiAddonInfo *info = self->addons->pdata[i];
      const char *name = qi_addon_info_get_name (info);

      if (qi_addon_info_get_state (info) == QI_ADDON_STATE_DISABLED ||
          g_hash_table_lookup (self->by_name, name) != info)
        continue;

      if (allowed != NULL && !g_hash_table_contains (allowed, name))
        {
          g_autoptr(GError) left_out = g_error_new_literal (QI_ADDON_ERROR, QI_ADDON_ERROR_NOT_FOUND,
                                                            _("not in the bundle"));

          if (qi_addon_info_get_state (info) != QI_ADDON_STATE_FAILED)
            qi_addon_info_set_state (info, QI_ADDON_STATE_DISABLED, left_out);
          continue;
        }

      walk (&w, info);
    }

  return w.order;
}

static QiAddonError
code_of (const GError *error)
{
  return error->domain == QI_ADDON_ERROR ? (QiAddonError) error->code : QI_ADDON_ERROR_FAILED;
}

static Loaded *
find_loaded (QiAddonManager *self,
             const char     *name)
{
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];

      if (g_str_equal (qi_addon_info_get_name (loaded->info), name))
        return loaded;
    }
  return NULL;
}

static QiAddon *
instantiate (QiAddonManager  *self,
             QiAddonInfo     *info,
             GType            type,
             GError         **error)
{
  g_autofree char *session = g_strconcat (QI_MESSAGE_BUS_HUB_SESSION "/addon/",
                                          qi_addon_info_get_name (info), NULL);
  g_autoptr(QiHubEndpoint) endpoint = NULL;

  endpoint = qi_hub_open_endpoint (self->hub, session, QI_MESSAGE_BUS_HUB_SESSION, error);
  if (endpoint == NULL)
    return NULL;

  return g_object_new (type,
                       "info", info,
                       "endpoint", endpoint,
                       "cli-manager", self->cli,
                       "router", self->router,
                       NULL);
}

/* The settings schema of the addon's class, if it has one, goes to the
 * settings service before register, so that register can read them. A
 * schema built wrongly fails the addon, with or without the service. */
static gboolean
add_settings (QiAddonManager  *self,
              QiAddonInfo     *info,
              GType            type,
              GError         **error)
{
  QiSettingsSchema *schema = qi_settings_schema_lookup (type);
  const GError *broken;

  if (schema == NULL)
    return TRUE;
  broken = qi_settings_schema_get_error (schema);
  if (broken != NULL)
    {
      g_set_error_literal (error, broken->domain, broken->code, broken->message);
      return FALSE;
    }
  return self->settings == NULL ||
         qi_settings_add_schema (self->settings, qi_addon_info_get_name (info), schema, error);
}

static void
remove_settings (QiAddonManager *self,
                 QiAddonInfo    *info)
{
  if (self->settings != NULL)
    qi_settings_remove_schema (self->settings, qi_addon_info_get_name (info));
}

static void
load_one (QiAddonManager *self,
          QiAddonInfo    *info)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiAddon) addon = NULL;
  const char * const *dependencies = qi_addon_info_get_dependencies (info);
  QiAddonModule *module = NULL;
  Loaded *loaded;
  GType type = QI_TYPE_ADDON;

  /* A dependency that failed to load takes its dependents with it. */
  for (guint i = 0; dependencies[i] != NULL; i++)
    {
      Loaded *dependency = find_loaded (self, dependencies[i]);

      if (dependency == NULL)
        {
          QiAddonInfo *dependency_info = g_hash_table_lookup (self->by_name, dependencies[i]);
          const GError *cause = dependency_info != NULL ? qi_addon_info_get_error (dependency_info) : NULL;

          fail (info, QI_ADDON_ERROR_DEPENDENCY, _("needs “%s”, which failed to load: %s"),
                dependencies[i], cause != NULL ? cause->message : _("unknown reason"));
          return;
        }
    }

  switch (qi_addon_info_get_kind (info))
    {
    case QI_ADDON_KIND_NATIVE:
      {
        const char *path = qi_addon_info_get_module_path (info);

        module = qi_addon_module_get_for_path (path);
        type = qi_addon_module_load_type (module, &error);
        if (type == G_TYPE_INVALID)
          {
            fail (info, code_of (error), "%s", error->message);
            return;
          }
      }
      break;

    case QI_ADDON_KIND_PYTHON:
      {
        g_autoptr(GError) disabled = g_error_new_literal (QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE,
                                                          _("a Python addon: this Qi has no Python bridge yet"));

        qi_addon_info_set_state (info, QI_ADDON_STATE_DISABLED, disabled);
        return;
      }

    case QI_ADDON_KIND_DATA:
    default:
      /* Folders only (plugins, UI): a plain QiAddon stands for it. */
      break;
    }

  addon = instantiate (self, info, type, &error);
  if (addon != NULL && !add_settings (self, info, type, &error))
    {
      fail (info, QI_ADDON_ERROR_FAILED, _("settings: %s"), error->message);
      g_clear_object (&addon);
      if (module != NULL)
        g_type_module_unuse (G_TYPE_MODULE (module));
      return;
    }
  if (addon == NULL || !qi_addon_run_register (addon, &error))
    {
      fail (info, code_of (error), _("register: %s"), error->message);
      remove_settings (self, info);
      g_clear_object (&addon);
      if (module != NULL)
        g_type_module_unuse (G_TYPE_MODULE (module));
      return;
    }

  loaded = g_new0 (Loaded, 1);
  loaded->addon = g_steal_pointer (&addon);
  loaded->module = module;
  loaded->info = g_object_ref (info);
  g_ptr_array_add (self->loaded, loaded);
  qi_addon_info_set_state (info, QI_ADDON_STATE_LOADED, NULL);
}

/**
 * qi_addon_manager_load:
 * @self: a #QiAddonManager with its hub, CLI manager and router set
 * @allow_list: (array zero-terminated=1) (nullable): the addons the bundle
 *   allows, or %NULL for all
 *
 * Phase 4: resolves the order (qi_addon_manager_resolve()), then for each
 * addon opens its module, creates its #QiAddon with its own hub session
 * and runs register; once all have registered, runs install in the same
 * order. An addon that fails is %QI_ADDON_STATE_FAILED with the reason,
 * leaves nothing behind, and takes the addons that need it with it; the
 * others load. Loaded addons are %QI_ADDON_STATE_LOADED.
 */
void
qi_addon_manager_load (QiAddonManager     *self,
                       const char * const *allow_list)
{
  g_autoptr(GPtrArray) order = NULL;
  guint first_new;

  g_return_if_fail (QI_IS_ADDON_MANAGER (self));
  g_return_if_fail (QI_IS_HUB (self->hub));
  g_return_if_fail (QI_IS_CLI_MANAGER (self->cli));
  g_return_if_fail (QI_IS_REST_ROUTER (self->router));

  first_new = self->loaded->len;
  order = qi_addon_manager_resolve (self, allow_list);
  for (guint i = 0; i < order->len; i++)
    {
      /* Loading again loads only what is not loaded yet. */
      if (find_loaded (self, qi_addon_info_get_name (order->pdata[i])) == NULL)
        load_one (self, order->pdata[i]);
    }

  /* Install what was just registered, in the same order; an addon that
   * fails (or needs one that did) is closed and dropped. */
  for (guint i = first_new; i < self->loaded->len;)
    {
      Loaded *loaded = self->loaded->pdata[i];
      const char * const *dependencies = qi_addon_info_get_dependencies (loaded->info);
      g_autoptr(GError) error = NULL;

      for (guint j = 0; dependencies[j] != NULL && error == NULL; j++)
        if (qi_addon_info_get_state (g_hash_table_lookup (self->by_name, dependencies[j])) != QI_ADDON_STATE_LOADED)
          g_set_error (&error, QI_ADDON_ERROR, QI_ADDON_ERROR_DEPENDENCY,
                       _("needs “%s”, which failed to install"), dependencies[j]);

      if (error == NULL && !qi_addon_run_install (loaded->addon, &error))
        g_prefix_error (&error, _("install: "));

      if (error == NULL)
        {
          i++;
          continue;
        }

      qi_addon_run_close (loaded->addon);
      remove_settings (self, loaded->info);
      qi_addon_info_set_state (loaded->info, QI_ADDON_STATE_FAILED, error);
      g_ptr_array_remove_index (self->loaded, i);
    }
}

/**
 * qi_addon_manager_get_addon:
 * @self: a #QiAddonManager
 * @name: an addon's name
 *
 * Returns: (transfer none) (nullable): the loaded addon of that name
 */
QiAddon *
qi_addon_manager_get_addon (QiAddonManager *self,
                            const char     *name)
{
  Loaded *loaded;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  loaded = find_loaded (self, name);
  return loaded != NULL ? loaded->addon : NULL;
}

/**
 * qi_addon_manager_close_all:
 * @self: a #QiAddonManager
 *
 * Phase 8: closes the loaded addons, last loaded first, removing what
 * they added; their modules close once nothing of them is left.
 */
void
qi_addon_manager_close_all (QiAddonManager *self)
{
  g_return_if_fail (QI_IS_ADDON_MANAGER (self));

  while (self->loaded->len > 0)
    {
      Loaded *loaded = self->loaded->pdata[self->loaded->len - 1];

      qi_addon_run_close (loaded->addon);
      remove_settings (self, loaded->info);
      qi_addon_info_set_state (loaded->info, QI_ADDON_STATE_DISCOVERED, NULL);
      g_ptr_array_remove_index (self->loaded, self->loaded->len - 1);
    }
}

/**
 * qi_addon_manager_get_router:
 * @self: a #QiAddonManager
 *
 * Returns: (transfer none) (nullable): the router the addons' REST routes
 *   go to, for the server to serve
 */
QiRestRouter *
qi_addon_manager_get_router (QiAddonManager *self)
{
  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  return self->router;
}

/**
 * qi_addon_manager_pin:
 * @self: a #QiAddonManager
 * @name: an addon's name
 * @version: the version the bundle names for it
 * @bundle: the bundle's name, for the message
 *
 * Holds the addon to the version a bundle pins: if the addon found has
 * another version, or none, or is not found, it is marked
 * %QI_ADDON_STATE_FAILED (%QI_ADDON_ERROR_DEPENDENCY) saying so, and so it
 * does not load. Call it after qi_addon_manager_discover().
 *
 * Returns: %TRUE if the addon found has that version
 */
gboolean
qi_addon_manager_pin (QiAddonManager *self,
                      const char     *name,
                      const char     *version,
                      const char     *bundle)
{
  g_autoptr(QiSemver) wanted = NULL;
  QiAddonInfo *info;
  const QiSemver *found;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (version != NULL, FALSE);
  g_return_val_if_fail (bundle != NULL, FALSE);

  info = g_hash_table_lookup (self->by_name, name);
  if (info == NULL)
    {
      g_debug ("The bundle “%s” pins “%s” %s, which is not installed", bundle, name, version);
      return FALSE;
    }

  wanted = qi_semver_parse (version, NULL);
  found = qi_addon_info_get_version (info);
  if (wanted != NULL && found != NULL && qi_semver_compare (wanted, found) == 0)
    return TRUE;

  if (found != NULL)
    {
      g_autofree char *found_text = qi_semver_to_string (found);

      fail (info, QI_ADDON_ERROR_DEPENDENCY, _("the bundle “%s” pins version %s, but this is %s"),
            bundle, version, found_text);
    }
  else
    fail (info, QI_ADDON_ERROR_DEPENDENCY,
          _("the bundle “%s” pins version %s, but this addon names no version"), bundle, version);
  return FALSE;
}
