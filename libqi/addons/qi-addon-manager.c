/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-addon-manager.h"
#include "qi-addon-info-private.h"
#include "qi-json.h"
#include "qi-addon-loader.h"
#include "qi-addon-module.h"
#include "qi-addon-private.h"
#include "qi-host-private.h"
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
 *
 * Once addons load, the manager answers for what they add, in load order:
 * their plugin folders (qi_addon_manager_list_plugin_dirs()), tray items
 * (qi_addon_manager_list_tray_items(), the event `addons.tray.changed`),
 * hosts (qi_addon_manager_list_hosts()) and workfile handlers
 * (qi_addon_manager_lookup_workfile_handler()), in C and on the hub from
 * its session `__hub__/addons` (the `addons.*` requests of
 * `docs/protocol.md`).
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
  char         *data_dir;       /* the run's, for the addons */
  QiHubEndpoint *endpoint;      /* __hub__/addons, once addons load */
};

G_DEFINE_FINAL_TYPE (QiAddonManager, qi_addon_manager, QI_TYPE_SERVICE)

enum {
  PROP_0,
  PROP_HUB,
  PROP_CLI_MANAGER,
  PROP_ROUTER,
  PROP_SETTINGS,
  PROP_DATA_DIR,
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
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
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
    case PROP_DATA_DIR:
      g_free (self->data_dir);
      self->data_dir = g_value_dup_string (value);
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
  if (self->endpoint != NULL)
    qi_hub_endpoint_close (self->endpoint);
  g_clear_object (&self->endpoint);
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

  g_free (self->data_dir);
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

  /**
   * QiAddonManager:data-dir:
   *
   * The run's data folder, which each addon is given (#QiAddon:data-dir);
   * %NULL for none.
   */
  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
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

/* What a host or a workfile extension is claimed by: one addon each. The
 * addon that loads later fails, naming both, once it has registered (an
 * addon checks its own claims as it makes them). */
static QiAddon *
find_host_owner (QiAddonManager *self,
                 QiAddon        *except,
                 const char     *name)
{
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autoptr(GPtrArray) hosts = NULL;

      if (loaded->addon == except)
        continue;
      hosts = qi_addon_list_hosts (loaded->addon);
      for (guint j = 0; j < hosts->len; j++)
        if (g_str_equal (qi_host_get_name (hosts->pdata[j]), name))
          return loaded->addon;
    }
  return NULL;
}

static QiWorkfileHandler *
find_extension_owner (QiAddonManager  *self,
                      QiAddon         *except,
                      const char      *host,
                      const char      *extension,
                      QiAddon        **owner)
{
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autoptr(GPtrArray) handlers = NULL;

      if (loaded->addon == except)
        continue;
      handlers = qi_addon_list_workfile_handlers (loaded->addon);
      for (guint j = 0; j < handlers->len; j++)
        {
          QiWorkfileHandler *handler = handlers->pdata[j];

          if (g_strcmp0 (qi_workfile_handler_get_host (handler), host) == 0 &&
              g_strv_contains (qi_workfile_handler_get_extensions (handler), extension))
            {
              *owner = loaded->addon;
              return handler;
            }
        }
    }
  return NULL;
}

