/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-db-manager.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-error.h"
#include "qi-json-reader-private.h"
#include "qi-message-bus.h"
#include "qi-sqlite-adapter.h"

/**
 * QiDbManager:
 *
 * The `db` service: the tracker adapters of the run by name, one of them
 * the default, and the tracker-neutral API on the hub.
 *
 * In C, callers take an adapter with qi_db_manager_get_adapter() and use
 * the #QiDbAdapter API. On the hub (after qi_db_manager_attach_hub()) the
 * session `__hub__/db` answers the `db_service.*` request topics of
 * docs/protocol.md, each with an optional `adapter` in its payload, and
 * emits `db_service.ENTITY.changed` after every write of any of its
 * adapters (#QiDbAdapter::changed).
 */

#define MAX_LIMIT 10000

typedef struct
{
  QiDbManager *self;
  char        *name;
  QiDbAdapter *adapter;
  gulong       changed_id;
} Entry;

struct _QiDbManager
{
  QiService      parent_instance;

  GPtrArray     *entries;    /* Entry, in the order added */
  char          *default_name;
  QiHubEndpoint *endpoint;
};

G_DEFINE_FINAL_TYPE (QiDbManager, qi_db_manager, QI_TYPE_SERVICE)

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_signal_handler_disconnect (entry->adapter, entry->changed_id);
  g_object_unref (entry->adapter);
  g_free (entry->name);
  g_free (entry);
}

static Entry *
find_entry (QiDbManager *self,
            const char  *name)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (g_str_equal (entry->name, name))
        return entry;
    }
  return NULL;
}

/* Events. */

static void
on_adapter_changed (QiDbAdapter *adapter,
                    const char  *entity,
                    const char  *action,
                    JsonNode    *object,
                    gpointer     user_data)
{
  Entry *entry = user_data;
  QiDbManager *self = entry->self;
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *topic = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *body;

  if (self->endpoint == NULL)
    return;

  body = json_object_new ();
  json_object_set_string_member (body, "adapter", entry->name);
  json_object_set_string_member (body, "action", action);
  json_object_set_member (body, entity, json_node_copy (object));
  payload = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (payload, body);

  topic = g_strdup_printf ("db_service.%s.changed", entity);
  if (!qi_hub_endpoint_emit (self->endpoint, topic, payload, &error))
    g_warning ("cannot emit %s: %s", topic, error->message);
}

/* Payloads. Problems with their shape are bad_message; the adapter's own
 * errors are handler_failed with its message. */

static gboolean
bad_field (GError     **error,
           const char  *topic,
           const char  *member,
           const char  *expected,
           JsonNode    *node)
{
  if (node == NULL)
    g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                 _("%s: the payload needs “%s”, %s"), topic, member, expected);
  else
    g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                 _("%s: “%s” must be %s, not %s"), topic, member, expected, qi_json_describe_type (node));
  return FALSE;
}

