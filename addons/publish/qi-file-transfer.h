/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * QiTransferMode:
 * @QI_TRANSFER_MODE_COPY: copy the bytes, computing their SHA-256 as they
 *   are read
 * @QI_TRANSFER_MODE_HARDLINK: link the destination to the source (same
 *   file system); no checksum
 * @QI_TRANSFER_MODE_REFLINK: clone the source (`FICLONE`), or copy where
 *   the file system cannot, with a warning; SHA-256 computed either way
 *
 * How a file reaches its published place.
 */
typedef enum {
  QI_TRANSFER_MODE_COPY,
  QI_TRANSFER_MODE_HARDLINK,
  QI_TRANSFER_MODE_REFLINK,
} QiTransferMode;

gboolean    qi_transfer_mode_from_string (const char      *text,
                                          QiTransferMode  *mode);
const char *qi_transfer_mode_to_string   (QiTransferMode   mode);

#define QI_TYPE_FILE_TRANSFER (qi_file_transfer_get_type ())
G_DECLARE_FINAL_TYPE (QiFileTransfer, qi_file_transfer, QI, FILE_TRANSFER, GObject)

QiFileTransfer *qi_file_transfer_new             (QiTransferMode   mode,
                                                  const char      *tag);
void            qi_file_transfer_add             (QiFileTransfer  *self,
                                                  const char      *source,
                                                  const char      *destination);
void            qi_file_transfer_set_destination (QiFileTransfer  *self,
                                                  guint            index,
                                                  const char      *destination);
void            qi_file_transfer_set_tag         (QiFileTransfer  *self,
                                                  const char      *tag);
void            qi_file_transfer_set_resume      (QiFileTransfer  *self,
                                                  gboolean         resume);
void            qi_file_transfer_set_rate_limit  (QiFileTransfer  *self,
                                                  gint64           bytes_per_second);
guint           qi_file_transfer_get_n_items     (QiFileTransfer  *self);
gboolean        qi_file_transfer_check_sources   (QiFileTransfer  *self,
                                                  GError         **error);
gboolean        qi_file_transfer_check           (QiFileTransfer  *self,
                                                  GError         **error);
gboolean        qi_file_transfer_run             (QiFileTransfer  *self,
                                                  GCancellable    *cancellable,
                                                  GError         **error);
void            qi_file_transfer_undo            (QiFileTransfer  *self);
gint64          qi_file_transfer_get_bytes_total (QiFileTransfer  *self);
void            qi_file_transfer_get_progress    (QiFileTransfer  *self,
                                                  gint64          *bytes,
                                                  guint           *files,
                                                  char           **current);
gint64          qi_file_transfer_get_size        (QiFileTransfer  *self,
                                                  guint            index);
const char     *qi_file_transfer_get_sha256      (QiFileTransfer  *self,
                                                  guint            index);
GStrv           qi_file_transfer_dup_warnings    (QiFileTransfer  *self);

char           *qi_file_transfer_temp_path       (const char      *destination,
                                                  const char      *tag);
gboolean        qi_file_transfer_remove_leftovers (const char     *destination,
                                                   const char     *tag,
                                                   gboolean        final_too,
                                                   GPtrArray      *removed,
                                                   GError        **error);

G_END_DECLS
