/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-enum-types.h"
#include "qi-launch-config.h"
#include "qi-launch-config-private.h"
#include "qi-text-utils-private.h"
#include "qi-toml-parser.h"

/**
 * QiLaunchConfig:
 *
 * The immutable configuration of one run of `qi`, built from the command
 * line, the `QI_*` environment and the `[launch]` table of the `qi.toml`
 * files, with the precedence
 * command line > environment > user config > system config > defaults.
 *
 * Every value remembers its origin: the flag (`--port`), the variable
 * (`QI_PORT`), or the `FILE:LINE:COLUMN` of the configuration file.
 *
 * Global options come before the command; everything from the first word
 * that is not an option on is the command and its arguments
 * (qi_launch_config_get_arguments()).
 */

static const QiLaunchOption launch_options[] = {
  { "headless", "headless", "QI_HEADLESS", QI_LAUNCH_KIND_BOOL, NULL,
    N_("Run without the desktop shell and execute COMMAND") },
  { "project", "project", "QI_PROJECT", QI_LAUNCH_KIND_STRING, N_("NAME"),
    N_("Open this project") },
  { "config-dir", NULL, "QI_CONFIG_DIR", QI_LAUNCH_KIND_PATH, N_("DIR"),
    N_("Read the user's qi.toml from DIR") },
  { "data-dir", "data-dir", "QI_DATA_DIR", QI_LAUNCH_KIND_PATH, N_("DIR"),
    N_("Keep Qi's data (the embedded tracker, caches) in DIR") },
  { "addon-path", "addon-paths", "QI_ADDON_PATH", QI_LAUNCH_KIND_PATH_LIST, N_("DIR"),
    N_("Look for addons in DIR (repeatable)") },
  { "bundle", "bundle", "QI_BUNDLE", QI_LAUNCH_KIND_STRING, N_("NAME"),
    N_("Use this bundle instead of the production bundle") },
  { "staging", "staging", "QI_STAGING", QI_LAUNCH_KIND_BOOL, NULL,
    N_("Use the staging bundle instead of the production bundle") },
  { "dev-bundle", "dev-bundle", "QI_DEV_BUNDLE", QI_LAUNCH_KIND_STRING, N_("NAME"),
    N_("Use this dev bundle, whose addons may be local folders; turns developer mode on") },
  { "tracker", "tracker", "QI_TRACKER", QI_LAUNCH_KIND_STRING, N_("ADDON"),
    N_("The tracker addon of the run (the roles db and auth): without a bundle, tracker-sqlite") },
  { "dev", "dev", "QI_DEV", QI_LAUNCH_KIND_BOOL, NULL,
    N_("Developer mode, for addon and pipeline developers") },
  { "no-window", "no-window", "QI_NO_WINDOW", QI_LAUNCH_KIND_BOOL, NULL,
    N_("Start the desktop shell with the tray only, without the launcher window") },
  { "port", "port", "QI_PORT", QI_LAUNCH_KIND_PORT, N_("PORT"),
    N_("Serve the local server on this loopback port (0 picks a free one)") },
  { "log-level", "log-level", "QI_LOG_LEVEL", QI_LAUNCH_KIND_LOG_LEVEL, N_("LEVEL"),
    N_("Log from this level up: error, critical, warning, message, info, debug") },
};

enum {
  OPT_HEADLESS,
  OPT_PROJECT,
  OPT_CONFIG_DIR,
  OPT_DATA_DIR,
  OPT_ADDON_PATH,
  OPT_BUNDLE,
  OPT_STAGING,
  OPT_DEV_BUNDLE,
  OPT_TRACKER,
  OPT_DEV,
  OPT_NO_WINDOW,
  OPT_PORT,
  OPT_LOG_LEVEL,
  N_OPTIONS
};

G_STATIC_ASSERT (G_N_ELEMENTS (launch_options) == N_OPTIONS);

static const char * const log_levels[] = {
  "error", "critical", "warning", "message", "info", "debug", NULL
};

typedef struct
{
  GVariant       *value;   /* b, ms, s, as or u, by kind */
  char           *origin;
  QiLaunchSource  source;
} LaunchValue;

struct _QiLaunchConfig
{
  GObject          parent_instance;

  LaunchValue      values[N_OPTIONS];
  GStrv            arguments;
  GStrv            addon_paths;    /* cached from values[OPT_ADDON_PATH] */
  QiConfigManager *config;
};

G_DEFINE_FINAL_TYPE (QiLaunchConfig, qi_launch_config, G_TYPE_OBJECT)

const QiLaunchOption *
qi_launch_options_get (guint *n_options)
{
  *n_options = N_OPTIONS;
  return launch_options;
}