static JsonNode *
member (JsonObject *payload,
        const char *name)
{
  JsonNode *node = json_object_get_member (payload, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
get_string (JsonObject  *payload,
            const char  *topic,
            const char  *name,
            gboolean     required,
            const char **value,
            GError     **error)
{
  JsonNode *node = member (payload, name);

  *value = NULL;
  if (node == NULL)
    return !required || bad_field (error, topic, name, _("a string"), NULL);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_field (error, topic, name, _("a string"), node);
  *value = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_int (JsonObject  *payload,
         const char  *topic,
         const char  *name,
         gboolean     required,
         gint64       minimum,
         gint64      *value,
         GError     **error)
{
  JsonNode *node = member (payload, name);
  g_autofree char *expected = g_strdup_printf (_("an integer from %" G_GINT64_FORMAT), minimum);

  if (node == NULL)
    return !required || bad_field (error, topic, name, expected, NULL);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < minimum)
    return bad_field (error, topic, name, expected, node);
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_bool (JsonObject  *payload,
          const char  *topic,
          const char  *name,
          gboolean    *value,
          GError     **error)
{
  JsonNode *node = member (payload, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return bad_field (error, topic, name, _("true or false"), node);
  *value = json_node_get_boolean (node);
  return TRUE;
}

/* An id: a string, as the adapter gave it out; an integer is taken as its
 * decimal text (the SQLite tracker's ids, as clients wrote them before ids
 * were strings). *id gets a new string, or NULL when the field is absent. */
static gboolean
get_id (JsonObject  *payload,
        const char  *topic,
        const char  *name,
        gboolean     required,
        char       **id,
        GError     **error)
{
  JsonNode *node = member (payload, name);
  const char *expected = _("an id, a string");

  *id = NULL;
  if (node == NULL)
    return !required || bad_field (error, topic, name, expected, NULL);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      if (json_node_get_int (node) < 1)
        return bad_field (error, topic, name, expected, node);
      *id = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      json_node_get_string (node)[0] == '\0')
    return bad_field (error, topic, name, expected, node);
  *id = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* A context given as an id, or as a path (it starts with "/") with
 * "project". */
static gboolean
get_context (QiDbAdapter  *adapter,
             JsonObject   *payload,
             const char   *topic,
             const char   *name,
             gboolean      required,
             char        **id,
             GError      **error)
{
  JsonNode *node = member (payload, name);
  const char *expected = _("a context id, or a path such as “/sq010/sh020” with “project”");
  const char *project, *path;
  g_autoptr(JsonNode) context = NULL;

  *id = NULL;
  if (node == NULL)
    return !required || bad_field (error, topic, name, expected, NULL);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
      json_node_get_string (node)[0] == '/')
    {
      path = json_node_get_string (node);
      if (!get_string (payload, topic, "project", TRUE, &project, error))
        return FALSE;
      context = qi_db_adapter_lookup_context (adapter, project, path, error);
      if (context == NULL)
        return FALSE;
      *id = g_strdup (json_object_get_string_member (json_node_get_object (context), "id"));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_STRING && json_node_get_value_type (node) != G_TYPE_INT64))
    return bad_field (error, topic, name, expected, node);
  return get_id (payload, topic, name, required, id, error);
}

static JsonNode *
wrap (const char *name,
      JsonNode   *value)
{
  JsonObject *object;
  JsonNode *node;

  if (value == NULL)
    return NULL;
  object = json_object_new ();
  json_object_set_member (object, name, value);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);
  return node;
}

/* The topics. */

typedef JsonNode *(*OpFunc) (QiDbAdapter  *adapter,
                             JsonObject   *payload,
                             const char   *topic,
                             GError      **error);

static JsonNode *
op_project_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  return wrap ("projects", qi_db_adapter_list_projects (adapter, error));
}

static JsonNode *
op_project_get (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *name;

  if (!get_string (payload, topic, "name", TRUE, &name, error))
    return NULL;
  return qi_db_adapter_get_project (adapter, name, error);
}

static JsonNode *
op_project_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *name, *label;

  if (!get_string (payload, topic, "name", TRUE, &name, error) ||
      !get_string (payload, topic, "label", FALSE, &label, error))
    return NULL;
  return qi_db_adapter_create_project (adapter, name, label, error);
}

static JsonNode *
op_context_children (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *project;
  g_autofree char *parent = NULL;

  if (!get_string (payload, topic, "project", TRUE, &project, error) ||
      !get_context (adapter, payload, topic, "parent", FALSE, &parent, error))
    return NULL;
  return wrap ("contexts", qi_db_adapter_list_contexts (adapter, project, parent, error));
}

static JsonNode *
op_context_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *project;

  if (!get_string (payload, topic, "project", TRUE, &project, error))
    return NULL;
  return wrap ("contexts", qi_db_adapter_list_all_contexts (adapter, project, error));
}

static JsonNode *
op_context_lookup (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *project, *path;

  if (!get_string (payload, topic, "project", TRUE, &project, error) ||
      !get_string (payload, topic, "path", TRUE, &path, error))
    return NULL;
  return qi_db_adapter_lookup_context (adapter, project, path, error);
}

static JsonNode *
op_context_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *project, *kind, *name;
  g_autofree char *parent = NULL;

  if (!get_string (payload, topic, "project", TRUE, &project, error) ||
      !get_context (adapter, payload, topic, "parent", FALSE, &parent, error) ||
      !get_string (payload, topic, "kind", TRUE, &kind, error) ||
      !get_string (payload, topic, "name", TRUE, &name, error))
    return NULL;
  return qi_db_adapter_create_context (adapter, project, parent, kind, name, error);
}

static JsonNode *
op_task_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *project, *assignee;
  g_autofree char *context = NULL;

  if (!get_string (payload, topic, "project", FALSE, &project, error) ||
      !get_context (adapter, payload, topic, "context", FALSE, &context, error) ||
      !get_string (payload, topic, "assignee", FALSE, &assignee, error))
    return NULL;
  if (context == NULL && assignee == NULL)
    {
      bad_field (error, topic, "context” or “assignee", _("a context or a username"), NULL);
      return NULL;
    }
  return wrap ("tasks", qi_db_adapter_list_tasks (adapter, project, context, assignee, error));
}

