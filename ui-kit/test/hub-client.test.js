// SPDX-License-Identifier: LGPL-2.1-or-later
// The hub client: its pure parts, then against a real `qi --headless
// serve` (QI_EXE) over loopback, with Node's own WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubClient, HubError, topicMatches, isValidPattern, backoffDelay } from '../src/hub-client.js';
import { refreshDelay, LoginSession } from '../src/session.js';

test('topic patterns match as docs/protocol.md says', () => {
  const cases = [
    ['db_service.*', 'db_service.saved', true],
    ['db_service.*', 'db_service', false],
    ['db_service.*', 'db_service.version.saved', false],
    ['db_service.**', 'db_service', true],
    ['db_service.**', 'db_service.version.saved', true],
    ['db_service.**', 'db_services.saved', false],
    ['*.version.*', 'db_service.version.saved', true],
    ['*.version.*', 'db_service.version', false],
    ['**', 'anything.at.all', true],
  ];
  for (const [pattern, topic, expected] of cases) assert.equal(topicMatches(pattern, topic), expected, `${pattern} ~ ${topic}`);
  assert.ok(isValidPattern('db_service.**'));
  assert.ok(!isValidPattern('db_service.**.x'));
  assert.ok(!isValidPattern('db..x'));
  assert.ok(!isValidPattern(''));
});

test('the backoff doubles up to its maximum, with bounded jitter', () => {
  const opts = { initialMs: 100, maxMs: 1000, jitter: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, opts)), [100, 200, 400, 800, 1000, 1000]);
  const low = backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 0);
  const high = backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, () => 1);
  assert.deepEqual([low, high], [400, 800]);
});

test('a session is refreshed before it expires, never after', () => {
  const now = 1_000_000;
  assert.equal(refreshDelay(now + 12 * 3600_000, now), 12 * 3600_000 * 0.9);
  assert.equal(refreshDelay(now + 10_000, now), 5000);
  assert.equal(refreshDelay(now + 1000, now), 0);
  assert.equal(refreshDelay(now - 1000, now), 0);
  assert.equal(refreshDelay(NaN, now), 0);
});

let root;
let server;
let info;

before(async () => {
  if (!process.env.QI_EXE) throw new Error('QI_EXE is not set: run these through meson test');
  root = mkdtempSync(join(tmpdir(), 'qi-hub-js-'));
  const env = { ...process.env };
  for (const name of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR']) {
    env[name] = join(root, name.toLowerCase());
    mkdirSync(env[name], { mode: 0o700 });
  }
  env.XDG_CONFIG_DIRS = join(root, 'none');
  const seeded = spawnSync(process.env.QI_EXE, ['--headless', 'db', 'seed-demo'], { env, encoding: 'utf8' });
  assert.equal(seeded.status, 0, seeded.stderr);
  const user = spawnSync(process.env.QI_EXE, ['--headless', 'user', 'add', 'ada2', '--password-stdin'],
    { env, input: 'long enough\n', encoding: 'utf8' });
  assert.equal(user.status, 0, user.stderr);
  const file = join(root, 'server.json');
  server = spawn(process.env.QI_EXE, ['--headless', 'serve', '--port', '0', '--info-file', file], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => { if (String(d).includes('Serving the hub')) resolve(); });
    server.once('exit', (code) => reject(new Error(`qi serve exited ${code}`)));
  });
  info = JSON.parse(readFileSync(file, 'utf8'));
});

after(() => {
  server?.kill('SIGTERM');
  if (root) rmSync(root, { recursive: true, force: true });
});

function client (options = {}) {
  const hub = new HubClient({ url: info.url, token: info.token, name: 'test/js', ...options });
  hub.connect();
  return hub;
}

test('a request resolves with the reply, an error rejects with its code and sentence', async (t) => {
  const hub = client();
  t.after(() => hub.close());
  assert.deepEqual(await hub.request('hub.ping', { n: 1, s: 'é' }), { n: 1, s: 'é' });
  const projects = await hub.request('db_service.project.list');
  assert.deepEqual(projects.projects.map((p) => p.name), ['demo']);
  await assert.rejects(hub.request('no.such.topic'), (e) => e instanceof HubError && e.code === 'no_handler' && /no\.such\.topic/.test(e.message));
  await assert.rejects(hub.request('db_service.project.get', { name: 'nope' }), (e) => e.code === 'handler_failed' && /nope/.test(e.message));
  assert.equal(hub.state, 'open');
  assert.match(hub.session, /^test\/js/);
});

