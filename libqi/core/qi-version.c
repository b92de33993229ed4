/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qi-version.h"

/**
 * qi_get_major_version:
 *
 * Returns: the major version of the libqi in use at run time
 */
guint
qi_get_major_version (void)
{
  return QI_MAJOR_VERSION;
}

/**
 * qi_get_minor_version:
 *
 * Returns: the minor version of the libqi in use at run time
 */
guint
qi_get_minor_version (void)
{
  return QI_MINOR_VERSION;
}

/**
 * qi_get_micro_version:
 *
 * Returns: the micro version of the libqi in use at run time
 */
guint
qi_get_micro_version (void)
{
  return QI_MICRO_VERSION;
}

/**
 * qi_get_version:
 *
 * Returns: (transfer none): the version of the libqi in use at run time,
 *   such as "0.1.0"
 */
const char *
qi_get_version (void)
{
  return QI_VERSION_S;
}
