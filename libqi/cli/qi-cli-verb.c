/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "qi-cli-invocation.h"
#include "qi-cli-verb.h"

/**
 * QiCliVerb:
 *
 * One command of `qi --headless`: a name of one or more words
 * ("status", "config show"), a one-line summary, a description, the
 * options it takes, the syntax and count of its positional arguments, and
 * the function that runs it.
 *
 * Core and addons create verbs and add them to the #QiCliManager.
 */

typedef struct
{
  char            *name;
  char            *arg_name;
  char            *description;
  QiCliOptionKind  kind;
} Option;

struct _QiCliVerb
{
  GObject         parent_instance;

  char           *name;
  char           *summary;
  char           *description;
  char           *arguments;
  guint           min_args;
  guint           max_args;
  GArray         *options;      /* of Option */
  GStrv           completions;
  gboolean        without_addons;
  gboolean        needs_tracker;   /* with without_addons: the tracker addon still loads */

  QiCliVerbFunc   func;
  gpointer        user_data;
  GDestroyNotify  destroy;
};

G_DEFINE_FINAL_TYPE (QiCliVerb, qi_cli_verb, G_TYPE_OBJECT)

static void
option_clear (gpointer data)
{
  Option *option = data;

  g_free (option->name);
  g_free (option->arg_name);
  g_free (option->description);
}

static void
qi_cli_verb_finalize (GObject *object)
{
  QiCliVerb *self = QI_CLI_VERB (object);

  if (self->destroy != NULL)
    self->destroy (self->user_data);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->summary, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->arguments, g_free);
  g_clear_pointer (&self->options, g_array_unref);
  g_clear_pointer (&self->completions, g_strfreev);

  G_OBJECT_CLASS (qi_cli_verb_parent_class)->finalize (object);
}

static void
qi_cli_verb_class_init (QiCliVerbClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_cli_verb_finalize;
}

static void
qi_cli_verb_init (QiCliVerb *self)
{
  self->options = g_array_new (FALSE, TRUE, sizeof (Option));
  g_array_set_clear_func (self->options, option_clear);
}

static gboolean
is_valid_word (const char *word)
{
  if (!g_ascii_islower (word[0]))
    return FALSE;

  for (const char *p = word; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;

  return TRUE;
}

static gboolean
is_valid_name (const char *name)
{
  g_auto(GStrv) words = g_strsplit (name, " ", -1);

  if (words[0] == NULL)
    return FALSE;

  for (guint i = 0; words[i] != NULL; i++)
    if (!is_valid_word (words[i]))
      return FALSE;

  return TRUE;
}

/**
 * qi_cli_verb_new:
 * @name: the words that call the verb, separated by single spaces, each of
 *   lowercase letters, digits and dashes: "status", "config show"
 * @summary: a one-line, translated summary for `qi help`
 * @func: (scope notified) (closure user_data) (destroy destroy): the
 *   function that runs the verb
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data when the verb is finalized
 *
 * Returns: (transfer full): a new #QiCliVerb with no options and no
 *   positional arguments
 */
QiCliVerb *
qi_cli_verb_new (const char     *name,
                 const char     *summary,
                 QiCliVerbFunc   func,
                 gpointer        user_data,
                 GDestroyNotify  destroy)
{
  QiCliVerb *self;

  g_return_val_if_fail (name != NULL && is_valid_name (name), NULL);
  g_return_val_if_fail (summary != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (QI_TYPE_CLI_VERB, NULL);
  self->name = g_strdup (name);
  self->summary = g_strdup (summary);
  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;

  return self;
}

/**
 * qi_cli_verb_get_name:
 * @self: a #QiCliVerb
 *
 * Returns: (transfer none): the words that call the verb
 */
const char *
qi_cli_verb_get_name (QiCliVerb *self)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), NULL);

  return self->name;
}

/**
 * qi_cli_verb_get_summary:
 * @self: a #QiCliVerb
 *
 * Returns: (transfer none): the one-line summary
 */
const char *
qi_cli_verb_get_summary (QiCliVerb *self)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), NULL);

  return self->summary;
}

/**
 * qi_cli_verb_get_description:
 * @self: a #QiCliVerb
 *
 * Returns: (transfer none) (nullable): the longer description shown by
 *   `qi help VERB`
 */
