/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-message.h"
#include "qi-message-private.h"
#include "qi-json-reader-private.h"
#include "qi-json-writer-private.h"

/**
 * QiMessage:
 *
 * The hub's envelope. Every message, in process or on the wire, is one of
 * four kinds (#QiMessageKind) with an id, a topic, a JSON object payload
 * and, for replies and errors, the id of the request it answers.
 *
 * A message is immutable once built and reference counted, so the hub
 * passes the same message to every in-process receiver without copying or
 * serialising it. Its payload is sealed (json_node_seal()): read it, never
 * change it. To change a field, build a new message:
 * qi_message_with_session() and qi_message_with_timeout() share everything
 * but the field they set.
 *
 * On the wire a message is one JSON object, written by qi_message_to_json()
 * and read by qi_message_new_from_data():
 *
 * |[
 * {"v":1,"id":"5c1f0e9a27d3-1","kind":"request","topic":"db.version.list",
 *  "session":"ui/main","timeout_ms":5000,"payload":{"shot":"sh010"}}
 * {"v":1,"id":"8e02a1c4f7b6-7","kind":"reply","topic":"db.version.list",
 *  "re":"5c1f0e9a27d3-1","payload":{"versions":[1,2]}}
 * ]|
 *
 * Ids are unique within the process that made them: a random prefix chosen
 * once per process, a dash and a counter.
 */

/* The strings of a message are GRefStrings, shared by the messages made
 * from it, except those of a message read from the wire: they are kept in
 * one block at the end of that message (text), and the messages made
 * from it point into it and hold a reference to it (text_owner). A
 * string is the text owner's when it lies in its block. */
struct _QiMessage
{
  gatomicrefcount  ref_count;
  QiMessageKind    kind;
  guint            timeout_ms;  /* requests only; 0 = the hub's default */
  char            *id;          /* never NULL */
  char            *topic;       /* NULL only in replies and errors */
  char            *re;          /* NULL in requests and events */
  char            *session;     /* or NULL */
  JsonNode        *payload;     /* a sealed object node; NULL until asked for
                                 * when payload_text is set (atomic) */
  char            *payload_text; /* or NULL: the payload as read from the
                                  * wire, as Qi's writer writes it */
  QiMessage       *text_owner;  /* NULL, this message, or a reference to the
                                 * message whose text block strings point into */
  gsize            text_length; /* of text */
  char             text[];
};

G_DEFINE_BOXED_TYPE (QiMessage, qi_message, qi_message_ref, qi_message_unref)

static const char * const kind_names[] = {
  "request",
  "reply",
  "event",
  "error",
};

G_STATIC_ASSERT (G_N_ELEMENTS (kind_names) == QI_MESSAGE_KIND_ERROR + 1);

/* Message building */

static char *
ref_string_new_nullable (const char *string)
{
  return string != NULL ? g_ref_string_new (string) : NULL;
}

/* Whether @string lies in the text block of @msg's text owner. */
static gboolean
string_is_borrowed (QiMessage  *msg,
                    const char *string)
{
  QiMessage *owner = msg->text_owner;

  return owner != NULL && string >= owner->text && string < owner->text + owner->text_length;
}

/* Drops @msg's hold on one of its strings. */
static void
string_clear (QiMessage  *msg,
              char      **string)
{
  if (*string != NULL && !string_is_borrowed (msg, *string))
    g_ref_string_release (*string);
  *string = NULL;
}

/* @string of @from, for @to, which has no text owner but @from's. */
static char *
string_share (QiMessage *to,
              QiMessage *from,
              char      *string)
{
  if (string == NULL)
    return NULL;
  if (!string_is_borrowed (from, string))
    return g_ref_string_acquire (string);

  if (to->text_owner == NULL)
    to->text_owner = qi_message_ref (from->text_owner);
  g_assert (to->text_owner == from->text_owner);
  return string;
}

static char *
new_id (void)
{
  static gsize prefix_ready = 0;
  static char prefix[16];
  static atomic_uint_fast64_t counter;
  static gsize prefix_length;
  char digits[20];
  char buffer[sizeof prefix + 1 + sizeof digits];
  gsize n_digits = 0;
  guint64 n;

  if (g_once_init_enter (&prefix_ready))
    {
      prefix_length = g_snprintf (prefix, sizeof prefix, "%08x%04x",
                                  g_random_int (), g_random_int () & 0xffff);
      g_once_init_leave (&prefix_ready, 1);
    }

  /* Every message the process makes takes an id: the counter is written
   * by hand, since g_snprintf() cost three times the rest of building a
   * reply. */
  n = atomic_fetch_add_explicit (&counter, 1, memory_order_relaxed) + 1;
  do
    {
      digits[n_digits++] = (char) ('0' + n % 10);
      n /= 10;
    }
  while (n != 0);

  memcpy (buffer, prefix, prefix_length);
  buffer[prefix_length] = '-';
  for (gsize i = 0; i < n_digits; i++)
    buffer[prefix_length + 1 + i] = digits[n_digits - 1 - i];

  return g_ref_string_new_len (buffer, prefix_length + 1 + n_digits);
}

static JsonNode *
empty_object_node (void)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_node_seal (node);
  return node;
}

static JsonNode *node_deep_copy (JsonNode *node);

static void
copy_member (JsonObject  *object,
             const char  *name,
             JsonNode    *node,
             gpointer     user_data)
{
  json_object_set_member (user_data, name, node_deep_copy (node));
}

/* json_node_copy() shares the objects, arrays and values of its source, and
 * sealing a copy would seal the caller's tree too; this copies all of it
 * but what is sealed already, which never changes and is shared. */
static JsonNode *
node_deep_copy (JsonNode *node)
{
  if (json_node_is_immutable (node))
    return json_node_ref (node);

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        g_autoptr(JsonObject) copy = json_object_new ();

        json_object_foreach_member (json_node_get_object (node), copy_member, copy);
        return json_node_init_object (json_node_alloc (), copy);
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint length = json_array_get_length (array);
        g_autoptr(JsonArray) copy = json_array_sized_new (length);

        for (guint i = 0; i < length; i++)
          json_array_add_element (copy, node_deep_copy (json_array_get_element (array, i)));
        return json_node_init_array (json_node_alloc (), copy);
      }

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          return json_node_init_int (json_node_alloc (), json_node_get_int (node));
        case G_TYPE_DOUBLE:
          return json_node_init_double (json_node_alloc (), json_node_get_double (node));
        case G_TYPE_BOOLEAN:
          return json_node_init_boolean (json_node_alloc (), json_node_get_boolean (node));
        case G_TYPE_STRING:
          return json_node_init_string (json_node_alloc (), json_node_get_string (node));
        default:
          break;
        }
      break;

    case JSON_NODE_NULL:
    default:
      break;
    }

  return json_node_init_null (json_node_alloc ());
}

