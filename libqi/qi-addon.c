/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-addon-private.h"

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
 * closed addon leaves nothing behind: its verbs and routes are removed and
 * its session closes, which ends its handlers and subscriptions.
 */

typedef struct
{
  char *method;
  char *pattern;
} Route;

typedef struct
{
  QiAddonInfo   *info;
  QiHubEndpoint *endpoint;
  QiCliManager  *cli;
  QiRestRouter  *router;
  GPtrArray     *verbs;    /* of QiCliVerb it added */
  GArray        *routes;   /* of Route it added */
  gboolean       closed;
} QiAddonPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (QiAddon, qi_addon, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INFO,
  PROP_ENDPOINT,
  PROP_CLI_MANAGER,
  PROP_ROUTER,
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
  g_clear_object (&priv->info);

  G_OBJECT_CLASS (qi_addon_parent_class)->dispose (object);
}

static void
qi_addon_finalize (GObject *object)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (QI_ADDON (object));

  g_clear_pointer (&priv->verbs, g_ptr_array_unref);
  g_clear_pointer (&priv->routes, g_array_unref);

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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_addon_init (QiAddon *self)
{
  QiAddonPrivate *priv = qi_addon_get_instance_private (self);

  priv->verbs = g_ptr_array_new_with_free_func (g_object_unref);
  priv->routes = g_array_new (FALSE, TRUE, sizeof (Route));
  g_array_set_clear_func (priv->routes, route_clear);
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
