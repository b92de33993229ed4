/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "qi-sqlite-adapter-private.h"
#include "qi-sqlite-adapter.h"

/**
 * QiSqliteAdapter:
 *
 * The embedded tracker: a #QiDbAdapter over one SQLite file.
 *
 * The file is opened on first use (or by qi_sqlite_adapter_open()), so an
 * adapter costs nothing to a command that never reads the tracker. It is
 * opened in WAL mode with foreign keys on and a busy timeout of 5 s, so
 * that several processes (the app, a DCC, farm jobs) read while one
 * writes and writers wait for each other rather than fail. Every write is
 * one `BEGIN IMMEDIATE` transaction: a writer takes the write lock before
 * reading what it depends on (such as the highest version number), so
 * concurrent version creation never hands out a number twice, and a
 * killed writer leaves the file as it was before its transaction.
 *
 * The schema is versioned by `PRAGMA user_version` and migrated forward
 * when the file is opened, in one transaction; a file of a newer schema
 * than %QI_SQLITE_ADAPTER_SCHEMA_VERSION is refused. Statements are
 * prepared once per connection and cached.
 */

#define BUSY_TIMEOUT_MS 5000
#define DEFAULT_LOCATION "local"

struct _QiSqliteAdapter
{
  GObject     parent_instance;

  char       *path;
  sqlite3    *db;
  GHashTable *statements;   /* SQL text → sqlite3_stmt */
  GRecMutex   lock;         /* around every use of db (see below) */
  int         schema_version;
  gboolean    in_batch;     /* qi_sqlite_adapter_begin_batch() */
};

static void qi_sqlite_adapter_iface_init (QiDbAdapterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QiSqliteAdapter, qi_sqlite_adapter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QI_TYPE_DB_ADAPTER, qi_sqlite_adapter_iface_init))

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Migration 2: the local login (QiLocalAuthProvider). A password hash
 * (crypt(3) text, yescrypt) and roles per user; the users of a version 1
 * file become artists without a password. */
#define MIGRATION_LOGINS \
  "CREATE TABLE user_passwords (" \
  "  user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE," \
  "  hash TEXT NOT NULL CHECK (hash <> '')," \
  "  changed_at TEXT NOT NULL);" \
  "CREATE TABLE user_roles (" \
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  role TEXT NOT NULL CHECK (role IN ('artist', 'admin'))," \
  "  PRIMARY KEY (user_id, role)) WITHOUT ROWID;" \
  "INSERT INTO user_roles (user_id, role) SELECT id, 'artist' FROM users;"

/* Migration 3: links. A context uses others (a shot the asset builds cast
 * in it), a version uses others (the caches a scene loads). */
#define MIGRATION_LINKS \
  "CREATE TABLE context_links (" \
  "  context_id INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE," \
  "  uses_id INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE," \
  "  created_at TEXT NOT NULL," \
  "  PRIMARY KEY (context_id, uses_id), CHECK (context_id <> uses_id)) WITHOUT ROWID;" \
  "CREATE INDEX context_links_used ON context_links (uses_id);" \
  "CREATE TABLE version_links (" \
  "  version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE," \
  "  uses_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE," \
  "  created_at TEXT NOT NULL," \
  "  PRIMARY KEY (version_id, uses_id), CHECK (version_id <> uses_id)) WITHOUT ROWID;" \
  "CREATE INDEX version_links_used ON version_links (uses_id);"

/* Migrations: migrations[i] brings a file from schema version i to i + 1. */
static const char * const migrations[] = {
  /* 1: the schema */
  "CREATE TABLE projects ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  label TEXT NOT NULL,"
  "  created_at TEXT NOT NULL);"
  "CREATE TABLE contexts ("
  "  id INTEGER PRIMARY KEY,"
  "  project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,"
  "  parent_id INTEGER REFERENCES contexts (id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('episode', 'sequence', 'shot', 'asset_build', 'folder')),"
  "  name TEXT NOT NULL,"
  "  path TEXT NOT NULL,"
  "  UNIQUE (project_id, path));"
  "CREATE INDEX contexts_children ON contexts (project_id, parent_id, name);"
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  full_name TEXT NOT NULL,"
  "  email TEXT);"
  "CREATE TABLE statuses ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  label TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('not_started', 'in_progress', 'done', 'blocked')));"
  "CREATE TABLE task_types ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  label TEXT NOT NULL);"
  "CREATE TABLE tasks ("
  "  id INTEGER PRIMARY KEY,"
  "  context_id INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  type_id INTEGER NOT NULL REFERENCES task_types (id),"
  "  status_id INTEGER NOT NULL REFERENCES statuses (id),"
  "  assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,"
  "  UNIQUE (context_id, name));"
  "CREATE INDEX tasks_assignee ON tasks (assignee_id);"
  "CREATE TABLE products ("
  "  id INTEGER PRIMARY KEY,"
  "  context_id INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  UNIQUE (context_id, name));"
  "CREATE INDEX products_type ON products (context_id, type);"
  "CREATE TABLE locations ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  root TEXT);"
  "CREATE TABLE versions ("
  "  id INTEGER PRIMARY KEY,"
  "  product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,"
  "  number INTEGER NOT NULL CHECK (number > 0),"
  "  task_id INTEGER REFERENCES tasks (id) ON DELETE SET NULL,"
  "  author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,"
  "  comment TEXT NOT NULL DEFAULT '',"
  "  status_id INTEGER REFERENCES statuses (id),"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'published')),"
  "  created_at TEXT NOT NULL,"
  "  published_at TEXT,"
  "  publisher_host TEXT,"
  "  publisher_pid INTEGER,"
  "  metadata TEXT NOT NULL DEFAULT '{}',"
  "  UNIQUE (product_id, number));"
  /* latest (published) version of a product: one seek */
  "CREATE INDEX versions_latest ON versions (product_id, state, number);"
  "CREATE INDEX versions_task ON versions (task_id);"
  "CREATE INDEX versions_pending ON versions (created_at) WHERE state = 'pending';"
  "CREATE TABLE components ("
  "  id INTEGER PRIMARY KEY,"
  "  version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  location_id INTEGER NOT NULL REFERENCES locations (id),"
  "  metadata TEXT NOT NULL DEFAULT '{}',"
  "  UNIQUE (version_id, name));"
  "CREATE TABLE component_files ("
  "  id INTEGER PRIMARY KEY,"
  "  component_id INTEGER NOT NULL REFERENCES components (id) ON DELETE CASCADE,"
  "  path TEXT NOT NULL,"
  "  size INTEGER NOT NULL CHECK (size >= 0),"
  "  UNIQUE (component_id, path));"
  "INSERT INTO statuses (name, label, state) VALUES"
  "  ('not_started', 'Not started', 'not_started'),"
  "  ('ready', 'Ready to start', 'not_started'),"
  "  ('in_progress', 'In progress', 'in_progress'),"
  "  ('pending_review', 'Pending review', 'in_progress'),"
  "  ('approved', 'Approved', 'done'),"
  "  ('on_hold', 'On hold', 'blocked'),"
  "  ('omitted', 'Omitted', 'blocked');"
  "INSERT INTO task_types (name, label) VALUES"
  "  ('layout', 'Layout'), ('anim', 'Animation'), ('fx', 'FX'), ('lighting', 'Lighting'),"
  "  ('comp', 'Compositing'), ('model', 'Modeling'), ('rig', 'Rigging'),"
  "  ('lookdev', 'Look development'), ('matchmove', 'Matchmove'), ('roto', 'Roto');"
  "INSERT INTO locations (name, root) VALUES ('" DEFAULT_LOCATION "', NULL);",
  /* 1 → 2 */
  MIGRATION_LOGINS,
  /* 2 → 3 */
  MIGRATION_LINKS,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == QI_SQLITE_ADAPTER_SCHEMA_VERSION);

#define NOW "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/* Errors. */

static gboolean
set_error_rc (QiSqliteAdapter  *self,
              int               rc,
              const char       *what,
              GError          **error)
{
  const char *message = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);
  QiDbError code;

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = QI_DB_ERROR_BUSY;
      message = _("another process held the tracker for longer than 5 s");
      break;
    case SQLITE_CONSTRAINT:
      code = rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
             ? QI_DB_ERROR_CONFLICT : QI_DB_ERROR_INVALID;
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = QI_DB_ERROR_SCHEMA;
      message = _("the file is not a SQLite database, or it is damaged");
      break;
    default:
      code = QI_DB_ERROR_IO;
      break;
    }
  g_set_error (error, QI_DB_ERROR, code, "%s: %s: %s", self->path, what, message);
  return FALSE;
}

/* Statements: prepared once, reset before each use. */

