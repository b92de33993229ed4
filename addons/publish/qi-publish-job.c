/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-file-transfer.h"
#include "qi-publish-job.h"

/**
 * QiPublishJob:
 *
 * One publish (or the resumption or abandonment of one), step by step on
 * the hub's main context: each step asks the hub (the settings, the
 * anatomy, the tracker through `db_service.*`) and the next one starts
 * from its answer; what blocks — reading the sources' sizes, the
 * transfer, the report — runs in a thread. So the hub answers everything
 * else while a publish of a thousand frames runs.
 *
 * A publish: the addon's settings (`config.get`) → the templates and roots
 * (`templates.list`) and the tracker's fields of the context and task
 * (`templates.solve`) → the context, the task and the product (made when
 * missing) → the product's next number → each file's destination, solved
 * here from the templates, and the version to create, while a thread
 * reads the sources' sizes → the destinations' absence, in a thread →
 * phase 1: `db_service.version.create` with the
 * number it expects (another publisher took it: the number again, paths
 * again) → phase 2, in threads: the #QiFileTransfer → the version
 * published with the checksums (`db_service.version.publish`) → the
 * report, written in the tracker's data folder. A transfer that fails is
 * undone and its version abandoned.
 */

#define REQUEST_TIMEOUT_MS 120000
#define MAX_ATTEMPTS 100
#define PROGRESS_INTERVAL_MS 100
#define PUBLISH_ROOT "publish"

typedef struct
{
  guint     representation;
  guint     index;
  char     *name;         /* the representation's (the component's) */
  char     *source;
  JsonNode *frame;        /* nullable */
  JsonNode *udim;         /* nullable */
  char     *destination;  /* absolute */
  char     *relative;     /* as the tracker keeps it: below the root */
} File;

struct _QiPublishJob
{
  GObject           parent_instance;

  QiPublishJobKind  kind;
  QiHubEndpoint    *endpoint;
  JsonObject       *payload;
  char             *reports_dir;
  char             *id;
  const char       *topic;

  GTask            *task;
  GCancellable     *cancellable;
  gint64            started_us;
  gint64            transfer_us;
  gint64            step_us;        /* when the last step timed ended */
  JsonObject       *durations;      /* the steps' times, in µs */

  /* what the steps learn */
  char             *project;
  char             *context_path;
  char             *context_id;
  char             *task_name;
  char             *task_id;
  char             *product_type;
  char             *product_name;
  char             *product_id;
  char             *author;
  char             *template_name;
  QiTransferMode    mode;
  gboolean          dry_run;
  JsonArray        *product_types;
  QiTemplateSet    *templates;
  char             *root_path;      /* the publish root on this platform, or NULL */
  JsonObject       *fields;
  GPtrArray        *files;          /* File */
  gint64            number;
  guint             attempts;
  char             *version_id;
  JsonNode         *version;
  JsonNode         *pending;        /* resume, abandon: the version as the tracker has it */
  GBytes           *report;         /* once published: what is written and answered, as text */
  char             *report_path;    /* the file it was written to, flushed after the answer */
  JsonArray        *report_files;   /* its files, listed while the version is published */
  gint64            report_bytes;
  guint             report_waits;   /* for the version's publish and that list */
  QiFileTransfer   *transfer;
  gboolean          sources_started; /* their sizes read in a thread while the destinations are solved */
  gboolean          sources_read;
  GError           *sources_error;  /* why they could not be */
  gboolean          destinations_solved; /* for self->number, not checked yet */
  JsonObject       *spec;           /* the version to create, for self->number */
  GPtrArray        *spec_files;     /* its files' entries (JsonObject), in the order of files */
  guint             progress_source;
  gint64            bytes_total;    /* of the sources, once checked */
  gint64            rate_limit;     /* bytes a second, 0: none */
  GError           *failure;        /* kept while the version is abandoned */
  char             *create_error;   /* why the last version.create failed, while the number is asked again */
  char             *exists_error;   /* a destination found there, while the number is asked again */
  gboolean          product_retried;
  GPtrArray        *removed;        /* abandon */
};

G_DEFINE_FINAL_TYPE (QiPublishJob, qi_publish_job, G_TYPE_OBJECT)

typedef void (*Step) (QiPublishJob *self, JsonObject *reply, const GError *error);

static void
file_free (gpointer data)
{
  File *file = data;

  g_free (file->name);
  g_free (file->source);
  g_clear_pointer (&file->frame, json_node_unref);
  g_clear_pointer (&file->udim, json_node_unref);
  g_free (file->destination);
  g_free (file->relative);
  g_free (file);
}

static void
qi_publish_job_finalize (GObject *object)
{
  QiPublishJob *self = QI_PUBLISH_JOB (object);

  g_clear_handle_id (&self->progress_source, g_source_remove);
  g_clear_object (&self->endpoint);
  g_clear_pointer (&self->payload, json_object_unref);
  g_free (self->reports_dir);
  g_free (self->id);
  g_clear_object (&self->task);
  g_clear_object (&self->cancellable);
  g_free (self->project);
  g_free (self->context_path);
  g_free (self->context_id);
  g_free (self->task_name);
  g_free (self->task_id);
  g_free (self->product_type);
  g_free (self->product_name);
  g_free (self->product_id);
  g_free (self->author);
  g_free (self->template_name);
  g_clear_pointer (&self->product_types, json_array_unref);
  g_clear_object (&self->templates);
  g_free (self->root_path);
  g_clear_pointer (&self->fields, json_object_unref);
  g_ptr_array_unref (self->files);
  g_free (self->version_id);
  g_clear_pointer (&self->version, json_node_unref);
  g_clear_pointer (&self->report_files, json_array_unref);
  g_clear_pointer (&self->pending, json_node_unref);
  g_clear_pointer (&self->report, g_bytes_unref);
  g_free (self->report_path);
  g_clear_object (&self->transfer);
  g_clear_error (&self->failure);
  g_clear_error (&self->sources_error);
  g_clear_pointer (&self->spec, json_object_unref);
  g_clear_pointer (&self->spec_files, g_ptr_array_unref);
  g_free (self->create_error);
  g_free (self->exists_error);
  g_ptr_array_unref (self->removed);
  json_object_unref (self->durations);
  G_OBJECT_CLASS (qi_publish_job_parent_class)->finalize (object);
}

static void
qi_publish_job_class_init (QiPublishJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_publish_job_finalize;
}

static void
qi_publish_job_init (QiPublishJob *self)
{
  self->files = g_ptr_array_new_with_free_func (file_free);
  self->removed = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  self->durations = json_object_new ();
}

/* The time since the last step ended (or the job started), as @step's:
 * the report's `durations_us`. A step taken again (the number asked
 * again) adds up. */
static void
step_done (QiPublishJob *self,
           const char   *step)
{
  gint64 now = g_get_monotonic_time ();

  json_object_set_int_member (self->durations, step, json_object_get_int_member_with_default (self->durations, step, 0) +
                                                     (now - self->step_us));
  self->step_us = now;
}

/* The payload. */

static gboolean
invalid (GError     **error,
         const char  *topic,
         const char  *where,
         const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: %s: %s", topic, where, what);
  return FALSE;
}

static gboolean
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
is_int (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
absent (JsonObject *object,
        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

static const char *
optional_string (JsonObject *object,
                 const char *name)
{
  return absent (object, name) ? NULL : json_object_get_string_member (object, name);
}

static gboolean
check_strings (JsonObject  *object,
               const char  *topic,
               const char  *where,
               const char * const *names,
               gboolean     required,
               GError     **error)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (object, names[i]);
      g_autofree char *place = g_strdup_printf ("%s%s", where, names[i]);

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        {
          if (required)
            return invalid (error, topic, place, _("is missing: it must be a string that is not empty"));
          continue;
        }
      if (!is_string (node) || (required && *json_node_get_string (node) == '\0'))
        return invalid (error, topic, place, required ? _("must be a string that is not empty")
                                                      : _("must be a string"));
    }
  return TRUE;
}

