// SPDX-License-Identifier: LGPL-2.1-or-later
// The pipeline windows' first paint (bench/ui runs it): a scratch Qi on
// the demo tracker, a product of 10,000 published versions and one of 10;
// a stand-in DCC (a Python qi.hub client answering host.info and
// inventory.list, so that the page alone is timed) with a scene of 1,000
// containers or of 10. Each figure is the time from the request (the
// click on the product; the page's navigation) to the frame after the
// list's first rows are in the page, the median of RUNS, runs alternating.
import { spawn } from 'node:child_process';
import { HubClient } from '../ui-kit/src/hub-client.js';
import { ScratchQi, launchBrowser } from '../tests/browser/harness.mjs';

const runs = Number(process.argv[2] ?? 7);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const FAKE_DCC = String.raw`
import json, sys, threading
import qi.hub
url, token, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = qi.hub.connect(url, token, name=name, timeout=30)
prefix = name.replace("/", ".") + "."
rows = [{"container": {"schema": "qi:container-1.0", "id": "c%05d" % i, "name": "prop%04d" % (i // 10),
                       "namespace": "prop%04d_%02d" % (i // 10, i % 10), "loader": "LinkBlend",
                       "representation": "1", "representation_name": "blend", "version": str(i), "version_number": 1,
                       "product": str(i // 10), "product_name": "prop%04d" % (i // 10), "product_type": "model",
                       "project": "demo", "locked": False},
         "state": "outdated" if i % 3 else "latest", "version": 1, "latest": 2, "latest_version": "x"}
        for i in range(count)]
client.register(prefix + "host.info", lambda p, m: {"host": "bench", "version": "1", "project": "demo",
                                                    "context": "/sq010/sh010", "task": "layout"})
client.register(prefix + "inventory.list", lambda p, m: {"containers": rows})
print("ready", flush=True)
threading.Event().wait()
`;

function fakeDcc (server, name, count) {
  const child = spawn('/usr/bin/python3', ['-c', FAKE_DCC, server.url, server.token, name, String(count)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PYTHONPATH: process.env.QI_PYTHON_PATH } });
  return new Promise((resolve) => child.stdout.once('data', () => resolve(child)));
}

const qi = new ScratchQi();
qi.run(['db', 'seed-demo']);
const server = await qi.serve();
const hub = new HubClient({ url: server.url, token: server.token, name: 'bench/ui' });
hub.connect();
const context = await hub.request('db_service.context.lookup', { project: 'demo', path: '/sq010/sh010' });
const products = {};
for (const [name, count] of [['bigMain', 10000], ['smallMain', 10]]) {
  const product = await hub.request('db_service.product.create', { context: context.id, name, type: 'render' });
  const pending = [];
  for (let i = 0; i < count; i++) {
    pending.push(hub.request('db_service.version.create', { product: product.id, components: [
      { name: 'exr', files: [{ path: `${name}_v${i + 1}.exr`, size: 1 }] }] })
      .then((v) => hub.request('db_service.version.publish', { id: v.id })));
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  products[name] = product;
}
const dccs = { big: await fakeDcc(server, 'dcc/bench/1000', 1000), small: await fakeDcc(server, 'dcc/bench/10', 10) };
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
const url = (dcc, route) => `${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}&dcc=${encodeURIComponent(dcc)}#/${route}`;
const painted = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));

async function loaderPaint (name, expected) {
  await page.goto(url('dcc/bench/10', 'loader'));
  await page.locator('[data-testid=context][data-path="/sq010/sh010"]').click();
  const row = page.locator(`[data-testid=product][data-name=${name}]`);
  await row.waitFor();
  const start = performance.now();
  await row.click();
  await page.locator(`[data-testid=version][data-number="${expected}"]`).first().waitFor();
  await painted();
  const took = performance.now() - start;
  // the rest of the list, before the next run
  await page.locator(`[data-testid=versions-section][data-count="${expected}"]`).waitFor({ timeout: 60000 });
  return took;
}

async function inventoryPaint (dcc, expected) {
  const start = performance.now();
  await page.goto(url(dcc, 'inventory'));
  await page.locator('[data-testid=container]').first().waitFor();
  await painted();
  const took = performance.now() - start;
  const rendered = await page.locator('[data-testid=container]').count();
  if (rendered > 100) throw new Error(`${rendered} rows rendered: the list is not virtual`);
  if (expected !== await page.evaluate(() => document.querySelector('.actions span')?.textContent.match(/of (\d+)/)[1]).then(Number)) {
    throw new Error('not every container is listed');
  }
  return took;
}

const figures = { big: [], small: [], inventoryBig: [], inventorySmall: [] };
await loaderPaint('bigMain', 10000);  // warm: the page's assets in the cache
for (let k = 0; k < runs; k++) {
  figures.big.push(await loaderPaint('bigMain', 10000));
  figures.small.push(await loaderPaint('smallMain', 10));
  figures.inventoryBig.push(await inventoryPaint('dcc/bench/1000', 1000));
  figures.inventorySmall.push(await inventoryPaint('dcc/bench/10', 10));
}
await browser.close();
for (const child of Object.values(dccs)) child.kill();
hub.close();
await qi.cleanup();

const m = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, median(v)]));
console.log(`the pipeline windows in Chromium, median of ${runs} runs`);
console.log(`  loader, a product of 10,000 versions     ${m.big.toFixed(1).padStart(8)} ms`);
console.log(`  loader, a product of 10 versions         ${m.small.toFixed(1).padStart(8)} ms`);
console.log(`  inventory, 1,000 containers              ${m.inventoryBig.toFixed(1).padStart(8)} ms`);
console.log(`  inventory, 10 containers                 ${m.inventorySmall.toFixed(1).padStart(8)} ms`);
console.log(`ratio loader 10,000 / 10 versions:         ${(m.big / m.small).toFixed(2)}`);
console.log(`ratio inventory 1,000 / 10 containers:     ${(m.inventoryBig / m.inventorySmall).toFixed(2)}`);
