/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-app-catalog.h"
#include "qi-launch.h"
#include "qi-launch-plan.h"
#include "qi-launcher.h"

/*
 * QiLauncher: the launcher's hub topics, answered by the applications
 * addon's session:
 *
 *   launcher.apps {project?}                → {"apps": [APP with "launchable"]}
 *   launcher.explain {app, project, context, task, new_workfile?, args?}
 *                                           → {"launch": PLAN, "environment": [VAR…]}
 *   launcher.launch  (the same)             → LAUNCH, then events launcher.started,
 *                                             launcher.session, launcher.exited
 *   launcher.running {}                     → {"running": [LAUNCH…]}
 *   workfiles.next {project, context, task, host | app}
 *                                           → {"path", "version", "app"}
 *
 * and `GET /api/launcher/log/{launch}`, the end of a launch's log. A
 * launch's pre-launch hooks (the `plugins/hooks` files of the addons, run
 * by `python3 -m qi.launch_hooks`) may change its command line and
 * environment or stop it; its post-launch hooks run once it started, and
 * their failure is reported (`launcher.hook_failed`), not fatal.
 */

#define LOG_TAIL_BYTES (256 * 1024)
#define HOOKS_TIMEOUT_S 60

struct _QiLauncher
{
  GObject        parent_instance;

  GWeakRef       addon;
  QiHubEndpoint *endpoint;
  QiSettings    *settings;
  GHashTable    *launches;   /* id → QiLaunch, running or ended, of this run */
  guint          counter;
  guint          sessions;   /* the subscription to session.opened */
};

G_DEFINE_FINAL_TYPE (QiLauncher, qi_launcher, G_TYPE_OBJECT)

static void
qi_launcher_finalize (GObject *object)
{
  QiLauncher *self = QI_LAUNCHER (object);

  g_weak_ref_clear (&self->addon);
  g_clear_object (&self->endpoint);
  g_clear_object (&self->settings);
  g_hash_table_unref (self->launches);
  G_OBJECT_CLASS (qi_launcher_parent_class)->finalize (object);
}

static void
qi_launcher_class_init (QiLauncherClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_launcher_finalize;
}

static void
qi_launcher_init (QiLauncher *self)
{
  self->launches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

QiLauncher *
qi_launcher_new (QiAddon *addon)
{
  QiLauncher *self = g_object_new (QI_TYPE_LAUNCHER, NULL);

  g_weak_ref_init (&self->addon, addon);
  self->endpoint = g_object_ref (qi_addon_get_endpoint (addon));
  g_object_get (addon, "settings", &self->settings, NULL);
  return self;
}

/* --- Small helpers ---------------------------------------------------- */

static JsonObject *
payload_of (QiHubRequest *request)
{
  JsonNode *payload = qi_hub_request_get_payload (request);

  return payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) ? json_node_get_object (payload) : NULL;
}

/* The launch request's members (@payload: the request's, or what it
 * asks for), of the right kinds; FALSE with the request failed. */