static gboolean
check_representation (JsonNode    *node,
                      guint        i,
                      const char  *topic,
                      GHashTable  *names,
                      GError     **error)
{
  g_autofree char *where = g_strdup_printf ("representations[%u].", i);
  g_autofree char *files_where = g_strdup_printf ("representations[%u].files", i);
  JsonObject *object;
  JsonNode *files, *tags;
  const char *name, *ext;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *place = g_strdup_printf ("representations[%u]", i);

      return invalid (error, topic, place, _("must be an object with name, ext and files"));
    }
  object = json_node_get_object (node);
  if (!check_strings (object, topic, where, (const char * const []) { "name", NULL }, TRUE, error) ||
      !check_strings (object, topic, where, (const char * const []) { "ext", NULL }, FALSE, error))
    return FALSE;
  name = json_object_get_string_member (object, "name");
  {
    g_autofree char *what = g_strdup_printf ("%s: %sname", topic, where);
    g_autoptr(GError) local_error = NULL;

    if (!qi_db_check_name (what, name, &local_error))
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, local_error->message);
        return FALSE;
      }
  }
  if (!g_hash_table_add (names, (gpointer) name))
    {
      g_autofree char *place = g_strdup_printf ("%sname", where);
      g_autofree char *what = g_strdup_printf (_("“%s” is the name of an earlier representation"), name);

      return invalid (error, topic, place, what);
    }
  ext = optional_string (object, "ext");
  if (ext != NULL && (*ext == '.' || strchr (ext, '/') != NULL || strchr (ext, '\\') != NULL))
    {
      g_autofree char *place = g_strdup_printf ("%sext", where);

      return invalid (error, topic, place, _("must be an extension without its dot, such as “exr”"));
    }
  for (const char * const *member = (const char * const []) { "frame_start", "frame_end", NULL }; *member; member++)
    if (!absent (object, *member) && !is_int (json_object_get_member (object, *member)))
      {
        g_autofree char *place = g_strdup_printf ("%s%s", where, *member);

        return invalid (error, topic, place, _("must be an integer"));
      }
  if (!absent (object, "metadata") && !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "metadata")))
    {
      g_autofree char *place = g_strdup_printf ("%smetadata", where);

      return invalid (error, topic, place, _("must be an object"));
    }
  tags = json_object_get_member (object, "tags");
  if (tags != NULL && !JSON_NODE_HOLDS_NULL (tags))
    {
      gboolean ok = JSON_NODE_HOLDS_ARRAY (tags);

      for (guint t = 0; ok && t < json_array_get_length (json_node_get_array (tags)); t++)
        ok = is_string (json_array_get_element (json_node_get_array (tags), t));
      if (!ok)
        {
          g_autofree char *place = g_strdup_printf ("%stags", where);

          return invalid (error, topic, place, _("must be a list of strings"));
        }
    }

  files = json_object_get_member (object, "files");
  if (files == NULL || !JSON_NODE_HOLDS_ARRAY (files) || json_array_get_length (json_node_get_array (files)) == 0)
    return invalid (error, topic, files_where, _("must be a list of files, at least one"));
  for (guint f = 0; f < json_array_get_length (json_node_get_array (files)); f++)
    {
      JsonNode *file = json_array_get_element (json_node_get_array (files), f);
      g_autofree char *place = g_strdup_printf ("%s[%u]", files_where, f);
      const char *path = NULL;

      if (is_string (file))
        path = json_node_get_string (file);
      else if (JSON_NODE_HOLDS_OBJECT (file))
        {
          JsonObject *entry = json_node_get_object (file);

          if (is_string (json_object_get_member (entry, "path")))
            path = json_object_get_string_member (entry, "path");
          for (const char * const *member = (const char * const []) { "frame", "udim", NULL }; *member; member++)
            if (!absent (entry, *member) && !is_int (json_object_get_member (entry, *member)))
              {
                g_autofree char *sub = g_strdup_printf ("%s.%s", place, *member);

                return invalid (error, topic, sub, _("must be an integer"));
              }
        }
      if (path == NULL)
        return invalid (error, topic, place, _("must be an absolute path, or {path, frame, udim}"));
      if (!g_path_is_absolute (path))
        {
          g_autofree char *what = g_strdup_printf (_("“%s” is not an absolute path"), path);

          return invalid (error, topic, place, what);
        }
    }
  return TRUE;
}

static gboolean
check_integrate (JsonObject  *payload,
                 const char  *topic,
                 GError     **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  JsonNode *representations;
  const char *context, *mode;
  QiTransferMode unused;

  if (!check_strings (payload, topic, "",
                      (const char * const []) { "project", "context", "product_type", "product_name", NULL },
                      TRUE, error) ||
      !check_strings (payload, topic, "",
                      (const char * const []) { "task", "variant", "comment", "status", "mode", "publish", NULL },
                      FALSE, error))
    return FALSE;
  context = json_object_get_string_member (payload, "context");
  if (*context != '/')
    return invalid (error, topic, "context", _("must be the context's path, such as /sq010/sh010"));
  mode = optional_string (payload, "mode");
  if (mode != NULL && !qi_transfer_mode_from_string (mode, &unused))
    return invalid (error, topic, "mode", _("must be copy, hardlink or reflink"));
  if (!absent (payload, "dry_run") &&
      (!JSON_NODE_HOLDS_VALUE (json_object_get_member (payload, "dry_run")) ||
       json_node_get_value_type (json_object_get_member (payload, "dry_run")) != G_TYPE_BOOLEAN))
    return invalid (error, topic, "dry_run", _("must be true or false"));
  if (!absent (payload, "metadata") && !JSON_NODE_HOLDS_OBJECT (json_object_get_member (payload, "metadata")))
    return invalid (error, topic, "metadata", _("must be an object"));
  {
    g_autofree char *what = g_strdup_printf ("%s: product_name", topic);
    g_autoptr(GError) local_error = NULL;

    if (!qi_db_check_name (what, json_object_get_string_member (payload, "product_name"), &local_error))
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, local_error->message);
        return FALSE;
      }
  }

  representations = json_object_get_member (payload, "representations");
  if (representations == NULL || !JSON_NODE_HOLDS_ARRAY (representations) ||
      json_array_get_length (json_node_get_array (representations)) == 0)
    return invalid (error, topic, "representations", _("must be a list of representations, at least one"));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (representations)); i++)
    if (!check_representation (json_array_get_element (json_node_get_array (representations), i), i, topic, names,
                               error))
      return FALSE;
  return TRUE;
}

/**
 * qi_publish_job_new:
 * @kind: what the job does
 * @endpoint: the hub endpoint the job asks through (the publish addon's)
 * @payload: the request's payload (docs/protocol.md, “Publishing”)
 * @reports_dir: the folder of the reports
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the job, or %NULL with @error
 *   (%G_IO_ERROR_INVALID_ARGUMENT) naming what is wrong with @payload
 */
QiPublishJob *
qi_publish_job_new (QiPublishJobKind  kind,
                    QiHubEndpoint    *endpoint,
                    JsonObject       *payload,
                    const char       *reports_dir,
                    GError          **error)
{
  static const char * const topics[] = { "publish.integrate", "publish.resume", "publish.abandon" };
  g_autoptr(QiPublishJob) self = NULL;
  g_autoptr(JsonNode) wrapper = NULL;
  g_autoptr(JsonNode) copy = NULL;

  g_return_val_if_fail (QI_IS_HUB_ENDPOINT (endpoint), NULL);
  g_return_val_if_fail (payload != NULL, NULL);

  if (kind == QI_PUBLISH_JOB_INTEGRATE && !check_integrate (payload, topics[kind], error))
    return NULL;
  if (kind != QI_PUBLISH_JOB_INTEGRATE)
    {
      JsonNode *version = json_object_get_member (payload, "version");

      if (!is_string (version) && !is_int (version))
        {
          invalid (error, topics[kind], "version", _("is missing: it must be the id of a pending version"));
          return NULL;
        }
    }

  self = g_object_new (QI_TYPE_PUBLISH_JOB, NULL);
  self->kind = kind;
  self->topic = topics[kind];
  self->endpoint = g_object_ref (endpoint);
  wrapper = json_node_init_object (json_node_alloc (), payload);
  copy = json_node_copy (wrapper);
  self->payload = json_object_ref (json_node_get_object (copy));
  self->reports_dir = g_strdup (reports_dir);
  if (kind == QI_PUBLISH_JOB_INTEGRATE)
    {
      const char *mode = optional_string (payload, "mode");

      self->id = g_strdup (optional_string (payload, "publish"));
      self->project = g_strdup (json_object_get_string_member (payload, "project"));
      self->context_path = g_strdup (json_object_get_string_member (payload, "context"));
      self->task_name = g_strdup (optional_string (payload, "task"));
      self->product_type = g_strdup (json_object_get_string_member (payload, "product_type"));
      self->product_name = g_strdup (json_object_get_string_member (payload, "product_name"));
      self->dry_run = json_object_get_boolean_member_with_default (payload, "dry_run", FALSE);
      self->mode = QI_TRANSFER_MODE_COPY;
      if (mode != NULL)
        qi_transfer_mode_from_string (mode, &self->mode);
    }
  else
    {
      g_autofree char *version = qi_hub_facade_dup_id (payload, "version");

      self->version_id = g_steal_pointer (&version);
    }
  if (self->id == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();

      self->id = g_strndup (uuid, 8);
    }
  return g_steal_pointer (&self);
}

