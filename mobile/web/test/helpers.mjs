// Shared by the browser tests: the reference outputs (tools/reference.py), a static server on
// 127.0.0.1, headless Chromium through playwright-core, and a watch on every request.
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {serve} from '../tools/serve.mjs';

export const WEB = fileURLToPath(new URL('..', import.meta.url));
export const OUT = join(WEB, 'test', 'out');

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'});
  return r.status === 0 ? r.stdout.trim() : null;
}

export const CHROMIUM = process.env.CHROMIUM || which('chromium') || which('chromium-browser');

/** Why the browser tests cannot run here, or null. */
export function skipReason() {
  if (!CHROMIUM) return 'no Chromium (apt-get install chromium, or set CHROMIUM=/path)';
  if (!existsSync(join(WEB, 'node_modules', 'playwright-core'))) return 'playwright-core is not installed (npm ci)';
  if (!existsSync(join(WEB, 'vendor', 'litertjs-core', 'wasm'))) return 'vendor/ is missing (npm ci copies the wasm)';
  if (!existsSync(join(WEB, 'models', 'index.json'))) return 'models/ is empty (npm run models)';
  return null;
}

let referenced = false;
/** Runs tools/reference.py once per process (unless ZOO_WEB_REFERENCE=keep). */
export function references() {
  if (referenced || process.env.ZOO_WEB_REFERENCE === 'keep') return;
  const venv = join(WEB, '..', '..', '.venv', 'bin', 'python');
  const python = process.env.PYTHON || (existsSync(venv) ? venv : 'python3');
  execFileSync(python, [join(WEB, 'tools', 'reference.py')], {stdio: ['ignore', 'inherit', 'inherit']});
  referenced = true;
}

export function readJson(...parts) { return JSON.parse(readFileSync(join(OUT, ...parts), 'utf8')); }
export function readF32(...parts) {
  const b = readFileSync(join(OUT, ...parts));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
export const b64 = (buf) => Buffer.from(buf.buffer ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : buf).toString('base64');
export const f32 = (text) => { const b = Buffer.from(text, 'base64'); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

/** Runs `fn` in a before hook, keeping its error for the tests to throw (a failed hook alone
 * would be reported as skipped tests by node 20's runner). */
export function setup(fn) {
  const state = {error: null, value: null};
  state.run = async () => { try { state.value = await fn(); } catch (e) { state.error = e; } };
  state.get = () => { if (state.error) throw state.error; return state.value; };
  return state;
}

/** {server, base, browser, context, page, foreign}: `foreign` collects every request that
 * leaves 127.0.0.1 (data: and blob: URLs are local). */
export async function open({args = [], path = 'index.html?sw=0', serviceWorkers = 'block'} = {}) {
  const {chromium} = await import('playwright-core');
  const server = await serve(0, '127.0.0.1');
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', ...args]});
  const context = await browser.newContext({serviceWorkers, permissions: ['camera']});
  const foreign = [];
  const watch = (req) => {
    const url = req.url();
    if (!/^(data:|blob:)/.test(url) && !url.startsWith('http://127.0.0.1:')) foreign.push(url);
  };
  context.on('request', watch);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + path);
  const ok = await page.evaluate(() => window.zooApp.ready);
  if (!ok) throw new Error(`the app did not start: ${await page.evaluate(() => window.zooApp.errors.join('; '))}`);
  const close = async () => { await browser.close(); if (server.listening) await new Promise((r) => server.close(r)); };
  return {server, base, browser, context, page, foreign, errors, close};
}

/** A PNG from test/out as window.__images[name] (ImageData), decoded by the browser (lossless). */
export async function putImage(page, name, ...parts) {
  const data = readFileSync(join(OUT, ...parts)).toString('base64');
  await page.evaluate(async ([name, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    window.__images = window.__images || {};
    window.__images[name] = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  }, [name, data]);
}

export function psnr(a, b) {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

export function maxAbs(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