static gboolean
check_claims (QiAddonManager  *self,
              QiAddon         *addon,
              GError         **error)
{
  g_autoptr(GPtrArray) hosts = qi_addon_list_hosts (addon);
  g_autoptr(GPtrArray) handlers = qi_addon_list_workfile_handlers (addon);

  for (guint i = 0; i < hosts->len; i++)
    {
      const char *name = qi_host_get_name (hosts->pdata[i]);
      QiAddon *owner = find_host_owner (self, addon, name);

      if (owner != NULL)
        {
          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT,
                       _("the addon “%s” provides the host “%s” already; “%s” cannot provide it too"),
                       qi_addon_get_name (owner), name, qi_addon_get_name (addon));
          return FALSE;
        }
    }

  for (guint i = 0; i < handlers->len; i++)
    {
      QiWorkfileHandler *handler = handlers->pdata[i];
      const char *host = qi_workfile_handler_get_host (handler);
      const char * const *extensions = qi_workfile_handler_get_extensions (handler);

      for (guint j = 0; extensions[j] != NULL; j++)
        {
          QiAddon *owner = NULL;
          QiWorkfileHandler *taken = find_extension_owner (self, addon, host, extensions[j], &owner);

          if (taken != NULL)
            {
              g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT,
                           _("the addon “%s” handles “%s” files%s%s already (“%s”); “%s” cannot handle "
                             "them too (“%s”)"),
                           qi_addon_get_name (owner), extensions[j], host != NULL ? _(" of the host ") : "",
                           host != NULL ? host : "", qi_workfile_handler_get_name (taken),
                           qi_addon_get_name (addon), qi_workfile_handler_get_name (handler));
              return FALSE;
            }
        }
    }
  return TRUE;
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
                       "settings", self->settings,
                       "data-dir", self->data_dir,
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
        if (qi_addon_info_get_resident (info))
          qi_addon_module_set_resident (module, TRUE);
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
        /* The bridge opens (and Python starts) with the first of them. */
        QiAddonLoader *loader = qi_addon_loader_get_for_kind (QI_ADDON_KIND_PYTHON, &error);

        if (loader != NULL)
          type = qi_addon_loader_load_type (loader, info, &error);
        if (loader == NULL || type == G_TYPE_INVALID)
          {
            fail (info, code_of (error), "%s", error->message);
            return;
          }
      }
      break;

    case QI_ADDON_KIND_DATA:
    default:
      /* Folders only (plugins, UI): a plain QiAddon stands for it. */
      break;
    }

  /* The plugin folders are looked for now, not while discovering. */
  qi_addon_info_find_plugin_folders (info);
  addon = instantiate (self, info, type, &error);
  if (addon != NULL && !add_settings (self, info, type, &error))
    {
      fail (info, QI_ADDON_ERROR_FAILED, _("settings: %s"), error->message);
      g_clear_object (&addon);
      if (module != NULL)
        g_type_module_unuse (G_TYPE_MODULE (module));
      return;
    }
  if (addon == NULL || !qi_addon_run_register (addon, &error) || !check_claims (self, addon, &error))
    {
      fail (info, code_of (error), _("register: %s"), error->message);
      remove_settings (self, info);
      if (addon != NULL)
        qi_addon_run_close (addon);
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

/* Installs what was registered from @first_new on, in order; an addon
 * that fails (or needs one that did) is closed and dropped. */
static void  install_new        (QiAddonManager *self,
                                 guint           first_new);
static void  open_endpoint      (QiAddonManager *self);
static char *tray_signature     (QiAddonManager *self);
static void  tray_changed_since (QiAddonManager *self,
                                 const char     *before);

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
  g_autofree char *tray_before = NULL;
  guint first_new;

  g_return_if_fail (QI_IS_ADDON_MANAGER (self));
  g_return_if_fail (QI_IS_HUB (self->hub));
  g_return_if_fail (QI_IS_CLI_MANAGER (self->cli));
  g_return_if_fail (QI_IS_REST_ROUTER (self->router));

  open_endpoint (self);
  tray_before = tray_signature (self);
  first_new = self->loaded->len;
  order = qi_addon_manager_resolve (self, allow_list);
  for (guint i = 0; i < order->len; i++)
    {
      /* Loading again loads only what is not loaded yet. */
      if (find_loaded (self, qi_addon_info_get_name (order->pdata[i])) == NULL)
        load_one (self, order->pdata[i]);
    }

  install_new (self, first_new);
  tray_changed_since (self, tray_before);
}

/**
 * qi_addon_manager_load_only:
 * @self: a #QiAddonManager with its hub, CLI manager and router set
 * @names: (array zero-terminated=1): the addons to load
 *
 * Loads @names and the addons they depend on, as qi_addon_manager_load()
 * does, and nothing else; the other addons stay as they are (a later
 * qi_addon_manager_load() loads them). Bootstrap phase 1 loads the
 * provider addons so, before any other, and phase 4 the one addon whose
 * verb the command is (qi_addon_manager_find_verb_provider()).
 */
void
qi_addon_manager_load_only (QiAddonManager     *self,
                            const char * const *names)
{
  g_autoptr(GHashTable) colours = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  Walk w = { self, colours, stack, g_ptr_array_new_with_free_func (g_object_unref), NULL };
  g_autofree char *tray_before = NULL;
  guint first_new;

  g_return_if_fail (QI_IS_ADDON_MANAGER (self));
  g_return_if_fail (names != NULL);
  g_return_if_fail (QI_IS_HUB (self->hub));
  g_return_if_fail (QI_IS_CLI_MANAGER (self->cli));
  g_return_if_fail (QI_IS_REST_ROUTER (self->router));

  open_endpoint (self);
  tray_before = tray_signature (self);
  first_new = self->loaded->len;
  for (guint i = 0; names[i] != NULL; i++)
    {
      QiAddonInfo *info = g_hash_table_lookup (self->by_name, names[i]);

      if (info != NULL && qi_addon_info_get_state (info) != QI_ADDON_STATE_DISABLED)
        walk (&w, info);
    }
  for (guint i = 0; i < w.order->len; i++)
    if (find_loaded (self, qi_addon_info_get_name (w.order->pdata[i])) == NULL)
      load_one (self, w.order->pdata[i]);
  g_ptr_array_unref (w.order);
  install_new (self, first_new);
  tray_changed_since (self, tray_before);
}

/**
 * qi_addon_manager_find_verb_provider:
 * @self: a #QiAddonManager that discovered its addons
 * @arguments: (array zero-terminated=1): the command line after the
 *   global options, such as `{"hello", "greet", "--loud", NULL}`
 *
 * Which addon says (`verbs` in its addon.toml) it adds the command's verb:
 * the longest verb name that the first words of @arguments make. The
 * addon may be disabled for the run (qi_addon_info_get_state()): the
 * caller tells the user why the command is not there.
 *
 * Returns: (transfer none) (nullable): that addon's name, or %NULL when
 *   no addon lists it
 */
const char *
qi_addon_manager_find_verb_provider (QiAddonManager     *self,
                                     const char * const *arguments)
{
  const char *found = NULL;
  gsize longest = 0;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  for (guint i = 0; i < self->addons->len; i++)
    {
      QiAddonInfo *info = self->addons->pdata[i];
      const char * const *verbs = qi_addon_info_get_verbs (info);

      if (g_hash_table_lookup (self->by_name, qi_addon_info_get_name (info)) != info)
        continue;
      for (guint j = 0; verbs[j] != NULL; j++)
        {
          g_auto(GStrv) words = g_strsplit (verbs[j], " ", -1);
          guint n = g_strv_length (words);
          gboolean matches = n > longest;

          for (guint k = 0; matches && k < n; k++)
            matches = arguments[k] != NULL && g_str_equal (arguments[k], words[k]);
          if (matches)
            {
              found = qi_addon_info_get_name (info);
              longest = n;
            }
        }
    }
  return found;
}

