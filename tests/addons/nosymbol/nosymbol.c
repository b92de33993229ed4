/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A shared object with code but none of a Qi addon's symbols. */
#include "config.h"

#include <gmodule.h>

G_MODULE_EXPORT int nosymbol_answer (void);

G_MODULE_EXPORT int
nosymbol_answer (void)
{
  return 42;
}
