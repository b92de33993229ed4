/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "qi-demo-show.h"
#include "qi-sqlite-adapter.h"
#include "qi-test-utils.h"

/* The anatomy addon, real parts only: the addon's module loaded by
 * QiAddonManager beside the settings service and the db service over a
 * SQLite tracker with the demo show, all on one hub, asked as any client
 * asks (templates.list | solve | parse); then the real qi's verbs
 * `templates …` and `settings set anatomy …` against a seeded tracker. */

typedef struct
{
  char            *root;
  char            *settings_dir;
  char            *data_dir;
  QiHub           *hub;
  QiSettings      *settings;
  QiSqliteAdapter *tracker;
  QiDbManager     *db;
  QiCliManager    *cli;
  QiRestRouter    *router;
  QiAddonManager  *addons;
  QiHubEndpoint   *client;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tracker_path = NULL;

  f->root = g_dir_make_tmp ("qi-anatomy-XXXXXX", &error);
  g_assert_no_error (error);
  f->settings_dir = g_build_filename (f->root, "settings", NULL);
  f->data_dir = g_build_filename (f->root, "data", NULL);
  f->hub = qi_hub_new ();

  f->settings = qi_settings_new (f->settings_dir);
  g_assert_true (qi_settings_attach_hub (f->settings, f->hub, &error));
  g_assert_no_error (error);

  /* the demo show, in one transaction as `db seed-demo` writes it */
  tracker_path = g_build_filename (f->root, "tracker.sqlite", NULL);
  f->tracker = qi_sqlite_adapter_new (tracker_path);
  g_assert_true (qi_sqlite_adapter_begin_batch (f->tracker, &error));
  g_assert_true (qi_db_seed_demo (QI_DB_ADAPTER (f->tracker), &error));
  g_assert_true (qi_sqlite_adapter_commit_batch (f->tracker, &error));
  g_assert_no_error (error);
  f->db = qi_db_manager_new ();
  g_assert_true (qi_db_manager_add_adapter (f->db, "tracker-sqlite", QI_DB_ADAPTER (f->tracker), &error));
  g_assert_true (qi_db_manager_attach_hub (f->db, f->hub, &error));
  g_assert_no_error (error);

  f->cli = qi_cli_manager_new ();
  f->router = qi_rest_router_new ();
  f->addons = qi_addon_manager_new ();
  qi_addon_manager_add_search_path (f->addons, g_getenv ("QI_ADDON_DIR"));
  g_object_set (f->addons, "hub", f->hub, "cli-manager", f->cli, "router", f->router, "settings", f->settings,
                "data-dir", f->data_dir, NULL);
  qi_addon_manager_discover (f->addons);
  qi_addon_manager_load (f->addons, (const char * const []) { "anatomy", NULL });
  {
    QiAddonInfo *info = qi_addon_manager_lookup (f->addons, "anatomy");

    g_assert_nonnull (info);
    if (qi_addon_info_get_error (info) != NULL)
      g_error ("the anatomy addon did not load: %s", qi_addon_info_get_error (info)->message);
    g_assert_cmpint (qi_addon_info_get_state (info), ==, QI_ADDON_STATE_LOADED);
  }

  f->client = qi_hub_open_endpoint (f->hub, "test/client", NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  qi_hub_endpoint_close (f->client);
  g_clear_object (&f->client);
  qi_addon_manager_close_all (f->addons);
  g_clear_object (&f->addons);
  g_clear_object (&f->router);
  g_clear_object (&f->cli);
  /* the services leave the hub as they go */
  g_clear_object (&f->db);
  g_clear_object (&f->tracker);
  g_clear_object (&f->settings);
  g_clear_object (&f->hub);
  qi_test_remove_tree (f->root);
  g_free (f->root);
  g_free (f->settings_dir);
  g_free (f->data_dir);
}

static char *
to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

/* The reply to @topic with @payload, which must not fail. */
static JsonNode *
ask (Fixture    *f,
     const char *topic,
     const char *payload)
{
  g_autoptr(GError) error = NULL;
  JsonNode *reply = qi_test_ask (f->client, topic, payload, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  return reply;
}

/* The message of the error @topic answers @payload with, of @code. */
static char *
ask_error (Fixture    *f,
           const char *topic,
           const char *payload,
           QiHubError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_test_ask (f->client, topic, payload, &error);

  g_assert_null (reply);
  g_assert_error (error, QI_HUB_ERROR, (int) code);
  return g_strdup (error->message);
}

static const char *
path_of (JsonNode *reply)
{
  return json_object_get_string_member (json_node_get_object (reply), "path");
}

/* ROOT/data/projects/REST */
static char *
under_projects (Fixture    *f,
                const char *rest)
{
  return g_build_filename (f->data_dir, "projects", rest, NULL);
}

static void
patch (Fixture         *f,
       QiSettingsLayer  layer,
       const char      *project,
       const char      *values)
{
  g_autoptr(JsonNode) node = json_from_string (values, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (node);
  g_assert_true (qi_settings_patch (f->settings, "anatomy", layer, project, node, &error));
  g_assert_no_error (error);
}

static const char demo_anim[] =
  "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"anim\","
  "\"fields\":{\"version\":1,\"ext\":\".blend\"}}";

/* templates.list */

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JsonNode) reply = ask (f, "templates.list", "{}");
  JsonObject *object = json_node_get_object (reply);
  JsonArray *templates = json_object_get_array_member (object, "templates");
  g_autoptr(GString) names = g_string_new (NULL);
  g_autofree char *projects = under_projects (f, NULL);
  g_autofree char *roots = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *keys = NULL;

  for (guint i = 0; i < json_array_get_length (templates); i++)
    {
      JsonObject *entry = json_array_get_object_element (templates, i);

      g_string_append_printf (names, "%s ", json_object_get_string_member (entry, "name"));
      if (g_str_equal (json_object_get_string_member (entry, "name"), "work.file"))
        {
          g_assert_cmpstr (json_object_get_string_member (entry, "template"), ==,
                           "{project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>{ext}");
          keys = to_text (json_object_get_member (entry, "keys"));
        }
    }
  g_assert_cmpstr (names->str, ==,
                   "frame publish.directory publish.file publish.path version work.directory work.file work.path ");
  /* the keys, references followed */
  g_assert_cmpstr (keys, ==, "[\"project.code\",\"folder.name\",\"task.name\",\"version\",\"comment\",\"ext\"]");

  /* the default roots: the run's data folder, on this platform */
  roots = to_text (json_object_get_member (object, "roots"));
  expected = g_strdup_printf ("{\"work\":\"%s\",\"publish\":\"%s\"}", projects, projects);
  g_assert_cmpstr (roots, ==, expected);
  g_assert_cmpstr (json_object_get_string_member (object, "platform"), ==, "linux");
  g_assert_true (json_object_get_null_member (object, "project"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "errors")), ==, 0);
}

