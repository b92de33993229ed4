/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

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
 *
 * The token is the compact form of a JSON Web Signature (RFC 7515 §7.1):
 * `BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature)`,
 * where BASE64URL is the URL-safe alphabet of RFC 4648 §5 without the `=`
 * padding, the header is `{"alg":"HS256","typ":"JWT"}`, the claims are one
 * JSON object written by qi_json_to_string() (its members in the order of
 * their names) and the signature is the HMAC-SHA-256 (RFC 2104, RFC 7518
 * §3.2) of the first two parts, as they are written, with the key
 * (GLib's #GHmac). Any JWT library checks a token with the key.
 *
 * Verification reads the header and the claims with Qi's strict JSON
 * reader (qi_json_from_data()), so that a member given twice, which
 * readers resolve differently, makes the token malformed. Of the header
 * it takes `alg`, which must be `HS256`, and `typ`, which may be left out
 * but if it is a string must be `JWT` (in any case); other members are
 * ignored. The signature is compared in a time that does not depend on
 * where it differs.
 */

#define KEY_LENGTH 32
#define ISSUER "qi"
#define JOSE_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

struct _QiTokenAuthority
{
  GObject  parent_instance;

  GBytes  *key;
};

G_DEFINE_FINAL_TYPE (QiTokenAuthority, qi_token_authority, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-token-error-quark, qi_token_error)

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

/*
 * base64url_encode:
 * @data: (array length=length): the bytes to encode
 * @length: their number
 *
 * Encodes @data in the URL-safe base64 of RFC 4648 §5 without the `=`
 * padding, as a JWT has it (RFC 7515 §2): GLib's standard base64, whose
 * `+` and `/` become `-` and `_`.
 *
 * Returns: (transfer full): the text
 */
static char *
base64url_encode (const guint8 *data,
                  gsize         length)
{
  char *text = g_base64_encode (data, length);
  char *out = text;

  /* the padding only ever ends the text */
  for (const char *in = text; *in != '\0' && *in != '='; in++)
    *out++ = *in == '+' ? '-' : *in == '/' ? '_' : *in;
  *out = '\0';

  return text;
}

/*
 * base64url_decode:
 * @text: (array length=length): one part of a token
 * @length: its length in bytes
 * @size: (out): where to store the number of bytes decoded
 *
 * Decodes the URL-safe base64 of RFC 4648 §5, unpadded as a JWT writes it
 * or with its correct padding (one or two `=` that make the length a
 * multiple of four), which some encoders add and Qi's tokens always
 * accepted. Anything else is refused: a character outside the alphabet,
 * a `=` anywhere but at the end, a length that leaves one character over
 * (six bits, not a byte). The bits past the last byte are ignored, as
 * RFC 4648 §3.5 allows.
 *
 * Returns: (transfer full) (nullable): the bytes, or %NULL if @text is
 *   not base64url
 */
static guint8 *
base64url_decode (const char *text,
                  gsize       length,
                  gsize      *size)
{
  g_autofree char *standard = NULL;
  gsize data_length = length;
  gsize i;

  while (data_length > 0 && text[data_length - 1] == '=')
    data_length--;
  if ((data_length < length && (length % 4 != 0 || length - data_length > 2)) || data_length % 4 == 1)
    return NULL;

  /* g_base64_decode() skips what is not of its alphabet without a word:
   * it gets only text checked here, padded as it wants it. */
  standard = g_malloc (data_length + 3 + 1);
  for (i = 0; i < data_length; i++)
    {
      char c = text[i];

      if (c == '-')
        standard[i] = '+';
      else if (c == '_')
        standard[i] = '/';
      else if (g_ascii_isalnum (c))
        standard[i] = c;
      else
        return NULL;
    }
  for (; i % 4 != 0; i++)
    standard[i] = '=';
  standard[i] = '\0';

  return g_base64_decode (standard, size);
}

/*
 * read_part:
 * @text: (array length=length): the header or the claims of a token
 * @length: its length in bytes
 *
 * Returns: (transfer full) (nullable): the JSON object that @text encodes
 *   in base64url, or %NULL if it is not base64url, not JSON for
 *   qi_json_from_data(), or JSON but not an object
 */
static JsonObject *
read_part (const char *text,
           gsize       length)
{
  g_autofree guint8 *data = NULL;
  g_autoptr(JsonNode) node = NULL;
  gsize size;

  data = base64url_decode (text, length, &size);
  if (data == NULL)
    return NULL;

  node = qi_json_from_data ((const char *) data, (gssize) size, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_object_ref (json_node_get_object (node));
}

/*
 * string_member:
 * @object: a header or claims
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the string that the member @name of
 *   @object holds, or %NULL if it has no such member or the member is not
 *   a string
 */
static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/*
 * sign:
 * @self: a #QiTokenAuthority
 * @input: (array length=length): the header and claims of a token, as
 *   written, with the dot between them
 * @length: the length of @input in bytes
 *
 * Computes the HS256 signature of a token (RFC 7518 §3.2): HMAC-SHA-256
 * of @input with the key of @self.
 *
 * Returns: (transfer full): the signature, in base64url
 */
static char *
sign (QiTokenAuthority *self,
      const char       *input,
      gsize             length)
{
  g_autoptr(GHmac) hmac = NULL;
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  gsize key_length;
  const guint8 *key = g_bytes_get_data (self->key, &key_length);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_length);
  g_hmac_update (hmac, (const guchar *) input, (gssize) length);
  g_hmac_get_digest (hmac, digest, &digest_length);

  return base64url_encode (digest, digest_length);
}

/*
 * signature_matches:
 * @self: a #QiTokenAuthority
 * @token: a token
 * @signature: its third part, within @token
 *
 * Checks the signature of @token against the one made with the key of
 * @self. The two are compared in full, whatever the first byte that
 * differs, so that the time it takes does not tell a forger how much of
 * a guessed signature is right.
 *
 * Returns: whether @signature is that of @token with this key
 */
static gboolean
signature_matches (QiTokenAuthority *self,
                   const char       *token,
                   const char       *signature)
{
  g_autofree char *expected = sign (self, token, (gsize) (signature - 1 - token));
  gsize length = strlen (expected);
  guint8 difference = 0;

  /* The length of a signature is no secret: 43 characters. */
  if (strlen (signature) != length)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    difference |= (guint8) (signature[i] ^ expected[i]);

  return difference == 0;
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
  g_autofree char *jti = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(JsonArray) scope_array = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *claims_json = NULL;
  g_autofree char *header = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *signature = NULL;
  gsize claims_length;
  gint64 now;

  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (self), NULL);
  g_return_val_if_fail (session != NULL && *session != '\0', NULL);
  g_return_val_if_fail (scopes != NULL, NULL);
  g_return_val_if_fail (lifetime_s > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* JSON strings are UTF-8: a name that is not would be changed by the
   * writer, and the token would be for another session. */
  if (!g_utf8_validate (session, -1, NULL) || (parent != NULL && !g_utf8_validate (parent, -1, NULL)))
    {
      g_autofree char *shown = g_utf8_make_valid (session, -1);

      g_set_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_FAILED,
                   _("Could not sign a token for “%s”: %s"), shown, g_strerror (EINVAL));
      return NULL;
    }

  jti = make_jti (error);
  if (jti == NULL)
    return NULL;

  now = g_get_real_time () / G_USEC_PER_SEC;

  /* The claims in the order of their names, as Qi's tokens have always
   * had them. */
  scope_array = json_array_new ();
  for (guint i = 0; scopes[i] != NULL; i++)
    json_array_add_string_element (scope_array, scopes[i]);

  claims = json_object_new ();
  json_object_set_int_member (claims, "exp", now + lifetime_s);
  json_object_set_int_member (claims, "iat", now);
  json_object_set_string_member (claims, "iss", ISSUER);
  json_object_set_string_member (claims, "jti", jti);
  if (parent != NULL)
    json_object_set_string_member (claims, "parent", parent);
  json_object_set_array_member (claims, "scopes", g_steal_pointer (&scope_array));
  json_object_set_string_member (claims, "sub", session);
  root = json_node_init_object (json_node_alloc (), claims);
  claims_json = qi_json_to_string (root, QI_JSON_WRITE_DEFAULT, &claims_length);

  header = base64url_encode ((const guint8 *) JOSE_HEADER, strlen (JOSE_HEADER));
  payload = base64url_encode ((const guint8 *) claims_json, claims_length);
  signing_input = g_strconcat (header, ".", payload, NULL);
  signature = sign (self, signing_input, strlen (signing_input));

  return g_strconcat (signing_input, ".", signature, NULL);
}

