/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-sqlite-adapter-private.h"
#include "qi-sqlite-datastore.h"

/*
 * The JSON datastore: a whole project as one JSON document (the seed's
 * QiFileDb), for import, export, fixtures and backups. The format is
 * docs/project-file.schema.json (JSON Schema 2020-12):
 *
 *   {"format": "qi-project", "version": 1,
 *    "project": {"name", "label", "created_at"},
 *    "statuses": [{"name", "label", "state"}], "task_types": [{"name", "label"}],
 *    "locations": [{"name", "root"}], "users": [{"username", "full_name", "email"}],
 *    "contexts": [{"path", "kind", "name"}],                 parents before children
 *    "tasks": [{"context", "name", "type", "status", "assignee"}],
 *    "products": [{"context", "name", "type"}],
 *    "versions": [{"context", "product", "number", "task": {"context", "name"} | null,
 *                  "author", "comment", "status", "state", "created_at", "published_at",
 *                  "publisher_host", "publisher_pid", "metadata",
 *                  "components": [{"name", "location", "metadata", "files": [{"path", "size"}]}]}]}
 *
 * Export reads one snapshot, every list in a fixed order, so that export,
 * import into an empty tracker and export again give the same document.
 * Import checks the whole document first — the first field that is wrong
 * is named by its JSON path, such as `$.versions[3].components[0].files[2].size`
 * — then writes it in one transaction: a refused file, or a process
 * killed halfway, leaves the tracker as it was.
 */

#define FORMAT_VERSION 1

static const char * const context_kinds[] = { "episode", "sequence", "shot", "asset_build", "folder", NULL };
static const char * const status_states[] = { "not_started", "in_progress", "done", "blocked", NULL };

/* SQLite. */

static gboolean
sql_error (sqlite3     *db,
           const char  *what,
           GError     **error)
{
  int rc = sqlite3_extended_errcode (db);
  QiDbError code = QI_DB_ERROR_IO;

  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    code = QI_DB_ERROR_BUSY;
  else if ((rc & 0xff) == SQLITE_CONSTRAINT)
    code = QI_DB_ERROR_CONFLICT;
  g_set_error (error, QI_DB_ERROR, code, "%s: %s", what, sqlite3_errmsg (db));
  return FALSE;
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sql_error (db, _("cannot prepare a statement"), error);
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_error (db, sql, error);
  return TRUE;
}

/* Export. */

static void
add_column (JsonObject   *object,
            const char   *name,
            sqlite3_stmt *stmt,
            int           column)
{
  switch (sqlite3_column_type (stmt, column))
    {
    case SQLITE_NULL:
      json_object_set_null_member (object, name);
      break;
    case SQLITE_INTEGER:
      json_object_set_int_member (object, name, sqlite3_column_int64 (stmt, column));
      break;
    default:
      json_object_set_string_member (object, name, (const char *) sqlite3_column_text (stmt, column));
      break;
    }
}

static void
add_json_column (JsonObject   *object,
                 const char   *name,
                 sqlite3_stmt *stmt,
                 int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);
  /* Qi's reader first (it is the faster); what it refuses, such as a
   * member twice from another tool, json-glib reads as before */
  JsonNode *node = text != NULL ? qi_json_from_data (text, -1, NULL) : NULL;

  if (node == NULL && text != NULL)
    node = json_from_string (text, NULL);

  if (node == NULL)
    {
      g_autoptr(JsonObject) empty = json_object_new ();

      node = json_node_init_object (json_node_alloc (), empty);
    }
  json_object_set_member (object, name, node);
}

/* Runs @sql (with the project's id bound to ?1 if it has one) and makes an
 * array of objects whose members are @names, in column order; a name
 * starting with "@" is a JSON text column. */