static JsonNode *
op_task_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *name, *type, *status, *assignee;
  g_autofree char *context = NULL;

  if (!get_context (adapter, payload, topic, "context", TRUE, &context, error) ||
      !get_string (payload, topic, "name", TRUE, &name, error) ||
      !get_string (payload, topic, "type", TRUE, &type, error) ||
      !get_string (payload, topic, "status", FALSE, &status, error) ||
      !get_string (payload, topic, "assignee", FALSE, &assignee, error))
    return NULL;
  return qi_db_adapter_create_task (adapter, context, name, type, status, assignee, error);
}

static JsonNode *
op_product_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *type;
  g_autofree char *context = NULL;

  if (!get_context (adapter, payload, topic, "context", TRUE, &context, error) ||
      !get_string (payload, topic, "type", FALSE, &type, error))
    return NULL;
  return wrap ("products", qi_db_adapter_list_products (adapter, context, type, error));
}

static JsonNode *
op_product_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *name, *type;
  g_autofree char *context = NULL;

  if (!get_context (adapter, payload, topic, "context", TRUE, &context, error) ||
      !get_string (payload, topic, "name", TRUE, &name, error) ||
      !get_string (payload, topic, "type", TRUE, &type, error))
    return NULL;
  return qi_db_adapter_create_product (adapter, context, name, type, error);
}

static JsonNode *
op_version_get (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *id = NULL;

  if (!get_id (payload, topic, "id", TRUE, &id, error))
    return NULL;
  return qi_db_adapter_get_version (adapter, id, error);
}

static JsonNode *
op_version_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *product = NULL;
  g_autofree char *task = NULL;
  gint64 offset = 0, limit = 100;
  gboolean include_pending = FALSE;
  JsonNode *reply;

  if (!get_id (payload, topic, "product", FALSE, &product, error) ||
      !get_id (payload, topic, "task", FALSE, &task, error) ||
      !get_bool (payload, topic, "include_pending", &include_pending, error) ||
      !get_int (payload, topic, "offset", FALSE, 0, &offset, error) ||
      !get_int (payload, topic, "limit", FALSE, 1, &limit, error))
    return NULL;
  if (product == NULL && task == NULL)
    {
      bad_field (error, topic, "product” or “task", _("a product id or a task id"), NULL);
      return NULL;
    }
  if (offset > G_MAXUINT || limit > MAX_LIMIT)
    {
      g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                   _("%s: “limit” is at most %d and “offset” at most %u"), topic, MAX_LIMIT, G_MAXUINT);
      return NULL;
    }
  reply = wrap ("versions", qi_db_adapter_list_versions (adapter, product, task, include_pending,
                                                         offset, limit, error));
  if (reply != NULL)
    {
      json_object_set_int_member (json_node_get_object (reply), "offset", offset);
      json_object_set_int_member (json_node_get_object (reply), "limit", limit);
    }
  return reply;
}

static JsonNode *
op_version_latest (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *context = NULL;
  gboolean include_pending = FALSE;

  if (!get_context (adapter, payload, topic, "context", TRUE, &context, error) ||
      !get_bool (payload, topic, "include_pending", &include_pending, error))
    return NULL;
  return wrap ("versions", qi_db_adapter_latest_versions (adapter, context, include_pending, error));
}

static JsonNode *
op_version_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autoptr(JsonNode) wrapper = json_node_init_object (json_node_alloc (), payload);
  g_autoptr(JsonNode) copy = qi_json_node_deep_copy (wrapper);
  JsonObject *spec = json_node_get_object (copy);
  const char *fields[] = { "product", "task" };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      JsonNode *node = json_object_get_member (spec, fields[i]);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
        {
          g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

          json_object_set_string_member (spec, fields[i], text);
        }
    }
  return qi_db_adapter_create_version (adapter, spec, error);
}

static JsonNode *
op_version_publish (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *id = NULL;

  if (!get_id (payload, topic, "id", TRUE, &id, error))
    return NULL;
  return qi_db_adapter_publish_version (adapter, id, error);
}

static JsonNode *
op_version_pending (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  gint64 older_than = 0;

  if (!get_int (payload, topic, "older_than_s", FALSE, 0, &older_than, error))
    return NULL;
  return wrap ("versions", qi_db_adapter_list_pending_versions (adapter, older_than, error));
}

