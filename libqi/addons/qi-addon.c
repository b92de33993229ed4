/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-addon-private.h"
#include "qi-host-private.h"
#include "qi-message.h"
#include "qi-settings.h"
#include "qi-db-adapter.h"
#include "qi-auth-provider.h"

/**
 * QiAddon:
 *
 * The base class of every addon. A native addon subclasses it in its
 * module with G_DEFINE_DYNAMIC_TYPE (see #QiAddonModule), a Python addon
 * through PyGObject; #QiAddonManager creates the instance with its info,
 * its own hub session `__hub__/addon/NAME`, the CLI manager and the REST
 * router, and runs its lifecycle (see #QiAddonClass).
 *
 * What an addon adds through its helpers is recorded, so that a failed or
 * closed addon leaves nothing behind: its verbs, routes, tray items, hosts
 * and workfile handlers are removed and its session closes, which ends its
 * handlers and subscriptions. Its plugin folders (`plugins/KIND`) count
 * while it is loaded (qi_addon_manager_list_plugin_dirs()).
 */

typedef struct
{
  char *method;
  char *pattern;
} Route;

typedef struct
{
  char *id;
  char *label;
  char *topic;
} TrayItem;

typedef struct
{
  QiAddonInfo   *info;
  QiHubEndpoint *endpoint;
  QiCliManager  *cli;
  QiRestRouter  *router;
  GPtrArray     *verbs;    /* of QiCliVerb it added */
  GArray        *routes;   /* of Route it added */
  GArray        *tray;     /* of TrayItem, in order */
  GPtrArray     *hosts;    /* of QiHost */
  GPtrArray     *workfile_handlers;   /* of QiWorkfileHandler */
  QiSettings    *settings; /* the run's, or NULL */
  char          *data_dir; /* the run's data folder, or NULL */
  QiDbAdapter   *tracker;  /* what it provides as the role db */
  QiAuthProvider *login;   /* … and as the role auth */
  gboolean       closed;
} QiAddonPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (QiAddon, qi_addon, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INFO,
  PROP_ENDPOINT,
  PROP_CLI_MANAGER,
  PROP_ROUTER,
  PROP_SETTINGS,
  PROP_DATA_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
route_clear (gpointer data)
{
  Route *route = data;

  g_free (route->method);
  g_free (route->pattern);
}

static void
tray_item_clear (gpointer data)
{
  TrayItem *item = data;

  g_free (item->id);
  g_free (item->label);
  g_free (item->topic);
}

static gboolean
qi_addon_real_register_addon (QiAddon  *self,
                              GError  **error)
{
  return TRUE;
}

static gboolean
qi_addon_real_install (QiAddon  *self,
                       GError  **error)
{
  return TRUE;
}

static void
qi_addon_real_close (QiAddon *self)
{
}

/* Removes what the addon added and closes its session. */
static void
withdraw (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  for (guint i = 0; i < priv->verbs->len; i++)
    qi_cli_manager_remove_verb (priv->cli, priv->verbs->pdata[i]);
  g_ptr_array_set_size (priv->verbs, 0);

  for (guint i = 0; i < priv->routes->len; i++)
    {
      Route *route = &g_array_index (priv->routes, Route, i);

      qi_rest_router_remove_route (priv->router, route->method, route->pattern);
    }
  g_array_set_size (priv->routes, 0);

  g_array_set_size (priv->tray, 0);
  for (guint i = 0; i < priv->hosts->len; i++)
    qi_host_detach (priv->hosts->pdata[i]);
  g_ptr_array_set_size (priv->hosts, 0);
  g_ptr_array_set_size (priv->workfile_handlers, 0);
  g_clear_object (&priv->tracker);
  g_clear_object (&priv->login);

  if (priv->endpoint != NULL)
    qi_hub_endpoint_close (priv->endpoint);
}

static void
qi_addon_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (QI_ADDON (object));

  switch (prop_id)
    {
    case PROP_INFO:
      g_value_set_object (value, priv->info);
      break;
    case PROP_ENDPOINT:
      g_value_set_object (value, priv->endpoint);
      break;
    case PROP_CLI_MANAGER:
      g_value_set_object (value, priv->cli);
      break;
    case PROP_ROUTER:
      g_value_set_object (value, priv->router);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, priv->settings);
      break;
    case PROP_DATA_DIR:
      g_value_set_string (value, priv->data_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_addon_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (QI_ADDON (object));

  switch (prop_id)
    {
    case PROP_INFO:
      priv->info = g_value_dup_object (value);
      break;
    case PROP_ENDPOINT:
      priv->endpoint = g_value_dup_object (value);
      break;
    case PROP_CLI_MANAGER:
      priv->cli = g_value_dup_object (value);
      break;
    case PROP_ROUTER:
      priv->router = g_value_dup_object (value);
      break;
    case PROP_SETTINGS:
      priv->settings = g_value_dup_object (value);
      break;
    case PROP_DATA_DIR:
      priv->data_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_addon_dispose (GObject *object)
{
  QiAddon *self = QI_ADDON (object);
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  if (priv->verbs != NULL && priv->cli != NULL)
    withdraw (self);
  g_clear_object (&priv->endpoint);
  g_clear_object (&priv->cli);
  g_clear_object (&priv->router);
  g_clear_object (&priv->settings);
  g_clear_pointer (&priv->data_dir, g_free);
  g_clear_object (&priv->info);

  G_OBJECT_CLASS (qi_addon_parent_class)->dispose (object);
}

static void
qi_addon_finalize (GObject *object)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (QI_ADDON (object));

  g_clear_pointer (&priv->verbs, g_ptr_array_unref);
  g_clear_pointer (&priv->routes, g_array_unref);
  g_clear_pointer (&priv->tray, g_array_unref);
  g_clear_pointer (&priv->hosts, g_ptr_array_unref);
  g_clear_pointer (&priv->workfile_handlers, g_ptr_array_unref);

  G_OBJECT_CLASS (qi_addon_parent_class)->finalize (object);
}

static void
qi_addon_class_init (QiAddonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qi_addon_get_property;
  object_class->set_property = qi_addon_set_property;
  object_class->dispose = qi_addon_dispose;
  object_class->finalize = qi_addon_finalize;
  klass->register_addon = qi_addon_real_register_addon;
  klass->install = qi_addon_real_install;
  klass->close = qi_addon_real_close;

  /**
   * QiAddon:info:
   *
   * What the addon's folder says of it.
   */
  properties[PROP_INFO] =
    g_param_spec_object ("info", NULL, NULL, QI_TYPE_ADDON_INFO,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddon:endpoint:
   *
   * The addon's own hub session, `__hub__/addon/NAME`.
   */
  properties[PROP_ENDPOINT] =
    g_param_spec_object ("endpoint", NULL, NULL, QI_TYPE_HUB_ENDPOINT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddon:cli-manager:
   *
   * The registry its CLI verbs go to.
   */
  properties[PROP_CLI_MANAGER] =
    g_param_spec_object ("cli-manager", NULL, NULL, QI_TYPE_CLI_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddon:router:
   *
   * The router its REST routes go to.
   */
  properties[PROP_ROUTER] =
    g_param_spec_object ("router", NULL, NULL, QI_TYPE_REST_ROUTER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddon:settings:
   *
   * The settings service its values are read from
   * (qi_addon_get_setting_value()), or %NULL when it runs without one.
   */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, QI_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAddon:data-dir:
   *
   * The run's data folder (`--data-dir`, else `$XDG_DATA_HOME/qi`), where
   * an addon keeps what it writes for the user (the embedded tracker's
   * file), or %NULL when it runs without one.
   */
  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_addon_init (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  priv->verbs = g_ptr_array_new_with_free_func (g_object_unref);
  priv->routes = g_array_new (FALSE, TRUE, sizeof (Route));
  g_array_set_clear_func (priv->routes, route_clear);
  priv->tray = g_array_new (FALSE, TRUE, sizeof (TrayItem));
  g_array_set_clear_func (priv->tray, tray_item_clear);
  priv->hosts = g_ptr_array_new_with_free_func (g_object_unref);
  priv->workfile_handlers = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * qi_addon_get_info:
 * @self: a #QiAddon
 *
 * Returns: (transfer none): what the addon's folder says of it
 */
QiAddonInfo *
qi_addon_get_info (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);
  return priv->info;
}

/**
 * qi_addon_get_name:
 * @self: a #QiAddon
 *
 * Returns: (transfer none): the addon's name
 */
const char *
qi_addon_get_name (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);
  return qi_addon_info_get_name (priv->info);
}

/**
 * qi_addon_get_endpoint:
 * @self: a #QiAddon
 *
 * The addon's hub session: handlers added on it answer requests, its
 * subscriptions receive events; they end when the addon closes.
 *
 * Returns: (transfer none): the addon's session `__hub__/addon/NAME`
 */
QiHubEndpoint *
qi_addon_get_endpoint (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);
  return priv->endpoint;
}

/**
 * qi_addon_add_verb:
 * @self: a #QiAddon
 * @verb: a verb for `qi --headless`
 * @error: return location for a #GError
 *
 * Adds a CLI verb, removed again when the addon closes.
 *
 * Returns: %TRUE on success; %FALSE if a verb of that name exists
 */
gboolean
qi_addon_add_verb (QiAddon    *self,
                   QiCliVerb  *verb,
                   GError    **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);
  g_return_val_if_fail (QI_IS_CLI_VERB (verb), FALSE);

  if (!qi_cli_manager_add_verb (priv->cli, verb, error))
    return FALSE;
  g_ptr_array_add (priv->verbs, g_object_ref (verb));
  return TRUE;
}

/**
 * qi_addon_add_route:
 * @self: a #QiAddon
 * @method: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`
 * @pattern: a path pattern, such as `/api/loader/{version}`
 * @handler: (scope notified) (closure user_data) (destroy destroy): answers
 *   the requests
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data
 * @error: return location for a #GError
 *
 * Adds a REST route (see qi_rest_router_add_route()), removed again when
 * the addon closes.
 *
 * Returns: %TRUE on success
 */
gboolean
qi_addon_add_route (QiAddon            *self,
                    const char         *method,
                    const char         *pattern,
                    QiRestHandlerFunc   handler,
                    gpointer            user_data,
                    GDestroyNotify      destroy,
                    GError            **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);
  Route route;

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);

  if (!qi_rest_router_add_route (priv->router, method, pattern, handler, user_data, destroy, error))
    return FALSE;

  route.method = g_strdup (method);
  route.pattern = g_strdup (pattern);
  g_array_append_val (priv->routes, route);
  return TRUE;
}

/**
 * qi_addon_add_tray_item:
 * @self: a #QiAddon
 * @id: the item's id within the addon: lower-case letters, digits, `-` and
 *   `_` (see qi_addon_name_is_valid())
 * @label: what the tray menu shows
 * @topic: the hub topic requested when the item is chosen
 * @error: return location for a #GError
 *
 * Adds an item to the tray menu of Qi's shell. Choosing it sends a
 * request to @topic with the payload `{"item": "ADDON/ID"}` (see
 * qi_addon_manager_activate_tray_item_async()); the addon usually handles
 * @topic on its own endpoint. The item goes when the addon closes.
 *
 * Returns: %TRUE on success; %FALSE with %QI_ADDON_ERROR_INVALID for a bad
 *   id, an empty label or a bad topic, %QI_ADDON_ERROR_CONFLICT for an id
 *   the addon used already
 */
gboolean
qi_addon_add_tray_item (QiAddon     *self,
                        const char  *id,
                        const char  *label,
                        const char  *topic,
                        GError     **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);
  TrayItem item;

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);
  g_return_val_if_fail (id != NULL && label != NULL && topic != NULL, FALSE);

  if (!qi_addon_name_is_valid (id))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("“%s” is not a tray item id: use lower-case letters, digits, “-” and “_”"), id);
      return FALSE;
    }
  if (*label == '\0' || !g_utf8_validate (label, -1, NULL))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("the tray item “%s” needs a label"), id);
      return FALSE;
    }
  if (!qi_message_topic_is_valid (topic))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("the tray item “%s” requests “%s”, which is not a hub topic"), id, topic);
      return FALSE;
    }
  for (guint i = 0; i < priv->tray->len; i++)
    if (g_str_equal (g_array_index (priv->tray, TrayItem, i).id, id))
      {
        g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT,
                     _("the addon “%s” has a tray item “%s” already"), qi_addon_get_name (self), id);
        return FALSE;
      }

  item.id = g_strdup (id);
  item.label = g_strdup (label);
  item.topic = g_strdup (topic);
  g_array_append_val (priv->tray, item);
  return TRUE;
}

