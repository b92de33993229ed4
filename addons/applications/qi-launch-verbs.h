/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

#include "qi-launcher.h"

G_BEGIN_DECLS

gboolean qi_launch_verbs_add (QiAddon     *addon,
                              QiLauncher  *launcher,
                              GError     **error);

G_END_DECLS
