/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-cli-invocation.h"
#include "qi-cli-manager.h"
#include "qi-cli-private.h"
#include "qi-launch-config-private.h"
#include "qi-text-utils-private.h"

/**
 * QiCliManager:
 *
 * The registry of the verbs of `qi --headless`, and the parser that runs
 * them. Core registers its verbs (help, version, config show, services,
 * status, completion); addons add theirs.
 *
 * A verb's name may have several words ("config show"); the longest
 * registered name that the command line starts with is run. Options follow
 * the verb as `--NAME`, `--NAME=VALUE` or `--NAME VALUE`; `--` ends them.
 * Every verb accepts `--help`.
 *
 * Exit statuses: what the verb returns, or %QI_CLI_EXIT_USAGE for a mistake
 * on the command line, reported on one line with a suggestion where one
 * fits.
 */

struct _QiCliManager
{
  QiService   parent_instance;

  GHashTable *verbs;     /* name -> QiCliVerb */
  guint       max_words;

  const QiCliContext *context;
  GWeakRef            owner;
};

G_DEFINE_FINAL_TYPE (QiCliManager, qi_cli_manager, QI_TYPE_SERVICE)

G_DEFINE_QUARK (qi-cli-error-quark, qi_cli_error)

static void
qi_cli_manager_finalize (GObject *object)
{
  QiCliManager *self = QI_CLI_MANAGER (object);

  g_clear_pointer (&self->verbs, g_hash_table_unref);
  g_weak_ref_clear (&self->owner);

  G_OBJECT_CLASS (qi_cli_manager_parent_class)->finalize (object);
}

static void
qi_cli_manager_class_init (QiCliManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_cli_manager_finalize;
}

static void
qi_cli_manager_init (QiCliManager *self)
{
  self->verbs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_weak_ref_init (&self->owner, NULL);
}

void
qi_cli_manager_set_context (QiCliManager       *self,
                            const QiCliContext *context,
                            GObject            *owner)
{
  self->context = context;
  g_weak_ref_set (&self->owner, owner);
}

void
qi_cli_manager_add_builtin (QiCliManager *self,
                            QiCliVerb    *verb)
{
  g_autoptr(QiCliVerb) owned = verb;
  g_autoptr(GError) error = NULL;

  qi_cli_manager_add_verb (self, owned, &error);
  g_assert_no_error (error);
}

/**
 * qi_cli_manager_new:
 *
 * Returns: (transfer full): a new, empty #QiCliManager
 */
QiCliManager *
qi_cli_manager_new (void)
{
  return g_object_new (QI_TYPE_CLI_MANAGER,
                       "name", "cli",
                       "description", _("Registry and runner of the qi --headless commands"),
                       NULL);
}

/**
 * qi_cli_manager_add_verb:
 * @self: a #QiCliManager
 * @verb: the verb to add
 * @error: return location for a #GError
 *
 * Adds @verb to the registry.
 *
 * Returns: %TRUE on success; %FALSE with %QI_CLI_ERROR_DUPLICATE_VERB if a
 *   verb of the same name is registered
 */
gboolean
qi_cli_manager_add_verb (QiCliManager  *self,
                         QiCliVerb     *verb,
                         GError       **error)
{
  const char *name;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_CLI_VERB (verb), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  name = qi_cli_verb_get_name (verb);
  if (g_hash_table_contains (self->verbs, name))
    {
      g_set_error (error, QI_CLI_ERROR, QI_CLI_ERROR_DUPLICATE_VERB,
                   _("the command “%s” is already registered"), name);
      return FALSE;
    }

  words = g_strsplit (name, " ", -1);
  self->max_words = MAX (self->max_words, g_strv_length (words));
  g_hash_table_insert (self->verbs, g_strdup (name), g_object_ref (verb));

  return TRUE;
}

/**
 * qi_cli_manager_remove_verb:
 * @self: a #QiCliManager
 * @verb: a verb of the registry
 *
 * Removes @verb, as an addon does when it closes. A verb of the same name
 * that is not @verb is left alone.
 *
 * Returns: %TRUE if @verb was registered
 */
gboolean
qi_cli_manager_remove_verb (QiCliManager *self,
                            QiCliVerb    *verb)
{
  const char *name;

  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), FALSE);
  g_return_val_if_fail (QI_IS_CLI_VERB (verb), FALSE);

  name = qi_cli_verb_get_name (verb);
  if (g_hash_table_lookup (self->verbs, name) != verb)
    return FALSE;
  return g_hash_table_remove (self->verbs, name);
}

