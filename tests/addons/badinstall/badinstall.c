/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An addon that registers, then fails in install: what it registered
 * must be gone, and the addons that need it fail too. */
#include "config.h"

#include <qi/qi.h>

#define BADINSTALL_TYPE_ADDON (badinstall_addon_get_type ())
G_DECLARE_FINAL_TYPE (BadinstallAddon, badinstall_addon, BADINSTALL, ADDON, QiAddon)

struct _BadinstallAddon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (BadinstallAddon, badinstall_addon, QI_TYPE_ADDON)

static int
verb (QiCliInvocation *invocation,
      gpointer         user_data)
{
  return 0;
}

static void
answer (QiHubRequest *request,
        gpointer      user_data)
{
  qi_hub_request_reply (request, NULL);
}

static gboolean
badinstall_addon_register_addon (QiAddon  *addon,
                                 GError  **error)
{
  g_autoptr(QiCliVerb) cli_verb = qi_cli_verb_new ("badinstall", "Gone after install", verb, NULL, NULL);

  return qi_addon_add_verb (addon, cli_verb, error) &&
         qi_hub_endpoint_add_handler (qi_addon_get_endpoint (addon), "badinstall.ask", answer,
                                      NULL, NULL, error);
}

static gboolean
badinstall_addon_install (QiAddon  *addon,
                          GError  **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "the cache folder is full");
  return FALSE;
}

static void
badinstall_addon_class_init (BadinstallAddonClass *klass)
{
  QI_ADDON_CLASS (klass)->register_addon = badinstall_addon_register_addon;
  QI_ADDON_CLASS (klass)->install = badinstall_addon_install;
}

static void
badinstall_addon_class_finalize (BadinstallAddonClass *klass)
{
}

static void
badinstall_addon_init (BadinstallAddon *self)
{
}

static GType
badinstall_register (GTypeModule *module)
{
  badinstall_addon_register_type (module);
  return BADINSTALL_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (badinstall_register)
