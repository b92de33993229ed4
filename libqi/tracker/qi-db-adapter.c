/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-db-adapter.h"
#include "qi-db-operations-private.h"

/**
 * QiDbAdapter:
 *
 * The tracker-neutral API over one production tracker: projects, the
 * context tree, tasks, products, versions with their components and files,
 * users, statuses and task types (see “Data model” in the architecture).
 *
 * Every call returns JSON (json-glib nodes) whose objects have stable
 * field names, documented in docs/protocol.md. The qi_db_adapter_*()
 * calls block until the tracker answers; qi_db_adapter_call_async() runs
 * any of them by name in a worker thread, which is how the hub
 * (`db_service.*`) calls them, so that a slow tracker never holds up its
 * main loop. An adapter must therefore take calls from several threads at
 * once, serialising what it must (the SQLite tracker's connection) and no
 * more (ftrack's HTTP requests run side by side). Ids
 * are opaque strings: each adapter makes its own (the SQLite tracker's are
 * decimal numbers, ftrack's are UUIDs) and takes them back as it gave them. Every fallible call takes a #GError of the %QI_DB_ERROR domain.
 * The embedded tracker's adapter and ftrack's are in the tracker addons
 * (`addons/tracker-sqlite`, `addons/tracker-ftrack`).
 *
 * Creating a version is atomic (qi_db_adapter_create_version()) and leaves
 * it `pending`; qi_db_adapter_publish_version() makes it `published`.
 * Reads leave pending versions out unless asked for them.
 *
 * After each successful write the wrappers emit #QiDbAdapter::changed,
 * which #QiDbManager turns into `db_service.ENTITY.changed` events.
 *
 * Links: a context uses others (a shot the asset builds cast in it), a
 * version uses others (a lighting scene the caches it loads).
 */

G_DEFINE_QUARK (qi-db-error-quark, qi_db_error)

G_DEFINE_INTERFACE (QiDbAdapter, qi_db_adapter, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
qi_db_adapter_default_init (QiDbAdapterInterface *iface)
{
  /**
   * QiDbAdapter::changed:
   * @self: the adapter
   * @entity: what changed: `project`, `context`, `task`, `product`,
   *   `version`, `user` or `location`
   * @action: `created`, `published`, `abandoned`, or `linked` (then @object
   *   is the link)
   * @object: the entity's object after the change; a version without its
   *   components' `files` (qi_db_adapter_get_version() lists them)
   *
   * Emitted after a write through the qi_db_adapter_*() wrappers has been
   * committed.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, JSON_TYPE_NODE);
}

static JsonNode *
unsupported (QiDbAdapter  *self,
             const char   *method,
             GError      **error)
{
  g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_UNSUPPORTED,
               _("the tracker adapter %s does not support “%s”"),
               G_OBJECT_TYPE_NAME (self), method);
  return NULL;
}

/* Whether the answer about a version is to list each component's files:
 * `files` of @object (a version's spec, what a publish adds), TRUE when
 * absent. */
static gboolean
wants_files (JsonObject  *object,
             gboolean    *files,
             GError     **error)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, "files") : NULL;

  *files = TRUE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("files: must be true or false"));
      return FALSE;
    }
  *files = json_node_get_boolean (node);
  return TRUE;
}

/* @object without its member @name; the others shared. */
static JsonObject *
object_without (JsonObject *object,
                const char *name)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &member, &value))
    if (g_strcmp0 (member, name) != 0)
      json_object_set_member (copy, member, json_node_ref (value));
  return copy;
}

/* @version without its components' `files` (for 1,000 frames most of
 * it); the rest shared. */
static JsonNode *
version_without_files (JsonNode *version)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (version) ? json_node_get_object (version) : NULL;
  JsonNode *components = object != NULL ? json_object_get_member (object, "components") : NULL;
  g_autoptr(JsonObject) slim = NULL;
  JsonArray *list;

  if (components == NULL || !JSON_NODE_HOLDS_ARRAY (components))
    return json_node_ref (version);
  slim = object_without (object, "components");
  list = json_array_new ();
  for (guint i = 0; i < json_array_get_length (json_node_get_array (components)); i++)
    {
      JsonNode *component = json_array_get_element (json_node_get_array (components), i);

      if (JSON_NODE_HOLDS_OBJECT (component))
        json_array_add_object_element (list, object_without (json_node_get_object (component), "files"));
      else
        json_array_add_element (list, json_node_ref (component));
    }
  json_object_set_array_member (slim, "components", list);
  return json_node_init_object (json_node_alloc (), slim);
}

