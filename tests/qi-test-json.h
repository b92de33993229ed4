/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

/*
 * Short readers of the tracker's and the hub's JSON answers, for the tests
 * (a test knows the shape it asserts: no checks here).
 */

/* An entity's id, interned: it outlives the node (ids are strings). */
static inline const char *
qi_test_id_of (JsonNode *node)
{
  return g_intern_string (json_object_get_string_member (json_node_get_object (node), "id"));
}

static inline const char *
qi_test_string_of (JsonNode   *node,
                   const char *member)
{
  return json_object_get_string_member (json_node_get_object (node), member);
}

static inline gint64
qi_test_int_of (JsonNode   *node,
                const char *member)
{
  return json_object_get_int_member (json_node_get_object (node), member);
}

static inline guint
qi_test_length_of (JsonNode *node)
{
  return json_array_get_length (json_node_get_array (node));
}

static inline JsonNode *
qi_test_element (JsonNode *array,
                 guint     index)
{
  return json_array_get_element (json_node_get_array (array), index);
}