/* templates.solve */

static void
test_solve (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;

  /* the defaults, for a shot of the demo */
  reply = ask (f, "templates.solve", demo_anim);
  expected = under_projects (f, "demo/sq010/sh010/work/anim/demo_sh010_anim_v001.blend");
  g_assert_cmpstr (path_of (reply), ==, expected);
  text = to_text (json_object_get_member (json_node_get_object (reply), "fields"));
  g_clear_pointer (&expected, g_free);
  {
    g_autofree char *projects = under_projects (f, NULL);

    expected = g_strdup_printf ("{\"project\":{\"name\":\"demo\",\"code\":\"demo\"},"
                                "\"folder\":{\"name\":\"sh010\",\"type\":\"shot\"},\"hierarchy\":\"sq010\","
                                "\"task\":{\"name\":\"anim\",\"type\":\"anim\"},"
                                "\"root\":{\"work\":\"%s\",\"publish\":\"%s\"},\"version\":1,\"ext\":\".blend\"}",
                                projects, projects);
  }
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&reply, json_node_unref);

  /* an optional segment: kept with its key, dropped without */
  reply = ask (f, "templates.solve",
               "{\"name\":\"work.file\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"anim\","
               "\"fields\":{\"version\":12,\"ext\":\".blend\",\"comment\":\"wip\"}}");
  g_assert_cmpstr (path_of (reply), ==, "demo_sh010_anim_v012_wip.blend");
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (f, "templates.solve",
               "{\"name\":\"work.file\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"anim\","
               "\"fields\":{\"version\":12,\"ext\":\".blend\",\"comment\":\"\"}}");
  g_assert_cmpstr (path_of (reply), ==, "demo_sh010_anim_v012.blend");
  g_clear_pointer (&reply, json_node_unref);

  /* the caller's fields come last: they replace the tracker's */
  reply = ask (f, "templates.solve",
               "{\"name\":\"work.file\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"anim\","
               "\"fields\":{\"version\":3,\"ext\":\".ma\",\"project\":{\"code\":\"dm\"}}}");
  g_assert_cmpstr (path_of (reply), ==, "dm_sh010_anim_v003.ma");
  g_clear_pointer (&reply, json_node_unref);

  /* a publish, of an asset build; and of a sequence, which has no
   * parents: the hierarchy is left out */
  reply = ask (f, "templates.solve",
               "{\"name\":\"publish.path\",\"project\":\"demo\",\"context\":\"/assets/chr_hero\","
               "\"fields\":{\"version\":2,\"ext\":\".abc\",\"product\":{\"name\":\"modelMain\",\"type\":\"model\"},"
               "\"representation\":\"abc\"}}");
  expected = under_projects (f, "demo/assets/chr_hero/publish/model/modelMain/v002/demo_chr_hero_modelMain_v002_abc.abc");
  g_assert_cmpstr (path_of (reply), ==, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (f, "templates.solve",
               "{\"name\":\"publish.directory\",\"project\":\"demo\",\"context\":\"/sq010\","
               "\"fields\":{\"version\":1,\"product\":{\"name\":\"camMain\",\"type\":\"camera\"}}}");
  expected = under_projects (f, "demo/sq010/publish/camera/camMain/v001");
  g_assert_cmpstr (path_of (reply), ==, expected);
  g_assert_false (json_object_has_member (json_object_get_object_member (json_node_get_object (reply), "fields"),
                                          "hierarchy"));
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&reply, json_node_unref);

  /* a context by its id, as the tracker gives it */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) context = qi_db_adapter_lookup_context (QI_DB_ADAPTER (f->tracker), "demo", "/sq020/sh030",
                                                                &error);
    g_autofree char *payload = NULL;

    g_assert_no_error (error);
    payload = g_strdup_printf ("{\"name\":\"work.directory\",\"project\":\"demo\",\"context\":\"%s\",\"task\":\"comp\"}",
                               json_object_get_string_member (json_node_get_object (context), "id"));
    reply = ask (f, "templates.solve", payload);
    expected = under_projects (f, "demo/sq020/sh030/work/comp");
    g_assert_cmpstr (path_of (reply), ==, expected);
    g_clear_pointer (&expected, g_free);
    g_clear_pointer (&reply, json_node_unref);
  }

  /* the project alone: the fields it gives */
  reply = ask (f, "templates.solve",
               "{\"name\":\"work.file\",\"project\":\"demo\",\"fields\":{\"folder\":{\"name\":\"x\"},"
               "\"task\":{\"name\":\"y\"},\"version\":1,\"ext\":\".txt\"}}");
  g_assert_cmpstr (path_of (reply), ==, "demo_x_y_v001.txt");
}