const char *
qi_publish_job_get_id (QiPublishJob *self)
{
  g_return_val_if_fail (QI_IS_PUBLISH_JOB (self), NULL);
  return self->id;
}

/* Ending. */

/* Emits @payload (taken). */
static void
emit (QiPublishJob *self,
      const char   *topic,
      JsonObject   *payload)
{
  g_autoptr(JsonObject) owned = payload;
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), owned);
  g_autoptr(GError) error = NULL;

  if (!qi_hub_endpoint_emit (self->endpoint, topic, node, &error))
    g_debug ("%s: %s", topic, error->message);
}

static void
emit_finished (QiPublishJob *self,
               const char   *state,
               const GError *error)
{
  g_autoptr(JsonObject) payload = json_object_new ();

  if (self->kind == QI_PUBLISH_JOB_ABANDON)
    return;
  json_object_set_string_member (payload, "publish", self->id);
  if (self->version_id != NULL)
    json_object_set_string_member (payload, "version", self->version_id);
  else
    json_object_set_null_member (payload, "version");
  json_object_set_string_member (payload, "state", state);
  if (error != NULL)
    json_object_set_string_member (payload, "error", error->message);
  emit (self, "publish.finished", g_steal_pointer (&payload));
}

/* @report as the compact JSON text it is answered and kept as. */
static GBytes *
report_text (JsonNode *report)
{
  gsize length = 0;
  char *text = qi_json_to_string (report, QI_JSON_WRITE_DEFAULT, &length);

  return g_bytes_new_take (text, length);
}

/* Ends the job with @report (transfer full), a REPORT as text. */
static void
finish_with_text (QiPublishJob *self,
                  GBytes       *report)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_clear_handle_id (&self->progress_source, g_source_remove);
  if (!self->dry_run)
    emit_finished (self, "published", NULL);
  g_task_return_pointer (task, report, (GDestroyNotify) g_bytes_unref);
}

/* Ends the job with @report (transfer full). */
static void
finish (QiPublishJob *self,
        JsonNode     *report)
{
  g_autoptr(JsonNode) owned = report;

  finish_with_text (self, report_text (report));
}

static void
fail_with (QiPublishJob *self,
           GError       *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_handle_id (&self->progress_source, g_source_remove);
  if (!self->dry_run)
    emit_finished (self, cancelled ? "cancelled" : "failed", error);
  g_task_return_error (task, error);
}

static void
fail (QiPublishJob *self,
      const char   *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
fail (QiPublishJob *self,
      const char   *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fail_with (self, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", self->topic, message));
}

static void
fail_cancelled (QiPublishJob *self)
{
  fail_with (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("%s: the publish %s was cancelled"),
                                self->topic, self->id));
}

/* Asking the hub. */

typedef struct
{
  QiPublishJob *job;
  Step          next;
  gboolean      handles_errors;
} Call;

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(QiPublishJob) self = call->job;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &error);
  Step next = call->next;
  gboolean handles_errors = call->handles_errors;

  g_free (call);
  if (reply == NULL && !handles_errors)
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        fail_cancelled (self);
      else
        fail (self, "%s", error->message);
      return;
    }
  if (reply != NULL && !JSON_NODE_HOLDS_OBJECT (reply))
    {
      fail (self, _("the hub's answer is not an object"));
      return;
    }
  next (self, reply != NULL ? json_node_get_object (reply) : NULL, error);
}

/* Asks @topic with @payload (taken) and goes on with @next. */
static void
ask_full (QiPublishJob *self,
          const char   *topic,
          JsonObject   *payload,
          Step          next,
          gboolean      handles_errors)
{
  g_autoptr(JsonObject) owned = payload;
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), owned);
  Call *call = g_new0 (Call, 1);

  call->job = g_object_ref (self);
  call->next = next;
  call->handles_errors = handles_errors;
  /* sealed, the hub shares the payload rather than copying it */
  json_node_seal (node);
  /* a request in flight is not cancelled: its answer is needed to undo */
  qi_hub_endpoint_request_async (self->endpoint, topic, node, REQUEST_TIMEOUT_MS, NULL, on_reply, call);
}

static void
ask (QiPublishJob *self,
     const char   *topic,
     JsonObject   *payload,
     Step          next)
{
  ask_full (self, topic, payload, next, FALSE);
}

/* Running in a thread. */

typedef gboolean (*ThreadFunc) (QiPublishJob *self, GError **error);
typedef void (*AfterThread) (QiPublishJob *self, GError *error);

typedef struct
{
  ThreadFunc  func;
  AfterThread after;
} ThreadCall;

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  ThreadCall *call = task_data;
  GError *error = NULL;

  if (call->func (QI_PUBLISH_JOB (source), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_thread_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  QiPublishJob *self = QI_PUBLISH_JOB (source);
  AfterThread after = user_data;
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  after (self, error);
}

static void
in_thread (QiPublishJob *self,
           ThreadFunc    func,
           AfterThread   after)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, on_thread_done, after);
  ThreadCall *call = g_new0 (ThreadCall, 1);

  call->func = func;
  call->after = after;
  g_task_set_task_data (task, call, g_free);
  g_task_run_in_thread (task, run_thread);
}

/* JSON helpers. */

