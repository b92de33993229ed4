/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-template-set.h"
#include "qi-enum-types.h"
#include "qi-path-template-private.h"

/**
 * QiTemplateSet:
 *
 * A studio's anatomy: named path templates (#QiPathTemplate) that may
 * reference each other with `{@name}`, and the roots of its storage for
 * each platform.
 *
 * Templates come from a JSON object whose groups make dotted names
 * (qi_template_set_add_from_json()):
 *
 * |[
 * {
 *   "version": "v{version:0>3}",
 *   "work": {
 *     "directory": "{root[work]}/{project[name]}/{hierarchy}/{folder[name]}/work/{task[name]}",
 *     "file": "{project[code]}_{folder[name]}_{task[name]}_{@version}<_{comment}>.{ext}",
 *     "path": "{@directory}/{@file}"
 *   }
 * }
 * ]|
 *
 * names `version`, `work.directory`, `work.file` and `work.path`. A
 * reference is looked up in the referring template's group first, then in
 * the groups around it: `{@directory}` in `work.path` is `work.directory`,
 * `{@version}` there is `version`. Every template is compiled when it is
 * added, and qi_template_set_check() (which qi_template_set_add_from_json()
 * runs) follows every reference: one to no template, or a cycle such as
 * `a → b → a`, is an error. Each template may carry an origin, such as
 * `settings:anatomy.templates.work.file` or `FILE:LINE:COLUMN`, and the
 * errors about it start with it.
 *
 * The roots (qi_template_set_set_roots()) are given per platform:
 *
 * |[
 * { "work": { "linux": "/mnt/work", "windows": "P:/", "darwin": "/Volumes/work" } }
 * ]|
 *
 * `{root[work]}` solves to the root of the set's #QiTemplateSet:platform
 * (the running one unless set). A root is kept without its trailing `/`
 * or `\`, since templates write one after it: `P:/` is kept as `P:`, and
 * `{root[work]}/{project[name]}` solves to `P:/demo`. A path is read
 * under the roots of the set's platform, or under those of any platform
 * with %QI_TEMPLATE_PARSE_ANY_PLATFORM, which turns a path of one platform
 * into the fields that solve it on another.
 */

struct _QiTemplateSet
{
  GObject     parent_instance;

  QiPlatform  platform;
  GHashTable *templates; /* name → QiPathTemplate */
  GHashTable *roots;     /* name → Root */

  /* name → GArray, a template compiled with the references of the set:
   * solving a thousand destinations of one template compiles it once.
   * Cleared when the templates change. */
  GMutex      programs_lock;
  GHashTable *programs;
};

typedef struct
{
  char *paths[QI_PLATFORM_DARWIN + 1]; /* or NULL */
} Root;

