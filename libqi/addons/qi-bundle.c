/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "qi-bundle.h"
#include "qi-bundle-private.h"
#include "qi-enum-types.h"
#include "qi-semver.h"

/**
 * QiBundle:
 *
 * A bundle: a named, reproducible set of addons, each at a version, and
 * the environment they run in (variables and dependency packages), with a
 * #QiBundleState.
 *
 * A #QiBundle is a plain value: setting its fields checks nothing. The
 * #QiBundleManager validates a bundle when it stores it, keeps its own
 * copy, and hands out copies, so that changing a bundle you hold never
 * changes the stored one; store a change with qi_bundle_manager_update().
 *
 * Addons and variables are kept ordered by name. An addon maps to a
 * version, `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` (such as `1.2.0`), or,
 * in a dev bundle only, to a local folder given as an absolute path.
 */

struct _QiBundle
{
  GObject        parent_instance;

  char          *name;
  QiBundleState  state;
  char          *owner;
  GDateTime     *created;
  GDateTime     *modified;
  GHashTable    *addons;     /* name → version or path */
  GHashTable    *variables;  /* name → value */
  GStrv          packages;
};

G_DEFINE_FINAL_TYPE (QiBundle, qi_bundle, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_STATE,
  PROP_OWNER,
  PROP_CREATED,
  PROP_MODIFIED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
qi_bundle_finalize (GObject *object)
{
  QiBundle *self = QI_BUNDLE (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->owner, g_free);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->modified, g_date_time_unref);
  g_clear_pointer (&self->addons, g_hash_table_unref);
  g_clear_pointer (&self->variables, g_hash_table_unref);
  g_clear_pointer (&self->packages, g_strfreev);

  G_OBJECT_CLASS (qi_bundle_parent_class)->finalize (object);
}