static JsonObject *
new_object (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* name, value (strings), …, NULL; a NULL value leaves the member out */
static JsonObject *
new_object (const char *first,
            ...)
{
  JsonObject *object = json_object_new ();
  va_list args;

  va_start (args, first);
  for (const char *name = first; name != NULL; name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        json_object_set_string_member (object, name, value);
    }
  va_end (args);
  return object;
}

static char *
id_of (JsonObject *object,
       const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (is_string (node))
    return g_strdup (json_node_get_string (node));
  if (is_int (node))
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

static JsonArray *
array_member (JsonObject *object,
              const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
object_member (JsonObject *object,
               const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
representations (QiPublishJob *self)
{
  return json_object_get_array_member (self->payload, "representations");
}

static JsonObject *
representation (QiPublishJob *self,
                guint         index)
{
  return json_array_get_object_element (representations (self), index);
}

static gboolean
is_thumbnail (JsonObject *rep)
{
  JsonArray *tags = array_member (rep, "tags");

  if (g_strcmp0 (json_object_get_string_member (rep, "name"), "thumbnail") == 0)
    return TRUE;
  for (guint i = 0; tags != NULL && i < json_array_get_length (tags); i++)
    if (g_strcmp0 (json_array_get_string_element (tags, i), "thumbnail") == 0)
      return TRUE;
  return FALSE;
}

/* The report, and the progress. */

/* @object without the members named in @dropped (a NULL-terminated
 * list); the others are shared. */
static JsonObject *
object_without (JsonObject         *object,
                const char * const *dropped)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    if (!g_strv_contains (dropped, name))
      json_object_set_member (copy, name, json_node_ref (value));
  return copy;
}

/* The version as the report tells it: the lists of its files (each
 * component's `files` and `metadata.sources`, the version's
 * `metadata.checksums`) are left to the report's own `files`, which say
 * all of that for each file; a version of a thousand frames would say it
 * three times. */
static JsonNode *
report_version (JsonNode *version)
{
  static const char * const version_dropped[] = { "components", "metadata", NULL };
  static const char * const checksums[] = { "checksums", NULL };
  static const char * const component_dropped[] = { "files", "metadata", NULL };
  static const char * const sources[] = { "sources", NULL };
  JsonObject *object = json_node_get_object (version);
  JsonObject *told = object_without (object, version_dropped);
  JsonObject *metadata = object_member (object, "metadata");
  JsonArray *components = array_member (object, "components");
  JsonNode *node;

  if (metadata != NULL)
    json_object_set_object_member (told, "metadata", object_without (metadata, checksums));
  if (components != NULL)
    {
      JsonArray *list = json_array_sized_new (json_array_get_length (components));

      for (guint i = 0; i < json_array_get_length (components); i++)
        {
          JsonObject *component = json_array_get_object_element (components, i);
          JsonObject *component_metadata = object_member (component, "metadata");
          JsonObject *entry = object_without (component, component_dropped);

          if (component_metadata != NULL)
            json_object_set_object_member (entry, "metadata", object_without (component_metadata, sources));
          json_array_add_object_element (list, entry);
        }
      json_object_set_array_member (told, "components", list);
    }
  node = json_node_init_object (json_node_alloc (), told);
  json_object_unref (told);
  return node;
}

/* The report's `files`, and the bytes they hold. */
static JsonArray *
build_report_files (QiPublishJob *self,
                    gint64       *bytes)
{
  JsonArray *files = json_array_sized_new (self->files->len);

  *bytes = 0;
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = self->files->pdata[i];
      JsonObject *entry = json_object_new ();
      const char *sha256 = self->transfer != NULL && !self->dry_run
                           ? qi_file_transfer_get_sha256 (self->transfer, i) : NULL;
      gint64 size = self->transfer != NULL ? qi_file_transfer_get_size (self->transfer, i) : -1;

      json_object_set_string_member (entry, "representation", file->name);
      json_object_set_string_member (entry, "source", file->source);
      json_object_set_string_member (entry, "path", file->destination);
      json_object_set_int_member (entry, "size", size);
      if (sha256 != NULL)
        json_object_set_string_member (entry, "sha256", sha256);
      else
        json_object_set_null_member (entry, "sha256");
      json_array_add_object_element (files, entry);
      *bytes += MAX (size, 0);
    }
  return files;
}

static JsonNode *
build_report (QiPublishJob *self)
{
  g_autoptr(JsonObject) report = json_object_new ();
  g_autoptr(JsonObject) product = new_object ("id", self->product_id, "name", self->product_name,
                                              "type", self->product_type, NULL);
  JsonArray *files;
  g_auto(GStrv) warnings = self->transfer != NULL ? qi_file_transfer_dup_warnings (self->transfer) : NULL;
  JsonArray *warning_list = json_array_new ();
  gint64 bytes = 0;
  g_autofree char *report_path = NULL;

  json_object_set_string_member (report, "publish", self->id);
  json_object_set_boolean_member (report, "dry_run", self->dry_run);
  json_object_set_string_member (report, "project", self->project);
  json_object_set_string_member (report, "context", self->context_path);
  if (self->task_name != NULL)
    json_object_set_string_member (report, "task", self->task_name);
  else
    json_object_set_null_member (report, "task");
  json_object_set_object_member (report, "product", g_steal_pointer (&product));
  json_object_set_int_member (report, "number", self->number);
  if (self->version != NULL)
    json_object_set_member (report, "version", report_version (self->version));
  else
    json_object_set_null_member (report, "version");
  json_object_set_string_member (report, "mode", qi_transfer_mode_to_string (self->mode));
  if (self->report_files != NULL)
    {
      files = json_array_ref (self->report_files);
      bytes = self->report_bytes;
    }
  else
    files = build_report_files (self, &bytes);
  json_object_set_array_member (report, "files", files);
  json_object_set_int_member (report, "bytes", bytes);
  json_object_set_int_member (report, "duration_ms", (g_get_monotonic_time () - self->started_us) / 1000);
  json_object_set_int_member (report, "transfer_ms", self->transfer_us / 1000);
  json_object_set_object_member (report, "durations_us", json_object_ref (self->durations));
  for (guint i = 0; warnings != NULL && warnings[i] != NULL; i++)
    json_array_add_string_element (warning_list, warnings[i]);
  json_object_set_array_member (report, "warnings", warning_list);
  if (!self->dry_run && self->version_id != NULL && self->reports_dir != NULL)
    {
      g_autofree char *name = g_strdup_printf ("%s.json", self->version_id);

      report_path = g_build_filename (self->reports_dir, name, NULL);
      json_object_set_string_member (report, "report", report_path);
    }
  else
    json_object_set_null_member (report, "report");
  return json_node_init_object (json_node_alloc (), report);
}

static JsonObject *
progress_payload (QiPublishJob *self)
{
  JsonObject *payload = json_object_new ();
  g_autofree char *current = NULL;
  gint64 bytes = 0;
  guint files = 0;

  if (self->transfer != NULL)
    qi_file_transfer_get_progress (self->transfer, &bytes, &files, &current);
  json_object_set_string_member (payload, "publish", self->id);
  if (self->version_id != NULL)
    json_object_set_string_member (payload, "version", self->version_id);
  else
    json_object_set_null_member (payload, "version");
  json_object_set_int_member (payload, "bytes", bytes);
  json_object_set_int_member (payload, "bytes_total",
                              MAX (self->bytes_total,
                                   self->transfer != NULL ? qi_file_transfer_get_bytes_total (self->transfer) : 0));
  json_object_set_int_member (payload, "files", files);
  json_object_set_int_member (payload, "files_total",
                              self->transfer != NULL ? qi_file_transfer_get_n_items (self->transfer) : 0);
  if (current != NULL)
    json_object_set_string_member (payload, "current", current);
  else
    json_object_set_null_member (payload, "current");
  return payload;
}

static gboolean
on_progress (gpointer user_data)
{
  QiPublishJob *self = user_data;

  emit (self, "publish.progress", progress_payload (self));
  return G_SOURCE_CONTINUE;
}

/**
 * qi_publish_job_describe:
 * @self: a #QiPublishJob
 *
 * Returns: (transfer full): what `publish.running` lists of it
 */
JsonNode *
qi_publish_job_describe (QiPublishJob *self)
{
  JsonObject *payload;
  g_autoptr(JsonObject) product = NULL;

  g_return_val_if_fail (QI_IS_PUBLISH_JOB (self), NULL);

  payload = progress_payload (self);
  json_object_remove_member (payload, "current");
  json_object_set_int_member (payload, "number", self->number);
  product = new_object ("id", self->product_id, "name", self->product_name, "type", self->product_type, NULL);
  json_object_set_object_member (payload, "product", g_steal_pointer (&product));
  return json_node_init_object (json_node_alloc (), payload);
}

/* The report, made once (in a thread: for 1,000 files it is a large
 * tree), written to its file and then answered. */

static gboolean
write_report (QiPublishJob  *self,
              GError       **error)
{
  g_autoptr(JsonNode) report = build_report (self);
  g_autofree char *path = g_strdup (json_object_get_string_member (json_node_get_object (report), "report"));
  g_autofree char *text = NULL;
  const char *data;
  gsize length;

  /* written once, here rather than on the hub's loop: the file holds the
   * text the reply sends */
  self->report = report_text (report);
  g_clear_pointer (&report, json_node_unref);
  if (path == NULL)
    return TRUE;
  if (g_mkdir_with_parents (self->reports_dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), _("cannot make the folder “%s”: %s"),
                   self->reports_dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* one line of JSON, ended as a text file is */
  data = g_bytes_get_data (self->report, &length);
  text = g_malloc (length + 1);
  memcpy (text, data, length);
  text[length] = '\n';
  /* in place whole (a temporary file renamed), but not flushed yet: the
   * answer does not wait for the disk (a flush after 1,000 links waits
   * for the journal to commit them all), flush_report() follows it */
  if (!g_file_set_contents_full (path, text, length + 1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING, 0644, error))
    return FALSE;
  self->report_path = g_steal_pointer (&path);
  return TRUE;
}

/* The report and its folder flushed to the disk, once answered: as
 * durable a moment later as the tracker's commit. */
static gboolean
flush_report (QiPublishJob  *self,
              GError       **error)
{
  g_autofree char *folder = g_path_get_dirname (self->report_path);
  const char *paths[] = { self->report_path, folder };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      int fd = open (paths[i], O_RDONLY | O_CLOEXEC);
      int saved_errno;

      if (fd >= 0 && fsync (fd) == 0)
        {
          close (fd);
          continue;
        }
      saved_errno = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), _("cannot flush “%s”: %s"), paths[i],
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static void
after_flush (QiPublishJob *self,
             GError       *error)
{
  if (error != NULL)
    {
      g_warning ("%s: the report of version %s: %s", self->topic, self->version_id, error->message);
      g_error_free (error);
    }
}

static void
after_report (QiPublishJob *self,
              GError       *error)
{
  if (error != NULL)
    {
      /* the version is published: the report is what is missing */
      g_warning ("%s: the report of version %s: %s", self->topic, self->version_id, error->message);
      g_error_free (error);
    }
  finish_with_text (self, g_bytes_ref (self->report));
  if (self->report_path != NULL)
    in_thread (self, flush_report, after_flush);
}

/* Phase 2: publish. */

/* The report is written once the version is published and its files
 * listed: the two go on at once (for 1,000 files each takes a while). */
static void
report_ready (QiPublishJob *self)
{
  if (--self->report_waits > 0 || self->task == NULL)
    return;
  step_done (self, "publish");
  in_thread (self, write_report, after_report);
}

static gboolean
list_report_files (QiPublishJob  *self,
                   GError       **error)
{
  self->report_files = build_report_files (self, &self->report_bytes);
  return TRUE;
}

static void
after_report_files (QiPublishJob *self,
                    GError       *error)
{
  g_clear_error (&error);
  report_ready (self);
}

static void
on_published (QiPublishJob *self,
              JsonObject   *reply,
              const GError *error)
{
  g_autoptr(JsonNode) wrapper = NULL;

  if (reply == NULL)
    {
      fail (self, _("the files of version %s are in place but the tracker did not publish it: %s; "
                    "“qi --headless publish resume %s” publishes it"),
            self->version_id, error->message, self->version_id);
      return;
    }
  wrapper = json_node_init_object (json_node_alloc (), reply);
  g_clear_pointer (&self->version, json_node_unref);
  self->version = json_node_copy (wrapper);
  report_ready (self);
}

static void
publish_version (QiPublishJob *self)
{
  JsonObject *payload = new_object ("id", self->version_id, NULL);
  g_autoptr(JsonObject) metadata = json_object_new ();
  JsonObject *checksums = json_object_new ();
  const char *thumbnail = NULL;

  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = self->files->pdata[i];
      const char *sha256 = qi_file_transfer_get_sha256 (self->transfer, i);

      if (sha256 != NULL)
        json_object_set_string_member (checksums, file->relative, sha256);
      if (thumbnail == NULL && self->kind == QI_PUBLISH_JOB_INTEGRATE &&
          is_thumbnail (representation (self, file->representation)))
        thumbnail = file->destination;
    }
  json_object_set_object_member (metadata, "checksums", checksums);
  json_object_set_object_member (payload, "metadata", g_steal_pointer (&metadata));
  /* the report tells them (its `files`) */
  json_object_set_boolean_member (payload, "files", FALSE);
  if (thumbnail != NULL)
    json_object_set_string_member (payload, "thumbnail", thumbnail);
  ask_full (self, "db_service.version.publish", payload, on_published, TRUE);
}

static void
on_abandoned_after_failure (QiPublishJob *self,
                            JsonObject   *reply,
                            const GError *error)
{
  GError *failure = g_steal_pointer (&self->failure);

  if (reply == NULL)
    g_prefix_error (&failure, _("(the version %s stays pending: the tracker did not remove it: %s; "
                                "“qi --headless publish abandon %s” removes it) "),
                    self->version_id, error->message, self->version_id);
  fail_with (self, failure);
}

static gboolean
transfer (QiPublishJob  *self,
          GError       **error)
{
  gint64 start = g_get_monotonic_time ();
  gboolean ok = qi_file_transfer_run (self->transfer, self->cancellable, error);

  self->transfer_us = g_get_monotonic_time () - start;
  return ok;
}

static void
after_transfer (QiPublishJob *self,
                GError       *error)
{
  g_clear_handle_id (&self->progress_source, g_source_remove);
  step_done (self, "transfer");
  emit (self, "publish.progress", progress_payload (self));
  if (error == NULL)
    {
      self->report_waits = 2;
      in_thread (self, list_report_files, after_report_files);
      publish_version (self);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("%s: the publish %s was cancelled"),
                           self->topic, self->id);
    }
  else
    {
      GError *prefixed = g_error_new (error->domain, error->code,
                                      self->kind == QI_PUBLISH_JOB_INTEGRATE
                                      ? _("%s: %s: the publish was undone")
                                      : _("%s: %s: the version stays pending"),
                                      self->topic, error->message);

      g_error_free (error);
      error = prefixed;
    }
  if (self->kind != QI_PUBLISH_JOB_INTEGRATE)
    {
      /* resume: what was in place before stays, for another try */
      fail_with (self, error);
      return;
    }
  self->failure = error;
  ask_full (self, "db_service.version.abandon", new_object ("id", self->version_id, NULL),
            on_abandoned_after_failure, TRUE);
}

static void
start_transfer (QiPublishJob *self)
{
  g_autoptr(JsonObject) started = progress_payload (self);

  json_object_remove_member (started, "current");
  json_object_remove_member (started, "bytes");
  json_object_remove_member (started, "files");
  json_object_set_int_member (started, "number", self->number);
  json_object_set_object_member (started, "product",
                                 new_object ("id", self->product_id, "name", self->product_name,
                                             "type", self->product_type, NULL));
  emit (self, "publish.started", g_steal_pointer (&started));
  self->progress_source = g_timeout_add (PROGRESS_INTERVAL_MS, on_progress, self);
  in_thread (self, transfer, after_transfer);
  /* The version as it was created is not wanted any more (the report
   * tells it as published): freed while the files go, not on the way to
   * the answer (for 1,000 files it is a large tree). */
  g_clear_pointer (&self->version, json_node_unref);
}

/* Phase 1: the pending version. */

/* A transfer of every file, its temporary names tagged with @tag. */
static void
take_transfer (QiPublishJob *self,
               const char   *tag)
{
  g_clear_object (&self->transfer);
  self->transfer = qi_file_transfer_new (self->mode, tag);
  qi_file_transfer_set_rate_limit (self->transfer, self->rate_limit);
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = self->files->pdata[i];

      qi_file_transfer_add (self->transfer, file->source, file->destination);
    }
}

