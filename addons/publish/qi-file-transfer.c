/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "qi-file-transfer.h"

/**
 * QiFileTransfer:
 *
 * The files of one publish, each from its source to its destination, in
 * worker threads (qi_file_transfer_run() blocks: call it from a thread of
 * your own). A file is written to a temporary name beside its destination
 * (qi_file_transfer_temp_path(): hidden, tagged with the version); once
 * every file is written, they are flushed (each file's writeback started
 * as soon as it was written, so the flushes mostly find their bytes on the
 * disk already and share the file system's journal commits, instead of
 * each waiting for one of its own) and then renamed into place without
 * replacing anything (`RENAME_NOREPLACE`), so a destination is either
 * absent or complete and on the disk; a hard link goes to its destination
 * at once (link(2) never replaces either). Copies compute the SHA-256 of
 * the bytes as they are read. When a file fails, the other workers stop
 * and what this run wrote is removed (qi_file_transfer_undo() is also
 * there for the caller, if what comes after the transfer fails).
 *
 * With qi_file_transfer_set_resume(), a destination that is already there
 * with the source's size is kept (and hashed): the transfer of a publisher
 * that died goes on where it stopped.
 */

#define BUFFER_SIZE (1 << 20)
/* A thread spends much of a file waiting for the disk (its writeback
 * throttles the writer, and a flush waits for the journal), not hashing:
 * more threads than cores keep the disk and the cores busy. */
#define MIN_THREADS 8
#define MAX_THREADS 16

typedef struct
{
  char    *source;
  char    *destination;
  char    *temp;
  gint64   size;
  char    *sha256;
  gboolean written;   /* this run wrote the temporary file, not in place yet */
  gboolean placed;    /* this run put the destination there */
} Item;

struct _QiFileTransfer
{
  GObject        parent_instance;

  QiTransferMode mode;
  char          *tag;
  gboolean       resume;
  guint          n_threads;
  gint64         rate_limit;  /* bytes a second, 0: none */
  GArray        *items;      /* Item */
  gint64         bytes_total;
  gboolean       sources_checked;
  gboolean       checked;

  /* while it runs */
  GMutex         lock;
  gint64         bytes_done;
  gint64         started_us;
  guint          files_done;
  gint           next;       /* atomic: the next item to take */
  gint           current;    /* atomic: the item last started */
  GError        *error;      /* the first failure */
  GCancellable  *stop;       /* cancelled on the first failure or the caller's cancel */
  GPtrArray     *warnings;
};

G_DEFINE_FINAL_TYPE (QiFileTransfer, qi_file_transfer, G_TYPE_OBJECT)

static const char * const mode_names[] = { "copy", "hardlink", "reflink" };

/**
 * qi_transfer_mode_from_string:
 * @text: `copy`, `hardlink` or `reflink`
 * @mode: (out): the mode
 *
 * Returns: whether @text names a mode
 */
gboolean
qi_transfer_mode_from_string (const char     *text,
                              QiTransferMode *mode)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_strcmp0 (text, mode_names[i]) == 0)
      {
        *mode = i;
        return TRUE;
      }
  return FALSE;
}

const char *
qi_transfer_mode_to_string (QiTransferMode mode)
{
  g_return_val_if_fail (mode <= QI_TRANSFER_MODE_REFLINK, NULL);
  return mode_names[mode];
}

static void
item_clear (gpointer data)
{
  Item *item = data;

  g_free (item->source);
  g_free (item->destination);
  g_free (item->temp);
  g_free (item->sha256);
}

static void
qi_file_transfer_finalize (GObject *object)
{
  QiFileTransfer *self = QI_FILE_TRANSFER (object);

  g_array_unref (self->items);
  g_free (self->tag);
  g_clear_error (&self->error);
  g_clear_object (&self->stop);
  g_ptr_array_unref (self->warnings);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (qi_file_transfer_parent_class)->finalize (object);
}

static void
qi_file_transfer_class_init (QiFileTransferClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = qi_file_transfer_finalize;
}

