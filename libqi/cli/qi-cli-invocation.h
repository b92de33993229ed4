/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "qi-cli-verb.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_CLI_INVOCATION (qi_cli_invocation_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiCliInvocation, qi_cli_invocation, QI, CLI_INVOCATION, GObject)

QI_AVAILABLE_IN_ALL
QiCliInvocation    *qi_cli_invocation_new           (QiCliVerb          *verb,
                                                     const char * const *arguments,
                                                     GOutputStream      *out,
                                                     GOutputStream      *err);
QI_AVAILABLE_IN_ALL
QiCliVerb          *qi_cli_invocation_get_verb      (QiCliInvocation    *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_cli_invocation_get_arguments (QiCliInvocation    *self);
QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_set_option    (QiCliInvocation    *self,
                                                     const char         *long_name,
                                                     GVariant           *value);
QI_AVAILABLE_IN_ALL
gboolean            qi_cli_invocation_get_flag      (QiCliInvocation    *self,
                                                     const char         *long_name);
QI_AVAILABLE_IN_ALL
const char         *qi_cli_invocation_get_string    (QiCliInvocation    *self,
                                                     const char         *long_name);
QI_AVAILABLE_IN_ALL
gboolean            qi_cli_invocation_get_int       (QiCliInvocation    *self,
                                                     const char         *long_name,
                                                     gint64             *value);
QI_AVAILABLE_IN_ALL
char              **qi_cli_invocation_dup_strv      (QiCliInvocation    *self,
                                                     const char         *long_name);
QI_AVAILABLE_IN_ALL
GOutputStream      *qi_cli_invocation_get_stdout    (QiCliInvocation    *self);
QI_AVAILABLE_IN_ALL
GOutputStream      *qi_cli_invocation_get_stderr    (QiCliInvocation    *self);
QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_write         (QiCliInvocation    *self,
                                                     const char         *text);
QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_write_error   (QiCliInvocation    *self,
                                                     const char         *text);
QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_print         (QiCliInvocation    *self,
                                                     const char         *format,
                                                     ...) G_GNUC_PRINTF (2, 3);
QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_printerr      (QiCliInvocation    *self,
                                                     const char         *format,
                                                     ...) G_GNUC_PRINTF (2, 3);

QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_print_json    (QiCliInvocation    *self,
                                                     JsonNode           *node);

QI_AVAILABLE_IN_ALL
char               *qi_cli_invocation_read_secret   (QiCliInvocation    *self,
                                                     const char         *flag,
                                                     const char         *what,
                                                     int                *status);
QI_AVAILABLE_IN_ALL
void                qi_cli_invocation_clear_secret  (char              **secret);

G_END_DECLS
