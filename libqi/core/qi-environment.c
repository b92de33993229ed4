/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-environment.h"

/**
 * QiEnvironment:
 *
 * The environment of a launch, built in layers over a base (the user's
 * own variables): the studio's global variables, the project's, the
 * application's, the variant's, the tools', the host addon's. Each layer
 * is a JSON object of variables:
 *
 * ```json
 * {
 *   "OCIO": "/studio/ocio/{SHOW_OCIO_VERSION}/config.ocio",
 *   "SHOW_OCIO_VERSION": "2.1",
 *   "PYTHONPATH": ["/studio/python", "{PYTHONPATH}"],
 *   "MAYA_DISABLE_CIP": {"windows": "1", "linux": "1"},
 *   "LD_PRELOAD": null
 * }
 * ```
 *
 * A string is the value; an array is a path list, its entries joined with
 * the platform's separator (`:`, `;` on Windows), empty entries and
 * repeats dropped; an object picks the value of one platform
 * (qi_environment_set_platform(), the running one by default; a platform
 * it does not name leaves the variable as it was); %NULL removes the
 * variable.
 *
 * `{NAME}` in a value refers to a variable: to its value before this
 * layer when NAME is the variable itself (`{PYTHONPATH}` above prepends),
 * to its value in this layer when the layer sets it (the layer's values
 * are resolved in the order their references need, and a circle is
 * refused naming its variables), else to its value before the layer. A
 * reference to a variable that is set nowhere is refused, except to the
 * variable itself (an unset PYTHONPATH prepends to nothing). `{{` and `}}`
 * are braces; other braces are text.
 *
 * Every variable remembers the layer that set it last
 * (qi_environment_get_origin()); qi_environment_explain() lists them.
 */

/* Layer names are few (the studio's, a project's, an application's, a
 * tool's…) and repeat in every launch: they are interned, so that a
 * variable's origin and layers are pointers, never copies. */
typedef struct
{
  char       *value;     /* NULL: unset */
  const char *origin;    /* interned */
  GPtrArray  *layers;    /* of interned const char *: every layer that set it, in order */
} Var;

struct _QiEnvironment
{
  GObject     parent_instance;
  GHashTable *vars;      /* name → Var */
  QiPlatform  platform;
};

G_DEFINE_FINAL_TYPE (QiEnvironment, qi_environment, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-environment-error-quark, qi_environment_error)

static void
var_free (gpointer data)
{
  Var *var = data;

  g_free (var->value);
  g_ptr_array_unref (var->layers);
  g_free (var);
}

static void
qi_environment_finalize (GObject *object)
{
  QiEnvironment *self = QI_ENVIRONMENT (object);

  g_hash_table_unref (self->vars);
  G_OBJECT_CLASS (qi_environment_parent_class)->finalize (object);
}

static void
qi_environment_class_init (QiEnvironmentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_environment_finalize;
}

static void
qi_environment_init (QiEnvironment *self)
{
  self->vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, var_free);
  self->platform = qi_platform_get_current ();
}

/* Sets @name to @value (taken) from @layer (interned); @name is taken
 * when @name_owned. */
static void
store_take (QiEnvironment *self,
            const char    *layer,
            char          *name,
            gboolean       name_owned,
            char          *value)
{
  Var *var = g_hash_table_lookup (self->vars, name);

  if (var == NULL)
    {
      var = g_new0 (Var, 1);
      var->layers = g_ptr_array_sized_new (2);
      g_hash_table_insert (self->vars, name_owned ? name : g_strdup (name), var);
    }
  else if (name_owned)
    g_free (name);
  g_free (var->value);
  var->value = value;
  var->origin = layer;
  g_ptr_array_add (var->layers, (gpointer) layer);
}

static void
store (QiEnvironment *self,
       const char    *layer,
       const char    *name,
       const char    *value)
{
  store_take (self, g_intern_string (layer), (char *) name, FALSE, g_strdup (value));
}

