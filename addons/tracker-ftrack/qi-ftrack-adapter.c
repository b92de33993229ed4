/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "qi-ftrack-adapter.h"

/**
 * QiFtrackAdapter:
 *
 * The tracker-neutral API (#QiDbAdapter) over an ftrack server, through
 * #QiFtrackSession and ftrack's query language.
 *
 * What the neutral model calls what in ftrack:
 *
 * | neutral | ftrack |
 * | --- | --- |
 * | project (`name`, `label`) | `Project` (`name`, `full_name`) |
 * | context (`kind`) | `TypedContext`: `Episode`, `Sequence`, `Shot`, `AssetBuild`, `Folder`; its path is read from `link` |
 * | task (`type`, `status`, `assignee`) | `Task` (`type.name`, `status.name`, the first `assignments.resource.username`) |
 * | product (`type`) | `Asset` (`type.short`, the `AssetType`'s short name) |
 * | version (`number`, `state`) | `AssetVersion` (`version`, `is_published`: false while pending) |
 * | component, files | `FileComponent` with one `ComponentLocation` (its `resource_identifier` is the path); a component of several files is a `ContainerComponent` whose members are `FileComponent`s |
 * | metadata, publisher, published_at | `Metadata` entries `qi.metadata` (the JSON text), `qi.publisher_host`, `qi.publisher_pid`, `qi.published_at` |
 * | user (`full_name`) | `User` (`first_name` and `last_name`) |
 * | status, task type (`name`, `label`) | `Status`, `Type`: `label` is ftrack's name, `name` the same in lower case with `_` for blanks (`Pending Review` → `pending_review`); a status's `state` is its `State`'s short name in lower case |
 * | location | `Location` (no root: ftrack's accessors say where files are) |
 * | a context uses another (casting), a version uses another | `TypedContextLink`, `AssetVersionLink` from the one used to the one that uses it |
 *
 * Ids are ftrack's (UUIDs). The server numbers a version when it creates
 * it, in the request that also writes the version's components: one
 * request is one transaction on ftrack's side, so a version is never seen
 * without its components and two publishers never get the same number.
 * A version created with the number it must get (`number`) is checked
 * against the asset's highest version first, then sent with that number;
 * ftrack does not refuse a number another version has, so once created
 * the version is compared with the others of that number, and the later
 * one (by `date`, then id) is deleted again and fails with
 * %QI_DB_ERROR_CONFLICT, for its publisher to retry.
 *
 * A publish merges its `metadata` into `qi.metadata` and uploads its
 * `thumbnail` as ftrack's own API clients do: a `FileComponent` named
 * `thumbnail` and the `get_upload_metadata` action in one request, a PUT
 * of the file to the signed URL it answers, then, in the request that
 * publishes, the component's `ComponentLocation` in `ftrack.server` and
 * the version's `thumbnail_id`. Abandoning a pending version deletes it,
 * its components, their locations, the metadata of all and its links in
 * one request.
 *
 * ftrack has no cheap counts: qi_db_adapter_stats() is not supported.
 *
 * Every call is synchronous: each request runs in a main context of the
 * call's own, iterated while it waits, so that calls from several threads
 * (the hub's workers) go to ftrack side by side, through the session the
 * ftrack login gave its credentials to.
 */

#define G_LOG_DOMAIN_FTRACK "QiFtrack"
#define PAGE_SIZE 500
#define DEFAULT_LOCATION "ftrack.unmanaged"
/* The ftrack.server location: the same id on every ftrack site, which
 * ftrack's clients name it by (ftrack_api.symbol.SERVER_LOCATION_ID). */
#define SERVER_LOCATION_ID "3a372bde-05bc-11e4-8908-20c9d081909b"

#define CONTEXT_TYPES "object_type.name in (\"Episode\", \"Sequence\", \"Shot\", \"Asset Build\", \"Folder\")"
#define PROJECT_FIELDS "id, name, full_name, created_at"
#define CONTEXT_FIELDS "id, name, parent_id, project_id, link"
#define TASK_FIELDS "id, name, parent_id, link, type.name, status.name, assignments.resource.username"
#define PRODUCT_FIELDS "id, name, context_id, parent.link, type.short"
#define VERSION_FIELDS \
  "id, version, asset_id, asset.name, asset.type.short, task_id, user.username, comment, status.name, " \
  "is_published, date, metadata.key, metadata.value"
#define COMPONENT_FIELDS \
  "id, name, size, container_id, metadata.key, metadata.value, " \
  "component_locations.id, component_locations.resource_identifier, component_locations.location.name"

struct _QiFtrackAdapter
{
  GObject          parent_instance;

  QiFtrackSession *session;
};

static void qi_ftrack_adapter_iface_init (QiDbAdapterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (QiFtrackAdapter, qi_ftrack_adapter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (QI_TYPE_DB_ADAPTER, qi_ftrack_adapter_iface_init))

/* Errors. */

static gpointer
fail (GError     **error,
      QiDbError    code,
      const char  *format,
      ...) G_GNUC_PRINTF (3, 4);

static gpointer
fail (GError     **error,
      QiDbError    code,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_set_error_literal (error, QI_DB_ERROR, code, "");
  if (error != NULL && *error != NULL)
    {
      g_free ((*error)->message);
      (*error)->message = g_strdup_vprintf (format, args);
    }
  va_end (args);
  return NULL;
}

/* Calls. */

typedef struct
{
  JsonNode *result;
  GError   *error;
  gboolean  done;
} Wait;

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = qi_ftrack_session_call_finish (QI_FTRACK_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

/* Sends @operations (taken) in one request; returns the array of results,
 * one per operation. */
static JsonArray *
call (QiFtrackAdapter  *self,
      JsonArray        *operations,
      GError          **error)
{
  g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), operations);
  Wait wait = { NULL, NULL, FALSE };
  g_autoptr(GMainContext) context = NULL;
  JsonArray *results;

  json_array_unref (operations);
  /* A context of this call's own: libsoup (3.2 and later) sends from any
   * thread that has a thread-default context, so that calls from the
   * hub's worker threads run side by side, each waiting only for its own
   * answer. */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  qi_ftrack_session_call_async (self->session, node, NULL, on_called, &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  if (wait.error != NULL)
    {
      QiDbError code = g_error_matches (wait.error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_QUERY) ||
                       g_error_matches (wait.error, QI_FTRACK_ERROR, QI_FTRACK_ERROR_INVALID)
                       ? QI_DB_ERROR_INVALID : QI_DB_ERROR_IO;

      g_set_error_literal (error, QI_DB_ERROR, code, wait.error->message);
      g_error_free (wait.error);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (wait.result) ||
      json_array_get_length (json_node_get_array (wait.result)) != json_array_get_length (operations))
    {
      json_node_unref (wait.result);
      return fail (error, QI_DB_ERROR_IO, _("ftrack answered with something other than one result per operation"));
    }
  results = json_array_ref (json_node_get_array (wait.result));
  json_node_unref (wait.result);
  return results;
}

typedef struct
{
  GError   *error;
  gboolean  uploaded;
  gboolean  done;
} UploadWait;

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  UploadWait *wait = user_data;

  wait->uploaded = qi_ftrack_session_upload_finish (QI_FTRACK_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

/* PUTs @bytes to @url with @headers, as get_upload_metadata answered them. */
static gboolean
upload (QiFtrackAdapter  *self,
        const char       *url,
        JsonObject       *headers,
        const char       *name,
        GBytes           *bytes,
        GError          **error)
{
  UploadWait wait = { NULL, FALSE, FALSE };
  g_autoptr(GMainContext) context = g_main_context_new ();

  /* a context of this call's own, as in call() */
  g_main_context_push_thread_default (context);
  qi_ftrack_session_upload_async (self->session, url, headers, name, bytes, NULL, on_uploaded, &wait);
  while (!wait.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  if (wait.error != NULL)
    {
      g_set_error_literal (error, QI_DB_ERROR, QI_DB_ERROR_IO, wait.error->message);
      g_error_free (wait.error);
      return FALSE;
    }
  return wait.uploaded;
}

static JsonObject *
operation (const char *action)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "action", action);
  return object;
}

static JsonObject *
query_operation (const char *expression)
{
  JsonObject *object = operation ("query");

  json_object_set_string_member (object, "expression", expression);
  return object;
}

static JsonObject *
create_operation (const char *entity_type,
                  JsonObject *data)
{
  JsonObject *object = operation ("create");

  json_object_set_string_member (object, "entity_type", entity_type);
  json_object_set_object_member (object, "entity_data", data);
  return object;
}

static JsonObject *
update_operation (const char *entity_type,
                  const char *id,
                  const char *key,
                  JsonObject *data)
{
  JsonObject *object = operation ("update");
  JsonArray *entity_key = json_array_new ();

  json_object_set_string_member (object, "entity_type", entity_type);
  json_array_add_string_element (entity_key, id);
  if (key != NULL)
    json_array_add_string_element (entity_key, key);
  json_object_set_array_member (object, "entity_key", entity_key);
  json_object_set_object_member (object, "entity_data", data);
  return object;
}

/* The delete of the @entity_type whose primary key is @id, or (@id, @key)
 * for a Metadata entry. */
static JsonObject *
delete_operation (const char *entity_type,
                  const char *id,
                  const char *key)
{
  JsonObject *object = operation ("delete");
  JsonArray *entity_key = json_array_new ();

  json_object_set_string_member (object, "entity_type", entity_type);
  json_array_add_string_element (entity_key, id);
  if (key != NULL)
    json_array_add_string_element (entity_key, key);
  json_object_set_array_member (object, "entity_key", entity_key);
  return object;
}

/* The entities of a query result. */
static JsonArray *
result_data (JsonArray  *results,
             guint       index,
             GError    **error)
{
  JsonNode *result = json_array_get_element (results, index);
  JsonNode *data;

  if (!JSON_NODE_HOLDS_OBJECT (result) ||
      (data = json_object_get_member (json_node_get_object (result), "data")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (data))
    return fail (error, QI_DB_ERROR_IO, _("ftrack answered a query without its “data” list"));
  return json_node_get_array (data);
}

/* Runs @expression (without offset or limit) page by page from entity
 * @start on; every entity. The expression must order its entities fully
 * (end with a unique attribute such as id), or pages may overlap. */
static JsonArray *
query_from (QiFtrackAdapter  *self,
            const char       *expression,
            guint             start,
            GError          **error)
{
  g_autoptr(JsonArray) all = json_array_new ();
  guint offset = start;

  for (;;)
    {
      g_autofree char *paged = g_strdup_printf ("%s offset %u limit %u", expression, offset, PAGE_SIZE);
      JsonArray *operations = json_array_new ();
      g_autoptr(JsonArray) results = NULL;
      JsonArray *data;
      JsonObject *result, *metadata, *next;

      json_array_add_object_element (operations, query_operation (paged));
      if ((results = call (self, operations, error)) == NULL ||
          (data = result_data (results, 0, error)) == NULL)
        return NULL;
      for (guint i = 0; i < json_array_get_length (data); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (data, i)));

      result = json_array_get_object_element (results, 0);
      metadata = json_object_has_member (result, "metadata") &&
                 JSON_NODE_HOLDS_OBJECT (json_object_get_member (result, "metadata"))
                 ? json_object_get_object_member (result, "metadata") : NULL;
      next = metadata != NULL && json_object_has_member (metadata, "next") &&
             JSON_NODE_HOLDS_OBJECT (json_object_get_member (metadata, "next"))
             ? json_object_get_object_member (metadata, "next") : NULL;
      if (next == NULL || !json_object_has_member (next, "offset") ||
          json_node_get_value_type (json_object_get_member (next, "offset")) != G_TYPE_INT64 ||
          json_array_get_length (data) == 0)
        break;
      offset = (guint) json_object_get_int_member (next, "offset");
    }
  return g_steal_pointer (&all);
}

/* The first entity @expression finds, or NOT_FOUND with @missing. */
static JsonArray *
query_all (QiFtrackAdapter  *self,
           const char       *expression,
           GError          **error)
{
  return query_from (self, expression, 0, error);
}

static JsonObject *
query_one (QiFtrackAdapter  *self,
           const char       *expression,
           const char       *missing,
           GError          **error)
{
  g_autofree char *limited = g_strdup_printf ("%s limit 1", expression);
  JsonArray *operations = json_array_new ();
  g_autoptr(JsonArray) results = NULL;
  JsonArray *data;

  json_array_add_object_element (operations, query_operation (limited));
  if ((results = call (self, operations, error)) == NULL ||
      (data = result_data (results, 0, error)) == NULL)
    return NULL;
  if (json_array_get_length (data) == 0)
    return fail (error, QI_DB_ERROR_NOT_FOUND, "%s", missing);
  return json_object_ref (json_array_get_object_element (data, 0));
}

/* Values. */

static const char *
text_of (JsonObject *object,
         const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

static JsonObject *
object_of (JsonObject *object,
           const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
array_of (JsonObject *object,
          const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
set_text (JsonObject *object,
          const char *name,
          const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

/* "Pending Review" → "pending_review" */
static char *
neutral_name (const char *label)
{
  char *name;

  if (label == NULL)
    return NULL;
  name = g_ascii_strdown (label, -1);
  g_strstrip (name);
  for (char *p = name; *p != '\0'; p++)
    if (*p == ' ' || *p == '-')
      *p = '_';
  return name;
}

/* ftrack's datetime (no zone: UTC) → 2026-12-01T11:04:54.123Z */
static char *
neutral_time (const char *value)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) time = value != NULL ? g_date_time_new_from_iso8601 (value, utc) : NULL;
  g_autoptr(GDateTime) in_utc = NULL;
  g_autofree char *seconds = NULL;

  if (time == NULL)
    return g_strdup (value);
  in_utc = g_date_time_to_utc (time);
  seconds = g_date_time_format (in_utc, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds, g_date_time_get_microsecond (in_utc) / 1000);
}

static char *
now_text (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");
}

/* The names of @link after the project, as /a/b; @drop_last leaves the
 * entity itself out (a task's context path). */
static char *
path_of_link (JsonArray *link,
              gboolean   drop_last)
{
  g_autoptr(GString) path = g_string_new (NULL);
  guint n = link != NULL ? json_array_get_length (link) : 0;

  if (drop_last && n > 0)
    n--;
  for (guint i = 1; i < n; i++)
    {
      JsonObject *item = json_array_get_object_element (link, i);

      g_string_append_c (path, '/');
      g_string_append (path, text_of (item, "name") != NULL ? text_of (item, "name") : "?");
    }
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static const char *
project_of_link (JsonArray *link)
{
  return link != NULL && json_array_get_length (link) > 0
         ? text_of (json_array_get_object_element (link, 0), "name") : NULL;
}

/* Takes @array. */
static JsonNode *
wrap_array (JsonArray *array)
{
  JsonNode *node = json_node_init_array (json_node_alloc (), array);

  json_array_unref (array);
  return node;
}

static JsonNode *
wrap_object (JsonObject *object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);
  return node;
}

/* The value of a metadata key in an entity projected with metadata.key and
 * metadata.value. */
static const char *
metadata_value (JsonObject *entity,
                const char *key)
{
  JsonArray *metadata = array_of (entity, "metadata");

  for (guint i = 0; metadata != NULL && i < json_array_get_length (metadata); i++)
    {
      JsonObject *item = json_array_get_object_element (metadata, i);

      if (g_strcmp0 (text_of (item, "key"), key) == 0)
        return text_of (item, "value");
    }
  return NULL;
}

static JsonNode *
metadata_object (JsonObject *entity)
{
  const char *text = metadata_value (entity, "qi.metadata");
  JsonNode *node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonArray *metadata = array_of (entity, "metadata");
      JsonObject *object = json_object_new ();

      g_clear_pointer (&node, json_node_unref);
      /* Someone else's metadata: every key but Qi's own, as text. */
      for (guint i = 0; metadata != NULL && i < json_array_get_length (metadata); i++)
        {
          JsonObject *item = json_array_get_object_element (metadata, i);
          const char *key = text_of (item, "key");

          if (key != NULL && !g_str_has_prefix (key, "qi."))
            set_text (object, key, text_of (item, "value"));
        }
      node = wrap_object (object);
    }
  return node;
}

/* Adds the create of a Metadata entry to @operations, and its delete to
 * @undo if given. */
static void
add_metadata (JsonArray  *operations,
              GPtrArray  *undo,
              const char *parent_type,
              const char *parent_id,
              const char *key,
              const char *value)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "parent_id", parent_id);
  json_object_set_string_member (data, "parent_type", parent_type);
  json_object_set_string_member (data, "key", key);
  json_object_set_string_member (data, "value", value);
  json_array_add_object_element (operations, create_operation ("Metadata", data));
  if (undo != NULL)
    g_ptr_array_add (undo, delete_operation ("Metadata", parent_id, key));
}

