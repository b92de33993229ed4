/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include <glib/gi18n-lib.h>

#include "qi-cli-invocation.h"
#include "qi-cli-private.h"
#include "qi-json.h"

/**
 * QiCliInvocation:
 *
 * One run of a CLI verb: the verb, its parsed options, its positional
 * arguments and the streams it writes to. Verbs write through the
 * invocation, never to the process's stdout directly, so that they run the
 * same in `qi --headless`, in tests and, later, over the hub.
 */

struct _QiCliInvocation
{
  GObject        parent_instance;

  QiCliVerb     *verb;
  GStrv          arguments;
  GHashTable    *options;   /* long name -> GVariant */
  GOutputStream *out;
  GOutputStream *err;

  const QiCliContext *context;
  GObject            *owner;   /* a strong reference while the verb runs */
};

G_DEFINE_FINAL_TYPE (QiCliInvocation, qi_cli_invocation, G_TYPE_OBJECT)

static void
qi_cli_invocation_finalize (GObject *object)
{
  QiCliInvocation *self = QI_CLI_INVOCATION (object);

  g_clear_object (&self->verb);
  g_clear_object (&self->owner);
  g_clear_pointer (&self->arguments, g_strfreev);
  g_clear_pointer (&self->options, g_hash_table_unref);
  g_clear_object (&self->out);
  g_clear_object (&self->err);

  G_OBJECT_CLASS (qi_cli_invocation_parent_class)->finalize (object);
}

static void
qi_cli_invocation_class_init (QiCliInvocationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qi_cli_invocation_finalize;
}

static void
qi_cli_invocation_init (QiCliInvocation *self)
{
  self->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_variant_unref);
}

/**
 * qi_cli_invocation_new:
 * @verb: the verb to run
 * @arguments: (array zero-terminated=1) (element-type filename) (nullable):
 *   its positional arguments
 * @out: where the verb writes its output
 * @err: where the verb writes its errors
 *
 * Returns: (transfer full): a new #QiCliInvocation without options; the
 *   #QiCliManager sets them as it parses the command line
 */
QiCliInvocation *
qi_cli_invocation_new (QiCliVerb          *verb,
                       const char * const *arguments,
                       GOutputStream      *out,
                       GOutputStream      *err)
{
  QiCliInvocation *self;

  g_return_val_if_fail (QI_IS_CLI_VERB (verb), NULL);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), NULL);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (err), NULL);

  self = g_object_new (QI_TYPE_CLI_INVOCATION, NULL);
  self->verb = g_object_ref (verb);
  self->arguments = arguments != NULL ? g_strdupv ((char **) arguments) : g_new0 (char *, 1);
  self->out = g_object_ref (out);
  self->err = g_object_ref (err);

  return self;
}

/**
 * qi_cli_invocation_get_verb:
 * @self: a #QiCliInvocation
 *
 * Returns: (transfer none): the verb being run
 */
QiCliVerb *
qi_cli_invocation_get_verb (QiCliInvocation *self)
{
  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);

  return self->verb;
}

/**
 * qi_cli_invocation_get_arguments:
 * @self: a #QiCliInvocation
 *
 * Returns: (transfer none) (array zero-terminated=1) (element-type filename):
 *   the positional arguments, as given on the command line
 */
const char * const *
qi_cli_invocation_get_arguments (QiCliInvocation *self)
{
  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);

  return (const char * const *) self->arguments;
}

/**
 * qi_cli_invocation_set_option:
 * @self: a #QiCliInvocation
 * @long_name: an option of the verb
 * @value: the value: a boolean for flags, a string, an int64, or a string
 *   array, by the option's kind
 *
 * Sets an option's value; a floating @value is sunk.
 */
void
qi_cli_invocation_set_option (QiCliInvocation *self,
                              const char      *long_name,
                              GVariant        *value)
{
  g_return_if_fail (QI_IS_CLI_INVOCATION (self));
  g_return_if_fail (long_name != NULL);
  g_return_if_fail (value != NULL);

  g_hash_table_replace (self->options, g_strdup (long_name), g_variant_ref_sink (value));
}

static GVariant *
lookup (QiCliInvocation    *self,
        const char         *long_name,
        const GVariantType *type)
{
  GVariant *value = g_hash_table_lookup (self->options, long_name);

  if (value == NULL || !g_variant_is_of_type (value, type))
    return NULL;

  return value;
}

/**
 * qi_cli_invocation_get_flag:
 * @self: a #QiCliInvocation
 * @long_name: a flag of the verb
 *
 * Returns: whether the flag was given
 */
gboolean
qi_cli_invocation_get_flag (QiCliInvocation *self,
                            const char      *long_name)
{
  GVariant *value;

  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), FALSE);

  value = lookup (self, long_name, G_VARIANT_TYPE_BOOLEAN);
  return value != NULL && g_variant_get_boolean (value);
}

