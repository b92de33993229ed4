/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-bundle-manager.h"
#include "qi-json.h"
#include "qi-bundle-private.h"
#include "qi-enum-types.h"
#include "qi-json-reader-private.h"

/**
 * QiBundleManager:
 *
 * The bundles of this Qi and their states: the service named "bundles".
 *
 * ## States
 *
 * A bundle's #QiBundleState is a set of flags. Production and staging are
 * roles: at most one bundle holds each, and one bundle may hold both. A
 * dev bundle belongs to one user (it has an owner) and may map an addon to
 * a local folder (an absolute path) instead of a version; it never holds
 * a role. An archived bundle is retired and read-only; it never holds a
 * role. A bundle with no flag is active: usable by name, holding no role.
 *
 * qi_bundle_manager_set_state() takes one target state:
 *
 * - %QI_BUNDLE_STATE_PRODUCTION, %QI_BUNDLE_STATE_STAGING: the bundle takes
 *   the role, and the bundle that held it loses it, in one write. It keeps
 *   the other role if it had it. Refused for an archived bundle
 *   (%QI_BUNDLE_ERROR_ARCHIVED) and for a dev bundle
 *   (%QI_BUNDLE_ERROR_INVARIANT).
 * - %QI_BUNDLE_STATE_ACTIVE: the bundle ends with no flag: it loses its
 *   roles (then no bundle holds them), stops being a dev bundle, and is
 *   un-archived. Refused while an addon maps to a local folder
 *   (%QI_BUNDLE_ERROR_INVALID).
 * - %QI_BUNDLE_STATE_DEV: the bundle becomes (or stays) a dev bundle,
 *   losing its roles, un-archived; it gets the current user as its owner
 *   if it had none.
 * - %QI_BUNDLE_STATE_ARCHIVED: the bundle is archived (a dev bundle stays
 *   marked dev). Refused while it holds a role
 *   (%QI_BUNDLE_ERROR_INVARIANT): give the role to another bundle, or set
 *   it active, first; retiring the production bundle is never implicit.
 *
 * Setting the state a bundle already has changes nothing and writes
 * nothing. Every other change, the state of a bundle included, updates its
 * #QiBundle:modified time. An archived bundle refuses
 * qi_bundle_manager_update(); a new bundle is active or dev, never
 * archived nor holding a role.
 *
 * ## Selection
 *
 * qi_bundle_manager_select() picks the bundle of a run: the one asked for
 * by name (`--bundle NAME`), or the staging bundle (`--staging`), or the
 * dev bundle named (`--dev-bundle NAME`) — at most one of the three —
 * else the project's bundle, else the production bundle. An archived
 * bundle is never selected. The launch configuration has the three
 * options; the bootstrap passes them on.
 *
 * ## Storage
 *
 * All bundles live in one file, `bundles.json` in the user's configuration
 * directory (`--config-dir`, `$QI_CONFIG_DIR`, or `$XDG_CONFIG_HOME/qi`):
 *
 * |[
 * {
 *   "format": 1,
 *   "bundles": [
 *     {
 *       "name": "show-2024",
 *       "state": ["production", "staging"],
 *       "created": "2024-05-01T10:00:00Z",
 *       "modified": "2024-05-02T08:30:00Z",
 *       "addons": { "loader": "1.2.0" },
 *       "environment": {
 *         "variables": { "OCIO": "/show/ocio.config" },
 *         "packages": ["numpy"]
 *       }
 *     }
 *   ]
 * }
 * ]|
 *
 * Each bundle is written as qi_bundle_to_json() describes, sorted by name;
 * `owner` is there for a bundle that has one. Every change validates the
 * whole new state, writes it to a temporary file in the same directory,
 * flushes it to disk and renames it over the old file, and only then takes
 * it in memory: a failure, or a crash at any moment, leaves the old file or
 * the new one, whole. A file that is not JSON, or whose content is wrong,
 * is an error naming the file and the place (line and column, or the JSON
 * path of the field, such as `$.bundles[2].addons.loader`); it is never
 * replaced silently. A missing file is no bundles.
 *
 * Two processes changing bundles at the same moment do not corrupt the
 * file, but the later write wins: a manager does not re-read the file
 * before a change.
 */

#define MAX_FILE_SIZE (64 * 1024 * 1024)

static const QiJsonLimits file_limits = {
  .max_depth = 8,
  .max_values = 1000000,
  .max_members = 100000,
  .count_values_first = TRUE,
};

struct _QiBundleManager
{
  QiService  parent_instance;

  char      *path;
  GPtrArray *bundles;  /* of QiBundle, sorted by name */
};

G_DEFINE_FINAL_TYPE (QiBundleManager, qi_bundle_manager, QI_TYPE_SERVICE)

G_DEFINE_QUARK (qi-bundle-error-quark, qi_bundle_error)

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Where a bundle's problem is: in the file (with its JSON path) or in a
 * bundle given to the API (by name). */
typedef struct
{
  const char *file;   /* NULL for a bundle of the API */
  guint       index;
  const char *name;
  int         code;   /* for problems with the state */
} Where;

static int
compare_bundles (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (qi_bundle_get_name (*(QiBundle * const *) a),
                 qi_bundle_get_name (*(QiBundle * const *) b));
}

static GPtrArray *
copy_bundles (GPtrArray *bundles)
{
  GPtrArray *copy = g_ptr_array_new_full (bundles->len + 1, g_object_unref);

  for (guint i = 0; i < bundles->len; i++)
    g_ptr_array_add (copy, qi_bundle_copy (g_ptr_array_index (bundles, i)));

  return copy;
}

static QiBundle *
find (GPtrArray  *bundles,
      const char *name)
{
  for (guint i = 0; i < bundles->len; i++)
    {
      QiBundle *bundle = g_ptr_array_index (bundles, i);

      if (g_str_equal (qi_bundle_get_name (bundle), name))
        return bundle;
    }

  return NULL;
}

static QiBundle *
find_role (GPtrArray     *bundles,
           QiBundleState  role)
{
  for (guint i = 0; i < bundles->len; i++)
    {
      QiBundle *bundle = g_ptr_array_index (bundles, i);

      if (qi_bundle_get_state (bundle) & role)
        return bundle;
    }

  return NULL;
}

/* A JSON string literal of @text, for messages about the file. */
static char *
quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);
}

