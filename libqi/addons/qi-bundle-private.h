/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-bundle.h"

G_BEGIN_DECLS

/* The manager stamps the bundles it stores; nobody else sets the times. */
G_GNUC_INTERNAL
void     qi_bundle_set_times           (QiBundle   *self,
                                        GDateTime  *created,
                                        GDateTime  *modified);

/* Whether @value, an addon's entry, is a local folder (an absolute path)
 * rather than a version. */
G_GNUC_INTERNAL
gboolean qi_bundle_value_is_local_path (const char *value);

G_END_DECLS
