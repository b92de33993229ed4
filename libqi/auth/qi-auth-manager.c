/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-auth-manager.h"
#include "qi-ftrack-auth-provider.h"
#include "qi-ftrack-keyring-private.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-error.h"
#include "qi-json-reader-private.h"
#include "qi-local-auth-provider.h"
#include "qi-message-bus.h"
#include "qi-sqlite-adapter.h"

/**
 * QiAuthManager:
 *
 * The `auth` service: the run's #QiAuthProvider<!-- -->s by name (`local`,
 * `ftrack`; one is the default), the sessions they opened, the run's own
 * login session, and their API on the hub.
 *
 * After qi_auth_manager_attach_hub() the session `__hub__/auth` answers
 * `auth.login`, `auth.refresh`, `auth.logout` and `auth.whoami` (see
 * docs/protocol.md), and emits `auth.session` when the run's own session
 * opens, is refreshed or ends. A wrong user or password, an expired or
 * ended session answer `unauthorized`; a payload of the wrong shape
 * `bad_message`; anything else `handler_failed`.
 *
 * Every session the manager hands out is recorded (by the SHA-256 of its
 * token, with its provider); qi_auth_manager_check_token() tells the
 * local server whether a user token (subject `user/…`) is one of them,
 * and #QiAuthManager::session-ended names the token of a session that was
 * logged out or replaced by a refresh, so that its open connections can be
 * closed.
 *
 * The run's own session (qi_auth_manager_set_run_session(), from
 * bootstrap phase 2) is refreshed by a timer when
 * #QiAuthManager:refresh-fraction of its lifetime has passed.
 */

typedef struct
{
  char   *provider;
  gint64  expires_at;
} Record;

struct _QiAuthManager
{
  QiService         parent_instance;

  QiAuthProvider   *provider;     /* the default */
  char             *default_name;
  GHashTable       *providers;    /* name → QiAuthProvider */
  QiTokenAuthority *authority;
  GHashTable       *records;      /* SHA-256 of a token → Record */
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
  LOGGED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
record_free (gpointer data)
{
  Record *record = data;

  g_free (record->provider);
  g_free (record);
}

static char *
token_key (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

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

/* Sessions. */

static void
purge_expired (QiAuthManager *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GHashTableIter iter;
  Record *record;

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &record))
    if (record->expires_at <= now)
      g_hash_table_iter_remove (&iter);
}

static gint64
parse_expiry (JsonNode *session)
{
  const char *text = string_member (json_node_get_object (session), "expires_at");
  g_autoptr(GDateTime) when = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return when != NULL ? g_date_time_to_unix (when) : 0;
}

/* Notes a session @provider opened, and says which provider it is. */
static void
record_session (QiAuthManager *self,
                const char    *provider,
                JsonNode      *session)
{
  JsonObject *object = json_node_get_object (session);
  const char *token = string_member (object, "token");
  Record *record;

  json_object_set_string_member (object, "provider", provider);
  if (token == NULL)
    return;
  purge_expired (self);
  record = g_new0 (Record, 1);
  record->provider = g_strdup (provider);
  record->expires_at = parse_expiry (session);
  g_hash_table_replace (self->records, token_key (token), record);
}

/* The provider of a recorded @token, or an error. */
static QiAuthProvider *
provider_of (QiAuthManager  *self,
             const char     *token,
             char          **name,
             GError        **error)
{
  g_autofree char *key = token_key (token);
  Record *record = g_hash_table_lookup (self->records, key);
  QiAuthProvider *provider;

  if (record == NULL)
    {
      /* a session opened on a provider directly: the default answers */
      if (name != NULL)
        *name = g_strdup (self->default_name);
      return self->provider;
    }
  provider = g_hash_table_lookup (self->providers, record->provider);
  if (provider == NULL)
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID_TOKEN,
                   _("the provider “%s” of this session is gone: log in again"), record->provider);
      return NULL;
    }
  if (name != NULL)
    *name = g_strdup (record->provider);
  return provider;
}

static void end_session (QiAuthManager *self, const char *token, const char *reason);
static void schedule_refresh (QiAuthManager *self);
static void emit_session_event (QiAuthManager *self, const char *change, JsonNode *session);

static void
end_session (QiAuthManager *self,
             const char    *token,
             const char    *reason)
{
  g_autofree char *key = token_key (token);

  g_hash_table_remove (self->records, key);
  g_signal_emit (self, signals[SESSION_ENDED], 0, token, reason);
}

