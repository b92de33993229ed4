/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-hub-endpoint.h"
#include "qi-json.h"
#include "qi-hub-request.h"
#include "qi-json-reader-private.h"
#include "qi-message-bus.h"
#include "qi-rest-request.h"
#include "qi-settings-private.h"
#include "qi-settings.h"

/**
 * QiSettings:
 *
 * The `settings` service: the values of every addon's settings schema
 * (#QiSettingsSchema), resolved over three layers — the schema's defaults,
 * then the overrides of the run's bundle, then those of a project — with
 * the layer each value came from.
 *
 * Overrides live in files under the settings folder (by default
 * `$XDG_CONFIG_HOME/qi/settings`), one a layer:
 * `bundles/BUNDLE.json` and `projects/PROJECT.json`, each
 * `{"format": 1, "addons": {"ADDON": {…values, groups nested…}}}`. A run
 * with no bundle uses the bundle layer %QI_SETTINGS_DEFAULT_BUNDLE.
 *
 * A value in an override that does not fit its key (wrong type, out of
 * range, unknown key, refused by the key's validator over the layers
 * below) is left out, so the lower layer's value stands,
 * and the resolved settings list the error with the file, the layer and
 * the key path. A file that is not valid JSON is left out whole and its
 * error listed; when it breaks while Qi runs, the last good reading stays.
 *
 * Changes go through qi_settings_patch() (JSON merge patch, RFC 7386: a
 * null removes an override), which re-reads the file under a lock,
 * validates the addon's whole override, and replaces the file atomically;
 * a refused change writes nothing. With watching on
 * (qi_settings_set_watch()) a change to a file by anyone is picked up, and
 * every change is announced on the hub as a `config.changed` event.
 *
 * On the hub (after qi_settings_attach_hub()): `config.get`,
 * `config.patch` and `config.schema`; over REST (qi_settings_add_routes()):
 * `GET` and `PATCH /api/settings/{addon}[?project=P]` and
 * `GET /api/settings/{addon}/schema`. See docs/protocol.md.
 */

#define FILE_FORMAT 1
#define MAX_FILE_SIZE (4 * 1024 * 1024)
#define LOCK_ATTEMPTS 400   /* of 5 ms: 2 s */
#define MAX_PROJECT_LAYERS 32

typedef struct
{
  QiSettings      *self;     /* owns the layer */
  QiSettingsLayer  kind;
  char            *name;
  char            *path;
  JsonObject      *addons;   /* addon → its raw object, from the last good reading */
  char            *error;    /* what was wrong with the file at the last reading */
  GFileMonitor    *monitor;
} Layer;

struct _QiSettings
{
  QiService      parent_instance;

  char          *directory;
  char          *bundle;
  char          *project;
  gboolean       watch;
  GHashTable    *schemas;    /* addon → QiSettingsSchema */
  Layer         *bundle_layer;
  GHashTable    *projects;   /* project → Layer */
  QiHubEndpoint *endpoint;
  QiRestRouter  *router;
};

G_DEFINE_FINAL_TYPE (QiSettings, qi_settings, QI_TYPE_SERVICE)

static const QiJsonLimits file_limits = {
  .max_depth = 32,
  .max_values = 1000000,
  .max_members = 100000,
  .count_values_first = TRUE,
};

static const char * const layer_names[] = { "default", "bundle", "project" };

/**
 * qi_settings_layer_to_string:
 * @layer: a #QiSettingsLayer
 *
 * Returns: (transfer none): `default`, `bundle` or `project`
 */
const char *
qi_settings_layer_to_string (QiSettingsLayer layer)
{
  g_return_val_if_fail (layer <= QI_SETTINGS_LAYER_PROJECT, NULL);

  return layer_names[layer];
}

/**
 * qi_settings_layer_from_string:
 * @text: `default`, `bundle` or `project`
 * @layer: (out): the layer
 *
 * Returns: whether @text names a layer
 */
gboolean
qi_settings_layer_from_string (const char      *text,
                               QiSettingsLayer *layer)
{
  g_return_val_if_fail (text != NULL && layer != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (layer_names); i++)
    if (g_str_equal (text, layer_names[i]))
      {
        *layer = i;
        return TRUE;
      }
  return FALSE;
}

/* A bundle or project name names a file: any text of 1 to 128 bytes
 * without "/", "\\" or control characters, not starting with "."; the
 * file name percent-encodes what is not a letter, a digit, ".", "-" or
 * "_" (layer_path()). */
static gboolean
check_name (const char       *what,
            const char       *name,
            GError          **error)
{
  gsize length = strlen (name);
  gboolean ok = length > 0 && length <= 128 && name[0] != '.' && g_utf8_validate (name, -1, NULL);

  for (gsize i = 0; ok && i < length; i++)
    if (name[i] == '/' || name[i] == '\\' || g_ascii_iscntrl (name[i]))
      ok = FALSE;
  if (!ok)
    {
      g_autofree char *quoted = g_strescape (name, NULL);

      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_BAD_NAME,
                   _("“%s” cannot name a %s: it needs 1 to 128 bytes, without “/”, “\\” or control "
                     "characters, not starting with “.”"), quoted, what);
    }
  return ok;
}

/* Reading and writing override files. */

/* Reads the regular file at @path, at most MAX_FILE_SIZE bytes: a FIFO,
 * a device or a huge file is refused before anything is read, so that a
 * watch event never blocks or fills the memory of a running Qi. */
static gboolean
read_regular_file (const char  *path,
                   char       **data,
                   gsize       *length,
                   GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  struct stat info;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved), g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &info) != 0 || !S_ISREG (info.st_mode))
    {
      close (fd);
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, _("not a regular file"));
      return FALSE;
    }
  if (info.st_size > MAX_FILE_SIZE)
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
                   _("%" G_GINT64_FORMAT " bytes is too large for a settings file"), (gint64) info.st_size);
      return FALSE;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, error);
  close (fd);
  if (mapped == NULL)
    return FALSE;
  *length = g_mapped_file_get_length (mapped);
  *data = g_strndup (g_mapped_file_get_contents (mapped) != NULL ? g_mapped_file_get_contents (mapped) : "",
                     *length);
  return TRUE;
}

/* Reads an override file into *@addons (an empty object when there is no
 * file). */
