// Copies LiteRT.js's wasm builds and its ES modules from node_modules into vendor/ so that the
// app serves them from its own origin (the service worker caches them; nothing leaves the site).
import {cpSync, existsSync, mkdirSync, readdirSync, rmSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'vendor');
const packages = {
  'litertjs-core': join(root, 'node_modules', '@litertjs', 'core'),
  'litertjs-wasm-utils': join(root, 'node_modules', '@litertjs', 'wasm-utils'),
};
rmSync(vendor, {recursive: true, force: true});
for (const [name, dir] of Object.entries(packages)) {
  if (!existsSync(dir)) throw new Error(`${dir} is missing: run npm ci first`);
  mkdirSync(join(vendor, name), {recursive: true});
  cpSync(dir, join(vendor, name), {recursive: true,
    filter: (src) => !src.includes('node_modules' + '/' + '.') && !src.endsWith('.map')});
}
console.log('vendor/:', readdirSync(vendor).join(', '));
