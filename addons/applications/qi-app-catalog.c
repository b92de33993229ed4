/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glob.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "qi-app-catalog.h"

/*
 * QiAppCatalog: the applications a launcher offers, from the settings key
 * `applications.groups`:
 *
 *   {"blender": {"label": "Blender", "host": "blender", "icon": "blender",
 *                "workfile_extension": ".blend", "environment": {…},
 *                "discover": {"linux": ["/opt/blender-{version}/blender"]},
 *                "variants": {"3.4": {"label": "Blender 3.4",
 *                                     "executables": {"linux": ["/usr/bin/blender"]},
 *                                     "arguments": [], "environment": {…}}}}}
 *
 * A variant is installed when one of its executables for the platform
 * exists (the first found wins; a bare name is looked for on the search
 * path). The discovery patterns add the versions installed in the usual
 * places that the settings do not list, `{version}` standing for the
 * version in the path. Variants are listed newest first; an app named
 * without a variant is the newest installed one.
 */

typedef struct
{
  char      *group;
  char      *variant;
  char      *label;
  char      *group_label;
  char      *host;
  char      *icon;
  char      *extension;
  GStrv      executables;  /* the candidates of this platform, in order */
  GStrv      arguments;
  JsonNode  *group_environment;
  JsonNode  *variant_environment;
  char      *executable;   /* the one found, or NULL */
} App;

struct _QiAppCatalog
{
  GObject    parent_instance;
  GPtrArray *apps;         /* of App, by group, then newest first */
};

G_DEFINE_FINAL_TYPE (QiAppCatalog, qi_app_catalog, G_TYPE_OBJECT)

static void
app_free (gpointer data)
{
  App *app = data;

  g_free (app->group);
  g_free (app->variant);
  g_free (app->label);
  g_free (app->group_label);
  g_free (app->host);
  g_free (app->icon);
  g_free (app->extension);
  g_strfreev (app->executables);
  g_strfreev (app->arguments);
  g_clear_pointer (&app->group_environment, json_node_unref);
  g_clear_pointer (&app->variant_environment, json_node_unref);
  g_free (app->executable);
  g_free (app);
}

static void
qi_app_catalog_finalize (GObject *object)
{
  g_ptr_array_unref (QI_APP_CATALOG (object)->apps);
  G_OBJECT_CLASS (qi_app_catalog_parent_class)->finalize (object);
}

static void
qi_app_catalog_class_init (QiAppCatalogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_app_catalog_finalize;
}

static void
qi_app_catalog_init (QiAppCatalog *self)
{
  self->apps = g_ptr_array_new_with_free_func (app_free);
}

/* --- Checking the settings ------------------------------------------- */

static gboolean
refuse (GError    **error,
        const char *where,
        const char *what)
{
  g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID, "%s: %s", where, what);
  return FALSE;
}

static gboolean
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
name_is_valid (const char *name)
{
  if (*name == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
check_members (JsonObject          *object,
               const char * const  *known,
               const char          *where,
               GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *known_text = g_strjoinv (", ", (char **) known);
        g_autofree char *what = g_strdup_printf (_("“%s” is not a member here; the members are %s"),
                                                 (const char *) l->data, known_text);

        return refuse (error, where, what);
      }
  return TRUE;
}

static gboolean
check_strings (JsonNode    *node,
               const char  *where,
               GError     **error)
{
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return refuse (error, where, _("is not a list of strings"));
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!is_string (json_array_get_element (array, i)))
      return refuse (error, where, _("is not a list of strings"));
  return TRUE;
}

