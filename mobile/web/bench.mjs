// npm run bench: frames per second in headless Chromium (LiteRT.js wasm, threaded where the
// page is cross-origin isolated) beside the same .tflite files in Python's ai_edge_litert:
// the whole gaze pipeline at 640 x 480 and each stylizer at 256 and 384. Prints a markdown
// table and writes it to benchmarks/results/web.md (run from mobile/web).
//   node bench.mjs [rounds]
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {cpus} from 'node:os';
import {join} from 'node:path';
import {CHROMIUM, WEB, open, putImage, references, skipReason} from './test/helpers.mjs';

const rounds = Number(process.argv[2] || 10);
const reason = skipReason();
if (reason) { console.error(`cannot run: ${reason}`); process.exit(2); }
references();
if (!existsSync(join(WEB, 'test', 'out', 'gaze', 'face.png'))) { console.error('cannot run: no face photo (see tools/reference.py)'); process.exit(2); }
const python = process.env.PYTHON || join(WEB, '..', '..', '.venv', 'bin', 'python');
const py = JSON.parse(execFileSync(python, [join(WEB, 'tools', 'bench_python.py'), String(rounds)],
  {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim().split('\n').pop());

const app = await open();
await putImage(app.page, 'face', 'gaze', 'face.png');
const browser = await app.page.evaluate(async (rounds) => {
  const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const time = async (fn) => {
    for (let i = 0; i < 2; i++) await fn();
    const t = [];
    for (let i = 0; i < rounds; i++) { const t0 = performance.now(); await fn(); t.push(performance.now() - t0); }
    return median(t);
  };
  const app = window.zooApp, face = window.__images.face;
  const out = {};
  out['gaze 640x480'] = await time(() => app.gazeFrame(face, 10));
  const {faceMesh, eyeLandmarks} = await import('./lib/face.js');
  const models = await app.models.face;
  out['gaze 640x480: landmarks only'] = await time(async () => eyeLandmarks(await faceMesh(face, models)));
  for (const m of app.index.models.filter((m) => m.use === 'style' || m.use === 'texture')) {
    out[m.id] = await time(() => app.stylize(m.id, face));
  }
  return {ms: out, threads: crossOriginIsolated, cores: navigator.hardwareConcurrency,
          agent: navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0]};
}, rounds);
await app.close();

const version = execFileSync(CHROMIUM, ['--version'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
const rows = Object.entries(browser.ms).map(([name, ms]) => {
  const p = py[name];
  const fps = (v) => v ? (1000 / v).toFixed(1) : '-';
  return `| ${name} | ${ms.toFixed(1)} | ${fps(ms)} | ${p ? p.ms.toFixed(1) : '-'} | ${p ? fps(p.ms) : '-'} | ${p ? (ms / p.ms).toFixed(2) : '-'} |`;
});
const gazeFps = 1000 / browser.ms['gaze 640x480'];
const table = [
  `# Web app speed: LiteRT.js in headless Chromium vs ai_edge_litert in Python`,
  ``,
  `\`cd mobile/web && npm run bench\` (${rounds} timed rounds after 2 warm-up calls, median), ${new Date().toISOString().slice(0, 10)}.`,
  `Machine: ${cpus().length} CPU cores (${cpus()[0].model}), shared with other jobs; ${version}, headless, ` +
  `LiteRT.js 2.5.3 wasm${browser.threads ? ' threaded (cross-origin isolated)' : ''}, navigator.hardwareConcurrency ${browser.cores}; ` +
  `Python: ai_edge_litert, 2 threads. Same .tflite files (npm run models), same 640 x 480 face photo (interpGaze _MG_0568).`,
  `The gaze row is the whole pipeline per frame: face detection, face mesh, both irises, both eyes through DeepWarp (int8) and the feathered blend; stylizers are float16, input prepared from the same photo.`,
  ``,
  `| pipeline / model | browser ms | browser FPS | Python ms | Python FPS | browser / Python |`,
  `| --- | --- | --- | --- | --- | --- |`,
  ...rows,
  ``,
  `Target: gaze >= 15 FPS in the browser: ${gazeFps >= 15 ? 'met' : 'not met'} (${gazeFps.toFixed(1)} FPS).`,
  ``,
  `The 2 cores are shared with other jobs: single runs vary by up to 2x (browser and Python rows are measured one after the other, not interleaved).`,
  `A phone's Chrome or Safari can use WebGPU (\`accelerator: 'webgpu'\` in lib/runtime.js); not measured here (no GPU).`,
  ``,
].join('\n');
console.log(table);
const dir = join(WEB, '..', '..', 'benchmarks', 'results');
mkdirSync(dir, {recursive: true});
writeFileSync(join(dir, 'web.md'), table);
console.log(`wrote ${join(dir, 'web.md')}`);
