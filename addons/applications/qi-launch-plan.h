/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

/* What a plan is for: the workfile only (`workfiles.next`), the
 * environment (`env explain`), or a launch, which also asks for the DCC's
 * session token. */
typedef enum
{
  QI_LAUNCH_PLAN_WORKFILE,
  QI_LAUNCH_PLAN_RESOLVE,
  QI_LAUNCH_PLAN_LAUNCH,
} QiLaunchPlanMode;

#define QI_TYPE_LAUNCH_PLAN (qi_launch_plan_get_type ())

G_DECLARE_FINAL_TYPE (QiLaunchPlan, qi_launch_plan, QI, LAUNCH_PLAN, GObject)

QiLaunchPlan  *qi_launch_plan_new             (QiHubEndpoint        *endpoint,
                                               QiSettings           *settings,
                                               JsonObject           *request,
                                               QiLaunchPlanMode      mode,
                                               const char           *launch_id);
void           qi_launch_plan_run_async       (QiLaunchPlan         *self,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean       qi_launch_plan_run_finish      (QiLaunchPlan         *self,
                                               GAsyncResult         *result,
                                               GError              **error);
const char    *qi_launch_plan_get_id          (QiLaunchPlan         *self);
JsonObject    *qi_launch_plan_get_app         (QiLaunchPlan         *self);
const char    *qi_launch_plan_get_workdir     (QiLaunchPlan         *self);
const char    *qi_launch_plan_get_workfile    (QiLaunchPlan         *self);
gboolean       qi_launch_plan_get_workfile_exists (QiLaunchPlan     *self);
const char    *qi_launch_plan_get_workfile_template (QiLaunchPlan   *self);
gint64         qi_launch_plan_get_version     (QiLaunchPlan         *self);
const char * const *qi_launch_plan_get_argv   (QiLaunchPlan         *self);
char         **qi_launch_plan_dup_envp        (QiLaunchPlan         *self);
void           qi_launch_plan_replace         (QiLaunchPlan         *self,
                                               const char * const   *argv,
                                               const char * const   *envp,
                                               const char           *layer);
JsonNode      *qi_launch_plan_describe        (QiLaunchPlan         *self);
JsonNode      *qi_launch_plan_explain         (QiLaunchPlan         *self);

G_END_DECLS