/* templates.parse */

static void
test_parse (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonNode) solved = ask (f, "templates.solve", demo_anim);
  g_autofree char *payload = g_strdup_printf ("{\"name\":\"work.path\",\"path\":\"%s\"}", path_of (solved));
  g_autoptr(JsonNode) parsed = ask (f, "templates.parse", payload);
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *fields = to_text (json_object_get_member (json_node_get_object (parsed), "fields"));
  g_autofree char *message = NULL;

  /* the fields back, roots aside */
  g_assert_cmpstr (fields, ==,
                   "{\"project\":{\"name\":\"demo\",\"code\":\"demo\"},\"hierarchy\":\"sq010\","
                   "\"folder\":{\"name\":\"sh010\"},\"task\":{\"name\":\"anim\"},\"version\":1,\"ext\":\".blend\"}");
  /* and they solve to the same path */
  g_clear_pointer (&payload, g_free);
  payload = g_strdup_printf ("{\"name\":\"work.path\",\"project\":\"demo\",\"fields\":%s}", fields);
  again = ask (f, "templates.solve", payload);
  g_assert_cmpstr (path_of (again), ==, path_of (solved));

  /* optional segments read back: the hierarchy there or not */
  {
    g_autofree char *sequence = under_projects (f, "demo/sq010/publish/camera/camMain/v001");
    g_autofree char *shot = under_projects (f, "demo/sq010/sh020/publish/camera/camMain/v001");

    g_clear_pointer (&parsed, json_node_unref);
    g_clear_pointer (&fields, g_free);
    g_clear_pointer (&payload, g_free);
    payload = g_strdup_printf ("{\"name\":\"publish.directory\",\"path\":\"%s\"}", sequence);
    parsed = ask (f, "templates.parse", payload);
    fields = to_text (json_object_get_member (json_node_get_object (parsed), "fields"));
    g_assert_cmpstr (fields, ==,
                     "{\"project\":{\"name\":\"demo\"},\"folder\":{\"name\":\"sq010\"},"
                     "\"product\":{\"type\":\"camera\",\"name\":\"camMain\"},\"version\":1}");
    g_clear_pointer (&parsed, json_node_unref);
    g_clear_pointer (&fields, g_free);
    g_clear_pointer (&payload, g_free);
    payload = g_strdup_printf ("{\"name\":\"publish.directory\",\"path\":\"%s\"}", shot);
    parsed = ask (f, "templates.parse", payload);
    fields = to_text (json_object_get_member (json_node_get_object (parsed), "fields"));
    g_assert_cmpstr (fields, ==,
                     "{\"project\":{\"name\":\"demo\"},\"hierarchy\":\"sq010\",\"folder\":{\"name\":\"sh020\"},"
                     "\"product\":{\"type\":\"camera\",\"name\":\"camMain\"},\"version\":1}");
  }

  /* A comment next to {ext} (which holds its dot) reads back as some
   * split of the two: the path it solves to is the same. */
  {
    g_autoptr(JsonNode) commented = NULL;
    g_autoptr(JsonNode) back = NULL;

    commented = ask (f, "templates.solve",
                     "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"anim\","
                     "\"fields\":{\"version\":1,\"ext\":\".blend\",\"comment\":\"wip\"}}");
    g_clear_pointer (&parsed, json_node_unref);
    g_clear_pointer (&fields, g_free);
    g_clear_pointer (&payload, g_free);
    payload = g_strdup_printf ("{\"name\":\"work.path\",\"path\":\"%s\"}", path_of (commented));
    parsed = ask (f, "templates.parse", payload);
    fields = to_text (json_object_get_member (json_node_get_object (parsed), "fields"));
    g_clear_pointer (&payload, g_free);
    payload = g_strdup_printf ("{\"name\":\"work.path\",\"project\":\"demo\",\"fields\":%s}", fields);
    back = ask (f, "templates.solve", payload);
    g_assert_cmpstr (path_of (back), ==, path_of (commented));
  }

  /* a path the template does not make */
  message = ask_error (f, "templates.parse", "{\"name\":\"work.file\",\"path\":\"demo_sh010_anim.blend\"}",
                       QI_HUB_ERROR_HANDLER_FAILED);
  g_assert_cmpstr (message, ==,
                   "templates.parse: “demo_sh010_anim.blend” does not match template “work.file” at character 21, "
                   "its end: expected “_”");
  g_clear_pointer (&message, g_free);
  message = ask_error (f, "templates.parse", "{\"name\":\"work.path\",\"path\":\"/elsewhere/demo/x.blend\"}",
                       QI_HUB_ERROR_HANDLER_FAILED);
  {
    g_autofree char *projects = under_projects (f, NULL);
    g_autofree char *expected = g_strdup_printf ("templates.parse: “/elsewhere/demo/x.blend” does not match template "
                                                 "“work.path” at character 1: expected {root[work]}, which is “%s”",
                                                 projects);

    g_assert_cmpstr (message, ==, expected);
  }
}

