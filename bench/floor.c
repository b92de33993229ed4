/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor of qi's startup: a program that links libqi, and so GLib, GIO
 * and json-glib, and does nothing. What qi takes above this is its own. */
#include <qi/qi.h>

int
main (void)
{
  return qi_get_major_version () == QI_MAJOR_VERSION ? 0 : 1;
}
