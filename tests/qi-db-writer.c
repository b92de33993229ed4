/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qi-db-writer TRACKER PRODUCT COUNT [FILES] [pending]
 *
 * A publisher for tests/test-db.c: creates COUNT versions of PRODUCT in
 * the SQLite tracker TRACKER, each with one component of FILES files
 * (default 1), and publishes each unless `pending` is given. Prints
 * "ready" once the tracker is open, then each version's number, one a
 * line, flushed, so that the test can watch or kill it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <qi/qi.h>
#include "qi-sqlite-adapter.h"

static JsonObject *
version_spec (const char *product,
              guint       files)
{
  JsonObject *spec = json_object_new ();
  JsonArray *components = json_array_new ();
  JsonObject *component = json_object_new ();
  JsonArray *list = json_array_new ();

  json_object_set_string_member (spec, "product", product);
  json_object_set_string_member (spec, "comment", "from qi-db-writer");
  json_object_set_string_member (component, "name", "abc");
  for (guint i = 0; i < files; i++)
    {
      JsonObject *file = json_object_new ();
      g_autofree char *path = g_strdup_printf ("demo/publish/cache/file_%08u.abc", i);

      json_object_set_string_member (file, "path", path);
      json_object_set_int_member (file, "size", i);
      json_array_add_object_element (list, file);
    }
  json_object_set_array_member (component, "files", list);
  json_array_add_object_element (components, component);
  json_object_set_array_member (spec, "components", components);
  return spec;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(QiSqliteAdapter) tracker = NULL;
  g_autoptr(GError) error = NULL;
  const char *product;
  guint count, files;
  gboolean pending;

  if (argc < 4)
    {
      fprintf (stderr, "usage: qi-db-writer TRACKER PRODUCT COUNT [FILES] [pending]\n");
      return 2;
    }
  product = argv[2];
  count = (guint) g_ascii_strtoull (argv[3], NULL, 10);
  files = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 1;
  pending = argc > 5 && g_str_equal (argv[5], "pending");

  tracker = qi_sqlite_adapter_new (argv[1]);
  if (!qi_sqlite_adapter_open (tracker, &error))
    {
      fprintf (stderr, "qi-db-writer: %s\n", error->message);
      return 1;
    }
  printf ("ready\n");
  fflush (stdout);

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(JsonObject) spec = version_spec (product, files);
      g_autoptr(JsonNode) version = qi_db_adapter_create_version (QI_DB_ADAPTER (tracker), spec, &error);
      const char *id;

      if (version == NULL)
        {
          fprintf (stderr, "qi-db-writer: %s\n", error->message);
          return 1;
        }
      id = json_object_get_string_member (json_node_get_object (version), "id");
      if (!pending)
        {
          g_autoptr(JsonNode) published = qi_db_adapter_publish_version (QI_DB_ADAPTER (tracker), id, &error);

          if (published == NULL)
            {
              fprintf (stderr, "qi-db-writer: %s\n", error->message);
              return 1;
            }
        }
      printf ("%" G_GINT64_FORMAT "\n", json_object_get_int_member (json_node_get_object (version), "number"));
      fflush (stdout);
    }
  return 0;
}