/* @base followed by the member @name in JSONPath: `.name`, or `["a b"]`. */
static char *
member_path (const char *base,
             const char *name)
{
  g_autofree char *quoted = NULL;
  gboolean plain = name[0] != '\0';

  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      plain = FALSE;

  if (plain)
    return g_strdup_printf ("%s.%s", base, name);
  quoted = quote (name);
  return g_strdup_printf ("%s[%s]", base, quoted);
}

/* The place of @suffix (a JSONPath below the bundle, "" for the bundle). */
static char *
where_path (const Where *where,
            const char  *suffix)
{
  if (where->file != NULL)
    return g_strdup_printf ("%s: $.bundles[%u]%s", where->file, where->index, suffix);
  if (suffix[0] == '\0')
    return g_strdup_printf (_("bundle “%s”"), where->name);
  return g_strdup_printf (_("bundle “%s”: %s"), where->name, suffix + 1);
}

static gboolean
variable_name_is_valid (const char *name)
{
  if (!g_ascii_isalpha (name[0]) && name[0] != '_')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
has_control_characters (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* Checks the content of one bundle: names, versions, paths, variables,
 * packages, owner, and that its flags are a valid combination. */
static gboolean
check_bundle (QiBundle     *bundle,
              const Where  *where,
              GError      **error)
{
  int code = where->file != NULL ? QI_BUNDLE_ERROR_INVALID : where->code;
  QiBundleState state = qi_bundle_get_state (bundle);
  const char *name = qi_bundle_get_name (bundle);
  const char *owner = qi_bundle_get_owner (bundle);
  const char * const *packages = qi_bundle_get_packages (bundle);
  g_auto(GStrv) addons = qi_bundle_dup_addon_names (bundle);
  g_auto(GStrv) variables = qi_bundle_dup_variable_names (bundle);
  gboolean dev = (state & QI_BUNDLE_STATE_DEV) != 0;

  if (!qi_bundle_name_is_valid (name))
    {
      g_autofree char *at = where_path (where, ".name");
      g_autofree char *quoted = quote (name);

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: %s is not a valid bundle name: use 1 to 64 lower-case letters, "
                     "digits, “.”, “_” and “-”, starting with a letter or a digit"),
                   at, quoted);
      return FALSE;
    }

  if ((state & ~(QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING |
                 QI_BUNDLE_STATE_DEV | QI_BUNDLE_STATE_ARCHIVED)) != 0)
    {
      g_autofree char *at = where_path (where, ".state");

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: unknown state flags 0x%x"), at, (guint) state);
      return FALSE;
    }

  if ((state & (QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING)) &&
      (state & (QI_BUNDLE_STATE_ARCHIVED | QI_BUNDLE_STATE_DEV)))
    {
      g_autofree char *at = where_path (where, ".state");
      g_autofree char *text = qi_bundle_state_to_string (state);

      g_set_error (error, QI_BUNDLE_ERROR, code,
                   (state & QI_BUNDLE_STATE_ARCHIVED)
                   ? _("%s: “%s”: an archived bundle cannot be production or staging")
                   : _("%s: “%s”: a dev bundle cannot be production or staging"),
                   at, text);
      return FALSE;
    }

  if (dev && (owner == NULL || owner[0] == '\0'))
    {
      g_autofree char *at = where_path (where, ".owner");

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: a dev bundle needs an owner, the user it belongs to"), at);
      return FALSE;
    }

  if (owner != NULL && (owner[0] == '\0' || has_control_characters (owner)))
    {
      g_autofree char *at = where_path (where, ".owner");
      g_autofree char *quoted = quote (owner);

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: %s is not a user name"), at, quoted);
      return FALSE;
    }

  for (guint i = 0; addons[i] != NULL; i++)
    {
      const char *value = qi_bundle_get_addon (bundle, addons[i]);
      g_autofree char *addon_path = member_path (".addons", addons[i]);
      g_autofree char *at = where_path (where, addon_path);
      g_autofree char *quoted = NULL;

      if (!qi_bundle_name_is_valid (addons[i]))
        {
          quoted = quote (addons[i]);
          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       _("%s: %s is not a valid addon name: use 1 to 64 lower-case letters, "
                         "digits, “.”, “_” and “-”, starting with a letter or a digit"),
                       at, quoted);
          return FALSE;
        }

      quoted = quote (value);
      if (qi_bundle_value_is_local_path (value))
        {
          if (!dev)
            {
              g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                           _("%s: %s is a local folder; only a dev bundle may use one, "
                             "give a version such as 1.2.0"),
                           at, quoted);
              return FALSE;
            }
          continue;
        }

      if (!qi_bundle_version_is_valid (value))
        {
          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       dev
                       ? _("%s: %s is not a version: give MAJOR.MINOR.PATCH, such as 1.2.0, "
                           "or the absolute path of a local folder")
                       : _("%s: %s is not a version: give MAJOR.MINOR.PATCH, such as 1.2.0"),
                       at, quoted);
          return FALSE;
        }
    }

  for (guint i = 0; variables[i] != NULL; i++)
    {
      if (!variable_name_is_valid (variables[i]))
        {
          g_autofree char *variable_path = member_path (".environment.variables", variables[i]);
          g_autofree char *at = where_path (where, variable_path);
          g_autofree char *quoted = quote (variables[i]);

          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       _("%s: %s is not an environment variable name: use letters, digits and "
                         "“_”, not starting with a digit"),
                       at, quoted);
          return FALSE;
        }
    }

  for (guint i = 0; packages[i] != NULL; i++)
    {
      g_autofree char *package_path = g_strdup_printf (".environment.packages[%u]", i);
      g_autofree char *at = where_path (where, package_path);
      g_autofree char *quoted = quote (packages[i]);

      if (packages[i][0] == '\0' || has_control_characters (packages[i]))
        {
          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       _("%s: %s is not a package name"), at, quoted);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (g_str_equal (packages[i], packages[j]))
          {
            g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                         _("%s: %s is listed twice"), at, quoted);
            return FALSE;
          }
    }

  return TRUE;
}

