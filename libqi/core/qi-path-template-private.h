/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-path-template.h"
#include "qi-template-set.h"

G_BEGIN_DECLS

/* qi-path-template.c */

G_GNUC_INTERNAL
gboolean        qi_path_template_name_is_valid  (const char            *name);
G_GNUC_INTERNAL
QiPathTemplate *qi_path_template_new_named      (const char            *text,
                                                 const char            *name,
                                                 const char            *origin,
                                                 GError               **error);
G_GNUC_INTERNAL
gboolean        qi_path_template_check          (QiPathTemplate        *self,
                                                 QiTemplateSet         *set,
                                                 GError               **error);
G_GNUC_INTERNAL
GStrv           qi_path_template_collect_keys   (QiPathTemplate        *self,
                                                 QiTemplateSet         *set,
                                                 GError               **error);
G_GNUC_INTERNAL
GArray         *qi_path_template_compile        (QiPathTemplate        *self,
                                                 QiTemplateSet         *set,
                                                 GError               **error);
G_GNUC_INTERNAL
char           *qi_path_template_solve_compiled (QiPathTemplate        *self,
                                                 GArray                *program,
                                                 JsonObject            *fields,
                                                 QiTemplateSet         *set,
                                                 GError               **error);
/* A program solved ahead for all fields but @varying (top-level keys),
 * or NULL where that cannot be done exactly: then solve each whole.
 * qi_path_program_solve() with the values of @varying gives what solving
 * the whole program with @fields and those values gives, unless it fails
 * or is longer than QI_PATH_TEMPLATE_MAX_PATH (solve the whole then). */
typedef struct _QiPathProgram QiPathProgram;

G_GNUC_INTERNAL
QiPathProgram  *qi_path_template_specialize     (QiPathTemplate        *self,
                                                 GArray                *program,
                                                 JsonObject            *fields,
                                                 const char * const    *varying,
                                                 QiTemplateSet         *set);
G_GNUC_INTERNAL
char           *qi_path_program_solve           (QiPathProgram         *program,
                                                 JsonObject            *values,
                                                 QiTemplateSet         *set,
                                                 GError               **error);
G_GNUC_INTERNAL
void            qi_path_program_free            (QiPathProgram         *program);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QiPathProgram, qi_path_program_free)

G_GNUC_INTERNAL
JsonObject     *qi_path_template_parse_full     (QiPathTemplate        *self,
                                                 const char            *path,
                                                 QiTemplateSet         *set,
                                                 QiTemplateParseFlags   flags,
                                                 GError               **error);

/* qi-template-set.c */

G_GNUC_INTERNAL
QiPathTemplate *qi_template_set_resolve         (QiTemplateSet         *self,
                                                 const char            *from,
                                                 const char            *reference);

G_END_DECLS
