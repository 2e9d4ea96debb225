// (b) Gaze correction: the JS face pipeline finds the landmarks Python's facemesh.py finds on
// the same photo and redirects the eyes as gaze.py's blend does with the same .tflite; then
// end to end through getUserMedia with the photo as Chromium's fake camera: the pupils move
// the way the angle asks, and no pixel outside the two eye boxes changes.
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {OUT, open, putImage, readJson, references, setup, skipReason} from './helpers.mjs';

const base = skipReason();
const faceSkip = () => existsSync(join(OUT, 'gaze', 'skip.json')) ? readJson('gaze', 'skip.json').reason : false;
const state = setup(async () => { references(); return faceSkip() ? null : open(); });
before(async () => { if (!base) await state.run(); });
after(async () => { if (state.value) await state.value.close(); });

/** Darkness-weighted mean row (255 - grey - 80, squared) in a disc around each pupil landmark,
 * 0.3 x the corner distance wide: where the iris and pupil are. */
function pupilRows(img, marks) {
  return marks.map((m) => {
    const [px, py] = m[6], r = 0.3 * Math.hypot(m[3][0] - m[0][0], m[3][1] - m[0][1]);
    let sw = 0, sy = 0;
    for (let y = Math.floor(py - r); y <= Math.ceil(py + r); y++) {
      for (let x = Math.floor(px - r); x <= Math.ceil(px + r); x++) {
        if ((x - px) ** 2 + (y - py) ** 2 > r * r) continue;
        const o = (y * img.width + x) * 4;
        const dark = Math.max(0, 255 - (img.data[o] + img.data[o + 1] + img.data[o + 2]) / 3 - 80) ** 2;
        sw += dark; sy += dark * y;
      }
    }
    return sy / sw;
  });
}

function changedOutside(a, b, boxes) {
  let n = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const inside = boxes.some(([x0, y0, x1, y1]) => x >= Math.floor(x0) && x < Math.ceil(x1) && y >= Math.floor(y0) && y < Math.ceil(y1));
      if (inside) continue;
      const o = (y * a.width + x) * 4;
      if (a.data[o] !== b.data[o] || a.data[o + 1] !== b.data[o + 1] || a.data[o + 2] !== b.data[o + 2]) n++;
    }
  }
  return n;
}

test('photo: landmarks and redirected pixels equal the Python pipeline', {skip: base || false}, async (t) => {
  const app = state.get();
  if (!app) { t.skip(faceSkip()); return; }
  const ref = readJson('gaze', 'gaze.json');
  await putImage(app.page, 'face', 'gaze', 'face.png');
  await putImage(app.page, 'up', 'gaze', 'up.png');
  const r = await app.page.evaluate(async (angle) => {
    const img = window.__images.face;
    const t0 = performance.now();
    const res = await window.zooApp.gazeFrame(img, angle);
    const ms = performance.now() - t0;
    const want = window.__images.up.data;
    let maxDiff = 0, differing = 0;
    for (let i = 0; i < want.length; i += 4) {
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(res.image.data[i + c] - want[i + c]);
        maxDiff = Math.max(maxDiff, d);
        if (d) differing++;
      }
    }
    return {marks: res.marks, boxes: res.eyes.map((e) => e.box), maxDiff, differing, ms};
  }, ref.angles.up);
  let markDiff = 0;
  ref.marks.forEach((m, e) => m.forEach((p, k) => p.forEach((v, c) => { markDiff = Math.max(markDiff, Math.abs(v - r.marks[e][k][c])); })));
  console.log(`gaze photo: landmarks max |js - python| = ${markDiff.toExponential(2)} px; ` +
              `redirected photo: max |js - python| = ${r.maxDiff} grey levels, ${r.differing} channel values differ; ${r.ms.toFixed(0)} ms`);
  assert.ok(markDiff < 1e-3, `landmarks differ by ${markDiff} px`);
  assert.ok(r.maxDiff <= 1, `redirected pixels differ by ${r.maxDiff} grey levels`);
  assert.deepEqual(app.foreign, [], 'requests left 127.0.0.1');
});

test('fake camera: pupils move up at +15, down at -15, nothing changes outside the eyes', {skip: base || false}, async (t) => {
  if (!state.get()) { t.skip(faceSkip()); return; }
  const y4m = join(OUT, 'gaze', 'face.y4m');
  const cam = await open({path: 'index.html?sw=0&camera=gaze&angle=15',
    args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`]});
  try {
    const frame = async (angle) => {
      await cam.page.evaluate((a) => { const s = document.getElementById('gaze-angle'); s.value = a; s.oninput(); window.zooApp.gaze.frames = 0; }, angle);
      await cam.page.waitForFunction(() => window.zooApp.gaze.frames >= 2 || window.zooApp.errors.length, null, {timeout: 60000});
      return cam.page.evaluate(() => {
        const l = window.zooApp.gaze.last;
        if (!l) throw new Error(window.zooApp.errors.join('; '));
        const plain = (r) => ({width: r.width, height: r.height, data: Array.from(r.data)});
        return {input: plain(l.input), image: plain(l.image), boxes: l.eyes.map((e) => e.box), marks: l.marks,
                fps: window.zooApp.gaze.fps, ms: l.ms};
      });
    };
    for (const [angle, sign] of [[15, -1], [-15, 1]]) {
      const f = await frame(angle);
      assert.ok(f.marks, 'no face found in the fake camera frame');
      const before = pupilRows(f.input, f.marks), afterRows = pupilRows(f.image, f.marks);
      const moved = afterRows.map((v, i) => v - before[i]);
      const outside = changedOutside(f.input, f.image, f.boxes);
      console.log(`fake camera, angle ${angle}: pupil rows moved ${moved.map((v) => v.toFixed(2)).join(', ')} px ` +
                  `(expected sign ${sign > 0 ? '+' : '-'}), ${outside} pixels changed outside the eye boxes, ` +
                  `${f.ms.toFixed(0)} ms a frame`);
      for (const m of moved) assert.ok(Math.sign(m) === sign && Math.abs(m) > 0.1, `pupil moved ${m} px at angle ${angle}`);
      assert.equal(outside, 0, 'pixels outside the eye boxes changed');
    }
    assert.deepEqual(cam.foreign, [], 'requests left 127.0.0.1');
  } finally {
    await cam.close();
  }
});
