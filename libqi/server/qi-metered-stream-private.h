/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GIOStream that passes everything through to another, pollable one,
 * counting the bytes written and noting when bytes were last read: the
 * WebSocket server learns from it how much of what it queued is still
 * unsent (to bound a slow reader's queue) and whether the peer is alive
 * (pongs are bytes too). A read limit bounds what the peer may send
 * between two marks: the server marks after each whole message. Given
 * the socket under @base, it reads that socket itself once nothing that
 * @base read ahead is left (see metered_input_create_source()); given
 * @ahead, bytes its maker read from @base (past an HTTP head), it reads
 * those first. */
#define QI_TYPE_METERED_STREAM (qi_metered_stream_get_type ())

G_GNUC_INTERNAL
G_DECLARE_FINAL_TYPE (QiMeteredStream, qi_metered_stream, QI, METERED_STREAM, GIOStream)

G_GNUC_INTERNAL
QiMeteredStream *qi_metered_stream_new            (GIOStream       *base,
                                                   GSocket         *socket,
                                                   GBytes          *ahead);
G_GNUC_INTERNAL
guint64          qi_metered_stream_get_written    (QiMeteredStream *self);
G_GNUC_INTERNAL
gint64           qi_metered_stream_get_last_read  (QiMeteredStream *self);
G_GNUC_INTERNAL
void             qi_metered_stream_set_read_limit (QiMeteredStream *self,
                                                   guint64          limit);
G_GNUC_INTERNAL
void             qi_metered_stream_mark_read      (QiMeteredStream *self);

G_END_DECLS
