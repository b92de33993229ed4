/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-anatomy.h"

/*
 * The studio's anatomy, as the anatomy addon keeps it in its settings:
 *
 * - `roots`: named roots, each `{"linux": …, "windows": …, "darwin": …}`.
 *   A root may start with the token `{data_dir}`, the run's data folder
 *   (`--data-dir`, `QI_DATA_DIR`, else `$XDG_DATA_HOME/qi`): the defaults
 *   are `{data_dir}/projects` on every platform, so that a new user with
 *   no admin has working folders; a studio sets its mounts per platform.
 *   `{data_dir}` is the only token of a root, and it is expanded in roots
 *   only.
 * - `templates`: named path templates in nested groups (#QiTemplateSet),
 *   in the shape of AYON's anatomy.
 *
 * Both are JSON keys of the settings (qi_settings_schema_add_json()), so
 * that a bundle or a project overrides one template or one root's
 * platform and keeps the rest; their validators refuse a template that
 * does not compile, a reference to no template, a cycle, a root that is
 * not an absolute path or holds another token, naming the settings key
 * (`anatomy.templates.work.file`, `anatomy.roots.work.linux`).
 */

static const char default_roots[] =
  "{"
  "  \"work\": {\"linux\": \"{data_dir}/projects\", \"windows\": \"{data_dir}/projects\","
  "             \"darwin\": \"{data_dir}/projects\"},"
  "  \"publish\": {\"linux\": \"{data_dir}/projects\", \"windows\": \"{data_dir}/projects\","
  "                \"darwin\": \"{data_dir}/projects\"}"
  "}";

/* The hierarchy is optional (`<{hierarchy}/>`): a context at the top of
 * the project (a sequence's own tasks) has no parents. */
static const char default_templates[] =
  "{"
  "  \"version\": \"v{version:0>3}\","
  "  \"frame\": \"{frame:0>4}\","
  "  \"work\": {"
  "    \"directory\": \"{root[work]}/{project[name]}/<{hierarchy}/>{folder[name]}/work/{task[name]}\","
  "    \"file\": \"{project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>{ext}\","
  "    \"path\": \"{@work.directory}/{@work.file}\""
  "  },"
  "  \"publish\": {"
  "    \"directory\": \"{root[publish]}/{project[name]}/<{hierarchy}/>{folder[name]}/publish/"
  "{product[type]}/{product[name]}/{@version}\","
  "    \"file\": \"{project[code]}_{folder[name]}_{product[name]}_{@version}<_{representation}><.{@frame}><_{udim}>{ext}\","
  "    \"path\": \"{@publish.directory}/{@publish.file}\""
  "  }"
  "}";

static const char *
describe (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return _("an object");
  if (JSON_NODE_HOLDS_ARRAY (node))
    return _("an array");
  if (JSON_NODE_HOLDS_NULL (node))
    return _("null");
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return _("a string");
    case G_TYPE_BOOLEAN:
      return _("a boolean");
    default:
      return _("a number");
    }
}

/* Roots. */

/* Whether @text is an absolute path on @platform, or starts with the
 * data folder (which is one wherever Qi runs). */
static gboolean
root_is_absolute (const char *text,
                  QiPlatform  platform)
{
  if (g_str_has_prefix (text, QI_ANATOMY_DATA_DIR_TOKEN))
    return TRUE;
  if (platform != QI_PLATFORM_WINDOWS)
    return text[0] == '/';
  /* P:, P:/…, P:\…, \\server\share, //server/share */
  if (g_ascii_isalpha (text[0]) && text[1] == ':' && (text[2] == '\0' || text[2] == '/' || text[2] == '\\'))
    return TRUE;
  return (text[0] == '\\' || text[0] == '/') && (text[1] == '\\' || text[1] == '/');
}

/* @text with {data_dir} replaced by @data_dir; NULL, with an error naming
 * @where, when it holds any other token or is not an absolute path on
 * @platform. */