/* Errors, each one sentence naming what was wrong. */

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  struct {
    const char *topic;
    const char *payload;
    QiHubError  code;
    const char *message;
  } cases[] = {
    /* the payload */
    { "templates.solve", "{\"project\":\"demo\"}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.solve: the payload needs “name”, a string that is not empty" },
    { "templates.solve", "{\"name\":\"work.path\"}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.solve: the payload needs “project”, a string that is not empty" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"fields\":[1]}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.solve: “fields” must be an object, not an array" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":7}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.solve: “context” must be a string that is not empty, not a number" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"task\":\"anim\"}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.solve: “task” needs “context”, the context the task is in (such as “/sq010/sh010”)" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"fields\":{\"root\":{\"work\":\"/x\"}}}",
      QI_HUB_ERROR_BAD_MESSAGE,
      "templates.solve: the fields cannot set “root”: the roots are the anatomy's settings (anatomy.roots)" },
    { "templates.parse", "{\"name\":\"work.path\"}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.parse: the payload needs “path”, a string that is not empty" },
    { "templates.list", "{\"project\":false}", QI_HUB_ERROR_BAD_MESSAGE,
      "templates.list: “project” must be a string that is not empty, not a boolean" },
    /* the anatomy */
    { "templates.solve", "{\"name\":\"work.fil\",\"project\":\"demo\"}", QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: the anatomy has no template “work.fil”; its templates: frame, publish.directory, "
      "publish.file, publish.path, version, work.directory, work.file, work.path" },
    { "templates.parse", "{\"name\":\"work\",\"path\":\"x\"}", QI_HUB_ERROR_HANDLER_FAILED,
      "templates.parse: the anatomy has no template “work”; its templates: frame, publish.directory, "
      "publish.file, publish.path, version, work.directory, work.file, work.path" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"anim\","
                         "\"fields\":{\"ext\":\".blend\"}}", QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: template “work.path” needs {version} (in template “version”), which the fields do not have" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010/sh010\","
                         "\"fields\":{\"version\":1,\"ext\":\".blend\"}}", QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: template “work.path” needs {task[name]} (in template “work.directory”), which the fields do "
      "not have" },
    { "templates.list", "{\"project\":\"a/b\"}", QI_HUB_ERROR_HANDLER_FAILED,
      "templates.list: “a/b” cannot name a project: it needs 1 to 128 bytes, without “/”, “\\” or control "
      "characters, not starting with “.”" },
    /* the tracker */
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"nope\"}", QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: no project “nope”" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010/sh999\",\"task\":\"anim\"}",
      QI_HUB_ERROR_HANDLER_FAILED, "templates.solve: no context “/sq010/sh999” in project “demo”" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"999999\"}",
      QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: no context with the id “999999” in project “demo”; give its path, such as /sq010/sh010" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010/sh010\",\"task\":\"rig\"}",
      QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: no task “rig” in “/sq010/sh010” of project “demo” (its tasks: anim, comp, fx, layout, "
      "lighting)" },
    { "templates.solve", "{\"name\":\"work.path\",\"project\":\"demo\",\"context\":\"/sq010\",\"task\":\"anim\"}",
      QI_HUB_ERROR_HANDLER_FAILED,
      "templates.solve: no task “anim” in “/sq010” of project “demo”, which has no tasks" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = NULL;

      g_test_message ("%s %s", cases[i].topic, cases[i].payload);
      message = ask_error (f, cases[i].topic, cases[i].payload, cases[i].code);
      g_assert_cmpstr (message, ==, cases[i].message);
    }

  /* without a tracker on the hub, the sentence says what could not be asked */
  g_clear_object (&f->db);
  {
    g_autofree char *message = ask_error (f, "templates.solve", demo_anim, QI_HUB_ERROR_HANDLER_FAILED);

    g_assert_cmpstr (message, ==, "templates.solve: the tracker cannot be asked for the project “demo”: "
                                  "no session handles “db_service.project.get”");
  }
}

