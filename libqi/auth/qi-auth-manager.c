/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-auth-manager.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-error.h"
#include "qi-hub-facade.h"
#include "qi-json-reader-private.h"
#include "qi-message-bus.h"

/**
 * QiAuthManager:
 *
 * The `auth` service: the run's one #QiAuthProvider (the role `auth` of a
 * provider addon, set at bootstrap phase 1), the #QiTokenAuthority it signs
 * with (a key made for the run), the run's own login session, and their
 * API on the hub.
 *
 * After qi_auth_manager_attach_hub() the session `__hub__/auth` answers
 * `auth.info`, `auth.login`, `auth.refresh`, `auth.logout` and
 * `auth.whoami` (see docs/protocol.md), and emits `auth.session` when the
 * run's own session opens, is refreshed or ends. A wrong user or password,
 * an expired or ended session answer `unauthorized`; a payload of the
 * wrong shape `bad_message`; anything else `handler_failed`. A login runs
 * the provider's check off the hub's loop (qi_auth_provider_login_async()).
 *
 * qi_auth_manager_check_token() tells the local server whether a user
 * token (subject `user/…`) is one of the provider's open sessions, and
 * #QiAuthManager::session-ended names the token of a session that was
 * logged out or replaced by a refresh, so that its open connections can be
 * closed.
 *
 * The run's own session (qi_auth_manager_set_run_session(), from
 * bootstrap phase 2) is refreshed by a timer when
 * #QiAuthManager:refresh-fraction of its lifetime has passed.
 */

struct _QiAuthManager
{
  QiService         parent_instance;

  QiAuthProvider   *provider;
  QiTokenAuthority *authority;
  char             *data_dir;     /* where service-token.key is */
  JsonNode         *run_session;  /* with its token, or NULL */
  gint64            run_issued;   /* when the run session was opened (s) */
  double            refresh_fraction;
  guint             refresh_source;
  QiHubEndpoint    *endpoint;
};

G_DEFINE_FINAL_TYPE (QiAuthManager, qi_auth_manager, QI_TYPE_SERVICE)

enum {
  PROP_0,
  PROP_PROVIDER,
  PROP_AUTHORITY,
  PROP_REFRESH_FRACTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SESSION_ENDED,
  RUN_SESSION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
no_provider (GError **error)
{
  g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
                       _("this run has no login: no addon provides the role “auth” (the tracker addons do)"));
  return FALSE;
}

/* Sessions. */

static void schedule_refresh (QiAuthManager *self);
static void emit_session_event (QiAuthManager *self, const char *change, JsonNode *session);

static gboolean
is_run_token (QiAuthManager *self,
              const char    *token)
{
  return self->run_session != NULL &&
         g_strcmp0 (string_member (json_node_get_object (self->run_session), "token"), token) == 0;
}

static gint64
parse_expiry (JsonNode *session)
{
  const char *text = string_member (json_node_get_object (session), "expires_at");
  g_autoptr(GDateTime) when = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return when != NULL ? g_date_time_to_unix (when) : 0;
}

static gboolean
on_refresh_due (gpointer user_data)
{
  QiAuthManager *self = QI_AUTH_MANAGER (user_data);
  g_autofree char *token = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(GError) error = NULL;

  self->refresh_source = 0;
  if (self->run_session == NULL)
    return G_SOURCE_REMOVE;
  token = g_strdup (string_member (json_node_get_object (self->run_session), "token"));
  /* qi_auth_manager_refresh() moves the run session to the new token */
  session = qi_auth_manager_refresh (self, token, &error);
  if (session == NULL)
    {
      g_warning ("the run's login session could not be refreshed: %s", error->message);
      emit_session_event (self, "expired", self->run_session);
      g_clear_pointer (&self->run_session, json_node_unref);
      g_signal_emit (self, signals[RUN_SESSION_CHANGED], 0);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (QiAuthManager *self)
{
  gint64 expires;
  double delay;

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->run_session == NULL)
    return;
  expires = parse_expiry (self->run_session);
  delay = (double) (expires - self->run_issued) * self->refresh_fraction;
  if (delay < 0.5)
    delay = 0.5;
  self->refresh_source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) (delay * 1000), on_refresh_due,
                                             g_object_ref (self), g_object_unref);
  g_debug ("the run session (until %" G_GINT64_FORMAT ") is refreshed in %.1f s", expires, delay);
}

