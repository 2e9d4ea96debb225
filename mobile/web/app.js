// The phone app: gaze correction (MediaPipe face models + DeepWarp) and stylization (Johnson,
// Texture Networks), all with LiteRT.js on this device. Model sizes, ranges and output roles
// come from the metadata JSON beside each .tflite (models/index.json lists them).
import {loadById, loadRuntime, modelIndex} from './lib/runtime.js';
import {eyeLandmarks, faceMesh, loadFaceModels} from './lib/face.js';
import {OneEuro, redirectGaze} from './lib/gaze.js';
import {fromFloatRGB, squareTensor} from './lib/image.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = (text) => { $('status').textContent = text; };

const app = {ready: null, index: null, models: {}, gaze: {last: null, frames: 0, fps: 0},
             style: {last: null}, errors: []};
window.zooApp = app;

if ('serviceWorker' in navigator && params.get('sw') !== '0') {
  navigator.serviceWorker.register('./sw.js').catch((e) => app.errors.push(String(e)));
}

async function model(id) {
  if (!app.models[id]) app.models[id] = loadById(app.index, id);
  return app.models[id];
}

async function faceModels() {
  if (!app.models.face) app.models.face = loadFaceModels(app.index, loadById);
  return app.models.face;
}

// -- gaze ---------------------------------------------------------------------------------

const smoother = new OneEuro({minCutoff: 1.5, beta: 0.02});

/** One frame (ImageData-like): eyes found, smoothed (video), both redirected. */
app.gazeFrame = async function gazeFrame(img, angle, {smooth = false, t = 0} = {}) {
  const [deepwarp, face] = await Promise.all([model('deepwarp'), faceModels()]);
  const mesh = await faceMesh(img, face);
  if (!mesh) return {image: img, marks: null, eyes: []};
  let marks = eyeLandmarks(mesh);
  if (smooth) {
    const flat = smoother.filter(marks.flat(2), t);
    marks = marks.map((m, e) => m.map((_, k) => [flat[e * 14 + 2 * k], flat[e * 14 + 2 * k + 1]]));
  }
  const result = await redirectGaze(deepwarp, img, marks, angle);
  return {...result, marks};
};

function angle() { return Number($('gaze-angle').value); }

function draw(canvas, img) {
  canvas.width = img.width; canvas.height = img.height;
  canvas.getContext('2d').putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
}

