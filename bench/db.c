/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The embedded tracker's figures (bench/db runs it):
 *
 * qi-bench-db generate TRACKER SEQUENCES SHOTS PRODUCTS VERSIONS USERS
 *   Writes a new tracker: one project, SEQUENCES × SHOTS shots, five tasks
 *   a shot assigned at random among USERS users, PRODUCTS products a shot,
 *   all through the QiDbAdapter API; then VERSIONS versions of every
 *   product, each with one component of one file, in bulk: the same file
 *   opened with sqlite3 directly, one transaction, prepared INSERTs into
 *   the adapter's own tables (the schema its migrations made). Versions
 *   are written round by round (version 1 of every product, then 2, ...),
 *   so that a product's versions are scattered over the table as in a
 *   real tracker; the last version of one product in ten stays pending.
 *
 * qi-bench-db run TRACKER CALLS WRITERS COUNT
 *   Reads, in process through QiSqliteAdapter, CALLS randomized calls of
 *   each (fixed seed): latest versions of a shot's products, a product's
 *   newest 50 versions, a user's tasks; baselines: `SELECT 1` through
 *   sqlite3 on the same file and the adapter's cheapest call. Then version
 *   creation (create + publish, one component) by 1 writer process, by
 *   WRITERS processes on different products and by WRITERS processes on
 *   the same product, COUNT versions each, checking that the numbers have
 *   no gap and no duplicate. TRACKER is written to: run it on a copy.
 *
 * qi-bench-db writer TRACKER COUNT PRODUCT
 *   One writer process of `run`: prints "ready", waits for a line on
 *   stdin, creates and publishes COUNT versions, then prints
 *   "v NUMBER MICROSECONDS" for each and "t START END" (monotonic µs).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <qi/qi.h>
#include <sqlite3.h>
#include "qi-sqlite-adapter.h"

#define PROJECT "bench"
#define SEED 20240601
#define LIST_LIMIT 50
#define READ_TARGET_US 1000.0
#define CREATE_TARGET 1000.0

static const char * const task_types[] = { "layout", "anim", "fx", "lighting", "comp" };

/* Product name, type and the index of its task in task_types. */
static const struct { const char *name, *type; int task; } product_kinds[] = {
  { "camera_main", "camera", 0 },
  { "layout_set", "layout", 0 },
  { "anim_hero", "cache", 1 },
  { "anim_crowd", "cache", 1 },
  { "fx_smoke", "cache", 2 },
  { "fx_debris", "cache", 2 },
  { "lighting_beauty", "render", 3 },
  { "lighting_utility", "render", 3 },
  { "comp_main", "comp", 4 },
  { "comp_precomp", "comp", 4 },
};

static double
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

G_NORETURN static void
die (const char *what,
     GError     *error)
{
  fprintf (stderr, "qi-bench-db: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (1);
}

static void
check_sqlite (sqlite3    *db,
              int         rc,
              const char *what)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      fprintf (stderr, "qi-bench-db: %s: %s\n", what, sqlite3_errmsg (db));
      exit (1);
    }
}

/* The SQLite tracker's ids are decimal strings; the bench keeps them as
 * numbers and hands them back as text, as a client would. */
static gint64
member_id (JsonNode *node)
{
  return g_ascii_strtoll (json_object_get_string_member (json_node_get_object (node), "id"), NULL, 10);
}

/* @id as text, in one of a few static buffers (single-threaded callers). */
static const char *
id_text (gint64 id)
{
  static char buffers[4][24];
  static guint next;
  char *buffer = buffers[next++ % G_N_ELEMENTS (buffers)];

  if (id <= 0)
    return NULL;
  g_snprintf (buffer, sizeof buffers[0], "%" G_GINT64_FORMAT, id);
  return buffer;
}

/* Generation. */