/* Takes a caller's payload: a sealed node is shared, anything else copied
 * and sealed, so the message never changes under its readers. */
static JsonNode *
import_node (JsonNode *node)
{
  JsonNode *copy;

  if (json_node_is_immutable (node))
    return json_node_ref (node);

  copy = node_deep_copy (node);
  json_node_seal (copy);
  return copy;
}

static JsonNode *
import_payload (JsonNode *payload)
{
  return payload != NULL ? import_node (payload) : empty_object_node ();
}

static QiMessage *
message_alloc (QiMessageKind kind)
{
  QiMessage *msg = g_new0 (QiMessage, 1);

  g_atomic_ref_count_init (&msg->ref_count);
  msg->kind = kind;
  return msg;
}

static const QiJsonLimits message_limits = {
  .max_depth = QI_MESSAGE_MAX_DEPTH,
  .max_values = QI_MESSAGE_MAX_VALUES,
  .max_members = QI_MESSAGE_MAX_MEMBERS,
  .big_integers_as_doubles = TRUE,
};

/* A message read from the wire keeps its payload's text when Qi's writer
 * would write that very text, and builds the node only when someone asks
 * for it: a message the hub passes on to another connection, or answers
 * with its own payload (hub.ping), is never built, sealed and written
 * again. The text was read and checked with the envelope, so building it
 * cannot fail. */
static JsonNode *
message_payload (QiMessage *msg)
{
  JsonNode *node = g_atomic_pointer_get (&msg->payload);
  g_auto(QiJsonFailure) failure = { 0 };

  if (G_LIKELY (node != NULL))
    return node;

  node = qi_json_read (msg->payload_text, strlen (msg->payload_text), &message_limits, &failure);
  g_assert (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
  json_node_seal (node);
  if (!g_atomic_pointer_compare_and_exchange (&msg->payload, NULL, node))
    {
      /* Another thread built it first. */
      json_node_unref (node);
      node = g_atomic_pointer_get (&msg->payload);
    }
  return node;
}

/* Gives @copy the payload of @msg: its node, if built, and its text. */
static void
copy_payload (QiMessage *copy,
              QiMessage *msg)
{
  JsonNode *node = g_atomic_pointer_get (&msg->payload);

  copy->payload = node != NULL ? json_node_ref (node) : NULL;
  copy->payload_text = string_share (copy, msg, msg->payload_text);
}

/* A new message with all of @msg's fields, the strings and payload shared. */
static QiMessage *
message_copy (QiMessage *msg)
{
  QiMessage *copy = message_alloc (msg->kind);

  copy->timeout_ms = msg->timeout_ms;
  copy->id = string_share (copy, msg, msg->id);
  copy->topic = string_share (copy, msg, msg->topic);
  copy->re = string_share (copy, msg, msg->re);
  copy->session = string_share (copy, msg, msg->session);
  copy_payload (copy, msg);
  return copy;
}

static void
message_free (QiMessage *msg)
{
  string_clear (msg, &msg->id);
  string_clear (msg, &msg->topic);
  string_clear (msg, &msg->re);
  string_clear (msg, &msg->session);
  g_clear_pointer (&msg->payload, json_node_unref);
  string_clear (msg, &msg->payload_text);
  if (msg->text_owner != msg)
    g_clear_pointer (&msg->text_owner, qi_message_unref);
  g_free (msg);
}

/**
 * qi_message_topic_is_valid:
 * @topic: (nullable): a topic
 *
 * Checks the topic rule: a topic is one or more segments separated by
 * single dots; a segment is one or more ASCII letters, digits, `_` or `-`;
 * the whole topic is at most %QI_MESSAGE_MAX_TOPIC_LENGTH bytes. So
 * `db.version.list` and `hub.ping` are topics, and `db..list`, `.db`,
 * `db.`, `db.*` and the empty string are not (`*` and `**` belong to
 * subscription patterns, not to topics).
 *
 * Returns: %TRUE if @topic follows the rule
 */
gboolean
qi_message_topic_is_valid (const char *topic)
{
  gsize segment = 0;
  gsize i;

  if (topic == NULL)
    return FALSE;

  for (i = 0; topic[i] != '\0'; i++)
    {
      char c = topic[i];

      if (i >= QI_MESSAGE_MAX_TOPIC_LENGTH)
        return FALSE;

      if (c == '.')
        {
          if (segment == 0)
            return FALSE;
          segment = 0;
        }
      else if (g_ascii_isalnum (c) || c == '_' || c == '-')
        segment++;
      else
        return FALSE;
    }

  return segment > 0;
}

/**
 * qi_message_kind_to_string:
 * @kind: a #QiMessageKind
 *
 * Gives the wire name of @kind: `request`, `reply`, `event` or `error`.
 *
 * Returns: a static string
 */
const char *
qi_message_kind_to_string (QiMessageKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

static QiMessage *
new_with_topic (QiMessageKind  kind,
                const char    *topic,
                JsonNode      *payload)
{
  QiMessage *msg = message_alloc (kind);

  msg->id = new_id ();
  msg->topic = g_ref_string_new (topic);
  msg->payload = import_payload (payload);
  return msg;
}

/**
 * qi_message_new_request:
 * @topic: the topic, which must follow the rule of
 *   qi_message_topic_is_valid()
 * @payload: (nullable): a JSON object, or %NULL for an empty one
 *
 * Creates a request with a new id. A sealed @payload (json_node_seal()) is
 * shared; any other is copied, so that the message never changes.
 *
 * Returns: (transfer full): a new request
 */
QiMessage *
qi_message_new_request (const char *topic,
                        JsonNode   *payload)
{
  g_return_val_if_fail (qi_message_topic_is_valid (topic), NULL);
  g_return_val_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload), NULL);

  return new_with_topic (QI_MESSAGE_KIND_REQUEST, topic, payload);
}

/**
 * qi_message_new_event:
 * @topic: the topic, which must follow the rule of
 *   qi_message_topic_is_valid()
 * @payload: (nullable): a JSON object, or %NULL for an empty one
 *
 * Creates an event with a new id. A sealed @payload is shared; any other is
 * copied.
 *
 * Returns: (transfer full): a new event
 */
QiMessage *
qi_message_new_event (const char *topic,
                      JsonNode   *payload)
{
  g_return_val_if_fail (qi_message_topic_is_valid (topic), NULL);
  g_return_val_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload), NULL);

  return new_with_topic (QI_MESSAGE_KIND_EVENT, topic, payload);
}

