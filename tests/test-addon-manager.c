/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

/* QiAddonInfo and QiAddonManager on real addon folders made by the test:
 * metadata, kinds, shadowing, providers, dependency order and every way an
 * addon cannot load. Nothing here opens a module: the .so files are not
 * even ELF, and would crash a loader. */

typedef struct
{
  char           *root;
  char           *first;    /* a search path */
  char           *second;   /* another, of lower precedence */
  QiAddonManager *manager;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("qi-addons-XXXXXX", &error);
  g_assert_no_error (error);
  f->first = g_build_filename (f->root, "first", NULL);
  f->second = g_build_filename (f->root, "second", NULL);
  g_assert_cmpint (g_mkdir (f->first, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->second, 0700), ==, 0);
  f->manager = qi_addon_manager_new ();
  qi_addon_manager_add_search_path (f->manager, f->first);
  qi_addon_manager_add_search_path (f->manager, f->second);
  qi_addon_manager_add_search_path (f->manager, "/nonexistent/qi/addons");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->manager);
  qi_test_remove_tree (f->root);
  g_free (f->root);
  g_free (f->first);
  g_free (f->second);
}

/* Makes @path/@folder with an addon.toml of @toml (none if NULL). */
static char *
make_addon (const char *path,
            const char *folder,
            const char *toml)
{
  char *dir = g_build_filename (path, folder, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  if (toml != NULL)
    {
      g_autofree char *file = g_build_filename (dir, "addon.toml", NULL);

      qi_test_env_write (file, toml);
    }
  return dir;
}

static void
touch (const char *dir,
       const char *name,
       const char *contents)
{
  g_autofree char *file = g_build_filename (dir, name, NULL);

  qi_test_env_write (file, contents);
}

static QiAddonInfo *
lookup (Fixture    *f,
        const char *name)
{
  QiAddonInfo *info = qi_addon_manager_lookup (f->manager, name);

  g_assert_nonnull (info);
  return info;
}

static const char *
error_message (QiAddonInfo *info)
{
  const GError *error = qi_addon_info_get_error (info);

  g_assert_nonnull (error);
  return error->message;
}

static void
test_metadata (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *loader = make_addon (f->first, "loader-folder",
                                        "name = \"loader\"\n"
                                        "version = \"1.2.0\"\n"
                                        "description = \"Load published versions into the open scene\"\n"
                                        "roles = []\n"
                                        "hosts = [\"maya\", \"nuke\", \"blender\"]\n"
                                        "[dependencies]\n"
                                        "ui-kit = \">=1.0, <2\"\n");
  g_autofree char *kit = make_addon (f->first, "ui-kit", "version = \"1.4.1\"\n");
  g_autofree char *python = make_addon (f->first, "pyaddon", NULL);
  g_autofree char *expected_folder = g_build_filename (loader, "plugins", "publish", NULL);
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *text = NULL;
  QiAddonInfo *info;
  g_autofree char *version = NULL;
  const char * const hosts[] = { "maya", "nuke", "blender", NULL };
  const char * const dependencies[] = { "ui-kit", NULL };

  touch (loader, "loader.so", "not ELF: never opened while discovering");
  g_assert_cmpint (g_mkdir_with_parents (expected_folder, 0700), ==, 0);
  {
    g_autofree char *load = g_build_filename (loader, "plugins", "load", NULL);

    g_assert_cmpint (g_mkdir_with_parents (load, 0700), ==, 0);
  }
  touch (python, "addon.py", "raise SystemExit('never imported while discovering')\n");

  qi_addon_manager_discover (f->manager);

  info = lookup (f, "loader");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_DISCOVERED);
  g_assert_null (qi_addon_info_get_error (info));
  version = qi_semver_to_string (qi_addon_info_get_version (info));
  g_assert_cmpstr (version, ==, "1.2.0");
  g_assert_cmpstr (qi_addon_info_get_description (info), ==, "Load published versions into the open scene");
  g_assert_cmpint (qi_addon_info_get_kind (info), ==, QI_ADDON_KIND_NATIVE);
  g_assert_true (g_str_has_suffix (qi_addon_info_get_module_path (info), "/loader-folder/loader.so"));
  g_assert_cmpstrv (qi_addon_info_get_hosts (info), hosts);
  g_assert_cmpstrv (qi_addon_info_get_dependencies (info), dependencies);
  g_assert_cmpstr (qi_version_range_get_text (qi_addon_info_get_dependency_range (info, "ui-kit")), ==,
                   ">=1.0, <2");
  g_assert_false (qi_addon_info_has_role (info, "db"));
  /* Discovery does not look at the plugin folders; loading does. */
  g_assert_null (qi_addon_info_get_plugin_kinds (info));
  g_assert_null (qi_addon_info_dup_plugin_folder (info, "publish"));

  json = qi_addon_info_to_json (info);
  text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (text, "\"name\":\"loader\",\"version\":\"1.2.0\""));
  g_assert_nonnull (strstr (text, "\"kind\":\"native\""));
  g_assert_nonnull (strstr (text, "\"dependencies\":{\"ui-kit\":\">=1.0, <2\"}"));
  g_assert_nonnull (strstr (text, "\"state\":\"discovered\""));
  g_assert_nonnull (strstr (text, "\"plugins\":null"));

  /* No addon.toml: the folder names it; addon.py makes it Python. */
  info = lookup (f, "pyaddon");
  g_assert_cmpint (qi_addon_info_get_kind (info), ==, QI_ADDON_KIND_PYTHON);
  g_assert_null (qi_addon_info_get_version (info));
  info = lookup (f, "ui-kit");
  g_assert_cmpint (qi_addon_info_get_kind (info), ==, QI_ADDON_KIND_DATA);
}