/**
 * qi_addon_manager_dup_declared_verbs:
 * @self: a #QiAddonManager that discovered its addons
 *
 * The commands the addons found say they add (`verbs` in addon.toml),
 * loaded or not: what shell completion offers beside the built-in ones.
 *
 * Returns: (transfer full) (array zero-terminated=1): the verb names, each
 *   once, in the addons' order
 */
GStrv
qi_addon_manager_dup_declared_verbs (QiAddonManager *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  for (guint i = 0; i < self->addons->len; i++)
    {
      QiAddonInfo *info = self->addons->pdata[i];
      const char * const *verbs = qi_addon_info_get_verbs (info);

      if (g_hash_table_lookup (self->by_name, qi_addon_info_get_name (info)) != info ||
          qi_addon_info_get_state (info) == QI_ADDON_STATE_FAILED)
        continue;
      for (guint j = 0; verbs[j] != NULL; j++)
        if (g_hash_table_add (seen, (gpointer) verbs[j]))
          g_strv_builder_add (builder, verbs[j]);
    }
  return g_strv_builder_end (builder);
}

/**
 * qi_addon_manager_select_providers:
 * @self: a #QiAddonManager that discovered its addons
 * @roles: (array zero-terminated=1): the provider roles, such as
 *   %QI_ADDON_PROVIDER_ROLES
 * @chosen: (nullable): the addon that must provide them (`--tracker`), or
 *   %NULL for whichever the addons found (or the bundle) hold
 * @allow_list: (array zero-terminated=1) (nullable): the bundle's addons,
 *   or %NULL for every addon found
 * @error: return location for a #GError
 *
 * Bootstrap phase 1's guard: picks the one addon of each role. Other
 * addons of the roles are disabled (“not the run's tracker”), so that no
 * second tracker or login ever loads.
 *
 * Returns: (transfer container) (element-type QiAddonInfo): the chosen
 *   providers, each once (one addon often provides several roles), or
 *   %NULL with %QI_ADDON_ERROR_PROVIDERS naming the role and the addons
 *   when a role has none, or more than one
 */
GPtrArray *
qi_addon_manager_select_providers (QiAddonManager      *self,
                                   const char * const  *roles,
                                   const char          *chosen,
                                   const char * const  *allow_list,
                                   GError             **error)
{
  g_autoptr(GPtrArray) selected = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (roles != NULL, NULL);

  if (chosen != NULL)
    {
      QiAddonInfo *info = g_hash_table_lookup (self->by_name, chosen);

      if (info == NULL || qi_addon_info_get_state (info) == QI_ADDON_STATE_FAILED)
        {
          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                       info == NULL ? _("the tracker “%s” is not on the addon path: install it or add its folder "
                                        "with --addon-path")
                                    : _("the tracker “%s” cannot load: %s"),
                       chosen, info != NULL ? qi_addon_info_get_error (info)->message : "");
          return NULL;
        }
      if (allow_list != NULL && !g_strv_contains (allow_list, chosen))
        {
          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                       _("the tracker “%s” is not in the run's bundle: add it to the bundle, or run another one"),
                       chosen);
          return NULL;
        }
    }

  for (guint i = 0; roles[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) providers = qi_addon_manager_list_providers (self, roles[i]);
      g_autoptr(GPtrArray) candidates = g_ptr_array_new ();

      for (guint j = 0; j < providers->len; j++)
        {
          QiAddonInfo *info = providers->pdata[j];
          const char *name = qi_addon_info_get_name (info);

          if (g_hash_table_lookup (self->by_name, name) != info)
            continue;
          if ((allow_list == NULL || g_strv_contains (allow_list, name)) &&
              (chosen == NULL || g_str_equal (chosen, name)))
            g_ptr_array_add (candidates, info);
        }

      if (candidates->len == 0)
        {
          if (chosen != NULL)
            g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                         _("the tracker “%s” does not provide the role “%s” (its addon.toml has no such role)"),
                         chosen, roles[i]);
          else if (providers->len > 0)
            {
              g_autofree char *names = join_names (providers);

              g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                           _("no addon of the bundle provides the role “%s” (outside it: %s); add one to the bundle"),
                           roles[i], names);
            }
          else
            {
              g_autofree char *paths = g_strjoinv (", ", (char **) self->search_paths->pdata);

              g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                           _("no addon provides the role “%s” (searched: %s); install one or add its "
                             "folder with --addon-path"),
                           roles[i], *paths != '\0' ? paths : _("no addon paths"));
            }
          return NULL;
        }
      if (candidates->len > 1)
        {
          g_autofree char *names = join_names (candidates);

          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS,
                       _("%u addons provide the role “%s”: %s; keep one of them in the bundle, or choose one "
                         "with --tracker NAME"),
                       candidates->len, roles[i], names);
          return NULL;
        }
      if (!g_ptr_array_find (selected, candidates->pdata[0], NULL))
        g_ptr_array_add (selected, g_object_ref (candidates->pdata[0]));
    }

  /* every other provider stays out of this run */
  for (guint i = 0; roles[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) providers = qi_addon_manager_list_providers (self, roles[i]);

      for (guint j = 0; j < providers->len; j++)
        if (!g_ptr_array_find (selected, providers->pdata[j], NULL))
          {
            g_autoptr(GError) left_out =
              g_error_new (QI_ADDON_ERROR, QI_ADDON_ERROR_NOT_FOUND,
                           _("not the run's tracker (that is “%s”; choose with --tracker NAME or the bundle)"),
                           qi_addon_info_get_name (selected->pdata[0]));

            qi_addon_info_set_state (providers->pdata[j], QI_ADDON_STATE_DISABLED, left_out);
          }
    }
  return g_steal_pointer (&selected);
}