static void
qi_launch_config_finalize (GObject *object)
{
  QiLaunchConfig *self = QI_LAUNCH_CONFIG (object);

  for (guint i = 0; i < N_OPTIONS; i++)
    {
      g_clear_pointer (&self->values[i].value, g_variant_unref);
      g_clear_pointer (&self->values[i].origin, g_free);
    }
  g_clear_pointer (&self->arguments, g_strfreev);
  g_clear_pointer (&self->addon_paths, g_strfreev);
  g_clear_object (&self->config);

  G_OBJECT_CLASS (qi_launch_config_parent_class)->finalize (object);
}

static void
qi_launch_config_class_init (QiLaunchConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_launch_config_finalize;
}

static void
qi_launch_config_init (QiLaunchConfig *self)
{
}

static void
set_value (QiLaunchConfig *self,
           guint           option,
           GVariant       *value,
           QiLaunchSource  source,
           const char     *origin)
{
  LaunchValue *v = &self->values[option];

  g_clear_pointer (&v->value, g_variant_unref);
  g_free (v->origin);
  v->value = g_variant_ref_sink (value);
  v->source = source;
  v->origin = g_strdup (origin);
}

static const char *
env_lookup (const char * const *envp,
            const char         *name)
{
  const char *value = g_environ_getenv ((char **) envp, name);

  /* An empty variable counts as unset, as shells make that easy. */
  return value != NULL && value[0] != '\0' ? value : NULL;
}

static char *
home_relative (const char * const *envp,
               const char         *xdg_variable,
               const char         *below_home)
{
  const char *xdg = env_lookup (envp, xdg_variable);
  const char *home;

  if (xdg != NULL && g_path_is_absolute (xdg))
    return g_strdup (xdg);

  home = env_lookup (envp, "HOME");
  if (home == NULL)
    home = g_get_home_dir ();

  return g_build_filename (home, below_home, NULL);
}

/* Makes a path absolute: "~/x" from $HOME, relative ones from @base. */
static char *
absolute_path (const char * const *envp,
               const char         *path,
               const char         *base)
{
  if (path[0] == '~' && (path[1] == '/' || path[1] == '\0'))
    {
      const char *home = env_lookup (envp, "HOME");

      return g_build_filename (home != NULL ? home : g_get_home_dir (), path + 1, NULL);
    }

  return g_canonicalize_filename (path, base);
}

static gboolean
parse_bool (const char *text,
            gboolean   *out)
{
  static const char * const yes[] = { "1", "true", "yes", "on", NULL };
  static const char * const no[] = { "0", "false", "no", "off", NULL };

  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, yes[i]) == 0)
      return (*out = TRUE);

  for (guint i = 0; no[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, no[i]) == 0)
      {
        *out = FALSE;
        return TRUE;
      }

  return FALSE;
}

static gboolean
check_port (gint64       port,
            const char  *text,
            const char  *where,
            GError     **error)
{
  if (port < 0 || port > 65535)
    {
      g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                   _("%s: %s is not a port number (0 to 65535; 0 picks a free port)"),
                   where, text);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_log_level (const char  *level,
                 const char  *where,
                 GError     **error)
{
  const char *suggestion;

  if (g_strv_contains (log_levels, level))
    return TRUE;

  suggestion = qi_text_suggest (level, log_levels);
  if (suggestion != NULL)
    g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                 _("%s: unknown log level “%s”; did you mean “%s”?"),
                 where, level, suggestion);
  else
    g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                 _("%s: unknown log level “%s”; use one of error, critical, warning, message, info, debug"),
                 where, level);
  return FALSE;
}

/*
 * Parses the text of a command-line option or environment variable into the
 * option's value. @where names the source in error messages.
 */