static sqlite3_stmt *
prepare (QiSqliteAdapter  *self,
         const char       *sql,
         GError          **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_error_rc (self, rc, _("cannot prepare a statement"), error);
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static void
bind_id (sqlite3_stmt *stmt,
         int           index,
         gint64        id)
{
  if (id <= 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_int64 (stmt, index, id);
}

/* Steps a statement that returns no row (or whose rows do not matter). */
static gboolean
run (QiSqliteAdapter  *self,
     sqlite3_stmt     *stmt,
     const char       *what,
     GError          **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    set_error_rc (self, rc, what, error);
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
exec (QiSqliteAdapter  *self,
      const char       *sql,
      const char       *what,
      GError          **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return set_error_rc (self, sqlite3_extended_errcode (self->db), what, error);
  return TRUE;
}

/* Each write is one transaction; inside a batch, a savepoint of the
 * batch's transaction, so that a failing write undoes only itself. */
static gboolean
begin (QiSqliteAdapter  *self,
       GError          **error)
{
  sqlite3_stmt *stmt;

  /* SQLite rolled the batch's transaction back itself (a full disk, an
   * I/O error): a savepoint now would start a transaction of its own and
   * commit what the batch meant to be all or nothing. */
  if (self->in_batch && sqlite3_get_autocommit (self->db))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_IO,
                   _("%s: the batch of writes was rolled back by SQLite; nothing of it was kept"), self->path);
      return FALSE;
    }
  stmt = prepare (self, self->in_batch ? "SAVEPOINT qi_write" : "BEGIN IMMEDIATE", error);
  return stmt != NULL && run (self, stmt, _("cannot start a transaction"), error);
}

static gboolean
commit (QiSqliteAdapter  *self,
        GError          **error)
{
  sqlite3_stmt *stmt = prepare (self, self->in_batch ? "RELEASE qi_write" : "COMMIT", error);

  return stmt != NULL && run (self, stmt, _("cannot commit"), error);
}

static void
rollback (QiSqliteAdapter *self)
{
  if (self->in_batch)
    sqlite3_exec (self->db, "ROLLBACK TO qi_write; RELEASE qi_write", NULL, NULL, NULL);
  else if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Opening and migrating. */

static int
read_user_version (QiSqliteAdapter  *self,
                   GError          **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL);
  int version = -1;

  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    set_error_rc (self, rc, _("cannot read the schema version"), error);
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
check_schema_version (QiSqliteAdapter  *self,
                      int               version,
                      GError          **error)
{
  if (version > QI_SQLITE_ADAPTER_SCHEMA_VERSION)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_SCHEMA,
                   _("%s has schema version %d, newer than this Qi knows (%d): "
                     "use the Qi that wrote it, or a newer one"),
                   self->path, version, QI_SQLITE_ADAPTER_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
migrate (QiSqliteAdapter  *self,
         GError          **error)
{
  int version = read_user_version (self, error);

  if (version < 0 || !check_schema_version (self, version, error))
    return FALSE;
  if (version == QI_SQLITE_ADAPTER_SCHEMA_VERSION)
    {
      self->schema_version = version;
      return TRUE;
    }

  /* Another process may be migrating too: read again under the lock. */
  if (!exec (self, "BEGIN IMMEDIATE", _("cannot start the migration"), error))
    return FALSE;
  version = read_user_version (self, error);
  if (version < 0 || !check_schema_version (self, version, error))
    {
      rollback (self);
      return FALSE;
    }
  for (int v = version; v < QI_SQLITE_ADAPTER_SCHEMA_VERSION; v++)
    {
      g_autofree char *what = g_strdup_printf (_("cannot migrate the schema to version %d"), v + 1);

      g_debug ("%s: migrating the schema from version %d to %d", self->path, v, v + 1);
      if (!exec (self, migrations[v], what, error))
        {
          rollback (self);
          return FALSE;
        }
    }
  {
    g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d", QI_SQLITE_ADAPTER_SCHEMA_VERSION);

    if (!exec (self, sql, _("cannot write the schema version"), error) ||
        !exec (self, "COMMIT", _("cannot commit the migration"), error))
      {
        rollback (self);
        return FALSE;
      }
  }
  self->schema_version = QI_SQLITE_ADAPTER_SCHEMA_VERSION;
  return TRUE;
}

/**
 * qi_sqlite_adapter_open:
 * @self: a #QiSqliteAdapter
 * @error: return location for a #GError
 *
 * Opens the tracker's file, creating it and its folder if need be, and
 * migrates its schema to %QI_SQLITE_ADAPTER_SCHEMA_VERSION. Every other
 * call opens the file on first use; this one is for reporting a problem
 * early. Opening an open adapter does nothing.
 *
 * Returns: %TRUE, or %FALSE if the file cannot be opened, is not a
 *   tracker, or has a newer schema (%QI_DB_ERROR_SCHEMA)
 */
gboolean
qi_sqlite_adapter_open (QiSqliteAdapter  *self,
                        GError          **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_autofree char *folder = NULL;
  g_autoptr(GError) local_error = NULL;
  int rc;

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->db != NULL)
    return TRUE;

  folder = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_IO, _("cannot create the folder %s: %s"),
                   folder, g_strerror (saved_errno));
      return FALSE;
    }

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_error_rc (self, rc, _("cannot open the tracker"), error);
      qi_sqlite_adapter_close (self);
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* WAL: readers never wait for the writer; NORMAL synchronous: a
   * commit survives the process being killed (a power cut may lose the
   * last ones, never the file's consistency). */
  if (!exec (self, "PRAGMA journal_mode = WAL", _("cannot turn on WAL mode"), &local_error) ||
      !exec (self, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
             _("cannot set up the connection"), &local_error) ||
      !migrate (self, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      qi_sqlite_adapter_close (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
ensure_open (QiSqliteAdapter  *self,
             GError          **error)
{
  return self->db != NULL || qi_sqlite_adapter_open (self, error);
}

/* Input checks. */

/* An id as this tracker gives them out: a positive decimal number, as a
 * string, without sign, blanks or leading zeros. %NULL is 0, no id. Any
 * other text cannot name anything here: not found. */
static gboolean
parse_id (const char  *what,
          const char  *text,
          gint64      *id,
          GError     **error)
{
  guint64 value = 0;

  *id = 0;
  if (text == NULL)
    return TRUE;
  if (text[0] < '1' || text[0] > '9' ||
      !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    {
      g_autofree char *shown = g_utf8_validate (text, -1, NULL)
                               ? g_utf8_substring (text, 0, MIN (g_utf8_strlen (text, -1), 40))
                               : g_strdup ("?");

      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND,
                   _("no %s with id “%s”: this tracker's ids are numbers such as “7”"), what, shown);
      return FALSE;
    }
  *id = (gint64) value;
  return TRUE;
}

static gboolean
check_id (const char  *what,
          gint64       id,
          GError     **error)
{
  if (id <= 0)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("the %s id must be a positive integer, not %" G_GINT64_FORMAT), what, id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
not_found (GError     **error,
           const char  *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
not_found (GError     **error,
           const char  *format,
           ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND, message);
  return FALSE;
}

/* Looks one id up: SQL with one text or integer parameter, 0 if no row,
 * -1 on error. */
static gint64
lookup_id (QiSqliteAdapter  *self,
           const char       *sql,
           const char       *text,
           gint64            number,
           GError          **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, error);
  gint64 id = 0;
  int rc;

  if (stmt == NULL)
    return -1;
  if (text != NULL)
    bind_text (stmt, 1, text);
  else
    sqlite3_bind_int64 (stmt, 1, number);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    {
      set_error_rc (self, rc, _("cannot read"), error);
      id = -1;
    }
  sqlite3_reset (stmt);
  return id;
}

static gint64
project_id (QiSqliteAdapter  *self,
            const char       *project,
            GError          **error)
{
  gint64 id;

  if (!qi_db_check_name ("project name", project, error))
    return -1;
  id = lookup_id (self, "SELECT id FROM projects WHERE name = ?", project, 0, error);
  if (id == 0)
    {
      not_found (error, _("no project “%s”"), project);
      return -1;
    }
  return id;
}

/* Rows → JSON. */

static void
set_text (JsonObject   *object,
          const char   *name,
          sqlite3_stmt *stmt,
          int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    json_object_set_null_member (object, name);
  else
    json_object_set_string_member (object, name, (const char *) sqlite3_column_text (stmt, column));
}

static void
set_int (JsonObject   *object,
         const char   *name,
         sqlite3_stmt *stmt,
         int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    json_object_set_null_member (object, name);
  else
    json_object_set_int_member (object, name, sqlite3_column_int64 (stmt, column));
}

static void
set_json (JsonObject   *object,
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

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_clear_pointer (&node, json_node_unref);
      node = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (node, json_object_new ());
    }
  json_object_set_member (object, name, node);
}

/* Ids go out as strings (QiDbAdapter's ids are opaque): the row id in
 * decimal, or null. */
static void
set_id (JsonObject   *object,
        const char   *name,
        sqlite3_stmt *stmt,
        int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    json_object_set_null_member (object, name);
  else
    {
      char text[G_ASCII_DTOSTR_BUF_SIZE];

      g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, column));
      json_object_set_string_member (object, name, text);
    }
}

typedef JsonObject *(*RowFunc) (QiSqliteAdapter *self, sqlite3_stmt *stmt, GError **error);

#define PROJECT_SELECT "SELECT p.id, p.name, p.label, p.created_at FROM projects p "

static JsonObject *
project_row (QiSqliteAdapter  *self,
             sqlite3_stmt     *stmt,
             GError          **error)
{
  JsonObject *object = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_text (object, "name", stmt, 1);
  set_text (object, "label", stmt, 2);
  set_text (object, "created_at", stmt, 3);
  return object;
}

#define CONTEXT_SELECT \
  "SELECT c.id, p.name, c.parent_id, c.kind, c.name, c.path " \
  "FROM contexts c JOIN projects p ON p.id = c.project_id "

static JsonObject *
context_row (QiSqliteAdapter  *self,
             sqlite3_stmt     *stmt,
             GError          **error)
{
  JsonObject *object = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_text (object, "project", stmt, 1);
  set_id (object, "parent", stmt, 2);
  set_text (object, "kind", stmt, 3);
  set_text (object, "name", stmt, 4);
  set_text (object, "path", stmt, 5);
  return object;
}

#define TASK_SELECT \
  "SELECT t.id, p.name, t.context_id, c.path, t.name, tt.name, s.name, u.username " \
  "FROM tasks t JOIN contexts c ON c.id = t.context_id JOIN projects p ON p.id = c.project_id " \
  "JOIN task_types tt ON tt.id = t.type_id JOIN statuses s ON s.id = t.status_id " \
  "LEFT JOIN users u ON u.id = t.assignee_id "

static JsonObject *
task_row (QiSqliteAdapter  *self,
          sqlite3_stmt     *stmt,
          GError          **error)
{
  JsonObject *object = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_text (object, "project", stmt, 1);
  set_id (object, "context", stmt, 2);
  set_text (object, "context_path", stmt, 3);
  set_text (object, "name", stmt, 4);
  set_text (object, "type", stmt, 5);
  set_text (object, "status", stmt, 6);
  set_text (object, "assignee", stmt, 7);
  return object;
}

#define PRODUCT_SELECT \
  "SELECT pr.id, p.name, pr.context_id, c.path, pr.name, pr.type " \
  "FROM products pr JOIN contexts c ON c.id = pr.context_id JOIN projects p ON p.id = c.project_id "

static JsonObject *
product_row (QiSqliteAdapter  *self,
             sqlite3_stmt     *stmt,
             GError          **error)
{
  JsonObject *object = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_text (object, "project", stmt, 1);
  set_id (object, "context", stmt, 2);
  set_text (object, "context_path", stmt, 3);
  set_text (object, "name", stmt, 4);
  set_text (object, "type", stmt, 5);
  return object;
}

#define VERSION_COLUMNS \
  "v.id, v.product_id, pr.name, pr.type, v.number, v.task_id, u.username, v.comment, s.name, " \
  "v.state, v.created_at, v.published_at, v.publisher_host, v.publisher_pid, v.metadata "
#define VERSION_JOINS \
  "JOIN products pr ON pr.id = v.product_id LEFT JOIN users u ON u.id = v.author_id " \
  "LEFT JOIN statuses s ON s.id = v.status_id "
#define VERSION_SELECT "SELECT " VERSION_COLUMNS "FROM versions v " VERSION_JOINS

static JsonObject *
version_row (QiSqliteAdapter  *self,
             sqlite3_stmt     *stmt,
             GError          **error)
{
  JsonObject *object = json_object_new ();
  JsonObject *publisher = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_id (object, "product", stmt, 1);
  set_text (object, "product_name", stmt, 2);
  set_text (object, "product_type", stmt, 3);
  set_int (object, "number", stmt, 4);
  set_id (object, "task", stmt, 5);
  set_text (object, "author", stmt, 6);
  set_text (object, "comment", stmt, 7);
  set_text (object, "status", stmt, 8);
  set_text (object, "state", stmt, 9);
  set_text (object, "created_at", stmt, 10);
  set_text (object, "published_at", stmt, 11);
  set_text (publisher, "host", stmt, 12);
  set_int (publisher, "pid", stmt, 13);
  json_object_set_object_member (object, "publisher", publisher);
  set_json (object, "metadata", stmt, 14);
  return object;
}

static JsonObject *
user_row (QiSqliteAdapter  *self,
          sqlite3_stmt     *stmt,
          GError          **error)
{
  JsonObject *object = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_text (object, "username", stmt, 1);
  set_text (object, "full_name", stmt, 2);
  set_text (object, "email", stmt, 3);
  return object;
}

static JsonObject *
status_row (QiSqliteAdapter  *self,
            sqlite3_stmt     *stmt,
            GError          **error)
{
  JsonObject *object = json_object_new ();

  set_text (object, "name", stmt, 0);
  set_text (object, "label", stmt, 1);
  set_text (object, "state", stmt, 2);
  return object;
}

static JsonObject *
task_type_row (QiSqliteAdapter  *self,
               sqlite3_stmt     *stmt,
               GError          **error)
{
  JsonObject *object = json_object_new ();

  set_text (object, "name", stmt, 0);
  set_text (object, "label", stmt, 1);
  return object;
}

static JsonObject *
location_row (QiSqliteAdapter  *self,
              sqlite3_stmt     *stmt,
              GError          **error)
{
  JsonObject *object = json_object_new ();

  set_id (object, "id", stmt, 0);
  set_text (object, "name", stmt, 1);
  set_text (object, "root", stmt, 2);
  return object;
}

/* Steps a bound statement into an array of row objects. */
static JsonNode *
collect (QiSqliteAdapter  *self,
         sqlite3_stmt     *stmt,
         RowFunc           row,
         GError          **error)
{
  g_autoptr(JsonArray) array = json_array_new ();
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *object = row (self, stmt, error);

      if (object == NULL)
        {
          sqlite3_reset (stmt);
          return NULL;
        }
      json_array_add_object_element (array, object);
    }
  if (rc != SQLITE_DONE)
    {
      set_error_rc (self, rc, _("cannot read"), error);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return json_node_init_array (json_node_alloc (), array);
}

/* Steps a bound statement into its one row's object; none is NOT_FOUND
 * with @missing. */
static JsonNode *
collect_one (QiSqliteAdapter  *self,
             sqlite3_stmt     *stmt,
             RowFunc           row,
             const char       *missing,
             GError          **error)
{
  g_autoptr(JsonNode) array = collect (self, stmt, row, error);
  JsonArray *rows;

  if (array == NULL)
    return NULL;
  rows = json_node_get_array (array);
  if (json_array_get_length (rows) == 0)
    {
      not_found (error, "%s", missing);
      return NULL;
    }
  return json_node_copy (json_array_get_element (rows, 0));
}

static JsonNode *
list_all (QiSqliteAdapter  *self,
          const char       *sql,
          RowFunc           row,
          GError          **error)
{
  sqlite3_stmt *stmt;

  if (!ensure_open (self, error) || (stmt = prepare (self, sql, error)) == NULL)
    return NULL;
  return collect (self, stmt, row, error);
}

/* Projects. */

static JsonNode *
sqlite_list_projects (QiDbAdapter  *adapter,
                      GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&QI_SQLITE_ADAPTER (adapter)->lock);

  return list_all (QI_SQLITE_ADAPTER (adapter), PROJECT_SELECT "ORDER BY p.name", project_row, error);
}

static JsonNode *
sqlite_get_project (QiDbAdapter  *adapter,
                    const char   *name,
                    GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *missing = NULL;
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || !qi_db_check_name ("project name", name, error) ||
      (stmt = prepare (self, PROJECT_SELECT "WHERE p.name = ?", error)) == NULL)
    return NULL;
  bind_text (stmt, 1, name);
  missing = g_strdup_printf (_("no project “%s”"), name);
  return collect_one (self, stmt, project_row, missing, error);
}

