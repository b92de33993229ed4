/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the hub's envelope decoder: any bytes must give a
 * message or a QI_HUB_ERROR, never a crash, a sanitizer report or a
 * critical; a message must survive encode → decode unchanged, and the
 * error that answers a refused message must encode and decode too. A
 * payload kept as its wire text must write as its node does, and reading
 * a payload without building it must decide as building it does.
 * Built and run by run-fuzz.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qi/qi.h>

/* Private to libqi (qi-message-private.h, whose headers are not those of
 * <qi/qi.h>), and compiled into this target with the decoder. */
QiMessage *qi_message_new_from_data_built (const char  *data,
                                           gsize        length,
                                           gsize        max_size,
                                           GError     **error);

#define MAX_SIZE (1024 * 1024)

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

static void
check (gboolean    ok,
       const char *what)
{
  if (!ok)
    {
      g_printerr ("fuzz-message: %s\n", what);
      abort ();
    }
}

/* Encodes @msg, decodes the text and checks both agree. */
static void
check_round_trip (QiMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) back = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  text = qi_message_to_json (msg, &length);
  check (text != NULL && length == strlen (text), "encoder gave no text or a wrong length");
  check (g_utf8_validate (text, length, NULL), "encoder wrote invalid UTF-8");

  back = qi_message_new_from_data (text, length, 0, NULL, &error);
  if (back == NULL)
    g_printerr ("fuzz-message: %s\n  in %s\n", error->message, text);
  check (back != NULL, "an encoded message does not decode");
  check (qi_message_equal (msg, back), "decode (encode (m)) differs from m");

  again = qi_message_to_json (back, NULL);
  check (strcmp (text, again) == 0, "encoding is not stable");
}

/* A message read from the wire writes its payload as Qi's writer writes
 * the payload's node: as it came, when it came that way, or rebuilt.
 * Called before anything asks for the node. */
static void
check_payload_as_written (QiMessage *msg)
{
  g_autofree char *text = qi_message_to_json (msg, NULL);
  g_autofree char *payload = qi_json_to_string (qi_message_get_payload (msg), QI_JSON_WRITE_DEFAULT, NULL);
  g_autofree char *tail = g_strdup_printf (",\"payload\":%s}", payload);
  g_autofree char *again = qi_message_to_json (msg, NULL);

  check (g_str_has_suffix (text, tail), "the payload is written otherwise than its node");
  check (strcmp (text, again) == 0, "the text changed once the payload was built");
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* Criticals (misuse caught by g_return_if_fail) and warnings are bugs. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiMessage) msg = NULL;
  g_autofree char *bad_id = NULL;

  msg = qi_message_new_from_data ((const char *) data, size, MAX_SIZE, &bad_id, &error);

  if (msg != NULL)
    {
      check (error == NULL && bad_id == NULL, "success with an error or a bad id");
      check_payload_as_written (msg);
      check_round_trip (msg);
      /* Errors convert; other kinds leave the GError alone. */
      check (qi_message_get_error (msg, &error) == (qi_message_get_kind (msg) != QI_MESSAGE_KIND_ERROR),
             "qi_message_get_error() disagrees with the kind");
      check (error == NULL || error->domain == QI_HUB_ERROR, "error message outside QI_HUB_ERROR");
    }
  else
    {
      g_autoptr(QiMessage) answer = NULL;

      check (error != NULL && error->domain == QI_HUB_ERROR, "failure without a QI_HUB_ERROR");
      check (g_utf8_validate (error->message, -1, NULL), "error message is not UTF-8");
      check (bad_id == NULL || (*bad_id != '\0' && g_utf8_validate (bad_id, -1, NULL)),
             "bad id is empty or not UTF-8");

      /* What the hub sends back must itself be a good message. */
      answer = qi_message_new_error_full (bad_id, NULL, error->code, error->message, NULL);
      check (answer != NULL, "cannot answer a refused message");
      check_round_trip (answer);
    }

  /* Reading the payload without building it refuses, and accepts, the
   * very same messages as building it at once. */
  {
    g_autoptr(GError) built_error = NULL;
    g_autoptr(QiMessage) built = qi_message_new_from_data_built ((const char *) data, size, MAX_SIZE,
                                                                 &built_error);

    check ((built == NULL) == (msg == NULL), "building the payload at once decides otherwise");
    check (built == NULL || qi_message_equal (built, msg), "building the payload at once reads otherwise");
    check (built != NULL || msg != NULL ||
           (built_error->code == error->code && strcmp (built_error->message, error->message) == 0),
           "building the payload at once fails otherwise");
  }

  return 0;
}
