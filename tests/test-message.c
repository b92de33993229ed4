/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "qi-test-utils.h"

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static QiMessage *
decode (const char  *text,
        GError     **error)
{
  /* An exact-size copy with no nul after it: ASan sees any read past the
   * end. */
  gsize length = strlen (text);
  g_autofree char *copy = g_memdup2 (text, MAX (length, 1));

  return qi_message_new_from_data (copy, length, 0, NULL, error);
}

/* Encodes, decodes and checks that nothing changed. */
static void
assert_round_trip (QiMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) back = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  text = qi_message_to_json (msg, &length);
  g_assert_cmpuint (length, ==, strlen (text));
  back = qi_message_new_from_data (text, length, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_true (qi_message_equal (msg, back));
  g_assert_cmpint (qi_message_get_kind (back), ==, qi_message_get_kind (msg));
  g_assert_cmpstr (qi_message_get_id (back), ==, qi_message_get_id (msg));
  g_assert_cmpstr (qi_message_get_topic (back), ==, qi_message_get_topic (msg));
  g_assert_cmpstr (qi_message_get_re (back), ==, qi_message_get_re (msg));
  g_assert_cmpstr (qi_message_get_session (back), ==, qi_message_get_session (msg));
  g_assert_cmpuint (qi_message_get_timeout_ms (back), ==, qi_message_get_timeout_ms (msg));
  g_assert_true (json_node_equal (qi_message_get_payload (back), qi_message_get_payload (msg)));

  again = qi_message_to_json (back, NULL);
  g_assert_cmpstr (again, ==, text);
}

static void
test_constructors (void)
{
  g_autoptr(JsonNode) payload = parse_json ("{\"shot\":\"sh010\",\"frames\":[1,2]}");
  g_autoptr(JsonNode) data = parse_json ("{\"retry\":true}");
  g_autoptr(QiMessage) request = NULL;
  g_autoptr(QiMessage) empty = NULL;
  g_autoptr(QiMessage) event = NULL;
  g_autoptr(QiMessage) reply = NULL;
  g_autoptr(QiMessage) failure = NULL;
  g_autoptr(QiMessage) orphan = NULL;
  JsonObject *object;

  request = qi_message_new_request ("db.version.list", payload);
  g_assert_cmpint (qi_message_get_kind (request), ==, QI_MESSAGE_KIND_REQUEST);
  g_assert_cmpstr (qi_message_get_topic (request), ==, "db.version.list");
  g_assert_nonnull (qi_message_get_id (request));
  g_assert_cmpstr (qi_message_get_id (request), !=, "");
  g_assert_null (qi_message_get_re (request));
  g_assert_null (qi_message_get_session (request));
  g_assert_cmpuint (qi_message_get_timeout_ms (request), ==, 0);
  g_assert_true (json_node_equal (qi_message_get_payload (request), payload));
  /* A mutable payload is copied and the copy sealed; the caller's is left alone. */
  g_assert_true (qi_message_get_payload (request) != payload);
  g_assert_true (json_node_is_immutable (qi_message_get_payload (request)));
  g_assert_false (json_node_is_immutable (payload));
  json_object_set_int_member (json_node_get_object (payload), "late", 1);
  g_assert_false (json_object_has_member (json_node_get_object (qi_message_get_payload (request)), "late"));

  /* A sealed payload is shared. */
  json_node_seal (payload);
  event = qi_message_new_event ("session.opened", payload);
  g_assert_cmpint (qi_message_get_kind (event), ==, QI_MESSAGE_KIND_EVENT);
  g_assert_true (qi_message_get_payload (event) == payload);

  empty = qi_message_new_request ("hub.ping", NULL);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (qi_message_get_payload (empty)));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (qi_message_get_payload (empty))), ==, 0);

  reply = qi_message_new_reply (request, NULL);
  g_assert_cmpint (qi_message_get_kind (reply), ==, QI_MESSAGE_KIND_REPLY);
  g_assert_cmpstr (qi_message_get_re (reply), ==, qi_message_get_id (request));
  g_assert_cmpstr (qi_message_get_topic (reply), ==, "db.version.list");
  g_assert_cmpstr (qi_message_get_id (reply), !=, qi_message_get_id (request));

  failure = qi_message_new_error (request, QI_HUB_ERROR_NO_HANDLER, "nobody handles db.version.list", data);
  g_assert_cmpint (qi_message_get_kind (failure), ==, QI_MESSAGE_KIND_ERROR);
  g_assert_cmpstr (qi_message_get_re (failure), ==, qi_message_get_id (request));
  object = json_node_get_object (qi_message_get_payload (failure));
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, "no_handler");
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, "nobody handles db.version.list");
  g_assert_true (json_node_equal (json_object_get_member (object, "data"), data));

  orphan = qi_message_new_error (NULL, QI_HUB_ERROR_BAD_MESSAGE, "not JSON", NULL);
  g_assert_null (qi_message_get_re (orphan));
  g_assert_null (qi_message_get_topic (orphan));
  object = json_node_get_object (qi_message_get_payload (orphan));
  g_assert_false (json_object_has_member (object, "data"));
}