/* Runs one INSERT in a transaction of its own; returns the new row's id,
 * or 0. @conflict words a unique constraint's failure. */
static gint64
insert_one (QiSqliteAdapter  *self,
            sqlite3_stmt     *stmt,
            const char       *conflict,
            GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 id;

  if (!run (self, stmt, _("cannot write"), &local_error))
    {
      if (g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT))
        g_set_error_literal (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT, conflict);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return 0;
    }
  id = sqlite3_last_insert_rowid (self->db);
  return id;
}

static JsonNode *
sqlite_create_project (QiDbAdapter  *adapter,
                       const char   *name,
                       const char   *label,
                       GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *conflict = NULL;
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || !qi_db_check_name ("project name", name, error) ||
      (stmt = prepare (self, "INSERT INTO projects (name, label, created_at) VALUES (?, ?, " NOW ")",
                       error)) == NULL)
    return NULL;
  bind_text (stmt, 1, name);
  bind_text (stmt, 2, label != NULL ? label : name);
  conflict = g_strdup_printf (_("there is a project “%s” already"), name);
  if (insert_one (self, stmt, conflict, error) == 0)
    return NULL;
  return sqlite_get_project (adapter, name, error);
}

/* Contexts. */

static JsonNode *
get_context (QiSqliteAdapter  *self,
             gint64            id,
             GError          **error)
{
  g_autofree char *missing = g_strdup_printf (_("no context with id %" G_GINT64_FORMAT), id);
  sqlite3_stmt *stmt = prepare (self, CONTEXT_SELECT "WHERE c.id = ?", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  return collect_one (self, stmt, context_row, missing, error);
}

static JsonNode *
sqlite_list_contexts (QiDbAdapter  *adapter,
                      const char   *project,
                      const char   *parent_id,
                      GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 parent;
  sqlite3_stmt *stmt;
  gint64 pid;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("parent context", parent_id, &parent, error))
    return NULL;
  if (!ensure_open (self, error) || (pid = project_id (self, project, error)) < 0)
    return NULL;
  if (parent < 0)
    {
      check_id ("parent context", parent, error);
      return NULL;
    }
  if (parent > 0)
    {
      g_autoptr(JsonNode) context = get_context (self, parent, error);

      if (context == NULL)
        return NULL;
      if (g_strcmp0 (json_object_get_string_member (json_node_get_object (context), "project"), project) != 0)
        {
          not_found (error, _("no context with id %" G_GINT64_FORMAT " in project “%s”"), parent, project);
          return NULL;
        }
    }
  stmt = prepare (self, CONTEXT_SELECT "WHERE c.project_id = ?1 AND c.parent_id IS ?2 ORDER BY c.name", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pid);
  bind_id (stmt, 2, parent);
  return collect (self, stmt, context_row, error);
}

static JsonNode *
sqlite_list_all_contexts (QiDbAdapter  *adapter,
                          const char   *project,
                          GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  sqlite3_stmt *stmt;
  gint64 pid;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || (pid = project_id (self, project, error)) < 0)
    return NULL;
  stmt = prepare (self, CONTEXT_SELECT "WHERE c.project_id = ? ORDER BY c.path", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pid);
  return collect (self, stmt, context_row, error);
}

static JsonNode *
sqlite_lookup_context (QiDbAdapter  *adapter,
                       const char   *project,
                       const char   *path,
                       GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *normal = NULL;
  g_autofree char *missing = NULL;
  sqlite3_stmt *stmt;
  gint64 pid;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || (pid = project_id (self, project, error)) < 0 ||
      (normal = qi_db_normalize_path (path, error)) == NULL ||
      (stmt = prepare (self, CONTEXT_SELECT "WHERE c.project_id = ? AND c.path = ?", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pid);
  bind_text (stmt, 2, normal);
  missing = g_strdup_printf (_("no context “%s” in project “%s”"), normal, project);
  return collect_one (self, stmt, context_row, missing, error);
}

static JsonNode *
sqlite_create_context (QiDbAdapter  *adapter,
                       const char   *project,
                       const char   *parent_id,
                       const char   *kind,
                       const char   *name,
                       GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 parent;
  g_autofree char *path = NULL;
  g_autofree char *conflict = NULL;
  sqlite3_stmt *stmt;
  gint64 pid, id;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("parent context", parent_id, &parent, error))
    return NULL;
  if (!ensure_open (self, error) || (pid = project_id (self, project, error)) < 0 ||
      !qi_db_check_kind (kind, error) || !qi_db_check_name ("context name", name, error))
    return NULL;
  if (parent < 0)
    {
      check_id ("parent context", parent, error);
      return NULL;
    }
  if (parent > 0)
    {
      g_autoptr(JsonNode) node = get_context (self, parent, error);
      JsonObject *object;

      if (node == NULL)
        return NULL;
      object = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member (object, "project"), project) != 0)
        {
          not_found (error, _("no context with id %" G_GINT64_FORMAT " in project “%s”"), parent, project);
          return NULL;
        }
      path = g_strconcat (json_object_get_string_member (object, "path"), "/", name, NULL);
    }
  else
    path = g_strconcat ("/", name, NULL);

  stmt = prepare (self, "INSERT INTO contexts (project_id, parent_id, kind, name, path) VALUES (?, ?, ?, ?, ?)",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pid);
  bind_id (stmt, 2, parent);
  bind_text (stmt, 3, kind);
  bind_text (stmt, 4, name);
  bind_text (stmt, 5, path);
  conflict = g_strdup_printf (_("project “%s” has a context “%s” already"), project, path);
  if ((id = insert_one (self, stmt, conflict, error)) == 0)
    return NULL;
  return get_context (self, id, error);
}