static JsonNode *
op_context_link (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *context = NULL;
  g_autofree char *uses = NULL;

  if (!get_context (adapter, payload, topic, "context", TRUE, &context, error) ||
      !get_context (adapter, payload, topic, "uses", TRUE, &uses, error))
    return NULL;
  return qi_db_adapter_link_contexts (adapter, context, uses, error);
}

static JsonNode *
op_context_links (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *context = NULL;

  if (!get_context (adapter, payload, topic, "context", TRUE, &context, error))
    return NULL;
  return qi_db_adapter_list_context_links (adapter, context, error);
}

static JsonNode *
op_version_link (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *version = NULL;
  g_autofree char *uses = NULL;

  if (!get_id (payload, topic, "version", TRUE, &version, error) ||
      !get_id (payload, topic, "uses", TRUE, &uses, error))
    return NULL;
  return qi_db_adapter_link_versions (adapter, version, uses, error);
}

static JsonNode *
op_version_links (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  g_autofree char *version = NULL;

  if (!get_id (payload, topic, "version", TRUE, &version, error))
    return NULL;
  return qi_db_adapter_list_version_links (adapter, version, error);
}

static JsonNode *
op_user_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  return wrap ("users", qi_db_adapter_list_users (adapter, error));
}

static JsonNode *
op_user_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *username, *full_name, *email;

  if (!get_string (payload, topic, "username", TRUE, &username, error) ||
      !get_string (payload, topic, "full_name", FALSE, &full_name, error) ||
      !get_string (payload, topic, "email", FALSE, &email, error))
    return NULL;
  return qi_db_adapter_create_user (adapter, username, full_name, email, error);
}

static JsonNode *
op_status_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  return wrap ("statuses", qi_db_adapter_list_statuses (adapter, error));
}

static JsonNode *
op_task_type_list (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  return wrap ("task_types", qi_db_adapter_list_task_types (adapter, error));
}

static JsonNode *
op_location_create (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  const char *name, *root;

  if (!get_string (payload, topic, "name", TRUE, &name, error) ||
      !get_string (payload, topic, "root", FALSE, &root, error))
    return NULL;
  return qi_db_adapter_create_location (adapter, name, root, error);
}

static JsonNode *
op_stats (QiDbAdapter *adapter, JsonObject *payload, const char *topic, GError **error)
{
  return qi_db_adapter_stats (adapter, error);
}

static const struct {
  const char *topic;
  OpFunc      func;
} ops[] = {
  { "db_service.project.list", op_project_list },
  { "db_service.project.get", op_project_get },
  { "db_service.project.create", op_project_create },
  { "db_service.context.children", op_context_children },
  { "db_service.context.list", op_context_list },
  { "db_service.context.lookup", op_context_lookup },
  { "db_service.context.create", op_context_create },
  { "db_service.context.link", op_context_link },
  { "db_service.context.links", op_context_links },
  { "db_service.task.list", op_task_list },
  { "db_service.task.create", op_task_create },
  { "db_service.product.list", op_product_list },
  { "db_service.product.create", op_product_create },
  { "db_service.version.get", op_version_get },
  { "db_service.version.list", op_version_list },
  { "db_service.version.latest", op_version_latest },
  { "db_service.version.create", op_version_create },
  { "db_service.version.publish", op_version_publish },
  { "db_service.version.pending", op_version_pending },
  { "db_service.version.link", op_version_link },
  { "db_service.version.links", op_version_links },
  { "db_service.user.list", op_user_list },
  { "db_service.user.create", op_user_create },
  { "db_service.status.list", op_status_list },
  { "db_service.task_type.list", op_task_type_list },
  { "db_service.location.create", op_location_create },
  { "db_service.stats", op_stats },
};

typedef struct
{
  QiDbManager *self;
  guint        op;
} Handler;

static void
on_request (QiHubRequest *request,
            gpointer      user_data)
{
  Handler *handler = user_data;
  const char *topic = ops[handler->op].topic;
  JsonNode *node = qi_hub_request_get_payload (request);
  JsonObject *payload;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  const char *name = NULL;
  QiDbAdapter *adapter;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, _("the payload must be an object"));
      return;
    }
  payload = json_node_get_object (node);
  if (get_string (payload, topic, "adapter", FALSE, &name, &error) &&
      (adapter = qi_db_manager_get_adapter (handler->self, name, &error)) != NULL)
    reply = ops[handler->op].func (adapter, payload, topic, &error);

  if (reply == NULL)
    qi_hub_request_fail_error (request, error);
  else
    qi_hub_request_reply (request, reply);
}

