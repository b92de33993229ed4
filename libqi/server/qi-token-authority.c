/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <jwt.h>

#include "qi-token-authority.h"
#include "qi-json.h"

/**
 * QiTokenAuthority:
 *
 * Issues and verifies the tokens of the local server: JSON Web Tokens
 * signed with HS256 and a key made for this run only, so that a token
 * never outlives the `qi` process that issued it.
 *
 * A token's claims are `iss` (`"qi"`), `sub` (the name of the session it
 * is for), `parent` (optional: the id of the session it opens below),
 * `scopes` (an array of strings such as `"hub"`, `"api"`, `"ui"`), `iat`,
 * `exp` (seconds since the Unix epoch) and `jti` (random). Verification
 * takes HS256 only: a token with `"alg": "none"` or any other algorithm is
 * refused as badly signed.
 */

#define KEY_LENGTH 32
#define ISSUER "qi"

struct _QiTokenAuthority
{
  GObject  parent_instance;

  GBytes  *key;
};

G_DEFINE_FINAL_TYPE (QiTokenAuthority, qi_token_authority, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-token-error-quark, qi_token_error)

static void
jwt_clear (jwt_t **jwt)
{
  if (*jwt != NULL)
    jwt_free (*jwt);
  *jwt = NULL;
}

static void
qi_token_authority_finalize (GObject *object)
{
  QiTokenAuthority *self = QI_TOKEN_AUTHORITY (object);

  g_clear_pointer (&self->key, g_bytes_unref);

  G_OBJECT_CLASS (qi_token_authority_parent_class)->finalize (object);
}

static void
qi_token_authority_class_init (QiTokenAuthorityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_token_authority_finalize;
}

static void
qi_token_authority_init (QiTokenAuthority *self)
{
}

static gboolean
fill_random (guint8  *buffer,
             gsize    length,
             GError **error)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = getrandom (buffer + done, length - done, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_FAILED,
                       _("Could not read random bytes for the token key: %s"),
                       g_strerror (saved));
          return FALSE;
        }
      done += (gsize) n;
    }

  return TRUE;
}

/**
 * qi_token_authority_new:
 * @error: return location for a #GError
 *
 * Creates an authority with a new random key of 256 bits, from the
 * kernel's random source.
 *
 * Returns: (transfer full): a new #QiTokenAuthority, or %NULL if no random
 *   bytes could be had
 */
QiTokenAuthority *
qi_token_authority_new (GError **error)
{
  guint8 key[KEY_LENGTH];
  g_autoptr(GBytes) bytes = NULL;

  if (!fill_random (key, sizeof key, error))
    return NULL;

  bytes = g_bytes_new (key, sizeof key);
  explicit_bzero (key, sizeof key);

  return qi_token_authority_new_with_key (bytes);
}

/**
 * qi_token_authority_new_with_key:
 * @key: the HMAC key, at least 32 bytes
 *
 * Creates an authority with a given key, for tests and for processes that
 * must verify the tokens of another (which then share the key).
 *
 * Returns: (transfer full): a new #QiTokenAuthority
 */
QiTokenAuthority *
qi_token_authority_new_with_key (GBytes *key)
{
  QiTokenAuthority *self;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (g_bytes_get_size (key) >= KEY_LENGTH, NULL);

  self = g_object_new (QI_TYPE_TOKEN_AUTHORITY, NULL);
  self->key = g_bytes_ref (key);

  return self;
}

static char *
make_jti (GError **error)
{
  guint8 bytes[12];

  if (!fill_random (bytes, sizeof bytes, error))
    return NULL;

  return g_compute_checksum_for_data (G_CHECKSUM_MD5, bytes, sizeof bytes);
}

/**
 * qi_token_authority_issue:
 * @self: a #QiTokenAuthority
 * @session: the name of the session the token is for, such as `ui/launcher`
 * @parent: (nullable): the id of the session it opens below
 * @scopes: (array zero-terminated=1): what the token allows
 * @lifetime_s: how long the token is valid, in seconds (at least 1)
 * @error: return location for a #GError
 *
 * Issues a signed token.
 *
 * Returns: (transfer full): the token, in the compact JWT form, or %NULL
 */