/**
 * qi_message_new_reply:
 * @request: the request answered
 * @payload: (nullable): a JSON object, or %NULL for an empty one
 *
 * Creates a reply to @request, with a new id, `re` set to the id of
 * @request and the topic of @request. A sealed @payload is shared; any
 * other is copied.
 *
 * Returns: (transfer full): a new reply
 */
QiMessage *
qi_message_new_reply (QiMessage *request,
                      JsonNode  *payload)
{
  QiMessage *msg;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (request->kind == QI_MESSAGE_KIND_REQUEST, NULL);
  g_return_val_if_fail (payload == NULL || JSON_NODE_HOLDS_OBJECT (payload), NULL);

  msg = message_alloc (QI_MESSAGE_KIND_REPLY);
  msg->id = new_id ();
  msg->topic = string_share (msg, request, request->topic);
  msg->re = string_share (msg, request, request->id);
  msg->payload = import_payload (payload);
  return msg;
}

static char *write_message (QiMessageKind kind, const char *id, const char *topic, const char *re,
                            const char *session, guint timeout_ms, JsonNode *payload, const char *payload_text,
                            gsize payload_length, gsize *length);
static QiMessage *message_read (const char *data, gsize length, gsize max_size, gboolean build_payload,
                                char **bad_id, GError **error);

/**
 * qi_message_new_reply_from_text:
 * @request: the request answered
 * @payload: (array length=length) (element-type guint8): the payload as
 *   JSON text, an object
 * @length: the length of @payload in bytes, or -1 if it is nul-terminated
 * @error: return location for a #GError
 *
 * Creates a reply to @request as qi_message_new_reply() does, with a
 * payload given as text: a handler that writes its answer anyway (to a
 * file, say) sends those bytes rather than a tree built to be written
 * again. The text is read as qi_message_new_from_data() reads a message
 * (strictly, within the same limits, not built until asked for); in the
 * form qi_message_to_json() writes, it is sent as it is.
 *
 * Errors are those of qi_message_new_from_data(): %QI_HUB_ERROR_BAD_MESSAGE
 * when @payload is not a JSON object, %QI_HUB_ERROR_TOO_LARGE beyond the
 * reader's limits.
 *
 * Returns: (transfer full): a new reply, or %NULL with @error set
 */
QiMessage *
qi_message_new_reply_from_text (QiMessage   *request,
                                const char  *payload,
                                gssize       length,
                                GError     **error)
{
  char *id;
  g_autofree char *text = NULL;
  gsize text_length = 0;
  QiMessage *msg;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (request->kind == QI_MESSAGE_KIND_REQUEST, NULL);
  g_return_val_if_fail (payload != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < 0)
    length = strlen (payload);
  /* a payload that is a string, a number… would end the envelope's
   * object where the reader expects a value: refused as not an object */
  id = new_id ();
  text = write_message (QI_MESSAGE_KIND_REPLY, id, request->topic, request->id, NULL, 0, NULL,
                        length > 0 ? payload : "null", length > 0 ? (gsize) length : 4, &text_length);
  g_ref_string_release (id);
  msg = message_read (text, text_length, 0, FALSE, NULL, error);
  if (msg == NULL)
    {
      g_prefix_error (error, _("the reply's payload: "));
      return NULL;
    }
  if (msg->payload_text == NULL || strlen (msg->payload_text) != (gsize) length)
    {
      /* built (not in the writer's form), or not all of @payload: it must
       * be one object, not an object and more members of the envelope */
      g_auto(QiJsonFailure) failure = { 0 };
      gboolean is_object = FALSE;

      if (!qi_json_read_fields (payload, length, &message_limits, NULL, 0, &is_object, &failure) || !is_object)
        {
          g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                       _("the reply's payload: not one JSON object (at byte %" G_GSIZE_FORMAT ")"),
                       failure.offset);
          qi_message_unref (msg);
          return NULL;
        }
    }
  return msg;
}

QiMessage *
qi_message_new_reply_with_request_payload (QiMessage *request)
{
  QiMessage *msg;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (request->kind == QI_MESSAGE_KIND_REQUEST, NULL);

  msg = message_alloc (QI_MESSAGE_KIND_REPLY);
  msg->id = new_id ();
  msg->topic = string_share (msg, request, request->topic);
  msg->re = string_share (msg, request, request->id);
  copy_payload (msg, request);
  return msg;
}

/**
 * qi_message_new_error_full:
 * @re: (nullable): the id of the message answered, or %NULL if it could not
 *   be read
 * @topic: (nullable): the topic of the message answered, or %NULL
 * @code: the error code
 * @message: a sentence for people: what went wrong and, if it helps, what
 *   to do
 * @data: (nullable): a JSON object with details for programs, or %NULL
 *
 * Creates an error answering a message of which only the id may be known,
 * such as one that qi_message_new_from_data() refused (it gives the id
 * through its @bad_id argument). The payload is
 * `{"code": "<snake_case>", "message": "…", "data": {…}}`, without `data`
 * when @data is %NULL.
 *
 * Returns: (transfer full): a new error message
 */
