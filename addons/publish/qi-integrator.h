/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

#define QI_TYPE_INTEGRATOR (qi_integrator_get_type ())
G_DECLARE_FINAL_TYPE (QiIntegrator, qi_integrator, QI, INTEGRATOR, GObject)

QiIntegrator *qi_integrator_new    (QiHubEndpoint  *endpoint,
                                    const char     *reports_dir);
gboolean      qi_integrator_attach (QiIntegrator   *self,
                                    GError        **error);

G_END_DECLS
