/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qi-bench-addons DIR RUNS: discovery (metadata only) and load (open the
 * modules, register, install, close) of every addon in DIR, each RUNS
 * times in this process; prints the median and the 90th percentile in
 * milliseconds, and, for the ratio, the same discovery of an empty
 * folder. bench/addons generates DIR.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>
#include <qi/qi.h>

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *label,
        double     *samples,
        int         runs,
        double      baseline)
{
  qsort (samples, runs, sizeof (double), compare_double);
  printf ("%-34s median %8.3f ms   p90 %8.3f ms", label, samples[runs / 2], samples[runs * 9 / 10]);
  if (baseline > 0)
    printf ("   %6.1f× the empty folder", samples[runs / 2] / baseline);
  printf ("\n");
}

static double
discover (const char *dir,
          guint      *n)
{
  g_autoptr(QiAddonManager) manager = qi_addon_manager_new ();
  g_autoptr(GPtrArray) addons = NULL;
  gint64 start;

  qi_addon_manager_add_search_path (manager, dir);
  start = g_get_monotonic_time ();
  qi_addon_manager_discover (manager);
  g_ptr_array_unref (qi_addon_manager_resolve (manager, NULL));
  addons = qi_addon_manager_list_addons (manager);
  if (n != NULL)
    *n = addons->len;
  return (g_get_monotonic_time () - start) / 1e3;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *empty = NULL;
  g_autofree double *samples = NULL;
  double baseline;
  guint n = 0, loaded = 0;
  int runs;

  if (argc != 3)
    {
      fprintf (stderr, "usage: %s DIR RUNS\n", argv[0]);
      return 2;
    }
  runs = MAX (1, atoi (argv[2]));
  samples = g_new0 (double, runs);
  empty = g_dir_make_tmp ("qi-bench-empty-XXXXXX", NULL);

  for (int i = 0; i < runs; i++)
    samples[i] = discover (empty, NULL);
  report ("discover an empty folder", samples, runs, 0);
  baseline = samples[runs / 2];

  for (int i = 0; i < runs; i++)
    samples[i] = discover (argv[1], &n);
  {
    g_autofree char *label = g_strdup_printf ("discover %u addons", n);

    report (label, samples, runs, baseline);
  }

  for (int i = 0; i < runs; i++)
    {
      g_autoptr(QiHub) hub = qi_hub_new ();
      g_autoptr(QiCliManager) cli = qi_cli_manager_new ();
      g_autoptr(QiRestRouter) router = qi_rest_router_new ();
      g_autoptr(QiAddonManager) manager = qi_addon_manager_new ();
      g_autoptr(GPtrArray) addons = NULL;
      gint64 start;

      qi_addon_manager_add_search_path (manager, argv[1]);
      g_object_set (manager, "hub", hub, "cli-manager", cli, "router", router, NULL);
      start = g_get_monotonic_time ();
      qi_addon_manager_discover (manager);
      qi_addon_manager_load (manager, NULL);
      qi_addon_manager_close_all (manager);
      samples[i] = (g_get_monotonic_time () - start) / 1e3;

      addons = qi_addon_manager_list_addons (manager);
      loaded = 0;
      for (guint j = 0; j < addons->len; j++)
        loaded += qi_addon_info_get_error (addons->pdata[j]) == NULL;
    }
  {
    g_autofree char *label = g_strdup_printf ("discover + load + close %u", loaded);

    report (label, samples, runs, baseline);
  }

  g_rmdir (empty);
  return loaded == n ? 0 : 1;
}