/* Checks what spans the bundles: unique names, one holder per role. */
static gboolean
check_all (GPtrArray   *bundles,
           const char  *file,
           GError     **error)
{
  int code = file != NULL ? QI_BUNDLE_ERROR_INVALID : QI_BUNDLE_ERROR_INVARIANT;
  gint production = -1, staging = -1;

  for (guint i = 0; i < bundles->len; i++)
    {
      QiBundle *bundle = g_ptr_array_index (bundles, i);
      QiBundleState state = qi_bundle_get_state (bundle);
      const char *name = qi_bundle_get_name (bundle);
      Where where = { file, i, name, QI_BUNDLE_ERROR_INVARIANT };

      if (!check_bundle (bundle, &where, error))
        return FALSE;

      for (guint j = 0; j < i; j++)
        if (g_str_equal (name, qi_bundle_get_name (g_ptr_array_index (bundles, j))))
          {
            g_autofree char *at = where_path (&where, ".name");

            g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                         file != NULL
                         ? _("%s: a second bundle named “%s” (the first is $.bundles[%u]); "
                             "rename or remove one")
                         : _("%s: a second bundle named “%s” (at %u)"),
                         at, name, j);
            return FALSE;
          }

      for (guint r = 0; r < 2; r++)
        {
          QiBundleState role = r == 0 ? QI_BUNDLE_STATE_PRODUCTION : QI_BUNDLE_STATE_STAGING;
          gint *holder = r == 0 ? &production : &staging;

          if (!(state & role))
            continue;
          if (*holder >= 0)
            {
              g_autofree char *at = where_path (&where, ".state");
              const char *other = qi_bundle_get_name (g_ptr_array_index (bundles, *holder));

              g_set_error (error, QI_BUNDLE_ERROR, code,
                           r == 0
                           ? _("%s: “%s” and “%s” are both production; at most one bundle is")
                           : _("%s: “%s” and “%s” are both staging; at most one bundle is"),
                           at, other, name);
              return FALSE;
            }
          *holder = (gint) i;
        }
    }

  return TRUE;
}

/* Reading the file. */

static void
set_parse_error (GError              **error,
                 const char           *file,
                 const char           *data,
                 gsize                 length,
                 const QiJsonFailure  *failure)
{
  gsize at;
  g_autofree char *reason = qi_json_failure_describe (failure, length,
                                                 _("too large or too deeply nested for a bundles file"),
                                                 &at);
  guint line, column;

  qi_json_locate (data, data + at, &line, &column);
  g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_PARSE,
               _("%s:%u:%u: %s; fix the file or restore it from a backup"),
               file, line, column, reason);
}

static gboolean
wrong_type (GError     **error,
            const char  *file,
            const char  *path,
            const char  *expected,
            JsonNode    *node)
{
  g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
               _("%s: %s: expected %s, found %s"), file, path, expected, qi_json_describe_type (node));
  return FALSE;
}

static gboolean
is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* Refuses members of @object not in @known. */
static gboolean
check_members (JsonObject          *object,
               const char * const  *known,
               const char          *file,
               const char          *path,
               GError             **error)
{
  JsonObjectIter iter;
  const char *name;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, NULL))
    if (!g_strv_contains (known, name))
      {
        g_autofree char *at = member_path (path, name);
        g_autofree char *list = g_strjoinv (", ", (char **) known);

        g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                     _("%s: %s: unknown member; expected one of %s"), file, at, list);
        return FALSE;
      }

  return TRUE;
}

static gboolean
read_string_map (JsonNode     *node,
                 const char   *file,
                 const char   *path,
                 QiBundle     *bundle,
                 gboolean      addons,
                 GError      **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (error, file, path, _("an object"), node);

  json_object_iter_init_ordered (&iter, json_node_get_object (node));
  while (json_object_iter_next_ordered (&iter, &name, &member))
    {
      if (!is_string (member))
        {
          g_autofree char *at = member_path (path, name);
          return wrong_type (error, file, at, _("a string"), member);
        }
      if (addons)
        qi_bundle_set_addon (bundle, name, json_node_get_string (member));
      else
        qi_bundle_set_variable (bundle, name, json_node_get_string (member));
    }

  return TRUE;
}

static gboolean
read_time (JsonObject  *object,
           const char  *member,
           const char  *file,
           const char  *base,
           GDateTime  **time,
           GError     **error)
{
  g_autofree char *path = member_path (base, member);
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr(GDateTime) parsed = NULL;

  if (node == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: %s: missing; give the time as ISO 8601, such as 2024-05-01T10:00:00Z"),
                   file, path);
      return FALSE;
    }
  if (!is_string (node))
    return wrong_type (error, file, path, _("a string"), node);

  parsed = g_date_time_new_from_iso8601 (json_node_get_string (node), NULL);
  if (parsed == NULL)
    {
      g_autofree char *quoted = quote (json_node_get_string (node));

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: %s: %s is not an ISO 8601 date and time with a zone, "
                     "such as 2024-05-01T10:00:00Z"),
                   file, path, quoted);
      return FALSE;
    }

  *time = g_date_time_to_utc (parsed);
  return TRUE;
}