/* A change made by a call that runs in a worker thread
 * (qi_db_adapter_call_async()): its signal is emitted in the caller's
 * context, before the call's result is returned there. */
typedef struct
{
  char     *entity;
  char     *action;
  JsonNode *object;
} Change;

static void
change_free (gpointer data)
{
  Change *change = data;

  g_free (change->entity);
  g_free (change->action);
  json_node_unref (change->object);
  g_free (change);
}

/* The changes of the call running in this thread, when it runs in a
 * worker thread. */
static GPrivate deferred_changes;

static void
emit_changed (QiDbAdapter *self,
              const char  *entity,
              const char  *action,
              JsonNode    *object)
{
  GPtrArray *deferred = g_private_get (&deferred_changes);

  if (deferred != NULL)
    {
      Change *change = g_new0 (Change, 1);

      change->entity = g_strdup (entity);
      change->action = g_strdup (action);
      change->object = json_node_ref (object);
      g_ptr_array_add (deferred, change);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, entity, action, object);
}

/* @version (transfer full) as answered, with or without its components'
 * files, once the change is told without them. */
static JsonNode *
changed_version (QiDbAdapter *self,
                 const char  *action,
                 JsonNode    *version,
                 gboolean     files)
{
  g_autoptr(JsonNode) told = version_without_files (version);

  emit_changed (self, "version", action, told);
  if (files)
    return version;
  json_node_unref (version);
  return g_steal_pointer (&told);
}