/**
 * qi_environment_new:
 * @base: (array zero-terminated=1) (nullable): the environment to start
 *   from, such as g_get_environ()'s
 *
 * Returns: (transfer full): an environment holding @base, its variables
 *   of the origin %QI_ENVIRONMENT_BASE
 */
QiEnvironment *
qi_environment_new (const char * const *base)
{
  QiEnvironment *self = g_object_new (QI_TYPE_ENVIRONMENT, NULL);
  const char *origin = g_intern_static_string (QI_ENVIRONMENT_BASE);

  for (guint i = 0; base != NULL && base[i] != NULL; i++)
    {
      const char *equals = strchr (base[i], '=');

      if (equals == NULL || equals == base[i])
        continue;
      store_take (self, origin, g_strndup (base[i], equals - base[i]), TRUE, g_strdup (equals + 1));
    }
  return self;
}

/**
 * qi_environment_set_platform:
 * @self: a #QiEnvironment
 * @platform: the platform whose values the layers added next pick, and
 *   whose separator joins their path lists
 */
void
qi_environment_set_platform (QiEnvironment *self,
                             QiPlatform     platform)
{
  g_return_if_fail (QI_IS_ENVIRONMENT (self));

  self->platform = platform;
}

static gboolean
name_is_valid (const char *name)
{
  if (name == NULL || !(g_ascii_isalpha (*name) || *name == '_'))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* One variable of the layer being added. */
typedef enum
{
  DEF_VALUE,
  DEF_LIST,
  DEF_UNSET,
} DefKind;

typedef enum
{
  UNRESOLVED,
  RESOLVING,
  RESOLVED,
} DefState;

typedef struct
{
  const char *name;
  DefKind     kind;
  GPtrArray  *texts;     /* of const char *: the value, or the list's entries */
  DefState    state;
  char       *result;
} Def;

static void
def_free (gpointer data)
{
  Def *def = data;

  g_clear_pointer (&def->texts, g_ptr_array_unref);
  g_free (def->result);
  g_free (def);
}

typedef struct
{
  QiEnvironment *self;
  const char    *layer;
  GHashTable    *defs;     /* name → Def */
  GPtrArray     *stack;    /* of const char *: the names being resolved */
  char           separator;
} Layer;

static const char *
before (Layer      *layer,
        const char *name)
{
  Var *var = g_hash_table_lookup (layer->self->vars, name);

  return var != NULL ? var->value : NULL;
}

static gboolean resolve (Layer *layer, Def *def, GError **error);

/* @text with its references replaced, for the variable @owner. */
static char *
expand (Layer       *layer,
        const char  *owner,
        const char  *text,
        GError     **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = text; *p != '\0';)
    {
      const char *close;
      g_autofree char *ref = NULL;
      Def *def;
      const char *value;

      if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
        {
          g_string_append_c (out, *p);
          p += 2;
          continue;
        }
      if (*p != '{' || (close = strchr (p + 1, '}')) == NULL)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      ref = g_strndup (p + 1, close - p - 1);
      if (!name_is_valid (ref))
        {
          g_string_append_c (out, *p++);
          continue;
        }
      p = close + 1;

      if (g_str_equal (ref, owner))
        {
          value = before (layer, ref);
          g_string_append (out, value != NULL ? value : "");
          continue;
        }
      def = g_hash_table_lookup (layer->defs, ref);
      if (def != NULL)
        {
          if (!resolve (layer, def, error))
            return NULL;
          g_string_append (out, def->result != NULL ? def->result : "");
          continue;
        }
      value = before (layer, ref);
      if (value == NULL)
        {
          g_set_error (error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_UNDEFINED,
                       _("%s: %s refers to {%s}, which no layer sets and the environment does not have"),
                       layer->layer, owner, ref);
          return NULL;
        }
      g_string_append (out, value);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
seen_before (GPtrArray  *kept,
             GHashTable *seen,
             const char *part)
{
  if (seen != NULL)
    return !g_hash_table_add (seen, (gpointer) part);
  for (guint i = 0; i < kept->len; i++)
    if (strcmp (kept->pdata[i], part) == 0)
      return TRUE;
  return FALSE;
}

/* The entries, each split at the separator, joined with it: empty parts
 * and repeats dropped, the first of each kept. A list is short: its
 * repeats are found by comparing, unless it is long. */
static char *
join_list (Layer       *layer,
           GPtrArray   *entries)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) splits = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = NULL;
  char separator[2] = { layer->separator, '\0' };
  guint n_parts = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      char **parts = g_strsplit (entries->pdata[i], separator, -1);

      g_ptr_array_add (splits, parts);
      n_parts += g_strv_length (parts);
    }
  if (n_parts > 32)
    seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < splits->len; i++)
    for (char **part = splits->pdata[i]; *part != NULL; part++)
      if (**part != '\0' && !seen_before (kept, seen, *part))
        {
          if (kept->len > 0)
            g_string_append_c (out, layer->separator);
          g_string_append (out, *part);
          g_ptr_array_add (kept, *part);
        }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
