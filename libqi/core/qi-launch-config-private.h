/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  QI_LAUNCH_KIND_BOOL,
  QI_LAUNCH_KIND_STRING,
  QI_LAUNCH_KIND_PATH,
  QI_LAUNCH_KIND_PATH_LIST,
  QI_LAUNCH_KIND_PORT,
  QI_LAUNCH_KIND_LOG_LEVEL,
} QiLaunchKind;

/* One global option of `qi`: the command-line flag (`--NAME`), the
 * environment variable and the key in the [launch] table of qi.toml. */
typedef struct
{
  const char   *name;
  const char   *toml_key;     /* NULL: cannot be set in qi.toml */
  const char   *env;
  QiLaunchKind  kind;
  const char   *arg_name;     /* NULL for booleans */
  const char   *description;  /* N_() */
} QiLaunchOption;

G_GNUC_INTERNAL
const QiLaunchOption *qi_launch_options_get (guint *n_options);

G_END_DECLS
