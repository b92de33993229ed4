// SPDX-License-Identifier: LGPL-2.1-or-later
// What the browser tests share: a scratch Qi (its own XDG_* folders, so
// its tracker and runtime files are the test's), the real `qi --headless
// serve` on loopback, Debian's Chromium through playwright-core, and the
// screenshots folder.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

export const QI_EXE = process.env.QI_EXE;
if (!QI_EXE) throw new Error('QI_EXE is not set: run the browser tests through meson test --suite browser');

/** Where screenshots go: $QI_BROWSER_ARTIFACTS, else the build tree's tests/browser/artifacts. */
export const ARTIFACTS = process.env.QI_BROWSER_ARTIFACTS ?? resolve(here, '..', '..', '_build', 'tests', 'browser', 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM = process.env.QI_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Debian's Chromium, headless; playwright-core never downloads a browser. */
export async function launchBrowser () {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (tools/deps.sh lists it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A scratch Qi: its own XDG folders; run() runs `qi --headless ARGS` in it. */
export class ScratchQi {
  constructor () {
    this.root = mkdtempSync(join(tmpdir(), 'qi-browser-'));
    this.env = { ...process.env };
    for (const name of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR']) {
      const dir = join(this.root, name.toLowerCase());
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.env[name] = dir;
    }
    this.env.XDG_CONFIG_DIRS = join(this.root, 'no-system-config');
    this.env.LC_ALL = 'C.UTF-8';
    this.servers = new Set();
  }

  /** Runs `qi --headless ARGS`; throws with its stderr unless it exits 0. */
  run (args, { input } = {}) {
    const r = spawnSync(QI_EXE, ['--headless', ...args], { env: this.env, input, encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`qi --headless ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
    }
    return r.stdout;
  }

  /** Starts `qi --headless serve` (on `port`, 0: a free one); resolves once its info file names it. */
  async serve ({ port = 0 } = {}) {
    const info = join(this.root, `server-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    const child = spawn(QI_EXE, ['--headless', 'serve', '--port', String(port), '--info-file', info],
      { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    // Its stdout says it is serving once the info file is written.
    await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('Serving the hub')) resolve();
      });
      exited.then(({ code, signal }) => reject(new Error(`qi serve exited ${code ?? signal}: ${stderr}`)));
    });
    const details = JSON.parse(readFileSync(info, 'utf8'));
    if (details.pid !== child.pid) throw new Error(`${info} names pid ${details.pid}, not ${child.pid}`);
    const server = {
      ...details,
      port: Number(new URL(details.http).port),
      process: child,
      exited,
      stderr: () => stderr,
      async stop () {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
      /** The launcher's page, opened as the shell or a user would: with the token. */
      launcherUrl (token = details.token) {
        return `${details.http}/ui/launcher/?token=${encodeURIComponent(token)}`;
      },
    };
    this.servers.add(server);
    return server;
  }

  writeJson (name, value) {
    const path = join(this.root, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  }

  async cleanup () {
    for (const server of this.servers) await server.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * The fake ftrack server of tests/ftrack (Debian's Python, the recorded
 * answers of $QI_FTRACK_FIXTURES) for the test `t`: `{url, user, key}`.
 */
export async function startFakeFtrack (t, { user = 'qi.pipeline@studio.example', key = '5e1f6d9a-0c4b-4b8e-9d61-3f2a7c8b9e10' } = {}) {
  const fixtures = process.env.QI_FTRACK_FIXTURES;
  if (!fixtures) throw new Error('QI_FTRACK_FIXTURES is not set: run the browser tests through meson test --suite browser');
  const child = spawn('/usr/bin/python3', [join(here, '..', 'ftrack', 'fake_ftrack.py'), '--fixtures', fixtures,
    '--port', '0', '--user', user, '--key', key], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => child.kill('SIGTERM'));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`the fake ftrack server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, user, key };
}

/** A free loopback port (bound and released), for a server that must come back on the same one. */
export async function freePort () {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A project file (docs/project-file.schema.json) of a big show: `sequences`
 * × `shots` shots under /sqNNN/sqNNN_shNNNN, two tasks each, the comp of every
 * 50th assigned to `assignee`. The lists the tracker has already
 * (statuses, task types, locations, users) come from `base`, a `db export`.
 */
export function bigProject (base, { name = 'bigshow', sequences = 32, shots = 100, assignee }) {
  const contexts = [];
  const tasks = [];
  let n = 0;
  for (let q = 1; q <= sequences; q++) {
    const sq = `sq${String(q * 10).padStart(3, '0')}`;
    contexts.push({ path: `/${sq}`, kind: 'sequence', name: sq });
    for (let s = 1; s <= shots; s++) {
      const sh = `${sq}_sh${String(s * 10).padStart(4, '0')}`;
      const path = `/${sq}/${sh}`;
      contexts.push({ path, kind: 'shot', name: sh });
      n++;
      tasks.push({ context: path, name: 'anim', type: 'anim', status: n % 3 ? 'in_progress' : 'not_started', assignee: 'bruno' });
      tasks.push({ context: path, name: 'comp', type: 'comp', status: 'ready', assignee: n % 50 === 0 ? assignee : 'dara' });
    }
  }
  return {
    format: 'qi-project',
    version: 1,
    project: { name, label: 'Big Show', created_at: '2026-12-01T09:00:00.000Z' },
    statuses: base.statuses,
    task_types: base.task_types,
    locations: base.locations,
    users: base.users,
    contexts,
    tasks,
    products: [],
    versions: [],
  };
}
