/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-auth-manager.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-error.h"
#include "qi-local-auth-provider.h"
#include "qi-message-bus.h"
#include "qi-sqlite-adapter.h"

/**
 * QiAuthManager:
 *
 * The `auth` service: the run's #QiAuthProvider, and its API on the hub.
 *
 * After qi_auth_manager_attach_hub() the session `__hub__/auth` answers
 * `auth.login`, `auth.refresh`, `auth.logout` and `auth.whoami` (see
 * docs/protocol.md). A wrong user or password, an expired or ended
 * session answer `unauthorized`; a payload of the wrong shape
 * `bad_message`; anything else `handler_failed`.
 */

struct _QiAuthManager
{
  QiService       parent_instance;

  QiAuthProvider *provider;
  QiHubEndpoint  *endpoint;
};

G_DEFINE_FINAL_TYPE (QiAuthManager, qi_auth_manager, QI_TYPE_SERVICE)

enum {
  PROP_0,
  PROP_PROVIDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The topics. */

typedef enum {
  OP_LOGIN,
  OP_REFRESH,
  OP_LOGOUT,
  OP_WHOAMI,
} Op;

static const char * const topics[] = {
  [OP_LOGIN] = "auth.login",
  [OP_REFRESH] = "auth.refresh",
  [OP_LOGOUT] = "auth.logout",
  [OP_WHOAMI] = "auth.whoami",
};

typedef struct
{
  QiAuthManager *self;
  Op             op;
} Handler;

static QiHubError
hub_code (const GError *error)
{
  if (error->domain != QI_AUTH_ERROR)
    return QI_HUB_ERROR_HANDLER_FAILED;
  switch (error->code)
    {
    case QI_AUTH_ERROR_BAD_CREDENTIALS:
    case QI_AUTH_ERROR_EXPIRED:
    case QI_AUTH_ERROR_INVALID_TOKEN:
    case QI_AUTH_ERROR_NO_SUCH_USER:
    case QI_AUTH_ERROR_LOCKED:
      return QI_HUB_ERROR_UNAUTHORIZED;
    case QI_AUTH_ERROR_INVALID:
      return QI_HUB_ERROR_BAD_MESSAGE;
    default:
      return QI_HUB_ERROR_HANDLER_FAILED;
    }
}

static const char *
string_member (JsonObject *payload,
               const char *name)
{
  JsonNode *node = json_object_get_member (payload, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
on_request (QiHubRequest *request,
            gpointer      user_data)
{
  Handler *handler = user_data;
  QiAuthProvider *provider = handler->self->provider;
  const char *topic = topics[handler->op];
  JsonNode *node = qi_hub_request_get_payload (request);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *payload;
  const char *token;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, _("the payload must be an object"));
      return;
    }
  payload = json_node_get_object (node);

  if (handler->op == OP_LOGIN)
    {
      if (string_member (payload, "username") == NULL || string_member (payload, "password") == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("%s: the payload needs “username” and “password”, "
                                                        "as strings"), topic);

          qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
          return;
        }
      reply = qi_auth_provider_login (provider, payload, &error);
    }
  else
    {
      token = string_member (payload, "token");
      if (token == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("%s: the payload needs “token”, a string"), topic);

          qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
          return;
        }
      switch (handler->op)
        {
        case OP_REFRESH:
          reply = qi_auth_provider_refresh (provider, token, &error);
          break;
        case OP_WHOAMI:
          reply = qi_auth_provider_whoami (provider, token, &error);
          break;
        case OP_LOGOUT:
          if (qi_auth_provider_logout (provider, token, &error))
            {
              reply = json_node_new (JSON_NODE_OBJECT);
              json_node_take_object (reply, json_object_new ());
              json_object_set_boolean_member (json_node_get_object (reply), "logged_out", TRUE);
            }
          break;
        case OP_LOGIN:
        default:
          g_assert_not_reached ();
        }
    }

  if (reply == NULL)
    qi_hub_request_fail (request, hub_code (error), error->message);
  else
    qi_hub_request_reply (request, reply);
}

/* The service. */

static void
qi_auth_manager_stop (QiService *service)
{
  QiAuthManager *self = QI_AUTH_MANAGER (service);

  if (self->endpoint != NULL)
    {
      qi_hub_endpoint_close (self->endpoint);
      g_clear_object (&self->endpoint);
    }
}

