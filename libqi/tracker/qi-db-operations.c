/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-db-operations-private.h"
#include "qi-json-reader-private.h"

/* The most versions one `version.list` returns. */
#define MAX_LIMIT 10000

static JsonNode *
wrap (const char *name,
      JsonNode   *value)
{
  g_autoptr(JsonObject) object = NULL;

  if (value == NULL)
    return NULL;
  object = json_object_new ();
  json_object_set_member (object, name, value);
  /* the node takes a reference of its own */
  return json_node_init_object (json_node_alloc (), object);
}

#define STRING(name, required) { name, QI_HUB_FIELD_STRING, required, 0 }
#define ID(name, required) { name, QI_HUB_FIELD_ID, required, 0 }
#define CONTEXT(name, required) { name, QI_HUB_FIELD_CONTEXT, required, 0 }
#define BOOL(name) { name, QI_HUB_FIELD_BOOL, FALSE, 0 }
#define INT(name, minimum) { name, QI_HUB_FIELD_INT, FALSE, minimum }
#define OBJECT(name, required) { name, QI_HUB_FIELD_OBJECT, required, 0 }
#define END { NULL, 0, FALSE, 0 }

/* A context given as an id, or as a path (it starts with "/") within
 * "project", which is looked up. */
static gboolean
get_context (QiDbAdapter  *adapter,
             JsonObject   *arguments,
             const char   *name,
             char        **id,
             GError      **error)
{
  const char *path = qi_hub_facade_get_string (arguments, name);
  g_autoptr(JsonNode) context = NULL;

  if (path == NULL || path[0] != '/')
    {
      *id = qi_hub_facade_dup_id (arguments, name);
      return TRUE;
    }
  context = qi_db_adapter_lookup_context (adapter, qi_hub_facade_get_string (arguments, "project"), path, error);
  if (context == NULL)
    return FALSE;
  *id = g_strdup (json_object_get_string_member (json_node_get_object (context), "id"));
  return TRUE;
}

static gboolean
needs_one_of (GError     **error,
              const char  *topic,
              const char  *a,
              const char  *b,
              const char  *expected)
{
  g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
               _("%s: the payload needs “%s” or “%s”, %s"), topic, a, b, expected);
  return FALSE;
}

#define S(name) qi_hub_facade_get_string (arguments, name)

static const QiHubField no_fields[] = { END };

static JsonNode *
project_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return wrap ("projects", qi_db_adapter_list_projects (adapter, error));
}

static const QiHubField project_get_fields[] = { STRING ("name", TRUE), END };

static JsonNode *
project_get (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return qi_db_adapter_get_project (adapter, S ("name"), error);
}

static const QiHubField project_create_fields[] = { STRING ("name", TRUE), STRING ("label", FALSE), END };

static JsonNode *
project_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return qi_db_adapter_create_project (adapter, S ("name"), S ("label"), error);
}

static const QiHubField context_children_fields[] = { STRING ("project", TRUE), CONTEXT ("parent", FALSE), END };

static JsonNode *
context_children (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *parent = NULL;

  if (!get_context (adapter, arguments, "parent", &parent, error))
    return NULL;
  return wrap ("contexts", qi_db_adapter_list_contexts (adapter, S ("project"), parent, error));
}

static const QiHubField context_list_fields[] = { STRING ("project", TRUE), END };

static JsonNode *
context_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return wrap ("contexts", qi_db_adapter_list_all_contexts (adapter, S ("project"), error));
}

static const QiHubField context_lookup_fields[] = { STRING ("project", TRUE), STRING ("path", TRUE), END };

static JsonNode *
context_lookup (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return qi_db_adapter_lookup_context (adapter, S ("project"), S ("path"), error);
}

static const QiHubField context_create_fields[] = {
  STRING ("project", TRUE), CONTEXT ("parent", FALSE), STRING ("kind", TRUE), STRING ("name", TRUE), END
};

static JsonNode *
context_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *parent = NULL;

  if (!get_context (adapter, arguments, "parent", &parent, error))
    return NULL;
  return qi_db_adapter_create_context (adapter, S ("project"), parent, S ("kind"), S ("name"), error);
}

static const QiHubField context_link_fields[] = { CONTEXT ("context", TRUE), CONTEXT ("uses", TRUE), END };