test('a request made before the connection opens waits for it', async (t) => {
  const hub = new HubClient({ url: info.url, token: info.token, name: 'test/early' });
  t.after(() => hub.close());
  const reply = hub.request('hub.ping', { early: true });
  hub.connect();
  assert.deepEqual(await reply, { early: true });
});

test('events reach the subscribers of matching patterns only, until they unsubscribe', async (t) => {
  const listener = client({ name: 'test/listener' });
  const writer = client({ name: 'test/writer' });
  t.after(() => { listener.close(); writer.close(); });
  const seen = [];
  const all = [];
  const stop = listener.subscribe('db_service.*.changed', (payload, message) => seen.push([message.topic, payload.action]));
  listener.subscribe('db_service.**', (payload, message) => all.push(message.topic));
  await listener.request('hub.ping');  // the subscriptions are made by now
  const got = new Promise((resolve) => listener.subscribe('db_service.project.changed', resolve));
  await listener.request('hub.ping');
  await writer.request('db_service.project.create', { name: 'jsproj' });
  await got;
  assert.deepEqual(seen, [['db_service.project.changed', 'created']]);
  assert.ok(all.includes('db_service.project.changed'));
  stop();
  await listener.request('hub.ping');
  await writer.request('db_service.project.create', { name: 'jsproj2' });
  await listener.request('db_service.project.list');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen.length, 1, 'no event after unsubscribing');
});

test('a bad token is refused: the client keeps trying and says the server refuses it', async (t) => {
  const healthUrl = `${info.http}/api/health`;
  const hub = new HubClient({ url: info.url, token: 'not-a-token', healthUrl, backoff: { initialMs: 20, maxMs: 50 } });
  t.after(() => hub.close());
  const refused = new Promise((resolve) => hub.onState((s) => s === 'refused' && resolve()));
  hub.connect();
  await refused;
  assert.match(hub.lastError, /does not accept this page's token/);
  await assert.rejects(hub.request('hub.ping', {}, { timeoutMs: 200 }), (e) => e.code === 'timeout' && /not connected/.test(e.message));
});

test('a login session logs in, refreshes its token, hands it to the client, and logs out', async (t) => {
  const hub = client({ name: 'test/login' });
  t.after(() => hub.close());
  const memory = new Map();
  const storage = { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => memory.set(k, v), removeItem: (k) => memory.delete(k) };
  const session = new LoginSession(hub, { storage });
  await assert.rejects(session.login({ username: 'ada2', password: 'wrong password' }),
    (e) => e.code === 'unauthorized' && e.message === 'unknown user or wrong password');
  const first = await session.login({ username: 'ada2', password: 'long enough' });
  assert.equal(first.user.username, 'ada2');
  assert.equal(hub.token, first.token, 'later connections carry the login token');
  assert.equal(JSON.parse(memory.get('qi.session')).token, first.token);
  const second = await session.refresh();
  assert.notEqual(second.token, first.token);
  assert.equal(hub.token, second.token);
  await assert.rejects(hub.request('auth.whoami', { token: first.token }), (e) => e.code === 'unauthorized');
  // A new page with the same storage gets the session back.
  const again = new LoginSession(hub, { storage });
  assert.equal((await again.restore()).token, second.token);
  await again.logout();
  assert.equal(hub.token, info.token, 'back to the page token');
  assert.equal(memory.has('qi.session'), false);
  await assert.rejects(hub.request('auth.whoami', { token: second.token }), (e) => e.code === 'unauthorized');
});

test('close() fails what waits and refuses new requests', async () => {
  const hub = new HubClient({ url: 'ws://127.0.0.1:9/ws', token: 'x', backoff: { initialMs: 10, maxMs: 10 } });
  hub.connect();
  const waiting = hub.request('hub.ping');
  hub.close();
  await assert.rejects(waiting, (e) => e.code === 'closed');
  await assert.rejects(hub.request('hub.ping'), (e) => e.code === 'closed');
});