static gboolean
check_launch_payload (QiHubRequest *request,
                      JsonObject   *payload,
                      gboolean      needs_app)
{
  const char *topic = qi_hub_request_get_topic (request);
  JsonNode *args;
  JsonNode *new_workfile;

  if (payload == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("%s: the payload is not an object"), topic);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return FALSE;
    }
  for (const char * const *name = (const char * const []) { "app", "project", "context", "task", NULL };
       *name != NULL; name++)
    {
      JsonNode *node = json_object_get_member (payload, *name);

      if ((node == NULL && !needs_app && g_str_equal (*name, "app")) ||
          (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
           *json_node_get_string (node) != '\0'))
        continue;
      {
        g_autofree char *message = g_strdup_printf (_("%s: the payload needs “%s”, a string (%s)"), topic, *name,
                                                    g_str_equal (*name, "app") ? _("such as “blender” or "
                                                                                   "“blender/3.4”")
                                                    : g_str_equal (*name, "context") ? _("a path such as "
                                                                                         "“/sq010/sh010”")
                                                    : _("its name"));

        qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
        return FALSE;
      }
    }
  args = json_object_get_member (payload, "args");
  if (args != NULL)
    {
      gboolean ok = JSON_NODE_HOLDS_ARRAY (args);

      for (guint i = 0; ok && i < json_array_get_length (json_node_get_array (args)); i++)
        {
          JsonNode *arg = json_array_get_element (json_node_get_array (args), i);

          ok = JSON_NODE_HOLDS_VALUE (arg) && json_node_get_value_type (arg) == G_TYPE_STRING;
        }
      if (!ok)
        {
          g_autofree char *message = g_strdup_printf (_("%s: “args” must be a list of strings"), topic);

          qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
          return FALSE;
        }
    }
  new_workfile = json_object_get_member (payload, "new_workfile");
  if (new_workfile != NULL && (!JSON_NODE_HOLDS_VALUE (new_workfile) ||
                               json_node_get_value_type (new_workfile) != G_TYPE_BOOLEAN))
    {
      g_autofree char *message = g_strdup_printf (_("%s: “new_workfile” must be true or false"), topic);

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return FALSE;
    }
  return TRUE;
}

static void
emit (QiLauncher *self,
      const char *topic,
      JsonNode   *payload)
{
  g_autoptr(GError) error = NULL;

  if (!qi_hub_endpoint_emit (self->endpoint, topic, payload, &error))
    g_warning ("%s was not sent: %s", topic, error->message);
}

/* --- launcher.apps ------------------------------------------------------ */

typedef struct
{
  QiLauncher   *self;
  QiHubRequest *request;
  char         *project;
} AppsCall;

static void
apps_call_free (AppsCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->request);
  g_free (call->project);
  g_free (call);
}

static void
on_hosts (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  AppsCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) hosts = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  g_autoptr(JsonNode) groups = NULL;
  g_autoptr(QiAppCatalog) catalog = NULL;
  g_autoptr(JsonNode) apps = NULL;
  g_autoptr(GHashTable) loaded = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonArray *list;

  if (hosts != NULL && JSON_NODE_HOLDS_OBJECT (hosts))
    {
      JsonArray *array = json_object_get_array_member (json_node_get_object (hosts), "hosts");

      for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
        g_hash_table_add (loaded, (gpointer) json_object_get_string_member (json_array_get_object_element (array, i),
                                                                            "name"));
    }
  groups = call->self->settings != NULL
    ? qi_settings_get_value (call->self->settings, "applications", "groups", call->project, NULL, &error)
    : NULL;
  if (groups == NULL)
    {
      qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED,
                           error != NULL ? error->message : _("the applications addon has no settings"));
      apps_call_free (call);
      return;
    }
  catalog = qi_app_catalog_new (groups, qi_platform_get_current (), g_getenv ("PATH"), &error);
  if (catalog == NULL)
    {
      qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED, error->message);
      apps_call_free (call);
      return;
    }
  apps = qi_app_catalog_list (catalog);
  list = json_node_get_array (apps);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *app = json_array_get_object_element (list, i);
      const char *host = json_object_get_string_member (app, "host");
      gboolean has_host = g_hash_table_contains (loaded, host);

      json_object_set_boolean_member (app, "launchable",
                                      has_host && json_object_get_boolean_member (app, "installed"));
      if (!has_host)
        {
          g_autofree char *why = g_strdup_printf (_("no addon of this bundle provides the host “%s”"), host);

          json_object_set_string_member (app, "why", why);
        }
    }
  json_object_set_member (reply, "apps", g_steal_pointer (&apps));
  node = json_node_init_object (json_node_alloc (), reply);
  qi_hub_request_reply (call->request, node);
  apps_call_free (call);
}

