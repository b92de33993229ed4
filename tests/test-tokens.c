/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "qi-test-utils.h"

/* The JWTs of QiTokenAuthority as a format: what a token is made of, byte
 * for byte, and what verification takes and refuses. The tokens these
 * tests forge are made here, with GHmac and GLib's standard base64, so
 * that a token is checked against an HS256 computation of its own.
 * test-server's /qi/server/token-claims has the round trip. */

#define KEY "0123456789abcdef0123456789abcdef"
#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static QiTokenAuthority *
new_authority (const char *key)
{
  g_autoptr(GBytes) bytes = g_bytes_new (key, strlen (key));

  return qi_token_authority_new_with_key (bytes);
}

/* base64url of RFC 4648 §5, unpadded, from GLib's standard base64. */
static char *
encode (const void *data,
        gsize       length)
{
  g_autofree char *standard = g_base64_encode (data, length);
  GString *out = g_string_new (NULL);

  for (const char *p = standard; *p != '\0' && *p != '='; p++)
    g_string_append_c (out, *p == '+' ? '-' : *p == '/' ? '_' : *p);
  return g_string_free (out, FALSE);
}

static char *
encode_string (const char *text)
{
  return encode (text, strlen (text));
}

/* The bytes of a part: back to the standard alphabet, padded. */
static char *
decode (const char *part)
{
  g_autoptr(GString) standard = g_string_new (NULL);
  g_autofree guchar *data = NULL;
  gsize length;

  for (const char *p = part; *p != '\0'; p++)
    g_string_append_c (standard, *p == '-' ? '+' : *p == '_' ? '/' : *p);
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');
  data = g_base64_decode (standard->str, &length);
  return g_strndup ((const char *) data, length);
}

/* BASE64URL(HMAC-SHA-256(key, header "." claims)), over the parts as
 * given. */
static char *
signature_of (const char *key,
              const char *header_part,
              const char *claims_part)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) key, strlen (key));
  guint8 digest[32];
  gsize length = sizeof digest;

  g_hmac_update (hmac, (const guchar *) header_part, -1);
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, (const guchar *) claims_part, -1);
  g_hmac_get_digest (hmac, digest, &length);
  g_assert_cmpuint (length, ==, 32);
  return encode (digest, length);
}

/* A token of the two parts as given, signed with @key. */
static char *
sign_parts (const char *key,
            const char *header_part,
            const char *claims_part)
{
  g_autofree char *signature = signature_of (key, header_part, claims_part);

  return g_strdup_printf ("%s.%s.%s", header_part, claims_part, signature);
}

/* A token of the header and claims as JSON text, signed with @key. */
static char *
sign_json (const char *key,
           const char *header,
           const char *claims)
{
  g_autofree char *header_part = encode_string (header);
  g_autofree char *claims_part = encode_string (claims);

  return sign_parts (key, header_part, claims_part);
}

/* Claims that pass, but for what @extra adds (a JSON member list that
 * ends with a comma, or ""); exp is a minute from now. */
static char *
claims_with (const char *extra)
{
  return g_strdup_printf ("{%s\"exp\":%" G_GINT64_FORMAT ",\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}",
                          extra, g_get_real_time () / G_USEC_PER_SEC + 60);
}

static void
assert_refused (QiTokenAuthority *authority,
                const char       *token,
                QiTokenError      code,
                const char       *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiToken) claims = qi_token_authority_verify (authority, token, &error);

  if (claims != NULL)
    g_error ("token %s was accepted, not refused", token);
  g_assert_error (error, QI_TOKEN_ERROR, (gint) code);
  if (message != NULL)
    g_assert_cmpstr (error->message, ==, message);
}

static QiToken *
assert_accepted (QiTokenAuthority *authority,
                 const char       *token)
{
  g_autoptr(GError) error = NULL;
  QiToken *claims = qi_token_authority_verify (authority, token, &error);

  if (error != NULL)
    g_error ("token %s was refused: %s", token, error->message);
  g_assert_nonnull (claims);
  return claims;
}

