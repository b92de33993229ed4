/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

/* The addon's name: its settings are `anatomy.roots` and
 * `anatomy.templates`, and errors name them so. */
#define QI_ANATOMY_NAME "anatomy"

/* The token of a root that stands for the run's data folder. */
#define QI_ANATOMY_DATA_DIR_TOKEN "{data_dir}"

/* The settings schema of the anatomy: the keys `roots` and `templates`
 * (JSON keys, each with its validator) and their defaults. */
QiSettingsSchema *qi_anatomy_schema_new        (void);

/* The anatomy of @values (the resolved settings: `roots` and
 * `templates`), its roots' {data_dir} being @data_dir. */
QiTemplateSet    *qi_anatomy_build             (JsonObject           *values,
                                                const char           *data_dir,
                                                GError              **error);

/* The roots of @set for its platform: `{"work": "/mnt/work", …}`, by
 * name; a root the platform lacks is null. */
JsonObject       *qi_anatomy_dup_roots         (QiTemplateSet        *set,
                                                JsonObject           *values);

/* The fields the tracker knows of @project (and of @context, a path such
 * as `/sq010/sh010` or an id, and @task, a task's name there), asked
 * through @endpoint without waiting: `project[name]`, `project[code]`,
 * `hierarchy`, `folder[name]`, `folder[type]`, `task[name]`,
 * `task[type]`, and `user` when the run is logged in. */
void              qi_anatomy_lookup_async      (QiHubEndpoint        *endpoint,
                                                const char           *project,
                                                const char           *context,
                                                const char           *task,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject       *qi_anatomy_lookup_finish     (QiHubEndpoint        *endpoint,
                                                GAsyncResult         *result,
                                                GError              **error);

/* Merges @over into @into: objects member by member, anything else
 * replacing what was there. */
void              qi_anatomy_merge_fields      (JsonObject           *into,
                                                JsonObject           *over);

G_END_DECLS
