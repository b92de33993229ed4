/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-cli-invocation.h"
#include "qi-cli-manager.h"
#include "qi-launch-config.h"
#include "qi-service.h"

G_BEGIN_DECLS

/*
 * What libqi's own verbs reach through their invocation: the run's
 * services by name and its launch configuration. The application sets it
 * (qi_cli_manager_set_context()); the verbs that live beside each service
 * (settings/qi-settings-verbs.c, tracker/qi-db-verbs.c, …) use it, so that
 * none of them includes the application and the application includes
 * none of their internals but their registration function.
 */
typedef struct
{
  /* (transfer none) (nullable) */
  QiService      *(*lookup_service)    (GObject    *owner,
                                        const char *name);
  /* (transfer none) (nullable): NULL before phase 0 built it */
  QiLaunchConfig *(*get_launch_config) (GObject    *owner);
} QiCliContext;

/* @owner is held weakly: a binding that keeps the CLI manager after the
 * application is gone gets "the application is gone", not a crash. */
G_GNUC_INTERNAL
void            qi_cli_manager_set_context          (QiCliManager       *self,
                                                     const QiCliContext *context,
                                                     GObject            *owner);

/* Adds one of libqi's verbs, whose names never clash. Takes @verb. */
G_GNUC_INTERNAL
void            qi_cli_manager_add_builtin          (QiCliManager       *self,
                                                     QiCliVerb          *verb);

G_GNUC_INTERNAL
void            qi_cli_invocation_set_context       (QiCliInvocation    *self,
                                                     const QiCliContext *context,
                                                     GObject            *owner);

/* The service @name, a new reference, if it is registered and a @type;
 * otherwise prints "qi VERB: …" on the invocation's stderr and returns
 * NULL. */
G_GNUC_INTERNAL
gpointer        qi_cli_invocation_dup_service       (QiCliInvocation    *self,
                                                     const char         *name,
                                                     GType               type);

/* The run's launch configuration (transfer none), or NULL after printing
 * why. */
G_GNUC_INTERNAL
QiLaunchConfig *qi_cli_invocation_get_launch_config (QiCliInvocation    *self);

G_END_DECLS
