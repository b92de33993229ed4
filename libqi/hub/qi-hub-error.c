/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "qi-hub-error.h"

G_DEFINE_QUARK (qi-hub-error-quark, qi_hub_error)

/* Indexed by QiHubError. */
static const char * const code_names[] = {
  "bad_message",
  "unknown_kind",
  "no_handler",
  "handler_exists",
  "timeout",
  "unauthorized",
  "forbidden",
  "too_large",
  "handler_failed",
  "cancelled",
  "session_closed",
};

G_STATIC_ASSERT (G_N_ELEMENTS (code_names) == QI_HUB_ERROR_SESSION_CLOSED + 1);

/**
 * qi_hub_error_code_to_string:
 * @code: a #QiHubError
 *
 * Gives the wire name of @code, as in the `code` field of an error
 * message's payload: `bad_message`, `unknown_kind`, `no_handler`,
 * `handler_exists`, `timeout`, `unauthorized`, `forbidden`, `too_large`,
 * `handler_failed`, `cancelled` or `session_closed`.
 *
 * Returns: the snake_case name of @code, a static string
 */
const char *
qi_hub_error_code_to_string (QiHubError code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (code_names), NULL);

  return code_names[code];
}

/**
 * qi_hub_error_code_from_string:
 * @string: the wire name of an error code, such as `no_handler`
 * @code: (out): where to store the code
 *
 * Finds the #QiHubError whose wire name is @string. The comparison is exact
 * (case-sensitive).
 *
 * Returns: %TRUE if @string names a code, %FALSE (leaving @code alone) if
 *   this version of Qi does not know it
 */
gboolean
qi_hub_error_code_from_string (const char *string,
                               QiHubError *code)
{
  g_return_val_if_fail (string != NULL, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (code_names); i++)
    {
      if (strcmp (string, code_names[i]) == 0)
        {
          *code = (QiHubError) i;
          return TRUE;
        }
    }

  return FALSE;
}
