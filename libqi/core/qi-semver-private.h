/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "qi-semver.h"

G_BEGIN_DECLS

/* What qi_semver_scan() read. In partial mode a version may stop after one
 * or two numbers (“1”, “1.2”) or end in wildcards (“*”, “1.x”, “1.2.*”). */
typedef struct
{
  guint64   numbers[3];
  guint     n_numbers;   /* how many of numbers[] were read, 0–3 */
  gboolean  wildcard;    /* the part after them is a wildcard */
  char     *prerelease;  /* or NULL */
  char     *build;       /* or NULL */
} QiSemverParts;

G_GNUC_INTERNAL
char     *qi_semver_scan        (const char    *text,
                                 gsize          length,
                                 gboolean       partial,
                                 QiSemverParts *parts);
G_GNUC_INTERNAL
void      qi_semver_parts_clear (QiSemverParts *parts);
G_GNUC_INTERNAL
QiSemver *qi_semver_new_full    (guint64        major,
                                 guint64        minor,
                                 guint64        patch,
                                 const char    *prerelease,
                                 const char    *build);
G_GNUC_INTERNAL
char     *qi_semver_quote       (const char    *text,
                                 gsize          length);
G_GNUC_INTERNAL
char     *qi_semver_describe_at (const char    *p,
                                 const char    *end);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (QiSemverParts, qi_semver_parts_clear)

G_END_DECLS