char *
qi_token_authority_issue (QiTokenAuthority   *self,
                          const char         *session,
                          const char         *parent,
                          const char * const *scopes,
                          guint               lifetime_s,
                          GError            **error)
{
  g_auto(GStrv) checked = NULL;
  g_autofree char *jti = NULL;
  g_autofree char *scopes_json = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  jwt_t *jwt = NULL;
  char *encoded;
  char *result;
  gint64 now;
  int rc;

  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (self), NULL);
  g_return_val_if_fail (session != NULL && *session != '\0', NULL);
  g_return_val_if_fail (scopes != NULL, NULL);
  g_return_val_if_fail (lifetime_s > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  jti = make_jti (error);
  if (jti == NULL)
    return NULL;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scopes");
  json_builder_begin_array (builder);
  for (guint i = 0; scopes[i] != NULL; i++)
    json_builder_add_string_value (builder, scopes[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  scopes_json = qi_json_to_string (root, QI_JSON_WRITE_DEFAULT, NULL);

  now = g_get_real_time () / G_USEC_PER_SEC;

  rc = jwt_new (&jwt);
  if (rc == 0)
    rc = jwt_add_grant (jwt, "iss", ISSUER);
  if (rc == 0)
    rc = jwt_add_grant (jwt, "sub", session);
  if (rc == 0 && parent != NULL)
    rc = jwt_add_grant (jwt, "parent", parent);
  if (rc == 0)
    rc = jwt_add_grants_json (jwt, scopes_json);
  if (rc == 0)
    rc = jwt_add_grant (jwt, "jti", jti);
  if (rc == 0)
    rc = jwt_add_grant_int (jwt, "iat", (long) now);
  if (rc == 0)
    rc = jwt_add_grant_int (jwt, "exp", (long) (now + lifetime_s));
  if (rc == 0)
    rc = jwt_set_alg (jwt, JWT_ALG_HS256, g_bytes_get_data (self->key, NULL),
                      (int) g_bytes_get_size (self->key));

  encoded = rc == 0 ? jwt_encode_str (jwt) : NULL;
  jwt_clear (&jwt);

  if (encoded == NULL)
    {
      g_set_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_FAILED,
                   _("Could not sign a token for “%s”: %s"), session,
                   g_strerror (rc != 0 ? rc : ENOMEM));
      return NULL;
    }

  result = g_strdup (encoded);
  free (encoded);
  return result;
}

static gboolean
read_scopes (jwt_t   *jwt,
             GStrv   *out,
             GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) scopes = g_ptr_array_new_with_free_func (g_free);
  char *json = jwt_get_grants_json (jwt, "scopes");
  JsonNode *root;
  JsonArray *array;
  gboolean parsed;

  if (json == NULL)
    goto bad;

  parsed = json_parser_load_from_data (parser, json, -1, NULL);
  free (json);
  if (!parsed)
    goto bad;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    goto bad;

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        goto bad;
      g_ptr_array_add (scopes, g_strdup (json_node_get_string (element)));
    }
  g_ptr_array_add (scopes, NULL);

  *out = (GStrv) g_ptr_array_steal (scopes, NULL);
  return TRUE;

bad:
  g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                       _("The token’s “scopes” claim is missing or not an array of strings"));
  return FALSE;
}

/**
 * qi_token_authority_verify:
 * @self: a #QiTokenAuthority
 * @token: a token in the compact JWT form
 * @error: return location for a #GError
 *
 * Checks that @token is well formed, was signed with HS256 and this
 * authority's key, was issued by Qi, and has not expired.
 *
 * Returns: (transfer full): the token's claims, or %NULL with @error set in
 *   the #QI_TOKEN_ERROR domain
 */
QiToken *
qi_token_authority_verify (QiTokenAuthority  *self,
                           const char        *token,
                           GError           **error)
{
  __attribute__((cleanup (jwt_clear))) jwt_t *jwt = NULL;
  g_auto(GStrv) scopes = NULL;
  const char *issuer;
  const char *session;
  const char *parent;
  long expires;
  gint64 now;

  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Three base64url parts of printable ASCII, of a sane size: anything
   * else never reaches the JWT parser. */
  if (*token == '\0' || strlen (token) > 8192)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token is empty or longer than 8 KiB"));
      return NULL;
    }
  for (const char *p = token; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.' && *p != '=')
        {
          g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                               _("The token is not a JSON Web Token: it holds a character outside base64url"));
          return NULL;
        }
    }

  /* Parse without the key first so that a malformed token and a forged
   * one get different messages. */
  if (jwt_decode (&jwt, token, NULL, 0) != 0)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token is not a JSON Web Token"));
      return NULL;
    }
  jwt_clear (&jwt);

  if (jwt_decode (&jwt, token, g_bytes_get_data (self->key, NULL),
                  (int) g_bytes_get_size (self->key)) != 0 ||
      jwt_get_alg (jwt) != JWT_ALG_HS256)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_BAD_SIGNATURE,
                           _("The token was not signed by this Qi server (it may come from an earlier run)"));
      return NULL;
    }

  issuer = jwt_get_grant (jwt, "iss");
  session = jwt_get_grant (jwt, "sub");
  if (g_strcmp0 (issuer, ISSUER) != 0 || session == NULL || *session == '\0' ||
      !g_utf8_validate (session, -1, NULL))
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token’s “iss” or “sub” claim is missing or wrong"));
      return NULL;
    }

  parent = jwt_get_grant (jwt, "parent");
  if (parent != NULL && !g_utf8_validate (parent, -1, NULL))
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token’s “parent” claim is not UTF-8"));
      return NULL;
    }

  errno = 0;
  expires = jwt_get_grant_int (jwt, "exp");
  if (errno != 0)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token has no “exp” claim"));
      return NULL;
    }

  now = g_get_real_time () / G_USEC_PER_SEC;
  if ((gint64) expires <= now)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_EXPIRED,
                           _("The token has expired"));
      return NULL;
    }

  if (!read_scopes (jwt, &scopes, error))
    return NULL;

  return g_object_new (QI_TYPE_TOKEN,
                       "session", session,
                       "parent", parent,
                       "scopes", scopes,
                       "expires-at", (gint64) expires,
                       NULL);
}