/**
 * qi_addon_add_host:
 * @self: a #QiAddon
 * @host: a host (DCC) the addon launches
 * @error: return location for a #GError
 *
 * Adds a host: its name must be valid and not one of the addon's other
 * hosts, and its plugin folder is resolved in the addon's folder (see
 * #QiHost). A host name belongs to one addon: #QiAddonManager fails an
 * addon whose register added a host that an addon loaded before it has.
 * The host goes when the addon closes.
 *
 * Returns: %TRUE on success; %FALSE with %QI_ADDON_ERROR_CONFLICT if the
 *   addon has a host of that name, or a %QI_HOST_ERROR
 */
gboolean
qi_addon_add_host (QiAddon     *self,
                   QiHost      *host,
                   GError     **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);
  const char *name;
  QiAddon *owner = NULL;

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);
  g_return_val_if_fail (QI_IS_HOST (host), FALSE);

  name = qi_host_get_name (host);
  for (guint i = 0; name != NULL && i < priv->hosts->len; i++)
    if (g_str_equal (qi_host_get_name (priv->hosts->pdata[i]), name))
      owner = self;
  if (owner != NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT,
                   _("the addon “%s” provides the host “%s” already; “%s” cannot provide it too"),
                   qi_addon_get_name (owner), name, qi_addon_get_name (self));
      return FALSE;
    }

  if (!qi_host_attach (host, qi_addon_get_name (self), qi_addon_info_get_path (priv->info), error))
    return FALSE;
  g_ptr_array_add (priv->hosts, g_object_ref (host));
  return TRUE;
}