static gboolean
is_run_token (QiAuthManager *self,
              const char    *token)
{
  return self->run_session != NULL &&
         g_strcmp0 (string_member (json_node_get_object (self->run_session), "token"), token) == 0;
}

/* The run session. */

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
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
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
  g_debug ("the run session (until %" G_GINT64_FORMAT ", now %" G_GINT64_FORMAT ") is refreshed in %.1f s",
           expires, now, delay);
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

typedef struct
{
  QiHubRequest *request;
  JsonNode     *session;
} HubLogin;

static void
hub_login_free (HubLogin *login)
{
  g_object_unref (login->request);
  json_node_unref (login->session);
  g_free (login);
}

static void
on_key_stored (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  HubLogin *login = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *object = json_node_get_object (login->session);

  json_object_set_boolean_member (object, "key_stored", qi_ftrack_keyring_store_finish (result, &error));
  if (error != NULL)
    json_object_set_string_member (object, "key_not_stored", error->message);
  qi_hub_request_reply (login->request, login->session);
  hub_login_free (login);
}

static void
on_hub_login_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(QiHubRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) session = qi_auth_manager_login_finish (QI_AUTH_MANAGER (source), result, &error);
  JsonObject *payload = json_node_get_object (qi_hub_request_get_payload (request));
  JsonObject *object;
  HubLogin *login;

  if (session == NULL)
    {
      qi_hub_request_fail (request, hub_code (error), error->message);
      return;
    }
  object = json_node_get_object (session);
  if (g_strcmp0 (string_member (object, "provider"), QI_AUTH_MANAGER_FTRACK) != 0)
    {
      qi_hub_request_reply (request, session);
      return;
    }
  /* a successful ftrack login keeps its key in the desktop keyring, where
   * a later run finds it; without a Secret Service the reply says why not */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL || g_getenv ("QI_NO_KEYRING") != NULL)
    {
      json_object_set_boolean_member (object, "key_stored", FALSE);
      json_object_set_string_member (object, "key_not_stored",
                                     g_getenv ("QI_NO_KEYRING") != NULL
                                     ? _("QI_NO_KEYRING is set")
                                     : _("there is no D-Bus session bus, so no desktop keyring"));
      qi_hub_request_reply (request, session);
      return;
    }
  login = g_new0 (HubLogin, 1);
  login->request = g_object_ref (request);
  login->session = g_steal_pointer (&session);
  qi_ftrack_keyring_store_async (string_member (object, "server"), string_member (payload, "api_user"),
                                 string_member (payload, "api_key"), on_key_stored, login);
}

static void
on_request (QiHubRequest *request,
            gpointer      user_data)
{
  Handler *handler = user_data;
  QiAuthManager *self = handler->self;
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
      JsonNode *member = json_object_get_member (payload, "provider");
      const char *name = string_member (payload, "provider");

      if (member != NULL && name == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("%s: “provider” must be a string, such as “local” "
                                                        "or “ftrack”"), topic);

          qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
          return;
        }
      if (name == NULL)
        name = self->default_name;
      if (g_strcmp0 (name, QI_AUTH_MANAGER_LOCAL) == 0 &&
          (string_member (payload, "username") == NULL || string_member (payload, "password") == NULL))
        {
          g_autofree char *message = g_strdup_printf (_("%s: the payload needs “username” and “password”, "
                                                        "as strings"), topic);

          qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
          return;
        }
      qi_auth_manager_login_async (self, name, payload, NULL, on_hub_login_done, g_object_ref (request));
      return;
    }

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
      reply = qi_auth_manager_refresh (self, token, &error);
      break;
    case OP_WHOAMI:
      reply = qi_auth_manager_whoami (self, token, &error);
      break;
    case OP_LOGOUT:
      if (qi_auth_manager_logout (self, token, &error))
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
  g_clear_object (&self->authority);
  g_clear_pointer (&self->providers, g_hash_table_unref);
  g_clear_pointer (&self->run_session, json_node_unref);

  G_OBJECT_CLASS (qi_auth_manager_parent_class)->dispose (object);
}

