/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(QI_INSIDE) && !defined(QI_COMPILATION)
# error "Only <qi/qi.h> can be included directly."
#endif

#include <glib-object.h>

#include "qi-server.h"
#include "qi-version.h"

G_BEGIN_DECLS

#define QI_TYPE_GUI (qi_gui_get_type ())

QI_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (QiGui, qi_gui, QI, GUI, GObject)

/**
 * QiGuiInterface:
 * @g_iface: the parent interface
 * @claim: phase 6.0: become the one desktop shell of the user's session,
 *   or hand the request of this run to the one that is (then set
 *   @is_remote); must not need the local server
 * @show: phase 6.3: the local server listens; show the tray and the
 *   first windows
 * @run: phase 7: run the main loop until the shell quits; returns the
 *   exit status
 *
 * What the bootstrap asks of the `gui` service. libqi links no toolkit:
 * the desktop shell (`qi-shell/`) implements this and registers its
 * service before qi_application_run().
 */
struct _QiGuiInterface
{
  GTypeInterface g_iface;

  gboolean (*claim) (QiGui     *self,
                     gboolean  *is_remote,
                     GError   **error);
  gboolean (*show)  (QiGui     *self,
                     QiServer  *server,
                     GError   **error);
  int      (*run)   (QiGui     *self);
};

QI_AVAILABLE_IN_ALL
gboolean qi_gui_claim (QiGui     *self,
                       gboolean  *is_remote,
                       GError   **error);
QI_AVAILABLE_IN_ALL
gboolean qi_gui_show  (QiGui     *self,
                       QiServer  *server,
                       GError   **error);
QI_AVAILABLE_IN_ALL
int      qi_gui_run   (QiGui     *self);

G_END_DECLS