/* `auth.session {change, provider, user, roles, expires_at}`: never the
 * token, which every subscriber would see. */
static void
emit_session_event (QiAuthManager *self,
                    const char    *change,
                    JsonNode      *session)
{
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *from = json_node_get_object (session);
  JsonObject *object;

  if (self->endpoint == NULL)
    return;
  object = json_object_new ();
  json_object_set_string_member (object, "change", change);
  for (const char * const *name = (const char * const []) { "provider", "user", "roles", "expires_at", NULL };
       *name != NULL; name++)
    if (json_object_has_member (from, *name))
      json_object_set_member (object, *name, json_node_copy (json_object_get_member (from, *name)));
  payload = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  if (!qi_hub_endpoint_emit (self->endpoint, "auth.session", payload, &error))
    g_debug ("auth.session not sent: %s", error->message);
}

/* The hub. */

static QiHubError
hub_code (const GError *error)
{
  if (error->domain == QI_HUB_ERROR)
    return error->code;
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

static void
fail (QiHubRequest *request,
      const GError *error)
{
  qi_hub_request_fail (request, hub_code (error), error->message);
}

typedef struct
{
  QiHubRequest *request;
  JsonObject   *credentials;
  JsonNode     *session;
} HubLogin;

static void
hub_login_free (HubLogin *login)
{
  g_object_unref (login->request);
  json_object_unref (login->credentials);
  g_clear_pointer (&login->session, json_node_unref);
  g_free (login);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HubLogin, hub_login_free)

static void
on_remembered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HubLogin) login = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) members = qi_auth_provider_remember_finish (QI_AUTH_PROVIDER (source), result, &error);
  JsonObject *session = json_node_get_object (login->session);

  if (members == NULL)
    g_warning ("the login worked, but what a later run needs was not kept: %s", error->message);
  else
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, members);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (session, name, json_node_copy (value));
    }
  qi_hub_request_reply (login->request, login->session);
}

static void
on_hub_login_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(HubLogin) login = user_data;
  g_autoptr(GError) error = NULL;
  QiAuthManager *self = QI_AUTH_MANAGER (source);
  JsonObject *credentials;

  login->session = qi_auth_manager_login_finish (self, result, &error);
  if (login->session == NULL)
    {
      fail (login->request, error);
      return;
    }
  /* a login the artist typed is kept where a later run finds it (ftrack:
   * the key in the desktop keyring); the reply says whether it was */
  credentials = login->credentials;
  qi_auth_provider_remember_async (self->provider, credentials, NULL, on_remembered, g_steal_pointer (&login));
}

static void
on_login (QiHubRequest *request,
          JsonObject   *payload,
          gpointer      user_data)
{
  QiAuthManager *self = user_data;
  const char *named = qi_hub_facade_get_string (payload, "provider");
  g_autoptr(GError) error = NULL;
  HubLogin *login;

  if (self->provider == NULL && !no_provider (&error))
    {
      fail (request, error);
      return;
    }
  if (named != NULL && g_strcmp0 (named, qi_auth_provider_get_name (self->provider)) != 0)
    {
      g_autofree char *message =
        g_strdup_printf (_("auth.login: this run logs in through “%s”, not “%s”: run Qi with the tracker "
                           "that has those logins (the bundle's, or --tracker NAME)"),
                         qi_auth_provider_get_name (self->provider), named);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  login = g_new0 (HubLogin, 1);
  login->request = g_object_ref (request);
  login->credentials = json_object_ref (payload);
  qi_auth_manager_login_async (self, payload, NULL, on_hub_login_done, login);
}

static void
on_refresh (QiHubRequest *request,
            JsonObject   *payload,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_auth_manager_refresh (user_data, qi_hub_facade_get_string (payload, "token"),
                                                       &error);

  if (reply == NULL)
    fail (request, error);
  else
    qi_hub_request_reply (request, reply);
}

static void
on_logout (QiHubRequest *request,
           JsonObject   *payload,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) reply = NULL;

  if (!qi_auth_manager_logout (user_data, qi_hub_facade_get_string (payload, "token"), &error))
    {
      fail (request, error);
      return;
    }
  object = json_object_new ();
  json_object_set_boolean_member (object, "logged_out", TRUE);
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (request, reply);
}

static void
on_whoami (QiHubRequest *request,
           JsonObject   *payload,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_auth_manager_whoami (user_data, qi_hub_facade_get_string (payload, "token"),
                                                      &error);

  if (reply == NULL)
    fail (request, error);
  else
    qi_hub_request_reply (request, reply);
}

