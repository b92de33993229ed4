// SPDX-License-Identifier: LGPL-2.1-or-later
// The pipeline's windows in Debian's Chromium, bound to real Blenders in
// the background, launched by a real `qi --headless serve` on the demo
// tracker (launcher.launch): the publisher creates a model and publishes
// it; the loader of a layout session loads that version; a new version
// published meanwhile marks the container outdated in the inventory
// without a reload, and the inventory updates it; a render sent to the
// local farm shows its jobs in the publisher's report until its publish
// job has published it. Screenshots of each window, populated and empty,
// go to the artifacts folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { HubClient } from '../../ui-kit/src/hub-client.js';
import { ScratchQi, launchBrowser, ARTIFACTS } from './harness.mjs';

let qi, server, hub, browser;
const blenders = [];

async function until (what, check, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${last.message})` : ''}`);
}

/** Blender in the background on a task, as the launcher starts it; its session. */
async function launchBlender (context, task) {
  const launch = await hub.request('launcher.launch', {
    app: 'blender', project: 'demo', context, task, args: ['--background'],
  }, { timeoutMs: 120000 });
  blenders.push(launch.pid);
  const session = `dcc/blender/${launch.pid}`;
  const prefix = `dcc.blender.${launch.pid}.`;
  await until(`${session} answers`, () => hub.request(prefix + 'pipeline.creators', {}, { timeoutMs: 5000 }), 90000);
  return { session, prefix, pid: launch.pid, ask: (topic, payload = {}) => hub.request(prefix + topic, payload, { timeoutMs: 300000 }) };
}

function windowUrl (dcc, name) {
  return `${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}&dcc=${encodeURIComponent(dcc.session)}#/${name}`;
}

async function shot (page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `pipeline-${name}.png`) });
}

before(async () => {
  qi = new ScratchQi();
  qi.run(['db', 'seed-demo']);
  server = await qi.serve();
  hub = new HubClient({ url: server.url, token: server.token, name: 'test/pipeline-ui' });
  hub.connect();
  browser = await launchBrowser();
});

after(async () => {
  for (const pid of blenders) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
  }
  hub?.close();
  await browser?.close();
  await qi?.cleanup();
});