/* Settings: the layers, refused values, changes that count at once. */

static void
test_settings (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autofree char *project_file = g_build_filename (f->settings_dir, "projects", "demo.json", NULL);
  g_autofree char *bundle_file = g_build_filename (f->settings_dir, "bundles", "default.json", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  /* A project's override of one template counts at the next request;
   * the rest of the anatomy stays. */
  patch (f, QI_SETTINGS_LAYER_PROJECT, "demo",
         "{\"templates\":{\"work\":{\"file\":\"{folder[name]}_{task[name]}_{@version}<_{comment}>{ext}\"}}}");
  reply = ask (f, "templates.solve", demo_anim);
  expected = under_projects (f, "demo/sq010/sh010/work/anim/sh010_anim_v001.blend");
  g_assert_cmpstr (path_of (reply), ==, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&reply, json_node_unref);
  /* the run's project is none: the list shows the defaults */
  reply = ask (f, "templates.list", "{}");
  text = to_text (reply);
  g_assert_nonnull (strstr (text, "\"{project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>{ext}\""));
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (f, "templates.list", "{\"project\":\"demo\"}");
  text = to_text (reply);
  g_assert_nonnull (strstr (text, "\"{folder[name]}_{task[name]}_{@version}<_{comment}>{ext}\""));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (reply), "project"), ==, "demo");
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&reply, json_node_unref);

  /* The bundle mounts the studio's storage on Linux; the other
   * platforms keep theirs. */
  patch (f, QI_SETTINGS_LAYER_BUNDLE, NULL,
         "{\"roots\":{\"work\":{\"linux\":\"/mnt/work/\"},\"render\":{\"linux\":\"/mnt/render\"}}}");
  reply = ask (f, "templates.solve", demo_anim);
  g_assert_cmpstr (path_of (reply), ==, "/mnt/work/demo/sq010/sh010/work/anim/sh010_anim_v001.blend");
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (f, "templates.list", "{}");
  text = to_text (json_object_get_member (json_node_get_object (reply), "roots"));
  {
    g_autofree char *projects = under_projects (f, NULL);

    expected = g_strdup_printf ("{\"work\":\"/mnt/work\",\"publish\":\"%s\",\"render\":\"/mnt/render\"}", projects);
  }
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&reply, json_node_unref);

  /* A bad template is refused where it is set, naming the key and the
   * character; nothing is written. */
  before = NULL;
  g_file_get_contents (project_file, &before, NULL, NULL);
  bad = json_from_string ("{\"templates\":{\"work\":{\"file\":\"{project[code]_{folder[name]}\"}}}", NULL);
  g_assert_false (qi_settings_patch (f->settings, "anatomy", QI_SETTINGS_LAYER_PROJECT, "demo", bad, &error));
  g_assert_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID);
  expected = g_strdup_printf ("%s (project layer “demo”): anatomy.templates.work.file: “{project[code]_{folder[name]}” "
                              "at character 14: expected “[”, “:” or “}” after the key, found “_”", project_file);
  g_assert_cmpstr (error->message, ==, expected);
  g_clear_pointer (&expected, g_free);
  g_clear_error (&error);
  g_file_get_contents (project_file, &after, NULL, NULL);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&bad, json_node_unref);
  /* a reference to no template, a cycle, over the hub as well */
  {
    struct {
      const char *values;
      const char *message;
    } cases[] = {
      { "{\"templates\":{\"work\":{\"path\":\"{@work.folder}/{@work.file}\"}}}",
        "anatomy.templates.work.path: at character 0, {@work.folder} names no template of the set" },
      { "{\"templates\":{\"a\":\"{@b}\",\"b\":\"x/{@a}\"}}",
        "anatomy.templates.a: the references make a cycle: a → b → a" },
      { "{\"templates\":{\"work\":{\"file\":7}}}",
        "anatomy.templates.work.file: “work.file” is neither a template (a string) nor a group of templates (an object)" },
      { "{\"roots\":{\"work\":{\"windows\":\"work\"}}}",
        "anatomy.roots.work.windows: “work” is not an absolute path: a root of windows starts with a drive (“P:/”) "
        "or a share (“\\\\server\\share”), or with {data_dir}" },
      { "{\"roots\":{\"work\":{\"linux\":\"{data_dir}/{project}\"}}}",
        "anatomy.roots.work.linux: “{data_dir}/{project}” holds “{project}”; the one token of a root is {data_dir}, "
        "the run's data folder" },
      { "{\"roots\":{\"work\":\"/mnt/work\"}}",
        "anatomy.roots: the root “work” is not an object of paths by platform, such as "
        "{\"linux\": \"/mnt/work\", \"windows\": \"P:/\"}" },
      { "{\"templates\":\"{root[work]}\"}",
        "anatomy.templates: expected an object of templates (strings) and groups of them (objects), found a string" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *payload = g_strdup_printf ("{\"addon\":\"anatomy\",\"layer\":\"project\",\"project\":\"demo\","
                                                    "\"values\":%s}", cases[i].values);
        g_autofree char *message = NULL;
        g_autofree char *wanted = g_strdup_printf ("%s (project layer “demo”): %s", project_file, cases[i].message);

        g_test_message ("%s", cases[i].values);
        message = ask_error (f, "config.patch", payload, QI_HUB_ERROR_HANDLER_FAILED);
        g_assert_cmpstr (message, ==, wanted);
      }
  }
  g_clear_pointer (&after, g_free);
  g_file_get_contents (project_file, &after, NULL, NULL);
  g_assert_cmpstr (after, ==, before);

  /* A file broken by hand is refused when it is read: its template is
   * left out with the reason, and the layer below stands. */
  qi_test_env_write (bundle_file,
                     "{\"format\": 1, \"addons\": {\"anatomy\": {\"templates\": {\"version\": \"v{version\"}}}}");
  g_assert_true (qi_settings_set_bundle (f->settings, "other", NULL));
  g_assert_true (qi_settings_set_bundle (f->settings, NULL, NULL));
  reply = ask (f, "templates.list", "{}");
  object = json_node_get_object (reply);
  text = to_text (json_object_get_member (object, "errors"));
  expected = g_strdup_printf ("[\"%s (bundle layer “default”): anatomy.templates.version: “v{version” at "
                              "character 1: this “{” is never closed\"]", bundle_file);
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&expected, g_free);
  g_clear_pointer (&reply, json_node_unref);
  reply = ask (f, "templates.solve", demo_anim);
  expected = under_projects (f, "demo/sq010/sh010/work/anim/sh010_anim_v001.blend");
  g_assert_cmpstr (path_of (reply), ==, expected);
}