/* What the login page shows: the provider and the credentials it takes;
 * and who the run is logged in as, for what names its files (a path
 * template's {user}). */
static void
on_info (QiHubRequest *request,
         JsonObject   *payload,
         gpointer      user_data)
{
  QiAuthManager *self = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *user = NULL;

  if (self->provider != NULL)
    json_object_set_string_member (object, "provider", qi_auth_provider_get_name (self->provider));
  else
    json_object_set_null_member (object, "provider");
  json_object_set_boolean_member (object, "logged_in", self->run_session != NULL);
  if (self->run_session != NULL && JSON_NODE_HOLDS_OBJECT (self->run_session))
    {
      JsonNode *node = json_object_get_member (json_node_get_object (self->run_session), "user");

      user = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  if (user != NULL && json_object_get_string_member_with_default (user, "username", NULL) != NULL)
    json_object_set_string_member (object, "user", json_object_get_string_member (user, "username"));
  else
    json_object_set_null_member (object, "user");
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (request, reply);
}

/* `auth.child_token {name, lifetime_s?}`: a token whose session opens
 * below the asker's, for a process it starts (a DCC of the launcher): the
 * session closes with its parent, and the token opens only the hub. */
#define CHILD_TOKEN_DEFAULT_LIFETIME_S (7 * 24 * 3600)
#define CHILD_TOKEN_MAX_LIFETIME_S (30 * 24 * 3600)

static void
on_child_token (QiHubRequest *request,
                JsonObject   *payload,
                gpointer      user_data)
{
  QiAuthManager *self = user_data;
  const char *name = qi_hub_facade_get_string (payload, "name");
  const char *parent = qi_hub_request_get_session (request);
  gint64 lifetime = qi_hub_facade_get_int (payload, "lifetime_s", CHILD_TOKEN_DEFAULT_LIFETIME_S);
  const char * const scopes[] = { QI_TOKEN_SCOPE_HUB, QI_TOKEN_SCOPE_API, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) expires = NULL;
  g_autofree char *token = NULL;
  g_autofree char *expires_at = NULL;

  if (g_str_has_prefix (name, "user/") || g_str_has_prefix (name, "__hub__"))
    {
      g_autofree char *message = g_strdup_printf (_("auth.child_token: “%s” is not a name for a child session: "
                                                    "“user/…” and “__hub__…” are reserved"), name);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  if (lifetime > CHILD_TOKEN_MAX_LIFETIME_S)
    {
      g_autofree char *message = g_strdup_printf (_("auth.child_token: “lifetime_s” is at most %d (30 days), not %"
                                                    G_GINT64_FORMAT), CHILD_TOKEN_MAX_LIFETIME_S, lifetime);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  token = qi_token_authority_issue (self->authority, name, parent, scopes, (guint) lifetime, &error);
  if (token == NULL)
    {
      fail (request, error);
      return;
    }
  expires = g_date_time_add_seconds (now, (gdouble) lifetime);
  expires_at = g_date_time_format (expires, "%Y-%m-%dT%H:%M:%SZ");
  object = json_object_new ();
  json_object_set_string_member (object, "token", token);
  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "parent", parent);
  json_object_set_string_member (object, "expires_at", expires_at);
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (request, reply);
}

static const QiHubField no_fields[] = { { NULL } };
static const QiHubField child_token_fields[] = {
  { "name", QI_HUB_FIELD_NONEMPTY, TRUE, 0 },
  { "lifetime_s", QI_HUB_FIELD_INT, FALSE, 60 },
  { NULL }
};
static const QiHubField login_fields[] = { { "provider", QI_HUB_FIELD_STRING, FALSE, 0 }, { NULL } };
static const QiHubField token_fields[] = { { "token", QI_HUB_FIELD_STRING, TRUE, 0 }, { NULL } };

static const QiHubTopic topics[] = {
  { "auth.info", no_fields, on_info },
  { "auth.login", login_fields, on_login },
  { "auth.refresh", token_fields, on_refresh },
  { "auth.logout", token_fields, on_logout },
  { "auth.whoami", token_fields, on_whoami },
  { "auth.child_token", child_token_fields, on_child_token },
};

/* The service. */

static void
qi_auth_manager_stop (QiService *service)
{
  QiAuthManager *self = QI_AUTH_MANAGER (service);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
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
qi_auth_manager_finalize (GObject *object)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  g_clear_object (&self->authority);
  g_clear_pointer (&self->run_session, json_node_unref);
  g_free (self->data_dir);

  G_OBJECT_CLASS (qi_auth_manager_parent_class)->finalize (object);
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
    case PROP_AUTHORITY:
      g_value_set_object (value, self->authority);
      break;
    case PROP_REFRESH_FRACTION:
      g_value_set_double (value, self->refresh_fraction);
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
      if (g_value_get_object (value) != NULL)
        qi_auth_manager_set_provider (self, g_value_get_object (value), NULL);
      break;
    case PROP_AUTHORITY:
      g_set_object (&self->authority, g_value_get_object (value));
      break;
    case PROP_REFRESH_FRACTION:
      self->refresh_fraction = g_value_get_double (value);
      schedule_refresh (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_auth_manager_constructed (GObject *object)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  G_OBJECT_CLASS (qi_auth_manager_parent_class)->constructed (object);

  if (self->authority == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->authority = qi_token_authority_new (&error);
      if (self->authority == NULL)
        g_warning ("no token authority, so no login, in this run: %s", error->message);
    }
  if (self->provider != NULL)
    qi_auth_provider_set_authority (self->provider, self->authority);
}

static void
qi_auth_manager_class_init (QiAuthManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->constructed = qi_auth_manager_constructed;
  object_class->dispose = qi_auth_manager_dispose;
  object_class->finalize = qi_auth_manager_finalize;
  object_class->get_property = qi_auth_manager_get_property;
  object_class->set_property = qi_auth_manager_set_property;
  service_class->stop = qi_auth_manager_stop;

  /**
   * QiAuthManager:provider:
   *
   * The run's login scheme, or %NULL before a provider addon gave one.
   */
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, QI_TYPE_AUTH_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * QiAuthManager:authority:
   *
   * The authority that signs the sessions' tokens (and that the local
   * server checks them with); a new key for the run unless given.
   */
  properties[PROP_AUTHORITY] =
    g_param_spec_object ("authority", NULL, NULL, QI_TYPE_TOKEN_AUTHORITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAuthManager:refresh-fraction:
   *
   * The part of the run session's lifetime after which it is refreshed.
   */
  properties[PROP_REFRESH_FRACTION] =
    g_param_spec_double ("refresh-fraction", NULL, NULL, 0.05, 0.95, 0.75,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QiAuthManager::session-ended:
   * @self: the manager
   * @token: the token of the session that ended
   * @reason: why, for the people whose connections it closes
   *
   * Emitted when a session is logged out or replaced by a refresh.
   */
  signals[SESSION_ENDED] =
    g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * QiAuthManager::run-session-changed:
   * @self: the manager
   *
   * Emitted when the run's own session opens, is refreshed or ends.
   */
  signals[RUN_SESSION_CHANGED] =
    g_signal_new ("run-session-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
qi_auth_manager_init (QiAuthManager *self)
{
  self->refresh_fraction = 0.75;
}

/**
 * qi_auth_manager_new:
 * @provider: (nullable): the run's login scheme, or %NULL until a
 *   provider addon gives one (qi_auth_manager_set_provider())
 *
 * Creates the `auth` service, with a token authority of a new key for
 * this run.
 *
 * Returns: (transfer full): a new #QiAuthManager
 */
QiAuthManager *
qi_auth_manager_new (QiAuthProvider *provider)
{
  g_return_val_if_fail (provider == NULL || QI_IS_AUTH_PROVIDER (provider), NULL);

  return g_object_new (QI_TYPE_AUTH_MANAGER,
                       "name", "auth",
                       "description", _("Who the user is: login and session tokens"),
                       "provider", provider,
                       NULL);
}

/**
 * qi_auth_manager_get_provider:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none) (nullable): the run's login scheme
 */
QiAuthProvider *
qi_auth_manager_get_provider (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return self->provider;
}

/**
 * qi_auth_manager_set_provider:
 * @self: a #QiAuthManager
 * @provider: the run's login scheme
 * @error: return location for a #GError
 *
 * Makes @provider the run's login scheme and gives it the manager's
 * token authority. A run has one: the role `auth` belongs to one addon.
 *
 * Returns: %TRUE, or %FALSE (%QI_AUTH_ERROR_EXISTS) if another provider is
 *   the run's already
 */
gboolean
qi_auth_manager_set_provider (QiAuthManager   *self,
                              QiAuthProvider  *provider,
                              GError         **error)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_AUTH_PROVIDER (provider), FALSE);

  if (self->provider != NULL && self->provider != provider)
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_EXISTS,
                   _("the run logs in through “%s” already; “%s” cannot be its login too"),
                   qi_auth_provider_get_name (self->provider), qi_auth_provider_get_name (provider));
      return FALSE;
    }
  g_set_object (&self->provider, provider);
  if (self->authority != NULL)
    qi_auth_provider_set_authority (provider, self->authority);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROVIDER]);
  return TRUE;
}