test('model to layout through the publisher, the loader and the inventory', async () => {
  const model = await launchBlender('/assets/prp_sword', 'model');
  const layout = await launchBlender('/sq010/sh010', 'layout');
  const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  page.on('pageerror', (e) => { throw e; });

  // the publisher of the model's Blender: create from the cube, publish
  await page.goto(windowUrl(model, 'publisher'));
  await page.getByTestId('dcc-label').waitFor();
  assert.match(await page.getByTestId('dcc-label').textContent(), /blender 3\.4.* demo \/assets\/prp_sword · model/);
  await page.getByTestId('create-variant').fill('Main');
  await page.getByTestId('create-members').fill('Cube');
  await page.getByTestId('create').click();
  await page.locator('[data-testid=instance][data-product=modelMain]').waitFor();
  // the thumbnail extractor's attributes, set from the form
  await page.locator('[data-testid=instance][data-product=modelMain] [data-testid=attr-ExtractThumbnail-size]').fill('64');
  await page.locator('[data-testid=instance][data-product=modelMain] [data-testid=attr-ExtractThumbnail-size]').dispatchEvent('change');
  await until('the size is saved', async () => {
    const { instances } = await model.ask('pipeline.instances');
    return instances.find((i) => i.product_name === 'modelMain')?.publish_attributes?.ExtractThumbnail?.size === 64;
  });
  await shot(page, 'publisher-instances');
  await model.ask('workfile.save');
  await page.getByTestId('publish-comment').fill('first sword');
  await page.getByTestId('publish').click();
  await page.locator('[data-testid=report][data-success=true]').waitFor({ timeout: 300000 });
  const products = await page.getByTestId('report-product').allTextContents();
  assert.ok(products.some((t) => t.startsWith('modelMain v001')), products.join(' | '));
  await shot(page, 'publisher-report');

  // the loader of the layout's Blender: /assets/prp_sword → modelMain → v001 → link the .blend
  await page.goto(windowUrl(layout, 'loader'));
  await page.getByTestId('contexts-filter').fill('prp_sword');
  await page.locator('[data-testid=context][data-path="/assets/prp_sword"]').click();
  await page.locator('[data-testid=product][data-name=modelMain]').click();
  await page.locator('[data-testid=version][data-number="1"]').waitFor();
  await page.getByTestId('load-blend-LinkBlend').waitFor();
  assert.equal(await page.getByTestId('load-gltf-ImportGLTF').count(), 1);
  // the thumbnail Blender rendered, from the publisher's route
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid=version-thumbnail]');
    return img && img.complete && img.naturalWidth > 0;
  });
  assert.equal(await page.getByTestId('version-thumbnail').evaluate((img) => img.naturalWidth), 64);
  await shot(page, 'loader');
  await page.getByTestId('load-blend-LinkBlend').click();
  await until('the container is in the scene', async () => (await layout.ask('inventory.list')).containers.length === 1);
  // actions on a representation: its path, and a delivered copy
  await page.locator('[data-testid=actions-blend] option[value=CopyRepresentationPath]').waitFor({ state: 'attached' });
  await page.getByTestId('actions-blend').selectOption('CopyRepresentationPath');
  await page.getByText(/\/publish\/model\/modelMain\/v001\/demo_prp_sword_modelMain_v001_blend\.blend$/).waitFor();
  await page.getByTestId('actions-gltf').selectOption('DeliverCopy');
  await page.getByText(/^delivered 1 file to .*modelMain_v001$/).waitFor();
  assert.ok(existsSync(join(qi.env.XDG_DATA_HOME, 'qi', 'deliveries', 'modelMain_v001', 'demo_prp_sword_modelMain_v001_gltf.glb')));
  await shot(page, 'loader-actions');

  // the inventory: latest, then outdated by a publish elsewhere, without a reload; then updated
  await page.goto(windowUrl(layout, 'inventory'));
  const row = page.getByTestId('container').first();
  await row.waitFor();
  assert.equal(await row.getAttribute('data-state'), 'latest');
  assert.equal(await row.getByTestId('container-version').textContent(), 'v001');
  await shot(page, 'inventory-latest');
  // the containers' actions: Qi's, and Blender's own, which runs in Blender; chosen by the keyboard
  await page.getByTestId('inventory-list').focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await row.getAttribute('aria-selected'), 'true');
  await page.locator('[data-testid=actions-containers] option[value=ReloadLibrary]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('[data-testid=actions-containers] option[value=OpenContainerFolder]').count(), 1);
  await page.getByTestId('actions-containers').selectOption('ReloadLibrary');
  await page.getByText(/^reloaded .*_v001_blend\.blend$/).waitFor();
  await row.click({ modifiers: ['Control'] });  // unselected again
  const second = await model.ask('pipeline.publish', { comment: 'sharper' });
  assert.ok(second.success, JSON.stringify(second.errors));
  await page.locator('[data-testid=container][data-state=outdated]').waitFor({ timeout: 30000 });
  await shot(page, 'inventory-outdated');
  await row.click();
  await page.getByTestId('update-latest').click();
  await page.locator('[data-testid=container][data-state=latest]').waitFor({ timeout: 120000 });
  assert.equal(await row.getByTestId('container-version').textContent(), 'v002');
  await shot(page, 'inventory-updated');

  // switched to another model of the asset
  const proxy = await model.ask('pipeline.create', { creator: 'blender.model', variant: 'Proxy', members: ['Cube'] });
  const proxied = await model.ask('pipeline.publish', { instances: [proxy.id] });
  assert.ok(proxied.success, JSON.stringify(proxied.errors));
  await page.reload();
  await row.click();
  await page.locator('[data-testid=switch-product] option', { hasText: 'modelProxy' }).waitFor({ state: 'attached' });
  await page.getByTestId('switch-product').selectOption({ label: 'modelProxy' });
  await page.locator('[data-testid=container]', { hasText: 'modelProxy' }).waitFor({ timeout: 120000 });
  await shot(page, 'inventory-switched-product');

  // the empty states
  await page.goto(windowUrl(model, 'inventory'));
  await page.getByTestId('inventory-empty').waitFor();
  await shot(page, 'inventory-empty');
  await page.goto(windowUrl(layout, 'loader'));
  await page.locator('[data-testid=context][data-path="/sq010/sh030"]').click();
  await page.getByTestId('products-empty').waitFor();
  await shot(page, 'loader-empty');
  await page.close();
});

