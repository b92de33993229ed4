/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-app-catalog.h"
#include "qi-launch-plan.h"
#include "qi-launch-verbs.h"

/*
 * The applications addon's commands:
 *
 *   launch --app APP --project P --context C --task T [--new-workfile] [--wait]
 *          [--info-file F] [--json] [-- DCC ARGUMENTS]
 *   env explain --app APP --project P --context C --task T [--new-workfile] [--json]
 *   env resolve (the same)
 *   apps list [--project P] [--json]
 *
 * `launch` asks the running Qi (its info file, as `qi --headless serve`
 * and the desktop shell write it), so that the DCC's session is a child
 * of that launcher; `--wait` waits for the DCC to end and exits with its
 * status. `env` works the launch out in this process without starting
 * anything.
 */

#define LAUNCH_TIMEOUT_MS 120000

typedef struct
{
  QiAddon *addon;
} Verbs;

static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static int
fail (QiCliInvocation *invocation,
      int              status,
      const char      *message)
{
  qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), message);
  return status;
}

/* --app, --project, --context and --task as a launch request; NULL with
 * the usage error said. */
static JsonObject *
launch_request (QiCliInvocation *invocation,
                int             *status)
{
  g_autoptr(JsonObject) request = json_object_new ();
  const char * const *arguments = qi_cli_invocation_get_arguments (invocation);
  JsonArray *args = json_array_new ();

  for (const char * const *option = (const char * const []) { "app", "project", "context", "task", NULL };
       *option != NULL; option++)
    {
      const char *value = qi_cli_invocation_get_string (invocation, *option);

      if (value == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("give --%s (all of --app, --project, --context and "
                                                        "--task)"), *option);

          json_array_unref (args);
          *status = fail (invocation, QI_CLI_EXIT_USAGE, message);
          return NULL;
        }
      json_object_set_string_member (request, *option, value);
    }
  json_object_set_boolean_member (request, "new_workfile", qi_cli_invocation_get_flag (invocation, "new-workfile"));
  for (guint i = 0; arguments != NULL && arguments[i] != NULL; i++)
    json_array_add_string_element (args, arguments[i]);
  json_object_set_array_member (request, "args", args);
  return g_steal_pointer (&request);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* --- env explain | resolve --------------------------------------------- */

static int
env_verb (QiCliInvocation *invocation,
          gpointer         user_data)
{
  Verbs *verbs = user_data;
  gboolean explain = g_str_has_suffix (verb_name (invocation), "explain");
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(QiSettings) settings = NULL;
  g_autoptr(QiLaunchPlan) plan = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) variables = NULL;
  g_autoptr(JsonNode) described = NULL;
  JsonObject *launch;
  JsonArray *list;
  int status = 0;

  if ((request = launch_request (invocation, &status)) == NULL)
    return status;
  g_object_get (verbs->addon, "settings", &settings, NULL);
  plan = qi_launch_plan_new (qi_addon_get_endpoint (verbs->addon), settings, request, QI_LAUNCH_PLAN_RESOLVE,
                             "explain");
  qi_launch_plan_run_async (plan, NULL, on_done, &result);
  if (!qi_launch_plan_run_finish (plan, wait_for (&result), &error))
    return fail (invocation, 1, error->message);

  variables = qi_launch_plan_explain (plan);
  described = qi_launch_plan_describe (plan);
  launch = json_node_get_object (described);
  list = json_node_get_array (variables);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonObject) object = json_object_new ();
      g_autoptr(JsonNode) node = NULL;

      json_object_set_object_member (object, "launch", json_object_ref (launch));
      if (explain)
        json_object_set_member (object, "environment", json_node_ref (variables));
      else
        {
          JsonObject *environment = json_object_new ();

          for (guint i = 0; i < json_array_get_length (list); i++)
            {
              JsonObject *variable = json_array_get_object_element (list, i);

              if (!json_object_get_null_member (variable, "value"))
                json_object_set_string_member (environment, json_object_get_string_member (variable, "name"),
                                               json_object_get_string_member (variable, "value"));
            }
          json_object_set_object_member (object, "environment", environment);
        }
      node = json_node_init_object (json_node_alloc (), object);
      qi_cli_invocation_print_json (invocation, node);
      return 0;
    }

  if (explain)
    qi_cli_invocation_print (invocation, _("# %s for %s %s %s, in %s; workfile %s (%s)\n"),
                             json_object_get_string_member (launch, "app"),
                             json_object_get_string_member (launch, "project"),
                             json_object_get_string_member (launch, "context"),
                             json_object_get_string_member (launch, "task"),
                             json_object_get_string_member (launch, "workdir"),
                             json_object_get_string_member_with_default (launch, "workfile", "-"),
                             json_object_get_boolean_member (launch, "workfile_exists") ? _("opened")
                                                                                        : _("new"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *variable = json_array_get_object_element (list, i);
      const char *name = json_object_get_string_member (variable, "name");
      const char *origin = json_object_get_string_member (variable, "origin");

      if (json_object_get_null_member (variable, "value"))
        {
          if (explain)
            qi_cli_invocation_print (invocation, "unset %s  # %s\n", name, origin);
        }
      else if (explain)
        qi_cli_invocation_print (invocation, "%s=%s  # %s\n", name, json_object_get_string_member (variable, "value"),
                                 origin);
      else
        qi_cli_invocation_print (invocation, "%s=%s\n", name, json_object_get_string_member (variable, "value"));
    }
  return 0;
}