static void
on_apps (QiHubRequest *request,
         gpointer      user_data)
{
  QiLauncher *self = user_data;
  JsonObject *payload = payload_of (request);
  AppsCall *call = g_new0 (AppsCall, 1);
  g_autoptr(JsonNode) empty = json_from_string ("{}", NULL);

  call->self = g_object_ref (self);
  call->request = g_object_ref (request);
  call->project = payload != NULL ? g_strdup (json_object_get_string_member_with_default (payload, "project", NULL))
                                  : NULL;
  qi_hub_endpoint_request_async (self->endpoint, "addons.hosts", empty, 10000, NULL, on_hosts, call);
}

/* --- Hooks -------------------------------------------------------------- */

typedef void (*HooksDone) (QiLauncher   *self,
                           QiLaunchPlan *plan,
                           QiLaunch     *launch,
                           QiHubRequest *request,
                           GError       *error);

typedef struct
{
  QiLauncher   *self;
  QiLaunchPlan *plan;
  QiLaunch     *launch;      /* post-launch: the started one */
  QiHubRequest *request;     /* pre-launch: the launch request */
  const char   *stage;
  HooksDone     done;
} HooksCall;

static void
hooks_call_free (HooksCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->plan);
  g_clear_object (&call->launch);
  g_clear_object (&call->request);
  g_free (call);
}

static void
hooks_finish (HooksCall *call,
              GError    *error)
{
  call->done (call->self, call->plan, call->launch, call->request, error);
  hooks_call_free (call);
}

static JsonNode *
hook_request (HooksCall  *call,
              GPtrArray  *hooks)
{
  g_autoptr(JsonObject) request = json_object_new ();
  JsonNode *launch = call->launch != NULL ? qi_launch_to_json (call->launch) : qi_launch_plan_describe (call->plan);
  JsonObject *object = json_node_get_object (launch);
  JsonObject *app = qi_launch_plan_get_app (call->plan);
  JsonObject *environment = json_object_new ();
  JsonArray *files = json_array_new ();
  g_auto(GStrv) envp = qi_launch_plan_dup_envp (call->plan);

  for (guint i = 0; envp[i] != NULL; i++)
    {
      const char *equals = strchr (envp[i], '=');
      g_autofree char *name = g_strndup (envp[i], equals - envp[i]);

      json_object_set_string_member (environment, name, equals + 1);
    }
  json_object_set_object_member (object, "environment", environment);
  json_object_set_string_member (object, "group", json_object_get_string_member (app, "group"));
  json_object_set_string_member (object, "variant", json_object_get_string_member (app, "variant"));
  json_object_set_string_member (object, "kind", "local");
  json_object_set_string_member (object, "platform", qi_platform_to_string (qi_platform_get_current ()));
  for (guint i = 0; i < hooks->len; i++)
    json_array_add_string_element (files, hooks->pdata[i]);
  json_object_set_string_member (request, "stage", call->stage);
  json_object_set_array_member (request, "hooks", files);
  json_object_set_member (request, "launch", launch);
  return json_node_init_object (json_node_alloc (), request);
}

static void
on_hooks_ran (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HooksCall *call = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) answer = NULL;

  if (!g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error))
    {
      hooks_finish (call, error);
      return;
    }
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_autoptr(GError) failed = NULL;

      g_strstrip (err != NULL ? err : (err = g_strdup ("")));
      failed = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("a %s-launch hook failed: %s"), call->stage,
                            *err != '\0' ? err : _("the hook runner ended without saying why"));
      hooks_finish (call, failed);
      return;
    }
  answer = json_from_string (out, &error);
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    {
      g_autoptr(GError) failed = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                              _("the %s-launch hooks answered what is not their result"),
                                              call->stage);

      hooks_finish (call, failed);
      return;
    }
  if (g_str_equal (call->stage, "pre"))
    {
      JsonObject *object = json_node_get_object (answer);
      JsonArray *argv = json_object_get_array_member (object, "argv");
      JsonObject *environment = json_object_get_object_member (object, "environment");
      g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
      g_autoptr(GStrvBuilder) envp = g_strv_builder_new ();
      g_auto(GStrv) new_argv = NULL;
      g_auto(GStrv) new_envp = NULL;
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      for (guint i = 0; argv != NULL && i < json_array_get_length (argv); i++)
        g_strv_builder_add (args, json_array_get_string_element (argv, i));
      json_object_iter_init (&iter, environment);
      while (environment != NULL && json_object_iter_next (&iter, &name, &value))
        {
          g_autofree char *line = g_strdup_printf ("%s=%s", name, json_node_get_string (value));

          g_strv_builder_add (envp, line);
        }
      new_argv = g_strv_builder_end (args);
      new_envp = g_strv_builder_end (envp);
      qi_launch_plan_replace (call->plan, (const char * const *) new_argv, (const char * const *) new_envp,
                              "pre-launch hooks");
    }
  hooks_finish (call, NULL);
}

