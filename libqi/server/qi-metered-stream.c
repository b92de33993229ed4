/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-metered-stream-private.h"

/* The two halves: thin pollable wrappers that report to the stream. */

#define METERED_TYPE_INPUT (metered_input_get_type ())
G_DECLARE_FINAL_TYPE (MeteredInput, metered_input, METERED, INPUT, GInputStream)

#define METERED_TYPE_OUTPUT (metered_output_get_type ())
G_DECLARE_FINAL_TYPE (MeteredOutput, metered_output, METERED, OUTPUT, GOutputStream)

struct _QiMeteredStream
{
  GIOStream      parent_instance;

  GIOStream     *base;
  MeteredInput  *input;
  MeteredOutput *output;
  guint64        written;
  gint64         last_read;
  guint64        read_since_mark;
  guint64        read_limit;
};

struct _MeteredInput
{
  GInputStream     parent_instance;
  GInputStream    *base;
  QiMeteredStream *owner; /* weak: the owner holds this stream */
};

struct _MeteredOutput
{
  GOutputStream    parent_instance;
  GOutputStream   *base;
  QiMeteredStream *owner;
};

static void metered_input_pollable_init (GPollableInputStreamInterface *iface);
static void metered_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MeteredInput, metered_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      metered_input_pollable_init))
G_DEFINE_FINAL_TYPE_WITH_CODE (MeteredOutput, metered_output, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      metered_output_pollable_init))
G_DEFINE_FINAL_TYPE (QiMeteredStream, qi_metered_stream, G_TYPE_IO_STREAM)

/* The source of a half: a pollable source of @stream with the base
 * stream's source as its child, taking @base.
 *
 * GLib blocks a source while it dispatches, unless it may recurse, and
 * blocking one removes its file descriptors from the poll and puts them
 * back afterwards, each time waking the main context up with a write to
 * its eventfd. The base's own source is itself a wrapper of a socket's, so
 * without this each message would cost two more of those writes than on
 * an unwrapped stream. Its callback is GLib's dummy one, which does
 * nothing and never runs the main loop, so letting it recurse is safe. */
static GSource *
wrap_source (gpointer      stream,
             GSource      *base,
             GCancellable *cancellable)
{
  GSource *source;

  g_source_set_can_recurse (base, TRUE);
  source = g_pollable_source_new_full (stream, base, cancellable);
  g_source_unref (base);
  return source;
}

static void
note_read (MeteredInput *self,
           gssize        n)
{
  if (n > 0 && self->owner != NULL)
    {
      self->owner->last_read = g_get_monotonic_time ();
      self->owner->read_since_mark += (guint64) n;
    }
}

/* Refuses to read on once the peer has sent more than the limit since the
 * last mark: libsoup 3.2 bounds one frame, not a message of many
 * continuation frames, so the hard bound of one message lives here. */
static gboolean
over_limit (MeteredInput  *self,
            GError       **error)
{
  QiMeteredStream *owner = self->owner;

  if (owner == NULL || owner->read_limit == 0 || owner->read_since_mark <= owner->read_limit)
    return FALSE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
               "the peer sent more than %" G_GUINT64_FORMAT " bytes without completing a message",
               owner->read_limit);
  return TRUE;
}

static void
note_written (MeteredOutput *self,
              gssize         n)
{
  if (n > 0 && self->owner != NULL)
    self->owner->written += (guint64) n;
}

static gssize
metered_input_read (GInputStream  *stream,
                    void          *buffer,
                    gsize          count,
                    GCancellable  *cancellable,
                    GError       **error)
{
  MeteredInput *self = METERED_INPUT (stream);
  gssize n;

  if (over_limit (self, error))
    return -1;
  n = g_input_stream_read (self->base, buffer, count, cancellable, error);

  note_read (self, n);
  return n;
}

static gboolean
metered_input_close (GInputStream  *stream,
                     GCancellable  *cancellable,
                     GError       **error)
{
  /* The base stream closes with the base GIOStream. */
  return TRUE;
}

static gboolean
metered_input_can_poll (GPollableInputStream *stream)
{
  return g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (METERED_INPUT (stream)->base));
}

static gboolean
metered_input_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (METERED_INPUT (stream)->base));
}

static GSource *
metered_input_create_source (GPollableInputStream *stream,
                             GCancellable         *cancellable)
{
  GSource *base = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (METERED_INPUT (stream)->base),
                                                         cancellable);

  return wrap_source (stream, base, cancellable);
}

static gssize
metered_input_read_nonblocking (GPollableInputStream  *stream,
                                void                  *buffer,
                                gsize                  count,
                                GError               **error)
{
  MeteredInput *self = METERED_INPUT (stream);
  gssize n;

  if (over_limit (self, error))
    return -1;
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                buffer, count, NULL, error);

  note_read (self, n);
  return n;
}

static void
metered_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = metered_input_can_poll;
  iface->is_readable = metered_input_is_readable;
  iface->create_source = metered_input_create_source;
  iface->read_nonblocking = metered_input_read_nonblocking;
}

static void
metered_input_finalize (GObject *object)
{
  g_clear_object (&METERED_INPUT (object)->base);
  G_OBJECT_CLASS (metered_input_parent_class)->finalize (object);
}

static void
metered_input_class_init (MeteredInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = metered_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = metered_input_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = metered_input_close;
}

static void
metered_input_init (MeteredInput *self)
{
}