/* --- apps list ---------------------------------------------------------- */

static int
apps_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  Verbs *verbs = user_data;
  const char *project = qi_cli_invocation_get_string (invocation, "project");
  g_autoptr(QiSettings) settings = NULL;
  g_autoptr(JsonNode) groups = NULL;
  g_autoptr(QiAppCatalog) catalog = NULL;
  g_autoptr(JsonNode) apps = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *list;

  g_object_get (verbs->addon, "settings", &settings, NULL);
  groups = settings != NULL ? qi_settings_get_value (settings, "applications", "groups", project, NULL, &error) : NULL;
  if (groups == NULL)
    return fail (invocation, 1, error != NULL ? error->message : _("the applications addon has no settings"));
  catalog = qi_app_catalog_new (groups, qi_platform_get_current (), g_getenv ("PATH"), &error);
  if (catalog == NULL)
    return fail (invocation, 1, error->message);
  apps = qi_app_catalog_list (catalog);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, apps);
      return 0;
    }
  list = json_node_get_array (apps);
  qi_cli_invocation_print (invocation, "%-28s %-24s %s\n", _("APP"), _("LABEL"), _("EXECUTABLE"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *app = json_array_get_object_element (list, i);
      gboolean installed = json_object_get_boolean_member (app, "installed");

      qi_cli_invocation_print (invocation, "%-28s %-24s %s\n", json_object_get_string_member (app, "name"),
                               json_object_get_string_member (app, "label"),
                               installed ? json_object_get_string_member (app, "executable")
                                         : json_object_get_string_member (app, "why"));
    }
  return 0;
}

/* --- launch ------------------------------------------------------------- */

typedef struct
{
  char     *launch;
  JsonNode *exited;   /* the launcher.exited of that launch */
} Waiting;

static void
on_exited (QiMessage *event,
           gpointer   user_data)
{
  Waiting *waiting = user_data;
  JsonNode *payload = qi_message_get_payload (event);

  if (waiting->exited == NULL && waiting->launch != NULL && payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) &&
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (payload), "launch", NULL),
                 waiting->launch) == 0)
    waiting->exited = json_node_copy (payload);
}

static gboolean
read_info (const char  *path,
           char       **url,
           char       **token,
           GError     **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;

  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("no Qi is running here (%s cannot be read: %s): start qi, or qi --headless serve, first"),
                   path, local_error->message);
      return FALSE;
    }
  info = qi_json_from_data (text, length, &local_error);
  object = info != NULL && JSON_NODE_HOLDS_OBJECT (info) ? json_node_get_object (info) : NULL;
  if (object == NULL || json_object_get_string_member_with_default (object, "url", NULL) == NULL ||
      json_object_get_string_member_with_default (object, "token", NULL) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s is not the info file of a Qi server (it needs “url” and “token”)"), path);
      return FALSE;
    }
  *url = g_strdup (json_object_get_string_member (object, "url"));
  *token = g_strdup (json_object_get_string_member (object, "token"));
  return TRUE;
}