/* The deletes of the Metadata entries of @entity (projected with
 * metadata.key), added to @operations. */
static void
add_metadata_deletes (JsonArray  *operations,
                      JsonObject *entity)
{
  JsonArray *metadata = array_of (entity, "metadata");

  for (guint i = 0; metadata != NULL && i < json_array_get_length (metadata); i++)
    {
      const char *key = text_of (json_array_get_object_element (metadata, i), "key");

      if (key != NULL && text_of (entity, "id") != NULL)
        json_array_add_object_element (operations, delete_operation ("Metadata", text_of (entity, "id"), key));
    }
}

/* RFC 7396, as the embedded tracker's json_patch(): each member of @patch
 * replaces @target's, an object is merged member by member, null removes
 * the member. */
static void
merge_patch (JsonObject *target,
             JsonObject *patch)
{
  g_autoptr(GList) names = json_object_get_members (patch);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (patch, name);
      JsonNode *old = json_object_get_member (target, name);

      if (JSON_NODE_HOLDS_NULL (value))
        {
          if (old != NULL)
            json_object_remove_member (target, name);
        }
      else if (JSON_NODE_HOLDS_OBJECT (value))
        {
          if (old == NULL || !JSON_NODE_HOLDS_OBJECT (old))
            json_object_set_object_member (target, name, json_object_new ());
          merge_patch (json_object_get_object_member (target, name), json_node_get_object (value));
        }
      else
        json_object_set_member (target, name, json_node_copy (value));
    }
}

/* Entities → neutral objects. */

static JsonObject *
project_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  g_autofree char *created = neutral_time (text_of (entity, "created_at"));

  set_text (object, "id", text_of (entity, "id"));
  set_text (object, "name", text_of (entity, "name"));
  set_text (object, "label", text_of (entity, "full_name"));
  set_text (object, "created_at", created);
  return object;
}

static const char *
kind_of_type (const char *entity_type)
{
  static const struct { const char *ftrack, *neutral; } kinds[] = {
    { "Episode", "episode" }, { "Sequence", "sequence" }, { "Shot", "shot" },
    { "AssetBuild", "asset_build" }, { "Folder", "folder" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (entity_type, kinds[i].ftrack) == 0)
      return kinds[i].neutral;
  return NULL;
}

static const char *
type_of_kind (const char *kind)
{
  static const struct { const char *neutral, *ftrack; } kinds[] = {
    { "episode", "Episode" }, { "sequence", "Sequence" }, { "shot", "Shot" },
    { "asset_build", "AssetBuild" }, { "folder", "Folder" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i].neutral) == 0)
      return kinds[i].ftrack;
  return NULL;
}

static JsonObject *
context_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  JsonArray *link = array_of (entity, "link");
  g_autofree char *path = path_of_link (link, FALSE);
  const char *parent = text_of (entity, "parent_id");

  set_text (object, "id", text_of (entity, "id"));
  set_text (object, "project", project_of_link (link));
  /* A context right under the project has no parent context. */
  set_text (object, "parent", g_strcmp0 (parent, text_of (entity, "project_id")) == 0 ? NULL : parent);
  set_text (object, "kind", kind_of_type (text_of (entity, "__entity_type__")));
  set_text (object, "name", text_of (entity, "name"));
  set_text (object, "path", path);
  return object;
}

static JsonObject *
task_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  JsonArray *link = array_of (entity, "link");
  JsonArray *assignments = array_of (entity, "assignments");
  g_autofree char *path = path_of_link (link, TRUE);
  g_autofree char *type = neutral_name (text_of (object_of (entity, "type"), "name"));
  g_autofree char *status = neutral_name (text_of (object_of (entity, "status"), "name"));
  const char *assignee = NULL;

  for (guint i = 0; assignments != NULL && i < json_array_get_length (assignments); i++)
    {
      const char *username = text_of (object_of (json_array_get_object_element (assignments, i), "resource"),
                                      "username");

      if (username != NULL && (assignee == NULL || strcmp (username, assignee) < 0))
        assignee = username;
    }
  set_text (object, "id", text_of (entity, "id"));
  set_text (object, "project", project_of_link (link));
  set_text (object, "context", text_of (entity, "parent_id"));
  set_text (object, "context_path", path);
  set_text (object, "name", text_of (entity, "name"));
  set_text (object, "type", type);
  set_text (object, "status", status);
  set_text (object, "assignee", assignee);
  return object;
}

static JsonObject *
product_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  JsonArray *link = array_of (object_of (entity, "parent"), "link");
  g_autofree char *path = path_of_link (link, FALSE);

  set_text (object, "id", text_of (entity, "id"));
  set_text (object, "project", project_of_link (link));
  set_text (object, "context", text_of (entity, "context_id"));
  set_text (object, "context_path", path);
  set_text (object, "name", text_of (entity, "name"));
  set_text (object, "type", text_of (object_of (entity, "type"), "short"));
  return object;
}

