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