static char *
expand_root (const char  *text,
             QiPlatform   platform,
             const char  *data_dir,
             const char  *where,
             GError     **error)
{
  g_autoptr(GString) expanded = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_str_has_prefix (p, QI_ANATOMY_DATA_DIR_TOKEN))
        {
          g_string_append (expanded, data_dir);
          p += strlen (QI_ANATOMY_DATA_DIR_TOKEN) - 1;
        }
      else if (*p == '{' || *p == '}')
        {
          const char *close = *p == '{' ? strchr (p, '}') : NULL;
          g_autofree char *token = close != NULL ? g_strndup (p, close - p + 1) : g_strndup (p, 1);

          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                       _("%s: “%s” holds “%s”; the one token of a root is {data_dir}, the run's data folder"),
                       where, text, token);
          return NULL;
        }
      else
        g_string_append_c (expanded, *p);
    }

  if (!root_is_absolute (text, platform))
    {
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                   platform == QI_PLATFORM_WINDOWS
                   ? _("%s: “%s” is not an absolute path: a root of windows starts with a drive (“P:/”) "
                       "or a share (“\\\\server\\share”), or with {data_dir}")
                   : _("%s: “%s” is not an absolute path: a root of %s starts with “/”, or with {data_dir}"),
                   where, text, qi_platform_to_string (platform));
      return NULL;
    }
  return g_string_free (g_steal_pointer (&expanded), FALSE);
}

/* A copy of @roots (as the settings hold them) with {data_dir} expanded;
 * what is not a string is copied as it is, for the template set to
 * refuse. */
static JsonObject *
expand_roots (JsonObject  *roots,
              const char  *data_dir,
              GError     **error)
{
  g_autoptr(JsonObject) expanded = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, roots);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_autoptr(JsonObject) paths = NULL;
      JsonObjectIter platforms;
      const char *platform_name;
      JsonNode *path;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          json_object_set_member (expanded, name, json_node_copy (node));
          continue;
        }

      paths = json_object_new ();
      json_object_iter_init_ordered (&platforms, json_node_get_object (node));
      while (json_object_iter_next_ordered (&platforms, &platform_name, &path))
        {
          QiPlatform platform;
          g_autofree char *where = NULL;
          g_autofree char *text = NULL;

          if (!qi_platform_from_string (platform_name, &platform) || !JSON_NODE_HOLDS_VALUE (path) ||
              json_node_get_value_type (path) != G_TYPE_STRING)
            {
              json_object_set_member (paths, platform_name, json_node_copy (path));
              continue;
            }
          where = g_strdup_printf ("%s.roots.%s.%s", QI_ANATOMY_NAME, name, platform_name);
          text = expand_root (json_node_get_string (path), platform, data_dir, where, error);
          if (text == NULL)
            return NULL;
          json_object_set_string_member (paths, platform_name, text);
        }
      json_object_set_object_member (expanded, name, g_steal_pointer (&paths));
    }
  return g_steal_pointer (&expanded);
}

static gboolean
set_roots (QiTemplateSet  *set,
           JsonNode       *roots,
           const char     *data_dir,
           GError        **error)
{
  g_autoptr(JsonObject) expanded = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (roots))
    {
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                   _("%s.roots: expected an object of roots by name, each "
                     "{\"linux\": …, \"windows\": …, \"darwin\": …}, found %s"),
                   QI_ANATOMY_NAME, describe (roots));
      return FALSE;
    }
  expanded = expand_roots (json_node_get_object (roots), data_dir, error);
  if (expanded == NULL)
    return FALSE;
  if (!qi_template_set_set_roots (set, expanded, error))
    {
      g_prefix_error (error, "%s.roots: ", QI_ANATOMY_NAME);
      return FALSE;
    }
  return TRUE;
}

static gboolean
add_templates (QiTemplateSet  *set,
               JsonNode       *templates,
               GError        **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (templates))
    {
      g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_SYNTAX,
                   _("%s.templates: expected an object of templates (strings) and groups of them (objects), "
                     "found %s"),
                   QI_ANATOMY_NAME, describe (templates));
      return FALSE;
    }
  return qi_template_set_add_from_json (set, json_node_get_object (templates),
                                        QI_ANATOMY_NAME ".templates", error);
}