static int
launch_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  const char *info_file = qi_cli_invocation_get_string (invocation, "info-file");
  gboolean wait = qi_cli_invocation_get_flag (invocation, "wait");
  g_autofree char *default_info = g_build_filename (g_get_user_runtime_dir (), "qi", "server.json", NULL);
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(QiHubClient) client = NULL;
  g_autoptr(GAsyncResult) connected = NULL;
  g_autoptr(GAsyncResult) answered = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) payload = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  Waiting waiting = { NULL, NULL };
  JsonObject *launch;
  int status = 0;

  if ((request = launch_request (invocation, &status)) == NULL)
    return status;
  if (!read_info (info_file != NULL ? info_file : default_info, &url, &token, &error))
    return fail (invocation, 1, error->message);

  client = qi_hub_client_new ();
  qi_hub_client_connect_async (client, url, token, "tool/launch", NULL, on_done, &connected);
  if (!qi_hub_client_connect_finish (client, wait_for (&connected), &error))
    {
      g_autofree char *message = g_strdup_printf (_("the Qi of %s does not answer at %s: %s"),
                                                  info_file != NULL ? info_file : default_info, url, error->message);

      return fail (invocation, 1, message);
    }
  /* subscribed before asking, so that no end is missed */
  if (wait && qi_hub_client_subscribe (client, "launcher.exited", on_exited, &waiting, NULL, &error) == 0)
    return fail (invocation, 1, error->message);

  payload = json_node_init_object (json_node_alloc (), request);
  qi_hub_client_request_async (client, "launcher.launch", payload, LAUNCH_TIMEOUT_MS, NULL, on_done, &answered);
  reply = qi_hub_client_request_finish (client, wait_for (&answered), &error);
  if (reply == NULL)
    return fail (invocation, 1, error->message);
  launch = json_node_get_object (reply);
  waiting.launch = g_strdup (json_object_get_string_member (launch, "launch"));

  if (qi_cli_invocation_get_flag (invocation, "json"))
    qi_cli_invocation_print_json (invocation, reply);
  else
    qi_cli_invocation_print (invocation, _("launched %s (pid %" G_GINT64_FORMAT ") for %s %s %s\n"
                                           "  workfile: %s (%s)\n  log: %s\n"),
                             json_object_get_string_member (launch, "label"),
                             json_object_get_int_member (launch, "pid"),
                             json_object_get_string_member (launch, "project"),
                             json_object_get_string_member (launch, "context"),
                             json_object_get_string_member (launch, "task"),
                             json_object_get_string_member_with_default (launch, "workfile", "-"),
                             json_object_get_boolean_member (launch, "workfile_exists") ? _("opened") : _("new"),
                             json_object_get_string_member (launch, "log"));
  if (!wait)
    {
      g_free (waiting.launch);
      return 0;
    }

  while (waiting.exited == NULL && qi_hub_client_is_connected (client))
    g_main_context_iteration (NULL, TRUE);
  g_free (waiting.launch);
  if (waiting.exited == NULL)
    return fail (invocation, 1, _("the Qi that launched it stopped before it ended"));
  {
    g_autoptr(JsonNode) exited = waiting.exited;
    JsonObject *object = json_node_get_object (exited);
    JsonNode *code = json_object_get_member (object, "status");
    JsonNode *signal = json_object_get_member (object, "signal");

    if (code != NULL && !JSON_NODE_HOLDS_NULL (code))
      status = (int) json_node_get_int (code);
    else
      status = 128 + (signal != NULL && !JSON_NODE_HOLDS_NULL (signal) ? (int) json_node_get_int (signal) : 0);
    if (!qi_cli_invocation_get_flag (invocation, "json"))
      qi_cli_invocation_print (invocation, _("%s ended with status %d\n"),
                               json_object_get_string_member (object, "label"), status);
  }
  return status;
}