/**
 * qi_cli_invocation_get_string:
 * @self: a #QiCliInvocation
 * @long_name: a string option of the verb
 *
 * Returns: (transfer none) (nullable): the option's value, %NULL if it was
 *   not given
 */
const char *
qi_cli_invocation_get_string (QiCliInvocation *self,
                              const char      *long_name)
{
  GVariant *value;

  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);

  value = lookup (self, long_name, G_VARIANT_TYPE_STRING);
  return value != NULL ? g_variant_get_string (value, NULL) : NULL;
}

/**
 * qi_cli_invocation_get_int:
 * @self: a #QiCliInvocation
 * @long_name: an integer option of the verb
 * @value: (out) (optional): the option's value
 *
 * Returns: whether the option was given
 */
gboolean
qi_cli_invocation_get_int (QiCliInvocation *self,
                           const char      *long_name,
                           gint64          *value)
{
  GVariant *v;

  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), FALSE);

  v = lookup (self, long_name, G_VARIANT_TYPE_INT64);
  if (v == NULL)
    return FALSE;

  if (value != NULL)
    *value = g_variant_get_int64 (v);
  return TRUE;
}

/**
 * qi_cli_invocation_dup_strv:
 * @self: a #QiCliInvocation
 * @long_name: a repeatable option of the verb
 *
 * Returns: (transfer full) (array zero-terminated=1) (nullable): every value
 *   given, in order, or %NULL if the option was not given
 */
char **
qi_cli_invocation_dup_strv (QiCliInvocation *self,
                            const char      *long_name)
{
  GVariant *value;

  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);

  value = lookup (self, long_name, G_VARIANT_TYPE_STRING_ARRAY);
  return value != NULL ? g_variant_dup_strv (value, NULL) : NULL;
}

/**
 * qi_cli_invocation_get_stdout:
 * @self: a #QiCliInvocation
 *
 * Returns: (transfer none): the stream for the verb's output
 */
GOutputStream *
qi_cli_invocation_get_stdout (QiCliInvocation *self)
{
  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);

  return self->out;
}

/**
 * qi_cli_invocation_get_stderr:
 * @self: a #QiCliInvocation
 *
 * Returns: (transfer none): the stream for the verb's errors
 */
GOutputStream *
qi_cli_invocation_get_stderr (QiCliInvocation *self)
{
  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);

  return self->err;
}

