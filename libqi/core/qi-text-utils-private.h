/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
const char *qi_text_suggest             (const char         *word,
                                         const char * const *candidates);
G_GNUC_INTERNAL
char       *qi_json_pointer_append      (const char         *pointer,
                                         const char         *member);
G_GNUC_INTERNAL
char       *qi_json_pointer_to_dotted   (const char         *pointer);
G_GNUC_INTERNAL
char       *qi_json_pointer_from_dotted (const char         *dotted);
G_GNUC_INTERNAL
JsonNode   *qi_json_pointer_lookup      (JsonNode           *root,
                                         const char         *pointer);
G_GNUC_INTERNAL
char       *qi_json_node_to_display     (JsonNode           *node);

G_END_DECLS