G_DEFINE_FINAL_TYPE (QiTemplateSet, qi_template_set, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PLATFORM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const platform_names[] = { "linux", "windows", "darwin" };

G_STATIC_ASSERT (G_N_ELEMENTS (platform_names) == QI_PLATFORM_DARWIN + 1);

/* Nesting of groups in qi_template_set_add_from_json(). */
#define MAX_GROUP_DEPTH 32

/**
 * qi_platform_get_current:
 *
 * Returns: the platform Qi runs on
 */
QiPlatform
qi_platform_get_current (void)
{
#if defined(G_OS_WIN32)
  return QI_PLATFORM_WINDOWS;
#elif defined(__APPLE__)
  return QI_PLATFORM_DARWIN;
#else
  return QI_PLATFORM_LINUX;
#endif
}

/**
 * qi_platform_to_string:
 * @platform: a #QiPlatform
 *
 * Returns: the name of @platform: `linux`, `windows` or `darwin`
 */
const char *
qi_platform_to_string (QiPlatform platform)
{
  g_return_val_if_fail (platform <= QI_PLATFORM_DARWIN, NULL);

  return platform_names[platform];
}

/**
 * qi_platform_from_string:
 * @string: a platform name: `linux`, `windows` or `darwin`
 * @platform: (out): return location for the platform
 *
 * Reads a platform name, as the roots of qi_template_set_set_roots() are
 * keyed by.
 *
 * Returns: %TRUE if @string names a platform
 */
gboolean
qi_platform_from_string (const char *string,
                         QiPlatform *platform)
{
  g_return_val_if_fail (string != NULL, FALSE);
  g_return_val_if_fail (platform != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (platform_names); i++)
    if (strcmp (string, platform_names[i]) == 0)
      {
        *platform = i;
        return TRUE;
      }
  return FALSE;
}

static void
root_free (gpointer data)
{
  Root *root = data;

  for (guint i = 0; i < G_N_ELEMENTS (root->paths); i++)
    g_free (root->paths[i]);
  g_free (root);
}

static void
qi_template_set_finalize (GObject *object)
{
  QiTemplateSet *self = QI_TEMPLATE_SET (object);

  g_hash_table_unref (self->templates);
  g_hash_table_unref (self->roots);
  g_hash_table_unref (self->programs);
  g_mutex_clear (&self->programs_lock);

  G_OBJECT_CLASS (qi_template_set_parent_class)->finalize (object);
}

static void
qi_template_set_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  QiTemplateSet *self = QI_TEMPLATE_SET (object);

  switch (prop_id)
    {
    case PROP_PLATFORM:
      g_value_set_enum (value, self->platform);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_template_set_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  QiTemplateSet *self = QI_TEMPLATE_SET (object);

  switch (prop_id)
    {
    case PROP_PLATFORM:
      qi_template_set_set_platform (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_template_set_class_init (QiTemplateSetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_template_set_finalize;
  object_class->get_property = qi_template_set_get_property;
  object_class->set_property = qi_template_set_set_property;

  /**
   * QiTemplateSet:platform:
   *
   * The platform whose roots `{root[NAME]}` solves to, and under whose
   * roots paths are read; the running one (qi_platform_get_current())
   * unless set.
   */
  properties[PROP_PLATFORM] =
    g_param_spec_enum ("platform", NULL, NULL,
                       QI_TYPE_PLATFORM, qi_platform_get_current (),
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_template_set_init (QiTemplateSet *self)
{
  self->platform = qi_platform_get_current ();
  self->templates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) qi_path_template_unref);
  self->roots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, root_free);
  self->programs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  g_mutex_init (&self->programs_lock);
}

static void
forget_programs (QiTemplateSet *self)
{
  g_mutex_lock (&self->programs_lock);
  g_hash_table_remove_all (self->programs);
  g_mutex_unlock (&self->programs_lock);
}

/**
 * qi_template_set_new:
 *
 * Creates an empty set for the running platform.
 *
 * Returns: (transfer full): a new #QiTemplateSet
 */
QiTemplateSet *
qi_template_set_new (void)
{
  return g_object_new (QI_TYPE_TEMPLATE_SET, NULL);
}

/**
 * qi_template_set_get_platform:
 * @self: a #QiTemplateSet
 *
 * Returns: the platform of @self's roots
 */
QiPlatform
qi_template_set_get_platform (QiTemplateSet *self)
{
  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), QI_PLATFORM_LINUX);

  return self->platform;
}

/**
 * qi_template_set_set_platform:
 * @self: a #QiTemplateSet
 * @platform: a #QiPlatform
 *
 * Makes `{root[NAME]}` solve to the roots of @platform, and paths be read
 * under them.
 */
void
qi_template_set_set_platform (QiTemplateSet *self,
                              QiPlatform     platform)
{
  g_return_if_fail (QI_IS_TEMPLATE_SET (self));
  g_return_if_fail (platform <= QI_PLATFORM_DARWIN);

  if (self->platform == platform)
    return;

  self->platform = platform;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLATFORM]);
}

/* Templates */