static JsonObject *
version_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  JsonObject *publisher = json_object_new ();
  JsonObject *asset = object_of (entity, "asset");
  JsonNode *number = json_object_get_member (entity, "version");
  JsonNode *published = json_object_get_member (entity, "is_published");
  g_autofree char *status = neutral_name (text_of (object_of (entity, "status"), "name"));
  g_autofree char *created = neutral_time (text_of (entity, "date"));
  const char *pid = metadata_value (entity, "qi.publisher_pid");
  gboolean is_published = published != NULL && JSON_NODE_HOLDS_VALUE (published) &&
                          json_node_get_value_type (published) == G_TYPE_BOOLEAN &&
                          json_node_get_boolean (published);

  set_text (object, "id", text_of (entity, "id"));
  set_text (object, "product", text_of (entity, "asset_id"));
  set_text (object, "product_name", text_of (asset, "name"));
  set_text (object, "product_type", text_of (object_of (asset, "type"), "short"));
  if (number != NULL && JSON_NODE_HOLDS_VALUE (number) && json_node_get_value_type (number) == G_TYPE_INT64)
    json_object_set_int_member (object, "number", json_node_get_int (number));
  else
    json_object_set_null_member (object, "number");
  set_text (object, "task", text_of (entity, "task_id"));
  set_text (object, "author", text_of (object_of (entity, "user"), "username"));
  set_text (object, "comment", text_of (entity, "comment") != NULL ? text_of (entity, "comment") : "");
  set_text (object, "status", status);
  set_text (object, "state", is_published ? "published" : "pending");
  set_text (object, "created_at", created);
  set_text (object, "published_at", is_published ? metadata_value (entity, "qi.published_at") : NULL);
  set_text (publisher, "host", metadata_value (entity, "qi.publisher_host"));
  if (pid != NULL)
    json_object_set_int_member (publisher, "pid", g_ascii_strtoll (pid, NULL, 10));
  else
    json_object_set_null_member (publisher, "pid");
  json_object_set_object_member (object, "publisher", publisher);
  json_object_set_member (object, "metadata", metadata_object (entity));
  return object;
}

static JsonObject *
user_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  const char *first = text_of (entity, "first_name");
  const char *last = text_of (entity, "last_name");
  g_autofree char *full_name = NULL;

  if (first != NULL && *first != '\0' && last != NULL && *last != '\0')
    full_name = g_strdup_printf ("%s %s", first, last);
  else if (first != NULL && *first != '\0')
    full_name = g_strdup (first);
  else if (last != NULL && *last != '\0')
    full_name = g_strdup (last);
  set_text (object, "id", text_of (entity, "id"));
  set_text (object, "username", text_of (entity, "username"));
  set_text (object, "full_name", full_name);
  set_text (object, "email", text_of (entity, "email"));
  return object;
}

static int
compare_member (JsonNode   *a,
                JsonNode   *b,
                const char *member)
{
  return g_strcmp0 (text_of (json_node_get_object (a), member), text_of (json_node_get_object (b), member));
}

static gint
by_path (gconstpointer a,
         gconstpointer b)
{
  return compare_member (*(JsonNode **) a, *(JsonNode **) b, "path");
}

static gint
by_name (gconstpointer a,
         gconstpointer b)
{
  return compare_member (*(JsonNode **) a, *(JsonNode **) b, "name");
}

static gint
by_product_name (gconstpointer a,
                 gconstpointer b)
{
  return compare_member (*(JsonNode **) a, *(JsonNode **) b, "product_name");
}

static gint
by_task_order (gconstpointer a,
               gconstpointer b)
{
  JsonNode *x = *(JsonNode **) a, *y = *(JsonNode **) b;
  int order = compare_member (x, y, "project");

  if (order == 0)
    order = compare_member (x, y, "context_path");
  if (order == 0)
    order = compare_member (x, y, "name");
  return order;
}

/* Maps the entities of @data with @out, sorted with @compare (or not). */
static JsonNode *
map_entities (JsonArray     *data,
              JsonObject  *(*out) (JsonObject *),
              GCompareFunc   compare)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < json_array_get_length (data); i++)
    g_ptr_array_add (nodes, wrap_object (out (json_array_get_object_element (data, i))));
  if (compare != NULL)
    g_ptr_array_sort (nodes, compare);
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (array, json_node_ref (nodes->pdata[i]));
  return wrap_array (array);
}

/* Lookups. */

static JsonObject *
find_project (QiFtrackAdapter  *self,
              const char       *name,
              GError          **error)
{
  g_autofree char *quoted = qi_ftrack_quote (name);
  g_autofree char *expression = g_strdup_printf ("select " PROJECT_FIELDS " from Project where name is %s", quoted);
  g_autofree char *missing = g_strdup_printf (_("no project “%s”"), name);

  return query_one (self, expression, missing, error);
}

static JsonObject *
find_by_id (QiFtrackAdapter  *self,
            const char       *what,
            const char       *entity_type,
            const char       *fields,
            const char       *id,
            GError          **error)
{
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *missing = NULL;

  if (id == NULL)
    return fail (error, QI_DB_ERROR_INVALID, _("the %s id is missing"), what);
  if (*id == '\0')
    return fail (error, QI_DB_ERROR_NOT_FOUND, _("no %s with id “”"), what);
  quoted = qi_ftrack_quote (id);
  missing = g_strdup_printf (_("no %s with id “%s”"), what, id);
  expression = g_strdup_printf ("select %s from %s where id is %s", fields, entity_type, quoted);
  return query_one (self, expression, missing, error);
}

static JsonObject *
find_context (QiFtrackAdapter  *self,
              const char       *id,
              GError          **error)
{
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *missing = NULL;

  if (id == NULL)
    return fail (error, QI_DB_ERROR_INVALID, _("the context id is missing"));
  if (*id == '\0')
    return fail (error, QI_DB_ERROR_NOT_FOUND, _("no context with id “”"));
  quoted = qi_ftrack_quote (id);
  missing = g_strdup_printf (_("no context with id “%s”"), id);
  expression = g_strdup_printf ("select " CONTEXT_FIELDS " from TypedContext where id is %s and " CONTEXT_TYPES,
                                quoted);
  return query_one (self, expression, missing, error);
}

static JsonObject *
find_user (QiFtrackAdapter  *self,
           const char       *username,
           GError          **error)
{
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *missing = NULL;

  if (!qi_db_check_name ("username", username, error))
    return NULL;
  quoted = qi_ftrack_quote (username);
  expression = g_strdup_printf ("select id, username, first_name, last_name, email "
                                "from User where username is %s", quoted);
  missing = g_strdup_printf (_("no user “%s”"), username);
  return query_one (self, expression, missing, error);
}

/* The id of the status or task type whose neutral name is @name. */
static char *
find_named (QiFtrackAdapter  *self,
            const char       *entity_type,
            const char       *name,
            const char       *missing,
            GError          **error)
{
  g_autofree char *expression = g_strdup_printf ("select id, name from %s order by id", entity_type);
  g_autoptr(JsonArray) data = NULL;

  if (!qi_db_check_name (g_str_equal (entity_type, "Status") ? "status" : "task type", name, error) ||
      (data = query_all (self, expression, error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *entity = json_array_get_object_element (data, i);
      g_autofree char *neutral = neutral_name (text_of (entity, "name"));

      if (g_strcmp0 (neutral, name) == 0 || g_strcmp0 (text_of (entity, "name"), name) == 0)
        return g_strdup (text_of (entity, "id"));
    }
  return fail (error, QI_DB_ERROR_NOT_FOUND, "%s", missing);
}

static char *
find_location (QiFtrackAdapter  *self,
               const char       *name,
               const char       *missing,
               GError          **error)
{
  g_autofree char *quoted = qi_ftrack_quote (name);
  g_autofree char *expression = g_strdup_printf ("select id, name from Location where name is %s", quoted);
  g_autoptr(JsonObject) location = query_one (self, expression, missing, error);

  return location != NULL ? g_strdup (text_of (location, "id")) : NULL;
}

/* Whether @expression finds anything. -1 on error. */
static int
any (QiFtrackAdapter  *self,
     const char       *expression,
     GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) found = query_one (self, expression, "", &local_error);

  if (found != NULL)
    return 1;
  if (g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
    return 0;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return -1;
}

/* Sends creates (and updates) in one request: one transaction. */
static gboolean
create_entities (QiFtrackAdapter  *self,
                 JsonArray        *operations,
                 GError          **error)
{
  g_autoptr(JsonArray) results = call (self, operations, error);

  return results != NULL;
}

/* Projects. */

static JsonNode *
ftrack_list_projects (QiDbAdapter  *adapter,
                      GError      **error)
{
  g_autoptr(JsonArray) data = query_all (QI_FTRACK_ADAPTER (adapter),
                                         "select " PROJECT_FIELDS " from Project order by name, id", error);

  return data != NULL ? map_entities (data, project_out, by_name) : NULL;
}

static JsonNode *
ftrack_get_project (QiDbAdapter  *adapter,
                    const char   *name,
                    GError      **error)
{
  g_autoptr(JsonObject) project = find_project (QI_FTRACK_ADAPTER (adapter), name, error);

  return project != NULL ? wrap_object (project_out (project)) : NULL;
}

static JsonNode *
ftrack_create_project (QiDbAdapter  *adapter,
                       const char   *name,
                       const char   *label,
                       GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) existing = NULL;
  g_autoptr(JsonObject) schema = NULL;
  g_autofree char *id = g_uuid_string_random ();
  JsonArray *operations;
  JsonObject *data;

  if (!qi_db_check_name ("project name", name, error))
    return NULL;
  existing = find_project (self, name, &local_error);
  if (existing != NULL)
    return fail (error, QI_DB_ERROR_CONFLICT, _("there is a project “%s” already"), name);
  if (!g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  schema = query_one (self, "select id, name from ProjectSchema order by name",
                      _("this ftrack has no project schema to make a project with"), error);
  if (schema == NULL)
    return NULL;

  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "name", name);
  json_object_set_string_member (data, "full_name", label != NULL ? label : name);
  json_object_set_string_member (data, "project_schema_id", text_of (schema, "id"));
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation ("Project", data));
  if (!create_entities (self, operations, error))
    return NULL;
  return ftrack_get_project (adapter, name, error);
}

/* Contexts. */

static JsonNode *
ftrack_list_contexts (QiDbAdapter  *adapter,
                      const char   *project,
                      const char   *parent,
                      GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = find_project (self, project, error);
  g_autofree char *parent_quoted = NULL;
  g_autofree char *expression = NULL;
  g_autoptr(JsonArray) data = NULL;

  if (found == NULL)
    return NULL;
  if (parent != NULL)
    {
      g_autoptr(JsonObject) context = find_context (self, parent, error);

      if (context == NULL)
        return NULL;
      if (g_strcmp0 (text_of (context, "project_id"), text_of (found, "id")) != 0)
        return fail (error, QI_DB_ERROR_NOT_FOUND, _("no context with id “%s” in project “%s”"), parent, project);
    }
  parent_quoted = qi_ftrack_quote (parent != NULL ? parent : text_of (found, "id"));
  expression = g_strdup_printf ("select " CONTEXT_FIELDS " from TypedContext where parent_id is %s and "
                                CONTEXT_TYPES " order by name, id", parent_quoted);
  data = query_all (self, expression, error);
  return data != NULL ? map_entities (data, context_out, by_name) : NULL;
}

static JsonNode *
ftrack_list_all_contexts (QiDbAdapter  *adapter,
                          const char   *project,
                          GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = find_project (self, project, error);
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  g_autoptr(JsonArray) data = NULL;

  if (found == NULL)
    return NULL;
  quoted = qi_ftrack_quote (text_of (found, "id"));
  expression = g_strdup_printf ("select " CONTEXT_FIELDS " from TypedContext where project_id is %s and "
                                CONTEXT_TYPES " order by id", quoted);
  data = query_all (self, expression, error);
  return data != NULL ? map_entities (data, context_out, by_path) : NULL;
}

