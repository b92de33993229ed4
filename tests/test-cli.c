/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-test-utils.h"

typedef struct
{
  QiCliManager  *cli;
  GOutputStream *out;
  GOutputStream *err;
  char          *out_text;
  char          *err_text;
  GPtrArray     *calls;   /* of QiCliInvocation */
} Fixture;

static int
record_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->calls, g_object_ref (invocation));
  qi_cli_invocation_print (invocation, "ran %s\n",
                           qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation)));
  return 0;
}

static int
failing_verb (QiCliInvocation *invocation,
              gpointer         user_data)
{
  qi_cli_invocation_write_error (invocation, "qi fail: it failed\n");
  return 1;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(QiCliVerb) render = NULL;
  g_autoptr(QiCliVerb) submit = NULL;
  g_autoptr(QiCliVerb) fail = NULL;
  g_autoptr(GError) error = NULL;

  f->cli = qi_cli_manager_new ();
  f->calls = g_ptr_array_new_with_free_func (g_object_unref);

  render = qi_cli_verb_new ("render", "Render a shot", record_verb, f, NULL);
  qi_cli_verb_add_option (render, "frames", QI_CLI_OPTION_STRING, "RANGE", "Frames to render");
  qi_cli_verb_add_option (render, "priority", QI_CLI_OPTION_INT, NULL, "Farm priority");
  qi_cli_verb_add_option (render, "tag", QI_CLI_OPTION_STRING_ARRAY, "TAG", "A tag");
  qi_cli_verb_add_option (render, "dry-run", QI_CLI_OPTION_FLAG, NULL, "Only print");
  qi_cli_verb_set_arguments (render, "SHOT…", 1, G_MAXUINT);
  g_assert_true (qi_cli_manager_add_verb (f->cli, render, &error));

  submit = qi_cli_verb_new ("farm submit", "Submit to the farm", record_verb, f, NULL);
  qi_cli_verb_set_arguments (submit, "[JOB]", 0, 1);
  g_assert_true (qi_cli_manager_add_verb (f->cli, submit, &error));

  fail = qi_cli_verb_new ("fail", "Always fails", failing_verb, NULL, NULL);
  g_assert_true (qi_cli_manager_add_verb (f->cli, fail, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->cli);
  g_clear_object (&f->out);
  g_clear_object (&f->err);
  g_clear_pointer (&f->out_text, g_free);
  g_clear_pointer (&f->err_text, g_free);
  g_clear_pointer (&f->calls, g_ptr_array_unref);
}

static int
run (Fixture            *f,
     const char * const *args)
{
  int status;

  g_clear_object (&f->out);
  g_clear_object (&f->err);
  g_clear_pointer (&f->out_text, g_free);
  g_clear_pointer (&f->err_text, g_free);
  g_ptr_array_set_size (f->calls, 0);

  f->out = g_memory_output_stream_new_resizable ();
  f->err = g_memory_output_stream_new_resizable ();
  status = qi_cli_manager_run (f->cli, args, f->out, f->err);
  f->out_text = qi_test_steal_text (f->out);
  f->err_text = qi_test_steal_text (f->err);

  return status;
}

static void
test_registry (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(QiCliVerb) again = qi_cli_verb_new ("render", "Again", record_verb, f, NULL);
  g_autoptr(GPtrArray) verbs = qi_cli_manager_list_verbs (f->cli);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (verbs->len, ==, 3);
  g_assert_cmpstr (qi_cli_verb_get_name (g_ptr_array_index (verbs, 0)), ==, "fail");
  g_assert_cmpstr (qi_cli_verb_get_name (g_ptr_array_index (verbs, 1)), ==, "farm submit");
  g_assert_cmpstr (qi_cli_verb_get_name (g_ptr_array_index (verbs, 2)), ==, "render");
  g_assert_nonnull (qi_cli_manager_lookup_verb (f->cli, "farm submit"));
  g_assert_null (qi_cli_manager_lookup_verb (f->cli, "farm"));

  g_assert_false (qi_cli_manager_add_verb (f->cli, again, &error));
  g_assert_error (error, QI_CLI_ERROR, QI_CLI_ERROR_DUPLICATE_VERB);
}

static void
test_parse_options (Fixture       *f,
                    gconstpointer  data)
{
  QiCliInvocation *inv;
  g_auto(GStrv) tags = NULL;
  gint64 priority = 0;

  g_assert_cmpint (run (f, (const char * const []) {
                     "render", "sh010", "--frames=1-10", "--priority", "50",
                     "--tag=a", "--dry-run", "--tag", "b", "--", "--sh020", NULL }), ==, 0);
  g_assert_cmpstr (f->out_text, ==, "ran render\n");
  g_assert_cmpstr (f->err_text, ==, "");
  g_assert_cmpuint (f->calls->len, ==, 1);

  inv = g_ptr_array_index (f->calls, 0);
  g_assert_cmpstr (qi_cli_invocation_get_string (inv, "frames"), ==, "1-10");
  g_assert_true (qi_cli_invocation_get_int (inv, "priority", &priority));
  g_assert_cmpint (priority, ==, 50);
  g_assert_true (qi_cli_invocation_get_flag (inv, "dry-run"));
  tags = qi_cli_invocation_dup_strv (inv, "tag");
  g_assert_cmpuint (g_strv_length (tags), ==, 2);
  g_assert_cmpstr (tags[1], ==, "b");
  g_assert_cmpuint (g_strv_length ((char **) qi_cli_invocation_get_arguments (inv)), ==, 2);
  g_assert_cmpstr (qi_cli_invocation_get_arguments (inv)[1], ==, "--sh020");

  /* Options not given read as unset. */
  g_assert_cmpint (run (f, (const char * const []) { "render", "sh010", NULL }), ==, 0);
  inv = g_ptr_array_index (f->calls, 0);
  g_assert_null (qi_cli_invocation_get_string (inv, "frames"));
  g_assert_false (qi_cli_invocation_get_int (inv, "priority", NULL));
  g_assert_false (qi_cli_invocation_get_flag (inv, "dry-run"));
  g_assert_null (qi_cli_invocation_dup_strv (inv, "tag"));
}

static void
test_multi_word (Fixture       *f,
                 gconstpointer  data)
{
  QiCliInvocation *inv;

  g_assert_cmpint (run (f, (const char * const []) { "farm", "submit", "job1", NULL }), ==, 0);
  inv = g_ptr_array_index (f->calls, 0);
  g_assert_cmpstr (qi_cli_verb_get_name (qi_cli_invocation_get_verb (inv)), ==, "farm submit");
  g_assert_cmpstr (qi_cli_invocation_get_arguments (inv)[0], ==, "job1");
}

static void
test_exit_status (Fixture       *f,
                  gconstpointer  data)
{
  g_assert_cmpint (run (f, (const char * const []) { "fail", NULL }), ==, 1);
  g_assert_cmpstr (f->err_text, ==, "qi fail: it failed\n");
}

typedef struct
{
  const char *args[6];
  const char *message;
} UsageCase;

static const UsageCase usage_cases[] = {
  { { NULL }, "qi: no command given; run “qi --headless help” for the list\n" },
  { { "rendr", "x", NULL }, "qi: unknown command “rendr”; did you mean “render”?\n" },
  { { "zzzzzz", NULL }, "qi: unknown command “zzzzzz”; run “qi --headless help” for the list\n" },
  { { "farm", NULL }, "qi: “farm” needs a subcommand: submit\n" },
  { { "farm", "--x", NULL }, "qi: “farm” needs a subcommand: submit\n" },
  { { "farm", "submt", NULL }, "qi: unknown command “farm submt”; did you mean “farm submit”?\n" },
  { { "render", "--frame=1", "x", NULL }, "qi render: unknown option “--frame”; did you mean “--frames”?\n" },
  { { "render", "--zzzzzzzz", "x", NULL }, "qi render: unknown option “--zzzzzzzz”; see “qi --headless help render”\n" },
  { { "render", "--project=x", "x", NULL },
    "qi render: --project is a global option; put it before the command: qi --project … render\n" },
  { { "render", "-f", NULL }, "qi render: unknown option “-f”; options are spelled in full, like --help\n" },
  { { "render", "--dry-run=yes", "x", NULL }, "qi render: option “--dry-run” takes no value\n" },
  { { "render", "x", "--frames", NULL }, "qi render: option “--frames” needs a value\n" },
  { { "render", "x", "--priority=high", NULL }, "qi render: option “--priority” needs a whole number, not “high”\n" },
  { { "render", "x", "--frames=1\xff", NULL }, "qi render: option “--frames”: “1\xef\xbf\xbd” is not valid UTF-8\n" },
  { { "render", NULL },
    "qi render: missing arguments; usage: qi --headless render [--frames=RANGE] [--priority=N] [--tag=TAG] [--dry-run] SHOT…\n" },
  { { "fail", "now", NULL }, "qi fail: takes no arguments, but got “now”\n" },
  { { "farm", "submit", "a", "b", NULL }, "qi farm submit: too many arguments, starting at “b”\n" },
};

static void
test_usage_errors (Fixture       *f,
                   gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (usage_cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (run (f, usage_cases[i].args), ==, QI_CLI_EXIT_USAGE);
      g_assert_cmpstr (f->err_text, ==, usage_cases[i].message);
      g_assert_cmpstr (f->out_text, ==, "");
      g_assert_cmpuint (f->calls->len, ==, 0);
    }
}

static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *overview = qi_cli_manager_format_help (f->cli, NULL, &error);
  g_autofree char *render = qi_cli_manager_format_help (f->cli, "render", &error);
  g_autofree char *unknown = qi_cli_manager_format_help (f->cli, "rendr", &error);

  g_assert_nonnull (strstr (overview, "  farm submit             Submit to the farm\n"));
  g_assert_nonnull (strstr (overview, "--log-level=LEVEL"));
  g_assert_true (g_str_has_prefix (render,
                 "Usage: qi --headless render [--frames=RANGE] [--priority=N] [--tag=TAG] [--dry-run] SHOT…\n"));
  g_assert_nonnull (strstr (render, "  --frames=RANGE          Frames to render\n"));
  g_assert_null (unknown);
  g_assert_error (error, QI_CLI_ERROR, QI_CLI_ERROR_UNKNOWN_VERB);

  /* --help after a verb prints its help and runs nothing. */
  g_assert_cmpint (run (f, (const char * const []) { "render", "--help", NULL }), ==, 0);
  g_assert_cmpstr (f->out_text, ==, render);
  g_assert_cmpuint (f->calls->len, ==, 0);
}

static void
test_completion_script (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = qi_cli_manager_generate_completion (f->cli, "bash", &error);
  g_autofree char *none = qi_cli_manager_generate_completion (f->cli, "tcsh", &error);

  g_assert_nonnull (script);
  g_assert_nonnull (strstr (script, "complete -F _qi qi\n"));
  g_assert_nonnull (strstr (script, "'render')"));
  g_assert_nonnull (strstr (script, "'--frames --priority --tag --dry-run --help'"));
  g_assert_null (none);
  g_assert_error (error, QI_CLI_ERROR, QI_CLI_ERROR_UNSUPPORTED_SHELL);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/qi/cli/registry", test_registry);
  ADD ("/qi/cli/parse-options", test_parse_options);
  ADD ("/qi/cli/multi-word", test_multi_word);
  ADD ("/qi/cli/exit-status", test_exit_status);
  ADD ("/qi/cli/usage-errors", test_usage_errors);
  ADD ("/qi/cli/help", test_help);
  ADD ("/qi/cli/completion-script", test_completion_script);
#undef ADD

  return g_test_run ();
}