/**
 * qi_db_adapter_list_projects:
 * @self: a #QiDbAdapter
 * @error: return location for a #GError
 *
 * Lists the projects, by name.
 *
 * Returns: (transfer full): a JSON array of project objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_projects (QiDbAdapter   *self,
                             GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_projects == NULL)
    return unsupported (self, "list_projects", error);
  return iface->list_projects (self, error);
}

/**
 * qi_db_adapter_get_project:
 * @self: a #QiDbAdapter
 * @name: the project's name
 * @error: return location for a #GError
 *
 * Looks a project up by name.
 *
 * Returns: (transfer full): the project object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_get_project (QiDbAdapter   *self,
                           const char    *name,
                           GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->get_project == NULL)
    return unsupported (self, "get_project", error);
  return iface->get_project (self, name, error);
}

/**
 * qi_db_adapter_create_project:
 * @self: a #QiDbAdapter
 * @name: the new project's name: letters, digits, `_`, `-`, `.`
 * @label: (nullable): a label for people; %NULL: the name
 * @error: return location for a #GError
 *
 * Creates a project.
 *
 * Returns: (transfer full): the new project object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_project (QiDbAdapter   *self,
                              const char    *name,
                              const char    *label,
                              GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_project == NULL)
    return unsupported (self, "create_project", error);
  result = iface->create_project (self, name, label, error);
  if (result != NULL)
    emit_changed (self, "project", "created", result);
  return result;
}

/**
 * qi_db_adapter_list_contexts:
 * @self: a #QiDbAdapter
 * @project: the project's name
 * @parent: (nullable): the id of the parent context, or %NULL for the project's top level
 * @error: return location for a #GError
 *
 * Lists the children of a context in the context tree, by name.
 *
 * Returns: (transfer full): a JSON array of context objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_contexts (QiDbAdapter   *self,
                             const char    *project,
                             const char    *parent,
                             GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (project != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_contexts == NULL)
    return unsupported (self, "list_contexts", error);
  return iface->list_contexts (self, project, parent, error);
}

/**
 * qi_db_adapter_list_all_contexts:
 * @self: a #QiDbAdapter
 * @project: the project's name
 * @error: return location for a #GError
 *
 * Lists every context of a project, by path: the whole context tree in one
 * call, for a browser that filters it on its side.
 *
 * Returns: (transfer full): a JSON array of context objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_all_contexts (QiDbAdapter   *self,
                                 const char    *project,
                                 GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (project != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_all_contexts == NULL)
    return unsupported (self, "list_all_contexts", error);
  return iface->list_all_contexts (self, project, error);
}

/**
 * qi_db_adapter_lookup_context:
 * @self: a #QiDbAdapter
 * @project: the project's name
 * @path: the context's path, such as `/sq010/sh020`
 * @error: return location for a #GError
 *
 * Looks a context up by its path in a project.
 *
 * Returns: (transfer full): the context object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_lookup_context (QiDbAdapter   *self,
                              const char    *project,
                              const char    *path,
                              GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (project != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->lookup_context == NULL)
    return unsupported (self, "lookup_context", error);
  return iface->lookup_context (self, project, path, error);
}

/**
 * qi_db_adapter_create_context:
 * @self: a #QiDbAdapter
 * @project: the project's name
 * @parent: (nullable): the id of the parent context, or %NULL for the top level
 * @kind: `episode`, `sequence`, `shot`, `asset_build` or `folder`
 * @name: the context's name, unique among its siblings
 * @error: return location for a #GError
 *
 * Creates a context below @parent.
 *
 * Returns: (transfer full): the new context object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_context (QiDbAdapter   *self,
                              const char    *project,
                              const char    *parent,
                              const char    *kind,
                              const char    *name,
                              GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (project != NULL, NULL);
  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_context == NULL)
    return unsupported (self, "create_context", error);
  result = iface->create_context (self, project, parent, kind, name, error);
  if (result != NULL)
    emit_changed (self, "context", "created", result);
  return result;
}

/**
 * qi_db_adapter_list_tasks:
 * @self: a #QiDbAdapter
 * @project: (nullable): the project's name, to limit @assignee's tasks to it
 * @context: (nullable): the id of a context whose tasks to list, or %NULL
 * @assignee: (nullable): the username whose tasks to list
 * @error: return location for a #GError
 *
 * Lists the tasks of a context, or those assigned to a user (at least one of @context and @assignee).
 *
 * Returns: (transfer full): a JSON array of task objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_tasks (QiDbAdapter   *self,
                          const char    *project,
                          const char    *context,
                          const char    *assignee,
                          GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_tasks == NULL)
    return unsupported (self, "list_tasks", error);
  return iface->list_tasks (self, project, context, assignee, error);
}

/**
 * qi_db_adapter_create_task:
 * @self: a #QiDbAdapter
 * @context: the id of the task's context
 * @name: the task's name, unique in the context
 * @type: the task type's name
 * @status: (nullable): the status's name; %NULL: `not_started`
 * @assignee: (nullable): the assignee's username
 * @error: return location for a #GError
 *
 * Creates a task.
 *
 * Returns: (transfer full): the new task object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_task (QiDbAdapter   *self,
                           const char    *context,
                           const char    *name,
                           const char    *type,
                           const char    *status,
                           const char    *assignee,
                           GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_task == NULL)
    return unsupported (self, "create_task", error);
  result = iface->create_task (self, context, name, type, status, assignee, error);
  if (result != NULL)
    emit_changed (self, "task", "created", result);
  return result;
}

/**
 * qi_db_adapter_list_products:
 * @self: a #QiDbAdapter
 * @context: the id of the products' context
 * @type: (nullable): only products of this type
 * @error: return location for a #GError
 *
 * Lists the products of a context, by name.
 *
 * Returns: (transfer full): a JSON array of product objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_products (QiDbAdapter   *self,
                             const char    *context,
                             const char    *type,
                             GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_products == NULL)
    return unsupported (self, "list_products", error);
  return iface->list_products (self, context, type, error);
}

/**
 * qi_db_adapter_create_product:
 * @self: a #QiDbAdapter
 * @context: the id of the product's context
 * @name: the product's name, unique in the context
 * @type: the product's type (`model`, `rig`, `render`, …)
 * @error: return location for a #GError
 *
 * Creates a product.
 *
 * Returns: (transfer full): the new product object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_product (QiDbAdapter   *self,
                              const char    *context,
                              const char    *name,
                              const char    *type,
                              GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_product == NULL)
    return unsupported (self, "create_product", error);
  result = iface->create_product (self, context, name, type, error);
  if (result != NULL)
    emit_changed (self, "product", "created", result);
  return result;
}

/**
 * qi_db_adapter_get_version:
 * @self: a #QiDbAdapter
 * @id: the version's id
 * @error: return location for a #GError
 *
 * Gets a version with its components and their files, pending or not.
 *
 * Returns: (transfer full): the version object, with `components`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_get_version (QiDbAdapter   *self,
                           const char    *id,
                           GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->get_version == NULL)
    return unsupported (self, "get_version", error);
  return iface->get_version (self, id, error);
}

/**
 * qi_db_adapter_list_versions:
 * @self: a #QiDbAdapter
 * @product: (nullable): the id of a product, or %NULL
 * @task: (nullable): the id of a task, or %NULL
 * @include_pending: whether pending versions are listed too
 * @offset: how many versions to skip
 * @limit: at most how many versions to list; 0: no limit
 * @error: return location for a #GError
 *
 * Lists the versions of a product or of a task (at least one), the highest number first; pending versions are left out unless @include_pending.
 *
 * Returns: (transfer full): a JSON array of version objects (without components), or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_versions (QiDbAdapter   *self,
                             const char    *product,
                             const char    *task,
                             gboolean       include_pending,
                             guint          offset,
                             guint          limit,
                             GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_versions == NULL)
    return unsupported (self, "list_versions", error);
  return iface->list_versions (self, product, task, include_pending, offset, limit, error);
}

/**
 * qi_db_adapter_latest_versions:
 * @self: a #QiDbAdapter
 * @context: the id of the context
 * @include_pending: whether a pending version may be the latest
 * @error: return location for a #GError
 *
 * Gets the latest version of each product of a context.
 *
 * Returns: (transfer full): a JSON array of version objects (without components), by product name; a product without versions is left out, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_latest_versions (QiDbAdapter   *self,
                               const char    *context,
                               gboolean       include_pending,
                               GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->latest_versions == NULL)
    return unsupported (self, "latest_versions", error);
  return iface->latest_versions (self, context, include_pending, error);
}

/**
 * qi_db_adapter_create_version:
 * @self: a #QiDbAdapter
 * @spec: the version: `product` (id, required), `number` (the number it must get: a version of that number, or a product whose next number is another, fails with %QI_DB_ERROR_CONFLICT and writes nothing), `task` (id), `author` (username), `comment`, `status`, `metadata` (object), `components` (array of `{name, location, metadata, files: [{path, size}]}`); and `files` (boolean, %TRUE when absent), whether the answer lists each component's files: a caller that just gave them need not read them back (an adapter may skip reading them; what it answers anyway is left out here)
 * @error: return location for a #GError
 *
 * Registers the next version of a product, in state `pending`, with its components, all in one transaction: the number is allocated in that transaction, so concurrent publishers never get the same one and never leave a gap. The publisher's host and process id are recorded for qi_db_adapter_list_pending_versions().
 *
 * The #QiDbAdapter::changed signal carries the version without its components' files, whatever @spec asked.
 *
 * Returns: (transfer full): the new version object, with `components`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_version (QiDbAdapter   *self,
                              JsonObject    *spec,
                              GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;
  gboolean files;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_version == NULL)
    return unsupported (self, "create_version", error);
  if (!wants_files (spec, &files, error))
    return NULL;
  result = iface->create_version (self, spec, error);
  return result != NULL ? changed_version (self, "created", result, files) : NULL;
}

/**
 * qi_db_adapter_publish_version:
 * @self: a #QiDbAdapter
 * @id: the id of a pending version
 * @error: return location for a #GError
 *
 * Marks a pending version `published`, in a transaction of its own, once its files are in place. The same as qi_db_adapter_publish_version_full() without details.
 *
 * Returns: (transfer full): the version object, with `components`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_publish_version (QiDbAdapter   *self,
                               const char    *id,
                               GError       **error)
{
  return qi_db_adapter_publish_version_full (self, id, NULL, error);
}

/**
 * qi_db_adapter_publish_version_full:
 * @self: a #QiDbAdapter
 * @id: the id of a pending version
 * @details: (nullable): what the publish adds: `metadata` (an object merged member by member into the version's metadata, such as the checksums of its files) and `thumbnail` (the absolute path of the version's thumbnail, a PNG or JPEG file, which a tracker with thumbnails of its own uploads); and `files`, as for qi_db_adapter_create_version()
 * @error: return location for a #GError
 *
 * Marks a pending version `published`, in a transaction of its own, once its files are in place, with what @details adds. A published version fails with %QI_DB_ERROR_CONFLICT, so of two publishers of one version only one succeeds. The #QiDbAdapter::changed signal carries the version without its components' files.
 *
 * Returns: (transfer full): the version object, with `components`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_publish_version_full (QiDbAdapter   *self,
                                    const char    *id,
                                    JsonObject    *details,
                                    GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;
  gboolean files;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (!wants_files (details, &files, error))
    return NULL;
  if (iface->publish_version_full != NULL)
    result = iface->publish_version_full (self, id, details, error);
  else if (details != NULL && json_object_get_size (details) > (json_object_has_member (details, "files") ? 1u : 0u))
    return unsupported (self, "publish_version_full", error);
  else if (iface->publish_version != NULL)
    result = iface->publish_version (self, id, error);
  else
    return unsupported (self, "publish_version", error);
  return result != NULL ? changed_version (self, "published", result, files) : NULL;
}

/**
 * qi_db_adapter_abandon_version:
 * @self: a #QiDbAdapter
 * @id: the id of a pending version
 * @error: return location for a #GError
 *
 * Removes a pending version and its components, in one transaction: what a publisher that failed or died leaves (`qi --headless publish abandon`). A published version is never removed: it fails with %QI_DB_ERROR_CONFLICT. Abandoning the highest version of a product gives its number to the next one. The #QiDbAdapter::changed signal carries the version without its components' files.
 *
 * Returns: (transfer full): the version object as it was, with `components`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_abandon_version (QiDbAdapter   *self,
                               const char    *id,
                               GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->abandon_version == NULL)
    return unsupported (self, "abandon_version", error);
  result = iface->abandon_version (self, id, error);
  return result != NULL ? changed_version (self, "abandoned", result, TRUE) : NULL;
}

/**
 * qi_db_adapter_list_pending_versions:
 * @self: a #QiDbAdapter
 * @older_than_s: only versions created at least this many seconds ago
 * @error: return location for a #GError
 *
 * Lists pending versions, oldest first, with their publishers, for `db doctor`.
 *
 * Returns: (transfer full): a JSON array of version objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_pending_versions (QiDbAdapter   *self,
                                     gint64         older_than_s,
                                     GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_pending_versions == NULL)
    return unsupported (self, "list_pending_versions", error);
  return iface->list_pending_versions (self, older_than_s, error);
}

/**
 * qi_db_adapter_link_contexts:
 * @self: a #QiDbAdapter
 * @context: the id of the context that uses the other, such as a shot
 * @uses: the id of the context it uses, such as an asset build cast in it
 * @error: return location for a #GError
 *
 * Links two contexts of one project: @context uses @uses (casting).
 *
 * Returns: (transfer full): the link, `{"context", "uses"}`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_link_contexts (QiDbAdapter   *self,
                             const char    *context,
                             const char    *uses,
                             GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->link_contexts == NULL)
    return unsupported (self, "link_contexts", error);
  result = iface->link_contexts (self, context, uses, error);
  if (result != NULL)
    emit_changed (self, "context", "linked", result);
  return result;
}

/**
 * qi_db_adapter_list_context_links:
 * @self: a #QiDbAdapter
 * @context: the id of a context
 * @error: return location for a #GError
 *
 * Lists the contexts @context uses and those that use it, each by path.
 *
 * Returns: (transfer full): `{"uses": [CONTEXT…], "used_in": [CONTEXT…]}`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_context_links (QiDbAdapter   *self,
                                  const char    *context,
                                  GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_context_links == NULL)
    return unsupported (self, "list_context_links", error);
  return iface->list_context_links (self, context, error);
}

/**
 * qi_db_adapter_link_versions:
 * @self: a #QiDbAdapter
 * @version: the id of the version that uses the other, such as a lighting scene
 * @uses: the id of the version it uses, such as the animation cache it loads
 * @error: return location for a #GError
 *
 * Records that @version uses @uses.
 *
 * Returns: (transfer full): the link, `{"version", "uses"}`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_link_versions (QiDbAdapter   *self,
                             const char    *version,
                             const char    *uses,
                             GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->link_versions == NULL)
    return unsupported (self, "link_versions", error);
  result = iface->link_versions (self, version, uses, error);
  if (result != NULL)
    emit_changed (self, "version", "linked", result);
  return result;
}

/**
 * qi_db_adapter_list_version_links:
 * @self: a #QiDbAdapter
 * @version: the id of a version
 * @error: return location for a #GError
 *
 * Lists the versions @version uses and those that use it, each by product
 * name and number, pending ones too.
 *
 * Returns: (transfer full): `{"uses": [VERSION…], "used_in": [VERSION…]}`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_version_links (QiDbAdapter   *self,
                                  const char    *version,
                                  GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_version_links == NULL)
    return unsupported (self, "list_version_links", error);
  return iface->list_version_links (self, version, error);
}

/**
 * qi_db_adapter_list_users:
 * @self: a #QiDbAdapter
 * @error: return location for a #GError
 *
 * Lists the users, by username.
 *
 * Returns: (transfer full): a JSON array of user objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_users (QiDbAdapter   *self,
                          GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_users == NULL)
    return unsupported (self, "list_users", error);
  return iface->list_users (self, error);
}

/**
 * qi_db_adapter_create_user:
 * @self: a #QiDbAdapter
 * @username: the login name
 * @full_name: (nullable): the name for people; %NULL: @username
 * @email: (nullable): the e-mail address
 * @error: return location for a #GError
 *
 * Creates a user.
 *
 * Returns: (transfer full): the new user object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_user (QiDbAdapter   *self,
                           const char    *username,
                           const char    *full_name,
                           const char    *email,
                           GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_user == NULL)
    return unsupported (self, "create_user", error);
  result = iface->create_user (self, username, full_name, email, error);
  if (result != NULL)
    emit_changed (self, "user", "created", result);
  return result;
}

/**
 * qi_db_adapter_list_statuses:
 * @self: a #QiDbAdapter
 * @error: return location for a #GError
 *
 * Lists the statuses tasks and versions can have.
 *
 * Returns: (transfer full): a JSON array of status objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_statuses (QiDbAdapter   *self,
                             GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_statuses == NULL)
    return unsupported (self, "list_statuses", error);
  return iface->list_statuses (self, error);
}

/**
 * qi_db_adapter_list_task_types:
 * @self: a #QiDbAdapter
 * @error: return location for a #GError
 *
 * Lists the task types.
 *
 * Returns: (transfer full): a JSON array of task type objects, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_list_task_types (QiDbAdapter   *self,
                               GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->list_task_types == NULL)
    return unsupported (self, "list_task_types", error);
  return iface->list_task_types (self, error);
}

/**
 * qi_db_adapter_create_location:
 * @self: a #QiDbAdapter
 * @name: the location's name
 * @root: (nullable): the folder its paths are relative to
 * @error: return location for a #GError
 *
 * Creates a location that components' files can be in.
 *
 * Returns: (transfer full): the new location object, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_create_location (QiDbAdapter   *self,
                               const char    *name,
                               const char    *root,
                               GError       **error)
{
  QiDbAdapterInterface *iface;
  JsonNode *result;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->create_location == NULL)
    return unsupported (self, "create_location", error);
  result = iface->create_location (self, name, root, error);
  if (result != NULL)
    emit_changed (self, "location", "created", result);
  return result;
}

/**
 * qi_db_adapter_stats:
 * @self: a #QiDbAdapter
 * @error: return location for a #GError
 *
 * Counts the entities of the tracker.
 *
 * Returns: (transfer full): an object of counts: `projects`, `contexts`, `tasks`, `products`, `versions`, `pending_versions`, `components`, `files`, `users`, or %NULL with @error set
 */