const char *
qi_cli_verb_get_description (QiCliVerb *self)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), NULL);

  return self->description;
}

/**
 * qi_cli_verb_set_description:
 * @self: a #QiCliVerb
 * @description: (nullable): a translated description, one or more
 *   paragraphs
 *
 * Sets the text shown by `qi help VERB` below the usage line.
 */
void
qi_cli_verb_set_description (QiCliVerb  *self,
                             const char *description)
{
  g_return_if_fail (QI_IS_CLI_VERB (self));

  g_free (self->description);
  self->description = g_strdup (description);
}

/**
 * qi_cli_verb_set_arguments:
 * @self: a #QiCliVerb
 * @syntax: (nullable): how the positional arguments read in the usage line,
 *   such as "[COMMAND]" or "FILE…"
 * @min_args: the fewest positional arguments the verb takes
 * @max_args: the most positional arguments, %G_MAXUINT for no limit
 *
 * Declares the positional arguments. A verb that declares none takes none.
 */
void
qi_cli_verb_set_arguments (QiCliVerb  *self,
                           const char *syntax,
                           guint       min_args,
                           guint       max_args)
{
  g_return_if_fail (QI_IS_CLI_VERB (self));
  g_return_if_fail (min_args <= max_args);

  g_free (self->arguments);
  self->arguments = g_strdup (syntax);
  self->min_args = min_args;
  self->max_args = max_args;
}

/**
 * qi_cli_verb_get_arguments:
 * @self: a #QiCliVerb
 * @min_args: (out) (optional): the fewest positional arguments
 * @max_args: (out) (optional): the most positional arguments
 *
 * Returns: (transfer none) (nullable): the syntax of the positional
 *   arguments
 */
const char *
qi_cli_verb_get_arguments (QiCliVerb *self,
                           guint     *min_args,
                           guint     *max_args)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), NULL);

  if (min_args != NULL)
    *min_args = self->min_args;
  if (max_args != NULL)
    *max_args = self->max_args;

  return self->arguments;
}

static const Option *
find_option (QiCliVerb  *self,
             const char *long_name)
{
  for (guint i = 0; i < self->options->len; i++)
    {
      const Option *option = &g_array_index (self->options, Option, i);

      if (g_str_equal (option->name, long_name))
        return option;
    }

  return NULL;
}

/**
 * qi_cli_verb_add_option:
 * @self: a #QiCliVerb
 * @long_name: the option without its dashes, such as "json"
 * @kind: what value the option takes
 * @arg_name: (nullable): the value's name in help, such as "FILE"; %NULL
 *   for flags
 * @description: a one-line, translated description
 *
 * Adds an option, given after the verb as `--LONG-NAME` or
 * `--LONG-NAME=VALUE`. `--help` is always accepted and need not be added.
 */
void
qi_cli_verb_add_option (QiCliVerb       *self,
                        const char      *long_name,
                        QiCliOptionKind  kind,
                        const char      *arg_name,
                        const char      *description)
{
  Option option;

  g_return_if_fail (QI_IS_CLI_VERB (self));
  g_return_if_fail (long_name != NULL && is_valid_word (long_name));
  g_return_if_fail (!g_str_equal (long_name, "help"));
  g_return_if_fail (find_option (self, long_name) == NULL);
  g_return_if_fail (description != NULL);

  option.name = g_strdup (long_name);
  option.kind = kind;
  option.arg_name = g_strdup (arg_name != NULL ? arg_name :
                              kind == QI_CLI_OPTION_FLAG ? NULL :
                              kind == QI_CLI_OPTION_INT ? "N" : "VALUE");
  option.description = g_strdup (description);
  g_array_append_val (self->options, option);
}

/**
 * qi_cli_verb_list_options:
 * @self: a #QiCliVerb
 *
 * Returns: (transfer full) (array zero-terminated=1): the long names of the
 *   options, in the order they were added
 */
char **
qi_cli_verb_list_options (QiCliVerb *self)
{
  GStrv names;

  g_return_val_if_fail (QI_IS_CLI_VERB (self), NULL);

  names = g_new0 (char *, self->options->len + 1);
  for (guint i = 0; i < self->options->len; i++)
    names[i] = g_strdup (g_array_index (self->options, Option, i).name);

  return names;
}