/* The validators of the settings keys: each builds what it checks. */

static gboolean
check_roots (QiSettingsSchema  *schema,
             const char        *key,
             JsonNode          *value,
             gpointer           user_data,
             GError           **error)
{
  g_autoptr(QiTemplateSet) set = qi_template_set_new ();

  /* any absolute folder stands for the data folder: the check is of
   * the settings, not of this run */
  return set_roots (set, value, "/", error);
}

static gboolean
check_templates (QiSettingsSchema  *schema,
                 const char        *key,
                 JsonNode          *value,
                 gpointer           user_data,
                 GError           **error)
{
  g_autoptr(QiTemplateSet) set = qi_template_set_new ();

  return add_templates (set, value, error);
}

QiSettingsSchema *
qi_anatomy_schema_new (void)
{
  g_autoptr(QiSettingsSchema) schema = qi_settings_schema_new (_("Anatomy: the studio's folders and file names"));
  g_autoptr(JsonNode) roots = json_from_string (default_roots, NULL);
  g_autoptr(JsonNode) templates = json_from_string (default_templates, NULL);

  g_assert (roots != NULL && templates != NULL);

  /* A mistake here stays with the schema, and fails the addon with it. */
  qi_settings_schema_add_json (schema, "roots", _("Roots"),
                               _("The storage roots by name, each {\"linux\": …, \"windows\": …, \"darwin\": …}; "
                                 "{data_dir} is the run's data folder"),
                               roots, NULL);
  qi_settings_schema_set_validator (schema, "roots", check_roots, NULL, NULL, NULL);
  qi_settings_schema_add_json (schema, "templates", _("Templates"),
                               _("Path templates by name, in nested groups (work.file, publish.path); "
                                 "{@name} refers to another"),
                               templates, NULL);
  qi_settings_schema_set_validator (schema, "templates", check_templates, NULL, NULL, NULL);
  return g_steal_pointer (&schema);
}

QiTemplateSet *
qi_anatomy_build (JsonObject  *values,
                  const char  *data_dir,
                  GError     **error)
{
  g_autoptr(QiTemplateSet) set = qi_template_set_new ();
  JsonNode *roots = json_object_get_member (values, "roots");
  JsonNode *templates = json_object_get_member (values, "templates");

  g_return_val_if_fail (roots != NULL && templates != NULL, NULL);

  if (!set_roots (set, roots, data_dir, error) || !add_templates (set, templates, error))
    return NULL;
  return g_steal_pointer (&set);
}

JsonObject *
qi_anatomy_dup_roots (QiTemplateSet *set,
                      JsonObject    *values)
{
  JsonObject *roots = json_object_new ();
  JsonNode *node = json_object_get_member (values, "roots");
  g_autoptr(GList) names = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
                           ? json_object_get_members (json_node_get_object (node)) : NULL;

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *path = qi_template_set_get_root (set, l->data, qi_template_set_get_platform (set));

      if (path != NULL)
        json_object_set_string_member (roots, l->data, path);
      else
        json_object_set_null_member (roots, l->data);
    }
  return roots;
}

void
qi_anatomy_merge_fields (JsonObject *into,
                         JsonObject *over)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, over);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      JsonNode *existing = json_object_get_member (into, name);

      if (existing != NULL && JSON_NODE_HOLDS_OBJECT (existing) && JSON_NODE_HOLDS_OBJECT (node))
        qi_anatomy_merge_fields (json_node_get_object (existing), json_node_get_object (node));
      else
        json_object_set_member (into, name, qi_json_node_deep_copy (node));
    }
}

/* The tracker's fields: project, then context, then task, then the
 * run's user, each asked when the one before has answered. */

typedef struct
{
  char       *project;
  char       *context;   /* a path or an id, or NULL */
  char       *task;      /* a task's name, or NULL */
  char       *context_id;
  char       *context_path;
  JsonObject *fields;
} Lookup;

static void
lookup_free (gpointer data)
{
  Lookup *lookup = data;

  g_free (lookup->project);
  g_free (lookup->context);
  g_free (lookup->task);
  g_free (lookup->context_id);
  g_free (lookup->context_path);
  g_clear_pointer (&lookup->fields, json_object_unref);
  g_free (lookup);
}

