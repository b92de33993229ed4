/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>

#include "qi-cli-manager.h"
#include "qi-config-manager.h"
#include "qi-launch-config.h"
#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiBootstrapPhase:
 * @QI_BOOTSTRAP_PHASE_BOOTSTRAP: 0: launch configuration, core services, hub
 * @QI_BOOTSTRAP_PHASE_PROVIDER_PRELOAD: 1: load the addons with the auth and
 *   db roles
 * @QI_BOOTSTRAP_PHASE_AUTH: 2: log in, or read a service token
 * @QI_BOOTSTRAP_PHASE_SETTINGS: 3: settings, active project and bundle
 * @QI_BOOTSTRAP_PHASE_ADDON_LOAD: 4: load the bundle's addons
 * @QI_BOOTSTRAP_PHASE_HEADLESS: 5: with `--headless`, run the command
 * @QI_BOOTSTRAP_PHASE_SERVER_GUI: 6: start the local server and the GUI
 * @QI_BOOTSTRAP_PHASE_RUNTIME: 7: the main loop
 * @QI_BOOTSTRAP_PHASE_SHUTDOWN: 8: stop the services in reverse order
 *
 * The phases of a run of Qi, as in the design notes. Each phase is logged
 * with its duration in the `QiBootstrap` log domain.
 */
typedef enum {
  QI_BOOTSTRAP_PHASE_BOOTSTRAP,
  QI_BOOTSTRAP_PHASE_PROVIDER_PRELOAD,
  QI_BOOTSTRAP_PHASE_AUTH,
  QI_BOOTSTRAP_PHASE_SETTINGS,
  QI_BOOTSTRAP_PHASE_ADDON_LOAD,
  QI_BOOTSTRAP_PHASE_HEADLESS,
  QI_BOOTSTRAP_PHASE_SERVER_GUI,
  QI_BOOTSTRAP_PHASE_RUNTIME,
  QI_BOOTSTRAP_PHASE_SHUTDOWN,
} QiBootstrapPhase;

/**
 * QI_BOOTSTRAP_N_PHASES:
 *
 * The number of bootstrap phases.
 */
#define QI_BOOTSTRAP_N_PHASES (QI_BOOTSTRAP_PHASE_SHUTDOWN + 1)

/**
 * QI_APPLICATION_ERROR:
 *
 * The error domain of #QiApplication.
 */
#define QI_APPLICATION_ERROR (qi_application_error_quark ())

/**
 * QiApplicationError:
 * @QI_APPLICATION_ERROR_DUPLICATE_SERVICE: a service of that name is
 *   already registered
 * @QI_APPLICATION_ERROR_FAILED: a service the bootstrap needs is not the
 *   one it needs
 *
 * Errors of #QiApplication.
 */
typedef enum {
  QI_APPLICATION_ERROR_DUPLICATE_SERVICE,
  QI_APPLICATION_ERROR_FAILED,
} QiApplicationError;

/**
 * QI_APPLICATION_DEFAULT_TRACKER:
 *
 * The tracker addon of a run without a bundle or `--tracker`: the
 * embedded tracker.
 */
#define QI_APPLICATION_DEFAULT_TRACKER "tracker-sqlite"

#define QI_TYPE_APPLICATION (qi_application_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiApplication, qi_application, QI, APPLICATION, GObject)

QI_AVAILABLE_IN_ALL
GQuark            qi_application_error_quark        (void);
QI_AVAILABLE_IN_ALL
QiApplication    *qi_application_new                (void);
QI_AVAILABLE_IN_ALL
int               qi_application_run                (QiApplication      *self,
                                                     const char * const *argv,
                                                     const char * const *envp,
                                                     GOutputStream      *out,
                                                     GOutputStream      *err);
QI_AVAILABLE_IN_ALL
gboolean          qi_application_add_service        (QiApplication      *self,
                                                     QiService          *service,
                                                     GError            **error);
QI_AVAILABLE_IN_ALL
QiService        *qi_application_get_service        (QiApplication      *self,
                                                     const char         *name);
QI_AVAILABLE_IN_ALL
GPtrArray        *qi_application_list_services      (QiApplication      *self);
QI_AVAILABLE_IN_ALL
QiLaunchConfig   *qi_application_get_launch_config  (QiApplication      *self);
QI_AVAILABLE_IN_ALL
QiConfigManager  *qi_application_get_config_manager (QiApplication      *self);
QI_AVAILABLE_IN_ALL
QiCliManager     *qi_application_get_cli_manager    (QiApplication      *self);
QI_AVAILABLE_IN_ALL
QiBootstrapPhase  qi_application_get_phase          (QiApplication      *self);
QI_AVAILABLE_IN_ALL
gint64            qi_application_get_phase_duration (QiApplication      *self,
                                                     QiBootstrapPhase    phase);
QI_AVAILABLE_IN_ALL
const char       *qi_bootstrap_phase_get_title      (QiBootstrapPhase    phase);

G_END_DECLS
