/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gunixoutputstream.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "qi-application.h"
#include "qi-addon-manager.h"
#include "qi-addon-verbs-private.h"
#include "qi-autostart-verbs-private.h"
#include "qi-bundle-manager.h"
#include "qi-builtin-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-bundle-verbs-private.h"
#include "qi-serve-verb-private.h"
#include "qi-auth-manager.h"
#include "qi-auth-verbs-private.h"
#include "qi-db-manager.h"
#include "qi-db-verbs-private.h"
#include "qi-settings-verbs-private.h"
#include "qi-settings.h"
#include "qi-enum-types.h"
#include "qi-hub.h"
#include "qi-gui.h"

/**
 * QiApplication:
 *
 * The application object: it owns Qi's services and runs the bootstrap flow
 * of the design notes as explicit phases 0 to 8 (see #QiBootstrapPhase).
 *
 * A phase whose services are not registered runs, finds no provider, says
 * so in the `QiBootstrap` log domain and moves on; it never pretends. With
 * `--headless` the command runs in phase 5 and Qi shuts down; without it,
 * phase 6 needs the desktop shell's services.
 */

/* Phase logs go to their own domain, so that
 * `G_MESSAGES_DEBUG=QiBootstrap qi …` shows exactly the bootstrap. */
#define BOOTSTRAP_DOMAIN "QiBootstrap"
#define phase_debug(...) \
  g_log_structured_standard (BOOTSTRAP_DOMAIN, G_LOG_LEVEL_DEBUG, __FILE__, \
                             G_STRINGIFY (__LINE__), G_STRFUNC, __VA_ARGS__)

struct _QiApplication
{
  GObject          parent_instance;

  GPtrArray       *services;      /* of QiService, in start order */
  QiLaunchConfig  *launch_config;
  QiCliManager    *cli;
  QiBundle        *bundle;        /* the run's, from phase 3, or NULL */
  QiBootstrapPhase phase;
  gboolean         own_settings;  /* phase 0 made the settings service */
  gboolean         own_db;        /* phase 0 made the db service */
  gboolean         own_auth;      /* phase 0 made the auth service */
  gint64           durations[QI_BOOTSTRAP_N_PHASES];
  gboolean         running;
  gboolean         has_run;
  char            *info_path;     /* the info file phase 6 wrote, or NULL */

  GOutputStream   *out;
  GOutputStream   *err;
};

G_DEFINE_FINAL_TYPE (QiApplication, qi_application, G_TYPE_OBJECT)

G_DEFINE_QUARK (qi-application-error-quark, qi_application_error)

enum {
  PROP_0,
  PROP_PHASE,
  PROP_LAUNCH_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PHASE_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const phase_titles[QI_BOOTSTRAP_N_PHASES] = {
  N_("bootstrap"),
  N_("provider pre-load"),
  N_("auth handshake"),
  N_("settings and bundle resolution"),
  N_("addon load"),
  N_("headless command"),
  N_("server and GUI bring-up"),
  N_("runtime loop"),
  N_("shutdown"),
};

static void
qi_application_dispose (GObject *object)
{
  QiApplication *self = QI_APPLICATION (object);

  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_pointer (&self->info_path, g_free);
  g_clear_object (&self->launch_config);
  g_clear_object (&self->cli);
  g_clear_object (&self->bundle);
  g_clear_object (&self->out);
  g_clear_object (&self->err);

  G_OBJECT_CLASS (qi_application_parent_class)->dispose (object);
}

static void
qi_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  QiApplication *self = QI_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_PHASE:
      g_value_set_enum (value, self->phase);
      break;