static int
generate (const char *path,
          guint       sequences,
          guint       shots,
          guint       products,
          guint       versions,
          guint       users)
{
  g_autoptr(QiSqliteAdapter) tracker = NULL;
  g_autoptr(JsonNode) project = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(GArray) product_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) product_tasks = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) product_authors = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree gint64 *user_ids = g_new0 (gint64, users);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *version_stmt, *component_stmt, *file_stmt;
  QiDbAdapter *adapter;
  g_autoptr(GDateTime) epoch = g_date_time_new_utc (2024, 1, 8, 9, 0, 0);
  double start = now_us (), structure;
  guint64 written = 0;

  products = MIN (products, G_N_ELEMENTS (product_kinds));
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *file = g_strconcat (tmp, (const char * const[]) { "", "-wal", "-shm" }[i], NULL);

      g_unlink (file);
    }

  /* The structure, through the API. */
  tracker = qi_sqlite_adapter_new (tmp);
  adapter = QI_DB_ADAPTER (tracker);
  if (!qi_sqlite_adapter_open (tracker, &error))
    die ("open", error);
  project = qi_db_adapter_create_project (adapter, PROJECT, "Bench", &error);
  if (project == NULL)
    die ("create_project", error);
  for (guint u = 0; u < users; u++)
    {
      g_autofree char *name = g_strdup_printf ("user%02u", u + 1);
      g_autofree char *full = g_strdup_printf ("User %u", u + 1);
      g_autoptr(JsonNode) user = qi_db_adapter_create_user (adapter, name, full, NULL, &error);

      if (user == NULL)
        die ("create_user", error);
      user_ids[u] = member_id (user);
    }
  for (guint s = 0; s < sequences; s++)
    {
      g_autofree char *sq_name = g_strdup_printf ("sq%03u", (s + 1) * 10);
      g_autoptr(JsonNode) sequence = qi_db_adapter_create_context (adapter, PROJECT, NULL, "sequence", sq_name, &error);

      if (sequence == NULL)
        die ("create_context", error);
      for (guint h = 0; h < shots; h++)
        {
          g_autofree char *sh_name = g_strdup_printf ("sh%04u", (h + 1) * 10);
          g_autoptr(JsonNode) shot = qi_db_adapter_create_context (adapter, PROJECT, id_text (member_id (sequence)),
                                                                   "shot", sh_name, &error);
          gint64 task_ids[G_N_ELEMENTS (task_types)], task_users[G_N_ELEMENTS (task_types)];

          if (shot == NULL)
            die ("create_context", error);
          for (guint t = 0; t < G_N_ELEMENTS (task_types); t++)
            {
              guint u = g_rand_int_range (rand, 0, users);
              g_autofree char *user = g_strdup_printf ("user%02u", u + 1);
              g_autoptr(JsonNode) task = qi_db_adapter_create_task (adapter, id_text (member_id (shot)), task_types[t],
                                                                    task_types[t], "in_progress", user, &error);

              if (task == NULL)
                die ("create_task", error);
              task_ids[t] = member_id (task);
              task_users[t] = user_ids[u];
            }
          for (guint p = 0; p < products; p++)
            {
              g_autoptr(JsonNode) product = qi_db_adapter_create_product (adapter, id_text (member_id (shot)),
                                                                          product_kinds[p].name,
                                                                          product_kinds[p].type, &error);
              gint64 id;

              if (product == NULL)
                die ("create_product", error);
              id = member_id (product);
              g_array_append_val (product_ids, id);
              g_array_append_val (product_tasks, task_ids[product_kinds[p].task]);
              g_array_append_val (product_authors, task_users[product_kinds[p].task]);
            }
        }
    }
  qi_sqlite_adapter_close (tracker);
  structure = now_us ();
  printf ("structure through the API: %u contexts, %u tasks, %u products, %u users in %.1f s\n",
          sequences * (shots + 1), sequences * shots * (guint) G_N_ELEMENTS (task_types), product_ids->len,
          users, (structure - start) / 1e6);
  fflush (stdout);

  /* The versions, in bulk, into the same tables. */
  check_sqlite (db, sqlite3_open_v2 (tmp, &db, SQLITE_OPEN_READWRITE, NULL), "open");
  check_sqlite (db, sqlite3_exec (db, "PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON; "
                                      "PRAGMA cache_size = -262144; BEGIN", NULL, NULL, NULL), "begin");
  check_sqlite (db, sqlite3_prepare_v2 (db, "INSERT INTO versions (product_id, number, task_id, author_id, comment, "
                                            "status_id, state, created_at, published_at, publisher_host, "
                                            "publisher_pid, metadata) VALUES (?, ?, ?, ?, ?, "
                                            "(SELECT id FROM statuses WHERE name = 'pending_review'), ?, ?, ?, "
                                            "'farm01', 4242, '{\"frames\": [1001, 1100]}')",
                                        -1, &version_stmt, NULL), "prepare");
  check_sqlite (db, sqlite3_prepare_v2 (db, "INSERT INTO components (version_id, name, location_id, metadata) "
                                            "VALUES (?, ?, (SELECT id FROM locations WHERE name = 'local'), '{}')",
                                        -1, &component_stmt, NULL), "prepare");
  check_sqlite (db, sqlite3_prepare_v2 (db, "INSERT INTO component_files (component_id, path, size) VALUES (?, ?, ?)",
                                        -1, &file_stmt, NULL), "prepare");
  for (guint n = 1; n <= versions; n++)
    for (guint i = 0; i < product_ids->len; i++)
      {
        gint64 product = g_array_index (product_ids, gint64, i);
        gboolean pending = n == versions && i % 10 == 0;
        g_autoptr(GDateTime) when = g_date_time_add_seconds (epoch, (double) written * 3);
        g_autofree char *stamp = g_date_time_format (when, "%Y-%m-%dT%H:%M:%S.000Z");
        g_autofree char *comment = g_strdup_printf ("v%03u: notes from dailies", n);
        g_autofree char *file = g_strdup_printf ("publish/%" G_GINT64_FORMAT "/v%03u/cache.abc", product, n);
        gint64 version;

        sqlite3_bind_int64 (version_stmt, 1, product);
        sqlite3_bind_int64 (version_stmt, 2, n);
        sqlite3_bind_int64 (version_stmt, 3, g_array_index (product_tasks, gint64, i));
        sqlite3_bind_int64 (version_stmt, 4, g_array_index (product_authors, gint64, i));
        sqlite3_bind_text (version_stmt, 5, comment, -1, SQLITE_STATIC);
        sqlite3_bind_text (version_stmt, 6, pending ? "pending" : "published", -1, SQLITE_STATIC);
        sqlite3_bind_text (version_stmt, 7, stamp, -1, SQLITE_STATIC);
        if (pending)
          sqlite3_bind_null (version_stmt, 8);
        else
          sqlite3_bind_text (version_stmt, 8, stamp, -1, SQLITE_STATIC);
        check_sqlite (db, sqlite3_step (version_stmt), "insert a version");
        sqlite3_reset (version_stmt);
        version = sqlite3_last_insert_rowid (db);

        sqlite3_bind_int64 (component_stmt, 1, version);
        sqlite3_bind_text (component_stmt, 2, "abc", -1, SQLITE_STATIC);
        check_sqlite (db, sqlite3_step (component_stmt), "insert a component");
        sqlite3_reset (component_stmt);

        sqlite3_bind_int64 (file_stmt, 1, sqlite3_last_insert_rowid (db));
        sqlite3_bind_text (file_stmt, 2, file, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (file_stmt, 3, 1048576 + written);
        check_sqlite (db, sqlite3_step (file_stmt), "insert a file");
        sqlite3_reset (file_stmt);
        written++;
      }
  sqlite3_finalize (version_stmt);
  sqlite3_finalize (component_stmt);
  sqlite3_finalize (file_stmt);
  check_sqlite (db, sqlite3_exec (db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                "commit");
  sqlite3_close (db);
  printf ("versions in bulk (sqlite3, one transaction): %" G_GUINT64_FORMAT " in %.1f s\n",
          written, (now_us () - structure) / 1e6);
  if (g_rename (tmp, path) != 0)
    {
      perror (path);
      return 1;
    }
  return 0;
}

/* Reads. */

typedef struct
{
  const char *label;
  double      p50, p90, p99;
  double      rows;          /* per call */
  double      rate;          /* creates/s, for writes */
  gboolean    target_met;
  const char *target;
} Figure;

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
percentiles (double *samples,
             guint   n,
             Figure *figure)
{
  qsort (samples, n, sizeof (double), compare_double);
  figure->p50 = samples[n / 2];
  figure->p90 = samples[MIN (n - 1, (guint) (n * 0.90))];
  figure->p99 = samples[MIN (n - 1, (guint) (n * 0.99))];
}

typedef enum { READ_SELECT1, READ_STATUSES, READ_LATEST, READ_VERSIONS, READ_TASKS } ReadKind;

typedef struct
{
  QiDbAdapter  *adapter;
  sqlite3_stmt *select1;
  GArray       *shots;      /* context ids */
  GArray       *products;   /* product ids */
  guint         users;
} ReadSetup;

static guint
read_once (ReadSetup *setup,
           ReadKind   kind,
           GRand     *rand)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;

  switch (kind)
    {
    case READ_SELECT1:
      sqlite3_step (setup->select1);
      sqlite3_reset (setup->select1);
      return 1;
    case READ_STATUSES:
      result = qi_db_adapter_list_statuses (setup->adapter, &error);
      break;
    case READ_LATEST:
      result = qi_db_adapter_latest_versions (setup->adapter,
                                              id_text (g_array_index (setup->shots, gint64,
                                                                      g_rand_int_range (rand, 0, setup->shots->len))),
                                              FALSE, &error);
      break;
    case READ_VERSIONS:
      result = qi_db_adapter_list_versions (setup->adapter,
                                            id_text (g_array_index (setup->products, gint64,
                                                                    g_rand_int_range (rand, 0, setup->products->len))),
                                            NULL, FALSE, 0, LIST_LIMIT, &error);
      break;
    case READ_TASKS:
      {
        g_autofree char *user = g_strdup_printf ("user%02u", g_rand_int_range (rand, 0, setup->users) + 1);

        result = qi_db_adapter_list_tasks (setup->adapter, PROJECT, 0, user, &error);
      }
      break;
    }
  if (result == NULL)
    die ("read", error);
  return json_array_get_length (json_node_get_array (result));
}