static JsonNode *
ftrack_lookup_context (QiDbAdapter  *adapter,
                       const char   *project,
                       const char   *path,
                       GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autofree char *normal = qi_db_normalize_path (path, error);
  g_autofree char *project_quoted = NULL;
  g_autofree char *name_quoted = NULL;
  g_autofree char *expression = NULL;
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(JsonArray) data = NULL;
  const char *name;

  if (normal == NULL || (found = find_project (self, project, error)) == NULL)
    return NULL;
  name = strrchr (normal, '/') + 1;
  project_quoted = qi_ftrack_quote (text_of (found, "id"));
  name_quoted = qi_ftrack_quote (name);
  expression = g_strdup_printf ("select " CONTEXT_FIELDS " from TypedContext where project_id is %s and "
                                "name is %s and " CONTEXT_TYPES, project_quoted, name_quoted);
  if ((data = query_all (self, expression, error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *entity = json_array_get_object_element (data, i);
      g_autofree char *candidate = path_of_link (array_of (entity, "link"), FALSE);

      if (g_strcmp0 (candidate, normal) == 0)
        return wrap_object (context_out (entity));
    }
  return fail (error, QI_DB_ERROR_NOT_FOUND, _("no context “%s” in project “%s”"), normal, project);
}

static JsonNode *
ftrack_create_context (QiDbAdapter  *adapter,
                       const char   *project,
                       const char   *parent,
                       const char   *kind,
                       const char   *name,
                       GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(JsonObject) context = NULL;
  g_autofree char *path = NULL;
  g_autofree char *parent_quoted = NULL;
  g_autofree char *name_quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *id = g_uuid_string_random ();
  JsonArray *operations;
  JsonObject *data;
  int taken;

  if ((found = find_project (self, project, error)) == NULL ||
      !qi_db_check_kind (kind, error) || !qi_db_check_name ("context name", name, error))
    return NULL;
  if (parent != NULL)
    {
      if ((context = find_context (self, parent, error)) == NULL)
        return NULL;
      if (g_strcmp0 (text_of (context, "project_id"), text_of (found, "id")) != 0)
        return fail (error, QI_DB_ERROR_NOT_FOUND, _("no context with id “%s” in project “%s”"), parent, project);
      {
        g_autoptr(JsonObject) parent_out = context_out (context);

        path = g_strdup_printf ("%s/%s", text_of (parent_out, "path"), name);
      }
      g_clear_pointer (&context, json_object_unref);
    }
  else
    path = g_strconcat ("/", name, NULL);

  parent_quoted = qi_ftrack_quote (parent != NULL ? parent : text_of (found, "id"));
  name_quoted = qi_ftrack_quote (name);
  expression = g_strdup_printf ("select id from Context where parent_id is %s and name is %s",
                                parent_quoted, name_quoted);
  if ((taken = any (self, expression, error)) < 0)
    return NULL;
  if (taken)
    return fail (error, QI_DB_ERROR_CONFLICT, _("project “%s” has a context “%s” already"), project, path);

  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "name", name);
  json_object_set_string_member (data, "parent_id", parent != NULL ? parent : text_of (found, "id"));
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation (type_of_kind (kind), data));
  if (!create_entities (self, operations, error) || (context = find_context (self, id, error)) == NULL)
    return NULL;
  return wrap_object (context_out (context));
}

/* Tasks. */

static JsonNode *
ftrack_list_tasks (QiDbAdapter  *adapter,
                   const char   *project,
                   const char   *context,
                   const char   *assignee,
                   GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(GString) expression = g_string_new ("select " TASK_FIELDS " from Task where ");
  g_autoptr(JsonArray) data = NULL;
  const char *joiner = "";

  if (context == NULL && assignee == NULL)
    return fail (error, QI_DB_ERROR_INVALID, _("listing tasks needs a context or an assignee"));
  if (project != NULL)
    {
      g_autoptr(JsonObject) found = find_project (self, project, error);
      g_autofree char *quoted = NULL;

      if (found == NULL)
        return NULL;
      quoted = qi_ftrack_quote (text_of (found, "id"));
      g_string_append_printf (expression, "%sproject_id is %s", joiner, quoted);
      joiner = " and ";
    }
  if (context != NULL)
    {
      g_autoptr(JsonObject) found = find_context (self, context, error);
      g_autofree char *quoted = NULL;

      if (found == NULL)
        return NULL;
      quoted = qi_ftrack_quote (context);
      g_string_append_printf (expression, "%sparent_id is %s", joiner, quoted);
      joiner = " and ";
    }
  if (assignee != NULL)
    {
      g_autoptr(JsonObject) user = find_user (self, assignee, error);
      g_autofree char *quoted = NULL;

      if (user == NULL)
        return NULL;
      quoted = qi_ftrack_quote (text_of (user, "id"));
      g_string_append_printf (expression, "%sassignments any (resource_id is %s)", joiner, quoted);
    }
  g_string_append (expression, " order by id");
  data = query_all (self, expression->str, error);
  return data != NULL ? map_entities (data, task_out, by_task_order) : NULL;
}

static JsonNode *
ftrack_create_task (QiDbAdapter  *adapter,
                    const char   *context,
                    const char   *name,
                    const char   *type,
                    const char   *status,
                    const char   *assignee,
                    GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonObject) task = NULL;
  g_autofree char *missing_type = NULL;
  g_autofree char *missing_status = NULL;
  g_autofree char *type_id = NULL;
  g_autofree char *status_id = NULL;
  g_autofree char *context_quoted = NULL;
  g_autofree char *name_quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *id = g_uuid_string_random ();
  JsonArray *operations;
  JsonObject *data;
  int taken;

  if (!qi_db_check_name ("task name", name, error) || !qi_db_check_name ("task type", type, error) ||
      (found = find_context (self, context, error)) == NULL)
    return NULL;
  status = status != NULL ? status : "not_started";
  missing_type = g_strdup_printf (_("no task type “%s”"), type);
  missing_status = g_strdup_printf (_("no status “%s”"), status);
  if ((type_id = find_named (self, "Type", type, missing_type, error)) == NULL ||
      (status_id = find_named (self, "Status", status, missing_status, error)) == NULL ||
      (assignee != NULL && (user = find_user (self, assignee, error)) == NULL))
    return NULL;
  context_quoted = qi_ftrack_quote (context);
  name_quoted = qi_ftrack_quote (name);
  /* ftrack keeps one name space for all the children of a context, its
   * tasks and its child contexts. */
  expression = g_strdup_printf ("select id from TypedContext where parent_id is %s and name is %s",
                                context_quoted, name_quoted);
  if ((taken = any (self, expression, error)) < 0)
    return NULL;
  if (taken)
    return fail (error, QI_DB_ERROR_CONFLICT, _("the context with id “%s” has a task “%s” already"), context, name);

  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "name", name);
  json_object_set_string_member (data, "parent_id", context);
  json_object_set_string_member (data, "type_id", type_id);
  json_object_set_string_member (data, "status_id", status_id);
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation ("Task", data));
  if (user != NULL)
    {
      g_autofree char *appointment = g_uuid_string_random ();

      data = json_object_new ();
      json_object_set_string_member (data, "id", appointment);
      json_object_set_string_member (data, "context_id", id);
      json_object_set_string_member (data, "resource_id", text_of (user, "id"));
      json_object_set_string_member (data, "type", "assignment");
      json_array_add_object_element (operations, create_operation ("Appointment", data));
    }
  if (!create_entities (self, operations, error) ||
      (task = find_by_id (self, "task", "Task", TASK_FIELDS, id, error)) == NULL)
    return NULL;
  return wrap_object (task_out (task));
}

/* Products. */

static JsonNode *
ftrack_list_products (QiDbAdapter  *adapter,
                      const char   *context,
                      const char   *type,
                      GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = NULL;
  g_autofree char *context_quoted = NULL;
  g_autofree char *type_quoted = NULL;
  g_autofree char *expression = NULL;
  g_autoptr(JsonArray) data = NULL;

  if ((type != NULL && !qi_db_check_name ("product type", type, error)) ||
      (found = find_context (self, context, error)) == NULL)
    return NULL;
  context_quoted = qi_ftrack_quote (context);
  if (type != NULL)
    {
      type_quoted = qi_ftrack_quote (type);
      expression = g_strdup_printf ("select " PRODUCT_FIELDS " from Asset where context_id is %s and "
                                    "type.short is %s order by name, id", context_quoted, type_quoted);
    }
  else
    expression = g_strdup_printf ("select " PRODUCT_FIELDS " from Asset where context_id is %s order by name, id",
                                  context_quoted);
  data = query_all (self, expression, error);
  return data != NULL ? map_entities (data, product_out, by_name) : NULL;
}

static JsonNode *
ftrack_create_product (QiDbAdapter  *adapter,
                       const char   *context,
                       const char   *name,
                       const char   *type,
                       GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(JsonObject) asset_type = NULL;
  g_autoptr(JsonObject) product = NULL;
  g_autofree char *context_quoted = NULL;
  g_autofree char *name_quoted = NULL;
  g_autofree char *type_quoted = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *id = g_uuid_string_random ();
  JsonArray *operations;
  JsonObject *data;
  int taken;

  if (!qi_db_check_name ("product name", name, error) || !qi_db_check_name ("product type", type, error) ||
      (found = find_context (self, context, error)) == NULL)
    return NULL;
  type_quoted = qi_ftrack_quote (type);
  expression = g_strdup_printf ("select id, short, name from AssetType where short is %s", type_quoted);
  missing = g_strdup_printf (_("no product type “%s”: ftrack has no asset type of that short name"), type);
  if ((asset_type = query_one (self, expression, missing, error)) == NULL)
    return NULL;
  g_clear_pointer (&expression, g_free);
  context_quoted = qi_ftrack_quote (context);
  name_quoted = qi_ftrack_quote (name);
  expression = g_strdup_printf ("select id from Asset where context_id is %s and name is %s",
                                context_quoted, name_quoted);
  if ((taken = any (self, expression, error)) < 0)
    return NULL;
  if (taken)
    return fail (error, QI_DB_ERROR_CONFLICT, _("the context with id “%s” has a product “%s” already"),
                 context, name);

  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "name", name);
  json_object_set_string_member (data, "context_id", context);
  json_object_set_string_member (data, "type_id", text_of (asset_type, "id"));
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation ("Asset", data));
  if (!create_entities (self, operations, error) ||
      (product = find_by_id (self, "product", "Asset", PRODUCT_FIELDS, id, error)) == NULL)
    return NULL;
  return wrap_object (product_out (product));
}

/* Versions. */

static gint
by_file_path (gconstpointer a,
              gconstpointer b)
{
  return compare_member (*(JsonNode **) a, *(JsonNode **) b, "path");
}

/* The file of a FileComponent: its path at its (first) location. */
static JsonNode *
file_out (JsonObject  *component,
          const char **location)
{
  JsonArray *locations = array_of (component, "component_locations");
  JsonObject *first = locations != NULL && json_array_get_length (locations) > 0
                      ? json_array_get_object_element (locations, 0) : NULL;
  JsonObject *file = json_object_new ();
  JsonNode *size = json_object_get_member (component, "size");

  if (location != NULL && first != NULL)
    *location = text_of (object_of (first, "location"), "name");
  set_text (file, "path", text_of (first, "resource_identifier"));
  json_object_set_int_member (file, "size", size != NULL && JSON_NODE_HOLDS_VALUE (size) &&
                                            json_node_get_value_type (size) == G_TYPE_INT64
                                            ? json_node_get_int (size) : 0);
  return wrap_object (file);
}

