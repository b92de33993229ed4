/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-db-adapter.h"
#include "qi-hub-facade.h"

G_BEGIN_DECLS

/*
 * The operations of the tracker-neutral API by name, as the hub has them
 * (`db_service.NAME`) and qi_db_adapter_call_async() runs them: the
 * members of their arguments (checked by qi_hub_facade_check() before an
 * operation runs) and the function that runs it, in whatever thread the
 * call is in.
 */
typedef JsonNode *(*QiDbOperationFunc) (QiDbAdapter  *adapter,
                                        JsonObject   *arguments,
                                        const char   *topic,
                                        GError      **error);

typedef struct
{
  const char        *name;    /* "context.list" */
  const char        *topic;   /* "db_service.context.list" */
  const QiHubField  *fields;
  QiDbOperationFunc  func;
} QiDbOperation;

G_GNUC_INTERNAL
const QiDbOperation *qi_db_operations_get    (gsize      *n_operations);
G_GNUC_INTERNAL
const QiDbOperation *qi_db_operations_lookup (const char *name);

G_END_DECLS