/* Tasks. */

static gint64
user_id (QiSqliteAdapter  *self,
         const char       *username,
         GError          **error)
{
  gint64 id;

  if (!qi_db_check_name ("username", username, error))
    return -1;
  id = lookup_id (self, "SELECT id FROM users WHERE username = ?", username, 0, error);
  if (id == 0)
    {
      not_found (error, _("no user “%s”"), username);
      return -1;
    }
  return id;
}

static gint64
status_id (QiSqliteAdapter  *self,
           const char       *status,
           GError          **error)
{
  gint64 id;

  if (!qi_db_check_name ("status", status, error))
    return -1;
  id = lookup_id (self, "SELECT id FROM statuses WHERE name = ?", status, 0, error);
  if (id == 0)
    {
      not_found (error, _("no status “%s”"), status);
      return -1;
    }
  return id;
}

static gboolean
exists (QiSqliteAdapter  *self,
        const char       *sql,
        const char       *what,
        gint64            id,
        GError          **error)
{
  gint64 found;

  if (!check_id (what, id, error))
    return FALSE;
  found = lookup_id (self, sql, NULL, id, error);
  if (found == 0)
    return not_found (error, _("no %s with id %" G_GINT64_FORMAT), what, id);
  return found > 0;
}

#define CONTEXT_EXISTS "SELECT id FROM contexts WHERE id = ?"
#define PRODUCT_EXISTS "SELECT id FROM products WHERE id = ?"
#define TASK_EXISTS "SELECT id FROM tasks WHERE id = ?"

static JsonNode *
get_task (QiSqliteAdapter  *self,
          gint64            id,
          GError          **error)
{
  g_autofree char *missing = g_strdup_printf (_("no task with id %" G_GINT64_FORMAT), id);
  sqlite3_stmt *stmt = prepare (self, TASK_SELECT "WHERE t.id = ?", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  return collect_one (self, stmt, task_row, missing, error);
}

static JsonNode *
sqlite_list_tasks (QiDbAdapter  *adapter,
                   const char   *project,
                   const char   *context_id,
                   const char   *assignee,
                   GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 context;
  g_autoptr(GString) sql = g_string_new (TASK_SELECT "WHERE 1");
  gint64 pid = 0, uid = 0;
  sqlite3_stmt *stmt;
  int n = 0;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error))
    return NULL;
  if (!ensure_open (self, error))
    return NULL;
  if (context == 0 && assignee == NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("listing tasks needs a context or an assignee"));
      return NULL;
    }
  if (project != NULL && (pid = project_id (self, project, error)) < 0)
    return NULL;
  if (context != 0 && !exists (self, CONTEXT_EXISTS, "context", context, error))
    return NULL;
  if (assignee != NULL && (uid = user_id (self, assignee, error)) < 0)
    return NULL;

  if (pid > 0)
    g_string_append (sql, " AND c.project_id = ?1");
  if (context > 0)
    g_string_append (sql, " AND t.context_id = ?2");
  if (uid > 0)
    g_string_append (sql, " AND t.assignee_id = ?3");
  g_string_append (sql, " ORDER BY p.name, c.path, t.name");
  if ((stmt = prepare (self, sql->str, error)) == NULL)
    return NULL;
  n = sqlite3_bind_parameter_count (stmt);
  if (pid > 0)
    sqlite3_bind_int64 (stmt, 1, pid);
  if (context > 0 && n >= 2)
    sqlite3_bind_int64 (stmt, 2, context);
  if (uid > 0 && n >= 3)
    sqlite3_bind_int64 (stmt, 3, uid);
  return collect (self, stmt, task_row, error);
}

static JsonNode *
sqlite_create_task (QiDbAdapter  *adapter,
                    const char   *context_id,
                    const char   *name,
                    const char   *type,
                    const char   *status,
                    const char   *assignee,
                    GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 context;
  g_autofree char *conflict = NULL;
  sqlite3_stmt *stmt;
  gint64 type_id, sid, uid = 0, id;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error))
    return NULL;
  if (!ensure_open (self, error) || !exists (self, CONTEXT_EXISTS, "context", context, error) ||
      !qi_db_check_name ("task name", name, error) || !qi_db_check_name ("task type", type, error))
    return NULL;
  type_id = lookup_id (self, "SELECT id FROM task_types WHERE name = ?", type, 0, error);
  if (type_id == 0)
    not_found (error, _("no task type “%s”"), type);
  if (type_id <= 0 ||
      (sid = status_id (self, status != NULL ? status : "not_started", error)) < 0 ||
      (assignee != NULL && (uid = user_id (self, assignee, error)) < 0))
    return NULL;

  stmt = prepare (self, "INSERT INTO tasks (context_id, name, type_id, status_id, assignee_id) "
                        "VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, context);
  bind_text (stmt, 2, name);
  sqlite3_bind_int64 (stmt, 3, type_id);
  sqlite3_bind_int64 (stmt, 4, sid);
  bind_id (stmt, 5, uid);
  conflict = g_strdup_printf (_("the context with id %" G_GINT64_FORMAT " has a task “%s” already"),
                              context, name);
  if ((id = insert_one (self, stmt, conflict, error)) == 0)
    return NULL;
  return get_task (self, id, error);
}

/* Products. */

static JsonNode *
get_product (QiSqliteAdapter  *self,
             gint64            id,
             GError          **error)
{
  g_autofree char *missing = g_strdup_printf (_("no product with id %" G_GINT64_FORMAT), id);
  sqlite3_stmt *stmt = prepare (self, PRODUCT_SELECT "WHERE pr.id = ?", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  return collect_one (self, stmt, product_row, missing, error);
}

static JsonNode *
sqlite_list_products (QiDbAdapter  *adapter,
                      const char   *context_id,
                      const char   *type,
                      GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 context;
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error))
    return NULL;
  if (!ensure_open (self, error) || !exists (self, CONTEXT_EXISTS, "context", context, error) ||
      (type != NULL && !qi_db_check_name ("product type", type, error)))
    return NULL;
  stmt = prepare (self, type != NULL
                        ? PRODUCT_SELECT "WHERE pr.context_id = ? AND pr.type = ? ORDER BY pr.name"
                        : PRODUCT_SELECT "WHERE pr.context_id = ? ORDER BY pr.name",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, context);
  if (type != NULL)
    bind_text (stmt, 2, type);
  return collect (self, stmt, product_row, error);
}

static JsonNode *
sqlite_create_product (QiDbAdapter  *adapter,
                       const char   *context_id,
                       const char   *name,
                       const char   *type,
                       GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 context;
  g_autofree char *conflict = NULL;
  sqlite3_stmt *stmt;
  gint64 id;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error))
    return NULL;
  if (!ensure_open (self, error) || !exists (self, CONTEXT_EXISTS, "context", context, error) ||
      !qi_db_check_name ("product name", name, error) || !qi_db_check_name ("product type", type, error) ||
      (stmt = prepare (self, "INSERT INTO products (context_id, name, type) VALUES (?, ?, ?)", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, context);
  bind_text (stmt, 2, name);
  bind_text (stmt, 3, type);
  conflict = g_strdup_printf (_("the context with id %" G_GINT64_FORMAT " has a product “%s” already"),
                              context, name);
  if ((id = insert_one (self, stmt, conflict, error)) == 0)
    return NULL;
  return get_product (self, id, error);
}

/* Versions. */

/* The components of @version, each with the list of its files when
 * @with_files. */
static JsonNode *
list_components (QiSqliteAdapter  *self,
                 gint64            version,
                 gboolean          with_files,
                 GError          **error)
{
  g_autoptr(JsonArray) components = json_array_new ();
  sqlite3_stmt *stmt, *files;
  int rc;

  stmt = prepare (self, "SELECT co.id, co.name, l.name, l.root, co.metadata FROM components co "
                        "JOIN locations l ON l.id = co.location_id WHERE co.version_id = ? ORDER BY co.name",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, version);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *component = json_object_new ();
      JsonArray *list = json_array_new ();

      json_array_add_object_element (components, component);
      set_id (component, "id", stmt, 0);
      set_text (component, "name", stmt, 1);
      set_text (component, "location", stmt, 2);
      set_text (component, "location_root", stmt, 3);
      set_json (component, "metadata", stmt, 4);
      json_object_set_array_member (component, "files", list);
      if (!with_files)
        {
          json_object_remove_member (component, "files");
          continue;
        }

      files = prepare (self, "SELECT path, size FROM component_files WHERE component_id = ? ORDER BY path",
                       error);
      if (files == NULL)
        {
          sqlite3_reset (stmt);
          return NULL;
        }
      sqlite3_bind_int64 (files, 1, sqlite3_column_int64 (stmt, 0));
      while ((rc = sqlite3_step (files)) == SQLITE_ROW)
        {
          JsonObject *file = json_object_new ();

          set_text (file, "path", files, 0);
          set_int (file, "size", files, 1);
          json_array_add_object_element (list, file);
        }
      sqlite3_reset (files);
      if (rc != SQLITE_DONE)
        break;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      set_error_rc (self, sqlite3_extended_errcode (self->db), _("cannot read"), error);
      return NULL;
    }
  return json_node_init_array (json_node_alloc (), components);
}

/* The version @id, its components listing their files when @with_files
 * (the caller of a create or a publish that just gave them may not want
 * them read back). */