test('a window without its DCC says what to do', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}#/inventory`);
  await page.getByTestId('no-dcc').waitFor();
  await page.goto(`${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}&dcc=dcc/blender/1#/inventory`);
  const error = await page.getByTestId('dcc-error').textContent({ timeout: 30000 });
  assert.match(error, /The DCC dcc\/blender\/1 does not answer/);
  await shot(page, 'no-dcc');
  await page.close();
});

test('the standalone publisher refuses a sequence with a gap, then publishes it whole', async () => {
  const frames = join(qi.root, 'renders');
  mkdirSync(frames, { recursive: true });
  for (let f = 1001; f <= 1100; f++) {
    if (f !== 1050) writeFileSync(join(frames, `sh010.${f}.exr`), randomBytes(2048));
  }
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}&project=demo#/standalone`);
  await page.getByTestId('sa-contexts-filter').fill('sh010');
  await page.locator('[data-testid=sa-context][data-path="/sq010/sh010"]').click();
  await page.locator('[data-testid=sa-task] option[value=comp]').waitFor({ state: 'attached' });
  await page.getByTestId('sa-task').selectOption('comp');
  await page.locator('[data-testid=sa-product-type] option[value=render]').waitFor({ state: 'attached' });
  await page.getByTestId('sa-product-type').selectOption('render');
  await page.getByTestId('sa-comment').fill('from the window');
  await page.getByTestId('sa-paths').fill(join(frames, 'sh010.1001-1100#.exr'));
  await page.getByTestId('sa-inspect').click();
  // one row for the sequence, its gap flagged
  const item = page.locator('[data-testid=sa-item][data-kind=sequence]');
  await item.waitFor();
  assert.equal(await page.getByTestId('sa-item').count(), 1);
  assert.match(await item.textContent(), /1001-1100 · 99 frames/);
  assert.equal(await page.getByTestId('sa-missing').textContent(), 'missing 1050');
  await shot(page, 'standalone-gap');
  await page.getByTestId('sa-publish').click();
  await page.locator('[data-testid=sa-report][data-success=false]').waitFor({ timeout: 120000 });
  assert.match(await page.getByTestId('sa-report-error').first().textContent(), /misses frame 1050 of 1001-1100/);
  assert.ok(!existsSync(join(qi.env.XDG_DATA_HOME, 'qi', 'projects', 'demo', 'sq010', 'sh010', 'publish', 'render', 'renderMain', 'v002')));
  await shot(page, 'standalone-refused');

  writeFileSync(join(frames, 'sh010.1050.exr'), randomBytes(2048));
  await page.getByTestId('sa-inspect').click();
  await page.locator('[data-testid=sa-missing]').waitFor({ state: 'detached' });
  await page.getByTestId('sa-publish').click();
  await page.locator('[data-testid=sa-report][data-success=true]').waitFor({ timeout: 120000 });
  // the demo has renderMain v001: this is v002, its 100 frames
  assert.equal(await page.getByTestId('sa-report-product').textContent(), 'renderMain v002 — 100 files');
  const version = (await hub.request('db_service.version.list', { product: (await hub.request('db_service.product.list',
    { project: 'demo', context: '/sq010/sh010' })).products.find((p) => p.name === 'renderMain').id, limit: 1 })).versions[0];
  assert.equal(version.number, 2);
  assert.equal(version.comment, 'from the window');
  await shot(page, 'standalone-published');

  // files dropped from a file manager arrive as file:// URIs: the folder becomes its sequence
  const dropPage = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await dropPage.goto(`${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}&project=demo#/standalone`);
  await dropPage.getByTestId('sa-paths').waitFor();
  await dropPage.evaluate((uri) => {
    const data = new DataTransfer();
    data.setData('text/uri-list', `# dropped\r\n${uri}\r\n`);
    document.querySelector('[data-testid=sa-paths]').dispatchEvent(
      new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, `file://${frames.split('/').map(encodeURIComponent).join('/')}`);
  await dropPage.locator('[data-testid=sa-item][data-kind=sequence]').waitFor();
  assert.equal(await dropPage.getByTestId('sa-paths').inputValue(), frames);
  assert.match(await dropPage.locator('[data-testid=sa-item][data-kind=sequence]').textContent(), /1001-1100 · 100 frames/);
  await dropPage.close();

  // the loader without a DCC (host standalone): what is published, its files and actions
  await page.goto(`${server.http}/ui/pipeline-ui/?token=${encodeURIComponent(server.token)}&project=demo#/loader`);
  await page.getByTestId('contexts-filter').fill('sq010/sh010');
  await page.locator('[data-testid=context][data-path="/sq010/sh010"]').click();
  await page.locator('[data-testid=product][data-name=renderMain]').click();
  await page.locator('[data-testid=version][data-number="2"]').click();
  await page.getByTestId('version-files').waitFor();
  // ↓ is the next version down the list, as a click would choose it
  await page.getByTestId('versions').focus();
  await page.keyboard.press('ArrowDown');
  await page.locator('[data-testid=version][data-number="1"][aria-selected=true]').waitFor();
  await page.keyboard.press('ArrowUp');
  await page.locator('[data-testid=version][data-number="2"][aria-selected=true]').waitFor();
  await page.getByTestId('version-files').waitFor();
  assert.match(await page.getByTestId('version-files').textContent(), /demo_sh010_renderMain_v002_exr\.1001\.exr/);
  assert.match(await page.locator('[data-testid=representation][data-name=exr]').textContent(), /open the loader from a DCC to load it/);
  await page.locator('[data-testid=actions-exr] option[value=CopyRepresentationPath]').waitFor({ state: 'attached' });
  await shot(page, 'loader-standalone');
  await page.close();
});

// A lighting scene Cycles renders in a moment: 8 frames of 48 × 27.
const LIGHTING_SCENE = (path) => `
import bpy
scene = bpy.context.scene
scene.render.engine = 'CYCLES'
scene.cycles.device = 'CPU'
scene.cycles.samples = 2
scene.cycles.use_denoising = False
scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 48, 27, 100
scene.frame_start, scene.frame_end = 1, 8
bpy.ops.wm.save_as_mainfile(filepath=${JSON.stringify(path)})
`;

test('a render sent to the farm shows its jobs in the publisher until it is published', async () => {
  const { launch: plan } = await hub.request('launcher.explain', { app: 'blender', project: 'demo', context: '/sq010/sh020', task: 'lighting' });
  mkdirSync(plan.workdir, { recursive: true });
  const made = spawnSync('blender', ['--background', '--factory-startup', '--python-exit-code', '1', '--python-expr',
    LIGHTING_SCENE(plan.workfile)], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stdout + made.stderr);
  const lighting = await launchBlender('/sq010/sh020', 'lighting');
  const page = await browser.newPage({ viewport: { width: 1100, height: 640 } });
  page.on('pageerror', (e) => { throw e; });
  try {
    await page.goto(windowUrl(lighting, 'publisher'));
    await page.locator('[data-testid=create-creator] option[value="blender.render"]').waitFor({ state: 'attached' });
    await page.getByTestId('create-creator').selectOption('blender.render');
    await page.getByTestId('create-variant').fill('Main');
    await page.getByTestId('create').click();
    await page.locator('[data-testid=instance][data-product=renderMain]').waitFor();
    await lighting.ask('workfile.save');
    await page.getByTestId('publish-comment').fill('first light');
    await page.getByTestId('publish').click();
    await page.locator('[data-testid=report][data-success=true]').waitFor({ timeout: 300000 });
    const farm = page.getByTestId('report-farm');
    await farm.waitFor();
    assert.match(await farm.textContent(), /renderMain on the farm \(local\)/);
    await shot(page, 'publisher-farm-sent');
    // farm.job.changed events move the states without a reload
    await page.locator('[data-testid=report-farm][data-render=done][data-publish=done]').waitFor({ timeout: 300000 });
    assert.match(await farm.textContent(), /2\/2 tasks/);
    await shot(page, 'publisher-farm-published');
    const product = (await hub.request('db_service.product.list', { project: 'demo', context: '/sq010/sh020' }))
      .products.find((p) => p.name === 'renderMain');
    const [version] = (await hub.request('db_service.version.list', { product: product.id, limit: 1 })).versions;
    assert.equal(version.comment, 'first light');
    const full = await hub.request('db_service.version.get', { id: version.id });
    assert.equal(full.components.find((c) => c.name === 'png').files.length, 8);
  } finally {
    await page.close();
    spawnSync('pkill', ['-f', `farm worker --queue ${join(qi.env.XDG_DATA_HOME, 'qi', 'farm')}`]);
  }
});
