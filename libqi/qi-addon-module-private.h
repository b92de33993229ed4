/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-addon-module.h"

G_BEGIN_DECLS

/* Whether the module ever registered types: the type system then keeps
 * it, and it must not be finalised. */
G_GNUC_INTERNAL
gboolean qi_addon_module_is_resident (QiAddonModule *self);

G_END_DECLS
