/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include "qi-launch-plan.h"

G_BEGIN_DECLS

#define QI_TYPE_LAUNCH (qi_launch_get_type ())

G_DECLARE_FINAL_TYPE (QiLaunch, qi_launch, QI, LAUNCH, GObject)

QiLaunch     *qi_launch_new            (QiLaunchPlan  *plan,
                                        const char    *log_path);
gboolean      qi_launch_spawn          (QiLaunch      *self,
                                        GError       **error);
QiLaunchPlan *qi_launch_get_plan       (QiLaunch      *self);
const char   *qi_launch_get_id         (QiLaunch      *self);
GPid          qi_launch_get_pid        (QiLaunch      *self);
gboolean      qi_launch_is_running     (QiLaunch      *self);
void          qi_launch_set_session    (QiLaunch      *self,
                                        const char    *session);
JsonNode     *qi_launch_to_json        (QiLaunch      *self);

G_END_DECLS
