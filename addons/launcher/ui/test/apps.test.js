// SPDX-License-Identifier: LGPL-2.1-or-later
// The launcher page's logic of applications and launches (src/apps.js),
// in plain Node; the browser suite drives the page itself against a real
// `qi serve` (tests/browser/launcher.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScratchQi } from '../../../../tests/browser/harness.mjs';
import {
  groupLabel, groupApps, whyNot, launchRequest, launchState, upsertLaunch, applySession,
  applyHookFailure, reconcileRunning, markLost, dismissLaunch, clearExited, launchWhere,
  formatClock, logUrl, fetchLog,
} from '../src/apps.js';

// What launcher.apps answers: by group, newest variant first.
const APPS = [
  { name: 'ghost/1', group: 'ghost', variant: '1', label: 'Ghost 1', host: 'no-such-host', installed: true,
    launchable: false, why: 'no addon of this bundle provides the host “no-such-host”' },
  { name: 'kinds/9', group: 'kinds', variant: '9', label: 'Kinds 9', host: 'kinds-dcc', installed: false,
    launchable: false, why: 'not installed here: looked for /opt/kinds-9/kdcc' },
  { name: 'kinds/2', group: 'kinds', variant: '2', label: 'Kinds 2', host: 'kinds-dcc', installed: true,
    launchable: true, why: null },
  { name: 'kinds/1', group: 'kinds', variant: '1', label: 'Kinds 1', host: 'kinds-dcc', installed: true,
    launchable: true, why: null },
  { name: 'substancepainter/10', group: 'substancepainter', variant: '10', label: 'Substance 3D Painter 10',
    host: 'substancepainter', installed: false, launchable: false, why: null },
  { name: 'quick/1', group: 'quick', variant: '1', label: 'Quick 1', host: 'kinds-dcc', installed: true,
    launchable: true, why: null },
];

test('a group is named by its label without the variant', () => {
  assert.equal(groupLabel(APPS[2]), 'Kinds');
  assert.equal(groupLabel(APPS[4]), 'Substance 3D Painter');
  // a label that does not end with the variant is kept whole
  assert.equal(groupLabel({ name: 'x/2', group: 'x', variant: '2', label: 'Xtra' }), 'Xtra');
  assert.equal(groupLabel({ name: 'x/2', group: 'x', variant: '2' }), 'x');
});

test('groups that can launch come first, each with its newest launchable variant chosen', () => {
  const groups = groupApps(APPS);
  assert.deepEqual(groups.map((g) => g.group), ['kinds', 'quick', 'ghost', 'substancepainter']);
  const [kinds, quick, ghost, painter] = groups;
  assert.equal(kinds.defaultApp, 'kinds/2');
  assert.deepEqual(kinds.launchable.map((v) => v.name), ['kinds/2', 'kinds/1']);
  assert.deepEqual(kinds.unavailable.map((v) => v.name), ['kinds/9']);
  assert.equal(kinds.why, null);
  assert.equal(quick.defaultApp, 'quick/1');
  assert.equal(ghost.defaultApp, null);
  assert.equal(ghost.why, 'no addon of this bundle provides the host “no-such-host”');
  // no reason given: one is said
  assert.equal(painter.why, 'Substance 3D Painter 10 is not installed here');
  assert.deepEqual(groupApps(undefined), []);
  assert.equal(whyNot(APPS[2]), null);
  assert.equal(whyNot({ ...APPS[0], why: null }), 'Ghost 1 cannot launch here');
});

test('the launch request names the app and the task; new_workfile only when asked', () => {
  const task = { id: '7', project: 'demo', context_path: '/sq010/sh010', name: 'anim', type: 'anim' };
  assert.deepEqual(launchRequest('kinds/1', task),
    { app: 'kinds/1', project: 'demo', context: '/sq010/sh010', task: 'anim' });
  assert.equal(launchRequest('kinds/1', task, { newWorkfile: true }).new_workfile, true);
});

const base = {
  launch: 'L1', app: 'kinds/2', label: 'Kinds 2', project: 'demo', context: '/sq010/sh010', task: 'anim',
  pid: 4242, state: 'running', session: null, started_at: '2026-12-07T10:00:00.000000Z', ended_at: null,
  status: null, signal: null,
};

test('a launch is running, then connected, then exited; red when its status is not 0 or a signal ended it', () => {
  assert.deepEqual(launchState(base), { state: 'running', label: 'running', failed: false });
  assert.deepEqual(launchState({ ...base, session: 'dcc/kinds-dcc/4242' }), { state: 'connected', label: 'connected', failed: false });
  assert.deepEqual(launchState({ ...base, state: 'exited', status: 0 }), { state: 'exited', label: 'exited 0', failed: false });
  assert.deepEqual(launchState({ ...base, state: 'exited', status: 3 }), { state: 'exited', label: 'exited 3', failed: true });
  assert.deepEqual(launchState({ ...base, state: 'exited', signal: 9 }), { state: 'exited', label: 'killed by signal 9', failed: true });
  assert.deepEqual(launchState({ ...base, state: 'exited' }), { state: 'exited', label: 'ended', failed: false });
});

