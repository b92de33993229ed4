// SPDX-License-Identifier: LGPL-2.1-or-later
// Type-ahead filtering of lists and trees, done in the page: the items are
// loaded once and every keystroke only walks them in memory. Ids are
// opaque: they are compared as strings, never computed with.

/** The words of a query, lower case: "sq010 sh02" → ["sq010", "sh02"]. */
export function queryTerms (query) {
  return String(query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
}

/** Whether every term is in `text` (case-insensitive). No terms: true. */
export function matchesTerms (text, terms) {
  if (terms.length === 0) return true;
  const haystack = String(text ?? '').toLowerCase();
  return terms.every((t) => haystack.includes(t));
}

/** The items of `items` whose `textOf(item)` holds every word of `query`, in order. */
export function filterItems (items, query, textOf = (item) => String(item)) {
  const terms = queryTerms(query);
  if (terms.length === 0) return items;
  return items.filter((item) => matchesTerms(textOf(item), terms));
}

/**
 * A tree of `items` by their parent: `idOf(item)` and `parentOf(item)`
 * (null for a root), compared as strings. Children keep the order of
 * `items`. Returns {roots, byId, children} where children maps an id to
 * its child items; an item whose parent is not among the items is a root.
 */
export function buildTree (items, { idOf = (i) => i.id, parentOf = (i) => i.parent } = {}) {
  const byId = new Map();
  for (const item of items) byId.set(String(idOf(item)), item);
  const children = new Map();
  const roots = [];
  for (const item of items) {
    const parent = parentOf(item);
    const key = parent == null ? null : String(parent);
    if (key === null || !byId.has(key)) {
      roots.push(item);
    } else {
      let list = children.get(key);
      if (!list) children.set(key, (list = []));
      list.push(item);
    }
  }
  return { roots, byId, children, idOf: (i) => String(idOf(i)) };
}

/**
 * The rows to show of `tree`: depth-first, each `{item, id, depth,
 * hasChildren, expanded, match}`. Without a query: the roots and the
 * children of the expanded ids (a Set of strings). With one: the items
 * whose `textOf` holds every word, and their ancestors (shown expanded,
 * `match` false), so that a shot found deep down is seen in its place.
 */
export function visibleRows (tree, { expanded = new Set(), query = '', textOf = (i) => i.path ?? i.name } = {}) {
  const terms = queryTerms(query);
  const rows = [];
  if (terms.length === 0) {
    const walk = (items, depth) => {
      for (const item of items) {
        const id = tree.idOf(item);
        const kids = tree.children.get(id);
        const open = expanded.has(id);
        rows.push({ item, id, depth, hasChildren: !!kids, expanded: open && !!kids, match: false });
        if (kids && open) walk(kids, depth + 1);
      }
    };
    walk(tree.roots, 0);
    return rows;
  }
  // Which items match, or have a matching descendant: one pass, post-order.
  const keep = new Map();
  const mark = (item) => {
    const id = tree.idOf(item);
    let any = matchesTerms(textOf(item), terms);
    const self = any;
    for (const child of tree.children.get(id) ?? []) any = mark(child) || any;
    if (any) keep.set(id, self);
    return any;
  };
  for (const root of tree.roots) mark(root);
  const walk = (items, depth) => {
    for (const item of items) {
      const id = tree.idOf(item);
      if (!keep.has(id)) continue;
      const kids = (tree.children.get(id) ?? []).filter((k) => keep.has(tree.idOf(k)));
      rows.push({ item, id, depth, hasChildren: kids.length > 0, expanded: kids.length > 0, match: keep.get(id) });
      walk(kids, depth + 1);
    }
  };
  walk(tree.roots, 0);
  return rows;
}

/** The slice of `count` rows of height `rowHeight` to render for a viewport: [start, end), with `overscan` rows either side. */
export function windowRange (count, rowHeight, scrollTop, viewportHeight, overscan = 8) {
  if (count <= 0 || rowHeight <= 0) return [0, 0];
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return [Math.min(start, end), end];
}
