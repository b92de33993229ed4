// SPDX-License-Identifier: LGPL-2.1-or-later
// The launcher page's applications and running list, in Debian's Chromium
// against a real `qi --headless serve` on the demo tracker, with the test
// applications on the project layer (as tests/python/test_launcher.py sets
// them): a DCC that is a small Python program speaking to the hub with
// qi.hub, launched through the test host `kinds-dcc` (tests/addons/kinds).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve, dirname } from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HubClient } from '../../ui-kit/src/hub-client.js';
import { ScratchQi, launchBrowser, freePort, ARTIFACTS } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON_PACKAGE = resolve(here, '..', '..', 'python');
const TEST_ADDONS = process.env.QI_TEST_ADDONS;
const USER = 'tess';
const PASSWORD = 'correct horse battery';

// The DCC: connects to the hub as the launcher's child, saves its
// workfile, answers fake_dcc.PID.say (prints) and fake_dcc.PID.quit
// (exits 0), and quits by itself after a minute; `--exit N` prints a line
// and exits N at once.
const FAKE_DCC = `
import os, sys, threading
import qi.hub
if len(sys.argv) > 1 and sys.argv[1] == "--exit":
    print("task", os.environ["QI_TASK"], "of", os.environ["QI_CONTEXT"], "failing with", sys.argv[2], flush=True)
    sys.exit(int(sys.argv[2]))
pid = os.getpid()
done = threading.Event()
client = qi.hub.connect(os.environ["QI_SERVER_URL"], os.environ["QI_SESSION_TOKEN"],
                        name="dcc/kinds-dcc/%d" % pid, timeout=10)
workfile = os.environ.get("QI_WORKFILE")
if workfile and not os.path.exists(workfile):
    with open(workfile, "w") as f:
        f.write("a scene\\n")
def say(payload, envelope):
    print(payload.get("text", ""), flush=True)
    return {}
def bye(payload, envelope):
    print("quitting", flush=True)
    threading.Timer(0.2, done.set).start()  # once the answer is out
    return {}
client.register("fake_dcc.%d.say" % pid, say)
client.register("fake_dcc.%d.quit" % pid, bye)
print("connected", client.session, flush=True)
done.wait(60)
client.close()
`;

// A pre-launch hook that takes its time for Kinds, so that the page's
// busy button can be seen, and a post-launch one that fails (reported,
// the DCC runs on); a pre-launch hook that refuses Broken.
const HOOKS = {
  '10_slow.py': 'import time\napp_groups = ["kinds"]\ndef pre_launch(launch):\n    time.sleep(1.5)\n' +
    'def post_launch(launch):\n    raise RuntimeError("the render farm is down")\n',
  '20_refuse.py': 'app_groups = ["broken"]\ndef pre_launch(launch):\n    raise ValueError("no licence for Broken today")\n',
};

function groups (dcc) {
  const python = { linux: ['/usr/bin/python3'] };
  return {
    kinds: {
      label: 'Kinds', host: 'kinds-dcc', workfile_extension: '.kscene',
      variants: {
        9: { executables: { linux: ['/opt/kinds-9/kdcc'] } },
        2: { executables: python, arguments: [dcc] },
        1: { executables: python, arguments: [dcc] },
      },
    },
    quick: { label: 'Quick', host: 'kinds-dcc', workfile_extension: null,
      variants: { 1: { executables: python, arguments: [dcc, '--exit', '3'] } } },
    broken: { label: 'Broken', host: 'kinds-dcc', workfile_extension: null,
      variants: { 1: { executables: python, arguments: [dcc] } } },
    ghost: { label: 'Ghost', host: 'no-such-host', variants: { 1: { executables: { linux: ['/bin/sh'] } } } },
    // Debian's Blender of the defaults, in the background here (no display):
    // a studio's render nodes set it so too
    blender: { variants: { '3.4': { arguments: ['--background'] } } },
  };
}

let qi;
let server;
let browser;