static gboolean
read_file (const char  *path,
           JsonObject **addons,
           GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(QiJsonFailure) failure = { 0, };
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  gsize length = 0;

  if (!read_regular_file (path, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
          !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        {
          *addons = json_object_new ();
          return TRUE;
        }
      g_set_error (error, QI_SETTINGS_ERROR,
                   g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOSPC)
                   ? QI_SETTINGS_ERROR_PARSE : QI_SETTINGS_ERROR_IO,
                   _("%s: cannot read the settings: %s"), path, local_error->message);
      return FALSE;
    }

  root = qi_json_read (data, length, &file_limits, &failure);
  if (root == NULL)
    {
      gsize at;
      g_autofree char *reason = qi_json_failure_describe (&failure, length,
                                                     _("too large or too deeply nested for a settings file"),
                                                     &at);
      guint line, column;

      qi_json_locate (data, data + at, &line, &column);
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_PARSE,
                   "%s:%u:%u: %s", path, line, column, reason);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_PARSE,
                   _("%s: $: expected an object with \"format\" and \"addons\", found %s"),
                   path, qi_json_describe_type (root));
      return FALSE;
    }
  object = json_node_get_object (root);

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    {
      if (g_str_equal (member, "format"))
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
              json_node_get_int (node) != FILE_FORMAT)
            {
              g_autofree char *shown = qi_json_to_string (node, QI_JSON_WRITE_DEFAULT, NULL);

              g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_PARSE,
                           _("%s: $.format: %s is not a format this Qi reads (it reads %d)"),
                           path, shown, FILE_FORMAT);
              return FALSE;
            }
        }
      else if (g_str_equal (member, "addons"))
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_PARSE,
                           _("%s: $.addons: expected an object of addons, found %s"),
                           path, qi_json_describe_type (node));
              return FALSE;
            }
        }
      else
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_PARSE,
                       _("%s: $.%s: unknown member; a settings file has \"format\" and \"addons\""),
                       path, member);
          return FALSE;
        }
    }

  node = json_object_get_member (object, "addons");
  *addons = node != NULL ? json_object_ref (json_node_get_object (node)) : json_object_new ();
  return TRUE;
}

/* Where @path leads through its symbolic links (at most 16), absolute. */
static char *
resolve_links (const char *path)
{
  char *current = g_strdup (path);

  for (guint i = 0; i < 16 && g_file_test (current, G_FILE_TEST_IS_SYMLINK); i++)
    {
      g_autofree char *link = g_file_read_link (current, NULL);
      g_autofree char *folder = NULL;

      if (link == NULL)
        break;
      folder = g_path_get_dirname (current);
      g_free (current);
      current = g_path_is_absolute (link) ? g_steal_pointer (&link) : g_build_filename (folder, link, NULL);
    }
  return current;
}

/* Replaces the file at @path with @addons, atomically. */
static gboolean
write_file (const char  *path,
            JsonObject  *addons,
            GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *with_newline = NULL;
  g_autofree char *target = NULL;
  struct stat info;
  int mode = 0644;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_int_value (builder, FILE_FORMAT);
  json_builder_set_member_name (builder, "addons");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), addons));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  text = qi_json_to_string (root, QI_JSON_WRITE_PRETTY, NULL);
  with_newline = g_strconcat (text, "\n", NULL);

  /* A symbolic link (into a studio's repository, say) stays one: the
   * file it leads to is replaced, keeping its mode. */
  target = resolve_links (path);
  if (g_stat (target, &info) == 0)
    mode = info.st_mode & 07777;

  /* A temporary file in the same folder, fsync, rename: a crash leaves
   * the old file or the new one, whole. */
  if (!g_file_set_contents_full (target, with_newline, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 mode, &local_error))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_IO,
                   _("%s: cannot save the settings: %s; nothing was changed"),
                   path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Layers. */

static JsonNode *
empty_object_node (void)
{
  g_autoptr(JsonObject) object = json_object_new ();

  return json_node_init_object (json_node_alloc (), object);
}

static void
layer_free (gpointer data)
{
  Layer *layer = data;

  if (layer->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (layer->monitor, layer);
      g_file_monitor_cancel (layer->monitor);
      g_object_unref (layer->monitor);
    }
  g_clear_pointer (&layer->addons, json_object_unref);
  g_free (layer->error);
  g_free (layer->name);
  g_free (layer->path);
  g_free (layer);
}

static char *
layer_path (QiSettings      *self,
            QiSettingsLayer  kind,
            const char      *name)
{
  g_autoptr(GString) file = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || (*p == '.' && p != name))
        g_string_append_c (file, *p);
      else
        g_string_append_printf (file, "%%%02X", (guchar) *p);
    }
  g_string_append (file, ".json");

  return g_build_filename (self->directory,
                           kind == QI_SETTINGS_LAYER_BUNDLE ? "bundles" : "projects",
                           file->str, NULL);
}

/* "FILE (bundle layer “prod”)", to start messages about the layer's values. */
static char *
layer_where (Layer *layer)
{
  return g_strdup_printf (_("%s (%s layer “%s”)"), layer->path,
                          qi_settings_layer_to_string (layer->kind), layer->name);
}

/* The part of @layer's values for @addon that fits its schema; with
 * @below (the resolved values of the layers under it), the keys'
 * validators run over it. */
static JsonNode *
layer_values (Layer            *layer,
              const char       *addon,
              QiSettingsSchema *schema,
              JsonNode         *below,
              GPtrArray        *errors)
{
  JsonNode *raw = json_object_get_member (layer->addons, addon);
  g_autofree char *where = NULL;

  if (raw == NULL)
    return empty_object_node ();

  where = layer_where (layer);
  return qi_settings_schema_filter (schema, raw, below, where, errors);
}

/* Whether @path is a group of keys of @schema, whose members are keys of
 * their own (a JSON key's object is one value). */
static gboolean
is_group (QiSettingsSchema *schema,
          const char       *path)
{
  return qi_settings_schema_has_key (schema, path) &&
         qi_settings_schema_get_key_type (schema, path) == QI_SETTINGS_TYPE_OBJECT;
}

/* The values of @object by the path of their key. */
static void
collect_leaves (QiSettingsSchema *schema,
                JsonObject       *object,
                const char       *prefix,
                GHashTable       *leaves)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (object == NULL)
    return;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    {
      g_autofree char *path = *prefix != '\0' ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);

      if (JSON_NODE_HOLDS_OBJECT (node) && is_group (schema, path))
        collect_leaves (schema, json_node_get_object (node), path, leaves);
      else
        g_hash_table_insert (leaves, g_steal_pointer (&path), node);
    }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The key paths whose value differs between two override objects. */