static void
qi_auth_manager_finalize (GObject *object)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  g_hash_table_unref (self->records);
  g_free (self->default_name);

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
      self->provider = g_value_dup_object (value);
      break;
    case PROP_AUTHORITY:
      self->authority = g_value_dup_object (value);
      break;
    case PROP_REFRESH_FRACTION:
      self->refresh_fraction = g_value_get_double (value);
      if (self->run_session != NULL)
        schedule_refresh (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static const char *
name_for (QiAuthProvider *provider)
{
  if (QI_IS_LOCAL_AUTH_PROVIDER (provider))
    return QI_AUTH_MANAGER_LOCAL;
  if (QI_IS_FTRACK_AUTH_PROVIDER (provider))
    return QI_AUTH_MANAGER_FTRACK;
  return "default";
}

static void
qi_auth_manager_constructed (GObject *object)
{
  QiAuthManager *self = QI_AUTH_MANAGER (object);

  G_OBJECT_CLASS (qi_auth_manager_parent_class)->constructed (object);

  if (self->provider != NULL)
    {
      self->default_name = g_strdup (name_for (self->provider));
      g_hash_table_insert (self->providers, g_strdup (self->default_name), g_object_ref (self->provider));
      if (self->authority == NULL && QI_IS_LOCAL_AUTH_PROVIDER (self->provider))
        self->authority = g_object_ref (qi_local_auth_provider_get_authority (QI_LOCAL_AUTH_PROVIDER (self->provider)));
      else if (self->authority == NULL && QI_IS_FTRACK_AUTH_PROVIDER (self->provider))
        self->authority = g_object_ref (qi_ftrack_auth_provider_get_authority (QI_FTRACK_AUTH_PROVIDER (self->provider)));
    }
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
   * The run's default auth provider.
   */
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL, QI_TYPE_AUTH_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAuthManager:authority:
   *
   * The one authority that signs every provider's session tokens, and
   * whose tokens the local server takes; by default the default
   * provider's.
   */
  properties[PROP_AUTHORITY] =
    g_param_spec_object ("authority", NULL, NULL, QI_TYPE_TOKEN_AUTHORITY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * QiAuthManager:refresh-fraction:
   *
   * The part of the run session's lifetime after which the timer
   * refreshes it (0.75: a 12 hour session is refreshed after 9 hours).
   */
  properties[PROP_REFRESH_FRACTION] =
    g_param_spec_double ("refresh-fraction", NULL, NULL, 0.05, 0.95, 0.75,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QiAuthManager::session-ended:
   * @self: the manager
   * @token: the token of the session that ended
   * @reason: why, as a short sentence (“logged out”)
   *
   * A session was logged out or replaced by a refresh: @token no longer
   * opens anything, and connections opened with it should close.
   */
  signals[SESSION_ENDED] =
    g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * QiAuthManager::run-session-changed:
   * @self: the manager
   *
   * The run's own session was set, refreshed (a new token) or ended; see
   * qi_auth_manager_get_run_session().
   */
  signals[RUN_SESSION_CHANGED] =
    g_signal_new ("run-session-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * QiAuthManager::logged-in:
   * @self: the manager
   * @provider: the provider's name, such as `ftrack`
   * @credentials: what the login was given (for `ftrack`, with the API key)
   * @session: the session it opened
   *
   * A login succeeded. The application uses an ftrack login to open the
   * ftrack tracker with the same credentials; @credentials holds secrets
   * and must not be kept or logged.
   */
  signals[LOGGED_IN] =
    g_signal_new ("logged-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, JSON_TYPE_OBJECT, JSON_TYPE_NODE);
}

static void
qi_auth_manager_init (QiAuthManager *self)
{
  self->providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, record_free);
  self->refresh_fraction = 0.75;
}

/**
 * qi_auth_manager_new:
 * @provider: the run's default auth provider
 *
 * Creates the `auth` service over @provider, named `local` for a
 * #QiLocalAuthProvider and `ftrack` for a #QiFtrackAuthProvider; its
 * authority is the provider's.
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
 * Creates the `auth` service with a token authority with a new key for
 * this run, a #QiLocalAuthProvider over the embedded tracker of @db (its
 * adapter %QI_DB_MANAGER_SQLITE), the default, and a
 * #QiFtrackAuthProvider, both signing with that authority.
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
  g_autoptr(QiFtrackAuthProvider) ftrack = NULL;
  g_autoptr(GError) local_error = NULL;
  QiAuthManager *self;
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
  ftrack = qi_ftrack_auth_provider_new (authority);
  self = qi_auth_manager_new (QI_AUTH_PROVIDER (provider));
  qi_auth_manager_add_provider (self, QI_AUTH_MANAGER_FTRACK, QI_AUTH_PROVIDER (ftrack));
  return self;
}

/**
 * qi_auth_manager_get_provider:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none): the run's default auth provider
 */
QiAuthProvider *
qi_auth_manager_get_provider (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return g_hash_table_lookup (self->providers, self->default_name);
}

/**
 * qi_auth_manager_lookup_provider:
 * @self: a #QiAuthManager
 * @name: a provider's name, such as %QI_AUTH_MANAGER_FTRACK
 *
 * Returns: (transfer none) (nullable): the provider of that name
 */
QiAuthProvider *
qi_auth_manager_lookup_provider (QiAuthManager *self,
                                 const char    *name)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->providers, name);
}

/**
 * qi_auth_manager_add_provider:
 * @self: a #QiAuthManager
 * @name: the name `auth.login` asks for it by
 * @provider: the provider; it should sign with
 *   qi_auth_manager_get_authority(), or its tokens will not open the
 *   local server
 *
 * Adds (or replaces) a provider.
 */
void
qi_auth_manager_add_provider (QiAuthManager  *self,
                              const char     *name,
                              QiAuthProvider *provider)
{
  g_return_if_fail (QI_IS_AUTH_MANAGER (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (QI_IS_AUTH_PROVIDER (provider));

  g_hash_table_replace (self->providers, g_strdup (name), g_object_ref (provider));
}

/**
 * qi_auth_manager_get_default_provider_name:
 * @self: a #QiAuthManager
 *
 * Returns: (transfer none): the provider `auth.login` uses when the
 *   payload names none
 */
const char *
qi_auth_manager_get_default_provider_name (QiAuthManager *self)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);

  return self->default_name;
}

/**
 * qi_auth_manager_set_default_provider_name:
 * @self: a #QiAuthManager
 * @name: a provider's name
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE (%QI_AUTH_ERROR_INVALID) for an unknown name
 */
gboolean
qi_auth_manager_set_default_provider_name (QiAuthManager  *self,
                                           const char     *name,
                                           GError        **error)
{
  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!g_hash_table_contains (self->providers, name))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID, _("there is no auth provider “%s”"), name);
      return FALSE;
    }
  g_free (self->default_name);
  self->default_name = g_strdup (name);
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

