/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qi-bench-launch-env: the environment of every application of the
 * catalog, resolved as a launch resolves it, RUNS times.
 *
 *   qi-bench-launch-env INPUT.json OUTPUT.json [RUNS]
 *
 * INPUT.json (bench/launch writes it) holds what a studio's settings give
 * the launcher: "groups" (the applications, as `applications.groups`:
 * Qi's default catalog with each group's and each variant's environment),
 * "studio" and "project" (the layers `applications.environment` and
 * `project_environment`), "tools" (`applications.tools`), "tools_enabled"
 * and "base" (the user's own variables). For each variant of the catalog
 * the layers go as in a launch: base → studio → project → group →
 * variant → each enabled tool → the launch's QI_* variables; then the
 * final environment (qi_environment_dup_envp()).
 *
 * One run resolves the whole catalog; prints the median, p10 and p90 of a
 * run and per application, and writes the last run's environments to
 * OUTPUT.json (`{"APP": {"NAME": "VALUE", …}}`), which the Python
 * baseline (bench/launch-env.py) compares with its own.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qi/qi.h>

#include "qi-app-catalog.h"

#define MAX_RUNS 100000

static int
compare (const void *a,
         const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (const double *sorted,
            int           n,
            double        p)
{
  return sorted[(int) (p * (n - 1) + 0.5)];
}

static char **
base_of (JsonObject *input)
{
  JsonObject *base = json_object_get_object_member (input, "base");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, base);
  while (json_object_iter_next (&iter, &name, &value))
    {
      g_autofree char *variable = g_strdup_printf ("%s=%s", name, json_node_get_string (value));

      g_strv_builder_add (builder, variable);
    }
  return g_strv_builder_end (builder);
}

/* One application's environment, as the launch plan layers it. */
static char **
resolve (QiAppCatalog  *catalog,
         JsonObject    *input,
         const char    *const *base,
         JsonObject    *app,
         GError       **error)
{
  g_autoptr(QiEnvironment) environment = qi_environment_new (base);
  const char *name = json_object_get_string_member (app, "name");
  const char *group = json_object_get_string_member (app, "group");
  JsonObject *tools = json_object_get_object_member (input, "tools");
  JsonArray *enabled = json_object_get_array_member (input, "tools_enabled");

  qi_environment_set_platform (environment, QI_PLATFORM_LINUX);
  if (!qi_environment_add_layer (environment, "studio", json_object_get_member (input, "studio"), error) ||
      !qi_environment_add_layer (environment, "project demo", json_object_get_member (input, "project"), error) ||
      !qi_environment_add_layer (environment, group, qi_app_catalog_get_environment (catalog, name, FALSE), error) ||
      !qi_environment_add_layer (environment, name, qi_app_catalog_get_environment (catalog, name, TRUE), error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (enabled); i++)
    {
      const char *tool = json_array_get_string_element (enabled, i);
      const char *slash = strchr (tool, '/');
      g_autofree char *tool_name = g_strndup (tool, slash - tool);
      JsonObject *versions = json_object_get_object_member (tools, tool_name);
      g_autofree char *layer = g_strconcat ("tool ", tool, NULL);

      if (!qi_environment_add_layer (environment, layer, json_object_get_member (versions, slash + 1), error))
        return NULL;
    }
  qi_environment_set (environment, "launch", "QI_PROJECT", "demo");
  qi_environment_set (environment, "launch", "QI_CONTEXT", "/sq010/sh010");
  qi_environment_set (environment, "launch", "QI_TASK", "anim");
  qi_environment_set (environment, "launch", "QI_TASK_TYPE", "animation");
  qi_environment_set (environment, "launch", "QI_APP", name);
  qi_environment_set (environment, "launch", "QI_WORKDIR", "/mnt/work/demo/sq010/sh010/work/anim");
  return qi_environment_dup_envp (environment);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(QiAppCatalog) catalog = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(JsonObject) last = json_object_new ();
  g_autoptr(JsonNode) out = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) base = NULL;
  JsonObject *input;
  JsonArray *apps;
  int runs = argc > 3 ? atoi (argv[3]) : 2000;
  double *samples;
  guint n_apps;

  if (argc < 3 || runs < 1 || runs > MAX_RUNS)
    {
      fprintf (stderr, "usage: qi-bench-launch-env INPUT.json OUTPUT.json [RUNS ≤ %d]\n", MAX_RUNS);
      return 2;
    }
  if (!json_parser_load_from_file (parser, argv[1], &error))
    {
      fprintf (stderr, "qi-bench-launch-env: %s: %s\n", argv[1], error->message);
      return 1;
    }
  input = json_node_get_object (json_parser_get_root (parser));
  base = base_of (input);
  /* the catalog as the launcher builds it from the settings (discovery
   * of installed versions and all); not timed: it is made once per
   * settings change, not per launch */
  catalog = qi_app_catalog_new (json_object_get_member (input, "groups"), QI_PLATFORM_LINUX, "/usr/bin:/bin",
                                &error);
  if (catalog == NULL)
    {
      fprintf (stderr, "qi-bench-launch-env: the catalog: %s\n", error->message);
      return 1;
    }
  list = qi_app_catalog_list (catalog);
  apps = json_node_get_array (list);
  n_apps = json_array_get_length (apps);
  samples = g_new (double, runs);

  for (int run = -runs / 10 - 1; run < runs; run++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < n_apps; i++)
        {
          JsonObject *app = json_array_get_object_element (apps, i);
          g_auto(GStrv) envp = resolve (catalog, input, (const char * const *) base, app, &error);

          if (envp == NULL)
            {
              fprintf (stderr, "qi-bench-launch-env: %s: %s\n", json_object_get_string_member (app, "name"),
                       error->message);
              return 1;
            }
          if (run == runs - 1)
            {
              JsonObject *variables = json_object_new ();

              for (guint v = 0; envp[v] != NULL; v++)
                {
                  const char *equals = strchr (envp[v], '=');
                  g_autofree char *variable = g_strndup (envp[v], equals - envp[v]);

                  json_object_set_string_member (variables, variable, equals + 1);
                }
              json_object_set_object_member (last, json_object_get_string_member (app, "name"), variables);
            }
        }
      if (run >= 0)  /* the first tenth warms up */
        samples[run] = (g_get_monotonic_time () - start) / 1000.0;
    }

  qsort (samples, runs, sizeof (double), compare);
  printf ("qi: %u applications' environments (%u layers each, %u base variables)\n", n_apps,
          5 + json_array_get_length (json_object_get_array_member (input, "tools_enabled")),
          g_strv_length (base));
  printf ("qi: whole catalog  median %.3f ms  p10 %.3f  p90 %.3f   (%.1f µs per application)\n",
          percentile (samples, runs, 0.5), percentile (samples, runs, 0.1), percentile (samples, runs, 0.9),
          percentile (samples, runs, 0.5) * 1000.0 / n_apps);

  out = json_node_init_object (json_node_alloc (), last);
  text = qi_json_to_string (out, QI_JSON_WRITE_DEFAULT, NULL);
  if (!g_file_set_contents (argv[2], text, -1, &error))
    {
      fprintf (stderr, "qi-bench-launch-env: %s\n", error->message);
      return 1;
    }
  g_free (samples);
  return 0;
}