static void
qi_bundle_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  QiBundle *self = QI_BUNDLE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_STATE:
      g_value_set_flags (value, self->state);
      break;

    case PROP_OWNER:
      g_value_set_string (value, self->owner);
      break;

    case PROP_CREATED:
      g_value_set_boxed (value, self->created);
      break;

    case PROP_MODIFIED:
      g_value_set_boxed (value, self->modified);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_bundle_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  QiBundle *self = QI_BUNDLE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;

    case PROP_STATE:
      qi_bundle_set_state (self, g_value_get_flags (value));
      break;

    case PROP_OWNER:
      qi_bundle_set_owner (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_bundle_class_init (QiBundleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_bundle_finalize;
  object_class->get_property = qi_bundle_get_property;
  object_class->set_property = qi_bundle_set_property;

  /**
   * QiBundle:name:
   *
   * The name of the bundle, unique among the bundles; see
   * qi_bundle_name_is_valid().
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * QiBundle:state:
   *
   * The state flags of the bundle.
   */
  properties[PROP_STATE] =
    g_param_spec_flags ("state", NULL, NULL,
                        QI_TYPE_BUNDLE_STATE, QI_BUNDLE_STATE_ACTIVE,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  /**
   * QiBundle:owner:
   *
   * The user a dev bundle belongs to; %NULL for no owner.
   */
  properties[PROP_OWNER] =
    g_param_spec_string ("owner", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * QiBundle:created:
   *
   * When the bundle was stored first, in UTC; %NULL for a bundle no
   * #QiBundleManager has stored.
   */
  properties[PROP_CREATED] =
    g_param_spec_boxed ("created", NULL, NULL, G_TYPE_DATE_TIME,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  /**
   * QiBundle:modified:
   *
   * When the stored bundle last changed (its state included), in UTC;
   * %NULL for a bundle no #QiBundleManager has stored.
   */
  properties[PROP_MODIFIED] =
    g_param_spec_boxed ("modified", NULL, NULL, G_TYPE_DATE_TIME,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_bundle_init (QiBundle *self)
{
  self->addons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->variables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->packages = g_new0 (char *, 1);
}

/**
 * qi_bundle_name_is_valid:
 * @name: a bundle name
 *
 * Tells whether @name can name a bundle or an addon in a bundle: 1 to 64
 * characters, lower-case ASCII letters, digits, `.`, `_` and `-`,
 * starting with a letter or a digit.
 *
 * Returns: %TRUE if @name is valid
 */
gboolean
qi_bundle_name_is_valid (const char *name)
{
  gsize length;

  g_return_val_if_fail (name != NULL, FALSE);

  length = strlen (name);
  if (length == 0 || length > 64)
    return FALSE;
  if (!g_ascii_islower (name[0]) && !g_ascii_isdigit (name[0]))
    return FALSE;
  for (gsize i = 1; i < length; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]) &&
        name[i] != '.' && name[i] != '_' && name[i] != '-')
      return FALSE;

  return TRUE;
}

/**
 * qi_bundle_version_is_valid:
 * @version: an addon version
 *
 * Tells whether @version is a semantic version as a bundle stores it:
 * `MAJOR.MINOR.PATCH`, then optionally `-PRERELEASE` and `+BUILD`, as in
 * Semantic Versioning 2.0.0, such as `1.2.0`, `2.0.0-rc.1` or
 * `1.0.0+20240501`; see qi_semver_parse(), which decides. A bundle keeps
 * the text as it was given.
 *
 * Returns: %TRUE if @version is valid
 */
gboolean
qi_bundle_version_is_valid (const char *version)
{
  g_autoptr(QiSemver) parsed = NULL;

  g_return_val_if_fail (version != NULL, FALSE);

  parsed = qi_semver_parse (version, NULL);
  return parsed != NULL;
}

gboolean
qi_bundle_value_is_local_path (const char *value)
{
  return value != NULL && g_path_is_absolute (value);
}

/**
 * qi_bundle_state_to_string:
 * @state: a #QiBundleState
 *
 * Describes @state for people and for JSON: the nicks of its flags
 * separated by ", " (`production, staging`, `dev, archived`), or `active`.
 *
 * Returns: (transfer full): the description
 */
char *
qi_bundle_state_to_string (QiBundleState state)
{
  GFlagsClass *klass = g_type_class_ref (QI_TYPE_BUNDLE_STATE);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < klass->n_values; i++)
    {
      const GFlagsValue *value = &klass->values[i];

      if (value->value != 0 && (state & value->value) == value->value)
        g_string_append_printf (text, "%s%s", text->len > 0 ? ", " : "", value->value_nick);
    }
  if (text->len == 0)
    g_string_append (text, "active");

  g_type_class_unref (klass);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * qi_bundle_new:
 * @name: the name of the bundle
 *
 * Creates an empty, active bundle. The name is checked when a
 * #QiBundleManager stores the bundle, see qi_bundle_name_is_valid().
 *
 * Returns: (transfer full): a new #QiBundle
 */
QiBundle *
qi_bundle_new (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (QI_TYPE_BUNDLE, "name", name, NULL);
}

static GHashTable *
copy_table (GHashTable *table)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));

  return copy;
}

/**
 * qi_bundle_copy:
 * @self: a #QiBundle
 *
 * Returns: (transfer full): a new bundle with the same name, state, owner,
 *   times, addons and environment
 */
QiBundle *
qi_bundle_copy (QiBundle *self)
{
  QiBundle *copy;

  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  copy = qi_bundle_new (self->name);
  copy->state = self->state;
  copy->owner = g_strdup (self->owner);
  copy->created = self->created != NULL ? g_date_time_ref (self->created) : NULL;
  copy->modified = self->modified != NULL ? g_date_time_ref (self->modified) : NULL;
  g_hash_table_unref (copy->addons);
  copy->addons = copy_table (self->addons);
  g_hash_table_unref (copy->variables);
  copy->variables = copy_table (self->variables);
  g_strfreev (copy->packages);
  copy->packages = g_strdupv (self->packages);

  return copy;
}

/**
 * qi_bundle_get_name:
 * @self: a #QiBundle
 *
 * Returns: (transfer none): the name of the bundle
 */
const char *
qi_bundle_get_name (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return self->name;
}

/**
 * qi_bundle_get_state:
 * @self: a #QiBundle
 *
 * Returns: the state flags of the bundle
 */
QiBundleState
qi_bundle_get_state (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), QI_BUNDLE_STATE_ACTIVE);

  return self->state;
}

/**
 * qi_bundle_set_state:
 * @self: a #QiBundle
 * @state: the new state flags
 *
 * Sets the state of this copy. A stored bundle changes state only through
 * qi_bundle_manager_set_state(), which keeps the invariants; a bundle
 * given to qi_bundle_manager_create() may be %QI_BUNDLE_STATE_ACTIVE or
 * %QI_BUNDLE_STATE_DEV.
 */
