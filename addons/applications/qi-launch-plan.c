/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-app-catalog.h"
#include "qi-launch-plan.h"

/*
 * QiLaunchPlan: what launching an application for a task means, worked
 * out through the hub without ever waiting on it: the project, context
 * and task from the tracker (db_service.*), the application from the
 * catalog, the work folder and the workfile from the studio's templates
 * (templates.*: the last one of the task, or the next version's path),
 * the environment in layers (the studio's, the project's, the
 * application's, the variant's, the tools', the launch's own QI_*
 * variables, then the host's through addons.host.prepare, which also
 * makes the command line), and for a launch, the DCC's session token
 * (auth.child_token) and the work folder made.
 *
 * Each step is one request whose answer starts the next; the first
 * failure ends the plan with one sentence naming what was wrong.
 */

typedef enum
{
  STEP_PROJECT,
  STEP_CONTEXT,
  STEP_TASKS,
  STEP_SERVER,
  STEP_WORKDIR,
  STEP_PARSE,
  STEP_NEXT,
  STEP_HOST,
  STEP_TOKEN,
  STEP_DONE,
} Step;

#define REQUEST_TIMEOUT_MS 30000
#define DCC_TOKEN_LIFETIME_S (7 * 24 * 3600)

struct _QiLaunchPlan
{
  GObject           parent_instance;

  QiHubEndpoint    *endpoint;
  QiSettings       *settings;
  QiLaunchPlanMode  mode;
  char             *id;

  /* what was asked */
  char             *app_name;
  char             *project;
  char             *context_path;
  char             *task;
  gboolean          new_workfile;
  GStrv             extra;

  /* what was found */
  JsonObject       *app;
  char             *task_type;
  char             *server_url;
  char             *workdir;
  char             *workfile;
  gboolean          workfile_exists;
  GPtrArray        *candidates;      /* of char *: files of the work folder to read */
  guint             next_candidate;
  gint64            last_version;
  char             *last_workfile;
  char             *workfile_template;   /* the file a new workfile starts from */
  QiEnvironment    *environment;
  GStrv             argv;

  Step              step;
  GTask            *task_handle;
};

G_DEFINE_FINAL_TYPE (QiLaunchPlan, qi_launch_plan, G_TYPE_OBJECT)

static void
qi_launch_plan_finalize (GObject *object)
{
  QiLaunchPlan *self = QI_LAUNCH_PLAN (object);

  g_clear_object (&self->endpoint);
  g_clear_object (&self->settings);
  g_free (self->id);
  g_free (self->app_name);
  g_free (self->project);
  g_free (self->context_path);
  g_free (self->task);
  g_strfreev (self->extra);
  g_clear_pointer (&self->app, json_object_unref);
  g_free (self->task_type);
  g_free (self->server_url);
  g_free (self->workdir);
  g_free (self->workfile);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_free (self->last_workfile);
  g_free (self->workfile_template);
  g_clear_object (&self->environment);
  g_strfreev (self->argv);
  G_OBJECT_CLASS (qi_launch_plan_parent_class)->finalize (object);
}

static void
qi_launch_plan_class_init (QiLaunchPlanClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_launch_plan_finalize;
}

static void
qi_launch_plan_init (QiLaunchPlan *self)
{
  self->candidates = g_ptr_array_new_with_free_func (g_free);
}