static void
install_new (QiAddonManager *self,
             guint           first_new)
{
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
  g_autofree char *tray_before = NULL;

  g_return_if_fail (QI_IS_ADDON_MANAGER (self));

  tray_before = tray_signature (self);
  while (self->loaded->len > 0)
    {
      Loaded *loaded = self->loaded->pdata[self->loaded->len - 1];

      qi_addon_run_close (loaded->addon);
      remove_settings (self, loaded->info);
      qi_addon_info_set_state (loaded->info, QI_ADDON_STATE_DISCOVERED, NULL);
      g_ptr_array_remove_index (self->loaded, self->loaded->len - 1);
    }
  tray_changed_since (self, tray_before);
}

/**
 * qi_addon_manager_get_settings:
 * @self: a #QiAddonManager
 *
 * Returns: (transfer none) (nullable): the settings service the addons'
 *   schemas go to
 */
QiSettings *
qi_addon_manager_get_settings (QiAddonManager *self)
{
  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  return self->settings;
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

/* --- What the loaded addons add. */

static const char * const plugin_kinds[] = { QI_ADDON_PLUGIN_KINDS, NULL };

static gboolean
check_plugin_kind (const char  *kind,
                   GError     **error)
{
  g_autofree char *known = NULL;

  if (g_strv_contains (plugin_kinds, kind))
    return TRUE;
  known = g_strjoinv (", ", (char **) plugin_kinds);
  g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
               _("“%s” is not a plugin kind; the kinds are %s"), kind, known);
  return FALSE;
}

/**
 * qi_addon_manager_list_plugin_dirs:
 * @self: a #QiAddonManager
 * @kind: a plugin kind: `create`, `load`, `hooks`, `publish` or `actions`
 *   (%QI_ADDON_PLUGIN_KINDS)
 * @error: return location for a #GError
 *
 * The `plugins/KIND` folders of the loaded addons, in load order (so a
 * dependency's plugins come before its dependents'). The folders are
 * looked for when each addon loads.
 *
 * Returns: (transfer full) (array zero-terminated=1) (type filename): the
 *   folders, or %NULL with %QI_ADDON_ERROR_INVALID naming @kind and the
 *   kinds there are
 */
char **
qi_addon_manager_list_plugin_dirs (QiAddonManager  *self,
                                   const char      *kind,
                                   GError         **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);

  if (!check_plugin_kind (kind, error))
    return NULL;

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autofree char *folder = qi_addon_info_dup_plugin_folder (loaded->info, kind);

      if (folder != NULL)
        g_strv_builder_add (builder, folder);
    }
  return g_strv_builder_end (builder);
}

/**
 * qi_addon_manager_list_tray_items:
 * @self: a #QiAddonManager
 *
 * The tray items of the loaded addons, in load order and each addon's
 * order: `[{"id": "ADDON/ID", "addon", "label", "topic"}]`.
 *
 * Returns: (transfer full): a JSON array
 */
JsonNode *
qi_addon_manager_list_tray_items (QiAddonManager *self)
{
  g_autoptr(JsonArray) items = json_array_new ();
  JsonNode *root;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      const char *addon = qi_addon_info_get_name (loaded->info);
      g_autoptr(JsonNode) own = qi_addon_list_tray_items (loaded->addon);
      JsonArray *array = json_node_get_array (own);

      for (guint j = 0; j < json_array_get_length (array); j++)
        {
          JsonObject *item = json_array_get_object_element (array, j);
          g_autoptr(JsonObject) entry = json_object_new ();
          g_autofree char *id = g_strconcat (addon, "/", json_object_get_string_member (item, "id"), NULL);

          json_object_set_string_member (entry, "id", id);
          json_object_set_string_member (entry, "addon", addon);
          json_object_set_string_member (entry, "label", json_object_get_string_member (item, "label"));
          json_object_set_string_member (entry, "topic", json_object_get_string_member (item, "topic"));
          json_array_add_object_element (items, g_steal_pointer (&entry));
        }
    }

  root = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (root, items);
  return root;
}

static char *
tray_signature (QiAddonManager *self)
{
  g_autoptr(JsonNode) items = qi_addon_manager_list_tray_items (self);

  return qi_json_to_string (items, QI_JSON_WRITE_DEFAULT, NULL);
}

static JsonNode *
object_with (const char *member,
             JsonNode   *value)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (object, member, value);
  json_node_set_object (node, object);
  return node;
}

