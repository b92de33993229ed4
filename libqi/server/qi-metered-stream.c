/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

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
  gboolean       reading;   /* the last read brought bytes in: the reader
                             * reads again before it returns to the main
                             * loop, and that read says whether more wait */
  guint64        read_since_mark;
  guint64        read_limit;
};

struct _MeteredInput
{
  GInputStream     parent_instance;
  GInputStream    *base;
  QiMeteredStream *owner;   /* weak: the owner holds this stream */
  GSocket         *socket;  /* the one under base, when known */
  gboolean         drained; /* a read of base would block: nothing read
                             * ahead is left above the socket, which is
                             * read and waited on directly from now on */
  GBytes          *ahead;   /* read from base before this stream was
                             * made, read first; NULL once read */
  gsize            ahead_at;
};

/* Small writes are held and handed to the base together: see
 * metered_output_write_nonblocking(). */
struct _MeteredOutput
{
  GOutputStream    parent_instance;
  GOutputStream   *base;
  QiMeteredStream *owner;
  GByteArray      *held;     /* taken from the writer, not yet by the base */
  GError          *failure;  /* why the base refused held bytes */
  GSource         *flusher;  /* hands held bytes on before the main loop waits */
  GSource         *writable; /* the base's source, a child of flusher, while
                              * the base takes no more */
  gint64           batch;    /* the main loop's time when a write last went
                              * straight through */
};

/* Writes of at least this much go through at once, as they come. */
#define HOLD_BELOW (16 * 1024)

/* Held bytes are handed on once they reach this much, about eight small
 * messages: few enough that the peer has the first of a burst to work on
 * while the rest are written, rather than both sides taking turns at
 * whole bursts (with 64 requests in flight, holding a whole burst made
 * bench/hub's round trips half as fast as handing on 2 KiB at a time). */
#define FLUSH_AT (2 * 1024)

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

/* Hands what is held to the base, as much as it takes now. When it takes
 * no more, the flusher waits for it to be writable; when it fails, the
 * failure is kept for the next write and the held bytes are dropped, as a
 * frame written to a broken connection is. */
static void
output_flush_held (MeteredOutput *self)
{
  while (self->held->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                             self->held->data, self->held->len,
                                                             NULL, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (self->writable == NULL && self->flusher != NULL)
            {
              self->writable = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                                       NULL);
              g_source_set_dummy_callback (self->writable);
              g_source_add_child_source (self->flusher, self->writable);
            }
          return;
        }
      if (n < 0)
        {
          if (self->failure == NULL)
            self->failure = g_steal_pointer (&error);
          g_byte_array_set_size (self->held, 0);
          break;
        }
      note_written (self, n);
      g_byte_array_remove_range (self->held, 0, n);
    }

  if (self->writable != NULL)
    {
      g_source_remove_child_source (self->flusher, self->writable);
      g_clear_pointer (&self->writable, g_source_unref);
    }
}

/* The flusher: ready when bytes are held and the base may take them. A
 * message written while the main loop dispatches goes out before it next
 * polls; those written in the same dispatch, such as the replies to the
 * requests one read brought in, go out in one write. */
typedef struct
{
  GSource        source;
  MeteredOutput *output; /* weak: the output destroys this source */
} Flusher;

static gboolean
flusher_ready (GSource *source)
{
  MeteredOutput *output = ((Flusher *) source)->output;

  return output != NULL && output->held->len > 0 && output->writable == NULL;
}

static gboolean
flusher_prepare (GSource *source,
                 gint    *timeout)
{
  *timeout = -1;
  return flusher_ready (source);
}