#define NOT_A_JWT "The token is not a JSON Web Token"
#define NOT_SIGNED "The token was not signed by this Qi server (it may come from an earlier run)"
#define ISS_OR_SUB "The token’s “iss” or “sub” claim is missing or wrong"
#define NO_EXP "The token has no “exp” claim"
#define EXP_TYPE "The token’s “exp” claim is not a whole number of seconds"
#define SCOPES "The token’s “scopes” claim is missing or not an array of strings"
#define ACCEPTED (-1)

/* A token is JWS compact: the header of HS256, the claims in the order of
 * their names, base64url without padding, and the HMAC-SHA-256 of the
 * first two parts. */
static void
test_format (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  const char * const scopes[] = { "hub", "api", NULL };
  /* runs of '?' and '~' are "/" and "+" in standard base64 in any
   * position: the claims part has "_" and "-" */
  const char *session = "ui/?????~~~~~";
  g_autoptr(GError) error = NULL;
  g_autofree char *token = qi_token_authority_issue (authority, session, "__hub__", scopes, 600, &error);
  g_autofree char *without_parent = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *header = NULL;
  g_autofree char *claims_text = NULL;
  g_autofree char *signature = NULL;
  g_autoptr(JsonNode) claims = NULL;
  g_autoptr(GList) names = NULL;
  g_autoptr(QiToken) verified = NULL;
  const char *expected_names[] = { "exp", "iat", "iss", "jti", "parent", "scopes", "sub" };
  JsonObject *object;
  JsonArray *scope_array;
  const char *jti;
  guint i;

  g_assert_no_error (error);
  parts = g_strsplit (token, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  for (i = 0; parts[i] != NULL; i++)
    for (const char *p = parts[i]; *p != '\0'; p++)
      g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
  g_assert_nonnull (strchr (parts[1], '-'));
  g_assert_nonnull (strchr (parts[1], '_'));

  /* the header, byte for byte: the well-known first part of HS256 JWTs */
  g_assert_cmpstr (parts[0], ==, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
  header = decode (parts[0]);
  g_assert_cmpstr (header, ==, HEADER);

  claims_text = decode (parts[1]);
  claims = qi_json_from_data (claims_text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (claims));
  object = json_node_get_object (claims);
  names = json_object_get_members (object);
  g_assert_cmpuint (g_list_length (names), ==, G_N_ELEMENTS (expected_names));
  i = 0;
  for (GList *l = names; l != NULL; l = l->next)
    g_assert_cmpstr (l->data, ==, expected_names[i++]);
  g_assert_cmpstr (json_object_get_string_member (object, "iss"), ==, "qi");
  g_assert_cmpstr (json_object_get_string_member (object, "sub"), ==, session);
  g_assert_cmpstr (json_object_get_string_member (object, "parent"), ==, "__hub__");
  g_assert_cmpint (json_object_get_int_member (object, "exp") - json_object_get_int_member (object, "iat"), ==, 600);
  g_assert_cmpint (ABS (json_object_get_int_member (object, "iat") - g_get_real_time () / G_USEC_PER_SEC), <=, 5);
  jti = json_object_get_string_member (object, "jti");
  g_assert_cmpuint (strlen (jti), ==, 32);
  for (const char *p = jti; *p != '\0'; p++)
    g_assert_true (g_ascii_isxdigit (*p));
  scope_array = json_object_get_array_member (object, "scopes");
  g_assert_cmpuint (json_array_get_length (scope_array), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (scope_array, 0), ==, "hub");
  g_assert_cmpstr (json_array_get_string_element (scope_array, 1), ==, "api");
  g_assert_true (g_str_has_prefix (claims_text, "{\"exp\":"));
  g_assert_null (strchr (claims_text, ' '));

  /* the signature: HMAC-SHA-256 of the first two parts with the key */
  signature = signature_of (KEY, parts[0], parts[1]);
  g_assert_cmpstr (parts[2], ==, signature);
  g_assert_cmpuint (strlen (parts[2]), ==, 43);

  verified = assert_accepted (authority, token);
  g_assert_cmpstr (qi_token_get_session (verified), ==, session);
  g_assert_cmpstr (qi_token_get_parent (verified), ==, "__hub__");
  g_assert_cmpstrv (qi_token_get_scopes (verified), scopes);
  g_assert_cmpint (qi_token_get_expires_at (verified), ==, json_object_get_int_member (object, "exp"));

  /* no parent: no member */
  without_parent = qi_token_authority_issue (authority, "ui/launcher", NULL, scopes, 60, &error);
  g_assert_no_error (error);
  g_strfreev (parts);
  parts = g_strsplit (without_parent, ".", -1);
  g_clear_pointer (&claims_text, g_free);
  claims_text = decode (parts[1]);
  g_assert_null (strstr (claims_text, "parent"));
  g_clear_object (&verified);
  verified = assert_accepted (authority, without_parent);
  g_assert_null (qi_token_get_parent (verified));
}

/* RFC 7515, appendix A.1: the HS256 example of the JWS specification,
 * with its key. Its signature holds, so the refusal is of its claims
 * (issued by "joe", not Qi); one character changed, it is of the
 * signature. */
static void
test_rfc7515_example (void)
{
  const char *key_part = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
  const char *token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
                      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
                      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  g_autoptr(GString) standard = g_string_new (NULL);
  g_autoptr(GBytes) key = NULL;
  g_autoptr(QiTokenAuthority) authority = NULL;
  g_autofree char *changed = g_strdup (token);
  guchar *raw;
  gsize length;

  for (const char *p = key_part; *p != '\0'; p++)
    g_string_append_c (standard, *p == '-' ? '+' : *p == '_' ? '/' : *p);
  g_string_append (standard, "==");
  raw = g_base64_decode (standard->str, &length);
  g_assert_cmpuint (length, ==, 64);
  key = g_bytes_new_take (raw, length);
  authority = qi_token_authority_new_with_key (key);

  assert_refused (authority, token, QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB);
  changed[strlen (changed) - 5] = changed[strlen (changed) - 5] == 'E' ? 'F' : 'E';
  assert_refused (authority, changed, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
}

/* base64url as a token's parts may have it: every length, and the
 * padding that makes a multiple of four; nothing else. */
static void
test_base64url (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  g_autofree char *header_part = encode_string (HEADER);
  g_autofree char *base = claims_with ("");

  /* 36 characters: a header part that needs no padding */
  g_assert_cmpuint (strlen (header_part) % 4, ==, 0);

  /* JSON may end with spaces: claims of three lengths give parts of
   * every length that base64 has, each read with and without padding */
  for (guint spaces = 0; spaces < 3; spaces++)
    {
      g_autofree char *claims = g_strdup_printf ("%s%*s", base, (int) spaces, "");
      g_autofree char *part = encode_string (claims);
      g_autofree char *padded = NULL;
      g_autofree char *token = sign_parts (KEY, header_part, part);
      g_autofree char *padded_token = NULL;
      g_autoptr(QiToken) verified = NULL;
      g_autoptr(QiToken) verified_padded = NULL;
      gsize pad = (4 - strlen (part) % 4) % 4;

      g_assert_cmpuint (strlen (part) % 4, !=, 1);
      verified = assert_accepted (authority, token);
      g_assert_cmpstr (qi_token_get_session (verified), ==, "test/x");

      padded = g_strdup_printf ("%s%.*s", part, (int) pad, "==");
      padded_token = sign_parts (KEY, header_part, padded);
      verified_padded = assert_accepted (authority, padded_token);
      g_assert_cmpstr (qi_token_get_session (verified_padded), ==, "test/x");

      /* one "=" too many (three at most) */
      {
        g_autofree char *over = g_strdup_printf ("%s%.*s", part, (int) pad + 1, "===");
        g_autofree char *over_token = sign_parts (KEY, header_part, over);

        assert_refused (authority, over_token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
      }
    }

  /* a padded header part where none belongs, or a "=" inside a part */
  {
    g_autofree char *claims_part = encode_string (base);
    g_autofree char *padded_header = g_strdup_printf ("%s====", header_part);
    g_autofree char *token = sign_parts (KEY, padded_header, claims_part);
    g_autofree char *one = g_strdup_printf ("%s=", header_part);
    g_autofree char *one_token = sign_parts (KEY, one, claims_part);
    g_autofree char *inside = g_strdup (claims_part);
    g_autofree char *inside_token = NULL;

    assert_refused (authority, token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
    assert_refused (authority, one_token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
    inside[4] = '=';
    inside_token = sign_parts (KEY, header_part, inside);
    assert_refused (authority, inside_token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
  }

  /* a character over: six bits, not a byte (claims of a multiple of
   * three bytes make a part of a multiple of four characters) */
  {
    g_autofree char *claims = g_strdup_printf ("%s%*s", base, (int) ((3 - strlen (base) % 3) % 3), "");
    g_autofree char *claims_part = encode_string (claims);
    g_autofree char *longer = g_strconcat (claims_part, "A", NULL);
    g_autofree char *token = sign_parts (KEY, header_part, longer);

    g_assert_cmpuint (strlen (claims_part) % 4, ==, 0);
    assert_refused (authority, token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
  }

  /* the standard alphabet's "+" and "/", and other characters */
  assert_refused (authority, "eyJ+.eyJ.abc", QI_TOKEN_ERROR_MALFORMED,
                  "The token is not a JSON Web Token: it holds a character outside base64url");
  assert_refused (authority, "eyJ/.eyJ.abc", QI_TOKEN_ERROR_MALFORMED, NULL);
  assert_refused (authority, "eyJ .eyJ.abc", QI_TOKEN_ERROR_MALFORMED, NULL);

  /* empty parts, too few parts */
  assert_refused (authority, "..", QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
  assert_refused (authority, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
  {
    g_autofree char *claims_part = encode_string (base);
    g_autofree char *two = g_strdup_printf ("%s.%s", header_part, claims_part);

    assert_refused (authority, two, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
  }
}

/* A changed header, claims or signature: the signature no longer fits. */
static void
test_tampering (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  g_autoptr(QiTokenAuthority) other = new_authority ("another key of thirty-two bytes!");
  const char * const scopes[] = { "hub", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *token = qi_token_authority_issue (authority, "test/x", NULL, scopes, 600, &error);
  g_autofree char *foreign = qi_token_authority_issue (other, "test/x", NULL, scopes, 600, &error);
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree char *claims_text = decode (parts[1]);
  const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char *headers[] = {
    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"1\"}",
    "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
    "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
  };

  g_assert_no_error (error);
  assert_refused (authority, foreign, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);

  /* another header, the claims and signature kept */
  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *header_part = encode_string (headers[i]);
      g_autofree char *changed = g_strdup_printf ("%s.%s.%s", header_part, parts[1], parts[2]);

      assert_refused (authority, changed, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    }

  /* other claims, of the same form */
  {
    g_autoptr(GString) claims = g_string_new (claims_text);
    g_autofree char *claims_part = NULL;
    g_autofree char *changed = NULL;

    g_assert_cmpuint (g_string_replace (claims, "\"test/x\"", "\"test/y\"", 1), ==, 1);
    claims_part = encode_string (claims->str);
    changed = g_strdup_printf ("%s.%s.%s", parts[0], claims_part, parts[2]);
    assert_refused (authority, changed, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
  }

  /* each character of the signature changed in turn; the last one in the
   * two bits past the last byte too, which a lax decoder would ignore */
  for (gsize i = 0; i < strlen (parts[2]); i++)
    {
      g_autofree char *changed = g_strdup (token);
      char *c = changed + strlen (parts[0]) + 1 + strlen (parts[1]) + 1 + i;
      guint index = (guint) (strchr (alphabet, *c) - alphabet);

      *c = alphabet[index ^ (i == strlen (parts[2]) - 1 ? 1 : 32)];
      assert_refused (authority, changed, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    }

  /* shorter, longer, padded, empty, a fourth part */
  {
    g_autofree char *shorter = g_strndup (token, strlen (token) - 1);
    g_autofree char *longer = g_strconcat (token, "A", NULL);
    g_autofree char *padded = g_strconcat (token, "=", NULL);
    g_autofree char *empty = g_strdup_printf ("%s.%s.", parts[0], parts[1]);
    g_autofree char *fourth = g_strconcat (token, ".", parts[2], NULL);

    assert_refused (authority, shorter, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    assert_refused (authority, longer, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    assert_refused (authority, padded, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    assert_refused (authority, empty, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    assert_refused (authority, fourth, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
  }
}

/* HS256 only: "none" and every other algorithm are refused as badly
 * signed, even with a signature that HS256 would take; a header without
 * an algorithm is no JWT. */
static void
test_algorithms (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  g_autofree char *claims = claims_with ("");
  g_autofree char *claims_part = encode_string (claims);
  const char *refused[] = {
    "{\"alg\":\"none\",\"typ\":\"JWT\"}",
    "{\"alg\":\"none\"}",
    "{\"alg\":\"NONE\",\"typ\":\"JWT\"}",
    "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
    "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
    "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"XYZ\",\"typ\":\"JWT\"}",
    "{\"alg\":\"\",\"typ\":\"JWT\"}",
  };
  const char *malformed[] = {
    "{\"typ\":\"JWT\"}",
    "{\"alg\":256,\"typ\":\"JWT\"}",
    "{\"alg\":null,\"typ\":\"JWT\"}",
    "{\"alg\":[\"HS256\"],\"typ\":\"JWT\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *header_part = encode_string (refused[i]);
      g_autofree char *signed_token = sign_parts (KEY, header_part, claims_part);
      g_autofree char *unsigned_token = g_strdup_printf ("%s.%s.", header_part, claims_part);

      assert_refused (authority, signed_token, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
      assert_refused (authority, unsigned_token, QI_TOKEN_ERROR_BAD_SIGNATURE, NOT_SIGNED);
    }

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *token = sign_json (KEY, malformed[i], claims);

      assert_refused (authority, token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
    }
}

/* The header: "alg" and "typ" are read, other members ignored, as the
 * tokens of other JWT libraries have them; a member given twice, or a
 * header that is no JSON object, is refused. */
static void
test_header (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  g_autofree char *claims = claims_with ("");
  const char *accepted[] = {
    HEADER,
    "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
    "{\"alg\":\"HS256\"}",
    "{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"2024-01\",\"x5t\":[1,{\"a\":null}]}",
    " {\r\n \"alg\" : \"HS256\" ,\t\"typ\" : \"JWT\" } ",
  };
  const char *malformed[] = {
    "{\"alg\":\"HS256\",\"typ\":\"JOSE\"}",
    "{\"alg\":\"HS256\",\"alg\":\"HS256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\"JWT\"}",
    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"typ\":\"JWT\"}",
    "[\"HS256\"]",
    "\"HS256\"",
    "{\"alg\":\"HS256\",\"typ\":\"JWT\"}x",
    "{\"alg\":\"HS256\",\"typ\":\"JWT\",}",
    "{'alg':'HS256'}",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *token = sign_json (KEY, accepted[i], claims);
      g_autoptr(QiToken) verified = assert_accepted (authority, token);

      g_assert_cmpstr (qi_token_get_session (verified), ==, "test/x");
    }

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *token = sign_json (KEY, malformed[i], claims);

      assert_refused (authority, token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
    }
}

/* The claims of a token signed with the key: what each must be. */
static void
test_claims (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  struct {
    const char *claims;  /* %s: exp, a minute from now */
    int         code;    /* a QiTokenError, or ACCEPTED */
    const char *message;
  } cases[] = {
    /* only exp, iss, scopes and sub are needed; others are not read */
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", ACCEPTED, NULL },
    { "{\"sub\":\"test/x\",\"scopes\":[],\"iss\":\"qi\",\"exp\":%s,\"nbf\":9999999999,\"aud\":\"x\",\"x\":{}}",
      ACCEPTED, NULL },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\",\"parent\":null}", ACCEPTED, NULL },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\",\"parent\":7}", ACCEPTED, NULL },

    { "{\"exp\":%s,\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB },
    { "{\"exp\":%s,\"iss\":\"QI\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB },
    { "{\"exp\":%s,\"iss\":[\"qi\"],\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"]}", QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"\"}", QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":5}", QI_TOKEN_ERROR_MALFORMED, ISS_OR_SUB },

    { "{\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, NO_EXP },
    { "{\"exp\":\"%s\",\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, EXP_TYPE },
    { "{\"exp\":%s.5,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, EXP_TYPE },
    { "{\"exp\":null,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, EXP_TYPE },
    { "{\"exp\":true,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, EXP_TYPE },
    { "{\"exp\":1e30,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, EXP_TYPE },
    { "{\"exp\":1,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}",
      QI_TOKEN_ERROR_EXPIRED, "The token has expired" },
    { "{\"exp\":-1,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_EXPIRED, NULL },

    { "{\"exp\":%s,\"iss\":\"qi\",\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, SCOPES },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":\"hub\",\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, SCOPES },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\",1],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, SCOPES },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[[\"hub\"]],\"sub\":\"test/x\"}", QI_TOKEN_ERROR_MALFORMED, SCOPES },

    /* no JSON object, or not for the strict reader */
    { "[{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}]", QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\",\"sub\":\"test/y\"}",
      QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/\\u0000x\"}",
      QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/\\ud800x\"}",
      QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT },
    { "{\"exp\":99999999999999999999,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"}",
      QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT },
    { "{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/x\"", QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT },
  };
  g_autofree char *exp = g_strdup_printf ("%" G_GINT64_FORMAT, now + 60);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) claims = g_string_new (cases[i].claims);
      g_autofree char *token = NULL;

      g_string_replace (claims, "%s", exp, 0);
      token = sign_json (KEY, HEADER, claims->str);
      if (cases[i].code == ACCEPTED)
        {
          g_autoptr(QiToken) verified = assert_accepted (authority, token);

          g_assert_cmpstr (qi_token_get_session (verified), ==, "test/x");
          g_assert_null (qi_token_get_parent (verified));
          g_assert_cmpint (qi_token_get_expires_at (verified), ==, now + 60);
        }
      else
        assert_refused (authority, token, (QiTokenError) cases[i].code, cases[i].message);
    }

  /* claims that are not UTF-8 */
  {
    g_autofree char *claims = g_strdup_printf ("{\"exp\":%s,\"iss\":\"qi\",\"scopes\":[\"hub\"],\"sub\":\"test/\xff\"}",
                                               exp);
    g_autofree char *token = sign_json (KEY, HEADER, claims);

    assert_refused (authority, token, QI_TOKEN_ERROR_MALFORMED, NOT_A_JWT);
  }
}

/* What a token is issued for must be UTF-8, as JSON strings are: else the
 * token would name another session. */
static void
test_issue_refuses (void)
{
  g_autoptr(QiTokenAuthority) authority = new_authority (KEY);
  const char * const scopes[] = { "hub", NULL };
  g_autoptr(GError) error = NULL;
  char *token;

  token = qi_token_authority_issue (authority, "ui/\xff", NULL, scopes, 60, &error);
  g_assert_null (token);
  g_assert_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_FAILED);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_clear_error (&error);

  token = qi_token_authority_issue (authority, "ui/x", "__hub__\xc3", scopes, 60, &error);
  g_assert_null (token);
  g_assert_error (error, QI_TOKEN_ERROR, QI_TOKEN_ERROR_FAILED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/tokens/format", test_format);
  g_test_add_func ("/qi/tokens/rfc7515-example", test_rfc7515_example);
  g_test_add_func ("/qi/tokens/base64url", test_base64url);
  g_test_add_func ("/qi/tokens/tampering", test_tampering);
  g_test_add_func ("/qi/tokens/algorithms", test_algorithms);
  g_test_add_func ("/qi/tokens/header", test_header);
  g_test_add_func ("/qi/tokens/claims", test_claims);
  g_test_add_func ("/qi/tokens/issue-refuses", test_issue_refuses);

  return g_test_run ();
}