static void
run_hooks_with (HooksCall *call,
                GPtrArray *hooks)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = NULL;

  if (hooks->len == 0)
    {
      hooks_finish (call, NULL);
      return;
    }
  request = hook_request (call, hooks);
  input = qi_json_to_string (request, QI_JSON_WRITE_DEFAULT, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "PYTHONPATH", qi_host_get_python_path (), TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONDONTWRITEBYTECODE", "1", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", "-m", "qi.launch_hooks", NULL);
  if (process == NULL)
    {
      hooks_finish (call, error);
      return;
    }
  g_subprocess_communicate_utf8_async (process, input, NULL, on_hooks_ran, call);
}

static void
on_hook_dirs (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HooksCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  g_autoptr(GPtrArray) hooks = g_ptr_array_new_with_free_func (g_free);
  JsonArray *dirs = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply)
    ? json_object_get_array_member (json_node_get_object (reply), "dirs") : NULL;

  for (guint i = 0; dirs != NULL && i < json_array_get_length (dirs); i++)
    {
      const char *path = json_object_get_string_member (json_array_get_object_element (dirs, i), "path");
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".py") && name[0] != '.' && name[0] != '_')
          g_ptr_array_add (files, g_build_filename (path, name, NULL));
      g_ptr_array_sort (files, (GCompareFunc) g_strcmp0);
      g_ptr_array_extend_and_steal (hooks, g_steal_pointer (&files));
    }
  run_hooks_with (call, hooks);
}

static void
run_hooks (QiLauncher   *self,
           const char   *stage,
           QiLaunchPlan *plan,
           QiLaunch     *launch,
           QiHubRequest *request,
           HooksDone     done)
{
  HooksCall *call = g_new0 (HooksCall, 1);
  g_autoptr(JsonNode) payload = json_from_string ("{\"kind\": \"hooks\"}", NULL);

  call->self = g_object_ref (self);
  call->plan = g_object_ref (plan);
  call->launch = launch != NULL ? g_object_ref (launch) : NULL;
  call->request = request != NULL ? g_object_ref (request) : NULL;
  call->stage = stage;
  call->done = done;
  qi_hub_endpoint_request_async (self->endpoint, "addons.plugin_dirs", payload, 10000, NULL, on_hook_dirs, call);
}

/* --- launcher.launch --------------------------------------------------- */

static char *
new_launch_id (QiLauncher *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("%s-%u-%u", stamp, (guint) getpid (), ++self->counter);
}

static char *
log_path_for (QiLaunchPlan *plan)
{
  JsonObject *app = qi_launch_plan_get_app (plan);
  g_autofree char *file = g_strdup_printf ("%s-%s-%s.log", qi_launch_plan_get_id (plan),
                                           json_object_get_string_member (app, "group"),
                                           json_object_get_string_member (app, "variant"));

  return g_build_filename (g_get_user_state_dir (), "qi", "launches", file, NULL);
}