/* {"linux": [...], "windows": [...], "darwin": [...]} */
static gboolean
check_per_platform (JsonNode    *node,
                    const char  *where,
                    gboolean     version_pattern,
                    GError     **error)
{
  JsonObjectIter iter;
  const char *platform_name;
  JsonNode *list;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return refuse (error, where, _("is not an object of platforms (linux, windows, darwin)"));
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &platform_name, &list))
    {
      g_autofree char *inner = g_strdup_printf ("%s.%s", where, platform_name);
      QiPlatform platform;

      if (!qi_platform_from_string (platform_name, &platform))
        return refuse (error, where, _("names a platform that is not linux, windows or darwin"));
      if (!check_strings (list, inner, error))
        return FALSE;
      for (guint i = 0; version_pattern && i < json_array_get_length (json_node_get_array (list)); i++)
        {
          const char *pattern = json_array_get_string_element (json_node_get_array (list), i);
          const char *at = strstr (pattern, "{version}");

          if (at == NULL || strstr (at + 1, "{version}") != NULL || !g_path_is_absolute (pattern))
            {
              g_autofree char *what = g_strdup_printf (_("“%s” is not an absolute path naming {version} once"),
                                                       pattern);

              return refuse (error, inner, what);
            }
        }
    }
  return TRUE;
}