static char *
string_of (JsonObject *object,
           const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/**
 * qi_launch_plan_new:
 * @endpoint: the session the requests go from (the addon's)
 * @settings: the settings service, for the applications of the project
 * @request: `{"app", "project", "context", "task", "new_workfile"?,
 *   "args"?}`, checked by the caller
 * @mode: the environment only, or a launch
 * @launch_id: the id the launch will have (`QI_LAUNCH_ID`)
 */
QiLaunchPlan *
qi_launch_plan_new (QiHubEndpoint    *endpoint,
                    QiSettings       *settings,
                    JsonObject       *request,
                    QiLaunchPlanMode  mode,
                    const char       *launch_id)
{
  QiLaunchPlan *self = g_object_new (QI_TYPE_LAUNCH_PLAN, NULL);
  JsonNode *args = json_object_get_member (request, "args");
  g_autoptr(GStrvBuilder) extra = g_strv_builder_new ();

  self->endpoint = g_object_ref (endpoint);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  self->mode = mode;
  self->id = g_strdup (launch_id);
  self->app_name = string_of (request, "app");
  self->project = string_of (request, "project");
  self->context_path = string_of (request, "context");
  self->task = string_of (request, "task");
  self->new_workfile = json_object_get_boolean_member_with_default (request, "new_workfile", FALSE);
  for (guint i = 0; args != NULL && JSON_NODE_HOLDS_ARRAY (args) && i < json_array_get_length (json_node_get_array (args)); i++)
    g_strv_builder_add (extra, json_array_get_string_element (json_node_get_array (args), i));
  self->extra = g_strv_builder_end (extra);
  return self;
}

/* --- The steps -------------------------------------------------------- */

static void run_step (QiLaunchPlan *self);

static void
fail_literal (QiLaunchPlan *self,
              const char   *message)
{
  GTask *task = g_steal_pointer (&self->task_handle);

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", message);
  g_object_unref (task);
}

static void G_GNUC_PRINTF (2, 3)
fail (QiLaunchPlan *self,
      const char   *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fail_literal (self, message);
}

static JsonObject *
settings_object (QiLaunchPlan *self,
                 const char   *key,
                 GError      **error)
{
  g_autoptr(JsonNode) value = NULL;

  if (self->settings == NULL)
    return json_object_new ();
  value = qi_settings_get_value (self->settings, "applications", key, self->project, NULL, error);
  if (value == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (value))
    return json_object_new ();
  return json_object_ref (json_node_get_object (value));
}

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data);
static gboolean find_app (QiLaunchPlan  *self,
                          GError       **error);

/* Sends @payload (taken) to @topic; on_reply reads the answer for the
 * step the plan is at. */
static void
ask (QiLaunchPlan *self,
     const char   *topic,
     JsonObject   *payload)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), payload);

  json_object_unref (payload);
  qi_hub_endpoint_request_async (self->endpoint, topic, node, REQUEST_TIMEOUT_MS,
                                 g_task_get_cancellable (self->task_handle), on_reply, g_object_ref (self));
}

static JsonObject *
payload_new (QiLaunchPlan *self,
             gboolean      with_context)
{
  JsonObject *payload = json_object_new ();

  json_object_set_string_member (payload, "project", self->project);
  if (with_context)
    {
      json_object_set_string_member (payload, "context", self->context_path);
      json_object_set_string_member (payload, "task", self->task);
    }
  return payload;
}

static gint64
version_of (JsonObject *fields)
{
  JsonNode *node = fields != NULL ? json_object_get_member (fields, "version") : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      guint64 number = 0;

      if (g_ascii_string_to_unsigned (json_node_get_string (node), 10, 0, G_MAXINT32, &number, NULL))
        return (gint64) number;
    }
  return -1;
}

/* The files of the work folder that may be workfiles of the application:
 * its extension, newest name last (each is read back by templates.parse). */
static void
list_candidates (QiLaunchPlan *self)
{
  const char *extension = json_object_get_string_member_with_default (self->app, "workfile_extension", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (extension == NULL)
    return;
  dir = g_dir_open (self->workdir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, extension) && name[0] != '.')
      g_ptr_array_add (self->candidates, g_strdup (name));
  g_ptr_array_sort (self->candidates, (GCompareFunc) g_strcmp0);
}

