/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-db-checks.h"
#include "qi-json.h"

/**
 * SECTION:qi-db-checks
 * @title: Tracker input checks
 * @short_description: what every tracker adapter refuses, in one place
 *
 * The checks of the tracker-neutral API that do not depend on a tracker,
 * for every adapter to use (the embedded tracker's, ftrack's, a studio's
 * own), so that they refuse the same input with the same sentence: names,
 * context kinds and paths, metadata and qi_db_adapter_create_version()
 * specs. Their errors are %QI_DB_ERROR_INVALID.
 */

/**
 * qi_db_version_spec_clear: (skip)
 * @spec: a spec qi_db_version_spec_check() filled
 *
 * Frees what @spec holds (not @spec).
 */
void
qi_db_version_spec_clear (QiDbVersionSpec *spec)
{
  g_free (spec->metadata);
}


/**
 * qi_db_check_name:
 * @what: what the name is of, for the message (“project”)
 * @name: (nullable): the name
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @name is a name: not empty, UTF-8 without control
 *   characters or `/`, at most %QI_DB_MAX_NAME bytes
 */
gboolean
qi_db_check_name (const char  *what,
                  const char  *name,
                  GError     **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("the %s is missing or empty"), what);
      return FALSE;
    }
  if (strlen (name) > QI_DB_MAX_NAME || name[0] == '.' || name[0] == '-')
    goto bad;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      goto bad;
  return TRUE;

bad:
  g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
               _("the %s “%s” is not a name: use up to %d letters, digits, “_”, “-” and “.”, "
                 "starting with a letter, a digit or “_”"),
               what, g_utf8_validate (name, -1, NULL) ? name : "?", QI_DB_MAX_NAME);
  return FALSE;
}


/**
 * qi_db_normalize_path:
 * @path: (nullable): a context path such as `/sq010/sh020` (a trailing
 *   `/` allowed)
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the path without a trailing `/`,
 *   each segment checked as a name, or %NULL with @error
 */
char *
qi_db_normalize_path (const char  *path,
                      GError     **error)
{
  g_auto(GStrv) segments = NULL;
  g_autoptr(GString) normal = g_string_new (NULL);

  if (path == NULL || path[0] != '/')
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("the context path “%s” does not start with “/”: give it as /sq010/sh020"),
                   path != NULL && g_utf8_validate (path, -1, NULL) ? path : "");
      return NULL;
    }
  segments = g_strsplit (path + 1, "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      if (segments[i][0] == '\0' && segments[i + 1] == NULL && i > 0)
        break;
      if (!qi_db_check_name ("context name in the path", segments[i], error))
        return NULL;
      g_string_append_c (normal, '/');
      g_string_append (normal, segments[i]);
    }
  return g_string_free (g_steal_pointer (&normal), FALSE);
}


/**
 * qi_db_check_kind:
 * @kind: (nullable): a context kind
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @kind is one of `episode`, `sequence`, `shot`,
 *   `asset_build`, `folder`
 */
gboolean
qi_db_check_kind (const char  *kind,
                  GError     **error)
{
  static const char * const kinds[] = { "episode", "sequence", "shot", "asset_build", "folder", NULL };

  if (kind != NULL && g_strv_contains (kinds, kind))
    return TRUE;
  g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
               _("the context kind “%s” is not one of episode, sequence, shot, asset_build, folder"),
               kind != NULL && g_utf8_validate (kind, -1, NULL) ? kind : "");
  return FALSE;
}


static gboolean
invalid (GError     **error,
         const char  *field,
         const char  *expected)
{
  g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("%s: %s"), field, expected);
  return FALSE;
}


static gboolean
read_id_field (JsonObject  *object,
               const char  *field,
               gboolean     required,
               const char **id,
               GError     **error)
{
  JsonNode *node = json_object_get_member (object, field);

  *id = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required || invalid (error, field, _("is missing: give an id"));
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      json_node_get_string (node)[0] == '\0')
    return invalid (error, field, _("must be an id, a string"));
  *id = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_string_field (JsonObject  *object,
                   const char  *field,
                   const char  *where,
                   const char **value,
                   GError     **error)
{
  g_autofree char *place = g_strdup_printf ("%s%s", where, field);
  JsonNode *node = json_object_get_member (object, field);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, place, _("must be a string"));
  *value = json_node_get_string (node);
  return TRUE;
}


/**
 * qi_db_read_metadata:
 * @object: an object with an optional `metadata` member
 * @where: the place of @object for the message (“components[0].”), "" for
 *   the top
 * @text: (out) (transfer full) (optional): the metadata as compact JSON
 *   text, `{}` when there is none; %NULL only checks it
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE if `metadata` is not an object
 */
gboolean
qi_db_read_metadata (JsonObject  *object,
                     const char  *where,
                     char       **text,
                     GError     **error)
{
  JsonNode *node = json_object_get_member (object, "metadata");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (text != NULL)
        *text = g_strdup ("{}");
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *place = g_strdup_printf ("%smetadata", where);

      return invalid (error, place, _("must be an object"));
    }
  if (text != NULL)
    *text = qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);
  return TRUE;
}