static QiBundle *
read_bundle (JsonNode    *node,
             const char  *file,
             guint        index,
             GError     **error)
{
  static const char * const known[] = {
    "name", "state", "owner", "created", "modified", "addons", "environment", NULL
  };
  static const char * const known_environment[] = { "variables", "packages", NULL };
  g_autofree char *base = g_strdup_printf ("$.bundles[%u]", index);
  g_autofree char *state_path = g_strdup_printf ("%s.state", base);
  g_autoptr(GFlagsClass) flags = NULL;
  g_autoptr(GDateTime) created = NULL;
  g_autoptr(GDateTime) modified = NULL;
  g_autoptr(QiBundle) bundle = NULL;
  QiBundleState state = QI_BUNDLE_STATE_ACTIVE;
  gboolean active = FALSE;
  JsonObject *object;
  JsonNode *member;
  JsonArray *array;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      wrong_type (error, file, base, _("an object"), node);
      return NULL;
    }
  object = json_node_get_object (node);
  if (!check_members (object, known, file, base, error))
    return NULL;

  member = json_object_get_member (object, "name");
  if (member == NULL || !is_string (member))
    {
      g_autofree char *path = g_strdup_printf ("%s.name", base);

      if (member != NULL)
        wrong_type (error, file, path, _("a string"), member);
      else
        g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                     _("%s: %s: missing; every bundle has a name"), file, path);
      return NULL;
    }
  bundle = qi_bundle_new (json_node_get_string (member));

  member = json_object_get_member (object, "state");
  if (member == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: %s: missing; give an array such as [\"active\"]"), file, state_path);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (member))
    {
      wrong_type (error, file, state_path, _("an array"), member);
      return NULL;
    }
  array = json_node_get_array (member);
  flags = g_type_class_ref (QI_TYPE_BUNDLE_STATE);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *path = g_strdup_printf ("%s[%u]", state_path, i);
      GFlagsValue *value;

      if (!is_string (element))
        {
          wrong_type (error, file, path, _("a string"), element);
          return NULL;
        }
      value = g_flags_get_value_by_nick (flags, json_node_get_string (element));
      if (value == NULL)
        {
          g_autofree char *quoted = quote (json_node_get_string (element));

          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       _("%s: %s: %s is not a state; use production, staging, dev, active "
                         "or archived"),
                       file, path, quoted);
          return NULL;
        }
      if (value->value == 0)
        active = TRUE;
      else if (state & value->value)
        {
          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       _("%s: %s: “%s” is listed twice"), file, path, value->value_nick);
          return NULL;
        }
      state |= value->value;
    }
  if (json_array_get_length (array) == 0 || (active && json_array_get_length (array) != 1))
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: %s: “active” means no other state; give [\"active\"] alone, "
                     "or the states of the bundle"),
                   file, state_path);
      return NULL;
    }
  qi_bundle_set_state (bundle, state);

  member = json_object_get_member (object, "owner");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      if (!is_string (member))
        {
          g_autofree char *path = g_strdup_printf ("%s.owner", base);

          wrong_type (error, file, path, _("a string"), member);
          return NULL;
        }
      qi_bundle_set_owner (bundle, json_node_get_string (member));
    }

  if (!read_time (object, "created", file, base, &created, error) ||
      !read_time (object, "modified", file, base, &modified, error))
    return NULL;
  qi_bundle_set_times (bundle, created, modified);

  member = json_object_get_member (object, "addons");
  if (member != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s.addons", base);

      if (!read_string_map (member, file, path, bundle, TRUE, error))
        return NULL;
    }

  member = json_object_get_member (object, "environment");
  if (member != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s.environment", base);
      JsonNode *packages;
      JsonNode *variables;

      if (!JSON_NODE_HOLDS_OBJECT (member))
        {
          wrong_type (error, file, path, _("an object"), member);
          return NULL;
        }
      if (!check_members (json_node_get_object (member), known_environment, file, path, error))
        return NULL;

      variables = json_object_get_member (json_node_get_object (member), "variables");
      if (variables != NULL)
        {
          g_autofree char *variables_path = g_strdup_printf ("%s.variables", path);

          if (!read_string_map (variables, file, variables_path, bundle, FALSE, error))
            return NULL;
        }

      packages = json_object_get_member (json_node_get_object (member), "packages");
      if (packages != NULL)
        {
          g_autofree char *packages_path = g_strdup_printf ("%s.packages", path);
          g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
          g_auto(GStrv) list = NULL;

          if (!JSON_NODE_HOLDS_ARRAY (packages))
            {
              wrong_type (error, file, packages_path, _("an array"), packages);
              return NULL;
            }
          array = json_node_get_array (packages);
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *element = json_array_get_element (array, i);

              if (!is_string (element))
                {
                  g_autofree char *at = g_strdup_printf ("%s[%u]", packages_path, i);

                  wrong_type (error, file, at, _("a string"), element);
                  return NULL;
                }
              g_strv_builder_add (builder, json_node_get_string (element));
            }
          list = g_strv_builder_end (builder);
          qi_bundle_set_packages (bundle, (const char * const *) list);
        }
    }

  return g_steal_pointer (&bundle);
}

/* Reads @file; a missing file is no bundles. */
static GPtrArray *
read_file (const char  *file,
           GError     **error)
{
  static const char * const known[] = { "format", "bundles", NULL };
  g_autoptr(GPtrArray) bundles = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(QiJsonFailure) failure = { 0 };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *data = NULL;
  JsonObject *object;
  JsonNode *format;
  JsonNode *list;
  JsonArray *array;
  gsize length = 0;

  if (!g_file_get_contents (file, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
          !g_file_test (file, G_FILE_TEST_IS_SYMLINK))
        return g_steal_pointer (&bundles);

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_IO,
                   _("%s: cannot read the bundles: %s"), file, local_error->message);
      return NULL;
    }

  if (length > MAX_FILE_SIZE)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_PARSE,
                   _("%s: %" G_GSIZE_FORMAT " bytes is too large for a bundles file"),
                   file, length);
      return NULL;
    }

  root = qi_json_read (data, length, &file_limits, &failure);
  if (root == NULL)
    {
      set_parse_error (error, file, data, length, &failure);
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      wrong_type (error, file, "$", _("an object with \"format\" and \"bundles\""), root);
      return NULL;
    }
  object = json_node_get_object (root);
  if (!check_members (object, known, file, "$", error))
    return NULL;

  format = json_object_get_member (object, "format");
  if (format == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: $.format: missing; a bundles file starts with \"format\": %d"),
                   file, QI_BUNDLE_MANAGER_FORMAT);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (format) || json_node_get_value_type (format) != G_TYPE_INT64)
    {
      wrong_type (error, file, "$.format", _("a whole number"), format);
      return NULL;
    }
  if (json_node_get_int (format) != QI_BUNDLE_MANAGER_FORMAT)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   json_node_get_int (format) > QI_BUNDLE_MANAGER_FORMAT
                   ? _("%s: $.format: format %" G_GINT64_FORMAT " is newer than this Qi reads "
                       "(%d); use a newer Qi")
                   : _("%s: $.format: format %" G_GINT64_FORMAT " is unknown; this Qi reads "
                       "format %d"),
                   file, json_node_get_int (format), QI_BUNDLE_MANAGER_FORMAT);
      return NULL;
    }

  list = json_object_get_member (object, "bundles");
  if (list == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("%s: $.bundles: missing; give an array of bundles, [] for none"), file);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (list))
    {
      wrong_type (error, file, "$.bundles", _("an array"), list);
      return NULL;
    }

  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      QiBundle *bundle = read_bundle (json_array_get_element (array, i), file, i, error);

      if (bundle == NULL)
        return NULL;
      g_ptr_array_add (bundles, bundle);
    }

  if (!check_all (bundles, file, error))
    return NULL;

  g_ptr_array_sort (bundles, compare_bundles);
  return g_steal_pointer (&bundles);
}

/* Writing the file. */

