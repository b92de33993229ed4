/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-local-auth-provider.h"
#include "qi-sqlite-adapter-private.h"

/**
 * QiLocalAuthProvider:
 *
 * The login of the embedded tracker (`local`): the users of a
 * #QiSqliteAdapter, with passwords hashed by libxcrypt's yescrypt
 * (`$y$…`, a new random salt per password) and roles `artist` and
 * `admin`. Only the hash is stored; a login recomputes it with the stored
 * salt and compares the two in constant time, in a worker thread (a
 * yescrypt hash takes tens of milliseconds). An unknown user costs as much
 * as a wrong password (a hash is computed either way), and both get the
 * one message “unknown user or wrong password”.
 *
 * Sessions are #QiAuthProvider's; this scheme also opens one without a
 * password for a user a service token names (#QiAuthProviderClass.lookup_user).
 */

#define BAD_CREDENTIALS _("unknown user or wrong password")

struct _QiLocalAuthProvider
{
  QiAuthProvider   parent_instance;

  QiSqliteAdapter *tracker;
  char            *dummy_hash; /* what an unknown user is checked against */
};

G_DEFINE_FINAL_TYPE (QiLocalAuthProvider, qi_local_auth_provider, QI_TYPE_AUTH_PROVIDER)

enum {
  PROP_0,
  PROP_TRACKER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Hashing. */

static void
crypt_data_free (struct crypt_data *data)
{
  explicit_bzero (data, sizeof *data);
  g_free (data);
}

typedef struct crypt_data CryptData;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CryptData, crypt_data_free)

static char *
hash_password (const char  *password,
               GError     **error)
{
  g_autoptr(CryptData) data = g_new0 (CryptData, 1);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  const char *hash;

  /* count 0: libxcrypt's default cost; no bytes: it reads the kernel's
   * random source for the salt */
  if (crypt_gensalt_rn ("$y$", 0, NULL, 0, setting, sizeof setting) == NULL ||
      (hash = crypt_rn (password, setting, data, sizeof *data)) == NULL || hash[0] == '*')
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED,
                   _("cannot hash the password with yescrypt: %s"), g_strerror (errno));
      return NULL;
    }
  return g_strdup (hash);
}

/* Whether @a and @b are equal, in a time that depends on their lengths
 * only. */
static gboolean
equal_constant_time (const char *a,
                     const char *b)
{
  gsize length = strlen (a);
  guchar differ = length != strlen (b);

  if (differ)
    b = a;
  for (gsize i = 0; i < length; i++)
    differ |= (guchar) a[i] ^ (guchar) b[i];
  return differ == 0;
}

static gboolean
check_password (const char *password,
                const char *hash)
{
  g_autoptr(CryptData) data = g_new0 (CryptData, 1);
  const char *computed = crypt_rn (password, hash, data, sizeof *data);

  return computed != NULL && computed[0] != '*' && equal_constant_time (computed, hash);
}

/* Spends the time of a real check, for a user without a password. The
 * hash is made once, by whichever login thread needs it first. */
static void
check_dummy (QiLocalAuthProvider *self,
             const char          *password)
{
  if (g_once_init_enter (&self->dummy_hash))
    {
      char *hash = hash_password ("qi: no such user", NULL);

      g_once_init_leave (&self->dummy_hash, hash != NULL ? hash : g_strdup ("*"));
    }
  check_password (password, self->dummy_hash);
}

/* The scheme. */

/* {user, roles} from a login object of the tracker. */
static JsonNode *
describe (JsonNode *login)
{
  JsonObject *user = json_object_new ();
  JsonObject *from = json_node_get_object (login);
  JsonObject *object = json_object_new ();
  JsonNode *node;

  for (const char * const *name = (const char * const []) { "id", "username", "full_name", "email", NULL };
       *name != NULL; name++)
    json_object_set_member (user, *name, json_node_copy (json_object_get_member (from, *name)));
  json_object_set_object_member (object, "user", user);
  json_object_set_member (object, "roles", json_node_copy (json_object_get_member (from, "roles")));
  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

static const char *
credential (JsonObject *credentials,
            const char *name)
{
  JsonNode *node = json_object_get_member (credentials, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
local_check_credentials (QiAuthProvider  *provider,
                         JsonObject      *credentials,
                         GError         **error)
{
  if (credential (credentials, "username") != NULL && credential (credentials, "password") != NULL)
    return TRUE;
  g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_INVALID,
                       _("the credentials need “username” and “password”, as strings"));
  return FALSE;
}

/* In a worker thread. */
static JsonNode *
local_authenticate (QiAuthProvider  *provider,
                    JsonObject      *credentials,
                    GCancellable    *cancellable,
                    GError         **error)
{
  QiLocalAuthProvider *self = QI_LOCAL_AUTH_PROVIDER (provider);
  const char *username = credential (credentials, "username");
  const char *password = credential (credentials, "password");
  g_autoptr(JsonNode) login = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;
  gboolean ok;

  login = qi_sqlite_adapter_lookup_login (self->tracker, username, &hash, &local_error);
  if (login == NULL && !g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND) &&
      !g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_INVALID))
    {
      g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, "%s", local_error->message);
      return NULL;
    }
  if (hash != NULL)
    ok = check_password (password, hash);
  else
    {
      check_dummy (self, password);
      ok = FALSE;
    }
  if (hash != NULL)
    explicit_bzero (hash, strlen (hash));
  if (!ok)
    {
      g_debug ("login of “%s” refused", g_utf8_validate (username, -1, NULL) ? username : "?");
      g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_BAD_CREDENTIALS, BAD_CREDENTIALS);
      return NULL;
    }
  return describe (login);
}