/**
 * qi_addon_add_workfile_handler:
 * @self: a #QiAddon
 * @handler: a workfile handler
 * @error: return location for a #GError
 *
 * Adds a handler of project files: #QiAddonManager gives it the files of
 * its extensions (for its host, or for any host if it names none). An
 * extension one handler has for a host cannot be another's: here within
 * the addon, and #QiAddonManager fails an addon whose register claimed
 * one that an addon loaded before it has. The handler goes when the addon
 * closes.
 *
 * Returns: %TRUE on success; %FALSE with %QI_ADDON_ERROR_INVALID for a bad
 *   name, host or extension (or none), %QI_ADDON_ERROR_CONFLICT naming
 *   both for an extension taken
 */
gboolean
qi_addon_add_workfile_handler (QiAddon            *self,
                               QiWorkfileHandler  *handler,
                               GError            **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);
  const char *name, *host;
  const char * const *extensions;

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);
  g_return_val_if_fail (QI_IS_WORKFILE_HANDLER (handler), FALSE);

  name = qi_workfile_handler_get_name (handler);
  host = qi_workfile_handler_get_host (handler);
  extensions = qi_workfile_handler_get_extensions (handler);
  if (name == NULL || !qi_addon_name_is_valid (name))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("“%s” is not a workfile handler name: use lower-case letters, digits, “-” and “_”"),
                   name != NULL ? name : "");
      return FALSE;
    }
  if (host != NULL && !qi_host_name_is_valid (host))
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("the workfile handler “%s”: “%s” is not a host name"), name, host);
      return FALSE;
    }
  if (extensions[0] == NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("the workfile handler “%s” names no extension"), name);
      return FALSE;
    }

  for (guint i = 0; extensions[i] != NULL; i++)
    {
      QiWorkfileHandler *taken = NULL;
      QiAddon *owner = NULL;

      if (!qi_workfile_extension_is_valid (extensions[i]))
        {
          g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                       _("the workfile handler “%s”: “%s” is not an extension such as “.nk”"),
                       name, extensions[i]);
          return FALSE;
        }

      for (guint j = 0; j < priv->workfile_handlers->len && taken == NULL; j++)
        {
          QiWorkfileHandler *other = priv->workfile_handlers->pdata[j];

          if (g_str_equal (qi_workfile_handler_get_name (other), name) ||
              (g_strcmp0 (qi_workfile_handler_get_host (other), host) == 0 &&
               g_strv_contains (qi_workfile_handler_get_extensions (other), extensions[i])))
            {
              taken = other;
              owner = self;
            }
        }
      if (taken != NULL)
        {
          if (g_str_equal (qi_workfile_handler_get_name (taken), name) && owner == self)
            g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT,
                         _("the addon “%s” has a workfile handler “%s” already"), qi_addon_get_name (self), name);
          else
            g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT,
                         _("the addon “%s” handles “%s” files%s%s already (“%s”); “%s” cannot handle "
                           "them too (“%s”)"),
                         qi_addon_get_name (owner), extensions[i], host != NULL ? _(" of the host ") : "",
                         host != NULL ? host : "", qi_workfile_handler_get_name (taken),
                         qi_addon_get_name (self), name);
          return FALSE;
        }
    }

  g_ptr_array_add (priv->workfile_handlers, g_object_ref (handler));
  return TRUE;
}