static void
on_post_hooks_done (QiLauncher   *self,
                    QiLaunchPlan *plan,
                    QiLaunch     *launch,
                    QiHubRequest *request,
                    GError       *error)
{
  if (error != NULL)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) payload = NULL;

      g_message ("launch %s: %s", qi_launch_plan_get_id (plan), error->message);
      json_object_set_string_member (object, "launch", qi_launch_plan_get_id (plan));
      json_object_set_string_member (object, "stage", "post");
      json_object_set_string_member (object, "message", error->message);
      payload = json_node_init_object (json_node_alloc (), object);
      emit (self, "launcher.hook_failed", payload);
    }
}

static void
on_launch_exited (QiLaunch   *launch,
                  QiLauncher *self)
{
  g_autoptr(JsonNode) payload = qi_launch_to_json (launch);

  g_debug ("launch %s ended", qi_launch_get_id (launch));
  emit (self, "launcher.exited", payload);
}

/* The process of a planned launch, whose pre-launch hooks have run. */
static void
spawn_launch (QiLauncher   *self,
              QiLaunchPlan *plan,
              QiHubRequest *request)
{
  g_autofree char *log = NULL;
  g_autoptr(QiLaunch) launch = NULL;
  g_autoptr(GError) spawn_error = NULL;
  g_autoptr(JsonNode) reply = NULL;

  log = log_path_for (plan);
  launch = qi_launch_new (plan, log);
  if (!qi_launch_spawn (launch, &spawn_error))
    {
      g_autofree char *message = g_strdup_printf (_("%s did not start: %s"),
                                                  json_object_get_string_member (qi_launch_plan_get_app (plan),
                                                                                 "label"),
                                                  spawn_error->message);

      qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, message);
      return;
    }
  g_hash_table_insert (self->launches, g_strdup (qi_launch_get_id (launch)), g_object_ref (launch));
  g_signal_connect_object (launch, "exited", G_CALLBACK (on_launch_exited), self, 0);
  reply = qi_launch_to_json (launch);
  qi_hub_request_reply (request, reply);
  emit (self, "launcher.started", reply);
  run_hooks (self, "post", plan, launch, NULL, on_post_hooks_done);
}

/* A new workfile copied from its template: into a hidden file of the
 * work folder in a thread, then renamed to its name, never over a file
 * that is there; a copy that fails leaves nothing behind. */
typedef struct
{
  QiLauncher   *self;
  QiLaunchPlan *plan;
  QiHubRequest *request;
  GFile        *partial;
  GFile        *workfile;
} CopyCall;

static void
copy_call_free (CopyCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->plan);
  g_object_unref (call->request);
  g_object_unref (call->partial);
  g_object_unref (call->workfile);
  g_free (call);
}

static void
copy_failed (CopyCall *call,
             GError   *error)
{
  g_autofree char *message = g_strdup_printf (_("the new workfile %s cannot start from the template %s: %s"),
                                              g_file_peek_path (call->workfile),
                                              qi_launch_plan_get_workfile_template (call->plan), error->message);

  g_file_delete (call->partial, NULL, NULL);
  qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED, message);
  copy_call_free (call);
}

static void
on_template_moved (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CopyCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_move_finish (G_FILE (source), result, &error))
    {
      copy_failed (call, error);
      return;
    }
  spawn_launch (call->self, call->plan, call->request);
  copy_call_free (call);
}

static void
on_template_copied (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CopyCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    {
      copy_failed (call, error);
      return;
    }
  g_file_move_async (call->partial, call->workfile, G_FILE_COPY_NO_FALLBACK_FOR_MOVE, G_PRIORITY_DEFAULT, NULL,
                     NULL, NULL, on_template_moved, call);
}