static void
test_bad_metadata (Fixture       *f,
                   gconstpointer  data)
{
  struct {
    const char *folder;
    const char *toml;
    const char *message;   /* after "…/addon.toml:" */
  } cases[] = {
    { "broken", "name = \"broken\"\nversion = \n", "2:11: " },
    { "typo", "name = \"typo\"\nversoin = \"1.0.0\"\n", "2:11: unknown key “versoin”; did you mean “version”?" },
    { "badversion", "version = \"1.0\"\n", "1:11: " },
    { "badname", "name = \"Bad Name\"\n", "1:8: “Bad Name” is not an addon name" },
    { "badroles", "roles = \"db\"\n", "1:9: “roles” must be an array of strings" },
    { "badrange", "[dependencies]\nkit = \">=1.0, <<2\"\n", "2:7: " },
    { "selfdep", "[dependencies]\nselfdep = \"*\"\n", "2:11: an addon cannot depend on itself" },
    { "badmodule", "module = \"../../etc/passwd\"\n", "1:10: “module” must be a file in the addon's folder" },
    { "nomodule", "module = \"gone.so\"\n", "1:10: the module “" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (make_addon (f->first, cases[i].folder, cases[i].toml));
  qi_addon_manager_discover (f->manager);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      QiAddonInfo *info = lookup (f, cases[i].folder);
      g_autofree char *prefix = g_strdup_printf ("%s/%s/addon.toml:%s", f->first, cases[i].folder,
                                                 cases[i].message);
      const GError *error = qi_addon_info_get_error (info);

      g_test_message ("%s: %s", cases[i].folder, error != NULL ? error->message : "(none)");
      g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_FAILED);
      g_assert_true (g_error_matches (error, QI_ADDON_ERROR, QI_ADDON_ERROR_BAD_METADATA));
      g_assert_true (g_str_has_prefix (error->message, prefix));
    }

  /* A folder whose name cannot be an addon's, and nothing to rename it;
   * a folder with nothing of an addon is not one at all. */
  {
    g_autofree char *bad = make_addon (f->second, "Not An Addon", NULL);
    g_autofree char *logs = make_addon (f->second, "meson-logs", NULL);

    touch (bad, "addon.py", "");
    touch (logs, "meson-log.txt", "");
  }
  qi_addon_manager_discover (f->manager);
  g_assert_cmpint (qi_addon_info_get_state (lookup (f, "Not An Addon")), ==, QI_ADDON_STATE_FAILED);
  g_assert_null (qi_addon_manager_lookup (f->manager, "meson-logs"));
}

static void
test_shadowing (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) addons = NULL;

  g_free (make_addon (f->first, "loader", "version = \"2.0.0\"\n"));
  g_free (make_addon (f->second, "loader", "version = \"1.0.0\"\n"));
  qi_addon_manager_discover (f->manager);

  addons = qi_addon_manager_list_addons (f->manager);
  g_assert_cmpuint (addons->len, ==, 2);
  g_assert_true (lookup (f, "loader") == addons->pdata[0]);
  g_assert_cmpint (qi_addon_info_get_state (addons->pdata[0]), ==, QI_ADDON_STATE_DISCOVERED);
  g_assert_cmpint (qi_addon_info_get_state (addons->pdata[1]), ==, QI_ADDON_STATE_DISABLED);
  g_assert_true (g_str_has_prefix (error_message (addons->pdata[1]), "shadowed by the addon of the same name in “"));
}

static void
test_providers (Fixture       *f,
                gconstpointer  data)
{
  const char * const roles[] = { QI_ADDON_PROVIDER_ROLES, NULL };
  g_autoptr(GError) error = NULL;

  g_free (make_addon (f->first, "sqlite", "roles = [\"db\"]\n"));
  g_free (make_addon (f->first, "local-auth", "roles = [\"auth\"]\n"));
  qi_addon_manager_discover (f->manager);
  g_assert_true (qi_addon_manager_check_providers (f->manager, roles, &error));
  g_assert_no_error (error);

  /* Two trackers: fatal, and both are named. */
  g_free (make_addon (f->second, "ftrack", "roles = [\"db\", \"auth-hints\"]\n"));
  qi_addon_manager_discover (f->manager);
  g_assert_false (qi_addon_manager_check_providers (f->manager, roles, &error));
  g_assert_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS);
  g_assert_true (g_str_has_prefix (error->message, "2 addons provide the role “db”: “sqlite” ("));
  g_assert_nonnull (strstr (error->message, "“ftrack” ("));
  g_clear_error (&error);

  /* None: fatal too. */
  g_assert_false (qi_addon_manager_check_providers (f->manager, (const char * const []) { "render-farm", NULL },
                                                    &error));
  g_assert_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_PROVIDERS);
  g_assert_true (g_str_has_prefix (error->message, "no addon provides the role “render-farm” (searched: "));
  g_clear_error (&error);

  /* A provider whose metadata is broken does not count. */
  g_free (make_addon (f->second, "ftrack", "roles = [\"db\"\n"));
  qi_addon_manager_discover (f->manager);
  g_assert_true (qi_addon_manager_check_providers (f->manager, roles, &error));
}

static char *
order_of (GPtrArray *order)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < order->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? " " : "", qi_addon_info_get_name (order->pdata[i]));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_dependencies (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) order = NULL;
  g_autofree char *text = NULL;

  /* A chain, declared out of order. */
  g_free (make_addon (f->first, "app", "version = \"1.0.0\"\n[dependencies]\nlib = \"^2.1\"\n"));
  g_free (make_addon (f->first, "lib", "version = \"2.3.0\"\n[dependencies]\nbase = \">=1.0, <2\"\n"));
  g_free (make_addon (f->second, "base", "version = \"1.9.9\"\n"));
  /* A cycle, and an addon that needs it. */
  g_free (make_addon (f->first, "x", "version = \"1.0.0\"\n[dependencies]\ny = \"*\"\n"));
  g_free (make_addon (f->first, "y", "version = \"1.0.0\"\n[dependencies]\nx = \"*\"\n"));
  g_free (make_addon (f->first, "z", "version = \"1.0.0\"\n[dependencies]\nx = \"*\"\n"));
  /* A version conflict, a missing addon, a dependency without version. */
  g_free (make_addon (f->first, "old", "version = \"1.0.0\"\n[dependencies]\nlib = \">=3\"\n"));
  g_free (make_addon (f->first, "lonely", "[dependencies]\nnowhere = \"^1\"\n"));
  g_free (make_addon (f->first, "unversioned", ""));
  g_free (make_addon (f->first, "strict", "[dependencies]\nunversioned = \"^1\"\n"));
  /* Needs one that failed, two steps away. */
  g_free (make_addon (f->first, "top", "[dependencies]\nmiddle = \"*\"\n"));
  g_free (make_addon (f->first, "middle", "version = \"0.1.0\"\n[dependencies]\nold = \"*\"\n"));

  qi_addon_manager_discover (f->manager);
  order = qi_addon_manager_resolve (f->manager, NULL);
  text = order_of (order);
  g_assert_cmpstr (text, ==, "base lib app unversioned");

  g_assert_cmpstr (error_message (lookup (f, "x")), ==, "dependency cycle: x → y → x");
  g_assert_cmpstr (error_message (lookup (f, "y")), ==, "dependency cycle: x → y → x");
  g_assert_true (g_error_matches (qi_addon_info_get_error (lookup (f, "x")), QI_ADDON_ERROR, QI_ADDON_ERROR_CYCLE));
  g_assert_cmpstr (error_message (lookup (f, "z")), ==,
                   "needs “x”, which cannot load: dependency cycle: x → y → x");
  g_assert_true (g_str_has_prefix (error_message (lookup (f, "old")), "needs “lib” >=3, but “lib” is version 2.3.0 ("));
  g_assert_cmpstr (error_message (lookup (f, "lonely")), ==,
                   "needs the addon “nowhere” (^1), which is not installed");
  g_assert_cmpstr (error_message (lookup (f, "strict")), ==,
                   "needs “unversioned” ^1, but “unversioned” names no version in its addon.toml");
  g_assert_true (g_str_has_prefix (error_message (lookup (f, "top")),
                                   "needs “middle”, which cannot load: needs “old”, which cannot load: needs “lib” >=3"));
  g_assert_cmpint (qi_addon_info_get_state (lookup (f, "app")), ==, QI_ADDON_STATE_DISCOVERED);
}