static void
qi_auth_manager_dispose (GObject *object)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  qi_auth_manager_stop (QI_SERVICE (self));
  g_clear_object (&self->provider);

  G_OBJECT_CLASS (qi_auth_manager_parent_class)->dispose (object);
}

static void
qi_auth_manager_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_auth_manager_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  switch (prop_id)
    {
    case PROP_PROVIDER:
      self->provider = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_auth_manager_class_init (QiAuthManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->dispose = qi_auth_manager_dispose;
  object_class->get_property = qi_auth_manager_get_property;
  object_class->set_property = qi_auth_manager_set_property;
  service_class->stop = qi_auth_manager_stop;

  /**
   * QiAuthManager:provider:
   *
   * The run's auth provider.
   */
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, QI_TYPE_AUTH_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_auth_manager_init (QiAuthManager *self)
{
}

/**
 * qi_auth_manager_new:
 * @provider: the run's auth provider
 *
 * Creates the `auth` service over @provider.
 *
 * Returns: (transfer full): a new #QiAuthManager
 */
QiAuthManager *
qi_auth_manager_new (QiAuthProvider *provider)
{
  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (provider), NULL);

  return g_object_new (QI_TYPE_AUTH_MANAGER,
                       "name", "auth",
                       "description", _("Who the user is: login and session tokens"),
                       "provider", provider,
                       NULL);
}

/**
 * qi_auth_manager_new_local:
 * @db: the `db` service
 * @error: return location for a #GError
 *
 * Creates the `auth` service with a #QiLocalAuthProvider over the
 * embedded tracker of @db (its adapter %QI_DB_MANAGER_SQLITE) and a token
 * authority with a new key for this run.
 *
 * Returns: (transfer full): a new #QiAuthManager, or %NULL
 *   (%QI_AUTH_ERROR_FAILED) if @db has no embedded tracker or no random
 *   key can be made
 */
QiAuthManager *
qi_auth_manager_new_local (QiDbManager  *db,
                           GError      **error)
{
  g_autoptr(QiTokenAuthority) authority = NULL;
  g_autoptr(QiLocalAuthProvider) provider = NULL;
  g_autoptr(GError) local_error = NULL;
  QiDbAdapter *adapter;

  g_return_val_if_fail (QI_IS_DB_MANAGER (db), NULL);

  adapter = qi_db_manager_get_adapter (db, QI_DB_MANAGER_SQLITE, NULL);
  if (adapter == NULL || !QI_IS_SQLITE_ADAPTER (adapter))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
                   _("the db service has no embedded tracker “%s” for the local login"), QI_DB_MANAGER_SQLITE);
      return NULL;
    }
  authority = qi_token_authority_new (&local_error);
  if (authority == NULL)
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, local_error->message);
      return NULL;
    }
  provider = qi_local_auth_provider_new (QI_SQLITE_ADAPTER (adapter), authority);
  return qi_auth_manager_new (QI_AUTH_PROVIDER (provider));
}

/**
 * qi_auth_manager_get_provider:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none): the run's auth provider
 */
QiAuthProvider *
qi_auth_manager_get_provider (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return self->provider;
}

/**
 * qi_auth_manager_attach_hub:
 * @self: a #QiAuthManager
 * @hub: the hub
 * @error: return location for a #GError
 *
 * Opens the session `__hub__/auth` on @hub and handles the `auth.*`
 * request topics there.
 *
 * Returns: %TRUE, or %FALSE if the session or a handler cannot be added
 */
gboolean
qi_auth_manager_attach_hub (QiAuthManager  *self,
                            QiHub          *hub,
                            GError        **error)
{
  g_autoptr(QiHubEndpoint) endpoint = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_HUB (hub), FALSE);

  if (self->endpoint != NULL)
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, _("the auth service is on a hub already"));
      return FALSE;
    }
  endpoint = qi_hub_open_endpoint (hub, QI_MESSAGE_BUS_HUB_SESSION "/auth", QI_MESSAGE_BUS_HUB_SESSION, error);
  if (endpoint == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (topics); i++)
    {
      Handler *handler = g_new0 (Handler, 1);

      handler->self = self;
      handler->op = i;
      if (!qi_hub_endpoint_add_handler (endpoint, topics[i], on_request, handler, g_free, error))
        {
          /* a refused handler's data is not kept */
          g_free (handler);
          qi_hub_endpoint_close (endpoint);
          return FALSE;
        }
    }
  self->endpoint = g_steal_pointer (&endpoint);
  return TRUE;
}
