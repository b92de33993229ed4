/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include <qi/qi.h>

#include "qi-anatomy.h"

/*
 * The anatomy addon: the studio's folders and file names. Its settings
 * (`anatomy.roots`, `anatomy.templates`; qi-anatomy.c) make a
 * #QiTemplateSet, read again for each request, so that a change of the
 * bundle's or a project's settings counts at once. On its hub session
 * (`__hub__/addon/anatomy`):
 *
 *   templates.list  {project?}                            → {templates, roots, …}
 *   templates.solve {name, project, context?, task?, fields?} → {path, fields}
 *   templates.parse {name, path, project?}                → {fields}
 *
 * `solve` fills the fields from the tracker, asked through the hub
 * without waiting (qi_anatomy_lookup_async()), then from `fields`. The
 * verbs `templates list | solve | parse` do the same in the command's
 * process, spinning its main context until the tracker answers.
 */

#define QI_TYPE_ANATOMY_ADDON (qi_anatomy_addon_get_type ())
G_DECLARE_FINAL_TYPE (QiAnatomyAddon, qi_anatomy_addon, QI, ANATOMY_ADDON, QiAddon)

struct _QiAnatomyAddon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (QiAnatomyAddon, qi_anatomy_addon, QI_TYPE_ADDON)

/* The anatomy of one request. */
typedef struct
{
  JsonNode      *resolved;  /* the resolved settings (QiSettings' form) */
  JsonObject    *values;    /* borrowed from it */
  QiTemplateSet *set;
} Anatomy;

static void
anatomy_free (Anatomy *anatomy)
{
  g_clear_object (&anatomy->set);
  g_clear_pointer (&anatomy->resolved, json_node_unref);
  g_free (anatomy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Anatomy, anatomy_free)

static char *
data_dir (QiAnatomyAddon *self)
{
  const char *dir = qi_addon_get_data_dir (QI_ADDON (self));

  return dir != NULL ? g_strdup (dir) : g_build_filename (g_get_user_data_dir (), "qi", NULL);
}

/* The settings of @project (NULL: the run's) over their layers, as the
 * settings service resolves them now; without one, the defaults. */
static Anatomy *
load_anatomy (QiAnatomyAddon  *self,
              const char      *project,
              GError         **error)
{
  g_autoptr(Anatomy) anatomy = g_new0 (Anatomy, 1);
  g_autoptr(QiSettings) settings = NULL;
  g_autofree char *folder = data_dir (self);

  g_object_get (self, "settings", &settings, NULL);
  if (settings != NULL)
    anatomy->resolved = qi_settings_resolve (settings, qi_addon_get_name (QI_ADDON (self)), project, error);
  else
    {
      QiSettingsSchema *schema = qi_settings_schema_lookup (QI_TYPE_ANATOMY_ADDON);
      JsonObject *resolved = json_object_new ();

      json_object_set_member (resolved, "values", qi_settings_schema_dup_defaults (schema));
      if (project != NULL)
        json_object_set_string_member (resolved, "project", project);
      else
        json_object_set_null_member (resolved, "project");
      json_object_set_array_member (resolved, "errors", json_array_new ());
      anatomy->resolved = json_node_init_object (json_node_alloc (), resolved);
      json_object_unref (resolved);
    }
  if (anatomy->resolved == NULL)
    return NULL;

  anatomy->values = json_object_get_object_member (json_node_get_object (anatomy->resolved), "values");
  anatomy->set = qi_anatomy_build (anatomy->values, folder, error);
  if (anatomy->set == NULL)
    return NULL;
  return g_steal_pointer (&anatomy);
}

/* What was left out of the settings, as the settings service says. */
static JsonArray *
anatomy_get_errors (Anatomy *anatomy)
{
  return json_object_get_array_member (json_node_get_object (anatomy->resolved), "errors");
}

static const char *
anatomy_get_project (Anatomy *anatomy)
{
  return json_object_get_string_member_with_default (json_node_get_object (anatomy->resolved), "project", NULL);
}

/* The template @name, or NULL with an error listing the ones there are. */
static QiPathTemplate *
lookup_template (Anatomy     *anatomy,
                 const char  *name,
                 GError     **error)
{
  QiPathTemplate *template = qi_template_set_lookup (anatomy->set, name);
  g_auto(GStrv) names = NULL;
  g_autofree char *listed = NULL;

  if (template != NULL)
    return template;
  names = qi_template_set_list_names (anatomy->set);
  listed = g_strjoinv (", ", names);
  g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_REFERENCE,
               _("the anatomy has no template “%s”; its templates: %s"), name, listed);
  return NULL;
}