/* Emits addons.tray.changed if the tray items are not @before. */
static void
tray_changed_since (QiAddonManager *self,
                    const char     *before)
{
  g_autofree char *after = tray_signature (self);
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(GError) error = NULL;

  if (g_str_equal (before, after) || self->endpoint == NULL ||
      !qi_session_is_open (QI_SESSION (self->endpoint)))
    return;

  payload = object_with ("items", qi_addon_manager_list_tray_items (self));
  if (!qi_hub_endpoint_emit (self->endpoint, "addons.tray.changed", payload, &error))
    g_debug ("addons.tray.changed not sent: %s", error->message);
}

static gboolean
find_tray_item (QiAddonManager  *self,
                const char      *id,
                char           **topic,
                GError         **error)
{
  g_autoptr(JsonNode) items = qi_addon_manager_list_tray_items (self);
  JsonArray *array = json_node_get_array (items);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (item, "id"), id))
        {
          *topic = g_strdup (json_object_get_string_member (item, "topic"));
          return TRUE;
        }
    }
  g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_NOT_FOUND,
               _("no tray item “%s”: the ids are ADDON/ID, as addons.tray_items lists them"), id);
  return FALSE;
}

static void
on_tray_item_answered (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_node_unref);
}

/**
 * qi_addon_manager_activate_tray_item_async:
 * @self: a #QiAddonManager whose addons loaded
 * @id: the item's id, `ADDON/ID`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the answer
 * @user_data: data for @callback
 *
 * What choosing a tray item does: a hub request from `__hub__/addons` to
 * the item's topic, with the payload `{"item": "ADDON/ID"}`.
 */
void
qi_addon_manager_activate_tray_item_async (QiAddonManager      *self,
                                           const char          *id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *topic = NULL;
  g_autoptr(JsonNode) payload = NULL;

  g_return_if_fail (QI_IS_ADDON_MANAGER (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_addon_manager_activate_tray_item_async);

  if (!find_tray_item (self, id, &topic, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (self->endpoint == NULL)
    {
      g_task_return_new_error (task, QI_ADDON_ERROR, QI_ADDON_ERROR_NOT_FOUND,
                               _("no addon has loaded, so no tray item can be chosen"));
      return;
    }

  payload = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (payload, json_object_new ());
  json_object_set_string_member (json_node_get_object (payload), "item", id);
  qi_hub_endpoint_request_async (self->endpoint, topic, payload, 0, cancellable,
                                 on_tray_item_answered, g_steal_pointer (&task));
}

/**
 * qi_addon_manager_activate_tray_item_finish:
 * @self: a #QiAddonManager
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the reply of the item's topic, or %NULL with
 *   %QI_ADDON_ERROR_NOT_FOUND for an unknown item or the hub's error
 */
JsonNode *
qi_addon_manager_activate_tray_item_finish (QiAddonManager  *self,
                                            GAsyncResult    *result,
                                            GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_addon_manager_list_hosts:
 * @self: a #QiAddonManager
 *
 * Returns: (transfer container) (element-type QiHost): the hosts of the
 *   loaded addons, in load order
 */
GPtrArray *
qi_addon_manager_list_hosts (QiAddonManager *self)
{
  GPtrArray *hosts;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  hosts = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autoptr(GPtrArray) own = qi_addon_list_hosts (loaded->addon);

      for (guint j = 0; j < own->len; j++)
        g_ptr_array_add (hosts, g_object_ref (own->pdata[j]));
    }
  return hosts;
}

/**
 * qi_addon_manager_lookup_host:
 * @self: a #QiAddonManager
 * @name: a host's name, such as `blender`
 *
 * Returns: (transfer none) (nullable): the host of that name, or %NULL
 */
QiHost *
qi_addon_manager_lookup_host (QiAddonManager *self,
                              const char     *name)
{
  g_autoptr(GPtrArray) hosts = NULL;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  hosts = qi_addon_manager_list_hosts (self);
  for (guint i = 0; i < hosts->len; i++)
    if (g_str_equal (qi_host_get_name (hosts->pdata[i]), name))
      /* The addon holds it as long as it is loaded. */
      return hosts->pdata[i];
  return NULL;
}

/**
 * qi_addon_manager_list_workfile_handlers:
 * @self: a #QiAddonManager
 *
 * Returns: (transfer container) (element-type QiWorkfileHandler): the
 *   workfile handlers of the loaded addons, in load order
 */
GPtrArray *
qi_addon_manager_list_workfile_handlers (QiAddonManager *self)
{
  GPtrArray *handlers;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);

  handlers = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autoptr(GPtrArray) own = qi_addon_list_workfile_handlers (loaded->addon);

      for (guint j = 0; j < own->len; j++)
        g_ptr_array_add (handlers, g_object_ref (own->pdata[j]));
    }
  return handlers;
}

/* The handler for @path, with the addon that has it. */
static QiWorkfileHandler *
lookup_workfile_handler (QiAddonManager  *self,
                         const char      *path,
                         const char      *host,
                         QiAddon        **owner,
                         GError         **error)
{
  QiWorkfileHandler *any_host = NULL;
  QiAddon *any_host_owner = NULL;

  /* A handler of the host first, then one of no particular host. */
  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autoptr(GPtrArray) handlers = qi_addon_list_workfile_handlers (loaded->addon);

      for (guint j = 0; j < handlers->len; j++)
        {
          QiWorkfileHandler *handler = handlers->pdata[j];
          const char *handler_host = qi_workfile_handler_get_host (handler);

          if (!qi_workfile_handler_handles (handler, path))
            continue;
          if (host == NULL || g_strcmp0 (handler_host, host) == 0)
            {
              *owner = loaded->addon;
              return handler;
            }
          if (handler_host == NULL && any_host == NULL)
            {
              any_host = handler;
              any_host_owner = loaded->addon;
            }
        }
    }

  if (any_host != NULL)
    {
      *owner = any_host_owner;
      return any_host;
    }
  if (host != NULL)
    g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_HANDLER,
                 _("no workfile handler of the host “%s” takes “%s”"), host, path);
  else
    g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_HANDLER,
                 _("no workfile handler takes “%s”"), path);
  return NULL;
}