static JsonArray *
query_rows (sqlite3             *db,
            const char          *sql,
            gint64               project,
            const char * const  *names,
            GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (db, sql, error);
  g_autoptr(JsonArray) rows = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  if (sqlite3_bind_parameter_count (stmt) > 0)
    sqlite3_bind_int64 (stmt, 1, project);

  rows = json_array_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *row = json_object_new ();

      for (int i = 0; names[i] != NULL; i++)
        {
          if (names[i][0] == '@')
            add_json_column (row, names[i] + 1, stmt, i);
          else
            add_column (row, names[i], stmt, i);
        }
      json_array_add_object_element (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      sql_error (db, sql, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* The components of the version @version_id, with their files. */
static JsonArray *
export_components (sqlite3  *db,
                   gint64    version_id,
                   GError  **error)
{
  static const char * const names[] = { "id", "name", "location", "@metadata", NULL };
  static const char * const file_names[] = { "path", "size", NULL };
  g_autoptr(JsonArray) components = query_rows (db,
    "SELECT c.id, c.name, l.name, c.metadata FROM components c JOIN locations l ON l.id = c.location_id "
    "WHERE c.version_id = ?1 ORDER BY c.name", version_id, names, error);

  if (components == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (components); i++)
    {
      JsonObject *component = json_array_get_object_element (components, i);
      JsonArray *files = query_rows (db, "SELECT path, size FROM component_files WHERE component_id = ?1 ORDER BY path",
                                     json_object_get_int_member (component, "id"), file_names, error);

      if (files == NULL)
        return NULL;
      json_object_remove_member (component, "id");
      json_object_set_array_member (component, "files", files);
    }
  return g_steal_pointer (&components);
}

/**
 * qi_sqlite_adapter_export_project:
 * @self: a #QiSqliteAdapter
 * @project: the project's name
 * @error: return location for a #GError
 *
 * Exports @project as a project file (`"format": "qi-project"`; see
 * docs/project-file.schema.json), from one snapshot of the tracker, every
 * list in a fixed order: exported, imported into an empty tracker and
 * exported again, a project gives the same document.
 *
 * Returns: (transfer full): the document, or %NULL with %QI_DB_ERROR_NOT_FOUND
 *   if there is no such project
 */
JsonNode *
qi_sqlite_adapter_export_project (QiSqliteAdapter  *self,
                                  const char       *project,
                                  GError          **error)
{
  static const char * const project_names[] = { "id", "name", "label", "created_at", NULL };
  static const char * const status_names[] = { "name", "label", "state", NULL };
  static const char * const type_names[] = { "name", "label", NULL };
  static const char * const location_names[] = { "name", "root", NULL };
  static const char * const user_names[] = { "username", "full_name", "email", NULL };
  static const char * const context_names[] = { "path", "kind", "name", NULL };
  static const char * const task_names[] = { "context", "name", "type", "status", "assignee", NULL };
  static const char * const product_names[] = { "context", "name", "type", NULL };
  static const char * const version_names[] = {
    "id", "context", "product", "number", "task_context", "task_name", "author", "comment", "status", "state",
    "created_at", "published_at", "publisher_host", "publisher_pid", "@metadata", NULL
  };
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (qi_sqlite_adapter_get_lock (self));
  sqlite3 *db;
  g_autoptr(JsonObject) document = NULL;
  g_autoptr(JsonArray) versions = NULL;
  JsonObject *found;
  gint64 id;
  struct { const char *member; const char *sql; const char * const *names; } lists[] = {
    { "statuses", "SELECT name, label, state FROM statuses ORDER BY name", status_names },
    { "task_types", "SELECT name, label FROM task_types ORDER BY name", type_names },
    { "locations", "SELECT name, root FROM locations ORDER BY name", location_names },
    { "users", "SELECT username, full_name, email FROM users ORDER BY username", user_names },
    { "contexts", "SELECT path, kind, name FROM contexts WHERE project_id = ?1 ORDER BY path", context_names },
    { "tasks", "SELECT c.path, t.name, tt.name, s.name, u.username FROM tasks t "
               "JOIN contexts c ON c.id = t.context_id JOIN task_types tt ON tt.id = t.type_id "
               "JOIN statuses s ON s.id = t.status_id LEFT JOIN users u ON u.id = t.assignee_id "
               "WHERE c.project_id = ?1 ORDER BY c.path, t.name", task_names },
    { "products", "SELECT c.path, p.name, p.type FROM products p JOIN contexts c ON c.id = p.context_id "
                  "WHERE c.project_id = ?1 ORDER BY c.path, p.name", product_names },
  };

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), NULL);
  g_return_val_if_fail (project != NULL, NULL);

  db = qi_sqlite_adapter_get_handle (self, error);
  if (db == NULL || !exec (db, "BEGIN", error))
    return NULL;

  {
    g_autoptr(sqlite3_stmt) stmt = prepare (db, "SELECT id, name, label, created_at FROM projects WHERE name = ?1",
                                            error);

    if (stmt == NULL)
      goto fail;
    sqlite3_bind_text (stmt, 1, project, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (stmt) != SQLITE_ROW)
      {
        g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND, _("no project “%s” in the tracker"), project);
        goto fail;
      }
    id = sqlite3_column_int64 (stmt, 0);
    found = json_object_new ();
    for (int i = 1; project_names[i] != NULL; i++)
      add_column (found, project_names[i], stmt, i);
  }

  document = json_object_new ();
  json_object_set_string_member (document, "format", QI_PROJECT_FILE_FORMAT);
  json_object_set_int_member (document, "version", FORMAT_VERSION);
  json_object_set_object_member (document, "project", found);
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      JsonArray *rows = query_rows (db, lists[i].sql, id, lists[i].names, error);

      if (rows == NULL)
        goto fail;
      json_object_set_array_member (document, lists[i].member, rows);
    }

  versions = query_rows (db,
    "SELECT v.id, c.path, p.name, v.number, tc.path, t.name, u.username, v.comment, s.name, v.state, "
    "  v.created_at, v.published_at, v.publisher_host, v.publisher_pid, v.metadata "
    "FROM versions v JOIN products p ON p.id = v.product_id JOIN contexts c ON c.id = p.context_id "
    "LEFT JOIN tasks t ON t.id = v.task_id AND t.context_id IN (SELECT id FROM contexts WHERE project_id = ?1) "
    "LEFT JOIN contexts tc ON tc.id = t.context_id "
    "LEFT JOIN users u ON u.id = v.author_id LEFT JOIN statuses s ON s.id = v.status_id "
    "WHERE c.project_id = ?1 ORDER BY c.path, p.name, v.number", id, version_names, error);
  if (versions == NULL)
    goto fail;
  for (guint i = 0; i < json_array_get_length (versions); i++)
    {
      JsonObject *version = json_array_get_object_element (versions, i);
      JsonArray *components = export_components (db, json_object_get_int_member (version, "id"), error);

      if (components == NULL)
        goto fail;
      json_object_remove_member (version, "id");
      if (JSON_NODE_HOLDS_NULL (json_object_get_member (version, "task_name")))
        json_object_set_null_member (version, "task");
      else
        {
          JsonObject *task = json_object_new ();

          json_object_set_string_member (task, "context", json_object_get_string_member (version, "task_context"));
          json_object_set_string_member (task, "name", json_object_get_string_member (version, "task_name"));
          json_object_set_object_member (version, "task", task);
        }
      json_object_remove_member (version, "task_context");
      json_object_remove_member (version, "task_name");
      json_object_set_array_member (version, "components", components);
    }
  json_object_set_array_member (document, "versions", g_steal_pointer (&versions));

  /* Links inside the project: contexts by path, versions by context,
   * product and number. */
  {
    static const char * const context_link_names[] = { "context", "uses", NULL };
    static const char * const version_link_names[] = {
      "context", "product", "number", "uses_context", "uses_product", "uses_number", NULL
    };
    JsonArray *context_links = query_rows (db,
      "SELECT c.path, u.path FROM context_links k JOIN contexts c ON c.id = k.context_id "
      "JOIN contexts u ON u.id = k.uses_id WHERE c.project_id = ?1 AND u.project_id = ?1 "
      "ORDER BY c.path, u.path", id, context_link_names, error);
    g_autoptr(JsonArray) rows = NULL;
    JsonArray *version_links;

    if (context_links == NULL)
      goto fail;
    json_object_set_array_member (document, "context_links", context_links);
    rows = query_rows (db,
      "SELECT vc.path, vp.name, v.number, uc.path, up.name, u.number FROM version_links k "
      "JOIN versions v ON v.id = k.version_id JOIN products vp ON vp.id = v.product_id "
      "JOIN contexts vc ON vc.id = vp.context_id "
      "JOIN versions u ON u.id = k.uses_id JOIN products up ON up.id = u.product_id "
      "JOIN contexts uc ON uc.id = up.context_id "
      "WHERE vc.project_id = ?1 AND uc.project_id = ?1 "
      "ORDER BY vc.path, vp.name, v.number, uc.path, up.name, u.number", id, version_link_names, error);
    if (rows == NULL)
      goto fail;
    version_links = json_array_new ();
    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);
        JsonObject *link = json_object_new ();
        JsonObject *version = json_object_new ();
        JsonObject *uses = json_object_new ();

        json_object_set_string_member (version, "context", json_object_get_string_member (row, "context"));
        json_object_set_string_member (version, "product", json_object_get_string_member (row, "product"));
        json_object_set_int_member (version, "number", json_object_get_int_member (row, "number"));
        json_object_set_string_member (uses, "context", json_object_get_string_member (row, "uses_context"));
        json_object_set_string_member (uses, "product", json_object_get_string_member (row, "uses_product"));
        json_object_set_int_member (uses, "number", json_object_get_int_member (row, "uses_number"));
        json_object_set_object_member (link, "version", version);
        json_object_set_object_member (link, "uses", uses);
        json_array_add_object_element (version_links, link);
      }
    json_object_set_array_member (document, "version_links", version_links);
  }

  exec (db, "COMMIT", NULL);
  return json_node_init_object (json_node_alloc (), document);

