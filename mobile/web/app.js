// The phone app: gaze correction (MediaPipe face models + DeepWarp) and stylization (Johnson,
// Texture Networks, and AdaIN with any style photo where models/index.json lists its pair),
// all with LiteRT.js on this device. Model sizes, ranges and output roles come from the
// metadata JSON beside each .tflite (models/index.json lists them).
import {loadById, loadRuntime, modelIndex} from './lib/runtime.js';
import {adainPairs, clipAlpha, styleStatistics, stylizerInputs} from './lib/adain.js';
import {eyeLandmarks, faceMesh, loadFaceModels} from './lib/face.js';
import {OneEuro, redirectGaze} from './lib/gaze.js';
import {fromFloatRGB, squareTensor} from './lib/image.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = (text) => { $('status').textContent = text; };

const app = {ready: null, index: null, models: {}, gaze: {last: null, frames: 0, fps: 0},
             style: {last: null, input: null}, errors: [],
             adain: {pairs: new Map(), photo: null, statistics: null, encoder: null}};
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

// AdaIN: the style photo's statistics, computed once by the pair's style encoder (again only
// when another pair, with another encoder, is picked).

/** Sets the AdaIN style photo (ImageData-like) and computes its statistics for stylizer `id`. */
app.setStyle = async function setStyle(id, img) {
  app.adain.photo = img;
  app.adain.encoder = null;
  return adainStatistics(id);
};

async function adainStatistics(id) {
  const {encoder} = app.adain.pairs.get(id);
  if (!app.adain.photo) return null;
  if (app.adain.encoder !== encoder.id) {
    const t = performance.now();
    app.adain.statistics = await styleStatistics(await model(encoder.id), app.adain.photo);
    app.adain.encoder = encoder.id;
    status(`${encoder.id}: style statistics in ${(performance.now() - t).toFixed(0)} ms`);
  }
  return app.adain.statistics;
}

function alpha() { return Number($('adain-alpha').value); }

/** Runs stylizer `id` on `img` (a texture generator ignores it and draws noise; AdaIN takes
 * the style photo's statistics and the alpha slider's value). */
app.stylize = async function stylize(id, img, seed = 1) {
  const m = await model(id);
  const [, h, w] = m.inputs[0].shape;
  let inputs;
  if (app.adain.pairs.has(id)) {
    inputs = stylizerInputs(m, img, await adainStatistics(id), alpha());
  } else if (m.meta.family === 'texture_nets') {
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

/** AdaIN picked but no style photo yet: say so instead of stylizing. */
function waitingForStyle(id) {
  if (!app.adain.pairs.has(id) || app.adain.photo) return false;
  status('AdaIN: pick a style photo first');
  return true;
}

async function styleOnce(img) {
  const id = $('style-model').value;
  if (waitingForStyle(id)) return;
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

/** Stylizes the last photo again (a new style photo or alpha), unless the camera runs. */
function restyle() {
  if (app.style.input && !loop) return styleOnce(app.style.input);
  return Promise.resolve();
}

async function styleFile(file) {
  const img = await photoFile(file, 1280);
  await app.setStyle($('style-model').value, img);
  await restyle();
}

/** The AdaIN controls for the picked model: shown for an AdaIN stylizer, the alpha slider's
 * range from its metadata. */
async function pickModel() {
  const id = $('style-model').value;
  const adain = app.adain.pairs.has(id);
  $('adain-controls').hidden = !adain;
  if (!adain) return;
  const m = await model(id);
  const tensor = m.inputs.find((t) => t.name === 'alpha');
  $('adain-alpha').disabled = !tensor;
  if (tensor) {
    const [lo, hi] = tensor.value_range || [0, 1];
    Object.assign($('adain-alpha'), {min: lo, max: hi, step: (hi - lo) / 20});
    $('adain-alpha').value = clipAlpha(m, alpha());
    $('adain-alpha').oninput();
  }
  if (!app.adain.photo) status('AdaIN: pick a style photo');
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
  for (const pair of adainPairs(index)) {
    const m = pair.stylizer;
    app.adain.pairs.set(m.id, pair);
    select.add(new Option(`AdaIN, any style photo: ${m.weights} ${m.fixed_shape.join('x')} ${m.quantization}`, m.id));
  }
  if (!app.adain.pairs.size) {
    const adain = new Option('AdaIN (any style photo): no trained decoder yet', 'adain');
    adain.disabled = true;
    select.add(adain);
  }
  $('style-note').textContent = app.adain.pairs.size
    ? 'AdaIN: pick a style photo (the style encoder runs once on it), then a photo or the camera; ' +
      'alpha trades content (0) for style (1).'
    : (index.skipped && index.skipped.adain) || 'AdaIN: models/index.json lists no style encoder and stylizer pair';
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
    app.style.input = await photoFile(e.target.files[0], 1280);
    styleOnce(app.style.input).catch(fail);
  };
  $('style-download').onclick = download;
  select.onchange = () => pickModel().catch(fail);
  $('adain-style').onchange = (e) => e.target.files[0] && styleFile(e.target.files[0]).catch(fail);
  $('adain-alpha').oninput = () => { $('adain-alpha-value').textContent = alpha().toFixed(2); };
  $('adain-alpha').onchange = () => restyle().catch(fail);
  status(`ready (LiteRT.js wasm${runtime.threads ? ', threads' : ''}; ${index.models.length} models)`);
  if (params.get('tab') === 'style') showTab('style');
  if (params.get('angle')) { $('gaze-angle').value = params.get('angle'); $('gaze-angle').oninput(); }
  if (params.get('camera') === 'gaze') gazeCamera().catch(fail);
}

function fail(e) { app.errors.push(String(e && e.stack || e)); status(`error: ${e.message || e}`); }

app.ready = main().then(() => true, (e) => { fail(e); return false; });