static void
measure_read (ReadSetup *setup,
              ReadKind   kind,
              guint      calls,
              Figure    *figure)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED + kind);
  g_autofree double *samples = g_new (double, calls);
  guint64 rows = 0;

  for (guint i = 0; i < MIN (calls / 10, 200u); i++)   /* warm up */
    read_once (setup, kind, rand);
  for (guint i = 0; i < calls; i++)
    {
      double t = now_us ();

      rows += read_once (setup, kind, rand);
      samples[i] = now_us () - t;
    }
  percentiles (samples, calls, figure);
  figure->rows = (double) rows / calls;
}

static GArray *
ids (sqlite3    *db,
     const char *sql)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;

  check_sqlite (db, sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), "prepare");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (array, id);
    }
  sqlite3_finalize (stmt);
  return array;
}

static gint64
scalar (sqlite3    *db,
        const char *sql,
        gint64      arg)
{
  sqlite3_stmt *stmt;
  gint64 value = -1;

  check_sqlite (db, sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), "prepare");
  sqlite3_bind_int64 (stmt, 1, arg);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

/* Writes. */

static JsonObject *
version_spec (gint64 product)
{
  JsonObject *spec = json_object_new ();
  JsonArray *components = json_array_new ();
  JsonObject *component = json_object_new ();
  JsonArray *files = json_array_new ();
  JsonObject *file = json_object_new ();
  g_autofree char *path = g_strdup_printf ("publish/%" G_GINT64_FORMAT "/bench/cache.abc", product);

  json_object_set_string_member (spec, "product", id_text (product));
  json_object_set_string_member (spec, "author", "user01");
  json_object_set_string_member (spec, "comment", "from qi-bench-db");
  json_object_set_string_member (component, "name", "abc");
  json_object_set_string_member (file, "path", path);
  json_object_set_int_member (file, "size", 1048576);
  json_array_add_object_element (files, file);
  json_object_set_array_member (component, "files", files);
  json_array_add_object_element (components, component);
  json_object_set_array_member (spec, "components", components);
  return spec;
}