/* templates.list */

static JsonNode *
list_templates (Anatomy *anatomy)
{
  g_auto(GStrv) names = qi_template_set_list_names (anatomy->set);
  JsonObject *reply = json_object_new ();
  JsonArray *templates = json_array_new ();
  JsonNode *node;

  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonObject *entry = json_object_new ();
      JsonArray *keys = json_array_new ();
      g_auto(GStrv) used = qi_template_set_get_keys (anatomy->set, names[i], NULL);

      for (guint k = 0; used != NULL && used[k] != NULL; k++)
        json_array_add_string_element (keys, used[k]);
      json_object_set_string_member (entry, "name", names[i]);
      json_object_set_string_member (entry, "template",
                                     qi_path_template_get_text (qi_template_set_lookup (anatomy->set, names[i])));
      json_object_set_array_member (entry, "keys", keys);
      json_array_add_object_element (templates, entry);
    }

  if (anatomy_get_project (anatomy) != NULL)
    json_object_set_string_member (reply, "project", anatomy_get_project (anatomy));
  else
    json_object_set_null_member (reply, "project");
  json_object_set_array_member (reply, "templates", templates);
  json_object_set_string_member (reply, "platform", qi_platform_to_string (qi_template_set_get_platform (anatomy->set)));
  json_object_set_object_member (reply, "roots", qi_anatomy_dup_roots (anatomy->set, anatomy->values));
  json_object_set_array_member (reply, "errors", json_array_ref (anatomy_get_errors (anatomy)));

  node = json_node_init_object (json_node_alloc (), reply);
  json_object_unref (reply);
  return node;
}

/* templates.solve */

/* What a caller's fields may not hold: the roots are the anatomy's. */
static gboolean
check_overrides (JsonObject  *fields,
                 GError     **error)
{
  if (fields == NULL || !json_object_has_member (fields, "root"))
    return TRUE;
  g_set_error (error, QI_HUB_ERROR, QI_HUB_ERROR_BAD_MESSAGE,
               _("the fields cannot set “root”: the roots are the anatomy's settings (%s.roots)"),
               QI_ANATOMY_NAME);
  return FALSE;
}

typedef struct
{
  Anatomy    *anatomy;
  char       *name;
  JsonObject *overrides;  /* or NULL */
} Solve;