static GPtrArray *
changed_keys (QiSettingsSchema *schema,
              JsonNode         *before,
              JsonNode         *after)
{
  g_autoptr(GHashTable) old_leaves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) new_leaves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer path, node;

  collect_leaves (schema, json_node_get_object (before), "", old_leaves);
  collect_leaves (schema, json_node_get_object (after), "", new_leaves);

  g_hash_table_iter_init (&iter, old_leaves);
  while (g_hash_table_iter_next (&iter, &path, &node))
    {
      JsonNode *other = g_hash_table_lookup (new_leaves, path);

      if (other == NULL || !json_node_equal (node, other))
        g_ptr_array_add (keys, g_strdup (path));
    }
  g_hash_table_iter_init (&iter, new_leaves);
  while (g_hash_table_iter_next (&iter, &path, &node))
    if (!g_hash_table_contains (old_leaves, path))
      g_ptr_array_add (keys, g_strdup (path));

  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

/* The payload of config.changed. */
static JsonNode *
changed_payload (QiSettingsLayer  kind,
                 const char      *name,
                 const char      *addon,
                 GPtrArray       *keys)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "addon");
  json_builder_add_string_value (builder, addon);
  json_builder_set_member_name (builder, "layer");
  json_builder_add_string_value (builder, qi_settings_layer_to_string (kind));
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "project");
  if (kind == QI_SETTINGS_LAYER_PROJECT)
    json_builder_add_string_value (builder, name);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "keys");
  json_builder_begin_array (builder);
  for (guint i = 0; i < keys->len; i++)
    json_builder_add_string_value (builder, keys->pdata[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Takes @addons as the layer's new content and announces what changed
 * for each addon with a schema. Every event is worked out before any is
 * sent: a subscriber in this process runs during the send and may load or
 * close addons, or change the bundle (and so free this layer). */
static void
layer_replace (Layer      *layer,
               JsonObject *addons)
{
  QiSettings *self = layer->self;
  g_autoptr(JsonObject) old = layer->addons;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr(QiHubEndpoint) endpoint = self->endpoint != NULL ? g_object_ref (self->endpoint) : NULL;
  GHashTableIter iter;
  gpointer addon, schema;

  layer->addons = json_object_ref (addons);

  g_hash_table_iter_init (&iter, self->schemas);
  while (g_hash_table_iter_next (&iter, &addon, &schema))
    {
      g_autoptr(GPtrArray) ignored = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(JsonNode) before = NULL;
      g_autoptr(JsonNode) after = NULL;
      g_autoptr(GPtrArray) keys = NULL;
      Layer previous = *layer;

      previous.addons = old;
      /* what the files say changed: the validators need not run */
      before = layer_values (&previous, addon, schema, NULL, ignored);
      after = layer_values (layer, addon, schema, NULL, ignored);
      keys = changed_keys (schema, before, after);
      if (keys->len > 0)
        g_ptr_array_add (events, changed_payload (layer->kind, layer->name, addon, keys));
    }

  for (guint i = 0; endpoint != NULL && i < events->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!qi_hub_endpoint_emit (endpoint, "config.changed", events->pdata[i], &error))
        g_debug ("config.changed not sent: %s", error->message);
    }
}

/* Reads the layer's file again; a broken file keeps the last good reading. */
static void
layer_reload (Layer *layer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) addons = NULL;

  g_clear_pointer (&layer->error, g_free);
  if (!read_file (layer->path, &addons, &error))
    {
      layer->error = g_strdup (error->message);
      g_debug ("%s", error->message);
      return;
    }
  layer_replace (layer, addons);
}

static void
on_file_changed (GFileMonitor      *monitor,
                 GFile             *file,
                 GFile             *other,
                 GFileMonitorEvent  event,
                 gpointer           user_data)
{
  Layer *layer = user_data;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_MOVED:
      layer_reload (layer);
      break;
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    default:
      break;
    }
}

static void
layer_watch (Layer *layer)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;

  if (layer->monitor != NULL)
    return;

  /* The folder must exist for the file's monitor to see it appear. */
  folder = g_path_get_dirname (layer->path);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;

      g_debug ("%s: not watched: cannot create the folder: %s", layer->path, g_strerror (saved));
      return;
    }

  file = g_file_new_for_path (layer->path);
  layer->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (layer->monitor == NULL)
    {
      g_debug ("%s: not watched: %s", layer->path, error->message);
      return;
    }
  g_signal_connect (layer->monitor, "changed", G_CALLBACK (on_file_changed), layer);
}

static Layer *
layer_new (QiSettings      *self,
           QiSettingsLayer  kind,
           const char      *name)
{
  Layer *layer = g_new0 (Layer, 1);
  g_autoptr(GError) error = NULL;

  layer->self = self;
  layer->kind = kind;
  layer->name = g_strdup (name);
  layer->path = layer_path (self, kind, name);
  if (!read_file (layer->path, &layer->addons, &error))
    {
      layer->addons = json_object_new ();
      layer->error = g_strdup (error->message);
    }
  if (self->watch)
    layer_watch (layer);
  return layer;
}

static Layer *
get_layer (QiSettings      *self,
           QiSettingsLayer  kind,
           const char      *name)
{
  Layer *layer;

  if (kind == QI_SETTINGS_LAYER_BUNDLE)
    {
      if (self->bundle_layer == NULL)
        self->bundle_layer = layer_new (self, kind, self->bundle);
      return self->bundle_layer;
    }

  layer = g_hash_table_lookup (self->projects, name);
  if (layer == NULL)
    {
      /* Clients may ask for any project: keep a bounded number read and
       * watched, the run's own always. */
      if (g_hash_table_size (self->projects) >= MAX_PROJECT_LAYERS)
        {
          Layer *own = self->project != NULL ? g_hash_table_lookup (self->projects, self->project) : NULL;

          if (own != NULL)
            g_hash_table_steal (self->projects, own->name);
          g_hash_table_remove_all (self->projects);
          if (own != NULL)
            g_hash_table_insert (self->projects, own->name, own);
        }
      layer = layer_new (self, kind, name);
      g_hash_table_insert (self->projects, layer->name, layer);
    }
  return layer;
}

/* The object. */

static void
qi_settings_stop (QiService *service)
{
  QiSettings *self = QI_SETTINGS (service);

  if (self->endpoint != NULL)
    {
      qi_hub_endpoint_close (self->endpoint);
      g_clear_object (&self->endpoint);
    }
  if (self->router != NULL)
    {
      qi_rest_router_remove_route (self->router, "GET", "/api/settings/{addon}");
      qi_rest_router_remove_route (self->router, "PATCH", "/api/settings/{addon}");
      qi_rest_router_remove_route (self->router, "GET", "/api/settings/{addon}/schema");
      g_clear_object (&self->router);
    }
  g_clear_pointer (&self->bundle_layer, layer_free);
  g_hash_table_remove_all (self->projects);
}

