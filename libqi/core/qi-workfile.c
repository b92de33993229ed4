/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "qi-workfile.h"

/**
 * SECTION:qi-workfile
 * @title: Workfile names
 * @short_description: versions in the names of project files
 *
 * A workfile (a DCC's project file: a Nuke script, a Maya scene, a
 * Blender file) carries its version in its name: a `v` followed by digits,
 * at the start of the name or after a character that is not a letter or
 * digit, and before the extension or such a character. In
 * `sh010_comp_v003.nk` the version is 3 with 3 digits; in
 * `asset.v12.blend` it is 12 with 2. When a name has several, the last
 * counts.
 *
 * The files of one series differ only in that number; they share the
 * folder, the text before the `v` and the text after the digits.
 * Versioning up never overwrites a file: it takes the number after the
 * highest of the series that exists, whatever its padding, and keeps the
 * padding of the file it starts from (`v009` → `v010`, `v999` → `v1000`).
 *
 * These functions touch no file; qi_workfile_next_version() and
 * qi_workfile_find_latest() read the folder.
 */

G_DEFINE_QUARK (qi-workfile-error-quark, qi_workfile_error)

/* Up to 18 digits: 10^18 - 1 + 1 still fits in a guint64. */
#define MAX_DIGITS 18

typedef struct
{
  char    *dir;
  char    *prefix;    /* the name up to and with the “v” */
  char    *suffix;    /* the name after the digits */
  guint64  number;
  guint    digits;
  gboolean bare;      /* a name without a folder */
} Series;

static void
series_clear (Series *series)
{
  g_free (series->dir);
  g_free (series->prefix);
  g_free (series->suffix);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Series, series_clear)

/* Where the extension starts: the last dot that does not start the name. */
static gsize
extension_start (const char *name)
{
  const char *dot = strrchr (name, '.');

  return dot != NULL && dot != name ? (gsize) (dot - name) : strlen (name);
}

static gboolean
series_parse (const char  *path,
              Series      *series,
              GError     **error)
{
  g_autofree char *name = NULL;
  gsize stem, start = 0, end = 0;
  gboolean found = FALSE;

  if (path == NULL || *path == '\0' || g_str_has_suffix (path, G_DIR_SEPARATOR_S))
    {
      g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_INVALID,
                   _("“%s” is not the path of a file"), path != NULL ? path : "");
      return FALSE;
    }

  name = g_path_get_basename (path);
  stem = extension_start (name);
  for (gsize i = 0; i < stem; i++)
    {
      gsize j = i + 1;

      if ((name[i] != 'v' && name[i] != 'V') || (i > 0 && g_ascii_isalnum (name[i - 1])))
        continue;
      while (j < stem && g_ascii_isdigit (name[j]))
        j++;
      if (j == i + 1 || (j < stem && g_ascii_isalnum (name[j])))
        continue;
      start = i + 1;
      end = j;
      found = TRUE;
    }

  if (!found)
    {
      g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_VERSION,
                   _("“%s” has no version in its name: name it like “%.*s_v001%s” to version it"),
                   name, (int) stem, name, name + stem);
      return FALSE;
    }
  if (end - start > MAX_DIGITS)
    {
      g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_INVALID,
                   _("the version in “%s” has more than %d digits"), name, MAX_DIGITS);
      return FALSE;
    }

  series->dir = g_path_get_dirname (path);
  series->bare = strchr (path, G_DIR_SEPARATOR) == NULL;
  series->prefix = g_strndup (name, start);
  series->suffix = g_strdup (name + end);
  series->digits = end - start;
  series->number = g_ascii_strtoull (name + start, NULL, 10);
  return TRUE;
}

static char *
series_path (const Series *series,
             guint64       number)
{
  g_autofree char *name = g_strdup_printf ("%s%0*" G_GUINT64_FORMAT "%s", series->prefix,
                                           (int) series->digits, number, series->suffix);

  /* A bare name stays bare, rather than becoming “./name”. */
  if (series->bare)
    return g_steal_pointer (&name);
  return g_build_filename (series->dir, name, NULL);
}

/* The highest number of the series among the files of its folder; FALSE
 * with @error if the folder cannot be read. */
static gboolean
series_scan (const Series  *series,
             gboolean      *any,
             guint64       *highest,
             char         **latest,
             GError       **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize prefix_length = strlen (series->prefix);
  gsize suffix_length = strlen (series->suffix);
  const char *entry;

  *any = FALSE;
  *highest = 0;
  dir = g_dir_open (series->dir, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, G_FILE_ERROR, local_error->code, _("Cannot read the folder “%s”: %s"),
                   series->dir, local_error->message);
      return FALSE;
    }

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      gsize length = strlen (entry);
      gsize digits = length - prefix_length - suffix_length;
      guint64 number;

      if (length <= prefix_length + suffix_length || digits > MAX_DIGITS ||
          strncmp (entry, series->prefix, prefix_length) != 0 ||
          strcmp (entry + length - suffix_length, series->suffix) != 0)
        continue;
      for (gsize i = prefix_length; i < prefix_length + digits; i++)
        if (!g_ascii_isdigit (entry[i]))
          goto next;

      number = g_ascii_strtoull (entry + prefix_length, NULL, 10);
      if (!*any || number > *highest)
        {
          *highest = number;
          /* The file itself: its padding may not be the series'. */
          if (latest != NULL)
            {
              g_free (*latest);
              *latest = g_build_filename (series->dir, entry, NULL);
            }
        }
      *any = TRUE;
    next:
      ;
    }
  return TRUE;
}

