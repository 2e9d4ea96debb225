// AdaIN, arbitrary style (where models/index.json lists its pair: `npm run models --
// --adain-weights F`; tests/test_web.py exports a random-weight net for these tests only):
// (a) the style encoder and the stylizer each give the browser the numbers ai_edge_litert
// gives Python on the same inputs; (b) the app's whole pipeline, driven through its controls
// (style photo, alpha slider, content photo), gives Python's stylization of the same two
// photos; (c) the AdaIN option is enabled only when both files of the pair are listed.
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {OUT, WEB, b64, f32, maxAbs, open, psnr, readF32, readJson, references, setup, skipReason} from './helpers.mjs';

const base = skipReason() || false;
const adainSkip = () => existsSync(join(OUT, 'adain', 'skip.json')) ? readJson('adain', 'skip.json').reason : false;
const state = setup(async () => { references(); return open({path: 'index.html?sw=0&tab=style'}); });
before(async () => { if (!base) await state.run(); });
after(async () => { if (state.value) await state.value.close(); });

/** Runs models/`file` in the page on the given float32 inputs; its outputs as base64. */
async function runInPage(page, file, metadata, inputs) {
  return page.evaluate(async ([file, metadata, inputs]) => {
    const {Model} = await import('./lib/runtime.js');
    const m = await Model.load(`models/${file}`, `models/${metadata}`);
    const arrays = inputs.map((t) => { const b = Uint8Array.from(atob(t), (x) => x.charCodeAt(0)); return new Float32Array(b.buffer); });
    const t0 = performance.now();
    const out = await m.run(arrays);
    const ms = performance.now() - t0;
    const enc = (a) => { let s = ''; const u = new Uint8Array(a.buffer); for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode(...u.subarray(i, i + 8192)); return btoa(s); };
    return {out: out.map(enc), ms};
  }, [file, metadata, inputs.map(b64)]);
}

test('AdaIN style encoder and stylizer: browser outputs equal Python ai_edge_litert outputs', {skip: base}, async (t) => {
  const app = state.get();
  if (adainSkip()) { t.skip(adainSkip()); return; }
  const c = readJson('adain', 'adain.json');
  const cases = [['style encoder', c.encoder_file, c.encoder_metadata, 'encoder', 1],
                 ['stylizer', c.stylizer_file, c.stylizer_metadata, 'stylizer', c.stylizer_inputs.length]];
  for (const [name, file, metadata, prefix, n] of cases) {
    const inputs = Array.from({length: n}, (_, k) => readF32('adain', `${prefix}_input_${k}.bin`));
    const r = await runInPage(app.page, file, metadata, inputs);
    const got = f32(r.out[0]), want = readF32('adain', `${prefix}_output_0.bin`);
    assert.equal(got.length, want.length, `${name}: output size`);
    // the statistics scale with the encoder's features (hundreds for a random VGG): 1e-6 of the
    // largest; the image is in [0, 1]: 1e-3, as the other float models (parity.test.mjs)
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const d = maxAbs(got, want), limit = prefix === 'encoder' ? 1e-6 * scale : 1e-3;
    console.log(`adain parity ${name} (${file}): max |browser - python| = ${d.toExponential(3)} ` +
                `(limit ${limit.toExponential(2)}, largest |value| ${scale.toFixed(2)}; ${r.ms.toFixed(0)} ms)`);
    assert.ok(d <= limit, `${name}: max abs difference ${d} > ${limit}`);
  }
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});