static void
test_boxed (void)
{
  g_autoptr(QiMessage) msg = qi_message_new_event ("a.b", NULL);
  g_autoptr(GEnumClass) kinds = NULL;
  QiMessage *copy;

  g_assert_cmpstr (g_type_name (QI_TYPE_MESSAGE), ==, "QiMessage");
  g_assert_true (G_TYPE_IS_BOXED (QI_TYPE_MESSAGE));
  copy = g_boxed_copy (QI_TYPE_MESSAGE, msg);
  g_assert_true (copy == msg);
  g_boxed_free (QI_TYPE_MESSAGE, copy);

  kinds = g_type_class_ref (QI_TYPE_MESSAGE_KIND);
  g_assert_cmpstr (g_enum_get_value (kinds, QI_MESSAGE_KIND_REPLY)->value_nick, ==, "reply");
  g_assert_cmpstr (qi_message_kind_to_string (QI_MESSAGE_KIND_ERROR), ==, "error");
}

static void
test_ids_unique (void)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 10000; i++)
    {
      g_autoptr(QiMessage) msg = qi_message_new_event ("a.b", NULL);

      g_assert_true (g_hash_table_add (ids, g_strdup (qi_message_get_id (msg))));
    }
  g_assert_cmpuint (g_hash_table_size (ids), ==, 10000);
}

static void
test_topic_rule (void)
{
  const char *valid[] = { "a", "hub.ping", "db_service.version.list", "A-1.b_2.C", "0" };
  const char *invalid[] = { "", ".", "a.", ".a", "a..b", "a.*", "a.**", "a b", "a/b", "é", "a.b\n" };
  g_autofree char *longest = g_strnfill (QI_MESSAGE_MAX_TOPIC_LENGTH, 'x');
  g_autofree char *too_long = g_strnfill (QI_MESSAGE_MAX_TOPIC_LENGTH + 1, 'x');

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (qi_message_topic_is_valid (valid[i]));
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (qi_message_topic_is_valid (invalid[i]));
  g_assert_false (qi_message_topic_is_valid (NULL));
  g_assert_true (qi_message_topic_is_valid (longest));
  g_assert_false (qi_message_topic_is_valid (too_long));
}

static void
test_encode (void)
{
  g_autoptr(JsonNode) payload = parse_json ("{\"b\":1,\"a\":[true,null,\"x\"]}");
  g_autoptr(QiMessage) request = qi_message_new_request ("a.b", payload);
  g_autoptr(QiMessage) stamped = qi_message_with_session (request, "ui/main");
  g_autoptr(QiMessage) timed = qi_message_with_timeout (stamped, 5000);
  g_autoptr(QiMessage) reply = qi_message_new_reply (request, NULL);
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  g_autofree char *reply_text = NULL;

  expected = g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"kind\":\"request\",\"topic\":\"a.b\","
                              "\"session\":\"ui/main\",\"timeout_ms\":5000,"
                              "\"payload\":{\"b\":1,\"a\":[true,null,\"x\"]}}",
                              qi_message_get_id (request));
  text = qi_message_to_json (timed, NULL);
  g_assert_cmpstr (text, ==, expected);

  g_free (expected);
  expected = g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"kind\":\"reply\",\"topic\":\"a.b\","
                              "\"re\":\"%s\",\"payload\":{}}",
                              qi_message_get_id (reply), qi_message_get_id (request));
  reply_text = qi_message_to_json (reply, NULL);
  g_assert_cmpstr (reply_text, ==, expected);
}

static void
test_encode_values (void)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(QiMessage) msg = NULL;
  g_autofree char *text = NULL;

  json_object_set_string_member (object, "s", "q\"b\\n\n\t\x01/é");
  json_object_set_double_member (object, "d", 0.1);
  json_object_set_double_member (object, "whole", 2.0);
  json_object_set_double_member (object, "big", 1e300);
  json_object_set_double_member (object, "inf", INFINITY);
  json_object_set_int_member (object, "min", G_MININT64);
  json_object_set_string_member (object, "bad", "a\xff" "b");
  payload = json_node_init_object (json_node_alloc (), object);
  msg = qi_message_new_event ("a", payload);

  text = qi_message_to_json (msg, NULL);
  g_assert_nonnull (strstr (text, "\"payload\":{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001/é\","
                                  "\"d\":0.1,\"whole\":2.0,\"big\":1e+300,\"inf\":null,"
                                  "\"min\":-9223372036854775808,\"bad\":\"a\xef\xbf\xbd" "b\"}}"));
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