static GVariant *
parse_text (const char * const *envp,
            guint               option,
            const char         *text,
            const char         *where,
            GError            **error)
{
  const QiLaunchOption *opt = &launch_options[option];

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (text, -1);

      g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                   _("%s: “%s” is not valid UTF-8"), where, shown);
      return NULL;
    }

  switch (opt->kind)
    {
    case QI_LAUNCH_KIND_BOOL:
      {
        gboolean value;

        if (!parse_bool (text, &value))
          {
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                         _("%s: “%s” is not a boolean; use 1 or 0, true or false, yes or no"),
                         where, text);
            return NULL;
          }
        return g_variant_new_boolean (value);
      }

    case QI_LAUNCH_KIND_STRING:
      if (text[0] == '\0')
        {
          g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                       _("%s: the value is empty"), where);
          return NULL;
        }
      return g_variant_new_maybe (G_VARIANT_TYPE_STRING, g_variant_new_string (text));

    case QI_LAUNCH_KIND_PATH:
      {
        g_autofree char *path = NULL;

        if (text[0] == '\0')
          {
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                         _("%s: the directory is empty"), where);
            return NULL;
          }
        path = absolute_path (envp, text, NULL);
        if (!g_utf8_validate (path, -1, NULL))
          {
            g_autofree char *shown = g_utf8_make_valid (path, -1);

            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                         _("%s: the directory “%s” is not valid UTF-8"), where, shown);
            return NULL;
          }
        return g_variant_new_string (path);
      }

    case QI_LAUNCH_KIND_PATH_LIST:
      {
        g_auto(GStrv) parts = g_strsplit (text, G_SEARCHPATH_SEPARATOR_S, -1);
        g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
        g_auto(GStrv) paths = NULL;

        for (guint i = 0; parts[i] != NULL; i++)
          if (parts[i][0] != '\0')
            {
              g_autofree char *path = absolute_path (envp, parts[i], NULL);

              if (!g_utf8_validate (path, -1, NULL))
                {
                  g_autofree char *shown = g_utf8_make_valid (path, -1);

                  g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                               _("%s: the directory “%s” is not valid UTF-8"), where, shown);
                  return NULL;
                }
              g_strv_builder_add (builder, path);
            }
        paths = g_strv_builder_end (builder);
        return g_variant_new_strv ((const char * const *) paths, -1);
      }

    case QI_LAUNCH_KIND_PORT:
      {
        gint64 port;

        if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &port, NULL))
          {
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                         _("%s: “%s” is not a port number (0 to 65535; 0 picks a free port)"),
                         where, text);
            return NULL;
          }
        if (!check_port (port, text, where, error))
          return NULL;
        return g_variant_new_uint32 ((guint32) port);
      }

    case QI_LAUNCH_KIND_LOG_LEVEL:
      if (!check_log_level (text, where, error))
        return NULL;
      return g_variant_new_string (text);

    default:
      g_assert_not_reached ();
    }
}

static void
set_defaults (QiLaunchConfig     *self,
              const char * const *envp)
{
  g_autofree char *config_home = home_relative (envp, "XDG_CONFIG_HOME", ".config");
  g_autofree char *data_home = home_relative (envp, "XDG_DATA_HOME", ".local/share");
  g_autofree char *config_dir = g_build_filename (config_home, "qi", NULL);
  g_autofree char *data_dir = g_build_filename (data_home, "qi", NULL);
  /* none: the addon manager appends the user's and the installed addons */
  const char * const default_addon_paths[] = { NULL };
  const char *origin = _("default");

  set_value (self, OPT_HEADLESS, g_variant_new_boolean (FALSE), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_PROJECT, g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL),
             QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_CONFIG_DIR, g_variant_new_string (config_dir), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_DATA_DIR, g_variant_new_string (data_dir), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_ADDON_PATH, g_variant_new_strv (default_addon_paths, -1),
             QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_BUNDLE, g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL),
             QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_STAGING, g_variant_new_boolean (FALSE), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_DEV_BUNDLE, g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL),
             QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_TRACKER, g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL),
             QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_DEV, g_variant_new_boolean (FALSE), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_NO_WINDOW, g_variant_new_boolean (FALSE), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_PORT, g_variant_new_uint32 (0), QI_LAUNCH_SOURCE_DEFAULT, origin);
  set_value (self, OPT_LOG_LEVEL, g_variant_new_string ("message"), QI_LAUNCH_SOURCE_DEFAULT, origin);
}

static int
find_option (const char *name)
{
  for (guint i = 0; i < N_OPTIONS; i++)
    if (g_str_equal (launch_options[i].name, name))
      return (int) i;

  return -1;
}

/* Collects the command-line values in @cli (option -> GVariant) and
 * their flags in @cli_origins; sets self->arguments. */