static gboolean
check_name (const char  *name,
            const char  *origin,
            GError     **error)
{
  g_autofree char *quoted = NULL;

  if (qi_path_template_name_is_valid (name))
    return TRUE;

  quoted = g_strescape (name, NULL);
  g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_SYNTAX,
               _("%s%s“%s” is not a template name: names are ASCII letters, digits, “_” and “-”, "
                 "in parts joined by “.”"),
               origin != NULL ? origin : "", origin != NULL ? ": " : "", quoted);
  return FALSE;
}

/**
 * qi_template_set_add:
 * @self: a #QiTemplateSet
 * @name: the template's name, such as `work.file`
 * @text: the template
 * @origin: (nullable): where @text was defined, such as
 *   `settings:anatomy.templates.work.file` or `FILE:LINE:COLUMN`
 * @error: return location for a #GError
 *
 * Compiles @text and adds it as @name, in place of a template of that
 * name. A template that does not compile fails as
 * qi_path_template_new_with_origin() does, the message starting with
 * @origin (or, without one, with @name).
 *
 * References are not followed here, so that templates may be added in any
 * order: qi_template_set_check() follows them once all are added.
 *
 * Returns: %TRUE if @text compiled and was added
 */
gboolean
qi_template_set_add (QiTemplateSet  *self,
                     const char     *name,
                     const char     *text,
                     const char     *origin,
                     GError        **error)
{
  QiPathTemplate *template;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_name (name, origin, error))
    return FALSE;

  template = qi_path_template_new_named (text, name, origin, error);
  if (template == NULL)
    return FALSE;

  forget_programs (self);
  g_hash_table_replace (self->templates, g_strdup (name), template);
  return TRUE;
}

static gboolean
add_group (QiTemplateSet  *self,
           JsonObject     *group,
           const char     *prefix,
           const char     *origin,
           guint           depth,
           GError        **error)
{
  g_autoptr(GList) members = json_object_get_members (group);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *member = l->data;
      JsonNode *node = json_object_get_member (group, member);
      g_autofree char *name = prefix != NULL ? g_strconcat (prefix, ".", member, NULL) : g_strdup (member);
      g_autofree char *where = origin != NULL ? g_strconcat (origin, ".", name, NULL) : NULL;

      if (strchr (member, '.') != NULL)
        {
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_SYNTAX,
                       _("%s%s“%s” is not a template name: groups make the dotted names, "
                         "so a name in a group has no “.”"),
                       where != NULL ? where : "", where != NULL ? ": " : "", name);
          return FALSE;
        }
      if (!check_name (name, where, error))
        return FALSE;

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          if (depth >= MAX_GROUP_DEPTH)
            {
              g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_LIMIT,
                           _("%s%sthe groups of templates nest deeper than %d"),
                           where != NULL ? where : "", where != NULL ? ": " : "", MAX_GROUP_DEPTH);
              return FALSE;
            }
          if (!add_group (self, json_node_get_object (node), name, origin, depth + 1, error))
            return FALSE;
        }
      else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          if (!qi_template_set_add (self, name, json_node_get_string (node), where, error))
            return FALSE;
        }
      else
        {
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_SYNTAX,
                       _("%s%s“%s” is neither a template (a string) nor a group of templates (an object)"),
                       where != NULL ? where : "", where != NULL ? ": " : "", name);
          return FALSE;
        }
    }

  return TRUE;
}

static GHashTable *
copy_templates (GHashTable *templates)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) qi_path_template_unref);
  GHashTableIter iter;
  gpointer name, template;

  g_hash_table_iter_init (&iter, templates);
  while (g_hash_table_iter_next (&iter, &name, &template))
    g_hash_table_insert (copy, g_strdup (name), qi_path_template_ref (template));
  return copy;
}