/* The neutral components of a version, from its top-level components and
 * the members of its containers. */
static JsonNode *
components_out (JsonArray *top,
                JsonArray *members)
{
  g_autoptr(GPtrArray) components = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < json_array_get_length (top); i++)
    {
      JsonObject *entity = json_array_get_object_element (top, i);
      JsonObject *component = json_object_new ();
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
      JsonArray *list = json_array_new ();
      const char *location = NULL;
      gboolean container = FALSE;

      for (guint j = 0; j < json_array_get_length (members); j++)
        {
          JsonObject *member = json_array_get_object_element (members, j);

          if (g_strcmp0 (text_of (member, "container_id"), text_of (entity, "id")) == 0)
            {
              container = TRUE;
              g_ptr_array_add (files, file_out (member, &location));
            }
        }
      if (!container && array_of (entity, "component_locations") != NULL &&
          json_array_get_length (array_of (entity, "component_locations")) > 0)
        g_ptr_array_add (files, file_out (entity, &location));
      g_ptr_array_sort (files, by_file_path);
      for (guint j = 0; j < files->len; j++)
        json_array_add_element (list, json_node_ref (files->pdata[j]));

      set_text (component, "id", text_of (entity, "id"));
      set_text (component, "name", text_of (entity, "name"));
      set_text (component, "location", location != NULL ? location : metadata_value (entity, "qi.location"));
      json_object_set_null_member (component, "location_root");
      json_object_set_member (component, "metadata", metadata_object (entity));
      json_object_set_array_member (component, "files", list);
      g_ptr_array_add (components, wrap_object (component));
    }
  g_ptr_array_sort (components, by_name);
  for (guint i = 0; i < components->len; i++)
    json_array_add_element (array, json_node_ref (components->pdata[i]));
  return wrap_array (array);
}

/* The AssetVersion @id, with its top-level components in @top and the
 * members of its containers in @members. */
static JsonObject *
fetch_version (QiFtrackAdapter  *self,
               const char       *id,
               JsonArray       **top,
               JsonArray       **members,
               GError          **error)
{
  g_autoptr(JsonObject) version = find_by_id (self, "version", "AssetVersion", VERSION_FIELDS, id, error);
  g_autofree char *quoted = NULL;
  g_autofree char *top_query = NULL;
  g_autofree char *member_query = NULL;

  if (version == NULL)
    return NULL;
  quoted = qi_ftrack_quote (id);
  top_query = g_strdup_printf ("select " COMPONENT_FIELDS " from Component where version_id is %s and "
                               "container_id is None order by id", quoted);
  member_query = g_strdup_printf ("select " COMPONENT_FIELDS " from Component where container.version_id is %s "
                                  "order by id", quoted);
  if ((*top = query_all (self, top_query, error)) == NULL)
    return NULL;
  if ((*members = query_all (self, member_query, error)) == NULL)
    {
      g_clear_pointer (top, json_array_unref);
      return NULL;
    }
  return g_steal_pointer (&version);
}

static JsonNode *
ftrack_get_version (QiDbAdapter  *adapter,
                    const char   *id,
                    GError      **error)
{
  g_autoptr(JsonArray) top = NULL;
  g_autoptr(JsonArray) members = NULL;
  g_autoptr(JsonObject) version = fetch_version (QI_FTRACK_ADAPTER (adapter), id, &top, &members, error);
  JsonObject *object;

  if (version == NULL)
    return NULL;
  object = version_out (version);
  json_object_set_member (object, "components", components_out (top, members));
  return wrap_object (object);
}

static JsonNode *
ftrack_list_versions (QiDbAdapter  *adapter,
                      const char   *product,
                      const char   *task,
                      gboolean      include_pending,
                      guint         offset,
                      guint         limit,
                      GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(GString) expression = g_string_new ("select " VERSION_FIELDS " from AssetVersion where ");
  g_autoptr(JsonArray) data = NULL;
  JsonArray *operations;
  g_autoptr(JsonArray) results = NULL;

  if (product == NULL && task == NULL)
    return fail (error, QI_DB_ERROR_INVALID, _("listing versions needs a product or a task"));
  if (product != NULL)
    {
      g_autoptr(JsonObject) found = find_by_id (self, "product", "Asset", "id", product, error);
      g_autofree char *quoted = qi_ftrack_quote (product);

      if (found == NULL)
        return NULL;
      g_string_append_printf (expression, "asset_id is %s", quoted);
    }
  if (task != NULL)
    {
      g_autoptr(JsonObject) found = find_by_id (self, "task", "Task", "id", task, error);
      g_autofree char *quoted = qi_ftrack_quote (task);

      if (found == NULL)
        return NULL;
      g_string_append_printf (expression, "%stask_id is %s", product != NULL ? " and " : "", quoted);
    }
  if (!include_pending)
    g_string_append (expression, " and is_published is True");
  g_string_append (expression, product != NULL ? " order by version descending, id" : " order by date descending, id");
  if (limit == 0)
    {
      data = query_from (self, expression->str, offset, error);
      return data != NULL ? map_entities (data, version_out, NULL) : NULL;
    }
  g_string_append_printf (expression, " offset %u limit %u", offset, limit);
  operations = json_array_new ();
  json_array_add_object_element (operations, query_operation (expression->str));
  if ((results = call (self, operations, error)) == NULL)
    return NULL;
  {
    JsonArray *page = result_data (results, 0, error);

    return page != NULL ? map_entities (page, version_out, NULL) : NULL;
  }
}

static JsonNode *
ftrack_latest_versions (QiDbAdapter  *adapter,
                        const char   *context,
                        gboolean      include_pending,
                        GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = find_context (self, context, error);
  g_autoptr(GHashTable) latest = g_hash_table_new (g_str_hash, g_str_equal);   /* product → entity */
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  g_autoptr(JsonArray) data = NULL;
  g_autoptr(JsonArray) picked = json_array_new ();

  if (found == NULL)
    return NULL;
  quoted = qi_ftrack_quote (context);
  expression = g_strdup_printf ("select " VERSION_FIELDS " from AssetVersion where asset.context_id is %s%s "
                                "order by version descending, id", quoted,
                                include_pending ? "" : " and is_published is True");
  if ((data = query_all (self, expression, error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *entity = json_array_get_object_element (data, i);
      const char *asset = text_of (entity, "asset_id");
      JsonObject *known = asset != NULL ? g_hash_table_lookup (latest, asset) : NULL;

      if (asset == NULL)
        continue;
      if (known == NULL ||
          json_object_get_int_member_with_default (entity, "version", 0) >
          json_object_get_int_member_with_default (known, "version", 0))
        g_hash_table_insert (latest, (gpointer) asset, entity);
    }
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, latest);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      json_array_add_object_element (picked, json_object_ref (value));
  }
  return map_entities (picked, version_out, by_product_name);
}

/* Whether @number is the next number of @product (the highest plus one);
 * %QI_DB_ERROR_CONFLICT if not. */
static gboolean
check_next_number (QiFtrackAdapter  *self,
                   const char       *product,
                   gint64            number,
                   GError          **error)
{
  g_autofree char *quoted = qi_ftrack_quote (product);
  g_autofree char *expression = g_strdup_printf ("select version from AssetVersion where asset_id is %s and "
                                                 "version is_not None order by version descending", quoted);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) highest = query_one (self, expression, "", &local_error);
  gint64 next;

  if (highest == NULL && !g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  next = 1 + (highest != NULL ? json_object_get_int_member_with_default (highest, "version", 0) : 0);
  if (number != next)
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT,
                   _("number: version %" G_GINT64_FORMAT " of product “%s” cannot be made: the product's next "
                     "version is %" G_GINT64_FORMAT), number, product, next);
      return FALSE;
    }
  return TRUE;
}

/* Whether AssetVersion @a came before @b: by date, then by id. */
static gboolean
made_before (JsonObject *a,
             JsonObject *b)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  const char *x = text_of (a, "date"), *y = text_of (b, "date");
  g_autoptr(GDateTime) at_x = x != NULL ? g_date_time_new_from_iso8601 (x, utc) : NULL;
  g_autoptr(GDateTime) at_y = y != NULL ? g_date_time_new_from_iso8601 (y, utc) : NULL;
  int order = at_x != NULL && at_y != NULL ? g_date_time_compare (at_x, at_y) : g_strcmp0 (x, y);

  if (order == 0)
    order = g_strcmp0 (text_of (a, "id"), text_of (b, "id"));
  return order < 0;
}

/* Whether the version @id, just given @number, is the first version of
 * @product with that number: ftrack takes a number another version has,
 * so two publishers that both asked for it both got it. -1 on error. */
static int
first_with_number (QiFtrackAdapter  *self,
                   const char       *product,
                   gint64            number,
                   const char       *id,
                   GError          **error)
{
  g_autofree char *quoted = qi_ftrack_quote (product);
  g_autofree char *expression = g_strdup_printf ("select id, date from AssetVersion where asset_id is %s and "
                                                 "version is %" G_GINT64_FORMAT " order by date, id",
                                                 quoted, number);
  g_autoptr(JsonArray) data = query_all (self, expression, error);
  JsonObject *first = NULL;

  if (data == NULL)
    return -1;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *entity = json_array_get_object_element (data, i);

      if (first == NULL || made_before (entity, first))
        first = entity;
    }
  return first == NULL || g_strcmp0 (text_of (first, "id"), id) == 0;
}

/* The deletes of @undo, last first: what a request created, taken back. */
static JsonArray *
undo_operations (GPtrArray *undo)
{
  JsonArray *operations = json_array_new ();

  for (guint i = undo->len; i > 0; i--)
    json_array_add_object_element (operations, json_object_ref (undo->pdata[i - 1]));
  return operations;
}

