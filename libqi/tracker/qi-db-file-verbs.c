/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-cli-private.h"
#include "qi-json.h"
#include "qi-cli-invocation.h"
#include "qi-db-manager.h"
#include "qi-db-verbs-private.h"
#include "qi-json-reader-private.h"
#include "qi-sqlite-datastore.h"

/*
 * `qi --headless db export FILE.json [--project P]` and `db import
 * FILE.json`: a whole project as one JSON file (docs/project-file.schema.json),
 * through the embedded tracker's datastore (qi-sqlite-datastore.c).
 * Export writes the file atomically; import checks the whole file, then
 * writes it in one transaction, or nothing.
 */

static const QiJsonLimits file_limits = {
  /* The depth a version's metadata may have in the tracker, and more. */
  .max_depth = 64,
  .max_values = 100000000,
  .max_members = 100000,
  .count_values_first = FALSE,
};

static QiSqliteAdapter *
get_sqlite (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiDbManager) service = qi_cli_invocation_dup_service (invocation, "db", QI_TYPE_DB_MANAGER);
  const char *name = qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
  g_autoptr(GError) error = NULL;
  QiDbAdapter *adapter;

  if (service == NULL)
    return NULL;
  adapter = qi_db_manager_get_adapter (service, NULL, &error);
  if (adapter == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", name, error->message);
      return NULL;
    }
  if (!QI_IS_SQLITE_ADAPTER (adapter))
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: project files go through the embedded tracker, and the "
                                                "default adapter is another one\n"), name);
      return NULL;
    }
  return g_object_ref (QI_SQLITE_ADAPTER (adapter));
}

static int
export_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiSqliteAdapter) adapter = get_sqlite (invocation, user_data);
  const char *file = qi_cli_invocation_get_arguments (invocation)[0];
  const char *project = qi_cli_invocation_get_string (invocation, "project");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) document = NULL;
  g_autofree char *text = NULL;
  gsize length;

  if (adapter == NULL)
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
  document = qi_sqlite_adapter_export_project (adapter, project != NULL ? project : "demo", &error);
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

static int
import_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiSqliteAdapter) adapter = get_sqlite (invocation, user_data);
  const char *file = qi_cli_invocation_get_arguments (invocation)[0];
  g_auto(QiJsonFailure) failure = { 0, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(JsonNode) document = NULL;
  const char *data;
  gsize length;

  if (adapter == NULL)
    return 1;
  mapped = g_mapped_file_new (file, FALSE, &error);
  if (mapped == NULL)
    {
      qi_cli_invocation_printerr (invocation, "qi db import: %s\n", error->message);
      return 1;
    }
  data = g_mapped_file_get_contents (mapped);
  length = g_mapped_file_get_length (mapped);
  document = qi_json_read (data != NULL ? data : "", length, &file_limits, &failure);
  if (document == NULL)
    {
      gsize at;
      g_autofree char *reason = qi_json_failure_describe (&failure, length, _("too large or too deeply nested"), &at);
      guint line, column;

      qi_json_locate (data != NULL ? data : "", (data != NULL ? data : "") + at, &line, &column);
      qi_cli_invocation_printerr (invocation, "qi db import: %s:%u:%u: %s; nothing was imported\n",
                                  file, line, column, reason);
      return QI_CLI_EXIT_USAGE;
    }
  if (!qi_sqlite_adapter_import_project (adapter, document, file, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi db import: %s\n", error->message);
      return g_error_matches (error, QI_DB_ERROR, QI_DB_ERROR_INVALID) ? QI_CLI_EXIT_USAGE : 1;
    }
  qi_cli_invocation_print (invocation, _("Imported “%s” from %s.\n"),
                           json_object_get_string_member (json_object_get_object_member (
                             json_node_get_object (document), "project"), "name"), file);
  return 0;
}

void
qi_db_file_verbs_register (QiCliManager  *cli)
{
  QiCliVerb *verb;

  verb = qi_cli_verb_new ("db export", _("Write a project to a JSON project file"),
                          export_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("The whole project (contexts, tasks, products, versions with their components and files, "
      "and the users, statuses, task types and locations) as one JSON file, written atomically. "
      "Importing it into a tracker without the project reproduces it exactly."));
  qi_cli_verb_set_arguments (verb, _("FILE"), 1, 1);
  qi_cli_verb_add_option (verb, "project", QI_CLI_OPTION_STRING, _("PROJECT"), _("The project (default: demo)"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("db import", _("Add a project from a JSON project file"),
                          import_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("The file is checked whole first — the first wrong field is named by its JSON path — then "
      "written in one transaction: a refused file, or a run stopped halfway, changes nothing."));
  qi_cli_verb_set_arguments (verb, _("FILE"), 1, 1);
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);
}