/**
 * qi_template_set_add_from_json:
 * @self: a #QiTemplateSet
 * @templates: templates by name: a member is a template (a string) or a
 *   group of them (an object), whose members' names are joined to its own
 *   with dots
 * @origin: (nullable): where @templates were defined, such as
 *   `settings:anatomy.templates`; the origin of each template is @origin,
 *   a dot and the template's name, `settings:anatomy.templates.work.file`
 * @error: return location for a #GError
 *
 * Adds every template of @templates (in place of those of the same
 * names), compiles them and checks the references of the whole set
 * (qi_template_set_check()). On failure @self is left as it was.
 *
 * Returns: %TRUE if all templates compiled, were added and their
 *   references resolve
 */
gboolean
qi_template_set_add_from_json (QiTemplateSet  *self,
                               JsonObject     *templates,
                               const char     *origin,
                               GError        **error)
{
  g_autoptr(GHashTable) saved = NULL;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), FALSE);
  g_return_val_if_fail (templates != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  saved = copy_templates (self->templates);
  if (add_group (self, templates, NULL, origin, 0, error) && qi_template_set_check (self, error))
    return TRUE;

  forget_programs (self);
  g_hash_table_unref (self->templates);
  self->templates = g_steal_pointer (&saved);
  return FALSE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/**
 * qi_template_set_list_names:
 * @self: a #QiTemplateSet
 *
 * Returns: (transfer full): the names of @self's templates, sorted
 */
GStrv
qi_template_set_list_names (QiTemplateSet *self)
{
  guint n;
  GStrv names;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);

  names = (GStrv) g_hash_table_get_keys_as_array (self->templates, &n);
  for (guint i = 0; i < n; i++)
    names[i] = g_strdup (names[i]);
  qsort (names, n, sizeof (char *), compare_names);
  return names;
}

/**
 * qi_template_set_check:
 * @self: a #QiTemplateSet
 * @error: return location for a #GError
 *
 * Follows the references of every template of @self, in the order of
 * their names. A reference to no template fails with
 * %QI_TEMPLATE_ERROR_REFERENCE, a cycle with %QI_TEMPLATE_ERROR_CYCLE
 * naming it (`a → b → a`); the message starts with the origin of the
 * template at fault.
 *
 * Returns: %TRUE if every reference resolves
 */
gboolean
qi_template_set_check (QiTemplateSet  *self,
                       GError        **error)
{
  g_auto(GStrv) names = NULL;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  names = qi_template_set_list_names (self);
  for (guint i = 0; names[i] != NULL; i++)
    if (!qi_path_template_check (g_hash_table_lookup (self->templates, names[i]), self, error))
      return FALSE;

  return TRUE;
}

/**
 * qi_template_set_lookup:
 * @self: a #QiTemplateSet
 * @name: a template name, such as `work.file`
 *
 * Returns: (transfer none) (nullable): the template @name, or %NULL
 */
QiPathTemplate *
qi_template_set_lookup (QiTemplateSet *self,
                        const char    *name)
{
  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->templates, name);
}

QiPathTemplate *
qi_template_set_resolve (QiTemplateSet *self,
                         const char    *from,
                         const char    *reference)
{
  g_autofree char *scope = g_strdup (from);

  /* the groups around @from, innermost first */
  for (char *dot = scope != NULL ? strrchr (scope, '.') : NULL; dot != NULL; dot = strrchr (scope, '.'))
    {
      g_autofree char *name = NULL;
      QiPathTemplate *template;

      *dot = '\0';
      name = g_strconcat (scope, ".", reference, NULL);
      template = g_hash_table_lookup (self->templates, name);
      if (template != NULL)
        return template;
    }

  return g_hash_table_lookup (self->templates, reference);
}

static QiPathTemplate *
lookup_or_fail (QiTemplateSet  *self,
                const char     *name,
                GError        **error)
{
  QiPathTemplate *template = g_hash_table_lookup (self->templates, name);

  if (template == NULL)
    g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_REFERENCE,
                 _("the template set has no template “%s”"), name);
  return template;
}