static void ask_number (QiPublishJob *self);

/* The version to create for self->number, but the sizes of its files
 * (fill_sizes()): made while the sources are read. */
static JsonObject *
version_spec (QiPublishJob *self)
{
  JsonObject *spec = new_object ("product", self->product_id, "task", self->task_id, "author", self->author,
                                 "comment", optional_string (self->payload, "comment"),
                                 "status", optional_string (self->payload, "status"), NULL);
  JsonObject *given = object_member (self->payload, "metadata");
  JsonObject *metadata = json_object_new ();
  JsonArray *components = json_array_new ();
  g_autoptr(JsonObject) publish = NULL;

  g_clear_pointer (&self->spec_files, g_ptr_array_unref);
  self->spec_files = g_ptr_array_sized_new (self->files->len);
  g_ptr_array_set_size (self->spec_files, self->files->len);
  json_object_set_int_member (spec, "number", self->number);
  /* the job knows the files it gives: not read back */
  json_object_set_boolean_member (spec, "files", FALSE);
  if (given != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, given);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (metadata, name, json_node_copy (value));
    }
  publish = new_object ("project", self->project, "context", self->context_path,
                        "mode", qi_transfer_mode_to_string (self->mode), "publish", self->id,
                        "template", self->template_name, NULL);
  json_object_set_object_member (metadata, "publish", g_steal_pointer (&publish));
  json_object_set_object_member (spec, "metadata", metadata);

  for (guint r = 0; r < json_array_get_length (representations (self)); r++)
    {
      JsonObject *rep = representation (self, r);
      JsonObject *component = new_object ("name", json_object_get_string_member (rep, "name"), NULL);
      JsonObject *component_metadata = json_object_new ();
      JsonObject *sources = json_object_new ();
      JsonArray *files = json_array_new ();
      JsonObject *rep_metadata = object_member (rep, "metadata");

      if (rep_metadata != NULL)
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *value;

          json_object_iter_init (&iter, rep_metadata);
          while (json_object_iter_next (&iter, &name, &value))
            json_object_set_member (component_metadata, name, json_node_copy (value));
        }
      for (guint i = 0; i < self->files->len; i++)
        {
          File *file = self->files->pdata[i];
          JsonObject *entry;

          if (file->representation != r)
            continue;
          entry = new_object ("path", file->relative, NULL);
          /* the size once the sources are read (fill_sizes ()) */
          json_object_set_int_member (entry, "size", 0);
          json_array_add_object_element (files, entry);
          self->spec_files->pdata[i] = entry;
          json_object_set_string_member (sources, file->relative, file->source);
        }
      if (self->root_path != NULL)
        json_object_set_string_member (component_metadata, "root", PUBLISH_ROOT);
      else
        json_object_set_null_member (component_metadata, "root");
      json_object_set_string_member (component_metadata, "ext",
                                     optional_string (rep, "ext") != NULL ? optional_string (rep, "ext") : "");
      json_object_set_object_member (component_metadata, "sources", sources);
      if (!absent (rep, "tags"))
        json_object_set_member (component_metadata, "tags", json_node_copy (json_object_get_member (rep, "tags")));
      if (!absent (rep, "frame_start") && !absent (rep, "frame_end"))
        {
          JsonArray *range = json_array_new ();

          json_array_add_int_element (range, json_object_get_int_member (rep, "frame_start"));
          json_array_add_int_element (range, json_object_get_int_member (rep, "frame_end"));
          json_object_set_array_member (component_metadata, "frame_range", range);
        }
      json_object_set_object_member (component, "metadata", component_metadata);
      json_object_set_array_member (component, "files", files);
      json_array_add_object_element (components, component);
    }
  json_object_set_array_member (spec, "components", components);
  return spec;
}