static void
qi_settings_finalize (GObject *object)
{
  QiSettings *self = QI_SETTINGS (object);

  qi_settings_stop (QI_SERVICE (self));
  g_hash_table_unref (self->projects);
  g_hash_table_unref (self->schemas);
  g_free (self->directory);
  g_free (self->bundle);
  g_free (self->project);

  G_OBJECT_CLASS (qi_settings_parent_class)->finalize (object);
}

static void
qi_settings_class_init (QiSettingsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_settings_finalize;
  QI_SERVICE_CLASS (klass)->stop = qi_settings_stop;
}

static void
qi_settings_init (QiSettings *self)
{
  self->bundle = g_strdup (QI_SETTINGS_DEFAULT_BUNDLE);
  self->schemas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->projects = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, layer_free);
}

/**
 * qi_settings_new:
 * @directory: (type filename): the settings folder, whose `bundles/` and
 *   `projects/` hold the override files
 *
 * Returns: (transfer full): a new `settings` service
 */
QiSettings *
qi_settings_new (const char *directory)
{
  QiSettings *self;

  g_return_val_if_fail (directory != NULL, NULL);

  self = g_object_new (QI_TYPE_SETTINGS,
                       "name", "settings",
                       "description", _("Addon settings over the default, bundle and project layers"),
                       NULL);
  self->directory = g_strdup (directory);
  return self;
}

/**
 * qi_settings_get_directory:
 * @self: a #QiSettings
 *
 * Returns: (transfer none) (type filename): the settings folder
 */
const char *
qi_settings_get_directory (QiSettings *self)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);

  return self->directory;
}

/**
 * qi_settings_set_bundle:
 * @self: a #QiSettings
 * @bundle: (nullable): the run's bundle; %NULL for
 *   %QI_SETTINGS_DEFAULT_BUNDLE
 * @error: return location for a #GError
 *
 * Sets whose overrides the bundle layer holds (bootstrap phase 3).
 *
 * Returns: %TRUE, or %FALSE with %QI_SETTINGS_ERROR_BAD_NAME if @bundle
 *   cannot name a file
 */
gboolean
qi_settings_set_bundle (QiSettings  *self,
                        const char  *bundle,
                        GError     **error)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);

  if (bundle == NULL)
    bundle = QI_SETTINGS_DEFAULT_BUNDLE;
  if (!check_name (_("bundle"), bundle, error))
    return FALSE;
  if (g_str_equal (bundle, self->bundle))
    return TRUE;
  g_free (self->bundle);
  self->bundle = g_strdup (bundle);
  g_clear_pointer (&self->bundle_layer, layer_free);
  return TRUE;
}

/**
 * qi_settings_get_bundle:
 * @self: a #QiSettings
 *
 * Returns: (transfer none): the name of the bundle layer
 */
const char *
qi_settings_get_bundle (QiSettings *self)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);

  return self->bundle;
}

/**
 * qi_settings_set_project:
 * @self: a #QiSettings
 * @project: (nullable): the run's project, used when a request names none
 * @error: return location for a #GError
 *
 * Sets the project of the run (`--project`, bootstrap phase 3).
 *
 * Returns: %TRUE, or %FALSE with %QI_SETTINGS_ERROR_BAD_NAME if @project
 *   cannot name a file (the run's project is then none)
 */
gboolean
qi_settings_set_project (QiSettings  *self,
                         const char  *project,
                         GError     **error)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);

  g_clear_pointer (&self->project, g_free);
  if (project != NULL && !check_name (_("project"), project, error))
    return FALSE;
  self->project = g_strdup (project);
  return TRUE;
}

/**
 * qi_settings_get_project:
 * @self: a #QiSettings
 *
 * Returns: (transfer none) (nullable): the run's project
 */
const char *
qi_settings_get_project (QiSettings *self)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);

  return self->project;
}

/**
 * qi_settings_set_watch:
 * @self: a #QiSettings
 * @watch: whether to watch the override files
 *
 * With @watch, the override files read from now on are watched, and a
 * change to one by anyone is read again and announced as `config.changed`
 * (in the thread-default main context of the caller). Off by default: a
 * command that runs once needs no watching.
 */
void
qi_settings_set_watch (QiSettings *self,
                       gboolean    watch)
{
  g_return_if_fail (QI_IS_SETTINGS (self));

  self->watch = watch;
  if (watch && self->bundle_layer != NULL)
    layer_watch (self->bundle_layer);
  if (watch)
    {
      GHashTableIter iter;
      gpointer layer;

      g_hash_table_iter_init (&iter, self->projects);
      while (g_hash_table_iter_next (&iter, NULL, &layer))
        layer_watch (layer);
    }
}

/* Schemas. */

/**
 * qi_settings_add_schema:
 * @self: a #QiSettings
 * @addon: the addon's name
 * @schema: its settings schema
 * @error: return location for a #GError
 *
 * Makes @addon's settings known, as #QiAddonManager does for each addon
 * whose class has a schema attached (qi_settings_schema_attach()).
 *
 * Returns: %TRUE, or %FALSE if @schema was built wrongly
 *   (qi_settings_schema_get_error()) or @addon has one already
 */
gboolean
qi_settings_add_schema (QiSettings        *self,
                        const char        *addon,
                        QiSettingsSchema  *schema,
                        GError           **error)
{
  const GError *broken;

  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (addon != NULL, FALSE);
  g_return_val_if_fail (QI_IS_SETTINGS_SCHEMA (schema), FALSE);

  broken = qi_settings_schema_get_error (schema);
  if (broken != NULL)
    {
      g_set_error_literal (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA, broken->message);
      return FALSE;
    }
  if (g_hash_table_contains (self->schemas, addon))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA,
                   _("the addon “%s” has a settings schema already"), addon);
      return FALSE;
    }
  g_hash_table_insert (self->schemas, g_strdup (addon), g_object_ref (schema));
  return TRUE;
}

/**
 * qi_settings_remove_schema:
 * @self: a #QiSettings
 * @addon: an addon's name
 *
 * Forgets @addon's settings (it closed or failed). Its overrides stay in
 * their files.
 */
void
qi_settings_remove_schema (QiSettings *self,
                           const char *addon)
{
  g_return_if_fail (QI_IS_SETTINGS (self));
  g_return_if_fail (addon != NULL);

  g_hash_table_remove (self->schemas, addon);
}

/**
 * qi_settings_get_schema:
 * @self: a #QiSettings
 * @addon: an addon's name
 *
 * Returns: (transfer none) (nullable): @addon's settings schema
 */
