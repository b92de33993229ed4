/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "qi-db-manager.h"
#include "qi-db-operations-private.h"
#include "qi-hub-endpoint.h"
#include "qi-hub-error.h"
#include "qi-hub-facade.h"
#include "qi-message-bus.h"

/**
 * QiDbManager:
 *
 * The `db` service: the tracker adapters of the run by name, one of them
 * the default (the run's provider addon of the role `db` adds its adapter
 * under its own name at bootstrap phase 1), and the tracker-neutral API on
 * the hub.
 *
 * In C, callers take an adapter with qi_db_manager_get_adapter() and use
 * the #QiDbAdapter API. On the hub (after qi_db_manager_attach_hub()) the
 * session `__hub__/db` answers the `db_service.*` request topics of
 * docs/protocol.md, each with an optional `adapter` in its payload, and
 * emits `db_service.ENTITY.changed` after every write of any of its
 * adapters (#QiDbAdapter::changed).
 */

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
  json_object_set_member (body, entity, json_node_is_immutable (object) ? json_node_ref (object)
                                                                       : json_node_copy (object));
  payload = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (payload, body);

  topic = g_strdup_printf ("db_service.%s.changed", entity);
  if (!qi_hub_endpoint_emit (self->endpoint, topic, payload, &error))
    g_warning ("cannot emit %s: %s", topic, error->message);
}

/* The hub: one topic per operation (qi-db-operations.c), each run in a
 * worker thread by qi_db_adapter_call_async(), so that the hub's loop
 * never waits on a tracker. Payload shapes are checked by the façade
 * (bad_message); an adapter's own errors are handler_failed with its
 * message. */

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(QiHubRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_db_adapter_call_finish (QI_DB_ADAPTER (source), result, &error);

  if (reply == NULL)
    qi_hub_request_fail_error (request, error);
  else
    /* sealed by the adapter: the reply shares it rather than copying it */
    qi_hub_request_reply (request, reply);
}

static void
on_request (QiHubRequest *request,
            JsonObject   *payload,
            gpointer      user_data)
{
  QiDbManager *self = user_data;
  const char *topic = qi_hub_request_get_topic (request);
  g_autoptr(GError) error = NULL;
  QiDbAdapter *adapter;

  adapter = qi_db_manager_get_adapter (self, qi_hub_facade_get_string (payload, "adapter"), &error);
  if (adapter == NULL)
    {
      qi_hub_request_fail_error (request, error);
      return;
    }
  qi_db_adapter_call_async (adapter, topic + strlen ("db_service."), payload, NULL, on_called,
                            g_object_ref (request));
}

/* The façade's table, made once from the operations: each topic takes
 * the operation's fields and an optional "adapter". */
static const QiHubTopic *
hub_topics (gsize *n_topics)
{
  static QiHubTopic *topics;
  static gsize n;

  if (g_once_init_enter (&topics))
    {
      const QiDbOperation *operations = qi_db_operations_get (&n);
      QiHubTopic *made = g_new0 (QiHubTopic, n);

      for (gsize i = 0; i < n; i++)
        {
          gsize n_fields = 0;
          QiHubField *fields;

          while (operations[i].fields[n_fields].name != NULL)
            n_fields++;
          fields = g_new0 (QiHubField, n_fields + 2);
          memcpy (fields, operations[i].fields, n_fields * sizeof (QiHubField));
          fields[n_fields] = (QiHubField) { "adapter", QI_HUB_FIELD_STRING, FALSE, 0 };
          made[i].topic = operations[i].topic;
          made[i].fields = fields;
          made[i].handler = on_request;
        }
      g_once_init_leave (&topics, made);
    }
  *n_topics = n;
  return topics;
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
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND, _("this run has no tracker: no addon provides the role “db” (the tracker addons do)"));
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
  const QiHubTopic *topics;
  gsize n_topics;

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
  topics = hub_topics (&n_topics);
  if (!qi_hub_facade_attach (endpoint, topics, n_topics, self, error))
    {
      qi_hub_endpoint_close (endpoint);
      return FALSE;
    }
  self->endpoint = g_steal_pointer (&endpoint);
  return TRUE;
}