test('AdaIN in the app (style photo, alpha slider, content photo) matches the Python pipeline', {skip: base}, async (t) => {
  const app = state.get();
  if (adainSkip()) { t.skip(adainSkip()); return; }
  const c = readJson('adain', 'adain.json');
  const {page} = app;
  await page.selectOption('#style-model', c.stylizer);
  await page.waitForFunction(() => !document.getElementById('adain-controls').hidden);
  await page.evaluate((a) => { const s = document.getElementById('adain-alpha'); s.value = a; s.oninput(); }, c.alpha);
  const t0 = Date.now();
  await page.setInputFiles('#adain-style', join(OUT, 'adain', 'style.png'));
  await page.waitForFunction(() => window.zooApp.adain.statistics || window.zooApp.errors.length, null, {timeout: 60000});
  const styleMs = Date.now() - t0;
  await page.setInputFiles('#style-photo', join(OUT, 'adain', 'content.png'));
  await page.waitForFunction((id) => (window.zooApp.style.last && window.zooApp.style.last.id === id) || window.zooApp.errors.length,
                             c.stylizer, {timeout: 60000});
  const r = await page.evaluate(() => {
    const {errors, adain, style} = window.zooApp;
    if (errors.length) throw new Error(errors.join('; '));
    const enc = (a) => { let s = ''; const u = new Uint8Array(a.buffer); for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode(...u.subarray(i, i + 8192)); return btoa(s); };
    return {raw: enc(style.last.raw), stats: enc(adain.statistics), width: style.last.image.width,
            ms: style.last.ms, alpha: Number(document.getElementById('adain-alpha').value)};
  });
  const got = f32(r.raw), want = readF32('adain', 'output.bin');
  const statsDiff = maxAbs(f32(r.stats), readF32('adain', 'statistics.bin'));
  assert.equal(got.length, want.length, 'output size');
  const p = psnr(got, want);
  console.log(`adain pipeline ${c.stylizer} (${c.content} + style ${c.style}, alpha ${r.alpha}): PSNR browser vs Python ` +
              `${p.toFixed(1)} dB, style statistics max |browser - python| ${statsDiff.toExponential(2)} ` +
              `(${r.width}x${r.width}; style photo ${styleMs} ms, stylizer ${r.ms.toFixed(0)} ms)`);
  assert.equal(r.alpha, c.alpha, 'the alpha slider did not take the value');
  assert.equal(r.width, c.side);
  assert.ok(p > 60, `AdaIN pipeline: PSNR ${p} dB`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#style-download')]);
  assert.match(download.suggestedFilename(), /^adain.*\.png$/);
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});

/** The style-model options of the app started on `index` (models/index.json replaced). */
async function optionsWith(app, index) {
  const page = await app.context.newPage();
  try {
    await page.route('**/models/index.json', (route) => route.fulfill({json: index}));
    await page.goto(app.base + 'index.html?sw=0&tab=style');
    assert.equal(await page.evaluate(() => window.zooApp.ready), true);
    return await page.evaluate(() => ({
      options: [...document.getElementById('style-model').options].map((o) => ({id: o.value, disabled: o.disabled, text: o.text})),
      note: document.getElementById('style-note').textContent}));
  } finally {
    await page.close();
  }
}

test('the AdaIN option is enabled only when models/index.json lists both files of the pair', {skip: base}, async () => {
  const app = state.get();
  const index = JSON.parse(readFileSync(join(WEB, 'models', 'index.json'), 'utf8'));
  const adain = (o) => /adain/i.test(o.id);
  const listed = index.models.some((m) => m.use === 'adain');
  const without = {...index, models: index.models.filter((m) => m.family !== 'adain'),
                   skipped: {adain: 'AdaIN skipped: test note'}};
  const noEncoder = {...index, models: index.models.filter((m) => m.use !== 'adain_style_encoder'),
                     skipped: {}};
  const cases = [['as exported', null], ['no AdaIN', without]];
  if (listed) cases.push(['stylizer without its style encoder', noEncoder]);
  for (const [name, replaced] of cases) {
    const r = replaced ? await optionsWith(app, replaced) : await app.page.evaluate(() => ({
      options: [...document.getElementById('style-model').options].map((o) => ({id: o.value, disabled: o.disabled, text: o.text})),
      note: document.getElementById('style-note').textContent}));
    const options = r.options.filter(adain);
    const pair = name === 'as exported' && listed;
    console.log(`adain option, ${name}: ${options.map((o) => `${o.text}${o.disabled ? ' (disabled)' : ''}`).join(', ')}`);
    assert.ok(options.length >= 1, `${name}: no AdaIN option`);
    if (pair) {
      assert.ok(options.every((o) => !o.disabled && o.id.endsWith('_stylizer')), `${name}: the AdaIN pair is listed but not enabled`);
    } else {
      assert.deepEqual(options.map((o) => o.disabled), [true], `${name}: AdaIN enabled without its pair`);
      assert.match(r.note, /AdaIN/, `${name}: no note says why`);
    }
    if (name === 'no AdaIN') assert.equal(r.note, 'AdaIN skipped: test note');
  }
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});