test('the launcher\'s events keep the list: newest first, an older message never undoes what came later', () => {
  let list = upsertLaunch([], base);
  assert.equal(list.length, 1);
  assert.deepEqual(list[0].hookFailures, []);
  // the reply and launcher.started carry the same launch: still one
  list = upsertLaunch(list, { ...base });
  assert.equal(list.length, 1);
  list = applySession(list, { launch: 'L1', session: 'dcc/kinds-dcc/4242' });
  assert.equal(list[0].session, 'dcc/kinds-dcc/4242');
  // a launch started later goes first
  list = upsertLaunch(list, { ...base, launch: 'L2', pid: 4243, started_at: '2026-12-07T10:05:00Z' });
  assert.deepEqual(list.map((l) => l.launch), ['L2', 'L1']);
  // an unknown launch's session: the same list, so the caller reads launcher.running
  assert.equal(applySession(list, { launch: 'L9', session: 'dcc/x/1' }), list);
  list = applyHookFailure(list, { launch: 'L1', stage: 'post', message: 'the render farm is down' });
  assert.deepEqual(list[1].hookFailures, [{ stage: 'post', message: 'the render farm is down' }]);
  // a reply without the session (launcher.started after launcher.session) keeps it, and the failures
  list = upsertLaunch(list, { ...base });
  assert.equal(list[1].session, 'dcc/kinds-dcc/4242');
  assert.equal(list[1].hookFailures.length, 1);
  // launcher.exited, then a stale "running": it stays exited
  list = upsertLaunch(list, { ...base, state: 'exited', status: 3, ended_at: '2026-12-07T10:06:00Z' });
  list = upsertLaunch(list, { ...base, state: 'running' });
  assert.equal(list[1].state, 'exited');
  assert.equal(list[1].status, 3);
  assert.equal(upsertLaunch(list, { pid: 1 }), list, 'a message without a launch id changes nothing');
});

test('a re-read of launcher.running adds what started and names what ended meanwhile', () => {
  let list = upsertLaunch([], base);
  list = upsertLaunch(list, { ...base, launch: 'L0', state: 'exited', status: 0, started_at: '2026-12-07T09:00:00Z' });
  const started = { ...base, launch: 'L3', pid: 99, started_at: '2026-12-07T11:00:00Z', session: 'dcc/kinds-dcc/99' };
  const { list: next, gone } = reconcileRunning(list, [started]);
  assert.deepEqual(gone, ['L1'], 'L1 was running and is no more; L0 had exited already');
  assert.deepEqual(next.map((l) => l.launch), ['L3', 'L1', 'L0']);
  const lost = markLost(next, 'L1');
  assert.equal(lost[1].state, 'exited');
  assert.equal(lost[1].lost, true);
  assert.deepEqual(launchState(lost[1]), { state: 'exited', label: 'ended', failed: false });
  assert.deepEqual(reconcileRunning(next, []).gone, ['L3', 'L1']);
  assert.deepEqual(dismissLaunch(next, 'L1').map((l) => l.launch), ['L3', 'L0']);
  assert.deepEqual(clearExited(lost).map((l) => l.launch), ['L3']);
});

test('where and when a launch runs, for people', () => {
  assert.equal(launchWhere(base), '/sq010/sh010 · anim');
  assert.equal(launchWhere(base, { project: true }), 'demo /sq010/sh010 · anim');
  const d = new Date('2026-12-07T10:04:05.123456Z');
  const two = (n) => String(n).padStart(2, '0');
  assert.equal(formatClock('2026-12-07T10:04:05.123456Z'), `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`);
  assert.equal(formatClock(null), '—');
  assert.equal(formatClock('soon'), 'soon');
  assert.equal(logUrl('http://127.0.0.1:4711', '2026 1/2'), 'http://127.0.0.1:4711/api/launcher/log/2026%201%2F2');
});

// The log route of a real `qi --headless serve` (QI_EXE): its refusals
// in its words. A launch's log itself is read in the browser suite, where
// a DCC runs.
test('the log is read with the page\'s token; a refusal is the server\'s sentence', async (t) => {
  const qi = new ScratchQi();
  t.after(() => qi.cleanup());
  const server = await qi.serve();
  const origin = server.http;
  await assert.rejects(fetchLog('nope', { origin, token: server.token }),
    { message: 'The log cannot be read: no launch “nope” in this run.' });
  await assert.rejects(fetchLog('nope', { origin, token: 'not-a-token' }),
    { message: /^The log cannot be read: the token was refused: .+\.$/ });
  await assert.rejects(fetchLog('nope', { origin, token: null }),
    { message: /^The log cannot be read: this needs a token: .+\.$/ });
  // nobody there: the port of a server that stopped
  await server.stop();
  await assert.rejects(fetchLog('nope', { origin, token: server.token }),
    { message: `The log cannot be read: Qi does not answer at ${origin}.` });
});