static JsonNode *
context_link (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;
  g_autofree char *uses = NULL;

  if (!get_context (adapter, arguments, "context", &context, error) ||
      !get_context (adapter, arguments, "uses", &uses, error))
    return NULL;
  return qi_db_adapter_link_contexts (adapter, context, uses, error);
}

static const QiHubField context_links_fields[] = { CONTEXT ("context", TRUE), END };

static JsonNode *
context_links (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, arguments, "context", &context, error))
    return NULL;
  return qi_db_adapter_list_context_links (adapter, context, error);
}

static const QiHubField task_list_fields[] = {
  STRING ("project", FALSE), CONTEXT ("context", FALSE), STRING ("assignee", FALSE), END
};

static JsonNode *
task_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, arguments, "context", &context, error))
    return NULL;
  if (context == NULL && S ("assignee") == NULL)
    return needs_one_of (error, topic, "context", "assignee", _("a context or a username")), NULL;
  return wrap ("tasks", qi_db_adapter_list_tasks (adapter, S ("project"), context, S ("assignee"), error));
}

static const QiHubField task_create_fields[] = {
  CONTEXT ("context", TRUE), STRING ("name", TRUE), STRING ("type", TRUE), STRING ("status", FALSE),
  STRING ("assignee", FALSE), END
};

static JsonNode *
task_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, arguments, "context", &context, error))
    return NULL;
  return qi_db_adapter_create_task (adapter, context, S ("name"), S ("type"), S ("status"), S ("assignee"), error);
}

static const QiHubField product_list_fields[] = { CONTEXT ("context", TRUE), STRING ("type", FALSE), END };

static JsonNode *
product_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, arguments, "context", &context, error))
    return NULL;
  return wrap ("products", qi_db_adapter_list_products (adapter, context, S ("type"), error));
}

static const QiHubField product_create_fields[] = {
  CONTEXT ("context", TRUE), STRING ("name", TRUE), STRING ("type", TRUE), END
};

static JsonNode *
product_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, arguments, "context", &context, error))
    return NULL;
  return qi_db_adapter_create_product (adapter, context, S ("name"), S ("type"), error);
}

static const QiHubField version_get_fields[] = { ID ("id", TRUE), END };

static JsonNode *
version_get (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *id = qi_hub_facade_dup_id (arguments, "id");

  return qi_db_adapter_get_version (adapter, id, error);
}

static const QiHubField version_list_fields[] = {
  ID ("product", FALSE), ID ("task", FALSE), BOOL ("include_pending"), INT ("offset", 0), INT ("limit", 1), END
};

static JsonNode *
version_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *product = qi_hub_facade_dup_id (arguments, "product");
  g_autofree char *task = qi_hub_facade_dup_id (arguments, "task");
  gint64 offset = qi_hub_facade_get_int (arguments, "offset", 0);
  gint64 limit = qi_hub_facade_get_int (arguments, "limit", 100);
  JsonNode *reply;

  if (product == NULL && task == NULL)
    return needs_one_of (error, topic, "product", "task", _("a product id or a task id")), NULL;
  if (offset > G_MAXUINT || limit > MAX_LIMIT)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("%s: “limit” is at most %d and “offset” at most %u"), topic, MAX_LIMIT, G_MAXUINT);
      return NULL;
    }
  reply = wrap ("versions", qi_db_adapter_list_versions (adapter, product, task,
                                                         qi_hub_facade_get_bool (arguments, "include_pending", FALSE),
                                                         offset, limit, error));
  if (reply != NULL)
    {
      json_object_set_int_member (json_node_get_object (reply), "offset", offset);
      json_object_set_int_member (json_node_get_object (reply), "limit", limit);
    }
  return reply;
}

static const QiHubField version_latest_fields[] = { CONTEXT ("context", TRUE), BOOL ("include_pending"), END };

static JsonNode *
version_latest (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, arguments, "context", &context, error))
    return NULL;
  return wrap ("versions", qi_db_adapter_latest_versions (adapter, context,
                                                          qi_hub_facade_get_bool (arguments, "include_pending", FALSE),
                                                          error));
}

/* The most versions one `version.inventory` takes. */
#define MAX_INVENTORY 10000

/* For a scene's inventory in one request: each version asked (the
 * versions its containers hold), and the latest published version of
 * its product; null for a version that is gone. */