static void
test_round_trip (void)
{
  g_autoptr(JsonNode) payload =
    parse_json ("{\"text\":\"a\\\"b\\\\c\\u00e9\\ud83c\\udfac\\n\",\"int\":-42,"
                "\"max\":9223372036854775807,\"double\":-1.5e-7,\"third\":0.3333333333333333,"
                "\"nested\":{\"list\":[[],{},[1,[2,[3]]],null,false]},\"\":\"empty name\"}");
  g_autoptr(JsonNode) data = parse_json ("{\"traceback\":[\"line 1\"]}");
  g_autoptr(QiMessage) request = qi_message_new_request ("db.version.list", payload);
  g_autoptr(QiMessage) timed = qi_message_with_timeout (request, 250);
  g_autoptr(QiMessage) stamped = qi_message_with_session (timed, "dcc/blender/42");
  g_autoptr(QiMessage) reply = qi_message_new_reply (request, payload);
  g_autoptr(QiMessage) event = qi_message_new_event ("session.closed", NULL);
  g_autoptr(QiMessage) failure = qi_message_new_error (request, QI_HUB_ERROR_TIMEOUT, "no answer in 250 ms", data);
  g_autoptr(QiMessage) orphan = qi_message_new_error (NULL, QI_HUB_ERROR_BAD_MESSAGE, "not JSON", NULL);
  g_autoptr(QiMessage) answered = qi_message_new_error_full ("their-id", NULL, QI_HUB_ERROR_UNKNOWN_KIND,
                                                             "unknown kind", NULL);

  assert_round_trip (request);
  assert_round_trip (timed);
  assert_round_trip (stamped);
  assert_round_trip (reply);
  assert_round_trip (event);
  assert_round_trip (failure);
  assert_round_trip (orphan);
  assert_round_trip (answered);
}

static void
test_decode (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) msg = NULL;
  g_autoptr(QiMessage) reply = NULL;
  g_autoptr(QiMessage) bare = NULL;
  const char *text =
    " {\"future\":{\"x\":[1]},\"payload\":{\"n\":1},\"kind\":\"request\",\"v\":1,"
    "\"topic\":\"a.b\",\"id\":\"c-1\",\"session\":\"forged\",\"timeout_ms\":0}\r\n";
  JsonNode *payload;

  /* Order does not matter, unknown fields are ignored, data needs no nul. */
  msg = qi_message_new_from_data (text, strlen (text), 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_message_get_kind (msg), ==, QI_MESSAGE_KIND_REQUEST);
  g_assert_cmpstr (qi_message_get_id (msg), ==, "c-1");
  g_assert_cmpstr (qi_message_get_topic (msg), ==, "a.b");
  g_assert_cmpstr (qi_message_get_session (msg), ==, "forged");
  g_assert_cmpuint (qi_message_get_timeout_ms (msg), ==, 0);
  payload = qi_message_get_payload (msg);
  g_assert_true (json_node_is_immutable (payload));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (payload), "n"), ==, 1);

  text = "{\"v\":1,\"id\":\"r\",\"kind\":\"reply\",\"re\":\"c-1\"}xyz";
  reply = qi_message_new_from_data (text, strlen (text) - 3, strlen (text) - 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_message_get_re (reply), ==, "c-1");
  g_assert_null (qi_message_get_topic (reply));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (qi_message_get_payload (reply))), ==, 0);

  bare = decode ("{\"v\":1,\"id\":\"e\",\"kind\":\"event\",\"topic\":\"x\",\"payload\":{\"big\":100000000000000000000}}",
                 &error);
  g_assert_no_error (error);
  payload = json_object_get_member (json_node_get_object (qi_message_get_payload (bare)), "big");
  g_assert_cmpint (json_node_get_value_type (payload), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (payload), ==, 1e20);
}

/* A payload read from the wire is written out again as Qi's writer writes
 * it: as it came when it already was, rebuilt when not. */
