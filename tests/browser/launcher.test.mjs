// SPDX-License-Identifier: LGPL-2.1-or-later
// The launcher's web UI in Debian's Chromium (playwright-core) against a
// real `qi --headless serve` on loopback with a real SQLite tracker: the
// demo show, a user who can log in, and a generated show of 3,200 shots
// imported with `qi --headless db import`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { HubClient } from '../../ui-kit/src/hub-client.js';
import { ScratchQi, launchBrowser, bigProject, freePort, startFakeFtrack, ARTIFACTS } from './harness.mjs';

const USER = 'tess';
const PASSWORD = 'correct horse battery';
const SEQUENCES = 32;
const SHOTS = 100;
const MY_BIG_TASKS = (SEQUENCES * SHOTS) / 50;

let qi;
let server;
let browser;

before(async () => {
  qi = new ScratchQi();
  qi.run(['db', 'seed-demo']);
  qi.run(['user', 'add', USER, '--full-name', 'Tess Tester', '--password-stdin'], { input: `${PASSWORD}\n` });
  // The big show reuses the demo's statuses, task types and users.
  const demo = join(qi.root, 'demo.json');
  qi.run(['db', 'export', demo, '--project', 'demo']);
  const base = JSON.parse(readFileSync(demo, 'utf8'));
  qi.run(['db', 'import', qi.writeJson('bigshow.json', bigProject(base, { sequences: SEQUENCES, shots: SHOTS, assignee: USER }))]);
  server = await qi.serve({ port: await freePort() });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await qi?.cleanup();
});

/** A new page (its own storage) on the launcher; fails the test on any alert(), confirm() or page error. */
async function openLauncher (t, { url = server.launcherUrl(), setup } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push(`a ${d.type()} dialog: ${d.message()}`); d.dismiss(); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  t.after(() => assert.deepEqual(problems, [], 'the page had no dialogs or uncaught errors'));
  if (setup) await setup(page);
  await page.goto(url);
  return page;
}

async function logIn (page, username = USER, password = PASSWORD) {
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByTestId('login-submit').click();
}

async function loggedIn (t, options) {
  const page = await openLauncher(t, options);
  await logIn(page);
  await page.getByTestId('home').waitFor();
  return page;
}

async function pickProject (page, name) {
  await page.getByTestId('project-picker').selectOption(name);
  await page.getByTestId('context-tree').waitFor();
}

/** The labels of the tree rows in the DOM. */
function treeLabels (page) {
  return page.locator('[data-testid=context-tree] .qi-tree-label').allTextContents();
}

test('a local user logs in and sees the launcher home', async (t) => {
  const page = await openLauncher(t);
  await page.getByTestId('login-form').waitFor();
  await page.waitForSelector('[data-hub-state=open]');
  // A plain browser has no window.qiShell: no window buttons.
  assert.equal(await page.getByTestId('window-buttons').count(), 0);
  await page.getByLabel('User name').fill(USER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.screenshot({ path: join(ARTIFACTS, 'login.png') });
  await page.getByTestId('login-submit').click();
  await page.getByTestId('home').waitFor();
  assert.equal(await page.getByTestId('current-user').textContent(), 'Tess Tester');
  assert.equal(await page.getByTestId('login-form').count(), 0);
});

test('in the shell, the title bar drags, minimises, maximises and closes through window.qiShell', async (t) => {
  const page = await openLauncher(t, {
    // What the shell's user script defines, recording the calls here.
    setup: (p) => p.addInitScript(() => {
      window.qiShellCalls = [];
      window.qiShell = Object.fromEntries(['drag', 'minimize', 'maximize', 'close']
        .map((name) => [name, () => window.qiShellCalls.push(name)]));
    }),
  });
  await page.getByTestId('window-buttons').waitFor();
  await page.getByRole('button', { name: 'Minimise' }).click();
  await page.getByRole('button', { name: 'Maximise' }).click();
  await page.getByRole('button', { name: 'Close' }).click();
  const bar = await page.getByTestId('titlebar').boundingBox();
  await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.up();
  assert.deepEqual(await page.evaluate(() => window.qiShellCalls), ['minimize', 'maximize', 'close', 'drag']);
});

test('without a token the page says where to get one, in place', async (t) => {
  const page = await openLauncher(t, { url: `${server.http}/ui/launcher/` });
  const message = page.getByTestId('no-token');
  await message.waitFor();
  assert.match(await message.textContent(), /token/);
  assert.equal(await page.getByTestId('login-form').count(), 0);
});

test('a wrong password shows the hub\'s error under the form', async (t) => {
  const page = await openLauncher(t);
  await logIn(page, USER, 'not the password');
  const error = page.getByTestId('login-error');
  await error.waitFor();
  assert.equal((await error.textContent()).trim(), 'unknown user or wrong password');
  // In place: the form is still there, above its error, and nothing else came.
  assert.equal(await page.getByTestId('login-form').locator('[data-testid=login-error]').count(), 1);
  assert.equal(await page.getByTestId('home').count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'login-error.png') });
});