static gboolean
read_scopes (JsonObject  *claims,
             GStrv       *out,
             GError     **error)
{
  g_autoptr(GPtrArray) scopes = g_ptr_array_new_with_free_func (g_free);
  JsonNode *root = json_object_get_member (claims, "scopes");
  JsonArray *array;

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
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_auto(GStrv) scopes = NULL;
  const char *body;
  const char *signature;
  const char *type;
  const char *issuer;
  const char *session;
  const char *parent;
  JsonNode *expiry;
  gint64 expires;
  gint64 now;

  g_return_val_if_fail (QI_IS_TOKEN_AUTHORITY (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Three base64url parts of printable ASCII, of a sane size: anything
   * else is not decoded at all. */
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

  /* The whole form first, the signature after, so that a malformed token
   * and a forged one get different messages. The signature is what
   * follows the second dot: one with a further dot is only a wrong one. */
  body = strchr (token, '.');
  signature = body != NULL ? strchr (body + 1, '.') : NULL;
  if (signature != NULL)
    header = read_part (token, (gsize) (body - token));
  if (header != NULL)
    claims = read_part (body + 1, (gsize) (signature - body - 1));
  type = header != NULL ? string_member (header, "typ") : NULL;
  if (claims == NULL || string_member (header, "alg") == NULL ||
      (type != NULL && g_ascii_strcasecmp (type, "JWT") != 0))
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token is not a JSON Web Token"));
      return NULL;
    }
  signature++;

  if (g_strcmp0 (string_member (header, "alg"), "HS256") != 0 ||
      !signature_matches (self, token, signature))
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_BAD_SIGNATURE,
                           _("The token was not signed by this Qi server (it may come from an earlier run)"));
      return NULL;
    }

  /* The reader took only UTF-8 (and no \u0000), so the strings are. */
  issuer = string_member (claims, "iss");
  session = string_member (claims, "sub");
  if (g_strcmp0 (issuer, ISSUER) != 0 || session == NULL || *session == '\0')
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token’s “iss” or “sub” claim is missing or wrong"));
      return NULL;
    }

  parent = string_member (claims, "parent");

  expiry = json_object_get_member (claims, "exp");
  if (expiry == NULL)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token has no “exp” claim"));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (expiry) || json_node_get_value_type (expiry) != G_TYPE_INT64)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_MALFORMED,
                           _("The token’s “exp” claim is not a whole number of seconds"));
      return NULL;
    }
  expires = json_node_get_int (expiry);

  now = g_get_real_time () / G_USEC_PER_SEC;
  if (expires <= now)
    {
      g_set_error_literal (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_EXPIRED,
                           _("The token has expired"));
      return NULL;
    }

  if (!read_scopes (claims, &scopes, error))
    return NULL;

  return g_object_new (QI_TYPE_TOKEN,
                       "session", session,
                       "parent", parent,
                       "scopes", scopes,
                       "expires-at", expires,
                       NULL);
}
