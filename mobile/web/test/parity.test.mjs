// (a) Every model the app uses gives the browser the numbers ai_edge_litert gives Python on
// the same inputs: int8 outputs within one quantization step, float ones within 1e-3.
import assert from 'node:assert/strict';
import {readdirSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {OUT, b64, f32, maxAbs, open, readF32, readJson, references, setup, skipReason} from './helpers.mjs';

const skip = skipReason() || false;
const state = setup(async () => { references(); return open(); });
before(async () => { if (!skip) await state.run(); });
after(async () => { if (state.value) await state.value.close(); });

test('each model: browser outputs equal Python ai_edge_litert outputs', {skip}, async () => {
  const app = state.get();
  const cases = readdirSync(join(OUT, 'parity'));
  assert.ok(cases.length >= 6, `only ${cases.length} models`);
  for (const id of cases) {
    const c = readJson('parity', id, 'case.json');
    const inputs = c.inputs.map((_, k) => b64(readF32('parity', id, `input_${k}.bin`)));
    const outs = await app.page.evaluate(async ([c, inputs]) => {
      const {Model} = await import('./lib/runtime.js');
      const m = await Model.load(`models/${c.file}`, c.metadata ? `models/${c.metadata}` : null);
      const arrays = inputs.map((t) => { const b = Uint8Array.from(atob(t), (x) => x.charCodeAt(0)); return new Float32Array(b.buffer); });
      const t0 = performance.now();
      const out = await m.run(arrays);
      const ms = performance.now() - t0;
      const enc = (a) => { let s = ''; const u = new Uint8Array(a.buffer); for (let i = 0; i < u.length; i += 8192) s += String.fromCharCode(...u.subarray(i, i + 8192)); return btoa(s); };
      return {out: out.map(enc), ms};
    }, [c, inputs]);
    assert.equal(outs.out.length, c.outputs.length, `${id}: number of outputs`);
    outs.out.forEach((text, k) => {
      const got = f32(text), want = readF32('parity', id, `output_${k}.bin`);
      assert.equal(got.length, want.length, `${id} output ${k}: size`);
      const d = maxAbs(got, want);
      const step = c.int8 && c.steps[k] > 0 ? c.steps[k] : 0;
      const limit = step ? step * 1.0001 : 1e-3;
      console.log(`parity ${id} output ${k}: max |browser - python| = ${d.toExponential(3)}` +
                  ` (limit ${limit.toExponential(2)}${step ? ', one int8 step' : ''}; ${outs.ms.toFixed(1)} ms)`);
      assert.ok(d <= limit, `${id} output ${k}: max abs difference ${d} > ${limit}`);
    });
  }
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});
