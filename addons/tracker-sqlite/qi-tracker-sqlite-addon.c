/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <qi/qi.h>

#include "qi-demo-show.h"
#include "qi-local-auth-provider.h"
#include "qi-sqlite-adapter.h"
#include "qi-sqlite-datastore.h"

/*
 * The embedded tracker, Qi's default: a provider addon of the roles `db`
 * (QiSqliteAdapter over `tracker.sqlite` in the run's data folder) and
 * `auth` (QiLocalAuthProvider, the tracker's users and their passwords),
 * loaded at bootstrap phase 1 before every other addon. Its verbs:
 *
 *   db init | seed-demo | export FILE [--project P] | import FILE
 *   user add NAME [--full-name T] [--email A] [--role admin] --password-stdin
 *   user passwd NAME --password-stdin
 *   user list [--json]
 *
 * Passwords are only read from stdin (one line), never from the command
 * line, where other users of the machine could see them.
 */

#define TRACKER_FILE "tracker.sqlite"

#define QI_TYPE_TRACKER_SQLITE_ADDON (qi_tracker_sqlite_addon_get_type ())
G_DECLARE_FINAL_TYPE (QiTrackerSqliteAddon, qi_tracker_sqlite_addon, QI, TRACKER_SQLITE_ADDON, QiAddon)

struct _QiTrackerSqliteAddon
{
  QiAddon              parent_instance;

  QiSqliteAdapter     *tracker;
  QiLocalAuthProvider *login;
};

G_DEFINE_DYNAMIC_TYPE (QiTrackerSqliteAddon, qi_tracker_sqlite_addon, QI_TYPE_ADDON)


static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static int
fail (QiCliInvocation *invocation,
      const GError    *error)
{
  qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
  return 1;
}

/* The verbs' user data: the addon, weakly, so that a verb that outlives
 * it says so rather than crash. */
static QiTrackerSqliteAddon *
addon_of (QiCliInvocation *invocation,
          gpointer         user_data)
{
  QiTrackerSqliteAddon *self = g_weak_ref_get (user_data);

  if (self == NULL)
    qi_cli_invocation_printerr (invocation, _("qi %s: the tracker-sqlite addon is gone\n"), verb_name (invocation));
  return self;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* db init */
static int
init_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return 1;
  if (!qi_sqlite_adapter_open (self->tracker, &error))
    return fail (invocation, error);
  qi_cli_invocation_print (invocation, _("tracker %s, schema version %d\n"),
                           qi_sqlite_adapter_get_path (self->tracker),
                           qi_sqlite_adapter_get_schema_version (self->tracker));
  return 0;
}

/* db seed-demo */
static int
seed_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) existing = NULL;
  QiDbAdapter *adapter;

  if (self == NULL)
    return 1;
  adapter = QI_DB_ADAPTER (self->tracker);
  existing = qi_db_adapter_get_project (adapter, "demo", &error);
  if (existing != NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: the tracker has a project “demo” already\n"),
                                  verb_name (invocation));
      return 1;
    }
  if (!g_error_matches (error, QI_DB_ERROR, QI_DB_ERROR_NOT_FOUND))
    return fail (invocation, error);
  g_clear_error (&error);
  /* The whole show or nothing: one transaction. */
  if (!qi_sqlite_adapter_begin_batch (self->tracker, &error))
    return fail (invocation, error);
  if (!qi_db_seed_demo (adapter, &error) || !qi_sqlite_adapter_commit_batch (self->tracker, &error))
    {
      qi_sqlite_adapter_rollback_batch (self->tracker);
      return fail (invocation, error);
    }
  qi_cli_invocation_print (invocation, _("created the project “demo”\n"));
  return 0;
}

