/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-version.h"

G_BEGIN_DECLS

/**
 * QiServiceState:
 * @QI_SERVICE_STATE_STOPPED: registered, not started, or stopped again
 * @QI_SERVICE_STATE_RUNNING: started successfully
 * @QI_SERVICE_STATE_FAILED: its start failed; see the error it reported
 *
 * Where a service is in its life.
 */
typedef enum {
  QI_SERVICE_STATE_STOPPED,
  QI_SERVICE_STATE_RUNNING,
  QI_SERVICE_STATE_FAILED,
} QiServiceState;

#define QI_TYPE_SERVICE (qi_service_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiService, qi_service, QI, SERVICE, GObject)

/**
 * QiServiceClass:
 * @parent_class: the parent class
 * @start: brings the service up; the default does nothing and succeeds
 * @stop: tears the service down; the default does nothing
 *
 * The class of core services. A subclass names itself with the
 * #QiService:name property and overrides the vfuncs it needs.
 */
struct _QiServiceClass
{
  GObjectClass parent_class;

  gboolean (*start) (QiService  *self,
                     GError    **error);
  void     (*stop)  (QiService  *self);

  /*< private >*/
  gpointer padding[8];
};

QI_AVAILABLE_IN_ALL
const char     *qi_service_get_name        (QiService  *self);
QI_AVAILABLE_IN_ALL
const char     *qi_service_get_description (QiService  *self);
QI_AVAILABLE_IN_ALL
QiServiceState  qi_service_get_state       (QiService  *self);
QI_AVAILABLE_IN_ALL
const char     *qi_service_get_state_error (QiService  *self);
QI_AVAILABLE_IN_ALL
gboolean        qi_service_start           (QiService  *self,
                                            GError    **error);
QI_AVAILABLE_IN_ALL
void            qi_service_stop            (QiService  *self);

G_END_DECLS