/* Sessions. */

typedef struct
{
  char       *provider;
  JsonObject *credentials;
} LoginData;

static void
login_data_free (gpointer data)
{
  LoginData *login = data;

  g_free (login->provider);
  g_clear_pointer (&login->credentials, json_object_unref);
  g_free (login);
}

static void
on_provider_login_done (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QiAuthManager *self = g_task_get_source_object (task);
  LoginData *login = g_task_get_task_data (task);
  GError *error = NULL;
  JsonNode *session = qi_auth_provider_login_finish (QI_AUTH_PROVIDER (source), result, &error);

  if (session == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  record_session (self, login->provider, session);
  g_signal_emit (self, signals[LOGGED_IN], 0, login->provider, login->credentials, session);
  g_task_return_pointer (task, session, (GDestroyNotify) json_node_unref);
}

/**
 * qi_auth_manager_login_async:
 * @self: a #QiAuthManager
 * @provider: (nullable): the provider's name; %NULL for the default
 * @credentials: what that provider needs: `{username, password}` for
 *   `local`, `{server, api_user, api_key}` for `ftrack`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the session
 * @user_data: data for @callback
 *
 * Logs in with a provider and records the session it opens.
 */
void
qi_auth_manager_login_async (QiAuthManager       *self,
                             const char          *provider,
                             JsonObject          *credentials,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  QiAuthProvider *chosen;
  LoginData *login;

  g_return_if_fail (QI_IS_AUTH_MANAGER (self));
  g_return_if_fail (credentials != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_auth_manager_login_async);
  if (provider == NULL)
    provider = self->default_name;
  chosen = provider != NULL ? g_hash_table_lookup (self->providers, provider) : NULL;
  if (chosen == NULL)
    {
      g_task_return_new_error (task, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                               _("there is no auth provider “%s”: “provider” is “local” or “ftrack”"),
                               provider != NULL ? provider : "");
      return;
    }
  login = g_new0 (LoginData, 1);
  login->provider = g_strdup (provider);
  login->credentials = json_object_ref (credentials);
  g_task_set_task_data (task, login, login_data_free);
  qi_auth_provider_login_async (chosen, credentials, cancellable, on_provider_login_done, g_steal_pointer (&task));
}

/**
 * qi_auth_manager_login_finish:
 * @self: a #QiAuthManager
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the session `{token, user, roles, expires_at,
 *   provider}`, or %NULL (see qi_auth_provider_login())
 */
JsonNode *
qi_auth_manager_login_finish (QiAuthManager  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_sync_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/**
 * qi_auth_manager_login:
 * @self: a #QiAuthManager
 * @provider: (nullable): the provider's name; %NULL for the default
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
                       const char     *provider,
                       JsonObject     *credentials,
                       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (credentials != NULL, NULL);

  qi_auth_manager_login_async (self, provider, credentials, NULL, on_sync_done, &result);
  while (result == NULL)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
  return qi_auth_manager_login_finish (self, result, error);
}

/**
 * qi_auth_manager_refresh:
 * @self: a #QiAuthManager
 * @token: a session's token
 * @error: return location for a #GError
 *
 * Refreshes a session with its provider; the old token ends
 * (#QiAuthManager::session-ended). Refreshing the run session moves it
 * to the new token and emits `auth.session` (`refreshed`).
 *
 * Returns: (transfer full): the new session, or %NULL (see
 *   qi_auth_provider_refresh())
 */
JsonNode *
qi_auth_manager_refresh (QiAuthManager  *self,
                         const char     *token,
                         GError        **error)
{
  g_autofree char *name = NULL;
  g_autofree char *old = NULL;
  QiAuthProvider *provider;
  JsonNode *session;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  if ((provider = provider_of (self, token, &name, error)) == NULL)
    return NULL;
  old = g_strdup (token);
  session = qi_auth_provider_refresh (provider, old, error);
  if (session == NULL)
    return NULL;
  record_session (self, name, session);
  if (is_run_token (self, old))
    {
      g_clear_pointer (&self->run_session, json_node_unref);
      self->run_session = qi_json_node_deep_copy (session);
      self->run_issued = g_get_real_time () / G_USEC_PER_SEC;
      schedule_refresh (self);
      emit_session_event (self, "refreshed", session);
      g_signal_emit (self, signals[RUN_SESSION_CHANGED], 0);
    }
  end_session (self, old, _("the session was replaced by a refresh"));
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
  QiAuthProvider *provider;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if ((provider = provider_of (self, token, NULL, error)) == NULL)
    return FALSE;
  old = g_strdup (token);
  if (!qi_auth_provider_logout (provider, old, error))
    return FALSE;
  if (is_run_token (self, old))
    {
      g_clear_handle_id (&self->refresh_source, g_source_remove);
      emit_session_event (self, "logged_out", self->run_session);
      g_clear_pointer (&self->run_session, json_node_unref);
      g_signal_emit (self, signals[RUN_SESSION_CHANGED], 0);
    }
  end_session (self, old, _("the session was logged out"));
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
  g_autofree char *name = NULL;
  QiAuthProvider *provider;
  JsonNode *reply;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  if ((provider = provider_of (self, token, &name, error)) == NULL)
    return NULL;
  reply = qi_auth_provider_whoami (provider, token, error);
  if (reply != NULL)
    json_object_set_string_member (json_node_get_object (reply), "provider", name);
  return reply;
}

/**
 * qi_auth_manager_check_token:
 * @self: a #QiAuthManager
 * @token: a token the authority verified
 * @claims: its claims
 * @error: return location for a #GError
 *
 * Tells the local server whether @token may still be used: a user
 * session's token (subject `user/…`) only while its session is open —
 * not logged out, not replaced by a refresh. Other tokens (the info
 * file's, the launcher's) are the server's business and pass.
 *
 * Returns: %TRUE, or %FALSE with %QI_AUTH_ERROR_INVALID_TOKEN
 */
gboolean
qi_auth_manager_check_token (QiAuthManager  *self,
                             const char     *token,
                             QiToken        *claims,
                             GError        **error)
{
  g_autofree char *key = NULL;
  Record *record;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);
  g_return_val_if_fail (QI_IS_TOKEN (claims), FALSE);

  if (!g_str_has_prefix (qi_token_get_session (claims), "user/"))
    return TRUE;
  key = token_key (token);
  record = g_hash_table_lookup (self->records, key);
  if (record == NULL || record->expires_at <= g_get_real_time () / G_USEC_PER_SEC)
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
 * @session: (nullable): a session the manager opened (with its `token`),
 *   or %NULL to forget the run session (it is not logged out)
 * @error: return location for a #GError
 *
 * Makes @session the run's own: a timer refreshes it before it expires,
 * and `auth.session` announces it (`logged_in`) and each change.
 *
 * Returns: %TRUE, or %FALSE (%QI_AUTH_ERROR_INVALID_TOKEN) for a session
 *   the manager did not open
 */
gboolean
qi_auth_manager_set_run_session (QiAuthManager  *self,
                                 JsonNode       *session,
                                 GError        **error)
{
  const char *token;
  g_autofree char *key = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);
  g_return_val_if_fail (session == NULL || JSON_NODE_HOLDS_OBJECT (session), FALSE);

  if (session != NULL)
    {
      token = string_member (json_node_get_object (session), "token");
      key = token != NULL ? token_key (token) : NULL;
      if (key == NULL || !g_hash_table_contains (self->records, key))
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
  QiAuthProvider *local = g_hash_table_lookup (self->providers, QI_AUTH_MANAGER_LOCAL);
  g_autofree char *dir = NULL;

  if (local == NULL || !QI_IS_LOCAL_AUTH_PROVIDER (local))
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
                           _("service tokens need the local provider (the users of the embedded tracker)"));
      return NULL;
    }
  dir = g_path_get_dirname (qi_sqlite_adapter_get_path (qi_local_auth_provider_get_tracker (QI_LOCAL_AUTH_PROVIDER (local))));
  return g_build_filename (dir, SERVICE_KEY_FILE, NULL);
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
 * @username: a user of the embedded tracker
 * @lifetime_days: how long the token lasts, in days (1 to 3650)
 * @error: return location for a #GError
 *
 * Issues a service token for @username: a JWT signed with the key in
 * `service-token.key` of the data folder (made on first use, mode 0600),
 * subject `service/USERNAME`, scope `service`. Set as `QI_SERVICE_TOKEN`,
 * it logs a process of this machine in as @username at bootstrap phase 2.
 * Deleting the key file revokes every service token at once.
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
  g_autoptr(JsonNode) user = NULL;
  g_autofree char *subject = NULL;
  QiAuthProvider *local;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  if (lifetime_days < 1 || lifetime_days > 3650)
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                   _("a service token lasts 1 to 3650 days, not %u"), lifetime_days);
      return NULL;
    }
  local = g_hash_table_lookup (self->providers, QI_AUTH_MANAGER_LOCAL);
  if (local == NULL || !QI_IS_LOCAL_AUTH_PROVIDER (local))
    {
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_UNSUPPORTED,
                           _("service tokens need the local provider (the users of the embedded tracker)"));
      return NULL;
    }
  /* the user must exist now; a login with the token checks it again */
  user = qi_local_auth_provider_open_session (QI_LOCAL_AUTH_PROVIDER (local), username, error);
  if (user == NULL)
    return NULL;
  qi_auth_provider_logout (local, json_object_get_string_member (json_node_get_object (user), "token"), NULL);
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
  QiAuthProvider *local;
  const char *subject;
  JsonNode *session;

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
  subject = qi_token_get_session (claims) + strlen ("service/");
  local = g_hash_table_lookup (self->providers, QI_AUTH_MANAGER_LOCAL);
  session = qi_local_auth_provider_open_session (QI_LOCAL_AUTH_PROVIDER (local), subject, error);
  if (session != NULL)
    record_session (self, QI_AUTH_MANAGER_LOCAL, session);
  return session;
}