/* db export FILE [--project P] */
static int
export_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  const char *file = qi_cli_invocation_get_arguments (invocation)[0];
  const char *project = qi_cli_invocation_get_string (invocation, "project");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) document = NULL;
  g_autofree char *text = NULL;
  gsize length;

  if (self == NULL)
    return 1;
  /* The file is replaced by renaming a new one over it: never do that to
   * a device, a folder or a link's target the user did not mean. */
  if (g_file_test (file, G_FILE_TEST_EXISTS) &&
      (!g_file_test (file, G_FILE_TEST_IS_REGULAR) || g_file_test (file, G_FILE_TEST_IS_SYMLINK)))
    {
      qi_cli_invocation_printerr (invocation, _("qi db export: %s exists and is not a regular file; "
                                                "nothing was written\n"), file);
      return 1;
    }
  document = qi_sqlite_adapter_export_project (self->tracker, project != NULL ? project : "demo", &error);
  if (document == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi db export: %s\n", error->message);
      return 1;
    }
  text = qi_json_to_string (document, QI_JSON_WRITE_PRETTY, &length);
  if (!g_file_set_contents_full (file, text, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi db export: %s\n", error->message);
      return 1;
    }
  qi_cli_invocation_print (invocation, _("Exported “%s” to %s.\n"), project != NULL ? project : "demo", file);
  return 0;
}

/* db import FILE */
static int
import_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  const char *file = qi_cli_invocation_get_arguments (invocation)[0];
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(JsonNode) document = NULL;
  const char *data;

  if (self == NULL)
    return 1;
  mapped = g_mapped_file_new (file, FALSE, &error);
  if (mapped == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi db import: %s\n", error->message);
      return 1;
    }
  data = g_mapped_file_get_contents (mapped);
  document = qi_json_from_data (data != NULL ? data : "", g_mapped_file_get_length (mapped), &error);
  if (document == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi db import: %s:%s; nothing was imported\n", file, error->message);
      return QI_CLI_EXIT_USAGE;
    }
  if (!qi_sqlite_adapter_import_project (self->tracker, document, file, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi db import: %s\n", error->message);
      return g_error_matches (error, QI_DB_ERROR, QI_DB_ERROR_INVALID) ? QI_CLI_EXIT_USAGE : 1;
    }
  qi_cli_invocation_print (invocation, _("Imported “%s” from %s.\n"),
                           json_object_get_string_member (json_object_get_object_member (
                             json_node_get_object (document), "project"), "name"), file);
  return 0;
}

static void
print_roles (QiCliInvocation *invocation,
             JsonArray       *roles)
{
  for (guint i = 0; i < json_array_get_length (roles); i++)
    qi_cli_invocation_print (invocation, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (roles, i));
}

/* user add NAME [--full-name TEXT] [--email ADDRESS] [--role admin] --password-stdin */
static int
user_add_verb (QiCliInvocation *invocation,
               gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  const char *username = qi_cli_invocation_get_arguments (invocation)[0];
  const char *role = qi_cli_invocation_get_string (invocation, "role");
  __attribute__((cleanup (qi_cli_invocation_clear_secret))) char *password = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) user = NULL;
  const char *roles[3] = { "artist", NULL, NULL };
  int status = 0;

  if (self == NULL)
    return 1;
  if (role != NULL && !g_str_equal (role, "artist") && !g_str_equal (role, "admin"))
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: --role is “artist” or “admin”, not “%s”\n"),
                                  verb_name (invocation), role);
      return QI_CLI_EXIT_USAGE;
    }
  /* an admin is an artist too */
  if (g_strcmp0 (role, "admin") == 0)
    roles[1] = "admin";
  if ((password = qi_cli_invocation_read_secret (invocation, "password-stdin", _("password"), &status)) == NULL)
    return status;
  user = qi_local_auth_provider_add_user (self->login, username, qi_cli_invocation_get_string (invocation, "full-name"),
                                          qi_cli_invocation_get_string (invocation, "email"), password, roles,
                                          &error);
  if (user == NULL)
    return fail (invocation, error);
  qi_cli_invocation_print (invocation, _("created the user “%s” ("), username);
  print_roles (invocation, json_object_get_array_member (json_node_get_object (user), "roles"));
  qi_cli_invocation_print (invocation, ")\n");
  return 0;
}