/**
 * qi_template_set_get_keys:
 * @self: a #QiTemplateSet
 * @name: a template name
 * @error: return location for a #GError
 *
 * Gives the keys the template @name uses, its references followed, in
 * dotted form, each once, in the order they first appear (see
 * qi_path_template_get_keys()).
 *
 * Returns: (transfer full): the keys, or %NULL with @error set if @self
 *   has no template @name or its references do not resolve
 */
GStrv
qi_template_set_get_keys (QiTemplateSet  *self,
                          const char     *name,
                          GError        **error)
{
  QiPathTemplate *template;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  template = lookup_or_fail (self, name, error);
  if (template == NULL)
    return NULL;
  return qi_path_template_collect_keys (template, self, error);
}

/* Roots */

/**
 * qi_template_set_set_roots:
 * @self: a #QiTemplateSet
 * @roots: roots by name, each an object of paths by platform:
 *   `{"work": {"linux": "/mnt/work", "windows": "P:/"}}`
 * @error: return location for a #GError
 *
 * Replaces the roots of @self. A root need not be defined for every
 * platform; solving `{root[NAME]}` for a platform it lacks is an error.
 * Trailing `/` and `\` are taken off each path. A name that is not made
 * of ASCII letters, digits, `_` and `-`, a platform that is not `linux`,
 * `windows` or `darwin`, or a path that is not a string fails with
 * %QI_TEMPLATE_ERROR_BAD_VALUE, and @self keeps its roots.
 *
 * Returns: %TRUE if @roots were taken
 */
gboolean
qi_template_set_set_roots (QiTemplateSet  *self,
                           JsonObject     *roots,
                           GError        **error)
{
  g_autoptr(GHashTable) table = NULL;
  g_autoptr(GList) names = NULL;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), FALSE);
  g_return_val_if_fail (roots != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, root_free);
  names = json_object_get_members (roots);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (roots, name);
      g_autoptr(GList) platforms = NULL;
      Root *root;

      if (*name == '\0' || strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen (name))
        {
          g_autofree char *escaped = g_strescape (name, NULL);

          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                       _("“%s” is not a root name: names are ASCII letters, digits, “_” and “-”"), escaped);
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                       _("the root “%s” is not an object of paths by platform, such as "
                         "{\"linux\": \"/mnt/work\", \"windows\": \"P:/\"}"), name);
          return FALSE;
        }

      root = g_new0 (Root, 1);
      g_hash_table_insert (table, g_strdup (name), root);
      platforms = json_object_get_members (json_node_get_object (node));
      for (GList *p = platforms; p != NULL; p = p->next)
        {
          JsonNode *path = json_object_get_member (json_node_get_object (node), p->data);
          QiPlatform platform;
          const char *text;
          gsize length;

          if (!qi_platform_from_string (p->data, &platform))
            {
              g_autofree char *escaped = g_strescape (p->data, NULL);

              g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                           _("the root “%s” names “%s”, which is not a platform: linux, windows or darwin"),
                           name, escaped);
              return FALSE;
            }
          if (!JSON_NODE_HOLDS_VALUE (path) || json_node_get_value_type (path) != G_TYPE_STRING ||
              !g_utf8_validate (json_node_get_string (path), -1, NULL))
            {
              g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                           _("the root “%s” for %s is not a path (a UTF-8 string)"),
                           name, platform_names[platform]);
              return FALSE;
            }

          text = json_node_get_string (path);
          length = strlen (text);
          while (length > 0 && (text[length - 1] == '/' || text[length - 1] == '\\'))
            length--;
          g_free (root->paths[platform]);
          root->paths[platform] = g_strndup (text, length);
        }
    }

  g_hash_table_unref (self->roots);
  self->roots = g_steal_pointer (&table);
  return TRUE;
}

/**
 * qi_template_set_get_root:
 * @self: a #QiTemplateSet
 * @name: a root name, such as `work`
 * @platform: a #QiPlatform
 *
 * Returns: (nullable): the root @name for @platform, without a trailing
 *   separator, or %NULL if @self does not define it
 */