static void
start_from_template (QiLauncher   *self,
                     QiLaunchPlan *plan,
                     QiHubRequest *request)
{
  const char *workfile = qi_launch_plan_get_workfile (plan);
  g_autofree char *folder = g_path_get_dirname (workfile);
  g_autofree char *base = g_path_get_basename (workfile);
  g_autofree char *partial = g_strdup_printf ("%s/.%s.%08x.part", folder, base, g_random_int ());
  g_autoptr(GFile) template = g_file_new_for_path (qi_launch_plan_get_workfile_template (plan));
  CopyCall *call = g_new0 (CopyCall, 1);

  call->self = g_object_ref (self);
  call->plan = g_object_ref (plan);
  call->request = g_object_ref (request);
  call->partial = g_file_new_for_path (partial);
  call->workfile = g_file_new_for_path (workfile);
  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      int saved = errno;
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved),
                                             _("the work folder %s cannot be made: %s"), folder,
                                             g_strerror (saved));

      copy_failed (call, error);
      return;
    }
  g_file_copy_async (template, call->partial, G_FILE_COPY_NONE, G_PRIORITY_DEFAULT, NULL, NULL, NULL,
                     on_template_copied, call);
}

static void
on_pre_hooks_done (QiLauncher   *self,
                   QiLaunchPlan *plan,
                   QiLaunch     *unused,
                   QiHubRequest *request,
                   GError       *error)
{
  if (error != NULL)
    {
      qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, error->message);
      return;
    }
  if (qi_launch_plan_get_workfile_template (plan) != NULL)
    start_from_template (self, plan, request);
  else
    spawn_launch (self, plan, request);
}

typedef struct
{
  QiLauncher   *self;
  QiHubRequest *request;
} PlanCall;

static void
plan_call_free (PlanCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->request);
  g_free (call);
}

static void
on_launch_planned (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PlanCall *call = user_data;
  QiLaunchPlan *plan = QI_LAUNCH_PLAN (source);
  g_autoptr(GError) error = NULL;

  if (!qi_launch_plan_run_finish (plan, result, &error))
    qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED, error->message);
  else
    run_hooks (call->self, "pre", plan, NULL, call->request, on_pre_hooks_done);
  plan_call_free (call);
}

static void
start_plan (QiLauncher          *self,
            QiHubRequest        *request,
            JsonObject          *payload,
            QiLaunchPlanMode     mode,
            GAsyncReadyCallback  callback)
{
  g_autofree char *id = new_launch_id (self);
  g_autoptr(QiLaunchPlan) plan = qi_launch_plan_new (self->endpoint, self->settings, payload, mode, id);
  PlanCall *call = g_new0 (PlanCall, 1);

  call->self = g_object_ref (self);
  call->request = g_object_ref (request);
  qi_launch_plan_run_async (plan, NULL, callback, call);
}

static void
on_launch (QiHubRequest *request,
           gpointer      user_data)
{
  if (check_launch_payload (request, payload_of (request), TRUE))
    start_plan (user_data, request, payload_of (request), QI_LAUNCH_PLAN_LAUNCH, on_launch_planned);
}

/* --- launcher.explain -------------------------------------------------- */

static void
on_explain_planned (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  PlanCall *call = user_data;
  QiLaunchPlan *plan = QI_LAUNCH_PLAN (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) reply = NULL;

  if (!qi_launch_plan_run_finish (plan, result, &error))
    {
      qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED, error->message);
      plan_call_free (call);
      return;
    }
  object = json_object_new ();
  json_object_set_member (object, "launch", qi_launch_plan_describe (plan));
  json_object_set_member (object, "environment", qi_launch_plan_explain (plan));
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (call->request, reply);
  plan_call_free (call);
}

static void
on_explain (QiHubRequest *request,
            gpointer      user_data)
{
  if (check_launch_payload (request, payload_of (request), TRUE))
    start_plan (user_data, request, payload_of (request), QI_LAUNCH_PLAN_RESOLVE, on_explain_planned);
}

/* --- workfiles.next ---------------------------------------------------- */