static gboolean
flusher_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     user_data)
{
  MeteredOutput *output = ((Flusher *) source)->output;

  if (output != NULL)
    output_flush_held (output);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs flusher_funcs = {
  .prepare = flusher_prepare,
  .check = flusher_ready,
  .dispatch = flusher_dispatch,
};

/* Hands what the output holds on to the base. */
static void
flush_output (MeteredInput *self)
{
  if (self->owner != NULL && self->owner->output != NULL && self->owner->output->held->len > 0)
    output_flush_held (self->owner->output);
}

/* Reads what was read ahead, if any is left: the bytes copied, or 0. */
static gsize
read_ahead (MeteredInput *self,
            void         *buffer,
            gsize         count)
{
  gsize size, n;
  const guint8 *data;

  if (self->ahead == NULL)
    return 0;
  data = g_bytes_get_data (self->ahead, &size);
  n = MIN (count, size - self->ahead_at);
  memcpy (buffer, data + self->ahead_at, n);
  self->ahead_at += n;
  if (self->ahead_at == size)
    g_clear_pointer (&self->ahead, g_bytes_unref);
  return n;
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

  /* A blocking read may wait for the peer, which may wait for what is held. */
  flush_output (self);
  if (over_limit (self, error))
    return -1;
  if (self->ahead != NULL && count > 0)
    n = read_ahead (self, buffer, count);
  else if (self->drained)
    n = g_socket_receive_with_blocking (self->socket, buffer, count, TRUE, cancellable, error);
  else
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
  MeteredInput *self = METERED_INPUT (stream);

  if (self->ahead != NULL)
    return TRUE;
  if (self->drained)
    return g_socket_condition_check (self->socket, G_IO_IN) != 0;
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

/* Once drained, the source of the input is one source on the socket's
 * file descriptor rather than a wrapper of the base's, itself a wrapper
 * of the socket's: GLib dispatches every ready source of such a tree,
 * blocking each one around it (unless it may recurse) and so writing to
 * the main context's eventfd twice for each that holds the descriptor,
 * and libsoup makes a new source after every read, so each source fewer
 * is two of those writes fewer a main loop iteration. */
static GSource *
metered_input_create_source (GPollableInputStream *stream,
                             GCancellable         *cancellable)
{
  MeteredInput *self = METERED_INPUT (stream);
  GSource *source;

  /* What was read ahead is there to read now. */
  if (self->ahead != NULL)
    {
      source = g_pollable_source_new_full (stream, NULL, cancellable);
      g_source_set_ready_time (source, 0);
      return source;
    }
  if (!self->drained)
    return wrap_source (stream,
                        g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base),
                                                               cancellable),
                        cancellable);

  source = g_pollable_source_new_full (stream, NULL, cancellable);
  g_source_add_unix_fd (source, g_socket_get_fd (self->socket), G_IO_IN | G_IO_HUP | G_IO_ERR);
  return source;
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
    {
      flush_output (self);
      return -1;
    }
  if (self->ahead != NULL && count > 0)
    n = read_ahead (self, buffer, count);
  else if (self->drained)
    n = g_socket_receive_with_blocking (self->socket, buffer, count, FALSE, NULL, error);
  else
    {
      g_autoptr(GError) local = NULL;

      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                    buffer, count, NULL, &local);
      /* Nothing the base read ahead is left: from now on the socket. */
      if (n < 0 && self->socket != NULL && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        self->drained = TRUE;
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
    }

  note_read (self, n);
  if (self->owner != NULL)
    self->owner->reading = n > 0;
  /* libsoup reads until a read would block. Until then the replies to
   * what came in are held; once nothing more waits (or the peer is gone),
   * they leave together, before the main loop polls again. */
  if (n <= 0)
    flush_output (self);
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
  g_clear_object (&METERED_INPUT (object)->socket);
  g_clear_pointer (&METERED_INPUT (object)->ahead, g_bytes_unref);
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
  gsize done = 0;
  gssize n;

  if (self->held->len > 0)
    {
      gboolean ok = g_output_stream_write_all (self->base, self->held->data, self->held->len,
                                               &done, cancellable, error);

      note_written (self, done);
      g_byte_array_remove_range (self->held, 0, done);
      if (!ok)
        return -1;
    }

  n = g_output_stream_write (self->base, buffer, count, cancellable, error);
  note_written (self, n);
  return n;
}