void
qi_bundle_set_state (QiBundle      *self,
                     QiBundleState  state)
{
  g_return_if_fail (QI_IS_BUNDLE (self));

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/**
 * qi_bundle_get_owner:
 * @self: a #QiBundle
 *
 * Returns: (transfer none) (nullable): the user the bundle belongs to; a
 *   dev bundle always has one
 */
const char *
qi_bundle_get_owner (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return self->owner;
}

/**
 * qi_bundle_set_owner:
 * @self: a #QiBundle
 * @owner: (nullable): a user name, or %NULL for none
 *
 * Sets the owner of the bundle.
 */
void
qi_bundle_set_owner (QiBundle   *self,
                     const char *owner)
{
  g_return_if_fail (QI_IS_BUNDLE (self));

  if (g_strcmp0 (self->owner, owner) == 0)
    return;
  g_free (self->owner);
  self->owner = g_strdup (owner);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER]);
}

/**
 * qi_bundle_get_created:
 * @self: a #QiBundle
 *
 * Returns: (transfer none) (nullable): when the bundle was stored first,
 *   or %NULL if it never was
 */
GDateTime *
qi_bundle_get_created (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return self->created;
}

/**
 * qi_bundle_get_modified:
 * @self: a #QiBundle
 *
 * Returns: (transfer none) (nullable): when the stored bundle last
 *   changed, or %NULL if it was never stored
 */
GDateTime *
qi_bundle_get_modified (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return self->modified;
}

void
qi_bundle_set_times (QiBundle  *self,
                     GDateTime *created,
                     GDateTime *modified)
{
  g_return_if_fail (QI_IS_BUNDLE (self));

  if (created != self->created)
    {
      g_clear_pointer (&self->created, g_date_time_unref);
      self->created = created != NULL ? g_date_time_ref (created) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED]);
    }
  if (modified != self->modified)
    {
      g_clear_pointer (&self->modified, g_date_time_unref);
      self->modified = modified != NULL ? g_date_time_ref (modified) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
    }
}

/**
 * qi_bundle_set_addon:
 * @self: a #QiBundle
 * @addon: the name of an addon
 * @version: (nullable): its version, such as "1.2.0", or in a dev bundle
 *   an absolute path to a local folder; %NULL removes the addon
 *
 * Puts @addon in the bundle at @version, or takes it out.
 */
void
qi_bundle_set_addon (QiBundle   *self,
                     const char *addon,
                     const char *version)
{
  g_return_if_fail (QI_IS_BUNDLE (self));
  g_return_if_fail (addon != NULL);

  if (version == NULL)
    g_hash_table_remove (self->addons, addon);
  else
    g_hash_table_replace (self->addons, g_strdup (addon), g_strdup (version));
}

/**
 * qi_bundle_get_addon:
 * @self: a #QiBundle
 * @addon: the name of an addon
 *
 * Returns: (transfer none) (nullable): the version (or local path) of
 *   @addon, or %NULL if the bundle does not hold it
 */
const char *
qi_bundle_get_addon (QiBundle   *self,
                     const char *addon)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);
  g_return_val_if_fail (addon != NULL, NULL);

  return g_hash_table_lookup (self->addons, addon);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static char **
sorted_keys (GHashTable *table)
{
  guint n = 0;
  char **keys = (char **) g_hash_table_get_keys_as_array (table, &n);
  char **copy = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    copy[i] = g_strdup (keys[i]);
  g_free (keys);
  g_qsort_with_data (copy, n, sizeof (char *), compare_strings, NULL);

  return copy;
}

/**
 * qi_bundle_dup_addon_names:
 * @self: a #QiBundle
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   addons of the bundle, sorted
 */
char **
qi_bundle_dup_addon_names (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return sorted_keys (self->addons);
}

/**
 * qi_bundle_set_variable:
 * @self: a #QiBundle
 * @variable: the name of an environment variable
 * @value: (nullable): its value, or %NULL to remove it
 *
 * Sets an environment variable of the bundle, or removes it.
 */
void
qi_bundle_set_variable (QiBundle   *self,
                        const char *variable,
                        const char *value)
{
  g_return_if_fail (QI_IS_BUNDLE (self));
  g_return_if_fail (variable != NULL);

  if (value == NULL)
    g_hash_table_remove (self->variables, variable);
  else
    g_hash_table_replace (self->variables, g_strdup (variable), g_strdup (value));
}

