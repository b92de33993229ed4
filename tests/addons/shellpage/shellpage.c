/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The desktop shell's test addon: a static UI in ui_dist/ (served at
 * /ui/shellpage/) and one tray entry, whose topic answers and announces
 * the click as the event shellpage.tray.clicked. */
#include "config.h"

#include <qi/qi.h>

#define SHELLPAGE_TYPE_ADDON (shellpage_addon_get_type ())
G_DECLARE_FINAL_TYPE (ShellpageAddon, shellpage_addon, SHELLPAGE, ADDON, QiAddon)

struct _ShellpageAddon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (ShellpageAddon, shellpage_addon, QI_TYPE_ADDON)

static void
on_open (QiHubRequest *request,
         gpointer      user_data)
{
  QiAddon *addon = user_data;
  JsonNode *payload = qi_hub_request_get_payload (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = json_from_string ("{\"opened\":true}", NULL);

  /* the tray's click reaches the addon: say so to whoever listens */
  if (!qi_hub_endpoint_emit (qi_addon_get_endpoint (addon), "shellpage.tray.clicked", payload, &error))
    g_warning ("%s", error->message);
  qi_hub_request_reply (request, reply);
}

static gboolean
shellpage_addon_register_addon (QiAddon  *addon,
                                GError  **error)
{
  QiHubEndpoint *endpoint = qi_addon_get_endpoint (addon);

  return qi_hub_endpoint_add_handler (endpoint, "shellpage.open", on_open, addon, NULL, error) &&
         qi_addon_add_tray_item (addon, "open", "Open the test page", "shellpage.open", error);
}

static void
shellpage_addon_class_init (ShellpageAddonClass *klass)
{
  QI_ADDON_CLASS (klass)->register_addon = shellpage_addon_register_addon;
}

static void
shellpage_addon_class_finalize (ShellpageAddonClass *klass)
{
}

static void
shellpage_addon_init (ShellpageAddon *self)
{
}

static GType
shellpage_register (GTypeModule *module)
{
  shellpage_addon_register_type (module);
  return SHELLPAGE_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (shellpage_register)