static char *
serialize (GPtrArray *bundles)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < bundles->len; i++)
    json_array_add_element (array, qi_bundle_to_json (g_ptr_array_index (bundles, i)));

  json_object_set_int_member (object, "format", QI_BUNDLE_MANAGER_FORMAT);
  json_object_set_array_member (object, "bundles", g_steal_pointer (&array));
  root = json_node_init_object (json_node_alloc (), object);

  text = qi_json_to_string (root, QI_JSON_WRITE_PRETTY, NULL);

  return g_strconcat (text, "\n", NULL);
}

/* Validates @bundles, writes them atomically, and only then makes them the
 * manager's. */
static gboolean
commit (QiBundleManager  *self,
        GPtrArray        *bundles,
        GError          **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;

  g_ptr_array_sort (bundles, compare_bundles);
  if (!check_all (bundles, NULL, error))
    return FALSE;

  text = serialize (bundles);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_IO,
                   _("%s: cannot save the bundles: cannot create the folder “%s”: %s; "
                     "nothing was changed"),
                   self->path, dir, g_strerror (saved));
      return FALSE;
    }

  /* A temporary file in the same folder, fsync, rename: a crash at any
   * moment leaves the old file or the new one, whole. */
  if (!g_file_set_contents_full (self->path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, &local_error))
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_IO,
                   _("%s: cannot save the bundles: %s; nothing was changed"),
                   self->path, local_error->message);
      return FALSE;
    }

  g_ptr_array_unref (self->bundles);
  self->bundles = g_ptr_array_ref (bundles);
  return TRUE;
}

static gboolean
qi_bundle_manager_start (QiService  *service,
                         GError    **error)
{
  return qi_bundle_manager_load (QI_BUNDLE_MANAGER (service), error);
}

static void
qi_bundle_manager_finalize (GObject *object)
{
  QiBundleManager *self = QI_BUNDLE_MANAGER (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->bundles, g_ptr_array_unref);

  G_OBJECT_CLASS (qi_bundle_manager_parent_class)->finalize (object);
}

static void
qi_bundle_manager_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  QiBundleManager *self = QI_BUNDLE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_bundle_manager_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  QiBundleManager *self = QI_BUNDLE_MANAGER (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_bundle_manager_class_init (QiBundleManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  QiServiceClass *service_class = QI_SERVICE_CLASS (klass);

  object_class->finalize = qi_bundle_manager_finalize;
  object_class->get_property = qi_bundle_manager_get_property;
  object_class->set_property = qi_bundle_manager_set_property;

  service_class->start = qi_bundle_manager_start;

  /**
   * QiBundleManager:path: (type filename)
   *
   * The file that holds the bundles.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
qi_bundle_manager_init (QiBundleManager *self)
{
  self->bundles = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * qi_bundle_manager_new:
 * @path: (type filename): the file that holds the bundles, normally
 *   %QI_BUNDLE_MANAGER_FILE_NAME in qi_launch_config_get_config_dir()
 *
 * Creates a manager with no bundles; qi_bundle_manager_load() (or starting
 * the service) reads @path.
 *
 * Returns: (transfer full): a new #QiBundleManager
 */
QiBundleManager *
qi_bundle_manager_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (QI_TYPE_BUNDLE_MANAGER,
                       "name", "bundles",
                       "description", _("Holds the bundles and their states"),
                       "path", path,
                       NULL);
}

/**
 * qi_bundle_manager_get_path:
 * @self: a #QiBundleManager
 *
 * Returns: (transfer none) (type filename): the file that holds the bundles
 */
const char *
qi_bundle_manager_get_path (QiBundleManager *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);

  return self->path;
}

/**
 * qi_bundle_manager_load:
 * @self: a #QiBundleManager
 * @error: return location for a #GError
 *
 * Reads the bundles from the file; a missing file is no bundles. On
 * failure the manager keeps what it held.
 *
 * Returns: %TRUE on success; %FALSE with %QI_BUNDLE_ERROR_IO,
 *   %QI_BUNDLE_ERROR_PARSE or %QI_BUNDLE_ERROR_INVALID
 */
gboolean
qi_bundle_manager_load (QiBundleManager  *self,
                        GError          **error)
{
  GPtrArray *bundles;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bundles = read_file (self->path, error);
  if (bundles == NULL)
    return FALSE;

  g_ptr_array_unref (self->bundles);
  self->bundles = bundles;
  g_debug ("Read %u bundles from %s", bundles->len, self->path);
  return TRUE;
}

/**
 * qi_bundle_manager_save:
 * @self: a #QiBundleManager
 * @error: return location for a #GError
 *
 * Writes the bundles to the file, atomically. The changes of the manager
 * save themselves; this writes the file again, creating it if need be.
 *
 * Returns: %TRUE on success; %FALSE with %QI_BUNDLE_ERROR_IO, leaving the
 *   file as it was
 */
gboolean
qi_bundle_manager_save (QiBundleManager  *self,
                        GError          **error)
{
  g_autoptr(GPtrArray) bundles = NULL;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bundles = copy_bundles (self->bundles);
  return commit (self, bundles, error);
}

/**
 * qi_bundle_manager_list:
 * @self: a #QiBundleManager
 *
 * Returns: (transfer full) (element-type QiBundle): copies of the bundles,
 *   sorted by name
 */
GPtrArray *
qi_bundle_manager_list (QiBundleManager *self)
{
  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);

  return copy_bundles (self->bundles);
}

/**
 * qi_bundle_manager_lookup:
 * @self: a #QiBundleManager
 * @name: the name of a bundle
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a copy of the bundle, or %NULL with
 *   %QI_BUNDLE_ERROR_NOT_FOUND
 */
QiBundle *
qi_bundle_manager_lookup (QiBundleManager  *self,
                          const char       *name,
                          GError          **error)
{
  QiBundle *bundle;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bundle = find (self->bundles, name);
  if (bundle == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND,
                   _("there is no bundle “%s” in %s; see “qi --headless bundles list”"),
                   name, self->path);
      return NULL;
    }

  return qi_bundle_copy (bundle);
}

/**
 * qi_bundle_manager_get_production:
 * @self: a #QiBundleManager
 *
 * Returns: (transfer none) (nullable): the name of the production bundle,
 *   or %NULL if no bundle is
 */
const char *
qi_bundle_manager_get_production (QiBundleManager *self)
{
  QiBundle *bundle;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);

  bundle = find_role (self->bundles, QI_BUNDLE_STATE_PRODUCTION);
  return bundle != NULL ? qi_bundle_get_name (bundle) : NULL;
}