static gboolean
check_environment (JsonNode    *node,
                   const char  *where,
                   GError     **error)
{
  g_autoptr(QiEnvironment) scratch = NULL;
  g_autoptr(GError) local_error = NULL;

  if (node == NULL)
    return TRUE;
  /* its shape, as a launch will read it (references are resolved then) */
  scratch = qi_environment_new (NULL);
  if (!qi_environment_add_layer (scratch, where, node, &local_error) &&
      !g_error_matches (local_error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_UNDEFINED))
    {
      g_set_error_literal (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * qi_app_catalog_check:
 * @groups: the value of `applications.groups`
 * @key: its name, for the messages
 * @error: return location for a #GError
 *
 * The settings validator of the catalog: each group, each variant, each
 * member of the right kind, naming the first wrong one by its path.
 *
 * Returns: %TRUE, or %FALSE with %QI_SETTINGS_ERROR_INVALID
 */
gboolean
qi_app_catalog_check (JsonNode    *groups,
                      const char  *key,
                      GError     **error)
{
  static const char * const group_members[] = {
    "label", "host", "icon", "workfile_extension", "environment", "discover", "variants", NULL
  };
  static const char * const variant_members[] = { "label", "executables", "arguments", "environment", NULL };
  JsonObjectIter groups_iter;
  const char *group_name;
  JsonNode *group_node;

  if (!JSON_NODE_HOLDS_OBJECT (groups))
    return refuse (error, key, _("is not an object of application groups"));
  json_object_iter_init (&groups_iter, json_node_get_object (groups));
  while (json_object_iter_next (&groups_iter, &group_name, &group_node))
    {
      g_autofree char *where = g_strdup_printf ("%s.%s", key, group_name);
      JsonObject *group;
      JsonNode *node;
      JsonObjectIter variants_iter;
      const char *variant_name;
      JsonNode *variant_node;

      if (!name_is_valid (group_name))
        return refuse (error, where, _("is not a name (letters, digits, “-”, “_” and “.”)"));
      if (!JSON_NODE_HOLDS_OBJECT (group_node))
        return refuse (error, where, _("is not an object"));
      group = json_node_get_object (group_node);
      if (!check_members (group, group_members, where, error))
        return FALSE;
      for (const char * const *text = (const char * const []) { "label", "host", "icon", NULL }; *text != NULL; text++)
        {
          node = json_object_get_member (group, *text);
          if ((node != NULL || g_str_equal (*text, "host")) && !is_string (node))
            {
              g_autofree char *inner = g_strdup_printf ("%s.%s", where, *text);

              return refuse (error, inner, node == NULL ? _("is missing: the host that launches it")
                                                        : _("is not a string"));
            }
        }
      node = json_object_get_member (group, "workfile_extension");
      if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
          (!is_string (node) || json_node_get_string (node)[0] != '.' || strchr (json_node_get_string (node), '/')))
        {
          g_autofree char *inner = g_strdup_printf ("%s.workfile_extension", where);

          return refuse (error, inner, _("is not an extension such as “.blend”, or null"));
        }
      {
        g_autofree char *inner = g_strdup_printf ("%s.environment", where);
        g_autofree char *discover = g_strdup_printf ("%s.discover", where);

        if (!check_environment (json_object_get_member (group, "environment"), inner, error) ||
            !check_per_platform (json_object_get_member (group, "discover"), discover, TRUE, error))
          return FALSE;
      }

      node = json_object_get_member (group, "variants");
      if (node == NULL)
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autofree char *inner = g_strdup_printf ("%s.variants", where);

          return refuse (error, inner, _("is not an object of variants"));
        }
      json_object_iter_init (&variants_iter, json_node_get_object (node));
      while (json_object_iter_next (&variants_iter, &variant_name, &variant_node))
        {
          g_autofree char *at = g_strdup_printf ("%s.variants.%s", where, variant_name);
          g_autofree char *executables = g_strdup_printf ("%s.executables", at);
          g_autofree char *arguments = g_strdup_printf ("%s.arguments", at);
          g_autofree char *environment = g_strdup_printf ("%s.environment", at);
          JsonObject *variant;

          if (!name_is_valid (variant_name))
            return refuse (error, at, _("is not a name (letters, digits, “-”, “_” and “.”)"));
          if (!JSON_NODE_HOLDS_OBJECT (variant_node))
            return refuse (error, at, _("is not an object"));
          variant = json_node_get_object (variant_node);
          if (!check_members (variant, variant_members, at, error))
            return FALSE;
          node = json_object_get_member (variant, "label");
          if (node != NULL && !is_string (node))
            {
              g_autofree char *inner = g_strdup_printf ("%s.label", at);

              return refuse (error, inner, _("is not a string"));
            }
          if (!check_per_platform (json_object_get_member (variant, "executables"), executables, FALSE, error) ||
              !check_strings (json_object_get_member (variant, "arguments"), arguments, error) ||
              !check_environment (json_object_get_member (variant, "environment"), environment, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* --- Building the catalog -------------------------------------------- */

/* Newest first: numbers compared as numbers, text as text. */
static int
compare_versions (const char *a,
                  const char *b)
{
  while (*a != '\0' && *b != '\0')
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          char *end_a, *end_b;
          guint64 x = g_ascii_strtoull (a, &end_a, 10);
          guint64 y = g_ascii_strtoull (b, &end_b, 10);

          if (x != y)
            return x < y ? -1 : 1;
          a = end_a;
          b = end_b;
        }
      else
        {
          if (*a != *b)
            return *a < *b ? -1 : 1;
          a++;
          b++;
        }
    }
  return (*a != '\0') - (*b != '\0');
}

static int
compare_apps (gconstpointer pa,
              gconstpointer pb)
{
  const App *a = *(const App * const *) pa;
  const App *b = *(const App * const *) pb;
  int group = strcmp (a->group, b->group);

  return group != 0 ? group : -compare_versions (a->variant, b->variant);
}

static GStrv
strings_of (JsonNode *node)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; node != NULL && JSON_NODE_HOLDS_ARRAY (node) && i < json_array_get_length (json_node_get_array (node)); i++)
    g_strv_builder_add (builder, json_array_get_string_element (json_node_get_array (node), i));
  return g_strv_builder_end (builder);
}

static JsonNode *
platform_member (JsonNode   *node,
                 QiPlatform  platform)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_get_member (json_node_get_object (node), qi_platform_to_string (platform));
}

/* The first candidate that is there: a path as it is, a name on the
 * search path. */
static char *
find_executable (const char * const *candidates,
                 const char         *search_path)
{
  for (guint i = 0; candidates[i] != NULL; i++)
    {
      if (strchr (candidates[i], '/') != NULL)
        {
          if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR) && access (candidates[i], X_OK) == 0)
            return g_strdup (candidates[i]);
          continue;
        }
      if (search_path != NULL)
        {
          g_auto(GStrv) folders = g_strsplit (search_path, G_SEARCHPATH_SEPARATOR_S, -1);

          for (guint j = 0; folders[j] != NULL; j++)
            {
              g_autofree char *path = g_build_filename (*folders[j] != '\0' ? folders[j] : ".", candidates[i], NULL);

              if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && access (path, X_OK) == 0)
                return g_steal_pointer (&path);
            }
        }
    }
  return NULL;
}