fail:
  exec (db, "ROLLBACK", NULL);
  return NULL;
}

/* Checking a document. */

typedef struct
{
  const char *source;   /* the file, for messages */
  GError    **error;
} Check;

G_GNUC_PRINTF (3, 4)
static gboolean
invalid (Check      *check,
         const char *path,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (check->error, QI_DB_ERROR, QI_DB_ERROR_INVALID, "%s: %s: %s; nothing was imported",
               check->source, path, message);
  return FALSE;
}

static const char *
type_of (JsonNode *node)
{
  if (node == NULL)
    return _("nothing (it is missing)");
  if (JSON_NODE_HOLDS_OBJECT (node))
    return _("an object");
  if (JSON_NODE_HOLDS_ARRAY (node))
    return _("an array");
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return _("a string");
    case G_TYPE_BOOLEAN:
      return _("a boolean");
    default:
      return _("a number");
    }
}

/* The members of @object must be @known; each of @required there. */
static gboolean
check_members (Check              *check,
               JsonObject         *object,
               const char         *path,
               const char * const *known)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    if (!g_strv_contains (known, name))
      {
        g_autofree char *where = g_strdup_printf ("%s.%s", path, name);

        return invalid (check, where, _("unknown member"));
      }
  for (guint i = 0; known[i] != NULL; i++)
    if (!json_object_has_member (object, known[i]))
      {
        g_autofree char *where = g_strdup_printf ("%s.%s", path, known[i]);

        return invalid (check, where, _("missing"));
      }
  return TRUE;
}

/* The string at @object.@name (NULL when null and @nullable). */
static gboolean
get_string (Check       *check,
            JsonObject  *object,
            const char  *path,
            const char  *name,
            gboolean     nullable,
            gboolean     non_empty,
            const char **value)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *where = g_strdup_printf ("%s.%s", path, name);

  *value = NULL;
  if (nullable && node != NULL && JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (check, where, _("expected a string%s, found %s"), nullable ? _(" or null") : "", type_of (node));
  *value = json_node_get_string (node);
  if (non_empty && **value == '\0')
    return invalid (check, where, _("must not be empty"));
  return TRUE;
}

static gboolean
get_int (Check       *check,
         JsonObject  *object,
         const char  *path,
         const char  *name,
         gboolean     nullable,
         gint64       minimum,
         gboolean    *is_null,
         gint64      *value)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *where = g_strdup_printf ("%s.%s", path, name);

  *is_null = FALSE;
  if (nullable && node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *is_null = TRUE;
      return TRUE;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (check, where, _("expected a whole number, found %s"), type_of (node));
  *value = json_node_get_int (node);
  if (*value < minimum)
    return invalid (check, where, _("%" G_GINT64_FORMAT " is below %" G_GINT64_FORMAT), *value, minimum);
  return TRUE;
}

static JsonArray *
get_array (Check      *check,
           JsonObject *object,
           const char *path,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autofree char *where = g_strdup_printf ("%s.%s", path, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      invalid (check, where, _("expected an array, found %s"), type_of (node));
      return NULL;
    }
  return json_node_get_array (node);
}

static JsonObject *
get_element (Check      *check,
             JsonArray  *array,
             const char *path,
             guint       index,
             char      **element_path)
{
  JsonNode *node = json_array_get_element (array, index);

  *element_path = g_strdup_printf ("%s[%u]", path, index);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (check, *element_path, _("expected an object, found %s"), type_of (node));
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
check_metadata (Check      *check,
                JsonObject *object,
                const char *path)
{
  JsonNode *node = json_object_get_member (object, "metadata");
  g_autofree char *where = g_strdup_printf ("%s.metadata", path);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return invalid (check, where, _("expected an object, found %s"), type_of (node));
  return TRUE;
}

/* Names declared in one list of the document, with the place of each. */
static gboolean
declare (Check      *check,
         GHashTable *names,
         const char *name,
         const char *path,
         const char *what)
{
  if (g_hash_table_contains (names, name))
    return invalid (check, path, _("the %s “%s” is given twice"), what, name);
  g_hash_table_add (names, g_strdup (name));
  return TRUE;
}

static gboolean
refer (Check      *check,
       GHashTable *names,
       const char *name,
       const char *path,
       const char *what)
{
  if (name != NULL && !g_hash_table_contains (names, name))
    return invalid (check, path, _("no %s “%s” in the file"), what, name);
  return TRUE;
}

/* Checks the whole document, so that the import's transaction cannot
 * fail on its content (only on the tracker: a project already there). */
static gboolean
check_document (Check    *check,
                JsonNode *root)
{
  static const char * const top[] = {
    "format", "version", "project", "statuses", "task_types", "locations", "users", "contexts", "tasks",
    "products", "versions", NULL
  };
  /* Links came later: a file has both lists or neither. */
  static const char * const top_with_links[] = {
    "format", "version", "project", "statuses", "task_types", "locations", "users", "contexts", "tasks",
    "products", "versions", "context_links", "version_links", NULL
  };
  static const char * const context_link_members[] = { "context", "uses", NULL };
  static const char * const version_link_members[] = { "version", "uses", NULL };
  static const char * const version_ref_members[] = { "context", "product", "number", NULL };
  gboolean has_links;
  static const char * const project_members[] = { "name", "label", "created_at", NULL };
  static const char * const status_members[] = { "name", "label", "state", NULL };
  static const char * const type_members[] = { "name", "label", NULL };
  static const char * const location_members[] = { "name", "root", NULL };
  static const char * const user_members[] = { "username", "full_name", "email", NULL };
  static const char * const context_members[] = { "path", "kind", "name", NULL };
  static const char * const task_members[] = { "context", "name", "type", "status", "assignee", NULL };
  static const char * const product_members[] = { "context", "name", "type", NULL };
  static const char * const version_members[] = {
    "context", "product", "number", "task", "author", "comment", "status", "state", "created_at",
    "published_at", "publisher_host", "publisher_pid", "metadata", "components", NULL
  };
  static const char * const task_ref_members[] = { "context", "name", NULL };
  static const char * const component_members[] = { "name", "location", "metadata", "files", NULL };
  static const char * const file_members[] = { "path", "size", NULL };
  g_autoptr(GHashTable) statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) locations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) contexts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) products = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) numbers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *document, *project;
  JsonArray *array;
  const char *text, *name;
  gboolean is_null;
  gint64 number;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return invalid (check, "$", _("expected an object, found %s"), type_of (root));
  document = json_node_get_object (root);
  has_links = json_object_has_member (document, "context_links") ||
              json_object_has_member (document, "version_links");
  if (!check_members (check, document, "$", has_links ? top_with_links : top) ||
      !get_string (check, document, "$", "format", FALSE, TRUE, &text))
    return FALSE;
  if (!g_str_equal (text, QI_PROJECT_FILE_FORMAT))
    return invalid (check, "$.format", _("“%s” is not a Qi project file (“%s”)"), text, QI_PROJECT_FILE_FORMAT);
  if (!get_int (check, document, "$", "version", FALSE, 1, &is_null, &number))
    return FALSE;
  if (number != FORMAT_VERSION)
    return invalid (check, "$.version", _("version %" G_GINT64_FORMAT " is not one this Qi reads (it reads %d)"),
                    number, FORMAT_VERSION);

  if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (document, "project")))
    return invalid (check, "$.project", _("expected an object, found %s"),
                    type_of (json_object_get_member (document, "project")));
  project = json_object_get_object_member (document, "project");
  if (!check_members (check, project, "$.project", project_members) ||
      !get_string (check, project, "$.project", "name", FALSE, TRUE, &text) ||
      !get_string (check, project, "$.project", "label", FALSE, FALSE, &text) ||
      !get_string (check, project, "$.project", "created_at", FALSE, TRUE, &text))
    return FALSE;

