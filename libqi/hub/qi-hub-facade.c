/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-hub-facade.h"
#include "qi-json-reader-private.h"

/**
 * SECTION:qi-hub-facade
 * @title: Hub façades
 * @short_description: a service's request topics as a table
 *
 * A service puts its API on the hub as a table of #QiHubTopic: the topic,
 * the members its payload may have (#QiHubField) and the function that
 * answers. qi_hub_facade_attach() registers them on the service's
 * endpoint and checks every payload before the function runs, so that a
 * payload of the wrong shape is refused with `bad_message` in the same
 * words by every service:
 *
 * - `db_service.task.list: the payload must be an object`
 * - `db_service.context.list: the payload needs “project”, a string`
 * - `db_service.version.list: “limit” must be an integer from 1, not a string`
 *
 * Members the table does not list are left alone. A member that is `null`
 * counts as absent.
 */

typedef struct
{
  const QiHubTopic *topic;
  gpointer          user_data;
} Entry;

static const char *
expected (const QiHubField *field,
          char            **owned)
{
  switch (field->type)
    {
    case QI_HUB_FIELD_STRING:
      return _("a string");
    case QI_HUB_FIELD_NONEMPTY:
      return _("a string that is not empty");
    case QI_HUB_FIELD_INT:
      return *owned = g_strdup_printf (_("an integer from %" G_GINT64_FORMAT), field->minimum);
    case QI_HUB_FIELD_BOOL:
      return _("true or false");
    case QI_HUB_FIELD_OBJECT:
      return _("an object");
    case QI_HUB_FIELD_ARRAY:
      return _("an array");
    case QI_HUB_FIELD_ID:
      return _("an id, a string");
    case QI_HUB_FIELD_CONTEXT:
      return _("a context id, or a path such as “/sq010/sh020” with “project”");
    case QI_HUB_FIELD_ANY:
    default:
      return _("a value");
    }
}

static JsonNode *
member (JsonObject *payload,
        const char *name)
{
  JsonNode *node = json_object_get_member (payload, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
fits (const QiHubField *field,
      JsonNode         *node)
{
  switch (field->type)
    {
    case QI_HUB_FIELD_STRING:
      return holds (node, G_TYPE_STRING);
    case QI_HUB_FIELD_NONEMPTY:
      return holds (node, G_TYPE_STRING) && json_node_get_string (node)[0] != '\0';
    case QI_HUB_FIELD_INT:
      return holds (node, G_TYPE_INT64) && json_node_get_int (node) >= field->minimum;
    case QI_HUB_FIELD_BOOL:
      return holds (node, G_TYPE_BOOLEAN);
    case QI_HUB_FIELD_OBJECT:
      return JSON_NODE_HOLDS_OBJECT (node);
    case QI_HUB_FIELD_ARRAY:
      return JSON_NODE_HOLDS_ARRAY (node);
    case QI_HUB_FIELD_ID:
    case QI_HUB_FIELD_CONTEXT:
      return (holds (node, G_TYPE_STRING) && json_node_get_string (node)[0] != '\0') ||
             (holds (node, G_TYPE_INT64) && json_node_get_int (node) >= 1);
    case QI_HUB_FIELD_ANY:
    default:
      return TRUE;
    }
}

/**
 * qi_hub_facade_check:
 * @topic: the request topic, for the message
 * @fields: (array zero-terminated=1): the members the payload may have,
 *   ended by one whose name is %NULL
 * @payload: a request's payload
 * @error: return location for a #GError
 *
 * Checks @payload against @fields, as qi_hub_facade_attach() does before
 * a handler runs; a #QI_HUB_FIELD_CONTEXT given as a path needs a
 * `project` string beside it.
 *
 * Returns: %TRUE, or %FALSE with %QI_HUB_ERROR_BAD_MESSAGE naming the
 *   topic, the member and what it must be
 */
gboolean
qi_hub_facade_check (const char        *topic,
                     const QiHubField  *fields,
                     JsonObject        *payload,
                     GError           **error)
{
  g_return_val_if_fail (topic != NULL, FALSE);
  g_return_val_if_fail (fields != NULL, FALSE);
  g_return_val_if_fail (payload != NULL, FALSE);

  for (const QiHubField *field = fields; field->name != NULL; field++)
    {
      JsonNode *node = member (payload, field->name);
      g_autofree char *owned = NULL;

      if (node == NULL)
        {
          if (field->required)
            {
              g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                           _("%s: the payload needs “%s”, %s"), topic, field->name, expected (field, &owned));
              return FALSE;
            }
          continue;
        }
      if (!fits (field, node))
        {
          g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
                       _("%s: “%s” must be %s, not %s"), topic, field->name, expected (field, &owned),
                       qi_json_describe_type (node));
          return FALSE;
        }
      if (field->type == QI_HUB_FIELD_CONTEXT && holds (node, G_TYPE_STRING) &&
          json_node_get_string (node)[0] == '/')
        {
          /* a path names a context within a project */
          static const QiHubField project[] = { { "project", QI_HUB_FIELD_STRING, TRUE, 0 }, { NULL } };

          if (!qi_hub_facade_check (topic, project, payload, error))
            return FALSE;
        }
    }
  return TRUE;
}