/**
 * qi_addon_list_tray_items:
 * @self: a #QiAddon
 *
 * Returns: (transfer full): its tray items, in order, as a JSON array of
 *   `{"id", "label", "topic"}` objects
 */
JsonNode *
qi_addon_list_tray_items (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->tray->len; i++)
    {
      TrayItem *item = &g_array_index (priv->tray, TrayItem, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, item->id);
      json_builder_set_member_name (builder, "label");
      json_builder_add_string_value (builder, item->label);
      json_builder_set_member_name (builder, "topic");
      json_builder_add_string_value (builder, item->topic);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

static GPtrArray *
copy_objects (GPtrArray *objects)
{
  GPtrArray *copy = g_ptr_array_new_full (objects->len, g_object_unref);

  for (guint i = 0; i < objects->len; i++)
    g_ptr_array_add (copy, g_object_ref (objects->pdata[i]));
  return copy;
}

/**
 * qi_addon_list_hosts:
 * @self: a #QiAddon
 *
 * Returns: (transfer container) (element-type QiHost): its hosts, in order
 */
GPtrArray *
qi_addon_list_hosts (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);
  return copy_objects (priv->hosts);
}

/**
 * qi_addon_list_workfile_handlers:
 * @self: a #QiAddon
 *
 * Returns: (transfer container) (element-type QiWorkfileHandler): its
 *   workfile handlers, in order
 */