    case PROP_LAUNCH_CONFIG:
      g_value_set_object (value, self->launch_config);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qi_application_class_init (QiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qi_application_dispose;
  object_class->get_property = qi_application_get_property;

  /**
   * QiApplication:phase:
   *
   * The bootstrap phase the application is in, or last ran.
   */
  properties[PROP_PHASE] =
    g_param_spec_enum ("phase", NULL, NULL,
                       QI_TYPE_BOOTSTRAP_PHASE,
                       QI_BOOTSTRAP_PHASE_BOOTSTRAP,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * QiApplication:launch-config:
   *
   * The launch configuration, set early in phase 0; %NULL before.
   */
  properties[PROP_LAUNCH_CONFIG] =
    g_param_spec_object ("launch-config", NULL, NULL,
                         QI_TYPE_LAUNCH_CONFIG,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QiApplication::phase-finished:
   * @self: the application
   * @phase: the phase that ended
   * @duration: how long it took, in microseconds
   *
   * Emitted at the end of each bootstrap phase that runs.
   */
  signals[PHASE_FINISHED] =
    g_signal_new ("phase-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, QI_TYPE_BOOTSTRAP_PHASE, G_TYPE_INT64);
}

static QiService *
context_lookup_service (GObject    *owner,
                        const char *name)
{
  return qi_application_get_service (QI_APPLICATION (owner), name);
}

static QiLaunchConfig *
context_get_launch_config (GObject *owner)
{
  return qi_application_get_launch_config (QI_APPLICATION (owner));
}

static const QiCliContext cli_context = {
  context_lookup_service,
  context_get_launch_config,
};

static void
qi_application_init (QiApplication *self)
{
  self->services = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < QI_BOOTSTRAP_N_PHASES; i++)
    self->durations[i] = -1;

  self->cli = qi_cli_manager_new ();
  qi_cli_manager_set_context (self->cli, &cli_context, G_OBJECT (self));
  qi_builtin_verbs_register (self->cli, self);
  qi_serve_verb_register (self->cli, self);
  qi_autostart_verbs_register (self->cli);
  /* each service's own verbs, which reach it through the invocation */
  qi_addon_verbs_register (self->cli);
  qi_bundle_verbs_register (self->cli);
  qi_settings_verbs_register (self->cli);
  qi_db_verbs_register (self->cli);
  qi_auth_verbs_register (self->cli);
  g_ptr_array_add (self->services, g_object_ref (self->cli));
}

/**
 * qi_application_new:
 *
 * Creates the application with its CLI manager and the built-in commands;
 * the other services are registered when it runs.
 *
 * Returns: (transfer full): a new #QiApplication
 */
QiApplication *
qi_application_new (void)
{
  return g_object_new (QI_TYPE_APPLICATION, NULL);
}

/**
 * qi_bootstrap_phase_get_title:
 * @phase: a #QiBootstrapPhase
 *
 * Returns: (transfer none): the translated title of @phase, such as
 *   "addon load"
 */
const char *
qi_bootstrap_phase_get_title (QiBootstrapPhase phase)
{
  g_return_val_if_fail (phase <= QI_BOOTSTRAP_PHASE_SHUTDOWN, NULL);

  return _(phase_titles[phase]);
}

/**
 * qi_application_add_service:
 * @self: a #QiApplication
 * @service: the service to add
 * @error: return location for a #GError
 *
 * Registers @service. Services start in the order they were added and stop
 * in reverse order. A service added while the application runs is started
 * at once, and registered only if it starts.
 *
 * Returns: %TRUE on success; %FALSE if a service of that name exists
 *   (%QI_APPLICATION_ERROR_DUPLICATE_SERVICE) or the service failed to start
 */
gboolean
qi_application_add_service (QiApplication  *self,
                            QiService      *service,
                            GError        **error)
{
  const char *name;

  g_return_val_if_fail (QI_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (QI_IS_SERVICE (service), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  name = qi_service_get_name (service);
  if (qi_application_get_service (self, name) != NULL)
    {
      g_set_error (error, QI_APPLICATION_ERROR, QI_APPLICATION_ERROR_DUPLICATE_SERVICE,
                   _("a service named “%s” is already registered"), name);
      return FALSE;
    }

  if (self->running && !qi_service_start (service, error))
    return FALSE;

  g_ptr_array_add (self->services, g_object_ref (service));
  g_debug ("Registered service “%s” (%s)", name, G_OBJECT_TYPE_NAME (service));

  return TRUE;
}

/**
 * qi_application_get_service:
 * @self: a #QiApplication
 * @name: a service name, such as "config"
 *
 * Returns: (transfer none) (nullable): the service, or %NULL if none of that
 *   name is registered
 */
QiService *
qi_application_get_service (QiApplication *self,
                            const char    *name)
{
  g_return_val_if_fail (QI_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->services->len; i++)
    {
      QiService *service = g_ptr_array_index (self->services, i);

      if (g_strcmp0 (qi_service_get_name (service), name) == 0)
        return service;
    }

  return NULL;
}

/**
 * qi_application_list_services:
 * @self: a #QiApplication
 *
 * Returns: (transfer container) (element-type QiService): the registered
 *   services, in start order
 */
GPtrArray *
qi_application_list_services (QiApplication *self)
{
  GPtrArray *services;

  g_return_val_if_fail (QI_IS_APPLICATION (self), NULL);

  services = g_ptr_array_new_full (self->services->len, NULL);
  for (guint i = 0; i < self->services->len; i++)
    g_ptr_array_add (services, g_ptr_array_index (self->services, i));

  return services;
}

/**
 * qi_application_get_launch_config:
 * @self: a #QiApplication
 *
 * Returns: (transfer none) (nullable): the launch configuration, once
 *   phase 0 has built it
 */
QiLaunchConfig *
qi_application_get_launch_config (QiApplication *self)
{
  g_return_val_if_fail (QI_IS_APPLICATION (self), NULL);

  return self->launch_config;
}

/**
 * qi_application_get_config_manager:
 * @self: a #QiApplication
 *
 * Returns: (transfer none) (nullable): the configuration manager, once
 *   phase 0 has loaded the configuration
 */
QiConfigManager *
qi_application_get_config_manager (QiApplication *self)
{
  g_return_val_if_fail (QI_IS_APPLICATION (self), NULL);

  if (self->launch_config == NULL)
    return NULL;

  return qi_launch_config_get_config_manager (self->launch_config);
}

/**
 * qi_application_get_cli_manager:
 * @self: a #QiApplication
 *
 * Returns: (transfer none): the registry of `qi --headless` commands
 */
QiCliManager *
qi_application_get_cli_manager (QiApplication *self)
{
  g_return_val_if_fail (QI_IS_APPLICATION (self), NULL);

  return self->cli;
}

/**
 * qi_application_get_phase:
 * @self: a #QiApplication
 *
 * Returns: the phase the application is in, or ran last
 */
QiBootstrapPhase
qi_application_get_phase (QiApplication *self)
{
  g_return_val_if_fail (QI_IS_APPLICATION (self), QI_BOOTSTRAP_PHASE_BOOTSTRAP);

  return self->phase;
}

/**
 * qi_application_get_phase_duration:
 * @self: a #QiApplication
 * @phase: a #QiBootstrapPhase
 *
 * Returns: how long @phase took in microseconds, or -1 if it has not run
 *   to its end
 */
gint64
qi_application_get_phase_duration (QiApplication    *self,
                                   QiBootstrapPhase  phase)
{
  g_return_val_if_fail (QI_IS_APPLICATION (self), -1);
  g_return_val_if_fail (phase <= QI_BOOTSTRAP_PHASE_SHUTDOWN, -1);

  return self->durations[phase];
}

static void
printerr (QiApplication *self,
          const char    *format,
          ...) G_GNUC_PRINTF (2, 3);

static void
printerr (QiApplication *self,
          const char    *format,
          ...)
{
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  line = g_strdup_printf ("qi: %s\n", message);
  if (!g_utf8_validate (line, -1, NULL))
    {
      char *valid = g_utf8_make_valid (line, -1);
      g_free (line);
      line = valid;
    }
  g_output_stream_write_all (self->err, line, strlen (line), NULL, NULL, NULL);
}

/* Tells whether a provider of a later phase is registered; logs the fact
 * either way. */
static QiService *
find_provider (QiApplication *self,
               const char    *step,
               const char    *name,
               const char    *missing)
{
  QiService *service = qi_application_get_service (self, name);

  if (service == NULL)
    phase_debug ("%s: no “%s” service registered: %s", step, name, missing);
  else
    phase_debug ("%s: using the “%s” service (%s)", step, name, G_OBJECT_TYPE_NAME (service));

  return service;
}

/* Phase 0. Returns the exit status on failure, -1 to go on. */
static int
phase_bootstrap (QiApplication      *self,
                 const char * const *argv,
                 const char * const *envp)
{
  g_autoptr(GError) error = NULL;

  /* 0.1: command line, environment and qi.toml → QiLaunchConfig */
  self->launch_config = qi_launch_config_new (argv, envp, &error);
  if (self->launch_config == NULL)
    {
      printerr (self, "%s", error->message);
      return QI_CLI_EXIT_USAGE;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAUNCH_CONFIG]);

  if (!qi_application_add_service (self,
                                   QI_SERVICE (qi_launch_config_get_config_manager (self->launch_config)),
                                   &error))
    {
      printerr (self, "%s", error->message);
      return 1;
    }

  /* 0.2: the hub, with its empty handler registry, unless the embedder
   * registered one of its own */
  if (qi_application_get_service (self, "hub") == NULL)
    {
      g_autoptr(QiHub) hub = qi_hub_new ();

      if (!qi_application_add_service (self, QI_SERVICE (hub), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
    }

  /* 0.3: the addon manager, searching the launch's addon paths, unless
   * the embedder registered one of its own */
  if (qi_application_get_service (self, "addons") == NULL)
    {
      g_autoptr(QiAddonManager) addons = qi_addon_manager_new_for_launch (self->launch_config);

      if (!qi_application_add_service (self, QI_SERVICE (addons), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
    }

  /* 0.4: the settings service, over the override files of the
   * configuration directory, unless the embedder registered one */
  if (qi_application_get_service (self, "settings") == NULL)
    {
      g_autofree char *folder = g_build_filename (qi_launch_config_get_config_dir (self->launch_config),
                                                  "settings", NULL);
      g_autoptr(QiSettings) settings = qi_settings_new (folder);

      if (!qi_application_add_service (self, QI_SERVICE (settings), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
      self->own_settings = TRUE;
    }

  /* 0.5: the tracker service, without a tracker until a provider addon
   * gives one at phase 1, unless the embedder registered one */
  if (qi_application_get_service (self, "db") == NULL)
    {
      g_autoptr(QiDbManager) db = qi_db_manager_new ();

      if (!qi_application_add_service (self, QI_SERVICE (db), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
      self->own_db = TRUE;
    }

  /* 0.6: the auth service, with the run's token authority and no login
   * until a provider addon gives one, unless the embedder registered one */
  if (qi_application_get_service (self, "auth") == NULL)
    {
      g_autoptr(QiAuthManager) auth = qi_auth_manager_new (NULL);

      qi_auth_manager_set_data_dir (auth, qi_launch_config_get_data_dir (self->launch_config));
      if (!qi_application_add_service (self, QI_SERVICE (auth), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
      self->own_auth = TRUE;
    }

  for (guint i = 0; i < self->services->len; i++)
    {
      QiService *service = g_ptr_array_index (self->services, i);

      if (!qi_service_start (service, &error))
        {
          printerr (self, _("the %s service failed to start: %s"),
                    qi_service_get_name (service), error->message);
          return 1;
        }
    }
  self->running = TRUE;

  return -1;
}

static QiAddonManager *
get_addon_manager (QiApplication *self)
{
  QiService *service = qi_application_get_service (self, "addons");

  return service != NULL && QI_IS_ADDON_MANAGER (service) ? QI_ADDON_MANAGER (service) : NULL;
}

/* What the command about to run needs loaded: a built-in verb may say it
 * needs no addon at all (`version`), or only the tracker's (`db stats`,
 * `login`); any other command needs the addons (the bundle's). */
typedef enum
{
  NEEDS_NOTHING,
  NEEDS_TRACKER,
  NEEDS_ADDONS,
} Needs;

static Needs
command_needs (QiApplication *self)
{
  const char * const *arguments = qi_launch_config_get_arguments (self->launch_config);
  QiCliVerb *verb = arguments[0] != NULL ? qi_cli_manager_resolve_verb (self->cli, arguments) : NULL;

  if (verb == NULL || qi_cli_verb_get_needs_addons (verb))
    return NEEDS_ADDONS;
  return qi_cli_verb_get_needs_tracker (verb) ? NEEDS_TRACKER : NEEDS_NOTHING;
}

static gboolean
command_needs_addons (QiApplication *self)
{
  return command_needs (self) == NEEDS_ADDONS;
}

static int select_bundle (QiApplication *self);

/* The addon manager ready to load: the hub, the CLI, a REST router and
 * the settings service. */
static gboolean
prepare_addon_manager (QiApplication   *self,
                       QiAddonManager  *addons,
                       GError         **error)
{
  QiService *hub = qi_application_get_service (self, "hub");
  QiService *settings = qi_application_get_service (self, "settings");

  if (hub == NULL || !QI_IS_HUB (hub))
    {
      g_set_error_literal (error, QI_APPLICATION_ERROR, QI_APPLICATION_ERROR_FAILED,
                           _("the “hub” service is not a QiHub: no addon can load"));
      return FALSE;
    }
  if (qi_addon_manager_get_router (addons) == NULL)
    {
      g_autoptr(QiRestRouter) router = qi_rest_router_new ();

      g_object_set (addons, "router", router, NULL);
    }
  g_object_set (addons, "hub", hub, "cli-manager", self->cli, NULL);
  if (settings != NULL && QI_IS_SETTINGS (settings))
    g_object_set (addons, "settings", settings, NULL);
  return TRUE;
}

/* The bundle's addons, or NULL for every addon found. */
static GStrv
bundle_addons (QiApplication *self)
{
  return self->bundle != NULL ? qi_bundle_dup_addon_names (self->bundle) : NULL;
}

/* 1.3: the one provider of the roles `db` and `auth`, loaded before every
 * other addon; its tracker and login become the run's. */
static int
load_providers (QiApplication  *self,
                QiAddonManager *addons)
{
  const char * const roles[] = { QI_ADDON_PROVIDER_ROLES, NULL };
  const char *chosen = qi_launch_config_get_tracker (self->launch_config);
  QiService *db = qi_application_get_service (self, "db");
  QiService *auth = qi_application_get_service (self, "auth");
  g_auto(GStrv) allowed = bundle_addons (self);
  g_autoptr(GPtrArray) providers = NULL;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) to_load = NULL;
  g_autoptr(GError) error = NULL;

  if (!QI_IS_HUB (qi_application_get_service (self, "hub")))
    {
      phase_debug ("1.3: the “hub” service is not a QiHub: no addon is loaded");
      return -1;
    }
  /* A run without a bundle runs the tracker asked for, else the embedded
   * one; a bundle names its tracker (none, or two, is fatal). */
  if (chosen == NULL && allowed == NULL)
    chosen = QI_APPLICATION_DEFAULT_TRACKER;
  providers = qi_addon_manager_select_providers (addons, roles, chosen, (const char * const *) allowed, &error);
  if (providers == NULL || !prepare_addon_manager (self, addons, &error))
    {
      printerr (self, "%s", error->message);
      return 1;
    }
  for (guint i = 0; i < providers->len; i++)
    g_strv_builder_add (names, qi_addon_info_get_name (providers->pdata[i]));
  to_load = g_strv_builder_end (names);
  qi_addon_manager_load_only (addons, (const char * const *) to_load);

  for (guint i = 0; i < providers->len; i++)
    {
      QiAddonInfo *info = providers->pdata[i];
      const char *name = qi_addon_info_get_name (info);
      QiAddon *addon = qi_addon_manager_get_addon (addons, name);

      if (addon == NULL)
        {
          printerr (self, _("the tracker “%s” did not load: %s"), name,
                    qi_addon_info_get_error (info) != NULL ? qi_addon_info_get_error (info)->message : "?");
          return 1;
        }
      if (qi_addon_info_has_role (info, "db"))
        {
          if (qi_addon_get_tracker (addon) == NULL)
            {
              printerr (self, _("the addon “%s” has the role “db” but gave no tracker (qi_addon_provide_tracker())"),
                        name);
              return 1;
            }
          if (self->own_db &&
              !qi_db_manager_add_adapter (QI_DB_MANAGER (db), name, qi_addon_get_tracker (addon), &error))
            {
              printerr (self, "%s", error->message);
              return 1;
            }
        }
      if (qi_addon_info_has_role (info, "auth"))
        {
          if (qi_addon_get_login (addon) == NULL)
            {
              printerr (self, _("the addon “%s” has the role “auth” but gave no login (qi_addon_provide_login())"),
                        name);
              return 1;
            }
          if (self->own_auth &&
              !qi_auth_manager_set_provider (QI_AUTH_MANAGER (auth), qi_addon_get_login (addon), &error))
            {
              printerr (self, "%s", error->message);
              return 1;
            }
        }
      phase_debug ("1.3: “%s” is the run's tracker", name);
    }
  return -1;
}

static int
phase_provider_preload (QiApplication *self)
{
  QiAddonManager *addons;
  int status;

  /* 1.1: scan the addon paths, metadata only; a built-in command that
   * needs no addon (version, completion…) reads none of them, so that a
   * studio's addon folders never slow it down or stop it. */
  if (find_provider (self, "1.1", "addons", "no addon is discovered") == NULL)
    return -1;
  switch (command_needs (self))
    {
    case NEEDS_NOTHING:
      phase_debug ("“%s” needs no addon: no bundle is read and no addon is loaded",
                   qi_launch_config_get_arguments (self->launch_config)[0]);
      return -1;
    case NEEDS_TRACKER:
      phase_debug ("“%s” needs only the tracker: its addon loads, no other",
                   qi_launch_config_get_arguments (self->launch_config)[0]);
      break;
    case NEEDS_ADDONS:
    default:
      break;
    }
  addons = get_addon_manager (self);
  if (addons == NULL)
    return -1;
  qi_addon_manager_discover (addons);

  /* 1.2: the run's bundle (bundles.json, a file: no tracker needed) */
  if ((status = select_bundle (self)) >= 0)
    return status;

  /* 1.3–1.4: the provider addons, before every other: zero or two of a
   * role is fatal, naming them */
  return load_providers (self, addons);
}

static int
phase_auth (QiApplication      *self,
            const char * const *envp)
{
  QiService *auth;
  g_autoptr(GError) error = NULL;

  /* 2.1–2.4: log in, or read a service token */
  auth = find_provider (self, "2.1", "auth", "running without a user session");
  if (auth != NULL && QI_IS_AUTH_MANAGER (auth) && qi_auth_manager_get_provider (QI_AUTH_MANAGER (auth)) == NULL)
    phase_debug ("2.2: no tracker is loaded: no login");
  else if (auth != NULL && QI_IS_AUTH_MANAGER (auth))
    {
      phase_debug ("2.2: logins through “%s”; %s",
                   qi_auth_provider_get_name (qi_auth_manager_get_provider (QI_AUTH_MANAGER (auth))),
                   qi_launch_config_get_headless (self->launch_config)
                   ? "headless: no interactive login (`qi --headless login` checks a user)"
                   : "the launcher's login page logs a user in (auth.login)");
      /* 2.3: QI_SERVICE_TOKEN, QI_FTRACK_*, the keyring; a built-in verb
       * that needs no addon (login, logout, user…) runs without it */
      if (command_needs_addons (self) &&
          !qi_auth_manager_login_from_environment (QI_AUTH_MANAGER (auth), envp, &error))
        printerr (self, _("not logged in: %s"), error->message);
      else if (qi_auth_manager_get_run_session (QI_AUTH_MANAGER (auth)) != NULL)
        {
          JsonObject *session = json_node_get_object (qi_auth_manager_get_run_session (QI_AUTH_MANAGER (auth)));

          phase_debug ("2.3: logged in as %s (%s)",
                       json_object_get_string_member (json_object_get_object_member (session, "user"), "username"),
                       json_object_get_string_member (session, "provider"));
        }
    }
  return -1;
}


/* 1.2: the bundle of the run, from bundles.json in the configuration
 * directory: --bundle NAME, --staging or --dev-bundle NAME, else the
 * production bundle. With no bundle file and none asked for, there is
 * none: every addon found may load. */
static int
select_bundle (QiApplication *self)
{
  const char *named = qi_launch_config_get_bundle (self->launch_config);
  gboolean staging = qi_launch_config_get_staging (self->launch_config);
  const char *dev = qi_launch_config_get_dev_bundle (self->launch_config);
  gboolean asked = named != NULL || staging || dev != NULL;
  g_autofree char *path = g_build_filename (qi_launch_config_get_config_dir (self->launch_config),
                                            QI_BUNDLE_MANAGER_FILE_NAME, NULL);
  g_autoptr(QiBundleManager) bundles = NULL;
  g_autoptr(GError) error = NULL;

  if (!asked && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      phase_debug ("1.2: no %s: no bundle limits the addons", path);
      return -1;
    }

  bundles = qi_bundle_manager_new (path);
  if (!qi_bundle_manager_load (bundles, &error))
    {
      printerr (self, "%s", error->message);
      return 1;
    }

  if (!asked && qi_bundle_manager_get_production (bundles) == NULL)
    {
      phase_debug ("1.2: no production bundle in %s: no bundle limits the addons", path);
      return -1;
    }

  self->bundle = qi_bundle_manager_select (bundles, named, NULL, staging, dev, &error);
  if (self->bundle == NULL)
    {
      printerr (self, "%s", error->message);
      return 1;
    }

  phase_debug ("1.2: bundle “%s”%s", qi_bundle_get_name (self->bundle),
               asked ? " (asked for)" : " (production)");
  return -1;
}

static QiSettings *
get_settings (QiApplication *self)
{
  QiService *service = qi_application_get_service (self, "settings");

  return service != NULL && QI_IS_SETTINGS (service) ? QI_SETTINGS (service) : NULL;
}

static int
phase_settings (QiApplication *self)
{
  const char *project = qi_launch_config_get_project (self->launch_config);
  QiSettings *settings;
  int status;

  /* 3.1: defaults of the settings schemas (they come with the addons) */
  find_provider (self, "3.1", "settings", "only the qi.toml configuration applies");

  /* 3.2: the active project and bundle */
  if (find_provider (self, "3.2", "db", "no project can be resolved") == NULL && project != NULL)
    phase_debug ("3.2: project “%s” was asked for (%s) but cannot be resolved",
                 project, qi_launch_config_get_origin (self->launch_config, "project"));

  status = -1;

  /* 3.3: the layers the settings resolve over */
  settings = get_settings (self);
  if (settings != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!qi_settings_set_bundle (settings, self->bundle != NULL ? qi_bundle_get_name (self->bundle) : NULL,
                                   &error) ||
          !qi_settings_set_project (settings, project, &error))
        {
          printerr (self, "%s (%s)", error->message,
                    qi_launch_config_get_origin (self->launch_config, "project"));
          return QI_CLI_EXIT_USAGE;
        }
      phase_debug ("3.3: settings layers: bundle “%s”, project %s", qi_settings_get_bundle (settings),
                   project != NULL ? project : "(none)");
    }
  return status;
}

static int
phase_addon_load (QiApplication *self)
{
  QiAddonManager *addons = get_addon_manager (self);
  QiService *hub = qi_application_get_service (self, "hub");
  const char * const *arguments = qi_launch_config_get_arguments (self->launch_config);
  const char *verb_addon = NULL;
  Needs needs;

  /* 4.1–4.2: the addons of the bundle, their settings, verbs and routes */
  if (find_provider (self, "4.1", "addons", "no addon is loaded") == NULL || addons == NULL)
    return -1;

  /* A built-in command that needs no addon runs none of their code. */
  needs = command_needs (self);
  if (needs == NEEDS_NOTHING)
    return -1;

  if (hub == NULL || !QI_IS_HUB (hub))
    {
      phase_debug ("4.1: the “hub” service is not a QiHub: no addon is loaded");
      return -1;
    }

  if (get_settings (self) != NULL && self->own_settings)
    {
      QiSettings *settings = get_settings (self);
      g_autoptr(GError) error = NULL;

      /* 4.2: the addons' settings on the hub and over REST; an
       * embedder's own settings service is its own business */
      if (!qi_settings_attach_hub (settings, QI_HUB (hub), &error) ||
          !qi_settings_add_routes (settings, qi_addon_manager_get_router (addons), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
    }

  /* 4.2: the tracker's API on the hub (`__hub__/db`) */
  if (self->own_db)
    {
      QiService *db = qi_application_get_service (self, "db");
      g_autoptr(GError) error = NULL;

      if (!qi_db_manager_attach_hub (QI_DB_MANAGER (db), QI_HUB (hub), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
    }

  /* 4.2: login and sessions on the hub (`__hub__/auth`) */
  if (self->own_auth)
    {
      QiService *auth = qi_application_get_service (self, "auth");
      g_autoptr(GError) error = NULL;

      if (!qi_auth_manager_attach_hub (QI_AUTH_MANAGER (auth), QI_HUB (hub), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
    }

  /* A built-in command of the tracker's: the provider is all it needs. */
  if (needs == NEEDS_TRACKER)
    return -1;

  if (self->bundle != NULL)
    {
      /* 4.1: the bundle's pins and a dev bundle's local folders */
      g_auto(GStrv) names = qi_bundle_dup_addon_names (self->bundle);

      for (guint i = 0; names[i] != NULL; i++)
        {
          const char *pinned = qi_bundle_get_addon (self->bundle, names[i]);

          /* A dev bundle's local folder counts over the search paths. */
          if (g_path_is_absolute (pinned))
            {
              g_autoptr(GError) error = NULL;

              if (!qi_addon_manager_add_local_addon (addons, names[i], pinned,
                                                     qi_bundle_get_name (self->bundle), &error))
                printerr (self, _("warning: %s"), error->message);
              else
                phase_debug ("4.1: “%s” from the local folder %s", names[i], pinned);
            }
          else
            qi_addon_manager_pin (addons, names[i], pinned, qi_bundle_get_name (self->bundle));
        }
    }

  /* A command an addon says it adds (`verbs` in addon.toml) loads that
   * addon and what it needs, no other: metadata first, code later. */
  if (qi_launch_config_get_headless (self->launch_config) && arguments[0] != NULL)
    verb_addon = qi_addon_manager_find_verb_provider (addons, arguments);
  if (verb_addon != NULL &&
      qi_addon_info_get_state (qi_addon_manager_lookup (addons, verb_addon)) == QI_ADDON_STATE_DISABLED &&
      qi_cli_manager_resolve_verb (self->cli, arguments) == NULL)
    {
      const GError *why = qi_addon_info_get_error (qi_addon_manager_lookup (addons, verb_addon));

      printerr (self, _("“%s” is a command of the addon “%s”, which this run does not load: %s"),
                arguments[0], verb_addon, why != NULL ? why->message : _("it is disabled"));
      return QI_CLI_EXIT_USAGE;
    }
  if (verb_addon != NULL &&
      (self->bundle == NULL || qi_bundle_get_addon (self->bundle, verb_addon) != NULL))
    {
      phase_debug ("4.1: “%s” adds the command: only it loads", verb_addon);
      qi_addon_manager_load_only (addons, (const char * const []) { verb_addon, NULL });
      return -1;
    }

  if (self->bundle != NULL)
    {
      g_auto(GStrv) names = qi_bundle_dup_addon_names (self->bundle);

      qi_addon_manager_load (addons, (const char * const *) names);
    }
  else
    qi_addon_manager_load (addons, NULL);
  return -1;
}

static int
phase_headless (QiApplication *self)
{
  const char * const *arguments = qi_launch_config_get_arguments (self->launch_config);

  if (!qi_launch_config_get_headless (self->launch_config))
    {
      /* A command is only run headless; never ignore one silently. */
      if (arguments[0] != NULL)
        {
          printerr (self, _("“%s” is a command; run it with --headless: qi --headless %s"),
                    arguments[0], arguments[0]);
          return QI_CLI_EXIT_USAGE;
        }
      return -1;
    }

  /* 5.1: run the command */
  if (arguments[0] == NULL)
    {
      printerr (self, _("no command given; run “qi --headless help” for the list"));
      return QI_CLI_EXIT_USAGE;
    }

  phase_debug ("5.1: running “%s”", arguments[0]);
  return qi_cli_manager_run (self->cli, arguments, self->out, self->err);
}

static int
phase_server_gui (QiApplication *self)
{
  g_autoptr(GError) error = NULL;
  QiService *gui;
  QiService *server;
  gboolean is_remote = FALSE;

  /* 6.0: the desktop shell claims the session, or hands this run's
   * request to the shell that has it */
  gui = find_provider (self, "6.0", "gui", "no desktop shell can be shown");
  if (gui == NULL || !QI_IS_GUI (gui))
    {
      printerr (self, _("this build of Qi has no desktop shell; run a command with "
                        "--headless (see “qi --headless help”)"));
      return 1;
    }
  if (!qi_gui_claim (QI_GUI (gui), &is_remote, &error))
    {
      printerr (self, _("the desktop shell cannot start: %s"), error->message);
      return 1;
    }
  if (is_remote)
    {
      phase_debug ("6.0: another Qi shell of this session took the request");
      return 0;
    }

  /* 6.1–6.2: the local server, set up as `qi --headless serve` does,
   * unless the embedder registered one */
  server = find_provider (self, "6.1", "server", "starting the local server");
  if (server != NULL && !QI_IS_SERVER (server))
    {
      printerr (self, _("the “server” service is a %s, not a QiServer"), G_OBJECT_TYPE_NAME (server));
      return 1;
    }
  if (server == NULL)
    {
      g_autoptr(QiServer) local = NULL;
      g_autofree char *info_path = qi_serve_dup_default_info_path ();

      local = qi_serve_start_server (self, -1, info_path, &error);
      if (local == NULL)
        {
          printerr (self, "%s", error->message);
          return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT) ? QI_CLI_EXIT_USAGE : 1;
        }
      self->info_path = g_steal_pointer (&info_path);
      if (!qi_application_add_service (self, QI_SERVICE (local), &error))
        {
          printerr (self, "%s", error->message);
          return 1;
        }
      server = QI_SERVICE (local);
      phase_debug ("6.2: serving on port %u", qi_server_get_port (QI_SERVER (server)));
    }

  /* 6.3: the tray and the first windows */
  if (!qi_gui_show (QI_GUI (gui), QI_SERVER (server), &error))
    {
      printerr (self, _("the desktop shell cannot start: %s"), error->message);
      return 1;
    }

  return -1;
}

static int
phase_runtime (QiApplication *self)
{
  QiService *gui = qi_application_get_service (self, "gui");
  int status;

  /* 7: the main loop runs while the shell has its tray or windows */
  if (gui == NULL || !QI_IS_GUI (gui))
    {
      phase_debug ("7: no main loop to run: nothing keeps the application alive");
      return -1;
    }
  phase_debug ("7: running the desktop shell");
  status = qi_gui_run (QI_GUI (gui));

  return status;
}

static void
phase_shutdown (QiApplication *self)
{
  /* 8.1–8.3: stop the services in reverse order */
  for (guint i = self->services->len; i > 0; i--)
    {
      QiService *service = g_ptr_array_index (self->services, i - 1);

      if (qi_service_get_state (service) == QI_SERVICE_STATE_RUNNING)
        {
          phase_debug ("8: stopping the “%s” service", qi_service_get_name (service));
          qi_service_stop (service);
        }
    }
  if (self->info_path != NULL)
    {
      qi_serve_remove_info_file (self->info_path);
      g_clear_pointer (&self->info_path, g_free);
    }
  self->running = FALSE;
}

static void
begin_phase (QiApplication    *self,
             QiBootstrapPhase  phase)
{
  self->phase = phase;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
}

static void
end_phase (QiApplication    *self,
           QiBootstrapPhase  phase,
           gint64            started)
{
  gint64 duration = g_get_monotonic_time () - started;

  self->durations[phase] = duration;
  phase_debug ("phase %d (%s) took %.3f ms", phase, phase_titles[phase], duration / 1000.0);
  g_signal_emit (self, signals[PHASE_FINISHED], 0, phase, duration);
}

/**
 * qi_application_run:
 * @self: a #QiApplication
 * @argv: (array zero-terminated=1) (element-type filename): the command
 *   line, program name first
 * @envp: (array zero-terminated=1) (nullable): the environment; %NULL for
 *   the process environment
 * @out: (nullable): where commands write output; %NULL for stdout
 * @err: (nullable): where errors are written; %NULL for stderr
 *
 * Runs the bootstrap flow, phase by phase, then shuts down. Errors are
 * written to @err as one line starting with `qi: `. An application runs
 * once.
 *
 * Returns: the exit status: 0 for success, 1 for a failure,
 *   %QI_CLI_EXIT_USAGE for a mistake on the command line or in qi.toml
 */
int
qi_application_run (QiApplication      *self,
                    const char * const *argv,
                    const char * const *envp,
                    GOutputStream      *out,
                    GOutputStream      *err)
{
  int status = -1;

  g_return_val_if_fail (QI_IS_APPLICATION (self), 1);
  g_return_val_if_fail (argv != NULL, 1);
  g_return_val_if_fail (!self->has_run, 1);

  self->has_run = TRUE;
  self->out = out != NULL ? g_object_ref (out) : g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  self->err = err != NULL ? g_object_ref (err) : g_unix_output_stream_new (STDERR_FILENO, FALSE);

  for (QiBootstrapPhase phase = QI_BOOTSTRAP_PHASE_BOOTSTRAP;
       phase < QI_BOOTSTRAP_PHASE_SHUTDOWN && status < 0;
       phase++)
    {
      gint64 started = g_get_monotonic_time ();

      begin_phase (self, phase);

      switch (phase)
        {
        case QI_BOOTSTRAP_PHASE_BOOTSTRAP:
          status = phase_bootstrap (self, argv, envp);
          break;
        case QI_BOOTSTRAP_PHASE_PROVIDER_PRELOAD:
          status = phase_provider_preload (self);
          break;
        case QI_BOOTSTRAP_PHASE_AUTH:
          status = phase_auth (self, envp);
          break;
        case QI_BOOTSTRAP_PHASE_SETTINGS:
          status = phase_settings (self);
          break;
        case QI_BOOTSTRAP_PHASE_ADDON_LOAD:
          status = phase_addon_load (self);
          break;
        case QI_BOOTSTRAP_PHASE_HEADLESS:
          /* 5: the headless branch runs the command and goes to shutdown */
          status = phase_headless (self);
          break;
        case QI_BOOTSTRAP_PHASE_SERVER_GUI:
          status = phase_server_gui (self);
          break;
        case QI_BOOTSTRAP_PHASE_RUNTIME:
          status = phase_runtime (self);
          break;
        case QI_BOOTSTRAP_PHASE_SHUTDOWN:
        default:
          g_assert_not_reached ();
        }

      end_phase (self, phase, started);
    }

  {
    gint64 started = g_get_monotonic_time ();

    begin_phase (self, QI_BOOTSTRAP_PHASE_SHUTDOWN);
    phase_shutdown (self);
    end_phase (self, QI_BOOTSTRAP_PHASE_SHUTDOWN, started);
  }

  g_output_stream_flush (self->out, NULL, NULL);
  g_output_stream_flush (self->err, NULL, NULL);

  return status < 0 ? 0 : status;
}
