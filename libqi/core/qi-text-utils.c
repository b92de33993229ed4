/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "qi-text-utils-private.h"
#include "qi-json.h"
#include "qi-toml-parser.h"

/*
 * Small text helpers shared by the configuration and CLI code: "did you
 * mean" suggestions and RFC 6901 JSON Pointers.
 */

/* g_strescape() exceptions: every byte of a multi-byte UTF-8 sequence,
 * so that "café" stays readable instead of becoming octal escapes. */
static const char non_ascii_bytes[] =
  "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f"
  "\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f"
  "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf"
  "\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe\xbf"
  "\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf"
  "\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xdb\xdc\xdd\xde\xdf"
  "\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee\xef"
  "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff";

/* Damerau–Levenshtein distance (optimal string alignment) over bytes. */
static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);
  g_autofree guint *d = g_new0 (guint, (la + 1) * (lb + 1));

#define D(i, j) d[(i) * (lb + 1) + (j)]
  for (gsize i = 0; i <= la; i++)
    D (i, 0) = i;
  for (gsize j = 0; j <= lb; j++)
    D (0, j) = j;

  for (gsize i = 1; i <= la; i++)
    for (gsize j = 1; j <= lb; j++)
      {
        guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
        guint best = MIN (D (i - 1, j) + 1, D (i, j - 1) + 1);

        best = MIN (best, D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          best = MIN (best, D (i - 2, j - 2) + 1);
        D (i, j) = best;
      }

  return D (la, lb);
#undef D
}

/*
 * qi_text_suggest:
 * @word: what the user typed
 * @candidates: the names that exist
 *
 * Returns: (transfer none) (nullable): the candidate closest to @word if it
 *   is close enough to be a plausible typo (or @word is a prefix of exactly
 *   that candidate), %NULL otherwise
 */
const char *
qi_text_suggest (const char         *word,
                 const char * const *candidates)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  guint limit;

  g_return_val_if_fail (word != NULL, NULL);

  if (candidates == NULL || word[0] == '\0')
    return NULL;

  limit = MAX (1, (guint) strlen (word) / 3);

  for (guint i = 0; candidates[i] != NULL; i++)
    {
      guint distance = edit_distance (word, candidates[i]);

      if (distance < best_distance)
        {
          best_distance = distance;
          best = candidates[i];
        }
    }

  if (best_distance <= limit)
    return best;

  /* "conf" for "config": a unique prefix is a good guess too. */
  best = NULL;
  for (guint i = 0; candidates[i] != NULL; i++)
    {
      if (g_str_has_prefix (candidates[i], word))
        {
          if (best != NULL)
            return NULL;
          best = candidates[i];
        }
    }

  return best;
}

char *
qi_json_pointer_append (const char *pointer,
                        const char *member)
{
  GString *out = g_string_new (pointer);

  g_string_append_c (out, '/');
  for (const char *p = member; *p != '\0'; p++)
    {
      if (*p == '~')
        g_string_append (out, "~0");
      else if (*p == '/')
        g_string_append (out, "~1");
      else
        g_string_append_c (out, *p);
    }

  return g_string_free (out, FALSE);
}

static char *
unescape_token (const char *token,
                gsize       length)
{
  GString *out = g_string_sized_new (length);

  for (gsize i = 0; i < length; i++)
    {
      if (token[i] == '~' && i + 1 < length && token[i + 1] == '0')
        {
          g_string_append_c (out, '~');
          i++;
        }
      else if (token[i] == '~' && i + 1 < length && token[i + 1] == '1')
        {
          g_string_append_c (out, '/');
          i++;
        }
      else
        g_string_append_c (out, token[i]);
    }

  return g_string_free (out, FALSE);
}

