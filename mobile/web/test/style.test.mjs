// (c) Stylization: the app's pipeline (centred square sampled as facemesh.sample_region, the
// .tflite, [0, 1] out) on a photo gives Python's output for the same photo (PSNR printed);
// the texture generator and the download button work (AdaIN: adain.test.mjs).
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import {f32, open, psnr, putImage, readF32, readJson, references, setup, skipReason} from './helpers.mjs';

const skip = skipReason() || false;
const state = setup(async () => { references(); return open({path: 'index.html?sw=0&tab=style'}); });
before(async () => { if (!skip) await state.run(); });
after(async () => { if (state.value) await state.value.close(); });

test('each stylizer matches the Python pipeline on the same photo', {skip}, async () => {
  const app = state.get();
  const {cases} = readJson('style', 'style.json');
  assert.ok(cases.length >= 2, 'fewer than two stylizers');
  await putImage(app.page, 'content', 'style', 'content.png');
  for (const c of cases) {
    const r = await app.page.evaluate(async (id) => {
      const res = await window.zooApp.stylize(id, window.__images.content);
      const u = new Uint8Array(res.raw.buffer);
      let s = '';
      for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode(...u.subarray(i, i + 8192));
      return {raw: btoa(s), width: res.image.width, height: res.image.height, ms: res.ms};
    }, c.id);
    const got = f32(r.raw), want = readF32('style', `${c.id}.bin`);
    assert.equal(got.length, want.length);
    const p = psnr(got, want);
    console.log(`style ${c.id}: PSNR browser vs Python ${p.toFixed(1)} dB (${r.width}x${r.height}, ${r.ms.toFixed(0)} ms)`);
    assert.equal(r.width, c.side);
    assert.ok(p > 60, `${c.id}: PSNR ${p} dB`);
  }
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});

test('texture generator draws an image; the download button saves a PNG', {skip}, async () => {
  const app = state.get();
  const ids = await app.page.evaluate(() => [...document.getElementById('style-model').options].map((o) => [o.value, o.disabled]));
  const texture = ids.find(([id]) => id.startsWith('texture'));
  assert.ok(texture, 'no texture generator in the model list');
  await app.page.selectOption('#style-model', texture[0]);
  await putImage(app.page, 'content', 'style', 'content.png');
  const [download] = await Promise.all([
    app.page.waitForEvent('download'),
    app.page.evaluate(async () => {
      const input = document.getElementById('style-photo');
      const canvas = new OffscreenCanvas(window.__images.content.width, window.__images.content.height);
      canvas.getContext('2d').putImageData(window.__images.content, 0, 0);
      const dt = new DataTransfer();
      dt.items.add(new File([await canvas.convertToBlob()], 'content.png', {type: 'image/png'}));
      input.files = dt.files;
      input.dispatchEvent(new Event('change'));
      const t0 = performance.now();
      while (!window.zooApp.style.last && performance.now() - t0 < 60000) await new Promise((r) => setTimeout(r, 50));
      const raw = window.zooApp.style.last.raw;
      const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
      if (!(mean > 0.05 && mean < 0.95)) throw new Error(`texture mean ${mean}`);
      document.getElementById('style-download').click();
    }),
  ]);
  assert.match(download.suggestedFilename(), /^texture.*\.png$/);
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});