static JsonNode *
get_version (QiSqliteAdapter  *self,
             gint64            id,
             gboolean          with_files,
             GError          **error)
{
  g_autofree char *missing = NULL;
  g_autoptr(JsonNode) version = NULL;
  JsonNode *components;
  sqlite3_stmt *stmt;

  if (!ensure_open (self, error) || !check_id ("version", id, error) ||
      (stmt = prepare (self, VERSION_SELECT "WHERE v.id = ?", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  missing = g_strdup_printf (_("no version with id %" G_GINT64_FORMAT), id);
  if ((version = collect_one (self, stmt, version_row, missing, error)) == NULL ||
      (components = list_components (self, id, with_files, error)) == NULL)
    return NULL;
  json_object_set_member (json_node_get_object (version), "components", components);
  return g_steal_pointer (&version);
}

static JsonNode *
sqlite_get_version (QiDbAdapter  *adapter,
                    const char   *version_id,
                    GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&QI_SQLITE_ADAPTER (adapter)->lock);
  gint64 id;

  if (!parse_id ("version", version_id, &id, error))
    return NULL;
  return get_version (QI_SQLITE_ADAPTER (adapter), id, TRUE, error);
}

static JsonNode *
sqlite_list_versions (QiDbAdapter  *adapter,
                      const char   *product_id,
                      const char   *task_id,
                      gboolean      include_pending,
                      guint         offset,
                      guint         limit,
                      GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 product;
  gint64 task;
  g_autoptr(GString) sql = g_string_new (VERSION_SELECT "WHERE 1");
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("product", product_id, &product, error))
    return NULL;
  if (!parse_id ("task", task_id, &task, error))
    return NULL;
  if (!ensure_open (self, error))
    return NULL;
  if (product == 0 && task == 0)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("listing versions needs a product or a task"));
      return NULL;
    }
  if ((product != 0 && !exists (self, PRODUCT_EXISTS, "product", product, error)) ||
      (task != 0 && !exists (self, TASK_EXISTS, "task", task, error)))
    return NULL;

  g_string_append (sql, product > 0 ? " AND v.product_id = ?1" : " AND ?1 IS NULL");
  g_string_append (sql, task > 0 ? " AND v.task_id = ?2" : " AND ?2 IS NULL");
  if (!include_pending)
    g_string_append (sql, " AND v.state = 'published'");
  g_string_append (sql, product > 0 ? " ORDER BY v.number DESC" : " ORDER BY v.id DESC");
  g_string_append (sql, " LIMIT ?3 OFFSET ?4");
  if ((stmt = prepare (self, sql->str, error)) == NULL)
    return NULL;
  bind_id (stmt, 1, product);
  bind_id (stmt, 2, task);
  sqlite3_bind_int64 (stmt, 3, limit == 0 ? -1 : (gint64) limit);
  sqlite3_bind_int64 (stmt, 4, offset);
  return collect (self, stmt, version_row, error);
}

static JsonNode *
sqlite_latest_versions (QiDbAdapter  *adapter,
                        const char   *context_id,
                        gboolean      include_pending,
                        GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 context;
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error))
    return NULL;
  if (!ensure_open (self, error) || !exists (self, CONTEXT_EXISTS, "context", context, error))
    return NULL;
  stmt = prepare (self, include_pending
                        ? VERSION_SELECT "WHERE pr.context_id = ? AND v.id = "
                          "(SELECT l.id FROM versions l WHERE l.product_id = pr.id "
                          "ORDER BY l.number DESC LIMIT 1) ORDER BY pr.name"
                        : VERSION_SELECT "WHERE pr.context_id = ? AND v.id = "
                          "(SELECT l.id FROM versions l WHERE l.product_id = pr.id AND l.state = 'published' "
                          "ORDER BY l.number DESC LIMIT 1) ORDER BY pr.name",
                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, context);
  return collect (self, stmt, version_row, error);
}


/* Rows a statement of write_files() inserts at once: one statement of a
 * hundred rows costs SQLite a third of a hundred statements of one. */
#define FILES_PER_INSERT 100

/* The statement that inserts FILES_PER_INSERT files of the component ?1:
 * each its path and size. */
static sqlite3_stmt *
prepare_many_files (QiSqliteAdapter  *self,
                    GError          **error)
{
  g_autoptr(GString) sql = g_string_new ("INSERT INTO component_files (component_id, path, size) VALUES ");

  for (guint k = 0; k < FILES_PER_INSERT; k++)
    g_string_append_printf (sql, "%s(?1, ?%u, ?%u)", k > 0 ? ", " : "", 2 + 2 * k, 3 + 2 * k);
  return prepare (self, sql->str, error);
}

/* The files of the component @component_id, the @index-th of the spec
 * (checked): by the hundred, the rest one by one. */
static gboolean
write_files (QiSqliteAdapter  *self,
             gint64            component_id,
             guint             index,
             JsonArray        *files,
             GError          **error)
{
  guint n = json_array_get_length (files), j = 0;
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  if (n >= FILES_PER_INSERT)
    {
      if ((stmt = prepare_many_files (self, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, component_id);
      for (; j + FILES_PER_INSERT <= n && local_error == NULL; j += FILES_PER_INSERT)
        {
          for (guint k = 0; k < FILES_PER_INSERT; k++)
            {
              JsonObject *file = json_array_get_object_element (files, j + k);

              /* the spec outlives the statement's run */
              sqlite3_bind_text (stmt, 2 + 2 * k, json_object_get_string_member (file, "path"), -1, SQLITE_STATIC);
              sqlite3_bind_int64 (stmt, 3 + 2 * k, json_object_get_int_member (file, "size"));
            }
          run (self, stmt, _("cannot write a file"), &local_error);
        }
      sqlite3_clear_bindings (stmt);
    }
  if (local_error == NULL)
    {
      if ((stmt = prepare (self, "INSERT INTO component_files (component_id, path, size) VALUES (?, ?, ?)",
                           error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, component_id);
      /* run() resets the statement and keeps its bindings: the path and
       * size are bound again for each file */
      for (; j < n && local_error == NULL; j++)
        {
          JsonObject *file = json_array_get_object_element (files, j);

          bind_text (stmt, 2, json_object_get_string_member (file, "path"));
          sqlite3_bind_int64 (stmt, 3, json_object_get_int_member (file, "size"));
          run (self, stmt, _("cannot write a file"), &local_error);
        }
    }
  if (local_error == NULL)
    return TRUE;
  if (g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT))
    {
      /* a component is new: its files can only clash with each other */
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint k = 0; k < n; k++)
        {
          const char *path = json_object_get_string_member (json_array_get_object_element (files, k), "path");

          if (!g_hash_table_add (seen, (gpointer) path))
            {
              g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                           _("components[%u].files[%u].path: “%s” is listed twice"), index, k, path);
              return FALSE;
            }
        }
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
write_components (QiSqliteAdapter  *self,
                  gint64            version,
                  JsonArray        *components,
                  GError          **error)
{
  for (guint i = 0; components != NULL && i < json_array_get_length (components); i++)
    {
      JsonObject *component = json_array_get_object_element (components, i);
      const char *location = json_object_get_string_member_with_default (component, "location",
                                                                         DEFAULT_LOCATION);
      JsonArray *files = json_object_has_member (component, "files") &&
                         JSON_NODE_HOLDS_ARRAY (json_object_get_member (component, "files"))
                         ? json_object_get_array_member (component, "files") : NULL;
      g_autofree char *metadata = NULL;
      sqlite3_stmt *stmt;
      gint64 location_id, component_id;

      qi_db_read_metadata (component, "", &metadata, NULL);
      location_id = lookup_id (self, "SELECT id FROM locations WHERE name = ?", location, 0, error);
      if (location_id == 0)
        return not_found (error, _("components[%u].location: no location “%s”"), i, location);
      if (location_id < 0 ||
          (stmt = prepare (self, "INSERT INTO components (version_id, name, location_id, metadata) "
                                 "VALUES (?, ?, ?, ?)", error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, version);
      bind_text (stmt, 2, json_object_get_string_member (component, "name"));
      sqlite3_bind_int64 (stmt, 3, location_id);
      bind_text (stmt, 4, metadata);
      if (!run (self, stmt, _("cannot write a component"), error))
        return FALSE;
      component_id = sqlite3_last_insert_rowid (self->db);
      if (files != NULL && !write_files (self, component_id, i, files, error))
        return FALSE;
    }
  return TRUE;
}

static gint64
insert_version (QiSqliteAdapter  *self,
                QiDbVersionSpec  *spec,
                gint64            product,
                gint64            task,
                GError          **error)
{
  sqlite3_stmt *stmt;
  gint64 author = 0, status = 0, number, id;

  if (!exists (self, PRODUCT_EXISTS, "product", product, error) ||
      (task > 0 && !exists (self, TASK_EXISTS, "task", task, error)) ||
      (spec->author != NULL && (author = user_id (self, spec->author, error)) < 0) ||
      (spec->status != NULL && (status = status_id (self, spec->status, error)) < 0))
    return 0;

  /* Under the write lock of BEGIN IMMEDIATE: nobody else can allocate
   * this number before we commit. */
  number = lookup_id (self, "SELECT COALESCE (MAX (number), 0) + 1 FROM versions WHERE product_id = ?",
                      NULL, product, error);
  if (number <= 0)
    return 0;
  if (spec->number > 0 && spec->number != number)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                   _("number: version %" G_GINT64_FORMAT " of product %" G_GINT64_FORMAT " cannot be made: "
                     "the product's next version is %" G_GINT64_FORMAT), spec->number, product, number);
      return 0;
    }

  stmt = prepare (self, "INSERT INTO versions (product_id, number, task_id, author_id, comment, status_id, "
                        "state, created_at, publisher_host, publisher_pid, metadata) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'pending', " NOW ", ?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, product);
  sqlite3_bind_int64 (stmt, 2, number);
  bind_id (stmt, 3, task);
  bind_id (stmt, 4, author);
  bind_text (stmt, 5, spec->comment != NULL ? spec->comment : "");
  bind_id (stmt, 6, status);
  bind_text (stmt, 7, g_get_host_name ());
  sqlite3_bind_int64 (stmt, 8, getpid ());
  bind_text (stmt, 9, spec->metadata);
  if (!run (self, stmt, _("cannot write the version"), error))
    return 0;
  id = sqlite3_last_insert_rowid (self->db);
  if (!write_components (self, id, spec->components, error))
    return 0;
  return id;
}

static JsonNode *
sqlite_create_version (QiDbAdapter  *adapter,
                       JsonObject   *object,
                       GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_auto(QiDbVersionSpec) spec = { 0 };
  gint64 id, product, task;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || !qi_db_version_spec_check (object, &spec, error) ||
      !parse_id ("product", spec.product, &product, error) || !parse_id ("task", spec.task, &task, error) ||
      !begin (self, error))
    return NULL;
  id = insert_version (self, &spec, product, task, error);
  if (id == 0 || !commit (self, error))
    {
      rollback (self);
      return NULL;
    }
  /* qi_db_adapter_create_version() has checked `files` */
  return get_version (self, id, json_object_get_boolean_member_with_default (object, "files", TRUE), error);
}

/* 1 for a pending version, 2 for a published one, 0 (with @error) for none. */
static gint64
version_state (QiSqliteAdapter  *self,
               gint64            id,
               GError          **error)
{
  gint64 state = lookup_id (self, "SELECT 1 + (state = 'published') FROM versions WHERE id = ?", NULL, id, error);

  if (state == 0)
    not_found (error, _("no version with id %" G_GINT64_FORMAT), id);
  return state;
}

static JsonNode *
sqlite_publish_version_full (QiDbAdapter  *adapter,
                             const char   *version_id,
                             JsonObject   *details,
                             GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *metadata = NULL;
  gint64 id;
  sqlite3_stmt *stmt;
  gint64 published;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("version", version_id, &id, error))
    return NULL;
  /* The thumbnail is a component of the version like the others here. */
  if (details != NULL && !qi_db_read_metadata (details, "", &metadata, error))
    return NULL;
  if (!ensure_open (self, error) || !check_id ("version", id, error) || !begin (self, error))
    return NULL;
  published = version_state (self, id, error);
  if (published == 2)
    g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                 _("the version with id %" G_GINT64_FORMAT " is published already"), id);
  if (published != 1 ||
      (stmt = prepare (self, "UPDATE versions SET state = 'published', published_at = " NOW ", "
                             "metadata = json_patch (metadata, COALESCE (?, '{}')) WHERE id = ?",
                       error)) == NULL)
    {
      rollback (self);
      return NULL;
    }
  bind_text (stmt, 1, metadata);
  sqlite3_bind_int64 (stmt, 2, id);
  if (!run (self, stmt, _("cannot publish the version"), error) || !commit (self, error))
    {
      rollback (self);
      return NULL;
    }
  return get_version (self, id,
                      details == NULL || json_object_get_boolean_member_with_default (details, "files", TRUE), error);
}

static JsonNode *
sqlite_abandon_version (QiDbAdapter  *adapter,
                        const char   *version_id,
                        GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autoptr(JsonNode) version = NULL;
  gint64 id, state;
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("version", version_id, &id, error))
    return NULL;
  if (!ensure_open (self, error) || !check_id ("version", id, error) || !begin (self, error))
    return NULL;
  state = version_state (self, id, error);
  if (state == 2)
    g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                 _("the version with id %" G_GINT64_FORMAT " is published: only a pending version can be abandoned"),
                 id);
  /* its components and files go with it (ON DELETE CASCADE), and its links */
  if (state != 1 || (version = get_version (self, id, TRUE, error)) == NULL ||
      (stmt = prepare (self, "DELETE FROM versions WHERE id = ? AND state = 'pending'", error)) == NULL)
    {
      rollback (self);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, id);
  if (!run (self, stmt, _("cannot remove the version"), error) || !commit (self, error))
    {
      rollback (self);
      return NULL;
    }
  return g_steal_pointer (&version);
}