static JsonNode *
version_inventory (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  JsonNode *versions = json_object_get_member (arguments, "versions");
  g_autoptr(GHashTable) latest = NULL;
  g_autoptr(JsonArray) answers = NULL;
  JsonArray *ids;

  if (versions == NULL || !JSON_NODE_HOLDS_ARRAY (versions) ||
      json_array_get_length (json_node_get_array (versions)) > MAX_INVENTORY)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("%s: the payload needs “versions”, a list of at most %d version ids"), topic, MAX_INVENTORY);
      return NULL;
    }
  ids = json_node_get_array (versions);
  latest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
  answers = json_array_sized_new (json_array_get_length (ids));
  for (guint i = 0; i < json_array_get_length (ids); i++)
    {
      JsonNode *item = json_array_get_element (ids, i);
      g_autofree char *id = NULL;
      g_autoptr(JsonNode) version = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonObject *answer;
      JsonNode *newest = NULL;

      if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING &&
          *json_node_get_string (item) != '\0')
        id = g_strdup (json_node_get_string (item));
      else if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_INT64)
        id = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (item));
      else
        {
          g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                       _("%s: versions[%u] is not a version id"), topic, i);
          return NULL;
        }
      version = qi_db_adapter_get_version (adapter, id, &local_error);
      if (version == NULL && !g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (version != NULL)
        {
          const char *product = json_object_get_string_member (json_node_get_object (version), "product");

          json_object_remove_member (json_node_get_object (version), "components");
          newest = g_hash_table_lookup (latest, product);
          if (newest == NULL)
            {
              g_autoptr(JsonNode) list = qi_db_adapter_list_versions (adapter, product, NULL, FALSE, 0, 1, error);
              JsonArray *array;

              if (list == NULL)
                return NULL;
              array = json_node_get_array (list);
              newest = json_array_get_length (array) > 0 ? json_node_copy (json_array_get_element (array, 0))
                                                         : json_node_new (JSON_NODE_NULL);
              g_hash_table_insert (latest, g_strdup (product), newest);
            }
        }
      answer = json_object_new ();
      json_object_set_string_member (answer, "id", id);
      json_object_set_member (answer, "version", version != NULL ? g_steal_pointer (&version)
                                                                 : json_node_new (JSON_NODE_NULL));
      json_object_set_member (answer, "latest", newest != NULL ? json_node_copy (newest)
                                                               : json_node_new (JSON_NODE_NULL));
      json_array_add_object_element (answers, answer);
    }
  return wrap ("versions", json_node_init_array (json_node_alloc (), answers));
}

/* The spec is checked by the adapter (qi-db-checks.c); ids given as
 * integers are taken as their decimal text. */
static gboolean
holds_int (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static JsonNode *
version_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autoptr(JsonObject) spec = NULL;

  if (!holds_int (arguments, "product") && !holds_int (arguments, "task"))
    return qi_db_adapter_create_version (adapter, arguments, error);

  /* a copy of the top level only: the components (a version of a
   * thousand files is a large tree) are shared */
  spec = json_object_new ();
  {
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;

    json_object_iter_init (&iter, arguments);
    while (json_object_iter_next (&iter, &name, &value))
      json_object_set_member (spec, name, json_node_ref (value));
  }
  for (const char * const *field = (const char * const []) { "product", "task", NULL }; *field != NULL; field++)
    {
      g_autofree char *id = NULL;

      if (holds_int (spec, *field) && (id = qi_hub_facade_dup_id (spec, *field)) != NULL)
        json_object_set_string_member (spec, *field, id);
    }
  return qi_db_adapter_create_version (adapter, spec, error);
}

static const QiHubField version_publish_fields[] = {
  ID ("id", TRUE), OBJECT ("metadata", FALSE), STRING ("thumbnail", FALSE), BOOL ("files"), END
};

static JsonNode *
version_publish (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *id = qi_hub_facade_dup_id (arguments, "id");
  g_autoptr(JsonObject) details = json_object_new ();

  for (const char * const *field = (const char * const []) { "metadata", "thumbnail", "files", NULL }; *field != NULL; field++)
    if (json_object_has_member (arguments, *field) && !JSON_NODE_HOLDS_NULL (json_object_get_member (arguments, *field)))
      json_object_set_member (details, *field, json_node_copy (json_object_get_member (arguments, *field)));
  return qi_db_adapter_publish_version_full (adapter, id, details, error);
}

