/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "qi-rest-utils-private.h"
#include "qi-json.h"
#include "qi-json-reader-private.h"

/* Decodes @length bytes of @raw. Returns NULL for a malformed escape
 * ("%4", "%zz"), a NUL, a result that is not UTF-8, and (for a segment)
 * a '/' that was encoded as %2F. */
char *
qi_rest_percent_decode (const char       *raw,
                        gsize             length,
                        QiRestDecodeMode  mode)
{
  g_autoptr(GString) out = g_string_sized_new (length + 1);

  for (gsize i = 0; i < length; i++)
    {
      char c = raw[i];

      if (c == '%')
        {
          int high, low;

          if (length - i < 3)
            return NULL;
          high = g_ascii_xdigit_value (raw[i + 1]);
          low = g_ascii_xdigit_value (raw[i + 2]);
          if (high < 0 || low < 0)
            return NULL;
          c = (char) (high * 16 + low);
          i += 2;
        }
      else if (c == '+' && mode == QI_REST_DECODE_FORM)
        {
          c = ' ';
        }

      if (c == '\0' || (c == '/' && mode == QI_REST_DECODE_SEGMENT))
        return NULL;
      g_string_append_c (out, c);
    }

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A client's text, fit to quote in a message that goes back to it and
 * into logs: valid UTF-8, at most 64 bytes (cut on a character
 * boundary), control characters escaped. */
char *
qi_rest_quote (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = valid;

  while (*p != '\0' && p - valid < 64)
    {
      const char *next = g_utf8_next_char (p);

      if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guchar) *p);
      else
        g_string_append_len (out, p, next - p);
      p = next;
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Answers @msg with @status and @body serialised; a %NULL @body answers
 * with no body at all. */
void
qi_rest_reply_json (SoupServerMessage *msg,
                    guint              status,
                    JsonNode          *body)
{
  char *text;

  soup_server_message_set_status (msg, status, NULL);
  if (body == NULL)
    {
      soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
      return;
    }

  text = qi_json_to_string (body, QI_JSON_WRITE_DEFAULT, NULL);
  soup_server_message_set_response (msg, QI_REST_JSON_CONTENT_TYPE,
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

/* Answers @msg with `{"error": {"code": …, "message": …}}`. */
void
qi_rest_reply_error (SoupServerMessage *msg,
                     guint              status,
                     const char        *code,
                     const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *valid = g_utf8_make_valid (message, -1);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, valid);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  qi_rest_reply_json (msg, status, body);
}

/*
 * Request bodies are read by qi-json-reader.c (strictly: see there why
 * JsonParser is not used), with the limits of a body and, on top of the
 * hub's checks, integers beyond 64 bits refused: what json-glib could not
 * hold faithfully is refused rather than changed. Errors give the line and
 * column, in characters, from 1.
 */

static const QiJsonLimits body_limits = {
  .max_depth = QI_REST_JSON_MAX_DEPTH,
  .max_values = QI_REST_JSON_MAX_VALUES,
  .max_members = QI_REST_JSON_MAX_MEMBERS,
  .count_values_first = TRUE,
};

/* Sets @error for what qi_json_read() found wrong in @data: at the
 * backslash of a bad escape, elsewhere where reading stopped. */
static void
set_json_error (GError              **error,
                const char           *data,
                gsize                 length,
                const QiJsonFailure  *failure)
{
  g_autofree char *reason = NULL;
  GIOErrorEnum code = G_IO_ERROR_INVALID_DATA;
  gsize at = failure->offset;
  guint line, column;

  switch (failure->problem)
    {
    case QI_JSON_PROBLEM_NOT_UTF8:
      qi_json_locate (data, data + at, &line, &column);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("the request body is not valid UTF-8 at line %u, column %u"),
                   line, column);
      return;

    case QI_JSON_PROBLEM_UNEXPECTED:
    case QI_JSON_PROBLEM_TRAILING_DATA:
    case QI_JSON_PROBLEM_BAD_WORD:
    case QI_JSON_PROBLEM_BAD_NUMBER:
    case QI_JSON_PROBLEM_UNTERMINATED_STRING:
      if (at == length)
        reason = g_strdup (_("unexpected end of data"));
      else if (g_ascii_isprint (data[at]))
        reason = g_strdup_printf (_("unexpected character '%c'"), data[at]);
      else if ((guchar) data[at] < 0x80)
        reason = g_strdup_printf (_("unexpected byte 0x%02x"), (guchar) data[at]);
      else
        {
          g_autofree char *character = g_strndup (data + at, g_utf8_next_char (data + at) - (data + at));

          reason = g_strdup_printf (_("unexpected character “%s”"), character);
        }
      break;

    case QI_JSON_PROBLEM_NUMBER_RANGE:
      reason = g_strdup (_("number out of the range of a double"));
      break;
    case QI_JSON_PROBLEM_INTEGER_RANGE:
      reason = g_strdup (_("integer out of the 64-bit range"));
      break;
    case QI_JSON_PROBLEM_CONTROL_CHARACTER:
      reason = g_strdup (_("unescaped control character in a string"));
      break;
    case QI_JSON_PROBLEM_BAD_HEX:
      reason = g_strdup (_("a \\u escape needs four hexadecimal digits"));
      break;
    case QI_JSON_PROBLEM_BAD_ESCAPE:
      at = failure->token;
      reason = g_strdup (_("invalid escape in a string"));
      break;
    case QI_JSON_PROBLEM_UNPAIRED_SURROGATE:
      at = failure->token;
      reason = g_strdup (_("unpaired surrogate in a \\u escape"));
      break;
    case QI_JSON_PROBLEM_NUL_ESCAPE:
      {
        g_autofree char *quoted = qi_rest_quote (failure->pointer);

        at = failure->token;
        reason = g_strdup_printf (_("\\u0000 is not supported in a string (the string at “%s”)"), quoted);
      }
      break;
    case QI_JSON_PROBLEM_DUPLICATE_MEMBER:
      {
        g_autofree char *quoted = qi_rest_quote (failure->member);

        reason = g_strdup_printf (_("duplicate member “%s”"), quoted);
      }
      break;
    case QI_JSON_PROBLEM_HASH_FLOOD:
      reason = g_strdup (_("member names made to collide in a hash table"));
      break;
    case QI_JSON_PROBLEM_TOO_DEEP:
      reason = g_strdup_printf (_("nested deeper than %u levels"), QI_REST_JSON_MAX_DEPTH);
      break;
    case QI_JSON_PROBLEM_TOO_MANY_VALUES:
      code = G_IO_ERROR_MESSAGE_TOO_LARGE;
      reason = g_strdup_printf (_("more than %u values"), QI_REST_JSON_MAX_VALUES);
      break;
    case QI_JSON_PROBLEM_TOO_MANY_MEMBERS:
      code = G_IO_ERROR_MESSAGE_TOO_LARGE;
      reason = g_strdup_printf (_("more than %u members in one object"), QI_REST_JSON_MAX_MEMBERS);
      break;
    }

  qi_json_locate (data, data + at, &line, &column);
  if (code == G_IO_ERROR_MESSAGE_TOO_LARGE)
    g_set_error (error, G_IO_ERROR, code,
                 _("the request body is too large: %s at line %u, column %u"),
                 reason, line, column);
  else
    g_set_error (error, G_IO_ERROR, code,
                 _("the request body is not valid JSON: %s at line %u, column %u"),
                 reason, line, column);
}

/* Reads one JSON value, the whole of @data. Errors are G_IO_ERROR_INVALID_DATA
 * (not UTF-8, not JSON) or G_IO_ERROR_MESSAGE_TOO_LARGE (over the limits on
 * members and values), with the line and column in the message. */
JsonNode *
qi_rest_json_parse (const char  *data,
                    gsize        length,
                    GError     **error)
{
  g_auto(QiJsonFailure) failure = { 0 };
  JsonNode *root;

  root = qi_json_read (data, length, &body_limits, &failure);
  if (root == NULL)
    set_json_error (error, data, length, &failure);
  return root;
}
