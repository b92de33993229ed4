/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A decoder for the toml-test suite: reads a TOML document on standard
 * input and writes it as toml-test's tagged JSON on standard output. An
 * invalid document makes it print the error on standard error and exit
 * with status 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <qi/qi.h>

static GBytes *
read_all (FILE    *stream,
          GError **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  guint8 chunk[8192];
  size_t n;

  while ((n = fread (chunk, 1, sizeof chunk, stream)) > 0)
    g_byte_array_append (buffer, chunk, n);

  if (ferror (stream))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "cannot read the standard input");
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(QiTomlParser) parser = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  const char *data;
  gsize length;

  if (argc > 1)
    {
      g_printerr ("Usage: %s < FILE.toml\n"
                  "Reads TOML on standard input and writes toml-test's "
                  "tagged JSON on standard output.\n",
                  argv[0]);
      return EXIT_FAILURE;
    }

  input = read_all (stdin, &error);
  if (input == NULL)
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  data = g_bytes_get_data (input, &length);
  parser = qi_toml_parser_new (QI_TOML_PARSE_TAGGED);

  if (!qi_toml_parser_load_from_data (parser, data, length, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  /* U+0000 comes as modified UTF-8 from the tagged mode: \u0000 in JSON. */
  output = qi_json_to_string (qi_toml_parser_get_root (parser),
                              QI_JSON_WRITE_PRETTY | QI_JSON_WRITE_MODIFIED_UTF8, NULL);

  fputs (output, stdout);
  fputc ('\n', stdout);

  if (fflush (stdout) != 0)
    return EXIT_FAILURE;

  return EXIT_SUCCESS;
}