/* The real qi. */

typedef struct
{
  char                *root;
  char                *data;     /* $XDG_DATA_HOME/qi: the data folder */
  GSubprocessLauncher *launcher;
  char                *out;
  char                *err;
} Cli;

static void
cli_setup (Cli *c)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *data_home = NULL;

  c->root = g_dir_make_tmp ("qi-anatomy-cli-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (c->root, "config", NULL);
  data_home = g_build_filename (c->root, "data", NULL);
  c->data = g_build_filename (data_home, "qi", NULL);
  c->launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                           G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (c->launcher, "HOME", c->root, TRUE);
  g_subprocess_launcher_setenv (c->launcher, "XDG_CONFIG_HOME", config, TRUE);
  g_subprocess_launcher_setenv (c->launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (c->launcher, "XDG_RUNTIME_DIR", c->root, TRUE);
  g_subprocess_launcher_setenv (c->launcher, "QI_NO_KEYRING", "1", TRUE);
  g_subprocess_launcher_unsetenv (c->launcher, "QI_CONFIG_DIR");
  g_subprocess_launcher_unsetenv (c->launcher, "QI_DATA_DIR");
  g_subprocess_launcher_unsetenv (c->launcher, "QI_PROJECT");
  g_subprocess_launcher_unsetenv (c->launcher, "QI_SERVICE_TOKEN");
  g_subprocess_launcher_unsetenv (c->launcher, "DBUS_SESSION_BUS_ADDRESS");
  g_subprocess_launcher_setenv (c->launcher, "QI_ADDON_PATH", g_getenv ("QI_ADDON_DIR"), TRUE);
}

static void
cli_teardown (Cli *c)
{
  qi_test_remove_tree (c->root);
  g_free (c->root);
  g_free (c->data);
  g_clear_object (&c->launcher);
  g_free (c->out);
  g_free (c->err);
}

/* Runs qi --headless ARGS… (NULL-terminated), with @input on stdin. */
static int
run (Cli        *c,
     const char *input,
     ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "--headless");
  va_start (ap, input);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return qi_test_run_qi_input (c->launcher, input != NULL ? input : "", &c->out, &c->err,
                               (const char * const *) args->pdata);
}