/* Sends @topic with @payload (taken) on behalf of @task, whose reference
 * goes to @callback. */
static void
ask (GTask               *task,
     const char          *topic,
     JsonObject          *payload,
     GAsyncReadyCallback  callback)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), payload);

  json_object_unref (payload);
  qi_hub_endpoint_request_async (QI_HUB_ENDPOINT (g_task_get_source_object (task)), topic, node, 0,
                                 g_task_get_cancellable (task), callback, task);
}

/* What the tracker said, as one sentence: its own when it refused (“no
 * project “x””), else what could not be asked and why. */
static void
return_tracker_error (GTask      *task,
                      GError     *error,
                      const char *what)
{
  if (g_error_matches (error, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_new_error (task, error->domain, error->code, _("the tracker cannot be asked for %s: %s"),
                           what, error->message);
  g_error_free (error);
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      *json_node_get_string (node) == '\0')
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
reply_object (JsonNode *reply)
{
  return reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
}

static void
on_info (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  const char *user = string_member (reply_object (reply), "user");

  /* No login service, or no login: the fields have no user. */
  if (reply == NULL)
    g_debug ("no user for the fields: %s", error->message);
  if (user != NULL)
    json_object_set_string_member (lookup->fields, "user", user);
  g_task_return_pointer (task, json_object_ref (lookup->fields), (GDestroyNotify) json_object_unref);
}

static void
ask_user (GTask *task)
{
  ask (task, "auth.info", json_object_new (), on_info);
}

static void
on_tasks (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  JsonNode *tasks = reply_object (reply) != NULL ? json_object_get_member (reply_object (reply), "tasks") : NULL;
  g_autoptr(GString) names = g_string_new (NULL);
  JsonArray *array;

  if (reply == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("the tasks of “%s”"), lookup->context_path);

      return_tracker_error (task, error, what);
      return;
    }
  array = tasks != NULL && JSON_NODE_HOLDS_ARRAY (tasks) ? json_node_get_array (tasks) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *found = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      const char *name = string_member (found, "name");

      if (name == NULL)
        continue;
      if (g_str_equal (name, lookup->task))
        {
          JsonObject *fields = json_object_new ();

          json_object_set_string_member (fields, "name", name);
          if (string_member (found, "type") != NULL)
            json_object_set_string_member (fields, "type", string_member (found, "type"));
          json_object_set_object_member (lookup->fields, "task", fields);
          ask_user (g_steal_pointer (&task));
          return;
        }
      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", name);
    }

  if (names->len > 0)
    g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED,
                             _("no task “%s” in “%s” of project “%s” (its tasks: %s)"),
                             lookup->task, lookup->context_path, lookup->project, names->str);
  else
    g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED,
                             _("no task “%s” in “%s” of project “%s”, which has no tasks"),
                             lookup->task, lookup->context_path, lookup->project);
}

/* Takes the context's fields from @context (a CONTEXT of the tracker),
 * then asks for its task or the user. */
static void
take_context (GTask      *task,
              JsonObject *context)
{
  Lookup *lookup = g_task_get_task_data (task);
  const char *path = string_member (context, "path");
  const char *name = string_member (context, "name");
  const char *kind = string_member (context, "kind");
  const char *id = string_member (context, "id");
  JsonObject *folder = json_object_new ();
  const char *last;

  lookup->context_path = g_strdup (path != NULL ? path : lookup->context);
  lookup->context_id = g_strdup (id);
  if (name != NULL)
    json_object_set_string_member (folder, "name", name);
  if (kind != NULL)
    json_object_set_string_member (folder, "type", kind);
  json_object_set_object_member (lookup->fields, "folder", folder);

  /* /sq010/sh010 → sq010: the parents, joined with "/" */
  last = path != NULL ? strrchr (path, '/') : NULL;
  if (last != NULL && last > path)
    {
      g_autofree char *hierarchy = g_strndup (path + 1, last - path - 1);

      json_object_set_string_member (lookup->fields, "hierarchy", hierarchy);
    }

  if (lookup->task == NULL)
    {
      ask_user (task);
      return;
    }
  if (lookup->context_id == NULL)
    {
      g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED,
                               _("the tracker gave the context “%s” without an id"), lookup->context_path);
      g_object_unref (task);
      return;
    }
  {
    JsonObject *payload = json_object_new ();

    json_object_set_string_member (payload, "context", lookup->context_id);
    ask (task, "db_service.task.list", payload, on_tasks);
  }
}