static gboolean
parse_argv (QiLaunchConfig     *self,
            const char * const *argv,
            const char * const *envp,
            GVariant          **cli,
            GError            **error)
{
  g_autoptr(GStrvBuilder) addon_paths = g_strv_builder_new ();
  gboolean have_addon_paths = FALSE;
  guint argc = argv != NULL ? g_strv_length ((char **) argv) : 0;
  guint i;

  for (i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      g_autofree char *name = NULL;
      const char *value = NULL;
      const char *eq;
      int option;

      if (g_str_equal (arg, "--"))
        {
          i++;
          break;
        }

      if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h") ||
          g_str_equal (arg, "--version"))
        {
          /* `qi --help` and `qi --version` are the help and version
           * commands; they never need the desktop shell. */
          const char *verb = g_str_equal (arg, "--version") ? "version" : "help";
          const char * const args[] = { verb, NULL };

          g_clear_pointer (&cli[OPT_HEADLESS], g_variant_unref);
          cli[OPT_HEADLESS] = g_variant_ref_sink (g_variant_new_boolean (TRUE));
          self->arguments = g_strdupv ((char **) args);
          goto done;
        }

      if (!g_str_has_prefix (arg, "-") || g_str_equal (arg, "-"))
        break;

      if (!g_str_has_prefix (arg, "--"))
        {
          g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_UNKNOWN_OPTION,
                       _("unknown option “%s”; options are spelled in full, like --headless"),
                       arg);
          return FALSE;
        }

      eq = strchr (arg, '=');
      name = eq != NULL ? g_strndup (arg + 2, eq - (arg + 2)) : g_strdup (arg + 2);
      option = find_option (name);

      if (option < 0)
        {
          g_autoptr(GPtrArray) names = g_ptr_array_new ();
          const char *suggestion;

          for (guint j = 0; j < N_OPTIONS; j++)
            g_ptr_array_add (names, (gpointer) launch_options[j].name);
          g_ptr_array_add (names, (gpointer) "help");
          g_ptr_array_add (names, (gpointer) "version");
          g_ptr_array_add (names, NULL);

          suggestion = qi_text_suggest (name, (const char * const *) names->pdata);
          if (suggestion != NULL)
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_UNKNOWN_OPTION,
                         _("unknown option “--%s”; did you mean “--%s”?"), name, suggestion);
          else
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_UNKNOWN_OPTION,
                         _("unknown option “--%s”; see “qi --help”"), name);
          return FALSE;
        }

      if (eq != NULL)
        value = eq + 1;
      else if (launch_options[option].kind == QI_LAUNCH_KIND_BOOL)
        value = "true";
      else if (i + 1 < argc)
        value = argv[++i];
      else
        {
          g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_MISSING_VALUE,
                       _("option “--%s” needs a value: --%s=%s"),
                       name, name, _(launch_options[option].arg_name));
          return FALSE;
        }

      {
        g_autofree char *where = g_strdup_printf ("--%s", name);
        g_autoptr(GVariant) parsed = parse_text (envp, option, value, where, error);

        if (parsed == NULL)
          return FALSE;
        g_variant_ref_sink (parsed);

        if (option == OPT_ADDON_PATH)
          {
            g_autofree const char **paths = g_variant_get_strv (parsed, NULL);

            g_strv_builder_addv (addon_paths, paths);
            have_addon_paths = TRUE;
          }
        else
          {
            g_clear_pointer (&cli[option], g_variant_unref);
            cli[option] = g_steal_pointer (&parsed);
          }
      }
    }

  self->arguments = g_strdupv ((char **) (argv != NULL && i < argc ? argv + i : NULL));
  if (self->arguments == NULL)
    self->arguments = g_new0 (char *, 1);

done:
  if (have_addon_paths)
    {
      g_auto(GStrv) paths = g_strv_builder_end (addon_paths);
      cli[OPT_ADDON_PATH] = g_variant_ref_sink (g_variant_new_strv ((const char * const *) paths, -1));
    }

  return TRUE;
}

static void
add_config_search_dirs (QiLaunchConfig     *self,
                        const char * const *envp)
{
  g_autofree char *config_home = home_relative (envp, "XDG_CONFIG_HOME", ".config");
  g_autofree char *user_dir = g_build_filename (config_home, "qi", NULL);
  const char *config_dirs = env_lookup (envp, "XDG_CONFIG_DIRS");
  g_auto(GStrv) system_dirs = g_strsplit (config_dirs != NULL ? config_dirs : "/etc/xdg",
                                          G_SEARCHPATH_SEPARATOR_S, -1);

  self->config = qi_config_manager_new ();
  qi_config_manager_add_search_dir (self->config,
                                    g_variant_get_string (self->values[OPT_CONFIG_DIR].value, NULL),
                                    QI_CONFIG_SCOPE_USER);
  qi_config_manager_add_search_dir (self->config, user_dir, QI_CONFIG_SCOPE_USER);

  for (guint i = 0; system_dirs[i] != NULL; i++)
    {
      g_autofree char *dir = NULL;

      if (!g_path_is_absolute (system_dirs[i]))
        continue;
      dir = g_build_filename (system_dirs[i], "qi", NULL);
      qi_config_manager_add_search_dir (self->config, dir, QI_CONFIG_SCOPE_SYSTEM);
    }

  qi_config_manager_add_search_dir (self->config, QI_SYSCONFDIR, QI_CONFIG_SCOPE_SYSTEM);
}

