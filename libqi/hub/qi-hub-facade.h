/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "qi-hub-endpoint.h"
#include "qi-hub-request.h"
#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiHubFieldType:
 * @QI_HUB_FIELD_STRING: a string
 * @QI_HUB_FIELD_NONEMPTY: a string that is not empty
 * @QI_HUB_FIELD_INT: an integer, at least #QiHubField.minimum
 * @QI_HUB_FIELD_BOOL: true or false
 * @QI_HUB_FIELD_OBJECT: an object
 * @QI_HUB_FIELD_ARRAY: an array
 * @QI_HUB_FIELD_ID: an id: a non-empty string, or an integer from 1 (read
 *   as its decimal text)
 * @QI_HUB_FIELD_CONTEXT: a tracker context: an id as %QI_HUB_FIELD_ID, or
 *   a path such as `/sq010/sh020` (which needs a `project` beside it)
 * @QI_HUB_FIELD_ANY: any value
 *
 * The type of one member of a request payload (see #QiHubField).
 */
typedef enum {
  QI_HUB_FIELD_STRING,
  QI_HUB_FIELD_NONEMPTY,
  QI_HUB_FIELD_INT,
  QI_HUB_FIELD_BOOL,
  QI_HUB_FIELD_OBJECT,
  QI_HUB_FIELD_ARRAY,
  QI_HUB_FIELD_ID,
  QI_HUB_FIELD_CONTEXT,
  QI_HUB_FIELD_ANY,
} QiHubFieldType;

/**
 * QiHubField:
 * @name: the member's name; %NULL ends a list of fields
 * @type: what it must hold
 * @required: whether it must be there (a member that is `null` counts as
 *   absent)
 * @minimum: the least value of a %QI_HUB_FIELD_INT
 *
 * One member of a request payload, for qi_hub_facade_attach().
 */
typedef struct {
  const char     *name;
  QiHubFieldType  type;
  gboolean        required;
  gint64          minimum;
} QiHubField;

/**
 * QiHubFacadeFunc:
 * @request: the request, its payload checked against the topic's fields
 * @payload: its payload, an object
 * @user_data: the data given to qi_hub_facade_attach()
 *
 * Answers one request of a #QiHubTopic, now or later (with
 * qi_hub_request_reply() or qi_hub_request_fail()).
 */
typedef void (*QiHubFacadeFunc) (QiHubRequest *request,
                                 JsonObject   *payload,
                                 gpointer      user_data);

/**
 * QiHubTopic:
 * @topic: the request topic
 * @fields: (array zero-terminated=1): its payload's members, ended by one
 *   whose name is %NULL
 * @handler: what answers it
 *
 * One topic of a service's hub façade (qi_hub_facade_attach()).
 */
typedef struct {
  const char       *topic;
  const QiHubField *fields;
  QiHubFacadeFunc   handler;
} QiHubTopic;

QI_AVAILABLE_IN_ALL
gboolean     qi_hub_facade_attach       (QiHubEndpoint     *endpoint,
                                         const QiHubTopic  *topics,
                                         gsize              n_topics,
                                         gpointer           user_data,
                                         GError           **error);

QI_AVAILABLE_IN_ALL
gboolean     qi_hub_facade_check        (const char        *topic,
                                         const QiHubField  *fields,
                                         JsonObject        *payload,
                                         GError           **error);

QI_AVAILABLE_IN_ALL
const char  *qi_hub_facade_get_string   (JsonObject        *payload,
                                         const char        *name);
QI_AVAILABLE_IN_ALL
char        *qi_hub_facade_dup_id       (JsonObject        *payload,
                                         const char        *name);
QI_AVAILABLE_IN_ALL
gint64       qi_hub_facade_get_int      (JsonObject        *payload,
                                         const char        *name,
                                         gint64             fallback);
QI_AVAILABLE_IN_ALL
gboolean     qi_hub_facade_get_bool     (JsonObject        *payload,
                                         const char        *name,
                                         gboolean           fallback);

G_END_DECLS