static void
qi_file_transfer_init (QiFileTransfer *self)
{
  self->items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_array_set_clear_func (self->items, item_clear);
  self->warnings = g_ptr_array_new_with_free_func (g_free);
  self->current = -1;
  g_mutex_init (&self->lock);
}

/**
 * qi_file_transfer_new:
 * @mode: how the files are transferred
 * @tag: what the temporary names carry, such as the version's id, so that
 *   what a dead publisher left can be found again
 *
 * Returns: (transfer full): a new, empty transfer
 */
QiFileTransfer *
qi_file_transfer_new (QiTransferMode  mode,
                      const char     *tag)
{
  QiFileTransfer *self;

  g_return_val_if_fail (mode <= QI_TRANSFER_MODE_REFLINK, NULL);
  g_return_val_if_fail (tag != NULL && *tag != '\0', NULL);

  self = g_object_new (QI_TYPE_FILE_TRANSFER, NULL);
  self->mode = mode;
  self->tag = g_strdup (tag);
  self->n_threads = CLAMP (4 * g_get_num_processors (), MIN_THREADS, MAX_THREADS);
  return self;
}

/**
 * qi_file_transfer_temp_path:
 * @destination: a file's destination
 * @tag: the transfer's tag
 *
 * Returns: (transfer full): the hidden name beside @destination that the
 *   file is written to before it is renamed into place
 */
char *
qi_file_transfer_temp_path (const char *destination,
                            const char *tag)
{
  g_autofree char *folder = g_path_get_dirname (destination);
  g_autofree char *name = g_path_get_basename (destination);
  g_autofree char *temp = g_strdup_printf (".%s.qi-part-%s", name, tag);

  return g_build_filename (folder, temp, NULL);
}

/**
 * qi_file_transfer_add:
 * @self: a #QiFileTransfer
 * @source: the file to transfer
 * @destination: (nullable): where it goes, or %NULL until
 *   qi_file_transfer_set_destination() says
 */
void
qi_file_transfer_add (QiFileTransfer *self,
                      const char     *source,
                      const char     *destination)
{
  Item item = { 0 };

  g_return_if_fail (QI_IS_FILE_TRANSFER (self));
  g_return_if_fail (source != NULL);

  item.source = g_strdup (source);
  item.destination = g_strdup (destination);
  item.size = -1;
  g_array_append_val (self->items, item);
  self->sources_checked = FALSE;
  self->checked = FALSE;
}

/**
 * qi_file_transfer_set_destination:
 * @self: a #QiFileTransfer
 * @index: the file's index, in the order of qi_file_transfer_add()
 * @destination: where it goes
 *
 * Gives a file its destination, or another (a publish that lost its
 * version number to another publisher solves them again): what
 * qi_file_transfer_check_sources() read of the sources stays.
 */
void
qi_file_transfer_set_destination (QiFileTransfer *self,
                                  guint           index,
                                  const char     *destination)
{
  Item *item;

  g_return_if_fail (QI_IS_FILE_TRANSFER (self));
  g_return_if_fail (index < self->items->len);
  g_return_if_fail (destination != NULL);

  item = &g_array_index (self->items, Item, index);
  g_free (item->destination);
  item->destination = g_strdup (destination);
  g_clear_pointer (&item->temp, g_free);
  self->checked = FALSE;
}

/**
 * qi_file_transfer_set_tag:
 * @self: a #QiFileTransfer
 * @tag: what the temporary names carry from now on
 *
 * Keeps what qi_file_transfer_check() found: a publish checks its files
 * before its version exists, then tags their temporary names with it.
 */
void
qi_file_transfer_set_tag (QiFileTransfer *self,
                          const char     *tag)
{
  g_return_if_fail (QI_IS_FILE_TRANSFER (self));
  g_return_if_fail (tag != NULL && *tag != '\0');

  g_free (self->tag);
  self->tag = g_strdup (tag);
  for (guint i = 0; i < self->items->len; i++)
    g_clear_pointer (&g_array_index (self->items, Item, i).temp, g_free);
}

void
qi_file_transfer_set_resume (QiFileTransfer *self,
                             gboolean        resume)
{
  g_return_if_fail (QI_IS_FILE_TRANSFER (self));
  self->resume = resume;
}