static JsonNode *
sqlite_list_pending_versions (QiDbAdapter  *adapter,
                              gint64        older_than_s,
                              GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *modifier = g_strdup_printf ("-%" G_GINT64_FORMAT " seconds", MAX (older_than_s, 0));
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) ||
      (stmt = prepare (self, VERSION_SELECT "WHERE v.state = 'pending' AND "
                             "v.created_at <= strftime ('%Y-%m-%dT%H:%M:%fZ', 'now', ?) ORDER BY v.created_at",
                       error)) == NULL)
    return NULL;
  bind_text (stmt, 1, modifier);
  return collect (self, stmt, version_row, error);
}

/* Users, statuses, task types, locations. */

static JsonNode *
sqlite_list_users (QiDbAdapter  *adapter,
                   GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&QI_SQLITE_ADAPTER (adapter)->lock);

  return list_all (QI_SQLITE_ADAPTER (adapter), "SELECT id, username, full_name, email FROM users ORDER BY username",
                   user_row, error);
}

static JsonNode *
sqlite_create_user (QiDbAdapter  *adapter,
                    const char   *username,
                    const char   *full_name,
                    const char   *email,
                    GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *conflict = NULL;
  g_autofree char *missing = NULL;
  sqlite3_stmt *stmt;
  gint64 id;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || !qi_db_check_name ("username", username, error))
    return NULL;
  if ((full_name != NULL && !g_utf8_validate (full_name, -1, NULL)) ||
      (email != NULL && !g_utf8_validate (email, -1, NULL)))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("%s: %s"), "full_name, email", _("must be UTF-8"));
      return NULL;
    }
  if ((stmt = prepare (self, "INSERT INTO users (username, full_name, email) VALUES (?, ?, ?)", error)) == NULL)
    return NULL;
  bind_text (stmt, 1, username);
  bind_text (stmt, 2, full_name != NULL ? full_name : username);
  bind_text (stmt, 3, email);
  conflict = g_strdup_printf (_("there is a user “%s” already"), username);
  if ((id = insert_one (self, stmt, conflict, error)) == 0 ||
      (stmt = prepare (self, "SELECT id, username, full_name, email FROM users WHERE id = ?", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  missing = g_strdup_printf (_("no user “%s”"), username);
  return collect_one (self, stmt, user_row, missing, error);
}

static JsonNode *
sqlite_list_statuses (QiDbAdapter  *adapter,
                      GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&QI_SQLITE_ADAPTER (adapter)->lock);

  return list_all (QI_SQLITE_ADAPTER (adapter), "SELECT name, label, state FROM statuses ORDER BY id",
                   status_row, error);
}

static JsonNode *
sqlite_list_task_types (QiDbAdapter  *adapter,
                        GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&QI_SQLITE_ADAPTER (adapter)->lock);

  return list_all (QI_SQLITE_ADAPTER (adapter), "SELECT name, label FROM task_types ORDER BY id",
                   task_type_row, error);
}

static JsonNode *
sqlite_create_location (QiDbAdapter  *adapter,
                        const char   *name,
                        const char   *root,
                        GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autofree char *conflict = NULL;
  g_autofree char *missing = NULL;
  sqlite3_stmt *stmt;
  gint64 id;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) || !qi_db_check_name ("location name", name, error))
    return NULL;
  if (root != NULL && !g_utf8_validate (root, -1, NULL))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("%s: %s"), "root", _("must be a UTF-8 path"));
      return NULL;
    }
  if ((stmt = prepare (self, "INSERT INTO locations (name, root) VALUES (?, ?)", error)) == NULL)
    return NULL;
  bind_text (stmt, 1, name);
  bind_text (stmt, 2, root);
  conflict = g_strdup_printf (_("there is a location “%s” already"), name);
  if ((id = insert_one (self, stmt, conflict, error)) == 0 ||
      (stmt = prepare (self, "SELECT id, name, root FROM locations WHERE id = ?", error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  missing = g_strdup_printf (_("no location “%s”"), name);
  return collect_one (self, stmt, location_row, missing, error);
}

static JsonObject *
stats_row (QiSqliteAdapter  *self,
           sqlite3_stmt     *stmt,
           GError          **error)
{
  static const char * const names[] = {
    "projects", "contexts", "tasks", "products", "versions", "pending_versions",
    "components", "files", "users",
  };
  JsonObject *object = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    set_int (object, names[i], stmt, i);
  return object;
}

static JsonNode *
sqlite_stats (QiDbAdapter  *adapter,
              GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  sqlite3_stmt *stmt;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!ensure_open (self, error) ||
      (stmt = prepare (self, "SELECT (SELECT count (*) FROM projects), (SELECT count (*) FROM contexts), "
                             "(SELECT count (*) FROM tasks), (SELECT count (*) FROM products), "
                             "(SELECT count (*) FROM versions), "
                             "(SELECT count (*) FROM versions WHERE state = 'pending'), "
                             "(SELECT count (*) FROM components), (SELECT count (*) FROM component_files), "
                             "(SELECT count (*) FROM users)", error)) == NULL)
    return NULL;
  return collect_one (self, stmt, stats_row, "", error);
}

/* Logins (schema 2): the private API of qi-sqlite-adapter-private.h. */

/* Every user is an artist, whoever made them (the tracker-neutral
 * create_user, seed-demo, an import write no role). */
#define LOGIN_SELECT \
  "SELECT u.id, u.username, u.full_name, u.email, " \
  "  (SELECT group_concat (r.role, ',') FROM " \
  "     (SELECT role FROM user_roles WHERE user_id = u.id UNION SELECT 'artist' ORDER BY 1) r), " \
  "  p.hash " \
  "FROM users u LEFT JOIN user_passwords p ON p.user_id = u.id "

static JsonObject *
login_row (QiSqliteAdapter  *self,
           sqlite3_stmt     *stmt,
           GError          **error)
{
  JsonObject *object = user_row (self, stmt, error);
  const char *roles = (const char *) sqlite3_column_text (stmt, 4);
  JsonArray *array = json_array_new ();

  if (roles != NULL)
    {
      g_auto(GStrv) names = g_strsplit (roles, ",", -1);

      for (guint i = 0; names[i] != NULL; i++)
        json_array_add_string_element (array, names[i]);
    }
  json_object_set_array_member (object, "roles", array);
  json_object_set_boolean_member (object, "has_password", sqlite3_column_type (stmt, 5) != SQLITE_NULL);
  return object;
}

static gboolean
check_roles (const char * const  *roles,
             GError             **error)
{
  for (guint i = 0; roles != NULL && roles[i] != NULL; i++)
    if (!g_str_equal (roles[i], "artist") && !g_str_equal (roles[i], "admin"))
      {
        g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                     _("the role “%s” is not one of “artist” and “admin”"),
                     g_utf8_validate (roles[i], -1, NULL) ? roles[i] : "?");
        return FALSE;
      }
  return TRUE;
}

