/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "qi-gui.h"

/**
 * QiGui:
 *
 * The interface of the `gui` service: the desktop shell. Without
 * `--headless`, the bootstrap asks the registered `gui` service to claim
 * the session (phase 6.0: a second shell hands its request to the first
 * and ends), starts the local server (6.1–6.2), asks the shell to show
 * itself with that server (6.3), then runs it (7).
 */

G_DEFINE_INTERFACE (QiGui, qi_gui, G_TYPE_OBJECT)

static gboolean
qi_gui_default_claim (QiGui     *self,
                      gboolean  *is_remote,
                      GError   **error)
{
  *is_remote = FALSE;
  return TRUE;
}

static void
qi_gui_default_init (QiGuiInterface *iface)
{
  iface->claim = qi_gui_default_claim;
}

/**
 * qi_gui_claim:
 * @self: a #QiGui
 * @is_remote: (out): set to %TRUE if another shell of the session took
 *   this run's request, and this run has nothing more to do
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
qi_gui_claim (QiGui     *self,
              gboolean  *is_remote,
              GError   **error)
{
  g_return_val_if_fail (QI_IS_GUI (self), FALSE);
  g_return_val_if_fail (is_remote != NULL, FALSE);

  *is_remote = FALSE;
  return QI_GUI_GET_IFACE (self)->claim (self, is_remote, error);
}

/**
 * qi_gui_show:
 * @self: a #QiGui
 * @server: the listening local server
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
qi_gui_show (QiGui     *self,
             QiServer  *server,
             GError   **error)
{
  QiGuiInterface *iface;

  g_return_val_if_fail (QI_IS_GUI (self), FALSE);
  g_return_val_if_fail (QI_IS_SERVER (server), FALSE);

  iface = QI_GUI_GET_IFACE (self);
  if (iface->show == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s cannot show a desktop shell"), G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }
  return iface->show (self, server, error);
}

/**
 * qi_gui_run:
 * @self: a #QiGui
 *
 * Runs the shell's main loop until it quits.
 *
 * Returns: the exit status
 */
int
qi_gui_run (QiGui *self)
{
  QiGuiInterface *iface;

  g_return_val_if_fail (QI_IS_GUI (self), 1);

  iface = QI_GUI_GET_IFACE (self);
  return iface->run != NULL ? iface->run (self) : 0;
}