static void
on_next_planned (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PlanCall *call = user_data;
  QiLaunchPlan *plan = QI_LAUNCH_PLAN (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) reply = NULL;

  if (!qi_launch_plan_run_finish (plan, result, &error))
    {
      qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED, error->message);
      plan_call_free (call);
      return;
    }
  if (qi_launch_plan_get_workfile (plan) == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("workfiles.next: %s has no workfiles"),
                                                  json_object_get_string_member (qi_launch_plan_get_app (plan),
                                                                                 "label"));

      qi_hub_request_fail (call->request, QI_HUB_ERROR_HANDLER_FAILED, message);
      plan_call_free (call);
      return;
    }
  object = json_object_new ();
  json_object_set_string_member (object, "path", qi_launch_plan_get_workfile (plan));
  json_object_set_int_member (object, "version", qi_launch_plan_get_version (plan));
  json_object_set_string_member (object, "app", json_object_get_string_member (qi_launch_plan_get_app (plan), "name"));
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (call->request, reply);
  plan_call_free (call);
}

/* The application group of a host (the first that it launches). */
static char *
group_of_host (QiLauncher *self,
               const char *project,
               const char *host)
{
  g_autoptr(JsonNode) groups = self->settings != NULL
    ? qi_settings_get_value (self->settings, "applications", "groups", project, NULL, NULL) : NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *group;

  if (groups == NULL || !JSON_NODE_HOLDS_OBJECT (groups))
    return NULL;
  json_object_iter_init (&iter, json_node_get_object (groups));
  while (json_object_iter_next (&iter, &name, &group))
    if (JSON_NODE_HOLDS_OBJECT (group) &&
        g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (group), "host", NULL),
                   host) == 0)
      return g_strdup (name);
  return NULL;
}

static void
on_next (QiHubRequest *request,
         gpointer      user_data)
{
  QiLauncher *self = user_data;
  JsonObject *payload = payload_of (request);
  g_autoptr(JsonObject) asked = NULL;
  const char *host = payload != NULL ? json_object_get_string_member_with_default (payload, "host", NULL) : NULL;

  if (payload != NULL && !json_object_has_member (payload, "app") && host != NULL)
    {
      g_autofree char *group = group_of_host (self, json_object_get_string_member_with_default (payload, "project",
                                                                                                NULL), host);

      if (group == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("workfiles.next: no application of applications.groups "
                                                        "is launched by the host “%s”"), host);

          qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, message);
          return;
        }
      asked = json_object_new ();
      for (const char * const *member = (const char * const []) { "project", "context", "task", NULL };
           *member != NULL; member++)
        if (json_object_has_member (payload, *member))
          json_object_set_member (asked, *member, json_node_copy (json_object_get_member (payload, *member)));
      json_object_set_string_member (asked, "app", group);
    }
  else if (payload != NULL)
    asked = json_object_ref (payload);
  if (!check_launch_payload (request, asked != NULL ? asked : payload, TRUE))
    return;
  json_object_set_boolean_member (asked, "new_workfile", TRUE);
  start_plan (self, request, asked, QI_LAUNCH_PLAN_WORKFILE, on_next_planned);
}

/* --- launcher.running, the DCC's session, the log ------------------------ */

static void
on_running (QiHubRequest *request,
            gpointer      user_data)
{
  QiLauncher *self = user_data;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) reply = NULL;
  JsonArray *running = json_array_new ();
  GHashTableIter iter;
  gpointer launch;

  g_hash_table_iter_init (&iter, self->launches);
  while (g_hash_table_iter_next (&iter, NULL, &launch))
    if (qi_launch_is_running (launch))
      json_array_add_element (running, qi_launch_to_json (launch));
  json_object_set_array_member (object, "running", running);
  reply = json_node_init_object (json_node_alloc (), object);
  qi_hub_request_reply (request, reply);
}

/* A session opened below the launcher's, named dcc/HOST/PID: the DCC of
 * that launch has connected. */
