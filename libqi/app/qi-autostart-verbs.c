/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "qi-autostart-verbs-private.h"
#include "qi-builtin-verbs-private.h"
#include "qi-cli-private.h"
#include "qi-cli-invocation.h"

/*
 * `qi --headless autostart enable | disable | status`: Qi in the tray when
 * the user logs in, through the XDG autostart entry
 * `$XDG_CONFIG_HOME/autostart/org.qi.Qi.desktop`. The entry Qi writes
 * carries `X-Qi-Autostart=true`; a file of that name without it is the
 * user's (or their studio's), and Qi neither replaces nor removes it.
 */

#define AUTOSTART_FILE "org.qi.Qi.desktop"
#define AUTOSTART_MARK "X-Qi-Autostart"

static char *
autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", AUTOSTART_FILE, NULL);
}

/* Whether @path is an entry Qi wrote; FALSE if it is not there. */
static gboolean
is_ours (const char *path,
         gboolean   *exists)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();

  *exists = g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
  if (!*exists || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return FALSE;
  return g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL) &&
         g_key_file_get_boolean (file, G_KEY_FILE_DESKTOP_GROUP, AUTOSTART_MARK, NULL);
}

static int
refuse_foreign (QiCliInvocation *invocation,
                const char      *path)
{
  qi_cli_invocation_printerr (invocation,
                              _("qi %s: %s exists and was not written by Qi; it is left as it is "
                                "(edit or remove it yourself)\n"),
                              qi_cli_verb_get_name (qi_cli_invocation_get_verb (invocation)), path);
  return 1;
}

static int
enable_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autofree char *path = autostart_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GBytes) entry = NULL;
  g_autoptr(GError) error = NULL;
  gboolean exists;

  if (!is_ours (path, &exists) && exists)
    return refuse_foreign (invocation, path);

  entry = g_resources_lookup_data ("/org/qi/autostart/" AUTOSTART_FILE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (entry != NULL);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;

      qi_cli_invocation_printerr (invocation, _("qi autostart enable: cannot create %s: %s\n"),
                                  folder, g_strerror (saved));
      return 1;
    }
  if (!g_file_set_contents_full (path, g_bytes_get_data (entry, NULL), g_bytes_get_size (entry),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    {
      qi_cli_invocation_printerr (invocation, _("qi autostart enable: %s\n"), error->message);
      return 1;
    }
  qi_cli_invocation_print (invocation, _("Qi starts in the tray when you log in (%s).\n"), path);
  return 0;
}

static int
disable_verb (QiCliInvocation *invocation,
              gpointer         user_data)
{
  g_autofree char *path = autostart_path ();
  gboolean exists;

  if (!is_ours (path, &exists))
    {
      if (exists)
        return refuse_foreign (invocation, path);
      qi_cli_invocation_print (invocation, _("Qi does not start when you log in.\n"));
      return 0;
    }
  if (g_unlink (path) != 0)
    {
      int saved = errno;

      qi_cli_invocation_printerr (invocation, _("qi autostart disable: cannot remove %s: %s\n"),
                                  path, g_strerror (saved));
      return 1;
    }
  qi_cli_invocation_print (invocation, _("Qi no longer starts when you log in.\n"));
  return 0;
}

static int
status_verb (QiCliInvocation *invocation,
             gpointer         user_data)
{
  g_autofree char *path = autostart_path ();
  gboolean exists;
  gboolean ours = is_ours (path, &exists);
  const char *state = ours ? "enabled" : exists ? "foreign" : "disabled";

  if (qi_cli_invocation_get_flag (invocation, "json"))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, state);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, path);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      qi_cli_invocation_print_json (invocation, root);
      return 0;
    }

  if (ours)
    qi_cli_invocation_print (invocation, _("enabled: %s\n"), path);
  else if (exists)
    qi_cli_invocation_print (invocation, _("foreign: %s exists but was not written by Qi\n"), path);
  else
    qi_cli_invocation_print (invocation, _("disabled\n"));
  return 0;
}

static void
add (QiCliManager  *cli,
     QiCliVerb     *verb)
{
  qi_cli_verb_set_needs_addons (verb, FALSE);
  qi_cli_manager_add_builtin (cli, verb);
}

void
qi_autostart_verbs_register (QiCliManager *cli)
{
  QiCliVerb *verb;

  verb = qi_cli_verb_new ("autostart enable", _("Start Qi in the tray when you log in"), enable_verb, NULL, NULL);
  qi_cli_verb_set_description (verb,
    _("Writes the XDG autostart entry org.qi.Qi.desktop in the autostart folder of your "
      "configuration; an entry of that name Qi did not write is left alone."));
  add (cli, verb);
  verb = qi_cli_verb_new ("autostart disable", _("Stop starting Qi when you log in"), disable_verb, NULL, NULL);
  add (cli, verb);
  verb = qi_cli_verb_new ("autostart status", _("Say whether Qi starts when you log in"), status_verb, NULL, NULL);
  qi_cli_verb_add_option (verb, "json", QI_CLI_OPTION_FLAG, NULL, _("Print JSON"));
  add (cli, verb);
}