/**
 * qi_file_transfer_set_rate_limit:
 * @self: a #QiFileTransfer
 * @bytes_per_second: the most bytes a second the whole transfer moves,
 *   0 for no limit
 *
 * Keeps a publish from taking all of a file server's bandwidth.
 */
void
qi_file_transfer_set_rate_limit (QiFileTransfer *self,
                                 gint64          bytes_per_second)
{
  g_return_if_fail (QI_IS_FILE_TRANSFER (self));
  self->rate_limit = MAX (bytes_per_second, 0);
}

guint
qi_file_transfer_get_n_items (QiFileTransfer *self)
{
  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self), 0);
  return self->items->len;
}

static Item *
item_at (QiFileTransfer *self,
         guint           index)
{
  return &g_array_index (self->items, Item, index);
}

/* The temporary name of @item, made when first needed (a hard link has
 * none); an item is only ever in one thread's hands. */
static const char *
temp_of (QiFileTransfer *self,
         Item           *item)
{
  if (item->temp == NULL)
    item->temp = qi_file_transfer_temp_path (item->destination, self->tag);
  return item->temp;
}

/* The folder a worker opened last, so that a thousand files of one folder
 * are reached from it by name rather than by walking their whole paths
 * again: -1 when it could not be opened (the path is then used whole),
 * missing when it does not exist. */
typedef struct
{
  char    *path;
  int      fd;
  gboolean missing;
} Folder;

#define FOLDER_INIT { NULL, -1, FALSE }

static void
folder_clear (Folder *folder)
{
  g_clear_pointer (&folder->path, g_free);
  if (folder->fd >= 0)
    close (folder->fd);
  folder->fd = -1;
  folder->missing = FALSE;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Folder, folder_clear)

/* The folder of @path, opened in @folder (or kept open from the last
 * call); *base is the name in it. Returns its descriptor, or AT_FDCWD
 * (with *base = @path) when it cannot be opened. */
static int
folder_of (Folder      *folder,
           const char  *path,
           const char **base)
{
  const char *slash = strrchr (path, '/');
  gsize length;

  *base = path;
  /* a name at the root, or a path that ends with a slash (a folder, which
   * the whole path names best in a message) */
  if (slash == NULL || slash == path || slash[1] == '\0')
    {
      /* nothing is known of its folder: the last one's is forgotten */
      folder_clear (folder);
      return AT_FDCWD;
    }
  length = slash - path;
  if (folder->path == NULL || strncmp (folder->path, path, length) != 0 || folder->path[length] != '\0')
    {
      folder_clear (folder);
      folder->path = g_strndup (path, length);
      folder->fd = g_open (folder->path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
      folder->missing = folder->fd < 0 && errno == ENOENT;
    }
  if (folder->fd < 0)
    return AT_FDCWD;
  *base = slash + 1;
  return folder->fd;
}

static gboolean
fail_errno (GError     **error,
            int          saved_errno,
            const char  *action,
            const char  *path)
{
  g_autofree char *what = g_strdup_printf ("%s “%s”", action, path);

  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, _("no space left on the device %s"), what);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", what, g_strerror (saved_errno));
  return FALSE;
}

/**
 * qi_file_transfer_check_sources:
 * @self: a #QiFileTransfer
 * @error: return location for a #GError
 *
 * Reads the size of every source; each must be a regular file. The
 * destinations need not be known yet. Blocks: call it from a thread,
 * while nothing else uses @self. qi_file_transfer_check() calls it when
 * it was not called.
 *
 * Returns: %TRUE, or %FALSE with @error naming the file
 */
gboolean
qi_file_transfer_check_sources (QiFileTransfer  *self,
                                GError         **error)
{
  g_auto(Folder) sources = FOLDER_INIT;

  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self), FALSE);

  self->bytes_total = 0;
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = item_at (self, i);
      const char *base;
      int at = folder_of (&sources, item->source, &base);
      struct stat st;

      if (fstatat (at, base, &st, 0) != 0)
        {
          int saved_errno = errno;

          if (saved_errno == ENOENT)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("“%s” does not exist"), item->source);
              return FALSE;
            }
          return fail_errno (error, saved_errno, _("reading"), item->source);
        }
      if (!S_ISREG (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, _("“%s” is not a regular file"),
                       item->source);
          return FALSE;
        }
      item->size = st.st_size;
      self->bytes_total += st.st_size;
    }
  self->sources_checked = TRUE;
  return TRUE;
}