static JsonNode *
get_login (QiSqliteAdapter  *self,
           const char       *username,
           char            **password_hash,
           GError          **error)
{
  g_autofree char *missing = g_strdup_printf (_("no user “%s”"), username);
  sqlite3_stmt *stmt = prepare (self, LOGIN_SELECT "WHERE u.username = ?", error);
  g_autofree char *hash = NULL;
  JsonNode *node;
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, username);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        not_found (error, "%s", missing);
      else
        set_error_rc (self, rc, _("cannot read"), error);
      sqlite3_reset (stmt);
      return NULL;
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, login_row (self, stmt, error));
  hash = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  sqlite3_reset (stmt);
  if (password_hash != NULL)
    *password_hash = g_steal_pointer (&hash);
  else if (hash != NULL)
    explicit_bzero (hash, strlen (hash));
  return node;
}

/*
 * qi_sqlite_adapter_create_login:
 *
 * Creates a user with a password hash and roles, in one transaction, and
 * emits #QiDbAdapter::changed (`user`, `created`) without the hash.
 * Returns the user with its roles, or NULL: %QI_DB_ERROR_CONFLICT if the
 * username is taken, %QI_DB_ERROR_INVALID for a bad name or role.
 */
JsonNode *
qi_sqlite_adapter_create_login (QiSqliteAdapter    *self,
                                const char         *username,
                                const char         *full_name,
                                const char         *email,
                                const char         *password_hash,
                                const char * const *roles,
                                GError            **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_autofree char *conflict = NULL;
  g_autoptr(JsonNode) user = NULL;
  sqlite3_stmt *stmt;
  gint64 id;

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), NULL);
  g_return_val_if_fail (password_hash != NULL && *password_hash != '\0', NULL);

  if (!ensure_open (self, error) || !qi_db_check_name ("username", username, error) || !check_roles (roles, error))
    return NULL;
  if ((full_name != NULL && !g_utf8_validate (full_name, -1, NULL)) ||
      (email != NULL && !g_utf8_validate (email, -1, NULL)))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("%s: %s"), "full_name, email", _("must be UTF-8"));
      return NULL;
    }
  if (!begin (self, error))
    return NULL;
  if ((stmt = prepare (self, "INSERT INTO users (username, full_name, email) VALUES (?, ?, ?)", error)) == NULL)
    goto fail;
  bind_text (stmt, 1, username);
  bind_text (stmt, 2, full_name != NULL ? full_name : username);
  bind_text (stmt, 3, email);
  conflict = g_strdup_printf (_("there is a user “%s” already"), username);
  if ((id = insert_one (self, stmt, conflict, error)) == 0)
    goto fail;
  if ((stmt = prepare (self, "INSERT INTO user_passwords (user_id, hash, changed_at) VALUES (?, ?, " NOW ")",
                       error)) == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, password_hash);
  if (!run (self, stmt, _("cannot write"), error))
    goto fail;
  for (guint i = 0; roles != NULL && roles[i] != NULL; i++)
    {
      if ((stmt = prepare (self, "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)", error)) == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, id);
      bind_text (stmt, 2, roles[i]);
      if (!run (self, stmt, _("cannot write"), error))
        goto fail;
    }
  if ((user = get_login (self, username, NULL, error)) == NULL || !commit (self, error))
    goto fail;

  {
    /* a new object: json_node_copy() would share the members */
    g_autoptr(JsonNode) event = json_node_new (JSON_NODE_OBJECT);
    JsonObject *from = json_node_get_object (user);
    JsonObject *object = json_object_new ();

    for (const char * const *name = (const char * const []) { "id", "username", "full_name", "email", "roles", NULL };
         *name != NULL; name++)
      json_object_set_member (object, *name, json_node_copy (json_object_get_member (from, *name)));
    json_node_take_object (event, object);
    g_signal_emit_by_name (self, "changed", "user", "created", event);
  }
  return g_steal_pointer (&user);

fail:
  rollback (self);
  return NULL;
}

/*
 * qi_sqlite_adapter_set_login_password:
 *
 * Gives a tracker user a new password hash (or a first one: the demo's
 * users and the users of an imported project have none), in one
 * transaction. NOT_FOUND for an unknown user.
 */
gboolean
qi_sqlite_adapter_set_login_password (QiSqliteAdapter  *self,
                                      const char       *username,
                                      const char       *password_hash,
                                      GError          **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  sqlite3_stmt *stmt;
  gint64 id;

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), FALSE);
  g_return_val_if_fail (password_hash != NULL && *password_hash != '\0', FALSE);

  if (!ensure_open (self, error) || !qi_db_check_name ("username", username, error) || !begin (self, error))
    return FALSE;
  if ((id = user_id (self, username, error)) <= 0 ||
      (stmt = prepare (self, "INSERT INTO user_passwords (user_id, hash, changed_at) VALUES (?, ?, " NOW ") "
                             "ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, "
                             "changed_at = excluded.changed_at", error)) == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, password_hash);
  if (!run (self, stmt, _("cannot write"), error) || !commit (self, error))
    goto fail;
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

/*
 * qi_sqlite_adapter_lookup_login:
 * @password_hash: (out) (optional): the user's hash, NULL if it has none
 *
 * Returns the user with its roles, or NULL (%QI_DB_ERROR_NOT_FOUND).
 */
JsonNode *
qi_sqlite_adapter_lookup_login (QiSqliteAdapter  *self,
                                const char       *username,
                                char            **password_hash,
                                GError          **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), NULL);

  if (password_hash != NULL)
    *password_hash = NULL;
  if (!ensure_open (self, error) || !qi_db_check_name ("username", username, error))
    return NULL;
  return get_login (self, username, password_hash, error);
}

/*
 * qi_sqlite_adapter_list_logins:
 *
 * Returns the users by username, each with `roles` and `has_password`.
 */
JsonNode *
qi_sqlite_adapter_list_logins (QiSqliteAdapter  *self,
                               GError          **error)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), NULL);

  return list_all (self, LOGIN_SELECT "ORDER BY u.username", login_row, error);
}

/* GObject. */

/* Links. */

static JsonNode *
links_object (QiSqliteAdapter  *self,
              const char       *uses_sql,
              const char       *used_in_sql,
              RowFunc           row,
              gint64            id,
              GError          **error)
{
  g_autoptr(JsonNode) uses = NULL;
  g_autoptr(JsonNode) used_in = NULL;
  sqlite3_stmt *stmt;
  JsonObject *object;
  JsonNode *node;

  if ((stmt = prepare (self, uses_sql, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if ((uses = collect (self, stmt, row, error)) == NULL ||
      (stmt = prepare (self, used_in_sql, error)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if ((used_in = collect (self, stmt, row, error)) == NULL)
    return NULL;
  object = json_object_new ();
  json_object_set_member (object, "uses", g_steal_pointer (&uses));
  json_object_set_member (object, "used_in", g_steal_pointer (&used_in));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

/* Writes one link row; a link that exists is a conflict. */
static gboolean
insert_link (QiSqliteAdapter  *self,
             const char       *sql,
             gint64            from,
             gint64            to,
             const char       *conflict,
             GError          **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, error);
  g_autoptr(GError) local_error = NULL;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, from);
  sqlite3_bind_int64 (stmt, 2, to);
  if (run (self, stmt, _("cannot write the link"), &local_error))
    return TRUE;
  if (g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT))
    g_set_error_literal (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT, conflict);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static JsonNode *
link_object (const char *first,
             const char *first_id,
             const char *uses_id)
{
  JsonObject *object = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (object, first, first_id);
  json_object_set_string_member (object, "uses", uses_id);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

static JsonNode *
sqlite_link_contexts (QiDbAdapter  *adapter,
                      const char   *context_id,
                      const char   *uses_id,
                      GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 context, uses;
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autofree char *conflict = NULL;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error) || !parse_id ("context", uses_id, &uses, error) ||
      !ensure_open (self, error) || !check_id ("context", context, error) || !check_id ("context", uses, error) ||
      (a = get_context (self, context, error)) == NULL || (b = get_context (self, uses, error)) == NULL)
    return NULL;
  if (context == uses)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("a context cannot use itself"));
      return NULL;
    }
  if (g_strcmp0 (json_object_get_string_member (json_node_get_object (a), "project"),
                 json_object_get_string_member (json_node_get_object (b), "project")) != 0)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("“%s” is in project “%s” and “%s” in project “%s”: link the contexts of one project"),
                   json_object_get_string_member (json_node_get_object (a), "path"),
                   json_object_get_string_member (json_node_get_object (a), "project"),
                   json_object_get_string_member (json_node_get_object (b), "path"),
                   json_object_get_string_member (json_node_get_object (b), "project"));
      return NULL;
    }
  conflict = g_strdup_printf (_("“%s” uses “%s” already"),
                              json_object_get_string_member (json_node_get_object (a), "path"),
                              json_object_get_string_member (json_node_get_object (b), "path"));
  if (!begin (self, error))
    return NULL;
  if (!insert_link (self, "INSERT INTO context_links (context_id, uses_id, created_at) VALUES (?, ?, " NOW ")",
                    context, uses, conflict, error) || !commit (self, error))
    {
      rollback (self);
      return NULL;
    }
  return link_object ("context", context_id, uses_id);
}

static JsonNode *
sqlite_list_context_links (QiDbAdapter  *adapter,
                           const char   *context_id,
                           GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autoptr(JsonNode) context_node = NULL;
  gint64 context;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("context", context_id, &context, error) || !ensure_open (self, error) ||
      !check_id ("context", context, error) || (context_node = get_context (self, context, error)) == NULL)
    return NULL;
  return links_object (self,
                       CONTEXT_SELECT "JOIN context_links k ON k.uses_id = c.id WHERE k.context_id = ? ORDER BY c.path",
                       CONTEXT_SELECT "JOIN context_links k ON k.context_id = c.id WHERE k.uses_id = ? ORDER BY c.path",
                       context_row, context, error);
}