/**
 * qi_cli_manager_lookup_verb:
 * @self: a #QiCliManager
 * @name: a verb name, such as "config show"
 *
 * Returns: (transfer none) (nullable): the verb, or %NULL
 */
QiCliVerb *
qi_cli_manager_lookup_verb (QiCliManager *self,
                            const char   *name)
{
  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->verbs, name);
}

static int
compare_verbs (gconstpointer a,
               gconstpointer b)
{
  QiCliVerb *va = *(QiCliVerb **) a;
  QiCliVerb *vb = *(QiCliVerb **) b;

  return strcmp (qi_cli_verb_get_name (va), qi_cli_verb_get_name (vb));
}

/**
 * qi_cli_manager_list_verbs:
 * @self: a #QiCliManager
 *
 * Returns: (transfer container) (element-type QiCliVerb): the registered
 *   verbs, sorted by name
 */
GPtrArray *
qi_cli_manager_list_verbs (QiCliManager *self)
{
  GPtrArray *verbs;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), NULL);

  verbs = g_ptr_array_new_full (g_hash_table_size (self->verbs), NULL);
  g_hash_table_iter_init (&iter, self->verbs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (verbs, value);
  g_ptr_array_sort (verbs, compare_verbs);

  return verbs;
}

static char *
format_usage (QiCliVerb *verb)
{
  GString *usage = g_string_new (NULL);
  g_auto(GStrv) options = qi_cli_verb_list_options (verb);
  const char *arguments = qi_cli_verb_get_arguments (verb, NULL, NULL);

  g_string_append_printf (usage, "qi --headless %s", qi_cli_verb_get_name (verb));
  for (guint i = 0; options[i] != NULL; i++)
    {
      QiCliOptionKind kind;
      const char *arg_name;

      qi_cli_verb_get_option_info (verb, options[i], &kind, &arg_name, NULL);
      if (kind == QI_CLI_OPTION_FLAG)
        g_string_append_printf (usage, " [--%s]", options[i]);
      else
        g_string_append_printf (usage, " [--%s=%s]", options[i], arg_name);
    }
  if (arguments != NULL)
    g_string_append_printf (usage, " %s", arguments);

  return g_string_free (usage, FALSE);
}

static void
append_row (GString    *out,
            const char *left,
            const char *right)
{
  glong width = g_utf8_strlen (left, -1);

  g_string_append_printf (out, "  %s", left);
  if (width < 22)
    g_string_append_printf (out, "%*s", (int) (24 - width), "");
  else
    g_string_append (out, "\n                          ");
  g_string_append_printf (out, "%s\n", right);
}

static char *
format_global_help (QiCliManager *self)
{
  g_autoptr(GPtrArray) verbs = qi_cli_manager_list_verbs (self);
  GString *out = g_string_new (NULL);
  const QiLaunchOption *options;
  guint n_options;

  g_string_append (out, _("Usage: qi [OPTION…] [COMMAND [ARG…]]"));
  g_string_append (out, "\n\n");
  g_string_append (out, _("Qi is a VFX pipeline desktop application: log in to the production "
                          "tracker, pick a task, launch DCCs with the right environment, and "
                          "publish, load and manage versions. With --headless, Qi runs COMMAND "
                          "and exits."));
  g_string_append (out, "\n\n");

  g_string_append (out, _("Commands:"));
  g_string_append_c (out, '\n');
  for (guint i = 0; i < verbs->len; i++)
    {
      QiCliVerb *verb = g_ptr_array_index (verbs, i);
      append_row (out, qi_cli_verb_get_name (verb), qi_cli_verb_get_summary (verb));
    }

  g_string_append_c (out, '\n');
  g_string_append (out, _("Options:"));
  g_string_append_c (out, '\n');
  options = qi_launch_options_get (&n_options);
  for (guint i = 0; i < n_options; i++)
    {
      g_autofree char *left = NULL;

      if (options[i].arg_name != NULL)
        left = g_strdup_printf ("--%s=%s", options[i].name, _(options[i].arg_name));
      else
        left = g_strdup_printf ("--%s", options[i].name);
      append_row (out, left, _(options[i].description));
    }
  append_row (out, "-h, --help", _("Show this help"));
  append_row (out, "--version", _("Show the version"));

  g_string_append_c (out, '\n');
  g_string_append (out, _("Every option can also be set with a QI_* environment variable "
                          "(--log-level is QI_LOG_LEVEL) or in the [launch] table of qi.toml."));
  g_string_append_c (out, '\n');
  g_string_append (out, _("Run “qi --headless help COMMAND” for more about one command."));
  g_string_append_c (out, '\n');

  return g_string_free (out, FALSE);
}