static gboolean
is_bare_key (const char *key)
{
  if (key[0] == '\0')
    return FALSE;

  for (const char *p = key; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  return TRUE;
}

/*
 * qi_json_pointer_to_dotted:
 *
 * Turns "/launch/addon-paths" into "launch.addon-paths", the way a user
 * writes the key in qi.toml; members that are not bare keys are quoted.
 */
char *
qi_json_pointer_to_dotted (const char *pointer)
{
  GString *out = g_string_new (NULL);
  const char *p = pointer;

  while (*p == '/')
    {
      const char *end = strchr (p + 1, '/');
      gsize len = end != NULL ? (gsize) (end - (p + 1)) : strlen (p + 1);
      g_autofree char *token = unescape_token (p + 1, len);

      if (out->len > 0)
        g_string_append_c (out, '.');

      if (is_bare_key (token))
        g_string_append (out, token);
      else
        {
          g_autofree char *escaped = g_strescape (token, non_ascii_bytes);
          g_string_append_printf (out, "\"%s\"", escaped);
        }

      p += len + 1;
    }

  return g_string_free (out, FALSE);
}

/*
 * qi_json_pointer_from_dotted:
 *
 * Turns a dotted key of bare key names ("launch.port") into a pointer.
 * Returns %NULL if @dotted holds anything but bare keys.
 */
char *
qi_json_pointer_from_dotted (const char *dotted)
{
  g_auto(GStrv) parts = g_strsplit (dotted, ".", -1);
  g_autofree char *pointer = g_strdup ("");

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *next;

      if (!is_bare_key (parts[i]))
        return NULL;

      next = qi_json_pointer_append (pointer, parts[i]);
      g_free (pointer);
      pointer = next;
    }

  return g_steal_pointer (&pointer);
}

JsonNode *
qi_json_pointer_lookup (JsonNode   *root,
                        const char *pointer)
{
  JsonNode *node = root;
  const char *p = pointer;

  if (root == NULL || pointer == NULL)
    return NULL;

  if (*p != '\0' && *p != '/')
    return NULL;

  while (*p == '/')
    {
      const char *end = strchr (p + 1, '/');
      gsize len = end != NULL ? (gsize) (end - (p + 1)) : strlen (p + 1);
      g_autofree char *token = unescape_token (p + 1, len);

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonObject *object = json_node_get_object (node);

          if (!json_object_has_member (object, token))
            return NULL;
          node = json_object_get_member (object, token);
        }
      else if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          guint64 index;

          if (!g_ascii_string_to_unsigned (token, 10, 0, G_MAXUINT, &index, NULL) ||
              index >= json_array_get_length (array))
            return NULL;
          node = json_array_get_element (array, (guint) index);
        }
      else
        return NULL;

      p += len + 1;
    }

  return node;
}

/*
 * qi_json_node_to_display:
 *
 * Formats a configuration value the way it would be written in qi.toml:
 * strings quoted, numbers and booleans bare, arrays and tables inline,
 * TOML date-times bare.
 */
char *
qi_json_node_to_display (JsonNode *node)
{
  const char *datetime;
  GString *out;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("(unset)");

  datetime = qi_toml_node_get_datetime (node, NULL);
  if (datetime != NULL)
    return g_strdup (datetime);

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      out = g_string_new ("[");
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *item = qi_json_node_to_display (json_array_get_element (array, i));

          g_string_append_printf (out, "%s%s", i > 0 ? ", " : "", item);
        }
      g_string_append_c (out, ']');
      return g_string_free (out, FALSE);
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      gboolean first = TRUE;

      out = g_string_new ("{");
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        {
          g_autofree char *value = qi_json_node_to_display (member);
          g_autofree char *pointer = qi_json_pointer_append ("", name);
          g_autofree char *key = qi_json_pointer_to_dotted (pointer);

          g_string_append_printf (out, "%s%s = %s", first ? " " : ", ", key, value);
          first = FALSE;
        }
      g_string_append (out, first ? "}" : " }");
      return g_string_free (out, FALSE);
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      {
        g_autofree char *escaped = g_strescape (json_node_get_string (node), non_ascii_bytes);
        return g_strdup_printf ("\"%s\"", escaped);
      }

    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

    case G_TYPE_DOUBLE:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        double d = json_node_get_double (node);

        if (isnan (d))
          return g_strdup ("nan");
        if (isinf (d))
          return g_strdup (d > 0 ? "inf" : "-inf");
        return g_strdup (g_ascii_dtostr (buf, sizeof buf, d));
      }

    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");

    default:
      return qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);
    }
}