/* In a worker thread. */
static JsonNode *
local_lookup_user (QiAuthProvider  *provider,
                   const char      *username,
                   GCancellable    *cancellable,
                   GError         **error)
{
  QiLocalAuthProvider *self = QI_LOCAL_AUTH_PROVIDER (provider);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) login = NULL;

  login = qi_sqlite_adapter_lookup_login (self->tracker, username, NULL, &local_error);
  if (login == NULL)
    {
      if (g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND) ||
          g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_INVALID))
        g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_NO_SUCH_USER,
                     _("there is no user “%s” in the tracker"), username);
      else
        g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_FAILED, "%s", local_error->message);
      return NULL;
    }
  return describe (login);
}

/* GObject. */

static void
qi_local_auth_provider_dispose (GObject *object)
{
  QiLocalAuthProvider *self = QI_LOCAL_AUTH_PROVIDER (object);

  g_clear_object (&self->tracker);

  G_OBJECT_CLASS (qi_local_auth_provider_parent_class)->dispose (object);
}

static void
qi_local_auth_provider_finalize (GObject *object)
{
  QiLocalAuthProvider *self = QI_LOCAL_AUTH_PROVIDER (object);

  g_free (self->dummy_hash);

  G_OBJECT_CLASS (qi_local_auth_provider_parent_class)->finalize (object);
}

static void
qi_local_auth_provider_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  QiLocalAuthProvider *self = QI_LOCAL_AUTH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_TRACKER:
      g_value_set_object (value, self->tracker);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_local_auth_provider_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  QiLocalAuthProvider *self = QI_LOCAL_AUTH_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_TRACKER:
      self->tracker = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_local_auth_provider_class_init (QiLocalAuthProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiAuthProviderClass *provider_class = QI_AUTH_PROVIDER_CLASS (klass);

  object_class->dispose = qi_local_auth_provider_dispose;
  object_class->finalize = qi_local_auth_provider_finalize;
  object_class->get_property = qi_local_auth_provider_get_property;
  object_class->set_property = qi_local_auth_provider_set_property;

  provider_class->check_credentials = local_check_credentials;
  provider_class->authenticate = local_authenticate;
  provider_class->lookup_user = local_lookup_user;

  /**
   * QiLocalAuthProvider:tracker:
   *
   * The embedded tracker whose users log in.
   */
  properties[PROP_TRACKER] =
    g_param_spec_object ("tracker", NULL, NULL, QI_TYPE_SQLITE_ADAPTER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_local_auth_provider_init (QiLocalAuthProvider *self)
{
}

/* Public API. */

/**
 * qi_local_auth_provider_new:
 * @tracker: the embedded tracker
 *
 * Returns: (transfer full): a new #QiLocalAuthProvider, named `local`
 */
QiLocalAuthProvider *
qi_local_auth_provider_new (QiSqliteAdapter *tracker)
{
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (tracker), NULL);

  return g_object_new (QI_TYPE_LOCAL_AUTH_PROVIDER, "name", "local", "tracker", tracker, NULL);
}

/**
 * qi_local_auth_provider_get_tracker:
 * @self: a #QiLocalAuthProvider
 *
 * Returns: (transfer none): the embedded tracker
 */
QiSqliteAdapter *
qi_local_auth_provider_get_tracker (QiLocalAuthProvider *self)
{
  g_return_val_if_fail (QI_IS_LOCAL_AUTH_PROVIDER (self), NULL);

  return self->tracker;
}

static gboolean
auth_error_from_db (GError  *db_error,
                    GError **error)
{
  QiAuthError code = QI_AUTH_ERROR_FAILED;

  if (g_error_matches (db_error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT))
    code = QI_AUTH_ERROR_EXISTS;
  else if (g_error_matches (db_error, QI_DB_ERROR, QI_DB_ERROR_INVALID))
    code = QI_AUTH_ERROR_INVALID;
  g_set_error_literal (error, QI_AUTH_ERROR, code, db_error->message);
  return FALSE;
}

/**
 * qi_local_auth_provider_add_user:
 * @self: a #QiLocalAuthProvider
 * @username: the new user's name (letters, digits, `_`, `-`, `.`)
 * @full_name: (nullable): the name to show; the username if %NULL
 * @email: (nullable): an e-mail address
 * @password: the password, at least %QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD
 *   characters of UTF-8
 * @roles: (array zero-terminated=1) (nullable): `artist`, `admin`; %NULL
 *   or empty for `artist`
 * @error: return location for a #GError
 *
 * Creates a tracker user who can log in, in one transaction; the tracker
 * emits #QiDbAdapter::changed (`user`, `created`).
 *
 * Returns: (transfer full): the user `{id, username, full_name, email,
 *   roles, has_password}`, or %NULL: %QI_AUTH_ERROR_WEAK_PASSWORD,
 *   %QI_AUTH_ERROR_EXISTS, %QI_AUTH_ERROR_INVALID (a bad name or role),
 *   %QI_AUTH_ERROR_FAILED
 */
JsonNode *
qi_local_auth_provider_add_user (QiLocalAuthProvider  *self,
                                 const char           *username,
                                 const char           *full_name,
                                 const char           *email,
                                 const char           *password,
                                 const char * const   *roles,
                                 GError              **error)
{
  const char * const artist[] = { "artist", NULL };
  g_autofree char *hash = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *user;

  g_return_val_if_fail (QI_IS_LOCAL_AUTH_PROVIDER (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (password, -1, NULL) || *password == '\0' ||
      g_utf8_strlen (password, -1) < QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD)
    {
      if (*password == '\0')
        g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_WEAK_PASSWORD, _("the password is empty"));
      else
        g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_WEAK_PASSWORD,
                     _("the password must be UTF-8 of at least %d characters"),
                     QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD);
      return NULL;
    }
  if ((hash = hash_password (password, error)) == NULL)
    return NULL;
  user = qi_sqlite_adapter_create_login (self->tracker, username, full_name, email, hash,
                                         roles != NULL && roles[0] != NULL ? roles : artist, &local_error);
  explicit_bzero (hash, strlen (hash));
  if (user == NULL)
    auth_error_from_db (local_error, error);
  return user;
}