JsonNode *
qi_db_adapter_stats (QiDbAdapter   *self,
                     GError       **error)
{
  QiDbAdapterInterface *iface;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QI_DB_ADAPTER_GET_IFACE (self);
  if (iface->stats == NULL)
    return unsupported (self, "stats", error);
  return iface->stats (self, error);
}

/* Calls by name, in a worker thread. */

typedef struct
{
  const QiDbOperation *operation;
  JsonObject          *arguments;
  GPtrArray           *changes;   /* of Change, made in the thread */
} Call;

static void
call_free (gpointer data)
{
  Call *call = data;

  json_object_unref (call->arguments);
  g_clear_pointer (&call->changes, g_ptr_array_unref);
  g_free (call);
}

static void
run_call (GTask        *task,
          gpointer      source_object,
          gpointer      task_data,
          GCancellable *cancellable)
{
  Call *call = task_data;
  GError *error = NULL;
  JsonNode *result;

  g_private_set (&deferred_changes, call->changes);
  result = call->operation->func (QI_DB_ADAPTER (source_object), call->arguments, call->operation->topic, &error);
  g_private_set (&deferred_changes, NULL);
  /* sealed here, before anyone else sees it: the changed signals' events
   * and the hub's reply share it instead of each copying it (a version of
   * 1,000 files is a large tree) */
  if (result != NULL)
    json_node_seal (result);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) json_node_unref);
}

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  JsonNode *reply;

  for (guint i = 0; i < call->changes->len; i++)
    {
      Change *change = g_ptr_array_index (call->changes, i);

      g_signal_emit (source, signals[SIGNAL_CHANGED], 0, change->entity, change->action, change->object);
    }
  reply = g_task_propagate_pointer (G_TASK (result), &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_node_unref);
}

