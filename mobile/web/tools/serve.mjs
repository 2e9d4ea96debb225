// A tiny static server for the app (Node's http module only): `npm run serve` or
// `node tools/serve.mjs [port] [host]`. It sends COOP/COEP so that the page is cross-origin
// isolated (LiteRT.js's threaded wasm needs SharedArrayBuffer). Cameras need a secure origin:
// http://localhost works on this machine; a phone needs HTTPS (see mobile/README.md).
import {createReadStream, statSync} from 'node:fs';
import {createServer} from 'node:http';
import {extname, join, normalize, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm', '.tflite': 'application/octet-stream', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.md': 'text/markdown'};

export function serve(port = 0, host = '127.0.0.1', root = ROOT) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    let stat = null;
    try { stat = file.startsWith(root + sep) || file === root ? statSync(file) : null; } catch { stat = null; }
    if (!stat || !stat.isFile() || /(^|[\\/])(node_modules|\.cache|test)[\\/]/.test(path)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Content-Length': stat.size, 'Cache-Control': 'no-cache',
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp'});
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port = '8000', host = '127.0.0.1'] = process.argv.slice(2);
  const server = await serve(Number(port), host);
  const {port: p} = server.address();
  console.log(`serving ${ROOT} at http://${host === '0.0.0.0' ? 'localhost' : host}:${p}/`);
}