QiSettingsSchema *
qi_settings_get_schema (QiSettings *self,
                        const char *addon)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (addon != NULL, NULL);

  return g_hash_table_lookup (self->schemas, addon);
}

/**
 * qi_settings_dup_addons:
 * @self: a #QiSettings
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   addons with settings, sorted
 */
char **
qi_settings_dup_addons (QiSettings *self)
{
  GPtrArray *names;
  GHashTableIter iter;
  gpointer name;

  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);

  names = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->schemas);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

static QiSettingsSchema *
need_schema (QiSettings  *self,
             const char  *addon,
             GError     **error)
{
  QiSettingsSchema *schema = g_hash_table_lookup (self->schemas, addon);

  if (schema == NULL)
    {
      g_auto(GStrv) names = qi_settings_dup_addons (self);
      g_autofree char *list = g_strjoinv (", ", names);

      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_ADDON,
                   _("no loaded addon “%s” has settings; those that do: %s"),
                   addon, names[0] != NULL ? list : _("none"));
    }
  return schema;
}

/* The run's project unless @project names one; checked. */
static gboolean
pick_project (QiSettings  *self,
              const char  *project,
              const char **picked,
              GError     **error)
{
  *picked = project != NULL ? project : self->project;
  return *picked == NULL || check_name (_("project"), *picked, error);
}

/* Resolving. */

/* Lays the values of @layer over @values, recording their origin: a
 * group's members one by one, a key's value merged over the one below
 * (qi_settings_schema_merge_value()). */
static void
overlay (QiSettingsSchema *schema,
         JsonObject       *values,
         JsonObject       *layer,
         const char       *prefix,
         JsonObject       *origins,
         const char       *origin)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, layer);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      g_autofree char *path = *prefix != '\0' ? g_strconcat (prefix, ".", name, NULL) : g_strdup (name);

      if (is_group (schema, path))
        overlay (schema, json_object_get_object_member (values, name), json_node_get_object (node),
                 path, origins, origin);
      else
        {
          json_object_set_member (values, name,
                                  qi_settings_schema_merge_value (schema, path,
                                                                  json_object_get_member (values, name), node));
          json_object_set_string_member (origins, path, origin);
        }
    }
}

/* Lays @layer's values for @addon over @values (the layers below, whose
 * values its validators see); what does not fit goes to @errors. */
static void
apply_layer (Layer            *layer,
             const char       *addon,
             QiSettingsSchema *schema,
             JsonNode         *values,
             JsonObject       *origins,
             GPtrArray        *errors)
{
  g_autoptr(JsonNode) fitting = NULL;

  if (layer->error != NULL)
    g_ptr_array_add (errors, g_strdup_printf (_("%s; the %s layer “%s” is left out"),
                                              layer->error,
                                              qi_settings_layer_to_string (layer->kind),
                                              layer->name));
  fitting = layer_values (layer, addon, schema, values, errors);
  overlay (schema, json_node_get_object (values), json_node_get_object (fitting), "", origins,
           qi_settings_layer_to_string (layer->kind));
}

/* The values of @addon that the layers below @kind resolve to: the
 * defaults, and for the project layer the bundle's over them. */
static JsonNode *
resolve_below (QiSettings       *self,
               const char       *addon,
               QiSettingsSchema *schema,
               QiSettingsLayer   kind)
{
  g_autoptr(GPtrArray) ignored = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) origins = json_object_new ();
  JsonNode *values = qi_settings_schema_dup_defaults (schema);

  if (kind == QI_SETTINGS_LAYER_PROJECT)
    apply_layer (get_layer (self, QI_SETTINGS_LAYER_BUNDLE, NULL), addon, schema, values, origins, ignored);
  return values;
}

/**
 * qi_settings_resolve:
 * @self: a #QiSettings
 * @addon: an addon with settings
 * @project: (nullable): the project; %NULL for the run's (which may be none)
 * @error: return location for a #GError
 *
 * Resolves @addon's settings over the layers. The result is the body of
 * `config.get` and of `GET /api/settings/{addon}`:
 *
 * |[<!-- language="JSON" -->
 * { "addon": "farm", "bundle": "prod", "project": "demo",
 *   "values": { "farm": { "priority": 80, "pool": "gpu" } },
 *   "origins": { "farm.priority": "project", "farm.pool": "bundle" },
 *   "errors": [ "…/bundles/prod.json (bundle layer “prod”): farm.retries: …" ] }
 * ]|
 *
 * Returns: (transfer full): the resolved settings, or %NULL if @addon has
 *   no settings or @project cannot name a project
 */
JsonNode *
qi_settings_resolve (QiSettings  *self,
                     const char  *addon,
                     const char  *project,
                     GError     **error)
{
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) values = NULL;
  g_auto(GStrv) keys = NULL;
  QiSettingsSchema *schema;
  JsonObject *origins;
  JsonObject *result;
  JsonArray *listed;
  JsonNode *node;

  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (addon != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  schema = need_schema (self, addon, error);
  if (schema == NULL || !pick_project (self, project, &project, error))
    return NULL;

  values = qi_settings_schema_dup_defaults (schema);
  origins = json_object_new ();
  keys = qi_settings_schema_dup_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    json_object_set_string_member (origins, keys[i], "default");

  apply_layer (get_layer (self, QI_SETTINGS_LAYER_BUNDLE, NULL), addon, schema,
               values, origins, errors);
  if (project != NULL)
    apply_layer (get_layer (self, QI_SETTINGS_LAYER_PROJECT, project), addon, schema,
                 values, origins, errors);

  result = json_object_new ();
  json_object_set_string_member (result, "addon", addon);
  json_object_set_string_member (result, "bundle", self->bundle);
  if (project != NULL)
    json_object_set_string_member (result, "project", project);
  else
    json_object_set_null_member (result, "project");
  json_object_set_member (result, "values", g_steal_pointer (&values));
  json_object_set_object_member (result, "origins", origins);
  listed = json_array_new ();
  for (guint i = 0; i < errors->len; i++)
    json_array_add_string_element (listed, errors->pdata[i]);
  json_object_set_array_member (result, "errors", listed);

  node = json_node_init_object (json_node_alloc (), result);
  json_object_unref (result);
  return node;
}

/**
 * qi_settings_get_value:
 * @self: a #QiSettings
 * @addon: an addon with settings
 * @key: the dotted path of one of its keys
 * @project: (nullable): the project; %NULL for the run's
 * @origin: (out) (optional): the layer the value comes from
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the resolved value of @key (an object for a
 *   group), or %NULL if there is no such addon or key
 */
