/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "qi-addon-manager.h"
#include "qi-json.h"
#include "qi-builtin-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-cli-invocation.h"
#include "qi-auth-manager.h"
#include "qi-serve-verb-private.h"
#include "qi-settings.h"
#include "qi-server.h"

/*
 * `qi --headless serve`: the hub and the local server without the GUI,
 * until SIGINT or SIGTERM. It writes where to reach it, and a token for
 * local tools, to an info file (mode 0600, written atomically) that it
 * removes on the way out.
 */

/* How long the info file's token is valid. Its key dies with the process
 * anyway; this bounds a token copied out of the file. */
#define LOCAL_TOOL_TOKEN_LIFETIME_S (7 * 24 * 3600)

static char *
default_info_path (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "qi", "server.json", NULL);
}

/* What stands at the info file's path. */
typedef enum {
  INFO_ABSENT,     /* nothing: write it */
  INFO_STALE,      /* a Qi info file of a server that is gone: take it over */
  INFO_LIVE,       /* a Qi info file of a live server (*pid) */
  INFO_OURS,       /* a Qi info file of this process */
  INFO_FOREIGN,    /* anything else: never overwrite a file Qi did not write */
} InfoState;

static InfoState
read_info_file (const char *path,
                pid_t      *pid_out)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *object;
  JsonNode *pid_node;
  gint64 pid;

  if (!g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    return INFO_ABSENT;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || !json_parser_load_from_file (parser, path, NULL))
    return INFO_FOREIGN;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return INFO_FOREIGN;
  object = json_node_get_object (root);
  pid_node = json_object_get_member (object, "pid");
  if (!json_object_has_member (object, "url") || !json_object_has_member (object, "token") ||
      pid_node == NULL || json_node_get_value_type (pid_node) != G_TYPE_INT64)
    return INFO_FOREIGN;

  pid = json_node_get_int (pid_node);
  if (pid == getpid ())
    return INFO_OURS;
  if (pid > 1 && pid <= G_MAXINT32 && (kill ((pid_t) pid, 0) == 0 || errno == EPERM))
    {
      *pid_out = (pid_t) pid;
      return INFO_LIVE;
    }
  return INFO_STALE;
}

/* Serves the `ui_dist/` folder of every loaded addon at `/ui/NAME/`. */
static void
serve_addon_uis (QiServer       *server,
                 QiAddonManager *addons)
{
  g_autoptr(GPtrArray) infos = qi_addon_manager_list_addons (addons);

  for (guint i = 0; i < infos->len; i++)
    {
      QiAddonInfo *info = infos->pdata[i];
      const char *name = qi_addon_info_get_name (info);
      g_autofree char *dist = NULL;
      g_autoptr(GError) error = NULL;

      if (qi_addon_manager_get_addon (addons, name) == NULL ||
          qi_addon_manager_lookup (addons, name) != info)
        continue;
      dist = g_build_filename (qi_addon_info_get_path (info), "ui_dist", NULL);
      if (!g_file_test (dist, G_FILE_TEST_IS_DIR))
        continue;
      if (!qi_server_add_ui_folder (server, name, dist, &error))
        g_warning ("addon “%s”: its UI in %s is not served: %s", name, dist, error->message);
    }
}