/* The layers of the environment; FALSE when the plan failed. */
static gboolean
build_environment (QiLaunchPlan *self)
{
  g_auto(GStrv) base = g_get_environ ();
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) tools = NULL;
  g_autoptr(JsonNode) enabled = NULL;
  g_autoptr(JsonObject) by_task = NULL;
  g_autoptr(GPtrArray) chosen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *project_layer = g_strdup_printf ("project %s", self->project);
  const char *app = json_object_get_string_member (self->app, "name");
  const char *group = json_object_get_string_member (self->app, "group");
  struct { const char *key; const char *layer; } settings_layers[] = {
    { "environment", "studio" },
    { "project_environment", project_layer },
  };

  /* the user's environment, without the launcher's own QI_* variables:
   * the DCC gets those of its launch */
  for (guint i = 0; base[i] != NULL; i++)
    if (!g_str_has_prefix (base[i], "QI_"))
      g_strv_builder_add (kept, base[i]);
  g_clear_pointer (&base, g_strfreev);
  base = g_strv_builder_end (kept);
  self->environment = qi_environment_new ((const char * const *) base);

  for (guint i = 0; i < G_N_ELEMENTS (settings_layers); i++)
    {
      g_autoptr(JsonNode) value = self->settings != NULL
        ? qi_settings_get_value (self->settings, "applications", settings_layers[i].key, self->project, NULL, &error)
        : NULL;

      if (error != NULL)
        {
          fail_literal (self, error->message);
          return FALSE;
        }
      if (!qi_environment_add_layer (self->environment, settings_layers[i].layer, value, &error))
        {
          fail (self, _("applications.%s: %s"), settings_layers[i].key, error->message);
          return FALSE;
        }
    }
  /* the application's layers came with it from the catalog */
  if (!qi_environment_add_layer (self->environment, group,
                                 json_object_get_member (self->app, "group_environment"), &error) ||
      !qi_environment_add_layer (self->environment, app,
                                 json_object_get_member (self->app, "variant_environment"), &error))
    {
      fail_literal (self, error->message);
      return FALSE;
    }

  /* the tools: the project's, then the task type's */
  tools = settings_object (self, "tools", &error);
  by_task = tools != NULL ? settings_object (self, "tools_by_task", &error) : NULL;
  enabled = by_task != NULL && self->settings != NULL
    ? qi_settings_get_value (self->settings, "applications", "tools_enabled", self->project, NULL, &error)
    : NULL;
  if (error != NULL)
    {
      fail_literal (self, error->message);
      return FALSE;
    }
  for (guint i = 0; enabled != NULL && JSON_NODE_HOLDS_ARRAY (enabled) && i < json_array_get_length (json_node_get_array (enabled)); i++)
    g_ptr_array_add (chosen, g_strdup (json_array_get_string_element (json_node_get_array (enabled), i)));
  if (by_task != NULL && self->task_type != NULL && json_object_has_member (by_task, self->task_type))
    {
      JsonNode *list = json_object_get_member (by_task, self->task_type);

      for (guint i = 0; JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
        g_ptr_array_add (chosen, g_strdup (json_array_get_string_element (json_node_get_array (list), i)));
    }
  for (guint i = 0; i < chosen->len; i++)
    {
      const char *name = chosen->pdata[i];
      const char *slash = name != NULL ? strchr (name, '/') : NULL;
      g_autofree char *tool = slash != NULL ? g_strndup (name, slash - name) : NULL;
      JsonNode *versions = tool != NULL ? json_object_get_member (tools, tool) : NULL;
      JsonNode *layer = versions != NULL && JSON_NODE_HOLDS_OBJECT (versions)
        ? json_object_get_member (json_node_get_object (versions), slash + 1) : NULL;
      g_autofree char *layer_name = g_strdup_printf ("tool %s", name != NULL ? name : "?");

      if (layer == NULL)
        {
          fail (self, _("the tool “%s” is not in applications.tools (a tool is NAME/VERSION, such as ocio/2.1)"),
                name != NULL ? name : "?");
          return FALSE;
        }
      if (!qi_environment_add_layer (self->environment, layer_name, layer, &error))
        {
          fail_literal (self, error->message);
          return FALSE;
        }
    }

  /* the launch's own */
  {
    struct { const char *name; const char *value; } own[] = {
      { "QI_PROJECT", self->project },
      { "QI_CONTEXT", self->context_path },
      { "QI_TASK", self->task },
      { "QI_TASK_TYPE", self->task_type },
      { "QI_APP", app },
      { "QI_WORKDIR", self->workdir },
      { "QI_WORKFILE", self->workfile },
      { "QI_BUNDLE", self->settings != NULL ? qi_settings_get_bundle (self->settings) : NULL },
      { "QI_LAUNCH_ID", self->id },
      { "QI_SERVER_URL", self->server_url },
    };

    for (guint i = 0; i < G_N_ELEMENTS (own); i++)
      if (own[i].value != NULL)
        qi_environment_set (self->environment, "launch", own[i].name, own[i].value);
  }
  return TRUE;
}