/**
 * qi_auth_manager_get_authority:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none) (nullable): the authority that signs the
 *   sessions' tokens
 */
QiTokenAuthority *
qi_auth_manager_get_authority (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return self->authority;
}

/**
 * qi_auth_manager_get_data_dir:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none) (nullable): the folder of the service token key
 */
const char *
qi_auth_manager_get_data_dir (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return self->data_dir;
}

/**
 * qi_auth_manager_set_data_dir:
 * @self: a #QiAuthManager
 * @data_dir: the run's data folder, where `service-token.key` is kept
 */
void
qi_auth_manager_set_data_dir (QiAuthManager *self,
                              const char    *data_dir)
{
  g_return_if_fail (QI_IS_AUTH_MANAGER (self));
  g_return_if_fail (data_dir != NULL);

  g_free (self->data_dir);
  self->data_dir = g_strdup (data_dir);
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
  if (!qi_hub_facade_attach (endpoint, topics, G_N_ELEMENTS (topics), self, error))
    {
      qi_hub_endpoint_close (endpoint);
      return FALSE;
    }
  self->endpoint = g_steal_pointer (&endpoint);
  return TRUE;
}

/* Logins. */

static void
on_provider_login_done (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *session = qi_auth_provider_login_finish (QI_AUTH_PROVIDER (source), result, &error);

  if (session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) json_node_unref);
}

