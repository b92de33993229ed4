/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <qi/qi.h>

#include "qi-ftrack-adapter.h"
#include "qi-ftrack-auth-provider.h"
#include "qi-ftrack-keyring-private.h"
#include "qi-ftrack-session.h"

/*
 * ftrack as the run's tracker: a provider addon of the roles `db`
 * (QiFtrackAdapter) and `auth` (QiFtrackAuthProvider), which share one
 * QiFtrackSession: the tracker reads ftrack as the user the login gave.
 * Until someone logs in (the launcher's ftrack form, `qi --headless login
 * --ftrack …`, QI_FTRACK_* or the key in the keyring at bootstrap), the
 * tracker's calls say to log in first. Its verb:
 *
 *   logout --ftrack [--server SERVER] [--user NAME]
 *
 * forgets the key kept in the desktop keyring.
 */

#define QI_TYPE_TRACKER_FTRACK_ADDON (qi_tracker_ftrack_addon_get_type ())
G_DECLARE_FINAL_TYPE (QiTrackerFtrackAddon, qi_tracker_ftrack_addon, QI, TRACKER_FTRACK_ADDON, QiAddon)

struct _QiTrackerFtrackAddon
{
  QiAddon               parent_instance;

  QiFtrackSession      *session;
  QiFtrackAdapter      *tracker;
  QiFtrackAuthProvider *login;
};

G_DEFINE_DYNAMIC_TYPE (QiTrackerFtrackAddon, qi_tracker_ftrack_addon, QI_TYPE_ADDON)


/* logout --ftrack [--server SERVER] [--user NAME] */
static int
logout_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  const char *verb = qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation));
  g_autoptr(GError) error = NULL;
  guint cleared = 0;

  if (!qi_cli_invocation_get_flag (invocation, "ftrack"))
    {
      qi_cli_invocation_printerr (invocation,
                                  _("qi %s: give --ftrack: the stored ftrack API key is all there is to forget "
                                    "(sessions end with their process)\n"), verb);
      return QI_CLI_EXIT_USAGE;
    }
  if (!qi_ftrack_keyring_clear (qi_cli_invocation_get_string (invocation, "server"),
                                qi_cli_invocation_get_string (invocation, "user"), &cleared, &error))
    {
      qi_cli_invocation_printerr (invocation, "qi %s: %s\n", verb, error->message);
      return 1;
    }
  if (cleared == 0)
    qi_cli_invocation_print (invocation, _("no ftrack API key was stored\n"));
  else
    qi_cli_invocation_print (invocation, _("forgot the stored ftrack API key\n"));
  return 0;
}

static gboolean
qi_tracker_ftrack_addon_register_addon (QiAddon  *addon,
                                        GError  **error)
{
  QiTrackerFtrackAddon *self = QI_TRACKER_FTRACK_ADDON (addon);
  g_autoptr(QiCliVerb) logout = NULL;

  self->session = qi_ftrack_session_new_logged_out ();
  self->tracker = qi_ftrack_adapter_new_for_session (self->session);
  self->login = qi_ftrack_auth_provider_new (self->session);

  logout = qi_cli_verb_new ("logout", _("Forget the ftrack API key kept in the desktop keyring"),
                            logout_verb, NULL, NULL);
  qi_cli_verb_add_option (logout, "ftrack", QI_CLI_OPTION_FLAG, NULL, _("Forget the stored ftrack API key"));
  qi_cli_verb_add_option (logout, "server", QI_CLI_OPTION_STRING, _("SERVER"), _("Only the key of this server"));
  qi_cli_verb_add_option (logout, "user", QI_CLI_OPTION_STRING, _("NAME"), _("Only the key of this API user"));

  return qi_addon_provide_tracker (addon, QI_DB_ADAPTER (self->tracker), error) &&
         qi_addon_provide_login (addon, QI_AUTH_PROVIDER (self->login), error) &&
         qi_addon_add_verb (addon, logout, error);
}

static void
qi_tracker_ftrack_addon_dispose (GObject *object)
{
  QiTrackerFtrackAddon *self = QI_TRACKER_FTRACK_ADDON (object);

  g_clear_object (&self->login);
  g_clear_object (&self->tracker);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (qi_tracker_ftrack_addon_parent_class)->dispose (object);
}

static void
qi_tracker_ftrack_addon_class_init (QiTrackerFtrackAddonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = qi_tracker_ftrack_addon_dispose;
  QI_ADDON_CLASS (klass)->register_addon = qi_tracker_ftrack_addon_register_addon;
}

static void
qi_tracker_ftrack_addon_class_finalize (QiTrackerFtrackAddonClass *klass)
{
}

static void
qi_tracker_ftrack_addon_init (QiTrackerFtrackAddon *self)
{
}

static GType
tracker_ftrack_register (GTypeModule *module)
{
  qi_tracker_ftrack_addon_register_type (module);
  return qi_tracker_ftrack_addon_get_type ();
}

QI_ADDON_MODULE_DEFINE (tracker_ftrack_register)