static void
add_launch_options (QiCliVerb *verb)
{
  qi_cli_verb_add_option (verb, "app", QI_CLI_OPTION_STRING, _("APP"),
                          _("The application: GROUP (its newest installed variant) or GROUP/VARIANT"));
  qi_cli_verb_add_option (verb, "project", QI_CLI_OPTION_STRING, _("PROJECT"), _("The project"));
  qi_cli_verb_add_option (verb, "context", QI_CLI_OPTION_STRING, _("PATH"), _("The context, such as /sq010/sh010"));
  qi_cli_verb_add_option (verb, "task", QI_CLI_OPTION_STRING, _("TASK"), _("The task of the context"));
  qi_cli_verb_add_option (verb, "new-workfile", QI_CLI_OPTION_FLAG, NULL,
                          _("Start a new workfile (the next version) rather than open the last one"));
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
}

/**
 * qi_launch_verbs_add:
 * @addon: the applications addon
 * @launcher: its launcher
 * @error: return location for a #GError
 *
 * Adds `launch`, `env explain`, `env resolve` and `apps list`.
 */
gboolean
qi_launch_verbs_add (QiAddon     *addon,
                     QiLauncher  *launcher,
                     GError     **error)
{
  g_autoptr(QiCliVerb) launch = qi_cli_verb_new ("launch", _("Launch an application for a task, through the "
                                                             "running Qi"), launch_verb, NULL, NULL);
  g_autoptr(QiCliVerb) explain = NULL;
  g_autoptr(QiCliVerb) resolve = NULL;
  g_autoptr(QiCliVerb) apps = NULL;
  Verbs *verbs = g_new0 (Verbs, 1);

  /* the addon outlives its verbs: they are removed with it */
  verbs->addon = addon;
  g_object_set_data_full (G_OBJECT (addon), "qi-launch-verbs", verbs, g_free);

  qi_cli_verb_set_description (launch,
    _("Asks the running Qi (qi, or qi --headless serve; its info file, --info-file) to launch APP for the "
      "task: the environment of the studio, the project, the application and its tools, the work folder and "
      "the task's last workfile (or a new one). Arguments after -- go to the application. With --wait, waits "
      "for it to end and exits with its status."));
  qi_cli_verb_set_arguments (launch, _("[-- ARGUMENTS]"), 0, G_MAXUINT);
  add_launch_options (launch);
  qi_cli_verb_add_option (launch, "wait", QI_CLI_OPTION_FLAG, NULL, _("Wait for it to end; exit with its status"));
  qi_cli_verb_add_option (launch, "info-file", QI_CLI_OPTION_STRING, _("FILE"),
                          _("The running Qi's info file (default: $XDG_RUNTIME_DIR/qi/server.json)"));

  explain = qi_cli_verb_new ("env explain", _("Show a launch's environment, each variable with the layer that set "
                                              "it"), env_verb, verbs, NULL);
  qi_cli_verb_set_arguments (explain, _("[-- ARGUMENTS]"), 0, G_MAXUINT);
  add_launch_options (explain);
  resolve = qi_cli_verb_new ("env resolve", _("Print the environment a launch would have"), env_verb, verbs, NULL);
  qi_cli_verb_set_arguments (resolve, _("[-- ARGUMENTS]"), 0, G_MAXUINT);
  add_launch_options (resolve);

  apps = qi_cli_verb_new ("apps list", _("List the applications, installed or not and why"), apps_verb, verbs, NULL);
  qi_cli_verb_add_option (apps, "project", QI_CLI_OPTION_STRING, _("PROJECT"), _("The project whose settings count"));
  qi_cli_verb_add_option (apps, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));

  return qi_addon_add_verb (addon, launch, error) &&
         qi_addon_add_verb (addon, explain, error) &&
         qi_addon_add_verb (addon, resolve, error) &&
         qi_addon_add_verb (addon, apps, error);
}