/**
 * qi_workfile_parse_version:
 * @path: (type filename): a workfile's path or name
 * @version: (out) (optional): its version
 * @digits: (out) (optional): how many digits the version has in the
 *   name, its zero padding included
 * @error: return location for a #GError
 *
 * Reads the version in a workfile's name: `sh010_comp_v003.nk` → 3,
 * with 3 digits.
 *
 * Returns: %TRUE on success; %FALSE with %QI_WORKFILE_ERROR_NO_VERSION if
 *   the name has no version, %QI_WORKFILE_ERROR_INVALID if @path is not
 *   a file's or the version has more than 18 digits
 */
gboolean
qi_workfile_parse_version (const char  *path,
                           guint64     *version,
                           guint       *digits,
                           GError     **error)
{
  g_auto(Series) series = { 0 };

  if (!series_parse (path, &series, error))
    return FALSE;
  if (version != NULL)
    *version = series.number;
  if (digits != NULL)
    *digits = series.digits;
  return TRUE;
}

/**
 * qi_workfile_with_version:
 * @path: (type filename): a workfile's path or name
 * @version: the version to put in it
 * @error: return location for a #GError
 *
 * The same path with another version, padded to the digits the name has:
 * (`sh010_comp_v003.nk`, 12) → `sh010_comp_v012.nk`. Reads no folder.
 *
 * Returns: (transfer full) (type filename): the new path, or %NULL with
 *   the errors of qi_workfile_parse_version()
 */
char *
qi_workfile_with_version (const char  *path,
                          guint64      version,
                          GError     **error)
{
  g_auto(Series) series = { 0 };

  if (!series_parse (path, &series, error))
    return NULL;
  return series_path (&series, version);
}

/**
 * qi_workfile_next_version:
 * @path: (type filename): a workfile's path
 * @error: return location for a #GError
 *
 * The path to version @path up to: the number after the highest of its
 * series in its folder (and after its own), with its padding, so that no
 * existing file is ever overwritten. `sh010_comp_v003.nk` beside
 * `sh010_comp_v007.nk` → `sh010_comp_v008.nk`.
 *
 * Returns: (transfer full) (type filename): the path, or %NULL with the
 *   errors of qi_workfile_parse_version() or a #G_FILE_ERROR if the
 *   folder cannot be read
 */
char *
qi_workfile_next_version (const char  *path,
                          GError     **error)
{
  g_auto(Series) series = { 0 };
  guint64 highest;
  gboolean any;
  char *next;

  if (!series_parse (path, &series, error) || !series_scan (&series, &any, &highest, NULL, error))
    return NULL;

  highest = any ? MAX (highest, series.number) : series.number;
  next = series_path (&series, highest + 1);
  /* The scan saw every file of the series; a file made since is not
   * overwritten either. */
  while (g_file_test (next, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      g_free (next);
      highest++;
      next = series_path (&series, highest + 1);
    }
  return next;
}

/**
 * qi_workfile_find_latest:
 * @path: (type filename): a workfile's path
 * @error: return location for a #GError
 *
 * The latest saved version of @path: the file of its series with the
 * highest number in its folder. For a name without a version, @path
 * itself if it exists. What a revert reopens.
 *
 * Returns: (transfer full) (type filename): the path, or %NULL with
 *   %QI_WORKFILE_ERROR_NOT_FOUND if no file of the series exists,
 *   %QI_WORKFILE_ERROR_INVALID for a bad path, or a #G_FILE_ERROR if the
 *   folder cannot be read
 */
char *
qi_workfile_find_latest (const char  *path,
                         GError     **error)
{
  g_auto(Series) series = { 0 };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *latest = NULL;
  guint64 highest;
  gboolean any;

  if (!series_parse (path, &series, &local_error))
    {
      if (!g_error_matches (local_error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NO_VERSION))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_strdup (path);
      g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_FOUND,
                   _("“%s” was never saved"), path);
      return NULL;
    }

  if (!series_scan (&series, &any, &highest, &latest, error))
    return NULL;
  if (!any)
    {
      g_autofree char *hashes = g_strnfill (series.digits, '#');
      g_autofree char *pattern = g_strconcat (series.prefix, hashes, series.suffix, NULL);

      g_set_error (error, QI_WORKFILE_ERROR, QI_WORKFILE_ERROR_NOT_FOUND,
                   _("no saved version of “%s” in “%s”"), pattern, series.dir);
      return NULL;
    }
  return g_steal_pointer (&latest);
}