static char *
format_verb_help (QiCliVerb *verb)
{
  GString *out = g_string_new (NULL);
  g_autofree char *usage = format_usage (verb);
  g_auto(GStrv) options = qi_cli_verb_list_options (verb);
  const char *description = qi_cli_verb_get_description (verb);

  g_string_append_printf (out, _("Usage: %s"), usage);
  g_string_append (out, "\n\n");
  g_string_append_printf (out, "%s\n", qi_cli_verb_get_summary (verb));
  if (description != NULL)
    g_string_append_printf (out, "\n%s\n", description);

  g_string_append_c (out, '\n');
  g_string_append (out, _("Options:"));
  g_string_append_c (out, '\n');
  for (guint i = 0; options[i] != NULL; i++)
    {
      g_autofree char *left = NULL;
      QiCliOptionKind kind;
      const char *arg_name;
      const char *text;

      qi_cli_verb_get_option_info (verb, options[i], &kind, &arg_name, &text);
      if (kind == QI_CLI_OPTION_FLAG)
        left = g_strdup_printf ("--%s", options[i]);
      else
        left = g_strdup_printf ("--%s=%s", options[i], arg_name);
      append_row (out, left, text);
    }
  append_row (out, "-h, --help", _("Show this help"));

  return g_string_free (out, FALSE);
}

static char **
list_names (QiCliManager *self,
            gboolean      first_words_too)
{
  g_autoptr(GPtrArray) verbs = qi_cli_manager_list_verbs (self);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < verbs->len; i++)
    {
      const char *name = qi_cli_verb_get_name (g_ptr_array_index (verbs, i));
      const char *space = strchr (name, ' ');

      if (first_words_too && space != NULL)
        {
          char *first = g_strndup (name, space - name);

          if (g_hash_table_add (seen, first))
            g_strv_builder_add (builder, first);
        }
      g_strv_builder_add (builder, name);
    }

  return g_strv_builder_end (builder);
}

/**
 * qi_cli_manager_format_help:
 * @self: a #QiCliManager
 * @verb: (nullable): a verb name, or %NULL for the overview
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the help text of @verb, or of `qi` as a whole;
 *   %NULL with %QI_CLI_ERROR_UNKNOWN_VERB if @verb is not registered
 */
char *
qi_cli_manager_format_help (QiCliManager  *self,
                            const char    *verb,
                            GError       **error)
{
  QiCliVerb *found;

  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), NULL);

  if (verb == NULL)
    return format_global_help (self);

  found = qi_cli_manager_lookup_verb (self, verb);
  if (found == NULL)
    {
      g_autofree char *shown = g_utf8_make_valid (verb, -1);
      g_auto(GStrv) names = list_names (self, TRUE);
      g_autofree char *prefix = g_strconcat (verb, " ", NULL);
      g_autoptr(GPtrArray) verbs = qi_cli_manager_list_verbs (self);
      GString *group = NULL;

      /* "help config" lists the commands that start with "config". */
      for (guint i = 0; i < verbs->len; i++)
        {
          QiCliVerb *member = g_ptr_array_index (verbs, i);

          if (!g_str_has_prefix (qi_cli_verb_get_name (member), prefix))
            continue;
          if (group == NULL)
            {
              group = g_string_new (NULL);
              g_string_append_printf (group, _("Commands under “%s”:"), verb);
              g_string_append_c (group, '\n');
            }
          append_row (group, qi_cli_verb_get_name (member), qi_cli_verb_get_summary (member));
        }
      if (group != NULL)
        return g_string_free (group, FALSE);

      const char *suggestion = qi_text_suggest (verb, (const char * const *) names);

      if (suggestion != NULL)
        g_set_error (error, QI_CLI_ERROR, QI_CLI_ERROR_UNKNOWN_VERB,
                     _("unknown command “%s”; did you mean “%s”?"), shown, suggestion);
      else
        g_set_error (error, QI_CLI_ERROR, QI_CLI_ERROR_UNKNOWN_VERB,
                     _("unknown command “%s”; run “qi --headless help” for the list"), shown);
      return NULL;
    }

  return format_verb_help (found);
}