#define EACH(member, var, where) \
  if ((array = get_array (check, document, "$", member)) == NULL) return FALSE; \
  for (guint i = 0; i < json_array_get_length (array); i++) \
    { \
      g_autofree char *where = NULL; \
      JsonObject *var = get_element (check, array, "$." member, i, &where); \
      if (var == NULL) return FALSE;
#define END_EACH }

  EACH ("statuses", status, where)
    if (!check_members (check, status, where, status_members) ||
        !get_string (check, status, where, "name", FALSE, TRUE, &name) ||
        !get_string (check, status, where, "label", FALSE, FALSE, &text) ||
        !get_string (check, status, where, "state", FALSE, TRUE, &text) ||
        !declare (check, statuses, name, where, _("status")))
      return FALSE;
    if (!g_strv_contains (status_states, text))
      {
        g_autofree char *at = g_strconcat (where, ".state", NULL);

        return invalid (check, at, _("“%s” is not a state: not_started, in_progress, done or blocked"), text);
      }
  END_EACH

  EACH ("task_types", type, where)
    if (!check_members (check, type, where, type_members) ||
        !get_string (check, type, where, "name", FALSE, TRUE, &name) ||
        !get_string (check, type, where, "label", FALSE, FALSE, &text) ||
        !declare (check, types, name, where, _("task type")))
      return FALSE;
  END_EACH

  EACH ("locations", location, where)
    if (!check_members (check, location, where, location_members) ||
        !get_string (check, location, where, "name", FALSE, TRUE, &name) ||
        !get_string (check, location, where, "root", TRUE, FALSE, &text) ||
        !declare (check, locations, name, where, _("location")))
      return FALSE;
  END_EACH

  EACH ("users", user, where)
    if (!check_members (check, user, where, user_members) ||
        !get_string (check, user, where, "username", FALSE, TRUE, &name) ||
        !get_string (check, user, where, "full_name", FALSE, FALSE, &text) ||
        !get_string (check, user, where, "email", TRUE, FALSE, &text) ||
        !declare (check, users, name, where, _("user")))
      return FALSE;
  END_EACH

  EACH ("contexts", context, where)
    const char *path, *kind;
    g_autofree char *parent = NULL;
    g_autofree char *expected = NULL;

    if (!check_members (check, context, where, context_members) ||
        !get_string (check, context, where, "path", FALSE, TRUE, &path) ||
        !get_string (check, context, where, "kind", FALSE, TRUE, &kind) ||
        !get_string (check, context, where, "name", FALSE, TRUE, &name))
      return FALSE;
    if (!g_strv_contains (context_kinds, kind))
      {
        g_autofree char *at = g_strconcat (where, ".kind", NULL);

        return invalid (check, at, _("“%s” is not a kind: episode, sequence, shot, asset_build or folder"), kind);
      }
    parent = g_path_get_dirname (path);
    expected = g_str_equal (parent, "/") ? g_strconcat ("/", name, NULL) : g_strconcat (parent, "/", name, NULL);
    if (path[0] != '/' || strchr (name, '/') != NULL || !g_str_equal (path, expected))
      {
        g_autofree char *at = g_strconcat (where, ".path", NULL);

        return invalid (check, at, _("“%s” is not the path of “%s” (expected “%s”)"), path, name, expected);
      }
    if (!g_str_equal (parent, "/") && !g_hash_table_contains (contexts, parent))
      {
        g_autofree char *at = g_strconcat (where, ".path", NULL);

        return invalid (check, at, _("its parent “%s” does not come before it"), parent);
      }
    if (!declare (check, contexts, path, where, _("context")))
      return FALSE;
  END_EACH

  EACH ("tasks", task, where)
    const char *context, *type, *status, *assignee;
    g_autofree char *key = NULL;
    g_autofree char *at = NULL;

    if (!check_members (check, task, where, task_members) ||
        !get_string (check, task, where, "context", FALSE, TRUE, &context) ||
        !get_string (check, task, where, "name", FALSE, TRUE, &name) ||
        !get_string (check, task, where, "type", FALSE, TRUE, &type) ||
        !get_string (check, task, where, "status", FALSE, TRUE, &status) ||
        !get_string (check, task, where, "assignee", TRUE, FALSE, &assignee))
      return FALSE;
    at = g_strconcat (where, ".context", NULL);
    if (!refer (check, contexts, context, at, _("context")))
      return FALSE;
    g_free (at);
    at = g_strconcat (where, ".type", NULL);
    if (!refer (check, types, type, at, _("task type")))
      return FALSE;
    g_free (at);
    at = g_strconcat (where, ".status", NULL);
    if (!refer (check, statuses, status, at, _("status")))
      return FALSE;
    g_free (at);
    at = g_strconcat (where, ".assignee", NULL);
    if (!refer (check, users, assignee, at, _("user")))
      return FALSE;
    key = g_strconcat (context, "\n", name, NULL);
    if (!declare (check, tasks, key, where, _("task")))
      return FALSE;
  END_EACH

  EACH ("products", product, where)
    const char *context, *type;
    g_autofree char *key = NULL;
    g_autofree char *at = g_strconcat (where, ".context", NULL);

    if (!check_members (check, product, where, product_members) ||
        !get_string (check, product, where, "context", FALSE, TRUE, &context) ||
        !get_string (check, product, where, "name", FALSE, TRUE, &name) ||
        !get_string (check, product, where, "type", FALSE, TRUE, &type) ||
        !refer (check, contexts, context, at, _("context")))
      return FALSE;
    key = g_strconcat (context, "\n", name, NULL);
    if (!declare (check, products, key, where, _("product")))
      return FALSE;
  END_EACH

  EACH ("versions", version, where)
    const char *context, *product, *author, *status, *state;
    JsonNode *task = json_object_get_member (version, "task");
    JsonArray *components;
    g_autoptr(GHashTable) component_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *key = NULL;
    g_autofree char *numbered = NULL;
    g_autofree char *at = NULL;
    gint64 pid;

    if (!check_members (check, version, where, version_members) ||
        !get_string (check, version, where, "context", FALSE, TRUE, &context) ||
        !get_string (check, version, where, "product", FALSE, TRUE, &product) ||
        !get_int (check, version, where, "number", FALSE, 1, &is_null, &number) ||
        !get_string (check, version, where, "author", TRUE, FALSE, &author) ||
        !get_string (check, version, where, "comment", FALSE, FALSE, &text) ||
        !get_string (check, version, where, "status", TRUE, FALSE, &status) ||
        !get_string (check, version, where, "state", FALSE, TRUE, &state) ||
        !get_string (check, version, where, "created_at", FALSE, TRUE, &text) ||
        !get_string (check, version, where, "published_at", TRUE, FALSE, &text) ||
        !get_string (check, version, where, "publisher_host", TRUE, FALSE, &text) ||
        !get_int (check, version, where, "publisher_pid", TRUE, 0, &is_null, &pid) ||
        !check_metadata (check, version, where))
      return FALSE;
    key = g_strconcat (context, "\n", product, NULL);
    if (!g_hash_table_contains (products, key))
      {
        at = g_strconcat (where, ".product", NULL);
        return invalid (check, at, _("no product “%s” in “%s” in the file"), product, context);
      }
    numbered = g_strdup_printf ("%s\n%" G_GINT64_FORMAT, key, number);
    if (g_hash_table_contains (numbers, numbered))
      {
        at = g_strconcat (where, ".number", NULL);
        return invalid (check, at, _("version %" G_GINT64_FORMAT " of “%s” is given twice"), number, product);
      }
    g_hash_table_add (numbers, g_steal_pointer (&numbered));
    if (!g_str_equal (state, "pending") && !g_str_equal (state, "published"))
      {
        at = g_strconcat (where, ".state", NULL);
        return invalid (check, at, _("“%s” is not a state: pending or published"), state);
      }
    at = g_strconcat (where, ".author", NULL);
    if (!refer (check, users, author, at, _("user")))
      return FALSE;
    g_free (at);
    at = g_strconcat (where, ".status", NULL);
    if (!refer (check, statuses, status, at, _("status")))
      return FALSE;
    g_free (at);
    at = g_strconcat (where, ".task", NULL);
    if (task != NULL && !JSON_NODE_HOLDS_NULL (task))
      {
        const char *task_context, *task_name;
        g_autofree char *task_key = NULL;

        if (!JSON_NODE_HOLDS_OBJECT (task))
          return invalid (check, at, _("expected an object or null, found %s"), type_of (task));
        if (!check_members (check, json_node_get_object (task), at, task_ref_members) ||
            !get_string (check, json_node_get_object (task), at, "context", FALSE, TRUE, &task_context) ||
            !get_string (check, json_node_get_object (task), at, "name", FALSE, TRUE, &task_name))
          return FALSE;
        task_key = g_strconcat (task_context, "\n", task_name, NULL);
        if (!g_hash_table_contains (tasks, task_key))
          return invalid (check, at, _("no task “%s” in “%s” in the file"), task_name, task_context);
      }

    components = get_array (check, version, where, "components");
    if (components == NULL)
      return FALSE;
    for (guint j = 0; j < json_array_get_length (components); j++)
      {
        g_autofree char *component_path = NULL;
        g_autofree char *components_path = g_strconcat (where, ".components", NULL);
        JsonObject *component = get_element (check, components, components_path, j, &component_path);
        const char *location;
        JsonArray *files;
        g_autofree char *location_at = NULL;

        if (component == NULL ||
            !check_members (check, component, component_path, component_members) ||
            !get_string (check, component, component_path, "name", FALSE, TRUE, &name) ||
            !get_string (check, component, component_path, "location", FALSE, TRUE, &location) ||
            !check_metadata (check, component, component_path) ||
            !declare (check, component_names, name, component_path, _("component")))
          return FALSE;
        location_at = g_strconcat (component_path, ".location", NULL);
        if (!refer (check, locations, location, location_at, _("location")))
          return FALSE;
        files = get_array (check, component, component_path, "files");
        if (files == NULL)
          return FALSE;
        g_autoptr(GHashTable) file_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
        for (guint k = 0; k < json_array_get_length (files); k++)
          {
            g_autofree char *file_path = NULL;
            g_autofree char *files_path = g_strconcat (component_path, ".files", NULL);
            JsonObject *file = get_element (check, files, files_path, k, &file_path);
            gint64 size;

            if (file == NULL ||
                !check_members (check, file, file_path, file_members) ||
                !get_string (check, file, file_path, "path", FALSE, TRUE, &text) ||
                !get_int (check, file, file_path, "size", FALSE, 0, &is_null, &size) ||
                !declare (check, file_paths, text, file_path, _("file")))
              return FALSE;
          }
      }
  END_EACH

  if (!has_links)
    return TRUE;
  {
    g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    EACH ("context_links", link, where)
      const char *context, *uses;
      g_autofree char *key = NULL;
      g_autofree char *at = NULL;

      if (!check_members (check, link, where, context_link_members) ||
          !get_string (check, link, where, "context", FALSE, TRUE, &context) ||
          !get_string (check, link, where, "uses", FALSE, TRUE, &uses))
        return FALSE;
      at = g_strconcat (where, ".context", NULL);
      if (!refer (check, contexts, context, at, _("context")))
        return FALSE;
      g_free (at);
      at = g_strconcat (where, ".uses", NULL);
      if (!refer (check, contexts, uses, at, _("context")))
        return FALSE;
      if (g_str_equal (context, uses))
        return invalid (check, at, _("a context cannot use itself"));
      key = g_strconcat (context, "\n", uses, NULL);
      if (!g_hash_table_add (seen, g_steal_pointer (&key)))
        return invalid (check, where, _("“%s” uses “%s” twice in the file"), context, uses);
    END_EACH
  }
  {
    g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    EACH ("version_links", link, where)
      const char * const sides[] = { "version", "uses" };
      char *keys[2] = { NULL, NULL };
      g_autofree char *pair = NULL;

      if (!check_members (check, link, where, version_link_members))
        return FALSE;
      for (guint side = 0; side < 2; side++)
        {
          g_autofree char *at = g_strconcat (where, ".", sides[side], NULL);
          JsonNode *ref = json_object_get_member (link, sides[side]);
          const char *context, *product;
          gint64 ref_number;

          if (!JSON_NODE_HOLDS_OBJECT (ref))
            {
              g_free (keys[0]);
              return invalid (check, at, _("expected an object, found %s"), type_of (ref));
            }
          if (!check_members (check, json_node_get_object (ref), at, version_ref_members) ||
              !get_string (check, json_node_get_object (ref), at, "context", FALSE, TRUE, &context) ||
              !get_string (check, json_node_get_object (ref), at, "product", FALSE, TRUE, &product) ||
              !get_int (check, json_node_get_object (ref), at, "number", FALSE, 1, &is_null, &ref_number))
            {
              g_free (keys[0]);
              return FALSE;
            }
          keys[side] = g_strdup_printf ("%s\n%s\n%" G_GINT64_FORMAT, context, product, ref_number);
          if (!g_hash_table_contains (numbers, keys[side]))
            {
              g_free (keys[0]);
              g_free (keys[1]);
              return invalid (check, at, _("no version %" G_GINT64_FORMAT " of “%s” in “%s” in the file"),
                              ref_number, product, context);
            }
        }
      pair = g_strconcat (keys[0], "\n\n", keys[1], NULL);
      if (g_str_equal (keys[0], keys[1]))
        {
          g_free (keys[0]);
          g_free (keys[1]);
          return invalid (check, where, _("a version cannot use itself"));
        }
      g_free (keys[0]);
      g_free (keys[1]);
      if (!g_hash_table_add (seen, g_steal_pointer (&pair)))
        return invalid (check, where, _("the same link is given twice in the file"));
    END_EACH
  }

#undef EACH
#undef END_EACH
  return TRUE;
}

