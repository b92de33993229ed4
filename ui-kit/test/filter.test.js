// SPDX-License-Identifier: LGPL-2.1-or-later
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryTerms, filterItems, buildTree, visibleRows, windowRange } from '../src/filter.js';

const contexts = [
  { id: '1', parent: null, name: 'sq010', path: '/sq010' },
  { id: 2, parent: '1', name: 'sh010', path: '/sq010/sh010' },
  { id: '3', parent: 1, name: 'sh020', path: '/sq010/sh020' },
  { id: '4', parent: null, name: 'sq020', path: '/sq020' },
  { id: '5', parent: '4', name: 'sh020', path: '/sq020/sh020' },
  { id: '6', parent: '99', name: 'orphan', path: '/gone/orphan' },
];

test('a query is its words, lower case', () => {
  assert.deepEqual(queryTerms('  SQ010   sh02 '), ['sq010', 'sh02']);
  assert.deepEqual(queryTerms(''), []);
  assert.deepEqual(queryTerms(null), []);
});

test('filterItems keeps the items holding every word, in order', () => {
  const paths = contexts.map((c) => c.path);
  assert.deepEqual(filterItems(paths, 'sh020'), ['/sq010/sh020', '/sq020/sh020']);
  assert.deepEqual(filterItems(paths, 'sq020 SH020'), ['/sq020/sh020']);
  assert.deepEqual(filterItems(paths, ''), paths);
  assert.deepEqual(filterItems(paths, 'nothing'), []);
});

test('buildTree compares ids as strings and makes an item of a missing parent a root', () => {
  const tree = buildTree(contexts);
  assert.deepEqual(tree.roots.map((c) => c.name), ['sq010', 'sq020', 'orphan']);
  assert.deepEqual(tree.children.get('1').map((c) => c.name), ['sh010', 'sh020']);
  assert.equal(tree.idOf(contexts[1]), '2');
});

test('without a query, the rows are the roots and the expanded children', () => {
  const tree = buildTree(contexts);
  assert.deepEqual(visibleRows(tree).map((r) => r.item.path), ['/sq010', '/sq020', '/gone/orphan']);
  const rows = visibleRows(tree, { expanded: new Set(['1']) });
  assert.deepEqual(rows.map((r) => [r.item.path, r.depth, r.expanded]),
    [['/sq010', 0, true], ['/sq010/sh010', 1, false], ['/sq010/sh020', 1, false], ['/sq020', 0, false], ['/gone/orphan', 0, false]]);
  assert.equal(rows[3].hasChildren, true);
});

test('with a query, the rows are the matches and their ancestors', () => {
  const tree = buildTree(contexts);
  const rows = visibleRows(tree, { query: 'sq020 sh020' });
  assert.deepEqual(rows.map((r) => [r.item.path, r.match]), [['/sq020', false], ['/sq020/sh020', true]]);
  assert.deepEqual(visibleRows(tree, { query: 'sh0' }).map((r) => r.item.path),
    ['/sq010', '/sq010/sh010', '/sq010/sh020', '/sq020', '/sq020/sh020']);
  assert.deepEqual(visibleRows(tree, { query: 'zzz' }), []);
});

test('a filter over 10,000 shots walks them in memory', () => {
  const many = [];
  for (let q = 0; q < 100; q++) {
    many.push({ id: `q${q}`, parent: null, name: `sq${q}`, path: `/sq${q}` });
    for (let s = 0; s < 100; s++) many.push({ id: `q${q}s${s}`, parent: `q${q}`, name: `sq${q}_sh${s}`, path: `/sq${q}/sq${q}_sh${s}` });
  }
  const tree = buildTree(many);
  assert.equal(visibleRows(tree, { query: '_sh' }).length, 10100);
  assert.deepEqual(visibleRows(tree, { query: 'sq42_sh7' }).map((r) => r.item.name), ['sq42', 'sq42_sh7', 'sq42_sh70', 'sq42_sh71',
    'sq42_sh72', 'sq42_sh73', 'sq42_sh74', 'sq42_sh75', 'sq42_sh76', 'sq42_sh77', 'sq42_sh78', 'sq42_sh79']);
});

test('windowRange renders a screenful plus the overscan, within the list', () => {
  assert.deepEqual(windowRange(10000, 24, 0, 240, 8), [0, 19]);
  assert.deepEqual(windowRange(10000, 24, 2400, 240, 8), [92, 119]);
  assert.deepEqual(windowRange(30, 24, 2400, 240, 8), [30, 30].map((n, i) => (i === 0 ? Math.min(92, 30) : n)));
  assert.deepEqual(windowRange(0, 24, 0, 240), [0, 0]);
  const [start, end] = windowRange(10000, 24, 24 * 9990, 240, 8);
  assert.equal(end, 10000);
  assert.ok(end - start < 40);
});
