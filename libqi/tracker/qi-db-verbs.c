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
#include "qi-sqlite-adapter.h"

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

/* db init */
static int
init_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiDbAdapter) adapter = get_adapter (invocation, user_data);
  g_autoptr(GError) error = NULL;
  QiSqliteAdapter *sqlite;

  if (adapter == NULL)
    return 1;
  if (!QI_IS_SQLITE_ADAPTER (adapter))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: the default tracker (%s) is not the embedded one: nothing to create\n"),
                                  verb_name (invocation), G_OBJECT_TYPE_NAME (adapter));
      return 1;
    }
  sqlite = QI_SQLITE_ADAPTER (adapter);
  if (!qi_sqlite_adapter_open (sqlite, &error))
    return fail (invocation, error);
  qi_cli_invocation_print (invocation, _("tracker %s, schema version %d\n"),
                           qi_sqlite_adapter_get_path (sqlite), qi_sqlite_adapter_get_schema_version (sqlite));
  return 0;
}

/* The demo show. */

/* The demo's ids, kept until the seeding ends. */
static const char *
id_of (GPtrArray *ids,
       JsonNode  *node)
{
  g_ptr_array_add (ids, g_strdup (json_object_get_string_member (json_node_get_object (node), "id")));
  return g_ptr_array_index (ids, ids->len - 1);
}

#define TRY(expr) G_STMT_START { \
    g_autoptr(JsonNode) try_node_ = (expr); \
    if (try_node_ == NULL) \
      return FALSE; \
  } G_STMT_END

static const char *
make_context (QiDbAdapter  *adapter,
              GPtrArray    *ids,
              const char   *parent,
              const char   *kind,
              const char   *name,
              GError      **error)
{
  g_autoptr(JsonNode) node = qi_db_adapter_create_context (adapter, "demo", parent, kind, name, error);

  return node != NULL ? id_of (ids, node) : NULL;
}

static const char *
make_product (QiDbAdapter  *adapter,
              GPtrArray    *ids,
              const char   *context,
              const char   *name,
              const char   *type,
              GError      **error)
{
  g_autoptr(JsonNode) node = qi_db_adapter_create_product (adapter, context, name, type, error);

  return node != NULL ? id_of (ids, node) : NULL;
}

/* One published version of @product with one component per extension;
 * its id (kept in @ids), or NULL. */
static const char *
make_version (QiDbAdapter  *adapter,
              GPtrArray    *ids,
              const char   *product,
              const char   *folder,
              const char   *name,
              guint         number,
              const char   *task,
              const char   *author,
              const char   *comment,
              const char   *status,
              const char   *components,
              GError      **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) kinds = g_strsplit (components, ",", -1);
  g_autoptr(JsonNode) spec = NULL;
  g_autoptr(JsonNode) version = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "product");
  json_builder_add_string_value (builder, product);
  if (task != NULL)
    {
      json_builder_set_member_name (builder, "task");
      json_builder_add_string_value (builder, task);
    }
  json_builder_set_member_name (builder, "author");
  json_builder_add_string_value (builder, author);
  json_builder_set_member_name (builder, "comment");
  json_builder_add_string_value (builder, comment);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "source");
  json_builder_add_string_value (builder, "seed-demo");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "components");
  json_builder_begin_array (builder);
  for (guint i = 0; kinds[i] != NULL; i++)
    {
      gboolean sequence = g_str_equal (kinds[i], "exr");
      guint frames = sequence ? 5 : 1;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, kinds[i]);
      json_builder_set_member_name (builder, "location");
      json_builder_add_string_value (builder, "studio");
      json_builder_set_member_name (builder, "metadata");
      json_builder_begin_object (builder);
      if (sequence)
        {
          json_builder_set_member_name (builder, "frame_range");
          json_builder_begin_array (builder);
          json_builder_add_int_value (builder, 1001);
          json_builder_add_int_value (builder, 1000 + frames);
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "files");
      json_builder_begin_array (builder);
      for (guint f = 0; f < frames; f++)
        {
          g_autofree char *path = sequence
            ? g_strdup_printf ("demo%s/publish/%s/v%03u/%s_v%03u.%04u.exr", folder, name, number, name, number, 1001 + f)
            : g_strdup_printf ("demo%s/publish/%s/v%03u/%s_v%03u.%s", folder, name, number, name, number, kinds[i]);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "path");
          json_builder_add_string_value (builder, path);
          json_builder_set_member_name (builder, "size");
          json_builder_add_int_value (builder, 1048576 * (1 + (strlen (path) * 7 + f * 13) % 40));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  spec = json_builder_get_root (builder);
  version = qi_db_adapter_create_version (adapter, json_node_get_object (spec), error);
  if (version == NULL)
    return NULL;
  {
    g_autoptr(JsonNode) published = qi_db_adapter_publish_version (adapter, id_of (ids, version), error);

    return published != NULL ? g_ptr_array_index (ids, ids->len - 1) : NULL;
  }
}