/**
 * qi_file_transfer_check:
 * @self: a #QiFileTransfer whose files all have their destination
 * @error: return location for a #GError
 *
 * Reads the size of every source (each must be a regular file) unless
 * qi_file_transfer_check_sources() did, and checks that no destination
 * exists yet (unless resuming). Blocks: call it from a thread.
 * qi_file_transfer_run() calls it when it was not called.
 *
 * Returns: %TRUE, or %FALSE with @error naming the file
 */
gboolean
qi_file_transfer_check (QiFileTransfer  *self,
                        GError         **error)
{
  g_auto(Folder) destinations = FOLDER_INIT;

  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self), FALSE);

  if (!self->sources_checked && !qi_file_transfer_check_sources (self, error))
    return FALSE;
  for (guint i = 0; i < self->items->len && !self->resume; i++)
    {
      Item *item = item_at (self, i);
      const char *base;
      int at;
      struct stat st;

      g_return_val_if_fail (item->destination != NULL, FALSE);
      at = folder_of (&destinations, item->destination, &base);
      /* in a folder that is not there yet, nothing is */
      if (!destinations.missing && fstatat (at, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("“%s” exists already: a published file is never overwritten"), item->destination);
          return FALSE;
        }
    }
  self->checked = TRUE;
  return TRUE;
}

static void
add_warning (QiFileTransfer *self,
             char           *warning)
{
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->warnings->len; i++)
    if (g_str_equal (self->warnings->pdata[i], warning))
      {
        g_free (warning);
        warning = NULL;
        break;
      }
  if (warning != NULL)
    g_ptr_array_add (self->warnings, warning);
  g_mutex_unlock (&self->lock);
}

/* Counts @bytes, and with a rate limit waits until they are due. */
static void
add_bytes (QiFileTransfer *self,
           gint64          bytes)
{
  gint64 due_us = 0;

  g_mutex_lock (&self->lock);
  self->bytes_done += bytes;
  if (self->rate_limit > 0 && self->mode != QI_TRANSFER_MODE_HARDLINK)
    due_us = self->started_us + self->bytes_done * G_USEC_PER_SEC / self->rate_limit;
  g_mutex_unlock (&self->lock);
  while (due_us > 0 && !g_cancellable_is_cancelled (self->stop))
    {
      gint64 now = g_get_monotonic_time ();

      if (now >= due_us)
        break;
      g_usleep (MIN (due_us - now, 50000));
    }
}

static char *
hex_digest (struct sha256_ctx *ctx)
{
  guint8 digest[SHA256_DIGEST_SIZE];
  char *hex = g_malloc (SHA256_DIGEST_SIZE * 2 + 1);

  sha256_digest (ctx, sizeof digest, digest);
  for (guint i = 0; i < sizeof digest; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", digest[i]);
  return hex;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }
      data += n;
      length -= n;
    }
  return TRUE;
}

/* Reads @fd to its end, hashing and (with @out >= 0) writing what it reads;
 * counts the bytes for the progress when @count. */
static gboolean
stream (QiFileTransfer  *self,
        Item            *item,
        int              in,
        int              out,
        guint8          *buffer,
        gboolean         count,
        GError         **error)
{
  struct sha256_ctx ctx;
  gint64 total = 0;

  sha256_init (&ctx);
  for (;;)
    {
      gssize n = read (in, buffer, BUFFER_SIZE);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail_errno (error, errno, _("reading"), out >= 0 ? item->source : item->destination);
      if (n == 0)
        break;
      sha256_update (&ctx, n, buffer);
      if (out >= 0 && !write_all (out, buffer, n))
        return fail_errno (error, errno, _("writing"), item->destination);
      total += n;
      if (count)
        add_bytes (self, n);
      if (g_cancellable_is_cancelled (self->stop))
        return g_cancellable_set_error_if_cancelled (self->stop, error), FALSE;
    }
  if (total != item->size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("“%s” changed while it was published: %" G_GINT64_FORMAT " bytes, not %" G_GINT64_FORMAT),
                   item->source, total, item->size);
      return FALSE;
    }
  g_free (item->sha256);
  item->sha256 = hex_digest (&ctx);
  return TRUE;
}