static void
on_created (QiPublishJob *self,
            JsonObject   *reply,
            const GError *error)
{
  g_autoptr(JsonNode) wrapper = NULL;

  if (reply == NULL)
    {
      /* Another publisher may have taken the number: ask it again; if it
       * is still the one tried, the tracker refused for another reason. */
      if (++self->attempts >= MAX_ATTEMPTS)
        {
          fail (self, _("no version could be made after %u tries: %s"), self->attempts, error->message);
          return;
        }
      g_free (self->create_error);
      self->create_error = g_strdup (error->message);
      ask_number (self);
      return;
    }
  step_done (self, "create");
  g_free (self->version_id);
  self->version_id = id_of (reply, "id");
  wrapper = json_node_init_object (json_node_alloc (), reply);
  self->version = json_node_copy (wrapper);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      self->failure = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("%s: the publish %s was cancelled"),
                                   self->topic, self->id);
      ask_full (self, "db_service.version.abandon", new_object ("id", self->version_id, NULL),
                on_abandoned_after_failure, TRUE);
      return;
    }
  /* the transfer's temporary names carry the version's id; what its
   * check found stays */
  qi_file_transfer_set_tag (self->transfer, self->version_id);
  start_transfer (self);
}

/* The spec's files given their sources' sizes, as read. */
static void
fill_sizes (QiPublishJob *self)
{
  for (guint i = 0; i < self->files->len; i++)
    if (self->spec_files->pdata[i] != NULL)
      json_object_set_int_member (self->spec_files->pdata[i], "size", qi_file_transfer_get_size (self->transfer, i));
  g_clear_pointer (&self->spec_files, g_ptr_array_unref);
}

static void
create_version (QiPublishJob *self)
{
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      fail_cancelled (self);
      return;
    }
  fill_sizes (self);
  ask_full (self, "db_service.version.create", g_steal_pointer (&self->spec), on_created, TRUE);
}

/* @local_error (taken) of the transfer's check, in @error named after
 * the representation's file it is about: its source, or its destination
 * unless @sources_only (a thread that reads the sources while the loop
 * solves the destinations never looks at those). */
static void
name_the_file (QiPublishJob  *self,
               GError        *local_error,
               gboolean       sources_only,
               GError       **error)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = self->files->pdata[i];

      if (strstr (local_error->message, file->source) != NULL ||
          (!sources_only && strstr (local_error->message, file->destination) != NULL))
        {
          g_set_error (error, local_error->domain, local_error->code, "representations[%u].files[%u]: %s",
                       file->representation, file->index, local_error->message);
          g_error_free (local_error);
          return;
        }
    }
  g_propagate_error (error, local_error);
}

/* In a thread, while the loop solves the destinations: for 1,000 frames,
 * a thousand stat calls. */
static gboolean
check_sources (QiPublishJob  *self,
               GError       **error)
{
  GError *local_error = NULL;

  if (qi_file_transfer_check_sources (self->transfer, &local_error))
    return TRUE;
  name_the_file (self, local_error, TRUE, error);
  return FALSE;
}

static gboolean
check_files (QiPublishJob  *self,
             GError       **error)
{
  GError *local_error = NULL;

  if (qi_file_transfer_check (self->transfer, &local_error))
    {
      self->bytes_total = qi_file_transfer_get_bytes_total (self->transfer);
      return TRUE;
    }
  name_the_file (self, local_error, FALSE, error);
  return FALSE;
}

static void
after_check (QiPublishJob *self,
             GError       *error)
{
  step_done (self, "check");
  if (error != NULL)
    {
      /* Another publisher may have published this number meanwhile (its
       * files are there): ask the number again; if nobody took it, the
       * file is someone else's, which is never overwritten. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS) && !self->dry_run &&
          ++self->attempts < MAX_ATTEMPTS)
        {
          g_free (self->exists_error);
          self->exists_error = g_strdup (error->message);
          g_error_free (error);
          ask_number (self);
          return;
        }
      fail (self, "%s", error->message);
      g_error_free (error);
      return;
    }
  if (self->dry_run)
    {
      finish (self, build_report (self));
      return;
    }
  create_version (self);
}

static char *
relative_to_root (QiPublishJob *self,
                  const char   *destination)
{
  gsize length;

  if (self->root_path == NULL)
    return g_strdup (destination);
  length = strlen (self->root_path);
  if (strncmp (destination, self->root_path, length) == 0 && destination[length] == '/')
    return g_strdup (destination + length + 1);
  return g_strdup (destination);
}

/* Each file's destination for self->number, and none twice: the
 * template is solved once per representation with what its files share,
 * then for each file's frame or tile (qi_template_set_solve_each()). */
static gboolean
solve_destinations (QiPublishJob  *self,
                    GError       **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint first = 0;

  while (first < self->files->len)
    {
      File *file = self->files->pdata[first];
      JsonObject *rep = representation (self, file->representation);
      const char *ext = optional_string (rep, "ext");
      g_autofree char *dot_ext = ext != NULL && *ext != '\0' ? g_strconcat (".", ext, NULL) : g_strdup ("");
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autoptr(JsonArray) each = json_array_new ();
      g_autoptr(GPtrArray) paths = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;
      guint end = first, k = 0;

      json_object_iter_init (&iter, self->fields);
      while (json_object_iter_next (&iter, &name, &value))
        if (g_strcmp0 (name, "frame") != 0 && g_strcmp0 (name, "udim") != 0)
          json_object_set_member (fields, name, json_node_ref (value));
      json_object_set_int_member (fields, "version", self->number);
      json_object_set_string_member (fields, "ext", dot_ext);
      json_object_set_string_member (fields, "representation", json_object_get_string_member (rep, "name"));

      for (; end < self->files->len && ((File *) self->files->pdata[end])->representation == file->representation;
           end++)
        {
          File *member = self->files->pdata[end];
          JsonObject *values = json_object_new ();

          if (member->frame != NULL)
            json_object_set_member (values, "frame", json_node_ref (member->frame));
          if (member->udim != NULL)
            json_object_set_member (values, "udim", json_node_ref (member->udim));
          json_array_add_object_element (each, values);
        }

      paths = qi_template_set_solve_each (self->templates, self->template_name, fields, each, &k, &local_error);
      if (paths == NULL)
        {
          File *failed = self->files->pdata[first + MIN (k, end - first - 1)];

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "representations[%u].files[%u]: %s",
                       failed->representation, failed->index, local_error->message);
          return FALSE;
        }

      for (guint j = 0; first + j < end; j++)
        {
          File *member = self->files->pdata[first + j];
          File *earlier;

          g_free (member->destination);
          member->destination = g_steal_pointer (&paths->pdata[j]);
          g_free (member->relative);
          member->relative = relative_to_root (self, member->destination);
          earlier = g_hash_table_lookup (seen, member->destination);
          if (earlier != NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("representations[%u].files[%u] and representations[%u].files[%u] both go to “%s”: "
                             "the template %s makes one name of them (does it lack {frame} or {udim}?)"),
                           member->representation, member->index, earlier->representation, earlier->index,
                           member->destination, self->template_name);
              return FALSE;
            }
          g_hash_table_insert (seen, member->destination, member);
        }
      first = end;
    }
  return TRUE;
}

/* Once the sources are read and the destinations solved: in a thread,
 * the destinations' absence. */
static void
check_when_ready (QiPublishJob *self)
{
  if (!self->sources_read || !self->destinations_solved || self->task == NULL)
    return;
  self->destinations_solved = FALSE;
  if (self->sources_error != NULL)
    {
      fail (self, "%s", self->sources_error->message);
      return;
    }
  for (guint i = 0; i < self->files->len; i++)
    qi_file_transfer_set_destination (self->transfer, i, ((File *) self->files->pdata[i])->destination);
  in_thread (self, check_files, after_check);
}

static void
after_sources (QiPublishJob *self,
               GError       *error)
{
  self->sources_read = TRUE;
  self->sources_error = error;
  check_when_ready (self);
}

/* The destinations for @number and the version to create, while a
 * thread reads the sources' sizes (once: another number keeps them);
 * then the destinations' absence. */
static void
check_for_number (QiPublishJob *self,
                  gint64        number)
{
  g_autoptr(GError) error = NULL;

  self->number = number;
  step_done (self, "prepare");
  if (!self->sources_started)
    {
      self->sources_started = TRUE;
      take_transfer (self, self->id);
      in_thread (self, check_sources, after_sources);
    }
  if (!solve_destinations (self, &error))
    {
      fail (self, "%s", error->message);
      return;
    }
  g_clear_pointer (&self->spec, json_object_unref);
  if (!self->dry_run)
    self->spec = version_spec (self);
  step_done (self, "destinations");
  self->destinations_solved = TRUE;
  check_when_ready (self);
}