static JsonNode *
ftrack_create_version (QiDbAdapter  *adapter,
                       JsonObject   *object,
                       GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_auto(QiDbVersionSpec) spec = { 0 };
  g_autoptr(JsonObject) product = NULL;
  g_autoptr(JsonObject) task = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autofree char *status_id = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autoptr(GHashTable) locations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  /* the deletes of what the request creates, should another publisher
   * have taken the number */
  g_autoptr(GPtrArray) undo = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *operations;
  JsonObject *data;
  guint n_components;

  if (!qi_db_version_spec_check (object, &spec, error) ||
      (product = find_by_id (self, "product", "Asset", "id", spec.product, error)) == NULL ||
      (spec.task != NULL && (task = find_by_id (self, "task", "Task", "id", spec.task, error)) == NULL) ||
      (spec.author != NULL && (user = find_user (self, spec.author, error)) == NULL))
    return NULL;
  if (spec.status != NULL)
    {
      g_autofree char *missing = g_strdup_printf (_("no status “%s”"), spec.status);

      if ((status_id = find_named (self, "Status", spec.status, missing, error)) == NULL)
        return NULL;
    }
  n_components = spec.components != NULL ? json_array_get_length (spec.components) : 0;
  for (guint i = 0; i < n_components; i++)
    {
      JsonObject *component = json_array_get_object_element (spec.components, i);
      const char *location = json_object_get_string_member_with_default (component, "location", DEFAULT_LOCATION);
      g_autofree char *missing = g_strdup_printf (_("components[%u].location: no location “%s”"), i, location);
      char *location_id;

      if (g_hash_table_contains (locations, location))
        continue;
      if ((location_id = find_location (self, location, missing, error)) == NULL)
        return NULL;
      g_hash_table_insert (locations, (gpointer) location, location_id);
    }
  if (spec.number > 0 && !check_next_number (self, spec.product, spec.number, error))
    return NULL;

  /* One request: the version, its metadata, its components and their
   * locations; the server numbers the version, unless it must have a
   * number of its own. */
  operations = json_array_new ();
  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "asset_id", spec.product);
  if (spec.task != NULL)
    json_object_set_string_member (data, "task_id", spec.task);
  if (user != NULL)
    json_object_set_string_member (data, "user_id", text_of (user, "id"));
  json_object_set_string_member (data, "comment", spec.comment != NULL ? spec.comment : "");
  if (status_id != NULL)
    json_object_set_string_member (data, "status_id", status_id);
  json_object_set_boolean_member (data, "is_published", FALSE);
  if (spec.number > 0)
    json_object_set_int_member (data, "version", spec.number);
  json_array_add_object_element (operations, create_operation ("AssetVersion", data));
  g_ptr_array_add (undo, delete_operation ("AssetVersion", id, NULL));
  add_metadata (operations, undo, "asset_version", id, "qi.metadata", spec.metadata);
  add_metadata (operations, undo, "asset_version", id, "qi.publisher_host", g_get_host_name ());
  add_metadata (operations, undo, "asset_version", id, "qi.publisher_pid", pid);

  for (guint i = 0; i < n_components; i++)
    {
      JsonObject *component = json_array_get_object_element (spec.components, i);
      const char *location = json_object_get_string_member_with_default (component, "location", DEFAULT_LOCATION);
      const char *location_id = g_hash_table_lookup (locations, location);
      JsonArray *files = json_object_has_member (component, "files") &&
                         JSON_NODE_HOLDS_ARRAY (json_object_get_member (component, "files"))
                         ? json_object_get_array_member (component, "files") : NULL;
      guint n_files = files != NULL ? json_array_get_length (files) : 0;
      g_autofree char *component_id = g_uuid_string_random ();
      g_autofree char *metadata = NULL;

      qi_db_read_metadata (component, "", &metadata, NULL);
      data = json_object_new ();
      json_object_set_string_member (data, "id", component_id);
      json_object_set_string_member (data, "name", json_object_get_string_member (component, "name"));
      json_object_set_string_member (data, "version_id", id);
      if (n_files == 1)
        {
          JsonObject *file = json_array_get_object_element (files, 0);

          json_object_set_int_member (data, "size", json_object_get_int_member (file, "size"));
          json_array_add_object_element (operations, create_operation ("FileComponent", data));
          g_ptr_array_add (undo, delete_operation ("FileComponent", component_id, NULL));
        }
      else
        {
          json_array_add_object_element (operations, create_operation ("ContainerComponent", data));
          g_ptr_array_add (undo, delete_operation ("ContainerComponent", component_id, NULL));
        }
      add_metadata (operations, undo, "component", component_id, "qi.metadata", metadata);
      /* a component without files has no ComponentLocation to say where it is */
      add_metadata (operations, undo, "component", component_id, "qi.location", location);

      for (guint j = 0; j < n_files; j++)
        {
          JsonObject *file = json_array_get_object_element (files, j);
          const char *path = json_object_get_string_member (file, "path");
          g_autofree char *file_id = NULL;
          g_autofree char *member_name = NULL;

          if (n_files == 1)
            file_id = g_strdup (component_id);
          else
            {
              file_id = g_uuid_string_random ();
              member_name = g_path_get_basename (path);
              /* The neutral check refuses a path listed twice in a component. */
              for (guint k = 0; k < j; k++)
                if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (files, k), "path"),
                               path) == 0)
                  {
                    json_array_unref (operations);
                    return fail (error, QI_DB_ERROR_INVALID, _("components[%u].files[%u].path: “%s” is listed twice"),
                                 i, j, path);
                  }
              data = json_object_new ();
              json_object_set_string_member (data, "id", file_id);
              json_object_set_string_member (data, "name", member_name);
              json_object_set_string_member (data, "container_id", component_id);
              json_object_set_int_member (data, "size", json_object_get_int_member (file, "size"));
              json_array_add_object_element (operations, create_operation ("FileComponent", data));
              g_ptr_array_add (undo, delete_operation ("FileComponent", file_id, NULL));
            }
          data = json_object_new ();
          {
            g_autofree char *location_entry = g_uuid_string_random ();

            json_object_set_string_member (data, "id", location_entry);
            g_ptr_array_add (undo, delete_operation ("ComponentLocation", location_entry, NULL));
          }
          json_object_set_string_member (data, "component_id", file_id);
          json_object_set_string_member (data, "location_id", location_id);
          json_object_set_string_member (data, "resource_identifier", path);
          json_array_add_object_element (operations, create_operation ("ComponentLocation", data));
        }
    }
  if (!create_entities (self, operations, error))
    return NULL;
  if (spec.number > 0)
    {
      int first = first_with_number (self, spec.product, spec.number, id, error);

      if (first < 0)
        return NULL;
      if (!first)
        {
          g_autoptr(GError) undo_error = NULL;

          /* The other publisher was first: this one takes its version back
           * (one request) and tries again with the next number. */
          if (!create_entities (self, undo_operations (undo), &undo_error))
            return fail (error, QI_DB_ERROR_CONFLICT,
                         _("number: another publisher made version %" G_GINT64_FORMAT " of product “%s” at the "
                           "same time, and the pending version with id “%s” made with that number too could not "
                           "be removed (%s): abandon it, and ask for the next number"),
                         spec.number, spec.product, id, undo_error->message);
          return fail (error, QI_DB_ERROR_CONFLICT,
                       _("number: another publisher made version %" G_GINT64_FORMAT " of product “%s” at the "
                         "same time: ask for the next number"), spec.number, spec.product);
        }
    }
  return ftrack_get_version (adapter, id, error);
}

/* The thumbnail of a publish's details, read: %TRUE with @bytes NULL
 * when there is none. */
static gboolean
read_thumbnail (JsonObject  *details,
                GBytes     **bytes,
                const char **file_type,
                GError     **error)
{
  JsonNode *node = json_object_get_member (details, "thumbnail");
  g_autoptr(GError) local_error = NULL;
  const char *path;
  char *contents = NULL;
  gsize length = 0;

  *bytes = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error_literal (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                           _("thumbnail: must be the absolute path of a PNG or JPEG file"));
      return FALSE;
    }
  path = json_node_get_string (node);
  if (!g_path_is_absolute (path))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID,
                   _("thumbnail: “%s” is not an absolute path: give the absolute path of a PNG or JPEG file"), path);
      return FALSE;
    }
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("thumbnail: %s"), local_error->message);
      return FALSE;
    }
  if (length >= 8 && memcmp (contents, "\x89PNG\r\n\x1a\n", 8) == 0)
    *file_type = ".png";
  else if (length >= 3 && memcmp (contents, "\xff\xd8\xff", 3) == 0)
    *file_type = ".jpg";
  else
    {
      g_free (contents);
      g_set_error (error, QI_DB_ERROR, QI_DB_ERROR_INVALID, _("thumbnail: “%s” is not a PNG or JPEG file"), path);
      return FALSE;
    }
  *bytes = g_bytes_new_take (contents, length);
  return TRUE;
}

/* Deletes a component that will not be used, as well as it can. */
static void
discard_component (QiFtrackAdapter *self,
                   const char      *id)
{
  JsonArray *operations = json_array_new ();
  g_autoptr(JsonArray) results = NULL;

  json_array_add_object_element (operations, delete_operation ("FileComponent", id, NULL));
  results = call (self, operations, NULL);
}

/* Uploads a thumbnail as ftrack's API clients do: its FileComponent and
 * the get_upload_metadata action in one request, then the PUT of the file
 * to the URL that answered, with the headers it gave. Returns the
 * component's id; its ComponentLocation (in ftrack.server, its id as the
 * resource identifier) goes with the publish. */
static char *
upload_thumbnail (QiFtrackAdapter  *self,
                  GBytes           *bytes,
                  const char       *file_type,
                  GError          **error)
{
  g_autofree char *component_id = g_uuid_string_random ();
  g_autofree char *file_name = g_strconcat ("thumbnail", file_type, NULL);
  g_autofree char *checksum = NULL;
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonArray *operations = json_array_new ();
  JsonObject *data, *request, *answer;
  guint8 digest[16];
  gsize digest_length = sizeof digest;

  /* the Content-MD5 of RFC 1864: the base64 of the MD5 digest */
  g_checksum_update (md5, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes));
  g_checksum_get_digest (md5, digest, &digest_length);
  checksum = g_base64_encode (digest, digest_length);

  data = json_object_new ();
  json_object_set_string_member (data, "id", component_id);
  json_object_set_string_member (data, "name", "thumbnail");
  json_object_set_string_member (data, "file_type", file_type);
  json_object_set_int_member (data, "size", (gint64) g_bytes_get_size (bytes));
  json_array_add_object_element (operations, create_operation ("FileComponent", data));
  request = operation ("get_upload_metadata");
  json_object_set_string_member (request, "component_id", component_id);
  json_object_set_string_member (request, "file_name", file_name);
  json_object_set_int_member (request, "file_size", (gint64) g_bytes_get_size (bytes));
  json_object_set_string_member (request, "checksum", checksum);
  json_array_add_object_element (operations, request);
  if ((results = call (self, operations, error)) == NULL)
    return NULL;

  answer = JSON_NODE_HOLDS_OBJECT (json_array_get_element (results, 1))
           ? json_array_get_object_element (results, 1) : NULL;
  if (text_of (answer, "url") == NULL || object_of (answer, "headers") == NULL)
    {
      discard_component (self, component_id);
      return fail (error, QI_DB_ERROR_IO,
                   _("thumbnail: ftrack answered get_upload_metadata without the “url” and “headers” to upload to"));
    }
  if (!upload (self, text_of (answer, "url"), object_of (answer, "headers"), file_name, bytes, &local_error))
    {
      discard_component (self, component_id);
      return fail (error, QI_DB_ERROR_IO, _("thumbnail: %s"), local_error->message);
    }
  return g_steal_pointer (&component_id);
}