/*
 * qi_db_seed_demo:
 *
 * The demo show: project “demo”, sequences sq010 and sq020 of three shots
 * each, asset builds chr_hero, prp_sword and env_forest, tasks per
 * department with statuses and assignees, five users, a location and a
 * few published versions with components and files.
 */
gboolean
qi_db_seed_demo (QiDbAdapter  *adapter,
                 GError      **error)
{
  static const struct { const char *username, *full_name; } users[] = {
    { "ada", "Ada Okafor" }, { "bruno", "Bruno Lindqvist" }, { "chen", "Chen Wei" },
    { "dara", "Dara Moreau" }, { "emil", "Emil Novak" },
  };
  static const char * const shot_tasks[] = { "layout", "anim", "fx", "lighting", "comp" };
  static const char * const asset_tasks[] = { "model", "rig", "lookdev" };
  static const char * const statuses[] = { "approved", "in_progress", "pending_review", "not_started", "ready" };
  static const struct { const char *name, *type; } assets[] = {
    { "chr_hero", "char" }, { "prp_sword", "prop" }, { "env_forest", "env" },
  };
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *assets_id, *first_shot = NULL, *first_asset = NULL;
  const char *anim_task = NULL, *model_task = NULL, *rig_task = NULL;
  const char *product, *anim, *render, *comp, *second_asset = NULL;
  guint n = 0;

  TRY (qi_db_adapter_create_project (adapter, "demo", "Demo", error));
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autofree char *email = g_strdup_printf ("%s@studio.example", users[i].username);

      TRY (qi_db_adapter_create_user (adapter, users[i].username, users[i].full_name, email, error));
    }
  TRY (qi_db_adapter_create_location (adapter, "studio", "/mnt/projects", error));

  for (guint s = 1; s <= 2; s++)
    {
      g_autofree char *sequence_name = g_strdup_printf ("sq%03u", s * 10);
      const char *sequence = make_context (adapter, ids, NULL, "sequence", sequence_name, error);

      if (sequence == NULL)
        return FALSE;
      for (guint h = 1; h <= 3; h++)
        {
          g_autofree char *shot_name = g_strdup_printf ("sh%03u", h * 10);
          const char *shot = make_context (adapter, ids, sequence, "shot", shot_name, error);

          if (shot == NULL)
            return FALSE;
          if (first_shot == NULL)
            first_shot = shot;
          for (guint t = 0; t < G_N_ELEMENTS (shot_tasks); t++, n++)
            {
              g_autoptr(JsonNode) task = qi_db_adapter_create_task (adapter, shot, shot_tasks[t], shot_tasks[t],
                                                                    statuses[(n + s + h) % G_N_ELEMENTS (statuses)],
                                                                    users[n % G_N_ELEMENTS (users)].username,
                                                                    error);

              if (task == NULL)
                return FALSE;
              if (shot == first_shot && g_str_equal (shot_tasks[t], "anim"))
                anim_task = id_of (ids, task);
            }
        }
    }

  assets_id = make_context (adapter, ids, NULL, "folder", "assets", error);
  if (assets_id == NULL)
    return FALSE;
  for (guint a = 0; a < G_N_ELEMENTS (assets); a++)
    {
      const char *asset = make_context (adapter, ids, assets_id, "asset_build", assets[a].name, error);

      if (asset == NULL)
        return FALSE;
      if (first_asset == NULL)
        first_asset = asset;
      else if (second_asset == NULL)
        second_asset = asset;
      for (guint t = 0; t < G_N_ELEMENTS (asset_tasks); t++, n++)
        {
          g_autoptr(JsonNode) task = qi_db_adapter_create_task (adapter, asset, asset_tasks[t], asset_tasks[t],
                                                                statuses[(n + a) % G_N_ELEMENTS (statuses)],
                                                                users[n % G_N_ELEMENTS (users)].username, error);

          if (task == NULL)
            return FALSE;
          if (asset == first_asset && t == 0)
            model_task = id_of (ids, task);
          if (asset == first_asset && t == 1)
            rig_task = id_of (ids, task);
        }
    }

  /* chr_hero: two models, one rig */
  if ((product = make_product (adapter, ids, first_asset, "modelMain", "model", error)) == NULL ||
      !make_version (adapter, ids, product, "/assets/chr_hero", "modelMain", 1, model_task, "chen",
                     "blockout", "approved", "abc,ma", error) ||
      !make_version (adapter, ids, product, "/assets/chr_hero", "modelMain", 2, model_task, "chen",
                     "final topology, UVs", "pending_review", "abc,ma", error) ||
      (product = make_product (adapter, ids, first_asset, "rigMain", "rig", error)) == NULL ||
      !make_version (adapter, ids, product, "/assets/chr_hero", "rigMain", 1, rig_task, "dara",
                     "first rig", "in_progress", "ma", error))
    return FALSE;

  /* sq010/sh010: camera, two animations, a render and a comp */
  if ((product = make_product (adapter, ids, first_shot, "cameraMain", "camera", error)) == NULL ||
      !make_version (adapter, ids, product, "/sq010/sh010", "cameraMain", 1, NULL, "ada",
                     "tracked camera", "approved", "abc", error) ||
      (product = make_product (adapter, ids, first_shot, "animMain", "animation", error)) == NULL ||
      !make_version (adapter, ids, product, "/sq010/sh010", "animMain", 1, anim_task, "bruno",
                     "blocking", "approved", "abc,ma", error) ||
      (anim = make_version (adapter, ids, product, "/sq010/sh010", "animMain", 2, anim_task, "bruno",
                            "spline pass", "pending_review", "abc,ma", error)) == NULL ||
      (product = make_product (adapter, ids, first_shot, "renderMain", "render", error)) == NULL ||
      (render = make_version (adapter, ids, product, "/sq010/sh010", "renderMain", 1, NULL, "emil",
                              "beauty, first light", "in_progress", "exr", error)) == NULL ||
      (product = make_product (adapter, ids, first_shot, "compMain", "comp", error)) == NULL ||
      (comp = make_version (adapter, ids, product, "/sq010/sh010", "compMain", 1, NULL, "ada",
                            "slap comp", "in_progress", "mov,nk", error)) == NULL)
    return FALSE;

  /* Casting: the first shot uses the hero and the sword. What each
   * version uses: the render the animation, the comp the render. */
  TRY (qi_db_adapter_link_contexts (adapter, first_shot, first_asset, error));
  TRY (qi_db_adapter_link_contexts (adapter, first_shot, second_asset, error));
  TRY (qi_db_adapter_link_versions (adapter, render, anim, error));
  TRY (qi_db_adapter_link_versions (adapter, comp, render, error));
  return TRUE;
}