static void
ask_host (QiLaunchPlan *self)
{
  g_autoptr(JsonObject) payload = json_object_new ();
  g_auto(GStrv) envp = qi_environment_dup_envp (self->environment);
  JsonObject *environment = json_object_new ();
  JsonArray *extra = json_array_new ();
  JsonNode *arguments = json_object_get_member (self->app, "arguments");

  for (guint i = 0; envp[i] != NULL; i++)
    {
      const char *equals = strchr (envp[i], '=');
      g_autofree char *name = g_strndup (envp[i], equals - envp[i]);

      json_object_set_string_member (environment, name, equals + 1);
    }
  for (guint i = 0; self->extra[i] != NULL; i++)
    json_array_add_string_element (extra, self->extra[i]);
  json_object_set_string_member (payload, "host", json_object_get_string_member (self->app, "host"));
  json_object_set_object_member (payload, "environment", environment);
  if (json_object_get_string_member_with_default (self->app, "executable", NULL) != NULL)
    json_object_set_string_member (payload, "executable", json_object_get_string_member (self->app, "executable"));
  if (arguments != NULL)
    json_object_set_member (payload, "app_arguments", json_node_copy (arguments));
  if (self->workfile_exists || self->workfile_template != NULL)
    json_object_set_string_member (payload, "workfile", self->workfile);
  json_object_set_array_member (payload, "extra", extra);
  self->step = STEP_HOST;
  ask (self, "addons.host.prepare", g_steal_pointer (&payload));
}

/* The host's answer: the final environment (its changes recorded as the
 * host's layer) and the command line. */
static gboolean
take_host_plan (QiLaunchPlan *self,
                JsonObject   *reply)
{
  JsonNode *changes = json_object_get_member (reply, "changes");
  JsonNode *argv = json_object_get_member (reply, "argv");
  g_autofree char *layer = g_strdup_printf ("host %s", json_object_get_string_member (self->app, "host"));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (changes != NULL && JSON_NODE_HOLDS_OBJECT (changes))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, json_node_get_object (changes));
      while (json_object_iter_next (&iter, &name, &value))
        qi_environment_set (self->environment, layer, name,
                            JSON_NODE_HOLDS_NULL (value) ? NULL : json_node_get_string (value));
    }
  if (argv == NULL || !JSON_NODE_HOLDS_ARRAY (argv) || json_array_get_length (json_node_get_array (argv)) == 0)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (argv)); i++)
    g_strv_builder_add (builder, json_array_get_string_element (json_node_get_array (argv), i));
  self->argv = g_strv_builder_end (builder);
  return TRUE;
}