/**
 * qi_bundle_manager_get_staging:
 * @self: a #QiBundleManager
 *
 * Returns: (transfer none) (nullable): the name of the staging bundle, or
 *   %NULL if no bundle is
 */
const char *
qi_bundle_manager_get_staging (QiBundleManager *self)
{
  QiBundle *bundle;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);

  bundle = find_role (self->bundles, QI_BUNDLE_STATE_STAGING);
  return bundle != NULL ? qi_bundle_get_name (bundle) : NULL;
}

/**
 * qi_bundle_manager_create:
 * @self: a #QiBundleManager
 * @bundle: the new bundle; the manager stores a copy
 * @error: return location for a #GError
 *
 * Stores a new bundle and saves. Its state must be %QI_BUNDLE_STATE_ACTIVE
 * or %QI_BUNDLE_STATE_DEV (a dev bundle needs an owner); give it a role
 * afterwards with qi_bundle_manager_set_state(). Its created and modified
 * times become now.
 *
 * Returns: %TRUE on success; %FALSE with %QI_BUNDLE_ERROR_EXISTS,
 *   %QI_BUNDLE_ERROR_INVALID or %QI_BUNDLE_ERROR_IO, changing nothing
 */
gboolean
qi_bundle_manager_create (QiBundleManager  *self,
                          QiBundle         *bundle,
                          GError          **error)
{
  g_autoptr(GPtrArray) bundles = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(QiBundle) copy = NULL;
  QiBundleState state;
  Where where = { NULL, 0, NULL, QI_BUNDLE_ERROR_INVALID };

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_BUNDLE (bundle), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  where.name = qi_bundle_get_name (bundle);
  state = qi_bundle_get_state (bundle);
  if (state != QI_BUNDLE_STATE_ACTIVE && state != QI_BUNDLE_STATE_DEV)
    {
      g_autofree char *text = qi_bundle_state_to_string (state);

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("bundle “%s”: a new bundle is active or dev, not “%s”; "
                     "create it, then set its state"),
                   where.name, text);
      return FALSE;
    }

  if (!check_bundle (bundle, &where, error))
    return FALSE;

  if (find (self->bundles, where.name) != NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_EXISTS,
                   _("bundle “%s” exists already; pick another name, or see "
                     "“qi --headless bundles show %s”"),
                   where.name, where.name);
      return FALSE;
    }

  now = g_date_time_new_now_utc ();
  copy = qi_bundle_copy (bundle);
  qi_bundle_set_times (copy, now, now);

  bundles = copy_bundles (self->bundles);
  g_ptr_array_add (bundles, g_steal_pointer (&copy));
  return commit (self, bundles, error);
}

/**
 * qi_bundle_manager_update:
 * @self: a #QiBundleManager
 * @bundle: a bundle of the name of a stored one, with new content
 * @error: return location for a #GError
 *
 * Replaces the owner, addons and environment of the stored bundle of the
 * same name by those of @bundle, and saves. The state of @bundle is not
 * used: states change with qi_bundle_manager_set_state(). The stored
 * bundle's modified time becomes now.
 *
 * Returns: %TRUE on success; %FALSE with %QI_BUNDLE_ERROR_NOT_FOUND,
 *   %QI_BUNDLE_ERROR_ARCHIVED, %QI_BUNDLE_ERROR_INVALID or
 *   %QI_BUNDLE_ERROR_IO, changing nothing
 */
gboolean
qi_bundle_manager_update (QiBundleManager  *self,
                          QiBundle         *bundle,
                          GError          **error)
{
  g_autoptr(GPtrArray) bundles = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(QiBundle) copy = NULL;
  const char *name;
  QiBundle *stored;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_BUNDLE (bundle), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  name = qi_bundle_get_name (bundle);
  stored = find (self->bundles, name);
  if (stored == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND,
                   _("there is no bundle “%s” in %s; see “qi --headless bundles list”"),
                   name, self->path);
      return FALSE;
    }
  if (qi_bundle_get_state (stored) & QI_BUNDLE_STATE_ARCHIVED)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED,
                   _("bundle “%s” is archived, so read-only; un-archive it first with "
                     "“qi --headless bundles set-state %s active”"),
                   name, name);
      return FALSE;
    }

  now = g_date_time_new_now_utc ();
  copy = qi_bundle_copy (bundle);
  qi_bundle_set_state (copy, qi_bundle_get_state (stored));
  qi_bundle_set_times (copy, qi_bundle_get_created (stored), now);

  bundles = copy_bundles (self->bundles);
  for (guint i = 0; i < bundles->len; i++)
    if (g_str_equal (qi_bundle_get_name (g_ptr_array_index (bundles, i)), name))
      {
        g_object_unref (g_ptr_array_index (bundles, i));
        g_ptr_array_index (bundles, i) = g_steal_pointer (&copy);
      }

  return commit (self, bundles, error);
}

static gboolean
is_single_state (QiBundleState state)
{
  return state == QI_BUNDLE_STATE_ACTIVE || state == QI_BUNDLE_STATE_PRODUCTION ||
         state == QI_BUNDLE_STATE_STAGING || state == QI_BUNDLE_STATE_DEV ||
         state == QI_BUNDLE_STATE_ARCHIVED;
}

/**
 * qi_bundle_manager_set_state:
 * @self: a #QiBundleManager
 * @name: the name of a bundle
 * @state: the state to go to: one flag, or %QI_BUNDLE_STATE_ACTIVE
 * @error: return location for a #GError
 *
 * Moves a bundle to @state, as the description of #QiBundleManager says,
 * and saves in one atomic write: giving a bundle the production role takes
 * it from the bundle that had it in the same write.
 *
 * Returns: %TRUE on success, also when nothing had to change; %FALSE with
 *   %QI_BUNDLE_ERROR_NOT_FOUND, %QI_BUNDLE_ERROR_ARCHIVED,
 *   %QI_BUNDLE_ERROR_INVARIANT, %QI_BUNDLE_ERROR_INVALID or
 *   %QI_BUNDLE_ERROR_IO, changing nothing
 */
