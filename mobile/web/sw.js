// Service worker: pre-caches the page, its scripts, LiteRT's wasm builds and every model listed
// in models/index.json at install, then answers from the cache first, so the app starts with
// no network after the first visit. Responses carry COOP/COEP so that the page stays
// cross-origin isolated (threaded wasm) when they come from the cache.
const VERSION = 'zoo-web-2';
const SHELL = [
  './', 'index.html', 'app.js', 'app.css', 'manifest.webmanifest',
  'icons/icon-180.png', 'icons/icon-192.png', 'icons/icon-512.png',
  'lib/runtime.js', 'lib/face.js', 'lib/gaze.js', 'lib/image.js', 'lib/adain.js',
  'vendor/litertjs-core/dist/index.js', 'vendor/litertjs-wasm-utils/dist/index.js',
  ...['', '_compat', '_threaded', '_jspi'].flatMap((v) => [
    `vendor/litertjs-core/wasm/litert_wasm${v}_internal.js`,
    `vendor/litertjs-core/wasm/litert_wasm${v}_internal.wasm`]),
  'models/index.json',
];

async function precache() {
  const cache = await caches.open(VERSION);
  await cache.addAll(SHELL);
  const index = await (await cache.match('models/index.json')).json();
  const files = index.models.flatMap((m) => [m.file, m.metadata].filter(Boolean));
  await cache.addAll(files.map((f) => `models/${f}`));
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== VERSION) await caches.delete(key);
    await self.clients.claim();
  })());
});

function isolated(response) {
  if (!response || response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, {status: response.status, statusText: response.statusText, headers});
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(VERSION);
    const hit = await cache.match(event.request, {ignoreSearch: event.request.mode === 'navigate'});
    if (hit) return isolated(hit);
    const response = await fetch(event.request);
    if (response.ok && url.pathname.includes('/models/')) cache.put(event.request, response.clone());
    return isolated(response);
  })());
});
