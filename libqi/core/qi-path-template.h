/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "qi-version.h"

G_BEGIN_DECLS

typedef struct _QiTemplateSet QiTemplateSet;

/**
 * QI_TEMPLATE_ERROR:
 *
 * The error domain of path templates (#QiPathTemplate) and template sets
 * (#QiTemplateSet).
 */
#define QI_TEMPLATE_ERROR (qi_template_error_quark ())

/**
 * QiTemplateError:
 * @QI_TEMPLATE_ERROR_SYNTAX: a template is not well formed: an unbalanced
 *   `{`, `}`, `<` or `>`, an empty key, a bad format spec, …; the message
 *   names the template's origin and the character offset
 * @QI_TEMPLATE_ERROR_MISSING_KEY: the fields lack a key the template
 *   needs outside an optional segment, or the set lacks a root for its
 *   platform
 * @QI_TEMPLATE_ERROR_BAD_VALUE: a value does not suit its field: the
 *   wrong JSON type for the format spec, empty, or holding a path
 *   separator where none may be; also roots that are not well formed
 * @QI_TEMPLATE_ERROR_NO_MATCH: a path is not one the template makes
 * @QI_TEMPLATE_ERROR_REFERENCE: a reference `{@name}` names no template
 *   of the set, or there is no set to look it up in; or the set has no
 *   template of the name asked for
 * @QI_TEMPLATE_ERROR_CYCLE: templates reference each other in a cycle
 * @QI_TEMPLATE_ERROR_LIMIT: a template, a path or the work of reading a
 *   path is larger than Qi handles (see %QI_PATH_TEMPLATE_MAX_LENGTH and
 *   %QI_PATH_TEMPLATE_MAX_PATH)
 *
 * Errors of path templates.
 */
typedef enum {
  QI_TEMPLATE_ERROR_SYNTAX,
  QI_TEMPLATE_ERROR_MISSING_KEY,
  QI_TEMPLATE_ERROR_BAD_VALUE,
  QI_TEMPLATE_ERROR_NO_MATCH,
  QI_TEMPLATE_ERROR_REFERENCE,
  QI_TEMPLATE_ERROR_CYCLE,
  QI_TEMPLATE_ERROR_LIMIT,
} QiTemplateError;

/**
 * QI_PATH_TEMPLATE_MAX_LENGTH:
 *
 * The longest template text qi_path_template_new() accepts, in bytes.
 */
#define QI_PATH_TEMPLATE_MAX_LENGTH 4096

/**
 * QI_PATH_TEMPLATE_MAX_PATH:
 *
 * The longest path a template solves to or reads, in bytes: that of
 * Windows' long paths.
 */
#define QI_PATH_TEMPLATE_MAX_PATH 32767

typedef struct _QiPathTemplate QiPathTemplate;

#define QI_TYPE_PATH_TEMPLATE (qi_path_template_get_type ())

QI_AVAILABLE_IN_ALL
GQuark              qi_template_error_quark          (void);

QI_AVAILABLE_IN_ALL
GType               qi_path_template_get_type        (void) G_GNUC_CONST;

QI_AVAILABLE_IN_ALL
QiPathTemplate     *qi_path_template_new             (const char      *text,
                                                      GError         **error);
QI_AVAILABLE_IN_ALL
QiPathTemplate     *qi_path_template_new_with_origin (const char      *text,
                                                      const char      *origin,
                                                      GError         **error);
QI_AVAILABLE_IN_ALL
QiPathTemplate     *qi_path_template_ref             (QiPathTemplate  *self);
QI_AVAILABLE_IN_ALL
void                qi_path_template_unref           (QiPathTemplate  *self);

QI_AVAILABLE_IN_ALL
const char         *qi_path_template_get_text        (QiPathTemplate  *self);
QI_AVAILABLE_IN_ALL
const char         *qi_path_template_get_name        (QiPathTemplate  *self);
QI_AVAILABLE_IN_ALL
const char         *qi_path_template_get_origin      (QiPathTemplate  *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_path_template_get_keys        (QiPathTemplate  *self);
QI_AVAILABLE_IN_ALL
const char * const *qi_path_template_get_references  (QiPathTemplate  *self);

QI_AVAILABLE_IN_ALL
char               *qi_path_template_solve           (QiPathTemplate  *self,
                                                      JsonObject      *fields,
                                                      QiTemplateSet   *set,
                                                      GError         **error);
QI_AVAILABLE_IN_ALL
JsonObject         *qi_path_template_parse           (QiPathTemplate  *self,
                                                      const char      *path,
                                                      QiTemplateSet   *set,
                                                      GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QiPathTemplate, qi_path_template_unref)

G_END_DECLS