/**
 * qi_auth_manager_login_async:
 * @self: a #QiAuthManager
 * @credentials: what the run's provider needs: `{username, password}`
 *   for the embedded tracker's users, `{server, api_user, api_key}` for
 *   ftrack
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the session
 * @user_data: data for @callback
 *
 * Logs in with the run's provider (qi_auth_provider_login_async()).
 */
void
qi_auth_manager_login_async (QiAuthManager       *self,
                             JsonObject          *credentials,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (QI_IS_AUTH_MANAGER (self));
  g_return_if_fail (credentials != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_auth_manager_login_async);
  if (self->provider == NULL && !no_provider (&error))
    {
      g_task_return_error (task, error);
      return;
    }
  qi_auth_provider_login_async (self->provider, credentials, cancellable, on_provider_login_done,
                                g_steal_pointer (&task));
}

/**
 * qi_auth_manager_login_finish:
 * @self: a #QiAuthManager
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session `{token, user, roles, expires_at,
 *   provider}`, or %NULL (see qi_auth_provider_login_finish())
 */
JsonNode *
qi_auth_manager_login_finish (QiAuthManager  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_auth_manager_login:
 * @self: a #QiAuthManager
 * @credentials: see qi_auth_manager_login_async()
 * @error: return location for a #GError
 *
 * Logs in, running the thread-default main context until the provider
 * answers (for command-line verbs and bootstrap phase 2).
 *
 * Returns: (transfer full): the session, or %NULL
 */
JsonNode *
qi_auth_manager_login (QiAuthManager  *self,
                       JsonObject     *credentials,
                       GError        **error)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (credentials != NULL, NULL);

  if (self->provider == NULL)
    return no_provider (error), NULL;
  return qi_auth_provider_login (self->provider, credentials, error);
}

/**
 * qi_auth_manager_refresh:
 * @self: a #QiAuthManager
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Refreshes a session; the old token ends (#QiAuthManager::session-ended).
 * Refreshing the run session moves it to the new token and emits
 * `auth.session` (`refreshed`).
 *
 * Returns: (transfer full): the new session, or %NULL (see
 *   qi_auth_provider_refresh())
 */