/* Import. */

static void
bind_string_or_null (sqlite3_stmt *stmt,
                     int           index,
                     JsonObject   *object,
                     const char   *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, json_node_get_string (node), -1, SQLITE_TRANSIENT);
}

static void
bind_json (sqlite3_stmt *stmt,
           int           index,
           JsonObject   *object,
           const char   *member)
{
  g_autofree char *text = qi_json_to_string (json_object_get_member (object, member), QI_JSON_WRITE_DEFAULT, NULL);

  sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

/* Runs @stmt once (then resets it); the new row's id. */
static gint64
step_insert (sqlite3       *db,
             sqlite3_stmt  *stmt,
             const char    *where,
             GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    {
      sql_error (db, where, error);
      return 0;
    }
  return sqlite3_last_insert_rowid (db);
}

static gint64
lookup (sqlite3     *db,
        const char  *sql,
        const char  *a,
        const char  *b,
        gint64       number)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return 0;
  if (a != NULL)
    sqlite3_bind_text (stmt, 1, a, -1, SQLITE_TRANSIENT);
  if (b != NULL)
    sqlite3_bind_text (stmt, 2, b, -1, SQLITE_TRANSIENT);
  else if (number > 0)
    sqlite3_bind_int64 (stmt, 2, number);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
}

static gboolean
write_document (sqlite3     *db,
                JsonObject  *document,
                const char  *source,
                GError     **error)
{
  JsonObject *project = json_object_get_object_member (document, "project");
  const char *name = json_object_get_string_member (project, "name");
  g_autoptr(GHashTable) context_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(sqlite3_stmt) insert = NULL;
  JsonArray *array;
  gint64 project_id;

  if (lookup (db, "SELECT id FROM projects WHERE name = ?1", name, NULL, 0) != 0)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                   _("%s: the tracker has a project “%s” already; import into a tracker without it. "
                     "Nothing was imported"), source, name);
      return FALSE;
    }

  insert = prepare (db, "INSERT INTO projects (name, label, created_at) VALUES (?1, ?2, ?3)", error);
  if (insert == NULL)
    return FALSE;
  sqlite3_bind_text (insert, 1, name, -1, SQLITE_TRANSIENT);
  bind_string_or_null (insert, 2, project, "label");
  bind_string_or_null (insert, 3, project, "created_at");
  if ((project_id = step_insert (db, insert, "$.project", error)) == 0)
    return FALSE;
  g_clear_pointer (&insert, sqlite3_finalize);