static int
usage_error (GOutputStream *err,
             QiCliVerb     *verb,
             const char    *format,
             ...) G_GNUC_PRINTF (3, 4);

static int
usage_error (GOutputStream *err,
             QiCliVerb     *verb,
             const char    *format,
             ...)
{
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* What the user typed is echoed; keep the line valid UTF-8. */
  if (!g_utf8_validate (message, -1, NULL))
    {
      char *valid = g_utf8_make_valid (message, -1);
      g_free (message);
      message = valid;
    }

  if (verb != NULL)
    line = g_strdup_printf ("qi %s: %s\n", qi_cli_verb_get_name (verb), message);
  else
    line = g_strdup_printf ("qi: %s\n", message);

  g_output_stream_write_all (err, line, strlen (line), NULL, NULL, NULL);
  return QI_CLI_EXIT_USAGE;
}

static gboolean
is_launch_option (const char *name)
{
  const QiLaunchOption *options;
  guint n_options;

  options = qi_launch_options_get (&n_options);
  for (guint i = 0; i < n_options; i++)
    if (g_str_equal (options[i].name, name))
      return TRUE;

  return FALSE;
}

/* Resolves the verb from the leading words of @args: the longest
 * registered name wins. */
static QiCliVerb *
resolve_verb (QiCliManager       *self,
              const char * const *args,
              guint              *n_words)
{
  guint n_args = g_strv_length ((char **) args);
  guint n_plain = 0;

  while (n_plain < n_args && args[n_plain][0] != '-')
    n_plain++;

  for (guint n = MIN (self->max_words, n_plain); n > 0; n--)
    {
      g_autoptr(GString) name = g_string_new (args[0]);
      QiCliVerb *verb;

      for (guint i = 1; i < n; i++)
        g_string_append_printf (name, " %s", args[i]);

      verb = qi_cli_manager_lookup_verb (self, name->str);
      if (verb != NULL)
        {
          *n_words = n;
          return verb;
        }
    }

  return NULL;
}

/**
 * qi_cli_manager_resolve_verb:
 * @self: a #QiCliManager
 * @arguments: (array zero-terminated=1): a command line after the global
 *   options, such as `{"config", "show", "--json", NULL}`
 *
 * Finds the verb a command line runs, as qi_cli_manager_run() would: the
 * longest registered name made of its leading words.
 *
 * Returns: (transfer none) (nullable): the verb, or %NULL if none is
 *   registered (yet: an addon may add it)
 */
QiCliVerb *
qi_cli_manager_resolve_verb (QiCliManager       *self,
                             const char * const *arguments)
{
  guint n_words = 0;

  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), NULL);
  g_return_val_if_fail (arguments != NULL, NULL);

  return resolve_verb (self, arguments, &n_words);
}

static int
report_unknown_verb (QiCliManager       *self,
                     const char * const *args,
                     GOutputStream      *err)
{
  g_auto(GStrv) names = list_names (self, TRUE);
  g_autoptr(GStrvBuilder) group = g_strv_builder_new ();
  g_autofree char *prefix = g_strconcat (args[0], " ", NULL);
  g_auto(GStrv) subverbs = NULL;
  g_autofree char *typed = NULL;
  const char *suggestion;

  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_has_prefix (names[i], prefix))
      g_strv_builder_add (group, names[i] + strlen (prefix));
  subverbs = g_strv_builder_end (group);

  if (subverbs[0] != NULL && (args[1] == NULL || args[1][0] == '-'))
    {
      g_autofree char *list = g_strjoinv (", ", subverbs);
      return usage_error (err, NULL, _("“%s” needs a subcommand: %s"), args[0], list);
    }

  if (subverbs[0] != NULL)
    typed = g_strdup_printf ("%s %s", args[0], args[1]);
  else
    typed = g_strdup (args[0]);

  suggestion = qi_text_suggest (typed, (const char * const *) names);
  if (suggestion != NULL)
    return usage_error (err, NULL, _("unknown command “%s”; did you mean “%s”?"),
                        typed, suggestion);

  return usage_error (err, NULL,
                      _("unknown command “%s”; run “qi --headless help” for the list"), typed);
}