/* user passwd NAME --password-stdin */
static int
user_passwd_verb (QiCliInvocation *invocation,
                  gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  const char *username = qi_cli_invocation_get_arguments (invocation)[0];
  __attribute__((cleanup (qi_cli_invocation_clear_secret))) char *password = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (self == NULL)
    return 1;
  if ((password = qi_cli_invocation_read_secret (invocation, "password-stdin", _("password"), &status)) == NULL)
    return status;
  if (!qi_local_auth_provider_set_password (self->login, username, password, &error))
    return fail (invocation, error);
  qi_cli_invocation_print (invocation, _("set the password of “%s”\n"), username);
  return 0;
}

/* user list [--json] */
static int
user_list_verb (QiCliInvocation *invocation,
                gpointer         user_data)
{
  g_autoptr(QiTrackerSqliteAddon) self = addon_of (invocation, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) users = NULL;
  JsonArray *array;

  if (self == NULL)
    return 1;
  if ((users = qi_local_auth_provider_list_users (self->login, &error)) == NULL)
    return fail (invocation, error);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, users);
      return 0;
    }
  array = json_node_get_array (users);
  if (json_array_get_length (array) == 0)
    {
      qi_cli_invocation_print (invocation, _("no user: add one with “qi --headless user add NAME --password-stdin”\n"));
      return 0;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);

      qi_cli_invocation_print (invocation, "%-16s %-24s ", json_object_get_string_member (user, "username"),
                               json_object_get_string_member_with_default (user, "full_name", ""));
      print_roles (invocation, json_object_get_array_member (user, "roles"));
      qi_cli_invocation_print (invocation, "%s\n",
                               json_object_get_boolean_member (user, "has_password") ? "" : _("  (no password)"));
    }
  return 0;
}

static QiCliVerb *
new_verb (QiTrackerSqliteAddon *self,
          const char           *name,
          const char           *summary,
          QiCliVerbFunc         func)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  return qi_cli_verb_new (name, summary, func, ref, weak_ref_free);
}

static gboolean
add_verbs (QiTrackerSqliteAddon  *self,
           GError               **error)
{
  QiAddon *addon = QI_ADDON (self);
  g_autoptr(QiCliVerb) init = NULL, seed = NULL, export = NULL, import = NULL;
  g_autoptr(QiCliVerb) user_add = NULL, user_passwd = NULL, user_list = NULL;

  init = new_verb (self, "db init", _("Create the embedded tracker, or migrate it to this Qi's schema"), init_verb);
  qi_cli_verb_set_description (init,
    _("The tracker is tracker.sqlite in the data directory (--data-dir, else $XDG_DATA_HOME/qi). "
      "A tracker of a newer schema than this Qi knows is refused."));

  seed = new_verb (self, "db seed-demo", _("Fill the tracker with the demo project"), seed_verb);
  qi_cli_verb_set_description (seed,
    _("A small show: project “demo”, two sequences of three shots, three asset builds, tasks per "
      "department, five users and a few published versions. Refused if “demo” exists."));

  export = new_verb (self, "db export", _("Write a project to a JSON project file"), export_verb);
  qi_cli_verb_set_description (export,
    _("The whole project (contexts, tasks, products, versions with their components and files, "
      "and the users, statuses, task types and locations) as one JSON file, written atomically. "
      "Importing it into a tracker without the project reproduces it exactly."));
  qi_cli_verb_set_arguments (export, _("FILE"), 1, 1);
  qi_cli_verb_add_option (export, "project", QI_CLI_OPTION_STRING, _("PROJECT"), _("The project (default: demo)"));

  import = new_verb (self, "db import", _("Add a project from a JSON project file"), import_verb);
  qi_cli_verb_set_description (import,
    _("The file is checked whole first — the first wrong field is named by its JSON path — then "
      "written in one transaction: a refused file, or a run stopped halfway, changes nothing."));
  qi_cli_verb_set_arguments (import, _("FILE"), 1, 1);

  user_add = new_verb (self, "user add", _("Add a user who can log in to the embedded tracker"), user_add_verb);
  qi_cli_verb_set_arguments (user_add, _("NAME"), 1, 1);
  qi_cli_verb_set_description (user_add,
    _("The password is one line read from stdin (--password-stdin), of at least 8 characters; it is "
      "stored hashed with yescrypt. Every user is an artist; --role admin makes an admin too. "
      "A user of that name that exists already is refused."));
  qi_cli_verb_add_option (user_add, "full-name", QI_CLI_OPTION_STRING, _("TEXT"), _("The name to show"));
  qi_cli_verb_add_option (user_add, "email", QI_CLI_OPTION_STRING, _("ADDRESS"), _("The user's e-mail address"));
  qi_cli_verb_add_option (user_add, "role", QI_CLI_OPTION_STRING, _("ROLE"), _("artist (the default) or admin"));
  qi_cli_verb_add_option (user_add, "password-stdin", QI_CLI_OPTION_FLAG, NULL, _("Read the password from stdin"));

  user_passwd = new_verb (self, "user passwd", _("Set the password of a user of the embedded tracker"),
                          user_passwd_verb);
  qi_cli_verb_set_arguments (user_passwd, _("NAME"), 1, 1);
  qi_cli_verb_set_description (user_passwd,
    _("The password is one line read from stdin (--password-stdin), of at least 8 characters. The user "
      "may have had none: the demo's users and the users of an imported project cannot log in until "
      "they are given one."));
  qi_cli_verb_add_option (user_passwd, "password-stdin", QI_CLI_OPTION_FLAG, NULL,
                          _("Read the password from stdin"));

  user_list = new_verb (self, "user list", _("List the users of the embedded tracker and their roles"),
                        user_list_verb);
  qi_cli_verb_add_option (user_list, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));

  for (QiCliVerb **verb = (QiCliVerb *[]) { init, seed, export, import, user_add, user_passwd, user_list, NULL };
       *verb != NULL; verb++)
    if (!qi_addon_add_verb (addon, *verb, error))
      return FALSE;
  return TRUE;
}

