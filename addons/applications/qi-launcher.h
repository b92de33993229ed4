/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

#define QI_TYPE_LAUNCHER (qi_launcher_get_type ())

G_DECLARE_FINAL_TYPE (QiLauncher, qi_launcher, QI, LAUNCHER, GObject)

QiLauncher *qi_launcher_new          (QiAddon      *addon);
gboolean    qi_launcher_attach       (QiLauncher   *self,
                                      GError      **error);
guint       qi_launcher_get_n_running (QiLauncher  *self);

G_END_DECLS