static App *
find_app (QiAppCatalog *self,
          const char   *group,
          const char   *variant)
{
  for (guint i = 0; i < self->apps->len; i++)
    {
      App *app = self->apps->pdata[i];

      if (g_str_equal (app->group, group) && (variant == NULL || g_str_equal (app->variant, variant)))
        return app;
    }
  return NULL;
}

static App *
app_new (const char *group_name,
         JsonObject *group,
         const char *variant_name)
{
  App *app = g_new0 (App, 1);
  JsonNode *extension = json_object_get_member (group, "workfile_extension");

  app->group = g_strdup (group_name);
  app->group_label = g_strdup (json_object_get_string_member_with_default (group, "label", group_name));
  app->variant = g_strdup (variant_name);
  app->host = g_strdup (json_object_get_string_member (group, "host"));
  app->icon = g_strdup (json_object_get_string_member_with_default (group, "icon", group_name));
  app->extension = is_string (extension) ? g_strdup (json_node_get_string (extension)) : NULL;
  if (json_object_has_member (group, "environment"))
    app->group_environment = json_node_copy (json_object_get_member (group, "environment"));
  return app;
}

/* The versions the discovery patterns find that the settings do not list:
 * each match of a pattern, its {version} read back from the path. */
static void
discover (QiAppCatalog *self,
          const char   *group_name,
          JsonObject   *group,
          QiPlatform    platform)
{
  g_auto(GStrv) patterns = strings_of (platform_member (json_object_get_member (group, "discover"), platform));
  const char *label = json_object_get_string_member_with_default (group, "label", group_name);

  for (guint i = 0; patterns[i] != NULL; i++)
    {
      const char *at = strstr (patterns[i], "{version}");
      g_autofree char *prefix = g_strndup (patterns[i], at - patterns[i]);
      const char *suffix = at + strlen ("{version}");
      g_autofree char *wildcard = g_strconcat (prefix, "*", suffix, NULL);
      glob_t found;

      if (glob (wildcard, GLOB_NOSORT, NULL, &found) != 0)
        continue;
      for (size_t j = 0; j < found.gl_pathc; j++)
        {
          const char *path = found.gl_pathv[j];
          gsize length = strlen (path);
          g_autofree char *version = NULL;
          App *app;

          if (length < strlen (prefix) + strlen (suffix) || !g_str_has_prefix (path, prefix) ||
              !g_str_has_suffix (path, suffix))
            continue;
          version = g_strndup (path + strlen (prefix), length - strlen (prefix) - strlen (suffix));
          if (!name_is_valid (version) || access (path, X_OK) != 0)
            continue;
          app = find_app (self, group_name, version);
          if (app == NULL)
            {
              app = app_new (group_name, group, version);
              app->label = g_strdup_printf ("%s %s", label, version);
              app->executables = g_strdupv ((char *[]) { (char *) path, NULL });
              app->arguments = g_new0 (char *, 1);
              g_ptr_array_add (self->apps, app);
            }
          if (app->executable == NULL)
            app->executable = g_strdup (path);
        }
      globfree (&found);
    }
}

/**
 * qi_app_catalog_new:
 * @groups: the value of `applications.groups`
 * @platform: the platform whose executables count
 * @search_path: (nullable): where bare executable names are looked for
 *   (the launch environment's `PATH`)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the catalog, or %NULL with the error of
 *   qi_app_catalog_check()
 */