static gboolean
write_info_file (const char  *path,
                 QiServer    *server,
                 const char  *token,
                 GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *json = NULL;
  g_autofree char *url = qi_server_dup_websocket_url (server);
  g_autofree char *http = qi_server_dup_http_url (server);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Could not create the folder “%s”: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_set_member_name (builder, "http");
  json_builder_add_string_value (builder, http);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = qi_json_to_string (root, QI_JSON_WRITE_PRETTY, NULL);

  /* A temporary file, fsync, rename: a reader sees the old file or the
   * whole new one, never a part; 0600 because the token is a secret. */
  return g_file_set_contents_full (path, json, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

static gboolean
check_token (const char  *token,
             QiToken     *claims,
             gpointer     user_data,
             GError     **error)
{
  return qi_auth_manager_check_token (QI_AUTH_MANAGER (user_data), token, claims, error);
}

static void
on_session_ended (QiAuthManager *auth,
                  const char    *token,
                  const char    *reason,
                  QiServer      *server)
{
  qi_server_close_token_connections (server, token, reason);
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/*
 * qi_serve_dup_default_info_path:
 *
 * Returns: (transfer full): `$XDG_RUNTIME_DIR/qi/server.json`
 */
char *
qi_serve_dup_default_info_path (void)
{
  return default_info_path ();
}

/*
 * qi_serve_start_server:
 * @app: the running application, after phase 4
 * @port: the loopback port, or -1 for the launch option --port
 * @info_path: where to write the connection details
 * @error: return location for a #GError
 *
 * The local server of a run, as `qi --headless serve` and the desktop
 * shell both start it: the hub at /ws, signed with the key of the auth
 * service's authority (the run's login signs with it too), the addons'
 * REST router, each
 * loaded addon's `ui_dist/` at /ui/NAME/, the settings watch, listening
 * on 127.0.0.1; then the info file with a token for local tools.
 *
 * Returns: (transfer full): the listening server, or %NULL with
 *   %G_IO_ERROR_INVALID_ARGUMENT for a bad port or configuration value
 *   (a usage error), any other error for a failure
 */
QiServer *
qi_serve_start_server (QiApplication  *app,
                       gint64          port,
                       const char     *info_path,
                       GError        **error)
{
  g_autoptr(QiTokenAuthority) authority = NULL;
  g_autoptr(QiServer) server = NULL;
  g_autofree char *token = NULL;
  const char * const scopes[] = { QI_TOKEN_SCOPE_HUB, QI_TOKEN_SCOPE_API, QI_TOKEN_SCOPE_UI, NULL };
  QiLaunchConfig *launch;
  QiConfigManager *config;
  QiService *hub;
  QiService *auth;
  gint64 max_message_size;
  pid_t owner = 0;

  g_return_val_if_fail (QI_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (info_path != NULL, NULL);

  launch = qi_application_get_launch_config (app);
  if (launch == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the application has not started"));
      return NULL;
    }

  hub = qi_application_get_service (app, "hub");
  if (hub == NULL || !QI_IS_HUB (hub))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("there is no hub to serve"));
      return NULL;
    }

  if (port < 0)
    port = qi_launch_config_get_port (launch);
  if (port > 65535)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("--port: %" G_GINT64_FORMAT " is not a port number (0 to 65535; 0 picks a free port)"),
                   port);
      return NULL;
    }

  config = qi_application_get_config_manager (app);
  max_message_size = QI_SERVER_DEFAULT_MAX_MESSAGE_SIZE;
  if (config != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      max_message_size = qi_config_manager_get_int (config, "/server/max-message-size",
                                                    QI_SERVER_DEFAULT_MAX_MESSAGE_SIZE, &local_error);
      if (local_error == NULL && (max_message_size < 1024 || max_message_size > G_MAXUINT32))
        {
          g_autofree char *where = qi_config_manager_dup_origin (config, "/server/max-message-size");

          g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("%s: server.max-message-size must be between 1024 and 4294967295 bytes"),
                       where != NULL ? where : "qi.toml");
        }
      if (local_error != NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, local_error->message);
          return NULL;
        }
    }

  switch (read_info_file (info_path, &owner))
    {
    case INFO_LIVE:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("another Qi server (pid %d) is running and owns “%s”; stop it or pass --info-file"),
                   (int) owner, info_path);
      return NULL;
    case INFO_FOREIGN:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("“%s” exists and is not a Qi server's info file; it was left as it is: pass "
                     "another --info-file"),
                   info_path);
      return NULL;
    case INFO_ABSENT:
    case INFO_STALE:
    case INFO_OURS:
    default:
      break;
    }

  /* One key for the run: the tokens auth.login gives a user, whatever
   * the provider, open the hub and the REST routes of this server, as the
   * info file's token does. */
  auth = qi_application_get_service (app, "auth");
  if (auth != NULL && QI_IS_AUTH_MANAGER (auth) && qi_auth_manager_get_authority (QI_AUTH_MANAGER (auth)) != NULL)
    authority = g_object_ref (qi_auth_manager_get_authority (QI_AUTH_MANAGER (auth)));
  else
    authority = qi_token_authority_new (error);
  if (authority == NULL)
    return NULL;

  server = qi_server_new (QI_HUB (hub), authority);
  g_object_set (server, "max-message-size", (guint64) max_message_size, NULL);
  /* A user token opens the server while its session is open: logged out
   * or replaced by a refresh, it is refused and its WebSockets close. */
  if (auth != NULL && QI_IS_AUTH_MANAGER (auth))
    {
      qi_server_set_token_check (server, check_token, g_object_ref (auth), g_object_unref);
      g_signal_connect_object (auth, "session-ended", G_CALLBACK (on_session_ended), server, 0);
    }
  /* The addons' REST routes, from phase 4. */
  {
    QiService *addons = qi_application_get_service (app, "addons");

    if (addons != NULL && QI_IS_ADDON_MANAGER (addons) &&
        qi_addon_manager_get_router (QI_ADDON_MANAGER (addons)) != NULL)
      g_object_set (server, "router", qi_addon_manager_get_router (QI_ADDON_MANAGER (addons)), NULL);
    if (addons != NULL && QI_IS_ADDON_MANAGER (addons))
      serve_addon_uis (server, QI_ADDON_MANAGER (addons));
  }
  /* A server runs on: a change to an override file by anyone is read
   * again and announced to its clients as config.changed. */
  {
    QiService *settings = qi_application_get_service (app, "settings");

    if (settings != NULL && QI_IS_SETTINGS (settings))
      qi_settings_set_watch (QI_SETTINGS (settings), TRUE);
  }
  if (!qi_server_listen (server, (guint) port, error))
    return NULL;

  token = qi_token_authority_issue (authority, "tool/local", NULL, scopes,
                                    LOCAL_TOOL_TOKEN_LIFETIME_S, error);
  if (token == NULL || !write_info_file (info_path, server, token, error))
    {
      qi_service_stop (QI_SERVICE (server));
      return NULL;
    }

  return g_steal_pointer (&server);
}