static int
writer (const char *path,
        guint       count,
        gint64      product)
{
  g_autoptr(QiSqliteAdapter) tracker = qi_sqlite_adapter_new (path);
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *numbers = g_new (gint64, count);
  g_autofree double *latencies = g_new (double, count);
  char line[16];
  double start, end;

  if (!qi_sqlite_adapter_open (tracker, &error))
    die ("open", error);
  printf ("ready\n");
  fflush (stdout);
  if (fgets (line, sizeof line, stdin) == NULL)
    return 1;

  start = now_us ();
  for (guint i = 0; i < count; i++)
    {
      g_autoptr(JsonObject) spec = version_spec (product);
      g_autoptr(JsonNode) version = NULL;
      g_autoptr(JsonNode) published = NULL;
      double t = now_us ();

      version = qi_db_adapter_create_version (QI_DB_ADAPTER (tracker), spec, &error);
      if (version == NULL)
        die ("create_version", error);
      published = qi_db_adapter_publish_version (QI_DB_ADAPTER (tracker), id_text (member_id (version)), &error);
      if (published == NULL)
        die ("publish_version", error);
      latencies[i] = now_us () - t;
      numbers[i] = json_object_get_int_member (json_node_get_object (version), "number");
    }
  end = now_us ();
  for (guint i = 0; i < count; i++)
    printf ("v %" G_GINT64_FORMAT " %.1f\n", numbers[i], latencies[i]);
  printf ("t %.1f %.1f\n", start, end);
  return 0;
}

