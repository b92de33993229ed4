/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-demo-show.h"

/*
 * The demo show of `qi --headless db seed-demo`, written through the
 * tracker-neutral API (qi_db_seed_demo()).
 */

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