static const QiDbOperation *
check_call (const char  *operation,
            JsonObject  *arguments,
            GError     **error)
{
  const QiDbOperation *found = qi_db_operations_lookup (operation);

  if (found == NULL)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("there is no tracker operation “%s” (see docs/protocol.md, db_service.*)"), operation);
      return NULL;
    }
  return qi_hub_facade_check (found->topic, found->fields, arguments, error) ? found : NULL;
}

/**
 * qi_db_adapter_call_async:
 * @self: a #QiDbAdapter
 * @operation: an operation of the hub's `db_service.*` topics, without
 *   the prefix: `project.list`, `context.lookup`, `version.create`…
 * @arguments: its arguments, the members of the topic's payload
 *   (docs/protocol.md)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the thread-default main context of
 *   the caller when the operation is done
 * @user_data: data for @callback
 *
 * Runs one operation of the tracker-neutral API in a worker thread, so
 * that the caller's main loop goes on while the tracker answers. The
 * arguments are checked first, as the hub checks a payload (an error then
 * comes at once, %QI_HUB_ERROR_BAD_MESSAGE naming the member); the
 * operation's own errors are %QI_DB_ERROR. The #QiDbAdapter::changed
 * signals of a write are emitted in the caller's context, just before
 * @callback runs. A cancelled call still waits for the tracker (what it
 * wrote stays written), then reports %G_IO_ERROR_CANCELLED.
 */
