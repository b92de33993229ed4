// SPDX-License-Identifier: LGPL-2.1-or-later
// What the launcher asks the tracker (db_service.* on the hub). Ids are
// passed back as they came and compared as strings.

/**
 * Every context of `project`, parents before children: one
 * db_service.context.list; a hub without that topic (no_handler) is walked
 * with db_service.context.children, level by level, `concurrency` requests
 * at a time.
 */
export async function loadContexts (hub, project, { concurrency = 24 } = {}) {
  try {
    const reply = await hub.request('db_service.context.list', { project });
    return reply.contexts ?? [];
  } catch (e) {
    if (e.code !== 'no_handler') throw e;
  }
  const all = [];
  let level = (await hub.request('db_service.context.children', { project })).contexts ?? [];
  while (level.length > 0) {
    all.push(...level);
    const next = [];
    for (let i = 0; i < level.length; i += concurrency) {
      const replies = await Promise.all(level.slice(i, i + concurrency).map(
        (c) => hub.request('db_service.context.children', { project, parent: c.id })));
      for (const r of replies) next.push(...(r.contexts ?? []));
    }
    level = next;
  }
  return all;
}

/** Same id, whatever type each side has it in. */
export function sameId (a, b) {
  return a != null && b != null && String(a) === String(b);
}