/* The service. */

static void
qi_db_manager_stop (QiService *service)
{
  QiDbManager *self = QI_DB_MANAGER (service);

  if (self->endpoint != NULL)
    {
      qi_hub_endpoint_close (self->endpoint);
      g_clear_object (&self->endpoint);
    }
}

static void
qi_db_manager_dispose (GObject *object)
{
  QiDbManager *self = QI_DB_MANAGER (object);

  qi_db_manager_stop (QI_SERVICE (self));
  g_ptr_array_set_size (self->entries, 0);

  G_OBJECT_CLASS (qi_db_manager_parent_class)->dispose (object);
}

static void
qi_db_manager_finalize (GObject *object)
{
  QiDbManager *self = QI_DB_MANAGER (object);

  g_ptr_array_unref (self->entries);
  g_free (self->default_name);

  G_OBJECT_CLASS (qi_db_manager_parent_class)->finalize (object);
}

static void
qi_db_manager_class_init (QiDbManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->dispose = qi_db_manager_dispose;
  object_class->finalize = qi_db_manager_finalize;
  service_class->stop = qi_db_manager_stop;
}

static void
qi_db_manager_init (QiDbManager *self)
{
  self->entries = g_ptr_array_new_with_free_func (entry_free);
}

/**
 * qi_db_manager_new:
 *
 * Creates the `db` service without adapters.
 *
 * Returns: (transfer full): a new #QiDbManager
 */
QiDbManager *
qi_db_manager_new (void)
{
  return g_object_new (QI_TYPE_DB_MANAGER,
                       "name", "db",
                       "description", _("The production tracker: projects, tasks, products and versions"),
                       NULL);
}

/**
 * qi_db_manager_new_for_launch:
 * @config: the run's launch configuration
 *
 * Creates the `db` service with the embedded tracker as its default
 * adapter, %QI_DB_MANAGER_SQLITE, over `tracker.sqlite` in the launch's
 * data directory (`--data-dir`, else `$XDG_DATA_HOME/qi`). The file is
 * opened on first use.
 *
 * Returns: (transfer full): a new #QiDbManager
 */
QiDbManager *
qi_db_manager_new_for_launch (QiLaunchConfig *config)
{
  g_autoptr(QiDbManager) self = qi_db_manager_new ();
  g_autofree char *path = NULL;
  g_autoptr(QiSqliteAdapter) sqlite = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (config), NULL);

  path = g_build_filename (qi_launch_config_get_data_dir (config), "tracker.sqlite", NULL);
  sqlite = qi_sqlite_adapter_new (path);
  qi_db_manager_add_adapter (self, QI_DB_MANAGER_SQLITE, QI_DB_ADAPTER (sqlite), &error);
  g_assert_no_error (error);
  return g_steal_pointer (&self);
}

/**
 * qi_db_manager_add_adapter:
 * @self: a #QiDbManager
 * @name: the adapter's name, such as `sqlite` or `ftrack`
 * @adapter: the adapter
 * @error: return location for a #GError
 *
 * Adds @adapter under @name; the first one added is the default.
 *
 * Returns: %TRUE, or %FALSE (%QI_DB_ERROR_CONFLICT) if @name is taken
 */
gboolean
qi_db_manager_add_adapter (QiDbManager  *self,
                           const char   *name,
                           QiDbAdapter  *adapter,
                           GError      **error)
{
  Entry *entry;

  g_return_val_if_fail (QI_IS_DB_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL && *name != '\0', FALSE);
  g_return_val_if_fail (QI_IS_DB_ADAPTER (adapter), FALSE);

  if (find_entry (self, name) != NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                   _("there is a tracker adapter “%s” already"), name);
      return FALSE;
    }
  entry = g_new0 (Entry, 1);
  entry->self = self;
  entry->name = g_strdup (name);
  entry->adapter = g_object_ref (adapter);
  entry->changed_id = g_signal_connect (adapter, "changed", G_CALLBACK (on_adapter_changed), entry);
  g_ptr_array_add (self->entries, entry);
  if (self->default_name == NULL)
    self->default_name = g_strdup (name);
  return TRUE;
}

/**
 * qi_db_manager_remove_adapter:
 * @self: a #QiDbManager
 * @name: an adapter's name
 *
 * Removes an adapter. If it was the default, the first one left becomes
 * the default.
 *
 * Returns: whether there was an adapter of that name
 */