before(async () => {
  if (!TEST_ADDONS || !existsSync(join(TEST_ADDONS, 'kinds'))) {
    throw new Error(`the test addons are not built in ${TEST_ADDONS}: run these through meson test`);
  }
  qi = new ScratchQi();
  const dcc = join(qi.root, 'fake_dcc.py');
  writeFileSync(dcc, FAKE_DCC);
  const hooks = join(qi.root, 'hook-addons', 'studio-hooks');
  mkdirSync(join(hooks, 'plugins', 'hooks'), { recursive: true });
  writeFileSync(join(hooks, 'addon.toml'), 'name = "studio-hooks"\nversion = "1.0.0"\n');
  for (const [name, text] of Object.entries(HOOKS)) writeFileSync(join(hooks, 'plugins', 'hooks', name), text);
  qi.env.QI_ADDON_PATH = [qi.env.QI_ADDON_PATH, TEST_ADDONS, join(qi.root, 'hook-addons')].filter(Boolean).join(':');

  qi.run(['db', 'seed-demo']);
  qi.run(['user', 'add', USER, '--full-name', 'Tess Tester', '--password-stdin'], { input: `${PASSWORD}\n` });
  qi.run(['settings', 'set', 'applications', 'groups', JSON.stringify(groups(dcc)), '--layer', 'project', '--project', 'demo']);
  qi.run(['settings', 'set', 'applications', 'project_environment',
    JSON.stringify({ PYTHONPATH: [PYTHON_PACKAGE, '{PYTHONPATH}'] }), '--layer', 'project', '--project', 'demo']);
  server = await qi.serve({ port: await freePort() });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await qi?.cleanup();
});

/** A request to the test's server over the hub, from Node, with the UI kit's client. */
async function hubRequest (topic, payload, { timeoutMs = 30000 } = {}) {
  const hub = new HubClient({ url: server.url, token: server.token, name: 'test/browser' });
  hub.connect();
  try {
    return await hub.request(topic, payload, { timeoutMs });
  } finally {
    hub.close();
  }
}