const char *
qi_template_set_get_root (QiTemplateSet *self,
                          const char    *name,
                          QiPlatform     platform)
{
  Root *root;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (platform <= QI_PLATFORM_DARWIN, NULL);

  root = g_hash_table_lookup (self->roots, name);
  return root != NULL ? root->paths[platform] : NULL;
}

/* Solving and parsing */

/* The program of @template, the set's template @name: compiled once and
 * kept until the set's templates change. */
static GArray *
get_program (QiTemplateSet   *self,
             const char      *name,
             QiPathTemplate  *template,
             GError         **error)
{
  GArray *program;

  g_mutex_lock (&self->programs_lock);
  program = g_hash_table_lookup (self->programs, name);
  if (program != NULL)
    g_array_ref (program);
  g_mutex_unlock (&self->programs_lock);
  if (program == NULL)
    {
      program = qi_path_template_compile (template, self, error);
      if (program == NULL)
        return NULL;
      g_mutex_lock (&self->programs_lock);
      g_hash_table_replace (self->programs, g_strdup (name), g_array_ref (program));
      g_mutex_unlock (&self->programs_lock);
    }
  return program;
}

/**
 * qi_template_set_solve:
 * @self: a #QiTemplateSet
 * @name: a template name, such as `work.file`
 * @fields: the values
 * @error: return location for a #GError
 *
 * Solves the template @name with @fields (qi_path_template_solve()), its
 * references and roots looked up in @self. A name @self has no template
 * of fails with %QI_TEMPLATE_ERROR_REFERENCE.
 *
 * Returns: (transfer full): the path, or %NULL with @error set
 */
char *
qi_template_set_solve (QiTemplateSet  *self,
                       const char     *name,
                       JsonObject     *fields,
                       GError        **error)
{
  QiPathTemplate *template;
  g_autoptr(GArray) program = NULL;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (fields != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  template = lookup_or_fail (self, name, error);
  if (template == NULL)
    return NULL;
  program = get_program (self, name, template, error);
  if (program == NULL)
    return NULL;
  return qi_path_template_solve_compiled (template, program, fields, self, error);
}

/* The members of @each's objects, each once. */
static GStrv
member_names (JsonArray *each)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < json_array_get_length (each); i++)
    {
      JsonNode *node = json_array_get_element (each, i);
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &value))
        if (g_hash_table_add (seen, (gpointer) name))
          g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

/* @fields with the members of @values put in (a copy: @fields is left as
 * it is). */
static JsonObject *
merge (JsonObject *fields,
       JsonObject *values)
{
  JsonObject *merged = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, fields);
  while (json_object_iter_next (&iter, &name, &value))
    if (!json_object_has_member (values, name))
      json_object_set_member (merged, name, json_node_ref (value));
  json_object_iter_init (&iter, values);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (merged, name, json_node_ref (value));
  return merged;
}

/**
 * qi_template_set_solve_each:
 * @self: a #QiTemplateSet
 * @name: a template name, such as `publish.path`
 * @fields: the values all paths share
 * @each: one object per path: the values of that
 *   path (such as `{"frame": 1001}`), which replace the members of @fields
 *   of the same name
 * @failed: (out) (optional): where to store the index in @each of the
 *   element that failed
 * @error: return location for a #GError
 *
 * Solves the template @name once for each element of @each, as
 * qi_template_set_solve() does with @fields and that element's members:
 * the paths of the frames of a sequence, the tiles of a UDIM set. What
 * the elements do not change is solved once, not once per path.
 *
 * Returns: (transfer full) (element-type utf8): the paths, in the order
 *   of @each, or %NULL with @error set (qi_template_set_solve()'s, or
 *   %QI_TEMPLATE_ERROR_BAD_VALUE for an element that is not an object) and
 *   @failed the element's index; a template @self has none of fails with
 *   %QI_TEMPLATE_ERROR_REFERENCE and @failed 0
 */