static void
on_number (QiPublishJob *self,
           JsonObject   *reply,
           const GError *error)
{
  JsonArray *versions = array_member (reply, "versions");
  gint64 next = 1;

  if (versions != NULL && json_array_get_length (versions) > 0)
    next = json_object_get_int_member_with_default (json_array_get_object_element (versions, 0), "number", 0) + 1;
  if (self->create_error != NULL && next <= self->number)
    {
      /* nobody took the number: the tracker refused the version itself */
      fail (self, "%s", self->create_error);
      return;
    }
  if (self->exists_error != NULL && next <= self->number)
    {
      /* nobody took the number: the file there is not a publish's */
      fail (self, "%s", self->exists_error);
      return;
    }
  g_clear_pointer (&self->create_error, g_free);
  g_clear_pointer (&self->exists_error, g_free);
  check_for_number (self, next);
}

static void
ask_number (QiPublishJob *self)
{
  JsonObject *payload = new_object ("product", self->product_id, NULL);

  json_object_set_boolean_member (payload, "include_pending", TRUE);
  json_object_set_int_member (payload, "limit", 1);
  ask (self, "db_service.version.list", payload, on_number);
}

/* The product, made when missing. */

static void ask_products (QiPublishJob *self);

static void
on_product_created (QiPublishJob *self,
                    JsonObject   *reply,
                    const GError *error)
{
  if (reply == NULL)
    {
      /* another publisher may have made it first */
      if (!self->product_retried)
        {
          self->product_retried = TRUE;
          ask_products (self);
          return;
        }
      fail (self, "%s", error->message);
      return;
    }
  self->product_id = id_of (reply, "id");
  ask_number (self);
}

static void
on_products (QiPublishJob *self,
             JsonObject   *reply,
             const GError *error)
{
  JsonArray *products = array_member (reply, "products");

  for (guint i = 0; products != NULL && i < json_array_get_length (products); i++)
    {
      JsonObject *product = json_array_get_object_element (products, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (product, "name", NULL), self->product_name) != 0)
        continue;
      if (g_strcmp0 (json_object_get_string_member_with_default (product, "type", NULL), self->product_type) != 0)
        {
          fail (self, _("product_type: the product “%s” of %s is of the type “%s”, not “%s”"), self->product_name,
                self->context_path, json_object_get_string_member_with_default (product, "type", "?"),
                self->product_type);
          return;
        }
      self->product_id = id_of (product, "id");
      ask_number (self);
      return;
    }
  if (self->dry_run)
    {
      /* nothing is made in a dry run: the product's first version */
      check_for_number (self, 1);
      return;
    }
  ask_full (self, "db_service.product.create",
            new_object ("context", self->context_id, "name", self->product_name, "type", self->product_type, NULL),
            on_product_created, TRUE);
}

static void
ask_products (QiPublishJob *self)
{
  ask (self, "db_service.product.list", new_object ("context", self->context_id, NULL), on_products);
}

static void
on_tasks (QiPublishJob *self,
          JsonObject   *reply,
          const GError *error)
{
  JsonArray *tasks = array_member (reply, "tasks");

  for (guint i = 0; tasks != NULL && i < json_array_get_length (tasks); i++)
    {
      JsonObject *task = json_array_get_object_element (tasks, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (task, "name", NULL), self->task_name) == 0)
        self->task_id = id_of (task, "id");
    }
  if (self->task_id == NULL)
    {
      fail (self, _("no task “%s” in “%s” of project “%s”"), self->task_name, self->context_path, self->project);
      return;
    }
  ask_products (self);
}

static void
on_context (QiPublishJob *self,
            JsonObject   *reply,
            const GError *error)
{
  self->context_id = id_of (reply, "id");
  if (self->task_name != NULL)
    ask (self, "db_service.task.list", new_object ("context", self->context_id, NULL), on_tasks);
  else
    ask_products (self);
}

static void
on_fields (QiPublishJob *self,
           JsonObject   *reply,
           const GError *error)
{
  JsonObject *fields = object_member (reply, "fields");
  g_autoptr(JsonNode) wrapper = NULL;
  g_autoptr(JsonNode) copy = NULL;
  JsonNode *user;

  if (fields == NULL)
    {
      fail (self, _("templates.solve answered no fields"));
      return;
    }
  wrapper = json_node_init_object (json_node_alloc (), fields);
  copy = json_node_copy (wrapper);
  self->fields = json_object_ref (json_node_get_object (copy));
  /* the roots are the set's own */
  json_object_remove_member (self->fields, "root");
  user = json_object_get_member (self->fields, "user");
  if (is_string (user))
    self->author = g_strdup (json_node_get_string (user));
  ask (self, "db_service.context.lookup", new_object ("project", self->project, "path", self->context_path, NULL),
       on_context);
}

/* The templates of the project's anatomy, as a set of this job's own. */
static gboolean
read_templates (QiPublishJob  *self,
                JsonObject    *reply,
                GError       **error)
{
  JsonArray *templates = array_member (reply, "templates");
  JsonObject *roots = object_member (reply, "roots");
  g_autoptr(JsonObject) per_platform = json_object_new ();
  const char *platform = json_object_get_string_member_with_default (reply, "platform", "linux");
  g_autoptr(GList) names = roots != NULL ? json_object_get_members (roots) : NULL;
  const char *root;

  self->templates = qi_template_set_new ();
  for (guint i = 0; templates != NULL && i < json_array_get_length (templates); i++)
    {
      JsonObject *entry = json_array_get_object_element (templates, i);

      if (!qi_template_set_add (self->templates, json_object_get_string_member (entry, "name"),
                                json_object_get_string_member (entry, "template"), "anatomy", error))
        return FALSE;
    }
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *path = json_object_get_member (roots, l->data);

      if (is_string (path))
        json_object_set_object_member (per_platform, l->data,
                                       new_object (platform, json_node_get_string (path), NULL));
    }
  if (!qi_template_set_set_roots (self->templates, per_platform, error) ||
      !qi_template_set_check (self->templates, error))
    return FALSE;
  root = qi_template_set_get_root (self->templates, PUBLISH_ROOT, qi_template_set_get_platform (self->templates));
  self->root_path = g_strdup (root);
  return TRUE;
}

static void
on_templates (QiPublishJob *self,
              JsonObject   *reply,
              const GError *error)
{
  g_autoptr(GError) local_error = NULL;
  JsonObject *payload, *probe;
  g_autoptr(JsonObject) product = NULL;

  if (!read_templates (self, reply, &local_error))
    {
      fail (self, _("the anatomy's templates: %s"), local_error->message);
      return;
    }
  if (qi_template_set_lookup (self->templates, self->template_name) == NULL)
    {
      fail (self, _("the anatomy has no template “%s” (the setting publish.template)"), self->template_name);
      return;
    }

  /* the tracker's fields of the context and task, through the anatomy;
   * the template solved once with stand-ins of what each file adds */
  payload = new_object ("name", self->template_name, "project", self->project, "context", self->context_path,
                        "task", self->task_name, NULL);
  probe = json_object_new ();
  product = new_object ("name", self->product_name, "type", self->product_type, NULL);
  json_object_set_object_member (probe, "product", g_steal_pointer (&product));
  json_object_set_int_member (probe, "version", 1);
  json_object_set_string_member (probe, "ext", ".ext");
  json_object_set_string_member (probe, "representation", "representation");
  json_object_set_int_member (probe, "frame", 1);
  json_object_set_int_member (probe, "udim", 1001);
  if (!absent (self->payload, "variant"))
    json_object_set_string_member (probe, "variant", json_object_get_string_member (self->payload, "variant"));
  if (!absent (self->payload, "comment") && *json_object_get_string_member (self->payload, "comment") != '\0')
    json_object_set_string_member (probe, "comment", json_object_get_string_member (self->payload, "comment"));
  json_object_set_object_member (payload, "fields", probe);
  ask (self, "templates.solve", payload, on_fields);
}

static void
on_config (QiPublishJob *self,
           JsonObject   *reply,
           const GError *error)
{
  JsonObject *values = object_member (reply, "values");
  const char *mode = values != NULL ? json_object_get_string_member_with_default (values, "transfer_mode", NULL)
                                    : NULL;
  JsonArray *types = array_member (values, "product_types");
  gboolean known = FALSE;

  if (absent (self->payload, "mode") && mode != NULL && !qi_transfer_mode_from_string (mode, &self->mode))
    {
      fail (self, _("the setting publish.transfer_mode is “%s”, not copy, hardlink or reflink"), mode);
      return;
    }
  self->rate_limit = values != NULL ? json_object_get_int_member_with_default (values, "rate_limit", 0) * 1024 * 1024
                                    : 0;
  self->template_name = g_strdup (values != NULL
                                  ? json_object_get_string_member_with_default (values, "template", "publish.path")
                                  : "publish.path");
  for (guint i = 0; types != NULL && i < json_array_get_length (types); i++)
    known = known || g_strcmp0 (json_array_get_string_element (types, i), self->product_type) == 0;
  if (!known)
    {
      g_autoptr(GString) list = g_string_new (NULL);

      for (guint i = 0; types != NULL && i < json_array_get_length (types); i++)
        g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (types, i));
      fail (self, _("product_type: “%s” is not a product type of the project (publish.product_types: %s)"),
            self->product_type, list->str);
      return;
    }
  ask (self, "templates.list", new_object ("project", self->project, NULL), on_templates);
}