static void
parse_next_candidate (QiLaunchPlan *self)
{
  /* an application without workfiles (Resolve's projects live in its
   * database) starts without one */
  if (json_object_get_string_member_with_default (self->app, "workfile_extension", NULL) == NULL)
    {
      self->step = STEP_HOST - 1;
      run_step (self);
      return;
    }
  if (self->next_candidate < self->candidates->len)
    {
      JsonObject *payload = payload_new (self, FALSE);

      json_object_set_string_member (payload, "name", "work.file");
      json_object_set_string_member (payload, "path", self->candidates->pdata[self->next_candidate++]);
      self->step = STEP_PARSE;
      ask (self, "templates.parse", payload);
      return;
    }

  /* the last workfile of the task, unless a new one is asked for */
  if (self->last_workfile != NULL && !self->new_workfile)
    {
      self->workfile = g_build_filename (self->workdir, self->last_workfile, NULL);
      self->workfile_exists = TRUE;
      self->step = STEP_HOST - 1;
      run_step (self);
      return;
    }
  {
    JsonObject *payload = payload_new (self, TRUE);
    JsonObject *fields = json_object_new ();

    json_object_set_string_member (payload, "name", "work.path");
    json_object_set_int_member (fields, "version", MAX (self->last_version, 0) + 1);
    json_object_set_string_member (fields, "ext", json_object_get_string_member (self->app, "workfile_extension"));
    json_object_set_object_member (payload, "fields", fields);
    self->step = STEP_NEXT;
    ask (self, "templates.solve", payload);
  }
}

static void
run_step (QiLaunchPlan *self)
{
  self->step++;
  switch (self->step)
    {
    case STEP_CONTEXT:
      {
        JsonObject *payload = payload_new (self, FALSE);

        json_object_set_string_member (payload, "path", self->context_path);
        ask (self, "db_service.context.lookup", payload);
      }
      break;
    case STEP_TASKS:
      {
        JsonObject *payload = payload_new (self, FALSE);

        json_object_set_string_member (payload, "context", self->context_path);
        ask (self, "db_service.task.list", payload);
      }
      break;
    case STEP_SERVER:
      ask (self, "server.info", json_object_new ());
      break;
    case STEP_WORKDIR:
      {
        JsonObject *payload = payload_new (self, TRUE);

        json_object_set_string_member (payload, "name", "work.directory");
        ask (self, "templates.solve", payload);
      }
      break;
    case STEP_PARSE:
      list_candidates (self);
      parse_next_candidate (self);
      break;
    case STEP_NEXT:
    case STEP_HOST:
      if (self->mode == QI_LAUNCH_PLAN_WORKFILE)
        {
          self->step = STEP_DONE - 1;
          run_step (self);
          break;
        }
      /* the environment, then the host's part of it */
      if (!build_environment (self))
        return;
      ask_host (self);
      break;
    case STEP_TOKEN:
      if (self->mode == QI_LAUNCH_PLAN_LAUNCH)
        {
          JsonObject *payload = json_object_new ();
          g_autofree char *name = g_strdup_printf ("dcc/%s", json_object_get_string_member (self->app, "host"));

          json_object_set_string_member (payload, "name", name);
          json_object_set_int_member (payload, "lifetime_s", DCC_TOKEN_LIFETIME_S);
          ask (self, "auth.child_token", payload);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case STEP_DONE:
    default:
      self->step = STEP_DONE;
      {
        GTask *task = g_steal_pointer (&self->task_handle);

        g_task_return_boolean (task, TRUE);
        g_object_unref (task);
      }
      break;
    case STEP_PROJECT:
      break;
    }
}

static char *
task_names (JsonArray *tasks)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (tasks); i++)
    {
      JsonObject *task = json_array_get_object_element (tasks, i);

      g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "",
                              json_object_get_string_member_with_default (task, "name", "?"));
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* A new workfile starts from the application group's template file
 * (`applications.workfile_templates`), when the settings name one; FALSE
 * when they name one that is not there. */