QiMessage *
qi_message_new_error_full (const char *re,
                           const char *topic,
                           QiHubError  code,
                           const char *message,
                           JsonNode   *data)
{
  g_autoptr(JsonObject) object = NULL;
  QiMessage *msg;

  g_return_val_if_fail (re == NULL || *re != '\0', NULL);
  g_return_val_if_fail (topic == NULL || qi_message_topic_is_valid (topic), NULL);
  g_return_val_if_fail (qi_hub_error_code_to_string (code) != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (data == NULL || JSON_NODE_HOLDS_OBJECT (data), NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "code", qi_hub_error_code_to_string (code));
  json_object_set_string_member (object, "message", message);
  if (data != NULL)
    json_object_set_member (object, "data", import_node (data));

  msg = message_alloc (QI_MESSAGE_KIND_ERROR);
  msg->id = new_id ();
  msg->topic = ref_string_new_nullable (topic);
  msg->re = ref_string_new_nullable (re);
  msg->payload = json_node_init_object (json_node_alloc (), object);
  json_node_seal (msg->payload);
  return msg;
}

/**
 * qi_message_new_error:
 * @request: (nullable): the message answered, usually a request, or %NULL
 *   if there is none
 * @code: the error code
 * @message: a sentence for people: what went wrong and, if it helps, what
 *   to do
 * @data: (nullable): a JSON object with details for programs, or %NULL
 *
 * Creates an error answering @request: `re` is the id of @request and the
 * topic is its topic. See qi_message_new_error_full() for the payload.
 *
 * Returns: (transfer full): a new error message
 */
QiMessage *
qi_message_new_error (QiMessage  *request,
                      QiHubError  code,
                      const char *message,
                      JsonNode   *data)
{
  return qi_message_new_error_full (request != NULL ? request->id : NULL,
                                    request != NULL ? request->topic : NULL,
                                    code, message, data);
}

/**
 * qi_message_ref:
 * @msg: a #QiMessage
 *
 * Takes a reference to @msg.
 *
 * Returns: (transfer full): @msg
 */
QiMessage *
qi_message_ref (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  g_atomic_ref_count_inc (&msg->ref_count);
  return msg;
}

/**
 * qi_message_unref:
 * @msg: (transfer full): a #QiMessage
 *
 * Drops a reference to @msg, freeing it with the last one.
 */
void
qi_message_unref (QiMessage *msg)
{
  g_return_if_fail (msg != NULL);

  if (g_atomic_ref_count_dec (&msg->ref_count))
    message_free (msg);
}

/**
 * qi_message_with_session:
 * @msg: a #QiMessage
 * @session: (nullable): a session id, or %NULL for none
 *
 * Makes a message like @msg, same id included, from the session @session.
 * The hub stamps every message with its sender's session this way; the
 * value a client put in the message is ignored.
 *
 * Returns: (transfer full): a new message
 */
QiMessage *
qi_message_with_session (QiMessage  *msg,
                         const char *session)
{
  QiMessage *copy;

  g_return_val_if_fail (msg != NULL, NULL);

  copy = message_copy (msg);
  string_clear (copy, &copy->session);
  copy->session = ref_string_new_nullable (session);
  return copy;
}

/**
 * qi_message_with_id:
 * @msg: a #QiMessage
 * @id: a non-empty id of at most %QI_MESSAGE_MAX_ID_LENGTH bytes
 *
 * Makes a message like @msg with another id. The hub forwards requests
 * under ids of its own, so that no client can collide with another's.
 *
 * Returns: (transfer full): a new message
 */
QiMessage *
qi_message_with_id (QiMessage  *msg,
                    const char *id)
{
  QiMessage *copy;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (id != NULL && id[0] != '\0' && strlen (id) <= QI_MESSAGE_MAX_ID_LENGTH, NULL);

  copy = message_copy (msg);
  string_clear (copy, &copy->id);
  copy->id = g_ref_string_new (id);
  return copy;
}

/**
 * qi_message_with_re:
 * @msg: a reply or an error
 * @re: the id of the request it answers
 *
 * Makes an answer like @msg that names another request, as the hub does
 * when it passes an answer back under the requester's own id.
 *
 * Returns: (transfer full): a new message
 */
QiMessage *
qi_message_with_re (QiMessage  *msg,
                    const char *re)
{
  QiMessage *copy;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (msg->kind == QI_MESSAGE_KIND_REPLY || msg->kind == QI_MESSAGE_KIND_ERROR, NULL);
  g_return_val_if_fail (re != NULL && re[0] != '\0' && strlen (re) <= QI_MESSAGE_MAX_ID_LENGTH, NULL);

  copy = message_copy (msg);
  string_clear (copy, &copy->re);
  copy->re = g_ref_string_new (re);
  return copy;
}

/**
 * qi_message_with_timeout:
 * @msg: a request
 * @timeout_ms: how long the hub waits for the reply, in milliseconds, at
 *   most %G_MAXINT32; 0 for the hub's default
 *
 * Makes a request like @msg, same id included, with a deadline of its own.
 *
 * Returns: (transfer full): a new request
 */
QiMessage *
qi_message_with_timeout (QiMessage *msg,
                         guint      timeout_ms)
{
  QiMessage *copy;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (msg->kind == QI_MESSAGE_KIND_REQUEST, NULL);
  g_return_val_if_fail (timeout_ms <= G_MAXINT32, NULL);

  copy = message_copy (msg);
  copy->timeout_ms = timeout_ms;
  return copy;
}

/**
 * qi_message_get_kind:
 * @msg: a #QiMessage
 *
 * Returns: the kind of @msg
 */
QiMessageKind
qi_message_get_kind (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, QI_MESSAGE_KIND_ERROR);

  return msg->kind;
}

/**
 * qi_message_get_id:
 * @msg: a #QiMessage
 *
 * Returns: the id of @msg, unique among its sender's messages
 */
const char *
qi_message_get_id (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  return msg->id;
}

/**
 * qi_message_get_topic:
 * @msg: a #QiMessage
 *
 * Gives the topic. Requests and events always have one; replies and errors
 * carry the topic of the request they answer, if known.
 *
 * Returns: (nullable): the topic of @msg
 */
const char *
qi_message_get_topic (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  return msg->topic;
}

/**
 * qi_message_get_payload:
 * @msg: a #QiMessage
 *
 * Gives the payload, a sealed JSON object: an empty one if the message was
 * made or sent without payload. Take a reference with json_node_ref() to
 * keep it beyond @msg. A message read with qi_message_new_from_data()
 * builds it the first time it is asked for; every call gives the same
 * node, from any thread.
 *
 * Returns: (transfer none): the payload of @msg
 */
JsonNode *
qi_message_get_payload (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  return message_payload (msg);
}

/**
 * qi_message_get_re:
 * @msg: a #QiMessage
 *
 * Gives the id of the request that a reply or an error answers. Requests
 * and events have none, nor have errors about a message whose id could not
 * be read.
 *
 * Returns: (nullable): the id of the message answered
 */
const char *
qi_message_get_re (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  return msg->re;
}

/**
 * qi_message_get_session:
 * @msg: a #QiMessage
 *
 * Gives the session of the sender, as stamped by the hub with
 * qi_message_with_session().
 *
 * Returns: (nullable): the session id, or %NULL if none was set
 */
const char *
qi_message_get_session (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);

  return msg->session;
}

/**
 * qi_message_get_timeout_ms:
 * @msg: a #QiMessage
 *
 * Returns: the request's own deadline in milliseconds, or 0 for the hub's
 *   default (always 0 for other kinds)
 */
guint
qi_message_get_timeout_ms (QiMessage *msg)
{
  g_return_val_if_fail (msg != NULL, 0);

  return msg->timeout_ms;
}

/**
 * qi_message_get_error:
 * @msg: a #QiMessage
 * @error: return location for the error that @msg carries
 *
 * Turns an error message into a #GError in the %QI_HUB_ERROR domain with
 * the payload's `message`. A `code` that this version of Qi does not know
 * becomes %QI_HUB_ERROR_HANDLER_FAILED. Like any fallible function it
 * returns %FALSE when it sets @error, so a reply is checked with
 * `if (!qi_message_get_error (reply, error)) return FALSE;`.
 *
 * Returns: %FALSE, setting @error, if @msg is an error message; %TRUE,
 *   leaving @error alone, for any other kind
 */