static void
on_context (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  JsonObject *context = reply_object (reply);
  JsonNode *contexts;

  if (reply == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("the context “%s”"), lookup->context);

      return_tracker_error (task, error, what);
      return;
    }

  /* a path was looked up; an id is found in the project's contexts */
  if (lookup->context[0] != '/')
    {
      JsonArray *array;

      contexts = context != NULL ? json_object_get_member (context, "contexts") : NULL;
      array = contexts != NULL && JSON_NODE_HOLDS_ARRAY (contexts) ? json_node_get_array (contexts) : NULL;
      context = NULL;
      for (guint i = 0; array != NULL && i < json_array_get_length (array) && context == NULL; i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          JsonObject *candidate = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;

          if (g_strcmp0 (string_member (candidate, "id"), lookup->context) == 0)
            context = candidate;
        }
      if (context == NULL)
        {
          g_task_return_new_error (task, QI_HUB_ERROR, QI_HUB_ERROR_HANDLER_FAILED,
                                   _("no context with the id “%s” in project “%s”; give its path, "
                                     "such as /sq010/sh010"),
                                   lookup->context, lookup->project);
          return;
        }
    }
  take_context (g_steal_pointer (&task), context);
}

static void
on_project (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Lookup *lookup = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  JsonObject *project = reply_object (reply);
  JsonObject *fields;
  JsonObject *payload;
  const char *name;
  const char *code;

  if (reply == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("the project “%s”"), lookup->project);

      return_tracker_error (task, error, what);
      return;
    }

  name = string_member (project, "name");
  if (name == NULL)
    name = lookup->project;
  /* a tracker's short code of the project, if it has one */
  code = string_member (project, "code");
  fields = json_object_new ();
  json_object_set_string_member (fields, "name", name);
  json_object_set_string_member (fields, "code", code != NULL ? code : name);
  json_object_set_object_member (lookup->fields, "project", fields);

  if (lookup->context == NULL)
    {
      ask_user (g_steal_pointer (&task));
      return;
    }
  payload = json_object_new ();
  json_object_set_string_member (payload, "project", lookup->project);
  if (lookup->context[0] == '/')
    {
      json_object_set_string_member (payload, "path", lookup->context);
      ask (g_steal_pointer (&task), "db_service.context.lookup", payload, on_context);
    }
  else
    ask (g_steal_pointer (&task), "db_service.context.list", payload, on_context);
}

void
qi_anatomy_lookup_async (QiHubEndpoint       *endpoint,
                         const char          *project,
                         const char          *context,
                         const char          *task_name,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Lookup *lookup;
  JsonObject *payload;

  g_return_if_fail (QI_IS_HUB_ENDPOINT (endpoint));
  g_return_if_fail (project != NULL);
  g_return_if_fail (task_name == NULL || context != NULL);

  task = g_task_new (endpoint, cancellable, callback, user_data);
  g_task_set_source_tag (task, qi_anatomy_lookup_async);
  lookup = g_new0 (Lookup, 1);
  lookup->project = g_strdup (project);
  lookup->context = g_strdup (context);
  lookup->task = g_strdup (task_name);
  lookup->fields = json_object_new ();
  g_task_set_task_data (task, lookup, lookup_free);

  payload = json_object_new ();
  json_object_set_string_member (payload, "name", project);
  ask (g_steal_pointer (&task), "db_service.project.get", payload, on_project);
}

JsonObject *
qi_anatomy_lookup_finish (QiHubEndpoint  *endpoint,
                          GAsyncResult   *result,
                          GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, endpoint), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
