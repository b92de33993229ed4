/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-integrator.h"
#include "qi-publish-job.h"

/**
 * QiIntegrator:
 *
 * The publish addon's hub topics: `publish.integrate`, `publish.resume`,
 * `publish.abandon` (each a #QiPublishJob, answered when it ends),
 * `publish.cancel` and `publish.running` over the jobs of this run.
 * docs/protocol.md, “Publishing”.
 */

struct _QiIntegrator
{
  GObject        parent_instance;

  QiHubEndpoint *endpoint;
  char          *reports_dir;
  GHashTable    *jobs;         /* publish id → QiPublishJob */
};

G_DEFINE_FINAL_TYPE (QiIntegrator, qi_integrator, G_TYPE_OBJECT)

static void
qi_integrator_finalize (GObject *object)
{
  QiIntegrator *self = QI_INTEGRATOR (object);

  g_clear_object (&self->endpoint);
  g_free (self->reports_dir);
  g_hash_table_unref (self->jobs);
  G_OBJECT_CLASS (qi_integrator_parent_class)->finalize (object);
}

static void
qi_integrator_class_init (QiIntegratorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_integrator_finalize;
}

static void
qi_integrator_init (QiIntegrator *self)
{
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * qi_integrator_new:
 * @endpoint: the publish addon's endpoint
 * @reports_dir: where each publish's report is written
 *
 * Returns: (transfer full): a new integrator; qi_integrator_attach() puts
 *   it on the hub
 */
QiIntegrator *
qi_integrator_new (QiHubEndpoint *endpoint,
                   const char    *reports_dir)
{
  QiIntegrator *self = g_object_new (QI_TYPE_INTEGRATOR, NULL);

  self->endpoint = g_object_ref (endpoint);
  self->reports_dir = g_strdup (reports_dir);
  return self;
}

typedef struct
{
  QiIntegrator *integrator;
  QiHubRequest *request;
  char         *id;
} Running;

static void
on_job_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Running *running = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) report = qi_publish_job_run_finish (QI_PUBLISH_JOB (source), result, &error);

  /* the report's text as the job wrote it (to its file too): sent as it
   * is, not built again */
  if (report == NULL ||
      !qi_hub_request_reply_text (running->request, g_bytes_get_data (report, NULL), g_bytes_get_size (report),
                                  &error))
    qi_hub_request_fail (running->request, QI_HUB_ERROR_HANDLER_FAILED, error->message);
  /* then the job goes (a publish of 1,000 files frees large trees): the
   * job may be another of the same id by now */
  if (g_hash_table_lookup (running->integrator->jobs, running->id) == (gpointer) source)
    g_hash_table_remove (running->integrator->jobs, running->id);
  g_object_unref (running->integrator);
  g_object_unref (running->request);
  g_free (running->id);
  g_free (running);
}

static void
start (QiIntegrator     *self,
       QiHubRequest     *request,
       JsonObject       *payload,
       QiPublishJobKind  kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QiPublishJob) job = qi_publish_job_new (kind, self->endpoint, payload, self->reports_dir, &error);
  Running *running;

  if (job == NULL)
    {
      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, error->message);
      return;
    }
  if (kind == QI_PUBLISH_JOB_INTEGRATE && g_hash_table_contains (self->jobs, qi_publish_job_get_id (job)))
    {
      g_autofree char *message = g_strdup_printf (_("publish.integrate: publish: a publish “%s” runs already"),
                                                  qi_publish_job_get_id (job));

      qi_hub_request_fail (request, QI_HUB_ERROR_BAD_MESSAGE, message);
      return;
    }
  running = g_new0 (Running, 1);
  running->integrator = g_object_ref (self);
  running->request = g_object_ref (request);
  running->id = g_strdup (qi_publish_job_get_id (job));
  g_hash_table_replace (self->jobs, g_strdup (running->id), g_object_ref (job));
  qi_publish_job_run_async (job, on_job_done, running);
}

static void
on_integrate (QiHubRequest *request,
              JsonObject   *payload,
              gpointer      user_data)
{
  start (user_data, request, payload, QI_PUBLISH_JOB_INTEGRATE);
}

static void
on_resume (QiHubRequest *request,
           JsonObject   *payload,
           gpointer      user_data)
{
  start (user_data, request, payload, QI_PUBLISH_JOB_RESUME);
}

static void
on_abandon (QiHubRequest *request,
            JsonObject   *payload,
            gpointer      user_data)
{
  start (user_data, request, payload, QI_PUBLISH_JOB_ABANDON);
}

static void
on_cancel (QiHubRequest *request,
           JsonObject   *payload,
           gpointer      user_data)
{
  QiIntegrator *self = user_data;
  const char *id = qi_hub_facade_get_string (payload, "publish");
  QiPublishJob *job = g_hash_table_lookup (self->jobs, id);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (job == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("publish.cancel: no publish “%s” runs in this Qi"), id);

      qi_hub_request_fail (request, QI_HUB_ERROR_HANDLER_FAILED, message);
      return;
    }
  qi_publish_job_cancel (job);
  reply = json_object_new ();
  json_object_set_string_member (reply, "publish", id);
  json_object_set_boolean_member (reply, "cancelled", TRUE);
  node = json_node_init_object (json_node_alloc (), reply);
  qi_hub_request_reply (request, node);
}

static void
on_running (QiHubRequest *request,
            JsonObject   *payload,
            gpointer      user_data)
{
  QiIntegrator *self = user_data;
  g_autoptr(JsonObject) reply = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonArray *list = json_array_new ();
  GHashTableIter iter;
  gpointer job;

  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &job))
    json_array_add_element (list, qi_publish_job_describe (job));
  json_object_set_array_member (reply, "publishes", list);
  node = json_node_init_object (json_node_alloc (), reply);
  qi_hub_request_reply (request, node);
}

static const QiHubField no_fields[] = { { NULL } };
static const QiHubField job_fields[] = { { "version", QI_HUB_FIELD_ID, TRUE, 0 }, { NULL } };
static const QiHubField cancel_fields[] = { { "publish", QI_HUB_FIELD_NONEMPTY, TRUE, 0 }, { NULL } };

static const QiHubTopic topics[] = {
  /* the payload's shape is the job's to check: it names the member */
  { "publish.integrate", no_fields, on_integrate },
  { "publish.resume", job_fields, on_resume },
  { "publish.abandon", job_fields, on_abandon },
  { "publish.cancel", cancel_fields, on_cancel },
  { "publish.running", no_fields, on_running },
};

/**
 * qi_integrator_attach:
 * @self: a #QiIntegrator
 * @error: return location for a #GError
 *
 * Returns: whether its topics were added to the endpoint
 */
gboolean
qi_integrator_attach (QiIntegrator  *self,
                      GError       **error)
{
  g_return_val_if_fail (QI_IS_INTEGRATOR (self), FALSE);
  return qi_hub_facade_attach (self->endpoint, topics, G_N_ELEMENTS (topics), self, error);
}