static void
write_all (GOutputStream *stream,
           const char    *text)
{
  g_autoptr(GError) error = NULL;

  /* A closed pipe (`qi help | head -1`) is not worth a warning. */
  if (!g_output_stream_write_all (stream, text, strlen (text), NULL, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    g_debug ("Could not write CLI output: %s", error->message);
}

/**
 * qi_cli_invocation_write:
 * @self: a #QiCliInvocation
 * @text: text to write as it is
 *
 * Writes @text to the verb's output.
 */
void
qi_cli_invocation_write (QiCliInvocation *self,
                         const char      *text)
{
  g_return_if_fail (QI_IS_CLI_INVOCATION (self));
  g_return_if_fail (text != NULL);

  write_all (self->out, text);
}

/**
 * qi_cli_invocation_write_error:
 * @self: a #QiCliInvocation
 * @text: text to write as it is
 *
 * Writes @text to the verb's error stream.
 */
void
qi_cli_invocation_write_error (QiCliInvocation *self,
                               const char      *text)
{
  g_return_if_fail (QI_IS_CLI_INVOCATION (self));
  g_return_if_fail (text != NULL);

  write_all (self->err, text);
}

/**
 * qi_cli_invocation_print: (skip)
 * @self: a #QiCliInvocation
 * @format: a printf() format
 * @...: its arguments
 *
 * Writes formatted text to the verb's output.
 */
void
qi_cli_invocation_print (QiCliInvocation *self,
                         const char      *format,
                         ...)
{
  g_autofree char *text = NULL;
  va_list args;

  g_return_if_fail (QI_IS_CLI_INVOCATION (self));

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  write_all (self->out, text);
}

/**
 * qi_cli_invocation_printerr: (skip)
 * @self: a #QiCliInvocation
 * @format: a printf() format
 * @...: its arguments
 *
 * Writes formatted text to the verb's error stream.
 */
void
qi_cli_invocation_printerr (QiCliInvocation *self,
                            const char      *format,
                            ...)
{
  g_autofree char *text = NULL;
  va_list args;

  g_return_if_fail (QI_IS_CLI_INVOCATION (self));

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  write_all (self->err, text);
}

/**
 * qi_cli_invocation_print_json:
 * @self: a #QiCliInvocation
 * @node: a JSON value
 *
 * Writes @node to the command's output as indented JSON and a newline,
 * the form of every `--json` output.
 */
void
qi_cli_invocation_print_json (QiCliInvocation *self,
                              JsonNode        *node)
{
  g_autofree char *text = NULL;

  g_return_if_fail (QI_IS_CLI_INVOCATION (self));
  g_return_if_fail (node != NULL);

  text = qi_json_to_string (node, QI_JSON_WRITE_PRETTY, NULL);
  write_all (self->out, text);
  write_all (self->out, "\n");
}

void
qi_cli_invocation_set_context (QiCliInvocation    *self,
                               const QiCliContext *context,
                               GObject            *owner)
{
  self->context = context;
  g_set_object (&self->owner, owner);
}

gpointer
qi_cli_invocation_dup_service (QiCliInvocation *self,
                               const char      *name,
                               GType            type)
{
  const char *verb = qi_cli_verb_get_name (self->verb);
  QiService *service;

  if (self->context == NULL || self->owner == NULL)
    {
      qi_cli_invocation_printerr (self, _("qi %s: the application is gone\n"), verb);
      return NULL;
    }
  service = self->context->lookup_service (self->owner, name);
  if (service == NULL || !g_type_is_a (G_OBJECT_TYPE (service), type))
    {
      qi_cli_invocation_printerr (self, _("qi %s: the application has no %s service\n"), verb, name);
      return NULL;
    }
  return g_object_ref (service);
}

QiLaunchConfig *
qi_cli_invocation_get_launch_config (QiCliInvocation *self)
{
  QiLaunchConfig *launch = NULL;

  if (self->context != NULL && self->owner != NULL)
    launch = self->context->get_launch_config (self->owner);
  if (launch == NULL)
    qi_cli_invocation_printerr (self, _("qi %s: the application has not started; run it with "
                                        "qi_application_run()\n"),
                                qi_cli_verb_get_name (self->verb));
  return launch;
}

/**
 * qi_cli_invocation_clear_secret:
 * @secret: (inout) (nullable): a secret qi_cli_invocation_read_secret() read
 *
 * Overwrites the secret's bytes and frees it; for
 * `__attribute__((cleanup (qi_cli_invocation_clear_secret)))`.
 */
void
qi_cli_invocation_clear_secret (char **secret)
{
  if (*secret != NULL)
    {
      explicit_bzero (*secret, strlen (*secret));
      g_clear_pointer (secret, g_free);
    }
}

/**
 * qi_cli_invocation_read_secret:
 * @self: a #QiCliInvocation
 * @flag: the flag that says the secret is on stdin, such as
 *   `password-stdin`
 * @what: what the secret is, for messages (“password”)
 * @status: (out): the exit status to return when this returns %NULL
 *
 * Reads a secret (a password, an API key) as one line of stdin, without
 * its line end, never from the command line, where other users of the
 * machine could see it. Only that line is read: what follows stays for
 * others. Free it with qi_cli_invocation_clear_secret().
 *
 * Returns: (transfer full) (nullable): the secret ("" at the end of the
 *   input), or %NULL with a message printed when @flag was not given
 *   (@status %QI_CLI_EXIT_USAGE) or stdin cannot be read or is not UTF-8
 *   (@status 1)
 */
char *
qi_cli_invocation_read_secret (QiCliInvocation *self,
                               const char      *flag,
                               const char      *what,
                               int             *status)
{
  const char *verb;
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  char *line;
  gsize length = 0;

  g_return_val_if_fail (QI_IS_CLI_INVOCATION (self), NULL);
  g_return_val_if_fail (flag != NULL && what != NULL && status != NULL, NULL);

  verb = qi_cli_verb_get_name (self->verb);
  if (!qi_cli_invocation_get_flag (self, flag))
    {
      qi_cli_invocation_printerr (self, _("qi %s: give the %s on stdin with --%s (never on the command line)\n"),
                                  verb, what, flag);
      *status = QI_CLI_EXIT_USAGE;
      return NULL;
    }
  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  lines = g_data_input_stream_new (stdin_stream);
  /* read byte by byte past the line: what follows stays for others */
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (lines), 1);
  g_data_input_stream_set_newline_type (lines, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  line = g_data_input_stream_read_line (lines, &length, NULL, &error);
  if (line == NULL && error != NULL)
    {
      qi_cli_invocation_printerr (self, _("qi %s: cannot read the %s from stdin: %s\n"), verb, what, error->message);
      *status = 1;
      return NULL;
    }
  if (line != NULL && !g_utf8_validate (line, length, NULL))
    {
      qi_cli_invocation_clear_secret (&line);
      qi_cli_invocation_printerr (self, _("qi %s: the %s on stdin is not UTF-8\n"), verb, what);
      *status = 1;
      return NULL;
    }
  return line != NULL ? line : g_strdup ("");
}