/* Phase 2. */

static void
clear_secret (char **secret)
{
  if (*secret != NULL)
    {
      explicit_bzero (*secret, strlen (*secret));
      g_clear_pointer (secret, g_free);
    }
}

static JsonNode *
login_ftrack (QiAuthManager  *self,
              const char     *server,
              const char     *api_user,
              const char     *api_key,
              GError        **error)
{
  g_autoptr(JsonObject) credentials = json_object_new ();
  JsonNode *session;

  json_object_set_string_member (credentials, "server", server);
  json_object_set_string_member (credentials, "api_user", api_user);
  json_object_set_string_member (credentials, "api_key", api_key);
  session = qi_auth_manager_login (self, QI_AUTH_MANAGER_FTRACK, credentials, error);
  json_object_remove_member (credentials, "api_key");
  return session;
}

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
 *    (qi_auth_manager_issue_service_token()), as its user of the local
 *    provider;
 * 2. `QI_FTRACK_SERVER`, `QI_FTRACK_API_USER` and `QI_FTRACK_API_KEY`: an
 *    ftrack login (farm machines, no keyring);
 * 3. the ftrack API key last stored in the desktop keyring by `qi
 *    --headless login --ftrack` (when a D-Bus session bus is known and
 *    `QI_NO_KEYRING` is unset).
 *
 * The session becomes the run session (refreshed by the timer). With an
 * ftrack login the default provider becomes `ftrack`, and so it does when
 * only `QI_FTRACK_SERVER` is set. `QI_AUTH_SESSION_LIFETIME` (seconds)
 * sets the providers' session lifetime first.
 *
 * Returns: %TRUE if there was nothing to log in with or the login worked;
 *   %FALSE with @error (which names the variable) when it failed
 */