gboolean
qi_message_get_error (QiMessage  *msg,
                      GError    **error)
{
  JsonObject *payload;
  QiHubError code = QI_HUB_ERROR_HANDLER_FAILED;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (msg->kind != QI_MESSAGE_KIND_ERROR)
    return TRUE;

  /* Both constructors and the decoder guarantee these two members. */
  payload = json_node_get_object (message_payload (msg));
  if (!qi_hub_error_code_from_string (json_object_get_string_member (payload, "code"), &code))
    code = QI_HUB_ERROR_HANDLER_FAILED;

  g_set_error_literal (error, QI_HUB_ERROR, code,
                       json_object_get_string_member (payload, "message"));
  return FALSE;
}

/**
 * qi_message_equal:
 * @a: a #QiMessage
 * @b: a #QiMessage
 *
 * Compares two messages field by field, payloads by value
 * (json_node_equal()).
 *
 * Returns: %TRUE if @a and @b have the same fields
 */
gboolean
qi_message_equal (QiMessage *a,
                  QiMessage *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a == b)
    return TRUE;

  return a->kind == b->kind &&
         a->timeout_ms == b->timeout_ms &&
         g_strcmp0 (a->id, b->id) == 0 &&
         g_strcmp0 (a->topic, b->topic) == 0 &&
         g_strcmp0 (a->re, b->re) == 0 &&
         g_strcmp0 (a->session, b->session) == 0 &&
         json_node_equal (message_payload (a), message_payload (b));
}

/* The encoder: qi-json-writer.c, the one writer of Qi's JSON. */

/* Writes the fields that are not NULL (timeout_ms: not 0) in their fixed
 * order; a NULL payload is an empty object. */
static char *
write_message (QiMessageKind  kind,
               const char    *id,
               const char    *topic,
               const char    *re,
               const char    *session,
               guint          timeout_ms,
               JsonNode      *payload,
               const char    *payload_text,
               gsize          payload_length,
               gsize         *length)
{
  /* Large enough for the envelope and a small payload at once. */
  GString *out = g_string_sized_new (256);

  qi_json_append_literal (out, "{\"v\":" G_STRINGIFY (QI_MESSAGE_PROTOCOL_VERSION) ",\"id\":");
  qi_json_append_string (out, id, QI_JSON_WRITE_DEFAULT);
  qi_json_append_literal (out, ",\"kind\":\"");
  qi_json_append_len (out, kind_names[kind], strlen (kind_names[kind]));
  g_string_append_c (out, '"');
  if (topic != NULL)
    {
      qi_json_append_literal (out, ",\"topic\":");
      qi_json_append_string (out, topic, QI_JSON_WRITE_DEFAULT);
    }
  if (re != NULL)
    {
      qi_json_append_literal (out, ",\"re\":");
      qi_json_append_string (out, re, QI_JSON_WRITE_DEFAULT);
    }
  if (session != NULL)
    {
      qi_json_append_literal (out, ",\"session\":");
      qi_json_append_string (out, session, QI_JSON_WRITE_DEFAULT);
    }
  if (timeout_ms != 0)
    {
      qi_json_append_literal (out, ",\"timeout_ms\":");
      qi_json_append_int (out, timeout_ms);
    }
  qi_json_append_literal (out, ",\"payload\":");
  if (payload_text != NULL)
    qi_json_append_len (out, payload_text, payload_length);
  else if (payload != NULL)
    qi_json_append_node (out, payload, QI_JSON_WRITE_DEFAULT);
  else
    qi_json_append_literal (out, "{}");
  g_string_append_c (out, '}');

  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

/**
 * qi_message_to_json:
 * @msg: a #QiMessage
 * @length: (out) (optional): where to store the length of the text, in bytes
 *
 * Writes @msg in its wire form: one compact JSON object in UTF-8 with the
 * fields, when present, in the order `v`, `id`, `kind`, `topic`, `re`,
 * `session`, `timeout_ms` (only when not 0), `payload` (always). Reading
 * the text back with qi_message_new_from_data() gives a message equal to
 * @msg, except that a double that is infinite or NaN, which JSON cannot
 * express, is written as null, and text that is not UTF-8 is repaired.
 *
 * A message built in process is not held to the reader's limits: if its
 * payload nests deeper than %QI_MESSAGE_MAX_DEPTH, or holds more than
 * %QI_MESSAGE_MAX_VALUES values or objects of more than
 * %QI_MESSAGE_MAX_MEMBERS members, a peer refuses the text. Keep such data
 * flat (a list of items with parent ids rather than a deep tree).
 *
 * Returns: (transfer full): the JSON text, nul-terminated
 */
char *
qi_message_to_json (QiMessage *msg,
                    gsize     *length)
{
  g_return_val_if_fail (msg != NULL, NULL);

  return write_message (msg->kind, msg->id, msg->topic, msg->re, msg->session,
                        msg->timeout_ms, g_atomic_pointer_get (&msg->payload), msg->payload_text,
                        msg->payload_text != NULL ? strlen (msg->payload_text) : 0, length);
}

char *
qi_message_encode_new (QiMessageKind   kind,
                       const char     *topic,
                       JsonNode       *payload,
                       guint           timeout_ms,
                       char          **id,
                       gsize          *length)
{
  /* The callers checked the topic, the payload and the deadline. */
  g_return_val_if_fail (kind == QI_MESSAGE_KIND_REQUEST || kind == QI_MESSAGE_KIND_EVENT, NULL);
  g_return_val_if_fail (kind == QI_MESSAGE_KIND_REQUEST || timeout_ms == 0, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  *id = new_id ();
  return write_message (kind, *id, topic, NULL, NULL, timeout_ms, payload, NULL, 0, length);
}

/* The decoder
 *
 * qi-json-reader.c reads the text (strictly: see there why JsonParser is
 * not used); the limits and the words of the errors are the hub's.
 */

/* A client's text, fit to quote in an error that goes back to it and into
 * logs: at most 64 bytes (cut on a character boundary), control
 * characters escaped. */
static char *
shorten_for_message (const char *text)
{
  const char *end = text;
  g_autofree char *cut = NULL;

  while (*end != '\0' && end - text < 64)
    end = g_utf8_next_char (end);
  cut = g_strndup (text, end - text);

  {
    g_autoptr(GString) out = g_string_new (NULL);

    for (const char *p = cut; *p != '\0'; p++)
      {
        if ((guchar) *p < 0x20 || *p == 0x7f)
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
        else if (*p == '"' || *p == '\\')
          g_string_append_printf (out, "\\%c", *p);
        else
          g_string_append_c (out, *p);
      }
    if (*end != '\0')
      g_string_append (out, "…");
    return g_string_free (g_steal_pointer (&out), FALSE);
  }
}

/* Sets @error for what qi_json_read() found wrong in @data, at the byte
 * where reading stopped (at the start of a misspelt word). */
static void
set_json_error (GError              **error,
                const char           *data,
                gsize                 length,
                const QiJsonFailure  *failure)
{
  g_autofree char *formatted = NULL;
  const char *reason = NULL;
  gboolean too_large = FALSE;
  gsize at = failure->offset;

  switch (failure->problem)
    {
    case QI_JSON_PROBLEM_NOT_UTF8:
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("message is not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")"), at);
      return;

    case QI_JSON_PROBLEM_BAD_WORD:
      at = failure->token;
      G_GNUC_FALLTHROUGH;
    case QI_JSON_PROBLEM_UNEXPECTED:
      if (at == length)
        reason = _("unexpected end of data");
      else if (g_ascii_isprint (data[at]))
        reason = formatted = g_strdup_printf (_("unexpected character '%c'"), data[at]);
      else
        reason = formatted = g_strdup_printf (_("unexpected byte 0x%02x"), (guchar) data[at]);
      break;

    case QI_JSON_PROBLEM_TRAILING_DATA:
      reason = _("unexpected data after the message");
      break;
    case QI_JSON_PROBLEM_BAD_NUMBER:
      reason = _("invalid number");
      break;
    case QI_JSON_PROBLEM_NUMBER_RANGE:
    case QI_JSON_PROBLEM_INTEGER_RANGE:
      reason = _("number out of range");
      break;
    case QI_JSON_PROBLEM_CONTROL_CHARACTER:
      reason = _("control character in a string");
      break;
    case QI_JSON_PROBLEM_UNTERMINATED_STRING:
      reason = _("unterminated string");
      break;
    case QI_JSON_PROBLEM_BAD_ESCAPE:
      reason = _("invalid escape");
      break;
    case QI_JSON_PROBLEM_BAD_HEX:
      reason = _("invalid \\u escape");
      break;
    case QI_JSON_PROBLEM_UNPAIRED_SURROGATE:
      reason = _("unpaired surrogate");
      break;
    case QI_JSON_PROBLEM_NUL_ESCAPE:
      {
        g_autofree char *shown = shorten_for_message (failure->pointer);

        reason = formatted =
          g_strdup_printf (_("\\u0000 is not allowed in strings (the string at \"%s\")"), shown);
      }
      break;
    case QI_JSON_PROBLEM_DUPLICATE_MEMBER:
      {
        g_autofree char *shown = shorten_for_message (failure->member);

        reason = formatted = g_strdup_printf (_("duplicate member \"%s\""), shown);
      }
      break;
    case QI_JSON_PROBLEM_HASH_FLOOD:
      reason = _("member names made to collide in a hash table");
      break;
    case QI_JSON_PROBLEM_TOO_DEEP:
      reason = formatted = g_strdup_printf (_("nesting deeper than %d levels"), QI_MESSAGE_MAX_DEPTH);
      break;

    /* A message within the byte limit can still cost far more memory and
     * time than its size (an array of a million "{}"): such messages are
     * too large. */
    case QI_JSON_PROBLEM_TOO_MANY_VALUES:
      too_large = TRUE;
      reason = formatted = g_strdup_printf (_("more than %d values"), QI_MESSAGE_MAX_VALUES);
      break;
    case QI_JSON_PROBLEM_TOO_MANY_MEMBERS:
      too_large = TRUE;
      reason = formatted =
        g_strdup_printf (_("an object with more than %d members"), QI_MESSAGE_MAX_MEMBERS);
      break;
    }

  if (too_large)
    g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_TOO_LARGE,
                 _("message is too large: %s at byte %" G_GSIZE_FORMAT), reason, at);
  else
    g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                 _("message is not valid JSON: %s at byte %" G_GSIZE_FORMAT), reason, at);
}