GPtrArray *
qi_addon_list_workfile_handlers (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);
  return copy_objects (priv->workfile_handlers);
}

static void
add_string_array (JsonBuilder        *builder,
                  const char         *member,
                  const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

/**
 * qi_addon_describe_contributions:
 * @self: a #QiAddon
 *
 * What the addon adds, as `qi --headless addons info` and
 * `addons list --json` show it under `contributes`: `verbs` (names),
 * `routes` (`"GET /api/…"`), `tray_items` (ids), `hosts` (names),
 * `workfile_handlers` (`{"name", "host", "extensions"}`) and
 * `plugin_dirs` (kind → folder). Its hub handlers and subscriptions are
 * its session's and not listed.
 *
 * Returns: (transfer full): a JSON object
 */
JsonNode *
qi_addon_describe_contributions (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char * const *kinds;

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "verbs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->verbs->len; i++)
    json_builder_add_string_value (builder, qi_cli_verb_get_name (priv->verbs->pdata[i]));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "routes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->routes->len; i++)
    {
      Route *route = &g_array_index (priv->routes, Route, i);
      g_autofree char *text = g_strdup_printf ("%s %s", route->method, route->pattern);

      json_builder_add_string_value (builder, text);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "tray_items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->tray->len; i++)
    json_builder_add_string_value (builder, g_array_index (priv->tray, TrayItem, i).id);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "hosts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->hosts->len; i++)
    json_builder_add_string_value (builder, qi_host_get_name (priv->hosts->pdata[i]));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "workfile_handlers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < priv->workfile_handlers->len; i++)
    {
      QiWorkfileHandler *handler = priv->workfile_handlers->pdata[i];
      const char *host = qi_workfile_handler_get_host (handler);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, qi_workfile_handler_get_name (handler));
      json_builder_set_member_name (builder, "host");
      if (host != NULL)
        json_builder_add_string_value (builder, host);
      else
        json_builder_add_null_value (builder);
      add_string_array (builder, "extensions", qi_workfile_handler_get_extensions (handler));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "plugin_dirs");
  json_builder_begin_object (builder);
  kinds = qi_addon_info_get_plugin_kinds (priv->info);
  for (guint i = 0; kinds != NULL && kinds[i] != NULL; i++)
    {
      g_autofree char *folder = qi_addon_info_dup_plugin_folder (priv->info, kinds[i]);

      json_builder_set_member_name (builder, kinds[i]);
      json_builder_add_string_value (builder, folder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * qi_addon_get_setting:
 * @self: a loaded #QiAddon whose class has a settings schema
 *   (qi_settings_schema_attach())
 * @key: the dotted path of one of its keys, such as `farm.priority`
 * @origin: (out) (optional): the layer the value comes from
 * @error: return location for a #GError
 *
 * Resolves one of the addon's own settings for the run's project, over
 * the default, bundle and project layers (see #QiSettings). The schema is
 * known from before register, so register may read its settings.
 *
 * Returns: (transfer full): the value (an object for a group of keys), or
 *   %NULL if the addon is not loaded with a settings service, or has no
 *   such key
 */
JsonNode *
qi_addon_get_setting (QiAddon          *self,
                      const char       *key,
                      QiSettingsLayer  *origin,
                      GError          **error)
{
  QiAddonPrivate *priv;
  QiSettings *settings;

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  priv = qi_addon_get_instance_private (self);
  settings = priv->settings;
  if (settings == NULL)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_ADDON,
                   _("the addon “%s” is not loaded with a settings service"), qi_addon_get_name (self));
      return NULL;
    }
  return qi_settings_get_value (settings, qi_addon_get_name (self), key, NULL, origin, error);
}

static gboolean
check_result (QiAddon     *self,
              gboolean     ok,
              GError     **error,
              const char  *step)
{
  if (ok)
    return TRUE;

  /* A vfunc that fails must say why; one that does not is a bug of the
   * addon, reported as such rather than crashing on a NULL error. */
  if (error != NULL && *error == NULL)
    g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_FAILED,
                 _("%s failed without saying why (a bug of the addon)"), step);
  withdraw (self);
  return FALSE;
}

gboolean
qi_addon_run_register (QiAddon  *self,
                       GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok = QI_ADDON_GET_CLASS (self)->register_addon (self, &local_error);

  if (!check_result (self, ok, &local_error, "register"))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

gboolean
qi_addon_run_install (QiAddon  *self,
                      GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok = QI_ADDON_GET_CLASS (self)->install (self, &local_error);

  if (!check_result (self, ok, &local_error, "install"))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

void
qi_addon_run_close (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  if (priv->closed)
    return;
  priv->closed = TRUE;
  QI_ADDON_GET_CLASS (self)->close (self);
  withdraw (self);
}

/**
 * qi_addon_get_data_dir:
 * @self: a #QiAddon
 *
 * Returns: (transfer none) (nullable): the run's data folder (see
 *   #QiAddon:data-dir)
 */
const char *
qi_addon_get_data_dir (QiAddon *self)
{
  QiAddonPrivate *priv;

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);

  priv = qi_addon_get_instance_private (self);
  return priv->data_dir;
}

static gboolean
check_role (QiAddon     *self,
            const char  *role,
            const char  *what,
            GError     **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  if (priv->info != NULL && qi_addon_info_has_role (priv->info, role))
    return TRUE;
  g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
               _("the addon “%s” provides %s, but its addon.toml does not give it the role “%s”: "
                 "add roles = [\"%s\"]"), qi_addon_get_name (self), what, role, role);
  return FALSE;
}

/**
 * qi_addon_provide_tracker:
 * @self: a #QiAddon of the role `db`
 * @adapter: the tracker it provides
 * @error: return location for a #GError
 *
 * Provides the run's tracker: the `db` service makes @adapter its
 * default when the addon loads at bootstrap phase 1 (a provider addon is
 * loaded before every other). Call it from register.
 *
 * Returns: %TRUE, or %FALSE (%QI_ADDON_ERROR_INVALID) if the addon does not
 *   have the role `db`, or provides a tracker already
 */
gboolean
qi_addon_provide_tracker (QiAddon      *self,
                          QiDbAdapter  *adapter,
                          GError      **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);
  g_return_val_if_fail (QI_IS_DB_ADAPTER (adapter), FALSE);

  if (!check_role (self, "db", _("a tracker"), error))
    return FALSE;
  if (priv->tracker != NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("the addon “%s” provides a tracker already"), qi_addon_get_name (self));
      return FALSE;
    }
  priv->tracker = g_object_ref (adapter);
  return TRUE;
}

