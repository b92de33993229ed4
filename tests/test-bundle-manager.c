/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>
#include <sys/resource.h>

#include "qi-test-utils.h"

/* a bundle names its tracker: the embedded one */
#define TRACKER "tracker-sqlite=" QI_VERSION_S

/*
 * QiBundleManager with a scratch configuration directory: creating
 * bundles, the rules of the states, diff and selection, the errors of a
 * broken bundles.json, writes that fail without changing anything, and
 * the real `qi` killed at random moments while it changes states.
 */

typedef struct
{
  QiTestEnv        env;
  char            *dir;   /* $XDG_CONFIG_HOME/qi */
  char            *path;  /* its bundles.json */
  QiBundleManager *manager;
  char            *out;
  char            *err;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  qi_test_env_setup (&f->env);
  qi_test_env_keep_runtime (&f->env);

  f->dir = g_build_filename (f->env.config_home, "qi", NULL);
  f->path = g_build_filename (f->dir, "bundles.json", NULL);
  f->manager = qi_bundle_manager_new (f->path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->manager);
  g_free (f->out);
  g_free (f->err);
  g_free (f->path);
  g_free (f->dir);
  qi_test_env_teardown (&f->env);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* Creates an active bundle with @addon at @version. */
static void
create (Fixture    *f,
        const char *name,
        const char *addon,
        const char *version)
{
  g_autoptr(QiBundle) bundle = qi_bundle_new (name);
  g_autoptr(GError) error = NULL;

  if (addon != NULL)
    qi_bundle_set_addon (bundle, addon, version);
  qi_bundle_manager_create (f->manager, bundle, &error);
  g_assert_no_error (error);
}

static QiBundleState
state_of (Fixture    *f,
          const char *name)
{
  g_autoptr(QiBundle) bundle = qi_bundle_manager_lookup (f->manager, name, NULL);

  g_assert_nonnull (bundle);
  return qi_bundle_get_state (bundle);
}

static void
set_state (Fixture       *f,
           const char    *name,
           QiBundleState  state)
{
  g_autoptr(GError) error = NULL;

  qi_bundle_manager_set_state (f->manager, name, state, &error);
  g_assert_no_error (error);
}

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(QiBundle) bundle = qi_bundle_new ("show-2024");
  g_autoptr(QiBundle) stored = NULL;
  g_autoptr(QiBundle) again = NULL;
  g_autoptr(QiBundleManager) reloaded = qi_bundle_manager_new (f->path);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) addons = NULL;
  const char * const packages[] = { "numpy", "opencolorio", NULL };

  /* No file is no bundles. */
  g_assert_true (qi_bundle_manager_load (f->manager, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) list = qi_bundle_manager_list (f->manager);
    g_assert_cmpuint (list->len, ==, 0);
  }

  qi_bundle_set_addon (bundle, "nuke-tools", "2.0.0-rc.1");
  qi_bundle_set_addon (bundle, "loader", "1.2.0");
  qi_bundle_set_variable (bundle, "OCIO", "/show/config.ocio");
  qi_bundle_set_packages (bundle, packages);
  g_assert_true (qi_bundle_manager_create (f->manager, bundle, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_REGULAR));

  /* The manager keeps its own copy. */
  qi_bundle_set_addon (bundle, "loader", "9.9.9");
  stored = qi_bundle_manager_lookup (f->manager, "show-2024", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qi_bundle_get_addon (stored, "loader"), ==, "1.2.0");
  g_assert_cmpint (qi_bundle_get_state (stored), ==, QI_BUNDLE_STATE_ACTIVE);
  g_assert_nonnull (qi_bundle_get_created (stored));
  g_assert_true (g_date_time_equal (qi_bundle_get_created (stored), qi_bundle_get_modified (stored)));
  qi_bundle_set_addon (stored, "loader", "8.8.8");
  g_clear_object (&stored);

  /* What was written reads back the same, addons sorted by name. */
  g_assert_true (qi_bundle_manager_load (reloaded, &error));
  g_assert_no_error (error);
  again = qi_bundle_manager_lookup (reloaded, "show-2024", &error);
  g_assert_no_error (error);
  addons = qi_bundle_dup_addon_names (again);
  g_assert_cmpstr (addons[0], ==, "loader");
  g_assert_cmpstr (addons[1], ==, "nuke-tools");
  g_assert_null (addons[2]);
  g_assert_cmpstr (qi_bundle_get_addon (again, "loader"), ==, "1.2.0");
  g_assert_cmpstr (qi_bundle_get_variable (again, "OCIO"), ==, "/show/config.ocio");
  g_assert_cmpstrv (qi_bundle_get_packages (again), packages);
  g_assert_null (qi_bundle_get_owner (again));

  /* The same name twice. */
  g_assert_false (qi_bundle_manager_create (f->manager, bundle, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_EXISTS);
  g_clear_error (&error);

  /* Invalid bundles are refused and change nothing. */
  {
    g_autofree char *before = read_text (f->path);
    g_autofree char *after = NULL;
    struct {
      const char    *name;
      const char    *addon;
      const char    *version;
      QiBundleState  state;
      const char    *owner;
      const char    *message;
    } cases[] = {
      { "Show", "loader", "1.0.0", 0, NULL,
        "bundle “Show”: name: \"Show\" is not a valid bundle name" },
      { "x", "loader", "1.x.y", 0, NULL,
        "bundle “x”: addons.loader: \"1.x.y\" is not a version: give MAJOR.MINOR.PATCH, such as 1.2.0" },
      { "x", "loader", "01.0.0", 0, NULL, "is not a version" },
      { "x", "Loader", "1.0.0", 0, NULL, "bundle “x”: addons.Loader: \"Loader\" is not a valid addon name" },
      { "x", "loader", "/home/me/loader", 0, NULL,
        "bundle “x”: addons.loader: \"/home/me/loader\" is a local folder; only a dev bundle may use one" },
      { "x", "loader", "1.0.0", QI_BUNDLE_STATE_DEV, NULL, "bundle “x”: owner: a dev bundle needs an owner" },
      { "x", "loader", "1.0.0", QI_BUNDLE_STATE_PRODUCTION, NULL, "a new bundle is active or dev" },
      { "x", "loader", "1.0.0", QI_BUNDLE_STATE_ARCHIVED, NULL, "a new bundle is active or dev" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(QiBundle) bad = qi_bundle_new (cases[i].name);

        qi_bundle_set_addon (bad, cases[i].addon, cases[i].version);
        qi_bundle_set_state (bad, cases[i].state);
        qi_bundle_set_owner (bad, cases[i].owner);
        g_assert_false (qi_bundle_manager_create (f->manager, bad, &error));
        g_test_message ("%s", error->message);
        g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID);
        g_assert_nonnull (strstr (error->message, cases[i].message));
        g_clear_error (&error);
      }

    {
      g_autoptr(QiBundle) bad = qi_bundle_new ("x");

      qi_bundle_set_variable (bad, "1X", "y");
      g_assert_false (qi_bundle_manager_create (f->manager, bad, &error));
      g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "environment.variables.1X: \"1X\" is not an environment variable name"));
      g_clear_error (&error);
    }

    after = read_text (f->path);
    g_assert_cmpstr (before, ==, after);
    {
      g_autoptr(GPtrArray) list = qi_bundle_manager_list (f->manager);
      g_assert_cmpuint (list->len, ==, 1);
    }
  }
}