static void
read_files (QiPublishJob *self)
{
  for (guint r = 0; r < json_array_get_length (representations (self)); r++)
    {
      JsonArray *files = json_object_get_array_member (representation (self, r), "files");

      for (guint i = 0; i < json_array_get_length (files); i++)
        {
          JsonNode *node = json_array_get_element (files, i);
          File *file = g_new0 (File, 1);

          file->representation = r;
          file->index = i;
          file->name = g_strdup (json_object_get_string_member (representation (self, r), "name"));
          if (JSON_NODE_HOLDS_OBJECT (node))
            {
              JsonObject *entry = json_node_get_object (node);

              file->source = g_strdup (json_object_get_string_member (entry, "path"));
              if (!absent (entry, "frame"))
                file->frame = json_node_copy (json_object_get_member (entry, "frame"));
              if (!absent (entry, "udim"))
                file->udim = json_node_copy (json_object_get_member (entry, "udim"));
            }
          else
            file->source = g_strdup (json_node_get_string (node));
          g_ptr_array_add (self->files, file);
        }
    }
}

/* Resume and abandon: the pending version. */

static void
on_resume_templates (QiPublishJob *self,
                     JsonObject   *reply,
                     const GError *error);

static void
on_pending (QiPublishJob *self,
            JsonObject   *reply,
            const GError *error)
{
  g_autoptr(JsonNode) wrapper = json_node_init_object (json_node_alloc (), reply);
  JsonObject *publish = object_member (object_member (reply, "metadata"), "publish");
  const char *mode;

  if (g_strcmp0 (json_object_get_string_member_with_default (reply, "state", NULL), "pending") != 0)
    {
      fail (self, _("the version %s is published: only a pending version can be %s"), self->version_id,
            self->kind == QI_PUBLISH_JOB_RESUME ? _("resumed") : _("abandoned"));
      return;
    }
  self->pending = json_node_copy (wrapper);
  self->number = json_object_get_int_member_with_default (reply, "number", 0);
  self->product_id = id_of (reply, "product");
  self->product_name = g_strdup (json_object_get_string_member_with_default (reply, "product_name", NULL));
  self->product_type = g_strdup (json_object_get_string_member_with_default (reply, "product_type", NULL));
  if (publish == NULL || optional_string (publish, "project") == NULL)
    {
      fail (self, _("the version %s was not made by a publish of Qi: its metadata has no “publish”"),
            self->version_id);
      return;
    }
  self->project = g_strdup (optional_string (publish, "project"));
  self->context_path = g_strdup (optional_string (publish, "context"));
  mode = optional_string (publish, "mode");
  if (mode == NULL || !qi_transfer_mode_from_string (mode, &self->mode))
    self->mode = QI_TRANSFER_MODE_COPY;
  g_free (self->id);
  self->id = g_strdup (optional_string (publish, "publish") != NULL ? optional_string (publish, "publish")
                                                                    : self->version_id);
  ask (self, "templates.list", new_object ("project", self->project, NULL), on_resume_templates);
}

/* The pending version's files: self->files from its components. */
static gboolean
read_pending_files (QiPublishJob  *self,
                    GError       **error)
{
  JsonArray *components = array_member (json_node_get_object (self->pending), "components");

  for (guint c = 0; components != NULL && c < json_array_get_length (components); c++)
    {
      JsonObject *component = json_array_get_object_element (components, c);
      JsonObject *metadata = object_member (component, "metadata");
      JsonObject *sources = object_member (metadata, "sources");
      JsonArray *files = array_member (component, "files");
      const char *root = optional_string (metadata != NULL ? metadata : component, "root");

      for (guint i = 0; files != NULL && i < json_array_get_length (files); i++)
        {
          const char *path = json_object_get_string_member (json_array_get_object_element (files, i), "path");
          File *file = g_new0 (File, 1);

          file->representation = c;
          file->index = i;
          file->name = g_strdup (json_object_get_string_member_with_default (component, "name", ""));
          file->relative = g_strdup (path);
          if (root != NULL && !g_path_is_absolute (path))
            {
              if (self->root_path == NULL)
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("the anatomy of project “%s” has no root “%s” on this platform"), self->project,
                               root);
                  file_free (file);
                  return FALSE;
                }
              file->destination = g_build_filename (self->root_path, path, NULL);
            }
          else
            file->destination = g_strdup (path);
          file->source = sources != NULL ? g_strdup (optional_string (sources, path)) : NULL;
          if (file->source == NULL && self->kind == QI_PUBLISH_JOB_RESUME)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("the version %s does not record the source of “%s”: it cannot be resumed, only "
                             "abandoned"), self->version_id, path);
              file_free (file);
              return FALSE;
            }
          g_ptr_array_add (self->files, file);
        }
    }
  return TRUE;
}

static gboolean
remove_files (QiPublishJob  *self,
              GError       **error)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = self->files->pdata[i];

      if (!qi_file_transfer_remove_leftovers (file->destination, self->version_id, TRUE, self->removed, error))
        return FALSE;
    }
  for (guint i = 0; i < self->files->len; i++)
    {
      g_autofree char *folder = g_path_get_dirname (((File *) self->files->pdata[i])->destination);

      g_rmdir (folder);
    }
  return TRUE;
}

static void
on_abandoned (QiPublishJob *self,
              JsonObject   *reply,
              const GError *error)
{
  JsonObject *result = new_object ("version", self->version_id, NULL);
  JsonArray *removed = json_array_new ();

  for (guint i = 0; i < self->removed->len; i++)
    json_array_add_string_element (removed, self->removed->pdata[i]);
  json_object_set_array_member (result, "removed", removed);
  finish (self, json_node_init_object (json_node_alloc (), result));
  json_object_unref (result);
}

static void
after_remove (QiPublishJob *self,
              GError       *error)
{
  if (error != NULL)
    {
      fail (self, "%s", error->message);
      g_error_free (error);
      return;
    }
  ask (self, "db_service.version.abandon", new_object ("id", self->version_id, NULL), on_abandoned);
}

static void
on_resume_templates (QiPublishJob *self,
                     JsonObject   *reply,
                     const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (!read_templates (self, reply, &local_error) || !read_pending_files (self, &local_error))
    {
      fail (self, "%s", local_error->message);
      return;
    }
  if (self->kind == QI_PUBLISH_JOB_ABANDON)
    {
      in_thread (self, remove_files, after_remove);
      return;
    }
  take_transfer (self, self->version_id);
  qi_file_transfer_set_resume (self->transfer, TRUE);
  start_transfer (self);
}

/**
 * qi_publish_job_run_async:
 * @self: a #QiPublishJob
 * @callback: called with the report, or the failure
 * @user_data: for @callback
 *
 * Runs the job on the thread-default main context (the hub's).
 */
void
qi_publish_job_run_async (QiPublishJob        *self,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (QI_IS_PUBLISH_JOB (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, NULL, callback, user_data);
  self->started_us = self->step_us = g_get_monotonic_time ();
  if (self->kind == QI_PUBLISH_JOB_INTEGRATE)
    {
      g_autoptr(JsonObject) payload = new_object ("addon", "publish", "project", self->project, NULL);

      read_files (self);
      ask (self, "config.get", g_steal_pointer (&payload), on_config);
    }
  else
    ask (self, "db_service.version.get", new_object ("id", self->version_id, NULL), on_pending);
}

/**
 * qi_publish_job_run_finish:
 * @self: a #QiPublishJob
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the REPORT of docs/protocol.md (for an abandon,
 *   `{"version", "removed"}`) as compact JSON text, what the report's file
 *   holds, or %NULL with @error
 */
GBytes *
qi_publish_job_run_finish (QiPublishJob  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * qi_publish_job_cancel:
 * @self: a #QiPublishJob
 *
 * Stops the job: before its version is registered it ends at the next
 * step; during the transfer, the files stop, what was written is removed
 * and the version abandoned.
 */
void
qi_publish_job_cancel (QiPublishJob *self)
{
  g_return_if_fail (QI_IS_PUBLISH_JOB (self));
  g_cancellable_cancel (self->cancellable);
}