static void
on_request (QiHubRequest *request,
            gpointer      user_data)
{
  Entry *entry = user_data;
  JsonNode *node = qi_hub_request_get_payload (request);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      message = g_strdup_printf (_("%s: the payload must be an object"), entry->topic->topic);
      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  if (!qi_hub_facade_check (entry->topic->topic, entry->topic->fields, json_node_get_object (node), &error))
    {
      qi_hub_request_fail_error (request, error);
      return;
    }
  entry->topic->handler (request, json_node_get_object (node), entry->user_data);
}

/**
 * qi_hub_facade_attach:
 * @endpoint: the service's hub session
 * @topics: (array length=n_topics): its topics; the table must outlive
 *   @endpoint (a `static const` one does)
 * @n_topics: their number
 * @user_data: (nullable): given to every handler
 * @error: return location for a #GError
 *
 * Handles each of @topics on @endpoint: a request whose payload fits the
 * topic's fields goes to its handler; any other is answered
 * `bad_message` (see qi_hub_facade_check()).
 *
 * Returns: %TRUE, or %FALSE if a topic cannot be handled there (the
 *   topics added before it are removed again)
 */
gboolean
qi_hub_facade_attach (QiHubEndpoint     *endpoint,
                      const QiHubTopic  *topics,
                      gsize              n_topics,
                      gpointer           user_data,
                      GError           **error)
{
  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (endpoint), FALSE);
  g_return_val_if_fail (topics != NULL || n_topics == 0, FALSE);

  for (gsize i = 0; i < n_topics; i++)
    {
      Entry *entry = g_new0 (Entry, 1);

      entry->topic = &topics[i];
      entry->user_data = user_data;
      if (!qi_hub_endpoint_add_handler (endpoint, topics[i].topic, on_request, entry, g_free, error))
        {
          g_free (entry);
          for (gsize j = 0; j < i; j++)
            qi_hub_endpoint_remove_handler (endpoint, topics[j].topic);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * qi_hub_facade_get_string:
 * @payload: a checked payload
 * @name: a member of type %QI_HUB_FIELD_STRING or %QI_HUB_FIELD_NONEMPTY
 *
 * Returns: (nullable): its value, or %NULL when it is absent
 */
const char *
qi_hub_facade_get_string (JsonObject *payload,
                          const char *name)
{
  JsonNode *node = member (payload, name);

  return node != NULL && holds (node, G_TYPE_STRING) ? json_node_get_string (node) : NULL;
}

/**
 * qi_hub_facade_dup_id:
 * @payload: a checked payload
 * @name: a member of type %QI_HUB_FIELD_ID or %QI_HUB_FIELD_CONTEXT
 *
 * Returns: (transfer full) (nullable): the id as text (an integer as its
 *   decimal text), or %NULL when it is absent
 */
char *
qi_hub_facade_dup_id (JsonObject *payload,
                      const char *name)
{
  JsonNode *node = member (payload, name);

  if (node == NULL)
    return NULL;
  if (holds (node, G_TYPE_INT64))
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return holds (node, G_TYPE_STRING) ? g_strdup (json_node_get_string (node)) : NULL;
}

/**
 * qi_hub_facade_get_int:
 * @payload: a checked payload
 * @name: a member of type %QI_HUB_FIELD_INT
 * @fallback: what an absent member reads as
 *
 * Returns: its value, or @fallback
 */
gint64
qi_hub_facade_get_int (JsonObject *payload,
                       const char *name,
                       gint64      fallback)
{
  JsonNode *node = member (payload, name);

  return node != NULL && holds (node, G_TYPE_INT64) ? json_node_get_int (node) : fallback;
}

/**
 * qi_hub_facade_get_bool:
 * @payload: a checked payload
 * @name: a member of type %QI_HUB_FIELD_BOOL
 * @fallback: what an absent member reads as
 *
 * Returns: its value, or @fallback
 */
gboolean
qi_hub_facade_get_bool (JsonObject *payload,
                        const char *name,
                        gboolean    fallback)
{
  JsonNode *node = member (payload, name);

  return node != NULL && holds (node, G_TYPE_BOOLEAN) ? json_node_get_boolean (node) : fallback;
}