static void
test_allow_list (Fixture       *f,
                 gconstpointer  data)
{
  const char * const allowed[] = { "app", "tool", NULL };
  g_autoptr(GPtrArray) order = NULL;
  g_autofree char *text = NULL;

  g_free (make_addon (f->first, "app", "version = \"1.0.0\"\n"));
  g_free (make_addon (f->first, "lib", "version = \"1.0.0\"\n"));
  g_free (make_addon (f->first, "tool", "[dependencies]\nlib = \"1.0.0\"\n"));
  qi_addon_manager_discover (f->manager);
  order = qi_addon_manager_resolve (f->manager, allowed);
  text = order_of (order);

  g_assert_cmpstr (text, ==, "app");
  g_assert_cmpint (qi_addon_info_get_state (lookup (f, "lib")), ==, QI_ADDON_STATE_DISABLED);
  g_assert_cmpstr (error_message (lookup (f, "lib")), ==, "not in the bundle");
  g_assert_cmpstr (error_message (lookup (f, "tool")), ==, "needs the addon “lib”, which the bundle leaves out");
}

/* --- Loading the native addons built with the tests (tests/addons). */

typedef struct
{
  gboolean  done;
  JsonNode *payload;
  GError   *error;
} Answer;

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Answer *answer = user_data;

  answer->payload = qi_hub_request_finish (QI_HUB (source), result, &answer->error);
  answer->done = TRUE;
}

static JsonNode *
ask (QiHub       *hub,
     const char  *topic,
     const char  *payload,
     GError     **error)
{
  g_autoptr(JsonNode) node = json_from_string (payload, NULL);
  Answer answer = { 0 };

  qi_hub_request_async (hub, topic, node, 2000, NULL, on_answer, &answer);
  while (!answer.done)
    g_main_context_iteration (NULL, TRUE);
  if (answer.error != NULL)
    g_propagate_error (error, answer.error);
  return answer.payload;
}

static void
noop_route (QiRestRequest *request,
            gpointer       user_data)
{
}

static void
test_native (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiCliManager) cli = qi_cli_manager_new ();
  g_autoptr(QiRestRouter) router = qi_rest_router_new ();
  g_autoptr(QiAddonManager) manager = qi_addon_manager_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *text = NULL;
  QiAddonInfo *info;

  /* A data addon that needs the failing one, beside the built modules. */
  g_free (make_addon (f->first, "needs-failing", "version = \"1.0.0\"\n[dependencies]\nfailing = \"^1\"\n"));
  g_free (make_addon (f->first, "plain", "version = \"1.0.0\"\n"));
  g_free (make_addon (f->first, "needs-badinstall", "version = \"1.0.0\"\n[dependencies]\nbadinstall = \"1.0.0\"\n"));
  qi_addon_manager_add_search_path (manager, built);
  qi_addon_manager_add_search_path (manager, f->first);
  g_object_set (manager, "hub", hub, "cli-manager", cli, "router", router, NULL);
  qi_addon_manager_discover (manager);
  qi_addon_manager_load (manager, NULL);

  info = qi_addon_manager_lookup (manager, "hello");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_LOADED);
  g_assert_null (qi_addon_info_get_error (info));
  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (manager, "plain")), ==, QI_ADDON_STATE_LOADED);

  info = qi_addon_manager_lookup (manager, "failing");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_FAILED);
  g_assert_cmpstr (error_message (info), ==, "register: the render farm is not configured");
  info = qi_addon_manager_lookup (manager, "needs-failing");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_FAILED);
  g_assert_cmpstr (error_message (info), ==,
                   "needs “failing”, which failed to load: register: the render farm is not configured");

  /* Failing in install withdraws what register added, and takes its
   * dependents with it. */
  info = qi_addon_manager_lookup (manager, "badinstall");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_FAILED);
  g_assert_cmpstr (error_message (info), ==, "install: the cache folder is full");
  g_assert_null (qi_cli_manager_lookup_verb (cli, "badinstall"));
  info = qi_addon_manager_lookup (manager, "needs-badinstall");
  g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_FAILED);
  g_assert_cmpstr (error_message (info), ==, "needs “badinstall”, which failed to install");

  info = qi_addon_manager_lookup (manager, "oldabi");
  g_assert_true (g_error_matches (qi_addon_info_get_error (info), QI_ADDON_ERROR, QI_ADDON_ERROR_ABI));
  g_assert_cmpstr (error_message (info), ==,
                   "the module was built for Qi addon ABI 42, this Qi has ABI 1: rebuild it against libqi-1");
  info = qi_addon_manager_lookup (manager, "nosymbol");
  g_assert_true (g_error_matches (qi_addon_info_get_error (info), QI_ADDON_ERROR, QI_ADDON_ERROR_MODULE));
  g_assert_true (g_str_has_suffix (error_message (info),
                                   "nosymbol.so” is not a Qi addon module: it does not export qi_addon_abi_version "
                                   "and qi_addon_module_register (see QI_ADDON_MODULE_DEFINE)"));

  /* What hello added works; what failing added is gone. */
  reply = ask (hub, "hello.greet", "{\"name\":\"Ada\"}", &error);
  g_assert_no_error (error);
  text = json_to_string (reply, FALSE);
  g_assert_cmpstr (text, ==, "{\"greeting\":\"hello, Ada\"}");
  g_assert_nonnull (qi_cli_manager_lookup_verb (cli, "hello"));
  g_assert_null (qi_cli_manager_lookup_verb (cli, "failing"));
  g_assert_false (qi_rest_router_add_route (router, "GET", "/api/hello/{who}", noop_route, NULL, NULL, NULL));
  g_assert_true (qi_rest_router_add_route (router, "GET", "/api/failing", noop_route, NULL, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (hub, "failing.ask", "{}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_clear_error (&error);
  reply = ask (hub, "badinstall.ask", "{}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_clear_error (&error);
  g_assert_true (QI_IS_ADDON (qi_addon_manager_get_addon (manager, "hello")));
  g_assert_null (qi_addon_manager_get_addon (manager, "failing"));

  /* Closing removes everything the addons added. */
  qi_addon_manager_close_all (manager);
  g_assert_null (qi_cli_manager_lookup_verb (cli, "hello"));
  g_assert_true (qi_rest_router_add_route (router, "GET", "/api/hello/{who}", noop_route, NULL, NULL, &error));
  g_assert_no_error (error);
  reply = ask (hub, "hello.greet", "{}", &error);
  g_assert_error (error, QI_HUB_ERROR, QI_HUB_ERROR_NO_HANDLER);
  g_clear_error (&error);

  /* And a second load opens the module again. */
  g_assert_true (qi_rest_router_remove_route (router, "GET", "/api/hello/{who}"));
  qi_addon_manager_discover (manager);
  qi_addon_manager_load (manager, (const char * const []) { "hello", NULL });
  info = qi_addon_manager_lookup (manager, "hello");
  if (qi_addon_info_get_error (info) != NULL)
    g_test_message ("hello: %s", error_message (info));
  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (manager, "hello")), ==, QI_ADDON_STATE_LOADED);
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (hub, "hello.greet", "{}", &error);
  g_assert_no_error (error);
}

static void
on_tray_changed (QiMessage *event,
                 gpointer   user_data)
{
  g_ptr_array_add (user_data, json_to_string (qi_message_get_payload (event), FALSE));
}

static void
on_activated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Answer *answer = user_data;

  answer->payload = qi_addon_manager_activate_tray_item_finish (QI_ADDON_MANAGER (source), result, &answer->error);
  answer->done = TRUE;
}

