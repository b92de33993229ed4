/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-settings-schema.h"

G_BEGIN_DECLS

typedef struct _Key QiSettingsKey;

/* The part of @values (a layer's object for one addon) that fits the
 * schema; each value left out is described in @errors (char *), each
 * message starting with @where. With @below (the resolved values of the
 * layers under the layer), the keys' validators run over it; without
 * (NULL), they do not. */
G_GNUC_INTERNAL
JsonNode      *qi_settings_schema_filter   (QiSettingsSchema  *self,
                                            JsonNode          *values,
                                            JsonNode          *below,
                                            const char        *where,
                                            GPtrArray         *errors);
/* qi_settings_schema_validate() with the validators run over @below, the
 * resolved values of the layers under the one @values are for. */
G_GNUC_INTERNAL
gboolean       qi_settings_schema_validate_over (QiSettingsSchema  *self,
                                                 JsonNode          *values,
                                                 JsonNode          *below,
                                                 const char        *where,
                                                 GError           **error);
/* The value of the key @path that a layer's @over makes on top of @below,
 * the value of the layers below (or NULL): a JSON key's objects merge
 * member by member; any other value replaces. */
G_GNUC_INTERNAL
JsonNode      *qi_settings_schema_merge_value (QiSettingsSchema  *self,
                                               const char        *path,
                                               JsonNode          *below,
                                               JsonNode          *over);
G_GNUC_INTERNAL
gboolean       qi_settings_check_value     (QiSettingsKey     *key,
                                            JsonNode          *node,
                                            GError           **error);

G_END_DECLS