static gpointer fail_field (GError     **error,
                            const char  *format,
                            ...) G_GNUC_PRINTF (2, 3);

static gpointer
fail_field (GError     **error,
            const char  *format,
            ...)
{
  va_list args;

  if (error == NULL)
    return NULL;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE, format, args));
  va_end (args);
  return NULL;
}

static const char *
node_get_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The fields of the envelope, as qi_json_read_fields() reads them. */
enum
{
  FIELD_V,
  FIELD_ID,
  FIELD_KIND,
  FIELD_TOPIC,
  FIELD_RE,
  FIELD_SESSION,
  FIELD_TIMEOUT_MS,
  FIELD_PAYLOAD,
  N_FIELDS
};

static const char * const field_names[N_FIELDS] = {
  "v", "id", "kind", "topic", "re", "session", "timeout_ms", "payload",
};

typedef struct
{
  QiJsonField fields[N_FIELDS];
} Envelope;

static void
envelope_init (Envelope *envelope,
               gboolean  build_payload)
{
  memset (envelope, 0, sizeof *envelope);
  for (guint i = 0; i < N_FIELDS; i++)
    envelope->fields[i].name = field_names[i];
  envelope->fields[FIELD_PAYLOAD].skip = !build_payload;
}

static void
envelope_clear (Envelope *envelope)
{
  qi_json_fields_clear (envelope->fields, N_FIELDS);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Envelope, envelope_clear)

static gboolean
field_is_string (const QiJsonField *field)
{
  return field->present && field->string != NULL;
}

/* An id that an error may answer: a string, not empty, not too long. */
static char *
field_dup_id (const QiJsonField *field)
{
  if (!field_is_string (field) || field->length == 0 || field->length > QI_MESSAGE_MAX_ID_LENGTH)
    return NULL;
  return g_strndup (field->string, field->length);
}

/* A string field as read, not nul-terminated; text is NULL when it is
 * absent. */
typedef struct
{
  const char *text;
  gsize       length;
} Span;

/* An optional string field: TRUE with value->text NULL if absent. */
static gboolean
optional_string (const QiJsonField  *field,
                 Span               *value,
                 GError            **error)
{
  value->text = NULL;
  value->length = 0;
  if (!field->present)
    return TRUE;

  if (!field_is_string (field))
    return fail_field (error, _("the field \"%s\" must be a string"), field->name) != NULL;
  /* Ids and session names are kept in tables; keep them short. The topic
   * has its own rule, checked by check_topic(). */
  if (!g_str_equal (field->name, "topic") && field->length > QI_MESSAGE_MAX_ID_LENGTH)
    return fail_field (error, _("the field \"%s\" is longer than %d bytes"), field->name,
                       QI_MESSAGE_MAX_ID_LENGTH) != NULL;
  value->text = field->string;
  value->length = field->length;
  return TRUE;
}