/* Asks @topic with @payload; returns the reply as compact JSON, or the
 * error's code and message. */
static char *
ask_text (QiHub      *hub,
          const char *topic,
          const char *payload)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = ask (hub, topic, payload, &error);

  if (reply == NULL)
    return g_strdup_printf ("error %s: %s", qi_hub_error_code_to_string (error->code), error->message);
  return json_to_string (reply, FALSE);
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The kinds addon (tests/addons/kinds) through the real manager and hub:
 * plugin folders, tray items, a host, a workfile handler; the rivals that
 * claim its host and its files fail and leave nothing. */
static void
test_kinds (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *kinds_dir = g_build_filename (built, "kinds", NULL);
  g_autofree char *publish = g_build_filename (kinds_dir, "plugins", "publish", NULL);
  g_autofree char *plugin_folder = g_build_filename (kinds_dir, "host", "kinds-dcc", NULL);
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiCliManager) cli = qi_cli_manager_new ();
  g_autoptr(QiRestRouter) router = qi_rest_router_new ();
  g_autoptr(QiAddonManager) manager = qi_addon_manager_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *v001 = g_build_filename (f->root, "sh010_v001.kscene", NULL);
  const char *tray = "[{\"id\":\"kinds/hello\",\"addon\":\"kinds\",\"label\":\"Say hello\",\"topic\":\"kinds.tray.clicked\"},"
                     "{\"id\":\"kinds/publish\",\"addon\":\"kinds\",\"label\":\"Publish…\",\"topic\":\"kinds.tray.clicked\"}]";

  g_assert_cmpuint (qi_hub_subscribe (hub, "addons.tray.changed", on_tray_changed, events, NULL, &error), !=, 0);
  g_assert_no_error (error);
  qi_addon_manager_add_search_path (manager, built);
  g_object_set (manager, "hub", hub, "cli-manager", cli, "router", router, NULL);
  qi_addon_manager_discover (manager);
  g_assert_null (qi_addon_info_get_plugin_kinds (qi_addon_manager_lookup (manager, "kinds")));
  qi_addon_manager_load (manager, (const char * const []) { "kinds", "rival-host", "rival-workfile", NULL });

  g_assert_cmpint (qi_addon_info_get_state (qi_addon_manager_lookup (manager, "kinds")), ==, QI_ADDON_STATE_LOADED);
  g_assert_cmpstr (error_message (qi_addon_manager_lookup (manager, "rival-host")), ==,
                   "register: the addon “kinds” provides the host “kinds-dcc” already; “rival-host” cannot "
                   "provide it too");
  g_assert_true (g_error_matches (qi_addon_info_get_error (qi_addon_manager_lookup (manager, "rival-host")),
                                  QI_ADDON_ERROR, QI_ADDON_ERROR_CONFLICT));
  g_assert_cmpstr (error_message (qi_addon_manager_lookup (manager, "rival-workfile")), ==,
                   "register: the addon “kinds” handles “.kscene” files of the host kinds-dcc already "
                   "(“kinds-scenes”); “rival-workfile” cannot handle them too (“rival-scenes”)");

  /* Plugin folders, found at load, in load order; a kind is checked. */
  {
    g_auto(GStrv) dirs = qi_addon_manager_list_plugin_dirs (manager, "publish", &error);
    g_auto(GStrv) none = qi_addon_manager_list_plugin_dirs (manager, "create", &error);

    g_assert_no_error (error);
    g_assert_cmpstrv (dirs, ((const char * const []) { publish, NULL }));
    g_assert_cmpstrv (none, ((const char * const []) { NULL }));
    g_assert_null (qi_addon_manager_list_plugin_dirs (manager, "publsh", &error));
    g_assert_error (error, QI_ADDON_ERROR, QI_ADDON_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==,
                     "“publsh” is not a plugin kind; the kinds are create, load, hooks, publish, actions");
    g_clear_error (&error);
  }
  text = ask_text (hub, "addons.plugin_dirs", "{\"kind\":\"publish\"}");
  expected = g_strdup_printf ("{\"dirs\":[{\"addon\":\"kinds\",\"path\":\"%s\"}]}", publish);
  g_assert_cmpstr (text, ==, expected);
  g_free (text);
  text = ask_text (hub, "addons.plugin_dirs", "{\"kind\":\"scripts\"}");
  g_assert_true (g_str_has_prefix (text, "error bad_message: “scripts” is not a plugin kind; the kinds are create"));
  g_free (text);
  text = ask_text (hub, "addons.plugin_dirs", "{\"kind\":3}");
  g_assert_cmpstr (text, ==, "error bad_message: addons.plugin_dirs: “kind” must be a string");

  /* Tray items: the rivals' were withdrawn with them; one event for the load. */
  {
    g_autoptr(JsonNode) items = qi_addon_manager_list_tray_items (manager);

    g_free (text);
    text = json_to_string (items, FALSE);
    g_assert_cmpstr (text, ==, tray);
  }
  drain ();
  g_assert_cmpuint (events->len, ==, 1);
  g_free (expected);
  expected = g_strdup_printf ("{\"items\":%s}", tray);
  g_assert_cmpstr (events->pdata[0], ==, expected);
  g_free (text);
  text = ask_text (hub, "addons.tray_items", "{}");
  g_assert_cmpstr (text, ==, expected);
  {
    Answer answer = { 0 };
    g_autofree char *reply = NULL;

    qi_addon_manager_activate_tray_item_async (manager, "kinds/hello", NULL, on_activated, &answer);
    while (!answer.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_no_error (answer.error);
    reply = json_to_string (answer.payload, FALSE);
    g_assert_cmpstr (reply, ==, "{\"clicked\":\"kinds/hello\"}");
    json_node_unref (answer.payload);
  }
  g_free (text);
  text = ask_text (hub, "addons.tray.activate", "{\"id\":\"kinds/publish\"}");
  g_assert_cmpstr (text, ==, "{\"clicked\":\"kinds/publish\"}");
  g_free (text);
  text = ask_text (hub, "addons.tray.activate", "{\"id\":\"rival-host/rival\"}");
  g_assert_cmpstr (text, ==, "error handler_failed: no tray item “rival-host/rival”: the ids are ADDON/ID, "
                   "as addons.tray_items lists them");

  /* The host. */
  {
    g_autoptr(GPtrArray) hosts = qi_addon_manager_list_hosts (manager);
    QiHost *host = qi_addon_manager_lookup_host (manager, "kinds-dcc");

    g_assert_cmpuint (hosts->len, ==, 1);
    g_assert_true (hosts->pdata[0] == host);
    g_assert_cmpstr (qi_host_get_addon (host), ==, "kinds");
    g_assert_cmpstr (qi_host_get_plugin_folder (host), ==, plugin_folder);
    g_assert_null (qi_addon_manager_lookup_host (manager, "rival"));
  }
  g_free (text);
  text = ask_text (hub, "addons.hosts", "{}");
  g_free (expected);
  expected = g_strdup_printf ("{\"hosts\":[{\"name\":\"kinds-dcc\",\"label\":\"Kinds DCC\",\"addon\":\"kinds\","
                              "\"executables\":[\"kinds-dcc-is-not-installed\",\"/bin/sh\"],"
                              "\"plugin_folder\":\"%s\",\"environment\":["
                              "{\"name\":\"PYTHONPATH\",\"op\":\"prepend\",\"value\":\"{plugin_folder}\"},"
                              "{\"name\":\"KINDS_DCC_ADDON\",\"op\":\"set\",\"value\":\"{addon_folder}\"}],"
                              "\"menu\":[{\"label\":\"Say hello\",\"topic\":\"kinds.tray.clicked\"}],"
                              "\"executable\":\"/bin/sh\"}]}", plugin_folder);
  g_assert_cmpstr (text, ==, expected);
  {
    g_autoptr(JsonNode) reply = ask (hub, "addons.host.environment", "{\"host\":\"kinds-dcc\"}", &error);
    JsonObject *changes;

    g_assert_no_error (error);
    changes = json_object_get_object_member (json_node_get_object (reply), "changes");
    g_assert_true (g_str_has_prefix (json_object_get_string_member (changes, "PYTHONPATH"), plugin_folder));
    g_assert_cmpstr (json_object_get_string_member (changes, "KINDS_DCC_ADDON"), ==, kinds_dir);
    g_assert_cmpstr (json_object_get_string_member (changes, "KINDS_DCC_LICENSE"), ==, "floating");
    g_assert_cmpstr (json_object_get_string_member (changes, "QI_HOST"), ==, "kinds-dcc");
  }
  g_free (text);
  text = ask_text (hub, "addons.host.environment", "{\"host\":\"maya\"}");
  g_assert_cmpstr (text, ==, "error handler_failed: no host “maya”; addons.hosts lists them");

  /* Workfiles, dispatched by extension (and host). */
  {
    QiWorkfileHandler *handler = qi_addon_manager_lookup_workfile_handler (manager, v001, NULL, &error);
    g_autoptr(GPtrArray) handlers = qi_addon_manager_list_workfile_handlers (manager);

    g_assert_no_error (error);
    g_assert_cmpstr (qi_workfile_handler_get_name (handler), ==, "kinds-scenes");
    g_assert_true (handlers->len == 1 && handlers->pdata[0] == handler);
    g_assert_true (qi_addon_manager_lookup_workfile_handler (manager, "/x/a_v1.KSCN", "kinds-dcc", &error) == handler);
    g_assert_null (qi_addon_manager_lookup_workfile_handler (manager, v001, "maya", &error));
    g_assert_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_HANDLER);
    g_clear_error (&error);
    g_assert_null (qi_addon_manager_lookup_workfile_handler (manager, "/x/comp_v001.nk", NULL, &error));
    g_assert_cmpstr (error->message, ==, "no workfile handler takes “/x/comp_v001.nk”");
    g_clear_error (&error);
  }
  g_free (text);
  text = ask_text (hub, "addons.workfile.handlers", "{}");
  g_assert_cmpstr (text, ==, "{\"handlers\":[{\"name\":\"kinds-scenes\",\"host\":\"kinds-dcc\","
                             "\"extensions\":[\".kscene\",\".kscn\"],\"addon\":\"kinds\"}]}");
  {
    g_autofree char *payload = g_strdup_printf ("{\"path\":\"%s\"}", v001);
    g_autofree char *with_host = g_strdup_printf ("{\"path\":\"%s\",\"host\":\"kinds-dcc\"}", v001);
    g_autofree char *v002 = g_build_filename (f->root, "sh010_v002.kscene", NULL);
    g_autofree char *v005 = g_build_filename (f->root, "sh010_v005.kscene", NULL);
    g_autofree char *v006 = g_build_filename (f->root, "sh010_v006.kscene", NULL);
    g_autofree char *plain = g_strdup_printf ("{\"path\":\"%s/notes.kscene\"}", f->root);

    g_free (text);
    text = ask_text (hub, "addons.workfile.save", payload);
    g_free (expected);
    expected = g_strdup_printf ("{\"path\":\"%s\",\"addon\":\"kinds\",\"handler\":\"kinds-scenes\"}", v001);
    g_assert_cmpstr (text, ==, expected);
    g_assert_true (g_file_test (v001, G_FILE_TEST_IS_REGULAR));

    g_free (text);
    text = ask_text (hub, "addons.workfile.version_up", with_host);
    g_free (expected);
    expected = g_strdup_printf ("{\"path\":\"%s\",\"addon\":\"kinds\",\"handler\":\"kinds-scenes\"}", v002);
    g_assert_cmpstr (text, ==, expected);
    g_assert_true (g_file_test (v002, G_FILE_TEST_IS_REGULAR));

    /* Someone saved v005 meanwhile: the next version up goes past it. */
    qi_test_env_write (v005, "someone else's\n");
    g_free (text);
    text = ask_text (hub, "addons.workfile.version_up", payload);
    g_assert_nonnull (strstr (text, "sh010_v006.kscene"));
    g_free (text);
    text = ask_text (hub, "addons.workfile.next_version", payload);
    g_assert_nonnull (strstr (text, "sh010_v007.kscene"));

    g_free (text);
    text = ask_text (hub, "addons.workfile.open", payload);
    g_assert_true (g_str_has_prefix (text, "{\"path\":"));
    g_free (text);
    text = ask_text (hub, "kinds.scene.current", "{}");
    g_free (expected);
    expected = g_strdup_printf ("{\"path\":\"%s\"}", v001);
    g_assert_cmpstr (text, ==, expected);

    /* Revert reopens the latest saved version. */
    g_free (text);
    text = ask_text (hub, "addons.workfile.revert", payload);
    g_assert_nonnull (strstr (text, "sh010_v006.kscene"));
    g_free (text);
    text = ask_text (hub, "kinds.scene.current", "{}");
    g_free (expected);
    expected = g_strdup_printf ("{\"path\":\"%s\"}", v006);
    g_assert_cmpstr (text, ==, expected);

    g_free (text);
    text = ask_text (hub, "addons.workfile.version_up", plain);
    g_assert_true (g_str_has_prefix (text, "error handler_failed: “notes.kscene” has no version in its name"));
    g_free (text);
    text = ask_text (hub, "addons.workfile.open", "{\"path\":\"/x/comp_v001.nk\"}");
    g_assert_cmpstr (text, ==, "error handler_failed: no workfile handler takes “/x/comp_v001.nk”");
    g_free (text);
    text = ask_text (hub, "addons.workfile.save", "{}");
    g_assert_cmpstr (text, ==, "error bad_message: addons.workfile.save: “path” must be a string");
  }

  /* What it contributes. */
  {
    g_autoptr(JsonNode) contributions = qi_addon_describe_contributions (qi_addon_manager_get_addon (manager, "kinds"));

    g_free (text);
    text = json_to_string (contributions, FALSE);
    g_assert_true (g_str_has_prefix (text, "{\"verbs\":[],\"routes\":[],\"tray_items\":[\"hello\",\"publish\"],"
                                           "\"hosts\":[\"kinds-dcc\"],\"workfile_handlers\":[{\"name\":\"kinds-scenes\""));
    g_assert_nonnull (strstr (text, "\"plugin_dirs\":{\"load\":\""));
  }

  /* Closing withdraws all of it, and the tray hears of it. */
  qi_addon_manager_close_all (manager);
  drain ();
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (events->pdata[1], ==, "{\"items\":[]}");
  {
    g_autoptr(GPtrArray) hosts = qi_addon_manager_list_hosts (manager);
    g_autoptr(GPtrArray) handlers = qi_addon_manager_list_workfile_handlers (manager);
    g_auto(GStrv) dirs = qi_addon_manager_list_plugin_dirs (manager, "publish", NULL);

    g_assert_cmpuint (hosts->len, ==, 0);
    g_assert_cmpuint (handlers->len, ==, 0);
    g_assert_cmpstrv (dirs, ((const char * const []) { NULL }));
  }
  g_free (text);
  text = ask_text (hub, "addons.tray_items", "{}");
  g_assert_cmpstr (text, ==, "{\"items\":[]}");
  g_free (text);
  text = ask_text (hub, "kinds.tray.clicked", "{}");
  g_assert_true (g_str_has_prefix (text, "error no_handler: "));
}