/**
 * qi_cli_verb_get_option_info:
 * @self: a #QiCliVerb
 * @long_name: an option name, without dashes
 * @kind: (out) (optional): what value the option takes
 * @arg_name: (out) (optional) (transfer none) (nullable): its value's name
 * @description: (out) (optional) (transfer none): its description
 *
 * Returns: %TRUE if the verb has the option
 */
gboolean
qi_cli_verb_get_option_info (QiCliVerb        *self,
                             const char       *long_name,
                             QiCliOptionKind  *kind,
                             const char      **arg_name,
                             const char      **description)
{
  const Option *option;

  g_return_val_if_fail (QI_IS_CLI_VERB (self), FALSE);
  g_return_val_if_fail (long_name != NULL, FALSE);

  option = find_option (self, long_name);
  if (option == NULL)
    return FALSE;

  if (kind != NULL)
    *kind = option->kind;
  if (arg_name != NULL)
    *arg_name = option->arg_name;
  if (description != NULL)
    *description = option->description;

  return TRUE;
}

/**
 * qi_cli_verb_set_needs_addons:
 * @self: a #QiCliVerb
 * @needs_addons: whether the verb needs the addons loaded
 *
 * A verb that needs no addon (`version`, `config show`) runs without the
 * bootstrap loading any: no addon code runs for it. The default is
 * %TRUE, since a verb may use what addons add.
 */
void
qi_cli_verb_set_needs_addons (QiCliVerb *self,
                              gboolean   needs_addons)
{
  g_return_if_fail (QI_IS_CLI_VERB (self));

  self->without_addons = !needs_addons;
}

/**
 * qi_cli_verb_set_needs_tracker:
 * @self: a #QiCliVerb
 * @needs_tracker: whether the verb needs the run's tracker and login
 *
 * For a verb that needs no addon (qi_cli_verb_set_needs_addons()) but the
 * run's tracker (`db stats`, `login`): the bootstrap loads the provider
 * addon of the roles `db` and `auth` for it, and no other.
 */
void
qi_cli_verb_set_needs_tracker (QiCliVerb *self,
                               gboolean   needs_tracker)
{
  g_return_if_fail (QI_IS_CLI_VERB (self));

  self->needs_tracker = needs_tracker;
}

/**
 * qi_cli_verb_get_needs_tracker:
 * @self: a #QiCliVerb
 *
 * Returns: whether the bootstrap loads the tracker's provider addon before
 *   the verb runs (%TRUE as well for a verb that needs every addon)
 */
gboolean
qi_cli_verb_get_needs_tracker (QiCliVerb *self)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), TRUE);

  return !self->without_addons || self->needs_tracker;
}

/**
 * qi_cli_verb_get_needs_addons:
 * @self: a #QiCliVerb
 *
 * Returns: whether the bootstrap loads the addons before the verb runs
 */
gboolean
qi_cli_verb_get_needs_addons (QiCliVerb *self)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), TRUE);

  return !self->without_addons;
}

/**
 * qi_cli_verb_set_completions:
 * @self: a #QiCliVerb
 * @words: (array zero-terminated=1) (nullable): the words the shell may
 *   complete the first positional argument to
 *
 * Sets fixed completions for the first positional argument, used by the
 * generated shell completion script.
 */
void
qi_cli_verb_set_completions (QiCliVerb         *self,
                             const char * const *words)
{
  g_return_if_fail (QI_IS_CLI_VERB (self));

  g_strfreev (self->completions);
  self->completions = g_strdupv ((char **) words);
}

/**
 * qi_cli_verb_get_completions:
 * @self: a #QiCliVerb
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the fixed
 *   completions of the first positional argument
 */
const char * const *
qi_cli_verb_get_completions (QiCliVerb *self)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), NULL);

  return (const char * const *) self->completions;
}

/**
 * qi_cli_verb_invoke:
 * @self: a #QiCliVerb
 * @invocation: the parsed invocation
 *
 * Runs the verb's function.
 *
 * Returns: its exit status
 */
int
qi_cli_verb_invoke (QiCliVerb       *self,
                    QiCliInvocation *invocation)
{
  g_return_val_if_fail (QI_IS_CLI_VERB (self), 1);
  g_return_val_if_fail (QI_IS_CLI_INVOCATION (invocation), 1);

  return self->func (invocation, self->user_data);
}