/**
 * qi_addon_get_tracker:
 * @self: a #QiAddon
 *
 * Returns: (transfer none) (nullable): the tracker it provides
 */
QiDbAdapter *
qi_addon_get_tracker (QiAddon *self)
{
  QiAddonPrivate *priv;

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);

  priv = qi_addon_get_instance_private (self);
  return priv->tracker;
}

/**
 * qi_addon_provide_login:
 * @self: a #QiAddon of the role `auth`
 * @provider: the login scheme it provides
 * @error: return location for a #GError
 *
 * Provides the run's login: the `auth` service makes @provider the run's
 * when the addon loads at bootstrap phase 1. Call it from register.
 *
 * Returns: %TRUE, or %FALSE (%QI_ADDON_ERROR_INVALID) if the addon does not
 *   have the role `auth`, or provides a login already
 */
gboolean
qi_addon_provide_login (QiAddon         *self,
                        QiAuthProvider  *provider,
                        GError         **error)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  g_return_val_if_fail (QI_IS_ADDON (self), FALSE);
  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (provider), FALSE);

  if (!check_role (self, "auth", _("a login"), error))
    return FALSE;
  if (priv->login != NULL)
    {
      g_set_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID,
                   _("the addon “%s” provides a login already"), qi_addon_get_name (self));
      return FALSE;
    }
  priv->login = g_object_ref (provider);
  return TRUE;
}

/**
 * qi_addon_get_login:
 * @self: a #QiAddon
 *
 * Returns: (transfer none) (nullable): the login scheme it provides
 */
QiAuthProvider *
qi_addon_get_login (QiAddon *self)
{
  QiAddonPrivate *priv;

  g_return_val_if_fail (QI_IS_ADDON (self), NULL);

  priv = qi_addon_get_instance_private (self);
  return priv->login;
}