static gssize
metered_output_write (GOutputStream  *stream,
                      const void     *buffer,
                      gsize           count,
                      GCancellable   *cancellable,
                      GError        **error)
{
  MeteredOutput *self = METERED_OUTPUT (stream);
  gssize n = g_output_stream_write (self->base, buffer, count, cancellable, error);

  note_written (self, n);
  return n;
}

static gboolean
metered_output_flush (GOutputStream  *stream,
                      GCancellable   *cancellable,
                      GError        **error)
{
  return g_output_stream_flush (METERED_OUTPUT (stream)->base, cancellable, error);
}

static gboolean
metered_output_close (GOutputStream  *stream,
                      GCancellable   *cancellable,
                      GError        **error)
{
  return TRUE;
}

static gboolean
metered_output_can_poll (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (METERED_OUTPUT (stream)->base));
}

static gboolean
metered_output_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (METERED_OUTPUT (stream)->base));
}

static GSource *
metered_output_create_source (GPollableOutputStream *stream,
                              GCancellable          *cancellable)
{
  GSource *base = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (METERED_OUTPUT (stream)->base),
                                                          cancellable);

  return wrap_source (stream, base, cancellable);
}

static gssize
metered_output_write_nonblocking (GPollableOutputStream  *stream,
                                  const void             *buffer,
                                  gsize                   count,
                                  GError                **error)
{
  MeteredOutput *self = METERED_OUTPUT (stream);
  gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                         buffer, count, NULL, error);

  note_written (self, n);
  return n;
}

static void
metered_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = metered_output_can_poll;
  iface->is_writable = metered_output_is_writable;
  iface->create_source = metered_output_create_source;
  iface->write_nonblocking = metered_output_write_nonblocking;
}

static void
metered_output_finalize (GObject *object)
{
  g_clear_object (&METERED_OUTPUT (object)->base);
  G_OBJECT_CLASS (metered_output_parent_class)->finalize (object);
}

static void
metered_output_class_init (MeteredOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = metered_output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = metered_output_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = metered_output_flush;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = metered_output_close;
}

static void
metered_output_init (MeteredOutput *self)
{
}

static GInputStream *
qi_metered_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (QI_METERED_STREAM (stream)->input);
}

static GOutputStream *
qi_metered_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (QI_METERED_STREAM (stream)->output);
}

static gboolean
qi_metered_stream_close (GIOStream     *stream,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return g_io_stream_close (QI_METERED_STREAM (stream)->base, cancellable, error);
}

static void
on_base_closed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* GIOStream's default runs close_fn in a thread; the base stream closes
 * asynchronously by itself, on the main context, without one. */
static void
qi_metered_stream_close_async (GIOStream           *stream,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, qi_metered_stream_close_async);
  g_io_stream_close_async (QI_METERED_STREAM (stream)->base, io_priority, cancellable,
                           on_base_closed, task);
}

static gboolean
qi_metered_stream_close_finish (GIOStream     *stream,
                                GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
qi_metered_stream_dispose (GObject *object)
{
  QiMeteredStream *self = QI_METERED_STREAM (object);

  if (self->input != NULL)
    self->input->owner = NULL;
  if (self->output != NULL)
    self->output->owner = NULL;

  G_OBJECT_CLASS (qi_metered_stream_parent_class)->dispose (object);
}

static void
qi_metered_stream_finalize (GObject *object)
{
  QiMeteredStream *self = QI_METERED_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (qi_metered_stream_parent_class)->finalize (object);
}

static void
qi_metered_stream_class_init (QiMeteredStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = qi_metered_stream_dispose;
  G_OBJECT_CLASS (klass)->finalize = qi_metered_stream_finalize;
  stream_class->get_input_stream = qi_metered_stream_get_input_stream;
  stream_class->get_output_stream = qi_metered_stream_get_output_stream;
  stream_class->close_fn = qi_metered_stream_close;
  stream_class->close_async = qi_metered_stream_close_async;
  stream_class->close_finish = qi_metered_stream_close_finish;
}

static void
qi_metered_stream_init (QiMeteredStream *self)
{
}

QiMeteredStream *
qi_metered_stream_new (GIOStream *base)
{
  QiMeteredStream *self;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (base)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (base)), NULL);

  self = g_object_new (QI_TYPE_METERED_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input = g_object_new (METERED_TYPE_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  self->input->owner = self;
  self->output = g_object_new (METERED_TYPE_OUTPUT, NULL);
  self->output->base = g_object_ref (g_io_stream_get_output_stream (base));
  self->output->owner = self;
  self->last_read = g_get_monotonic_time ();

  return self;
}

guint64
qi_metered_stream_get_written (QiMeteredStream *self)
{
  g_return_val_if_fail (QI_IS_METERED_STREAM (self), 0);

  return self->written;
}

gint64
qi_metered_stream_get_last_read (QiMeteredStream *self)
{
  g_return_val_if_fail (QI_IS_METERED_STREAM (self), 0);

  return self->last_read;
}

void
qi_metered_stream_set_read_limit (QiMeteredStream *self,
                                  guint64          limit)
{
  g_return_if_fail (QI_IS_METERED_STREAM (self));

  self->read_limit = limit;
}

void
qi_metered_stream_mark_read (QiMeteredStream *self)
{
  g_return_if_fail (QI_IS_METERED_STREAM (self));

  self->read_since_mark = 0;
}