GPtrArray *
qi_template_set_solve_each (QiTemplateSet  *self,
                            const char     *name,
                            JsonObject     *fields,
                            JsonArray      *each,
                            guint          *failed,
                            GError        **error)
{
  QiPathTemplate *template;
  g_autoptr(GArray) program = NULL;
  g_autoptr(QiPathProgram) ahead = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  g_auto(GStrv) varying = NULL;
  gboolean fields_vary = FALSE;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (fields != NULL, NULL);
  g_return_val_if_fail (each != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (failed != NULL)
    *failed = 0;
  template = lookup_or_fail (self, name, error);
  if (template == NULL)
    return NULL;
  program = get_program (self, name, template, error);
  if (program == NULL)
    return NULL;

  varying = member_names (each);
  for (guint i = 0; varying[i] != NULL; i++)
    fields_vary = fields_vary || json_object_has_member (fields, varying[i]);
  /* where @fields holds a member of the elements too, each path is
   * solved whole (an element without it keeps the one of @fields) */
  if (!fields_vary)
    ahead = qi_path_template_specialize (template, program, fields, (const char * const *) varying, self);

  paths = g_ptr_array_new_full (json_array_get_length (each), g_free);
  for (guint i = 0; i < json_array_get_length (each); i++)
    {
      JsonNode *node = json_array_get_element (each, i);
      g_autoptr(JsonObject) merged = NULL;
      char *path = NULL;

      if (failed != NULL)
        *failed = i;
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, QI_TEMPLATE_ERROR, QI_TEMPLATE_ERROR_BAD_VALUE,
                       _("element %u of the values is not an object of fields"), i);
          return NULL;
        }
      if (ahead != NULL)
        path = qi_path_program_solve (ahead, json_node_get_object (node), self, NULL);
      if (path == NULL || strlen (path) > QI_PATH_TEMPLATE_MAX_PATH)
        {
          /* what fails, or is too long, is solved whole: that says why */
          g_free (path);
          merged = merge (fields, json_node_get_object (node));
          path = qi_path_template_solve_compiled (template, program, merged, self, error);
          if (path == NULL)
            return NULL;
        }
      g_ptr_array_add (paths, path);
    }
  return g_steal_pointer (&paths);
}

/**
 * qi_template_set_parse:
 * @self: a #QiTemplateSet
 * @name: a template name
 * @path: a path
 * @error: return location for a #GError
 *
 * Reads the fields of the template @name back from @path
 * (qi_path_template_parse()), under the roots of @self's platform.
 *
 * Returns: (transfer full): the fields, or %NULL with @error set
 */
JsonObject *
qi_template_set_parse (QiTemplateSet  *self,
                       const char     *name,
                       const char     *path,
                       GError        **error)
{
  return qi_template_set_parse_full (self, name, path, QI_TEMPLATE_PARSE_NONE, error);
}

/**
 * qi_template_set_parse_full:
 * @self: a #QiTemplateSet
 * @name: a template name
 * @path: a path
 * @flags: how to read @path
 * @error: return location for a #GError
 *
 * Reads the fields of the template @name back from @path, as
 * qi_template_set_parse() does; with %QI_TEMPLATE_PARSE_ANY_PLATFORM
 * @path may lie under the roots of any platform.
 *
 * Returns: (transfer full): the fields, or %NULL with @error set
 */
JsonObject *
qi_template_set_parse_full (QiTemplateSet         *self,
                            const char            *name,
                            const char            *path,
                            QiTemplateParseFlags   flags,
                            GError               **error)
{
  QiPathTemplate *template;

  g_return_val_if_fail (QI_IS_TEMPLATE_SET (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  template = lookup_or_fail (self, name, error);
  if (template == NULL)
    return NULL;
  return qi_path_template_parse_full (template, path, self, flags, error);
}
