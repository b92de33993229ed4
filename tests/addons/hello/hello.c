/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A native addon of every extension kind the core has: a hub handler, a
 * subscription, a CLI verb and a REST route. */
#include "config.h"

#include <qi/qi.h>

#define HELLO_TYPE_ADDON (hello_addon_get_type ())
G_DECLARE_FINAL_TYPE (HelloAddon, hello_addon, HELLO, ADDON, QiAddon)

struct _HelloAddon
{
  QiAddon parent_instance;
  guint   events;
  gboolean installed;
};

G_DEFINE_DYNAMIC_TYPE (HelloAddon, hello_addon, QI_TYPE_ADDON)

static void
greet (QiHubRequest *request,
       gpointer      user_data)
{
  JsonObject *payload = json_node_get_object (qi_hub_request_get_payload (request));
  const char *name = json_object_get_string_member_with_default (payload, "name", "world");
  g_autofree char *json = g_strdup_printf ("{\"greeting\":\"hello, %s\"}", name);
  g_autoptr(JsonNode) reply = json_from_string (json, NULL);

  qi_hub_request_reply (request, reply);
}

static void
count_event (QiMessage *event,
             gpointer   user_data)
{
  HELLO_ADDON (user_data)->events++;
}

static int
hello_verb (QiCliInvocation *invocation,
            gpointer         user_data)
{
  qi_cli_invocation_print (invocation, "hello from an addon\n");
  return 0;
}

static void
hello_route (QiRestRequest *request,
             gpointer       user_data)
{
  g_autofree char *json = g_strdup_printf ("{\"greeting\":\"hello, %s\"}",
                                           qi_rest_request_get_param (request, "name"));
  g_autoptr(JsonNode) body = json_from_string (json, NULL);

  qi_rest_request_reply_json (request, 200, body);
}

static gboolean
hello_addon_register_addon (QiAddon  *addon,
                            GError  **error)
{
  QiHubEndpoint *endpoint = qi_addon_get_endpoint (addon);
  g_autoptr(QiCliVerb) verb = qi_cli_verb_new ("hello", "Say hello", hello_verb, NULL, NULL);

  return qi_hub_endpoint_add_handler (endpoint, "hello.greet", greet, NULL, NULL, error) &&
         qi_hub_endpoint_subscribe (endpoint, "hello.**", count_event, addon, NULL, error) != 0 &&
         qi_addon_add_verb (addon, verb, error) &&
         qi_addon_add_route (addon, "GET", "/api/hello/{name}", hello_route, NULL, NULL, error);
}

static gboolean
hello_addon_install (QiAddon  *addon,
                     GError  **error)
{
  HELLO_ADDON (addon)->installed = TRUE;
  return TRUE;
}

static void
hello_addon_class_init (HelloAddonClass *klass)
{
  QI_ADDON_CLASS (klass)->register_addon = hello_addon_register_addon;
  QI_ADDON_CLASS (klass)->install = hello_addon_install;
}

static void
hello_addon_class_finalize (HelloAddonClass *klass)
{
}

static void
hello_addon_init (HelloAddon *self)
{
}

static GType
hello_register (GTypeModule *module)
{
  hello_addon_register_type (module);
  return HELLO_TYPE_ADDON;
}

QI_ADDON_MODULE_DEFINE (hello_register)