static JsonNode *
ftrack_publish_version_full (QiDbAdapter  *adapter,
                             const char   *id,
                             JsonObject   *details,
                             GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) version = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) thumbnail = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *thumbnail_id = NULL;
  g_autofree char *now = NULL;
  g_autofree char *published_at = NULL;
  const char *file_type = NULL;
  JsonObject *patch = NULL;
  JsonArray *operations;
  JsonObject *data;

  if (details != NULL)
    {
      /* the neutral check of the metadata, for its sentence */
      if (!qi_db_read_metadata (details, "", &metadata, error) ||
          !read_thumbnail (details, &thumbnail, &file_type, error))
        return NULL;
      g_clear_pointer (&metadata, g_free);
      patch = object_of (details, "metadata");
    }
  version = find_by_id (self, "version", "AssetVersion", "id, is_published, metadata.key, metadata.value", id, error);
  if (version == NULL)
    return NULL;
  if (json_object_get_boolean_member_with_default (version, "is_published", FALSE))
    return fail (error, QI_DB_ERROR_CONFLICT, _("the version with id “%s” is published already"), id);
  if (patch != NULL && json_object_get_size (patch) > 0)
    {
      g_autoptr(JsonNode) merged = metadata_object (version);

      merge_patch (json_node_get_object (merged), patch);
      metadata = qi_json_to_string (merged, QI_JSON_WRITE_DEFAULT, NULL);
    }
  if (thumbnail != NULL && (thumbnail_id = upload_thumbnail (self, thumbnail, file_type, error)) == NULL)
    return NULL;

  /* One request: the thumbnail's location, the version published (with
   * its thumbnail), the time and the merged metadata. */
  operations = json_array_new ();
  if (thumbnail_id != NULL)
    {
      g_autofree char *location_entry = g_uuid_string_random ();

      data = json_object_new ();
      json_object_set_string_member (data, "id", location_entry);
      json_object_set_string_member (data, "component_id", thumbnail_id);
      json_object_set_string_member (data, "location_id", SERVER_LOCATION_ID);
      json_object_set_string_member (data, "resource_identifier", thumbnail_id);
      json_array_add_object_element (operations, create_operation ("ComponentLocation", data));
    }
  data = json_object_new ();
  json_object_set_boolean_member (data, "is_published", TRUE);
  if (thumbnail_id != NULL)
    json_object_set_string_member (data, "thumbnail_id", thumbnail_id);
  json_array_add_object_element (operations, update_operation ("AssetVersion", id, NULL, data));
  now = now_text ();
  published_at = neutral_time (now);
  add_metadata (operations, NULL, "asset_version", id, "qi.published_at", published_at);
  if (metadata != NULL && metadata_value (version, "qi.metadata") != NULL)
    {
      data = json_object_new ();
      json_object_set_string_member (data, "value", metadata);
      json_array_add_object_element (operations, update_operation ("Metadata", id, "qi.metadata", data));
    }
  else if (metadata != NULL)
    add_metadata (operations, NULL, "asset_version", id, "qi.metadata", metadata);

  if (!create_entities (self, operations, &local_error))
    {
      g_autoptr(JsonObject) again = find_by_id (self, "version", "AssetVersion", "id, is_published", id, NULL);

      if (thumbnail_id != NULL)
        discard_component (self, thumbnail_id);
      /* check-then-update: another publisher got there first */
      if (again != NULL && json_object_get_boolean_member_with_default (again, "is_published", FALSE))
        return fail (error, QI_DB_ERROR_CONFLICT, _("the version with id “%s” is published already"), id);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return ftrack_get_version (adapter, id, error);
}

/* The deletes of @components (and of their locations and metadata). */
static void
add_component_deletes (JsonArray *operations,
                       JsonArray *components)
{
  for (guint i = 0; i < json_array_get_length (components); i++)
    {
      JsonObject *component = json_array_get_object_element (components, i);
      JsonArray *locations = array_of (component, "component_locations");
      const char *type = text_of (component, "__entity_type__");

      for (guint j = 0; locations != NULL && j < json_array_get_length (locations); j++)
        {
          const char *entry = text_of (json_array_get_object_element (locations, j), "id");

          if (entry != NULL)
            json_array_add_object_element (operations, delete_operation ("ComponentLocation", entry, NULL));
        }
      add_metadata_deletes (operations, component);
      json_array_add_object_element (operations, delete_operation (type != NULL ? type : "Component",
                                                                   text_of (component, "id"), NULL));
    }
}

static JsonNode *
ftrack_abandon_version (QiDbAdapter  *adapter,
                        const char   *id,
                        GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonArray) top = NULL;
  g_autoptr(JsonArray) members = NULL;
  g_autoptr(JsonObject) version = fetch_version (self, id, &top, &members, error);
  g_autoptr(JsonArray) links = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *expression = NULL;
  JsonArray *operations;

  if (version == NULL)
    return NULL;
  if (json_object_get_boolean_member_with_default (version, "is_published", FALSE))
    return fail (error, QI_DB_ERROR_CONFLICT,
                 _("the version with id “%s” is published: only a pending version can be abandoned"), id);
  quoted = qi_ftrack_quote (id);
  expression = g_strdup_printf ("select id from AssetVersionLink where from_id is %s or to_id is %s order by id",
                                quoted, quoted);
  if ((links = query_all (self, expression, error)) == NULL)
    return NULL;
  object = version_out (version);
  json_object_set_member (object, "components", components_out (top, members));

  /* One request, what hangs on the version before it: the members of its
   * containers, its components, their locations and metadata, its own
   * metadata, its links, the version. */
  operations = json_array_new ();
  add_component_deletes (operations, members);
  add_component_deletes (operations, top);
  add_metadata_deletes (operations, version);
  for (guint i = 0; i < json_array_get_length (links); i++)
    json_array_add_object_element (operations, delete_operation ("AssetVersionLink",
                                                                 text_of (json_array_get_object_element (links, i),
                                                                          "id"), NULL));
  json_array_add_object_element (operations, delete_operation ("AssetVersion", id, NULL));
  if (!create_entities (self, operations, error))
    return NULL;
  return wrap_object (g_steal_pointer (&object));
}

static JsonNode *
ftrack_list_pending_versions (QiDbAdapter  *adapter,
                              gint64        older_than_s,
                              GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonArray) data = query_all (self, "select " VERSION_FIELDS " from AssetVersion "
                                               "where is_published is False order by date, id", error);
  g_autoptr(JsonArray) old = json_array_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) limit = g_date_time_add_seconds (now, -(gdouble) older_than_s);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  if (data == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *entity = json_array_get_object_element (data, i);
      const char *date = text_of (entity, "date");
      g_autoptr(GDateTime) created = date != NULL ? g_date_time_new_from_iso8601 (date, utc) : NULL;

      if (older_than_s <= 0 || created == NULL || g_date_time_compare (created, limit) <= 0)
        json_array_add_object_element (old, json_object_ref (entity));
    }
  return map_entities (old, version_out, NULL);
}

/* Links: TypedContextLink and AssetVersionLink, from the one used to the
 * one that uses it (ftrack's incoming links are a context's predecessors). */

/* "id in (…)" of @ids, or NULL when there are none. */
static char *
ids_condition (JsonArray  *links,
               const char *member)
{
  g_autoptr(GString) condition = g_string_new ("id in (");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (links); i++)
    {
      const char *id = text_of (json_array_get_object_element (links, i), member);
      g_autofree char *quoted = NULL;

      if (id == NULL)
        continue;
      quoted = qi_ftrack_quote (id);
      g_string_append_printf (condition, "%s%s", n++ > 0 ? ", " : "", quoted);
    }
  g_string_append_c (condition, ')');
  return n > 0 ? g_string_free (g_steal_pointer (&condition), FALSE) : NULL;
}

/* The entities at the other end of @entity_type links whose @side is @id. */
static JsonNode *
linked (QiFtrackAdapter  *self,
        const char       *link_type,
        const char       *side,
        const char       *other,
        const char       *id,
        const char       *select,
        const char       *filter,
        JsonObject     *(*out) (JsonObject *),
        GCompareFunc      compare,
        GError          **error)
{
  g_autofree char *quoted = qi_ftrack_quote (id);
  g_autofree char *expression = g_strdup_printf ("select from_id, to_id from %s where %s is %s order by id",
                                                 link_type, side, quoted);
  g_autoptr(JsonArray) links = query_all (self, expression, error);
  g_autofree char *condition = NULL;
  g_autofree char *query = NULL;
  g_autoptr(JsonArray) data = NULL;

  if (links == NULL)
    return NULL;
  condition = ids_condition (links, other);
  if (condition == NULL)
    return wrap_array (json_array_new ());
  query = g_strdup_printf ("%s where %s%s%s order by id", select, condition,
                           filter != NULL ? " and " : "", filter != NULL ? filter : "");
  data = query_all (self, query, error);
  return data != NULL ? map_entities (data, out, compare) : NULL;
}

static JsonNode *
links_of (JsonNode *uses,
          JsonNode *used_in)
{
  JsonObject *object;

  if (uses == NULL || used_in == NULL)
    {
      g_clear_pointer (&uses, json_node_unref);
      g_clear_pointer (&used_in, json_node_unref);
      return NULL;
    }
  object = json_object_new ();
  json_object_set_member (object, "uses", uses);
  json_object_set_member (object, "used_in", used_in);
  return wrap_object (object);
}

static gboolean
create_link (QiFtrackAdapter  *self,
             const char       *link_type,
             const char       *from,
             const char       *to,
             const char       *conflict,
             GError          **error)
{
  g_autofree char *from_quoted = qi_ftrack_quote (from);
  g_autofree char *to_quoted = qi_ftrack_quote (to);
  g_autofree char *expression = g_strdup_printf ("select id from %s where from_id is %s and to_id is %s",
                                                 link_type, from_quoted, to_quoted);
  g_autofree char *id = g_uuid_string_random ();
  JsonArray *operations;
  JsonObject *data;
  int taken;

  if ((taken = any (self, expression, error)) < 0)
    return FALSE;
  if (taken)
    {
      g_set_error_literal (error, QI_DB_ERROR, QI_DB_ERROR_CONFLICT, conflict);
      return FALSE;
    }
  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "from_id", from);
  json_object_set_string_member (data, "to_id", to);
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation (link_type, data));
  return create_entities (self, operations, error);
}

static JsonNode *
link_out (const char *first,
          const char *first_id,
          const char *uses)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, first, first_id);
  json_object_set_string_member (object, "uses", uses);
  return wrap_object (object);
}

static JsonNode *
ftrack_link_contexts (QiDbAdapter  *adapter,
                      const char   *context,
                      const char   *uses,
                      GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) a = find_context (self, context, error);
  g_autoptr(JsonObject) b = a != NULL ? find_context (self, uses, error) : NULL;
  g_autoptr(JsonObject) a_out = NULL;
  g_autoptr(JsonObject) b_out = NULL;
  g_autofree char *conflict = NULL;

  if (a == NULL || b == NULL)
    return NULL;
  if (g_strcmp0 (context, uses) == 0)
    return fail (error, QI_DB_ERROR_INVALID, _("a context cannot use itself"));
  a_out = context_out (a);
  b_out = context_out (b);
  if (g_strcmp0 (text_of (a, "project_id"), text_of (b, "project_id")) != 0)
    return fail (error, QI_DB_ERROR_INVALID,
                 _("“%s” is in project “%s” and “%s” in project “%s”: link the contexts of one project"),
                 text_of (a_out, "path"), text_of (a_out, "project"),
                 text_of (b_out, "path"), text_of (b_out, "project"));
  conflict = g_strdup_printf (_("“%s” uses “%s” already"), text_of (a_out, "path"), text_of (b_out, "path"));
  if (!create_link (self, "TypedContextLink", uses, context, conflict, error))
    return NULL;
  return link_out ("context", context, uses);
}