gboolean
qi_auth_manager_login_from_environment (QiAuthManager       *self,
                                        const char * const  *envp,
                                        GError             **error)
{
  g_auto(GStrv) own = NULL;
  const char *lifetime_text;
  const char *service_token;
  const char *server;
  const char *api_user;
  const char *api_key;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (QI_IS_AUTH_MANAGER (self), FALSE);

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
      for (const char * const *name = (const char * const []) { QI_AUTH_MANAGER_LOCAL, QI_AUTH_MANAGER_FTRACK, NULL };
           *name != NULL; name++)
        {
          GObject *provider = g_hash_table_lookup (self->providers, *name);

          if (provider != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (provider), "lifetime") != NULL)
            g_object_set (provider, "lifetime", (guint) lifetime, NULL);
        }
    }

  server = g_environ_getenv ((char **) envp, "QI_FTRACK_SERVER");
  if (server != NULL && g_hash_table_contains (self->providers, QI_AUTH_MANAGER_FTRACK))
    qi_auth_manager_set_default_provider_name (self, QI_AUTH_MANAGER_FTRACK, NULL);

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

  api_user = g_environ_getenv ((char **) envp, "QI_FTRACK_API_USER");
  api_key = g_environ_getenv ((char **) envp, "QI_FTRACK_API_KEY");
  if (server != NULL || api_user != NULL || api_key != NULL)
    {
      if (server == NULL || api_user == NULL || api_key == NULL)
        {
          g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                               _("an ftrack login from the environment needs QI_FTRACK_SERVER, QI_FTRACK_API_USER "
                                 "and QI_FTRACK_API_KEY, all three"));
          return FALSE;
        }
      session = login_ftrack (self, server, api_user, api_key, &local_error);
      if (session == NULL)
        {
          g_set_error (error, QI_AUTH_ERROR, local_error->domain == QI_AUTH_ERROR ? local_error->code
                                                                                  : QI_AUTH_ERROR_FAILED,
                       _("the ftrack login of QI_FTRACK_API_USER failed: %s"), local_error->message);
          return FALSE;
        }
      return qi_auth_manager_set_run_session (self, session, error);
    }

  if (g_environ_getenv ((char **) envp, "DBUS_SESSION_BUS_ADDRESS") != NULL &&
      g_environ_getenv ((char **) envp, "QI_NO_KEYRING") == NULL &&
      g_hash_table_contains (self->providers, QI_AUTH_MANAGER_FTRACK))
    {
      g_autofree char *stored_server = NULL;
      g_autofree char *stored_user = NULL;
      __attribute__((cleanup (clear_secret))) char *stored_key = NULL;

      if (!qi_ftrack_keyring_lookup (&stored_server, &stored_user, &stored_key, &local_error))
        {
          if (local_error != NULL)
            g_debug ("2.3: no ftrack login from the keyring: %s", local_error->message);
          return TRUE;
        }
      qi_auth_manager_set_default_provider_name (self, QI_AUTH_MANAGER_FTRACK, NULL);
      session = login_ftrack (self, stored_server, stored_user, stored_key, &local_error);
      if (session == NULL)
        {
          g_set_error (error, QI_AUTH_ERROR, local_error->domain == QI_AUTH_ERROR ? local_error->code
                                                                                  : QI_AUTH_ERROR_FAILED,
                       _("the ftrack login with the API key in the keyring failed: %s"), local_error->message);
          return FALSE;
        }
      return qi_auth_manager_set_run_session (self, session, error);
    }
  return TRUE;
}