/**
 * qi_db_version_spec_check: (skip)
 * @object: the object given to qi_db_adapter_create_version()
 * @spec: (out caller-allocates): where to read it to
 * @error: return location for a #GError
 *
 * Checks a version to create (docs/protocol.md, `db_service.version.create`)
 * and reads it into @spec.
 *
 * Returns: %TRUE, or %FALSE with %QI_DB_ERROR_INVALID naming the member
 */
gboolean
qi_db_version_spec_check (JsonObject        *object,
                          QiDbVersionSpec   *spec,
                          GError           **error)
{
  JsonNode *node;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  if (!read_id_field (object, "product", TRUE, &spec->product, error) ||
      !read_id_field (object, "task", FALSE, &spec->task, error) ||
      !read_string_field (object, "author", "", &spec->author, error) ||
      !read_string_field (object, "comment", "", &spec->comment, error) ||
      !read_string_field (object, "status", "", &spec->status, error) ||
      !qi_db_read_metadata (object, "", &spec->metadata, error))
    return FALSE;
  if (spec->comment != NULL && !g_utf8_validate (spec->comment, -1, NULL))
    return invalid (error, "comment", _("must be UTF-8"));
  node = json_object_get_member (object, "number");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
          json_node_get_int (node) < 1 || json_node_get_int (node) > G_MAXINT32)
        return invalid (error, "number", _("must be a version number, an integer from 1"));
      spec->number = json_node_get_int (node);
    }

  node = json_object_get_member (object, "components");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "components", _("must be an array of objects"));
  spec->components = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (spec->components); i++)
    {
      g_autofree char *where = g_strdup_printf ("components[%u].", i);
      JsonNode *item = json_array_get_element (spec->components, i);
      JsonObject *component;
      JsonArray *files;
      const char *name, *location;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        {
          g_autofree char *place = g_strdup_printf ("components[%u]", i);

          return invalid (error, place, _("must be an object"));
        }
      component = json_node_get_object (item);
      if (!read_string_field (component, "name", where, &name, error) ||
          !read_string_field (component, "location", where, &location, error) ||
          !qi_db_read_metadata (component, where, NULL, error))
        return FALSE;
      {
        g_autofree char *what = g_strdup_printf ("component name (%sname)", where);

        if (!qi_db_check_name (what, name, error))
          return FALSE;
      }
      if (!g_hash_table_add (names, (gpointer) name))
        {
          g_autofree char *place = g_strdup_printf ("%sname", where);
          g_autofree char *message = g_strdup_printf (_("“%s” is the name of an earlier component"), name);

          return invalid (error, place, message);
        }
      node = json_object_get_member (component, "files");
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_autofree char *place = g_strdup_printf ("%sfiles", where);

          return invalid (error, place, _("must be an array of {path, size} objects"));
        }
      files = json_node_get_array (node);
      for (guint j = 0; j < json_array_get_length (files); j++)
        {
          JsonNode *file = json_array_get_element (files, j);
          JsonNode *path_node, *size;
          const char *path;

          if (!JSON_NODE_HOLDS_OBJECT (file))
            {
              g_autofree char *place = g_strdup_printf ("%sfiles[%u]", where, j);

              return invalid (error, place, _("must be a {path, size} object"));
            }
          /* the places are made for a message only: a version may have
           * thousands of files */
          path_node = json_object_get_member (json_node_get_object (file), "path");
          if (path_node != NULL && !JSON_NODE_HOLDS_NULL (path_node) &&
              (!JSON_NODE_HOLDS_VALUE (path_node) || json_node_get_value_type (path_node) != G_TYPE_STRING))
            {
              g_autofree char *file_where = g_strdup_printf ("%sfiles[%u].", where, j);

              if (!read_string_field (json_node_get_object (file), "path", file_where, &path, error))
                return FALSE;
            }
          path = path_node != NULL && JSON_NODE_HOLDS_VALUE (path_node) ? json_node_get_string (path_node) : NULL;
          if (path == NULL || *path == '\0' || !g_utf8_validate (path, -1, NULL))
            {
              g_autofree char *place = g_strdup_printf ("%sfiles[%u].path", where, j);

              return invalid (error, place, _("must be a non-empty UTF-8 path"));
            }
          size = json_object_get_member (json_node_get_object (file), "size");
          if (size == NULL || !JSON_NODE_HOLDS_VALUE (size) ||
              json_node_get_value_type (size) != G_TYPE_INT64 || json_node_get_int (size) < 0)
            {
              g_autofree char *size_place = g_strdup_printf ("%sfiles[%u].size", where, j);

              return invalid (error, size_place, _("must be a size in bytes, an integer from 0"));
            }
        }
    }
  return TRUE;
}

