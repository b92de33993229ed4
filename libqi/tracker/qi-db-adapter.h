/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_DB_ERROR:
 *
 * The error domain of the tracker's data layer.
 */
#define QI_DB_ERROR (qi_db_error_quark ())

/**
 * QiDbError:
 * @QI_DB_ERROR_NOT_FOUND: no project, context, task, product, version,
 *   user, status, task type or location of that name or id
 * @QI_DB_ERROR_INVALID: bad input: a missing or ill-formed field, a name
 *   that cannot be used, a value out of range; the message names the field
 * @QI_DB_ERROR_CONFLICT: the entity exists already, or is in a state that
 *   does not allow the change (publishing a published version)
 * @QI_DB_ERROR_IO: the tracker cannot be read or written
 * @QI_DB_ERROR_BUSY: another process held the tracker for longer than the
 *   busy timeout
 * @QI_DB_ERROR_SCHEMA: the tracker's schema is newer than this Qi knows,
 *   or broken
 * @QI_DB_ERROR_UNSUPPORTED: the adapter does not implement the operation
 *
 * Why a tracker operation failed.
 */
typedef enum {
  QI_DB_ERROR_NOT_FOUND,
  QI_DB_ERROR_INVALID,
  QI_DB_ERROR_CONFLICT,
  QI_DB_ERROR_IO,
  QI_DB_ERROR_BUSY,
  QI_DB_ERROR_SCHEMA,
  QI_DB_ERROR_UNSUPPORTED,
} QiDbError;

QI_AVAILABLE_IN_ALL
GQuark qi_db_error_quark (void);

#define QI_TYPE_DB_ADAPTER (qi_db_adapter_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (QiDbAdapter, qi_db_adapter, QI, DB_ADAPTER, GObject)

/**
 * QiDbAdapterInterface:
 * @g_iface: the parent interface
 * @list_projects: see qi_db_adapter_list_projects()
 * @get_project: see qi_db_adapter_get_project()
 * @create_project: see qi_db_adapter_create_project()
 * @list_contexts: see qi_db_adapter_list_contexts()
 * @lookup_context: see qi_db_adapter_lookup_context()
 * @create_context: see qi_db_adapter_create_context()
 * @list_tasks: see qi_db_adapter_list_tasks()
 * @create_task: see qi_db_adapter_create_task()
 * @list_products: see qi_db_adapter_list_products()
 * @create_product: see qi_db_adapter_create_product()
 * @get_version: see qi_db_adapter_get_version()
 * @list_versions: see qi_db_adapter_list_versions()
 * @latest_versions: see qi_db_adapter_latest_versions()
 * @create_version: see qi_db_adapter_create_version()
 * @publish_version: see qi_db_adapter_publish_version()
 * @list_pending_versions: see qi_db_adapter_list_pending_versions()
 * @list_users: see qi_db_adapter_list_users()
 * @create_user: see qi_db_adapter_create_user()
 * @list_statuses: see qi_db_adapter_list_statuses()
 * @list_task_types: see qi_db_adapter_list_task_types()
 * @create_location: see qi_db_adapter_create_location()
 * @stats: see qi_db_adapter_stats()
 * @list_all_contexts: see qi_db_adapter_list_all_contexts()
 * @link_contexts: see qi_db_adapter_link_contexts()
 * @list_context_links: see qi_db_adapter_list_context_links()
 * @link_versions: see qi_db_adapter_link_versions()
 * @list_version_links: see qi_db_adapter_list_version_links()
 * @publish_version_full: see qi_db_adapter_publish_version_full(); an
 *   adapter that has it needs no @publish_version
 * @abandon_version: see qi_db_adapter_abandon_version()
 *
 * The tracker-neutral API. Every method is synchronous and returns JSON
 * whose objects have the field names of docs/protocol.md (“The tracker's
 * data”). A method an adapter leaves %NULL fails with
 * %QI_DB_ERROR_UNSUPPORTED. Callers use the qi_db_adapter_*() wrappers,
 * which also emit #QiDbAdapter::changed after a write.
 */