static gboolean
place (QiFileTransfer  *self,
       Item            *item,
       GError         **error)
{
  if (renameat2 (AT_FDCWD, temp_of (self, item), AT_FDCWD, item->destination, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno == EINVAL || errno == ENOSYS)
    {
      /* a file system without RENAME_NOREPLACE: link(2) never replaces */
      if (link (item->temp, item->destination) == 0)
        {
          g_unlink (item->temp);
          return TRUE;
        }
    }
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("“%s” appeared while it was published: a published file is never overwritten"),
                   item->destination);
      return FALSE;
    }
  return fail_errno (error, errno, _("renaming"), item->destination);
}

static gboolean
hash_existing (QiFileTransfer  *self,
               Item            *item,
               guint8          *buffer,
               GError         **error)
{
  int fd = g_open (item->destination, O_RDONLY | O_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return fail_errno (error, errno, _("reading"), item->destination);
  ok = stream (self, item, fd, -1, buffer, TRUE, error);
  close (fd);
  return ok;
}

/* What one worker thread holds: its buffer and the file it wrote last,
 * whose writeback runs while it writes the next. */
typedef struct
{
  guint8 *buffer;
  int     unsettled;        /* a descriptor of it, or -1 */
  Item   *unsettled_item;
  Folder  sources;          /* the folders of the files it linked last */
  Folder  destinations;
} Worker;

static gboolean
transfer_hardlink (QiFileTransfer  *self,
                   Item            *item,
                   Worker          *worker,
                   GError         **error)
{
  const char *source_base, *destination_base;
  int source_at = folder_of (&worker->sources, item->source, &source_base);
  int destination_at = folder_of (&worker->destinations, item->destination, &destination_base);

  if (linkat (source_at, source_base, destination_at, destination_base, 0) == 0)
    {
      item->placed = TRUE;
      add_bytes (self, item->size);
      return TRUE;
    }
  if (errno == EXDEV)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("“%s” and “%s” are on different file systems: a hard link cannot join them (publish with "
                     "the mode copy)"), item->source, item->destination);
      return FALSE;
    }
  if (errno == EEXIST)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("“%s” exists already: a published file is never overwritten"), item->destination);
      return FALSE;
    }
  return fail_errno (error, errno, _("linking"), item->destination);
}

/* Waits for the writeback of the file @worker wrote last and drops its
 * pages from the cache: a publish of a thousand frames reuses the memory
 * of a few instead of filling the cache with files nobody reads now. */
static gboolean
settle_last (Worker  *worker,
             GError **error)
{
  gboolean ok = TRUE;

  if (worker->unsettled < 0)
    return TRUE;
  if (sync_file_range (worker->unsettled, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                       SYNC_FILE_RANGE_WAIT_AFTER) != 0 && errno != EINVAL && errno != ENOSYS &&
      errno != ESPIPE)
    ok = fail_errno (error, errno, _("writing"), worker->unsettled_item->destination);
  else
    posix_fadvise (worker->unsettled, 0, 0, POSIX_FADV_DONTNEED);
  close (worker->unsettled);
  worker->unsettled = -1;
  worker->unsettled_item = NULL;
  return ok;
}