/**
 * qi_cli_manager_run:
 * @self: a #QiCliManager
 * @arguments: (array zero-terminated=1) (element-type filename): the command
 *   and its arguments, such as `{ "config", "show", "--origin", NULL }`;
 *   option values must be UTF-8
 * @out: where the verb writes its output
 * @err: where the verb and the parser write errors
 *
 * Finds the verb, parses its options and arguments and runs it.
 *
 * Returns: the exit status
 */
int
qi_cli_manager_run (QiCliManager       *self,
                    const char * const *arguments,
                    GOutputStream      *out,
                    GOutputStream      *err)
{
  g_autoptr(QiCliInvocation) invocation = NULL;
  g_autoptr(GPtrArray) positional = NULL;
  g_autoptr(GHashTable) parsed = NULL;
  g_autoptr(GHashTable) arrays = NULL;
  guint n_args, n_words = 0;
  guint min_args, max_args;
  gboolean options_done = FALSE;
  GHashTableIter iter;
  gpointer key, value;
  QiCliVerb *verb;

  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), 1);
  g_return_val_if_fail (arguments != NULL, 1);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), 1);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (err), 1);

  n_args = g_strv_length ((char **) arguments);
  if (n_args == 0)
    return usage_error (err, NULL, _("no command given; run “qi --headless help” for the list"));

  verb = resolve_verb (self, arguments, &n_words);
  if (verb == NULL)
    return report_unknown_verb (self, arguments, err);

  positional = g_ptr_array_new ();
  parsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) g_variant_unref);
  arrays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) g_strv_builder_unref);

  for (guint i = n_words; i < n_args; i++)
    {
      const char *arg = arguments[i];
      g_autofree char *name = NULL;
      const char *text = NULL;
      const char *eq;
      QiCliOptionKind kind;

      if (options_done || arg[0] != '-' || g_str_equal (arg, "-"))
        {
          g_ptr_array_add (positional, (gpointer) arg);
          continue;
        }

      if (g_str_equal (arg, "--"))
        {
          options_done = TRUE;
          continue;
        }

      if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
        {
          g_autofree char *help = format_verb_help (verb);

          g_output_stream_write_all (out, help, strlen (help), NULL, NULL, NULL);
          return 0;
        }

      if (!g_str_has_prefix (arg, "--"))
        return usage_error (err, verb,
                            _("unknown option “%s”; options are spelled in full, like --help"),
                            arg);

      eq = strchr (arg, '=');
      name = eq != NULL ? g_strndup (arg + 2, eq - (arg + 2)) : g_strdup (arg + 2);

      if (!qi_cli_verb_get_option_info (verb, name, &kind, NULL, NULL))
        {
          g_auto(GStrv) options = qi_cli_verb_list_options (verb);
          const char *suggestion = qi_text_suggest (name, (const char * const *) options);

          if (is_launch_option (name))
            return usage_error (err, verb,
                                _("--%s is a global option; put it before the command: "
                                  "qi --%s … %s"),
                                name, name, qi_cli_verb_get_name (verb));
          if (suggestion != NULL)
            return usage_error (err, verb, _("unknown option “--%s”; did you mean “--%s”?"),
                                name, suggestion);
          return usage_error (err, verb, _("unknown option “--%s”; see “qi --headless help %s”"),
                              name, qi_cli_verb_get_name (verb));
        }

      if (kind == QI_CLI_OPTION_FLAG)
        {
          if (eq != NULL)
            return usage_error (err, verb, _("option “--%s” takes no value"), name);
          g_hash_table_replace (parsed, g_steal_pointer (&name),
                                g_variant_ref_sink (g_variant_new_boolean (TRUE)));
          continue;
        }

      if (eq != NULL)
        text = eq + 1;
      else if (i + 1 < n_args)
        text = arguments[++i];
      else
        return usage_error (err, verb, _("option “--%s” needs a value"), name);

      if (!g_utf8_validate (text, -1, NULL))
        {
          g_autofree char *shown = g_utf8_make_valid (text, -1);
          return usage_error (err, verb, _("option “--%s”: “%s” is not valid UTF-8"), name, shown);
        }

      switch (kind)
        {
        case QI_CLI_OPTION_STRING:
          g_hash_table_replace (parsed, g_steal_pointer (&name),
                                g_variant_ref_sink (g_variant_new_string (text)));
          break;

        case QI_CLI_OPTION_INT:
          {
            gint64 number;

            if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &number, NULL))
              return usage_error (err, verb, _("option “--%s” needs a whole number, not “%s”"),
                                  name, text);
            g_hash_table_replace (parsed, g_steal_pointer (&name),
                                  g_variant_ref_sink (g_variant_new_int64 (number)));
          }
          break;

        case QI_CLI_OPTION_STRING_ARRAY:
          {
            GStrvBuilder *builder = g_hash_table_lookup (arrays, name);

            if (builder == NULL)
              {
                builder = g_strv_builder_new ();
                g_hash_table_insert (arrays, g_strdup (name), builder);
              }
            g_strv_builder_add (builder, text);
          }
          break;

        case QI_CLI_OPTION_FLAG:
        default:
          g_assert_not_reached ();
        }
    }

  qi_cli_verb_get_arguments (verb, &min_args, &max_args);
  if (positional->len > max_args)
    {
      const char *extra = g_ptr_array_index (positional, max_args);

      if (max_args == 0)
        return usage_error (err, verb, _("takes no arguments, but got “%s”"), extra);
      return usage_error (err, verb, _("too many arguments, starting at “%s”"), extra);
    }
  if (positional->len < min_args)
    {
      g_autofree char *usage = format_usage (verb);
      return usage_error (err, verb, _("missing arguments; usage: %s"), usage);
    }

  g_ptr_array_add (positional, NULL);
  invocation = qi_cli_invocation_new (verb, (const char * const *) positional->pdata, out, err);
  {
    g_autoptr(GObject) owner = g_weak_ref_get (&self->owner);

    qi_cli_invocation_set_context (invocation, self->context, owner);
  }

  g_hash_table_iter_init (&iter, parsed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    qi_cli_invocation_set_option (invocation, key, value);

  g_hash_table_iter_init (&iter, arrays);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) values = g_strv_builder_end (value);
      qi_cli_invocation_set_option (invocation, key,
                                    g_variant_new_strv ((const char * const *) values, -1));
    }

  return qi_cli_verb_invoke (verb, invocation);
}