void
qi_db_adapter_call_async (QiDbAdapter         *self,
                          const char          *operation,
                          JsonObject          *arguments,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  g_autoptr(GError) error = NULL;
  const QiDbOperation *found;
  Call *call;

  g_return_if_fail (QI_IS_DB_ADAPTER (self));
  g_return_if_fail (operation != NULL);
  g_return_if_fail (arguments != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_db_adapter_call_async);
  found = check_call (operation, arguments, &error);
  if (found == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  call = g_new0 (Call, 1);
  call->operation = found;
  call->arguments = json_object_ref (arguments);
  call->changes = g_ptr_array_new_with_free_func (change_free);
  /* The worker runs the operation; its completion, in this context,
   * emits the changes and then completes @task. */
  worker = g_task_new (self, cancellable, on_called, g_steal_pointer (&task));
  g_task_set_task_data (worker, call, call_free);
  g_task_run_in_thread (worker, run_call);
}

/**
 * qi_db_adapter_call_finish:
 * @self: a #QiDbAdapter
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the operation's reply, as on the hub, sealed
 *   (json_node_seal(): it is shared with the #QiDbAdapter::changed
 *   signals), or %NULL with @error set
 */
JsonNode *
qi_db_adapter_call_finish (QiDbAdapter   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_db_adapter_call:
 * @self: a #QiDbAdapter
 * @operation: see qi_db_adapter_call_async()
 * @arguments: see qi_db_adapter_call_async()
 * @error: return location for a #GError
 *
 * Runs one operation by name in the calling thread, blocking until the
 * tracker answers (for command-line verbs and scripts).
 *
 * Returns: (transfer full): the operation's reply, or %NULL with @error
 */
JsonNode *
qi_db_adapter_call (QiDbAdapter  *self,
                    const char   *operation,
                    JsonObject   *arguments,
                    GError      **error)
{
  const QiDbOperation *found;

  g_return_val_if_fail (QI_IS_DB_ADAPTER (self), NULL);
  g_return_val_if_fail (operation != NULL, NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  found = check_call (operation, arguments, error);
  return found != NULL ? found->func (self, arguments, found->topic, error) : NULL;
}