JsonNode *
qi_auth_manager_refresh (QiAuthManager  *self,
                         const char     *token,
                         GError        **error)
{
  g_autofree char *old = NULL;
  JsonNode *session;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  if (self->provider == NULL)
    return no_provider (error), NULL;
  old = g_strdup (token);
  session = qi_auth_provider_refresh (self->provider, old, error);
  if (session == NULL)
    return NULL;
  if (is_run_token (self, old))
    {
      g_clear_pointer (&self->run_session, json_node_unref);
      self->run_session = qi_json_node_deep_copy (session);
      self->run_issued = g_get_real_time () / G_USEC_PER_SEC;
      schedule_refresh (self);
      emit_session_event (self, "refreshed", session);
      g_signal_emit (self, signals[RUN_SESSION_CHANGED], 0);
    }
  g_signal_emit (self, signals[SESSION_ENDED], 0, old, _("the session was replaced by a refresh"));
  return session;
}

/**
 * qi_auth_manager_logout:
 * @self: a #QiAuthManager
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Ends a session (#QiAuthManager::session-ended).
 *
 * Returns: %TRUE, or %FALSE (see qi_auth_provider_logout())
 */
gboolean
qi_auth_manager_logout (QiAuthManager  *self,
                        const char     *token,
                        GError        **error)
{
  g_autofree char *old = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if (self->provider == NULL)
    return no_provider (error);
  old = g_strdup (token);
  if (!qi_auth_provider_logout (self->provider, old, error))
    return FALSE;
  if (is_run_token (self, old))
    {
      g_clear_handle_id (&self->refresh_source, g_source_remove);
      emit_session_event (self, "logged_out", self->run_session);
      g_clear_pointer (&self->run_session, json_node_unref);
      g_signal_emit (self, signals[RUN_SESSION_CHANGED], 0);
    }
  g_signal_emit (self, signals[SESSION_ENDED], 0, old, _("the session was logged out"));
  return TRUE;
}

/**
 * qi_auth_manager_whoami:
 * @self: a #QiAuthManager
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Returns: (transfer full): `{user, roles, expires_at, provider}`, or
 *   %NULL (see qi_auth_provider_whoami())
 */
JsonNode *
qi_auth_manager_whoami (QiAuthManager  *self,
                        const char     *token,
                        GError        **error)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  if (self->provider == NULL)
    return no_provider (error), NULL;
  return qi_auth_provider_whoami (self->provider, token, error);
}

/**
 * qi_auth_manager_check_token:
 * @self: a #QiAuthManager
 * @token: a token the authority verified
 * @claims: its claims
 * @error: return location for a #GError
 *
 * Tells the local server whether @token may still be used: a user
 * session's token (subject `user/…`) only while its session is open;
 * other tokens (the server's own, the info file's, the launcher's) are
 * the server's business and pass.
 *
 * Returns: %TRUE, or %FALSE with %QI_AUTH_ERROR_INVALID_TOKEN
 */
gboolean
qi_auth_manager_check_token (QiAuthManager  *self,
                             const char     *token,
                             QiToken        *claims,
                             GError        **error)
{
  g_autoptr(JsonNode) session = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  g_return_val_if_fail (QI_IS_TOKEN (claims), FALSE);

  if (!g_str_has_prefix (qi_token_get_session (claims), "user/"))
    return TRUE;
  if (self->provider != NULL)
    session = qi_auth_provider_whoami (self->provider, token, NULL);
  if (session == NULL)
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                           _("the session has ended (logged out or replaced by a refresh): log in again"));
      return FALSE;
    }
  return TRUE;
}

/**
 * qi_auth_manager_set_run_session:
 * @self: a #QiAuthManager
 * @session: (nullable): a session the provider opened (with its `token`),
 *   or %NULL to forget the run session (it is not logged out)
 * @error: return location for a #GError
 *
 * Makes @session the run's own: a timer refreshes it before it expires,
 * and `auth.session` announces it (`logged_in`) and each change.
 *
 * Returns: %TRUE, or %FALSE (%QI_AUTH_ERROR_INVALID_TOKEN) for a session
 *   that is not open
 */
gboolean
qi_auth_manager_set_run_session (QiAuthManager  *self,
                                 JsonNode       *session,
                                 GError        **error)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (session == NULL || JSON_NODE_HOLDS_OBJECT (session), FALSE);

  if (session != NULL)
    {
      const char *token = string_member (json_node_get_object (session), "token");
      g_autoptr(JsonNode) open = NULL;

      if (token != NULL && self->provider != NULL)
        open = qi_auth_provider_whoami (self->provider, token, NULL);
      if (open == NULL)
        {
          g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                               _("the run session must be one this auth service opened"));
          return FALSE;
        }
    }
  g_clear_pointer (&self->run_session, json_node_unref);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (session != NULL)
    {
      self->run_session = qi_json_node_deep_copy (session);
      self->run_issued = g_get_real_time () / G_USEC_PER_SEC;
      schedule_refresh (self);
      emit_session_event (self, "logged_in", session);
    }
  g_signal_emit (self, signals[RUN_SESSION_CHANGED], 0);
  return TRUE;
}