/**
 * qi_addon_manager_lookup_workfile_handler:
 * @self: a #QiAddonManager
 * @path: (type filename): a workfile
 * @host: (nullable): the host it is for, or %NULL for any
 * @error: return location for a #GError
 *
 * The handler for @path by its extension: with @host, the first (in load
 * order) of that host, else the first of no particular host; without, the
 * first of any.
 *
 * Returns: (transfer none): the handler, or %NULL with
 *   %QI_WORKFILE_ERROR_NO_HANDLER
 */
QiWorkfileHandler *
qi_addon_manager_lookup_workfile_handler (QiAddonManager  *self,
                                          const char      *path,
                                          const char      *host,
                                          GError         **error)
{
  QiAddon *owner = NULL;

  g_return_val_if_fail (QI_IS_ADDON_MANAGER (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return lookup_workfile_handler (self, path, host, &owner, error);
}

/* --- The addons.* requests on the hub. */

/* A string member of the request's payload; NULL (and the request
 * answered with bad_message) if it is required and missing, or not a
 * string. */
static const char *
payload_string (QiHubRequest *request,
                const char   *member,
                gboolean      required,
                gboolean     *ok)
{
  JsonNode *payload = qi_hub_request_get_payload (request);
  JsonObject *object = payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) ? json_node_get_object (payload) : NULL;
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  /* null is as good as left out, as in config.* */
  if ((node == NULL || JSON_NODE_HOLDS_NULL (node)) && !required)
    return NULL;

  {
    g_autofree char *message = g_strdup_printf (_("%s: “%s” must be a string"),
                                                qi_hub_request_get_topic (request), member);

    qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  }
  *ok = FALSE;
  return NULL;
}

static void
reply_with (QiHubRequest *request,
            const char   *member,
            JsonNode     *value)
{
  g_autoptr(JsonNode) reply = object_with (member, value);

  qi_hub_request_reply (request, reply);
}

static void
on_plugin_dirs (QiHubRequest *request,
                gpointer      user_data)
{
  QiAddonManager *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) dirs = json_array_new ();
  gboolean ok = TRUE;
  const char *kind = payload_string (request, "kind", TRUE, &ok);
  JsonNode *node;

  if (!ok)
    return;
  if (!check_plugin_kind (kind, &error))
    {
      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, error->message);
      return;
    }

  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autofree char *folder = qi_addon_info_dup_plugin_folder (loaded->info, kind);
      g_autoptr(JsonObject) dir = NULL;

      if (folder == NULL)
        continue;
      dir = json_object_new ();
      json_object_set_string_member (dir, "addon", qi_addon_info_get_name (loaded->info));
      json_object_set_string_member (dir, "path", folder);
      json_array_add_object_element (dirs, g_steal_pointer (&dir));
    }

  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, dirs);
  reply_with (request, "dirs", node);
}

static void
on_tray_items (QiHubRequest *request,
               gpointer      user_data)
{
  reply_with (request, "items", qi_addon_manager_list_tray_items (user_data));
}

static void
on_tray_activated (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(QiHubRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_addon_manager_activate_tray_item_finish (QI_ADDON_MANAGER (source),
                                                                          result, &error);

  if (reply == NULL)
    qi_hub_request_fail_error (request, error);
  else
    qi_hub_request_reply (request, reply);
}

static void
on_tray_activate (QiHubRequest *request,
                  gpointer      user_data)
{
  gboolean ok = TRUE;
  const char *id = payload_string (request, "id", TRUE, &ok);

  if (ok)
    qi_addon_manager_activate_tray_item_async (user_data, id, NULL, on_tray_activated, g_object_ref (request));
}

static void
on_hosts (QiHubRequest *request,
          gpointer      user_data)
{
  g_autoptr(GPtrArray) hosts = qi_addon_manager_list_hosts (user_data);
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node;

  for (guint i = 0; i < hosts->len; i++)
    json_array_add_element (array, qi_host_to_json_found (hosts->pdata[i]));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  reply_with (request, "hosts", node);
}

static void
on_host_environment (QiHubRequest *request,
                     gpointer      user_data)
{
  gboolean ok = TRUE;
  const char *name = payload_string (request, "host", TRUE, &ok);
  g_auto(GStrv) base = NULL;
  g_auto(GStrv) env = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  QiHost *host;

  if (!ok)
    return;
  host = qi_addon_manager_lookup_host (user_data, name);
  if (host == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("no host “%s”; addons.hosts lists them"), name);

      qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, message);
      return;
    }

  base = g_get_environ ();
  env = qi_host_build_environment (host, (const char * const *) base, &error);
  if (env == NULL)
    {
      qi_hub_request_fail_error (request, error);
      return;
    }
  reply = qi_host_to_json_found (host);
  json_object_set_member (json_node_get_object (reply), "changes",
                          qi_host_describe_environment_changes ((const char * const *) base,
                                                                (const char * const *) env));
  qi_hub_request_reply (request, reply);
}