static gboolean
check_topic (const Span  *topic,
             GError     **error)
{
  char text[QI_MESSAGE_MAX_TOPIC_LENGTH + 1];

  if (topic->length > QI_MESSAGE_MAX_TOPIC_LENGTH)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("the field \"topic\" is longer than %d bytes"),
                   QI_MESSAGE_MAX_TOPIC_LENGTH);
      return FALSE;
    }

  /* The text was read as UTF-8 without nul bytes. */
  memcpy (text, topic->text, topic->length);
  text[topic->length] = '\0';
  if (!qi_message_topic_is_valid (text))
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("the topic \"%s\" is not valid: a topic is one or more "
                     "segments of letters, digits, '_' and '-', separated by dots"),
                   text);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_error_payload (JsonObject  *payload,
                     GError     **error)
{
  JsonNode *data;

  if (node_get_string (json_object_get_member (payload, "code")) == NULL)
    return fail_field (error, _("the field \"%s\" must be a string"), "payload.code") != NULL;
  if (node_get_string (json_object_get_member (payload, "message")) == NULL)
    return fail_field (error, _("the field \"%s\" must be a string"), "payload.message") != NULL;

  data = json_object_get_member (payload, "data");
  if (data != NULL && !JSON_NODE_HOLDS_OBJECT (data))
    return fail_field (error, _("the field \"%s\" must be an object"), "payload.data") != NULL;

  return TRUE;
}

/* Checks the fields of a message in a fixed order, whatever their order
 * in the text, so that a message with several faults always gets the
 * same error. */
/* Copies @span, nul-terminated, to *@at in the text block. */
static char *
put_span (char       **at,
          const Span  *span)
{
  char *string = *at;

  if (span->text == NULL)
    return NULL;
  memcpy (string, span->text, span->length);
  string[span->length] = '\0';
  *at += span->length + 1;
  return string;
}

/* Checks the fields of a message in a fixed order, whatever their order
 * in the text, so that a message with several faults always gets the
 * same error; then makes the message in one block, its strings at its
 * end. */
static QiMessage *
message_from_envelope (Envelope    *envelope,
                       const char  *data,
                       GError     **error)
{
  QiJsonField *fields = envelope->fields;
  g_autoptr(JsonNode) node = NULL;
  QiJsonField *field;
  Span id, topic, re, session;
  Span payload_text = { NULL, 0 };
  guint timeout_ms = 0;
  gsize length;
  QiMessage *msg;
  char *at;
  guint kind;

  field = &fields[FIELD_V];
  if (!field->present)
    return fail_field (error, _("the field \"%s\" is missing"), "v");
  if (!field->is_integer)
    return fail_field (error, _("the field \"%s\" must be an integer"), "v");
  if (field->integer != QI_MESSAGE_PROTOCOL_VERSION)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("unsupported protocol version %" G_GINT64_FORMAT "; this hub speaks %d"),
                   field->integer, QI_MESSAGE_PROTOCOL_VERSION);
      return NULL;
    }

  field = &fields[FIELD_ID];
  if (!field->present)
    return fail_field (error, _("the field \"%s\" is missing"), "id");
  if (!field_is_string (field))
    return fail_field (error, _("the field \"%s\" must be a string"), "id");
  if (field->length == 0)
    return fail_field (error, _("the field \"%s\" must not be empty"), "id");
  if (field->length > QI_MESSAGE_MAX_ID_LENGTH)
    return fail_field (error, _("the field \"%s\" is longer than %d bytes"), "id",
                       QI_MESSAGE_MAX_ID_LENGTH);
  id.text = field->string;
  id.length = field->length;

  field = &fields[FIELD_KIND];
  if (!field->present)
    return fail_field (error, _("the field \"%s\" is missing"), "kind");
  if (!field_is_string (field))
    return fail_field (error, _("the field \"%s\" must be a string"), "kind");
  for (kind = 0; kind < G_N_ELEMENTS (kind_names); kind++)
    if (strncmp (kind_names[kind], field->string, field->length) == 0 &&
        kind_names[kind][field->length] == '\0')
      break;
  if (kind == G_N_ELEMENTS (kind_names))
    {
      g_autofree char *name = g_strndup (field->string, field->length);
      g_autofree char *shown = shorten_for_message (name);

      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_UNKNOWN_KIND,
                   _("unknown message kind \"%s\"; expected request, reply, event or error"),
                   shown);
      return NULL;
    }

  if (!optional_string (&fields[FIELD_TOPIC], &topic, error))
    return NULL;
  if (topic.text == NULL && (kind == QI_MESSAGE_KIND_REQUEST || kind == QI_MESSAGE_KIND_EVENT))
    return fail_field (error, _("the field \"%s\" is missing"), "topic");
  if (topic.text != NULL && !check_topic (&topic, error))
    return NULL;

  if (!optional_string (&fields[FIELD_RE], &re, error))
    return NULL;
  if (re.text != NULL && (kind == QI_MESSAGE_KIND_REQUEST || kind == QI_MESSAGE_KIND_EVENT))
    return fail_field (error, _("the field \"%s\" is only allowed in replies and errors"), "re");
  if (re.text == NULL && kind == QI_MESSAGE_KIND_REPLY)
    return fail_field (error, _("the field \"%s\" is missing"), "re");
  if (re.text != NULL && re.length == 0)
    return fail_field (error, _("the field \"%s\" must not be empty"), "re");

  if (!optional_string (&fields[FIELD_SESSION], &session, error))
    return NULL;

  field = &fields[FIELD_TIMEOUT_MS];
  if (field->present)
    {
      if (kind != QI_MESSAGE_KIND_REQUEST)
        return fail_field (error, _("the field \"%s\" is only allowed in requests"), "timeout_ms");
      if (!field->is_integer || field->integer < 0 || field->integer > G_MAXINT32)
        return fail_field (error, _("the field \"%s\" must be an integer from 0 to 2147483647"),
                           "timeout_ms");
      timeout_ms = (guint) field->integer;
    }

  /* A skipped payload was read and checked, not built. An error's is
   * built now, to check its code and message; so is one Qi would write
   * otherwise, since the text of a message must be what Qi's writer
   * writes (docs/protocol.md, "Strings and the JSON Qi writes"). */
  field = &fields[FIELD_PAYLOAD];
  if (!field->present && kind == QI_MESSAGE_KIND_ERROR)
    return fail_field (error, _("the field \"%s\" is missing"), "payload");
  if (field->present &&
      (field->skip ? data[field->start] != '{' : field->node == NULL || !JSON_NODE_HOLDS_OBJECT (field->node)))
    return fail_field (error, _("the field \"%s\" must be an object"), "payload");

  if (!field->present)
    node = empty_object_node ();
  else if (field->skip && kind != QI_MESSAGE_KIND_ERROR && field->canonical)
    {
      payload_text.text = data + field->start;
      payload_text.length = field->end - field->start;
    }
  else
    {
      if (field->skip)
        {
          g_auto(QiJsonFailure) failure = { 0 };

          node = qi_json_read (data + field->start, field->end - field->start, &message_limits, &failure);
          g_assert (node != NULL);
        }
      else
        node = g_steal_pointer (&field->node);
      json_node_seal (node);
      if (kind == QI_MESSAGE_KIND_ERROR && !check_error_payload (json_node_get_object (node), error))
        return NULL;
    }

  length = id.length + 1;
  length += topic.text != NULL ? topic.length + 1 : 0;
  length += re.text != NULL ? re.length + 1 : 0;
  length += session.text != NULL ? session.length + 1 : 0;
  length += payload_text.text != NULL ? payload_text.length + 1 : 0;

  msg = g_malloc (sizeof (QiMessage) + length);
  memset (msg, 0, sizeof (QiMessage));
  g_atomic_ref_count_init (&msg->ref_count);
  msg->kind = (QiMessageKind) kind;
  msg->timeout_ms = timeout_ms;
  msg->text_owner = msg;
  msg->text_length = length;
  at = msg->text;
  msg->id = put_span (&at, &id);
  msg->topic = put_span (&at, &topic);
  msg->re = put_span (&at, &re);
  msg->session = put_span (&at, &session);
  msg->payload_text = put_span (&at, &payload_text);
  msg->payload = g_steal_pointer (&node);
  return msg;
}

