/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "qi-db-conformance.h"
#include "qi-test-json.h"

/*
 * What every tracker adapter must do the same way, whatever tracker is
 * behind it: orders, filters, states, numbering, the error codes of bad or
 * unknown input. Nothing here knows which adapter it runs against; what a
 * tracker names its own way (task types, statuses) is read from it.
 */

typedef struct
{
  QiDbConformanceTarget *target;
  QiDbAdapter           *db;
  /* The small show of most cases: project demo, /sq010/sh010, a user, a
   * task and a product. Interned ids. */
  const char            *sequence;
  const char            *shot;
  const char            *task;
  const char            *product;
  const char            *task_type;
} Fixture;

static JsonNode *
create_version (QiDbAdapter  *db,
                const char   *spec,
                GError      **error)
{
  g_autoptr(JsonNode) node = json_from_string (spec, NULL);

  g_assert_nonnull (node);
  return qi_db_adapter_create_version (db, json_node_get_object (node), error);
}

static JsonNode *
publish_version_full (QiDbAdapter  *db,
                      const char   *id,
                      const char   *details,
                      GError      **error)
{
  g_autoptr(JsonNode) node = json_from_string (details, NULL);

  g_assert_nonnull (node);
  return qi_db_adapter_publish_version_full (db, id, json_node_get_object (node), error);
}

static char *
metadata_text (JsonNode *version)
{
  return json_to_string (json_object_get_member (json_node_get_object (version), "metadata"), FALSE);
}

/* The tracker's count of @what, or -1 for a tracker without counts. */
static gint64
count_of (QiDbAdapter *db,
          const char  *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stats = qi_db_adapter_stats (db, &error);

  if (stats == NULL)
    {
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_UNSUPPORTED);
      return -1;
    }
  return qi_test_int_of (stats, what);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) types = NULL;

  f->target = (QiDbConformanceTarget *) data;
  f->db = f->target->open (f->target);
  g_assert_nonnull (f->db);

  types = qi_db_adapter_list_task_types (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (types), >, 0);
  f->task_type = g_intern_string (qi_test_string_of (qi_test_element (types, 0), "name"));

#define MAKE(expr) G_STMT_START { \
    g_clear_pointer (&node, json_node_unref); \
    node = (expr); \
    g_assert_no_error (error); \
    g_assert_nonnull (node); \
  } G_STMT_END

  MAKE (qi_db_adapter_create_project (f->db, "demo", "Demo", &error));
  MAKE (qi_db_adapter_create_user (f->db, "ada", "Ada Okafor", "ada@studio.example", &error));
  MAKE (qi_db_adapter_create_context (f->db, "demo", NULL, "sequence", "sq010", &error));
  f->sequence = qi_test_id_of (node);
  MAKE (qi_db_adapter_create_context (f->db, "demo", f->sequence, "shot", "sh010", &error));
  f->shot = qi_test_id_of (node);
  MAKE (qi_db_adapter_create_task (f->db, f->shot, "anim", f->task_type, NULL, "ada", &error));
  f->task = qi_test_id_of (node);
  MAKE (qi_db_adapter_create_product (f->db, f->shot, "animMain", f->target->product_type, &error));
  f->product = qi_test_id_of (node);
  MAKE (qi_db_adapter_create_location (f->db, "studio", "/mnt/projects", &error));
#undef MAKE
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  f->target->close (f->target, f->db);
}

/* Projects. */