test('an unknown user is refused in the same words, and a missing field is named before asking', async (t) => {
  const page = await openLauncher(t);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  assert.equal((await page.getByTestId('login-error').textContent()).trim(), 'Enter your user name.');
  await logIn(page, 'nobody', PASSWORD);
  await page.getByTestId('login-error').filter({ hasText: 'unknown user or wrong password' }).waitFor();
});

test('the form is the run\'s: a Qi user of the embedded tracker, no other scheme offered', async (t) => {
  const page = await openLauncher(t);
  await page.getByTestId('login-through').filter({ hasText: 'through Qi’s tracker' }).waitFor();
  assert.equal(await page.getByLabel('User name').count(), 1);
  assert.equal(await page.getByLabel('API key').count(), 0);
  assert.equal(await page.getByRole('tab').count(), 0);
});

test('on ftrack, the form takes a server, an API user and its key, and logs in', async (t) => {
  // a run on the ftrack tracker, against the fake ftrack server
  const ftrack = await startFakeFtrack(t);
  const ft = new ScratchQi();
  t.after(() => ft.cleanup());
  ft.env.QI_TRACKER = 'tracker-ftrack';
  ft.env.QI_NO_KEYRING = '1';
  const run = await ft.serve({ port: await freePort() });
  const page = await openLauncher(t, { url: run.launcherUrl() });
  await page.getByTestId('login-through').filter({ hasText: 'through ftrack' }).waitFor();
  assert.equal(await page.getByLabel('Password').count(), 0);

  // a wrong key: ftrack's refusal, in place
  await page.getByLabel('Server URL').fill(ftrack.url);
  await page.getByLabel('API user').fill(ftrack.user);
  await page.getByLabel('API key').fill('00000000-0000-0000-0000-000000000000');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').filter({ hasText: 'refused the API user' }).waitFor({ timeout: 40000 });
  assert.equal(await page.getByTestId('home').count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'login-ftrack-error.png') });

  // the right one: logged in, on ftrack's (empty) projects
  await page.getByLabel('API key').fill(ftrack.key);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('home').waitFor({ timeout: 40000 });
  await page.screenshot({ path: join(ARTIFACTS, 'login-ftrack-home.png') });
});

test('picking the project shows its context tree', async (t) => {
  const page = await loggedIn(t);
  await pickProject(page, 'demo');
  assert.deepEqual(await treeLabels(page), ['assets', 'sq010', 'sq020']);
  assert.equal(await page.getByTestId('context-count').textContent(), '12 contexts');
  // A reload stays logged in and on the project.
  await page.reload();
  await page.getByTestId('context-tree').waitFor();
  assert.deepEqual(await treeLabels(page), ['assets', 'sq010', 'sq020']);
});

test('the page opens on the run\'s project when the shell names it in the address', async (t) => {
  const page = await loggedIn(t, { url: `${server.launcherUrl()}&project=bigshow` });
  await page.getByTestId('context-tree').waitFor();
  assert.equal(await page.getByTestId('project-picker').inputValue(), 'bigshow');
  // a project the tracker does not have is not picked: the picker waits
  const other = await loggedIn(t, { url: `${server.launcherUrl()}&project=nosuchshow` });
  await other.waitForSelector('[data-testid=project-picker] option[value=demo]', { state: 'attached' });
  assert.equal(await other.getByTestId('project-picker').inputValue(), '');
});

test('the search box filters the tree to the matching shots and their parents', async (t) => {
  const page = await loggedIn(t);
  await pickProject(page, 'demo');
  await page.getByTestId('context-search').fill('sh020');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=context-tree] .qi-tree-row').length === 4);
  assert.deepEqual(await treeLabels(page), ['sq010', 'sh020', 'sq020', 'sh020']);
  await page.getByTestId('context-search').fill('sq020 sh020');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=context-tree] .qi-tree-row').length === 2);
  assert.deepEqual(await treeLabels(page), ['sq020', 'sh020']);
  assert.deepEqual(await page.locator('[data-testid=context-tree] .qi-tree-row.match .qi-tree-label').allTextContents(), ['sh020']);
  await page.getByTestId('context-search').fill('no such shot');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=context-tree] .qi-tree-row').length === 0);
});