static void
test_cli (void)
{
  Cli c = { 0 };
  g_autofree char *expected = NULL;
  g_autofree char *bundle_file = NULL;

  cli_setup (&c);
  g_assert_cmpint (run (&c, NULL, "db", "seed-demo", NULL), ==, 0);

  /* the path, and nothing else */
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--context", "/sq010/sh010",
                        "--task", "anim", "--set", "version=1", "--set", "ext=.blend", NULL), ==, 0);
  expected = g_strdup_printf ("%s/projects/demo/sq010/sh010/work/anim/demo_sh010_anim_v001.blend\n", c.data);
  g_assert_cmpstr (c.out, ==, expected);
  g_assert_cmpstr (c.err, ==, "");
  g_clear_pointer (&expected, g_free);

  /* --json: the path and the fields; --set nests by dots and reads numbers */
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "publish.file", "--project", "demo", "--context", "/sq010/sh020",
                        "--set", "version=007", "--set", "ext=.abc", "--set", "product.name=animMain", "--json", NULL),
                   ==, 0);
  {
    g_autoptr(JsonNode) root = json_from_string (c.out, NULL);
    JsonObject *object = json_node_get_object (root);
    JsonObject *fields = json_object_get_object_member (object, "fields");

    g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, "demo_sh020_animMain_v007.abc");
    g_assert_cmpint (json_object_get_int_member (fields, "version"), ==, 7);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (fields, "product"), "name"), ==,
                     "animMain");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (fields, "folder"), "type"), ==,
                     "shot");
    /* no one is logged in: no user */
    g_assert_false (json_object_has_member (fields, "user"));
  }

  /* parse: one line per field */
  g_assert_cmpint (run (&c, NULL, "templates", "parse", "work.file", "dm_sh010_comp_v012.nk", NULL), ==, 0);
  g_assert_cmpstr (c.out, ==,
                   "project.code = \"dm\"\nfolder.name = \"sh010\"\ntask.name = \"comp\"\nversion = 12\n"
                   "ext = \".nk\"\n");
  g_assert_cmpint (run (&c, NULL, "templates", "parse", "work.file", "dm_sh010_comp_v012.nk", "--json", NULL), ==, 0);
  {
    g_autoptr(JsonNode) root = json_from_string (c.out, NULL);
    g_autofree char *text = to_text (root);

    g_assert_cmpstr (text, ==, "{\"fields\":{\"project\":{\"code\":\"dm\"},\"folder\":{\"name\":\"sh010\"},"
                               "\"task\":{\"name\":\"comp\"},\"version\":12,\"ext\":\".nk\"}}");
  }

  /* list */
  g_assert_cmpint (run (&c, NULL, "templates", "list", NULL), ==, 0);
  expected = g_strdup_printf ("work.file          {project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>{ext}\n"
                              "work.path          {@work.directory}/{@work.file}\n"
                              "root[work]         %s/projects\n"
                              "root[publish]      %s/projects\n", c.data, c.data);
  g_assert_true (g_str_has_prefix (c.out, "frame              {frame:0>4}\n"));
  g_assert_true (g_str_has_suffix (c.out, expected));
  g_clear_pointer (&expected, g_free);
  g_assert_cmpint (run (&c, NULL, "templates", "list", "--json", NULL), ==, 0);
  {
    g_autoptr(JsonNode) root = json_from_string (c.out, NULL);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root), "templates")),
                      ==, 8);
  }

  /* the data folder of the run: --data-dir, QI_DATA_DIR */
  {
    g_autofree char *elsewhere = g_build_filename (c.root, "elsewhere", NULL);

    g_assert_cmpint (run (&c, NULL, "--data-dir", elsewhere, "templates", "list", NULL), ==, 0);
    expected = g_strdup_printf ("root[work]         %s/projects\n", elsewhere);
    g_assert_nonnull (strstr (c.out, expected));
    g_clear_pointer (&expected, g_free);
    g_subprocess_launcher_setenv (c.launcher, "QI_DATA_DIR", elsewhere, TRUE);
    g_assert_cmpint (run (&c, NULL, "templates", "list", NULL), ==, 0);
    expected = g_strdup_printf ("root[publish]      %s/projects\n", elsewhere);
    g_assert_nonnull (strstr (c.out, expected));
    g_clear_pointer (&expected, g_free);
    g_subprocess_launcher_unsetenv (c.launcher, "QI_DATA_DIR");
  }

  /* failures: one line, exit 1; usage: exit 2 */
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "nope", NULL), ==, 1);
  g_assert_cmpstr (c.err, ==, "qi templates solve: no project “nope”\n");
  g_assert_cmpstr (c.out, ==, "");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--context", "/sq010/sh999",
                        NULL), ==, 1);
  g_assert_cmpstr (c.err, ==, "qi templates solve: no context “/sq010/sh999” in project “demo”\n");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--context", "/sq010/sh010",
                        "--task", "rig", NULL), ==, 1);
  g_assert_cmpstr (c.err, ==, "qi templates solve: no task “rig” in “/sq010/sh010” of project “demo” (its tasks: "
                              "anim, comp, fx, layout, lighting)\n");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--context", "/sq010/sh010",
                        "--task", "anim", "--set", "ext=.blend", NULL), ==, 1);
  g_assert_cmpstr (c.err, ==, "qi templates solve: template “work.path” needs {version} (in template “version”), "
                              "which the fields do not have\n");
  g_assert_cmpint (run (&c, NULL, "templates", "parse", "work.file", "demo_sh010_anim.blend", NULL), ==, 1);
  g_assert_cmpstr (c.err, ==, "qi templates parse: “demo_sh010_anim.blend” does not match template “work.file” at "
                              "character 21, its end: expected “_”\n");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", NULL), ==, 2);
  g_assert_cmpstr (c.err, ==, "qi templates solve: which project? Give --project P\n");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--set", "version", NULL),
                   ==, 2);
  g_assert_cmpstr (c.err, ==, "qi templates solve: --set “version” is not KEY=VALUE, such as version=3 or "
                              "product.name=main (a key is names joined by “.”)\n");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--task", "anim", NULL), ==, 2);
  g_assert_cmpstr (c.err, ==, "qi templates solve: --task needs --context, the context the task is in (such as "
                              "/sq010/sh010)\n");
  g_assert_cmpint (run (&c, NULL, "templates", "solve", NULL), ==, 2);
  g_assert_cmpint (run (&c, NULL, "templates", "parse", "work.file", NULL), ==, 2);

  /* settings: refused at `settings set`, naming the key; an override
   * that counts at the next command */
  g_assert_cmpint (run (&c, NULL, "settings", "set", "anatomy", "templates", "{\"work\": {\"file\": \"{@nope}\"}}",
                        "--layer", "project", "--project", "demo", NULL), ==, 2);
  g_assert_true (g_str_has_prefix (c.err, "qi settings set: "));
  g_assert_true (g_str_has_suffix (c.err, "demo.json (project layer “demo”): anatomy.templates.work.file: at "
                                          "character 0, {@nope} names no template of the set\n"));
  g_assert_cmpint (run (&c, NULL, "settings", "set", "anatomy", "templates",
                        "{\"work\": {\"file\": \"{task[name]}_{@version}{ext}\"}}",
                        "--layer", "project", "--project", "demo", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (c.out, "templates = {"));
  g_assert_true (g_str_has_suffix (c.out, "  (project “demo”)\n"));
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.path", "--project", "demo", "--context", "/sq010/sh010",
                        "--task", "anim", "--set", "version=2", "--set", "ext=.blend", NULL), ==, 0);
  expected = g_strdup_printf ("%s/projects/demo/sq010/sh010/work/anim/anim_v002.blend\n", c.data);
  g_assert_cmpstr (c.out, ==, expected);
  g_clear_pointer (&expected, g_free);

  /* a broken file: a warning naming the key, and the layer below stands */
  bundle_file = g_build_filename (c.root, "config", "qi", "settings", "bundles", "default.json", NULL);
  qi_test_env_write (bundle_file, "{\"format\": 1, \"addons\": {\"anatomy\": {\"roots\": {\"work\": "
                                  "{\"linux\": \"work\"}}}}}");
  g_assert_cmpint (run (&c, NULL, "templates", "list", NULL), ==, 0);
  expected = g_strdup_printf ("qi templates list: warning: %s (bundle layer “default”): anatomy.roots.work.linux: "
                              "“work” is not an absolute path: a root of linux starts with “/”, or with {data_dir}\n",
                              bundle_file);
  g_assert_cmpstr (c.err, ==, expected);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("root[work]         %s/projects\n", c.data);
  g_assert_nonnull (strstr (c.out, expected));
  g_clear_pointer (&expected, g_free);
  g_unlink (bundle_file);

  /* {user}: the run's login, here a service token's user */
  g_assert_cmpint (run (&c, "correct horse battery\n", "user", "add", "pipe", "--role", "admin", "--password-stdin",
                        NULL), ==, 0);
  g_assert_cmpint (run (&c, "correct horse battery\n", "auth", "service-token", "--user", "pipe", "--admin", "pipe",
                        "--password-stdin", NULL), ==, 0);
  g_strchomp (c.out);
  g_subprocess_launcher_setenv (c.launcher, "QI_SERVICE_TOKEN", c.out, TRUE);
  g_assert_cmpint (run (&c, NULL, "templates", "solve", "work.directory", "--project", "demo", "--context",
                        "/sq010/sh010", "--task", "anim", "--json", NULL), ==, 0);
  {
    g_autoptr(JsonNode) root = json_from_string (c.out, NULL);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (root),
                                                                                   "fields"), "user"), ==, "pipe");
  }

  cli_teardown (&c);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/qi/anatomy/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("list", test_list);
  ADD ("solve", test_solve);
  ADD ("parse", test_parse);
  ADD ("errors", test_errors);
  ADD ("settings", test_settings);

#undef ADD

  g_test_add_func ("/qi/anatomy/cli", test_cli);

  return g_test_run ();
}