gboolean
qi_db_manager_remove_adapter (QiDbManager *self,
                              const char  *name)
{
  Entry *entry;

  g_return_val_if_fail (QI_IS_DB_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  entry = find_entry (self, name);
  if (entry == NULL)
    return FALSE;
  g_ptr_array_remove (self->entries, entry);
  if (g_strcmp0 (self->default_name, name) == 0)
    {
      g_free (self->default_name);
      self->default_name = self->entries->len > 0
                           ? g_strdup (((Entry *) g_ptr_array_index (self->entries, 0))->name)
                           : NULL;
    }
  return TRUE;
}

/**
 * qi_db_manager_get_adapter:
 * @self: a #QiDbManager
 * @name: (nullable): an adapter's name; %NULL for the default
 * @error: return location for a #GError
 *
 * Returns: (transfer none): the adapter, or %NULL (%QI_DB_ERROR_NOT_FOUND)
 *   if there is none of that name, or no adapter at all
 */
QiDbAdapter *
qi_db_manager_get_adapter (QiDbManager  *self,
                           const char   *name,
                           GError      **error)
{
  Entry *entry;

  g_return_val_if_fail (QI_IS_DB_MANAGER (self), NULL);

  if (name == NULL && self->default_name == NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND, _("no tracker adapter is registered"));
      return NULL;
    }
  entry = find_entry (self, name != NULL ? name : self->default_name);
  if (entry == NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND, _("no tracker adapter “%s”"), name);
      return NULL;
    }
  return entry->adapter;
}

/**
 * qi_db_manager_dup_adapter_names:
 * @self: a #QiDbManager
 *
 * Returns: (transfer full): the adapters' names, in the order added
 */
char **
qi_db_manager_dup_adapter_names (QiDbManager *self)
{
  GStrvBuilder *builder;
  char **names;

  g_return_val_if_fail (QI_IS_DB_MANAGER (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->entries->len; i++)
    g_strv_builder_add (builder, ((Entry *) g_ptr_array_index (self->entries, i))->name);
  names = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return names;
}

/**
 * qi_db_manager_set_default:
 * @self: a #QiDbManager
 * @name: an adapter's name
 * @error: return location for a #GError
 *
 * Returns: %TRUE, or %FALSE (%QI_DB_ERROR_NOT_FOUND) if there is no
 *   adapter of that name
 */
gboolean
qi_db_manager_set_default (QiDbManager  *self,
                           const char   *name,
                           GError      **error)
{
  g_return_val_if_fail (QI_IS_DB_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (find_entry (self, name) == NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND, _("no tracker adapter “%s”"), name);
      return FALSE;
    }
  g_free (self->default_name);
  self->default_name = g_strdup (name);
  return TRUE;
}

/**
 * qi_db_manager_get_default:
 * @self: a #QiDbManager
 *
 * Returns: (transfer none) (nullable): the default adapter's name, or
 *   %NULL if there is no adapter
 */
const char *
qi_db_manager_get_default (QiDbManager *self)
{
  g_return_val_if_fail (QI_IS_DB_MANAGER (self), NULL);

  return self->default_name;
}

/**
 * qi_db_manager_attach_hub:
 * @self: a #QiDbManager
 * @hub: the hub
 * @error: return location for a #GError
 *
 * Opens the session `__hub__/db` on @hub, handles the `db_service.*`
 * request topics there and emits `db_service.ENTITY.changed` from it.
 *
 * Returns: %TRUE, or %FALSE if the session or a handler cannot be added
 */
gboolean
qi_db_manager_attach_hub (QiDbManager  *self,
                          QiHub        *hub,
                          GError      **error)
{
  g_autoptr(QiHubEndpoint) endpoint = NULL;

  g_return_val_if_fail (QI_IS_DB_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_HUB (hub), FALSE);

  if (self->endpoint != NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT, _("the db service is on a hub already"));
      return FALSE;
    }
  endpoint = qi_hub_open_endpoint (hub, QI_MESSAGE_BUS_HUB_SESSION "/db", QI_MESSAGE_BUS_HUB_SESSION, error);
  if (endpoint == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      Handler *handler = g_new0 (Handler, 1);

      handler->self = self;
      handler->op = i;
      if (!qi_hub_endpoint_add_handler (endpoint, ops[i].topic, on_request, handler, g_free, error))
        {
          /* a refused handler's data is not kept */
          g_free (handler);
          qi_hub_endpoint_close (endpoint);
          return FALSE;
        }
    }
  self->endpoint = g_steal_pointer (&endpoint);
  return TRUE;
}