/* Runs @n writer processes, writer i on products[i], COUNT versions each;
 * checks the numbers each product got, in the writers' answers and in the
 * file. */
static gboolean
measure_writes (const char   *self_exe,
                const char   *path,
                sqlite3      *db,
                guint         n,
                const gint64 *products,
                guint         count,
                Figure       *figure)
{
  g_autoptr(GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) outs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) bases = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) per_product = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree double *latencies = g_new (double, (gsize) n * count);
  g_autofree char *count_arg = g_strdup_printf ("%u", count);
  double first = G_MAXDOUBLE, last = 0;
  guint got = 0;
  gboolean ok = TRUE;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *product_arg = g_strdup_printf ("%" G_GINT64_FORMAT, products[i]);
      GSubprocess *proc;
      GDataInputStream *out;
      g_autofree char *line = NULL;

      if (!g_hash_table_contains (bases, &products[i]))
        {
          g_hash_table_insert (bases, g_memdup2 (&products[i], sizeof (gint64)),
                               GINT_TO_POINTER ((int) scalar (db, "SELECT max (number) FROM versions "
                                                                  "WHERE product_id = ?", products[i])));
          g_hash_table_insert (per_product, g_memdup2 (&products[i], sizeof (gint64)), GUINT_TO_POINTER (0));
        }
      proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               self_exe, "writer", path, count_arg, product_arg, NULL);
      if (proc == NULL)
        die ("spawn a writer", error);
      g_ptr_array_add (procs, proc);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      g_ptr_array_add (outs, out);
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      if (line == NULL || !g_str_equal (line, "ready"))
        die ("a writer did not start", error);
    }
  for (guint i = 0; i < n; i++)
    {
      GOutputStream *in = g_subprocess_get_stdin_pipe (procs->pdata[i]);

      if (!g_output_stream_write_all (in, "go\n", 3, NULL, NULL, &error) ||
          !g_output_stream_close (in, NULL, &error))
        die ("start a writer", error);
    }
  for (guint i = 0; i < n; i++)
    {
      char *line;

      while ((line = g_data_input_stream_read_line (outs->pdata[i], NULL, NULL, &error)) != NULL)
        {
          gint64 number;
          double a, b;

          if (sscanf (line, "v %" G_GINT64_FORMAT " %lf", &number, &a) == 2 && got < n * count)
            {
              char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, products[i], number);

              latencies[got++] = a;
              if (!g_hash_table_add (seen, key))
                {
                  printf ("  DUPLICATE: product %" G_GINT64_FORMAT " got number %" G_GINT64_FORMAT " twice\n",
                          products[i], number);
                  ok = FALSE;
                }
              g_hash_table_insert (per_product, g_memdup2 (&products[i], sizeof (gint64)),
                                   GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (per_product,
                                                                                            &products[i])) + 1));
            }
          else if (sscanf (line, "t %lf %lf", &a, &b) == 2)
            {
              first = MIN (first, a);
              last = MAX (last, b);
            }
          g_free (line);
        }
      if (!g_subprocess_wait_check (procs->pdata[i], NULL, &error))
        die ("a writer failed", error);
    }
  if (got != n * count)
    {
      printf ("  writers answered %u versions of %u\n", got, n * count);
      ok = FALSE;
    }

  /* Every product: base+1 .. base+k, each once, all published, in the
   * writers' answers and in the file. */
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, per_product);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        gint64 product = *(gint64 *) key, base = GPOINTER_TO_INT (g_hash_table_lookup (bases, key));
        guint k = GPOINTER_TO_UINT (value);
        g_autofree char *sql = g_strdup_printf ("SELECT count (*) * 1000000000000 + count (DISTINCT number) * 1000000 "
                                                "+ coalesce (max (number), 0) FROM versions "
                                                "WHERE product_id = ? AND number > %" G_GINT64_FORMAT
                                                " AND state = 'published'", base);
        gint64 packed = scalar (db, sql, product);
        gint64 rows = packed / 1000000000000, distinct = packed / 1000000 % 1000000, max = packed % 1000000;

        for (gint64 number = base + 1; number <= base + k; number++)
          {
            g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, product, number);

            if (!g_hash_table_contains (seen, want))
              {
                printf ("  GAP: product %" G_GINT64_FORMAT " never got number %" G_GINT64_FORMAT "\n",
                        product, number);
                ok = FALSE;
                break;
              }
          }
        if (rows != k || distinct != k || max != base + k)
          {
            printf ("  product %" G_GINT64_FORMAT ": the file has %" G_GINT64_FORMAT " new published versions "
                    "(%" G_GINT64_FORMAT " distinct, up to %" G_GINT64_FORMAT "), the writers %u from %"
                    G_GINT64_FORMAT "\n", product, rows, distinct, max, k, base + 1);
            ok = FALSE;
          }
      }
  }

  percentiles (latencies, MAX (got, 1), figure);
  figure->rate = got / ((last - first) / 1e6);
  figure->rows = got;
  return ok;
}