static gboolean
transfer_one (QiFileTransfer  *self,
              Item            *item,
              Worker          *worker,
              GError         **error)
{
  guint8 *buffer = worker->buffer;
  GStatBuf st;
  int in = -1, out = -1;
  gboolean ok = FALSE, cloned = FALSE;

  if (self->resume && g_lstat (item->destination, &st) == 0)
    {
      if (st.st_size != item->size)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("“%s” is there with %" G_GINT64_FORMAT " bytes, not the %" G_GINT64_FORMAT " of “%s”"),
                       item->destination, (gint64) st.st_size, item->size, item->source);
          return FALSE;
        }
      if (self->mode == QI_TRANSFER_MODE_HARDLINK)
        {
          add_bytes (self, item->size);
          return TRUE;
        }
      return hash_existing (self, item, buffer, error);
    }
  if (self->mode == QI_TRANSFER_MODE_HARDLINK)
    return transfer_hardlink (self, item, worker, error);

  in = g_open (item->source, O_RDONLY | O_CLOEXEC, 0);
  if (in < 0)
    return fail_errno (error, errno, _("reading"), item->source);
  out = g_open (temp_of (self, item), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0 && errno == EEXIST)
    {
      /* what an earlier, killed attempt at this very version left */
      g_unlink (item->temp);
      out = g_open (item->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
  if (out < 0)
    {
      fail_errno (error, errno, _("writing"), item->destination);
      close (in);
      return FALSE;
    }
  posix_fadvise (in, 0, 0, POSIX_FADV_SEQUENTIAL);

  if (self->mode == QI_TRANSFER_MODE_REFLINK)
    {
      if (ioctl (out, FICLONE, in) == 0)
        cloned = TRUE;
      else
        {
          g_autofree char *folder = g_path_get_dirname (item->destination);

          add_warning (self, g_strdup_printf (_("the file system of “%s” cannot clone files (%s): copied instead"),
                                              folder, g_strerror (errno)));
        }
    }
  /* a clone is hashed from the source it shares its blocks with */
  ok = stream (self, item, in, cloned ? -1 : out, buffer, TRUE, error);
  /* The disk starts on it now, and on this thread's next file the
   * thread waits for it (settle_last()); flush_one() makes it durable
   * later. Only hints: where the file system has no such thing, the
   * flush does it all. */
  if (ok && !cloned)
    {
      sync_file_range (out, 0, 0, SYNC_FILE_RANGE_WRITE);
      ok = settle_last (worker, error);
      if (ok)
        {
          worker->unsettled = fcntl (out, F_DUPFD_CLOEXEC, 0);
          worker->unsettled_item = item;
        }
    }
  close (in);
  if (close (out) != 0 && ok)
    ok = fail_errno (error, errno, _("writing"), item->destination);
  if (!ok)
    g_unlink (item->temp);
  else
    item->written = TRUE;
  return ok;
}

static gboolean
flush_one (QiFileTransfer  *self,
           Item            *item,
           Worker          *worker,
           GError         **error)
{
  int fd;
  gboolean ok;

  if (!item->written)
    return TRUE;
  fd = g_open (item->temp, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return fail_errno (error, errno, _("flushing"), item->destination);
  ok = fdatasync (fd) == 0 || fail_errno (error, errno, _("flushing"), item->destination);
  close (fd);
  return ok;
}

typedef gboolean (*ItemFunc) (QiFileTransfer *self,
                              Item           *item,
                              Worker         *worker,
                              GError        **error);

typedef struct
{
  QiFileTransfer *self;
  ItemFunc        func;
  gboolean        counts;  /* the files done are counted for the progress */
} Phase;

static void
record_failure (QiFileTransfer *self,
                GError         *error)
{
  g_mutex_lock (&self->lock);
  /* the first real failure wins over the others' cancellation */
  if (self->error == NULL ||
      (g_error_matches (self->error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
       !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
    }
  g_mutex_unlock (&self->lock);
  g_clear_error (&error);
  g_cancellable_cancel (self->stop);
}

static gpointer
run_worker (gpointer data)
{
  Phase *phase = data;
  QiFileTransfer *self = phase->self;
  g_autofree guint8 *buffer = phase->func != transfer_one ||
                              (self->mode == QI_TRANSFER_MODE_HARDLINK && !self->resume)
                              ? NULL : g_malloc (BUFFER_SIZE);
  Worker worker = { buffer, -1, NULL, FOLDER_INIT, FOLDER_INIT };
  GError *error = NULL;

  for (;;)
    {
      gint index = g_atomic_int_add (&self->next, 1);

      if (index >= (gint) self->items->len || g_cancellable_is_cancelled (self->stop))
        break;
      if (phase->counts)
        g_atomic_int_set (&self->current, index);
      if (!phase->func (self, item_at (self, index), &worker, &error))
        {
          record_failure (self, g_steal_pointer (&error));
          break;
        }
      if (phase->counts)
        g_atomic_int_inc ((gint *) &self->files_done);
    }
  if (!settle_last (&worker, &error))
    record_failure (self, g_steal_pointer (&error));
  folder_clear (&worker.sources);
  folder_clear (&worker.destinations);
  return NULL;
}

/* Runs @func on every item in up to n_threads threads (this one too);
 * FALSE when one failed or the transfer was stopped. */
static gboolean
run_phase (QiFileTransfer *self,
           ItemFunc        func,
           gboolean        counts)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  Phase phase = { self, func, counts };
  guint n_threads = MIN (self->n_threads, MAX (self->items->len, 1));

  /* A hard link is a few microseconds of work on its folder, which takes
   * one at a time: more threads only wait for each other. */
  if (self->mode == QI_TRANSFER_MODE_HARDLINK)
    n_threads = 1;
  self->next = 0;
  for (guint i = 1; i < n_threads; i++)
    g_ptr_array_add (threads, g_thread_new ("qi-transfer", run_worker, &phase));
  run_worker (&phase);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  return self->error == NULL && !g_cancellable_is_cancelled (self->stop);
}

/* Renames what this run wrote into place, in order. */
static gboolean
place_all (QiFileTransfer  *self,
           GError         **error)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = item_at (self, i);

      if (!item->written)
        continue;
      if (!place (self, item, error))
        return FALSE;
      item->written = FALSE;
      item->placed = TRUE;
    }
  return TRUE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
flush_folders (QiFileTransfer *self)
{
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      char *folder = g_path_get_dirname (item_at (self, i)->destination);
      int fd;

      if (!g_hash_table_add (done, folder))
        continue;
      fd = g_open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (fd >= 0)
        {
          fsync (fd);
          close (fd);
        }
    }
}

/**
 * qi_file_transfer_run:
 * @self: a #QiFileTransfer
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Transfers every file, in up to 16 threads, flushes them, renames them
 * into place and flushes the folders that received them. Blocks until
 * done. On failure (or cancellation) nothing this run wrote stays.
 *
 * Returns: %TRUE, or %FALSE with @error naming the file
 */
gboolean
qi_file_transfer_run (QiFileTransfer  *self,
                      GCancellable    *cancellable,
                      GError         **error)
{
  g_autoptr(GHashTable) folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gulong handler = 0;

  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self), FALSE);

  if (!self->checked && !qi_file_transfer_check (self, error))
    return FALSE;
  for (guint i = 0; i < self->items->len; i++)
    {
      char *folder = g_path_get_dirname (item_at (self, i)->destination);

      if (g_hash_table_add (folders, folder) && g_mkdir_with_parents (folder, 0755) != 0)
        return fail_errno (error, errno, _("making the folder"), folder);
    }

  g_clear_object (&self->stop);
  g_clear_error (&self->error);
  self->stop = g_cancellable_new ();
  self->bytes_done = 0;
  self->files_done = 0;
  self->started_us = g_get_monotonic_time ();
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), g_object_ref (self->stop),
                                     g_object_unref);

  /* hard links write no temporary file: there is nothing to flush */
  if (run_phase (self, transfer_one, TRUE) &&
      (self->mode == QI_TRANSFER_MODE_HARDLINK || run_phase (self, flush_one, FALSE)))
    place_all (self, &self->error);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);

  if (self->error == NULL && cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    g_cancellable_set_error_if_cancelled (cancellable, &self->error);
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      qi_file_transfer_undo (self);
      return FALSE;
    }
  flush_folders (self);
  return TRUE;
}

