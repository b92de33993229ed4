/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program built against the installed libqi through qi-1.pc. */
#include <qi/qi.h>

int
main (void)
{
  g_autoptr(QiTomlParser) parser = qi_toml_parser_new (QI_TOML_PARSE_DEFAULT);
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  if (!QI_CHECK_VERSION (0, 1, 0))
    return 1;

  if (!qi_toml_parser_load_from_data (parser, "[tool]\nname = \"consumer\"\nbuild = 7\n", -1,
                                      "consumer.toml", &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  root = json_node_get_object (qi_toml_parser_get_root (parser));
  g_print ("%s %" G_GINT64_FORMAT " libqi %s\n",
           json_object_get_string_member (json_object_get_object_member (root, "tool"), "name"),
           json_object_get_int_member (json_object_get_object_member (root, "tool"), "build"),
           qi_get_version ());
  return 0;
}