gboolean
qi_bundle_manager_set_state (QiBundleManager  *self,
                             const char       *name,
                             QiBundleState     state,
                             GError          **error)
{
  g_autoptr(GPtrArray) bundles = NULL;
  g_autoptr(GDateTime) now = NULL;
  QiBundleState old, new;
  QiBundle *bundle;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!is_single_state (state))
    {
      g_autofree char *text = qi_bundle_state_to_string (state);

      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("bundle “%s”: “%s” is not one state; set production, staging, dev, "
                     "active or archived, one at a time"),
                   name, text);
      return FALSE;
    }

  bundles = copy_bundles (self->bundles);
  bundle = find (bundles, name);
  if (bundle == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND,
                   _("there is no bundle “%s” in %s; see “qi --headless bundles list”"),
                   name, self->path);
      return FALSE;
    }

  old = qi_bundle_get_state (bundle);
  now = g_date_time_new_now_utc ();

  switch (state)
    {
    case QI_BUNDLE_STATE_PRODUCTION:
    case QI_BUNDLE_STATE_STAGING:
      {
        const char *role = state == QI_BUNDLE_STATE_PRODUCTION ? "production" : "staging";

        if (old & QI_BUNDLE_STATE_ARCHIVED)
          {
            g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED,
                         _("bundle “%s” is archived and cannot be %s; un-archive it first with "
                           "“qi --headless bundles set-state %s active”"),
                         name, role, name);
            return FALSE;
          }
        if (old & QI_BUNDLE_STATE_DEV)
          {
            g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVARIANT,
                         _("bundle “%s” is a dev bundle and cannot be %s; make it a regular "
                           "bundle first with “qi --headless bundles set-state %s active”"),
                         name, role, name);
            return FALSE;
          }

        new = old | state;
        if (new != old)
          for (guint i = 0; i < bundles->len; i++)
            {
              QiBundle *other = g_ptr_array_index (bundles, i);

              if (other != bundle && (qi_bundle_get_state (other) & state))
                {
                  qi_bundle_set_state (other, qi_bundle_get_state (other) & ~state);
                  qi_bundle_set_times (other, qi_bundle_get_created (other), now);
                }
            }
      }
      break;

    case QI_BUNDLE_STATE_ACTIVE:
      {
        g_auto(GStrv) addons = qi_bundle_dup_addon_names (bundle);

        for (guint i = 0; addons[i] != NULL; i++)
          if (qi_bundle_value_is_local_path (qi_bundle_get_addon (bundle, addons[i])))
            {
              g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                           _("bundle “%s” maps the addon “%s” to the local folder “%s”, which only "
                             "a dev bundle may do; give the addon a version, or keep the bundle dev "
                             "with “qi --headless bundles set-state %s dev”"),
                           name, addons[i], qi_bundle_get_addon (bundle, addons[i]), name);
              return FALSE;
            }
        new = QI_BUNDLE_STATE_ACTIVE;
      }
      break;

    case QI_BUNDLE_STATE_DEV:
      new = QI_BUNDLE_STATE_DEV;
      if (qi_bundle_get_owner (bundle) == NULL && new != old)
        qi_bundle_set_owner (bundle, g_get_user_name ());
      break;

    case QI_BUNDLE_STATE_ARCHIVED:
      if (old & (QI_BUNDLE_STATE_PRODUCTION | QI_BUNDLE_STATE_STAGING))
        {
          g_autofree char *text = qi_bundle_state_to_string (old);
          const char *role = (old & QI_BUNDLE_STATE_PRODUCTION) ? "production" : "staging";

          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVARIANT,
                       _("bundle “%s” is %s and cannot be archived; give the role to another "
                         "bundle (“qi --headless bundles set-state OTHER %s”) or set this one "
                         "active first"),
                       name, text, role);
          return FALSE;
        }
      new = QI_BUNDLE_STATE_ARCHIVED | (old & QI_BUNDLE_STATE_DEV);
      break;

    default:
      g_assert_not_reached ();
    }

  if (new == old)
    return TRUE;

  qi_bundle_set_state (bundle, new);
  qi_bundle_set_times (bundle, qi_bundle_get_created (bundle), now);
  return commit (self, bundles, error);
}

/**
 * qi_bundle_manager_archive:
 * @self: a #QiBundleManager
 * @name: the name of a bundle
 * @error: return location for a #GError
 *
 * Archives a bundle: qi_bundle_manager_set_state() with
 * %QI_BUNDLE_STATE_ARCHIVED. The production and staging bundles cannot be
 * archived.
 *
 * Returns: %TRUE on success; %FALSE as qi_bundle_manager_set_state()
 */
gboolean
qi_bundle_manager_archive (QiBundleManager  *self,
                           const char       *name,
                           GError          **error)
{
  return qi_bundle_manager_set_state (self, name, QI_BUNDLE_STATE_ARCHIVED, error);
}

typedef const char *(*GetFunc) (QiBundle *bundle, const char *key);

static JsonNode *
diff_maps (QiBundle *from,
           QiBundle *to,
           GStrv     from_keys,
           GStrv     to_keys,
           GetFunc   get)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonObject) added = json_object_new ();
  g_autoptr(JsonObject) removed = json_object_new ();
  g_autoptr(JsonObject) changed = json_object_new ();

  for (guint i = 0; from_keys[i] != NULL; i++)
    {
      const char *old = get (from, from_keys[i]);
      const char *new = get (to, from_keys[i]);

      if (new == NULL)
        json_object_set_string_member (removed, from_keys[i], old);
      else if (!g_str_equal (old, new))
        {
          JsonObject *change = json_object_new ();

          json_object_set_string_member (change, "from", old);
          json_object_set_string_member (change, "to", new);
          json_object_set_object_member (changed, from_keys[i], change);
        }
    }
  for (guint i = 0; to_keys[i] != NULL; i++)
    if (get (from, to_keys[i]) == NULL)
      json_object_set_string_member (added, to_keys[i], get (to, to_keys[i]));

  json_object_set_object_member (object, "added", g_steal_pointer (&added));
  json_object_set_object_member (object, "removed", g_steal_pointer (&removed));
  json_object_set_object_member (object, "changed", g_steal_pointer (&changed));
  return json_node_init_object (json_node_alloc (), object);
}

/**
 * qi_bundle_manager_diff:
 * @self: a #QiBundleManager
 * @from: the name of a bundle
 * @to: the name of another (or the same) bundle
 * @error: return location for a #GError
 *
 * Compares two bundles. The result is an object:
 *
 * |[
 * {
 *   "from": "a", "to": "b",
 *   "addons": {
 *     "added": { "NAME": "VERSION" },
 *     "removed": { "NAME": "VERSION" },
 *     "changed": { "NAME": { "from": "VERSION", "to": "VERSION" } }
 *   },
 *   "variables": { "added": {}, "removed": {}, "changed": {} },
 *   "packages": { "added": ["NAME"], "removed": ["NAME"] }
 * }
 * ]|
 *
 * Added means in @to and not in @from; every member is there, empty when
 * nothing differs, and names are sorted.
 *
 * Returns: (transfer full): the differences, or %NULL with
 *   %QI_BUNDLE_ERROR_NOT_FOUND
 */