/* Reads the [launch] table of the merged configuration files. */
static gboolean
apply_config_files (QiLaunchConfig     *self,
                    const char * const *envp,
                    GError            **error)
{
  QiConfigManager *config = self->config;
  JsonNode *launch = qi_config_manager_get_node (config, "/launch");
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  if (launch == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (launch) ||
      qi_toml_node_get_datetime_kind (launch) != QI_TOML_DATETIME_NONE)
    {
      g_autofree char *origin = qi_config_manager_dup_origin (config, "/launch");

      g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_WRONG_TYPE,
                   _("%s: launch must be a table, such as [launch]"), origin);
      return FALSE;
    }

  for (guint i = 0; i < N_OPTIONS; i++)
    if (launch_options[i].toml_key != NULL)
      g_ptr_array_add (keys, (gpointer) launch_options[i].toml_key);
  g_ptr_array_add (keys, NULL);

  json_object_iter_init_ordered (&iter, json_node_get_object (launch));
  while (json_object_iter_next_ordered (&iter, &key, &node))
    {
      g_autofree char *pointer = qi_json_pointer_append ("/launch", key);
      g_autofree char *origin = qi_config_manager_dup_origin (config, pointer);
      g_autoptr(GVariant) value = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *file_dir = NULL;
      const char *file = NULL;
      QiConfigScope scope = QI_CONFIG_SCOPE_USER;
      int option = -1;

      for (guint i = 0; i < N_OPTIONS; i++)
        if (g_strcmp0 (launch_options[i].toml_key, key) == 0)
          option = (int) i;

      if (option < 0)
        {
          const char *suggestion = qi_text_suggest (key, (const char * const *) keys->pdata);

          if (g_str_equal (key, "config-dir"))
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_UNKNOWN_KEY,
                         _("%s: launch.config-dir cannot be set in qi.toml, which it locates; "
                           "use --config-dir or QI_CONFIG_DIR"), origin);
          else if (suggestion != NULL)
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_UNKNOWN_KEY,
                         _("%s: unknown key launch.%s; did you mean launch.%s?"),
                         origin, key, suggestion);
          else
            g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_UNKNOWN_KEY,
                         _("%s: unknown key launch.%s"), origin, key);
          return FALSE;
        }

      if (!qi_config_manager_get_origin (config, pointer, &file, NULL, NULL, &scope))
        g_assert_not_reached ();
      file_dir = g_path_get_dirname (file);

      switch (launch_options[option].kind)
        {
        case QI_LAUNCH_KIND_BOOL:
          {
            gboolean b = qi_config_manager_get_boolean (config, pointer, FALSE, &local_error);
            if (local_error == NULL)
              value = g_variant_new_boolean (b);
          }
          break;

        case QI_LAUNCH_KIND_STRING:
          {
            g_autofree char *s = qi_config_manager_get_string (config, pointer, NULL, &local_error);

            if (s != NULL && s[0] == '\0')
              g_set_error (&local_error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                           _("%s: launch.%s is empty; remove the line to leave it unset"),
                           origin, key);
            else if (s != NULL)
              value = g_variant_new_maybe (G_VARIANT_TYPE_STRING, g_variant_new_string (s));
          }
          break;

        case QI_LAUNCH_KIND_PATH:
          {
            g_autofree char *s = qi_config_manager_get_string (config, pointer, NULL, &local_error);

            if (s != NULL && s[0] == '\0')
              g_set_error (&local_error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                           _("%s: launch.%s is empty"), origin, key);
            else if (s != NULL)
              {
                /* Relative paths are relative to the file that holds them. */
                g_autofree char *path = absolute_path (envp, s, file_dir);
                value = g_variant_new_string (path);
              }
          }
          break;

        case QI_LAUNCH_KIND_PATH_LIST:
          {
            g_auto(GStrv) list = qi_config_manager_get_strv (config, pointer, &local_error);

            if (list != NULL)
              {
                g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
                g_auto(GStrv) paths = NULL;

                for (guint i = 0; list[i] != NULL && local_error == NULL; i++)
                  {
                    g_autofree char *path = NULL;

                    if (list[i][0] == '\0')
                      {
                        g_set_error (&local_error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                                     _("%s: launch.%s[%u] is empty; remove it"), origin, key, i);
                        break;
                      }
                    path = absolute_path (envp, list[i], file_dir);
                    g_strv_builder_add (builder, path);
                  }
                paths = g_strv_builder_end (builder);
                if (local_error == NULL)
                  value = g_variant_new_strv ((const char * const *) paths, -1);
              }
          }
          break;

        case QI_LAUNCH_KIND_PORT:
          {
            gint64 port = qi_config_manager_get_int (config, pointer, 0, &local_error);
            g_autofree char *where = g_strdup_printf ("%s: launch.%s", origin, key);
            g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, port);

            if (local_error == NULL && check_port (port, text, where, &local_error))
              value = g_variant_new_uint32 ((guint32) port);
          }
          break;

        case QI_LAUNCH_KIND_LOG_LEVEL:
          {
            g_autofree char *s = qi_config_manager_get_string (config, pointer, NULL, &local_error);
            g_autofree char *where = g_strdup_printf ("%s: launch.%s", origin, key);

            if (s != NULL && check_log_level (s, where, &local_error))
              value = g_variant_new_string (s);
          }
          break;

        default:
          g_assert_not_reached ();
        }

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      set_value (self, option, g_steal_pointer (&value),
                 scope == QI_CONFIG_SCOPE_USER ? QI_LAUNCH_SOURCE_USER_CONFIG
                                               : QI_LAUNCH_SOURCE_SYSTEM_CONFIG,
                 origin);
    }

  return TRUE;
}