static JsonNode *
sqlite_link_versions (QiDbAdapter  *adapter,
                      const char   *version_id,
                      const char   *uses_id,
                      GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  gint64 version, uses;
  g_autoptr(JsonNode) a = NULL;
  g_autoptr(JsonNode) b = NULL;
  g_autofree char *conflict = NULL;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("version", version_id, &version, error) || !parse_id ("version", uses_id, &uses, error) ||
      (a = get_version (self, version, FALSE, error)) == NULL || (b = get_version (self, uses, FALSE, error)) == NULL)
    return NULL;
  if (version == uses)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("a version cannot use itself"));
      return NULL;
    }
  if (lookup_id (self, "SELECT c.project_id FROM versions v JOIN products p ON p.id = v.product_id "
                       "JOIN contexts c ON c.id = p.context_id WHERE v.id = ?", NULL, version, NULL) !=
      lookup_id (self, "SELECT c.project_id FROM versions v JOIN products p ON p.id = v.product_id "
                       "JOIN contexts c ON c.id = p.context_id WHERE v.id = ?", NULL, uses, NULL))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("the versions with ids %s and %s are in different projects: link the versions of one project"),
                   version_id, uses_id);
      return NULL;
    }
  conflict = g_strdup_printf (_("the version with id %s uses the version with id %s already"), version_id, uses_id);
  if (!begin (self, error))
    return NULL;
  if (!insert_link (self, "INSERT INTO version_links (version_id, uses_id, created_at) VALUES (?, ?, " NOW ")",
                    version, uses, conflict, error) || !commit (self, error))
    {
      rollback (self);
      return NULL;
    }
  return link_object ("version", version_id, uses_id);
}

static JsonNode *
sqlite_list_version_links (QiDbAdapter  *adapter,
                           const char   *version_id,
                           GError      **error)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (adapter);
  g_autoptr(JsonNode) version_node = NULL;
  gint64 version;
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);

  if (!parse_id ("version", version_id, &version, error) ||
      (version_node = get_version (self, version, FALSE, error)) == NULL)
    return NULL;
  return links_object (self,
                       "SELECT " VERSION_COLUMNS "FROM version_links k JOIN versions v ON v.id = k.uses_id "
                       VERSION_JOINS "WHERE k.version_id = ? ORDER BY pr.name, v.number",
                       "SELECT " VERSION_COLUMNS "FROM version_links k JOIN versions v ON v.id = k.version_id "
                       VERSION_JOINS "WHERE k.uses_id = ? ORDER BY pr.name, v.number",
                       version_row, version, error);
}

static void
qi_sqlite_adapter_iface_init (QiDbAdapterInterface *iface)
{
  iface->list_projects = sqlite_list_projects;
  iface->get_project = sqlite_get_project;
  iface->create_project = sqlite_create_project;
  iface->list_contexts = sqlite_list_contexts;
  iface->list_all_contexts = sqlite_list_all_contexts;
  iface->link_contexts = sqlite_link_contexts;
  iface->list_context_links = sqlite_list_context_links;
  iface->link_versions = sqlite_link_versions;
  iface->list_version_links = sqlite_list_version_links;
  iface->lookup_context = sqlite_lookup_context;
  iface->create_context = sqlite_create_context;
  iface->list_tasks = sqlite_list_tasks;
  iface->create_task = sqlite_create_task;
  iface->list_products = sqlite_list_products;
  iface->create_product = sqlite_create_product;
  iface->get_version = sqlite_get_version;
  iface->list_versions = sqlite_list_versions;
  iface->latest_versions = sqlite_latest_versions;
  iface->create_version = sqlite_create_version;
  iface->publish_version_full = sqlite_publish_version_full;
  iface->abandon_version = sqlite_abandon_version;
  iface->list_pending_versions = sqlite_list_pending_versions;
  iface->list_users = sqlite_list_users;
  iface->create_user = sqlite_create_user;
  iface->list_statuses = sqlite_list_statuses;
  iface->list_task_types = sqlite_list_task_types;
  iface->create_location = sqlite_create_location;
  iface->stats = sqlite_stats;
}

static void
qi_sqlite_adapter_finalize (GObject *object)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (object);

  qi_sqlite_adapter_close (self);
  g_hash_table_unref (self->statements);
  g_free (self->path);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (qi_sqlite_adapter_parent_class)->finalize (object);
}

static void
qi_sqlite_adapter_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_sqlite_adapter_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  QiSqliteAdapter *self = QI_SQLITE_ADAPTER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_sqlite_adapter_class_init (QiSqliteAdapterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_sqlite_adapter_finalize;
  object_class->get_property = qi_sqlite_adapter_get_property;
  object_class->set_property = qi_sqlite_adapter_set_property;

  /**
   * QiSqliteAdapter:path:
   *
   * The tracker's file.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
qi_sqlite_adapter_init (QiSqliteAdapter *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);
  g_rec_mutex_init (&self->lock);
}

/**
 * qi_sqlite_adapter_new:
 * @path: the tracker's file, such as `$XDG_DATA_HOME/qi/tracker.sqlite`
 *
 * Creates an adapter over @path. Nothing is opened until first use.
 *
 * Returns: (transfer full): a new #QiSqliteAdapter
 */
QiSqliteAdapter *
qi_sqlite_adapter_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (QI_TYPE_SQLITE_ADAPTER, "path", path, NULL);
}

/**
 * qi_sqlite_adapter_get_path:
 * @self: a #QiSqliteAdapter
 *
 * Returns: (transfer none): the tracker's file
 */
const char *
qi_sqlite_adapter_get_path (QiSqliteAdapter *self)
{
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), NULL);

  return self->path;
}

/**
 * qi_sqlite_adapter_is_open:
 * @self: a #QiSqliteAdapter
 *
 * Returns: whether the file is open (it opens on first use)
 */
gboolean
qi_sqlite_adapter_is_open (QiSqliteAdapter *self)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), FALSE);

  return self->db != NULL;
}

/**
 * qi_sqlite_adapter_close:
 * @self: a #QiSqliteAdapter
 *
 * Closes the file, if it is open; the next call opens it again.
 */
void
qi_sqlite_adapter_close (QiSqliteAdapter *self)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_return_if_fail (QI_IS_SQLITE_ADAPTER (self));

  self->in_batch = FALSE;
  g_hash_table_remove_all (self->statements);
  if (self->db != NULL)
    {
      rollback (self);
      sqlite3_close_v2 (self->db);
      self->db = NULL;
    }
  self->schema_version = 0;
}

/**
 * qi_sqlite_adapter_begin_batch:
 * @self: a #QiSqliteAdapter
 * @error: return location for a #GError
 *
 * Starts a batch: the writes until qi_sqlite_adapter_commit_batch() are
 * one transaction, committed together or not at all (a process killed in
 * the middle leaves nothing of them). A write that fails inside the batch
 * undoes only itself. #QiDbAdapter::changed is emitted for each write as it
 * is made, before the batch commits.
 *
 * Returns: %TRUE, or %FALSE with @error set (a batch already runs, or the
 *   tracker cannot be written)
 */
gboolean
qi_sqlite_adapter_begin_batch (QiSqliteAdapter  *self,
                               GError          **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), FALSE);

  if (self->in_batch)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT, _("a batch of writes is running already"));
      return FALSE;
    }
  g_rec_mutex_lock (&self->lock);
  if (!ensure_open (self, error) || (stmt = prepare (self, "BEGIN IMMEDIATE", error)) == NULL ||
      !run (self, stmt, _("cannot start a transaction"), error))
    {
      g_rec_mutex_unlock (&self->lock);
      return FALSE;
    }
  /* the batch holds the lock until it ends: no other thread's call can
   * land in its transaction */
  self->in_batch = TRUE;
  return TRUE;
}

/**
 * qi_sqlite_adapter_commit_batch:
 * @self: a #QiSqliteAdapter
 * @error: return location for a #GError
 *
 * Commits the batch qi_sqlite_adapter_begin_batch() started. If the commit
 * fails, the batch is rolled back.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
qi_sqlite_adapter_commit_batch (QiSqliteAdapter  *self,
                                GError          **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), FALSE);
  g_return_val_if_fail (self->in_batch, FALSE);

  gboolean committed;

  self->in_batch = FALSE;
  /* SQLite ended the batch's transaction itself (begin() refused every
   * write since) */
  if (sqlite3_get_autocommit (self->db))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_IO,
                   _("%s: the batch of writes was rolled back by SQLite; nothing of it was kept"), self->path);
      committed = FALSE;
    }
  else if ((stmt = prepare (self, "COMMIT", error)) == NULL || !run (self, stmt, _("cannot commit"), error))
    {
      rollback (self);
      committed = FALSE;
    }
  else
    committed = TRUE;
  /* the lock qi_sqlite_adapter_begin_batch() took */
  g_rec_mutex_unlock (&self->lock);
  return committed;
}

/**
 * qi_sqlite_adapter_rollback_batch:
 * @self: a #QiSqliteAdapter
 *
 * Undoes every write of the running batch, if any.
 */
void
qi_sqlite_adapter_rollback_batch (QiSqliteAdapter *self)
{
  g_return_if_fail (QI_IS_SQLITE_ADAPTER (self));

  if (!self->in_batch)
    return;
  self->in_batch = FALSE;
  rollback (self);
  g_rec_mutex_unlock (&self->lock);
}

/**
 * qi_sqlite_adapter_get_schema_version:
 * @self: a #QiSqliteAdapter
 *
 * Returns: the schema version of the open file, or 0 if it is not open
 */
int
qi_sqlite_adapter_get_schema_version (QiSqliteAdapter *self)
{
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new (&self->lock);
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), 0);

  return self->schema_version;
}

/* For the JSON datastore (qi-sqlite-datastore.c): the open connection.
 * The caller holds the lock (qi_sqlite_adapter_lock()) while it uses it. */
GRecMutex *
qi_sqlite_adapter_get_lock (QiSqliteAdapter *self)
{
  return &self->lock;
}

sqlite3 *
qi_sqlite_adapter_get_handle (QiSqliteAdapter  *self,
                              GError          **error)
{
  g_return_val_if_fail (QI_IS_SQLITE_ADAPTER (self), NULL);

  return ensure_open (self, error) ? self->db : NULL;
}