resolve (Layer   *layer,
         Def     *def,
         GError **error)
{
  g_autoptr(GPtrArray) values = NULL;

  if (def->state == RESOLVED)
    return TRUE;
  if (def->state == RESOLVING)
    {
      g_autoptr(GString) circle = g_string_new (NULL);
      guint start = 0;

      g_ptr_array_find_with_equal_func (layer->stack, def->name, g_str_equal, &start);
      for (guint i = start; i < layer->stack->len; i++)
        g_string_append_printf (circle, "%s → ", (const char *) layer->stack->pdata[i]);
      g_string_append (circle, def->name);
      g_set_error (error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_CYCLE,
                   _("%s: the values refer to each other in a circle: %s"), layer->layer, circle->str);
      return FALSE;
    }
  if (def->kind == DEF_UNSET)
    {
      def->state = RESOLVED;
      return TRUE;
    }

  def->state = RESOLVING;
  g_ptr_array_add (layer->stack, (gpointer) def->name);
  values = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < def->texts->len; i++)
    {
      char *value = expand (layer, def->name, def->texts->pdata[i], error);

      if (value == NULL)
        return FALSE;
      g_ptr_array_add (values, value);
    }
  g_ptr_array_remove_index (layer->stack, layer->stack->len - 1);
  def->result = def->kind == DEF_LIST ? join_list (layer, values) : g_strdup (values->pdata[0]);
  def->state = RESOLVED;
  return TRUE;
}

static gboolean
invalid (GError     **error,
         const char  *layer,
         const char  *name,
         const char  *what)
{
  g_set_error (error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_INVALID, "%s: %s %s", layer, name, what);
  return FALSE;
}

/* The definition of @name from @node in @out, or NULL in @out when the
 * node names other platforms only. */
static gboolean
read_def (QiEnvironment  *self,
          const char     *layer,
          const char     *name,
          JsonNode       *node,
          Def           **out,
          GError        **error)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  Def *def;

  *out = NULL;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *by_platform = json_node_get_object (node);
      JsonObjectIter iter;
      const char *key;
      JsonNode *member;
      QiPlatform platform;

      json_object_iter_init (&iter, by_platform);
      while (json_object_iter_next (&iter, &key, &member))
        if (!qi_platform_from_string (key, &platform))
          {
            g_autofree char *what = g_strdup_printf (_("names the platform “%s”; the platforms are linux, "
                                                       "windows and darwin"), key);

            return invalid (error, layer, name, what);
          }
        else if (JSON_NODE_HOLDS_OBJECT (member))
          return invalid (error, layer, name, _("has an object for a platform: give a string, a list or null"));
      member = json_object_get_member (by_platform, qi_platform_to_string (self->platform));
      if (member == NULL)
        return TRUE;
      node = member;
    }

  def = g_new0 (Def, 1);
  def->name = name;
  if (JSON_NODE_HOLDS_NULL (node))
    def->kind = DEF_UNSET;
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      def->kind = DEF_VALUE;
      g_ptr_array_add (texts, (gpointer) json_node_get_string (node));
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      def->kind = DEF_LIST;
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *entry = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (entry) || json_node_get_value_type (entry) != G_TYPE_STRING)
            {
              g_autofree char *what = g_strdup_printf (_("has a list whose entry %u is not a string"), i + 1);

              def_free (def);
              return invalid (error, layer, name, what);
            }
          g_ptr_array_add (texts, (gpointer) json_node_get_string (entry));
        }
    }
  else
    {
      def_free (def);
      return invalid (error, layer, name,
                      _("is neither a string, a list of strings, an object of platforms nor null"));
    }
  def->texts = g_steal_pointer (&texts);
  *out = def;
  return TRUE;
}