static gboolean
find_workfile_template (QiLaunchPlan  *self,
                        GError       **error)
{
  g_autoptr(JsonObject) templates = settings_object (self, "workfile_templates", error);
  const char *group = json_object_get_string_member (self->app, "group");
  JsonNode *entry;
  const char *path = NULL;

  if (templates == NULL)
    return FALSE;
  entry = json_object_get_member (templates, group);
  if (entry != NULL && JSON_NODE_HOLDS_OBJECT (entry))
    entry = json_object_get_member (json_node_get_object (entry), qi_platform_to_string (qi_platform_get_current ()));
  if (entry != NULL && JSON_NODE_HOLDS_VALUE (entry) && json_node_get_value_type (entry) == G_TYPE_STRING)
    path = json_node_get_string (entry);
  if (path == NULL)
    return TRUE;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("applications.workfile_templates.%s: the template file %s is not there, so the new workfile "
                     "of %s cannot start from it"), group, path, json_object_get_string_member (self->app, "label"));
      return FALSE;
    }
  self->workfile_template = g_strdup (path);
  return TRUE;
}

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(QiLaunchPlan) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  JsonObject *reply = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  if (self->task_handle == NULL)
    return;
  if (g_task_return_error_if_cancelled (self->task_handle))
    {
      g_clear_object (&self->task_handle);
      return;
    }

  switch (self->step)
    {
    case STEP_PROJECT:
      {
        g_autoptr(GError) app_error = NULL;

        if (reply == NULL)
          {
            fail (self, _("there is no project “%s” in the tracker (%s)"), self->project, error->message);
            return;
          }
        /* the application, from the catalog of that project's settings */
        if (!find_app (self, &app_error))
          {
            fail_literal (self, app_error->message);
            return;
          }
      }
      break;
    case STEP_CONTEXT:
      if (reply == NULL)
        {
          fail (self, _("the project %s has no context “%s” (%s)"), self->project, self->context_path,
                error->message);
          return;
        }
      break;
    case STEP_TASKS:
      {
        JsonArray *tasks = reply != NULL ? json_object_get_array_member (reply, "tasks") : NULL;
        gboolean found = FALSE;

        if (tasks == NULL)
          {
            fail (self, _("the tasks of %s cannot be read: %s"), self->context_path,
                  error != NULL ? error->message : _("the tracker answered no list"));
            return;
          }
        for (guint i = 0; i < json_array_get_length (tasks); i++)
          {
            JsonObject *task = json_array_get_object_element (tasks, i);

            if (!found && g_strcmp0 (json_object_get_string_member_with_default (task, "name", NULL), self->task) == 0)
              {
                found = TRUE;
                self->task_type = g_strdup (json_object_get_string_member_with_default (task, "type", NULL));
              }
          }
        if (!found)
          {
            g_autofree char *names = task_names (tasks);

            fail (self, _("%s of %s has no task “%s”; its tasks are %s"), self->context_path, self->project,
                  self->task, *names != '\0' ? names : _("none"));
            return;
          }
      }
      break;
    case STEP_SERVER:
      /* without a server (a command line's own hub), no QI_SERVER_URL */
      if (reply != NULL)
        self->server_url = string_of (reply, "url");
      break;
    case STEP_WORKDIR:
      if (reply == NULL || (self->workdir = string_of (reply, "path")) == NULL)
        {
          if (g_error_matches (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER))
            fail (self, _("no addon answers templates.solve, so the work folder is unknown: the anatomy addon is "
                          "not loaded"));
          else
            fail (self, _("the work folder of %s %s cannot be made from the templates: %s"), self->context_path,
                  self->task, error != NULL ? error->message : _("templates.solve answered no path"));
          return;
        }
      break;
    case STEP_PARSE:
      {
        JsonObject *fields = reply != NULL ? json_object_get_object_member (reply, "fields") : NULL;
        gint64 version = version_of (fields);

        /* a file that is not a workfile of the templates is not one */
        if (version > self->last_version)
          {
            self->last_version = version;
            g_free (self->last_workfile);
            self->last_workfile = g_strdup (self->candidates->pdata[self->next_candidate - 1]);
          }
        parse_next_candidate (self);
      }
      return;
    case STEP_NEXT:
      if (reply == NULL || (self->workfile = string_of (reply, "path")) == NULL)
        {
          fail (self, _("the next workfile of %s %s cannot be made from the templates: %s"), self->context_path,
                self->task, error != NULL ? error->message : _("templates.solve answered no path"));
          return;
        }
      if (self->mode == QI_LAUNCH_PLAN_LAUNCH || self->mode == QI_LAUNCH_PLAN_RESOLVE)
        {
          g_autoptr(GError) template_error = NULL;

          if (!find_workfile_template (self, &template_error))
            {
              fail_literal (self, template_error->message);
              return;
            }
        }
      break;
    case STEP_HOST:
      if (reply == NULL || !take_host_plan (self, reply))
        {
          fail (self, _("the host “%s” cannot launch %s: %s"), json_object_get_string_member (self->app, "host"),
                json_object_get_string_member (self->app, "label"),
                error != NULL ? error->message : _("it made no command line"));
          return;
        }
      break;
    case STEP_TOKEN:
      {
        g_autofree char *token = string_of (reply, "token");

        if (token == NULL)
          {
            fail (self, _("the DCC gets no session token: %s"), error != NULL ? error->message : "?");
            return;
          }
        qi_environment_set (self->environment, "launch", "QI_SESSION_TOKEN", token);
      }
      break;
    case STEP_DONE:
    default:
      return;
    }
  run_step (self);
}