static gboolean
qi_tracker_sqlite_addon_register_addon (QiAddon  *addon,
                                        GError  **error)
{
  QiTrackerSqliteAddon *self = QI_TRACKER_SQLITE_ADDON (addon);
  const char *data_dir = qi_addon_get_data_dir (addon);
  g_autofree char *fallback = NULL;
  g_autofree char *path = NULL;

  if (data_dir == NULL)
    data_dir = fallback = g_build_filename (g_get_user_data_dir (), "qi", NULL);
  /* opened on first use: a run that never reads the tracker never opens it */
  path = g_build_filename (data_dir, TRACKER_FILE, NULL);
  self->tracker = qi_sqlite_adapter_new (path);
  self->login = qi_local_auth_provider_new (self->tracker);
  return qi_addon_provide_tracker (addon, QI_DB_ADAPTER (self->tracker), error) &&
         qi_addon_provide_login (addon, QI_AUTH_PROVIDER (self->login), error) &&
         add_verbs (self, error);
}

static void
qi_tracker_sqlite_addon_dispose (GObject *object)
{
  QiTrackerSqliteAddon *self = QI_TRACKER_SQLITE_ADDON (object);

  g_clear_object (&self->login);
  g_clear_object (&self->tracker);

  G_OBJECT_CLASS (qi_tracker_sqlite_addon_parent_class)->dispose (object);
}

static void
qi_tracker_sqlite_addon_class_init (QiTrackerSqliteAddonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = qi_tracker_sqlite_addon_dispose;
  QI_ADDON_CLASS (klass)->register_addon = qi_tracker_sqlite_addon_register_addon;
}

static void
qi_tracker_sqlite_addon_class_finalize (QiTrackerSqliteAddonClass *klass)
{
}

static void
qi_tracker_sqlite_addon_init (QiTrackerSqliteAddon *self)
{
}

static GType
tracker_sqlite_register (GTypeModule *module)
{
  qi_tracker_sqlite_addon_register_type (module);
  return qi_tracker_sqlite_addon_get_type ();
}

QI_ADDON_MODULE_DEFINE (tracker_sqlite_register)
