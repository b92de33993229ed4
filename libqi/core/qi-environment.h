/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-template-set.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QI_ENVIRONMENT_ERROR:
 *
 * The error domain of launch environments (#QiEnvironment).
 */
#define QI_ENVIRONMENT_ERROR (qi_environment_error_quark ())

/**
 * QiEnvironmentError:
 * @QI_ENVIRONMENT_ERROR_INVALID: a layer is not an object of variables,
 *   or a variable's name or value is of the wrong kind
 * @QI_ENVIRONMENT_ERROR_UNDEFINED: a value refers to a variable that no
 *   layer sets and the base environment does not have
 * @QI_ENVIRONMENT_ERROR_CYCLE: values of one layer refer to each other in
 *   a circle
 *
 * Why a launch environment cannot be resolved.
 */
typedef enum {
  QI_ENVIRONMENT_ERROR_INVALID,
  QI_ENVIRONMENT_ERROR_UNDEFINED,
  QI_ENVIRONMENT_ERROR_CYCLE,
} QiEnvironmentError;

/**
 * QI_ENVIRONMENT_BASE:
 *
 * The name of the layer of the base environment (the user's own
 * variables), as qi_environment_get_origin() gives it.
 */
#define QI_ENVIRONMENT_BASE "environment"

#define QI_TYPE_ENVIRONMENT (qi_environment_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (QiEnvironment, qi_environment, QI, ENVIRONMENT, GObject)

QI_AVAILABLE_IN_ALL
GQuark          qi_environment_error_quark   (void);
QI_AVAILABLE_IN_ALL
QiEnvironment  *qi_environment_new           (const char * const  *base);
QI_AVAILABLE_IN_ALL
void            qi_environment_set_platform  (QiEnvironment       *self,
                                              QiPlatform           platform);
QI_AVAILABLE_IN_ALL
gboolean        qi_environment_add_layer     (QiEnvironment       *self,
                                              const char          *name,
                                              JsonNode            *variables,
                                              GError             **error);
QI_AVAILABLE_IN_ALL
gboolean        qi_environment_set           (QiEnvironment       *self,
                                              const char          *layer,
                                              const char          *name,
                                              const char          *value);
QI_AVAILABLE_IN_ALL
const char     *qi_environment_get           (QiEnvironment       *self,
                                              const char          *name);
QI_AVAILABLE_IN_ALL
const char     *qi_environment_get_origin    (QiEnvironment       *self,
                                              const char          *name);
QI_AVAILABLE_IN_ALL
char          **qi_environment_dup_envp      (QiEnvironment       *self);
QI_AVAILABLE_IN_ALL
JsonNode       *qi_environment_explain       (QiEnvironment       *self);

G_END_DECLS