static void
test_roles (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  create (f, "a", "loader", "1.0.0");
  create (f, "b", "loader", "1.1.0");
  create (f, "c", "loader", "1.2.0");
  g_assert_null (qi_bundle_manager_get_production (f->manager));
  g_assert_null (qi_bundle_manager_get_staging (f->manager));

  set_state (f, "a", QI_BUNDLE_STATE_PRODUCTION);
  g_assert_cmpstr (qi_bundle_manager_get_production (f->manager), ==, "a");

  /* Production moves, in one write; a and b are never both production. */
  set_state (f, "b", QI_BUNDLE_STATE_PRODUCTION);
  g_assert_cmpstr (qi_bundle_manager_get_production (f->manager), ==, "b");
  g_assert_cmpint (state_of (f, "a"), ==, QI_BUNDLE_STATE_ACTIVE);
  g_assert_cmpint (state_of (f, "b"), ==, QI_BUNDLE_STATE_PRODUCTION);

  /* One bundle may be production and staging. */
  set_state (f, "b", QI_BUNDLE_STATE_STAGING);
  g_assert_cmpint (state_of (f, "b"), ==, QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING);
  g_assert_cmpstr (qi_bundle_manager_get_staging (f->manager), ==, "b");

  /* Staging moves on its own. */
  set_state (f, "c", QI_BUNDLE_STATE_STAGING);
  g_assert_cmpint (state_of (f, "b"), ==, QI_BUNDLE_STATE_PRODUCTION);
  g_assert_cmpint (state_of (f, "c"), ==, QI_BUNDLE_STATE_STAGING);

  /* The same state again writes nothing. */
  before = read_text (f->path);
  set_state (f, "c", QI_BUNDLE_STATE_STAGING);
  after = read_text (f->path);
  g_assert_cmpstr (before, ==, after);

  /* Active drops the roles. */
  set_state (f, "c", QI_BUNDLE_STATE_ACTIVE);
  g_assert_null (qi_bundle_manager_get_staging (f->manager));

  /* One state at a time; unknown bundles. */
  g_assert_false (qi_bundle_manager_set_state (f->manager, "a",
                                               QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING,
                                               &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (qi_bundle_manager_set_state (f->manager, "zz", QI_BUNDLE_STATE_PRODUCTION, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Another manager reading the file sees the same. */
  {
    g_autoptr(QiBundleManager) other = qi_bundle_manager_new (f->path);

    g_assert_true (qi_bundle_manager_load (other, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (qi_bundle_manager_get_production (other), ==, "b");
    g_assert_null (qi_bundle_manager_get_staging (other));
  }
}

static void
test_archived (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiBundle) edit = NULL;

  create (f, "a", "loader", "1.0.0");
  create (f, "b", "loader", "1.1.0");
  set_state (f, "b", QI_BUNDLE_STATE_PRODUCTION);
  set_state (f, "b", QI_BUNDLE_STATE_STAGING);

  g_assert_true (qi_bundle_manager_archive (f->manager, "a", &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (f, "a"), ==, QI_BUNDLE_STATE_ARCHIVED);

  /* An archived bundle is never production or staging. */
  g_assert_false (qi_bundle_manager_set_state (f->manager, "a", QI_BUNDLE_STATE_PRODUCTION, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED);
  g_clear_error (&error);
  g_assert_false (qi_bundle_manager_set_state (f->manager, "a", QI_BUNDLE_STATE_STAGING, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED);
  g_clear_error (&error);
  g_assert_cmpstr (qi_bundle_manager_get_production (f->manager), ==, "b");

  /* … nor edited, nor selected. */
  edit = qi_bundle_manager_lookup (f->manager, "a", NULL);
  qi_bundle_set_addon (edit, "loader", "2.0.0");
  g_assert_false (qi_bundle_manager_update (f->manager, edit, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED);
  g_clear_error (&error);
  g_assert_null (qi_bundle_manager_select (f->manager, "a", NULL, FALSE, NULL, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED);
  g_clear_error (&error);

  /* The production (and staging) bundle cannot be archived. */
  g_assert_false (qi_bundle_manager_archive (f->manager, "b", &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVARIANT);
  g_assert_nonnull (strstr (error->message, "cannot be archived"));
  g_clear_error (&error);
  g_assert_cmpint (state_of (f, "b"), ==, QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING);

  /* Un-archived, it can be edited and promoted again. */
  set_state (f, "a", QI_BUNDLE_STATE_ACTIVE);
  g_assert_true (qi_bundle_manager_update (f->manager, edit, &error));
  g_assert_no_error (error);
  set_state (f, "a", QI_BUNDLE_STATE_PRODUCTION);
  g_assert_cmpint (state_of (f, "b"), ==, QI_BUNDLE_STATE_STAGING);
  {
    g_autoptr(QiBundle) a = qi_bundle_manager_lookup (f->manager, "a", NULL);
    g_assert_cmpstr (qi_bundle_get_addon (a, "loader"), ==, "2.0.0");
  }
}

static void
test_dev (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(QiBundle) bundle = qi_bundle_new ("alice-dev");
  g_autoptr(QiBundle) stored = NULL;
  g_autoptr(GError) error = NULL;

  qi_bundle_set_state (bundle, QI_BUNDLE_STATE_DEV);
  qi_bundle_set_owner (bundle, "alice");
  qi_bundle_set_addon (bundle, "loader", "/home/alice/src/loader");
  qi_bundle_set_addon (bundle, "maya", "1.0.0");
  g_assert_true (qi_bundle_manager_create (f->manager, bundle, &error));
  g_assert_no_error (error);

  /* A dev bundle is never production or staging. */
  g_assert_false (qi_bundle_manager_set_state (f->manager, "alice-dev", QI_BUNDLE_STATE_PRODUCTION, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVARIANT);
  g_clear_error (&error);

  /* It stays dev while it points at a local folder. */
  g_assert_false (qi_bundle_manager_set_state (f->manager, "alice-dev", QI_BUNDLE_STATE_ACTIVE, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "/home/alice/src/loader"));
  g_clear_error (&error);

  /* Archived, it stays marked dev; un-archived as dev. */
  set_state (f, "alice-dev", QI_BUNDLE_STATE_ARCHIVED);
  g_assert_cmpint (state_of (f, "alice-dev"), ==, QI_BUNDLE_STATE_DEV | QI_BUNDLE_STATE_ARCHIVED);
  set_state (f, "alice-dev", QI_BUNDLE_STATE_DEV);
  g_assert_cmpint (state_of (f, "alice-dev"), ==, QI_BUNDLE_STATE_DEV);

  /* A regular bundle made dev gets an owner. */
  create (f, "plain", "loader", "1.0.0");
  set_state (f, "plain", QI_BUNDLE_STATE_PRODUCTION);
  set_state (f, "plain", QI_BUNDLE_STATE_DEV);
  stored = qi_bundle_manager_lookup (f->manager, "plain", NULL);
  g_assert_cmpint (qi_bundle_get_state (stored), ==, QI_BUNDLE_STATE_DEV);
  g_assert_cmpstr (qi_bundle_get_owner (stored), ==, g_get_user_name ());
  g_assert_null (qi_bundle_manager_get_production (f->manager));
}

static void
test_diff (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(QiBundle) a = qi_bundle_new ("a");
  g_autoptr(QiBundle) b = qi_bundle_new ("b");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) diff = NULL;
  g_autoptr(JsonNode) same = NULL;
  g_autofree char *text = NULL;

  qi_bundle_set_addon (a, "loader", "1.0.0");
  qi_bundle_set_addon (a, "maya", "2.0.0");
  qi_bundle_set_addon (a, "same", "1.0.0");
  qi_bundle_set_variable (a, "OCIO", "/a");
  qi_bundle_set_variable (a, "GONE", "1");
  qi_bundle_set_packages (a, (const char * const []) { "numpy", "scipy", NULL });
  qi_bundle_set_addon (b, "loader", "1.1.0");
  qi_bundle_set_addon (b, "nuke", "3.0.0");
  qi_bundle_set_addon (b, "same", "1.0.0");
  qi_bundle_set_variable (b, "OCIO", "/b");
  qi_bundle_set_variable (b, "NEW", "2");
  qi_bundle_set_packages (b, (const char * const []) { "numpy", "pillow", NULL });
  g_assert_true (qi_bundle_manager_create (f->manager, a, &error));
  g_assert_true (qi_bundle_manager_create (f->manager, b, &error));
  g_assert_no_error (error);

  diff = qi_bundle_manager_diff (f->manager, "a", "b", &error);
  g_assert_no_error (error);
  text = json_to_string (diff, FALSE);
  g_assert_cmpstr (text, ==,
                   "{\"from\":\"a\",\"to\":\"b\","
                   "\"addons\":{\"added\":{\"nuke\":\"3.0.0\"},\"removed\":{\"maya\":\"2.0.0\"},"
                   "\"changed\":{\"loader\":{\"from\":\"1.0.0\",\"to\":\"1.1.0\"}}},"
                   "\"variables\":{\"added\":{\"NEW\":\"2\"},\"removed\":{\"GONE\":\"1\"},"
                   "\"changed\":{\"OCIO\":{\"from\":\"/a\",\"to\":\"/b\"}}},"
                   "\"packages\":{\"added\":[\"pillow\"],\"removed\":[\"scipy\"]}}");

  same = qi_bundle_manager_diff (f->manager, "a", "a", &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = json_to_string (same, FALSE);
  g_assert_cmpstr (text, ==,
                   "{\"from\":\"a\",\"to\":\"a\","
                   "\"addons\":{\"added\":{},\"removed\":{},\"changed\":{}},"
                   "\"variables\":{\"added\":{},\"removed\":{},\"changed\":{}},"
                   "\"packages\":{\"added\":[],\"removed\":[]}}");

  g_assert_null (qi_bundle_manager_diff (f->manager, "a", "nope", &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND);
}

static void
assert_selects (Fixture    *f,
                const char *bundle,
                const char *project,
                gboolean    staging,
                const char *dev,
                const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiBundle) selected = qi_bundle_manager_select (f->manager, bundle, project, staging,
                                                           dev, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (qi_bundle_get_name (selected), ==, expected);
}

static void
test_select (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(QiBundle) dev = qi_bundle_new ("mine");
  g_autoptr(GError) error = NULL;

  /* Nothing is production yet. */
  create (f, "prod", "loader", "1.0.0");
  g_assert_null (qi_bundle_manager_select (f->manager, NULL, NULL, FALSE, NULL, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no bundle is production"));
  g_clear_error (&error);

  create (f, "next", "loader", "1.1.0");
  create (f, "project", "loader", "1.0.1");
  qi_bundle_set_state (dev, QI_BUNDLE_STATE_DEV);
  qi_bundle_set_owner (dev, "me");
  g_assert_true (qi_bundle_manager_create (f->manager, dev, &error));
  g_assert_no_error (error);
  set_state (f, "prod", QI_BUNDLE_STATE_PRODUCTION);
  set_state (f, "next", QI_BUNDLE_STATE_STAGING);

  /* --bundle > the project's bundle > production. */
  assert_selects (f, NULL, NULL, FALSE, NULL, "prod");
  assert_selects (f, NULL, "project", FALSE, NULL, "project");
  assert_selects (f, "next", "project", FALSE, NULL, "next");
  assert_selects (f, NULL, "project", TRUE, NULL, "next");
  assert_selects (f, NULL, "project", FALSE, "mine", "mine");
  assert_selects (f, "mine", NULL, FALSE, NULL, "mine");

  g_assert_null (qi_bundle_manager_select (f->manager, "prod", NULL, TRUE, NULL, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (qi_bundle_manager_select (f->manager, NULL, NULL, FALSE, "prod", &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not a dev bundle"));
  g_clear_error (&error);
  g_assert_null (qi_bundle_manager_select (f->manager, NULL, "gone", FALSE, NULL, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "the project's bundle"));
  g_clear_error (&error);

  set_state (f, "next", QI_BUNDLE_STATE_ACTIVE);
  g_assert_null (qi_bundle_manager_select (f->manager, NULL, NULL, TRUE, NULL, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no bundle is staging"));
}

#define BUNDLE(name, state, extra) \
  "{\"name\": \"" name "\", \"state\": " state ", \"created\": \"2024-05-01T10:00:00Z\", " \
  "\"modified\": \"2024-05-01T10:00:00Z\"" extra "}"

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  struct {
    const char *text;
    int         code;
    const char *message;  /* after "PATH: " */
  } cases[] = {
    { "{\"format\": 1,\n \"bundles\": [", QI_BUNDLE_ERROR_PARSE, "2:14: unexpected end of the file" },
    { "{\"format\": 1, \"bundles\": [], \"bundles\": []}", QI_BUNDLE_ERROR_PARSE, "1:30: a member name given twice" },
    { "[]", QI_BUNDLE_ERROR_INVALID, "$: expected an object with \"format\" and \"bundles\", found an array" },
    { "{\"bundles\": []}", QI_BUNDLE_ERROR_INVALID, "$.format: missing" },
    { "{\"format\": 2, \"bundles\": []}", QI_BUNDLE_ERROR_INVALID, "$.format: format 2 is newer than this Qi reads (1)" },
    { "{\"format\": \"1\", \"bundles\": []}", QI_BUNDLE_ERROR_INVALID, "$.format: expected a whole number, found a string" },
    { "{\"format\": 1, \"bundle\": []}", QI_BUNDLE_ERROR_INVALID, "$.bundle: unknown member; expected one of format, bundles" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\"]", "") ", "
        BUNDLE ("b", "[\"active\"]", "") ", "
        BUNDLE ("c", "[\"active\"]", ", \"addons\": {\"loader\": \"1.x.y\"}") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[2].addons.loader: \"1.x.y\" is not a version" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\"]", ", \"addons\": {\"loader\": 1}") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].addons.loader: expected a string, found a number" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\"]", ", \"adons\": {}") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].adons: unknown member" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"production\"]", "") ", "
        BUNDLE ("b", "[\"production\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[1].state: “a” and “b” are both production; at most one bundle is" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"staging\"]", "") ", "
        BUNDLE ("b", "[\"staging\", \"production\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[1].state: “a” and “b” are both staging" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"production\", \"archived\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].state: “production, archived”: an archived bundle cannot be production or staging" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"dev\", \"staging\"]", ", \"owner\": \"me\"") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].state: “staging, dev”: a dev bundle cannot be production or staging" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\", \"staging\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].state: “active” means no other state" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"prod\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].state[0]: \"prod\" is not a state" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"dev\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].owner: a dev bundle needs an owner" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\"]", "") ", " BUNDLE ("a", "[\"active\"]", "") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[1].name: a second bundle named “a” (the first is $.bundles[0])" },
    { "{\"format\": 1, \"bundles\": [{\"name\": \"a\", \"state\": [\"active\"], \"created\": \"yesterday\", "
      "\"modified\": \"2024-05-01T10:00:00Z\"}]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].created: \"yesterday\" is not an ISO 8601 date and time" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\"]",
        ", \"environment\": {\"variables\": {\"A B\": \"1\"}}") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].environment.variables[\"A B\"]: \"A B\" is not an environment variable name" },
    { "{\"format\": 1, \"bundles\": [" BUNDLE ("a", "[\"active\"]",
        ", \"environment\": {\"packages\": [\"numpy\", 3]}") "]}",
      QI_BUNDLE_ERROR_INVALID, "$.bundles[0].environment.packages[1]: expected a string, found a number" },
  };
  g_autoptr(GError) error = NULL;

  create (f, "kept", "loader", "1.0.0");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *expected = g_strdup_printf ("%s%s%s", f->path,
                                                   cases[i].code == QI_BUNDLE_ERROR_PARSE ? ":" : ": ",
                                                   cases[i].message);
      g_autofree char *after = NULL;

      qi_test_env_write (f->path, cases[i].text);
      g_assert_false (qi_bundle_manager_load (f->manager, &error));
      g_test_message ("%s", error->message);
      g_assert_error (error, QI_BUNDLE_ERROR, cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, expected));
      g_assert_null (strchr (error->message, '\n'));
      g_clear_error (&error);

      /* Never replaced, and the manager keeps what it had. */
      after = read_text (f->path);
      g_assert_cmpstr (after, ==, cases[i].text);
      {
        g_autoptr(QiBundle) kept = qi_bundle_manager_lookup (f->manager, "kept", NULL);
        g_assert_nonnull (kept);
      }
    }

  /* A valid file by hand, with every field. */
  qi_test_env_write (f->path,
                     "{\"format\": 1, \"bundles\": ["
                     BUNDLE ("z", "[\"production\", \"staging\"]",
                             ", \"addons\": {\"loader\": \"1.0.0+build.5\"}, \"owner\": null, "
                             "\"environment\": {\"variables\": {\"OCIO\": \"/x\"}, \"packages\": [\"numpy\"]}")
                     ", " BUNDLE ("d", "[\"dev\", \"archived\"]",
                                  ", \"owner\": \"bob\", \"addons\": {\"loader\": \"/src/loader\"}")
                     "]}");
  g_assert_true (qi_bundle_manager_load (f->manager, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qi_bundle_manager_get_production (f->manager), ==, "z");
  g_assert_cmpint (state_of (f, "d"), ==, QI_BUNDLE_STATE_DEV | QI_BUNDLE_STATE_ARCHIVED);
  {
    g_autoptr(QiBundle) kept = qi_bundle_manager_lookup (f->manager, "kept", NULL);
    g_assert_null (kept);
  }
}

/* A write that fails changes nothing, on disk or in memory. */
static void
test_write_failure (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *moved = g_strconcat (f->dir, ".moved", NULL);
  g_autofree char *blocker = g_build_filename (f->env.root, "not-a-dir", NULL);
  g_autofree char *blocked_path = g_build_filename (blocker, "qi", "bundles.json", NULL);
  g_autoptr(QiBundleManager) blocked = qi_bundle_manager_new (blocked_path);
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  /* The parent is a regular file: nothing can be created there. */
  qi_test_env_write (blocker, "x");
  {
    g_autoptr(QiBundle) bundle = qi_bundle_new ("a");
    g_autoptr(GPtrArray) list = NULL;

    g_assert_false (qi_bundle_manager_create (blocked, bundle, &error));
    g_test_message ("%s", error->message);
    g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_IO);
    g_assert_true (g_str_has_prefix (error->message, blocked_path));
    g_assert_nonnull (strstr (error->message, "nothing was changed"));
    g_clear_error (&error);
    list = qi_bundle_manager_list (blocked);
    g_assert_cmpuint (list->len, ==, 0);
  }

  /* A file that exists: its folder is swapped for a regular file while
   * the state changes, so that the write fails. */
  create (f, "a", "loader", "1.0.0");
  create (f, "b", "loader", "1.1.0");
  set_state (f, "a", QI_BUNDLE_STATE_PRODUCTION);
  before = read_text (f->path);

  g_assert_cmpint (g_rename (f->dir, moved), ==, 0);
  qi_test_env_write (f->dir, "");
  g_assert_false (qi_bundle_manager_set_state (f->manager, "b", QI_BUNDLE_STATE_PRODUCTION, &error));
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_IO);
  g_clear_error (&error);
  g_assert_cmpstr (qi_bundle_manager_get_production (f->manager), ==, "a");
  g_assert_cmpint (state_of (f, "b"), ==, QI_BUNDLE_STATE_ACTIVE);
  g_assert_cmpint (g_remove (f->dir), ==, 0);
  g_assert_cmpint (g_rename (moved, f->dir), ==, 0);

  after = read_text (f->path);
  g_assert_cmpstr (before, ==, after);

  /* The next change starts from the state before the failure. */
  set_state (f, "b", QI_BUNDLE_STATE_STAGING);
  {
    g_autoptr(QiBundleManager) other = qi_bundle_manager_new (f->path);

    g_assert_true (qi_bundle_manager_load (other, &error));
    g_assert_cmpstr (qi_bundle_manager_get_production (other), ==, "a");
    g_assert_cmpstr (qi_bundle_manager_get_staging (other), ==, "b");
  }

  /* A write that fails half-way (the file size limit, which binds root
   * too) in a child process: the old file stays whole, byte for byte. */
  g_clear_pointer (&before, g_free);
  before = read_text (f->path);
  g_setenv ("QI_TEST_BUNDLES", f->path, TRUE);
  g_test_trap_subprocess ("/qi/bundle-manager/write-failure/child", 0,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("QI_TEST_BUNDLES");
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*cannot save the bundles: *File too large*nothing was changed*");
  g_clear_pointer (&after, g_free);
  after = read_text (f->path);
  g_assert_cmpstr (before, ==, after);
}

/* Run by test_write_failure() in a child, with QI_TEST_BUNDLES naming the
 * file. */
static void
test_write_failure_child (void)
{
  const char *path = g_getenv ("QI_TEST_BUNDLES");
  g_autoptr(QiBundleManager) manager = NULL;
  g_autoptr(QiBundle) bundle = qi_bundle_new ("big");
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  struct rlimit limit;
  gsize length;

  if (!g_test_subprocess () || path == NULL)
    {
      g_test_skip ("run by /qi/bundle-manager/write-failure");
      return;
    }

  manager = qi_bundle_manager_new (path);
  g_assert_true (qi_bundle_manager_load (manager, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &before, &length, NULL));

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *addon = g_strdup_printf ("addon-%u", i);
      qi_bundle_set_addon (bundle, addon, "1.0.0");
    }

  signal (SIGXFSZ, SIG_IGN);
  limit.rlim_cur = limit.rlim_max = length + 100;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  g_assert_false (qi_bundle_manager_create (manager, bundle, &error));
  g_print ("%s\n", error->message);
  g_assert_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_IO);
  g_assert_null (qi_bundle_manager_lookup (manager, "big", NULL));

  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
}

static int
run_qi (Fixture            *f,
        const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("QI_EXE"));
  g_ptr_array_add (argv, (gpointer) "--headless");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_set_environ (launcher, f->env.envp);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &f->out, &f->err, &error);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_null (strstr (f->err, "CRITICAL"));
  g_assert_null (strstr (f->err, "WARNING"));
  g_assert_null (strstr (f->err, "Sanitizer"));

  return g_subprocess_get_exit_status (process);
}

static void
assert_error_line (Fixture    *f,
                   const char *prefix)
{
  g_assert_true (g_str_has_prefix (f->err, prefix));
  g_assert_true (strchr (f->err, '\n') == f->err + strlen (f->err) - 1);
}

/* The verbs, as a user runs them. */
static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "list", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "No bundles yet"));

  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "show", "--addon", "loader=1.2.0",
                                                        "--env", "OCIO=/x", "--package", "numpy", NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "next", "--addon=loader=1.3.0", NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "mine", "--dev", "--owner", "ann",
                                                        "--addon", "loader=/src/loader", NULL }), ==, 0);
  {
    g_autofree char *expected = g_strdup_printf ("Created bundle “mine” (dev) in %s\n", f->path);
    g_assert_cmpstr (f->out, ==, expected);
  }

  /* Usage errors and invalid values: 2. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "bad", "--addon", "loader", NULL }), ==, 2);
  assert_error_line (f, "qi bundles create: --addon “loader”: give ADDON=VERSION");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "bad", "--addon", "loader=1.x.y", NULL }), ==, 2);
  assert_error_line (f, "qi bundles create: bundle “bad”: addons.loader: \"1.x.y\" is not a version");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "show", "prod", NULL }), ==, 2);
  g_assert_cmpstr (f->err, ==, "qi bundles set-state: “prod” is not a state; did you mean “production”?\n");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "show", NULL }), ==, 2);

  /* Failures: 1. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "show", NULL }), ==, 1);
  assert_error_line (f, "qi bundles create: bundle “show” exists already");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "show", "nope", NULL }), ==, 1);
  assert_error_line (f, "qi bundles show: there is no bundle “nope”");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "mine", "production", NULL }), ==, 1);
  assert_error_line (f, "qi bundles set-state: bundle “mine” is a dev bundle and cannot be production");

  /* set-state says what changed. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "show", "production", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "show: active → production\n");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "next", "production", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "next: active → production\nshow: production → active\n");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "next", "staging", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "next: production → production, staging\n");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "next", "staging", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "next: already production, staging; nothing changed\n");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "archive", "next", NULL }), ==, 1);
  assert_error_line (f, "qi bundles archive: bundle “next” is production, staging and cannot be archived");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "archive", "show", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "show: active → archived\n");

  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "list", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "NAME  STATE                ADDONS  MODIFIED\n"
                                           "mine  dev                  1       "));
  g_assert_nonnull (strstr (f->out, "\nnext  production, staging  1       "));
  g_assert_nonnull (strstr (f->out, "\nshow  archived             1       "));

  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "list", "--json", NULL }), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, f->out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "production"), ==, "next");
  g_assert_cmpstr (json_object_get_string_member (root, "staging"), ==, "next");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "bundles")), ==, 3);

  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "diff", "show", "next", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==,
                   "--- show\n+++ next\n"
                   "addons:\n  ~ loader 1.2.0 → 1.3.0\n"
                   "variables:\n  - OCIO /x\n"
                   "packages:\n  - numpy\n");
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "show", "show", NULL }), ==, 0);
  g_assert_true (g_str_has_prefix (f->out, "Bundle:    show\nState:     archived\n"));
  g_assert_nonnull (strstr (f->out, "Addons:\n  loader  1.2.0\nVariables:\n  OCIO=/x\nPackages:  numpy\n"));

  /* --config-dir moves the file; a broken file is one line and exit 1. */
  {
    g_autofree char *other = g_build_filename (f->env.root, "elsewhere", NULL);
    g_autofree char *other_file = g_build_filename (other, "bundles.json", NULL);
    g_autofree char *expected = g_strdup_printf ("qi bundles list: %s: $.format: missing", other_file);

    g_assert_cmpint (run_qi (f, (const char * const []) { "--config-dir", other, "bundles", "create", "x", NULL }), ==, 0);
    g_assert_true (g_file_test (other_file, G_FILE_TEST_IS_REGULAR));
    qi_test_env_write (other_file, "{\"bundles\": []}");
    g_assert_cmpint (run_qi (f, (const char * const []) { "--config-dir", other, "bundles", "list", NULL }), ==, 1);
    assert_error_line (f, expected);
  }
}

