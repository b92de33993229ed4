/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/types.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "qi-cli-private.h"
#include "qi-cli-invocation.h"
#include "qi-db-manager.h"
#include "qi-db-verbs-private.h"

/*
 * `qi --headless db init | seed-demo | stats [--json] | doctor`: the
 * default tracker of the `db` service. None needs the addons, so none
 * reads a bundle or loads an addon; the tracker's file opens when the
 * verb first uses it.
 *
 * Exit statuses: 0; 1 for a failure (the tracker cannot be opened, the
 * demo project exists already).
 */

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

static QiDbAdapter *
get_adapter (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiDbManager) service = qi_cli_invocation_dup_service (invocation, "db", QI_TYPE_DB_MANAGER);
  g_autoptr(GError) error = NULL;
  QiDbAdapter *adapter;

  if (service == NULL)
    return NULL;
  adapter = qi_db_manager_get_adapter (service, NULL, &error);
  if (adapter == NULL)
    {
      fail (invocation, error);
      return NULL;
    }
  return g_object_ref (adapter);
}

/* db stats [--json] */
static int
stats_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiDbAdapter) adapter = get_adapter (invocation, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) stats = NULL;
  GList *members;

  if (adapter == NULL)
    return 1;
  if ((stats = qi_db_adapter_stats (adapter, &error)) == NULL)
    return fail (invocation, error);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, stats);
      return 0;
    }
  /* in the adapter's order, which the object's members keep */
  members = json_object_get_members (json_node_get_object (stats));
  for (GList *l = members; l != NULL; l = l->next)
    qi_cli_invocation_print (invocation, "%-18s %" G_GINT64_FORMAT "\n", (const char *) l->data,
                             json_object_get_int_member (json_node_get_object (stats), l->data));
  g_list_free (members);
  return 0;
}

/* TRUE: alive, FALSE: gone, and -1: cannot tell (another host) */
static int
publisher_alive (JsonObject *version)
{
  JsonObject *publisher = json_object_get_object_member (version, "publisher");
  const char *host = json_object_get_string_member_with_default (publisher, "host", NULL);
  gint64 pid = json_object_get_int_member_with_default (publisher, "pid", 0);

  if (host == NULL || pid <= 0)
    return FALSE;
  if (!g_str_equal (host, g_get_host_name ()))
    return -1;
  return kill ((pid_t) pid, 0) == 0 || errno == EPERM;
}

/* db doctor [--minutes N] [--json] */
static int
doctor_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autoptr(QiDbAdapter) adapter = get_adapter (invocation, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) pending = NULL;
  g_autoptr(JsonArray) stale = json_array_new ();
  gint64 minutes = 10;
  JsonArray *versions;

  if (adapter == NULL)
    return 1;
  if (qi_cli_invocation_get_int (invocation, "minutes", &minutes) && minutes < 0)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: --minutes must be 0 or more, not %" G_GINT64_FORMAT "\n"),
                                  verb_name (invocation), minutes);
      return QI_CLI_EXIT_USAGE;
    }
  if ((pending = qi_db_adapter_list_pending_versions (adapter, minutes * 60, &error)) == NULL)
    return fail (invocation, error);

  versions = json_node_get_array (pending);
  for (guint i = 0; i < json_array_get_length (versions); i++)
    {
      JsonObject *version = json_array_get_object_element (versions, i);
      int alive = publisher_alive (version);
      JsonObject *publisher = json_object_get_object_member (version, "publisher");

      if (alive == TRUE)
        continue;
      if (alive < 0)
        json_object_set_null_member (publisher, "gone");
      else
        json_object_set_boolean_member (publisher, "gone", TRUE);
      json_array_add_element (stale, json_node_copy (json_array_get_element (versions, i)));
    }

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();

      json_object_set_int_member (object, "minutes", minutes);
      json_object_set_array_member (object, "stale", json_array_ref (stale));
      json_node_take_object (root, object);
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }
  if (json_array_get_length (stale) == 0)
    {
      qi_cli_invocation_print (invocation, _("no pending version older than %" G_GINT64_FORMAT
                                             " minutes has lost its publisher\n"), minutes);
      return 0;
    }
  for (guint i = 0; i < json_array_get_length (stale); i++)
    {
      JsonObject *version = json_array_get_object_element (stale, i);
      JsonObject *publisher = json_object_get_object_member (version, "publisher");
      gboolean unknown = json_object_get_null_member (publisher, "gone");

      qi_cli_invocation_print (invocation, _("version %s (%s v%03" G_GINT64_FORMAT
                                             "), pending since %s: publisher %s pid %" G_GINT64_FORMAT " %s\n"),
                               json_object_get_string_member (version, "id"),
                               json_object_get_string_member (version, "product_name"),
                               json_object_get_int_member (version, "number"),
                               json_object_get_string_member (version, "created_at"),
                               json_object_get_string_member_with_default (publisher, "host", "?"),
                               json_object_get_int_member_with_default (publisher, "pid", 0),
                               unknown ? _("is on another host: check it there") : _("is gone"));
    }
  return 0;
}

void
qi_db_verbs_register (QiCliManager  *cli)
{
  QiCliVerb *verb;

  verb = qi_cli_verb_new ("db stats", _("Count the tracker's projects, contexts, tasks, products and versions"),
                          stats_verb, NULL, NULL);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_verb_set_needs_tracker (verb, TRUE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("db doctor", _("List pending versions whose publisher is gone"),
                          doctor_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("A version stays pending while its files are transferred. One pending for longer than "
      "--minutes (default 10) whose publishing process has ended was left by a publisher that "
      "died: retry the publish or remove it. A publisher on another host cannot be checked "
      "from here and is listed as such."));
  qi_cli_verb_add_option (verb, "minutes", QI_CLI_OPTION_INT, _("N"),
                          _("Only versions pending for at least N minutes"));
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_verb_set_needs_tracker (verb, TRUE);
  qi_cli_manager_add_builtin (cli, verb);

}