JsonNode *
qi_settings_get_value (QiSettings       *self,
                       const char       *addon,
                       const char       *key,
                       const char       *project,
                       QiSettingsLayer  *origin,
                       GError          **error)
{
  g_autoptr(JsonNode) resolved = NULL;
  g_auto(GStrv) parts = NULL;
  JsonNode *node;
  const char *from;

  g_return_val_if_fail (QI_IS_SETTINGS (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  resolved = qi_settings_resolve (self, addon, project, error);
  if (resolved == NULL)
    return NULL;
  if (!qi_settings_schema_has_key (g_hash_table_lookup (self->schemas, addon), key))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_KEY,
                   _("%s: the addon “%s” has no such key"), key, addon);
      return NULL;
    }

  node = json_object_get_member (json_node_get_object (resolved), "values");
  parts = g_strsplit (key, ".", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    node = json_object_get_member (json_node_get_object (node), parts[i]);

  from = json_object_get_string_member_with_default (
    json_object_get_object_member (json_node_get_object (resolved), "origins"), key, "default");
  if (origin != NULL && !qi_settings_layer_from_string (from, origin))
    *origin = QI_SETTINGS_LAYER_DEFAULT;
  return qi_json_node_deep_copy (node);
}

/* Changing. */

/* RFC 7386: members of @patch replace those of @target; null removes;
 * objects merge. Groups left empty are removed. */
static void
merge_patch (JsonObject *target,
             JsonObject *patch)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init_ordered (&iter, patch);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    {
      if (JSON_NODE_HOLDS_NULL (node))
        json_object_remove_member (target, name);
      else if (JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonNode *existing = json_object_get_member (target, name);
          JsonObject *into;

          if (existing == NULL || !JSON_NODE_HOLDS_OBJECT (existing))
            {
              json_object_set_object_member (target, name, json_object_new ());
              existing = json_object_get_member (target, name);
            }
          into = json_node_get_object (existing);
          merge_patch (into, json_node_get_object (node));
          if (json_object_get_size (into) == 0)
            json_object_remove_member (target, name);
        }
      else
        json_object_set_member (target, name, qi_json_node_deep_copy (node));
    }
}

/* Holds an exclusive lock on the folder's `.lock` while it lives. */
static int
lock_folder (const char  *folder,
             GError     **error)
{
  g_autofree char *path = g_build_filename (folder, ".lock", NULL);
  int fd;

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_IO,
                   _("cannot create the settings folder “%s”: %s; nothing was changed"),
                   folder, g_strerror (saved));
      return -1;
    }
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_IO,
                   _("%s: cannot lock the settings: %s; nothing was changed"),
                   path, g_strerror (saved));
      return -1;
    }

  /* Another writer holds it for the few milliseconds of a change; the
   * main loop of a server must not wait on a stuck one for long. */
  for (guint attempt = 0;; attempt++)
    {
      int saved;

      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
      saved = errno;
      if (saved != EINTR && (saved != EWOULDBLOCK || attempt >= LOCK_ATTEMPTS))
        {
          if (saved == EWOULDBLOCK)
            g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_IO,
                         _("%s: another process has been changing the settings for over %u ms; "
                           "nothing was changed, try again"), path, LOCK_ATTEMPTS * 5);
          else
            g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_IO,
                         _("%s: cannot lock the settings: %s; nothing was changed"),
                         path, g_strerror (saved));
          close (fd);
          return -1;
        }
      if (saved == EWOULDBLOCK)
        g_usleep (5000);
    }
}

/**
 * qi_settings_patch:
 * @self: a #QiSettings
 * @addon: an addon with settings
 * @layer: %QI_SETTINGS_LAYER_BUNDLE or %QI_SETTINGS_LAYER_PROJECT
 * @project: (nullable): for the project layer, the project; %NULL for the
 *   run's
 * @patch: a JSON merge patch (RFC 7386) of @addon's overrides in @layer:
 *   values set them, null removes them (the lower layer's value returns)
 * @error: return location for a #GError
 *
 * Changes the overrides of @addon in one layer's file. The file is read
 * again under a lock, @addon's whole override after the patch is checked
 * against its schema (and by the keys' validators, over the values of the
 * layers below: the defaults, and for a project the bundle's too), and
 * the file is replaced atomically. A refused
 * change writes nothing: an invalid value (the error names the key path
 * and the layer), an override file that is not valid (fix it first; it is
 * never overwritten), a failed write. The change is announced as
 * `config.changed`.
 *
 * Returns: %TRUE if the change is saved
 */
gboolean
qi_settings_patch (QiSettings       *self,
                   const char       *addon,
                   QiSettingsLayer   layer,
                   const char       *project,
                   JsonNode         *patch,
                   GError          **error)
{
  g_autoptr(JsonObject) addons = NULL;
  g_autoptr(JsonNode) override = NULL;
  g_autoptr(JsonNode) below = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *where = NULL;
  QiSettingsSchema *schema;
  JsonNode *existing;
  const char *name;
  Layer *cached;
  int lock;
  gboolean saved;

  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (addon != NULL, FALSE);
  g_return_val_if_fail (patch != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  schema = need_schema (self, addon, error);
  if (schema == NULL)
    return FALSE;

  if (layer == QI_SETTINGS_LAYER_DEFAULT)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_BAD_NAME,
                   _("the default layer is the schema's and cannot be changed; "
                     "set the value in the bundle or the project layer"));
      return FALSE;
    }
  if (layer == QI_SETTINGS_LAYER_PROJECT)
    {
      if (!pick_project (self, project, &name, error))
        return FALSE;
      if (name == NULL)
        {
          g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_BAD_NAME,
                       _("the project layer needs a project: give one (--project P)"));
          return FALSE;
        }
    }
  else
    name = self->bundle;

  if (!JSON_NODE_HOLDS_OBJECT (patch))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("a change of settings is an object of keys and values, not %s"),
                   qi_json_describe_type (patch));
      return FALSE;
    }

  path = layer_path (self, layer, name);
  folder = g_path_get_dirname (path);
  where = g_strdup_printf (_("%s (%s layer “%s”)"), path, qi_settings_layer_to_string (layer), name);

  /* The layer as it was, so that the change can be told (and, with
   * watching on, the file is watched from now on). */
  cached = get_layer (self, layer, name);

  lock = lock_folder (folder, error);
  if (lock < 0)
    return FALSE;

  if (!read_file (path, &addons, &local_error))
    {
      close (lock);
      g_set_error (error, QI_SETTINGS_ERROR, local_error->code,
                   _("%s; fix or remove the file first: nothing was changed"),
                   local_error->message);
      return FALSE;
    }

  existing = json_object_get_member (addons, addon);
  override = existing != NULL && JSON_NODE_HOLDS_OBJECT (existing)
             ? qi_json_node_deep_copy (existing) : empty_object_node ();
  merge_patch (json_node_get_object (override), json_node_get_object (patch));

  /* the validators see the change over the layers below */
  below = resolve_below (self, addon, schema, layer);
  if (!qi_settings_schema_validate_over (schema, override, below, where, error))
    {
      close (lock);
      return FALSE;
    }

  if (json_object_get_size (json_node_get_object (override)) == 0)
    json_object_remove_member (addons, addon);
  else
    json_object_set_member (addons, addon, qi_json_node_deep_copy (override));

  saved = write_file (path, addons, error);
  close (lock);
  if (!saved)
    return FALSE;

  /* Announce now rather than when the monitor sees the file: the reading
   * it triggers then finds nothing new. */
  g_clear_pointer (&cached->error, g_free);
  layer_replace (cached, addons);
  return TRUE;
}