static void
print_figure (const Figure *f,
              double        select1,
              double        cheapest)
{
  if (f->rate > 0)
    printf ("%-44s %9.0f/s   p50 %8.2f µs  p90 %8.2f µs  p99 %8.2f µs", f->label, f->rate,
            f->p50, f->p90, f->p99);
  else
    printf ("%-44s %6.1f rows   p50 %8.2f µs  p90 %8.2f µs  p99 %8.2f µs", f->label, f->rows,
            f->p50, f->p90, f->p99);
  if (select1 > 0)
    printf ("  %7.0f× SELECT 1  %5.1f× statuses", f->p50 / select1, f->p50 / cheapest);
  printf ("\n");
}

static int
run (const char *path,
     guint       calls,
     guint       writers,
     guint       count)
{
  g_autoptr(QiSqliteAdapter) tracker = qi_sqlite_adapter_new (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) shots = NULL;
  g_autoptr(GArray) products = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", &error);
  g_autofree gint64 *targets = NULL;
  ReadSetup setup = { 0 };
  Figure reads[5] = {
    { "SELECT 1 (sqlite3, same file)" },
    { "list_statuses (the cheapest adapter call)" },
    { "latest_versions of a shot" },
    { "list_versions of a product, limit 50" },
    { "list_tasks of a user (my tasks)" },
  };
  Figure writes[3] = { { NULL } };
  gboolean writes_ok[3];
  g_autofree char *labels[3] = { NULL };
  sqlite3 *db = NULL;
  int failures = 0;

  if (self_exe == NULL)
    die ("/proc/self/exe", error);
  if (!qi_sqlite_adapter_open (tracker, &error))
    die ("open", error);
  check_sqlite (db, sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), "open");
  sqlite3_busy_timeout (db, 5000);
  shots = ids (db, "SELECT id FROM contexts WHERE kind = 'shot' ORDER BY id");
  products = ids (db, "SELECT id FROM products ORDER BY id");
  setup.adapter = QI_DB_ADAPTER (tracker);
  setup.shots = shots;
  setup.products = products;
  setup.users = (guint) scalar (db, "SELECT count (*) FROM users WHERE ? > 0", 1);
  check_sqlite (db, sqlite3_prepare_v2 (db, "SELECT 1", -1, &setup.select1, NULL), "prepare");
  printf ("tracker: %" G_GINT64_FORMAT " versions, %u products, %u shots, %" G_GINT64_FORMAT " tasks, %u users, "
          "%.0f MB\n", scalar (db, "SELECT count (*) FROM versions WHERE ? > 0", 1), products->len, shots->len,
          scalar (db, "SELECT count (*) FROM tasks WHERE ? > 0", 1), setup.users,
          scalar (db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size WHERE ? > 0", 1) / 1e6);

  printf ("== reads, in process, %u randomized calls each (seed %d)\n", calls, SEED);
  for (ReadKind k = READ_SELECT1; k <= READ_TASKS; k++)
    {
      measure_read (&setup, k, calls, &reads[k]);
      reads[k].target = k >= READ_LATEST ? "p50 < 1 ms" : NULL;
      reads[k].target_met = reads[k].p50 < READ_TARGET_US;
      print_figure (&reads[k], k > READ_SELECT1 ? reads[READ_SELECT1].p50 : 0, reads[READ_STATUSES].p50);
    }
  sqlite3_finalize (setup.select1);

  /* Products to write to: spread over the tracker, distinct per run. */
  targets = g_new (gint64, 1 + writers + 1);
  for (guint i = 0; i < 1 + writers + 1; i++)
    targets[i] = g_array_index (products, gint64, (i * 997 + 11) % products->len);
  printf ("== version creation (create_version + publish_version, one component), %u each\n", count);
  {
    g_autofree gint64 *same = g_new (gint64, writers);

    for (guint i = 0; i < writers; i++)
      same[i] = targets[1 + writers];
    labels[0] = g_strdup ("1 writer process (baseline)");
    labels[1] = g_strdup_printf ("%u writer processes, different products", writers);
    labels[2] = g_strdup_printf ("%u writer processes, the same product", writers);
    writes_ok[0] = measure_writes (self_exe, path, db, 1, targets, count, &writes[0]);
    writes_ok[1] = measure_writes (self_exe, path, db, writers, targets + 1, count, &writes[1]);
    writes_ok[2] = measure_writes (self_exe, path, db, writers, same, count, &writes[2]);
  }
  for (guint i = 0; i < 3; i++)
    {
      writes[i].label = labels[i];
      writes[i].target = i > 0 ? "≥ 1,000 creates/s" : NULL;
      writes[i].target_met = writes[i].rate >= CREATE_TARGET;
      print_figure (&writes[i], 0, 0);
      printf ("  numbers: %s\n", writes_ok[i] ? "no gap, no duplicate, all published" : "WRONG");
      failures += !writes_ok[i];
    }
  sqlite3_close (db);

  printf ("\n== summary\n");
  printf ("| figure | p50 | p99 | ratio | target | met |\n| --- | --- | --- | --- | --- | --- |\n");
  for (ReadKind k = READ_SELECT1; k <= READ_TASKS; k++)
    {
      printf ("| %s | %.2f µs | %.2f µs | ", reads[k].label, reads[k].p50, reads[k].p99);
      if (k == READ_SELECT1)
        printf ("1× | baseline | |\n");
      else
        printf ("%.0f× SELECT 1 | %s | %s |\n", reads[k].p50 / reads[READ_SELECT1].p50,
                reads[k].target != NULL ? reads[k].target : "", reads[k].target == NULL ? ""
                : reads[k].target_met ? "yes" : "**no**");
    }
  for (guint i = 0; i < 3; i++)
    {
      printf ("| %s: %.0f creates/s | %.1f µs | %.1f µs | ", writes[i].label, writes[i].rate, writes[i].p50,
              writes[i].p99);
      if (i == 0)
        printf ("1× | baseline | |\n");
      else
        printf ("%.2f× 1 writer | %s | %s |\n", writes[i].rate / writes[0].rate, writes[i].target,
                writes[i].target_met ? "yes" : "**no**");
    }
  return failures > 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 8 && g_str_equal (argv[1], "generate"))
    return generate (argv[2], atoi (argv[3]), atoi (argv[4]), atoi (argv[5]), atoi (argv[6]), atoi (argv[7]));
  if (argc == 6 && g_str_equal (argv[1], "run"))
    return run (argv[2], MAX (1, atoi (argv[3])), MAX (1, atoi (argv[4])), MAX (1, atoi (argv[5])));
  if (argc == 5 && g_str_equal (argv[1], "writer"))
    return writer (argv[2], MAX (1, atoi (argv[3])), g_ascii_strtoll (argv[4], NULL, 10));
  fprintf (stderr, "usage: %s generate TRACKER SEQUENCES SHOTS PRODUCTS VERSIONS USERS\n"
                   "       %s run TRACKER CALLS WRITERS COUNT\n"
                   "       %s writer TRACKER COUNT PRODUCT\n", argv[0], argv[0], argv[0]);
  return 2;
}