struct _QiDbAdapterInterface
{
  GTypeInterface g_iface;

  JsonNode *(*list_projects)         (QiDbAdapter  *self,
                                      GError      **error);
  JsonNode *(*get_project)           (QiDbAdapter  *self,
                                      const char   *name,
                                      GError      **error);
  JsonNode *(*create_project)        (QiDbAdapter  *self,
                                      const char   *name,
                                      const char   *label,
                                      GError      **error);
  JsonNode *(*list_contexts)         (QiDbAdapter  *self,
                                      const char   *project,
                                      const char   *parent,
                                      GError      **error);
  JsonNode *(*lookup_context)        (QiDbAdapter  *self,
                                      const char   *project,
                                      const char   *path,
                                      GError      **error);
  JsonNode *(*create_context)        (QiDbAdapter  *self,
                                      const char   *project,
                                      const char   *parent,
                                      const char   *kind,
                                      const char   *name,
                                      GError      **error);
  JsonNode *(*list_tasks)            (QiDbAdapter  *self,
                                      const char   *project,
                                      const char   *context,
                                      const char   *assignee,
                                      GError      **error);
  JsonNode *(*create_task)           (QiDbAdapter  *self,
                                      const char   *context,
                                      const char   *name,
                                      const char   *type,
                                      const char   *status,
                                      const char   *assignee,
                                      GError      **error);
  JsonNode *(*list_products)         (QiDbAdapter  *self,
                                      const char   *context,
                                      const char   *type,
                                      GError      **error);
  JsonNode *(*create_product)        (QiDbAdapter  *self,
                                      const char   *context,
                                      const char   *name,
                                      const char   *type,
                                      GError      **error);
  JsonNode *(*get_version)           (QiDbAdapter  *self,
                                      const char   *id,
                                      GError      **error);
  JsonNode *(*list_versions)         (QiDbAdapter  *self,
                                      const char   *product,
                                      const char   *task,
                                      gboolean      include_pending,
                                      guint         offset,
                                      guint         limit,
                                      GError      **error);
  JsonNode *(*latest_versions)       (QiDbAdapter  *self,
                                      const char   *context,
                                      gboolean      include_pending,
                                      GError      **error);
  JsonNode *(*create_version)        (QiDbAdapter  *self,
                                      JsonObject   *spec,
                                      GError      **error);
  JsonNode *(*publish_version)       (QiDbAdapter  *self,
                                      const char   *id,
                                      GError      **error);
  JsonNode *(*list_pending_versions) (QiDbAdapter  *self,
                                      gint64        older_than_s,
                                      GError      **error);
  JsonNode *(*list_users)            (QiDbAdapter  *self,
                                      GError      **error);
  JsonNode *(*create_user)           (QiDbAdapter  *self,
                                      const char   *username,
                                      const char   *full_name,
                                      const char   *email,
                                      GError      **error);
  JsonNode *(*list_statuses)         (QiDbAdapter  *self,
                                      GError      **error);
  JsonNode *(*list_task_types)       (QiDbAdapter  *self,
                                      GError      **error);
  JsonNode *(*create_location)       (QiDbAdapter  *self,
                                      const char   *name,
                                      const char   *root,
                                      GError      **error);
  JsonNode *(*stats)                 (QiDbAdapter  *self,
                                      GError      **error);

  JsonNode *(*list_all_contexts)     (QiDbAdapter  *self,
                                      const char   *project,
                                      GError      **error);

