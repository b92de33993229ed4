/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <qi/qi.h>

G_BEGIN_DECLS

/*
 * The tracker-adapter conformance suite: cases written once against
 * #QiDbAdapter and run against every adapter (the SQLite tracker for real,
 * ftrack against the fake ftrack server). A target says how to get a new,
 * empty tracker and what it needs to be told.
 */
typedef struct _QiDbConformanceTarget QiDbConformanceTarget;

struct _QiDbConformanceTarget
{
  const char   *name;
  /* A tracker with no project, user or version of its own (a new
   * tracker's vocabulary — statuses, task types, locations — may be there). */
  QiDbAdapter *(*open)  (QiDbConformanceTarget *target);
  void         (*close) (QiDbConformanceTarget *target,
                         QiDbAdapter           *adapter);
  /* A well-formed id this tracker never gave out. */
  const char   *unknown_id;
  /* A product type the tracker knows. */
  const char   *product_type;
  gpointer      data;
};

void qi_db_conformance_add_tests (QiDbConformanceTarget *target);

G_END_DECLS