function grab(source, width, height) {
  const c = new OffscreenCanvas(width, height);
  const ctx = c.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(source, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

async function photoFile(file, maxSide) {
  const bitmap = await createImageBitmap(file);
  const s = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  return grab(bitmap, Math.round(bitmap.width * s), Math.round(bitmap.height * s));
}

let camera = null;
async function startCamera() {
  if (camera) return camera;
  const stream = await navigator.mediaDevices.getUserMedia(
    {video: {width: {ideal: 640}, height: {ideal: 480}, facingMode: 'user'}, audio: false});
  const video = $('video');
  video.srcObject = stream;
  await video.play();
  camera = video;
  return video;
}

let loop = null;
async function gazeCamera() {
  const video = await startCamera();
  stopLoops();
  const run = {stop: false};
  loop = run;
  let last = performance.now();
  while (!run.stop) {
    const frame = grab(video, 640, 480);
    const t = performance.now();
    const result = await app.gazeFrame(frame, angle(), {smooth: true, t: t / 1000});
    if (run.stop) break;
    draw($('gaze-canvas'), $('gaze-before').checked ? frame : result.image);
    const now = performance.now();
    app.gaze.fps = 0.8 * app.gaze.fps + 0.2 * (1000 / (now - last));
    last = now;
    app.gaze.frames++;
    app.gaze.last = {input: frame, ...result, ms: now - t};
    status(`gaze: ${app.gaze.fps.toFixed(1)} FPS, ${result.marks ? 'face found' : 'no face'}`);
    await new Promise((r) => requestAnimationFrame(r));
  }
}

async function gazePhoto(file) {
  stopLoops();
  const img = await photoFile(file, 1280);
  const result = await app.gazeFrame(img, angle());
  app.gaze.last = {input: img, ...result};
  showGazePhoto();
  status(result.marks ? 'gaze: done' : 'gaze: no face found');
}

function showGazePhoto() {
  const last = app.gaze.last;
  if (last && !loop) draw($('gaze-canvas'), $('gaze-before').checked ? last.input : last.image);
}

// -- stylization --------------------------------------------------------------------------

function mulberry32(seed) {  // tiny seeded PRNG for the texture noise
  return () => {
    seed |= 0; seed = seed + 0x6D2B79F5 | 0;
    let t = Math.imul(seed ^ seed >>> 15, 1 | seed);
    t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t;
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  };
}

/** Runs stylizer `id` on `img` (a texture generator ignores it and draws noise). */
app.stylize = async function stylize(id, img, seed = 1) {
  const m = await model(id);
  const [, h, w] = m.inputs[0].shape;
  let inputs;
  if (m.meta.family === 'texture_nets') {
    const rand = mulberry32(seed);
    inputs = m.inputs.map((t) => Float32Array.from({length: t.shape.reduce((a, b) => a * b)}, rand));
  } else {
    const [lo, hi] = m.inputs[0].value_range || [0, 1];
    inputs = [squareTensor(img, h).map((v) => lo + v * (hi - lo))];
  }
  const t = performance.now();
  const [out] = await m.run(inputs);
  const ms = performance.now() - t;
  const [lo, hi] = m.outputs[0].value_range || [0, 1];
  const unit = out.map((v) => Math.min(Math.max((v - lo) / (hi - lo), 0), 1));
  return {image: fromFloatRGB(unit, w, h), raw: out, ms};
};

async function styleOnce(img) {
  const id = $('style-model').value;
  const result = await app.stylize(id, img);
  draw($('style-canvas'), result.image);
  app.style.last = {id, ...result};
  $('style-download').disabled = false;
  status(`${id}: ${result.ms.toFixed(0)} ms`);
}

async function styleCamera() {
  const video = await startCamera();
  stopLoops();
  const run = {stop: false};
  loop = run;
  while (!run.stop) {
    await styleOnce(grab(video, 640, 480));
    await new Promise((r) => requestAnimationFrame(r));
  }
}

function download() {
  $('style-canvas').toBlob((blob) => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${app.style.last ? app.style.last.id : 'stylized'}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, 'image/png');
}

function stopLoops() { if (loop) loop.stop = true; loop = null; }

function showTab(name) {
  stopLoops();
  for (const t of ['gaze', 'style']) {
    $(t).hidden = t !== name;
    $(`tab-${t}`).setAttribute('aria-pressed', String(t === name));
  }
}

async function main() {
  const [index, runtime] = await Promise.all([modelIndex(), loadRuntime()]);
  app.index = index;
  const select = $('style-model');
  for (const m of index.models.filter((m) => m.use === 'style' || m.use === 'texture')) {
    const option = new Option(`${m.weights} ${m.fixed_shape.join('x')} ${m.quantization}`, m.id);
    select.add(option);
  }
  const adain = new Option('AdaIN (any style photo): no trained decoder yet', 'adain');
  adain.disabled = true;
  select.add(adain);
  $('style-note').textContent = index.skipped && index.skipped.adain ? index.skipped.adain : '';
  $('tab-gaze').onclick = () => showTab('gaze');
  $('tab-style').onclick = () => showTab('style');
  $('gaze-camera').onclick = () => gazeCamera().catch(fail);
  $('gaze-photo').onchange = (e) => e.target.files[0] && gazePhoto(e.target.files[0]).catch(fail);
  $('gaze-angle').oninput = () => { $('gaze-angle-value').textContent = `${angle()}°`; };
  $('gaze-before').onchange = showGazePhoto;
  $('style-camera').onclick = () => styleCamera().catch(fail);
  $('style-photo').onchange = async (e) => {
    if (!e.target.files[0]) return;
    stopLoops();
    styleOnce(await photoFile(e.target.files[0], 1280)).catch(fail);
  };
  $('style-download').onclick = download;
  status(`ready (LiteRT.js wasm${runtime.threads ? ', threads' : ''}; ${index.models.length} models)`);
  if (params.get('tab') === 'style') showTab('style');
  if (params.get('angle')) { $('gaze-angle').value = params.get('angle'); $('gaze-angle').oninput(); }
  if (params.get('camera') === 'gaze') gazeCamera().catch(fail);
}

function fail(e) { app.errors.push(String(e && e.stack || e)); status(`error: ${e.message || e}`); }

app.ready = main().then(() => true, (e) => { fail(e); return false; });
