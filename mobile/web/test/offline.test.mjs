// (d) After one visit the app starts and works with the network cut (service worker cache);
// (e) no request ever leaves 127.0.0.1 (every test checks its own page too).
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {OUT, WEB, open, putImage, references, setup, skipReason} from './helpers.mjs';

const skip = skipReason() || false;
const state = setup(async () => { references(); return open({path: 'index.html', serviceWorkers: 'allow'}); });
before(async () => { if (!skip) await state.run(); });
after(async () => { if (state.value) await state.value.close(); });

test('offline after the first visit: the app starts, stylizes and redirects gaze', {skip}, async () => {
  const app = state.get();
  const cached = await app.page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    const t0 = performance.now();
    while (!navigator.serviceWorker.controller && performance.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 100));
    const keys = await caches.keys();
    const cache = await caches.open(keys[0]);
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  assert.ok(cached.some((p) => p.endsWith('.wasm')), 'no wasm in the cache');
  assert.ok(cached.filter((p) => p.endsWith('.tflite')).length >= 6, 'models missing from the cache');
  const index = JSON.parse(readFileSync(join(WEB, 'models', 'index.json'), 'utf8'));
  const listed = index.models.flatMap((m) => [m.file, m.metadata].filter(Boolean));
  const missing = listed.filter((f) => !cached.some((p) => p.endsWith(`/models/${f}`)));
  assert.deepEqual(missing, [], 'files of models/index.json (AdaIN too, where listed) missing from the cache');
  await app.context.setOffline(true);
  // and the server itself stops: nothing can come from the network now
  app.server.closeAllConnections();
  await new Promise((r) => app.server.close(r));
  await app.page.reload();
  assert.equal(await app.page.evaluate(() => window.zooApp.ready), true,
               `offline start failed: ${await app.page.evaluate(() => window.zooApp.errors.join('; '))}`);
  const reachable = await app.page.evaluate(() => fetch('/no-such-file', {cache: 'no-store'}).then(() => true, () => false));
  assert.equal(reachable, false, 'the network is still reachable');
  const face = existsSync(join(OUT, 'gaze', 'face.png'));  // no face photo: stylize only
  if (face) await putImage(app.page, 'face', 'gaze', 'face.png');
  else await putImage(app.page, 'face', 'style', 'content.png');
  const r = await app.page.evaluate(async (face) => {
    const g = face ? await window.zooApp.gazeFrame(window.__images.face, 10) : {eyes: []};
    const s = await window.zooApp.stylize('johnson_shipwreck_256', window.__images.face);
    return {eyes: g.eyes.length, side: s.image.width, isolated: crossOriginIsolated};
  }, face);
  console.log(`offline: ${cached.length} files cached, ${face ? `gaze found ${r.eyes} eyes` : 'gaze not run (no face photo)'}, stylized ${r.side}x${r.side}, cross-origin isolated: ${r.isolated}`);
  if (face) assert.equal(r.eyes, 2);
  assert.equal(r.side, 256);
});

test('no request leaves 127.0.0.1', {skip}, async () => {
  const app = state.get();
  console.log(`requests outside 127.0.0.1: ${app.foreign.length ? app.foreign.join(', ') : 'none'}`);
  assert.deepEqual(app.foreign, []);
});
