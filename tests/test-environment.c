/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <qi/qi.h>

/* QiEnvironment: layers over the user's environment, references,
 * path lists, platforms, cycles, origins. */

static JsonNode *
json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static void
add (QiEnvironment *env,
     const char    *layer,
     const char    *text)
{
  g_autoptr(JsonNode) node = json (text);
  g_autoptr(GError) error = NULL;

  g_assert_true (qi_environment_add_layer (env, layer, node, &error));
  g_assert_no_error (error);
}

static GError *
refused (QiEnvironment *env,
         const char    *layer,
         const char    *text)
{
  g_autoptr(JsonNode) node = json (text);
  GError *error = NULL;

  g_assert_false (qi_environment_add_layer (env, layer, node, &error));
  g_assert_nonnull (error);
  return error;
}

static void
test_layers (void)
{
  const char * const base[] = { "PATH=/usr/bin:/bin", "PYTHONPATH=/home/ada/py", "HOME=/home/ada",
                                "EDITOR=vim", "LD_PRELOAD=/lib/bad.so", NULL };
  g_autoptr(QiEnvironment) env = qi_environment_new (base);
  g_auto(GStrv) envp = NULL;

  g_assert_cmpstr (qi_environment_get (env, "HOME"), ==, "/home/ada");
  g_assert_cmpstr (qi_environment_get_origin (env, "HOME"), ==, QI_ENVIRONMENT_BASE);

  /* the studio: a path list that prepends, a removal */
  add (env, "global", "{\"PYTHONPATH\": [\"/studio/python\", \"{PYTHONPATH}\", \"\", \"/studio/python\"],"
                      " \"STUDIO\": \"/mnt/studio\", \"LD_PRELOAD\": null}");
  g_assert_cmpstr (qi_environment_get (env, "PYTHONPATH"), ==, "/studio/python:/home/ada/py");
  g_assert_null (qi_environment_get (env, "LD_PRELOAD"));
  g_assert_cmpstr (qi_environment_get_origin (env, "LD_PRELOAD"), ==, "global");

  /* the project: a value of the layer before, and one of its own layer
   * given after the value that needs it */
  add (env, "project demo", "{\"OCIO\": \"{SHOW}/ocio/{OCIO_VERSION}/config.ocio\", \"OCIO_VERSION\": \"2.1\","
                            " \"SHOW\": \"{STUDIO}/shows/demo\"}");
  g_assert_cmpstr (qi_environment_get (env, "OCIO"), ==, "/mnt/studio/shows/demo/ocio/2.1/config.ocio");

  /* the variant: appends to the list the studio made, and a brace that is
   * no reference stays text */
  add (env, "blender/3.4", "{\"PYTHONPATH\": [\"{PYTHONPATH}\", \"/opt/blender/py\"],"
                           " \"PATH\": \"/opt/blender:{PATH}\", \"QI_NOTE\": \"{{not a ref}} {0} { x }\"}");
  g_assert_cmpstr (qi_environment_get (env, "PYTHONPATH"), ==, "/studio/python:/home/ada/py:/opt/blender/py");
  g_assert_cmpstr (qi_environment_get (env, "PATH"), ==, "/opt/blender:/usr/bin:/bin");
  g_assert_cmpstr (qi_environment_get (env, "QI_NOTE"), ==, "{not a ref} {0} { x }");

  /* a variable no layer sets keeps the user's value */
  g_assert_cmpstr (qi_environment_get (env, "EDITOR"), ==, "vim");
  g_assert_cmpstr (qi_environment_get_origin (env, "EDITOR"), ==, QI_ENVIRONMENT_BASE);

  /* a prepend to a variable the user does not have */
  add (env, "tools", "{\"NUKE_PATH\": [\"/studio/nuke\", \"{NUKE_PATH}\"], \"MARI\": \"{MARI}x\"}");
  g_assert_cmpstr (qi_environment_get (env, "NUKE_PATH"), ==, "/studio/nuke");
  g_assert_cmpstr (qi_environment_get (env, "MARI"), ==, "x");

  /* set without references: a context variable */
  g_assert_true (qi_environment_set (env, "launch", "QI_TASK", "{anim}"));
  g_assert_false (qi_environment_set (env, "launch", "2BAD", "x"));
  g_assert_cmpstr (qi_environment_get (env, "QI_TASK"), ==, "{anim}");

  envp = qi_environment_dup_envp (env);
  g_assert_cmpstr (envp[0], ==, "EDITOR=vim");
  g_assert_null (g_environ_getenv (envp, "LD_PRELOAD"));
  g_assert_cmpstr (g_environ_getenv (envp, "OCIO"), ==, "/mnt/studio/shows/demo/ocio/2.1/config.ocio");
}