/* A list of strings of the payload, or NULL with the request failed
 * (@ok cleared); absent or null is an empty list. */
static GStrv
payload_strv (QiHubRequest *request,
              const char   *member,
              gboolean     *ok)
{
  JsonObject *object = json_node_get_object (qi_hub_request_get_payload (request));
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint i;

      for (i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *entry = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (entry) || json_node_get_value_type (entry) != G_TYPE_STRING)
            break;
          g_strv_builder_add (builder, json_node_get_string (entry));
        }
      if (i == json_array_get_length (array))
        return g_strv_builder_end (builder);
    }
  else if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strv_builder_end (builder);

  {
    g_autofree char *message = g_strdup_printf (_("%s: “%s” must be a list of strings"),
                                                qi_hub_request_get_topic (request), member);

    qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
  }
  *ok = FALSE;
  return NULL;
}

/* addons.host.prepare {host, environment?, executable?, app_arguments?,
 * workfile?, extra?} → {host, executable, argv, environment, changes}: the
 * host's layer over an environment a launcher made, and its command line. */
static void
on_host_prepare (QiHubRequest *request,
                 gpointer      user_data)
{
  JsonNode *node = qi_hub_request_get_payload (request);
  JsonObject *payload = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *given = payload != NULL ? json_object_get_member (payload, "environment") : NULL;
  gboolean ok = TRUE;
  const char *name = payload_string (request, "host", TRUE, &ok);
  const char *executable = ok ? payload_string (request, "executable", FALSE, &ok) : NULL;
  const char *workfile = ok ? payload_string (request, "workfile", FALSE, &ok) : NULL;
  g_auto(GStrv) app_arguments = ok ? payload_strv (request, "app_arguments", &ok) : NULL;
  g_auto(GStrv) extra = ok ? payload_strv (request, "extra", &ok) : NULL;
  g_auto(GStrv) base = NULL;
  g_auto(GStrv) env = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *found = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) environment = NULL;
  g_autoptr(JsonArray) arguments = NULL;
  g_autoptr(JsonNode) reply = NULL;
  QiHost *host;

  if (!ok)
    return;
  host = qi_addon_manager_lookup_host (user_data, name);
  if (host == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("no host “%s”; addons.hosts lists them"), name);

      qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, message);
      return;
    }

  if (given != NULL && !JSON_NODE_HOLDS_NULL (given))
    {
      JsonObjectIter iter;
      const char *variable;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (given))
        {
          qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE,
                               _("addons.host.prepare: “environment” must be an object of strings"));
          return;
        }
      base = g_new0 (char *, 1);
      json_object_iter_init (&iter, json_node_get_object (given));
      while (json_object_iter_next (&iter, &variable, &value))
        {
          if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
            {
              g_autofree char *message = g_strdup_printf (_("addons.host.prepare: “environment.%s” must be a "
                                                            "string"), variable);

              qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
              return;
            }
          base = g_environ_setenv (base, variable, json_node_get_string (value), TRUE);
        }
    }
  else
    base = g_get_environ ();

  env = qi_host_build_environment (host, (const char * const *) base, &error);
  if (env == NULL)
    {
      qi_hub_request_fail_error (request, error);
      return;
    }
  if (executable == NULL)
    {
      found = qi_host_find_executable (host, g_environ_getenv (env, "PATH"), &error);
      if (found == NULL)
        {
          qi_hub_request_fail_error (request, error);
          return;
        }
      executable = found;
    }
  argv = qi_host_build_arguments (host, executable, (const char * const *) app_arguments, workfile,
                                  (const char * const *) extra, &error);
  if (argv == NULL)
    {
      qi_hub_request_fail_error (request, error);
      return;
    }

  environment = json_object_new ();
  for (guint i = 0; env[i] != NULL; i++)
    {
      const char *equals = strchr (env[i], '=');
      g_autofree char *variable = equals != NULL ? g_strndup (env[i], equals - env[i]) : NULL;

      if (variable != NULL)
        json_object_set_string_member (environment, variable, equals + 1);
    }
  arguments = json_array_new ();
  for (guint i = 0; argv[i] != NULL; i++)
    json_array_add_string_element (arguments, argv[i]);

  reply = qi_host_to_json_found (host);
  json_object_set_string_member (json_node_get_object (reply), "executable", executable);
  json_object_set_array_member (json_node_get_object (reply), "argv", json_array_ref (arguments));
  json_object_set_object_member (json_node_get_object (reply), "environment", json_object_ref (environment));
  json_object_set_member (json_node_get_object (reply), "changes",
                          qi_host_describe_environment_changes ((const char * const *) base,
                                                                (const char * const *) env));
  qi_hub_request_reply (request, reply);
}