#define INSERT_EACH(member, sql, bind) \
  array = json_object_get_array_member (document, member); \
  insert = prepare (db, sql, error); \
  if (insert == NULL) return FALSE; \
  for (guint i = 0; i < json_array_get_length (array); i++) \
    { \
      JsonObject *item = json_array_get_object_element (array, i); \
      g_autofree char *where = g_strdup_printf ("%s: $." member "[%u]", source, i); \
      bind; \
      if (step_insert (db, insert, where, error) == 0 && *error != NULL) return FALSE; \
    } \
  g_clear_pointer (&insert, sqlite3_finalize);

  /* Shared by every project: one the tracker has already must be the same,
   * or the file would silently mean something else (a location's root). */
  {
    struct { const char *member; const char *key; const char *sql; const char *columns[3]; } shared[] = {
      { "statuses", "name", "SELECT label, state FROM statuses WHERE name = ?1", { "label", "state", NULL } },
      { "task_types", "name", "SELECT label FROM task_types WHERE name = ?1", { "label", NULL, NULL } },
      { "locations", "name", "SELECT root FROM locations WHERE name = ?1", { "root", NULL, NULL } },
      { "users", "username", "SELECT full_name, email FROM users WHERE username = ?1", { "full_name", "email", NULL } },
    };

    for (guint t = 0; t < G_N_ELEMENTS (shared); t++)
      {
        g_autoptr(sqlite3_stmt) existing = prepare (db, shared[t].sql, error);

        if (existing == NULL)
          return FALSE;
        array = json_object_get_array_member (document, shared[t].member);
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            JsonObject *item = json_array_get_object_element (array, i);
            const char *key = json_object_get_string_member (item, shared[t].key);

            sqlite3_bind_text (existing, 1, key, -1, SQLITE_TRANSIENT);
            if (sqlite3_step (existing) == SQLITE_ROW)
              for (guint c = 0; shared[t].columns[c] != NULL; c++)
                {
                  const char *theirs = (const char *) sqlite3_column_text (existing, c);
                  JsonNode *node = json_object_get_member (item, shared[t].columns[c]);
                  const char *ours = JSON_NODE_HOLDS_NULL (node) ? NULL : json_node_get_string (node);

                  if (g_strcmp0 (theirs, ours) != 0)
                    {
                      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                                   _("%s: $.%s[%u]: the tracker has “%s” with %s “%s”, the file “%s”; "
                                     "nothing was imported"), source, shared[t].member, i, key,
                                   shared[t].columns[c], theirs != NULL ? theirs : "null",
                                   ours != NULL ? ours : "null");
                      return FALSE;
                    }
                }
            sqlite3_reset (existing);
          }
      }
  }

  INSERT_EACH ("statuses", "INSERT OR IGNORE INTO statuses (name, label, state) VALUES (?1, ?2, ?3)",
               bind_string_or_null (insert, 1, item, "name"); bind_string_or_null (insert, 2, item, "label");
               bind_string_or_null (insert, 3, item, "state"))
  INSERT_EACH ("task_types", "INSERT OR IGNORE INTO task_types (name, label) VALUES (?1, ?2)",
               bind_string_or_null (insert, 1, item, "name"); bind_string_or_null (insert, 2, item, "label"))
  INSERT_EACH ("locations", "INSERT OR IGNORE INTO locations (name, root) VALUES (?1, ?2)",
               bind_string_or_null (insert, 1, item, "name"); bind_string_or_null (insert, 2, item, "root"))
  INSERT_EACH ("users", "INSERT OR IGNORE INTO users (username, full_name, email) VALUES (?1, ?2, ?3)",
               bind_string_or_null (insert, 1, item, "username"); bind_string_or_null (insert, 2, item, "full_name");
               bind_string_or_null (insert, 3, item, "email"))

  /* Contexts, parents first (the check saw to it). */
  array = json_object_get_array_member (document, "contexts");
  insert = prepare (db, "INSERT INTO contexts (project_id, parent_id, kind, name, path) VALUES (?1, ?2, ?3, ?4, ?5)",
                    error);
  if (insert == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = json_array_get_object_element (array, i);
      const char *path = json_object_get_string_member (item, "path");
      g_autofree char *parent = g_path_get_dirname (path);
      g_autofree char *where = g_strdup_printf ("%s: $.contexts[%u]", source, i);
      gint64 parent_id = GPOINTER_TO_SIZE (g_hash_table_lookup (context_ids, parent));
      gint64 id;

      sqlite3_bind_int64 (insert, 1, project_id);
      if (parent_id != 0)
        sqlite3_bind_int64 (insert, 2, parent_id);
      else
        sqlite3_bind_null (insert, 2);
      bind_string_or_null (insert, 3, item, "kind");
      bind_string_or_null (insert, 4, item, "name");
      sqlite3_bind_text (insert, 5, path, -1, SQLITE_TRANSIENT);
      if ((id = step_insert (db, insert, where, error)) == 0)
        return FALSE;
      g_hash_table_insert (context_ids, g_strdup (path), GSIZE_TO_POINTER (id));
    }
  g_clear_pointer (&insert, sqlite3_finalize);