QiAppCatalog *
qi_app_catalog_new (JsonNode    *groups,
                    QiPlatform   platform,
                    const char  *search_path,
                    GError     **error)
{
  g_autoptr(QiAppCatalog) self = NULL;
  JsonObjectIter groups_iter;
  const char *group_name;
  JsonNode *group_node;

  if (!qi_app_catalog_check (groups, "applications.groups", error))
    return NULL;

  self = g_object_new (QI_TYPE_APP_CATALOG, NULL);
  json_object_iter_init (&groups_iter, json_node_get_object (groups));
  while (json_object_iter_next (&groups_iter, &group_name, &group_node))
    {
      JsonObject *group = json_node_get_object (group_node);
      JsonNode *variants = json_object_get_member (group, "variants");
      const char *label = json_object_get_string_member_with_default (group, "label", group_name);
      JsonObjectIter variants_iter;
      const char *variant_name;
      JsonNode *variant_node;

      if (variants != NULL)
        {
          json_object_iter_init (&variants_iter, json_node_get_object (variants));
          while (json_object_iter_next (&variants_iter, &variant_name, &variant_node))
            {
              JsonObject *variant = json_node_get_object (variant_node);
              App *app = app_new (group_name, group, variant_name);

              if (json_object_has_member (variant, "label"))
                app->label = g_strdup (json_object_get_string_member (variant, "label"));
              else
                app->label = g_strdup_printf ("%s %s", label, variant_name);
              app->executables = strings_of (platform_member (json_object_get_member (variant, "executables"),
                                                              platform));
              app->arguments = strings_of (json_object_get_member (variant, "arguments"));
              if (json_object_has_member (variant, "environment"))
                app->variant_environment = json_node_copy (json_object_get_member (variant, "environment"));
              app->executable = find_executable ((const char * const *) app->executables, search_path);
              g_ptr_array_add (self->apps, app);
            }
        }
      if (platform == qi_platform_get_current ())
        discover (self, group_name, group, platform);
    }
  g_ptr_array_sort (self->apps, compare_apps);
  return g_steal_pointer (&self);
}