/**
 * qi_environment_add_layer:
 * @self: a #QiEnvironment
 * @name: the layer's name, for the origins and the errors (`blender/3.4`,
 *   `project demo`)
 * @variables: (nullable): a JSON object of variables (see #QiEnvironment);
 *   %NULL or JSON null adds nothing
 * @error: return location for a #GError
 *
 * Applies a layer over what the environment holds.
 *
 * Returns: %TRUE, or %FALSE with %QI_ENVIRONMENT_ERROR naming the layer
 *   and the variable; the environment is then as before
 */
gboolean
qi_environment_add_layer (QiEnvironment  *self,
                          const char     *name,
                          JsonNode       *variables,
                          GError        **error)
{
  g_autoptr(GHashTable) defs = NULL;
  g_autoptr(GPtrArray) stack = NULL;
  g_autoptr(GPtrArray) order = NULL;
  g_autoptr(GList) members = NULL;
  Layer layer;

  g_return_val_if_fail (QI_IS_ENVIRONMENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (variables == NULL || JSON_NODE_HOLDS_NULL (variables))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (variables))
    {
      g_set_error (error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_INVALID,
                   _("%s: the environment is not an object of variables"), name);
      return FALSE;
    }

  defs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, def_free);
  order = g_ptr_array_new ();
  /* in the order they are written, so that an error names the first */
  members = json_object_get_members (json_node_get_object (variables));
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *variable = l->data;
      JsonNode *node = json_object_get_member (json_node_get_object (variables), variable);
      Def *def;

      if (!name_is_valid (variable))
        {
          g_set_error (error, QI_ENVIRONMENT_ERROR, QI_ENVIRONMENT_ERROR_INVALID,
                       _("%s: “%s” is not a variable name (letters, digits and “_”, not starting with a digit)"),
                       name, variable);
          return FALSE;
        }
      if (!read_def (self, name, variable, node, &def, error))
        return FALSE;
      if (def == NULL)
        continue;   /* another platform's only */
      g_hash_table_insert (defs, (gpointer) variable, def);
      g_ptr_array_add (order, (gpointer) variable);
    }

  stack = g_ptr_array_new ();
  layer.self = self;
  layer.layer = name;
  layer.defs = defs;
  layer.stack = stack;
  layer.separator = self->platform == QI_PLATFORM_WINDOWS ? ';' : ':';
  for (guint i = 0; i < order->len; i++)
    if (!resolve (&layer, g_hash_table_lookup (defs, order->pdata[i]), error))
      return FALSE;

  name = g_intern_string (name);
  for (guint i = 0; i < order->len; i++)
    {
      Def *def = g_hash_table_lookup (defs, order->pdata[i]);

      store_take (self, name, (char *) def->name, FALSE, g_steal_pointer (&def->result));
    }
  return TRUE;
}

/**
 * qi_environment_set:
 * @self: a #QiEnvironment
 * @layer: the origin to record, such as `launch`
 * @name: a variable's name
 * @value: (nullable): its value, taken as it is (no references), or %NULL
 *   to remove it
 *
 * Returns: %TRUE, or %FALSE if @name is not a variable name
 */