static QiMessage *
message_read (const char  *data,
              gsize        length,
              gsize        max_size,
              gboolean     build_payload,
              char       **bad_id,
              GError     **error);

/**
 * qi_message_new_from_data:
 * @data: (array length=length) (element-type guint8): the wire form of a
 *   message, which need not be nul-terminated
 * @length: the length of @data in bytes
 * @max_size: the largest message accepted, in bytes, or 0 for no limit
 * @bad_id: (out) (optional) (nullable) (transfer full): where to store, if
 *   reading fails, the id of the message when it could be read (so that an
 *   error can answer it, see qi_message_new_error_full()); %NULL otherwise.
 *   Bindings, which raise on error and drop out arguments, do not see it
 * @error: return location for a #GError
 *
 * Reads one message in its wire form, a JSON object (RFC 8259, UTF-8):
 *
 * - `v` (integer, required): the protocol version,
 *   %QI_MESSAGE_PROTOCOL_VERSION;
 * - `id` (non-empty string, required): unique among the sender's messages;
 * - `kind` (string, required): `request`, `reply`, `event` or `error`;
 * - `topic` (string): required in requests and events, optional in replies
 *   and errors; it must follow the rule of qi_message_topic_is_valid();
 * - `re` (non-empty string): the id of the message answered; required in
 *   replies, optional in errors (an error about a message whose id could
 *   not be read has none), not allowed in requests and events;
 * - `session` (string, optional): the sender's session;
 * - `timeout_ms` (integer from 0 to %G_MAXINT32, optional, requests only);
 * - `payload` (object): optional, an empty object if absent, except in
 *   errors, whose payload is required and holds a string `code`, a string
 *   `message` and optionally an object `data`.
 *
 * Other fields are ignored, for newer protocol revisions. The reader is
 * strict: no comments, single quotes, trailing commas, byte order mark,
 * duplicate member names, unpaired surrogates, `\u0000` in strings,
 * numbers beyond the range of a double, or nesting deeper than
 * %QI_MESSAGE_MAX_DEPTH. An integer beyond 64 bits is read as a double.
 * The whole text is checked here; a payload in the form
 * qi_message_to_json() writes is kept as its text, written out again as it
 * is, and built only when qi_message_get_payload() asks for it.
 *
 * Errors are in %QI_HUB_ERROR: %QI_HUB_ERROR_TOO_LARGE when @length exceeds
 * @max_size or the message holds more than %QI_MESSAGE_MAX_VALUES values or
 * an object of more than %QI_MESSAGE_MAX_MEMBERS members, %QI_HUB_ERROR_UNKNOWN_KIND for a kind this version does not
 * know, %QI_HUB_ERROR_BAD_MESSAGE for anything else, with a message naming
 * the field or the byte offset at fault. No input makes it crash or log.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
QiMessage *
qi_message_new_from_data (const char  *data,
                          gsize        length,
                          gsize        max_size,
                          char       **bad_id,
                          GError     **error)
{
  return message_read (data, length, max_size, FALSE, bad_id, error);
}

QiMessage *
qi_message_new_from_data_built (const char  *data,
                                gsize        length,
                                gsize        max_size,
                                GError     **error)
{
  return message_read (data, length, max_size, TRUE, NULL, error);
}

static QiMessage *
message_read (const char  *data,
              gsize        length,
              gsize        max_size,
              gboolean     build_payload,
              char       **bad_id,
              GError     **error)
{
  g_auto(Envelope) envelope;
  g_autoptr(GError) local_error = NULL;
  g_auto(QiJsonFailure) failure = { 0 };
  gboolean is_object;
  QiMessage *msg;

  envelope_init (&envelope, build_payload);
  if (bad_id != NULL)
    *bad_id = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (max_size != 0 && length > max_size)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_TOO_LARGE,
                   _("message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
                     G_GSIZE_FORMAT " bytes"),
                   length, max_size);
      return NULL;
    }

  if (!qi_json_read_fields (data, length, &message_limits, envelope.fields, N_FIELDS,
                            &is_object, &failure))
    {
      set_json_error (error, data, length, &failure);
      /* A message refused only for a \u0000 is JSON otherwise: its error
       * can answer its id. */
      if (failure.problem == QI_JSON_PROBLEM_NUL_ESCAPE && bad_id != NULL)
        {
          QiJsonLimits lenient = message_limits;
          g_auto(QiJsonFailure) again = { 0 };
          g_autoptr(JsonNode) read = NULL;

          lenient.replace_nul_escape = TRUE;
          read = qi_json_read (data, length, &lenient, &again);
          if (read != NULL && JSON_NODE_HOLDS_OBJECT (read))
            {
              const char *id = node_get_string (json_object_get_member (json_node_get_object (read), "id"));

              if (id != NULL && *id != '\0' && strlen (id) <= QI_MESSAGE_MAX_ID_LENGTH && g_utf8_strchr (id, -1, 0xfffd) == NULL)
                *bad_id = g_strdup (id);
            }
        }
      return NULL;
    }

  if (!is_object)
    {
      g_set_error_literal (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           _("message must be a JSON object"));
      return NULL;
    }

  msg = message_from_envelope (&envelope, data, &local_error);
  if (msg == NULL)
    {
      if (bad_id != NULL)
        *bad_id = field_dup_id (&envelope.fields[FIELD_ID]);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return msg;
}
