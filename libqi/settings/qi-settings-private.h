/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-settings-schema.h"

G_BEGIN_DECLS

typedef struct _Key QiSettingsKey;

/* The part of @values (a layer's object for one addon) that fits the
 * schema; each value left out is described in @errors (char *), each
 * message starting with @where. */
G_GNUC_INTERNAL
JsonNode      *qi_settings_schema_filter   (QiSettingsSchema  *self,
                                            JsonNode          *values,
                                            const char        *where,
                                            GPtrArray         *errors);
G_GNUC_INTERNAL
gboolean       qi_settings_check_value     (QiSettingsKey     *key,
                                            JsonNode          *node,
                                            GError           **error);

G_END_DECLS
