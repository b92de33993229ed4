/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiJsonWriteFlags:
 * @QI_JSON_WRITE_DEFAULT: compact: no whitespace at all
 * @QI_JSON_WRITE_PRETTY: one member or element per line, indented by two
 *   spaces, `"name": value`
 * @QI_JSON_WRITE_MODIFIED_UTF8: strings hold U+0000 as the two bytes
 *   `C0 80` ("modified UTF-8", which no valid UTF-8 text contains), as the
 *   tagged mode of #QiTomlParser writes it; they are written as `\u0000`.
 *   Without this flag those bytes are invalid UTF-8 and are replaced.
 *
 * How qi_json_to_string() writes a value.
 */
typedef enum /*< flags >*/ {
  QI_JSON_WRITE_DEFAULT       = 0,
  QI_JSON_WRITE_PRETTY        = 1 << 0,
  QI_JSON_WRITE_MODIFIED_UTF8 = 1 << 1,
} QiJsonWriteFlags;

QI_AVAILABLE_IN_ALL
char     *qi_json_to_string  (JsonNode          *node,
                              QiJsonWriteFlags   flags,
                              gsize             *length);

QI_AVAILABLE_IN_ALL
JsonNode *qi_json_node_deep_copy (JsonNode      *node);

QI_AVAILABLE_IN_ALL
JsonNode *qi_json_from_data  (const char        *data,
                              gssize             length,
                              GError           **error);

G_END_DECLS