static JsonNode *
ftrack_list_context_links (QiDbAdapter  *adapter,
                           const char   *context,
                           GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = find_context (self, context, error);
  JsonNode *uses, *used_in;

  if (found == NULL)
    return NULL;
  uses = linked (self, "TypedContextLink", "to_id", "from_id", context,
                 "select " CONTEXT_FIELDS " from TypedContext", CONTEXT_TYPES, context_out, by_path, error);
  if (uses == NULL)
    return NULL;
  used_in = linked (self, "TypedContextLink", "from_id", "to_id", context,
                    "select " CONTEXT_FIELDS " from TypedContext", CONTEXT_TYPES, context_out, by_path, error);
  return links_of (uses, used_in);
}

static gint
by_product_and_number (gconstpointer a,
                       gconstpointer b)
{
  JsonNode *x = *(JsonNode **) a, *y = *(JsonNode **) b;
  int order = compare_member (x, y, "product_name");

  if (order == 0)
    {
      gint64 m = json_object_get_int_member_with_default (json_node_get_object (x), "number", 0);
      gint64 n = json_object_get_int_member_with_default (json_node_get_object (y), "number", 0);

      order = m < n ? -1 : m > n;
    }
  return order;
}

static JsonNode *
ftrack_link_versions (QiDbAdapter  *adapter,
                      const char   *version,
                      const char   *uses,
                      GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) a = find_by_id (self, "version", "AssetVersion", "id, asset.parent.project_id", version, error);
  g_autoptr(JsonObject) b = a != NULL ? find_by_id (self, "version", "AssetVersion", "id, asset.parent.project_id",
                                                    uses, error) : NULL;
  g_autofree char *conflict = NULL;

  if (a == NULL || b == NULL)
    return NULL;
  if (g_strcmp0 (version, uses) == 0)
    return fail (error, QI_DB_ERROR_INVALID, _("a version cannot use itself"));
  if (g_strcmp0 (text_of (object_of (object_of (a, "asset"), "parent"), "project_id"),
                 text_of (object_of (object_of (b, "asset"), "parent"), "project_id")) != 0)
    return fail (error, QI_DB_ERROR_INVALID,
                 _("the versions with ids %s and %s are in different projects: link the versions of one project"),
                 version, uses);
  conflict = g_strdup_printf (_("the version with id %s uses the version with id %s already"), version, uses);
  if (!create_link (self, "AssetVersionLink", uses, version, conflict, error))
    return NULL;
  return link_out ("version", version, uses);
}

static JsonNode *
ftrack_list_version_links (QiDbAdapter  *adapter,
                           const char   *version,
                           GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(JsonObject) found = find_by_id (self, "version", "AssetVersion", "id", version, error);
  JsonNode *uses, *used_in;

  if (found == NULL)
    return NULL;
  uses = linked (self, "AssetVersionLink", "to_id", "from_id", version,
                 "select " VERSION_FIELDS " from AssetVersion", NULL, version_out, by_product_and_number, error);
  if (uses == NULL)
    return NULL;
  used_in = linked (self, "AssetVersionLink", "from_id", "to_id", version,
                    "select " VERSION_FIELDS " from AssetVersion", NULL, version_out, by_product_and_number, error);
  return links_of (uses, used_in);
}

/* Users, statuses, task types, locations. */

static JsonNode *
ftrack_list_users (QiDbAdapter  *adapter,
                   GError      **error)
{
  g_autoptr(JsonArray) data = query_all (QI_FTRACK_ADAPTER (adapter),
                                         "select id, username, first_name, last_name, email from User "
                                         "order by username, id", error);
  return data != NULL ? map_entities (data, user_out, NULL) : NULL;
}

static JsonNode *
ftrack_create_user (QiDbAdapter  *adapter,
                    const char   *username,
                    const char   *full_name,
                    const char   *email,
                    GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_auto(GStrv) names = NULL;
  JsonArray *operations;
  JsonObject *data;

  if (!qi_db_check_name ("username", username, error))
    return NULL;
  if ((full_name != NULL && !g_utf8_validate (full_name, -1, NULL)) ||
      (email != NULL && !g_utf8_validate (email, -1, NULL)))
    return fail (error, QI_DB_ERROR_INVALID, _("%s: %s"), "full_name, email", _("must be UTF-8"));
  user = find_user (self, username, &local_error);
  if (user != NULL)
    return fail (error, QI_DB_ERROR_CONFLICT, _("there is a user “%s” already"), username);
  if (!g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  names = full_name != NULL ? g_strsplit (full_name, " ", 2) : NULL;
  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "username", username);
  json_object_set_string_member (data, "first_name", names != NULL && names[0] != NULL ? names[0] : "");
  json_object_set_string_member (data, "last_name", names != NULL && names[0] != NULL && names[1] != NULL
                                                    ? names[1] : "");
  if (email != NULL)
    json_object_set_string_member (data, "email", email);
  json_object_set_boolean_member (data, "is_active", TRUE);
  json_object_set_string_member (data, "resource_type", "user");
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation ("User", data));
  if (!create_entities (self, operations, error) || (user = find_user (self, username, error)) == NULL)
    return NULL;
  return wrap_object (user_out (user));
}

static JsonObject *
status_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  g_autofree char *name = neutral_name (text_of (entity, "name"));
  g_autofree char *state = neutral_name (text_of (object_of (entity, "state"), "short"));

  set_text (object, "name", name);
  set_text (object, "label", text_of (entity, "name"));
  set_text (object, "state", state);
  return object;
}

static JsonObject *
task_type_out (JsonObject *entity)
{
  JsonObject *object = json_object_new ();
  g_autofree char *name = neutral_name (text_of (entity, "name"));

  set_text (object, "name", name);
  set_text (object, "label", text_of (entity, "name"));
  return object;
}

static JsonNode *
ftrack_list_statuses (QiDbAdapter  *adapter,
                      GError      **error)
{
  g_autoptr(JsonArray) data = query_all (QI_FTRACK_ADAPTER (adapter),
                                         "select id, name, sort, state.short from Status order by sort, id", error);

  return data != NULL ? map_entities (data, status_out, NULL) : NULL;
}

static JsonNode *
ftrack_list_task_types (QiDbAdapter  *adapter,
                        GError      **error)
{
  g_autoptr(JsonArray) data = query_all (QI_FTRACK_ADAPTER (adapter),
                                         "select id, name, sort from Type order by sort, id", error);

  return data != NULL ? map_entities (data, task_type_out, NULL) : NULL;
}

static JsonNode *
ftrack_create_location (QiDbAdapter  *adapter,
                        const char   *name,
                        const char   *root,
                        GError      **error)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (adapter);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *missing = g_strdup_printf (_("no location “%s”"), name);
  g_autofree char *existing = NULL;
  g_autofree char *id = g_uuid_string_random ();
  JsonArray *operations;
  JsonObject *data, *object;

  if (!qi_db_check_name ("location name", name, error))
    return NULL;
  existing = find_location (self, name, missing, &local_error);
  if (existing != NULL)
    return fail (error, QI_DB_ERROR_CONFLICT, _("there is a location “%s” already"), name);
  if (!g_error_matches (local_error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  data = json_object_new ();
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "name", name);
  json_object_set_string_member (data, "label", name);
  operations = json_array_new ();
  json_array_add_object_element (operations, create_operation ("Location", data));
  if (!create_entities (self, operations, error))
    return NULL;
  /* ftrack keeps no root: its accessors say where a location's files are. */
  object = json_object_new ();
  json_object_set_string_member (object, "id", id);
  json_object_set_string_member (object, "name", name);
  json_object_set_null_member (object, "root");
  return wrap_object (object);
}

/* The type. */

static void
qi_ftrack_adapter_iface_init (QiDbAdapterInterface *iface)
{
  iface->list_projects = ftrack_list_projects;
  iface->get_project = ftrack_get_project;
  iface->create_project = ftrack_create_project;
  iface->list_contexts = ftrack_list_contexts;
  iface->list_all_contexts = ftrack_list_all_contexts;
  iface->lookup_context = ftrack_lookup_context;
  iface->create_context = ftrack_create_context;
  iface->list_tasks = ftrack_list_tasks;
  iface->create_task = ftrack_create_task;
  iface->list_products = ftrack_list_products;
  iface->create_product = ftrack_create_product;
  iface->get_version = ftrack_get_version;
  iface->list_versions = ftrack_list_versions;
  iface->latest_versions = ftrack_latest_versions;
  iface->create_version = ftrack_create_version;
  iface->publish_version_full = ftrack_publish_version_full;
  iface->abandon_version = ftrack_abandon_version;
  iface->list_pending_versions = ftrack_list_pending_versions;
  iface->list_users = ftrack_list_users;
  iface->create_user = ftrack_create_user;
  iface->list_statuses = ftrack_list_statuses;
  iface->list_task_types = ftrack_list_task_types;
  iface->create_location = ftrack_create_location;
  iface->link_contexts = ftrack_link_contexts;
  iface->list_context_links = ftrack_list_context_links;
  iface->link_versions = ftrack_link_versions;
  iface->list_version_links = ftrack_list_version_links;
  /* stats: ftrack has no cheap counts */
}

static void
qi_ftrack_adapter_finalize (GObject *object)
{
  QiFtrackAdapter *self = QI_FTRACK_ADAPTER (object);

  g_clear_object (&self->session);

  G_OBJECT_CLASS (qi_ftrack_adapter_parent_class)->finalize (object);
}

static void
qi_ftrack_adapter_class_init (QiFtrackAdapterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_ftrack_adapter_finalize;
}

static void
qi_ftrack_adapter_init (QiFtrackAdapter *self)
{
}

/**
 * qi_ftrack_adapter_new:
 * @server: the ftrack server's address, such as `https://studio.ftrackapp.com`
 * @api_user: the API user
 * @api_key: the API key
 * @error: return location for a #GError
 *
 * Creates an adapter over an ftrack server. Nothing is sent until the
 * first call.
 *
 * Returns: (transfer full): the adapter, or %NULL if @server is not an
 *   address
 */
QiFtrackAdapter *
qi_ftrack_adapter_new (const char  *server,
                       const char  *api_user,
                       const char  *api_key,
                       GError     **error)
{
  g_autoptr(QiFtrackSession) session = NULL;

  g_return_val_if_fail (server != NULL, NULL);
  g_return_val_if_fail (api_user != NULL, NULL);
  g_return_val_if_fail (api_key != NULL, NULL);

  session = qi_ftrack_session_new (server, api_user, api_key, error);
  if (session == NULL)
    return NULL;
  return qi_ftrack_adapter_new_for_session (session);
}

/**
 * qi_ftrack_adapter_new_for_session:
 * @session: the session to call ftrack through (the ftrack login's, whose
 *   credentials it sends)
 *
 * Returns: (transfer full): an adapter over @session
 */
QiFtrackAdapter *
qi_ftrack_adapter_new_for_session (QiFtrackSession *session)
{
  QiFtrackAdapter *self;

  g_return_val_if_fail (QI_IS_FTRACK_SESSION (session), NULL);

  self = g_object_new (QI_TYPE_FTRACK_ADAPTER, NULL);
  self->session = g_object_ref (session);
  return self;
}

/**
 * qi_ftrack_adapter_get_session:
 * @self: a #QiFtrackAdapter
 *
 * Returns: (transfer none): the session the adapter calls ftrack with
 */
QiFtrackSession *
qi_ftrack_adapter_get_session (QiFtrackAdapter *self)
{
  g_return_val_if_fail (QI_IS_FTRACK_ADAPTER (self), NULL);
  return self->session;
}