/* db seed-demo */
static int
seed_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiDbAdapter) adapter = get_adapter (invocation, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) existing = NULL;

  if (adapter == NULL)
    return 1;
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
  /* The whole show or nothing: one transaction on the embedded tracker. */
  if (QI_IS_SQLITE_ADAPTER (adapter) && !qi_sqlite_adapter_begin_batch (QI_SQLITE_ADAPTER (adapter), &error))
    return fail (invocation, error);
  if (!qi_db_seed_demo (adapter, &error) ||
      (QI_IS_SQLITE_ADAPTER (adapter) && !qi_sqlite_adapter_commit_batch (QI_SQLITE_ADAPTER (adapter), &error)))
    {
      if (QI_IS_SQLITE_ADAPTER (adapter))
        qi_sqlite_adapter_rollback_batch (QI_SQLITE_ADAPTER (adapter));
      return fail (invocation, error);
    }
  qi_cli_invocation_print (invocation, _("created the project “demo”\n"));
  return 0;
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

  verb = qi_cli_verb_new ("db init", _("Create the embedded tracker, or migrate it to this Qi's schema"),
                          init_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("The tracker is tracker.sqlite in the data directory (--data-dir, else $XDG_DATA_HOME/qi). "
      "A tracker of a newer schema than this Qi knows is refused."));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("db seed-demo", _("Fill the tracker with the demo project"),
                          seed_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("A small show: project “demo”, two sequences of three shots, three asset builds, tasks per "
      "department, five users and a few published versions. Refused if “demo” exists."));
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);

  verb = qi_cli_verb_new ("db stats", _("Count the tracker's projects, contexts, tasks, products and versions"),
                          stats_verb, NULL, NULL);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  qi_cli_verb_set_needs_addons (verb, FALSE);
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
  qi_cli_manager_add_builtin (cli, verb);

  qi_db_file_verbs_register (cli);
}
