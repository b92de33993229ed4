/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>

#include "qi-cli-verb.h"
#include "qi-service.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_CLI_ERROR:
 *
 * The error domain of #QiCliManager.
 */
#define QI_CLI_ERROR (qi_cli_error_quark ())

/**
 * QiCliError:
 * @QI_CLI_ERROR_DUPLICATE_VERB: a verb of that name is already registered
 * @QI_CLI_ERROR_UNKNOWN_VERB: no verb of that name is registered
 * @QI_CLI_ERROR_UNSUPPORTED_SHELL: no completion script exists for that
 *   shell
 *
 * Errors of the CLI verb registry.
 */
typedef enum {
  QI_CLI_ERROR_DUPLICATE_VERB,
  QI_CLI_ERROR_UNKNOWN_VERB,
  QI_CLI_ERROR_UNSUPPORTED_SHELL,
} QiCliError;

/**
 * QI_CLI_EXIT_USAGE:
 *
 * The exit status of a command-line mistake: an unknown verb or option, a
 * missing argument, a bad configuration value.
 */
#define QI_CLI_EXIT_USAGE 2

#define QI_TYPE_CLI_MANAGER (qi_cli_manager_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiCliManager, qi_cli_manager, QI, CLI_MANAGER, QiService)

QI_AVAILABLE_IN_ALL
GQuark         qi_cli_error_quark                  (void);

QI_AVAILABLE_IN_ALL
QiCliManager  *qi_cli_manager_new                  (void);
QI_AVAILABLE_IN_ALL
gboolean       qi_cli_manager_add_verb             (QiCliManager       *self,
                                                    QiCliVerb          *verb,
                                                    GError            **error);
QI_AVAILABLE_IN_ALL
gboolean       qi_cli_manager_remove_verb          (QiCliManager       *self,
                                                    QiCliVerb          *verb);
QI_AVAILABLE_IN_ALL
QiCliVerb     *qi_cli_manager_resolve_verb         (QiCliManager       *self,
                                                    const char * const *arguments);
QI_AVAILABLE_IN_ALL
QiCliVerb     *qi_cli_manager_lookup_verb          (QiCliManager       *self,
                                                    const char         *name);
QI_AVAILABLE_IN_ALL
GPtrArray     *qi_cli_manager_list_verbs           (QiCliManager       *self);
QI_AVAILABLE_IN_ALL
int            qi_cli_manager_run                  (QiCliManager       *self,
                                                    const char * const *arguments,
                                                    GOutputStream      *out,
                                                    GOutputStream      *err);
QI_AVAILABLE_IN_ALL
char          *qi_cli_manager_format_help          (QiCliManager       *self,
                                                    const char         *verb,
                                                    GError            **error);
QI_AVAILABLE_IN_ALL
char          *qi_cli_manager_generate_completion  (QiCliManager       *self,
                                                    const char         *shell,
                                                    GError            **error);
QI_AVAILABLE_IN_ALL
char          *qi_cli_manager_generate_completion_with (QiCliManager       *self,
                                                        const char         *shell,
                                                        const char * const *declared,
                                                        GError            **error);

G_END_DECLS
