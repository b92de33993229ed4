/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-version.h"

G_BEGIN_DECLS

typedef struct _QiCliInvocation QiCliInvocation;

/**
 * QiCliOptionKind:
 * @QI_CLI_OPTION_FLAG: an option without a value, `--json`
 * @QI_CLI_OPTION_STRING: an option with a text value, `--format=short`
 * @QI_CLI_OPTION_INT: an option with an integer value, `--limit=10`
 * @QI_CLI_OPTION_STRING_ARRAY: a text option that may be given several
 *   times, `--tag=a --tag=b`
 *
 * The kinds of option a CLI verb can take.
 */
typedef enum {
  QI_CLI_OPTION_FLAG,
  QI_CLI_OPTION_STRING,
  QI_CLI_OPTION_INT,
  QI_CLI_OPTION_STRING_ARRAY,
} QiCliOptionKind;

/**
 * QiCliVerbFunc:
 * @invocation: the parsed command line and the output streams
 * @user_data: the data given to qi_cli_verb_new()
 *
 * Runs a verb.
 *
 * Returns: the exit status: 0 for success, 1 for failure, 2 for a usage
 *   error
 */
typedef int (*QiCliVerbFunc) (QiCliInvocation *invocation,
                              gpointer         user_data);

#define QI_TYPE_CLI_VERB (qi_cli_verb_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiCliVerb, qi_cli_verb, QI, CLI_VERB, GObject)

QI_AVAILABLE_IN_ALL
QiCliVerb      *qi_cli_verb_new              (const char      *name,
                                              const char      *summary,
                                              QiCliVerbFunc    func,
                                              gpointer         user_data,
                                              GDestroyNotify   destroy);
QI_AVAILABLE_IN_ALL
const char     *qi_cli_verb_get_name         (QiCliVerb       *self);
QI_AVAILABLE_IN_ALL
const char     *qi_cli_verb_get_summary      (QiCliVerb       *self);
QI_AVAILABLE_IN_ALL
const char     *qi_cli_verb_get_description  (QiCliVerb       *self);
QI_AVAILABLE_IN_ALL
void            qi_cli_verb_set_description  (QiCliVerb       *self,
                                              const char      *description);
QI_AVAILABLE_IN_ALL
void            qi_cli_verb_set_arguments    (QiCliVerb       *self,
                                              const char      *syntax,
                                              guint            min_args,
                                              guint            max_args);
QI_AVAILABLE_IN_ALL
const char     *qi_cli_verb_get_arguments    (QiCliVerb       *self,
                                              guint           *min_args,
                                              guint           *max_args);
QI_AVAILABLE_IN_ALL
void            qi_cli_verb_add_option       (QiCliVerb       *self,
                                              const char      *long_name,
                                              QiCliOptionKind  kind,
                                              const char      *arg_name,
                                              const char      *description);
QI_AVAILABLE_IN_ALL
char          **qi_cli_verb_list_options     (QiCliVerb       *self);
QI_AVAILABLE_IN_ALL
gboolean        qi_cli_verb_get_option_info  (QiCliVerb       *self,
                                              const char      *long_name,
                                              QiCliOptionKind *kind,
                                              const char     **arg_name,
                                              const char     **description);
QI_AVAILABLE_IN_ALL
void            qi_cli_verb_set_needs_addons (QiCliVerb       *self,
                                              gboolean         needs_addons);
QI_AVAILABLE_IN_ALL
gboolean        qi_cli_verb_get_needs_addons (QiCliVerb       *self);
QI_AVAILABLE_IN_ALL
void            qi_cli_verb_set_needs_tracker (QiCliVerb      *self,
                                               gboolean        needs_tracker);
QI_AVAILABLE_IN_ALL
gboolean        qi_cli_verb_get_needs_tracker (QiCliVerb      *self);
QI_AVAILABLE_IN_ALL
void            qi_cli_verb_set_completions  (QiCliVerb       *self,
                                              const char     *const *words);
QI_AVAILABLE_IN_ALL
const char * const *qi_cli_verb_get_completions (QiCliVerb    *self);
QI_AVAILABLE_IN_ALL
int             qi_cli_verb_invoke           (QiCliVerb       *self,
                                              QiCliInvocation *invocation);

G_END_DECLS