/* Which addon a run loads, from `addons list --json`: "STATE VERSION PATH". */
static char *
addon_in_run (Fixture    *f,
              const char *name)
{
  g_autoptr(JsonNode) root = json_from_string (f->out, NULL);
  JsonArray *addons;

  g_assert_nonnull (root);
  addons = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (addons); i++)
    {
      JsonObject *addon = json_array_get_object_element (addons, i);

      if (g_str_equal (json_object_get_string_member (addon, "name"), name) &&
          !g_str_equal (json_object_get_string_member (addon, "state"), "disabled"))
        return g_strdup_printf ("%s %s %s", json_object_get_string_member (addon, "state"),
                                json_object_get_string_member (addon, "version"),
                                json_object_get_string_member (addon, "path"));
    }
  return g_strdup ("disabled");
}

/* A run's bundle: production, --staging, --bundle NAME, --dev-bundle NAME
 * with a local folder that counts over the installed addon. */
static void
test_run_selection (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "addons", NULL);
  g_autofree char *module = g_build_filename (built, "hello", "hello.so", NULL);
  g_autofree char *checkout = g_build_filename (f->env.root, "src", "hello", NULL);
  g_autofree char *copy = g_build_filename (checkout, "hello.so", NULL);
  g_autofree char *toml = g_build_filename (checkout, "addon.toml", NULL);
  g_autofree char *installed = g_build_filename (built, "hello", NULL);
  g_autofree char *assignment = g_strconcat ("hello=", checkout, NULL);
  g_autofree char *bogus = g_strconcat ("hello=", f->env.root, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  gsize length = 0;

  qi_test_env_setenv (&f->env, "QI_ADDON_PATH", built);
  g_assert_cmpint (g_mkdir_with_parents (checkout, 0700), ==, 0);
  g_assert_true (g_file_get_contents (module, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, length, NULL));
  qi_test_env_write (toml, "name = \"hello\"\nversion = \"1.1.0-dev\"\nmodule = \"hello.so\"\n");

  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "prod", "--addon", "hello=1.0.0", "--addon", TRACKER, NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "prod", "production", NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "next", "--addon", "hello=1.0.0",
                                                        "--addon", "farm=1.0.0", "--addon", TRACKER, NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "next", "staging", NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "mine", "--dev", "--addon", assignment,
                                                        "--addon", TRACKER, NULL }), ==, 0);
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "create", "wrong", "--dev", "--addon", bogus,
                                                        "--addon", TRACKER, NULL }), ==, 0);

  /* Production: hello, not farm. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "addons", "list", "--json", NULL }), ==, 0);
  text = addon_in_run (f, "farm");
  g_assert_cmpstr (text, ==, "disabled");
  g_clear_pointer (&text, g_free);
  expected = g_strdup_printf ("loaded 1.0.0 %s", installed);
  text = addon_in_run (f, "hello");
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);

  /* --staging: the staging bundle's addons. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--staging", "addons", "list", "--json", NULL }), ==, 0);
  text = addon_in_run (f, "farm");
  g_assert_true (g_str_has_prefix (text, "loaded 1.0.0 "));
  g_clear_pointer (&text, g_free);

  /* --dev-bundle: the developer's checkout counts over the installed one. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--dev-bundle", "mine", "addons", "list", "--json", NULL }), ==, 0);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("loaded 1.1.0-dev %s", checkout);
  text = addon_in_run (f, "hello");
  g_assert_cmpstr (text, ==, expected);
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (run_qi (f, (const char * const []) { "--dev-bundle", "mine", "hello", NULL }), ==, 0);
  g_assert_cmpstr (f->out, ==, "hello from an addon\n");

  /* A dev bundle pointing at a folder that is no addon: said, and the
   * installed addon does not load instead. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--dev-bundle", "wrong", "addons", "list", "--json", NULL }), ==, 0);
  g_assert_nonnull (strstr (f->err, "which is not an addon folder"));
  text = addon_in_run (f, "hello");
  g_assert_true (g_str_has_prefix (text, "failed 1.0.0 "));
  g_clear_pointer (&text, g_free);

  /* Refused choices. */
  g_assert_cmpint (run_qi (f, (const char * const []) { "--dev-bundle", "prod", "addons", "list", NULL }), ==, 1);
  g_assert_nonnull (strstr (f->err, "prod"));
  g_assert_cmpint (run_qi (f, (const char * const []) { "--staging", "--bundle", "prod", "addons", "list", NULL }), ==, 1);
  assert_error_line (f, "qi: ");
}