  JsonNode *(*link_contexts)         (QiDbAdapter  *self,
                                      const char   *context,
                                      const char   *uses,
                                      GError      **error);
  JsonNode *(*list_context_links)    (QiDbAdapter  *self,
                                      const char   *context,
                                      GError      **error);
  JsonNode *(*link_versions)         (QiDbAdapter  *self,
                                      const char   *version,
                                      const char   *uses,
                                      GError      **error);
  JsonNode *(*list_version_links)    (QiDbAdapter  *self,
                                      const char   *version,
                                      GError      **error);
  JsonNode *(*publish_version_full)  (QiDbAdapter  *self,
                                      const char   *id,
                                      JsonObject   *details,
                                      GError      **error);
  JsonNode *(*abandon_version)       (QiDbAdapter  *self,
                                      const char   *id,
                                      GError      **error);

  /*< private >*/
  gpointer padding[9];
};

QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_projects         (QiDbAdapter  *self,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_get_project           (QiDbAdapter  *self,
                                               const char   *name,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_project        (QiDbAdapter  *self,
                                               const char   *name,
                                               const char   *label,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_contexts         (QiDbAdapter  *self,
                                               const char   *project,
                                               const char   *parent,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_all_contexts     (QiDbAdapter  *self,
                                               const char   *project,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_lookup_context        (QiDbAdapter  *self,
                                               const char   *project,
                                               const char   *path,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_context        (QiDbAdapter  *self,
                                               const char   *project,
                                               const char   *parent,
                                               const char   *kind,
                                               const char   *name,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_tasks            (QiDbAdapter  *self,
                                               const char   *project,
                                               const char   *context,
                                               const char   *assignee,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_task           (QiDbAdapter  *self,
                                               const char   *context,
                                               const char   *name,
                                               const char   *type,
                                               const char   *status,
                                               const char   *assignee,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_products         (QiDbAdapter  *self,
                                               const char   *context,
                                               const char   *type,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_product        (QiDbAdapter  *self,
                                               const char   *context,
                                               const char   *name,
                                               const char   *type,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_get_version           (QiDbAdapter  *self,
                                               const char   *id,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_versions         (QiDbAdapter  *self,
                                               const char   *product,
                                               const char   *task,
                                               gboolean      include_pending,
                                               guint         offset,
                                               guint         limit,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_latest_versions       (QiDbAdapter  *self,
                                               const char   *context,
                                               gboolean      include_pending,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_version        (QiDbAdapter  *self,
                                               JsonObject   *spec,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_publish_version       (QiDbAdapter  *self,
                                               const char   *id,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_publish_version_full  (QiDbAdapter  *self,
                                               const char   *id,
                                               JsonObject   *details,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_abandon_version       (QiDbAdapter  *self,
                                               const char   *id,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_pending_versions (QiDbAdapter  *self,
                                               gint64        older_than_s,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_link_contexts         (QiDbAdapter  *self,
                                               const char   *context,
                                               const char   *uses,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_context_links    (QiDbAdapter  *self,
                                               const char   *context,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_link_versions         (QiDbAdapter  *self,
                                               const char   *version,
                                               const char   *uses,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_version_links    (QiDbAdapter  *self,
                                               const char   *version,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_users            (QiDbAdapter  *self,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_user           (QiDbAdapter  *self,
                                               const char   *username,
                                               const char   *full_name,
                                               const char   *email,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_statuses         (QiDbAdapter  *self,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_list_task_types       (QiDbAdapter  *self,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_create_location       (QiDbAdapter  *self,
                                               const char   *name,
                                               const char   *root,
                                               GError      **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_stats                 (QiDbAdapter  *self,
                                               GError      **error);

QI_AVAILABLE_IN_ALL
void      qi_db_adapter_call_async            (QiDbAdapter          *self,
                                               const char           *operation,
                                               JsonObject           *arguments,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_call_finish           (QiDbAdapter          *self,
                                               GAsyncResult         *result,
                                               GError              **error);
QI_AVAILABLE_IN_ALL
JsonNode *qi_db_adapter_call                  (QiDbAdapter          *self,
                                               const char           *operation,
                                               JsonObject           *arguments,
                                               GError              **error);

G_END_DECLS
