/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

/**
 * QiPublishJobKind:
 * @QI_PUBLISH_JOB_INTEGRATE: publish files as a new version
 * @QI_PUBLISH_JOB_RESUME: finish the transfer of a pending version
 * @QI_PUBLISH_JOB_ABANDON: remove a pending version and its files
 *
 * What a #QiPublishJob does.
 */
typedef enum {
  QI_PUBLISH_JOB_INTEGRATE,
  QI_PUBLISH_JOB_RESUME,
  QI_PUBLISH_JOB_ABANDON,
} QiPublishJobKind;

#define QI_TYPE_PUBLISH_JOB (qi_publish_job_get_type ())
G_DECLARE_FINAL_TYPE (QiPublishJob, qi_publish_job, QI, PUBLISH_JOB, GObject)

QiPublishJob *qi_publish_job_new          (QiPublishJobKind     kind,
                                           QiHubEndpoint       *endpoint,
                                           JsonObject          *payload,
                                           const char          *reports_dir,
                                           GError             **error);
const char   *qi_publish_job_get_id       (QiPublishJob        *self);
void          qi_publish_job_run_async    (QiPublishJob        *self,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GBytes       *qi_publish_job_run_finish   (QiPublishJob        *self,
                                           GAsyncResult        *result,
                                           GError             **error);
void          qi_publish_job_cancel       (QiPublishJob        *self);
JsonNode     *qi_publish_job_describe     (QiPublishJob        *self);

G_END_DECLS