JsonNode *
qi_bundle_manager_diff (QiBundleManager  *self,
                        const char       *from,
                        const char       *to,
                        GError          **error)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonObject) packages = json_object_new ();
  g_autoptr(JsonArray) added = json_array_new ();
  g_autoptr(JsonArray) removed = json_array_new ();
  g_autoptr(QiBundle) a = NULL;
  g_autoptr(QiBundle) b = NULL;
  g_auto(GStrv) a_addons = NULL;
  g_auto(GStrv) b_addons = NULL;
  g_auto(GStrv) a_variables = NULL;
  g_auto(GStrv) b_variables = NULL;
  const char * const *a_packages;
  const char * const *b_packages;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);
  g_return_val_if_fail (from != NULL, NULL);
  g_return_val_if_fail (to != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  a = qi_bundle_manager_lookup (self, from, error);
  if (a == NULL)
    return NULL;
  b = qi_bundle_manager_lookup (self, to, error);
  if (b == NULL)
    return NULL;

  a_addons = qi_bundle_dup_addon_names (a);
  b_addons = qi_bundle_dup_addon_names (b);
  a_variables = qi_bundle_dup_variable_names (a);
  b_variables = qi_bundle_dup_variable_names (b);
  a_packages = qi_bundle_get_packages (a);
  b_packages = qi_bundle_get_packages (b);

  json_object_set_string_member (object, "from", from);
  json_object_set_string_member (object, "to", to);
  json_object_set_member (object, "addons",
                          diff_maps (a, b, a_addons, b_addons, qi_bundle_get_addon));
  json_object_set_member (object, "variables",
                          diff_maps (a, b, a_variables, b_variables, qi_bundle_get_variable));

  for (guint i = 0; b_packages[i] != NULL; i++)
    if (!g_strv_contains (a_packages, b_packages[i]))
      json_array_add_string_element (added, b_packages[i]);
  for (guint i = 0; a_packages[i] != NULL; i++)
    if (!g_strv_contains (b_packages, a_packages[i]))
      json_array_add_string_element (removed, a_packages[i]);
  json_object_set_array_member (packages, "added", g_steal_pointer (&added));
  json_object_set_array_member (packages, "removed", g_steal_pointer (&removed));
  json_object_set_object_member (object, "packages", g_steal_pointer (&packages));

  return json_node_init_object (json_node_alloc (), object);
}

static QiBundle *
select_named (QiBundleManager  *self,
              const char       *name,
              const char       *why,
              GError          **error)
{
  QiBundle *bundle = find (self->bundles, name);

  if (bundle == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND,
                   _("there is no bundle “%s” (%s) in %s; see “qi --headless bundles list”"),
                   name, why, self->path);
      return NULL;
    }
  if (qi_bundle_get_state (bundle) & QI_BUNDLE_STATE_ARCHIVED)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_ARCHIVED,
                   _("bundle “%s” (%s) is archived; pick another, or un-archive it with "
                     "“qi --headless bundles set-state %s active”"),
                   name, why, name);
      return NULL;
    }

  return qi_bundle_copy (bundle);
}

/**
 * qi_bundle_manager_select:
 * @self: a #QiBundleManager
 * @bundle: (nullable): the bundle asked for by name (`--bundle NAME`)
 * @project_bundle: (nullable): the bundle of the active project
 * @staging: whether the staging bundle is asked for (`--staging`)
 * @dev: (nullable): the dev bundle asked for (`--dev-bundle NAME`)
 * @error: return location for a #GError
 *
 * Picks the bundle of a run: @bundle, the staging bundle or @dev (at most
 * one of the three may be given), else @project_bundle, else the
 * production bundle. @dev must name a dev bundle. An archived bundle is
 * never picked.
 *
 * Returns: (transfer full): a copy of the bundle, or %NULL with
 *   %QI_BUNDLE_ERROR_INVALID (more than one choice, or @dev is not a dev
 *   bundle), %QI_BUNDLE_ERROR_NOT_FOUND (no such bundle, or no bundle has
 *   the role) or %QI_BUNDLE_ERROR_ARCHIVED
 */
QiBundle *
qi_bundle_manager_select (QiBundleManager  *self,
                          const char       *bundle,
                          const char       *project_bundle,
                          gboolean          staging,
                          const char       *dev,
                          GError          **error)
{
  QiBundle *found;

  g_return_val_if_fail (QI_IS_BUNDLE_MANAGER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((bundle != NULL) + (staging != FALSE) + (dev != NULL) > 1)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                   _("--bundle, --staging and --dev-bundle each choose the bundle; give one of them"));
      return NULL;
    }

  if (bundle != NULL)
    return select_named (self, bundle, "--bundle", error);

  if (dev != NULL)
    {
      g_autoptr(QiBundle) chosen = select_named (self, dev, "--dev-bundle", error);

      if (chosen != NULL && !(qi_bundle_get_state (chosen) & QI_BUNDLE_STATE_DEV))
        {
          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_INVALID,
                       _("bundle “%s” is not a dev bundle; use --bundle %s to run it"),
                       dev, dev);
          return NULL;
        }
      return g_steal_pointer (&chosen);
    }

  if (staging)
    {
      found = find_role (self->bundles, QI_BUNDLE_STATE_STAGING);
      if (found == NULL)
        {
          g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND,
                       _("no bundle is staging; make one with "
                         "“qi --headless bundles set-state NAME staging”"));
          return NULL;
        }
      return qi_bundle_copy (found);
    }

  if (project_bundle != NULL)
    return select_named (self, project_bundle, _("the project's bundle"), error);

  found = find_role (self->bundles, QI_BUNDLE_STATE_PRODUCTION);
  if (found == NULL)
    {
      g_set_error (error, QI_BUNDLE_ERROR, QI_BUNDLE_ERROR_NOT_FOUND,
                   _("no bundle is production; make one with "
                     "“qi --headless bundles set-state NAME production”, or pick one with "
                     "--bundle NAME"));
      return NULL;
    }
  return qi_bundle_copy (found);
}