/** Logged in on the launcher, on the task `task` of /sq010/sh010 of the demo; fails the test on any dialog or page error. */
async function onTask (t, { task = 'anim', setup } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push(`a ${d.type()} dialog: ${d.message()}`); d.dismiss(); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  t.after(() => assert.deepEqual(problems, [], 'the page had no dialogs or uncaught errors'));
  if (setup) await setup(page);
  await page.goto(server.launcherUrl());
  await page.getByLabel('User name').fill(USER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('project-picker').selectOption('demo');
  await page.getByTestId('context-search').fill('sq010 sh010');
  await page.locator('[data-testid=context-tree] .qi-tree-row.match').click();
  await page.locator(`[data-testid=task-row][data-task=${task}]`).click();
  await page.locator('[data-testid=applications][data-project=demo] [data-testid=app-group]').first().waitFor();
  return page;
}

function group (page, name) {
  return page.locator(`[data-testid=app-group][data-group=${name}]`);
}

function row (page, app) {
  return page.locator(`[data-testid=running-row][data-app="${app}"]`);
}

/** Waits until the launcher has `n` launches running; returns them. */
async function waitForRunning (n, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { running } = await hubRequest('launcher.running', {});
    if (running.length === n) return running;
    if (Date.now() > end) throw new Error(`${running.length} launches run, not ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ends every launch still running (their DCCs quit), so that the next test starts from none. */
async function quitAll () {
  const { running } = await hubRequest('launcher.running', {});
  for (const l of running) {
    await hubRequest(`fake_dcc.${l.pid}.quit`, {}).catch(() => {});
  }
  await waitForRunning(0);
}

test('a task lists its applications: the installed ones to launch, the others greyed with the reason', async (t) => {
  const page = await onTask(t);
  const { apps } = await hubRequest('launcher.apps', { project: 'demo' });
  const byName = Object.fromEntries(apps.map((a) => [a.name, a]));

  // Kinds: its launchable variants in the dropdown, newest chosen, and
  // the one that is not installed under it with the launcher's reason.
  const kinds = group(page, 'kinds');
  assert.equal(await kinds.getAttribute('data-launchable'), 'true');
  const variant = kinds.getByTestId('app-variant');
  assert.deepEqual(await variant.locator('option').allTextContents(), ['2', '1']);
  assert.equal(await variant.inputValue(), 'kinds/2');
  assert.equal(await page.getByLabel('Version of Kinds').count(), 1, 'the dropdown has a label');
  assert.ok(await kinds.getByTestId('app-launch').isEnabled());
  const nine = kinds.locator('[data-testid=app-unavailable][data-app="kinds/9"]');
  assert.equal(byName['kinds/9'].why, 'not installed here: looked for /opt/kinds-9/kdcc');
  assert.equal(await nine.getAttribute('title'), byName['kinds/9'].why);
  assert.match(await nine.textContent(), /^9\s*not installed here: looked for \/opt\/kinds-9\/kdcc$/);
  assert.ok(await nine.isVisible());

  // Ghost is installed but no addon hosts it: greyed, no button, its reason shown.
  const ghost = group(page, 'ghost');
  assert.equal(await ghost.getAttribute('data-launchable'), 'false');
  assert.equal(await ghost.getByTestId('app-launch').count(), 0);
  assert.equal(await ghost.getByTestId('app-why').textContent(), byName['ghost/1'].why);
  assert.match(await ghost.getAttribute('title'), /Ghost 1: no addon of this bundle provides the host “no-such-host”/);
  // the greyed text is dimmer than a launchable application's name
  const [on, off] = await Promise.all([kinds.locator('.label'), ghost.locator('.label')]
    .map((l) => l.evaluate((e) => getComputedStyle(e).color)));
  assert.notEqual(on, off);

  // The groups that can launch come first; every group of the catalog is there.
  const shown = await page.getByTestId('app-group').evaluateAll((rows) => rows.map((r) => [r.dataset.group, r.dataset.launchable]));
  const launchable = [...new Set(apps.filter((a) => a.launchable).map((a) => a.group))];
  assert.deepEqual(shown.filter(([, l]) => l === 'true').map(([g]) => g), launchable);
  assert.deepEqual(new Set(shown.map(([g]) => g)), new Set(apps.map((a) => a.group)));
  assert.ok(shown.findIndex(([, l]) => l === 'false') >= launchable.length);
  await page.screenshot({ path: join(ARTIFACTS, 'applications.png') });

  // Keyboard: Tab reaches the dropdown and the Launch button, in order.
  await variant.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'app-launch');
});

test('a launch that fails says why under its row, and starts nothing', async (t) => {
  const page = await onTask(t);
  // What the launcher answers for it: the pre-launch hook's refusal.
  let expected = null;
  try {
    await hubRequest('launcher.launch', { app: 'broken', project: 'demo', context: '/sq010/sh010', task: 'anim' });
  } catch (e) {
    expected = e.message;
  }
  assert.match(expected ?? '', /^a pre-launch hook failed: .*20_refuse\.py:\d+: ValueError: no licence for Broken today$/);
  const broken = group(page, 'broken');
  await broken.getByTestId('app-launch').click();
  const error = broken.getByTestId('launch-error');
  await error.waitFor();
  assert.equal(await error.textContent(), expected);
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.ok(await broken.getByTestId('app-launch').isEnabled(), 'the button can be pressed again');
  // only under its own row
  assert.equal(await page.getByTestId('launch-error').count(), 1);
  assert.equal(await page.getByTestId('running-apps').count(), 0, 'nothing runs');
  await page.screenshot({ path: join(ARTIFACTS, 'applications-error.png') });
  // another task: the error was the last one's
  await page.locator('[data-testid=task-row][data-task=comp]').click();
  await page.getByTestId('launch-error').waitFor({ state: 'detached' });
});

test('a launch runs, connects, shows its log while it runs, and exits', async (t) => {
  t.after(quitAll);
  const page = await onTask(t);
  const kinds = group(page, 'kinds');
  const button = kinds.getByTestId('app-launch');
  await button.click();
  // the request runs (the slow hook): the button says so and waits
  await page.waitForFunction(() =>
    document.querySelector('[data-group=kinds] [data-testid=app-launch]')?.getAttribute('aria-busy') === 'true');
  assert.equal((await button.textContent()).trim(), 'Launching…');
  assert.ok(await button.isDisabled());
  assert.equal(await kinds.getByRole('progressbar').count(), 1);
  await page.screenshot({ path: join(ARTIFACTS, 'applications-launching.png') });

  const kindsRow = row(page, 'kinds/2');
  await kindsRow.waitFor();
  assert.equal((await button.textContent()).trim(), 'Launch');
  const { running } = await hubRequest('launcher.running', {});
  assert.equal(running.length, 1);
  const launch = running[0];
  assert.equal(await kindsRow.getAttribute('data-launch'), launch.launch);
  assert.equal(await kindsRow.getByTestId('running-pid').textContent(), String(launch.pid));
  assert.equal(await kindsRow.getByTestId('running-where').textContent(), '/sq010/sh010 · anim');
  // connected once its DCC opened its session on the hub
  await page.locator(`[data-testid=running-row][data-launch="${launch.launch}"][data-state=connected]`).waitFor({ timeout: 20000 });
  assert.equal(await kindsRow.getByTestId('running-state').textContent(), 'connected');
  // the post-launch hook's failure is on its row, and it runs on
  const hook = kindsRow.getByTestId('running-hook-failed');
  await hook.waitFor({ timeout: 20000 });
  assert.match((await hook.textContent()).trim(), /^a post-launch hook failed: .*10_slow\.py:\d+: RuntimeError: the render farm is down$/);

  // its log, read again while it runs: what the DCC prints now shows
  await kindsRow.getByTestId('running-log').click();
  const log = page.getByTestId('log-text');
  await page.getByTestId('log-view').filter({ hasText: `connected dcc/kinds-dcc/${launch.pid}` }).waitFor();
  assert.equal(await log.evaluate((e) => getComputedStyle(e).fontFamily.includes('Mono') || getComputedStyle(e).fontFamily.includes('monospace')), true);
  await hubRequest(`fake_dcc.${launch.pid}.say`, { text: 'saved the scene as the test asked' });
  await page.getByTestId('log-view').filter({ hasText: 'saved the scene as the test asked' }).waitFor({ timeout: 5000 });
  await page.screenshot({ path: join(ARTIFACTS, 'applications-running.png') });

  // it quits: exited 0, not red; the log has its last line
  await hubRequest(`fake_dcc.${launch.pid}.quit`, {});
  await page.locator(`[data-testid=running-row][data-launch="${launch.launch}"][data-state=exited]`).waitFor({ timeout: 20000 });
  assert.equal(await kindsRow.getByTestId('running-state').textContent(), 'exited 0');
  assert.equal(await kindsRow.getAttribute('data-failed'), 'false');
  await page.getByTestId('log-view').filter({ hasText: 'quitting' }).waitFor({ timeout: 5000 });

  // one that fails at once: exited 3, in red
  await group(page, 'quick').getByTestId('app-launch').click();
  const quick = row(page, 'quick/1');
  await page.locator('[data-testid=running-row][data-app="quick/1"][data-state=exited]').waitFor({ timeout: 20000 });
  assert.equal(await quick.getByTestId('running-state').textContent(), 'exited 3');
  assert.equal(await quick.getAttribute('data-failed'), 'true');
  const [red, danger] = await quick.getByTestId('running-state').evaluate((e) => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--qi-danger)';
    document.body.append(probe);
    const colours = [getComputedStyle(e).color, getComputedStyle(probe).color];
    probe.remove();
    return colours;
  });
  assert.equal(red, danger);
  await quick.getByTestId('running-log').click();
  await page.getByTestId('log-view').filter({ hasText: 'task anim of /sq010/sh010 failing with 3' }).waitFor();
  assert.deepEqual(await page.getByTestId('running-row').evaluateAll((r) => r.map((e) => e.dataset.app)),
    ['quick/1', 'kinds/2'], 'newest first');
  await page.screenshot({ path: join(ARTIFACTS, 'applications-exited.png') });

  // ended ones go on request; the list goes with the last
  await quick.getByTestId('running-dismiss').click();
  assert.equal(await page.getByTestId('running-row').count(), 1);
  assert.equal(await page.getByTestId('log-view').count(), 0, 'the log of a removed launch closes');
  await page.getByTestId('running-clear').click();
  assert.equal(await page.getByTestId('running-apps').count(), 0);
});

test('Blender launches from the page for a task, serves the hub and exits', async (t) => {
  t.after(quitAll);
  const page = await onTask(t, { task: 'lighting' });
  const blender = group(page, 'blender');
  assert.equal(await blender.getAttribute('data-launchable'), 'true');
  assert.equal((await blender.locator('.label').textContent()).trim(), 'Blender');
  await blender.getByTestId('app-launch').click();
  const blenderRow = row(page, 'blender/3.4');
  await blenderRow.waitFor({ timeout: 30000 });
  const [launch] = await waitForRunning(1, 30000);
  assert.equal(launch.app, 'blender/3.4');
  assert.match(launch.workfile, /\/work\/lighting\/demo_sh010_lighting_v001\.blend$/);
  await page.locator(`[data-testid=running-row][data-launch="${launch.launch}"][data-state=connected]`).waitFor({ timeout: 60000 });

  // the real Blender answers on its own topics, in the page's task
  const prefix = `dcc.blender.${launch.pid}.`;
  let info = null;
  for (const end = Date.now() + 30000; !info && Date.now() < end;) {
    info = await hubRequest(`${prefix}host.info`, {}).catch(() => null);
    if (!info) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(info, 'Blender answers host.info');
  assert.equal(info.host, 'blender');
  assert.equal(info.context, '/sq010/sh010');
  assert.equal(info.task, 'lighting');
  assert.match(info.version, /^3\.4/);
  assert.deepEqual(await hubRequest(`${prefix}workfile.save`, {}), { path: launch.workfile });
  await page.screenshot({ path: join(ARTIFACTS, 'applications-blender.png') });

  await hubRequest(`${prefix}host.quit`, {});
  await page.locator(`[data-testid=running-row][data-launch="${launch.launch}"][data-state=exited]`).waitFor({ timeout: 30000 });
  assert.equal(await blenderRow.getByTestId('running-state').textContent(), 'exited 0');
  await blenderRow.getByTestId('running-log').click();
  await page.getByTestId('log-view').filter({ hasText: 'Blender 3.4' }).waitFor({ timeout: 5000 });
});

test('New workfile starts a new version instead of opening the last one', async (t) => {
  t.after(quitAll);
  const page = await onTask(t, { task: 'layout' });
  const kinds = group(page, 'kinds');
  // the first launch makes the task's workfile (the DCC saves it)
  await kinds.getByTestId('app-launch').click();
  const [first] = await waitForRunning(1);
  await page.locator(`[data-testid=running-row][data-launch="${first.launch}"][data-state=connected]`).waitFor({ timeout: 20000 });
  assert.equal(first.task, 'layout');
  assert.equal(first.workfile_exists, false);
  await quitAll();
  // with New workfile: not that one, a new one beside it
  await page.getByLabel('New workfile').check();
  await kinds.getByTestId('app-variant').selectOption('kinds/1');
  await kinds.getByTestId('app-launch').click();
  const [fresh] = await waitForRunning(1);
  await page.locator(`[data-testid=running-row][data-launch="${fresh.launch}"][data-state=connected]`).waitFor({ timeout: 20000 });
  assert.equal(fresh.app, 'kinds/1');
  assert.equal(fresh.workfile_exists, false);
  assert.notEqual(fresh.workfile, first.workfile);
  assert.equal(dirname(fresh.workfile), dirname(first.workfile));
  await quitAll();
  // and without it, the last one is opened
  await page.getByLabel('New workfile').uncheck();
  await kinds.getByTestId('app-launch').click();
  const [again] = await waitForRunning(1);
  assert.equal(again.workfile, fresh.workfile);
  assert.equal(again.workfile_exists, true);
  await page.locator(`[data-testid=running-row][data-launch="${again.launch}"][data-state=connected]`).waitFor({ timeout: 20000 });
  await page.screenshot({ path: join(ARTIFACTS, 'applications-new-workfile.png') });
});

test('the running list follows launches made elsewhere, and catches up after a lost connection', async (t) => {
  t.after(quitAll);
  const sockets = [];
  const page = await onTask(t, {
    // the page's WebSocket, through to the real server, for the test to cut
    setup: (p) => p.routeWebSocket(/\/ws/, (ws) => { ws.connectToServer(); sockets.push(ws); }),
  });
  await page.waitForSelector('[data-hub-state=open]');
  // a launch of someone else (qi launch, another window): the page hears of it
  const other = await hubRequest('launcher.launch', { app: 'kinds/1', project: 'demo', context: '/sq010/sh010', task: 'fx' });
  const otherRow = page.locator(`[data-testid=running-row][data-launch="${other.launch}"]`);
  await page.locator(`[data-testid=running-row][data-launch="${other.launch}"][data-state=connected]`).waitFor({ timeout: 20000 });
  assert.equal(await otherRow.getByTestId('running-where').textContent(), '/sq010/sh010 · fx');

  // the connection drops and stays down (every new socket is closed at
  // once); meanwhile that one quits and another starts
  await page.routeWebSocket(/\/ws/, (ws) => ws.close({ code: 1001, reason: 'the network is down' }));
  await sockets.at(-1).close({ code: 1001, reason: 'the test drops it' });
  await page.waitForSelector('[data-hub-state=reconnecting]');
  await hubRequest(`fake_dcc.${other.pid}.quit`, {});
  await waitForRunning(0);
  const later = await hubRequest('launcher.launch', { app: 'kinds/2', project: 'demo', context: '/sq010/sh010', task: 'comp' });
  assert.equal(await otherRow.getAttribute('data-state'), 'connected', 'the page did not hear of it');
  // back: the page reads launcher.running again and asks how the missing one ended
  await page.routeWebSocket(/\/ws/, (ws) => { ws.connectToServer(); sockets.push(ws); });
  await page.waitForSelector('[data-hub-state=open]', { timeout: 20000 });
  await page.locator(`[data-testid=running-row][data-launch="${other.launch}"][data-state=exited]`).waitFor({ timeout: 20000 });
  assert.equal(await otherRow.getByTestId('running-state').textContent(), 'exited 0');
  await page.locator(`[data-testid=running-row][data-launch="${later.launch}"]`).waitFor({ timeout: 20000 });
  await page.screenshot({ path: join(ARTIFACTS, 'applications-reconnected.png') });
});