static void
test_projects (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) alpha = qi_db_adapter_create_project (f->db, "alpha", NULL, &error);
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) demo = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (alpha, "name"), ==, "alpha");
  /* Without a label, the name is the label. */
  g_assert_cmpstr (qi_test_string_of (alpha, "label"), ==, "alpha");
  g_assert_nonnull (qi_test_string_of (alpha, "created_at"));
  g_assert_true (g_str_has_suffix (qi_test_string_of (alpha, "created_at"), "Z"));

  list = qi_db_adapter_list_projects (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "alpha");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "name"), ==, "demo");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "label"), ==, "Demo");

  demo = qi_db_adapter_get_project (f->db, "demo", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_id_of (demo), ==, qi_test_id_of (qi_test_element (list, 1)));

  g_assert_null (qi_db_adapter_get_project (f->db, "nope", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no project “nope”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_project (f->db, "demo", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_project (f->db, "bad name", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
}

/* The context tree. */

static void
test_contexts (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) list = NULL;
  const char *assets;

  for (guint i = 3; i >= 2; i--)
    {
      g_autofree char *name = g_strdup_printf ("sh%03u", i * 10);

      g_clear_pointer (&node, json_node_unref);
      node = qi_db_adapter_create_context (f->db, "demo", f->sequence, "shot", name, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpstr (qi_test_string_of (node, "path"), ==, "/sq010/sh020");
  g_assert_cmpstr (qi_test_string_of (node, "project"), ==, "demo");
  g_assert_cmpstr (qi_test_string_of (node, "parent"), ==, f->sequence);
  g_assert_cmpstr (qi_test_string_of (node, "kind"), ==, "shot");
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (f->db, "demo", NULL, "folder", "assets", &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_null_member (json_node_get_object (node), "parent"));
  assets = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (f->db, "demo", assets, "asset_build", "chr_hero", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "kind"), ==, "asset_build");
  g_assert_cmpstr (qi_test_string_of (node, "path"), ==, "/assets/chr_hero");

  /* Children by name; the top level. */
  list = qi_db_adapter_list_contexts (f->db, "demo", f->sequence, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 3);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "sh010");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "name"), ==, "sh020");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 2), "path"), ==, "/sq010/sh030");
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_contexts (f->db, "demo", NULL, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "assets");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "name"), ==, "sq010");
  g_clear_pointer (&list, json_node_unref);

  /* The whole tree by path; tasks are not contexts. */
  list = qi_db_adapter_list_all_contexts (f->db, "demo", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 6);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "path"), ==, "/assets");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "path"), ==, "/assets/chr_hero");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 2), "path"), ==, "/sq010");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 5), "path"), ==, "/sq010/sh030");
  g_clear_pointer (&list, json_node_unref);

  /* Lookup by path, a trailing / allowed. */
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_lookup_context (f->db, "demo", "/sq010/sh010/", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_id_of (node), ==, f->shot);
  g_assert_null (qi_db_adapter_lookup_context (f->db, "demo", "/sq010/sh999", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no context “/sq010/sh999” in project “demo”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_lookup_context (f->db, "demo", "sq010", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);

  /* Another project's context is no parent here. */
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_project (f->db, "alpha", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (qi_db_adapter_list_contexts (f->db, "alpha", f->sequence, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_context (f->db, "alpha", f->sequence, "shot", "sh010", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  list = qi_db_adapter_list_all_contexts (f->db, "alpha", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);

  /* Bad input. */
  g_assert_null (qi_db_adapter_create_context (f->db, "demo", f->sequence, "shot", "sh020", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "project “demo” has a context “/sq010/sh020” already");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_context (f->db, "demo", NULL, "shoot", "sh100", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_context (f->db, "demo", NULL, "shot", "sh 100", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_context (f->db, "demo", f->target->unknown_id, "shot", "sh100", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_contexts (f->db, "nope", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* Tasks. */

static void
test_tasks (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) statuses = qi_db_adapter_list_statuses (f->db, &error);
  const char *status, *other_shot;

  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (statuses), >=, 2);
  status = qi_test_string_of (qi_test_element (statuses, 1), "name");

  node = qi_db_adapter_create_context (f->db, "demo", f->sequence, "shot", "sh020", &error);
  g_assert_no_error (error);
  other_shot = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_user (f->db, "bruno", NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);

  /* The fixture's task: the default status, its assignee. */
  list = qi_db_adapter_list_tasks (f->db, NULL, f->shot, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpstr (qi_test_id_of (qi_test_element (list, 0)), ==, f->task);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "anim");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "type"), ==, f->task_type);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "status"), ==, "not_started");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "assignee"), ==, "ada");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "project"), ==, "demo");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "context"), ==, f->shot);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "context_path"), ==, "/sq010/sh010");
  g_clear_pointer (&list, json_node_unref);

  node = qi_db_adapter_create_task (f->db, f->shot, "comp", f->task_type, status, "bruno", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "status"), ==, status);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_task (f->db, other_shot, "anim", f->task_type, NULL, "ada", &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_task (f->db, other_shot, "layout", f->task_type, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_get_null_member (json_node_get_object (node), "assignee"));
  g_clear_pointer (&node, json_node_unref);

  /* By context, by name. */
  list = qi_db_adapter_list_tasks (f->db, NULL, f->shot, NULL, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "anim");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "name"), ==, "comp");
  g_clear_pointer (&list, json_node_unref);
  /* By assignee, by context path; with a context too. */
  list = qi_db_adapter_list_tasks (f->db, NULL, NULL, "ada", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "context_path"), ==, "/sq010/sh010");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "context_path"), ==, "/sq010/sh020");
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_tasks (f->db, "demo", other_shot, "ada", &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_clear_pointer (&list, json_node_unref);
  /* A project limits an assignee's tasks. */
  node = qi_db_adapter_create_project (f->db, "alpha", NULL, &error);
  g_assert_no_error (error);
  list = qi_db_adapter_list_tasks (f->db, "alpha", NULL, "ada", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);

  /* Bad input. */
  g_assert_null (qi_db_adapter_create_task (f->db, f->shot, "anim", f->task_type, NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, f->shot, "fx", "no_such_type", NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no task type “no_such_type”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, f->shot, "fx", f->task_type, "great", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no status “great”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, f->shot, "fx", f->task_type, NULL, "zed", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no user “zed”");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_task (f->db, f->target->unknown_id, "fx", f->task_type, NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_tasks (f->db, NULL, NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_tasks (f->db, NULL, NULL, "zed", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* Products. */

static void
test_products (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) list = NULL;

  list = qi_db_adapter_list_products (f->db, f->shot, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpstr (qi_test_id_of (qi_test_element (list, 0)), ==, f->product);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "animMain");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "type"), ==, f->target->product_type);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "project"), ==, "demo");
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "context"), ==, f->shot);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "context_path"), ==, "/sq010/sh010");
  g_clear_pointer (&list, json_node_unref);

  node = qi_db_adapter_create_product (f->db, f->shot, "aaaFirst", f->target->product_type, &error);
  g_assert_no_error (error);
  list = qi_db_adapter_list_products (f->db, f->shot, f->target->product_type, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "name"), ==, "aaaFirst");
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_products (f->db, f->shot, "nosuchtype", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);

  g_assert_null (qi_db_adapter_create_product (f->db, f->shot, "animMain", f->target->product_type, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_product (f->db, f->shot, "anim main", f->target->product_type, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_products (f->db, f->target->unknown_id, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* Versions: pending, then published; numbering; reads. */

static void
test_versions (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *spec = NULL;
  g_autofree char *text = NULL;
  JsonObject *component, *publisher;
  JsonArray *files;
  const char *camera;

  spec = g_strdup_printf ("{\"product\": \"%s\", \"task\": \"%s\", \"author\": \"ada\", \"comment\": \"blocking\", "
                          "\"metadata\": {\"frame_range\": [1001, 1100], \"fps\": 24}, "
                          "\"components\": [{\"name\": \"ma\", \"location\": \"studio\", "
                          "\"files\": [{\"path\": \"b.ma\", \"size\": 0}, {\"path\": \"a.ma\", \"size\": 9}]}, "
                          "{\"name\": \"abc\", \"location\": \"studio\", \"metadata\": {\"format\": \"alembic\"}, "
                          "\"files\": [{\"path\": \"demo/sq010/sh010/animMain_v001.abc\", \"size\": 1234}]}]}",
                          f->product, f->task);
  v1 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v1, "number"), ==, 1);
  g_assert_cmpstr (qi_test_string_of (v1, "state"), ==, "pending");
  g_assert_cmpstr (qi_test_string_of (v1, "product"), ==, f->product);
  g_assert_cmpstr (qi_test_string_of (v1, "product_name"), ==, "animMain");
  g_assert_cmpstr (qi_test_string_of (v1, "product_type"), ==, f->target->product_type);
  g_assert_cmpstr (qi_test_string_of (v1, "task"), ==, f->task);
  g_assert_cmpstr (qi_test_string_of (v1, "author"), ==, "ada");
  g_assert_cmpstr (qi_test_string_of (v1, "comment"), ==, "blocking");
  g_assert_true (json_object_get_null_member (json_node_get_object (v1), "published_at"));
  g_assert_true (g_str_has_suffix (qi_test_string_of (v1, "created_at"), "Z"));
  publisher = json_object_get_object_member (json_node_get_object (v1), "publisher");
  g_assert_cmpint (json_object_get_int_member (publisher, "pid"), ==, getpid ());
  g_assert_cmpstr (json_object_get_string_member (publisher, "host"), ==, g_get_host_name ());
  text = json_to_string (json_object_get_member (json_node_get_object (v1), "metadata"), FALSE);
  g_assert_cmpstr (text, ==, "{\"frame_range\":[1001,1100],\"fps\":24}");
  g_clear_pointer (&text, g_free);

  /* Components by name, files by path. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (v1), "components")),
                    ==, 2);
  component = json_array_get_object_element (json_object_get_array_member (json_node_get_object (v1), "components"), 0);
  g_assert_cmpstr (json_object_get_string_member (component, "name"), ==, "abc");
  g_assert_cmpstr (json_object_get_string_member (component, "location"), ==, "studio");
  text = json_to_string (json_object_get_member (component, "files"), FALSE);
  g_assert_cmpstr (text, ==, "[{\"path\":\"demo/sq010/sh010/animMain_v001.abc\",\"size\":1234}]");
  g_clear_pointer (&text, g_free);
  text = json_to_string (json_object_get_member (component, "metadata"), FALSE);
  g_assert_cmpstr (text, ==, "{\"format\":\"alembic\"}");
  g_clear_pointer (&text, g_free);
  component = json_array_get_object_element (json_object_get_array_member (json_node_get_object (v1), "components"), 1);
  files = json_object_get_array_member (component, "files");
  text = json_to_string (json_object_get_member (component, "files"), FALSE);
  g_assert_cmpstr (text, ==, "[{\"path\":\"a.ma\",\"size\":9},{\"path\":\"b.ma\",\"size\":0}]");
  g_assert_cmpuint (json_array_get_length (files), ==, 2);
  g_clear_pointer (&text, g_free);

  /* Pending: hidden unless asked. */
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, FALSE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_latest_versions (f->db, f->shot, FALSE, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 0, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_false (json_object_has_member (json_node_get_object (qi_test_element (list, 0)), "components"));
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_pending_versions (f->db, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpstr (qi_test_id_of (qi_test_element (list, 0)), ==, qi_test_id_of (v1));
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_pending_versions (f->db, 3600, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);

  /* Published, once. */
  node = qi_db_adapter_publish_version (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "state"), ==, "published");
  g_assert_nonnull (qi_test_string_of (node, "published_at"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (node), "components")),
                    ==, 2);
  g_clear_pointer (&node, json_node_unref);
  g_assert_null (qi_db_adapter_publish_version (f->db, qi_test_id_of (v1), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_publish_version (f->db, f->target->unknown_id, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  list = qi_db_adapter_list_pending_versions (f->db, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);

  /* Numbers go on; the highest first; paging. */
  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\"}", f->product);
  for (guint n = 2; n <= 5; n++)
    {
      g_autoptr(JsonNode) v = create_version (f->db, spec, &error);

      g_assert_no_error (error);
      g_assert_cmpint (qi_test_int_of (v, "number"), ==, n);
      g_assert_true (json_object_get_null_member (json_node_get_object (v), "task"));
      /* Without an author, a tracker may name the publishing account
       * (ftrack does): not asserted. */
      if (n < 5)
        {
          g_autoptr(JsonNode) published = qi_db_adapter_publish_version (f->db, qi_test_id_of (v), &error);

          g_assert_no_error (error);
        }
      if (n == 2)
        v2 = json_node_ref (v);
    }
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, FALSE, 0, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 4);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 4);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 3), "number"), ==, 1);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 1, 2, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 4);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 1), "number"), ==, 3);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 10, 2, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  /* an offset without a limit: the rest */
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 3, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 2);
  g_clear_pointer (&list, json_node_unref);
  /* By task: only the one made for it. */
  list = qi_db_adapter_list_versions (f->db, NULL, f->task, TRUE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpstr (qi_test_id_of (qi_test_element (list, 0)), ==, qi_test_id_of (v1));
  g_clear_pointer (&list, json_node_unref);

  /* The latest of each product of a context, by product name; a product
   * with no version is left out. */
  node = qi_db_adapter_create_product (f->db, f->shot, "cameraMain", f->target->product_type, &error);
  g_assert_no_error (error);
  camera = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_product (f->db, f->shot, "zzzEmpty", f->target->product_type, &error);
  g_clear_pointer (&node, json_node_unref);
  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\"}", camera);
  node = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  {
    g_autoptr(JsonNode) published = qi_db_adapter_publish_version (f->db, qi_test_id_of (node), &error);

    g_assert_no_error (error);
  }
  list = qi_db_adapter_latest_versions (f->db, f->shot, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 2);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 0), "product_name"), ==, "animMain");
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 4);
  g_assert_cmpstr (qi_test_string_of (qi_test_element (list, 1), "product_name"), ==, "cameraMain");
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 1), "number"), ==, 1);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_latest_versions (f->db, f->shot, TRUE, &error);
  g_assert_cmpint (qi_test_int_of (qi_test_element (list, 0), "number"), ==, 5);
  g_clear_pointer (&list, json_node_unref);

  /* get: pending or not, with components. */
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_get_version (f->db, qi_test_id_of (v2), &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (node, "number"), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (node), "components")),
                    ==, 0);
  g_assert_null (qi_db_adapter_get_version (f->db, f->target->unknown_id, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_get_version (f->db, "", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A component without files still says where it is. */
  {
    g_autofree char *empty = g_strdup_printf ("{\"product\": \"%s\", \"components\": "
                                              "[{\"name\": \"exr\", \"location\": \"studio\"}]}", f->product);
    g_autoptr(JsonNode) v = create_version (f->db, empty, &error);
    JsonObject *c;

    g_assert_no_error (error);
    c = json_array_get_object_element (json_object_get_array_member (json_node_get_object (v), "components"), 0);
    g_assert_cmpstr (json_object_get_string_member (c, "location"), ==, "studio");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (c, "files")), ==, 0);
  }
  g_assert_null (qi_db_adapter_list_versions (f->db, NULL, NULL, FALSE, 0, 0, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_list_versions (f->db, f->target->unknown_id, NULL, FALSE, 0, 0, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_latest_versions (f->db, f->target->unknown_id, FALSE, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* A bad spec names its field, and nothing of it is written. */
static void
test_version_errors (Fixture       *f,
                     gconstpointer  data)
{
  static const struct { const char *spec; int code; const char *message; } cases[] = {
    { "{}", QI_DB_ERROR_INVALID, "product: is missing: give an id" },
    { "{\"product\": 7}", QI_DB_ERROR_INVALID, "product: must be an id, a string" },
    { "{\"product\": \"%s\", \"task\": \"%s\"}", QI_DB_ERROR_NOT_FOUND, NULL },
    { "{\"product\": \"%s\", \"author\": \"zed\"}", QI_DB_ERROR_NOT_FOUND, "no user “zed”" },
    { "{\"product\": \"%s\", \"author\": 3}", QI_DB_ERROR_INVALID, "author: must be a string" },
    { "{\"product\": \"%s\", \"status\": \"great\"}", QI_DB_ERROR_NOT_FOUND, "no status “great”" },
    { "{\"product\": \"%s\", \"metadata\": [1]}", QI_DB_ERROR_INVALID, "metadata: must be an object" },
    { "{\"product\": \"%s\", \"components\": [{}]}", QI_DB_ERROR_INVALID,
      "the component name (components[0].name) is missing or empty" },
    { "{\"product\": \"%s\", \"components\": [{\"name\": \"abc\"}, {\"name\": \"abc\"}]}", QI_DB_ERROR_INVALID,
      "components[1].name: “abc” is the name of an earlier component" },
    { "{\"product\": \"%s\", \"components\": [{\"name\": \"abc\", \"files\": [{\"path\": \"a\"}]}]}",
      QI_DB_ERROR_INVALID, "components[0].files[0].size: must be a size in bytes, an integer from 0" },
    { "{\"product\": \"%s\", \"components\": [{\"name\": \"exr\", \"location\": \"studio\"}, "
      "{\"name\": \"abc\", \"location\": \"studio\", \"files\": [{\"path\": \"a\", \"size\": 1}, "
      "{\"path\": \"a\", \"size\": 2}]}]}",
      QI_DB_ERROR_INVALID, "components[1].files[1].path: “a” is listed twice" },
    { "{\"product\": \"%s\", \"components\": [{\"name\": \"exr\", \"location\": \"studio\"}, "
      "{\"name\": \"abc\", \"location\": \"mars\"}]}",
      QI_DB_ERROR_NOT_FOUND, "components[1].location: no location “mars”" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) list = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) built = g_string_new (cases[i].spec);
      g_autofree char *spec = NULL;

      /* The first %s is the product, the second an unknown task. */
      g_string_replace (built, "%s", f->product, 1);
      g_string_replace (built, "%s", f->target->unknown_id, 1);
      spec = g_string_free (g_steal_pointer (&built), FALSE);

      g_test_message ("%s", spec);
      g_assert_null (create_version (f->db, spec, &error));
      g_assert_error (error, QI_DB_ERROR, cases[i].code);
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
      g_clear_error (&error);
    }
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_pending_versions (f->db, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
}

/* A version asked for with the number it must get: the product's next
 * number works; a taken one, or one past it, is a conflict that writes
 * nothing (no version, no components), so that the publisher retries. */
static void
test_version_number (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const invalid[] = { "0", "-1", "\"2\"", "1.5", "true", "4294967296" };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) v3 = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autofree char *spec = NULL;
  gint64 versions, components;

  spec = g_strdup_printf ("{\"product\": \"%s\", \"number\": 1, \"components\": [{\"name\": \"abc\", "
                          "\"location\": \"studio\", \"files\": [{\"path\": \"a.abc\", \"size\": 3}]}]}", f->product);
  v1 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v1, "number"), ==, 1);
  g_assert_cmpstr (qi_test_string_of (v1, "state"), ==, "pending");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (v1), "components")),
                    ==, 1);
  versions = count_of (f->db, "versions");
  components = count_of (f->db, "components");

  /* Taken, then past the next one. */
  for (guint number = 1; number <= 3; number += 2)
    {
      g_autofree char *taken = g_strdup_printf ("{\"product\": \"%s\", \"number\": %u, \"components\": "
                                                "[{\"name\": \"abc\", \"location\": \"studio\", \"files\": "
                                                "[{\"path\": \"b.abc\", \"size\": 3}]}, {\"name\": \"exr\", "
                                                "\"location\": \"studio\", \"files\": [{\"path\": \"f.1.exr\", "
                                                "\"size\": 1}, {\"path\": \"f.2.exr\", \"size\": 1}]}]}",
                                                f->product, number);

      g_test_message ("%s", taken);
      g_assert_null (create_version (f->db, taken, &error));
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
      g_assert_true (g_str_has_prefix (error->message, "number: "));
      g_clear_error (&error);
    }
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_assert_cmpstr (qi_test_id_of (qi_test_element (list, 0)), ==, qi_test_id_of (v1));
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_pending_versions (f->db, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_clear_pointer (&list, json_node_unref);
  g_assert_cmpint (count_of (f->db, "versions"), ==, versions);
  g_assert_cmpint (count_of (f->db, "components"), ==, components);

  /* Not a number: refused before anything is looked up. */
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *bad = g_strdup_printf ("{\"product\": \"%s\", \"number\": %s}", f->product, invalid[i]);

      g_assert_null (create_version (f->db, bad, &error));
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
      g_assert_cmpstr (error->message, ==, "number: must be a version number, an integer from 1");
      g_clear_error (&error);
    }

  /* The next number, asked for or not. */
  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\", \"number\": 2}", f->product);
  v2 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v2, "number"), ==, 2);
  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\", \"number\": null}", f->product);
  v3 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (qi_test_int_of (v3, "number"), ==, 3);
}