static void
append_quoted_words (GString            *out,
                     const char * const *words)
{
  g_string_append_c (out, '\'');
  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    g_string_append_printf (out, "%s%s", i > 0 ? " " : "", words[i]);
  g_string_append_c (out, '\'');
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The registry's names and the addons' declared ones, each once, sorted:
 * a verb name and, for one of several words, its first word. */
static GStrv
all_names (QiCliManager       *self,
           const char * const *declared)
{
  g_auto(GStrv) registered = list_names (self, TRUE);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; registered[i] != NULL; i++)
    if (g_hash_table_add (seen, registered[i]))
      g_ptr_array_add (names, g_strdup (registered[i]));
  for (guint i = 0; declared != NULL && declared[i] != NULL; i++)
    {
      const char *space = strchr (declared[i], ' ');
      g_autofree char *first = space != NULL ? g_strndup (declared[i], space - declared[i]) : NULL;

      if (first != NULL && !g_hash_table_contains (seen, first))
        {
          g_ptr_array_add (names, g_steal_pointer (&first));
          g_hash_table_add (seen, names->pdata[names->len - 1]);
        }
      if (!g_hash_table_contains (seen, declared[i]))
        {
          g_ptr_array_add (names, g_strdup (declared[i]));
          g_hash_table_add (seen, names->pdata[names->len - 1]);
        }
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static char *
generate_bash (QiCliManager       *self,
               const char * const *declared)
{
  g_autoptr(GPtrArray) verbs = qi_cli_manager_list_verbs (self);
  g_auto(GStrv) names = all_names (self, declared);
  g_autoptr(GStrvBuilder) firsts_builder = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) globals_builder = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) valued_builder = g_strv_builder_new ();
  g_auto(GStrv) firsts = NULL;
  g_auto(GStrv) globals = NULL;
  g_auto(GStrv) valued = NULL;
  const QiLaunchOption *options;
  guint n_options;
  GString *out = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    if (strchr (names[i], ' ') == NULL)
      g_strv_builder_add (firsts_builder, names[i]);
  firsts = g_strv_builder_end (firsts_builder);

  options = qi_launch_options_get (&n_options);
  for (guint i = 0; i < n_options; i++)
    {
      g_autofree char *flag = g_strdup_printf ("--%s", options[i].name);

      g_strv_builder_add (globals_builder, flag);
      if (options[i].kind != QI_LAUNCH_KIND_BOOL)
        g_strv_builder_add (valued_builder, flag);
    }
  g_strv_builder_add (globals_builder, "--help");
  g_strv_builder_add (globals_builder, "--version");
  globals = g_strv_builder_end (globals_builder);
  valued = g_strv_builder_end (valued_builder);

  g_string_append (out,
    "# bash completion for qi                                 -*- shell-script -*-\n"
    "# Generated by `qi --headless completion bash` from Qi's registry of\n"
    "# commands; regenerate it rather than editing it.\n"
    "\n");

  g_string_append (out, "_qi_global_options=");
  append_quoted_words (out, (const char * const *) globals);
  g_string_append (out, "\n_qi_global_valued=");
  append_quoted_words (out, (const char * const *) valued);
  g_string_append (out, "\n_qi_first_words=");
  append_quoted_words (out, (const char * const *) firsts);
  /* Names of several words, for completing "config <TAB>". */
  g_string_append (out, "\n_qi_multi_names=(");
  for (guint i = 0; names[i] != NULL; i++)
    if (strchr (names[i], ' ') != NULL)
      g_string_append_printf (out, " '%s'", names[i]);
  g_string_append (out, " )\n\n");

  /* A verb's options, its options that take a value, and the words its
   * first argument completes to. */
  g_string_append (out, "_qi_verb_info()\n{\n    case $1 in\n");
  for (guint i = 0; i < verbs->len; i++)
    {
      QiCliVerb *verb = g_ptr_array_index (verbs, i);
      g_auto(GStrv) verb_options = qi_cli_verb_list_options (verb);
      g_autoptr(GStrvBuilder) flags = g_strv_builder_new ();
      g_autoptr(GStrvBuilder) verb_valued = g_strv_builder_new ();
      g_auto(GStrv) flag_list = NULL;
      g_auto(GStrv) valued_list = NULL;
      const char * const *completions = qi_cli_verb_get_completions (verb);

      for (guint j = 0; verb_options[j] != NULL; j++)
        {
          g_autofree char *flag = g_strdup_printf ("--%s", verb_options[j]);
          QiCliOptionKind kind;

          qi_cli_verb_get_option_info (verb, verb_options[j], &kind, NULL, NULL);
          if (kind != QI_CLI_OPTION_FLAG)
            g_strv_builder_add (verb_valued, flag);
          g_strv_builder_add (flags, flag);
        }
      g_strv_builder_add (flags, "--help");
      flag_list = g_strv_builder_end (flags);
      valued_list = g_strv_builder_end (verb_valued);

      g_string_append_printf (out, "        '%s')\n            _qi_opts=", qi_cli_verb_get_name (verb));
      append_quoted_words (out, (const char * const *) flag_list);
      g_string_append (out, "\n            _qi_valued=");
      append_quoted_words (out, (const char * const *) valued_list);
      g_string_append (out, "\n            _qi_words=");
      if (completions != NULL && g_strv_contains (completions, "@commands"))
        append_quoted_words (out, (const char * const *) firsts);
      else
        append_quoted_words (out, completions);
      g_string_append (out, " ;;\n");
    }
  /* a command an addon declares (`verbs` in its addon.toml) and that is
   * not loaded here: its name, and --help */
  for (guint i = 0; declared != NULL && declared[i] != NULL; i++)
    if (qi_cli_manager_lookup_verb (self, declared[i]) == NULL)
      g_string_append_printf (out, "        '%s')\n            _qi_opts='--help'\n            _qi_valued=''\n"
                              "            _qi_words='' ;;\n", declared[i]);
  g_string_append (out,
    "        *) return 1 ;;\n"
    "    esac\n"
    "}\n"
    "\n"
    "_qi()\n"
    "{\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    local i word verb='' words=() nargs=0 _qi_opts='' _qi_valued='' _qi_words=''\n"
    "    COMPREPLY=()\n"
    "\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        word=${COMP_WORDS[i]}\n"
    "        if [[ -z $verb ]]; then\n"
    "            if [[ $word == -* ]]; then\n"
    "                [[ $word != *=* && \" $_qi_global_valued \" == *\" $word \"* ]] && ((i++))\n"
    "                continue\n"
    "            fi\n"
    "            words+=(\"$word\")\n"
    "            if _qi_verb_info \"${words[*]}\"; then\n"
    "                verb=\"${words[*]}\"\n"
    "            fi\n"
    "        else\n"
    "            if [[ $word == -* ]]; then\n"
    "                [[ $word != *=* && \" $_qi_valued \" == *\" $word \"* ]] && ((i++))\n"
    "                continue\n"
    "            fi\n"
    "            ((nargs++))\n"
    "        fi\n"
    "    done\n"
    "\n"
    "    if [[ -z $verb ]]; then\n"
    "        case $prev in\n"
    "            --config-dir|--data-dir|--addon-path)\n"
    "                COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
    "            --log-level)\n"
    "                COMPREPLY=($(compgen -W 'error critical warning message info debug' -- \"$cur\")); return ;;\n"
    "            --project|--bundle|--port)\n"
    "                return ;;\n"
    "        esac\n"
    "        if [[ $cur == -* ]]; then\n"
    "            COMPREPLY=($(compgen -W \"$_qi_global_options\" -- \"$cur\"))\n"
    "        elif ((${#words[@]} == 0)); then\n"
    "            COMPREPLY=($(compgen -W \"$_qi_first_words\" -- \"$cur\"))\n"
    "        else\n"
    "            local prefix=\"${words[*]} \" name subs=''\n"
    "            for name in \"${_qi_multi_names[@]}\"; do\n"
    "                [[ $name == \"$prefix\"* ]] && subs+=\" ${name#\"$prefix\"}\"\n"
    "            done\n"
    "            COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "        fi\n"
    "        return\n"
    "    fi\n"
    "\n"
    "    _qi_verb_info \"$verb\"\n"
    "    [[ \" $_qi_valued \" == *\" $prev \"* ]] && return\n"
    "    if [[ $cur == -* ]]; then\n"
    "        COMPREPLY=($(compgen -W \"$_qi_opts\" -- \"$cur\"))\n"
    "    elif ((nargs == 0)); then\n"
    "        COMPREPLY=($(compgen -W \"$_qi_words\" -- \"$cur\"))\n"
    "    fi\n"
    "}\n"
    "\n");

  g_string_append (out, "complete -F _qi qi\n");

  return g_string_free (out, FALSE);
}

