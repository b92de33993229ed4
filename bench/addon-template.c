/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The template of bench/addons' generated addons; @N@ is replaced. */
#include <qi/qi.h>

#define GEN_TYPE_ADDON (gen@N@_addon_get_type ())
G_DECLARE_FINAL_TYPE (Gen@N@Addon, gen@N@_addon, GEN@N@, ADDON, QiAddon)

struct _Gen@N@Addon
{
  QiAddon parent_instance;
};

G_DEFINE_DYNAMIC_TYPE (Gen@N@Addon, gen@N@_addon, QI_TYPE_ADDON)

static void
answer (QiHubRequest *request,
        gpointer      user_data)
{
  qi_hub_request_reply (request, NULL);
}

static int
verb (QiCliInvocation *invocation,
      gpointer         user_data)
{
  return 0;
}

static gboolean
gen@N@_addon_register_addon (QiAddon  *addon,
                             GError  **error)
{
  g_autoptr(QiCliVerb) cli_verb = qi_cli_verb_new ("gen@N@", "A generated verb", verb, NULL, NULL);

  return qi_hub_endpoint_add_handler (qi_addon_get_endpoint (addon), "gen@N@.ask", answer,
                                      NULL, NULL, error) &&
         qi_addon_add_verb (addon, cli_verb, error);
}

static void
gen@N@_addon_class_init (Gen@N@AddonClass *klass)
{
  QI_ADDON_CLASS (klass)->register_addon = gen@N@_addon_register_addon;
}

static void
gen@N@_addon_class_finalize (Gen@N@AddonClass *klass)
{
}

static void
gen@N@_addon_init (Gen@N@Addon *self)
{
}

static GType
gen@N@_register (GTypeModule *module)
{
  gen@N@_addon_register_type (module);
  return GEN_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (gen@N@_register)