test('opening a task shows its context, type, status, assignee and the latest versions', async (t) => {
  const page = await loggedIn(t);
  await pickProject(page, 'demo');
  await page.getByTestId('context-search').fill('sq010 sh010');
  await page.locator('[data-testid=context-tree] .qi-tree-row.match').click();
  assert.equal(await page.getByTestId('tasks-title').textContent(), '/sq010/sh010');
  const rows = page.getByTestId('task-row');
  await rows.first().waitFor();
  assert.deepEqual(await rows.evaluateAll((r) => r.map((e) => e.dataset.task)), ['anim', 'comp', 'fx', 'layout', 'lighting']);
  // What the tracker says of that task, over the hub, to compare.
  const expected = await hubRequest('db_service.task.list', { project: 'demo', context: '/sq010/sh010' });
  const anim = expected.tasks.find((x) => x.name === 'anim');
  await page.locator('[data-testid=task-row][data-task=anim]').click();
  const details = page.getByTestId('task-details');
  await details.getByTestId('version-row').first().waitFor();
  assert.equal(await details.getByTestId('detail-context').textContent(), '/sq010/sh010');
  assert.equal(await details.getByTestId('detail-type').textContent(), 'anim');
  assert.equal(await details.locator('[data-testid=detail-status] .qi-badge').getAttribute('data-status'), anim.status);
  assert.equal(await details.getByTestId('detail-assignee').textContent(), anim.assignee);
  const latest = await hubRequest('db_service.version.latest', { project: 'demo', context: '/sq010/sh010' });
  assert.ok(latest.versions.length > 0, 'the demo has versions in /sq010/sh010');
  assert.equal(await details.getByTestId('version-row').count(), latest.versions.length);
  const firstRow = await details.getByTestId('version-row').first().locator('td').allTextContents();
  assert.equal(firstRow[0], latest.versions[0].product_name);
  assert.equal(firstRow[2], `v${String(latest.versions[0].number).padStart(3, '0')}`);
  assert.equal(await page.getByTestId('applications').count(), 1, 'the place for application buttons is there');
  await page.getByTestId('context-search').fill('');
  await page.screenshot({ path: join(ARTIFACTS, 'launcher-home.png') });

  // the task's actions (the actions addon's), their result as a toast
  await page.locator('[data-testid=task-actions] option[value=MakeWorkFolder]').waitFor({ state: 'attached' });
  await page.getByTestId('task-actions').selectOption('MakeWorkFolder');
  await page.getByText(/^made .*\/demo\/sq010\/sh010\/work\/anim$/).waitFor();
  // the standalone publisher, in a tab of its own outside the shell
  const [tab] = await Promise.all([page.context().waitForEvent('page'), page.getByTestId('open-standalone').click()]);
  await tab.getByTestId('standalone').waitFor();
  assert.match(tab.url(), /\/ui\/pipeline-ui\/\?token=.*&project=demo#\/standalone$/);
  await tab.close();
});

test('My tasks lists the tasks assigned to the user who logged in', async (t) => {
  const page = await loggedIn(t);
  await page.getByTestId('view-mine').click();
  const list = page.getByTestId('my-tasks');
  await page.waitForFunction((n) => document.querySelector('[data-testid=my-tasks]')?.dataset.count === String(n), MY_BIG_TASKS);
  const expected = await hubRequest('db_service.task.list', { assignee: USER });
  assert.equal(expected.tasks.length, MY_BIG_TASKS);
  const shown = await list.getByTestId('my-task-row').evaluateAll((rows) => rows.map((r) => r.querySelector('.path').textContent));
  assert.deepEqual(shown, expected.tasks.slice(0, shown.length).map((x) => x.context_path));
  // Type-ahead in the list.
  await page.getByTestId('my-tasks-filter').fill('sq320');
  await page.waitForFunction(() => document.querySelector('[data-testid=my-tasks]')?.dataset.count === '2');
  assert.deepEqual(await list.locator('.path').allTextContents(), ['/sq320/sq320_sh0500', '/sq320/sq320_sh1000']);
  await page.screenshot({ path: join(ARTIFACTS, 'my-tasks.png') });
});

test('on 3,200 shots the filter finds the shot and the DOM holds a bounded number of rows', async (t) => {
  const page = await loggedIn(t);
  await pickProject(page, 'bigshow');
  const total = SEQUENCES + SEQUENCES * SHOTS;
  assert.equal(await page.getByTestId('context-count').textContent(), `${total} contexts`);
  // Every shot matches "sh": thousands of rows, a screenful in the DOM.
  await page.getByTestId('context-search').fill('sh');
  await page.waitForFunction((n) => document.querySelector('[data-testid=context-tree]')?.dataset.count === String(n), total);
  const inDom = await page.locator('[data-testid=context-tree] .qi-tree-row').count();
  assert.ok(inDom > 10 && inDom <= 60, `${inDom} rows in the DOM for ${total}`);
  // Scrolled to the end: still a screenful, and the last shot is there.
  await page.locator('[data-testid=context-tree]').evaluate((e) => { e.scrollTop = e.scrollHeight; });
  await page.locator('[data-testid=context-tree] .qi-tree-label', { hasText: 'sq320_sh1000' }).waitFor();
  assert.ok(await page.locator('[data-testid=context-tree] .qi-tree-row').count() <= 60);
  // How long a keystroke takes to show, for the record (not asserted):
  // from the input event to the frame after the rows changed.
  const ms = await page.getByTestId('context-search').evaluate(async (input) => {
    input.value = '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const start = performance.now();
    input.value = 'sq250_sh012';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - start;
  });
  t.diagnostic(`a keystroke of the filter over ${total} contexts: ${ms.toFixed(1)} ms to the second frame`);
  // One shot among them.
  await page.getByTestId('context-search').fill('sq250_sh0120');
  await page.waitForFunction(() => document.querySelector('[data-testid=context-tree]')?.dataset.count === '2');
  assert.deepEqual(await treeLabels(page), ['sq250', 'sq250_sh0120']);
  await page.locator('[data-testid=context-tree] .qi-tree-row.match').click();
  await page.getByTestId('task-row').first().waitFor();
  assert.equal(await page.getByTestId('tasks-title').textContent(), '/sq250/sq250_sh0120');
  assert.deepEqual(await page.getByTestId('task-row').evaluateAll((r) => r.map((e) => e.dataset.task)), ['anim', 'comp']);
  await page.screenshot({ path: join(ARTIFACTS, 'launcher-bigshow.png') });
});

test('the hub client reconnects after its socket drops and subscribes again', async (t) => {
  const sockets = [];
  const page = await loggedIn(t, {
    // The page's WebSocket, passed through to the real server, so that the
    // test can cut it as a network would.
    setup: (p) => p.routeWebSocket(/\/ws/, (ws) => { ws.connectToServer(); sockets.push(ws); }),
  });
  await pickProject(page, 'demo');
  await page.getByTestId('context-search').fill('sq020 sh030');
  await page.locator('[data-testid=context-tree] .qi-tree-row.match').click();
  await page.getByTestId('task-row').first().waitFor();
  assert.equal(await page.getByTestId('app').getAttribute('data-hub-connections'), '1');

  await sockets.at(-1).close({ code: 1001, reason: 'the test drops it' });
  await page.waitForSelector('[data-hub-connections="2"][data-hub-state=open]');
  assert.equal(sockets.length, 2);

  // A task made by someone else now: the page hears of it only if it
  // subscribed again on the new connection.
  await hubRequest('db_service.task.create', { project: 'demo', context: '/sq020/sh030', name: 'roto', type: 'roto', assignee: USER });
  await page.locator('[data-testid=task-row][data-task=roto]').waitFor();
  // And requests work on it: the page is still logged in and on its project.
  await page.getByTestId('view-mine').click();
  await page.getByTestId('my-tasks-filter').fill('demo roto');
  await page.locator('[data-testid=my-task-row][data-task=roto]').waitFor();
});

test('after the server restarts, the page says in place that Qi no longer takes its token', async (t) => {
  const scratch = new ScratchQi();
  t.after(() => scratch.cleanup());
  scratch.run(['db', 'seed-demo']);
  scratch.run(['user', 'add', USER, '--password-stdin'], { input: `${PASSWORD}\n` });
  const port = await freePort();
  const first = await scratch.serve({ port });
  const page = await loggedIn(t, { url: first.launcherUrl() });
  await pickProject(page, 'demo');
  await first.stop();
  await page.waitForSelector('[data-hub-state=reconnecting], [data-hub-state=refused]');
  // Back on the same port, with a new key: the page's token is not one of its.
  await scratch.serve({ port });
  await page.waitForSelector('[data-hub-state=refused]', { timeout: 30000 });
  assert.match(await page.getByTestId('hub-error').textContent(), /does not accept this page's token/);
  // What was on screen stays.
  assert.deepEqual(await treeLabels(page), ['assets', 'sq010', 'sq020']);
  await page.screenshot({ path: join(ARTIFACTS, 'server-restarted.png') });
});

/** A request to the test's server over the hub, from Node, with the UI kit's client. */
async function hubRequest (topic, payload) {
  const hub = new HubClient({ url: server.url, token: server.token, name: 'test/browser' });
  hub.connect();
  try {
    return await hub.request(topic, payload);
  } finally {
    hub.close();
  }
}