static void
on_session_opened (QiMessage *event,
                   gpointer   user_data)
{
  QiLauncher *self = user_data;
  JsonNode *payload = qi_message_get_payload (event);
  JsonObject *object = payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) ? json_node_get_object (payload) : NULL;
  const char *id = object != NULL ? json_object_get_string_member_with_default (object, "id", NULL) : NULL;
  const char *parent = object != NULL ? json_object_get_string_member_with_default (object, "parent", NULL) : NULL;
  const char *slash = id != NULL ? strrchr (id, '/') : NULL;
  GHashTableIter iter;
  gpointer launch;
  gint64 pid;

  if (id == NULL || slash == NULL || g_strcmp0 (parent, qi_session_get_id (QI_SESSION (self->endpoint))) != 0)
    return;
  pid = g_ascii_strtoll (slash + 1, NULL, 10);
  g_hash_table_iter_init (&iter, self->launches);
  while (g_hash_table_iter_next (&iter, NULL, &launch))
    if (qi_launch_is_running (launch) && qi_launch_get_pid (launch) == pid)
      {
        g_autoptr(JsonObject) event_object = json_object_new ();
        g_autoptr(JsonNode) event_payload = NULL;

        qi_launch_set_session (launch, id);
        json_object_set_string_member (event_object, "launch", qi_launch_get_id (launch));
        json_object_set_string_member (event_object, "session", id);
        event_payload = json_node_init_object (json_node_alloc (), event_object);
        emit (self, "launcher.session", event_payload);
        return;
      }
}

static void
on_log_route (QiRestRequest *request,
              gpointer       user_data)
{
  QiLauncher *self = user_data;
  const char *id = qi_rest_request_get_param (request, "launch");
  QiLaunch *launch = id != NULL ? g_hash_table_lookup (self->launches, id) : NULL;
  g_autoptr(JsonNode) description = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *log;
  const char *tail;

  if (launch == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("no launch “%s” in this run"), id != NULL ? id : "");

      qi_rest_request_reply_error (request, 404, "not_found", message);
      return;
    }
  description = qi_launch_to_json (launch);
  log = json_object_get_string_member (json_node_get_object (description), "log");
  if (!g_file_get_contents (log, &contents, &length, NULL))
    contents = g_strdup ("");
  tail = length > LOG_TAIL_BYTES ? contents + length - LOG_TAIL_BYTES : contents;
  if (!g_utf8_validate (tail, -1, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (tail, -1);

      json_object_set_string_member (json_node_get_object (description), "text", valid);
    }
  else
    json_object_set_string_member (json_node_get_object (description), "text", tail);
  json_object_set_boolean_member (json_node_get_object (description), "truncated", length > LOG_TAIL_BYTES);
  qi_rest_request_reply_json (request, 200, description);
}

/**
 * qi_launcher_attach:
 * @self: a #QiLauncher
 * @error: return location for a #GError
 *
 * Puts the launcher's topics on the addon's session and its log route on
 * the server.
 */
gboolean
qi_launcher_attach (QiLauncher  *self,
                    GError     **error)
{
  static const struct { const char *topic; QiHubHandlerFunc handler; } topics[] = {
    { "launcher.apps", on_apps },
    { "launcher.explain", on_explain },
    { "launcher.launch", on_launch },
    { "launcher.running", on_running },
    { "workfiles.next", on_next },
  };
  g_autoptr(QiAddon) addon = g_weak_ref_get (&self->addon);

  for (guint i = 0; i < G_N_ELEMENTS (topics); i++)
    if (!qi_hub_endpoint_add_handler (self->endpoint, topics[i].topic, topics[i].handler, self, NULL, error))
      return FALSE;
  self->sessions = qi_hub_endpoint_subscribe (self->endpoint, "session.opened", on_session_opened, self, NULL, error);
  if (self->sessions == 0)
    return FALSE;
  return addon != NULL &&
         qi_addon_add_route (addon, "GET", "/api/launcher/log/{launch}", on_log_route, self, NULL, error);
}

guint
qi_launcher_get_n_running (QiLauncher *self)
{
  GHashTableIter iter;
  gpointer launch;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->launches);
  while (g_hash_table_iter_next (&iter, NULL, &launch))
    n += qi_launch_is_running (launch);
  return n;
}