static gboolean
metered_output_flush (GOutputStream  *stream,
                      GCancellable   *cancellable,
                      GError        **error)
{
  MeteredOutput *self = METERED_OUTPUT (stream);
  gsize done = 0;
  gboolean ok = TRUE;

  if (self->held->len > 0)
    {
      ok = g_output_stream_write_all (self->base, self->held->data, self->held->len,
                                      &done, cancellable, error);
      note_written (self, done);
      g_byte_array_remove_range (self->held, 0, done);
    }

  return ok && g_output_stream_flush (self->base, cancellable, error);
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
  GSource *current;
  gboolean dispatching;
  gssize n;

  if (self->failure != NULL)
    {
      g_propagate_error (error, g_error_copy (self->failure));
      return -1;
    }

  /* libsoup writes each frame as it is queued, one system call each, and
   * each one wakes the peer. A small write made while the main loop
   * dispatches is held, and handed on with the others held in one write,
   * when more are on their way: while libsoup reads (the replies to what
   * it read are written between its reads, and its last read, which finds
   * nothing more, hands them on), or when another write went straight
   * through in this main loop iteration (replies and events of a burst
   * written outside a read: the flusher hands them on before the loop
   * polls again). Otherwise it goes through at once, so that a lone
   * message leaves as soon as before; so does one written outside any
   * dispatch, by code that may not run the main loop for a while after
   * it, the held ones first. Held bytes are handed on once they reach
   * FLUSH_AT. The written count, and so the unsent one, only moves when
   * the base takes them. A large write goes through as it comes, partial
   * writes and all. */
  dispatching = self->flusher != NULL && (current = g_main_current_source ()) != NULL &&
                g_source_get_context (current) == g_source_get_context (self->flusher);
  if (self->held->len > 0 && (count >= HOLD_BELOW || !dispatching))
    output_flush_held (self);
  if (self->held->len == 0 &&
      (count >= HOLD_BELOW || !dispatching ||
       (!(self->owner != NULL && self->owner->reading) && g_source_get_time (self->flusher) != self->batch)))
    {
      n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                      buffer, count, NULL, error);
      note_written (self, n);
      if (self->flusher != NULL)
        self->batch = g_source_get_time (self->flusher);
      return n;
    }

  g_byte_array_append (self->held, buffer, count);
  if (self->held->len >= FLUSH_AT)
    output_flush_held (self);
  return count;
}

static void
metered_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = metered_output_can_poll;
  iface->is_writable = metered_output_is_writable;
  iface->create_source = metered_output_create_source;
  iface->write_nonblocking = metered_output_write_nonblocking;
}

/* Stops holding: what the base takes now goes, the rest is dropped, as
 * libsoup drops the frames it has not written when it closes. */
static void
output_stop (MeteredOutput *self)
{
  if (self->flusher == NULL)
    return;

  output_flush_held (self);
  g_byte_array_set_size (self->held, 0);
  if (self->writable != NULL)
    {
      g_source_remove_child_source (self->flusher, self->writable);
      g_clear_pointer (&self->writable, g_source_unref);
    }
  ((Flusher *) self->flusher)->output = NULL;
  g_source_destroy (self->flusher);
  g_clear_pointer (&self->flusher, g_source_unref);
}

static void
metered_output_dispose (GObject *object)
{
  output_stop (METERED_OUTPUT (object));
  G_OBJECT_CLASS (metered_output_parent_class)->dispose (object);
}

static void
metered_output_finalize (GObject *object)
{
  MeteredOutput *self = METERED_OUTPUT (object);

  g_clear_object (&self->base);
  g_clear_pointer (&self->held, g_byte_array_unref);
  g_clear_error (&self->failure);
  G_OBJECT_CLASS (metered_output_parent_class)->finalize (object);
}

static void
metered_output_class_init (MeteredOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = metered_output_dispose;
  G_OBJECT_CLASS (klass)->finalize = metered_output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = metered_output_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = metered_output_flush;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = metered_output_close;
}

static void
metered_output_init (MeteredOutput *self)
{
  self->held = g_byte_array_new ();
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
  QiMeteredStream *self = QI_METERED_STREAM (stream);

  output_stop (self->output);
  return g_io_stream_close (self->base, cancellable, error);
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
  QiMeteredStream *self = QI_METERED_STREAM (stream);
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, qi_metered_stream_close_async);
  output_stop (self->output);
  g_io_stream_close_async (self->base, io_priority, cancellable, on_base_closed, task);
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
qi_metered_stream_new (GIOStream *base,
                       GSocket   *socket,
                       GBytes    *ahead)
{
  QiMeteredStream *self;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (base)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (base)), NULL);
  g_return_val_if_fail (socket == NULL || G_IS_SOCKET (socket), NULL);

  self = g_object_new (QI_TYPE_METERED_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input = g_object_new (METERED_TYPE_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  self->input->owner = self;
  self->input->socket = socket != NULL ? g_object_ref (socket) : NULL;
  if (ahead != NULL && g_bytes_get_size (ahead) > 0)
    self->input->ahead = g_bytes_ref (ahead);
  self->output = g_object_new (METERED_TYPE_OUTPUT, NULL);
  self->output->base = g_object_ref (g_io_stream_get_output_stream (base));
  self->output->owner = self;
  self->output->flusher = g_source_new (&flusher_funcs, sizeof (Flusher));
  ((Flusher *) self->output->flusher)->output = self->output;
  g_source_set_static_name (self->output->flusher, "[qi] metered stream flush");
  g_source_attach (self->output->flusher, g_main_context_get_thread_default ());
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