static void
solve_free (gpointer data)
{
  Solve *solve = data;

  g_clear_pointer (&solve->anatomy, anatomy_free);
  g_free (solve->name);
  g_clear_pointer (&solve->overrides, json_object_unref);
  g_free (solve);
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Solve *solve = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(JsonObject) fields = qi_anatomy_lookup_finish (QI_HUB_ENDPOINT (source), result, &error);
  g_autofree char *path = NULL;
  JsonObject *reply;
  JsonNode *node;

  if (fields == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* the tracker's, the roots (for the reply: the set solves them), then
   * the caller's */
  json_object_set_object_member (fields, "root", qi_anatomy_dup_roots (solve->anatomy->set, solve->anatomy->values));
  if (solve->overrides != NULL)
    qi_anatomy_merge_fields (fields, solve->overrides);

  path = qi_template_set_solve (solve->anatomy->set, solve->name, fields, &error);
  if (path == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  reply = json_object_new ();
  json_object_set_string_member (reply, "path", path);
  json_object_set_object_member (reply, "fields", json_object_ref (fields));
  node = json_node_init_object (json_node_alloc (), reply);
  json_object_unref (reply);
  g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

/* Solves the template @name of @anatomy (taken), the anatomy of
 * @project, for @project (and @context, @task): its fields from the
 * tracker and then @overrides; @task needs @context, and @overrides
 * passed check_overrides(). */
static void
solve_async (QiAnatomyAddon      *self,
             Anatomy             *taken,
             const char          *name,
             const char          *project,
             const char          *context,
             const char          *task_name,
             JsonObject          *overrides,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(Anatomy) anatomy = taken;
  GError *error = NULL;
  Solve *solve;

  g_task_set_source_tag (task, solve_async);
  if (lookup_template (anatomy, name, &error) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  solve = g_new0 (Solve, 1);
  solve->anatomy = g_steal_pointer (&anatomy);
  solve->name = g_strdup (name);
  solve->overrides = overrides != NULL ? json_object_ref (overrides) : NULL;
  g_task_set_task_data (task, solve, solve_free);
  qi_anatomy_lookup_async (qi_addon_get_endpoint (QI_ADDON (self)), project, context, task_name, NULL,
                           on_looked_up, g_steal_pointer (&task));
}

static JsonNode *
solve_finish (QiAnatomyAddon  *self,
              GAsyncResult    *result,
              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* templates.parse */

static JsonObject *
parse_path (Anatomy     *anatomy,
            const char  *name,
            const char  *path,
            GError     **error)
{
  if (lookup_template (anatomy, name, error) == NULL)
    return NULL;
  /* a path written on another platform reads back here */
  return qi_template_set_parse_full (anatomy->set, name, path, QI_TEMPLATE_PARSE_ANY_PLATFORM, error);
}

/* The hub. */

static void
fail (QiHubRequest *request,
      QiHubError    code,
      const GError *error)
{
  g_autofree char *message = g_strdup_printf ("%s: %s", qi_hub_request_get_topic (request), error->message);

  qi_hub_request_fail (request, code, message);
}

static void
on_list (QiHubRequest *request,
         JsonObject   *payload,
         gpointer      user_data)
{
  QiAnatomyAddon *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Anatomy) anatomy = load_anatomy (self, qi_hub_facade_get_string (payload, "project"), &error);
  g_autoptr(JsonNode) reply = NULL;

  if (anatomy == NULL)
    {
      fail (request, QI_HUB_ERROR_HANDLER_FAILED, error);
      return;
    }
  reply = list_templates (anatomy);
  qi_hub_request_reply (request, reply);
}

static void
on_solved (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(QiHubRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = solve_finish (QI_ANATOMY_ADDON (source), result, &error);

  if (reply == NULL)
    fail (request, QI_HUB_ERROR_HANDLER_FAILED, error);
  else
    qi_hub_request_reply (request, reply);
}

static void
on_solve (QiHubRequest *request,
          JsonObject   *payload,
          gpointer      user_data)
{
  QiAnatomyAddon *self = user_data;
  const char *project = qi_hub_facade_get_string (payload, "project");
  const char *context = qi_hub_facade_get_string (payload, "context");
  const char *task = qi_hub_facade_get_string (payload, "task");
  g_autoptr(Anatomy) anatomy = NULL;
  JsonNode *fields = json_object_get_member (payload, "fields");
  JsonObject *overrides = fields != NULL && JSON_NODE_HOLDS_OBJECT (fields) ? json_node_get_object (fields) : NULL;
  g_autoptr(GError) error = NULL;

  if (task != NULL && context == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("%s: “task” needs “context”, the context the task is in "
                                                    "(such as “/sq010/sh010”)"),
                                                  qi_hub_request_get_topic (request));

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  if (!check_overrides (overrides, &error))
    {
      fail (request, QI_HUB_ERROR_BAD_MESSAGE, error);
      return;
    }
  anatomy = load_anatomy (self, project, &error);
  if (anatomy == NULL)
    {
      fail (request, QI_HUB_ERROR_HANDLER_FAILED, error);
      return;
    }
  solve_async (self, g_steal_pointer (&anatomy), qi_hub_facade_get_string (payload, "name"), project,
               context, task, overrides, on_solved, g_object_ref (request));
}

static void
on_parse (QiHubRequest *request,
          JsonObject   *payload,
          gpointer      user_data)
{
  QiAnatomyAddon *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Anatomy) anatomy = load_anatomy (self, qi_hub_facade_get_string (payload, "project"), &error);
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (anatomy != NULL)
    fields = parse_path (anatomy, qi_hub_facade_get_string (payload, "name"),
                         qi_hub_facade_get_string (payload, "path"), &error);
  if (fields == NULL)
    {
      fail (request, QI_HUB_ERROR_HANDLER_FAILED, error);
      return;
    }
  reply = json_object_new ();
  json_object_set_object_member (reply, "fields", g_steal_pointer (&fields));
  node = json_node_init_object (json_node_alloc (), reply);
  qi_hub_request_reply (request, node);
}

#define NONEMPTY(name, required) { name, QI_HUB_FIELD_NONEMPTY, required, 0 }

static const QiHubField list_fields[] = { NONEMPTY ("project", FALSE), { NULL } };
static const QiHubField solve_fields[] = {
  NONEMPTY ("name", TRUE), NONEMPTY ("project", TRUE), NONEMPTY ("context", FALSE), NONEMPTY ("task", FALSE),
  { "fields", QI_HUB_FIELD_OBJECT, FALSE, 0 }, { NULL }
};
static const QiHubField parse_fields[] = {
  NONEMPTY ("name", TRUE), NONEMPTY ("path", TRUE), NONEMPTY ("project", FALSE), { NULL }
};

static const QiHubTopic topics[] = {
  { "templates.list", list_fields, on_list },
  { "templates.solve", solve_fields, on_solve },
  { "templates.parse", parse_fields, on_parse },
};

/* The verbs. */

static const char *
verb_name (QiCliInvocation *invocation)
{
  return qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
}

static int
verb_fail (QiCliInvocation *invocation,
           const GError    *error)
{
  qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb_name (invocation), error->message);
  return 1;
}

/* The verbs' user data: the addon, weakly, so that a verb that outlives
 * it says so rather than crash. */
static QiAnatomyAddon *
addon_of (QiCliInvocation *invocation,
          gpointer         user_data)
{
  QiAnatomyAddon *self = g_weak_ref_get (user_data);

  if (self == NULL)
    qi_cli_invocation_printerr (invocation, _("qi %s: the anatomy addon is gone\n"), verb_name (invocation));
  return self;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* --project P, else the run's (qi --project P …); NULL if neither. */
static const char *
verb_project (QiCliInvocation *invocation,
              QiAnatomyAddon  *self)
{
  const char *project = qi_cli_invocation_get_string (invocation, "project");
  g_autoptr(QiSettings) settings = NULL;

  if (project != NULL)
    return project;
  g_object_get (self, "settings", &settings, NULL);
  return settings != NULL ? qi_settings_get_project (settings) : NULL;
}

static Anatomy *
verb_load (QiCliInvocation *invocation,
           QiAnatomyAddon  *self,
           const char      *project,
           int             *status)
{
  g_autoptr(GError) error = NULL;
  Anatomy *anatomy = load_anatomy (self, project, &error);
  JsonArray *errors;

  if (anatomy == NULL)
    {
      *status = verb_fail (invocation, error);
      return NULL;
    }
  errors = anatomy_get_errors (anatomy);
  for (guint i = 0; i < json_array_get_length (errors); i++)
    qi_cli_invocation_printerr (invocation, _("qi %s: warning: %s\n"), verb_name (invocation),
                                json_array_get_string_element (errors, i));
  return anatomy;
}

/* templates list [--project P] [--json] */
static int
list_verb (QiCliInvocation *invocation,
           gpointer         user_data)
{
  g_autoptr(QiAnatomyAddon) self = addon_of (invocation, user_data);
  g_autoptr(Anatomy) anatomy = NULL;
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *object;
  JsonArray *templates;
  JsonObject *roots;
  g_autoptr(GList) names = NULL;
  int width = 0;
  int status = 1;

  if (self == NULL)
    return 1;
  anatomy = verb_load (invocation, self, verb_project (invocation, self), &status);
  if (anatomy == NULL)
    return status;
  reply = list_templates (anatomy);
  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      qi_cli_invocation_print_json (invocation, reply);
      return 0;
    }

  object = json_node_get_object (reply);
  templates = json_object_get_array_member (object, "templates");
  roots = json_object_get_object_member (object, "roots");
  names = json_object_get_members (roots);
  for (guint i = 0; i < json_array_get_length (templates); i++)
    width = MAX (width, (int) strlen (json_object_get_string_member (json_array_get_object_element (templates, i),
                                                                     "name")));
  for (GList *l = names; l != NULL; l = l->next)
    width = MAX (width, (int) strlen (l->data) + (int) strlen ("root[]"));

  for (guint i = 0; i < json_array_get_length (templates); i++)
    {
      JsonObject *entry = json_array_get_object_element (templates, i);

      qi_cli_invocation_print (invocation, "%-*s  %s\n", width, json_object_get_string_member (entry, "name"),
                               json_object_get_string_member (entry, "template"));
    }
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *label = g_strdup_printf ("root[%s]", (const char *) l->data);
      const char *path = json_object_get_string_member_with_default (roots, l->data, NULL);
      g_autofree char *missing = g_strdup_printf (_("(none for %s)"),
                                                  json_object_get_string_member (object, "platform"));

      qi_cli_invocation_print (invocation, "%-*s  %s\n", width, label, path != NULL ? path : missing);
    }
  return 0;
}

/* Whether @key is a dotted path of field names: `version`, `product.name`. */
static gboolean
key_is_valid (const char *key)
{
  g_auto(GStrv) parts = g_strsplit (key, ".", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] == '\0' ||
        strspn (parts[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen (parts[i]))
      return FALSE;
  return parts[0] != NULL;
}

/* VALUE of --set KEY=VALUE: a number if it reads as one (version=3,
 * fps=23.976), else text. */
static JsonNode *
read_set_value (const char *text)
{
  gint64 integer;
  char *end = NULL;
  double number;

  if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &integer, NULL))
    return json_node_init_int (json_node_alloc (), integer);
  if (*text != '\0' && (g_ascii_isdigit (*text) || *text == '-'))
    {
      number = g_ascii_strtod (text, &end);
      if (end != NULL && *end == '\0' && strchr (text, '.') != NULL && isfinite (number))
        return json_node_init_double (json_node_alloc (), number);
    }
  return json_node_init_string (json_node_alloc (), text);
}

/* The fields of --set KEY=VALUE …, nested by the key's dots; NULL with a
 * usage message for one that is not KEY=VALUE. */
static JsonObject *
read_sets (QiCliInvocation *invocation)
{
  g_auto(GStrv) sets = qi_cli_invocation_dup_strv (invocation, "set");
  g_autoptr(JsonObject) fields = json_object_new ();

  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    {
      const char *equals = strchr (sets[i], '=');
      g_autofree char *key = equals != NULL ? g_strndup (sets[i], equals - sets[i]) : NULL;
      g_auto(GStrv) parts = NULL;
      JsonObject *into = fields;
      guint n;

      if (key == NULL || !key_is_valid (key))
        {
          qi_cli_invocation_printerr (invocation,
                                      _("qi %s: --set “%s” is not KEY=VALUE, such as version=3 or "
                                        "product.name=main (a key is names joined by “.”)\n"),
                                      verb_name (invocation), sets[i]);
          return NULL;
        }
      parts = g_strsplit (key, ".", -1);
      n = g_strv_length (parts);
      for (guint p = 0; p + 1 < n; p++)
        {
          JsonNode *existing = json_object_get_member (into, parts[p]);

          if (existing == NULL || !JSON_NODE_HOLDS_OBJECT (existing))
            json_object_set_object_member (into, parts[p], json_object_new ());
          into = json_object_get_object_member (into, parts[p]);
        }
      json_object_set_member (into, parts[n - 1], read_set_value (equals + 1));
    }
  return g_steal_pointer (&fields);
}

static void
on_verb_solved (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* templates solve NAME --project P [--context C] [--task T] [--set KEY=VALUE …] [--json] */
static int
solve_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiAnatomyAddon) self = addon_of (invocation, user_data);
  const char *name = qi_cli_invocation_get_arguments (invocation)[0];
  const char *context = qi_cli_invocation_get_string (invocation, "context");
  const char *task = qi_cli_invocation_get_string (invocation, "task");
  g_autoptr(JsonObject) overrides = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(Anatomy) anatomy = NULL;
  const char *project;
  int status = 1;

  if (self == NULL)
    return 1;
  project = verb_project (invocation, self);
  if (project == NULL)
    {
      qi_cli_invocation_printerr (invocation, _("qi %s: which project? Give --project P\n"), verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  if (task != NULL && context == NULL)
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: --task needs --context, the context the task is in (such as "
                                    "/sq010/sh010)\n"),
                                  verb_name (invocation));
      return QI_CLI_EXIT_USAGE;
    }
  if ((overrides = read_sets (invocation)) == NULL)
    return QI_CLI_EXIT_USAGE;
  if (!check_overrides (overrides, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi %s: --set: %s\n", verb_name (invocation), error->message);
      return QI_CLI_EXIT_USAGE;
    }

  anatomy = verb_load (invocation, self, project, &status);
  if (anatomy == NULL)
    return status;

  /* the tracker answers through the hub, in this process: its main
   * context must run */
  solve_async (self, g_steal_pointer (&anatomy), name, project, context, task, overrides, on_verb_solved, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  reply = solve_finish (self, result, &error);
  if (reply == NULL)
    return verb_fail (invocation, error);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    qi_cli_invocation_print_json (invocation, reply);
  else
    qi_cli_invocation_print (invocation, "%s\n", json_object_get_string_member (json_node_get_object (reply), "path"));
  return 0;
}

/* One `key.path = JSON` line per field of @fields. */
static void
print_fields (QiCliInvocation *invocation,
              JsonObject      *fields,
              const char      *prefix)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, fields);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_autofree char *key = prefix != NULL ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);

      if (JSON_NODE_HOLDS_OBJECT (node))
        print_fields (invocation, json_node_get_object (node), key);
      else
        {
          g_autofree char *text = qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);

          qi_cli_invocation_print (invocation, "%s = %s\n", key, text);
        }
    }
}

