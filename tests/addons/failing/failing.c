/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An addon whose register fails after it added a verb and a route: both
 * must be gone, and the other addons unaffected. */
#include "config.h"

#include <qi/qi.h>

#define FAILING_TYPE_ADDON (failing_addon_get_type ())
G_DECLARE_FINAL_TYPE (FailingAddon, failing_addon, FAILING, ADDON, QiAddon)

struct _FailingAddon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (FailingAddon, failing_addon, QI_TYPE_ADDON)

static int
never_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  return 0;
}

static void
never_route (QiRestRequest *request,
             gpointer       user_data)
{
  qi_rest_request_reply_error (request, 500, "handler_failed", "never");
}

static void
never_answer (QiHubRequest *request,
              gpointer      user_data)
{
  qi_hub_request_reply (request, NULL);
}

static gboolean
failing_addon_register_addon (QiAddon  *addon,
                              GError  **error)
{
  g_autoptr(QiCliVerb) verb = qi_cli_verb_new ("failing", "Never there", never_verb, NULL, NULL);

  if (!qi_addon_add_verb (addon, verb, error) ||
      !qi_addon_add_route (addon, "GET", "/api/failing", never_route, NULL, NULL, error) ||
      !qi_hub_endpoint_add_handler (qi_addon_get_endpoint (addon), "failing.ask",
                                    never_answer, NULL, NULL, error))
    return FALSE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "the render farm is not configured");
  return FALSE;
}

static void
failing_addon_class_init (FailingAddonClass *klass)
{
  QI_ADDON_CLASS (klass)->register_addon = failing_addon_register_addon;
}

static void
failing_addon_class_finalize (FailingAddonClass *klass)
{
}

static void
failing_addon_init (FailingAddon *self)
{
}

static GType
failing_register (GTypeModule *module)
{
  failing_addon_register_type (module);
  return FAILING_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (failing_register)