gboolean
qi_environment_set (QiEnvironment *self,
                    const char    *layer,
                    const char    *name,
                    const char    *value)
{
  g_return_val_if_fail (QI_IS_ENVIRONMENT (self), FALSE);
  g_return_val_if_fail (layer != NULL, FALSE);

  if (!name_is_valid (name))
    return FALSE;
  store (self, layer, name, value);
  return TRUE;
}

/**
 * qi_environment_get:
 * @self: a #QiEnvironment
 * @name: a variable's name
 *
 * Returns: (nullable): its value, or %NULL when it is not set
 */
const char *
qi_environment_get (QiEnvironment *self,
                    const char    *name)
{
  Var *var;

  g_return_val_if_fail (QI_IS_ENVIRONMENT (self), NULL);

  var = g_hash_table_lookup (self->vars, name);
  return var != NULL ? var->value : NULL;
}

/**
 * qi_environment_get_origin:
 * @self: a #QiEnvironment
 * @name: a variable's name
 *
 * Returns: (nullable): the layer that set (or removed) it last,
 *   %QI_ENVIRONMENT_BASE for the base environment's, %NULL for a variable
 *   never seen
 */
const char *
qi_environment_get_origin (QiEnvironment *self,
                           const char    *name)
{
  Var *var;

  g_return_val_if_fail (QI_IS_ENVIRONMENT (self), NULL);

  var = g_hash_table_lookup (self->vars, name);
  return var != NULL ? var->origin : NULL;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
sorted_names (QiEnvironment *self)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer name;

  g_hash_table_iter_init (&iter, self->vars);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_ptr_array_add (names, name);
  g_ptr_array_sort (names, compare_names);
  return names;
}

/**
 * qi_environment_dup_envp:
 * @self: a #QiEnvironment
 *
 * Returns: (transfer full) (array zero-terminated=1): the variables that
 *   are set, `NAME=VALUE`, by name, for g_subprocess_launcher_set_environ()
 */
char **
qi_environment_dup_envp (QiEnvironment *self)
{
  g_autoptr(GPtrArray) names = NULL;
  GPtrArray *lines;

  g_return_val_if_fail (QI_IS_ENVIRONMENT (self), NULL);

  names = sorted_names (self);
  lines = g_ptr_array_sized_new (names->len + 1);
  for (guint i = 0; i < names->len; i++)
    {
      Var *var = g_hash_table_lookup (self->vars, names->pdata[i]);

      if (var->value != NULL)
        g_ptr_array_add (lines, g_strconcat (names->pdata[i], "=", var->value, NULL));
    }
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

/**
 * qi_environment_explain:
 * @self: a #QiEnvironment
 *
 * Every variable, by name: `[{"name", "value" (null: removed), "origin"
 * (the layer that set it last), "layers" (every layer that set it, in
 * order)}]`, for `qi env explain`.
 *
 * Returns: (transfer full): a JSON array
 */
JsonNode *
qi_environment_explain (QiEnvironment *self)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(JsonArray) array = json_array_new ();

  g_return_val_if_fail (QI_IS_ENVIRONMENT (self), NULL);

  names = sorted_names (self);
  for (guint i = 0; i < names->len; i++)
    {
      Var *var = g_hash_table_lookup (self->vars, names->pdata[i]);
      JsonObject *object = json_object_new ();
      JsonArray *layers = json_array_new ();

      json_object_set_string_member (object, "name", names->pdata[i]);
      if (var->value != NULL)
        json_object_set_string_member (object, "value", var->value);
      else
        json_object_set_null_member (object, "value");
      json_object_set_string_member (object, "origin", var->origin);
      for (guint j = 0; j < var->layers->len; j++)
        json_array_add_string_element (layers, var->layers->pdata[j]);
      json_object_set_array_member (object, "layers", layers);
      json_array_add_object_element (array, object);
    }
  return json_node_init_array (json_node_alloc (), array);
}