/* The application, from the catalog of the project's settings. */
static gboolean
find_app (QiLaunchPlan  *self,
          GError       **error)
{
  g_autoptr(JsonObject) groups = settings_object (self, "groups", error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(QiAppCatalog) catalog = NULL;
  const char *path = g_getenv ("PATH");
  JsonNode *environment;

  if (groups == NULL)
    return FALSE;
  node = json_node_init_object (json_node_alloc (), groups);
  catalog = qi_app_catalog_new (node, qi_platform_get_current (), path, error);
  if (catalog == NULL)
    return FALSE;
  self->app = qi_app_catalog_find (catalog, self->app_name, self->mode == QI_LAUNCH_PLAN_LAUNCH, error);
  if (self->app == NULL)
    return FALSE;
  environment = qi_app_catalog_get_environment (catalog, json_object_get_string_member (self->app, "name"), FALSE);
  if (environment != NULL)
    json_object_set_member (self->app, "group_environment", json_node_copy (environment));
  environment = qi_app_catalog_get_environment (catalog, json_object_get_string_member (self->app, "name"), TRUE);
  if (environment != NULL)
    json_object_set_member (self->app, "variant_environment", json_node_copy (environment));
  return TRUE;
}

/**
 * qi_launch_plan_run_async:
 * @self: a #QiLaunchPlan, run once
 *
 * Works the plan out; the callback comes once it is complete or failed.
 */
void
qi_launch_plan_run_async (QiLaunchPlan        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (QI_IS_LAUNCH_PLAN (self));
  g_return_if_fail (self->task_handle == NULL);

  self->task_handle = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task_handle, qi_launch_plan_run_async);
  if (self->app_name == NULL || self->project == NULL || self->context_path == NULL || self->task == NULL)
    {
      fail_literal (self, _("a launch needs “app”, “project”, “context” and “task”"));
      return;
    }
  self->step = STEP_PROJECT;
  {
    JsonObject *payload = json_object_new ();

    json_object_set_string_member (payload, "name", self->project);
    ask (self, "db_service.project.get", payload);
  }
}

