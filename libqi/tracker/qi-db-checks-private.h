/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "qi-db-adapter.h"

G_BEGIN_DECLS

/* Names are at most this many bytes. */
#define QI_DB_MAX_NAME 255

/* The checked fields of a create_version spec. */
typedef struct
{
  const char *product;      /* ids as given, not checked against the tracker */
  const char *task;
  const char *author;
  const char *comment;
  const char *status;
  char       *metadata;     /* JSON text */
  JsonArray  *components;   /* borrowed, checked */
} QiDbVersionSpec;

void      qi_db_version_spec_clear (QiDbVersionSpec  *spec);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QiDbVersionSpec, qi_db_version_spec_clear)

gboolean  qi_db_check_name         (const char       *what,
                                    const char       *name,
                                    GError          **error);
gboolean  qi_db_check_kind         (const char       *kind,
                                    GError          **error);
char     *qi_db_normalize_path     (const char       *path,
                                    GError          **error);
gboolean  qi_db_read_metadata      (JsonObject       *object,
                                    const char       *where,
                                    char            **text,
                                    GError          **error);
gboolean  qi_db_version_spec_check (JsonObject       *object,
                                    QiDbVersionSpec  *spec,
                                    GError          **error);

G_END_DECLS