static char *
looked_at (App *app)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; app->executables[i] != NULL; i++)
    g_string_append_printf (text, "%s%s%s", i > 0 ? ", " : "", app->executables[i],
                            strchr (app->executables[i], '/') == NULL ? _(" on PATH") : "");
  if (text->len == 0)
    g_string_append (text, _("no executable is set for this platform"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static JsonObject *
app_to_json (App *app)
{
  JsonObject *object = json_object_new ();
  JsonArray *arguments = json_array_new ();
  g_autofree char *name = g_strdup_printf ("%s/%s", app->group, app->variant);

  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "group", app->group);
  json_object_set_string_member (object, "variant", app->variant);
  json_object_set_string_member (object, "label", app->label);
  json_object_set_string_member (object, "host", app->host);
  json_object_set_string_member (object, "icon", app->icon);
  if (app->extension != NULL)
    json_object_set_string_member (object, "workfile_extension", app->extension);
  else
    json_object_set_null_member (object, "workfile_extension");
  json_object_set_boolean_member (object, "installed", app->executable != NULL);
  if (app->executable != NULL)
    {
      json_object_set_string_member (object, "executable", app->executable);
      json_object_set_null_member (object, "why");
    }
  else
    {
      g_autofree char *paths = looked_at (app);
      g_autofree char *why = g_strdup_printf (_("not installed here: looked for %s"), paths);

      json_object_set_null_member (object, "executable");
      json_object_set_string_member (object, "why", why);
    }
  for (guint i = 0; app->arguments[i] != NULL; i++)
    json_array_add_string_element (arguments, app->arguments[i]);
  json_object_set_array_member (object, "arguments", arguments);
  return object;
}

/**
 * qi_app_catalog_list:
 * @self: a #QiAppCatalog
 *
 * Returns: (transfer full): the applications, by group and newest first:
 *   `[{"name": "blender/3.4", "group", "variant", "label", "host", "icon",
 *   "workfile_extension", "installed", "executable", "why", "arguments"}]`
 */
JsonNode *
qi_app_catalog_list (QiAppCatalog *self)
{
  g_autoptr(JsonArray) array = json_array_new ();

  for (guint i = 0; i < self->apps->len; i++)
    json_array_add_object_element (array, app_to_json (self->apps->pdata[i]));
  return json_node_init_array (json_node_alloc (), array);
}

guint
qi_app_catalog_get_n_apps (QiAppCatalog *self)
{
  return self->apps->len;
}

static char *
group_names (QiAppCatalog *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const char *last = NULL;

  for (guint i = 0; i < self->apps->len; i++)
    {
      App *app = self->apps->pdata[i];

      if (last == NULL || !g_str_equal (last, app->group))
        g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "", app->group);
      last = app->group;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
variant_names (QiAppCatalog *self,
               const char   *group)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->apps->len; i++)
    {
      App *app = self->apps->pdata[i];

      if (g_str_equal (app->group, group))
        g_string_append_printf (text, "%s%s%s", text->len > 0 ? ", " : "", app->variant,
                                app->executable != NULL ? _(" (installed)") : "");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static App *
lookup (QiAppCatalog  *self,
        const char    *name,
        gboolean       installed,
        GError       **error)
{
  const char *slash = strchr (name, '/');
  g_autofree char *group = slash != NULL ? g_strndup (name, slash - name) : g_strdup (name);
  const char *variant = slash != NULL ? slash + 1 : NULL;
  App *first = find_app (self, group, NULL);
  App *app;

  if (first == NULL)
    {
      g_autofree char *known = group_names (self);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no application “%s”; the applications are %s"),
                   group, *known != '\0' ? known : _("none (applications.groups is empty)"));
      return NULL;
    }
  if (variant == NULL)
    {
      for (guint i = 0; i < self->apps->len; i++)
        {
          app = self->apps->pdata[i];
          if (g_str_equal (app->group, group) && app->executable != NULL)
            return app;
        }
      if (!installed)
        return first;
      {
        g_autoptr(GString) looked = g_string_new (NULL);

        for (guint i = 0; i < self->apps->len; i++)
          {
            app = self->apps->pdata[i];
            if (g_str_equal (app->group, group))
              {
                g_autofree char *paths = looked_at (app);

                g_string_append_printf (looked, "%s%s: %s", looked->len > 0 ? "; " : "", app->variant, paths);
              }
          }
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("no %s is installed here (looked at %s)"),
                     first->group_label, looked->str);
        return NULL;
      }
    }
  app = find_app (self, group, variant);
  if (app == NULL)
    {
      g_autofree char *known = variant_names (self, group);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s has no variant “%s”; its variants are %s"),
                   group, variant, known);
      return NULL;
    }
  if (installed && app->executable == NULL)
    {
      g_autofree char *paths = looked_at (app);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s is not installed here: looked for %s"),
                   app->label, paths);
      return NULL;
    }
  return app;
}

/**
 * qi_app_catalog_find:
 * @self: a #QiAppCatalog
 * @name: `GROUP/VARIANT`, or `GROUP` for its newest installed variant
 * @installed: whether the application must be installed
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the application as qi_app_catalog_list()
 *   describes it, or %NULL with %G_IO_ERROR_NOT_FOUND saying what there is
 */
JsonObject *
qi_app_catalog_find (QiAppCatalog  *self,
                     const char    *name,
                     gboolean       installed,
                     GError       **error)
{
  App *app = lookup (self, name, installed, error);

  return app != NULL ? app_to_json (app) : NULL;
}

/**
 * qi_app_catalog_get_environment:
 * @self: a #QiAppCatalog
 * @name: `GROUP/VARIANT`
 * @variant: the variant's layer, else the group's
 *
 * Returns: (transfer none) (nullable): the layer, or %NULL
 */
JsonNode *
qi_app_catalog_get_environment (QiAppCatalog *self,
                                const char   *name,
                                gboolean      variant)
{
  App *app = lookup (self, name, FALSE, NULL);

  if (app == NULL)
    return NULL;
  return variant ? app->variant_environment : app->group_environment;
}