/**
 * qi_settings_set_value:
 * @self: a #QiSettings
 * @addon: an addon with settings
 * @key: the dotted path of a key that holds a value
 * @value: (nullable): its new value; %NULL to remove the override
 * @layer: %QI_SETTINGS_LAYER_BUNDLE or %QI_SETTINGS_LAYER_PROJECT
 * @project: (nullable): for the project layer, the project; %NULL for the run's
 * @error: return location for a #GError
 *
 * Sets one key in one layer: qi_settings_patch() with a patch of that key.
 *
 * Returns: %TRUE if the change is saved
 */
gboolean
qi_settings_set_value (QiSettings       *self,
                       const char       *addon,
                       const char       *key,
                       JsonNode         *value,
                       QiSettingsLayer   layer,
                       const char       *project,
                       GError          **error)
{
  g_autoptr(JsonNode) patch = NULL;
  g_auto(GStrv) parts = NULL;
  JsonObject *object;
  guint count;

  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (need_schema (self, addon, error) == NULL)
    return FALSE;
  if (!qi_settings_schema_has_key (g_hash_table_lookup (self->schemas, addon), key))
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_UNKNOWN_KEY,
                   _("%s: the addon “%s” has no such key"), key, addon);
      return FALSE;
    }

  parts = g_strsplit (key, ".", -1);
  count = g_strv_length (parts);
  patch = empty_object_node ();
  object = json_node_get_object (patch);
  for (guint i = 0; i + 1 < count; i++)
    {
      JsonObject *child = json_object_new ();

      json_object_set_object_member (object, parts[i], child);
      object = child;
    }
  if (value != NULL)
    json_object_set_member (object, parts[count - 1], qi_json_node_deep_copy (value));
  else
    json_object_set_null_member (object, parts[count - 1]);

  return qi_settings_patch (self, addon, layer, project, patch, error);
}

/* The hub. */

static const char *
payload_string (JsonObject  *payload,
                const char  *what,
                const char  *member,
                gboolean     required,
                GError     **error)
{
  JsonNode *node = payload != NULL ? json_object_get_member (payload, member) : NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                     _("the %s needs \"%s\", a string"), what, member);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("the %s's \"%s\" must be a string, not %s"),
                   what, member, qi_json_describe_type (node));
      return NULL;
    }
  return json_node_get_string (node);
}

static JsonObject *
payload_object (QiHubRequest *request)
{
  JsonNode *payload = qi_hub_request_get_payload (request);

  return payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) ? json_node_get_object (payload) : NULL;
}

/* Reads "layer" (a string naming a layer) from a request. */
static gboolean
read_layer (const char       *text,
            QiSettingsLayer  *layer,
            GError          **error)
{
  if (text == NULL || !qi_settings_layer_from_string (text, layer) || *layer == QI_SETTINGS_LAYER_DEFAULT)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                   _("\"layer\" must be \"bundle\" or \"project\"%s%s%s"),
                   text != NULL ? ", not “" : "", text != NULL ? text : "", text != NULL ? "”" : "");
      return FALSE;
    }
  return TRUE;
}

/* config.get {addon, project?} */
static void
on_config_get (QiHubRequest *request,
               gpointer      user_data)
{
  QiSettings *self = user_data;
  JsonObject *payload = payload_object (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;
  const char *addon = payload_string (payload, "payload", "addon", TRUE, &error);
  const char *project = error == NULL ? payload_string (payload, "payload", "project", FALSE, &error) : NULL;

  if (error == NULL)
    result = qi_settings_resolve (self, addon, project, &error);
  if (result == NULL)
    qi_hub_request_fail_error (request, error);
  else
    qi_hub_request_reply (request, result);
}

/* config.patch {addon, layer, project?, values} */
static void
on_config_patch (QiHubRequest *request,
                 gpointer      user_data)
{
  QiSettings *self = user_data;
  JsonObject *payload = payload_object (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;
  const char *addon = payload_string (payload, "payload", "addon", TRUE, &error);
  const char *project = error == NULL ? payload_string (payload, "payload", "project", FALSE, &error) : NULL;
  const char *layer_text = error == NULL ? payload_string (payload, "payload", "layer", TRUE, &error) : NULL;
  JsonNode *values = payload != NULL ? json_object_get_member (payload, "values") : NULL;
  QiSettingsLayer layer;

  if (error == NULL && read_layer (layer_text, &layer, &error) && values == NULL)
    g_set_error (&error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                 _("the payload needs \"values\", an object of the keys to change"));
  if (error == NULL && qi_settings_patch (self, addon, layer, project, values, &error))
    result = qi_settings_resolve (self, addon, project, &error);

  if (result == NULL)
    qi_hub_request_fail_error (request, error);
  else
    qi_hub_request_reply (request, result);
}

static JsonNode *
export_schema (QiSettings  *self,
               const char  *addon,
               GError     **error)
{
  QiSettingsSchema *schema = need_schema (self, addon, error);
  g_autofree char *id = NULL;

  if (schema == NULL)
    return NULL;
  id = g_strconcat ("urn:qi:settings:", addon, NULL);
  return qi_settings_schema_to_json_schema (schema, id);
}

/* config.schema {addon} */
static void
on_config_schema (QiHubRequest *request,
                  gpointer      user_data)
{
  QiSettings *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;
  const char *addon = payload_string (payload_object (request), "payload", "addon", TRUE, &error);

  if (error == NULL)
    result = export_schema (self, addon, &error);
  if (result == NULL)
    qi_hub_request_fail_error (request, error);
  else
    qi_hub_request_reply (request, result);
}

/**
 * qi_settings_attach_hub:
 * @self: a #QiSettings
 * @hub: the hub
 * @error: return location for a #GError
 *
 * Opens the session `__hub__/settings` on @hub, handles `config.get`,
 * `config.patch` and `config.schema` there, and emits `config.changed`
 * from it (for changes picked up from the files, turn watching on with
 * qi_settings_set_watch()).
 *
 * Returns: %TRUE, or %FALSE if the session or a handler cannot be added
 */
gboolean
qi_settings_attach_hub (QiSettings  *self,
                        QiHub       *hub,
                        GError     **error)
{
  g_autoptr(QiHubEndpoint) endpoint = NULL;

  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (QI_IS_HUB (hub), FALSE);

  if (self->endpoint != NULL)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA,
                   _("the settings service is on a hub already"));
      return FALSE;
    }

  endpoint = qi_hub_open_endpoint (hub, QI_MESSAGE_BUS_HUB_SESSION "/settings",
                                   QI_MESSAGE_BUS_HUB_SESSION, error);
  if (endpoint == NULL)
    return FALSE;
  if (!qi_hub_endpoint_add_handler (endpoint, "config.get", on_config_get, self, NULL, error) ||
      !qi_hub_endpoint_add_handler (endpoint, "config.patch", on_config_patch, self, NULL, error) ||
      !qi_hub_endpoint_add_handler (endpoint, "config.schema", on_config_schema, self, NULL, error))
    {
      qi_hub_endpoint_close (endpoint);
      return FALSE;
    }

  self->endpoint = g_steal_pointer (&endpoint);
  return TRUE;
}