/*
 * qi_serve_remove_info_file:
 * @info_path: the info file qi_serve_start_server() wrote
 *
 * Removes the info file if this process wrote it; never one that
 * replaced it.
 */
void
qi_serve_remove_info_file (const char *info_path)
{
  pid_t owner = 0;

  if (read_info_file (info_path, &owner) == INFO_OURS && g_unlink (info_path) != 0 && errno != ENOENT)
    g_warning ("Could not remove “%s”: %s", info_path, g_strerror (errno));
}

static int
serve_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiApplication) app = g_weak_ref_get (user_data);
  g_autoptr(QiServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *info_path = NULL;
  g_autofree char *url = NULL;
  gint64 port = -1;
  guint sigint, sigterm;

  if (app == NULL || qi_application_get_launch_config (app) == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi serve: the application has not started\n"));
      return 1;
    }

  if (qi_cli_invocation_get_int (invocation, "port", &port) && (port < 0 || port > 65535))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi serve: --port: %" G_GINT64_FORMAT " is not a port number (0 to 65535; 0 picks a free port)\n"),
                                  port);
      return 2;
    }

  info_path = g_strdup (qi_cli_invocation_get_string (invocation, "info-file"));
  if (info_path == NULL)
    info_path = default_info_path ();

  server = qi_serve_start_server (app, port, info_path, &error);
  if (server == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi serve: %s\n", error->message);
      return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ? 2 : 1;
    }

  url = qi_server_dup_websocket_url (server);
  qi_cli_invocation_print (invocation, _("Serving the hub at %s (connection details in %s)\n"),
                           url, info_path);
  g_output_stream_flush (qi_cli_invocation_get_stdout (invocation), NULL, NULL);

  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  qi_service_stop (QI_SERVICE (server));
  qi_serve_remove_info_file (info_path);

  return 0;
}

void
qi_serve_verb_register (QiCliManager  *cli,
                        QiApplication *app)
{
  g_autoptr(QiCliVerb) verb = NULL;
  g_autoptr(GError) error = NULL;

  verb = qi_cli_verb_new ("serve", _("Run the hub and the local server without the GUI"),
                          serve_verb, qi_builtin_verbs_app_ref_new (app),
                          qi_builtin_verbs_app_ref_free);
  qi_cli_verb_set_description (verb,
    _("Serves the hub (WebSocket at /ws), the REST routes (/api/) and the UIs (/ui/) on "
      "127.0.0.1 until SIGINT or SIGTERM. Writes the URL, the pid and a token for local "
      "tools to the info file, by default $XDG_RUNTIME_DIR/qi/server.json, and removes it on exit."));
  qi_cli_verb_add_option (verb, "port", QI_CLI_OPTION_INT, _("PORT"),
                          _("The loopback port (0 picks a free one); default: the launch option --port"));
  qi_cli_verb_add_option (verb, "info-file", QI_CLI_OPTION_STRING, _("PATH"),
                          _("Where to write the connection details"));
  qi_cli_manager_add_verb (cli, verb, &error);
  g_assert_no_error (error);
}
