/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <string.h>

#include <json-glib/json-glib.h>

#include "qi-json.h"

G_BEGIN_DECLS

/*
 * The one JSON writer of Qi (qi-json-writer.c): hub frames, REST bodies,
 * `--json` output, project files, settings and bundle files, the info
 * file, ftrack request bodies and the tagged TOML of the toml-test
 * decoder all go through it. json-glib's generator is not used: json-glib
 * 1.6 writes U+001F unescaped (it tests `< 0x1f`), which is not JSON
 * (RFC 8259 §7), and a browser's JSON.parse or Python's json.loads refuse
 * the whole text.
 *
 * Strings: `"` and `\` escaped, `\b \f \n \r \t` by name, every other
 * control character below U+0020 and U+007F as `\u00XX`; invalid UTF-8
 * replaced by U+FFFD (a WebSocket peer closes the connection on a text
 * frame that is not UTF-8). A JsonNode cannot hold U+0000 (its strings are
 * C strings): the readers refuse `\u0000`, naming where it was, rather
 * than cut the string there (docs/protocol.md, "Strings").
 *
 * Numbers: integers as they are; doubles in the shortest form that reads
 * back as the same double, always with a fraction or an exponent;
 * infinity and NaN, which JSON cannot express, as null.
 */

/* g_string_append_len() of GLib 2.74 is a function call even when the
 * text fits; a hub frame is a few dozen short appends. */
static inline void
qi_json_append_len (GString    *out,
                    const char *text,
                    gsize       length)
{
  if (out->len + length < out->allocated_len)
    {
      memcpy (out->str + out->len, text, length);
      out->len += length;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, text, length);
}

/* A string literal, such as a member name with its quotes. */
#define qi_json_append_literal(out, literal) \
  qi_json_append_len ((out), "" literal, sizeof (literal) - 1)

G_GNUC_INTERNAL
void qi_json_append_string (GString          *out,
                            const char       *string,
                            QiJsonWriteFlags  flags);
G_GNUC_INTERNAL
void qi_json_append_int    (GString          *out,
                            gint64            value);
G_GNUC_INTERNAL
void qi_json_append_node   (GString          *out,
                            JsonNode         *node,
                            QiJsonWriteFlags  flags);

G_END_DECLS