/* REST. */

static void
rest_fail (QiRestRequest *request,
           const GError  *error)
{
  guint status = 500;
  const char *code = "io_error";

  if (error->domain == QI_SETTINGS_ERROR)
    switch ((QiSettingsError) error->code)
      {
      case QI_SETTINGS_ERROR_UNKNOWN_ADDON:
        status = 404;
        code = "not_found";
        break;
      case QI_SETTINGS_ERROR_INVALID:
      case QI_SETTINGS_ERROR_UNKNOWN_KEY:
        status = 422;
        code = "invalid";
        break;
      case QI_SETTINGS_ERROR_BAD_NAME:
        status = 400;
        code = "bad_request";
        break;
      case QI_SETTINGS_ERROR_PARSE:
        status = 409;
        code = "conflict";
        break;
      case QI_SETTINGS_ERROR_SCHEMA:
      case QI_SETTINGS_ERROR_IO:
      default:
        break;
      }
  qi_rest_request_reply_error (request, status, code, error->message);
}

/* GET /api/settings/{addon}[?project=P] */
static void
on_rest_get (QiRestRequest *request,
             gpointer       user_data)
{
  QiSettings *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = qi_settings_resolve (self, qi_rest_request_get_param (request, "addon"),
                                                    qi_rest_request_get_query (request, "project"),
                                                    &error);

  if (result == NULL)
    rest_fail (request, error);
  else
    qi_rest_request_reply_json (request, 200, result);
}

/* PATCH /api/settings/{addon}[?project=P] {"layer": …, "values": {…}} */
static void
on_rest_patch (QiRestRequest *request,
               gpointer       user_data)
{
  QiSettings *self = user_data;
  const char *addon = qi_rest_request_get_param (request, "addon");
  const char *project = qi_rest_request_get_query (request, "project");
  JsonNode *body = qi_rest_request_get_body (request);
  JsonObject *object = body != NULL && JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;
  const char *layer_text = payload_string (object, "body", "layer", TRUE, &error);
  JsonNode *values = object != NULL ? json_object_get_member (object, "values") : NULL;
  QiSettingsLayer layer;

  if (object == NULL)
    {
      qi_rest_request_reply_error (request, 400, "bad_request",
                                   _("the body must be an object: {\"layer\": \"bundle\" or \"project\", "
                                     "\"values\": {…}}"));
      return;
    }
  if (error == NULL && read_layer (layer_text, &layer, &error) && values == NULL)
    g_set_error (&error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_INVALID,
                 _("the body needs \"values\", an object of the keys to change"));
  if (error != NULL)
    {
      /* The body is not of the shape the route takes. */
      qi_rest_request_reply_error (request, 400, "bad_request", error->message);
      return;
    }
  if (qi_settings_patch (self, addon, layer, project, values, &error))
    result = qi_settings_resolve (self, addon, project, &error);

  if (result == NULL)
    rest_fail (request, error);
  else
    qi_rest_request_reply_json (request, 200, result);
}

/* GET /api/settings/{addon}/schema */
static void
on_rest_schema (QiRestRequest *request,
                gpointer       user_data)
{
  QiSettings *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = export_schema (self, qi_rest_request_get_param (request, "addon"), &error);

  if (result == NULL)
    rest_fail (request, error);
  else
    qi_rest_request_reply_json (request, 200, result);
}

/**
 * qi_settings_add_routes:
 * @self: a #QiSettings
 * @router: the server's REST router
 * @error: return location for a #GError
 *
 * Adds `GET` and `PATCH /api/settings/{addon}` and
 * `GET /api/settings/{addon}/schema` to @router; they are removed when
 * the service stops.
 *
 * Returns: %TRUE, or %FALSE if a route exists already
 */
gboolean
qi_settings_add_routes (QiSettings    *self,
                        QiRestRouter  *router,
                        GError       **error)
{
  g_return_val_if_fail (QI_IS_SETTINGS (self), FALSE);
  g_return_val_if_fail (QI_IS_REST_ROUTER (router), FALSE);

  if (self->router != NULL)
    {
      g_set_error (error, QI_SETTINGS_ERROR, QI_SETTINGS_ERROR_SCHEMA,
                   _("the settings service has its routes on a router already"));
      return FALSE;
    }

  if (!qi_rest_router_add_route (router, "GET", "/api/settings/{addon}", on_rest_get, self, NULL, error))
    return FALSE;
  if (!qi_rest_router_add_route (router, "PATCH", "/api/settings/{addon}", on_rest_patch, self, NULL, error))
    {
      qi_rest_router_remove_route (router, "GET", "/api/settings/{addon}");
      return FALSE;
    }
  if (!qi_rest_router_add_route (router, "GET", "/api/settings/{addon}/schema", on_rest_schema, self, NULL, error))
    {
      qi_rest_router_remove_route (router, "GET", "/api/settings/{addon}");
      qi_rest_router_remove_route (router, "PATCH", "/api/settings/{addon}");
      return FALSE;
    }
  self->router = g_object_ref (router);
  return TRUE;
}