static gboolean
apply_environment (QiLaunchConfig     *self,
                   const char * const *envp,
                   guint               first,
                   guint               last,
                   GError            **error)
{
  for (guint i = first; i <= last; i++)
    {
      const char *text = env_lookup (envp, launch_options[i].env);
      GVariant *value;

      if (text == NULL)
        continue;

      value = parse_text (envp, i, text, launch_options[i].env, error);
      if (value == NULL)
        return FALSE;

      set_value (self, i, value, QI_LAUNCH_SOURCE_ENVIRONMENT, launch_options[i].env);
    }

  return TRUE;
}

static void
apply_command_line (QiLaunchConfig *self,
                    GVariant      **cli,
                    guint           option)
{
  g_autofree char *flag = NULL;

  if (cli[option] == NULL)
    return;

  flag = g_strdup_printf ("--%s", launch_options[option].name);
  /* set_value() takes its own reference of the (sunk) value. */
  set_value (self, option, cli[option], QI_LAUNCH_SOURCE_COMMAND_LINE, flag);
}

/**
 * qi_launch_config_new:
 * @argv: (array zero-terminated=1) (element-type filename) (nullable): the
 *   command line, with the program name first; option values must be UTF-8
 * @envp: (array zero-terminated=1) (nullable): the environment, as from
 *   g_get_environ(); %NULL for the process environment
 * @error: return location for a #GError
 *
 * Builds the launch configuration: parses @argv, reads the `QI_*`
 * variables of @envp, finds and loads the `qi.toml` files (the directory of
 * `--config-dir` or `$QI_CONFIG_DIR` first) and resolves every option by
 * precedence.
 *
 * Errors are in the %QI_CONFIG_ERROR domain and name the option, variable
 * or `FILE:LINE:COLUMN` at fault.
 *
 * Returns: (transfer full): a new #QiLaunchConfig, or %NULL with @error set
 */
QiLaunchConfig *
qi_launch_config_new (const char * const  *argv,
                      const char * const  *envp,
                      GError             **error)
{
  g_autoptr(QiLaunchConfig) self = NULL;
  g_auto(GStrv) process_env = NULL;
  GVariant *cli[N_OPTIONS] = { NULL, };
  gboolean ok = FALSE;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (envp == NULL)
    envp = (const char * const *) (process_env = g_get_environ ());

  /* Every path Qi derives from these is shown to people and sent as
   * JSON, so they must be UTF-8, as on any current Linux desktop. */
  for (const char * const *name = (const char * const []) {
         "HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", NULL };
       *name != NULL; name++)
    {
      const char *value = env_lookup (envp, *name);

      if (value != NULL && !g_utf8_validate (value, -1, NULL))
        {
          g_autofree char *shown = g_utf8_make_valid (value, -1);

          g_set_error (error, QI_CONFIG_ERROR, QI_CONFIG_ERROR_INVALID_VALUE,
                       _("%s: “%s” is not valid UTF-8"), *name, shown);
          return NULL;
        }
    }

  self = g_object_new (QI_TYPE_LAUNCH_CONFIG, NULL);
  set_defaults (self, envp);

  if (!parse_argv (self, argv, envp, cli, error))
    goto out;

  /* The configuration directory decides which files are read, so it is
   * resolved first, from the command line and the environment only. */
  if (!apply_environment (self, envp, OPT_CONFIG_DIR, OPT_CONFIG_DIR, error))
    goto out;
  apply_command_line (self, cli, OPT_CONFIG_DIR);

  add_config_search_dirs (self, envp);
  if (!qi_config_manager_load (self->config, error))
    goto out;

  if (!apply_config_files (self, envp, error))
    goto out;
  if (!apply_environment (self, envp, 0, N_OPTIONS - 1, error))
    goto out;
  for (guint i = 0; i < N_OPTIONS; i++)
    apply_command_line (self, cli, i);

  self->addon_paths = g_variant_dup_strv (self->values[OPT_ADDON_PATH].value, NULL);
  ok = TRUE;

out:
  for (guint i = 0; i < N_OPTIONS; i++)
    g_clear_pointer (&cli[i], g_variant_unref);

  return ok ? g_steal_pointer (&self) : NULL;
}