static const QiHubField version_abandon_fields[] = { ID ("id", TRUE), END };

static JsonNode *
version_abandon (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *id = qi_hub_facade_dup_id (arguments, "id");

  return qi_db_adapter_abandon_version (adapter, id, error);
}

static const QiHubField version_pending_fields[] = { INT ("older_than_s", 0), END };

static JsonNode *
version_pending (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return wrap ("versions", qi_db_adapter_list_pending_versions (adapter,
                                                                qi_hub_facade_get_int (arguments, "older_than_s", 0),
                                                                error));
}

static const QiHubField version_link_fields[] = { ID ("version", TRUE), ID ("uses", TRUE), END };

static JsonNode *
version_link (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *version = qi_hub_facade_dup_id (arguments, "version");
  g_autofree char *uses = qi_hub_facade_dup_id (arguments, "uses");

  return qi_db_adapter_link_versions (adapter, version, uses, error);
}

static const QiHubField version_links_fields[] = { ID ("version", TRUE), END };

static JsonNode *
version_links (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  g_autofree char *version = qi_hub_facade_dup_id (arguments, "version");

  return qi_db_adapter_list_version_links (adapter, version, error);
}

static JsonNode *
user_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return wrap ("users", qi_db_adapter_list_users (adapter, error));
}

static const QiHubField user_create_fields[] = {
  STRING ("username", TRUE), STRING ("full_name", FALSE), STRING ("email", FALSE), END
};

static JsonNode *
user_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return qi_db_adapter_create_user (adapter, S ("username"), S ("full_name"), S ("email"), error);
}

static JsonNode *
status_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return wrap ("statuses", qi_db_adapter_list_statuses (adapter, error));
}

static JsonNode *
task_type_list (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return wrap ("task_types", qi_db_adapter_list_task_types (adapter, error));
}

static const QiHubField location_create_fields[] = { STRING ("name", TRUE), STRING ("root", FALSE), END };

static JsonNode *
location_create (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return qi_db_adapter_create_location (adapter, S ("name"), S ("root"), error);
}

static JsonNode *
stats (QiDbAdapter *adapter, JsonObject *arguments, const char *topic, GError **error)
{
  return qi_db_adapter_stats (adapter, error);
}

#define OP(name, fields, func) { name, "db_service." name, fields, func }

static const QiDbOperation operations[] = {
  OP ("project.list", no_fields, project_list),
  OP ("project.get", project_get_fields, project_get),
  OP ("project.create", project_create_fields, project_create),
  OP ("context.children", context_children_fields, context_children),
  OP ("context.list", context_list_fields, context_list),
  OP ("context.lookup", context_lookup_fields, context_lookup),
  OP ("context.create", context_create_fields, context_create),
  OP ("context.link", context_link_fields, context_link),
  OP ("context.links", context_links_fields, context_links),
  OP ("task.list", task_list_fields, task_list),
  OP ("task.create", task_create_fields, task_create),
  OP ("product.list", product_list_fields, product_list),
  OP ("product.create", product_create_fields, product_create),
  OP ("version.get", version_get_fields, version_get),
  OP ("version.list", version_list_fields, version_list),
  OP ("version.latest", version_latest_fields, version_latest),
  OP ("version.inventory", no_fields, version_inventory),
  OP ("version.create", no_fields, version_create),
  OP ("version.publish", version_publish_fields, version_publish),
  OP ("version.abandon", version_abandon_fields, version_abandon),
  OP ("version.pending", version_pending_fields, version_pending),
  OP ("version.link", version_link_fields, version_link),
  OP ("version.links", version_links_fields, version_links),
  OP ("user.list", no_fields, user_list),
  OP ("user.create", user_create_fields, user_create),
  OP ("status.list", no_fields, status_list),
  OP ("task_type.list", no_fields, task_type_list),
  OP ("location.create", location_create_fields, location_create),
  OP ("stats", no_fields, stats),
};

const QiDbOperation *
qi_db_operations_get (gsize *n_operations)
{
  *n_operations = G_N_ELEMENTS (operations);
  return operations;
}

const QiDbOperation *
qi_db_operations_lookup (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (operations); i++)
    if (g_str_equal (operations[i].name, name))
      return &operations[i];
  return NULL;
}