static const char *
state_of (const char *json,
          const char *name,
          const char **message)
{
  static char state[32];
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  JsonArray *addons = json_node_get_array (root);

  for (guint i = 0; i < json_array_get_length (addons); i++)
    {
      JsonObject *addon = json_array_get_object_element (addons, i);

      if (g_str_equal (json_object_get_string_member (addon, "name"), name))
        {
          static char text[1024];
          JsonNode *error = json_object_get_member (addon, "error");

          g_strlcpy (state, json_object_get_string_member (addon, "state"), sizeof state);
          g_strlcpy (text, JSON_NODE_HOLDS_NULL (error) ? "" : json_node_get_string (error), sizeof text);
          if (message != NULL)
            *message = text;
          return state;
        }
    }
  return "absent";
}

/* `qi --headless addons list --json` and `addons info`, as a user runs them. */
static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *paths = g_strconcat (built, ":", f->first, NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *config = g_build_filename (f->root, "config", NULL);
  g_autofree char *data_home = g_build_filename (f->root, "data", NULL);
  JsonArray *addons;
  guint seen = 0;

  g_free (make_addon (f->first, "broken", "version = \n"));
  g_subprocess_launcher_setenv (launcher, "QI_ADDON_PATH", paths, TRUE);
  g_subprocess_launcher_setenv (launcher, "QI_CONFIG_DIR", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"),
                                         "--headless", "addons", "list", "--json", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_null (strstr (err, "CRITICAL"));
  g_assert_null (strstr (err, "WARNING"));

  root = json_from_string (out, &error);
  g_assert_no_error (error);
  addons = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (addons); i++)
    {
      JsonObject *addon = json_array_get_object_element (addons, i);
      const char *name = json_object_get_string_member (addon, "name");
      const char *state = json_object_get_string_member (addon, "state");

      if (g_str_equal (name, "hello"))
        {
          g_assert_cmpstr (state, ==, "loaded");
          seen++;
        }
      else if (g_str_equal (name, "failing") || g_str_equal (name, "oldabi") || g_str_equal (name, "badinstall") ||
               g_str_equal (name, "nosymbol") || g_str_equal (name, "broken"))
        {
          g_assert_cmpstr (state, ==, "failed");
          g_assert_nonnull (json_object_get_string_member (addon, "error"));
          seen++;
        }
    }
  g_assert_cmpuint (seen, ==, 6);

  /* An addon's verb, through the bootstrap's phase 4. */
  g_clear_object (&process);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), "--headless", "hello", NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpstr (out, ==, "hello from an addon\n");

  /* The hosts verbs and what addons info says an addon contributes. */
  {
    g_autoptr(JsonNode) hosts = NULL;
    JsonObject *host;

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "hosts", "list", "--json", NULL), ==, 0);
    hosts = json_from_string (out, &error);
    g_assert_no_error (error);
    /* the test addon's, and those of the first-party host addons (QI_ADDON_DIR) */
    host = NULL;
    for (guint i = 0; i < json_array_get_length (json_node_get_array (hosts)); i++)
      {
        JsonObject *each = json_array_get_object_element (json_node_get_array (hosts), i);

        if (g_str_equal (json_object_get_string_member (each, "addon"), "kinds"))
          {
            g_assert_null (host);
            host = each;
          }
        else
          g_assert_true (g_str_has_prefix (json_object_get_string_member (each, "addon"), "host-"));
      }
    g_assert_nonnull (host);
    g_assert_cmpstr (json_object_get_string_member (host, "name"), ==, "kinds-dcc");
    g_assert_cmpstr (json_object_get_string_member (host, "addon"), ==, "kinds");
    g_assert_cmpstr (json_object_get_string_member (host, "executable"), ==, "/bin/sh");

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "hosts", "list", NULL), ==, 0);
    g_assert_true (g_str_has_prefix (out, "NAME "));
    g_assert_nonnull (strstr (out, "\nkinds-dcc        Kinds DCC                kinds                /bin/sh\n"));

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "hosts", "env", "kinds-dcc", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "/kinds/host/kinds-dcc"));
    g_assert_nonnull (strstr (out, "\nQI_HOST=kinds-dcc\n"));
    g_assert_nonnull (strstr (out, "\nKINDS_DCC_LICENSE=floating\n"));
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "hosts", "env", "kinds-cad", NULL), ==, 1);
    g_assert_cmpstr (err, ==, "qi hosts env: no host “kinds-cad”; “qi --headless hosts list” shows them\n");
    g_subprocess_launcher_setenv (launcher, "KINDS_DCC_NO_LICENSE", "1", TRUE);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "hosts", "env", "kinds-dcc", NULL), ==, 1);
    g_assert_cmpstr (err, ==, "qi hosts env: kinds-dcc has no licence on this machine\n");
    g_subprocess_launcher_unsetenv (launcher, "KINDS_DCC_NO_LICENSE");

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "info", "kinds", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "\ncontributes\n  verbs              -\n"));
    g_assert_nonnull (strstr (out, "\n  tray_items         hello, publish\n"));
    g_assert_nonnull (strstr (out, "\n  hosts              kinds-dcc\n"));
    g_assert_nonnull (strstr (out, "\n  workfile_handlers  kinds-scenes [\".kscene\",\".kscn\"]\n"));
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "list", "--json", NULL), ==, 0);
    g_assert_nonnull (strstr (out, "\"tray_items\": [\n        \"hello\",\n        \"publish\"\n      ]"));
    g_assert_nonnull (strstr (out, "\"contributes\": null"));
  }

  /* A command that needs no addon loads none. */
  g_clear_object (&process);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "QiBootstrap", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), "--headless", "version", NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (err, "“version” needs no addon: no bundle is read and no addon is loaded"));
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  g_clear_object (&process);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"),
                                         "--headless", "addons", "info", "nothing-here", NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_cmpstr (err, ==, "qi addons info: no addon “nothing-here”; “qi --headless addons list” shows them\n");

  /* addons new: refuses a bad name, another language, an existing
   * folder; writes the whole scaffold otherwise. */
  {
    g_autofree char *made = g_build_filename (f->second, "demo-tool", NULL);
    g_autofree char *source = g_build_filename (made, "src", "demo-tool.c", NULL);
    g_autofree char *publish = g_build_filename (made, "plugins", "publish", NULL);
    g_autofree char *contents = NULL;
    struct {
      const char *name;
      const char *lang;
      int         status;
      const char *message;
    } cases[] = {
      { "Demo Tool", "c", 2, "qi addons new: “Demo Tool” is not an addon name" },
      { "3d-tools", "c", 2, "qi addons new: “3d-tools” is not an addon name" },
      { "demo-tool", "rust", 2, "qi addons new: --lang rust: the languages are c and python" },
      { "demo-tool", "c", 0, NULL },
      { "demo-tool", "c", 1, "qi addons new: “" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_clear_object (&process);
        process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), "--headless", "addons",
                                               "new", cases[i].name, "--lang", cases[i].lang,
                                               "--dir", f->second, NULL);
        g_assert_no_error (error);
        g_clear_pointer (&out, g_free);
        g_clear_pointer (&err, g_free);
        g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
        g_assert_no_error (error);
        g_test_message ("addons new %s --lang %s: %s", cases[i].name, cases[i].lang, err);
        g_assert_cmpint (g_subprocess_get_exit_status (process), ==, cases[i].status);
        if (cases[i].message != NULL)
          g_assert_true (g_str_has_prefix (err, cases[i].message));
      }
    g_assert_true (g_str_has_suffix (err, "demo-tool” exists; nothing was written\n"));
    g_assert_true (g_file_get_contents (source, &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "G_DEFINE_DYNAMIC_TYPE (DemoToolAddon, demo_tool_addon, QI_TYPE_ADDON)"));
    g_assert_nonnull (strstr (contents, "QI_ADDON_MODULE_DEFINE (demo_tool_register)"));
    g_assert_true (g_file_test (publish, G_FILE_TEST_IS_DIR));

    /* a tracker: native, of both provider roles; other roles refused */
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "new", "kitsu", "--lang",
                                     "python", "--role", "db", "--dir", f->second, NULL), ==, 2);
    g_assert_cmpstr (err, ==, "qi addons new: a tracker (--role db) is a native addon: use --lang c\n");
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "new", "kitsu", "--lang",
                                     "c", "--role", "render", "--dir", f->second, NULL), ==, 2);
    g_assert_true (g_str_has_prefix (err, "qi addons new: --role render: "));
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "new", "kitsu", "--lang",
                                     "c", "--role", "db", "--dir", f->second, NULL), ==, 0);
    {
      g_autofree char *toml_path = g_build_filename (f->second, "kitsu", "addon.toml", NULL);
      g_autofree char *tracker = g_build_filename (f->second, "kitsu", "src", "kitsu.c", NULL);
      g_autofree char *toml = NULL;
      g_autofree char *code = NULL;

      g_assert_true (g_file_get_contents (toml_path, &toml, NULL, NULL));
      g_assert_nonnull (strstr (toml, "roles = [\"db\", \"auth\"]"));
      g_assert_true (g_file_get_contents (tracker, &code, NULL, NULL));
      g_assert_nonnull (strstr (code, "G_IMPLEMENT_INTERFACE_DYNAMIC (QI_TYPE_DB_ADAPTER"));
      g_assert_nonnull (strstr (code, "qi_addon_provide_login (addon, QI_AUTH_PROVIDER (login), error)"));
    }
  }

  /* A production bundle picks the addons and pins their versions. */
  {
    const char *message = NULL;

    g_assert_cmpint (g_mkdir_with_parents (config, 0700), ==, 0);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "bundles", "create", "prod",
                             "--addon", "hello=1.0.0", "--addon", "tracker-sqlite=" QI_VERSION_S, NULL), ==, 0);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "bundles", "set-state", "prod",
                             "production", NULL), ==, 0);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "list", "--json", NULL), ==, 0);
    g_assert_cmpstr (state_of (out, "hello", NULL), ==, "loaded");
    g_assert_cmpstr (state_of (out, "failing", &message), ==, "disabled");
    g_assert_cmpstr (message, ==, "not in the bundle");
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "hello", NULL), ==, 0);

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "bundles", "create", "pinned",
                             "--addon", "hello=2.0.0", "--addon", "tracker-sqlite=" QI_VERSION_S, NULL), ==, 0);
    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--bundle", "pinned",
                             "addons", "list", "--json", NULL), ==, 0);
    g_assert_cmpstr (state_of (out, "hello", &message), ==, "failed");
    g_assert_cmpstr (message, ==, "the bundle “pinned” pins version 2.0.0, but this is 1.0.0");

    g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--bundle", "nope", "hello", NULL), ==, 1);
    g_assert_nonnull (strstr (err, "nope"));
    /* version reads no bundle, so even a broken bundles.json leaves it be. */
    {
      g_autofree char *file = g_build_filename (config, "bundles.json", NULL);

      qi_test_env_write (file, "{ not json");
      g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "version", NULL), ==, 0);
      g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "list", NULL), ==, 1);
      g_assert_true (g_str_has_prefix (err, "qi: "));
      g_assert_nonnull (strstr (err, "bundles.json"));
      g_unlink (file);
    }
  }

  /* Two more trackers and no bundle: the embedded one is the run's, the
   * others stay out of it, saying why. */
  g_free (make_addon (f->first, "tracker-a", "version = \"1.0.0\"\nroles = [\"db\", \"auth\"]\n"));
  g_free (make_addon (f->first, "tracker-b", "version = \"1.0.0\"\nroles = [\"db\", \"auth\"]\n"));
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "addons", "info", "tracker-a", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "not the run's tracker (that is “tracker-sqlite”; choose with --tracker NAME or "
                                 "the bundle)"));

  /* a bundle that holds both: Qi stops at phase 1 and names them */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "bundles", "create", "two", "--addon",
                                   "tracker-a=1.0.0", "--addon", "tracker-b=1.0.0", NULL), ==, 0);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--bundle", "two", "status", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "qi: 2 addons provide the role “auth”: “tracker-a” ("));
  g_assert_nonnull (strstr (err, "“tracker-b” ("));
  g_assert_true (g_str_has_suffix (err, "; keep one of them in the bundle, or choose one with --tracker NAME\n"));

  /* a bundle without its tracker: the same, one line */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "bundles", "create", "none", "--addon",
                                   "hello=1.0.0", NULL), ==, 0);
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--bundle", "none", "status", NULL), ==, 1);
  g_assert_true (g_str_has_prefix (err, "qi: no addon of the bundle provides the role “auth” (outside it: "));
  g_assert_true (g_str_has_suffix (err, "); add one to the bundle\n"));
  g_assert_cmpuint (strchr (err, '\n') - err, ==, strlen (err) - 1);

  /* --tracker NAME that is not there */
  g_assert_cmpint (qi_test_run_qi (launcher, &out, &err, "--headless", "--tracker", "tracker-z", "status", NULL),
                   ==, 1);
  g_assert_cmpstr (err, ==, "qi: the tracker “tracker-z” is not on the addon path: install it or add its folder "
                            "with --addon-path\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/addon-manager/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("metadata", test_metadata);
  ADD ("bad-metadata", test_bad_metadata);
  ADD ("shadowing", test_shadowing);
  ADD ("providers", test_providers);
  ADD ("dependencies", test_dependencies);
  ADD ("allow-list", test_allow_list);
  ADD ("native", test_native);
  ADD ("kinds", test_kinds);
  ADD ("cli", test_cli);

  return g_test_run ();
}