/**
 * qi_file_transfer_undo:
 * @self: a #QiFileTransfer
 *
 * Removes the destinations this transfer put in place and every temporary
 * file of its tag, and the folders left empty.
 */
void
qi_file_transfer_undo (QiFileTransfer *self)
{
  g_return_if_fail (QI_IS_FILE_TRANSFER (self));

  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = item_at (self, i);

      if (item->placed)
        g_unlink (item->destination);
      item->placed = item->written = FALSE;
      /* a hard link has no temporary name */
      if (self->mode != QI_TRANSFER_MODE_HARDLINK)
        g_unlink (temp_of (self, item));
    }
  for (guint i = 0; i < self->items->len; i++)
    {
      g_autofree char *folder = g_path_get_dirname (item_at (self, i)->destination);

      g_rmdir (folder);
    }
}

gint64
qi_file_transfer_get_bytes_total (QiFileTransfer *self)
{
  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self), 0);
  return self->bytes_total;
}

/**
 * qi_file_transfer_get_progress:
 * @self: a #QiFileTransfer
 * @bytes: (out) (optional): the bytes done
 * @files: (out) (optional): the files done
 * @current: (out) (optional) (transfer full): the destination of the file
 *   last started, or %NULL
 *
 * What a running transfer has done; safe from any thread.
 */