#define CONTEXT_ID(item, member) \
  ((gint64) GPOINTER_TO_SIZE (g_hash_table_lookup (context_ids, json_object_get_string_member (item, member))))

  INSERT_EACH ("tasks",
               "INSERT INTO tasks (context_id, name, type_id, status_id, assignee_id) VALUES (?1, ?2, "
               "(SELECT id FROM task_types WHERE name = ?3), (SELECT id FROM statuses WHERE name = ?4), "
               "(SELECT id FROM users WHERE username = ?5))",
               sqlite3_bind_int64 (insert, 1, CONTEXT_ID (item, "context"));
               bind_string_or_null (insert, 2, item, "name"); bind_string_or_null (insert, 3, item, "type");
               bind_string_or_null (insert, 4, item, "status"); bind_string_or_null (insert, 5, item, "assignee"))
  INSERT_EACH ("products", "INSERT INTO products (context_id, name, type) VALUES (?1, ?2, ?3)",
               sqlite3_bind_int64 (insert, 1, CONTEXT_ID (item, "context"));
               bind_string_or_null (insert, 2, item, "name"); bind_string_or_null (insert, 3, item, "type"))

  /* Versions, with their components and files. */
  {
    g_autoptr(sqlite3_stmt) component = prepare (db,
      "INSERT INTO components (version_id, name, location_id, metadata) VALUES (?1, ?2, "
      "(SELECT id FROM locations WHERE name = ?3), ?4)", error);
    g_autoptr(sqlite3_stmt) file = component != NULL
      ? prepare (db, "INSERT INTO component_files (component_id, path, size) VALUES (?1, ?2, ?3)", error) : NULL;

    if (file == NULL)
      return FALSE;
    array = json_object_get_array_member (document, "versions");
    insert = prepare (db,
      "INSERT INTO versions (product_id, number, task_id, author_id, comment, status_id, state, created_at, "
      "  published_at, publisher_host, publisher_pid, metadata) VALUES ("
      "(SELECT id FROM products WHERE context_id = ?1 AND name = ?2), ?3, "
      "(SELECT t.id FROM tasks t WHERE t.context_id = ?4 AND t.name = ?5), "
      "(SELECT id FROM users WHERE username = ?6), ?7, (SELECT id FROM statuses WHERE name = ?8), ?9, ?10, "
      "?11, ?12, ?13, ?14)", error);
    if (insert == NULL)
      return FALSE;
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *item = json_array_get_object_element (array, i);
        JsonNode *task = json_object_get_member (item, "task");
        JsonArray *components = json_object_get_array_member (item, "components");
        g_autofree char *where = g_strdup_printf ("%s: $.versions[%u]", source, i);
        gint64 version_id;

        sqlite3_bind_int64 (insert, 1, CONTEXT_ID (item, "context"));
        bind_string_or_null (insert, 2, item, "product");
        sqlite3_bind_int64 (insert, 3, json_object_get_int_member (item, "number"));
        if (!JSON_NODE_HOLDS_NULL (task))
          {
            sqlite3_bind_int64 (insert, 4, CONTEXT_ID (json_node_get_object (task), "context"));
            bind_string_or_null (insert, 5, json_node_get_object (task), "name");
          }
        else
          {
            sqlite3_bind_null (insert, 4);
            sqlite3_bind_null (insert, 5);
          }
        bind_string_or_null (insert, 6, item, "author");
        bind_string_or_null (insert, 7, item, "comment");
        bind_string_or_null (insert, 8, item, "status");
        bind_string_or_null (insert, 9, item, "state");
        bind_string_or_null (insert, 10, item, "created_at");
        bind_string_or_null (insert, 11, item, "published_at");
        bind_string_or_null (insert, 12, item, "publisher_host");
        if (JSON_NODE_HOLDS_NULL (json_object_get_member (item, "publisher_pid")))
          sqlite3_bind_null (insert, 13);
        else
          sqlite3_bind_int64 (insert, 13, json_object_get_int_member (item, "publisher_pid"));
        bind_json (insert, 14, item, "metadata");
        if ((version_id = step_insert (db, insert, where, error)) == 0)
          return FALSE;

        for (guint j = 0; j < json_array_get_length (components); j++)
          {
            JsonObject *c = json_array_get_object_element (components, j);
            JsonArray *files = json_object_get_array_member (c, "files");
            g_autofree char *at = g_strdup_printf ("%s.components[%u]", where, j);
            gint64 component_id;

            sqlite3_bind_int64 (component, 1, version_id);
            bind_string_or_null (component, 2, c, "name");
            bind_string_or_null (component, 3, c, "location");
            bind_json (component, 4, c, "metadata");
            if ((component_id = step_insert (db, component, at, error)) == 0)
              return FALSE;
            for (guint k = 0; k < json_array_get_length (files); k++)
              {
                JsonObject *f = json_array_get_object_element (files, k);
                g_autofree char *file_at = g_strdup_printf ("%s.files[%u]", at, k);

                sqlite3_bind_int64 (file, 1, component_id);
                bind_string_or_null (file, 2, f, "path");
                sqlite3_bind_int64 (file, 3, json_object_get_int_member (f, "size"));
                if (step_insert (db, file, file_at, error) == 0)
                  return FALSE;
              }
          }
      }
    g_clear_pointer (&insert, sqlite3_finalize);
  }

  if (json_object_has_member (document, "context_links"))
    {
      INSERT_EACH ("context_links",
                   "INSERT INTO context_links (context_id, uses_id, created_at) "
                   "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                   sqlite3_bind_int64 (insert, 1, CONTEXT_ID (item, "context"));
                   sqlite3_bind_int64 (insert, 2, CONTEXT_ID (item, "uses")))
    }
  if (json_object_has_member (document, "version_links"))
    {
      INSERT_EACH ("version_links",
                   "INSERT INTO version_links (version_id, uses_id, created_at) VALUES ("
                   "(SELECT v.id FROM versions v JOIN products p ON p.id = v.product_id "
                   " WHERE p.context_id = ?1 AND p.name = ?2 AND v.number = ?3), "
                   "(SELECT v.id FROM versions v JOIN products p ON p.id = v.product_id "
                   " WHERE p.context_id = ?4 AND p.name = ?5 AND v.number = ?6), "
                   "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                   JsonObject *version = json_object_get_object_member (item, "version");
                   JsonObject *uses = json_object_get_object_member (item, "uses");
                   sqlite3_bind_int64 (insert, 1, CONTEXT_ID (version, "context"));
                   bind_string_or_null (insert, 2, version, "product");
                   sqlite3_bind_int64 (insert, 3, json_object_get_int_member (version, "number"));
                   sqlite3_bind_int64 (insert, 4, CONTEXT_ID (uses, "context"));
                   bind_string_or_null (insert, 5, uses, "product");
                   sqlite3_bind_int64 (insert, 6, json_object_get_int_member (uses, "number")))
    }
