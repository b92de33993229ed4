/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qi-bench-python DIR first: in this fresh process, the time to load the
 * native addon gen001 (a baseline), then the Python addon pygen, the
 * first Python addon, whose load starts Python; one line of figures.
 *
 * qi-bench-python DIR trips N: round trips from an in-process hub client
 * to a native handler (gen001.ask) and to a Python one (pygen.ask), N
 * each, one in flight, alternating in blocks so that both see the same
 * machine; prints microseconds per round trip and their ratio.
 *
 * bench/python generates DIR and runs both.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <qi/qi.h>

typedef struct
{
  gboolean done;
  GError  *error;
} Trip;

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Trip *trip = user_data;
  JsonNode *reply = qi_hub_endpoint_request_finish (QI_HUB_ENDPOINT (source), result, &trip->error);

  if (reply != NULL)
    json_node_unref (reply);
  trip->done = TRUE;
}

static double
round_trips (QiHubEndpoint *client,
             const char    *topic,
             guint          count)
{
  g_autoptr(JsonNode) payload = json_from_string ("{\"n\":1}", NULL);
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < count; i++)
    {
      Trip trip = { 0 };

      qi_hub_endpoint_request_async (client, topic, payload, 5000, NULL, on_reply, &trip);
      while (!trip.done)
        g_main_context_iteration (NULL, TRUE);
      if (trip.error != NULL)
        {
          fprintf (stderr, "%s: %s\n", topic, trip.error->message);
          exit (1);
        }
    }
  return (double) (g_get_monotonic_time () - start) / count;
}

/* Loads the addons of @names (all if NULL) and returns how long it took. */
static double
load (QiAddonManager      *manager,
      const char * const  *names)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GPtrArray) addons = NULL;

  qi_addon_manager_load (manager, names);
  addons = qi_addon_manager_list_addons (manager);
  for (guint i = 0; i < addons->len; i++)
    {
      QiAddonInfo *info = addons->pdata[i];

      if (qi_addon_info_get_state (info) == QI_ADDON_STATE_FAILED)
        {
          fprintf (stderr, "%s: %s\n", qi_addon_info_get_name (info), qi_addon_info_get_error (info)->message);
          exit (1);
        }
    }
  return (g_get_monotonic_time () - start) / 1e3;
}

/* A manager of DIR on a hub of its own. */
static QiAddonManager *
new_manager (const char *dir,
             QiHub      *hub)
{
  g_autoptr(QiCliManager) cli = qi_cli_manager_new ();
  g_autoptr(QiRestRouter) router = qi_rest_router_new ();
  QiAddonManager *manager = qi_addon_manager_new ();

  qi_addon_manager_add_search_path (manager, dir);
  g_object_set (manager, "hub", hub, "cli-manager", cli, "router", router, NULL);
  qi_addon_manager_discover (manager);
  return manager;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(QiHub) hub = qi_hub_new ();
  g_autoptr(QiHub) other_hub = qi_hub_new ();
  g_autoptr(QiAddonManager) manager = NULL;
  g_autoptr(QiAddonManager) other = NULL;
  g_autoptr(QiHubEndpoint) client = NULL;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s DIR first | trips N\n", argv[0]);
      return 2;
    }
  manager = new_manager (argv[1], hub);

  if (g_str_equal (argv[2], "first"))
    {
      double native, python;

      other = new_manager (argv[1], other_hub);
      native = load (manager, (const char * const []) { "gen001", NULL });
      python = load (other, (const char * const []) { "pygen", NULL });
      printf ("%.3f %.3f\n", native, python);
      qi_addon_manager_close_all (other);
      qi_addon_manager_close_all (manager);
      return 0;
    }

  if (g_str_equal (argv[2], "trips") && argc == 4)
    {
      guint count = MAX (10, atoi (argv[3]));
      double native = 0, python = 0;

      load (manager, NULL);
      client = qi_hub_open_endpoint (hub, "bench/client", NULL, NULL);
      round_trips (client, "gen001.ask", 200);   /* warm up */
      round_trips (client, "pygen.ask", 200);
      for (guint block = 0; block < 10; block++)
        {
          native += round_trips (client, "gen001.ask", count / 10) / 10;
          python += round_trips (client, "pygen.ask", count / 10) / 10;
        }
      printf ("round trip, native handler   %8.2f µs\n", native);
      printf ("round trip, Python handler   %8.2f µs   %.2f× native\n", python, python / native);
      qi_hub_endpoint_close (client);
      qi_addon_manager_close_all (manager);
      return 0;
    }

  fprintf (stderr, "usage: %s DIR first | trips N\n", argv[0]);
  return 2;
}
