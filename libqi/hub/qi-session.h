/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-message.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_SESSION (qi_session_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (QiSession, qi_session, QI, SESSION, GObject)

/**
 * QiSessionClass:
 * @parent_class: the parent class
 * @deliver: hands a message to the peer of the session; the default emits
 *   #QiSession::message, which is how in-process sessions receive
 * @closed: the session was closed by its connection manager; transports
 *   close their connection here. The default does nothing
 *
 * The class of hub sessions: in process (this class as it is) or over a
 * transport (a subclass that overrides @deliver and @closed).
 */
struct _QiSessionClass
{
  GObjectClass parent_class;

  void (*deliver) (QiSession *self,
                   QiMessage *message);
  void (*closed)  (QiSession *self);

  /*< private >*/
  gpointer padding[8];
};

QI_AVAILABLE_IN_ALL
QiSession  *qi_session_new            (void);
QI_AVAILABLE_IN_ALL
const char *qi_session_get_id         (QiSession *self);
QI_AVAILABLE_IN_ALL
const char *qi_session_get_parent_id  (QiSession *self);
QI_AVAILABLE_IN_ALL
gboolean    qi_session_is_open        (QiSession *self);
QI_AVAILABLE_IN_ALL
void        qi_session_deliver        (QiSession *self,
                                       QiMessage *message);

G_END_DECLS