#undef INSERT_EACH
#undef CONTEXT_ID
  return TRUE;
}

/**
 * qi_sqlite_adapter_import_project:
 * @self: a #QiSqliteAdapter
 * @document: a project file, as qi_sqlite_adapter_export_project() writes
 * @source: (nullable): where @document comes from, for messages (a file name)
 * @error: return location for a #GError
 *
 * Imports a project file. The whole document is checked first — the
 * first field that is wrong is named by its JSON path — then written in
 * one transaction: a refused document, a project the tracker has already,
 * or a process killed halfway leaves the tracker as it was. Statuses,
 * task types, locations and users the tracker has already are kept.
 *
 * Returns: %TRUE if the project is imported; %FALSE with
 *   %QI_DB_ERROR_INVALID (the document), %QI_DB_ERROR_CONFLICT (the
 *   project exists) or another #QiDbError
 */
gboolean
qi_sqlite_adapter_import_project (QiSqliteAdapter  *self,
                                  JsonNode         *document,
                                  const char       *source,
                                  GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  Check check = { source != NULL ? source : "the project file", &local_error };
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (qi_sqlite_adapter_get_lock (self));
  sqlite3 *db;

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), FALSE);
  g_return_val_if_fail (document != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_document (&check, document))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  db = qi_sqlite_adapter_get_handle (self, &local_error);
  if (db == NULL || !exec (db, "BEGIN IMMEDIATE", &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!write_document (db, json_node_get_object (document), check.source, &local_error))
    {
      exec (db, "ROLLBACK", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return exec (db, "COMMIT", error);
}