/* A publish with details: the metadata merged member by member (an
 * object within is merged too, null removes), a thumbnail taken; the
 * second publish is a conflict that changes nothing. */
static void
test_publish_details (Fixture       *f,
                      gconstpointer  data)
{
  /* a 1×1 PNG */
  static const guint8 png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) published = NULL;
  g_autoptr(JsonNode) got = NULL;
  g_autofree char *dir = g_dir_make_tmp ("qi-db-conformance-XXXXXX", &error);
  g_autofree char *thumbnail = g_build_filename (dir, "thumb.png", NULL);
  g_autofree char *spec = NULL;
  g_autofree char *details = NULL;
  g_autofree char *text = NULL;
  const char *merged = "{\"fps\":24,\"checksums\":{\"a.abc\":\"md5:1\",\"b.abc\":\"md5:2\"},\"colour\":\"aces\"}";

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (thumbnail, (const char *) png, sizeof png, &error));
  spec = g_strdup_printf ("{\"product\": \"%s\", \"metadata\": {\"fps\": 24, \"checksums\": {\"a.abc\": \"md5:1\"}, "
                          "\"note\": \"wip\"}, \"components\": [{\"name\": \"abc\", \"location\": \"studio\", "
                          "\"files\": [{\"path\": \"a.abc\", \"size\": 3}]}]}", f->product);
  v1 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  v2 = create_version (f->db, spec, &error);
  g_assert_no_error (error);

  details = g_strdup_printf ("{\"metadata\": {\"checksums\": {\"b.abc\": \"md5:2\"}, \"note\": null, "
                             "\"colour\": \"aces\"}, \"thumbnail\": \"%s\"}", thumbnail);
  published = publish_version_full (f->db, qi_test_id_of (v1), details, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (published, "state"), ==, "published");
  g_assert_nonnull (qi_test_string_of (published, "published_at"));
  text = metadata_text (published);
  g_assert_cmpstr (text, ==, merged);
  g_clear_pointer (&text, g_free);
  /* Read back; the thumbnail is none of the version's components. */
  got = qi_db_adapter_get_version (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  text = metadata_text (got);
  g_assert_cmpstr (text, ==, merged);
  g_clear_pointer (&text, g_free);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (got), "components")),
                    ==, 1);
  g_clear_pointer (&got, json_node_unref);

  /* Once: the second publisher changes nothing. */
  g_assert_null (publish_version_full (f->db, qi_test_id_of (v1), "{\"metadata\": {\"fps\": 25}}", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  got = qi_db_adapter_get_version (f->db, qi_test_id_of (v1), &error);
  text = metadata_text (got);
  g_assert_cmpstr (text, ==, merged);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&got, json_node_unref);

  /* Bad details: nothing published. */
  g_assert_null (publish_version_full (f->db, qi_test_id_of (v2), "{\"metadata\": [1]}", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "metadata: must be an object");
  g_clear_error (&error);
  g_assert_null (publish_version_full (f->db, f->target->unknown_id, "{\"metadata\": {\"fps\": 25}}", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  got = qi_db_adapter_get_version (f->db, qi_test_id_of (v2), &error);
  g_assert_cmpstr (qi_test_string_of (got, "state"), ==, "pending");
  g_clear_pointer (&got, json_node_unref);

  /* Empty details are a plain publish. */
  g_clear_pointer (&published, json_node_unref);
  published = publish_version_full (f->db, qi_test_id_of (v2), "{}", &error);
  g_assert_no_error (error);
  text = metadata_text (published);
  g_assert_cmpstr (text, ==, "{\"fps\":24,\"checksums\":{\"a.abc\":\"md5:1\"},\"note\":\"wip\"}");

  g_assert_cmpint (g_unlink (thumbnail), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
on_version_changed (QiDbAdapter *db,
                    const char  *entity,
                    const char  *action,
                    JsonNode    *object,
                    gpointer     user_data)
{
  if (g_strcmp0 (entity, "version") == 0)
    g_ptr_array_add (user_data, json_node_ref (object));
}

/* The number of files the first component of @version lists, or -1 when
 * it has no `files`. */
static gint
files_of_component (JsonNode *version)
{
  JsonArray *components = json_object_get_array_member (json_node_get_object (version), "components");
  JsonObject *component;

  g_assert_cmpuint (json_array_get_length (components), ==, 1);
  component = json_array_get_object_element (components, 0);
  g_assert_cmpstr (json_object_get_string_member (component, "name"), ==, "abc");
  if (!json_object_has_member (component, "files"))
    return -1;
  return json_array_get_length (json_object_get_array_member (component, "files"));
}

/* A caller that gave the files need not have them read back (`files`:
 * false); the version keeps them, and the changed signal never carries
 * them (a thousand frames to every listener). */
static void
test_answer_files (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) got = NULL;
  g_autoptr(JsonNode) published = NULL;
  g_autoptr(JsonNode) listed = NULL;
  g_autofree char *brief = NULL;
  g_autofree char *full = NULL;
  g_autofree char *bad = NULL;
  gulong handler;

  brief = g_strdup_printf ("{\"product\": \"%s\", \"files\": false, \"components\": [{\"name\": \"abc\", "
                           "\"location\": \"studio\", \"files\": [{\"path\": \"a.abc\", \"size\": 3}, "
                           "{\"path\": \"b.abc\", \"size\": 4}]}]}", f->product);
  full = g_strdup_printf ("{\"product\": \"%s\", \"components\": [{\"name\": \"abc\", \"location\": \"studio\", "
                          "\"files\": [{\"path\": \"a.abc\", \"size\": 3}, {\"path\": \"b.abc\", \"size\": 4}]}]}",
                          f->product);
  handler = g_signal_connect (f->db, "changed", G_CALLBACK (on_version_changed), seen);

  v1 = create_version (f->db, brief, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (v1, "state"), ==, "pending");
  g_assert_cmpint (files_of_component (v1), ==, -1);
  got = qi_db_adapter_get_version (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_assert_cmpint (files_of_component (got), ==, 2);
  v2 = create_version (f->db, full, &error);
  g_assert_no_error (error);
  g_assert_cmpint (files_of_component (v2), ==, 2);

  published = publish_version_full (f->db, qi_test_id_of (v1), "{\"files\": false}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (published, "state"), ==, "published");
  g_assert_cmpint (files_of_component (published), ==, -1);
  g_clear_pointer (&got, json_node_unref);
  got = qi_db_adapter_get_version (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_assert_cmpint (files_of_component (got), ==, 2);

  /* what is not a boolean is refused, and nothing is written */
  bad = g_strdup_printf ("{\"product\": \"%s\", \"files\": \"no\"}", f->product);
  g_assert_null (create_version (f->db, bad, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "files: must be true or false");
  g_clear_error (&error);
  g_assert_null (publish_version_full (f->db, qi_test_id_of (v2), "{\"files\": 1}", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&got, json_node_unref);
  got = qi_db_adapter_get_version (f->db, qi_test_id_of (v2), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (got, "state"), ==, "pending");
  listed = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (listed), ==, 2);

  g_clear_pointer (&published, json_node_unref);
  published = publish_version_full (f->db, qi_test_id_of (v2), "{}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (files_of_component (published), ==, 2);

  g_signal_handler_disconnect (f->db, handler);
  /* created twice, published twice: never with the files */
  g_assert_cmpuint (seen->len, ==, 4);
  for (guint i = 0; i < seen->len; i++)
    g_assert_cmpint (files_of_component (seen->pdata[i]), ==, -1);
}

/* A spec of @n files a/0000 … in component `abc`, the file @twice (if
 * below @n) named as the file @twice_of. */
static char *
many_files_spec (const char *product,
                 guint       n,
                 guint       twice,
                 guint       twice_of)
{
  GString *spec = g_string_new (NULL);

  g_string_append_printf (spec, "{\"product\": \"%s\", \"components\": [{\"name\": \"abc\", "
                          "\"location\": \"studio\", \"files\": [", product);
  for (guint k = 0; k < n; k++)
    g_string_append_printf (spec, "%s{\"path\": \"a/%04u\", \"size\": %u}", k > 0 ? ", " : "",
                            k == twice ? twice_of : k, k);
  g_string_append (spec, "]}]}");
  return g_string_free (spec, FALSE);
}

/* A version of many files (a sequence of frames) keeps every one, in
 * order of path; a path given twice among them is named by its place,
 * and nothing is written. */
static void
test_many_files (Fixture       *f,
                 gconstpointer  data)
{
  static const struct { guint n, twice, twice_of; } bad[] = {
    { 250, 150, 20 },   /* in a batch of a hundred, clashing with another batch */
    { 250, 99, 98 },    /* in one batch */
    { 250, 230, 201 },  /* among the last ones */
    { 250, 230, 5 },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *spec = many_files_spec (f->product, 250, G_MAXUINT, 0);
  g_autoptr(JsonNode) created = create_version (f->db, spec, &error);
  g_autoptr(JsonNode) version = NULL;
  g_autoptr(JsonNode) listed = NULL;
  JsonArray *files;

  g_assert_no_error (error);
  version = qi_db_adapter_get_version (f->db, qi_test_id_of (created), &error);
  g_assert_no_error (error);
  files = json_object_get_array_member (json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (version), "components"), 0), "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 250);
  for (guint k = 0; k < 250; k++)
    {
      g_autofree char *path = g_strdup_printf ("a/%04u", k);

      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (files, k), "path"), ==, path);
      g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (files, k), "size"), ==, k);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *bad_spec = many_files_spec (f->product, bad[i].n, bad[i].twice, bad[i].twice_of);
      g_autofree char *expected = g_strdup_printf ("components[0].files[%u].path: “a/%04u” is listed twice",
                                                   MAX (bad[i].twice, bad[i].twice_of),
                                                   bad[i].twice_of);

      g_assert_null (create_version (f->db, bad_spec, &error));
      g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
      g_assert_cmpstr (error->message, ==, expected);
      g_clear_error (&error);
    }
  listed = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (listed), ==, 1);
}

/* Abandoning a pending version removes it and its components; its number
 * is free again if it was the highest. A published one stays. */
static void
test_abandon (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) abandoned = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonNode) links = NULL;
  g_autofree char *spec = NULL;
  g_autofree char *plain = g_strdup_printf ("{\"product\": \"%s\"}", f->product);
  gint64 components;

  v1 = create_version (f->db, plain, &error);
  g_assert_no_error (error);
  node = qi_db_adapter_publish_version (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  components = count_of (f->db, "components");
  spec = g_strdup_printf ("{\"product\": \"%s\", \"metadata\": {\"fps\": 24}, \"components\": [{\"name\": \"abc\", "
                          "\"location\": \"studio\", \"metadata\": {\"format\": \"alembic\"}, \"files\": "
                          "[{\"path\": \"a.abc\", \"size\": 3}]}, {\"name\": \"exr\", \"location\": \"studio\", "
                          "\"files\": [{\"path\": \"f.1.exr\", \"size\": 1}, {\"path\": \"f.2.exr\", \"size\": 1}]}]}",
                          f->product);
  v2 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  node = qi_db_adapter_link_versions (f->db, qi_test_id_of (v2), qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);

  /* The version as it was, with its components. */
  abandoned = qi_db_adapter_abandon_version (f->db, qi_test_id_of (v2), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_id_of (abandoned), ==, qi_test_id_of (v2));
  g_assert_cmpint (qi_test_int_of (abandoned, "number"), ==, 2);
  g_assert_cmpstr (qi_test_string_of (abandoned, "state"), ==, "pending");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (abandoned),
                                                                         "components")), ==, 2);

  /* Gone, everywhere. */
  g_assert_null (qi_db_adapter_get_version (f->db, qi_test_id_of (v2), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  list = qi_db_adapter_list_pending_versions (f->db, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 0);
  g_clear_pointer (&list, json_node_unref);
  list = qi_db_adapter_list_versions (f->db, f->product, NULL, TRUE, 0, 0, &error);
  g_assert_cmpuint (qi_test_length_of (list), ==, 1);
  g_clear_pointer (&list, json_node_unref);
  links = qi_db_adapter_list_version_links (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (links), "used_in")),
                    ==, 0);
  g_assert_cmpint (count_of (f->db, "components"), ==, components);

  /* The highest number is free again; a lower one is not given twice. */
  {
    g_autoptr(JsonNode) again = create_version (f->db, plain, &error);
    g_autoptr(JsonNode) v3 = NULL;
    g_autoptr(JsonNode) gone = NULL;
    g_autoptr(JsonNode) v4 = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (qi_test_int_of (again, "number"), ==, 2);
    v3 = create_version (f->db, plain, &error);
    g_assert_cmpint (qi_test_int_of (v3, "number"), ==, 3);
    gone = qi_db_adapter_abandon_version (f->db, qi_test_id_of (again), &error);
    g_assert_no_error (error);
    v4 = create_version (f->db, plain, &error);
    g_assert_no_error (error);
    g_assert_cmpint (qi_test_int_of (v4, "number"), ==, 4);
  }

  /* A published version stays; an unknown one is not found. */
  g_assert_null (qi_db_adapter_abandon_version (f->db, qi_test_id_of (v1), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  node = qi_db_adapter_get_version (f->db, qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "state"), ==, "published");
  g_assert_null (qi_db_adapter_abandon_version (f->db, qi_test_id_of (v2), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_abandon_version (f->db, f->target->unknown_id, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_abandon_version (f->db, "", &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* Links: casting between contexts, uses between versions. */
static void
test_links (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) links = NULL;
  g_autoptr(JsonNode) v1 = NULL;
  g_autoptr(JsonNode) v2 = NULL;
  g_autoptr(JsonNode) cache = NULL;
  g_autofree char *spec = NULL;
  const char *assets, *hero, *sword, *anim_cache;
  JsonArray *uses, *used_in;

  node = qi_db_adapter_create_context (f->db, "demo", NULL, "folder", "assets", &error);
  g_assert_no_error (error);
  assets = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (f->db, "demo", assets, "asset_build", "prp_sword", &error);
  sword = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (f->db, "demo", assets, "asset_build", "chr_hero", &error);
  g_assert_no_error (error);
  hero = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);

  /* The shot casts both asset builds. */
  node = qi_db_adapter_link_contexts (f->db, f->shot, sword, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "context"), ==, f->shot);
  g_assert_cmpstr (qi_test_string_of (node, "uses"), ==, sword);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_link_contexts (f->db, f->shot, hero, &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  links = qi_db_adapter_list_context_links (f->db, f->shot, &error);
  g_assert_no_error (error);
  uses = json_object_get_array_member (json_node_get_object (links), "uses");
  used_in = json_object_get_array_member (json_node_get_object (links), "used_in");
  g_assert_cmpuint (json_array_get_length (uses), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (uses, 0), "path"), ==,
                   "/assets/chr_hero");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (uses, 1), "path"), ==,
                   "/assets/prp_sword");
  g_assert_cmpuint (json_array_get_length (used_in), ==, 0);
  g_clear_pointer (&links, json_node_unref);
  links = qi_db_adapter_list_context_links (f->db, hero, &error);
  used_in = json_object_get_array_member (json_node_get_object (links), "used_in");
  g_assert_cmpuint (json_array_get_length (used_in), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (used_in, 0), "id"), ==, f->shot);
  g_clear_pointer (&links, json_node_unref);

  g_assert_null (qi_db_adapter_link_contexts (f->db, f->shot, hero, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "“/sq010/sh010” uses “/assets/chr_hero” already");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_link_contexts (f->db, f->shot, f->shot, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_link_contexts (f->db, f->shot, f->target->unknown_id, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  node = qi_db_adapter_create_project (f->db, "alpha", NULL, &error);
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_create_context (f->db, "alpha", NULL, "shot", "sh010", &error);
  g_assert_no_error (error);
  g_assert_null (qi_db_adapter_link_contexts (f->db, f->shot, qi_test_id_of (node), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&node, json_node_unref);

  /* A lighting version uses the animation caches. */
  node = qi_db_adapter_create_product (f->db, f->shot, "cacheMain", f->target->product_type, &error);
  g_assert_no_error (error);
  anim_cache = qi_test_id_of (node);
  g_clear_pointer (&node, json_node_unref);
  spec = g_strdup_printf ("{\"product\": \"%s\"}", anim_cache);
  cache = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  g_clear_pointer (&spec, g_free);
  spec = g_strdup_printf ("{\"product\": \"%s\"}", f->product);
  v1 = create_version (f->db, spec, &error);
  v2 = create_version (f->db, spec, &error);
  g_assert_no_error (error);
  node = qi_db_adapter_link_versions (f->db, qi_test_id_of (v2), qi_test_id_of (cache), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "version"), ==, qi_test_id_of (v2));
  g_clear_pointer (&node, json_node_unref);
  node = qi_db_adapter_link_versions (f->db, qi_test_id_of (v2), qi_test_id_of (v1), &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  links = qi_db_adapter_list_version_links (f->db, qi_test_id_of (v2), &error);
  g_assert_no_error (error);
  uses = json_object_get_array_member (json_node_get_object (links), "uses");
  g_assert_cmpuint (json_array_get_length (uses), ==, 2);
  /* By product name, then number; pending ones too. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (uses, 0), "product_name"), ==,
                   "animMain");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (uses, 1), "product_name"), ==,
                   "cacheMain");
  g_clear_pointer (&links, json_node_unref);
  links = qi_db_adapter_list_version_links (f->db, qi_test_id_of (cache), &error);
  used_in = json_object_get_array_member (json_node_get_object (links), "used_in");
  g_assert_cmpuint (json_array_get_length (used_in), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (used_in, 0), "id"), ==,
                   qi_test_id_of (v2));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (links), "uses")),
                    ==, 0);
  g_assert_null (qi_db_adapter_link_versions (f->db, qi_test_id_of (v2), qi_test_id_of (cache), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_link_versions (f->db, qi_test_id_of (v2), qi_test_id_of (v2), &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  /* versions of two projects are not linked */
  {
    g_autoptr(JsonNode) other = NULL;
    g_autoptr(JsonNode) product = NULL;
    g_autoptr(JsonNode) foreign = NULL;
    g_autofree char *foreign_spec = NULL;

    other = qi_db_adapter_lookup_context (f->db, "alpha", "/sh010", &error);
    g_assert_no_error (error);
    product = qi_db_adapter_create_product (f->db, qi_test_id_of (other), "plateMain", f->target->product_type, &error);
    g_assert_no_error (error);
    foreign_spec = g_strdup_printf ("{\"product\": \"%s\"}", qi_test_id_of (product));
    foreign = create_version (f->db, foreign_spec, &error);
    g_assert_no_error (error);
    g_assert_null (qi_db_adapter_link_versions (f->db, qi_test_id_of (v2), qi_test_id_of (foreign), &error));
    g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
    g_clear_error (&error);
  }
  g_assert_null (qi_db_adapter_list_version_links (f->db, f->target->unknown_id, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* Users and the tracker's vocabulary. */

static void
test_users (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = qi_db_adapter_create_user (f->db, "bruno", "Bruno Lindqvist", NULL, &error);
  g_autoptr(JsonNode) list = NULL;
  gboolean seen_ada = FALSE, seen_bruno = FALSE;

  g_assert_no_error (error);
  g_assert_cmpstr (qi_test_string_of (node, "username"), ==, "bruno");
  g_assert_cmpstr (qi_test_string_of (node, "full_name"), ==, "Bruno Lindqvist");
  g_assert_true (json_object_get_null_member (json_node_get_object (node), "email"));

  list = qi_db_adapter_list_users (f->db, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < qi_test_length_of (list); i++)
    {
      const char *username = qi_test_string_of (qi_test_element (list, i), "username");

      if (i > 0)
        g_assert_cmpint (g_strcmp0 (qi_test_string_of (qi_test_element (list, i - 1), "username"), username), <, 0);
      if (g_strcmp0 (username, "ada") == 0)
        {
          seen_ada = TRUE;
          g_assert_cmpstr (qi_test_string_of (qi_test_element (list, i), "full_name"), ==, "Ada Okafor");
          g_assert_cmpstr (qi_test_string_of (qi_test_element (list, i), "email"), ==, "ada@studio.example");
        }
      seen_bruno |= g_strcmp0 (username, "bruno") == 0;
    }
  g_assert_true (seen_ada && seen_bruno);

  g_assert_null (qi_db_adapter_create_user (f->db, "ada", NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "there is a user “ada” already");
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_user (f->db, "no body", NULL, NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_db_adapter_create_location (f->db, "studio", NULL, &error));
  g_assert_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT);
  g_clear_error (&error);
}

static void
test_vocabulary (Fixture       *f,
                 gconstpointer  data)
{
  static const char * const states[] = { "not_started", "in_progress", "done", "blocked", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) statuses = qi_db_adapter_list_statuses (f->db, &error);
  g_autoptr(JsonNode) types = qi_db_adapter_list_task_types (f->db, &error);
  gboolean not_started = FALSE;

  g_assert_no_error (error);
  for (guint i = 0; i < qi_test_length_of (statuses); i++)
    {
      JsonNode *status = qi_test_element (statuses, i);

      g_assert_true (g_strv_contains (states, qi_test_string_of (status, "state")));
      g_assert_nonnull (qi_test_string_of (status, "label"));
      not_started |= g_strcmp0 (qi_test_string_of (status, "name"), "not_started") == 0;
    }
  /* A new task's status. */
  g_assert_true (not_started);
  for (guint i = 0; i < qi_test_length_of (types); i++)
    {
      g_assert_nonnull (qi_test_string_of (qi_test_element (types, i), "label"));
      g_assert_nonnull (qi_test_string_of (qi_test_element (types, i), "name"));
      g_assert_cmpstr (qi_test_string_of (qi_test_element (types, i), "name"), !=, "");
    }
}

void
qi_db_conformance_add_tests (QiDbConformanceTarget *target)
{
  static const struct { const char *name; void (*func) (Fixture *, gconstpointer); } cases[] = {
    { "projects", test_projects },
    { "contexts", test_contexts },
    { "tasks", test_tasks },
    { "products", test_products },
    { "versions", test_versions },
    { "version-errors", test_version_errors },
    { "version-number", test_version_number },
    { "publish-details", test_publish_details },
    { "answer-files", test_answer_files },
    { "many-files", test_many_files },
    { "abandon", test_abandon },
    { "links", test_links },
    { "users", test_users },
    { "vocabulary", test_vocabulary },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/qi/db-conformance/%s/%s", target->name, cases[i].name);

      g_test_add (path, Fixture, target, fixture_set_up, cases[i].func, fixture_tear_down);
    }
}