static void
on_workfile_handlers (QiHubRequest *request,
                      gpointer      user_data)
{
  QiAddonManager *self = user_data;
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node;

  for (guint i = 0; i < self->loaded->len; i++)
    {
      Loaded *loaded = self->loaded->pdata[i];
      g_autoptr(JsonNode) contributions = qi_addon_describe_contributions (loaded->addon);
      JsonArray *handlers = json_object_get_array_member (json_node_get_object (contributions),
                                                          "workfile_handlers");

      for (guint j = 0; j < json_array_get_length (handlers); j++)
        {
          JsonNode *handler = json_node_copy (json_array_get_element (handlers, j));

          json_object_set_string_member (json_node_get_object (handler), "addon",
                                         qi_addon_info_get_name (loaded->info));
          json_array_add_element (array, handler);
        }
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (node, array);
  reply_with (request, "handlers", node);
}

typedef enum {
  WORKFILE_OPEN,
  WORKFILE_SAVE,
  WORKFILE_VERSION_UP,
  WORKFILE_REVERT,
  WORKFILE_NEXT_VERSION,
} WorkfileOp;

typedef struct
{
  QiAddonManager *self;
  WorkfileOp      op;
} WorkfileTopic;

static void
on_workfile (QiHubRequest *request,
             gpointer      user_data)
{
  WorkfileTopic *topic = user_data;
  QiAddonManager *self = topic->self;
  WorkfileOp op = topic->op;
  gboolean ok = TRUE;
  const char *path = payload_string (request, "path", TRUE, &ok);
  const char *host = ok ? payload_string (request, "host", FALSE, &ok) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonNode) node = NULL;
  QiWorkfileHandler *handler = NULL;
  QiAddon *owner = NULL;

  if (!ok)
    return;
  if (!g_path_is_absolute (path))
    {
      /* Relative to what? Not to the server's own working folder. */
      g_autofree char *message = g_strdup_printf (_("%s: “path” must be absolute, not “%s”"),
                                                  qi_hub_request_get_topic (request), path);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }

  if (op == WORKFILE_NEXT_VERSION)
    result = qi_workfile_next_version (path, &error);
  else if ((handler = lookup_workfile_handler (self, path, host, &owner, &error)) != NULL)
    {
      switch (op)
        {
        case WORKFILE_OPEN:
          if (qi_workfile_handler_open (handler, path, &error))
            result = g_strdup (path);
          break;
        case WORKFILE_SAVE:
          if (qi_workfile_handler_save (handler, path, &error))
            result = g_strdup (path);
          break;
        case WORKFILE_VERSION_UP:
          result = qi_workfile_handler_version_up (handler, path, &error);
          break;
        case WORKFILE_REVERT:
          result = qi_workfile_handler_revert (handler, path, &error);
          break;
        case WORKFILE_NEXT_VERSION:
        default:
          g_assert_not_reached ();
        }
    }

  if (result == NULL)
    {
      qi_hub_request_fail_error (request, error);
      return;
    }

  reply = json_object_new ();
  json_object_set_string_member (reply, "path", result);
  if (handler != NULL)
    {
      json_object_set_string_member (reply, "addon", qi_addon_get_name (owner));
      json_object_set_string_member (reply, "handler", qi_workfile_handler_get_name (handler));
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, reply);
  qi_hub_request_reply (request, node);
}

static void
open_endpoint (QiAddonManager *self)
{
  static const struct { const char *topic; QiHubHandlerFunc func; } plain[] = {
    { "addons.plugin_dirs", on_plugin_dirs },
    { "addons.tray_items", on_tray_items },
    { "addons.tray.activate", on_tray_activate },
    { "addons.hosts", on_hosts },
    { "addons.host.environment", on_host_environment },
    { "addons.host.prepare", on_host_prepare },
    { "addons.workfile.handlers", on_workfile_handlers },
  };
  static const struct { const char *topic; WorkfileOp op; } workfile[] = {
    { "addons.workfile.open", WORKFILE_OPEN },
    { "addons.workfile.save", WORKFILE_SAVE },
    { "addons.workfile.version_up", WORKFILE_VERSION_UP },
    { "addons.workfile.revert", WORKFILE_REVERT },
    { "addons.workfile.next_version", WORKFILE_NEXT_VERSION },
  };
  g_autoptr(GError) error = NULL;

  if (self->endpoint != NULL)
    return;

  self->endpoint = qi_hub_open_endpoint (self->hub, QI_MESSAGE_BUS_HUB_SESSION "/addons",
                                         QI_MESSAGE_BUS_HUB_SESSION, &error);
  if (self->endpoint == NULL)
    {
      g_warning ("The addon manager has no hub session, so no addons.* request is answered: %s",
                 error->message);
      return;
    }

  /* The handlers end with the session, which ends before the manager. */
  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    if (!qi_hub_endpoint_add_handler (self->endpoint, plain[i].topic, plain[i].func, self, NULL, &error))
      {
        g_warning ("%s is not answered: %s", plain[i].topic, error->message);
        g_clear_error (&error);
      }
  for (guint i = 0; i < G_N_ELEMENTS (workfile); i++)
    {
      WorkfileTopic *data = g_new (WorkfileTopic, 1);

      data->self = self;
      data->op = workfile[i].op;
      if (!qi_hub_endpoint_add_handler (self->endpoint, workfile[i].topic, on_workfile, data,
                                        g_free, &error))
        {
          g_warning ("%s is not answered: %s", workfile[i].topic, error->message);
          g_clear_error (&error);
        }
    }
}