/**
 * qi_auth_manager_get_run_session:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none) (nullable): the run's own session, with its
 *   current token
 */
JsonNode *
qi_auth_manager_get_run_session (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return self->run_session;
}

/* Service tokens. */

#define SERVICE_KEY_FILE "service-token.key"
#define SERVICE_KEY_LENGTH 32

static char *
service_key_path (QiAuthManager  *self,
                  GError        **error)
{
  if (self->data_dir == NULL)
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
                           _("service tokens need the run's data folder, which the auth service was not given"));
      return NULL;
    }
  return g_build_filename (self->data_dir, SERVICE_KEY_FILE, NULL);
}

/* The authority of the service tokens, with the key of the data folder;
 * made (0600) when @create and there is none. */
static QiTokenAuthority *
service_authority (QiAuthManager  *self,
                   gboolean        create,
                   GError        **error)
{
  g_autofree char *path = service_key_path (self, error);
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) key = NULL;
  gsize length = 0;
  guchar *raw;

  if (path == NULL)
    return NULL;
  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      guint8 bytes[SERVICE_KEY_LENGTH];
      g_autofree char *hex = NULL;

      if (!create || !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                       _("no service token key can be read (%s): issue a token with “qi --headless auth "
                         "service-token”"), local_error->message);
          return NULL;
        }
      g_clear_error (&local_error);
      {
        g_autoptr(GError) random_error = NULL;
        g_autoptr(GFile) file = NULL;
        g_autoptr(GInputStream) in = NULL;

        file = g_file_new_for_path ("/dev/urandom");
        in = G_INPUT_STREAM (g_file_read (file, NULL, &random_error));
        if (in == NULL || !g_input_stream_read_all (in, bytes, sizeof bytes, NULL, NULL, &random_error))
          {
            g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, _("no random bytes for the service token key: %s"),
                         random_error->message);
            return NULL;
          }
      }
      hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes, sizeof bytes);
      memset (bytes, 0, sizeof bytes);
      if (!g_file_set_contents_full (path, hex, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                     0600, &local_error))
        {
          g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, _("cannot write the service token key: %s"),
                       local_error->message);
          return NULL;
        }
      text = g_steal_pointer (&hex);
      length = strlen (text);
    }
  g_strstrip (text);
  length = strlen (text);
  if (length < 2 * SERVICE_KEY_LENGTH)
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
                   _("%s is not a service token key (64 hexadecimal digits): delete it and issue tokens again"), path);
      return NULL;
    }
  raw = (guchar *) g_strdup (text);
  key = g_bytes_new_take (raw, length);
  memset (text, 0, length);
  return qi_token_authority_new_with_key (key);
}

/**
 * qi_auth_manager_issue_service_token:
 * @self: a #QiAuthManager
 * @username: a user of the run's provider
 * @lifetime_days: how long the token lasts, in days (1 to 3650)
 * @error: return location for a #GError
 *
 * Issues a service token for @username: a JWT signed with the key in
 * `service-token.key` of the data folder (made on first use, mode 0600),
 * subject `service/USERNAME`, scope `service`. Set as `QI_SERVICE_TOKEN`,
 * it logs a process of this machine in as @username at bootstrap phase 2.
 * Deleting the key file revokes every service token at once. The provider
 * must be able to open a session without credentials (the embedded
 * tracker's can).
 *
 * Returns: (transfer full): the token, or %NULL
 */