static void
test_explain (void)
{
  const char * const base[] = { "PATH=/usr/bin", NULL };
  g_autoptr(QiEnvironment) env = qi_environment_new (base);
  g_autoptr(JsonNode) explained = NULL;
  g_autofree char *text = NULL;

  add (env, "global", "{\"PATH\": \"/studio/bin:{PATH}\"}");
  add (env, "maya/2025", "{\"PATH\": \"/usr/autodesk/maya2025/bin:{PATH}\", \"GONE\": null}");
  explained = qi_environment_explain (env);
  text = json_to_string (explained, FALSE);
  g_assert_cmpstr (text, ==,
                   "[{\"name\":\"GONE\",\"value\":null,\"origin\":\"maya/2025\",\"layers\":[\"maya/2025\"]},"
                   "{\"name\":\"PATH\",\"value\":\"/usr/autodesk/maya2025/bin:/studio/bin:/usr/bin\","
                   "\"origin\":\"maya/2025\",\"layers\":[\"environment\",\"global\",\"maya/2025\"]}]");
}

static void
test_platforms (void)
{
  g_autoptr(QiEnvironment) env = qi_environment_new (NULL);
  g_autoptr(QiEnvironment) windows = qi_environment_new ((const char * const []) { "PATH=C:\\Windows", NULL });

  qi_environment_set_platform (env, QI_PLATFORM_LINUX);
  add (env, "global", "{\"ROOT\": {\"linux\": \"/mnt/work\", \"windows\": \"P:/\"},"
                      " \"ONLY_WINDOWS\": {\"windows\": \"1\"}, \"LIST\": {\"linux\": [\"/a\", \"/b\"]}}");
  g_assert_cmpstr (qi_environment_get (env, "ROOT"), ==, "/mnt/work");
  g_assert_null (qi_environment_get (env, "ONLY_WINDOWS"));
  g_assert_null (qi_environment_get_origin (env, "ONLY_WINDOWS"));
  g_assert_cmpstr (qi_environment_get (env, "LIST"), ==, "/a:/b");

  qi_environment_set_platform (windows, QI_PLATFORM_WINDOWS);
  add (windows, "global", "{\"ROOT\": {\"linux\": \"/mnt/work\", \"windows\": \"P:/\"},"
                          " \"PATH\": [\"P:/bin\", \"{PATH}\"]}");
  g_assert_cmpstr (qi_environment_get (windows, "ROOT"), ==, "P:/");
  g_assert_cmpstr (qi_environment_get (windows, "PATH"), ==, "P:/bin;C:\\Windows");
}

static void
test_errors (void)
{
  const char * const base[] = { "PATH=/usr/bin", NULL };
  g_autoptr(QiEnvironment) env = qi_environment_new (base);
  struct {
    const char        *layer;
    const char        *text;
    int                code;
    const char        *message;
  } cases[] = {
    { "project demo", "{\"A\": \"{B}\", \"B\": \"{C}/x\", \"C\": \"{A}\"}", QI_ENVIRONMENT_ERROR_CYCLE,
      "project demo: the values refer to each other in a circle: A → B → C → A" },
    { "blender/3.4", "{\"X\": \"{MAYA_LOCATION}/bin\"}", QI_ENVIRONMENT_ERROR_UNDEFINED,
      "blender/3.4: X refers to {MAYA_LOCATION}, which no layer sets and the environment does not have" },
    { "global", "{\"2PATH\": \"x\"}", QI_ENVIRONMENT_ERROR_INVALID,
      "global: “2PATH” is not a variable name (letters, digits and “_”, not starting with a digit)" },
    { "global", "{\"N\": 7}", QI_ENVIRONMENT_ERROR_INVALID,
      "global: N is neither a string, a list of strings, an object of platforms nor null" },
    { "global", "{\"N\": [\"a\", 1]}", QI_ENVIRONMENT_ERROR_INVALID,
      "global: N has a list whose entry 2 is not a string" },
    { "global", "{\"N\": {\"amiga\": \"x\"}}", QI_ENVIRONMENT_ERROR_INVALID,
      "global: N names the platform “amiga”; the platforms are linux, windows and darwin" },
    { "global", "{\"N\": {\"linux\": {\"x\": 1}}}", QI_ENVIRONMENT_ERROR_INVALID,
      "global: N has an object for a platform: give a string, a list or null" },
    { "global", "[\"PATH\"]", QI_ENVIRONMENT_ERROR_INVALID,
      "global: the environment is not an object of variables" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = refused (env, cases[i].layer, cases[i].text);

      g_assert_error (error, QI_ENVIRONMENT_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  /* a refused layer changes nothing; a self-reference is no circle */
  {
    g_autoptr(GError) error = refused (env, "x", "{\"PATH\": \"/new:{PATH}\", \"Y\": \"{NOPE}\"}");

    g_assert_cmpstr (qi_environment_get (env, "PATH"), ==, "/usr/bin");
  }
  add (env, "x", "{\"PATH\": \"{PATH}:{PATH}\"}");
  g_assert_cmpstr (qi_environment_get (env, "PATH"), ==, "/usr/bin:/usr/bin");
  g_assert_true (qi_environment_add_layer (env, "none", NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qi/environment/layers", test_layers);
  g_test_add_func ("/qi/environment/explain", test_explain);
  g_test_add_func ("/qi/environment/platforms", test_platforms);
  g_test_add_func ("/qi/environment/errors", test_errors);

  return g_test_run ();
}