/**
 * qi_cli_manager_generate_completion:
 * @self: a #QiCliManager
 * @shell: the shell, such as "bash"
 * @error: return location for a #GError
 *
 * Generates a completion script for @shell from the registered verbs and
 * their options. A verb's fixed completions (qi_cli_verb_set_completions())
 * complete its first argument; the word `@commands` among them stands for
 * the names of all commands.
 *
 * Returns: (transfer full): the script, or %NULL with
 *   %QI_CLI_ERROR_UNSUPPORTED_SHELL
 */
char *
qi_cli_manager_generate_completion (QiCliManager  *self,
                                    const char    *shell,
                                    GError       **error)
{
  return qi_cli_manager_generate_completion_with (self, shell, NULL, error);
}

/**
 * qi_cli_manager_generate_completion_with:
 * @self: a #QiCliManager
 * @shell: the shell, such as "bash"
 * @declared: (array zero-terminated=1) (nullable): more command names,
 *   such as those the addons found declare (qi_addon_info_get_verbs()),
 *   that complete without their options
 * @error: return location for a #GError
 *
 * Like qi_cli_manager_generate_completion(), with the commands of addons
 * that are not loaded.
 *
 * Returns: (transfer full): the script, or %NULL with
 *   %QI_CLI_ERROR_UNSUPPORTED_SHELL
 */
char *
qi_cli_manager_generate_completion_with (QiCliManager        *self,
                                         const char          *shell,
                                         const char * const  *declared,
                                         GError             **error)
{
  g_return_val_if_fail (QI_IS_CLI_MANAGER (self), NULL);
  g_return_val_if_fail (shell != NULL, NULL);

  if (g_str_equal (shell, "bash"))
    return generate_bash (self, declared);

  g_set_error (error, QI_CLI_ERROR, QI_CLI_ERROR_UNSUPPORTED_SHELL,
               _("no completion script for the shell “%s”; Qi supports bash"), shell);
  return NULL;
}