gboolean
qi_launch_plan_run_finish (QiLaunchPlan  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
qi_launch_plan_get_id (QiLaunchPlan *self)
{
  return self->id;
}

JsonObject *
qi_launch_plan_get_app (QiLaunchPlan *self)
{
  return self->app;
}

const char *
qi_launch_plan_get_workdir (QiLaunchPlan *self)
{
  return self->workdir;
}

const char *
qi_launch_plan_get_workfile (QiLaunchPlan *self)
{
  return self->workfile;
}

/**
 * qi_launch_plan_get_workfile_template:
 * @self: a complete #QiLaunchPlan
 *
 * Returns: (nullable): the file the new workfile is to be copied from
 *   before the launch, or %NULL
 */
const char *
qi_launch_plan_get_workfile_template (QiLaunchPlan *self)
{
  return self->workfile_template;
}

gboolean
qi_launch_plan_get_workfile_exists (QiLaunchPlan *self)
{
  return self->workfile_exists;
}

/* The version of the workfile: the last one's, or the next. */
gint64
qi_launch_plan_get_version (QiLaunchPlan *self)
{
  return self->workfile_exists ? self->last_version : MAX (self->last_version, 0) + 1;
}

const char * const *
qi_launch_plan_get_argv (QiLaunchPlan *self)
{
  return (const char * const *) self->argv;
}

char **
qi_launch_plan_dup_envp (QiLaunchPlan *self)
{
  return qi_environment_dup_envp (self->environment);
}

/* A pre-launch hook's changes: its command line and environment, the
 * variables it changed recorded as its layer. */
void
qi_launch_plan_replace (QiLaunchPlan       *self,
                        const char * const *argv,
                        const char * const *envp,
                        const char         *layer)
{
  g_auto(GStrv) before = qi_environment_dup_envp (self->environment);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (argv != NULL && argv[0] != NULL)
    {
      g_strfreev (self->argv);
      self->argv = g_strdupv ((char **) argv);
    }
  if (envp == NULL)
    return;
  for (guint i = 0; envp[i] != NULL; i++)
    {
      const char *equals = strchr (envp[i], '=');
      g_autofree char *name = equals != NULL ? g_strndup (envp[i], equals - envp[i]) : NULL;

      if (name == NULL)
        continue;
      if (g_strcmp0 (qi_environment_get (self->environment, name), equals + 1) != 0)
        qi_environment_set (self->environment, layer, name, equals + 1);
      g_hash_table_add (seen, g_steal_pointer (&name));
    }
  for (guint i = 0; before[i] != NULL; i++)
    {
      const char *equals = strchr (before[i], '=');
      g_autofree char *name = g_strndup (before[i], equals - before[i]);

      if (!g_hash_table_contains (seen, name))
        qi_environment_set (self->environment, layer, name, NULL);
    }
}

/**
 * qi_launch_plan_describe:
 * @self: a complete #QiLaunchPlan
 *
 * Returns: (transfer full): `{"launch", "app", "host", "project",
 *   "context", "task", "task_type", "workdir", "workfile",
 *   "workfile_exists", "workfile_template" (the file a new workfile is
 *   copied from, or null), "argv"}`
 */
JsonNode *
qi_launch_plan_describe (QiLaunchPlan *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonArray *argv = json_array_new ();

  if (self->id != NULL)
    json_object_set_string_member (object, "launch", self->id);
  json_object_set_string_member (object, "app", json_object_get_string_member (self->app, "name"));
  json_object_set_string_member (object, "label", json_object_get_string_member (self->app, "label"));
  json_object_set_string_member (object, "host", json_object_get_string_member (self->app, "host"));
  json_object_set_string_member (object, "project", self->project);
  json_object_set_string_member (object, "context", self->context_path);
  json_object_set_string_member (object, "task", self->task);
  json_object_set_string_member (object, "task_type", self->task_type);
  json_object_set_string_member (object, "workdir", self->workdir);
  if (self->workfile != NULL)
    json_object_set_string_member (object, "workfile", self->workfile);
  else
    json_object_set_null_member (object, "workfile");
  json_object_set_boolean_member (object, "workfile_exists", self->workfile_exists);
  if (self->workfile_template != NULL)
    json_object_set_string_member (object, "workfile_template", self->workfile_template);
  else
    json_object_set_null_member (object, "workfile_template");
  for (guint i = 0; self->argv != NULL && self->argv[i] != NULL; i++)
    json_array_add_string_element (argv, self->argv[i]);
  json_object_set_array_member (object, "argv", argv);
  return json_node_init_object (json_node_alloc (), object);
}

/* Every variable with the layer that set it. */
JsonNode *
qi_launch_plan_explain (QiLaunchPlan *self)
{
  return qi_environment_explain (self->environment);
}