/**
 * qi_bundle_get_variable:
 * @self: a #QiBundle
 * @variable: the name of an environment variable
 *
 * Returns: (transfer none) (nullable): its value, or %NULL if the bundle
 *   does not set it
 */
const char *
qi_bundle_get_variable (QiBundle   *self,
                        const char *variable)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);
  g_return_val_if_fail (variable != NULL, NULL);

  return g_hash_table_lookup (self->variables, variable);
}

/**
 * qi_bundle_dup_variable_names:
 * @self: a #QiBundle
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   environment variables of the bundle, sorted
 */
char **
qi_bundle_dup_variable_names (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return sorted_keys (self->variables);
}

/**
 * qi_bundle_set_packages:
 * @self: a #QiBundle
 * @packages: (array zero-terminated=1) (nullable): the dependency packages
 *   of the bundle's environment, or %NULL for none
 *
 * Sets the dependency packages, in order.
 */
void
qi_bundle_set_packages (QiBundle           *self,
                        const char * const *packages)
{
  g_return_if_fail (QI_IS_BUNDLE (self));

  g_strfreev (self->packages);
  self->packages = packages != NULL ? g_strdupv ((char **) packages) : g_new0 (char *, 1);
}

/**
 * qi_bundle_get_packages:
 * @self: a #QiBundle
 *
 * Returns: (transfer none) (array zero-terminated=1): the dependency
 *   packages of the bundle's environment, in order
 */
const char * const *
qi_bundle_get_packages (QiBundle *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  return (const char * const *) self->packages;
}

static JsonNode *
table_to_json (GHashTable *table)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_auto(GStrv) keys = sorted_keys (table);

  for (guint i = 0; keys[i] != NULL; i++)
    json_object_set_string_member (object, keys[i], g_hash_table_lookup (table, keys[i]));

  return json_node_init_object (json_node_alloc (), object);
}

/**
 * qi_bundle_to_json:
 * @self: a #QiBundle
 *
 * Describes the bundle as it is stored in `bundles.json`: an object with
 * `name`, `state` (an array of the nicks of its #QiBundleState flags, or
 * `["active"]`), `owner` (if any), `created` and `modified` (ISO 8601, if
 * set), `addons` (name → version or path, sorted) and `environment` (an
 * object of `variables`, name → value, sorted, and `packages`, an array).
 *
 * Returns: (transfer full): a JSON object
 */
JsonNode *
qi_bundle_to_json (QiBundle *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonObject) environment = json_object_new ();
  g_autoptr(JsonArray) state = json_array_new ();
  g_autoptr(JsonArray) packages = json_array_new ();
  GFlagsClass *klass;

  g_return_val_if_fail (QI_IS_BUNDLE (self), NULL);

  klass = g_type_class_ref (QI_TYPE_BUNDLE_STATE);
  for (guint i = 0; i < klass->n_values; i++)
    {
      const GFlagsValue *value = &klass->values[i];

      if (value->value != 0 && (self->state & value->value) == value->value)
        json_array_add_string_element (state, value->value_nick);
    }
  if (json_array_get_length (state) == 0)
    json_array_add_string_element (state, "active");
  g_type_class_unref (klass);

  json_object_set_string_member (object, "name", self->name);
  json_object_set_array_member (object, "state", g_steal_pointer (&state));
  if (self->owner != NULL)
    json_object_set_string_member (object, "owner", self->owner);
  if (self->created != NULL)
    {
      g_autofree char *text = g_date_time_format_iso8601 (self->created);
      json_object_set_string_member (object, "created", text);
    }
  if (self->modified != NULL)
    {
      g_autofree char *text = g_date_time_format_iso8601 (self->modified);
      json_object_set_string_member (object, "modified", text);
    }
  json_object_set_member (object, "addons", table_to_json (self->addons));

  json_object_set_member (environment, "variables", table_to_json (self->variables));
  for (guint i = 0; self->packages[i] != NULL; i++)
    json_array_add_string_element (packages, self->packages[i]);
  json_object_set_array_member (environment, "packages", g_steal_pointer (&packages));
  json_object_set_object_member (object, "environment", g_steal_pointer (&environment));

  return json_node_init_object (json_node_alloc (), object);
}