static const char *
get_maybe_string (GVariant *value)
{
  g_autoptr(GVariant) child = g_variant_get_maybe (value);

  /* The child is owned by @value, which outlives this call. */
  return child != NULL ? g_variant_get_string (child, NULL) : NULL;
}

/**
 * qi_launch_config_get_headless:
 * @self: a #QiLaunchConfig
 *
 * Returns: whether to run the command without the desktop shell
 */
gboolean
qi_launch_config_get_headless (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), FALSE);

  return g_variant_get_boolean (self->values[OPT_HEADLESS].value);
}

/**
 * qi_launch_config_get_project:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (nullable): the project to open, or %NULL
 */
const char *
qi_launch_config_get_project (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return get_maybe_string (self->values[OPT_PROJECT].value);
}

/**
 * qi_launch_config_get_config_dir:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (type filename): the user's configuration
 *   directory, where Qi reads and writes the user's `qi.toml`
 */
const char *
qi_launch_config_get_config_dir (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return g_variant_get_string (self->values[OPT_CONFIG_DIR].value, NULL);
}

/**
 * qi_launch_config_get_data_dir:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (type filename): the directory of Qi's data
 */
const char *
qi_launch_config_get_data_dir (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return g_variant_get_string (self->values[OPT_DATA_DIR].value, NULL);
}

/**
 * qi_launch_config_get_addon_paths:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (array zero-terminated=1) (element-type filename):
 *   the directories to look for addons in, in order
 */
const char * const *
qi_launch_config_get_addon_paths (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return (const char * const *) self->addon_paths;
}

/**
 * qi_launch_config_get_bundle:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (nullable): the bundle asked for, or %NULL for
 *   the production bundle
 */
const char *
qi_launch_config_get_bundle (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return get_maybe_string (self->values[OPT_BUNDLE].value);
}

/**
 * qi_launch_config_get_staging:
 * @self: a #QiLaunchConfig
 *
 * Returns: whether the staging bundle is asked for (`--staging`)
 */
gboolean
qi_launch_config_get_staging (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), FALSE);

  return g_variant_get_boolean (self->values[OPT_STAGING].value);
}

/**
 * qi_launch_config_get_dev_bundle:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (nullable): the dev bundle asked for
 *   (`--dev-bundle NAME`), or %NULL
 */
const char *
qi_launch_config_get_dev_bundle (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return get_maybe_string (self->values[OPT_DEV_BUNDLE].value);
}

/**
 * qi_launch_config_get_tracker:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (nullable): the tracker addon asked for
 *   (`--tracker ADDON`, `QI_TRACKER`, `[launch] tracker`), or %NULL: the
 *   bundle's, or tracker-sqlite without one
 */
const char *
qi_launch_config_get_tracker (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return get_maybe_string (self->values[OPT_TRACKER].value);
}

/**
 * qi_launch_config_get_dev:
 * @self: a #QiLaunchConfig
 *
 * Returns: whether developer mode is on: `--dev`, or a dev bundle
 */
gboolean
qi_launch_config_get_dev (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), FALSE);

  return g_variant_get_boolean (self->values[OPT_DEV].value) ||
         get_maybe_string (self->values[OPT_DEV_BUNDLE].value) != NULL;
}

/**
 * qi_launch_config_get_no_window:
 * @self: a #QiLaunchConfig
 *
 * Returns: whether the desktop shell starts with the tray only, without
 *   opening the launcher window (`--no-window`)
 */
gboolean
qi_launch_config_get_no_window (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), FALSE);

  return g_variant_get_boolean (self->values[OPT_NO_WINDOW].value);
}

/**
 * qi_launch_config_get_port:
 * @self: a #QiLaunchConfig
 *
 * Returns: the loopback port of the local server; 0 means any free port
 */
guint
qi_launch_config_get_port (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), 0);

  return g_variant_get_uint32 (self->values[OPT_PORT].value);
}