/* Refuses a password that is not UTF-8 or too short. */
static gboolean
check_new_password (const char  *password,
                    GError     **error)
{
  if (g_utf8_validate (password, -1, NULL) && *password != '\0' &&
      g_utf8_strlen (password, -1) >= QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD)
    return TRUE;
  if (*password == '\0')
    g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_WEAK_PASSWORD, _("the password is empty"));
  else
    g_set_error (error, QI_AUTH_ERROR, QI_AUTH_ERROR_WEAK_PASSWORD,
                 _("the password must be UTF-8 of at least %d characters"), QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD);
  return FALSE;
}

/**
 * qi_local_auth_provider_set_password:
 * @self: a #QiLocalAuthProvider
 * @username: a tracker user
 * @password: the new password, at least
 *   %QI_LOCAL_AUTH_PROVIDER_MIN_PASSWORD characters of UTF-8
 * @error: return location for a #GError
 *
 * Sets the password of a user of the tracker, who may have had none (the
 * demo's users, the users of an imported project). The sessions already
 * open go on until they end.
 *
 * Returns: %TRUE, or %FALSE: %QI_AUTH_ERROR_WEAK_PASSWORD,
 *   %QI_AUTH_ERROR_NO_SUCH_USER, %QI_AUTH_ERROR_INVALID (a bad name),
 *   %QI_AUTH_ERROR_FAILED
 */
gboolean
qi_local_auth_provider_set_password (QiLocalAuthProvider  *self,
                                     const char           *username,
                                     const char           *password,
                                     GError              **error)
{
  g_autofree char *hash = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean done;

  g_return_val_if_fail (QI_IS_LOCAL_AUTH_PROVIDER (self), FALSE);
  g_return_val_if_fail (username != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (!check_new_password (password, error) || (hash = hash_password (password, error)) == NULL)
    return FALSE;
  done = qi_sqlite_adapter_set_login_password (self->tracker, username, hash, &local_error);
  explicit_bzero (hash, strlen (hash));
  if (!done)
    {
      if (g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
        g_set_error_literal (error, QI_AUTH_ERROR, QI_AUTH_ERROR_NO_SUCH_USER, local_error->message);
      else
        auth_error_from_db (local_error, error);
    }
  return done;
}

/**
 * qi_local_auth_provider_list_users:
 * @self: a #QiLocalAuthProvider
 * @error: return location for a #GError
 *
 * Returns: (transfer full): an array of the tracker's users by username,
 *   each `{id, username, full_name, email, roles, has_password}`, or
 *   %NULL (%QI_AUTH_ERROR_FAILED)
 */
JsonNode *
qi_local_auth_provider_list_users (QiLocalAuthProvider  *self,
                                   GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonNode *users;

  g_return_val_if_fail (QI_IS_LOCAL_AUTH_PROVIDER (self), NULL);

  users = qi_sqlite_adapter_list_logins (self->tracker, &local_error);
  if (users == NULL)
    auth_error_from_db (local_error, error);
  return users;
}