char *
qi_auth_manager_issue_service_token (QiAuthManager  *self,
                                     const char     *username,
                                     guint           lifetime_days,
                                     GError        **error)
{
  g_autoptr(QiTokenAuthority) authority = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autofree char *subject = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  if (lifetime_days < 1 || lifetime_days > 3650)
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                   _("a service token lasts 1 to 3650 days, not %u"), lifetime_days);
      return NULL;
    }
  if (self->provider == NULL)
    return no_provider (error), NULL;
  /* the user must exist now; a login with the token checks it again */
  session = qi_auth_provider_open_session (self->provider, username, error);
  if (session == NULL)
    return NULL;
  qi_auth_provider_logout (self->provider, json_object_get_string_member (json_node_get_object (session), "token"),
                           NULL);
  if ((authority = service_authority (self, TRUE, error)) == NULL)
    return NULL;
  subject = g_strdup_printf ("service/%s", username);
  return qi_token_authority_issue (authority, subject, NULL, (const char * const []) { "service", NULL },
                                   lifetime_days * 24 * 3600, error);
}

static JsonNode *
login_service_token (QiAuthManager  *self,
                     const char     *token,
                     GError        **error)
{
  g_autoptr(QiTokenAuthority) authority = service_authority (self, FALSE, error);
  g_autoptr(QiToken) claims = NULL;
  g_autoptr(GError) local_error = NULL;

  if (authority == NULL)
    return NULL;
  claims = qi_token_authority_verify (authority, token, &local_error);
  if (claims == NULL || !qi_token_has_scope (claims, "service") ||
      !g_str_has_prefix (qi_token_get_session (claims), "service/"))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                   _("QI_SERVICE_TOKEN is not a service token of this machine's Qi: %s"),
                   local_error != NULL ? local_error->message : _("wrong subject or scope"));
      return NULL;
    }
  return qi_auth_provider_open_session (self->provider, qi_token_get_session (claims) + strlen ("service/"), error);
}

/* Phase 2. */

/**
 * qi_auth_manager_login_from_environment:
 * @self: a #QiAuthManager
 * @envp: (array zero-terminated=1) (nullable): the environment; %NULL for
 *   the process's
 * @error: return location for a #GError
 *
 * Bootstrap phase 2: logs the run in without asking, from the first of
 *
 * 1. `QI_SERVICE_TOKEN`: a service token of this machine
 *    (qi_auth_manager_issue_service_token());
 * 2. what the provider finds itself (qi_auth_provider_find_credentials():
 *    ftrack's `QI_FTRACK_SERVER`, `QI_FTRACK_API_USER` and
 *    `QI_FTRACK_API_KEY` on farm machines, or the key in the desktop
 *    keyring).
 *
 * The session becomes the run session (refreshed by the timer).
 * `QI_AUTH_SESSION_LIFETIME` (seconds) sets the provider's session
 * lifetime first.
 *
 * Returns: %TRUE if there was nothing to log in with or the login worked;
 *   %FALSE with @error (which names where the credentials came from) when
 *   it failed
 */
gboolean
qi_auth_manager_login_from_environment (QiAuthManager       *self,
                                        const char * const  *envp,
                                        GError             **error)
{
  g_auto(GStrv) own = NULL;
  const char *lifetime_text;
  const char *service_token;
  g_autoptr(JsonObject) credentials = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *origin = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);

  if (self->provider == NULL)
    return TRUE;
  if (envp == NULL)
    envp = (const char * const *) (own = g_get_environ ());

  lifetime_text = g_environ_getenv ((char **) envp, "QI_AUTH_SESSION_LIFETIME");
  if (lifetime_text != NULL)
    {
      guint64 lifetime = 0;

      if (!g_ascii_string_to_unsigned (lifetime_text, 10, 1, G_MAXINT32, &lifetime, NULL))
        {
          g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                       _("QI_AUTH_SESSION_LIFETIME is “%s”, not a number of seconds"), lifetime_text);
          return FALSE;
        }
      qi_auth_provider_set_lifetime (self->provider, (guint) lifetime);
    }

  service_token = g_environ_getenv ((char **) envp, "QI_SERVICE_TOKEN");
  if (service_token != NULL)
    {
      session = login_service_token (self, service_token, &local_error);
      if (session == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return qi_auth_manager_set_run_session (self, session, error);
    }

  credentials = qi_auth_provider_find_credentials (self->provider, envp, &origin, &local_error);
  if (credentials == NULL)
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  session = qi_auth_provider_login (self->provider, credentials, &local_error);
  if (session == NULL)
    {
      g_set_error (error, QI_AUTH_ERROR, local_error->domain == QI_AUTH_ERROR ? local_error->code
                                                                              : QI_AUTH_ERROR_FAILED,
                   _("%s failed: %s"), origin, local_error->message);
      return FALSE;
    }
  return qi_auth_manager_set_run_session (self, session, error);
}
