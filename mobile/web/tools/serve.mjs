// A tiny static server for the app (Node's http/https modules only): `npm run serve` or
// `node tools/serve.mjs [port] [host]`; with TLS_CERT and TLS_KEY (PEM files) set, HTTPS. It sends COOP/COEP so that the page is cross-origin
// isolated (LiteRT.js's threaded wasm needs SharedArrayBuffer). Cameras need a secure origin:
// http://localhost works on this machine; a phone needs HTTPS (see mobile/README.md).
import {createReadStream, readFileSync, statSync} from 'node:fs';
import {createServer} from 'node:http';
import {createServer as createTlsServer} from 'node:https';
import {extname, join, normalize, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm', '.tflite': 'application/octet-stream', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.md': 'text/markdown'};

export function serve(port = 0, host = '127.0.0.1', root = ROOT, tls = null) {
  const handler = (req, res) => {
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
  };
  const server = tls ? createTlsServer(tls, handler) : createServer(handler);
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port = '8000', host = '127.0.0.1'] = process.argv.slice(2);
  const {TLS_CERT, TLS_KEY} = process.env;
  const tls = TLS_CERT && TLS_KEY ? {cert: readFileSync(TLS_CERT), key: readFileSync(TLS_KEY)} : null;
  const server = await serve(Number(port), host, ROOT, tls);
  const {port: p} = server.address();
  console.log(`serving ${ROOT} at http${tls ? 's' : ''}://${host === '0.0.0.0' ? 'localhost' : host}:${p}/`);
}