/* templates parse NAME PATH [--project P] [--json] */
static int
parse_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  g_autoptr(QiAnatomyAddon) self = addon_of (invocation, user_data);
  const char * const *arguments = qi_cli_invocation_get_arguments (invocation);
  g_autoptr(Anatomy) anatomy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fields = NULL;
  int status = 1;

  if (self == NULL)
    return 1;
  anatomy = verb_load (invocation, self, verb_project (invocation, self), &status);
  if (anatomy == NULL)
    return status;
  fields = parse_path (anatomy, arguments[0], arguments[1], &error);
  if (fields == NULL)
    return verb_fail (invocation, error);

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonObject) reply = json_object_new ();
      g_autoptr(JsonNode) node = NULL;

      json_object_set_object_member (reply, "fields", json_object_ref (fields));
      node = json_node_init_object (json_node_alloc (), reply);
      qi_cli_invocation_print_json (invocation, node);
    }
  else
    print_fields (invocation, fields, NULL);
  return 0;
}

static QiCliVerb *
new_verb (QiAnatomyAddon *self,
          const char     *name,
          const char     *summary,
          QiCliVerbFunc   func)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  return qi_cli_verb_new (name, summary, func, ref, weak_ref_free);
}

static gboolean
add_verbs (QiAnatomyAddon  *self,
           GError         **error)
{
  g_autoptr(QiCliVerb) list = NULL, solve = NULL, parse = NULL;

  list = new_verb (self, "templates list", _("List the anatomy's path templates and roots"), list_verb);
  qi_cli_verb_set_description (list,
    _("The templates and roots of the anatomy addon's settings (anatomy.templates, anatomy.roots), over "
      "the default, bundle and project layers; the roots as they are on this platform."));
  qi_cli_verb_add_option (list, "project", QI_CLI_OPTION_STRING, _("PROJECT"),
                          _("The project whose settings apply (default: the run's)"));
  qi_cli_verb_add_option (list, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));

  solve = new_verb (self, "templates solve", _("Make the path a template names, from the tracker's fields"),
                    solve_verb);
  qi_cli_verb_set_arguments (solve, _("NAME"), 1, 1);
  qi_cli_verb_set_description (solve,
    _("The fields come from the tracker (project, context, task, the run's user), then from --set KEY=VALUE, "
      "which adds or replaces one (version=3, ext=.blend, product.name=main; a value that reads as a "
      "number is one). --json prints the path and the fields."));
  qi_cli_verb_add_option (solve, "project", QI_CLI_OPTION_STRING, _("PROJECT"), _("The project"));
  qi_cli_verb_add_option (solve, "context", QI_CLI_OPTION_STRING, _("CONTEXT"),
                          _("The context: its path, such as /sq010/sh010, or its id"));
  qi_cli_verb_add_option (solve, "task", QI_CLI_OPTION_STRING, _("TASK"), _("A task of the context, by name"));
  qi_cli_verb_add_option (solve, "set", QI_CLI_OPTION_STRING_ARRAY, _("KEY=VALUE"),
                          _("A field to add or replace; may be given several times"));
  qi_cli_verb_add_option (solve, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));

  parse = new_verb (self, "templates parse", _("Read the fields of a template back from a path"), parse_verb);
  qi_cli_verb_set_arguments (parse, _("NAME PATH"), 2, 2);
  qi_cli_verb_set_description (parse,
    _("Prints one KEY = VALUE line per field. A path made on another platform reads back with that "
      "platform's roots."));
  qi_cli_verb_add_option (parse, "project", QI_CLI_OPTION_STRING, _("PROJECT"),
                          _("The project whose settings apply (default: the run's)"));
  qi_cli_verb_add_option (parse, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));

  return qi_addon_add_verb (QI_ADDON (self), list, error) &&
         qi_addon_add_verb (QI_ADDON (self), solve, error) &&
         qi_addon_add_verb (QI_ADDON (self), parse, error);
}

static gboolean
qi_anatomy_addon_register_addon (QiAddon  *addon,
                                 GError  **error)
{
  QiAnatomyAddon *self = QI_ANATOMY_ADDON (addon);

  return qi_hub_facade_attach (qi_addon_get_endpoint (addon), topics, G_N_ELEMENTS (topics), self, error) &&
         add_verbs (self, error);
}

static void
qi_anatomy_addon_class_init (QiAnatomyAddonClass *klass)
{
  g_autoptr(QiSettingsSchema) schema = qi_anatomy_schema_new ();

  QI_ADDON_CLASS (klass)->register_addon = qi_anatomy_addon_register_addon;
  qi_settings_schema_attach (schema, QI_TYPE_ANATOMY_ADDON);
}

static void
qi_anatomy_addon_class_finalize (QiAnatomyAddonClass *klass)
{
}

static void
qi_anatomy_addon_init (QiAnatomyAddon *self)
{
}

static GType
anatomy_register (GTypeModule *module)
{
  qi_anatomy_addon_register_type (module);
  return qi_anatomy_addon_get_type ();
}

QI_ADDON_MODULE_DEFINE (anatomy_register)