static void
test_payload_passed_on (void)
{
  const char *payloads[] = {
    /* As the writer writes them. */
    "{}",
    "{\"n\":1,\"s\":\"x\",\"a\":[true,false,null,[],{}],\"neg\":-42}",
    "{\"q\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\",\"u\":\"\xc3\xa9\xf0\x9f\x8e\xac\"}",
    "{\"deep\":{\"a\":{\"b\":[1,[2,[3]]]}},\"\":\"empty name\"}",
    /* Not as the writer writes them. */
    "{ \"n\" : 1 }",
    "{\"n\":\n1}",
    "{\"s\":\"a\\/b\"}",
    "{\"s\":\"\\u0041\\u00e9\\u001F\\ud83c\\udfac\"}",
    "{\"s\":\"\x7f\"}",
    "{\"\x7f\":1}",
    "{\"z\":-0,\"d\":1.50,\"e\":1e2,\"E\":2E-3,\"big\":100000000000000000000}",
    "{\"a\":[ 1 ,2]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"v\":1,\"id\":\"p-%u\",\"kind\":\"request\","
                                               "\"topic\":\"a.b\",\"payload\":%s}", i, payloads[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(QiMessage) msg = decode (text, &error);
      g_autoptr(QiMessage) reply = NULL;
      g_autoptr(QiMessage) rebuilt = NULL;
      g_autofree char *written = NULL;
      g_autofree char *payload = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *reply_text = NULL;

      g_test_message ("payload %u: %s", i, payloads[i]);
      g_assert_no_error (error);

      /* Written out before and after its node is asked for: the same. */
      written = qi_message_to_json (msg, NULL);
      g_assert_true (json_node_is_immutable (qi_message_get_payload (msg)));
      rebuilt = qi_message_new_request ("a.b", qi_message_get_payload (msg));
      payload = qi_json_to_string (qi_message_get_payload (msg), QI_JSON_WRITE_DEFAULT, NULL);
      expected = g_strdup_printf ("{\"v\":1,\"id\":\"p-%u\",\"kind\":\"request\",\"topic\":\"a.b\","
                                  "\"payload\":%s}", i, payload);
      g_assert_cmpstr (written, ==, expected);
      g_clear_pointer (&written, g_free);
      written = qi_message_to_json (msg, NULL);
      g_assert_cmpstr (written, ==, expected);
      if (i < 4)
        g_assert_nonnull (strstr (written, payloads[i]));

      /* A reply with the request's own payload writes it the same way. */
      reply = qi_message_new_reply (msg, qi_message_get_payload (msg));
      reply_text = qi_message_to_json (reply, NULL);
      g_assert_true (g_str_has_suffix (reply_text, strstr (expected, ",\"payload\":")));
      assert_round_trip (msg);
      assert_round_trip (rebuilt);
    }
}

typedef struct
{
  const char *data;
  QiHubError  code;
  const char *message;
} BadCase;

#define MSG(fields) "{\"v\":1,\"id\":\"m-1\"," fields "}"

static const BadCase bad_cases[] = {
  /* Not UTF-8, not JSON, not an object. */
  { "{\"v\":1,\"id\":\"\xc3\x28\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid UTF-8 (at byte 13)" },
  { "", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected end of data at byte 0" },
  { "   ", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected end of data at byte 3" },
  { "garbage", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character 'g' at byte 0" },
  { "\xef\xbb\xbf{}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected byte 0xef at byte 0" },
  { "{\"v\":1", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected end of data at byte 6" },
  { "{\"v\":1,}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character '}' at byte 7" },
  { "{'v':1}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character ''' at byte 1" },
  { "{\"v\":1} /* c */", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected data after the message at byte 8" },
  { "{\"v\":1}{}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected data after the message at byte 7" },
  { "{\"v\":0x1}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character 'x' at byte 6" },
  { "{\"v\":01}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character '1' at byte 6" },
  { "{\"v\":.5}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character '.' at byte 5" },
  { "{\"v\":1.}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: invalid number at byte 7" },
  { "{\"v\":-}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: invalid number at byte 6" },
  { "{\"v\":1e}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: invalid number at byte 7" },
  { "{\"v\":1e400}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: number out of range at byte 5" },
  { "{\"v\":tru}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character 't' at byte 5" },
  { "{\"v\":\"a\tb\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: control character in a string at byte 7" },
  { "{\"v\":\"a\\x\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: invalid escape at byte 8" },
  { "{\"v\":\"\\u12\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: invalid \\u escape at byte 10" },
  { "{\"v\":\"\\ud800\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unpaired surrogate at byte 12" },
  { "{\"v\":\"\\udc00\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unpaired surrogate at byte 12" },
  { "{\"v\":\"\\ud800\\u0041\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unpaired surrogate at byte 18" },
  { "{\"v\":\"a\\u0000b\"}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: \\u0000 is not allowed in strings (the string at \"/v\") at byte 13" },
  { "{\"p\":{\"a/b\":[1,\"x\",{\"k\\u0000\":2}]}}", QI_HUB_ERROR_BAD_MESSAGE,
    "message is not valid JSON: \\u0000 is not allowed in strings (the string at \"/p/a~1b/2\") at byte 28" },
  { "\"\\u0000\"", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: \\u0000 is not allowed in strings (the string at \"\") at byte 7" },
  { "{\"v\":\"abc", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unterminated string at byte 9" },
  { "{\"v\":1,\"v\":1}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: duplicate member \"v\" at byte 7" },
  { "{\"v\" 1}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character '1' at byte 5" },
  { "{\"v\":[1 2]}", QI_HUB_ERROR_BAD_MESSAGE, "message is not valid JSON: unexpected character '2' at byte 8" },
  { "[1]", QI_HUB_ERROR_BAD_MESSAGE, "message must be a JSON object" },
  { "\"text\"", QI_HUB_ERROR_BAD_MESSAGE, "message must be a JSON object" },
  { "null", QI_HUB_ERROR_BAD_MESSAGE, "message must be a JSON object" },
  /* The envelope. */
  { "{}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"v\" is missing" },
  { "{\"v\":\"1\"}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"v\" must be an integer" },
  { "{\"v\":1.0}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"v\" must be an integer" },
  { "{\"v\":2,\"id\":\"m-1\"}", QI_HUB_ERROR_BAD_MESSAGE, "unsupported protocol version 2; this hub speaks 1" },
  { "{\"v\":1}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"id\" is missing" },
  { "{\"v\":1,\"id\":7}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"id\" must be a string" },
  { "{\"v\":1,\"id\":\"\"}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"id\" must not be empty" },
  { "{\"v\":1,\"id\":\"m-1\"}", QI_HUB_ERROR_BAD_MESSAGE, "the field \"kind\" is missing" },
  { MSG ("\"kind\":null"), QI_HUB_ERROR_BAD_MESSAGE, "the field \"kind\" must be a string" },
  { MSG ("\"kind\":\"notify\""), QI_HUB_ERROR_UNKNOWN_KIND,
    "unknown message kind \"notify\"; expected request, reply, event or error" },
  { MSG ("\"kind\":\"Request\""), QI_HUB_ERROR_UNKNOWN_KIND,
    "unknown message kind \"Request\"; expected request, reply, event or error" },
  { MSG ("\"kind\":\"request\""), QI_HUB_ERROR_BAD_MESSAGE, "the field \"topic\" is missing" },
  { MSG ("\"kind\":\"event\""), QI_HUB_ERROR_BAD_MESSAGE, "the field \"topic\" is missing" },
  { MSG ("\"kind\":\"request\",\"topic\":[\"a\"]"), QI_HUB_ERROR_BAD_MESSAGE, "the field \"topic\" must be a string" },
  { MSG ("\"kind\":\"request\",\"topic\":\"a..b\""), QI_HUB_ERROR_BAD_MESSAGE,
    "the topic \"a..b\" is not valid: a topic is one or more segments of letters, digits, '_' and '-', separated by dots" },
  { MSG ("\"kind\":\"event\",\"topic\":\"\""), QI_HUB_ERROR_BAD_MESSAGE,
    "the topic \"\" is not valid: a topic is one or more segments of letters, digits, '_' and '-', separated by dots" },
  { MSG ("\"kind\":\"reply\",\"re\":\"x\",\"topic\":\"a.*\""), QI_HUB_ERROR_BAD_MESSAGE,
    "the topic \"a.*\" is not valid: a topic is one or more segments of letters, digits, '_' and '-', separated by dots" },
  { MSG ("\"kind\":\"request\",\"topic\":\"a\",\"re\":\"x\""), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"re\" is only allowed in replies and errors" },
  { MSG ("\"kind\":\"reply\""), QI_HUB_ERROR_BAD_MESSAGE, "the field \"re\" is missing" },
  { MSG ("\"kind\":\"reply\",\"re\":1"), QI_HUB_ERROR_BAD_MESSAGE, "the field \"re\" must be a string" },
  { MSG ("\"kind\":\"reply\",\"re\":\"\""), QI_HUB_ERROR_BAD_MESSAGE, "the field \"re\" must not be empty" },
  { MSG ("\"kind\":\"event\",\"topic\":\"a\",\"session\":{}"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"session\" must be a string" },
  { MSG ("\"kind\":\"event\",\"topic\":\"a\",\"timeout_ms\":5"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"timeout_ms\" is only allowed in requests" },
  { MSG ("\"kind\":\"request\",\"topic\":\"a\",\"timeout_ms\":-1"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"timeout_ms\" must be an integer from 0 to 2147483647" },
  { MSG ("\"kind\":\"request\",\"topic\":\"a\",\"timeout_ms\":2147483648"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"timeout_ms\" must be an integer from 0 to 2147483647" },
  { MSG ("\"kind\":\"request\",\"topic\":\"a\",\"timeout_ms\":1.5"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"timeout_ms\" must be an integer from 0 to 2147483647" },
  { MSG ("\"kind\":\"request\",\"topic\":\"a\",\"payload\":[]"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"payload\" must be an object" },
  { MSG ("\"kind\":\"event\",\"topic\":\"a\",\"payload\":null"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"payload\" must be an object" },
  { MSG ("\"kind\":\"error\",\"re\":\"x\""), QI_HUB_ERROR_BAD_MESSAGE, "the field \"payload\" is missing" },
  { MSG ("\"kind\":\"error\",\"payload\":{\"message\":\"m\"}"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"payload.code\" must be a string" },
  { MSG ("\"kind\":\"error\",\"payload\":{\"code\":\"timeout\",\"message\":1}"), QI_HUB_ERROR_BAD_MESSAGE,
    "the field \"payload.message\" must be a string" },
  { MSG ("\"kind\":\"error\",\"payload\":{\"code\":\"timeout\",\"message\":\"m\",\"data\":[]}"),
    QI_HUB_ERROR_BAD_MESSAGE, "the field \"payload.data\" must be an object" },
};

/* A reply whose payload is given as text: sent as written when Qi's
 * writer writes it so, rewritten otherwise, refused unless it is one
 * object. */
static void
test_reply_from_text (void)
{
  static const char *kept[] = {
    "{}",
    "{\"n\":1,\"s\":\"x\",\"a\":[true,false,null,[],{}],\"files\":[{\"path\":\"/a/b.0001.exr\",\"size\":3}]}",
  };
  static const char *rewritten[] = {
    "{ \"n\" : 1 }",
    "{\"d\":1.50}",
    "{\n  \"pretty\": [1, 2]\n}",
  };
  static const char *refused[] = {
    "",
    "[]",
    "\"text\"",
    "1",
    "null",
    "{",
    "{\"a\":1,\"a\":2}",
    /* an object and more members of the envelope: never read as its payload */
    "{},\"kind\":\"error\"",
    "{},\"zz\":1",
    "{}} ",
    "{\"s\":\"\xff\"}",
  };
  g_autoptr(QiMessage) request = qi_message_new_request ("a.b", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QiMessage) reply = qi_message_new_reply_from_text (request, kept[i], -1, &error);
      g_autofree char *text = NULL;
      g_autofree char *suffix = g_strdup_printf (",\"payload\":%s}", kept[i]);
      g_autoptr(JsonNode) expected = parse_json (kept[i]);

      g_assert_no_error (error);
      g_assert_cmpint (qi_message_get_kind (reply), ==, QI_MESSAGE_KIND_REPLY);
      g_assert_cmpstr (qi_message_get_re (reply), ==, qi_message_get_id (request));
      g_assert_cmpstr (qi_message_get_topic (reply), ==, "a.b");
      g_assert_cmpstr (qi_message_get_id (reply), !=, qi_message_get_id (request));
      text = qi_message_to_json (reply, NULL);
      g_assert_true (g_str_has_suffix (text, suffix));
      g_assert_true (json_node_equal (qi_message_get_payload (reply), expected));
      assert_round_trip (reply);
    }
  for (guint i = 0; i < G_N_ELEMENTS (rewritten); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QiMessage) reply = qi_message_new_reply_from_text (request, rewritten[i], -1, &error);
      g_autoptr(JsonNode) expected = parse_json (rewritten[i]);
      g_autofree char *payload = qi_json_to_string (expected, QI_JSON_WRITE_DEFAULT, NULL);
      g_autofree char *suffix = g_strdup_printf (",\"payload\":%s}", payload);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = qi_message_to_json (reply, NULL);
      g_assert_true (g_str_has_suffix (text, suffix));
      assert_round_trip (reply);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QiMessage) reply = NULL;

      g_test_message ("refused %u: %s", i, refused[i]);
      reply = qi_message_new_reply_from_text (request, refused[i], -1, &error);
      g_assert_null (reply);
      g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
      g_assert_true (g_str_has_prefix (error->message, "the reply's payload: "));
    }
  {
    /* the length is the text's: what follows is not read */
    g_autoptr(GError) error = NULL;
    g_autoptr(QiMessage) reply = qi_message_new_reply_from_text (request, "{\"n\":1}garbage", 7, &error);

    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (qi_message_get_payload (reply)), "n"), ==, 1);
  }
}

static void
test_decode_errors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(QiMessage) msg = NULL;
      g_autofree char *escaped = g_strescape (c->data, NULL);

      g_test_message ("case %u: %s", i, escaped);
      msg = decode (c->data, &error);
      g_assert_null (msg);
      g_assert_error (error, QI_HUB_ERROR, (gint) c->code);
      g_assert_cmpstr (error->message, ==, c->message);
    }
}

static void
test_decode_topic_too_long (void)
{
  g_autofree char *topic = g_strnfill (QI_MESSAGE_MAX_TOPIC_LENGTH + 1, 'a');
  g_autofree char *text = g_strdup_printf (MSG ("\"kind\":\"event\",\"topic\":\"%s\""), topic);
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) msg = decode (text, &error);

  g_assert_null (msg);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "the field \"topic\" is longer than 255 bytes");
}

static void
test_decode_depth (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"v\":1,\"id\":\"m-1\",\"kind\":\"event\",\"topic\":\"a\",\"payload\":{\"x\":");
  g_autoptr(GString) limit = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) msg = NULL;
  g_autoptr(QiMessage) ok = NULL;
  g_autofree char *expected = NULL;
  gsize at;

  /* The envelope and payload are two levels; 126 arrays reach the limit. */
  limit = g_string_new (deep->str);
  for (guint i = 0; i < QI_MESSAGE_MAX_DEPTH - 2; i++)
    g_string_append_c (limit, '[');
  for (guint i = 0; i < QI_MESSAGE_MAX_DEPTH - 2; i++)
    g_string_append_c (limit, ']');
  g_string_append (limit, "}}");
  ok = decode (limit->str, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);
  assert_round_trip (ok);

  /* A megabyte of brackets is refused, not a stack overflow. */
  at = deep->len + QI_MESSAGE_MAX_DEPTH - 2;
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (deep, '[');
  msg = decode (deep->str, &error);
  g_assert_null (msg);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  expected = g_strdup_printf ("message is not valid JSON: nesting deeper than 128 levels at byte %"
                              G_GSIZE_FORMAT, at);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_max_size (void)
{
  const char *text = "{\"v\":1,\"id\":\"m\",\"kind\":\"event\",\"topic\":\"a\"}";
  gsize length = strlen (text);
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) exact = NULL;
  g_autoptr(QiMessage) over = NULL;
  g_autofree char *expected = NULL;
  char *bad_id = (char *) "untouched";

  exact = qi_message_new_from_data (text, length, length, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (exact);

  over = qi_message_new_from_data (text, length, length - 1, &bad_id, &error);
  g_assert_null (over);
  g_assert_null (bad_id);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_TOO_LARGE);
  expected = g_strdup_printf ("message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
                              G_GSIZE_FORMAT " bytes", length, length - 1);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_bad_id (void)
{
  struct {
    const char *data;
    const char *id;
  } cases[] = {
    { "{\"v\":1,\"id\":\"r-9\",\"kind\":\"shout\"}", "r-9" },
    { "{\"id\":\"r-9\",\"v\":2}", "r-9" },
    { "{\"id\":\"r-9\",\"kind\":\"request\",\"v\":1,\"topic\":\"bad topic\"}", "r-9" },
    { "{\"id\":\"r-9\",\"kind\":\"error\",\"v\":1,\"payload\":{}}", "r-9" },
    { "{\"id\":\"\",\"kind\":\"request\",\"v\":1}", NULL },
    { "{\"id\":9,\"kind\":\"request\",\"v\":1}", NULL },
    { "{\"id\":\"r-9\",\"kind\":", NULL },
    { "[\"r-9\"]", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QiMessage) msg = NULL;
      g_autoptr(QiMessage) answer = NULL;
      g_autofree char *bad_id = NULL;

      msg = qi_message_new_from_data (cases[i].data, strlen (cases[i].data), 0, &bad_id, &error);
      g_assert_null (msg);
      g_assert_nonnull (error);
      g_assert_cmpstr (bad_id, ==, cases[i].id);

      answer = qi_message_new_error_full (bad_id, NULL, error->code, error->message, NULL);
      g_assert_cmpstr (qi_message_get_re (answer), ==, cases[i].id);
      assert_round_trip (answer);
    }
}

static void
test_get_error (void)
{
  g_autoptr(QiMessage) request = qi_message_new_request ("a", NULL);
  g_autoptr(QiMessage) reply = qi_message_new_reply (request, NULL);
  g_autoptr(QiMessage) failure = qi_message_new_error (request, QI_HUB_ERROR_FORBIDDEN,
                                                       "the token does not allow a", NULL);
  g_autoptr(QiMessage) unknown = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_message_get_error (request, &error));
  g_assert_no_error (error);
  g_assert_true (qi_message_get_error (reply, &error));
  g_assert_no_error (error);

  g_assert_false (qi_message_get_error (failure, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_FORBIDDEN);
  g_assert_cmpstr (error->message, ==, "the token does not allow a");
  g_clear_error (&error);
  g_assert_false (qi_message_get_error (failure, NULL));

  unknown = decode ("{\"v\":1,\"id\":\"x\",\"kind\":\"error\",\"re\":\"y\","
                    "\"payload\":{\"code\":\"quota_exceeded\",\"message\":\"over quota\"}}", &error);
  g_assert_no_error (error);
  g_assert_false (qi_message_get_error (unknown, &error));
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_cmpstr (error->message, ==, "over quota");
}

static void
test_with_session (void)
{
  g_autoptr(JsonNode) payload = parse_json ("{\"a\":1}");
  g_autoptr(QiMessage) msg = qi_message_new_request ("a.b", payload);
  g_autoptr(QiMessage) stamped = qi_message_with_session (msg, "ui/main");
  g_autoptr(QiMessage) restamped = qi_message_with_session (stamped, "__hub__");
  g_autoptr(QiMessage) cleared = qi_message_with_session (stamped, NULL);
  g_autoptr(QiMessage) timed = qi_message_with_timeout (stamped, 1000);
  g_autoptr(QiMessage) untimed = qi_message_with_timeout (timed, 0);

  g_assert_null (qi_message_get_session (msg));
  g_assert_cmpstr (qi_message_get_session (stamped), ==, "ui/main");
  g_assert_cmpstr (qi_message_get_session (restamped), ==, "__hub__");
  g_assert_null (qi_message_get_session (cleared));
  g_assert_cmpstr (qi_message_get_id (stamped), ==, qi_message_get_id (msg));
  g_assert_cmpstr (qi_message_get_topic (stamped), ==, "a.b");
  g_assert_true (qi_message_get_payload (stamped) == qi_message_get_payload (msg));
  g_assert_false (qi_message_equal (msg, stamped));
  g_assert_true (qi_message_equal (msg, cleared));

  g_assert_cmpuint (qi_message_get_timeout_ms (timed), ==, 1000);
  g_assert_cmpstr (qi_message_get_session (timed), ==, "ui/main");
  g_assert_cmpuint (qi_message_get_timeout_ms (stamped), ==, 0);
  g_assert_true (qi_message_equal (untimed, stamped));
}

static void
test_hub_error_codes (void)
{
  const char *names[] = {
    "bad_message", "unknown_kind", "no_handler", "handler_exists", "timeout", "unauthorized",
    "forbidden", "too_large", "handler_failed", "cancelled", "session_closed",
  };
  QiHubError code = QI_HUB_ERROR_TIMEOUT;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      QiHubError back = QI_HUB_ERROR_BAD_MESSAGE;

      g_assert_cmpstr (qi_hub_error_code_to_string ((QiHubError) i), ==, names[i]);
      g_assert_true (qi_hub_error_code_from_string (names[i], &back));
      g_assert_cmpint (back, ==, i);
    }
  g_assert_cmpint (QI_HUB_ERROR_SESSION_CLOSED, ==, G_N_ELEMENTS (names) - 1);

  g_assert_false (qi_hub_error_code_from_string ("Timeout", &code));
  g_assert_false (qi_hub_error_code_from_string ("", &code));
  g_assert_cmpint (code, ==, QI_HUB_ERROR_TIMEOUT);
  g_assert_cmpstr (g_quark_to_string (QI_HUB_ERROR), ==, "qi-hub-error-quark");
}

static void
test_bad_topic_is_a_critical (void)
{
  if (g_test_subprocess ())
    {
      QiMessage *msg = qi_message_new_request ("no spaces", NULL);

      g_assert_null (msg);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*qi_message_new_request*qi_message_topic_is_valid*");
}

/* Messages small in bytes and large in cost are refused before they cost
 * much: too many values, member names that share one hash value, an object
 * of too many members, too long an id. */
static void
test_hostile (void)
{
  g_autoptr(GString) text = g_string_new ("{\"v\":1,\"id\":\"x\",\"kind\":\"event\",\"topic\":\"a\",\"payload\":{\"x\":[");
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) msg = NULL;
  g_autofree char *bad_id = NULL;
  g_autofree char *long_id = g_strnfill (QI_MESSAGE_MAX_ID_LENGTH + 1, 'i');
  g_autofree char *long_kind = g_strnfill (100, 'k');
  g_autofree char *doc = NULL;

  for (guint i = 0; i < QI_MESSAGE_MAX_VALUES; i++)
    g_string_append (text, i > 0 ? ",{}" : "{}");
  g_string_append (text, "]}}");
  msg = qi_message_new_from_data (text->str, text->len, 0, NULL, &error);
  g_assert_null (msg);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix (error->message, "message is too large: more than 100000 values at byte "));
  g_clear_error (&error);

  /* "aB" and "b!" hash alike: 11 such pairs make 2048 colliding names. */
  g_string_assign (text, "{\"v\":1,\"id\":\"x\",\"kind\":\"event\",\"topic\":\"a\",\"payload\":{");
  for (guint i = 0; i < 2048; i++)
    {
      g_string_append (text, i > 0 ? ",\"" : "\"");
      for (guint bit = 0; bit < 11; bit++)
        g_string_append (text, (i >> bit) & 1 ? "b!" : "aB");
      g_string_append (text, "\":0");
    }
  g_string_append (text, "}}");
  msg = qi_message_new_from_data (text->str, text->len, 0, NULL, &error);
  g_assert_null (msg);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_true (g_str_has_prefix (error->message,
                                   "message is not valid JSON: member names made to collide in a hash table"));
  g_clear_error (&error);

  /* Plain names: up to 1024 members an object. */
  g_string_assign (text, "{\"v\":1,\"id\":\"x\",\"kind\":\"event\",\"topic\":\"a\",\"payload\":{");
  for (guint i = 0; i < 1025; i++)
    g_string_append_printf (text, "%s\"name-%u\":0", i > 0 ? "," : "", i);
  g_string_append (text, "}}");
  msg = qi_message_new_from_data (text->str, text->len, 0, NULL, &error);
  g_assert_null (msg);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix (error->message, "message is too large: an object with more than 1024 members"));
  g_clear_error (&error);

  doc = g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"kind\":\"event\",\"topic\":\"a\"}", long_id);
  msg = qi_message_new_from_data (doc, strlen (doc), 0, &bad_id, &error);
  g_assert_null (msg);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE);
  g_assert_cmpstr (error->message, ==, "the field \"id\" is longer than 255 bytes");
  /* Too long to echo back. */
  g_assert_null (bad_id);
  g_clear_error (&error);
  g_free (doc);

  doc = g_strdup_printf ("{\"v\":1,\"id\":\"x\",\"kind\":\"%s\\n\"}", long_kind);
  msg = qi_message_new_from_data (doc, strlen (doc), 0, NULL, &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNKNOWN_KIND);
  /* Quoted shortened, control characters escaped. */
  g_assert_null (strchr (error->message, '\n'));
  g_assert_nonnull (strstr (error->message, "kkkk…"));
  g_assert_cmpuint (strlen (error->message), <, 200);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/message/constructors", test_constructors);
  g_test_add_func ("/qi/message/boxed", test_boxed);
  g_test_add_func ("/qi/message/ids-unique", test_ids_unique);
  g_test_add_func ("/qi/message/topic-rule", test_topic_rule);
  g_test_add_func ("/qi/message/encode", test_encode);
  g_test_add_func ("/qi/message/encode-values", test_encode_values);
  g_test_add_func ("/qi/message/round-trip", test_round_trip);
  g_test_add_func ("/qi/message/decode", test_decode);
  g_test_add_func ("/qi/message/payload-passed-on", test_payload_passed_on);
  g_test_add_func ("/qi/message/reply-from-text", test_reply_from_text);
  g_test_add_func ("/qi/message/decode-errors", test_decode_errors);
  g_test_add_func ("/qi/message/decode-topic-too-long", test_decode_topic_too_long);
  g_test_add_func ("/qi/message/decode-depth", test_decode_depth);
  g_test_add_func ("/qi/message/max-size", test_max_size);
  g_test_add_func ("/qi/message/bad-id", test_bad_id);
  g_test_add_func ("/qi/message/get-error", test_get_error);
  g_test_add_func ("/qi/message/with-session", test_with_session);
  g_test_add_func ("/qi/message/hub-error-codes", test_hub_error_codes);
  g_test_add_func ("/qi/message/bad-topic-is-a-critical", test_bad_topic_is_a_critical);

  g_test_add_func ("/qi/message/hostile", test_hostile);

  return g_test_run ();
}