void
qi_file_transfer_get_progress (QiFileTransfer  *self,
                               gint64          *bytes,
                               guint           *files,
                               char           **current)
{
  gint index;

  g_return_if_fail (QI_IS_FILE_TRANSFER (self));

  g_mutex_lock (&self->lock);
  if (bytes != NULL)
    *bytes = self->bytes_done;
  g_mutex_unlock (&self->lock);
  if (files != NULL)
    *files = g_atomic_int_get ((gint *) &self->files_done);
  index = g_atomic_int_get (&self->current);
  if (current != NULL)
    *current = index >= 0 && (guint) index < self->items->len
               ? g_strdup (item_at (self, index)->destination) : NULL;
}



gint64
qi_file_transfer_get_size (QiFileTransfer *self,
                           guint           index)
{
  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self) && index < self->items->len, -1);
  return item_at (self, index)->size;
}

/**
 * qi_file_transfer_get_sha256:
 * @self: a #QiFileTransfer
 * @index: an item
 *
 * Returns: (nullable): the file's SHA-256 in hex once transferred, %NULL
 *   for a hard link (the file is its source) or before
 */
const char *
qi_file_transfer_get_sha256 (QiFileTransfer *self,
                             guint           index)
{
  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self) && index < self->items->len, NULL);
  return item_at (self, index)->sha256;
}

/**
 * qi_file_transfer_dup_warnings:
 * @self: a #QiFileTransfer
 *
 * Returns: (transfer full): what the transfer did otherwise than asked,
 *   each once (a clone that became a copy)
 */
GStrv
qi_file_transfer_dup_warnings (QiFileTransfer *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (QI_IS_FILE_TRANSFER (self), NULL);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->warnings->len; i++)
    g_strv_builder_add (builder, self->warnings->pdata[i]);
  g_mutex_unlock (&self->lock);
  return g_strv_builder_end (builder);
}

/**
 * qi_file_transfer_remove_leftovers:
 * @destination: a destination of a transfer that did not finish
 * @tag: its tag
 * @final_too: remove @destination itself too
 * @removed: (element-type utf8): where the paths removed are added
 * @error: return location for a #GError
 *
 * Removes what a dead publisher left of one file: its temporary file and,
 * with @final_too, the file it renamed into place. Blocks.
 *
 * Returns: %TRUE, or %FALSE if a file that is there cannot be removed
 */
gboolean
qi_file_transfer_remove_leftovers (const char  *destination,
                                   const char  *tag,
                                   gboolean     final_too,
                                   GPtrArray   *removed,
                                   GError     **error)
{
  g_autofree char *temp = qi_file_transfer_temp_path (destination, tag);
  const char *paths[] = { temp, final_too ? destination : NULL };

  for (guint i = 0; i < G_N_ELEMENTS (paths) && paths[i] != NULL; i++)
    {
      if (g_unlink (paths[i]) == 0)
        g_ptr_array_add (removed, g_strdup (paths[i]));
      else if (errno != ENOENT)
        return fail_errno (error, errno, _("removing"), paths[i]);
    }
  return TRUE;
}