/**
 * qi_launch_config_get_log_level:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none): the least severe level to log: one of "error",
 *   "critical", "warning", "message", "info" or "debug"
 */
const char *
qi_launch_config_get_log_level (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return g_variant_get_string (self->values[OPT_LOG_LEVEL].value, NULL);
}

/**
 * qi_launch_config_get_arguments:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none) (array zero-terminated=1) (element-type filename):
 *   the command and its arguments, as given: what follows the global
 *   options; empty if there is none
 */
const char * const *
qi_launch_config_get_arguments (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return (const char * const *) self->arguments;
}

/**
 * qi_launch_config_get_config_manager:
 * @self: a #QiLaunchConfig
 *
 * Returns: (transfer none): the configuration manager that loaded the
 *   `qi.toml` files this configuration was built from
 */
QiConfigManager *
qi_launch_config_get_config_manager (QiLaunchConfig *self)
{
  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  return self->config;
}

/**
 * qi_launch_config_get_source:
 * @self: a #QiLaunchConfig
 * @option: an option name, such as "port"
 *
 * Returns: where @option got its value
 */
QiLaunchSource
qi_launch_config_get_source (QiLaunchConfig *self,
                             const char     *option)
{
  int i;

  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), QI_LAUNCH_SOURCE_DEFAULT);
  g_return_val_if_fail (option != NULL, QI_LAUNCH_SOURCE_DEFAULT);

  i = find_option (option);
  g_return_val_if_fail (i >= 0, QI_LAUNCH_SOURCE_DEFAULT);

  return self->values[i].source;
}

/**
 * qi_launch_config_get_origin:
 * @self: a #QiLaunchConfig
 * @option: an option name, such as "port"
 *
 * Returns: (transfer none): where @option got its value, for people: a flag
 *   such as `--port`, a variable such as `QI_PORT`, `FILE:LINE:COLUMN`, or
 *   `default`
 */
const char *
qi_launch_config_get_origin (QiLaunchConfig *self,
                             const char     *option)
{
  int i;

  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);
  g_return_val_if_fail (option != NULL, NULL);

  i = find_option (option);
  g_return_val_if_fail (i >= 0, NULL);

  return self->values[i].origin;
}

/**
 * qi_launch_config_list_options:
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   launch options, in the order `qi --help` lists them
 */
char **
qi_launch_config_list_options (void)
{
  GStrv names = g_new0 (char *, N_OPTIONS + 1);

  for (guint i = 0; i < N_OPTIONS; i++)
    names[i] = g_strdup (launch_options[i].name);

  return names;
}

static JsonNode *
value_to_json (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("ms")))
    {
      const char *s = get_maybe_string (value);
      return s != NULL ? json_node_init_string (json_node_alloc (), s)
                       : json_node_init_null (json_node_alloc ());
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return json_node_init_int (json_node_alloc (), g_variant_get_uint32 (value));

  return json_gvariant_serialize (value);
}

/* The name of an option in JSON: its qi.toml key where it has one. */
static const char *
json_key (const QiLaunchOption *option)
{
  return option->toml_key != NULL ? option->toml_key : option->name;
}

/**
 * qi_launch_config_to_json:
 * @self: a #QiLaunchConfig
 * @with_origin: whether to give each option's origin
 *
 * Returns: (transfer full): an object with one member per option, named as
 *   in the [launch] table of qi.toml (`addon-paths`; `config-dir`, which
 *   only the command line and environment set); with @with_origin, each member is `{"value": …, "origin": …, "source": …}`
 */
JsonNode *
qi_launch_config_to_json (QiLaunchConfig *self,
                          gboolean        with_origin)
{
  g_autoptr(JsonObject) object = json_object_new ();

  g_return_val_if_fail (QI_IS_LAUNCH_CONFIG (self), NULL);

  for (guint i = 0; i < N_OPTIONS; i++)
    {
      const LaunchValue *v = &self->values[i];
      JsonNode *value = value_to_json (v->value);

      if (with_origin)
        {
          JsonObject *member = json_object_new ();
          GEnumClass *klass = g_type_class_ref (QI_TYPE_LAUNCH_SOURCE);

          json_object_set_member (member, "value", value);
          json_object_set_string_member (member, "origin", v->origin);
          json_object_set_string_member (member, "source",
                                         g_enum_get_value (klass, v->source)->value_nick);
          json_object_set_object_member (object, json_key (&launch_options[i]), member);
          g_type_class_unref (klass);
        }
      else
        json_object_set_member (object, json_key (&launch_options[i]), value);
    }

  return json_node_init_object (json_node_alloc (), object);
}