static gboolean
holds_state (QiBundleState state,
             QiBundleState target)
{
  if (target == QI_BUNDLE_STATE_ACTIVE)
    return state == QI_BUNDLE_STATE_ACTIVE;
  return (state & target) == target;
}

/* The acceptance test: `qi bundles set-state` killed (SIGKILL) at random
 * moments, many times; after every kill the file reads, the invariants
 * hold, and the change is either not there or all there. */
static void
test_crash (Fixture       *f,
            gconstpointer  data)
{
  static const char * const names[] = { "b0", "b1", "b2", "b3" };
  static const struct {
    const char    *word;
    QiBundleState  state;
  } targets[] = {
    { "production", QI_BUNDLE_STATE_PRODUCTION },
    { "staging", QI_BUNDLE_STATE_STAGING },
    { "active", QI_BUNDLE_STATE_ACTIVE },
  };
  const char *seed_text = g_getenv ("QI_TEST_SEED");
  guint32 seed = seed_text != NULL ? (guint32) g_ascii_strtoull (seed_text, NULL, 10) : 20240501;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;
  gint64 start, duration, budget_end;
  guint runs = 0, killed = 0, applied = 0, leftovers = 0;

  g_test_message ("seed %" G_GUINT32_FORMAT " (set QI_TEST_SEED to repeat another)", seed);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    create (f, names[i], "loader", "1.0.0");

  /* How long one whole run takes, to kill in the middle of runs. */
  start = g_get_monotonic_time ();
  g_assert_cmpint (run_qi (f, (const char * const []) { "bundles", "set-state", "b0", "production", NULL }), ==, 0);
  duration = MAX (g_get_monotonic_time () - start, 1000);
  g_test_message ("one run: %" G_GINT64_FORMAT " µs", duration);
  budget_end = g_get_monotonic_time () + 12 * G_USEC_PER_SEC;

  while (runs < 300 && (runs < 30 || g_get_monotonic_time () < budget_end))
    {
      guint which = g_rand_int_range (rand, 0, G_N_ELEMENTS (names));
      guint target = g_rand_int_range (rand, 0, G_N_ELEMENTS (targets));
      gint64 delay = g_rand_int_range (rand, 0, (gint32) MIN (duration * 6 / 5, G_MAXINT32 - 1) + 1);
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                           G_SUBPROCESS_FLAGS_STDERR_SILENCE);
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(QiBundleManager) check = qi_bundle_manager_new (f->path);
      g_autoptr(QiBundle) bundle = NULL;
      g_autoptr(GPtrArray) bundles = NULL;
      g_autofree char *before = read_text (f->path);
      g_autofree char *after = NULL;
      guint production = 0, staging = 0;

      g_subprocess_launcher_set_environ (launcher, f->env.envp);
      process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("QI_EXE"), "--headless",
                                             "bundles", "set-state", names[which],
                                             targets[target].word, NULL);
      g_assert_no_error (error);
      g_usleep (delay);
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, &error);
      g_assert_no_error (error);
      runs++;
      if (g_subprocess_get_if_signaled (process))
        killed++;
      else
        g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

      /* The file reads and the invariants hold. */
      if (!qi_bundle_manager_load (check, &error))
        g_error ("run %u (%s %s, killed after %" G_GINT64_FORMAT " µs): %s",
                 runs, names[which], targets[target].word, delay, error->message);
      bundles = qi_bundle_manager_list (check);
      g_assert_cmpuint (bundles->len, ==, G_N_ELEMENTS (names));
      for (guint i = 0; i < bundles->len; i++)
        {
          QiBundleState state = qi_bundle_get_state (g_ptr_array_index (bundles, i));

          production += (state & QI_BUNDLE_STATE_PRODUCTION) != 0;
          staging += (state & QI_BUNDLE_STATE_STAGING) != 0;
          g_assert_false ((state & QI_BUNDLE_STATE_ARCHIVED) &&
                          (state & (QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING)));
        }
      g_assert_cmpuint (production, <=, 1);
      g_assert_cmpuint (staging, <=, 1);

      /* The old file, or the new one with the change whole. */
      after = read_text (f->path);
      if (!g_str_equal (before, after))
        {
          bundle = qi_bundle_manager_lookup (check, names[which], &error);
          g_assert_no_error (error);
          g_assert_true (holds_state (qi_bundle_get_state (bundle), targets[target].state));
          applied++;
        }
    }

  /* A kill between the temporary file and the rename leaves the temporary
   * file behind; it never replaces bundles.json. */
  {
    GDir *dir = g_dir_open (f->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      if (!g_str_equal (name, "bundles.json"))
        leftovers++;
    g_dir_close (dir);
  }

  g_test_message ("%u runs: %u killed, %u changes written, %u temporary files left",
                  runs, killed, applied, leftovers);
  g_assert_cmpuint (killed, >, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/qi/bundle-manager/create", test_create);
  ADD ("/qi/bundle-manager/roles", test_roles);
  ADD ("/qi/bundle-manager/archived", test_archived);
  ADD ("/qi/bundle-manager/dev", test_dev);
  ADD ("/qi/bundle-manager/diff", test_diff);
  ADD ("/qi/bundle-manager/select", test_select);
  ADD ("/qi/bundle-manager/malformed", test_malformed);
  ADD ("/qi/bundle-manager/write-failure", test_write_failure);
  g_test_add_func ("/qi/bundle-manager/write-failure/child", test_write_failure_child);
  ADD ("/qi/bundle-manager/cli", test_cli);
  ADD ("/qi/bundle-manager/crash", test_crash);
  ADD ("/qi/bundle-manager/run-selection", test_run_selection);

  return g_test_run ();
}
